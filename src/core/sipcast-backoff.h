/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * When to try again after a failed RTMP connection: 1 s, 2 s, 4 s, then
 * every 8 s, for as long as a retry budget (counted from the first failure
 * since the last success) lasts; the last attempt lands when the budget
 * runs out, not after it.  Pure arithmetic on the times it is given, so
 * every publisher (a call's own stream, a /push) retries the same way and
 * the schedule is unit-tested without waiting.
 */

#include <glib.h>

G_BEGIN_DECLS

#define SIPCAST_BACKOFF_FIRST_MS 1000
#define SIPCAST_BACKOFF_MAX_MS 8000

typedef struct {
  guint  budget_ms;
  guint  next_ms;         /* delay after the next failure */
  gint64 failing_since;   /* monotonic µs of the first failure since success; -1: none */
} SipcastBackoff;

/* @budget_s: seconds of failures before giving up; 0 gives up at once. */
void sipcast_backoff_init (SipcastBackoff *backoff,
                           guint           budget_s);

/* A connection worked: the next failure starts a fresh budget. */
void sipcast_backoff_reset (SipcastBackoff *backoff);

/* An attempt failed at @now_us (monotonic µs): the delay in ms before the
 * next one, or -1 when the budget is spent. */
gint sipcast_backoff_next (SipcastBackoff *backoff,
                           gint64          now_us);

G_END_DECLS

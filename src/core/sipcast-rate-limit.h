/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Requests per second per source, as a token bucket per source address:
 * each source may send @rate requests a second on average and a burst of
 * twice that (a phone's REGISTER, OPTIONS and INVITE arriving together
 * are never refused).  Pure bookkeeping on times given by the caller, no
 * I/O, in the manner of Kamailio's pike module.
 *
 * The table is bounded: a source whose bucket has filled up again is
 * forgotten, and past SIPCAST_RATE_LIMIT_MAX_SOURCES sources new ones are
 * let through untracked (memory stays bounded whatever the number of
 * addresses a scan comes from).
 */

#include <glib.h>

G_BEGIN_DECLS

#define SIPCAST_RATE_LIMIT_MAX_SOURCES 10000
/* A refused source is logged at most once in this many seconds. */
#define SIPCAST_RATE_LIMIT_LOG_INTERVAL_S 10

typedef struct _SipcastRateLimit SipcastRateLimit;

typedef enum {
  SIPCAST_RATE_LIMIT_ALLOW,
  SIPCAST_RATE_LIMIT_REFUSE,          /* over the limit */
  SIPCAST_RATE_LIMIT_REFUSE_AND_LOG,  /* over, and the first time this interval */
} SipcastRateLimitVerdict;

/* @rate requests a second per source; 0: no limit. */
SipcastRateLimit *sipcast_rate_limit_new  (guint rate);
void              sipcast_rate_limit_free (SipcastRateLimit *limit);

/* One request from @source at @now (microseconds, monotonic). */
SipcastRateLimitVerdict sipcast_rate_limit_check (SipcastRateLimit *limit,
                                                  const char       *source,
                                                  gint64            now);
/* Requests refused since creation. */
guint64 sipcast_rate_limit_refused (SipcastRateLimit *limit);
/* How many sources are tracked (exposed for tests). */
guint   sipcast_rate_limit_size    (SipcastRateLimit *limit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastRateLimit, sipcast_rate_limit_free)

G_END_DECLS

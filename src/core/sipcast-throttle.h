/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Slowing down password guessing: failed attempts are counted per client
 * (its address), and after a few free ones each further failure makes
 * that client wait, twice as long each time up to a limit, before its
 * next attempt is even looked at.  A success forgets the client.  Pure
 * bookkeeping on times given by the caller, no I/O.
 *
 * The table is bounded: clients idle for SIPCAST_THROTTLE_FORGET_S are
 * forgotten, and past SIPCAST_THROTTLE_MAX_CLIENTS new clients are not
 * tracked (memory stays bounded whatever the number of addresses).
 */

#include <glib.h>

G_BEGIN_DECLS

#define SIPCAST_THROTTLE_FORGET_S 900
#define SIPCAST_THROTTLE_MAX_CLIENTS 10000

typedef struct _SipcastThrottle SipcastThrottle;

/* @free_failures failures cost nothing; the next makes the client wait
 * 1 s, then 2 s, 4 s … up to @max_wait_s. */
SipcastThrottle *sipcast_throttle_new  (guint free_failures,
                                        guint max_wait_s);
void             sipcast_throttle_free (SipcastThrottle *throttle);

/* Seconds (rounded up) @client must still wait at @now (seconds) before
 * an attempt of its is checked; 0 when it may try now. */
guint sipcast_throttle_wait    (SipcastThrottle *throttle,
                                const char      *client,
                                gint64           now);
void  sipcast_throttle_failure (SipcastThrottle *throttle,
                                const char      *client,
                                gint64           now);
void  sipcast_throttle_success (SipcastThrottle *throttle,
                                const char      *client);
/* How many clients are tracked (exposed for tests). */
guint sipcast_throttle_size    (SipcastThrottle *throttle);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastThrottle, sipcast_throttle_free)

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Hands out RTP/RTCP socket pairs (even port for RTP, the next odd one for
 * RTCP) from the configured range.  The sockets are bound here, before the
 * SDP offer is written, so the ports in the offer are really ours; the
 * kernel is the book-keeper of which ports are in use, so a pair is free
 * again as soon as its sockets are closed.
 */

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_PORT_POOL (sipcast_port_pool_get_type ())
G_DECLARE_FINAL_TYPE (SipcastPortPool, sipcast_port_pool, SIPCAST, PORT_POOL, GObject)

SipcastPortPool *sipcast_port_pool_new (const char *address,
                                        guint       min_port,
                                        guint       max_port);

/* Binds the next free pair, round-robin through the range so a port just
 * released is not reused at once (late packets of an old call).
 * SIPCAST_ERROR_NO_PORTS when every pair is taken, SIPCAST_ERROR_NO_FDS
 * when the process is out of file descriptors (a socket cannot even be
 * made, whatever the port). */
gboolean sipcast_port_pool_allocate (SipcastPortPool *self,
                                     GSocket        **out_rtp,
                                     GSocket        **out_rtcp,
                                     GError         **error);

G_END_DECLS

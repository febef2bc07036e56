/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The gate requests from outside a call pass before sipcast does any
 * work for them (the sanity and pike of Kamailio): a source address that
 * sends more than [sip] max-requests-per-second is refused with 503 and a
 * Retry-After (logged once per source every
 * SIPCAST_RATE_LIMIT_LOG_INTERVAL_S seconds), and an INVITE from outside
 * [sip] trusted-networks gets 403.  Requests within a call (re-INVITE,
 * BYE, INFO...) never come here: a call in progress is never cut off by
 * its own signalling.
 */

#include <gio/gio.h>
#include <sofia-sip/nua.h>

#include "sipcast-config.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_SIP_GUARD (sipcast_sip_guard_get_type ())
G_DECLARE_FINAL_TYPE (SipcastSipGuard, sipcast_sip_guard, SIPCAST, SIP_GUARD, GObject)

/* @config has been validated (sipcast_config_load): its networks parse. */
SipcastSipGuard *sipcast_sip_guard_new (const SipcastConfig *config);

/* The request event @event (nua_i_*) on @nh, a handle nobody owns, being
 * delivered by @nua now.  TRUE: go on with it.  FALSE: it has been
 * answered (503 or 403) and @nh destroyed.  Requests nua has answered by
 * itself (OPTIONS, CANCEL, ACK) only count toward their source's rate. */
gboolean sipcast_sip_guard_admit (SipcastSipGuard *self,
                                  nua_t           *nua,
                                  nua_event_t      event,
                                  nua_handle_t    *nh,
                                  const sip_t     *sip);

/* Requests refused for their source's rate since start (a counter for
 * /metrics). */
guint64 sipcast_sip_guard_get_rate_limited (SipcastSipGuard *self);
/* INVITEs refused for coming from outside trusted-networks since start. */
guint64 sipcast_sip_guard_get_untrusted    (SipcastSipGuard *self);

G_END_DECLS

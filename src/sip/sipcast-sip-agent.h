/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The SIP user agent: owns the sofia-sip root (driven by the GLib main
 * loop through su_glib) and the nua stack, and hands every nua event to
 * the event target (a call, a registration) the handle is bound to.  An
 * INVITE outside any call is offered to the "incoming-invite" signal (the
 * call registry routes it); other requests for handles nobody owns are
 * answered here.
 */

#include <gio/gio.h>
#include "sipcast-config.h"
#include "sipcast-event-target.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_SIP_AGENT (sipcast_sip_agent_get_type ())
G_DECLARE_FINAL_TYPE (SipcastSipAgent, sipcast_sip_agent, SIPCAST, SIP_AGENT, GObject)

/* Binds the SIP sockets (UDP and TCP on the SIP port, TLS on the TLS
 * port when its CA file is readable and tls-certificate-dir has our
 * agent.pem to show peers) and logs "SIP listening on udp ADDR:PORT" for
 * each. */
SipcastSipAgent *sipcast_sip_agent_new (const SipcastConfig *config,
                                        GError             **error);

nua_t      *sipcast_sip_agent_get_nua (SipcastSipAgent *self);
/* Counters for /metrics: requests refused (503) because their source
 * went over [sip] max-requests-per-second, and INVITEs refused (403)
 * from outside [sip] trusted-networks, since start. */
guint64     sipcast_sip_agent_get_rate_limited (SipcastSipAgent *self);
guint64     sipcast_sip_agent_get_untrusted    (SipcastSipAgent *self);
/* A Warning header value (RFC 3261 §20.43) carrying @text, the reason
 * of a refusal: "399 sipcast \"TEXT\"". */
char       *sipcast_sip_agent_warning (const char *text);
/* Our Contact, "<sip:USER@HOST:PORT;transport=tcp>", for requests sent
 * over @transport ("udp", "tcp", "tls"): the port of that transport, the
 * public address if configured, else the SIP address; @user (a
 * sipLogin) %-escaped where a SIP user part needs it.  @sips (over TLS
 * only): a sips: URI, as a dialog with a sips: Request-URI needs. */
char       *sipcast_sip_agent_contact (SipcastSipAgent *self,
                                       const char      *user,
                                       const char      *transport,
                                       gboolean         sips);
/* Our Contact for the dialog @request (an INVITE being delivered by nua
 * right now) starts: the transport it came over, the address it reached
 * (public address, else SIP address, else, listening on all addresses,
 * ours toward the sender), its Request-URI's user, sips: only when the
 * Request-URI is sips:. */
char       *sipcast_sip_agent_contact_for_request (SipcastSipAgent *self,
                                                   const sip_t     *request);
/* Address of the SIP socket (also where RTP sockets are bound). */
const char *sipcast_sip_agent_get_address (SipcastSipAgent *self);
/* Whether there is a TLS transport (listening, with our certificate). */
gboolean    sipcast_sip_agent_has_tls (SipcastSipAgent *self);
/* The address our SDP names: the public address, else the SIP address. */
const char *sipcast_sip_agent_get_media_address (SipcastSipAgent *self);
/* What sofia-sip last said about a refused TLS peer ("unable to get local
 * issuer certificate", "Peer Subject Mismatch"...) if it said it at or
 * after @since (g_get_monotonic_time ()), else NULL.  sofia-sip ends the
 * transaction of a request it could not send over TLS only by its
 * timeout, without a reason; this is the reason. */
char       *sipcast_sip_agent_tls_failure_since (gint64 since);

/* From now on OPTIONS outside a call are answered @status (200 or 503)
 * by us rather than by nua: a drained cluster node says 503 to the
 * probes of a dispatcher in front. */
void sipcast_sip_agent_set_options_status (SipcastSipAgent *self,
                                           guint            status);

/* Answers the digest challenge of the response @sip on @nh with @user
 * and @password, once per realm (@answered_realms, "scheme:realm", grows
 * with each answer): FALSE when there is no password or every realm
 * challenged was answered already, so a wrong password fails instead of
 * looping.  Shared by calls and registrations. */
gboolean sipcast_sip_authenticate (nua_handle_t *nh,
                                   const sip_t  *sip,
                                   const char   *user,
                                   const char   *password,
                                   GPtrArray    *answered_realms);

/* Shuts the stack down (outstanding transactions are answered or
 * cancelled by nua); completes on nua_r_shutdown or after a bounded
 * wait. */
void     sipcast_sip_agent_shutdown_async  (SipcastSipAgent     *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean sipcast_sip_agent_shutdown_finish (SipcastSipAgent *self,
                                            GAsyncResult    *result,
                                            GError         **error);

G_END_DECLS

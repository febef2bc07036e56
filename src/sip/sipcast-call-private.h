/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The parts of SipcastCall that only the call registry and the REST
 * server use: starting the call on the network, answering an incoming
 * one, and hanging it up.  The SIP agent feeds it nua events through
 * SipcastEventTarget.
 */

#include "sipcast-call.h"
#include "sipcast-dtmf.h"
#include "sipcast-sip-agent.h"
#include "sipcast-port-pool.h"
#include "sipcast-media-session.h"

G_BEGIN_DECLS

/* Allocates RTP ports, writes the offer and sends the INVITE.  On error
 * the call is left in NEW and nothing was sent. */
gboolean sipcast_call_start (SipcastCall         *self,
                             const SipcastConfig *config,
                             SipcastSipAgent     *agent,
                             SipcastPortPool     *ports,
                             GError             **error);

/* An incoming call in status NEW: like sipcast_call_new(), with the
 * caller (From user) given.  sipcast_call_get_incoming() is TRUE. */
SipcastCall *sipcast_call_new_incoming (SipcastCallParams    *params,
                                        SipcastPublishTarget *target,
                                        SipcastStream        *stream,
                                        const char           *caller);

/* Answers the INVITE @sip that arrived on @nh: parses the offer, allocates
 * RTP ports, starts the media session, then takes @nh and sends 180 and,
 * @ring_time_ms later, 200 with our SDP answer (status RING; ESTABLISHED
 * on the ACK; a CANCEL or a hangup meanwhile ends it FAILED).  An
 * INVITE without SDP gets our offer in the 200 instead, and the media
 * starts with the answer in the ACK.  On error nothing was sent and @nh
 * is still the caller's: SIPCAST_ERROR_SDP (unusable SDP),
 * SIPCAST_ERROR_NO_COMMON_CODEC, SIPCAST_ERROR_NO_PORTS,
 * SIPCAST_ERROR_PIPELINE. */
gboolean sipcast_call_answer_incoming (SipcastCall         *self,
                                       const SipcastConfig *config,
                                       SipcastSipAgent     *agent,
                                       SipcastPortPool     *ports,
                                       nua_handle_t        *nh,
                                       const sip_t         *sip,
                                       guint                ring_time_ms,
                                       GError             **error);

/* CANCEL before the answer, BYE after; nothing once ended. */
void     sipcast_call_hangup (SipcastCall *self);

/* sipcast_call_hangup(), the call ending FAILED with @status_info (as
 * when the far end's RTP stops); nothing once it has ended. */
void     sipcast_call_hangup_failed (SipcastCall *self,
                                     const char  *status_info);

/* Sends @digits to the far end as RFC 2833 events or SIP INFOs.
 * SIPCAST_ERROR_INVALID_ARGUMENT for a bad digit, SIPCAST_ERROR_CONFLICT
 * when the call is not established or takes no telephone-events. */
gboolean sipcast_call_send_dtmf (SipcastCall     *self,
                                 const char      *digits,
                                 SipcastDtmfType  type,
                                 GError         **error);

/* Mixes @stream's audio into what the far end hears until the stream
 * ends or injection is stopped.  INVALID_ARGUMENT for the call's own
 * stream, CONFLICT when not established or already injected. */
gboolean sipcast_call_inject_stream (SipcastCall    *self,
                                     SipcastStream  *stream,
                                     GError        **error);
/* Stops injecting @name (NULL: every injected stream); NOT_FOUND when
 * there is none. */
gboolean sipcast_call_stop_inject_stream (SipcastCall  *self,
                                          const char   *name,
                                          GError      **error);
/* Mixes the sound file at @path (already resolved and checked) into what
 * the far end hears, once or in a loop until the call ends. */
gboolean sipcast_call_inject_sound (SipcastCall  *self,
                                    const char   *path,
                                    gboolean      loop,
                                    GError      **error);

/* The call's media session (borrowed), NULL before its SDP was known:
 * for statistics, read-only. */
SipcastMediaSession *sipcast_call_get_media_session (SipcastCall *self);

/* The call has ended (final status) and its media has finished. */
gboolean sipcast_call_is_done (SipcastCall *self);

G_END_DECLS

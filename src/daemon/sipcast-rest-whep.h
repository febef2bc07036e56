/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * WHEP (WebRTC-HTTP Egress Protocol, draft-ietf-wish-whep, the egress
 * counterpart of WHIP, RFC 9725) over the REST server:
 *
 *   POST   /whep/{streamName}        SDP offer in, 201 + Location + SDP answer
 *   DELETE /whep/{streamName}/{id}   ends that session (200)
 *   PATCH  /whep/{streamName}/{id}   405: no trickle ICE, the offer and the
 *                                     answer carry every candidate
 *   OPTIONS                          CORS preflight (the REST server checks
 *                                     the origin first)
 *
 * The REST server authenticates (production mode) and checks Host and
 * Origin before it hands a request here.  One SipcastWhepStream per named
 * stream with viewers: every session of that stream shares its encoder.
 */

#include <libsoup/soup.h>
#include "sipcast-config.h"
#include "sipcast-stream-registry.h"

G_BEGIN_DECLS

#define SIPCAST_REST_WHEP_PREFIX "/whep"

#define SIPCAST_TYPE_REST_WHEP (sipcast_rest_whep_get_type ())
G_DECLARE_FINAL_TYPE (SipcastRestWhep, sipcast_rest_whep, SIPCAST, REST_WHEP, GObject)

SipcastRestWhep *sipcast_rest_whep_new (const SipcastConfig   *config,
                                        SipcastStreamRegistry *streams);

/* Sessions open now, over every stream. */
guint sipcast_rest_whep_get_n_sessions (SipcastRestWhep *self);

/* The answer to a CORS preflight for a WHEP path whose origin passed. */
void sipcast_rest_whep_preflight (SoupServerMessage *msg);

/* Answers an authorized request for @path (under SIPCAST_REST_WHEP_PREFIX);
 * a POST is paused until the answer is ready. */
void sipcast_rest_whep_handle (SipcastRestWhep   *self,
                               SoupServerMessage *msg,
                               const char        *path);

G_END_DECLS

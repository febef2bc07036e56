/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One SIP call and everything it owns: the request parameters, its SIP
 * dialog, its media session, and the two status machines a client sees.
 */

#include <glib-object.h>
#include "sipcast-types.h"
#include "sipcast-call-params.h"
#include "sipcast-publish-target.h"
#include "sipcast-stream.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_CALL (sipcast_call_get_type ())
G_DECLARE_FINAL_TYPE (SipcastCall, sipcast_call, SIPCAST, CALL, GObject)

const SipcastCallParams    *sipcast_call_get_params (SipcastCall *self);
const char                 *sipcast_call_get_id (SipcastCall *self);
/* NULL when the call has no rtmpUrl. */
const SipcastPublishTarget *sipcast_call_get_publish_target (SipcastCall *self);
SipcastCallStatus           sipcast_call_get_status (SipcastCall *self);
SipcastRtmpStatus           sipcast_call_get_rtmp_status (SipcastCall *self);
/* Why the RTMP stream is not active (a failed attempt, a rejected
 * publish), NULL while it is or before any attempt failed. */
const char                 *sipcast_call_get_rtmp_status_info (SipcastCall *self);
/* Last final or provisional SIP status seen, 0 before any. */
guint                       sipcast_call_get_sip_status (SipcastCall *self);
/* Why the call failed, NULL otherwise. */
const char                 *sipcast_call_get_status_info (SipcastCall *self);
const char                 *sipcast_call_get_caller (SipcastCall *self);
const char                 *sipcast_call_get_callee (SipcastCall *self);
/* The far end's SDP once known. */
const char                 *sipcast_call_get_remote_sdp (SipcastCall *self);
gboolean                    sipcast_call_get_incoming (SipcastCall *self);
/* "PCMU/8000" once negotiated, else NULL. */
const char                 *sipcast_call_get_audio_codec (SipcastCall *self);
/* "H264/90000" or "VP8/90000" once the call publishes video, else NULL. */
const char                 *sipcast_call_get_video_codec (SipcastCall *self);
/* The published video's size, FALSE until known. */
gboolean                    sipcast_call_get_video_size (SipcastCall *self,
                                                         int         *width,
                                                         int         *height);
/* The DTMF digits the far end sent (RFC 4733), "" for none. */
const char                 *sipcast_call_get_dtmf_received (SipcastCall *self);
/* Wall-clock time of /call/startup, µs since the epoch. */
gint64                      sipcast_call_get_created_at (SipcastCall *self);
/* The call's named stream (toStream), NULL for a call built without one. */
SipcastStream              *sipcast_call_get_stream (SipcastCall *self);

G_END_DECLS

G_BEGIN_DECLS
/* A call in status NEW that has not touched the network yet.  Takes
 * ownership of @params and @target (nullable); @stream (nullable) is the
 * named stream its received audio is published under. */
SipcastCall *sipcast_call_new (SipcastCallParams    *params,
                               SipcastPublishTarget *target,
                               SipcastStream        *stream);
G_END_DECLS

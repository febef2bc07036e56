/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One WHEP viewer (draft-ietf-wish-whep, on WHIP's RFC 9725): a webrtcbin
 * in a pipeline of its own, fed the encoded media a SipcastWhepStream
 * shares out, through payloaders of its own (each browser picks its own
 * payload types).  The viewer answers the browser's SDP offer: it sends what the
 * offer asks to receive and the stream has, nothing else.
 *
 * The answer is complete, with every host candidate (WHEP without trickle
 * from the server): negotiation ends once ICE gathering is done.
 */

#include <gio/gio.h>
#include <gst/gst.h>
#include "sipcast-stream.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_WHEP_VIEWER (sipcast_whep_viewer_get_type ())
G_DECLARE_FINAL_TYPE (SipcastWhepViewer, sipcast_whep_viewer, SIPCAST, WHEP_VIEWER, GObject)

/* ICE settings shared by the viewers of a daemon. */
typedef struct {
  const char         *stun_server;  /* "stun://host:port" or NULL */
  const char *const  *addresses;    /* host candidates only on these; NULL: every interface */
} SipcastWhepIce;

typedef enum {
  SIPCAST_WHEP_AUDIO,               /* Opus */
  SIPCAST_WHEP_VIDEO,               /* H.264, byte-stream, access units */
  SIPCAST_WHEP_N_KINDS
} SipcastWhepKind;

/* @stream_audio, @stream_video: what @stream can send; the offer
 * decides what of it is sent.  The video is taken from @stream itself
 * (sipcast_stream_subscribe_video()). */
SipcastWhepViewer *sipcast_whep_viewer_new (const char           *id,
                                            SipcastStream        *stream,
                                            gboolean              stream_audio,
                                            gboolean              stream_video,
                                            const SipcastWhepIce *ice);

const char *sipcast_whep_viewer_get_id (SipcastWhepViewer *self);

/* Answers @offer (SDP text).  SIPCAST_ERROR_SDP for an offer that cannot
 * be parsed or asks for nothing the stream has, SIPCAST_ERROR_PIPELINE
 * when webrtcbin refuses it.  The callback runs on the caller's
 * thread-default main context. */
void  sipcast_whep_viewer_negotiate_async  (SipcastWhepViewer   *self,
                                            const char          *offer,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
char *sipcast_whep_viewer_negotiate_finish (SipcastWhepViewer  *self,
                                            GAsyncResult       *result,
                                            GError            **error);

/* Whether the viewer takes @kind now (negotiated, open): lets the stream
 * ask for a key frame when the first one starts wanting video. */
gboolean sipcast_whep_viewer_wants (SipcastWhepViewer *self,
                                    SipcastWhepKind    kind);

/* One encoded buffer of @kind (SIPCAST_WHEP_AUDIO: the video comes from
 * the stream directly) for the browser.  Any thread. */
void sipcast_whep_viewer_push (SipcastWhepViewer *self,
                               SipcastWhepKind    kind,
                               GstSample         *sample);

/* Stops the viewer's pipeline; idempotent.  Main context only. */
void sipcast_whep_viewer_close (SipcastWhepViewer *self);

/* Signal "failed": the connection to the browser failed or was closed
 * (emitted on the main context). */

G_END_DECLS

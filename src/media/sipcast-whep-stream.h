/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The WebRTC face of one named stream: a single pipeline that encodes the
 * stream's audio to Opus once and hands every buffer to one
 * SipcastWhepViewer (a webrtcbin pipeline) per browser.  Ten viewers cost one
 * encoder, not ten.  The pipeline exists while there are viewers; the
 * owner drops the object when the last one leaves or "ended" is emitted.
 */

#include <gio/gio.h>
#include "sipcast-stream.h"
#include "sipcast-whep-viewer.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_WHEP_STREAM (sipcast_whep_stream_get_type ())
G_DECLARE_FINAL_TYPE (SipcastWhepStream, sipcast_whep_stream, SIPCAST, WHEP_STREAM, GObject)

/* Builds and starts the pipeline: SIPCAST_ERROR_PIPELINE when GStreamer
 * lacks an element (opusenc, webrtcbin), SIPCAST_ERROR_NOT_FOUND when
 * @stream has ended. */
SipcastWhepStream *sipcast_whep_stream_new (SipcastStream         *stream,
                                            const SipcastWhepIce  *ice,
                                            GError               **error);

SipcastStream *sipcast_whep_stream_get_stream (SipcastWhepStream *self);
guint          sipcast_whep_stream_get_n_viewers (SipcastWhepStream *self);

/* A new viewer @id answering @offer: the callback gets the SDP answer
 * from sipcast_whep_stream_add_viewer_finish().  On failure the viewer is
 * gone again. */
void  sipcast_whep_stream_add_viewer_async  (SipcastWhepStream   *self,
                                             const char          *id,
                                             const char          *offer,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
char *sipcast_whep_stream_add_viewer_finish (SipcastWhepStream  *self,
                                             GAsyncResult       *result,
                                             GError            **error);

/* FALSE when there is no viewer @id. */
gboolean sipcast_whep_stream_remove_viewer (SipcastWhepStream *self,
                                            const char        *id);

/* Signals (main context):
 *   "viewer-gone" (const char *id): a viewer's connection failed or
 *       closed, or it was removed; it is no longer counted.
 *   "ended": the stream ended or the pipeline failed; every viewer is
 *       gone. */

G_END_DECLS

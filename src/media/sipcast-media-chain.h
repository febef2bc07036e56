/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The per-codec pieces of a call's pipeline, parsed from the descriptions
 * in pipelines/ (compiled in): "audio-opus", "audio-g722", "audio-pcmu",
 * "audio-pcma" (RTP to raw audio), "audio-pcmu-copy", "audio-pcma-copy"
 * (RTP to G.711 for FLV as it is), "audio-aac" (raw audio to AAC),
 * "video-h264" (H.264 RTP to H.264 for FLV, no decoding), "video-vp8" (VP8
 * RTP to H.264), the placeholder pictures "video-placeholder-card",
 * "video-placeholder-png" and "video-placeholder-jpeg" (to H.264), and the
 * FLV tails "flv-rtmp" and "flv-file".
 */

#include <gst/gst.h>
#include "sipcast-codec.h"
#include "sipcast-config.h"

G_BEGIN_DECLS

/* Every kind, NULL-terminated. */
const char *const *sipcast_media_chain_kinds (void);

/* The description of @kind with ${variables} filled in from @config, as
 * the daemon parses it.  SIPCAST_ERROR_INVALID_ARGUMENT for an unknown
 * kind. */
char *sipcast_media_chain_describe (const char           *kind,
                                    const SipcastConfig  *config,
                                    GError              **error);

/* @kind parsed into a new bin (owned, not floating) with ghost pads
 * "sink" and "src". */
GstElement *sipcast_media_chain_new (const char           *kind,
                                     const SipcastConfig  *config,
                                     GError              **error);

/* A gst-launch-1.0 command line that runs @kind as sipcast does, on a
 * capture (tests/media) or a test source, into out.flv. */
char *sipcast_media_chain_launch_line (const char           *kind,
                                       const SipcastConfig  *config,
                                       GError              **error);

/* The receive chain of @codec: its rtmp-audio=copy variant when @copy and
 * the codec has one, NULL for telephone-event. */
const char *sipcast_media_chain_for_codec (const SipcastCodec *codec,
                                           gboolean            copy);

/* Writes @pipeline's graph to GST_DEBUG_DUMP_DOT_DIR (when set) as
 * sipcast-@name-@suffix.dot, every character other than letters, digits
 * and ". _ ~ + - @" replaced by '_' (so the file stays in that directory
 * whatever the Call-ID); nothing when @pipeline is NULL. */
void sipcast_media_chain_dump_graph (GstElement *pipeline,
                                     const char *name,
                                     const char *suffix);

/* What the parts of a call's pipeline build it with
 * (sipcast-media-session.c and the media line, receiver and sender it
 * is made of). */

/* A new element from @factory, named after its role (@name), added to
 * @bin (which holds the only reference).  SIPCAST_ERROR_PIPELINE when
 * GStreamer has no such element. */
GstElement *sipcast_media_chain_add_element (GstBin      *bin,
                                             const char  *factory,
                                             const char  *name,
                                             GError     **error);

/* gst_element_link_pads(); SIPCAST_ERROR_PIPELINE when they do not link. */
gboolean sipcast_media_chain_link (GstElement  *src,
                                   const char  *src_pad,
                                   GstElement  *sink,
                                   const char  *sink_pad,
                                   GError     **error);

/* The RTP clock rate of the telephone-event we offer (sipcast-codec.c):
 * the only one a far end can have answered. */
guint sipcast_media_chain_telephone_event_rate (void);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The picture published for a call that sends no video, so that live
 * platforms that refuse audio-only streams take it: a card (caller,
 * callee, duration, the live audio level) or a still image, encoded as
 * H.264 at five frames a second with a key frame every 2 s
 * (pipelines/video-placeholder-*.pipeline).  Its "src" pad goes to the
 * FLV tail's "video".  When the call may also send real video, that
 * video's chain links to the "video" pad instead of the tail, and from
 * its first buffer on the real video is published and the placeholder
 * stops.
 */

#include <gst/gst.h>
#include "sipcast-config.h"
#include "sipcast-placeholder.h"

G_BEGIN_DECLS

/* What sipcast_placeholder_video_send_eos() posts on the bus when the
 * picture takes no EOS (the FLV cannot be completed). */
#define SIPCAST_PLACEHOLDER_VIDEO_MSG_EOS_FAILED "sipcast-placeholder-eos-failed"

#define SIPCAST_TYPE_PLACEHOLDER_VIDEO (sipcast_placeholder_video_get_type ())
G_DECLARE_FINAL_TYPE (SipcastPlaceholderVideo, sipcast_placeholder_video, SIPCAST,
                      PLACEHOLDER_VIDEO, GstBin)

/* A new bin (owned, not floating) for @kind (CARD or IMAGE: @image_path,
 * absolute, from sipcast_placeholder_resolve()).  @caller and @callee are
 * shown on the card.  @real_video: it gets a sink pad "video" for the
 * call's own video.  SIPCAST_ERROR_PIPELINE, or what parsing failed with. */
GstElement *sipcast_placeholder_video_new (const SipcastConfig     *config,
                                           SipcastPlaceholderKind   kind,
                                           const char              *image_path,
                                           const char              *caller,
                                           const char              *callee,
                                           gboolean                 real_video,
                                           GError                 **error);

/* The card's level meter follows the audio going through @pad (raw
 * S16 or F32, or G.711 A-law/µ-law).  Any thread; nothing for an image. */
void sipcast_placeholder_video_watch_audio (GstElement *placeholder,
                                            GstPad     *pad);

/* Ends the picture: EOS into its encoder, from a thread of GStreamer's
 * pool (never waiting on a streaming thread here).  The bin's EOS goes
 * out once the real video's chain (when linked) has had its EOS too.  An
 * encoder that takes none posts SIPCAST_PLACEHOLDER_VIDEO_MSG_EOS_FAILED.
 * Main context. */
void sipcast_placeholder_video_send_eos (GstElement *placeholder);

/* Whether the call's real video has replaced the picture.  Any thread. */
gboolean sipcast_placeholder_video_is_replaced (GstElement *placeholder);

G_END_DECLS

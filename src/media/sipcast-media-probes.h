/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pad probes of the receive chains: what runs on their streaming
 * threads.  They hold no state of the receiver (so they can outlive it
 * in a pipeline being torn down) and tell the main context only through
 * application messages on the bus: a digit of an RFC 4733 event, the
 * size of the video.  The rest act on the stream itself: the decoded
 * audio handed to a named stream, a key frame every two seconds from a
 * VP8 call's H.264 encoder, a latency answer for a chain not linked yet.
 */

#include <gst/gst.h>
#include "sipcast-stream.h"

G_BEGIN_DECLS

/* Posted by the pad's parent element, "digit" (a string of one of
 * "0123456789*#ABCD"): one per telephone-event. */
#define SIPCAST_MEDIA_PROBES_MSG_DTMF "sipcast-dtmf-received"
/* Posted by the pipeline, "width" and "height" (ints): the size of the
 * video at the start and whenever it changes. */
#define SIPCAST_MEDIA_PROBES_MSG_VIDEO_CAPS "sipcast-video-caps"

/* The buffers and caps going through @pad are handed to @stream: its
 * decoded audio, or with @video its H.264 access units (a reference is
 * taken, dropped with the probe). */
void sipcast_media_probes_add_stream (GstPad        *pad,
                                      SipcastStream *stream,
                                      gboolean       video);
/* The RTP telephone-events going through @pad become
 * SIPCAST_MEDIA_PROBES_MSG_DTMF messages. */
void sipcast_media_probes_add_dtmf (GstPad *pad);
/* The video caps going through @pad become
 * SIPCAST_MEDIA_PROBES_MSG_VIDEO_CAPS messages of @pipeline (borrowed: it
 * outlives its pads). */
void sipcast_media_probes_add_video_size (GstPad     *pad,
                                          GstElement *pipeline);
/* The element "video_encoder" of @chain (nothing when it has none) is
 * asked for a key frame at least every two seconds of stream time. */
void sipcast_media_probes_add_key_frame_interval (GstElement *chain);
/* Until its ghost sink pad is linked, @chain answers latency queries as
 * live with @latency_ms (the jitter buffer's). */
void sipcast_media_probes_add_live_latency (GstElement *chain,
                                            guint       latency_ms);

G_END_DECLS

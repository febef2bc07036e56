/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The receive side of a call: what rtpbin gives out, on to the FLV tail.
 * The payload types of the answer mapped to caps (request-pt-map), each
 * new pad of rtpbin linked to the chain of its codec (pipelines/, see
 * sipcast-media-chain.h): audio to raw and AAC, or G.711 as it is with
 * [media] rtmp-audio=copy, video as H.264; anything else, and the
 * RFC 4733 events (read as digits), into a fakesink.  Also: the decoded
 * audio handed to a named stream, the size of the video, key frame
 * requests, a codec change the far end asks for, video that never comes,
 * and the EOS that completes the FLV.  Knows nothing of the session.
 */

#include <gst/gst.h>
#include "sipcast-config.h"
#include "sipcast-sdp.h"
#include "sipcast-stream.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_MEDIA_RECEIVER (sipcast_media_receiver_get_type ())
G_DECLARE_FINAL_TYPE (SipcastMediaReceiver, sipcast_media_receiver, SIPCAST, MEDIA_RECEIVER,
                      GObject)

/* What send_eos() posts on the bus when a chain takes no EOS (the FLV
 * cannot be completed). */
#define SIPCAST_MEDIA_RECEIVER_MSG_EOS_FAILED "sipcast-eos-failed"

/* A receiver for the negotiated @audio and @video (either may be NULL,
 * not both; copied), handing the decoded audio to @stream (nullable; a
 * reference is taken).  @name (the session's) starts its log lines;
 * @config must outlive it. */
SipcastMediaReceiver *sipcast_media_receiver_new (const SipcastConfig   *config,
                                                  const char            *name,
                                                  const SipcastSdpMedia *audio,
                                                  const SipcastSdpMedia *video,
                                                  SipcastStream         *stream);

/* Takes @rtpbin's pads of @pipeline from now on; @tail (nullable: not
 * published) is where the chains go. */
void sipcast_media_receiver_attach (SipcastMediaReceiver *self,
                                    GstElement           *pipeline,
                                    GstElement           *rtpbin,
                                    GstElement           *tail);
/* Before the chains are built: the picture published until the call's
 * own video comes (sipcast-placeholder-video.h); the video chain goes to
 * its "video" pad rather than the tail's, is never given up on, and the
 * audio's level is shown on it. */
void sipcast_media_receiver_set_placeholder (SipcastMediaReceiver *self,
                                             GstElement           *placeholder);
/* The audio chain (audio_chain, then audio_aac into the tail's "audio",
 * or a fakesink when not published).  SIPCAST_ERROR_PIPELINE, or what
 * parsing the chain failed with. */
gboolean sipcast_media_receiver_build_audio (SipcastMediaReceiver  *self,
                                             GError               **error);
/* The video chain (video_chain into the tail's "video"; published calls
 * only), given up on when no video comes within two seconds of now. */
gboolean sipcast_media_receiver_build_video (SipcastMediaReceiver  *self,
                                             GError               **error);
/* The pipeline is gone (set to NULL): the receiver lets go of it. */
void sipcast_media_receiver_detach (SipcastMediaReceiver *self);

/* Acts on what the streaming threads posted (a digit, the video size);
 * FALSE for any other message. */
gboolean sipcast_media_receiver_handle_message (SipcastMediaReceiver *self,
                                                const GstStructure   *s);
/* Asks for a key frame of the video (nothing without one). */
void sipcast_media_receiver_request_key_frame (SipcastMediaReceiver *self);
/* Ends the chains: EOS into each, from a thread of GStreamer's pool;
 * a chain that takes none posts SIPCAST_MEDIA_RECEIVER_MSG_EOS_FAILED.
 * The video chain stays for it, whether its RTP came or not. */
void sipcast_media_receiver_send_eos (SipcastMediaReceiver *self);

/* The far end changed its audio to @audio's codec: its chain is made and
 * takes the old one's place once its payload type arrives.
 * SIPCAST_ERROR_NO_COMMON_CODEC with rtmp-audio=copy, without audio, or
 * while the previous change still waits for the far end's RTP. */
gboolean sipcast_media_receiver_change_audio_codec (SipcastMediaReceiver  *self,
                                                    const SipcastSdpMedia *audio,
                                                    GError               **error);
/* The far end's video is now @video: SIPCAST_ERROR_NO_COMMON_CODEC for
 * another codec; a renumbered payload type is logged, not followed. */
gboolean sipcast_media_receiver_follow_video (SipcastMediaReceiver  *self,
                                              const SipcastSdpMedia *video,
                                              GError               **error);

/* The audio codec received now and its payload type (NULL, 0: none). */
const SipcastCodec *sipcast_media_receiver_get_audio_codec (SipcastMediaReceiver *self);
guint sipcast_media_receiver_get_payload_type (SipcastMediaReceiver *self);
gboolean sipcast_media_receiver_has_video (SipcastMediaReceiver *self);
/* The digits received so far ("" for none); each also came as
 * "dtmf-received" (the digit). */
const char *sipcast_media_receiver_get_dtmf_received (SipcastMediaReceiver *self);
/* FALSE until known; "video-size-changed" says when it changes. */
gboolean sipcast_media_receiver_get_video_size (SipcastMediaReceiver *self,
                                                int                  *width,
                                                int                  *height);

G_END_DECLS

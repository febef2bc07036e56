/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The per-call GStreamer pipeline: RTP in from the far end (udpsrc on the
 * sockets allocated before the offer, audio and video → rtpbin → the
 * codec's chain from pipelines/) and the call published as FLV (AAC or
 * G.711 audio, H.264 video → the FLV tail: flvmux → rtmp2sink or
 * filesink).  Reports the RTMP stream status and turns bus
 * errors into a reason string; never aborts.
 */

#include <gio/gio.h>
#include "sipcast-config.h"
#include "sipcast-publish-target.h"
#include "sipcast-placeholder.h"
#include "sipcast-sdp.h"
#include "sipcast-stream.h"
#include "sipcast-types.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_MEDIA_SESSION (sipcast_media_session_get_type ())
G_DECLARE_FINAL_TYPE (SipcastMediaSession, sipcast_media_session, SIPCAST, MEDIA_SESSION, GObject)

/* Takes a reference on @rtp and @rtcp (bound by the port pool); they
 * are closed, and their ports free, once the session has finished. */
SipcastMediaSession *sipcast_media_session_new (const SipcastConfig *config,
                                                const char          *name,
                                                GSocket             *rtp,
                                                GSocket             *rtcp);

/* 0 once finished. */
guint sipcast_media_session_get_rtp_port (SipcastMediaSession *self);

/* Builds and starts the pipeline for the negotiated @audio and @video
 * (either may be NULL, not both) toward @target (NULL: nothing published
 * over RTMP, and then video is not received at all) and @stream
 * (nullable: the named stream the decoded audio is handed to).  Video is
 * received only when set_video_sockets() gave it sockets. */
gboolean sipcast_media_session_start (SipcastMediaSession        *self,
                                      const SipcastSdpMedia      *audio,
                                      const SipcastSdpMedia      *video,
                                      const SipcastPublishTarget *target,
                                      SipcastStream              *stream,
                                      GError                    **error);

/* Before start: a published call gets a picture of @kind (an image at
 * @image_path, or a card showing @caller, @callee and the audio level)
 * until its own video comes, or for the whole call when it sends none
 * (sipcast-placeholder-video.h).  SIPCAST_PLACEHOLDER_NONE: none (the
 * default). */
void sipcast_media_session_set_placeholder (SipcastMediaSession    *self,
                                            SipcastPlaceholderKind  kind,
                                            const char             *image_path,
                                            const char             *caller,
                                            const char             *callee);

/* Ends the stream cleanly (EOS through the muxer so the FLV is complete),
 * then stops the pipeline and emits "finished".  Safe to call more than
 * once and before start (then "finished" is emitted at once). */
void sipcast_media_session_stop (SipcastMediaSession *self);

/* Queues @digits (0-9 * # A-D) as RFC 4733 telephone-events.
 * SIPCAST_ERROR_CONFLICT when the far end takes no telephone-event,
 * SIPCAST_ERROR_INVALID_ARGUMENT for a bad digit (nothing is queued). */
gboolean sipcast_media_session_send_dtmf (SipcastMediaSession *self,
                                          const char          *digits,
                                          GError             **error);

/* Mixes @source into what the far end hears.  @source has one always
 * src pad giving raw audio in any format; it is added to the pipeline (a
 * floating reference is taken, any other stays the caller's).  @live: the source paces itself (an appsrc fed from a
 * named stream); otherwise (a file) it starts at running time @start, or
 * now when @start is GST_CLOCK_TIME_NONE or past.  When the source
 * reaches EOS, "source-ended" is emitted with @id and the running time its
 * audio ends at, and the source removes itself once that audio has been
 * played.  A source whose elements fail is removed and "source-failed" is
 * emitted; the call goes on.
 * SIPCAST_ERROR_CONFLICT when nothing is sent to the far end or @id is
 * in use. */
gboolean sipcast_media_session_add_source (SipcastMediaSession *self,
                                           const char          *id,
                                           GstElement          *source,
                                           gboolean             live,
                                           GstClockTime         start,
                                           GError             **error);
/* Stops and removes a source; FALSE when there is none called @id. */
gboolean sipcast_media_session_remove_source (SipcastMediaSession *self,
                                              const char          *id);

gboolean          sipcast_media_session_is_finished (SipcastMediaSession *self);

/* After a successful start: follows the far end whose media is @audio.
 * With [rtp] symmetric, our RTP goes to where its first packet comes from
 * when that is not what @audio names (logged).  Reports silence as
 * "rtp-timeout" once sipcast_media_session_watch_rtp() was called. */
void     sipcast_media_session_follow_remote (SipcastMediaSession   *self,
                                              const SipcastSdpMedia *audio);
/* From now on (the call is established), [rtp] timeout seconds without
 * RTP emit "rtp-timeout"; nothing when the timeout is 0. */
void     sipcast_media_session_watch_rtp (SipcastMediaSession *self);
/* Held (the far end sent sendonly/inactive): we send no RTP (RTCP goes
 * on) and silence is not reported; resuming starts a new silent period. */
void     sipcast_media_session_set_held (SipcastMediaSession *self,
                                         gboolean             held);
/* The far end's media moved (re-INVITE, or a 200 whose SDP differs from
 * the early one): our RTP and RTCP go to the new address and port, and a
 * new payload type number for the same codec, or another codec, is
 * followed without restarting anything (the RTMP stream goes on: the new
 * codec's RTP is decoded into the same AAC encoder once it arrives, and
 * what we send is encoded anew in the same RTP stream).
 * SIPCAST_ERROR_CONFLICT when not running; SIPCAST_ERROR_NO_COMMON_CODEC
 * (the session goes on unchanged) for another codec with [media]
 * rtmp-audio=copy (FLV cannot change its audio codec midway) or while
 * the previous change still waits for the far end's RTP. */
gboolean sipcast_media_session_update_remote (SipcastMediaSession   *self,
                                              const SipcastSdpMedia *audio,
                                              GError               **error);
/* The same for the far end's @video: our video RTCP (we send no video
 * RTP) goes to its new address and port.  Nothing when the session has
 * no video; SIPCAST_ERROR_NO_COMMON_CODEC for another video codec. */
gboolean sipcast_media_session_update_remote_video (SipcastMediaSession   *self,
                                                    const SipcastSdpMedia *video,
                                                    GError               **error);
SipcastRtmpStatus sipcast_media_session_get_rtmp_status (SipcastMediaSession *self);
/* Why the RTMP stream is not active (the last failed attempt), or NULL. */
const char       *sipcast_media_session_get_rtmp_status_info (SipcastMediaSession *self);

/* The RTP/RTCP sockets of the video line of the offer (references are
 * taken); before start. */
void  sipcast_media_session_set_video_sockets (SipcastMediaSession *self,
                                               GSocket             *rtp,
                                               GSocket             *rtcp);
/* 0 when there are no video sockets, and once finished. */
guint sipcast_media_session_get_video_rtp_port (SipcastMediaSession *self);

/* The RFC 4733 digits received from the far end so far, in order ("" for
 * none); each one is also announced by the "dtmf-received" signal. */
const char *sipcast_media_session_get_dtmf_received (SipcastMediaSession *self);

/* The size of the video published, once known (FALSE before); it changes
 * with the far end's resolution ("video-size-changed"). */
gboolean sipcast_media_session_get_video_size (SipcastMediaSession *self,
                                               int                 *width,
                                               int                 *height);
/* Whether video is received and published. */
gboolean sipcast_media_session_has_video (SipcastMediaSession *self);

G_END_DECLS

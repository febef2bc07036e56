/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One /push: a named stream re-published to an RTMP server (or an FLV
 * file) of the client's choosing, in a pipeline of its own, with its own
 * RTMP status and reconnects, whatever the stream's call publishes itself.
 * It ends when the stream ends (its call ended) or when it is stopped, once
 * its FLV is complete.
 */

#include "sipcast-config.h"
#include "sipcast-publish-target.h"
#include "sipcast-stream.h"
#include "sipcast-types.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_PUSH (sipcast_push_get_type ())
G_DECLARE_FINAL_TYPE (SipcastPush, sipcast_push, SIPCAST, PUSH, GObject)

/* A push of @stream to @rtmp_url + @rtmp_stream (the /call/startup rules
 * of sipcast-publish-target.h); nothing runs before _start().  @config
 * must outlive the push.  SIPCAST_ERROR_INVALID_ARGUMENT for an unusable
 * URL. */
SipcastPush *sipcast_push_new (const SipcastConfig *config,
                               SipcastStream       *stream,
                               const char          *rtmp_url,
                               const char          *rtmp_stream,
                               GError             **error);

/* Builds the pipeline and starts publishing (status RTMP_STREAM_WAIT).
 * SIPCAST_ERROR_PIPELINE when the pipeline cannot be built. */
gboolean sipcast_push_start (SipcastPush *self,
                             GError     **error);

/* Ends the push cleanly: EOS through the muxer so the FLV is complete
 * (bounded by a grace time), then "finished".  Safe to call more than
 * once, and before _start() (then "finished" is emitted at once). */
void sipcast_push_stop (SipcastPush *self);

/* The mediaSessionId: a random UUID. */
const char        *sipcast_push_get_id (SipcastPush *self);
const char        *sipcast_push_get_stream_name (SipcastPush *self);
/* As the client gave them; rtmp_stream may be NULL. */
const char        *sipcast_push_get_rtmp_url (SipcastPush *self);
/* The composed publish location (the key of the 409 rule). */
const char        *sipcast_push_get_location (SipcastPush *self);
/* Ending (stopped, or its stream ended) or already finished. */
gboolean           sipcast_push_is_stopping (SipcastPush *self);

/* As composed into the location (the client's, or the rtmp_ name the
 * registry made up), NULL when the URL named the stream. */
const char        *sipcast_push_get_rtmp_stream (SipcastPush *self);
SipcastRtmpStatus  sipcast_push_get_status (SipcastPush *self);
/* The call whose stream is pushed. */
const char        *sipcast_push_get_call_id (SipcastPush *self);
/* Wall-clock time of /push/startup, µs since the epoch. */
gint64             sipcast_push_get_created_at (SipcastPush *self);

/* The stream name the push publishes under on its server (the last
 * component of its location, without a query string; for a file, its
 * name): the reference's Push "streamName". */
const char        *sipcast_push_get_published_name (SipcastPush *self);

/* The size of the video pushed; 0 × 0 while there is none. */
void               sipcast_push_get_video_size (SipcastPush *self,
                                                guint       *width,
                                                guint       *height);

/* The client's "options" object as JSON text, NULL for none; kept and
 * shown, not interpreted. */
void               sipcast_push_set_options (SipcastPush *self,
                                             const char  *options);
const char        *sipcast_push_get_options (SipcastPush *self);

/* /push/mute: the stream's audio is left out of what is published
 * (silence goes out instead, so the RTMP stream keeps its timing); a
 * sound played with _play_sound() is still heard. */
void               sipcast_push_set_muted (SipcastPush *self,
                                           gboolean     muted);
gboolean           sipcast_push_get_muted (SipcastPush *self);

/* /push/sound_on: @path (any file decodebin reads) mixed into what is
 * published, from now on, once or, with @loop, until _stop_sound(); it
 * replaces a sound already playing.  SIPCAST_ERROR_CONFLICT when the push
 * is ending, SIPCAST_ERROR_PIPELINE when it cannot be added.  A file that
 * turns out not to be audio is logged and dropped; the push goes on. */
gboolean           sipcast_push_play_sound (SipcastPush *self,
                                            const char  *path,
                                            gboolean     loop,
                                            GError     **error);
/* /push/sound_off; nothing when no sound plays. */
void               sipcast_push_stop_sound (SipcastPush *self);
/* A sound is playing ("soundEnabled"). */
gboolean           sipcast_push_get_sound_enabled (SipcastPush *self);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A named stream: the audio a call receives, decoded, and its video as
 * H.264 access units (never decoded), published inside sipcast under the
 * call's toStream so that other pipelines can take them
 * (/call/inject_stream mixes the audio into another call, /push
 * re-publishes the stream, WHEP plays it in a browser).  The source
 * call's streaming threads hand every buffer to sipcast_stream_push() or
 * sipcast_stream_push_video(); each subscriber gets them through its own
 * appsrc.
 */

#include <gst/gst.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_STREAM (sipcast_stream_get_type ())
G_DECLARE_FINAL_TYPE (SipcastStream, sipcast_stream, SIPCAST, STREAM, GObject)

typedef enum {
  SIPCAST_STREAM_WAIT,      /* the call is up, no audio yet */
  SIPCAST_STREAM_ACTIVE,    /* audio flows */
  SIPCAST_STREAM_ENDED,     /* the call has ended; subscribers got EOS */
} SipcastStreamStatus;

SipcastStream *sipcast_stream_new (const char *name,
                                   const char *call_id);

const char         *sipcast_stream_get_name (SipcastStream *self);
const char         *sipcast_stream_get_call_id (SipcastStream *self);
/* "PCMA/8000" once known, else NULL. */
const char         *sipcast_stream_get_audio_codec (SipcastStream *self);
/* "H264/90000" or "VP8/90000" when the call publishes video, else NULL. */
const char         *sipcast_stream_get_video_codec (SipcastStream *self);
void                sipcast_stream_set_video_codec (SipcastStream *self,
                                                    const char    *codec);
void                sipcast_stream_set_audio_codec (SipcastStream *self,
                                                    const char    *codec);
SipcastStreamStatus sipcast_stream_get_status (SipcastStream *self);
const char         *sipcast_stream_status_to_string (SipcastStreamStatus status);
guint               sipcast_stream_get_n_subscribers (SipcastStream *self);

/* Called from the source call's streaming thread: the raw audio format
 * and each buffer.  Thread-safe. */
void sipcast_stream_set_caps (SipcastStream *self,
                              GstCaps       *caps);
void sipcast_stream_push (SipcastStream *self,
                          GstBuffer     *buffer);

/* A new live appsrc that will receive the stream's audio (raw, in the
 * source's format, timestamped on arrival in the subscriber's pipeline).
 * The caller adds it to its pipeline and unsubscribes before disposing
 * of it.  Main context only. */
GstElement *sipcast_stream_subscribe (SipcastStream *self);
void        sipcast_stream_unsubscribe (SipcastStream *self,
                                        GstElement    *appsrc);

/* Video: called from the source call's video streaming thread with the
 * H.264 caps (stream-format=avc, alignment=au) and each access unit.
 * Thread-safe.  A video subscriber gets nothing before its first key
 * frame, and after it fell behind (its queue overflowed) nothing until
 * the next one: a decoder is never fed frames it cannot use. */
void sipcast_stream_set_video_caps (SipcastStream *self,
                                    GstCaps       *caps);
void sipcast_stream_push_video (SipcastStream *self,
                                GstBuffer     *buffer);
/* The video caps once known (a new reference), else NULL.  Thread-safe. */
GstCaps *sipcast_stream_get_video_caps (SipcastStream *self);

/* A new live appsrc that will receive the stream's video, timestamped on
 * arrival like the audio subscription, so that both stay in step in the
 * subscriber's pipeline.  Emits "key-frame-wanted" so that the source asks
 * its far end for a key frame at once.  Main context only; unsubscribe
 * with sipcast_stream_unsubscribe(). */
GstElement *sipcast_stream_subscribe_video (SipcastStream *self);
guint       sipcast_stream_get_n_video_subscribers (SipcastStream *self);

/* The source call ended: every subscriber gets EOS, "ended" is emitted. */
void sipcast_stream_end (SipcastStream *self);

G_END_DECLS

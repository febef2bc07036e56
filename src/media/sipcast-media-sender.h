/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The send side of a call: what the far end hears.  The mixer (silence
 * when nothing is mixed in), the encoder and payloader of the negotiated
 * codec, RFC 4733 telephone-events muxed in, into rtpbin's send session
 * 0 (the audio line sends what comes out); the sources mixed in
 * (/call/inject_sound, talkback), the DTMF digits queued, and a codec
 * change the far end asks for.  Lives as long as the pipeline it was
 * built in; knows nothing of the session.  Main context, but for its
 * probes.
 */

#include <gst/gst.h>
#include "sipcast-sdp.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_MEDIA_SENDER (sipcast_media_sender_get_type ())
G_DECLARE_FINAL_TYPE (SipcastMediaSender, sipcast_media_sender, SIPCAST, MEDIA_SENDER, GObject)

/* What a source's streaming thread posts on the bus when the source
 * ends: its "id" and the running time its audio ends at ("end", guint64;
 * GST_CLOCK_TIME_NONE when unknown).  The bus watch hands it to
 * sipcast_media_sender_handle_message(). */
#define SIPCAST_MEDIA_SENDER_MSG_SOURCE_EOS "sipcast-source-eos"

/* Builds tx_mixer → tx_caps → tx_encoder → tx_payloader (→ tx_rtpmux
 * with tx_dtmf when @audio has a telephone-event) → rtpbin's
 * send_rtp_sink_0 in @pipeline, for @audio's codec; @name (the
 * session's) starts its log lines.  NULL and SIPCAST_ERROR_PIPELINE
 * when that fails (what was added stays in @pipeline). */
SipcastMediaSender *sipcast_media_sender_new (const char             *name,
                                              GstElement             *pipeline,
                                              GstElement             *rtpbin,
                                              const SipcastSdpMedia  *audio,
                                              GError                **error);

/* The pipeline is going: timers, sources and elements are let go of;
 * nothing is sent any more. */
void sipcast_media_sender_stop (SipcastMediaSender *self);

/* As sipcast_media_session_add_source(), but for the check that
 * something is sent: SIPCAST_ERROR_CONFLICT when @id is in use,
 * SIPCAST_ERROR_PIPELINE when it does not link.  "source-ended" (id, end)
 * comes when it reaches its end. */
gboolean sipcast_media_sender_add_source (SipcastMediaSender *self,
                                          const char         *id,
                                          GstElement         *source,
                                          gboolean            live,
                                          GstClockTime        start,
                                          GError            **error);
/* FALSE when there is no source called @id. */
gboolean sipcast_media_sender_remove_source (SipcastMediaSender *self,
                                             const char         *id);
/* The id of the source @object is part of, or NULL. */
const char *sipcast_media_sender_find_source (SipcastMediaSender *self,
                                              GstObject          *object);
/* Acts on what a source posted (SIPCAST_MEDIA_SENDER_MSG_SOURCE_EOS);
 * FALSE for any other message. */
gboolean sipcast_media_sender_handle_message (SipcastMediaSender *self,
                                              const GstStructure *s);

/* Whether the far end takes telephone-events (send_dtmf may be called). */
gboolean sipcast_media_sender_has_dtmf (SipcastMediaSender *self);
/* Queues @digits; SIPCAST_ERROR_INVALID_ARGUMENT for a bad digit. */
gboolean sipcast_media_sender_send_dtmf (SipcastMediaSender *self,
                                         const char         *digits,
                                         GError            **error);

/* The far end renumbered the codec sent: payload type @pt from now on
 * (logged when it differs). */
void sipcast_media_sender_set_payload_type (SipcastMediaSender *self,
                                            guint               pt);
/* The far end changed to @audio's codec: the encoder and payloader are
 * swapped behind a blocked tx_caps (the RTP stream goes on: same SSRC,
 * next sequence number), telephone-events take @audio's number. */
void sipcast_media_sender_change_codec (SipcastMediaSender    *self,
                                        const SipcastSdpMedia *audio);

G_END_DECLS

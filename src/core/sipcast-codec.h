/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The codecs sipcast speaks on the SIP side: what goes into an SDP offer, in
 * which order, and which GStreamer elements receive each one.  A static
 * table with one row per offered payload: H.264 has two rows, one per
 * packetization mode, so each gets its own payload type in the offer.
 */

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPCAST_MEDIA_AUDIO,
  SIPCAST_MEDIA_VIDEO,
} SipcastMediaKind;

/* RTCP feedback (RFC 4585, RFC 5104) offered with a payload type, or
 * found in the far end's a=rtcp-fb lines. */
typedef enum {
  SIPCAST_RTCP_FB_NONE = 0,
  SIPCAST_RTCP_FB_NACK = 1 << 0,  /* "nack": generic NACK */
  SIPCAST_RTCP_FB_PLI  = 1 << 1,  /* "nack pli" */
  SIPCAST_RTCP_FB_FIR  = 1 << 2,  /* "ccm fir" */
} SipcastRtcpFb;

typedef struct {
  SipcastMediaKind kind;
  /* encoding-name of the application/x-rtp caps, upper case as GStreamer
   * spells it: "PCMU", "OPUS", "TELEPHONE-EVENT", "H264". */
  const char *encoding_name;
  /* The same name as written in a=rtpmap: "PCMU", "opus", "telephone-event". */
  const char *rtpmap_name;
  /* The RTP clock rate, as in a=rtpmap and the caps' clock-rate.  For G.722
   * it is 8000 (RFC 3551 §4.5.2) although the audio is sampled at 16 kHz. */
  guint       clock_rate;
  guint       channels;       /* as in a=rtpmap; 0 for video */
  int         static_pt;      /* RFC 3551 payload type, or -1 for dynamic */
  const char *fmtp;           /* a=fmtp parameters we offer, or NULL */
  /* H.264 (RFC 6184): the packetization-mode this row offers; -1 for
   * every other codec. */
  int         packetization_mode;
  SipcastRtcpFb rtcp_fb;      /* a=rtcp-fb we offer for this payload */
  /* The elements of the receive chain, for reference: what the call runs
   * is receive_pipeline below (pipelines/ is the one place to change
   * them).  The decoder is also used on its own to hand a named stream
   * raw audio when rtmp-audio=copy publishes the RTP payload as it is. */
  const char *depayloader;    /* element factory, NULL for telephone-event */
  /* Element factory between depayloader and decoder (or in place of the
   * decoder when there is none), NULL if none: "h264parse". */
  const char *parser;
  /* Element factory; NULL for telephone-event and for H.264, which is
   * passed through to FLV without decoding. */
  const char *decoder;
  /* The receive chain: pipelines/<receive_pipeline>.pipeline, from RTP to
   * raw audio (for audio-aac) or to H.264 for FLV; NULL for
   * telephone-event.  copy_pipeline: the one for [media] rtmp-audio=copy
   * (G.711 into FLV as it is), NULL where FLV cannot take the codec. */
  const char *receive_pipeline;
  const char *copy_pipeline;
  /* The send direction (audio only): the rate the encoder takes raw audio
   * at (16000 for G.722, 48000 for Opus), the encoder and the payloader
   * element factories.  NULL for telephone-event and video, which sipcast
   * does not send. */
  guint       sample_rate;
  const char *encoder;
  const char *payloader;
} SipcastCodec;

/* Every codec of @kind in table order (the default offer order),
 * NULL-terminated.  For audio this ends with CN and telephone-event. */
const SipcastCodec *const *sipcast_codec_list (SipcastMediaKind kind);

/* The codecs of @kind named in @names, in that order, NULL-terminated;
 * free the array (not the rows) with g_free().  A name is matched
 * case-insensitively against encoding_name and selects every row of that
 * name, in table order ("H264" gives packetization-mode 1, then 0).  For
 * audio, CN and telephone-event always come last, named or not.  @names
 * NULL means the default order, sipcast_codec_list().
 *
 * Errors: SIPCAST_ERROR_CONFIG for a name we do not speak (or of the other
 * kind), a name given twice, or no codec at all. */
const SipcastCodec **sipcast_codec_list_ordered (SipcastMediaKind    kind,
                                                 const char *const *names,
                                                 GError            **error);

/* Case-insensitive match on encoding name and clock rate; NULL if we do
 * not speak it.  With several rows of that name, the first. */
const SipcastCodec *sipcast_codec_find (SipcastMediaKind kind,
                                        const char      *encoding_name,
                                        guint            clock_rate);

/* Like sipcast_codec_find(), for a payload type the far end describes with
 * a=fmtp parameters @fmtp (may be NULL): for H.264, the row of the
 * packetization-mode in @fmtp (absent means 0, RFC 6184 §8.1), or NULL
 * for a mode we do not take (2, interleaved). */
const SipcastCodec *sipcast_codec_find_for_fmtp (SipcastMediaKind kind,
                                                 const char      *encoding_name,
                                                 guint            clock_rate,
                                                 const char      *fmtp);

/* The value of parameter @name in an a=fmtp parameter list @fmtp
 * ("a=1; b=2"), newly allocated; NULL when absent or @fmtp is NULL.  Names
 * are case-insensitive; spaces around names and values are dropped. */
char *sipcast_codec_fmtp_get (const char *fmtp,
                              const char *name);

gboolean sipcast_codec_is_telephone_event (const SipcastCodec *codec);
/* CN/8000 (RFC 3389 comfort noise). */
gboolean sipcast_codec_is_comfort_noise (const SipcastCodec *codec);
/* telephone-event or CN: payloads that ride along with the voice codec,
 * never chosen instead of it, and never listed by the operator. */
gboolean sipcast_codec_is_auxiliary (const SipcastCodec *codec);

G_END_DECLS

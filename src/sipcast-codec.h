/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The codecs sipcast speaks on the SIP side: what goes into an SDP offer, in
 * which order, and which GStreamer elements receive each one.  A static
 * table; later codecs (Opus, G.722, H.264, VP8) are rows added here.
 */

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPCAST_MEDIA_AUDIO,
  SIPCAST_MEDIA_VIDEO,
} SipcastMediaKind;

typedef struct {
  SipcastMediaKind kind;
  const char *encoding_name;  /* as in a=rtpmap, upper case: "PCMU" */
  guint       clock_rate;
  guint       channels;       /* 0 for video */
  int         static_pt;      /* RFC 3551 payload type, or -1 for dynamic */
  const char *fmtp;           /* a=fmtp parameters we offer, or NULL */
  const char *depayloader;    /* element factory, NULL for telephone-event */
  const char *decoder;        /* element factory, NULL if none */
} SipcastCodec;

/* Codecs of @kind in offer order, NULL-terminated.  For audio this ends
 * with telephone-event. */
const SipcastCodec *const *sipcast_codec_list (SipcastMediaKind kind);

/* Case-insensitive match on encoding name and clock rate; NULL if we do
 * not speak it. */
const SipcastCodec *sipcast_codec_find (SipcastMediaKind kind,
                                        const char      *encoding_name,
                                        guint            clock_rate);

gboolean sipcast_codec_is_telephone_event (const SipcastCodec *codec);

G_END_DECLS

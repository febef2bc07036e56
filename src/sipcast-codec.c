/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-codec"

#include "sipcast-codec.h"

/*
 * The codec table.  One row per codec, in the order we offer them; the
 * per-kind lists handed out by sipcast_codec_list() are built from it, so
 * adding Opus, G.722, H.264 or VP8 means adding a row here and nothing else.
 * telephone-event stays the last audio row: SPEC.md "Media" offers it
 * after every voice codec, and the offer builder numbers dynamic payload
 * types in table order.
 */

static const SipcastCodec codecs[] = {
  {
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "PCMU",
    .clock_rate = 8000,
    .channels = 1,
    .static_pt = 0,
    .fmtp = NULL,
    .depayloader = "rtppcmudepay",
    .decoder = "mulawdec",
  },
  {
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "PCMA",
    .clock_rate = 8000,
    .channels = 1,
    .static_pt = 8,
    .fmtp = NULL,
    .depayloader = "rtppcmadepay",
    .decoder = "alawdec",
  },
  {
    /* RFC 4733 events 0-16: the DTMF digits 0-9 * # A-D and flash. */
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "telephone-event",
    .clock_rate = 8000,
    .channels = 1,
    .static_pt = -1,
    .fmtp = "0-16",
    .depayloader = NULL,
    .decoder = NULL,
  },
};

/* Per-kind views of the table, NULL-terminated.  Sized for every row plus
 * the terminator so a new row can never overflow them. */
static const SipcastCodec *audio_codecs[G_N_ELEMENTS (codecs) + 1];
static const SipcastCodec *video_codecs[G_N_ELEMENTS (codecs) + 1];

static gpointer
build_lists (gpointer data)
{
  guint n_audio = 0;
  guint n_video = 0;

  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++) {
    switch (codecs[i].kind) {
    case SIPCAST_MEDIA_AUDIO:
      audio_codecs[n_audio++] = &codecs[i];
      break;
    case SIPCAST_MEDIA_VIDEO:
      video_codecs[n_video++] = &codecs[i];
      break;
    }
  }
  audio_codecs[n_audio] = NULL;
  video_codecs[n_video] = NULL;
  return NULL;
}

const SipcastCodec *const *
sipcast_codec_list (SipcastMediaKind kind)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, build_lists, NULL);

  switch (kind) {
  case SIPCAST_MEDIA_AUDIO:
    return audio_codecs;
  case SIPCAST_MEDIA_VIDEO:
    return video_codecs;
  }
  g_return_val_if_reached (NULL);
}

const SipcastCodec *
sipcast_codec_find (SipcastMediaKind kind,
                    const char      *encoding_name,
                    guint            clock_rate)
{
  g_return_val_if_fail (encoding_name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++) {
    if (codecs[i].kind == kind &&
        codecs[i].clock_rate == clock_rate &&
        g_ascii_strcasecmp (codecs[i].encoding_name, encoding_name) == 0)
      return &codecs[i];
  }
  return NULL;
}

gboolean
sipcast_codec_is_telephone_event (const SipcastCodec *codec)
{
  g_return_val_if_fail (codec != NULL, FALSE);

  return g_ascii_strcasecmp (codec->encoding_name, "telephone-event") == 0;
}

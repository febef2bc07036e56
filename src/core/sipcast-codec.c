/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-codec"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-codec.h"
#include "sipcast-error.h"

/*
 * The codec table.  One row per offered payload, in the default offer
 * order (SPEC.md "Media": Opus, G.722, PCMU, PCMA, telephone-event; H.264
 * packetization-mode 1 and 0, VP8); the per-kind lists handed out by
 * sipcast_codec_list() are built from it, so a new codec is a new row here
 * and nothing else.  Comfort noise (CN) and telephone-event stay the last
 * audio rows: they are offered after every voice codec, and the offer
 * builder numbers dynamic payload types in list order.
 *
 * Video only flows in: H.264 is passed through to FLV (depayloader and
 * parser, no decoder), VP8 is decoded for the H.264 encoder of the RTMP
 * side.  Both ask for PLI and FIR so the gateway can request a key frame
 * whenever the RTMP stream (re)starts.
 */

/* Constrained Baseline (42, constraint_set1 e0), level 3.1 (1f): what every
 * SIP video phone decodes, and what FLV players take.  It tells the far
 * end what to send us; we never decode it. */
#define H264_FMTP(mode) "profile-level-id=42e01f;packetization-mode=" #mode

static const SipcastCodec codecs[] = {
  {
    /* RFC 7587: always opus/48000/2 in SDP, whatever is really sent. */
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "OPUS",
    .rtpmap_name = "opus",
    .clock_rate = 48000,
    .channels = 2,
    .static_pt = -1,
    .fmtp = "minptime=10;useinbandfec=1",
    .packetization_mode = -1,
    .depayloader = "rtpopusdepay",
    .receive_pipeline = "audio-opus",
    .decoder = "opusdec",
    .sample_rate = 48000,
    .encoder = "opusenc",
    .payloader = "rtpopuspay",
  },
  {
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "G722",
    .rtpmap_name = "G722",
    .clock_rate = 8000,
    .channels = 1,
    .static_pt = 9,
    .packetization_mode = -1,
    .depayloader = "rtpg722depay",
    .receive_pipeline = "audio-g722",
    .decoder = "avdec_g722",
    .sample_rate = 16000,
    .encoder = "avenc_g722",
    .payloader = "rtpg722pay",
  },
  {
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "PCMU",
    .rtpmap_name = "PCMU",
    .clock_rate = 8000,
    .channels = 1,
    .static_pt = 0,
    .packetization_mode = -1,
    .depayloader = "rtppcmudepay",
    .receive_pipeline = "audio-pcmu",
    .copy_pipeline = "audio-pcmu-copy",
    .decoder = "mulawdec",
    .sample_rate = 8000,
    .encoder = "mulawenc",
    .payloader = "rtppcmupay",
  },
  {
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "PCMA",
    .rtpmap_name = "PCMA",
    .clock_rate = 8000,
    .channels = 1,
    .static_pt = 8,
    .packetization_mode = -1,
    .depayloader = "rtppcmadepay",
    .receive_pipeline = "audio-pcma",
    .copy_pipeline = "audio-pcma-copy",
    .decoder = "alawdec",
    .sample_rate = 8000,
    .encoder = "alawenc",
    .payloader = "rtppcmapay",
  },
  {
    /* RFC 3389 comfort noise: what a phone with voice activity detection
     * sends instead of silence.  Not a voice codec: it rides along with the
     * chosen one, and the receive side drops its packets, leaving the gap
     * filler (pipelines/, sipcastgapfill) to publish silence there. */
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "CN",
    .rtpmap_name = "CN",
    .clock_rate = 8000,
    .channels = 1,
    .static_pt = 13,
    .packetization_mode = -1,
  },
  {
    /* RFC 4733 events 0-16: the DTMF digits 0-9 * # A-D and flash. */
    .kind = SIPCAST_MEDIA_AUDIO,
    .encoding_name = "TELEPHONE-EVENT",
    .rtpmap_name = "telephone-event",
    .clock_rate = 8000,
    .channels = 1,
    .static_pt = -1,
    .fmtp = "0-16",
    .packetization_mode = -1,
  },
  {
    /* Mode 1 first: FU-A and STAP-A let the far end send frames larger
     * than one packet without slicing, which is what phones prefer. */
    .kind = SIPCAST_MEDIA_VIDEO,
    .encoding_name = "H264",
    .rtpmap_name = "H264",
    .clock_rate = 90000,
    .static_pt = -1,
    .fmtp = H264_FMTP (1),
    .packetization_mode = 1,
    .rtcp_fb = SIPCAST_RTCP_FB_PLI | SIPCAST_RTCP_FB_FIR,
    .depayloader = "rtph264depay",
    .receive_pipeline = "video-h264",
    .parser = "h264parse",
  },
  {
    /* Mode 0, single NAL unit per packet: the RFC 6184 default, still all
     * that some older endpoints send. */
    .kind = SIPCAST_MEDIA_VIDEO,
    .encoding_name = "H264",
    .rtpmap_name = "H264",
    .clock_rate = 90000,
    .static_pt = -1,
    .fmtp = H264_FMTP (0),
    .packetization_mode = 0,
    .rtcp_fb = SIPCAST_RTCP_FB_PLI | SIPCAST_RTCP_FB_FIR,
    .depayloader = "rtph264depay",
    .receive_pipeline = "video-h264",
    .parser = "h264parse",
  },
  {
    .kind = SIPCAST_MEDIA_VIDEO,
    .encoding_name = "VP8",
    .rtpmap_name = "VP8",
    .clock_rate = 90000,
    .static_pt = -1,
    .packetization_mode = -1,
    .rtcp_fb = SIPCAST_RTCP_FB_PLI | SIPCAST_RTCP_FB_FIR,
    .depayloader = "rtpvp8depay",
    .receive_pipeline = "video-vp8",
    .decoder = "vp8dec",
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

/* "PCMU, PCMA" for error messages: the names an operator may list. */
static char *
known_names (SipcastMediaKind kind)
{
  const SipcastCodec *const *all = sipcast_codec_list (kind);
  GString *names = g_string_new (NULL);

  for (guint i = 0; all[i] != NULL; i++) {
    if (sipcast_codec_is_auxiliary (all[i]) ||
        (i > 0 && g_str_equal (all[i - 1]->encoding_name, all[i]->encoding_name)))
      continue;
    if (names->len > 0)
      g_string_append (names, ", ");
    g_string_append (names, all[i]->encoding_name);
  }
  return g_string_free (names, FALSE);
}

const SipcastCodec **
sipcast_codec_list_ordered (SipcastMediaKind    kind,
                            const char *const *names,
                            GError            **error)
{
  const SipcastCodec *const *all = sipcast_codec_list (kind);
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  const SipcastCodec *telephone_event = NULL;
  const SipcastCodec *comfort_noise = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (names == NULL)
    return g_memdup2 (all, sizeof (all[0]) * (g_strv_length ((char **) all) + 1));

  for (guint i = 0; all[i] != NULL; i++) {
    if (sipcast_codec_is_telephone_event (all[i]))
      telephone_event = all[i];
    else if (sipcast_codec_is_comfort_noise (all[i]))
      comfort_noise = all[i];
  }

  for (guint n = 0; names[n] != NULL; n++) {
    gboolean found = FALSE;

    /* Named or not, CN and telephone-event ride along at the end. */
    if ((telephone_event != NULL &&
         g_ascii_strcasecmp (names[n], telephone_event->encoding_name) == 0) ||
        (comfort_noise != NULL &&
         g_ascii_strcasecmp (names[n], comfort_noise->encoding_name) == 0))
      continue;

    for (guint i = 0; all[i] != NULL; i++) {
      if (g_ascii_strcasecmp (names[n], all[i]->encoding_name) != 0)
        continue;
      found = TRUE;
      if (g_ptr_array_find (list, all[i], NULL)) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                     _("Codec “%s” is listed twice"), names[n]);
        return NULL;
      }
      g_ptr_array_add (list, (gpointer) all[i]);
    }

    if (!found) {
      g_autofree char *known = known_names (kind);

      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   kind == SIPCAST_MEDIA_AUDIO ?
                   _("Unknown audio codec “%s” (known: %s)") :
                   _("Unknown video codec “%s” (known: %s)"),
                   names[n], known);
      return NULL;
    }
  }

  if (list->len == 0) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                         _("The codec list is empty"));
    return NULL;
  }

  if (comfort_noise != NULL)
    g_ptr_array_add (list, (gpointer) comfort_noise);
  if (telephone_event != NULL)
    g_ptr_array_add (list, (gpointer) telephone_event);
  g_ptr_array_add (list, NULL);
  return (const SipcastCodec **) g_ptr_array_free (g_steal_pointer (&list), FALSE);
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

const SipcastCodec *
sipcast_codec_find_for_fmtp (SipcastMediaKind kind,
                             const char      *encoding_name,
                             guint            clock_rate,
                             const char      *fmtp)
{
  g_autofree char *mode_str = NULL;
  guint64 mode = 0;

  g_return_val_if_fail (encoding_name != NULL, NULL);

  if (g_ascii_strcasecmp (encoding_name, "H264") != 0)
    return sipcast_codec_find (kind, encoding_name, clock_rate);

  /* RFC 6184 §8.1: no packetization-mode means mode 0. */
  mode_str = sipcast_codec_fmtp_get (fmtp, "packetization-mode");
  if (mode_str != NULL &&
      !g_ascii_string_to_unsigned (mode_str, 10, 0, G_MAXINT, &mode, NULL))
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (codecs); i++) {
    if (codecs[i].kind == kind &&
        codecs[i].clock_rate == clock_rate &&
        codecs[i].packetization_mode == (int) mode &&
        g_ascii_strcasecmp (codecs[i].encoding_name, encoding_name) == 0)
      return &codecs[i];
  }
  return NULL;
}

char *
sipcast_codec_fmtp_get (const char *fmtp,
                        const char *name)
{
  g_auto (GStrv) params = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  if (fmtp == NULL)
    return NULL;

  params = g_strsplit (fmtp, ";", -1);
  for (guint i = 0; params[i] != NULL; i++) {
    char *eq = strchr (params[i], '=');

    if (eq == NULL)
      continue;
    *eq = '\0';
    if (g_ascii_strcasecmp (g_strstrip (params[i]), name) == 0)
      return g_strdup (g_strstrip (eq + 1));
  }
  return NULL;
}

gboolean
sipcast_codec_is_telephone_event (const SipcastCodec *codec)
{
  g_return_val_if_fail (codec != NULL, FALSE);

  return g_ascii_strcasecmp (codec->encoding_name, "telephone-event") == 0;
}

gboolean
sipcast_codec_is_comfort_noise (const SipcastCodec *codec)
{
  g_return_val_if_fail (codec != NULL, FALSE);

  return g_ascii_strcasecmp (codec->encoding_name, "CN") == 0;
}

gboolean
sipcast_codec_is_auxiliary (const SipcastCodec *codec)
{
  return sipcast_codec_is_telephone_event (codec) || sipcast_codec_is_comfort_noise (codec);
}

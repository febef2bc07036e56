/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sdp"

#include <string.h>

#include <gst/sdp/sdp.h>

#include "sipcast-error.h"
#include "sipcast-sdp-private.h"

/*
 * The far end's offers within a call (re-INVITEs: hold, resume, a move,
 * a session refresh) and our answers to them; the first offer/answer is
 * in sipcast-sdp.c.
 */

/* ---- the far end's offers in re-INVITEs ---- */

/* On the first accepted @kind line of @msg, @media_out (read from that
 * line) takes @wanted instead of the far end's first choice when the line
 * lists it; FALSE when it does not. */
static gboolean
take_offered_codec (const GstSDPMessage *msg,
                    SipcastMediaKind     kind,
                    const SipcastCodec  *wanted,
                    SipcastSdpMedia     *media_out)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);

    if (g_strcmp0 (gst_sdp_media_get_media (media), sipcast_sdp_kind_name (kind)) != 0 ||
        gst_sdp_media_get_port (media) == 0)
      continue;

    /* The first accepted line, the one the offer was read from. */
    for (guint j = 0; j < gst_sdp_media_formats_len (media); j++) {
      guint64 pt;

      if (!sipcast_sdp_parse_number (gst_sdp_media_get_format (media, j), 127, FALSE, &pt) ||
          sipcast_sdp_codec_of_pt (media, kind, (guint) pt) != wanted)
        continue;

      media_out->codec = wanted;
      media_out->payload_type = (guint) pt;
      media_out->packetization_mode = wanted->packetization_mode;
      sipcast_sdp_read_codec_details (media, media_out);
      return TRUE;
    }
    return FALSE;
  }
  return FALSE;
}

SipcastSdpAnswer *
sipcast_sdp_parse_reoffer (const char                *sdp,
                           const SipcastCodec        *current,
                           const SipcastCodec        *current_video,
                           const SipcastCodec *const *prefs,
                           GError                   **error)
{
  g_autoptr (GstSDPMessage) msg = sipcast_sdp_parse_message (sdp, "answer", error);
  g_autoptr (SipcastSdpAnswer) offer = NULL;
  gboolean keep_audio, keep_video;

  if (msg == NULL)
    return NULL;
  offer = sipcast_sdp_answer_from_message (msg, error);
  if (offer == NULL)
    return NULL;
  keep_audio = offer->audio != NULL && current != NULL && offer->audio->codec != current;
  keep_video = offer->video != NULL && current_video != NULL &&
               offer->video->codec != current_video;
  if (!keep_audio && !keep_video)
    return g_steal_pointer (&offer);

  if (keep_video)
    take_offered_codec (msg, SIPCAST_MEDIA_VIDEO, current_video, offer->video);
  if (keep_audio && !take_offered_codec (msg, SIPCAST_MEDIA_AUDIO, current, offer->audio) &&
      prefs != NULL) {
    /* The codec in use is gone: the first of ours the offer lists. */
    gboolean taken = FALSE;

    for (guint j = 0; prefs[j] != NULL && !taken; j++) {
      if (!sipcast_codec_is_auxiliary (prefs[j]))
        taken = take_offered_codec (msg, SIPCAST_MEDIA_AUDIO, prefs[j], offer->audio);
    }
    if (!taken)
      g_clear_pointer (&offer->audio, sipcast_sdp_media_free);
  }
  return g_steal_pointer (&offer);
}

gboolean
sipcast_sdp_media_is_hold (const SipcastSdpMedia *media)
{
  g_return_val_if_fail (media != NULL, FALSE);

  return media->direction == SIPCAST_SDP_SENDONLY || media->direction == SIPCAST_SDP_INACTIVE ||
         g_strcmp0 (media->address, "0.0.0.0") == 0;
}

gboolean
sipcast_sdp_media_check_family (const SipcastSdpMedia *media,
                                const char            *local_address,
                                GError               **error)
{
  gboolean remote_v6, local_v6;

  g_return_val_if_fail (media != NULL && media->address != NULL, FALSE);
  g_return_val_if_fail (local_address != NULL, FALSE);

  if (g_str_equal (media->address, "0.0.0.0") || g_str_equal (media->address, "::"))
    return TRUE;
  remote_v6 = g_str_equal (sipcast_sdp_address_type (media->address), "IP6");
  local_v6 = g_str_equal (sipcast_sdp_address_type (local_address), "IP6");
  if (remote_v6 == local_v6)
    return TRUE;
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
               "Media on %s (c=IN %s %s) but sipcast's RTP is on %s (%s)",
               remote_v6 ? "IPv6" : "IPv4", sipcast_sdp_address_type (media->address), media->address,
               local_v6 ? "IPv6" : "IPv4", local_address);
  return FALSE;
}

SipcastSdpDirection
sipcast_sdp_media_answer_direction (const SipcastSdpMedia *media,
                                    gboolean               we_send)
{
  g_return_val_if_fail (media != NULL, SIPCAST_SDP_INACTIVE);

  /* c=0.0.0.0 says "send me nothing", whatever a= says. */
  if (g_strcmp0 (media->address, "0.0.0.0") == 0)
    return SIPCAST_SDP_INACTIVE;
  return sipcast_sdp_answer_direction (media->direction, we_send);
}

static void
append_rtpmap (GString            *sdp,
               int                 pt,
               const SipcastCodec *codec)
{
  g_string_append_printf (sdp, "a=rtpmap:%d %s/%u", pt, codec->rtpmap_name, codec->clock_rate);
  if (codec->channels > 1)
    g_string_append_printf (sdp, "/%u", codec->channels);
  g_string_append (sdp, "\r\n");
  if (codec->fmtp != NULL)
    g_string_append_printf (sdp, "a=fmtp:%d %s\r\n", pt, codec->fmtp);
}

/* Our video line in a re-INVITE answer: @video's codec under the far
 * end's number, described as our offer and first answer describe it. */
static void
append_reinvite_video (GString               *sdp,
                       const GstSDPMedia     *media,
                       const SipcastSdpMedia *video,
                       guint                  port,
                       SipcastSdpDirection    direction)
{
  const SipcastCodec *codec = video->codec;
  const char *fmtp;

  g_string_append_printf (sdp, "m=video %u %s %u\r\n", port, gst_sdp_media_get_proto (media),
                          video->payload_type);
  g_string_append_printf (sdp, "a=rtpmap:%u %s/%u\r\n", video->payload_type,
                          codec->rtpmap_name, codec->clock_rate);
  /* H.264: the offerer's parameters, which the answer must not
   * contradict (RFC 6184 §8.2.2), as in sipcast_sdp_build_answer. */
  fmtp = codec->packetization_mode >= 0 && video->fmtp != NULL ? video->fmtp : codec->fmtp;
  if (fmtp != NULL)
    g_string_append_printf (sdp, "a=fmtp:%u %s\r\n", video->payload_type, fmtp);
  sipcast_sdp_append_rtcp_fb (sdp, video->payload_type, codec->rtcp_fb);
  g_string_append_printf (sdp, "a=%s\r\n", sipcast_sdp_direction_to_string (direction));
}

char *
sipcast_sdp_build_reinvite_answer (const char                           *offer,
                                   const SipcastSdpMedia                *audio,
                                   const SipcastSdpMedia                *video,
                                   const SipcastSdpReinviteAnswerParams *params,
                                   GError                              **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  const char *addrtype;
  gboolean audio_done = FALSE;
  gboolean video_done = video == NULL || params->video_port == 0;
  GString *sdp;

  g_return_val_if_fail (offer != NULL && audio != NULL && audio->codec != NULL, NULL);
  g_return_val_if_fail (video == NULL || video->codec != NULL, NULL);
  g_return_val_if_fail (params != NULL && params->address != NULL, NULL);

  gst_sdp_message_new (&msg);
  if (gst_sdp_message_parse_buffer ((const guint8 *) offer, (guint) strlen (offer), msg) != GST_SDP_OK ||
      gst_sdp_message_medias_len (msg) == 0) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                         "SDP offer has no media line");
    return NULL;
  }

  addrtype = sipcast_sdp_address_type (params->address);
  sdp = g_string_new ("v=0\r\n");
  g_string_append_printf (sdp, "o=sipcast %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                          " IN %s %s\r\n", params->session_id, params->session_version,
                          addrtype, params->address);
  g_string_append (sdp, "s=sipcast\r\n");
  g_string_append_printf (sdp, "c=IN %s %s\r\n", addrtype, params->address);
  g_string_append (sdp, "t=0 0\r\n");

  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
    const char *kind = gst_sdp_media_get_media (media);
    const SipcastCodec *const *codecs;

    if (gst_sdp_media_get_port (media) != 0 && !video_done &&
        g_strcmp0 (kind, "video") == 0) {
      /* The first accepted video line, the one @video was read from. */
      video_done = TRUE;
      append_reinvite_video (sdp, media, video, params->video_port, params->video_direction);
      if (params->video_crypto != NULL)
        sipcast_sdp_append_crypto (sdp, params->video_crypto);
      continue;
    }
    if (audio_done || g_strcmp0 (kind, "audio") != 0 ||
        gst_sdp_media_get_port (media) == 0) {
      g_string_append_printf (sdp, "m=%s 0 %s %s\r\n", kind,
                              gst_sdp_media_get_proto (media),
                              gst_sdp_media_formats_len (media) > 0 ?
                              gst_sdp_media_get_format (media, 0) : "0");
      continue;
    }
    audio_done = TRUE;

    g_string_append_printf (sdp, "m=audio %u %s %u", params->audio_port,
                            params->audio_crypto != NULL ? gst_sdp_media_get_proto (media) :
                            "RTP/AVP", audio->payload_type);
    if (audio->comfort_noise_pt >= 0)
      g_string_append_printf (sdp, " %d", audio->comfort_noise_pt);
    if (audio->telephone_event_pt >= 0)
      g_string_append_printf (sdp, " %d", audio->telephone_event_pt);
    g_string_append (sdp, "\r\n");
    append_rtpmap (sdp, (int) audio->payload_type, audio->codec);
    codecs = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);
    for (guint j = 0; codecs[j] != NULL; j++) {
      if (sipcast_codec_is_comfort_noise (codecs[j]) && audio->comfort_noise_pt >= 0)
        append_rtpmap (sdp, audio->comfort_noise_pt, codecs[j]);
    }
    for (guint j = 0; audio->telephone_event_pt >= 0 && codecs[j] != NULL; j++) {
      if (sipcast_codec_is_telephone_event (codecs[j]))
        append_rtpmap (sdp, audio->telephone_event_pt, codecs[j]);
    }
    g_string_append_printf (sdp, "a=ptime:20\r\na=%s\r\n",
                            sipcast_sdp_direction_to_string (params->audio_direction));
    if (params->audio_crypto != NULL)
      sipcast_sdp_append_crypto (sdp, params->audio_crypto);
  }
  return g_string_free (sdp, FALSE);
}

/* @sdp's lines but o=, one per line. */
static char *
without_origin (const char *sdp)
{
  g_auto (GStrv) lines = g_strsplit_set (sdp, "\r\n", -1);
  GString *rest = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] != '\0' && !g_str_has_prefix (lines[i], "o="))
      g_string_append_printf (rest, "%s\n", lines[i]);
  }
  return g_string_free (rest, FALSE);
}

gboolean
sipcast_sdp_same_description (const char *a,
                              const char *b)
{
  g_autofree char *rest_a = NULL;
  g_autofree char *rest_b = NULL;

  if (a == NULL || b == NULL)
    return a == b;
  rest_a = without_origin (a);
  rest_b = without_origin (b);
  return g_str_equal (rest_a, rest_b);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-whep"

#include "config.h"
#include "sipcast-whep-offer.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>
#include <gst/sdp/sdp.h>
#include <string.h>

/*
 * Browsers number their codecs as they like (Chrome: Opus 111, H.264 in
 * several profiles from 102 on; Firefox: Opus 109), and each viewer of a
 * stream has its own payloaders, so the payload types are read per offer.
 * The first acceptable entry of each m= line wins: that is the browser's
 * preference.
 */

static gboolean
media_receives (const GstSDPMedia *media)
{
  if (gst_sdp_media_get_port (media) == 0)
    return FALSE;
  return gst_sdp_media_get_attribute_val (media, "sendonly") == NULL &&
         gst_sdp_media_get_attribute_val (media, "inactive") == NULL;
}

/* The fmtp parameters of @pt in @media, or NULL. */
static const char *
fmtp_of (const GstSDPMedia *media,
         int                pt)
{
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);
    char *end = NULL;
    long value;

    if (g_strcmp0 (attr->key, "fmtp") != 0 || attr->value == NULL)
      continue;
    value = strtol (attr->value, &end, 10);
    if (end != attr->value && value == pt)
      return end;
  }
  return NULL;
}

static gboolean
h264_acceptable (const GstSDPMedia *media,
                 int                pt)
{
  const char *fmtp = fmtp_of (media, pt);

  /* Mode 1 (FU-A, STAP-A): what rtph264pay sends for frames larger than
   * a packet; mode 0 would need every NAL unit under the MTU. */
  return fmtp != NULL && strstr (fmtp, "packetization-mode=1") != NULL;
}

/* @pt's profile-level-id into @out (six hex digits), or "". */
static void
copy_profile_level_id (const GstSDPMedia *media,
                       int                pt,
                       char               out[7])
{
  const char *fmtp = fmtp_of (media, pt);
  const char *value = fmtp != NULL ? strstr (fmtp, "profile-level-id=") : NULL;

  out[0] = '\0';
  if (value == NULL)
    return;
  value += strlen ("profile-level-id=");
  for (guint i = 0; i < 6; i++)
    if (!g_ascii_isxdigit (value[i]))
      return;
  memcpy (out, value, 6);
  out[6] = '\0';
}

static void
scan_media (const GstSDPMedia *media,
            SipcastWhepOffer  *out)
{
  gboolean audio = g_strcmp0 (gst_sdp_media_get_media (media), "audio") == 0;
  gboolean video = g_strcmp0 (gst_sdp_media_get_media (media), "video") == 0;

  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    const GstSDPAttribute *attr = gst_sdp_media_get_attribute (media, i);
    char *end = NULL;
    long pt;

    if (g_strcmp0 (attr->key, "rtpmap") != 0 || attr->value == NULL)
      continue;
    pt = strtol (attr->value, &end, 10);
    if (end == attr->value || pt < 0 || pt > 127)
      continue;
    while (*end == ' ')
      end++;

    if (audio && out->audio_pt < 0 && g_ascii_strncasecmp (end, "opus/48000", 10) == 0)
      out->audio_pt = (int) pt;
    else if (video && out->h264_pt < 0 && g_ascii_strncasecmp (end, "H264/90000", 10) == 0 &&
             h264_acceptable (media, (int) pt)) {
      out->h264_pt = (int) pt;
      copy_profile_level_id (media, (int) pt, out->h264_profile_level_id);
    }
    else if (video && out->vp8_pt < 0 && g_ascii_strncasecmp (end, "VP8/90000", 9) == 0)
      out->vp8_pt = (int) pt;
  }
}

gboolean
sipcast_whep_offer_parse (const char        *sdp,
                          SipcastWhepOffer  *out,
                          GError           **error)
{
  g_autoptr (GstSDPMessage) message = NULL;

  g_return_val_if_fail (sdp != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  out->audio_pt = out->h264_pt = out->vp8_pt = -1;
  out->h264_profile_level_id[0] = '\0';

  /* GstSDP asserts on an empty text. */
  if (*sdp == '\0' || gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK ||
      gst_sdp_message_medias_len (message) == 0) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                         _("The offer is not an SDP description with media"));
    return FALSE;
  }

  for (guint i = 0; i < gst_sdp_message_medias_len (message); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (message, i);

    if (media_receives (media))
      scan_media (media, out);
  }

  if (out->audio_pt < 0 && out->h264_pt < 0 && out->vp8_pt < 0) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                         _("The offer receives neither Opus audio nor H.264 "
                           "(packetization-mode=1) or VP8 video"));
    return FALSE;
  }
  return TRUE;
}

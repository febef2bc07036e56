/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sdp"

#include <string.h>

#include <gst/sdp/sdp.h>

#include "sipcast-error.h"
#include "sipcast-sdp.h"

/*
 * The SDP side of RFC 3264 offer/answer for outgoing calls.
 *
 * The offer is written by hand with a GString rather than GstSDPMessage so
 * its layout is fixed and readable in logs and tests: one m=audio line with
 * every codec of the table in table order.  Static codecs keep their
 * RFC 3551 number; dynamic ones are numbered from 96 up, except
 * telephone-event, which always gets 101: that is the number nearly every
 * SIP endpoint uses, and a few old ones assume it without reading rtpmap.
 *
 * The answer is parsed with GstSDPMessage, which accepts CRLF and bare LF.
 * We pick the first payload type of the answer's m=audio line that names
 * a codec we offered (RFC 3264 §6.1: the answerer lists its preference
 * first), and note telephone-event separately since it rides along with
 * the voice codec rather than replacing it.
 */

#define TELEPHONE_EVENT_PT 101
#define FIRST_DYNAMIC_PT   96
#define LAST_DYNAMIC_PT    127

/* Exactly the statusInfo text of SPEC.md "Call statuses": the call layer
 * passes this message on to clients, which may compare it. */
#define NO_COMMON_CODECS "No common codecs"

/* The connection address family keyword for c= and o= lines. */
static const char *
address_type (const char *address)
{
  return strchr (address, ':') != NULL ? "IP6" : "IP4";
}

/* Payload type numbers for @codecs, written into @pts (same length). */
static void
assign_payload_types (const SipcastCodec *const *codecs,
                      int                       *pts)
{
  int next_dynamic = FIRST_DYNAMIC_PT;

  for (guint i = 0; codecs[i] != NULL; i++) {
    if (codecs[i]->static_pt >= 0) {
      pts[i] = codecs[i]->static_pt;
    } else if (sipcast_codec_is_telephone_event (codecs[i])) {
      pts[i] = TELEPHONE_EVENT_PT;
    } else {
      if (next_dynamic == TELEPHONE_EVENT_PT)
        next_dynamic++;
      /* 31 dynamic numbers are far more than the table will ever hold. */
      g_assert (next_dynamic <= LAST_DYNAMIC_PT);
      pts[i] = next_dynamic++;
    }
  }
}

const char *
sipcast_sdp_direction_to_string (SipcastSdpDirection direction)
{
  switch (direction) {
  case SIPCAST_SDP_SENDRECV:
    return "sendrecv";
  case SIPCAST_SDP_SENDONLY:
    return "sendonly";
  case SIPCAST_SDP_RECVONLY:
    return "recvonly";
  case SIPCAST_SDP_INACTIVE:
    return "inactive";
  }
  g_return_val_if_reached ("sendrecv");
}

static void
append_audio_media (GString                     *sdp,
                    const SipcastSdpOfferParams *params)
{
  const SipcastCodec *const *codecs = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);
  guint n_codecs = g_strv_length ((char **) codecs);
  g_autofree int *pts = g_new0 (int, MAX (n_codecs, 1));

  assign_payload_types (codecs, pts);

  g_string_append_printf (sdp, "m=audio %u RTP/AVP", params->audio_port);
  for (guint i = 0; i < n_codecs; i++)
    g_string_append_printf (sdp, " %d", pts[i]);
  g_string_append (sdp, "\r\n");

  for (guint i = 0; i < n_codecs; i++) {
    g_string_append_printf (sdp, "a=rtpmap:%d %s/%u", pts[i],
                            codecs[i]->encoding_name, codecs[i]->clock_rate);
    /* RFC 4566: the channel count is only written when it is not 1. */
    if (codecs[i]->channels > 1)
      g_string_append_printf (sdp, "/%u", codecs[i]->channels);
    g_string_append (sdp, "\r\n");
  }
  for (guint i = 0; i < n_codecs; i++) {
    if (codecs[i]->fmtp != NULL)
      g_string_append_printf (sdp, "a=fmtp:%d %s\r\n", pts[i], codecs[i]->fmtp);
  }

  g_string_append (sdp, "a=ptime:20\r\n");
  g_string_append_printf (sdp, "a=%s\r\n",
                          sipcast_sdp_direction_to_string (params->audio_direction));
}

char *
sipcast_sdp_build_offer (const SipcastSdpOfferParams *params)
{
  GString *sdp;
  const char *addrtype;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (params->address != NULL, NULL);

  addrtype = address_type (params->address);
  sdp = g_string_new ("v=0\r\n");
  g_string_append_printf (sdp, "o=sipcast %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                          " IN %s %s\r\n",
                          params->session_id, params->session_version,
                          addrtype, params->address);
  g_string_append (sdp, "s=sipcast\r\n");
  g_string_append_printf (sdp, "c=IN %s %s\r\n", addrtype, params->address);
  g_string_append (sdp, "t=0 0\r\n");

  if (params->audio_port != 0)
    append_audio_media (sdp, params);

  return g_string_free (sdp, FALSE);
}

/* ---- answer parsing ---- */

static void
sdp_media_free (SipcastSdpMedia *media)
{
  g_free (media->address);
  g_free (media);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastSdpMedia, sdp_media_free)

void
sipcast_sdp_answer_free (SipcastSdpAnswer *answer)
{
  if (answer == NULL)
    return;
  g_clear_pointer (&answer->audio, sdp_media_free);
  g_free (answer);
}

/* A decimal number in [0, max] that is the whole of @str, or up to the
 * first space when @stop_at_space.  Returns FALSE on anything else. */
static gboolean
parse_number (const char *str,
              guint64     max,
              gboolean    stop_at_space,
              guint64    *out)
{
  char *end = NULL;
  guint64 value;

  if (str == NULL || !g_ascii_isdigit (*str))
    return FALSE;
  value = g_ascii_strtoull (str, &end, 10);
  if (value > max)
    return FALSE;
  if (*end != '\0' && !(stop_at_space && *end == ' '))
    return FALSE;
  *out = value;
  return TRUE;
}

/* Looks up the a=rtpmap of @pt on @media ("<pt> <name>/<rate>[/<ch>]").
 * Returns the codec it names if we speak it; *found says whether there
 * was an rtpmap for @pt at all. */
static const SipcastCodec *
codec_from_rtpmap (const GstSDPMedia *media,
                   guint              pt,
                   gboolean          *found)
{
  const char *val;

  *found = FALSE;
  for (guint i = 0; (val = gst_sdp_media_get_attribute_val_n (media, "rtpmap", i)) != NULL; i++) {
    guint64 map_pt, rate;
    const char *space;
    g_autofree char *encoding = NULL;
    g_auto (GStrv) parts = NULL;

    if (!parse_number (val, 127, TRUE, &map_pt) || map_pt != pt)
      continue;
    *found = TRUE;

    space = strchr (val, ' ');
    if (space == NULL)
      return NULL;
    encoding = g_strstrip (g_strdup (space));
    parts = g_strsplit (encoding, "/", 3);
    if (parts[0] == NULL || parts[1] == NULL ||
        !parse_number (parts[1], G_MAXUINT, FALSE, &rate))
      return NULL;
    return sipcast_codec_find (SIPCAST_MEDIA_AUDIO, parts[0], (guint) rate);
  }
  return NULL;
}

/* Static payload types without an rtpmap mean their RFC 3551 codec. */
static const SipcastCodec *
codec_from_static_pt (guint pt)
{
  const SipcastCodec *const *codecs = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);

  for (guint i = 0; codecs[i] != NULL; i++) {
    if (codecs[i]->static_pt >= 0 && (guint) codecs[i]->static_pt == pt)
      return codecs[i];
  }
  return NULL;
}

static gboolean
direction_from_key (const char          *key,
                    SipcastSdpDirection *out)
{
  static const struct {
    const char *name;
    SipcastSdpDirection direction;
  } directions[] = {
    { "sendrecv", SIPCAST_SDP_SENDRECV },
    { "sendonly", SIPCAST_SDP_SENDONLY },
    { "recvonly", SIPCAST_SDP_RECVONLY },
    { "inactive", SIPCAST_SDP_INACTIVE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (directions); i++) {
    if (g_strcmp0 (key, directions[i].name) == 0) {
      *out = directions[i].direction;
      return TRUE;
    }
  }
  return FALSE;
}

static SipcastSdpDirection
media_direction (const GstSDPMessage *msg,
                 const GstSDPMedia   *media)
{
  SipcastSdpDirection direction = SIPCAST_SDP_SENDRECV;

  /* The media level overrides the session level (RFC 4566 §6); with
   * neither, sendrecv is the default. */
  for (guint i = 0; i < gst_sdp_media_attributes_len (media); i++) {
    if (direction_from_key (gst_sdp_media_get_attribute (media, i)->key, &direction))
      return direction;
  }
  for (guint i = 0; i < gst_sdp_message_attributes_len (msg); i++) {
    if (direction_from_key (gst_sdp_message_get_attribute (msg, i)->key, &direction))
      return direction;
  }
  return direction;
}

/* The connection address of @media: its own c= line, else the session's.
 * Only IN IP4 and IN IP6 are understood. */
static char *
media_address (const GstSDPMessage *msg,
               const GstSDPMedia   *media,
               GError             **error)
{
  const GstSDPConnection *conn = NULL;
  const char *slash;

  if (gst_sdp_media_connections_len (media) > 0)
    conn = gst_sdp_media_get_connection (media, 0);
  if (conn == NULL || conn->address == NULL)
    conn = gst_sdp_message_get_connection (msg);
  if (conn == NULL || conn->address == NULL || *conn->address == '\0') {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                         "SDP answer has no connection address (c=) for audio");
    return NULL;
  }
  if (g_strcmp0 (conn->nettype, "IN") != 0 ||
      (g_strcmp0 (conn->addrtype, "IP4") != 0 &&
       g_strcmp0 (conn->addrtype, "IP6") != 0)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                 "SDP answer has an unsupported connection type “%s %s”",
                 conn->nettype ? conn->nettype : "",
                 conn->addrtype ? conn->addrtype : "");
    return NULL;
  }

  /* A multicast address may carry /ttl[/count]; we only want the host. */
  slash = strchr (conn->address, '/');
  if (slash != NULL)
    return g_strndup (conn->address, slash - conn->address);
  return g_strdup (conn->address);
}

static SipcastSdpMedia *
parse_audio_media (const GstSDPMessage *msg,
                   const GstSDPMedia   *media,
                   GError             **error)
{
  g_autoptr (SipcastSdpMedia) audio = g_new0 (SipcastSdpMedia, 1);
  const char *proto = gst_sdp_media_get_proto (media);
  const char *rtcp;

  audio->telephone_event_pt = -1;
  audio->port = gst_sdp_media_get_port (media);

  /* We offered plain RTP/AVP; SRTP profiles would need keys we never sent. */
  if (g_strcmp0 (proto, "RTP/AVP") != 0 && g_strcmp0 (proto, "RTP/AVPF") != 0) {
    g_debug ("Answer uses audio transport “%s”, not RTP/AVP", proto ? proto : "");
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         NO_COMMON_CODECS);
    return NULL;
  }

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    const SipcastCodec *codec;
    gboolean has_rtpmap;
    guint64 pt;

    if (!parse_number (gst_sdp_media_get_format (media, i), 127, FALSE, &pt))
      continue;

    codec = codec_from_rtpmap (media, (guint) pt, &has_rtpmap);
    if (!has_rtpmap)
      codec = codec_from_static_pt ((guint) pt);
    if (codec == NULL)
      continue;

    if (sipcast_codec_is_telephone_event (codec)) {
      if (audio->telephone_event_pt < 0)
        audio->telephone_event_pt = (int) pt;
    } else if (audio->codec == NULL) {
      audio->codec = codec;
      audio->payload_type = (guint) pt;
    }
  }

  if (audio->codec == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         NO_COMMON_CODECS);
    return NULL;
  }

  audio->address = media_address (msg, media, error);
  if (audio->address == NULL)
    return NULL;

  audio->rtcp_port = audio->port + 1;
  rtcp = gst_sdp_media_get_attribute_val (media, "rtcp");
  if (rtcp != NULL) {
    guint64 rtcp_port;

    /* "a=rtcp:<port> [IN IP4 <addr>]" (RFC 3605); the address, when
     * given, is nearly always the RTP address and we do not track it. */
    if (!parse_number (rtcp, 65535, TRUE, &rtcp_port) || rtcp_port == 0) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                   "SDP answer has an invalid a=rtcp “%s”", rtcp);
      return NULL;
    }
    audio->rtcp_port = (guint) rtcp_port;
  }

  audio->direction = media_direction (msg, media);

  return g_steal_pointer (&audio);
}

SipcastSdpAnswer *
sipcast_sdp_parse_answer (const char *sdp,
                          GError    **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  g_autoptr (SipcastSdpAnswer) answer = NULL;
  const GstSDPMedia *audio_media = NULL;
  gsize len;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (sdp == NULL || *sdp == '\0') {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                         "SDP answer is empty");
    return NULL;
  }
  len = strlen (sdp);
  if (len > G_MAXUINT) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                         "SDP answer is too large");
    return NULL;
  }

  gst_sdp_message_new (&msg);
  /* GstSDPMessage skips lines it does not understand, so a body that is
   * not SDP at all parses "fine"; v= and o= are mandatory (RFC 4566 §5)
   * and tell a real session description from noise. */
  if (gst_sdp_message_parse_buffer ((const guint8 *) sdp, (guint) len, msg) != GST_SDP_OK ||
      gst_sdp_message_get_version (msg) == NULL ||
      gst_sdp_message_get_origin (msg)->username == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                         "SDP answer is not a session description (no v= or o= line)");
    return NULL;
  }

  /* We offer a single m=audio line, so the answer's first one is ours. */
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);

    if (g_strcmp0 (gst_sdp_media_get_media (media), "audio") == 0) {
      audio_media = media;
      break;
    }
  }
  if (audio_media == NULL) {
    g_debug ("Answer has no m=audio line");
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         NO_COMMON_CODECS);
    return NULL;
  }

  answer = g_new0 (SipcastSdpAnswer, 1);
  /* Port 0 is how an answerer rejects a stream (RFC 3264 §6); it is not an
   * error here, the call decides what a call without audio means. */
  if (gst_sdp_media_get_port (audio_media) == 0)
    return g_steal_pointer (&answer);

  answer->audio = parse_audio_media (msg, audio_media, error);
  if (answer->audio == NULL)
    return NULL;

  return g_steal_pointer (&answer);
}

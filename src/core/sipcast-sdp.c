/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sdp"

#include <string.h>

#include <gst/sdp/sdp.h>

#include "sipcast-error.h"
#include "sipcast-sdp-private.h"

/*
 * The SDP side of RFC 3264 offer/answer: for outgoing calls (our offer,
 * their answer) here, for incoming ones (their offer, our answer) at the
 * end of the file.
 *
 * The offer is written by hand with a GString rather than GstSDPMessage so
 * its layout is fixed and readable in logs and tests: an m=audio line with
 * the configured audio codecs, then an m=video line with H.264 (both
 * packetization modes) and VP8.  Static codecs keep their RFC 3551 number;
 * dynamic ones are numbered from 96 up on each line, except
 * telephone-event, which always gets 101 (and 101 is skipped for the
 * others): that is the number nearly every SIP endpoint uses, and a few old
 * ones assume it without reading rtpmap.  Video payloads carry rtcp-fb
 * (PLI, FIR) on a plain RTP/AVP line, as SIP video phones expect: an
 * RTP/AVPF line is rejected by endpoints that do not know AVPF, while the
 * rtcp-fb attributes are ignored by them.
 *
 * The answer is parsed with GstSDPMessage, which accepts CRLF and bare LF.
 * On each of the first m=audio and m=video lines we pick the first payload
 * type that names a codec we offered (RFC 3264 §6.1: the answerer lists
 * its preference first).  H.264 payload types are told apart by their
 * packetization-mode; telephone-event is noted separately since it rides
 * along with the voice codec rather than replacing it.
 */

#define TELEPHONE_EVENT_PT 101
#define FIRST_DYNAMIC_PT   96
#define LAST_DYNAMIC_PT    127

/* Exactly the statusInfo text of SPEC.md "Call statuses": the call layer
 * passes this message on to clients, which may compare it. */
#define NO_COMMON_CODECS "No common codecs"

/* The connection address family keyword for c= and o= lines. */
const char *
sipcast_sdp_address_type (const char *address)
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

/* The a=rtcp-fb values of each SipcastRtcpFb flag, in the order we
 * write them. */
static const struct {
  SipcastRtcpFb flag;
  const char   *value;
} rtcp_fb_values[] = {
  { SIPCAST_RTCP_FB_NACK, "nack" },
  { SIPCAST_RTCP_FB_PLI, "nack pli" },
  { SIPCAST_RTCP_FB_FIR, "ccm fir" },
};

void
sipcast_sdp_append_rtcp_fb (GString      *sdp,
                            guint         payload_type,
                            SipcastRtcpFb flags)
{
  for (guint j = 0; j < G_N_ELEMENTS (rtcp_fb_values); j++) {
    if (flags & rtcp_fb_values[j].flag)
      g_string_append_printf (sdp, "a=rtcp-fb:%u %s\r\n", payload_type,
                              rtcp_fb_values[j].value);
  }
}

void
sipcast_sdp_append_crypto (GString                *sdp,
                           const SipcastSdpCrypto *crypto)
{
  g_autofree char *value = sipcast_sdp_crypto_to_string (crypto);

  g_string_append_printf (sdp, "a=crypto:%s\r\n", value);
}

static void
append_media (GString                   *sdp,
              const char                *media,
              guint                      port,
              const SipcastCodec *const *codecs,
              SipcastSdpDirection        direction,
              const SipcastSdpCrypto    *crypto,
              guint                      n_crypto,
              gboolean                   savp)
{
  guint n_codecs = g_strv_length ((char **) codecs);
  g_autofree int *pts = g_new0 (int, MAX (n_codecs, 1));

  assign_payload_types (codecs, pts);

  g_string_append_printf (sdp, "m=%s %u %s", media, port,
                          n_crypto > 0 && savp ? "RTP/SAVP" : "RTP/AVP");
  for (guint i = 0; i < n_codecs; i++)
    g_string_append_printf (sdp, " %d", pts[i]);
  g_string_append (sdp, "\r\n");

  for (guint i = 0; i < n_codecs; i++) {
    g_string_append_printf (sdp, "a=rtpmap:%d %s/%u", pts[i],
                            codecs[i]->rtpmap_name, codecs[i]->clock_rate);
    /* RFC 4566: the channel count is only written when it is not 1. */
    if (codecs[i]->channels > 1)
      g_string_append_printf (sdp, "/%u", codecs[i]->channels);
    g_string_append (sdp, "\r\n");
  }
  for (guint i = 0; i < n_codecs; i++) {
    if (codecs[i]->fmtp != NULL)
      g_string_append_printf (sdp, "a=fmtp:%d %s\r\n", pts[i], codecs[i]->fmtp);
  }
  for (guint i = 0; i < n_codecs; i++) {
    for (guint j = 0; j < G_N_ELEMENTS (rtcp_fb_values); j++) {
      if (codecs[i]->rtcp_fb & rtcp_fb_values[j].flag)
        g_string_append_printf (sdp, "a=rtcp-fb:%d %s\r\n", pts[i],
                                rtcp_fb_values[j].value);
    }
  }

  /* ptime is an audio attribute (RFC 4566 §6); 20 ms suits every codec. */
  if (g_str_equal (media, "audio"))
    g_string_append (sdp, "a=ptime:20\r\n");
  g_string_append_printf (sdp, "a=%s\r\n", sipcast_sdp_direction_to_string (direction));
  for (guint i = 0; i < n_crypto; i++)
    sipcast_sdp_append_crypto (sdp, &crypto[i]);
}

char *
sipcast_sdp_build_offer (const SipcastSdpOfferParams *params)
{
  GString *sdp;
  const char *addrtype;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (params->address != NULL, NULL);

  addrtype = sipcast_sdp_address_type (params->address);
  sdp = g_string_new ("v=0\r\n");
  g_string_append_printf (sdp, "o=sipcast %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                          " IN %s %s\r\n",
                          params->session_id, params->session_version,
                          addrtype, params->address);
  g_string_append (sdp, "s=sipcast\r\n");
  g_string_append_printf (sdp, "c=IN %s %s\r\n", addrtype, params->address);
  g_string_append (sdp, "t=0 0\r\n");

  if (params->audio_port != 0) {
    const SipcastCodec *const *audio = params->audio_codecs;

    if (audio == NULL)
      audio = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);
    append_media (sdp, "audio", params->audio_port, audio, params->audio_direction,
                  params->audio_crypto, params->audio_crypto ? params->n_crypto : 0,
                  params->savp);
  }
  if (params->video_port != 0)
    append_media (sdp, "video", params->video_port,
                  sipcast_codec_list (SIPCAST_MEDIA_VIDEO), params->video_direction,
                  params->video_crypto, params->video_crypto ? params->n_crypto : 0,
                  params->savp);

  return g_string_free (sdp, FALSE);
}

/* ---- answer parsing ---- */

void
sipcast_sdp_media_free (SipcastSdpMedia *media)
{
  g_free (media->address);
  g_free (media->fmtp);
  g_free (media->profile_level_id);
  g_free (media);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastSdpMedia, sipcast_sdp_media_free)

void
sipcast_sdp_answer_free (SipcastSdpAnswer *answer)
{
  if (answer == NULL)
    return;
  g_clear_pointer (&answer->audio, sipcast_sdp_media_free);
  g_clear_pointer (&answer->video, sipcast_sdp_media_free);
  g_free (answer);
}

const char *
sipcast_sdp_kind_name (SipcastMediaKind kind)
{
  switch (kind) {
  case SIPCAST_MEDIA_AUDIO:
    return "audio";
  case SIPCAST_MEDIA_VIDEO:
    return "video";
  }
  g_return_val_if_reached ("audio");
}

/* A decimal number in [0, max] that is the whole of @str, or up to the
 * first space when @stop_at_space.  Returns FALSE on anything else. */
gboolean
sipcast_sdp_parse_number (const char *str,
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

/* The value of the first a=@attribute:<pt> <value> on @media for @pt
 * (rtpmap, fmtp), without the payload type; NULL if there is none.  With
 * @wildcard, "*" counts as every payload type (rtcp-fb, RFC 4585 §4.2),
 * and @index selects the n-th match. */
static const char *
pt_attribute (const GstSDPMedia *media,
              const char        *attribute,
              guint              pt,
              gboolean           wildcard,
              guint              index)
{
  const char *val;

  for (guint i = 0; (val = gst_sdp_media_get_attribute_val_n (media, attribute, i)) != NULL; i++) {
    guint64 attr_pt;
    const char *space;

    if (wildcard && val[0] == '*' && val[1] == ' ') {
      space = val + 1;
    } else {
      if (!sipcast_sdp_parse_number (val, 127, TRUE, &attr_pt) || attr_pt != pt)
        continue;
      space = strchr (val, ' ');
      if (space == NULL)
        space = val + strlen (val);
    }
    if (index-- > 0)
      continue;
    while (*space == ' ')
      space++;
    return space;
  }
  return NULL;
}

/* Looks up the a=rtpmap of @pt on @media ("<pt> <name>/<rate>[/<ch>]").
 * Returns the codec it names if we speak it (with @fmtp telling H.264
 * packetization modes apart); *found says whether there was an rtpmap for
 * @pt at all. */
static const SipcastCodec *
codec_from_rtpmap (const GstSDPMedia *media,
                   SipcastMediaKind   kind,
                   guint              pt,
                   const char        *fmtp,
                   gboolean          *found)
{
  const char *val = pt_attribute (media, "rtpmap", pt, FALSE, 0);
  g_autofree char *encoding = NULL;
  g_auto (GStrv) parts = NULL;
  guint64 rate;

  *found = val != NULL;
  if (val == NULL || *val == '\0')
    return NULL;

  encoding = g_strstrip (g_strdup (val));
  parts = g_strsplit (encoding, "/", 3);
  if (parts[0] == NULL || parts[1] == NULL ||
      !sipcast_sdp_parse_number (parts[1], G_MAXUINT, FALSE, &rate))
    return NULL;
  return sipcast_codec_find_for_fmtp (kind, parts[0], (guint) rate, fmtp);
}

/* Static payload types without an rtpmap mean their RFC 3551 codec. */
static const SipcastCodec *
codec_from_static_pt (SipcastMediaKind kind,
                      guint            pt)
{
  const SipcastCodec *const *codecs = sipcast_codec_list (kind);

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
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                 "SDP answer has no connection address (c=) for %s",
                 gst_sdp_media_get_media (media));
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

/* Notes the a=rtcp-fb of the chosen payload type on @out. */
static void
read_rtcp_fb (const GstSDPMedia *media,
              SipcastSdpMedia   *out)
{
  const char *val;

  for (guint i = 0; (val = pt_attribute (media, "rtcp-fb", out->payload_type, TRUE, i)) != NULL; i++) {
    g_auto (GStrv) words = g_strsplit (val, " ", -1);
    guint n_words = 0;

    /* "nack", "nack pli", "ccm fir"; more words are parameters of a
     * feedback type we do not use ("ccm tmmbr smaxpr=…"). */
    for (guint j = 0; words[j] != NULL; j++) {
      if (*words[j] != '\0')
        words[n_words++] = words[j];
      else
        g_free (words[j]);
    }
    words[n_words] = NULL;

    if (n_words == 1 && g_ascii_strcasecmp (words[0], "nack") == 0)
      out->has_nack = TRUE;
    else if (n_words == 2 && g_ascii_strcasecmp (words[0], "nack") == 0 &&
             g_ascii_strcasecmp (words[1], "pli") == 0)
      out->has_pli = TRUE;
    else if (n_words == 2 && g_ascii_strcasecmp (words[0], "ccm") == 0 &&
             g_ascii_strcasecmp (words[1], "fir") == 0)
      out->has_fir = TRUE;
  }
}

/* The codec of payload type @pt on @media (rtpmap, else the static
 * number), or NULL when we do not speak it. */
const SipcastCodec *
sipcast_sdp_codec_of_pt (const GstSDPMedia *media,
             SipcastMediaKind   kind,
             guint              pt)
{
  const char *fmtp = pt_attribute (media, "fmtp", pt, FALSE, 0);
  gboolean has_rtpmap;
  const SipcastCodec *codec = codec_from_rtpmap (media, kind, pt, fmtp, &has_rtpmap);

  if (!has_rtpmap)
    codec = codec_from_static_pt (kind, pt);
  return codec;
}

/* What @out's codec and payload type come with on the line @media: the
 * payload type's fmtp (and H.264's profile-level-id) and rtcp-fb.  Fields
 * @out held before are replaced. */
void
sipcast_sdp_read_codec_details (const GstSDPMedia *media,
                    SipcastSdpMedia   *out)
{
  const char *fmtp = pt_attribute (media, "fmtp", out->payload_type, FALSE, 0);

  g_clear_pointer (&out->fmtp, g_free);
  g_clear_pointer (&out->profile_level_id, g_free);
  out->has_nack = out->has_pli = out->has_fir = FALSE;
  if (fmtp != NULL && *fmtp != '\0')
    out->fmtp = g_strdup (fmtp);
  if (out->codec->packetization_mode >= 0) {
    /* The codec row was chosen by this very mode. */
    out->packetization_mode = out->codec->packetization_mode;
    out->profile_level_id = sipcast_codec_fmtp_get (out->fmtp, "profile-level-id");
  }
  read_rtcp_fb (media, out);
}

/* What @out needs besides its codec and payload type, read from the
 * line @media of @msg (an "answer" or an "offer", for the error): the
 * payload type's fmtp (and H.264's profile-level-id), rtcp-fb, the
 * address, the RTCP port and the direction. */
static gboolean
is_savp (const char *proto)
{
  return g_strcmp0 (proto, "RTP/SAVP") == 0 || g_strcmp0 (proto, "RTP/SAVPF") == 0;
}

static gboolean
is_rtp_profile (const char *proto)
{
  return is_savp (proto) || g_strcmp0 (proto, "RTP/AVP") == 0 ||
         g_strcmp0 (proto, "RTP/AVPF") == 0;
}

/* The first a=crypto of @media we can use (RFC 4568 §5.1.1: the offerer
 * lists them by preference).  An RTP/SAVP line needs one; on RTP/AVP they
 * are a best-effort offer (or answer), and garbage there is ignored. */
static gboolean
read_crypto (const GstSDPMedia *media,
             const char        *what,
             SipcastSdpMedia   *out,
             GError           **error)
{
  const char *value;
  gboolean savp = is_savp (gst_sdp_media_get_proto (media));

  for (guint i = 0; (value = gst_sdp_media_get_attribute_val_n (media, "crypto", i)) != NULL; i++) {
    g_autoptr (GError) crypto_error = NULL;

    if (sipcast_sdp_crypto_parse (value, &out->crypto, &crypto_error)) {
      out->has_crypto = TRUE;
      return TRUE;
    }
    g_debug ("SDP %s: %s", what, crypto_error->message);
  }
  if (savp) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         NO_COMMON_CODECS);
    return FALSE;
  }
  return TRUE;
}

static gboolean
has_usable_crypto (const GstSDPMedia *media)
{
  SipcastSdpMedia probe = { 0 };

  return read_crypto (media, "offer", &probe, NULL) && probe.has_crypto;
}

static gboolean
read_chosen_line (const GstSDPMessage *msg,
                  const GstSDPMedia   *media,
                  const char          *what,
                  SipcastSdpMedia     *out,
                  GError             **error)
{
  const char *rtcp;

  sipcast_sdp_read_codec_details (media, out);

  out->address = media_address (msg, media, error);
  if (out->address == NULL)
    return FALSE;

  /* GstSDPMessage takes any number (and "-4" as 4294967292); the RTCP
   * port above it must be a port too. */
  if (out->port == 0 || out->port > 65534) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                 "SDP %s has an invalid port %u", what, out->port);
    return FALSE;
  }
  out->rtcp_port = out->port + 1;
  rtcp = gst_sdp_media_get_attribute_val (media, "rtcp");
  if (rtcp != NULL) {
    guint64 rtcp_port;

    /* "a=rtcp:<port> [IN IP4 <addr>]" (RFC 3605); the address, when
     * given, is nearly always the RTP address and we do not track it. */
    if (!sipcast_sdp_parse_number (rtcp, 65535, TRUE, &rtcp_port) || rtcp_port == 0) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                   "SDP %s has an invalid a=rtcp “%s”", what, rtcp);
      return FALSE;
    }
    out->rtcp_port = (guint) rtcp_port;
  }

  out->direction = media_direction (msg, media);
  return read_crypto (media, what, out, error);
}

static SipcastSdpMedia *
parse_media (const GstSDPMessage *msg,
             const GstSDPMedia   *media,
             SipcastMediaKind     kind,
             GError             **error)
{
  g_autoptr (SipcastSdpMedia) out = g_new0 (SipcastSdpMedia, 1);
  const char *proto = gst_sdp_media_get_proto (media);

  out->telephone_event_pt = -1;
  out->comfort_noise_pt = -1;
  out->packetization_mode = -1;
  out->port = gst_sdp_media_get_port (media);

  /* RTP/SAVP only with a key (read_chosen_line); never DTLS. */
  if (!is_rtp_profile (proto)) {
    g_debug ("Answer uses %s transport “%s”, not RTP/AVP", sipcast_sdp_kind_name (kind),
             proto ? proto : "");
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         NO_COMMON_CODECS);
    return NULL;
  }

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    const SipcastCodec *codec;
    guint64 pt;

    if (!sipcast_sdp_parse_number (gst_sdp_media_get_format (media, i), 127, FALSE, &pt))
      continue;

    codec = sipcast_sdp_codec_of_pt (media, kind, (guint) pt);
    if (codec == NULL)
      continue;

    if (sipcast_codec_is_telephone_event (codec)) {
      if (out->telephone_event_pt < 0)
        out->telephone_event_pt = (int) pt;
    } else if (sipcast_codec_is_comfort_noise (codec)) {
      if (out->comfort_noise_pt < 0)
        out->comfort_noise_pt = (int) pt;
    } else if (out->codec == NULL) {
      out->codec = codec;
      out->payload_type = (guint) pt;
    }
  }

  if (out->codec == NULL) {
    g_debug ("Answer's m=%s line has no codec we offered", sipcast_sdp_kind_name (kind));
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         NO_COMMON_CODECS);
    return NULL;
  }

  if (!read_chosen_line (msg, media, "answer", out, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* Parses the first m= line of @kind into *@out.  Absent or rejected
 * (port 0, RFC 3264 §6) leaves *@out NULL and is no error: the caller
 * decides whether the other line makes up for it. */
static gboolean
parse_first_media (const GstSDPMessage *msg,
                   SipcastMediaKind     kind,
                   SipcastSdpMedia    **out,
                   GError             **error)
{
  /* We offer at most one line of each kind, and an answer has the offer's
   * lines in the offer's order (RFC 3264 §6), so the first one is ours. */
  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);

    if (g_strcmp0 (gst_sdp_media_get_media (media), sipcast_sdp_kind_name (kind)) != 0)
      continue;
    if (gst_sdp_media_get_port (media) == 0) {
      g_debug ("Answer rejects %s", sipcast_sdp_kind_name (kind));
      return TRUE;
    }
    *out = parse_media (msg, media, kind, error);
    return *out != NULL;
  }
  g_debug ("Answer has no m=%s line", sipcast_sdp_kind_name (kind));
  return TRUE;
}

/* @sdp (an "offer" or an "answer", for the errors) parsed, or NULL with
 * SIPCAST_ERROR_SDP when it is empty, too large or not SDP at all. */
GstSDPMessage *
sipcast_sdp_parse_message (const char  *sdp,
               const char  *what,
               GError     **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  gsize len = sdp != NULL ? strlen (sdp) : 0;

  if (len == 0 || len > G_MAXUINT) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP, "SDP %s is %s", what,
                 len == 0 ? "empty" : "too large");
    return NULL;
  }

  gst_sdp_message_new (&msg);
  /* GstSDPMessage skips lines it does not understand, so a body that is
   * not SDP at all parses "fine"; v= and o= are mandatory (RFC 4566 §5)
   * and tell a real session description from noise. */
  if (gst_sdp_message_parse_buffer ((const guint8 *) sdp, (guint) len, msg) != GST_SDP_OK ||
      gst_sdp_message_get_version (msg) == NULL ||
      gst_sdp_message_get_origin (msg)->username == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                 "SDP %s is not a session description (no v= or o= line)", what);
    return NULL;
  }
  /* A call takes one audio and one video line; hundreds are an attack
   * (every line is answered, and looked at on every re-offer). */
  if (gst_sdp_message_medias_len (msg) > SIPCAST_SDP_MAX_MEDIA) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
                 "SDP %s has %u media lines, more than %d", what,
                 gst_sdp_message_medias_len (msg), SIPCAST_SDP_MAX_MEDIA);
    return NULL;
  }
  return g_steal_pointer (&msg);
}

/* The audio and video an answer (or a re-offer) @msg names. */
SipcastSdpAnswer *
sipcast_sdp_answer_from_message (const GstSDPMessage  *msg,
                     GError              **error)
{
  g_autoptr (SipcastSdpAnswer) answer = g_new0 (SipcastSdpAnswer, 1);

  if (!parse_first_media (msg, SIPCAST_MEDIA_AUDIO, &answer->audio, error) ||
      !parse_first_media (msg, SIPCAST_MEDIA_VIDEO, &answer->video, error))
    return NULL;

  /* Every line absent or rejected: nothing to publish, which the call
   * reports like any other codec mismatch. */
  if (answer->audio == NULL && answer->video == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         NO_COMMON_CODECS);
    return NULL;
  }

  return g_steal_pointer (&answer);
}

SipcastSdpAnswer *
sipcast_sdp_parse_answer (const char *sdp,
                          GError    **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  msg = sipcast_sdp_parse_message (sdp, "answer", error);
  if (msg == NULL)
    return NULL;
  return sipcast_sdp_answer_from_message (msg, error);
}

/* ---- offer parsing and answer building (incoming calls) ---- */

/*
 * An incoming INVITE carries the far end's offer.  We answer per RFC 3264
 * §6: the same m= lines in the same order; on the first audio (video)
 * line the one codec we take, chosen in OUR configured preference order
 * (the operator's audio-codecs, the same list an outgoing call offers),
 * plus telephone-event when the line offers it; every other line refused
 * with port 0.  The far end's payload type numbers are used as they are.
 */

static void
offer_line_free (gpointer data)
{
  SipcastSdpOfferLine *line = data;

  g_free (line->media);
  g_free (line->proto);
  g_free (line->formats);
  g_clear_pointer (&line->chosen, sipcast_sdp_media_free);
  g_free (line);
}

void
sipcast_sdp_offer_free (SipcastSdpOffer *offer)
{
  if (offer == NULL)
    return;
  g_ptr_array_unref (offer->lines);
  g_free (offer);
}

SipcastSdpDirection
sipcast_sdp_direction_reverse (SipcastSdpDirection direction)
{
  switch (direction) {
  case SIPCAST_SDP_SENDRECV:
    return SIPCAST_SDP_SENDRECV;
  case SIPCAST_SDP_SENDONLY:
    return SIPCAST_SDP_RECVONLY;
  case SIPCAST_SDP_RECVONLY:
    return SIPCAST_SDP_SENDONLY;
  case SIPCAST_SDP_INACTIVE:
    return SIPCAST_SDP_INACTIVE;
  }
  g_return_val_if_reached (SIPCAST_SDP_SENDRECV);
}

SipcastSdpDirection
sipcast_sdp_answer_direction (SipcastSdpDirection offered,
                              gboolean            we_send)
{
  switch (offered) {
  case SIPCAST_SDP_SENDRECV:
    return we_send ? SIPCAST_SDP_SENDRECV : SIPCAST_SDP_RECVONLY;
  case SIPCAST_SDP_SENDONLY:
    return SIPCAST_SDP_RECVONLY;
  case SIPCAST_SDP_RECVONLY:
    /* It only wants to hear us; we receive nothing either way. */
    return we_send ? SIPCAST_SDP_SENDONLY : SIPCAST_SDP_INACTIVE;
  case SIPCAST_SDP_INACTIVE:
    return SIPCAST_SDP_INACTIVE;
  }
  g_return_val_if_reached (SIPCAST_SDP_INACTIVE);
}

/* The chosen codec of an offered line of @kind, or NULL (no error) when
 * it offers none of @prefs. */
static SipcastSdpMedia *
choose_from_offer (const GstSDPMessage       *msg,
                   const GstSDPMedia         *media,
                   SipcastMediaKind           kind,
                   const SipcastCodec *const *prefs,
                   GError                   **error)
{
  g_autoptr (SipcastSdpMedia) out = g_new0 (SipcastSdpMedia, 1);
  guint n_formats = gst_sdp_media_formats_len (media);

  out->telephone_event_pt = -1;
  out->comfort_noise_pt = -1;
  out->packetization_mode = -1;
  out->port = gst_sdp_media_get_port (media);

  /* Our preference first: the first row of ours the line offers, at the
   * first payload type (in offer order) that names it. */
  for (guint i = 0; prefs[i] != NULL && out->codec == NULL; i++) {
    for (guint j = 0; j < n_formats; j++) {
      guint64 pt;

      if (!sipcast_sdp_parse_number (gst_sdp_media_get_format (media, j), 127, FALSE, &pt))
        continue;
      if (sipcast_sdp_codec_of_pt (media, kind, (guint) pt) != prefs[i])
        continue;
      if (sipcast_codec_is_auxiliary (prefs[i]))
        continue;
      out->codec = prefs[i];
      out->payload_type = (guint) pt;
      break;
    }
  }
  if (out->codec == NULL) {
    g_debug ("Offer's m=%s line has no codec we take", sipcast_sdp_kind_name (kind));
    return NULL;
  }

  /* telephone-event and CN ride along when the line offers them (and we
   * do: they are in every list of ours). */
  for (guint j = 0; kind == SIPCAST_MEDIA_AUDIO && j < n_formats; j++) {
    guint64 pt;
    const SipcastCodec *codec;

    if (!sipcast_sdp_parse_number (gst_sdp_media_get_format (media, j), 127, FALSE, &pt))
      continue;
    codec = sipcast_sdp_codec_of_pt (media, kind, (guint) pt);
    if (codec == NULL)
      continue;
    if (sipcast_codec_is_telephone_event (codec) && out->telephone_event_pt < 0)
      out->telephone_event_pt = (int) pt;
    else if (sipcast_codec_is_comfort_noise (codec) && out->comfort_noise_pt < 0)
      out->comfort_noise_pt = (int) pt;
  }

  if (!read_chosen_line (msg, media, "offer", out, error))
    return NULL;
  return g_steal_pointer (&out);
}

static char *
offered_formats (const GstSDPMedia *media)
{
  GString *formats = g_string_new (NULL);

  for (guint i = 0; i < gst_sdp_media_formats_len (media); i++) {
    if (i > 0)
      g_string_append_c (formats, ' ');
    g_string_append (formats, gst_sdp_media_get_format (media, i));
  }
  /* A refused line still needs a format (RFC 4566 §5.14). */
  if (formats->len == 0)
    g_string_append_c (formats, '0');
  return g_string_free (formats, FALSE);
}

SipcastSdpOffer *
sipcast_sdp_parse_offer (const char                *sdp,
                         const SipcastCodec *const *audio_codecs,
                         const SipcastCodec *const *video_codecs,
                         GError                   **error)
{
  g_autoptr (GstSDPMessage) msg = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;

  g_return_val_if_fail (audio_codecs != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  msg = sipcast_sdp_parse_message (sdp, "offer", error);
  if (msg == NULL)
    return NULL;

  offer = g_new0 (SipcastSdpOffer, 1);
  offer->lines = g_ptr_array_new_with_free_func (offer_line_free);

  for (guint i = 0; i < gst_sdp_message_medias_len (msg); i++) {
    const GstSDPMedia *media = gst_sdp_message_get_media (msg, i);
    SipcastSdpOfferLine *line = g_new0 (SipcastSdpOfferLine, 1);
    const SipcastCodec *const *prefs = NULL;
    SipcastSdpOfferLine **slot = NULL;
    g_autoptr (GError) line_error = NULL;

    line->media = g_strdup (gst_sdp_media_get_media (media) ? gst_sdp_media_get_media (media) : "");
    line->proto = g_strdup (gst_sdp_media_get_proto (media) ? gst_sdp_media_get_proto (media) : "RTP/AVP");
    line->formats = offered_formats (media);
    line->port = gst_sdp_media_get_port (media);
    g_ptr_array_add (offer->lines, line);

    if (g_str_equal (line->media, "audio")) {
      prefs = audio_codecs;
      slot = &offer->audio;
    } else if (g_str_equal (line->media, "video")) {
      prefs = video_codecs;
      slot = &offer->video;
    }
    if (prefs == NULL || *slot != NULL || line->port == 0 || !is_rtp_profile (line->proto))
      continue;
    /* SRTP without a key we can use: refused like any other transport
     * we do not speak. */
    if (is_savp (line->proto) && !has_usable_crypto (media))
      continue;

    line->chosen = choose_from_offer (msg, media,
                                      slot == &offer->audio ? SIPCAST_MEDIA_AUDIO :
                                      SIPCAST_MEDIA_VIDEO, prefs, &line_error);
    if (line_error != NULL) {
      g_propagate_error (error, g_steal_pointer (&line_error));
      return NULL;
    }
    if (line->chosen != NULL)
      *slot = line;
  }

  if (offer->audio == NULL && offer->video == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         NO_COMMON_CODECS);
    return NULL;
  }
  return g_steal_pointer (&offer);
}

/* The accepted line: the chosen payload type (and telephone-event),
 * described as the far end numbered them. */
static void
append_answer_media (GString                   *sdp,
                     const SipcastSdpOfferLine *line,
                     guint                      port,
                     SipcastSdpDirection        direction)
{
  const SipcastSdpMedia *chosen = line->chosen;
  const SipcastCodec *codec = chosen->codec;
  const char *fmtp;

  g_string_append_printf (sdp, "m=%s %u %s %u", line->media, port, line->proto,
                          chosen->payload_type);
  if (chosen->comfort_noise_pt >= 0)
    g_string_append_printf (sdp, " %d", chosen->comfort_noise_pt);
  if (chosen->telephone_event_pt >= 0)
    g_string_append_printf (sdp, " %d", chosen->telephone_event_pt);
  g_string_append (sdp, "\r\n");

  g_string_append_printf (sdp, "a=rtpmap:%u %s/%u", chosen->payload_type,
                          codec->rtpmap_name, codec->clock_rate);
  if (codec->channels > 1)
    g_string_append_printf (sdp, "/%u", codec->channels);
  g_string_append (sdp, "\r\n");
  if (chosen->comfort_noise_pt >= 0)
    g_string_append_printf (sdp, "a=rtpmap:%d CN/8000\r\n", chosen->comfort_noise_pt);
  if (chosen->telephone_event_pt >= 0)
    g_string_append_printf (sdp, "a=rtpmap:%d telephone-event/8000\r\n",
                            chosen->telephone_event_pt);

  /* H.264: the offerer's parameters describe the stream it will send,
   * and the answer must not contradict them (RFC 6184 §8.2.2); for the
   * others, what we ask for ourselves. */
  fmtp = codec->packetization_mode >= 0 && chosen->fmtp != NULL ? chosen->fmtp : codec->fmtp;
  if (fmtp != NULL)
    g_string_append_printf (sdp, "a=fmtp:%u %s\r\n", chosen->payload_type, fmtp);
  if (chosen->telephone_event_pt >= 0)
    g_string_append_printf (sdp, "a=fmtp:%d 0-16\r\n", chosen->telephone_event_pt);
  for (guint j = 0; j < G_N_ELEMENTS (rtcp_fb_values); j++) {
    if (codec->rtcp_fb & rtcp_fb_values[j].flag)
      g_string_append_printf (sdp, "a=rtcp-fb:%u %s\r\n", chosen->payload_type,
                              rtcp_fb_values[j].value);
  }

  if (codec->kind == SIPCAST_MEDIA_AUDIO)
    g_string_append (sdp, "a=ptime:20\r\n");
  g_string_append_printf (sdp, "a=%s\r\n", sipcast_sdp_direction_to_string (direction));
  if (chosen->has_crypto)
    sipcast_sdp_append_crypto (sdp, &chosen->local_crypto);
}

char *
sipcast_sdp_build_answer (const SipcastSdpOffer        *offer,
                          const SipcastSdpAnswerParams *params)
{
  GString *sdp;
  const char *addrtype;

  g_return_val_if_fail (offer != NULL, NULL);
  g_return_val_if_fail (params != NULL && params->address != NULL, NULL);

  addrtype = sipcast_sdp_address_type (params->address);
  sdp = g_string_new ("v=0\r\n");
  g_string_append_printf (sdp, "o=sipcast %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                          " IN %s %s\r\n",
                          params->session_id, params->session_version,
                          addrtype, params->address);
  g_string_append (sdp, "s=sipcast\r\n");
  g_string_append_printf (sdp, "c=IN %s %s\r\n", addrtype, params->address);
  g_string_append (sdp, "t=0 0\r\n");

  for (guint i = 0; i < offer->lines->len; i++) {
    const SipcastSdpOfferLine *line = g_ptr_array_index (offer->lines, i);

    if (line == offer->audio && params->audio_port != 0)
      append_answer_media (sdp, line, params->audio_port, params->audio_direction);
    else if (line == offer->video && params->video_port != 0)
      append_answer_media (sdp, line, params->video_port, params->video_direction);
    else
      g_string_append_printf (sdp, "m=%s 0 %s %s\r\n", line->media, line->proto,
                              line->formats);
  }

  return g_string_free (sdp, FALSE);
}

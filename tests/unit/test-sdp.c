/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-sdp"

#include <string.h>

#include <glib.h>

#include "sipcast-error.h"
#include "sipcast-sdp.h"

/*
 * SDP offers as a SIP peer reads them, and answers as real peers write
 * them (Asterisk, FreeSWITCH, phones, browsers behind a gateway): the codec
 * we pick, where we send RTP and RTCP, what the far end says about H.264
 * and key-frame requests, and the errors that end a call with "No common
 * codecs".
 */

static char *
build_offer (guint               audio_port,
             SipcastSdpDirection direction)
{
  SipcastSdpOfferParams params = {
    .address = "192.0.2.10",
    .session_id = 1234567890123ULL,
    .session_version = 2,
    .audio_port = audio_port,
    .audio_direction = direction,
  };

  return sipcast_sdp_build_offer (&params);
}

static char *
build_av_offer (guint               audio_port,
                SipcastSdpDirection audio_direction,
                guint               video_port,
                SipcastSdpDirection video_direction)
{
  SipcastSdpOfferParams params = {
    .address = "192.0.2.10",
    .session_id = 1234567890123ULL,
    .session_version = 2,
    .audio_port = audio_port,
    .audio_direction = audio_direction,
    .video_port = video_port,
    .video_direction = video_direction,
  };

  return sipcast_sdp_build_offer (&params);
}

/* The default audio m= section, after the m= line itself. */
#define DEFAULT_AUDIO_ATTRIBUTES \
  "a=rtpmap:96 opus/48000/2\r\n" \
  "a=rtpmap:9 G722/8000\r\n" \
  "a=rtpmap:0 PCMU/8000\r\n" \
  "a=rtpmap:8 PCMA/8000\r\n" \
  "a=rtpmap:13 CN/8000\r\n" \
  "a=rtpmap:101 telephone-event/8000\r\n" \
  "a=fmtp:96 minptime=10;useinbandfec=1\r\n" \
  "a=fmtp:101 0-16\r\n" \
  "a=ptime:20\r\n"

#define VIDEO_ATTRIBUTES \
  "a=rtpmap:96 H264/90000\r\n" \
  "a=rtpmap:97 H264/90000\r\n" \
  "a=rtpmap:98 VP8/90000\r\n" \
  "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n" \
  "a=fmtp:97 profile-level-id=42e01f;packetization-mode=0\r\n" \
  "a=rtcp-fb:96 nack pli\r\n" \
  "a=rtcp-fb:96 ccm fir\r\n" \
  "a=rtcp-fb:97 nack pli\r\n" \
  "a=rtcp-fb:97 ccm fir\r\n" \
  "a=rtcp-fb:98 nack pli\r\n" \
  "a=rtcp-fb:98 ccm fir\r\n"

static void
test_offer_send_recv (void)
{
  g_autofree char *sdp = build_offer (31000, SIPCAST_SDP_SENDRECV);

  g_assert_cmpstr (sdp, ==,
                   "v=0\r\n"
                   "o=sipcast 1234567890123 2 IN IP4 192.0.2.10\r\n"
                   "s=sipcast\r\n"
                   "c=IN IP4 192.0.2.10\r\n"
                   "t=0 0\r\n"
                   "m=audio 31000 RTP/AVP 96 9 0 8 13 101\r\n"
                   DEFAULT_AUDIO_ATTRIBUTES
                   "a=sendrecv\r\n");
}

static void
test_offer_recv_only (void)
{
  /* hasAudio=false: we still receive the far end's audio, send none. */
  g_autofree char *sdp = build_offer (31002, SIPCAST_SDP_RECVONLY);

  g_assert_nonnull (strstr (sdp, "\r\nm=audio 31002 RTP/AVP 96 9 0 8 13 101\r\n"));
  g_assert_nonnull (strstr (sdp, "\r\na=recvonly\r\n"));
  g_assert_null (strstr (sdp, "sendrecv"));
  g_assert_true (g_str_has_suffix (sdp, "\r\n"));
}

static void
test_offer_line_endings (void)
{
  g_autofree char *sdp = build_offer (31000, SIPCAST_SDP_SENDRECV);

  /* Every line ends with CRLF and nothing else (RFC 4566 §5). */
  for (const char *p = sdp; *p != '\0'; p++) {
    if (*p == '\n')
      g_assert_cmpint (p > sdp ? p[-1] : 0, ==, '\r');
    if (*p == '\r')
      g_assert_cmpint (p[1], ==, '\n');
  }
}

static void
test_offer_parses_back (void)
{
  g_autofree char *sdp = build_offer (31000, SIPCAST_SDP_SENDRECV);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpAnswer) parsed = NULL;

  /* Our offer read as if it were an answer: what a peer echoing it gets. */
  parsed = sipcast_sdp_parse_answer (sdp, &error);
  g_assert_no_error (error);
  g_assert_nonnull (parsed->audio);
  g_assert_cmpstr (parsed->audio->codec->encoding_name, ==, "OPUS");
  g_assert_cmpuint (parsed->audio->payload_type, ==, 96);
  g_assert_cmpstr (parsed->audio->fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_cmpint (parsed->audio->telephone_event_pt, ==, 101);
  g_assert_cmpstr (parsed->audio->address, ==, "192.0.2.10");
  g_assert_cmpuint (parsed->audio->port, ==, 31000);
  g_assert_null (parsed->video);
}

static void
test_offer_video (void)
{
  g_autofree char *sdp = build_av_offer (31000, SIPCAST_SDP_SENDRECV,
                                         31002, SIPCAST_SDP_SENDRECV);

  /* Payload types count from 96 again on the video line: each m= line is
   * its own RTP session. */
  g_assert_cmpstr (sdp, ==,
                   "v=0\r\n"
                   "o=sipcast 1234567890123 2 IN IP4 192.0.2.10\r\n"
                   "s=sipcast\r\n"
                   "c=IN IP4 192.0.2.10\r\n"
                   "t=0 0\r\n"
                   "m=audio 31000 RTP/AVP 96 9 0 8 13 101\r\n"
                   DEFAULT_AUDIO_ATTRIBUTES
                   "a=sendrecv\r\n"
                   "m=video 31002 RTP/AVP 96 97 98\r\n"
                   VIDEO_ATTRIBUTES
                   "a=sendrecv\r\n");
}

static void
test_offer_video_recv_only (void)
{
  /* hasVideo=false: the far end's video is still wanted; hasAudio=true
   * keeps audio sendrecv. */
  g_autofree char *sdp = build_av_offer (31000, SIPCAST_SDP_SENDRECV,
                                         31002, SIPCAST_SDP_RECVONLY);
  const char *video = strstr (sdp, "m=video");

  g_assert_nonnull (video);
  g_assert_true (g_str_has_suffix (sdp, "m=video 31002 RTP/AVP 96 97 98\r\n"
                                   VIDEO_ATTRIBUTES
                                   "a=recvonly\r\n"));
  g_assert_nonnull (g_strstr_len (sdp, video - sdp, "\r\na=sendrecv\r\n"));
  /* ptime belongs to audio only. */
  g_assert_null (strstr (video, "ptime"));
}

static void
test_offer_video_only (void)
{
  g_autofree char *sdp = build_av_offer (0, SIPCAST_SDP_SENDRECV,
                                         31004, SIPCAST_SDP_RECVONLY);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpAnswer) parsed = NULL;

  g_assert_null (strstr (sdp, "m=audio"));
  g_assert_nonnull (strstr (sdp, "\r\nt=0 0\r\nm=video 31004 RTP/AVP 96 97 98\r\n"));

  /* Read back: H.264 mode 1 first, with everything we said about it. */
  parsed = sipcast_sdp_parse_answer (sdp, &error);
  g_assert_no_error (error);
  g_assert_null (parsed->audio);
  g_assert_nonnull (parsed->video);
  g_assert_cmpstr (parsed->video->codec->encoding_name, ==, "H264");
  g_assert_cmpuint (parsed->video->payload_type, ==, 96);
  g_assert_cmpint (parsed->video->packetization_mode, ==, 1);
  g_assert_cmpstr (parsed->video->profile_level_id, ==, "42e01f");
  g_assert_cmpstr (parsed->video->fmtp, ==, "profile-level-id=42e01f;packetization-mode=1");
  g_assert_true (parsed->video->has_pli);
  g_assert_true (parsed->video->has_fir);
  g_assert_false (parsed->video->has_nack);
  g_assert_cmpint (parsed->video->telephone_event_pt, ==, -1);
  g_assert_cmpuint (parsed->video->port, ==, 31004);
  g_assert_cmpuint (parsed->video->rtcp_port, ==, 31005);
  g_assert_cmpint (parsed->video->direction, ==, SIPCAST_SDP_RECVONLY);
}

static void
test_offer_audio_order (void)
{
  static const struct {
    const char *const names[5];
    const char *m_line;
    const char *rtpmaps;
  } cases[] = {
    { { "PCMA", "OPUS", NULL }, "m=audio 31000 RTP/AVP 8 96 13 101\r\n",
      "a=rtpmap:8 PCMA/8000\r\n"
      "a=rtpmap:96 opus/48000/2\r\n"
      "a=rtpmap:13 CN/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:96 minptime=10;useinbandfec=1\r\n"
      "a=fmtp:101 0-16\r\n" },
    { { "PCMU", NULL }, "m=audio 31000 RTP/AVP 0 13 101\r\n",
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:13 CN/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n" },
    { { "G722", "PCMU", NULL }, "m=audio 31000 RTP/AVP 9 0 13 101\r\n",
      "a=rtpmap:9 G722/8000\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:13 CN/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree const SipcastCodec **codecs =
      sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO, cases[i].names, &error);
    SipcastSdpOfferParams params = {
      .address = "192.0.2.10",
      .session_id = 1,
      .session_version = 1,
      .audio_port = 31000,
      .audio_codecs = codecs,
    };
    g_autofree char *sdp = NULL;
    g_autofree char *expected = NULL;

    g_assert_no_error (error);
    sdp = sipcast_sdp_build_offer (&params);
    expected = g_strconcat (cases[i].m_line, cases[i].rtpmaps,
                            "a=ptime:20\r\na=sendrecv\r\n", NULL);
    g_test_message ("%s", sdp);
    g_assert_true (g_str_has_suffix (sdp, expected));
  }
}

static void
test_offer_without_audio (void)
{
  g_autofree char *sdp = build_offer (0, SIPCAST_SDP_SENDRECV);

  g_assert_null (strstr (sdp, "m=audio"));
  g_assert_true (g_str_has_prefix (sdp, "v=0\r\n"));
}

static void
test_direction_names (void)
{
  g_assert_cmpstr (sipcast_sdp_direction_to_string (SIPCAST_SDP_SENDRECV), ==, "sendrecv");
  g_assert_cmpstr (sipcast_sdp_direction_to_string (SIPCAST_SDP_SENDONLY), ==, "sendonly");
  g_assert_cmpstr (sipcast_sdp_direction_to_string (SIPCAST_SDP_RECVONLY), ==, "recvonly");
  g_assert_cmpstr (sipcast_sdp_direction_to_string (SIPCAST_SDP_INACTIVE), ==, "inactive");
}

static SipcastSdpAnswer *
answer_ok (const char *sdp)
{
  g_autoptr (GError) error = NULL;
  SipcastSdpAnswer *answer = sipcast_sdp_parse_answer (sdp, &error);

  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return answer;
}

static void
answer_fails (const char *sdp,
              int         code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpAnswer) answer = sipcast_sdp_parse_answer (sdp, &error);

  g_assert_null (answer);
  g_assert_error (error, SIPCAST_ERROR, code);
  if (code == SIPCAST_ERROR_NO_COMMON_CODEC)
    g_assert_cmpstr (error->message, ==, "No common codecs");
}

#define SESSION_HEAD \
  "v=0\r\n" \
  "o=- 3920 3921 IN IP4 198.51.100.7\r\n" \
  "s=-\r\n"

static void
test_answer_pcma (void)
{
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=sendrecv\r\n");
  SipcastSdpMedia *audio = answer->audio;

  g_assert_nonnull (audio);
  g_assert_cmpstr (audio->codec->encoding_name, ==, "PCMA");
  g_assert_cmpstr (audio->codec->depayloader, ==, "rtppcmadepay");
  g_assert_cmpuint (audio->payload_type, ==, 8);
  g_assert_cmpint (audio->telephone_event_pt, ==, 101);
  g_assert_cmpstr (audio->address, ==, "198.51.100.7");
  g_assert_cmpuint (audio->port, ==, 40000);
  g_assert_cmpuint (audio->rtcp_port, ==, 40001);
  g_assert_cmpint (audio->direction, ==, SIPCAST_SDP_SENDRECV);
}

static void
test_answer_pcmu_no_rtpmap (void)
{
  /* Static payload types may come without rtpmap (RFC 3551), LF-only
   * line ends happen too. */
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    "v=0\n"
    "o=- 1 1 IN IP4 198.51.100.8\n"
    "s=-\n"
    "c=IN IP4 198.51.100.8\n"
    "t=0 0\n"
    "m=audio 40002 RTP/AVP 0\n");

  g_assert_nonnull (answer->audio);
  g_assert_cmpstr (answer->audio->codec->encoding_name, ==, "PCMU");
  g_assert_cmpstr (answer->audio->codec->decoder, ==, "mulawdec");
  g_assert_cmpuint (answer->audio->payload_type, ==, 0);
  g_assert_cmpint (answer->audio->telephone_event_pt, ==, -1);
  g_assert_cmpstr (answer->audio->address, ==, "198.51.100.8");
  g_assert_cmpuint (answer->audio->port, ==, 40002);
}

static void
test_answer_order (void)
{
  /* The answerer's first listed codec wins, whatever our order was. */
  g_autoptr (SipcastSdpAnswer) pcma_first = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 8 0\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n");
  g_autoptr (SipcastSdpAnswer) pcmu_first = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 8\r\n");

  g_assert_cmpstr (pcma_first->audio->codec->encoding_name, ==, "PCMA");
  g_assert_cmpuint (pcma_first->audio->payload_type, ==, 8);
  g_assert_cmpstr (pcmu_first->audio->codec->encoding_name, ==, "PCMU");
  g_assert_cmpuint (pcmu_first->audio->payload_type, ==, 0);
}

static void
test_answer_unknown_codecs_skipped (void)
{
  /* G.729 (18) and a dynamic codec we never offered come first; the
   * rtpmap, not the number, says what a dynamic pt is. */
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 18 97 96 8\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:97 iLBC/8000\r\n"
    "a=rtpmap:96 telephone-event/8000\r\n"
    "a=fmtp:96 0-15\r\n");

  g_assert_cmpstr (answer->audio->codec->encoding_name, ==, "PCMA");
  g_assert_cmpuint (answer->audio->payload_type, ==, 8);
  g_assert_cmpint (answer->audio->telephone_event_pt, ==, 96);
}

static void
test_answer_telephone_event_first (void)
{
  /* telephone-event is never the voice codec, even when listed first;
   * rtpmap names are case-insensitive. */
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 100 0\r\n"
    "a=rtpmap:100 Telephone-Event/8000\r\n"
    "a=rtpmap:0 pcmu/8000\r\n");

  g_assert_cmpstr (answer->audio->codec->encoding_name, ==, "PCMU");
  g_assert_cmpint (answer->audio->telephone_event_pt, ==, 100);
}

static void
test_answer_session_connection (void)
{
  /* c= only at session level, RTCP on a separate port (RFC 3605), and
   * the direction at session level. */
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 203.0.113.5\r\n"
    "t=0 0\r\n"
    "a=sendonly\r\n"
    "m=audio 40010 RTP/AVP 8\r\n"
    "a=rtcp:40111 IN IP4 203.0.113.5\r\n");

  g_assert_cmpstr (answer->audio->address, ==, "203.0.113.5");
  g_assert_cmpuint (answer->audio->port, ==, 40010);
  g_assert_cmpuint (answer->audio->rtcp_port, ==, 40111);
  g_assert_cmpint (answer->audio->direction, ==, SIPCAST_SDP_SENDONLY);
}

static void
test_answer_media_connection_wins (void)
{
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 203.0.113.5\r\n"
    "t=0 0\r\n"
    "a=sendonly\r\n"
    "m=audio 40010 RTP/AVP 8\r\n"
    "c=IN IP4 203.0.113.99\r\n"
    "a=rtcp:40013\r\n"
    "a=recvonly\r\n");

  g_assert_cmpstr (answer->audio->address, ==, "203.0.113.99");
  g_assert_cmpuint (answer->audio->rtcp_port, ==, 40013);
  g_assert_cmpint (answer->audio->direction, ==, SIPCAST_SDP_RECVONLY);
}

static void
test_answer_inactive (void)
{
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 203.0.113.5\r\n"
    "t=0 0\r\n"
    "m=audio 40010 RTP/AVP 8\r\n"
    "a=inactive\r\n");

  g_assert_cmpint (answer->audio->direction, ==, SIPCAST_SDP_INACTIVE);
}

static void
test_answer_ipv6 (void)
{
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    "v=0\r\n"
    "o=- 1 1 IN IP6 2001:db8::7\r\n"
    "s=-\r\n"
    "c=IN IP6 2001:db8::7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 8\r\n");

  g_assert_cmpstr (answer->audio->address, ==, "2001:db8::7");
}

static void
test_answer_rejected (void)
{
  /* Port 0: the far end declines a stream, which is not a parse error as
   * long as another one is left... */
  g_autoptr (SipcastSdpAnswer) no_audio = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 0 RTP/AVP 0\r\n"
    "m=video 40002 RTP/AVP 97\r\n"
    "a=rtpmap:97 VP8/90000\r\n");
  g_autoptr (SipcastSdpAnswer) no_video = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n");

  g_assert_null (no_audio->audio);
  g_assert_nonnull (no_audio->video);
  g_assert_cmpstr (no_audio->video->codec->encoding_name, ==, "VP8");
  g_assert_nonnull (no_video->audio);
  g_assert_null (no_video->video);

  /* ...but with nothing left there is nothing to publish. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 0 RTP/AVP 0\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 0 RTP/AVP 0\r\n"
                "m=video 0 RTP/AVP 96\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
}

static void
test_answer_no_common_codec (void)
{
  /* G.729 and GSM (static 3, no rtpmap) are not ours. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 18 3\r\n"
                "a=rtpmap:18 G729/8000\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  /* Only telephone-event is no voice codec. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 101\r\n"
                "a=rtpmap:101 telephone-event/8000\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  /* PCMA at the wrong clock rate is not PCMA. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 96\r\n"
                "a=rtpmap:96 PCMA/16000\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  /* SRTP we did not offer. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/SAVP 0\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
}

static void
test_answer_no_media_line (void)
{
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  /* Media we never offer is no media line of ours. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=application 40000 UDP/BFCP *\r\n"
                "m=text 40002 RTP/AVP 98\r\n"
                "a=rtpmap:98 t140/1000\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
}

static void
test_answer_video_only (void)
{
  /* No m=audio at all: a camera, or a peer that dropped the line. */
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=video 40000 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n");

  g_assert_null (answer->audio);
  g_assert_nonnull (answer->video);
  g_assert_cmpstr (answer->video->codec->encoding_name, ==, "H264");
  g_assert_cmpuint (answer->video->payload_type, ==, 96);
  /* RFC 6184: no fmtp means packetization-mode 0, and no profile. */
  g_assert_cmpint (answer->video->packetization_mode, ==, 0);
  g_assert_cmpint (answer->video->codec->packetization_mode, ==, 0);
  g_assert_null (answer->video->fmtp);
  g_assert_null (answer->video->profile_level_id);
  g_assert_false (answer->video->has_pli);
  g_assert_false (answer->video->has_fir);
  g_assert_false (answer->video->has_nack);
  g_assert_cmpuint (answer->video->port, ==, 40000);
  g_assert_cmpuint (answer->video->rtcp_port, ==, 40001);
}

static void
test_answer_audio_and_video (void)
{
  /* A video phone: its own payload numbers, c= per line, RTCP feedback
   * per payload type, separate rtcp ports. */
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 9 101\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n"
    "m=video 40002 RTP/AVPF 109\r\n"
    "c=IN IP4 198.51.100.9\r\n"
    "b=AS:1024\r\n"
    "a=rtpmap:109 H264/90000\r\n"
    "a=fmtp:109 profile-level-id=42801F; packetization-mode=1; "
    "sprop-parameter-sets=Z0KAH9oBQBbpUgAAAwACAAADAGQeMGVA,aM4G4g==\r\n"
    "a=rtcp-fb:109 nack\r\n"
    "a=rtcp-fb:109 nack pli\r\n"
    "a=rtcp-fb:109 ccm tmmbr\r\n"
    "a=rtcp:40005\r\n"
    "a=sendonly\r\n");
  SipcastSdpMedia *audio = answer->audio;
  SipcastSdpMedia *video = answer->video;

  g_assert_cmpstr (audio->codec->encoding_name, ==, "G722");
  g_assert_cmpstr (audio->codec->depayloader, ==, "rtpg722depay");
  g_assert_cmpuint (audio->payload_type, ==, 9);
  g_assert_cmpint (audio->telephone_event_pt, ==, 101);
  g_assert_cmpint (audio->packetization_mode, ==, -1);
  g_assert_null (audio->fmtp);
  g_assert_null (audio->profile_level_id);
  g_assert_cmpstr (audio->address, ==, "198.51.100.7");
  g_assert_cmpint (audio->direction, ==, SIPCAST_SDP_SENDRECV);

  g_assert_cmpstr (video->codec->encoding_name, ==, "H264");
  g_assert_cmpstr (video->codec->parser, ==, "h264parse");
  g_assert_cmpuint (video->payload_type, ==, 109);
  g_assert_cmpint (video->packetization_mode, ==, 1);
  g_assert_cmpstr (video->profile_level_id, ==, "42801F");
  g_assert_cmpstr (video->fmtp, ==,
                   "profile-level-id=42801F; packetization-mode=1; "
                   "sprop-parameter-sets=Z0KAH9oBQBbpUgAAAwACAAADAGQeMGVA,aM4G4g==");
  g_assert_true (video->has_nack);
  g_assert_true (video->has_pli);
  g_assert_false (video->has_fir);
  g_assert_cmpstr (video->address, ==, "198.51.100.9");
  g_assert_cmpuint (video->port, ==, 40002);
  g_assert_cmpuint (video->rtcp_port, ==, 40005);
  g_assert_cmpint (video->direction, ==, SIPCAST_SDP_SENDONLY);
}

static void
test_answer_h264_modes (void)
{
  /* Mode 2 (interleaved) is not ours; the mode-0 payload type after it
   * is, and the row we get says so. */
  g_autoptr (SipcastSdpAnswer) mode0 = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=video 40002 RTP/AVP 96 97\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=fmtp:96 profile-level-id=640028;packetization-mode=2\r\n"
    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=0\r\n");
  /* The answerer's order wins over ours (mode 1 first). */
  g_autoptr (SipcastSdpAnswer) answerer_order = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=video 40002 RTP/AVP 97 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=rtpmap:97 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1\r\n"
    "a=fmtp:97 profile-level-id=42e00d\r\n");
  const SipcastCodec *const *video = sipcast_codec_list (SIPCAST_MEDIA_VIDEO);

  g_assert_cmpuint (mode0->video->payload_type, ==, 97);
  g_assert_cmpint (mode0->video->packetization_mode, ==, 0);
  g_assert_true (mode0->video->codec == video[1]);
  g_assert_cmpstr (mode0->video->profile_level_id, ==, "42e01f");

  g_assert_cmpuint (answerer_order->video->payload_type, ==, 97);
  g_assert_cmpint (answerer_order->video->packetization_mode, ==, 0);
  g_assert_cmpstr (answerer_order->video->profile_level_id, ==, "42e00d");

  /* Only mode 2 offered back: nothing we take. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\n"
                "m=video 40002 RTP/AVP 96\r\n"
                "a=rtpmap:96 H264/90000\r\n"
                "a=fmtp:96 packetization-mode=2\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
}

static void
test_answer_vp8_rtcp_fb_wildcard (void)
{
  /* "*" applies to every payload type (RFC 4585 §4.2); the feedback of
   * other payload types does not. */
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=video 40002 RTP/AVPF 100 98\r\n"
    "a=rtpmap:100 VP9/90000\r\n"
    "a=rtpmap:98 vp8/90000\r\n"
    "a=rtcp-fb:* ccm fir\r\n"
    "a=rtcp-fb:100 nack pli\r\n"
    "a=rtcp-fb:100 nack\r\n"
    "a=rtcp-fb:98 goog-remb\r\n");

  g_assert_null (answer->audio);
  g_assert_cmpstr (answer->video->codec->encoding_name, ==, "VP8");
  g_assert_cmpstr (answer->video->codec->decoder, ==, "vp8dec");
  g_assert_cmpuint (answer->video->payload_type, ==, 98);
  g_assert_cmpint (answer->video->packetization_mode, ==, -1);
  g_assert_null (answer->video->profile_level_id);
  g_assert_true (answer->video->has_fir);
  g_assert_false (answer->video->has_pli);
  g_assert_false (answer->video->has_nack);
}

static void
test_answer_video_no_common_codec (void)
{
  /* An accepted video line is held to the same rule as audio: a port
   * that is not 0 with nothing we offered is a broken answer. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\n"
                "m=video 40002 RTP/AVP 34\r\n"
                "a=rtpmap:34 H263/90000\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  /* H.264 at a clock rate that is not H.264's. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=video 40002 RTP/AVP 96\r\n"
                "a=rtpmap:96 H264/8000\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  /* Audio codecs on a video line. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=video 40002 RTP/AVP 0 96\r\n"
                "a=rtpmap:96 opus/48000/2\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  /* A video line without a connection address. */
  answer_fails ("v=0\r\n"
                "o=- 1 1 IN IP4 198.51.100.7\r\n"
                "s=-\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 0\r\n"
                "c=IN IP4 198.51.100.7\r\n"
                "m=video 40002 RTP/AVP 96\r\n"
                "a=rtpmap:96 VP8/90000\r\n",
                SIPCAST_ERROR_SDP);
}

static void
test_answer_opus_and_g722 (void)
{
  /* Opus as browsers and Asterisk write it; G.722 without rtpmap is the
   * static payload type 9. */
  g_autoptr (SipcastSdpAnswer) opus = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 111 126\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=fmtp:111 useinbandfec=1;minptime=10\r\n");
  g_autoptr (SipcastSdpAnswer) g722 = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 9 0\r\n");

  g_assert_cmpstr (opus->audio->codec->encoding_name, ==, "OPUS");
  g_assert_cmpstr (opus->audio->codec->decoder, ==, "opusdec");
  g_assert_cmpuint (opus->audio->payload_type, ==, 111);
  g_assert_cmpstr (opus->audio->fmtp, ==, "useinbandfec=1;minptime=10");
  g_assert_cmpint (opus->audio->telephone_event_pt, ==, 126);
  g_assert_null (opus->video);

  g_assert_cmpstr (g722->audio->codec->encoding_name, ==, "G722");
  g_assert_cmpuint (g722->audio->codec->clock_rate, ==, 8000);
  g_assert_cmpuint (g722->audio->payload_type, ==, 9);

  /* G.722 announced with its audio rate is not RFC 3551 G.722. */
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 9\r\n"
                "a=rtpmap:9 G722/16000\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
}

static void
test_answer_no_connection (void)
{
  answer_fails (SESSION_HEAD
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 8\r\n",
                SIPCAST_ERROR_SDP);
}

static void
test_answer_bad_rtcp (void)
{
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 8\r\n"
                "a=rtcp:seventy\r\n",
                SIPCAST_ERROR_SDP);
}

static void
test_answer_garbage (void)
{
  answer_fails ("", SIPCAST_ERROR_SDP);
  answer_fails ("hello world", SIPCAST_ERROR_SDP);
  answer_fails ("<html><body>502 Bad Gateway</body></html>\r\n", SIPCAST_ERROR_SDP);
  answer_fails ("\r\n\r\n", SIPCAST_ERROR_SDP);
  /* m= without v= and o= is not a session description either. */
  answer_fails ("c=IN IP4 198.51.100.7\r\nm=audio 40000 RTP/AVP 8\r\n",
                SIPCAST_ERROR_SDP);
  answer_fails ("v=0\r\nc=IN IP4 198.51.100.7\r\nm=audio 40000 RTP/AVP 8\r\n",
                SIPCAST_ERROR_SDP);
}

/* ---- offers from a calling far end, and our answers ---- */

static const SipcastCodec **
audio_prefs (const char *const *names)
{
  return sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO, names, NULL);
}

#define PHONE_OFFER \
  "v=0\r\n" \
  "o=phone 42 1 IN IP4 198.51.100.7\r\n" \
  "s=call\r\n" \
  "c=IN IP4 198.51.100.7\r\n" \
  "t=0 0\r\n" \
  "m=audio 40000 RTP/AVP 8 0 9 102 101\r\n" \
  "a=rtpmap:8 PCMA/8000\r\n" \
  "a=rtpmap:0 PCMU/8000\r\n" \
  "a=rtpmap:9 G722/8000\r\n" \
  "a=rtpmap:102 opus/48000/2\r\n" \
  "a=rtpmap:101 telephone-event/8000\r\n" \
  "a=fmtp:101 0-15\r\n" \
  "a=sendrecv\r\n"

static SipcastSdpAnswerParams
answer_params (guint               audio_port,
               SipcastSdpDirection direction)
{
  SipcastSdpAnswerParams params = {
    .address = "192.0.2.10",
    .session_id = 77,
    .session_version = 1,
    .audio_port = audio_port,
    .audio_direction = direction,
  };
  return params;
}

static void
test_offer_our_preference (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = sipcast_sdp_parse_offer (PHONE_OFFER, prefs, NULL, &error);
  SipcastSdpAnswerParams params = answer_params (31000, SIPCAST_SDP_SENDRECV);
  g_autofree char *answer = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (offer->audio);
  g_assert_null (offer->video);
  /* Opus first in our default order, although the phone lists it fourth,
   * at the phone's own payload type number. */
  g_assert_cmpstr (offer->audio->chosen->codec->encoding_name, ==, "OPUS");
  g_assert_cmpuint (offer->audio->chosen->payload_type, ==, 102);
  g_assert_cmpint (offer->audio->chosen->telephone_event_pt, ==, 101);
  g_assert_cmpstr (offer->audio->chosen->address, ==, "198.51.100.7");
  g_assert_cmpuint (offer->audio->chosen->port, ==, 40000);
  g_assert_cmpuint (offer->audio->chosen->rtcp_port, ==, 40001);
  g_assert_cmpint (offer->audio->chosen->direction, ==, SIPCAST_SDP_SENDRECV);

  answer = sipcast_sdp_build_answer (offer, &params);
  g_assert_cmpstr (answer, ==,
                   "v=0\r\n"
                   "o=sipcast 77 1 IN IP4 192.0.2.10\r\n"
                   "s=sipcast\r\n"
                   "c=IN IP4 192.0.2.10\r\n"
                   "t=0 0\r\n"
                   "m=audio 31000 RTP/AVP 102 101\r\n"
                   "a=rtpmap:102 opus/48000/2\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\n"
                   "a=fmtp:102 minptime=10;useinbandfec=1\r\n"
                   "a=fmtp:101 0-16\r\n"
                   "a=ptime:20\r\n"
                   "a=sendrecv\r\n");
}

/* RFC 3389 comfort noise rides along with the voice codec, both ways;
 * it is never the codec itself, even listed first. */
static void
test_comfort_noise (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;
  SipcastSdpAnswerParams params = answer_params (31002, SIPCAST_SDP_SENDRECV);
  g_autofree char *built = NULL;
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 13 0\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=sendrecv\r\n");

  g_assert_cmpstr (answer->audio->codec->encoding_name, ==, "PCMU");
  g_assert_cmpint (answer->audio->comfort_noise_pt, ==, 13);
  g_assert_cmpint (answer->audio->telephone_event_pt, ==, -1);

  offer = sipcast_sdp_parse_offer ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                   "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                   "m=audio 5004 RTP/AVP 13 8 101\r\n"
                                   "a=rtpmap:101 telephone-event/8000\r\n", prefs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (offer->audio->chosen->codec->encoding_name, ==, "PCMA");
  g_assert_cmpint (offer->audio->chosen->comfort_noise_pt, ==, 13);
  built = sipcast_sdp_build_answer (offer, &params);
  g_assert_nonnull (strstr (built, "m=audio 31002 RTP/AVP 8 13 101\r\na=rtpmap:8 PCMA/8000\r\n"
                                   "a=rtpmap:13 CN/8000\r\n"
                                   "a=rtpmap:101 telephone-event/8000\r\n"));
}

static void
test_offer_configured_order (void)
{
  const char *const names[] = { "PCMU", "PCMA", NULL };
  g_autofree const SipcastCodec **prefs = audio_prefs (names);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = sipcast_sdp_parse_offer (PHONE_OFFER, prefs, NULL, &error);

  g_assert_no_error (error);
  /* PCMU before PCMA: ours is the order that counts. */
  g_assert_cmpstr (offer->audio->chosen->codec->encoding_name, ==, "PCMU");
  g_assert_cmpuint (offer->audio->chosen->payload_type, ==, 0);
}

static void
test_offer_static_without_rtpmap (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;
  SipcastSdpAnswerParams params = answer_params (31002, SIPCAST_SDP_SENDRECV);
  g_autofree char *answer = NULL;

  offer = sipcast_sdp_parse_offer ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                   "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                   "m=audio 5004 RTP/AVP 8\r\n", prefs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (offer->audio->chosen->codec->encoding_name, ==, "PCMA");
  /* No telephone-event offered: none answered. */
  g_assert_cmpint (offer->audio->chosen->telephone_event_pt, ==, -1);
  answer = sipcast_sdp_build_answer (offer, &params);
  g_assert_nonnull (strstr (answer, "m=audio 31002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n"
                                    "a=ptime:20\r\na=sendrecv\r\n"));
  g_assert_null (strstr (answer, "telephone-event"));
}

/* Hundreds of media lines are refused, not answered line by line. */
static void
test_offer_too_many_media (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;
  g_autoptr (GString) sdp = g_string_new ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                          "c=IN IP4 10.0.0.1\r\nt=0 0\r\n");

  for (guint i = 0; i < SIPCAST_SDP_MAX_MEDIA; i++)
    g_string_append (sdp, "m=audio 5004 RTP/AVP 8\r\n");
  offer = sipcast_sdp_parse_offer (sdp->str, prefs, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&offer, sipcast_sdp_offer_free);

  for (guint i = 0; i < 1000 - SIPCAST_SDP_MAX_MEDIA; i++)
    g_string_append (sdp, "m=audio 5004 RTP/AVP 8\r\n");
  offer = sipcast_sdp_parse_offer (sdp->str, prefs, NULL, &error);
  g_assert_null (offer);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
  g_assert_nonnull (strstr (error->message, "1000 media lines"));
}

/* A port no socket can have is refused (not handed to udpsink). */
static void
test_offer_invalid_port (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  const char *const ports[] = { "99999", "65535", "-4" };

  for (guint i = 0; i < G_N_ELEMENTS (ports); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *sdp = g_strdup_printf ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                            "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                            "m=audio %s RTP/AVP 8\r\n", ports[i]);
    g_autoptr (SipcastSdpOffer) offer = sipcast_sdp_parse_offer (sdp, prefs, NULL, &error);

    g_assert_null (offer);
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
    g_assert_nonnull (strstr (error->message, "invalid port"));
  }
}

static void
test_offer_no_common_codec (void)
{
  const char *const names[] = { "PCMU", NULL };
  g_autofree const SipcastCodec **prefs = audio_prefs (names);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;

  /* G.729 and telephone-event only: telephone-event alone is no call. */
  offer = sipcast_sdp_parse_offer ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                   "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                   "m=audio 5004 RTP/AVP 18 101\r\n"
                                   "a=rtpmap:18 G729/8000\r\n"
                                   "a=rtpmap:101 telephone-event/8000\r\n", prefs, NULL, &error);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);
  g_assert_cmpstr (error->message, ==, "No common codecs");
  g_assert_null (offer);
}

static void
test_offer_srtp_refused (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;

  offer = sipcast_sdp_parse_offer ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                   "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                   "m=audio 5004 RTP/SAVP 0\r\n"
                                   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc\r\n",
                                   prefs, NULL, &error);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);
  g_assert_null (offer);
}

static void
test_offer_not_sdp (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = sipcast_sdp_parse_offer ("hello", prefs, NULL, &error);

  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
  g_assert_null (offer);
  g_clear_error (&error);
  offer = sipcast_sdp_parse_offer ("", prefs, NULL, &error);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
}

/* Video (while calls take none), a second audio line and an application
 * line: each answered by a refused line, in the offer's order. */
static void
test_offer_lines_kept_in_order (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;
  SipcastSdpAnswerParams params = answer_params (31004, SIPCAST_SDP_SENDRECV);
  g_autofree char *answer = NULL;

  offer = sipcast_sdp_parse_offer ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                   "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                   "m=video 5010 RTP/AVP 96\r\n"
                                   "a=rtpmap:96 H264/90000\r\n"
                                   "m=audio 5004 RTP/AVP 0\r\n"
                                   "m=audio 5006 RTP/AVP 8\r\n"
                                   "m=application 5008 UDP/BFCP *\r\n",
                                   prefs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (offer->lines->len, ==, 4);
  g_assert_null (offer->video);
  g_assert_true (offer->audio == g_ptr_array_index (offer->lines, 1));
  answer = sipcast_sdp_build_answer (offer, &params);
  g_assert_nonnull (strstr (answer,
                            "t=0 0\r\n"
                            "m=video 0 RTP/AVP 96\r\n"
                            "m=audio 31004 RTP/AVP 0\r\n"
                            "a=rtpmap:0 PCMU/8000\r\n"
                            "a=ptime:20\r\n"
                            "a=sendrecv\r\n"
                            "m=audio 0 RTP/AVP 8\r\n"
                            "m=application 0 UDP/BFCP *\r\n"));
}

static void
test_offer_video_first_we_take (void)
{
  /* An incoming call's video: lines we cannot take (SRTP, H.263 only)
   * refused in place, the first one we can answered with H.264 mode 0
   * (our table: mode 1, mode 0, VP8), a sendrecv offer answered as
   * has-video says. */
  const char *sdp =
    "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
    "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    "m=audio 5004 RTP/AVP 0\r\n"
    "m=video 5010 RTP/SAVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "m=video 5012 RTP/AVP 34\r\n"
    "m=video 5014 RTP/AVP 98 99\r\n"
    "a=rtpmap:98 VP8/90000\r\n"
    "a=rtpmap:99 H264/90000\r\n"
    "a=rtcp-fb:* ccm fir\r\n";
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = sipcast_sdp_parse_offer (sdp, prefs,
                                                               sipcast_codec_list (SIPCAST_MEDIA_VIDEO),
                                                               &error);
  SipcastSdpAnswerParams params = answer_params (31000, SIPCAST_SDP_SENDRECV);
  const char *refused =
    "m=audio 31000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "m=video 0 RTP/SAVP 96\r\n"
    "m=video 0 RTP/AVP 34\r\n";
  const char *video_line =
    "m=video 31002 RTP/AVP 99\r\n"
    "a=rtpmap:99 H264/90000\r\n"
    "a=fmtp:99 profile-level-id=42e01f;packetization-mode=0\r\n"
    "a=rtcp-fb:99 nack pli\r\n"
    "a=rtcp-fb:99 ccm fir\r\n";

  g_assert_no_error (error);
  g_assert_true (offer->video == g_ptr_array_index (offer->lines, 3));
  g_assert_cmpstr (offer->video->chosen->codec->encoding_name, ==, "H264");
  g_assert_cmpint (offer->video->chosen->packetization_mode, ==, 0);
  g_assert_cmpuint (offer->video->chosen->port, ==, 5014);
  g_assert_cmpuint (offer->video->chosen->rtcp_port, ==, 5015);
  g_assert_true (offer->video->chosen->has_fir);
  g_assert_false (offer->video->chosen->has_pli);

  params.video_port = 31002;
  for (int has_video = 0; has_video <= 1; has_video++) {
    g_autofree char *answer = NULL;
    g_autofree char *expected = NULL;

    params.video_direction = sipcast_sdp_answer_direction (offer->video->chosen->direction,
                                                           has_video);
    answer = sipcast_sdp_build_answer (offer, &params);
    expected = g_strconcat (refused, video_line, has_video ? "a=sendrecv\r\n" : "a=recvonly\r\n",
                            NULL);
    g_assert_true (g_str_has_suffix (answer, expected));
  }

  /* No free video ports: every video line refused. */
  {
    g_autofree char *answer = NULL;

    params.video_port = 0;
    answer = sipcast_sdp_build_answer (offer, &params);
    g_assert_true (g_str_has_suffix (answer, "m=video 0 RTP/AVP 34\r\nm=video 0 RTP/AVP 98 99\r\n"));
  }
}

static void
test_offer_video_accepted (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autofree const SipcastCodec **video = sipcast_codec_list_ordered (SIPCAST_MEDIA_VIDEO, NULL, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;
  SipcastSdpAnswerParams params = answer_params (31006, SIPCAST_SDP_SENDRECV);
  g_autofree char *answer = NULL;

  offer = sipcast_sdp_parse_offer ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                   "c=IN IP4 10.0.0.1\r\nt=0 0\r\n"
                                   "m=audio 5004 RTP/AVP 0\r\n"
                                   "m=video 5010 RTP/AVP 100 97\r\n"
                                   "a=rtpmap:100 VP8/90000\r\n"
                                   "a=rtpmap:97 H264/90000\r\n"
                                   "a=fmtp:97 profile-level-id=428016;packetization-mode=1\r\n"
                                   "a=sendonly\r\n",
                                   prefs, video, &error);
  g_assert_no_error (error);
  g_assert_nonnull (offer->video);
  /* H.264 mode 1 comes before VP8 in our table. */
  g_assert_cmpstr (offer->video->chosen->codec->encoding_name, ==, "H264");
  g_assert_cmpint (offer->video->chosen->packetization_mode, ==, 1);
  g_assert_cmpstr (offer->video->chosen->profile_level_id, ==, "428016");
  g_assert_cmpint (offer->video->chosen->direction, ==, SIPCAST_SDP_SENDONLY);

  params.video_port = 31008;
  params.video_direction = sipcast_sdp_answer_direction (SIPCAST_SDP_SENDONLY, FALSE);
  answer = sipcast_sdp_build_answer (offer, &params);
  g_assert_nonnull (strstr (answer,
                            "m=video 31008 RTP/AVP 97\r\n"
                            "a=rtpmap:97 H264/90000\r\n"
                            "a=fmtp:97 profile-level-id=428016;packetization-mode=1\r\n"
                            "a=rtcp-fb:97 nack pli\r\n"
                            "a=rtcp-fb:97 ccm fir\r\n"
                            "a=recvonly\r\n"));
  /* No ptime on video. */
  g_assert_null (strstr (strstr (answer, "m=video"), "ptime"));
}

static void
test_offer_rejected_audio_line (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = sipcast_sdp_parse_offer (PHONE_OFFER, prefs, NULL, &error);
  SipcastSdpAnswerParams params = answer_params (0, SIPCAST_SDP_SENDRECV);
  g_autofree char *answer = sipcast_sdp_build_answer (offer, &params);

  /* Port 0 from us refuses the line, with the offered formats. */
  g_assert_nonnull (strstr (answer, "m=audio 0 RTP/AVP 8 0 9 102 101\r\n"));
  g_assert_null (strstr (answer, "a=rtpmap"));
}

static void
test_offer_rtcp_and_media_connection (void)
{
  g_autofree const SipcastCodec **prefs = audio_prefs (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;

  offer = sipcast_sdp_parse_offer ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
                                   "c=IN IP4 10.0.0.1\r\nt=0 0\r\na=recvonly\r\n"
                                   "m=audio 5004 RTP/AVP 0\r\n"
                                   "c=IN IP4 10.0.0.2\r\n"
                                   "a=rtcp:6000\r\n", prefs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (offer->audio->chosen->address, ==, "10.0.0.2");
  g_assert_cmpuint (offer->audio->chosen->rtcp_port, ==, 6000);
  /* Session-level direction applies to the line. */
  g_assert_cmpint (offer->audio->chosen->direction, ==, SIPCAST_SDP_RECVONLY);
  g_clear_pointer (&offer, sipcast_sdp_offer_free);

  offer = sipcast_sdp_parse_offer ("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                   "m=audio 5004 RTP/AVP 0\r\n", prefs, NULL, &error);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
  g_assert_null (offer);
}

static void
test_answer_directions (void)
{
  /* RFC 3264 §6.1, with us always receiving. */
  g_assert_cmpint (sipcast_sdp_answer_direction (SIPCAST_SDP_SENDRECV, TRUE), ==, SIPCAST_SDP_SENDRECV);
  g_assert_cmpint (sipcast_sdp_answer_direction (SIPCAST_SDP_SENDRECV, FALSE), ==, SIPCAST_SDP_RECVONLY);
  g_assert_cmpint (sipcast_sdp_answer_direction (SIPCAST_SDP_SENDONLY, TRUE), ==, SIPCAST_SDP_RECVONLY);
  g_assert_cmpint (sipcast_sdp_answer_direction (SIPCAST_SDP_SENDONLY, FALSE), ==, SIPCAST_SDP_RECVONLY);
  g_assert_cmpint (sipcast_sdp_answer_direction (SIPCAST_SDP_RECVONLY, TRUE), ==, SIPCAST_SDP_SENDONLY);
  g_assert_cmpint (sipcast_sdp_answer_direction (SIPCAST_SDP_RECVONLY, FALSE), ==, SIPCAST_SDP_INACTIVE);
  g_assert_cmpint (sipcast_sdp_answer_direction (SIPCAST_SDP_INACTIVE, TRUE), ==, SIPCAST_SDP_INACTIVE);
  g_assert_cmpint (sipcast_sdp_direction_reverse (SIPCAST_SDP_RECVONLY), ==, SIPCAST_SDP_SENDONLY);
  g_assert_cmpint (sipcast_sdp_direction_reverse (SIPCAST_SDP_SENDRECV), ==, SIPCAST_SDP_SENDRECV);
}

/* ---- re-INVITE offers from the far end ---- */

#define REOFFER_HEAD \
  "v=0\r\n" \
  "o=pbx 77 3 IN IP4 198.51.100.7\r\n" \
  "s=-\r\n" \
  "c=IN IP4 198.51.100.7\r\n" \
  "t=0 0\r\n"

static SipcastSdpAnswer *
parse_ok (const char *sdp)
{
  g_autoptr (GError) error = NULL;
  SipcastSdpAnswer *parsed = sipcast_sdp_parse_answer (sdp, &error);

  g_assert_no_error (error);
  g_assert_nonnull (parsed);
  return parsed;
}

static void
test_reoffer_hold (void)
{
  static const struct {
    const char *lines;
    gboolean hold;
    SipcastSdpDirection answer;
    SipcastSdpDirection answer_not_sending;
  } cases[] = {
    { "c=IN IP4 198.51.100.7\r\na=sendrecv\r\n", FALSE, SIPCAST_SDP_SENDRECV, SIPCAST_SDP_RECVONLY },
    { "c=IN IP4 198.51.100.7\r\n", FALSE, SIPCAST_SDP_SENDRECV, SIPCAST_SDP_RECVONLY },
    { "c=IN IP4 198.51.100.7\r\na=sendonly\r\n", TRUE, SIPCAST_SDP_RECVONLY, SIPCAST_SDP_RECVONLY },
    { "c=IN IP4 198.51.100.7\r\na=inactive\r\n", TRUE, SIPCAST_SDP_INACTIVE, SIPCAST_SDP_INACTIVE },
    { "c=IN IP4 198.51.100.7\r\na=recvonly\r\n", FALSE, SIPCAST_SDP_SENDONLY, SIPCAST_SDP_INACTIVE },
    /* RFC 2543 hold */
    { "c=IN IP4 0.0.0.0\r\na=sendrecv\r\n", TRUE, SIPCAST_SDP_INACTIVE, SIPCAST_SDP_INACTIVE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *sdp = g_strconcat ("v=0\r\no=pbx 77 3 IN IP4 198.51.100.7\r\ns=-\r\nt=0 0\r\n"
                                        "m=audio 4000 RTP/AVP 8\r\n", cases[i].lines, NULL);
    g_autoptr (SipcastSdpAnswer) offer = parse_ok (sdp);

    g_test_message ("%s", cases[i].lines);
    g_assert_cmpint (sipcast_sdp_media_is_hold (offer->audio), ==, cases[i].hold);
    g_assert_cmpint (sipcast_sdp_media_answer_direction (offer->audio, TRUE), ==, cases[i].answer);
    g_assert_cmpint (sipcast_sdp_media_answer_direction (offer->audio, FALSE), ==,
                     cases[i].answer_not_sending);
  }
}

static const SipcastCodec *
audio_codec (const char *name)
{
  const SipcastCodec *const *codecs = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);

  for (guint i = 0; codecs[i] != NULL; i++) {
    if (g_str_equal (codecs[i]->encoding_name, name))
      return codecs[i];
  }
  g_assert_not_reached ();
}

static void
test_reoffer_keeps_current_codec (void)
{
  /* A phone re-offers its whole list on hold: PCMU first, G.722 (in
   * use) as 9, Opus as 111. */
  const char *sdp =
    REOFFER_HEAD
    "m=audio 4000 RTP/AVP 0 111 9 101\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 useinbandfec=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendonly\r\n";
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("G722"), NULL,
                                                                    NULL, &error);
    g_assert_no_error (error);
    g_assert_true (offer->audio->codec == audio_codec ("G722"));
    g_assert_cmpuint (offer->audio->payload_type, ==, 9);
    g_assert_null (offer->audio->fmtp);
    g_assert_cmpint (offer->audio->telephone_event_pt, ==, 101);
    g_assert_cmpint (offer->audio->direction, ==, SIPCAST_SDP_SENDONLY);
  }
  {
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("OPUS"), NULL,
                                                                    NULL, &error);
    g_assert_no_error (error);
    g_assert_true (offer->audio->codec == audio_codec ("OPUS"));
    g_assert_cmpuint (offer->audio->payload_type, ==, 111);
    g_assert_cmpstr (offer->audio->fmtp, ==, "useinbandfec=1");
  }
  {
    /* Not listed: the offer's own first choice, as for an answer. */
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("PCMA"), NULL,
                                                                    NULL, &error);
    g_assert_no_error (error);
    g_assert_true (offer->audio->codec == audio_codec ("PCMU"));
    g_assert_cmpuint (offer->audio->payload_type, ==, 0);
  }
}

static void
test_reoffer_changes_codec (void)
{
  /* The call runs PCMA; the far end re-offers PCMU, Opus and G.722
   * (with telephone-event as 100), but not PCMA. */
  const char *sdp =
    REOFFER_HEAD
    "m=audio 4000 RTP/AVP 0 111 9 100\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 useinbandfec=1\r\n"
    "a=rtpmap:100 telephone-event/8000\r\n"
    "a=sendrecv\r\n";
  g_autoptr (GError) error = NULL;

  {
    /* Ours in our order: G.722 before Opus and PCMU. */
    g_autofree const SipcastCodec **prefs =
      audio_prefs ((const char *const[]) { "PCMA", "G722", "OPUS", "PCMU", "telephone-event",
                                           NULL });
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("PCMA"),
                                                                    NULL, prefs, &error);
    SipcastSdpReinviteAnswerParams params = {
      .address = "192.0.2.10",
      .session_id = 42,
      .session_version = 3,
      .audio_port = 31000,
      .audio_direction = SIPCAST_SDP_SENDRECV,
    };
    g_autofree char *answer = NULL;

    g_assert_no_error (error);
    g_assert_true (offer->audio->codec == audio_codec ("G722"));
    g_assert_cmpuint (offer->audio->payload_type, ==, 9);
    g_assert_null (offer->audio->fmtp);
    g_assert_cmpint (offer->audio->telephone_event_pt, ==, 100);
    /* Our 200 names the new codec alone, under the far end's numbers. */
    answer = sipcast_sdp_build_reinvite_answer (sdp, offer->audio, NULL, &params, &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (answer, "m=audio 31000 RTP/AVP 9 100\r\n"
                                      "a=rtpmap:9 G722/8000\r\n"
                                      "a=rtpmap:100 telephone-event/8000\r\n"));
  }
  {
    g_autofree const SipcastCodec **prefs =
      audio_prefs ((const char *const[]) { "PCMU", "OPUS", NULL });
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("PCMA"),
                                                                    NULL, prefs, &error);

    g_assert_no_error (error);
    g_assert_true (offer->audio->codec == audio_codec ("PCMU"));
    g_assert_cmpuint (offer->audio->payload_type, ==, 0);
  }
  {
    /* None of ours (the operator left G.722 and Opus out, PCMU too):
     * no audio, which the call refuses with 488. */
    g_autofree const SipcastCodec **prefs =
      audio_prefs ((const char *const[]) { "PCMA", NULL });
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("PCMA"),
                                                                    NULL, prefs, &error);

    g_assert_no_error (error);
    g_assert_null (offer->audio);
  }
}

static void
test_reinvite_answer (void)
{
  /* Opus and telephone-event under the far end's numbers, a video line
   * that must be refused in its place. */
  const char *offer_text =
    REOFFER_HEAD
    "m=video 5000 RTP/AVP 100\r\n"
    "a=rtpmap:100 VP8/90000\r\n"
    "m=audio 4000 RTP/AVP 111 110\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtpmap:110 telephone-event/8000\r\n"
    "a=sendonly\r\n";
  g_autoptr (SipcastSdpAnswer) offer = parse_ok (offer_text);
  SipcastSdpReinviteAnswerParams params = {
    .address = "192.0.2.10",
    .session_id = 1234567890123ULL,
    .session_version = 4,
    .audio_port = 31000,
    .audio_direction = SIPCAST_SDP_RECVONLY,
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;

  g_assert_nonnull (offer->audio);
  g_assert_cmpuint (offer->audio->payload_type, ==, 111);
  answer = sipcast_sdp_build_reinvite_answer (offer_text, offer->audio, NULL, &params, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (answer, ==,
                   "v=0\r\n"
                   "o=sipcast 1234567890123 4 IN IP4 192.0.2.10\r\n"
                   "s=sipcast\r\n"
                   "c=IN IP4 192.0.2.10\r\n"
                   "t=0 0\r\n"
                   "m=video 0 RTP/AVP 100\r\n"
                   "m=audio 31000 RTP/AVP 111 110\r\n"
                   "a=rtpmap:111 opus/48000/2\r\n"
                   "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
                   "a=rtpmap:110 telephone-event/8000\r\n"
                   "a=fmtp:110 0-16\r\n"
                   "a=ptime:20\r\n"
                   "a=recvonly\r\n");

  /* It is an answer a parser of ours takes, with what we chose. */
  {
    g_autoptr (SipcastSdpAnswer) back = parse_ok (answer);

    g_assert_nonnull (back->audio);
    g_assert_null (back->video);
    g_assert_cmpuint (back->audio->payload_type, ==, 111);
    g_assert_cmpint (back->audio->telephone_event_pt, ==, 110);
    g_assert_cmpint (back->audio->direction, ==, SIPCAST_SDP_RECVONLY);
  }
}

/* The row of our video table for @name and H.264 packetization-mode
 * @mode (-1 for VP8). */
static const SipcastCodec *
video_codec (const char *name,
             int         mode)
{
  const SipcastCodec *const *codecs = sipcast_codec_list (SIPCAST_MEDIA_VIDEO);

  for (guint i = 0; codecs[i] != NULL; i++) {
    if (g_str_equal (codecs[i]->encoding_name, name) && codecs[i]->packetization_mode == mode)
      return codecs[i];
  }
  g_assert_not_reached ();
}

static void
test_reoffer_keeps_current_video_codec (void)
{
  /* A session refresh re-offers every video codec, VP8 first; H.264
   * packetization-mode 1 (in use) is 98 now. */
  const char *sdp =
    REOFFER_HEAD
    "m=audio 4000 RTP/AVP 0\r\n"
    "m=video 5000 RTP/AVP 100 98 99\r\n"
    "a=rtpmap:100 VP8/90000\r\n"
    "a=rtpmap:98 H264/90000\r\n"
    "a=fmtp:98 profile-level-id=42e01e;packetization-mode=1\r\n"
    "a=rtpmap:99 H264/90000\r\n"
    "a=fmtp:99 profile-level-id=42e01f\r\n"
    "a=rtcp-fb:98 nack pli\r\n"
    "a=rtcp-fb:100 ccm fir\r\n";
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("PCMU"),
                                                                    video_codec ("H264", 1),
                                                                    NULL, &error);
    g_assert_no_error (error);
    g_assert_true (offer->video->codec == video_codec ("H264", 1));
    g_assert_cmpuint (offer->video->payload_type, ==, 98);
    g_assert_cmpint (offer->video->packetization_mode, ==, 1);
    g_assert_cmpstr (offer->video->fmtp, ==, "profile-level-id=42e01e;packetization-mode=1");
    g_assert_cmpstr (offer->video->profile_level_id, ==, "42e01e");
    /* The feedback of 98, not of VP8's 100. */
    g_assert_true (offer->video->has_pli);
    g_assert_false (offer->video->has_fir);
    g_assert_cmpuint (offer->video->port, ==, 5000);
  }
  {
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("PCMU"),
                                                                    video_codec ("H264", 0),
                                                                    NULL, &error);
    g_assert_no_error (error);
    g_assert_true (offer->video->codec == video_codec ("H264", 0));
    g_assert_cmpuint (offer->video->payload_type, ==, 99);
    g_assert_cmpint (offer->video->packetization_mode, ==, 0);
    g_assert_false (offer->video->has_pli);
  }
  {
    /* No current video: the offer's own first choice. */
    g_autoptr (SipcastSdpAnswer) offer = sipcast_sdp_parse_reoffer (sdp, audio_codec ("PCMU"),
                                                                    NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (offer->video->codec == video_codec ("VP8", -1));
    g_assert_true (offer->video->has_fir);
  }
}

static void
test_reinvite_answer_video (void)
{
  /* A session refresh of a call receiving H.264: the video line stays
   * accepted with our port, the far end's number and fmtp, our rtcp-fb;
   * hasVideo=false answers its sendrecv recvonly. */
  const char *offer_text =
    REOFFER_HEAD
    "m=audio 4000 RTP/AVP 0\r\n"
    "m=video 5002 RTP/AVP 100 109\r\n"
    "a=rtpmap:100 VP8/90000\r\n"
    "a=rtpmap:109 H264/90000\r\n"
    "a=fmtp:109 profile-level-id=42e01f;packetization-mode=1\r\n"
    "a=rtcp:5013\r\n"
    "m=video 5004 RTP/AVP 100\r\n"
    "a=rtpmap:100 VP8/90000\r\n";
  g_autoptr (SipcastSdpAnswer) offer = NULL;
  SipcastSdpReinviteAnswerParams params = {
    .address = "192.0.2.10",
    .session_id = 42,
    .session_version = 2,
    .audio_port = 31000,
    .audio_direction = SIPCAST_SDP_SENDRECV,
    .video_port = 31002,
  };
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = NULL;

  offer = sipcast_sdp_parse_reoffer (offer_text, audio_codec ("PCMU"), video_codec ("H264", 1),
                                     NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (offer->video->rtcp_port, ==, 5013);
  params.video_direction = sipcast_sdp_media_answer_direction (offer->video, FALSE);
  answer = sipcast_sdp_build_reinvite_answer (offer_text, offer->audio, offer->video, &params,
                                              &error);
  g_assert_no_error (error);
  g_assert_cmpstr (answer, ==,
                   "v=0\r\n"
                   "o=sipcast 42 2 IN IP4 192.0.2.10\r\n"
                   "s=sipcast\r\n"
                   "c=IN IP4 192.0.2.10\r\n"
                   "t=0 0\r\n"
                   "m=audio 31000 RTP/AVP 0\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=ptime:20\r\n"
                   "a=sendrecv\r\n"
                   "m=video 31002 RTP/AVP 109\r\n"
                   "a=rtpmap:109 H264/90000\r\n"
                   "a=fmtp:109 profile-level-id=42e01f;packetization-mode=1\r\n"
                   "a=rtcp-fb:109 nack pli\r\n"
                   "a=rtcp-fb:109 ccm fir\r\n"
                   "a=recvonly\r\n"
                   "m=video 0 RTP/AVP 100\r\n");

  /* Video held alone (sendonly): recvonly, audio goes on. */
  {
    const char *held_text =
      REOFFER_HEAD
      "m=audio 4000 RTP/AVP 0\r\n"
      "m=video 5002 RTP/AVP 109\r\n"
      "a=rtpmap:109 H264/90000\r\n"
      "a=sendonly\r\n";
    g_autofree char *held_answer = NULL;
    g_autoptr (SipcastSdpAnswer) held = NULL;

    held = sipcast_sdp_parse_reoffer (held_text, audio_codec ("PCMU"), video_codec ("H264", 0),
                                      NULL, &error);
    g_assert_no_error (error);
    g_assert_false (sipcast_sdp_media_is_hold (held->audio));
    g_assert_true (sipcast_sdp_media_is_hold (held->video));
    params.video_direction = sipcast_sdp_media_answer_direction (held->video, TRUE);
    held_answer = sipcast_sdp_build_reinvite_answer (held_text, held->audio, held->video,
                                                     &params, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_suffix (held_answer,
                                     "m=video 31002 RTP/AVP 109\r\n"
                                     "a=rtpmap:109 H264/90000\r\n"
                                     "a=fmtp:109 profile-level-id=42e01f;packetization-mode=0\r\n"
                                     "a=rtcp-fb:109 nack pli\r\n"
                                     "a=rtcp-fb:109 ccm fir\r\n"
                                     "a=recvonly\r\n"));
  }

  /* No video port (a call without video): refused as before. */
  {
    g_autofree char *refused = NULL;

    params.video_port = 0;
    refused = sipcast_sdp_build_reinvite_answer (offer_text, offer->audio, offer->video,
                                                 &params, &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (refused, "\r\nm=video 0 RTP/AVP 100\r\nm=video 0 RTP/AVP 100\r\n"));
  }
}

static void
test_reinvite_answer_garbage (void)
{
  g_autoptr (SipcastSdpAnswer) offer = parse_ok (REOFFER_HEAD "m=audio 4000 RTP/AVP 8\r\n");
  SipcastSdpReinviteAnswerParams params = { .address = "192.0.2.10", .audio_port = 31000 };
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = sipcast_sdp_build_reinvite_answer ("v=0\r\n", offer->audio, NULL,
                                                               &params, &error);

  g_assert_null (answer);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
}

static void
test_same_description (void)
{
  const char *a = REOFFER_HEAD "m=audio 4000 RTP/AVP 8\r\na=sendrecv\r\n";
  const char *b =
    "v=0\r\no=pbx 77 4 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 8\r\na=sendrecv\r\n";
  const char *c = REOFFER_HEAD "m=audio 4000 RTP/AVP 8\r\na=sendonly\r\n";

  g_assert_true (sipcast_sdp_same_description (a, a));
  /* only the o= version differs */
  g_assert_true (sipcast_sdp_same_description (a, b));
  g_assert_false (sipcast_sdp_same_description (a, c));
  g_assert_false (sipcast_sdp_same_description (a, NULL));
}

/* c=IN IP6 to an IPv4 daemon (or the reverse) is refused with the
 * reason; the same family and hold addresses pass. */
static void
test_media_family (void)
{
  SipcastSdpMedia media = { 0 };
  g_autoptr (GError) error = NULL;

  media.address = (char *) "::1";
  g_assert_false (sipcast_sdp_media_check_family (&media, "127.0.0.1", &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
  g_assert_nonnull (strstr (error->message, "IPv6 (c=IN IP6 ::1)"));
  g_clear_error (&error);
  g_assert_true (sipcast_sdp_media_check_family (&media, "::1", &error));
  g_assert_no_error (error);

  media.address = (char *) "192.0.2.1";
  g_assert_true (sipcast_sdp_media_check_family (&media, "127.0.0.1", &error));
  g_assert_false (sipcast_sdp_media_check_family (&media, "::", &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
  g_clear_error (&error);

  media.address = (char *) "0.0.0.0";
  g_assert_true (sipcast_sdp_media_check_family (&media, "::1", &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sdp/media-family", test_media_family);
  g_test_add_func ("/sdp/offer/sendrecv", test_offer_send_recv);
  g_test_add_func ("/sdp/offer/recvonly", test_offer_recv_only);
  g_test_add_func ("/sdp/offer/line-endings", test_offer_line_endings);
  g_test_add_func ("/sdp/offer/too-many-media", test_offer_too_many_media);
  g_test_add_func ("/sdp/offer/invalid-port", test_offer_invalid_port);
  g_test_add_func ("/sdp/offer/parses-back", test_offer_parses_back);
  g_test_add_func ("/sdp/offer/without-audio", test_offer_without_audio);
  g_test_add_func ("/sdp/offer/video", test_offer_video);
  g_test_add_func ("/sdp/offer/video-recvonly", test_offer_video_recv_only);
  g_test_add_func ("/sdp/offer/video-only", test_offer_video_only);
  g_test_add_func ("/sdp/offer/audio-order", test_offer_audio_order);
  g_test_add_func ("/sdp/direction-names", test_direction_names);
  g_test_add_func ("/sdp/answer/pcma", test_answer_pcma);
  g_test_add_func ("/sdp/answer/pcmu-no-rtpmap", test_answer_pcmu_no_rtpmap);
  g_test_add_func ("/sdp/answer/order", test_answer_order);
  g_test_add_func ("/sdp/answer/unknown-codecs-skipped", test_answer_unknown_codecs_skipped);
  g_test_add_func ("/sdp/answer/telephone-event-first", test_answer_telephone_event_first);
  g_test_add_func ("/sdp/comfort-noise", test_comfort_noise);
  g_test_add_func ("/sdp/answer/session-connection", test_answer_session_connection);
  g_test_add_func ("/sdp/answer/media-connection-wins", test_answer_media_connection_wins);
  g_test_add_func ("/sdp/answer/inactive", test_answer_inactive);
  g_test_add_func ("/sdp/answer/ipv6", test_answer_ipv6);
  g_test_add_func ("/sdp/answer/rejected", test_answer_rejected);
  g_test_add_func ("/sdp/answer/no-common-codec", test_answer_no_common_codec);
  g_test_add_func ("/sdp/answer/no-media-line", test_answer_no_media_line);
  g_test_add_func ("/sdp/answer/video-only", test_answer_video_only);
  g_test_add_func ("/sdp/answer/audio-and-video", test_answer_audio_and_video);
  g_test_add_func ("/sdp/answer/h264-modes", test_answer_h264_modes);
  g_test_add_func ("/sdp/answer/vp8-rtcp-fb-wildcard", test_answer_vp8_rtcp_fb_wildcard);
  g_test_add_func ("/sdp/answer/video-no-common-codec", test_answer_video_no_common_codec);
  g_test_add_func ("/sdp/answer/opus-and-g722", test_answer_opus_and_g722);
  g_test_add_func ("/sdp/answer/no-connection", test_answer_no_connection);
  g_test_add_func ("/sdp/answer/bad-rtcp", test_answer_bad_rtcp);
  g_test_add_func ("/sdp/answer/garbage", test_answer_garbage);
  g_test_add_func ("/sdp/reoffer/hold", test_reoffer_hold);
  g_test_add_func ("/sdp/reoffer/keeps-current-codec", test_reoffer_keeps_current_codec);
  g_test_add_func ("/sdp/reoffer/changes-codec", test_reoffer_changes_codec);
  g_test_add_func ("/sdp/reoffer/answer", test_reinvite_answer);
  g_test_add_func ("/sdp/reoffer/answer-garbage", test_reinvite_answer_garbage);
  g_test_add_func ("/sdp/reoffer/keeps-current-video-codec", test_reoffer_keeps_current_video_codec);
  g_test_add_func ("/sdp/reoffer/answer-video", test_reinvite_answer_video);
  g_test_add_func ("/sdp/reoffer/same-description", test_same_description);
  g_test_add_func ("/sdp/offer/our-preference", test_offer_our_preference);
  g_test_add_func ("/sdp/offer/configured-order", test_offer_configured_order);
  g_test_add_func ("/sdp/offer/static-without-rtpmap", test_offer_static_without_rtpmap);
  g_test_add_func ("/sdp/offer/no-common-codec", test_offer_no_common_codec);
  g_test_add_func ("/sdp/offer/srtp-refused", test_offer_srtp_refused);
  g_test_add_func ("/sdp/offer/not-sdp", test_offer_not_sdp);
  g_test_add_func ("/sdp/offer/lines-kept-in-order", test_offer_lines_kept_in_order);
  g_test_add_func ("/sdp/offer/video-first-we-take", test_offer_video_first_we_take);
  g_test_add_func ("/sdp/offer/video-accepted", test_offer_video_accepted);
  g_test_add_func ("/sdp/offer/rejected-audio-line", test_offer_rejected_audio_line);
  g_test_add_func ("/sdp/offer/rtcp-and-media-connection", test_offer_rtcp_and_media_connection);
  g_test_add_func ("/sdp/offer/answer-directions", test_answer_directions);

  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-sdp"

#include <string.h>

#include <glib.h>

#include "sipcast-error.h"
#include "sipcast-sdp.h"

/*
 * SDP offers as a SIP peer reads them, and answers as real peers write
 * them (Asterisk, FreeSWITCH, phones): the codec we pick, where we send
 * RTP and RTCP, and the errors that end a call with "No common codecs".
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
                   "m=audio 31000 RTP/AVP 0 8 101\r\n"
                   "a=rtpmap:0 PCMU/8000\r\n"
                   "a=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\n"
                   "a=fmtp:101 0-16\r\n"
                   "a=ptime:20\r\n"
                   "a=sendrecv\r\n");
}

static void
test_offer_recv_only (void)
{
  /* hasAudio=false: we still receive the far end's audio, send none. */
  g_autofree char *sdp = build_offer (31002, SIPCAST_SDP_RECVONLY);

  g_assert_nonnull (strstr (sdp, "\r\nm=audio 31002 RTP/AVP 0 8 101\r\n"));
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
  g_assert_cmpstr (parsed->audio->codec->encoding_name, ==, "PCMU");
  g_assert_cmpuint (parsed->audio->payload_type, ==, 0);
  g_assert_cmpint (parsed->audio->telephone_event_pt, ==, 101);
  g_assert_cmpstr (parsed->audio->address, ==, "192.0.2.10");
  g_assert_cmpuint (parsed->audio->port, ==, 31000);
}

static void
test_offer_without_audio (void)
{
  g_autofree char *sdp = build_offer (0, SIPCAST_SDP_SENDRECV);

  g_assert_null (strstr (sdp, "m=audio"));
  g_assert_true (g_str_has_prefix (sdp, "v=0\r\n"));
}

static void
test_codec_table (void)
{
  const SipcastCodec *const *audio = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);
  const SipcastCodec *const *video = sipcast_codec_list (SIPCAST_MEDIA_VIDEO);
  const SipcastCodec *pcma = sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "pcma", 8000);

  /* Offer order; telephone-event last, with no elements of its own. */
  g_assert_cmpstr (audio[0]->encoding_name, ==, "PCMU");
  g_assert_cmpstr (audio[1]->encoding_name, ==, "PCMA");
  g_assert_cmpstr (audio[2]->encoding_name, ==, "telephone-event");
  g_assert_null (audio[3]);
  g_assert_true (sipcast_codec_is_telephone_event (audio[2]));
  g_assert_false (sipcast_codec_is_telephone_event (audio[0]));
  g_assert_null (audio[2]->depayloader);
  g_assert_cmpstr (audio[2]->fmtp, ==, "0-16");
  g_assert_null (video[0]);

  g_assert_true (pcma == audio[1]);
  g_assert_cmpint (pcma->static_pt, ==, 8);
  g_assert_cmpstr (pcma->decoder, ==, "alawdec");
  g_assert_null (sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "PCMA", 16000));
  g_assert_null (sipcast_codec_find (SIPCAST_MEDIA_VIDEO, "PCMA", 8000));
  g_assert_null (sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "G729", 8000));
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
  /* Port 0: the far end declines audio, which is not a parse error. */
  g_autoptr (SipcastSdpAnswer) answer = answer_ok (
    SESSION_HEAD
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 0 RTP/AVP 0\r\n");

  g_assert_null (answer->audio);
}

static void
test_answer_no_common_codec (void)
{
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=audio 40000 RTP/AVP 18 9\r\n"
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
test_answer_no_audio_line (void)
{
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n",
                SIPCAST_ERROR_NO_COMMON_CODEC);
  answer_fails (SESSION_HEAD
                "c=IN IP4 198.51.100.7\r\n"
                "t=0 0\r\n"
                "m=video 40000 RTP/AVP 96\r\n"
                "a=rtpmap:96 H264/90000\r\n",
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sdp/offer/sendrecv", test_offer_send_recv);
  g_test_add_func ("/sdp/offer/recvonly", test_offer_recv_only);
  g_test_add_func ("/sdp/offer/line-endings", test_offer_line_endings);
  g_test_add_func ("/sdp/offer/parses-back", test_offer_parses_back);
  g_test_add_func ("/sdp/offer/without-audio", test_offer_without_audio);
  g_test_add_func ("/sdp/codec-table", test_codec_table);
  g_test_add_func ("/sdp/direction-names", test_direction_names);
  g_test_add_func ("/sdp/answer/pcma", test_answer_pcma);
  g_test_add_func ("/sdp/answer/pcmu-no-rtpmap", test_answer_pcmu_no_rtpmap);
  g_test_add_func ("/sdp/answer/order", test_answer_order);
  g_test_add_func ("/sdp/answer/unknown-codecs-skipped", test_answer_unknown_codecs_skipped);
  g_test_add_func ("/sdp/answer/telephone-event-first", test_answer_telephone_event_first);
  g_test_add_func ("/sdp/answer/session-connection", test_answer_session_connection);
  g_test_add_func ("/sdp/answer/media-connection-wins", test_answer_media_connection_wins);
  g_test_add_func ("/sdp/answer/inactive", test_answer_inactive);
  g_test_add_func ("/sdp/answer/ipv6", test_answer_ipv6);
  g_test_add_func ("/sdp/answer/rejected", test_answer_rejected);
  g_test_add_func ("/sdp/answer/no-common-codec", test_answer_no_common_codec);
  g_test_add_func ("/sdp/answer/no-audio-line", test_answer_no_audio_line);
  g_test_add_func ("/sdp/answer/no-connection", test_answer_no_connection);
  g_test_add_func ("/sdp/answer/bad-rtcp", test_answer_bad_rtcp);
  g_test_add_func ("/sdp/answer/garbage", test_answer_garbage);

  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What sipcast_whep_offer_parse() reads from the offers of real browsers. */

#include <glib.h>

#include "sipcast-error.h"
#include "sipcast-whep-offer.h"

#define SESSION "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

/* Chrome: Opus 111, H.264 in several profiles, mode 0 listed first. */
static const char chrome_offer[] =
  SESSION
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0\r\n"
  "a=mid:0\r\na=recvonly\r\n"
  "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
  "a=rtpmap:63 red/48000/2\r\na=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 96 104 102 108\r\n"
  "a=mid:1\r\na=recvonly\r\n"
  "a=rtpmap:96 VP8/90000\r\n"
  "a=rtpmap:104 H264/90000\r\n"
  "a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n"
  "a=rtpmap:102 H264/90000\r\n"
  "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n"
  "a=rtpmap:108 H264/90000\r\n"
  "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n";

/* Firefox: Opus 109, audio only. */
static const char firefox_offer[] =
  SESSION
  "m=audio 9 UDP/TLS/RTP/SAVPF 109 9 0\r\n"
  "a=recvonly\r\n"
  "a=rtpmap:109 opus/48000/2\r\na=rtpmap:9 G722/8000/1\r\na=rtpmap:0 PCMU/8000\r\n";

static void
test_chrome (void)
{
  g_autoptr (GError) error = NULL;
  SipcastWhepOffer offer;

  g_assert_true (sipcast_whep_offer_parse (chrome_offer, &offer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (offer.audio_pt, ==, 111);
  /* the first H.264 in packetization mode 1, not 104 (mode 0) */
  g_assert_cmpint (offer.h264_pt, ==, 102);
  /* its profile, which the answer has to name (not 104's, not 108's) */
  g_assert_cmpstr (offer.h264_profile_level_id, ==, "42001f");
  g_assert_cmpint (offer.vp8_pt, ==, 96);
}

static void
test_firefox_audio_only (void)
{
  g_autoptr (GError) error = NULL;
  SipcastWhepOffer offer;

  g_assert_true (sipcast_whep_offer_parse (firefox_offer, &offer, &error));
  g_assert_cmpint (offer.audio_pt, ==, 109);
  g_assert_cmpint (offer.h264_pt, ==, -1);
  g_assert_cmpstr (offer.h264_profile_level_id, ==, "");
  g_assert_cmpint (offer.vp8_pt, ==, -1);
}

static void
test_nothing_to_receive (void)
{
  static const char *const offers[] = {
    /* a publisher's offer: it sends, it does not receive */
    SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n",
    SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=inactive\r\na=rtpmap:111 opus/48000/2\r\n",
    /* a rejected line */
    SESSION "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n",
    /* no codec we send */
    SESSION "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=rtpmap:0 PCMU/8000\r\n",
    SESSION "m=video 9 UDP/TLS/RTP/SAVPF 104\r\na=rtpmap:104 H264/90000\r\n"
    "a=fmtp:104 packetization-mode=0\r\n",
    /* not SDP at all, or no media */
    "hello", "", SESSION,
  };

  for (guint i = 0; i < G_N_ELEMENTS (offers); i++) {
    g_autoptr (GError) error = NULL;
    SipcastWhepOffer offer;

    g_test_message ("offer %u", i);
    g_assert_false (sipcast_whep_offer_parse (offers[i], &offer, &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/whep-offer/chrome", test_chrome);
  g_test_add_func ("/whep-offer/firefox-audio-only", test_firefox_audio_only);
  g_test_add_func ("/whep-offer/nothing-to-receive", test_nothing_to_receive);
  return g_test_run ();
}

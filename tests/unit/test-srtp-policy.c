/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-srtp-policy"

#include <string.h>
#include <glib.h>

#include "sipcast-codec.h"
#include "sipcast-error.h"
#include "sipcast-srtp-policy.h"

#define KEY_A "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define HEAD "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"

static char *
offer_with_keys (gboolean savp,
                 SipcastSdpCrypto keys[SIPCAST_SRTP_N_OFFERED])
{
  const char *const names[] = { "PCMA", NULL };
  g_autofree const SipcastCodec **codecs =
    sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO, names, NULL);
  SipcastSdpOfferParams params = {
    .address = "127.0.0.1", .session_id = 1, .session_version = 1,
    .audio_port = 31000, .audio_direction = SIPCAST_SDP_SENDRECV, .audio_codecs = codecs,
    .audio_crypto = keys, .n_crypto = SIPCAST_SRTP_N_OFFERED, .savp = savp,
  };

  sipcast_srtp_policy_offer_keys (keys);
  return sipcast_sdp_build_offer (&params);
}

/* Our offer carries both keys; the answer's key must name one of them. */
static void
test_outgoing (void)
{
  SipcastSdpCrypto keys[SIPCAST_SRTP_N_OFFERED];
  g_autofree char *optional = offer_with_keys (FALSE, keys);
  g_autofree char *mandatory = offer_with_keys (TRUE, keys);
  g_autofree char *line = sipcast_sdp_crypto_to_string (&keys[1]);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpAnswer) answer = NULL;

  g_assert_nonnull (strstr (optional, "m=audio 31000 RTP/AVP 8"));
  g_assert_nonnull (strstr (optional, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
  g_assert_nonnull (strstr (optional, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"));
  g_assert_nonnull (strstr (mandatory, "m=audio 31000 RTP/SAVP 8"));
  g_assert_nonnull (strstr (mandatory, line));

  answer = sipcast_sdp_parse_answer (HEAD "m=audio 5004 RTP/SAVP 8\r\n"
                                     "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY_A "\r\n",
                                     &error);
  g_assert_no_error (error);
  g_assert_true (answer->audio->has_crypto);
  g_assert_true (sipcast_srtp_policy_take_answer (answer->audio, SIPCAST_SRTP_MANDATORY, keys,
                                                  &error));
  g_assert_no_error (error);
  g_assert_cmpmem (answer->audio->local_crypto.key, SIPCAST_SRTP_KEY_LEN, keys[1].key,
                   SIPCAST_SRTP_KEY_LEN);
  g_clear_pointer (&answer, sipcast_sdp_answer_free);

  /* A tag we never offered. */
  answer = sipcast_sdp_parse_answer (HEAD "m=audio 5004 RTP/SAVP 8\r\n"
                                     "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" KEY_A "\r\n",
                                     &error);
  g_assert_no_error (error);
  g_assert_false (sipcast_srtp_policy_take_answer (answer->audio, SIPCAST_SRTP_OPTIONAL, keys,
                                                   &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP);
  g_clear_error (&error);
  g_clear_pointer (&answer, sipcast_sdp_answer_free);

  /* Plain: fine when optional, refused when mandatory. */
  answer = sipcast_sdp_parse_answer (HEAD "m=audio 5004 RTP/AVP 8\r\n", &error);
  g_assert_no_error (error);
  g_assert_false (answer->audio->has_crypto);
  g_assert_true (sipcast_srtp_policy_take_answer (answer->audio, SIPCAST_SRTP_OPTIONAL, keys,
                                                  &error));
  g_assert_false (sipcast_srtp_policy_take_answer (answer->audio, SIPCAST_SRTP_MANDATORY, keys,
                                                   &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);
  g_clear_error (&error);
  g_clear_pointer (&answer, sipcast_sdp_answer_free);

  /* RTP/SAVP without any key is no answer we can use. */
  answer = sipcast_sdp_parse_answer (HEAD "m=audio 5004 RTP/SAVP 8\r\n", &error);
  g_assert_null (answer);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);
}

/* An offered key is answered with ours, same tag and suite, on the
 * offer's transport; best effort on RTP/AVP only when SRTP is not off. */
static void
test_incoming (void)
{
  const char *const names[] = { "PCMA", NULL };
  g_autofree const SipcastCodec **codecs =
    sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO, names, NULL);
  SipcastSdpAnswerParams params = {
    .address = "127.0.0.1", .session_id = 2, .session_version = 1,
    .audio_port = 32000, .audio_direction = SIPCAST_SDP_SENDRECV,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *ours = NULL;
  SipcastSdpMedia *chosen;

  offer = sipcast_sdp_parse_offer (HEAD "m=audio 5004 RTP/SAVP 8\r\n"
                                   "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" KEY_A KEY_A "\r\n"
                                   "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" KEY_A "\r\n",
                                   codecs, NULL, &error);
  g_assert_no_error (error);
  chosen = offer->audio->chosen;
  g_assert_true (chosen->has_crypto);
  g_assert_cmpuint (chosen->crypto.tag, ==, 3);
  g_assert_true (sipcast_srtp_policy_answer_offer (chosen, offer->audio->proto,
                                                   SIPCAST_SRTP_OFF, &error));
  g_assert_true (chosen->has_crypto);
  g_assert_cmpuint (chosen->local_crypto.tag, ==, 3);
  g_assert_true (memcmp (chosen->local_crypto.key, chosen->crypto.key, SIPCAST_SRTP_KEY_LEN) != 0);
  answer = sipcast_sdp_build_answer (offer, &params);
  ours = sipcast_sdp_crypto_to_string (&chosen->local_crypto);
  g_assert_nonnull (strstr (answer, "m=audio 32000 RTP/SAVP 8\r\n"));
  g_assert_nonnull (strstr (answer, ours));
  g_clear_pointer (&offer, sipcast_sdp_offer_free);

  /* RTP/AVP with a key and srtp=off: answered plain. */
  offer = sipcast_sdp_parse_offer (HEAD "m=audio 5004 RTP/AVP 8\r\n"
                                   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
                                   codecs, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sipcast_srtp_policy_answer_offer (offer->audio->chosen, offer->audio->proto,
                                                   SIPCAST_SRTP_OFF, &error));
  g_assert_false (offer->audio->chosen->has_crypto);
  g_clear_pointer (&offer, sipcast_sdp_offer_free);

  /* No key at all, srtp=mandatory: 488. */
  offer = sipcast_sdp_parse_offer (HEAD "m=audio 5004 RTP/AVP 8\r\n", codecs, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (sipcast_srtp_policy_answer_offer (offer->audio->chosen, offer->audio->proto,
                                                    SIPCAST_SRTP_MANDATORY, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);
  g_clear_error (&error);
  g_clear_pointer (&offer, sipcast_sdp_offer_free);

  /* RTP/SAVP whose only key we cannot use: the line is refused. */
  offer = sipcast_sdp_parse_offer (HEAD "m=audio 5004 RTP/SAVP 8\r\n"
                                   "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" KEY_A "\r\n",
                                   codecs, NULL, &error);
  g_assert_null (offer);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/srtp-policy/outgoing", test_outgoing);
  g_test_add_func ("/srtp-policy/incoming", test_incoming);
  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-sdp-crypto"

#include <string.h>
#include <glib.h>

#include "sipcast-error.h"
#include "sipcast-sdp-crypto.h"

/* RFC 4568 §9.2's example key. */
#define EXAMPLE_KEY "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"

static void
test_parse_example (void)
{
  g_autoptr (GError) error = NULL;
  SipcastSdpCrypto crypto;

  g_assert_true (sipcast_sdp_crypto_parse ("1 AES_CM_128_HMAC_SHA1_80 inline:" EXAMPLE_KEY "|2^20|1:32",
                                           &crypto, &error) == FALSE);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);
  g_clear_error (&error);

  g_assert_true (sipcast_sdp_crypto_parse ("1 AES_CM_128_HMAC_SHA1_80 inline:" EXAMPLE_KEY,
                                           &crypto, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (crypto.tag, ==, 1);
  g_assert_cmpint (crypto.suite, ==, SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_80);
  g_assert_cmpuint (crypto.key[0], ==, 0x3d);  /* 'P','S' → 0x3d 0x2d */

  g_assert_true (sipcast_sdp_crypto_parse ("2 AES_CM_128_HMAC_SHA1_32 inline:" EXAMPLE_KEY "|2^31",
                                           &crypto, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (crypto.tag, ==, 2);
  g_assert_cmpint (crypto.suite, ==, SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_32);
  g_assert_cmpstr (sipcast_srtp_suite_rtp_auth (crypto.suite), ==, "hmac-sha1-32");
}

static void
test_refused (void)
{
  const struct {
    const char *value;
    int code;
  } cases[] = {
    { "", SIPCAST_ERROR_SDP },
    { "1", SIPCAST_ERROR_SDP },
    { "x AES_CM_128_HMAC_SHA1_80 inline:" EXAMPLE_KEY, SIPCAST_ERROR_SDP },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:", SIPCAST_ERROR_SDP },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=", SIPCAST_ERROR_SDP },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:%%%%", SIPCAST_ERROR_SDP },
    { "1 AES_CM_128_HMAC_SHA1_80 key:" EXAMPLE_KEY, SIPCAST_ERROR_SDP },
    { "1 AES_256_CM_HMAC_SHA1_80 inline:" EXAMPLE_KEY, SIPCAST_ERROR_NO_COMMON_CODEC },
    { "1 F8_128_HMAC_SHA1_80 inline:" EXAMPLE_KEY, SIPCAST_ERROR_NO_COMMON_CODEC },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" EXAMPLE_KEY "|2^20", SIPCAST_ERROR_NO_COMMON_CODEC },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" EXAMPLE_KEY " UNENCRYPTED_SRTP",
      SIPCAST_ERROR_NO_COMMON_CODEC },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" EXAMPLE_KEY ";inline:" EXAMPLE_KEY,
      SIPCAST_ERROR_NO_COMMON_CODEC },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    SipcastSdpCrypto crypto;

    g_test_message ("%s", cases[i].value);
    g_assert_false (sipcast_sdp_crypto_parse (cases[i].value, &crypto, &error));
    g_assert_error (error, SIPCAST_ERROR, cases[i].code);
  }
}

/* A generated key is written and read back unchanged, and two are not
 * the same. */
static void
test_round_trip (void)
{
  SipcastSdpCrypto a, b, parsed;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  sipcast_sdp_crypto_generate (&a, 7, SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_32);
  sipcast_sdp_crypto_generate (&b, 7, SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_32);
  g_assert_cmpmem (a.key, sizeof a.key, a.key, sizeof a.key);
  g_assert_true (memcmp (a.key, b.key, sizeof a.key) != 0);
  text = sipcast_sdp_crypto_to_string (&a);
  g_assert_true (g_str_has_prefix (text, "7 AES_CM_128_HMAC_SHA1_32 inline:"));
  g_assert_cmpuint (strlen (text), ==, strlen ("7 AES_CM_128_HMAC_SHA1_32 inline:") + 40);
  g_assert_true (sipcast_sdp_crypto_parse (text, &parsed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (parsed.tag, ==, 7);
  g_assert_cmpint (parsed.suite, ==, a.suite);
  g_assert_cmpmem (parsed.key, sizeof parsed.key, a.key, sizeof a.key);
}

static void
test_modes (void)
{
  SipcastSrtpMode mode;

  g_assert_true (sipcast_srtp_mode_from_string ("mandatory", &mode));
  g_assert_cmpint (mode, ==, SIPCAST_SRTP_MANDATORY);
  g_assert_true (sipcast_srtp_mode_from_string ("off", &mode));
  g_assert_cmpint (mode, ==, SIPCAST_SRTP_OFF);
  g_assert_false (sipcast_srtp_mode_from_string ("yes", &mode));
  g_assert_cmpstr (sipcast_srtp_mode_to_string (SIPCAST_SRTP_OPTIONAL), ==, "optional");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp-crypto/parse", test_parse_example);
  g_test_add_func ("/sdp-crypto/refused", test_refused);
  g_test_add_func ("/sdp-crypto/round-trip", test_round_trip);
  g_test_add_func ("/sdp-crypto/modes", test_modes);
  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sdp"

#include "config.h"

#include "sipcast-sdp-crypto.h"
#include "sipcast-error.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

/* See the header.  RFC 4568 §9.1:
 *   a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]
 *   key-params = "inline:" <key||salt base64> ["|" lifetime] ["|" MKI:length]
 */

static const struct {
  SipcastSrtpSuite suite;
  const char *name;
  const char *rtp_auth;
} suites[] = {
  { SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", "hmac-sha1-80" },
  { SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", "hmac-sha1-32" },
};

const char *
sipcast_srtp_suite_name (SipcastSrtpSuite suite)
{
  return suites[suite].name;
}

const char *
sipcast_srtp_suite_rtp_auth (SipcastSrtpSuite suite)
{
  return suites[suite].rtp_auth;
}

gboolean
sipcast_srtp_mode_from_string (const char      *text,
                               SipcastSrtpMode *mode)
{
  static const char *const names[] = { "off", "optional", "mandatory" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    if (g_strcmp0 (text, names[i]) == 0) {
      *mode = (SipcastSrtpMode) i;
      return TRUE;
    }
  }
  return FALSE;
}

const char *
sipcast_srtp_mode_to_string (SipcastSrtpMode mode)
{
  switch (mode) {
  case SIPCAST_SRTP_OFF:
    return "off";
  case SIPCAST_SRTP_OPTIONAL:
    return "optional";
  case SIPCAST_SRTP_MANDATORY:
    return "mandatory";
  }
  return "off";
}

void
sipcast_sdp_crypto_generate (SipcastSdpCrypto *crypto,
                             guint             tag,
                             SipcastSrtpSuite  suite)
{
  gsize done = 0;

  crypto->tag = tag;
  crypto->suite = suite;
  /* getrandom() on a key this small never returns short once the pool is
   * initialised; a failure is a broken system, not a case to go on in. */
  while (done < sizeof crypto->key) {
    ssize_t n = getrandom (crypto->key + done, sizeof crypto->key - done, 0);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      g_error ("getrandom: %s", g_strerror (errno));
    done += (gsize) n;
  }
}

char *
sipcast_sdp_crypto_to_string (const SipcastSdpCrypto *crypto)
{
  g_autofree char *key = g_base64_encode (crypto->key, sizeof crypto->key);

  return g_strdup_printf ("%u %s inline:%s", crypto->tag,
                          sipcast_srtp_suite_name (crypto->suite), key);
}

static gboolean
unusable (GError    **error,
          const char *value,
          const char *why)
{
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
               "a=crypto “%s”: %s", value, why);
  return FALSE;
}

static gboolean
invalid (GError    **error,
         const char *value)
{
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
               "a=crypto “%s” is not an SDES crypto attribute", value);
  return FALSE;
}

/* "|2^31", "|1048576": a key lifetime in packets; ours (a call) is far
 * below 2^31, libsrtp's own limit, so shorter ones would need re-keying
 * we do not do. */
static gboolean
lifetime_ok (const char *text)
{
  guint64 value;

  if (g_str_has_prefix (text, "2^")) {
    if (!g_ascii_string_to_unsigned (text + 2, 10, 1, 63, &value, NULL))
      return FALSE;
    return value >= 31;
  }
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT64, &value, NULL))
    return FALSE;
  return value >= (G_GUINT64_CONSTANT (1) << 31);
}

gboolean
sipcast_sdp_crypto_parse (const char        *value,
                          SipcastSdpCrypto  *crypto,
                          GError           **error)
{
  g_auto (GStrv) fields = NULL;
  g_auto (GStrv) params = NULL;
  g_autofree guchar *key = NULL;
  gsize key_len = 0;
  guint64 tag;
  gboolean known = FALSE;

  g_return_val_if_fail (value != NULL && crypto != NULL, FALSE);

  fields = g_strsplit_set (value, " \t", -1);
  /* tag, suite, key params (session params are not for us) */
  if (g_strv_length (fields) < 3 ||
      !g_ascii_string_to_unsigned (fields[0], 10, 0, 999999999, &tag, NULL))
    return invalid (error, value);
  if (g_strv_length (fields) > 3 && *fields[3] != '\0')
    return unusable (error, value, "session parameters are not supported");

  for (guint i = 0; i < G_N_ELEMENTS (suites); i++) {
    if (g_str_equal (fields[1], suites[i].name)) {
      crypto->suite = suites[i].suite;
      known = TRUE;
    }
  }

  /* One key only (";"-separated keys are for re-keying). */
  if (!g_str_has_prefix (fields[2], "inline:"))
    return invalid (error, value);
  if (strchr (fields[2], ';') != NULL)
    return known ? unusable (error, value, "only one inline key is supported") :
           invalid (error, value);
  params = g_strsplit (fields[2] + strlen ("inline:"), "|", -1);
  if (params[0] == NULL || *params[0] == '\0')
    return invalid (error, value);
  for (const char *p = params[0]; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return invalid (error, value);
  }
  key = g_base64_decode (params[0], &key_len);
  if (!known)
    return unusable (error, value, "crypto suite not supported");
  if (key_len != SIPCAST_SRTP_KEY_LEN)
    return invalid (error, value);
  for (guint i = 1; params[i] != NULL; i++) {
    if (strchr (params[i], ':') != NULL)
      return unusable (error, value, "MKI is not supported");
    if (i > 1 || !lifetime_ok (params[i]))
      return unusable (error, value, "key lifetime too short");
  }

  crypto->tag = (guint) tag;
  memcpy (crypto->key, key, SIPCAST_SRTP_KEY_LEN);
  return TRUE;
}

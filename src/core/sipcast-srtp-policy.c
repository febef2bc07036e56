/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sdp"

#include "config.h"

#include "sipcast-srtp-policy.h"
#include "sipcast-error.h"

/* See the header. */

#define SRTP_REQUIRED "SRTP required (srtp=mandatory) but the far end sent no usable key"

void
sipcast_srtp_policy_offer_keys (SipcastSdpCrypto keys[SIPCAST_SRTP_N_OFFERED])
{
  sipcast_sdp_crypto_generate (&keys[0], 1, SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_80);
  sipcast_sdp_crypto_generate (&keys[1], 2, SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_32);
}

gboolean
sipcast_srtp_policy_take_answer (SipcastSdpMedia        *media,
                                 SipcastSrtpMode         mode,
                                 const SipcastSdpCrypto *offered,
                                 GError                **error)
{
  if (media == NULL)
    return TRUE;
  if (!media->has_crypto) {
    if (mode == SIPCAST_SRTP_MANDATORY) {
      g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC, SRTP_REQUIRED);
      return FALSE;
    }
    return TRUE;
  }
  for (guint i = 0; mode != SIPCAST_SRTP_OFF && i < SIPCAST_SRTP_N_OFFERED; i++) {
    if (offered[i].tag == media->crypto.tag && offered[i].suite == media->crypto.suite) {
      media->local_crypto = offered[i];
      return TRUE;
    }
  }
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP,
               "SDP answer has an a=crypto (tag %u, %s) that answers no key we offered",
               media->crypto.tag, sipcast_srtp_suite_name (media->crypto.suite));
  return FALSE;
}

gboolean
sipcast_srtp_policy_answer_offer (SipcastSdpMedia  *chosen,
                                  const char       *proto,
                                  SipcastSrtpMode   mode,
                                  GError          **error)
{
  gboolean savp = g_strcmp0 (proto, "RTP/SAVP") == 0 || g_strcmp0 (proto, "RTP/SAVPF") == 0;

  if (chosen->has_crypto && !savp && mode == SIPCAST_SRTP_OFF)
    chosen->has_crypto = FALSE;
  if (!chosen->has_crypto) {
    if (mode == SIPCAST_SRTP_MANDATORY) {
      g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC, SRTP_REQUIRED);
      return FALSE;
    }
    return TRUE;
  }
  sipcast_sdp_crypto_generate (&chosen->local_crypto, chosen->crypto.tag, chosen->crypto.suite);
  return TRUE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Whether a call's media is SRTP, and with which keys, from its
 * SipcastSrtpMode and the SDP exchanged: the keys we offer, the far end's
 * answer checked against them, and our key for an offer we answer.  Pure
 * functions on parsed SDP (sipcast-sdp.h), no I/O.
 */

#include "sipcast-sdp.h"

G_BEGIN_DECLS

/* Our keys for one m= line of an offer: AES_CM_128_HMAC_SHA1_80 under tag
 * 1, then _32 under tag 2. */
#define SIPCAST_SRTP_N_OFFERED 2
void     sipcast_srtp_policy_offer_keys (SipcastSdpCrypto keys[SIPCAST_SRTP_N_OFFERED]);

/* The far end answered our offer (made with @offered keys when @mode is
 * not OFF) with @media (NULL: no such line; TRUE).  Its key must name one
 * of ours (same tag and suite), which becomes media->local_crypto.  No
 * key: plain RTP, unless @mode is MANDATORY.
 *
 * Errors: SIPCAST_ERROR_NO_COMMON_CODEC "SRTP required ..." (mandatory,
 * no key), SIPCAST_ERROR_SDP (a key under a tag we did not offer, or a key
 * in an answer to an offer without any). */
gboolean sipcast_srtp_policy_take_answer (SipcastSdpMedia        *media,
                                          SipcastSrtpMode         mode,
                                          const SipcastSdpCrypto *offered,
                                          GError                **error);

/* We answer an offered line @chosen on transport @proto: a key offered on
 * RTP/SAVP is always taken, one on RTP/AVP (best effort) unless @mode is
 * OFF (then chosen->has_crypto is cleared and the answer is plain); a
 * taken key gets our own key of its suite and tag in
 * chosen->local_crypto.  No key under MANDATORY: SIPCAST_ERROR_NO_COMMON_CODEC
 * (488). */
gboolean sipcast_srtp_policy_answer_offer (SipcastSdpMedia  *chosen,
                                           const char       *proto,
                                           SipcastSrtpMode   mode,
                                           GError          **error);

G_END_DECLS

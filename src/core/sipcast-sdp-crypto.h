/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * SDES keys for SRTP (RFC 4568): the a=crypto attribute of an SDP media
 * line, read and written, and fresh keys made.  Two crypto suites, the
 * ones every SDES phone speaks: AES_CM_128_HMAC_SHA1_80 and _32 (a
 * 128-bit AES key and a 112-bit salt, sent together as 30 bytes of
 * base64).  Pure parsing and building, no I/O.
 */

#include <glib.h>

G_BEGIN_DECLS

#define SIPCAST_SRTP_KEY_LEN 30   /* master key 16 + master salt 14 */

typedef enum {
  SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_80,
  SIPCAST_SRTP_AES_CM_128_HMAC_SHA1_32,
} SipcastSrtpSuite;

/* [media] srtp and the "srtp" field of /call/startup. */
typedef enum {
  SIPCAST_SRTP_OFF,
  SIPCAST_SRTP_OPTIONAL,   /* offered (RTP/AVP + a=crypto), plain accepted */
  SIPCAST_SRTP_MANDATORY,  /* offered as RTP/SAVP; plain refused (488) */
} SipcastSrtpMode;

typedef struct {
  guint            tag;
  SipcastSrtpSuite suite;
  guint8           key[SIPCAST_SRTP_KEY_LEN];
} SipcastSdpCrypto;

/* "AES_CM_128_HMAC_SHA1_80" */
const char *sipcast_srtp_suite_name (SipcastSrtpSuite suite);
/* srtpenc/srtpdec's names of the suite's SRTP authentication
 * ("hmac-sha1-80", "hmac-sha1-32"); SRTCP always uses hmac-sha1-80
 * (RFC 4568 §6.2). */
const char *sipcast_srtp_suite_rtp_auth (SipcastSrtpSuite suite);

/* "off", "optional", "mandatory" → the mode; FALSE for anything else. */
gboolean    sipcast_srtp_mode_from_string (const char      *text,
                                           SipcastSrtpMode *mode);
const char *sipcast_srtp_mode_to_string   (SipcastSrtpMode  mode);

/* A new key of @suite under @tag, from a cryptographic random source. */
void  sipcast_sdp_crypto_generate (SipcastSdpCrypto *crypto,
                                   guint             tag,
                                   SipcastSrtpSuite  suite);

/* The attribute value, "1 AES_CM_128_HMAC_SHA1_80 inline:BASE64", as in
 * "a=crypto:" + this. */
char *sipcast_sdp_crypto_to_string (const SipcastSdpCrypto *crypto);

/* Parses an a=crypto value.  FALSE with SIPCAST_ERROR_SDP when it is not
 * one; FALSE with SIPCAST_ERROR_NO_COMMON_CODEC when it is valid but not
 * usable by us: another suite, an MKI, more than one key, a key lifetime
 * shorter than 2^31 packets or session parameters (UNENCRYPTED_SRTP…). */
gboolean sipcast_sdp_crypto_parse (const char        *value,
                                   SipcastSdpCrypto  *crypto,
                                   GError           **error);

G_END_DECLS

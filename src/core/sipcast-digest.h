/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The server side of SIP digest authentication (RFC 2617 / RFC 3261
 * §22.4, MD5, qop "auth" only: RFC 2069 credentials without qop are
 * refused), for routes that require credentials
 * from a caller.  Nonces are the time they were made, 64 random bits and
 * an HMAC of both under a key only this daemon knows, so any nonce we
 * issued can be checked for age without remembering it.  What is
 * remembered, until the nonce expires, is the highest nonce count
 * accepted with it, so the same credentials are never accepted twice (a
 * replayed INVITE).
 */

#include <glib.h>
#include <sofia-sip/sip.h>

G_BEGIN_DECLS

/* Seconds a nonce stays valid; an older one gets a fresh challenge with
 * stale=true, which clients answer without asking the user again. */
#define SIPCAST_DIGEST_NONCE_LIFETIME 300

typedef enum {
  SIPCAST_DIGEST_OK,
  SIPCAST_DIGEST_STALE,     /* right password, nonce too old or not ours */
  SIPCAST_DIGEST_WRONG,     /* wrong user, realm, password, or malformed */
} SipcastDigestResult;

/* The nonce counts accepted so far, per nonce. */
typedef struct _SipcastDigestNonces SipcastDigestNonces;

SipcastDigestNonces *sipcast_digest_nonces_new  (void);
void                 sipcast_digest_nonces_free (SipcastDigestNonces *nonces);
/* How many nonces are remembered (exposed for tests). */
guint                sipcast_digest_nonces_size (SipcastDigestNonces *nonces);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastDigestNonces, sipcast_digest_nonces_free)

/* A new key to sign nonces with: 32 bytes from the kernel's CSPRNG. */
GBytes *sipcast_digest_key_new (void);

/* A new nonce for time @now (seconds), signed with @key. */
char *sipcast_digest_nonce_new (GBytes *key,
                                gint64  now);

/* The WWW-Authenticate value: Digest realm="…", nonce="…", … */
char *sipcast_digest_challenge (const char *realm,
                                const char *nonce,
                                gboolean    stale);

/* Checks the parameters of an Authorization: Digest header (@params as
 * sofia-sip's msg_auth_t au_params: "username=\"alice\"", "nc=00000001",
 * …, NULL-terminated) for @method to @request_uri (as the request line
 * has it: the uri parameter must be the same string) against
 * @user/@password in @realm.  qop=auth with nc and cnonce is required.
 * The response is compared in constant time.  Credentials that pass are
 * recorded in @seen: the same nonce is then accepted again only with a
 * higher nonce count; a repeat is STALE, so a real client just retries on
 * a new nonce. */
SipcastDigestResult sipcast_digest_check (const char *const   *params,
                                          const char          *method,
                                          const char          *request_uri,
                                          const char          *user,
                                          const char          *password,
                                          const char          *realm,
                                          GBytes              *key,
                                          SipcastDigestNonces *seen,
                                          gint64               now);

/* An MD5 hex digest of the parts joined with ':' (exposed for tests). */
char *sipcast_digest_md5 (const char *first,
                          ...) G_GNUC_NULL_TERMINATED;

/* The Authorization: Digest header of the request @sip whose realm
 * (quoted or not) is @realm, or NULL. */
const msg_auth_t *sipcast_digest_find_credentials (const sip_t *sip,
                                                   const char  *realm);

/* The client side.  The NUTAG_AUTH() string answering the first digest
 * challenge in @sip (a 401 or 407) whose scheme and realm are not in
 * @answered (strings, which it is added to); NULL when there is none: the
 * credentials were refused, or nobody asked for them. */
char *sipcast_digest_auth_string (const sip_t *sip,
                                  const char  *user,
                                  const char  *password,
                                  GPtrArray   *answered);

G_END_DECLS

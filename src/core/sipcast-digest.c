/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-digest"

#include "config.h"

#include <stdarg.h>
#include <string.h>
#include <sys/random.h>
#include <errno.h>

#include "sipcast-digest.h"

#include <sofia-sip/msg_header.h>

char *
sipcast_digest_md5 (const char *first,
                    ...)
{
  g_autoptr (GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
  const char *part = first;
  va_list ap;

  va_start (ap, first);
  for (gboolean head = TRUE; part != NULL; part = va_arg (ap, const char *), head = FALSE) {
    if (!head)
      g_checksum_update (md5, (const guchar *) ":", 1);
    g_checksum_update (md5, (const guchar *) part, strlen (part));
  }
  va_end (ap);
  return g_strdup (g_checksum_get_string (md5));
}

GBytes *
sipcast_digest_key_new (void)
{
  guint8 bytes[32];
  gsize got = 0;

  /* The kernel's CSPRNG: whoever can predict the key can sign nonces of
   * their own choosing.  getrandom() only fails while the pool is not
   * initialised (early boot) or on a signal; it then waits. */
  while (got < sizeof bytes) {
    ssize_t n = getrandom (bytes + got, sizeof bytes - got, 0);

    if (n > 0)
      got += (gsize) n;
    else if (n < 0 && errno != EINTR)
      g_error ("getrandom: %s", g_strerror (errno));
  }
  return g_bytes_new (bytes, sizeof bytes);
}

/* Equality of two strings in time that depends only on their lengths,
 * ASCII case-insensitively (hex digests come in either case): how much
 * of a guessed response is right must not show in the time taken. */
static gboolean
equal_constant_time (const char *a,
                     const char *b)
{
  gsize len_a = strlen (a);
  gsize len_b = strlen (b);
  guint8 diff = len_a != len_b;

  for (gsize i = 0; i < len_a; i++)
    diff |= (guint8) (g_ascii_tolower (a[i]) ^ g_ascii_tolower (b[i % MAX (len_b, 1)]));
  return diff == 0;
}

static char *
nonce_signature (GBytes     *key,
                 const char *signed_part)
{
  gsize len;
  const guchar *data = g_bytes_get_data (key, &len);

  return g_compute_hmac_for_string (G_CHECKSUM_SHA256, data, len, signed_part, -1);
}

/* "TIME-UNIQUE.SIGNATURE": the time in hex, 64 random bits so that two
 * challenges in the same second differ (each nonce's counts are tracked
 * on their own), and the HMAC of the two. */
char *
sipcast_digest_nonce_new (GBytes *key,
                          gint64  now)
{
  g_autofree char *signed_part =
    g_strdup_printf ("%" G_GINT64_MODIFIER "x-%08x%08x", now, g_random_int (), g_random_int ());
  g_autofree char *signature = nonce_signature (key, signed_part);

  return g_strconcat (signed_part, ".", signature, NULL);
}

struct _SipcastDigestNonces {
  /* nonce → NonceUse */
  GHashTable *uses;
};

typedef struct {
  gint64 made;
  /* the highest nonce count accepted; 0 for credentials without one */
  guint64 count;
} NonceUse;

SipcastDigestNonces *
sipcast_digest_nonces_new (void)
{
  SipcastDigestNonces *nonces = g_new0 (SipcastDigestNonces, 1);

  nonces->uses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return nonces;
}

void
sipcast_digest_nonces_free (SipcastDigestNonces *nonces)
{
  if (nonces == NULL)
    return;
  g_hash_table_unref (nonces->uses);
  g_free (nonces);
}

guint
sipcast_digest_nonces_size (SipcastDigestNonces *nonces)
{
  return g_hash_table_size (nonces->uses);
}

/* Records that @nonce (made at @made) was used with @count (0: no nonce
 * count); FALSE when it was used with that count or a higher one before,
 * or with none at all.  Forgets the nonces that have expired. */
static gboolean
nonce_use_is_new (SipcastDigestNonces *nonces,
                  const char          *nonce,
                  gint64               made,
                  guint64              count,
                  gint64               now)
{
  GHashTableIter iter;
  NonceUse *use;

  g_hash_table_iter_init (&iter, nonces->uses);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &use)) {
    if (now - use->made > SIPCAST_DIGEST_NONCE_LIFETIME)
      g_hash_table_iter_remove (&iter);
  }

  use = g_hash_table_lookup (nonces->uses, nonce);
  if (use != NULL) {
    if (count <= use->count)
      return FALSE;
    use->count = count;
    return TRUE;
  }
  use = g_new (NonceUse, 1);
  use->made = made;
  use->count = count;
  g_hash_table_insert (nonces->uses, g_strdup (nonce), use);
  return TRUE;
}

/* FALSE when @nonce is not one of ours (or too old); else sets @made to
 * the time it was made. */
static gboolean
nonce_is_fresh (GBytes     *key,
                const char *nonce,
                gint64      now,
                gint64     *made_out)
{
  const char *dot = strchr (nonce, '.');
  const char *dash;
  g_autofree char *signed_part = NULL;
  g_autofree char *stamp = NULL;
  g_autofree char *signature = NULL;
  guint64 made;

  if (dot == NULL)
    return FALSE;
  signed_part = g_strndup (nonce, dot - nonce);
  signature = nonce_signature (key, signed_part);
  if (!equal_constant_time (signature, dot + 1))
    return FALSE;
  dash = strchr (signed_part, '-');
  if (dash == NULL)
    return FALSE;
  stamp = g_strndup (signed_part, dash - signed_part);
  if (!g_ascii_string_to_unsigned (stamp, 16, 0, G_MAXINT64, &made, NULL))
    return FALSE;
  *made_out = (gint64) made;
  return (gint64) made <= now && now - (gint64) made <= SIPCAST_DIGEST_NONCE_LIFETIME;
}

char *
sipcast_digest_challenge (const char *realm,
                          const char *nonce,
                          gboolean    stale)
{
  return g_strdup_printf ("Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, qop=\"auth\"%s",
                          realm, nonce, stale ? ", stale=true" : "");
}

/* The value of parameter @name, unquoted, or NULL. */
static char *
param_get (const char *const *params,
           const char        *name)
{
  gsize name_len = strlen (name);

  for (guint i = 0; params != NULL && params[i] != NULL; i++) {
    const char *value;
    gsize len;

    if (g_ascii_strncasecmp (params[i], name, name_len) != 0 || params[i][name_len] != '=')
      continue;
    value = params[i] + name_len + 1;
    len = strlen (value);
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
      GString *out = g_string_new (NULL);

      /* quoted-string: a backslash escapes the next character. */
      for (gsize j = 1; j < len - 1; j++) {
        if (value[j] == '\\' && j + 1 < len - 1)
          j++;
        g_string_append_c (out, value[j]);
      }
      return g_string_free (out, FALSE);
    }
    return g_strdup (value);
  }
  return NULL;
}

SipcastDigestResult
sipcast_digest_check (const char *const   *params,
                      const char          *method,
                      const char          *request_uri,
                      const char          *user,
                      const char          *password,
                      const char          *realm,
                      GBytes              *key,
                      SipcastDigestNonces *seen,
                      gint64               now)
{
  g_autofree char *username = param_get (params, "username");
  g_autofree char *their_realm = param_get (params, "realm");
  g_autofree char *nonce = param_get (params, "nonce");
  g_autofree char *uri = param_get (params, "uri");
  g_autofree char *response = param_get (params, "response");
  g_autofree char *algorithm = param_get (params, "algorithm");
  g_autofree char *qop = param_get (params, "qop");
  g_autofree char *nc = param_get (params, "nc");
  g_autofree char *cnonce = param_get (params, "cnonce");
  g_autofree char *ha1 = NULL;
  g_autofree char *ha2 = NULL;
  g_autofree char *expected = NULL;
  guint64 count = 0;
  gint64 made = 0;

  if (username == NULL || their_realm == NULL || nonce == NULL || uri == NULL ||
      response == NULL)
    return SIPCAST_DIGEST_WRONG;
  /* The response signs the uri parameter, not the request: credentials
   * made for another Request-URI must not open this one. */
  if (!g_str_equal (uri, request_uri))
    return SIPCAST_DIGEST_WRONG;
  /* Without qop (RFC 2069) there is no nonce count and no client nonce:
   * nothing ties the credentials to one request, so none are taken. */
  if (qop == NULL)
    return SIPCAST_DIGEST_WRONG;
  if (algorithm != NULL && g_ascii_strcasecmp (algorithm, "MD5") != 0)
    return SIPCAST_DIGEST_WRONG;
  if (!g_str_equal (username, user) || !g_str_equal (their_realm, realm))
    return SIPCAST_DIGEST_WRONG;

  ha1 = sipcast_digest_md5 (user, realm, password, NULL);
  ha2 = sipcast_digest_md5 (method, uri, NULL);
  if (g_ascii_strcasecmp (qop, "auth") == 0 && nc != NULL && cnonce != NULL &&
      g_ascii_string_to_unsigned (nc, 16, 1, G_MAXUINT32, &count, NULL))
    expected = sipcast_digest_md5 (ha1, nonce, nc, cnonce, qop, ha2, NULL);
  else
    return SIPCAST_DIGEST_WRONG;
  if (!equal_constant_time (expected, response))
    return SIPCAST_DIGEST_WRONG;

  /* The password is right; only now does the nonce's age matter, so a
   * wrong password is never answered with an invitation to retry. */
  if (!nonce_is_fresh (key, nonce, now, &made))
    return SIPCAST_DIGEST_STALE;
  /* Right, but seen before: a replay, or a client that reuses a nonce
   * without counting. */
  if (!nonce_use_is_new (seen, nonce, made, count, now))
    return SIPCAST_DIGEST_STALE;
  return SIPCAST_DIGEST_OK;
}

const msg_auth_t *
sipcast_digest_find_credentials (const sip_t *sip,
                                 const char  *realm)
{
  for (const msg_auth_t *auth = sip->sip_authorization; auth != NULL; auth = auth->au_next) {
    const char *given = msg_params_find (auth->au_params, "realm=");
    g_autofree char *unquoted = NULL;

    if (g_ascii_strcasecmp (auth->au_scheme, "Digest") != 0 || given == NULL)
      continue;
    unquoted = g_strdup (given);
    if (unquoted[0] == '"' && strlen (unquoted) >= 2) {
      unquoted[strlen (unquoted) - 1] = '\0';
      memmove (unquoted, unquoted + 1, strlen (unquoted));
    }
    if (g_str_equal (unquoted, realm))
      return auth;
  }
  return NULL;
}

char *
sipcast_digest_auth_string (const sip_t *sip,
                            const char  *user,
                            const char  *password,
                            GPtrArray   *answered)
{
  const msg_auth_t *lists[2];

  if (sip == NULL || user == NULL || password == NULL)
    return NULL;

  /* A proxy (407) and the PBX behind it (401) may each want ours, for
   * realms of their own: the first challenge not answered yet. */
  lists[0] = sip->sip_proxy_authenticate;
  lists[1] = sip->sip_www_authenticate;
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++) {
    for (const msg_auth_t *challenge = lists[i]; challenge != NULL;
         challenge = challenge->au_next) {
      /* "Digest:\"realm\"", the realm quoted as it came. */
      const char *realm = msg_params_find (challenge->au_params, "realm=");
      g_autofree char *key = NULL;

      if (realm == NULL)
        continue;
      key = g_strdup_printf ("%s:%s", challenge->au_scheme, realm);
      if (g_ptr_array_find_with_equal_func (answered, key, g_str_equal, NULL))
        continue;
      g_ptr_array_add (answered, g_strdup (key));
      return g_strdup_printf ("%s:%s:%s", key, user, password);
    }
  }
  return NULL;
}

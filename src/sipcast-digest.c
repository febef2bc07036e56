/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-digest"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "sipcast-digest.h"

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

static char *
nonce_signature (GBytes     *key,
                 const char *stamp)
{
  gsize len;
  const guchar *data = g_bytes_get_data (key, &len);

  return g_compute_hmac_for_string (G_CHECKSUM_SHA256, data, len, stamp, -1);
}

char *
sipcast_digest_nonce_new (GBytes *key,
                          gint64  now)
{
  g_autofree char *stamp = g_strdup_printf ("%" G_GINT64_MODIFIER "x", now);
  g_autofree char *signature = nonce_signature (key, stamp);

  return g_strconcat (stamp, ".", signature, NULL);
}

/* FALSE when @nonce is not one of ours (or too old). */
static gboolean
nonce_is_fresh (GBytes     *key,
                const char *nonce,
                gint64      now)
{
  const char *dot = strchr (nonce, '.');
  g_autofree char *stamp = NULL;
  g_autofree char *signature = NULL;
  guint64 made;

  if (dot == NULL)
    return FALSE;
  stamp = g_strndup (nonce, dot - nonce);
  signature = nonce_signature (key, stamp);
  if (!g_str_equal (signature, dot + 1))
    return FALSE;
  if (!g_ascii_string_to_unsigned (stamp, 16, 0, G_MAXINT64, &made, NULL))
    return FALSE;
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
sipcast_digest_check (const char *const *params,
                      const char        *method,
                      const char        *user,
                      const char        *password,
                      const char        *realm,
                      GBytes            *key,
                      gint64             now)
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

  if (username == NULL || their_realm == NULL || nonce == NULL || uri == NULL ||
      response == NULL)
    return SIPCAST_DIGEST_WRONG;
  if (algorithm != NULL && g_ascii_strcasecmp (algorithm, "MD5") != 0)
    return SIPCAST_DIGEST_WRONG;
  if (!g_str_equal (username, user) || !g_str_equal (their_realm, realm))
    return SIPCAST_DIGEST_WRONG;

  ha1 = sipcast_digest_md5 (user, realm, password, NULL);
  ha2 = sipcast_digest_md5 (method, uri, NULL);
  if (qop == NULL) {
    expected = sipcast_digest_md5 (ha1, nonce, ha2, NULL);
  } else if (g_ascii_strcasecmp (qop, "auth") == 0 && nc != NULL && cnonce != NULL) {
    expected = sipcast_digest_md5 (ha1, nonce, nc, cnonce, qop, ha2, NULL);
  } else {
    return SIPCAST_DIGEST_WRONG;
  }
  if (g_ascii_strcasecmp (expected, response) != 0)
    return SIPCAST_DIGEST_WRONG;

  /* The password is right; only now does the nonce's age matter, so a
   * wrong password is never answered with an invitation to retry. */
  if (!nonce_is_fresh (key, nonce, now))
    return SIPCAST_DIGEST_STALE;
  return SIPCAST_DIGEST_OK;
}

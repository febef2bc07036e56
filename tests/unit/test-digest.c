/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-digest"

#include <string.h>

#include <glib.h>

#include "sipcast-digest.h"

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>

/*
 * Checking a caller's digest credentials: the RFC 2617 example, answers
 * computed as SIP clients compute them, and everything that must not pass.
 */

static GBytes *
test_key (void)
{
  return g_bytes_new_static ("0123456789abcdef", 16);
}

static void
test_rfc2617_example (void)
{
  /* RFC 2617 §3.5: the password is right, so a nonce that is not ours
   * is only "stale": the client retries with ours without asking. */
  const char *const params[] = {
    "username=\"Mufasa\"", "realm=\"testrealm@host.com\"",
    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"", "uri=\"/dir/index.html\"",
    "qop=auth", "nc=00000001", "cnonce=\"0a4f113b\"",
    "response=\"6629fae49393a05397450978507c4ef1\"",
    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"", NULL,
  };
  g_autoptr (GBytes) key = test_key ();
  g_autoptr (SipcastDigestNonces) seen = sipcast_digest_nonces_new ();

  g_assert_cmpint (sipcast_digest_check (params, "GET", "/dir/index.html", "Mufasa", "Circle Of Life",
                                         "testrealm@host.com", key, seen, 1000), ==,
                   SIPCAST_DIGEST_STALE);
  g_assert_cmpint (sipcast_digest_check (params, "GET", "/dir/index.html", "Mufasa", "Circle of life",
                                         "testrealm@host.com", key, seen, 1000), ==,
                   SIPCAST_DIGEST_WRONG);
  /* Neither was accepted, so nothing is remembered. */
  g_assert_cmpuint (sipcast_digest_nonces_size (seen), ==, 0);
}

/* The params a client sends for @password on our @nonce. */
static GStrv
client_params_counted (const char *nonce,
                       const char *user,
                       const char *password,
                       gboolean    with_qop,
                       guint       count)
{
  g_autofree char *nc = g_strdup_printf ("%08x", count);
  g_autofree char *nc_param = g_strdup_printf ("nc=%s", nc);
  g_autofree char *ha1 = sipcast_digest_md5 (user, "sipcast", password, NULL);
  g_autofree char *ha2 = sipcast_digest_md5 ("INVITE", "sip:studio@127.0.0.1", NULL);
  g_autofree char *response = with_qop ?
    sipcast_digest_md5 (ha1, nonce, nc, "abc", "auth", ha2, NULL) :
    sipcast_digest_md5 (ha1, nonce, ha2, NULL);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *username = g_strdup_printf ("username=\"%s\"", user);
  g_autofree char *nonce_param = g_strdup_printf ("nonce=\"%s\"", nonce);
  g_autofree char *response_param = g_strdup_printf ("response=\"%s\"", response);

  g_strv_builder_add (builder, username);
  g_strv_builder_add (builder, "realm=\"sipcast\"");
  g_strv_builder_add (builder, nonce_param);
  g_strv_builder_add (builder, "uri=\"sip:studio@127.0.0.1\"");
  g_strv_builder_add (builder, response_param);
  g_strv_builder_add (builder, "algorithm=MD5");
  if (with_qop) {
    g_strv_builder_add (builder, "qop=auth");
    g_strv_builder_add (builder, nc_param);
    g_strv_builder_add (builder, "cnonce=\"abc\"");
  }
  return g_strv_builder_end (builder);
}

/* The same with the first nonce count. */
static GStrv
client_params (const char *nonce,
               const char *user,
               const char *password,
               gboolean    with_qop)
{
  return client_params_counted (nonce, user, password, with_qop, 1);
}

/* sipcast_digest_check() for alice with a table of its own: every check
 * stands alone, no replays. */
static SipcastDigestResult
check_once (const char *const *params,
            const char        *method,
            GBytes            *key,
            gint64             now)
{
  g_autoptr (SipcastDigestNonces) seen = sipcast_digest_nonces_new ();

  return sipcast_digest_check (params, method, "sip:studio@127.0.0.1", "alice", "s3cret",
                               "sipcast", key, seen, now);
}

static void
test_our_nonce (void)
{
  g_autoptr (GBytes) key = test_key ();
  g_autofree char *nonce = sipcast_digest_nonce_new (key, 5000);
  g_auto (GStrv) right = client_params (nonce, "alice", "s3cret", TRUE);
  g_auto (GStrv) right_no_qop = client_params (nonce, "alice", "s3cret", FALSE);
  g_auto (GStrv) wrong = client_params (nonce, "alice", "secret", TRUE);
  g_auto (GStrv) other_user = client_params (nonce, "bob", "s3cret", TRUE);

#define CHECK(params, now) check_once ((const char *const *) (params), "INVITE", key, (now))

  g_assert_cmpint (CHECK (right, 5000), ==, SIPCAST_DIGEST_OK);
  /* RFC 2069 credentials (no qop, so no nonce count and no cnonce) are
   * refused, even with the right password. */
  g_assert_cmpint (CHECK (right_no_qop, 5010), ==, SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (CHECK (wrong, 5000), ==, SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (CHECK (other_user, 5000), ==, SIPCAST_DIGEST_WRONG);
  /* Old, or from the future: stale. */
  g_assert_cmpint (CHECK (right, 5000 + SIPCAST_DIGEST_NONCE_LIFETIME), ==, SIPCAST_DIGEST_OK);
  g_assert_cmpint (CHECK (right, 5001 + SIPCAST_DIGEST_NONCE_LIFETIME), ==, SIPCAST_DIGEST_STALE);
  g_assert_cmpint (CHECK (right, 4999), ==, SIPCAST_DIGEST_STALE);
  /* Another method (an ACK or BYE replaying the INVITE's answer). */
  g_assert_cmpint (check_once ((const char *const *) right, "BYE", key, 5000), ==,
                   SIPCAST_DIGEST_WRONG);
  /* Another daemon's key: not our nonce. */
  {
    g_autoptr (GBytes) other_key = g_bytes_new_static ("fedcba9876543210", 16);

    g_assert_cmpint (check_once ((const char *const *) right, "INVITE", other_key, 5000), ==,
                     SIPCAST_DIGEST_STALE);
  }
#undef CHECK
}

/* The same credentials are accepted once; a nonce again only with a
 * higher count; a nonce is forgotten once it has expired. */
static void
test_replay (void)
{
  g_autoptr (GBytes) key = test_key ();
  g_autoptr (SipcastDigestNonces) seen = sipcast_digest_nonces_new ();
  g_autofree char *nonce = sipcast_digest_nonce_new (key, 5000);
  g_autofree char *later_nonce = sipcast_digest_nonce_new (key, 5200);
  g_auto (GStrv) first = client_params_counted (nonce, "alice", "s3cret", TRUE, 1);
  g_auto (GStrv) second = client_params_counted (nonce, "alice", "s3cret", TRUE, 2);
  g_auto (GStrv) fifth = client_params_counted (nonce, "alice", "s3cret", TRUE, 5);
  g_auto (GStrv) later = client_params (later_nonce, "alice", "s3cret", TRUE);
  g_auto (GStrv) wrong = client_params_counted (nonce, "alice", "secret", TRUE, 9);

#define CHECK(params, now) \
  sipcast_digest_check ((const char *const *) (params), "INVITE", "sip:studio@127.0.0.1", \
                        "alice", "s3cret", \
                        "sipcast", key, seen, (now))

  /* Two challenges in the same second get nonces of their own. */
  {
    g_autofree char *same_second = sipcast_digest_nonce_new (key, 5000);

    g_assert_cmpstr (same_second, !=, nonce);
  }

  g_assert_cmpint (CHECK (first, 5001), ==, SIPCAST_DIGEST_OK);
  g_assert_cmpint (CHECK (first, 5002), ==, SIPCAST_DIGEST_STALE);
  g_assert_cmpint (CHECK (fifth, 5003), ==, SIPCAST_DIGEST_OK);
  /* Counts only go up. */
  g_assert_cmpint (CHECK (second, 5004), ==, SIPCAST_DIGEST_STALE);
  g_assert_cmpint (CHECK (fifth, 5005), ==, SIPCAST_DIGEST_STALE);
  /* A wrong password stays wrong, and is not recorded. */
  g_assert_cmpint (CHECK (wrong, 5006), ==, SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (CHECK (later, 5201), ==, SIPCAST_DIGEST_OK);
  g_assert_cmpint (CHECK (later, 5202), ==, SIPCAST_DIGEST_STALE);
  g_assert_cmpuint (sipcast_digest_nonces_size (seen), ==, 2);
  /* Once the first nonce has expired the table forgets it; the later one
   * is still remembered (and this is a replay of it). */
  g_assert_cmpint (CHECK (later, 5001 + SIPCAST_DIGEST_NONCE_LIFETIME), ==,
                   SIPCAST_DIGEST_STALE);
  g_assert_cmpuint (sipcast_digest_nonces_size (seen), ==, 1);
#undef CHECK
}

static void
test_malformed (void)
{
  g_autoptr (GBytes) key = test_key ();
  g_autoptr (SipcastDigestNonces) seen = sipcast_digest_nonces_new ();
  const char *const missing_response[] = {
    "username=\"alice\"", "realm=\"sipcast\"", "nonce=\"x\"", "uri=\"sip:a@b\"", NULL,
  };
  const char *const sha[] = {
    "username=\"alice\"", "realm=\"sipcast\"", "nonce=\"x\"", "uri=\"sip:a@b\"",
    "response=\"00\"", "algorithm=SHA-256", NULL,
  };
  const char *const qop_without_nc[] = {
    "username=\"alice\"", "realm=\"sipcast\"", "nonce=\"x\"", "uri=\"sip:a@b\"",
    "response=\"00\"", "qop=auth", NULL,
  };

  g_assert_cmpint (sipcast_digest_check (missing_response, "INVITE", "sip:a@b", "alice", "p", "sipcast",
                                         key, seen, 1), ==, SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (sipcast_digest_check (sha, "INVITE", "sip:a@b", "alice", "p", "sipcast", key, seen, 1), ==,
                   SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (sipcast_digest_check (qop_without_nc, "INVITE", "sip:a@b", "alice", "p", "sipcast",
                                         key, seen, 1), ==, SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (sipcast_digest_check (NULL, "INVITE", "sip:a@b", "alice", "p", "sipcast", key, seen, 1), ==,
                   SIPCAST_DIGEST_WRONG);
}

/* Credentials made for one Request-URI do not open another: the response
 * signs the uri parameter, which must be the request's. */
static void
test_uri_must_match (void)
{
  g_autoptr (GBytes) key = test_key ();
  g_autofree char *nonce = sipcast_digest_nonce_new (key, 5000);
  g_auto (GStrv) params = client_params (nonce, "alice", "s3cret", TRUE);

#define CHECK(uri) \
  sipcast_digest_check ((const char *const *) params, "INVITE", (uri), "alice", "s3cret", \
                        "sipcast", key, seen, 5000)
  {
    g_autoptr (SipcastDigestNonces) seen = sipcast_digest_nonces_new ();

    g_assert_cmpint (CHECK ("sip:vault@127.0.0.1"), ==, SIPCAST_DIGEST_WRONG);
    g_assert_cmpint (CHECK ("sip:studio@127.0.0.1:5070"), ==, SIPCAST_DIGEST_WRONG);
    g_assert_cmpuint (sipcast_digest_nonces_size (seen), ==, 0);
    g_assert_cmpint (CHECK ("sip:studio@127.0.0.1"), ==, SIPCAST_DIGEST_OK);
  }
#undef CHECK
}

/* A wrong response is wrong whatever its case or length; the right one
 * passes in either case (hex digits). */
static void
test_response_compare (void)
{
  g_autoptr (GBytes) key = test_key ();
  g_autofree char *nonce = sipcast_digest_nonce_new (key, 5000);
  g_auto (GStrv) params = client_params (nonce, "alice", "s3cret", TRUE);

  for (guint i = 0; params[i] != NULL; i++) {
    if (g_str_has_prefix (params[i], "response=\"")) {
      g_autofree char *right = g_strdup (params[i]);
      g_autofree char *upper = g_ascii_strup (params[i] + strlen ("response=\""), -1);

      g_free (params[i]);
      params[i] = g_strdup_printf ("response=\"%s", upper);
      g_assert_cmpint (check_once ((const char *const *) params, "INVITE", key, 5000), ==,
                       SIPCAST_DIGEST_OK);
      /* One hex digit short, one too many, one wrong. */
      params[i][strlen (params[i]) - 2] = '"';
      params[i][strlen (params[i]) - 1] = '\0';
      g_assert_cmpint (check_once ((const char *const *) params, "INVITE", key, 5000), ==,
                       SIPCAST_DIGEST_WRONG);
      g_free (params[i]);
      params[i] = g_strdup_printf ("%.*s0\"", (int) strlen (right) - 1, right);
      g_assert_cmpint (check_once ((const char *const *) params, "INVITE", key, 5000), ==,
                       SIPCAST_DIGEST_WRONG);
      g_free (params[i]);
      params[i] = g_strdup (right);
      params[i][strlen ("response=\"")] = params[i][strlen ("response=\"")] == '0' ? '1' : '0';
      g_assert_cmpint (check_once ((const char *const *) params, "INVITE", key, 5000), ==,
                       SIPCAST_DIGEST_WRONG);
    }
  }
}

/* Keys come from the kernel's random source: two are never the same. */
static void
test_key_new (void)
{
  g_autoptr (GBytes) a = sipcast_digest_key_new ();
  g_autoptr (GBytes) b = sipcast_digest_key_new ();

  g_assert_cmpuint (g_bytes_get_size (a), ==, 32);
  g_assert_false (g_bytes_equal (a, b));
}

static void
test_challenge (void)
{
  g_autofree char *fresh = sipcast_digest_challenge ("studio", "n1", FALSE);
  g_autofree char *stale = sipcast_digest_challenge ("studio", "n2", TRUE);

  g_assert_cmpstr (fresh, ==, "Digest realm=\"studio\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"");
  g_assert_cmpstr (stale, ==,
                   "Digest realm=\"studio\", nonce=\"n2\", algorithm=MD5, qop=\"auth\", stale=true");
}

/* @text (a SIP message, "\n" for line ends) parsed by sofia-sip. */
static msg_t *
parse_sip (const char *text)
{
  g_autoptr (GString) crlf = g_string_new (text);
  msg_t *msg;

  g_string_replace (crlf, "\n", "\r\n", 0);
  msg = msg_make (sip_default_mclass (), 0, crlf->str, crlf->len);
  g_assert_nonnull (msg);
  g_assert_nonnull (sip_object (msg));
  return msg;
}

static void
test_find_credentials (void)
{
  msg_t *msg = parse_sip ("INVITE sip:studio@127.0.0.1 SIP/2.0\n"
                          "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\n"
                          "From: <sip:alice@127.0.0.1>;tag=1\n"
                          "To: <sip:studio@127.0.0.1>\n"
                          "Call-ID: find-credentials\n"
                          "CSeq: 2 INVITE\n"
                          "Authorization: Basic YWxpY2U6c2VjcmV0\n"
                          "Authorization: Digest username=\"alice\", realm=\"other\", nonce=\"1\"\n"
                          "Authorization: Digest username=\"alice\", realm=\"sipcast\", nonce=\"2\"\n"
                          "Content-Length: 0\n\n");
  const sip_t *sip = sip_object (msg);
  const msg_auth_t *found;

  /* The Digest header of the realm asked for, its quotes ignored. */
  found = sipcast_digest_find_credentials (sip, "sipcast");
  g_assert_nonnull (found);
  g_assert_cmpstr (msg_params_find (found->au_params, "nonce="), ==, "\"2\"");
  found = sipcast_digest_find_credentials (sip, "other");
  g_assert_cmpstr (msg_params_find (found->au_params, "nonce="), ==, "\"1\"");
  g_assert_null (sipcast_digest_find_credentials (sip, "elsewhere"));
  msg_destroy (msg);
}

static void
test_auth_string (void)
{
  /* A proxy and the PBX behind it each challenge for their own realm. */
  msg_t *msg = parse_sip ("SIP/2.0 407 Proxy Authentication Required\n"
                          "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\n"
                          "From: <sip:alice@127.0.0.1>;tag=1\n"
                          "To: <sip:studio@127.0.0.1>;tag=2\n"
                          "Call-ID: auth-string\n"
                          "CSeq: 1 INVITE\n"
                          "WWW-Authenticate: Digest realm=\"pbx\", nonce=\"a\"\n"
                          "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"b\"\n"
                          "Content-Length: 0\n\n");
  const sip_t *sip = sip_object (msg);
  g_autoptr (GPtrArray) answered = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;

  g_assert_null (sipcast_digest_auth_string (sip, "alice", NULL, answered));
  g_assert_cmpuint (answered->len, ==, 0);

  /* The proxy's first, then the PBX's; a realm answered once and
   * challenged again means the credentials were refused: NULL. */
  first = sipcast_digest_auth_string (sip, "alice", "secret", answered);
  second = sipcast_digest_auth_string (sip, "alice", "secret", answered);
  third = sipcast_digest_auth_string (sip, "alice", "secret", answered);
  g_assert_cmpstr (first, ==, "Digest:\"proxy\":alice:secret");
  g_assert_cmpstr (second, ==, "Digest:\"pbx\":alice:secret");
  g_assert_null (third);
  msg_destroy (msg);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/digest/rfc2617-example", test_rfc2617_example);
  g_test_add_func ("/digest/our-nonce", test_our_nonce);
  g_test_add_func ("/digest/replay", test_replay);
  g_test_add_func ("/digest/malformed", test_malformed);
  g_test_add_func ("/digest/challenge", test_challenge);
  g_test_add_func ("/digest/find-credentials", test_find_credentials);
  g_test_add_func ("/digest/auth-string", test_auth_string);
  g_test_add_func ("/digest/uri-must-match", test_uri_must_match);
  g_test_add_func ("/digest/response-compare", test_response_compare);
  g_test_add_func ("/digest/key-new", test_key_new);

  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-digest"

#include <glib.h>

#include "sipcast-digest.h"

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

  g_assert_cmpint (sipcast_digest_check (params, "GET", "Mufasa", "Circle Of Life",
                                         "testrealm@host.com", key, 1000), ==,
                   SIPCAST_DIGEST_STALE);
  g_assert_cmpint (sipcast_digest_check (params, "GET", "Mufasa", "Circle of life",
                                         "testrealm@host.com", key, 1000), ==,
                   SIPCAST_DIGEST_WRONG);
}

/* The params a client sends for @password on our @nonce. */
static GStrv
client_params (const char *nonce,
               const char *user,
               const char *password,
               gboolean    with_qop)
{
  g_autofree char *ha1 = sipcast_digest_md5 (user, "sipcast", password, NULL);
  g_autofree char *ha2 = sipcast_digest_md5 ("INVITE", "sip:studio@127.0.0.1", NULL);
  g_autofree char *response = with_qop ?
    sipcast_digest_md5 (ha1, nonce, "00000001", "abc", "auth", ha2, NULL) :
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
    g_strv_builder_add (builder, "nc=00000001");
    g_strv_builder_add (builder, "cnonce=\"abc\"");
  }
  return g_strv_builder_end (builder);
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

#define CHECK(params, now) \
  sipcast_digest_check ((const char *const *) (params), "INVITE", "alice", "s3cret", \
                        "sipcast", key, (now))

  g_assert_cmpint (CHECK (right, 5000), ==, SIPCAST_DIGEST_OK);
  g_assert_cmpint (CHECK (right_no_qop, 5010), ==, SIPCAST_DIGEST_OK);
  g_assert_cmpint (CHECK (wrong, 5000), ==, SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (CHECK (other_user, 5000), ==, SIPCAST_DIGEST_WRONG);
  /* Old, or from the future: stale. */
  g_assert_cmpint (CHECK (right, 5000 + SIPCAST_DIGEST_NONCE_LIFETIME), ==, SIPCAST_DIGEST_OK);
  g_assert_cmpint (CHECK (right, 5001 + SIPCAST_DIGEST_NONCE_LIFETIME), ==, SIPCAST_DIGEST_STALE);
  g_assert_cmpint (CHECK (right, 4999), ==, SIPCAST_DIGEST_STALE);
  /* Another method (an ACK or BYE replaying the INVITE's answer). */
  g_assert_cmpint (sipcast_digest_check ((const char *const *) right, "BYE", "alice", "s3cret",
                                         "sipcast", key, 5000), ==, SIPCAST_DIGEST_WRONG);
  /* Another daemon's key: not our nonce. */
  {
    g_autoptr (GBytes) other_key = g_bytes_new_static ("fedcba9876543210", 16);

    g_assert_cmpint (sipcast_digest_check ((const char *const *) right, "INVITE", "alice",
                                           "s3cret", "sipcast", other_key, 5000), ==,
                     SIPCAST_DIGEST_STALE);
  }
#undef CHECK
}

static void
test_malformed (void)
{
  g_autoptr (GBytes) key = test_key ();
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

  g_assert_cmpint (sipcast_digest_check (missing_response, "INVITE", "alice", "p", "sipcast",
                                         key, 1), ==, SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (sipcast_digest_check (sha, "INVITE", "alice", "p", "sipcast", key, 1), ==,
                   SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (sipcast_digest_check (qop_without_nc, "INVITE", "alice", "p", "sipcast",
                                         key, 1), ==, SIPCAST_DIGEST_WRONG);
  g_assert_cmpint (sipcast_digest_check (NULL, "INVITE", "alice", "p", "sipcast", key, 1), ==,
                   SIPCAST_DIGEST_WRONG);
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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/digest/rfc2617-example", test_rfc2617_example);
  g_test_add_func ("/digest/our-nonce", test_our_nonce);
  g_test_add_func ("/digest/malformed", test_malformed);
  g_test_add_func ("/digest/challenge", test_challenge);

  return g_test_run ();
}

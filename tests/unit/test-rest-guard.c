/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-rest-guard"

#include <glib.h>

#include "sipcast-rest-guard.h"

/* Which Host, Origin and Content-Type headers the REST API takes. */

static void
test_host (void)
{
  g_auto (GStrv) allowed = sipcast_rest_guard_split_list (" Sipcast.Example.org, gw.lan ");
  const char *const good[] = {
    "127.0.0.1:8081", "127.0.0.1", "[::1]:8081", "[::1]", "localhost:8081", "LOCALHOST",
    "192.0.2.7:80", "sipcast.example.org:8081", "SIPCAST.example.org", "gw.lan",
    "sipcast.example.org.:8081",
  };
  const char *const bad[] = {
    "attacker.example:8081", "attacker.example", "localhost.attacker.example",
    "127.0.0.1.attacker.example", "", ":8081", "::1", "[::1", "sipcast.example.org.evil",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (sipcast_rest_guard_host_allowed (good[i], (const char *const *) allowed));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    if (sipcast_rest_guard_host_allowed (bad[i], (const char *const *) allowed))
      g_error ("Host “%s” allowed", bad[i]);
  }
  /* HTTP/1.0 without Host: not a browser. */
  g_assert_true (sipcast_rest_guard_host_allowed (NULL, NULL));
  g_assert_false (sipcast_rest_guard_host_allowed ("gw.lan", NULL));
}

static void
test_origin (void)
{
  g_auto (GStrv) allowed = sipcast_rest_guard_split_list ("https://Console.example.org/,");

  g_assert_cmpuint (g_strv_length (allowed), ==, 1);
  g_assert_true (sipcast_rest_guard_origin_allowed (NULL, "127.0.0.1:8081", NULL));
  /* The API's own pages. */
  g_assert_true (sipcast_rest_guard_origin_allowed ("http://127.0.0.1:8081", "127.0.0.1:8081",
                                                    NULL));
  g_assert_true (sipcast_rest_guard_origin_allowed ("http://LOCALHOST:8081",
                                                    "localhost:8081", NULL));
  g_assert_true (sipcast_rest_guard_origin_allowed ("https://console.example.org",
                                                    "127.0.0.1:8081",
                                                    (const char *const *) allowed));
  g_assert_false (sipcast_rest_guard_origin_allowed ("http://evil.example", "127.0.0.1:8081",
                                                     (const char *const *) allowed));
  /* Another port on the same host is another origin. */
  g_assert_false (sipcast_rest_guard_origin_allowed ("http://127.0.0.1:9000",
                                                     "127.0.0.1:8081", NULL));
  g_assert_false (sipcast_rest_guard_origin_allowed ("null", "127.0.0.1:8081", NULL));
  g_assert_false (sipcast_rest_guard_origin_allowed ("http://console.example.org",
                                                     "127.0.0.1:8081",
                                                     (const char *const *) allowed));
}

static void
test_content_type (void)
{
  g_assert_true (sipcast_rest_guard_content_type_allowed ("application/json", 10));
  g_assert_true (sipcast_rest_guard_content_type_allowed ("Application/JSON; charset=utf-8", 10));
  g_assert_true (sipcast_rest_guard_content_type_allowed ("application/json", 0));
  g_assert_true (sipcast_rest_guard_content_type_allowed (NULL, 0));
  g_assert_false (sipcast_rest_guard_content_type_allowed (NULL, 2));
  g_assert_false (sipcast_rest_guard_content_type_allowed ("text/plain", 2));
  g_assert_false (sipcast_rest_guard_content_type_allowed ("text/plain", 0));
  g_assert_false (sipcast_rest_guard_content_type_allowed ("application/x-www-form-urlencoded", 2));
  g_assert_false (sipcast_rest_guard_content_type_allowed ("multipart/form-data; boundary=x", 2));
  g_assert_false (sipcast_rest_guard_content_type_allowed ("application/jsonx", 2));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rest-guard/host", test_host);
  g_test_add_func ("/rest-guard/origin", test_origin);
  g_test_add_func ("/rest-guard/content-type", test_content_type);

  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-route"

#include <glib.h>

#include "sipcast-error.h"
#include "sipcast-route.h"

/*
 * Routing rules as an operator writes them: which callee a route takes,
 * first match in file order, the publish target filled in from the call,
 * and the mistakes refused when the configuration is loaded.
 */

static SipcastRoute *
load (const char  *text,
      const char  *group,
      GError     **error)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GError) parse_error = NULL;

  g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_NONE, &parse_error);
  g_assert_no_error (parse_error);
  return sipcast_route_new_from_key_file (key_file, group, error);
}

static void
test_glob (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastRoute) route = load ("[route studio]\n"
                                         "callee=studio-*\n"
                                         "rtmp-url=rtmp://127.0.0.1/live/\n"
                                         "rtmp-stream=${callee}\n",
                                         "route studio", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (route->name, ==, "studio");
  g_assert_true (sipcast_route_matches (route, "studio-a"));
  g_assert_true (sipcast_route_matches (route, "studio-"));
  g_assert_false (sipcast_route_matches (route, "xstudio-a"));
  g_assert_false (sipcast_route_matches (route, NULL));
  /* Defaults. */
  g_assert_true (route->has_audio);
  g_assert_false (route->has_video);
  g_assert_cmpuint (route->reject, ==, 0);
  g_assert_cmpuint (route->ring_time, ==, 0);
  g_assert_cmpuint (route->max_calls, ==, SIPCAST_ROUTE_DEFAULT_MAX_CALLS);
  g_assert_null (route->user);
  g_assert_cmpstr (route->realm, ==, "sipcast");
}

static void
test_regex_whole_user_part (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastRoute) route = load ("[route ext]\n"
                                         "callee-regex=1[0-9]{3}|200\n",
                                         "route ext", &error);

  g_assert_no_error (error);
  g_assert_true (sipcast_route_matches (route, "1234"));
  g_assert_true (sipcast_route_matches (route, "200"));
  /* Anchored at both ends, around the whole alternation. */
  g_assert_false (sipcast_route_matches (route, "12345"));
  g_assert_false (sipcast_route_matches (route, "x1234"));
  g_assert_false (sipcast_route_matches (route, "2000"));
}

static void
test_first_match_wins (void)
{
  g_autoptr (GPtrArray) routes = g_ptr_array_new_with_free_func ((GDestroyNotify) sipcast_route_unref);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (routes, load ("[route vip]\ncallee=1000\n", "route vip", &error));
  g_assert_no_error (error);
  g_ptr_array_add (routes, load ("[route all]\ncallee=1*\n", "route all", &error));
  g_assert_no_error (error);

  g_assert_cmpstr (sipcast_route_find (routes, "1000")->name, ==, "vip");
  g_assert_cmpstr (sipcast_route_find (routes, "1001")->name, ==, "all");
  g_assert_null (sipcast_route_find (routes, "2000"));
  g_assert_null (sipcast_route_find (NULL, "1000"));
}

static void
test_expand (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastRoute) route = load ("[route r1]\ncallee=*\n", "route r1", &error);
  g_autofree char *plain = NULL;
  g_autofree char *all = NULL;
  g_autofree char *hostile = NULL;

  g_assert_no_error (error);
  plain = sipcast_route_expand (route, "in-${callee}", "1000", "alice", "abc");
  g_assert_cmpstr (plain, ==, "in-1000");
  all = sipcast_route_expand (route, "${route}/${caller}/${callee}/${callId}$x{", "1000",
                              "alice", "a1@host");
  g_assert_cmpstr (all, ==, "r1/alice/1000/a1_host$x{");
  /* Whatever the caller puts in its From cannot change the URL's shape. */
  hostile = sipcast_route_expand (route, "rtmp://h/live/${caller}", "1", "../x?token=y&a b",
                                  "c");
  g_assert_cmpstr (hostile, ==, "rtmp://h/live/.._x_token_y_a_b");
  g_assert_null (sipcast_route_expand (route, NULL, "1", "2", "3"));
}

static void
test_reject_route (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastRoute) route = load ("[route nobody]\ncallee=*\nreject=603\n",
                                         "route nobody", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (route->reject, ==, 603);
}

static void
test_credentials (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastRoute) route = load ("[route secure]\ncallee=*\nuser=alice\n"
                                         "password=s3cret\nrealm=studio\nhas-audio=false\n"
                                         "has-video=true\n",
                                         "route secure", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (route->user, ==, "alice");
  g_assert_cmpstr (route->password, ==, "s3cret");
  g_assert_cmpstr (route->realm, ==, "studio");
  g_assert_false (route->has_audio);
  g_assert_true (route->has_video);
}

static void
test_errors (void)
{
  static const struct {
    const char *text;
    const char *message_part;
  } cases[] = {
    { "[route x]\n", "either callee" },
    { "[route x]\ncallee=1\ncallee-regex=1\n", "either callee" },
    { "[route x]\ncallee-regex=(\n", "callee-regex" },
    { "[route x]\ncallee=*\nrtmp-url=rtmp://h/live/\nrtmp-stream=${calee}\n", "${calee}" },
    { "[route x]\ncallee=*\nto-stream=${callee\n", "without }" },
    { "[route x]\ncallee=*\nrtmp-url=http://h/live/\nrtmp-stream=s\n", "rtmp-url" },
    { "[route x]\ncallee=*\nrtmp-stream=s\n", "needs rtmp-url" },
    { "[route x]\ncallee=*\nuser=alice\n", "together" },
    { "[route x]\ncallee=*\nreject=200\n", "400-699" },
    { "[route x]\ncallee=*\nreject=404\nrtmp-url=rtmp://h/live/s\n", "rejects" },
    { "[route x]\ncallee=*\nhas-audio=maybe\n", "boolean" },
    { "[route x]\ncallee=*\npasword=x\n", "unknown key" },
    { "[route x]\ncallee=\n", "empty" },
    { "[route x]\ncallee=*\nring-time=60001\n", "ring-time" },
    { "[route x]\ncallee=*\nring-time=-1\n", "ring-time" },
    { "[route x]\ncallee=*\nmax-calls=many\n", "max-calls" },
    { "[route x]\ncallee=*\nprofile=myspace\n", "profile" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (SipcastRoute) route = load (cases[i].text, "route x", &error);

    g_test_message ("%s", cases[i].text);
    g_assert_null (route);
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
    g_assert_nonnull (g_strstr_len (error->message, -1, cases[i].message_part));
    g_assert_nonnull (g_strstr_len (error->message, -1, "[route x]"));
  }
}

static void
test_to_key_file_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastRoute) route = load ("[route r]\ncallee-regex=a|b\nrtmp-url=rtmp://h/live/\n"
                                         "rtmp-stream=in-${callee}\nto-stream=${callId}\n"
                                         "user=u\npassword=p\nhas-video=true\n"
                                         "ring-time=1500\nmax-calls=7\nprofile=Twitch\n",
                                         "route r", &error);
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (SipcastRoute) again = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  sipcast_route_to_key_file (route, key_file);
  text = g_key_file_to_data (key_file, NULL, NULL);
  again = load (text, "route r", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again->callee_regex, ==, "a|b");
  g_assert_cmpstr (again->rtmp_stream, ==, "in-${callee}");
  g_assert_cmpstr (again->to_stream, ==, "${callId}");
  g_assert_cmpstr (again->password, ==, "p");
  g_assert_true (again->has_video);
  g_assert_cmpuint (again->ring_time, ==, 1500);
  g_assert_cmpuint (again->max_calls, ==, 7);
  g_assert_cmpstr (again->profile, ==, "twitch");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/route/glob", test_glob);
  g_test_add_func ("/route/regex-whole-user-part", test_regex_whole_user_part);
  g_test_add_func ("/route/first-match-wins", test_first_match_wins);
  g_test_add_func ("/route/expand", test_expand);
  g_test_add_func ("/route/reject", test_reject_route);
  g_test_add_func ("/route/credentials", test_credentials);
  g_test_add_func ("/route/errors", test_errors);
  g_test_add_func ("/route/to-key-file-round-trip", test_to_key_file_round_trip);

  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-publish-target"

#include <string.h>

#include <glib.h>

#include "sipcast-error.h"
#include "sipcast-publish-target.h"

/*
 * rtmpUrl + rtmpStream → publish target: the URLs users paste from their
 * RTMP server's or CDN's settings page must come out as the location the
 * server expects, and mistakes must be refused with a message that says
 * what is wrong.
 */

static SipcastPublishTarget *
target_ok (const char *url,
           const char *stream)
{
  g_autoptr (GError) error = NULL;
  SipcastPublishTarget *target = sipcast_publish_target_new (url, stream, &error);

  g_assert_no_error (error);
  g_assert_nonnull (target);
  return target;
}

static void
assert_rtmp (const char *url,
             const char *stream,
             const char *location,
             const char *scheme,
             const char *host,
             guint       port,
             const char *application,
             const char *stream_name)
{
  g_autoptr (SipcastPublishTarget) target = target_ok (url, stream);

  g_test_message ("%s + %s", url, stream ? stream : "(null)");
  g_assert_cmpint (target->kind, ==, SIPCAST_PUBLISH_RTMP);
  g_assert_cmpstr (target->location, ==, location);
  g_assert_cmpstr (target->scheme, ==, scheme);
  g_assert_cmpstr (target->host, ==, host);
  g_assert_cmpuint (target->port, ==, port);
  g_assert_cmpstr (target->application, ==, application);
  g_assert_cmpstr (target->stream, ==, stream_name);
}

/* Asserts @url + @stream is refused and the message mentions @fragment. */
static void
assert_invalid (const char *url,
                const char *stream,
                const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastPublishTarget) target = sipcast_publish_target_new (url, stream, &error);

  g_test_message ("%s + %s", url ? url : "(null)", stream ? stream : "(null)");
  g_assert_null (target);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
  if (strstr (error->message, fragment) == NULL)
    g_error ("message “%s” does not mention “%s”", error->message, fragment);
}

static void
test_stream_appended (void)
{
  assert_rtmp ("rtmp://h:1935/live/", "s",
               "rtmp://h:1935/live/s", "rtmp", "h", 1935, "live", "s");
  assert_rtmp ("rtmp://h:1935/live", "s",
               "rtmp://h:1935/live/s", "rtmp", "h", 1935, "live", "s");
  assert_rtmp ("rtmp://media.example.com/app/sub", "call-1",
               "rtmp://media.example.com:1935/app/sub/call-1", "rtmp",
               "media.example.com", 1935, "app/sub", "call-1");
}

static void
test_trailing_slashes (void)
{
  assert_rtmp ("rtmp://h/live///", "s",
               "rtmp://h:1935/live/s", "rtmp", "h", 1935, "live", "s");
  assert_rtmp ("rtmp://h/live/s//", NULL,
               "rtmp://h:1935/live/s", "rtmp", "h", 1935, "live", "s");
}

static void
test_definst_and_query (void)
{
  assert_rtmp ("rtmp://h/live/_definst_?a=b", "s",
               "rtmp://h:1935/live/_definst_/s?a=b", "rtmp", "h", 1935,
               "live/_definst_", "s?a=b");
  assert_rtmp ("rtmp://h/live/_definst_/", "s",
               "rtmp://h:1935/live/_definst_/s", "rtmp", "h", 1935,
               "live/_definst_", "s");
  assert_rtmp ("rtmp://h:1940/live?token=abc&x=%20y", "s1",
               "rtmp://h:1940/live/s1?token=abc&x=%20y", "rtmp", "h", 1940,
               "live", "s1?token=abc&x=%20y");
  /* A bare '?' is no query. */
  assert_rtmp ("rtmp://h/live?", "s",
               "rtmp://h:1935/live/s", "rtmp", "h", 1935, "live", "s");
}

static void
test_stream_in_url (void)
{
  assert_rtmp ("rtmp://h/live/s", NULL,
               "rtmp://h:1935/live/s", "rtmp", "h", 1935, "live", "s");
  assert_rtmp ("rtmp://h/live/s", "",
               "rtmp://h:1935/live/s", "rtmp", "h", 1935, "live", "s");
  assert_rtmp ("rtmp://h/live/_definst_/s?k=v", NULL,
               "rtmp://h:1935/live/_definst_/s?k=v", "rtmp", "h", 1935,
               "live/_definst_", "s?k=v");
}

static void
test_rtmps_and_ports (void)
{
  assert_rtmp ("rtmps://live.example.com/app", "key",
               "rtmps://live.example.com:443/app/key", "rtmps",
               "live.example.com", 443, "app", "key");
  assert_rtmp ("rtmps://h:8443/app", "key",
               "rtmps://h:8443/app/key", "rtmps", "h", 8443, "app", "key");
  assert_rtmp ("rtmp://h:19350/app", "key",
               "rtmp://h:19350/app/key", "rtmp", "h", 19350, "app", "key");
}

static void
test_normalised (void)
{
  g_autoptr (SipcastPublishTarget) a = target_ok ("RTMP://Media.Example.COM/live", "s");
  g_autoptr (SipcastPublishTarget) b = target_ok ("rtmp://media.example.com:1935/live/", "s");
  g_autoptr (SipcastPublishTarget) c = target_ok ("rtmp://media.example.com/live/s", NULL);

  /* The location is the 409 key: one target, one spelling. */
  g_assert_cmpstr (a->location, ==, "rtmp://media.example.com:1935/live/s");
  g_assert_cmpstr (a->location, ==, b->location);
  g_assert_cmpstr (a->location, ==, c->location);

  assert_rtmp ("RtMpS://h/app", "s", "rtmps://h:443/app/s", "rtmps", "h", 443, "app", "s");
}

static void
test_ipv6_host (void)
{
  assert_rtmp ("rtmp://[::1]/live", "s",
               "rtmp://[::1]:1935/live/s", "rtmp", "::1", 1935, "live", "s");
}

static void
test_file (void)
{
  g_autoptr (SipcastPublishTarget) plain = target_ok ("file:///tmp/rec/call.flv", NULL);
  g_autoptr (SipcastPublishTarget) escaped = target_ok ("file:///tmp/my%20rec/call%231.flv",
                                                        "ignored");
  g_autoptr (SipcastPublishTarget) localhost = target_ok ("FILE://localhost/var/x.flv", NULL);

  g_assert_cmpint (plain->kind, ==, SIPCAST_PUBLISH_FILE);
  g_assert_cmpstr (plain->location, ==, "/tmp/rec/call.flv");
  g_assert_null (plain->scheme);
  g_assert_null (plain->host);
  g_assert_null (plain->application);
  g_assert_null (plain->stream);

  g_assert_cmpint (escaped->kind, ==, SIPCAST_PUBLISH_FILE);
  g_assert_cmpstr (escaped->location, ==, "/tmp/my rec/call#1.flv");
  g_assert_null (escaped->stream);

  g_assert_cmpstr (localhost->location, ==, "/var/x.flv");
}

/* file:// targets must lie in the recordings directory. */
static void
test_file_recordings_dir (void)
{
  static const struct {
    const char *dir;
    const char *path;
    const char *relative;  /* NULL: outside */
  } cases[] = {
    { "/srv/rec", "/srv/rec/a.flv", "a.flv" },
    { "/srv/rec/", "/srv/rec//sub/./a.flv", "sub/a.flv" },
    { "/srv//rec", "/srv/rec/a.flv", "a.flv" },
    { "/", "/a.flv", "a.flv" },
    { "/srv/rec", "/srv/rec", NULL },
    { "/srv/rec", "/srv/rec/", NULL },
    { "/srv/rec", "/srv/recordings/a.flv", NULL },
    { "/srv/rec", "/srv/a.flv", NULL },
    { "/srv/rec", "/etc/important.conf", NULL },
    { "/srv/rec", "/srv/rec/../a.flv", NULL },
    { "/srv/rec/..", "/srv/a.flv", NULL },
    { "srv/rec", "srv/rec/a.flv", NULL },
  };
  g_autoptr (SipcastPublishTarget) inside = target_ok ("file:///srv/rec/day%201/a.flv", NULL);
  g_autoptr (SipcastPublishTarget) outside = target_ok ("file:///etc/important.conf", NULL);
  g_autoptr (SipcastPublishTarget) rtmp = target_ok ("rtmp://h/live", "s");
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree char *relative = sipcast_publish_target_relative_path (cases[i].dir,
                                                                      cases[i].path);

    g_assert_cmpstr (relative, ==, cases[i].relative);
  }

  g_assert_true (sipcast_publish_target_check_recordings_dir (inside, "/srv/rec", &error));
  g_assert_no_error (error);
  g_assert_true (sipcast_publish_target_check_recordings_dir (rtmp, "/srv/rec", &error));
  g_assert_no_error (error);
  g_assert_false (sipcast_publish_target_check_recordings_dir (outside, "/srv/rec", &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "recordings-dir"));
}

static void
test_file_invalid (void)
{
  assert_invalid ("file://relative/x.flv", NULL, "absolute");
  assert_invalid ("file:x.flv", NULL, "must start with");
  assert_invalid ("file:///tmp/../etc/x.flv", NULL, "..");
  assert_invalid ("file:///tmp/%2E%2E/etc/x.flv", NULL, "..");
  assert_invalid ("file:///tmp/a%2F..%2Fb.flv", NULL, "percent");
  assert_invalid ("file:///tmp/x%zz.flv", NULL, "percent");
  assert_invalid ("file:///tmp/x%0A.flv", NULL, "percent");
  assert_invalid ("file:///tmp/dir/", NULL, "directory");
  assert_invalid ("file:///tmp/x.flv?a=b", NULL, "query");
}

static void
test_wrong_scheme (void)
{
  assert_invalid ("http://x/live", "s", "must start with rtmp://, rtmps:// or file://");
  assert_invalid ("rtmpt://x/live", "s", "must start with");
  assert_invalid ("x/live", "s", "must start with");
  assert_invalid ("rtmp:/h/live", "s", "must start with");
}

static void
test_empty (void)
{
  assert_invalid ("", "s", "empty");
  assert_invalid (NULL, "s", "empty");
}

static void
test_bad_port (void)
{
  assert_invalid ("rtmp://h:99999/live", "s", "port");
  assert_invalid ("rtmp://h:abc/live", "s", "port");
  assert_invalid ("rtmp://h:0/live", "s", "port");
  assert_invalid ("rtmp://h:-1/live", "s", "port");
}

static void
test_missing_parts (void)
{
  assert_invalid ("rtmp:///live", "s", "host");
  assert_invalid ("rtmp://h", "s", "application");
  assert_invalid ("rtmp://h/", "s", "application");
  assert_invalid ("rtmp://h/live", NULL, "application and a stream");
  assert_invalid ("rtmp://h/live/", "", "application and a stream");
  assert_invalid ("rtmp://h/live//s", NULL, "empty path component");
  assert_invalid ("rtmp://h/live#frag", "s", "fragment");
}

static void
test_bad_stream (void)
{
  assert_invalid ("rtmp://h/live", "a/b", "rtmpStream");
  assert_invalid ("rtmp://h/live", "a?b=c", "rtmpStream");
  assert_invalid ("rtmp://h/live", "a b", "rtmpStream");
  assert_invalid ("rtmp://h/live", "a\tb", "rtmpStream");
  assert_invalid ("rtmp://h/live", "a\x01", "rtmpStream");
  assert_invalid ("rtmp://h/li ve", "s", "spaces");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/publish-target/rtmp/stream-appended", test_stream_appended);
  g_test_add_func ("/publish-target/rtmp/trailing-slashes", test_trailing_slashes);
  g_test_add_func ("/publish-target/rtmp/definst-and-query", test_definst_and_query);
  g_test_add_func ("/publish-target/rtmp/stream-in-url", test_stream_in_url);
  g_test_add_func ("/publish-target/rtmp/rtmps-and-ports", test_rtmps_and_ports);
  g_test_add_func ("/publish-target/rtmp/normalised", test_normalised);
  g_test_add_func ("/publish-target/rtmp/ipv6-host", test_ipv6_host);
  g_test_add_func ("/publish-target/file/valid", test_file);
  g_test_add_func ("/publish-target/file/invalid", test_file_invalid);
  g_test_add_func ("/publish-target/error/wrong-scheme", test_wrong_scheme);
  g_test_add_func ("/publish-target/error/empty", test_empty);
  g_test_add_func ("/publish-target/error/bad-port", test_bad_port);
  g_test_add_func ("/publish-target/error/missing-parts", test_missing_parts);
  g_test_add_func ("/publish-target/error/bad-stream", test_bad_stream);
  g_test_add_func ("/publish-target/file/recordings-dir", test_file_recordings_dir);

  return g_test_run ();
}

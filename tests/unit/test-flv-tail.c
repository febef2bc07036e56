/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-flv-tail"

#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "sipcast-config.h"
#include "sipcast-flv-tail.h"
#include "sipcast-publish-target.h"
#include "sipcast-types.h"

/*
 * The FLV tail on its own, driven by a GstHarness: what is upstream of it
 * (the jitter buffer, an encoder) never sees a flow error or an ERROR
 * message, whatever the server does; it reports its status with a reason;
 * it gives up after its budget; and a new attempt starts with a key frame
 * it has asked for.
 */

/* AAC-LC 44.1 kHz mono AudioSpecificConfig, and a minimal avcC. */
#define AAC_CAPS "audio/mpeg,mpegversion=4,stream-format=raw,rate=44100,channels=1," \
                 "codec_data=(buffer)1208"
#define H264_CAPS "video/x-h264,stream-format=avc,alignment=au,width=320,height=240," \
                  "framerate=25/1,codec_data=(buffer)01640014ffe1000467640014010004" \
                  "68ee3c80"

typedef struct {
  const char *recordings_dir;  /* set before fixture_setup() for file:// */
  SipcastConfig *config;
  GstBus *bus;
  GstElement *tail;
  GstHarness *harness;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               const char    *url,
               const char    *stream,
               const char    *pad,
               const char    *caps,
               guint          budget)
{
  g_autoptr (SipcastPublishTarget) target = NULL;
  g_autoptr (GError) error = NULL;

  fixture->config = sipcast_config_new_default ();
  if (fixture->recordings_dir != NULL) {
    g_free (fixture->config->recordings_dir);
    fixture->config->recordings_dir = g_strdup (fixture->recordings_dir);
  }
  target = sipcast_publish_target_new (url, stream, &error);
  g_assert_no_error (error);
  fixture->tail = sipcast_flv_tail_new (fixture->config, target,
                                        g_str_equal (pad, "audio"), g_str_equal (pad, "video"),
                                        &error);
  g_assert_no_error (error);
  g_object_set (fixture->tail, "retry-budget", budget, NULL);
  fixture->bus = gst_bus_new ();
  gst_element_set_bus (fixture->tail, fixture->bus);
  fixture->harness = gst_harness_new_with_element (fixture->tail, pad, NULL);
  /* rtmp2sink syncs on the clock: with the harness's test clock, which
   * never moves here, a buffer that reaches it before the attempt fails
   * (a slow connect, under valgrind) blocks this thread for good. */
  gst_harness_use_systemclock (fixture->harness);
  gst_harness_set_src_caps_str (fixture->harness, caps);
}

static void
fixture_teardown (Fixture *fixture)
{
  gst_harness_teardown (fixture->harness);
  gst_element_set_bus (fixture->tail, NULL);
  gst_object_unref (fixture->tail);
  gst_object_unref (fixture->bus);
  sipcast_config_free (fixture->config);
  /* Pending main-context work holds the tail until it has run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Runs the main context (where the tail makes its attempts) until the bus
 * has an application message called @name, with @push: pushing a buffer
 * every 20 ms meanwhile (each must be taken with OK); fails on an ERROR
 * message. */
static GstMessage *
wait_for_message (Fixture    *fixture,
                  const char *name,
                  guint       timeout_ms,
                  gboolean    push)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  GstClockTime pts = 0;

  while (g_get_monotonic_time () < deadline) {
    GstMessage *message;
    GstBuffer *buffer;

    while (g_main_context_iteration (NULL, FALSE))
      ;
    while ((message = gst_bus_pop (fixture->bus)) != NULL) {
      g_assert_cmpint (GST_MESSAGE_TYPE (message), !=, GST_MESSAGE_ERROR);
      if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_APPLICATION &&
          gst_structure_has_name (gst_message_get_structure (message), name))
        return message;
      gst_message_unref (message);
    }

    if (!push) {
      g_usleep (10000);
      continue;
    }
    buffer = gst_buffer_new_wrapped (g_memdup2 ("\x21\x00\x49\x90", 4), 4);
    GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = pts;
    GST_BUFFER_DURATION (buffer) = 20 * GST_MSECOND;
    pts += 20 * GST_MSECOND;
    g_assert_cmpint (gst_harness_push (fixture->harness, buffer), ==, GST_FLOW_OK);
    g_usleep (20000);
  }
  g_assert_not_reached ();
}

static void
assert_status (GstMessage        *message,
               SipcastRtmpStatus  expected,
               const char        *reason_part)
{
  const GstStructure *s = gst_message_get_structure (message);
  int status = -1;
  const char *reason = gst_structure_get_string (s, "reason");

  g_assert_true (gst_structure_get_int (s, "status", &status));
  g_assert_cmpstr (sipcast_rtmp_status_to_string (status), ==,
                   sipcast_rtmp_status_to_string (expected));
  if (reason_part != NULL) {
    g_assert_nonnull (reason);
    g_assert_nonnull (strstr (reason, reason_part));
  }
}

static void
test_refused_then_failed (void)
{
  Fixture fixture = { 0 };
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetSocketAddress) address = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree char *url = NULL;
  GstMessage *message;
  gint64 started;

  /* A port nothing listens on: bound, never listening. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("127.0.0.1", 0));
  g_assert_true (g_socket_bind (socket, G_SOCKET_ADDRESS (address), TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  fixture_setup (&fixture, url, "s", "audio", AAC_CAPS, 2);
  started = g_get_monotonic_time ();

  /* Attempts at 0 and 1 s fail (WAIT, with the reason); the one at 2 s
   * ends the budget. */
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_STATUS, 3000, TRUE);
  assert_status (message, SIPCAST_RTMP_STATUS_WAIT, "refused");
  gst_message_unref (message);
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_STATUS, 3000, TRUE);
  assert_status (message, SIPCAST_RTMP_STATUS_WAIT, "refused");
  gst_message_unref (message);
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_STATUS, 4000, TRUE);
  assert_status (message, SIPCAST_RTMP_STATUS_CONNECTION_FAILED, "refused");
  gst_message_unref (message);
  g_assert_cmpint (g_get_monotonic_time () - started, >, 1800 * 1000);

  /* Given up: data is still taken, EOS ends the tail at once. */
  gst_harness_push_event (fixture.harness, gst_event_new_eos ());
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_EOS, 1000, FALSE);
  gst_message_unref (message);

  fixture_teardown (&fixture);
}

static void
test_unwritable_file (void)
{
  Fixture fixture = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("sipcast-tail-XXXXXX", NULL);
  g_autofree char *url = g_strdup_printf ("file://%s/missing/x.flv", dir);
  GstMessage *message;

  fixture.recordings_dir = dir;
  fixture_setup (&fixture, url, NULL, "audio", AAC_CAPS, 30);
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_STATUS, 2000, TRUE);
  assert_status (message, SIPCAST_RTMP_STATUS_CONNECTION_FAILED, "/missing/x.flv");
  gst_message_unref (message);
  fixture_teardown (&fixture);
  g_rmdir (dir);
}

/* The video tags of the FLV at @path: (frame type << 8) | AVCPacketType. */
static GArray *
flv_video_tags (const char *path)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  GArray *tags = g_array_new (FALSE, FALSE, sizeof (guint));
  gsize offset;

  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  g_assert_cmpuint (length, >, 13);
  g_assert_cmpmem (data, 3, "FLV", 3);
  for (offset = 13; offset + 11 <= length;) {
    guint8 type = data[offset];
    guint size = ((guint8) data[offset + 1] << 16) | ((guint8) data[offset + 2] << 8) |
                 (guint8) data[offset + 3];

    g_assert_cmpuint (offset + 11 + size, <=, length);
    if (type == 9 && size >= 2) {
      guint tag = (((guint8) data[offset + 11] >> 4) << 8) | (guint8) data[offset + 12];
      g_array_append_val (tags, tag);
    }
    offset += 11 + size + 4;
  }
  return tags;
}

static void
test_key_frame_first (void)
{
  Fixture fixture = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("sipcast-tail-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "v.flv", NULL);
  g_autofree char *url = g_strdup_printf ("file://%s", path);
  g_autoptr (GArray) tags = NULL;
  GstEvent *event = NULL;
  gboolean all_headers = FALSE;
  gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  GstMessage *message;

  fixture.recordings_dir = dir;
  fixture_setup (&fixture, url, NULL, "video", H264_CAPS, 30);

  /* The attempt starts by asking upstream for a key frame with headers. */
  while (event == NULL && g_get_monotonic_time () < deadline) {
    g_main_context_iteration (NULL, FALSE);
    while ((event = gst_harness_try_pull_upstream_event (fixture.harness)) != NULL &&
           !gst_video_event_is_force_key_unit (event))
      gst_event_unref (event);
    g_usleep (10000);
  }
  g_assert_nonnull (event);
  g_assert_true (gst_video_event_parse_upstream_force_key_unit (event, NULL, &all_headers, NULL));
  g_assert_true (all_headers);
  gst_event_unref (event);

  /* Delta frames before the key frame would be undecodable: dropped, yet
   * taken with OK. */
  for (guint i = 0; i < 4; i++) {
    GstBuffer *buffer = gst_buffer_new_wrapped (g_memdup2 ("\0\0\0\2\x41\x9a", 6), 6);

    GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = i * 40 * GST_MSECOND;
    GST_BUFFER_DURATION (buffer) = 40 * GST_MSECOND;
    /* frame 2 is the key frame */
    if (i != 2)
      GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
    g_assert_cmpint (gst_harness_push (fixture.harness, buffer), ==, GST_FLOW_OK);
  }
  gst_harness_push_event (fixture.harness, gst_event_new_eos ());
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_EOS, 3000, FALSE);
  gst_message_unref (message);

  /* Codec configuration, then the key frame, then the delta after it, then
   * the end of sequence flvmux writes at EOS. */
  tags = flv_video_tags (path);
  for (guint i = 0; i < tags->len; i++)
    g_test_message ("video tag %x", g_array_index (tags, guint, i));
  g_assert_cmpuint (tags->len, ==, 4);
  g_assert_cmphex (g_array_index (tags, guint, 0), ==, 0x100);
  g_assert_cmphex (g_array_index (tags, guint, 1), ==, 0x101);
  g_assert_cmphex (g_array_index (tags, guint, 2), ==, 0x201);
  g_assert_cmphex (g_array_index (tags, guint, 3), ==, 0x102);

  fixture_teardown (&fixture);
  g_unlink (path);
  g_rmdir (dir);
}

/* A recording of @url (in recordings directory @dir) fails at once with
 * @reason_part, and writes nothing. */
static void
assert_recording_refused (const char *dir,
                          const char *url,
                          const char *reason_part)
{
  Fixture fixture = { 0 };
  GstMessage *message;

  fixture.recordings_dir = dir;
  fixture_setup (&fixture, url, NULL, "audio", AAC_CAPS, 30);
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_STATUS, 2000, TRUE);
  assert_status (message, SIPCAST_RTMP_STATUS_CONNECTION_FAILED, reason_part);
  gst_message_unref (message);
  fixture_teardown (&fixture);
}

static void
assert_file_holds (const char *path,
                   const char *expected)
{
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, expected);
}

/* An existing file, a symbolic link to one, a symbolic link to another
 * directory, a path outside the recordings directory: never written. */
static void
test_file_never_overwritten (void)
{
  g_autofree char *dir = g_dir_make_tmp ("sipcast-tail-XXXXXX", NULL);
  g_autofree char *elsewhere = g_dir_make_tmp ("sipcast-elsewhere-XXXXXX", NULL);
  g_autofree char *rec = g_build_filename (dir, "rec", NULL);
  g_autofree char *existing = g_build_filename (rec, "existing.flv", NULL);
  g_autofree char *victim = g_build_filename (elsewhere, "important.conf", NULL);
  g_autofree char *link = g_build_filename (rec, "link.flv", NULL);
  g_autofree char *dir_link = g_build_filename (rec, "sub", NULL);
  g_autofree char *url = NULL;
  g_autoptr (GDir) listing = NULL;

  g_assert_cmpint (g_mkdir (rec, 0700), ==, 0);
  g_assert_true (g_file_set_contents (existing, "precious", -1, NULL));
  g_assert_true (g_file_set_contents (victim, "precious", -1, NULL));
  g_assert_cmpint (symlink (victim, link), ==, 0);
  g_assert_cmpint (symlink (elsewhere, dir_link), ==, 0);

  url = g_strdup_printf ("file://%s", existing);
  assert_recording_refused (rec, url, "exists already");
  assert_file_holds (existing, "precious");
  g_free (url);

  url = g_strdup_printf ("file://%s", link);
  assert_recording_refused (rec, url, "exists already");
  assert_file_holds (victim, "precious");
  g_free (url);

  url = g_strdup_printf ("file://%s/important.conf", dir_link);
  assert_recording_refused (rec, url, "symbolic links are not followed");
  assert_file_holds (victim, "precious");
  g_free (url);

  url = g_strdup_printf ("file://%s/new.flv", dir_link);
  assert_recording_refused (rec, url, "symbolic links are not followed");
  g_free (url);

  url = g_strdup_printf ("file://%s", victim);
  assert_recording_refused (rec, url, "not inside the recordings directory");
  assert_file_holds (victim, "precious");

  /* Nothing new appeared anywhere. */
  listing = g_dir_open (elsewhere, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (listing), ==, "important.conf");
  g_assert_null (g_dir_read_name (listing));

  g_unlink (link);
  g_unlink (dir_link);
  g_unlink (existing);
  g_unlink (victim);
  g_rmdir (rec);
  g_rmdir (dir);
  g_rmdir (elsewhere);
}

/* The recordings directory is made when missing; the file in it is new,
 * private to its group, and a complete FLV. */
static void
test_file_recorded (void)
{
  Fixture fixture = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("sipcast-tail-XXXXXX", NULL);
  g_autofree char *rec = g_build_filename (dir, "made", "rec", NULL);
  g_autofree char *path = g_build_filename (rec, "a.flv", NULL);
  g_autofree char *url = g_strdup_printf ("file://%s", path);
  g_autofree char *made = g_build_filename (dir, "made", NULL);
  GStatBuf st;
  GstMessage *message;

  fixture.recordings_dir = rec;
  fixture_setup (&fixture, url, NULL, "audio", AAC_CAPS, 30);
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_FIRST_WRITE, 2000, TRUE);
  gst_message_unref (message);
  gst_harness_push_event (fixture.harness, gst_event_new_eos ());
  message = wait_for_message (&fixture, SIPCAST_FLV_TAIL_MSG_EOS, 2000, FALSE);
  gst_message_unref (message);
  fixture_teardown (&fixture);

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0640);
  g_assert_cmpint (st.st_size, >, 13);
  g_unlink (path);
  g_rmdir (rec);
  g_rmdir (made);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flv-tail/refused-then-failed", test_refused_then_failed);
  g_test_add_func ("/flv-tail/unwritable-file", test_unwritable_file);
  g_test_add_func ("/flv-tail/key-frame-first", test_key_frame_first);
  g_test_add_func ("/flv-tail/file-never-overwritten", test_file_never_overwritten);
  g_test_add_func ("/flv-tail/file-recorded", test_file_recorded);

  return g_test_run ();
}

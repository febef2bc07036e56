/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* sipcast_video_resume_watch() on the src pad of an identity element, in a
 * GstHarness: video that comes back after a pause, with a frame that is no
 * key frame, asks upstream for one; steady video and a return that starts
 * with a key frame do not. */

#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "sipcast-video-resume.h"

static GstBuffer *
frame (GstClockTime pts,
       gboolean     key)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, 16, NULL);

  GST_BUFFER_PTS (buffer) = pts;
  if (!key)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  return buffer;
}

/* The force-key-unit events that reached the harness's upstream side. */
static guint
key_unit_requests (GstHarness *h)
{
  guint n = 0;
  GstEvent *event;

  while ((event = gst_harness_try_pull_upstream_event (h)) != NULL) {
    if (gst_video_event_is_force_key_unit (event))
      n++;
    gst_event_unref (event);
  }
  return n;
}

static GstHarness *
watched_harness (GstClockTime key_frame_interval)
{
  GstHarness *h = gst_harness_new ("identity");

  gst_harness_set_src_caps_str (h, "video/x-h264,stream-format=avc,alignment=au");
  sipcast_video_resume_watch (h->element->srcpads->data, key_frame_interval);
  return h;
}

static void
test_steady_video (void)
{
  GstHarness *h = watched_harness (0);

  for (guint i = 0; i < 50; i++)
    gst_harness_push (h, frame (i * 40 * GST_MSECOND, i % 25 == 0));
  g_assert_cmpuint (key_unit_requests (h), ==, 0);
  gst_harness_teardown (h);
}

static void
test_resumed_video (void)
{
  GstHarness *h = watched_harness (0);

  gst_harness_push (h, frame (0, TRUE));
  gst_harness_push (h, frame (40 * GST_MSECOND, FALSE));
  g_assert_cmpuint (key_unit_requests (h), ==, 0);
  /* 3 s without video, then a frame that needs the ones before it. */
  gst_harness_push (h, frame (3 * GST_SECOND, FALSE));
  g_assert_cmpuint (key_unit_requests (h), ==, 1);
  gst_harness_push (h, frame (3 * GST_SECOND + 40 * GST_MSECOND, FALSE));
  g_assert_cmpuint (key_unit_requests (h), ==, 0);
  /* Back with a key frame: nothing to ask for. */
  gst_harness_push (h, frame (6 * GST_SECOND, TRUE));
  g_assert_cmpuint (key_unit_requests (h), ==, 0);
  gst_harness_teardown (h);
}

/* A platform profile's interval: a far end whose key frames are 10 s
 * apart is asked for one every 2 s. */
static void
test_key_frame_interval (void)
{
  GstHarness *h = watched_harness (2 * GST_SECOND);
  guint requests = 0;

  for (guint i = 0; i < 250; i++) {
    gst_harness_push (h, frame (i * 40 * GST_MSECOND, i == 0));
    requests += key_unit_requests (h);
  }
  /* 10 s: at 2, 4, 6, 8 s. */
  g_assert_cmpuint (requests, ==, 4);
  gst_harness_teardown (h);

  /* Without a profile, the far end's own interval stands. */
  h = watched_harness (0);
  for (guint i = 0; i < 250; i++)
    gst_harness_push (h, frame (i * 40 * GST_MSECOND, i == 0));
  g_assert_cmpuint (key_unit_requests (h), ==, 0);
  gst_harness_teardown (h);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/video-resume/steady", test_steady_video);
  g_test_add_func ("/video-resume/resumed", test_resumed_video);
  g_test_add_func ("/video-resume/key-frame-interval", test_key_frame_interval);
  return g_test_run ();
}

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
watched_harness (void)
{
  GstHarness *h = gst_harness_new ("identity");

  gst_harness_set_src_caps_str (h, "video/x-h264,stream-format=avc,alignment=au");
  sipcast_video_resume_watch (h->element->srcpads->data);
  return h;
}

static void
test_steady_video (void)
{
  GstHarness *h = watched_harness ();

  for (guint i = 0; i < 50; i++)
    gst_harness_push (h, frame (i * 40 * GST_MSECOND, i % 25 == 0));
  g_assert_cmpuint (key_unit_requests (h), ==, 0);
  gst_harness_teardown (h);
}

static void
test_resumed_video (void)
{
  GstHarness *h = watched_harness ();

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

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/video-resume/steady", test_steady_video);
  g_test_add_func ("/video-resume/resumed", test_resumed_video);
  return g_test_run ();
}

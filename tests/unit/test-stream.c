/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The named stream's fan-out: audio and video subscriptions, a video
 * subscriber that starts and resumes at key frames, the key-frame
 * request, EOS at the end. */

#include "config.h"
#include "sipcast-stream.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

static GstBuffer *
make_frame (gsize    size,
            gboolean key)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, size, NULL);

  gst_buffer_memset (buffer, 0, key ? 0x65 : 0x41, size);
  if (!key)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  return buffer;
}

static void
count_cb (gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* appsrc ! appsink, playing: what the subscriber would get. */
typedef struct {
  GstElement *pipeline;
  GstElement *appsrc;
  GstElement *sink;
} Subscriber;

static void
subscriber_start (Subscriber *sub,
                  GstElement *appsrc)
{
  sub->pipeline = gst_pipeline_new (NULL);
  sub->appsrc = appsrc;
  sub->sink = gst_element_factory_make ("appsink", NULL);
  g_object_set (sub->sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (sub->pipeline), appsrc, sub->sink, NULL);
  g_assert_true (gst_element_link (appsrc, sub->sink));
  g_assert_cmpint (gst_element_set_state (sub->pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
}

static void
subscriber_stop (Subscriber *sub)
{
  gst_element_set_state (sub->pipeline, GST_STATE_NULL);
  gst_clear_object (&sub->pipeline);
}

/* The first byte of the next buffer the subscriber gets, or 0 at EOS. */
static guint8
pull_first_byte (Subscriber *sub)
{
  g_autoptr (GstSample) sample =
    gst_app_sink_try_pull_sample (GST_APP_SINK (sub->sink), 2 * GST_SECOND);
  GstMapInfo map;
  guint8 byte;

  if (sample == NULL)
    return 0;
  g_assert_true (gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ));
  byte = map.data[0];
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  return byte;
}

static void
test_video_starts_at_key_frame (void)
{
  g_autoptr (SipcastStream) stream = sipcast_stream_new ("s1", "call-1");
  g_autoptr (GstCaps) caps =
    gst_caps_from_string ("video/x-h264,stream-format=avc,alignment=au");
  g_autoptr (GstCaps) got = NULL;
  Subscriber sub = { 0 };
  guint wanted = 0;
  GstBuffer *frame;

  g_signal_connect_swapped (stream, "key-frame-wanted", G_CALLBACK (count_cb), &wanted);
  sipcast_stream_set_video_caps (stream, caps);

  subscriber_start (&sub, sipcast_stream_subscribe_video (stream));
  /* Joining asks the source for a key frame at once. */
  g_assert_cmpuint (wanted, ==, 1);
  g_assert_cmpuint (sipcast_stream_get_n_video_subscribers (stream), ==, 1);
  g_assert_cmpuint (sipcast_stream_get_n_subscribers (stream), ==, 0);
  got = gst_app_src_get_caps (GST_APP_SRC (sub.appsrc));
  g_assert_true (gst_caps_is_equal (got, caps));

  /* A delta frame before any key frame would not decode: not passed on. */
  frame = make_frame (100, FALSE);
  sipcast_stream_push_video (stream, frame);
  gst_buffer_unref (frame);
  frame = make_frame (100, TRUE);
  sipcast_stream_push_video (stream, frame);
  gst_buffer_unref (frame);
  frame = make_frame (100, FALSE);
  sipcast_stream_push_video (stream, frame);
  gst_buffer_unref (frame);

  g_assert_cmphex (pull_first_byte (&sub), ==, 0x65);
  g_assert_cmphex (pull_first_byte (&sub), ==, 0x41);

  sipcast_stream_end (stream);
  g_assert_cmphex (pull_first_byte (&sub), ==, 0);
  g_assert_true (gst_app_sink_is_eos (GST_APP_SINK (sub.sink)));
  g_assert_cmpuint (sipcast_stream_get_n_video_subscribers (stream), ==, 0);
  subscriber_stop (&sub);
}

/* A subscriber that does not keep up loses what does not fit and then
 * waits for the next key frame; the source is asked for one. */
static void
test_video_overflow_skips_to_key_frame (void)
{
  g_autoptr (SipcastStream) stream = sipcast_stream_new ("s2", "call-2");
  g_autoptr (GstElement) appsrc = NULL;
  guint wanted = 0;
  GstBuffer *frame;

  g_signal_connect_swapped (stream, "key-frame-wanted", G_CALLBACK (count_cb), &wanted);
  /* Not in a running pipeline: nothing drains its queue. */
  appsrc = gst_object_ref_sink (sipcast_stream_subscribe_video (stream));
  g_assert_cmpuint (wanted, ==, 1);

  frame = make_frame (100 * 1024, TRUE);
  sipcast_stream_push_video (stream, frame);
  sipcast_stream_push_video (stream, frame);
  gst_buffer_unref (frame);
  g_assert_cmpuint (gst_app_src_get_current_level_bytes (GST_APP_SRC (appsrc)), ==, 200 * 1024);

  /* The third does not fit: dropped, and so are the delta frames after. */
  frame = make_frame (100 * 1024, FALSE);
  sipcast_stream_push_video (stream, frame);
  gst_buffer_unref (frame);
  g_assert_cmpuint (gst_app_src_get_current_level_bytes (GST_APP_SRC (appsrc)), ==, 200 * 1024);
  frame = make_frame (10, FALSE);
  sipcast_stream_push_video (stream, frame);
  gst_buffer_unref (frame);
  g_assert_cmpuint (gst_app_src_get_current_level_bytes (GST_APP_SRC (appsrc)), ==, 200 * 1024);

  /* The request reaches the main context once. */
  g_assert_cmpuint (wanted, ==, 1);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (wanted, ==, 2);

  /* A small key frame fits and resumes the subscription. */
  frame = make_frame (10, TRUE);
  sipcast_stream_push_video (stream, frame);
  gst_buffer_unref (frame);
  frame = make_frame (10, FALSE);
  sipcast_stream_push_video (stream, frame);
  gst_buffer_unref (frame);
  g_assert_cmpuint (gst_app_src_get_current_level_bytes (GST_APP_SRC (appsrc)), ==, 200 * 1024 + 20);

  sipcast_stream_unsubscribe (stream, appsrc);
  g_assert_cmpuint (sipcast_stream_get_n_video_subscribers (stream), ==, 0);
}

/* Audio and video subscriptions of one stream are independent; a
 * subscription after the end gets EOS at once. */
static void
test_audio_and_video (void)
{
  g_autoptr (SipcastStream) stream = sipcast_stream_new ("s3", "call-3");
  g_autoptr (GstCaps) audio_caps =
    gst_caps_from_string ("audio/x-raw,format=S16LE,layout=interleaved,rate=8000,channels=1");
  Subscriber audio = { 0 }, video = { 0 }, late = { 0 };
  GstBuffer *buffer;

  sipcast_stream_set_caps (stream, audio_caps);
  subscriber_start (&audio, sipcast_stream_subscribe (stream));
  subscriber_start (&video, sipcast_stream_subscribe_video (stream));
  g_assert_cmpint (sipcast_stream_get_status (stream), ==, SIPCAST_STREAM_WAIT);

  buffer = make_frame (320, TRUE);
  gst_buffer_memset (buffer, 0, 0x11, 320);
  sipcast_stream_push (stream, buffer);
  gst_buffer_unref (buffer);
  g_assert_cmpint (sipcast_stream_get_status (stream), ==, SIPCAST_STREAM_ACTIVE);
  buffer = make_frame (50, TRUE);
  sipcast_stream_push_video (stream, buffer);
  gst_buffer_unref (buffer);

  g_assert_cmphex (pull_first_byte (&audio), ==, 0x11);
  g_assert_cmphex (pull_first_byte (&video), ==, 0x65);

  sipcast_stream_unsubscribe (stream, audio.appsrc);
  sipcast_stream_unsubscribe (stream, video.appsrc);
  subscriber_stop (&audio);
  subscriber_stop (&video);

  sipcast_stream_end (stream);
  subscriber_start (&late, sipcast_stream_subscribe_video (stream));
  g_assert_cmphex (pull_first_byte (&late), ==, 0);
  g_assert_true (gst_app_sink_is_eos (GST_APP_SINK (late.sink)));
  subscriber_stop (&late);
}

int
main (int   argc,
      char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/stream/video-starts-at-key-frame", test_video_starts_at_key_frame);
  g_test_add_func ("/stream/video-overflow-skips-to-key-frame",
                   test_video_overflow_skips_to_key_frame);
  g_test_add_func ("/stream/audio-and-video", test_audio_and_video);

  return g_test_run ();
}

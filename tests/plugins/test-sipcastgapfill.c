/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* gst-check tests for the sipcastgapfill element, driven by GstHarness and
 * its test clock: a source that stops sending gets silence at the times it
 * was due, contiguous with what came before; when it comes back, its audio
 * lands at its own time, never before what already went out. */

#include <string.h>

#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>

#define RAW_CAPS "audio/x-raw, format=S16LE, layout=interleaved, rate=8000, channels=1"
#define ALAW_CAPS "audio/x-alaw, rate=8000, channels=1"
#define MULAW_CAPS "audio/x-mulaw, rate=8000, channels=1"
#define PACKET (20 * GST_MSECOND)
#define PACKET_FRAMES 160
#define THRESHOLD (200 * GST_MSECOND)

static GstHarness *
gap_fill_harness_new (const char   *caps,
                      GstClockTime  upstream_latency)
{
  GstHarness *h = gst_harness_new ("sipcastgapfill");

  gst_harness_set_src_caps_str (h, caps);
  gst_harness_set_upstream_latency (h, upstream_latency);
  gst_harness_use_testclock (h);
  return h;
}

/* @frames samples of @value (a byte per frame for G.711, S16 otherwise). */
static GstBuffer *
make_packet (GstClockTime pts,
             guint        frames,
             gsize        bpf,
             guint8       value)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, frames * bpf, NULL);

  gst_buffer_memset (buf, 0, value, frames * bpf);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (frames, GST_SECOND, 8000);
  return buf;
}

/* Every byte of @buf is @value. */
static gboolean
all_bytes (GstBuffer *buf,
           guint8     value)
{
  GstMapInfo map;
  gboolean same = TRUE;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  for (gsize i = 0; i < map.size; i++)
    same = same && map.data[i] == value;
  gst_buffer_unmap (buf, &map);
  return same;
}

/* Pulls buffers until their end reaches @until, checking that each starts
 * where the previous one ended (from @start) and holds only @value. */
static void
pull_contiguous (GstHarness   *h,
                 GstClockTime  start,
                 GstClockTime  until,
                 guint8        value)
{
  GstClockTime expected = start;

  while (expected < until) {
    GstBuffer *buf = gst_harness_pull (h);

    fail_unless (buf != NULL);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), expected);
    /* Packet-sized, as a phone sends it. */
    fail_unless (GST_BUFFER_DURATION (buf) <= PACKET);
    fail_unless (all_bytes (buf, value), "buffer at %" GST_TIME_FORMAT " is not silence",
                 GST_TIME_ARGS (expected));
    expected += GST_BUFFER_DURATION (buf);
    gst_buffer_unref (buf);
  }
  fail_unless_equals_uint64 (expected, until);
}

GST_START_TEST (test_passthrough_without_gap)
{
  GstHarness *h = gap_fill_harness_new (RAW_CAPS, 0);

  for (guint i = 0; i < 5; i++) {
    GstBuffer *out;

    fail_unless_equals_int (gst_harness_push (h, make_packet (i * PACKET, PACKET_FRAMES, 2, 0x11)),
                            GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out), i * PACKET);
    fail_unless (all_bytes (out, 0x11));
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Nothing after the first packet: silence, due one threshold (plus the
 * upstream latency) after each stretch it covers. */
GST_START_TEST (test_silence_when_source_stops)
{
  GstClockTime latency = 40 * GST_MSECOND;
  GstHarness *h = gap_fill_harness_new (RAW_CAPS, latency);
  GstClockTime covered = PACKET;
  guint64 silence = 0;

  gst_harness_push (h, make_packet (0, PACKET_FRAMES, 2, 0x11));
  gst_buffer_unref (gst_harness_pull (h));

  for (guint i = 0; i < 10; i++) {
    GstClockID id = NULL;
    GstClockTime due, now;

    gst_test_clock_wait_for_next_pending_id (GST_TEST_CLOCK (h->element->clock), &id);
    due = gst_clock_id_get_time (id);
    gst_clock_id_unref (id);
    fail_unless_equals_uint64 (due, covered + latency + THRESHOLD);
    /* The clock runs a little past the wait before the pool thread looks. */
    now = due + 5 * GST_MSECOND;
    gst_harness_set_time (h, now);
    fail_unless (gst_harness_crank_single_clock_wait (h));
    pull_contiguous (h, covered, now - latency, 0x00);
    covered = now - latency;
  }
  g_object_get (h->element, "silence", &silence, NULL);
  fail_unless_equals_uint64 (silence, covered - PACKET);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* The source comes back later: silence up to its first packet, which
 * keeps its own timestamp. */
GST_START_TEST (test_returning_audio_lands_at_its_time)
{
  GstHarness *h = gap_fill_harness_new (RAW_CAPS, 0);
  GstBuffer *out;

  gst_harness_push (h, make_packet (0, PACKET_FRAMES, 2, 0x11));
  gst_buffer_unref (gst_harness_pull (h));
  /* Back before the wait ran out: only the packet's own gap is filled. */
  gst_harness_push (h, make_packet (500 * GST_MSECOND, PACKET_FRAMES, 2, 0x22));
  pull_contiguous (h, PACKET, 500 * GST_MSECOND, 0x00);
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 500 * GST_MSECOND);
  fail_unless (all_bytes (out, 0x22));
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Audio back after a pause, 30 ms into the silence already out (its
 * jitter): only those 30 ms are lost, the rest follows without a jump. */
GST_START_TEST (test_late_audio_follows)
{
  GstHarness *h = gap_fill_harness_new (RAW_CAPS, 0);
  GstClockTime now = 3 * PACKET + THRESHOLD;
  GstBuffer *out;

  gst_harness_push (h, make_packet (0, PACKET_FRAMES, 2, 0x11));
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_set_time (h, now);
  fail_unless (gst_harness_crank_single_clock_wait (h));
  pull_contiguous (h, PACKET, now, 0x00);

  /* 30 ms behind what is out: the first packet is all over silence, the
   * second's first half. */
  gst_harness_push (h, make_packet (now - 30 * GST_MSECOND, PACKET_FRAMES, 2, 0x33));
  gst_harness_push (h, make_packet (now - 10 * GST_MSECOND, PACKET_FRAMES, 2, 0x44));
  gst_harness_push (h, make_packet (now + 10 * GST_MSECOND, PACKET_FRAMES, 2, 0x55));
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), now);
  fail_unless_equals_uint64 (gst_buffer_get_size (out), 80 * 2);
  fail_unless (all_bytes (out, 0x44));
  gst_buffer_unref (out);
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), now + 10 * GST_MSECOND);
  fail_unless (all_bytes (out, 0x55));
  gst_buffer_unref (out);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Audio far back in silence already out: the covered head is cut off, a
 * packet wholly covered dropped; the output never jumps back. */
GST_START_TEST (test_never_jumps_back)
{
  GstHarness *h = gap_fill_harness_new (RAW_CAPS, 0);
  GstBuffer *out;

  gst_harness_push (h, make_packet (0, PACKET_FRAMES, 2, 0x11));
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_push (h, make_packet (500 * GST_MSECOND, PACKET_FRAMES, 2, 0x22));
  pull_contiguous (h, PACKET, 500 * GST_MSECOND, 0x00);
  gst_buffer_unref (gst_harness_pull (h));

  /* 300-320 ms: all in the past. */
  gst_harness_push (h, make_packet (300 * GST_MSECOND, PACKET_FRAMES, 2, 0x33));
  /* 460-560 ms: its first 60 ms are. */
  gst_harness_push (h, make_packet (460 * GST_MSECOND, 5 * PACKET_FRAMES, 2, 0x44));
  out = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 520 * GST_MSECOND);
  fail_unless_equals_uint64 (gst_buffer_get_size (out), 320 * 2);
  fail_unless (all_bytes (out, 0x44));
  gst_buffer_unref (out);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* G.711 into FLV as it is: the encoded silence of each law. */
static void
check_encoded_silence (const char *caps,
                       guint8      silence)
{
  GstHarness *h = gap_fill_harness_new (caps, 0);

  gst_harness_push (h, make_packet (0, PACKET_FRAMES, 1, 0x55));
  gst_buffer_unref (gst_harness_pull (h));
  gst_harness_set_time (h, 300 * GST_MSECOND);
  fail_unless (gst_harness_crank_single_clock_wait (h));
  pull_contiguous (h, PACKET, 300 * GST_MSECOND, silence);
  gst_harness_teardown (h);
}

GST_START_TEST (test_alaw_silence)
{
  check_encoded_silence (ALAW_CAPS, 0xD5);
}
GST_END_TEST;

GST_START_TEST (test_mulaw_silence)
{
  check_encoded_silence (MULAW_CAPS, 0xFF);
}
GST_END_TEST;

/* The threshold is latency the element adds: a live muxer downstream
 * waits that much longer, so late silence is still in time. */
GST_START_TEST (test_latency_includes_threshold)
{
  GstHarness *h = gap_fill_harness_new (RAW_CAPS, 200 * GST_MSECOND);

  fail_unless_equals_uint64 (gst_harness_query_latency (h), 200 * GST_MSECOND + THRESHOLD);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* No silence after EOS: the stream is over. */
GST_START_TEST (test_no_silence_after_eos)
{
  GstHarness *h = gap_fill_harness_new (RAW_CAPS, 0);

  gst_harness_push (h, make_packet (0, PACKET_FRAMES, 2, 0x11));
  gst_buffer_unref (gst_harness_pull (h));
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_set_time (h, GST_SECOND);
  fail_if (gst_test_clock_peek_next_pending_id (GST_TEST_CLOCK (h->element->clock), NULL));
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *
sipcastgapfill_suite (void)
{
  Suite *s = suite_create ("sipcastgapfill");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_passthrough_without_gap);
  tcase_add_test (tc, test_silence_when_source_stops);
  tcase_add_test (tc, test_returning_audio_lands_at_its_time);
  tcase_add_test (tc, test_late_audio_follows);
  tcase_add_test (tc, test_never_jumps_back);
  tcase_add_test (tc, test_alaw_silence);
  tcase_add_test (tc, test_mulaw_silence);
  tcase_add_test (tc, test_latency_includes_threshold);
  tcase_add_test (tc, test_no_silence_after_eos);
  return s;
}

GST_CHECK_MAIN (sipcastgapfill);

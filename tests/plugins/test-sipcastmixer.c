/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* gst-check tests for the sipcastmixer element, driven by GstHarness and
 * the harness's test clock so that every output buffer is produced at a
 * known clock time: one harness on the mixer's src pad, one per source on
 * a requested sink pad. The output is 8 kHz mono S16LE in 10 ms blocks of
 * 80 samples, what a PCMU call gets. */

#include <math.h>

#include <gst/audio/audio.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/check/gsttestclock.h>

#define RATE 8000
#define BLOCK_FRAMES 80
#define BLOCK_DURATION (10 * GST_MSECOND)

#define OUT_CAPS \
  "audio/x-raw, format=S16LE, layout=interleaved, rate=8000, channels=1"
#define MONO_8K_CAPS OUT_CAPS
#define STEREO_48K_CAPS \
  "audio/x-raw, format=S16LE, layout=interleaved, rate=48000, channels=2, " \
  "channel-mask=(bitmask)0x3"

static GstHarness *
mixer_harness_new (void)
{
  GstHarness *h = gst_harness_new_with_padnames ("sipcastmixer", NULL, "src");

  /* What downstream (the encoder) accepts decides the output format. */
  gst_harness_set_sink_caps_str (h, OUT_CAPS);

  return h;
}

/* A source on a newly requested sink pad of the mixer. */
static GstHarness *
source_harness_new (GstHarness  *mixer,
                    const gchar *caps)
{
  GstHarness *src = gst_harness_new_with_element (mixer->element, "sink_%u", NULL);

  if (caps != NULL)
    gst_harness_set_src_caps_str (src, caps);

  return src;
}

/* The mixer's sink pad a source harness feeds (borrowed). */
static GstPad *
mixer_pad (GstHarness *src)
{
  return GST_PAD_PEER (src->srcpad);
}

static GstBuffer *
make_buffer (GstClockTime  pts,
             const gint16 *samples,
             guint         frames,
             gint          rate,
             gint          channels)
{
  GstBuffer *buf = gst_buffer_new_memdup (samples, (gsize) frames * channels * sizeof (gint16));

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = gst_util_uint64_scale_int (frames, GST_SECOND, rate);

  return buf;
}

static GstBuffer *
make_constant_block (GstClockTime pts,
                     gint16       value)
{
  gint16 samples[BLOCK_FRAMES];
  guint i;

  for (i = 0; i < BLOCK_FRAMES; i++)
    samples[i] = value;

  return make_buffer (pts, samples, BLOCK_FRAMES, RATE, 1);
}

/* Lets the mixer produce its next block: advances the test clock to the
 * time the mixer waits for, then takes the block it pushes. The mixer may
 * have to wait more than once for that same time (after dropping a late
 * buffer, or when a source did not fill the whole block, the base class
 * waits again for the deadline already reached). A system clock returns
 * at once from such a wait; a test clock only when told to. Once the mixer
 * waits for a later time, the block has been pushed. */
static GstBuffer *
crank_and_pull (GstHarness *h)
{
  g_autoptr (GstTestClock) clock = gst_harness_get_testclock (h);
  GstBuffer *buf;

  fail_unless (gst_harness_crank_single_clock_wait (h));
  for (;;) {
    GstClockID id = NULL;
    gboolean later;

    gst_test_clock_wait_for_next_pending_id (clock, &id);
    later = gst_clock_id_get_time (id) > gst_clock_get_time (GST_CLOCK (clock));
    gst_clock_id_unref (id);
    if (later)
      break;
    fail_unless (gst_harness_crank_single_clock_wait (h));
  }

  buf = gst_harness_try_pull (h);
  fail_unless (buf != NULL, "no output buffer after advancing the clock");
  /* Live output: each block leaves once its end plus the mixer's latency
   * (one block) has been reached on the clock, never earlier. */
  fail_unless_equals_uint64 (gst_clock_get_time (GST_CLOCK (clock)),
                             GST_BUFFER_PTS (buf) + BLOCK_DURATION);

  return buf;
}

/* Checks that @buf is output block number @index: timestamp, duration and
 * sample offsets continuous with the blocks before it. */
static void
assert_block_timing (GstBuffer *buf,
                     guint      index)
{
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), index * BLOCK_DURATION);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), BLOCK_DURATION);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (buf), (guint64) index * BLOCK_FRAMES);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET_END (buf), (guint64) (index + 1) * BLOCK_FRAMES);
  fail_unless_equals_uint64 (gst_buffer_get_size (buf), BLOCK_FRAMES * sizeof (gint16));
}

static void
assert_block_constant (GstBuffer *buf,
                       gint16     expected)
{
  GstMapInfo map;
  const gint16 *samples;
  gsize i;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  samples = (const gint16 *) (gconstpointer) map.data;
  for (i = 0; i < map.size / sizeof (gint16); i++) {
    if (samples[i] != expected)
      fail ("sample %" G_GSIZE_FORMAT " is %d, expected %d", i, samples[i], expected);
  }
  gst_buffer_unmap (buf, &map);
}

static void
pull_constant_block (GstHarness *h,
                     guint       index,
                     gint16      expected)
{
  GstBuffer *buf = crank_and_pull (h);

  assert_block_timing (buf, index);
  assert_block_constant (buf, expected);
  gst_buffer_unref (buf);
}

/* Whether the mixer has sent EOS downstream (events before it are
 * dropped). */
static gboolean
harness_got_eos (GstHarness *h)
{
  GstEvent *event;
  gboolean eos = FALSE;

  while (!eos && (event = gst_harness_try_pull_event (h)) != NULL) {
    eos = GST_EVENT_TYPE (event) == GST_EVENT_EOS;
    gst_event_unref (event);
  }
  return eos;
}

/* Waits (up to the harness's 60 s) for the mixer's EOS. */
static gboolean
pull_until_eos (GstHarness *h)
{
  GstEvent *event;
  gboolean eos = FALSE;

  while (!eos && (event = gst_harness_pull_event (h)) != NULL) {
    eos = GST_EVENT_TYPE (event) == GST_EVENT_EOS;
    gst_event_unref (event);
  }
  return eos;
}

/* Lets the mixer run (each clock wait it enters is let through at once)
 * until it sends EOS; fails if it has not within 5 s. */
static void
crank_until_eos (GstHarness *h)
{
  g_autoptr (GstTestClock) clock = gst_harness_get_testclock (h);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!harness_got_eos (h)) {
    fail_unless (g_get_monotonic_time () < deadline, "no EOS from the mixer");
    if (gst_test_clock_timed_wait_for_multiple_pending_ids (clock, 1, 10, NULL))
      fail_unless (gst_harness_crank_single_clock_wait (h));
  }
}

GST_START_TEST (test_silence_without_sources)
{
  GstHarness *h = mixer_harness_new ();
  GstCaps *caps;
  GstCaps *expected;
  guint i;

  for (i = 0; i < 20; i++)
    pull_constant_block (h, i, 0);

  caps = gst_pad_get_current_caps (h->sinkpad);
  expected = gst_caps_from_string (OUT_CAPS);
  fail_unless (gst_caps_is_equal (caps, expected));
  gst_caps_unref (expected);
  gst_caps_unref (caps);

  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_single_source_passes_through)
{
  GstHarness *h = mixer_harness_new ();
  GstHarness *src = source_harness_new (h, MONO_8K_CAPS);
  guint i;
  guint j;

  for (i = 0; i < 10; i++) {
    gint16 samples[BLOCK_FRAMES];
    GstBuffer *out;
    GstMapInfo map;

    /* A different value at every sample, so that any shift, drop or
     * duplication shows. */
    for (j = 0; j < BLOCK_FRAMES; j++)
      samples[j] = (gint16) (((i * BLOCK_FRAMES + j) * 389) % 40000 - 20000);

    fail_unless_equals_int (gst_harness_push (src, make_buffer (i * BLOCK_DURATION, samples,
                                                                BLOCK_FRAMES, RATE, 1)),
                            GST_FLOW_OK);
    out = crank_and_pull (h);
    assert_block_timing (out, i);
    fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
    fail_unless (memcmp (map.data, samples, sizeof (samples)) == 0,
                 "block %u differs from the input", i);
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);
  }

  gst_harness_teardown (src);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_two_sources_are_summed_with_saturation)
{
  static const struct {
    gint16 a;
    gint16 b;
    gint16 sum;
  } cases[] = {
    { 1000, 2000, 3000 },
    { -1500, 500, -1000 },
    { 20000, 20000, G_MAXINT16 },
    { -20000, -20000, G_MININT16 },
    { G_MAXINT16, G_MININT16, -1 },
  };
  GstHarness *h = mixer_harness_new ();
  GstHarness *a = source_harness_new (h, MONO_8K_CAPS);
  GstHarness *b = source_harness_new (h, MONO_8K_CAPS);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gst_harness_push (a, make_constant_block (i * BLOCK_DURATION, cases[i].a));
    gst_harness_push (b, make_constant_block (i * BLOCK_DURATION, cases[i].b));
    pull_constant_block (h, i, cases[i].sum);
  }

  gst_harness_teardown (a);
  gst_harness_teardown (b);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_volume_and_mute)
{
  GstHarness *h = mixer_harness_new ();
  GstHarness *a = source_harness_new (h, MONO_8K_CAPS);
  GstHarness *b = source_harness_new (h, MONO_8K_CAPS);
  GstPad *pad_a = mixer_pad (a);
  GstPad *pad_b = mixer_pad (b);
  GParamSpec *pspec;
  guint i = 0;

  /* Both properties can be driven by a GstController (fades). */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (pad_a), "volume");
  fail_unless (pspec != NULL && (pspec->flags & GST_PARAM_CONTROLLABLE));
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (pad_a), "mute");
  fail_unless (pspec != NULL && (pspec->flags & GST_PARAM_CONTROLLABLE));

  /* Changed between blocks while playing, each applies from the next
   * block on. */
  g_object_set (pad_a, "volume", 0.5, NULL);
  gst_harness_push (a, make_constant_block (i * BLOCK_DURATION, 1000));
  gst_harness_push (b, make_constant_block (i * BLOCK_DURATION, 0));
  pull_constant_block (h, i++, 500);

  gst_harness_push (a, make_constant_block (i * BLOCK_DURATION, -1000));
  gst_harness_push (b, make_constant_block (i * BLOCK_DURATION, 0));
  pull_constant_block (h, i++, -500);

  g_object_set (pad_a, "volume", 2.0, NULL);
  gst_harness_push (a, make_constant_block (i * BLOCK_DURATION, 20000));
  gst_harness_push (b, make_constant_block (i * BLOCK_DURATION, 0));
  pull_constant_block (h, i++, G_MAXINT16);

  g_object_set (pad_a, "volume", 1.0, "mute", TRUE, NULL);
  gst_harness_push (a, make_constant_block (i * BLOCK_DURATION, 1000));
  gst_harness_push (b, make_constant_block (i * BLOCK_DURATION, 300));
  pull_constant_block (h, i++, 300);

  g_object_set (pad_b, "mute", TRUE, NULL);
  gst_harness_push (a, make_constant_block (i * BLOCK_DURATION, 1000));
  gst_harness_push (b, make_constant_block (i * BLOCK_DURATION, 300));
  pull_constant_block (h, i++, 0);

  g_object_set (pad_a, "mute", FALSE, NULL);
  g_object_set (pad_b, "mute", FALSE, "volume", 0.0, NULL);
  gst_harness_push (a, make_constant_block (i * BLOCK_DURATION, 1000));
  gst_harness_push (b, make_constant_block (i * BLOCK_DURATION, 300));
  pull_constant_block (h, i++, 1000);

  gst_harness_teardown (a);
  gst_harness_teardown (b);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* gst-launch sets pad properties as "name.sink_0::volume=0.5", which goes
 * through GstChildProxy. */
GST_START_TEST (test_pad_properties_through_child_proxy)
{
  GstHarness *h = mixer_harness_new ();
  GstHarness *src = source_harness_new (h, MONO_8K_CAPS);
  g_autofree gchar *prop = g_strdup_printf ("%s::volume", GST_OBJECT_NAME (mixer_pad (src)));
  gdouble volume = 0.0;

  fail_unless_equals_int (gst_child_proxy_get_children_count (GST_CHILD_PROXY (h->element)), 1);
  gst_child_proxy_set (GST_CHILD_PROXY (h->element), prop, 0.25, NULL);
  g_object_get (mixer_pad (src), "volume", &volume, NULL);
  fail_unless_equals_float (volume, 0.25);

  gst_harness_teardown (src);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_add_and_remove_source_while_playing)
{
  GstHarness *h = mixer_harness_new ();
  GstHarness *src;
  guint i = 0;

  for (; i < 3; i++)
    pull_constant_block (h, i, 0);

  /* A live source: its timestamps are running times, so its first buffer
   * lands in the block being produced. */
  src = source_harness_new (h, MONO_8K_CAPS);
  for (; i < 6; i++) {
    gst_harness_push (src, make_constant_block (i * BLOCK_DURATION, 1234));
    pull_constant_block (h, i, 1234);
  }

  gst_harness_teardown (src);
  fail_unless_equals_int (GST_ELEMENT (h->element)->numsinkpads, 0);

  for (; i < 9; i++)
    pull_constant_block (h, i, 0);

  /* And again, on a new pad. */
  src = source_harness_new (h, MONO_8K_CAPS);
  for (; i < 11; i++) {
    gst_harness_push (src, make_constant_block (i * BLOCK_DURATION, -77));
    pull_constant_block (h, i, -77);
  }
  gst_harness_teardown (src);

  for (; i < 13; i++)
    pull_constant_block (h, i, 0);

  gst_harness_teardown (h);
}
GST_END_TEST;

/* A file starts at timestamp 0: added at running time 30 ms without an
 * offset it is entirely in the past and dropped; with the pad offset set
 * to the running time it plays from its start. */
GST_START_TEST (test_late_file_source_needs_pad_offset)
{
  GstHarness *h = mixer_harness_new ();
  GstHarness *src;
  guint i = 0;

  for (; i < 3; i++)
    pull_constant_block (h, i, 0);

  src = source_harness_new (h, MONO_8K_CAPS);
  gst_harness_push (src, make_constant_block (0, 1000));
  pull_constant_block (h, i++, 0);
  gst_harness_teardown (src);

  src = source_harness_new (h, NULL);
  gst_pad_set_offset (mixer_pad (src), i * BLOCK_DURATION);
  gst_harness_set_src_caps_str (src, MONO_8K_CAPS);
  gst_harness_push (src, make_constant_block (0, 1000));
  pull_constant_block (h, i++, 1000);
  gst_harness_push (src, make_constant_block (BLOCK_DURATION, 2000));
  pull_constant_block (h, i++, 2000);
  gst_harness_teardown (src);

  gst_harness_teardown (h);
}
GST_END_TEST;

/* What the daemon sets: a source that has ended but whose pad is still
 * there leaves silence, and must not make the mixer run ahead of the
 * clock: each block still waits for its time. */
GST_START_TEST (test_silence_after_sources_eos_without_eos_when_idle)
{
  GstHarness *h = mixer_harness_new ();
  GstHarness *src;
  GstClock *clock = GST_CLOCK (gst_harness_get_testclock (h));
  guint i = 0;

  g_object_set (h->element, "eos-when-idle", FALSE, NULL);
  src = source_harness_new (h, MONO_8K_CAPS);
  gst_harness_push (src, make_constant_block (0, 500));
  fail_unless (gst_harness_push_event (src, gst_event_new_eos ()));
  pull_constant_block (h, i++, 500);

  for (; i < 6; i++) {
    GstBuffer *buf = crank_and_pull (h);

    assert_block_timing (buf, i);
    assert_block_constant (buf, 0);
    /* Due once its end (the mixer's latency) has been reached. */
    fail_unless_equals_uint64 (gst_clock_get_time (clock),
                               GST_BUFFER_PTS (buf) + BLOCK_DURATION);
    gst_buffer_unref (buf);
  }
  fail_if (harness_got_eos (h));

  gst_object_unref (clock);
  gst_harness_teardown (src);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* The default: once every source has ended the output ends too, as
 * audiomixer's does, with the sources' last samples in it; the block
 * they end in is completed with silence. */
GST_START_TEST (test_eos_when_every_source_has_ended)
{
  GstHarness *h = mixer_harness_new ();
  GstHarness *a = source_harness_new (h, MONO_8K_CAPS);
  GstHarness *b = source_harness_new (h, MONO_8K_CAPS);
  gint16 samples[BLOCK_FRAMES + BLOCK_FRAMES / 2];
  gboolean live = FALSE;
  gboolean eos_when_idle = FALSE;
  GstBuffer *last;
  GstMapInfo map;
  guint i;

  g_object_get (h->element, "force-live", &live, "eos-when-idle", &eos_when_idle, NULL);
  fail_unless (live && eos_when_idle);

  /* a: one and a half blocks; b: one block, then nothing more for a
   * while: b has ended but a goes on. */
  for (i = 0; i < G_N_ELEMENTS (samples); i++)
    samples[i] = 1000;
  gst_harness_push (a, make_buffer (0, samples, G_N_ELEMENTS (samples), RATE, 1));
  gst_harness_push (b, make_constant_block (0, 2000));
  fail_unless (gst_harness_push_event (b, gst_event_new_eos ()));
  pull_constant_block (h, 0, 3000);
  fail_if (harness_got_eos (h));

  fail_unless (gst_harness_push_event (a, gst_event_new_eos ()));
  crank_until_eos (h);

  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 1);
  last = gst_harness_pull (h);
  assert_block_timing (last, 1);
  fail_unless (gst_buffer_map (last, &map, GST_MAP_READ));
  for (i = 0; i < BLOCK_FRAMES; i++) {
    gint16 expected = i < BLOCK_FRAMES / 2 ? 1000 : 0;
    gint16 got = ((const gint16 *) (gconstpointer) map.data)[i];

    if (got != expected)
      fail ("sample %u of the last block is %d, expected %d", i, got, expected);
  }
  gst_buffer_unmap (last, &map);
  gst_buffer_unref (last);

  gst_harness_teardown (a);
  gst_harness_teardown (b);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Without force-live the mixer is an ordinary one: no clock needed, and
 * the output ends exactly where the longest source does. */
GST_START_TEST (test_not_live_ends_with_sources)
{
  GstElement *mixer = gst_element_factory_make_full ("sipcastmixer", "force-live", FALSE, NULL);
  GstHarness *h = gst_harness_new_with_element (mixer, NULL, "src");
  GstHarness *a;
  GstHarness *b;
  gint16 samples[2 * BLOCK_FRAMES + BLOCK_FRAMES / 2];
  GstBuffer *buf;
  guint i;

  gst_object_unref (mixer);
  gst_harness_set_sink_caps_str (h, OUT_CAPS);
  a = source_harness_new (h, MONO_8K_CAPS);
  b = source_harness_new (h, MONO_8K_CAPS);

  for (i = 0; i < G_N_ELEMENTS (samples); i++)
    samples[i] = 1000;
  gst_harness_push (a, make_buffer (0, samples, G_N_ELEMENTS (samples), RATE, 1));
  gst_harness_push (b, make_constant_block (0, 2000));
  fail_unless (gst_harness_push_event (a, gst_event_new_eos ()));
  fail_unless (gst_harness_push_event (b, gst_event_new_eos ()));

  buf = gst_harness_pull (h);
  assert_block_timing (buf, 0);
  assert_block_constant (buf, 3000);
  gst_buffer_unref (buf);
  buf = gst_harness_pull (h);
  assert_block_timing (buf, 1);
  assert_block_constant (buf, 1000);
  gst_buffer_unref (buf);
  /* The last one is cut where a ends. */
  buf = gst_harness_pull (h);
  fail_unless_equals_uint64 (GST_BUFFER_PTS (buf), 2 * BLOCK_DURATION);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (buf), BLOCK_DURATION / 2);
  fail_unless_equals_uint64 (gst_buffer_get_size (buf), BLOCK_FRAMES / 2 * sizeof (gint16));
  assert_block_constant (buf, 1000);
  gst_buffer_unref (buf);

  fail_unless (pull_until_eos (h), "no EOS from the mixer");
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  gst_harness_teardown (a);
  gst_harness_teardown (b);
  gst_harness_teardown (h);
}
GST_END_TEST;

GST_START_TEST (test_eos_sent_to_element_ends_output)
{
  GstHarness *h = mixer_harness_new ();
  GstEvent *event;
  gboolean got_eos = FALSE;

  pull_constant_block (h, 0, 0);

  /* What gst_element_send_event() on the pipeline does to a source. */
  fail_unless (GST_OBJECT_FLAG_IS_SET (h->element, GST_ELEMENT_FLAG_SOURCE));
  fail_unless (gst_element_send_event (h->element, gst_event_new_eos ()));
  fail_unless (gst_harness_crank_single_clock_wait (h));

  while (!got_eos && (event = gst_harness_pull_event (h)) != NULL) {
    got_eos = GST_EVENT_TYPE (event) == GST_EVENT_EOS;
    gst_event_unref (event);
  }
  fail_unless (got_eos);
  fail_unless_equals_int (gst_harness_buffers_in_queue (h), 0);

  gst_harness_teardown (h);
}
GST_END_TEST;

static void
on_buffer_consumed (GstAggregatorPad *pad,
                    GstBuffer        *buffer,
                    gpointer          user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

static void
on_samples_selected (GstElement   *mixer,
                     GstSegment   *segment,
                     guint64       pts,
                     guint64       dts,
                     guint64       duration,
                     GstStructure *info,
                     gpointer      user_data)
{
  g_atomic_int_inc ((gint *) user_data);
}

/* The mixer describes some inherited properties anew (gst-inspect shows
 * its descriptions); setting them must still reach the base classes. */
GST_START_TEST (test_reworded_properties_reach_base_class)
{
  GstElement *mixer = gst_element_factory_make ("sipcastmixer", NULL);
  GstHarness *h;
  GstHarness *src;
  guint64 duration = 0;
  guint64 start_time = 0;
  gint consumed = 0;
  gint selected = 0;

  /* In seconds as a fraction, the same setting as the duration in ns. */
  g_object_set (mixer, "output-buffer-duration-fraction", 1, 50, "start-time", 5 * GST_SECOND,
                "emit-signals", TRUE, NULL);
  g_object_get (mixer, "output-buffer-duration", &duration, "start-time", &start_time, NULL);
  fail_unless_equals_uint64 (duration, 20 * GST_MSECOND);
  fail_unless_equals_uint64 (start_time, 5 * GST_SECOND);
  g_object_set (mixer, "output-buffer-duration", BLOCK_DURATION, NULL);

  h = gst_harness_new_with_element (mixer, NULL, "src");
  gst_object_unref (mixer);
  gst_harness_set_sink_caps_str (h, OUT_CAPS);
  src = source_harness_new (h, MONO_8K_CAPS);
  g_object_set (mixer_pad (src), "emit-signals", TRUE, NULL);
  g_signal_connect (mixer_pad (src), "buffer-consumed", G_CALLBACK (on_buffer_consumed), &consumed);
  g_signal_connect (h->element, "samples-selected", G_CALLBACK (on_samples_selected), &selected);

  gst_harness_push (src, make_constant_block (0, 100));
  pull_constant_block (h, 0, 100);
  fail_unless_equals_int (g_atomic_int_get (&consumed), 1);
  fail_unless (g_atomic_int_get (&selected) >= 1);

  gst_harness_teardown (src);
  gst_harness_teardown (h);
}
GST_END_TEST;

/* Sources come at any rate and channel count; GstAudioAggregator alone
 * would refuse a rate other than the output's. */
GST_START_TEST (test_stereo_48k_source_is_converted)
{
  GstHarness *h = mixer_harness_new ();
  GstHarness *src = source_harness_new (h, NULL);
  GstCaps *caps;
  GstCaps *first;
  GstCaps *expected;
  const guint in_frames = 480;  /* 10 ms at 48 kHz */
  const gdouble amplitude = 10000.0;
  guint i;
  guint j;

  /* Upstream is offered every rate, the output's first so that it only
   * makes the mixer resample when it cannot do otherwise. */
  pull_constant_block (h, 0, 0);
  caps = gst_pad_query_caps (mixer_pad (src), NULL);
  expected = gst_caps_from_string ("audio/x-raw, rate=(int)8000");
  first = gst_caps_copy_nth (caps, 0);
  fail_unless (gst_caps_is_subset (first, expected));
  gst_caps_unref (first);
  gst_caps_unref (expected);
  expected = gst_caps_from_string (STEREO_48K_CAPS);
  fail_unless (gst_caps_can_intersect (caps, expected));
  fail_unless (gst_pad_query_accept_caps (mixer_pad (src), expected));
  gst_caps_unref (expected);
  gst_caps_unref (caps);

  gst_harness_set_src_caps_str (src, STEREO_48K_CAPS);

  for (i = 1; i < 11; i++) {
    gint16 samples[480 * 2];
    GstBuffer *out;
    GstMapInfo map;
    const gint16 *s;
    gdouble energy = 0.0;
    guint crossings = 0;

    /* 1 kHz, the same on both channels. */
    for (j = 0; j < in_frames; j++) {
      gdouble t = (gdouble) (i * in_frames + j) / 48000.0;
      gint16 v = (gint16) (amplitude * sin (2.0 * G_PI * 1000.0 * t));

      samples[2 * j] = v;
      samples[2 * j + 1] = v;
    }
    gst_harness_push (src, make_buffer (i * BLOCK_DURATION, samples, in_frames, 48000, 2));

    out = crank_and_pull (h);
    assert_block_timing (out, i);

    fail_unless (gst_buffer_map (out, &map, GST_MAP_READ));
    s = (const gint16 *) (gconstpointer) map.data;
    for (j = 0; j < BLOCK_FRAMES; j++) {
      energy += (gdouble) s[j] * s[j];
      if (j > 0 && (s[j - 1] < 0) != (s[j] < 0))
        crossings++;
    }
    gst_buffer_unmap (out, &map);
    gst_buffer_unref (out);

    /* The resampler's filter delays the start by a few samples; from the
     * second block on the tone is all there: RMS amplitude/sqrt(2) and 20
     * zero crossings per 10 ms at 1 kHz. */
    if (i >= 3) {
      gdouble rms = sqrt (energy / BLOCK_FRAMES);

      fail_unless (rms > 0.9 * amplitude / G_SQRT2 && rms < 1.1 * amplitude / G_SQRT2,
                   "block %u: RMS %f", i, rms);
      fail_unless (crossings >= 19 && crossings <= 21, "block %u: %u zero crossings",
                   i, crossings);
    }
  }

  gst_harness_teardown (src);
  gst_harness_teardown (h);
}
GST_END_TEST;

static Suite *
sipcastmixer_suite (void)
{
  Suite *s = suite_create ("sipcastmixer");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_silence_without_sources);
  tcase_add_test (tc, test_single_source_passes_through);
  tcase_add_test (tc, test_two_sources_are_summed_with_saturation);
  tcase_add_test (tc, test_volume_and_mute);
  tcase_add_test (tc, test_pad_properties_through_child_proxy);
  tcase_add_test (tc, test_add_and_remove_source_while_playing);
  tcase_add_test (tc, test_late_file_source_needs_pad_offset);
  tcase_add_test (tc, test_silence_after_sources_eos_without_eos_when_idle);
  tcase_add_test (tc, test_eos_when_every_source_has_ended);
  tcase_add_test (tc, test_not_live_ends_with_sources);
  tcase_add_test (tc, test_eos_sent_to_element_ends_output);
  tcase_add_test (tc, test_stereo_48k_source_is_converted);
  tcase_add_test (tc, test_reworded_properties_reach_base_class);

  return s;
}

GST_CHECK_MAIN (sipcastmixer);

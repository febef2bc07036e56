/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-gapfill"

#include "config.h"

#include "gstsipcastgapfill.h"

#include <string.h>

#include <gst/audio/audio.h>

/**
 * SECTION:element-sipcastgapfill
 * @title: sipcastgapfill
 *
 * Keeps a live audio stream continuous on the pipeline clock. Phones stop
 * sending RTP all the time (voice activity detection, Opus DTX, comfort
 * noise, hold, a stalled far end); what follows the depayloader then gets
 * nothing, and an FLV stream gets a hole that live platforms and HLS
 * packagers take for a broken stream. Once the first buffer has passed,
 * this element makes sure every moment of running time is covered:
 *
 * - when nothing has arrived for #SipcastGapFill:threshold past the
 *   moment the next buffer was due (the end of the last one plus the
 *   upstream latency, i.e. the jitter buffer's), it outputs silence of the
 *   stream's format from where the last buffer ended up to now (in 20 ms
 *   buffers), and goes on doing so, one threshold's worth at a time, while
 *   the gap lasts.  Not while a buffer is on its way downstream, nor
 *   within a threshold of the last one: a downstream that holds the
 *   stream back (a sink still connecting) is no pause of the far end, and
 *   the audio it held back follows at once;
 * - a buffer that starts later than the last one ended is preceded by
 *   silence up to its start, so it lands at its real running time;
 * - a buffer that starts before what was already output (the far end came
 *   back while silence was going out) loses its head, or is dropped when
 *   it is all in the past: the output never jumps back.
 *
 * Formats: raw audio (the silence of its sample format), 8 kHz-and-up
 * A-law (0xD5) and µ-law (0xFF), so both decoded chains and G.711 copied
 * into FLV as it is stay continuous. Anything else passes untouched.
 *
 * No thread of its own: a gap is noticed by an asynchronous single-shot
 * wait on the pipeline clock (one pending wait per element, moved on as
 * data comes, served by the clock's one shared thread), and the silence is
 * pushed from a pool of worker threads shared by every instance in the
 * process (at most twice the number of CPUs, at least 4), so a
 * downstream that blocks holds up one pool thread, never the clock's. The element adds #SipcastGapFill:threshold
 * to the latency it reports, so silence pushed that late still reaches a
 * live muxer in time.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 udpsrc port=5004 caps="application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU" \
 *     ! rtpjitterbuffer ! rtppcmudepay ! mulawdec ! sipcastgapfill \
 *     ! audioconvert ! voaacenc ! aacparse ! flvmux streamable=true \
 *     ! filesink location=call.flv
 * ]| records PCMU RTP to FLV with silence wherever the sender paused.
 */

GST_DEBUG_CATEGORY_STATIC (sipcast_gap_fill_debug);
#define GST_CAT_DEFAULT sipcast_gap_fill_debug

/* Long enough that a streaming thread the machine keeps waiting (two
 * busy cores) is not taken for a far end that paused. */
#define DEFAULT_THRESHOLD_MS 200

/* Silence goes out in buffers of at most this much: what a phone sends
 * per packet, so a muxer that makes one tag per buffer (FLV with G.711
 * copied) gets the same spacing as from the far end. */
#define CHUNK (20 * GST_MSECOND)

/* Timestamps of consecutive RTP packets, through the jitter buffer's
 * skew correction, are off by a few samples, and while it settles (and
 * after a backlog) by tens of milliseconds: a gap between two buffers is
 * filled only from this size on (GstAudioEncoder's tolerance), and the
 * far end's own overlaps are left alone, as the encoder takes them. */
#define GAP_MIN (40 * GST_MSECOND)
#define TOLERANCE (2 * GST_MSECOND)

enum {
  PROP_0,
  PROP_THRESHOLD,
  PROP_SILENCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum {
  FORMAT_NONE,   /* not audio we know: passed through, never filled */
  FORMAT_RAW,
  FORMAT_BYTE,   /* one byte per sample and channel: G.711 */
} Format;

struct _SipcastGapFill {
  GstElement parent_instance;

  GstPad *sinkpad;
  GstPad *srcpad;

  /* Held while deciding what goes out and pushing it, by the streaming
   * thread and by the pool thread filling a gap, so that buffers leave in
   * timestamp order.  Taken before lock, never while holding it. */
  GMutex push_lock;

  /* Protects everything below. */
  GMutex lock;
  GstClockTime threshold;
  Format format;
  GstAudioInfo info;           /* FORMAT_RAW */
  guint8 silence_byte;         /* FORMAT_BYTE */
  gint rate;
  gint bpf;                    /* bytes per frame */
  GstSegment segment;
  gboolean started;            /* a buffer has passed since the last reset */
  gboolean stopped;            /* EOS, flushing, or downstream refused */
  /* Running time the output covers up to, counted in samples: what the
   * far end sent plus our silence, whatever its timestamps say (a backlog
   * the jitter buffer stamped too close together must not be followed by
   * silence when its timestamps catch up with the clock). */
  GstClockTime last_end;
  GstClockTime silence_end;    /* end of the last silence output, or NONE */
  GstClockTime latency;        /* upstream's minimum latency */
  GstClockID wait_id;          /* the one pending wait, or NULL */
  GstClockTime silence;        /* total silence output, for the property */
  /* The streaming thread is in our chain function: downstream, not the
   * far end, is what holds the audio back (a sink still connecting), and
   * what it brings next is no gap. */
  gboolean in_chain;
  GstClockTime last_activity;  /* running time the chain function last ran */
};

G_DEFINE_TYPE (SipcastGapFill, sipcast_gap_fill, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (sipcastgapfill, "sipcastgapfill", GST_RANK_NONE,
                             SIPCAST_TYPE_GAP_FILL);

#define AUDIO_CAPS \
  GST_AUDIO_CAPS_MAKE (GST_AUDIO_FORMATS_ALL) ", layout = (string) interleaved; " \
  "audio/x-alaw, rate = (int) [ 1, MAX ], channels = (int) [ 1, MAX ]; " \
  "audio/x-mulaw, rate = (int) [ 1, MAX ], channels = (int) [ 1, MAX ]"

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS (AUDIO_CAPS));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS (AUDIO_CAPS));

static void schedule_wait_locked (SipcastGapFill *self, GstClockTime running_time);

/* Under lock. */
static void
cancel_wait_locked (SipcastGapFill *self)
{
  if (self->wait_id != NULL) {
    gst_clock_id_unschedule (self->wait_id);
    gst_clock_id_unref (self->wait_id);
    self->wait_id = NULL;
  }
}

/* Under lock: back to before the first buffer. */
static void
reset_locked (SipcastGapFill *self)
{
  cancel_wait_locked (self);
  self->started = FALSE;
  self->stopped = FALSE;
  self->in_chain = FALSE;
  self->last_end = GST_CLOCK_TIME_NONE;
  self->silence_end = GST_CLOCK_TIME_NONE;
  self->last_activity = 0;
}

/* Under lock: @frames of silence starting at running time @start, as a
 * buffer timestamped in the current segment. */
static GstBuffer *
make_silence_locked (SipcastGapFill *self,
                     GstClockTime    start,
                     guint64         frames)
{
  gsize size = frames * self->bpf;
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  if (self->format == FORMAT_RAW)
    gst_audio_format_info_fill_silence (self->info.finfo, map.data, size);
  else
    memset (map.data, self->silence_byte, size);
  gst_buffer_unmap (buffer, &map);

  GST_BUFFER_PTS (buffer) = gst_segment_position_from_running_time (&self->segment,
                                                                      GST_FORMAT_TIME, start);
  GST_BUFFER_DURATION (buffer) = gst_util_uint64_scale_int (frames, GST_SECOND, self->rate);
  GST_BUFFER_OFFSET (buffer) = GST_BUFFER_OFFSET_NONE;
  self->silence += GST_BUFFER_DURATION (buffer);
  return buffer;
}

/* Pushes @silence buffer by buffer: probes downstream (a tail dropping
 * what comes between connections, the named stream's tap) watch buffers,
 * not lists. */
static GstFlowReturn
push_silence (SipcastGapFill *self,
              GstBufferList  *silence)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint n = gst_buffer_list_length (silence);

  for (guint i = 0; i < n && ret == GST_FLOW_OK; i++)
    ret = gst_pad_push (self->srcpad, gst_buffer_ref (gst_buffer_list_get (silence, i)));
  gst_buffer_list_unref (silence);
  return ret;
}

/* Under lock: silence from last_end up to about @until (whole frames), in
 * buffers of at most CHUNK; NULL when that is less than one frame. */
static GstBufferList *
fill_to_locked (SipcastGapFill *self,
                GstClockTime    until)
{
  guint64 frames, chunk_frames;
  GstBufferList *list;

  if (until <= self->last_end)
    return NULL;
  frames = gst_util_uint64_scale_int (until - self->last_end, self->rate, GST_SECOND);
  if (frames == 0)
    return NULL;
  GST_LOG_OBJECT (self, "silence from %" GST_TIME_FORMAT " for %" G_GUINT64_FORMAT " frames",
                  GST_TIME_ARGS (self->last_end), frames);
  chunk_frames = MAX (1, gst_util_uint64_scale_int (CHUNK, self->rate, GST_SECOND));
  list = gst_buffer_list_new_sized ((guint) (frames / chunk_frames + 1));
  while (frames > 0) {
    guint64 n = MIN (frames, chunk_frames);
    GstBuffer *buffer = make_silence_locked (self, self->last_end, n);

    self->last_end += GST_BUFFER_DURATION (buffer);
    frames -= n;
    gst_buffer_list_add (list, buffer);
  }
  self->silence_end = self->last_end;
  return list;
}

/* Any thread: the running time now, or NONE without a clock. */
static GstClockTime
running_time_now (SipcastGapFill *self)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime now, base;

  if (clock == NULL)
    return GST_CLOCK_TIME_NONE;
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  return now > base ? now - base : 0;
}

/* A pool thread (fill_pool): the wait ran out, so the gap,
 * if data has not moved last_end on meanwhile, gets its silence.  Not
 * while the streaming thread is pushing (downstream holds the audio back,
 * the jitter buffer has it), nor within a threshold of its last push. */
static void
fill_gap (gpointer data,
          gpointer user_data)
{
  g_autoptr (SipcastGapFill) self = data;
  GstClockTime now = running_time_now (self);
  GstClockTime due;
  GstBufferList *silence = NULL;
  GstFlowReturn ret;

  if (!GST_CLOCK_TIME_IS_VALID (now))
    return;

  g_mutex_lock (&self->lock);
  if (self->in_chain && self->wait_id == NULL && self->started && !self->stopped) {
    schedule_wait_locked (self, now + self->threshold);
    g_mutex_unlock (&self->lock);
    return;
  }
  g_mutex_unlock (&self->lock);

  g_mutex_lock (&self->push_lock);
  g_mutex_lock (&self->lock);
  if (!self->started || self->stopped || self->format == FORMAT_NONE || self->wait_id != NULL) {
    g_mutex_unlock (&self->lock);
    g_mutex_unlock (&self->push_lock);
    return;
  }
  due = MAX (self->last_end + self->latency, self->last_activity) + self->threshold;
  if (now >= due)
    silence = fill_to_locked (self, now - self->latency);
  schedule_wait_locked (self, MAX (self->last_end + self->latency, now) + self->threshold);
  g_mutex_unlock (&self->lock);

  if (silence != NULL) {
    ret = push_silence (self, silence);
    if (ret != GST_FLOW_OK && ret != GST_FLOW_NOT_LINKED) {
      GST_DEBUG_OBJECT (self, "downstream took no silence: %s", gst_flow_get_name (ret));
      g_mutex_lock (&self->lock);
      self->stopped = TRUE;
      cancel_wait_locked (self);
      g_mutex_unlock (&self->lock);
    }
  }
  g_mutex_unlock (&self->push_lock);
}

/* The threads that push silence, for every element in the process: a
 * few, however many calls pause at once (a call's pause costs a wake-up
 * per threshold, not a thread), and enough that one whose downstream
 * blocks does not hold up the others. */
static GThreadPool *
fill_pool (void)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool)) {
    GThreadPool *new_pool = g_thread_pool_new (fill_gap, NULL,
                                               (gint) MAX (4, 2 * g_get_num_processors ()),
                                               FALSE, NULL);

    g_once_init_leave (&pool, new_pool);
  }
  return pool;
}

/* The clock's thread: hand over to a pool thread (pushing here could block
 * every other element's waits on this clock). */
static gboolean
wait_done_cb (GstClock     *clock,
              GstClockTime  time,
              GstClockID    id,
              gpointer      user_data)
{
  SipcastGapFill *self = SIPCAST_GAP_FILL (user_data);
  gboolean current;

  g_mutex_lock (&self->lock);
  current = self->wait_id == id;
  if (current) {
    gst_clock_id_unref (self->wait_id);
    self->wait_id = NULL;
  }
  g_mutex_unlock (&self->lock);

  if (current)
    g_thread_pool_push (fill_pool (), gst_object_ref (self), NULL);
  return TRUE;
}

/* Under lock: the one pending wait, for @running_time. */
static void
schedule_wait_locked (SipcastGapFill *self,
                      GstClockTime    running_time)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (GST_ELEMENT (self));

  cancel_wait_locked (self);
  if (clock == NULL || self->stopped)
    return;
  self->wait_id = gst_clock_new_single_shot_id (clock,
      gst_element_get_base_time (GST_ELEMENT (self)) + running_time);
  if (gst_clock_id_wait_async (self->wait_id, wait_done_cb, gst_object_ref (self),
                               gst_object_unref) != GST_CLOCK_OK) {
    gst_clock_id_unref (self->wait_id);
    self->wait_id = NULL;
  }
}

/* The streaming thread: upstream's (the jitter buffer's) latency. */
static GstClockTime
query_upstream_latency (SipcastGapFill *self)
{
  g_autoptr (GstQuery) query = gst_query_new_latency ();
  gboolean live = FALSE;
  GstClockTime min = 0;

  if (gst_pad_peer_query (self->sinkpad, query))
    gst_query_parse_latency (query, &live, &min, NULL);
  return live && GST_CLOCK_TIME_IS_VALID (min) ? min : 0;
}

/* Under lock: where @buffer (starting at running time @start, ending at
 * @end) goes on the output timeline.  Returns the silence to push before
 * it, if any.
 *
 * Only a buffer that starts within silence we put out is touched (audio
 * back after a pause overlaps the silence by its jitter): the head that
 * silence already covers is cut off (*@drop when that is all of it), so
 * the output never jumps back over our silence and what follows the
 * buffer stays contiguous with it.  Everything else keeps its
 * timestamps, as it did without this element. */
static GstBufferList *
place_locked (SipcastGapFill  *self,
              GstBuffer      **buffer,
              GstClockTime     start,
              GstClockTime     end,
              gboolean        *drop)
{
  GstBufferList *silence = NULL;
  gsize size = gst_buffer_get_size (*buffer);

  *drop = FALSE;
  if (start > self->last_end + GAP_MIN) {
    silence = fill_to_locked (self, start);
    self->last_end = MAX (self->last_end, start);
  } else if (!GST_CLOCK_TIME_IS_VALID (self->silence_end) ||
             start + TOLERANCE >= self->silence_end ||
             start + TOLERANCE >= self->last_end) {
    /* Not over our silence: as it is. */
  } else {
    guint64 frames = gst_util_uint64_scale_int (self->last_end - start, self->rate, GST_SECOND);
    GstClockTime pts = GST_BUFFER_PTS (*buffer);

    if (end <= self->last_end || frames * self->bpf >= size) {
      GST_LOG_OBJECT (self, "dropping %" GST_TIME_FORMAT ": already covered",
                      GST_TIME_ARGS (start));
      *drop = TRUE;
      return NULL;
    }
    GST_LOG_OBJECT (self, "cutting %" G_GUINT64_FORMAT " frames off %" GST_TIME_FORMAT,
                    frames, GST_TIME_ARGS (start));
    *buffer = gst_buffer_make_writable (*buffer);
    gst_buffer_resize (*buffer, (gssize) (frames * self->bpf), -1);
    GST_BUFFER_PTS (*buffer) = pts + gst_util_uint64_scale_int (frames, GST_SECOND, self->rate);
    GST_BUFFER_DURATION (*buffer) =
      end - gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME,
                                         GST_BUFFER_PTS (*buffer));
    self->last_end = end;
    return silence;
  }
  self->last_end += end - start;
  return silence;
}

static GstFlowReturn
sipcast_gap_fill_chain (GstPad    *pad,
                        GstObject *parent,
                        GstBuffer *buffer)
{
  SipcastGapFill *self = SIPCAST_GAP_FILL (parent);
  GstClockTime pts = GST_BUFFER_PTS (buffer);
  GstClockTime start = GST_CLOCK_TIME_NONE;
  GstClockTime end = GST_CLOCK_TIME_NONE;
  GstClockTime latency = 0;
  GstBufferList *silence = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  gboolean fill, first, drop = FALSE;

  g_mutex_lock (&self->push_lock);
  g_mutex_lock (&self->lock);
  self->in_chain = TRUE;
  self->last_activity = running_time_now (self);
  fill = self->format != FORMAT_NONE && GST_CLOCK_TIME_IS_VALID (pts) &&
         self->segment.format == GST_FORMAT_TIME;
  if (fill) {
    start = gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, pts);
    fill = GST_CLOCK_TIME_IS_VALID (start);
  }
  if (fill)
    end = start + gst_util_uint64_scale_int (gst_buffer_get_size (buffer) / self->bpf,
                                             GST_SECOND, self->rate);
  first = fill && !self->started;
  g_mutex_unlock (&self->lock);

  /* Once: the jitter buffer's latency, which is how late after its
   * timestamp a buffer normally gets here. */
  if (first)
    latency = query_upstream_latency (self);

  g_mutex_lock (&self->lock);
  if (first) {
    self->latency = latency;
    self->started = TRUE;
    self->last_end = end;
    GST_DEBUG_OBJECT (self, "first audio at %" GST_TIME_FORMAT ", upstream latency %"
                      GST_TIME_FORMAT, GST_TIME_ARGS (start), GST_TIME_ARGS (latency));
  } else if (fill && self->started) {
    silence = place_locked (self, &buffer, start, end, &drop);
  }
  /* A pending wait is moved on only when it runs out (fill_gap), not for
   * every buffer: one clock wake-up per threshold, not per packet. */
  if (fill && self->wait_id == NULL && !self->stopped)
    schedule_wait_locked (self, self->last_end + self->latency + self->threshold);
  g_mutex_unlock (&self->lock);

  if (silence != NULL)
    ret = push_silence (self, silence);
  if (drop || ret != GST_FLOW_OK)
    gst_buffer_unref (buffer);
  else
    ret = gst_pad_push (self->srcpad, buffer);

  g_mutex_lock (&self->lock);
  self->in_chain = FALSE;
  self->last_activity = running_time_now (self);
  g_mutex_unlock (&self->lock);
  g_mutex_unlock (&self->push_lock);
  return ret;
}

/* Under lock. */
static void
set_format_locked (SipcastGapFill *self,
                   GstCaps        *caps)
{
  GstStructure *s = gst_caps_get_structure (caps, 0);
  gint channels = 0;

  self->format = FORMAT_NONE;
  if (gst_structure_has_name (s, "audio/x-raw")) {
    if (gst_audio_info_from_caps (&self->info, caps) && GST_AUDIO_INFO_BPF (&self->info) > 0) {
      self->format = FORMAT_RAW;
      self->rate = GST_AUDIO_INFO_RATE (&self->info);
      self->bpf = GST_AUDIO_INFO_BPF (&self->info);
    }
  } else if (gst_structure_get_int (s, "rate", &self->rate) &&
             gst_structure_get_int (s, "channels", &channels) && self->rate > 0 && channels > 0) {
    /* G.711 silence: the code for a zero sample (ITU-T G.711 tables). */
    self->format = FORMAT_BYTE;
    self->silence_byte = gst_structure_has_name (s, "audio/x-alaw") ? 0xD5 : 0xFF;
    self->bpf = channels;
  }
  GST_DEBUG_OBJECT (self, "format %" GST_PTR_FORMAT ": %s", caps,
                    self->format == FORMAT_NONE ? "not filled" : "filled");
}

static gboolean
sipcast_gap_fill_sink_event (GstPad    *pad,
                             GstObject *parent,
                             GstEvent  *event)
{
  SipcastGapFill *self = SIPCAST_GAP_FILL (parent);

  switch (GST_EVENT_TYPE (event)) {
  case GST_EVENT_CAPS: {
    GstCaps *caps;

    gst_event_parse_caps (event, &caps);
    g_mutex_lock (&self->lock);
    set_format_locked (self, caps);
    g_mutex_unlock (&self->lock);
    break;
  }
  case GST_EVENT_SEGMENT:
    /* Serialized: taken in order with the buffers. */
    g_mutex_lock (&self->push_lock);
    g_mutex_lock (&self->lock);
    gst_event_copy_segment (event, &self->segment);
    g_mutex_unlock (&self->lock);
    {
      gboolean ok = gst_pad_push_event (self->srcpad, event);

      g_mutex_unlock (&self->push_lock);
      return ok;
    }
  case GST_EVENT_FLUSH_START:
  case GST_EVENT_EOS:
    g_mutex_lock (&self->lock);
    self->stopped = TRUE;
    cancel_wait_locked (self);
    g_mutex_unlock (&self->lock);
    if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
      /* After any silence being pushed right now. */
      gboolean ok;

      g_mutex_lock (&self->push_lock);
      ok = gst_pad_push_event (self->srcpad, event);
      g_mutex_unlock (&self->push_lock);
      return ok;
    }
    break;
  case GST_EVENT_GAP:
    /* A lost packet (the jitter buffer's do-lost): the next buffer, or the
     * wait, fills its time with silence, in order with the rest. */
    g_mutex_lock (&self->lock);
    if (self->format != FORMAT_NONE) {
      g_mutex_unlock (&self->lock);
      gst_event_unref (event);
      return TRUE;
    }
    g_mutex_unlock (&self->lock);
    break;
  case GST_EVENT_FLUSH_STOP:
    g_mutex_lock (&self->lock);
    reset_locked (self);
    gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
    g_mutex_unlock (&self->lock);
    break;
  default:
    break;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
sipcast_gap_fill_src_query (GstPad    *pad,
                            GstObject *parent,
                            GstQuery  *query)
{
  SipcastGapFill *self = SIPCAST_GAP_FILL (parent);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, threshold;

    if (!gst_pad_peer_query (self->sinkpad, query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    g_mutex_lock (&self->lock);
    threshold = self->threshold;
    g_mutex_unlock (&self->lock);
    /* Silence may go out up to one threshold after its time. */
    if (live) {
      min += threshold;
      if (GST_CLOCK_TIME_IS_VALID (max))
        max += threshold;
    }
    gst_query_set_latency (query, live, min, max);
    return TRUE;
  }
  return gst_pad_query_default (pad, parent, query);
}

static GstStateChangeReturn
sipcast_gap_fill_change_state (GstElement     *element,
                               GstStateChange  transition)
{
  SipcastGapFill *self = SIPCAST_GAP_FILL (element);
  GstStateChangeReturn ret;

  switch (transition) {
  case GST_STATE_CHANGE_READY_TO_PAUSED:
    g_mutex_lock (&self->lock);
    reset_locked (self);
    gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);
    self->silence = 0;
    g_mutex_unlock (&self->lock);
    break;
  case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
  case GST_STATE_CHANGE_PAUSED_TO_READY:
    /* No silence while the clock does not run; the next buffer starts
     * the watch again. */
    g_mutex_lock (&self->lock);
    cancel_wait_locked (self);
    if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
      reset_locked (self);
    g_mutex_unlock (&self->lock);
    break;
  default:
    break;
  }

  ret = GST_ELEMENT_CLASS (sipcast_gap_fill_parent_class)->change_state (element, transition);
  return ret;
}

static void
sipcast_gap_fill_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SipcastGapFill *self = SIPCAST_GAP_FILL (object);

  switch (prop_id) {
  case PROP_THRESHOLD:
    g_mutex_lock (&self->lock);
    self->threshold = g_value_get_uint (value) * GST_MSECOND;
    g_mutex_unlock (&self->lock);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sipcast_gap_fill_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SipcastGapFill *self = SIPCAST_GAP_FILL (object);

  g_mutex_lock (&self->lock);
  switch (prop_id) {
  case PROP_THRESHOLD:
    g_value_set_uint (value, (guint) (self->threshold / GST_MSECOND));
    break;
  case PROP_SILENCE:
    g_value_set_uint64 (value, self->silence);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
  g_mutex_unlock (&self->lock);
}

static void
sipcast_gap_fill_finalize (GObject *object)
{
  SipcastGapFill *self = SIPCAST_GAP_FILL (object);

  /* A pending wait holds a reference to us: none is left by now. */
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->push_lock);
  G_OBJECT_CLASS (sipcast_gap_fill_parent_class)->finalize (object);
}

static void
sipcast_gap_fill_class_init (SipcastGapFillClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = sipcast_gap_fill_set_property;
  object_class->get_property = sipcast_gap_fill_get_property;
  object_class->finalize = sipcast_gap_fill_finalize;
  element_class->change_state = sipcast_gap_fill_change_state;

  properties[PROP_THRESHOLD] =
    g_param_spec_uint ("threshold", "Threshold",
                       "How long past the moment audio was due (ms) before silence "
                       "goes out instead; also the latency the element adds",
                       10, 10000, DEFAULT_THRESHOLD_MS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  properties[PROP_SILENCE] =
    g_param_spec_uint64 ("silence", "Silence",
                         "Running time of silence output so far (ns)",
                         0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
                                         "sipcast gap filler", "Filter/Audio",
                                         "Fills the running time no audio arrived for "
                                         "with silence, so a live stream stays continuous",
                                         "sipcast");

  GST_DEBUG_CATEGORY_INIT (sipcast_gap_fill_debug, "sipcastgapfill", 0, "sipcast gap filler");
}

static void
sipcast_gap_fill_init (SipcastGapFill *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->push_lock);
  self->threshold = DEFAULT_THRESHOLD_MS * GST_MSECOND;
  self->last_end = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_UNDEFINED);

  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, GST_DEBUG_FUNCPTR (sipcast_gap_fill_chain));
  gst_pad_set_event_function (self->sinkpad, GST_DEBUG_FUNCPTR (sipcast_gap_fill_sink_event));
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad, GST_DEBUG_FUNCPTR (sipcast_gap_fill_src_query));
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

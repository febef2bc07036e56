/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-mixer"

#include "config.h"

#include "gstsipcastmixer.h"
#include "gstsipcastmixer-private.h"

/**
 * SECTION:element-sipcastmixer
 * @title: sipcastmixer
 *
 * Mixes everything sipcast sends toward the far end of a SIP call: other
 * calls' audio, sound files, injected streams. Each source gets a request
 * pad `sink_%u` with its own `volume` and `mute`; pads may be requested and
 * released while PLAYING. A source may deliver any raw audio format, rate
 * and channel count: each pad converts and resamples to the output, which
 * is S16LE interleaved (what every SIP audio encoder takes) at the rate and
 * channel count downstream asks for. Samples are summed with saturation.
 *
 * By default (#SipcastMixer:force-live) the element is a live source of
 * its own: it produces one buffer per output-buffer-duration (10 ms by
 * default) paced by the pipeline clock, silence when there is no source or
 * when every source is muted or late, so the RTP sender downstream never
 * stalls and its timestamps never jump. Once every sink pad has received
 * EOS the output ends with EOS, as audiomixer's does; with
 * #SipcastMixer:eos-when-idle off (what the sipcast daemon sets) silence
 * goes on instead, and only an EOS sent to the element (as
 * gst_element_send_event() on the pipeline does: the element counts as a
 * source) ends the output. Without force-live the element is an ordinary
 * mixer: it follows its sources, as fast as they deliver, and ends when
 * they all have.
 *
 * Sources are placed by running time. A live source (another call's audio)
 * needs nothing special. A non-live source (a file) starts its timestamps
 * at 0, so when it is added to a pipeline that has been playing for a while
 * set the offset of its mixer pad to the current running time with
 * gst_pad_set_offset() before any data flows, or the mixer treats its
 * start as long past and drops it.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 sipcastmixer name=m sink_1::volume=0.5 eos-when-idle=false \
 *     ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay \
 *     ! udpsink host=127.0.0.1 port=5004 \
 *   audiotestsrc is-live=true freq=440 ! m.sink_0 \
 *   filesrc location=prompt.wav ! wavparse ! m.sink_1
 * ]| sends a 440 Hz tone mixed with a sound file (any rate, mono or
 * stereo) at half volume as PCMU/RTP, and goes on sending after the file
 * ends (silence, once nothing is left to mix).
 * |[
 * gst-launch-1.0 sipcastmixer name=m force-live=false \
 *     ! audio/x-raw,rate=8000,channels=1 ! wavenc ! filesink location=mix.wav \
 *   filesrc location=a.wav ! wavparse ! m. \
 *   filesrc location=b.ogg ! decodebin ! m.
 * ]| mixes two files into one as fast as they can be read, and ends when
 * the longer one does (without force-live=false it takes real time).
 */

GST_DEBUG_CATEGORY_STATIC (sipcast_mixer_debug);
#define GST_CAT_DEFAULT sipcast_mixer_debug

#define DEFAULT_FORCE_LIVE TRUE
#define DEFAULT_EOS_WHEN_IDLE TRUE

enum {
  PROP_0,
  PROP_FORCE_LIVE,
  PROP_EOS_WHEN_IDLE,
  PROP_EMIT_SIGNALS,
  PROP_START_TIME,
  PROP_START_TIME_SELECTION,
  PROP_OUTPUT_BUFFER_DURATION_FRACTION,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

struct _SipcastMixer {
  GstAudioAggregator parent_instance;

  /* Protected by the object lock: set from the application thread, read
   * from the streaming thread. */
  gboolean eos_when_idle;

  /* Streaming thread only: GstAudioAggregator returned NEED_DATA with an
   * output buffer partly mixed, which it pushes on its next call. */
  gboolean output_pending;

  /* Protected by the object lock: the clock wait the streaming thread is
   * blocked in, so a state change or an EOS request can cut it short. */
  GstClockID clock_id;
  gboolean flushing;
  gboolean eos_requested;
  /* Also under the object lock: TRUE while PLAYING.  Until then the
   * element has no clock to pace on, and the base class's live timeouts
   * would produce silence as fast as the CPU allows (seconds of it ahead
   * of real time when going to PLAYING takes a while under load). */
  gboolean playing;
  GCond playing_cond;

  /* Protected by the object lock: where the next output buffer starts,
   * the end of the last one pushed. */
  GstClockTime next_pts;
};

static void sipcast_mixer_child_proxy_init (gpointer g_iface,
                                            gpointer iface_data);

G_DEFINE_FINAL_TYPE_WITH_CODE (SipcastMixer, sipcast_mixer,
                               GST_TYPE_AUDIO_AGGREGATOR,
                               G_IMPLEMENT_INTERFACE (GST_TYPE_CHILD_PROXY,
                                                      sipcast_mixer_child_proxy_init))

GST_ELEMENT_REGISTER_DEFINE (sipcastmixer, "sipcastmixer", GST_RANK_NONE,
                             SIPCAST_TYPE_MIXER)

/* Only S16 is mixed natively: every codec on the SIP side takes it, and
 * the convert pads turn whatever a source delivers into it. */
#define SRC_CAPS \
  "audio/x-raw, format = (string) S16LE, layout = (string) interleaved, " \
  "rate = (int) [ 8000, 48000 ], channels = (int) [ 1, 2 ]"

static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS (SRC_CAPS));

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink_%u", GST_PAD_SINK, GST_PAD_REQUEST,
                           GST_STATIC_CAPS (GST_AUDIO_CAPS_MAKE (GST_AUDIO_FORMATS_ALL)
                                            ", layout = (string) interleaved"));

/* --- SipcastMixer ----------------------------------------------------- */

static void
mix_s16 (gint16       *out,
         const gint16 *in,
         gsize         n_samples,
         gint32        volume_fixed)
{
  gsize i;

  if (volume_fixed == VOLUME_UNITY) {
    for (i = 0; i < n_samples; i++)
      out[i] = CLAMP ((gint32) out[i] + (gint32) in[i], G_MININT16, G_MAXINT16);
  } else {
    for (i = 0; i < n_samples; i++) {
      /* Divide rather than shift: rounds toward zero for negative samples
       * too, so a scaled sine stays symmetric. */
      gint32 scaled = ((gint32) in[i] * volume_fixed) / VOLUME_UNITY;

      out[i] = CLAMP ((gint32) out[i] + scaled, G_MININT16, G_MAXINT16);
    }
  }
}

/* Called from the streaming thread for each stretch of a source's buffer
 * that overlaps the output buffer. The output buffer starts out as silence
 * (GstAudioAggregator fills it), so a source only adds to it. Returns
 * whether anything was added, which clears the output's GAP flag. */
static gboolean
sipcast_mixer_aggregate_one_buffer (GstAudioAggregator    *aagg,
                                    GstAudioAggregatorPad *aaggpad,
                                    GstBuffer             *inbuf,
                                    guint                  in_offset,
                                    GstBuffer             *outbuf,
                                    guint                  out_offset,
                                    guint                  num_frames)
{
  SipcastMixerPad *pad = SIPCAST_MIXER_PAD (aaggpad);
  GstAudioAggregatorPad *srcpad =
    GST_AUDIO_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (aagg));
  GstMapInfo inmap;
  GstMapInfo outmap;
  gboolean mute;
  gint32 volume_fixed;
  gint bpf;
  gint channels;

  sipcast_mixer_pad_get_gain (pad, &mute, &volume_fixed);

  if (mute || volume_fixed == 0) {
    GST_LOG_OBJECT (pad, "muted, skipping %u frames", num_frames);
    return FALSE;
  }

  /* The source pad's info only changes on renegotiation, which the base
   * class does from this same thread, but it is documented as read under
   * the object lock. */
  GST_OBJECT_LOCK (aagg);
  bpf = GST_AUDIO_INFO_BPF (&srcpad->info);
  channels = GST_AUDIO_INFO_CHANNELS (&srcpad->info);
  GST_OBJECT_UNLOCK (aagg);

  if (!gst_buffer_map (outbuf, &outmap, GST_MAP_READWRITE)) {
    GST_WARNING_OBJECT (pad, "could not map the output buffer");
    return FALSE;
  }
  if (!gst_buffer_map (inbuf, &inmap, GST_MAP_READ)) {
    GST_WARNING_OBJECT (pad, "could not map the input buffer");
    gst_buffer_unmap (outbuf, &outmap);
    return FALSE;
  }

  /* Only a broken base class would get this wrong; don't write past the
   * buffers if it does. */
  if ((gsize) (in_offset + num_frames) * bpf > inmap.size ||
      (gsize) (out_offset + num_frames) * bpf > outmap.size) {
    GST_ERROR_OBJECT (pad, "%u frames at %u (in) / %u (out) do not fit", num_frames,
                      in_offset, out_offset);
    gst_buffer_unmap (inbuf, &inmap);
    gst_buffer_unmap (outbuf, &outmap);
    return FALSE;
  }

  GST_LOG_OBJECT (pad, "mixing %u frames from %u into %u",
                  num_frames, in_offset, out_offset);

  mix_s16 ((gint16 *) (gpointer) (outmap.data + (gsize) out_offset * bpf),
           (const gint16 *) (gconstpointer) (inmap.data + (gsize) in_offset * bpf),
           (gsize) num_frames * channels, volume_fixed);

  gst_buffer_unmap (inbuf, &inmap);
  gst_buffer_unmap (outbuf, &outmap);

  return TRUE;
}

/* The rates a source should prefer: the output's once it is negotiated,
 * otherwise whatever downstream allows. NULL when nothing is known yet. */
static GstCaps *
get_preferred_rates (GstAggregator *agg)
{
  g_autoptr (GstCaps) downstream = NULL;
  GstCaps *rates;
  guint i;

  downstream = gst_pad_get_current_caps (GST_AGGREGATOR_SRC_PAD (agg));
  if (downstream == NULL)
    downstream = gst_pad_get_allowed_caps (GST_AGGREGATOR_SRC_PAD (agg));
  if (downstream == NULL || gst_caps_is_empty (downstream))
    return NULL;

  rates = gst_caps_new_empty ();
  for (i = 0; i < gst_caps_get_size (downstream); i++) {
    const GValue *rate = gst_structure_get_value (gst_caps_get_structure (downstream, i),
                                                  "rate");
    GstStructure *s;

    if (rate == NULL)
      continue;
    s = gst_structure_new_empty ("audio/x-raw");
    gst_structure_set_value (s, "rate", rate);
    rates = gst_caps_merge_structure (rates, s);
  }

  return rates;
}

/* GstAudioAggregator pins every sink pad to the output rate (its convert
 * pads change format and channels only). Sources here come from anywhere
 * — a 48 kHz Opus call, a 44.1 kHz file — so a pad accepts any rate, the
 * output's first so that upstream only makes us resample when it has
 * to. */
static GstCaps *
sipcast_mixer_sink_getcaps (GstAggregator    *agg,
                            GstAggregatorPad *aggpad,
                            GstCaps          *filter)
{
  g_autoptr (GstCaps) templ = gst_pad_get_pad_template_caps (GST_PAD (aggpad));
  g_autoptr (GstCaps) rates = get_preferred_rates (agg);
  GstCaps *caps;

  if (rates != NULL)
    caps = gst_caps_intersect_full (templ, rates, GST_CAPS_INTERSECT_FIRST);
  else
    caps = gst_caps_new_empty ();
  caps = gst_caps_merge (caps, gst_caps_ref (templ));

  if (filter != NULL) {
    GstCaps *filtered = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);

    gst_caps_unref (caps);
    caps = filtered;
  }

  GST_LOG_OBJECT (aggpad, "caps %" GST_PTR_FORMAT, caps);

  return caps;
}

static gboolean
sipcast_mixer_sink_query (GstAggregator    *agg,
                          GstAggregatorPad *aggpad,
                          GstQuery         *query)
{
  switch (GST_QUERY_TYPE (query)) {
  case GST_QUERY_CAPS: {
    GstCaps *filter;
    g_autoptr (GstCaps) caps = NULL;

    gst_query_parse_caps (query, &filter);
    caps = sipcast_mixer_sink_getcaps (agg, aggpad, filter);
    gst_query_set_caps_result (query, caps);
    return TRUE;
  }
  case GST_QUERY_ACCEPT_CAPS: {
    GstCaps *caps;
    g_autoptr (GstCaps) templ = gst_pad_get_pad_template_caps (GST_PAD (aggpad));
    GstAudioInfo info;

    gst_query_parse_accept_caps (query, &caps);
    gst_query_set_accept_caps_result (query,
                                      gst_caps_is_subset (caps, templ) &&
                                      gst_audio_info_from_caps (&info, caps));
    return TRUE;
  }
  default:
    return GST_AGGREGATOR_CLASS (sipcast_mixer_parent_class)->sink_query (agg, aggpad, query);
  }
}

/* Takes the CAPS event away from GstAudioAggregator, which would refuse a
 * rate other than the output's. The pad's converter (a GstAudioConverter,
 * rebuilt by update_conversion_info) resamples from pad->info to the
 * output info in the streaming thread. */
static gboolean
sipcast_mixer_sink_event (GstAggregator    *agg,
                          GstAggregatorPad *aggpad,
                          GstEvent         *event)
{
  GstAudioAggregatorPad *aaggpad = GST_AUDIO_AGGREGATOR_PAD (aggpad);
  GstCaps *caps;
  GstAudioInfo info;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_AGGREGATOR_CLASS (sipcast_mixer_parent_class)->sink_event (agg, aggpad, event);

  gst_event_parse_caps (event, &caps);
  if (!gst_audio_info_from_caps (&info, caps)) {
    GST_WARNING_OBJECT (aggpad, "rejecting caps %" GST_PTR_FORMAT, caps);
    gst_event_unref (event);
    return FALSE;
  }

  GST_DEBUG_OBJECT (aggpad, "caps %" GST_PTR_FORMAT, caps);

  GST_OBJECT_LOCK (aggpad);
  aaggpad->info = info;
  GST_AUDIO_AGGREGATOR_PAD_GET_CLASS (aaggpad)->update_conversion_info (aaggpad);
  GST_OBJECT_UNLOCK (aggpad);

  gst_event_unref (event);

  return TRUE;
}

static GstPad *
sipcast_mixer_request_new_pad (GstElement     *element,
                               GstPadTemplate *templ,
                               const gchar    *req_name,
                               const GstCaps  *caps)
{
  GstPad *pad;

  pad = GST_ELEMENT_CLASS (sipcast_mixer_parent_class)->request_new_pad (element, templ,
                                                                         req_name, caps);
  if (pad == NULL) {
    GST_WARNING_OBJECT (element, "could not create pad %s",
                        req_name ? req_name : "sink_%u");
    return NULL;
  }

  GST_DEBUG_OBJECT (element, "added pad %s", GST_OBJECT_NAME (pad));
  /* gst-launch's "m. sink_0::volume=0.5" goes through GstChildProxy. */
  gst_child_proxy_child_added (GST_CHILD_PROXY (element), G_OBJECT (pad),
                               GST_OBJECT_NAME (pad));

  return pad;
}

static void
sipcast_mixer_release_pad (GstElement *element,
                           GstPad     *pad)
{
  GST_DEBUG_OBJECT (element, "releasing pad %s", GST_OBJECT_NAME (pad));

  gst_child_proxy_child_removed (GST_CHILD_PROXY (element), G_OBJECT (pad),
                                 GST_OBJECT_NAME (pad));

  GST_ELEMENT_CLASS (sipcast_mixer_parent_class)->release_pad (element, pad);
}

/* Blocks until the pipeline clock reaches the time at which the next
 * output buffer is due: its running time plus the latency the element
 * reports, the same deadline GstAggregator uses when it times out. */
static GstFlowReturn
wait_for_output_time (SipcastMixer *self)
{
  GstAggregator *agg = GST_AGGREGATOR (self);
  GstElement *element = GST_ELEMENT (self);
  g_autoptr (GstClock) clock = NULL;
  GstClockTime running_time;
  GstClockTime latency;
  GstClockID id;
  GstClockReturn ret;

  clock = gst_element_get_clock (element);
  running_time = gst_aggregator_simple_get_next_time (agg);
  latency = gst_aggregator_get_latency (agg);
  /* No clock yet (not PLAYING) or nothing to wait for: don't pace. */
  if (clock == NULL || !GST_CLOCK_TIME_IS_VALID (running_time) ||
      !GST_CLOCK_TIME_IS_VALID (latency))
    return GST_FLOW_OK;

  id = gst_clock_new_single_shot_id (clock, gst_element_get_base_time (element) +
                                            running_time + latency);

  GST_OBJECT_LOCK (self);
  if (self->flushing || self->eos_requested) {
    gboolean eos = self->eos_requested;

    GST_OBJECT_UNLOCK (self);
    gst_clock_id_unref (id);
    return eos ? GST_FLOW_EOS : GST_FLOW_FLUSHING;
  }
  self->clock_id = id;
  GST_OBJECT_UNLOCK (self);

  GST_LOG_OBJECT (self, "waiting for running time %" GST_TIME_FORMAT
                  " + latency %" GST_TIME_FORMAT,
                  GST_TIME_ARGS (running_time), GST_TIME_ARGS (latency));
  ret = gst_clock_id_wait (id, NULL);

  GST_OBJECT_LOCK (self);
  self->clock_id = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_clock_id_unref (id);

  if (ret == GST_CLOCK_UNSCHEDULED) {
    gboolean eos;

    GST_OBJECT_LOCK (self);
    eos = self->eos_requested;
    GST_OBJECT_UNLOCK (self);
    return eos ? GST_FLOW_EOS : GST_FLOW_FLUSHING;
  }

  return GST_FLOW_OK;
}

/* Whether every source has ended: there is at least one sink pad and
 * each has received EOS, so everything it delivered has been mixed (the
 * base class takes a pad's EOS only once its buffers are consumed). */
static gboolean
all_sources_ended (SipcastMixer *self)
{
  GstElement *element = GST_ELEMENT (self);
  gboolean ended;
  GList *l;

  GST_OBJECT_LOCK (self);
  ended = element->sinkpads != NULL;
  for (l = element->sinkpads; ended && l != NULL; l = l->next)
    ended = gst_aggregator_pad_is_eos (GST_AGGREGATOR_PAD (l->data));
  GST_OBJECT_UNLOCK (self);

  return ended;
}

static GstFlowReturn
sipcast_mixer_aggregate (GstAggregator *agg,
                         gboolean       timeout)
{
  SipcastMixer *self = SIPCAST_MIXER (agg);
  GstAggregatorClass *parent_class = GST_AGGREGATOR_CLASS (sipcast_mixer_parent_class);
  GstSegment *segment = &GST_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (agg))->segment;
  gboolean live = gst_aggregator_get_force_live (agg);
  gboolean eos_when_idle;
  gboolean ended;
  GstFlowReturn ret;
  gboolean eos;

  GST_OBJECT_LOCK (self);
  eos = self->eos_requested;
  eos_when_idle = self->eos_when_idle;
  /* GstAggregator moves the output position back to the start time
   * (0) when the first buffer ever arrives on a sink pad, even if it has
   * been producing output on timeouts for a while (force-live with no
   * source yet). Undo that, or the output timestamps jump back. */
  if (GST_CLOCK_TIME_IS_VALID (self->next_pts) && segment->position != self->next_pts) {
    GST_DEBUG_OBJECT (self, "output position moved to %" GST_TIME_FORMAT
                      ", restoring %" GST_TIME_FORMAT,
                      GST_TIME_ARGS (segment->position), GST_TIME_ARGS (self->next_pts));
    segment->position = self->next_pts;
  }
  GST_OBJECT_UNLOCK (self);

  /* GstAggregator pushes EOS downstream when aggregate returns EOS. */
  if (eos)
    return GST_FLOW_EOS;

  /* Without force-live this is an ordinary mixer: GstAudioAggregator
   * waits for data on every pad, ends when they all have ended, and
   * must produce a buffer before PLAYING for the sink to preroll. */
  if (!live)
    return parent_class->aggregate (agg, timeout);

  /* Nothing leaves before PLAYING: a live element's output is due at
   * clock times, and until PLAYING there is no clock. */
  GST_OBJECT_LOCK (self);
  while (!self->playing && !self->flushing && !self->eos_requested)
    g_cond_wait (&self->playing_cond, GST_OBJECT_GET_LOCK (self));
  eos = self->eos_requested;
  if (self->flushing || eos) {
    GST_OBJECT_UNLOCK (self);
    return eos ? GST_FLOW_EOS : GST_FLOW_FLUSHING;
  }
  GST_OBJECT_UNLOCK (self);

  /* In force-live mode GstAudioAggregator never ends the stream itself:
   * it would produce silence after the last source forever. */
  ended = eos_when_idle && all_sources_ended (self);
  if (ended && !self->output_pending) {
    GST_DEBUG_OBJECT (self, "every source has ended");
    return GST_FLOW_EOS;
  }

  /* GstAggregator only waits on the clock when some source has no data
   * yet. Sources that always have data (a file decoded faster than real
   * time, a pad already at EOS) would otherwise make the mixer produce
   * output as fast as the CPU allows. */
  if (!timeout) {
    ret = wait_for_output_time (self);
    if (ret != GST_FLOW_OK)
      return ret;
  }

  /* The last output buffer, partly mixed, is pushed (with silence after
   * the sources' last samples) before the stream ends: as a timeout,
   * since no pad will deliver anything more. */
  ret = parent_class->aggregate (agg, timeout || ended);
  if (ended) {
    GST_DEBUG_OBJECT (self, "every source has ended, last buffer pushed");
    self->output_pending = FALSE;
    return ret == GST_FLOW_OK || ret == GST_AGGREGATOR_FLOW_NEED_DATA ? GST_FLOW_EOS : ret;
  }
  self->output_pending = ret == GST_AGGREGATOR_FLOW_NEED_DATA;

  return ret;
}

/* GstAudioAggregator counts output samples and derives each buffer's
 * duration from that count, but takes its timestamp from the output
 * position, which the base class may have moved under it (see aggregate
 * above) between our check and the push. Timestamps derived from the
 * sample count are the ones that are continuous by construction. */
static GstFlowReturn
sipcast_mixer_finish_buffer (GstAggregator *agg,
                             GstBuffer     *buffer)
{
  SipcastMixer *self = SIPCAST_MIXER (agg);
  GstAudioAggregatorPad *srcpad = GST_AUDIO_AGGREGATOR_PAD (GST_AGGREGATOR_SRC_PAD (agg));
  GstSegment *segment = &GST_AGGREGATOR_PAD (srcpad)->segment;
  gint rate;

  GST_OBJECT_LOCK (self);
  rate = GST_AUDIO_INFO_RATE (&srcpad->info);
  if (rate > 0 && GST_BUFFER_OFFSET_IS_VALID (buffer) &&
      GST_BUFFER_OFFSET_END_IS_VALID (buffer)) {
    GstClockTime pts = segment->start +
                       gst_util_uint64_scale_int (GST_BUFFER_OFFSET (buffer), GST_SECOND, rate);
    GstClockTime end = segment->start +
                       gst_util_uint64_scale_int (GST_BUFFER_OFFSET_END (buffer), GST_SECOND, rate);

    if (GST_BUFFER_PTS (buffer) != pts) {
      GST_DEBUG_OBJECT (self, "fixing timestamp %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT,
                        GST_TIME_ARGS (GST_BUFFER_PTS (buffer)), GST_TIME_ARGS (pts));
      buffer = gst_buffer_make_writable (buffer);
      GST_BUFFER_PTS (buffer) = pts;
      GST_BUFFER_DURATION (buffer) = end - pts;
    }
    self->next_pts = end;
  }
  GST_OBJECT_UNLOCK (self);

  return GST_AGGREGATOR_CLASS (sipcast_mixer_parent_class)->finish_buffer (agg, buffer);
}

static GstFlowReturn
sipcast_mixer_flush (GstAggregator *agg)
{
  SipcastMixer *self = SIPCAST_MIXER (agg);

  /* A flushing seek restarts the output position. */
  GST_OBJECT_LOCK (self);
  self->next_pts = GST_CLOCK_TIME_NONE;
  GST_OBJECT_UNLOCK (self);
  /* GstAudioAggregator drops its partly mixed buffer on a flush. */
  self->output_pending = FALSE;

  return GST_AGGREGATOR_CLASS (sipcast_mixer_parent_class)->flush (agg);
}

static gboolean
sipcast_mixer_send_event (GstElement *element,
                          GstEvent   *event)
{
  SipcastMixer *self = SIPCAST_MIXER (element);

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (sipcast_mixer_parent_class)->send_event (element, event);

  /* With force-live the base class never ends the stream by itself, and
   * with no sink pad there is nowhere to send the event to; remember it
   * and let the streaming thread end the stream. If no pacing wait is in
   * progress, the base class's own wait times out within one
   * output-buffer-duration. */
  GST_DEBUG_OBJECT (self, "EOS requested");
  GST_OBJECT_LOCK (self);
  self->eos_requested = TRUE;
  if (self->clock_id != NULL)
    gst_clock_id_unschedule (self->clock_id);
  g_cond_broadcast (&self->playing_cond);
  GST_OBJECT_UNLOCK (self);

  gst_event_unref (event);

  return TRUE;
}

static GstStateChangeReturn
sipcast_mixer_change_state (GstElement     *element,
                            GstStateChange  transition)
{
  SipcastMixer *self = SIPCAST_MIXER (element);
  GstStateChangeReturn ret;

  switch (transition) {
  case GST_STATE_CHANGE_READY_TO_PAUSED:
    GST_OBJECT_LOCK (self);
    self->flushing = FALSE;
    self->eos_requested = FALSE;
    self->next_pts = GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK (self);
    /* The streaming thread is not running yet. */
    self->output_pending = FALSE;
    break;
  case GST_STATE_CHANGE_PAUSED_TO_READY:
    /* The streaming thread must leave a pacing wait before the base class
     * can stop it; with a clock that does not advance by itself (a test
     * clock) it would never leave on its own. */
    GST_OBJECT_LOCK (self);
    self->flushing = TRUE;
    if (self->clock_id != NULL)
      gst_clock_id_unschedule (self->clock_id);
    g_cond_broadcast (&self->playing_cond);
    GST_OBJECT_UNLOCK (self);
    break;
  case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
    GST_OBJECT_LOCK (self);
    self->playing = FALSE;
    GST_OBJECT_UNLOCK (self);
    break;
  default:
    break;
  }

  ret = GST_ELEMENT_CLASS (sipcast_mixer_parent_class)->change_state (element, transition);

  /* After the base class: the clock and base time are set by now. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING && ret != GST_STATE_CHANGE_FAILURE) {
    GST_OBJECT_LOCK (self);
    self->playing = TRUE;
    g_cond_broadcast (&self->playing_cond);
    GST_OBJECT_UNLOCK (self);
  }
  return ret;
}

static void
sipcast_mixer_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  SipcastMixer *self = SIPCAST_MIXER (object);

  switch (prop_id) {
  case PROP_FORCE_LIVE:
    g_value_set_boolean (value, gst_aggregator_get_force_live (GST_AGGREGATOR (self)));
    break;
  case PROP_EOS_WHEN_IDLE:
    GST_OBJECT_LOCK (self);
    g_value_set_boolean (value, self->eos_when_idle);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_EMIT_SIGNALS:
  case PROP_START_TIME:
  case PROP_START_TIME_SELECTION:
  case PROP_OUTPUT_BUFFER_DURATION_FRACTION:
    sipcast_get_inherited (object, sipcast_mixer_parent_class, pspec, value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
sipcast_mixer_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  SipcastMixer *self = SIPCAST_MIXER (object);

  switch (prop_id) {
  case PROP_FORCE_LIVE:
    /* GstAggregator's own force-live may only be set at construction,
     * through g_object_new(); the daemon creates elements by factory
     * name and sets properties afterwards, which is safe as long as the
     * streaming thread is not running (hence changeable in NULL or
     * READY only). */
    gst_aggregator_set_force_live (GST_AGGREGATOR (self), g_value_get_boolean (value));
    break;
  case PROP_EOS_WHEN_IDLE:
    GST_OBJECT_LOCK (self);
    self->eos_when_idle = g_value_get_boolean (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_EMIT_SIGNALS:
  case PROP_START_TIME:
  case PROP_START_TIME_SELECTION:
  case PROP_OUTPUT_BUFFER_DURATION_FRACTION:
    sipcast_set_inherited (object, sipcast_mixer_parent_class, pspec, value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
sipcast_mixer_finalize (GObject *object)
{
  g_cond_clear (&SIPCAST_MIXER (object)->playing_cond);

  G_OBJECT_CLASS (sipcast_mixer_parent_class)->finalize (object);
}

static void
sipcast_mixer_class_init (SipcastMixerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);
  GstAudioAggregatorClass *aagg_class = GST_AUDIO_AGGREGATOR_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (sipcast_mixer_debug, "sipcastmixer", 0,
                           "sipcast audio mixer");

  object_class->get_property = sipcast_mixer_get_property;
  object_class->set_property = sipcast_mixer_set_property;
  object_class->finalize = sipcast_mixer_finalize;

  /* A SIP peer expects RTP at a steady pace from the moment the call is
   * answered, whether or not anything is being injected: in force-live
   * mode the aggregator times out on the clock and emits silence when
   * there is no source (or only late ones). A construct property, so
   * that the default is applied at construction, as GstAggregator's. */
  props[PROP_FORCE_LIVE] =
    g_param_spec_boolean ("force-live", "Force live",
                          "Produce one buffer per output-buffer-duration, paced by the "
                          "pipeline clock, whether or not any source is live: silence "
                          "when there is no source or every source is late or muted. "
                          "false: an ordinary mixer that waits for every source and "
                          "runs as fast as they deliver",
                          DEFAULT_FORCE_LIVE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | GST_PARAM_MUTABLE_READY |
                          G_PARAM_STATIC_STRINGS);
  props[PROP_EOS_WHEN_IDLE] =
    g_param_spec_boolean ("eos-when-idle", "EOS when idle",
                          "With force-live: end the output with EOS once every sink pad "
                          "has received EOS (pads that were never requested do not "
                          "count); false: send silence instead until the element itself "
                          "gets EOS. Without force-live the output always ends when every "
                          "source has",
                          DEFAULT_EOS_WHEN_IDLE,
                          G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING |
                          G_PARAM_STATIC_STRINGS);
  props[PROP_EMIT_SIGNALS] =
    sipcast_reword_inherited (sipcast_mixer_parent_class, "emit-signals", "Emit signals",
                          "Emit the samples-selected signal each time the samples of the "
                          "next output buffer have been chosen, before they are mixed");
  props[PROP_START_TIME] =
    sipcast_reword_inherited (sipcast_mixer_parent_class, "start-time", "Start time",
                          "Timestamp of the first output buffer, in nanoseconds, used when "
                          "start-time-selection=set");
  props[PROP_START_TIME_SELECTION] =
    sipcast_reword_inherited (sipcast_mixer_parent_class, "start-time-selection",
                          "Start time selection",
                          "Where output timestamps start: zero, the running time of the "
                          "first input buffer (first), or start-time (set)");
  props[PROP_OUTPUT_BUFFER_DURATION_FRACTION] =
    sipcast_reword_inherited (sipcast_mixer_parent_class, "output-buffer-duration-fraction",
                          "Output buffer duration fraction",
                          "Duration of each output buffer in seconds, as a fraction (1/50: "
                          "20 ms): output-buffer-duration for durations that are not a whole "
                          "number of nanoseconds");
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* A convert pad as source pad lets the output format follow a
   * downstream renegotiation (e.g. the call switches codec). */
  gst_element_class_add_static_pad_template_with_gtype (element_class, &src_template,
                                                        GST_TYPE_AUDIO_AGGREGATOR_CONVERT_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class, &sink_template,
                                                        SIPCAST_TYPE_MIXER_PAD);
  gst_element_class_set_static_metadata (element_class,
                                         "sipcast audio mixer",
                                         "Filter/Audio/Mixer",
                                         "Mixes the audio sipcast sends into a SIP call: "
                                         "sources come and go while playing, each with "
                                         "its own volume and mute; silence when there "
                                         "is none, EOS once every source has ended",
                                         "sipcast developers");

  element_class->request_new_pad = GST_DEBUG_FUNCPTR (sipcast_mixer_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (sipcast_mixer_release_pad);
  element_class->send_event = GST_DEBUG_FUNCPTR (sipcast_mixer_send_event);
  element_class->change_state = GST_DEBUG_FUNCPTR (sipcast_mixer_change_state);

  agg_class->aggregate = GST_DEBUG_FUNCPTR (sipcast_mixer_aggregate);
  agg_class->finish_buffer = GST_DEBUG_FUNCPTR (sipcast_mixer_finish_buffer);
  agg_class->flush = GST_DEBUG_FUNCPTR (sipcast_mixer_flush);
  agg_class->sink_query = GST_DEBUG_FUNCPTR (sipcast_mixer_sink_query);
  agg_class->sink_event = GST_DEBUG_FUNCPTR (sipcast_mixer_sink_event);

  aagg_class->aggregate_one_buffer = GST_DEBUG_FUNCPTR (sipcast_mixer_aggregate_one_buffer);

  gst_type_mark_as_plugin_api (SIPCAST_TYPE_MIXER_PAD, 0);
}

static void
sipcast_mixer_init (SipcastMixer *self)
{
  /* Makes a pipeline-wide EOS (gst_element_send_event() on the bin) reach
   * this element, which otherwise has no upstream to receive it from. */
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);

  self->eos_when_idle = DEFAULT_EOS_WHEN_IDLE;
  self->next_pts = GST_CLOCK_TIME_NONE;
  g_cond_init (&self->playing_cond);
}

/* --- GstChildProxy ---------------------------------------------------- */

static GObject *
sipcast_mixer_child_proxy_get_child_by_index (GstChildProxy *child_proxy,
                                              guint          index)
{
  GstElement *element = GST_ELEMENT (child_proxy);
  GObject *child;

  GST_OBJECT_LOCK (element);
  child = g_list_nth_data (element->sinkpads, index);
  if (child != NULL)
    gst_object_ref (child);
  GST_OBJECT_UNLOCK (element);

  return child;
}

static guint
sipcast_mixer_child_proxy_get_children_count (GstChildProxy *child_proxy)
{
  GstElement *element = GST_ELEMENT (child_proxy);
  guint count;

  GST_OBJECT_LOCK (element);
  count = element->numsinkpads;
  GST_OBJECT_UNLOCK (element);

  return count;
}

static void
sipcast_mixer_child_proxy_init (gpointer g_iface,
                                gpointer iface_data)
{
  GstChildProxyInterface *iface = g_iface;

  iface->get_child_by_index = sipcast_mixer_child_proxy_get_child_by_index;
  iface->get_children_count = sipcast_mixer_child_proxy_get_children_count;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-push"

#include "config.h"
#include "sipcast-push.h"
#include "sipcast-enums.h"
#include "sipcast-error.h"
#include "sipcast-flv-tail.h"
#include "sipcast-media-chain.h"
#include "sipcast-sound-source.h"

#include <string.h>

#include <glib/gi18n.h>
#include <gst/app/gstappsrc.h>

/*
 * A push's pipeline is just
 *
 *   push_src (appsrc, a subscription to the stream) ▶ push_queue
 *     ▶ push_volume ▶ audio_aac (pipelines/audio-aac.pipeline) ▶ [FLV tail]
 *   push_video_src (its H.264, when the call's video flows) ▶ push_video_queue
 *     ▶ [FLV tail]
 *
 * /push/mute sets the volume's "mute": the stream's audio still flows, so
 * the RTMP stream keeps its timing and carries silence.  The first
 * /push/sound_on puts a mixer behind the volume, once, while the volume's
 * output is blocked:
 *
 *     ▶ push_volume ▶ push_mixer (sipcastmixer) ▶ audio_aac ▶ …
 *   push_sound (filesrc ▶ decodebin ▶ audioconvert ▶ audioresample) ▶ push_mixer
 *
 * Only then, because a live mixer sends silence for whatever input is
 * late, and the stream's audio, stamped as it arrives, often is while the
 * push starts (the tail connecting): a push that plays no sound keeps the
 * stream's audio as it came.  The mixer starts at the running time of its
 * first input and waits MIXER_LATENCY for the stream.  It ends with EOS
 * once every pad has had it, so a sound is removed before the stream's
 * EOS is sent and a sound's own EOS never reaches it.
 *
 * The tail reconnects by itself (sipcast-flv-tail.c: 1 s, 2 s, 4 s, then
 * every 8 s, within [push] retry-budget seconds counted from the first
 * failure since the push was last RTMP_STREAM_ACTIVE) and reports its
 * status on the bus; when the budget is spent the push stays
 * RTMP_CONNECTION_FAILED, idle, until it is stopped or its stream ends.
 * Each new connection is a new FLV stream starting at time 0, which is
 * what an RTMP server expects of a re-publish.
 *
 * Everything here runs on the main context: the pipeline reports through
 * its bus.
 */

/* How long the muxer gets to finish the FLV once the push is stopped
 * before the pipeline is torn down anyway (a sink stuck on a dead TCP
 * connection must not hold up a terminate or the daemon's shutdown). */
#define STOP_GRACE_MS 3000

/* How long the mixer waits for the stream's audio (see build_pipeline). */
#define MIXER_LATENCY (300 * GST_MSECOND)

/* How far ahead of now a sound file is scheduled: time to open and
 * decode its start. */
#define SOUND_HEADROOM (300 * GST_MSECOND)

/* Posted by insert_mixer_probe() once the mixer is in place. */
#define MSG_MIXER_READY "sipcast-push-mixer-ready"

enum {
  PROP_0,
  PROP_STATUS,
  N_PROPS
};

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

struct _SipcastPush {
  GObject parent_instance;

  const SipcastConfig *config;
  char *id;
  SipcastStream *stream;
  gulong stream_ended_id;
  char *rtmp_url;
  char *rtmp_stream;
  SipcastPublishTarget *target;
  char *display;             /* the target for logs, without stream key or query */
  gint64 created_at;

  char *published_name;      /* the RTMP stream name, without query */
  char *options;             /* the client's "options", as JSON text */

  /* NULL once finished. */
  GstElement *pipeline;
  GstElement *appsrc;        /* our subscription to the stream */
  GstElement *video_appsrc;  /* to its video, NULL when it had none at start */
  GstElement *volume;        /* /push/mute */
  GstElement *aac;
  /* NULL until the first /push/sound_on has put it in (see above). */
  GstElement *mixer;
  gboolean mixer_ready;      /* in place: sounds can be added */
  guint bus_watch_id;

  /* /push/sound_on: the sound playing (NULL: none), its mixer pad. */
  GstElement *sound;
  GstPad *sound_pad;
  char *sound_path;
  gboolean sound_loop;
  guint sound_serial;        /* tells a finished sound's EOS from a newer one's */
  guint sound_done_id;       /* removes a sound once the mixer has played it */
  /* A looping sound's last round, until the mixer has played it. */
  GstElement *retired_sound;
  GstPad *retired_pad;
  guint retired_done_id;

  gboolean muted;

  guint stop_timeout_id;

  SipcastRtmpStatus status;
  gboolean started;
  gboolean stopping;
  gboolean finished;
};

G_DEFINE_FINAL_TYPE (SipcastPush, sipcast_push, G_TYPE_OBJECT)

static void
set_status (SipcastPush       *self,
            SipcastRtmpStatus  status)
{
  SipcastRtmpStatus old = self->status;

  if (old == status)
    return;

  self->status = status;
  g_message (_("push %s (%s → %s): %s → %s"), self->id,
             sipcast_stream_get_name (self->stream), self->display,
             sipcast_rtmp_status_to_string (old), sipcast_rtmp_status_to_string (status));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, status, old);
}

static void
dump_graph (SipcastPush *self,
            const char  *suffix)
{
  g_autofree char *name = g_strdup_printf ("push-%s", self->id);

  sipcast_media_chain_dump_graph (self->pipeline, name, suffix);
}

static void
teardown_pipeline (SipcastPush *self)
{
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);

  /* Unsubscribed first, so that the stream stops feeding an appsrc
   * whose pipeline is going away. */
  if (self->appsrc != NULL)
    sipcast_stream_unsubscribe (self->stream, self->appsrc);
  if (self->video_appsrc != NULL)
    sipcast_stream_unsubscribe (self->stream, self->video_appsrc);

  if (self->pipeline != NULL) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    gst_clear_object (&self->pipeline);
  }
  gst_clear_object (&self->appsrc);
  gst_clear_object (&self->video_appsrc);
  gst_clear_object (&self->volume);
  gst_clear_object (&self->aac);
  self->mixer_ready = FALSE;
  g_clear_handle_id (&self->sound_done_id, g_source_remove);
  g_clear_handle_id (&self->retired_done_id, g_source_remove);
  gst_clear_object (&self->sound_pad);
  gst_clear_object (&self->sound);
  gst_clear_object (&self->retired_pad);
  gst_clear_object (&self->retired_sound);
  gst_clear_object (&self->mixer);
}

static void
finish (SipcastPush *self)
{
  if (self->finished)
    return;

  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  teardown_pipeline (self);
  g_clear_signal_handler (&self->stream_ended_id, self->stream);
  self->stopping = TRUE;
  self->finished = TRUE;
  g_message (_("push %s (%s → %s): finished"), self->id,
             sipcast_stream_get_name (self->stream), self->display);

  /* A "finished" handler may drop the last reference to us. */
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
  g_object_unref (self);
}

static gboolean
stop_timeout_cb (gpointer user_data)
{
  SipcastPush *self = SIPCAST_PUSH (user_data);

  self->stop_timeout_id = 0;
  g_message (_("push %s: the FLV stream did not finish within %d ms, closing it"),
             self->id, STOP_GRACE_MS);
  finish (self);
  return G_SOURCE_REMOVE;
}

/* Stopping with a pipeline up: EOS is on its way to the sink, which
 * finishes the FLV; give it the grace time. */
static void
wait_for_eos (SipcastPush *self)
{
  if (self->pipeline == NULL) {
    finish (self);
    return;
  }
  if (self->stop_timeout_id == 0)
    self->stop_timeout_id = g_timeout_add (STOP_GRACE_MS, stop_timeout_cb, self);
}

static gboolean bus_cb (GstBus *bus, GstMessage *message, gpointer user_data);

static gboolean
build_pipeline (SipcastPush *self,
                GError     **error)
{
  g_autofree char *name = g_strdup_printf ("push-%s", self->id);
  g_autoptr (GstElement) tail = NULL;
  g_autoptr (GstElement) aac = NULL;
  GstElement *queue;
  GstElement *volume;
  g_autoptr (GstPad) tail_pad = NULL;
  g_autoptr (GstPad) aac_src = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstClock) clock = NULL;
  /* Known once the call's video flows: only then is it pushed (flvmux
   * would hold the audio back waiting for video that never comes). */
  g_autoptr (GstCaps) video_caps = sipcast_stream_get_video_caps (self->stream);

  g_assert (self->pipeline == NULL);

  tail = sipcast_flv_tail_new (self->config, self->target, TRUE, video_caps != NULL, error);
  if (tail == NULL)
    return FALSE;
  gst_object_set_name (GST_OBJECT (tail), "tail");
  g_object_set (tail, "retry-budget", self->config->push_retry_budget, NULL);
  /* The tail takes AAC: the encoding goes in front of it. */
  aac = sipcast_media_chain_new ("audio-aac", self->config, error);
  if (aac == NULL)
    return FALSE;
  gst_object_set_name (GST_OBJECT (aac), "push_aac");

  queue = gst_element_factory_make ("queue", "push_queue");
  volume = gst_element_factory_make ("volume", "push_volume");
  if (queue == NULL || volume == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("GStreamer element “%s” is missing"), queue == NULL ? "queue" : "volume");
    g_clear_pointer (&queue, gst_object_unref);
    g_clear_pointer (&volume, gst_object_unref);
    return FALSE;
  }
  g_object_set (volume, "mute", self->muted, NULL);

  self->pipeline = gst_object_ref_sink (gst_pipeline_new (name));

  /* The stream feeds the appsrc from the moment we subscribe, while the
   * pipeline is still on its way to PLAYING, and the appsrc stamps each
   * buffer with clock time minus base time as it arrives.  Left to the
   * pipeline, the clock is handed out before the base time on the way to
   * PLAYING, and a buffer arriving in between carries the clock's absolute
   * time: the sink then waits hours for it.  So the clock and the base
   * time are fixed here, before the appsrc exists (adding it to the bin
   * hands it both); until then it leaves buffers for its streaming thread
   * to stamp. */
  clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (self->pipeline), clock);
  gst_element_set_clock (self->pipeline, clock);
  gst_element_set_start_time (self->pipeline, GST_CLOCK_TIME_NONE);
  gst_element_set_base_time (self->pipeline, gst_clock_get_time (clock));

  /* The bin sinks the queue and the volume; on the others it takes
   * references of its own, next to ours. */
  self->volume = gst_object_ref (volume);
  self->aac = gst_object_ref (aac);
  gst_bin_add_many (GST_BIN (self->pipeline), queue, volume, aac, tail, NULL);
  self->appsrc = gst_object_ref_sink (sipcast_stream_subscribe (self->stream));
  gst_object_set_name (GST_OBJECT (self->appsrc), "push_src");
  gst_bin_add (GST_BIN (self->pipeline), self->appsrc);

  if (video_caps != NULL) {
    GstElement *video_queue = gst_element_factory_make ("queue", "push_video_queue");

    self->video_appsrc = gst_object_ref_sink (sipcast_stream_subscribe_video (self->stream));
    gst_object_set_name (GST_OBJECT (self->video_appsrc), "push_video_src");
    gst_bin_add_many (GST_BIN (self->pipeline), self->video_appsrc, video_queue, NULL);
    if (!gst_element_link (self->video_appsrc, video_queue) ||
        !gst_element_link_pads (video_queue, "src", tail, "video")) {
      g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                           _("Could not link the stream's video to the publishing tail"));
      teardown_pipeline (self);
      return FALSE;
    }
  }

  aac_src = gst_element_get_static_pad (aac, "src");
  tail_pad = gst_element_get_static_pad (tail, "audio");
  if (!gst_element_link_many (self->appsrc, queue, volume, aac, NULL) ||
      gst_pad_link (aac_src, tail_pad) != GST_PAD_LINK_OK) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                         _("Could not link the stream to the publishing tail"));
    teardown_pipeline (self);
    return FALSE;
  }

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch_id = gst_bus_add_watch (bus, bus_cb, self);

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                         _("Could not start the push pipeline"));
    dump_graph (self, "start-failed");
    teardown_pipeline (self);
    return FALSE;
  }
  return TRUE;
}

static GstClockTime
running_time_now (SipcastPush *self)
{
  return sipcast_sound_source_running_time_now (self->pipeline);
}

static void
remove_sound_elements (SipcastPush  *self,
                       GstElement  **sound,
                       GstPad      **pad)
{
  if (*sound == NULL)
    return;
  gst_element_set_locked_state (*sound, TRUE);
  gst_element_set_state (*sound, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self->pipeline), *sound);
  gst_element_release_request_pad (self->mixer, *pad);
  gst_clear_object (pad);
  gst_clear_object (sound);
}

static void
remove_retired_sound (SipcastPush *self)
{
  g_clear_handle_id (&self->retired_done_id, g_source_remove);
  remove_sound_elements (self, &self->retired_sound, &self->retired_pad);
}

static void
remove_sound (SipcastPush *self)
{
  g_clear_handle_id (&self->sound_done_id, g_source_remove);
  remove_retired_sound (self);
  remove_sound_elements (self, &self->sound, &self->sound_pad);
}

/* The volume's output is idle (called at once from the main context
 * when nothing flows, else on the streaming thread between two buffers):
 * the mixer goes in between it and the encoder. */
static GstPadProbeReturn
insert_mixer_probe (GstPad          *pad,
                    GstPadProbeInfo *info,
                    gpointer         user_data)
{
  SipcastPush *self = SIPCAST_PUSH (user_data);
  g_autoptr (GstPad) aac_sink = gst_element_get_static_pad (self->aac, "sink");
  g_autoptr (GstPad) mixer_sink = NULL;

  gst_pad_unlink (pad, aac_sink);
  /* The bin takes a reference of its own; ours goes in teardown. */
  gst_bin_add (GST_BIN (self->pipeline), self->mixer);
  mixer_sink = gst_element_request_pad_simple (self->mixer, "sink_%u");
  if (gst_pad_link (pad, mixer_sink) != GST_PAD_LINK_OK ||
      !gst_element_link_pads (self->mixer, "src", self->aac, "sink")) {
    GST_ELEMENT_ERROR (self->mixer, CORE, NEGOTIATION,
                       ("Could not put the mixer into the push"), (NULL));
    return GST_PAD_PROBE_REMOVE;
  }
  gst_element_sync_state_with_parent (self->mixer);
  gst_element_post_message (self->pipeline,
      gst_message_new_application (GST_OBJECT (self->pipeline),
                                   gst_structure_new_empty (MSG_MIXER_READY)));
  return GST_PAD_PROBE_REMOVE;
}

static gboolean
insert_mixer (SipcastPush *self,
              GError     **error)
{
  g_autoptr (GstPad) volume_src = NULL;

  self->mixer = gst_element_factory_make ("sipcastmixer", "push_mixer");
  if (self->mixer == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("GStreamer element “%s” is missing"), "sipcastmixer");
    return FALSE;
  }
  gst_object_ref_sink (self->mixer);
  /* The stream's audio is stamped as it arrives, at the moment the mixer
   * would already mix it: without a margin the mixer would find it late
   * as often as not, and put silence in its place. */
  g_object_set (self->mixer, "latency", MIXER_LATENCY, NULL);
  /* Its output goes on from where the stream is, not from 0. */
  gst_util_set_object_arg (G_OBJECT (self->mixer), "start-time-selection", "first");
  volume_src = gst_element_get_static_pad (self->volume, "src");
  gst_pad_add_probe (volume_src, GST_PAD_PROBE_TYPE_IDLE, insert_mixer_probe, self, NULL);
  return TRUE;
}

/* Plays self->sound_path into the mixer from running time @start
 * (GST_CLOCK_TIME_NONE: as soon as it can). */
static gboolean
add_sound (SipcastPush  *self,
           GstClockTime  start,
           GError      **error)
{
  g_autoptr (GstElement) bin = NULL;
  g_autoptr (GstPad) ghost_src = NULL;
  g_autofree char *name = NULL;

  /* A new sound a little later than now, for the file to be opened and
   * decoded, or its first part would arrive late and be dropped. */
  if (!GST_CLOCK_TIME_IS_VALID (start))
    start = running_time_now (self) + SOUND_HEADROOM;
  /* Named by serial: a looping sound's last round is still in the bin
   * when the next one comes. */
  name = g_strdup_printf ("push_sound_%u", ++self->sound_serial);
  bin = sipcast_sound_source_new (name, self->sound_path, self->pipeline,
                                  self->sound_serial, start, error);
  if (bin == NULL)
    return FALSE;
  ghost_src = gst_element_get_static_pad (bin, "src");

  gst_bin_add (GST_BIN (self->pipeline), bin);
  self->sound_pad = gst_element_request_pad_simple (self->mixer, "sink_%u");
  if (gst_pad_link (ghost_src, self->sound_pad) != GST_PAD_LINK_OK) {
    self->sound = g_steal_pointer (&bin);
    remove_sound (self);
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                         _("Could not link the sound to the push's mixer"));
    return FALSE;
  }
  self->sound = g_steal_pointer (&bin);
  gst_element_sync_state_with_parent (self->sound);
  return TRUE;
}

static gboolean
retired_done_cb (gpointer user_data)
{
  SipcastPush *self = SIPCAST_PUSH (user_data);

  self->retired_done_id = 0;
  remove_retired_sound (self);
  return G_SOURCE_REMOVE;
}

static gboolean
sound_done_cb (gpointer user_data)
{
  SipcastPush *self = SIPCAST_PUSH (user_data);

  self->sound_done_id = 0;
  remove_sound (self);
  g_message (_("push %s: sound %s played"), self->id, self->sound_path);
  g_clear_pointer (&self->sound_path, g_free);
  return G_SOURCE_REMOVE;
}

/* The sound file has been read to its end (at running time @end): again
 * from there when it loops, else it goes once the mixer has played it
 * (its last part is still queued there: it was scheduled ahead). */
static void
sound_finished (SipcastPush  *self,
                GstClockTime  end)
{
  g_autoptr (GError) error = NULL;
  GstClockTime now = running_time_now (self);
  guint delay_ms = GST_CLOCK_TIME_IS_VALID (end) && end > now ?
    (guint) ((end - now) / GST_MSECOND) + 1 : 0;

  if (self->sound_loop && !self->stopping) {
    /* The new round starts where this one ends, and this one goes once
     * the mixer has played what it still holds of it. */
    remove_retired_sound (self);
    self->retired_sound = g_steal_pointer (&self->sound);
    self->retired_pad = g_steal_pointer (&self->sound_pad);
    self->retired_done_id = g_timeout_add (delay_ms, retired_done_cb, self);
    if (add_sound (self, GST_CLOCK_TIME_IS_VALID (end) && end > now ? end : GST_CLOCK_TIME_NONE,
                   &error))
      return;
    g_warning (_("push %s: could not play %s again: %s"), self->id, self->sound_path,
               error->message);
    g_clear_pointer (&self->sound_path, g_free);
    return;
  }

  g_clear_handle_id (&self->sound_done_id, g_source_remove);
  self->sound_done_id = g_timeout_add (delay_ms, sound_done_cb, self);
}

static gboolean
bus_cb (GstBus     *bus,
        GstMessage *message,
        gpointer    user_data)
{
  SipcastPush *self = SIPCAST_PUSH (user_data);

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_APPLICATION: {
    const GstStructure *s = gst_message_get_structure (message);

    if (gst_structure_has_name (s, SIPCAST_FLV_TAIL_MSG_STATUS)) {
      int status = SIPCAST_RTMP_STATUS_WAIT;
      const char *reason = gst_structure_get_string (s, "reason");

      gst_structure_get_int (s, "status", &status);
      /* Every failed attempt is worth a line: the operator sees why. */
      if (reason != NULL) {
        g_message (_("push %s (%s → %s): %s"), self->id, sipcast_stream_get_name (self->stream),
                   self->display, reason);
        if (status == SIPCAST_RTMP_STATUS_CONNECTION_FAILED)
          dump_graph (self, "error");
      }
      if (status == SIPCAST_RTMP_STATUS_CONNECTION_FAILED &&
          self->target->kind == SIPCAST_PUBLISH_RTMP && self->status != (SipcastRtmpStatus) status)
        g_message (_("push %s: no connection within the retry budget of %u s, giving up"),
                   self->id, self->config->push_retry_budget);
      set_status (self, status);
    } else if (gst_structure_has_name (s, MSG_MIXER_READY)) {
      g_autoptr (GError) error = NULL;

      self->mixer_ready = TRUE;
      if (self->sound_path != NULL && self->sound == NULL && !self->stopping &&
          !add_sound (self, GST_CLOCK_TIME_NONE, &error)) {
        g_warning (_("push %s: cannot play %s: %s"), self->id, self->sound_path, error->message);
        g_clear_pointer (&self->sound_path, g_free);
      }
    } else if (gst_structure_has_name (s, SIPCAST_SOUND_SOURCE_MSG_EOS)) {
      guint serial = 0;
      guint64 end = GST_CLOCK_TIME_NONE;

      gst_structure_get_uint (s, "serial", &serial);
      gst_structure_get_uint64 (s, "end", &end);
      if (self->sound != NULL && serial == self->sound_serial)
        sound_finished (self, end);
    } else if (gst_structure_has_name (s, SIPCAST_FLV_TAIL_MSG_EOS)) {
      /* The FLV is complete, or there was no connection to complete;
       * EOS only comes when the push is stopped or its stream ended. */
      finish (self);
      return G_SOURCE_REMOVE;
    }
    break;
  }
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) err = NULL;
    g_autofree char *debug = NULL;

    gst_message_parse_error (message, &err, &debug);
    /* A sound that is no audio file after all: the push goes on. */
    if (self->sound != NULL &&
        gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), GST_OBJECT (self->sound))) {
      g_warning (_("push %s: cannot play %s: %s"), self->id, self->sound_path, err->message);
      remove_sound (self);
      g_clear_pointer (&self->sound_path, g_free);
      break;
    }
    /* Not the connection (the tail keeps that to itself): the stream or
     * the encoder broke, and a new connection would not mend it. */
    g_warning (_("push %s (%s → %s): %s: %s (%s)"), self->id, sipcast_stream_get_name (self->stream),
               self->display, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), err->message,
               debug ? debug : "");
    dump_graph (self, "error");
    if (self->status != SIPCAST_RTMP_STATUS_ACTIVE)
      set_status (self, SIPCAST_RTMP_STATUS_CONNECTION_FAILED);
    else
      set_status (self, SIPCAST_RTMP_STATUS_CONNECTION_LOST);
    finish (self);
    return G_SOURCE_REMOVE;
  }
  case GST_MESSAGE_WARNING: {
    g_autoptr (GError) err = NULL;

    gst_message_parse_warning (message, &err, NULL);
    g_message (_("push %s: %s: %s"), self->id, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               err->message);
    break;
  }
  case GST_MESSAGE_LATENCY:
    /* The tail has started a new muxer and sink. */
    gst_bin_recalculate_latency (GST_BIN (self->pipeline));
    break;
  case GST_MESSAGE_EOS:
    /* The one sink has written everything: the FLV is complete.  An EOS
     * we did not send comes from the stream, whose call has ended. */
    finish (self);
    return G_SOURCE_REMOVE;
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

static void
stream_ended_cb (SipcastStream *stream,
                 gpointer       user_data)
{
  SipcastPush *self = SIPCAST_PUSH (user_data);

  g_message (_("push %s: stream %s ended"), self->id, sipcast_stream_get_name (stream));
  self->stopping = TRUE;
  /* The mixer ends once every input has ended: the sound would hold it. */
  if (self->pipeline != NULL)
    remove_sound (self);
  /* The stream already sent EOS into our appsrc. */
  wait_for_eos (self);
}

static void
sipcast_push_dispose (GObject *object)
{
  SipcastPush *self = SIPCAST_PUSH (object);

  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  if (self->stream != NULL) {
    teardown_pipeline (self);
    g_clear_signal_handler (&self->stream_ended_id, self->stream);
    g_clear_object (&self->stream);
  }

  G_OBJECT_CLASS (sipcast_push_parent_class)->dispose (object);
}

static void
sipcast_push_finalize (GObject *object)
{
  SipcastPush *self = SIPCAST_PUSH (object);

  g_free (self->id);
  g_free (self->rtmp_url);
  g_free (self->rtmp_stream);
  g_free (self->display);
  g_free (self->published_name);
  g_free (self->options);
  g_free (self->sound_path);
  g_clear_pointer (&self->target, sipcast_publish_target_free);

  G_OBJECT_CLASS (sipcast_push_parent_class)->finalize (object);
}

static void
sipcast_push_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SipcastPush *self = SIPCAST_PUSH (object);

  switch (prop_id) {
  case PROP_STATUS:
    g_value_set_enum (value, self->status);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sipcast_push_class_init (SipcastPushClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_push_dispose;
  object_class->finalize = sipcast_push_finalize;
  object_class->get_property = sipcast_push_get_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL,
                       SIPCAST_TYPE_RTMP_STATUS, SIPCAST_RTMP_STATUS_WAIT,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  SIPCAST_TYPE_RTMP_STATUS, SIPCAST_TYPE_RTMP_STATUS);
  /* Nothing runs any more; the FLV is complete if it could be. */
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sipcast_push_init (SipcastPush *self)
{
  self->id = g_uuid_string_random ();
  self->created_at = g_get_real_time ();
  self->status = SIPCAST_RTMP_STATUS_WAIT;
}

SipcastPush *
sipcast_push_new (const SipcastConfig *config,
                  SipcastStream       *stream,
                  const char          *rtmp_url,
                  const char          *rtmp_stream,
                  GError             **error)
{
  g_autoptr (SipcastPublishTarget) target = NULL;
  SipcastPush *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_STREAM (stream), NULL);
  g_return_val_if_fail (rtmp_url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  target = sipcast_publish_target_new (rtmp_url, rtmp_stream, error);
  if (target == NULL)
    return NULL;

  self = g_object_new (SIPCAST_TYPE_PUSH, NULL);
  self->config = config;
  self->stream = g_object_ref (stream);
  self->rtmp_url = g_strdup (rtmp_url);
  self->rtmp_stream = rtmp_stream != NULL && *rtmp_stream != '\0' ? g_strdup (rtmp_stream) : NULL;
  self->target = g_steal_pointer (&target);
  /* RTMP stream names often are secret keys, and queries carry tokens:
   * logs get the server and application only. */
  if (self->target->kind == SIPCAST_PUBLISH_RTMP)
    self->display = g_strdup_printf ("%s://%s:%u/%s", self->target->scheme, self->target->host,
                                     self->target->port, self->target->application);
  else
    self->display = g_strdup (self->target->location);
  if (self->target->kind == SIPCAST_PUBLISH_RTMP)
    self->published_name = g_strndup (self->target->stream, strcspn (self->target->stream, "?"));
  else
    self->published_name = g_path_get_basename (self->target->location);
  return self;
}

gboolean
sipcast_push_start (SipcastPush *self,
                    GError     **error)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), FALSE);
  g_return_val_if_fail (!self->started && !self->stopping, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!build_pipeline (self, error))
    return FALSE;

  self->started = TRUE;
  self->stream_ended_id = g_signal_connect (self->stream, "ended",
                                            G_CALLBACK (stream_ended_cb), self);
  g_message (_("push %s: publishing stream %s to %s"), self->id,
             sipcast_stream_get_name (self->stream), self->display);
  return TRUE;
}

void
sipcast_push_stop (SipcastPush *self)
{
  g_return_if_fail (SIPCAST_IS_PUSH (self));

  if (self->stopping)
    return;
  self->stopping = TRUE;

  if (self->pipeline == NULL) {
    finish (self);
    return;
  }

  g_debug ("push %s: stopping", self->id);
  remove_sound (self);
  /* EOS behind whatever audio is queued, and nothing after it. */
  sipcast_stream_unsubscribe (self->stream, self->appsrc);
  gst_app_src_end_of_stream (GST_APP_SRC (self->appsrc));
  if (self->video_appsrc != NULL) {
    sipcast_stream_unsubscribe (self->stream, self->video_appsrc);
    gst_app_src_end_of_stream (GST_APP_SRC (self->video_appsrc));
  }
  wait_for_eos (self);
}

const char *
sipcast_push_get_id (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), NULL);
  return self->id;
}


const char *
sipcast_push_get_stream_name (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), NULL);
  return sipcast_stream_get_name (self->stream);
}

const char *
sipcast_push_get_rtmp_url (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), NULL);
  return self->rtmp_url;
}


const char *
sipcast_push_get_location (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), NULL);
  return self->target->location;
}



gboolean
sipcast_push_is_stopping (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), TRUE);
  return self->stopping;
}


const char *
sipcast_push_get_rtmp_stream (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), NULL);
  return self->rtmp_stream;
}

SipcastRtmpStatus
sipcast_push_get_status (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), SIPCAST_RTMP_STATUS_NONE);
  return self->status;
}

const char *
sipcast_push_get_call_id (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), NULL);
  return sipcast_stream_get_call_id (self->stream);
}

gint64
sipcast_push_get_created_at (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), 0);
  return self->created_at;
}

const char *
sipcast_push_get_published_name (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), NULL);
  return self->published_name;
}

void
sipcast_push_set_options (SipcastPush *self,
                          const char  *options)
{
  g_return_if_fail (SIPCAST_IS_PUSH (self));
  g_free (self->options);
  self->options = g_strdup (options);
}

const char *
sipcast_push_get_options (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), NULL);
  return self->options;
}

void
sipcast_push_set_muted (SipcastPush *self,
                        gboolean     muted)
{
  g_return_if_fail (SIPCAST_IS_PUSH (self));

  muted = !!muted;
  if (self->muted == muted)
    return;
  self->muted = muted;
  if (self->volume != NULL)
    g_object_set (self->volume, "mute", muted, NULL);
  if (muted)
    g_message (_("push %s: muted"), self->id);
  else
    g_message (_("push %s: unmuted"), self->id);
}

gboolean
sipcast_push_get_muted (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), FALSE);
  return self->muted;
}

gboolean
sipcast_push_play_sound (SipcastPush *self,
                         const char  *path,
                         gboolean     loop,
                         GError     **error)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->stopping || self->pipeline == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                         _("The push is ending"));
    return FALSE;
  }

  /* One sound at a time: a new one replaces what plays. */
  remove_sound (self);
  g_free (self->sound_path);
  self->sound_path = g_strdup (path);
  self->sound_loop = loop;
  /* Played as soon as the mixer is in (MSG_MIXER_READY), or now. */
  if ((self->mixer == NULL && !insert_mixer (self, error)) ||
      (self->mixer_ready && !add_sound (self, GST_CLOCK_TIME_NONE, error))) {
    g_clear_pointer (&self->sound_path, g_free);
    return FALSE;
  }
  if (loop)
    g_message (_("push %s: playing %s in a loop"), self->id, path);
  else
    g_message (_("push %s: playing %s"), self->id, path);
  return TRUE;
}

void
sipcast_push_stop_sound (SipcastPush *self)
{
  g_return_if_fail (SIPCAST_IS_PUSH (self));

  if (self->sound_path == NULL)
    return;
  remove_sound (self);
  g_message (_("push %s: sound %s stopped"), self->id, self->sound_path);
  g_clear_pointer (&self->sound_path, g_free);
}

gboolean
sipcast_push_get_sound_enabled (SipcastPush *self)
{
  g_return_val_if_fail (SIPCAST_IS_PUSH (self), FALSE);
  /* Also while the mixer is being put in for it. */
  return self->sound_path != NULL;
}

void
sipcast_push_get_video_size (SipcastPush *self,
                             guint       *width,
                             guint       *height)
{
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstCaps) caps = NULL;
  int w = 0, h = 0;

  g_return_if_fail (SIPCAST_IS_PUSH (self));
  *width = *height = 0;
  if (self->video_appsrc == NULL)
    return;
  /* What goes out now: the far end may change its resolution. */
  pad = gst_element_get_static_pad (self->video_appsrc, "src");
  caps = gst_pad_get_current_caps (pad);
  if (caps == NULL || gst_caps_get_size (caps) == 0)
    return;
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "width", &w);
  gst_structure_get_int (gst_caps_get_structure (caps, 0), "height", &h);
  *width = (guint) MAX (w, 0);
  *height = (guint) MAX (h, 0);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-push"

#include "config.h"
#include "sipcast-push.h"
#include "sipcast-enums.h"
#include "sipcast-error.h"
#include "sipcast-flv-tail.h"
#include "sipcast-media-chain.h"

#include <glib/gi18n.h>
#include <gst/app/gstappsrc.h>

/*
 * A push's pipeline is just
 *
 *   push_src (appsrc, a subscription to the stream) ▶ push_queue
 *     ▶ audio_aac (pipelines/audio-aac.pipeline) ▶ [FLV tail]
 *
 * where the tail is the same FLV → rtmp2sink/filesink bin a call
 * publishes with.  The queue is there for the latency a live pipeline
 * needs: an appsrc reports no room to buffer, and the encoder's delay plus
 * the sink's processing deadline would not fit (the sink warns and
 * shortens its deadline).
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

  /* NULL once finished. */
  GstElement *pipeline;
  GstElement *appsrc;        /* our subscription to the stream */
  guint bus_watch_id;

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
  g_message ("push %s (%s → %s): %s → %s", self->id,
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

  if (self->pipeline != NULL) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    gst_clear_object (&self->pipeline);
  }
  gst_clear_object (&self->appsrc);
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
  g_message ("push %s (%s → %s): finished", self->id,
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
  g_message ("push %s: the FLV stream did not finish within %d ms, closing it",
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
  g_autoptr (GstPad) tail_pad = NULL;
  g_autoptr (GstPad) queue_pad = NULL;
  g_autoptr (GstPad) aac_sink = NULL;
  g_autoptr (GstPad) aac_src = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstClock) clock = NULL;

  g_assert (self->pipeline == NULL);

  tail = sipcast_flv_tail_new (self->config, self->target, TRUE, FALSE, error);
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
  if (queue == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("GStreamer element “%s” is missing"), "queue");
    return FALSE;
  }

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

  /* The bin sinks the queue; on the others it takes references of its
   * own, next to ours. */
  gst_bin_add_many (GST_BIN (self->pipeline), queue, aac, tail, NULL);
  self->appsrc = gst_object_ref_sink (sipcast_stream_subscribe (self->stream));
  gst_object_set_name (GST_OBJECT (self->appsrc), "push_src");
  gst_bin_add (GST_BIN (self->pipeline), self->appsrc);

  queue_pad = gst_element_get_static_pad (queue, "src");
  aac_sink = gst_element_get_static_pad (aac, "sink");
  aac_src = gst_element_get_static_pad (aac, "src");
  tail_pad = gst_element_get_static_pad (tail, "audio");
  if (!gst_element_link (self->appsrc, queue) ||
      gst_pad_link (queue_pad, aac_sink) != GST_PAD_LINK_OK ||
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
        g_message ("push %s (%s → %s): %s", self->id, sipcast_stream_get_name (self->stream),
                   self->display, reason);
        if (status == SIPCAST_RTMP_STATUS_CONNECTION_FAILED)
          dump_graph (self, "error");
      }
      if (status == SIPCAST_RTMP_STATUS_CONNECTION_FAILED &&
          self->target->kind == SIPCAST_PUBLISH_RTMP && self->status != (SipcastRtmpStatus) status)
        g_message ("push %s: no connection within the retry budget of %u s, giving up",
                   self->id, self->config->push_retry_budget);
      set_status (self, status);
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

    /* Not the connection (the tail keeps that to itself): the stream or
     * the encoder broke, and a new connection would not mend it. */
    gst_message_parse_error (message, &err, &debug);
    g_warning ("push %s (%s → %s): %s: %s (%s)", self->id, sipcast_stream_get_name (self->stream),
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
    g_message ("push %s: %s: %s", self->id, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
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

  g_message ("push %s: stream %s ended", self->id, sipcast_stream_get_name (stream));
  self->stopping = TRUE;
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
  g_message ("push %s: publishing stream %s to %s", self->id,
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
  /* EOS behind whatever audio is queued, and nothing after it. */
  sipcast_stream_unsubscribe (self->stream, self->appsrc);
  gst_app_src_end_of_stream (GST_APP_SRC (self->appsrc));
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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-whep"

#include "config.h"
#include "sipcast-whep-stream.h"
#include "sipcast-error.h"
#include "sipcast-media-chain.h"

#include <glib/gi18n.h>
#include <gst/app/gstappsink.h>
#include <string.h>

/*
 * The shared pipeline is
 *
 *   whep_audio_src (appsrc, a subscription to the stream) ▶ queue
 *     ▶ audioconvert ▶ audioresample ▶ opusenc ▶ whep_audio_sink (appsink)
 *
 * and the appsink's streaming thread hands every Opus buffer to each
 * viewer (sipcast-whep-viewer.c), which runs its own webrtcbin pipeline.
 * The encoder runs while the object lives, so a viewer joining meets a
 * running encoder: it hears audio as soon as ICE and DTLS are through.
 */

enum {
  SIGNAL_VIEWER_GONE,
  SIGNAL_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _SipcastWhepStream {
  GObject parent_instance;

  SipcastStream *stream;
  gulong stream_ended_id;
  char *stun_server;
  GStrv addresses;

  GstElement *pipeline;         /* NULL once ended */
  GstElement *audio_src;        /* our subscription to the stream */
  GstElement *audio_sink;
  guint bus_watch_id;

  GHashTable *viewers;          /* id → SipcastWhepViewer; main context */
  /* Protects @feeding, which the appsink's streaming thread reads. */
  GMutex lock;
  GPtrArray *feeding;           /* the viewers, owned */
  gboolean ended;
};

G_DEFINE_FINAL_TYPE (SipcastWhepStream, sipcast_whep_stream, G_TYPE_OBJECT)

static void
teardown (SipcastWhepStream *self)
{
  g_autoptr (GPtrArray) viewers = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->lock);
  g_ptr_array_set_size (self->feeding, 0);
  g_mutex_unlock (&self->lock);
  /* Out of the table before they are closed: closing a viewer still
   * negotiating completes its POST (negotiated_cb) at once, and that
   * must find the viewer gone rather than remove it under the iterator. */
  g_hash_table_iter_init (&iter, self->viewers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (viewers, g_object_ref (value));
  g_hash_table_remove_all (self->viewers);
  for (guint i = 0; i < viewers->len; i++)
    sipcast_whep_viewer_close (viewers->pdata[i]);

  g_clear_handle_id (&self->bus_watch_id, g_source_remove);
  if (self->audio_src != NULL)
    sipcast_stream_unsubscribe (self->stream, self->audio_src);
  if (self->pipeline != NULL)
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
  gst_clear_object (&self->audio_src);
  gst_clear_object (&self->audio_sink);
  gst_clear_object (&self->pipeline);
}

static void
end (SipcastWhepStream *self)
{
  /* A POST still negotiating holds a reference (its task's), which goes
   * when teardown closes its viewer; the owner may drop its own on
   * "ended". */
  g_autoptr (SipcastWhepStream) keep = NULL;

  if (self->ended)
    return;
  keep = g_object_ref (self);
  self->ended = TRUE;
  teardown (self);
  g_clear_signal_handler (&self->stream_ended_id, self->stream);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

static void
drop_viewer (SipcastWhepStream *self,
             const char        *id)
{
  SipcastWhepViewer *viewer = g_hash_table_lookup (self->viewers, id);
  g_autofree char *gone = g_strdup (id);

  if (viewer == NULL)
    return;
  g_mutex_lock (&self->lock);
  g_ptr_array_remove (self->feeding, viewer);
  g_mutex_unlock (&self->lock);
  sipcast_whep_viewer_close (viewer);
  g_hash_table_remove (self->viewers, id);
  g_message ("WHEP %s: viewer %s gone, %u left", sipcast_stream_get_name (self->stream), gone,
             g_hash_table_size (self->viewers));
  g_signal_emit (self, signals[SIGNAL_VIEWER_GONE], 0, gone);
}

static gboolean
bus_cb (GstBus     *bus,
        GstMessage *message,
        gpointer    user_data)
{
  SipcastWhepStream *self = SIPCAST_WHEP_STREAM (user_data);

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) err = NULL;
    g_autofree char *debug = NULL;

    gst_message_parse_error (message, &err, &debug);
    g_message ("WHEP %s: %s: %s (%s)", sipcast_stream_get_name (self->stream),
               GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), err->message, debug ? debug : "");
    sipcast_media_chain_dump_graph (self->pipeline, "whep", "error");
    self->bus_watch_id = 0;
    end (self);
    return G_SOURCE_REMOVE;
  }
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

static void
stream_ended_cb (SipcastStream *stream,
                 gpointer       user_data)
{
  SipcastWhepStream *self = SIPCAST_WHEP_STREAM (user_data);

  g_message ("WHEP %s: the stream ended, closing %u viewer(s)",
             sipcast_stream_get_name (stream), g_hash_table_size (self->viewers));
  end (self);
}

/* The appsink's streaming thread: every Opus buffer to every viewer. */
static GstFlowReturn
new_audio_sample (GstAppSink *sink,
                  gpointer    user_data)
{
  SipcastWhepStream *self = user_data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);

  if (sample == NULL)
    return GST_FLOW_EOS;
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->feeding->len; i++)
    sipcast_whep_viewer_push (self->feeding->pdata[i], SIPCAST_WHEP_AUDIO, sample);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_OK;
}

static gboolean
build_pipeline (SipcastWhepStream  *self,
                GError            **error)
{
  g_autofree char *name = g_strdup_printf ("whep-%s", sipcast_stream_get_name (self->stream));
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstClock) clock = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GError) parse_error = NULL;
  GstElement *queue;

  /* Mono is enough for a call; the SDP says opus/48000/2 all the same
   * (RFC 7587), and the browser's decoder takes both. */
  encoder = gst_parse_bin_from_description ("audioconvert name=whep_audio_convert"
                                            " ! audioresample name=whep_audio_resample"
                                            " ! audio/x-raw,rate=48000,channels=1"
                                            " ! opusenc name=whep_audio_encoder"
                                            " bitrate=32000 frame-size=20",
                                            TRUE, &parse_error);
  queue = gst_element_factory_make ("queue", "whep_audio_queue");
  self->audio_sink = gst_element_factory_make ("appsink", "whep_audio_sink");
  if (encoder == NULL || queue == NULL || self->audio_sink == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Cannot build the WebRTC pipeline: %s"),
                 parse_error != NULL ? parse_error->message : _("queue or appsink missing"));
    if (queue != NULL)
      gst_object_unref (gst_object_ref_sink (queue));
    return FALSE;
  }
  gst_object_ref_sink (encoder);
  gst_object_ref_sink (self->audio_sink);
  /* Live: hand buffers on as they come, do not wait for the clock. */
  g_object_set (self->audio_sink, "sync", FALSE, "emit-signals", FALSE, NULL);
  {
    GstAppSinkCallbacks callbacks = { .new_sample = new_audio_sample };

    gst_app_sink_set_callbacks (GST_APP_SINK (self->audio_sink), &callbacks, self, NULL);
  }

  self->pipeline = gst_object_ref_sink (gst_pipeline_new (name));
  /* As in sipcast-push.c: the appsrc stamps buffers with the running
   * time as they arrive, so the clock and base time are fixed before it
   * is added. */
  clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (self->pipeline), clock);
  gst_element_set_clock (self->pipeline, clock);
  gst_element_set_start_time (self->pipeline, GST_CLOCK_TIME_NONE);
  gst_element_set_base_time (self->pipeline, gst_clock_get_time (clock));

  gst_bin_add_many (GST_BIN (self->pipeline), queue, encoder, self->audio_sink, NULL);
  self->audio_src = gst_object_ref_sink (sipcast_stream_subscribe (self->stream));
  gst_object_set_name (GST_OBJECT (self->audio_src), "whep_audio_src");
  gst_bin_add (GST_BIN (self->pipeline), self->audio_src);

  if (!gst_element_link_many (self->audio_src, queue, encoder, self->audio_sink, NULL)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                         _("Could not link the stream to the Opus encoder"));
    return FALSE;
  }

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch_id = gst_bus_add_watch (bus, bus_cb, self);

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                         _("Could not start the WebRTC pipeline"));
    return FALSE;
  }
  return TRUE;
}

static void
sipcast_whep_stream_dispose (GObject *object)
{
  SipcastWhepStream *self = SIPCAST_WHEP_STREAM (object);

  if (self->stream != NULL) {
    teardown (self);
    g_clear_signal_handler (&self->stream_ended_id, self->stream);
    g_clear_object (&self->stream);
  }

  G_OBJECT_CLASS (sipcast_whep_stream_parent_class)->dispose (object);
}

static void
sipcast_whep_stream_finalize (GObject *object)
{
  SipcastWhepStream *self = SIPCAST_WHEP_STREAM (object);

  g_hash_table_unref (self->viewers);
  g_ptr_array_unref (self->feeding);
  g_mutex_clear (&self->lock);
  g_free (self->stun_server);
  g_strfreev (self->addresses);

  G_OBJECT_CLASS (sipcast_whep_stream_parent_class)->finalize (object);
}

static void
sipcast_whep_stream_class_init (SipcastWhepStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_whep_stream_dispose;
  object_class->finalize = sipcast_whep_stream_finalize;

  signals[SIGNAL_VIEWER_GONE] =
    g_signal_new ("viewer-gone", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_ENDED] =
    g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sipcast_whep_stream_init (SipcastWhepStream *self)
{
  self->viewers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->feeding = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&self->lock);
}

SipcastWhepStream *
sipcast_whep_stream_new (SipcastStream         *stream,
                         const SipcastWhepIce  *ice,
                         GError               **error)
{
  g_autoptr (SipcastWhepStream) self = NULL;

  g_return_val_if_fail (SIPCAST_IS_STREAM (stream), NULL);

  if (sipcast_stream_get_status (stream) == SIPCAST_STREAM_ENDED) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                 _("Stream “%s” has ended"), sipcast_stream_get_name (stream));
    return NULL;
  }

  self = g_object_new (SIPCAST_TYPE_WHEP_STREAM, NULL);
  self->stream = g_object_ref (stream);
  if (ice != NULL) {
    self->stun_server = g_strdup (ice->stun_server);
    self->addresses = g_strdupv ((char **) ice->addresses);
  }
  if (!build_pipeline (self, error)) {
    sipcast_media_chain_dump_graph (self->pipeline, "whep", "start-failed");
    teardown (self);
    return NULL;
  }
  self->stream_ended_id = g_signal_connect (stream, "ended", G_CALLBACK (stream_ended_cb), self);
  return g_steal_pointer (&self);
}

SipcastStream *
sipcast_whep_stream_get_stream (SipcastWhepStream *self)
{
  g_return_val_if_fail (SIPCAST_IS_WHEP_STREAM (self), NULL);
  return self->stream;
}

guint
sipcast_whep_stream_get_n_viewers (SipcastWhepStream *self)
{
  g_return_val_if_fail (SIPCAST_IS_WHEP_STREAM (self), 0);
  return g_hash_table_size (self->viewers);
}

static void
viewer_failed_cb (SipcastWhepViewer *viewer,
                  gpointer           user_data)
{
  SipcastWhepStream *self = SIPCAST_WHEP_STREAM (user_data);

  g_message ("WHEP %s: the connection to viewer %s failed or closed",
             sipcast_stream_get_name (self->stream), sipcast_whep_viewer_get_id (viewer));
  drop_viewer (self, sipcast_whep_viewer_get_id (viewer));
}

static void
negotiated_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  SipcastWhepStream *self = g_task_get_source_object (task);
  SipcastWhepViewer *viewer = SIPCAST_WHEP_VIEWER (source);
  GError *error = NULL;
  char *answer = sipcast_whep_viewer_negotiate_finish (viewer, result, &error);

  if (answer == NULL) {
    /* Still ours unless the stream ended meanwhile. */
    if (g_hash_table_lookup (self->viewers, sipcast_whep_viewer_get_id (viewer)) == viewer) {
      g_signal_handlers_disconnect_by_data (viewer, self);
      g_mutex_lock (&self->lock);
      g_ptr_array_remove (self->feeding, viewer);
      g_mutex_unlock (&self->lock);
      sipcast_whep_viewer_close (viewer);
      g_hash_table_remove (self->viewers, sipcast_whep_viewer_get_id (viewer));
    }
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, answer, g_free);
}

void
sipcast_whep_stream_add_viewer_async (SipcastWhepStream   *self,
                                      const char          *id,
                                      const char          *offer,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  SipcastWhepIce ice = { self->stun_server, (const char *const *) self->addresses };
  SipcastWhepViewer *viewer;

  g_return_if_fail (SIPCAST_IS_WHEP_STREAM (self));
  g_return_if_fail (id != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, sipcast_whep_stream_add_viewer_async);
  if (self->ended || g_hash_table_contains (self->viewers, id)) {
    g_task_return_new_error (task, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                             _("Stream “%s” has ended"), sipcast_stream_get_name (self->stream));
    return;
  }

  /* The stream's video is H.264 whatever the call sends (a VP8 call's
   * is the H.264 it publishes over RTMP): never encoded again here. */
  viewer = sipcast_whep_viewer_new (id, self->stream, TRUE,
                                    sipcast_stream_get_video_codec (self->stream) != NULL, &ice);
  g_hash_table_insert (self->viewers, g_strdup (id), viewer);
  g_mutex_lock (&self->lock);
  g_ptr_array_add (self->feeding, g_object_ref (viewer));
  g_mutex_unlock (&self->lock);
  g_signal_connect_object (viewer, "failed", G_CALLBACK (viewer_failed_cb), self, 0);
  sipcast_whep_viewer_negotiate_async (viewer, offer, negotiated_cb, g_steal_pointer (&task));
}

char *
sipcast_whep_stream_add_viewer_finish (SipcastWhepStream  *self,
                                       GAsyncResult       *result,
                                       GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
sipcast_whep_stream_remove_viewer (SipcastWhepStream *self,
                                   const char        *id)
{
  g_return_val_if_fail (SIPCAST_IS_WHEP_STREAM (self), FALSE);

  if (!g_hash_table_contains (self->viewers, id))
    return FALSE;
  drop_viewer (self, id);
  return TRUE;
}

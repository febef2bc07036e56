/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-stream"

#include "config.h"
#include "sipcast-stream.h"

#include <gst/app/gstappsrc.h>

/*
 * Fan-out without a thread of its own: the source call's decoder thread
 * pushes each buffer into every subscriber's appsrc, which queues it (a
 * bounded queue that drops the oldest data, so a stalled subscriber never
 * holds up the call or grows without limit).  Each subscriber timestamps
 * the audio on arrival in its own pipeline's clock.
 */

/* About 250 ms of 48 kHz stereo S16: enough to ride out scheduling
 * hiccups, small enough to bound a stalled subscriber. */
#define SUBSCRIBER_QUEUE_BYTES (48000 * 2 * 2 / 4)

/* About a second of 2 Mbit/s H.264.  Video cannot drop the oldest frame
 * the way audio does (the frames after it would not decode): a video
 * subscriber that falls this far behind skips to the next key frame. */
#define VIDEO_QUEUE_BYTES (256 * 1024)

enum {
  SIGNAL_ENDED,
  SIGNAL_KEY_FRAME_WANTED,
  N_SIGNALS
};

/* A video subscription and whether it waits for a key frame: at first,
 * and again after its queue overflowed. */
typedef struct {
  GstAppSrc *appsrc;
  gboolean need_key;
} VideoSubscriber;

static void
video_subscriber_free (gpointer data)
{
  VideoSubscriber *sub = data;

  gst_object_unref (sub->appsrc);
  g_free (sub);
}

static guint signals[N_SIGNALS];

struct _SipcastStream {
  GObject parent_instance;

  char *name;
  char *call_id;
  char *audio_codec;
  char *video_codec;

  /* Protects everything below: written by the main context, read by the
   * source call's streaming thread. */
  GMutex lock;
  GPtrArray *subscribers;   /* GstAppSrc, owned */
  GPtrArray *video_subscribers;  /* VideoSubscriber, owned */
  GstCaps *caps;
  GstCaps *video_caps;
  SipcastStreamStatus status;
  guint key_frame_idle;     /* a "key-frame-wanted" on its way to the main context */
};

G_DEFINE_FINAL_TYPE (SipcastStream, sipcast_stream, G_TYPE_OBJECT)

static void
sipcast_stream_finalize (GObject *object)
{
  SipcastStream *self = SIPCAST_STREAM (object);

  g_free (self->name);
  g_free (self->call_id);
  g_free (self->audio_codec);
  g_free (self->video_codec);
  g_ptr_array_unref (self->subscribers);
  g_ptr_array_unref (self->video_subscribers);
  gst_clear_caps (&self->caps);
  gst_clear_caps (&self->video_caps);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (sipcast_stream_parent_class)->finalize (object);
}

static void
sipcast_stream_dispose (GObject *object)
{
  SipcastStream *self = SIPCAST_STREAM (object);

  g_clear_handle_id (&self->key_frame_idle, g_source_remove);
  G_OBJECT_CLASS (sipcast_stream_parent_class)->dispose (object);
}

static void
sipcast_stream_class_init (SipcastStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sipcast_stream_dispose;
  G_OBJECT_CLASS (klass)->finalize = sipcast_stream_finalize;

  /* A video subscriber needs a key frame (it just subscribed, or fell
   * behind): the source asks its far end for one.  Main context. */
  signals[SIGNAL_KEY_FRAME_WANTED] =
    g_signal_new ("key-frame-wanted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  /* The source call has ended; subscribers have been sent EOS. */
  signals[SIGNAL_ENDED] =
    g_signal_new ("ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sipcast_stream_init (SipcastStream *self)
{
  g_mutex_init (&self->lock);
  self->subscribers = g_ptr_array_new_with_free_func (gst_object_unref);
  self->video_subscribers = g_ptr_array_new_with_free_func (video_subscriber_free);
}

SipcastStream *
sipcast_stream_new (const char *name,
                    const char *call_id)
{
  SipcastStream *self;

  g_return_val_if_fail (name != NULL, NULL);

  self = g_object_new (SIPCAST_TYPE_STREAM, NULL);
  self->name = g_strdup (name);
  self->call_id = g_strdup (call_id);
  return self;
}

const char *
sipcast_stream_get_name (SipcastStream *self)
{
  g_return_val_if_fail (SIPCAST_IS_STREAM (self), NULL);
  return self->name;
}

const char *
sipcast_stream_get_call_id (SipcastStream *self)
{
  g_return_val_if_fail (SIPCAST_IS_STREAM (self), NULL);
  return self->call_id;
}

const char *
sipcast_stream_get_audio_codec (SipcastStream *self)
{
  g_return_val_if_fail (SIPCAST_IS_STREAM (self), NULL);
  return self->audio_codec;
}

void
sipcast_stream_set_audio_codec (SipcastStream *self,
                                const char    *codec)
{
  g_return_if_fail (SIPCAST_IS_STREAM (self));
  g_free (self->audio_codec);
  self->audio_codec = g_strdup (codec);
}

SipcastStreamStatus
sipcast_stream_get_status (SipcastStream *self)
{
  SipcastStreamStatus status;

  g_return_val_if_fail (SIPCAST_IS_STREAM (self), SIPCAST_STREAM_ENDED);

  g_mutex_lock (&self->lock);
  status = self->status;
  g_mutex_unlock (&self->lock);
  return status;
}

const char *
sipcast_stream_status_to_string (SipcastStreamStatus status)
{
  switch (status) {
  case SIPCAST_STREAM_WAIT:
    return "WAIT";
  case SIPCAST_STREAM_ACTIVE:
    return "ACTIVE";
  case SIPCAST_STREAM_ENDED:
    return "ENDED";
  }
  g_return_val_if_reached (NULL);
}

guint
sipcast_stream_get_n_subscribers (SipcastStream *self)
{
  guint n;

  g_return_val_if_fail (SIPCAST_IS_STREAM (self), 0);

  g_mutex_lock (&self->lock);
  n = self->subscribers->len;
  g_mutex_unlock (&self->lock);
  return n;
}

void
sipcast_stream_set_caps (SipcastStream *self,
                         GstCaps       *caps)
{
  g_return_if_fail (SIPCAST_IS_STREAM (self));

  g_mutex_lock (&self->lock);
  gst_caps_replace (&self->caps, caps);
  for (guint i = 0; i < self->subscribers->len; i++)
    gst_app_src_set_caps (self->subscribers->pdata[i], caps);
  g_mutex_unlock (&self->lock);
}

void
sipcast_stream_push (SipcastStream *self,
                     GstBuffer     *buffer)
{
  g_return_if_fail (SIPCAST_IS_STREAM (self));

  g_mutex_lock (&self->lock);
  if (self->status == SIPCAST_STREAM_WAIT)
    self->status = SIPCAST_STREAM_ACTIVE;

  for (guint i = 0; i < self->subscribers->len; i++) {
    /* Same memory, fresh metadata: the subscriber's appsrc stamps it
     * with its own pipeline's running time. */
    GstBuffer *copy = gst_buffer_copy_region (buffer, GST_BUFFER_COPY_MEMORY, 0, -1);

    gst_app_src_push_buffer (self->subscribers->pdata[i], copy);
  }
  g_mutex_unlock (&self->lock);
}

GstElement *
sipcast_stream_subscribe (SipcastStream *self)
{
  GstElement *appsrc;

  g_return_val_if_fail (SIPCAST_IS_STREAM (self), NULL);

  appsrc = gst_element_factory_make ("appsrc", NULL);
  g_object_set (appsrc,
                "is-live", TRUE,
                "format", GST_FORMAT_TIME,
                "do-timestamp", TRUE,
                "max-bytes", (guint64) SUBSCRIBER_QUEUE_BYTES,
                "leaky-type", GST_APP_LEAKY_TYPE_DOWNSTREAM,
                NULL);

  g_mutex_lock (&self->lock);
  if (self->caps != NULL)
    gst_app_src_set_caps (GST_APP_SRC (appsrc), self->caps);
  if (self->status == SIPCAST_STREAM_ENDED)
    gst_app_src_end_of_stream (GST_APP_SRC (appsrc));
  else
    g_ptr_array_add (self->subscribers, gst_object_ref (appsrc));
  g_mutex_unlock (&self->lock);

  g_debug ("%s: subscriber %s added", self->name, GST_OBJECT_NAME (appsrc));
  return appsrc;
}

void
sipcast_stream_unsubscribe (SipcastStream *self,
                            GstElement    *appsrc)
{
  g_return_if_fail (SIPCAST_IS_STREAM (self));

  g_mutex_lock (&self->lock);
  if (!g_ptr_array_remove (self->subscribers, appsrc)) {
    for (guint i = 0; i < self->video_subscribers->len; i++) {
      VideoSubscriber *sub = self->video_subscribers->pdata[i];

      if (GST_ELEMENT (sub->appsrc) == appsrc) {
        g_ptr_array_remove_index (self->video_subscribers, i);
        break;
      }
    }
  }
  g_mutex_unlock (&self->lock);
}

void
sipcast_stream_end (SipcastStream *self)
{
  g_autoptr (GPtrArray) subscribers = NULL;
  g_autoptr (GPtrArray) video_subscribers = NULL;

  g_return_if_fail (SIPCAST_IS_STREAM (self));

  g_mutex_lock (&self->lock);
  if (self->status == SIPCAST_STREAM_ENDED) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->status = SIPCAST_STREAM_ENDED;
  subscribers = g_steal_pointer (&self->subscribers);
  self->subscribers = g_ptr_array_new_with_free_func (gst_object_unref);
  video_subscribers = g_steal_pointer (&self->video_subscribers);
  self->video_subscribers = g_ptr_array_new_with_free_func (video_subscriber_free);
  g_clear_handle_id (&self->key_frame_idle, g_source_remove);
  g_mutex_unlock (&self->lock);
  for (guint i = 0; i < subscribers->len; i++)
    gst_app_src_end_of_stream (subscribers->pdata[i]);
  for (guint i = 0; i < video_subscribers->len; i++)
    gst_app_src_end_of_stream (((VideoSubscriber *) video_subscribers->pdata[i])->appsrc);

  g_debug ("%s: ended", self->name);
  g_signal_emit (self, signals[SIGNAL_ENDED], 0);
}

const char *
sipcast_stream_get_video_codec (SipcastStream *self)
{
  g_return_val_if_fail (SIPCAST_IS_STREAM (self), NULL);
  return self->video_codec;
}

void
sipcast_stream_set_video_codec (SipcastStream *self,
                                const char    *codec)
{
  g_return_if_fail (SIPCAST_IS_STREAM (self));
  g_free (self->video_codec);
  self->video_codec = g_strdup (codec);
}

void
sipcast_stream_set_video_caps (SipcastStream *self,
                               GstCaps       *caps)
{
  g_return_if_fail (SIPCAST_IS_STREAM (self));

  g_mutex_lock (&self->lock);
  gst_caps_replace (&self->video_caps, caps);
  for (guint i = 0; i < self->video_subscribers->len; i++)
    gst_app_src_set_caps (((VideoSubscriber *) self->video_subscribers->pdata[i])->appsrc, caps);
  g_mutex_unlock (&self->lock);
}

GstCaps *
sipcast_stream_get_video_caps (SipcastStream *self)
{
  GstCaps *caps;

  g_return_val_if_fail (SIPCAST_IS_STREAM (self), NULL);

  g_mutex_lock (&self->lock);
  caps = self->video_caps != NULL ? gst_caps_ref (self->video_caps) : NULL;
  g_mutex_unlock (&self->lock);
  return caps;
}

static gboolean
key_frame_wanted_cb (gpointer user_data)
{
  SipcastStream *self = user_data;

  g_mutex_lock (&self->lock);
  self->key_frame_idle = 0;
  g_mutex_unlock (&self->lock);
  g_signal_emit (self, signals[SIGNAL_KEY_FRAME_WANTED], 0);
  return G_SOURCE_REMOVE;
}

/* With the lock held, from any thread: one "key-frame-wanted" in the
 * main context however many subscribers ask before it runs. */
static void
want_key_frame_locked (SipcastStream *self)
{
  if (self->key_frame_idle == 0 && self->status != SIPCAST_STREAM_ENDED)
    self->key_frame_idle = g_idle_add (key_frame_wanted_cb, self);
}

void
sipcast_stream_push_video (SipcastStream *self,
                           GstBuffer     *buffer)
{
  gboolean key;

  g_return_if_fail (SIPCAST_IS_STREAM (self));

  key = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < self->video_subscribers->len; i++) {
    VideoSubscriber *sub = self->video_subscribers->pdata[i];

    if (!key && sub->need_key)
      continue;
    if (gst_app_src_get_current_level_bytes (sub->appsrc) + gst_buffer_get_size (buffer) >
        VIDEO_QUEUE_BYTES) {
      /* Behind by more than its queue holds: what is queued can still be
       * played, the rest waits for the next key frame. */
      g_debug ("%s: video subscriber %s fell behind, skipping to a key frame",
               self->name, GST_OBJECT_NAME (sub->appsrc));
      sub->need_key = TRUE;
      want_key_frame_locked (self);
      continue;
    }
    sub->need_key = FALSE;
    gst_app_src_push_buffer (sub->appsrc,
                             gst_buffer_copy_region (buffer, GST_BUFFER_COPY_MEMORY |
                                                     GST_BUFFER_COPY_FLAGS, 0, -1));
  }
  g_mutex_unlock (&self->lock);
}

GstElement *
sipcast_stream_subscribe_video (SipcastStream *self)
{
  GstElement *appsrc;
  gboolean ended;

  g_return_val_if_fail (SIPCAST_IS_STREAM (self), NULL);

  appsrc = gst_element_factory_make ("appsrc", NULL);
  g_object_set (appsrc,
                "is-live", TRUE,
                "format", GST_FORMAT_TIME,
                "do-timestamp", TRUE,
                "max-bytes", (guint64) VIDEO_QUEUE_BYTES,
                NULL);

  g_mutex_lock (&self->lock);
  if (self->video_caps != NULL)
    gst_app_src_set_caps (GST_APP_SRC (appsrc), self->video_caps);
  ended = self->status == SIPCAST_STREAM_ENDED;
  if (ended) {
    gst_app_src_end_of_stream (GST_APP_SRC (appsrc));
  } else {
    VideoSubscriber *sub = g_new0 (VideoSubscriber, 1);

    sub->appsrc = GST_APP_SRC (gst_object_ref (appsrc));
    sub->need_key = TRUE;
    g_ptr_array_add (self->video_subscribers, sub);
  }
  g_mutex_unlock (&self->lock);

  g_debug ("%s: video subscriber %s added", self->name, GST_OBJECT_NAME (appsrc));
  /* A player that joins starts at the next key frame: ask for it now
   * rather than wait for the far end's next one. */
  if (!ended)
    g_signal_emit (self, signals[SIGNAL_KEY_FRAME_WANTED], 0);
  return appsrc;
}

guint
sipcast_stream_get_n_video_subscribers (SipcastStream *self)
{
  guint n;

  g_return_val_if_fail (SIPCAST_IS_STREAM (self), 0);

  g_mutex_lock (&self->lock);
  n = self->video_subscribers->len;
  g_mutex_unlock (&self->lock);
  return n;
}

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

enum {
  SIGNAL_ENDED,
  N_SIGNALS
};

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
  GstCaps *caps;
  SipcastStreamStatus status;
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
  gst_clear_caps (&self->caps);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (sipcast_stream_parent_class)->finalize (object);
}

static void
sipcast_stream_class_init (SipcastStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sipcast_stream_finalize;

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
  g_ptr_array_remove (self->subscribers, appsrc);
  g_mutex_unlock (&self->lock);
}

void
sipcast_stream_end (SipcastStream *self)
{
  g_autoptr (GPtrArray) subscribers = NULL;

  g_return_if_fail (SIPCAST_IS_STREAM (self));

  g_mutex_lock (&self->lock);
  if (self->status == SIPCAST_STREAM_ENDED) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->status = SIPCAST_STREAM_ENDED;
  subscribers = g_steal_pointer (&self->subscribers);
  self->subscribers = g_ptr_array_new_with_free_func (gst_object_unref);
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < subscribers->len; i++)
    gst_app_src_end_of_stream (subscribers->pdata[i]);

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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-flv-tail"

#include "config.h"
#include "sipcast-sink-park.h"

/*
 * See the header: RTMP sinks of ended attempts, kept running until their
 * connect is over, then stopped.
 */

/* Sinks parked by sipcast_sink_park_connecting(), each with the GSource that
 * stops it (owning its reference). */
G_LOCK_DEFINE_STATIC (parked);
static GHashTable *parked;   /* GstElement → GSource */

static gboolean
release_parked_sink (gpointer data)
{
  /* stop_parked_sink, the destroy notify, stops it. */
  return G_SOURCE_REMOVE;
}

/* The source's destroy notify: after its timeout, or when it is
 * destroyed early. */
static void
stop_parked_sink (gpointer data)
{
  GstElement *sink = data;

  G_LOCK (parked);
  g_hash_table_remove (parked, sink);
  G_UNLOCK (parked);
  gst_element_set_locked_state (sink, FALSE);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_object_unref (sink);
}

void
sipcast_sink_park_stop_all (void)
{
  g_autoptr (GList) sources = NULL;

  G_LOCK (parked);
  if (parked != NULL)
    sources = g_hash_table_get_values (parked);
  G_UNLOCK (parked);
  for (GList *l = sources; l != NULL; l = l->next) {
    GSource *source = g_source_ref (l->data);

    /* Stopped now, as its timer would have (a connection still being
     * made is lost: the process is ending anyway). */
    if (!g_source_is_destroyed (source))
      g_source_destroy (source);
    g_source_unref (source);
  }
}

/* rtmp2sink (GStreamer 1.22) stopped while its connection is being made
 * loses that connection: the connect finishes on a main context nobody
 * runs any more, and its socket and that context's eventfd stay open for
 * the life of the process — one of each for every call that ends before
 * its stream was published.  So such a sink is taken out of the attempt
 * still running, its streaming thread flushed free, and stopped once its
 * connect is over (its own timeout, plus a second): then it closes what
 * it opened. */
void
sipcast_sink_park_connecting (GstElement   *flv,
                              GMainContext *context)
{
  g_autoptr (GstElement) sink = gst_bin_get_by_name (GST_BIN (flv), "sink");
  g_autoptr (GstPad) sink_pad = NULL;
  g_autoptr (GSource) source = NULL;
  guint timeout_s = 5;

  if (sink == NULL || g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "timeout") == NULL)
    return;
  g_object_get (sink, "timeout", &timeout_s, NULL);
  gst_element_set_locked_state (sink, TRUE);
  sink_pad = gst_element_get_static_pad (sink, "sink");
  /* Releases a thread waiting in render() for the connection; the
   * connect itself goes on in the sink's own thread. */
  gst_pad_send_event (sink_pad, gst_event_new_flush_start ());
  gst_bin_remove (GST_BIN (flv), sink);
  source = g_timeout_source_new_seconds (timeout_s + 1);
  G_LOCK (parked);
  if (parked == NULL)
    parked = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (parked, sink, source);
  G_UNLOCK (parked);
  g_source_set_callback (source, release_parked_sink, g_steal_pointer (&sink), stop_parked_sink);
  g_source_attach (source, context);
}

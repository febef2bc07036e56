/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include <string.h>

#include <gst/gst.h>

#include "sipcast-media-stats.h"
#include "sipcast-media-session-private.h"

/*
 * Counters from the elements where GStreamer keeps them: each RTP session
 * of rtpbin (session 0 audio, 1 video) lists its sources, the remote ones
 * with what they sent us; each rtpjitterbuffer counts late packets; the
 * FLV sink counts bytes (rtmp2sink's "stats", filesink's byte position).
 * A new RTMP connection attempt has a new sink, so the FLV count starts
 * again from zero then: the caller keeps counters monotonic.
 */

static void
add_session (GstElement        *rtpbin,
             guint              id,
             SipcastMediaStats *stats)
{
  g_autoptr (GObject) session = NULL;
  g_autoptr (GstStructure) structure = NULL;
  const GValue *sources;
  GValueArray *array;

  g_signal_emit_by_name (rtpbin, "get-session", id, &session);
  if (session == NULL)
    return;
  g_object_get (session, "stats", &structure, NULL);
  sources = structure != NULL ? gst_structure_get_value (structure, "source-stats") : NULL;
  /* A GValueArray, deprecated in GLib but what rtpsession gives. */
  if (sources == NULL || !G_VALUE_HOLDS_BOXED (sources))
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  array = g_value_get_boxed (sources);
  for (guint i = 0; array != NULL && i < array->n_values; i++) {
    const GstStructure *source = gst_value_get_structure (g_value_array_get_nth (array, i));
    gboolean internal = TRUE;
    guint64 packets = 0, octets = 0;
    gint lost = 0, clock_rate = 0;
    guint jitter = 0;

    /* Our own source (what we send) is internal. */
    if (!gst_structure_get_boolean (source, "internal", &internal) || internal)
      continue;
    gst_structure_get_uint64 (source, "packets-received", &packets);
    gst_structure_get_uint64 (source, "octets-received", &octets);
    gst_structure_get_int (source, "packets-lost", &lost);
    gst_structure_get_uint (source, "jitter", &jitter);
    gst_structure_get_int (source, "clock-rate", &clock_rate);
    stats->rtp_packets += packets;
    stats->rtp_bytes += octets;
    /* Negative when duplicates outnumber losses (RFC 3550 §6.4.1). */
    stats->rtp_lost += lost > 0 ? (guint64) lost : 0;
    if (id == 0 && clock_rate > 0)
      stats->jitter_seconds = MAX (stats->jitter_seconds, (double) jitter / clock_rate);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
add_element (const GValue *item,
             gpointer      user_data)
{
  SipcastMediaStats *stats = user_data;
  GstElement *element = g_value_get_object (item);
  GstElementFactory *factory = gst_element_get_factory (element);
  const char *name = factory != NULL ? gst_plugin_feature_get_name (factory) : "";
  g_autoptr (GstStructure) structure = NULL;
  guint64 value = 0;

  if (g_str_equal (name, "rtpbin")) {
    add_session (element, 0, stats);
    add_session (element, 1, stats);
  } else if (g_str_equal (name, "rtpjitterbuffer")) {
    g_object_get (element, "stats", &structure, NULL);
    if (structure != NULL && gst_structure_get_uint64 (structure, "num-late", &value))
      stats->rtp_late += value;
  } else if (g_str_equal (name, "rtmp2sink")) {
    g_object_get (element, "stats", &structure, NULL);
    if (structure != NULL && gst_structure_get_uint64 (structure, "out-bytes-total", &value))
      stats->flv_bytes += value;
  } else if (g_str_equal (name, "filesink")) {
    gint64 position = 0;

    if (gst_element_query_position (element, GST_FORMAT_BYTES, &position) && position > 0)
      stats->flv_bytes += (guint64) position;
  }
}

gboolean
sipcast_media_stats_read (SipcastMediaSession *session,
                          SipcastMediaStats   *stats)
{
  GstElement *pipeline;
  g_autoptr (GstIterator) iter = NULL;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (session), FALSE);
  g_return_val_if_fail (stats != NULL, FALSE);

  memset (stats, 0, sizeof *stats);
  pipeline = sipcast_media_session_get_pipeline (session);
  if (pipeline == NULL)
    return FALSE;

  iter = gst_bin_iterate_recurse (GST_BIN (pipeline));
  /* A bin changing meanwhile (a chain swapped) asks for a resync: start
   * over rather than count twice. */
  while (gst_iterator_foreach (iter, add_element, stats) == GST_ITERATOR_RESYNC) {
    memset (stats, 0, sizeof *stats);
    gst_iterator_resync (iter);
  }
  return TRUE;
}

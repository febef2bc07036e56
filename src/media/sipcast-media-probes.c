/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-media-probes.h"

#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>
#include <string.h>

/*
 * Each probe reads its pad's data on the streaming thread and keeps
 * what it must remember in its own user data, freed with the probe.
 */

/* A VP8 call's H.264 gets a key frame at least this often, so a player
 * joining late waits at most that long. */
#define KEY_FRAME_INTERVAL (2 * GST_SECOND)

/* On the decoder's streaming thread: the named stream gets the decoded
 * audio and its format.  The probe holds a reference on the stream. */
/* A stream fed from a pad: its decoded audio, or its H.264. */
typedef struct {
  SipcastStream *stream;
  gboolean video;
} StreamFeed;

static void
stream_feed_free (gpointer data)
{
  StreamFeed *feed = data;

  g_object_unref (feed->stream);
  g_free (feed);
}

static GstPadProbeReturn
stream_probe (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  StreamFeed *feed = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

    if (feed->video)
      sipcast_stream_push_video (feed->stream, buffer);
    else
      sipcast_stream_push (feed->stream, buffer);
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
    if (feed->video)
      sipcast_stream_set_video_caps (feed->stream, caps);
    else
      sipcast_stream_set_caps (feed->stream, caps);
  }
  return GST_PAD_PROBE_OK;
}

/* RFC 4733 §2.3: the DTMF events 0-15. */
static const char dtmf_digits[] = "0123456789*#ABCD";

/* What the telephone-event probe remembers between packets of its one
 * streaming thread. */
typedef struct {
  guint32 last_timestamp;
  gboolean seen;
} DtmfProbe;

/* On the streaming thread of the telephone-event payload: one digit per
 * event, that is per RTP timestamp (the start packet, its updates and the
 * three end packets all carry the event's start time, RFC 4733 §2.5),
 * posted for the main context. */
static GstPadProbeReturn
dtmf_probe (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  DtmfProbe *probe = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstElement *parent;
  guint32 timestamp;
  guint8 event = 0xff;

  if (!gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  timestamp = gst_rtp_buffer_get_timestamp (&rtp);
  if (gst_rtp_buffer_get_payload_len (&rtp) >= 4)
    event = ((const guint8 *) gst_rtp_buffer_get_payload (&rtp))[0];
  gst_rtp_buffer_unmap (&rtp);

  if (event >= strlen (dtmf_digits) || (probe->seen && timestamp == probe->last_timestamp))
    return GST_PAD_PROBE_OK;
  probe->seen = TRUE;
  probe->last_timestamp = timestamp;

  parent = gst_pad_get_parent_element (pad);
  if (parent != NULL) {
    char digit[2] = { dtmf_digits[event], '\0' };

    gst_element_post_message (parent,
        gst_message_new_application (GST_OBJECT (parent),
                                     gst_structure_new (SIPCAST_MEDIA_PROBES_MSG_DTMF,
                                                        "digit", G_TYPE_STRING, digit,
                                                        NULL)));
    gst_object_unref (parent);
  }
  return GST_PAD_PROBE_OK;
}

/* On the video chain's streaming thread: the size of the video as it goes
 * to FLV, at the start and whenever it changes. */
static GstPadProbeReturn
video_caps_probe (GstPad          *pad,
                  GstPadProbeInfo *info,
                  gpointer         user_data)
{
  GstElement *pipeline = GST_ELEMENT (user_data);
  GstCaps *caps;
  const GstStructure *s;
  int width = 0, height = 0;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_get_int (s, "width", &width) && gst_structure_get_int (s, "height", &height))
    gst_element_post_message (pipeline,
        gst_message_new_application (GST_OBJECT (pipeline),
                                     gst_structure_new (SIPCAST_MEDIA_PROBES_MSG_VIDEO_CAPS,
                                                        "width", G_TYPE_INT, width,
                                                        "height", G_TYPE_INT, height,
                                                        NULL)));
  return GST_PAD_PROBE_OK;
}

/* On the H.264 encoder's streaming thread (VP8 calls): a key frame at
 * least every KEY_FRAME_INTERVAL of stream time.  @user_data holds the
 * running time of the last one asked for. */
static GstPadProbeReturn
key_frame_interval_probe (GstPad          *pad,
                          GstPadProbeInfo *info,
                          gpointer         user_data)
{
  GstClockTime *last = user_data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_PAD_PROBE_OK;
  if (GST_CLOCK_TIME_IS_VALID (*last) && pts < *last + KEY_FRAME_INTERVAL)
    return GST_PAD_PROBE_OK;
  /* The first frame is a key frame anyway: start counting there. */
  if (GST_CLOCK_TIME_IS_VALID (*last))
    gst_pad_send_event (pad, gst_video_event_new_downstream_force_key_unit (
                                 pts, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, TRUE, 0));
  *last = pts;
  return GST_PAD_PROBE_OK;
}

/* On the thread of whoever asks (flvmux, when it starts): a chain whose
 * RTP has not arrived yet has no upstream to ask, and a muxer that gets no
 * answer from one pad runs as if nothing were live, waiting for a buffer
 * on every pad.  A far end that never sends the video it accepted (or
 * stops sending it) would then hold back the audio.  So an unlinked chain
 * answers for the rtpbin it will be linked to: live, with the jitter
 * buffer's latency; once linked, rtpbin answers. */
static GstPadProbeReturn
live_latency_probe (GstPad          *pad,
                    GstPadProbeInfo *info,
                    gpointer         user_data)
{
  GstClockTime latency = GPOINTER_TO_UINT (user_data) * GST_MSECOND;
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  /* @pad is the ghost pad's internal pad; the ghost pad is its parent. */
  GstPad *ghost = GST_PAD (GST_OBJECT_PARENT (pad));

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY || ghost == NULL || gst_pad_is_linked (ghost))
    return GST_PAD_PROBE_OK;
  gst_query_set_latency (query, TRUE, latency, GST_CLOCK_TIME_NONE);
  return GST_PAD_PROBE_HANDLED;
}

void
sipcast_media_probes_add_stream (GstPad        *pad,
                                 SipcastStream *stream,
                                 gboolean       video)
{
  StreamFeed *feed;

  g_return_if_fail (GST_IS_PAD (pad) && SIPCAST_IS_STREAM (stream));

  feed = g_new0 (StreamFeed, 1);
  feed->stream = g_object_ref (stream);
  feed->video = video;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     stream_probe, feed, stream_feed_free);
}

void
sipcast_media_probes_add_dtmf (GstPad *pad)
{
  g_return_if_fail (GST_IS_PAD (pad));

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, dtmf_probe, g_new0 (DtmfProbe, 1), g_free);
}

void
sipcast_media_probes_add_video_size (GstPad     *pad,
                                     GstElement *pipeline)
{
  g_return_if_fail (GST_IS_PAD (pad) && GST_IS_ELEMENT (pipeline));

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, video_caps_probe, pipeline, NULL);
}

void
sipcast_media_probes_add_key_frame_interval (GstElement *chain)
{
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstPad) encoder_sink = NULL;
  GstClockTime *last;

  g_return_if_fail (GST_IS_BIN (chain));

  encoder = gst_bin_get_by_name (GST_BIN (chain), "video_encoder");
  if (encoder == NULL)
    return;
  encoder_sink = gst_element_get_static_pad (encoder, "sink");
  last = g_new (GstClockTime, 1);
  *last = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (encoder_sink, GST_PAD_PROBE_TYPE_BUFFER, key_frame_interval_probe,
                     last, g_free);
}

/* On the internal side of the chain's ghost sink pad (the pad rtpbin's
 * is linked to): queries from inside the chain reach it even while the
 * ghost pad has no peer, where they would fail without a probe seeing
 * them. */
void
sipcast_media_probes_add_live_latency (GstElement *chain,
                                       guint       latency_ms)
{
  g_autoptr (GstPad) ghost = NULL;
  g_autoptr (GstProxyPad) internal = NULL;

  g_return_if_fail (GST_IS_BIN (chain));

  ghost = gst_element_get_static_pad (chain, "sink");
  internal = gst_proxy_pad_get_internal (GST_PROXY_PAD (ghost));
  gst_pad_add_probe (GST_PAD (internal), GST_PAD_PROBE_TYPE_QUERY_UPSTREAM, live_latency_probe,
                     GUINT_TO_POINTER (latency_ms), NULL);
}

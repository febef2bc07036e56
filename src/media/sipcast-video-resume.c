/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-video-resume.h"

#include <gst/video/video.h>

/*
 * A buffer probe on the video chain's output, on its streaming thread:
 * only that thread touches the state it keeps (the end of the last
 * buffer), so no lock.
 */

typedef struct {
  GstClockTime interval;   /* key frames at least this often; 0 = not asked */
  GstClockTime last;       /* timestamp of the last buffer, or NONE */
  GstClockTime last_key;   /* of the last key frame, or of the last request */
} Watch;

static void
ask_for_key_frame (GstPad *pad)
{
  gst_pad_send_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                        TRUE, 0));
}

static GstPadProbeReturn
resume_probe (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  Watch *watch = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buffer);

  if (!GST_CLOCK_TIME_IS_VALID (ts))
    return GST_PAD_PROBE_OK;
  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
    watch->last_key = ts;
  } else if (GST_CLOCK_TIME_IS_VALID (watch->last) &&
             ts >= watch->last + SIPCAST_VIDEO_RESUME_PAUSE) {
    g_debug ("video back after %" G_GUINT64_FORMAT " ms: asking for a key frame",
             (ts - watch->last) / GST_MSECOND);
    ask_for_key_frame (pad);
    watch->last_key = ts;
  } else if (watch->interval > 0 && GST_CLOCK_TIME_IS_VALID (watch->last_key) &&
             ts >= watch->last_key + watch->interval) {
    g_debug ("no key frame for %" G_GUINT64_FORMAT " ms: asking for one",
             (ts - watch->last_key) / GST_MSECOND);
    ask_for_key_frame (pad);
    /* The answer takes a round trip: not again before another interval. */
    watch->last_key = ts;
  }
  watch->last = ts;
  return GST_PAD_PROBE_OK;
}

void
sipcast_video_resume_watch (GstPad       *video_exit,
                            GstClockTime  key_frame_interval)
{
  Watch *watch = g_new0 (Watch, 1);

  g_return_if_fail (GST_IS_PAD (video_exit));

  watch->interval = key_frame_interval;
  watch->last = GST_CLOCK_TIME_NONE;
  watch->last_key = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (video_exit, GST_PAD_PROBE_TYPE_BUFFER, resume_probe, watch, g_free);
}

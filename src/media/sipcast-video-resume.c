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
  GstClockTime last;   /* timestamp of the last buffer, or NONE */
} Watch;

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
  if (GST_CLOCK_TIME_IS_VALID (watch->last) && ts >= watch->last + SIPCAST_VIDEO_RESUME_PAUSE &&
      GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
    g_debug ("video back after %" G_GUINT64_FORMAT " ms: asking for a key frame",
             (ts - watch->last) / GST_MSECOND);
    gst_pad_send_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                          TRUE, 0));
  }
  watch->last = ts;
  return GST_PAD_PROBE_OK;
}

void
sipcast_video_resume_watch (GstPad *video_exit)
{
  Watch *watch = g_new0 (Watch, 1);

  g_return_if_fail (GST_IS_PAD (video_exit));

  watch->last = GST_CLOCK_TIME_NONE;
  gst_pad_add_probe (video_exit, GST_PAD_PROBE_TYPE_BUFFER, resume_probe, watch, g_free);
}

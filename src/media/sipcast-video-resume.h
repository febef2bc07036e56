/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Video that pauses while the audio goes on (a far end that stops its
 * camera, or sends no video while held): the published stream goes on
 * with the audio, the gap filler keeping it continuous; when the video
 * comes back, a key frame is asked for at once so that it resumes
 * cleanly, rather than with whatever the decoder makes of frames that
 * refer to pictures from before the pause.
 */

#include <gst/gst.h>

G_BEGIN_DECLS

/* How long video may pause before its return counts as a resumption. */
#define SIPCAST_VIDEO_RESUME_PAUSE (1 * GST_SECOND)

/* Watches the buffers leaving @video_exit (the video chain's src pad): the
 * first one after a pause of SIPCAST_VIDEO_RESUME_PAUSE or more (by its
 * timestamps) that is no key frame sends an upstream force-key-unit event
 * from @video_exit, which rtpsession turns into RTCP PLI or FIR (an H.264
 * encoder, for VP8, into a key frame of its own).  With a
 * @key_frame_interval (a platform profile's; 0 = none), so does video
 * that has gone that long without a key frame, at most once per
 * interval.  The probe goes with the pad. */
void sipcast_video_resume_watch (GstPad       *video_exit,
                                 GstClockTime  key_frame_interval);

G_END_DECLS

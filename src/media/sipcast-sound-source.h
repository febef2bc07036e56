/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A sound file as a live source for a mixer: decoded (any file decodebin
 * reads), converted and resampled, its time 0 placed at a given running
 * time, its end reported on the bus instead of reaching the mixer (which
 * would otherwise count the pad as ended).  Used by /push/sound_on.
 */

#include <gst/gst.h>

G_BEGIN_DECLS

/* Name of the application message posted on @pipeline's bus when the file
 * has been read to its end; fields "serial" (guint, as given) and "end"
 * (guint64, the running time its last sample ends at, or
 * GST_CLOCK_TIME_NONE). */
#define SIPCAST_SOUND_SOURCE_MSG_EOS "sipcast-sound-source-eos"

/* A new bin (owned, not floating) named @name with one "src" pad, playing
 * @path from running time @start on.  @pipeline is where the end is
 * reported (borrowed: the bin must not outlive it).  NULL with @error when
 * the elements are missing. */
GstElement *sipcast_sound_source_new (const char   *name,
                                      const char   *path,
                                      GstElement   *pipeline,
                                      guint         serial,
                                      GstClockTime  start,
                                      GError      **error);

/* Clock time minus base time of @pipeline: "now" in running time; 0
 * without a clock. */
GstClockTime sipcast_sound_source_running_time_now (GstElement *pipeline);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The FLV publishing tail: encoded audio (ghost pad "audio": AAC from
 * aacparse, or 8 kHz mono A-law/µ-law) and H.264 video (ghost pad "video":
 * stream-format=avc, alignment=au) in; FLV out to an RTMP server or a
 * file, from pipelines/flv-rtmp.pipeline or flv-file.pipeline.
 *
 * A broken RTMP connection never reaches the pipeline's bus as an ERROR:
 * the tail drops what arrives (answering OK upstream, so nothing in front
 * of it stops), builds a new muxer and sink after a back-off, and reports
 * what happens as application messages.
 */

#include <gst/gst.h>
#include "sipcast-config.h"
#include "sipcast-publish-target.h"

G_BEGIN_DECLS

/* Application messages the tail posts on the bus.  FIRST_WRITE: the server
 * (or file) has taken media data, after each (re)connection.  EOS: EOS has
 * been through the sink (the FLV is complete), or there is no connection
 * to complete: the tail has nothing more to do.  STATUS: fields "status"
 * (gint, a SipcastRtmpStatus) and "reason" (string, absent on success),
 * posted on each status change and each failed attempt. */
#define SIPCAST_FLV_TAIL_MSG_FIRST_WRITE "sipcast-first-write"
#define SIPCAST_FLV_TAIL_MSG_EOS "sipcast-eos-at-sink"
#define SIPCAST_FLV_TAIL_MSG_STATUS "sipcast-flv-status"

#define SIPCAST_TYPE_FLV_TAIL (sipcast_flv_tail_get_type ())
G_DECLARE_FINAL_TYPE (SipcastFlvTail, sipcast_flv_tail, SIPCAST, FLV_TAIL, GstBin)

/* The text of pipelines/@resource with '#' comment lines dropped and
 * ${name} replaced from @vars; an unknown variable is an error. */
char *sipcast_pipeline_expand (const char  *resource,
                               GHashTable  *vars,
                               GError     **error);

/* A new tail (owned, not floating) for @target with a sink pad "audio"
 * when @audio and "video" when @video.  It retries a failed RTMP
 * connection within [rtmp] retry-budget seconds (the "retry-budget"
 * property changes that before the pipeline starts); a file that cannot be
 * written fails at once.  Create it, and run its pipeline, from the thread
 * of the GLib main context it is to rebuild its sink on. */
GstElement *sipcast_flv_tail_new (const SipcastConfig        *config,
                                  const SipcastPublishTarget *target,
                                  gboolean                    audio,
                                  gboolean                    video,
                                  GError                    **error);

/* The owner is about to send EOS (a hang-up): no new attempt is made,
 * and an attempt that has not written any media yet (RTMP or file) is
 * given up at once (there is no stream to complete, and the streaming
 * threads in front of it may be waiting on a server that never answers),
 * so the EOS finds the tail closed and SIPCAST_FLV_TAIL_MSG_EOS follows at
 * once.  An active stream takes the EOS and is completed.  Main
 * context. */
void sipcast_flv_tail_prepare_eos (GstElement *tail);

/* Takes the "video" pad away (the video that was accepted never came):
 * the muxer goes on with the audio alone, and so do later attempts.
 * Unlink the pad first.  Main context. */
void sipcast_flv_tail_remove_video (GstElement *tail);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The FLV publishing tail: encoded audio in (ghost pad "audio": AAC from
 * aacparse, or audio/x-alaw / audio/x-mulaw 8 kHz mono) and H.264 video
 * (ghost pad "video": stream-format=avc, alignment=au), FLV out to an RTMP
 * server or a file, from pipelines/flv-rtmp.pipeline or flv-file.pipeline.
 */

#include <gst/gst.h>
#include "sipcast-config.h"
#include "sipcast-publish-target.h"

G_BEGIN_DECLS

/* Application messages the tail's sink posts on the bus: the server (or
 * file) has taken the first media data, and EOS has reached the sink so
 * the FLV is complete. */
#define SIPCAST_FLV_TAIL_MSG_FIRST_WRITE "sipcast-first-write"
#define SIPCAST_FLV_TAIL_MSG_EOS "sipcast-eos-at-sink"

/* The text of pipelines/@resource with '#' comment lines dropped and
 * ${name} replaced from @vars; an unknown variable is an error. */
char *sipcast_pipeline_expand (const char  *resource,
                               GHashTable  *vars,
                               GError     **error);

/* A new floating-free (owned) bin for @target, with an "audio" pad when
 * @audio and a "video" pad when @video (at least one of them). */
GstElement *sipcast_flv_tail_new (const SipcastConfig        *config,
                                  const SipcastPublishTarget *target,
                                  gboolean                    audio,
                                  gboolean                    video,
                                  GError                    **error);

G_END_DECLS

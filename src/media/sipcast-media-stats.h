/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a running media session has received and published so far, read
 * from its elements' own statistics (rtpbin's RTP sessions, the jitter
 * buffers, rtmp2sink or filesink) for GET /metrics.  Read-only: nothing
 * in the pipeline is changed.
 */

#include "sipcast-media-session.h"

G_BEGIN_DECLS

typedef struct {
  guint64 rtp_packets;        /* RTP packets received, audio and video */
  guint64 rtp_bytes;          /* their payload bytes (RTCP's octet count) */
  guint64 rtp_lost;           /* packets missing in the sequence (RTCP's cumulative loss) */
  guint64 rtp_late;           /* packets the jitter buffer got too late to use */
  double  jitter_seconds;     /* interarrival jitter of the audio (RFC 3550), 0 unknown */
  guint64 flv_bytes;          /* FLV bytes sent to the RTMP server or written */
} SipcastMediaStats;

/* Fills @stats (zeroed first); FALSE when @session has no pipeline
 * (before start, once finished). */
gboolean sipcast_media_stats_read (SipcastMediaSession *session,
                                   SipcastMediaStats   *stats);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One m= line of a call: its RTP and RTCP sockets (bound by the port
 * pool before the offer), their udpsrc/udpsink in the call's pipeline
 * and the rtpbin session they feed (0 for audio, 1 for video), and where
 * the far end is: where our RTP and RTCP go, the symmetric-RTP latch
 * onto where its RTP really comes from, a payload type it renumbered,
 * hold, and silence ("rtp-timeout").  The media session has one per
 * line; a line knows nothing of the session, the chains or the send
 * side.  Main context, but for what its probes do on rtp_src's thread.
 */

#include <gst/gst.h>
#include <gio/gio.h>
#include "sipcast-codec.h"
#include "sipcast-config.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_MEDIA_LINE (sipcast_media_line_get_type ())
G_DECLARE_FINAL_TYPE (SipcastMediaLine, sipcast_media_line, SIPCAST, MEDIA_LINE, GObject)

/* A line of @kind on @rtp and @rtcp (references are taken); @name (the
 * session's) starts its log lines.  @config must outlive the line. */
SipcastMediaLine *sipcast_media_line_new (const SipcastConfig *config,
                                          const char          *name,
                                          SipcastMediaKind     kind,
                                          GSocket             *rtp,
                                          GSocket             *rtcp);

/* The local RTP port; 0 once released. */
guint sipcast_media_line_get_port (SipcastMediaLine *self);

/* Closes the sockets: their ports go back to the pool at once. */
void sipcast_media_line_release (SipcastMediaLine *self);

/* Adds the line's udpsrcs for RTP and RTCP, linked into @rtpbin's
 * session of the line's kind, and its RTCP out to @address:@rtcp_port,
 * to @pipeline.  An audio line's rtp_src reports [rtp] timeout seconds
 * of silence (see follow()).  SIPCAST_ERROR_PIPELINE when an element is
 * missing or does not link. */
gboolean sipcast_media_line_add (SipcastMediaLine  *self,
                                 GstElement        *pipeline,
                                 GstElement        *rtpbin,
                                 const char        *address,
                                 guint              rtcp_port,
                                 GError           **error);

/* Sends what rtpbin's send session of the line's kind gives out to
 * @address:@port, from the RTP socket (symmetric RTP).  After add(). */
void sipcast_media_line_add_sender (SipcastMediaLine *self,
                                    const char       *address,
                                    guint             port);

/* From now on (after add()), follows the far end at @address:@port
 * (RTCP @rtcp_port): with [rtp] symmetric, our RTP goes to where its
 * first packet comes from when that is elsewhere (logged); udpsrc's
 * silence reports become "rtp-timeout" once watch() was called. */
void sipcast_media_line_follow (SipcastMediaLine *self,
                                const char       *address,
                                guint             port,
                                guint             rtcp_port);
/* Whether follow() was called. */
gboolean sipcast_media_line_is_followed (SipcastMediaLine *self);
/* [rtp] timeout seconds of silence emit "rtp-timeout" from now on; nothing
 * when not followed, or the timeout is 0. */
void sipcast_media_line_watch (SipcastMediaLine *self);
/* Held: nothing goes out but RTCP, silence is not reported; resuming
 * starts a new silent period. */
void sipcast_media_line_set_held (SipcastMediaLine *self,
                                  gboolean          held);
/* Incoming RTP of payload type @from is renumbered @to (what rtpbin was
 * set up for); @from -1: none is. */
void sipcast_media_line_map_payload_type (SipcastMediaLine *self,
                                          int               from,
                                          guint             to);
/* The far end's media moved to @address:@port (RTCP @rtcp_port): a
 * followed line sends RTP and RTCP there, and latches anew (the first
 * packet from anywhere but where the far end sent from so far); a line
 * not followed sends only RTCP, there.  FALSE (nothing done) when that is
 * where they go already, or the line is not in a pipeline. */
gboolean sipcast_media_line_move (SipcastMediaLine *self,
                                  const char       *address,
                                  guint             port,
                                  guint             rtcp_port);
/* The session is stopping: no latching or silence is acted on any more. */
void sipcast_media_line_stop (SipcastMediaLine *self);
/* The pipeline is gone (set to NULL): the line lets go of its elements. */
void sipcast_media_line_detach (SipcastMediaLine *self);

G_END_DECLS

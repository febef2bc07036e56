/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a WHEP viewer's SDP offer asks for, reduced to what the viewer
 * needs to answer it: the payload type the browser chose for Opus and for
 * each video codec we can send without decoding.  Pure, no I/O.
 */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int audio_pt;       /* Opus/48000/2 in a receiving audio m= line; -1: none */
  int h264_pt;        /* H264/90000 packetization-mode=1 in a receiving video m= line; -1: none */
  int vp8_pt;         /* VP8/90000 in a receiving video m= line; -1: none */
  /* h264_pt's profile-level-id (six hex digits), "" when it has none */
  char h264_profile_level_id[7];
} SipcastWhepOffer;

/* Fills @out from the SDP text @sdp.  SIPCAST_ERROR_SDP when it is not
 * SDP, or when it has neither an audio nor a video m= line the viewer can
 * receive on ("sendonly" and "inactive" lines and port 0 do not count). */
gboolean sipcast_whep_offer_parse (const char        *sdp,
                                   SipcastWhepOffer  *out,
                                   GError           **error);

G_END_DECLS

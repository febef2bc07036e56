/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * SRTP for a media session: an srtpenc and an srtpdec (gst-plugins-bad)
 * per rtpbin session, handed to rtpbin through its request-rtp-encoder,
 * -decoder and request-rtcp-* signals, keyed with the SDES keys the call
 * negotiated (sipcast-srtp-policy.h).
 */

#include <gst/gst.h>
#include "sipcast-sdp.h"

G_BEGIN_DECLS

/* rtpbin session @session (0 audio, 1 video) sends SRTP and SRTCP with
 * media->local_crypto and takes the far end's with media->crypto (every
 * SSRC the same key).  Nothing when @media is NULL or has no crypto.
 * Call before the session's pads are requested. */
void sipcast_srtp_attach (GstElement            *rtpbin,
                          guint                  session,
                          const SipcastSdpMedia *media);

G_END_DECLS

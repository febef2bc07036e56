/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What sipcast-sdp.c shares with sipcast-sdp-reinvite.c (SDP parsing
 * helpers); not for other modules.
 */

#include <gst/sdp/sdp.h>

#include "sipcast-sdp.h"

G_BEGIN_DECLS

const char *sipcast_sdp_address_type (const char *address);
const char *sipcast_sdp_kind_name (SipcastMediaKind kind);
void sipcast_sdp_read_codec_details (const GstSDPMedia *media, SipcastSdpMedia *out);
gboolean sipcast_sdp_parse_number (const char *str, guint64 max, gboolean stop_at_space, guint64 *out);
GstSDPMessage *sipcast_sdp_parse_message (const char *sdp, const char *what, GError **error);
const SipcastCodec *sipcast_sdp_codec_of_pt (const GstSDPMedia *media, SipcastMediaKind kind, guint pt);
SipcastSdpAnswer *sipcast_sdp_answer_from_message (const GstSDPMessage *msg, GError **error);
void sipcast_sdp_media_free (SipcastSdpMedia *media);
/* a=rtcp-fb lines for @payload_type, one per flag of @flags. */
void sipcast_sdp_append_rtcp_fb (GString *sdp, guint payload_type, SipcastRtcpFb flags);
/* "a=crypto:" + @crypto, CRLF. */
void sipcast_sdp_append_crypto (GString *sdp, const SipcastSdpCrypto *crypto);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * SDP offer building and answer parsing (RFC 3264), as pure functions on
 * strings.  The offer lists the codecs of sipcast-codec.h in table order,
 * dynamic payload types from 96 up; the answer parser picks the first codec
 * of the answer's m= line that we also offered.
 */

#include <glib.h>
#include "sipcast-codec.h"

G_BEGIN_DECLS

typedef enum {
  SIPCAST_SDP_SENDRECV,
  SIPCAST_SDP_SENDONLY,
  SIPCAST_SDP_RECVONLY,
  SIPCAST_SDP_INACTIVE,
} SipcastSdpDirection;

typedef struct {
  const char *address;        /* our RTP address, "127.0.0.1" */
  guint64     session_id;     /* o= session id */
  guint64     session_version;
  guint       audio_port;     /* 0 = no audio m= line */
  SipcastSdpDirection audio_direction; /* hasAudio=false → RECVONLY */
} SipcastSdpOfferParams;

/* A complete SDP body (CRLF line ends) for an INVITE. */
char *sipcast_sdp_build_offer (const SipcastSdpOfferParams *params);

typedef struct {
  const SipcastCodec *codec;  /* the chosen codec, from our table */
  guint  payload_type;        /* as numbered by the far end */
  int    telephone_event_pt;  /* -1 when the far end takes none */
  char  *address;             /* connection address for this m= line */
  guint  port;                /* 0 = rejected */
  guint  rtcp_port;           /* a=rtcp if present, else port + 1 */
  SipcastSdpDirection direction; /* as the far end declared it */
} SipcastSdpMedia;

typedef struct {
  SipcastSdpMedia *audio;     /* NULL when absent or rejected (port 0) */
} SipcastSdpAnswer;

/* Errors: SIPCAST_ERROR_SDP (unparsable, no connection address),
 * SIPCAST_ERROR_NO_COMMON_CODEC (an accepted m=audio line with no codec we
 * offered, or no usable media line at all). */
SipcastSdpAnswer *sipcast_sdp_parse_answer (const char *sdp,
                                            GError    **error);
void sipcast_sdp_answer_free (SipcastSdpAnswer *answer);

const char *sipcast_sdp_direction_to_string (SipcastSdpDirection direction);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastSdpAnswer, sipcast_sdp_answer_free)

G_END_DECLS

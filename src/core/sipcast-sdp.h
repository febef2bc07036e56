/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * SDP offer building and answer parsing (RFC 3264), as pure functions on
 * strings.  The offer has an m=audio and an m=video line (either optional),
 * each listing its codecs of sipcast-codec.h in order, dynamic payload types
 * from 96 up per line; the answer parser picks, per line, the first codec of
 * the answer that we also offered.  For incoming calls the other way round:
 * a far end's offer is parsed (our codec preference decides) and our
 * answer built from it.
 */

#include <glib.h>
#include "sipcast-codec.h"
#include "sipcast-sdp-crypto.h"

G_BEGIN_DECLS

/* Offers and answers with more m= lines than this are refused
 * (SIPCAST_ERROR_SDP: 488 to an INVITE). */
#define SIPCAST_SDP_MAX_MEDIA 16

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
  /* Audio codecs in offer order, as sipcast_codec_list_ordered() returns
   * them (telephone-event last); NULL = sipcast_codec_list() order. */
  const SipcastCodec *const *audio_codecs;
  guint       video_port;     /* 0 = no video m= line */
  SipcastSdpDirection video_direction; /* hasVideo=false → RECVONLY */
  /* SRTP: our keys for each line (one per suite, n_crypto of them), as
   * a=crypto lines; the lines' transport is RTP/SAVP when @savp, else
   * RTP/AVP (best-effort SRTP).  n_crypto 0: plain RTP. */
  const SipcastSdpCrypto *audio_crypto;
  const SipcastSdpCrypto *video_crypto;
  guint       n_crypto;
  gboolean    savp;
} SipcastSdpOfferParams;

/* A complete SDP body (CRLF line ends) for an INVITE. */
char *sipcast_sdp_build_offer (const SipcastSdpOfferParams *params);

typedef struct {
  const SipcastCodec *codec;  /* the chosen codec, from our table */
  guint  payload_type;        /* as numbered by the far end */
  int    telephone_event_pt;  /* -1 when the far end takes none */
  int    comfort_noise_pt;    /* CN (RFC 3389); -1 when the far end takes none */
  char  *address;             /* connection address for this m= line */
  guint  port;                /* 0 = rejected */
  guint  rtcp_port;           /* a=rtcp if present, else port + 1 */
  SipcastSdpDirection direction; /* as the far end declared it */
  char  *fmtp;                /* the far end's a=fmtp for payload_type, or NULL */
  /* H.264: the packetization-mode of payload_type, 0 when its fmtp has
   * none (RFC 6184 §8.1); always codec->packetization_mode.  -1 for
   * every other codec. */
  int    packetization_mode;
  char  *profile_level_id;    /* H.264: from fmtp ("42e01f"), or NULL */
  /* a=rtcp-fb the far end listed for payload_type or for "*": what it
   * will act on when we send it (RFC 4585, RFC 5104). */
  gboolean has_nack;          /* "nack" */
  gboolean has_pli;           /* "nack pli" */
  gboolean has_fir;           /* "ccm fir" */
  /* SRTP: the far end's key (its first usable a=crypto), and ours for
   * what we send, which the call fills in (the same tag and suite). */
  gboolean has_crypto;
  SipcastSdpCrypto crypto;
  SipcastSdpCrypto local_crypto;
} SipcastSdpMedia;

typedef struct {
  SipcastSdpMedia *audio;     /* NULL when absent or rejected (port 0) */
  SipcastSdpMedia *video;     /* likewise */
} SipcastSdpAnswer;

/* Parses the answer's first m=audio and first m=video line.  On success at
 * least one of answer->audio and answer->video is set.
 *
 * Errors: SIPCAST_ERROR_SDP (unparsable, no connection address, bad
 * a=rtcp), SIPCAST_ERROR_NO_COMMON_CODEC with the message "No common
 * codecs" (an accepted m= line, port not 0, with no codec we offered, or
 * neither an accepted m=audio nor an accepted m=video line). */
SipcastSdpAnswer *sipcast_sdp_parse_answer (const char *sdp,
                                            GError    **error);
void sipcast_sdp_answer_free (SipcastSdpAnswer *answer);

const char *sipcast_sdp_direction_to_string (SipcastSdpDirection direction);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastSdpAnswer, sipcast_sdp_answer_free)

/* ---- incoming calls: the far end offers, we answer ---- */

/* One m= line of a received offer, kept so that the answer has the same
 * lines in the same order (RFC 3264 §6). */
typedef struct {
  char  *media;               /* "audio", "video", "application", … */
  char  *proto;               /* "RTP/AVP", "RTP/SAVP", … as offered */
  char  *formats;             /* the offered format list, "0 8 101" */
  guint  port;                /* 0: the offerer disabled the line */
  /* What we take from this line: the codec we chose (with the far end's
   * payload type numbers), its address and ports, the offerer's direction.
   * NULL when we refuse the line. */
  SipcastSdpMedia *chosen;
} SipcastSdpOfferLine;

typedef struct {
  GPtrArray *lines;           /* SipcastSdpOfferLine, in offer order */
  /* The first accepted m=audio and m=video lines (borrowed from @lines),
   * NULL when there is none; a further line of the same kind is refused. */
  SipcastSdpOfferLine *audio;
  SipcastSdpOfferLine *video;
} SipcastSdpOffer;

/* Parses an offer.  On each m=audio (m=video) line, the codec chosen is
 * the first of @audio_codecs (@video_codecs) that the line offers: OUR
 * preference order, the configured one.  Both lists are as
 * sipcast_codec_list_ordered() returns them; NULL @video_codecs refuses
 * every video line.  telephone-event/8000 is noted when offered, and the
 * first usable a=crypto (SDES SRTP).  Lines with another transport than
 * RTP/AVP, RTP/AVPF, RTP/SAVP or RTP/SAVPF (DTLS, T.38…), RTP/SAVP lines
 * without a usable key,
 * disabled lines (port 0) and lines of other media are refused.
 *
 * Errors: SIPCAST_ERROR_SDP (not SDP, no connection address, bad
 * a=rtcp), SIPCAST_ERROR_NO_COMMON_CODEC "No common codecs" when no line
 * is accepted. */
SipcastSdpOffer *sipcast_sdp_parse_offer (const char                *sdp,
                                          const SipcastCodec *const *audio_codecs,
                                          const SipcastCodec *const *video_codecs,
                                          GError                   **error);
void sipcast_sdp_offer_free (SipcastSdpOffer *offer);

/* The direction we answer an offered @direction with (RFC 3264 §6.1):
 * we always receive; we send only when @we_send. */
SipcastSdpDirection sipcast_sdp_answer_direction (SipcastSdpDirection offered,
                                                  gboolean            we_send);
/* The same stream seen from the other end: sendonly ↔ recvonly. */
SipcastSdpDirection sipcast_sdp_direction_reverse (SipcastSdpDirection direction);

typedef struct {
  const char *address;        /* our RTP address */
  guint64     session_id;
  guint64     session_version;
  guint       audio_port;     /* 0 refuses offer->audio */
  SipcastSdpDirection audio_direction;
  guint       video_port;     /* 0 refuses offer->video */
  SipcastSdpDirection video_direction;
} SipcastSdpAnswerParams;
/* (An accepted line whose chosen->has_crypto is answered with
 * chosen->local_crypto as its a=crypto.) */

/* A complete SDP answer (CRLF line ends) to @offer: one m= line per
 * offered line, in the same order.  The accepted audio/video line lists
 * the chosen payload type (the offerer's number) and, for audio, the
 * offered telephone-event; every other line is refused with port 0 and
 * the offered formats. */
char *sipcast_sdp_build_answer (const SipcastSdpOffer        *offer,
                                const SipcastSdpAnswerParams *params);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastSdpOffer, sipcast_sdp_offer_free)

/* ---- the far end's offers in re-INVITEs: hold, moves, refreshes ---- */

/* The far end's offer @sdp in a re-INVITE, read as
 * sipcast_sdp_parse_answer reads an answer, except that the audio codec
 * in use, @current, and the video codec in use, @current_video (either
 * may be NULL), are kept whenever the offer lists them at all: phones
 * re-offer their whole list on hold and resume, and switching codec
 * mid-call is not what they ask for.  When the audio codec in use is not
 * listed, the audio codec is the first of @prefs (ours, in our order)
 * that the offer lists, and audio is NULL when it lists none of them;
 * with @prefs NULL, the offer's own first choice. */
SipcastSdpAnswer   *sipcast_sdp_parse_reoffer (const char                *sdp,
                                               const SipcastCodec        *current,
                                               const SipcastCodec        *current_video,
                                               const SipcastCodec *const *prefs,
                                               GError                   **error);

/* @media (the far end's, parsed with sipcast_sdp_parse_answer) holds the
 * call: sendonly or inactive (RFC 3264 §8.4), or RFC 2543's c=0.0.0.0. */
gboolean            sipcast_sdp_media_is_hold (const SipcastSdpMedia *media);

/* Whether our RTP, whose sockets are bound to @local_address, can reach
 * @media's connection address: the same address family (an IPv4 socket
 * cannot send to c=IN IP6).  A hold address (0.0.0.0, ::) is never sent
 * to and always passes.
 *
 * Errors: SIPCAST_ERROR_SDP, saying which family the far end wants. */
gboolean            sipcast_sdp_media_check_family (const SipcastSdpMedia *media,
                                                    const char            *local_address,
                                                    GError               **error);

/* The direction we answer the far end's @media with (RFC 3264 §6.1):
 * recvonly to sendonly, sendonly to recvonly, inactive to inactive and to
 * c=0.0.0.0; sendrecv, or recvonly when @we_send is FALSE (hasAudio=false). */
SipcastSdpDirection sipcast_sdp_media_answer_direction (const SipcastSdpMedia *media,
                                                        gboolean               we_send);

typedef struct {
  const char *address;        /* our RTP address */
  guint64     session_id;     /* that of our first offer, for the whole dialog */
  guint64     session_version;
  guint       audio_port;     /* our RTP port */
  SipcastSdpDirection audio_direction;
  guint       video_port;     /* our video RTP port; 0 refuses video */
  SipcastSdpDirection video_direction;
  /* SRTP calls: our keys, answered again as a=crypto on the lines (on
   * the offer's transport); NULL: plain RTP/AVP.  The keys of a call do
   * not change. */
  const SipcastSdpCrypto *audio_crypto;
  const SipcastSdpCrypto *video_crypto;
} SipcastSdpReinviteAnswerParams;

/* Our answer to the far end's offer @offer, whose audio line we take as
 * @audio and whose video line as @video (sipcast_sdp_parse_reoffer on
 * @offer; @video NULL when the call has no video): one m= line per
 * offered line, in order (RFC 3264 §6); the first accepted audio line
 * with @audio's codec and telephone-event under the far end's payload
 * type numbers; the first accepted video line, when @video and
 * params->video_port are set, with @video's codec under the far end's
 * number, its fmtp and our rtcp-fb, as in our offer; every other line
 * refused (port 0).  NULL with SIPCAST_ERROR_SDP when @offer does not
 * parse. */
char    *sipcast_sdp_build_reinvite_answer (const char                           *offer,
                                            const SipcastSdpMedia                *audio,
                                            const SipcastSdpMedia                *video,
                                            const SipcastSdpReinviteAnswerParams *params,
                                            GError                              **error);

/* @a and @b describe the same session but for their o= lines: whether a
 * new answer needs a new o= version (RFC 3264 §8). */
gboolean sipcast_sdp_same_description (const char *a,
                                       const char *b);

G_END_DECLS

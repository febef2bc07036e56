/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Inside SipcastCall: its struct and what its files share.  The call is
 * one object in several files: sipcast-call.c (statuses, media,
 * reactions to its dialog), sipcast-call-outgoing.c (starting a call of
 * ours), sipcast-call-incoming.c (answering an INVITE),
 * sipcast-call-sdp.c (following the far end's SDP, re-offers) and
 * sipcast-call-inject.c (what is mixed into the far end's audio).
 * Nothing outside those files includes this.
 */

#include "sipcast-call-private.h"
#include "sipcast-dialog.h"
#include "sipcast-media-session.h"
#include "sipcast-registration.h"
#include "sipcast-sdp.h"
#include "sipcast-srtp-policy.h"
#include "sipcast-sip-address.h"

G_BEGIN_DECLS

/* Our From user when the call has no sipLogin. */
#define SIPCAST_CALL_DEFAULT_LOGIN "sipcast"

struct _SipcastCall {
  GObject parent_instance;

  SipcastCallParams *params;
  SipcastPublishTarget *target;
  SipcastStream *stream;
  gint64 created_at;

  SipcastCallStatus status;
  SipcastRtmpStatus rtmp_status;
  char *rtmp_status_info;
  guint sip_status;
  char *status_info;
  char *caller;
  char *remote_sdp;
  char *audio_codec;
  char *video_codec;          /* "H264/90000", once answered with video */

  SipcastSipAgent *agent;
  const SipcastConfig *config;
  SipcastDialog *dialog;              /* once started or answering */
  SipcastRegistration *registration;  /* sipRegisterRequired, else NULL */
  SipcastSipAddresses *addresses;     /* until the INVITE or REGISTER is sent */
  gboolean over_tls;                  /* its transport */
  GCancellable *resolving;            /* the next hop's name being resolved */
  char *request_uri;
  gint64 invite_sent_at;    /* g_get_monotonic_time (); 0: not sent yet */
  guint no_answer_timeout;            /* seconds, 0: none */
  SipcastMediaSession *media;
  char *local_sdp;
  guint64 sdp_version;
  /* SRTP: the mode of this call, and the keys we offer on each line. */
  gboolean srtp_prepared;
  SipcastSrtpMode srtp_mode;
  SipcastSdpCrypto srtp_audio[SIPCAST_SRTP_N_OFFERED];
  SipcastSdpCrypto srtp_video[SIPCAST_SRTP_N_OFFERED];
  /* The far end's media the session follows: set when the media starts
   * (on early SDP or the answer), replaced by re-INVITEs. */
  SipcastSdpAnswer *media_answer;

  guint no_answer_timeout_id;
  /* Our no-answer timeout cancelled it: to the client a timeout. */
  gboolean timed_out;
  char *pending_failure;   /* statusInfo for the FAILED that follows our BYE */

  /* What is mixed into the send direction: injected streams by name
   * (their appsrc, to unsubscribe), and looping sound files by source id
   * (the path, to start them again at EOS). */
  GHashTable *injected_streams;   /* stream name → Injection */
  GHashTable *looping_sounds;     /* source id → path */
  GHashTable *playing_sounds;     /* source id → path, sounds played once */
  /* Digits the far end sent, RFC 4733 and SIP INFO, in order. */
  GString *dtmf_received;
  guint next_sound;

  gboolean done;

  /* Came in as an INVITE to us (sipcast_call_answer_incoming). */
  gboolean incoming;
  /* Ringing: the 200 goes out when this fires (route ring-time), and
   * the media starts then, for the offer kept until then. */
  guint ring_timeout_id;
  SipcastSdpOffer *incoming_offer;
};

/* sipcast-call.c */

/* The one setter of the call status.  @info replaces statusInfo when
 * non-NULL; @sip_status 0 keeps the last one. */
void     sipcast_call_set_status (SipcastCall       *self,
                                  SipcastCallStatus  status,
                                  guint              sip_status,
                                  const char        *info);
/* The call's media session on the ports allocated for it, its signals
 * connected; both directions of call make it the same way. */
void     sipcast_call_create_media (SipcastCall         *self,
                                    const SipcastConfig *config,
                                    GSocket             *rtp,
                                    GSocket             *rtcp);
/* A video port pair for the media session; without one the call goes
 * on with audio only. */
gboolean sipcast_call_allocate_video (SipcastCall     *self,
                                      SipcastPortPool *ports);
/* Our SDP offer, in self->local_sdp. */
void     sipcast_call_write_offer (SipcastCall               *self,
                                   const char                *address,
                                   const SipcastCodec *const *audio_codecs);
/* Connects the call to @dialog (taken) and its signals. */
void     sipcast_call_set_dialog (SipcastCall   *self,
                                  SipcastDialog *dialog);

/* sipcast-call-sdp.c */

/* The media session follows @answer (taken): started on the first SDP
 * from the far end, updated when a later one differs. */
gboolean sipcast_call_follow_remote_sdp (SipcastCall       *self,
                                         SipcastSdpAnswer  *answer,
                                         GError           **error);
/* The audio of @sdp, or NULL with @error set ("No common codecs" as
 * SIPCAST_ERROR_NO_COMMON_CODEC). */
SipcastSdpAnswer *sipcast_call_parse_remote_sdp (SipcastCall  *self,
                                                 const char   *sdp,
                                                 GError      **error);
/* The dialog's "reinvite", "reinvite-ack" and "refreshed". */
void     sipcast_call_dialog_reinvite_cb (SipcastDialog *dialog,
                                          const char    *sdp,
                                          gpointer       user_data);
void     sipcast_call_dialog_reinvite_ack_cb (SipcastDialog *dialog,
                                              const char    *sdp,
                                              gpointer       user_data);
void     sipcast_call_dialog_refreshed_cb (SipcastDialog *dialog,
                                           int            status,
                                           const char    *sdp,
                                           gpointer       user_data);

/* sipcast-call-inject.c */

void     sipcast_call_injection_free (gpointer data);
/* The media session's "source-ended" and "source-failed". */
void     sipcast_call_media_source_ended_cb (SipcastMediaSession *media,
                                             const char          *id,
                                             guint64              end,
                                             gpointer             user_data);
void     sipcast_call_media_source_failed_cb (SipcastMediaSession *media,
                                              const char          *id,
                                              gpointer             user_data);

/* sipcast-call.c: "injection-ended" (kind "stream" or "sound", its name). */
void     sipcast_call_emit_injection_ended (SipcastCall *self,
                                            const char  *kind,
                                            const char  *name);

G_END_DECLS

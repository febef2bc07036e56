/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-call"

#include "config.h"
#include "sipcast-call-internal.h"
#include "sipcast-enums.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>
#include <sofia-sip/sip_status.h>

/*
 * The call's life: NEW → (INVITE sent) → TRYING/RING/… → ESTABLISHED →
 * FINISH, or BUSY/FAILED.  Its SipcastDialog does the SIP; the dialog's
 * signals (responses, the answer, the end) drive the status; the media
 * session is created with the call (so its ports are in the offer) and
 * started on the answer.  A call is "done" once its status is final and
 * its media has finished; the registry keeps it findable after that.
 */

enum {
  PROP_0,
  PROP_STATUS,
  PROP_RTMP_STATUS,
  N_PROPS
};

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_DONE,
  SIGNAL_DTMF_RECEIVED,
  SIGNAL_INJECTION_ENDED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (SipcastCall, sipcast_call, G_TYPE_OBJECT)

static void
check_done (SipcastCall *self)
{
  if (self->done || !sipcast_call_status_is_final (self->status))
    return;
  if (self->media != NULL && !sipcast_media_session_is_finished (self->media))
    return;

  self->done = TRUE;
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

void
sipcast_call_set_status (SipcastCall       *self,
                         SipcastCallStatus  status,
                         guint              sip_status,
                         const char        *info)
{
  SipcastCallStatus old = self->status;

  if (sip_status != 0)
    self->sip_status = sip_status;
  if (info != NULL && g_strcmp0 (info, self->status_info) != 0) {
    g_free (self->status_info);
    self->status_info = g_strdup (info);
  }

  if (old == status)
    return;
  /* A final status is final: late responses must not revive a call. */
  if (sipcast_call_status_is_final (old))
    return;

  self->status = status;
  g_message (_("call %s: %s → %s (%u%s%s)"), self->params->call_id,
             sipcast_call_status_to_string (old), sipcast_call_status_to_string (status),
             self->sip_status, self->status_info ? ", " : "",
             self->status_info ? self->status_info : "");

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, status, old);

  if (sipcast_call_status_is_final (status)) {
    /* What the call holds goes when it ends, not when it is dropped
     * ([calls] ended-call-ttl later); the media's ports go with the
     * media session. */
    g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);
    g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
    g_hash_table_remove_all (self->injected_streams);
    g_hash_table_remove_all (self->looping_sounds);
    g_hash_table_remove_all (self->playing_sounds);
    if (self->media != NULL)
      sipcast_media_session_stop (self->media);
    if (self->registration != NULL)
      sipcast_registration_stop (self->registration);
    check_done (self);
  }
}

/* The one setter of rtmpStreamStatus; @info replaces rtmpStreamStatusInfo
 * (NULL clears it). */
static void
set_rtmp_status (SipcastCall       *self,
                 SipcastRtmpStatus  status,
                 const char        *info)
{
  gboolean changed = status != self->rtmp_status;

  if (g_strcmp0 (info, self->rtmp_status_info) != 0) {
    g_free (self->rtmp_status_info);
    self->rtmp_status_info = g_strdup (info);
    changed = TRUE;
  }
  if (!changed)
    return;

  if (status != self->rtmp_status)
    g_message (_("call %s: %s → %s%s%s"), self->params->call_id,
               sipcast_rtmp_status_to_string (self->rtmp_status),
               sipcast_rtmp_status_to_string (status),
               info != NULL ? ": " : "", info != NULL ? info : "");
  self->rtmp_status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RTMP_STATUS]);
}

static void
media_rtmp_status_cb (SipcastMediaSession *media,
                      GParamSpec          *pspec,
                      gpointer             user_data)
{
  set_rtmp_status (SIPCAST_CALL (user_data), sipcast_media_session_get_rtmp_status (media),
                   sipcast_media_session_get_rtmp_status_info (media));
}

/* The call is over: a stream still waiting to start never will
 * (RTMP_CONNECTION_FAILED: "was not established"); one that was active or
 * lost keeps that last word. */
static void
settle_rtmp_status (SipcastCall *self)
{
  if (self->rtmp_status == SIPCAST_RTMP_STATUS_WAIT)
    set_rtmp_status (self, SIPCAST_RTMP_STATUS_CONNECTION_FAILED,
                     self->rtmp_status_info != NULL ? self->rtmp_status_info :
                     "The call ended before publishing started");
}

static void
media_error_cb (SipcastMediaSession *media,
                const char          *reason,
                gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  g_warning (_("call %s: media failed: %s"), self->params->call_id, reason);
  if (sipcast_call_status_is_final (self->status))
    return;

  /* Without its stream the call has no purpose: hang up and say why. */
  g_free (self->pending_failure);
  self->pending_failure = g_strdup (self->target != NULL ?
                                    "Failed by RTMP writer error" :
                                    "Failed by media error");
  sipcast_call_hangup (self);
}

static void
media_finished_cb (SipcastMediaSession *media,
                   gpointer             user_data)
{
  settle_rtmp_status (SIPCAST_CALL (user_data));
  check_done (SIPCAST_CALL (user_data));
}

/* Ends the call after the far end or we hung up an answered call. */
static void
end_answered (SipcastCall *self)
{
  if (self->pending_failure != NULL)
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, 0, self->pending_failure);
  else
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FINISH, 0, NULL);
}

/* "Failed by request timeout", with the reason when the INVITE went over
 * TLS and sofia-sip refused the peer meanwhile: it only lets the
 * transaction time out. */
static char *
request_timeout_info (SipcastCall *self)
{
  g_autofree char *tls_failure = NULL;

  if (self->over_tls)
    tls_failure = sipcast_sip_agent_tls_failure_since (self->invite_sent_at);
  if (tls_failure != NULL)
    return g_strdup_printf ("Failed by request timeout (TLS: %s)", tls_failure);
  return g_strdup ("Failed by request timeout");
}

void
sipcast_call_hangup_failed (SipcastCall *self,
                            const char  *status_info)
{
  g_return_if_fail (SIPCAST_IS_CALL (self));

  if (sipcast_call_status_is_final (self->status))
    return;
  g_free (self->pending_failure);
  self->pending_failure = g_strdup (status_info);
  sipcast_call_hangup (self);
}

/* The far end sent a DTMF digit (RFC 4733). */
static void
media_dtmf_received_cb (SipcastMediaSession *media,
                        const char          *digit,
                        gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  g_message (_("call %s: DTMF %s received"), self->params->call_id, digit);
  g_string_append (self->dtmf_received, digit);
  g_signal_emit (self, signals[SIGNAL_DTMF_RECEIVED], 0, digit, "RFC2833");
}

/* The far end sent a DTMF digit in a SIP INFO. */
static void
dialog_info_dtmf_cb (SipcastDialog *dialog,
                     const char    *digit,
                     gpointer       user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  g_message (_("call %s: DTMF %s received by SIP INFO"), self->params->call_id, digit);
  g_string_append (self->dtmf_received, digit);
  g_signal_emit (self, signals[SIGNAL_DTMF_RECEIVED], 0, digit, "INFO");
}

void
sipcast_call_emit_injection_ended (SipcastCall *self,
                                   const char  *kind,
                                   const char  *name)
{
  g_signal_emit (self, signals[SIGNAL_INJECTION_ENDED], 0, kind, name);
}

void
sipcast_call_create_media (SipcastCall         *self,
                           const SipcastConfig *config,
                           GSocket             *rtp,
                           GSocket             *rtcp)
{
  const SipcastProfile *profile = self->params->rtmp_profile != NULL ?
                                   sipcast_profile_find (self->params->rtmp_profile) : NULL;
  SipcastConfig *own = profile != NULL ? sipcast_config_with_profile (config, profile) : NULL;

  self->config = config;
  /* A [route]'s profile: the media session gets a configuration of its
   * own, which lives as long as it does. */
  self->media = sipcast_media_session_new (own != NULL ? own : config, self->params->call_id,
                                           rtp, rtcp);
  if (own != NULL)
    g_object_set_data_full (G_OBJECT (self->media), "sipcast-profile-config", own,
                            (GDestroyNotify) sipcast_config_free);
  g_signal_connect (self->media, "notify::rtmp-status", G_CALLBACK (media_rtmp_status_cb), self);
  g_signal_connect (self->media, "error", G_CALLBACK (media_error_cb), self);
  g_signal_connect (self->media, "finished", G_CALLBACK (media_finished_cb), self);
  g_signal_connect (self->media, "source-ended", G_CALLBACK (sipcast_call_media_source_ended_cb), self);
  g_signal_connect (self->media, "source-failed", G_CALLBACK (sipcast_call_media_source_failed_cb), self);
  g_signal_connect (self->media, "dtmf-received", G_CALLBACK (media_dtmf_received_cb), self);
}

gboolean
sipcast_call_allocate_video (SipcastCall     *self,
                             SipcastPortPool *ports)
{
  g_autoptr (GSocket) rtp = NULL;
  g_autoptr (GSocket) rtcp = NULL;
  g_autoptr (GError) error = NULL;

  if (!sipcast_port_pool_allocate (ports, &rtp, &rtcp, &error)) {
    g_message (_("call %s: no video: %s"), self->params->call_id, error->message);
    return FALSE;
  }
  sipcast_media_session_set_video_sockets (self->media, rtp, rtcp);
  return TRUE;
}

/* The media session's ports, the configured audio codecs, and a video
 * line when video has ports.
 * SPEC.md: hasAudio=false (hasVideo=false) makes the line recvonly.  The
 * far end's video is published either way (recvonly is what we
 * receive): hasVideo only says whether we would send video back, and
 * sipcast sends none. */
/* The call's SRTP mode and our keys, made once, before the first offer:
 * an outgoing call's "srtp", else [media] srtp. */
static void
prepare_srtp (SipcastCall *self)
{
  if (self->srtp_prepared)
    return;
  self->srtp_prepared = TRUE;
  if (!self->incoming && self->params->srtp >= 0)
    self->srtp_mode = (SipcastSrtpMode) self->params->srtp;
  else
    self->srtp_mode = (SipcastSrtpMode) self->config->srtp;
  if (self->srtp_mode != SIPCAST_SRTP_OFF) {
    sipcast_srtp_policy_offer_keys (self->srtp_audio);
    sipcast_srtp_policy_offer_keys (self->srtp_video);
  }
}

void
sipcast_call_write_offer (SipcastCall               *self,
                          const char                *address,
                          const SipcastCodec *const *audio_codecs)
{
  SipcastSdpOfferParams offer = { 0 };

  prepare_srtp (self);
  offer.address = address;
  offer.session_id = (guint64) g_get_real_time ();
  offer.session_version = ++self->sdp_version;
  offer.audio_port = sipcast_media_session_get_rtp_port (self->media);
  offer.audio_direction = self->params->has_audio ? SIPCAST_SDP_SENDRECV : SIPCAST_SDP_RECVONLY;
  offer.audio_codecs = audio_codecs;
  offer.video_port = sipcast_media_session_get_video_rtp_port (self->media);
  offer.video_direction = self->params->has_video ? SIPCAST_SDP_SENDRECV : SIPCAST_SDP_RECVONLY;
  if (self->srtp_mode != SIPCAST_SRTP_OFF) {
    offer.audio_crypto = self->srtp_audio;
    offer.video_crypto = self->srtp_video;
    offer.n_crypto = SIPCAST_SRTP_N_OFFERED;
    offer.savp = self->srtp_mode == SIPCAST_SRTP_MANDATORY;
  }
  g_free (self->local_sdp);
  self->local_sdp = sipcast_sdp_build_offer (&offer);
}

/* A 1xx with SDP: the far end sends early media (ringback, an
 * announcement), published like the call's own from now on. */
static void
handle_early_media (SipcastCall *self)
{
  g_autoptr (GError) error = NULL;
  SipcastSdpAnswer *answer;

  if (self->media_answer != NULL || sipcast_dialog_is_ending (self->dialog))
    return;
  answer = sipcast_call_parse_remote_sdp (self, self->remote_sdp, &error);
  if (answer == NULL || !sipcast_call_follow_remote_sdp (self, answer, &error))
    /* The 200 may still bring a usable answer. */
    g_message (_("call %s: early media not followed: %s"), self->params->call_id,
               error->message);
}

/* The INVITE has left: nua absorbs "100 Trying", so this is what moves a
 * call from NEW (accepted, not yet sent) to TRYING. */
static void
dialog_calling_cb (SipcastDialog *dialog,
                   gpointer       user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  if (self->status == SIPCAST_CALL_STATUS_NEW || self->status == SIPCAST_CALL_STATUS_PENDING)
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_TRYING, 0, NULL);
}

static void
dialog_progress_cb (SipcastDialog *dialog,
                    int            status,
                    const char    *sdp,
                    gpointer       user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  /* The owner of the call may drop it on a status change. */
  g_autoptr (SipcastCall) guard G_GNUC_UNUSED = g_object_ref (self);

  if (sdp != NULL) {
    g_free (self->remote_sdp);
    self->remote_sdp = g_strdup (sdp);
  }
  if (status == 100) {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_TRYING, status, NULL);
  } else if (sdp != NULL) {
    handle_early_media (self);
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_RING_MEDIA, status, NULL);
  } else if (status == 183) {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_SESSION_PROGRESS, status, NULL);
  } else {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_RING, status, NULL);
  }
}

/* The answer to our offer: in the 200 to our INVITE, or in the ACK to our
 * 200 that offered. */
static void
dialog_answer_cb (SipcastDialog *dialog,
                  int            status,
                  const char    *sdp,
                  gpointer       user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  /* The owner of the call may drop it on a status change. */
  g_autoptr (SipcastCall) guard G_GNUC_UNUSED = g_object_ref (self);
  g_autoptr (GError) error = NULL;
  SipcastSdpAnswer *answer;

  self->sip_status = status;
  g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);

  if (sdp != NULL) {
    g_free (self->remote_sdp);
    self->remote_sdp = g_strdup (sdp);
  }

  /* A 200 that crossed our CANCEL: the dialog has sent the BYE. */
  if (sipcast_dialog_is_ending (dialog))
    return;

  /* Without SDP of its own the 200 confirms the early SDP. */
  answer = sipcast_call_parse_remote_sdp (self, self->remote_sdp, &error);
  if (answer != NULL)
    sipcast_call_follow_remote_sdp (self, answer, &error);

  if (error != NULL) {
    gboolean no_codec = g_error_matches (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);

    g_warning (_("call %s: %s"), self->params->call_id, error->message);
    g_free (self->pending_failure);
    self->pending_failure = g_strdup (no_codec ? "No common codecs" : error->message);
    /* What we would have answered an offer without a codec of ours. */
    if (no_codec)
      self->sip_status = 488;
    sipcast_dialog_hangup (dialog);
    return;
  }

  sipcast_call_set_status (self, SIPCAST_CALL_STATUS_ESTABLISHED, status, NULL);
  sipcast_media_session_watch_rtp (self->media);
}

/* An incoming call: the ACK of our 200 (or nua's "ready") establishes
 * it; an answer in the ACK comes as "answer" instead. */
static void
dialog_state_changed_cb (SipcastDialog      *dialog,
                         SipcastDialogState  state,
                         SipcastDialogState  old,
                         gpointer            user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  /* The owner of the call may drop it on a status change. */
  g_autoptr (SipcastCall) guard G_GNUC_UNUSED = g_object_ref (self);

  if (state == SIPCAST_DIALOG_STATE_ESTABLISHED && old == SIPCAST_DIALOG_STATE_ACCEPTED) {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_ESTABLISHED, 0, NULL);
    sipcast_media_session_watch_rtp (self->media);
  }
}

/* statusInfo for a final answer that is about our credentials, NULL when
 * @status is not. */
static const char *
auth_failure_info (SipcastCall *self,
                   int          status)
{
  gboolean auth_tried = sipcast_dialog_get_auth_tried (self->dialog);

  if (status == 401 || status == 407)
    return auth_tried ? "Authentication failed" :
           self->params->sip_password == NULL ? "Authentication required, no sipPassword given" :
           "Authentication failed";
  if (status == 403 && auth_tried)
    return "Authentication failed";
  return NULL;
}

/* Our INVITE was refused (after the digest retries). */
static void
dialog_failed_cb (SipcastDialog *dialog,
                  int            status,
                  const char    *phrase,
                  gpointer       user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  /* The owner of the call may drop it on a status change. */
  g_autoptr (SipcastCall) guard G_GNUC_UNUSED = g_object_ref (self);

  if (auth_failure_info (self, status) != NULL) {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, status, auth_failure_info (self, status));
  } else if (status == 486 || status == 600) {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_BUSY, status, phrase);
  } else if (status == 487 && self->timed_out) {
    /* Our no-answer timeout cancelled it: to the client a timeout. */
    g_autofree char *info = request_timeout_info (self);

    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, 408, info);
  } else if (status == 487 && sipcast_dialog_is_ending (dialog)) {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, status, "Request terminated");
  } else if (status == 488 || status == 606) {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, status, "No common codecs");
  } else if (status == 408) {
    g_autofree char *info = request_timeout_info (self);

    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, status, info);
  } else if (status == 503) {
    g_autofree char *reason = g_strdup (phrase);

    /* What sofia-sip says when the transport failed (ICMP unreachable,
     * TCP connection refused): nobody answered at all. */
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, status,
                             sipcast_dialog_response_is_local (dialog) ? "Far end unreachable" :
                             reason);
  } else {
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, status, phrase);
  }
}

static void
dialog_terminated_cb (SipcastDialog    *dialog,
                      SipcastDialogEnd  how,
                      int               status,
                      const char       *phrase,
                      gboolean          answered,
                      gpointer          user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  /* The owner of the call may drop it on a status change. */
  g_autoptr (SipcastCall) guard G_GNUC_UNUSED = g_object_ref (self);

  if (answered) {
    end_answered (self);
    return;
  }
  switch (how) {
  case SIPCAST_DIALOG_END_NO_RESPONSE: {
    /* Our CANCEL got nowhere. */
    g_autofree char *timeout_info = self->timed_out ? request_timeout_info (self) : NULL;

    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, self->timed_out ? 408 : 487,
                             self->timed_out ? timeout_info :
                             self->pending_failure ? self->pending_failure : "Request terminated");
    break;
  }
  case SIPCAST_DIALOG_END_BYE:
    end_answered (self);
    break;
  case SIPCAST_DIALOG_END_CANCELLED:
  case SIPCAST_DIALOG_END_STACK:
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, status, phrase);
    break;
  }
}

void
sipcast_call_set_dialog (SipcastCall   *self,
                         SipcastDialog *dialog)
{
  g_return_if_fail (self->dialog == NULL);

  self->dialog = dialog;
  g_signal_connect (dialog, "state-changed", G_CALLBACK (dialog_state_changed_cb), self);
  g_signal_connect (dialog, "calling", G_CALLBACK (dialog_calling_cb), self);
  g_signal_connect (dialog, "progress", G_CALLBACK (dialog_progress_cb), self);
  g_signal_connect (dialog, "answer", G_CALLBACK (dialog_answer_cb), self);
  g_signal_connect (dialog, "failed", G_CALLBACK (dialog_failed_cb), self);
  g_signal_connect (dialog, "reinvite", G_CALLBACK (sipcast_call_dialog_reinvite_cb), self);
  g_signal_connect (dialog, "reinvite-ack", G_CALLBACK (sipcast_call_dialog_reinvite_ack_cb),
                    self);
  g_signal_connect (dialog, "refreshed", G_CALLBACK (sipcast_call_dialog_refreshed_cb), self);
  g_signal_connect (dialog, "terminated", G_CALLBACK (dialog_terminated_cb), self);
  g_signal_connect (dialog, "info-dtmf", G_CALLBACK (dialog_info_dtmf_cb), self);
}

static void
sipcast_call_dispose (GObject *object)
{
  SipcastCall *self = SIPCAST_CALL (object);

  g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);
  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
  if (self->dialog != NULL) {
    g_signal_handlers_disconnect_by_data (self->dialog, self);
    g_clear_object (&self->dialog);
  }
  if (self->media != NULL) {
    g_signal_handlers_disconnect_by_data (self->media, self);
    g_clear_object (&self->media);
  }
  if (self->resolving != NULL) {
    g_cancellable_cancel (self->resolving);
    g_clear_object (&self->resolving);
  }
  if (self->registration != NULL) {
    g_signal_handlers_disconnect_by_data (self->registration, self);
    g_clear_object (&self->registration);
  }
  g_clear_object (&self->agent);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (sipcast_call_parent_class)->dispose (object);
}

static void
sipcast_call_finalize (GObject *object)
{
  SipcastCall *self = SIPCAST_CALL (object);

  /* Ended calls live on for [calls] ended-call-ttl; this is where their
   * memory goes. */
  g_debug ("call %s freed", self->params->call_id);
  g_clear_pointer (&self->params, sipcast_call_params_free);
  g_clear_pointer (&self->target, sipcast_publish_target_free);
  g_free (self->status_info);
  g_free (self->rtmp_status_info);
  g_free (self->caller);
  g_free (self->remote_sdp);
  g_free (self->audio_codec);
  g_free (self->video_codec);
  g_free (self->local_sdp);
  g_free (self->request_uri);
  g_clear_pointer (&self->addresses, sipcast_sip_addresses_free);
  g_clear_pointer (&self->media_answer, sipcast_sdp_answer_free);
  g_free (self->pending_failure);
  g_clear_pointer (&self->incoming_offer, sipcast_sdp_offer_free);
  g_hash_table_unref (self->injected_streams);
  g_hash_table_unref (self->looping_sounds);
  g_hash_table_unref (self->playing_sounds);
  g_string_free (self->dtmf_received, TRUE);

  G_OBJECT_CLASS (sipcast_call_parent_class)->finalize (object);
}

static void
sipcast_call_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  SipcastCall *self = SIPCAST_CALL (object);

  switch (prop_id) {
  case PROP_STATUS:
    g_value_set_enum (value, self->status);
    break;
  case PROP_RTMP_STATUS:
    g_value_set_enum (value, self->rtmp_status);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sipcast_call_class_init (SipcastCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_call_dispose;
  object_class->finalize = sipcast_call_finalize;
  object_class->get_property = sipcast_call_get_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL,
                       SIPCAST_TYPE_CALL_STATUS, SIPCAST_CALL_STATUS_NEW,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RTMP_STATUS] =
    g_param_spec_enum ("rtmp-status", NULL, NULL,
                       SIPCAST_TYPE_RTMP_STATUS, SIPCAST_RTMP_STATUS_NONE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  SIPCAST_TYPE_CALL_STATUS, SIPCAST_TYPE_CALL_STATUS);
  /* Final status reached and media finished: nothing runs any more. */
  signals[SIGNAL_DONE] =
    g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The far end sent a DTMF digit: (digit, method "RFC2833"). */
  signals[SIGNAL_DTMF_RECEIVED] =
    g_signal_new ("dtmf-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* An injected stream or a sound played once has ended: (kind "stream"
   * or "sound", the stream's name or the sound file's name). */
  signals[SIGNAL_INJECTION_ENDED] =
    g_signal_new ("injection-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
sipcast_call_init (SipcastCall *self)
{
  self->created_at = g_get_real_time ();
  self->injected_streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                  sipcast_call_injection_free);
  self->looping_sounds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->playing_sounds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->dtmf_received = g_string_new (NULL);
}

SipcastCall *
sipcast_call_new (SipcastCallParams    *params,
                  SipcastPublishTarget *target,
                  SipcastStream        *stream)
{
  SipcastCall *self;

  g_return_val_if_fail (params != NULL && params->call_id != NULL, NULL);

  self = g_object_new (SIPCAST_TYPE_CALL, NULL);
  self->params = params;
  self->target = target;
  self->stream = stream != NULL ? g_object_ref (stream) : NULL;
  self->caller = g_strdup (params->sip_login ? params->sip_login : SIPCAST_CALL_DEFAULT_LOGIN);
  if (target != NULL)
    self->rtmp_status = SIPCAST_RTMP_STATUS_WAIT;

  return self;
}

/* Before our 200 there is no dialog to BYE: the INVITE is refused. */
static void
decline_incoming (SipcastCall *self)
{
  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
  sipcast_dialog_refuse (self->dialog, SIP_603_DECLINE);
  sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, 603,
              self->pending_failure ? self->pending_failure : "Request terminated");
}

void
sipcast_call_hangup (SipcastCall *self)
{
  g_return_if_fail (SIPCAST_IS_CALL (self));

  if (sipcast_call_status_is_final (self->status))
    return;

  if (self->dialog == NULL ||
      sipcast_dialog_get_state (self->dialog) == SIPCAST_DIALOG_STATE_IDLE ||
      sipcast_dialog_get_state (self->dialog) == SIPCAST_DIALOG_STATE_TERMINATED) {
    /* Never sent (or still registering, which the final status stops):
     * no INVITE on the network to end. */
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, 0,
                self->pending_failure ? self->pending_failure : "Request terminated");
    return;
  }

  if (sipcast_dialog_is_ending (self->dialog))
    return;
  /* Ours is the reason now, whatever the timer would have said. */
  g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);

  if (sipcast_dialog_get_state (self->dialog) == SIPCAST_DIALOG_STATE_INVITE_RECEIVED)
    decline_incoming (self);
  else
    sipcast_dialog_hangup (self->dialog);
}

gboolean
sipcast_call_is_done (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), TRUE);
  return self->done;
}

gboolean
sipcast_call_send_dtmf (SipcastCall     *self,
                        const char      *digits,
                        SipcastDtmfType  type,
                        GError         **error)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);

  if (!sipcast_dtmf_validate (digits, error))
    return FALSE;

  if (self->status != SIPCAST_CALL_STATUS_ESTABLISHED &&
      self->status != SIPCAST_CALL_STATUS_HOLD) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("Call “%s” is %s, DTMF needs an established call"),
                 self->params->call_id, sipcast_call_status_to_string (self->status));
    return FALSE;
  }

  if (type == SIPCAST_DTMF_RFC2833)
    return sipcast_media_session_send_dtmf (self->media, digits, error);

  return sipcast_dialog_send_info_dtmf (self->dialog, digits, type, error);
}

const SipcastCallParams *
sipcast_call_get_params (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->params;
}

const char *
sipcast_call_get_id (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->params->call_id;
}

const SipcastPublishTarget *
sipcast_call_get_publish_target (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->target;
}

SipcastCallStatus
sipcast_call_get_status (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), SIPCAST_CALL_STATUS_FAILED);
  return self->status;
}

SipcastRtmpStatus
sipcast_call_get_rtmp_status (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), SIPCAST_RTMP_STATUS_NONE);
  return self->rtmp_status;
}

guint
sipcast_call_get_sip_status (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), 0);
  return self->sip_status;
}

const char *
sipcast_call_get_rtmp_status_info (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->rtmp_status_info;
}

const char *
sipcast_call_get_status_info (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->status_info;
}

const char *
sipcast_call_get_caller (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->caller;
}

const char *
sipcast_call_get_callee (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->params->callee;
}

const char *
sipcast_call_get_remote_sdp (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->remote_sdp;
}

gboolean
sipcast_call_get_incoming (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);
  return self->incoming;
}

const char *
sipcast_call_get_audio_codec (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->audio_codec;
}

SipcastStream *
sipcast_call_get_stream (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->stream;
}

SipcastMediaSession *
sipcast_call_get_media_session (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->media;
}

gint64
sipcast_call_get_created_at (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), 0);
  return self->created_at;
}

const char *
sipcast_call_get_video_codec (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->video_codec;
}

gboolean
sipcast_call_get_video_size (SipcastCall *self,
                             int         *width,
                             int         *height)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);
  return self->media != NULL && sipcast_media_session_get_video_size (self->media, width, height);
}

const char *
sipcast_call_get_dtmf_received (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), NULL);
  return self->dtmf_received->str;
}

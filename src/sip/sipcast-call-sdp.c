/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-call"

#include "config.h"
#include "sipcast-placeholder.h"
#include <glib/gi18n.h>
#include "sipcast-call-internal.h"
#include "sipcast-error.h"

#include <stdio.h>
#include <sofia-sip/sip_status.h>

/*
 * The far end's SDP as the call's media follows it: the answer (or early
 * media) that starts the media session, and every later description, in
 * a re-INVITE of the far end, in the ACK answering our re-offer, or in
 * the answer to a session refresh: hold and resume, a moved port or
 * address, a changed codec.  What the dialog is told to answer comes from
 * here too.
 */

/* Two descriptions of the far end's audio that the media session would
 * follow the same way. */
static gboolean
same_remote_media (const SipcastSdpMedia *a,
                   const SipcastSdpMedia *b)
{
  return a->codec == b->codec && a->payload_type == b->payload_type &&
         a->telephone_event_pt == b->telephone_event_pt && a->port == b->port &&
         a->rtcp_port == b->rtcp_port && g_strcmp0 (a->address, b->address) == 0;
}

/* Whether the far end's @video (from a later SDP) is somewhere else than
 * the video we receive was: a place our video RTCP has to follow.  Held
 * video (c=0.0.0.0) has no place to go. */
static gboolean
video_moved (SipcastCall           *self,
             const SipcastSdpMedia *video)
{
  const SipcastSdpMedia *current = self->media_answer->video;

  if (video == NULL || current == NULL || !sipcast_media_session_has_video (self->media) ||
      g_strcmp0 (video->address, "0.0.0.0") == 0)
    return FALSE;
  return video->codec != current->codec || video->port != current->port ||
         video->rtcp_port != current->rtcp_port ||
         g_strcmp0 (video->address, current->address) != 0;
}

static void
media_rtp_timeout_cb (SipcastMediaSession *media,
                      gpointer             user_data)
{
  sipcast_call_hangup_failed (SIPCAST_CALL (user_data), "Failed by RTP activity");
}

/* audioCodec, the call's and its named stream's. */
static void
set_audio_codec (SipcastCall        *self,
                 const SipcastCodec *codec)
{
  g_free (self->audio_codec);
  self->audio_codec = g_strdup_printf ("%s/%u", codec->encoding_name, codec->clock_rate);
  if (self->stream != NULL)
    sipcast_stream_set_audio_codec (self->stream, self->audio_codec);
}

static void
keep_crypto (SipcastSdpMedia       *media,
             const SipcastSdpMedia *before)
{
  if (media == NULL || before == NULL)
    return;
  media->has_crypto = before->has_crypto;
  media->crypto = before->crypto;
  media->local_crypto = before->local_crypto;
}

/* Started on the first SDP from the far end (early media or the
 * answer), updated in place when a later one differs, left alone when it
 * is the same. */
/* The picture of the call while it sends no video: its own
 * placeholderVideo (or its route's), else [media] placeholder-video. */
static void
set_placeholder (SipcastCall *self)
{
  const char *value = self->params->placeholder_video != NULL ?
                      self->params->placeholder_video : self->config->placeholder_video;
  g_autoptr (GError) error = NULL;
  g_autofree char *image = NULL;
  SipcastPlaceholderKind kind;

  /* Checked when the call was made, but the image may have gone since. */
  if (!sipcast_placeholder_resolve (self->config->placeholder_dir, "placeholderVideo", value,
                                    &kind, &image, &error)) {
    g_warning (_("call %s: %s: publishing without a placeholder"), self->params->call_id,
               error->message);
    return;
  }
  sipcast_media_session_set_placeholder (self->media, kind, image,
                                         self->params->visible_name != NULL ?
                                         self->params->visible_name : self->caller,
                                         self->params->callee);
}

gboolean
sipcast_call_follow_remote_sdp (SipcastCall       *self,
                                SipcastSdpAnswer  *answer,
                                GError           **error)
{
  g_autoptr (SipcastSdpAnswer) owned = answer;

  if (!sipcast_sdp_media_check_family (answer->audio, self->config->sip_address, error) ||
      (answer->video != NULL &&
       !sipcast_sdp_media_check_family (answer->video, self->config->sip_address, error)))
    return FALSE;

  if (self->media_answer == NULL) {
    set_audio_codec (self, answer->audio->codec);
    set_placeholder (self);
    if (!sipcast_media_session_start (self->media, answer->audio, answer->video, self->target,
                                      self->stream, error))
      return FALSE;
    if (sipcast_media_session_has_video (self->media)) {
      g_free (self->video_codec);
      self->video_codec = g_strdup_printf ("%s/%u", answer->video->codec->encoding_name,
                                           answer->video->codec->clock_rate);
      if (self->stream != NULL)
        sipcast_stream_set_video_codec (self->stream, self->video_codec);
    }
    sipcast_media_session_follow_remote (self->media, answer->audio);
    g_signal_connect (self->media, "rtp-timeout", G_CALLBACK (media_rtp_timeout_cb), self);
  } else if (same_remote_media (self->media_answer->audio, answer->audio) &&
             !video_moved (self, answer->video)) {
    return TRUE;
  } else {
    if (!sipcast_media_session_update_remote (self->media, answer->audio, error))
      return FALSE;
    if (video_moved (self, answer->video) &&
        !sipcast_media_session_update_remote_video (self->media, answer->video, error))
      return FALSE;
    /* The far end changed the codec: the media session followed. */
    if (answer->audio->codec != self->media_answer->audio->codec)
      set_audio_codec (self, answer->audio->codec);
  }

  /* SRTP keys are those of the start of the call, whatever a re-offer
   * says: the media session keeps them. */
  if (self->media_answer != NULL) {
    keep_crypto (answer->audio, self->media_answer->audio);
    keep_crypto (answer->video, self->media_answer->video);
  }
  g_clear_pointer (&self->media_answer, sipcast_sdp_answer_free);
  self->media_answer = g_steal_pointer (&owned);
  return TRUE;
}

SipcastSdpAnswer *
sipcast_call_parse_remote_sdp (SipcastCall  *self,
                               const char   *sdp,
                               GError      **error)
{
  g_autoptr (SipcastSdpAnswer) answer = NULL;

  if (sdp == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP, "answer without SDP");
    return NULL;
  }
  answer = sipcast_sdp_parse_answer (sdp, error);
  if (answer == NULL)
    return NULL;
  if (answer->audio == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         "No common codecs");
    return NULL;
  }
  /* An answer to our offer: its keys must answer ours (SRTP). */
  if (!sipcast_srtp_policy_take_answer (answer->audio, self->srtp_mode, self->srtp_audio, error) ||
      !sipcast_srtp_policy_take_answer (answer->video, self->srtp_mode, self->srtp_video, error))
    return NULL;
  return g_steal_pointer (&answer);
}

/* Our answer to a re-INVITE offer, with the o= version raised only when
 * the description changed (RFC 3264 §8). */
static gboolean
set_local_answer (SipcastCall           *self,
                  const char            *offer,
                  const SipcastSdpMedia *audio,
                  SipcastSdpDirection    direction,
                  const SipcastSdpMedia *video,
                  GError               **error)
{
  SipcastSdpReinviteAnswerParams params = {
    .address = sipcast_sip_agent_get_media_address (self->agent),
    .session_version = self->sdp_version,
    .audio_port = sipcast_media_session_get_rtp_port (self->media),
    .audio_direction = direction,
  };
  g_autofree char *answer = NULL;

  /* Video the call receives stays accepted, answered as audio is (we
   * send none: hasVideo=false answers a sendrecv offer recvonly); held
   * video needs nothing more than that answer.  A call without video
   * refuses it again. */
  if (video != NULL && sipcast_media_session_has_video (self->media)) {
    params.video_port = sipcast_media_session_get_video_rtp_port (self->media);
    params.video_direction = sipcast_sdp_media_answer_direction (video, self->params->has_video);
  } else {
    video = NULL;
  }

  if (self->media_answer != NULL && self->media_answer->audio != NULL &&
      self->media_answer->audio->has_crypto)
    params.audio_crypto = &self->media_answer->audio->local_crypto;
  if (video != NULL && self->media_answer != NULL && self->media_answer->video != NULL &&
      self->media_answer->video->has_crypto)
    params.video_crypto = &self->media_answer->video->local_crypto;

  /* The session id of our offer stays for the whole dialog. */
  if (sscanf (self->local_sdp, "v=0 o=sipcast %" G_GUINT64_FORMAT, &params.session_id) != 1)
    g_warning (_("call %s: no session id in our own SDP"), self->params->call_id);

  answer = sipcast_sdp_build_reinvite_answer (offer, audio, video, &params, error);
  if (answer == NULL)
    return FALSE;
  if (!sipcast_sdp_same_description (answer, self->local_sdp)) {
    g_free (answer);
    params.session_version = ++self->sdp_version;
    answer = sipcast_sdp_build_reinvite_answer (offer, audio, video, &params, error);
  }
  g_free (self->local_sdp);
  self->local_sdp = g_steal_pointer (&answer);
  return TRUE;
}

/* The video codec the call receives, or NULL. */
static const SipcastCodec *
current_video_codec (SipcastCall *self)
{
  if (self->media_answer == NULL || self->media_answer->video == NULL ||
      !sipcast_media_session_has_video (self->media))
    return NULL;
  return self->media_answer->video->codec;
}

/* The far end's SDP @text, in a re-INVITE or in the ACK answering our
 * offer, read against the media in use; NULL with @error when it has no
 * audio codec of ours. */
static SipcastSdpAnswer *
parse_remote_update (SipcastCall  *self,
                     const char   *text,
                     GError      **error)
{
  /* The config loader has validated the names, so this cannot fail. */
  g_autofree const SipcastCodec **audio_codecs =
    sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO,
                                (const char *const *) self->config->audio_codecs, NULL);
  g_autoptr (SipcastSdpAnswer) update =
    sipcast_sdp_parse_reoffer (text, self->media_answer->audio->codec,
                               current_video_codec (self), audio_codecs, error);

  if (update != NULL && update->audio == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         "No common codecs");
    return NULL;
  }
  return g_steal_pointer (&update);
}

/* The far end's new description @text (taken) is in force: held or not. */
static void
adopt_remote_update (SipcastCall *self,
                     char        *text,
                     gboolean     held)
{
  g_free (self->remote_sdp);
  self->remote_sdp = text;
  sipcast_media_session_set_held (self->media, held);
  sipcast_call_set_status (self, held ? SIPCAST_CALL_STATUS_HOLD : SIPCAST_CALL_STATUS_ESTABLISHED, 0, NULL);
}

/* Our offer in the 200 to a re-INVITE without SDP: the media in use, in
 * the direction we want it.  Holding is the far end's doing, so a call
 * it held is offered sendrecv again. */
static gboolean
set_local_reoffer (SipcastCall  *self,
                   GError      **error)
{
  return set_local_answer (self, self->remote_sdp, self->media_answer->audio,
                           self->params->has_audio ? SIPCAST_SDP_SENDRECV : SIPCAST_SDP_RECVONLY,
                           self->media_answer->video, error);
}

/* The ACK of a re-INVITE without SDP: its answer to our offer. */
void
sipcast_call_dialog_reinvite_ack_cb (SipcastDialog *dialog,
                                     const char    *sdp,
                                     gpointer       user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  /* The owner of the call may drop it on a status change. */
  g_autoptr (SipcastCall) guard G_GNUC_UNUSED = g_object_ref (self);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpAnswer) answer = NULL;
  g_autofree char *text = g_strdup (sdp);
  gboolean held;

  if (text == NULL) {
    g_message (_("call %s: the ACK has no answer to our offer; the media stays as it was"),
               self->params->call_id);
    return;
  }
  answer = parse_remote_update (self, text, &error);
  held = answer != NULL && sipcast_sdp_media_is_hold (answer->audio);
  if (answer != NULL && !held)
    sipcast_call_follow_remote_sdp (self, g_steal_pointer (&answer), &error);
  if (error != NULL) {
    g_message (_("call %s: the answer in the ACK was not followed: %s"), self->params->call_id,
               error->message);
    return;
  }
  adopt_remote_update (self, g_steal_pointer (&text), held);
}

/* A re-INVITE from the far end: a session refresh (RFC 4028; nua adds
 * the Session-Expires of the answer), hold or resume (RFC 3264 §8.4), or
 * its media moving.  Without SDP it asks for our offer: the media in use,
 * whose answer comes in the ACK. */
void
sipcast_call_dialog_reinvite_cb (SipcastDialog *dialog,
                                 const char    *sdp,
                                 gpointer       user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  /* The owner of the call may drop it on a status change. */
  g_autoptr (SipcastCall) guard G_GNUC_UNUSED = g_object_ref (self);
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpAnswer) offer = NULL;
  g_autofree char *text = g_strdup (sdp);
  gboolean held;

  if (self->media_answer == NULL) {
    sipcast_dialog_accept_reinvite (dialog, self->local_sdp, FALSE);
    return;
  }
  if (text == NULL) {
    if (!set_local_reoffer (self, &error)) {
      g_message (_("call %s: re-INVITE without SDP refused: %s"), self->params->call_id,
                 error->message);
      sipcast_dialog_refuse_reinvite (dialog, SIP_500_INTERNAL_SERVER_ERROR, NULL);
      return;
    }
    sipcast_dialog_accept_reinvite (dialog, self->local_sdp, TRUE);
    return;
  }

  offer = parse_remote_update (self, text, &error);
  held = offer != NULL && sipcast_sdp_media_is_hold (offer->audio);

  /* A moved port or address, a renumbered payload type; held media has
   * nowhere to go. */
  if (offer != NULL && !held)
    sipcast_call_follow_remote_sdp (self, parse_remote_update (self, text, NULL), &error);

  if (offer == NULL || error != NULL ||
      !set_local_answer (self, text, offer->audio,
                         sipcast_sdp_media_answer_direction (offer->audio, self->params->has_audio),
                         offer->video, &error)) {
    g_autofree char *warning = NULL;

    g_message (_("call %s: re-INVITE refused: %s"), self->params->call_id, error->message);
    warning = sipcast_sip_agent_warning (error->message);
    sipcast_dialog_refuse_reinvite (dialog, SIP_488_NOT_ACCEPTABLE, warning);
    return;
  }

  sipcast_dialog_accept_reinvite (dialog, self->local_sdp, FALSE);
  adopt_remote_update (self, g_steal_pointer (&text), held);
}

/* The answer to a re-INVITE of ours (nua's session refresh): the call
 * stays as it is; should the far end have put new media in it, follow. */
void
sipcast_call_dialog_refreshed_cb (SipcastDialog *dialog,
                                  int            status,
                                  const char    *sdp,
                                  gpointer       user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  /* The owner of the call may drop it on a status change. */
  g_autoptr (SipcastCall) guard G_GNUC_UNUSED = g_object_ref (self);
  g_autoptr (GError) error = NULL;
  SipcastSdpAnswer *answer;

  if (sdp == NULL || self->status != SIPCAST_CALL_STATUS_ESTABLISHED)
    return;
  answer = sipcast_call_parse_remote_sdp (self, sdp, &error);
  if (answer == NULL || !sipcast_call_follow_remote_sdp (self, answer, &error))
    g_message (_("call %s: media of the refresh not followed: %s"), self->params->call_id,
               error->message);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-call"

#include "config.h"
#include <glib/gi18n.h>
#include "sipcast-call-internal.h"
#include "sipcast-error.h"

#include <sofia-sip/sip_status.h>

/*
 * Answering an INVITE the call registry routed to a new call: the far
 * end's offer read and answered (or, without one, ours in the 200), RTP
 * ports and the media session, 180 and, after the route's ring-time, the
 * 200.  From then on the call is like an outgoing one: its dialog reports
 * the ACK, re-INVITEs and the BYE.
 */

SipcastCall *
sipcast_call_new_incoming (SipcastCallParams    *params,
                           SipcastPublishTarget *target,
                           SipcastStream        *stream,
                           const char           *caller)
{
  SipcastCall *self = sipcast_call_new (params, target, stream);

  self->incoming = TRUE;
  g_free (self->caller);
  self->caller = g_strdup (caller);
  return self;
}

/* Starts the media for the offer we answered. */
static gboolean
start_incoming_media (SipcastCall  *self,
                      GError      **error)
{
  g_autoptr (SipcastSdpOffer) offer = g_steal_pointer (&self->incoming_offer);
  SipcastSdpAnswer *remote = g_new0 (SipcastSdpAnswer, 1);

  /* The lines we answered, read as the far end's media (the codec we
   * chose, the direction the reverse of what we answered), so that
   * re-INVITEs, hold and symmetric RTP follow them as they follow an
   * answer to our offer.  Taken from the offer as parsed for our answer,
   * not parsed anew: a video line we refused (SRTP, H.263, no free
   * ports) is then no concern of the media. */
  remote->audio = g_steal_pointer (&offer->audio->chosen);
  if (offer->video != NULL && sipcast_media_session_get_video_rtp_port (self->media) != 0)
    remote->video = g_steal_pointer (&offer->video->chosen);
  return sipcast_call_follow_remote_sdp (self, remote, error);
}

/* Our 200: our answer, or our offer when the INVITE had none (and the
 * media then starts with the answer in the ACK). */
static void
send_incoming_ok (SipcastCall *self)
{
  sipcast_dialog_accept (self->dialog, self->local_sdp, self->media_answer == NULL);
  self->sip_status = 200;
}

static gboolean
ring_timeout_cb (gpointer user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  g_autoptr (GError) error = NULL;

  self->ring_timeout_id = 0;
  if (self->incoming_offer != NULL && !start_incoming_media (self, &error)) {
    g_warning (_("call %s: %s"), self->params->call_id, error->message);
    sipcast_dialog_refuse (self->dialog, SIP_500_INTERNAL_SERVER_ERROR);
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, 500, error->message);
    return G_SOURCE_REMOVE;
  }
  send_incoming_ok (self);
  return G_SOURCE_REMOVE;
}

/* The offered @video (the line we can take) gets a port pair of its
 * own and our answer, as an outgoing call's offer does: received and
 * published whatever has-video says, which only says whether the far end
 * may expect video back (sendrecv, or recvonly to a sendrecv offer). */
static void
answer_incoming_video (SipcastCall            *self,
                       SipcastPortPool        *ports,
                       SipcastSdpMedia        *video,
                       SipcastSdpAnswerParams *answer)
{
  if (!sipcast_call_allocate_video (self, ports))
    return;
  answer->video_port = sipcast_media_session_get_video_rtp_port (self->media);
  answer->video_direction = sipcast_sdp_answer_direction (video->direction,
                                                          self->params->has_video);
  /* As for audio: the far end's direction is the reverse of ours. */
  video->direction = sipcast_sdp_direction_reverse (answer->video_direction);
}

gboolean
sipcast_call_answer_incoming (SipcastCall         *self,
                              const SipcastConfig *config,
                              SipcastSipAgent     *agent,
                              SipcastPortPool     *ports,
                              nua_handle_t        *nh,
                              const sip_t         *sip,
                              guint                ring_time_ms,
                              GError             **error)
{
  g_autofree const SipcastCodec **audio_codecs = NULL;
  g_autoptr (SipcastSdpOffer) offer = NULL;
  g_autoptr (GSocket) rtp = NULL;
  g_autoptr (GSocket) rtcp = NULL;
  SipcastSdpMedia *audio;
  SipcastSdpAnswerParams answer = { 0 };
  gboolean offering;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);
  g_return_val_if_fail (self->incoming && self->dialog == NULL, FALSE);

  /* The config loader has validated the names, so this cannot fail. */
  audio_codecs = sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO,
                                             (const char *const *) config->audio_codecs, NULL);

  if (sip->sip_payload != NULL && sip->sip_payload->pl_len > 0)
    self->remote_sdp = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  if (self->remote_sdp != NULL) {
    /* Video is taken only to be published: a route without rtmp-url
     * refuses it (port 0), as a call without rtmpUrl receives none. */
    offer = sipcast_sdp_parse_offer (self->remote_sdp, audio_codecs,
                                     self->target != NULL ?
                                     sipcast_codec_list (SIPCAST_MEDIA_VIDEO) : NULL,
                                     error);
    if (offer == NULL)
      return FALSE;
    if (offer->audio == NULL) {
      g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                           "No common codecs");
      return FALSE;
    }
    /* Refused now (488), not when the media fails to start (a 500, or
     * after ringing). */
    if (!sipcast_sdp_media_check_family (offer->audio->chosen, config->sip_address, error) ||
        (offer->video != NULL &&
         !sipcast_sdp_media_check_family (offer->video->chosen, config->sip_address, error)))
      return FALSE;
    self->srtp_prepared = TRUE;
    self->srtp_mode = (SipcastSrtpMode) config->srtp;
    if (!sipcast_srtp_policy_answer_offer (offer->audio->chosen, offer->audio->proto,
                                           self->srtp_mode, error) ||
        (offer->video != NULL &&
         !sipcast_srtp_policy_answer_offer (offer->video->chosen, offer->video->proto,
                                            self->srtp_mode, error)))
      return FALSE;
  }

  offering = offer == NULL;
  if (!sipcast_port_pool_allocate (ports, &rtp, &rtcp, error))
    return FALSE;

  sipcast_call_create_media (self, config, rtp, rtcp);

  if (offer == NULL) {
    /* A delayed offer (RFC 3261 §13.2.1): we offer in the 200, as an
     * outgoing call offers in its INVITE, and the ACK brings the answer,
     * which the call takes as it takes a 200's. */
    /* Video as an outgoing call offers it, when the route publishes. */
    if (self->target != NULL)
      sipcast_call_allocate_video (self, ports);
    sipcast_call_write_offer (self, sipcast_sip_agent_get_media_address (agent), audio_codecs);
    answer.audio_port = sipcast_media_session_get_rtp_port (self->media);
    answer.video_port = sipcast_media_session_get_video_rtp_port (self->media);
  } else {
    audio = offer->audio->chosen;
    /* The media session reads the far end's direction to decide whether
     * to send: after our answer that is the reverse of what we answered. */
    answer.audio_direction = sipcast_sdp_answer_direction (audio->direction,
                                                           self->params->has_audio);
    audio->direction = sipcast_sdp_direction_reverse (answer.audio_direction);
    answer.address = sipcast_sip_agent_get_media_address (agent);
    answer.session_id = (guint64) g_get_real_time ();
    answer.session_version = ++self->sdp_version;
    answer.audio_port = sipcast_media_session_get_rtp_port (self->media);
    if (offer->video != NULL)
      answer_incoming_video (self, ports, offer->video->chosen, &answer);
    self->local_sdp = sipcast_sdp_build_answer (offer, &answer);

    self->incoming_offer = g_steal_pointer (&offer);

    /* Answering at once: media first, as it may fail, and then the
     * caller gets an error response instead of a call that publishes
     * nothing.  After a ring-time it starts when the 200 goes out, so a
     * call that is never answered is never published. */
    if (ring_time_ms == 0 && !start_incoming_media (self, error)) {
      g_signal_handlers_disconnect_by_data (self->media, self);
      g_clear_object (&self->media);
      return FALSE;
    }
  }

  self->agent = g_object_ref (agent);
  sipcast_call_set_dialog (self, sipcast_dialog_new_incoming (agent, config,
                                                              self->params->call_id, nh, sip));

  g_message (_("call %s: incoming from %s to %s (RTP port %u%s%s)"),
             self->params->call_id, self->caller, self->params->callee, answer.audio_port,
             answer.video_port != 0 ? ", video" : "",
             offering ? ", offering in the 200" : "");
  sipcast_dialog_ring (self->dialog);
  sipcast_call_set_status (self, SIPCAST_CALL_STATUS_RING, 180, NULL);
  if (ring_time_ms > 0)
    self->ring_timeout_id = g_timeout_add (ring_time_ms, ring_timeout_cb, self);
  else
    send_incoming_ok (self);
  return TRUE;
}

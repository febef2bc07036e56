/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-call"

#include "config.h"
#include "sipcast-call-private.h"
#include "sipcast-digest.h"
#include "sipcast-enums.h"
#include "sipcast-dtmf.h"
#include "sipcast-error.h"
#include "sipcast-media-session.h"
#include "sipcast-sdp.h"
#include "sipcast-registration.h"
#include "sipcast-sip-address.h"

#include <glib/gi18n.h>
#include <string.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_addr.h>

/*
 * The call's life: NEW → (INVITE sent) → TRYING/RING/… → ESTABLISHED →
 * FINISH, or BUSY/FAILED.  SIP responses drive the status; the media
 * session is created with the call (so its ports are in the offer) and
 * started on the answer.  A call is "done" once its status is final and
 * its media has finished; the registry keeps it findable after that.
 */

#define DEFAULT_LOGIN "sipcast"

enum {
  PROP_0,
  PROP_STATUS,
  PROP_RTMP_STATUS,
  N_PROPS
};

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_DONE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

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
  nua_handle_t *nh;
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
  /* The far end's media the session follows: set when the media starts
   * (on early SDP or the answer), replaced by re-INVITEs. */
  SipcastSdpAnswer *media_answer;
  guint hangup_guard_id;  /* ends the call should a CANCEL/BYE get nowhere */

  guint no_answer_timeout_id;
  gboolean answered;
  gboolean hangup_requested;
  gboolean timed_out;
  gboolean auth_tried;
  GPtrArray *answered_realms;  /* "scheme:realm" each challenge answered once */
  char *pending_failure;   /* statusInfo for the FAILED that follows our BYE */

  /* What is mixed into the send direction: injected streams by name
   * (their appsrc, to unsubscribe), and looping sound files by source id
   * (the path, to start them again at EOS). */
  GHashTable *injected_streams;   /* stream name → Injection */
  GHashTable *looping_sounds;     /* source id → path */
  guint next_sound;

  /* SIP INFO DTMF: digits not yet sent, one INFO in flight at a time so
   * the far end sees them in order. */
  GString *info_digits;
  SipcastDtmfType info_type;
  gboolean info_in_flight;
  gboolean done;

  /* A re-INVITE without SDP got our offer in the 200: the far end's
   * answer comes in the ACK. */
  gboolean reoffer_in_ack;

  /* Came in as an INVITE to us (sipcast_call_answer_incoming). */
  gboolean incoming;
  /* It had no SDP: we offered in the 200, the answer comes in the ACK. */
  gboolean answer_in_ack;
  /* The ACK of our 200 to the INVITE came: later ACKs are re-INVITEs'. */
  gboolean answer_acked;
  /* Our Contact in the dialog, for the transport and address the INVITE
   * came over; nua keeps it for the dialog's later requests and
   * answers. */
  char *incoming_contact;
  /* Ringing: the 200 goes out when this fires (route ring-time), and
   * the media starts then, for the offer kept until then. */
  guint ring_timeout_id;
  SipcastSdpOffer *incoming_offer;
};

static void event_target_iface_init (SipcastEventTargetInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SipcastCall, sipcast_call, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIPCAST_TYPE_EVENT_TARGET,
                                                      event_target_iface_init))

#define STREAM_SOURCE_PREFIX "stream:"
#define SOUND_SOURCE_PREFIX "sound:"

typedef struct {
  SipcastStream *stream;
  GstElement *appsrc;
} Injection;

static void
injection_free (gpointer data)
{
  Injection *injection = data;

  sipcast_stream_unsubscribe (injection->stream, injection->appsrc);
  g_object_unref (injection->stream);
  gst_object_unref (injection->appsrc);
  g_free (injection);
}

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

static void
release_handle (SipcastCall *self)
{
  if (self->nh == NULL)
    return;
  /* After this nua delivers no more events for the handle, so a late
   * response can never reach a call that is being dropped. */
  nua_handle_bind (self->nh, NULL);
  g_clear_pointer (&self->nh, nua_handle_destroy);
}

/* The one setter of the call status.  @info replaces statusInfo when
 * non-NULL. */
static void
set_status (SipcastCall       *self,
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
  g_message ("call %s: %s → %s (%u%s%s)", self->params->call_id,
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
    g_clear_handle_id (&self->hangup_guard_id, g_source_remove);
    g_hash_table_remove_all (self->injected_streams);
    g_hash_table_remove_all (self->looping_sounds);
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
    g_message ("call %s: %s → %s%s%s", self->params->call_id,
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

  g_warning ("call %s: media failed: %s", self->params->call_id, reason);
  if (sipcast_call_status_is_final (self->status))
    return;

  /* Without its stream the call has no purpose: hang up and say why. */
  g_free (self->pending_failure);
  self->pending_failure = g_strdup (self->target != NULL ?
                                    "Failed by RTMP writer error" :
                                    "Failed by media error");
  sipcast_call_hangup (self);
}

static GstElement *
make_sound_source (const char  *path,
                   GError     **error)
{
  g_autoptr (GstElement) bin = NULL;
  g_autoptr (GstElement) file = NULL;
  g_autoptr (GstElement) convert = NULL;
  g_autoptr (GstPad) src = NULL;

  /* decodebin: WAV, MP3, Ogg/Opus, whatever the installed plugins read.
   * Only the output is ghosted by hand: automatic ghosting would also
   * ghost audioconvert's sink, which decodebin links to later. */
  bin = gst_parse_bin_from_description ("filesrc name=file ! decodebin ! audioconvert name=convert",
                                        FALSE, error);
  if (bin == NULL)
    return NULL;
  gst_object_ref_sink (bin);
  file = gst_bin_get_by_name (GST_BIN (bin), "file");
  g_object_set (file, "location", path, NULL);
  convert = gst_bin_get_by_name (GST_BIN (bin), "convert");
  src = gst_element_get_static_pad (convert, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  return g_steal_pointer (&bin);
}

static void
media_source_ended_cb (SipcastMediaSession *media,
                       const char          *id,
                       guint64              end,
                       gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  g_autofree char *old_id = NULL;
  g_autofree char *path = NULL;

  /* The media session removes the source itself once it has played. */
  if (g_str_has_prefix (id, STREAM_SOURCE_PREFIX)) {
    g_message ("call %s: injected stream %s ended", self->params->call_id,
               id + strlen (STREAM_SOURCE_PREFIX));
    g_hash_table_remove (self->injected_streams, id + strlen (STREAM_SOURCE_PREFIX));
    return;
  }

  /* A looping sound goes on, from where this round ends, as a new source
   * (the old one still has its last samples to play). */
  if (!g_hash_table_steal_extended (self->looping_sounds, id, (gpointer *) &old_id,
                                    (gpointer *) &path))
    return;
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *next_id = g_strdup_printf (SOUND_SOURCE_PREFIX "%u", ++self->next_sound);
    g_autoptr (GstElement) source = make_sound_source (path, &error);

    if (source == NULL ||
        !sipcast_media_session_add_source (media, next_id, source, FALSE, end, &error)) {
      g_warning ("call %s: could not loop %s: %s", self->params->call_id, path, error->message);
      return;
    }
    g_hash_table_insert (self->looping_sounds, g_steal_pointer (&next_id), g_steal_pointer (&path));
  }
}

static void
media_source_failed_cb (SipcastMediaSession *media,
                        const char          *id,
                        gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  /* Already removed from the pipeline; forget it, do not restart it. */
  if (g_str_has_prefix (id, STREAM_SOURCE_PREFIX))
    g_hash_table_remove (self->injected_streams, id + strlen (STREAM_SOURCE_PREFIX));
  else
    g_hash_table_remove (self->looping_sounds, id);
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
    set_status (self, SIPCAST_CALL_STATUS_FAILED, 0, self->pending_failure);
  else
    set_status (self, SIPCAST_CALL_STATUS_FINISH, 0, NULL);
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

/* Should the CANCEL or BYE get no answer (a far end gone, a lost 487),
 * the call ends anyway once its transactions have had their time. */
static gboolean
hangup_guard_cb (gpointer user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  self->hangup_guard_id = 0;
  g_message ("call %s: no answer to our %s, ending the call", self->params->call_id,
             self->answered ? "BYE" : "CANCEL");
  if (self->answered) {
    end_answered (self);
  } else {
    g_autofree char *timeout_info = self->timed_out ? request_timeout_info (self) : NULL;

    set_status (self, SIPCAST_CALL_STATUS_FAILED, self->timed_out ? 408 : 487,
                self->timed_out ? timeout_info :
                self->pending_failure ? self->pending_failure : "Request terminated");
  }
  release_handle (self);
  return G_SOURCE_REMOVE;
}

static void
arm_hangup_guard (SipcastCall *self)
{
  /* nta's own timeout (Timer F for the BYE and the CANCEL) fires first
   * as a rule; this is the backstop, e.g. for a CANCEL answered 200 and
   * an INVITE never answered 487. */
  if (self->hangup_guard_id == 0 && self->config != NULL)
    self->hangup_guard_id = g_timeout_add (2 * self->config->transaction_timeout + 1000,
                                             hangup_guard_cb, self);
}

static gboolean
no_answer_timeout_cb (gpointer user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  self->no_answer_timeout_id = 0;
  g_message ("call %s: no answer, cancelling", self->params->call_id);
  self->timed_out = TRUE;
  sipcast_call_hangup (self);
  return G_SOURCE_REMOVE;
}

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

static void
media_rtp_timeout_cb (SipcastMediaSession *media,
                      gpointer             user_data)
{
  sipcast_call_hangup_failed (SIPCAST_CALL (user_data), "Failed by RTP activity");
}

/* The far end sent a DTMF digit (RFC 4733). */
static void
media_dtmf_received_cb (SipcastMediaSession *media,
                        const char          *digit,
                        gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  g_message ("call %s: DTMF %s received", self->params->call_id, digit);
}

/* The call's media session on the ports allocated for it, its signals
 * connected; both directions of call make it the same way. */
static void
create_media (SipcastCall         *self,
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
  g_signal_connect (self->media, "source-ended", G_CALLBACK (media_source_ended_cb), self);
  g_signal_connect (self->media, "source-failed", G_CALLBACK (media_source_failed_cb), self);
  g_signal_connect (self->media, "dtmf-received", G_CALLBACK (media_dtmf_received_cb), self);
}

/* A video port pair for the media session; without one the call goes
 * on with audio only. */
static gboolean
allocate_video (SipcastCall     *self,
                SipcastPortPool *ports)
{
  g_autoptr (GSocket) rtp = NULL;
  g_autoptr (GSocket) rtcp = NULL;
  g_autoptr (GError) error = NULL;

  if (!sipcast_port_pool_allocate (ports, &rtp, &rtcp, &error)) {
    g_message ("call %s: no video: %s", self->params->call_id, error->message);
    return FALSE;
  }
  sipcast_media_session_set_video_sockets (self->media, rtp, rtcp);
  return TRUE;
}

/* Our SDP offer, in self->local_sdp: the media session's ports, the
 * configured audio codecs, and a video line when video has ports.
 * SPEC.md: hasAudio=false (hasVideo=false) makes the line recvonly.  The
 * far end's video is published either way (recvonly is what we
 * receive): hasVideo only says whether we would send video back, and
 * sipcast sends none. */
static void
write_offer (SipcastCall               *self,
             const char                *address,
             const SipcastCodec *const *audio_codecs)
{
  SipcastSdpOfferParams offer = { 0 };

  offer.address = address;
  offer.session_id = (guint64) g_get_real_time ();
  offer.session_version = ++self->sdp_version;
  offer.audio_port = sipcast_media_session_get_rtp_port (self->media);
  offer.audio_direction = self->params->has_audio ? SIPCAST_SDP_SENDRECV : SIPCAST_SDP_RECVONLY;
  offer.audio_codecs = audio_codecs;
  offer.video_port = sipcast_media_session_get_video_rtp_port (self->media);
  offer.video_direction = self->params->has_video ? SIPCAST_SDP_SENDRECV : SIPCAST_SDP_RECVONLY;
  g_free (self->local_sdp);
  self->local_sdp = sipcast_sdp_build_offer (&offer);
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

/* The body (SDP) of @sip as a string, or NULL when it has none. */
static char *
body_of (const sip_t *sip)
{
  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
    return NULL;
  return g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

/* The media session follows @answer (taken): started on the first SDP
 * from the far end (early media or the answer), updated in place when a
 * later one differs, left alone when it is the same. */
static gboolean
follow_remote_sdp (SipcastCall       *self,
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

  g_clear_pointer (&self->media_answer, sipcast_sdp_answer_free);
  self->media_answer = g_steal_pointer (&owned);
  return TRUE;
}

/* The audio of @sdp, or NULL with @error set ("No common codecs" as
 * SIPCAST_ERROR_NO_COMMON_CODEC). */
static SipcastSdpAnswer *
parse_remote_sdp (const char  *sdp,
                  GError     **error)
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
  return g_steal_pointer (&answer);
}

/* A 1xx with SDP: the far end sends early media (ringback, an
 * announcement), published like the call's own from now on. */
static void
handle_early_media (SipcastCall *self)
{
  g_autoptr (GError) error = NULL;
  SipcastSdpAnswer *answer;

  if (self->media_answer != NULL || self->hangup_requested)
    return;
  answer = parse_remote_sdp (self->remote_sdp, &error);
  if (answer == NULL || !follow_remote_sdp (self, answer, &error))
    /* The 200 may still bring a usable answer. */
    g_message ("call %s: early media not followed: %s", self->params->call_id,
               error->message);
}

static void
handle_answer (SipcastCall *self,
               int          status,
               const char  *phrase,
               const sip_t *sip)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sdp = body_of (sip);
  SipcastSdpAnswer *answer;

  self->answered = TRUE;
  self->sip_status = status;
  g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);

  if (sdp != NULL) {
    g_free (self->remote_sdp);
    self->remote_sdp = g_steal_pointer (&sdp);
  }

  if (self->hangup_requested) {
    /* 200 crossed our CANCEL: the call exists now, end it properly. */
    nua_bye (self->nh, TAG_END ());
    return;
  }

  /* Without SDP of its own the 200 confirms the early SDP. */
  answer = parse_remote_sdp (self->remote_sdp, &error);
  if (answer != NULL)
    follow_remote_sdp (self, answer, &error);

  if (error != NULL) {
    gboolean no_codec = g_error_matches (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC);

    g_warning ("call %s: %s", self->params->call_id, error->message);
    g_free (self->pending_failure);
    self->pending_failure = g_strdup (no_codec ? "No common codecs" : error->message);
    /* What we would have answered an offer without a codec of ours. */
    if (no_codec)
      self->sip_status = 488;
    self->hangup_requested = TRUE;
    nua_bye (self->nh, TAG_END ());
    arm_hangup_guard (self);
    return;
  }

  set_status (self, SIPCAST_CALL_STATUS_ESTABLISHED, status, NULL);
  sipcast_media_session_watch_rtp (self->media);
}

static gboolean
try_authenticate (SipcastCall *self,
                  const sip_t *sip)
{
  const char *user;
  g_autofree char *auth = NULL;

  if (self->params->sip_password == NULL)
    return FALSE;

  user = self->params->sip_auth_name ? self->params->sip_auth_name :
         self->params->sip_login ? self->params->sip_login : DEFAULT_LOGIN;
  auth = sipcast_digest_auth_string (sip, user, self->params->sip_password,
                                     self->answered_realms);
  if (auth == NULL)
    return FALSE;
  /* Once per realm: a wrong password must end the call, not loop. */
  self->auth_tried = TRUE;
  nua_authenticate (self->nh, NUTAG_AUTH (auth), TAG_END ());
  return TRUE;
}

/* statusInfo for a final answer that is about our credentials, NULL when
 * @status is not. */
static const char *
auth_failure_info (SipcastCall *self,
                   int          status)
{
  if (status == 401 || status == 407)
    return self->auth_tried ? "Authentication failed" :
           self->params->sip_password == NULL ? "Authentication required, no sipPassword given" :
           "Authentication failed";
  if (status == 403 && self->auth_tried)
    return "Authentication failed";
  return NULL;
}

/* The response being dispatched was made up by the SIP stack itself (a
 * transport error such as ICMP port unreachable, a transaction timeout),
 * not sent by anyone: it was received from no address.  Taking the event
 * to look at it frees it: the sip_t and phrase of the event being
 * dispatched are gone afterwards, so this comes last. */
static gboolean
response_is_local (SipcastCall *self)
{
  nua_saved_event_t saved[1];
  const nua_event_data_t *data;
  su_addrinfo_t *from;
  gboolean local;

  if (!nua_save_event (sipcast_sip_agent_get_nua (self->agent), saved))
    return FALSE;
  data = nua_event_data (saved);
  from = data != NULL && data->e_msg != NULL ? msg_addrinfo (data->e_msg) : NULL;
  local = from == NULL || from->ai_addr == NULL || from->ai_addr->sa_family == AF_UNSPEC;
  nua_destroy_event (saved);
  return local;
}

static void
handle_invite_response (SipcastCall *self,
                        int          status,
                        const char  *phrase,
                        const sip_t *sip)
{
  g_autofree char *sdp = body_of (sip);
  gboolean has_sdp = sdp != NULL;

  if (status < 100)
    return;

  if (status < 200) {
    if (has_sdp) {
      g_free (self->remote_sdp);
      self->remote_sdp = g_steal_pointer (&sdp);
    }
    if (status == 100) {
      set_status (self, SIPCAST_CALL_STATUS_TRYING, status, NULL);
    } else if (has_sdp) {
      handle_early_media (self);
      set_status (self, SIPCAST_CALL_STATUS_RING_MEDIA, status, NULL);
    } else if (status == 183) {
      set_status (self, SIPCAST_CALL_STATUS_SESSION_PROGRESS, status, NULL);
    } else {
      set_status (self, SIPCAST_CALL_STATUS_RING, status, NULL);
    }
    return;
  }

  /* The answer to a re-INVITE of ours (nua's session refresh): the call
   * stays as it is; should the far end have put new media in it, follow. */
  if (self->answered && status < 300) {
    g_autoptr (GError) error = NULL;
    SipcastSdpAnswer *answer;

    if (!has_sdp || self->status != SIPCAST_CALL_STATUS_ESTABLISHED)
      return;
    answer = parse_remote_sdp (sdp, &error);
    if (answer == NULL || !follow_remote_sdp (self, answer, &error))
      g_message ("call %s: media of the refresh not followed: %s", self->params->call_id,
                 error->message);
    return;
  }
  if (self->answered)
    /* A refused refresh: the session goes on until it expires, which
     * nua reports by ending it. */
    return;

  if (status < 300) {
    handle_answer (self, status, phrase, sip);
    return;
  }

  if ((status == 401 || status == 407) && try_authenticate (self, sip))
    return;

  if (auth_failure_info (self, status) != NULL) {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, auth_failure_info (self, status));
  } else if (status == 486 || status == 600) {
    set_status (self, SIPCAST_CALL_STATUS_BUSY, status, phrase);
  } else if (status == 487 && self->timed_out) {
    /* Our no-answer timeout cancelled it: to the client a timeout. */
    g_autofree char *info = request_timeout_info (self);

    set_status (self, SIPCAST_CALL_STATUS_FAILED, 408, info);
  } else if (status == 487 && self->hangup_requested) {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, "Request terminated");
  } else if (status == 488 || status == 606) {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, "No common codecs");
  } else if (status == 408) {
    g_autofree char *info = request_timeout_info (self);

    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, info);
  } else if (status == 503) {
    g_autofree char *reason = g_strdup (phrase);

    /* What sofia-sip says when the transport failed (ICMP unreachable,
     * TCP connection refused): nobody answered at all. */
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status,
                response_is_local (self) ? "Far end unreachable" : reason);
  } else {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, phrase);
  }
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

  /* The session id of our offer stays for the whole dialog. */
  if (sscanf (self->local_sdp, "v=0 o=sipcast %" G_GUINT64_FORMAT, &params.session_id) != 1)
    g_warning ("call %s: no session id in our own SDP", self->params->call_id);

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
  set_status (self, held ? SIPCAST_CALL_STATUS_HOLD : SIPCAST_CALL_STATUS_ESTABLISHED, 0, NULL);
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
static void
handle_reoffer_ack (SipcastCall *self,
                    const sip_t *sip)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpAnswer) answer = NULL;
  g_autofree char *text = NULL;
  gboolean held;

  self->reoffer_in_ack = FALSE;
  text = body_of (sip);
  if (text == NULL) {
    g_message ("call %s: the ACK has no answer to our offer; the media stays as it was",
               self->params->call_id);
    return;
  }
  answer = parse_remote_update (self, text, &error);
  held = answer != NULL && sipcast_sdp_media_is_hold (answer->audio);
  if (answer != NULL && !held)
    follow_remote_sdp (self, g_steal_pointer (&answer), &error);
  if (error != NULL) {
    g_message ("call %s: the answer in the ACK was not followed: %s", self->params->call_id,
               error->message);
    return;
  }
  adopt_remote_update (self, g_steal_pointer (&text), held);
}

/* A re-INVITE from the far end: a session refresh (RFC 4028; nua adds
 * the Session-Expires of the answer), hold or resume (RFC 3264 §8.4), or
 * its media moving.  Without SDP it asks for our offer: the media in use,
 * whose answer comes in the ACK. */
static void
handle_reinvite (SipcastCall *self,
                 const sip_t *sip)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastSdpAnswer) offer = NULL;
  g_autofree char *text = NULL;
  gboolean held;

  if (self->media_answer == NULL) {
    nua_respond (self->nh, SIP_200_OK,
                 SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
                 SIPTAG_PAYLOAD_STR (self->local_sdp),
                 TAG_END ());
    return;
  }
  text = body_of (sip);
  if (text == NULL) {
    if (!set_local_reoffer (self, &error)) {
      g_message ("call %s: re-INVITE without SDP refused: %s", self->params->call_id,
                 error->message);
      nua_respond (self->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END ());
      return;
    }
    self->reoffer_in_ack = TRUE;
    nua_respond (self->nh, SIP_200_OK,
                 SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
                 SIPTAG_PAYLOAD_STR (self->local_sdp),
                 TAG_END ());
    return;
  }

  offer = parse_remote_update (self, text, &error);
  held = offer != NULL && sipcast_sdp_media_is_hold (offer->audio);

  /* A moved port or address, a renumbered payload type; held media has
   * nowhere to go. */
  if (offer != NULL && !held)
    follow_remote_sdp (self, parse_remote_update (self, text, NULL), &error);

  if (offer == NULL || error != NULL ||
      !set_local_answer (self, text, offer->audio,
                         sipcast_sdp_media_answer_direction (offer->audio, self->params->has_audio),
                         offer->video, &error)) {
    g_autofree char *warning = NULL;

    g_message ("call %s: re-INVITE refused: %s", self->params->call_id, error->message);
    warning = sipcast_sip_agent_warning (error->message);
    nua_respond (self->nh, SIP_488_NOT_ACCEPTABLE, SIPTAG_WARNING_STR (warning), TAG_END ());
    return;
  }

  nua_respond (self->nh, SIP_200_OK,
               SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (self->local_sdp),
               TAG_END ());
  adopt_remote_update (self, g_steal_pointer (&text), held);
}

static void
sipcast_call_dispose (GObject *object)
{
  SipcastCall *self = SIPCAST_CALL (object);

  g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);
  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
  g_clear_handle_id (&self->hangup_guard_id, g_source_remove);
  release_handle (self);
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
  g_free (self->incoming_contact);
  g_clear_pointer (&self->addresses, sipcast_sip_addresses_free);
  g_clear_pointer (&self->media_answer, sipcast_sdp_answer_free);
  g_free (self->pending_failure);
  g_clear_pointer (&self->incoming_offer, sipcast_sdp_offer_free);
  g_string_free (self->info_digits, TRUE);
  g_ptr_array_unref (self->answered_realms);
  g_hash_table_unref (self->injected_streams);
  g_hash_table_unref (self->looping_sounds);

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
}

static void
sipcast_call_init (SipcastCall *self)
{
  self->created_at = g_get_real_time ();
  self->info_digits = g_string_new (NULL);
  self->answered_realms = g_ptr_array_new_with_free_func (g_free);
  self->injected_streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                  injection_free);
  self->looping_sounds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
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
  self->caller = g_strdup (params->sip_login ? params->sip_login : DEFAULT_LOGIN);
  if (target != NULL)
    self->rtmp_status = SIPCAST_RTMP_STATUS_WAIT;

  return self;
}

static void
send_invite (SipcastCall *self)
{
  g_message ("call %s: INVITE %s (RTP port %u)", self->params->call_id, self->request_uri,
             sipcast_media_session_get_rtp_port (self->media));
  self->invite_sent_at = g_get_monotonic_time ();
  nua_invite (self->nh,
              NUTAG_URL (self->request_uri),
              SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
              SIPTAG_PAYLOAD_STR (self->local_sdp),
              TAG_END ());

  if (self->no_answer_timeout > 0)
    self->no_answer_timeout_id = g_timeout_add_seconds (self->no_answer_timeout,
                                                        no_answer_timeout_cb, self);
}

/* PENDING until the registrar has accepted us; then the INVITE. */
static void
registration_state_changed_cb (SipcastRegistration      *registration,
                               SipcastRegistrationState  state,
                               SipcastRegistrationState  old,
                               gpointer                  user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  if (self->status != SIPCAST_CALL_STATUS_PENDING)
    return;
  if (state == SIPCAST_REGISTRATION_REGISTERED)
    send_invite (self);
  else if (state == SIPCAST_REGISTRATION_FAILED)
    set_status (self, SIPCAST_CALL_STATUS_FAILED,
                sipcast_registration_get_sip_status (registration),
                sipcast_registration_get_failure (registration));
}

/* Outbound proxy (if any) known: REGISTER first when asked, else the
 * INVITE. */
static gboolean
send_first_request (SipcastCall  *self,
                    GError      **error)
{
  g_autoptr (SipcastSipAddresses) addresses = g_steal_pointer (&self->addresses);

  if (addresses->proxy != NULL) {
    /* A handle parameter (nua_handle() ignores it among its tags): every
     * request of the call, in-dialog ones too, goes to the proxy. */
    nua_set_hparams (self->nh, NUTAG_PROXY (addresses->proxy), TAG_END ());
    g_message ("call %s: through the outbound proxy %s", self->params->call_id,
               addresses->proxy);
  }

  if (self->params->sip_register_required) {
    self->registration = sipcast_registration_new (self->agent, self->config, self->params,
                                                   addresses, self->params->call_id);
    g_signal_connect (self->registration, "state-changed",
                      G_CALLBACK (registration_state_changed_cb), self);
    if (!sipcast_registration_start (self->registration, error))
      return FALSE;
    set_status (self, SIPCAST_CALL_STATUS_PENDING, 0, NULL);
    return TRUE;
  }

  send_invite (self);
  return TRUE;
}

static void
next_hop_resolved_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (SipcastCall) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autolist (GInetAddress) found = NULL;
  g_autofree char *address = NULL;

  found = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->resolving);
  if (sipcast_call_status_is_final (self->status))
    return;

  if (found == NULL) {
    g_autofree char *info = g_strdup_printf ("DNS Error: %s", error->message);

    set_status (self, SIPCAST_CALL_STATUS_FAILED, 503, info);
    return;
  }
  /* The first address of the family we listen on. */
  for (GList *l = found; l != NULL && address == NULL; l = l->next) {
    g_autoptr (GInetAddress) ours = g_inet_address_new_from_string (
      sipcast_sip_agent_get_address (self->agent));

    if (ours == NULL ||
        g_inet_address_get_family (l->data) == g_inet_address_get_family (ours))
      address = g_inet_address_to_string (l->data);
  }
  if (address == NULL)
    address = g_inet_address_to_string (found->data);
  g_message ("call %s: %s is %s", self->params->call_id, self->addresses->next_hop_host,
             address);
  sipcast_sip_addresses_route_via (self->addresses, address);

  if (!send_first_request (self, &error))
    set_status (self, SIPCAST_CALL_STATUS_FAILED, 0, error->message);
}

gboolean
sipcast_call_start (SipcastCall         *self,
                    const SipcastConfig *config,
                    SipcastSipAgent     *agent,
                    SipcastPortPool     *ports,
                    GError             **error)
{
  g_autoptr (GSocket) rtp = NULL;
  g_autoptr (GSocket) rtcp = NULL;
  g_autoptr (SipcastSipAddresses) addresses = NULL;
  g_autofree char *contact = NULL;
  g_autofree const SipcastCodec **audio_codecs = NULL;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);
  g_return_val_if_fail (self->agent == NULL, FALSE);

  addresses = sipcast_sip_addresses_new (self->params, config->sip_transport,
                                         sipcast_sip_agent_get_address (agent), error);
  if (addresses == NULL)
    return FALSE;
  if (g_strcmp0 (addresses->transport, "tls") == 0 && !sipcast_sip_agent_has_tls (agent)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                         _("SIP over TLS is off: it needs a certificate of sipcast's own "
                           "([sip] tls-certificate-dir with agent.pem)"));
    return FALSE;
  }
  if (self->params->sip_register_required && addresses->registrar == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD,
                         _("sipRegisterRequired needs the sipDomain to register in"));
    return FALSE;
  }

  if (!sipcast_port_pool_allocate (ports, &rtp, &rtcp, error))
    return FALSE;

  create_media (self, config, rtp, rtcp);

  allocate_video (self, ports);
  /* The config loader has validated the names, so this cannot fail. */
  audio_codecs = sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO,
                                             (const char *const *) config->audio_codecs, NULL);
  write_offer (self, sipcast_sip_agent_get_media_address (agent), audio_codecs);

  self->request_uri = g_strdup (addresses->request_uri);
  self->over_tls = g_strcmp0 (addresses->transport, "tls") == 0;
  self->no_answer_timeout = config->no_answer_timeout;
  self->agent = g_object_ref (agent);
  contact = sipcast_sip_agent_contact (agent, self->caller, addresses->transport,
                                       g_ascii_strncasecmp (addresses->request_uri, "sips:", 5) == 0);
  self->nh = nua_handle (sipcast_sip_agent_get_nua (agent), SIPCAST_EVENT_TARGET (self),
                         SIPTAG_TO_STR (addresses->request_uri),
                         SIPTAG_FROM_STR (addresses->from),
                         SIPTAG_CONTACT_STR (contact),
                         TAG_END ());
  if (self->nh == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INTERNAL,
                 _("Could not create a SIP handle for %s"), addresses->request_uri);
    g_clear_object (&self->agent);
    return FALSE;
  }
  self->addresses = g_steal_pointer (&addresses);

  if (self->addresses->next_hop_host != NULL) {
    g_autoptr (GResolver) resolver = g_resolver_get_default ();

    /* PENDING while resolving, the host's address is where requests go. */
    set_status (self, SIPCAST_CALL_STATUS_PENDING, 0, NULL);
    self->resolving = g_cancellable_new ();
    g_resolver_lookup_by_name_async (resolver, self->addresses->next_hop_host,
                                     self->resolving, next_hop_resolved_cb,
                                     g_object_ref (self));
    return TRUE;
  }
  return send_first_request (self, error);
}

/* ---- incoming calls ---- */

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

/* What an incoming call's dialog adds to the outgoing one's events: the
 * ACK that establishes it and a CANCEL before our answer.  The rest (BYE
 * either way, re-INVITE, the end of the handle) is the same for both
 * directions.  TRUE when the event was consumed here. */
static gboolean
handle_incoming_event (SipcastCall  *self,
                       nua_event_t   event,
                       int           status,
                       const char   *phrase,
                       const sip_t  *sip,
                       tagi_t        tags[])
{
  switch (event) {
  case nua_i_ack:
    /* The ACK of a re-INVITE: the same for both directions. */
    if (self->answer_acked)
      return FALSE;
    self->answer_acked = TRUE;
    if (self->answer_in_ack) {
      /* Starts the media and sets ESTABLISHED, or hangs up with BYE
       * (FAILED "No common codecs" when the answer takes none).  After
       * a terminate our BYE is on its way already. */
      self->answer_in_ack = FALSE;
      if (!self->hangup_requested)
        handle_answer (self, 200, phrase, sip);
      return TRUE;
    }
    set_status (self, SIPCAST_CALL_STATUS_ESTABLISHED, 0, NULL);
    sipcast_media_session_watch_rtp (self->media);
    return TRUE;

  case nua_i_cancel:
    /* While ringing: nua has answered the INVITE with 487 already. */
    g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
    set_status (self, SIPCAST_CALL_STATUS_FAILED, 487, "Request terminated");
    return TRUE;

  case nua_i_state: {
    int state = nua_callstate_init;

    tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
    /* Ready again after each re-INVITE: only the first time counts. */
    if (state == nua_callstate_ready && !self->answer_acked && !self->answer_in_ack &&
        !self->hangup_requested && self->audio_codec != NULL) {
      set_status (self, SIPCAST_CALL_STATUS_ESTABLISHED, 0, NULL);
      sipcast_media_session_watch_rtp (self->media);
    }
    return FALSE;
  }

  default:
    return FALSE;
  }
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
  return follow_remote_sdp (self, remote, error);
}

static void
send_incoming_ok (SipcastCall *self)
{
  self->answered = TRUE;
  nua_respond (self->nh, SIP_200_OK,
               SIPTAG_CONTACT_STR (self->incoming_contact),
               SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (self->local_sdp),
               TAG_END ());
  self->sip_status = 200;
}

static gboolean
ring_timeout_cb (gpointer user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  g_autoptr (GError) error = NULL;

  self->ring_timeout_id = 0;
  if (self->incoming_offer != NULL && !start_incoming_media (self, &error)) {
    g_warning ("call %s: %s", self->params->call_id, error->message);
    nua_respond (self->nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END ());
    set_status (self, SIPCAST_CALL_STATUS_FAILED, 500, error->message);
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
  if (!allocate_video (self, ports))
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

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);
  g_return_val_if_fail (self->incoming && self->agent == NULL, FALSE);

  /* The config loader has validated the names, so this cannot fail. */
  audio_codecs = sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO,
                                             (const char *const *) config->audio_codecs, NULL);

  self->remote_sdp = body_of (sip);
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
  }

  if (!sipcast_port_pool_allocate (ports, &rtp, &rtcp, error))
    return FALSE;

  create_media (self, config, rtp, rtcp);

  if (offer == NULL) {
    /* A delayed offer (RFC 3261 §13.2.1): we offer in the 200, as an
     * outgoing call offers in its INVITE, and the ACK brings the answer,
     * which handle_answer() takes as it takes a 200's. */
    /* Video as an outgoing call offers it, when the route publishes. */
    if (self->target != NULL)
      allocate_video (self, ports);
    write_offer (self, sipcast_sip_agent_get_media_address (agent), audio_codecs);
    self->answer_in_ack = TRUE;
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
  self->nh = nh;
  nua_handle_bind (nh, SIPCAST_EVENT_TARGET (self));
  /* nua would pick a Contact from its transports, not necessarily the
   * one this INVITE came over (a sips: one for a UDP caller): the far
   * end sends its ACK and every later request there. */
  self->incoming_contact = sipcast_sip_agent_contact_for_request (agent, sip);

  g_message ("call %s: incoming from %s to %s (RTP port %u%s%s)",
             self->params->call_id, self->caller, self->params->callee, answer.audio_port,
             answer.video_port != 0 ? ", video" : "",
             self->answer_in_ack ? ", offering in the 200" : "");
  nua_respond (nh, SIP_180_RINGING, SIPTAG_CONTACT_STR (self->incoming_contact), TAG_END ());
  set_status (self, SIPCAST_CALL_STATUS_RING, 180, NULL);
  if (ring_time_ms > 0)
    self->ring_timeout_id = g_timeout_add (ring_time_ms, ring_timeout_cb, self);
  else
    send_incoming_ok (self);
  return TRUE;
}

/* Before our 200 there is no dialog to BYE: the INVITE is refused. */
static void
decline_incoming (SipcastCall *self)
{
  g_clear_handle_id (&self->ring_timeout_id, g_source_remove);
  nua_respond (self->nh, SIP_603_DECLINE, TAG_END ());
  set_status (self, SIPCAST_CALL_STATUS_FAILED, 603,
              self->pending_failure ? self->pending_failure : "Request terminated");
}

void
sipcast_call_hangup (SipcastCall *self)
{
  g_return_if_fail (SIPCAST_IS_CALL (self));

  if (sipcast_call_status_is_final (self->status))
    return;

  if (self->nh == NULL || (!self->incoming && self->invite_sent_at == 0)) {
    /* Never sent (or still registering, which the final status stops):
     * no INVITE on the network to end. */
    set_status (self, SIPCAST_CALL_STATUS_FAILED, 0,
                self->pending_failure ? self->pending_failure : "Request terminated");
    return;
  }

  if (self->hangup_requested)
    return;
  self->hangup_requested = TRUE;
  /* Ours is the reason now, whatever the timer would have said. */
  g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);

  if (self->incoming && !self->answered) {
    decline_incoming (self);
    return;
  }

  if (self->answered)
    nua_bye (self->nh, TAG_END ());
  else
    nua_cancel (self->nh, TAG_END ());
  arm_hangup_guard (self);
}

gboolean
sipcast_call_is_done (SipcastCall *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL (self), TRUE);
  return self->done;
}

static void
send_next_info (SipcastCall *self)
{
  g_autofree char *body = NULL;

  if (self->info_in_flight || self->info_digits->len == 0 || self->nh == NULL)
    return;

  body = sipcast_dtmf_info_body (self->info_type, self->info_digits->str[0]);
  g_string_erase (self->info_digits, 0, 1);
  self->info_in_flight = TRUE;
  nua_info (self->nh,
            SIPTAG_CONTENT_TYPE_STR (sipcast_dtmf_info_content_type (self->info_type)),
            SIPTAG_PAYLOAD_STR (body),
            TAG_END ());
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

  /* A queue of one type: a request of another type waits for it. */
  if (self->info_digits->len > 0 && self->info_type != type) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("DTMF of another type is still being sent on call “%s”"),
                 self->params->call_id);
    return FALSE;
  }
  self->info_type = type;
  g_string_append (self->info_digits, digits);
  send_next_info (self);
  return TRUE;
}

static gboolean
check_can_inject (SipcastCall  *self,
                  GError      **error)
{
  if (self->status == SIPCAST_CALL_STATUS_ESTABLISHED || self->status == SIPCAST_CALL_STATUS_HOLD)
    return TRUE;
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
               _("Call “%s” is %s, injecting needs an established call"),
               self->params->call_id, sipcast_call_status_to_string (self->status));
  return FALSE;
}

gboolean
sipcast_call_inject_stream (SipcastCall    *self,
                            SipcastStream  *stream,
                            GError        **error)
{
  const char *name = sipcast_stream_get_name (stream);
  g_autofree char *id = NULL;
  Injection *injection;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);

  if (stream == self->stream) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("Stream “%s” is this call's own audio and cannot be injected into it"), name);
    return FALSE;
  }
  if (!check_can_inject (self, error))
    return FALSE;
  if (g_hash_table_contains (self->injected_streams, name)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("Stream “%s” is already injected into call “%s”"), name,
                 self->params->call_id);
    return FALSE;
  }

  injection = g_new0 (Injection, 1);
  injection->stream = g_object_ref (stream);
  injection->appsrc = gst_object_ref_sink (sipcast_stream_subscribe (stream));
  id = g_strconcat (STREAM_SOURCE_PREFIX, name, NULL);
  if (!sipcast_media_session_add_source (self->media, id, injection->appsrc, TRUE,
                                         GST_CLOCK_TIME_NONE, error)) {
    injection_free (injection);
    return FALSE;
  }
  g_hash_table_insert (self->injected_streams, g_strdup (name), injection);
  g_message ("call %s: injecting stream %s", self->params->call_id, name);
  return TRUE;
}

gboolean
sipcast_call_stop_inject_stream (SipcastCall  *self,
                                 const char   *name,
                                 GError      **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);

  g_hash_table_iter_init (&iter, self->injected_streams);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (name == NULL || g_str_equal (name, key))
      g_ptr_array_add (names, g_strdup (key));
  }
  if (names->len == 0) {
    if (name != NULL)
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                   _("Stream “%s” is not injected into call “%s”"), name, self->params->call_id);
    else
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                   _("No stream is injected into call “%s”"), self->params->call_id);
    return FALSE;
  }

  for (guint i = 0; i < names->len; i++) {
    g_autofree char *id = g_strconcat (STREAM_SOURCE_PREFIX, names->pdata[i], NULL);

    sipcast_media_session_remove_source (self->media, id);
    g_hash_table_remove (self->injected_streams, names->pdata[i]);
    g_message ("call %s: stopped injecting stream %s", self->params->call_id,
               (char *) names->pdata[i]);
  }
  return TRUE;
}

gboolean
sipcast_call_inject_sound (SipcastCall  *self,
                           const char   *path,
                           gboolean      loop,
                           GError      **error)
{
  g_autofree char *id = NULL;
  g_autoptr (GstElement) source = NULL;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);

  if (!check_can_inject (self, error))
    return FALSE;

  source = make_sound_source (path, error);
  if (source == NULL)
    return FALSE;
  id = g_strdup_printf (SOUND_SOURCE_PREFIX "%u", ++self->next_sound);
  if (!sipcast_media_session_add_source (self->media, id, source, FALSE, GST_CLOCK_TIME_NONE,
                                         error))
    return FALSE;
  if (loop)
    g_hash_table_insert (self->looping_sounds, g_strdup (id), g_strdup (path));
  g_message ("call %s: playing %s%s", self->params->call_id, path, loop ? " in a loop" : "");
  return TRUE;
}

static void
handle_nua_event (SipcastEventTarget *target,
                  nua_event_t         event,
                  int                 status,
                  const char         *phrase,
                  const sip_t        *sip,
                  tagi_t              tags[])
{
  SipcastCall *self = SIPCAST_CALL (target);
  /* The handle may run the last events of a call the registry still
   * holds; keep it alive across the dispatch. */
  g_autoptr (SipcastCall) guard = g_object_ref (self);

  if (self->incoming && handle_incoming_event (self, event, status, phrase, sip, tags))
    return;

  switch (event) {
  case nua_r_invite:
    handle_invite_response (self, status, phrase, sip);
    break;

  case nua_i_invite:
    handle_reinvite (self, sip);
    break;

  case nua_i_ack:
    if (self->reoffer_in_ack)
      handle_reoffer_ack (self, sip);
    break;

  case nua_i_bye:
    /* nua has answered 200 already. */
    end_answered (self);
    break;

  case nua_r_bye:
    end_answered (self);
    break;

  case nua_r_cancel:
    /* Not even the CANCEL got through (a timeout, a transport error):
     * no 487 will come either. */
    if (status >= 300 && !self->answered && !sipcast_call_status_is_final (self->status)) {
      g_clear_handle_id (&self->hangup_guard_id, g_source_remove);
      hangup_guard_cb (self);
    }
    break;

  case nua_r_info:
    if (status < 200)
      break;
    if (status >= 300)
      g_message ("call %s: INFO DTMF refused: %03d %s", self->params->call_id, status, phrase);
    self->info_in_flight = FALSE;
    send_next_info (self);
    break;

  case nua_i_state: {
    int state = nua_callstate_init;

    tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
    /* nua absorbs "100 Trying", so the INVITE leaving is what moves a
     * call from NEW (accepted, not yet sent) to TRYING. */
    if (state == nua_callstate_calling && (self->status == SIPCAST_CALL_STATUS_NEW ||
                                           self->status == SIPCAST_CALL_STATUS_PENDING))
      set_status (self, SIPCAST_CALL_STATUS_TRYING, 0, NULL);
    if (state == nua_callstate_terminated) {
      if (!sipcast_call_status_is_final (self->status)) {
        if (self->answered)
          end_answered (self);
        else
          set_status (self, SIPCAST_CALL_STATUS_FAILED, status, phrase);
      }
      release_handle (self);
    }
    break;
  }

  default:
    break;
  }
}

static void
event_target_iface_init (SipcastEventTargetInterface *iface)
{
  iface->handle_event = handle_nua_event;
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
  return self->media != NULL ? sipcast_media_session_get_dtmf_received (self->media) : "";
}

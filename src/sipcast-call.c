/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-call"

#include "config.h"
#include "sipcast-call-private.h"
#include "sipcast-enums.h"
#include "sipcast-dtmf.h"
#include "sipcast-error.h"
#include "sipcast-media-session.h"
#include "sipcast-sdp.h"

#include <glib/gi18n.h>
#include <string.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/msg_header.h>

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
  guint sip_status;
  char *status_info;
  char *caller;
  char *remote_sdp;
  char *audio_codec;
  char *video_codec;          /* "H264/90000", once answered with video */

  SipcastSipAgent *agent;
  nua_handle_t *nh;
  SipcastMediaSession *media;
  char *local_sdp;
  guint64 sdp_version;

  guint no_answer_timeout_id;
  gboolean answered;
  gboolean hangup_requested;
  gboolean timed_out;
  gboolean auth_tried;
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
};

G_DEFINE_FINAL_TYPE (SipcastCall, sipcast_call, G_TYPE_OBJECT)

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
    g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);
    g_hash_table_remove_all (self->injected_streams);
    g_hash_table_remove_all (self->looping_sounds);
    if (self->media != NULL)
      sipcast_media_session_stop (self->media);
    check_done (self);
  }
}

static void
media_rtmp_status_cb (SipcastMediaSession *media,
                      GParamSpec          *pspec,
                      gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  SipcastRtmpStatus status = sipcast_media_session_get_rtmp_status (media);

  if (status == self->rtmp_status)
    return;
  g_message ("call %s: %s → %s", self->params->call_id,
             sipcast_rtmp_status_to_string (self->rtmp_status),
             sipcast_rtmp_status_to_string (status));
  self->rtmp_status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RTMP_STATUS]);
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

static void
handle_answer (SipcastCall *self,
               int          status,
               const char  *phrase,
               const sip_t *sip)
{
  g_autoptr (SipcastSdpAnswer) answer = NULL;
  g_autoptr (GError) error = NULL;

  self->answered = TRUE;
  self->sip_status = status;
  g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);

  if (sip != NULL && sip->sip_payload != NULL) {
    g_free (self->remote_sdp);
    self->remote_sdp = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
  }

  if (self->hangup_requested) {
    /* 200 crossed our CANCEL: the call exists now, end it properly. */
    nua_bye (self->nh, TAG_END ());
    return;
  }

  if (self->remote_sdp == NULL) {
    error = g_error_new_literal (SIPCAST_ERROR, SIPCAST_ERROR_SDP, "answer without SDP");
  } else {
    answer = sipcast_sdp_parse_answer (self->remote_sdp, &error);
    if (answer != NULL && answer->audio == NULL)
      g_set_error_literal (&error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                           "No common codecs");
  }

  if (error == NULL) {
    g_free (self->audio_codec);
    self->audio_codec = g_strdup_printf ("%s/%u", answer->audio->codec->encoding_name,
                                         answer->audio->codec->clock_rate);
    if (self->stream != NULL)
      sipcast_stream_set_audio_codec (self->stream, self->audio_codec);
    if (sipcast_media_session_start (self->media, answer->audio, answer->video, self->target,
                                     self->stream, &error) &&
        sipcast_media_session_has_video (self->media)) {
      g_free (self->video_codec);
      self->video_codec = g_strdup_printf ("%s/%u", answer->video->codec->encoding_name,
                                           answer->video->codec->clock_rate);
      if (self->stream != NULL)
        sipcast_stream_set_video_codec (self->stream, self->video_codec);
    }
  }

  if (error != NULL) {
    g_warning ("call %s: %s", self->params->call_id, error->message);
    g_free (self->pending_failure);
    self->pending_failure = g_strdup (g_error_matches (error, SIPCAST_ERROR,
                                                       SIPCAST_ERROR_NO_COMMON_CODEC) ?
                                      "No common codecs" : error->message);
    self->hangup_requested = TRUE;
    nua_bye (self->nh, TAG_END ());
    return;
  }

  set_status (self, SIPCAST_CALL_STATUS_ESTABLISHED, status, NULL);
}

static gboolean
try_authenticate (SipcastCall *self,
                  const sip_t *sip)
{
  const msg_auth_t *challenge = NULL;
  const char *user;
  g_autofree char *auth = NULL;

  if (self->auth_tried || self->params->sip_password == NULL || sip == NULL)
    return FALSE;

  if (sip->sip_www_authenticate != NULL)
    challenge = sip->sip_www_authenticate;
  else if (sip->sip_proxy_authenticate != NULL)
    challenge = sip->sip_proxy_authenticate;
  if (challenge == NULL)
    return FALSE;

  user = self->params->sip_auth_name ? self->params->sip_auth_name :
         self->params->sip_login ? self->params->sip_login : DEFAULT_LOGIN;
  auth = g_strdup_printf ("%s:%s:%s:%s", challenge->au_scheme,
                          msg_params_find (challenge->au_params, "realm="),
                          user, self->params->sip_password);
  /* One attempt: a wrong password must end the call, not loop. */
  self->auth_tried = TRUE;
  nua_authenticate (self->nh, NUTAG_AUTH (auth), TAG_END ());
  return TRUE;
}

static void
handle_invite_response (SipcastCall *self,
                        int          status,
                        const char  *phrase,
                        const sip_t *sip)
{
  gboolean has_sdp = sip != NULL && sip->sip_payload != NULL && sip->sip_payload->pl_len > 0;

  if (status < 100)
    return;

  if (status < 200) {
    if (has_sdp) {
      g_free (self->remote_sdp);
      self->remote_sdp = g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    }
    if (status == 100)
      set_status (self, SIPCAST_CALL_STATUS_TRYING, status, NULL);
    else if (has_sdp)
      set_status (self, SIPCAST_CALL_STATUS_RING_MEDIA, status, NULL);
    else if (status == 183)
      set_status (self, SIPCAST_CALL_STATUS_SESSION_PROGRESS, status, NULL);
    else
      set_status (self, SIPCAST_CALL_STATUS_RING, status, NULL);
    return;
  }

  if (status < 300) {
    handle_answer (self, status, phrase, sip);
    return;
  }

  if ((status == 401 || status == 407) && try_authenticate (self, sip))
    return;

  if (status == 486 || status == 600) {
    set_status (self, SIPCAST_CALL_STATUS_BUSY, status, phrase);
  } else if (status == 487 && self->timed_out) {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, "Failed by request timeout");
  } else if (status == 487 && self->hangup_requested) {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, "Request terminated");
  } else if (status == 488 || status == 606) {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, "No common codecs");
  } else if (status == 408) {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, "Failed by request timeout");
  } else {
    set_status (self, SIPCAST_CALL_STATUS_FAILED, status, phrase);
  }
}

/* A re-INVITE (session refresh, hold, media change) is answered with our
 * current SDP so the dialog stays up. */
static void
answer_reinvite (SipcastCall *self)
{
  nua_respond (self->nh, SIP_200_OK,
               SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (self->local_sdp),
               TAG_END ());
}

static void
sipcast_call_dispose (GObject *object)
{
  SipcastCall *self = SIPCAST_CALL (object);

  g_clear_handle_id (&self->no_answer_timeout_id, g_source_remove);
  release_handle (self);
  if (self->media != NULL) {
    g_signal_handlers_disconnect_by_data (self->media, self);
    g_clear_object (&self->media);
  }
  g_clear_object (&self->agent);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (sipcast_call_parent_class)->dispose (object);
}

static void
sipcast_call_finalize (GObject *object)
{
  SipcastCall *self = SIPCAST_CALL (object);

  g_clear_pointer (&self->params, sipcast_call_params_free);
  g_clear_pointer (&self->target, sipcast_publish_target_free);
  g_free (self->status_info);
  g_free (self->caller);
  g_free (self->remote_sdp);
  g_free (self->audio_codec);
  g_free (self->video_codec);
  g_free (self->local_sdp);
  g_free (self->pending_failure);
  g_string_free (self->info_digits, TRUE);
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

/* The far end sent a DTMF digit (RFC 4733). */
static void
media_dtmf_received_cb (SipcastMediaSession *media,
                        const char          *digit,
                        gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  g_message ("call %s: DTMF %s received", self->params->call_id, digit);
}

static char *
build_request_uri (const SipcastCallParams *params)
{
  if (sipcast_call_params_callee_is_uri (params->callee))
    return g_strdup (params->callee);
  return g_strdup_printf ("sip:%s@%s:%u", params->callee, params->sip_domain, params->sip_port);
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
  g_autoptr (GSocket) video_rtp = NULL;
  g_autoptr (GSocket) video_rtcp = NULL;
  g_autoptr (GError) video_error = NULL;
  g_autofree char *request_uri = NULL;
  g_autofree char *from = NULL;
  g_autofree char *proxy = NULL;
  g_autofree const SipcastCodec **audio_codecs = NULL;
  const char *from_domain;
  SipcastSdpOfferParams offer = { 0 };

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);
  g_return_val_if_fail (self->agent == NULL, FALSE);

  if (!sipcast_port_pool_allocate (ports, &rtp, &rtcp, error))
    return FALSE;

  self->media = sipcast_media_session_new (config, self->params->call_id, rtp, rtcp);
  g_signal_connect (self->media, "notify::rtmp-status", G_CALLBACK (media_rtmp_status_cb), self);
  g_signal_connect (self->media, "error", G_CALLBACK (media_error_cb), self);
  g_signal_connect (self->media, "finished", G_CALLBACK (media_finished_cb), self);
  g_signal_connect (self->media, "source-ended", G_CALLBACK (media_source_ended_cb), self);
  g_signal_connect (self->media, "source-failed", G_CALLBACK (media_source_failed_cb), self);
  g_signal_connect (self->media, "dtmf-received", G_CALLBACK (media_dtmf_received_cb), self);

  /* Video gets a pair of its own.  Without one the call goes on with
   * audio only: video is the optional part. */
  if (sipcast_port_pool_allocate (ports, &video_rtp, &video_rtcp, &video_error))
    sipcast_media_session_set_video_sockets (self->media, video_rtp, video_rtcp);
  else
    g_message ("call %s: no video: %s", self->params->call_id, video_error->message);

  offer.address = sipcast_sip_agent_get_address (agent);
  offer.session_id = (guint64) g_get_real_time ();
  offer.session_version = ++self->sdp_version;
  offer.audio_port = sipcast_media_session_get_rtp_port (self->media);
  offer.audio_direction = self->params->has_audio ? SIPCAST_SDP_SENDRECV : SIPCAST_SDP_RECVONLY;
  /* The config loader has validated the names, so this cannot fail. */
  audio_codecs = sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO,
                                             (const char *const *) config->audio_codecs, NULL);
  offer.audio_codecs = audio_codecs;
  /* SPEC.md: hasVideo=false makes the line recvonly.  The far end's video
   * is published either way (recvonly is what we receive): hasVideo only
   * says whether we would send video back, and sipcast sends none. */
  offer.video_port = sipcast_media_session_get_video_rtp_port (self->media);
  offer.video_direction = self->params->has_video ? SIPCAST_SDP_SENDRECV : SIPCAST_SDP_RECVONLY;
  self->local_sdp = sipcast_sdp_build_offer (&offer);

  request_uri = build_request_uri (self->params);
  from_domain = self->params->sip_domain ? self->params->sip_domain :
                sipcast_sip_agent_get_address (agent);
  if (self->params->visible_name != NULL) {
    g_autofree char *quoted = g_strescape (self->params->visible_name, NULL);
    from = g_strdup_printf ("\"%s\" <sip:%s@%s>", quoted, self->caller, from_domain);
  } else {
    from = g_strdup_printf ("<sip:%s@%s>", self->caller, from_domain);
  }
  if (self->params->sip_outbound_proxy != NULL)
    proxy = g_strdup_printf ("sip:%s:%u;lr", self->params->sip_outbound_proxy,
                             self->params->sip_port);

  self->agent = g_object_ref (agent);
  self->nh = nua_handle (sipcast_sip_agent_get_nua (agent), self,
                         SIPTAG_TO_STR (request_uri),
                         SIPTAG_FROM_STR (from),
                         TAG_IF (proxy != NULL, NUTAG_PROXY (proxy)),
                         TAG_END ());
  if (self->nh == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INTERNAL,
                 _("Could not create a SIP handle for %s"), request_uri);
    g_clear_object (&self->agent);
    return FALSE;
  }

  g_message ("call %s: INVITE %s (RTP port %u)", self->params->call_id, request_uri,
             offer.audio_port);
  nua_invite (self->nh,
              NUTAG_URL (request_uri),
              SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
              SIPTAG_PAYLOAD_STR (self->local_sdp),
              TAG_END ());

  if (config->no_answer_timeout > 0)
    self->no_answer_timeout_id = g_timeout_add_seconds (config->no_answer_timeout,
                                                        no_answer_timeout_cb, self);
  return TRUE;
}

void
sipcast_call_hangup (SipcastCall *self)
{
  g_return_if_fail (SIPCAST_IS_CALL (self));

  if (sipcast_call_status_is_final (self->status))
    return;

  if (self->nh == NULL) {
    /* Never sent: nothing on the network to end. */
    set_status (self, SIPCAST_CALL_STATUS_FAILED, 0,
                self->pending_failure ? self->pending_failure : "Request terminated");
    return;
  }

  if (self->hangup_requested)
    return;
  self->hangup_requested = TRUE;

  if (self->answered)
    nua_bye (self->nh, TAG_END ());
  else
    nua_cancel (self->nh, TAG_END ());
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

void
sipcast_call_handle_event (SipcastCall  *self,
                           nua_event_t   event,
                           int           status,
                           const char   *phrase,
                           const sip_t  *sip,
                           tagi_t        tags[])
{
  /* The handle may run the last events of a call the registry still
   * holds; keep it alive across the dispatch. */
  g_autoptr (SipcastCall) guard = g_object_ref (self);

  switch (event) {
  case nua_r_invite:
    handle_invite_response (self, status, phrase, sip);
    break;

  case nua_i_invite:
    answer_reinvite (self);
    break;

  case nua_i_bye:
    /* nua has answered 200 already. */
    end_answered (self);
    break;

  case nua_r_bye:
    end_answered (self);
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
    if (state == nua_callstate_calling && self->status == SIPCAST_CALL_STATUS_NEW)
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
  return FALSE;
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

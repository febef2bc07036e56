/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-media-session.h"
#include "sipcast-srtp.h"
#include "sipcast-media-session-private.h"
#include "sipcast-enums.h"
#include "sipcast-error.h"
#include "sipcast-flv-tail.h"
#include "sipcast-media-chain.h"
#include "sipcast-media-line.h"
#include "sipcast-media-receiver.h"
#include "sipcast-media-sender.h"
#include "sipcast-placeholder-video.h"

#include <glib/gi18n.h>
#include <gst/gst.h>

/*
 * The session owns the pipeline, its bus watch and rtpbin, and the parts
 * it builds them from, as gst-rtsp-server's rtsp-media owns its streams
 * (the parts never call the session: it connects to their signals):
 *
 *   audio line (rtp_src, rtcp_src ▶ rtpbin session 0 ▶ rtcp_sink, rtp_sink)
 *   video line (video_rtp_src, video_rtcp_src ▶ rtpbin session 1 ▶ video_rtcp_sink)
 *       sipcast-media-line.c: sockets, symmetric RTP, hold, silence
 *   rtpbin ──pad-added──▶ audio_chain ▶ audio_aac ▶ tail; video_chain ▶ tail
 *       sipcast-media-receiver.c: chains, digits received, video size
 *   tx_mixer ▶ tx_encoder ▶ tx_payloader ▶ tx_rtpmux ▶ rtpbin ▶ rtp_sink
 *       sipcast-media-sender.c: what the far end hears, DTMF, sources
 *   placeholder ▶ tail "video" (sipcast-placeholder-video.c): a card or an
 *       image while the call sends no video; its own video chain goes
 *       through it and takes over from its first key frame
 *   tail (sipcast-flv-tail.c): flvmux ▶ rtmp2sink or filesink
 *
 * Element names are their roles, so GST_DEBUG output and DOT graphs read
 * like this comment.  rtpbin session 0 is the audio, session 1 the video
 * (only when the answer accepted video), on sockets of their own.
 * Streaming threads never touch session state: they post application
 * messages that the bus watch here hands to the part they came from, on
 * the main context.  The session turns the tail's messages into the
 * RTMP status and bus errors into "error", and ends the stream with an
 * EOS through the chains.
 */

/* How long the muxer gets to finish the FLV before the pipeline is torn
 * down anyway (a sink stuck on a dead TCP connection must not block a
 * hang-up or the daemon's shutdown). */
#define STOP_GRACE_MS 3000

/* SSRCs taken at once in one RTP session: the far end's stream, and room
 * for SSRCs it only reports in RTCP, or a restart under a new one before
 * the old one times out. */
#define MAX_SSRCS_PER_SESSION 4

enum {
  PROP_0,
  PROP_RTMP_STATUS,
  N_PROPS
};

enum {
  SIGNAL_ERROR,
  SIGNAL_FINISHED,
  SIGNAL_SOURCE_ENDED,
  SIGNAL_SOURCE_FAILED,
  SIGNAL_RTP_TIMEOUT,
  SIGNAL_DTMF_RECEIVED,
  SIGNAL_VIDEO_SIZE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

struct _SipcastMediaSession {
  GObject parent_instance;

  const SipcastConfig *config;
  char *name;
  SipcastMediaLine *audio_line;
  SipcastMediaLine *video_line;  /* NULL: no video line offered */

  GstElement *pipeline;
  GstElement *rtpbin;
  GstElement *tail;          /* the FLV tail bin, or NULL when not published */
  GstElement *placeholder;   /* the picture of a call without video, or NULL */
  guint bus_watch_id;
  guint stop_timeout_id;

  /* From rtpbin to the tail: made at start (NULL before), kept after the
   * pipeline for what it received (digits, video size). */
  SipcastMediaReceiver *receiver;
  /* The send direction, while the pipeline runs (NULL when the far end
   * hears nothing from us). */
  SipcastMediaSender *sender;

  /* What set_placeholder() asked for, kept for start. */
  SipcastPlaceholderKind placeholder_kind;
  char *placeholder_image;
  char *caller;
  char *callee;

  gboolean publishing;       /* the tail writes to RTMP or a file */
  gboolean stopping;
  gboolean finished;
  SipcastRtmpStatus rtmp_status;
  char *rtmp_status_info;    /* why the RTMP stream is not active, or NULL */
};

G_DEFINE_FINAL_TYPE (SipcastMediaSession, sipcast_media_session, G_TYPE_OBJECT)

/* @reason: why (a failed attempt), or NULL to keep the last one; it is
 * cleared when the stream becomes active. */
static void
set_rtmp_status (SipcastMediaSession *self,
                 SipcastRtmpStatus    status,
                 const char          *reason)
{
  gboolean changed = FALSE;

  if (status == SIPCAST_RTMP_STATUS_ACTIVE && self->rtmp_status_info != NULL) {
    g_clear_pointer (&self->rtmp_status_info, g_free);
    changed = TRUE;
  } else if (reason != NULL && g_strcmp0 (reason, self->rtmp_status_info) != 0) {
    g_free (self->rtmp_status_info);
    self->rtmp_status_info = g_strdup (reason);
    changed = TRUE;
  }

  if (self->rtmp_status != status) {
    g_debug ("%s: RTMP %s → %s", self->name,
             sipcast_rtmp_status_to_string (self->rtmp_status),
             sipcast_rtmp_status_to_string (status));
    self->rtmp_status = status;
    changed = TRUE;
  }
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RTMP_STATUS]);
}

static void
dump_graph (SipcastMediaSession *self,
            const char          *suffix)
{
  sipcast_media_chain_dump_graph (self->pipeline, self->name, suffix);
}

static void
teardown_pipeline (SipcastMediaSession *self)
{
  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  if (self->sender != NULL) {
    sipcast_media_sender_stop (self->sender);
    g_clear_object (&self->sender);
  }
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);

  if (self->pipeline != NULL) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    g_clear_object (&self->pipeline);
    self->rtpbin = NULL;
    self->tail = NULL;
    self->placeholder = NULL;
  }
  /* (No audio line once disposed: dispose may run twice.) */
  if (self->audio_line != NULL)
    sipcast_media_line_detach (self->audio_line);
  if (self->video_line != NULL)
    sipcast_media_line_detach (self->video_line);
  if (self->receiver != NULL)
    sipcast_media_receiver_detach (self->receiver);
}

/* The media is over: its ports go back to the pool now, not when the
 * ended call is dropped ([calls] ended-call-ttl later), which with short
 * calls in a row would exhaust the range with one call live.  Closed
 * rather than only unreferenced, so that no reference left anywhere keeps
 * a port. */
static void
release_sockets (SipcastMediaSession *self)
{
  sipcast_media_line_release (self->audio_line);
  if (self->video_line != NULL)
    sipcast_media_line_release (self->video_line);
}

/* From here on the session only winds down: its lines no longer follow
 * the far end nor report silence. */
static void
set_stopping (SipcastMediaSession *self)
{
  self->stopping = TRUE;
  sipcast_media_line_stop (self->audio_line);
  if (self->video_line != NULL)
    sipcast_media_line_stop (self->video_line);
}

static void
finish (SipcastMediaSession *self)
{
  if (self->finished)
    return;

  teardown_pipeline (self);
  release_sockets (self);
  self->finished = TRUE;
  g_debug ("%s: media finished", self->name);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static gboolean
stop_timeout_cb (gpointer user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);

  self->stop_timeout_id = 0;
  g_warning (_("%s: stream did not finish within %d ms, closing it"), self->name, STOP_GRACE_MS);
  finish (self);
  return G_SOURCE_REMOVE;
}

static void
fail (SipcastMediaSession *self,
      const char          *reason)
{
  /* A handler of "error" or "finished" may drop the owner's reference. */
  g_autoptr (SipcastMediaSession) keep G_GNUC_UNUSED = g_object_ref (self);

  if (self->finished)
    return;
  if (self->stopping) {
    /* Hung up already: the FLV cannot be completed now, so there is
     * nothing left to wait for (nor to report: the call is over). */
    g_message (_("%s: %s while stopping: closing the stream"), self->name, reason);
    finish (self);
    return;
  }

  dump_graph (self, "error");
  if (self->publishing) {
    set_rtmp_status (self,
                     self->rtmp_status == SIPCAST_RTMP_STATUS_ACTIVE ?
                     SIPCAST_RTMP_STATUS_CONNECTION_LOST :
                     SIPCAST_RTMP_STATUS_CONNECTION_FAILED,
                     reason);
  }
  /* The pipeline is unusable after an error; what remains is to report. */
  set_stopping (self);
  teardown_pipeline (self);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, reason);
  finish (self);
}

/* The audio line's silence is the call's. */
static void
rtp_timeout_cb (SipcastMediaSession *self,
                SipcastMediaLine    *line)
{
  g_signal_emit (self, signals[SIGNAL_RTP_TIMEOUT], 0);
}

/* What the receiver found in the media is the session's news. */
static void
dtmf_received_cb (SipcastMediaSession  *self,
                  const char           *digit,
                  SipcastMediaReceiver *receiver)
{
  g_signal_emit (self, signals[SIGNAL_DTMF_RECEIVED], 0, digit);
}

static void
video_size_changed_cb (SipcastMediaSession  *self,
                       SipcastMediaReceiver *receiver)
{
  g_signal_emit (self, signals[SIGNAL_VIDEO_SIZE], 0);
}

/* The send side's sources are the session's. */
static void
source_ended_cb (SipcastMediaSession *self,
                 const char          *id,
                 guint64              end,
                 SipcastMediaSender  *sender)
{
  g_signal_emit (self, signals[SIGNAL_SOURCE_ENDED], 0, id, end);
}

static gboolean
bus_cb (GstBus     *bus,
        GstMessage *message,
        gpointer    user_data)
{
  /* Signal handlers below may drop the owner's reference; the session
   * must outlive this call. */
  g_autoptr (SipcastMediaSession) self = g_object_ref (SIPCAST_MEDIA_SESSION (user_data));

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_APPLICATION: {
    const GstStructure *s = gst_message_get_structure (message);

    if (gst_structure_has_name (s, SIPCAST_FLV_TAIL_MSG_FIRST_WRITE)) {
      set_rtmp_status (self, SIPCAST_RTMP_STATUS_ACTIVE, NULL);
      sipcast_media_receiver_request_key_frame (self->receiver);
      dump_graph (self, "active");
    } else if (gst_structure_has_name (s, SIPCAST_FLV_TAIL_MSG_STATUS)) {
      int status = SIPCAST_RTMP_STATUS_WAIT;
      const char *reason = gst_structure_get_string (s, "reason");

      /* The tail reconnects by itself; a failed attempt costs the stream
       * a status, never the call. */
      gst_structure_get_int (s, "status", &status);
      if (reason != NULL)
        g_message (_("%s: RTMP stream %s: %s"), self->name,
                   sipcast_rtmp_status_to_string (status), reason);
      set_rtmp_status (self, status, reason);
    } else if (gst_structure_has_name (s, SIPCAST_FLV_TAIL_MSG_EOS) && self->stopping) {
      finish (self);
    } else if ((gst_structure_has_name (s, SIPCAST_MEDIA_RECEIVER_MSG_EOS_FAILED) ||
                gst_structure_has_name (s, SIPCAST_PLACEHOLDER_VIDEO_MSG_EOS_FAILED)) &&
               self->stopping) {
      /* The chains (or the picture) took no EOS: the FLV cannot be
       * completed. */
      finish (self);
    } else if (self->sender != NULL && sipcast_media_sender_handle_message (self->sender, s)) {
      /* A source ended. */
    } else {
      sipcast_media_receiver_handle_message (self->receiver, s);
    }
    break;
  }
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) err = NULL;
    g_autofree char *debug = NULL;
    g_autofree char *reason = NULL;
    const char *source_id;

    gst_message_parse_error (message, &err, &debug);

    /* Late word from an element already removed (a failed source's
     * children report in turn): nothing left to act on. */
    if (!gst_object_has_as_ancestor (GST_MESSAGE_SRC (message), GST_OBJECT (self->pipeline))) {
      g_debug ("%s: ignoring error from removed %s: %s", self->name,
               GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), err->message);
      break;
    }

    /* A broken injected source (a file that is no audio) costs only
     * itself, never the call. */
    source_id = self->sender != NULL ?
                sipcast_media_sender_find_source (self->sender, GST_MESSAGE_SRC (message)) : NULL;
    if (source_id != NULL) {
      g_autofree char *id = g_strdup (source_id);

      g_warning (_("%s: %s failed: %s"), self->name, id, err->message);
      sipcast_media_session_remove_source (self, id);
      g_signal_emit (self, signals[SIGNAL_SOURCE_FAILED], 0, id);
      break;
    }

    g_warning (_("%s: %s: %s (%s)"), self->name, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               err->message, debug ? debug : "");
    reason = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
                              err->message);
    fail (self, reason);
    break;
  }
  case GST_MESSAGE_WARNING: {
    g_autoptr (GError) err = NULL;

    gst_message_parse_warning (message, &err, NULL);
    g_message (_("%s: %s: %s"), self->name, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               err->message);
    break;
  }
  case GST_MESSAGE_LATENCY:
    /* A source came or went with a latency of its own (the jitterbuffer
     * once RTP arrives, an injected stream): the pipeline must agree on a
     * new one, or live elements like the mixer wait on a stale value. */
    gst_bin_recalculate_latency (GST_BIN (self->pipeline));
    break;
  case GST_MESSAGE_EOS:
    if (self->stopping)
      finish (self);
    break;
  default:
    break;
  }

  /* The pipeline's teardown (finish, fail) removes this watch and clears
   * its id; a watch still counted as ours goes on. */
  return self->bus_watch_id != 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* The picture published until (or instead of) the call's own video,
 * linked to the tail's "video".  One that cannot be made costs only
 * itself: the call is published without it. */
static void
add_placeholder (SipcastMediaSession *self,
                 gboolean             real_video)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) placeholder = NULL;

  placeholder = sipcast_placeholder_video_new (self->config, self->placeholder_kind,
                                               self->placeholder_image, self->caller,
                                               self->callee, real_video, &error);
  if (placeholder != NULL) {
    gst_bin_add (GST_BIN (self->pipeline), placeholder);
    if (sipcast_media_chain_link (placeholder, "src", self->tail, "video", &error)) {
      self->placeholder = placeholder;
      sipcast_media_receiver_set_placeholder (self->receiver, placeholder);
      return;
    }
    gst_bin_remove (GST_BIN (self->pipeline), placeholder);
  }
  g_warning (_("%s: no placeholder video: %s"), self->name, error->message);
  /* The tail was made with a video pad for it. */
  if (!real_video)
    sipcast_flv_tail_remove_video (self->tail);
}

static GstElement *
build_tail (SipcastMediaSession        *self,
            const SipcastPublishTarget *target,
            gboolean                    audio,
            gboolean                    video,
            GError                    **error)
{
  return sipcast_flv_tail_new (self->config, target, audio, video, error);
}

static void
sipcast_media_session_dispose (GObject *object)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (object);

  teardown_pipeline (self);
  g_clear_object (&self->audio_line);
  g_clear_object (&self->video_line);
  g_clear_object (&self->receiver);

  G_OBJECT_CLASS (sipcast_media_session_parent_class)->dispose (object);
}

static void
sipcast_media_session_finalize (GObject *object)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (object);

  g_free (self->name);
  g_free (self->rtmp_status_info);
  g_free (self->placeholder_image);
  g_free (self->caller);
  g_free (self->callee);

  G_OBJECT_CLASS (sipcast_media_session_parent_class)->finalize (object);
}

static void
sipcast_media_session_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (object);

  switch (prop_id) {
  case PROP_RTMP_STATUS:
    g_value_set_enum (value, self->rtmp_status);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sipcast_media_session_class_init (SipcastMediaSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_media_session_dispose;
  object_class->finalize = sipcast_media_session_finalize;
  object_class->get_property = sipcast_media_session_get_property;

  properties[PROP_RTMP_STATUS] =
    g_param_spec_enum ("rtmp-status", NULL, NULL,
                       SIPCAST_TYPE_RTMP_STATUS, SIPCAST_RTMP_STATUS_NONE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The pipeline failed; the argument says why.  "finished" follows. */
  signals[SIGNAL_ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* A source added with add_source() reached its end (arguments: its id
   * and the running time its audio ends at); it is removed by itself once
   * that audio has been played. */
  signals[SIGNAL_SOURCE_ENDED] =
    g_signal_new ("source-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT64);
  /* A source failed and was removed (argument: its id). */
  signals[SIGNAL_SOURCE_FAILED] =
    g_signal_new ("source-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* No RTP from the far end for [rtp] timeout seconds while watched
   * (sipcast_media_session_watch_rtp, not held). */
  signals[SIGNAL_RTP_TIMEOUT] =
    g_signal_new ("rtp-timeout", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A telephone-event (RFC 4733) arrived from the far end: the digit. */
  signals[SIGNAL_DTMF_RECEIVED] =
    g_signal_new ("dtmf-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The published video's width and height changed (the getters say). */
  signals[SIGNAL_VIDEO_SIZE] =
    g_signal_new ("video-size-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The pipeline is gone; the FLV stream is complete if it could be. */
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sipcast_media_session_init (SipcastMediaSession *self)
{

}

SipcastMediaSession *
sipcast_media_session_new (const SipcastConfig *config,
                           const char          *name,
                           GSocket             *rtp,
                           GSocket             *rtcp)
{
  SipcastMediaSession *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (G_IS_SOCKET (rtp) && G_IS_SOCKET (rtcp), NULL);

  self = g_object_new (SIPCAST_TYPE_MEDIA_SESSION, NULL);
  self->config = config;
  self->name = g_strdup (name);
  self->audio_line = sipcast_media_line_new (config, name, SIPCAST_MEDIA_AUDIO, rtp, rtcp);
  g_signal_connect_object (self->audio_line, "rtp-timeout", G_CALLBACK (rtp_timeout_cb), self,
                           G_CONNECT_SWAPPED);

  return self;
}

guint
sipcast_media_session_get_rtp_port (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), 0);
  return sipcast_media_line_get_port (self->audio_line);
}

gboolean
sipcast_media_session_start (SipcastMediaSession        *self,
                             const SipcastSdpMedia      *audio,
                             const SipcastSdpMedia      *video,
                             const SipcastPublishTarget *target,
                             SipcastStream              *stream,
                             GError                    **error)
{
  g_autofree char *pipeline_name = NULL;
  g_autoptr (GstBus) bus = NULL;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (audio == NULL || audio->codec != NULL, FALSE);
  g_return_val_if_fail (video == NULL || video->codec != NULL, FALSE);
  g_return_val_if_fail (audio != NULL || video != NULL, FALSE);
  g_return_val_if_fail (self->pipeline == NULL && !self->stopping, FALSE);

  /* Video is received only to be published, and only on the sockets the
   * offer named. */
  if (target == NULL || self->video_line == NULL)
    video = NULL;
  if (audio == NULL && video == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         "No common codecs");
    return FALSE;
  }

  g_clear_object (&self->receiver);
  self->receiver = sipcast_media_receiver_new (self->config, self->name, audio, video, stream);
  g_signal_connect_object (self->receiver, "dtmf-received", G_CALLBACK (dtmf_received_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->receiver, "video-size-changed",
                           G_CALLBACK (video_size_changed_cb), self, G_CONNECT_SWAPPED);
  self->publishing = target != NULL;

  pipeline_name = g_strdup_printf ("call-%s", self->name);
  self->pipeline = gst_object_ref_sink (gst_pipeline_new (pipeline_name));

  self->rtpbin = sipcast_media_chain_add_element (GST_BIN (self->pipeline), "rtpbin", "rtpbin",
                                                  error);
  if (self->rtpbin == NULL)
    goto fail;
  /* Each SSRC costs a jitter buffer with a thread of its own: anyone who
   * can send to our port must not be able to grow the pipeline without
   * bound.  Sources gone silent are removed (autoremove), making room for
   * a far end that restarts its stream under a new SSRC. */
  /* do-lost: a lost packet reaches the decoder as a gap (Opus conceals
   * it, sipcastgapfill fills the others' with silence). */
  g_object_set (self->rtpbin, "latency", self->config->jitterbuffer_latency, "do-lost", TRUE,
                "autoremove", TRUE, "max-streams", MAX_SSRCS_PER_SESSION, NULL);
  /* SRTP (SDES keys): before the sessions' pads are requested. */
  sipcast_srtp_attach (self->rtpbin, 0, audio);
  sipcast_srtp_attach (self->rtpbin, 1, video);

  if (self->publishing) {
    gboolean picture = self->placeholder_kind != SIPCAST_PLACEHOLDER_NONE;

    self->tail = build_tail (self, target, audio != NULL, video != NULL || picture, error);
    if (self->tail == NULL)
      goto fail;
    gst_element_set_name (self->tail, "tail");
    gst_bin_add (GST_BIN (self->pipeline), self->tail);
    /* The pipeline holds it now. */
    gst_object_unref (self->tail);
  }
  sipcast_media_receiver_attach (self->receiver, self->pipeline, self->rtpbin, self->tail);
  if (self->publishing && self->placeholder_kind != SIPCAST_PLACEHOLDER_NONE)
    add_placeholder (self, video != NULL);

  if (audio != NULL) {
    if (!sipcast_media_line_add (self->audio_line, self->pipeline, self->rtpbin,
                                 audio->address, audio->rtcp_port, error) ||
        !sipcast_media_receiver_build_audio (self->receiver, error))
      goto fail;
    /* A far end that only sends (sendonly/inactive) gets nothing back. */
    if (audio->codec->encoder != NULL && audio->port != 0 &&
        (audio->direction == SIPCAST_SDP_SENDRECV || audio->direction == SIPCAST_SDP_RECVONLY)) {
      self->sender = sipcast_media_sender_new (self->name, self->pipeline, self->rtpbin, audio,
                                               error);
      if (self->sender == NULL)
        goto fail;
      g_signal_connect_object (self->sender, "source-ended", G_CALLBACK (source_ended_cb), self,
                               G_CONNECT_SWAPPED);
      sipcast_media_line_add_sender (self->audio_line, audio->address, audio->port);
    }
  }

  if (video != NULL &&
      (!sipcast_media_line_add (self->video_line, self->pipeline, self->rtpbin,
                                video->address, video->rtcp_port, error) ||
       !sipcast_media_receiver_build_video (self->receiver, error)))
    goto fail;

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch_id = gst_bus_add_watch (bus, bus_cb, self);

  if (self->publishing)
    set_rtmp_status (self, SIPCAST_RTMP_STATUS_WAIT, NULL);

  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The reason is on the bus as an ERROR; report that one. */
    g_autoptr (GstMessage) msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    g_autoptr (GError) err = NULL;

    if (msg != NULL)
      gst_message_parse_error (msg, &err, NULL);
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not start the media pipeline: %s"),
                 err != NULL ? err->message : _("unknown error"));
    dump_graph (self, "error");
    teardown_pipeline (self);
    return FALSE;
  }

  dump_graph (self, "start");
  return TRUE;

fail:
  dump_graph (self, "error");
  teardown_pipeline (self);
  return FALSE;
}

void
sipcast_media_session_set_placeholder (SipcastMediaSession    *self,
                                       SipcastPlaceholderKind  kind,
                                       const char             *image_path,
                                       const char             *caller,
                                       const char             *callee)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));
  g_return_if_fail (kind != SIPCAST_PLACEHOLDER_IMAGE || image_path != NULL);
  g_return_if_fail (self->pipeline == NULL);

  self->placeholder_kind = kind;
  g_free (self->placeholder_image);
  self->placeholder_image = g_strdup (image_path);
  g_free (self->caller);
  self->caller = g_strdup (caller);
  g_free (self->callee);
  self->callee = g_strdup (callee);
}

void
sipcast_media_session_stop (SipcastMediaSession *self)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));

  if (self->stopping)
    return;
  set_stopping (self);

  if (self->pipeline == NULL || !self->publishing) {
    finish (self);
    return;
  }

  /* Armed first: whatever the EOS meets on its way, the stream ends
   * within the grace period. */
  self->stop_timeout_id = g_timeout_add (STOP_GRACE_MS, stop_timeout_cb, self);
  sipcast_flv_tail_prepare_eos (self->tail);
  sipcast_media_receiver_send_eos (self->receiver);
  if (self->placeholder != NULL)
    sipcast_placeholder_video_send_eos (self->placeholder);
}

gboolean
sipcast_media_session_add_source (SipcastMediaSession *self,
                                  const char          *id,
                                  GstElement          *source_element,
                                  gboolean             live,
                                  GstClockTime         start,
                                  GError             **error)
{
  g_autoptr (GstElement) owned G_GNUC_UNUSED = gst_object_ref_sink (source_element);

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (id != NULL && GST_IS_ELEMENT (source_element), FALSE);

  if (self->sender == NULL || self->stopping) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                         _("Nothing is sent to the far end of this call"));
    return FALSE;
  }
  return sipcast_media_sender_add_source (self->sender, id, source_element, live, start, error);
}

gboolean
sipcast_media_session_remove_source (SipcastMediaSession *self,
                                     const char          *id)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);

  if (self->sender == NULL)
    return FALSE;
  return sipcast_media_sender_remove_source (self->sender, id);
}

gboolean
sipcast_media_session_send_dtmf (SipcastMediaSession *self,
                                 const char          *digits,
                                 GError             **error)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (digits != NULL, FALSE);

  if (self->sender == NULL || !sipcast_media_sender_has_dtmf (self->sender)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                         _("The far end accepts no RFC 2833 telephone-events on this call"));
    return FALSE;
  }
  return sipcast_media_sender_send_dtmf (self->sender, digits, error);
}

GstElement *
sipcast_media_session_get_pipeline (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), NULL);
  return self->pipeline;
}

gboolean
sipcast_media_session_is_finished (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), TRUE);
  return self->finished;
}

SipcastRtmpStatus
sipcast_media_session_get_rtmp_status (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), SIPCAST_RTMP_STATUS_NONE);
  return self->rtmp_status;
}

void
sipcast_media_session_set_video_sockets (SipcastMediaSession *self,
                                         GSocket             *rtp,
                                         GSocket             *rtcp)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));
  g_return_if_fail (G_IS_SOCKET (rtp) && G_IS_SOCKET (rtcp));
  g_return_if_fail (self->pipeline == NULL);

  g_clear_object (&self->video_line);
  self->video_line = sipcast_media_line_new (self->config, self->name, SIPCAST_MEDIA_VIDEO,
                                             rtp, rtcp);
}

guint
sipcast_media_session_get_video_rtp_port (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), 0);

  if (self->video_line == NULL)
    return 0;
  return sipcast_media_line_get_port (self->video_line);
}

const char *
sipcast_media_session_get_dtmf_received (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), NULL);

  if (self->receiver == NULL)
    return "";
  return sipcast_media_receiver_get_dtmf_received (self->receiver);
}

gboolean
sipcast_media_session_get_video_size (SipcastMediaSession *self,
                                      int                 *width,
                                      int                 *height)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);

  return self->receiver != NULL &&
         sipcast_media_receiver_get_video_size (self->receiver, width, height);
}

gboolean
sipcast_media_session_has_video (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  return self->receiver != NULL && sipcast_media_receiver_has_video (self->receiver);
}

const char *
sipcast_media_session_get_rtmp_status_info (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), NULL);
  return self->rtmp_status_info;
}

/* ---- following the far end: the audio line's (sipcast-media-line.h) ---- */

void
sipcast_media_session_follow_remote (SipcastMediaSession   *self,
                                     const SipcastSdpMedia *audio)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));
  g_return_if_fail (audio != NULL);

  if (self->pipeline == NULL)
    return;
  sipcast_media_line_follow (self->audio_line, audio->address, audio->port, audio->rtcp_port);
}

void
sipcast_media_session_watch_rtp (SipcastMediaSession *self)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));
  sipcast_media_line_watch (self->audio_line);
}

void
sipcast_media_session_set_held (SipcastMediaSession *self,
                                gboolean             held)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));
  sipcast_media_line_set_held (self->audio_line, held);
}

/* ---- a codec change the far end asks for in a re-INVITE ----
 *
 * The receiver makes the new codec's chain, which takes the old one's
 * place once its RTP arrives; the sender swaps its encoder and
 * payloader.  The tail and the RTMP connection stay. */

static gboolean
change_audio_codec (SipcastMediaSession   *self,
                    const SipcastSdpMedia *audio,
                    GError               **error)
{
  if (!sipcast_media_receiver_change_audio_codec (self->receiver, audio, error))
    return FALSE;
  if (self->sender != NULL)
    sipcast_media_sender_change_codec (self->sender, audio);
  return TRUE;
}

gboolean
sipcast_media_session_update_remote (SipcastMediaSession   *self,
                                     const SipcastSdpMedia *audio,
                                     GError               **error)
{
  gboolean changed;
  guint payload_type;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (audio != NULL && audio->codec != NULL, FALSE);

  if (!sipcast_media_line_is_followed (self->audio_line) || self->pipeline == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                         _("The media session is not running"));
    return FALSE;
  }

  /* Another codec needs another depayloader, decoder and encoder. */
  changed = audio->codec != sipcast_media_receiver_get_audio_codec (self->receiver);
  if (changed && !change_audio_codec (self, audio, error))
    return FALSE;

  /* rtpbin stays set up for the first payload type; the far end's new
   * number is mapped back to it on the way in. */
  payload_type = sipcast_media_receiver_get_payload_type (self->receiver);
  sipcast_media_line_map_payload_type (self->audio_line,
                                       audio->payload_type != payload_type ?
                                       (int) audio->payload_type : -1,
                                       payload_type);

  /* (A new codec's payloader is made with the new number.) */
  if (!changed && self->sender != NULL)
    sipcast_media_sender_set_payload_type (self->sender, audio->payload_type);

  if (sipcast_media_line_move (self->audio_line, audio->address, audio->port, audio->rtcp_port))
    g_message (_("%s: the far end moved its media to %s:%u"), self->name, audio->address,
               audio->port);
  return TRUE;
}

gboolean
sipcast_media_session_update_remote_video (SipcastMediaSession   *self,
                                           const SipcastSdpMedia *video,
                                           GError               **error)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (video != NULL && video->codec != NULL, FALSE);

  if (self->receiver == NULL || !sipcast_media_receiver_has_video (self->receiver))
    return TRUE;
  if (!sipcast_media_receiver_follow_video (self->receiver, video, error))
    return FALSE;

  /* We send no video RTP: only our receiver reports (and key frame
   * requests) follow the far end to its new place. */
  if (sipcast_media_line_move (self->video_line, video->address, video->port, video->rtcp_port))
    g_message (_("%s: the far end moved its video to %s:%u"), self->name, video->address,
               video->port);
  return TRUE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-whep"

#include "config.h"
#include "sipcast-whep-viewer.h"
#include "sipcast-error.h"
#include "sipcast-media-chain.h"
#include "sipcast-whep-offer.h"

#include <glib/gi18n.h>
#include <gst/app/gstappsrc.h>
#include <gst/sdp/sdp.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <gst/webrtc/nice/nice.h>
#include <nice/agent.h>

/*
 * A viewer is a pipeline of its own,
 *
 *   whep_audio_src (appsrc, Opus) ▶ rtpopuspay pt=N ──┐
 *   whep_video_src (appsrc, H.264) ▶ rtph264pay pt=M ─┴▶ webrtcbin
 *
 * fed with the Opus its SipcastWhepStream encodes once for every viewer
 * (sipcast_whep_viewer_push()), and with the call's H.264 as it is: the
 * video appsrc is a subscription of its own to the named stream, which
 * starts it at a key frame (asking the far end for one) and never needs
 * decoding.  Its own pipeline, not a branch off a tee
 * in the stream's: a webrtcbin that joins a running pipeline late never
 * got its RTP flowing, and a pipeline per viewer also keeps one viewer's
 * errors and state changes away from the others.
 *
 * Negotiation follows webrtcbin's promises, which complete on its own
 * threads: remote offer set → answer created → answer set as local
 * description, while ICE gathers.  The task returns (GTask hands the
 * result to the main context) once both the answer is set and gathering
 * is complete, or after GATHER_TIMEOUT_MS with the candidates found by
 * then (a STUN server that does not answer must not hold up the viewer).
 * The offer is only handed to webrtcbin once the payloaders have caps
 * (or after CAPS_WAIT_MS, for a stream with no media yet): the answer
 * announces each stream's SSRC as the caps carry it, and a browser drops
 * RTP whose SSRC differs from the one announced.  Buffers meanwhile wait
 * at webrtcbin's sink pads, which it blocks until negotiation is done.
 */

#define GATHER_TIMEOUT_MS 3000
#define CAPS_WAIT_MS 1000
/* What a viewer's appsrc holds before it drops the oldest (a viewer
 * whose pipeline stalls must not grow without bound). */
#define VIEWER_QUEUE_BYTES (512 * 1024)

enum {
  SIGNAL_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _SipcastWhepViewer {
  GObject parent_instance;

  char *id;
  SipcastStream *stream;        /* the video comes from it directly */
  gboolean stream_audio;        /* what the stream can send */
  gboolean stream_video;
  char *stun_server;
  GStrv addresses;
  char h264_profile_level_id[7];  /* the offer's, for the payloader's caps */

  GstElement *pipeline;         /* NULL once closed */
  GstElement *webrtc;
  guint bus_watch_id;
  gulong gathering_id;
  gulong connection_id;
  guint failed_idle_id;
  guint gather_timeout_id;
  guint caps_timeout_id;

  /* Protects what webrtcbin's and the stream's threads share with the
   * main context. */
  GMutex lock;
  GstElement *sources[SIPCAST_WHEP_N_KINDS];   /* appsrcs, NULL: not sent */
  GstElement *video_subscription;              /* the stream feeds it */
  GTask *task;                  /* NULL once returned */
  GstSDPMessage *offer;         /* until handed to webrtcbin */
  guint caps_waiting;           /* payloaders without caps yet */
  gboolean answer_set;
  gboolean gathered;
  gboolean closed;
};

G_DEFINE_FINAL_TYPE (SipcastWhepViewer, sipcast_whep_viewer, G_TYPE_OBJECT)

static GstElement *
make_element (const char  *factory,
              const char  *name,
              GError     **error)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL)
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("GStreamer element “%s” is missing"), factory);
  return element;
}

/* Hands the answer (or @error) to the task once; any thread. */
static void
complete (SipcastWhepViewer *self,
          GError            *error)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GstElement) webrtc = NULL;
  GstWebRTCSessionDescription *local = NULL;
  char *text = NULL;

  g_mutex_lock (&self->lock);
  if (error == NULL && !(self->answer_set && self->gathered)) {
    g_mutex_unlock (&self->lock);
    return;
  }
  task = g_steal_pointer (&self->task);
  if (self->webrtc != NULL)
    webrtc = gst_object_ref (self->webrtc);
  g_mutex_unlock (&self->lock);
  if (task == NULL) {
    g_clear_error (&error);
    return;
  }

  if (error != NULL) {
    g_task_return_error (task, error);
    return;
  }
  /* The local description gathers the candidates as they are found. */
  if (webrtc != NULL)
    g_object_get (webrtc, "local-description", &local, NULL);
  if (local != NULL)
    text = gst_sdp_message_as_text (local->sdp);
  gst_webrtc_session_description_free (local);
  if (text == NULL) {
    g_task_return_new_error (task, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                             _("WebRTC produced no answer"));
    return;
  }
  g_task_return_pointer (task, text, g_free);
}

/* Our webrtcbin, or NULL once closed; any thread. */
static GstElement *
ref_webrtc (SipcastWhepViewer *self)
{
  GstElement *webrtc = NULL;

  g_mutex_lock (&self->lock);
  if (self->webrtc != NULL)
    webrtc = gst_object_ref (self->webrtc);
  g_mutex_unlock (&self->lock);
  return webrtc;
}

/* A promise's reply: FALSE, with @error set, when it carries an error. */
static gboolean
promise_ok (GstPromise  *promise,
            const char  *what,
            GError     **error)
{
  const GstStructure *reply;
  g_autoptr (GError) reason = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED)
    goto failed;
  reply = gst_promise_get_reply (promise);
  if (reply != NULL && gst_structure_has_field (reply, "error")) {
    gst_structure_get (reply, "error", G_TYPE_ERROR, &reason, NULL);
    goto failed;
  }
  return TRUE;

failed:
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE, _("WebRTC could not %s: %s"),
               what, reason != NULL ? reason->message : _("no reply"));
  return FALSE;
}

static void
on_answer_set (GstPromise *promise,
               gpointer    user_data)
{
  SipcastWhepViewer *self = user_data;
  GError *error = NULL;

  if (promise_ok (promise, "set the answer", &error)) {
    g_mutex_lock (&self->lock);
    self->answer_set = TRUE;
    g_mutex_unlock (&self->lock);
  }
  gst_promise_unref (promise);
  complete (self, error);
}

static void
on_answer_created (GstPromise *promise,
                   gpointer    user_data)
{
  SipcastWhepViewer *self = user_data;
  g_autoptr (GstElement) webrtc = ref_webrtc (self);
  GstWebRTCSessionDescription *answer = NULL;
  GError *error = NULL;

  if (!promise_ok (promise, "create an answer", &error)) {
    gst_promise_unref (promise);
    complete (self, error);
    return;
  }
  gst_structure_get (gst_promise_get_reply (promise), "answer",
                     GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL);
  gst_promise_unref (promise);
  if (answer == NULL) {
    complete (self, g_error_new_literal (SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                                         _("WebRTC produced no answer")));
    return;
  }
  if (webrtc != NULL)
    g_signal_emit_by_name (webrtc, "set-local-description", answer,
                         gst_promise_new_with_change_func (on_answer_set,
                                                           g_object_ref (self),
                                                           g_object_unref));
  gst_webrtc_session_description_free (answer);
}

static void
on_offer_set (GstPromise *promise,
              gpointer    user_data)
{
  SipcastWhepViewer *self = user_data;
  g_autoptr (GstElement) webrtc = ref_webrtc (self);
  GError *error = NULL;

  if (!promise_ok (promise, "accept the offer", &error)) {
    gst_promise_unref (promise);
    complete (self, error);
    return;
  }
  gst_promise_unref (promise);
  if (webrtc != NULL)
    g_signal_emit_by_name (webrtc, "create-answer", NULL,
                         gst_promise_new_with_change_func (on_answer_created,
                                                           g_object_ref (self),
                                                           g_object_unref));
}

static void
on_gathering_state (GObject    *webrtc,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  SipcastWhepViewer *self = user_data;
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  g_mutex_lock (&self->lock);
  self->gathered = TRUE;
  g_mutex_unlock (&self->lock);
  complete (self, NULL);
}

static gboolean
gather_timeout_cb (gpointer user_data)
{
  SipcastWhepViewer *self = user_data;

  self->gather_timeout_id = 0;
  g_mutex_lock (&self->lock);
  if (self->task != NULL)
    g_message ("WHEP viewer %s: ICE gathering took longer than %d ms, answering with "
               "the candidates found so far", self->id, GATHER_TIMEOUT_MS);
  self->gathered = TRUE;
  g_mutex_unlock (&self->lock);
  complete (self, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
emit_failed_cb (gpointer user_data)
{
  SipcastWhepViewer *self = user_data;

  self->failed_idle_id = 0;
  g_signal_emit (self, signals[SIGNAL_FAILED], 0);
  return G_SOURCE_REMOVE;
}

static void
on_connection_state (GObject    *webrtc,
                     GParamSpec *pspec,
                     gpointer    user_data)
{
  SipcastWhepViewer *self = user_data;
  GstWebRTCPeerConnectionState state;

  g_object_get (webrtc, "connection-state", &state, NULL);
  g_debug ("WHEP viewer %s: connection state %d", self->id, state);
  if (state != GST_WEBRTC_PEER_CONNECTION_STATE_FAILED &&
      state != GST_WEBRTC_PEER_CONNECTION_STATE_CLOSED)
    return;

  /* From a webrtcbin thread: the owner reacts on the main context, where
   * it may close us. */
  g_mutex_lock (&self->lock);
  if (!self->closed && self->failed_idle_id == 0)
    self->failed_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, emit_failed_cb,
                                            g_object_ref (self), g_object_unref);
  g_mutex_unlock (&self->lock);
}

/* Host candidates only on the configured addresses: without them libnice
 * takes every interface but loopback. */
static void
restrict_ice (SipcastWhepViewer *self)
{
  g_autoptr (GstWebRTCICE) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_object_get (self->webrtc, "ice-agent", &ice, NULL);
  if (ice == NULL)
    return;
  /* UDP only: a browser on the LAN reaches us over UDP, and TCP
   * candidates would double the connectivity checks. */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp") != NULL)
    g_object_set (ice, "ice-tcp", FALSE, NULL);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent") == NULL)
    return;
  g_object_get (ice, "agent", &agent, NULL);
  if (agent == NULL || !NICE_IS_AGENT (agent))
    return;
  /* No UPnP port mapping: it multicasts SSDP discovery on the LAN for
   * every viewer, and a LAN viewer does not need it. */
  g_object_set (agent, "upnp", FALSE, NULL);
  if (self->addresses == NULL || self->addresses[0] == NULL)
    return;

  for (guint i = 0; self->addresses[i] != NULL; i++) {
    NiceAddress address;

    nice_address_init (&address);
    if (nice_address_set_from_string (&address, self->addresses[i]))
      nice_agent_add_local_address (NICE_AGENT (agent), &address);
    else
      g_warning ("WHEP: “%s” is not an IP address, not used for ICE", self->addresses[i]);
  }
}

/* Hands the offer to webrtcbin, once; any thread. */
static void
start_negotiation (SipcastWhepViewer *self)
{
  g_autoptr (GstElement) webrtc = NULL;
  GstSDPMessage *offer;
  GstWebRTCSessionDescription *description;

  g_mutex_lock (&self->lock);
  offer = g_steal_pointer (&self->offer);
  if (offer != NULL && self->webrtc != NULL)
    webrtc = gst_object_ref (self->webrtc);
  g_mutex_unlock (&self->lock);
  if (offer == NULL)
    return;
  if (webrtc == NULL) {
    gst_sdp_message_free (offer);
    return;
  }
  description = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, offer);
  g_signal_emit_by_name (webrtc, "set-remote-description", description,
                         gst_promise_new_with_change_func (on_offer_set, g_object_ref (self),
                                                           g_object_unref));
  gst_webrtc_session_description_free (description);
}

static gboolean
caps_timeout_cb (gpointer user_data)
{
  SipcastWhepViewer *self = user_data;

  gboolean pending;

  self->caps_timeout_id = 0;
  g_mutex_lock (&self->lock);
  pending = self->offer != NULL;
  g_mutex_unlock (&self->lock);
  if (pending)
    g_debug ("WHEP viewer %s: no media yet, answering without waiting for it", self->id);
  start_negotiation (self);
  return G_SOURCE_REMOVE;
}

static GstPadProbeReturn
caps_probe (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  SipcastWhepViewer *self = user_data;
  gboolean all;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&self->lock);
  all = self->caps_waiting > 0 && --self->caps_waiting == 0;
  g_mutex_unlock (&self->lock);
  if (all)
    start_negotiation (self);
  return GST_PAD_PROBE_REMOVE;
}

/* The H.264 payloader's caps as the browser offered them.  webrtcbin
 * answers only with caps that intersect the offer's, and the call's
 * stream names its own profile and level (x264's 42c015, a phone's
 * 42e01f or 640c1f…): left as they are, the video m= line is answered
 * inactive with no codec.  The browser's decoder takes any profile, and
 * the offer allows a different level (level-asymmetry-allowed), so the
 * answer may name the offer's. */
static GstPadProbeReturn
profile_probe (GstPad          *pad,
               GstPadProbeInfo *info,
               gpointer         user_data)
{
  SipcastWhepViewer *self = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstCaps *caps;
  GstCaps *offered;

  if (GST_EVENT_TYPE (event) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (event, &caps);
  offered = gst_caps_copy (caps);
  gst_caps_set_simple (offered, "profile-level-id", G_TYPE_STRING,
                       self->h264_profile_level_id, NULL);
  /* webrtcbin reads the offer's profile-level-id as a profile name
   * ("baseline" for 42001f): the payloader's own name would not match. */
  gst_structure_remove_fields (gst_caps_get_structure (offered, 0), "profile", "level", NULL);
  info->data = gst_event_new_caps (offered);
  gst_caps_unref (offered);
  gst_event_unref (event);
  return GST_PAD_PROBE_OK;
}

/* appsrc ▶ @payloader pt=@pt ▶ webrtcbin */
static gboolean
add_branch (SipcastWhepViewer  *self,
            SipcastWhepKind     kind,
            const char         *payloader_factory,
            int                 pt,
            GError            **error)
{
  const char *name = kind == SIPCAST_WHEP_AUDIO ? "audio" : "video";
  g_autofree char *src_name = g_strdup_printf ("whep_%s_src", name);
  g_autofree char *pay_name = g_strdup_printf ("whep_%s_pay", name);
  GstElement *src = kind == SIPCAST_WHEP_VIDEO
                    ? gst_object_ref_sink (sipcast_stream_subscribe_video (self->stream))
                    : make_element ("appsrc", src_name, error);
  GstElement *pay = src != NULL ? make_element (payloader_factory, pay_name, error) : NULL;
  g_autoptr (GstPad) pay_src = NULL;
  g_autoptr (GstPad) webrtc_sink = NULL;

  if (pay == NULL) {
    if (kind == SIPCAST_WHEP_VIDEO) {
      sipcast_stream_unsubscribe (self->stream, src);
      gst_object_unref (src);
    } else if (src != NULL) {
      gst_object_unref (gst_object_ref_sink (src));
    }
    return FALSE;
  }
  if (kind == SIPCAST_WHEP_VIDEO) {
    gst_object_set_name (GST_OBJECT (src), src_name);
    /* Ours to unsubscribe, whatever the bin does with its reference. */
    g_mutex_lock (&self->lock);
    self->video_subscription = gst_object_ref (src);
    g_mutex_unlock (&self->lock);
    gst_object_unref (src);
  } else {
    g_object_set (src, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", TRUE,
                  "max-bytes", (guint64) VIEWER_QUEUE_BYTES,
                  "leaky-type", GST_APP_LEAKY_TYPE_DOWNSTREAM, NULL);
  }
  g_object_set (pay, "pt", (guint) pt, NULL);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (pay), "config-interval") != NULL)
    /* SPS/PPS with every key frame: a viewer joins mid-stream. */
    g_object_set (pay, "config-interval", -1, NULL);

  gst_bin_add_many (GST_BIN (self->pipeline), src, pay, NULL);
  pay_src = gst_element_get_static_pad (pay, "src");
  /* The viewer outlives its pipeline: the probes need no reference.
   * The caps are the offer's before caps_probe starts the negotiation. */
  if (kind == SIPCAST_WHEP_VIDEO && self->h264_profile_level_id[0] != '\0')
    gst_pad_add_probe (pay_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, profile_probe, self, NULL);
  g_mutex_lock (&self->lock);
  self->caps_waiting++;
  g_mutex_unlock (&self->lock);
  gst_pad_add_probe (pay_src, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, caps_probe, self, NULL);
  webrtc_sink = gst_element_request_pad_simple (self->webrtc, "sink_%u");
  if (webrtc_sink == NULL || !gst_element_link (src, pay) ||
      gst_pad_link (pay_src, webrtc_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not link the %s of the stream to WebRTC"), name);
    return FALSE;
  }
  g_mutex_lock (&self->lock);
  self->sources[kind] = gst_object_ref (src);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
bus_cb (GstBus     *bus,
        GstMessage *message,
        gpointer    user_data)
{
  SipcastWhepViewer *self = SIPCAST_WHEP_VIEWER (user_data);

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) err = NULL;
    g_autofree char *debug = NULL;
    g_autofree char *name = g_strdup_printf ("whep-%s", self->id);

    gst_message_parse_error (message, &err, &debug);
    g_message ("WHEP viewer %s: %s: %s (%s)", self->id, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               err->message, debug ? debug : "");
    sipcast_media_chain_dump_graph (self->pipeline, name, "error");
    self->bus_watch_id = 0;
    g_mutex_lock (&self->lock);
    if (self->failed_idle_id == 0)
      self->failed_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, emit_failed_cb,
                                              g_object_ref (self), g_object_unref);
    g_mutex_unlock (&self->lock);
    return G_SOURCE_REMOVE;
  }
  case GST_MESSAGE_LATENCY:
    gst_bin_recalculate_latency (GST_BIN (self->pipeline));
    break;
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
build (SipcastWhepViewer       *self,
       const SipcastWhepOffer  *offer,
       GError                 **error)
{
  g_autofree char *name = g_strdup_printf ("whep-%s", self->id);
  gboolean audio = self->stream_audio && offer->audio_pt >= 0;
  gboolean video = self->stream_video && offer->h264_pt >= 0;
  g_autoptr (GstClock) clock = NULL;
  g_autoptr (GstBus) bus = NULL;

  if (!audio && !video) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         _("The stream has nothing the offer can receive"));
    return FALSE;
  }

  self->pipeline = gst_object_ref_sink (gst_pipeline_new (name));
  /* As in sipcast-push.c: the appsrcs stamp buffers with the running
   * time as they arrive, so the clock and base time are fixed before
   * they are added. */
  clock = gst_system_clock_obtain ();
  gst_pipeline_use_clock (GST_PIPELINE (self->pipeline), clock);
  gst_element_set_clock (self->pipeline, clock);
  gst_element_set_start_time (self->pipeline, GST_CLOCK_TIME_NONE);
  gst_element_set_base_time (self->pipeline, gst_clock_get_time (clock));

  self->webrtc = make_element ("webrtcbin", "whep_webrtc", error);
  if (self->webrtc == NULL)
    return FALSE;
  gst_object_ref_sink (self->webrtc);
  g_object_set (self->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  if (self->stun_server != NULL)
    g_object_set (self->webrtc, "stun-server", self->stun_server, NULL);
  restrict_ice (self);
  gst_bin_add (GST_BIN (self->pipeline), self->webrtc);

  self->gathering_id = g_signal_connect (self->webrtc, "notify::ice-gathering-state",
                                         G_CALLBACK (on_gathering_state), self);
  self->connection_id = g_signal_connect (self->webrtc, "notify::connection-state",
                                          G_CALLBACK (on_connection_state), self);

  memcpy (self->h264_profile_level_id, offer->h264_profile_level_id,
          sizeof self->h264_profile_level_id);
  if (audio && !add_branch (self, SIPCAST_WHEP_AUDIO, "rtpopuspay", offer->audio_pt, error))
    return FALSE;
  if (video && !add_branch (self, SIPCAST_WHEP_VIDEO, "rtph264pay", offer->h264_pt, error))
    return FALSE;

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch_id = gst_bus_add_watch (bus, bus_cb, self);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                         _("Could not start WebRTC"));
    return FALSE;
  }
  return TRUE;
}

static void
sipcast_whep_viewer_dispose (GObject *object)
{
  SipcastWhepViewer *self = SIPCAST_WHEP_VIEWER (object);

  sipcast_whep_viewer_close (self);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (sipcast_whep_viewer_parent_class)->dispose (object);
}

static void
sipcast_whep_viewer_finalize (GObject *object)
{
  SipcastWhepViewer *self = SIPCAST_WHEP_VIEWER (object);

  g_free (self->id);
  g_free (self->stun_server);
  g_strfreev (self->addresses);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (sipcast_whep_viewer_parent_class)->finalize (object);
}

static void
sipcast_whep_viewer_class_init (SipcastWhepViewerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_whep_viewer_dispose;
  object_class->finalize = sipcast_whep_viewer_finalize;

  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sipcast_whep_viewer_init (SipcastWhepViewer *self)
{
  g_mutex_init (&self->lock);
}

SipcastWhepViewer *
sipcast_whep_viewer_new (const char           *id,
                         SipcastStream        *stream,
                         gboolean              stream_audio,
                         gboolean              stream_video,
                         const SipcastWhepIce *ice)
{
  SipcastWhepViewer *self;

  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_STREAM (stream), NULL);

  self = g_object_new (SIPCAST_TYPE_WHEP_VIEWER, NULL);
  self->id = g_strdup (id);
  self->stream = g_object_ref (stream);
  self->stream_audio = stream_audio;
  self->stream_video = stream_video;
  if (ice != NULL) {
    self->stun_server = g_strdup (ice->stun_server);
    self->addresses = g_strdupv ((char **) ice->addresses);
  }
  return self;
}

const char *
sipcast_whep_viewer_get_id (SipcastWhepViewer *self)
{
  g_return_val_if_fail (SIPCAST_IS_WHEP_VIEWER (self), NULL);
  return self->id;
}

gboolean
sipcast_whep_viewer_wants (SipcastWhepViewer *self,
                           SipcastWhepKind    kind)
{
  gboolean wants;

  g_return_val_if_fail (SIPCAST_IS_WHEP_VIEWER (self), FALSE);

  g_mutex_lock (&self->lock);
  wants = self->answer_set && !self->closed && self->sources[kind] != NULL;
  g_mutex_unlock (&self->lock);
  return wants;
}

void
sipcast_whep_viewer_push (SipcastWhepViewer *self,
                          SipcastWhepKind    kind,
                          GstSample         *sample)
{
  g_autoptr (GstElement) src = NULL;

  g_return_if_fail (SIPCAST_IS_WHEP_VIEWER (self));

  g_mutex_lock (&self->lock);
  if (!self->closed && self->sources[kind] != NULL)
    src = gst_object_ref (self->sources[kind]);
  g_mutex_unlock (&self->lock);
  if (src == NULL)
    return;

  /* Same memory, fresh metadata: our appsrc stamps it with this
   * pipeline's running time. */
  {
    GstBuffer *buffer = gst_buffer_copy_region (gst_sample_get_buffer (sample),
                                                GST_BUFFER_COPY_MEMORY | GST_BUFFER_COPY_FLAGS,
                                                0, -1);
    GstCaps *caps = gst_sample_get_caps (sample);
    g_autoptr (GstCaps) current = gst_app_src_get_caps (GST_APP_SRC (src));

    if (caps != NULL && (current == NULL || !gst_caps_is_equal (caps, current)))
      gst_app_src_set_caps (GST_APP_SRC (src), caps);
    gst_app_src_push_buffer (GST_APP_SRC (src), buffer);
  }
}

void
sipcast_whep_viewer_negotiate_async (SipcastWhepViewer   *self,
                                     const char          *offer,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  SipcastWhepOffer parsed;
  gboolean waiting;

  g_return_if_fail (SIPCAST_IS_WHEP_VIEWER (self));
  g_return_if_fail (self->pipeline == NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, sipcast_whep_viewer_negotiate_async);

  if (!sipcast_whep_offer_parse (offer, &parsed, &error) ||
      !build (self, &parsed, &error)) {
    sipcast_whep_viewer_close (self);
    g_task_return_error (task, g_steal_pointer (&error));
    return;
  }
  g_mutex_lock (&self->lock);
  self->task = g_object_ref (task);
  /* sipcast_whep_offer_parse() has parsed it already. */
  if (self->offer == NULL)
    gst_sdp_message_new_from_text (offer, &self->offer);
  waiting = self->caps_waiting > 0;
  g_mutex_unlock (&self->lock);
  self->gather_timeout_id = g_timeout_add (CAPS_WAIT_MS + GATHER_TIMEOUT_MS,
                                           gather_timeout_cb, self);
  if (waiting)
    self->caps_timeout_id = g_timeout_add (CAPS_WAIT_MS, caps_timeout_cb, self);
  else
    start_negotiation (self);
}

char *
sipcast_whep_viewer_negotiate_finish (SipcastWhepViewer  *self,
                                      GAsyncResult       *result,
                                      GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
sipcast_whep_viewer_close (SipcastWhepViewer *self)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GstElement) webrtc = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) video = NULL;
  GstElement *sources[SIPCAST_WHEP_N_KINDS];

  g_return_if_fail (SIPCAST_IS_WHEP_VIEWER (self));

  g_mutex_lock (&self->lock);
  if (self->closed) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->closed = TRUE;
  task = g_steal_pointer (&self->task);
  webrtc = g_steal_pointer (&self->webrtc);
  pipeline = g_steal_pointer (&self->pipeline);
  for (guint i = 0; i < SIPCAST_WHEP_N_KINDS; i++)
    sources[i] = g_steal_pointer (&self->sources[i]);
  video = g_steal_pointer (&self->video_subscription);
  g_mutex_unlock (&self->lock);

  /* First, so that the stream stops feeding a pipeline going away. */
  if (video != NULL)
    sipcast_stream_unsubscribe (self->stream, video);

  g_clear_handle_id (&self->gather_timeout_id, g_source_remove);
  g_clear_handle_id (&self->caps_timeout_id, g_source_remove);
  g_clear_handle_id (&self->failed_idle_id, g_source_remove);
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);
  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->offer, gst_sdp_message_free);
  g_mutex_unlock (&self->lock);
  if (task != NULL)
    g_task_return_new_error (task, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                             _("The stream ended"));
  if (webrtc != NULL) {
    g_clear_signal_handler (&self->gathering_id, webrtc);
    g_clear_signal_handler (&self->connection_id, webrtc);
  }
  if (pipeline != NULL)
    gst_element_set_state (pipeline, GST_STATE_NULL);
  for (guint i = 0; i < SIPCAST_WHEP_N_KINDS; i++)
    gst_clear_object (&sources[i]);
}

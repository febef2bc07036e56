/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-media-session.h"
#include "sipcast-enums.h"
#include "sipcast-dtmf.h"
#include "sipcast-error.h"
#include "sipcast-pipelines.h"

#include <glib/gi18n.h>
#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

/*
 * Pipeline layout (element names are their roles, so GST_DEBUG output and
 * DOT graphs read like this comment):
 *
 *   rtp_src (udpsrc) ──▶ rtpbin ──pad-added──▶ depay ▶ decoder ▶ [tail bin]
 *   rtcp_src (udpsrc) ─▶ rtpbin ──send_rtcp_src──▶ rtcp_sink (udpsink)
 *   tx_mixer ▶ encoder ▶ payloader ▶ tx_rtpmux ▶ rtpbin ──▶ rtp_sink (udpsink)
 *                            tx_dtmf (rtpdtmfsrc) ─┘
 *
 * The send side runs from the answer on, so the far end hears silence
 * (the mixer with no source) rather than nothing; RTP leaves from the
 * socket RTP arrives on (symmetric RTP).
 * The tail bin is parsed from pipelines/audio-aac.pipeline followed by
 * flv-rtmp.pipeline or flv-file.pipeline (or a fakesink when the call is
 * not published).  Streaming threads never touch session state: they post
 * application messages that the bus watch handles on the main context.
 */

#define MSG_FIRST_WRITE "sipcast-first-write"
#define MSG_EOS_AT_SINK "sipcast-eos-at-sink"

/* How long the muxer gets to finish the FLV before the pipeline is torn
 * down anyway (a sink stuck on a dead TCP connection must not block a
 * hang-up or the daemon's shutdown). */
#define STOP_GRACE_MS 3000

enum {
  PROP_0,
  PROP_RTMP_STATUS,
  N_PROPS
};

enum {
  SIGNAL_ERROR,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Pipelines alive in this process; main context only. */
static guint n_running;

struct _SipcastMediaSession {
  GObject parent_instance;

  const SipcastConfig *config;
  char *name;
  GSocket *rtp_socket;
  GSocket *rtcp_socket;

  GstElement *pipeline;
  GstElement *rtpbin;
  GstElement *tail;          /* the parsed tail bin, ghost sink pad "sink" */
  guint bus_watch_id;
  guint stop_timeout_id;

  /* Negotiated receive side, copied from the answer. */
  guint payload_type;
  guint clock_rate;
  char *encoding_name;
  char *depayloader;
  char *decoder;
  int telephone_event_pt;

  /* Send direction: the mixer everything the far end hears goes through,
   * and the RFC 4733 event source (NULL when the far end takes none). */
  GstElement *tx_mixer;
  GstElement *tx_dtmf;
  GString *dtmf_pending;     /* digits queued, first one playing or next */
  gboolean dtmf_tone_on;
  guint dtmf_timeout_id;

  gboolean publishing;       /* the tail writes to RTMP or a file */
  gboolean stopping;
  gboolean finished;
  SipcastRtmpStatus rtmp_status;
};

G_DEFINE_FINAL_TYPE (SipcastMediaSession, sipcast_media_session, G_TYPE_OBJECT)

static void
set_rtmp_status (SipcastMediaSession *self,
                 SipcastRtmpStatus    status)
{
  if (self->rtmp_status == status)
    return;

  g_debug ("%s: RTMP %s → %s", self->name,
           sipcast_rtmp_status_to_string (self->rtmp_status),
           sipcast_rtmp_status_to_string (status));
  self->rtmp_status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RTMP_STATUS]);
}

static void
dump_graph (SipcastMediaSession *self,
            const char          *suffix)
{
  g_autofree char *file = NULL;

  if (self->pipeline == NULL)
    return;

  file = g_strdup_printf ("sipcast-%s-%s", self->name, suffix);
  GST_DEBUG_BIN_TO_DOT_FILE (GST_BIN (self->pipeline), GST_DEBUG_GRAPH_SHOW_ALL, file);
}

/* Strips '#' comment lines and substitutes ${name} from @vars; an unknown
 * variable is an error rather than a silently broken pipeline. */
static char *
expand_description (const char  *resource,
                    GHashTable  *vars,
                    GError     **error)
{
  g_autofree char *path = g_strconcat ("/org/sipcast/pipelines/", resource, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) out = g_string_new (NULL);

  bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;

  lines = g_strsplit (g_bytes_get_data (bytes, NULL), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = g_strstrip (lines[i]);
    const char *p;

    if (*line == '#' || *line == '\0')
      continue;

    for (p = line; *p != '\0'; p++) {
      const char *end;
      g_autofree char *key = NULL;
      const char *value;

      if (p[0] != '$' || p[1] != '{') {
        g_string_append_c (out, *p);
        continue;
      }
      end = strchr (p, '}');
      if (end == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                     "%s: unterminated ${", resource);
        return NULL;
      }
      key = g_strndup (p + 2, end - p - 2);
      value = g_hash_table_lookup (vars, key);
      if (value == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                     "%s: unknown variable ${%s}", resource, key);
        return NULL;
      }
      g_string_append (out, value);
      p = end;
    }
    g_string_append_c (out, ' ');
  }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static GstPadProbeReturn
first_write_probe (GstPad          *pad,
                   GstPadProbeInfo *info,
                   gpointer         user_data)
{
  GstElement *sink = GST_ELEMENT (user_data);
  guint *n_seen = g_object_get_data (G_OBJECT (pad), "sipcast-n-seen");
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  /* Stream headers (FLV header, metadata, codec config) are only cached
   * by rtmp2sink until it is connected; they prove nothing. */
  if (buffer == NULL || GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER))
    return GST_PAD_PROBE_OK;

  /* The sink renders in the thread that calls this probe, and rtmp2sink
   * holds the first media buffer until the server has accepted the
   * publish: when the second media buffer arrives here, the first one
   * was written. */
  if (++(*n_seen) < 2)
    return GST_PAD_PROBE_OK;

  gst_element_post_message (sink,
      gst_message_new_application (GST_OBJECT (sink),
                                   gst_structure_new_empty (MSG_FIRST_WRITE)));
  return GST_PAD_PROBE_REMOVE;
}

static GstPadProbeReturn
eos_probe (GstPad          *pad,
           GstPadProbeInfo *info,
           gpointer         user_data)
{
  GstElement *sink = GST_ELEMENT (user_data);

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;

  gst_element_post_message (sink,
      gst_message_new_application (GST_OBJECT (sink),
                                   gst_structure_new_empty (MSG_EOS_AT_SINK)));
  return GST_PAD_PROBE_OK;
}

static void
teardown_pipeline (SipcastMediaSession *self)
{
  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  g_clear_handle_id (&self->dtmf_timeout_id, g_source_remove);
  self->tx_mixer = NULL;
  self->tx_dtmf = NULL;
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);

  if (self->pipeline != NULL) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    g_clear_object (&self->pipeline);
    self->rtpbin = NULL;
    self->tail = NULL;
    n_running--;
  }
}

static void
finish (SipcastMediaSession *self)
{
  if (self->finished)
    return;

  teardown_pipeline (self);
  self->finished = TRUE;
  g_debug ("%s: media finished", self->name);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0);
}

static gboolean
stop_timeout_cb (gpointer user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);

  self->stop_timeout_id = 0;
  g_warning ("%s: stream did not finish within %d ms, closing it", self->name, STOP_GRACE_MS);
  finish (self);
  return G_SOURCE_REMOVE;
}

static void
fail (SipcastMediaSession *self,
      const char          *reason)
{
  if (self->stopping)
    return;

  dump_graph (self, "error");
  if (self->publishing) {
    set_rtmp_status (self,
                     self->rtmp_status == SIPCAST_RTMP_STATUS_ACTIVE ?
                     SIPCAST_RTMP_STATUS_CONNECTION_LOST :
                     SIPCAST_RTMP_STATUS_CONNECTION_FAILED);
  }
  /* The pipeline is unusable after an error; what remains is to report. */
  self->stopping = TRUE;
  teardown_pipeline (self);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, reason);
  finish (self);
}

static gboolean
bus_cb (GstBus     *bus,
        GstMessage *message,
        gpointer    user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_APPLICATION: {
    const GstStructure *s = gst_message_get_structure (message);

    if (gst_structure_has_name (s, MSG_FIRST_WRITE)) {
      set_rtmp_status (self, SIPCAST_RTMP_STATUS_ACTIVE);
      dump_graph (self, "active");
    } else if (gst_structure_has_name (s, MSG_EOS_AT_SINK) && self->stopping) {
      finish (self);
    }
    break;
  }
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) err = NULL;
    g_autofree char *debug = NULL;
    g_autofree char *reason = NULL;

    gst_message_parse_error (message, &err, &debug);
    g_warning ("%s: %s: %s (%s)", self->name, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               err->message, debug ? debug : "");
    reason = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
                              err->message);
    fail (self, reason);
    /* fail() removed this watch. */
    return G_SOURCE_REMOVE;
  }
  case GST_MESSAGE_WARNING: {
    g_autoptr (GError) err = NULL;

    gst_message_parse_warning (message, &err, NULL);
    g_message ("%s: %s: %s", self->name, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               err->message);
    break;
  }
  case GST_MESSAGE_EOS:
    if (self->stopping)
      finish (self);
    return self->finished ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
  default:
    break;
  }

  return G_SOURCE_CONTINUE;
}

static GstCaps *
caps_for_pt (SipcastMediaSession *self,
             guint                pt)
{
  if (pt == self->payload_type) {
    return gst_caps_new_simple ("application/x-rtp",
                                "media", G_TYPE_STRING, "audio",
                                "payload", G_TYPE_INT, (int) pt,
                                "clock-rate", G_TYPE_INT, (int) self->clock_rate,
                                "encoding-name", G_TYPE_STRING, self->encoding_name,
                                NULL);
  }
  if ((int) pt == self->telephone_event_pt) {
    return gst_caps_new_simple ("application/x-rtp",
                                "media", G_TYPE_STRING, "audio",
                                "payload", G_TYPE_INT, (int) pt,
                                "clock-rate", G_TYPE_INT, (int) self->clock_rate,
                                "encoding-name", G_TYPE_STRING, "TELEPHONE-EVENT",
                                NULL);
  }
  return NULL;
}

static GstCaps *
request_pt_map_cb (GstElement *rtpbin,
                   guint       session,
                   guint       pt,
                   gpointer    user_data)
{
  return caps_for_pt (SIPCAST_MEDIA_SESSION (user_data), pt);
}

/* Runs on a streaming thread: only builds and links elements, which is
 * what pad-added is for; no session state but the immutable codec info
 * and the tail (set before PLAYING) is read. */
static void
pad_added_cb (GstElement *rtpbin,
              GstPad     *pad,
              gpointer    user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);
  g_autofree char *pad_name = gst_pad_get_name (pad);
  guint session, ssrc, pt;
  GstElement *depay = NULL, *decoder = NULL, *fakesink;
  g_autoptr (GstPad) tail_pad = NULL;
  g_autoptr (GstPad) sinkpad = NULL;

  if (sscanf (pad_name, "recv_rtp_src_%u_%u_%u", &session, &ssrc, &pt) != 3)
    return;

  g_debug ("%s: RTP from SSRC %08x, payload type %u", self->name, ssrc, pt);

  if (pt == self->payload_type) {
    tail_pad = gst_element_get_static_pad (self->tail, "sink");
    /* A second SSRC with the same payload (a far end restarting its
     * stream) cannot be linked to the same tail; drop it. */
    if (!gst_pad_is_linked (tail_pad)) {
      depay = gst_element_factory_make (self->depayloader, "audio_depay");
      decoder = gst_element_factory_make (self->decoder, "audio_decoder");
    }
  }

  if (depay != NULL && decoder != NULL) {
    gst_bin_add_many (GST_BIN (self->pipeline), depay, decoder, NULL);
    gst_element_link (depay, decoder);
    sinkpad = gst_element_get_static_pad (depay, "sink");
    {
      g_autoptr (GstPad) decoder_src = gst_element_get_static_pad (decoder, "src");
      gst_pad_link (decoder_src, tail_pad);
    }
    gst_element_sync_state_with_parent (decoder);
    gst_element_sync_state_with_parent (depay);
  } else {
    /* telephone-event and anything unexpected: consumed, not published. */
    g_clear_object (&depay);
    g_clear_object (&decoder);
    fakesink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (fakesink, "async", FALSE, "sync", FALSE, NULL);
    gst_bin_add (GST_BIN (self->pipeline), fakesink);
    gst_element_sync_state_with_parent (fakesink);
    sinkpad = gst_element_get_static_pad (fakesink, "sink");
  }

  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_warning ("%s: could not link %s", self->name, pad_name);
}

static GstElement *
build_tail (SipcastMediaSession        *self,
            const SipcastPublishTarget *target,
            GError                    **error)
{
  g_autoptr (GHashTable) vars = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *audio = NULL;
  g_autofree char *sink = NULL;
  g_autofree char *description = NULL;
  g_autoptr (GstElement) bin = NULL;
  g_autoptr (GstElement) sink_element = NULL;
  g_autoptr (GstPad) sink_pad = NULL;

  if (target == NULL) {
    /* Not published: nothing to encode.  Named streams will hang here. */
    bin = gst_parse_bin_from_description ("fakesink name=sink sync=false async=false",
                                          TRUE, error);
    if (bin != NULL)
      gst_object_ref_sink (bin);
    return g_steal_pointer (&bin);
  }

  g_hash_table_insert (vars, "aac_rate", g_strdup_printf ("%u", self->config->aac_rate));
  g_hash_table_insert (vars, "aac_channels", g_strdup_printf ("%u", self->config->aac_channels));
  g_hash_table_insert (vars, "aac_bitrate", g_strdup_printf ("%u", self->config->aac_bitrate));

  audio = expand_description ("audio-aac.pipeline", vars, error);
  if (audio == NULL)
    return NULL;
  sink = expand_description (target->kind == SIPCAST_PUBLISH_RTMP ?
                             "flv-rtmp.pipeline" : "flv-file.pipeline", vars, error);
  if (sink == NULL)
    return NULL;

  description = g_strconcat (audio, " ! ", sink, NULL);
  g_debug ("%s: tail: %s", self->name, description);

  bin = gst_parse_bin_from_description_full (description, TRUE, NULL,
                                             GST_PARSE_FLAG_FATAL_ERRORS, error);
  if (bin == NULL)
    return NULL;
  gst_object_ref_sink (bin);

  sink_element = gst_bin_get_by_name (GST_BIN (bin), "sink");
  if (sink_element == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 "pipeline description has no element named \"sink\"");
    return NULL;
  }
  g_object_set (sink_element, "location", target->location, NULL);

  sink_pad = gst_element_get_static_pad (sink_element, "sink");
  g_object_set_data_full (G_OBJECT (sink_pad), "sipcast-n-seen", g_new0 (guint, 1), g_free);
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER,
                     first_write_probe, sink_element, NULL);
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     eos_probe, sink_element, NULL);

  return g_steal_pointer (&bin);
}

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

/* mixer → encoder → payloader (→ rtpmux with the DTMF events) → rtpbin
 * send session 0 → udpsink on the RTP socket.  Elements are added to the
 * pipeline as they are made so a failure leaves nothing dangling. */
static gboolean
build_send_path (SipcastMediaSession   *self,
                 const SipcastSdpMedia *audio,
                 GError               **error)
{
  const SipcastCodec *codec = audio->codec;
  GstBin *bin = GST_BIN (self->pipeline);
  GstElement *mixer, *raw_caps, *encoder, *payloader, *rtp_sink, *last;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstPad) send_sink = NULL;
  g_autoptr (GstPad) send_src = NULL;
  g_autoptr (GstPad) pad = NULL;

  if ((mixer = make_element ("sipcastmixer", "tx_mixer", error)) == NULL)
    return FALSE;
  gst_bin_add (bin, mixer);
  /* One mixer cycle per packet: fewer wake-ups than the 10 ms default. */
  g_object_set (mixer, "output-buffer-duration", (guint64) 20 * GST_MSECOND, NULL);

  raw_caps = gst_element_factory_make ("capsfilter", "tx_caps");
  caps = gst_caps_new_simple ("audio/x-raw",
                              "format", G_TYPE_STRING, "S16LE",
                              "rate", G_TYPE_INT, (int) codec->sample_rate,
                              "channels", G_TYPE_INT, 1, NULL);
  g_object_set (raw_caps, "caps", caps, NULL);
  gst_bin_add (bin, raw_caps);

  if ((encoder = make_element (codec->encoder, "tx_encoder", error)) == NULL)
    return FALSE;
  gst_bin_add (bin, encoder);
  if ((payloader = make_element (codec->payloader, "tx_payloader", error)) == NULL)
    return FALSE;
  gst_bin_add (bin, payloader);
  g_object_set (payloader, "pt", audio->payload_type,
                "min-ptime", (gint64) 20 * GST_MSECOND,
                "max-ptime", (gint64) 20 * GST_MSECOND, NULL);

  if (!gst_element_link_many (mixer, raw_caps, encoder, payloader, NULL)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not link the %s encoder"), codec->encoding_name);
    return FALSE;
  }
  last = payloader;

  if (audio->telephone_event_pt >= 0) {
    GstElement *rtpmux, *dtmf, *dtmf_caps;
    g_autoptr (GstCaps) te_caps = NULL;
    g_autoptr (GstPad) mux_sink = NULL;
    g_autoptr (GstPad) dtmf_src = NULL;

    if ((rtpmux = make_element ("rtpdtmfmux", "tx_rtpmux", error)) == NULL)
      return FALSE;
    gst_bin_add (bin, rtpmux);
    if ((dtmf = make_element ("rtpdtmfsrc", "tx_dtmf", error)) == NULL)
      return FALSE;
    gst_bin_add (bin, dtmf);
    /* RFC 4733: events use the clock of the audio they replace (2.1) and
     * the end packet is sent three times (2.5.1.4). */
    g_object_set (dtmf, "pt", audio->telephone_event_pt, "packet-redundancy", 3, NULL);
    dtmf_caps = gst_element_factory_make ("capsfilter", "tx_dtmf_caps");
    te_caps = gst_caps_new_simple ("application/x-rtp",
                                   "media", G_TYPE_STRING, "audio",
                                   "clock-rate", G_TYPE_INT, (int) codec->clock_rate,
                                   "encoding-name", G_TYPE_STRING, "TELEPHONE-EVENT",
                                   "payload", G_TYPE_INT, audio->telephone_event_pt, NULL);
    g_object_set (dtmf_caps, "caps", te_caps, NULL);
    gst_bin_add (bin, dtmf_caps);
    gst_element_link (dtmf, dtmf_caps);

    gst_element_link_pads (payloader, "src", rtpmux, "sink_%u");
    mux_sink = gst_element_request_pad_simple (rtpmux, "priority_sink_%u");
    dtmf_src = gst_element_get_static_pad (dtmf_caps, "src");
    gst_pad_link (dtmf_src, mux_sink);
    self->tx_dtmf = dtmf;
    last = rtpmux;
  }

  send_sink = gst_element_request_pad_simple (self->rtpbin, "send_rtp_sink_0");
  pad = gst_element_get_static_pad (last, "src");
  if (gst_pad_link (pad, send_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not link the RTP send path"));
    return FALSE;
  }

  rtp_sink = gst_element_factory_make ("udpsink", "rtp_sink");
  /* Symmetric RTP: we send from the port we receive on.  The mixer is
   * live and paces itself, so the sink need not wait on the clock. */
  g_object_set (rtp_sink, "socket", self->rtp_socket, "close-socket", FALSE,
                "host", audio->address, "port", (int) audio->port,
                "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (bin, rtp_sink);
  send_src = gst_element_get_static_pad (self->rtpbin, "send_rtp_src_0");
  gst_clear_object (&pad);
  pad = gst_element_get_static_pad (rtp_sink, "sink");
  gst_pad_link (send_src, pad);

  self->tx_mixer = mixer;
  return TRUE;
}

static void
sipcast_media_session_dispose (GObject *object)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (object);

  teardown_pipeline (self);
  g_clear_object (&self->rtp_socket);
  g_clear_object (&self->rtcp_socket);

  G_OBJECT_CLASS (sipcast_media_session_parent_class)->dispose (object);
}

static void
sipcast_media_session_finalize (GObject *object)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (object);

  g_free (self->name);
  g_free (self->encoding_name);
  g_free (self->depayloader);
  g_free (self->decoder);
  g_string_free (self->dtmf_pending, TRUE);

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

  /* Registered by hand: in a static library the generated constructor
   * would be dropped by the linker along with its unreferenced object. */
  sipcast_pipelines_register_resource ();

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
  /* The pipeline is gone; the FLV stream is complete if it could be. */
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sipcast_media_session_init (SipcastMediaSession *self)
{
  self->telephone_event_pt = -1;
  self->dtmf_pending = g_string_new (NULL);
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
  self->rtp_socket = g_object_ref (rtp);
  self->rtcp_socket = g_object_ref (rtcp);

  return self;
}

guint
sipcast_media_session_get_rtp_port (SipcastMediaSession *self)
{
  g_autoptr (GSocketAddress) address = NULL;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), 0);

  address = g_socket_get_local_address (self->rtp_socket, NULL);
  if (address == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

gboolean
sipcast_media_session_start (SipcastMediaSession        *self,
                             const SipcastSdpMedia      *audio,
                             const SipcastPublishTarget *target,
                             GError                    **error)
{
  g_autofree char *pipeline_name = NULL;
  GstElement *rtp_src, *rtcp_src, *rtcp_sink;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstPad) rtp_sink = NULL;
  g_autoptr (GstPad) rtcp_in = NULL;
  g_autoptr (GstPad) rtcp_out = NULL;
  g_autoptr (GstPad) src_pad = NULL;
  g_autoptr (GstElement) tail = NULL;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (audio != NULL && audio->codec != NULL, FALSE);
  g_return_val_if_fail (self->pipeline == NULL && !self->stopping, FALSE);

  self->payload_type = audio->payload_type;
  self->clock_rate = audio->codec->clock_rate;
  self->encoding_name = g_strdup (audio->codec->encoding_name);
  self->depayloader = g_strdup (audio->codec->depayloader);
  self->decoder = g_strdup (audio->codec->decoder);
  self->telephone_event_pt = audio->telephone_event_pt;
  self->publishing = target != NULL;

  tail = build_tail (self, target, error);
  if (tail == NULL)
    return FALSE;
  gst_element_set_name (tail, "tail");

  pipeline_name = g_strdup_printf ("call-%s", self->name);
  self->pipeline = gst_pipeline_new (pipeline_name);
  n_running++;

  rtp_src = gst_element_factory_make ("udpsrc", "rtp_src");
  rtcp_src = gst_element_factory_make ("udpsrc", "rtcp_src");
  rtcp_sink = gst_element_factory_make ("udpsink", "rtcp_sink");
  self->rtpbin = gst_element_factory_make ("rtpbin", "rtpbin");
  if (rtp_src == NULL || rtcp_src == NULL || rtcp_sink == NULL || self->rtpbin == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("GStreamer RTP elements are missing (gst-plugins-good)"));
    gst_clear_object (&rtp_src);
    gst_clear_object (&rtcp_src);
    gst_clear_object (&rtcp_sink);
    gst_clear_object (&self->rtpbin);
    teardown_pipeline (self);
    return FALSE;
  }

  caps = caps_for_pt (self, self->payload_type);
  g_object_set (rtp_src, "socket", self->rtp_socket, "close-socket", FALSE,
                "caps", caps, NULL);
  g_object_set (rtcp_src, "socket", self->rtcp_socket, "close-socket", FALSE, NULL);
  /* RTCP goes out from our RTCP port (symmetric), so NATed far ends and
   * strict ones see reports from where they send theirs. */
  g_object_set (rtcp_sink, "socket", self->rtcp_socket, "close-socket", FALSE,
                "host", audio->address, "port", (int) audio->rtcp_port,
                "sync", FALSE, "async", FALSE, NULL);
  g_object_set (self->rtpbin, "latency", self->config->jitterbuffer_latency,
                "autoremove", TRUE, NULL);

  gst_bin_add_many (GST_BIN (self->pipeline), rtp_src, rtcp_src, rtcp_sink,
                    self->rtpbin, tail, NULL);
  self->tail = tail;

  g_signal_connect_object (self->rtpbin, "request-pt-map", G_CALLBACK (request_pt_map_cb),
                           self, 0);
  g_signal_connect_object (self->rtpbin, "pad-added", G_CALLBACK (pad_added_cb), self, 0);

  rtp_sink = gst_element_request_pad_simple (self->rtpbin, "recv_rtp_sink_0");
  src_pad = gst_element_get_static_pad (rtp_src, "src");
  gst_pad_link (src_pad, rtp_sink);
  gst_clear_object (&src_pad);

  rtcp_in = gst_element_request_pad_simple (self->rtpbin, "recv_rtcp_sink_0");
  src_pad = gst_element_get_static_pad (rtcp_src, "src");
  gst_pad_link (src_pad, rtcp_in);
  gst_clear_object (&src_pad);

  rtcp_out = gst_element_request_pad_simple (self->rtpbin, "send_rtcp_src_0");
  src_pad = gst_element_get_static_pad (rtcp_sink, "sink");
  gst_pad_link (rtcp_out, src_pad);

  /* A far end that only sends (sendonly/inactive) gets nothing back. */
  if (audio->codec->encoder != NULL && audio->port != 0 &&
      (audio->direction == SIPCAST_SDP_SENDRECV || audio->direction == SIPCAST_SDP_RECVONLY) &&
      !build_send_path (self, audio, error)) {
    teardown_pipeline (self);
    return FALSE;
  }

  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  self->bus_watch_id = gst_bus_add_watch (bus, bus_cb, self);

  if (self->publishing)
    set_rtmp_status (self, SIPCAST_RTMP_STATUS_WAIT);

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
}

void
sipcast_media_session_stop (SipcastMediaSession *self)
{
  g_autoptr (GstPad) tail_pad = NULL;

  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));

  if (self->stopping)
    return;
  self->stopping = TRUE;

  if (self->pipeline == NULL) {
    finish (self);
    return;
  }

  /* EOS into the tail, not into the sources: it must reach the muxer even
   * when the far end never sent a packet (then rtpbin has no src pad to
   * carry it). */
  tail_pad = gst_element_get_static_pad (self->tail, "sink");
  if (!self->publishing || !gst_pad_send_event (tail_pad, gst_event_new_eos ())) {
    finish (self);
    return;
  }
  self->stop_timeout_id = g_timeout_add (STOP_GRACE_MS, stop_timeout_cb, self);
}

static void
send_dtmf_event (SipcastMediaSession *self,
                 int                  number,
                 gboolean             start)
{
  g_autoptr (GstPad) src = gst_element_get_static_pad (self->tx_dtmf, "src");
  GstStructure *s = gst_structure_new ("dtmf-event",
                                       "type", G_TYPE_INT, 1,
                                       "number", G_TYPE_INT, number,
                                       "volume", G_TYPE_INT, 10,
                                       "start", G_TYPE_BOOLEAN, start,
                                       NULL);

  /* rtpdtmfsrc sends the start packet, updates while the tone lasts and
   * the three end packets with the final duration (RFC 4733 2.5).  The
   * event goes in as if from downstream: rtpdtmfsrc handles dtmf-event in
   * its src pad's event function, which gst_element_send_event bypasses. */
  gst_pad_send_event (src, gst_event_new_custom (GST_EVENT_CUSTOM_UPSTREAM, s));
}

static gboolean
dtmf_step_cb (gpointer user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);

  self->dtmf_timeout_id = 0;
  if (self->tx_dtmf == NULL)
    return G_SOURCE_REMOVE;

  if (self->dtmf_tone_on) {
    /* End the current digit, then wait out the inter-digit gap. */
    send_dtmf_event (self, sipcast_dtmf_event_number (self->dtmf_pending->str[0]), FALSE);
    g_string_erase (self->dtmf_pending, 0, 1);
    self->dtmf_tone_on = FALSE;
    self->dtmf_timeout_id = g_timeout_add (SIPCAST_DTMF_GAP_MS, dtmf_step_cb, self);
  } else if (self->dtmf_pending->len > 0) {
    g_debug ("%s: DTMF %c", self->name, self->dtmf_pending->str[0]);
    send_dtmf_event (self, sipcast_dtmf_event_number (self->dtmf_pending->str[0]), TRUE);
    self->dtmf_tone_on = TRUE;
    self->dtmf_timeout_id = g_timeout_add (SIPCAST_DTMF_TONE_MS, dtmf_step_cb, self);
  }
  return G_SOURCE_REMOVE;
}

gboolean
sipcast_media_session_send_dtmf (SipcastMediaSession *self,
                                 const char          *digits,
                                 GError             **error)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (digits != NULL, FALSE);

  if (self->tx_dtmf == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                         _("The far end accepts no RFC 2833 telephone-events on this call"));
    return FALSE;
  }
  if (!sipcast_dtmf_validate (digits, error))
    return FALSE;

  g_string_append (self->dtmf_pending, digits);
  /* Digits queue behind the one playing; the timer chain plays them all. */
  if (self->dtmf_timeout_id == 0)
    dtmf_step_cb (self);
  return TRUE;
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

guint
sipcast_media_session_get_n_running (void)
{
  return n_running;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-media-session.h"
#include "sipcast-media-session-private.h"
#include "sipcast-enums.h"
#include "sipcast-dtmf.h"
#include "sipcast-error.h"
#include "sipcast-flv-tail.h"
#include "sipcast-media-chain.h"
#include "sipcast-video-resume.h"

#include <glib/gi18n.h>
#include <gst/gst.h>
#include <gst/net/gstnetaddressmeta.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/video/video.h>
#include <stdio.h>
#include <string.h>

/*
 * Pipeline layout (element names are their roles, so GST_DEBUG output and
 * DOT graphs read like this comment):
 *
 *   rtp_src (udpsrc) ──▶ rtpbin ──pad-added──▶ [audio chain] ▶ [audio-aac] ▶ [tail bin]
 *   rtcp_src (udpsrc) ─▶ rtpbin ──send_rtcp_src──▶ rtcp_sink (udpsink)
 *   video_rtp_src ─────▶ rtpbin ──pad-added──▶ [video chain] ──────────▶ [tail bin]
 *   video_rtcp_src ────▶ rtpbin ──send_rtcp_src_1──▶ video_rtcp_sink
 *   tx_mixer ▶ encoder ▶ payloader ▶ tx_rtpmux ▶ rtpbin ──▶ rtp_sink (udpsink)
 *                            tx_dtmf (rtpdtmfsrc) ─┘
 *
 * The send side runs from the answer on, so the far end hears silence
 * (the mixer with no source) rather than nothing; RTP leaves from the
 * socket RTP arrives on (symmetric RTP).
 * rtpbin session 0 is the audio, session 1 the video (only when the answer
 * accepted video), on sockets of their own.  The chains are parsed from
 * pipelines/ (sipcast-media-chain.h) when the pipeline is built, so
 * pad-added only links: the audio chain of the codec (RTP → raw audio,
 * then audio-aac; or with [media] rtmp-audio=copy, G.711 as it is), the
 * video chain (H.264 passed through, VP8 → H.264), and the FLV tail
 * (sipcast-flv-tail.h).  A call that is not published decodes its audio
 * into a fakesink (for its named stream) and gets no video elements.  Streaming threads never touch session state: they post
 * application messages that the bus watch handles on the main context
 * (but pad-added and request-pt-map read the audio codec under
 * audio_lock, as a re-INVITE may change it: change_audio_codec).
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

#define MSG_SOURCE_EOS "sipcast-source-eos"
#define MSG_DTMF "sipcast-dtmf-received"
#define MSG_VIDEO_CAPS "sipcast-video-caps"
#define MSG_EOS_FAILED "sipcast-eos-failed"

/* A VP8 call's H.264 gets a key frame at least this often, so a player
 * joining late waits at most that long. */
#define KEY_FRAME_INTERVAL (2 * GST_SECOND)

/* How long after the start a far end that accepted video has to send some
 * before the stream goes out without it: flvmux writes nothing until every
 * one of its pads knows its codec. */
#define VIDEO_WAIT_MS 2000

/* Whether the video chain was linked to rtpbin or given up on; decided
 * once, by whichever of pad-added and the wait comes first. */
enum {
  VIDEO_WAITING,
  VIDEO_LINKED,
  VIDEO_DROPPED,
};

/* A source mixed into the send direction: its elements (in the pipeline)
 * and the mixer pad it feeds. */
typedef struct {
  SipcastMediaSession *session;  /* borrowed: it owns this struct */
  char *id;
  GPtrArray *elements;   /* GstElement, borrowed from the pipeline */
  GstPad *mixer_pad;     /* owned request pad */
  guint remove_id;       /* removal scheduled for when its audio is out */
} Source;

/* What the streaming thread of a source tracks: where (in the pipeline's
 * running time) its audio ends, so the end can be reported exactly even
 * though a file reaches EOS well before the mixer has played it. */
typedef struct {
  char *id;
  GstClockTime offset;   /* running time of the source's time 0 */
  GstClockTime end;      /* running time of the end of the last buffer */
} SourceProbe;

static void
source_probe_free (gpointer data)
{
  SourceProbe *probe = data;

  g_free (probe->id);
  g_free (probe);
}

static void
source_free (gpointer data)
{
  Source *source = data;

  g_clear_handle_id (&source->remove_id, g_source_remove);
  g_free (source->id);
  g_ptr_array_unref (source->elements);
  gst_clear_object (&source->mixer_pad);
  g_free (source);
}

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct _Remote Remote;
static void remote_free (Remote *remote);

struct _SipcastMediaSession {
  GObject parent_instance;

  const SipcastConfig *config;
  char *name;
  GSocket *rtp_socket;
  GSocket *rtcp_socket;
  GSocket *video_rtp_socket;   /* NULL: no video line offered */
  GSocket *video_rtcp_socket;

  GstElement *pipeline;
  GstElement *rtpbin;
  GstElement *tail;          /* the FLV tail bin, or NULL when not published */
  /* Where rtpbin's pad of the negotiated payload is linked to: the sink
   * pad of the audio / video chain (NULL when there is none).  Set before
   * PLAYING, read by pad-added. */
  GstPad *audio_entry;
  /* A codec change the far end asked for (update_remote): the new codec's
   * chain, linked in place of audio_entry's once its payload type arrives
   * (pad-added); the previous codec and payload type stay mapped until
   * then.  audio_lock guards these and the negotiated audio fields below
   * against pad-added and request-pt-map. */
  GstPad *audio_pending;
  const SipcastCodec *prev_audio_codec;
  guint prev_payload_type;
  gboolean audio_copy;       /* the audio chain puts G.711 into FLV as it is */
  guint audio_chains;        /* chains made so far, for their names */
  GMutex audio_lock;
  GstPad *video_entry;
  GstPad *video_exit;        /* the video chain's src pad, for key frame requests */
  int video_state;           /* VIDEO_WAITING, atomic */
  guint video_wait_id;
  guint bus_watch_id;
  guint stop_timeout_id;

  /* Negotiated receive side, copied from the answer. */
  guint payload_type;
  guint clock_rate;
  char *encoding_name;
  const SipcastCodec *audio_codec;
  int telephone_event_pt;
  int comfort_noise_pt;      /* CN packets: dropped, the gap filler covers them */
  /* Negotiated video, copied from the answer (codec NULL: no video). */
  const SipcastCodec *video_codec;
  guint video_payload_type;
  gboolean video_pli;
  gboolean video_fir;
  char *video_profile_level_id;
  int video_width;
  int video_height;

  /* Send direction: the mixer everything the far end hears goes through,
   * and the RFC 4733 event source (NULL when the far end takes none). */
  GstElement *tx_mixer;
  GstElement *tx_dtmf;
  GHashTable *sources;       /* id → Source */
  GString *dtmf_pending;     /* digits queued, first one playing or next */
  GString *dtmf_received;    /* digits the far end sent, in order */
  gboolean dtmf_tone_on;
  guint dtmf_timeout_id;

  SipcastStream *stream;     /* where the decoded audio is also handed */

  gboolean publishing;       /* the tail writes to RTMP or a file */
  gboolean stopping;
  gboolean finished;
  SipcastRtmpStatus rtmp_status;
  char *rtmp_status_info;    /* why the RTMP stream is not active, or NULL */

  /* Following the far end once started (sipcast_media_session_follow_remote):
   * where our RTP goes, hold, RTP inactivity.  NULL before. */
  Remote *remote;
};

G_DEFINE_FINAL_TYPE (SipcastMediaSession, sipcast_media_session, G_TYPE_OBJECT)

static GstElement *add_element (GstBin *bin, const char *factory, const char *name,
                                GError **error);

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
  g_autoptr (GstPad) audio_entry = NULL;
  g_autoptr (GstPad) audio_pending = NULL;

  g_clear_handle_id (&self->stop_timeout_id, g_source_remove);
  g_clear_handle_id (&self->dtmf_timeout_id, g_source_remove);
  g_hash_table_remove_all (self->sources);
  self->tx_mixer = NULL;
  self->tx_dtmf = NULL;
  g_clear_handle_id (&self->bus_watch_id, g_source_remove);

  if (self->pipeline != NULL) {
    gst_element_set_state (self->pipeline, GST_STATE_NULL);
    g_clear_object (&self->pipeline);
    self->rtpbin = NULL;
    self->tail = NULL;
  }
  g_clear_handle_id (&self->video_wait_id, g_source_remove);
  g_mutex_lock (&self->audio_lock);
  audio_entry = g_steal_pointer (&self->audio_entry);
  audio_pending = g_steal_pointer (&self->audio_pending);
  g_mutex_unlock (&self->audio_lock);
  gst_clear_object (&self->video_entry);
  gst_clear_object (&self->video_exit);
}

/* The media is over: its ports go back to the pool now, not when the
 * ended call is dropped ([calls] ended-call-ttl later), which with short
 * calls in a row would exhaust the range with one call live.  Closed
 * rather than only unreferenced, so that no reference left anywhere keeps
 * a port. */
static void
release_sockets (SipcastMediaSession *self)
{
  GSocket **sockets[] = {
    &self->rtp_socket, &self->rtcp_socket, &self->video_rtp_socket, &self->video_rtcp_socket,
  };

  for (guint i = 0; i < G_N_ELEMENTS (sockets); i++) {
    if (*sockets[i] != NULL) {
      g_socket_close (*sockets[i], NULL);
      g_clear_object (sockets[i]);
    }
  }
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
  g_warning ("%s: stream did not finish within %d ms, closing it", self->name, STOP_GRACE_MS);
  finish (self);
  return G_SOURCE_REMOVE;
}

static void
fail (SipcastMediaSession *self,
      const char          *reason)
{
  /* A handler of "error" or "finished" may drop the owner's reference. */
  g_autoptr (SipcastMediaSession) keep = g_object_ref (self);

  if (self->finished)
    return;
  if (self->stopping) {
    /* Hung up already: the FLV cannot be completed now, so there is
     * nothing left to wait for (nor to report: the call is over). */
    g_message ("%s: %s while stopping: closing the stream", self->name, reason);
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
  self->stopping = TRUE;
  teardown_pipeline (self);
  g_signal_emit (self, signals[SIGNAL_ERROR], 0, reason);
  finish (self);
}

static GstClockTime
running_time_now (SipcastMediaSession *self)
{
  g_autoptr (GstClock) clock = gst_element_get_clock (self->pipeline);

  if (clock == NULL)
    return 0;
  return gst_clock_get_time (clock) - gst_element_get_base_time (self->pipeline);
}

static gboolean
scheduled_removal_cb (gpointer data)
{
  Source *source = data;
  /* Removing frees @source, id included. */
  g_autofree char *id = g_strdup (source->id);

  source->remove_id = 0;
  sipcast_media_session_remove_source (source->session, id);
  return G_SOURCE_REMOVE;
}

/* A source's EOS reached the mixer input with its audio ending at @end:
 * it is removed once the mixer has played that audio (its queue would be
 * cut short otherwise), and the owner learns where it ended so a loop can
 * continue seamlessly. */
static void
source_reached_eos (SipcastMediaSession *self,
                    const char          *id,
                    GstClockTime         end)
{
  Source *source = g_hash_table_lookup (self->sources, id);
  GstClockTime now = running_time_now (self);
  guint delay_ms = 0;

  if (source == NULL || source->remove_id != 0)
    return;

  if (GST_CLOCK_TIME_IS_VALID (end) && end > now)
    delay_ms = (guint) ((end - now) / GST_MSECOND);
  /* A margin of two mixer cycles for the last samples to be mixed.  The
   * timer dies with the source (source_free), so it never outlives it. */
  source->remove_id = g_timeout_add (delay_ms + 40, scheduled_removal_cb, source);
  g_signal_emit (self, signals[SIGNAL_SOURCE_ENDED], 0, id,
                 (guint64) (GST_CLOCK_TIME_IS_VALID (end) ? end : now));
}

/* The id of the injected source @object belongs to, or NULL. */
static const char *
find_source_of (SipcastMediaSession *self,
                GstObject           *object)
{
  GHashTableIter iter;
  gpointer id, value;

  g_hash_table_iter_init (&iter, self->sources);
  while (g_hash_table_iter_next (&iter, &id, &value)) {
    Source *source = value;

    for (guint i = 0; i < source->elements->len; i++) {
      GstObject *element = source->elements->pdata[i];

      if (object == element || gst_object_has_as_ancestor (object, element))
        return id;
    }
  }
  return NULL;
}

/* Asks the far end for a key frame (RTCP FIR or PLI, as its SDP allows:
 * rtpsession turns the upstream force-key-unit event into one) or, for
 * VP8, the H.264 encoder for one: a player that just connected can
 * start decoding at once. */
static void
request_key_frame (SipcastMediaSession *self)
{
  if (self->video_exit == NULL)
    return;
  g_debug ("%s: asking for a key frame", self->name);
  gst_pad_send_event (self->video_exit,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                   TRUE, 0));
}

/* Main context: what the streaming threads found in the media. */
static void
handle_media_message (SipcastMediaSession *self,
                      const GstStructure  *s)
{
  if (gst_structure_has_name (s, MSG_DTMF)) {
    const char *digit = gst_structure_get_string (s, "digit");

    g_string_append (self->dtmf_received, digit);
    g_signal_emit (self, signals[SIGNAL_DTMF_RECEIVED], 0, digit);
  } else if (gst_structure_has_name (s, MSG_VIDEO_CAPS)) {
    int width = 0, height = 0;

    gst_structure_get_int (s, "width", &width);
    gst_structure_get_int (s, "height", &height);
    if (width == self->video_width && height == self->video_height)
      return;
    g_message ("%s: video %dx%d", self->name, width, height);
    self->video_width = width;
    self->video_height = height;
    g_signal_emit (self, signals[SIGNAL_VIDEO_SIZE], 0);
  }
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
      request_key_frame (self);
      dump_graph (self, "active");
    } else if (gst_structure_has_name (s, SIPCAST_FLV_TAIL_MSG_STATUS)) {
      int status = SIPCAST_RTMP_STATUS_WAIT;
      const char *reason = gst_structure_get_string (s, "reason");

      /* The tail reconnects by itself; a failed attempt costs the stream
       * a status, never the call. */
      gst_structure_get_int (s, "status", &status);
      if (reason != NULL)
        g_message ("%s: RTMP stream %s: %s", self->name,
                   sipcast_rtmp_status_to_string (status), reason);
      set_rtmp_status (self, status, reason);
    } else if (gst_structure_has_name (s, SIPCAST_FLV_TAIL_MSG_EOS) && self->stopping) {
      finish (self);
    } else if (gst_structure_has_name (s, MSG_EOS_FAILED) && self->stopping) {
      /* The chains took no EOS: the FLV cannot be completed. */
      finish (self);
    } else if (gst_structure_has_name (s, MSG_SOURCE_EOS)) {
      const char *id = gst_structure_get_string (s, "id");
      guint64 end = GST_CLOCK_TIME_NONE;

      gst_structure_get_uint64 (s, "end", &end);
      source_reached_eos (self, id, end);
    } else {
      handle_media_message (self, s);
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
    source_id = find_source_of (self, GST_MESSAGE_SRC (message));
    if (source_id != NULL) {
      g_autofree char *id = g_strdup (source_id);

      g_warning ("%s: %s failed: %s", self->name, id, err->message);
      sipcast_media_session_remove_source (self, id);
      g_signal_emit (self, signals[SIGNAL_SOURCE_FAILED], 0, id);
      break;
    }

    g_warning ("%s: %s: %s (%s)", self->name, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
               err->message, debug ? debug : "");
    reason = g_strdup_printf ("%s: %s", GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
                              err->message);
    fail (self, reason);
    break;
  }
  case GST_MESSAGE_WARNING: {
    g_autoptr (GError) err = NULL;

    gst_message_parse_warning (message, &err, NULL);
    g_message ("%s: %s: %s", self->name, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)),
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

/* The RTP clock rate of the telephone-event we offer (sipcast-codec.c):
 * the only one a far end can have answered. */
static guint
telephone_event_rate (void)
{
  const SipcastCodec *const *codecs = sipcast_codec_list (SIPCAST_MEDIA_AUDIO);

  for (guint i = 0; codecs[i] != NULL; i++) {
    if (sipcast_codec_is_telephone_event (codecs[i]))
      return codecs[i]->clock_rate;
  }
  g_return_val_if_reached (8000);
}

static GstCaps *
caps_for_pt (SipcastMediaSession *self,
             guint                session,
             guint                pt)
{
  const SipcastCodec *codec;
  int telephone_event_pt, comfort_noise_pt;

  if (session == 1) {
    GstCaps *caps;

    if (self->video_codec == NULL || pt != self->video_payload_type)
      return NULL;
    caps = gst_caps_new_simple ("application/x-rtp",
                                "media", G_TYPE_STRING, "video",
                                "payload", G_TYPE_INT, (int) pt,
                                "clock-rate", G_TYPE_INT, (int) self->video_codec->clock_rate,
                                "encoding-name", G_TYPE_STRING, self->video_codec->encoding_name,
                                NULL);
    if (self->video_profile_level_id != NULL)
      gst_caps_set_simple (caps, "profile-level-id", G_TYPE_STRING,
                           self->video_profile_level_id, NULL);
    if (self->video_codec->packetization_mode >= 0) {
      g_autofree char *mode = g_strdup_printf ("%d", self->video_codec->packetization_mode);

      gst_caps_set_simple (caps, "packetization-mode", G_TYPE_STRING, mode, NULL);
    }
    /* rtpsession sends a key frame request only in the form the far end
     * listed (a present field counts, whatever its value): FIR when the
     * request wants all headers and FIR is there, else PLI. */
    if (self->video_pli)
      gst_caps_set_simple (caps, "rtcp-fb-nack-pli", G_TYPE_BOOLEAN, TRUE, NULL);
    if (self->video_fir)
      gst_caps_set_simple (caps, "rtcp-fb-ccm-fir", G_TYPE_BOOLEAN, TRUE, NULL);
    return caps;
  }
  g_mutex_lock (&self->audio_lock);
  codec = self->audio_codec != NULL && pt == self->payload_type ? self->audio_codec :
          self->prev_audio_codec != NULL && pt == self->prev_payload_type ? self->prev_audio_codec :
          NULL;
  telephone_event_pt = self->telephone_event_pt;
  comfort_noise_pt = self->comfort_noise_pt;
  g_mutex_unlock (&self->audio_lock);
  if ((int) pt == comfort_noise_pt)
    return gst_caps_new_simple ("application/x-rtp", "media", G_TYPE_STRING, "audio",
                                "payload", G_TYPE_INT, (int) pt, "clock-rate", G_TYPE_INT, 8000,
                                "encoding-name", G_TYPE_STRING, "CN", NULL);
  if (codec != NULL) {
    return gst_caps_new_simple ("application/x-rtp",
                                "media", G_TYPE_STRING, "audio",
                                "payload", G_TYPE_INT, (int) pt,
                                "clock-rate", G_TYPE_INT, (int) codec->clock_rate,
                                "encoding-name", G_TYPE_STRING, codec->encoding_name,
                                NULL);
  }
  if ((int) pt == telephone_event_pt) {
    return gst_caps_new_simple ("application/x-rtp",
                                "media", G_TYPE_STRING, "audio",
                                "payload", G_TYPE_INT, (int) pt,
                                "clock-rate", G_TYPE_INT, (int) telephone_event_rate (),
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
  return caps_for_pt (SIPCAST_MEDIA_SESSION (user_data), session, pt);
}

/* On the decoder's streaming thread: the named stream gets the decoded
 * audio and its format.  The stream object outlives the pipeline (the
 * session holds a reference until dispose, after teardown). */
static GstPadProbeReturn
stream_probe (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  SipcastStream *stream = SIPCAST_STREAM (user_data);

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    sipcast_stream_push (stream, GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS) {
    GstCaps *caps;

    gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
    sipcast_stream_set_caps (stream, caps);
  }
  return GST_PAD_PROBE_OK;
}

/* RFC 4733 §2.3: the DTMF events 0-15. */
static const char dtmf_digits[] = "0123456789*#ABCD";

/* What the telephone-event probe remembers between packets of its one
 * streaming thread. */
typedef struct {
  guint32 last_timestamp;
  gboolean seen;
} DtmfProbe;

/* On the streaming thread of the telephone-event payload: one digit per
 * event, that is per RTP timestamp (the start packet, its updates and the
 * three end packets all carry the event's start time, RFC 4733 §2.5),
 * posted for the main context. */
static GstPadProbeReturn
dtmf_probe (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  DtmfProbe *probe = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstElement *parent;
  guint32 timestamp;
  guint8 event = 0xff;

  if (!gst_rtp_buffer_map (GST_PAD_PROBE_INFO_BUFFER (info), GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  timestamp = gst_rtp_buffer_get_timestamp (&rtp);
  if (gst_rtp_buffer_get_payload_len (&rtp) >= 4)
    event = ((const guint8 *) gst_rtp_buffer_get_payload (&rtp))[0];
  gst_rtp_buffer_unmap (&rtp);

  if (event >= strlen (dtmf_digits) || (probe->seen && timestamp == probe->last_timestamp))
    return GST_PAD_PROBE_OK;
  probe->seen = TRUE;
  probe->last_timestamp = timestamp;

  parent = gst_pad_get_parent_element (pad);
  if (parent != NULL) {
    char digit[2] = { dtmf_digits[event], '\0' };

    gst_element_post_message (parent,
        gst_message_new_application (GST_OBJECT (parent),
                                     gst_structure_new (MSG_DTMF, "digit", G_TYPE_STRING,
                                                        digit, NULL)));
    gst_object_unref (parent);
  }
  return GST_PAD_PROBE_OK;
}

/* On the video chain's streaming thread: the size of the video as it goes
 * to FLV, at the start and whenever it changes. */
static GstPadProbeReturn
video_caps_probe (GstPad          *pad,
                  GstPadProbeInfo *info,
                  gpointer         user_data)
{
  GstElement *pipeline = GST_ELEMENT (user_data);
  GstCaps *caps;
  const GstStructure *s;
  int width = 0, height = 0;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_CAPS)
    return GST_PAD_PROBE_OK;
  gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
  s = gst_caps_get_structure (caps, 0);
  if (gst_structure_get_int (s, "width", &width) && gst_structure_get_int (s, "height", &height))
    gst_element_post_message (pipeline,
        gst_message_new_application (GST_OBJECT (pipeline),
                                     gst_structure_new (MSG_VIDEO_CAPS,
                                                        "width", G_TYPE_INT, width,
                                                        "height", G_TYPE_INT, height,
                                                        NULL)));
  return GST_PAD_PROBE_OK;
}

/* On the H.264 encoder's streaming thread (VP8 calls): a key frame at
 * least every KEY_FRAME_INTERVAL of stream time.  @user_data holds the
 * running time of the last one asked for. */
static GstPadProbeReturn
key_frame_interval_probe (GstPad          *pad,
                          GstPadProbeInfo *info,
                          gpointer         user_data)
{
  GstClockTime *last = user_data;
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_PAD_PROBE_OK;
  if (GST_CLOCK_TIME_IS_VALID (*last) && pts < *last + KEY_FRAME_INTERVAL)
    return GST_PAD_PROBE_OK;
  /* The first frame is a key frame anyway: start counting there. */
  if (GST_CLOCK_TIME_IS_VALID (*last))
    gst_pad_send_event (pad, gst_video_event_new_downstream_force_key_unit (
                                 pts, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, TRUE, 0));
  *last = pts;
  return GST_PAD_PROBE_OK;
}

/* On the thread of whoever asks (flvmux, when it starts): a chain whose
 * RTP has not arrived yet has no upstream to ask, and a muxer that gets no
 * answer from one pad runs as if nothing were live, waiting for a buffer
 * on every pad.  A far end that never sends the video it accepted (or
 * stops sending it) would then hold back the audio.  So an unlinked chain
 * answers for the rtpbin it will be linked to: live, with the jitter
 * buffer's latency; once linked, rtpbin answers. */
static GstPadProbeReturn
live_latency_probe (GstPad          *pad,
                    GstPadProbeInfo *info,
                    gpointer         user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  /* @pad is the ghost pad's internal pad; the ghost pad is its parent. */
  GstPad *ghost = GST_PAD (GST_OBJECT_PARENT (pad));

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY || ghost == NULL || gst_pad_is_linked (ghost))
    return GST_PAD_PROBE_OK;
  gst_query_set_latency (query, TRUE, self->config->jitterbuffer_latency * GST_MSECOND,
                         GST_CLOCK_TIME_NONE);
  return GST_PAD_PROBE_HANDLED;
}

/* A fakesink in the pipeline, for RTP (or audio) nobody publishes. */
static GstPad *
add_fakesink (SipcastMediaSession *self)
{
  GstElement *fakesink = gst_element_factory_make ("fakesink", NULL);

  g_object_set (fakesink, "async", FALSE, "sync", FALSE, NULL);
  gst_bin_add (GST_BIN (self->pipeline), fakesink);
  gst_element_sync_state_with_parent (fakesink);
  return gst_element_get_static_pad (fakesink, "sink");
}

/* The fakesink an rtpbin pad was linked to, kept on that pad. */
#define PAD_FAKESINK "sipcast-fakesink"

/* Links rtpbin's @pad to a new fakesink, which goes with @pad
 * (pad_removed_cb); the fakesink's sink pad is returned. */
static GstPad *
link_to_fakesink (SipcastMediaSession *self,
                  GstPad              *pad)
{
  GstPad *sinkpad = add_fakesink (self);

  g_object_set_data_full (G_OBJECT (pad), PAD_FAKESINK, gst_pad_get_parent_element (sinkpad),
                          gst_object_unref);
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_warning ("%s: could not link %s to a fakesink", self->name, GST_OBJECT_NAME (pad));
  return sinkpad;
}

/* Main context: a fakesink whose rtpbin pad is gone. */
static gboolean
remove_fakesink_cb (gpointer data)
{
  GstElement *fakesink = data;
  g_autoptr (GstObject) bin = gst_object_get_parent (GST_OBJECT (fakesink));

  /* Without a parent, the pipeline went first and took it along. */
  if (bin != NULL) {
    gst_element_set_locked_state (fakesink, TRUE);
    gst_element_set_state (fakesink, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (bin), fakesink);
  }
  return G_SOURCE_REMOVE;
}

/* The thread rtpbin removes a stream in (a timed-out SSRC: "autoremove"):
 * what we linked to its pad goes too.  The chains are not ours to remove:
 * their pad waits for the next SSRC. */
static void
pad_removed_cb (GstElement *rtpbin,
                GstPad     *pad,
                gpointer    user_data)
{
  GstElement *fakesink = g_object_steal_data (G_OBJECT (pad), PAD_FAKESINK);

  if (fakesink == NULL)
    return;
  g_debug ("%s: %s removed", SIPCAST_MEDIA_SESSION (user_data)->name, GST_OBJECT_NAME (pad));
  g_idle_add_full (G_PRIORITY_DEFAULT, remove_fakesink_cb, fakesink, gst_object_unref);
}

/* A codec change under way on a streaming thread: the chain of the new
 * codec takes the place of the old one in front of audio-aac (or the
 * fakesink of a call not published). */
typedef struct {
  SipcastMediaSession *session;  /* owned */
  GstElement *old_chain;         /* owned */
  GstElement *new_chain;         /* owned */
  gulong block_id;               /* holds the new chain's output until it is linked */
  gint done;                     /* atomic: audio_switch() ran */
} AudioSwitch;

static void
audio_switch_free (gpointer data)
{
  AudioSwitch *sw = data;

  g_object_unref (sw->session);
  gst_object_unref (sw->old_chain);
  gst_object_unref (sw->new_chain);
  g_free (sw);
}

static GstPadProbeReturn
hold_probe (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  return GST_PAD_PROBE_OK;
}

/* Main context: the old chain (@data, an AudioSwitch whose new_chain is
 * unused), unlinked on both sides, goes. */
static gboolean
remove_old_chain_cb (gpointer data)
{
  AudioSwitch *old = data;
  SipcastMediaSession *self = old->session;

  if (self->pipeline != NULL &&
      GST_OBJECT_PARENT (old->old_chain) == GST_OBJECT (self->pipeline)) {
    gst_element_set_locked_state (old->old_chain, TRUE);
    gst_element_set_state (old->old_chain, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self->pipeline), old->old_chain);
    g_debug ("%s: %s removed", self->name, GST_OBJECT_NAME (old->old_chain));
  }
  return G_SOURCE_REMOVE;
}

/* While nothing flows into the old chain (it has no queue, so nothing
 * flows in it either): its output goes to the new chain, what rtpbin
 * still had for it to a fakesink. */
static void
audio_switch (AudioSwitch *sw,
              GstPad      *upstream)
{
  SipcastMediaSession *self = sw->session;
  AudioSwitch *old = g_new0 (AudioSwitch, 1);
  g_autoptr (GstPad) old_sink = gst_element_get_static_pad (sw->old_chain, "sink");
  g_autoptr (GstPad) old_src = gst_element_get_static_pad (sw->old_chain, "src");
  g_autoptr (GstPad) new_src = gst_element_get_static_pad (sw->new_chain, "src");
  g_autoptr (GstPad) out = gst_pad_get_peer (old_src);

  if (out != NULL) {
    gst_pad_unlink (old_src, out);
    if (gst_pad_link (new_src, out) != GST_PAD_LINK_OK)
      g_warning ("%s: could not link %s", self->name, GST_OBJECT_NAME (sw->new_chain));
  }
  if (upstream != NULL) {
    g_autoptr (GstPad) fakesink = NULL;

    gst_pad_unlink (upstream, old_sink);
    fakesink = link_to_fakesink (self, upstream);
  }
  gst_pad_remove_probe (new_src, sw->block_id);
  g_atomic_int_set (&sw->done, 1);
  g_debug ("%s: audio now through %s", self->name, GST_OBJECT_NAME (sw->new_chain));

  old->session = g_object_ref (self);
  old->old_chain = gst_object_ref (sw->old_chain);
  old->new_chain = gst_object_ref (sw->new_chain);
  g_idle_add_full (G_PRIORITY_DEFAULT, remove_old_chain_cb, old, audio_switch_free);
}

static GstPadProbeReturn
audio_switch_probe (GstPad          *pad,
                    GstPadProbeInfo *info,
                    gpointer         user_data)
{
  audio_switch (user_data, pad);
  return GST_PAD_PROBE_REMOVE;
}

/* Main context: a switch whose old pad went before it was ever idle.
 * Nothing flows into the old chain any more, so it is made here (unless
 * the pipeline went too). */
static gboolean
late_audio_switch_cb (gpointer data)
{
  AudioSwitch *sw = data;
  SipcastMediaSession *self = sw->session;

  if (self->pipeline != NULL &&
      GST_OBJECT_PARENT (sw->new_chain) == GST_OBJECT (self->pipeline)) {
    g_debug ("%s: the old payload's pad went first: switching now", self->name);
    audio_switch (sw, NULL);
  }
  return G_SOURCE_REMOVE;
}

/* Any thread: the idle probe on the old payload's pad is gone, called or
 * not.  rtpbin may remove that pad before it is ever idle (its SSRC timed
 * out); the switch must still happen, or the block keeps the new chain's
 * output held for the rest of the call. */
static void
audio_switch_release (gpointer data)
{
  AudioSwitch *sw = data;

  if (g_atomic_int_get (&sw->done)) {
    audio_switch_free (sw);
    return;
  }
  g_idle_add_full (G_PRIORITY_DEFAULT, late_audio_switch_cb, sw, audio_switch_free);
}

/* Streaming thread: the new codec's payload type arrived on @pad. */
static void
start_audio_switch (SipcastMediaSession *self,
                    GstPad              *pad,
                    GstPad              *old_entry,
                    GstPad              *new_entry)
{
  AudioSwitch *sw = g_new0 (AudioSwitch, 1);
  g_autoptr (GstPad) new_src = NULL;
  g_autoptr (GstPad) upstream = NULL;

  sw->session = g_object_ref (self);
  sw->old_chain = gst_pad_get_parent_element (old_entry);
  sw->new_chain = gst_pad_get_parent_element (new_entry);
  new_src = gst_element_get_static_pad (sw->new_chain, "src");
  sw->block_id = gst_pad_add_probe (new_src, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER |
                                    GST_PAD_PROBE_TYPE_BUFFER_LIST, hold_probe, NULL, NULL);
  if (gst_pad_link (pad, new_entry) != GST_PAD_LINK_OK)
    g_warning ("%s: could not link %s", self->name, GST_OBJECT_NAME (sw->new_chain));

  /* The old payload's pad may be pushing on another thread (another
   * SSRC): the switch waits for it to be idle; on this one it is. */
  upstream = gst_pad_get_peer (old_entry);
  if (upstream != NULL) {
    gst_pad_add_probe (upstream, GST_PAD_PROBE_TYPE_IDLE, audio_switch_probe, sw,
                       audio_switch_release);
  } else {
    audio_switch (sw, NULL);
    audio_switch_free (sw);
  }
}

/* Runs on a streaming thread: only links (and for payloads we do not
 * publish, adds a fakesink), which is what pad-added is for; no session
 * state but what was set before PLAYING (or under audio_lock) is read. */
static void
pad_added_cb (GstElement *rtpbin,
              GstPad     *pad,
              gpointer    user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);
  g_autofree char *pad_name = gst_pad_get_name (pad);
  guint session, ssrc, pt;
  GstPad *entry = NULL;
  int telephone_event_pt = -1;
  g_autoptr (GstPad) sinkpad = NULL;

  if (sscanf (pad_name, "recv_rtp_src_%u_%u_%u", &session, &ssrc, &pt) != 3)
    return;

  g_debug ("%s: RTP session %u from SSRC %08x, payload type %u", self->name, session, ssrc, pt);

  if (session == 0) {
    g_autoptr (GstPad) old_entry = NULL;
    g_autoptr (GstPad) new_entry = NULL;

    g_mutex_lock (&self->audio_lock);
    if (self->audio_codec != NULL && pt == self->payload_type && self->audio_pending != NULL) {
      old_entry = g_steal_pointer (&self->audio_entry);
      self->audio_entry = gst_object_ref (self->audio_pending);
      new_entry = g_steal_pointer (&self->audio_pending);
      self->prev_audio_codec = NULL;
    } else if (self->audio_codec != NULL && pt == self->payload_type) {
      entry = self->audio_entry;
    }
    telephone_event_pt = self->telephone_event_pt;
    g_mutex_unlock (&self->audio_lock);
    if (new_entry != NULL) {
      start_audio_switch (self, pad, old_entry, new_entry);
      return;
    }
  } else if (session == 1 && self->video_codec != NULL && pt == self->video_payload_type &&
           g_atomic_int_compare_and_exchange (&self->video_state, VIDEO_WAITING, VIDEO_LINKED))
    entry = self->video_entry;  /* only ever cleared once VIDEO_DROPPED */

  /* A second SSRC with the same payload (a far end restarting its
   * stream) cannot be linked to the same chain; it is dropped. */
  if (entry != NULL && !gst_pad_is_linked (entry)) {
    if (gst_pad_link (pad, entry) != GST_PAD_LINK_OK)
      g_warning ("%s: could not link %s", self->name, pad_name);
    return;
  }

  sinkpad = link_to_fakesink (self, pad);
  /* Probed after linking, before the first buffer: the pad's thread is
   * in this very callback. */
  if (session == 0 && (int) pt == telephone_event_pt)
    gst_pad_add_probe (sinkpad, GST_PAD_PROBE_TYPE_BUFFER, dtmf_probe,
                       g_new0 (DtmfProbe, 1), g_free);
}

/* On the internal side of the chain's ghost sink pad (the pad rtpbin's
 * is linked to): queries from inside the chain reach it even while the
 * ghost pad has no peer, where they would fail without a probe seeing
 * them. */
static void
add_live_latency_probe (SipcastMediaSession *self,
                        GstElement          *chain)
{
  g_autoptr (GstPad) ghost = gst_element_get_static_pad (chain, "sink");
  g_autoptr (GstProxyPad) internal = gst_proxy_pad_get_internal (GST_PROXY_PAD (ghost));

  gst_pad_add_probe (GST_PAD (internal), GST_PAD_PROBE_TYPE_QUERY_UPSTREAM, live_latency_probe,
                     self, NULL);
}

/* Adds the chain of pipelines/@kind.pipeline to the pipeline; NULL (with
 * @error set) when it does not parse. */
static GstElement *
add_chain (SipcastMediaSession  *self,
           const char           *kind,
           const char           *name,
           GError              **error)
{
  GstElement *chain = sipcast_media_chain_new (kind, self->config, error);

  if (chain == NULL)
    return NULL;
  gst_element_set_name (chain, name);
  gst_bin_add (GST_BIN (self->pipeline), chain);
  /* The bin holds it now; ours was the only other reference. */
  gst_object_unref (chain);
  return chain;
}

static gboolean
link_or_fail (GstElement  *src,
              const char  *src_pad,
              GstElement  *sink,
              const char  *sink_pad,
              GError     **error)
{
  if (!gst_element_link_pads (src, src_pad, sink, sink_pad)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not link %s to %s"), GST_OBJECT_NAME (src), GST_OBJECT_NAME (sink));
    return FALSE;
  }
  return TRUE;
}

/* The audio side from RTP to the tail: the codec's chain, then AAC; or
 * with rtmp-audio=copy for G.711, the RTP payload as it is (plus a decoder
 * into a fakesink when a named stream wants the audio).  Not published:
 * decoded for the named stream only. */
static gboolean
build_audio_branch (SipcastMediaSession  *self,
                    GError              **error)
{
  const SipcastCodec *codec = self->audio_codec;
  gboolean copy = self->tail != NULL && self->config->rtmp_audio_copy &&
                  codec->copy_pipeline != NULL;
  GstElement *chain, *aac;
  g_autoptr (GstPad) chain_src = NULL;

  if (self->tail != NULL && self->config->rtmp_audio_copy && !copy)
    g_message ("%s: rtmp-audio=copy, but FLV cannot carry %s: publishing AAC",
               self->name, codec->encoding_name);

  self->audio_copy = copy;
  chain = add_chain (self, sipcast_media_chain_for_codec (codec, copy), "audio_chain", error);
  if (chain == NULL)
    return FALSE;
  self->audio_entry = gst_element_get_static_pad (chain, "sink");
  chain_src = gst_element_get_static_pad (chain, "src");
  if (self->tail != NULL)
    add_live_latency_probe (self, chain);

  if (copy) {
    GstElement *tee, *decoder;
    g_autoptr (GstPad) decoder_src = NULL;
    g_autoptr (GstPad) fakesink = NULL;

    if (self->stream == NULL)
      return link_or_fail (chain, "src", self->tail, "audio", error);

    /* The named stream takes raw audio. */
    if ((tee = add_element (GST_BIN (self->pipeline), "tee", "audio_tee", error)) == NULL ||
        (decoder = add_element (GST_BIN (self->pipeline), codec->decoder, "audio_decoder",
                                error)) == NULL)
      return FALSE;
    fakesink = add_fakesink (self);
    decoder_src = gst_element_get_static_pad (decoder, "src");
    gst_pad_add_probe (decoder_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       stream_probe, g_object_ref (self->stream), g_object_unref);
    return link_or_fail (chain, "src", tee, NULL, error) &&
           link_or_fail (tee, "src_%u", self->tail, "audio", error) &&
           link_or_fail (tee, "src_%u", decoder, NULL, error) &&
           gst_pad_link (decoder_src, fakesink) == GST_PAD_LINK_OK;
  }

  if (self->stream != NULL)
    gst_pad_add_probe (chain_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       stream_probe, g_object_ref (self->stream), g_object_unref);

  if (self->tail == NULL) {
    g_autoptr (GstPad) fakesink = add_fakesink (self);

    return gst_pad_link (chain_src, fakesink) == GST_PAD_LINK_OK;
  }

  aac = add_chain (self, "audio-aac", "audio_aac", error);
  return aac != NULL &&
         link_or_fail (chain, "src", aac, "sink", error) &&
         link_or_fail (aac, "src", self->tail, "audio", error);
}

/* The video side from RTP to the tail (published calls only). */
static gboolean
build_video_branch (SipcastMediaSession  *self,
                    GError              **error)
{
  GstElement *chain, *encoder;

  chain = add_chain (self, sipcast_media_chain_for_codec (self->video_codec, FALSE),
                     "video_chain", error);
  if (chain == NULL)
    return FALSE;
  self->video_entry = gst_element_get_static_pad (chain, "sink");
  self->video_exit = gst_element_get_static_pad (chain, "src");
  add_live_latency_probe (self, chain);
  gst_pad_add_probe (self->video_exit, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     video_caps_probe, self->pipeline, NULL);
  sipcast_video_resume_watch (self->video_exit, self->config->key_frame_interval * GST_MSECOND);

  encoder = gst_bin_get_by_name (GST_BIN (chain), "video_encoder");
  if (encoder != NULL) {
    g_autoptr (GstPad) encoder_sink = gst_element_get_static_pad (encoder, "sink");
    GstClockTime *last = g_new (GstClockTime, 1);

    *last = GST_CLOCK_TIME_NONE;
    gst_pad_add_probe (encoder_sink, GST_PAD_PROBE_TYPE_BUFFER, key_frame_interval_probe,
                       last, g_free);
    gst_object_unref (encoder);
  }
  return link_or_fail (chain, "src", self->tail, "video", error);
}

/* No video came: the tail's video pad goes (flvmux then writes the audio
 * alone), and the video chain with it. */
static gboolean
video_wait_cb (gpointer user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);
  g_autoptr (GstPad) ghost = NULL;
  g_autoptr (GstElement) chain = NULL;

  self->video_wait_id = 0;
  if (!g_atomic_int_compare_and_exchange (&self->video_state, VIDEO_WAITING, VIDEO_DROPPED))
    return G_SOURCE_REMOVE;

  g_message ("%s: no video within %d ms: publishing audio only", self->name, VIDEO_WAIT_MS);
  ghost = gst_element_get_static_pad (self->tail, "video");
  chain = gst_pad_get_parent_element (self->video_exit);

  gst_pad_unlink (self->video_exit, ghost);
  sipcast_flv_tail_remove_video (self->tail);

  gst_element_set_locked_state (chain, TRUE);
  gst_element_set_state (chain, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self->pipeline), chain);
  gst_clear_object (&self->video_entry);
  gst_clear_object (&self->video_exit);
  return G_SOURCE_REMOVE;
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

/* A new element from @factory, named after its role, added to @bin. */
static GstElement *
add_element (GstBin      *bin,
             const char  *factory,
             const char  *name,
             GError     **error)
{
  GstElement *element = gst_element_factory_make (factory, name);

  if (element == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("GStreamer element “%s” is missing"), factory);
    return NULL;
  }
  gst_bin_add (bin, element);
  return element;
}

/* 20 ms packets of payload type @pt. */
static void
set_payloader (GstElement *payloader,
               guint       pt)
{
  g_object_set (payloader, "pt", pt,
                "min-ptime", (gint64) 20 * GST_MSECOND,
                "max-ptime", (gint64) 20 * GST_MSECOND, NULL);
}

/* mixer → encoder → payloader (→ rtpmux with the DTMF events) → rtpbin
 * send session 0 → udpsink on the RTP socket.  Elements are added to the
 * pipeline as they are made (add_element) so a failure leaves nothing
 * dangling. */
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

  if ((mixer = add_element (bin, "sipcastmixer", "tx_mixer", error)) == NULL)
    return FALSE;
  /* One mixer cycle per packet: fewer wake-ups than the 10 ms default. */
  g_object_set (mixer, "output-buffer-duration", (guint64) 20 * GST_MSECOND, NULL);
  g_object_set (mixer, "eos-when-idle", FALSE, NULL); /* silence, not EOS, when sources end */

  raw_caps = gst_element_factory_make ("capsfilter", "tx_caps");
  caps = gst_caps_new_simple ("audio/x-raw",
                              "format", G_TYPE_STRING, "S16LE",
                              "rate", G_TYPE_INT, (int) codec->sample_rate,
                              "channels", G_TYPE_INT, 1, NULL);
  g_object_set (raw_caps, "caps", caps, NULL);
  gst_bin_add (bin, raw_caps);

  if ((encoder = add_element (bin, codec->encoder, "tx_encoder", error)) == NULL)
    return FALSE;
  if ((payloader = add_element (bin, codec->payloader, "tx_payloader", error)) == NULL)
    return FALSE;
  set_payloader (payloader, audio->payload_type);

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

    if ((rtpmux = add_element (bin, "rtpdtmfmux", "tx_rtpmux", error)) == NULL)
      return FALSE;
    if ((dtmf = add_element (bin, "rtpdtmfsrc", "tx_dtmf", error)) == NULL)
      return FALSE;
    /* At the rate we offered telephone-event at (the far end answers with
     * that), even next to 48 kHz Opus; the end packet is sent three times
     * (RFC 4733 2.5.1.4). */
    g_object_set (dtmf, "pt", audio->telephone_event_pt, "packet-redundancy", 3, NULL);
    dtmf_caps = gst_element_factory_make ("capsfilter", "tx_dtmf_caps");
    te_caps = gst_caps_new_simple ("application/x-rtp",
                                   "media", G_TYPE_STRING, "audio",
                                   "clock-rate", G_TYPE_INT, (int) telephone_event_rate (),
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
  g_clear_object (&self->video_rtp_socket);
  g_clear_object (&self->video_rtcp_socket);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (sipcast_media_session_parent_class)->dispose (object);
}

static void
sipcast_media_session_finalize (GObject *object)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (object);

  g_free (self->name);
  g_free (self->encoding_name);
  g_free (self->video_profile_level_id);
  g_free (self->rtmp_status_info);
  g_clear_pointer (&self->remote, remote_free);
  g_string_free (self->dtmf_received, TRUE);
  g_string_free (self->dtmf_pending, TRUE);
  g_hash_table_unref (self->sources);
  g_mutex_clear (&self->audio_lock);

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
  self->telephone_event_pt = -1;
  self->comfort_noise_pt = -1;
  g_mutex_init (&self->audio_lock);
  self->dtmf_pending = g_string_new (NULL);
  self->dtmf_received = g_string_new (NULL);
  self->sources = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, source_free);
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

  /* NULL once finished: the port went back. */
  if (self->rtp_socket == NULL)
    return 0;
  address = g_socket_get_local_address (self->rtp_socket, NULL);
  if (address == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

/* udpsrc on @rtp and @rtcp into rtpbin session @session, its RTCP out to
 * @address:@rtcp_port from @rtcp (symmetric, so NATed far ends and strict
 * ones see reports from where they send theirs). */
static gboolean
add_rtp_session (SipcastMediaSession  *self,
                 guint                 session,
                 GSocket              *rtp,
                 GSocket              *rtcp,
                 const char           *address,
                 guint                 rtcp_port,
                 GError              **error)
{
  const char *prefix = session == 0 ? "" : "video_";
  g_autofree char *rtp_name = g_strconcat (prefix, "rtp_src", NULL);
  g_autofree char *rtcp_name = g_strconcat (prefix, "rtcp_src", NULL);
  g_autofree char *sink_name = g_strconcat (prefix, "rtcp_sink", NULL);
  g_autofree char *rtp_pad = g_strdup_printf ("recv_rtp_sink_%u", session);
  g_autofree char *rtcp_in = g_strdup_printf ("recv_rtcp_sink_%u", session);
  g_autofree char *rtcp_out = g_strdup_printf ("send_rtcp_src_%u", session);
  GstElement *rtp_src, *rtcp_src, *rtcp_sink;
  GstBin *bin = GST_BIN (self->pipeline);

  if ((rtp_src = add_element (bin, "udpsrc", rtp_name, error)) == NULL ||
      (rtcp_src = add_element (bin, "udpsrc", rtcp_name, error)) == NULL ||
      (rtcp_sink = add_element (bin, "udpsink", sink_name, error)) == NULL)
    return FALSE;

  g_object_set (rtp_src, "socket", rtp, "close-socket", FALSE, NULL);
  /* The call's silence is the audio's: udpsrc reports it itself (see
   * follow_remote); set before PLAYING, as its wait picks a new value up
   * only per packet. */
  if (session == 0)
    g_object_set (rtp_src, "timeout", (guint64) self->config->rtp_timeout * GST_SECOND, NULL);
  g_object_set (rtcp_src, "socket", rtcp, "close-socket", FALSE, NULL);
  g_object_set (rtcp_sink, "socket", rtcp, "close-socket", FALSE,
                "host", address, "port", (int) rtcp_port,
                "sync", FALSE, "async", FALSE, NULL);

  return link_or_fail (rtp_src, "src", self->rtpbin, rtp_pad, error) &&
         link_or_fail (rtcp_src, "src", self->rtpbin, rtcp_in, error) &&
         link_or_fail (self->rtpbin, rtcp_out, rtcp_sink, "sink", error);
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
  if (target == NULL || self->video_rtp_socket == NULL)
    video = NULL;
  if (audio == NULL && video == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         "No common codecs");
    return FALSE;
  }

  if (audio != NULL) {
    self->audio_codec = audio->codec;
    self->payload_type = audio->payload_type;
    self->clock_rate = audio->codec->clock_rate;
    self->encoding_name = g_strdup (audio->codec->encoding_name);
    self->telephone_event_pt = audio->telephone_event_pt;
    self->comfort_noise_pt = audio->comfort_noise_pt;
  }
  if (video != NULL) {
    self->video_codec = video->codec;
    self->video_payload_type = video->payload_type;
    self->video_pli = video->has_pli;
    self->video_fir = video->has_fir;
    self->video_profile_level_id = g_strdup (video->profile_level_id);
  }
  self->publishing = target != NULL;
  g_set_object (&self->stream, stream);

  pipeline_name = g_strdup_printf ("call-%s", self->name);
  self->pipeline = gst_object_ref_sink (gst_pipeline_new (pipeline_name));

  self->rtpbin = add_element (GST_BIN (self->pipeline), "rtpbin", "rtpbin", error);
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
  g_signal_connect_object (self->rtpbin, "request-pt-map", G_CALLBACK (request_pt_map_cb),
                           self, 0);
  g_signal_connect_object (self->rtpbin, "pad-added", G_CALLBACK (pad_added_cb), self, 0);
  g_signal_connect_object (self->rtpbin, "pad-removed", G_CALLBACK (pad_removed_cb), self, 0);

  if (self->publishing) {
    self->tail = build_tail (self, target, audio != NULL, video != NULL, error);
    if (self->tail == NULL)
      goto fail;
    gst_element_set_name (self->tail, "tail");
    gst_bin_add (GST_BIN (self->pipeline), self->tail);
    /* The pipeline holds it now. */
    gst_object_unref (self->tail);
  }

  if (audio != NULL) {
    if (!add_rtp_session (self, 0, self->rtp_socket, self->rtcp_socket,
                          audio->address, audio->rtcp_port, error) ||
        !build_audio_branch (self, error))
      goto fail;
    /* A far end that only sends (sendonly/inactive) gets nothing back. */
    if (audio->codec->encoder != NULL && audio->port != 0 &&
        (audio->direction == SIPCAST_SDP_SENDRECV || audio->direction == SIPCAST_SDP_RECVONLY) &&
        !build_send_path (self, audio, error))
      goto fail;
  }

  if (video != NULL) {
    g_autoptr (GstElement) rtp_session = NULL;

    if (!add_rtp_session (self, 1, self->video_rtp_socket, self->video_rtcp_socket,
                          video->address, video->rtcp_port, error) ||
        !build_video_branch (self, error))
      goto fail;
    self->video_wait_id = g_timeout_add (VIDEO_WAIT_MS, video_wait_cb, self);
    /* AVPF (RFC 4585) for the video session: a key frame request goes out
     * at once as early RTCP, not with the next regular report seconds
     * later. */
    g_signal_emit_by_name (self->rtpbin, "get-session", 1, &rtp_session);
    if (rtp_session != NULL)
      gst_util_set_object_arg (G_OBJECT (rtp_session), "rtp-profile", "avpf");
  }

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

/* The chain entries an EOS goes into when the session stops. */
typedef struct {
  GstPad *audio;  /* owned, nullable */
  GstPad *video;  /* owned, nullable */
} EosTargets;

static void
eos_targets_free (gpointer data)
{
  EosTargets *targets = data;

  gst_clear_object (&targets->audio);
  gst_clear_object (&targets->video);
  g_free (targets);
}

/* A thread of GStreamer's pool: a serialized event waits for the stream
 * lock of the pad it is sent into, which the streaming thread holds for
 * as long as it is stuck downstream (in the muxer, behind a sink waiting
 * on its server).  The main context must never wait there.  A chain that
 * takes no EOS is reported to the bus watch. */
static void
send_eos_cb (GstElement *pipeline,
             gpointer    user_data)
{
  EosTargets *targets = user_data;
  gboolean ok = TRUE;

  if (targets->audio != NULL)
    ok = gst_pad_send_event (targets->audio, gst_event_new_eos ());
  if (ok && targets->video != NULL)
    ok = gst_pad_send_event (targets->video, gst_event_new_eos ());
  if (!ok)
    gst_element_post_message (pipeline,
        gst_message_new_application (GST_OBJECT (pipeline),
                                     gst_structure_new_empty (MSG_EOS_FAILED)));
}

void
sipcast_media_session_stop (SipcastMediaSession *self)
{
  EosTargets *targets;

  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));

  if (self->stopping)
    return;
  self->stopping = TRUE;

  if (self->pipeline == NULL || !self->publishing) {
    finish (self);
    return;
  }

  /* Armed first: whatever the EOS meets on its way, the stream ends
   * within the grace period. */
  self->stop_timeout_id = g_timeout_add (STOP_GRACE_MS, stop_timeout_cb, self);
  /* The video chain stays for the EOS, whether its RTP came or not. */
  g_clear_handle_id (&self->video_wait_id, g_source_remove);
  sipcast_flv_tail_prepare_eos (self->tail);

  /* EOS into the chains, not into the sources: it must reach the muxer
   * even when the far end never sent a packet (then rtpbin has no src pad
   * to carry it), and it drains the encoders on its way. */
  targets = g_new0 (EosTargets, 1);
  g_mutex_lock (&self->audio_lock);
  targets->audio = self->audio_entry != NULL ? gst_object_ref (self->audio_entry) : NULL;
  g_mutex_unlock (&self->audio_lock);
  targets->video = self->video_entry != NULL ? gst_object_ref (self->video_entry) : NULL;
  gst_element_call_async (self->pipeline, send_eos_cb, targets, eos_targets_free);
}

/* Detaches @source's elements from a running pipeline.  Main context. */
static void
source_remove_elements (SipcastMediaSession *self,
                        Source              *source)
{
  for (guint i = 0; i < source->elements->len; i++) {
    GstElement *element = source->elements->pdata[i];

    gst_element_set_locked_state (element, TRUE);
    gst_element_set_state (element, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self->pipeline), element);
  }
  g_ptr_array_set_size (source->elements, 0);
  if (self->tx_mixer != NULL && source->mixer_pad != NULL)
    gst_element_release_request_pad (self->tx_mixer, source->mixer_pad);
}

/* On the source's streaming thread: tracks where its audio ends, and
 * keeps its EOS from ending the mixer's output (other sources and silence
 * go on): the EOS is reported, with that end, and dropped. */
static GstPadProbeReturn
source_probe (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  SourceProbe *probe = user_data;
  GstElement *parent;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

    if (GST_BUFFER_PTS_IS_VALID (buffer) && GST_BUFFER_DURATION_IS_VALID (buffer))
      probe->end = probe->offset + GST_BUFFER_PTS (buffer) + GST_BUFFER_DURATION (buffer);
    return GST_PAD_PROBE_OK;
  }

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;

  parent = gst_pad_get_parent_element (pad);
  if (parent != NULL) {
    gst_element_post_message (parent,
        gst_message_new_application (GST_OBJECT (parent),
                                     gst_structure_new (MSG_SOURCE_EOS,
                                                        "id", G_TYPE_STRING, probe->id,
                                                        "end", G_TYPE_UINT64, probe->end,
                                                        NULL)));
    gst_object_unref (parent);
  }
  return GST_PAD_PROBE_DROP;
}

gboolean
sipcast_media_session_add_source (SipcastMediaSession *self,
                                  const char          *id,
                                  GstElement          *source_element,
                                  gboolean             live,
                                  GstClockTime         start,
                                  GError             **error)
{
  g_autoptr (GstElement) owned = gst_object_ref_sink (source_element);
  GstElement *convert, *resample;
  g_autoptr (GstPad) src_pad = NULL;
  SourceProbe *probe;
  Source *source;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (id != NULL && GST_IS_ELEMENT (source_element), FALSE);

  if (self->tx_mixer == NULL || self->stopping) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                         _("Nothing is sent to the far end of this call"));
    return FALSE;
  }
  if (g_hash_table_contains (self->sources, id)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("“%s” is already mixed into this call"), id);
    return FALSE;
  }

  convert = gst_element_factory_make ("audioconvert", NULL);
  resample = gst_element_factory_make ("audioresample", NULL);
  source = g_new0 (Source, 1);
  source->session = self;
  source->id = g_strdup (id);
  source->elements = g_ptr_array_new ();
  g_ptr_array_add (source->elements, source_element);
  g_ptr_array_add (source->elements, convert);
  g_ptr_array_add (source->elements, resample);
  /* Keyed by the source's own id: it lives as long as the entry. */
  g_hash_table_insert (self->sources, source->id, source);

  /* The bin takes references of its own; ours goes with @owned. */
  gst_bin_add_many (GST_BIN (self->pipeline), source_element, convert, resample, NULL);
  source->mixer_pad = gst_element_request_pad_simple (self->tx_mixer, "sink_%u");
  src_pad = gst_element_get_static_pad (resample, "src");
  if (!gst_element_link_many (source_element, convert, resample, NULL) ||
      gst_pad_link (src_pad, source->mixer_pad) != GST_PAD_LINK_OK) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not link “%s” to the mixer"), id);
    source_remove_elements (self, source);
    g_hash_table_remove (self->sources, id);
    return FALSE;
  }

  probe = g_new0 (SourceProbe, 1);
  probe->id = g_strdup (id);
  probe->end = GST_CLOCK_TIME_NONE;
  if (!live) {
    /* A file's timestamps start at 0: shift them to where it should play,
     * or the live mixer would drop them all as long past. */
    probe->offset = GST_CLOCK_TIME_IS_VALID (start) ? MAX (start, running_time_now (self))
                                                    : running_time_now (self);
    gst_pad_set_offset (src_pad, (gint64) probe->offset);
  }
  gst_pad_add_probe (src_pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     source_probe, probe, source_probe_free);

  for (guint i = 0; i < source->elements->len; i++)
    gst_element_sync_state_with_parent (source->elements->pdata[i]);

  g_debug ("%s: mixing in %s", self->name, id);
  return TRUE;
}

gboolean
sipcast_media_session_remove_source (SipcastMediaSession *self,
                                     const char          *id)
{
  Source *source;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);

  source = g_hash_table_lookup (self->sources, id);
  if (source == NULL)
    return FALSE;

  g_debug ("%s: stopped mixing in %s", self->name, id);
  source_remove_elements (self, source);
  /* Last: @id may be the source's own, freed with it. */
  g_hash_table_remove (self->sources, id);
  return TRUE;
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

  g_set_object (&self->video_rtp_socket, rtp);
  g_set_object (&self->video_rtcp_socket, rtcp);
}

guint
sipcast_media_session_get_video_rtp_port (SipcastMediaSession *self)
{
  g_autoptr (GSocketAddress) address = NULL;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), 0);

  if (self->video_rtp_socket == NULL)
    return 0;
  address = g_socket_get_local_address (self->video_rtp_socket, NULL);
  if (address == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

const char *
sipcast_media_session_get_dtmf_received (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), NULL);
  return self->dtmf_received->str;
}

gboolean
sipcast_media_session_get_video_size (SipcastMediaSession *self,
                                      int                 *width,
                                      int                 *height)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);

  if (self->video_width <= 0 || self->video_height <= 0)
    return FALSE;
  *width = self->video_width;
  *height = self->video_height;
  return TRUE;
}

gboolean
sipcast_media_session_has_video (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  return self->video_codec != NULL;
}

const char *
sipcast_media_session_get_rtmp_status_info (SipcastMediaSession *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), NULL);
  return self->rtmp_status_info;
}

/* ---- following the far end: where RTP goes, hold, RTP inactivity ----
 *
 * After start the far end may move (a re-INVITE with another port or
 * address, a 200 whose SDP differs from the early one), hold the call,
 * stop sending, or send from another address than its SDP names (NAT).
 * RTP in is watched by one probe on rtp_src's pad (streaming thread),
 * silence by udpsrc's own "timeout" (a GstUDPSrcTimeout element message,
 * caught synchronously and handed to the main context): no timer per call.
 */

struct _Remote {
  GMutex lock;          /* the fields up to pt_to: the RTP probe reads them */
  char *address;        /* where our RTP and RTCP go now */
  guint port;
  guint rtcp_port;
  gboolean latch;       /* the next packet's source becomes the destination */
  char *stale_address;  /* ...unless it comes from here: where the far end */
  guint stale_port;     /* sent from before it moved (it may not move its sending side) */
  int pt_from;          /* incoming payload type renumbered to pt_to, or -1 */
  int pt_to;

  /* main context only */
  gboolean watching;    /* "rtp-timeout" is reported */
  gboolean held;
  gint64 watch_since;   /* g_get_monotonic_time () of watching/resuming */
  gulong hold_probe;    /* on rtp_sink's sink pad while held */
};

/* What a latched source is handed to the main context with. */
typedef struct {
  SipcastMediaSession *session;  /* owned */
  char *address;
  guint port;
} Latch;

static void
remote_free (Remote *remote)
{
  g_mutex_clear (&remote->lock);
  g_free (remote->address);
  g_free (remote->stale_address);
  g_free (remote);
}

static void
latch_free (gpointer data)
{
  Latch *latch = data;

  g_object_unref (latch->session);
  g_free (latch->address);
  g_free (latch);
}

/* The pipeline's element called @name (a new reference), or NULL. */
static GstElement *
pipeline_element (SipcastMediaSession *self,
                  const char          *name)
{
  if (self->pipeline == NULL)
    return NULL;
  return gst_bin_get_by_name (GST_BIN (self->pipeline), name);
}

/* Main context: our RTP (and RTCP, port + 1 unless a=rtcp said) go to
 * @address. */
static void
set_destination (SipcastMediaSession *self,
                 const char          *address,
                 guint                port,
                 guint                rtcp_port)
{
  g_autoptr (GstElement) rtp_sink = pipeline_element (self, "rtp_sink");
  g_autoptr (GstElement) rtcp_sink = pipeline_element (self, "rtcp_sink");

  /* udpsink swaps its one client under its own lock: safe while playing. */
  if (rtp_sink != NULL)
    g_object_set (rtp_sink, "host", address, "port", (int) port, NULL);
  if (rtcp_sink != NULL)
    g_object_set (rtcp_sink, "host", address, "port", (int) rtcp_port, NULL);

  g_mutex_lock (&self->remote->lock);
  g_free (self->remote->address);
  self->remote->address = g_strdup (address);
  self->remote->port = port;
  self->remote->rtcp_port = rtcp_port;
  g_mutex_unlock (&self->remote->lock);
}

static gboolean
latch_cb (gpointer data)
{
  Latch *latch = data;
  SipcastMediaSession *self = latch->session;
  g_autofree char *from = NULL;

  if (self->pipeline == NULL || self->stopping)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->remote->lock);
  from = g_strdup_printf ("%s:%u", self->remote->address, self->remote->port);
  g_mutex_unlock (&self->remote->lock);
  g_message ("%s: the far end sends RTP from %s:%u, not %s as its SDP says: "
             "sending there (symmetric RTP)", self->name, latch->address, latch->port, from);
  /* RTCP follows to the port next to it, as a NAT maps it most often. */
  set_destination (self, latch->address, latch->port, latch->port + 1);
  return G_SOURCE_REMOVE;
}

/* rtp_src's streaming thread, every packet: the first one after (re)arming
 * tells where the far end really sends from; a payload type the far end
 * renumbered in a re-INVITE is put back to what rtpbin was set up for. */
static GstPadProbeReturn
rtp_in_probe (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);
  Remote *remote = self->remote;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  Latch *latch = NULL;

  g_mutex_lock (&remote->lock);

  if (remote->latch) {
    GstNetAddressMeta *meta = gst_buffer_get_net_address_meta (buffer);

    if (meta != NULL && G_IS_INET_SOCKET_ADDRESS (meta->addr)) {
      GInetSocketAddress *from = G_INET_SOCKET_ADDRESS (meta->addr);
      g_autofree char *address = g_inet_address_to_string (g_inet_socket_address_get_address (from));
      guint port = g_inet_socket_address_get_port (from);

      /* A packet still from where the far end sent before it moved says
       * nothing about the move: wait for one from elsewhere. */
      if (port != remote->stale_port || g_strcmp0 (address, remote->stale_address) != 0)
        remote->latch = FALSE;
      if (!remote->latch &&
          (port != remote->port || g_strcmp0 (address, remote->address) != 0)) {
        latch = g_new0 (Latch, 1);
        latch->session = g_object_ref (self);
        latch->address = g_steal_pointer (&address);
        latch->port = port;
      }
    }
  }

  /* rtpsession takes a known SSRC from a new address for a collision and
   * drops it: a far end whose stream moves (a re-INVITE, a NAT rebinding)
   * would go silent.  Where packets come from was decided above. */
  if (gst_buffer_get_net_address_meta (buffer) != NULL) {
    buffer = gst_buffer_make_writable (buffer);
    gst_buffer_remove_meta (buffer, (GstMeta *) gst_buffer_get_net_address_meta (buffer));
    GST_PAD_PROBE_INFO_DATA (info) = buffer;
  }

  if (remote->pt_from >= 0) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    int pt = -1;

    if (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp)) {
      pt = gst_rtp_buffer_get_payload_type (&rtp);
      gst_rtp_buffer_unmap (&rtp);
    }
    if (pt == remote->pt_from) {
      buffer = gst_buffer_make_writable (buffer);
      if (gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp)) {
        gst_rtp_buffer_set_payload_type (&rtp, (guint8) remote->pt_to);
        gst_rtp_buffer_unmap (&rtp);
      }
      GST_PAD_PROBE_INFO_DATA (info) = buffer;
    }
  }

  g_mutex_unlock (&remote->lock);

  if (latch != NULL)
    g_idle_add_full (G_PRIORITY_DEFAULT, latch_cb, latch, latch_free);
  return GST_PAD_PROBE_OK;
}

static gboolean
rtp_timeout_cb (gpointer user_data)
{
  SipcastMediaSession *self = SIPCAST_MEDIA_SESSION (user_data);
  gint64 watched;

  if (self->pipeline == NULL || self->stopping || self->remote == NULL ||
      !self->remote->watching || self->remote->held)
    return G_SOURCE_REMOVE;

  /* udpsrc counts from its last packet or last report, which may lie
   * before the watch began (ringing, hold): only a whole silent period
   * while watched counts; the next report comes one period later. */
  watched = g_get_monotonic_time () - self->remote->watch_since;
  if (watched + 200 * G_TIME_SPAN_MILLISECOND < (gint64) self->config->rtp_timeout * G_TIME_SPAN_SECOND)
    return G_SOURCE_REMOVE;

  g_message ("%s: no RTP from the far end for %u s", self->name, self->config->rtp_timeout);
  g_signal_emit (self, signals[SIGNAL_RTP_TIMEOUT], 0);
  return G_SOURCE_REMOVE;
}

/* The posting thread (rtp_src's): hand udpsrc's silence report to the
 * main context. */
static void
sync_element_cb (GstBus     *bus,
                 GstMessage *message,
                 gpointer    user_data)
{
  const GstStructure *s = gst_message_get_structure (message);

  if (s == NULL || !gst_structure_has_name (s, "GstUDPSrcTimeout") ||
      g_strcmp0 (GST_OBJECT_NAME (GST_MESSAGE_SRC (message)), "rtp_src") != 0)
    return;
  g_idle_add_full (G_PRIORITY_DEFAULT, rtp_timeout_cb, g_object_ref (user_data),
                   g_object_unref);
}

static GstPadProbeReturn
drop_probe (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  return GST_PAD_PROBE_DROP;
}

void
sipcast_media_session_follow_remote (SipcastMediaSession   *self,
                                     const SipcastSdpMedia *audio)
{
  g_autoptr (GstElement) rtp_src = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstBus) bus = NULL;

  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));
  g_return_if_fail (audio != NULL);
  g_return_if_fail (self->remote == NULL);

  if (self->pipeline == NULL)
    return;

  self->remote = g_new0 (Remote, 1);
  g_mutex_init (&self->remote->lock);
  self->remote->address = g_strdup (audio->address);
  self->remote->port = audio->port;
  self->remote->rtcp_port = audio->rtcp_port;
  self->remote->latch = self->config->symmetric_rtp;
  self->remote->pt_from = -1;

  rtp_src = pipeline_element (self, "rtp_src");
  pad = gst_element_get_static_pad (rtp_src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, rtp_in_probe, self, NULL);

  /* The bus watch sees messages only once the main loop gets to them, and
   * is another helper's; the sync emission sees udpsrc's report at once.
   * Both go with the pipeline. */
  bus = gst_pipeline_get_bus (GST_PIPELINE (self->pipeline));
  gst_bus_enable_sync_message_emission (bus);
  g_signal_connect (bus, "sync-message::element", G_CALLBACK (sync_element_cb), self);
}

void
sipcast_media_session_watch_rtp (SipcastMediaSession *self)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));

  if (self->remote == NULL || self->remote->watching || self->config->rtp_timeout == 0)
    return;
  self->remote->watching = TRUE;
  self->remote->watch_since = g_get_monotonic_time ();
}

void
sipcast_media_session_set_held (SipcastMediaSession *self,
                                gboolean             held)
{
  g_autoptr (GstElement) rtp_sink = NULL;
  g_autoptr (GstPad) pad = NULL;

  g_return_if_fail (SIPCAST_IS_MEDIA_SESSION (self));

  if (self->remote == NULL || self->remote->held == held)
    return;
  self->remote->held = held;
  /* A held far end sends nothing, legitimately: silence counts again
   * from the resume on. */
  self->remote->watch_since = g_get_monotonic_time ();

  rtp_sink = pipeline_element (self, "rtp_sink");
  if (rtp_sink == NULL)
    return;
  pad = gst_element_get_static_pad (rtp_sink, "sink");
  if (held) {
    /* We answered recvonly or inactive: nothing goes out but RTCP. */
    self->remote->hold_probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
                                                  GST_PAD_PROBE_TYPE_BUFFER_LIST,
                                                  drop_probe, NULL, NULL);
  } else if (self->remote->hold_probe != 0) {
    gst_pad_remove_probe (pad, self->remote->hold_probe);
    self->remote->hold_probe = 0;
  }
  g_debug ("%s: %s", self->name, held ? "held: sending stopped" : "resumed");
}

/* ---- a codec change the far end asks for in a re-INVITE ----
 *
 * Receive side: the new codec's chain is added next to the old one and
 * rtpbin's payload map cleared; when the new payload type's pad appears
 * (pad_added_cb), the new chain takes the old one's place in front of
 * audio-aac, and the old one goes.  audio-aac, the tail and the RTMP
 * connection stay: audioconvert/audioresample take the new rate.  Send
 * side: the encoder and payloader are swapped behind a blocked tx_caps,
 * with a resampler when the new codec wants another rate than the
 * mixer's; SSRC, sequence and timestamps go on where they were. */

/* The mixer's streaming thread, tx_caps' src pad blocked: the send path
 * after it is rebuilt for @user_data's codec. */
typedef struct {
  SipcastMediaSession *session;  /* owned */
  const SipcastCodec *codec;
  guint pt;
} TxSwap;

static void
tx_swap_free (gpointer data)
{
  TxSwap *swap = data;

  g_object_unref (swap->session);
  g_free (swap);
}

static GstPadProbeReturn
tx_swap_probe (GstPad          *pad,
               GstPadProbeInfo *info,
               gpointer         user_data)
{
  static const char *const old_names[] = { "tx_resample", "tx_rate", "tx_encoder", "tx_payloader" };
  TxSwap *swap = user_data;
  const SipcastCodec *codec = swap->codec;
  GstElement *caps_filter = GST_ELEMENT (GST_OBJECT_PARENT (pad));
  GstBin *bin = GST_BIN (GST_OBJECT_PARENT (caps_filter));
  g_autoptr (GstElement) old_payloader = gst_bin_get_by_name (bin, "tx_payloader");
  g_autoptr (GstPad) old_src = gst_element_get_static_pad (old_payloader, "src");
  g_autoptr (GstPad) out = gst_pad_get_peer (old_src);
  g_autoptr (GstPad) next = gst_pad_get_peer (pad);
  g_autoptr (GstPad) payloader_src = NULL;
  g_autoptr (GstStructure) stats = NULL;
  g_autoptr (GstCaps) caps = NULL;
  GstElement *first, *encoder, *payloader;
  guint ssrc = 0, seqnum = 0, timestamp = 0;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  int rate = 0;

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    g_autoptr (GstEvent) event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    const GstSegment *segment;

    if (event != NULL) {
      GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

      gst_event_parse_segment (event, &segment);
      running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME, pts);
    }
  }
  g_object_get (old_payloader, "stats", &stats, NULL);
  gst_pad_unlink (pad, next);
  if (out != NULL)
    gst_pad_unlink (old_src, out);
  for (guint i = 0; i < G_N_ELEMENTS (old_names); i++) {
    g_autoptr (GstElement) element = gst_bin_get_by_name (bin, old_names[i]);

    if (element == NULL)
      continue;
    gst_element_set_locked_state (element, TRUE);
    gst_element_set_state (element, GST_STATE_NULL);
    gst_bin_remove (bin, element);
  }

  encoder = gst_element_factory_make (codec->encoder, "tx_encoder");
  payloader = gst_element_factory_make (codec->payloader, "tx_payloader");
  set_payloader (payloader, swap->pt);
  /* One RTP stream goes on: the same SSRC (rtpsession takes the caps'
   * one for its own), the next sequence number, and the timestamp one
   * packet after the last for the buffer held here (a payloader stamps
   * offset + running time at its clock rate). */
  if (stats != NULL && gst_structure_get_uint (stats, "ssrc", &ssrc) &&
      gst_structure_get_uint (stats, "seqnum", &seqnum) &&
      gst_structure_get_uint (stats, "timestamp", &timestamp)) {
    g_object_set (payloader, "ssrc", ssrc, "seqnum-offset", (int) ((seqnum + 1) & 0xffff), NULL);
    if (running_time != GST_CLOCK_TIME_NONE)
      g_object_set (payloader, "timestamp-offset",
                    (guint) (timestamp + codec->clock_rate / 50 -
                             (guint32) gst_util_uint64_scale_int (running_time,
                                                                  (int) codec->clock_rate,
                                                                  GST_SECOND)), NULL);
  }
  gst_bin_add_many (bin, encoder, payloader, NULL);
  first = encoder;

  caps = gst_pad_get_current_caps (pad);
  if (caps != NULL)
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate", &rate);
  if (rate != (int) codec->sample_rate) {
    GstElement *resample = gst_element_factory_make ("audioresample", "tx_resample");
    GstElement *rate_filter = gst_element_factory_make ("capsfilter", "tx_rate");
    g_autoptr (GstCaps) rate_caps = gst_caps_new_simple ("audio/x-raw",
                                                         "rate", G_TYPE_INT,
                                                         (int) codec->sample_rate, NULL);

    g_object_set (rate_filter, "caps", rate_caps, NULL);
    gst_bin_add_many (bin, resample, rate_filter, NULL);
    gst_element_link_many (resample, rate_filter, encoder, NULL);
    gst_element_sync_state_with_parent (rate_filter);
    gst_element_sync_state_with_parent (resample);
    first = resample;
  }
  payloader_src = gst_element_get_static_pad (payloader, "src");
  if (!gst_element_link (encoder, payloader) || !gst_element_link (caps_filter, first) ||
      (out != NULL && gst_pad_link (payloader_src, out) != GST_PAD_LINK_OK))
    g_warning ("%s: could not link the %s encoder", swap->session->name, codec->encoding_name);
  gst_element_sync_state_with_parent (payloader);
  gst_element_sync_state_with_parent (encoder);
  g_debug ("%s: sending %s as payload type %u", swap->session->name, codec->encoding_name,
           swap->pt);
  return GST_PAD_PROBE_REMOVE;
}

/* The far end's @audio is another codec than the one the session runs. */
static gboolean
change_audio_codec (SipcastMediaSession   *self,
                    const SipcastSdpMedia *audio,
                    GError               **error)
{
  const SipcastCodec *codec = audio->codec;
  g_autofree char *name = NULL;
  g_autoptr (GstElement) caps_filter = NULL;
  g_autoptr (GstElement) dtmf_caps = NULL;
  GstElement *chain;
  GstPad *entry;
  gboolean has_entry, pending;

  /* FLV announces its audio codec once, in the stream's first tag: G.711
   * copied as it is cannot turn into another G.711 or AAC midway. */
  if (self->audio_copy) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                 _("Changing the codec from %s/%u to %s/%u is not supported with rtmp-audio=copy"),
                 self->encoding_name, self->clock_rate, codec->encoding_name, codec->clock_rate);
    return FALSE;
  }
  /* pad-added swaps these on a streaming thread.  Only it clears
   * audio_pending, so a change found free stays free until set below. */
  g_mutex_lock (&self->audio_lock);
  has_entry = self->audio_entry != NULL;
  pending = self->audio_pending != NULL;
  g_mutex_unlock (&self->audio_lock);
  if (!has_entry) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                         _("The call has no audio to change the codec of"));
    return FALSE;
  }
  if (pending) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                 _("The change to %s is still waiting for the far end's RTP"),
                 self->encoding_name);
    return FALSE;
  }

  name = g_strdup_printf ("audio_chain_%u", ++self->audio_chains);
  chain = add_chain (self, sipcast_media_chain_for_codec (codec, FALSE), name, error);
  if (chain == NULL)
    return FALSE;
  if (self->tail != NULL)
    add_live_latency_probe (self, chain);
  if (self->stream != NULL) {
    g_autoptr (GstPad) chain_src = gst_element_get_static_pad (chain, "src");

    gst_pad_add_probe (chain_src, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       stream_probe, g_object_ref (self->stream), g_object_unref);
  }
  gst_element_sync_state_with_parent (chain);
  entry = gst_element_get_static_pad (chain, "sink");

  g_message ("%s: the far end changes the codec from %s/%u (payload type %u) to %s/%u (%u)",
             self->name, self->encoding_name, self->clock_rate, self->payload_type,
             codec->encoding_name, codec->clock_rate, audio->payload_type);
  g_mutex_lock (&self->audio_lock);
  self->prev_audio_codec = self->audio_codec;
  self->prev_payload_type = self->payload_type;
  self->audio_codec = codec;
  self->payload_type = audio->payload_type;
  self->clock_rate = codec->clock_rate;
  g_free (self->encoding_name);
  self->encoding_name = g_strdup (codec->encoding_name);
  if (audio->telephone_event_pt >= 0)
    self->telephone_event_pt = audio->telephone_event_pt;
  self->comfort_noise_pt = audio->comfort_noise_pt;
  self->audio_pending = entry;
  g_mutex_unlock (&self->audio_lock);
  g_signal_emit_by_name (self->rtpbin, "clear-pt-map");

  caps_filter = pipeline_element (self, "tx_caps");
  if (caps_filter != NULL && codec->encoder != NULL) {
    g_autoptr (GstPad) pad = gst_element_get_static_pad (caps_filter, "src");
    TxSwap *swap = g_new0 (TxSwap, 1);

    swap->session = g_object_ref (self);
    swap->codec = codec;
    swap->pt = audio->payload_type;
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, tx_swap_probe, swap,
                       tx_swap_free);
  }

  /* Events keep going under the far end's (new) number. */
  dtmf_caps = pipeline_element (self, "tx_dtmf_caps");
  if (dtmf_caps != NULL && audio->telephone_event_pt >= 0) {
    g_autoptr (GstCaps) te_caps = NULL;

    g_object_get (dtmf_caps, "caps", &te_caps, NULL);
    te_caps = gst_caps_make_writable (te_caps);
    gst_caps_set_simple (te_caps, "payload", G_TYPE_INT, audio->telephone_event_pt, NULL);
    g_object_set (dtmf_caps, "caps", te_caps, NULL);
    g_object_set (self->tx_dtmf, "pt", audio->telephone_event_pt, NULL);
  }
  return TRUE;
}

gboolean
sipcast_media_session_update_remote (SipcastMediaSession   *self,
                                     const SipcastSdpMedia *audio,
                                     GError               **error)
{
  g_autoptr (GstElement) payloader = NULL;
  gboolean moved, changed;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (audio != NULL && audio->codec != NULL, FALSE);

  if (self->remote == NULL || self->pipeline == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                         _("The media session is not running"));
    return FALSE;
  }

  /* Another codec needs another depayloader, decoder and encoder. */
  changed = audio->codec != self->audio_codec;
  if (changed && !change_audio_codec (self, audio, error))
    return FALSE;

  g_mutex_lock (&self->remote->lock);
  moved = audio->port != self->remote->port || audio->rtcp_port != self->remote->rtcp_port ||
          g_strcmp0 (audio->address, self->remote->address) != 0;
  /* rtpbin stays set up for the first payload type; the far end's new
   * number is mapped back to it on the way in. */
  self->remote->pt_from = audio->payload_type != self->payload_type ? (int) audio->payload_type : -1;
  self->remote->pt_to = (int) self->payload_type;
  g_mutex_unlock (&self->remote->lock);

  /* (A new codec's payloader is made with the new number.) */
  payloader = changed ? NULL : pipeline_element (self, "tx_payloader");
  if (payloader != NULL) {
    guint pt = 0;

    g_object_get (payloader, "pt", &pt, NULL);
    if (pt != audio->payload_type) {
      g_message ("%s: the far end now takes %s as payload type %u", self->name,
                 self->encoding_name, audio->payload_type);
      g_object_set (payloader, "pt", audio->payload_type, NULL);
    }
  }

  if (moved) {
    g_message ("%s: the far end moved its media to %s:%u", self->name, audio->address,
               audio->port);
    /* A NATed far end that moved sends from a new mapping too: the first
     * packet from anywhere but where it sent from so far tells. */
    g_mutex_lock (&self->remote->lock);
    g_free (self->remote->stale_address);
    self->remote->stale_address = g_strdup (self->remote->address);
    self->remote->stale_port = self->remote->port;
    self->remote->latch = self->config->symmetric_rtp;
    g_mutex_unlock (&self->remote->lock);
    set_destination (self, audio->address, audio->port, audio->rtcp_port);
  }
  return TRUE;
}

gboolean
sipcast_media_session_update_remote_video (SipcastMediaSession   *self,
                                           const SipcastSdpMedia *video,
                                           GError               **error)
{
  g_autoptr (GstElement) rtcp_sink = NULL;
  g_autofree char *host = NULL;
  int port = 0;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SESSION (self), FALSE);
  g_return_val_if_fail (video != NULL && video->codec != NULL, FALSE);

  if (self->video_codec == NULL)
    return TRUE;
  if (video->codec != self->video_codec) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                 _("Changing the video codec from %s to %s during a call is not supported"),
                 self->video_codec->encoding_name, video->codec->encoding_name);
    return FALSE;
  }

  /* rtpbin has mapped the first number to its caps and depayloader;
   * a renumbered video payload type is not followed. */
  if (video->payload_type != self->video_payload_type)
    g_message ("%s: the far end now numbers %s %u, still receiving only %u", self->name,
               video->codec->encoding_name, video->payload_type, self->video_payload_type);

  /* We send no video RTP: only our receiver reports (and key frame
   * requests) follow the far end to its new place. */
  rtcp_sink = pipeline_element (self, "video_rtcp_sink");
  if (rtcp_sink == NULL)
    return TRUE;
  g_object_get (rtcp_sink, "host", &host, "port", &port, NULL);
  if (g_strcmp0 (host, video->address) != 0 || (guint) port != video->rtcp_port) {
    g_message ("%s: the far end moved its video to %s:%u", self->name, video->address,
               video->port);
    g_object_set (rtcp_sink, "host", video->address, "port", (int) video->rtcp_port, NULL);
  }
  return TRUE;
}

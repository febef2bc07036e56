/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-media-receiver.h"
#include "sipcast-video-resume.h"
#include "sipcast-placeholder-video.h"
#include "sipcast-error.h"
#include "sipcast-flv-tail.h"
#include "sipcast-media-chain.h"
#include "sipcast-media-probes.h"

#include <glib/gi18n.h>
#include <gst/video/video.h>
#include <stdio.h>

/*
 * From rtpbin to the tail (element names are their roles):
 *
 *   rtpbin ──pad-added──▶ audio_chain ▶ audio_aac ▶ tail "audio"
 *   rtpbin ──pad-added──▶ video_chain ──────────▶ tail "video"
 *   rtpbin ──pad-added──▶ fakesink (telephone-event: read as digits; other payloads)
 *
 * The chains are parsed from pipelines/ when the pipeline is built, so
 * pad-added only links: the audio chain of the codec (RTP → raw audio,
 * then audio-aac; or with [media] rtmp-audio=copy, G.711 as it is), the
 * video chain (H.264 passed through, VP8 → H.264), and the FLV tail
 * (sipcast-flv-tail.h).  A call that is not published decodes its audio
 * into a fakesink (for its named stream) and gets no video elements.
 * Streaming threads never touch the receiver's main-context state: they
 * post application messages that the bus watch hands to
 * sipcast_media_receiver_handle_message() (but pad-added and
 * request-pt-map read the audio codec under audio_lock, as a re-INVITE
 * may change it: change_audio_codec).
 */

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

enum {
  SIGNAL_DTMF_RECEIVED,
  SIGNAL_VIDEO_SIZE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _SipcastMediaReceiver {
  GObject parent_instance;

  const SipcastConfig *config;
  char *name;
  SipcastStream *stream;     /* where the decoded audio is also handed */

  /* From attach() to detach() (references of our own). */
  GstElement *pipeline;
  GstElement *rtpbin;
  GstElement *tail;          /* the FLV tail bin, or NULL when not published */

  /* Where rtpbin's pad of the negotiated payload is linked to: the sink
   * pad of the audio / video chain (NULL when there is none).  Set before
   * PLAYING, read by pad-added. */
  GstPad *audio_entry;
  /* A codec change the far end asked for (change_audio_codec): the new
   * codec's chain, linked in place of audio_entry's once its payload type
   * arrives (pad-added); the previous codec and payload type stay mapped
   * until then.  audio_lock guards these and the negotiated audio fields
   * below against pad-added and request-pt-map. */
  GstPad *audio_pending;
  const SipcastCodec *prev_audio_codec;
  guint prev_payload_type;
  gboolean audio_copy;       /* the audio chain puts G.711 into FLV as it is */
  guint audio_chains;        /* chains made so far, for their names */
  GMutex audio_lock;
  /* The placeholder picture (sipcast-placeholder-video.h), or NULL: the
   * video chain goes to it rather than to the tail. */
  GstElement *placeholder;
  GstPad *video_entry;
  GstPad *video_exit;        /* the video chain's src pad, for key frame requests */
  int video_state;           /* VIDEO_WAITING, atomic */
  guint video_wait_id;

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

  GString *dtmf_received;    /* digits the far end sent, in order */
};

G_DEFINE_FINAL_TYPE (SipcastMediaReceiver, sipcast_media_receiver, G_TYPE_OBJECT)

static GstCaps *
caps_for_pt (SipcastMediaReceiver *self,
             guint                 session,
             guint                 pt)
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
                                "clock-rate", G_TYPE_INT,
                                (int) sipcast_media_chain_telephone_event_rate (),
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
  return caps_for_pt (SIPCAST_MEDIA_RECEIVER (user_data), session, pt);
}

/* A fakesink in the pipeline, for RTP (or audio) nobody publishes. */
static GstPad *
add_fakesink (SipcastMediaReceiver *self)
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
link_to_fakesink (SipcastMediaReceiver *self,
                  GstPad               *pad)
{
  GstPad *sinkpad = add_fakesink (self);

  g_object_set_data_full (G_OBJECT (pad), PAD_FAKESINK, gst_pad_get_parent_element (sinkpad),
                          gst_object_unref);
  if (gst_pad_link (pad, sinkpad) != GST_PAD_LINK_OK)
    g_warning (_("%s: could not link %s to a fakesink"), self->name, GST_OBJECT_NAME (pad));
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
  g_debug ("%s: %s removed", SIPCAST_MEDIA_RECEIVER (user_data)->name, GST_OBJECT_NAME (pad));
  g_idle_add_full (G_PRIORITY_DEFAULT, remove_fakesink_cb, fakesink, gst_object_unref);
}

/* A codec change under way on a streaming thread: the chain of the new
 * codec takes the place of the old one in front of audio-aac (or the
 * fakesink of a call not published). */
typedef struct {
  SipcastMediaReceiver *receiver; /* owned */
  GstElement *old_chain;         /* owned */
  GstElement *new_chain;         /* owned */
  gulong block_id;               /* holds the new chain's output until it is linked */
  gint done;                     /* atomic: audio_switch() ran */
} AudioSwitch;

static void
audio_switch_free (gpointer data)
{
  AudioSwitch *sw = data;

  g_object_unref (sw->receiver);
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
  SipcastMediaReceiver *self = old->receiver;

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
  SipcastMediaReceiver *self = sw->receiver;
  AudioSwitch *old = g_new0 (AudioSwitch, 1);
  g_autoptr (GstPad) old_sink = gst_element_get_static_pad (sw->old_chain, "sink");
  g_autoptr (GstPad) old_src = gst_element_get_static_pad (sw->old_chain, "src");
  g_autoptr (GstPad) new_src = gst_element_get_static_pad (sw->new_chain, "src");
  g_autoptr (GstPad) out = gst_pad_get_peer (old_src);

  if (out != NULL) {
    gst_pad_unlink (old_src, out);
    if (gst_pad_link (new_src, out) != GST_PAD_LINK_OK)
      g_warning (_("%s: could not link %s"), self->name, GST_OBJECT_NAME (sw->new_chain));
  }
  if (upstream != NULL) {
    g_autoptr (GstPad) fakesink = NULL;

    gst_pad_unlink (upstream, old_sink);
    fakesink = link_to_fakesink (self, upstream);
  }
  gst_pad_remove_probe (new_src, sw->block_id);
  g_atomic_int_set (&sw->done, 1);
  g_debug ("%s: audio now through %s", self->name, GST_OBJECT_NAME (sw->new_chain));

  old->receiver = g_object_ref (self);
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
  SipcastMediaReceiver *self = sw->receiver;

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
start_audio_switch (SipcastMediaReceiver *self,
                    GstPad               *pad,
                    GstPad               *old_entry,
                    GstPad               *new_entry)
{
  AudioSwitch *sw = g_new0 (AudioSwitch, 1);
  g_autoptr (GstPad) new_src = NULL;
  g_autoptr (GstPad) upstream = NULL;

  sw->receiver = g_object_ref (self);
  sw->old_chain = gst_pad_get_parent_element (old_entry);
  sw->new_chain = gst_pad_get_parent_element (new_entry);
  new_src = gst_element_get_static_pad (sw->new_chain, "src");
  sw->block_id = gst_pad_add_probe (new_src, GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER |
                                    GST_PAD_PROBE_TYPE_BUFFER_LIST, hold_probe, NULL, NULL);
  if (gst_pad_link (pad, new_entry) != GST_PAD_LINK_OK)
    g_warning (_("%s: could not link %s"), self->name, GST_OBJECT_NAME (sw->new_chain));

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
 * publish, adds a fakesink), which is what pad-added is for; no receiver
 * state but what was set before PLAYING (or under audio_lock) is read. */
static void
pad_added_cb (GstElement *rtpbin,
              GstPad     *pad,
              gpointer    user_data)
{
  SipcastMediaReceiver *self = SIPCAST_MEDIA_RECEIVER (user_data);
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
      g_warning (_("%s: could not link %s"), self->name, pad_name);
    return;
  }

  sinkpad = link_to_fakesink (self, pad);
  /* Probed after linking, before the first buffer: the pad's thread is
   * in this very callback. */
  if (session == 0 && (int) pt == telephone_event_pt)
    sipcast_media_probes_add_dtmf (sinkpad);
}

/* Adds the chain of pipelines/@kind.pipeline to the pipeline; NULL (with
 * @error set) when it does not parse. */
static GstElement *
add_chain (SipcastMediaReceiver *self,
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

/* The audio side from RTP to the tail: the codec's chain, then AAC; or
 * with rtmp-audio=copy for G.711, the RTP payload as it is (plus a decoder
 * into a fakesink when a named stream wants the audio).  Not published:
 * decoded for the named stream only. */
static gboolean
build_audio_branch (SipcastMediaReceiver *self,
                    GError              **error)
{
  const SipcastCodec *codec = self->audio_codec;
  gboolean copy = self->tail != NULL && self->config->rtmp_audio_copy &&
                  codec->copy_pipeline != NULL;
  GstElement *chain, *aac;
  g_autoptr (GstPad) chain_src = NULL;

  if (self->tail != NULL && self->config->rtmp_audio_copy && !copy)
    g_message (_("%s: rtmp-audio=copy, but FLV cannot carry %s: publishing AAC"),
               self->name, codec->encoding_name);

  self->audio_copy = copy;
  chain = add_chain (self, sipcast_media_chain_for_codec (codec, copy), "audio_chain", error);
  if (chain == NULL)
    return FALSE;
  self->audio_entry = gst_element_get_static_pad (chain, "sink");
  chain_src = gst_element_get_static_pad (chain, "src");
  if (self->tail != NULL)
    sipcast_media_probes_add_live_latency (chain, self->config->jitterbuffer_latency);

  if (copy) {
    GstElement *tee, *decoder;
    g_autoptr (GstPad) decoder_src = NULL;
    g_autoptr (GstPad) fakesink = NULL;

    if (self->placeholder != NULL)
      sipcast_placeholder_video_watch_audio (self->placeholder, chain_src);
    if (self->stream == NULL)
      return sipcast_media_chain_link (chain, "src", self->tail, "audio", error);

    /* The named stream takes raw audio. */
    if ((tee = sipcast_media_chain_add_element (GST_BIN (self->pipeline), "tee", "audio_tee",
                                                error)) == NULL ||
        (decoder = sipcast_media_chain_add_element (GST_BIN (self->pipeline), codec->decoder,
                                                    "audio_decoder", error)) == NULL)
      return FALSE;
    fakesink = add_fakesink (self);
    decoder_src = gst_element_get_static_pad (decoder, "src");
    sipcast_media_probes_add_stream (decoder_src, self->stream, FALSE);
    return sipcast_media_chain_link (chain, "src", tee, NULL, error) &&
           sipcast_media_chain_link (tee, "src_%u", self->tail, "audio", error) &&
           sipcast_media_chain_link (tee, "src_%u", decoder, NULL, error) &&
           gst_pad_link (decoder_src, fakesink) == GST_PAD_LINK_OK;
  }

  if (self->stream != NULL)
    sipcast_media_probes_add_stream (chain_src, self->stream, FALSE);

  if (self->tail == NULL) {
    g_autoptr (GstPad) fakesink = add_fakesink (self);

    return gst_pad_link (chain_src, fakesink) == GST_PAD_LINK_OK;
  }

  aac = add_chain (self, "audio-aac", "audio_aac", error);
  /* At the encoder's entry: whichever codec's chain feeds it (a re-INVITE
   * may change it), the card's meter follows. */
  if (aac != NULL && self->placeholder != NULL) {
    g_autoptr (GstPad) aac_sink = gst_element_get_static_pad (aac, "sink");

    sipcast_placeholder_video_watch_audio (self->placeholder, aac_sink);
  }
  return aac != NULL &&
         sipcast_media_chain_link (chain, "src", aac, "sink", error) &&
         sipcast_media_chain_link (aac, "src", self->tail, "audio", error);
}

/* The video side from RTP to the tail (published calls only). */
static gboolean
build_video_branch (SipcastMediaReceiver *self,
                    GError              **error)
{
  GstElement *chain;

  chain = add_chain (self, sipcast_media_chain_for_codec (self->video_codec, FALSE),
                     "video_chain", error);
  if (chain == NULL)
    return FALSE;
  self->video_entry = gst_element_get_static_pad (chain, "sink");
  self->video_exit = gst_element_get_static_pad (chain, "src");
  sipcast_media_probes_add_live_latency (chain, self->config->jitterbuffer_latency);
  sipcast_media_probes_add_video_size (self->video_exit, self->pipeline);
  sipcast_media_probes_add_key_frame_interval (chain);
  sipcast_video_resume_watch (self->video_exit, self->config->key_frame_interval * GST_MSECOND);
  if (self->stream != NULL)
    sipcast_media_probes_add_stream (self->video_exit, self->stream, TRUE);
  return sipcast_media_chain_link (chain, "src",
                                   self->placeholder != NULL ? self->placeholder : self->tail,
                                   "video", error);
}

/* No video came: the tail's video pad goes (flvmux then writes the audio
 * alone), and the video chain with it. */
static gboolean
video_wait_cb (gpointer user_data)
{
  SipcastMediaReceiver *self = SIPCAST_MEDIA_RECEIVER (user_data);
  g_autoptr (GstPad) ghost = NULL;
  g_autoptr (GstElement) chain = NULL;

  self->video_wait_id = 0;
  if (!g_atomic_int_compare_and_exchange (&self->video_state, VIDEO_WAITING, VIDEO_DROPPED))
    return G_SOURCE_REMOVE;

  g_message (_("%s: no video within %d ms: publishing audio only"), self->name, VIDEO_WAIT_MS);
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

static void
sipcast_media_receiver_dispose (GObject *object)
{
  SipcastMediaReceiver *self = SIPCAST_MEDIA_RECEIVER (object);

  sipcast_media_receiver_detach (self);
  if (self->stream != NULL)
    g_signal_handlers_disconnect_by_data (self->stream, self);
  g_clear_object (&self->stream);

  G_OBJECT_CLASS (sipcast_media_receiver_parent_class)->dispose (object);
}

static void
sipcast_media_receiver_finalize (GObject *object)
{
  SipcastMediaReceiver *self = SIPCAST_MEDIA_RECEIVER (object);

  g_free (self->name);
  g_free (self->encoding_name);
  g_free (self->video_profile_level_id);
  g_string_free (self->dtmf_received, TRUE);
  g_mutex_clear (&self->audio_lock);

  G_OBJECT_CLASS (sipcast_media_receiver_parent_class)->finalize (object);
}

static void
sipcast_media_receiver_class_init (SipcastMediaReceiverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_media_receiver_dispose;
  object_class->finalize = sipcast_media_receiver_finalize;

  /* A telephone-event (RFC 4733) arrived from the far end: the digit. */
  signals[SIGNAL_DTMF_RECEIVED] =
    g_signal_new ("dtmf-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The published video's width and height changed (get_video_size). */
  signals[SIGNAL_VIDEO_SIZE] =
    g_signal_new ("video-size-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sipcast_media_receiver_init (SipcastMediaReceiver *self)
{
  self->telephone_event_pt = -1;
  self->comfort_noise_pt = -1;
  g_mutex_init (&self->audio_lock);
  self->dtmf_received = g_string_new (NULL);
}

SipcastMediaReceiver *
sipcast_media_receiver_new (const SipcastConfig   *config,
                            const char            *name,
                            const SipcastSdpMedia *audio,
                            const SipcastSdpMedia *video,
                            SipcastStream         *stream)
{
  SipcastMediaReceiver *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (audio == NULL || audio->codec != NULL, NULL);
  g_return_val_if_fail (video == NULL || video->codec != NULL, NULL);

  self = g_object_new (SIPCAST_TYPE_MEDIA_RECEIVER, NULL);
  self->config = config;
  self->name = g_strdup (name);
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
  g_set_object (&self->stream, stream);
  /* A video subscriber (a WHEP viewer, a /push) that just joined starts
   * at a key frame: ask the far end for one. */
  if (stream != NULL)
    g_signal_connect_swapped (stream, "key-frame-wanted",
                              G_CALLBACK (sipcast_media_receiver_request_key_frame), self);
  return self;
}

void
sipcast_media_receiver_attach (SipcastMediaReceiver *self,
                               GstElement           *pipeline,
                               GstElement           *rtpbin,
                               GstElement           *tail)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self));
  g_return_if_fail (self->pipeline == NULL);

  self->pipeline = gst_object_ref (pipeline);
  self->rtpbin = gst_object_ref (rtpbin);
  self->tail = tail != NULL ? gst_object_ref (tail) : NULL;
  g_signal_connect_object (rtpbin, "request-pt-map", G_CALLBACK (request_pt_map_cb), self, 0);
  g_signal_connect_object (rtpbin, "pad-added", G_CALLBACK (pad_added_cb), self, 0);
  g_signal_connect_object (rtpbin, "pad-removed", G_CALLBACK (pad_removed_cb), self, 0);
}

void
sipcast_media_receiver_set_placeholder (SipcastMediaReceiver *self,
                                        GstElement           *placeholder)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self));
  g_return_if_fail (self->pipeline != NULL && self->tail != NULL);

  gst_object_replace ((GstObject **) &self->placeholder, GST_OBJECT (placeholder));
}

gboolean
sipcast_media_receiver_build_audio (SipcastMediaReceiver  *self,
                                    GError               **error)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), FALSE);
  g_return_val_if_fail (self->pipeline != NULL && self->audio_codec != NULL, FALSE);

  return build_audio_branch (self, error);
}

gboolean
sipcast_media_receiver_build_video (SipcastMediaReceiver  *self,
                                    GError               **error)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), FALSE);
  g_return_val_if_fail (self->tail != NULL && self->video_codec != NULL, FALSE);

  if (!build_video_branch (self, error))
    return FALSE;
  /* With a placeholder the muxer has pictures anyway: nothing to give up. */
  if (self->placeholder == NULL)
    self->video_wait_id = g_timeout_add (VIDEO_WAIT_MS, video_wait_cb, self);
  return TRUE;
}

void
sipcast_media_receiver_detach (SipcastMediaReceiver *self)
{
  g_autoptr (GstPad) audio_entry = NULL;
  g_autoptr (GstPad) audio_pending = NULL;

  g_return_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self));

  g_clear_handle_id (&self->video_wait_id, g_source_remove);
  g_mutex_lock (&self->audio_lock);
  audio_entry = g_steal_pointer (&self->audio_entry);
  audio_pending = g_steal_pointer (&self->audio_pending);
  g_mutex_unlock (&self->audio_lock);
  gst_clear_object (&self->video_entry);
  gst_clear_object (&self->video_exit);
  gst_clear_object (&self->tail);
  gst_clear_object (&self->placeholder);
  gst_clear_object (&self->rtpbin);
  gst_clear_object (&self->pipeline);
}

/* Main context: what the streaming threads found in the media. */
gboolean
sipcast_media_receiver_handle_message (SipcastMediaReceiver *self,
                                       const GstStructure   *s)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), FALSE);

  if (gst_structure_has_name (s, SIPCAST_MEDIA_PROBES_MSG_DTMF)) {
    const char *digit = gst_structure_get_string (s, "digit");

    g_string_append (self->dtmf_received, digit);
    g_signal_emit (self, signals[SIGNAL_DTMF_RECEIVED], 0, digit);
    return TRUE;
  }
  if (gst_structure_has_name (s, SIPCAST_MEDIA_PROBES_MSG_VIDEO_CAPS)) {
    int width = 0, height = 0;

    gst_structure_get_int (s, "width", &width);
    gst_structure_get_int (s, "height", &height);
    if (width == self->video_width && height == self->video_height)
      return TRUE;
    g_message (_("%s: video %dx%d"), self->name, width, height);
    self->video_width = width;
    self->video_height = height;
    g_signal_emit (self, signals[SIGNAL_VIDEO_SIZE], 0);
    return TRUE;
  }
  return FALSE;
}

/* Asks the far end for a key frame (RTCP FIR or PLI, as its SDP allows:
 * rtpsession turns the upstream force-key-unit event into one) or, for
 * VP8, the H.264 encoder for one: a player that just connected can
 * start decoding at once. */
void
sipcast_media_receiver_request_key_frame (SipcastMediaReceiver *self)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self));

  if (self->video_exit == NULL)
    return;
  g_debug ("%s: asking for a key frame", self->name);
  gst_pad_send_event (self->video_exit,
                      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                   TRUE, 0));
}

/* The chain entries an EOS goes into when the call stops. */
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
                                     gst_structure_new_empty (
                                         SIPCAST_MEDIA_RECEIVER_MSG_EOS_FAILED)));
}

void
sipcast_media_receiver_send_eos (SipcastMediaReceiver *self)
{
  EosTargets *targets;

  g_return_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self));
  g_return_if_fail (self->pipeline != NULL);

  g_clear_handle_id (&self->video_wait_id, g_source_remove);
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

/* ---- a codec change the far end asks for in a re-INVITE ----
 *
 * The new codec's chain is added next to the old one and rtpbin's
 * payload map cleared; when the new payload type's pad appears
 * (pad_added_cb), the new chain takes the old one's place in front of
 * audio-aac, and the old one goes.  audio-aac, the tail and the RTMP
 * connection stay: audioconvert/audioresample take the new rate. */

gboolean
sipcast_media_receiver_change_audio_codec (SipcastMediaReceiver  *self,
                                           const SipcastSdpMedia *audio,
                                           GError               **error)
{
  const SipcastCodec *codec = audio->codec;
  g_autofree char *name = NULL;
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
    sipcast_media_probes_add_live_latency (chain, self->config->jitterbuffer_latency);
  if (self->stream != NULL) {
    g_autoptr (GstPad) chain_src = gst_element_get_static_pad (chain, "src");

    sipcast_media_probes_add_stream (chain_src, self->stream, FALSE);
  }
  gst_element_sync_state_with_parent (chain);
  entry = gst_element_get_static_pad (chain, "sink");

  g_message (_("%s: the far end changes the codec from %s/%u (payload type %u) to %s/%u (%u)"),
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
  return TRUE;
}

gboolean
sipcast_media_receiver_follow_video (SipcastMediaReceiver  *self,
                                     const SipcastSdpMedia *video,
                                     GError               **error)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), FALSE);
  g_return_val_if_fail (video != NULL && video->codec != NULL, FALSE);
  g_return_val_if_fail (self->video_codec != NULL, FALSE);

  if (video->codec != self->video_codec) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC,
                 _("Changing the video codec from %s to %s during a call is not supported"),
                 self->video_codec->encoding_name, video->codec->encoding_name);
    return FALSE;
  }

  /* rtpbin has mapped the first number to its caps and depayloader;
   * a renumbered video payload type is not followed. */
  if (video->payload_type != self->video_payload_type)
    g_message (_("%s: the far end now numbers %s %u, still receiving only %u"), self->name,
               video->codec->encoding_name, video->payload_type, self->video_payload_type);
  return TRUE;
}

const SipcastCodec *
sipcast_media_receiver_get_audio_codec (SipcastMediaReceiver *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), NULL);
  return self->audio_codec;
}

guint
sipcast_media_receiver_get_payload_type (SipcastMediaReceiver *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), 0);
  return self->payload_type;
}

gboolean
sipcast_media_receiver_has_video (SipcastMediaReceiver *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), FALSE);
  return self->video_codec != NULL;
}

const char *
sipcast_media_receiver_get_dtmf_received (SipcastMediaReceiver *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), NULL);
  return self->dtmf_received->str;
}

gboolean
sipcast_media_receiver_get_video_size (SipcastMediaReceiver *self,
                                       int                  *width,
                                       int                  *height)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_RECEIVER (self), FALSE);

  if (self->video_width <= 0 || self->video_height <= 0)
    return FALSE;
  *width = self->video_width;
  *height = self->video_height;
  return TRUE;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-media-sender.h"
#include "sipcast-dtmf.h"
#include "sipcast-error.h"
#include "sipcast-media-chain.h"

#include <glib/gi18n.h>

/*
 * The send direction of a call's pipeline:
 *
 *   [sources] ─▶ tx_mixer ▶ tx_caps ▶ tx_encoder ▶ tx_payloader ▶ tx_rtpmux ▶ rtpbin
 *                                          tx_dtmf (rtpdtmfsrc) ▶ tx_dtmf_caps ─┘
 *
 * It runs from the answer on, so the far end hears silence (the mixer
 * with no source) rather than nothing.  Sources are mixed in with their
 * own converter and resampler; their EOS is caught before the mixer (so
 * the mixer goes on) and reported once their audio has been played.
 */

enum {
  SIGNAL_SOURCE_ENDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A source mixed into the send direction: its elements (in the pipeline)
 * and the mixer pad it feeds. */
typedef struct {
  SipcastMediaSender *sender;  /* borrowed: it owns this struct */
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

struct _SipcastMediaSender {
  GObject parent_instance;

  char *name;
  GstElement *pipeline;      /* owned until stop() */
  const SipcastCodec *codec; /* what tx_encoder encodes */
  /* The mixer everything the far end hears goes through, and the
   * RFC 4733 event source (NULL when the far end takes none); both in
   * the pipeline. */
  GstElement *tx_mixer;
  GstElement *tx_dtmf;
  GHashTable *sources;       /* id → Source */
  GString *dtmf_pending;     /* digits queued, first one playing or next */
  gboolean dtmf_tone_on;
  guint dtmf_timeout_id;
};

G_DEFINE_FINAL_TYPE (SipcastMediaSender, sipcast_media_sender, G_TYPE_OBJECT)

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

static GstClockTime
running_time_now (SipcastMediaSender *self)
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
  sipcast_media_sender_remove_source (source->sender, id);
  return G_SOURCE_REMOVE;
}

/* A source's EOS reached the mixer input with its audio ending at @end:
 * it is removed once the mixer has played that audio (its queue would be
 * cut short otherwise), and the owner learns where it ended so a loop can
 * continue seamlessly. */
static void
source_reached_eos (SipcastMediaSender *self,
                    const char         *id,
                    GstClockTime        end)
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
 * send session 0.  Elements are added to the pipeline as they are made
 * (sipcast_media_chain_add_element) so a failure leaves nothing
 * dangling. */
static gboolean
build (SipcastMediaSender     *self,
       GstElement             *rtpbin,
       const SipcastSdpMedia  *audio,
       GError                **error)
{
  const SipcastCodec *codec = audio->codec;
  GstBin *bin = GST_BIN (self->pipeline);
  GstElement *mixer, *raw_caps, *encoder, *payloader, *last;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstPad) send_sink = NULL;
  g_autoptr (GstPad) pad = NULL;

  if ((mixer = sipcast_media_chain_add_element (bin, "sipcastmixer", "tx_mixer", error)) == NULL)
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

  if ((encoder = sipcast_media_chain_add_element (bin, codec->encoder, "tx_encoder",
                                                  error)) == NULL)
    return FALSE;
  if ((payloader = sipcast_media_chain_add_element (bin, codec->payloader, "tx_payloader",
                                                    error)) == NULL)
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

    if ((rtpmux = sipcast_media_chain_add_element (bin, "rtpdtmfmux", "tx_rtpmux",
                                                   error)) == NULL)
      return FALSE;
    if ((dtmf = sipcast_media_chain_add_element (bin, "rtpdtmfsrc", "tx_dtmf", error)) == NULL)
      return FALSE;
    /* At the rate we offered telephone-event at (the far end answers with
     * that), even next to 48 kHz Opus; the end packet is sent three times
     * (RFC 4733 2.5.1.4). */
    g_object_set (dtmf, "pt", audio->telephone_event_pt, "packet-redundancy", 3, NULL);
    dtmf_caps = gst_element_factory_make ("capsfilter", "tx_dtmf_caps");
    te_caps = gst_caps_new_simple ("application/x-rtp",
                                   "media", G_TYPE_STRING, "audio",
                                   "clock-rate", G_TYPE_INT,
                                   (int) sipcast_media_chain_telephone_event_rate (),
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

  send_sink = gst_element_request_pad_simple (rtpbin, "send_rtp_sink_0");
  pad = gst_element_get_static_pad (last, "src");
  if (gst_pad_link (pad, send_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not link the RTP send path"));
    return FALSE;
  }

  self->tx_mixer = mixer;
  return TRUE;
}

static void
sipcast_media_sender_dispose (GObject *object)
{
  sipcast_media_sender_stop (SIPCAST_MEDIA_SENDER (object));

  G_OBJECT_CLASS (sipcast_media_sender_parent_class)->dispose (object);
}

static void
sipcast_media_sender_finalize (GObject *object)
{
  SipcastMediaSender *self = SIPCAST_MEDIA_SENDER (object);

  g_free (self->name);
  g_string_free (self->dtmf_pending, TRUE);
  g_hash_table_unref (self->sources);

  G_OBJECT_CLASS (sipcast_media_sender_parent_class)->finalize (object);
}

static void
sipcast_media_sender_class_init (SipcastMediaSenderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_media_sender_dispose;
  object_class->finalize = sipcast_media_sender_finalize;

  /* A source reached its end (arguments: its id and the running time its
   * audio ends at); it is removed by itself once that audio has been
   * played. */
  signals[SIGNAL_SOURCE_ENDED] =
    g_signal_new ("source-ended", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT64);
}

static void
sipcast_media_sender_init (SipcastMediaSender *self)
{
  self->dtmf_pending = g_string_new (NULL);
  self->sources = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, source_free);
}

SipcastMediaSender *
sipcast_media_sender_new (const char             *name,
                          GstElement             *pipeline,
                          GstElement             *rtpbin,
                          const SipcastSdpMedia  *audio,
                          GError                **error)
{
  g_autoptr (SipcastMediaSender) self = NULL;

  g_return_val_if_fail (GST_IS_PIPELINE (pipeline) && GST_IS_ELEMENT (rtpbin), NULL);
  g_return_val_if_fail (audio != NULL && audio->codec != NULL, NULL);

  self = g_object_new (SIPCAST_TYPE_MEDIA_SENDER, NULL);
  self->name = g_strdup (name);
  self->pipeline = gst_object_ref (pipeline);
  self->codec = audio->codec;
  if (!build (self, rtpbin, audio, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
sipcast_media_sender_stop (SipcastMediaSender *self)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_SENDER (self));

  g_clear_handle_id (&self->dtmf_timeout_id, g_source_remove);
  g_hash_table_remove_all (self->sources);
  self->tx_mixer = NULL;
  self->tx_dtmf = NULL;
  gst_clear_object (&self->pipeline);
}

/* Detaches @source's elements from a running pipeline.  Main context. */
static void
source_remove_elements (SipcastMediaSender *self,
                        Source             *source)
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
                                     gst_structure_new (SIPCAST_MEDIA_SENDER_MSG_SOURCE_EOS,
                                                        "id", G_TYPE_STRING, probe->id,
                                                        "end", G_TYPE_UINT64, probe->end,
                                                        NULL)));
    gst_object_unref (parent);
  }
  return GST_PAD_PROBE_DROP;
}

gboolean
sipcast_media_sender_add_source (SipcastMediaSender *self,
                                 const char         *id,
                                 GstElement         *source_element,
                                 gboolean            live,
                                 GstClockTime        start,
                                 GError            **error)
{
  g_autoptr (GstElement) owned G_GNUC_UNUSED = gst_object_ref_sink (source_element);
  GstElement *convert, *resample;
  g_autoptr (GstPad) src_pad = NULL;
  SourceProbe *probe;
  Source *source;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SENDER (self), FALSE);
  g_return_val_if_fail (id != NULL && GST_IS_ELEMENT (source_element), FALSE);
  g_return_val_if_fail (self->tx_mixer != NULL, FALSE);

  if (g_hash_table_contains (self->sources, id)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("“%s” is already mixed into this call"), id);
    return FALSE;
  }

  convert = gst_element_factory_make ("audioconvert", NULL);
  resample = gst_element_factory_make ("audioresample", NULL);
  source = g_new0 (Source, 1);
  source->sender = self;
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
sipcast_media_sender_remove_source (SipcastMediaSender *self,
                                    const char         *id)
{
  Source *source;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SENDER (self), FALSE);

  source = g_hash_table_lookup (self->sources, id);
  if (source == NULL)
    return FALSE;

  g_debug ("%s: stopped mixing in %s", self->name, id);
  source_remove_elements (self, source);
  /* Last: @id may be the source's own, freed with it. */
  g_hash_table_remove (self->sources, id);
  return TRUE;
}

const char *
sipcast_media_sender_find_source (SipcastMediaSender *self,
                                  GstObject          *object)
{
  GHashTableIter iter;
  gpointer id, value;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SENDER (self), NULL);

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

gboolean
sipcast_media_sender_handle_message (SipcastMediaSender *self,
                                     const GstStructure *s)
{
  const char *id;
  guint64 end = GST_CLOCK_TIME_NONE;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_SENDER (self), FALSE);

  if (!gst_structure_has_name (s, SIPCAST_MEDIA_SENDER_MSG_SOURCE_EOS))
    return FALSE;
  id = gst_structure_get_string (s, "id");
  gst_structure_get_uint64 (s, "end", &end);
  source_reached_eos (self, id, end);
  return TRUE;
}

static void
send_dtmf_event (SipcastMediaSender *self,
                 int                 number,
                 gboolean            start)
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
  SipcastMediaSender *self = SIPCAST_MEDIA_SENDER (user_data);

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
sipcast_media_sender_has_dtmf (SipcastMediaSender *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SENDER (self), FALSE);
  return self->tx_dtmf != NULL;
}

gboolean
sipcast_media_sender_send_dtmf (SipcastMediaSender *self,
                                const char         *digits,
                                GError            **error)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_SENDER (self), FALSE);
  g_return_val_if_fail (digits != NULL && self->tx_dtmf != NULL, FALSE);

  if (!sipcast_dtmf_validate (digits, error))
    return FALSE;

  g_string_append (self->dtmf_pending, digits);
  /* Digits queue behind the one playing; the timer chain plays them all. */
  if (self->dtmf_timeout_id == 0)
    dtmf_step_cb (self);
  return TRUE;
}

/* The pipeline's element called @name (a new reference), or NULL. */
static GstElement *
pipeline_element (SipcastMediaSender *self,
                  const char         *name)
{
  if (self->pipeline == NULL)
    return NULL;
  return gst_bin_get_by_name (GST_BIN (self->pipeline), name);
}

void
sipcast_media_sender_set_payload_type (SipcastMediaSender *self,
                                       guint               pt)
{
  g_autoptr (GstElement) payloader = NULL;
  guint current = 0;

  g_return_if_fail (SIPCAST_IS_MEDIA_SENDER (self));

  payloader = pipeline_element (self, "tx_payloader");
  if (payloader == NULL)
    return;
  g_object_get (payloader, "pt", &current, NULL);
  if (current != pt) {
    g_message (_("%s: the far end now takes %s as payload type %u"), self->name,
               self->codec->encoding_name, pt);
    g_object_set (payloader, "pt", pt, NULL);
  }
}

/* ---- a codec change the far end asks for in a re-INVITE ----
 *
 * The encoder and payloader are swapped behind a blocked tx_caps, with a
 * resampler when the new codec wants another rate than the mixer's;
 * SSRC, sequence and timestamps go on where they were. */

/* The mixer's streaming thread, tx_caps' src pad blocked: the send path
 * after it is rebuilt for @user_data's codec. */
typedef struct {
  SipcastMediaSender *sender;  /* owned */
  const SipcastCodec *codec;
  guint pt;
} TxSwap;

static void
tx_swap_free (gpointer data)
{
  TxSwap *swap = data;

  g_object_unref (swap->sender);
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
    g_warning (_("%s: could not link the %s encoder"), swap->sender->name, codec->encoding_name);
  gst_element_sync_state_with_parent (payloader);
  gst_element_sync_state_with_parent (encoder);
  g_debug ("%s: sending %s as payload type %u", swap->sender->name, codec->encoding_name,
           swap->pt);
  return GST_PAD_PROBE_REMOVE;
}

void
sipcast_media_sender_change_codec (SipcastMediaSender    *self,
                                   const SipcastSdpMedia *audio)
{
  const SipcastCodec *codec = audio->codec;
  g_autoptr (GstElement) caps_filter = NULL;
  g_autoptr (GstElement) dtmf_caps = NULL;

  g_return_if_fail (SIPCAST_IS_MEDIA_SENDER (self));

  caps_filter = pipeline_element (self, "tx_caps");
  if (caps_filter != NULL && codec->encoder != NULL) {
    g_autoptr (GstPad) pad = gst_element_get_static_pad (caps_filter, "src");
    TxSwap *swap = g_new0 (TxSwap, 1);

    swap->sender = g_object_ref (self);
    swap->codec = codec;
    swap->pt = audio->payload_type;
    self->codec = codec;
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
}

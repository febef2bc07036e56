/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-placeholder-video.h"
#include "sipcast-error.h"
#include "sipcast-media-chain.h"

#include <glib/gi18n.h>
#include <gst/audio/audio.h>
#include <gst/video/video.h>
#include <cairo.h>
#include <math.h>
#include <string.h>
#include <pango/pangocairo.h>

/*
 *   picture (pipelines/video-placeholder-*.pipeline) ─▶ switch (funnel) ─▶ "src"
 *   "video" (the call's own video chain, optional) ───▶ ┘
 *
 * The funnel passes whatever comes, and its EOS once both inputs have
 * had one.  Probes do the switching, on the streaming threads: the real
 * input's first key frame sets "replaced", after which the picture's raw
 * frames (before the costly part) and anything it still had in flight are
 * dropped.  Up to then the real input's frames that are no key frame are
 * dropped, so a decoder never gets a picture it cannot use.
 *
 * The card is drawn by cairooverlay's draw signal on the picture's
 * streaming thread; the audio probe on the audio's streaming thread
 * leaves its loudest sample in an atomic int for it.
 */

/* The card's level meter spans this many dB below full scale, and falls
 * back at this many dB a frame (5 frames a second: 50 dB/s, so a pause
 * shows within a second). */
#define METER_RANGE_DB 60.0
#define METER_FALL_DB 10.0

#define CARD_WIDTH 640
#define CARD_HEIGHT 360
#define CARD_MARGIN 40

struct _SipcastPlaceholderVideo {
  GstBin parent_instance;

  /* Set at construction, then only read. */
  cairo_surface_t *card;     /* what does not change on the card, or NULL */
  GstPad *picture_exit;      /* the picture's src pad (owned) */
  GstPad *encoder_entry;     /* where the EOS goes (owned) */

  gint replaced;             /* atomic: the real video has taken over */
  gboolean key_frame_asked;  /* the real video's streaming thread only */
  gint peak;                 /* atomic: loudest sample since the last frame, 0-32768 */
  double meter_db;           /* the picture's streaming thread only */
};

G_DEFINE_FINAL_TYPE (SipcastPlaceholderVideo, sipcast_placeholder_video, GST_TYPE_BIN)

/* ---- the card ---- */

static void
draw_text (cairo_t                    *cr,
           PangoLayout                *layout,
           const PangoFontDescription *font,
           const char                 *text,
           double                      y,
           double                      grey)
{
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  cairo_set_source_rgb (cr, grey, grey, grey);
  cairo_move_to (cr, CARD_MARGIN, y);
  pango_cairo_show_layout (cr, layout);
}

/* What does not change during the call, drawn once (on the main context:
 * Pango's font maps are per thread, and a call's streaming thread would
 * load one of its own): the background, the labels and the names. */
static cairo_surface_t *
render_card (const char *caller,
             const char *callee)
{
  cairo_surface_t *card = cairo_image_surface_create (CAIRO_FORMAT_RGB24, CARD_WIDTH,
                                                      CARD_HEIGHT);
  cairo_t *cr = cairo_create (card);
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *label = pango_font_description_from_string ("Sans 18px");
  PangoFontDescription *name = pango_font_description_from_string ("Sans Bold 40px");
  cairo_pattern_t *background = cairo_pattern_create_linear (0, 0, 0, CARD_HEIGHT);

  cairo_pattern_add_color_stop_rgb (background, 0.0, 0.10, 0.15, 0.21);
  cairo_pattern_add_color_stop_rgb (background, 1.0, 0.05, 0.08, 0.12);
  cairo_set_source (cr, background);
  cairo_paint (cr);
  cairo_pattern_destroy (background);

  pango_layout_set_width (layout, (CARD_WIDTH - 2 * CARD_MARGIN) * PANGO_SCALE);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  draw_text (cr, layout, label, _("Audio call"), 28, 0.6);
  draw_text (cr, layout, label, _("From"), 78, 0.6);
  draw_text (cr, layout, name, caller, 100, 1.0);
  draw_text (cr, layout, label, _("To"), 168, 0.6);
  draw_text (cr, layout, name, callee, 190, 1.0);

  pango_font_description_free (label);
  pango_font_description_free (name);
  g_object_unref (layout);
  cairo_destroy (cr);
  cairo_surface_flush (card);
  return card;
}

static void
rounded_rectangle (cairo_t *cr,
                   double   x,
                   double   y,
                   double   width,
                   double   height)
{
  double r = height / 2;

  if (width < height)
    r = width / 2;
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + width - r, y + r, r, -G_PI / 2, G_PI / 2);
  cairo_arc (cr, x + r, y + r, r, G_PI / 2, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* The level of the audio since the last frame, in dB below full scale
 * (0 down to -METER_RANGE_DB), held like a meter's needle: it rises at
 * once and falls back slowly. */
static double
next_meter_level (SipcastPlaceholderVideo *self)
{
  int peak = g_atomic_int_and ((guint *) &self->peak, 0);
  double db = peak > 0 ? 20.0 * log10 (peak / 32768.0) : -METER_RANGE_DB;

  db = CLAMP (db, -METER_RANGE_DB, 0.0);
  self->meter_db = MAX (db, self->meter_db - METER_FALL_DB);
  return self->meter_db;
}

static void
draw_meter (cairo_t *cr,
            double   level_db)
{
  const double x = CARD_MARGIN, y = 292, width = CARD_WIDTH - 2 * CARD_MARGIN, height = 20;
  double fraction = (level_db + METER_RANGE_DB) / METER_RANGE_DB;
  cairo_pattern_t *colours;

  cairo_set_source_rgb (cr, 0.16, 0.21, 0.27);
  rounded_rectangle (cr, x, y, width, height);
  cairo_fill (cr);
  if (fraction <= 0.0)
    return;

  /* Green up to -12 dB, yellow to -3, red above: where a speaker's
   * level sits, and where it clips. */
  colours = cairo_pattern_create_linear (x, 0, x + width, 0);
  cairo_pattern_add_color_stop_rgb (colours, 0.0, 0.18, 0.80, 0.44);
  cairo_pattern_add_color_stop_rgb (colours, 0.75, 0.18, 0.80, 0.44);
  cairo_pattern_add_color_stop_rgb (colours, 0.85, 0.95, 0.77, 0.06);
  cairo_pattern_add_color_stop_rgb (colours, 1.0, 0.91, 0.30, 0.24);
  cairo_set_source (cr, colours);
  cairo_pattern_destroy (colours);
  rounded_rectangle (cr, x, y, width * fraction, height);
  cairo_fill (cr);
}

/* Each frame: the card, the duration (cairo's own text, which needs no
 * font map), the meter. */
static void
draw_cb (GstElement *overlay,
         cairo_t    *cr,
         guint64     timestamp,
         guint64     duration,
         gpointer    user_data)
{
  SipcastPlaceholderVideo *self = user_data;
  guint64 seconds = GST_CLOCK_TIME_IS_VALID (timestamp) ? timestamp / GST_SECOND : 0;
  char clock[32];

  cairo_set_source_surface (cr, self->card, 0, 0);
  cairo_paint (cr);

  g_snprintf (clock, sizeof clock, "%02" G_GUINT64_FORMAT ":%02" G_GUINT64_FORMAT
              ":%02" G_GUINT64_FORMAT, seconds / 3600, seconds / 60 % 60, seconds % 60);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 18);
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_move_to (cr, CARD_WIDTH - CARD_MARGIN - 78, 46);
  cairo_show_text (cr, clock);

  draw_meter (cr, next_meter_level (self));
}

/* ---- the audio level ---- */

typedef enum {
  SAMPLES_UNKNOWN,
  SAMPLES_S16,
  SAMPLES_F32,
  SAMPLES_ALAW,
  SAMPLES_MULAW,
} SampleFormat;

typedef struct {
  SipcastPlaceholderVideo *self;  /* owned */
  GstCaps *caps;                  /* the caps format was read from (owned) */
  SampleFormat format;
} AudioWatch;

static void
audio_watch_free (gpointer data)
{
  AudioWatch *watch = data;

  gst_object_unref (watch->self);
  gst_clear_caps (&watch->caps);
  g_free (watch);
}

static SampleFormat
sample_format (const GstCaps *caps)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *format = gst_structure_get_string (s, "format");

  if (gst_structure_has_name (s, "audio/x-alaw"))
    return SAMPLES_ALAW;
  if (gst_structure_has_name (s, "audio/x-mulaw"))
    return SAMPLES_MULAW;
  if (g_strcmp0 (format, GST_AUDIO_NE (S16)) == 0)
    return SAMPLES_S16;
  if (g_strcmp0 (format, GST_AUDIO_NE (F32)) == 0)
    return SAMPLES_F32;
  return SAMPLES_UNKNOWN;
}

/* G.711 (ITU-T G.711 tables, as the decoders compute them): the
 * magnitude of a sample, 0-32767. */
static int
alaw_magnitude (guint8 a)
{
  int t, seg;

  a ^= 0x55;
  t = (a & 0x0f) << 4;
  seg = (a & 0x70) >> 4;
  if (seg == 0)
    t += 8;
  else
    t = (t + 0x108) << (seg - 1);
  return t;
}

static int
mulaw_magnitude (guint8 u)
{
  int t;

  u = ~u;
  t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return t - 0x84;
}

static int
buffer_peak (const guint8 *data,
             gsize         size,
             SampleFormat  format)
{
  int peak = 0;

  switch (format) {
  case SAMPLES_S16:
    for (gsize i = 0; i + 1 < size; i += 2) {
      gint16 v;

      memcpy (&v, data + i, sizeof v);
      peak = MAX (peak, ABS ((int) v));
    }
    break;
  case SAMPLES_F32:
    for (gsize i = 0; i + 3 < size; i += 4) {
      float v;

      memcpy (&v, data + i, sizeof v);
      peak = MAX (peak, (int) (MIN (fabsf (v), 1.0f) * 32767));
    }
    break;
  case SAMPLES_ALAW:
    for (gsize i = 0; i < size; i++)
      peak = MAX (peak, alaw_magnitude (data[i]));
    break;
  case SAMPLES_MULAW:
    for (gsize i = 0; i < size; i++)
      peak = MAX (peak, mulaw_magnitude (data[i]));
    break;
  case SAMPLES_UNKNOWN:
    break;
  }
  return peak;
}

static GstPadProbeReturn
audio_probe (GstPad          *pad,
             GstPadProbeInfo *info,
             gpointer         user_data)
{
  AudioWatch *watch = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstMapInfo map;
  int peak, old;

  if (caps == NULL)
    return GST_PAD_PROBE_OK;
  if (watch->caps != caps) {
    gst_caps_replace (&watch->caps, caps);
    watch->format = sample_format (caps);
  }
  if (watch->format == SAMPLES_UNKNOWN || GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_GAP) ||
      !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  peak = buffer_peak (map.data, map.size, watch->format);
  gst_buffer_unmap (buffer, &map);

  /* The loudest since the card last took it. */
  do {
    old = g_atomic_int_get (&watch->self->peak);
  } while (peak > old && !g_atomic_int_compare_and_exchange (&watch->self->peak, old, peak));
  return GST_PAD_PROBE_OK;
}

/* ---- switching to the real video ---- */

static GstPadProbeReturn
picture_probe (GstPad          *pad,
               GstPadProbeInfo *info,
               gpointer         user_data)
{
  SipcastPlaceholderVideo *self = user_data;

  return g_atomic_int_get (&self->replaced) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
real_video_probe (GstPad          *pad,
                  GstPadProbeInfo *info,
                  gpointer         user_data)
{
  SipcastPlaceholderVideo *self = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstObject) pipeline = NULL;

  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
    if (self->key_frame_asked)
      return GST_PAD_PROBE_DROP;
    self->key_frame_asked = TRUE;
    gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                          TRUE, 0));
    return GST_PAD_PROBE_DROP;
  }
  g_atomic_int_set (&self->replaced, 1);
  /* The pipeline is named after the call. */
  pipeline = gst_object_get_parent (GST_OBJECT (self));
  g_message (_("%s: the call's own video replaces the placeholder"),
             pipeline != NULL ? GST_OBJECT_NAME (pipeline) : GST_OBJECT_NAME (self));
  return GST_PAD_PROBE_REMOVE;
}

/* ---- GObject ---- */

static void
sipcast_placeholder_video_dispose (GObject *object)
{
  SipcastPlaceholderVideo *self = SIPCAST_PLACEHOLDER_VIDEO (object);

  gst_clear_object (&self->picture_exit);
  gst_clear_object (&self->encoder_entry);

  G_OBJECT_CLASS (sipcast_placeholder_video_parent_class)->dispose (object);
}

static void
sipcast_placeholder_video_finalize (GObject *object)
{
  SipcastPlaceholderVideo *self = SIPCAST_PLACEHOLDER_VIDEO (object);

  g_clear_pointer (&self->card, cairo_surface_destroy);

  G_OBJECT_CLASS (sipcast_placeholder_video_parent_class)->finalize (object);
}

static void
sipcast_placeholder_video_class_init (SipcastPlaceholderVideoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_placeholder_video_dispose;
  object_class->finalize = sipcast_placeholder_video_finalize;
}

static void
sipcast_placeholder_video_init (SipcastPlaceholderVideo *self)
{
  self->meter_db = -METER_RANGE_DB;
}

/* The picture's chain, its entry for the EOS and its exit. */
static GstElement *
add_picture (SipcastPlaceholderVideo  *self,
             const SipcastConfig      *config,
             SipcastPlaceholderKind    kind,
             const char               *image_path,
             const char               *caller,
             const char               *callee,
             GError                  **error)
{
  g_autoptr (GstElement) chain = NULL;
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstElement) source = NULL;
  g_autoptr (GstPad) source_exit = NULL;
  const char *description = "video-placeholder-card";

  /* sipcast_placeholder_resolve() lets only these through. */
  if (kind == SIPCAST_PLACEHOLDER_IMAGE) {
    g_autofree char *lower = g_ascii_strdown (image_path, -1);

    description = g_str_has_suffix (lower, ".png") ? "video-placeholder-png" :
                  "video-placeholder-jpeg";
  }
  chain = sipcast_media_chain_new (description, config, error);
  if (chain == NULL)
    return NULL;
  gst_element_set_name (chain, "picture");

  if (kind == SIPCAST_PLACEHOLDER_CARD) {
    g_autoptr (GstElement) overlay = gst_bin_get_by_name (GST_BIN (chain), "placeholder_overlay");

    self->card = render_card (caller != NULL ? caller : "", callee != NULL ? callee : "");
    /* The overlay goes with this bin: so does the handler. */
    g_signal_connect (overlay, "draw", G_CALLBACK (draw_cb), self);
  } else {
    g_autoptr (GstElement) file = gst_bin_get_by_name (GST_BIN (chain), "placeholder_file");

    /* Set here, never written into the description: a name cannot add
     * elements. */
    g_object_set (file, "location", image_path, NULL);
  }

  encoder = gst_bin_get_by_name (GST_BIN (chain), "placeholder_encoder");
  source = gst_bin_get_by_name (GST_BIN (chain), "placeholder_source");
  self->encoder_entry = gst_element_get_static_pad (encoder, "sink");
  self->picture_exit = gst_element_get_static_pad (chain, "src");
  /* Once replaced, frames stop before they are drawn and encoded, and
   * what was on its way stops at the exit. */
  source_exit = gst_element_get_static_pad (source, "src");
  gst_pad_add_probe (source_exit, GST_PAD_PROBE_TYPE_BUFFER, picture_probe, self, NULL);
  gst_pad_add_probe (self->picture_exit, GST_PAD_PROBE_TYPE_BUFFER, picture_probe, self, NULL);

  gst_bin_add (GST_BIN (self), chain);
  return chain;
}

static gboolean
add_ghost (SipcastPlaceholderVideo  *self,
           const char               *name,
           GstPad                   *target,
           GError                  **error)
{
  GstPad *ghost = gst_ghost_pad_new (name, target);

  if (ghost == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                 _("Could not make the placeholder's pad %s"), name);
    return FALSE;
  }
  gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
  return TRUE;
}

GstElement *
sipcast_placeholder_video_new (const SipcastConfig     *config,
                               SipcastPlaceholderKind   kind,
                               const char              *image_path,
                               const char              *caller,
                               const char              *callee,
                               gboolean                 real_video,
                               GError                 **error)
{
  g_autoptr (SipcastPlaceholderVideo) self = NULL;
  g_autoptr (GstPad) funnel_src = NULL;
  GstElement *picture, *funnel;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (kind == SIPCAST_PLACEHOLDER_CARD ||
                        (kind == SIPCAST_PLACEHOLDER_IMAGE && image_path != NULL), NULL);

  self = g_object_new (SIPCAST_TYPE_PLACEHOLDER_VIDEO, "name", "placeholder", NULL);
  gst_object_ref_sink (self);

  if ((picture = add_picture (self, config, kind, image_path, caller, callee, error)) == NULL ||
      (funnel = sipcast_media_chain_add_element (GST_BIN (self), "funnel", "switch",
                                                 error)) == NULL ||
      !sipcast_media_chain_link (picture, "src", funnel, "sink_%u", error))
    return NULL;

  funnel_src = gst_element_get_static_pad (funnel, "src");
  if (!add_ghost (self, "src", funnel_src, error))
    return NULL;

  if (real_video) {
    g_autoptr (GstPad) real = gst_element_request_pad_simple (funnel, "sink_%u");

    gst_pad_add_probe (real, GST_PAD_PROBE_TYPE_BUFFER, real_video_probe, self, NULL);
    if (!add_ghost (self, "video", real, error))
      return NULL;
  }
  return GST_ELEMENT (g_steal_pointer (&self));
}

void
sipcast_placeholder_video_watch_audio (GstElement *placeholder,
                                       GstPad     *pad)
{
  AudioWatch *watch;

  g_return_if_fail (SIPCAST_IS_PLACEHOLDER_VIDEO (placeholder));
  g_return_if_fail (GST_IS_PAD (pad));

  watch = g_new0 (AudioWatch, 1);
  watch->self = gst_object_ref (SIPCAST_PLACEHOLDER_VIDEO (placeholder));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, audio_probe, watch, audio_watch_free);
}

/* A thread of GStreamer's pool: a serialized event waits for the
 * picture's streaming thread to be done with the encoder. */
static void
send_eos_cb (GstElement *element,
             gpointer    user_data)
{
  SipcastPlaceholderVideo *self = SIPCAST_PLACEHOLDER_VIDEO (element);

  /* Without it the muxer never gets its EOS: told like a chain that took
   * none, so that the session stops waiting for the FLV to complete. */
  if (self->encoder_entry != NULL &&
      !gst_pad_send_event (self->encoder_entry, gst_event_new_eos ()))
    gst_element_post_message (element,
        gst_message_new_application (GST_OBJECT (element),
                                     gst_structure_new_empty (
                                         SIPCAST_PLACEHOLDER_VIDEO_MSG_EOS_FAILED)));
}

void
sipcast_placeholder_video_send_eos (GstElement *placeholder)
{
  g_return_if_fail (SIPCAST_IS_PLACEHOLDER_VIDEO (placeholder));
  gst_element_call_async (placeholder, send_eos_cb, NULL, NULL);
}

gboolean
sipcast_placeholder_video_is_replaced (GstElement *placeholder)
{
  g_return_val_if_fail (SIPCAST_IS_PLACEHOLDER_VIDEO (placeholder), FALSE);
  return g_atomic_int_get (&SIPCAST_PLACEHOLDER_VIDEO (placeholder)->replaced);
}

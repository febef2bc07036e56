/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-mixer"

/* sipcastmixer's request pad: a source's volume and mute. */

#include "config.h"

#include "gstsipcastmixer-private.h"

#define DEFAULT_PAD_VOLUME 1.0
#define DEFAULT_PAD_MUTE FALSE
#define MAX_PAD_VOLUME 10.0

enum {
  PROP_PAD_0,
  PROP_PAD_VOLUME,
  PROP_PAD_MUTE,
  PROP_PAD_EMIT_SIGNALS,
  N_PAD_PROPS
};

static GParamSpec *pad_props[N_PAD_PROPS];

struct _SipcastMixerPad {
  GstAudioAggregatorConvertPad parent_instance;

  /* Protected by the pad's object lock: set from the application thread,
   * read from the aggregator's streaming thread. */
  gdouble volume;
  gint32 volume_fixed;
  gboolean mute;
};

G_DEFINE_FINAL_TYPE (SipcastMixerPad, sipcast_mixer_pad,
                     GST_TYPE_AUDIO_AGGREGATOR_CONVERT_PAD)

static void
sipcast_mixer_pad_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  SipcastMixerPad *pad = SIPCAST_MIXER_PAD (object);

  switch (prop_id) {
  case PROP_PAD_VOLUME:
    GST_OBJECT_LOCK (pad);
    g_value_set_double (value, pad->volume);
    GST_OBJECT_UNLOCK (pad);
    break;
  case PROP_PAD_MUTE:
    GST_OBJECT_LOCK (pad);
    g_value_set_boolean (value, pad->mute);
    GST_OBJECT_UNLOCK (pad);
    break;
  case PROP_PAD_EMIT_SIGNALS:
    sipcast_get_inherited (object, sipcast_mixer_pad_parent_class, pspec, value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
sipcast_mixer_pad_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  SipcastMixerPad *pad = SIPCAST_MIXER_PAD (object);

  switch (prop_id) {
  case PROP_PAD_VOLUME:
    GST_OBJECT_LOCK (pad);
    pad->volume = g_value_get_double (value);
    pad->volume_fixed = (gint32) (pad->volume * VOLUME_UNITY + 0.5);
    GST_OBJECT_UNLOCK (pad);
    break;
  case PROP_PAD_MUTE:
    GST_OBJECT_LOCK (pad);
    pad->mute = g_value_get_boolean (value);
    GST_OBJECT_UNLOCK (pad);
    break;
  case PROP_PAD_EMIT_SIGNALS:
    sipcast_set_inherited (object, sipcast_mixer_pad_parent_class, pspec, value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
sipcast_mixer_pad_class_init (SipcastMixerPadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = sipcast_mixer_pad_get_property;
  object_class->set_property = sipcast_mixer_pad_set_property;

  /* Controllable, so a GstController can fade a source in or out; the
   * base class syncs the values once per output buffer. */
  pad_props[PROP_PAD_VOLUME] =
    g_param_spec_double ("volume", "Volume",
                         "Gain applied to this source, as a linear factor of its "
                         "amplitude: 1.0 leaves it unchanged, 0.5 is -6 dB, 0.0 "
                         "silences it",
                         0.0, MAX_PAD_VOLUME, DEFAULT_PAD_VOLUME,
                         G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE |
                         G_PARAM_STATIC_STRINGS);
  pad_props[PROP_PAD_MUTE] =
    g_param_spec_boolean ("mute", "Mute",
                          "Leave this source out of the mix (its data is still "
                          "consumed, so it stays in time)",
                          DEFAULT_PAD_MUTE,
                          G_PARAM_READWRITE | GST_PARAM_CONTROLLABLE |
                          G_PARAM_STATIC_STRINGS);
  pad_props[PROP_PAD_EMIT_SIGNALS] =
    sipcast_reword_inherited (sipcast_mixer_pad_parent_class, "emit-signals", "Emit signals",
                          "Emit the pad's buffer-consumed signal each time one of this "
                          "source's buffers has been used up: mixed, or dropped as too "
                          "late");
  g_object_class_install_properties (object_class, N_PAD_PROPS, pad_props);
}

static void
sipcast_mixer_pad_init (SipcastMixerPad *pad)
{
  pad->volume = DEFAULT_PAD_VOLUME;
  pad->volume_fixed = VOLUME_UNITY;
  pad->mute = DEFAULT_PAD_MUTE;
}

void
sipcast_mixer_pad_get_gain (SipcastMixerPad *pad,
                            gboolean        *mute,
                            gint32          *volume_fixed)
{
  GST_OBJECT_LOCK (pad);
  *mute = pad->mute;
  *volume_fixed = pad->volume_fixed;
  GST_OBJECT_UNLOCK (pad);
}

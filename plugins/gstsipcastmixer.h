/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sipcastmixer: the audio mixer in front of every SIP call's encoder, and
 * its request pad type with per-source volume and mute. */

#include <gst/gst.h>
#include <gst/audio/audio.h>
#include <gst/audio/gstaudioaggregator.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_MIXER_PAD (sipcast_mixer_pad_get_type ())
G_DECLARE_FINAL_TYPE (SipcastMixerPad, sipcast_mixer_pad,
                      SIPCAST, MIXER_PAD, GstAudioAggregatorConvertPad)

#define SIPCAST_TYPE_MIXER (sipcast_mixer_get_type ())
G_DECLARE_FINAL_TYPE (SipcastMixer, sipcast_mixer,
                      SIPCAST, MIXER, GstAudioAggregator)

GST_ELEMENT_REGISTER_DECLARE (sipcastmixer);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the mixer and its pad type share inside the plugin. */

#include "gstsipcastmixer.h"

G_BEGIN_DECLS

/* The volume is applied in fixed point: 1.0 is 1 << VOLUME_SHIFT. With
 * 10.0 as the maximum, |sample| * volume_fixed stays below 2^31. */
#define VOLUME_SHIFT 12
#define VOLUME_UNITY (1 << VOLUME_SHIFT)

/* The pad's mute and its volume in fixed point, read together under the
 * pad's object lock (the application thread sets them while the
 * aggregator's streaming thread mixes). */
void sipcast_mixer_pad_get_gain (SipcastMixerPad *pad,
                                 gboolean        *mute,
                                 gint32          *volume_fixed);

/* Some properties of GstAggregator and GstAggregatorPad are described
 * there in terms that are vague or wrong for this element (no unit, the
 * wrong unit, or a default this element does not have). A subclass may
 * install a property of the same name, which then hides the inherited
 * one (GObject also drops the inherited one from the construct
 * properties); sipcast_reword_inherited() copies the inherited one's
 * type, range and flags with our description, and the setter and getter
 * hand its value to the class that owns it. */
GParamSpec *sipcast_reword_inherited (gpointer     parent_class,
                                      const gchar *name,
                                      const gchar *nick,
                                      const gchar *blurb);
void        sipcast_set_inherited    (GObject      *object,
                                      gpointer      parent_class,
                                      GParamSpec   *pspec,
                                      const GValue *value);
void        sipcast_get_inherited    (GObject    *object,
                                      gpointer    parent_class,
                                      GParamSpec *pspec,
                                      GValue     *value);

G_END_DECLS

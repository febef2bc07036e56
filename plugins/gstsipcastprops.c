/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inherited properties of the plugin's elements, described in our terms
 * (gstsipcastmixer-private.h says why). */

#include "config.h"

#include "gstsipcastmixer-private.h"

GParamSpec *
sipcast_reword_inherited (gpointer     parent_class,
                          const gchar *name,
                          const gchar *nick,
                          const gchar *blurb)
{
  GParamSpec *inherited = g_object_class_find_property (G_OBJECT_CLASS (parent_class), name);
  GParamFlags flags;

  g_assert (inherited != NULL);
  flags = (inherited->flags & ~G_PARAM_STATIC_STRINGS) | G_PARAM_STATIC_STRINGS;

  if (G_IS_PARAM_SPEC_BOOLEAN (inherited)) {
    return g_param_spec_boolean (name, nick, blurb,
                                 G_PARAM_SPEC_BOOLEAN (inherited)->default_value, flags);
  } else if (G_IS_PARAM_SPEC_UINT64 (inherited)) {
    GParamSpecUInt64 *u = G_PARAM_SPEC_UINT64 (inherited);

    return g_param_spec_uint64 (name, nick, blurb, u->minimum, u->maximum, u->default_value,
                                flags);
  } else if (G_IS_PARAM_SPEC_ENUM (inherited)) {
    return g_param_spec_enum (name, nick, blurb, G_PARAM_SPEC_VALUE_TYPE (inherited),
                              G_PARAM_SPEC_ENUM (inherited)->default_value, flags);
  } else if (GST_IS_PARAM_SPEC_FRACTION (inherited)) {
    GstParamSpecFraction *f = GST_PARAM_SPEC_FRACTION (inherited);

    return gst_param_spec_fraction (name, nick, blurb, f->min_num, f->min_den,
                                    f->max_num, f->max_den, f->def_num, f->def_den, flags);
  }
  g_assert_not_reached ();
  return NULL;
}

/* The inherited property @pspec hides and the class that implements it. */
static GParamSpec *
find_inherited (gpointer       parent_class,
                GParamSpec    *pspec,
                GObjectClass **owner)
{
  GParamSpec *inherited = g_object_class_find_property (G_OBJECT_CLASS (parent_class),
                                                        pspec->name);

  *owner = g_type_class_peek (inherited->owner_type);
  return inherited;
}

void
sipcast_set_inherited (GObject      *object,
                       gpointer      parent_class,
                       GParamSpec   *pspec,
                       const GValue *value)
{
  GObjectClass *owner;
  GParamSpec *inherited = find_inherited (parent_class, pspec, &owner);

  owner->set_property (object, inherited->param_id, value, inherited);
}

void
sipcast_get_inherited (GObject    *object,
                       gpointer    parent_class,
                       GParamSpec *pspec,
                       GValue     *value)
{
  GObjectClass *owner;
  GParamSpec *inherited = find_inherited (parent_class, pspec, &owner);

  owner->get_property (object, inherited->param_id, value, inherited);
}

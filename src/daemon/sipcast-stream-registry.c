/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-streams"

#include "config.h"
#include "sipcast-stream-registry.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>

struct _SipcastStreamRegistry {
  GObject parent_instance;

  GHashTable *by_name;   /* name → SipcastStream (owned) */
};

G_DEFINE_FINAL_TYPE (SipcastStreamRegistry, sipcast_stream_registry, G_TYPE_OBJECT)

static void
sipcast_stream_registry_finalize (GObject *object)
{
  SipcastStreamRegistry *self = SIPCAST_STREAM_REGISTRY (object);

  g_hash_table_unref (self->by_name);

  G_OBJECT_CLASS (sipcast_stream_registry_parent_class)->finalize (object);
}

static void
sipcast_stream_registry_class_init (SipcastStreamRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sipcast_stream_registry_finalize;
}

static void
sipcast_stream_registry_init (SipcastStreamRegistry *self)
{
  self->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
}

SipcastStreamRegistry *
sipcast_stream_registry_new (void)
{
  return g_object_new (SIPCAST_TYPE_STREAM_REGISTRY, NULL);
}

gboolean
sipcast_stream_registry_add (SipcastStreamRegistry *self,
                             SipcastStream         *stream,
                             GError               **error)
{
  const char *name = sipcast_stream_get_name (stream);
  SipcastStream *other = g_hash_table_lookup (self->by_name, name);

  if (other != NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("Stream “%s” is already published by call “%s”"),
                 name, sipcast_stream_get_call_id (other));
    return FALSE;
  }
  g_hash_table_insert (self->by_name, (gpointer) name, g_object_ref (stream));
  return TRUE;
}

void
sipcast_stream_registry_remove (SipcastStreamRegistry *self,
                                SipcastStream         *stream)
{
  const char *name = sipcast_stream_get_name (stream);

  if (g_hash_table_lookup (self->by_name, name) == stream)
    g_hash_table_remove (self->by_name, name);
}

SipcastStream *
sipcast_stream_registry_lookup (SipcastStreamRegistry *self,
                                const char            *name,
                                GError               **error)
{
  SipcastStream *stream = name != NULL ? g_hash_table_lookup (self->by_name, name) : NULL;

  if (stream == NULL)
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                 _("No stream named “%s”"), name ? name : "");
  return stream;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (sipcast_stream_get_name (*(SipcastStream **) a),
                    sipcast_stream_get_name (*(SipcastStream **) b));
}

GPtrArray *
sipcast_stream_registry_list (SipcastStreamRegistry *self)
{
  GPtrArray *list = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->by_name);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (list, value);
  g_ptr_array_sort (list, compare_names);
  return list;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-call"

#include "config.h"
#include "sipcast-call-internal.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>
#include <string.h>

/*
 * What a call mixes into the audio the far end hears (/call/inject_stream,
 * /call/inject_sound): other calls' named streams and sound files, as
 * sources of its media session's mixer, and looping sounds started again
 * where each round ends.
 */

#define STREAM_SOURCE_PREFIX "stream:"
#define SOUND_SOURCE_PREFIX "sound:"

typedef struct {
  SipcastStream *stream;
  GstElement *appsrc;
} Injection;

void
sipcast_call_injection_free (gpointer data)
{
  Injection *injection = data;

  sipcast_stream_unsubscribe (injection->stream, injection->appsrc);
  g_object_unref (injection->stream);
  gst_object_unref (injection->appsrc);
  g_free (injection);
}

static GstElement *
make_sound_source (const char  *path,
                   GError     **error)
{
  g_autoptr (GstElement) bin = NULL;
  g_autoptr (GstElement) file = NULL;
  g_autoptr (GstElement) convert = NULL;
  g_autoptr (GstPad) src = NULL;

  /* decodebin: WAV, MP3, Ogg/Opus, whatever the installed plugins read.
   * Only the output is ghosted by hand: automatic ghosting would also
   * ghost audioconvert's sink, which decodebin links to later. */
  bin = gst_parse_bin_from_description ("filesrc name=file ! decodebin ! audioconvert name=convert",
                                        FALSE, error);
  if (bin == NULL)
    return NULL;
  gst_object_ref_sink (bin);
  file = gst_bin_get_by_name (GST_BIN (bin), "file");
  g_object_set (file, "location", path, NULL);
  convert = gst_bin_get_by_name (GST_BIN (bin), "convert");
  src = gst_element_get_static_pad (convert, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  return g_steal_pointer (&bin);
}

void
sipcast_call_media_source_ended_cb (SipcastMediaSession *media,
                                    const char          *id,
                                    guint64              end,
                                    gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);
  g_autofree char *old_id = NULL;
  g_autofree char *path = NULL;

  /* The media session removes the source itself once it has played. */
  if (g_str_has_prefix (id, STREAM_SOURCE_PREFIX)) {
    g_message (_("call %s: injected stream %s ended"), self->params->call_id,
               id + strlen (STREAM_SOURCE_PREFIX));
    g_hash_table_remove (self->injected_streams, id + strlen (STREAM_SOURCE_PREFIX));
    sipcast_call_emit_injection_ended (self, "stream", id + strlen (STREAM_SOURCE_PREFIX));
    return;
  }
  if (g_hash_table_contains (self->playing_sounds, id)) {
    g_autofree char *name = g_path_get_basename (g_hash_table_lookup (self->playing_sounds, id));

    g_hash_table_remove (self->playing_sounds, id);
    sipcast_call_emit_injection_ended (self, "sound", name);
    return;
  }

  /* A looping sound goes on, from where this round ends, as a new source
   * (the old one still has its last samples to play). */
  if (!g_hash_table_steal_extended (self->looping_sounds, id, (gpointer *) &old_id,
                                    (gpointer *) &path))
    return;
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *next_id = g_strdup_printf (SOUND_SOURCE_PREFIX "%u", ++self->next_sound);
    g_autoptr (GstElement) source = make_sound_source (path, &error);

    if (source == NULL ||
        !sipcast_media_session_add_source (media, next_id, source, FALSE, end, &error)) {
      g_warning (_("call %s: could not loop %s: %s"), self->params->call_id, path, error->message);
      return;
    }
    g_hash_table_insert (self->looping_sounds, g_steal_pointer (&next_id), g_steal_pointer (&path));
  }
}

void
sipcast_call_media_source_failed_cb (SipcastMediaSession *media,
                                     const char          *id,
                                     gpointer             user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  /* Already removed from the pipeline; forget it, do not restart it. */
  if (g_str_has_prefix (id, STREAM_SOURCE_PREFIX))
    g_hash_table_remove (self->injected_streams, id + strlen (STREAM_SOURCE_PREFIX));
  else if (!g_hash_table_remove (self->looping_sounds, id))
    g_hash_table_remove (self->playing_sounds, id);
}

static gboolean
check_can_inject (SipcastCall  *self,
                  GError      **error)
{
  if (self->status == SIPCAST_CALL_STATUS_ESTABLISHED || self->status == SIPCAST_CALL_STATUS_HOLD)
    return TRUE;
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
               _("Call “%s” is %s, injecting needs an established call"),
               self->params->call_id, sipcast_call_status_to_string (self->status));
  return FALSE;
}

gboolean
sipcast_call_inject_stream (SipcastCall    *self,
                            SipcastStream  *stream,
                            GError        **error)
{
  const char *name = sipcast_stream_get_name (stream);
  g_autofree char *id = NULL;
  Injection *injection;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);

  if (stream == self->stream) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("Stream “%s” is this call's own audio and cannot be injected into it"), name);
    return FALSE;
  }
  if (!check_can_inject (self, error))
    return FALSE;
  if (g_hash_table_contains (self->injected_streams, name)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("Stream “%s” is already injected into call “%s”"), name,
                 self->params->call_id);
    return FALSE;
  }

  injection = g_new0 (Injection, 1);
  injection->stream = g_object_ref (stream);
  injection->appsrc = gst_object_ref_sink (sipcast_stream_subscribe (stream));
  id = g_strconcat (STREAM_SOURCE_PREFIX, name, NULL);
  if (!sipcast_media_session_add_source (self->media, id, injection->appsrc, TRUE,
                                         GST_CLOCK_TIME_NONE, error)) {
    sipcast_call_injection_free (injection);
    return FALSE;
  }
  g_hash_table_insert (self->injected_streams, g_strdup (name), injection);
  g_message (_("call %s: injecting stream %s"), self->params->call_id, name);
  return TRUE;
}

gboolean
sipcast_call_stop_inject_stream (SipcastCall  *self,
                                 const char   *name,
                                 GError      **error)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);

  g_hash_table_iter_init (&iter, self->injected_streams);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    if (name == NULL || g_str_equal (name, key))
      g_ptr_array_add (names, g_strdup (key));
  }
  if (names->len == 0) {
    if (name != NULL)
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                   _("Stream “%s” is not injected into call “%s”"), name, self->params->call_id);
    else
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                   _("No stream is injected into call “%s”"), self->params->call_id);
    return FALSE;
  }

  for (guint i = 0; i < names->len; i++) {
    g_autofree char *id = g_strconcat (STREAM_SOURCE_PREFIX, names->pdata[i], NULL);

    sipcast_media_session_remove_source (self->media, id);
    g_hash_table_remove (self->injected_streams, names->pdata[i]);
    g_message (_("call %s: stopped injecting stream %s"), self->params->call_id,
               (char *) names->pdata[i]);
  }
  return TRUE;
}

gboolean
sipcast_call_inject_sound (SipcastCall  *self,
                           const char   *path,
                           gboolean      loop,
                           GError      **error)
{
  g_autofree char *id = NULL;
  g_autoptr (GstElement) source = NULL;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);

  if (!check_can_inject (self, error))
    return FALSE;

  source = make_sound_source (path, error);
  if (source == NULL)
    return FALSE;
  id = g_strdup_printf (SOUND_SOURCE_PREFIX "%u", ++self->next_sound);
  if (!sipcast_media_session_add_source (self->media, id, source, FALSE, GST_CLOCK_TIME_NONE,
                                         error))
    return FALSE;
  g_hash_table_insert (loop ? self->looping_sounds : self->playing_sounds, g_strdup (id),
                       g_strdup (path));
  if (loop)
    g_message (_("call %s: playing %s in a loop"), self->params->call_id, path);
  else
    g_message (_("call %s: playing %s"), self->params->call_id, path);
  return TRUE;
}

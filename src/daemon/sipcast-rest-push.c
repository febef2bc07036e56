/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include <glib/gi18n.h>

#include "sipcast-rest-push.h"
#include "sipcast-error.h"
#include "sipcast-json.h"
#include "sipcast-sounds.h"

/*
 * The reference's /push methods.  A WCS client sends
 * {"streamName": "s", "rtmpUrl": "rtmp://h/live"} and then looks the push
 * up as "rtmp_s", the name it publishes under; sipcast's own clients give
 * rtmpStream or a URL naming the stream.  Both are accepted, and /push/find
 * matches a streamName against either name (sipcast-push-registry.c).
 * Every method but startup, find and find_all names its push by
 * mediaSessionId.
 */

static JsonNode *
empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

static SipcastPush *
require_push (SipcastPushRegistry *pushes,
              JsonObject          *body,
              GError             **error)
{
  g_autofree char *id = sipcast_json_require_string (body, "mediaSessionId", error);

  return id != NULL ? sipcast_push_registry_lookup (pushes, id, error) : NULL;
}

static JsonNode *
pushes_to_json (GPtrArray *pushes)
{
  JsonArray *array = json_array_sized_new (pushes->len);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < pushes->len; i++)
    json_array_add_element (array, sipcast_push_to_json (g_ptr_array_index (pushes, i)));

  json_node_take_array (node, array);
  return node;
}

/* "options": an object kept as the client gave it, shown in the Push. */
static gboolean
get_options (JsonObject *body,
             char      **out,
             GError    **error)
{
  JsonNode *node = json_object_get_member (body, "options");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("Field “%s” must be an object"), "options");
    return FALSE;
  }
  *out = json_to_string (node, FALSE);
  return TRUE;
}

static JsonNode *
push_startup (SipcastPushRegistry *pushes,
              const char          *sounds_dir,
              JsonObject          *body,
              GError             **error)
{
  g_autofree char *stream_name = NULL;
  g_autofree char *rtmp_url = NULL;
  g_autofree char *rtmp_stream = NULL;
  g_autofree char *options = NULL;
  gboolean full_url = FALSE;
  SipcastPush *push;

  if ((stream_name = sipcast_json_require_string (body, "streamName", error)) == NULL ||
      (rtmp_url = sipcast_json_require_string (body, "rtmpUrl", error)) == NULL ||
      !sipcast_json_get_string (body, "rtmpStream", &rtmp_stream, error) ||
      !sipcast_json_get_boolean (body, "rtmpTransponderFullUrl", &full_url, error) ||
      !get_options (body, &options, error))
    return NULL;

  /* rtmpTransponderFullUrl: the URL is the whole location, stream
   * included; no rtmp_ name is made up for it. */
  if (full_url && (rtmp_stream == NULL || *rtmp_stream == '\0') &&
      !sipcast_push_registry_url_names_stream (rtmp_url)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpUrl “%s” must name the stream (rtmpTransponderFullUrl is true)"),
                 rtmp_url);
    return NULL;
  }

  push = sipcast_push_registry_start_push (pushes, stream_name, rtmp_url, rtmp_stream, error);
  if (push == NULL)
    return NULL;
  sipcast_push_set_options (push, options);
  return sipcast_push_to_json (push);
}

static JsonNode *
find_pushes (SipcastPushRegistry     *pushes,
             const SipcastPushFilter *filter,
             GError                 **error)
{
  g_autoptr (GPtrArray) found = sipcast_push_registry_find (pushes, filter);

  if (found->len == 0) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND, _("No push matches"));
    return NULL;
  }
  return pushes_to_json (found);
}

static JsonNode *
push_find (SipcastPushRegistry *pushes,
           const char          *sounds_dir,
           JsonObject          *body,
           GError             **error)
{
  g_autofree char *media_session_id = NULL;
  g_autofree char *stream_name = NULL;
  g_autofree char *rtmp_url = NULL;
  SipcastPushFilter filter = { NULL, };

  if (!sipcast_json_get_string (body, "mediaSessionId", &media_session_id, error) ||
      !sipcast_json_get_string (body, "streamName", &stream_name, error) ||
      !sipcast_json_get_string (body, "rtmpUrl", &rtmp_url, error))
    return NULL;

  filter.media_session_id = media_session_id;
  filter.stream_name = stream_name;
  filter.rtmp_url = rtmp_url;
  return find_pushes (pushes, &filter, error);
}

static JsonNode *
push_find_all (SipcastPushRegistry *pushes,
               const char          *sounds_dir,
               JsonObject          *body,
               GError             **error)
{
  SipcastPushFilter filter = { NULL, };

  return find_pushes (pushes, &filter, error);
}

static JsonNode *
push_terminate (SipcastPushRegistry *pushes,
                const char          *sounds_dir,
                JsonObject          *body,
                GError             **error)
{
  g_autofree char *media_session_id = sipcast_json_require_string (body, "mediaSessionId", error);

  if (media_session_id == NULL ||
      !sipcast_push_registry_terminate (pushes, media_session_id, error))
    return NULL;
  return empty_object ();
}

static JsonNode *
set_muted (SipcastPushRegistry *pushes,
           JsonObject          *body,
           gboolean             muted,
           GError             **error)
{
  SipcastPush *push = require_push (pushes, body, error);

  if (push == NULL)
    return NULL;
  sipcast_push_set_muted (push, muted);
  return empty_object ();
}

static JsonNode *
push_mute (SipcastPushRegistry *pushes,
           const char          *sounds_dir,
           JsonObject          *body,
           GError             **error)
{
  return set_muted (pushes, body, TRUE, error);
}

static JsonNode *
push_unmute (SipcastPushRegistry *pushes,
             const char          *sounds_dir,
             JsonObject          *body,
             GError             **error)
{
  return set_muted (pushes, body, FALSE, error);
}

static JsonNode *
push_sound_on (SipcastPushRegistry *pushes,
               const char          *sounds_dir,
               JsonObject          *body,
               GError             **error)
{
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  gboolean loop = FALSE;
  SipcastPush *push;

  /* soundFile is the reference's name, fileName that of
   * /call/inject_sound: either will do. */
  if (!sipcast_json_get_string (body, "soundFile", &file_name, error) ||
      (file_name == NULL && !sipcast_json_get_string (body, "fileName", &file_name, error)) ||
      !sipcast_json_get_boolean (body, "loop", &loop, error))
    return NULL;
  if (file_name == NULL || *file_name == '\0') {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD,
                 _("%s is required"), "soundFile");
    return NULL;
  }
  if ((push = require_push (pushes, body, error)) == NULL ||
      (path = sipcast_sounds_resolve (sounds_dir, file_name, error)) == NULL ||
      !sipcast_push_play_sound (push, path, loop, error))
    return NULL;
  return empty_object ();
}

static JsonNode *
push_sound_off (SipcastPushRegistry *pushes,
                const char          *sounds_dir,
                JsonObject          *body,
                GError             **error)
{
  SipcastPush *push = require_push (pushes, body, error);

  if (push == NULL)
    return NULL;
  sipcast_push_stop_sound (push);
  return empty_object ();
}

static const struct {
  const char *method;
  SipcastRestPushHandler handler;
} push_methods[] = {
  { "/push/startup", push_startup },
  { "/push/find", push_find },
  { "/push/find_all", push_find_all },
  { "/push/terminate", push_terminate },
  { "/push/mute", push_mute },
  { "/push/unmute", push_unmute },
  { "/push/sound_on", push_sound_on },
  { "/push/sound_off", push_sound_off },
};

SipcastRestPushHandler
sipcast_rest_push_find_handler (const char *method)
{
  g_return_val_if_fail (method != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (push_methods); i++) {
    if (g_str_equal (method, push_methods[i].method))
      return push_methods[i].handler;
  }
  return NULL;
}

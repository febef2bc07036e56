/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-rest-whep.h"
#include "sipcast-error.h"
#include "sipcast-json.h"
#include "sipcast-whep-stream.h"

/*
 * Sessions are named by a random UUID, and the stream name is part of
 * their URL, so a session cannot be reached through another stream's
 * name.  A SipcastWhepStream lives while it has viewers: dropped when the
 * last one leaves, when its stream ends, or when its pipeline fails.  ICE
 * host candidates are limited to the REST address when the REST server
 * is bound to one: a browser that reached the API there reaches the media
 * there too, and nothing else of the host is announced.  An any-address
 * binding leaves the choice to libnice (every interface but loopback).
 */

struct _SipcastRestWhep {
  GObject parent_instance;

  SipcastStreamRegistry *streams;
  char *stun_server;
  GStrv addresses;

  GHashTable *whep_streams;     /* stream name → SipcastWhepStream */
  GHashTable *sessions;         /* session id → stream name */
};

G_DEFINE_FINAL_TYPE (SipcastRestWhep, sipcast_rest_whep, G_TYPE_OBJECT)

static guint
status_for_error (const GError *error)
{
  if (error->domain != SIPCAST_ERROR)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  switch ((SipcastError) error->code) {
  case SIPCAST_ERROR_SDP:
  case SIPCAST_ERROR_NO_COMMON_CODEC:
  case SIPCAST_ERROR_INVALID_ARGUMENT:
  case SIPCAST_ERROR_MISSING_FIELD:
    return SOUP_STATUS_BAD_REQUEST;
  case SIPCAST_ERROR_NOT_FOUND:
    return SOUP_STATUS_NOT_FOUND;
  case SIPCAST_ERROR_UNSUPPORTED_MEDIA_TYPE:
    return SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE;
  case SIPCAST_ERROR_CONFLICT:
    return SOUP_STATUS_CONFLICT;
  case SIPCAST_ERROR_NO_PORTS:
  case SIPCAST_ERROR_NO_FDS:
  case SIPCAST_ERROR_UNAVAILABLE:
    return SOUP_STATUS_SERVICE_UNAVAILABLE;
  case SIPCAST_ERROR_UNAUTHORIZED:
  case SIPCAST_ERROR_TOO_LARGE:
  case SIPCAST_ERROR_CONFIG:
  case SIPCAST_ERROR_PIPELINE:
  case SIPCAST_ERROR_INTERNAL:
  case SIPCAST_ERROR_FORBIDDEN:
  case SIPCAST_ERROR_TOO_MANY_REQUESTS:
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  }
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static void
respond_error (SoupServerMessage *msg,
               const GError      *error)
{
  guint status = status_for_error (error);
  const char *code_name = error->domain == SIPCAST_ERROR
                          ? sipcast_error_code_name ((SipcastError) error->code)
                          : sipcast_error_code_name (SIPCAST_ERROR_INTERNAL);
  char *body = sipcast_json_error_body (code_name, error->message);

  if (status == SOUP_STATUS_INTERNAL_SERVER_ERROR)
    g_warning ("WHEP %s %s failed: %s", soup_server_message_get_method (msg),
               g_uri_get_path (soup_server_message_get_uri (msg)), error->message);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

static void
respond_new_error (SoupServerMessage *msg,
                   SipcastError       code,
                   const char        *message)
{
  g_autoptr (GError) error = g_error_new_literal (SIPCAST_ERROR, code, message);

  respond_error (msg, error);
}

static void
respond_not_allowed (SoupServerMessage *msg,
                     const char        *allow)
{
  g_autofree char *message = g_strdup_printf (_("%s is not supported here"),
                                              soup_server_message_get_method (msg));
  char *body = sipcast_json_error_body ("method_not_allowed", message);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

static void
drop_stream (SipcastRestWhep   *self,
             SipcastWhepStream *whep)
{
  const char *name = sipcast_stream_get_name (sipcast_whep_stream_get_stream (whep));
  GHashTableIter iter;
  gpointer value;

  if (g_hash_table_lookup (self->whep_streams, name) != whep)
    return;
  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    if (g_str_equal (value, name))
      g_hash_table_iter_remove (&iter);
  }
  g_signal_handlers_disconnect_by_data (whep, self);
  g_hash_table_remove (self->whep_streams, name);
}

static void
viewer_gone_cb (SipcastWhepStream *whep,
                const char        *id,
                gpointer           user_data)
{
  SipcastRestWhep *self = SIPCAST_REST_WHEP (user_data);

  g_hash_table_remove (self->sessions, id);
  if (sipcast_whep_stream_get_n_viewers (whep) == 0)
    drop_stream (self, whep);
}

static void
whep_stream_ended_cb (SipcastWhepStream *whep,
                      gpointer           user_data)
{
  drop_stream (SIPCAST_REST_WHEP (user_data), whep);
}

/* The WHEP stream of @name, started for the first viewer. */
static SipcastWhepStream *
get_whep_stream (SipcastRestWhep  *self,
                 const char       *name,
                 GError          **error)
{
  SipcastStream *stream = sipcast_stream_registry_lookup (self->streams, name, error);
  SipcastWhepStream *whep;
  SipcastWhepIce ice = { self->stun_server, (const char *const *) self->addresses };

  if (stream == NULL)
    return NULL;
  whep = g_hash_table_lookup (self->whep_streams, name);
  /* A new call may have taken over the name of one that ended. */
  if (whep != NULL && sipcast_whep_stream_get_stream (whep) == stream)
    return whep;
  if (whep != NULL)
    drop_stream (self, whep);

  whep = sipcast_whep_stream_new (stream, &ice, error);
  if (whep == NULL)
    return NULL;
  g_signal_connect (whep, "viewer-gone", G_CALLBACK (viewer_gone_cb), self);
  g_signal_connect (whep, "ended", G_CALLBACK (whep_stream_ended_cb), self);
  g_hash_table_insert (self->whep_streams, g_strdup (name), whep);
  return whep;
}

typedef struct {
  SipcastRestWhep *self;        /* owned */
  SoupServerMessage *msg;       /* owned; paused meanwhile */
  char *name;
  char *id;
} PendingOffer;

static void
pending_offer_free (PendingOffer *pending)
{
  g_object_unref (pending->self);
  g_object_unref (pending->msg);
  g_free (pending->name);
  g_free (pending->id);
  g_free (pending);
}

static void
answered_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  PendingOffer *pending = user_data;
  SipcastRestWhep *self = pending->self;
  SipcastWhepStream *whep = SIPCAST_WHEP_STREAM (source);
  g_autoptr (GError) error = NULL;
  char *answer = sipcast_whep_stream_add_viewer_finish (whep, result, &error);

  if (answer == NULL) {
    g_message ("WHEP %s: no session for %s: %s", pending->name,
               soup_server_message_get_remote_host (pending->msg), error->message);
    respond_error (pending->msg, error);
    if (sipcast_whep_stream_get_n_viewers (whep) == 0)
      drop_stream (self, whep);
  } else {
    SoupMessageHeaders *headers = soup_server_message_get_response_headers (pending->msg);
    g_autofree char *escaped = g_uri_escape_string (pending->name, NULL, FALSE);
    g_autofree char *location = g_strdup_printf (SIPCAST_REST_WHEP_PREFIX "/%s/%s",
                                                 escaped, pending->id);

    g_hash_table_insert (self->sessions, g_strdup (pending->id), g_strdup (pending->name));
    g_message ("WHEP %s: session %s for %s (%u viewer(s))", pending->name, pending->id,
               soup_server_message_get_remote_host (pending->msg),
               sipcast_whep_stream_get_n_viewers (whep));
    soup_message_headers_replace (headers, "Location", location);
    /* A page of another origin reads Location to end the session. */
    soup_message_headers_replace (headers, "Access-Control-Expose-Headers", "Location");
    soup_server_message_set_status (pending->msg, SOUP_STATUS_CREATED, NULL);
    soup_server_message_set_response (pending->msg, "application/sdp", SOUP_MEMORY_TAKE,
                                      answer, strlen (answer));
  }
  soup_server_message_unpause (pending->msg);
  pending_offer_free (pending);
}

static void
handle_offer (SipcastRestWhep   *self,
              SoupServerMessage *msg,
              const char        *name)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *type = soup_message_headers_get_content_type (
    soup_server_message_get_request_headers (msg), NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *offer = NULL;
  SipcastWhepStream *whep;
  PendingOffer *pending;

  if (type == NULL || g_ascii_strcasecmp (type, "application/sdp") != 0) {
    respond_new_error (msg, SIPCAST_ERROR_UNSUPPORTED_MEDIA_TYPE,
                       _("The offer must be sent with Content-Type: application/sdp"));
    return;
  }
  bytes = soup_message_body_flatten (body);
  offer = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (*offer == '\0' || !g_utf8_validate (offer, -1, NULL)) {
    respond_new_error (msg, SIPCAST_ERROR_SDP, _("The body is not an SDP offer"));
    return;
  }

  whep = get_whep_stream (self, name, &error);
  if (whep == NULL) {
    respond_error (msg, error);
    return;
  }

  pending = g_new0 (PendingOffer, 1);
  pending->self = g_object_ref (self);
  pending->msg = g_object_ref (msg);
  pending->name = g_strdup (name);
  pending->id = g_uuid_string_random ();
  soup_server_message_pause (msg);
  sipcast_whep_stream_add_viewer_async (whep, pending->id, offer, answered_cb, pending);
}

static void
handle_session (SipcastRestWhep   *self,
                SoupServerMessage *msg,
                const char        *name,
                const char        *id)
{
  const char *method = soup_server_message_get_method (msg);
  const char *owner = g_hash_table_lookup (self->sessions, id);
  SipcastWhepStream *whep;

  if (owner == NULL || !g_str_equal (owner, name)) {
    respond_new_error (msg, SIPCAST_ERROR_NOT_FOUND, _("No such WHEP session"));
    return;
  }
  if (g_str_equal (method, "PATCH")) {
    /* WHEP takes this from WHIP (RFC 9725, §4.3.1): a resource without
     * trickle ICE or ICE restarts answers PATCH with 405. */
    respond_not_allowed (msg, "DELETE");
    return;
  }
  if (!g_str_equal (method, SOUP_METHOD_DELETE)) {
    respond_not_allowed (msg, "DELETE");
    return;
  }

  whep = g_hash_table_lookup (self->whep_streams, name);
  if (whep != NULL)
    sipcast_whep_stream_remove_viewer (whep, id);
  /* viewer-gone removed it, unless the stream was already gone. */
  g_hash_table_remove (self->sessions, id);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
}

void
sipcast_rest_whep_handle (SipcastRestWhep   *self,
                          SoupServerMessage *msg,
                          const char        *path)
{
  g_auto (GStrv) parts = NULL;
  g_autofree char *name = NULL;
  guint n;

  g_return_if_fail (SIPCAST_IS_REST_WHEP (self));

  /* "/whep/NAME" or "/whep/NAME/ID" */
  if (!g_str_has_prefix (path, SIPCAST_REST_WHEP_PREFIX "/")) {
    respond_new_error (msg, SIPCAST_ERROR_NOT_FOUND, _("WHEP needs a stream name: /whep/NAME"));
    return;
  }
  parts = g_strsplit (path + strlen (SIPCAST_REST_WHEP_PREFIX "/"), "/", 3);
  n = g_strv_length (parts);
  if (n >= 1)
    name = g_uri_unescape_string (parts[0], NULL);
  if (n < 1 || n > 2 || name == NULL || *name == '\0' || (n == 2 && *parts[1] == '\0')) {
    respond_new_error (msg, SIPCAST_ERROR_NOT_FOUND, _("Not a WHEP resource"));
    return;
  }

  if (n == 2) {
    handle_session (self, msg, name, parts[1]);
    return;
  }
  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0) {
    respond_not_allowed (msg, "POST");
    return;
  }
  handle_offer (self, msg, name);
}

void
sipcast_rest_whep_preflight (SoupServerMessage *msg)
{
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (response, "Access-Control-Allow-Methods",
                                "POST, DELETE, PATCH, OPTIONS");
  soup_message_headers_replace (response, "Access-Control-Allow-Headers",
                                "Content-Type, Authorization");
  soup_message_headers_replace (response, "Access-Control-Expose-Headers", "Location");
  soup_message_headers_replace (response, "Access-Control-Max-Age", "600");
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

guint
sipcast_rest_whep_get_n_sessions (SipcastRestWhep *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_WHEP (self), 0);
  return g_hash_table_size (self->sessions);
}

static void
sipcast_rest_whep_dispose (GObject *object)
{
  SipcastRestWhep *self = SIPCAST_REST_WHEP (object);

  if (self->whep_streams != NULL) {
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, self->whep_streams);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_signal_handlers_disconnect_by_data (value, self);
    g_clear_pointer (&self->whep_streams, g_hash_table_unref);
  }
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_object (&self->streams);

  G_OBJECT_CLASS (sipcast_rest_whep_parent_class)->dispose (object);
}

static void
sipcast_rest_whep_finalize (GObject *object)
{
  SipcastRestWhep *self = SIPCAST_REST_WHEP (object);

  g_free (self->stun_server);
  g_strfreev (self->addresses);

  G_OBJECT_CLASS (sipcast_rest_whep_parent_class)->finalize (object);
}

static void
sipcast_rest_whep_class_init (SipcastRestWhepClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_rest_whep_dispose;
  object_class->finalize = sipcast_rest_whep_finalize;
}

static void
sipcast_rest_whep_init (SipcastRestWhep *self)
{
  self->whep_streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

SipcastRestWhep *
sipcast_rest_whep_new (const SipcastConfig   *config,
                       SipcastStreamRegistry *streams)
{
  SipcastRestWhep *self;
  g_autoptr (GInetAddress) address = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_STREAM_REGISTRY (streams), NULL);

  self = g_object_new (SIPCAST_TYPE_REST_WHEP, NULL);
  self->streams = g_object_ref (streams);
  if (config->webrtc_stun_server != NULL && *config->webrtc_stun_server != '\0')
    self->stun_server = g_str_has_prefix (config->webrtc_stun_server, "stun://")
                        ? g_strdup (config->webrtc_stun_server)
                        : g_strconcat ("stun://", config->webrtc_stun_server, NULL);

  if (config->rest_address != NULL)
    address = g_inet_address_new_from_string (config->rest_address);
  if (address != NULL && !g_inet_address_get_is_any (address)) {
    self->addresses = g_new0 (char *, 2);
    self->addresses[0] = g_strdup (config->rest_address);
  }
  return self;
}

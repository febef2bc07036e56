/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "sipcast-rest-server.h"
#include "sipcast-rest-listener.h"
#include "sipcast-rest-push.h"
#include "sipcast-sounds.h"
#include "sipcast-call-private.h"
#include "sipcast-error.h"
#include "sipcast-json.h"
#include "sipcast-rest-console.h"
#include "sipcast-rest-guard.h"
#include "sipcast-rest-whep.h"
#include "sipcast-cluster-rest.h"
#include "sipcast-rest-auth.h"
#include "sipcast-rest-events.h"
#include "sipcast-metrics.h"
#include "sipcast-rest-reply.h"
#include "sipcast-types.h"

/*
 * The HTTP face of the daemon (SPEC.md "REST API").  Requests go through
 * two stages: an early handler that runs as soon as the headers are in
 * (authentication, declared body size: rejecting there means a client that
 * sent "Expect: 100-continue" never uploads the body), and the handler
 * proper, which routes /rest-api/METHOD through a static table to a
 * function that turns a JSON object into a JSON reply or a GError.  Every
 * error leaves through sipcast_rest_reply_error() (sipcast-rest-reply.c),
 * the one place where a SipcastError becomes an HTTP status; credentials
 * are checked by SipcastRestAuth (sipcast-rest-auth.c).
 */

#define REST_PREFIX "/rest-api"

/* Set when a body without Content-Length grew past the limit. */
#define TOO_LARGE_KEY "sipcast-body-too-large"

struct _SipcastRestServer {
  GObject parent_instance;

  char *address;
  guint configured_port;
  guint idle_timeout;
  char *tls_certificate;        /* [rest] tls-certificate, tls-key: HTTPS */
  char *tls_key;
  gsize max_body_size;

  SipcastCallRegistry *registry;
  SipcastPushRegistry *pushes;
  SipcastRestAuth *auth;        /* production mode's Basic auth */
  SipcastRestEvents *events;    /* GET /rest-api/events, or NULL */
  SipcastMetrics *metrics;      /* GET /metrics and the counts, or NULL */
  SipcastClusterRest *cluster;  /* a node of a cluster: over all nodes; or NULL */
  char *sounds_dir;             /* where /call/inject_sound looks */
  GStrv allowed_origins;        /* [rest] allowed-origins, split */
  GStrv allowed_hosts;          /* [rest] allowed-hosts, split */

  SoupServer *soup;
  /* Accepts the connections and keeps their lifetime in hand (libsoup
   * 3.2 leaks idle ones: see sipcast-rest-listener.c). */
  SipcastRestListener *listener;
  SipcastRestWhep *whep;        /* /whep/... */
  gulong request_finished_id;
  gulong request_aborted_id;
  guint port;                   /* bound port, 0 before start */
};

G_DEFINE_FINAL_TYPE (SipcastRestServer, sipcast_rest_server, G_TYPE_OBJECT)

/* A method: the request body as an object in, the reply out (NULL and
 * @error set on failure). */
typedef JsonNode *(*RouteHandler) (SipcastRestServer *self,
                                   JsonObject        *body,
                                   GError           **error);

static JsonNode *handle_call_startup (SipcastRestServer *self, JsonObject *body, GError **error);
static JsonNode *handle_call_find (SipcastRestServer *self, JsonObject *body, GError **error);
static JsonNode *handle_call_find_all (SipcastRestServer *self, JsonObject *body, GError **error);
static JsonNode *handle_call_terminate (SipcastRestServer *self, JsonObject *body, GError **error);
static JsonNode *handle_call_send_dtmf (SipcastRestServer *self, JsonObject *body, GError **error);
static JsonNode *handle_call_inject_stream (SipcastRestServer *self, JsonObject *body, GError **error);
static JsonNode *handle_call_inject_stream_terminate (SipcastRestServer *self, JsonObject *body, GError **error);
static JsonNode *handle_call_inject_sound (SipcastRestServer *self, JsonObject *body, GError **error);
static JsonNode *handle_stream_find_all (SipcastRestServer *self, JsonObject *body, GError **error);

/* Paths relative to REST_PREFIX.  Every row is POST with a JSON body. */
static const struct {
  const char *path;
  RouteHandler handler;
} routes[] = {
  { "/call/startup", handle_call_startup },
  { "/call/find", handle_call_find },
  { "/call/find_all", handle_call_find_all },
  { "/call/terminate", handle_call_terminate },
  { "/call/send_dtmf", handle_call_send_dtmf },
  { "/call/inject_stream", handle_call_inject_stream },
  { "/call/inject_stream/startup", handle_call_inject_stream },
  { "/call/inject_stream/terminate", handle_call_inject_stream_terminate },
  { "/call/inject_sound", handle_call_inject_sound },
  { "/stream/find_all", handle_stream_find_all },
};

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  gsize max_body_size = GPOINTER_TO_SIZE (user_data);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (body->length > (goffset) max_body_size &&
      g_object_get_data (G_OBJECT (msg), TOO_LARGE_KEY) == NULL) {
    g_object_set_data (G_OBJECT (msg), TOO_LARGE_KEY, GINT_TO_POINTER (TRUE));
    sipcast_rest_reply_discard_body (msg);
  }
}

static void
respond_too_large (SipcastRestServer *self,
                   SoupServerMessage *msg)
{
  g_autofree char *message = NULL;

  message = g_strdup_printf (_("The request body is larger than %llu bytes"),
                             (unsigned long long) self->max_body_size);
  /* We will not read what follows, so do not invite another request on
   * this connection. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  sipcast_rest_reply_new_error (msg, SIPCAST_ERROR_TOO_LARGE, message);
}

/* Host and Origin (sipcast-rest-guard.h): FALSE after answering 403.
 * Checked before the credentials, so a page elsewhere cannot even make us
 * hash a password.  An allowed foreign origin gets the CORS header that
 * lets its page read the answer. */
static gboolean
check_host_and_origin (SipcastRestServer *self,
                       SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *host = soup_message_headers_get_one (headers, "Host");
  const char *origin = soup_message_headers_get_one (headers, "Origin");
  g_autofree char *message = NULL;

  if (!sipcast_rest_guard_host_allowed (host, (const char *const *) self->allowed_hosts)) {
    message = g_strdup_printf (_("Host “%s” is not an address of this server; "
                                 "add it to [rest] allowed-hosts"), host);
  } else if (!sipcast_rest_guard_origin_allowed (origin, host,
                                                 (const char *const *) self->allowed_origins)) {
    message = g_strdup_printf (_("Requests from pages of %s are not allowed; "
                                 "add it to [rest] allowed-origins"), origin);
  }
  if (message != NULL) {
    g_message (_("REST: refused %s %s: %s"), soup_server_message_get_method (msg),
               g_uri_get_path (soup_server_message_get_uri (msg)), message);
    sipcast_rest_reply_new_error (msg, SIPCAST_ERROR_FORBIDDEN, message);
    return FALSE;
  }
  if (origin != NULL) {
    SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

    soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
    soup_message_headers_replace (response, "Vary", "Origin");
  }
  return TRUE;
}

/* GET /metrics without [metrics] require-auth: scrapers need no
 * credentials. */
static gboolean
is_open_metrics (SipcastRestServer *self,
                 const char        *path)
{
  return self->metrics != NULL && g_strcmp0 (path, "/metrics") == 0 &&
         !sipcast_metrics_requires_auth (self->metrics);
}

static void
on_early_request (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (user_data);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (!check_host_and_origin (self, msg)) {
    sipcast_rest_reply_discard_body (msg);
    return;
  }
  /* The console's files are public: the page asks for credentials. */
  if (sipcast_rest_console_owns (msg, path))
    return;
  /* A CORS preflight carries no credentials (Fetch standard): it is
   * answered in on_request() for an allowed origin. */
  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_OPTIONS) == 0 &&
      soup_message_headers_get_one (headers, "Origin") != NULL)
    return;

  if (!is_open_metrics (self, path) && !sipcast_rest_auth_check_early (self->auth, msg)) {
    sipcast_rest_reply_discard_body (msg);
    return;
  }

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH) {
    if (soup_message_headers_get_content_length (headers) > (goffset) self->max_body_size) {
      sipcast_rest_reply_discard_body (msg);
      respond_too_large (self, msg);
    }
    return;
  }

  /* Chunked bodies announce no size: count as they arrive.  The size is
   * passed by value because the message may outlive this server. */
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk),
                    GSIZE_TO_POINTER (self->max_body_size));
}

static RouteHandler
find_route (const char *path)
{
  if (!g_str_has_prefix (path, REST_PREFIX))
    return NULL;
  path += strlen (REST_PREFIX);

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++) {
    if (g_str_equal (path, routes[i].path))
      return routes[i].handler;
  }
  return NULL;
}

/* What this node answers on its own to @method (relative to
 * REST_PREFIX): the cluster's fallback and its part of every answer. */
static JsonNode *
run_local_method (GObject     *owner,
                  const char  *method,
                  JsonObject  *body,
                  GError     **error)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (owner);
  g_autofree char *path = g_strconcat (REST_PREFIX, method, NULL);
  RouteHandler handler = find_route (path);
  SipcastRestPushHandler push_handler = sipcast_rest_push_find_handler (method);

  if (handler != NULL)
    return handler (self, body, error);
  if (push_handler != NULL)
    return push_handler (self->pushes, self->sounds_dir, body, error);
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND, _("No such method: %s"), path);
  return NULL;
}

/* /rest-api/METHOD, authorized. */
static void
handle_method (gpointer           owner,
               SoupServerMessage *msg,
               const char        *path)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (owner);
  SoupMessageBody *request_body;
  RouteHandler handler;
  SipcastRestPushHandler push_handler;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonObject) body = NULL;
  g_autoptr (JsonNode) reply = NULL;
  g_autoptr (GError) error = NULL;
  const char *data;
  gsize length;

  handler = find_route (path);
  push_handler = g_str_has_prefix (path, REST_PREFIX) ?
    sipcast_rest_push_find_handler (path + strlen (REST_PREFIX)) : NULL;
  if (handler == NULL && push_handler == NULL &&
      (self->cluster == NULL || !g_str_has_prefix (path, REST_PREFIX) ||
       !sipcast_cluster_rest_owns (path + strlen (REST_PREFIX)))) {
    g_autofree char *message = NULL;

    message = g_strdup_printf (_("No such method: %s"), path);
    sipcast_rest_reply_new_error (msg, SIPCAST_ERROR_NOT_FOUND, message);
    return;
  }

  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0) {
    g_autofree char *message = NULL;

    message = g_strdup_printf (_("%s only accepts POST"), path);
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Allow", "POST");
    sipcast_rest_reply_json (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                  sipcast_json_error_body ("method_not_allowed", message));
    return;
  }

  request_body = soup_server_message_get_request_body (msg);
  if (g_object_get_data (G_OBJECT (msg), TOO_LARGE_KEY) != NULL ||
      request_body->length > (goffset) self->max_body_size) {
    respond_too_large (self, msg);
    return;
  }

  /* A browser POSTs to another site without asking first only as
   * text/plain or a form; JSON it has to ask for (CORS preflight), which
   * a foreign page is refused.  An empty body needs no type (SPEC.md). */
  if (!sipcast_rest_guard_content_type_allowed (
        soup_message_headers_get_content_type (soup_server_message_get_request_headers (msg), NULL),
        request_body->length)) {
    sipcast_rest_reply_new_error (msg, SIPCAST_ERROR_UNSUPPORTED_MEDIA_TYPE,
                       _("The request body must be JSON, sent with "
                         "Content-Type: application/json"));
    return;
  }

  bytes = soup_message_body_flatten (request_body);
  data = g_bytes_get_data (bytes, &length);

  body = sipcast_json_parse_body (data, length, &error);
  if (body != NULL && !sipcast_json_merge_connection (body, &error))
    g_clear_pointer (&body, json_object_unref);
  /* A cluster node answers for every node, maybe later. */
  if (body != NULL && self->cluster != NULL &&
      sipcast_cluster_rest_handle (self->cluster, msg, path + strlen (REST_PREFIX), body,
                                   run_local_method, G_OBJECT (self)))
    return;
  if (body != NULL)
    reply = handler != NULL ? handler (self, body, &error) :
      push_handler (self->pushes, self->sounds_dir, body, &error);

  if (reply == NULL) {
    sipcast_rest_reply_error (msg, error);
    return;
  }

  sipcast_rest_reply_json (msg, SOUP_STATUS_OK, json_to_string (reply, FALSE));
}

/* The query string of a request, kept for after authorization. */
#define QUERY_KEY "sipcast-query"

/* GET /rest-api/events, authorized. */
static void
serve_events (gpointer           owner,
              SoupServerMessage *msg,
              const char        *path)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (owner);

  if (self->listener == NULL)
    return;
  sipcast_rest_events_serve (self->events, msg, g_object_get_data (G_OBJECT (msg), QUERY_KEY),
                             self->listener);
}

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (user_data);

  /* The early handler normally did this already; this covers any request
   * that reached us without passing through it. */
  if (!check_host_and_origin (self, msg))
    return;
  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_OPTIONS) == 0 &&
      soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                    "Origin") != NULL) {
    SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

    /* The origin passed: tell its browser it may POST JSON with Basic
     * credentials. */
    soup_message_headers_replace (response, "Access-Control-Allow-Methods", "GET, POST");
    soup_message_headers_replace (response, "Access-Control-Allow-Headers",
                                  "Content-Type, Authorization");
    soup_message_headers_replace (response, "Access-Control-Max-Age", "600");
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
    return;
  }
  if (self->events != NULL && g_str_equal (path, REST_PREFIX "/events")) {
    /* The query outlives this call only as the stream's filters, which
     * serve_events() copies. */
    g_object_set_data_full (G_OBJECT (msg), QUERY_KEY,
                            query != NULL ? g_hash_table_ref (query) : NULL,
                            query != NULL ? (GDestroyNotify) g_hash_table_unref : NULL);
    sipcast_rest_auth_run_authorized (self->auth, msg, path, serve_events, self);
    return;
  }
  sipcast_rest_auth_run_authorized (self->auth, msg, path,
                                    handle_method, self);
}

static void
answer_not_found (gpointer           owner,
                  SoupServerMessage *msg,
                  const char        *path)
{
  g_autofree char *message = g_strdup_printf (_("Not found: %s"), path);

  sipcast_rest_reply_new_error (msg, SIPCAST_ERROR_NOT_FOUND, message);
}

static void
handle_whep (gpointer           owner,
             SoupServerMessage *msg,
             const char        *path)
{
  sipcast_rest_whep_handle (SIPCAST_REST_SERVER (owner)->whep, msg, path);
}

/* /whep/...: the same checks as /rest-api, then sipcast-rest-whep.c. */
static void
on_whep_request (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (user_data);

  if (!check_host_and_origin (self, msg))
    return;
  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_OPTIONS) == 0) {
    sipcast_rest_whep_preflight (msg);
    return;
  }
  sipcast_rest_auth_run_authorized (self->auth, msg, path, handle_whep, self);
}

static void
serve_metrics (gpointer           owner,
               SoupServerMessage *msg,
               const char        *path)
{
  sipcast_metrics_serve (SIPCAST_REST_SERVER (owner)->metrics, msg);
}

/* Paths outside /rest-api and /whep: the console's files, metrics, and
 * else 404 behind authentication, in JSON. */
static void
on_other_request (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (user_data);

  if (sipcast_rest_console_owns (msg, path))
    sipcast_rest_console_serve (msg, path, sipcast_rest_auth_is_enabled (self->auth));
  else if (is_open_metrics (self, path))
    serve_metrics (self, msg, path);
  else if (self->metrics != NULL && g_str_equal (path, "/metrics"))
    sipcast_rest_auth_run_authorized (self->auth, msg, path, serve_metrics, self);
  else
    sipcast_rest_auth_run_authorized (self->auth, msg, path, answer_not_found, self);
}

static void
on_request_done (SoupServer        *server,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  /* No URI when libsoup itself rejected the request line or headers. */
  GUri *uri = soup_server_message_get_uri (msg);

  SipcastRestServer *self = SIPCAST_REST_SERVER (user_data);
  const char *path = uri != NULL ? g_uri_get_path (uri) : "(unparsed)";

  g_debug ("%s %s -> %u",
           soup_server_message_get_method (msg), path, soup_server_message_get_status (msg));
  if (self->metrics != NULL) {
    const char *label = "other";

    /* Only names we know as labels: a client must not be able to make
     * up new time series. */
    if (find_route (path) != NULL)
      label = path + strlen (REST_PREFIX);
    else if (g_str_equal (path, REST_PREFIX "/events"))
      label = "/events";
    else if (g_str_equal (path, "/metrics"))
      label = "/metrics";
    sipcast_metrics_count_request (self->metrics, label, soup_server_message_get_status (msg));
  }
}

static JsonNode *
empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

static JsonNode *
calls_to_json (GPtrArray *calls)
{
  JsonArray *array = json_array_sized_new (calls->len);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < calls->len; i++)
    json_array_add_element (array, sipcast_call_to_json (g_ptr_array_index (calls, i)));

  json_node_take_array (node, array);
  return node;
}

static JsonNode *
handle_call_startup (SipcastRestServer *self,
                     JsonObject        *body,
                     GError           **error)
{
  g_autofree char *generated_id = g_uuid_string_random ();
  SipcastCallParams *params;
  SipcastCall *call;

  params = sipcast_call_params_from_json (body, generated_id, error);
  if (params == NULL)
    return NULL;

  /* Two publishers of one RTMP location never work: a /push there counts
   * as much as another call (which the call registry checks itself). */
  if (params->rtmp_url != NULL && *params->rtmp_url != '\0') {
    g_autoptr (SipcastPublishTarget) target =
      sipcast_publish_target_new (params->rtmp_url, params->rtmp_stream, NULL);
    g_autofree char *user = target != NULL ?
      sipcast_push_registry_find_location_user (self->pushes, target->location) : NULL;

    if (user != NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                   _("%s is already publishing to %s"), user, target->location);
      sipcast_call_params_free (params);
      return NULL;
    }
  }

  call = sipcast_call_registry_start_call (self->registry, params, error);
  if (call == NULL)
    return NULL;

  g_debug ("Call %s accepted", sipcast_call_get_id (call));
  return empty_object ();
}

static JsonNode *
find_calls (SipcastRestServer       *self,
            const SipcastCallFilter *filter,
            GError                 **error)
{
  g_autoptr (GPtrArray) calls = NULL;

  calls = sipcast_call_registry_find (self->registry, filter);
  if (calls->len == 0) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                         _("No call matches"));
    return NULL;
  }
  return calls_to_json (calls);
}

static JsonNode *
handle_call_find (SipcastRestServer *self,
                  JsonObject        *body,
                  GError           **error)
{
  g_autofree char *call_id = NULL;
  g_autofree char *callee = NULL;
  g_autofree char *rtmp_url = NULL;
  g_autofree char *status = NULL;
  g_autofree char *sip_login = NULL;
  g_autofree char *sip_domain = NULL;
  g_autofree char *app_key = NULL;
  SipcastCallFilter filter = { NULL, };

  if (!sipcast_json_get_string (body, "callId", &call_id, error) ||
      !sipcast_json_get_string (body, "callee", &callee, error) ||
      !sipcast_json_get_string (body, "rtmpUrl", &rtmp_url, error) ||
      !sipcast_json_get_string (body, "status", &status, error) ||
      !sipcast_json_get_string (body, "sipLogin", &sip_login, error) ||
      !sipcast_json_get_string (body, "sipDomain", &sip_domain, error) ||
      !sipcast_json_get_string (body, "appKey", &app_key, error))
    return NULL;

  filter.call_id = call_id;
  filter.callee = callee;
  filter.rtmp_url = rtmp_url;
  filter.sip_login = sip_login;
  filter.sip_domain = sip_domain;
  filter.app_key = app_key;

  if (status != NULL) {
    g_autofree char *upper = g_ascii_strup (status, -1);

    if (!sipcast_call_status_from_string (upper, &filter.status)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("Unknown status “%s”"), status);
      return NULL;
    }
    filter.has_status = TRUE;
  }

  return find_calls (self, &filter, error);
}

static JsonNode *
handle_call_find_all (SipcastRestServer *self,
                      JsonObject        *body,
                      GError           **error)
{
  SipcastCallFilter filter = { NULL, };

  return find_calls (self, &filter, error);
}

/* The callId every per-call method needs, or MISSING_FIELD. */
static char *
require_call_id (JsonObject *body,
                 GError    **error)
{
  return sipcast_json_require_string (body, "callId", error);
}

static JsonNode *
handle_call_terminate (SipcastRestServer *self,
                       JsonObject        *body,
                       GError           **error)
{
  g_autofree char *call_id = require_call_id (body, error);

  if (call_id == NULL)
    return NULL;

  if (!sipcast_call_registry_terminate (self->registry, call_id, error))
    return NULL;

  return empty_object ();
}

static JsonNode *
handle_call_send_dtmf (SipcastRestServer *self,
                       JsonObject        *body,
                       GError           **error)
{
  g_autofree char *call_id = NULL;
  g_autofree char *dtmf = NULL;
  g_autofree char *type_name = NULL;
  SipcastDtmfType type;
  SipcastCall *call;

  if ((call_id = require_call_id (body, error)) == NULL ||
      !sipcast_json_get_string (body, "dtmf", &dtmf, error) ||
      !sipcast_json_get_string (body, "type", &type_name, error) ||
      !sipcast_dtmf_type_from_string (type_name, &type, error) ||
      !sipcast_dtmf_validate (dtmf, error))
    return NULL;

  call = sipcast_call_registry_lookup (self->registry, call_id, error);
  if (call == NULL || !sipcast_call_send_dtmf (call, dtmf, type, error))
    return NULL;
  if (self->metrics != NULL)
    sipcast_metrics_count_dtmf_sent (self->metrics,
                                     type == SIPCAST_DTMF_RFC2833 ? "RFC2833" :
                                     type == SIPCAST_DTMF_INFO ? "INFO" : "INFO_RELAY",
                                     strlen (dtmf));

  return empty_object ();
}

/* The live call @body's callId names, for the methods that act on one. */
static SipcastCall *
require_call (SipcastRestServer *self,
              JsonObject        *body,
              GError           **error)
{
  g_autofree char *call_id = require_call_id (body, error);

  return call_id != NULL ? sipcast_call_registry_lookup (self->registry, call_id, error) : NULL;
}

static JsonNode *
handle_call_inject_stream (SipcastRestServer *self,
                           JsonObject        *body,
                           GError           **error)
{
  g_autofree char *stream_name = NULL;
  SipcastStream *stream;
  SipcastCall *call;

  if ((stream_name = sipcast_json_require_string (body, "streamName", error)) == NULL ||
      (call = require_call (self, body, error)) == NULL)
    return NULL;
  stream = sipcast_stream_registry_lookup (sipcast_call_registry_get_streams (self->registry),
                                           stream_name, error);
  if (stream == NULL || !sipcast_call_inject_stream (call, stream, error))
    return NULL;
  return empty_object ();
}

static JsonNode *
handle_call_inject_stream_terminate (SipcastRestServer *self,
                                     JsonObject        *body,
                                     GError           **error)
{
  g_autofree char *stream_name = NULL;
  SipcastCall *call;

  if (!sipcast_json_get_string (body, "streamName", &stream_name, error) ||
      (call = require_call (self, body, error)) == NULL ||
      !sipcast_call_stop_inject_stream (call, stream_name != NULL && *stream_name != '\0' ?
                                        stream_name : NULL, error))
    return NULL;
  return empty_object ();
}

static JsonNode *
handle_call_inject_sound (SipcastRestServer *self,
                          JsonObject        *body,
                          GError           **error)
{
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  gboolean loop = FALSE;
  SipcastCall *call;

  if ((file_name = sipcast_json_require_string (body, "fileName", error)) == NULL ||
      !sipcast_json_get_boolean (body, "loop", &loop, error) ||
      (call = require_call (self, body, error)) == NULL ||
      (path = sipcast_sounds_resolve (self->sounds_dir, file_name, error)) == NULL ||
      !sipcast_call_inject_sound (call, path, loop, error))
    return NULL;
  return empty_object ();
}

static JsonNode *
handle_stream_find_all (SipcastRestServer *self,
                        JsonObject        *body,
                        GError           **error)
{
  g_autoptr (GPtrArray) streams =
    sipcast_stream_registry_list (sipcast_call_registry_get_streams (self->registry));
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  if (streams->len == 0) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND, _("No streams"));
    return NULL;
  }

  json_builder_begin_array (builder);
  for (guint i = 0; i < streams->len; i++) {
    SipcastStream *stream = streams->pdata[i];

    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "name");
    json_builder_add_string_value (builder, sipcast_stream_get_name (stream));
    json_builder_set_member_name (builder, "callId");
    json_builder_add_string_value (builder, sipcast_stream_get_call_id (stream));
    sipcast_json_add_string_or_null (builder, "audioCodec",
                                     sipcast_stream_get_audio_codec (stream));
    sipcast_json_add_string_or_null (builder, "videoCodec",
                                     sipcast_stream_get_video_codec (stream));
    json_builder_set_member_name (builder, "status");
    json_builder_add_string_value (builder,
                                   sipcast_stream_status_to_string (sipcast_stream_get_status (stream)));
    json_builder_set_member_name (builder, "subscribers");
    json_builder_add_int_value (builder, sipcast_stream_get_n_subscribers (stream));
    json_builder_end_object (builder);
  }
  json_builder_end_array (builder);
  return json_builder_get_root (builder);
}

static void
sipcast_rest_server_dispose (GObject *object)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (object);

  /* First: it closes the connections it has, also those libsoup has. */
  g_clear_object (&self->listener);
  if (self->soup != NULL) {
    g_clear_signal_handler (&self->request_finished_id, self->soup);
    g_clear_signal_handler (&self->request_aborted_id, self->soup);
    soup_server_disconnect (self->soup);
    g_clear_object (&self->soup);
  }
  g_clear_object (&self->whep);
  g_clear_object (&self->registry);
  g_clear_object (&self->pushes);
  g_clear_object (&self->auth);
  g_clear_object (&self->events);
  g_clear_object (&self->metrics);
  g_clear_object (&self->cluster);

  G_OBJECT_CLASS (sipcast_rest_server_parent_class)->dispose (object);
}

static void
sipcast_rest_server_finalize (GObject *object)
{
  SipcastRestServer *self = SIPCAST_REST_SERVER (object);

  g_free (self->address);
  g_free (self->sounds_dir);
  g_strfreev (self->allowed_origins);
  g_strfreev (self->allowed_hosts);
  g_free (self->tls_certificate);
  g_free (self->tls_key);

  G_OBJECT_CLASS (sipcast_rest_server_parent_class)->finalize (object);
}

static void
sipcast_rest_server_class_init (SipcastRestServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_rest_server_dispose;
  object_class->finalize = sipcast_rest_server_finalize;
}

static void
sipcast_rest_server_init (SipcastRestServer *self)
{
}

SipcastRestServer *
sipcast_rest_server_new (const SipcastConfig *config,
                         SipcastCallRegistry *registry,
                         SipcastPushRegistry *pushes,
                         SipcastUsers        *users)
{
  SipcastRestServer *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_CALL_REGISTRY (registry), NULL);
  g_return_val_if_fail (SIPCAST_IS_PUSH_REGISTRY (pushes), NULL);
  g_return_val_if_fail (users == NULL || SIPCAST_IS_USERS (users), NULL);

  self = g_object_new (SIPCAST_TYPE_REST_SERVER, NULL);
  /* Copied: the server must not depend on how long @config lives. */
  self->address = g_strdup (config->rest_address);
  self->configured_port = config->rest_port;
  self->idle_timeout = config->rest_idle_timeout;
  self->tls_certificate = g_strdup (config->rest_tls_certificate);
  self->tls_key = g_strdup (config->rest_tls_key);
  self->max_body_size = config->max_body_size;
  self->registry = g_object_ref (registry);
  self->pushes = g_object_ref (pushes);
  self->auth = sipcast_rest_auth_new (users);
  self->sounds_dir = g_strdup (config->sounds_dir);
  self->allowed_origins = sipcast_rest_guard_split_list (config->allowed_origins);
  self->allowed_hosts = sipcast_rest_guard_split_list (config->allowed_hosts);

  self->whep = sipcast_rest_whep_new (config, sipcast_call_registry_get_streams (registry));
  self->soup = soup_server_new ("server-header", "sipcast", NULL);

  /* The same early handler at both paths so that nothing the server
   * answers skips authentication. */
  soup_server_add_early_handler (self->soup, REST_PREFIX, on_early_request, self, NULL);
  soup_server_add_handler (self->soup, REST_PREFIX, on_request, self, NULL);
  soup_server_add_handler (self->soup, SIPCAST_REST_WHEP_PREFIX, on_whep_request, self, NULL);
  soup_server_add_early_handler (self->soup, NULL, on_early_request, self, NULL);
  soup_server_add_handler (self->soup, NULL, on_other_request, self, NULL);

  self->request_finished_id = g_signal_connect (self->soup, "request-finished",
                                                G_CALLBACK (on_request_done), self);
  self->request_aborted_id = g_signal_connect (self->soup, "request-aborted",
                                               G_CALLBACK (on_request_done), self);
  return self;
}

gboolean
sipcast_rest_server_start (SipcastRestServer *self,
                           GError           **error)
{
  g_autoptr (GInetAddress) address = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *host = NULL;

  g_return_val_if_fail (SIPCAST_IS_REST_SERVER (self), FALSE);
  g_return_val_if_fail (self->port == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->address != NULL)
    address = g_inet_address_new_from_string (self->address);
  if (address == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Invalid REST address “%s”: expected an IP address"), self->address);
    return FALSE;
  }
  if (self->configured_port > 65535) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Invalid REST port %u"), self->configured_port);
    return FALSE;
  }

  socket_address = g_inet_socket_address_new (address, (guint16) self->configured_port);
  self->listener = sipcast_rest_listener_new (self->soup, self->idle_timeout);
  if (self->tls_certificate != NULL &&
      !sipcast_rest_listener_set_tls_files (self->listener, self->tls_certificate, self->tls_key,
                                            &local_error)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Cannot use the REST TLS certificate %s: %s"),
                 self->tls_certificate, local_error->message);
    g_clear_object (&self->listener);
    return FALSE;
  }
  if (!sipcast_rest_listener_listen (self->listener, socket_address, &local_error)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Cannot listen for REST requests on %s port %u: %s"),
                 self->address, self->configured_port, local_error->message);
    g_clear_object (&self->listener);
    return FALSE;
  }
  /* With port 0 the kernel chose. */
  self->port = sipcast_rest_listener_get_port (self->listener);

  host = g_inet_address_to_string (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6) {
    g_autofree char *bare = g_steal_pointer (&host);

    host = g_strdup_printf ("[%s]", bare);
  }

  /* Not translated: scripts and the integration tests read this line. */
  g_message ("REST listening on %s://%s:%u/rest-api",
             sipcast_rest_listener_is_https (self->listener) ? "https" : "http", host, self->port);
  return TRUE;
}


void
sipcast_rest_server_set_events (SipcastRestServer *self,
                                SipcastRestEvents *events)
{
  g_return_if_fail (SIPCAST_IS_REST_SERVER (self));
  g_return_if_fail (events == NULL || SIPCAST_IS_REST_EVENTS (events));
  g_set_object (&self->events, events);
}

void
sipcast_rest_server_set_metrics (SipcastRestServer *self,
                                 SipcastMetrics    *metrics)
{
  g_return_if_fail (SIPCAST_IS_REST_SERVER (self));
  g_return_if_fail (metrics == NULL || SIPCAST_IS_METRICS (metrics));
  g_set_object (&self->metrics, metrics);
}

void
sipcast_rest_server_set_cluster (SipcastRestServer  *self,
                                 SipcastClusterRest *cluster)
{
  g_return_if_fail (SIPCAST_IS_REST_SERVER (self));
  g_return_if_fail (cluster == NULL || SIPCAST_IS_CLUSTER_REST (cluster));
  g_set_object (&self->cluster, cluster);
}

guint
sipcast_rest_server_get_port (SipcastRestServer *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_SERVER (self), 0);
  return self->port;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-cluster"

#include "sipcast-cluster-rest.h"

#include <string.h>
#include <glib/gi18n.h>

#include "sipcast-error.h"
#include "sipcast-json.h"
#include "sipcast-publish-target.h"
#include "sipcast-rest-reply.h"

/*
 * Every request the cluster takes becomes a Request that lives until it
 * is answered: the message paused, the REST server (its local handlers)
 * and this object referenced.  A forwarded request is answered with what
 * the other node said, status and body, so clients see no difference.
 */

/* A node that does not answer within this is taken as unreachable. */
#define FORWARD_TIMEOUT_S 10

struct _SipcastClusterRest {
  GObject parent_instance;

  SipcastCluster *cluster;
  SoupSession *session;
};

G_DEFINE_FINAL_TYPE (SipcastClusterRest, sipcast_cluster_rest, G_TYPE_OBJECT)

typedef struct {
  SipcastClusterRest *self;
  SoupServerMessage *msg;
  char *method;
  JsonObject *body;
  SipcastClusterLocalFunc local;
  GObject *owner;
  char *call_id;
  GPtrArray *claim_keys;        /* /call/startup: what was claimed */
  JsonNode *local_calls;        /* /call/find: this node's answer, or NULL */
  SoupMessage *forward;         /* the request to another node */
} Request;

static Request *
request_new (SipcastClusterRest      *self,
             SoupServerMessage       *msg,
             const char              *method,
             JsonObject              *body,
             SipcastClusterLocalFunc  local,
             GObject                 *owner)
{
  Request *request = g_new0 (Request, 1);

  request->self = g_object_ref (self);
  request->msg = g_object_ref (msg);
  request->method = g_strdup (method);
  request->body = json_object_ref (body);
  request->local = local;
  request->owner = g_object_ref (owner);
  soup_server_message_pause (msg);
  return request;
}

/* Unpauses and frees: the answer is set. */
static void
request_done (Request *request)
{
  soup_server_message_unpause (request->msg);
  g_object_unref (request->msg);
  g_object_unref (request->self);
  g_object_unref (request->owner);
  json_object_unref (request->body);
  g_free (request->method);
  g_free (request->call_id);
  g_clear_pointer (&request->claim_keys, g_ptr_array_unref);
  g_clear_pointer (&request->local_calls, json_node_unref);
  g_clear_object (&request->forward);
  g_free (request);
}

static void
reply_node (SoupServerMessage *msg,
            JsonNode          *reply,
            GError            *error)
{
  if (reply == NULL)
    sipcast_rest_reply_error (msg, error);
  else
    sipcast_rest_reply_json (msg, SOUP_STATUS_OK, json_to_string (reply, FALSE));
}

/* Answers with what this node says on its own. */
static void
run_local (Request *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) reply = request->local (request->owner, request->method, request->body,
                                               &error);

  reply_node (request->msg, reply, error);
  request_done (request);
}

static JsonNode *
empty_object (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

/* ---- forwarding ---- */

static void
forward_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) answer = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                                 &error);

  if (answer == NULL) {
    g_autofree char *message = NULL;
    g_autofree char *uri = g_uri_to_string (soup_message_get_uri (request->forward));

    message = g_strdup_printf (_("The node at %s that has this call does not answer: %s"), uri,
                               error->message);
    g_warning ("%s", message);
    sipcast_rest_reply_new_error (request->msg, SIPCAST_ERROR_UNAVAILABLE, message);
  } else {
    SoupMessageHeaders *from = soup_message_get_response_headers (request->forward);
    SoupMessageHeaders *to = soup_server_message_get_response_headers (request->msg);
    const char *type = soup_message_headers_get_content_type (from, NULL);
    gsize length;
    const char *data = g_bytes_get_data (answer, &length);

    /* As the other node said it, status and body. */
    soup_server_message_set_status (request->msg, soup_message_get_status (request->forward),
                                    NULL);
    if (soup_message_headers_get_one (from, "WWW-Authenticate") != NULL)
      soup_message_headers_replace (to, "WWW-Authenticate",
                                    soup_message_headers_get_one (from, "WWW-Authenticate"));
    soup_server_message_set_response (request->msg, type != NULL ? type : "application/json",
                                      SOUP_MEMORY_COPY, data != NULL ? data : "", length);
  }
  request_done (request);
}

static void
forward (Request    *request,
         const char *node_id,
         const char *url)
{
  SipcastClusterRest *self = request->self;
  g_autofree char *target = g_strconcat (url, request->method, NULL);
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *json = NULL;
  g_autoptr (GBytes) bytes = NULL;
  SoupMessageHeaders *in = soup_server_message_get_request_headers (request->msg);
  SoupMessageHeaders *out;
  const char *authorization = soup_message_headers_get_one (in, "Authorization");

  json_node_set_object (root, request->body);
  json = json_to_string (root, FALSE);
  bytes = g_bytes_new (json, strlen (json));
  request->forward = soup_message_new (SOUP_METHOD_POST, target);
  if (request->forward == NULL) {
    g_autofree char *message = g_strdup_printf (_("Node %s advertises an unusable URL %s"),
                                                node_id, url);

    sipcast_rest_reply_new_error (request->msg, SIPCAST_ERROR_UNAVAILABLE, message);
    request_done (request);
    return;
  }
  soup_message_set_request_body_from_bytes (request->forward, "application/json", bytes);
  out = soup_message_get_request_headers (request->forward);
  /* The client's own production-mode credentials: every node of a
   * cluster has the same users file (README "Cluster"). */
  if (authorization != NULL)
    soup_message_headers_replace (out, "Authorization", authorization);
  soup_message_headers_replace (out, SIPCAST_CLUSTER_FORWARDED_HEADER,
                                sipcast_cluster_get_node_id (self->cluster));
  g_debug ("forwarding %s to node %s (%s)", request->method, node_id, target);
  sipcast_cluster_count_forwarded (self->cluster);
  soup_session_send_and_read_async (self->session, request->forward, G_PRIORITY_DEFAULT, NULL,
                                    forward_cb, request);
}

/* ---- /call/startup ---- */

static void
claim_failed (Request    *request,
              const char *key,
              const char *holder)
{
  g_autofree char *message = NULL;
  g_auto (GStrv) parts = g_strsplit (holder, " ", 2);
  const char *node = parts[0];
  const char *other = parts[0] != NULL && parts[1] != NULL ? parts[1] : request->call_id;
  const char *what = key + strlen (SIPCAST_CLUSTER_KEY_PREFIX);

  if (g_str_has_prefix (what, SIPCAST_CLUSTER_OWNER ":"))
    message = g_strdup_printf (_("Call %s already exists (on node %s)"), request->call_id, node);
  else if (g_str_has_prefix (what, SIPCAST_CLUSTER_TARGET ":"))
    message = g_strdup_printf (_("%s is already publishing to %s (on node %s)"), other,
                               what + strlen (SIPCAST_CLUSTER_TARGET ":"), node);
  else
    message = g_strdup_printf (_("Stream %s is already published by call %s (on node %s)"),
                               what + strlen (SIPCAST_CLUSTER_STREAM ":"), other, node);
  sipcast_rest_reply_new_error (request->msg, SIPCAST_ERROR_CONFLICT, message);
  request_done (request);
}

static void
release (Request *request)
{
  SipcastClusterRest *self = request->self;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup ("EVAL"));
  g_ptr_array_add (argv, g_strdup (sipcast_cluster_script_release));
  g_ptr_array_add (argv, g_strdup_printf ("%u", request->claim_keys->len));
  for (guint i = 0; i < request->claim_keys->len; i++)
    g_ptr_array_add (argv, g_strdup (request->claim_keys->pdata[i]));
  g_ptr_array_add (argv, g_strdup (sipcast_cluster_get_node_id (self->cluster)));
  g_ptr_array_add (argv, g_strdup (request->call_id));
  g_ptr_array_add (argv, NULL);
  sipcast_redis_command (sipcast_cluster_get_redis (self->cluster),
                         (const char *const *) argv->pdata, NULL, NULL);
}

static void
claim_cb (SipcastRedis *redis,
          redisReply   *reply,
          gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;

  if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
      reply->element[0]->type == REDIS_REPLY_INTEGER &&
      reply->element[1]->type == REDIS_REPLY_STRING) {
    long long index = reply->element[0]->integer;

    if (index >= 1 && index <= (long long) request->claim_keys->len) {
      claim_failed (request, request->claim_keys->pdata[index - 1], reply->element[1]->str);
      return;
    }
  }
  if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
    g_warning (_("call %s: could not claim it in Redis (%s); started on this node's rules alone"),
               request->call_id, reply != NULL ? reply->str : "no connection");

  answer = request->local (request->owner, request->method, request->body, &error);
  if (answer == NULL && reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    release (request);
  reply_node (request->msg, answer, error);
  request_done (request);
}

static void
claim_and_start (Request *request)
{
  SipcastClusterRest *self = request->self;
  g_autofree char *rtmp_url = NULL;
  g_autofree char *rtmp_stream = NULL;
  g_autofree char *to_stream = NULL;
  g_autofree char *node_prefix = sipcast_cluster_key (SIPCAST_CLUSTER_NODE, "");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  /* Wrong types: the local handler answers 400 and nothing is claimed. */
  if (!sipcast_json_get_string (request->body, "rtmpUrl", &rtmp_url, NULL) ||
      !sipcast_json_get_string (request->body, "rtmpStream", &rtmp_stream, NULL) ||
      !sipcast_json_get_string (request->body, "toStream", &to_stream, NULL)) {
    run_local (request);
    return;
  }
  request->claim_keys = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (request->claim_keys, sipcast_cluster_key (SIPCAST_CLUSTER_OWNER,
                                                             request->call_id));
  if (rtmp_url != NULL && *rtmp_url != '\0') {
    g_autoptr (SipcastPublishTarget) target = sipcast_publish_target_new (rtmp_url, rtmp_stream,
                                                                          NULL);

    if (target != NULL)
      g_ptr_array_add (request->claim_keys, sipcast_cluster_key (SIPCAST_CLUSTER_TARGET,
                                                                 target->location));
  }
  g_ptr_array_add (request->claim_keys,
                   sipcast_cluster_key (SIPCAST_CLUSTER_STREAM,
                                        to_stream != NULL && *to_stream != '\0' ? to_stream :
                                        request->call_id));

  g_ptr_array_add (argv, g_strdup ("EVAL"));
  g_ptr_array_add (argv, g_strdup (sipcast_cluster_script_claim));
  g_ptr_array_add (argv, g_strdup_printf ("%u", request->claim_keys->len));
  for (guint i = 0; i < request->claim_keys->len; i++)
    g_ptr_array_add (argv, g_strdup (request->claim_keys->pdata[i]));
  g_ptr_array_add (argv, g_strdup (sipcast_cluster_get_node_id (self->cluster)));
  g_ptr_array_add (argv, g_strdup (request->call_id));
  g_ptr_array_add (argv, g_steal_pointer (&node_prefix));
  g_ptr_array_add (argv, NULL);
  sipcast_redis_command (sipcast_cluster_get_redis (self->cluster),
                         (const char *const *) argv->pdata, claim_cb, request);
}

/* Places @request on the node with room (this one first); 503 when none
 * has any. */
static void
place (Request  *request,
       gboolean  forwarded)
{
  SipcastClusterRest *self = request->self;
  const char *me = sipcast_cluster_get_node_id (self->cluster);
  /* get_nodes() first: this node's own entry as it is now. */
  GPtrArray *nodes = sipcast_cluster_get_nodes (self->cluster);
  const SipcastClusterNode *node = forwarded ? sipcast_cluster_lookup_node (self->cluster, me) :
                                   sipcast_cluster_choose_node (nodes, me);

  if (node == NULL || (forwarded && !sipcast_cluster_node_has_room (node))) {
    sipcast_rest_reply_new_error (request->msg, SIPCAST_ERROR_UNAVAILABLE,
                                  forwarded ? _("This node takes no new calls now") :
                                  _("No node of the cluster takes new calls now"));
    request_done (request);
  } else if (g_str_equal (node->id, me)) {
    claim_and_start (request);
  } else {
    sipcast_cluster_note_placed (self->cluster, node->id);
    forward (request, node->id, node->url);
  }
}

static void
precheck_cb (SipcastRedis *redis,
             redisReply   *reply,
             gpointer      user_data)
{
  Request *request = user_data;

  if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
    g_autofree char *owner_key = sipcast_cluster_key (SIPCAST_CLUSTER_OWNER, request->call_id);

    claim_failed (request, owner_key, reply->str);
    return;
  }
  place (request, FALSE);
}

static gboolean
handle_startup (SipcastClusterRest *self,
                Request            *request,
                gboolean            forwarded)
{
  const char *me = sipcast_cluster_get_node_id (self->cluster);
  const SipcastClusterNode *node;
  JsonNode *id_node = json_object_get_member (request->body, "callId");
  g_autofree char *owner_key = NULL;
  g_autofree char *node_prefix = NULL;

  /* Chosen here, so that the node that runs the call and every claim
   * agree on it. */
  if (id_node != NULL && json_node_get_value_type (id_node) == G_TYPE_STRING &&
      *json_node_get_string (id_node) != '\0') {
    request->call_id = g_strdup (json_node_get_string (id_node));
  } else if (id_node == NULL || JSON_NODE_HOLDS_NULL (id_node) ||
             json_node_get_value_type (id_node) == G_TYPE_STRING) {
    request->call_id = g_uuid_string_random ();
    json_object_set_string_member (request->body, "callId", request->call_id);
  } else {
    run_local (request);        /* 400 */
    return TRUE;
  }

  node = sipcast_cluster_choose_node (sipcast_cluster_get_nodes (self->cluster), me);
  if (forwarded || (node != NULL && g_str_equal (node->id, me))) {
    place (request, forwarded);
    return TRUE;
  }
  /* Going elsewhere, or nowhere: a callId live on a node still gets its
   * 409 first, as on a node alone. */
  owner_key = sipcast_cluster_key (SIPCAST_CLUSTER_OWNER, request->call_id);
  node_prefix = sipcast_cluster_key (SIPCAST_CLUSTER_NODE, "");
  sipcast_redis_command (sipcast_cluster_get_redis (self->cluster), (const char *const[]) {
    "EVAL", sipcast_cluster_script_live_owner, "1", owner_key, node_prefix, NULL
  }, precheck_cb, request);
  return TRUE;
}

/* ---- /call/find, /call/find_all ---- */

static char *
body_string (JsonObject *body,
             const char *name)
{
  char *value = NULL;

  if (!sipcast_json_get_string (body, name, &value, NULL))
    return NULL;
  return value;
}

static void
find_cb (SipcastRedis *redis,
         redisReply   *reply,
         gpointer      user_data)
{
  Request *request = user_data;
  const char *me = sipcast_cluster_get_node_id (request->self->cluster);
  SipcastCallRegistry *registry = sipcast_cluster_get_registry (request->self->cluster);
  g_autofree char *call_id = body_string (request->body, "callId");
  g_autofree char *callee = body_string (request->body, "callee");
  g_autofree char *rtmp_url = body_string (request->body, "rtmpUrl");
  g_autofree char *status = body_string (request->body, "status");
  g_autofree char *sip_login = body_string (request->body, "sipLogin");
  g_autofree char *sip_domain = body_string (request->body, "sipDomain");
  g_autofree char *app_key = body_string (request->body, "appKey");
  g_autofree char *upper = status != NULL ? g_ascii_strup (status, -1) : NULL;
  SipcastClusterCallFilter filter = {
    call_id, callee, rtmp_url, upper, sip_login, sip_domain, app_key,
  };
  JsonArray *calls = json_array_new ();
  g_autoptr (JsonNode) answer = json_node_new (JSON_NODE_ARRAY);

  if (request->local_calls != NULL) {
    JsonArray *local = json_node_get_array (request->local_calls);

    for (guint i = 0; i < json_array_get_length (local); i++)
      json_array_add_element (calls, json_node_copy (json_array_get_element (local, i)));
  }
  if (reply != NULL && reply->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i < reply->elements; i++) {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *call;

      if (reply->element[i]->type != REDIS_REPLY_STRING ||
          !json_parser_load_from_data (parser, reply->element[i]->str, -1, NULL) ||
          json_parser_get_root (parser) == NULL ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      call = json_node_get_object (json_parser_get_root (parser));
      /* This node's own calls it has answered itself, as they are now
       * (not those of an earlier run under the same id: lost). */
      if ((g_strcmp0 (json_object_get_string_member_with_default (call, "nodeId", NULL), me) == 0 &&
           sipcast_call_registry_lookup (registry,
                                         json_object_get_string_member_with_default (call, "callId",
                                                                                     ""),
                                         NULL) != NULL) ||
          !sipcast_cluster_call_matches (call, &filter))
        continue;
      json_array_add_element (calls, json_node_copy (json_parser_get_root (parser)));
    }
  }
  if (json_array_get_length (calls) == 0) {
    json_array_unref (calls);
    sipcast_rest_reply_new_error (request->msg, SIPCAST_ERROR_NOT_FOUND, _("No call matches"));
  } else {
    json_node_take_array (answer, calls);
    sipcast_rest_reply_json (request->msg, SOUP_STATUS_OK, json_to_string (answer, FALSE));
  }
  request_done (request);
}

static gboolean
handle_find (SipcastClusterRest *self,
             Request            *request)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *calls_key = sipcast_cluster_key (SIPCAST_CLUSTER_CALLS, NULL);
  g_autofree char *call_prefix = sipcast_cluster_key (SIPCAST_CLUSTER_CALL, "");
  g_autofree char *body_call_id = body_string (request->body, "callId");

  /* First what this node says: it checks the filter (400). */
  request->local_calls = request->local (request->owner, request->method, request->body, &error);
  if (request->local_calls == NULL && !g_error_matches (error, SIPCAST_ERROR,
                                                        SIPCAST_ERROR_NOT_FOUND)) {
    sipcast_rest_reply_error (request->msg, error);
    request_done (request);
    return TRUE;
  }
  /* By callId: that one object, not every call of the cluster. */
  if (body_call_id != NULL) {
    g_autofree char *call_key = sipcast_cluster_key (SIPCAST_CLUSTER_CALL, body_call_id);

    sipcast_redis_command (sipcast_cluster_get_redis (self->cluster), (const char *const[]) {
      "EVAL", sipcast_cluster_script_find_one, "1", call_key, NULL
    }, find_cb, request);
    return TRUE;
  }
  sipcast_redis_command (sipcast_cluster_get_redis (self->cluster), (const char *const[]) {
    "EVAL", sipcast_cluster_script_find, "1", calls_key, call_prefix, NULL
  }, find_cb, request);
  return TRUE;
}

/* ---- a call or push of another node ---- */

static void
owner_cb (SipcastRedis *redis,
          redisReply   *reply,
          gpointer      user_data)
{
  Request *request = user_data;
  SipcastCluster *cluster = request->self->cluster;
  const char *node, *heartbeat;
  g_autoptr (SipcastClusterNode) owner = NULL;

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      reply->element[1]->type != REDIS_REPLY_STRING) {
    run_local (request);        /* 404 */
    return;
  }
  node = reply->element[0]->str;
  heartbeat = reply->element[1]->str;
  if (g_str_equal (node, sipcast_cluster_get_node_id (cluster))) {
    run_local (request);
    return;
  }
  if (*heartbeat == '\0' || (owner = sipcast_cluster_node_from_json (heartbeat, NULL)) == NULL) {
    /* Its node is lost, and with it the call, which has ended: as for
     * any ended call, terminating it is done. */
    if (g_str_equal (request->method, "/call/terminate")) {
      g_autoptr (JsonNode) done = empty_object ();

      reply_node (request->msg, done, NULL);
      request_done (request);
    } else {
      run_local (request);      /* 404 */
    }
    return;
  }
  forward (request, owner->id, owner->url);
}

static void
lookup_owner (Request    *request,
              const char *call_id)
{
  SipcastCluster *cluster = request->self->cluster;
  g_autofree char *owner_key = sipcast_cluster_key (SIPCAST_CLUSTER_OWNER, call_id);
  g_autofree char *call_key = sipcast_cluster_key (SIPCAST_CLUSTER_CALL, call_id);
  g_autofree char *node_prefix = sipcast_cluster_key (SIPCAST_CLUSTER_NODE, "");

  sipcast_redis_command (sipcast_cluster_get_redis (cluster), (const char *const[]) {
    "EVAL", sipcast_cluster_script_owner, "2", owner_key, call_key, node_prefix, NULL
  }, owner_cb, request);
}

/* GET stream:NAME ("NODE CALLID") or push:ID ("NODE"): forwarded to a
 * live other node, else this node's answer. */
static void
node_of_cb (SipcastRedis *redis,
            redisReply   *reply,
            gpointer      user_data)
{
  Request *request = user_data;
  SipcastCluster *cluster = request->self->cluster;
  g_auto (GStrv) parts = NULL;
  const SipcastClusterNode *node;

  if (reply == NULL || reply->type != REDIS_REPLY_STRING) {
    run_local (request);
    return;
  }
  parts = g_strsplit (reply->str, " ", 2);
  node = sipcast_cluster_lookup_node (cluster, parts[0]);
  if (node == NULL || g_str_equal (node->id, sipcast_cluster_get_node_id (cluster)))
    run_local (request);
  else
    forward (request, node->id, node->url);
}

static void
lookup_node_of (Request    *request,
                const char *kind,
                const char *id)
{
  g_autofree char *item_key = sipcast_cluster_key (kind, id);

  sipcast_redis_command (sipcast_cluster_get_redis (request->self->cluster),
                         (const char *const[]) { "GET", item_key, NULL }, node_of_cb, request);
}

/* ---- /node/ ---- */

static JsonNode *
node_to_json (const SipcastClusterNode *node)
{
  g_autofree char *json = sipcast_cluster_node_to_json (node);

  return json_from_string (json, NULL);
}

static int
compare_nodes (gconstpointer a,
               gconstpointer b)
{
  const SipcastClusterNode *x = *(const SipcastClusterNode *const *) a;
  const SipcastClusterNode *y = *(const SipcastClusterNode *const *) b;

  return g_strcmp0 (x->id, y->id);
}

static void
handle_node (SipcastClusterRest *self,
             SoupServerMessage  *msg,
             const char         *method)
{
  const char *me = sipcast_cluster_get_node_id (self->cluster);
  g_autoptr (JsonNode) answer = NULL;

  if (g_str_equal (method, "/node/find_all")) {
    GPtrArray *live = sipcast_cluster_get_nodes (self->cluster);
    /* Borrowed elements: g_ptr_array_copy() would take the free function. */
    g_autoptr (GPtrArray) nodes = g_ptr_array_sized_new (live->len);
    JsonArray *array = json_array_new ();

    for (guint i = 0; i < live->len; i++)
      g_ptr_array_add (nodes, live->pdata[i]);

    g_ptr_array_sort (nodes, compare_nodes);
    for (guint i = 0; i < nodes->len; i++)
      json_array_add_element (array, node_to_json (nodes->pdata[i]));
    answer = json_node_new (JSON_NODE_ARRAY);
    json_node_take_array (answer, array);
  } else {
    sipcast_cluster_set_draining (self->cluster, g_str_equal (method, "/node/drain"));
    answer = node_to_json (sipcast_cluster_lookup_node (self->cluster, me));
  }
  sipcast_rest_reply_json (msg, SOUP_STATUS_OK, json_to_string (answer, FALSE));
}

/* ---- dispatch ---- */

static const char *const call_methods[] = {
  "/call/terminate", "/call/send_dtmf", "/call/inject_stream", "/call/inject_stream/startup",
  "/call/inject_stream/terminate", "/call/inject_sound",
};

static const char *const push_methods[] = {
  "/push/terminate", "/push/mute", "/push/unmute", "/push/sound_on", "/push/sound_off",
};

static gboolean
in_list (const char        *method,
         const char *const *list,
         gsize              n)
{
  for (gsize i = 0; i < n; i++) {
    if (g_str_equal (method, list[i]))
      return TRUE;
  }
  return FALSE;
}

gboolean
sipcast_cluster_rest_owns (const char *method)
{
  return g_strcmp0 (method, "/node/drain") == 0 || g_strcmp0 (method, "/node/resume") == 0 ||
         g_strcmp0 (method, "/node/find_all") == 0;
}

gboolean
sipcast_cluster_rest_handle (SipcastClusterRest      *self,
                             SoupServerMessage       *msg,
                             const char              *method,
                             JsonObject              *body,
                             SipcastClusterLocalFunc  local,
                             GObject                 *owner)
{
  SipcastCallRegistry *registry;
  gboolean forwarded;
  g_autofree char *id = NULL;

  g_return_val_if_fail (SIPCAST_IS_CLUSTER_REST (self), FALSE);

  if (sipcast_cluster_rest_owns (method)) {
    handle_node (self, msg, method);
    return TRUE;
  }
  /* Redis down: this node alone, as if on its own. */
  if (!sipcast_redis_is_connected (sipcast_cluster_get_redis (self->cluster)))
    return FALSE;
  forwarded = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                            SIPCAST_CLUSTER_FORWARDED_HEADER) != NULL;
  registry = sipcast_cluster_get_registry (self->cluster);

  if (g_str_equal (method, "/call/startup"))
    return handle_startup (self, request_new (self, msg, method, body, local, owner), forwarded);
  if (forwarded)
    return FALSE;
  if (g_str_equal (method, "/call/find") || g_str_equal (method, "/call/find_all"))
    return handle_find (self, request_new (self, msg, method, body, local, owner));

  if (in_list (method, call_methods, G_N_ELEMENTS (call_methods))) {
    Request *request;

    if (!sipcast_json_get_string (body, "callId", &id, NULL) || id == NULL ||
        sipcast_call_registry_lookup (registry, id, NULL) != NULL)
      return FALSE;
    request = request_new (self, msg, method, body, local, owner);
    request->call_id = g_steal_pointer (&id);
    lookup_owner (request, request->call_id);
    return TRUE;
  }
  if (g_str_equal (method, "/push/startup")) {
    if (!sipcast_json_get_string (body, "streamName", &id, NULL) || id == NULL ||
        sipcast_stream_registry_lookup (sipcast_call_registry_get_streams (registry), id,
                                        NULL) != NULL)
      return FALSE;
    lookup_node_of (request_new (self, msg, method, body, local, owner), SIPCAST_CLUSTER_STREAM,
                    id);
    return TRUE;
  }
  if (in_list (method, push_methods, G_N_ELEMENTS (push_methods))) {
    if (!sipcast_json_get_string (body, "mediaSessionId", &id, NULL) || id == NULL ||
        sipcast_push_registry_lookup (sipcast_cluster_get_pushes (self->cluster), id,
                                      NULL) != NULL)
      return FALSE;
    lookup_node_of (request_new (self, msg, method, body, local, owner), SIPCAST_CLUSTER_PUSH,
                    id);
    return TRUE;
  }
  return FALSE;
}

static void
sipcast_cluster_rest_dispose (GObject *object)
{
  SipcastClusterRest *self = SIPCAST_CLUSTER_REST (object);

  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->cluster);
  G_OBJECT_CLASS (sipcast_cluster_rest_parent_class)->dispose (object);
}

static void
sipcast_cluster_rest_class_init (SipcastClusterRestClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sipcast_cluster_rest_dispose;
}

static void
sipcast_cluster_rest_init (SipcastClusterRest *self)
{
}

SipcastClusterRest *
sipcast_cluster_rest_new (SipcastCluster *cluster)
{
  SipcastClusterRest *self;

  g_return_val_if_fail (SIPCAST_IS_CLUSTER (cluster), NULL);

  self = g_object_new (SIPCAST_TYPE_CLUSTER_REST, NULL);
  self->cluster = g_object_ref (cluster);
  self->session = soup_session_new_with_options ("timeout", FORWARD_TIMEOUT_S,
                                                 "user-agent", "sipcast-cluster", NULL);
  return self;
}

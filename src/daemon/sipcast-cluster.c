/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-cluster"

#include "sipcast-cluster.h"

#include <string.h>
#include <sys/resource.h>
#include <glib/gi18n.h>

#include "sipcast-error.h"
#include "sipcast-json.h"
#include "sipcast-publish-target.h"
#include "sipcast-types.h"

/*
 * Redis is written in Lua scripts, one round trip each, so that a reader
 * never sees half an update and two nodes never both win a claim (Redis
 * runs a script alone).  Key layout: sipcast-cluster-node.h.
 *
 * What is written when (README "Cluster" counts it):
 * - every third of the TTL: this node's heartbeat (SET PX, SADD nodes)
 *   and one read of every node's heartbeat (the NODES script);
 * - a call's first event (NEW), and every live call when Redis comes
 *   back: the STORE script (the Call object, the sets, the claims);
 * - its other status and RTMP changes: one SET of the Call object;
 * - its end: the END script (the object with the ended-call TTL, the
 *   claims released);
 * - a push's events: one SET push:ID (its node), for forwarding.
 *
 * A node whose heartbeat is gone is reaped by the REAP script, which only
 * one survivor can win (it removes the node from the set); it returns the
 * lost node's calls, which the winner marks FAILED "Node lost" and
 * publishes.  A node that (re)connects first reaps its own calls that it
 * no longer has (ORPHANS: it restarted), and reaps no other node during
 * one TTL, so that nodes that lost Redis with it can renew their keys.
 */

/* A push's node is remembered this long after its last event. */
#define PUSH_KEY_TTL_S "86400"

const char sipcast_cluster_script_claim[] =
  /* KEYS: owner:ID [target:LOC] [stream:NAME]; ARGV: node callId nodeprefix.
   * A key held by a node whose heartbeat is gone is stale: taken over. */
  "for i, k in ipairs(KEYS) do\n"
  "  local v = redis.call('GET', k)\n"
  "  if v then\n"
  "    local node = string.match(v, '^(%S+)')\n"
  "    if redis.call('EXISTS', ARGV[3] .. node) == 1 then return {i, v} end\n"
  "  end\n"
  "end\n"
  "redis.call('SET', KEYS[1], ARGV[1])\n"
  "for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[1] .. ' ' .. ARGV[2]) end\n"
  "return 0\n";

const char sipcast_cluster_script_release[] =
  /* KEYS as for claim; ARGV: node callId.  Only what is still ours. */
  "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end\n"
  "for i = 2, #KEYS do\n"
  "  if redis.call('GET', KEYS[i]) == ARGV[1] .. ' ' .. ARGV[2] then redis.call('DEL', KEYS[i]) end\n"
  "end\n"
  "return 0\n";

const char sipcast_cluster_script_find[] =
  /* KEYS: calls; ARGV: callprefix.  Every stored Call object; ids whose
   * object expired leave the set. */
  "local out = {}\n"
  "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
  "  local v = redis.call('GET', ARGV[1] .. id)\n"
  "  if v then out[#out + 1] = v else redis.call('SREM', KEYS[1], id) end\n"
  "end\n"
  "return out\n";

const char sipcast_cluster_script_find_one[] =
  /* KEYS: call:ID.  As find, for one callId: {object} or {}. */
  "local v = redis.call('GET', KEYS[1])\n"
  "if v then return {v} end\n"
  "return {}\n";

const char sipcast_cluster_script_live_owner[] =
  /* KEYS: owner:ID; ARGV: nodeprefix.  The node of a live call whose
   * node is alive, or nil. */
  "local n = redis.call('GET', KEYS[1])\n"
  "if n and redis.call('EXISTS', ARGV[1] .. n) == 1 then return n end\n"
  "return nil\n";

const char sipcast_cluster_script_owner[] =
  /* KEYS: owner:ID call:ID; ARGV: nodeprefix.  {node, heartbeat or ''}
   * of a live call, or of an ended one by its stored nodeId; nil when
   * no node knows it. */
  "local n = redis.call('GET', KEYS[1])\n"
  "if not n then\n"
  "  local v = redis.call('GET', KEYS[2])\n"
  "  if not v then return nil end\n"
  "  n = cjson.decode(v).nodeId\n"
  "  if type(n) ~= 'string' then return nil end\n"
  "end\n"
  "return {n, redis.call('GET', ARGV[1] .. n) or ''}\n";

static const char script_nodes[] =
  /* KEYS: nodes; ARGV: nodeprefix.  {id, heartbeat or '', …} */
  "local out = {}\n"
  "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
  "  out[#out + 1] = id\n"
  "  out[#out + 1] = redis.call('GET', ARGV[1] .. id) or ''\n"
  "end\n"
  "return out\n";

static const char script_store[] =
  /* KEYS: call:ID calls node-calls:NODE owner:ID [target] [stream];
   * ARGV: json callId node */
  "redis.call('SET', KEYS[1], ARGV[1])\n"
  "redis.call('SADD', KEYS[2], ARGV[2])\n"
  "redis.call('SADD', KEYS[3], ARGV[2])\n"
  "redis.call('SET', KEYS[4], ARGV[3])\n"
  "for i = 5, #KEYS do redis.call('SET', KEYS[i], ARGV[3] .. ' ' .. ARGV[2]) end\n"
  "return 0\n";

static const char script_end[] =
  /* KEYS: call:ID calls node-calls:NODE owner:ID [target] [stream];
   * ARGV: json callId node ttl */
  "if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])\n"
  "else redis.call('DEL', KEYS[1]) end\n"
  "redis.call('SADD', KEYS[2], ARGV[2])\n"
  "redis.call('SREM', KEYS[3], ARGV[2])\n"
  "if redis.call('GET', KEYS[4]) == ARGV[3] then redis.call('DEL', KEYS[4]) end\n"
  "for i = 5, #KEYS do\n"
  "  if redis.call('GET', KEYS[i]) == ARGV[3] .. ' ' .. ARGV[2] then redis.call('DEL', KEYS[i]) end\n"
  "end\n"
  "return 0\n";

static const char script_reap[] =
  /* KEYS: nodes node:DEAD node-calls:DEAD; ARGV: dead callprefix.
   * nil unless this caller is the one that removes DEAD. */
  "if redis.call('EXISTS', KEYS[2]) == 1 then return nil end\n"
  "if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return nil end\n"
  "local out = {}\n"
  "for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do\n"
  "  out[#out + 1] = id\n"
  "  out[#out + 1] = redis.call('GET', ARGV[2] .. id) or ''\n"
  "end\n"
  "redis.call('DEL', KEYS[3])\n"
  "return out\n";

static const char script_orphans[] =
  /* KEYS: node-calls:SELF; ARGV: callprefix, then the live calls kept. */
  "local keep = {}\n"
  "for i = 2, #ARGV do keep[ARGV[i]] = true end\n"
  "local out = {}\n"
  "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
  "  if not keep[id] then\n"
  "    redis.call('SREM', KEYS[1], id)\n"
  "    out[#out + 1] = id\n"
  "    out[#out + 1] = redis.call('GET', ARGV[1] .. id) or ''\n"
  "  end\n"
  "end\n"
  "return out\n";

struct _SipcastCluster {
  GObject parent_instance;

  char *node_id;
  char *advertise_url;          /* NULL until start when not configured */
  guint max_calls;
  guint ttl_ms;
  guint ended_call_ttl;

  SipcastRedis *redis;
  SipcastCallRegistry *registry;
  SipcastPushRegistry *pushes;
  SipcastEventBus *bus;
  SipcastSipAgent *agent;
  gulong event_id;
  gulong connected_id;

  guint heartbeat_id;
  gboolean stopped;
  GSourceFunc leave_done;       /* sipcast_cluster_leave() in progress */
  gpointer leave_data;
  guint leave_timeout_id;
  gboolean draining;
  gint64 started_at_ms;
  gint64 reap_after_us;         /* monotonic: no reaping before */

  /* CPU time over the last heartbeat period. */
  gint64 cpu_mark_us;
  gint64 wall_mark_us;
  double cpu;

  GPtrArray *nodes;             /* SipcastClusterNode, live, incl. this one */

  guint64 n_forwarded;
  guint n_nodes_lost;
  guint n_calls_lost;
};

G_DEFINE_FINAL_TYPE (SipcastCluster, sipcast_cluster, G_TYPE_OBJECT)

/* Runs commands for the cluster while it lives: the callbacks of Redis
 * hold a reference and return early once it is stopped. */
typedef struct {
  SipcastCluster *cluster;
  char *node;                   /* REAP: the lost node */
} Op;

static Op *
op_new (SipcastCluster *self,
        const char     *node)
{
  Op *op = g_new0 (Op, 1);

  op->cluster = g_object_ref (self);
  op->node = g_strdup (node);
  return op;
}

static void
op_free (Op *op)
{
  g_object_unref (op->cluster);
  g_free (op->node);
  g_free (op);
}

static char *
key (const char *kind,
     const char *id)
{
  return sipcast_cluster_key (kind, id);
}

static guint
live_calls (SipcastCluster *self)
{
  SipcastCallFilter filter = { NULL, };
  g_autoptr (GPtrArray) calls = sipcast_call_registry_find (self->registry, &filter);
  guint live = 0;

  for (guint i = 0; i < calls->len; i++) {
    if (!sipcast_call_status_is_final (sipcast_call_get_status (calls->pdata[i])))
      live++;
  }
  return live;
}

static void
measure_cpu (SipcastCluster *self)
{
  struct rusage usage;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu_us;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return;
  cpu_us = (gint64) usage.ru_utime.tv_sec * G_USEC_PER_SEC + usage.ru_utime.tv_usec +
           (gint64) usage.ru_stime.tv_sec * G_USEC_PER_SEC + usage.ru_stime.tv_usec;
  if (self->wall_mark_us != 0 && now > self->wall_mark_us)
    self->cpu = (double) (cpu_us - self->cpu_mark_us) / (double) (now - self->wall_mark_us);
  self->cpu_mark_us = cpu_us;
  self->wall_mark_us = now;
}

static SipcastClusterNode *
self_node (SipcastCluster *self)
{
  SipcastClusterNode *node = g_new0 (SipcastClusterNode, 1);

  node->id = g_strdup (self->node_id);
  node->url = g_strdup (self->advertise_url);
  node->calls = live_calls (self);
  node->capacity = self->max_calls;
  node->cpu = (guint) (self->cpu * 100 + 0.5);
  node->draining = self->draining;
  node->started_at_ms = self->started_at_ms;
  return node;
}

/* This node's entry in @nodes made current. */
static void
refresh_self (SipcastCluster *self)
{
  for (guint i = 0; i < self->nodes->len; i++) {
    SipcastClusterNode *node = self->nodes->pdata[i];

    if (g_str_equal (node->id, self->node_id)) {
      g_ptr_array_remove_index (self->nodes, i);
      break;
    }
  }
  g_ptr_array_add (self->nodes, self_node (self));
}

/* ---- writing calls ---- */

/* The claim keys of @call besides owner: target:LOCATION, stream:NAME. */
static void
add_claim_keys (GPtrArray  *argv,
                const char *rtmp_url,
                const char *rtmp_stream,
                const char *stream_name)
{
  if (rtmp_url != NULL && *rtmp_url != '\0') {
    g_autoptr (SipcastPublishTarget) target = sipcast_publish_target_new (rtmp_url, rtmp_stream,
                                                                          NULL);

    if (target != NULL)
      g_ptr_array_add (argv, key (SIPCAST_CLUSTER_TARGET, target->location));
  }
  if (stream_name != NULL && *stream_name != '\0')
    g_ptr_array_add (argv, key (SIPCAST_CLUSTER_STREAM, stream_name));
}

/* EVAL @script with the call's keys, then @args. */
static void
eval_call_script (SipcastCluster *self,
                  const char     *script,
                  const char     *call_id,
                  const char     *node,
                  const char     *rtmp_url,
                  const char     *rtmp_stream,
                  const char     *stream_name,
                  const char     *json,
                  const char     *ttl)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (keys, key (SIPCAST_CLUSTER_CALL, call_id));
  g_ptr_array_add (keys, key (SIPCAST_CLUSTER_CALLS, NULL));
  g_ptr_array_add (keys, key (SIPCAST_CLUSTER_NODE_CALLS, node));
  g_ptr_array_add (keys, key (SIPCAST_CLUSTER_OWNER, call_id));
  add_claim_keys (keys, rtmp_url, rtmp_stream, stream_name);

  g_ptr_array_add (argv, g_strdup ("EVAL"));
  g_ptr_array_add (argv, g_strdup (script));
  g_ptr_array_add (argv, g_strdup_printf ("%u", keys->len));
  for (guint i = 0; i < keys->len; i++)
    g_ptr_array_add (argv, g_strdup (keys->pdata[i]));
  g_ptr_array_add (argv, g_strdup (json));
  g_ptr_array_add (argv, g_strdup (call_id));
  g_ptr_array_add (argv, g_strdup (node));
  if (ttl != NULL)
    g_ptr_array_add (argv, g_strdup (ttl));
  g_ptr_array_add (argv, NULL);
  sipcast_redis_command (self->redis, (const char *const *) argv->pdata, NULL, NULL);
}

static void
write_call (SipcastCluster *self,
            SipcastCall    *call,
            gboolean        full)
{
  const SipcastCallParams *params = sipcast_call_get_params (call);
  g_autoptr (JsonNode) node = sipcast_call_to_json (call);
  g_autofree char *json = json_to_string (node, FALSE);
  const char *id = sipcast_call_get_id (call);

  if (sipcast_call_status_is_final (sipcast_call_get_status (call))) {
    g_autofree char *ttl = g_strdup_printf ("%u", self->ended_call_ttl);

    eval_call_script (self, script_end, id, self->node_id, params->rtmp_url, params->rtmp_stream,
                      params->to_stream, json, ttl);
  } else if (full) {
    eval_call_script (self, script_store, id, self->node_id, params->rtmp_url,
                      params->rtmp_stream, params->to_stream, json, NULL);
  } else {
    g_autofree char *call_key = key (SIPCAST_CLUSTER_CALL, id);

    sipcast_redis_command (self->redis, (const char *const[]) { "SET", call_key, json, NULL },
                           NULL, NULL);
  }
}

static void
write_push (SipcastCluster *self,
            const char     *data)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *push;
  const char *id;
  g_autofree char *push_key = NULL;

  if (!json_parser_load_from_data (parser, data, -1, NULL))
    return;
  push = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                        "push");
  id = push != NULL ? json_object_get_string_member_with_default (push, "mediaSessionId", NULL) :
       NULL;
  if (id == NULL)
    return;
  push_key = key (SIPCAST_CLUSTER_PUSH, id);
  sipcast_redis_command (self->redis, (const char *const[]) {
    "SET", push_key, self->node_id, "EX", PUSH_KEY_TTL_S, NULL
  }, NULL, NULL);
}

static void
event_cb (SipcastEventBus *bus,
          SipcastEvent    *event,
          gpointer         user_data)
{
  SipcastCluster *self = SIPCAST_CLUSTER (user_data);

  if (self->stopped)
    return;
  switch (event->type) {
  case SIPCAST_EVENT_CALL_STATUS:
  case SIPCAST_EVENT_RTMP_STATUS:
    /* Without a source: published here for another node's call. */
    if (event->source != NULL && SIPCAST_IS_CALL (event->source))
      write_call (self, SIPCAST_CALL (event->source),
                  event->type == SIPCAST_EVENT_CALL_STATUS &&
                  event->status == SIPCAST_CALL_STATUS_NEW);
    break;
  case SIPCAST_EVENT_PUSH_STATUS:
    write_push (self, event->data);
    break;
  case SIPCAST_EVENT_DTMF:
  case SIPCAST_EVENT_INJECTION_ENDED:
    break;
  }
}

/* ---- lost calls ---- */

/* @reply: {id, Call JSON or '', …} of calls of @node that nobody runs
 * any more: FAILED "Node lost", stored and published. */
static void
mark_lost (SipcastCluster *self,
           const char     *node,
           redisReply     *reply)
{
  for (size_t i = 0; i + 1 < reply->elements; i += 2) {
    redisReply *id = reply->element[i];
    redisReply *value = reply->element[i + 1];
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (JsonObject) lost = NULL;
    g_autoptr (JsonNode) lost_node = json_node_new (JSON_NODE_OBJECT);
    g_autofree char *json = NULL;
    g_autofree char *ttl = NULL;
    JsonObject *call, *fields;
    const char *status;
    SipcastCallStatus parsed;

    if (id->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING ||
        value->len == 0 || !json_parser_load_from_data (parser, value->str, -1, NULL) ||
        json_parser_get_root (parser) == NULL ||
        !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
      continue;
    call = json_node_get_object (json_parser_get_root (parser));
    status = json_object_get_string_member_with_default (call, "status", "");
    if (sipcast_call_status_from_string (status, &parsed) && sipcast_call_status_is_final (parsed))
      continue;

    lost = sipcast_cluster_call_mark_lost (call);
    json_node_set_object (lost_node, lost);
    json = json_to_string (lost_node, FALSE);
    ttl = g_strdup_printf ("%u", self->ended_call_ttl);
    eval_call_script (self, script_end, id->str, node,
                      json_object_get_string_member_with_default (lost, "rtmpUrl", NULL),
                      json_object_get_string_member_with_default (lost, "rtmpStream", NULL),
                      json_object_get_string_member_with_default (lost, "streamName", NULL),
                      json, ttl);
    g_message (_("call %s of lost node %s: FAILED (Node lost)"), id->str, node);
    self->n_calls_lost++;

    fields = json_object_new ();
    json_object_set_member (fields, "call", json_node_copy (lost_node));
    sipcast_event_bus_publish (self->bus, SIPCAST_EVENT_CALL_STATUS, id->str, fields);
  }
}

static void
reap_cb (SipcastRedis *redis,
         redisReply   *reply,
         gpointer      user_data)
{
  Op *op = user_data;

  if (!op->cluster->stopped && reply != NULL && reply->type == REDIS_REPLY_ARRAY) {
    g_warning (_("cluster node %s lost (no heartbeat): its calls are marked FAILED"), op->node);
    op->cluster->n_nodes_lost++;
    mark_lost (op->cluster, op->node, reply);
  }
  op_free (op);
}

static void
reap (SipcastCluster *self,
      const char     *node)
{
  g_autofree char *nodes_key = key (SIPCAST_CLUSTER_NODES, NULL);
  g_autofree char *node_key = key (SIPCAST_CLUSTER_NODE, node);
  g_autofree char *calls_key = key (SIPCAST_CLUSTER_NODE_CALLS, node);
  g_autofree char *call_prefix = key (SIPCAST_CLUSTER_CALL, "");

  sipcast_redis_command (self->redis, (const char *const[]) {
    "EVAL", script_reap, "3", nodes_key, node_key, calls_key, node, call_prefix, NULL
  }, reap_cb, op_new (self, node));
}

static void
orphans_cb (SipcastRedis *redis,
            redisReply   *reply,
            gpointer      user_data)
{
  Op *op = user_data;

  if (!op->cluster->stopped && reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
      reply->elements > 0) {
    g_message (_("%zu calls of an earlier run of node %s: marked FAILED"), reply->elements / 2,
               op->node);
    mark_lost (op->cluster, op->node, reply);
  }
  op_free (op);
}

/* ---- heartbeat ---- */

static void
nodes_cb (SipcastRedis *redis,
          redisReply   *reply,
          gpointer      user_data)
{
  Op *op = user_data;
  SipcastCluster *self = op->cluster;

  if (self->stopped || reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
    op_free (op);
    return;
  }
  g_ptr_array_set_size (self->nodes, 0);
  for (size_t i = 0; i + 1 < reply->elements; i += 2) {
    redisReply *id = reply->element[i];
    redisReply *value = reply->element[i + 1];
    g_autoptr (GError) error = NULL;
    SipcastClusterNode *node;

    if (id->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING)
      continue;
    if (g_str_equal (id->str, self->node_id))
      continue;
    if (value->len == 0) {
      if (g_get_monotonic_time () >= self->reap_after_us)
        reap (self, id->str);
      continue;
    }
    node = sipcast_cluster_node_from_json (value->str, &error);
    if (node == NULL)
      g_debug ("node %s: %s", id->str, error->message);
    else
      g_ptr_array_add (self->nodes, node);
  }
  refresh_self (self);
  op_free (op);
}

static void
send_heartbeat (SipcastCluster *self)
{
  g_autoptr (SipcastClusterNode) node = NULL;
  g_autofree char *json = NULL;
  g_autofree char *node_key = key (SIPCAST_CLUSTER_NODE, self->node_id);
  g_autofree char *nodes_key = key (SIPCAST_CLUSTER_NODES, NULL);
  g_autofree char *node_prefix = key (SIPCAST_CLUSTER_NODE, "");
  g_autofree char *ttl = g_strdup_printf ("%u", self->ttl_ms);

  measure_cpu (self);
  node = self_node (self);
  json = sipcast_cluster_node_to_json (node);
  refresh_self (self);
  if (!sipcast_redis_is_connected (self->redis))
    return;
  sipcast_redis_command (self->redis, (const char *const[]) {
    "SET", node_key, json, "PX", ttl, NULL
  }, NULL, NULL);
  sipcast_redis_command (self->redis, (const char *const[]) {
    "SADD", nodes_key, self->node_id, NULL
  }, NULL, NULL);
  sipcast_redis_command (self->redis, (const char *const[]) {
    "EVAL", script_nodes, "1", nodes_key, node_prefix, NULL
  }, nodes_cb, op_new (self, NULL));
}

static gboolean
heartbeat_cb (gpointer user_data)
{
  send_heartbeat (SIPCAST_CLUSTER (user_data));
  return G_SOURCE_CONTINUE;
}

/* Redis is (back) up: this node's calls that an earlier run left are
 * lost, every call it has now is written again. */
static void
connected_cb (SipcastRedis *redis,
              gpointer      user_data)
{
  SipcastCluster *self = SIPCAST_CLUSTER (user_data);
  SipcastCallFilter filter = { NULL, };
  g_autoptr (GPtrArray) calls = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  if (self->stopped || self->advertise_url == NULL)
    return;
  self->reap_after_us = g_get_monotonic_time () + (gint64) self->ttl_ms * 1000;
  send_heartbeat (self);

  calls = sipcast_call_registry_find (self->registry, &filter);
  g_ptr_array_add (argv, g_strdup ("EVAL"));
  g_ptr_array_add (argv, g_strdup (script_orphans));
  g_ptr_array_add (argv, g_strdup ("1"));
  g_ptr_array_add (argv, key (SIPCAST_CLUSTER_NODE_CALLS, self->node_id));
  g_ptr_array_add (argv, key (SIPCAST_CLUSTER_CALL, ""));
  for (guint i = 0; i < calls->len; i++) {
    if (!sipcast_call_status_is_final (sipcast_call_get_status (calls->pdata[i])))
      g_ptr_array_add (argv, g_strdup (sipcast_call_get_id (calls->pdata[i])));
  }
  g_ptr_array_add (argv, NULL);
  sipcast_redis_command (self->redis, (const char *const *) argv->pdata, orphans_cb,
                         op_new (self, self->node_id));
  for (guint i = 0; i < calls->len; i++)
    write_call (self, calls->pdata[i], TRUE);
}

/* ---- incoming calls ---- */

static char *
admission_cb (gpointer user_data)
{
  SipcastCluster *self = SIPCAST_CLUSTER (user_data);

  if (self->draining)
    return g_strdup_printf ("node %s is draining", self->node_id);
  if (self->max_calls != 0 && live_calls (self) >= self->max_calls)
    return g_strdup_printf ("node %s has max-calls (%u) calls", self->node_id, self->max_calls);
  return NULL;
}

/* ---- GObject ---- */

static void
sipcast_cluster_dispose (GObject *object)
{
  SipcastCluster *self = SIPCAST_CLUSTER (object);

  sipcast_cluster_stop (self);
  g_clear_object (&self->redis);
  g_clear_object (&self->registry);
  g_clear_object (&self->pushes);
  g_clear_object (&self->bus);
  g_clear_object (&self->agent);
  G_OBJECT_CLASS (sipcast_cluster_parent_class)->dispose (object);
}

static void
sipcast_cluster_finalize (GObject *object)
{
  SipcastCluster *self = SIPCAST_CLUSTER (object);

  g_free (self->node_id);
  g_free (self->advertise_url);
  g_ptr_array_unref (self->nodes);
  G_OBJECT_CLASS (sipcast_cluster_parent_class)->finalize (object);
}

static void
sipcast_cluster_class_init (SipcastClusterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_cluster_dispose;
  object_class->finalize = sipcast_cluster_finalize;
}

static void
sipcast_cluster_init (SipcastCluster *self)
{
  self->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) sipcast_cluster_node_free);
}

SipcastCluster *
sipcast_cluster_new (const SipcastConfig *config,
                     SipcastCallRegistry *registry,
                     SipcastPushRegistry *pushes,
                     SipcastEventBus     *bus,
                     SipcastSipAgent     *agent,
                     GError             **error)
{
  g_autoptr (SipcastCluster) self = NULL;
  const char *node_id;

  g_return_val_if_fail (config != NULL && config->cluster_redis_url != NULL, NULL);

  node_id = config->cluster_node_id != NULL ? config->cluster_node_id : g_get_host_name ();
  /* The id is part of keys and of the claims' "NODE CALLID" values. */
  if (*node_id == '\0' || strpbrk (node_id, " \t\r\n:") != NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("[cluster] node-id “%s”: no spaces or colons"), node_id);
    return NULL;
  }

  self = g_object_new (SIPCAST_TYPE_CLUSTER, NULL);
  self->node_id = g_strdup (node_id);
  self->advertise_url = g_strdup (config->cluster_advertise_url);
  self->max_calls = config->cluster_max_calls;
  self->ttl_ms = config->cluster_heartbeat_ttl * 1000;
  self->ended_call_ttl = config->ended_call_ttl;
  self->started_at_ms = g_get_real_time () / 1000;
  self->redis = sipcast_redis_new (config->cluster_redis_url, error);
  if (self->redis == NULL)
    return NULL;
  self->registry = g_object_ref (registry);
  self->pushes = g_object_ref (pushes);
  self->bus = g_object_ref (bus);
  self->agent = g_object_ref (agent);
  sipcast_json_set_node_id (self->node_id);
  sipcast_event_bus_set_node_id (bus, self->node_id);
  sipcast_call_registry_set_admission_func (registry, admission_cb, self);
  return g_steal_pointer (&self);
}

void
sipcast_cluster_start (SipcastCluster *self,
                       const char     *rest_url)
{
  g_return_if_fail (SIPCAST_IS_CLUSTER (self));
  g_return_if_fail (self->heartbeat_id == 0);

  if (self->advertise_url == NULL)
    self->advertise_url = g_strdup (rest_url);
  self->event_id = g_signal_connect (self->bus, "event", G_CALLBACK (event_cb), self);
  self->connected_id = g_signal_connect (self->redis, "connected", G_CALLBACK (connected_cb),
                                         self);
  /* OPTIONS answered by us, so that a drained node says 503 to the
   * dispatcher's probes. */
  sipcast_sip_agent_set_options_status (self->agent, 200);
  self->heartbeat_id = g_timeout_add (MAX (self->ttl_ms / 3, 100), heartbeat_cb, self);
  g_message (_("cluster node %s, reachable at %s, %u s heartbeat TTL"), self->node_id,
             self->advertise_url, self->ttl_ms / 1000);
  if (sipcast_redis_is_connected (self->redis))
    connected_cb (self->redis, self);
}

void
sipcast_cluster_stop (SipcastCluster *self)
{
  g_return_if_fail (SIPCAST_IS_CLUSTER (self));

  if (self->stopped)
    return;
  self->stopped = TRUE;
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  if (self->event_id != 0)
    g_clear_signal_handler (&self->event_id, self->bus);
  if (self->connected_id != 0)
    g_clear_signal_handler (&self->connected_id, self->redis);
  if (self->registry != NULL)
    sipcast_call_registry_set_admission_func (self->registry, NULL, NULL);
  g_clear_handle_id (&self->leave_timeout_id, g_source_remove);
  if (self->redis != NULL)
    sipcast_redis_close (self->redis);
}

static void
finish_leave (SipcastCluster *self)
{
  GSourceFunc done = self->leave_done;

  g_clear_handle_id (&self->leave_timeout_id, g_source_remove);
  self->leave_done = NULL;
  if (done != NULL)
    done (self->leave_data);
}

static void
left_cb (SipcastRedis *redis,
         redisReply   *reply,
         gpointer      user_data)
{
  Op *op = user_data;

  finish_leave (op->cluster);
  op_free (op);
}

static gboolean
leave_timeout_cb (gpointer user_data)
{
  SipcastCluster *self = user_data;

  self->leave_timeout_id = 0;
  g_warning (_("Redis did not confirm that node %s left the cluster"), self->node_id);
  finish_leave (self);
  return G_SOURCE_REMOVE;
}

void
sipcast_cluster_leave (SipcastCluster *self,
                       GSourceFunc     done,
                       gpointer        user_data)
{
  g_autofree char *node_key = NULL;
  g_autofree char *nodes_key = NULL;

  g_return_if_fail (SIPCAST_IS_CLUSTER (self));
  g_return_if_fail (self->leave_done == NULL);

  self->leave_done = done;
  self->leave_data = user_data;
  g_clear_handle_id (&self->heartbeat_id, g_source_remove);
  if (self->stopped || !sipcast_redis_is_connected (self->redis)) {
    finish_leave (self);
    return;
  }
  node_key = key (SIPCAST_CLUSTER_NODE, self->node_id);
  nodes_key = key (SIPCAST_CLUSTER_NODES, NULL);
  self->leave_timeout_id = g_timeout_add_seconds (2, leave_timeout_cb, self);
  /* Every call ended with the daemon: nothing for the others to reap.
   * Redis answers in order: the second reply means both are done. */
  sipcast_redis_command (self->redis, (const char *const[]) { "DEL", node_key, NULL },
                         NULL, NULL);
  sipcast_redis_command (self->redis, (const char *const[]) {
    "SREM", nodes_key, self->node_id, NULL
  }, left_cb, op_new (self, NULL));
}

const char *
sipcast_cluster_get_node_id (SipcastCluster *self)
{
  g_return_val_if_fail (SIPCAST_IS_CLUSTER (self), NULL);
  return self->node_id;
}

SipcastRedis *
sipcast_cluster_get_redis (SipcastCluster *self)
{
  g_return_val_if_fail (SIPCAST_IS_CLUSTER (self), NULL);
  return self->redis;
}

SipcastCallRegistry *
sipcast_cluster_get_registry (SipcastCluster *self)
{
  g_return_val_if_fail (SIPCAST_IS_CLUSTER (self), NULL);
  return self->registry;
}

SipcastPushRegistry *
sipcast_cluster_get_pushes (SipcastCluster *self)
{
  g_return_val_if_fail (SIPCAST_IS_CLUSTER (self), NULL);
  return self->pushes;
}

void
sipcast_cluster_set_draining (SipcastCluster *self,
                              gboolean        draining)
{
  g_return_if_fail (SIPCAST_IS_CLUSTER (self));

  draining = !!draining;
  if (self->draining == draining)
    return;
  self->draining = draining;
  g_message (draining ? _("node %s draining: no new calls") : _("node %s takes calls again"),
             self->node_id);
  sipcast_sip_agent_set_options_status (self->agent, draining ? 503 : 200);
  /* At once, not at the next tick: the others stop placing calls here. */
  if (!self->stopped)
    send_heartbeat (self);
}

gboolean
sipcast_cluster_get_draining (SipcastCluster *self)
{
  g_return_val_if_fail (SIPCAST_IS_CLUSTER (self), FALSE);
  return self->draining;
}

GPtrArray *
sipcast_cluster_get_nodes (SipcastCluster *self)
{
  g_return_val_if_fail (SIPCAST_IS_CLUSTER (self), NULL);
  measure_cpu (self);
  refresh_self (self);
  return self->nodes;
}

const SipcastClusterNode *
sipcast_cluster_lookup_node (SipcastCluster *self,
                             const char     *id)
{
  g_return_val_if_fail (SIPCAST_IS_CLUSTER (self), NULL);

  for (guint i = 0; i < self->nodes->len; i++) {
    const SipcastClusterNode *node = self->nodes->pdata[i];

    if (g_strcmp0 (node->id, id) == 0)
      return node;
  }
  return NULL;
}

void
sipcast_cluster_note_placed (SipcastCluster *self,
                             const char     *id)
{
  g_return_if_fail (SIPCAST_IS_CLUSTER (self));

  for (guint i = 0; i < self->nodes->len; i++) {
    SipcastClusterNode *node = self->nodes->pdata[i];

    if (g_strcmp0 (node->id, id) == 0)
      node->calls++;
  }
}

void
sipcast_cluster_count_forwarded (SipcastCluster *self)
{
  g_return_if_fail (SIPCAST_IS_CLUSTER (self));
  self->n_forwarded++;
}

void
sipcast_cluster_render_metrics (SipcastCluster *self,
                                GString        *out)
{
  g_return_if_fail (SIPCAST_IS_CLUSTER (self));

  g_string_append_printf (out,
    "# HELP sipcast_cluster_redis_up Whether the node is connected to Redis.\n"
    "# TYPE sipcast_cluster_redis_up gauge\n"
    "sipcast_cluster_redis_up %d\n"
    "# HELP sipcast_cluster_redis_disconnects_total Connections to Redis lost.\n"
    "# TYPE sipcast_cluster_redis_disconnects_total counter\n"
    "sipcast_cluster_redis_disconnects_total %u\n"
    "# HELP sipcast_cluster_redis_commands_total Commands sent to Redis (a script counts once).\n"
    "# TYPE sipcast_cluster_redis_commands_total counter\n"
    "sipcast_cluster_redis_commands_total %" G_GUINT64_FORMAT "\n"
    "# HELP sipcast_cluster_nodes Live nodes as of the last heartbeat round, this one included.\n"
    "# TYPE sipcast_cluster_nodes gauge\n"
    "sipcast_cluster_nodes %u\n"
    "# HELP sipcast_cluster_draining Whether this node refuses new calls.\n"
    "# TYPE sipcast_cluster_draining gauge\n"
    "sipcast_cluster_draining %d\n"
    "# HELP sipcast_cluster_forwarded_total REST requests forwarded to another node.\n"
    "# TYPE sipcast_cluster_forwarded_total counter\n"
    "sipcast_cluster_forwarded_total %" G_GUINT64_FORMAT "\n"
    "# HELP sipcast_cluster_nodes_lost_total Nodes this one found dead and reaped.\n"
    "# TYPE sipcast_cluster_nodes_lost_total counter\n"
    "sipcast_cluster_nodes_lost_total %u\n"
    "# HELP sipcast_cluster_calls_lost_total Calls marked FAILED \"Node lost\" by this node.\n"
    "# TYPE sipcast_cluster_calls_lost_total counter\n"
    "sipcast_cluster_calls_lost_total %u\n",
    sipcast_redis_is_connected (self->redis), sipcast_redis_get_n_disconnects (self->redis),
    sipcast_redis_get_n_commands (self->redis), self->nodes->len, self->draining,
    self->n_forwarded, self->n_nodes_lost, self->n_calls_lost);
}

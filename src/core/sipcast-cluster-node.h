/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The pure parts of a cluster of sipcast nodes (README "Cluster"): how the
 * shared state is named in Redis, what a node's heartbeat says (as JSON),
 * which node a new call goes to, and whether a Call object kept in Redis
 * matches a /call/find filter.  No I/O: the daemon's SipcastCluster does
 * the talking, these are unit-tested on their own.
 */

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Every key starts with this; see sipcast_cluster_key(). */
#define SIPCAST_CLUSTER_KEY_PREFIX "sipcast:"

/* The kinds of keys (README "Cluster" lists what each holds). */
#define SIPCAST_CLUSTER_NODES      "nodes"       /* set of node ids ever heard of */
#define SIPCAST_CLUSTER_NODE       "node"        /* node:ID, the heartbeat JSON, with a TTL */
#define SIPCAST_CLUSTER_CALLS      "calls"       /* set of the callIds of every stored Call */
#define SIPCAST_CLUSTER_CALL       "call"        /* call:ID, the Call object (JSON) */
#define SIPCAST_CLUSTER_NODE_CALLS "node-calls"  /* node-calls:ID, the live callIds of a node */
#define SIPCAST_CLUSTER_OWNER      "owner"       /* owner:CALLID, the node of a live call */
#define SIPCAST_CLUSTER_TARGET     "target"      /* target:LOCATION, its publishing call */
#define SIPCAST_CLUSTER_STREAM     "stream"      /* stream:NAME, its call ("NODE CALLID") */
#define SIPCAST_CLUSTER_PUSHES     "pushes"      /* set of the ids of every stored Push */
#define SIPCAST_CLUSTER_PUSH       "push"        /* push:ID, the Push object with nodeId */

/* "sipcast:KIND:ID", or "sipcast:KIND" when @id is NULL. */
char *sipcast_cluster_key (const char *kind,
                           const char *id);

/* What a node says about itself in its heartbeat key. */
typedef struct {
  char    *id;
  char    *url;            /* advertise-url: its REST base, .../rest-api */
  guint    calls;          /* live calls */
  guint    capacity;       /* max-calls; 0 = no limit */
  guint    cpu;            /* the process's CPU time over the last period, % of one core */
  gboolean draining;       /* takes no new calls */
  gint64   started_at_ms;  /* wall clock; a restarted node has a new one */
} SipcastClusterNode;

void sipcast_cluster_node_free (SipcastClusterNode *node);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastClusterNode, sipcast_cluster_node_free)

/* {"id":…,"url":…,"calls":N,"capacity":N,"cpu":PERCENT,"draining":B,"startedAt":MS} */
char *sipcast_cluster_node_to_json (const SipcastClusterNode *node);

/* The inverse; NULL with G_IO_ERROR_INVALID_DATA for anything that is not
 * such an object (id and url are required). */
SipcastClusterNode *sipcast_cluster_node_from_json (const char *json,
                                                    GError    **error);

/* Whether @node takes another call: not draining and below its capacity. */
gboolean sipcast_cluster_node_has_room (const SipcastClusterNode *node);

/* Where a new call goes: @self_id when that node (in @nodes) has room,
 * else the node with room that is least loaded (lowest calls/capacity,
 * then fewest calls, then least CPU, then by id, so that every node
 * chooses alike); NULL when none has room.  @nodes: SipcastClusterNode,
 * the live ones. */
const SipcastClusterNode *sipcast_cluster_choose_node (GPtrArray  *nodes,
                                                       const char *self_id);

/* Whether the Call object @call matches: every non-NULL field equal to
 * the member of the same name (callId, callee, rtmpUrl, status, sipLogin,
 * sipDomain, appKey; a member that is absent or null matches no value). */
typedef struct {
  const char *call_id;
  const char *callee;
  const char *rtmp_url;
  const char *status;
  const char *sip_login;
  const char *sip_domain;
  const char *app_key;
} SipcastClusterCallFilter;

gboolean sipcast_cluster_call_matches (JsonObject                     *call,
                                       const SipcastClusterCallFilter *filter);

/* The Call object of a call whose node was lost: a copy of @call with
 * status FAILED and statusInfo "Node lost" (keys and their order kept). */
JsonObject *sipcast_cluster_call_mark_lost (JsonObject *call);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * This node's membership of a cluster of sipcast nodes sharing one Redis
 * (README "Cluster"; [cluster] redis-url): its heartbeat key (id, REST
 * URL, live calls, capacity, CPU) renewed every third of its TTL, every
 * call and push of this node written to Redis as it changes (with
 * nodeId), the atomic claims that keep callId, RTMP target and toStream
 * unique across the nodes, and the watch on the other nodes: one whose
 * heartbeat expired has its calls marked FAILED "Node lost" by exactly
 * one survivor, which publishes their events.  Redis down: the node goes
 * on with its own calls, and writes them all again when Redis is back.
 * It also decides whether this node takes new calls (drain, max-calls),
 * for SIP (503, OPTIONS answered 503) and for /call/startup.
 */

#include <json-glib/json-glib.h>
#include "sipcast-call-registry.h"
#include "sipcast-cluster-node.h"
#include "sipcast-event-bus.h"
#include "sipcast-push-registry.h"
#include "sipcast-redis.h"
#include "sipcast-sip-agent.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_CLUSTER (sipcast_cluster_get_type ())
G_DECLARE_FINAL_TYPE (SipcastCluster, sipcast_cluster, SIPCAST, CLUSTER, GObject)

/* NULL with SIPCAST_ERROR_CONFIG for a bad [cluster] configuration.
 * Follows @registry, @pushes (their calls and pushes into Redis) and
 * publishes lost calls' events on @bus. */
SipcastCluster *sipcast_cluster_new (const SipcastConfig *config,
                                     SipcastCallRegistry *registry,
                                     SipcastPushRegistry *pushes,
                                     SipcastEventBus     *bus,
                                     SipcastSipAgent     *agent,
                                     GError             **error);

/* Starts the heartbeat; @rest_url (this node's REST base) is what other
 * nodes use unless [cluster] advertise-url says otherwise. */
void sipcast_cluster_start (SipcastCluster *self,
                            const char     *rest_url);

/* Removes this node's heartbeat (its calls ended with the daemon), so
 * that nobody takes it for lost, then runs @done (within 2 s, Redis or
 * not).  For the end of a clean shutdown, before the main loop stops. */
void sipcast_cluster_leave (SipcastCluster *self,
                            GSourceFunc     done,
                            gpointer        user_data);

/* Stops the heartbeat and closes the connection; nothing runs
 * afterwards. */
void sipcast_cluster_stop (SipcastCluster *self);

const char   *sipcast_cluster_get_node_id (SipcastCluster *self);
SipcastRedis *sipcast_cluster_get_redis (SipcastCluster *self);
SipcastCallRegistry *sipcast_cluster_get_registry (SipcastCluster *self);
SipcastPushRegistry *sipcast_cluster_get_pushes (SipcastCluster *self);

/* Draining: no new calls (SIP 503, OPTIONS 503, /call/startup placed on
 * another node) while the calls there finish. */
void     sipcast_cluster_set_draining (SipcastCluster *self,
                                       gboolean        draining);
gboolean sipcast_cluster_get_draining (SipcastCluster *self);

/* The live nodes as of the last heartbeat round, this one (as it is now)
 * included; SipcastClusterNode, borrowed. */
GPtrArray *sipcast_cluster_get_nodes (SipcastCluster *self);

/* The node with @id among the live ones, or NULL. */
const SipcastClusterNode *sipcast_cluster_lookup_node (SipcastCluster *self,
                                                       const char     *id);

/* A call was just placed on node @id: counted in its load until its next
 * heartbeat says, so that a burst of startups is spread, not all sent to
 * the node that was least loaded a heartbeat ago. */
void sipcast_cluster_note_placed (SipcastCluster *self,
                                  const char     *id);

/* Counted in /metrics. */
void sipcast_cluster_count_forwarded (SipcastCluster *self);

/* The cluster's lines of /metrics. */
void sipcast_cluster_render_metrics (SipcastCluster *self,
                                     GString        *out);

/* The Lua scripts of the REST side (sipcast-cluster-rest.c), kept with
 * the others so that every key layout is in one file. */
extern const char sipcast_cluster_script_claim[];
extern const char sipcast_cluster_script_release[];
extern const char sipcast_cluster_script_find[];
extern const char sipcast_cluster_script_find_one[];
extern const char sipcast_cluster_script_owner[];
extern const char sipcast_cluster_script_live_owner[];

G_END_DECLS

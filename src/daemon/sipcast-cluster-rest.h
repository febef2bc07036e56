/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The REST API of a cluster node over all nodes (README "Cluster"): the
 * requests that concern another node's call or push are forwarded to it
 * (HTTP, with the client's production-mode credentials) and its answer
 * returned as it came; /call/find and /call/find_all add the other nodes'
 * calls from Redis; /call/startup is placed (here when this node has
 * room, else on the least loaded one) and its callId, RTMP target and
 * toStream claimed in Redis before it starts, so no two nodes accept the
 * same.  Also the node's own methods: /node/drain, /node/resume,
 * /node/find_all.  With Redis down every request is this node's alone,
 * as on a node on its own.
 */

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include "sipcast-cluster.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_CLUSTER_REST (sipcast_cluster_rest_get_type ())
G_DECLARE_FINAL_TYPE (SipcastClusterRest, sipcast_cluster_rest, SIPCAST, CLUSTER_REST, GObject)

/* The header a forwarded request carries (the forwarding node's id): the
 * node that gets it runs the request itself. */
#define SIPCAST_CLUSTER_FORWARDED_HEADER "X-Sipcast-Forwarded-By"

/* What this node would answer on its own: the REST server's handler for
 * @method (relative to /rest-api). */
typedef JsonNode *(*SipcastClusterLocalFunc) (GObject     *owner,
                                              const char  *method,
                                              JsonObject  *body,
                                              GError     **error);

SipcastClusterRest *sipcast_cluster_rest_new (SipcastCluster *cluster);

/* Whether @method (relative to /rest-api) is one of the /node/ methods. */
gboolean sipcast_cluster_rest_owns (const char *method);

/* Takes @msg when the cluster has a say in @method: answers it, at once
 * or later (@msg paused meanwhile, @owner referenced), and returns TRUE.
 * FALSE: the request is this node's alone, for @local. */
gboolean sipcast_cluster_rest_handle (SipcastClusterRest      *self,
                                      SoupServerMessage       *msg,
                                      const char              *method,
                                      JsonObject              *body,
                                      SipcastClusterLocalFunc  local,
                                      GObject                 *owner);

G_END_DECLS

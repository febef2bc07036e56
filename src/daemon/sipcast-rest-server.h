/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The REST API of SPEC.md on libsoup 3: routing of /rest-api/..., JSON
 * bodies in and out, HTTP Basic auth in production mode, and the single
 * place where SipcastError codes become HTTP statuses.
 */

#include <gio/gio.h>
#include "sipcast-call-registry.h"
#include "sipcast-config.h"
#include "sipcast-push-registry.h"
#include "sipcast-rest-events.h"
#include "sipcast-metrics.h"
#include "sipcast-users.h"
#include "sipcast-cluster-rest.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_REST_SERVER (sipcast_rest_server_get_type ())
G_DECLARE_FINAL_TYPE (SipcastRestServer, sipcast_rest_server, SIPCAST, REST_SERVER, GObject)

/* @users: NULL = no authentication (non-production). */
SipcastRestServer *sipcast_rest_server_new (const SipcastConfig  *config,
                                            SipcastCallRegistry  *registry,
                                            SipcastPushRegistry  *pushes,
                                            SipcastUsers         *users);

/* Listens on the configured address/port and logs
 * "REST listening on http://ADDR:PORT/rest-api" (https:// with [rest]
 * tls-certificate). */
gboolean sipcast_rest_server_start (SipcastRestServer *self,
                                    GError           **error);

/* GET /rest-api/events is served by @events (NULL: 404 like any
 * unknown method); before start. */
void sipcast_rest_server_set_events (SipcastRestServer *self,
                                     SipcastRestEvents *events);

/* GET /metrics is served by @metrics, which also counts the requests
 * and the DTMF sent (NULL: 404); before start. */
void sipcast_rest_server_set_metrics (SipcastRestServer *self,
                                      SipcastMetrics    *metrics);

/* A node of a cluster: requests over every node (sipcast-cluster-rest.h). */
void sipcast_rest_server_set_cluster (SipcastRestServer  *self,
                                      SipcastClusterRest *cluster);

/* The port listened on, 0 before start. */
guint sipcast_rest_server_get_port (SipcastRestServer *self);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * GET /metrics: the daemon in the Prometheus text format (version 0.0.4;
 * README "Metrics").  Counters and histograms are kept from the event
 * bus (calls started and ended, set-up times, RTMP reconnects, DTMF) and
 * from what the REST server reports (requests, DTMF sent); gauges and the
 * RTP/FLV counters are read when scraped, from the registries and the
 * media sessions' own statistics.
 */

#include <libsoup/soup.h>
#include "sipcast-call-registry.h"
#include "sipcast-cluster.h"
#include "sipcast-config.h"
#include "sipcast-event-bus.h"
#include "sipcast-hooks.h"
#include "sipcast-push-registry.h"
#include "sipcast-sip-agent.h"
#include "sipcast-rest-events.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_METRICS (sipcast_metrics_get_type ())
G_DECLARE_FINAL_TYPE (SipcastMetrics, sipcast_metrics, SIPCAST, METRICS, GObject)

/* @pushes, @hooks, @events: nullable (their metrics are left out). */
SipcastMetrics *sipcast_metrics_new (const SipcastConfig *config,
                                     SipcastEventBus     *bus,
                                     SipcastCallRegistry *calls,
                                     SipcastPushRegistry *pushes,
                                     SipcastHooks        *hooks,
                                     SipcastRestEvents   *events);

/* The SIP agent whose guard counts what it refused (requests over
 * [sip] max-requests-per-second, INVITEs from outside [sip]
 * trusted-networks); without one those metrics are left out. */
void sipcast_metrics_set_sip_agent (SipcastMetrics  *self,
                                    SipcastSipAgent *agent);

/* [metrics] require-auth. */
gboolean sipcast_metrics_requires_auth (SipcastMetrics *self);

/* A REST request answered: @method is the API method ("/call/startup"),
 * "/events", "/metrics" or "other" (a bounded set of labels). */
void sipcast_metrics_count_request (SipcastMetrics *self,
                                    const char     *method,
                                    guint           status);

/* @n_digits sent to a far end as @type ("RFC2833", "INFO"…). */
void sipcast_metrics_count_dtmf_sent (SipcastMetrics *self,
                                      const char     *type,
                                      guint           n_digits);

/* The whole exposition, as GET /metrics answers it. */
char *sipcast_metrics_render (SipcastMetrics *self);

/* Answers @msg (authorized): 405 unless GET or HEAD, else the text. */
void sipcast_metrics_serve (SipcastMetrics    *self,
                           SoupServerMessage *msg);

/* A node of a cluster: its sipcast_cluster_* lines too. */
void sipcast_metrics_set_cluster (SipcastMetrics *self,
                                  SipcastCluster *cluster);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * GET /rest-api/events: the event bus as Server-Sent Events (README
 * "Events").  Each client gets "id: N\nevent: TYPE\ndata: JSON\n\n" per
 * event, optionally only those of one callId and some types
 * (?callId=X&type=a,b), resumes after Last-Event-ID (header, or
 * ?lastEventId=) from the bus's backlog, and a ": keep-alive" comment
 * when nothing else was sent for a while.  Output is written as the
 * socket takes it, never waited for; a client that falls more than
 * [events] max-pending bytes behind is disconnected.
 */

#include <libsoup/soup.h>
#include "sipcast-config.h"
#include "sipcast-event-bus.h"
#include "sipcast-rest-listener.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_REST_EVENTS (sipcast_rest_events_get_type ())
G_DECLARE_FINAL_TYPE (SipcastRestEvents, sipcast_rest_events, SIPCAST, REST_EVENTS, GObject)

SipcastRestEvents *sipcast_rest_events_new (const SipcastConfig *config,
                                            SipcastEventBus     *bus);

/* Answers @msg (authorized, any method) on the connection @listener
 * holds: 405 unless GET, 400 for an unknown type, else the stream. */
void sipcast_rest_events_serve (SipcastRestEvents   *self,
                                SoupServerMessage   *msg,
                                GHashTable          *query,
                                SipcastRestListener *listener);

/* Clients connected now; clients dropped for falling behind so far. */
guint   sipcast_rest_events_get_n_clients (SipcastRestEvents *self);
guint64 sipcast_rest_events_get_n_dropped (SipcastRestEvents *self);

G_END_DECLS

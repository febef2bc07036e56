/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What happens in the daemon, as numbered events (README "Events"): call
 * status changes (with the Call object), RTMP status changes, DTMF
 * received, push status changes and ended injections.  The bus follows
 * the call and push registries, gives every event the next id, keeps the
 * last ones in a bounded backlog (for Last-Event-ID resumes) and hands
 * each to its listeners ("event" signal): the SSE endpoint, the webhooks
 * and the metrics.  Events are immutable and reference-counted, their
 * JSON written once.
 */

#include <json-glib/json-glib.h>
#include "sipcast-call-registry.h"
#include "sipcast-push-registry.h"

G_BEGIN_DECLS

typedef enum {
  SIPCAST_EVENT_CALL_STATUS,
  SIPCAST_EVENT_RTMP_STATUS,
  SIPCAST_EVENT_DTMF,
  SIPCAST_EVENT_PUSH_STATUS,
  SIPCAST_EVENT_INJECTION_ENDED,
} SipcastEventType;

#define SIPCAST_EVENT_N_TYPES (SIPCAST_EVENT_INJECTION_ENDED + 1)

/* "call_status", "rtmp_status", "dtmf", "push_status", "injection_ended". */
const char *sipcast_event_type_to_string (SipcastEventType type);
gboolean    sipcast_event_type_from_string (const char       *name,
                                            SipcastEventType *out);

typedef struct {
  guint64 id;                 /* 1, 2, …: the SSE id */
  SipcastEventType type;
  gint64 timestamp_ms;        /* wall clock, ms since the epoch */
  char *call_id;              /* NULL for pushes */
  char *hook_url;             /* the call's own "hookUrl", or NULL */
  char *data;                 /* the JSON object (README "Events") */
  /* For those who count (metrics): the new and the previous status of a
   * call, RTMP stream or push (a SipcastCallStatus or SipcastRtmpStatus);
   * the DTMF method or injection kind. */
  int status;
  int previous;
  const char *detail;         /* static string or NULL */
  gboolean incoming;          /* the call's direction */
  gint64 created_at_us;       /* the call's /call/startup time */
  JsonObject *fields;         /* private: the members after callId, until numbered */
  GObject *source;            /* the call or push, during the "event" emission
                               * only (NULL afterwards, and when built by hand) */
} SipcastEvent;

SipcastEvent *sipcast_event_ref (SipcastEvent *event);
void          sipcast_event_unref (SipcastEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastEvent, sipcast_event_unref)

/* "id: N\nevent: TYPE\ndata: JSON\n\n" (the JSON has no newline). */
char *sipcast_event_to_sse (const SipcastEvent *event);

#define SIPCAST_TYPE_EVENT_BUS (sipcast_event_bus_get_type ())
G_DECLARE_FINAL_TYPE (SipcastEventBus, sipcast_event_bus, SIPCAST, EVENT_BUS, GObject)

/* Signal "event" (SipcastEvent *, borrowed: ref it to keep it), in id
 * order, on the main context. */

/* Keeps the last @backlog events (0: none). */
SipcastEventBus *sipcast_event_bus_new (guint backlog);

/* Publishes the events of every call @calls starts or answers from now
 * on, and of every push of @pushes (nullable). */
void sipcast_event_bus_follow (SipcastEventBus     *self,
                               SipcastCallRegistry *calls,
                               SipcastPushRegistry *pushes);

/* Publishes an event of @type with the members of @fields (taken) after
 * id, type, timestamp and callId (omitted when @call_id is NULL).
 * Returns it (borrowed). */
SipcastEvent *sipcast_event_bus_publish (SipcastEventBus  *self,
                                         SipcastEventType  type,
                                         const char       *call_id,
                                         JsonObject       *fields);

/* Every event from now on carries "nodeId" (after "timestamp"): which
 * node of a cluster published it. */
void sipcast_event_bus_set_node_id (SipcastEventBus *self,
                                    const char      *node_id);

/* The id of the last event published, 0 before any. */
guint64 sipcast_event_bus_get_last_id (SipcastEventBus *self);

/* The backlog's events with an id above @last_id, oldest first (a new
 * array of references).  *@complete is FALSE when events after @last_id
 * have already left the backlog. */
GPtrArray *sipcast_event_bus_since (SipcastEventBus *self,
                                    guint64          last_id,
                                    gboolean        *complete);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-events"

#include "sipcast-event-bus.h"
#include "sipcast-json.h"
#include "sipcast-types.h"

/*
 * The bus connects to each call as the call registry starts it
 * ("call-starting"), so that the status changes a call goes through
 * while it is being placed (NEW → PENDING → TRYING happen inside
 * sipcast_call_start()) are not lost.  Until the registry has taken the
 * call ("call-added") its events are held on the call, without ids;
 * then they get theirs and go out in order.  A call the registry
 * abandons (an error answered /call/startup) never existed for clients:
 * its held events are dropped.  Handlers are connected with
 * g_signal_connect_object(), so they go with whichever of bus and call
 * goes first.
 */

/* On a call: GPtrArray of SipcastEvent held until "call-added". */
#define HELD_KEY "sipcast-event-bus-held"
/* On a call: its last RTMP status + 1 (0: none seen yet). */
#define RTMP_KEY "sipcast-event-bus-rtmp"

static const char *const type_names[SIPCAST_EVENT_N_TYPES] = {
  [SIPCAST_EVENT_CALL_STATUS] = "call_status",
  [SIPCAST_EVENT_RTMP_STATUS] = "rtmp_status",
  [SIPCAST_EVENT_DTMF] = "dtmf",
  [SIPCAST_EVENT_PUSH_STATUS] = "push_status",
  [SIPCAST_EVENT_INJECTION_ENDED] = "injection_ended",
};

enum {
  SIGNAL_EVENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _SipcastEventBus {
  GObject parent_instance;

  guint backlog_size;
  GQueue backlog;             /* SipcastEvent (owned), oldest first */
  guint64 last_id;
  char *node_id;              /* [cluster] node-id, or NULL */
};

G_DEFINE_FINAL_TYPE (SipcastEventBus, sipcast_event_bus, G_TYPE_OBJECT)

const char *
sipcast_event_type_to_string (SipcastEventType type)
{
  g_return_val_if_fail (type < SIPCAST_EVENT_N_TYPES, NULL);
  return type_names[type];
}

gboolean
sipcast_event_type_from_string (const char       *name,
                                SipcastEventType *out)
{
  for (guint i = 0; i < SIPCAST_EVENT_N_TYPES; i++) {
    if (g_strcmp0 (name, type_names[i]) == 0) {
      *out = (SipcastEventType) i;
      return TRUE;
    }
  }
  return FALSE;
}

static void
event_clear (SipcastEvent *event)
{
  g_free (event->call_id);
  g_free (event->hook_url);
  g_free (event->data);
  g_clear_pointer (&event->fields, json_object_unref);
  g_clear_object (&event->source);
}

SipcastEvent *
sipcast_event_ref (SipcastEvent *event)
{
  return g_atomic_rc_box_acquire (event);
}

void
sipcast_event_unref (SipcastEvent *event)
{
  g_atomic_rc_box_release_full (event, (GDestroyNotify) event_clear);
}

char *
sipcast_event_to_sse (const SipcastEvent *event)
{
  return g_strdup_printf ("id: %" G_GUINT64_FORMAT "\nevent: %s\ndata: %s\n\n", event->id,
                          type_names[event->type], event->data);
}

/* An event without id: its fields are kept as an object until
 * dispatch() numbers it and writes its JSON. */
static SipcastEvent *
event_new (SipcastEventType  type,
           const char       *call_id,
           JsonObject       *fields)
{
  SipcastEvent *event = g_atomic_rc_box_new0 (SipcastEvent);

  event->type = type;
  event->timestamp_ms = g_get_real_time () / 1000;
  event->call_id = g_strdup (call_id);
  event->fields = fields;
  return event;
}

static void
write_json (SipcastEvent *event,
            const char   *node_id)
{
  g_autoptr (JsonObject) fields = g_steal_pointer (&event->fields);
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *object = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  json_object_set_int_member (object, "id", (gint64) event->id);
  json_object_set_string_member (object, "type", type_names[event->type]);
  json_object_set_int_member (object, "timestamp", event->timestamp_ms);
  if (node_id != NULL)
    json_object_set_string_member (object, "nodeId", node_id);
  if (event->call_id != NULL)
    json_object_set_string_member (object, "callId", event->call_id);
  json_object_iter_init (&iter, fields);
  while (json_object_iter_next (&iter, &name, &value))
    json_object_set_member (object, name, json_node_copy (value));
  json_node_take_object (root, object);
  event->data = json_to_string (root, FALSE);
}

/* Numbers @event (taken), keeps it in the backlog and hands it out. */
static SipcastEvent *
dispatch (SipcastEventBus *self,
          SipcastEvent    *event)
{
  event->id = ++self->last_id;
  write_json (event, self->node_id);

  if (self->backlog_size > 0) {
    g_queue_push_tail (&self->backlog, sipcast_event_ref (event));
    while (self->backlog.length > self->backlog_size)
      sipcast_event_unref (g_queue_pop_head (&self->backlog));
  }
  g_signal_emit (self, signals[SIGNAL_EVENT], 0, event);
  /* Kept events must not keep calls alive after the registry dropped
   * them. */
  g_clear_object (&event->source);
  /* The backlog may hold none: the listeners had their chance. */
  sipcast_event_unref (event);
  return self->backlog_size > 0 ? event : NULL;
}

/* @event (taken) of @call: held while the registry has not taken the
 * call yet, else dispatched. */
static void
publish_for_call (SipcastEventBus *self,
                  SipcastCall     *call,
                  SipcastEvent    *event)
{
  GPtrArray *held = g_object_get_data (G_OBJECT (call), HELD_KEY);

  event->hook_url = g_strdup (sipcast_call_get_params (call)->hook_url);
  event->incoming = sipcast_call_get_incoming (call);
  event->created_at_us = sipcast_call_get_created_at (call);
  event->source = G_OBJECT (g_object_ref (call));
  if (held != NULL)
    g_ptr_array_add (held, event);
  else
    dispatch (self, event);
}

static void
publish_call_status (SipcastEventBus   *self,
                     SipcastCall       *call,
                     SipcastCallStatus  status,
                     SipcastCallStatus  previous)
{
  JsonObject *fields = json_object_new ();
  SipcastEvent *event;

  json_object_set_member (fields, "call", sipcast_call_to_json (call));
  event = event_new (SIPCAST_EVENT_CALL_STATUS, sipcast_call_get_id (call), fields);
  event->status = status;
  event->previous = previous;
  publish_for_call (self, call, event);
}

static void
call_state_changed_cb (SipcastCall       *call,
                       SipcastCallStatus  status,
                       SipcastCallStatus  previous,
                       gpointer           user_data)
{
  publish_call_status (SIPCAST_EVENT_BUS (user_data), call, status, previous);
}

/* Also when only rtmpStreamStatusInfo changed (a failed attempt says
 * why): previous and new status are then the same. */
static void
call_rtmp_status_cb (SipcastCall *call,
                     GParamSpec  *pspec,
                     gpointer     user_data)
{
  SipcastRtmpStatus status = sipcast_call_get_rtmp_status (call);
  int previous = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (call), RTMP_KEY)) - 1;
  JsonObject *fields = json_object_new ();
  SipcastEvent *event;
  const char *info = sipcast_call_get_rtmp_status_info (call);

  g_object_set_data (G_OBJECT (call), RTMP_KEY, GINT_TO_POINTER (status + 1));
  if (status == SIPCAST_RTMP_STATUS_NONE)
    json_object_set_null_member (fields, "rtmpStreamStatus");
  else
    json_object_set_string_member (fields, "rtmpStreamStatus",
                                   sipcast_rtmp_status_to_string (status));
  if (info != NULL)
    json_object_set_string_member (fields, "rtmpStreamStatusInfo", info);
  else
    json_object_set_null_member (fields, "rtmpStreamStatusInfo");
  event = event_new (SIPCAST_EVENT_RTMP_STATUS, sipcast_call_get_id (call), fields);
  event->status = status;
  event->previous = previous < 0 ? (int) SIPCAST_RTMP_STATUS_NONE : previous;
  publish_for_call (SIPCAST_EVENT_BUS (user_data), call, event);
}

static void
call_dtmf_received_cb (SipcastCall *call,
                       const char  *digit,
                       const char  *method,
                       gpointer     user_data)
{
  JsonObject *fields = json_object_new ();
  SipcastEvent *event;

  json_object_set_string_member (fields, "dtmf", digit);
  json_object_set_string_member (fields, "method", method);
  event = event_new (SIPCAST_EVENT_DTMF, sipcast_call_get_id (call), fields);
  event->detail = g_str_equal (method, "INFO") ? "INFO" : "RFC2833";
  publish_for_call (SIPCAST_EVENT_BUS (user_data), call, event);
}

static void
call_injection_ended_cb (SipcastCall *call,
                         const char  *kind,
                         const char  *name,
                         gpointer     user_data)
{
  JsonObject *fields = json_object_new ();
  JsonObject *injection = json_object_new ();
  gboolean stream = g_str_equal (kind, "stream");
  SipcastEvent *event;

  json_object_set_string_member (injection, "type", stream ? "stream" : "sound");
  json_object_set_string_member (injection, stream ? "streamName" : "fileName", name);
  json_object_set_object_member (fields, "injection", injection);
  event = event_new (SIPCAST_EVENT_INJECTION_ENDED, sipcast_call_get_id (call), fields);
  event->detail = stream ? "stream" : "sound";
  publish_for_call (SIPCAST_EVENT_BUS (user_data), call, event);
}

static void
call_starting_cb (SipcastCallRegistry *calls,
                  SipcastCall         *call,
                  gpointer             user_data)
{
  SipcastEventBus *self = SIPCAST_EVENT_BUS (user_data);

  g_object_set_data_full (G_OBJECT (call), HELD_KEY,
                          g_ptr_array_new_with_free_func ((GDestroyNotify) sipcast_event_unref),
                          (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect_object (call, "state-changed", G_CALLBACK (call_state_changed_cb), self, 0);
  g_signal_connect_object (call, "notify::rtmp-status", G_CALLBACK (call_rtmp_status_cb),
                           self, 0);
  g_signal_connect_object (call, "dtmf-received", G_CALLBACK (call_dtmf_received_cb), self, 0);
  g_signal_connect_object (call, "injection-ended", G_CALLBACK (call_injection_ended_cb),
                           self, 0);
  /* The first event of every call: it exists, as NEW. */
  publish_call_status (self, call, SIPCAST_CALL_STATUS_NEW, SIPCAST_CALL_STATUS_NEW);
}

static void
call_added_cb (SipcastCallRegistry *calls,
               SipcastCall         *call,
               gpointer             user_data)
{
  SipcastEventBus *self = SIPCAST_EVENT_BUS (user_data);
  g_autoptr (GPtrArray) held = g_object_steal_data (G_OBJECT (call), HELD_KEY);

  if (held == NULL)
    return;
  for (guint i = 0; i < held->len; i++)
    dispatch (self, sipcast_event_ref (held->pdata[i]));
}

static void
call_abandoned_cb (SipcastCallRegistry *calls,
                   SipcastCall         *call,
                   gpointer             user_data)
{
  g_signal_handlers_disconnect_by_data (call, user_data);
  g_object_set_data (G_OBJECT (call), HELD_KEY, NULL);
}

static void
publish_push (SipcastEventBus   *self,
              SipcastPush       *push,
              SipcastRtmpStatus  status,
              SipcastRtmpStatus  previous)
{
  JsonObject *fields = json_object_new ();
  SipcastEvent *event;

  json_object_set_member (fields, "push", sipcast_push_to_json (push));
  event = event_new (SIPCAST_EVENT_PUSH_STATUS, NULL, fields);
  event->status = status;
  event->previous = previous;
  event->source = G_OBJECT (g_object_ref (push));
  dispatch (self, event);
}

static void
push_state_changed_cb (SipcastPush       *push,
                       SipcastRtmpStatus  status,
                       SipcastRtmpStatus  previous,
                       gpointer           user_data)
{
  publish_push (SIPCAST_EVENT_BUS (user_data), push, status, previous);
}

static void
push_added_cb (SipcastPushRegistry *pushes,
               SipcastPush         *push,
               gpointer             user_data)
{
  SipcastEventBus *self = SIPCAST_EVENT_BUS (user_data);

  g_signal_connect_object (push, "state-changed", G_CALLBACK (push_state_changed_cb), self, 0);
  publish_push (self, push, sipcast_push_get_status (push), SIPCAST_RTMP_STATUS_NONE);
}

static void
sipcast_event_bus_finalize (GObject *object)
{
  SipcastEventBus *self = SIPCAST_EVENT_BUS (object);

  g_queue_clear_full (&self->backlog, (GDestroyNotify) sipcast_event_unref);
  g_free (self->node_id);

  G_OBJECT_CLASS (sipcast_event_bus_parent_class)->finalize (object);
}

static void
sipcast_event_bus_class_init (SipcastEventBusClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sipcast_event_bus_finalize;

  signals[SIGNAL_EVENT] =
    g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
sipcast_event_bus_init (SipcastEventBus *self)
{
  g_queue_init (&self->backlog);
}

SipcastEventBus *
sipcast_event_bus_new (guint backlog)
{
  SipcastEventBus *self = g_object_new (SIPCAST_TYPE_EVENT_BUS, NULL);

  self->backlog_size = backlog;
  return self;
}

void
sipcast_event_bus_follow (SipcastEventBus     *self,
                          SipcastCallRegistry *calls,
                          SipcastPushRegistry *pushes)
{
  g_return_if_fail (SIPCAST_IS_EVENT_BUS (self));
  g_return_if_fail (SIPCAST_IS_CALL_REGISTRY (calls));

  g_signal_connect_object (calls, "call-starting", G_CALLBACK (call_starting_cb), self, 0);
  g_signal_connect_object (calls, "call-added", G_CALLBACK (call_added_cb), self, 0);
  g_signal_connect_object (calls, "call-abandoned", G_CALLBACK (call_abandoned_cb), self, 0);
  if (pushes != NULL)
    g_signal_connect_object (pushes, "push-added", G_CALLBACK (push_added_cb), self, 0);
}

SipcastEvent *
sipcast_event_bus_publish (SipcastEventBus  *self,
                           SipcastEventType  type,
                           const char       *call_id,
                           JsonObject       *fields)
{
  g_return_val_if_fail (SIPCAST_IS_EVENT_BUS (self), NULL);
  g_return_val_if_fail (type < SIPCAST_EVENT_N_TYPES, NULL);
  g_return_val_if_fail (fields != NULL, NULL);

  return dispatch (self, event_new (type, call_id, fields));
}

void
sipcast_event_bus_set_node_id (SipcastEventBus *self,
                               const char      *node_id)
{
  g_return_if_fail (SIPCAST_IS_EVENT_BUS (self));
  g_free (self->node_id);
  self->node_id = g_strdup (node_id);
}

guint64
sipcast_event_bus_get_last_id (SipcastEventBus *self)
{
  g_return_val_if_fail (SIPCAST_IS_EVENT_BUS (self), 0);
  return self->last_id;
}

GPtrArray *
sipcast_event_bus_since (SipcastEventBus *self,
                         guint64          last_id,
                         gboolean        *complete)
{
  GPtrArray *events = g_ptr_array_new_with_free_func ((GDestroyNotify) sipcast_event_unref);
  SipcastEvent *oldest;

  g_return_val_if_fail (SIPCAST_IS_EVENT_BUS (self), events);

  oldest = g_queue_peek_head (&self->backlog);
  if (complete != NULL)
    *complete = last_id >= self->last_id ||
                (oldest != NULL && oldest->id <= last_id + 1);
  /* Newest first would be quicker to cut, but backlogs are short. */
  for (GList *l = self->backlog.head; l != NULL; l = l->next) {
    SipcastEvent *event = l->data;

    if (event->id > last_id)
      g_ptr_array_add (events, sipcast_event_ref (event));
  }
  return events;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-events"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-rest-events.h"
#include "sipcast-json.h"
#include "sipcast-rest-reply.h"

/*
 * One Client per open stream.  libsoup writes a chunked response body as
 * it is appended (soup_message_body_append() + unpause) and reports what
 * reached the socket ("wrote-body-data"); the body does not accumulate,
 * so what was written is freed.  What was appended but not yet written is
 * the client's lag: the socket's buffers are full, the client does not
 * read.  Past [events] max-pending bytes the connection is closed — a
 * stuck client costs at most that much memory and never a wait on the
 * main loop, which also runs SIP.
 */

#define KEEP_ALIVE ": keep-alive\n\n"
#define GAP_NOTE ": events before these are no longer in the backlog\n\n"

typedef struct {
  SipcastRestEvents *owner;         /* borrowed: it owns this */
  SoupServerMessage *msg;           /* owned */
  SipcastRestListener *listener;    /* owned: the connection's */
  char *call_id;                    /* ?callId=, or NULL */
  guint types;                      /* bit per SipcastEventType; 0: all */
  guint64 appended;                 /* bytes given to libsoup */
  guint64 written;                  /* bytes libsoup wrote */
  guint keep_alive_id;
} Client;

struct _SipcastRestEvents {
  GObject parent_instance;

  SipcastEventBus *bus;
  gulong event_id;
  gsize max_pending;
  guint keep_alive_s;

  GList *clients;                   /* Client (owned) */
  guint64 dropped;
};

G_DEFINE_FINAL_TYPE (SipcastRestEvents, sipcast_rest_events, G_TYPE_OBJECT)

static void append (Client *client, char *text);

static void
client_free (Client *client)
{
  g_clear_handle_id (&client->keep_alive_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (client->msg, client);
  g_object_unref (client->msg);
  g_object_unref (client->listener);
  g_free (client->call_id);
  g_free (client);
}

static void
client_remove (Client *client)
{
  SipcastRestEvents *self = client->owner;

  self->clients = g_list_remove (self->clients, client);
  client_free (client);
}

static gboolean
keep_alive_cb (gpointer user_data)
{
  Client *client = user_data;

  client->keep_alive_id = 0;
  append (client, g_strdup (KEEP_ALIVE));
  return G_SOURCE_REMOVE;
}

/* Hands @text (taken) to libsoup, or drops the client that lags. */
static void
append (Client *client,
        char   *text)
{
  SipcastRestEvents *self = client->owner;
  gsize length = strlen (text);

  if (client->appended - client->written + length > self->max_pending) {
    g_autofree char *peer = g_strdup (soup_server_message_get_remote_host (client->msg));
    SipcastRestListener *listener = g_object_ref (client->listener);
    SoupServerMessage *msg = g_object_ref (client->msg);

    g_free (text);
    self->dropped++;
    g_message ("events: client %s dropped: %" G_GUINT64_FORMAT " bytes not read, over "
               "[events] max-pending", peer, client->appended - client->written);
    client_remove (client);
    sipcast_rest_listener_close (listener, msg);
    g_object_unref (msg);
    g_object_unref (listener);
    return;
  }

  client->appended += length;
  soup_message_body_append (soup_server_message_get_response_body (client->msg),
                            SOUP_MEMORY_TAKE, text, length);
  soup_server_message_unpause (client->msg);

  g_clear_handle_id (&client->keep_alive_id, g_source_remove);
  client->keep_alive_id = g_timeout_add_seconds (self->keep_alive_s, keep_alive_cb, client);
}

static gboolean
client_wants (Client             *client,
              const SipcastEvent *event)
{
  if (client->types != 0 && (client->types & (1u << event->type)) == 0)
    return FALSE;
  return client->call_id == NULL || g_strcmp0 (client->call_id, event->call_id) == 0;
}

static void
event_cb (SipcastEventBus *bus,
          SipcastEvent    *event,
          gpointer         user_data)
{
  SipcastRestEvents *self = SIPCAST_REST_EVENTS (user_data);
  GList *l = self->clients;

  while (l != NULL) {
    Client *client = l->data;

    /* append() may drop the client, and its link. */
    l = l->next;
    if (client_wants (client, event))
      append (client, sipcast_event_to_sse (event));
  }
}

static void
on_wrote_body_data (SoupServerMessage *msg,
                    guint              chunk_size,
                    gpointer           user_data)
{
  Client *client = user_data;

  client->written += chunk_size;
}

/* The response ended: the client went away (a write failed) or the
 * server is shutting down. */
static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  Client *client = user_data;

  g_debug ("events: client %s gone", soup_server_message_get_remote_host (msg));
  client_remove (client);
}

/* The ?type= list as bits; FALSE for a name that is not a type. */
static gboolean
parse_types (const char *list,
             guint      *out,
             GError    **error)
{
  g_auto (GStrv) names = g_strsplit (list, ",", -1);

  *out = 0;
  for (guint i = 0; names[i] != NULL; i++) {
    SipcastEventType type;
    const char *name = g_strstrip (names[i]);

    if (*name == '\0')
      continue;
    if (!sipcast_event_type_from_string (name, &type)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("Unknown event type “%s”"), name);
      return FALSE;
    }
    *out |= 1u << type;
  }
  return TRUE;
}

/* Last-Event-ID (what EventSource sends when it reconnects), else
 * ?lastEventId=; FALSE when there is neither (or not a number): the
 * client wants what happens from now on. */
static gboolean
last_event_id (SoupServerMessage *msg,
               GHashTable        *query,
               guint64           *id)
{
  const char *value = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                    "Last-Event-ID");
  g_autofree char *text = NULL;

  if (value == NULL && query != NULL)
    value = g_hash_table_lookup (query, "lastEventId");
  if (value == NULL)
    return FALSE;
  text = g_strstrip (g_strdup (value));
  return g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, id, NULL);
}

static void
sipcast_rest_events_dispose (GObject *object)
{
  SipcastRestEvents *self = SIPCAST_REST_EVENTS (object);

  g_list_free_full (g_steal_pointer (&self->clients), (GDestroyNotify) client_free);
  if (self->bus != NULL)
    g_clear_signal_handler (&self->event_id, self->bus);
  g_clear_object (&self->bus);

  G_OBJECT_CLASS (sipcast_rest_events_parent_class)->dispose (object);
}

static void
sipcast_rest_events_class_init (SipcastRestEventsClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sipcast_rest_events_dispose;
}

static void
sipcast_rest_events_init (SipcastRestEvents *self)
{
}

SipcastRestEvents *
sipcast_rest_events_new (const SipcastConfig *config,
                         SipcastEventBus     *bus)
{
  SipcastRestEvents *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_EVENT_BUS (bus), NULL);

  self = g_object_new (SIPCAST_TYPE_REST_EVENTS, NULL);
  self->bus = g_object_ref (bus);
  self->max_pending = config->events_max_pending;
  self->keep_alive_s = config->events_keep_alive;
  self->event_id = g_signal_connect (bus, "event", G_CALLBACK (event_cb), self);
  return self;
}

void
sipcast_rest_events_serve (SipcastRestEvents   *self,
                           SoupServerMessage   *msg,
                           GHashTable          *query,
                           SipcastRestListener *listener)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) backlog = NULL;
  const char *types = query != NULL ? g_hash_table_lookup (query, "type") : NULL;
  const char *call_id = query != NULL ? g_hash_table_lookup (query, "callId") : NULL;
  gboolean complete = TRUE;
  guint64 last_id = 0;
  Client *client;

  g_return_if_fail (SIPCAST_IS_REST_EVENTS (self));

  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_GET) != 0) {
    soup_message_headers_replace (headers, "Allow", "GET");
    sipcast_rest_reply_json (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                             sipcast_json_error_body ("method_not_allowed",
                                                      _("/rest-api/events only accepts GET")));
    return;
  }

  client = g_new0 (Client, 1);
  client->owner = self;
  client->msg = g_object_ref (msg);
  client->listener = g_object_ref (listener);
  client->call_id = call_id != NULL && *call_id != '\0' ? g_strdup (call_id) : NULL;
  if (types != NULL && !parse_types (types, &client->types, &error)) {
    client_free (client);
    sipcast_rest_reply_error (msg, error);
    return;
  }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  sipcast_rest_listener_hold (listener, msg, self->max_pending);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), client);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), client);
  self->clients = g_list_prepend (self->clients, client);

  if (last_event_id (msg, query, &last_id)) {
    /* A daemon restarted since: its ids started again from 1, the
     * client's is from before. */
    if (last_id > sipcast_event_bus_get_last_id (self->bus))
      last_id = 0;
    backlog = sipcast_event_bus_since (self->bus, last_id, &complete);
  } else {
    backlog = g_ptr_array_new ();
  }
  g_debug ("events: client %s, %u events from the backlog",
           soup_server_message_get_remote_host (msg), backlog->len);
  if (last_id > 0 && !complete)
    append (client, g_strdup (GAP_NOTE));
  else
    append (client, g_strdup (KEEP_ALIVE));
  for (guint i = 0; i < backlog->len && g_list_find (self->clients, client) != NULL; i++) {
    if (client_wants (client, backlog->pdata[i]))
      append (client, sipcast_event_to_sse (backlog->pdata[i]));
  }
}

guint
sipcast_rest_events_get_n_clients (SipcastRestEvents *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_EVENTS (self), 0);
  return g_list_length (self->clients);
}

guint64
sipcast_rest_events_get_n_dropped (SipcastRestEvents *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_EVENTS (self), 0);
  return self->dropped;
}

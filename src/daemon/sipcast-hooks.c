/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-hooks"

#include <string.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "sipcast-hooks.h"
#include "sipcast-error.h"

/*
 * Events wait in lanes, one per (URL, callId): a lane POSTs its oldest
 * event, and only once that is delivered or given up the next, which is
 * what keeps a call's events in order at a receiver while other calls'
 * go on.  A failed attempt is retried after 1, 2, 4 … up to 30 s.  The
 * main loop only ever queues and starts requests; libsoup does the I/O.
 */

#define FIRST_RETRY_MS 1000
#define MAX_RETRY_MS 30000

typedef struct {
  SipcastHooks *owner;         /* borrowed: it owns this */
  char *key;                   /* url "\n" callId */
  char *url;
  GQueue events;               /* SipcastEvent (owned), oldest first */
  gboolean sending;            /* a POST or a retry wait is under way */
  guint attempt;               /* failed attempts of the head event */
  guint retry_id;
} Lane;

struct _SipcastHooks {
  GObject parent_instance;

  const SipcastConfig *config;
  SipcastEventBus *bus;
  gulong event_id;
  GStrv urls;                  /* [hooks] urls */
  SoupSession *session;
  GCancellable *cancellable;   /* cancelled on dispose */

  GHashTable *lanes;           /* key → Lane (owned) */
  SipcastHooksCounts counts;
  gboolean full;               /* dropping since the queue filled up */
};

G_DEFINE_FINAL_TYPE (SipcastHooks, sipcast_hooks, G_TYPE_OBJECT)

static void lane_send (Lane *lane);

static void
lane_free (Lane *lane)
{
  g_clear_handle_id (&lane->retry_id, g_source_remove);
  g_queue_clear_full (&lane->events, (GDestroyNotify) sipcast_event_unref);
  g_free (lane->key);
  g_free (lane->url);
  g_free (lane);
}

/* The head event is done with (delivered or given up): the next one, or
 * the lane goes. */
static void
lane_next (Lane *lane)
{
  SipcastHooks *self = lane->owner;

  sipcast_event_unref (g_queue_pop_head (&lane->events));
  self->counts.queued--;
  lane->attempt = 0;
  lane->sending = FALSE;
  if (g_queue_is_empty (&lane->events))
    g_hash_table_remove (self->lanes, lane->key);
  else
    lane_send (lane);
}

static gboolean
retry_cb (gpointer user_data)
{
  Lane *lane = user_data;

  lane->retry_id = 0;
  lane_send (lane);
  return G_SOURCE_REMOVE;
}

typedef struct {
  SipcastHooks *self;          /* owned */
  char *key;
  SoupMessage *msg;            /* owned */
} Attempt;

static void
attempt_free (Attempt *attempt)
{
  g_object_unref (attempt->self);
  g_object_unref (attempt->msg);
  g_free (attempt->key);
  g_free (attempt);
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Attempt *attempt = user_data;
  SipcastHooks *self = attempt->self;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) answer G_GNUC_UNUSED = soup_session_send_and_read_finish (SOUP_SESSION (source),
                                                                  result, &error);
  g_autofree char *reason = NULL;
  SipcastEvent *event;
  guint status;
  Lane *lane;

  /* Cancelled: the object is being disposed of, its lanes are gone. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->lanes == NULL) {
    attempt_free (attempt);
    return;
  }
  lane = g_hash_table_lookup (self->lanes, attempt->key);
  g_assert (lane != NULL);
  event = g_queue_peek_head (&lane->events);
  status = soup_message_get_status (attempt->msg);
  attempt_free (attempt);

  if (error == NULL && SOUP_STATUS_IS_SUCCESSFUL (status)) {
    self->counts.delivered++;
    g_debug ("webhook %s: event %" G_GUINT64_FORMAT " delivered (%u)", lane->url, event->id,
             status);
    lane_next (lane);
    return;
  }

  reason = error != NULL ? g_strdup (error->message) : g_strdup_printf ("HTTP %u", status);
  self->counts.failures++;
  lane->attempt++;
  if (lane->attempt > self->config->hook_retries) {
    self->counts.given_up++;
    g_warning (_("webhook %s: event %llu (%s) given up after %u attempts: %s"),
               lane->url, (unsigned long long) event->id, sipcast_event_type_to_string (event->type),
               lane->attempt, reason);
    lane_next (lane);
    return;
  }
  {
    guint delay = MIN ((guint) FIRST_RETRY_MS << MIN (lane->attempt - 1, 16), MAX_RETRY_MS);

    g_message (_("webhook %s: event %llu failed (%s), retry %u/%u in %u ms"),
               lane->url, (unsigned long long) event->id, reason, lane->attempt, self->config->hook_retries, delay);
    lane->retry_id = g_timeout_add (delay, retry_cb, lane);
  }
}

/* POSTs the lane's head event. */
static void
lane_send (Lane *lane)
{
  SipcastHooks *self = lane->owner;
  SipcastEvent *event = g_queue_peek_head (&lane->events);
  g_autoptr (GBytes) body = g_bytes_new (event->data, strlen (event->data));
  g_autofree char *id = g_strdup_printf ("%" G_GUINT64_FORMAT, event->id);
  SoupMessageHeaders *headers;
  Attempt *attempt;
  SoupMessage *msg;

  lane->sending = TRUE;
  msg = soup_message_new (SOUP_METHOD_POST, lane->url);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "X-Sipcast-Event", sipcast_event_type_to_string (event->type));
  soup_message_headers_replace (headers, "X-Sipcast-Event-Id", id);
  if (self->config->hook_secret != NULL) {
    g_autofree char *signature = sipcast_hooks_sign (self->config->hook_secret, event->data,
                                                     strlen (event->data));

    soup_message_headers_replace (headers, "X-Sipcast-Signature", signature);
  }

  attempt = g_new0 (Attempt, 1);
  attempt->self = g_object_ref (self);
  attempt->key = g_strdup (lane->key);
  attempt->msg = msg;
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancellable,
                                    sent_cb, attempt);
}

static void
enqueue (SipcastHooks *self,
         const char   *url,
         SipcastEvent *event)
{
  g_autofree char *key = g_strconcat (url, "\n", event->call_id != NULL ? event->call_id : "",
                                      NULL);
  Lane *lane;

  if (self->counts.queued >= self->config->hook_max_queue) {
    self->counts.dropped++;
    if (!self->full)
      g_warning (_("webhooks: %u events wait for delivery ([hooks] max-queue); dropping "
                   "new ones until there is room"), self->counts.queued);
    self->full = TRUE;
    return;
  }
  self->full = FALSE;

  lane = g_hash_table_lookup (self->lanes, key);
  if (lane == NULL) {
    lane = g_new0 (Lane, 1);
    lane->owner = self;
    lane->key = g_steal_pointer (&key);
    lane->url = g_strdup (url);
    g_queue_init (&lane->events);
    g_hash_table_insert (self->lanes, lane->key, lane);
  }
  g_queue_push_tail (&lane->events, sipcast_event_ref (event));
  self->counts.queued++;
  if (!lane->sending)
    lane_send (lane);
}

static void
event_cb (SipcastEventBus *bus,
          SipcastEvent    *event,
          gpointer         user_data)
{
  SipcastHooks *self = SIPCAST_HOOKS (user_data);
  gboolean own_listed = FALSE;

  for (guint i = 0; self->urls[i] != NULL; i++) {
    enqueue (self, self->urls[i], event);
    own_listed |= g_strcmp0 (self->urls[i], event->hook_url) == 0;
  }
  if (event->hook_url != NULL && !own_listed)
    enqueue (self, event->hook_url, event);
}

static gboolean
url_is_http (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' &&
         (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 ||
          g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0);
}

static void
sipcast_hooks_dispose (GObject *object)
{
  SipcastHooks *self = SIPCAST_HOOKS (object);

  if (self->bus != NULL)
    g_clear_signal_handler (&self->event_id, self->bus);
  g_clear_object (&self->bus);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->lanes, g_hash_table_unref);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (sipcast_hooks_parent_class)->dispose (object);
}

static void
sipcast_hooks_finalize (GObject *object)
{
  g_strfreev (SIPCAST_HOOKS (object)->urls);

  G_OBJECT_CLASS (sipcast_hooks_parent_class)->finalize (object);
}

static void
sipcast_hooks_class_init (SipcastHooksClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_hooks_dispose;
  object_class->finalize = sipcast_hooks_finalize;
}

static void
sipcast_hooks_init (SipcastHooks *self)
{
  self->lanes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) lane_free);
  self->cancellable = g_cancellable_new ();
}

SipcastHooks *
sipcast_hooks_new (const SipcastConfig *config,
                   SipcastEventBus     *bus,
                   GError             **error)
{
  g_autoptr (SipcastHooks) self = NULL;
  g_auto (GStrv) urls = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_EVENT_BUS (bus), NULL);

  urls = sipcast_hooks_split_urls (config->hook_urls, error);
  if (urls == NULL)
    return NULL;

  self = g_object_new (SIPCAST_TYPE_HOOKS, NULL);
  self->config = config;
  self->urls = g_steal_pointer (&urls);
  self->bus = g_object_ref (bus);
  self->session = soup_session_new_with_options ("timeout", config->hook_timeout,
                                                 "user-agent", config->user_agent,
                                                 NULL);
  self->event_id = g_signal_connect (bus, "event", G_CALLBACK (event_cb), self);
  return g_steal_pointer (&self);
}

char *
sipcast_hooks_sign (const char *secret,
                    const char *body,
                    gsize       length)
{
  g_autofree char *hex = g_compute_hmac_for_data (G_CHECKSUM_SHA256, (const guchar *) secret,
                                                  strlen (secret), (const guchar *) body,
                                                  length);

  return g_strconcat ("sha256=", hex, NULL);
}

GStrv
sipcast_hooks_split_urls (const char *list,
                          GError    **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) parts = g_strsplit_set (list != NULL ? list : "", " ,\t", -1);

  for (guint i = 0; parts[i] != NULL; i++) {
    if (*parts[i] == '\0')
      continue;
    if (!url_is_http (parts[i])) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("[hooks] urls: “%s” is not an http:// or https:// URL"), parts[i]);
      return NULL;
    }
    g_strv_builder_add (builder, parts[i]);
  }
  return g_strv_builder_end (builder);
}

void
sipcast_hooks_get_counts (SipcastHooks       *self,
                          SipcastHooksCounts *counts)
{
  g_return_if_fail (SIPCAST_IS_HOOKS (self));
  *counts = self->counts;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-registry"

#include "config.h"
#include "sipcast-call-registry.h"
#include "sipcast-call-private.h"
#include "sipcast-error.h"
#include "sipcast-media-session.h"
#include "sipcast-port-pool.h"

#include <glib/gi18n.h>

/*
 * Owns every call.  Live calls are indexed by id and by publish location
 * (the 409 rules); an ended call stays in the id index for
 * config->ended_call_ttl seconds so clients can read how it ended, then
 * its last reference is dropped and its memory is gone.
 */

/* Grace time for all calls to end on shutdown before we stop waiting. */
#define SHUTDOWN_GRACE_S 8

struct _SipcastCallRegistry {
  GObject parent_instance;

  const SipcastConfig *config;
  SipcastSipAgent *agent;
  SipcastPortPool *ports;
  SipcastStreamRegistry *streams;

  GHashTable *by_id;        /* call id → SipcastCall (owned) */
  GHashTable *by_location;  /* publish location → SipcastCall, live calls only */
  GQueue order;             /* calls in creation order (borrowed) */
  GHashTable *expiry;       /* SipcastCall → timeout source id */

  GTask *shutdown_task;
  guint shutdown_timeout_id;
};

G_DEFINE_FINAL_TYPE (SipcastCallRegistry, sipcast_call_registry, G_TYPE_OBJECT)

static void
maybe_finish_shutdown (SipcastCallRegistry *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->shutdown_task == NULL)
    return;

  for (GList *l = self->order.head; l != NULL; l = l->next) {
    if (!sipcast_call_is_done (l->data))
      return;
  }

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  task = g_steal_pointer (&self->shutdown_task);
  g_task_return_boolean (task, TRUE);
}

static void
drop_call (SipcastCallRegistry *self,
           SipcastCall         *call)
{
  g_debug ("dropping call %s", sipcast_call_get_id (call));
  g_hash_table_remove (self->expiry, call);
  g_queue_remove (&self->order, call);
  g_signal_handlers_disconnect_by_data (call, self);
  /* Last: this unrefs the call. */
  g_hash_table_remove (self->by_id, sipcast_call_get_id (call));
}

typedef struct {
  SipcastCallRegistry *registry;
  SipcastCall *call;
} Expiry;

static gboolean
expire_cb (gpointer user_data)
{
  Expiry *expiry = user_data;

  /* drop_call removes this source from the table; returning REMOVE
   * after that is what makes GLib destroy it. */
  g_hash_table_steal (expiry->registry->expiry, expiry->call);
  drop_call (expiry->registry, expiry->call);
  return G_SOURCE_REMOVE;
}

static void
call_done_cb (SipcastCall *call,
              gpointer     user_data)
{
  SipcastCallRegistry *self = SIPCAST_CALL_REGISTRY (user_data);
  const SipcastPublishTarget *target = sipcast_call_get_publish_target (call);
  Expiry *expiry;

  /* The location is free for a new call as soon as this one has ended. */
  if (target != NULL && g_hash_table_lookup (self->by_location, target->location) == call)
    g_hash_table_remove (self->by_location, target->location);

  expiry = g_new0 (Expiry, 1);
  expiry->registry = self;
  expiry->call = call;
  g_hash_table_insert (self->expiry, call,
                       GUINT_TO_POINTER (g_timeout_add_seconds_full (G_PRIORITY_DEFAULT,
                                                                     MAX (self->config->ended_call_ttl, 1),
                                                                     expire_cb, expiry, g_free)));
  maybe_finish_shutdown (self);
}

static void
call_state_changed_cb (SipcastCall       *call,
                       SipcastCallStatus  status,
                       SipcastCallStatus  old,
                       gpointer           user_data)
{
  SipcastCallRegistry *self = SIPCAST_CALL_REGISTRY (user_data);
  const SipcastPublishTarget *target = sipcast_call_get_publish_target (call);
  SipcastStream *stream = sipcast_call_get_stream (call);

  /* Its stream ends with the call: subscribers get EOS, and the name is
   * free for a new call. */
  if (sipcast_call_status_is_final (status)) {
    sipcast_stream_registry_remove (self->streams, stream);
    sipcast_stream_end (stream);
  }

  /* An ended call no longer holds its location, even while its FLV is
   * being finished. */
  if (sipcast_call_status_is_final (status) && target != NULL &&
      g_hash_table_lookup (self->by_location, target->location) == call)
    g_hash_table_remove (self->by_location, target->location);
}

static void
remove_source (gpointer id)
{
  g_source_remove (GPOINTER_TO_UINT (id));
}

static void
sipcast_call_registry_dispose (GObject *object)
{
  SipcastCallRegistry *self = SIPCAST_CALL_REGISTRY (object);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_clear_object (&self->shutdown_task);
  g_clear_pointer (&self->expiry, g_hash_table_unref);
  for (GList *l = self->order.head; l != NULL; l = l->next)
    g_signal_handlers_disconnect_by_data (l->data, self);
  g_queue_clear (&self->order);
  g_clear_pointer (&self->by_location, g_hash_table_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_object (&self->ports);
  g_clear_object (&self->streams);
  g_clear_object (&self->agent);

  G_OBJECT_CLASS (sipcast_call_registry_parent_class)->dispose (object);
}

static void
sipcast_call_registry_class_init (SipcastCallRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sipcast_call_registry_dispose;
}

static void
sipcast_call_registry_init (SipcastCallRegistry *self)
{
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->by_location = g_hash_table_new (g_str_hash, g_str_equal);
  self->expiry = g_hash_table_new_full (NULL, NULL, NULL, remove_source);
  g_queue_init (&self->order);
  self->streams = sipcast_stream_registry_new ();
}

SipcastCallRegistry *
sipcast_call_registry_new (const SipcastConfig *config,
                           SipcastSipAgent     *agent)
{
  SipcastCallRegistry *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (agent), NULL);

  self = g_object_new (SIPCAST_TYPE_CALL_REGISTRY, NULL);
  self->config = config;
  self->agent = g_object_ref (agent);
  self->ports = sipcast_port_pool_new (sipcast_sip_agent_get_address (agent),
                                       config->rtp_port_min, config->rtp_port_max);
  return self;
}

SipcastCall *
sipcast_call_registry_start_call (SipcastCallRegistry *self,
                                  SipcastCallParams   *params,
                                  GError             **error)
{
  g_autoptr (SipcastCallParams) owned = params;
  g_autoptr (SipcastPublishTarget) target = NULL;
  g_autoptr (SipcastCall) call = NULL;
  g_autoptr (SipcastStream) stream = NULL;
  SipcastCall *other;

  g_return_val_if_fail (SIPCAST_IS_CALL_REGISTRY (self), NULL);
  g_return_val_if_fail (params != NULL, NULL);

  if (self->shutdown_task != NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("sipcast is shutting down"));
    return NULL;
  }

  other = g_hash_table_lookup (self->by_id, params->call_id);
  if (other != NULL) {
    /* An ended call's id stays taken until it is dropped: otherwise
     * /call/find could not tell the two apart. */
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("A call with callId “%s” already exists (status %s)"),
                 params->call_id, sipcast_call_status_to_string (sipcast_call_get_status (other)));
    return NULL;
  }

  if (params->rtmp_url != NULL && *params->rtmp_url != '\0') {
    target = sipcast_publish_target_new (params->rtmp_url, params->rtmp_stream, error);
    if (target == NULL)
      return NULL;
    other = g_hash_table_lookup (self->by_location, target->location);
    if (other != NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                   _("Call “%s” is already publishing to %s"),
                   sipcast_call_get_id (other), target->location);
      return NULL;
    }
  }

  stream = sipcast_stream_new (params->to_stream, params->call_id);
  if (!sipcast_stream_registry_add (self->streams, stream, error))
    return NULL;

  call = sipcast_call_new (g_steal_pointer (&owned), g_steal_pointer (&target), stream);
  if (!sipcast_call_start (call, self->config, self->agent, self->ports, error)) {
    sipcast_stream_registry_remove (self->streams, stream);
    return NULL;
  }

  g_signal_connect (call, "state-changed", G_CALLBACK (call_state_changed_cb), self);
  g_signal_connect (call, "done", G_CALLBACK (call_done_cb), self);
  if (sipcast_call_get_publish_target (call) != NULL)
    g_hash_table_insert (self->by_location,
                         sipcast_call_get_publish_target (call)->location, call);
  g_queue_push_tail (&self->order, call);
  g_hash_table_insert (self->by_id, (gpointer) sipcast_call_get_id (call), g_object_ref (call));

  return call;
}

SipcastStreamRegistry *
sipcast_call_registry_get_streams (SipcastCallRegistry *self)
{
  g_return_val_if_fail (SIPCAST_IS_CALL_REGISTRY (self), NULL);
  return self->streams;
}

GPtrArray *
sipcast_call_registry_find (SipcastCallRegistry     *self,
                            const SipcastCallFilter *filter)
{
  GPtrArray *result = g_ptr_array_new ();

  g_return_val_if_fail (SIPCAST_IS_CALL_REGISTRY (self), result);

  for (GList *l = self->order.head; l != NULL; l = l->next) {
    SipcastCall *call = l->data;
    const SipcastCallParams *params = sipcast_call_get_params (call);

    if (filter != NULL) {
      if (filter->call_id != NULL && g_strcmp0 (filter->call_id, params->call_id) != 0)
        continue;
      if (filter->callee != NULL && g_strcmp0 (filter->callee, params->callee) != 0)
        continue;
      if (filter->rtmp_url != NULL && g_strcmp0 (filter->rtmp_url, params->rtmp_url) != 0)
        continue;
      if (filter->has_status && filter->status != sipcast_call_get_status (call))
        continue;
    }
    g_ptr_array_add (result, call);
  }

  return result;
}

SipcastCall *
sipcast_call_registry_lookup (SipcastCallRegistry *self,
                              const char          *call_id,
                              GError             **error)
{
  SipcastCall *call;

  g_return_val_if_fail (SIPCAST_IS_CALL_REGISTRY (self), NULL);

  call = call_id != NULL ? g_hash_table_lookup (self->by_id, call_id) : NULL;
  if (call == NULL)
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                 _("No call with callId “%s”"), call_id ? call_id : "");
  return call;
}

gboolean
sipcast_call_registry_terminate (SipcastCallRegistry *self,
                                 const char          *call_id,
                                 GError             **error)
{
  SipcastCall *call = sipcast_call_registry_lookup (self, call_id, error);

  if (call == NULL)
    return FALSE;

  sipcast_call_hangup (call);
  return TRUE;
}

static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  SipcastCallRegistry *self = SIPCAST_CALL_REGISTRY (user_data);
  g_autoptr (GTask) task = g_steal_pointer (&self->shutdown_task);

  self->shutdown_timeout_id = 0;
  g_warning ("calls did not end within %d s of shutdown", SHUTDOWN_GRACE_S);
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

void
sipcast_call_registry_shutdown_async (SipcastCallRegistry *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr (GList) calls = NULL;

  g_return_if_fail (SIPCAST_IS_CALL_REGISTRY (self));
  g_return_if_fail (self->shutdown_task == NULL);

  self->shutdown_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->shutdown_task, sipcast_call_registry_shutdown_async);
  self->shutdown_timeout_id = g_timeout_add_seconds (SHUTDOWN_GRACE_S, shutdown_timeout_cb, self);

  /* hangup may end a call synchronously, which may complete the task:
   * iterate over a copy. */
  calls = g_list_copy (self->order.head);
  g_message ("hanging up %u call(s)", g_list_length (calls));
  for (GList *l = calls; l != NULL; l = l->next)
    sipcast_call_hangup (l->data);

  maybe_finish_shutdown (self);
}

gboolean
sipcast_call_registry_shutdown_finish (SipcastCallRegistry *self,
                                       GAsyncResult        *result,
                                       GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

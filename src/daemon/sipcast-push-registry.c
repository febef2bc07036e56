/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-push"

#include "config.h"
#include "sipcast-push-registry.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>

/*
 * The pushes by mediaSessionId.  A push stays listed while it ends (its
 * FLV being finished) and is dropped when it emits "finished", so that
 * find never shows a push that no longer runs, and a terminate that
 * arrives while it ends is still answered 200.
 *
 * The 409 rule is about RTMP locations, not about names: two publishers
 * of one location never work (the server refuses the second, or the
 * stream flips between them), whatever streams they carry.
 */

/* Grace time for every push to finish its FLV on shutdown; each push
 * bounds its own ending too, this only guards the whole. */
#define SHUTDOWN_GRACE_S 5

struct _SipcastPushRegistry {
  GObject parent_instance;

  const SipcastConfig *config;
  SipcastCallRegistry *calls;

  GHashTable *by_id;        /* mediaSessionId → SipcastPush (owned) */
  GQueue order;             /* pushes in creation order (borrowed) */

  GTask *shutdown_task;
  guint shutdown_timeout_id;
};

G_DEFINE_FINAL_TYPE (SipcastPushRegistry, sipcast_push_registry, G_TYPE_OBJECT)

enum {
  SIGNAL_PUSH_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
maybe_finish_shutdown (SipcastPushRegistry *self)
{
  g_autoptr (GTask) task = NULL;

  if (self->shutdown_task == NULL || self->order.length > 0)
    return;

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  task = g_steal_pointer (&self->shutdown_task);
  g_task_return_boolean (task, TRUE);
}

static void
push_finished_cb (SipcastPush *push,
                  gpointer     user_data)
{
  SipcastPushRegistry *self = SIPCAST_PUSH_REGISTRY (user_data);

  g_debug ("dropping push %s", sipcast_push_get_id (push));
  g_queue_remove (&self->order, push);
  g_signal_handlers_disconnect_by_data (push, self);
  /* Last: this unrefs the push (which holds a reference of its own while
   * it emits). */
  g_hash_table_remove (self->by_id, sipcast_push_get_id (push));

  maybe_finish_shutdown (self);
}

char *
sipcast_push_registry_find_location_user (SipcastPushRegistry *self,
                                          const char          *location)
{
  g_autoptr (GPtrArray) calls = NULL;

  for (GList *l = self->order.head; l != NULL; l = l->next) {
    SipcastPush *push = l->data;

    if (!sipcast_push_is_stopping (push) &&
        g_str_equal (sipcast_push_get_location (push), location))
      return g_strdup_printf (_("Push “%s” of stream “%s”"), sipcast_push_get_id (push),
                              sipcast_push_get_stream_name (push));
  }

  calls = sipcast_call_registry_find (self->calls, NULL);
  for (guint i = 0; i < calls->len; i++) {
    SipcastCall *call = calls->pdata[i];
    const SipcastPublishTarget *target = sipcast_call_get_publish_target (call);

    if (target != NULL && g_str_equal (target->location, location) &&
        !sipcast_call_status_is_final (sipcast_call_get_status (call)))
      return g_strdup_printf (_("Call “%s”"), sipcast_call_get_id (call));
  }
  return NULL;
}

static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  SipcastPushRegistry *self = SIPCAST_PUSH_REGISTRY (user_data);
  g_autoptr (GTask) task = g_steal_pointer (&self->shutdown_task);

  self->shutdown_timeout_id = 0;
  g_warning ("pushes did not finish within %d s of shutdown", SHUTDOWN_GRACE_S);
  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
sipcast_push_registry_dispose (GObject *object)
{
  SipcastPushRegistry *self = SIPCAST_PUSH_REGISTRY (object);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_clear_object (&self->shutdown_task);
  for (GList *l = self->order.head; l != NULL; l = l->next)
    g_signal_handlers_disconnect_by_data (l->data, self);
  g_queue_clear (&self->order);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_object (&self->calls);

  G_OBJECT_CLASS (sipcast_push_registry_parent_class)->dispose (object);
}

static void
sipcast_push_registry_class_init (SipcastPushRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sipcast_push_registry_dispose;

  signals[SIGNAL_PUSH_ADDED] =
    g_signal_new ("push-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SIPCAST_TYPE_PUSH);
}

static void
sipcast_push_registry_init (SipcastPushRegistry *self)
{
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  g_queue_init (&self->order);
}

SipcastPushRegistry *
sipcast_push_registry_new (const SipcastConfig *config,
                           SipcastCallRegistry *calls)
{
  SipcastPushRegistry *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_CALL_REGISTRY (calls), NULL);

  self = g_object_new (SIPCAST_TYPE_PUSH_REGISTRY, NULL);
  self->config = config;
  self->calls = g_object_ref (calls);
  return self;
}

SipcastPush *
sipcast_push_registry_start_push (SipcastPushRegistry *self,
                                  const char          *stream_name,
                                  const char          *rtmp_url,
                                  const char          *rtmp_stream,
                                  GError             **error)
{
  g_autoptr (SipcastPublishTarget) target = NULL;
  g_autoptr (SipcastPush) push = NULL;
  g_autofree char *user = NULL;
  SipcastStream *stream;

  g_return_val_if_fail (SIPCAST_IS_PUSH_REGISTRY (self), NULL);
  g_return_val_if_fail (stream_name != NULL && rtmp_url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->shutdown_task != NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("sipcast is shutting down"));
    return NULL;
  }

  /* What is wrong with the request itself comes before what is wrong
   * with the state of the daemon. */
  target = sipcast_publish_target_new (rtmp_url, rtmp_stream, error);
  if (target == NULL ||
      !sipcast_publish_target_check_recordings_dir (target, self->config->recordings_dir, error))
    return NULL;

  stream = sipcast_stream_registry_lookup (sipcast_call_registry_get_streams (self->calls),
                                           stream_name, error);
  if (stream == NULL)
    return NULL;

  user = sipcast_push_registry_find_location_user (self, target->location);
  if (user != NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("%s is already publishing to %s"), user, target->location);
    return NULL;
  }

  push = sipcast_push_new (self->config, stream, rtmp_url, rtmp_stream, error);
  if (push == NULL || !sipcast_push_start (push, error))
    return NULL;

  g_signal_connect (push, "finished", G_CALLBACK (push_finished_cb), self);
  g_queue_push_tail (&self->order, push);
  g_hash_table_insert (self->by_id, (gpointer) sipcast_push_get_id (push), g_object_ref (push));
  g_signal_emit (self, signals[SIGNAL_PUSH_ADDED], 0, push);
  return push;
}

GPtrArray *
sipcast_push_registry_find (SipcastPushRegistry     *self,
                            const SipcastPushFilter *filter)
{
  GPtrArray *result = g_ptr_array_new ();

  g_return_val_if_fail (SIPCAST_IS_PUSH_REGISTRY (self), result);

  for (GList *l = self->order.head; l != NULL; l = l->next) {
    SipcastPush *push = l->data;

    if (filter != NULL) {
      if (filter->media_session_id != NULL &&
          g_strcmp0 (filter->media_session_id, sipcast_push_get_id (push)) != 0)
        continue;
      if (filter->stream_name != NULL &&
          g_strcmp0 (filter->stream_name, sipcast_push_get_stream_name (push)) != 0)
        continue;
      if (filter->rtmp_url != NULL &&
          g_strcmp0 (filter->rtmp_url, sipcast_push_get_rtmp_url (push)) != 0)
        continue;
    }
    g_ptr_array_add (result, push);
  }

  return result;
}

gboolean
sipcast_push_registry_terminate (SipcastPushRegistry *self,
                                 const char          *media_session_id,
                                 GError             **error)
{
  SipcastPush *push;

  g_return_val_if_fail (SIPCAST_IS_PUSH_REGISTRY (self), FALSE);

  push = media_session_id != NULL ? g_hash_table_lookup (self->by_id, media_session_id) : NULL;
  if (push == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                 _("No push with mediaSessionId “%s”"),
                 media_session_id != NULL ? media_session_id : "");
    return FALSE;
  }

  g_message ("push %s: terminated", media_session_id);
  sipcast_push_stop (push);
  return TRUE;
}

void
sipcast_push_registry_shutdown_async (SipcastPushRegistry *self,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GList *pushes = NULL;

  g_return_if_fail (SIPCAST_IS_PUSH_REGISTRY (self));
  g_return_if_fail (self->shutdown_task == NULL);

  self->shutdown_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->shutdown_task, sipcast_push_registry_shutdown_async);
  self->shutdown_timeout_id = g_timeout_add_seconds (SHUTDOWN_GRACE_S, shutdown_timeout_cb, self);

  /* A push may finish (and be dropped) synchronously: iterate over a
   * copy, holding references. */
  for (GList *l = self->order.head; l != NULL; l = l->next)
    pushes = g_list_prepend (pushes, g_object_ref (l->data));
  if (pushes != NULL)
    g_message ("finishing %u push(es)", g_list_length (pushes));
  for (GList *l = pushes; l != NULL; l = l->next)
    sipcast_push_stop (l->data);
  g_list_free_full (pushes, g_object_unref);

  maybe_finish_shutdown (self);
}

gboolean
sipcast_push_registry_shutdown_finish (SipcastPushRegistry *self,
                                       GAsyncResult        *result,
                                       GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

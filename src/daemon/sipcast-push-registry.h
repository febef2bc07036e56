/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every /push the daemon runs: mediaSessionId → push, the 409 rule of
 * /push/startup, the AND-ed filters of /push/find, dropping a push once it
 * has finished, and finishing every push on shutdown.
 */

#include <gio/gio.h>
#include "sipcast-call-registry.h"
#include "sipcast-config.h"
#include "sipcast-push.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_PUSH_REGISTRY (sipcast_push_registry_get_type ())
G_DECLARE_FINAL_TYPE (SipcastPushRegistry, sipcast_push_registry, SIPCAST, PUSH_REGISTRY, GObject)

/* Any NULL field matches everything; set fields are AND-ed. */
typedef struct {
  const char *media_session_id;
  const char *stream_name;
  const char *rtmp_url;         /* compared with the push's rtmpUrl as given */
} SipcastPushFilter;

/* Signal "push-added" (SipcastPush *): a push started by
 * /push/startup; its "state-changed" follows its status, "finished" its
 * end. */

/* The streams that can be pushed are those of @calls' live calls.
 * @config must outlive the registry. */
SipcastPushRegistry *sipcast_push_registry_new (const SipcastConfig *config,
                                                SipcastCallRegistry *calls);

/* Starts pushing the stream @stream_name to @rtmp_url + @rtmp_stream
 * (nullable).  Returns a borrowed pointer (the registry owns the push) or
 * NULL with SIPCAST_ERROR_INVALID_ARGUMENT (unusable URL),
 * SIPCAST_ERROR_NOT_FOUND (no such stream), SIPCAST_ERROR_CONFLICT (a
 * push or a live call already publishes to that location; shutting down)
 * or SIPCAST_ERROR_PIPELINE. */
SipcastPush *sipcast_push_registry_start_push (SipcastPushRegistry *self,
                                               const char          *stream_name,
                                               const char          *rtmp_url,
                                               const char          *rtmp_stream,
                                               GError             **error);

/* Matching pushes in creation order; an empty array when none match.
 * A push is listed until it has finished.  Elements are borrowed. */
GPtrArray *sipcast_push_registry_find (SipcastPushRegistry     *self,
                                       const SipcastPushFilter *filter);

/* Stops the push (its FLV is finished, then it is dropped).
 * SIPCAST_ERROR_NOT_FOUND for an unknown id; terminating a push that is
 * already ending succeeds and does nothing. */
gboolean sipcast_push_registry_terminate (SipcastPushRegistry *self,
                                          const char          *media_session_id,
                                          GError             **error);

/* Stops every push; completes when all have finished (or after a bounded
 * grace time). */
void     sipcast_push_registry_shutdown_async  (SipcastPushRegistry *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean sipcast_push_registry_shutdown_finish (SipcastPushRegistry *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* The live push or call that publishes to @location, described for a
 * 409 message ("Push “ID” of stream “NAME”"), or NULL. */
char *sipcast_push_registry_find_location_user (SipcastPushRegistry *self,
                                                const char          *location);

G_END_DECLS

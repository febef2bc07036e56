/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The /push/... methods of the REST API (the reference's RTMP
 * re-publishing: startup, find, find_all, terminate, mute, unmute,
 * sound_on, sound_off): a request body in, the reply or a GError out.
 * The REST server routes here and maps the errors to HTTP statuses.
 */

#include <json-glib/json-glib.h>
#include "sipcast-push-registry.h"

G_BEGIN_DECLS

/* A /push method: @body in, the reply out (NULL and @error set on
 * failure: SipcastError codes). */
typedef JsonNode *(*SipcastRestPushHandler) (SipcastPushRegistry *pushes,
                                             const char          *sounds_dir,
                                             JsonObject          *body,
                                             GError             **error);

/* The handler of @method ("/push/startup", relative to /rest-api), or
 * NULL when it is no /push method. */
SipcastRestPushHandler sipcast_rest_push_find_handler (const char *method);

G_END_DECLS

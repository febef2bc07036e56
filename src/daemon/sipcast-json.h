/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * JSON ↔ sipcast objects for the REST API (SPEC.md "REST API"): request
 * bodies into validated structs with SPEC's lenient typing (booleans as
 * true/false or "true"/"false", numbers as numbers or numeric strings),
 * and the Call and Push objects out, with exactly the reference keys in
 * the reference order.
 */

#include <json-glib/json-glib.h>
#include "sipcast-call-params.h"

G_BEGIN_DECLS

typedef struct _SipcastCall SipcastCall;
typedef struct _SipcastPush SipcastPush;

/* Parses a request body: "" or whitespace counts as {}.  Anything but an
 * object is SIPCAST_ERROR_INVALID_ARGUMENT. */
JsonObject *sipcast_json_parse_body (const char *body,
                                     gsize       length,
                                     GError    **error);

/* Typed optional field readers.  Absent or null leaves *out untouched and
 * returns TRUE; a value of the wrong type returns FALSE with
 * SIPCAST_ERROR_INVALID_ARGUMENT naming the field.  Strings must be JSON
 * strings (numbers are accepted and printed, as clients send "callee":1000). */
gboolean sipcast_json_get_string (JsonObject *obj, const char *name,
                                  char **out, GError **error);
gboolean sipcast_json_get_boolean (JsonObject *obj, const char *name,
                                   gboolean *out, GError **error);
/* Unsigned integer in [min, max]. */
gboolean sipcast_json_get_uint (JsonObject *obj, const char *name,
                                guint min, guint max,
                                guint *out, GError **error);

/* /call/startup body → params, with defaults filled in.  @generated_id is
 * used when the body has no callId. */
SipcastCallParams *sipcast_call_params_from_json (JsonObject *obj,
                                                  const char *generated_id,
                                                  GError    **error);

/* The Call object of SPEC.md for @call. */
JsonNode *sipcast_call_to_json (SipcastCall *call);

/* The Call objects' "nodeId" from now on (the [cluster] node-id; NULL:
 * null, a node on its own).  Process-wide: one daemon, one node. */
void sipcast_json_set_node_id (const char *id);

/* The Push object of the REST API (README.md "/push"): mediaSessionId,
 * streamName, rtmpUrl, rtmpStream, status, callId, startedAt. */
JsonNode *sipcast_push_to_json (SipcastPush *push);

/* Sets member @name to @value, or to null when @value is NULL. */
void sipcast_json_add_string_or_null (JsonBuilder *builder,
                                      const char  *name,
                                      const char  *value);

/* @usec_since_epoch as "2026-11-26T11:09:55.959Z", the shape of
 * JavaScript's Date.toISOString(), which web clients of this API parse. */
char *sipcast_json_format_timestamp (gint64 usec_since_epoch);

/* {"error": code-name, "message": message} */
char *sipcast_json_error_body (const char *code_name,
                               const char *message);

/* The reference's nested "connection" object (older WCS clients put the
 * SIP account fields of /call/startup and the filters of /call/find in
 * it): its members are moved to the top level of @body, where a field
 * given at the top level wins.  SIPCAST_ERROR_INVALID_ARGUMENT when
 * "connection" is not an object. */
gboolean sipcast_json_merge_connection (JsonObject *body,
                                        GError    **error);

/* The string field @name of @body, which the method cannot do without:
 * SIPCAST_ERROR_MISSING_FIELD when it is absent or empty (a newly
 * allocated string otherwise). */
char *sipcast_json_require_string (JsonObject  *body,
                                   const char  *name,
                                   GError     **error);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every call the daemon knows, live or recently ended: id → call, the 409
 * rules for /call/startup, the AND-ed filters of /call/find, dropping ended
 * calls after the configured time, and hanging up everything on shutdown.
 * Incoming INVITEs are routed here too (config->routes), under the same
 * rules.
 */

#include <gio/gio.h>
#include "sipcast-call.h"
#include "sipcast-config.h"
#include "sipcast-stream-registry.h"

G_BEGIN_DECLS

typedef struct _SipcastSipAgent SipcastSipAgent;

#define SIPCAST_TYPE_CALL_REGISTRY (sipcast_call_registry_get_type ())
G_DECLARE_FINAL_TYPE (SipcastCallRegistry, sipcast_call_registry, SIPCAST, CALL_REGISTRY, GObject)

/* Any NULL field matches everything; set fields are AND-ed. */
typedef struct {
  const char *call_id;
  const char *callee;
  const char *rtmp_url;         /* compared with the call's rtmpUrl as given */
  gboolean    has_status;
  SipcastCallStatus status;
  /* The account fields an older client nests in "connection". */
  const char *sip_login;
  const char *sip_domain;
  const char *app_key;
} SipcastCallFilter;

/* Signals, for those who follow every call (events, metrics):
 * "call-starting" (SipcastCall *): a new call, in NEW, about to be placed
 *   or answered; its status may change before one of the next two.
 * "call-added" (SipcastCall *): the call is the registry's (a 200 to
 *   /call/startup, an incoming call being answered).
 * "call-abandoned" (SipcastCall *): the call was given up before it
 *   touched the network (an error answered /call/startup or refused the
 *   INVITE); it never existed for clients. */

/* Also routes the incoming INVITEs @agent receives (config->routes). */
SipcastCallRegistry *sipcast_call_registry_new (const SipcastConfig *config,
                                                SipcastSipAgent     *agent);

/* Who other than a call publishes to @location (a /push), as a phrase
 * for a log line, or NULL. */
typedef char *(*SipcastLocationUserFunc) (gpointer    user_data,
                                          const char *location);
/* Consulted for the 409 rule of incoming calls, whose INVITE does not
 * pass the REST layer that checks pushes for /call/startup. */
void sipcast_call_registry_set_location_user_func (SipcastCallRegistry     *self,
                                                   SipcastLocationUserFunc  func,
                                                   gpointer                 user_data);

/* Why this node takes no new incoming call now (a cluster node draining
 * or full), as a phrase for the log, or NULL when it does: such INVITEs
 * get 503. */
typedef char *(*SipcastAdmissionFunc) (gpointer user_data);
/* @func NULL: every call is admitted (a node on its own). */
void sipcast_call_registry_set_admission_func (SipcastCallRegistry  *self,
                                               SipcastAdmissionFunc  func,
                                               gpointer              user_data);

/* Checks the 409 rules (same callId; same publish location or same
 * toStream while the other call is live), creates the call and starts placing it.  Takes
 * ownership of @params.  Returns a borrowed pointer (the registry owns the
 * call) or NULL with SIPCAST_ERROR_INVALID_ARGUMENT (e.g. unusable
 * rtmpUrl), SIPCAST_ERROR_CONFLICT or SIPCAST_ERROR_NO_PORTS. */
SipcastCall *sipcast_call_registry_start_call (SipcastCallRegistry *self,
                                              SipcastCallParams   *params,
                                              GError             **error);

/* The named streams of the live calls. */
SipcastStreamRegistry *sipcast_call_registry_get_streams (SipcastCallRegistry *self);

/* Matching calls in creation order; an empty array when none match.
 * Elements are borrowed. */
GPtrArray *sipcast_call_registry_find (SipcastCallRegistry     *self,
                                       const SipcastCallFilter *filter);

/* CANCEL before the answer, BYE after.  SIPCAST_ERROR_NOT_FOUND for an
 * unknown id; terminating an already ended call succeeds and does
 * nothing. */
gboolean sipcast_call_registry_terminate (SipcastCallRegistry *self,
                                          const char          *call_id,
                                          GError             **error);

/* The call with @call_id, live or ended (borrowed), or NULL with
 * SIPCAST_ERROR_NOT_FOUND. */
SipcastCall *sipcast_call_registry_lookup (SipcastCallRegistry *self,
                                          const char          *call_id,
                                          GError             **error);

/* Hangs up every live call and finishes every FLV stream; completes when
 * all calls have ended (or after a bounded grace time). */
void     sipcast_call_registry_shutdown_async  (SipcastCallRegistry *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean sipcast_call_registry_shutdown_finish (SipcastCallRegistry *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS

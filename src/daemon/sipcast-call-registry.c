/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-registry"

#include "config.h"
#include "sipcast-call-registry.h"
#include "sipcast-placeholder.h"
#include "sipcast-call-private.h"
#include "sipcast-digest.h"
#include "sipcast-error.h"
#include "sipcast-malloc.h"
#include "sipcast-media-session.h"
#include "sipcast-port-pool.h"
#include "sipcast-route.h"
#include "sipcast-throttle.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/url.h>
#include <netdb.h>

/*
 * Owns every call.  Live calls are indexed by id and by publish location
 * (the 409 rules); an ended call stays in the id index for
 * config->ended_call_ttl seconds so clients can read how it ended, then
 * its last reference is dropped and its memory is gone.
 *
 * Incoming INVITEs arrive here from the SIP agent and are routed by the
 * configured [route NAME] groups: the first route whose callee pattern
 * matches decides; a route may demand digest credentials (challenged with
 * 401, refused with 403) or reject outright.  An accepted INVITE becomes
 * a call under the same 409 rules as /call/startup, answered by
 * sipcast_call_answer_incoming(); every refusal is a final response.
 */

/* Grace time for all calls to end on shutdown before we stop waiting. */
#define SHUTDOWN_GRACE_S 8

/* Ended calls give their memory back to the kernel (sipcast-malloc.h)
 * in one malloc_trim() this long after calls end, not one per call (it
 * walks every arena), and again every so often until nua has dropped
 * their transactions too ([sip] transaction-timeout after the end: RFC
 * 6026 keeps an INVITE's for 64·T1 after its 2xx). */
#define TRIM_DELAY_S 10

/* Wrong digest credentials a source address may send before each further
 * attempt makes it wait (1 s, 2 s, … up to the maximum); meanwhile its
 * INVITEs to routes with credentials get 403 unchecked. */
#define AUTH_FREE_FAILURES 5
#define AUTH_MAX_WAIT_S 60

/* Set on incoming calls: the route that took them and where the INVITE
 * came from, for the limits below. */
#define ROUTE_KEY "sipcast-route"
#define SOURCE_KEY "sipcast-source"
/* The id of an incoming call's first-RTP timeout, removed with the data. */
#define FIRST_RTP_TIMER_KEY "sipcast-first-rtp-timer"

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

  guint trim_id;
  gint64 last_end_us;       /* monotonic time the last call ended */

  /* Signs the digest nonces of incoming calls; new each start. */
  GBytes *nonce_key;
  /* The nonce counts callers have used, against replays. */
  SipcastDigestNonces *nonces;
  /* Wrong credentials per source address, against guessing. */
  SipcastThrottle *auth_failures;
  SipcastLocationUserFunc location_user;
  gpointer location_user_data;
  SipcastAdmissionFunc admission;
  gpointer admission_data;
};

G_DEFINE_FINAL_TYPE (SipcastCallRegistry, sipcast_call_registry, G_TYPE_OBJECT)

enum {
  SIGNAL_CALL_STARTING,
  SIGNAL_CALL_ADDED,
  SIGNAL_CALL_ABANDONED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

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

static gboolean
trim_cb (gpointer user_data)
{
  SipcastCallRegistry *self = SIPCAST_CALL_REGISTRY (user_data);
  gint64 quiet_us = g_get_monotonic_time () - self->last_end_us;
  gint64 kib = sipcast_malloc_trim ();

  g_debug ("malloc_trim: %" G_GINT64_FORMAT " KiB given back", kib);
  if (quiet_us < (gint64) self->config->transaction_timeout * 1000 + TRIM_DELAY_S * G_USEC_PER_SEC)
    return G_SOURCE_CONTINUE;
  self->trim_id = 0;
  return G_SOURCE_REMOVE;
}

static void
trim_later (SipcastCallRegistry *self)
{
  self->last_end_us = g_get_monotonic_time ();
  if (self->trim_id == 0)
    self->trim_id = g_timeout_add_seconds (TRIM_DELAY_S, trim_cb, self);
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
  trim_later (self);
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
    g_object_set_data (G_OBJECT (call), FIRST_RTP_TIMER_KEY, NULL);
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
  g_clear_handle_id (&self->trim_id, g_source_remove);
  g_clear_object (&self->shutdown_task);
  g_clear_pointer (&self->expiry, g_hash_table_unref);
  for (GList *l = self->order.head; l != NULL; l = l->next)
    g_signal_handlers_disconnect_by_data (l->data, self);
  g_queue_clear (&self->order);
  g_clear_pointer (&self->by_location, g_hash_table_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_object (&self->ports);
  g_clear_object (&self->streams);
  if (self->agent != NULL)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  g_clear_object (&self->agent);
  g_clear_pointer (&self->nonce_key, g_bytes_unref);
  g_clear_pointer (&self->nonces, sipcast_digest_nonces_free);
  g_clear_pointer (&self->auth_failures, sipcast_throttle_free);

  G_OBJECT_CLASS (sipcast_call_registry_parent_class)->dispose (object);
}

static void
sipcast_call_registry_class_init (SipcastCallRegistryClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sipcast_call_registry_dispose;

  /* See the header: a call about to touch the network, one that became
   * ours, one given up before that. */
  signals[SIGNAL_CALL_STARTING] =
    g_signal_new ("call-starting", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SIPCAST_TYPE_CALL);
  signals[SIGNAL_CALL_ADDED] =
    g_signal_new ("call-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SIPCAST_TYPE_CALL);
  signals[SIGNAL_CALL_ABANDONED] =
    g_signal_new ("call-abandoned", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, SIPCAST_TYPE_CALL);
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

static gboolean incoming_invite_cb (SipcastSipAgent *agent,
                                    nua_handle_t    *nh,
                                    const sip_t     *sip,
                                    gpointer         user_data);

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
  self->nonce_key = sipcast_digest_key_new ();
  self->nonces = sipcast_digest_nonces_new ();
  self->auth_failures = sipcast_throttle_new (AUTH_FREE_FAILURES, AUTH_MAX_WAIT_S);
  g_signal_connect (agent, "incoming-invite", G_CALLBACK (incoming_invite_cb), self);
  return self;
}

void
sipcast_call_registry_set_location_user_func (SipcastCallRegistry     *self,
                                              SipcastLocationUserFunc  func,
                                              gpointer                 user_data)
{
  g_return_if_fail (SIPCAST_IS_CALL_REGISTRY (self));
  self->location_user = func;
  self->location_user_data = user_data;
}

/* Makes @call one of ours: the registry's indexes and signals. */
static void
add_call (SipcastCallRegistry *self,
          SipcastCall         *call)
{
  g_signal_connect (call, "state-changed", G_CALLBACK (call_state_changed_cb), self);
  g_signal_connect (call, "done", G_CALLBACK (call_done_cb), self);
  if (sipcast_call_get_publish_target (call) != NULL)
    g_hash_table_insert (self->by_location,
                         sipcast_call_get_publish_target (call)->location, call);
  g_queue_push_tail (&self->order, call);
  g_hash_table_insert (self->by_id, (gpointer) sipcast_call_get_id (call), g_object_ref (call));
  g_signal_emit (self, signals[SIGNAL_CALL_ADDED], 0, call);
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

  if (params->placeholder_video != NULL) {
    SipcastPlaceholderKind kind;

    if (!sipcast_placeholder_resolve (self->config->placeholder_dir, "placeholderVideo",
                                      params->placeholder_video, &kind, NULL, error))
      return NULL;
  }

  if (params->rtmp_url != NULL && *params->rtmp_url != '\0') {
    target = sipcast_publish_target_new (params->rtmp_url, params->rtmp_stream, error);
    if (target == NULL ||
        !sipcast_publish_target_check_recordings_dir (target, self->config->recordings_dir,
                                                      error))
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
  g_signal_emit (self, signals[SIGNAL_CALL_STARTING], 0, call);
  if (!sipcast_call_start (call, self->config, self->agent, self->ports, error)) {
    sipcast_stream_registry_remove (self->streams, stream);
    g_signal_emit (self, signals[SIGNAL_CALL_ABANDONED], 0, call);
    return NULL;
  }

  add_call (self, call);
  return call;
}

/* ---- incoming calls ---- */

static void
refuse (nua_handle_t *nh,
        int           status,
        const char   *phrase,
        const char   *why)
{
  g_message (_("refusing incoming call: %03d %s (%s)"), status, phrase, why);
  nua_respond (nh, status, phrase, TAG_END ());
  nua_handle_destroy (nh);
}

/* The address the request being handled came from ("192.0.2.1"), or,
 * should sofia-sip not say, the host its Via names. */
static char *
request_source (SipcastCallRegistry *self,
                const sip_t         *sip)
{
  msg_t *msg = nua_current_request (sipcast_sip_agent_get_nua (self->agent));
  su_addrinfo_t *ai = msg != NULL ? msg_addrinfo (msg) : NULL;
  char host[NI_MAXHOST];

  if (ai != NULL && ai->ai_addr != NULL && ai->ai_addrlen > 0 &&
      getnameinfo (ai->ai_addr, (socklen_t) ai->ai_addrlen, host, sizeof host, NULL, 0,
                   NI_NUMERICHOST) == 0)
    return g_strdup (host);
  if (sip->sip_via != NULL)
    return g_strdup (sip->sip_via->v_received ? sip->sip_via->v_received : sip->sip_via->v_host);
  return g_strdup ("unknown");
}

/* TRUE when the caller may go on; otherwise @nh has been answered. */
static gboolean
authenticate (SipcastCallRegistry *self,
              const SipcastRoute  *route,
              nua_handle_t        *nh,
              const sip_t         *sip,
              const char          *source)
{
  const msg_auth_t *auth;
  SipcastDigestResult result = SIPCAST_DIGEST_STALE;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *nonce = NULL;
  g_autofree char *challenge = NULL;

  if (route->user == NULL)
    return TRUE;

  auth = sipcast_digest_find_credentials (sip, route->realm);
  if (auth != NULL) {
    su_home_t home[1] = { SU_HOME_INIT (home) };
    char *request_uri = url_as_string (home, sip->sip_request->rq_url);
    guint wait = sipcast_throttle_wait (self->auth_failures, source,
                                        g_get_monotonic_time () / G_USEC_PER_SEC);

    if (wait > 0) {
      g_autofree char *why = g_strdup_printf ("%s sent wrong credentials too often, "
                                              "%u s to wait", source, wait);

      su_home_deinit (home);
      refuse (nh, SIP_403_FORBIDDEN, why);
      return FALSE;
    }
    result = sipcast_digest_check ((const char *const *) auth->au_params,
                                   sip->sip_request->rq_method_name,
                                   request_uri != NULL ? request_uri : "",
                                   route->user, route->password, route->realm,
                                   self->nonce_key, self->nonces, now);
    su_home_deinit (home);
    if (result == SIPCAST_DIGEST_OK) {
      sipcast_throttle_success (self->auth_failures, source);
      return TRUE;
    }
    if (result == SIPCAST_DIGEST_WRONG) {
      g_autofree char *why = g_strdup_printf ("wrong credentials from %s", source);

      sipcast_throttle_failure (self->auth_failures, source,
                                g_get_monotonic_time () / G_USEC_PER_SEC);
      refuse (nh, SIP_403_FORBIDDEN, why);
      return FALSE;
    }
  }

  nonce = sipcast_digest_nonce_new (self->nonce_key, now);
  challenge = sipcast_digest_challenge (route->realm, nonce, auth != NULL);
  g_message (_("challenging incoming call to %s (route %s)"),
             sip->sip_request->rq_url->url_user, route->name);
  nua_respond (nh, SIP_401_UNAUTHORIZED, SIPTAG_WWW_AUTHENTICATE_STR (challenge), TAG_END ());
  nua_handle_destroy (nh);
  return FALSE;
}


/* Whether @route and @source are below their limits of live incoming
 * calls; else @nh was answered 503.  Each call costs RTP ports, a
 * pipeline and perhaps a file: without limits anyone who can reach the
 * SIP port with a route open to all could take every RTP port. */
static gboolean
check_incoming_limits (SipcastCallRegistry *self,
                       const SipcastRoute  *route,
                       const char          *source,
                       nua_handle_t        *nh)
{
  guint on_route = 0;
  guint from_source = 0;
  g_autofree char *why = NULL;

  for (GList *l = self->order.head; l != NULL; l = l->next) {
    SipcastCall *call = l->data;

    if (!sipcast_call_get_incoming (call) ||
        sipcast_call_status_is_final (sipcast_call_get_status (call)))
      continue;
    if (g_strcmp0 (g_object_get_data (G_OBJECT (call), ROUTE_KEY), route->name) == 0)
      on_route++;
    if (g_strcmp0 (g_object_get_data (G_OBJECT (call), SOURCE_KEY), source) == 0)
      from_source++;
  }
  if (route->max_calls != 0 && on_route >= route->max_calls)
    why = g_strdup_printf ("route %s has its %u calls (max-calls)", route->name, on_route);
  else if (self->config->max_incoming_per_source != 0 &&
           from_source >= self->config->max_incoming_per_source)
    why = g_strdup_printf ("%s has %u calls already (max-incoming-per-source)", source,
                           from_source);
  if (why == NULL)
    return TRUE;
  refuse (nh, SIP_503_SERVICE_UNAVAILABLE, why);
  return FALSE;
}

/* An answered incoming call from which no audio has come: hung up.  The
 * call is held by the source (destroyed when the call ends). */
static gboolean
first_rtp_timeout_cb (gpointer user_data)
{
  SipcastCall *call = SIPCAST_CALL (user_data);
  SipcastCallStatus status = sipcast_call_get_status (call);

  /* This source is being dispatched: forget its id, do not remove it. */
  g_object_steal_data (G_OBJECT (call), FIRST_RTP_TIMER_KEY);
  /* Not answered yet (ACK missing), on hold from the start, or ended:
   * not this timer's business. */
  if (status != SIPCAST_CALL_STATUS_ESTABLISHED ||
      sipcast_stream_get_status (sipcast_call_get_stream (call)) != SIPCAST_STREAM_WAIT)
    return G_SOURCE_REMOVE;
  g_message (_("call %s: no audio from the caller since the answer, hanging up"),
             sipcast_call_get_id (call));
  sipcast_call_hangup_failed (call, "Failed by RTP activity");
  return G_SOURCE_REMOVE;
}

static void
remove_first_rtp_timer (gpointer id)
{
  g_source_remove (GPOINTER_TO_UINT (id));
}

/* The SIP answer to an error of sipcast_call_answer_incoming(). */
static void
refuse_for_error (nua_handle_t *nh,
                  const GError *error)
{
  if (g_error_matches (error, SIPCAST_ERROR, SIPCAST_ERROR_SDP) ||
      g_error_matches (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_COMMON_CODEC)) {
    /* The caller's user sees why in the Warning (RFC 3261 §20.43). */
    g_autofree char *warning = sipcast_sip_agent_warning (error->message);

    g_message (_("refusing incoming call: 488 Not Acceptable Here (%s)"), error->message);
    nua_respond (nh, SIP_488_NOT_ACCEPTABLE, SIPTAG_WARNING_STR (warning), TAG_END ());
    nua_handle_destroy (nh);
  } else if (g_error_matches (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_PORTS) ||
             g_error_matches (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_FDS))
    refuse (nh, SIP_503_SERVICE_UNAVAILABLE, error->message);
  else if (g_error_matches (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT))
    refuse (nh, SIP_486_BUSY_HERE, error->message);
  else
    refuse (nh, SIP_500_INTERNAL_SERVER_ERROR, error->message);
}

/* Params of the call @route makes of @sip; the templates expanded. */
static SipcastCallParams *
incoming_params (const SipcastRoute *route,
                 const sip_t        *sip,
                 const char         *callee,
                 const char         *caller)
{
  SipcastCallParams *params = g_new0 (SipcastCallParams, 1);
  const char *call_id = sip->sip_call_id->i_id;

  params->call_id = g_strdup (call_id);
  params->callee = g_strdup (callee);
  params->to_stream = route->to_stream != NULL ?
                      sipcast_route_expand (route, route->to_stream, callee, caller, call_id) :
                      g_strdup (call_id);
  params->rtmp_url = sipcast_route_expand (route, route->rtmp_url, callee, caller, call_id);
  params->rtmp_stream = sipcast_route_expand (route, route->rtmp_stream, callee, caller, call_id);
  params->has_audio = route->has_audio;
  params->has_video = route->has_video;
  params->rtmp_profile = g_strdup (route->profile);
  params->placeholder_video = g_strdup (route->placeholder_video);
  if (sip->sip_from->a_display != NULL && *sip->sip_from->a_display != '\0') {
    g_autofree char *display = g_strdup (sip->sip_from->a_display);

    /* A quoted display-name is shown without its quotes. */
    params->visible_name = g_strdup (g_strstrip (g_strdelimit (display, "\"", ' ')));
  }
  return params;
}

/* Whether the call @params describes may start; else @nh was answered. */
static gboolean
check_conflicts (SipcastCallRegistry         *self,
                 const SipcastCallParams     *params,
                 const SipcastPublishTarget  *target,
                 nua_handle_t                *nh)
{
  SipcastCall *other = g_hash_table_lookup (self->by_id, params->call_id);
  g_autofree char *user = NULL;

  if (other != NULL) {
    refuse (nh, SIP_486_BUSY_HERE, "a call with this Call-ID exists");
    return FALSE;
  }
  if (target != NULL) {
    other = g_hash_table_lookup (self->by_location, target->location);
    if (other == NULL && self->location_user != NULL)
      user = self->location_user (self->location_user_data, target->location);
    if (other != NULL || user != NULL) {
      g_autofree char *why = g_strdup_printf ("%s is already publishing to %s",
                                              other ? sipcast_call_get_id (other) : user,
                                              target->location);
      refuse (nh, SIP_486_BUSY_HERE, why);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
incoming_invite_cb (SipcastSipAgent *agent,
                    nua_handle_t    *nh,
                    const sip_t     *sip,
                    gpointer         user_data)
{
  SipcastCallRegistry *self = SIPCAST_CALL_REGISTRY (user_data);
  const char *callee;
  const char *caller;
  const SipcastRoute *route;
  g_autoptr (SipcastCallParams) params = NULL;
  g_autoptr (SipcastPublishTarget) target = NULL;
  g_autoptr (SipcastStream) stream = NULL;
  g_autoptr (SipcastCall) call = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *source = NULL;

  if (sip->sip_request == NULL || sip->sip_from == NULL || sip->sip_call_id == NULL) {
    refuse (nh, SIP_400_BAD_REQUEST, "incomplete INVITE");
    return TRUE;
  }
  callee = sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : "";
  caller = sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "";
  /* Both go into route matching (GLib's glob asserts on invalid UTF-8),
   * JSON, events and logs: a request that is not text is refused here. */
  if (!g_utf8_validate (callee, -1, NULL) || !g_utf8_validate (caller, -1, NULL)) {
    refuse (nh, SIP_400_BAD_REQUEST, "user part is not UTF-8");
    return TRUE;
  }

  if (self->shutdown_task != NULL) {
    refuse (nh, SIP_503_SERVICE_UNAVAILABLE, "shutting down");
    return TRUE;
  }
  if (self->admission != NULL) {
    g_autofree char *why = self->admission (self->admission_data);

    if (why != NULL) {
      refuse (nh, SIP_503_SERVICE_UNAVAILABLE, why);
      return TRUE;
    }
  }

  route = sipcast_route_find (self->config->routes, callee);
  if (route == NULL) {
    g_autofree char *why = g_strdup_printf ("no route for “%s”", callee);

    refuse (nh, SIP_404_NOT_FOUND, why);
    return TRUE;
  }
  if (route->reject != 0) {
    g_autofree char *why = g_strdup_printf ("route %s rejects “%s”", route->name, callee);

    const char *phrase = sip_status_phrase ((int) route->reject);

    refuse (nh, (int) route->reject, phrase != NULL ? phrase : "Rejected", why);
    return TRUE;
  }
  source = request_source (self, sip);
  if (!authenticate (self, route, nh, sip, source))
    return TRUE;

  if (!check_incoming_limits (self, route, source, nh))
    return TRUE;

  params = incoming_params (route, sip, callee, caller);
  if (params->rtmp_url != NULL) {
    target = sipcast_publish_target_new (params->rtmp_url, params->rtmp_stream, &error);
    if (target == NULL ||
        !sipcast_publish_target_check_recordings_dir (target, self->config->recordings_dir,
                                                      &error)) {
      refuse (nh, SIP_500_INTERNAL_SERVER_ERROR, error->message);
      return TRUE;
    }
  }
  if (!check_conflicts (self, params, target, nh))
    return TRUE;

  stream = sipcast_stream_new (params->to_stream, params->call_id);
  if (!sipcast_stream_registry_add (self->streams, stream, &error)) {
    refuse (nh, SIP_486_BUSY_HERE, error->message);
    return TRUE;
  }

  call = sipcast_call_new_incoming (g_steal_pointer (&params), g_steal_pointer (&target),
                                    stream, caller);
  g_signal_emit (self, signals[SIGNAL_CALL_STARTING], 0, call);
  if (!sipcast_call_answer_incoming (call, self->config, self->agent, self->ports, nh, sip,
                                     route->ring_time, &error)) {
    sipcast_stream_registry_remove (self->streams, stream);
    g_signal_emit (self, signals[SIGNAL_CALL_ABANDONED], 0, call);
    refuse_for_error (nh, error);
    return TRUE;
  }
  /* Answered and ringing, not ended: nothing the registry follows has
   * happened yet. */
  g_object_set_data_full (G_OBJECT (call), ROUTE_KEY, g_strdup (route->name), g_free);
  g_object_set_data_full (G_OBJECT (call), SOURCE_KEY, g_steal_pointer (&source), g_free);
  if (self->config->first_rtp_timeout != 0) {
    guint id = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                   route->ring_time + self->config->first_rtp_timeout * 1000,
                                   first_rtp_timeout_cb, g_object_ref (call), g_object_unref);

    /* Removed when the call ends (call_state_changed_cb): the source
     * holds the call. */
    g_object_set_data_full (G_OBJECT (call), FIRST_RTP_TIMER_KEY, GUINT_TO_POINTER (id),
                            remove_first_rtp_timer);
  }
  add_call (self, call);
  g_message (_("incoming call %s routed by %s"), sipcast_call_get_id (call), route->name);
  return TRUE;
}

void
sipcast_call_registry_set_admission_func (SipcastCallRegistry  *self,
                                          SipcastAdmissionFunc  func,
                                          gpointer              user_data)
{
  g_return_if_fail (SIPCAST_IS_CALL_REGISTRY (self));
  self->admission = func;
  self->admission_data = user_data;
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
      if (filter->sip_login != NULL && g_strcmp0 (filter->sip_login, params->sip_login) != 0)
        continue;
      if (filter->sip_domain != NULL && g_strcmp0 (filter->sip_domain, params->sip_domain) != 0)
        continue;
      if (filter->app_key != NULL && g_strcmp0 (filter->app_key, params->app_key) != 0)
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
  g_warning (_("calls did not end within %d s of shutdown"), SHUTDOWN_GRACE_S);
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
  g_message (_("hanging up %u call(s)"), g_list_length (calls));
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

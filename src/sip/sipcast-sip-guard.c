/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sip"

#include "config.h"
#include "sipcast-sip-guard.h"
#include "sipcast-networks.h"
#include "sipcast-rate-limit.h"

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

/*
 * See the header.  The verdicts themselves are pure (sipcast-rate-limit.c,
 * sipcast-networks.c); this file finds the source of the request nua is
 * delivering and answers it.
 */

/* Seconds a refused source is told to wait (Retry-After): one token
 * bucket's worth of refill. */
#define RETRY_AFTER_S "2"

struct _SipcastSipGuard {
  GObject parent_instance;

  guint rate;                 /* [sip] max-requests-per-second, 0: off */
  SipcastRateLimit *limit;
  SipcastNetworks *trusted;   /* empty: any source */
  guint64 rate_limited;       /* requests refused 503 */
  guint64 untrusted;          /* INVITEs refused 403 */
};

G_DEFINE_FINAL_TYPE (SipcastSipGuard, sipcast_sip_guard, G_TYPE_OBJECT)

static void
sipcast_sip_guard_finalize (GObject *object)
{
  SipcastSipGuard *self = SIPCAST_SIP_GUARD (object);

  g_clear_pointer (&self->limit, sipcast_rate_limit_free);
  g_clear_pointer (&self->trusted, sipcast_networks_free);
  G_OBJECT_CLASS (sipcast_sip_guard_parent_class)->finalize (object);
}

static void
sipcast_sip_guard_class_init (SipcastSipGuardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sipcast_sip_guard_finalize;
}

static void
sipcast_sip_guard_init (SipcastSipGuard *self)
{
}

SipcastSipGuard *
sipcast_sip_guard_new (const SipcastConfig *config)
{
  SipcastSipGuard *self = g_object_new (SIPCAST_TYPE_SIP_GUARD, NULL);
  g_autoptr (GError) error = NULL;

  self->rate = config->max_requests_per_second;
  self->limit = sipcast_rate_limit_new (self->rate);
  self->trusted = sipcast_networks_parse (config->trusted_networks, &error);
  if (self->trusted == NULL) {
    /* The configuration was checked when it was loaded. */
    g_critical ("trusted-networks: %s", error->message);
    self->trusted = sipcast_networks_parse (NULL, NULL);
  }
  return self;
}

/* The address the request being delivered came from, NULL if unknown. */
static char *
request_source (nua_t *nua)
{
  msg_t *msg = nua_current_request (nua);
  const su_addrinfo_t *ai = msg != NULL ? msg_addrinfo (msg) : NULL;
  g_autoptr (GSocketAddress) peer = NULL;

  if (ai == NULL || ai->ai_addr == NULL)
    return NULL;
  peer = g_socket_address_new_from_native (ai->ai_addr, ai->ai_addrlen);
  if (peer == NULL || !G_IS_INET_SOCKET_ADDRESS (peer))
    return NULL;
  return g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (peer)));
}

/* Whether sipcast answers @event itself (nua has not already). */
static gboolean
answered_by_us (nua_event_t event)
{
  switch (event) {
  case nua_i_options:
  case nua_i_cancel:
  case nua_i_ack:
  case nua_i_bye:
  case nua_i_prack:
  case nua_i_update:
  case nua_i_refer:
  case nua_i_notify:
  case nua_i_info:
    /* Answered by nua, or only valid within a dialog, where nua answers
     * 481 for an unknown one. */
    return FALSE;
  default:
    return TRUE;
  }
}

gboolean
sipcast_sip_guard_admit (SipcastSipGuard *self,
                         nua_t           *nua,
                         nua_event_t      event,
                         nua_handle_t    *nh,
                         const sip_t     *sip)
{
  g_autofree char *source = NULL;
  SipcastRateLimitVerdict verdict;

  g_return_val_if_fail (SIPCAST_IS_SIP_GUARD (self), TRUE);

  source = request_source (nua);
  if (source == NULL)
    return TRUE;

  verdict = sipcast_rate_limit_check (self->limit, source, g_get_monotonic_time ());
  if (verdict != SIPCAST_RATE_LIMIT_ALLOW && answered_by_us (event)) {
    self->rate_limited++;
    if (verdict == SIPCAST_RATE_LIMIT_REFUSE_AND_LOG)
      g_message ("SIP: %s sends more than %u requests a second (max-requests-per-second): "
                 "refusing them with 503 (logged again in %d s at the earliest)",
                 source, self->rate, SIPCAST_RATE_LIMIT_LOG_INTERVAL_S);
    nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE,
                 SIPTAG_RETRY_AFTER_STR (RETRY_AFTER_S), TAG_END ());
    nua_handle_destroy (nh);
    return FALSE;
  }

  if (event == nua_i_invite && !sipcast_networks_is_empty (self->trusted) &&
      !sipcast_networks_contain (self->trusted, source)) {
    self->untrusted++;
    g_message ("SIP: refusing an incoming call from %s, outside trusted-networks (403)", source);
    nua_respond (nh, SIP_403_FORBIDDEN, TAG_END ());
    nua_handle_destroy (nh);
    return FALSE;
  }
  return TRUE;
}

guint64
sipcast_sip_guard_get_rate_limited (SipcastSipGuard *self)
{
  g_return_val_if_fail (SIPCAST_IS_SIP_GUARD (self), 0);
  return self->rate_limited;
}

guint64
sipcast_sip_guard_get_untrusted (SipcastSipGuard *self)
{
  g_return_val_if_fail (SIPCAST_IS_SIP_GUARD (self), 0);
  return self->untrusted;
}

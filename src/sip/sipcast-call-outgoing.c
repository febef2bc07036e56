/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-call"

#include "config.h"
#include "sipcast-call-internal.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>

/*
 * Starting a call of ours (/call/startup): its addresses, RTP ports and
 * offer, its dialog, the next hop's name resolved and the REGISTER first
 * when asked, then the INVITE and the no-answer timeout.
 */

static gboolean
no_answer_timeout_cb (gpointer user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  self->no_answer_timeout_id = 0;
  g_message (_("call %s: no answer, cancelling"), self->params->call_id);
  self->timed_out = TRUE;
  sipcast_call_hangup (self);
  return G_SOURCE_REMOVE;
}

static void
send_invite (SipcastCall *self)
{
  g_message (_("call %s: INVITE %s (RTP port %u)"), self->params->call_id, self->request_uri,
             sipcast_media_session_get_rtp_port (self->media));
  self->invite_sent_at = g_get_monotonic_time ();
  sipcast_dialog_invite (self->dialog, self->request_uri, self->local_sdp);

  if (self->no_answer_timeout > 0)
    self->no_answer_timeout_id = g_timeout_add_seconds (self->no_answer_timeout,
                                                        no_answer_timeout_cb, self);
}

/* PENDING until the registrar has accepted us; then the INVITE. */
static void
registration_state_changed_cb (SipcastRegistration      *registration,
                               SipcastRegistrationState  state,
                               SipcastRegistrationState  old,
                               gpointer                  user_data)
{
  SipcastCall *self = SIPCAST_CALL (user_data);

  if (self->status != SIPCAST_CALL_STATUS_PENDING)
    return;
  if (state == SIPCAST_REGISTRATION_REGISTERED)
    send_invite (self);
  else if (state == SIPCAST_REGISTRATION_FAILED)
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED,
                sipcast_registration_get_sip_status (registration),
                sipcast_registration_get_failure (registration));
}

/* Outbound proxy (if any) known: REGISTER first when asked, else the
 * INVITE. */
static gboolean
send_first_request (SipcastCall  *self,
                    GError      **error)
{
  g_autoptr (SipcastSipAddresses) addresses = g_steal_pointer (&self->addresses);

  if (addresses->proxy != NULL) {
    sipcast_dialog_set_proxy (self->dialog, addresses->proxy);
    g_message (_("call %s: through the outbound proxy %s"), self->params->call_id,
               addresses->proxy);
  }

  if (self->params->sip_register_required) {
    self->registration = sipcast_registration_new (self->agent, self->config, self->params,
                                                   addresses, self->params->call_id);
    g_signal_connect (self->registration, "state-changed",
                      G_CALLBACK (registration_state_changed_cb), self);
    if (!sipcast_registration_start (self->registration, error))
      return FALSE;
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_PENDING, 0, NULL);
    return TRUE;
  }

  send_invite (self);
  return TRUE;
}

static void
next_hop_resolved_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (SipcastCall) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autolist (GInetAddress) found = NULL;
  g_autofree char *address = NULL;

  found = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->resolving);
  if (sipcast_call_status_is_final (self->status))
    return;

  if (found == NULL) {
    g_autofree char *info = g_strdup_printf ("DNS Error: %s", error->message);

    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, 503, info);
    return;
  }
  /* The first address of the family we listen on. */
  for (GList *l = found; l != NULL && address == NULL; l = l->next) {
    g_autoptr (GInetAddress) ours = g_inet_address_new_from_string (
      sipcast_sip_agent_get_address (self->agent));

    if (ours == NULL ||
        g_inet_address_get_family (l->data) == g_inet_address_get_family (ours))
      address = g_inet_address_to_string (l->data);
  }
  if (address == NULL)
    address = g_inet_address_to_string (found->data);
  g_message (_("call %s: %s is %s"), self->params->call_id, self->addresses->next_hop_host,
             address);
  sipcast_sip_addresses_route_via (self->addresses, address);

  if (!send_first_request (self, &error))
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_FAILED, 0, error->message);
}

gboolean
sipcast_call_start (SipcastCall         *self,
                    const SipcastConfig *config,
                    SipcastSipAgent     *agent,
                    SipcastPortPool     *ports,
                    GError             **error)
{
  g_autoptr (GSocket) rtp = NULL;
  g_autoptr (GSocket) rtcp = NULL;
  g_autoptr (SipcastSipAddresses) addresses = NULL;
  g_autofree char *contact = NULL;
  g_autofree const SipcastCodec **audio_codecs = NULL;
  SipcastDialog *dialog;

  g_return_val_if_fail (SIPCAST_IS_CALL (self), FALSE);
  g_return_val_if_fail (self->agent == NULL, FALSE);

  addresses = sipcast_sip_addresses_new (self->params, config->sip_transport,
                                         sipcast_sip_agent_get_address (agent), error);
  if (addresses == NULL)
    return FALSE;
  if (g_strcmp0 (addresses->transport, "tls") == 0 && !sipcast_sip_agent_has_tls (agent)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                         _("SIP over TLS is off: it needs a certificate of sipcast's own "
                           "([sip] tls-certificate-dir with agent.pem)"));
    return FALSE;
  }
  if (self->params->sip_register_required && addresses->registrar == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD,
                         _("sipRegisterRequired needs the sipDomain to register in"));
    return FALSE;
  }

  if (!sipcast_port_pool_allocate (ports, &rtp, &rtcp, error))
    return FALSE;

  sipcast_call_create_media (self, config, rtp, rtcp);

  sipcast_call_allocate_video (self, ports);
  /* The config loader has validated the names, so this cannot fail. */
  audio_codecs = sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO,
                                             (const char *const *) config->audio_codecs, NULL);
  sipcast_call_write_offer (self, sipcast_sip_agent_get_media_address (agent), audio_codecs);

  self->request_uri = g_strdup (addresses->request_uri);
  self->over_tls = g_strcmp0 (addresses->transport, "tls") == 0;
  self->no_answer_timeout = config->no_answer_timeout;
  self->agent = g_object_ref (agent);
  contact = sipcast_sip_agent_contact (agent, self->caller, addresses->transport,
                                       g_ascii_strncasecmp (addresses->request_uri, "sips:", 5) == 0);
  dialog = sipcast_dialog_new (agent, config, self->params->call_id, addresses->request_uri,
                               addresses->from, contact, error);
  if (dialog == NULL) {
    g_clear_object (&self->agent);
    return FALSE;
  }
  sipcast_call_set_dialog (self, dialog);
  sipcast_dialog_set_credentials (dialog,
                                  self->params->sip_auth_name ? self->params->sip_auth_name :
                                  self->params->sip_login ? self->params->sip_login :
                                  SIPCAST_CALL_DEFAULT_LOGIN,
                                  self->params->sip_password);
  self->addresses = g_steal_pointer (&addresses);

  if (self->addresses->next_hop_host != NULL) {
    g_autoptr (GResolver) resolver = g_resolver_get_default ();

    /* PENDING while resolving, the host's address is where requests go. */
    sipcast_call_set_status (self, SIPCAST_CALL_STATUS_PENDING, 0, NULL);
    self->resolving = g_cancellable_new ();
    g_resolver_lookup_by_name_async (resolver, self->addresses->next_hop_host,
                                     self->resolving, next_hop_resolved_cb,
                                     g_object_ref (self));
    return TRUE;
  }
  return send_first_request (self, error);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sip"

#include "config.h"
#include "sipcast-registration.h"
#include "sipcast-error.h"

#include <string.h>
#include <glib/gi18n.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

/*
 * NONE → REGISTERING → REGISTERED → UNREGISTERING → UNREGISTERED, or
 * FAILED from REGISTERING.  nua keeps the registration fresh itself
 * (re-REGISTER before Expires runs out, re-using the credentials it was
 * given); each 2xx is counted so a refresh can be seen.  A challenge is
 * answered once per realm: a second one means the credentials are wrong.
 */

enum {
  SIGNAL_STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _SipcastRegistration {
  GObject parent_instance;

  SipcastSipAgent *agent;
  nua_handle_t *nh;
  char *log_id;
  char *registrar;
  char *aor;
  char *proxy;
  char *transport;
  char *login;
  char *auth_user;
  char *password;
  guint expires;

  SipcastRegistrationState state;
  guint sip_status;
  char *failure;
  guint accepted;
  gboolean auth_tried;
  gboolean stop_requested;     /* stopped while the first REGISTER was out */
  GPtrArray *answered_realms;  /* "scheme:realm" each challenge answered once */
};

static void event_target_iface_init (SipcastEventTargetInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SipcastRegistration, sipcast_registration, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIPCAST_TYPE_EVENT_TARGET,
                                                      event_target_iface_init))

static void
release_handle (SipcastRegistration *self)
{
  if (self->nh == NULL)
    return;
  nua_handle_bind (self->nh, NULL);
  g_clear_pointer (&self->nh, nua_handle_destroy);
}

static const char *
state_name (SipcastRegistrationState state)
{
  switch (state) {
  case SIPCAST_REGISTRATION_NONE:
    return "none";
  case SIPCAST_REGISTRATION_REGISTERING:
    return "registering";
  case SIPCAST_REGISTRATION_REGISTERED:
    return "registered";
  case SIPCAST_REGISTRATION_FAILED:
    return "failed";
  case SIPCAST_REGISTRATION_UNREGISTERING:
    return "unregistering";
  case SIPCAST_REGISTRATION_UNREGISTERED:
    return "unregistered";
  }
  return "?";
}

/* The one setter of the state. */
static void
set_state (SipcastRegistration      *self,
           SipcastRegistrationState  state)
{
  SipcastRegistrationState old = self->state;

  if (old == state)
    return;
  self->state = state;
  g_message (_("registration %s of %s: %s → %s (%u%s%s)"), self->log_id, self->aor,
             state_name (old), state_name (state), self->sip_status,
             self->failure ? ", " : "", self->failure ? self->failure : "");
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state, old);
}

static void
fail (SipcastRegistration *self,
      guint                status,
      const char          *reason)
{
  self->sip_status = status;
  g_free (self->failure);
  self->failure = g_strdup (reason);
  /* Nothing left to refresh or to take back. */
  release_handle (self);
  set_state (self, SIPCAST_REGISTRATION_FAILED);
}

static gboolean
try_authenticate (SipcastRegistration *self,
                  const sip_t         *sip)
{
  if (!sipcast_sip_authenticate (self->nh, sip, self->auth_user, self->password,
                                 self->answered_realms))
    return FALSE;
  /* Once per realm: a second challenge means the password is wrong. */
  self->auth_tried = TRUE;
  return TRUE;
}

static void
handle_register_response (SipcastRegistration *self,
                          int                  status,
                          const char          *phrase,
                          const sip_t         *sip)
{
  g_autofree char *reason = NULL;

  if (status < 200)
    return;

  if (status < 300) {
    self->sip_status = status;
    self->accepted++;
    g_debug ("registration %s: %03d %s (accepted %u times)", self->log_id, status, phrase,
             self->accepted);
    set_state (self, SIPCAST_REGISTRATION_REGISTERED);
    if (self->stop_requested)
      sipcast_registration_stop (self);
    return;
  }

  if ((status == 401 || status == 407) && try_authenticate (self, sip))
    return;

  if (status == 408)
    reason = g_strdup ("Failed by request timeout");
  else if (self->auth_tried && (status == 401 || status == 403 || status == 407))
    reason = g_strdup_printf ("Registration authentication failed (%03d %s)", status, phrase);
  else
    reason = g_strdup_printf ("Registration failed (%03d %s)", status, phrase);

  if (self->state == SIPCAST_REGISTRATION_REGISTERED)
    g_warning (_("registration %s of %s lost: %s"), self->log_id, self->aor, reason);
  fail (self, status, reason);
}

static void
handle_nua_event (SipcastEventTarget *target,
                  nua_event_t         event,
                  int                 status,
                  const char         *phrase,
                  const sip_t        *sip,
                  tagi_t              tags[])
{
  SipcastRegistration *self = SIPCAST_REGISTRATION (target);
  g_autoptr (SipcastRegistration) guard G_GNUC_UNUSED = g_object_ref (self);

  switch (event) {
  case nua_r_register:
    handle_register_response (self, status, phrase, sip);
    break;
  case nua_r_unregister:
    if (status < 200)
      break;
    g_debug ("registration %s: un-REGISTER answered %03d %s", self->log_id, status, phrase);
    release_handle (self);
    set_state (self, SIPCAST_REGISTRATION_UNREGISTERED);
    break;
  default:
    break;
  }
}

static void
event_target_iface_init (SipcastEventTargetInterface *iface)
{
  iface->handle_event = handle_nua_event;
}

static void
sipcast_registration_dispose (GObject *object)
{
  SipcastRegistration *self = SIPCAST_REGISTRATION (object);

  release_handle (self);
  g_clear_object (&self->agent);

  G_OBJECT_CLASS (sipcast_registration_parent_class)->dispose (object);
}

static void
sipcast_registration_finalize (GObject *object)
{
  SipcastRegistration *self = SIPCAST_REGISTRATION (object);

  g_free (self->log_id);
  g_free (self->registrar);
  g_free (self->aor);
  g_free (self->proxy);
  g_free (self->transport);
  g_free (self->login);
  g_free (self->auth_user);
  if (self->password != NULL) {
    explicit_bzero (self->password, strlen (self->password));
    g_free (self->password);
  }
  g_free (self->failure);
  g_ptr_array_unref (self->answered_realms);

  G_OBJECT_CLASS (sipcast_registration_parent_class)->finalize (object);
}

static void
sipcast_registration_class_init (SipcastRegistrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_registration_dispose;
  object_class->finalize = sipcast_registration_finalize;

  /* (new state, old state), SipcastRegistrationState values */
  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
}

static void
sipcast_registration_init (SipcastRegistration *self)
{
  self->answered_realms = g_ptr_array_new_with_free_func (g_free);
}

SipcastRegistration *
sipcast_registration_new (SipcastSipAgent           *agent,
                          const SipcastConfig       *config,
                          const SipcastCallParams   *params,
                          const SipcastSipAddresses *addresses,
                          const char                *log_id)
{
  SipcastRegistration *self;

  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (agent), NULL);
  g_return_val_if_fail (addresses->registrar != NULL && addresses->aor != NULL, NULL);

  self = g_object_new (SIPCAST_TYPE_REGISTRATION, NULL);
  self->agent = g_object_ref (agent);
  self->log_id = g_strdup (log_id);
  self->registrar = g_strdup (addresses->registrar);
  self->aor = g_strdup (addresses->aor);
  self->proxy = g_strdup (addresses->proxy);
  self->transport = g_strdup (addresses->transport);
  self->login = g_strdup (params->sip_login ? params->sip_login : "sipcast");
  self->auth_user = g_strdup (params->sip_auth_name ? params->sip_auth_name : self->login);
  self->password = g_strdup (params->sip_password);
  self->expires = config->register_expires;
  return self;
}

gboolean
sipcast_registration_start (SipcastRegistration  *self,
                            GError              **error)
{
  g_autofree char *expires = NULL;
  g_autofree char *contact = NULL;

  g_return_val_if_fail (SIPCAST_IS_REGISTRATION (self), FALSE);
  g_return_val_if_fail (self->state == SIPCAST_REGISTRATION_NONE, FALSE);

  /* The handle's magic is the registration, as an event target: the
   * agent hands it the handle's events. */
  contact = sipcast_sip_agent_contact (self->agent, self->login, self->transport, FALSE);
  self->nh = nua_handle (sipcast_sip_agent_get_nua (self->agent),
                         (nua_hmagic_t *) self,
                         SIPTAG_TO_STR (self->aor),
                         SIPTAG_FROM_STR (self->aor),
                         SIPTAG_CONTACT_STR (contact),
                         TAG_END ());
  if (self->nh == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INTERNAL,
                 _("Could not create a SIP handle for registering %s"), self->aor);
    return FALSE;
  }

  /* A handle parameter, so the refreshes and the un-REGISTER take the
   * same way. */
  if (self->proxy != NULL)
    nua_set_hparams (self->nh, NUTAG_PROXY (self->proxy), TAG_END ());

  expires = g_strdup_printf ("%u", self->expires);
  g_message (_("registration %s: REGISTER %s at %s%s%s"), self->log_id, self->aor, self->registrar,
             self->proxy ? " through " : "", self->proxy ? self->proxy : "");
  set_state (self, SIPCAST_REGISTRATION_REGISTERING);
  nua_register (self->nh,
                NUTAG_REGISTRAR (self->registrar),
                SIPTAG_EXPIRES_STR (expires),
                /* Our Contact is given and the registrar is reached
                 * directly: none of nua's RFC 5626 machinery, whose
                 * validating OPTIONS went to port 5060 of the AOR's host. */
                NUTAG_OUTBOUND ("no-outbound no-validate no-natify no-options-keepalive"),
                NUTAG_KEEPALIVE (0),
                TAG_END ());
  return TRUE;
}

void
sipcast_registration_stop (SipcastRegistration *self)
{
  g_return_if_fail (SIPCAST_IS_REGISTRATION (self));

  switch (self->state) {
  case SIPCAST_REGISTRATION_REGISTERED:
    set_state (self, SIPCAST_REGISTRATION_UNREGISTERING);
    g_message (_("registration %s: un-REGISTER %s"), self->log_id, self->aor);
    nua_unregister (self->nh, TAG_END ());
    break;
  case SIPCAST_REGISTRATION_REGISTERING:
    /* The registrar may accept it still: take it back then, rather than
     * leave a binding behind until it expires. */
    self->stop_requested = TRUE;
    break;
  case SIPCAST_REGISTRATION_NONE:
  case SIPCAST_REGISTRATION_FAILED:
  case SIPCAST_REGISTRATION_UNREGISTERING:
  case SIPCAST_REGISTRATION_UNREGISTERED:
    break;
  }
}

SipcastRegistrationState
sipcast_registration_get_state (SipcastRegistration *self)
{
  g_return_val_if_fail (SIPCAST_IS_REGISTRATION (self), SIPCAST_REGISTRATION_FAILED);
  return self->state;
}

guint
sipcast_registration_get_sip_status (SipcastRegistration *self)
{
  g_return_val_if_fail (SIPCAST_IS_REGISTRATION (self), 0);
  return self->sip_status;
}

const char *
sipcast_registration_get_failure (SipcastRegistration *self)
{
  g_return_val_if_fail (SIPCAST_IS_REGISTRATION (self), NULL);
  return self->state == SIPCAST_REGISTRATION_FAILED ? self->failure : NULL;
}

guint
sipcast_registration_get_accepted_count (SipcastRegistration *self)
{
  g_return_val_if_fail (SIPCAST_IS_REGISTRATION (self), 0);
  return self->accepted;
}

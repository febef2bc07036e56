/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The call's log domain: these lines were the call's before the dialog
 * had an object of its own, and logs are read by that name. */
#define G_LOG_DOMAIN "sipcast-call"

#include "config.h"
#include "sipcast-dialog.h"
#include "sipcast-error.h"
#include "sipcast-sip-enums.h"

#include <glib/gi18n.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/msg_addr.h>

/*
 * The SIP side of a call, as telepathy-rakia's RakiaSipSession: the nua
 * handle's events become state changes and signals, and the owner's
 * decisions become requests and responses.  Outgoing: IDLE → INVITE_SENT
 * → ESTABLISHED; incoming: INVITE_RECEIVED → ACCEPTED(_OFFER) →
 * ESTABLISHED on the ACK; re-INVITEs go through REINVITE_* and back;
 * CANCELLING or TERMINATING after our hangup, TERMINATED at the end.
 */

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_CALLING,
  SIGNAL_PROGRESS,
  SIGNAL_ANSWER,
  SIGNAL_FAILED,
  SIGNAL_REINVITE,
  SIGNAL_REINVITE_ACK,
  SIGNAL_REFRESHED,
  SIGNAL_TERMINATED,
  SIGNAL_INFO_DTMF,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

struct _SipcastDialog {
  GObject parent_instance;

  SipcastSipAgent *agent;
  const SipcastConfig *config;
  char *log_id;
  nua_handle_t *nh;
  SipcastDialogState state;
  /* Our Contact in an incoming dialog: for the transport and address its
   * INVITE came over; nua keeps it for the dialog's later requests and
   * answers. */
  char *contact;

  char *auth_user;
  char *auth_password;
  GPtrArray *answered_realms;  /* "scheme:realm" each challenge answered once */
  gboolean auth_tried;

  guint hangup_guard_id;  /* ends the dialog should a CANCEL/BYE get nowhere */

  /* SIP INFO DTMF: digits not yet sent, one INFO in flight at a time so
   * the far end sees them in order. */
  GString *info_digits;
  SipcastDtmfType info_type;
  gboolean info_in_flight;
};

static void event_target_iface_init (SipcastEventTargetInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SipcastDialog, sipcast_dialog, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (SIPCAST_TYPE_EVENT_TARGET,
                                                      event_target_iface_init))

const char *
sipcast_dialog_state_to_string (SipcastDialogState state)
{
  switch (state) {
  case SIPCAST_DIALOG_STATE_IDLE:
    return "idle";
  case SIPCAST_DIALOG_STATE_INVITE_SENT:
    return "invite-sent";
  case SIPCAST_DIALOG_STATE_INVITE_RECEIVED:
    return "invite-received";
  case SIPCAST_DIALOG_STATE_ACCEPTED:
    return "accepted";
  case SIPCAST_DIALOG_STATE_ACCEPTED_OFFER:
    return "accepted-offer";
  case SIPCAST_DIALOG_STATE_ESTABLISHED:
    return "established";
  case SIPCAST_DIALOG_STATE_REINVITE_SENT:
    return "reinvite-sent";
  case SIPCAST_DIALOG_STATE_REINVITE_RECEIVED:
    return "reinvite-received";
  case SIPCAST_DIALOG_STATE_REINVITE_OFFERED:
    return "reinvite-offered";
  case SIPCAST_DIALOG_STATE_CANCELLING:
    return "cancelling";
  case SIPCAST_DIALOG_STATE_TERMINATING:
    return "terminating";
  case SIPCAST_DIALOG_STATE_TERMINATED:
    return "terminated";
  }
  return "?";
}

/* Whether the far end's INVITE or ours has been answered with a 2xx. */
static gboolean
state_is_answered (SipcastDialogState state)
{
  switch (state) {
  case SIPCAST_DIALOG_STATE_IDLE:
  case SIPCAST_DIALOG_STATE_INVITE_SENT:
  case SIPCAST_DIALOG_STATE_INVITE_RECEIVED:
  case SIPCAST_DIALOG_STATE_CANCELLING:
  case SIPCAST_DIALOG_STATE_TERMINATED:
    return FALSE;
  case SIPCAST_DIALOG_STATE_ACCEPTED:
  case SIPCAST_DIALOG_STATE_ACCEPTED_OFFER:
  case SIPCAST_DIALOG_STATE_ESTABLISHED:
  case SIPCAST_DIALOG_STATE_REINVITE_SENT:
  case SIPCAST_DIALOG_STATE_REINVITE_RECEIVED:
  case SIPCAST_DIALOG_STATE_REINVITE_OFFERED:
  case SIPCAST_DIALOG_STATE_TERMINATING:
    return TRUE;
  }
  return FALSE;
}

/* ESTABLISHED or one of the re-INVITE states it returns from. */
static gboolean
state_is_established (SipcastDialogState state)
{
  return state == SIPCAST_DIALOG_STATE_ESTABLISHED ||
         state == SIPCAST_DIALOG_STATE_REINVITE_SENT ||
         state == SIPCAST_DIALOG_STATE_REINVITE_RECEIVED ||
         state == SIPCAST_DIALOG_STATE_REINVITE_OFFERED;
}

/* The one setter of the state. */
static void
change_state (SipcastDialog      *self,
              SipcastDialogState  state)
{
  SipcastDialogState old = self->state;

  if (old == state)
    return;
  /* Over is over: late events must not revive a dialog. */
  if (old == SIPCAST_DIALOG_STATE_TERMINATED)
    return;

  self->state = state;
  g_debug ("call %s: dialog %s → %s", self->log_id, sipcast_dialog_state_to_string (old),
           sipcast_dialog_state_to_string (state));
  if (state == SIPCAST_DIALOG_STATE_TERMINATED)
    g_clear_handle_id (&self->hangup_guard_id, g_source_remove);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state, old);
}

/* TERMINATED, and "terminated" once. */
static void
terminate (SipcastDialog    *self,
           SipcastDialogEnd  how,
           int               status,
           const char       *phrase)
{
  gboolean answered = state_is_answered (self->state);

  if (self->state == SIPCAST_DIALOG_STATE_TERMINATED)
    return;
  change_state (self, SIPCAST_DIALOG_STATE_TERMINATED);
  g_signal_emit (self, signals[SIGNAL_TERMINATED], 0, how, status, phrase, answered);
}

static void
release_handle (SipcastDialog *self)
{
  if (self->nh == NULL)
    return;
  /* After this nua delivers no more events for the handle, so a late
   * response can never reach a dialog that is being dropped. */
  nua_handle_bind (self->nh, NULL);
  g_clear_pointer (&self->nh, nua_handle_destroy);
}

/* The body (SDP) of @sip as a string, or NULL when it has none. */
static char *
body_of (const sip_t *sip)
{
  if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
    return NULL;
  return g_strndup (sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

/* Should the CANCEL or BYE get no answer (a far end gone, a lost 487),
 * the dialog ends anyway once its transactions have had their time. */
static gboolean
hangup_guard_cb (gpointer user_data)
{
  SipcastDialog *self = SIPCAST_DIALOG (user_data);
  g_autoptr (SipcastDialog) guard G_GNUC_UNUSED = g_object_ref (self);

  self->hangup_guard_id = 0;
  g_message (_("call %s: no answer to our %s, ending the call"), self->log_id,
             state_is_answered (self->state) ? "BYE" : "CANCEL");
  terminate (self, SIPCAST_DIALOG_END_NO_RESPONSE, 0, NULL);
  release_handle (self);
  return G_SOURCE_REMOVE;
}

static void
arm_hangup_guard (SipcastDialog *self)
{
  /* nta's own timeout (Timer F for the BYE and the CANCEL) fires first
   * as a rule; this is the backstop, e.g. for a CANCEL answered 200 and
   * an INVITE never answered 487. */
  if (self->hangup_guard_id == 0)
    self->hangup_guard_id = g_timeout_add (2 * self->config->transaction_timeout + 1000,
                                           hangup_guard_cb, self);
}

static gboolean
try_authenticate (SipcastDialog *self,
                  const sip_t   *sip)
{
  if (!sipcast_sip_authenticate (self->nh, sip, self->auth_user, self->auth_password,
                                 self->answered_realms))
    return FALSE;
  /* Once per realm: a wrong password must end the call, not loop. */
  self->auth_tried = TRUE;
  return TRUE;
}

/* A response to our first INVITE (or to it, re-sent with credentials). */
static void
handle_invite_response (SipcastDialog *self,
                        int            status,
                        const char    *phrase,
                        const sip_t   *sip)
{
  g_autofree char *sdp = body_of (sip);

  if (status < 100)
    return;
  if (status < 200) {
    g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, status, sdp);
    return;
  }

  if (status < 300) {
    if (self->state == SIPCAST_DIALOG_STATE_CANCELLING) {
      /* 200 crossed our CANCEL: the dialog exists now, end it properly. */
      nua_bye (self->nh, TAG_END ());
      change_state (self, SIPCAST_DIALOG_STATE_TERMINATING);
    } else {
      change_state (self, SIPCAST_DIALOG_STATE_ESTABLISHED);
    }
    g_signal_emit (self, signals[SIGNAL_ANSWER], 0, status, sdp);
    return;
  }

  if ((status == 401 || status == 407) && try_authenticate (self, sip))
    return;

  /* The handler may look at the event (response_is_local()), which frees
   * it: the state changes first. */
  {
    g_autoptr (SipcastDialog) guard G_GNUC_UNUSED = g_object_ref (self);

    g_signal_emit (self, signals[SIGNAL_FAILED], 0, status, phrase);
    change_state (self, SIPCAST_DIALOG_STATE_TERMINATED);
  }
}

/* A response to an INVITE after the dialog was answered: a re-INVITE of
 * ours or nua's session refresh.  The dialog stays as it is; a refused
 * refresh goes on until the session expires, which nua reports by ending
 * it. */
static void
handle_reinvite_response (SipcastDialog *self,
                          int            status,
                          const sip_t   *sip)
{
  g_autofree char *sdp = NULL;

  if (status < 200)
    return;
  if (self->state == SIPCAST_DIALOG_STATE_REINVITE_SENT)
    change_state (self, SIPCAST_DIALOG_STATE_ESTABLISHED);
  if (status >= 300)
    return;
  sdp = body_of (sip);
  g_signal_emit (self, signals[SIGNAL_REFRESHED], 0, status, sdp);
}

static void
handle_reinvite (SipcastDialog *self,
                 const sip_t   *sip)
{
  g_autofree char *sdp = body_of (sip);

  if (state_is_established (self->state))
    change_state (self, SIPCAST_DIALOG_STATE_REINVITE_RECEIVED);
  g_signal_emit (self, signals[SIGNAL_REINVITE], 0, sdp);
}

static void
handle_ack (SipcastDialog *self,
            const sip_t   *sip)
{
  g_autofree char *sdp = body_of (sip);

  switch (self->state) {
  case SIPCAST_DIALOG_STATE_ACCEPTED:
  case SIPCAST_DIALOG_STATE_REINVITE_RECEIVED:
    change_state (self, SIPCAST_DIALOG_STATE_ESTABLISHED);
    break;
  case SIPCAST_DIALOG_STATE_ACCEPTED_OFFER:
    change_state (self, SIPCAST_DIALOG_STATE_ESTABLISHED);
    g_signal_emit (self, signals[SIGNAL_ANSWER], 0, 200, sdp);
    break;
  case SIPCAST_DIALOG_STATE_REINVITE_OFFERED:
    change_state (self, SIPCAST_DIALOG_STATE_ESTABLISHED);
    g_signal_emit (self, signals[SIGNAL_REINVITE_ACK], 0, sdp);
    break;
  case SIPCAST_DIALOG_STATE_IDLE:
  case SIPCAST_DIALOG_STATE_INVITE_SENT:
  case SIPCAST_DIALOG_STATE_INVITE_RECEIVED:
  case SIPCAST_DIALOG_STATE_ESTABLISHED:
  case SIPCAST_DIALOG_STATE_REINVITE_SENT:
  case SIPCAST_DIALOG_STATE_CANCELLING:
  case SIPCAST_DIALOG_STATE_TERMINATING:
  case SIPCAST_DIALOG_STATE_TERMINATED:
    /* After a hangup our BYE is on its way already. */
    break;
  }
}

static void
send_next_info (SipcastDialog *self)
{
  g_autofree char *body = NULL;

  if (self->info_in_flight || self->info_digits->len == 0 || self->nh == NULL)
    return;

  body = sipcast_dtmf_info_body (self->info_type, self->info_digits->str[0]);
  g_string_erase (self->info_digits, 0, 1);
  self->info_in_flight = TRUE;
  nua_info (self->nh,
            SIPTAG_CONTENT_TYPE_STR (sipcast_dtmf_info_content_type (self->info_type)),
            SIPTAG_PAYLOAD_STR (body),
            TAG_END ());
}

static void
handle_call_state (SipcastDialog *self,
                   int            status,
                   const char    *phrase,
                   tagi_t         tags[])
{
  int state = nua_callstate_init;

  tl_gets (tags, NUTAG_CALLSTATE_REF (state), TAG_END ());
  switch (state) {
  case nua_callstate_calling:
    /* nua absorbs "100 Trying": the INVITE leaving is the news. */
    if (self->state == SIPCAST_DIALOG_STATE_INVITE_SENT)
      g_signal_emit (self, signals[SIGNAL_CALLING], 0);
    break;
  case nua_callstate_ready:
    /* Ready again after each re-INVITE: only the first time counts. */
    if (self->state == SIPCAST_DIALOG_STATE_ACCEPTED)
      change_state (self, SIPCAST_DIALOG_STATE_ESTABLISHED);
    break;
  case nua_callstate_terminated:
    terminate (self, SIPCAST_DIALOG_END_STACK, status, phrase);
    release_handle (self);
    break;
  default:
    break;
  }
}

/* A DTMF digit in a far end's INFO (application/dtmf-relay or
 * application/dtmf); other INFO bodies are not ours to read. */
static void
handle_info (SipcastDialog *self,
             const sip_t   *sip)
{
  g_autofree char *body = body_of (sip);
  char digit[2] = { '\0', '\0' };

  if (sip == NULL || sip->sip_content_type == NULL || sip->sip_content_type->c_type == NULL)
    return;
  digit[0] = sipcast_dtmf_parse_info (sip->sip_content_type->c_type, body);
  if (digit[0] != '\0')
    g_signal_emit (self, signals[SIGNAL_INFO_DTMF], 0, digit);
}

static void
handle_nua_event (SipcastEventTarget *target,
                  nua_event_t         event,
                  int                 status,
                  const char         *phrase,
                  const sip_t        *sip,
                  tagi_t              tags[])
{
  SipcastDialog *self = SIPCAST_DIALOG (target);
  /* The handle may run the last events of a dialog its owner drops
   * meanwhile; keep it alive across the dispatch. */
  g_autoptr (SipcastDialog) guard G_GNUC_UNUSED = g_object_ref (self);

  switch (event) {
  case nua_r_invite:
    if (self->state == SIPCAST_DIALOG_STATE_INVITE_SENT ||
        self->state == SIPCAST_DIALOG_STATE_CANCELLING)
      handle_invite_response (self, status, phrase, sip);
    else if (state_is_answered (self->state))
      handle_reinvite_response (self, status, sip);
    break;

  case nua_i_invite:
    handle_reinvite (self, sip);
    break;

  case nua_i_ack:
    handle_ack (self, sip);
    break;

  case nua_i_cancel:
    /* While ringing: nua has answered the INVITE with 487 already. */
    if (self->state == SIPCAST_DIALOG_STATE_INVITE_RECEIVED)
      terminate (self, SIPCAST_DIALOG_END_CANCELLED, 487, "Request terminated");
    break;

  case nua_i_bye:
    /* nua has answered 200 already. */
  case nua_r_bye:
    terminate (self, SIPCAST_DIALOG_END_BYE, status, phrase);
    break;

  case nua_r_cancel:
    /* Not even the CANCEL got through (a timeout, a transport error):
     * no 487 will come either. */
    if (status >= 300 && self->state == SIPCAST_DIALOG_STATE_CANCELLING) {
      g_clear_handle_id (&self->hangup_guard_id, g_source_remove);
      hangup_guard_cb (self);
    }
    break;

  case nua_r_info:
    if (status < 200)
      break;
    if (status >= 300)
      g_message (_("call %s: INFO DTMF refused: %03d %s"), self->log_id, status, phrase);
    self->info_in_flight = FALSE;
    send_next_info (self);
    break;

  case nua_i_info:
    /* nua has answered 200 already. */
    handle_info (self, sip);
    break;

  case nua_i_state:
    handle_call_state (self, status, phrase, tags);
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
sipcast_dialog_dispose (GObject *object)
{
  SipcastDialog *self = SIPCAST_DIALOG (object);

  g_clear_handle_id (&self->hangup_guard_id, g_source_remove);
  release_handle (self);
  g_clear_object (&self->agent);

  G_OBJECT_CLASS (sipcast_dialog_parent_class)->dispose (object);
}

static void
sipcast_dialog_finalize (GObject *object)
{
  SipcastDialog *self = SIPCAST_DIALOG (object);

  g_free (self->log_id);
  g_free (self->contact);
  g_free (self->auth_user);
  g_free (self->auth_password);
  g_ptr_array_unref (self->answered_realms);
  g_string_free (self->info_digits, TRUE);

  G_OBJECT_CLASS (sipcast_dialog_parent_class)->finalize (object);
}

static void
sipcast_dialog_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  SipcastDialog *self = SIPCAST_DIALOG (object);

  switch (prop_id) {
  case PROP_STATE:
    g_value_set_enum (value, self->state);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sipcast_dialog_class_init (SipcastDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);

  object_class->dispose = sipcast_dialog_dispose;
  object_class->finalize = sipcast_dialog_finalize;
  object_class->get_property = sipcast_dialog_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       SIPCAST_TYPE_DIALOG_STATE, SIPCAST_DIALOG_STATE_IDLE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, SIPCAST_TYPE_DIALOG_STATE, SIPCAST_TYPE_DIALOG_STATE);
  signals[SIGNAL_CALLING] =
    g_signal_new ("calling", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_ANSWER] =
    g_signal_new ("answer", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_FAILED] =
    g_signal_new ("failed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_REINVITE] =
    g_signal_new ("reinvite", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_REINVITE_ACK] =
    g_signal_new ("reinvite-ack", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_REFRESHED] =
    g_signal_new ("refreshed", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
  /* The far end sent a DTMF digit in a SIP INFO: (digit). */
  signals[SIGNAL_INFO_DTMF] =
    g_signal_new ("info-dtmf", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_TERMINATED] =
    g_signal_new ("terminated", type, G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4, SIPCAST_TYPE_DIALOG_END, G_TYPE_INT, G_TYPE_STRING,
                  G_TYPE_BOOLEAN);
}

static void
sipcast_dialog_init (SipcastDialog *self)
{
  self->answered_realms = g_ptr_array_new_with_free_func (g_free);
  self->info_digits = g_string_new (NULL);
}

static SipcastDialog *
dialog_new (SipcastSipAgent     *agent,
            const SipcastConfig *config,
            const char          *log_id)
{
  SipcastDialog *self = g_object_new (SIPCAST_TYPE_DIALOG, NULL);

  self->agent = g_object_ref (agent);
  self->config = config;
  self->log_id = g_strdup (log_id);
  return self;
}

SipcastDialog *
sipcast_dialog_new (SipcastSipAgent     *agent,
                    const SipcastConfig *config,
                    const char          *log_id,
                    const char          *to,
                    const char          *from,
                    const char          *contact,
                    GError             **error)
{
  g_autoptr (SipcastDialog) self = NULL;

  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (agent), NULL);

  self = dialog_new (agent, config, log_id);
  self->nh = nua_handle (sipcast_sip_agent_get_nua (agent), SIPCAST_EVENT_TARGET (self),
                         SIPTAG_TO_STR (to),
                         SIPTAG_FROM_STR (from),
                         SIPTAG_CONTACT_STR (contact),
                         TAG_END ());
  if (self->nh == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INTERNAL,
                 _("Could not create a SIP handle for %s"), to);
    return NULL;
  }
  return g_steal_pointer (&self);
}

SipcastDialog *
sipcast_dialog_new_incoming (SipcastSipAgent     *agent,
                             const SipcastConfig *config,
                             const char          *log_id,
                             nua_handle_t        *nh,
                             const sip_t         *request)
{
  SipcastDialog *self;

  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (agent), NULL);
  g_return_val_if_fail (nh != NULL, NULL);

  self = dialog_new (agent, config, log_id);
  self->nh = nh;
  nua_handle_bind (nh, SIPCAST_EVENT_TARGET (self));
  /* nua would pick a Contact from its transports, not necessarily the
   * one this INVITE came over (a sips: one for a UDP caller): the far
   * end sends its ACK and every later request there. */
  self->contact = sipcast_sip_agent_contact_for_request (agent, request);
  self->state = SIPCAST_DIALOG_STATE_INVITE_RECEIVED;
  return self;
}

void
sipcast_dialog_set_proxy (SipcastDialog *self,
                          const char    *proxy)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self) && self->nh != NULL);

  /* A handle parameter (nua_handle() ignores it among its tags). */
  nua_set_hparams (self->nh, NUTAG_PROXY (proxy), TAG_END ());
}

void
sipcast_dialog_set_credentials (SipcastDialog *self,
                                const char    *user,
                                const char    *password)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));

  g_free (self->auth_user);
  self->auth_user = g_strdup (user);
  g_free (self->auth_password);
  self->auth_password = g_strdup (password);
}

void
sipcast_dialog_invite (SipcastDialog *self,
                       const char    *request_uri,
                       const char    *sdp)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));
  g_return_if_fail (self->state == SIPCAST_DIALOG_STATE_IDLE);

  change_state (self, SIPCAST_DIALOG_STATE_INVITE_SENT);
  nua_invite (self->nh,
              NUTAG_URL (request_uri),
              SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
              SIPTAG_PAYLOAD_STR (sdp),
              TAG_END ());
}

void
sipcast_dialog_ring (SipcastDialog *self)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));
  g_return_if_fail (self->state == SIPCAST_DIALOG_STATE_INVITE_RECEIVED);

  nua_respond (self->nh, SIP_180_RINGING, SIPTAG_CONTACT_STR (self->contact), TAG_END ());
}

void
sipcast_dialog_accept (SipcastDialog *self,
                       const char    *sdp,
                       gboolean       offer)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));
  g_return_if_fail (self->state == SIPCAST_DIALOG_STATE_INVITE_RECEIVED);

  change_state (self, offer ? SIPCAST_DIALOG_STATE_ACCEPTED_OFFER :
                SIPCAST_DIALOG_STATE_ACCEPTED);
  nua_respond (self->nh, SIP_200_OK,
               SIPTAG_CONTACT_STR (self->contact),
               SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (sdp),
               TAG_END ());
}

void
sipcast_dialog_refuse (SipcastDialog *self,
                       int            status,
                       const char    *phrase)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));
  g_return_if_fail (status >= 300);

  if (self->state != SIPCAST_DIALOG_STATE_INVITE_RECEIVED)
    return;
  nua_respond (self->nh, status, phrase, TAG_END ());
  change_state (self, SIPCAST_DIALOG_STATE_TERMINATED);
}

void
sipcast_dialog_reinvite (SipcastDialog *self,
                         const char    *sdp)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));
  g_return_if_fail (self->state == SIPCAST_DIALOG_STATE_ESTABLISHED);

  change_state (self, SIPCAST_DIALOG_STATE_REINVITE_SENT);
  nua_invite (self->nh,
              SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
              SIPTAG_PAYLOAD_STR (sdp),
              TAG_END ());
}

void
sipcast_dialog_accept_reinvite (SipcastDialog *self,
                                const char    *sdp,
                                gboolean       offer)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));

  if (offer && self->state == SIPCAST_DIALOG_STATE_REINVITE_RECEIVED)
    change_state (self, SIPCAST_DIALOG_STATE_REINVITE_OFFERED);
  nua_respond (self->nh, SIP_200_OK,
               SIPTAG_CONTENT_TYPE_STR ("application/sdp"),
               SIPTAG_PAYLOAD_STR (sdp),
               TAG_END ());
}

void
sipcast_dialog_refuse_reinvite (SipcastDialog *self,
                                int            status,
                                const char    *phrase,
                                const char    *warning)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));

  nua_respond (self->nh, status, phrase, TAG_IF (warning != NULL, SIPTAG_WARNING_STR (warning)),
               TAG_END ());
  /* No ACK to wait for: the transaction ends with our refusal. */
  if (self->state == SIPCAST_DIALOG_STATE_REINVITE_RECEIVED)
    change_state (self, SIPCAST_DIALOG_STATE_ESTABLISHED);
}

void
sipcast_dialog_hangup (SipcastDialog *self)
{
  g_return_if_fail (SIPCAST_IS_DIALOG (self));

  switch (self->state) {
  case SIPCAST_DIALOG_STATE_INVITE_SENT:
    change_state (self, SIPCAST_DIALOG_STATE_CANCELLING);
    nua_cancel (self->nh, TAG_END ());
    arm_hangup_guard (self);
    break;
  case SIPCAST_DIALOG_STATE_ACCEPTED:
  case SIPCAST_DIALOG_STATE_ACCEPTED_OFFER:
  case SIPCAST_DIALOG_STATE_ESTABLISHED:
  case SIPCAST_DIALOG_STATE_REINVITE_SENT:
  case SIPCAST_DIALOG_STATE_REINVITE_RECEIVED:
  case SIPCAST_DIALOG_STATE_REINVITE_OFFERED:
    change_state (self, SIPCAST_DIALOG_STATE_TERMINATING);
    nua_bye (self->nh, TAG_END ());
    arm_hangup_guard (self);
    break;
  case SIPCAST_DIALOG_STATE_IDLE:
  case SIPCAST_DIALOG_STATE_INVITE_RECEIVED:
  case SIPCAST_DIALOG_STATE_CANCELLING:
  case SIPCAST_DIALOG_STATE_TERMINATING:
  case SIPCAST_DIALOG_STATE_TERMINATED:
    break;
  }
}

gboolean
sipcast_dialog_send_info_dtmf (SipcastDialog    *self,
                               const char       *digits,
                               SipcastDtmfType   type,
                               GError          **error)
{
  g_return_val_if_fail (SIPCAST_IS_DIALOG (self), FALSE);

  /* A queue of one type: a request of another type waits for it. */
  if (self->info_digits->len > 0 && self->info_type != type) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFLICT,
                 _("DTMF of another type is still being sent on call “%s”"), self->log_id);
    return FALSE;
  }
  self->info_type = type;
  g_string_append (self->info_digits, digits);
  send_next_info (self);
  return TRUE;
}

SipcastDialogState
sipcast_dialog_get_state (SipcastDialog *self)
{
  g_return_val_if_fail (SIPCAST_IS_DIALOG (self), SIPCAST_DIALOG_STATE_TERMINATED);
  return self->state;
}

gboolean
sipcast_dialog_is_ending (SipcastDialog *self)
{
  g_return_val_if_fail (SIPCAST_IS_DIALOG (self), TRUE);
  return self->state == SIPCAST_DIALOG_STATE_CANCELLING ||
         self->state == SIPCAST_DIALOG_STATE_TERMINATING ||
         self->state == SIPCAST_DIALOG_STATE_TERMINATED;
}

gboolean
sipcast_dialog_get_auth_tried (SipcastDialog *self)
{
  g_return_val_if_fail (SIPCAST_IS_DIALOG (self), FALSE);
  return self->auth_tried;
}

gboolean
sipcast_dialog_response_is_local (SipcastDialog *self)
{
  nua_saved_event_t saved[1];
  const nua_event_data_t *data;
  su_addrinfo_t *from;
  gboolean local;

  g_return_val_if_fail (SIPCAST_IS_DIALOG (self), FALSE);

  /* Received from no address: made up by the SIP stack itself (ICMP
   * port unreachable, a transaction timeout), not sent by anyone.
   * Taking the event to look at it frees it: the sip_t and phrase of the
   * event being dispatched are gone afterwards. */
  if (!nua_save_event (sipcast_sip_agent_get_nua (self->agent), saved))
    return FALSE;
  data = nua_event_data (saved);
  from = data != NULL && data->e_msg != NULL ? msg_addrinfo (data->e_msg) : NULL;
  local = from == NULL || from->ai_addr == NULL || from->ai_addr->sa_family == AF_UNSPEC;
  nua_destroy_event (saved);
  return local;
}

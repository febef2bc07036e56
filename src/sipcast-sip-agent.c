/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sip"

#include "config.h"
#include "sipcast-sip-agent.h"
#include "sipcast-call-private.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/su_log.h>

/* How long nua gets to finish its transactions on shutdown. */
#define SHUTDOWN_TIMEOUT_S 5

struct _SipcastSipAgent {
  GObject parent_instance;

  su_home_t home[1];
  su_root_t *root;
  GSource *root_source;
  nua_t *nua;
  char *address;
  guint port;

  GTask *shutdown_task;     /* pending shutdown_async */
  guint shutdown_timeout_id;
};

G_DEFINE_FINAL_TYPE (SipcastSipAgent, sipcast_sip_agent, G_TYPE_OBJECT)

static void
finish_shutdown (SipcastSipAgent *self)
{
  g_autoptr (GTask) task = g_steal_pointer (&self->shutdown_task);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  if (task != NULL)
    g_task_return_boolean (task, TRUE);
}

static void
answer_unowned_request (SipcastSipAgent *self,
                        nua_event_t      event,
                        nua_handle_t    *nh,
                        const sip_t     *sip)
{
  switch (event) {
  case nua_i_invite:
    /* Incoming calls need routing rules, which this daemon does not have
     * configured: say so instead of leaving the caller ringing. */
    g_message ("rejecting incoming call from %s",
               sip && sip->sip_from ? sip->sip_from->a_url->url_user : "?");
    nua_respond (nh, SIP_603_DECLINE, TAG_END ());
    nua_handle_destroy (nh);
    break;
  case nua_i_cancel:
  case nua_i_ack:
  case nua_i_bye:
  case nua_i_terminated:
  case nua_i_state:
    break;
  case nua_i_options:
    /* nua answers OPTIONS itself (200 with Allow/Accept). */
    nua_handle_destroy (nh);
    break;
  default:
    if (nua_event_is_incoming_request (event)) {
      nua_respond (nh, SIP_501_NOT_IMPLEMENTED, TAG_END ());
      nua_handle_destroy (nh);
    }
    break;
  }
}

static void
nua_callback (nua_event_t   event,
              int           status,
              char const   *phrase,
              nua_t        *nua,
              nua_magic_t  *magic,
              nua_handle_t *nh,
              nua_hmagic_t *hmagic,
              sip_t const  *sip,
              tagi_t        tags[])
{
  SipcastSipAgent *self = SIPCAST_SIP_AGENT (magic);

  g_debug ("%s %03d %s", nua_event_name (event), status, phrase);

  if (event == nua_r_shutdown) {
    /* 1xx: still terminating sessions; 2xx: done. */
    if (status >= 200)
      finish_shutdown (self);
    return;
  }

  if (hmagic != NULL) {
    sipcast_call_handle_event (hmagic, event, status, phrase, sip, tags);
    return;
  }

  if (nh != NULL)
    answer_unowned_request (self, event, nh, sip);
}

static gboolean
pick_free_udp_port (const char *address,
                    guint      *out_port,
                    GError    **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) inet = NULL;
  g_autoptr (GSocketAddress) bind_addr = NULL;
  g_autoptr (GSocketAddress) bound = NULL;

  inet = g_inet_address_new_from_string (address);
  if (inet == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Invalid SIP address “%s”"), address);
    return FALSE;
  }
  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return FALSE;
  bind_addr = g_inet_socket_address_new (inet, 0);
  if (!g_socket_bind (socket, bind_addr, FALSE, error))
    return FALSE;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return FALSE;
  *out_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return TRUE;
}

static void
sipcast_sip_agent_dispose (GObject *object)
{
  SipcastSipAgent *self = SIPCAST_SIP_AGENT (object);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_clear_object (&self->shutdown_task);
  g_clear_pointer (&self->nua, nua_destroy);
  if (self->root_source != NULL) {
    g_source_destroy (self->root_source);
    g_clear_pointer (&self->root_source, g_source_unref);
  }
  /* su_root_destroy() also destroys the GSource it owns. */
  g_clear_pointer (&self->root, su_root_destroy);

  G_OBJECT_CLASS (sipcast_sip_agent_parent_class)->dispose (object);
}

static void
sipcast_sip_agent_finalize (GObject *object)
{
  SipcastSipAgent *self = SIPCAST_SIP_AGENT (object);

  g_free (self->address);
  su_home_deinit (self->home);
  su_deinit ();

  G_OBJECT_CLASS (sipcast_sip_agent_parent_class)->finalize (object);
}

static void
sipcast_sip_agent_class_init (SipcastSipAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_sip_agent_dispose;
  object_class->finalize = sipcast_sip_agent_finalize;
}

/* sofia-sip's own log lines (transport errors, stack details) become
 * debug messages of ours, shown with -v, instead of text on stderr that
 * no log filter knows about.  SU_DEBUG still sets how much it says. */
G_GNUC_PRINTF (2, 0)
static void
sofia_logger (void       *stream,
              const char *fmt,
              va_list     ap)
{
  g_autofree char *line = g_strdup_vprintf (fmt, ap);

  g_strchomp (line);
  if (*line != '\0')
    g_debug ("sofia: %s", line);
}

static void
sipcast_sip_agent_init (SipcastSipAgent *self)
{
  su_init ();
  su_log_redirect (NULL, sofia_logger, NULL);
  su_home_init (self->home);
}

SipcastSipAgent *
sipcast_sip_agent_new (const SipcastConfig *config,
                       GError             **error)
{
  g_autoptr (SipcastSipAgent) self = g_object_new (SIPCAST_TYPE_SIP_AGENT, NULL);
  /* With port 0 another process may take the port between our probe and
   * nua's bind; a few attempts make that race irrelevant. */
  guint attempts = config->sip_port == 0 ? 5 : 1;

  self->address = g_strdup (config->sip_address);

  self->root = su_glib_root_create (NULL);
  if (self->root == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INTERNAL,
                 _("Could not create the SIP event loop"));
    return NULL;
  }
  /* Run the stack in this thread: one thread for all calls, events
   * delivered by the GLib main loop. */
  su_root_threading (self->root, 0);
  self->root_source = g_source_ref (su_glib_root_gsource (self->root));
  g_source_attach (self->root_source, NULL);

  for (guint i = 0; i < attempts && self->nua == NULL; i++) {
    g_autofree char *url = NULL;

    self->port = config->sip_port;
    if (self->port == 0 && !pick_free_udp_port (config->sip_address, &self->port, error))
      return NULL;

    url = g_strdup_printf ("sip:%s:%u", config->sip_address, self->port);
    self->nua = nua_create (self->root, nua_callback, self,
                            NUTAG_URL (url),
                            SIPTAG_USER_AGENT_STR (config->user_agent),
                            /* We write and read SDP ourselves (sipcast-sdp.c). */
                            NUTAG_MEDIA_ENABLE (0),
                            NUTAG_AUTOANSWER (0),
                            NUTAG_AUTOACK (1),
                            NUTAG_ENABLEMESSAGE (0),
                            NUTAG_ALLOW ("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE"),
                            /* Timer B and F: how long any request we send
                             * (INVITE, BYE, CANCEL, INFO) waits for a final
                             * answer; an unreachable far end fails this fast. */
                            NTATAG_SIP_T1X64 (config->transaction_timeout * 1000),
                            /* RFC 4028: accept the smallest interval a far
                             * end may ask for; nua refreshes (or lets the far
                             * end refresh) as the 2xx's Session-Expires says. */
                            NUTAG_MIN_SE (90),
                            /* When we are the refresher, an UPDATE without
                             * SDP refreshes the session without an offer our
                             * ACK could not answer (nua falls back to a
                             * re-INVITE when the far end does not allow it). */
                            NUTAG_UPDATE_REFRESH (1),
                            TAG_END ());
  }

  if (self->nua == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Could not listen for SIP on %s:%u"), config->sip_address, self->port);
    return NULL;
  }

  g_message ("SIP listening on udp %s:%u", self->address, self->port);
  g_message ("SIP listening on tcp %s:%u", self->address, self->port);

  return g_steal_pointer (&self);
}

nua_t *
sipcast_sip_agent_get_nua (SipcastSipAgent *self)
{
  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (self), NULL);
  return self->nua;
}

const char *
sipcast_sip_agent_get_address (SipcastSipAgent *self)
{
  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (self), NULL);
  return self->address;
}


static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  SipcastSipAgent *self = SIPCAST_SIP_AGENT (user_data);

  self->shutdown_timeout_id = 0;
  g_warning ("SIP stack did not shut down within %d s", SHUTDOWN_TIMEOUT_S);
  finish_shutdown (self);
  return G_SOURCE_REMOVE;
}

void
sipcast_sip_agent_shutdown_async (SipcastSipAgent     *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (SIPCAST_IS_SIP_AGENT (self));
  g_return_if_fail (self->shutdown_task == NULL);

  self->shutdown_task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->shutdown_task, sipcast_sip_agent_shutdown_async);
  self->shutdown_timeout_id = g_timeout_add_seconds (SHUTDOWN_TIMEOUT_S, shutdown_timeout_cb, self);
  nua_shutdown (self->nua);
}

gboolean
sipcast_sip_agent_shutdown_finish (SipcastSipAgent *self,
                                   GAsyncResult    *result,
                                   GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

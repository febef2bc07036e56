/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sip"

#include "config.h"
#include "sipcast-sip-agent.h"
#include "sipcast-digest.h"
#include "sipcast-sip-guard.h"
#include "sipcast-error.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/msg_addr.h>

#include <glib/gi18n.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_protos.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/su_log.h>

/* Largest SIP message accepted, headers and body (sofia-sip's own
 * default is 2 MiB). */
#define SIP_MAX_MESSAGE_SIZE (64 * 1024)

/* How long nua gets to finish its transactions on shutdown. */
#define SHUTDOWN_TIMEOUT_S 5

enum {
  SIGNAL_INCOMING_INVITE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _SipcastSipAgent {
  GObject parent_instance;

  su_home_t home[1];
  su_root_t *root;
  GSource *root_source;
  nua_t *nua;
  SipcastSipGuard *guard;   /* rate limit and trusted networks */
  char *address;
  char *public_address;  /* [sip] public-address, NULL: none */
  guint port;
  guint tls_port;   /* 0: no TLS transport */

  GTask *shutdown_task;     /* pending shutdown_async */
  guint shutdown_timeout_id;
  /* 0: nua answers OPTIONS itself; else our answer (a cluster node: 503
   * while draining, which is how Kamailio's dispatcher learns it). */
  guint options_status;
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
  gboolean handled = FALSE;

  switch (event) {
  case nua_i_invite:
    /* The call registry routes it (and then owns @nh); with nobody to
     * route, say so instead of leaving the caller ringing. */
    if (sip != NULL)
      g_signal_emit (self, signals[SIGNAL_INCOMING_INVITE], 0, nh, sip, &handled);
    if (!handled) {
      g_message (_("rejecting incoming call from %s"),
                 sip && sip->sip_from ? sip->sip_from->a_url->url_user : "?");
      nua_respond (nh, SIP_603_DECLINE, TAG_END ());
      nua_handle_destroy (nh);
    }
    break;
  case nua_i_cancel:
  case nua_i_ack:
  case nua_i_bye:
  case nua_i_terminated:
  case nua_i_state:
    break;
  case nua_i_options:
    /* nua answers OPTIONS itself (200 with Allow/Accept) unless it was
     * told that we do (sipcast_sip_agent_set_options_status()). */
    if (self->options_status == 200)
      nua_respond (nh, SIP_200_OK, NUTAG_WITH_THIS (self->nua), TAG_END ());
    else if (self->options_status != 0)
      nua_respond (nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS (self->nua), TAG_END ());
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

  /* Handles are bound to an event target (a call, a registration). */
  if (hmagic != NULL) {
    sipcast_event_target_handle_event (hmagic, event, status, phrase, sip, tags);
    return;
  }

  if (nh == NULL)
    return;
  /* A request from outside any call: its source may be over its rate,
   * or (an INVITE) outside the trusted networks. */
  if (nua_event_is_incoming_request (event) &&
      !sipcast_sip_guard_admit (self->guard, nua, event, nh, sip))
    return;
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
  g_clear_object (&self->guard);

  G_OBJECT_CLASS (sipcast_sip_agent_parent_class)->dispose (object);
}

static void
sipcast_sip_agent_finalize (GObject *object)
{
  SipcastSipAgent *self = SIPCAST_SIP_AGENT (object);

  g_free (self->address);
  g_free (self->public_address);
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

  /* An INVITE outside any call: (nua_handle_t *nh, const sip_t *sip).
   * A handler that returns TRUE has taken @nh: it answers the request
   * and destroys or keeps the handle. */
  signals[SIGNAL_INCOMING_INVITE] =
    g_signal_new ("incoming-invite", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, g_signal_accumulator_true_handled, NULL, NULL,
                  G_TYPE_BOOLEAN, 2, G_TYPE_POINTER, G_TYPE_POINTER);
}

/* The last reason sofia-sip gave for refusing a TLS peer, and when. */
G_LOCK_DEFINE_STATIC (tls_failure);
static char *tls_failure;
static gint64 tls_failure_time;

static void
note_tls_failure (const char *reason)
{
  G_LOCK (tls_failure);
  g_free (tls_failure);
  tls_failure = g_strdup (reason);
  tls_failure_time = g_get_monotonic_time ();
  G_UNLOCK (tls_failure);
}

char *
sipcast_sip_agent_tls_failure_since (gint64 since)
{
  char *reason = NULL;

  G_LOCK (tls_failure);
  if (tls_failure != NULL && tls_failure_time >= since)
    reason = g_strdup (tls_failure);
  G_UNLOCK (tls_failure);
  return reason;
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
  const char *text;

  g_strchomp (line);
  text = g_strchug (line);
  if (*text == '\0')
    return;
  /* A TLS peer refused (an untrusted or wrong certificate) shows in a
   * call only as a request timeout: say why where operators look, and
   * keep the reason for the call's statusInfo ("err 20:unable to get
   * local issuer certificate" gives the part after the number). */
  if (g_str_has_prefix (text, "err ") && strchr (text, ':') != NULL) {
    g_warning (_("TLS: %s"), text);
    note_tls_failure (strchr (text, ':') + 1);
  } else if (strstr (text, "Peer Subject Mismatch") != NULL ||
             strstr (text, "TLS setup failed") != NULL) {
    g_warning (_("TLS: %s"), text);
    note_tls_failure (text);
  } else if (strstr (text, "Error with certificate") != NULL ||
             g_str_has_prefix (text, "err ")) {
    g_warning (_("TLS: %s"), text);
  } else {
    g_debug ("sofia: %s", text);
  }
}

static void
sipcast_sip_agent_init (SipcastSipAgent *self)
{
  su_init ();
  su_log_redirect (NULL, sofia_logger, NULL);
  su_home_init (self->home);
}

/* sofia-sip reads its TLS files from one directory: agent.pem (our
 * certificate and key) and cafile.pem (the CAs peers are checked
 * against).  The configuration names them separately, so they are linked
 * into a private directory for as long as nua_create() reads them.
 * @has_certificate: whether agent.pem is there, i.e. whether we have
 * anything to show a TLS peer that connects to us. */
static char *
make_tls_dir (const SipcastConfig *config,
              gboolean            *has_certificate,
              GError             **error)
{
  g_autofree char *dir = g_dir_make_tmp ("sipcast-tls-XXXXXX", error);
  g_autofree char *ca_file = NULL;
  g_autofree char *ca_link = NULL;

  *has_certificate = FALSE;
  if (dir == NULL)
    return NULL;

  ca_file = g_canonicalize_filename (config->tls_ca_file, NULL);
  ca_link = g_build_filename (dir, "cafile.pem", NULL);
  if (symlink (ca_file, ca_link) != 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "%s: %s", ca_link, g_strerror (errno));
    g_rmdir (dir);
    return NULL;
  }

  if (config->tls_certificate_dir != NULL) {
    g_autofree char *cert_dir = g_canonicalize_filename (config->tls_certificate_dir, NULL);
    g_autofree char *cert = g_build_filename (cert_dir, "agent.pem", NULL);
    g_autofree char *cert_link = g_build_filename (dir, "agent.pem", NULL);

    if (g_access (cert, R_OK) != 0)
      g_warning (_("TLS: cannot read the certificate %s: %s"), cert, g_strerror (errno));
    else if (symlink (cert, cert_link) != 0)
      g_warning (_("TLS: %s: %s"), cert_link, g_strerror (errno));
    else
      *has_certificate = TRUE;
  }
  return g_steal_pointer (&dir);
}

static void
remove_tls_dir (const char *dir)
{
  g_autofree char *ca_link = g_build_filename (dir, "cafile.pem", NULL);
  g_autofree char *cert_link = g_build_filename (dir, "agent.pem", NULL);

  g_unlink (ca_link);
  g_unlink (cert_link);
  g_rmdir (dir);
}

/* The host part of a SIP URI: an IPv6 address in brackets. */
static char *
contact_host (const char *address)
{
  return strchr (address, ':') != NULL ? g_strdup_printf ("[%s]", address) : g_strdup (address);
}

/* One try at creating the stack on @port (and @tls_port, 0 for none). */
static nua_t *
create_nua (SipcastSipAgent     *self,
            const SipcastConfig *config,
            guint                port,
            guint                tls_port,
            const char          *tls_dir)
{
  g_autofree char *host = contact_host (config->sip_address);
  g_autofree char *url = g_strdup_printf ("sip:%s:%u", host, port);
  g_autofree char *sips_url = tls_port != 0 ? g_strdup_printf ("sips:%s:%u", host, tls_port) :
                              NULL;
  /* Out-going: the peer's certificate must chain to the CA file and name
   * the host we connected to. */
  unsigned verify = config->tls_verify ? TPTLS_VERIFY_SUBJECTS_OUT : TPTLS_VERIFY_NONE;

  return nua_create (self->root, nua_callback, self,
                     NUTAG_URL (url),
                     TAG_IF (sips_url != NULL, NUTAG_SIPS_URL (sips_url)),
                     TAG_IF (sips_url != NULL, TPTAG_CERTIFICATE (tls_dir)),
                     TAG_IF (sips_url != NULL, TPTAG_TLS_VERIFY_POLICY (verify)),
                     TAG_IF (sips_url != NULL, TPTAG_TLS_VERIFY_DATE (config->tls_verify)),
                     SIPTAG_USER_AGENT_STR (config->user_agent),
                     /* Every transaction we start ends within this:
                      * no answer becomes 408 (RFC 3261 timers B and F). */
                     NTATAG_SIP_T1X64 (config->transaction_timeout),
                     /* We write and read SDP ourselves (sipcast-sdp.c). */
                     NUTAG_MEDIA_ENABLE (0),
                     NUTAG_AUTOANSWER (0),
                     NUTAG_AUTOACK (1),
                     NUTAG_ENABLEMESSAGE (0),
                     NUTAG_ALLOW ("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE"),
                     /* RFC 4028: accept the smallest interval a far end
                      * may ask for; nua refreshes (or lets the far end
                      * refresh) as the 2xx's Session-Expires says. */
                     NUTAG_MIN_SE (90),
                     /* When we are the refresher, an UPDATE without SDP
                      * refreshes the session without an offer our ACK could
                      * not answer (nua falls back to a re-INVITE when the
                      * far end does not allow it). */
                     NUTAG_UPDATE_REFRESH (1),
                     /* No SIP message of ours comes near this; a bigger
                      * one is an attack on memory, refused by nta. */
                     NTATAG_MAXSIZE (SIP_MAX_MESSAGE_SIZE),
                     TAG_END ());
}

SipcastSipAgent *
sipcast_sip_agent_new (const SipcastConfig *config,
                       GError             **error)
{
  g_autoptr (SipcastSipAgent) self = g_object_new (SIPCAST_TYPE_SIP_AGENT, NULL);
  g_autoptr (GError) tls_error = NULL;
  g_autofree char *tls_dir = NULL;
  gboolean has_certificate = FALSE;
  /* With port 0 another process may take the port between our probe and
   * nua's bind, or already hold the one after it that TLS takes; a few
   * attempts make both irrelevant. */
  guint attempts = config->sip_port == 0 ? 5 : 1;

  self->address = g_strdup (config->sip_address);
  self->public_address = g_strdup (config->sip_public_address);
  self->guard = sipcast_sip_guard_new (config);

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

  /* sofia-sip's TLS transport always listens (nua offers no client-only
   * one), and a listener without a certificate fails every handshake
   * while peers that learn of it try it: no certificate, no TLS. */
  tls_dir = make_tls_dir (config, &has_certificate, &tls_error);
  if (tls_dir == NULL) {
    g_warning (_("TLS disabled: %s"), tls_error->message);
  } else if (!has_certificate) {
    g_message (_("TLS off: no certificate of sipcast's own ([sip] tls-certificate-dir "
               "with agent.pem)"));
    remove_tls_dir (tls_dir);
    g_clear_pointer (&tls_dir, g_free);
  }

  for (guint i = 0; i < attempts && self->nua == NULL; i++) {
    self->port = config->sip_port;
    if (self->port == 0 && !pick_free_udp_port (config->sip_address, &self->port, error))
      break;
    self->tls_port = config->tls_port != 0 ? config->tls_port :
                     self->port < 65535 ? self->port + 1 : 0;
    if (tls_dir != NULL && self->tls_port != 0)
      self->nua = create_nua (self, config, self->port, self->tls_port, tls_dir);
    /* A port we picked whose neighbour is taken: pick another pair. */
    if (self->nua == NULL && tls_dir != NULL && config->sip_port == 0 &&
        config->tls_port == 0 && i + 1 < attempts)
      continue;
    if (self->nua == NULL) {
      /* TLS may be what failed (an unreadable CA file, the port taken):
       * UDP and TCP are still worth having. */
      self->nua = create_nua (self, config, self->port, 0, NULL);
      if (self->nua != NULL && tls_dir != NULL)
        g_warning (_("TLS disabled: could not listen on tls %s:%u with the CA file %s"),
                   config->sip_address, self->tls_port, config->tls_ca_file);
      self->tls_port = 0;
    }
  }
  /* sofia-sip has read the certificates. */
  if (tls_dir != NULL)
    remove_tls_dir (tls_dir);

  if (self->nua == NULL) {
    if (error != NULL && *error == NULL)
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("Could not listen for SIP on %s:%u"), config->sip_address, self->port);
    return NULL;
  }

  g_message (_("SIP listening on udp %s:%u"), self->address, self->port);
  g_message (_("SIP listening on tcp %s:%u"), self->address, self->port);
  if (self->tls_port != 0)
    g_message (_("SIP listening on tls %s:%u"), self->address, self->tls_port);

  return g_steal_pointer (&self);
}

/* The address a peer at @peer reaches us at: the configured public
 * address, else the one we listen on, else (listening on all of them)
 * the one the kernel would send from toward @peer. */
static char *
reachable_address (SipcastSipAgent *self,
                   GSocketAddress  *peer)
{
  g_autoptr (GInetAddress) listening = g_inet_address_new_from_string (self->address);
  g_autoptr (GSocket) probe = NULL;
  g_autoptr (GSocketAddress) local = NULL;

  if (self->public_address != NULL)
    return g_strdup (self->public_address);
  if (listening == NULL || !g_inet_address_get_is_any (listening) || peer == NULL)
    return g_strdup (self->address);
  /* Connecting a UDP socket sends nothing; it only picks the route. */
  probe = g_socket_new (g_socket_address_get_family (peer), G_SOCKET_TYPE_DATAGRAM,
                        G_SOCKET_PROTOCOL_UDP, NULL);
  if (probe != NULL && g_socket_connect (probe, peer, NULL, NULL))
    local = g_socket_get_local_address (probe, NULL);
  if (local == NULL)
    return g_strdup (self->address);
  return g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

/* @user is written as it is: it must be a valid SIP user part. */
static char *
format_contact (SipcastSipAgent *self,
                const char      *user,
                const char      *transport,
                gboolean         sips,
                GSocketAddress  *peer)
{
  g_autofree char *address = reachable_address (self, peer);
  g_autofree char *host = contact_host (address);

  if (user == NULL || *user == '\0')
    user = "sipcast";
  if (g_strcmp0 (transport, "tls") == 0 && self->tls_port != 0) {
    if (sips)
      return g_strdup_printf ("<sips:%s@%s:%u>", user, host, self->tls_port);
    return g_strdup_printf ("<sip:%s@%s:%u;transport=tls>", user, host, self->tls_port);
  }
  if (g_strcmp0 (transport, "tcp") == 0)
    return g_strdup_printf ("<sip:%s@%s:%u;transport=tcp>", user, host, self->port);
  return g_strdup_printf ("<sip:%s@%s:%u>", user, host, self->port);
}

char *
sipcast_sip_agent_contact (SipcastSipAgent *self,
                           const char      *user,
                           const char      *transport,
                           gboolean         sips)
{
  g_autofree char *escaped = NULL;

  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (self), NULL);
  g_return_val_if_fail (user != NULL, NULL);

  /* sofia-sip would pick one of its transports' contacts by itself, and
   * not always the one the request leaves on (a sips: one for UDP once
   * TLS listens too): say it. */
  /* RFC 3261 §25.1: user = unreserved / escaped / user-unreserved. */
  escaped = g_uri_escape_string (user, "!*'()&=+$,;?/", FALSE);
  return format_contact (self, escaped, transport, sips, NULL);
}

/* "udp", "tcp" or "tls": what @request came over.  The socket tells UDP
 * from a stream; TLS from TCP is what the sender's Via says it used. */
static const char *
request_transport (const sip_t         *request,
                   const su_addrinfo_t *ai)
{
  const char *via = request->sip_via != NULL ? request->sip_via->v_protocol : NULL;

  if (ai != NULL && ai->ai_protocol == IPPROTO_UDP)
    return "udp";
  if (via != NULL && g_str_has_suffix (via, "/TLS"))
    return "tls";
  if (ai != NULL && ai->ai_protocol == IPPROTO_TCP)
    return "tcp";
  /* No socket information: trust the Via for all three. */
  if (via != NULL && g_str_has_suffix (via, "/TCP"))
    return "tcp";
  return "udp";
}

char *
sipcast_sip_agent_contact_for_request (SipcastSipAgent *self,
                                       const sip_t     *request)
{
  msg_t *msg;
  const su_addrinfo_t *ai = NULL;
  g_autoptr (GSocketAddress) peer = NULL;
  const url_t *uri;

  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (self), NULL);
  g_return_val_if_fail (request != NULL && request->sip_request != NULL, NULL);

  /* The request being delivered: its socket's protocol and the peer's
   * address. */
  msg = nua_current_request (self->nua);
  if (msg != NULL && sip_object (msg) == request)
    ai = msg_addrinfo (msg);
  if (ai != NULL && ai->ai_addr != NULL)
    peer = g_socket_address_new_from_native (ai->ai_addr, ai->ai_addrlen);
  /* The Request-URI's user as it came: sofia-sip parsed it as one. */
  uri = request->sip_request->rq_url;
  return format_contact (self, uri->url_user, request_transport (request, ai),
                         uri->url_type == url_sips, peer);
}

char *
sipcast_sip_agent_warning (const char *text)
{
  GString *warning = g_string_new ("399 sipcast \"");

  /* A quoted-string: no raw quotes, backslashes or line breaks. */
  for (const char *p = text; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_c (warning, '\\');
    g_string_append_c (warning, *p == '\r' || *p == '\n' ? ' ' : *p);
  }
  g_string_append_c (warning, '"');
  return g_string_free (warning, FALSE);
}

guint64
sipcast_sip_agent_get_rate_limited (SipcastSipAgent *self)
{
  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (self), 0);
  return sipcast_sip_guard_get_rate_limited (self->guard);
}

guint64
sipcast_sip_agent_get_untrusted (SipcastSipAgent *self)
{
  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (self), 0);
  return sipcast_sip_guard_get_untrusted (self->guard);
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

gboolean
sipcast_sip_agent_has_tls (SipcastSipAgent *self)
{
  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (self), FALSE);
  return self->tls_port != 0;
}

const char *
sipcast_sip_agent_get_media_address (SipcastSipAgent *self)
{
  g_return_val_if_fail (SIPCAST_IS_SIP_AGENT (self), NULL);
  return self->public_address != NULL ? self->public_address : self->address;
}


static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  SipcastSipAgent *self = SIPCAST_SIP_AGENT (user_data);

  self->shutdown_timeout_id = 0;
  g_warning (_("SIP stack did not shut down within %d s"), SHUTDOWN_TIMEOUT_S);
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

void
sipcast_sip_agent_set_options_status (SipcastSipAgent *self,
                                      guint            status)
{
  g_return_if_fail (SIPCAST_IS_SIP_AGENT (self));
  g_return_if_fail (status == 200 || status == 503);

  if (self->options_status == 0 && self->nua != NULL)
    nua_set_params (self->nua, NUTAG_APPL_METHOD ("OPTIONS"), TAG_END ());
  self->options_status = status;
}

gboolean
sipcast_sip_authenticate (nua_handle_t *nh,
                          const sip_t  *sip,
                          const char   *user,
                          const char   *password,
                          GPtrArray    *answered_realms)
{
  g_autofree char *auth = NULL;

  if (password == NULL)
    return FALSE;
  auth = sipcast_digest_auth_string (sip, user, password, answered_realms);
  if (auth == NULL)
    return FALSE;
  nua_authenticate (nh, NUTAG_AUTH (auth), TAG_END ());
  return TRUE;
}

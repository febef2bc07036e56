/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include "sipcast-rest-listener.h"
#include "sipcast-error.h"
#include "sipcast-fd-limit.h"
#include "sipcast-json.h"
#include "sipcast-quiet-input-stream.h"

#include <fcntl.h>
#include <gio/gnetworking.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

/*
 * Why sipcast accepts the REST connections itself instead of
 * soup_server_listen(): libsoup 3.2.3, as Debian 12 ships it, never
 * releases a kept-alive connection that the client closes between two
 * requests.  After a response it waits for the next request on a message
 * it announces to nobody; when that read ends in EOF, the message ends
 * and nothing closes the socket, which stays in CLOSE-WAIT for the life
 * of the process (fixed in libsoup 3.3.0, "Don't leak idle connections
 * closed by the client").  Every client that makes one request per
 * connection — curl, most scripts — leaked one descriptor per request.
 * And its listener stops accepting, silently and for good, the first time
 * accept() fails because the process is out of descriptors.
 *
 * What libsoup 3.2 does handle is the first request of a connection: when
 * that one ends in EOF, an error or a timeout of ours, libsoup closes the
 * connection.  So every connection is handed to libsoup as a new one
 * (soup_server_accept_iostream()), and taken back from it
 * (soup_server_message_steal_connection(), which libsoup allows from
 * "wrote-body") as soon as a kept-alive response is written, before
 * libsoup starts its announced-to-nobody wait.  While idle we watch it
 * ourselves; its first byte, EOF or error hands it to libsoup again:
 *
 *   accepted ─▶ with libsoup ──"wrote-body", keep-alive──▶ idle
 *      ▲                                                      │
 *      └──────────── readable (a byte, EOF, an error) ────────┘
 *   with libsoup ──libsoup closes it ("disconnected")──▶ gone
 *   either ──idle-timeout without a completed request──▶ closed, gone
 *
 * Without listeners of its own libsoup closes every connection after a
 * response that we did not take back, so no connection is ever left in
 * its hands between requests.  libsoup emits "request-started" inside
 * soup_server_accept_iostream(), which is how a message is matched to its
 * connection.
 */

/* The stream of a connection keeps libsoup's layer when libsoup buffered
 * bytes in it (a client that sends requests before their answers:
 * on_wrote_body); after this many such layers in a row the next response
 * closes the connection, so that they stay few. */
#define MAX_LAYERS 4

/* How long accepting pauses when not even the spare descriptor gets a
 * waiting connection in. */
#define ACCEPT_PAUSE_MS 200

/* Accepts per wake-up, so that a flood of connections does not starve
 * the rest of the main loop. */
#define ACCEPT_BATCH 32

typedef struct {
  SipcastRestListener *listener;  /* borrowed: it owns this */
  GIOStream *socket_stream;       /* the accepted socket's; closing it closes it */
  /* socket_stream's output and a quiet stream over its input: what
   * libsoup gets, for the whole life of the connection. */
  GIOStream *io;
  SipcastQuietInputStream *quiet; /* borrowed from io */
  /* What libsoup gets next: io, or libsoup layers over it. */
  GIOStream *stream;
  guint layers;
  GSocketAddress *local;
  GSocketAddress *remote;
  /* With libsoup: the request it reads or answers (owned).  Idle: NULL. */
  SoupServerMessage *msg;
  GSource *watch;                 /* idle: the stream became readable */
  guint timeout_id;               /* no request completed in time */
} Connection;

struct _SipcastRestListener {
  GObject parent_instance;

  SoupServer *soup;
  guint idle_timeout;             /* seconds */
  gulong request_started_id;

  GSocket *socket;                /* listening; NULL before listen() */
  guint port;
  /* HTTPS: every connection is a GTlsServerConnection with it; NULL:
   * plain HTTP. */
  GTlsCertificate *certificate;
  GSource *accept_source;
  guint accept_pause_id;
  /* Held open so that one descriptor can be freed to take a waiting
   * connection in and answer it 503 when the process has no other; -1
   * when it could not be opened again yet. */
  int spare_fd;
  gboolean out_of_fds;            /* refusing since the last accept */
  guint64 refused;

  GHashTable *connections;        /* set of Connection, owned */
  Connection *handing_over;       /* during soup_server_accept_iostream() */
};

G_DEFINE_FINAL_TYPE (SipcastRestListener, sipcast_rest_listener, G_TYPE_OBJECT)

static void start_accepting (SipcastRestListener *self);

static void
connection_free (gpointer data)
{
  Connection *conn = data;

  if (conn->msg != NULL) {
    g_signal_handlers_disconnect_by_data (conn->msg, conn);
    g_clear_object (&conn->msg);
  }
  if (conn->watch != NULL) {
    g_source_destroy (conn->watch);
    g_clear_pointer (&conn->watch, g_source_unref);
  }
  g_clear_handle_id (&conn->timeout_id, g_source_remove);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->io);
  g_clear_object (&conn->socket_stream);
  g_clear_object (&conn->local);
  g_clear_object (&conn->remote);
  g_free (conn);
}

static char *
connection_describe (Connection *conn)
{
  GInetSocketAddress *remote = G_INET_SOCKET_ADDRESS (conn->remote);
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (remote));

  return g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (remote));
}

/* Takes @conn back from libsoup when it has it.  libsoup allows that
 * whenever a message of its is on the connection, and one is from
 * "request-started" to "disconnected" (we forget the message then). */
static GIOStream *
connection_take_back (Connection *conn)
{
  g_autoptr (SoupServerMessage) msg = g_steal_pointer (&conn->msg);

  if (msg == NULL)
    return NULL;
  /* Stealing emits "disconnected": not ours to react to. */
  g_signal_handlers_disconnect_by_data (msg, conn);
  return soup_server_message_steal_connection (msg);
}

/* Closes @conn's socket, whoever has it. */
static void
connection_shut (Connection *conn)
{
  g_autoptr (GIOStream) stolen G_GNUC_UNUSED = connection_take_back (conn);

  /* What libsoup has (io, or its layers over io) never closes the socket:
   * we do. */
  g_io_stream_close (conn->socket_stream, NULL, NULL);
}

/* Closes @conn's socket and forgets @conn. */
static void
connection_close (Connection *conn)
{
  connection_shut (conn);
  g_hash_table_remove (conn->listener->connections, conn);
}

static gboolean
connection_timeout_cb (gpointer user_data)
{
  Connection *conn = user_data;
  g_autofree char *peer = connection_describe (conn);

  conn->timeout_id = 0;
  g_debug ("REST connection from %s closed: no request completed in %u s", peer,
           conn->listener->idle_timeout);
  connection_close (conn);
  return G_SOURCE_REMOVE;
}

/* Restarts the clock of @conn: another idle-timeout to complete a
 * request. */
static void
connection_restart_timeout (Connection *conn)
{
  g_clear_handle_id (&conn->timeout_id, g_source_remove);
  conn->timeout_id = g_timeout_add_seconds (conn->listener->idle_timeout,
                                            connection_timeout_cb, conn);
}

/* Gives @conn to libsoup as a new connection.  libsoup reads at once
 * what is there: a whole request (answered by the handlers, which may
 * leave @conn idle again) or EOF (@conn is gone).  Nothing may touch
 * @conn after this. */
static void
connection_hand_over (Connection *conn)
{
  SipcastRestListener *self = conn->listener;
  g_autoptr (GError) error = NULL;

  self->handing_over = conn;
  if (!soup_server_accept_iostream (self->soup, conn->stream, conn->local, conn->remote,
                                    &error)) {
    self->handing_over = NULL;
    g_warning (_("REST: cannot serve a connection: %s"), error->message);
    connection_close (conn);
    return;
  }
  self->handing_over = NULL;
}

static gboolean
connection_readable_cb (GObject  *stream,
                        gpointer  user_data)
{
  Connection *conn = user_data;

  /* The source goes with this return; the hand-over may add another. */
  g_clear_pointer (&conn->watch, g_source_unref);
  connection_hand_over (conn);
  return G_SOURCE_REMOVE;
}

/* @conn is ours between two requests: wait for the next one. */
static void
connection_wait (Connection *conn)
{
  GInputStream *input = g_io_stream_get_input_stream (conn->stream);

  conn->watch = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (input), NULL);
  g_source_set_callback (conn->watch, G_SOURCE_FUNC (connection_readable_cb), conn, NULL);
  g_source_attach (conn->watch, g_main_context_get_thread_default ());
  connection_restart_timeout (conn);
}

/* libsoup's own rule (soup_server_message_is_keepalive(), which is not
 * public) for whether a connection stays open after this response. */
static gboolean
is_keepalive (SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);

  if (soup_message_headers_get_encoding (response) == SOUP_ENCODING_EOF)
    return FALSE;
  if (soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0)
    return soup_message_headers_header_contains (response, "Connection", "Keep-Alive");
  return !soup_message_headers_header_contains (request, "Connection", "close") &&
         !soup_message_headers_header_contains (response, "Connection", "close");
}

static void
on_wrote_body (SoupServerMessage *msg,
               gpointer           user_data)
{
  Connection *conn = user_data;
  SipcastRestListener *self = conn->listener;
  g_autoptr (SoupServerMessage) finished = g_object_ref (msg);
  g_autoptr (GIOStream) stolen = NULL;
  GInputStream *input;
  gboolean buffered;

  /* Otherwise libsoup closes it after this response ("disconnected"). */
  if (!is_keepalive (msg))
    return;

  stolen = connection_take_back (conn);
  if (stolen == NULL) {
    g_hash_table_remove (self->connections, conn);
    return;
  }

  /* A client that sends a request before the answer to the one before
   * (pipelining) may have left bytes in libsoup's buffer: then the stream
   * with that buffer is what libsoup reads next.  Whether there are any is
   * libsoup's stream being readable while the socket under it keeps quiet
   * (a fast client's next request may be on the socket already).  If
   * there are none, every layer goes. */
  input = g_io_stream_get_input_stream (stolen);
  sipcast_quiet_input_stream_set_quiet (conn->quiet, TRUE);
  buffered = g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (input));
  sipcast_quiet_input_stream_set_quiet (conn->quiet, FALSE);
  if (buffered) {
    g_set_object (&conn->stream, stolen);
    conn->layers++;
  } else {
    g_set_object (&conn->stream, conn->io);
    conn->layers = 0;
  }
  connection_wait (conn);

  /* What libsoup would have said, had we left it the connection. */
  g_signal_emit_by_name (self->soup, "request-finished", finished);
}

static void
on_disconnected (SoupServerMessage *msg,
                 gpointer           user_data)
{
  Connection *conn = user_data;

  /* libsoup closed what it was given; the socket is ours to close.  Not
   * by taking the connection back: there is nothing left to take. */
  g_signal_handlers_disconnect_by_data (msg, conn);
  g_clear_object (&conn->msg);
  connection_close (conn);
}

static void
on_request_started (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  SipcastRestListener *self = SIPCAST_REST_LISTENER (user_data);
  Connection *conn = g_steal_pointer (&self->handing_over);

  /* Every connection libsoup has came from connection_hand_over(). */
  g_return_if_fail (conn != NULL);

  conn->msg = g_object_ref (msg);
  g_signal_connect (msg, "wrote-body", G_CALLBACK (on_wrote_body), conn);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_disconnected), conn);
  if (conn->layers >= MAX_LAYERS)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Connection", "close");
}

static void
accepted (SipcastRestListener *self,
          GSocket             *client)
{
  g_autoptr (GInputStream) input = NULL;
  Connection *conn;

  if (self->out_of_fds) {
    self->out_of_fds = FALSE;
    g_message (_("REST: file descriptors are available again; %llu connections were "
                 "answered 503 meanwhile"), (unsigned long long) self->refused);
  }
  sipcast_fd_limit_note (g_socket_get_fd (client), "a REST connection");
  /* As libsoup's own listener does: answers are small and go at once. */
  g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);

  conn = g_new0 (Connection, 1);
  conn->listener = self;
  conn->socket_stream = G_IO_STREAM (g_socket_connection_factory_create_connection (client));
  input = sipcast_quiet_input_stream_new (g_io_stream_get_input_stream (conn->socket_stream));
  conn->quiet = SIPCAST_QUIET_INPUT_STREAM (input);
  conn->io = g_simple_io_stream_new (input, g_io_stream_get_output_stream (conn->socket_stream));
  if (self->certificate != NULL) {
    g_autoptr (GError) error = NULL;
    GIOStream *tls;

    /* TLS goes over the quiet stream, so the idle watch and the check
     * for buffered bytes (on_wrote_body) see what TLS has decrypted and
     * the hand-over always gives libsoup the TLS connection.  The
     * handshake happens on libsoup's first read. */
    tls = g_tls_server_connection_new (conn->io, self->certificate, &error);
    if (tls == NULL) {
      g_warning ("REST: cannot serve a TLS connection: %s", error->message);
      conn->stream = g_object_ref (conn->io);
      g_hash_table_add (self->connections, conn);
      connection_close (conn);
      return;
    }
    /* Clients that just close the socket are many (curl among them). */
    g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
    g_object_unref (conn->io);
    conn->io = tls;
  }
  conn->stream = g_object_ref (conn->io);
  conn->local = g_socket_get_local_address (client, NULL);
  conn->remote = g_socket_get_remote_address (client, NULL);
  g_hash_table_add (self->connections, conn);
  /* Gone before we got to it (a reset). */
  if (conn->local == NULL || conn->remote == NULL) {
    connection_close (conn);
    return;
  }
  connection_restart_timeout (conn);
  connection_hand_over (conn);
}

/* Reads what the client sent so far (closing a socket with unread bytes
 * resets the connection, and the client could lose the answer), then
 * answers 503. */
static void
answer_unavailable (GSocket *client)
{
  g_autofree char *body = NULL;
  g_autofree char *response = NULL;
  char buffer[4096];

  body = sipcast_json_error_body (sipcast_error_code_name (SIPCAST_ERROR_NO_FDS),
                                  _("The server is out of file descriptors; try again later"));
  response = g_strdup_printf ("HTTP/1.1 503 Service Unavailable\r\n"
                              "Server: sipcast\r\n"
                              "Content-Type: application/json\r\n"
                              "Content-Length: %" G_GSIZE_FORMAT "\r\n"
                              "Retry-After: 1\r\n"
                              "Connection: close\r\n"
                              "\r\n%s", strlen (body), body);

  g_socket_set_blocking (client, FALSE);
  for (guint i = 0; i < 16; i++) {
    if (g_socket_receive (client, buffer, sizeof buffer, NULL, NULL) <= 0)
      break;
  }
  g_socket_send (client, response, strlen (response), NULL, NULL);
  g_socket_shutdown (client, FALSE, TRUE, NULL);
}

static gboolean
resume_accepting_cb (gpointer user_data)
{
  SipcastRestListener *self = SIPCAST_REST_LISTENER (user_data);

  self->accept_pause_id = 0;
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

/* accept() failed for want of descriptors: frees the spare one to take
 * the first waiting connection in and answer it 503.  FALSE when even
 * that failed: accepting pauses (the connections wait in the backlog)
 * rather than spin on a listening socket that stays readable. */
static gboolean
refuse_one (SipcastRestListener *self,
            const GError        *error)
{
  g_autoptr (GSocket) client = NULL;

  if (!self->out_of_fds) {
    self->out_of_fds = TRUE;
    g_warning (_("REST: cannot accept a connection: %s (file descriptor limit %llu); "
                 "connections are answered 503 until descriptors are free"),
               error->message, (unsigned long long) sipcast_fd_limit_get ());
  }

  if (self->spare_fd >= 0) {
    close (self->spare_fd);
    self->spare_fd = -1;
    client = g_socket_accept (self->socket, NULL, NULL);
    if (client != NULL) {
      answer_unavailable (client);
      g_socket_close (client, NULL);
      self->refused++;
      g_debug ("REST: %" G_GUINT64_FORMAT " connections answered 503 so far", self->refused);
    }
  }
  if (self->spare_fd < 0)
    self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (client != NULL && self->spare_fd >= 0)
    return TRUE;

  g_clear_pointer (&self->accept_source, g_source_destroy);
  self->accept_pause_id = g_timeout_add (ACCEPT_PAUSE_MS, resume_accepting_cb, self);
  return FALSE;
}

static gboolean
on_incoming (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  SipcastRestListener *self = SIPCAST_REST_LISTENER (user_data);

  for (guint i = 0; i < ACCEPT_BATCH; i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GSocket) client = g_socket_accept (self->socket, NULL, &error);

    if (client != NULL) {
      accepted (self, client);
      continue;
    }
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      break;
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)) {
      if (!refuse_one (self, error))
        return G_SOURCE_REMOVE;
      continue;
    }
    /* The client gave up before we got to it (ECONNABORTED), and the
     * like: the next one may do better. */
    g_debug ("REST: accept failed: %s", error->message);
  }
  return G_SOURCE_CONTINUE;
}

static void
start_accepting (SipcastRestListener *self)
{
  if (self->spare_fd < 0)
    self->spare_fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  self->accept_source = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accept_source, G_SOURCE_FUNC (on_incoming), self, NULL);
  g_source_attach (self->accept_source, g_main_context_get_thread_default ());
  /* The context holds it; destroying it is what detaches it. */
  g_source_unref (self->accept_source);
}

static void
sipcast_rest_listener_dispose (GObject *object)
{
  SipcastRestListener *self = SIPCAST_REST_LISTENER (object);

  if (self->soup != NULL)
    g_clear_signal_handler (&self->request_started_id, self->soup);
  g_clear_pointer (&self->accept_source, g_source_destroy);
  g_clear_handle_id (&self->accept_pause_id, g_source_remove);

  if (self->connections != NULL) {
    GHashTableIter iter;
    Connection *conn;

    /* Not connection_close(): it removes from the table. */
    g_hash_table_iter_init (&iter, self->connections);
    while (g_hash_table_iter_next (&iter, (gpointer *) &conn, NULL))
      connection_shut (conn);
    g_clear_pointer (&self->connections, g_hash_table_unref);
  }

  if (self->socket != NULL) {
    g_socket_close (self->socket, NULL);
    g_clear_object (&self->socket);
  }
  if (self->spare_fd >= 0) {
    close (self->spare_fd);
    self->spare_fd = -1;
  }
  g_clear_object (&self->soup);
  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (sipcast_rest_listener_parent_class)->dispose (object);
}

static void
sipcast_rest_listener_class_init (SipcastRestListenerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sipcast_rest_listener_dispose;
}

static void
sipcast_rest_listener_init (SipcastRestListener *self)
{
  self->spare_fd = -1;
  self->connections = g_hash_table_new_full (NULL, NULL, connection_free, NULL);
}

SipcastRestListener *
sipcast_rest_listener_new (SoupServer *soup,
                           guint       idle_timeout)
{
  SipcastRestListener *self;

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);
  g_return_val_if_fail (idle_timeout > 0, NULL);

  self = g_object_new (SIPCAST_TYPE_REST_LISTENER, NULL);
  self->soup = g_object_ref (soup);
  self->idle_timeout = idle_timeout;
  self->request_started_id = g_signal_connect (soup, "request-started",
                                               G_CALLBACK (on_request_started), self);
  return self;
}

gboolean
sipcast_rest_listener_listen (SipcastRestListener *self,
                              GSocketAddress      *address,
                              GError             **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) bound = NULL;

  g_return_val_if_fail (SIPCAST_IS_REST_LISTENER (self), FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (address), FALSE);
  g_return_val_if_fail (self->socket == NULL, FALSE);

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  /* As soup_server_listen() did: "::" is IPv6 only. */
  if (g_socket_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  /* accept() says "would block" rather than wait: on_incoming() takes
   * what is there and returns to the main loop. */
  g_socket_set_blocking (socket, FALSE);
  /* Bursts of short-lived connections (a poller per call) must not
   * overflow GIO's default backlog of 10. */
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return FALSE;
  bound = g_socket_get_local_address (socket, error);
  if (bound == NULL)
    return FALSE;

  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  self->socket = g_steal_pointer (&socket);
  start_accepting (self);
  return TRUE;
}

gboolean
sipcast_rest_listener_set_tls_files (SipcastRestListener *self,
                                     const char          *certificate_file,
                                     const char          *key_file,
                                     GError             **error)
{
  g_autoptr (GTlsCertificate) certificate = NULL;

  g_return_val_if_fail (SIPCAST_IS_REST_LISTENER (self), FALSE);
  g_return_val_if_fail (certificate_file != NULL, FALSE);
  g_return_val_if_fail (self->socket == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("HTTPS needs GIO's TLS support (glib-networking), which is not installed"));
    return FALSE;
  }
  certificate = key_file != NULL ?
                g_tls_certificate_new_from_files (certificate_file, key_file, error) :
                g_tls_certificate_new_from_file (certificate_file, error);
  if (certificate == NULL)
    return FALSE;
  g_set_object (&self->certificate, certificate);
  return TRUE;
}

gboolean
sipcast_rest_listener_is_https (SipcastRestListener *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_LISTENER (self), FALSE);
  return self->certificate != NULL;
}

guint
sipcast_rest_listener_get_port (SipcastRestListener *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_LISTENER (self), 0);
  return self->port;
}

guint
sipcast_rest_listener_get_n_connections (SipcastRestListener *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_LISTENER (self), 0);
  return g_hash_table_size (self->connections);
}

guint64
sipcast_rest_listener_get_n_refused (SipcastRestListener *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_LISTENER (self), 0);
  return self->refused;
}

static Connection *
find_connection (SipcastRestListener *self,
                 SoupServerMessage   *msg)
{
  GHashTableIter iter;
  Connection *conn;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *) &conn, NULL)) {
    if (conn->msg == msg)
      return conn;
  }
  return NULL;
}

void
sipcast_rest_listener_hold (SipcastRestListener *self,
                            SoupServerMessage   *msg,
                            gsize                send_buffer)
{
  Connection *conn;

  g_return_if_fail (SIPCAST_IS_REST_LISTENER (self));

  conn = find_connection (self, msg);
  if (conn == NULL)
    return;
  /* The clock starts again once a response completes (on_wrote_body). */
  g_clear_handle_id (&conn->timeout_id, g_source_remove);
  if (send_buffer > 0) {
    GSocket *socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (conn->socket_stream));

    g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, (gint) MIN (send_buffer, G_MAXINT / 2),
                         NULL);
  }
}

void
sipcast_rest_listener_close (SipcastRestListener *self,
                             SoupServerMessage   *msg)
{
  Connection *conn;

  g_return_if_fail (SIPCAST_IS_REST_LISTENER (self));

  conn = find_connection (self, msg);
  if (conn != NULL)
    connection_close (conn);
}

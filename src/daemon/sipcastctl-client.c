/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcastctl"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "sipcastctl-client.h"
#include "sipcast-config.h"

/*
 * Requests are synchronous: sipcastctl does one thing and exits, and the
 * event stream is read line by line until the daemon or the user ends it.
 */

#define DEFAULT_URL "http://127.0.0.1:8081/rest-api"
#define PASSWORD_ENV "SIPCAST_PASSWORD"
/* A daemon that does not answer within this is not going to. */
#define REQUEST_TIMEOUT_SECONDS 30

/* Restored from a signal handler too, so a Ctrl-C at the password prompt
 * does not leave the terminal without echo. */
static struct termios saved_termios;
static volatile sig_atomic_t termios_changed;

static void
restore_terminal_and_reraise (int signum)
{
  if (termios_changed)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved_termios);
  signal (signum, SIG_DFL);
  raise (signum);
}

/* One line from stdin without its line end; with echo off when stdin is
 * a terminal.  NULL at end of input. */
char *
sipcastctl_read_secret_line (const char *prompt)
{
  gboolean is_tty = isatty (STDIN_FILENO);
  struct sigaction action = { 0 };
  struct sigaction old_int = { 0 }, old_term = { 0 }, old_hup = { 0 };
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length;
  char *result = NULL;

  if (is_tty) {
    struct termios no_echo;

    g_printerr ("%s", prompt);
    if (tcgetattr (STDIN_FILENO, &saved_termios) == 0) {
      action.sa_handler = restore_terminal_and_reraise;
      sigemptyset (&action.sa_mask);
      sigaction (SIGINT, &action, &old_int);
      sigaction (SIGTERM, &action, &old_term);
      sigaction (SIGHUP, &action, &old_hup);

      no_echo = saved_termios;
      no_echo.c_lflag &= ~(tcflag_t) ECHO;
      no_echo.c_lflag |= ECHONL;
      termios_changed = tcsetattr (STDIN_FILENO, TCSAFLUSH, &no_echo) == 0;
    }
  }

  length = getline (&line, &capacity, stdin);

  if (termios_changed) {
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
    termios_changed = FALSE;
    sigaction (SIGINT, &old_int, NULL);
    sigaction (SIGTERM, &old_term, NULL);
    sigaction (SIGHUP, &old_hup, NULL);
  }

  if (length >= 0) {
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
      line[--length] = '\0';
    result = g_strdup (line);
  }

  if (line != NULL) {
    explicit_bzero (line, capacity);
    free (line);
  }
  return result;
}

void
sipcastctl_free_secret (char *secret)
{
  if (secret != NULL) {
    explicit_bzero (secret, strlen (secret));
    g_free (secret);
  }
}

typedef char char_secret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (char_secret, sipcastctl_free_secret)

void
sipcastctl_reply_free (SipcastctlReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->reason);
  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->raw, g_bytes_unref);
  g_free (reply);
}

char *
sipcastctl_base_url (const SipcastctlConnection *connection,
                     GError                    **error)
{
  g_autoptr (SipcastConfig) config = NULL;
  g_autoptr (GInetAddress) address = NULL;
  g_autofree char *host = NULL;

  if (connection->url != NULL)
    return g_strdup (connection->url);
  if (connection->config_file == NULL)
    return g_strdup (DEFAULT_URL);

  config = sipcast_config_new_default ();
  if (!sipcast_config_load_file (config, connection->config_file, error))
    return NULL;

  address = g_inet_address_new_from_string (config->rest_address);
  if (address == NULL)
    return g_strdup_printf ("http://%s:%u/rest-api", config->rest_address, config->rest_port);

  /* A daemon listening on every address is reached on loopback. */
  if (g_inet_address_get_is_any (address)) {
    GSocketFamily family = g_inet_address_get_family (address);

    g_clear_object (&address);
    address = g_inet_address_new_loopback (family);
  }

  host = g_inet_address_to_string (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("http://[%s]:%u/rest-api", host, config->rest_port);
  return g_strdup_printf ("http://%s:%u/rest-api", host, config->rest_port);
}

/* A message to @path under the base URL, with credentials when asked. */
static SoupMessage *
new_message (const SipcastctlConnection *connection,
             const char                 *http_method,
             const char                 *path,
             GError                    **error)
{
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autoptr (SoupMessage) msg = NULL;

  base = sipcastctl_base_url (connection, error);
  if (base == NULL)
    return NULL;
  while (*path == '/')
    path++;
  url = g_strdup_printf ("%s%s%s", base, g_str_has_suffix (base, "/") ? "" : "/", path);

  msg = soup_message_new (http_method, url);
  if (msg == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("invalid URL “%s”"), url);
    return NULL;
  }

  if (connection->user != NULL) {
    g_autoptr (char_secret) password = NULL;
    g_autoptr (char_secret) credentials = NULL;
    g_autoptr (char_secret) encoded = NULL;
    g_autofree char *header = NULL;

    if (connection->password != NULL)
      password = g_strdup (connection->password);
    else if (g_getenv (PASSWORD_ENV) != NULL)
      password = g_strdup (g_getenv (PASSWORD_ENV));
    else if (isatty (STDIN_FILENO))
      password = sipcastctl_read_secret_line (_("Password: "));

    if (password == NULL) {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("--user needs a password: --password, $%s or a terminal to ask on"),
                   PASSWORD_ENV);
      return NULL;
    }

    credentials = g_strdup_printf ("%s:%s", connection->user, password);
    encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));
    header = g_strdup_printf ("Basic %s", encoded);
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "Authorization", header);
    explicit_bzero (header, strlen (header));
  }
  return g_steal_pointer (&msg);
}

static SoupSession *
new_session (guint timeout)
{
  return soup_session_new_with_options ("timeout", timeout,
                                        "user-agent", "sipcastctl/" PACKAGE_VERSION,
                                        NULL);
}

static SipcastctlReply *
reply_new (SoupMessage *msg,
           GBytes      *body)
{
  SipcastctlReply *reply = g_new0 (SipcastctlReply, 1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);

  reply->status = soup_message_get_status (msg);
  reply->reason = g_strdup (soup_message_get_reason_phrase (msg));
  reply->raw = g_bytes_ref (body);
  if (length > 0 && json_parser_load_from_data (parser, data, (gssize) length, NULL) &&
      json_parser_get_root (parser) != NULL)
    reply->json = json_node_copy (json_parser_get_root (parser));
  return reply;
}

SipcastctlReply *
sipcastctl_post (const SipcastctlConnection *connection,
                 const char                 *method,
                 const char                 *json,
                 GError                    **error)
{
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autoptr (GBytes) response = NULL;

  msg = new_message (connection, SOUP_METHOD_POST, method, error);
  if (msg == NULL)
    return NULL;
  request = g_bytes_new (json, strlen (json));
  soup_message_set_request_body_from_bytes (msg, "application/json", request);

  session = new_session (REQUEST_TIMEOUT_SECONDS);
  response = soup_session_send_and_read (session, msg, NULL, error);
  if (response == NULL)
    return NULL;
  return reply_new (msg, response);
}

gboolean
sipcastctl_read_events (const SipcastctlConnection *connection,
                        const char                 *query,
                        SipcastctlEventFunc         func,
                        gpointer                    user_data,
                        SipcastctlReply           **reply,
                        GError                    **error)
{
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GDataInputStream) lines = NULL;
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  g_autofree char *type = NULL;
  g_autoptr (GString) data = g_string_new (NULL);

  path = query != NULL && *query != '\0' ? g_strconcat ("events?", query, NULL)
                                         : g_strdup ("events");
  msg = new_message (connection, SOUP_METHOD_GET, path, error);
  if (msg == NULL)
    return FALSE;
  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Accept", "text/event-stream");

  /* No read timeout: the stream may stay quiet for as long as nothing
   * happens (the daemon's keep-alive comments aside). */
  session = new_session (0);
  stream = soup_session_send (session, msg, NULL, error);
  if (stream == NULL)
    return FALSE;
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg))) {
    g_autoptr (GBytes) body = g_input_stream_read_bytes (stream, 65536, NULL, NULL);

    *reply = reply_new (msg, body != NULL ? body : g_bytes_new (NULL, 0));
    return TRUE;
  }

  /* text/event-stream (WHATWG HTML, "Server-sent events"): fields up to a
   * blank line make one event; lines starting with ':' are comments. */
  lines = g_data_input_stream_new (stream);
  g_data_input_stream_set_newline_type (lines, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  for (;;) {
    g_autoptr (GError) local_error = NULL;
    g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &local_error);
    const char *value;

    if (line == NULL) {
      if (local_error != NULL) {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return FALSE;
      }
      return TRUE;
    }
    if (*line == '\0') {
      if (data->len > 0 || type != NULL) {
        if (data->len > 0 && data->str[data->len - 1] == '\n')
          g_string_truncate (data, data->len - 1);
        if (!func (id, type != NULL ? type : "message", data->str, user_data))
          return TRUE;
      }
      g_clear_pointer (&type, g_free);
      g_string_truncate (data, 0);
      continue;
    }
    if (*line == ':')
      continue;
    value = strchr (line, ':');
    if (value != NULL) {
      *(char *) value++ = '\0';
      if (*value == ' ')
        value++;
    } else {
      value = "";
    }
    if (g_str_equal (line, "id")) {
      g_free (id);
      id = g_strdup (value);
    } else if (g_str_equal (line, "event")) {
      g_free (type);
      type = g_strdup (value);
    } else if (g_str_equal (line, "data")) {
      g_string_append (data, value);
      g_string_append_c (data, '\n');
    }
  }
}

int
sipcastctl_exit_status (guint http_status)
{
  if (http_status >= 200 && http_status < 300)
    return EXIT_SUCCESS;
  if (http_status >= 400 && http_status < 500)
    return 4;
  if (http_status >= 500 && http_status < 600)
    return 5;
  return 3;
}

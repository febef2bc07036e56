/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcastctl"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "sipcast-config.h"
#include "sipcast-users.h"

/*
 * The command-line client: posts a JSON body to one REST method of a
 * running daemon and prints the reply, so that shell scripts and operators
 * need neither curl nor the WCS tooling; and changes passwords in the users
 * file of production mode (the daemon notices the change by itself).
 */

#define DEFAULT_URL "http://127.0.0.1:8081/rest-api"
#define PASSWORD_ENV "SIPCAST_PASSWORD"
/* A daemon that does not answer within this is not going to. */
#define REQUEST_TIMEOUT_SECONDS 30

static char *opt_url;
static char *opt_user;
static char *opt_password;
static char *opt_config;
static char *opt_users_file;
static gboolean opt_version;

static const GOptionEntry entries[] = {
  { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url,
    N_("Base URL of the REST API (default " DEFAULT_URL ", or derived from --config)"), N_("URL") },
  { "user", 'u', 0, G_OPTION_ARG_STRING, &opt_user,
    N_("User name for HTTP Basic auth (production mode)"), N_("NAME") },
  { "password", 'p', 0, G_OPTION_ARG_STRING, &opt_password,
    N_("Password for --user; visible to other local users, prefer $" PASSWORD_ENV " or the prompt"),
    N_("PASSWORD") },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
    N_("The daemon's configuration file (REST address, users file)"), N_("FILE") },
  { "users-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_users_file,
    N_("Users file for “user passwd” (overrides the configuration)"), N_("FILE") },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    N_("Print the version and exit"), NULL },
  { NULL }
};

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
static char *
read_secret_line (const char *prompt)
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

static void
free_secret (char *secret)
{
  if (secret != NULL) {
    explicit_bzero (secret, strlen (secret));
    g_free (secret);
  }
}

/* g_autoptr (char_secret): a string wiped before it is freed. */
typedef char char_secret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (char_secret, free_secret)

static SipcastConfig *
load_config (GError **error)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();

  if (opt_config != NULL && !sipcast_config_load_file (config, opt_config, error))
    return NULL;
  return g_steal_pointer (&config);
}

/* Where to reach the daemon: --url, else the REST socket of -c FILE, else
 * the built-in default. */
static char *
base_url (GError **error)
{
  g_autoptr (SipcastConfig) config = NULL;
  g_autoptr (GInetAddress) address = NULL;
  g_autofree char *host = NULL;

  if (opt_url != NULL)
    return g_strdup (opt_url);
  if (opt_config == NULL)
    return g_strdup (DEFAULT_URL);

  config = load_config (error);
  if (config == NULL)
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

static void
print_body (GBytes *body)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);

  if (length == 0)
    return;

  if (json_parser_load_from_data (parser, data, (gssize) length, NULL) &&
      json_parser_get_root (parser) != NULL) {
    g_autoptr (JsonGenerator) generator = json_generator_new ();
    g_autofree char *pretty = NULL;

    json_generator_set_root (generator, json_parser_get_root (parser));
    json_generator_set_pretty (generator, TRUE);
    json_generator_set_indent (generator, 2);
    pretty = json_generator_to_data (generator, NULL);
    g_print ("%s\n", pretty);
    return;
  }

  /* Not JSON (a proxy's error page, say): show it as it came. */
  fwrite (data, 1, length, stdout);
  if (data[length - 1] != '\n')
    fputc ('\n', stdout);
}

static int
call_method (const char *method,
             const char *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupSession) session = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) request = NULL;
  g_autoptr (GBytes) response = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  guint status;

  base = base_url (&error);
  if (base == NULL) {
    g_printerr ("sipcastctl: %s\n", error->message);
    return EXIT_FAILURE;
  }

  while (*method == '/')
    method++;
  url = g_strdup_printf ("%s%s%s", base, g_str_has_suffix (base, "/") ? "" : "/", method);

  msg = soup_message_new (SOUP_METHOD_POST, url);
  if (msg == NULL) {
    g_printerr (_("sipcastctl: invalid URL “%s”\n"), url);
    return EXIT_FAILURE;
  }

  request = g_bytes_new (json, strlen (json));
  soup_message_set_request_body_from_bytes (msg, "application/json", request);

  if (opt_user != NULL) {
    g_autoptr (char_secret) password = NULL;
    g_autoptr (char_secret) credentials = NULL;
    g_autoptr (char_secret) encoded = NULL;
    g_autofree char *header = NULL;

    if (opt_password != NULL)
      password = g_strdup (opt_password);
    else if (g_getenv (PASSWORD_ENV) != NULL)
      password = g_strdup (g_getenv (PASSWORD_ENV));
    else if (isatty (STDIN_FILENO))
      password = read_secret_line (_("Password: "));

    if (password == NULL) {
      g_printerr (_("sipcastctl: --user needs a password: --password, $%s or a terminal to ask on\n"),
                  PASSWORD_ENV);
      return EXIT_FAILURE;
    }

    credentials = g_strdup_printf ("%s:%s", opt_user, password);
    encoded = g_base64_encode ((const guchar *) credentials, strlen (credentials));
    header = g_strdup_printf ("Basic %s", encoded);
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "Authorization", header);
    explicit_bzero (header, strlen (header));
  }

  session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_SECONDS,
                                           "user-agent", "sipcastctl/" PACKAGE_VERSION,
                                           NULL);
  response = soup_session_send_and_read (session, msg, NULL, &error);
  if (response == NULL) {
    g_printerr (_("sipcastctl: %s: %s\n"), url, error->message);
    return EXIT_FAILURE;
  }

  print_body (response);

  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    g_printerr ("sipcastctl: HTTP %u %s\n", status,
                soup_message_get_reason_phrase (msg) != NULL ? soup_message_get_reason_phrase (msg) : "");
    return EXIT_FAILURE;
  }
  return EXIT_SUCCESS;
}

static int
user_passwd (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastConfig) config = NULL;
  g_autoptr (char_secret) password = NULL;
  g_autofree char *prompt = NULL;
  const char *users_file;

  config = load_config (&error);
  if (config == NULL) {
    g_printerr ("sipcastctl: %s\n", error->message);
    return EXIT_FAILURE;
  }
  users_file = opt_users_file != NULL ? opt_users_file : config->users_file;

  prompt = g_strdup_printf (_("New password for %s: "), name);
  password = read_secret_line (prompt);
  if (password == NULL) {
    g_printerr (_("sipcastctl: no password given\n"));
    return EXIT_FAILURE;
  }

  /* A typo nobody saw would lock the operator out: ask twice when a
   * person is typing. */
  if (isatty (STDIN_FILENO)) {
    g_autoptr (char_secret) again = read_secret_line (_("Retype the new password: "));

    if (again == NULL || strcmp (password, again) != 0) {
      g_printerr (_("sipcastctl: the passwords do not match; nothing changed\n"));
      return EXIT_FAILURE;
    }
  }

  if (!sipcast_users_set_password (users_file, name, password, &error)) {
    g_printerr ("sipcastctl: %s\n", error->message);
    return EXIT_FAILURE;
  }

  g_print (_("Password of %s changed in %s\n"), name, users_file);
  return EXIT_SUCCESS;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("METHOD [JSON] | user passwd NAME"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Talk to a running sipcast daemon.\n"
      "\n"
      "METHOD is a REST method such as call/find_all or call/startup; JSON is its\n"
      "body (default {}, “-” reads it from standard input).  The reply is printed;\n"
      "the exit status is 0 for a 2xx reply and 1 otherwise.\n"
      "\n"
      "“user passwd NAME” sets NAME's password in the users file of production\n"
      "mode, read from the terminal (twice) or from one line of standard input."));
  g_option_context_set_description (context,
    _("Examples:\n"
      "  sipcastctl call/find_all\n"
      "  sipcastctl call/startup '{\"callee\":\"1000\",\"sipDomain\":\"pbx.example.org\"}'\n"
      "  sipcastctl --user admin call/terminate '{\"callId\":\"c1\"}'\n"
      "  sipcastctl user passwd admin -c /etc/sipcast/sipcast.conf\n"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("sipcastctl: %s\n", error->message);
    return EXIT_FAILURE;
  }

  if (opt_version) {
    g_print ("sipcastctl %s\n", PACKAGE_VERSION);
    return EXIT_SUCCESS;
  }

  if (argc >= 2 && g_str_equal (argv[1], "user")) {
    if (argc != 4 || !g_str_equal (argv[2], "passwd")) {
      g_printerr (_("Usage: sipcastctl user passwd NAME [-c CONFIG | --users-file=FILE]\n"));
      return EXIT_FAILURE;
    }
    return user_passwd (argv[3]);
  }

  if (argc == 2 || argc == 3) {
    g_autofree char *stdin_body = NULL;
    const char *json = argc == 3 ? argv[2] : "{}";

    if (g_str_equal (json, "-")) {
      g_autoptr (GIOChannel) channel = g_io_channel_unix_new (STDIN_FILENO);
      gsize length;

      if (g_io_channel_set_encoding (channel, NULL, &error) != G_IO_STATUS_NORMAL ||
          g_io_channel_read_to_end (channel, &stdin_body, &length, &error) != G_IO_STATUS_NORMAL) {
        g_printerr ("sipcastctl: %s\n", error->message);
        return EXIT_FAILURE;
      }
      json = stdin_body;
    }
    return call_method (argv[1], json);
  }

  {
    g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

    g_printerr ("%s", help);
  }
  return EXIT_FAILURE;
}

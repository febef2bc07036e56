/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcastctl"

#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "sipcast-config.h"
#include "sipcast-users.h"
#include "sipcastctl-client.h"
#include "sipcastctl-table.h"

/*
 * The command-line client: short commands for people (`calls`, `call
 * start callee=1000 …`, `push list`, `events` …) that print tables, the
 * same with --json for scripts, and the raw form `METHOD [JSON]` that
 * posts any body to any REST method; plus `user passwd NAME`, which
 * changes a password in the users file of production mode (the daemon
 * notices the change by itself).  The exit status mirrors the HTTP status
 * of the answer (sipcastctl-client.h).
 */

#define IS_2XX(status) ((status) >= 200 && (status) < 300)

typedef char char_secret;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (char_secret, sipcastctl_free_secret)

static char *opt_url;
static char *opt_user;
static char *opt_password;
static char *opt_config;
static char *opt_users_file;
static gboolean opt_json;
static gboolean opt_version;

static const GOptionEntry entries[] = {
  { "url", 0, 0, G_OPTION_ARG_STRING, &opt_url,
    N_("Base URL of the REST API (default http://127.0.0.1:8081/rest-api, or derived from --config)"),
    N_("URL") },
  { "user", 'u', 0, G_OPTION_ARG_STRING, &opt_user,
    N_("User name for HTTP Basic auth (production mode)"), N_("NAME") },
  { "password", 'p', 0, G_OPTION_ARG_STRING, &opt_password,
    N_("Password for --user; visible to other local users, prefer $SIPCAST_PASSWORD or the prompt"),
    N_("PASSWORD") },
  { "config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
    N_("The daemon's configuration file (REST address, users file)"), N_("FILE") },
  { "users-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_users_file,
    N_("Users file for “user passwd” (overrides the configuration)"), N_("FILE") },
  { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json,
    N_("Print the answers as JSON (one line each) instead of tables, for scripts"), NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    N_("Print the version and exit"), NULL },
  { NULL }
};

static SipcastctlConnection
connection (void)
{
  SipcastctlConnection c = { opt_url, opt_config, opt_user, opt_password };

  return c;
}

static int
usage (void)
{
  g_printerr (_("sipcastctl: wrong arguments; see sipcastctl --help\n"));
  return SIPCASTCTL_EXIT_USAGE;
}

static void
print_json (JsonNode *node,
            gboolean  pretty)
{
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

/* The body as it came, when it is no JSON (a proxy's error page, say). */
static void
print_raw (GBytes *body,
           FILE   *out)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (body, &length);

  if (length == 0)
    return;
  fwrite (data, 1, length, out);
  if (data[length - 1] != '\n')
    fputc ('\n', out);
}

/* A failed answer on stderr: the API's "message" and the HTTP status. */
static int
report_failure (SipcastctlReply *reply)
{
  const char *message = NULL;

  if (reply->json != NULL && JSON_NODE_HOLDS_OBJECT (reply->json))
    message = json_object_get_string_member_with_default (json_node_get_object (reply->json),
                                                          "message", NULL);
  if (message != NULL)
    g_printerr (_("sipcastctl: %s (HTTP %u %s)\n"), message, reply->status,
                reply->reason != NULL ? reply->reason : "");
  else {
    g_printerr (_("sipcastctl: HTTP %u %s\n"), reply->status,
                reply->reason != NULL ? reply->reason : "");
    if (reply->json == NULL)
      print_raw (reply->raw, stderr);
  }
  return sipcastctl_exit_status (reply->status);
}

/* POSTs @body to @method; NULL (after saying why) when the daemon could
 * not be reached, with *@exit_status set. */
static SipcastctlReply *
post (const char *method,
      JsonNode   *body,
      int        *exit_status)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *json = json_to_string (body, FALSE);
  SipcastctlConnection c = connection ();
  SipcastctlReply *reply = sipcastctl_post (&c, method, json, &error);

  if (reply == NULL) {
    g_printerr ("sipcastctl: %s\n", error->message);
    *exit_status = SIPCASTCTL_EXIT_FAILURE;
  }
  return reply;
}

/* KEY=VALUE arguments as a JSON object of strings (the API takes
 * "true" and numbers as strings, SPEC.md); FALSE for a malformed one. */
static gboolean
parse_pairs (char      **args,
             int         n_args,
             JsonObject *object)
{
  for (int i = 0; i < n_args; i++) {
    const char *eq = strchr (args[i], '=');
    g_autofree char *key = NULL;

    if (eq == NULL || eq == args[i]) {
      g_printerr (_("sipcastctl: “%s” is not KEY=VALUE\n"), args[i]);
      return FALSE;
    }
    key = g_strndup (args[i], eq - args[i]);
    json_object_set_string_member (object, key, eq + 1);
  }
  return TRUE;
}

/* Takes @object. */
static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

static const SipcastctlColumn call_columns[] = {
  { N_("CALL ID"), "callId" },
  { N_("STATUS"), "status" },
  { N_("SIP"), "sipStatus" },
  { N_("CALLER"), "caller" },
  { N_("CALLEE"), "callee" },
  { N_("RTMP"), "rtmpStreamStatus" },
  { N_("STARTED"), "startedAt" },
};

static const SipcastctlColumn push_columns[] = {
  { N_("MEDIA SESSION ID"), "mediaSessionId" },
  { N_("STREAM"), "streamName" },
  { N_("SOURCE"), "sourceStreamName" },
  { N_("STATUS"), "status" },
  { N_("MUTED"), "muted" },
  { N_("SOUND"), "soundEnabled" },
  { N_("RTMP URL"), "rtmpUrl" },
};

static const SipcastctlColumn stream_columns[] = {
  { N_("NAME"), "name" },
  { N_("CALL ID"), "callId" },
  { N_("AUDIO"), "audioCodec" },
  { N_("VIDEO"), "videoCodec" },
  { N_("STATUS"), "status" },
  { N_("SUBSCRIBERS"), "subscribers" },
};

static const SipcastctlColumn node_columns[] = {
  { N_("NODE"), "id" },
  { N_("URL"), "url" },
  { N_("CALLS"), "calls" },
  { N_("CAPACITY"), "capacity" },
  { N_("CPU"), "cpu" },
  { N_("DRAINING"), "draining" },
};

static void
print_table (const SipcastctlColumn *columns,
             guint                   n_columns,
             JsonNode               *node)
{
  g_autofree SipcastctlColumn *translated = g_new (SipcastctlColumn, n_columns);

  for (guint i = 0; i < n_columns; i++) {
    translated[i].title = _(columns[i].title);
    translated[i].key = columns[i].key;
  }
  sipcastctl_print_table (translated, n_columns, node);
}

/* A method whose answer is a list (or one object): a table, or JSON. */
static int
list (const char             *method,
      JsonObject             *body,
      const SipcastctlColumn *columns,
      guint                   n_columns)
{
  g_autoptr (JsonNode) node = object_node (body);
  g_autoptr (SipcastctlReply) reply = NULL;
  int exit_status = EXIT_SUCCESS;

  reply = post (method, node, &exit_status);
  if (reply == NULL)
    return exit_status;
  if (!IS_2XX (reply->status))
    return report_failure (reply);
  if (reply->json == NULL) {
    print_raw (reply->raw, stdout);
    return sipcastctl_exit_status (reply->status);
  }
  if (opt_json)
    print_json (reply->json, FALSE);
  else
    print_table (columns, n_columns, reply->json);
  return EXIT_SUCCESS;
}

/* A method that answers {}: @done (a sentence) on success, or {}. */
static int
act (const char *method,
     JsonObject *body,
     const char *done)
{
  g_autoptr (JsonNode) node = object_node (body);
  g_autoptr (SipcastctlReply) reply = NULL;
  int exit_status = EXIT_SUCCESS;

  reply = post (method, node, &exit_status);
  if (reply == NULL)
    return exit_status;
  if (!IS_2XX (reply->status))
    return report_failure (reply);
  if (opt_json && reply->json != NULL)
    print_json (reply->json, FALSE);
  else if (!opt_json)
    g_print ("%s\n", done);
  return EXIT_SUCCESS;
}

static int
call_command (int    argc,
              char **argv)
{
  g_autoptr (JsonObject) body = json_object_new ();

  if (argc < 1)
    return usage ();

  if (g_str_equal (argv[0], "start")) {
    g_autoptr (JsonNode) node = NULL;
    g_autoptr (SipcastctlReply) reply = NULL;
    int exit_status = EXIT_SUCCESS;

    if (argc < 2 || !parse_pairs (argv + 1, argc - 1, body))
      return usage ();
    /* Chosen here when not given, so that it can be printed: the API
     * answers {} and would keep its own to itself. */
    if (!json_object_has_member (body, "callId")) {
      g_autofree char *id = g_uuid_string_random ();

      json_object_set_string_member (body, "callId", id);
    }
    node = object_node (json_object_ref (body));
    reply = post ("call/startup", node, &exit_status);
    if (reply == NULL)
      return exit_status;
    if (!IS_2XX (reply->status))
      return report_failure (reply);
    if (opt_json) {
      g_autoptr (JsonNode) answer = object_node (json_object_new ());

      json_object_set_string_member (json_node_get_object (answer), "callId",
                                     json_object_get_string_member (body, "callId"));
      print_json (answer, FALSE);
    } else {
      g_print (_("Call %s started\n"), json_object_get_string_member (body, "callId"));
    }
    return EXIT_SUCCESS;
  }
  if (g_str_equal (argv[0], "find")) {
    if (!parse_pairs (argv + 1, argc - 1, body))
      return usage ();
    return list ("call/find", g_steal_pointer (&body), call_columns,
                 G_N_ELEMENTS (call_columns));
  }
  if (g_str_equal (argv[0], "end") && argc == 2) {
    g_autofree char *done = g_strdup_printf (_("Call %s is being ended"), argv[1]);

    json_object_set_string_member (body, "callId", argv[1]);
    return act ("call/terminate", g_steal_pointer (&body), done);
  }
  return usage ();
}

/* A cluster node (README "Cluster"): the live nodes, or drain this one
 * (no new calls; its calls finish) and let it take calls again. */
static int
node_command (int    argc,
              char **argv)
{
  if (argc == 1 && g_str_equal (argv[0], "list"))
    return list ("node/find_all", json_object_new (), node_columns, G_N_ELEMENTS (node_columns));
  if (argc == 1 && g_str_equal (argv[0], "drain"))
    return list ("node/drain", json_object_new (), node_columns, G_N_ELEMENTS (node_columns));
  if (argc == 1 && g_str_equal (argv[0], "resume"))
    return list ("node/resume", json_object_new (), node_columns, G_N_ELEMENTS (node_columns));
  return usage ();
}

static int
dtmf_command (int    argc,
              char **argv)
{
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *done = NULL;

  if (argc != 2 && argc != 3)
    return usage ();
  json_object_set_string_member (body, "callId", argv[0]);
  json_object_set_string_member (body, "dtmf", argv[1]);
  if (argc == 3)
    json_object_set_string_member (body, "type", argv[2]);
  done = g_strdup_printf (_("DTMF %s sent to call %s"), argv[1], argv[0]);
  return act ("call/send_dtmf", g_steal_pointer (&body), done);
}

static int
push_command (int    argc,
              char **argv)
{
  g_autoptr (JsonObject) body = json_object_new ();
  static const struct {
    const char *name;
    const char *method;
  } by_id[] = {
    { "end", "push/terminate" },
    { "mute", "push/mute" },
    { "unmute", "push/unmute" },
    { "sound-off", "push/sound_off" },
  };

  if (argc < 1)
    return usage ();

  if (g_str_equal (argv[0], "start") || g_str_equal (argv[0], "find")) {
    if (!parse_pairs (argv + 1, argc - 1, body))
      return usage ();
    return list (g_str_equal (argv[0], "start") ? "push/startup" : "push/find",
                 g_steal_pointer (&body), push_columns, G_N_ELEMENTS (push_columns));
  }
  if (g_str_equal (argv[0], "list") && argc == 1)
    return list ("push/find_all", g_steal_pointer (&body), push_columns,
                 G_N_ELEMENTS (push_columns));
  if (g_str_equal (argv[0], "sound-on") && (argc == 3 || argc == 4)) {
    g_autofree char *done = NULL;

    if (argc == 4 && !g_str_equal (argv[3], "loop"))
      return usage ();
    json_object_set_string_member (body, "mediaSessionId", argv[1]);
    json_object_set_string_member (body, "soundFile", argv[2]);
    json_object_set_boolean_member (body, "loop", argc == 4);
    done = g_strdup_printf (_("Push %s: playing %s"), argv[1], argv[2]);
    return act ("push/sound_on", g_steal_pointer (&body), done);
  }
  for (guint i = 0; i < G_N_ELEMENTS (by_id); i++) {
    if (g_str_equal (argv[0], by_id[i].name) && argc == 2) {
      g_autofree char *done = NULL;

      switch (i) {
      case 0: done = g_strdup_printf (_("Push %s is being ended"), argv[1]); break;
      case 1: done = g_strdup_printf (_("Push %s muted"), argv[1]); break;
      case 2: done = g_strdup_printf (_("Push %s unmuted"), argv[1]); break;
      default: done = g_strdup_printf (_("Push %s: sound stopped"), argv[1]); break;
      }
      json_object_set_string_member (body, "mediaSessionId", argv[1]);
      return act (by_id[i].method, g_steal_pointer (&body), done);
    }
  }
  return usage ();
}

static gboolean
print_event (const char *id,
             const char *type,
             const char *data,
             gpointer    user_data)
{
  /* One line per event, flushed: `sipcastctl events | grep …` sees each
   * as it comes. */
  if (opt_json)
    g_print ("%s\n", data);
  else
    g_print ("%s %s %s\n", id != NULL ? id : "-", type, data);
  fflush (stdout);
  return TRUE;
}

static int
events_command (int    argc,
                char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastctlReply) reply = NULL;
  g_autoptr (GString) query = g_string_new (NULL);
  SipcastctlConnection c = connection ();

  for (int i = 0; i < argc; i++) {
    const char *eq = strchr (argv[i], '=');
    g_autofree char *key = NULL;

    if (eq == NULL || eq == argv[i]) {
      g_printerr (_("sipcastctl: “%s” is not KEY=VALUE\n"), argv[i]);
      return usage ();
    }
    key = g_strndup (argv[i], eq - argv[i]);
    g_string_append_printf (query, "%s%s=", query->len > 0 ? "&" : "", key);
    g_string_append_uri_escaped (query, eq + 1, NULL, FALSE);
  }

  if (!sipcastctl_read_events (&c, query->str, print_event, NULL, &reply, &error)) {
    g_printerr ("sipcastctl: %s\n", error->message);
    return SIPCASTCTL_EXIT_FAILURE;
  }
  if (reply != NULL)
    return report_failure (reply);
  return EXIT_SUCCESS;
}

/* `METHOD [JSON]`: any body to any method, the answer printed as it is. */
static int
raw_command (const char *method,
             const char *json_arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastctlReply) reply = NULL;
  g_autofree char *stdin_body = NULL;
  g_autofree char *full_method = NULL;
  const char *json = json_arg != NULL ? json_arg : "{}";
  SipcastctlConnection c = connection ();

  if (g_str_equal (json, "-")) {
    g_autoptr (GIOChannel) channel = g_io_channel_unix_new (STDIN_FILENO);
    gsize length;

    if (g_io_channel_set_encoding (channel, NULL, &error) != G_IO_STATUS_NORMAL ||
        g_io_channel_read_to_end (channel, &stdin_body, &length, &error) != G_IO_STATUS_NORMAL) {
      g_printerr ("sipcastctl: %s\n", error->message);
      return SIPCASTCTL_EXIT_FAILURE;
    }
    json = stdin_body;
  }

  /* The reference's call methods also go by their bare names
   * (`sipcastctl find_all`), as WCS's own tooling has them. */
  while (*method == '/')
    method++;
  full_method = strchr (method, '/') == NULL ? g_strconcat ("call/", method, NULL)
                                             : g_strdup (method);

  reply = sipcastctl_post (&c, full_method, json, &error);
  if (reply == NULL) {
    g_printerr ("sipcastctl: %s\n", error->message);
    return SIPCASTCTL_EXIT_FAILURE;
  }
  if (reply->json != NULL)
    print_json (reply->json, !opt_json);
  else
    print_raw (reply->raw, stdout);
  if (!IS_2XX (reply->status))
    g_printerr ("sipcastctl: HTTP %u %s\n", reply->status,
                reply->reason != NULL ? reply->reason : "");
  return sipcastctl_exit_status (reply->status);
}

static int
user_passwd (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastConfig) config = NULL;
  g_autoptr (char_secret) password = NULL;
  g_autofree char *prompt = NULL;
  const char *users_file;

  config = sipcast_config_new_default ();
  if (opt_config != NULL && !sipcast_config_load_file (config, opt_config, &error)) {
    g_printerr ("sipcastctl: %s\n", error->message);
    return EXIT_FAILURE;
  }
  users_file = opt_users_file != NULL ? opt_users_file : config->users_file;

  prompt = g_strdup_printf (_("New password for %s: "), name);
  password = sipcastctl_read_secret_line (prompt);
  if (password == NULL) {
    g_printerr (_("sipcastctl: no password given\n"));
    return EXIT_FAILURE;
  }

  /* A typo nobody saw would lock the operator out: ask twice when a
   * person is typing. */
  if (isatty (STDIN_FILENO)) {
    g_autoptr (char_secret) again = sipcastctl_read_secret_line (_("Retype the new password: "));

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
  const char *command;

  setlocale (LC_ALL, "");
  /* $SIPCAST_LOCALEDIR: the translations of a build tree (build/po),
   * for running and testing uninstalled. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SIPCAST_LOCALEDIR") != NULL ?
                  g_getenv ("SIPCAST_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (_("COMMAND [ARGUMENT…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context,
    _("Talk to a running sipcast daemon.\n"
      "\n"
      "Commands:\n"
      "  calls                         list the calls\n"
      "  call start KEY=VALUE…         place a call (callee=, sipDomain=, rtmpUrl=, …)\n"
      "  call find KEY=VALUE…          the calls that match (callId=, callee=, status=, …)\n"
      "  call end CALLID               hang up\n"
      "  dtmf CALLID DIGITS [TYPE]     send DTMF (TYPE: RFC2833, INFO, INFO_RELAY)\n"
      "  streams                       list the named streams\n"
      "  push start KEY=VALUE…         re-publish a stream (streamName=, rtmpUrl=, …)\n"
      "  push list                     list the pushes\n"
      "  push find KEY=VALUE…          the pushes that match\n"
      "  push end|mute|unmute ID       end, mute or unmute a push\n"
      "  push sound-on ID FILE [loop]  play a sound file into a push\n"
      "  push sound-off ID             stop that sound\n"
      "  events [callId=ID] [type=T]   follow the events, one line each\n"
      "  node list|drain|resume        a cluster's nodes; drain this node (no new\n"
      "                                calls, its calls finish) or let it take calls\n"
      "  user passwd NAME              set NAME's password in the users file\n"
      "  METHOD [JSON]                 post JSON (default {}, “-”: standard input) to\n"
      "                                any REST method, e.g. call/find_all, and print\n"
      "                                the answer as it is\n"
      "\n"
      "Answers are printed as tables, or with --json as one line of JSON each.\n"
      "Exit status: 0 for a 2xx answer, 4 for 4xx, 5 for 5xx, 3 for any other\n"
      "HTTP status, 1 when the daemon cannot be reached, 2 for wrong arguments."));
  g_option_context_set_description (context,
    _("Examples:\n"
      "  sipcastctl calls\n"
      "  sipcastctl call start callee=1000 sipDomain=pbx.example.org rtmpUrl=rtmp://127.0.0.1/live/s1\n"
      "  sipcastctl dtmf c1 123#\n"
      "  sipcastctl push start streamName=c1 rtmpUrl=rtmp://backup/live\n"
      "  sipcastctl --json events type=call\n"
      "  sipcastctl call/startup '{\"callee\":\"1000\",\"sipDomain\":\"pbx.example.org\"}'\n"
      "  sipcastctl --user admin call end c1\n"
      "  sipcastctl user passwd admin -c /etc/sipcast/sipcast.conf\n"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("sipcastctl: %s\n", error->message);
    return SIPCASTCTL_EXIT_USAGE;
  }

  if (opt_version) {
    g_print ("sipcastctl %s\n", PACKAGE_VERSION);
    return EXIT_SUCCESS;
  }

  if (argc < 2) {
    g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

    g_printerr ("%s", help);
    return SIPCASTCTL_EXIT_USAGE;
  }

  command = argv[1];
  if (g_str_equal (command, "user")) {
    if (argc != 4 || !g_str_equal (argv[2], "passwd")) {
      g_printerr (_("Usage: sipcastctl user passwd NAME [-c CONFIG | --users-file=FILE]\n"));
      return SIPCASTCTL_EXIT_USAGE;
    }
    return user_passwd (argv[3]);
  }
  if (g_str_equal (command, "calls") && argc == 2)
    return list ("call/find_all", json_object_new (), call_columns, G_N_ELEMENTS (call_columns));
  if (g_str_equal (command, "streams") && argc == 2)
    return list ("stream/find_all", json_object_new (), stream_columns,
                 G_N_ELEMENTS (stream_columns));
  if (g_str_equal (command, "call"))
    return call_command (argc - 2, argv + 2);
  if (g_str_equal (command, "dtmf"))
    return dtmf_command (argc - 2, argv + 2);
  if (g_str_equal (command, "node"))
    return node_command (argc - 2, argv + 2);
  if (g_str_equal (command, "push"))
    return push_command (argc - 2, argv + 2);
  if (g_str_equal (command, "events"))
    return events_command (argc - 2, argv + 2);
  if (argc == 2 || argc == 3)
    return raw_command (command, argc == 3 ? argv[2] : NULL);
  return usage ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast"

/*
 * The daemon: configuration, then the SIP agent, the call and push
 * registries and the REST server on one GLib main loop.  SIGINT/SIGTERM
 * hang up every call, let every FLV stream (the calls' and the pushes')
 * finish, shut the SIP stack down and exit 0.
 */

#include "config.h"
#include "sipcast-call-registry.h"
#include "sipcast-cluster.h"
#include "sipcast-cluster-rest.h"
#include "sipcast-config.h"
#include "sipcast-event-bus.h"
#include "sipcast-fd-limit.h"
#include "sipcast-malloc.h"
#include "sipcast-hooks.h"
#include "sipcast-sink-park.h"
#include "sipcast-media-chain.h"
#include "sipcast-metrics.h"
#include "sipcast-rtmp-tls.h"
#include "sipcast-push-registry.h"
#include "sipcast-rest-server.h"
#include "sipcast-sd-notify.h"
#include "sipcast-sip-agent.h"
#include "sipcast-users.h"
#include "gstsipcastgapfill.h"
#include "gstsipcastmixer.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <gst/gst.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

typedef struct {
  SipcastConfig *config;
  GMainLoop *loop;
  SipcastSipAgent *agent;
  SipcastCallRegistry *registry;
  SipcastPushRegistry *pushes;
  SipcastUsers *users;
  SipcastRestServer *rest;
  SipcastEventBus *bus;
  SipcastRestEvents *events;
  SipcastHooks *hooks;
  SipcastMetrics *metrics;
  SipcastSdNotify *notify;      /* systemd's Type=notify; silent elsewhere */
  SipcastCluster *cluster;      /* [cluster] redis-url set; else NULL */
  SipcastClusterRest *cluster_rest;
  gboolean shutting_down;
} Daemon;

static gboolean
quit_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  g_message (_("bye"));
  g_main_loop_quit (daemon->loop);
  return G_SOURCE_REMOVE;
}

static void
agent_shutdown_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Daemon *daemon = user_data;

  sipcast_sip_agent_shutdown_finish (SIPCAST_SIP_AGENT (source), result, NULL);
  /* Out of the cluster before the loop stops: the others must not take
   * a clean stop for a lost node. */
  if (daemon->cluster != NULL) {
    sipcast_cluster_leave (daemon->cluster, quit_cb, daemon);
    return;
  }
  quit_cb (daemon);
}

static void
pushes_shutdown_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Daemon *daemon = user_data;

  sipcast_push_registry_shutdown_finish (SIPCAST_PUSH_REGISTRY (source), result, NULL);
  sipcast_sip_agent_shutdown_async (daemon->agent, NULL, agent_shutdown_cb, daemon);
}

/* The calls first: their streams end with them, which already ends the
 * pushes of those streams. */
static void
registry_shutdown_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Daemon *daemon = user_data;

  sipcast_call_registry_shutdown_finish (SIPCAST_CALL_REGISTRY (source), result, NULL);
  sipcast_push_registry_shutdown_async (daemon->pushes, NULL, pushes_shutdown_cb, daemon);
}

static gboolean
quit_signal_cb (gpointer user_data)
{
  Daemon *daemon = user_data;

  if (daemon->shutting_down) {
    g_message (_("already shutting down"));
    return G_SOURCE_CONTINUE;
  }
  daemon->shutting_down = TRUE;
  g_message (_("shutting down"));
  /* The watchdog keeps pinging: the calls are being ended, not hung. */
  sipcast_sd_notify_send (daemon->notify, "STOPPING=1\nSTATUS=Ending the calls");
  /* Draining first: no new call is placed here while the others end. */
  if (daemon->cluster != NULL)
    sipcast_cluster_set_draining (daemon->cluster, TRUE);
  sipcast_call_registry_shutdown_async (daemon->registry, NULL, registry_shutdown_cb, daemon);
  return G_SOURCE_CONTINUE;
}

static char *
push_location_user (gpointer    user_data,
                    const char *location)
{
  return sipcast_push_registry_find_location_user (SIPCAST_PUSH_REGISTRY (user_data), location);
}

/* --print-pipeline KIND: the description as the daemon parses it, then a
 * gst-launch-1.0 line that runs it; "list" names every kind.  Exit code. */
static int
print_pipeline (const SipcastConfig *config)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *description = NULL;
  g_autofree char *line = NULL;

  if (g_str_equal (config->print_pipeline, "list")) {
    for (const char *const *kind = sipcast_media_chain_kinds (); *kind != NULL; kind++)
      g_print ("%s\n", *kind);
    return 0;
  }

  description = sipcast_media_chain_describe (config->print_pipeline, config, &error);
  if (description != NULL)
    line = sipcast_media_chain_launch_line (config->print_pipeline, config, &error);
  if (line == NULL) {
    g_printerr (_("sipcast: %s (--print-pipeline list names them)\n"), error->message);
    return 2;
  }
  g_print ("# %s, as sipcast parses it with this configuration:\n%s\n"
           "# run against a capture (from the source tree):\n%s\n",
           config->print_pipeline, description, line);
  if (config->key_frame_interval > 0)
    g_print ("# [rtmp] profile=%s: published video gets a key frame at least every %u ms\n"
             "# (asked of the far end with RTCP PLI/FIR; VP8 calls' encoder makes them)\n",
             config->rtmp_profile, config->key_frame_interval);
  return 0;
}

/* -v shows sipcast's own debug messages, -vv everyone's (GLib, GIO…). */
static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  guint verbosity = GPOINTER_TO_UINT (user_data);

  if (verbosity < 2 && (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO)) != 0) {
    for (gsize i = 0; i < n_fields; i++) {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN")) {
        if (fields[i].value == NULL || !g_str_has_prefix (fields[i].value, "sipcast"))
          return G_LOG_WRITER_HANDLED;
        break;
      }
    }
  }
  return g_log_writer_default (log_level, fields, n_fields, NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  Daemon daemon = { 0 };
  guint sigint_id, sigterm_id;
  int status = 0;

  setlocale (LC_ALL, "");
  /* $SIPCAST_LOCALEDIR: the translations of a build tree (build/po),
   * for running and testing uninstalled. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("SIPCAST_LOCALEDIR") != NULL ?
                  g_getenv ("SIPCAST_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  daemon.config = sipcast_config_new_from_args (&argc, &argv, &error);
  if (daemon.config == NULL) {
    g_printerr ("sipcast: %s\n", error->message);
    return 2;
  }

  if (daemon.config->show_version) {
    g_print ("sipcast %s\n", PACKAGE_VERSION);
    sipcast_config_free (daemon.config);
    return 0;
  }
  if (daemon.config->print_config) {
    g_autofree char *text = sipcast_config_to_string (daemon.config);

    g_print ("%s", text);
    sipcast_config_free (daemon.config);
    return 0;
  }
  if (daemon.config->print_pipeline != NULL) {
    /* gst_parse is not needed, but the resources are registered with the
     * type system's help. */
    status = print_pipeline (daemon.config);
    sipcast_config_free (daemon.config);
    return status;
  }
  /* Logs are logs: keep stdout for --print-config and --version. */
  g_log_writer_default_set_use_stderr (TRUE);
  if (daemon.config->verbosity > 0) {
    g_log_set_debug_enabled (TRUE);
    g_log_set_writer_func (log_writer, GUINT_TO_POINTER (daemon.config->verbosity), NULL);
  }

  /* Every REST connection and RTP port is a descriptor: take all the
   * kernel allows us, before any thread is started. */
  sipcast_fd_limit_raise ();
  /* Before any thread too: the arenas are capped for all of them. */
  sipcast_malloc_tune ();

  gst_init (NULL, NULL);
  /* Our own elements, built in: the daemon needs no GST_PLUGIN_PATH. */
  if (!GST_ELEMENT_REGISTER (sipcastmixer, NULL) || !GST_ELEMENT_REGISTER (sipcastgapfill, NULL)) {
    g_printerr (_("sipcast: could not register the sipcast elements\n"));
    return 1;
  }
  /* rtmps:// targets: the CAs of [rtmp] tls-ca-file, for every call and push. */
  if (!sipcast_rtmp_tls_init (daemon.config, &error))
    goto fail;
  /* A publisher whose server vanished must see EPIPE, not die of it. */
  signal (SIGPIPE, SIG_IGN);

  daemon.loop = g_main_loop_new (NULL, FALSE);
  daemon.notify = sipcast_sd_notify_new_from_environment ();

  daemon.agent = sipcast_sip_agent_new (daemon.config, &error);
  if (daemon.agent == NULL)
    goto fail;

  daemon.registry = sipcast_call_registry_new (daemon.config, daemon.agent);
  daemon.pushes = sipcast_push_registry_new (daemon.config, daemon.registry);
  /* Incoming calls obey the 409 rule for pushes too. */
  sipcast_call_registry_set_location_user_func (daemon.registry, push_location_user,
                                                daemon.pushes);

  if (daemon.config->production) {
    daemon.users = sipcast_users_new (daemon.config->users_file, NULL, &error);
    if (daemon.users == NULL)
      goto fail;
    g_message (_("production mode: REST requests need HTTP Basic auth (users in %s)"),
               daemon.config->users_file);
  }

  daemon.bus = sipcast_event_bus_new (daemon.config->events_backlog);
  sipcast_event_bus_follow (daemon.bus, daemon.registry, daemon.pushes);
  daemon.events = sipcast_rest_events_new (daemon.config, daemon.bus);
  daemon.hooks = sipcast_hooks_new (daemon.config, daemon.bus, &error);
  if (daemon.hooks == NULL)
    goto fail;

  daemon.rest = sipcast_rest_server_new (daemon.config, daemon.registry, daemon.pushes,
                                         daemon.users);
  sipcast_rest_server_set_events (daemon.rest, daemon.events);
  daemon.metrics = sipcast_metrics_new (daemon.config, daemon.bus, daemon.registry,
                                        daemon.pushes, daemon.hooks, daemon.events);
  sipcast_metrics_set_sip_agent (daemon.metrics, daemon.agent);
  sipcast_rest_server_set_metrics (daemon.rest, daemon.metrics);
  if (daemon.config->cluster_redis_url != NULL) {
    daemon.cluster = sipcast_cluster_new (daemon.config, daemon.registry, daemon.pushes,
                                          daemon.bus, daemon.agent, &error);
    if (daemon.cluster == NULL)
      goto fail;
    daemon.cluster_rest = sipcast_cluster_rest_new (daemon.cluster);
    sipcast_rest_server_set_cluster (daemon.rest, daemon.cluster_rest);
    sipcast_metrics_set_cluster (daemon.metrics, daemon.cluster);
  }
  if (!sipcast_rest_server_start (daemon.rest, &error))
    goto fail;
  if (daemon.cluster != NULL) {
    g_autofree char *rest_url = NULL;
    const char *address = daemon.config->rest_address;

    rest_url = g_strdup_printf ("%s://%s%s%s:%u/rest-api",
                                daemon.config->rest_tls_certificate != NULL ? "https" : "http",
                                strchr (address, ':') != NULL ? "[" : "", address,
                                strchr (address, ':') != NULL ? "]" : "",
                                sipcast_rest_server_get_port (daemon.rest));
    sipcast_cluster_start (daemon.cluster, rest_url);
  }

  sigint_id = g_unix_signal_add (SIGINT, quit_signal_cb, &daemon);
  sigterm_id = g_unix_signal_add (SIGTERM, quit_signal_cb, &daemon);

  /* Listening on every socket: ready for systemd (Type=notify). */
  sipcast_sd_notify_send (daemon.notify, "READY=1\nSTATUS=Taking calls");
  sipcast_sd_notify_start_watchdog (daemon.notify);

  g_main_loop_run (daemon.loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  if (daemon.cluster != NULL)
    sipcast_cluster_stop (daemon.cluster);
  goto out;

fail:
  g_printerr ("sipcast: %s\n", error->message);
  status = 1;

out:
  g_clear_object (&daemon.rest);
  g_clear_object (&daemon.cluster_rest);
  g_clear_object (&daemon.cluster);
  g_clear_object (&daemon.events);
  g_clear_object (&daemon.hooks);
  g_clear_object (&daemon.metrics);
  g_clear_object (&daemon.bus);
  g_clear_object (&daemon.notify);
  g_clear_object (&daemon.users);
  g_clear_object (&daemon.pushes);
  g_clear_object (&daemon.registry);
  g_clear_object (&daemon.agent);
  g_clear_pointer (&daemon.loop, g_main_loop_unref);
  sipcast_config_free (daemon.config);
  sipcast_sink_park_stop_all ();
  gst_deinit ();
  return status;
}

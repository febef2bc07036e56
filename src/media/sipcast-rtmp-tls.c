/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rtmp-tls"

#include "config.h"
#include "sipcast-rtmp-tls.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>
#include <string.h>

/*
 * The explanation runs on the GLib main context it is started from (the
 * FLV tail's): a GSocketClient connection whose TLS handshake reports the
 * certificate's problems to "accept-certificate", which refuses it.
 */

#define RTMPS_DEFAULT_PORT 443

gboolean
sipcast_rtmp_tls_init (const SipcastConfig  *config,
                       GError              **error)
{
  g_autoptr (GTlsDatabase) database = NULL;
  g_autoptr (GError) local_error = NULL;

  if (config->rtmp_tls_ca_file == NULL)
    return TRUE;
  database = g_tls_file_database_new (config->rtmp_tls_ca_file, &local_error);
  if (database == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("[rtmp] tls-ca-file %s: %s"), config->rtmp_tls_ca_file,
                 local_error->message);
    return FALSE;
  }
  g_tls_backend_set_default_database (g_tls_backend_get_default (), database);
  return TRUE;
}

GTlsCertificateFlags
sipcast_rtmp_tls_validation_flags (const SipcastConfig *config)
{
  return config->rtmp_tls_verify ? G_TLS_CERTIFICATE_VALIDATE_ALL : 0;
}

gboolean
sipcast_rtmp_tls_is_certificate_error (const GError *error,
                                       const char   *debug)
{
  /* rtmp2sink posts its own error code and puts GIO's in the debug text
   * (gstrtmp2sink.c send_connect_error: "domain %s, code %d"). */
  g_autofree char *code = g_strdup_printf ("domain %s, code %d",
                                           g_quark_to_string (G_TLS_ERROR),
                                           G_TLS_ERROR_BAD_CERTIFICATE);

  return (error != NULL && error->domain == G_TLS_ERROR &&
          error->code == G_TLS_ERROR_BAD_CERTIFICATE) ||
         (debug != NULL && strstr (debug, code) != NULL);
}

typedef struct {
  char *host;
  GTlsCertificateFlags errors;
  char *issuer;
  gboolean seen;            /* accept-certificate ran */
} Explain;

static void
explain_free (gpointer data)
{
  Explain *explain = data;

  g_free (explain->host);
  g_free (explain->issuer);
  g_free (explain);
}

static gboolean
accept_certificate_cb (GTlsConnection       *connection,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Explain *explain = user_data;

  explain->seen = TRUE;
  explain->errors = errors;
  g_free (explain->issuer);
  g_object_get (certificate, "issuer-name", &explain->issuer, NULL);
  return FALSE;
}

static void
client_event_cb (GSocketClient      *client,
                 GSocketClientEvent  event,
                 GSocketConnectable *connectable,
                 GIOStream          *connection,
                 gpointer            user_data)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING && G_IS_TLS_CONNECTION (connection))
    g_signal_connect (connection, "accept-certificate", G_CALLBACK (accept_certificate_cb),
                      user_data);
}

/* "its issuer is not trusted, it has expired" */
static char *
describe_flags (const Explain *explain)
{
  static const struct {
    GTlsCertificateFlags flag;
    const char *text;
  } texts[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, N_("its issuer is not trusted") },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, N_("it is not for this host name") },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, N_("it is not valid yet") },
    { G_TLS_CERTIFICATE_EXPIRED, N_("it has expired") },
    { G_TLS_CERTIFICATE_REVOKED, N_("it has been revoked") },
    { G_TLS_CERTIFICATE_INSECURE, N_("its algorithm is insecure") },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, N_("it is not valid") },
  };
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
    if (!(explain->errors & texts[i].flag))
      continue;
    if (text->len > 0)
      g_string_append (text, ", ");
    g_string_append (text, _(texts[i].text));
  }
  if (text->len == 0)
    g_string_append (text, _("it does not verify"));
  return g_string_free (text, FALSE);
}

static void
connected_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Explain *explain = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) connection =
    g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  g_autofree char *problems = NULL;

  g_signal_handlers_disconnect_by_data (source, explain);
  if (connection != NULL) {
    /* Accepted this time (the server changed, or the refusal was not the
     * certificate's): nothing more to say. */
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    g_task_return_pointer (task, g_strdup_printf (_("TLS certificate of %s refused"),
                                                  explain->host), g_free);
    return;
  }
  if (!explain->seen) {
    g_task_return_pointer (task, g_strdup_printf (_("TLS certificate of %s refused: %s"),
                                                  explain->host, error->message), g_free);
    return;
  }
  problems = describe_flags (explain);
  g_task_return_pointer (task,
                         g_strdup_printf (_("TLS certificate of %s refused: %s (issuer %s)"),
                                          explain->host, problems,
                                          explain->issuer != NULL ? explain->issuer : "?"),
                         g_free);
}

void
sipcast_rtmp_tls_explain_async (const char          *url,
                                GTlsCertificateFlags flags,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_autoptr (GSocketClient) client = NULL;
  Explain *explain;
  int port;

  g_task_set_source_tag (task, sipcast_rtmp_tls_explain_async);
  if (uri == NULL || g_uri_get_host (uri) == NULL) {
    g_task_return_pointer (task, g_strdup (_("TLS certificate refused")), g_free);
    return;
  }
  explain = g_new0 (Explain, 1);
  explain->host = g_strdup (g_uri_get_host (uri));
  g_task_set_task_data (task, explain, explain_free);
  port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : RTMPS_DEFAULT_PORT;

  client = g_socket_client_new ();
  g_socket_client_set_tls (client, TRUE);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_socket_client_set_tls_validation_flags (client, flags);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_socket_client_set_timeout (client, 10);
  g_signal_connect (client, "event", G_CALLBACK (client_event_cb), explain);
  g_socket_client_connect_to_host_async (client, explain->host, (guint16) port, cancellable,
                                         connected_cb, g_steal_pointer (&task));
}

char *
sipcast_rtmp_tls_explain_finish (GAsyncResult *result)
{
  return g_task_propagate_pointer (G_TASK (result), NULL);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "sipcast-rest-console.h"
#include "sipcast-json.h"
#include "sipcast-web.h"

/*
 * Files are looked up by name under one resource prefix; a name with a
 * '/' or starting with '.' is never looked up, so no path leads outside
 * data/web.  The page forbids being framed and loading anything but its
 * own files (Content-Security-Policy): a console that steers calls must
 * not be overlaid by another site's page.
 */

#define RESOURCE_PREFIX "/org/sipcast/web/"
#define FILE_PREFIX "/console/"

static const struct {
  const char *suffix;
  const char *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".svg", "image/svg+xml" },
  { ".json", "application/json" },
  { ".png", "image/png" },
};

/* The file name under RESOURCE_PREFIX for @path, or NULL. */
static const char *
file_for_path (const char *path)
{
  if (g_str_equal (path, "/") || g_str_equal (path, "/index.html"))
    return "index.html";
  if (!g_str_has_prefix (path, FILE_PREFIX))
    return NULL;
  path += strlen (FILE_PREFIX);
  if (*path == '\0' || *path == '.' || strchr (path, '/') != NULL)
    return NULL;
  return path;
}

gboolean
sipcast_rest_console_owns (SoupServerMessage *msg,
                           const char        *path)
{
  return file_for_path (path) != NULL;
}

static void
respond_status (SoupServerMessage *msg,
                guint              status,
                const char        *code,
                const char        *message)
{
  char *body = sipcast_json_error_body (code, message);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body, strlen (body));
}

void
sipcast_rest_console_serve (SoupServerMessage *msg,
                            const char        *path,
                            gboolean           production)
{
  static gsize registered = 0;
  const char *method = soup_server_message_get_method (msg);
  const char *file = file_for_path (path);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *resource = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const char *type = "application/octet-stream";

  if (g_once_init_enter (&registered)) {
    sipcast_web_register_resource ();
    g_once_init_leave (&registered, 1);
  }

  if (!g_str_equal (method, SOUP_METHOD_GET) && !g_str_equal (method, SOUP_METHOD_HEAD)) {
    soup_message_headers_replace (headers, "Allow", "GET, HEAD");
    respond_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                    _("The console only answers GET"));
    return;
  }
  if (g_strcmp0 (file, "config.json") == 0) {
    const char *config = production ? "{\"production\":true}" : "{\"production\":false}";

    bytes = g_bytes_new_static (config, strlen (config));
  } else if (file != NULL) {
    resource = g_strconcat (RESOURCE_PREFIX, file, NULL);
    bytes = g_resources_lookup_data (resource, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  }
  if (bytes == NULL) {
    g_autofree char *message = g_strdup_printf (_("Not found: %s"), path);

    respond_status (msg, SOUP_STATUS_NOT_FOUND, "not_found", message);
    return;
  }

  for (guint i = 0; i < G_N_ELEMENTS (content_types); i++) {
    if (g_str_has_suffix (file, content_types[i].suffix))
      type = content_types[i].type;
  }
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "media-src 'self' blob:; frame-ancestors 'none'; "
                                "base-uri 'none'; form-action 'self'");
  soup_message_headers_replace (headers, "X-Frame-Options", "DENY");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

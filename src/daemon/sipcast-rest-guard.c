/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "sipcast-rest-guard.h"

/* See the header for why each check is there. */

GStrv
sipcast_rest_guard_split_list (const char *list)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) items = NULL;

  if (list == NULL)
    return g_strv_builder_end (builder);
  items = g_strsplit (list, ",", -1);
  for (guint i = 0; items[i] != NULL; i++) {
    g_autofree char *item = g_ascii_strdown (g_strstrip (items[i]), -1);
    gsize len = strlen (item);

    while (len > 0 && item[len - 1] == '/')
      item[--len] = '\0';
    if (len > 0)
      g_strv_builder_add (builder, item);
  }
  return g_strv_builder_end (builder);
}

/* "host:port", "[v6]:port", "host" → the host, lower-case, without
 * brackets; NULL when malformed. */
static char *
host_name (const char *host)
{
  const char *end;

  if (host[0] == '[') {
    end = strchr (host, ']');
    if (end == NULL || (end[1] != '\0' && end[1] != ':'))
      return NULL;
    return g_ascii_strdown (host + 1, end - host - 1);
  }
  end = strchr (host, ':');
  if (end != NULL && strchr (end + 1, ':') != NULL)
    return NULL;  /* an unbracketed IPv6 literal is not a valid Host */
  return g_ascii_strdown (host, end != NULL ? end - host : -1);
}

gboolean
sipcast_rest_guard_host_allowed (const char         *host,
                                 const char *const  *allowed_hosts)
{
  g_autofree char *name = NULL;

  if (host == NULL)
    return TRUE;
  name = host_name (host);
  if (name == NULL || *name == '\0')
    return FALSE;
  if (g_hostname_is_ip_address (name) || g_str_equal (name, "localhost"))
    return TRUE;
  /* A trailing dot names the same host and would dodge the list. */
  if (g_str_has_suffix (name, "."))
    name[strlen (name) - 1] = '\0';
  return allowed_hosts != NULL && g_strv_contains (allowed_hosts, name);
}

gboolean
sipcast_rest_guard_origin_allowed (const char         *origin,
                                   const char         *host,
                                   const char *const  *allowed_origins)
{
  g_autofree char *lower = NULL;
  g_autofree char *own = NULL;
  gsize len;

  if (origin == NULL)
    return TRUE;
  lower = g_ascii_strdown (origin, -1);
  len = strlen (lower);
  while (len > 0 && lower[len - 1] == '/')
    lower[--len] = '\0';
  /* "null" (a sandboxed page, a file:// page) is foreign too. */
  if (host != NULL) {
    g_autofree char *lower_host = g_ascii_strdown (host, -1);

    own = g_strconcat ("http://", lower_host, NULL);
    if (g_str_equal (lower, own))
      return TRUE;
  }
  return allowed_origins != NULL && g_strv_contains (allowed_origins, lower);
}

gboolean
sipcast_rest_guard_content_type_allowed (const char *content_type,
                                         goffset     body_length)
{
  g_autofree char *media_type = NULL;
  const char *semicolon;

  if (content_type == NULL)
    return body_length == 0;
  semicolon = strchr (content_type, ';');
  media_type = g_strndup (content_type,
                          semicolon != NULL ? (gsize) (semicolon - content_type) :
                          strlen (content_type));
  return g_ascii_strcasecmp (g_strstrip (media_type), "application/json") == 0;
}

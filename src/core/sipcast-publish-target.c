/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-publish-target"

#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-error.h"
#include "sipcast-publish-target.h"

/*
 * rtmpUrl + rtmpStream → where the media goes.
 *
 * RTMP servers split a publish URL in two: the application (everything
 * between the host and the last path component, e.g. "live" or
 * "live/_definst_" for Wowza-style servers) and the stream name (the last
 * component, which carries the query string: nginx-rtmp and most CDNs read
 * their auth tokens from there).  So a query on rtmpUrl belongs after the
 * stream name, and we move it there when rtmpStream is appended.
 *
 * The location is normalised (lower-case scheme and host, explicit port,
 * no trailing slash) because it is also the key of the 409 "same
 * rtmpUrl+rtmpStream already live" rule: two spellings of one target must
 * collide.  Path and query stay percent-encoded as the client wrote them,
 * since the server compares stream keys byte for byte.
 */

#define RTMP_DEFAULT_PORT  1935
#define RTMPS_DEFAULT_PORT 443

void
sipcast_publish_target_free (SipcastPublishTarget *target)
{
  if (target == NULL)
    return;
  g_free (target->location);
  g_free (target->scheme);
  g_free (target->host);
  g_free (target->application);
  g_free (target->stream);
  g_free (target);
}

static gboolean
has_prefix_ascii_nocase (const char *str,
                         const char *prefix)
{
  return g_ascii_strncasecmp (str, prefix, strlen (prefix)) == 0;
}

static gboolean
has_control (const char *str)
{
  for (const char *p = str; *p != '\0'; p++) {
    if (g_ascii_iscntrl (*p))
      return TRUE;
  }
  return FALSE;
}

/* Whitespace and control characters are never valid in a URL or a stream
 * name, and an RTMP server would cut the name at them or reject it. */
static gboolean
has_space_or_control (const char *str)
{
  for (const char *p = str; *p != '\0'; p++) {
    if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p))
      return TRUE;
  }
  return FALSE;
}

static gboolean
validate_rtmp_stream (const char *rtmp_stream,
                      GError    **error)
{
  if (strchr (rtmp_stream, '/') != NULL || strchr (rtmp_stream, '?') != NULL ||
      has_space_or_control (rtmp_stream)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpStream “%s” must not contain '/', '?', spaces or control characters"),
                 rtmp_stream);
    return FALSE;
  }
  return TRUE;
}

/* file:///abs/path.flv → the absolute, decoded path.  Only the empty host
 * and "localhost" mean this machine (RFC 8089); anything else would be a
 * relative path in disguise ("file://dir/x.flv"). */
static SipcastPublishTarget *
file_target_new (const char *rtmp_url,
                 GError    **error)
{
  const char *rest = rtmp_url + strlen ("file://");
  g_autofree char *path = NULL;
  g_auto (GStrv) components = NULL;
  SipcastPublishTarget *target;

  if (has_prefix_ascii_nocase (rest, "localhost/"))
    rest += strlen ("localhost");

  if (*rest != '/') {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpUrl “%s” must name an absolute path: file:///path/name.flv"),
                 rtmp_url);
    return NULL;
  }
  if (strpbrk (rest, "?#") != NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpUrl “%s” must not have a query or fragment"), rtmp_url);
    return NULL;
  }

  /* NULL for a broken escape or an escaped NUL; an escaped '/' would let
   * a component hide "..", so it is refused too, and so are escaped
   * control characters (a newline in a file name only causes grief). */
  path = g_uri_unescape_string (rest, "/");
  if (path == NULL || has_control (path)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpUrl “%s” has an invalid percent-encoding"), rtmp_url);
    return NULL;
  }

  components = g_strsplit (path, "/", -1);
  for (guint i = 0; components[i] != NULL; i++) {
    if (g_str_equal (components[i], "..")) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("rtmpUrl “%s” must not contain “..”"), rtmp_url);
      return NULL;
    }
  }
  if (g_str_has_suffix (path, "/")) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpUrl “%s” names a directory, not a file"), rtmp_url);
    return NULL;
  }

  target = g_new0 (SipcastPublishTarget, 1);
  target->kind = SIPCAST_PUBLISH_FILE;
  target->location = g_steal_pointer (&path);
  return target;
}

/* Splits an encoded URL path into its components, ignoring the leading and
 * trailing slashes.  An empty component in the middle ("live//s") is most
 * likely a mistake in the client's template, so it is refused rather than
 * guessed at. */
static GStrv
split_rtmp_path (const char *rtmp_url,
                 const char *path,
                 GError    **error)
{
  g_autofree char *trimmed = NULL;
  g_auto (GStrv) components = NULL;
  gsize len;

  while (*path == '/')
    path++;
  trimmed = g_strdup (path);
  len = strlen (trimmed);
  while (len > 0 && trimmed[len - 1] == '/')
    trimmed[--len] = '\0';

  if (len == 0)
    return g_new0 (char *, 1);

  components = g_strsplit (trimmed, "/", -1);
  for (guint i = 0; components[i] != NULL; i++) {
    if (*components[i] == '\0') {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("rtmpUrl “%s” has an empty path component"), rtmp_url);
      return NULL;
    }
  }
  return g_steal_pointer (&components);
}

static SipcastPublishTarget *
rtmp_target_new (const char *rtmp_url,
                 const char *rtmp_stream,
                 GError    **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SipcastPublishTarget) target = NULL;
  g_auto (GStrv) components = NULL;
  g_autofree char *stream_name = NULL;
  g_autofree char *host_part = NULL;
  const char *query;
  guint n_components;
  guint n_app;
  int port;

  /* ENCODED: keep path and query exactly as given (see the overview). */
  uri = g_uri_parse (rtmp_url, G_URI_FLAGS_ENCODED, &local_error);
  if (uri == NULL) {
    if (g_error_matches (local_error, G_URI_ERROR, G_URI_ERROR_BAD_PORT))
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("rtmpUrl “%s” has an invalid port"), rtmp_url);
    else
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("rtmpUrl “%s” is not a valid URL: %s"), rtmp_url,
                   local_error->message);
    return NULL;
  }

  target = g_new0 (SipcastPublishTarget, 1);
  target->kind = SIPCAST_PUBLISH_RTMP;
  target->scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);

  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpUrl “%s” has no host"), rtmp_url);
    return NULL;
  }
  target->host = g_ascii_strdown (g_uri_get_host (uri), -1);

  port = g_uri_get_port (uri);
  if (port == 0) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpUrl “%s” has an invalid port"), rtmp_url);
    return NULL;
  }
  if (port < 0)
    port = g_str_equal (target->scheme, "rtmps") ? RTMPS_DEFAULT_PORT : RTMP_DEFAULT_PORT;
  target->port = (guint) port;

  if (g_uri_get_fragment (uri) != NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("rtmpUrl “%s” must not have a fragment (#)"), rtmp_url);
    return NULL;
  }

  components = split_rtmp_path (rtmp_url, g_uri_get_path (uri), error);
  if (components == NULL)
    return NULL;
  n_components = g_strv_length (components);

  if (rtmp_stream != NULL && *rtmp_stream != '\0') {
    if (!validate_rtmp_stream (rtmp_stream, error))
      return NULL;
    if (n_components < 1) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("rtmpUrl “%s” has no application: rtmp://host/app"), rtmp_url);
      return NULL;
    }
    n_app = n_components;
    stream_name = g_strdup (rtmp_stream);
  } else {
    if (n_components < 2) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("rtmpUrl “%s” must name an application and a stream "
                     "(rtmp://host/app/stream), or rtmpStream must be given"),
                   rtmp_url);
      return NULL;
    }
    n_app = n_components - 1;
    stream_name = g_strdup (components[n_app]);
  }

  /* g_strjoinv() over the first n_app components, without copying them. */
  {
    char *saved = components[n_app];

    components[n_app] = NULL;
    target->application = g_strjoinv ("/", components);
    components[n_app] = saved;
  }

  query = g_uri_get_query (uri);
  if (query != NULL && *query != '\0')
    target->stream = g_strconcat (stream_name, "?", query, NULL);
  else
    target->stream = g_steal_pointer (&stream_name);

  /* An IPv6 literal needs its brackets back to be a URL again. */
  if (strchr (target->host, ':') != NULL)
    host_part = g_strdup_printf ("[%s]", target->host);
  else
    host_part = g_strdup (target->host);

  target->location = g_strdup_printf ("%s://%s%s%s:%u/%s/%s",
                                      target->scheme,
                                      g_uri_get_userinfo (uri) ? g_uri_get_userinfo (uri) : "",
                                      g_uri_get_userinfo (uri) ? "@" : "",
                                      host_part, target->port,
                                      target->application, target->stream);

  return g_steal_pointer (&target);
}

/* The non-empty components of @path other than ".". */
static GPtrArray *
path_components (const char *path)
{
  g_auto (GStrv) parts = g_strsplit (path, "/", -1);
  GPtrArray *components = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; parts[i] != NULL; i++) {
    if (*parts[i] != '\0' && !g_str_equal (parts[i], "."))
      g_ptr_array_add (components, g_strdup (parts[i]));
  }
  return components;
}

char *
sipcast_publish_target_relative_path (const char *dir,
                                      const char *path)
{
  g_autoptr (GPtrArray) dir_parts = NULL;
  g_autoptr (GPtrArray) path_parts = NULL;
  g_autoptr (GString) relative = g_string_new (NULL);

  g_return_val_if_fail (dir != NULL && path != NULL, NULL);

  if (*dir != '/' || *path != '/')
    return NULL;
  dir_parts = path_components (dir);
  path_parts = path_components (path);
  for (guint i = 0; i < dir_parts->len; i++) {
    if (g_str_equal (dir_parts->pdata[i], ".."))
      return NULL;
  }
  if (path_parts->len <= dir_parts->len)
    return NULL;
  for (guint i = 0; i < path_parts->len; i++) {
    const char *part = path_parts->pdata[i];

    if (g_str_equal (part, ".."))
      return NULL;
    if (i < dir_parts->len) {
      if (!g_str_equal (part, dir_parts->pdata[i]))
        return NULL;
      continue;
    }
    if (relative->len > 0)
      g_string_append_c (relative, '/');
    g_string_append (relative, part);
  }
  return g_string_free (g_steal_pointer (&relative), FALSE);
}

gboolean
sipcast_publish_target_check_recordings_dir (const SipcastPublishTarget *target,
                                             const char                 *recordings_dir,
                                             GError                    **error)
{
  g_autofree char *relative = NULL;

  g_return_val_if_fail (target != NULL, FALSE);

  if (target->kind != SIPCAST_PUBLISH_FILE)
    return TRUE;
  if (recordings_dir != NULL)
    relative = sipcast_publish_target_relative_path (recordings_dir, target->location);
  if (relative == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("file://%s is not inside the recordings directory %s ([media] recordings-dir)"),
                 target->location, recordings_dir != NULL ? recordings_dir : "(none)");
    return FALSE;
  }
  return TRUE;
}

SipcastPublishTarget *
sipcast_publish_target_new (const char *rtmp_url,
                            const char *rtmp_stream,
                            GError    **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (rtmp_url == NULL || *rtmp_url == '\0') {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                         _("rtmpUrl is empty"));
    return NULL;
  }
  if (has_space_or_control (rtmp_url)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                         _("rtmpUrl must not contain spaces or control characters"));
    return NULL;
  }

  if (has_prefix_ascii_nocase (rtmp_url, "file://"))
    return file_target_new (rtmp_url, error);
  if (has_prefix_ascii_nocase (rtmp_url, "rtmp://") ||
      has_prefix_ascii_nocase (rtmp_url, "rtmps://"))
    return rtmp_target_new (rtmp_url, rtmp_stream, error);

  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
               _("rtmpUrl “%s” must start with rtmp://, rtmps:// or file://"),
               rtmp_url);
  return NULL;
}

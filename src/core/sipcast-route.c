/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-route"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-error.h"
#include "sipcast-publish-target.h"
#include "sipcast-route.h"
#include "sipcast-profile.h"

/*
 * One route per [route NAME] group, checked completely when the
 * configuration is loaded: a template with a typo or an rtmp-url that can
 * never be published to is refused at start, not discovered on the first
 * call.  Routes are immutable and reference counted, so configuration
 * copies share them.
 */

#define DEFAULT_REALM "sipcast"

static const char *const route_keys[] = {
  "callee", "callee-regex", "rtmp-url", "rtmp-stream", "to-stream",
  "user", "password", "realm", "has-audio", "has-video", "reject", "ring-time", "max-calls",
  "profile", "placeholder-video", NULL,
};

static const char *const variables[] = { "callee", "caller", "callId", "route" };

SipcastRoute *
sipcast_route_ref (SipcastRoute *route)
{
  g_return_val_if_fail (route != NULL, NULL);
  g_atomic_int_inc (&route->ref_count);
  return route;
}

void
sipcast_route_unref (SipcastRoute *route)
{
  if (route == NULL || !g_atomic_int_dec_and_test (&route->ref_count))
    return;
  g_free (route->name);
  g_free (route->callee);
  g_free (route->callee_regex);
  g_free (route->rtmp_url);
  g_free (route->profile);
  g_free (route->placeholder_video);
  g_free (route->rtmp_stream);
  g_free (route->to_stream);
  g_free (route->user);
  g_free (route->password);
  g_free (route->realm);
  g_clear_pointer (&route->glob, g_pattern_spec_free);
  g_clear_pointer (&route->regex, g_regex_unref);
  g_free (route);
}

/* Every ${…} in @template must be one of variables[]. */
static gboolean
check_template (const char  *template,
                GError     **error)
{
  const char *p = template;

  while ((p = strstr (p, "${")) != NULL) {
    const char *end = strchr (p, '}');
    gboolean known = FALSE;

    if (end == NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("“%s”: ${ without }"), template);
      return FALSE;
    }
    for (guint i = 0; i < G_N_ELEMENTS (variables); i++) {
      if ((gsize) (end - p - 2) == strlen (variables[i]) &&
          strncmp (p + 2, variables[i], end - p - 2) == 0)
        known = TRUE;
    }
    if (!known) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("“%s”: unknown variable “%.*s” (use ${callee}, ${caller}, "
                     "${callId} or ${route})"), template, (int) (end - p + 1), p);
      return FALSE;
    }
    p = end + 1;
  }
  return TRUE;
}

static char *
sanitize (const char *value)
{
  char *copy = g_strdup (value != NULL ? value : "");

  for (char *p = copy; *p != '\0'; p++) {
    if (!g_ascii_isalnum (*p) && strchr ("._~+-", *p) == NULL)
      *p = '_';
  }
  return copy;
}

char *
sipcast_route_expand (const SipcastRoute *route,
                      const char         *template,
                      const char         *callee,
                      const char         *caller,
                      const char         *call_id)
{
  GString *out;
  const char *p;

  g_return_val_if_fail (route != NULL, NULL);

  if (template == NULL)
    return NULL;

  out = g_string_new (NULL);
  p = template;
  while (*p != '\0') {
    const char *end;
    const char *value = NULL;

    if (p[0] != '$' || p[1] != '{' || (end = strchr (p, '}')) == NULL) {
      g_string_append_c (out, *p++);
      continue;
    }
    if (strncmp (p + 2, "callee}", 7) == 0)
      value = callee;
    else if (strncmp (p + 2, "caller}", 7) == 0)
      value = caller;
    else if (strncmp (p + 2, "callId}", 7) == 0)
      value = call_id;
    else if (strncmp (p + 2, "route}", 6) == 0)
      value = route->name;
    else
      g_return_val_if_reached (g_string_free (out, TRUE));  /* checked at load */
    {
      g_autofree char *safe = sanitize (value);

      g_string_append (out, safe);
    }
    p = end + 1;
  }
  return g_string_free (out, FALSE);
}

static gboolean
read_string (GKeyFile    *key_file,
             const char  *group,
             const char  *key,
             char       **out,
             GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *value = NULL;

  if (!g_key_file_has_key (key_file, group, key, NULL))
    return TRUE;
  value = g_key_file_get_string (key_file, group, key, &local_error);
  if (value == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG, "%s: %s", key,
                 local_error->message);
    return FALSE;
  }
  g_strstrip (value);
  if (*value == '\0') {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG, _("%s: must not be empty"), key);
    return FALSE;
  }
  *out = g_steal_pointer (&value);
  return TRUE;
}

static gboolean
read_boolean (GKeyFile    *key_file,
              const char  *group,
              const char  *key,
              gboolean    *out,
              GError     **error)
{
  g_autofree char *value = NULL;

  if (!read_string (key_file, group, key, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (g_ascii_strcasecmp (value, "true") == 0 || g_str_equal (value, "1")) {
    *out = TRUE;
  } else if (g_ascii_strcasecmp (value, "false") == 0 || g_str_equal (value, "0")) {
    *out = FALSE;
  } else {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("%s: “%s” is not a boolean (true or false)"), key, value);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_route (SipcastRoute  *route,
             GError       **error)
{
  const char *const templates[] = { route->rtmp_url, route->rtmp_stream, route->to_stream };

  if ((route->callee == NULL) == (route->callee_regex == NULL)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("give either callee (a glob) or callee-regex"));
    return FALSE;
  }
  if (route->callee != NULL) {
    route->glob = g_pattern_spec_new (route->callee);
  } else {
    g_autoptr (GError) regex_error = NULL;
    /* The whole user part must match, as with the glob. */
    g_autofree char *anchored = g_strdup_printf ("^(?:%s)$", route->callee_regex);

    route->regex = g_regex_new (anchored, G_REGEX_DOLLAR_ENDONLY, 0, &regex_error);
    if (route->regex == NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("callee-regex: %s"), regex_error->message);
      return FALSE;
    }
  }

  for (guint i = 0; i < G_N_ELEMENTS (templates); i++) {
    if (templates[i] != NULL && !check_template (templates[i], error))
      return FALSE;
  }

  if ((route->user == NULL) != (route->password == NULL)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("user and password go together"));
    return FALSE;
  }

  if (route->reject != 0) {
    if (route->rtmp_url != NULL || route->rtmp_stream != NULL || route->to_stream != NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("a route that rejects has no rtmp-url, rtmp-stream or to-stream"));
      return FALSE;
    }
    return TRUE;
  }

  if (route->rtmp_stream != NULL && route->rtmp_url == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("rtmp-stream needs rtmp-url"));
    return FALSE;
  }
  if (route->rtmp_url != NULL) {
    /* With sample values: a URL that is wrong for every caller is a
     * configuration error, not a per-call one. */
    g_autofree char *url = sipcast_route_expand (route, route->rtmp_url, "1000", "2000", "id");
    g_autofree char *stream = sipcast_route_expand (route, route->rtmp_stream, "1000", "2000",
                                                    "id");
    g_autoptr (GError) target_error = NULL;
    g_autoptr (SipcastPublishTarget) target = sipcast_publish_target_new (url, stream,
                                                                          &target_error);

    if (target == NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("rtmp-url: %s"), target_error->message);
      return FALSE;
    }
  }
  return TRUE;
}

SipcastRoute *
sipcast_route_new_from_key_file (GKeyFile    *key_file,
                                 const char  *group,
                                 GError     **error)
{
  g_autoptr (SipcastRoute) route = NULL;
  g_auto (GStrv) keys = NULL;
  g_autofree char *reject = NULL;
  g_autofree char *ring_time = NULL;
  g_autofree char *max_calls = NULL;
  g_autofree char *profile = NULL;

  g_return_val_if_fail (key_file != NULL, NULL);
  g_return_val_if_fail (g_str_has_prefix (group, SIPCAST_ROUTE_GROUP_PREFIX), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  route = g_new0 (SipcastRoute, 1);
  route->ref_count = 1;
  route->name = g_strstrip (g_strdup (group + strlen (SIPCAST_ROUTE_GROUP_PREFIX)));
  route->has_audio = TRUE;
  route->max_calls = SIPCAST_ROUTE_DEFAULT_MAX_CALLS;

  if (*route->name == '\0') {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("[%s]: a route needs a name, [route NAME]"), group);
    return NULL;
  }

  keys = g_key_file_get_keys (key_file, group, NULL, NULL);
  for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
    if (!g_strv_contains (route_keys, keys[i])) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("[%s]: unknown key “%s”"), group, keys[i]);
      return NULL;
    }
  }

  if (!read_string (key_file, group, "callee", &route->callee, error) ||
      !read_string (key_file, group, "callee-regex", &route->callee_regex, error) ||
      !read_string (key_file, group, "rtmp-url", &route->rtmp_url, error) ||
      !read_string (key_file, group, "rtmp-stream", &route->rtmp_stream, error) ||
      !read_string (key_file, group, "to-stream", &route->to_stream, error) ||
      !read_string (key_file, group, "user", &route->user, error) ||
      !read_string (key_file, group, "password", &route->password, error) ||
      !read_string (key_file, group, "realm", &route->realm, error) ||
      !read_boolean (key_file, group, "has-audio", &route->has_audio, error) ||
      !read_boolean (key_file, group, "has-video", &route->has_video, error) ||
      !read_string (key_file, group, "reject", &reject, error) ||
      !read_string (key_file, group, "ring-time", &ring_time, error) ||
      !read_string (key_file, group, "max-calls", &max_calls, error) ||
      !read_string (key_file, group, "profile", &profile, error) ||
      !read_string (key_file, group, "placeholder-video", &route->placeholder_video, error)) {
    g_prefix_error (error, "[%s] ", group);
    return NULL;
  }

  if (reject != NULL) {
    guint64 status;

    if (!g_ascii_string_to_unsigned (reject, 10, 400, 699, &status, NULL)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("[%s] reject: “%s” is not a SIP status 400-699"), group, reject);
      return NULL;
    }
    route->reject = (guint) status;
  }
  if (profile != NULL) {
    if (sipcast_profile_find (profile) == NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("[%s] profile: “%s” is not a profile (default, youtube, twitch or "
                     "facebook)"), group, profile);
      return NULL;
    }
    route->profile = g_strdup (sipcast_profile_find (profile)->name);
  }
  if (ring_time != NULL) {
    guint64 ms;

    if (!g_ascii_string_to_unsigned (ring_time, 10, 0, 60000, &ms, NULL)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("[%s] ring-time: “%s” is not a number of milliseconds 0-60000"),
                   group, ring_time);
      return NULL;
    }
    route->ring_time = (guint) ms;
  }
  if (max_calls != NULL) {
    guint64 n;

    if (!g_ascii_string_to_unsigned (max_calls, 10, 0, 100000, &n, NULL)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("[%s] max-calls: “%s” is not a number 0-100000"), group, max_calls);
      return NULL;
    }
    route->max_calls = (guint) n;
  }
  if (route->realm == NULL)
    route->realm = g_strdup (DEFAULT_REALM);

  if (!check_route (route, error)) {
    g_prefix_error (error, "[%s]: ", group);
    return NULL;
  }
  return g_steal_pointer (&route);
}

gboolean
sipcast_route_matches (const SipcastRoute *route,
                       const char         *callee)
{
  g_return_val_if_fail (route != NULL, FALSE);

  /* GPatternSpec asserts on invalid UTF-8 (it reverses the string for
   * some patterns); GRegex fails on it.  Neither can match it anyway. */
  if (callee == NULL || !g_utf8_validate (callee, -1, NULL))
    return FALSE;
  if (route->glob != NULL)
    return g_pattern_spec_match_string (route->glob, callee);
  return g_regex_match (route->regex, callee, 0, NULL);
}

const SipcastRoute *
sipcast_route_find (GPtrArray  *routes,
                    const char *callee)
{
  for (guint i = 0; routes != NULL && i < routes->len; i++) {
    const SipcastRoute *route = g_ptr_array_index (routes, i);

    if (sipcast_route_matches (route, callee))
      return route;
  }
  return NULL;
}

void
sipcast_route_to_key_file (const SipcastRoute *route,
                           GKeyFile           *key_file)
{
  g_autofree char *group = g_strconcat (SIPCAST_ROUTE_GROUP_PREFIX, route->name, NULL);
  const struct {
    const char *key;
    const char *value;
  } strings[] = {
    { "callee", route->callee },
    { "callee-regex", route->callee_regex },
    { "rtmp-url", route->rtmp_url },
    { "rtmp-stream", route->rtmp_stream },
    { "to-stream", route->to_stream },
    { "user", route->user },
    { "password", route->password },
    { "realm", route->realm },
    { "profile", route->profile },
    { "placeholder-video", route->placeholder_video },
  };

  for (guint i = 0; i < G_N_ELEMENTS (strings); i++) {
    if (strings[i].value != NULL)
      g_key_file_set_string (key_file, group, strings[i].key, strings[i].value);
  }
  g_key_file_set_boolean (key_file, group, "has-audio", route->has_audio);
  g_key_file_set_boolean (key_file, group, "has-video", route->has_video);
  if (route->reject != 0)
    g_key_file_set_integer (key_file, group, "reject", (int) route->reject);
  g_key_file_set_integer (key_file, group, "ring-time", (int) route->ring_time);
  g_key_file_set_integer (key_file, group, "max-calls", (int) route->max_calls);
}

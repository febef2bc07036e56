/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for route rules and what they do to an incoming call:
 * each [route NAME] group of the input (after its first line) is read,
 * matched against the callee on the first line, its templates expanded
 * with that callee as the SIP user part the caller chose, and the
 * expanded rtmpUrl made into a publish target, as the call registry does.
 */
#include "fuzz-common.h"

#include "sipcast-publish-target.h"
#include "sipcast-route.h"

static void
use_route (SipcastRoute *route,
           const char   *callee)
{
  g_autofree char *url = NULL;
  g_autofree char *stream = NULL;
  g_autofree char *to_stream = NULL;
  g_autoptr (SipcastPublishTarget) target = NULL;
  g_autoptr (GKeyFile) out = g_key_file_new ();

  if (!sipcast_route_matches (route, callee))
    return;
  url = sipcast_route_expand (route, route->rtmp_url, callee, "caller", "call-1");
  stream = sipcast_route_expand (route, route->rtmp_stream, callee, callee, "call-1");
  to_stream = sipcast_route_expand (route, route->to_stream, callee, "caller", callee);
  if (url != NULL)
    target = sipcast_publish_target_new (url, stream, NULL);
  sipcast_route_to_key_file (route, out);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto (GStrv) fields = fuzz_fields (data, size, 2);
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GPtrArray) routes = g_ptr_array_new_with_free_func ((GDestroyNotify) sipcast_route_unref);
  g_auto (GStrv) groups = NULL;

  if (fields[1] == NULL ||
      !g_key_file_load_from_data (key_file, fields[1], -1, G_KEY_FILE_NONE, NULL))
    return 0;
  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++) {
    SipcastRoute *route;

    /* The configuration reads only these groups as routes. */
    if (!g_str_has_prefix (groups[i], SIPCAST_ROUTE_GROUP_PREFIX))
      continue;
    route = sipcast_route_new_from_key_file (key_file, groups[i], NULL);
    if (route == NULL)
      continue;
    use_route (route, fields[0]);
    g_ptr_array_add (routes, route);
  }
  sipcast_route_find (routes, fields[0]);
  return 0;
}

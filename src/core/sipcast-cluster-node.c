/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-cluster"

#include "sipcast-cluster-node.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

/*
 * Key names, the heartbeat's JSON, the choice of a node for a new call and
 * the /call/find filter over stored Call objects.  Every node computes the
 * same choice from the same heartbeats, so ties are broken by id rather
 * than by whatever order Redis returned them in.
 */

char *
sipcast_cluster_key (const char *kind,
                     const char *id)
{
  g_return_val_if_fail (kind != NULL, NULL);

  if (id == NULL)
    return g_strconcat (SIPCAST_CLUSTER_KEY_PREFIX, kind, NULL);
  return g_strconcat (SIPCAST_CLUSTER_KEY_PREFIX, kind, ":", id, NULL);
}

void
sipcast_cluster_node_free (SipcastClusterNode *node)
{
  if (node == NULL)
    return;
  g_free (node->id);
  g_free (node->url);
  g_free (node);
}

char *
sipcast_cluster_node_to_json (const SipcastClusterNode *node)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (node != NULL && node->id != NULL && node->url != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, node->id);
  json_builder_set_member_name (builder, "url");
  json_builder_add_string_value (builder, node->url);
  json_builder_set_member_name (builder, "calls");
  json_builder_add_int_value (builder, node->calls);
  json_builder_set_member_name (builder, "capacity");
  json_builder_add_int_value (builder, node->capacity);
  json_builder_set_member_name (builder, "cpu");
  json_builder_add_int_value (builder, node->cpu);
  json_builder_set_member_name (builder, "draining");
  json_builder_add_boolean_value (builder, node->draining);
  json_builder_set_member_name (builder, "startedAt");
  json_builder_add_int_value (builder, node->started_at_ms);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
member_uint (JsonObject *object,
             const char *name,
             guint      *out)
{
  JsonNode *node = json_object_get_member (object, name);
  gint64 value;

  if (node == NULL)
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  value = json_node_get_int (node);
  if (value < 0 || value > G_MAXUINT)
    return FALSE;
  *out = (guint) value;
  return TRUE;
}

SipcastClusterNode *
sipcast_cluster_node_from_json (const char *json,
                                GError    **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (SipcastClusterNode) node = g_new0 (SipcastClusterNode, 1);
  JsonObject *object;
  const char *id, *url;

  g_return_val_if_fail (json != NULL, NULL);

  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      json_parser_get_root (parser) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    goto invalid;
  object = json_node_get_object (json_parser_get_root (parser));
  id = json_object_get_string_member_with_default (object, "id", NULL);
  url = json_object_get_string_member_with_default (object, "url", NULL);
  if (id == NULL || *id == '\0' || url == NULL || *url == '\0')
    goto invalid;
  node->id = g_strdup (id);
  node->url = g_strdup (url);
  if (!member_uint (object, "calls", &node->calls) ||
      !member_uint (object, "capacity", &node->capacity) ||
      !member_uint (object, "cpu", &node->cpu))
    goto invalid;
  node->draining = json_object_get_boolean_member_with_default (object, "draining", FALSE);
  node->started_at_ms = json_object_get_int_member_with_default (object, "startedAt", 0);
  return g_steal_pointer (&node);

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("Not a node heartbeat: %.80s"), json);
  return NULL;
}

gboolean
sipcast_cluster_node_has_room (const SipcastClusterNode *node)
{
  g_return_val_if_fail (node != NULL, FALSE);
  return !node->draining && (node->capacity == 0 || node->calls < node->capacity);
}

/* <0 when @a is the better place for a new call. */
static int
compare_load (const SipcastClusterNode *a,
              const SipcastClusterNode *b)
{
  /* A node without a limit counts as empty by share: only its number of
   * calls and its CPU tell it apart. */
  double share_a = a->capacity > 0 ? (double) a->calls / a->capacity : 0.0;
  double share_b = b->capacity > 0 ? (double) b->calls / b->capacity : 0.0;

  if (share_a != share_b)
    return share_a < share_b ? -1 : 1;
  if (a->calls != b->calls)
    return a->calls < b->calls ? -1 : 1;
  /* CPU differences below 5 % of a core are noise. */
  if (a->cpu + 5 < b->cpu)
    return -1;
  if (b->cpu + 5 < a->cpu)
    return 1;
  return g_strcmp0 (a->id, b->id);
}

const SipcastClusterNode *
sipcast_cluster_choose_node (GPtrArray  *nodes,
                             const char *self_id)
{
  const SipcastClusterNode *best = NULL;

  g_return_val_if_fail (nodes != NULL, NULL);

  for (guint i = 0; i < nodes->len; i++) {
    const SipcastClusterNode *node = nodes->pdata[i];

    if (self_id != NULL && g_strcmp0 (node->id, self_id) == 0 &&
        sipcast_cluster_node_has_room (node))
      return node;
  }
  for (guint i = 0; i < nodes->len; i++) {
    const SipcastClusterNode *node = nodes->pdata[i];

    if (sipcast_cluster_node_has_room (node) && (best == NULL || compare_load (node, best) < 0))
      best = node;
  }
  return best;
}

static gboolean
member_equals (JsonObject *object,
               const char *name,
               const char *wanted)
{
  JsonNode *node;

  if (wanted == NULL)
    return TRUE;
  node = json_object_get_member (object, name);
  return node != NULL && json_node_get_value_type (node) == G_TYPE_STRING &&
         g_strcmp0 (json_node_get_string (node), wanted) == 0;
}

gboolean
sipcast_cluster_call_matches (JsonObject                     *call,
                              const SipcastClusterCallFilter *filter)
{
  g_return_val_if_fail (call != NULL && filter != NULL, FALSE);

  return member_equals (call, "callId", filter->call_id) &&
         member_equals (call, "callee", filter->callee) &&
         member_equals (call, "rtmpUrl", filter->rtmp_url) &&
         member_equals (call, "status", filter->status) &&
         member_equals (call, "sipLogin", filter->sip_login) &&
         member_equals (call, "sipDomain", filter->sip_domain) &&
         member_equals (call, "appKey", filter->app_key);
}

JsonObject *
sipcast_cluster_call_mark_lost (JsonObject *call)
{
  JsonObject *copy = json_object_new ();
  g_autoptr (GList) members = NULL;

  g_return_val_if_fail (call != NULL, NULL);

  /* json_object_get_members() keeps insertion order: the copy keeps the
   * Call object's key order, which clients may rely on. */
  members = json_object_get_members (call);
  for (GList *l = members; l != NULL; l = l->next) {
    const char *name = l->data;

    if (g_str_equal (name, "status"))
      json_object_set_string_member (copy, name, "FAILED");
    else if (g_str_equal (name, "statusInfo"))
      json_object_set_string_member (copy, name, "Node lost");
    else
      json_object_set_member (copy, name, json_node_copy (json_object_get_member (call, name)));
  }
  if (!json_object_has_member (copy, "status"))
    json_object_set_string_member (copy, "status", "FAILED");
  if (!json_object_has_member (copy, "statusInfo"))
    json_object_set_string_member (copy, "statusInfo", "Node lost");
  return copy;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-cluster-node"

#include <glib.h>

#include "sipcast-cluster-node.h"

/*
 * The pure parts of a cluster (README "Cluster"): the keys an operator
 * reads with redis-cli, the heartbeat every node parses, where a new call
 * goes, which stored calls /call/find returns, and what a lost node's
 * call becomes.
 */

static SipcastClusterNode *
node (const char *id,
      guint       calls,
      guint       capacity,
      guint       cpu,
      gboolean    draining)
{
  SipcastClusterNode *node = g_new0 (SipcastClusterNode, 1);

  node->id = g_strdup (id);
  node->url = g_strdup_printf ("http://127.0.0.1:80%s/rest-api", id);
  node->calls = calls;
  node->capacity = capacity;
  node->cpu = cpu;
  node->draining = draining;
  return node;
}

static void
test_keys (void)
{
  g_autofree char *nodes = sipcast_cluster_key (SIPCAST_CLUSTER_NODES, NULL);
  g_autofree char *call = sipcast_cluster_key (SIPCAST_CLUSTER_CALL, "abc");
  g_autofree char *target = sipcast_cluster_key (SIPCAST_CLUSTER_TARGET,
                                                 "rtmp://h:1935/live/s");

  g_assert_cmpstr (nodes, ==, "sipcast:nodes");
  g_assert_cmpstr (call, ==, "sipcast:call:abc");
  g_assert_cmpstr (target, ==, "sipcast:target:rtmp://h:1935/live/s");
}

static void
test_heartbeat_round_trip (void)
{
  g_autoptr (SipcastClusterNode) sent = node ("a", 7, 100, 46, TRUE);
  g_autoptr (SipcastClusterNode) got = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *json = NULL;

  sent->started_at_ms = 1796317006936;
  json = sipcast_cluster_node_to_json (sent);
  g_assert_cmpstr (json, ==,
                   "{\"id\":\"a\",\"url\":\"http://127.0.0.1:80a/rest-api\",\"calls\":7,"
                   "\"capacity\":100,\"cpu\":46,\"draining\":true,\"startedAt\":1796317006936}");
  got = sipcast_cluster_node_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->id, ==, "a");
  g_assert_cmpstr (got->url, ==, sent->url);
  g_assert_cmpuint (got->calls, ==, 7);
  g_assert_cmpuint (got->capacity, ==, 100);
  g_assert_cmpuint (got->cpu, ==, 46);
  g_assert_true (got->draining);
  g_assert_cmpint (got->started_at_ms, ==, 1796317006936);
}

static void
test_heartbeat_refused (void)
{
  static const char *const bad[] = {
    "", "[]", "{}", "{\"id\":\"a\"}", "{\"url\":\"http://x/rest-api\"}",
    "{\"id\":\"\",\"url\":\"http://x/rest-api\"}",
    "{\"id\":\"a\",\"url\":\"http://x/rest-api\",\"calls\":-1}",
    "{\"id\":\"a\",\"url\":\"http://x/rest-api\",\"capacity\":\"9\"}",
    "{\"id\":\"a\",\"url\":\"http://x/rest-api\",\"cpu\":0.5}",
    "not json",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (SipcastClusterNode) got = sipcast_cluster_node_from_json (bad[i], &error);

    g_assert_null (got);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  }
}

static void
test_choose_self_first (void)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                sipcast_cluster_node_free);

  g_ptr_array_add (nodes, node ("a", 5, 10, 90, FALSE));
  g_ptr_array_add (nodes, node ("b", 0, 10, 0, FALSE));
  /* This node has room: the call stays here, however busy it is. */
  g_assert_cmpstr (sipcast_cluster_choose_node (nodes, "a")->id, ==, "a");
  /* Full: the least loaded other one. */
  ((SipcastClusterNode *) nodes->pdata[0])->calls = 10;
  g_assert_cmpstr (sipcast_cluster_choose_node (nodes, "a")->id, ==, "b");
  /* Draining: likewise, though it has room. */
  ((SipcastClusterNode *) nodes->pdata[0])->calls = 1;
  ((SipcastClusterNode *) nodes->pdata[0])->draining = TRUE;
  g_assert_cmpstr (sipcast_cluster_choose_node (nodes, "a")->id, ==, "b");
  /* Nobody with room. */
  ((SipcastClusterNode *) nodes->pdata[1])->calls = 10;
  g_assert_null (sipcast_cluster_choose_node (nodes, "a"));
}

static void
test_choose_least_loaded (void)
{
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                sipcast_cluster_node_free);

  /* By share of capacity first: 50 of 100 beats 6 of 10. */
  g_ptr_array_add (nodes, node ("c", 6, 10, 10, FALSE));
  g_ptr_array_add (nodes, node ("d", 50, 100, 10, FALSE));
  g_assert_cmpstr (sipcast_cluster_choose_node (nodes, "x")->id, ==, "d");
  /* Equal shares: fewer calls. */
  ((SipcastClusterNode *) nodes->pdata[1])->calls = 60;
  ((SipcastClusterNode *) nodes->pdata[1])->capacity = 100;
  ((SipcastClusterNode *) nodes->pdata[0])->capacity = 10;
  g_assert_cmpstr (sipcast_cluster_choose_node (nodes, "x")->id, ==, "c");
  /* Equal calls: the idler CPU, when the difference is more than noise;
   * else the id, so that every node chooses the same. */
  g_ptr_array_set_size (nodes, 0);
  g_ptr_array_add (nodes, node ("e", 3, 0, 50, FALSE));
  g_ptr_array_add (nodes, node ("f", 3, 0, 20, FALSE));
  g_assert_cmpstr (sipcast_cluster_choose_node (nodes, NULL)->id, ==, "f");
  ((SipcastClusterNode *) nodes->pdata[1])->cpu = 46;
  g_assert_cmpstr (sipcast_cluster_choose_node (nodes, NULL)->id, ==, "e");
}

static JsonObject *
parse_object (const char *json)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_call_filter (void)
{
  g_autoptr (JsonObject) call = parse_object (
    "{\"custom\":{},\"nodeId\":\"b\",\"appKey\":null,\"callId\":\"c1\",\"status\":\"ESTABLISHED\","
    "\"rtmpUrl\":\"rtmp://h/live/\",\"callee\":\"1000\"}");
  SipcastClusterCallFilter all = { NULL, };
  SipcastClusterCallFilter by_id = { .call_id = "c1" };
  SipcastClusterCallFilter other_id = { .call_id = "c2" };
  SipcastClusterCallFilter and = { .callee = "1000", .status = "ESTABLISHED",
                                   .rtmp_url = "rtmp://h/live/" };
  SipcastClusterCallFilter wrong_status = { .callee = "1000", .status = "FINISH" };
  SipcastClusterCallFilter null_member = { .app_key = "k" };

  g_assert_true (sipcast_cluster_call_matches (call, &all));
  g_assert_true (sipcast_cluster_call_matches (call, &by_id));
  g_assert_false (sipcast_cluster_call_matches (call, &other_id));
  g_assert_true (sipcast_cluster_call_matches (call, &and));
  g_assert_false (sipcast_cluster_call_matches (call, &wrong_status));
  g_assert_false (sipcast_cluster_call_matches (call, &null_member));
}

static void
test_mark_lost (void)
{
  g_autoptr (JsonObject) call = parse_object (
    "{\"custom\":{},\"nodeId\":\"c\",\"callId\":\"c1\",\"status\":\"ESTABLISHED\","
    "\"sipStatus\":200,\"statusInfo\":null,\"audioCodec\":\"PCMA/8000\"}");
  g_autoptr (JsonObject) lost = sipcast_cluster_call_mark_lost (call);
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *json = NULL;

  json_node_set_object (root, lost);
  json = json_to_string (root, FALSE);
  /* The same keys in the same order; the original untouched. */
  g_assert_cmpstr (json, ==,
                   "{\"custom\":{},\"nodeId\":\"c\",\"callId\":\"c1\",\"status\":\"FAILED\","
                   "\"sipStatus\":200,\"statusInfo\":\"Node lost\",\"audioCodec\":\"PCMA/8000\"}");
  g_assert_cmpstr (json_object_get_string_member (call, "status"), ==, "ESTABLISHED");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cluster-node/keys", test_keys);
  g_test_add_func ("/cluster-node/heartbeat-round-trip", test_heartbeat_round_trip);
  g_test_add_func ("/cluster-node/heartbeat-refused", test_heartbeat_refused);
  g_test_add_func ("/cluster-node/choose-self-first", test_choose_self_first);
  g_test_add_func ("/cluster-node/choose-least-loaded", test_choose_least_loaded);
  g_test_add_func ("/cluster-node/call-filter", test_call_filter);
  g_test_add_func ("/cluster-node/mark-lost", test_mark_lost);

  return g_test_run ();
}

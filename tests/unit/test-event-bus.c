/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The event bus without calls: numbering, the bounded backlog that
 * Last-Event-ID resumes from, the SSE block; and the webhook signature.
 */

#include <string.h>

#include "sipcast-error.h"
#include "sipcast-event-bus.h"
#include "sipcast-hooks.h"

static JsonObject *
digit (const char *value)
{
  JsonObject *fields = json_object_new ();

  json_object_set_string_member (fields, "dtmf", value);
  json_object_set_string_member (fields, "method", "RFC2833");
  return fields;
}

static void
count_event (SipcastEventBus *bus,
             SipcastEvent    *event,
             gpointer         user_data)
{
  GArray *ids = user_data;

  g_array_append_val (ids, event->id);
}

static void
test_numbering_and_sse (void)
{
  g_autoptr (SipcastEventBus) bus = sipcast_event_bus_new (10);
  g_autoptr (GArray) seen = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *sse = NULL;
  g_autofree char *expected = NULL;
  SipcastEvent *event;
  JsonObject *data;

  g_signal_connect (bus, "event", G_CALLBACK (count_event), seen);
  g_assert_cmpuint (sipcast_event_bus_get_last_id (bus), ==, 0);
  event = sipcast_event_bus_publish (bus, SIPCAST_EVENT_DTMF, "call-1", digit ("5"));
  sipcast_event_bus_publish (bus, SIPCAST_EVENT_DTMF, NULL, digit ("#"));
  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_cmpuint (g_array_index (seen, guint64, 0), ==, 1);
  g_assert_cmpuint (g_array_index (seen, guint64, 1), ==, 2);
  g_assert_cmpuint (sipcast_event_bus_get_last_id (bus), ==, 2);

  /* The fixed wire format, and the JSON's first members in order. */
  sse = sipcast_event_to_sse (event);
  expected = g_strdup_printf ("id: 1\nevent: dtmf\ndata: {\"id\":1,\"type\":\"dtmf\","
                              "\"timestamp\":%" G_GINT64_FORMAT ",\"callId\":\"call-1\","
                              "\"dtmf\":\"5\",\"method\":\"RFC2833\"}\n\n",
                              event->timestamp_ms);
  g_assert_cmpstr (sse, ==, expected);
  g_assert_cmpint (ABS (event->timestamp_ms - g_get_real_time () / 1000), <, 5000);

  /* No callId member at all for an event without a call. */
  event = sipcast_event_bus_publish (bus, SIPCAST_EVENT_PUSH_STATUS, NULL, json_object_new ());
  g_assert_true (json_parser_load_from_data (parser, event->data, -1, NULL));
  data = json_node_get_object (json_parser_get_root (parser));
  g_assert_false (json_object_has_member (data, "callId"));
  g_assert_cmpstr (json_object_get_string_member (data, "type"), ==, "push_status");
}

static void
test_backlog_bounded (void)
{
  g_autoptr (SipcastEventBus) bus = sipcast_event_bus_new (3);
  g_autoptr (GPtrArray) events = NULL;
  gboolean complete = FALSE;

  for (guint i = 0; i < 5; i++)
    sipcast_event_bus_publish (bus, SIPCAST_EVENT_DTMF, "c", digit ("1"));

  /* Only the last three are kept: resuming from 0 or 1 misses some. */
  events = sipcast_event_bus_since (bus, 0, &complete);
  g_assert_cmpuint (events->len, ==, 3);
  g_assert_cmpuint (((SipcastEvent *) events->pdata[0])->id, ==, 3);
  g_assert_cmpuint (((SipcastEvent *) events->pdata[2])->id, ==, 5);
  g_assert_false (complete);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = sipcast_event_bus_since (bus, 1, &complete);
  g_assert_false (complete);
  g_clear_pointer (&events, g_ptr_array_unref);

  /* From 2 on, nothing is missing. */
  events = sipcast_event_bus_since (bus, 2, &complete);
  g_assert_true (complete);
  g_assert_cmpuint (events->len, ==, 3);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = sipcast_event_bus_since (bus, 4, &complete);
  g_assert_true (complete);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpuint (((SipcastEvent *) events->pdata[0])->id, ==, 5);
  g_clear_pointer (&events, g_ptr_array_unref);

  events = sipcast_event_bus_since (bus, 5, &complete);
  g_assert_true (complete);
  g_assert_cmpuint (events->len, ==, 0);
}

static void
test_no_backlog (void)
{
  g_autoptr (SipcastEventBus) bus = sipcast_event_bus_new (0);
  g_autoptr (GPtrArray) events = NULL;
  gboolean complete = TRUE;

  sipcast_event_bus_publish (bus, SIPCAST_EVENT_DTMF, "c", digit ("1"));
  events = sipcast_event_bus_since (bus, 0, &complete);
  g_assert_cmpuint (events->len, ==, 0);
  g_assert_false (complete);
}

static void
test_type_names (void)
{
  static const char *const names[] = {
    "call_status", "rtmp_status", "dtmf", "push_status", "injection_ended",
  };
  SipcastEventType type;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_assert_true (sipcast_event_type_from_string (names[i], &type));
    g_assert_cmpstr (sipcast_event_type_to_string (type), ==, names[i]);
  }
  g_assert_false (sipcast_event_type_from_string ("call", &type));
  g_assert_false (sipcast_event_type_from_string (NULL, &type));
}

/* RFC 4231 test cases 1 and 2 (HMAC-SHA-256). */
static void
test_signature (void)
{
  char key[20];
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;

  memset (key, 0x0b, sizeof key);
  {
    g_autofree char *key_text = g_strndup (key, sizeof key);

    one = sipcast_hooks_sign (key_text, "Hi There", 8);
  }
  g_assert_cmpstr (one, ==, "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  two = sipcast_hooks_sign ("Jefe", "what do ya want for nothing?", 28);
  g_assert_cmpstr (two, ==, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void
test_split_urls (void)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) urls = sipcast_hooks_split_urls ("http://a/x, https://b:8443/y  http://c", &error);
  g_auto (GStrv) none = sipcast_hooks_split_urls (NULL, &error);
  g_auto (GStrv) bad = NULL;

  g_assert_no_error (error);
  g_assert_cmpstrv (urls, ((const char *[]) { "http://a/x", "https://b:8443/y", "http://c", NULL }));
  g_assert_cmpuint (g_strv_length (none), ==, 0);
  bad = sipcast_hooks_split_urls ("http://a, ftp://b", &error);
  g_assert_null (bad);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "ftp://b"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/event-bus/numbering-and-sse", test_numbering_and_sse);
  g_test_add_func ("/event-bus/backlog-bounded", test_backlog_bounded);
  g_test_add_func ("/event-bus/no-backlog", test_no_backlog);
  g_test_add_func ("/event-bus/type-names", test_type_names);
  g_test_add_func ("/hooks/signature", test_signature);
  g_test_add_func ("/hooks/split-urls", test_split_urls);

  return g_test_run ();
}

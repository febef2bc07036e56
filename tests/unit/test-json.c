/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-json"

#include <string.h>

#include <glib.h>

#include "sipcast-call.h"
#include "sipcast-error.h"
#include "sipcast-json.h"
#include "sipcast-publish-target.h"

/*
 * The JSON side of the REST API as a client sees it: which bodies are
 * accepted, how the lenient SPEC.md typing reads each field, the defaults
 * of /call/startup, and the exact shape of the Call object.
 */

static JsonObject *
parse (const char *json)
{
  g_autoptr (GError) error = NULL;
  JsonObject *obj = sipcast_json_parse_body (json, strlen (json), &error);

  g_assert_no_error (error);
  g_assert_nonnull (obj);
  return obj;
}

static void
assert_body_rejected (const char *body,
                      gssize      length)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = NULL;

  obj = sipcast_json_parse_body (body, length < 0 ? strlen (body) : (gsize) length, &error);
  g_assert_null (obj);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
}

/* --- request bodies --- */

static void
test_body_empty (void)
{
  const char *bodies[] = { "", " ", "\r\n\t  \n" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++) {
    g_autoptr (JsonObject) obj = parse (bodies[i]);

    g_assert_cmpuint (json_object_get_size (obj), ==, 0);
  }

  /* A NULL body of length 0 is what libsoup hands over for no body. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) obj = sipcast_json_parse_body (NULL, 0, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (json_object_get_size (obj), ==, 0);
  }
}

static void
test_body_object (void)
{
  g_autoptr (JsonObject) obj = parse (" {\"callee\": \"1000\", \"n\": 1}\n");

  g_assert_cmpuint (json_object_get_size (obj), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (obj, "callee"), ==, "1000");
}

static void
test_body_malformed (void)
{
  const char *bodies[] = { "{", "{\"a\":", "{\"a\" 1}", "{\"a\": tru}", "{\"a\": 1,}",
                           "{} x", "}", "callee=1000" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (JsonObject) obj = NULL;

    obj = sipcast_json_parse_body (bodies[i], strlen (bodies[i]), &error);
    g_assert_null (obj);
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    g_assert_true (g_str_has_prefix (error->message, "Malformed JSON: "));
  }
}

/* json-glib reads more than JSON: '…' strings and comments, in which a
 * '"' must not make the nesting check lose track. */
static void
test_body_hidden_nesting (void)
{
  const char *prefixes[] = {
    "{'k\"': ", "{\"a\": /* \" */ ", "{\"a\": // \"\n ", "{'a': '\\'\"', \"b\": ",
    "{\"a\": # \"\n ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++) {
    g_autoptr (GString) deep = g_string_new (prefixes[i]);

    for (guint j = 0; j < 150000; j++)
      g_string_append_c (deep, '[');
    assert_body_rejected (deep->str, deep->len);
  }

  /* The same shapes, shallow, as a client writes them: plain JSON still
   * passes and the extensions are refused with 400, not crashed on. */
  assert_body_rejected ("{'callee': '1'}", -1);
  assert_body_rejected ("{\"callee\": \"1\" /* x */}", -1);
  {
    g_autoptr (JsonObject) obj = parse ("{\"callee\": \"it's /* not */ a // comment\"}");

    g_assert_cmpstr (json_object_get_string_member (obj, "callee"), ==,
                     "it's /* not */ a // comment");
  }
}

/* --- a fuzz of the nesting check against json-glib's own scanner --- */

static guint
node_depth (JsonNode *node)
{
  guint deepest = 0;

  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);

    for (guint i = 0; i < json_array_get_length (array); i++)
      deepest = MAX (deepest, node_depth (json_array_get_element (array, i)));
    return deepest + 1;
  }
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    g_autoptr (GList) members = json_object_get_values (json_node_get_object (node));

    for (GList *l = members; l != NULL; l = l->next)
      deepest = MAX (deepest, node_depth (l->data));
    return deepest + 1;
  }
  return 0;
}

/* Text that may hide structure from a scanner that does not know it. */
static const char tricky[] = "[]{}\"\"\"'',: \\";

/* Up to five characters of tricky[] that the context allows: @quote
 * inside a string is escaped when it is '"', left out when it is '\''
 * (json-glib has no escapes in '…'), and a comment holds no '*' or '/'. */
static void
append_tricky (GString *out,
               char     quote)
{
  guint n = g_test_rand_int_range (0, 6);

  for (guint i = 0; i < n; i++) {
    char c = tricky[g_test_rand_int_range (0, sizeof tricky - 1)];

    if (quote == '\'' && (c == '\'' || c == '\\'))
      continue;
    if (quote == '"' && (c == '"' || c == '\\'))
      g_string_append_c (out, '\\');
    g_string_append_c (out, c);
  }
}

/* Whitespace, or a comment full of brackets and quotes. */
static void
append_gap (GString *out)
{
  switch (g_test_rand_int_range (0, 4)) {
  case 0:
    g_string_append (out, "/*");
    append_tricky (out, 0);
    g_string_append (out, "*/");
    break;
  case 1:
    g_string_append (out, " \n\t");
    break;
  default:
    break;
  }
}

static void
append_string (GString *out)
{
  char quote = g_test_rand_bit () ? '"' : '\'';

  g_string_append_c (out, quote);
  append_tricky (out, quote);
  g_string_append_c (out, quote);
}

/* A document json-glib parses: JSON and its extensions, @depth deep. */
static void
append_value (GString *out,
              guint    depth)
{
  guint n;

  append_gap (out);
  if (depth == 0) {
    switch (g_test_rand_int_range (0, 4)) {
    case 0:
      append_string (out);
      break;
    case 1:
      g_string_append_printf (out, "%d", g_test_rand_int_range (-1000, 1000));
      break;
    case 2:
      g_string_append (out, g_test_rand_bit () ? "true" : "null");
      break;
    default:
      g_string_append (out, "[]");
      break;
    }
    append_gap (out);
    return;
  }

  n = g_test_rand_int_range (1, 3);
  if (g_test_rand_bit ()) {
    g_string_append_c (out, '[');
    for (guint i = 0; i < n; i++) {
      if (i > 0)
        g_string_append_c (out, ',');
      append_value (out, i == 0 ? depth - 1 : (guint) g_test_rand_int_range (0, (gint32) MIN (depth, 3)));
    }
    g_string_append_c (out, ']');
  } else {
    g_string_append_c (out, '{');
    for (guint i = 0; i < n; i++) {
      if (i > 0)
        g_string_append_c (out, ',');
      append_gap (out);
      append_string (out);
      append_gap (out);
      g_string_append_c (out, ':');
      append_value (out, i == 0 ? depth - 1 : (guint) g_test_rand_int_range (0, (gint32) MIN (depth, 3)));
    }
    g_string_append_c (out, '}');
  }
  append_gap (out);
}

/* Whatever the body, the parser returns (never crashes), and what it
 * accepts is never nested deeper than the check allows. */
static void
check_fuzz_body (const char *body,
                 gsize       length)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = sipcast_json_parse_body (body, length, &error);

  if (obj == NULL) {
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    return;
  }
  {
    g_autoptr (JsonNode) root = json_node_init_object (json_node_alloc (), obj);

    if (node_depth (root) > 32)
      g_error ("accepted %u levels: %.*s", node_depth (root), (int) MIN (length, 300), body);
  }
}

static void
test_body_fuzz (void)
{
  guint accepted = 0;

  for (guint round = 0; round < 3000; round++) {
    g_autoptr (GString) doc = g_string_new (NULL);
    g_autofree char *mutated = NULL;
    gsize cut;

    /* An object whose first member's value is up to 48 deep. */
    g_string_append_c (doc, '{');
    append_string (doc);
    g_string_append_c (doc, ':');
    append_value (doc, g_test_rand_int_range (0, 49));
    g_string_append_c (doc, '}');
    check_fuzz_body (doc->str, doc->len);
    if (sipcast_json_parse_body (doc->str, doc->len, NULL) != NULL)
      accepted++;

    /* Cut short, with one byte changed to anything ASCII. */
    cut = g_test_rand_int_range (0, (gint32) doc->len + 1);
    mutated = g_strndup (doc->str, cut);
    if (cut > 0)
      mutated[g_test_rand_int_range (0, (gint32) cut)] = (char) g_test_rand_int_range (1, 128);
    check_fuzz_body (mutated, cut);

    /* And now and then a stack's worth of brackets behind that. */
    if (round % 300 == 0) {
      g_autoptr (GString) deep = g_string_new_len (mutated, cut);

      for (guint j = 0; j < 150000; j++)
        g_string_append_c (deep, g_test_rand_bit () ? '[' : '{');
      check_fuzz_body (deep->str, deep->len);
    }
  }
  /* The generator makes plain JSON too: some bodies must pass. */
  g_assert_cmpuint (accepted, >, 0);
}

static void
test_body_not_object (void)
{
  const char *bodies[] = { "[]", "[{\"callee\": \"1\"}]", "\"text\"", "42", "null", "true" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    assert_body_rejected (bodies[i], -1);
}

static void
test_body_invalid_utf8 (void)
{
  assert_body_rejected ("{\"callee\": \"\xff\xfe\"}", -1);
  assert_body_rejected ("{\"callee\": \"\xc3\"}", -1);
  /* An embedded NUL must not cut the body short into something valid. */
  assert_body_rejected ("{\"a\": 1}\0garbage", 16);
}

static void
test_body_deep_nesting (void)
{
  g_autoptr (GString) deep = g_string_new ("{\"a\": ");
  g_autoptr (JsonObject) shallow = NULL;

  /* Far deeper than any request; must fail cleanly, not overflow the stack. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_body_rejected (deep->str, deep->len);

  /* Brackets inside strings do not count. */
  shallow = parse ("{\"custom\": {\"a\": [[[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]]]}}");
  g_assert_true (json_object_has_member (shallow, "custom"));
}

static void
test_body_big_integers (void)
{
  const char *wrapping[] = {
    "{\"callee\": 99999999999999999999}",
    "{\"callee\": -9223372036854775809}",
    "{\"a\": [1, 2, 1234567890123456789012345]}",
  };
  g_autoptr (JsonObject) fine = NULL;
  g_autofree char *callee = NULL;
  g_autoptr (GError) error = NULL;

  /* json-glib would silently read these as other numbers. */
  for (guint i = 0; i < G_N_ELEMENTS (wrapping); i++)
    assert_body_rejected (wrapping[i], -1);

  /* Long digit runs that are not integers, or inside strings, are fine. */
  fine = parse ("{\"callee\": \"123456789012345678901234567890\", \"x\": 1.0000000000000000000001,"
                " \"y\": 1e3, \"n\": 123456789012345678}");
  g_assert_true (sipcast_json_get_string (fine, "callee", &callee, &error));
  g_assert_cmpstr (callee, ==, "123456789012345678901234567890");
  g_clear_pointer (&callee, g_free);
  g_assert_true (sipcast_json_get_string (fine, "n", &callee, &error));
  g_assert_cmpstr (callee, ==, "123456789012345678");
  g_assert_no_error (error);
}

static void
test_body_huge_number (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) obj = NULL;
  const char *body = "{\"sipPort\": 99999999999999999999999999999999}";
  guint port = 5060;

  /* Either the parser refuses it or the reader does; nothing wraps around. */
  obj = sipcast_json_parse_body (body, strlen (body), &error);
  if (obj != NULL)
    g_assert_false (sipcast_json_get_uint (obj, "sipPort", 1, 65535, &port, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (port, ==, 5060);
}

/* --- field readers --- */

static void
test_string_accepts (void)
{
  g_autoptr (JsonObject) obj = parse ("{\"s\": \"abc\", \"n\": 1000, \"neg\": -5, \"e\": \"\", \"z\": null}");
  g_autoptr (GError) error = NULL;
  g_autofree char *s = NULL;
  g_autofree char *n = NULL;
  g_autofree char *neg = NULL;
  g_autofree char *e = NULL;
  g_autofree char *z = g_strdup ("kept");
  g_autofree char *absent = g_strdup ("kept");

  g_assert_true (sipcast_json_get_string (obj, "s", &s, &error));
  g_assert_cmpstr (s, ==, "abc");
  g_assert_true (sipcast_json_get_string (obj, "n", &n, &error));
  g_assert_cmpstr (n, ==, "1000");
  g_assert_true (sipcast_json_get_string (obj, "neg", &neg, &error));
  g_assert_cmpstr (neg, ==, "-5");
  g_assert_true (sipcast_json_get_string (obj, "e", &e, &error));
  g_assert_cmpstr (e, ==, "");
  g_assert_true (sipcast_json_get_string (obj, "z", &z, &error));
  g_assert_cmpstr (z, ==, "kept");
  g_assert_true (sipcast_json_get_string (obj, "absent", &absent, &error));
  g_assert_cmpstr (absent, ==, "kept");
  g_assert_no_error (error);
}

static void
test_string_rejects (void)
{
  g_autoptr (JsonObject) obj = parse ("{\"b\": true, \"o\": {}, \"a\": [\"x\"], \"f\": 1.5}");
  const char *names[] = { "b", "o", "a", "f" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *out = NULL;

    g_assert_false (sipcast_json_get_string (obj, names[i], &out, &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    /* The message names the field so the client knows what to fix. */
    g_assert_nonnull (strstr (error->message, names[i]));
    g_assert_null (out);
  }
}

static void
test_boolean_accepts (void)
{
  g_autoptr (JsonObject) obj = parse ("{\"t\": true, \"f\": false, \"st\": \"true\", \"sf\": \"false\","
                                      " \"ut\": \"TRUE\", \"mf\": \"False\", \"z\": null}");
  const struct {
    const char *name;
    gboolean initial;
    gboolean expected;
  } cases[] = {
    { "t", FALSE, TRUE },
    { "f", TRUE, FALSE },
    { "st", FALSE, TRUE },
    { "sf", TRUE, FALSE },
    { "ut", FALSE, TRUE },
    { "mf", TRUE, FALSE },
    { "z", TRUE, TRUE },        /* null: untouched */
    { "absent", TRUE, TRUE },
    { "absent", FALSE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    gboolean value = cases[i].initial;

    g_assert_true (sipcast_json_get_boolean (obj, cases[i].name, &value, &error));
    g_assert_no_error (error);
    g_assert_cmpint (value, ==, cases[i].expected);
  }
}

static void
test_boolean_rejects (void)
{
  g_autoptr (JsonObject) obj = parse ("{\"yes\": \"yes\", \"one\": 1, \"zero\": 0, \"empty\": \"\","
                                      " \"o\": {}, \"a\": [true], \"sp\": \" true\"}");
  const char *names[] = { "yes", "one", "zero", "empty", "o", "a", "sp" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autoptr (GError) error = NULL;
    gboolean value = TRUE;

    g_assert_false (sipcast_json_get_boolean (obj, names[i], &value, &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, names[i]));
    g_assert_true (value);
  }
}

static void
test_uint_accepts (void)
{
  g_autoptr (JsonObject) obj = parse ("{\"n\": 5060, \"s\": \"5060\", \"lo\": 1, \"hi\": 65535,"
                                      " \"shi\": \"65535\", \"z\": null}");
  const struct {
    const char *name;
    guint expected;
  } cases[] = {
    { "n", 5060 },
    { "s", 5060 },
    { "lo", 1 },
    { "hi", 65535 },
    { "shi", 65535 },
    { "z", 42 },                /* null: untouched */
    { "absent", 42 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    guint value = 42;

    g_assert_true (sipcast_json_get_uint (obj, cases[i].name, 1, 65535, &value, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (value, ==, cases[i].expected);
  }
}

static void
test_uint_rejects (void)
{
  g_autoptr (JsonObject) obj = parse ("{\"neg\": -1, \"sneg\": \"-1\", \"float\": 1.5, \"sfloat\": \"1.5\","
                                      " \"garbage\": \"abc\", \"empty\": \"\", \"space\": \" 5060\","
                                      " \"trailing\": \"5060x\", \"plus\": \"+5060\", \"zero\": 0,"
                                      " \"above\": 65536, \"sabove\": \"65536\","
                                      " \"huge\": \"99999999999999999999999\", \"big\": 4294967297,"
                                      " \"bool\": true, \"o\": {}, \"a\": [1], \"hex\": \"0x10\"}");
  const char *names[] = { "neg", "sneg", "float", "sfloat", "garbage", "empty", "space",
                          "trailing", "plus", "zero", "above", "sabove", "huge", "big",
                          "bool", "o", "a", "hex" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autoptr (GError) error = NULL;
    guint value = 42;

    g_assert_false (sipcast_json_get_uint (obj, names[i], 1, 65535, &value, &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, names[i]));
    g_assert_cmpuint (value, ==, 42);
  }

  /* Above G_MAXUINT must not wrap around to a small number. */
  {
    g_autoptr (GError) error = NULL;
    guint value = 42;

    g_assert_false (sipcast_json_get_uint (obj, "big", 0, G_MAXUINT, &value, &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint (value, ==, 42);
  }
}

/* --- /call/startup parameters --- */

static SipcastCallParams *
params_from (const char *json,
             GError    **error)
{
  g_autoptr (JsonObject) obj = parse (json);

  return sipcast_call_params_from_json (obj, "generated-id", error);
}

static void
assert_params_error (const char *json,
                     int         code,
                     const char *message_part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastCallParams) params = params_from (json, &error);

  g_assert_null (params);
  g_assert_error (error, SIPCAST_ERROR, code);
  if (message_part != NULL)
    g_assert_nonnull (strstr (error->message, message_part));
}

static void
test_params_defaults (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastCallParams) params = NULL;

  params = params_from ("{\"callee\": \"1000\", \"sipDomain\": \"pbx.example.org\"}", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (params->call_id, ==, "generated-id");
  g_assert_cmpstr (params->callee, ==, "1000");
  g_assert_cmpstr (params->to_stream, ==, "generated-id");
  g_assert_null (params->rtmp_url);
  g_assert_null (params->rtmp_stream);
  g_assert_true (params->has_audio);
  g_assert_false (params->has_video);
  g_assert_null (params->sip_login);
  g_assert_null (params->sip_auth_name);
  g_assert_null (params->sip_password);
  g_assert_cmpstr (params->sip_domain, ==, "pbx.example.org");
  g_assert_null (params->sip_outbound_proxy);
  g_assert_cmpuint (params->sip_port, ==, 0);
  g_assert_false (params->sip_register_required);
  g_assert_null (params->app_key);
  g_assert_null (params->visible_name);
}

static void
test_params_reference_example (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastCallParams) params = NULL;

  /* The /call/startup example of the WCS reference, as sent. */
  params = params_from ("{\"callId\":\"123456711\", \"callee\":\"10000\", \"toStream\":\"stream1\","
                        " \"rtmpUrl\":\"rtmp://localhost:1935/live/\", \"rtmpStream\":\"rtmp_stream1\","
                        " \"hasAudio\":\"true\", \"hasVideo\":\"true\", \"sipLogin\":\"10009\","
                        " \"sipAuthenticationName\":\"10009a\", \"sipPassword\":\"1234\","
                        " \"sipDomain\":\"226.226.225.226\", \"sipOutboundProxy\":\"226.226.225.227\","
                        " \"sipPort\":\"5070\", \"appKey\":\"defaultApp\","
                        " \"sipRegisterRequired\":\"false\", \"visibleName\":\"Gateway\"}", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (params->call_id, ==, "123456711");
  g_assert_cmpstr (params->callee, ==, "10000");
  g_assert_cmpstr (params->to_stream, ==, "stream1");
  g_assert_cmpstr (params->rtmp_url, ==, "rtmp://localhost:1935/live/");
  g_assert_cmpstr (params->rtmp_stream, ==, "rtmp_stream1");
  g_assert_true (params->has_audio);
  g_assert_true (params->has_video);
  g_assert_cmpstr (params->sip_login, ==, "10009");
  g_assert_cmpstr (params->sip_auth_name, ==, "10009a");
  g_assert_cmpstr (params->sip_password, ==, "1234");
  g_assert_cmpstr (params->sip_domain, ==, "226.226.225.226");
  g_assert_cmpstr (params->sip_outbound_proxy, ==, "226.226.225.227");
  g_assert_cmpuint (params->sip_port, ==, 5070);
  g_assert_false (params->sip_register_required);
  g_assert_cmpstr (params->app_key, ==, "defaultApp");
  g_assert_cmpstr (params->visible_name, ==, "Gateway");
}

static void
test_params_typed_values (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastCallParams) params = NULL;

  params = params_from ("{\"callee\": 1000, \"sipDomain\": \"d\", \"hasAudio\": false,"
                        " \"hasVideo\": true, \"sipPort\": 5080, \"sipRegisterRequired\": true}", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (params->callee, ==, "1000");
  g_assert_false (params->has_audio);
  g_assert_true (params->has_video);
  g_assert_cmpuint (params->sip_port, ==, 5080);
  g_assert_true (params->sip_register_required);
}

static void
test_params_auth_name_defaults_to_login (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastCallParams) params = NULL;

  params = params_from ("{\"callee\": \"1000\", \"sipDomain\": \"d\", \"sipLogin\": \"alice\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (params->sip_login, ==, "alice");
  g_assert_cmpstr (params->sip_auth_name, ==, "alice");
}

static void
test_params_empty_strings_are_absent (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastCallParams) params = NULL;

  /* WCS clients send "" for fields they do not use. */
  params = params_from ("{\"callId\": \"c1\", \"callee\": \"1000\", \"sipDomain\": \"d\","
                        " \"toStream\": \"\", \"rtmpUrl\": \"\", \"rtmpStream\": \"\","
                        " \"sipLogin\": \"\", \"sipPassword\": \"\", \"appKey\": null}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (params->to_stream, ==, "c1");
  g_assert_null (params->rtmp_url);
  g_assert_null (params->rtmp_stream);
  g_assert_null (params->sip_login);
  g_assert_null (params->sip_password);
  g_assert_null (params->app_key);
}

static void
test_params_callee_required (void)
{
  assert_params_error ("{\"sipDomain\": \"d\"}", SIPCAST_ERROR_MISSING_FIELD, "callee is required");
  assert_params_error ("{\"callee\": \"\", \"sipDomain\": \"d\"}", SIPCAST_ERROR_MISSING_FIELD, "callee is required");
  assert_params_error ("{\"callee\": null, \"sipDomain\": \"d\"}", SIPCAST_ERROR_MISSING_FIELD, "callee is required");
  assert_params_error ("{}", SIPCAST_ERROR_MISSING_FIELD, "callee is required");
}

static void
test_params_domain_required_unless_uri (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastCallParams) sip = NULL;
  g_autoptr (SipcastCallParams) sips = NULL;

  assert_params_error ("{\"callee\": \"1000\"}", SIPCAST_ERROR_MISSING_FIELD, "sipDomain");

  sip = params_from ("{\"callee\": \"sip:1000@pbx.example.org\"}", &error);
  g_assert_no_error (error);
  g_assert_null (sip->sip_domain);

  sips = params_from ("{\"callee\": \"sips:1000@pbx.example.org:5061\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sips->callee, ==, "sips:1000@pbx.example.org:5061");
}

static void
test_params_call_id (void)
{
  g_autoptr (GString) long_id = g_string_new (NULL);
  g_autofree char *json = NULL;
  g_autoptr (SipcastCallParams) params = NULL;
  g_autoptr (GError) error = NULL;

  assert_params_error ("{\"callId\": \"\", \"callee\": \"1\", \"sipDomain\": \"d\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "callId");
  assert_params_error ("{\"callId\": \"has space\", \"callee\": \"1\", \"sipDomain\": \"d\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "callId");
  assert_params_error ("{\"callId\": \"tab\\there\", \"callee\": \"1\", \"sipDomain\": \"d\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "callId");
  assert_params_error ("{\"callId\": \"caf\xc3\xa9\", \"callee\": \"1\", \"sipDomain\": \"d\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "callId");
  assert_params_error ("{\"callId\": true, \"callee\": \"1\", \"sipDomain\": \"d\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "callId");

  /* 128 characters is the longest accepted id, 129 is too long. */
  g_string_append_printf (long_id, "%0128d", 7);
  json = g_strdup_printf ("{\"callId\": \"%s\", \"callee\": \"1\", \"sipDomain\": \"d\"}", long_id->str);
  params = params_from (json, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (params->call_id, ==, long_id->str);
  g_assert_cmpstr (params->to_stream, ==, long_id->str);

  g_string_append_c (long_id, '8');
  g_free (json);
  json = g_strdup_printf ("{\"callId\": \"%s\", \"callee\": \"1\", \"sipDomain\": \"d\"}", long_id->str);
  assert_params_error (json, SIPCAST_ERROR_INVALID_ARGUMENT, "callId");

  /* A numeric callId is taken as its digits. */
  g_clear_pointer (&params, sipcast_call_params_free);
  params = params_from ("{\"callId\": 42, \"callee\": \"1\", \"sipDomain\": \"d\"}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (params->call_id, ==, "42");
}

static void
test_params_no_generated_id (void)
{
  g_autoptr (JsonObject) obj = parse ("{\"callee\": \"1\", \"sipDomain\": \"d\"}");
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastCallParams) params = NULL;

  params = sipcast_call_params_from_json (obj, NULL, &error);
  g_assert_null (params);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD);
}

static void
test_params_bad_values (void)
{
  assert_params_error ("{\"callee\": \"1\", \"sipDomain\": \"d\", \"sipPort\": 0}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "sipPort");
  assert_params_error ("{\"callee\": \"1\", \"sipDomain\": \"d\", \"sipPort\": \"65536\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "sipPort");
  assert_params_error ("{\"callee\": \"1\", \"sipDomain\": \"d\", \"sipPort\": \"sip\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "sipPort");
  assert_params_error ("{\"callee\": \"1\", \"sipDomain\": \"d\", \"hasAudio\": \"yes\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "hasAudio");
  assert_params_error ("{\"callee\": \"1\", \"sipDomain\": \"d\", \"hasVideo\": 1}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "hasVideo");
  assert_params_error ("{\"callee\": \"1\", \"sipDomain\": \"d\", \"sipRegisterRequired\": \"no\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "sipRegisterRequired");
  assert_params_error ("{\"callee\": true, \"sipDomain\": \"d\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "callee");
  assert_params_error ("{\"callee\": \"1\", \"sipDomain\": [\"d\"]}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "sipDomain");
  assert_params_error ("{\"callee\": \"1\", \"sipDomain\": \"d\", \"rtmpUrl\": {}}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "rtmpUrl");
}

static void
test_params_control_characters (void)
{
  /* These strings go into SIP headers: no header injection. */
  assert_params_error ("{\"callee\": \"1000\\r\\nX-Evil: 1\", \"sipDomain\": \"d\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "callee");
  assert_params_error ("{\"callee\": \"1000\", \"sipDomain\": \"d\\n\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "sipDomain");
  assert_params_error ("{\"callee\": \"1000\", \"sipDomain\": \"d\", \"visibleName\": \"a\\u0007b\"}",
                       SIPCAST_ERROR_INVALID_ARGUMENT, "visibleName");
}

/* --- Call object --- */

static const char *const call_keys[] = {
  "custom", "nodeId", "appKey", "sessionId", "callId", "parentCallId", "incoming",
  "status", "sipStatus", "rtmpUrl", "rtmpStream", "streamName", "rtmpStreamStatus",
  "caller", "callee", "hasAudio", "hasVideo", "sdp", "visibleName", "inviteParameters",
  "mediaProvider", "sipMessageRaw", "isMsrp", "target", "holdForTransfer",
  /* sipcast's own, after the reference keys */
  "statusInfo", "audioCodec", "startedAt", "rtmpStreamStatusInfo", "videoCodec", "width", "height",
  "dtmfReceived",
};

static SipcastCall *
new_call (const char *json,
          gboolean    with_target)
{
  g_autoptr (GError) error = NULL;
  SipcastCallParams *params = params_from (json, &error);
  SipcastPublishTarget *target = NULL;

  g_assert_no_error (error);
  if (with_target) {
    target = sipcast_publish_target_new (params->rtmp_url, params->rtmp_stream, &error);
    g_assert_no_error (error);
  }
  return sipcast_call_new (params, target, NULL);
}

static void
assert_null_member (JsonObject *obj,
                    const char *name)
{
  g_assert_true (json_object_has_member (obj, name));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (obj, name)));
}

static void
assert_boolean_member (JsonObject *obj,
                       const char *name,
                       gboolean    expected)
{
  JsonNode *node = json_object_get_member (obj, name);

  g_assert_nonnull (node);
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_BOOLEAN);
  g_assert_cmpint (json_node_get_boolean (node), ==, expected);
}

static void
assert_string_member (JsonObject *obj,
                      const char *name,
                      const char *expected)
{
  JsonNode *node = json_object_get_member (obj, name);

  g_assert_nonnull (node);
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_STRING);
  g_assert_cmpstr (json_node_get_string (node), ==, expected);
}

static void
test_call_keys_in_order (void)
{
  g_autoptr (SipcastCall) call = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  GList *members;
  GList *l;
  guint i = 0;

  call = new_call ("{\"callId\": \"c1\", \"callee\": \"1000\", \"sipDomain\": \"d\"}", FALSE);
  node = sipcast_call_to_json (call);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));

  /* Checked on the serialized text, which is what a client receives. */
  text = json_to_string (node, FALSE);
  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);

  members = json_object_get_members (json_node_get_object (json_parser_get_root (parser)));
  for (l = members; l != NULL; l = l->next, i++) {
    g_assert_cmpuint (i, <, G_N_ELEMENTS (call_keys));
    g_assert_cmpstr (l->data, ==, call_keys[i]);
  }
  g_assert_cmpuint (i, ==, G_N_ELEMENTS (call_keys));
  g_list_free (members);

  /* The reference keys come first in the text, in this order. */
  g_assert_true (g_str_has_prefix (text, "{\"custom\":{},\"nodeId\":null,\"appKey\":null,"));
}

static void
test_call_new_call_values (void)
{
  g_autoptr (SipcastCall) call = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *obj;
  JsonNode *custom;

  call = new_call ("{\"callId\": \"c1\", \"callee\": \"1000\", \"sipDomain\": \"d\","
                   " \"sipLogin\": \"gw\", \"appKey\": \"defaultApp\", \"visibleName\": \"Gateway\","
                   " \"hasVideo\": \"true\"}", FALSE);
  node = sipcast_call_to_json (call);
  obj = json_node_get_object (node);

  custom = json_object_get_member (obj, "custom");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (custom));
  g_assert_cmpuint (json_object_get_size (json_node_get_object (custom)), ==, 0);

  assert_null_member (obj, "nodeId");
  assert_string_member (obj, "appKey", "defaultApp");
  assert_null_member (obj, "sessionId");
  assert_string_member (obj, "callId", "c1");
  assert_null_member (obj, "parentCallId");
  assert_boolean_member (obj, "incoming", FALSE);
  assert_string_member (obj, "status", "NEW");
  /* No SIP response yet: null, not 0. */
  assert_null_member (obj, "sipStatus");
  assert_null_member (obj, "rtmpUrl");
  assert_null_member (obj, "rtmpStream");
  assert_string_member (obj, "streamName", "c1");
  assert_null_member (obj, "rtmpStreamStatus");
  assert_string_member (obj, "caller", "gw");
  assert_string_member (obj, "callee", "1000");
  assert_boolean_member (obj, "hasAudio", TRUE);
  assert_boolean_member (obj, "hasVideo", TRUE);
  assert_null_member (obj, "sdp");
  assert_string_member (obj, "visibleName", "Gateway");
  assert_null_member (obj, "inviteParameters");
  assert_string_member (obj, "mediaProvider", "SIP");
  assert_null_member (obj, "sipMessageRaw");
  assert_boolean_member (obj, "isMsrp", FALSE);
  assert_null_member (obj, "target");
  assert_boolean_member (obj, "holdForTransfer", FALSE);
  assert_null_member (obj, "statusInfo");
  assert_null_member (obj, "audioCodec");
  /* Null until the media says. */
  assert_null_member (obj, "videoCodec");
  assert_null_member (obj, "width");
  assert_null_member (obj, "height");
  assert_string_member (obj, "dtmfReceived", "");
}

static void
test_call_with_rtmp_target (void)
{
  g_autoptr (SipcastCall) call = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *obj;

  call = new_call ("{\"callId\": \"c2\", \"callee\": \"sip:1000@pbx\", \"toStream\": \"s\","
                   " \"rtmpUrl\": \"rtmp://localhost:1935/live\", \"rtmpStream\": \"out\"}", TRUE);
  node = sipcast_call_to_json (call);
  obj = json_node_get_object (node);

  assert_string_member (obj, "rtmpUrl", "rtmp://localhost:1935/live");
  assert_string_member (obj, "rtmpStream", "out");
  assert_string_member (obj, "streamName", "s");
  assert_string_member (obj, "rtmpStreamStatus", "RTMP_STREAM_WAIT");
  assert_string_member (obj, "callee", "sip:1000@pbx");
}

static void
test_call_started_at (void)
{
  g_autoptr (SipcastCall) call = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GDateTime) parsed = NULL;
  const char *started_at;
  gint64 created_at;
  gint64 parsed_usec;

  call = new_call ("{\"callee\": \"1000\", \"sipDomain\": \"d\"}", FALSE);
  node = sipcast_call_to_json (call);
  started_at = json_object_get_string_member (json_node_get_object (node), "startedAt");
  created_at = sipcast_call_get_created_at (call);

  /* JavaScript's Date.toISOString() shape, in UTC. */
  g_assert_true (g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                                       started_at, 0, 0));

  parsed = g_date_time_new_from_iso8601 (started_at, NULL);
  g_assert_nonnull (parsed);
  parsed_usec = g_date_time_to_unix (parsed) * G_USEC_PER_SEC + g_date_time_get_microsecond (parsed);
  g_assert_cmpint (parsed_usec, <=, created_at);
  g_assert_cmpint (created_at - parsed_usec, <, 1000);
}

/* --- error body --- */

static void
test_error_body (void)
{
  g_autofree char *text = sipcast_json_error_body ("missing_field", "callee is required");
  g_autoptr (JsonObject) obj = parse (text);
  g_autofree char *bad_text = sipcast_json_error_body ("not_found", "No such method: /rest-api/\xff\xfe");
  g_autoptr (JsonObject) bad = NULL;

  g_assert_cmpuint (json_object_get_size (obj), ==, 2);
  assert_string_member (obj, "error", "missing_field");
  assert_string_member (obj, "message", "callee is required");

  /* Whatever a client put in a path, the error body stays valid JSON. */
  bad = parse (bad_text);
  assert_string_member (bad, "error", "not_found");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (bad, "message"),
                                   "No such method: /rest-api/"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/json/body/empty", test_body_empty);
  g_test_add_func ("/json/body/object", test_body_object);
  g_test_add_func ("/json/body/malformed", test_body_malformed);
  g_test_add_func ("/json/body/not-object", test_body_not_object);
  g_test_add_func ("/json/body/invalid-utf8", test_body_invalid_utf8);
  g_test_add_func ("/json/body/deep-nesting", test_body_deep_nesting);
  g_test_add_func ("/json/body/hidden-nesting", test_body_hidden_nesting);
  g_test_add_func ("/json/body/fuzz", test_body_fuzz);
  g_test_add_func ("/json/body/big-integers", test_body_big_integers);
  g_test_add_func ("/json/body/huge-number", test_body_huge_number);

  g_test_add_func ("/json/string/accepts", test_string_accepts);
  g_test_add_func ("/json/string/rejects", test_string_rejects);
  g_test_add_func ("/json/boolean/accepts", test_boolean_accepts);
  g_test_add_func ("/json/boolean/rejects", test_boolean_rejects);
  g_test_add_func ("/json/uint/accepts", test_uint_accepts);
  g_test_add_func ("/json/uint/rejects", test_uint_rejects);

  g_test_add_func ("/json/params/defaults", test_params_defaults);
  g_test_add_func ("/json/params/reference-example", test_params_reference_example);
  g_test_add_func ("/json/params/typed-values", test_params_typed_values);
  g_test_add_func ("/json/params/auth-name-defaults-to-login", test_params_auth_name_defaults_to_login);
  g_test_add_func ("/json/params/empty-strings-are-absent", test_params_empty_strings_are_absent);
  g_test_add_func ("/json/params/callee-required", test_params_callee_required);
  g_test_add_func ("/json/params/domain-required-unless-uri", test_params_domain_required_unless_uri);
  g_test_add_func ("/json/params/call-id", test_params_call_id);
  g_test_add_func ("/json/params/no-generated-id", test_params_no_generated_id);
  g_test_add_func ("/json/params/bad-values", test_params_bad_values);
  g_test_add_func ("/json/params/control-characters", test_params_control_characters);

  g_test_add_func ("/json/call/keys-in-order", test_call_keys_in_order);
  g_test_add_func ("/json/call/new-call-values", test_call_new_call_values);
  g_test_add_func ("/json/call/with-rtmp-target", test_call_with_rtmp_target);
  g_test_add_func ("/json/call/started-at", test_call_started_at);

  g_test_add_func ("/json/error-body", test_error_body);

  return g_test_run ();
}

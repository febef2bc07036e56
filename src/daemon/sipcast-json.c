/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-json"

#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-json.h"
#include "sipcast-call.h"
#include "sipcast-push.h"
#include "sipcast-error.h"
#include "sipcast-types.h"
#include "sipcast-sdp-crypto.h"

/*
 * Request bodies in, Call and Push objects out.  Everything here is a
 * pure function on JSON values so the REST layer stays a thin router and
 * the lenient typing rules of SPEC.md are tested in one place
 * (tests/unit/test-json.c).
 */

/* json-glib parses recursively and has no depth limit of its own: a body
 * of a million '[' (well within a raised max-body-size) overflows the
 * stack.  Real request bodies are flat objects. */
#define MAX_NESTING_DEPTH 32

/* RFC 3261 Call-IDs are short tokens; the callId may end up in one. */
#define MAX_CALL_ID_LENGTH 128

static gboolean
is_blank (const char *data,
          gsize       length)
{
  for (gsize i = 0; i < length; i++) {
    if (!g_ascii_isspace (data[i]))
      return FALSE;
  }
  return TRUE;
}

/* Integers with more digits than this may not fit in a gint64, and
 * json-glib wraps them around silently (99999999999999999999 reads as -1)
 * instead of failing. */
#define MAX_INTEGER_DIGITS 18

static gboolean
is_number_char (char c)
{
  return g_ascii_isdigit (c) || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

/* JSON's own whitespace (RFC 8259 §2), which is also all json-glib's
 * scanner skips. */
static gboolean
is_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* What json-glib lets through but we must not: nesting that would exhaust
 * the stack, and integers that would wrap.  The scan has to see the body
 * exactly as json-glib's scanner will, or a string it does not know hides
 * brackets from it: json-glib also reads '…' strings, // comments and
 * slash-star comments.  So this scan knows strict JSON only (RFC 8259: "…" strings,
 * numbers, words such as true, structural characters, JSON whitespace) and
 * refuses every other character outside a string: no client sends them,
 * and whatever passes is read the same way by both. */
static gboolean
check_structure (const char *data,
                 gsize       length,
                 GError    **error)
{
  guint depth = 0;
  gsize i = 0;

  while (i < length) {
    char c = data[i];

    if (c == '"') {
      for (i++; i < length && data[i] != '"'; i++) {
        if (data[i] == '\\')
          i++;
      }
      i++;
      continue;
    }

    if (c == '-' || g_ascii_isdigit (c)) {
      guint digits = 0;
      gboolean is_float = FALSE;

      for (; i < length && is_number_char (data[i]); i++) {
        if (g_ascii_isdigit (data[i]))
          digits++;
        else if (data[i] != '-' && data[i] != '+')
          is_float = TRUE;
      }
      if (!is_float && digits > MAX_INTEGER_DIGITS) {
        g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                             _("Malformed JSON: integer out of range"));
        return FALSE;
      }
      continue;
    }

    if (c == '[' || c == '{') {
      if (++depth > MAX_NESTING_DEPTH) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                     _("Malformed JSON: nested deeper than %d levels"),
                     MAX_NESTING_DEPTH);
        return FALSE;
      }
    } else if (c == ']' || c == '}') {
      if (depth > 0)
        depth--;
    } else if (c != ',' && c != ':' && !is_json_space (c) && !g_ascii_isalpha (c)) {
      /* A quote, a comment, anything else json-glib might read as the
       * start of something that hides what follows. */
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("Malformed JSON: unexpected character at byte %llu"),
                   (unsigned long long) i);
      return FALSE;
    }
    i++;
  }
  return TRUE;
}

JsonObject *
sipcast_json_parse_body (const char *body,
                         gsize       length,
                         GError    **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) parse_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (body != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length == 0 || is_blank (body, length))
    return json_object_new ();

  /* Also rejects embedded NULs, which json-glib would silently stop at. */
  if (!g_utf8_validate (body, length, NULL)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                         _("Malformed JSON: the body is not valid UTF-8"));
    return NULL;
  }

  if (!check_structure (body, length, error))
    return NULL;

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, body, (gssize) length, &parse_error)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("Malformed JSON: %s"), parse_error->message);
    return NULL;
  }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                         _("The request body must be a JSON object"));
    return NULL;
  }

  return json_object_ref (json_node_get_object (root));
}

/* NULL when the member is absent or JSON null: both mean "not given". */
static JsonNode *
get_member (JsonObject *obj,
            const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

static gboolean
node_holds (JsonNode *node,
            GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* A present value replaces (and frees) what *out held, so callers can
 * pre-set a heap-allocated default. */
gboolean
sipcast_json_get_string (JsonObject *obj,
                         const char *name,
                         char      **out,
                         GError    **error)
{
  JsonNode *node;

  g_return_val_if_fail (obj != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  node = get_member (obj, name);
  if (node == NULL)
    return TRUE;

  if (node_holds (node, G_TYPE_STRING)) {
    g_free (*out);
    *out = g_strdup (json_node_get_string (node));
    return TRUE;
  }

  /* Clients send "callee": 1000; a float or a boolean is a mistake. */
  if (node_holds (node, G_TYPE_INT64)) {
    g_free (*out);
    *out = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    return TRUE;
  }

  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
               _("Field “%s” must be a string"), name);
  return FALSE;
}

gboolean
sipcast_json_get_boolean (JsonObject *obj,
                          const char *name,
                          gboolean   *out,
                          GError    **error)
{
  JsonNode *node;

  g_return_val_if_fail (obj != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  node = get_member (obj, name);
  if (node == NULL)
    return TRUE;

  if (node_holds (node, G_TYPE_BOOLEAN)) {
    *out = json_node_get_boolean (node);
    return TRUE;
  }

  /* The reference examples send "hasAudio": "true". */
  if (node_holds (node, G_TYPE_STRING)) {
    const char *str = json_node_get_string (node);

    if (g_ascii_strcasecmp (str, "true") == 0) {
      *out = TRUE;
      return TRUE;
    }
    if (g_ascii_strcasecmp (str, "false") == 0) {
      *out = FALSE;
      return TRUE;
    }
  }

  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
               _("Field “%s” must be true or false"), name);
  return FALSE;
}

gboolean
sipcast_json_get_uint (JsonObject *obj,
                       const char *name,
                       guint       min,
                       guint       max,
                       guint      *out,
                       GError    **error)
{
  JsonNode *node;
  guint64 value;

  g_return_val_if_fail (obj != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (min <= max, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  node = get_member (obj, name);
  if (node == NULL)
    return TRUE;

  if (node_holds (node, G_TYPE_INT64)) {
    gint64 v = json_node_get_int (node);

    if (v < (gint64) min || v > (gint64) max)
      goto out_of_range;
    value = (guint64) v;
  } else if (node_holds (node, G_TYPE_STRING)) {
    /* g_ascii_string_to_unsigned() refuses signs, spaces and trailing
     * garbage, which is what we want for "sipPort": "5060". */
    if (!g_ascii_string_to_unsigned (json_node_get_string (node), 10,
                                     0, G_MAXUINT64, &value, NULL))
      goto wrong_type;
    if (value < min || value > max)
      goto out_of_range;
  } else {
    goto wrong_type;
  }

  *out = (guint) value;
  return TRUE;

wrong_type:
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
               _("Field “%s” must be a whole number"), name);
  return FALSE;

out_of_range:
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
               _("Field “%s” must be between %u and %u"), name, min, max);
  return FALSE;
}

/* Optional string that ends up in SIP headers or pipeline descriptions:
 * WCS clients send "" for "not set", and a control character (CR, LF) is
 * never legitimate there. */
static gboolean
read_text_field (JsonObject *obj,
                 const char *name,
                 char      **out,
                 GError    **error)
{
  g_autofree char *value = NULL;

  if (!sipcast_json_get_string (obj, name, &value, error))
    return FALSE;

  if (value == NULL || *value == '\0')
    return TRUE;

  for (const char *p = value; *p != '\0'; p++) {
    if (g_ascii_iscntrl (*p)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("Field “%s” must not contain control characters"), name);
      return FALSE;
    }
  }

  g_free (*out);
  *out = g_steal_pointer (&value);
  return TRUE;
}

/* Where a call's events may be POSTed: an absolute http(s) URL. */
static gboolean
hook_url_is_valid (const char *url)
{
  g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return uri != NULL && g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0' &&
         (g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0 ||
          g_ascii_strcasecmp (g_uri_get_scheme (uri), "https") == 0);
}

static gboolean
call_id_is_valid (const char *call_id)
{
  gsize length = strlen (call_id);

  if (length == 0 || length > MAX_CALL_ID_LENGTH)
    return FALSE;

  /* Printable ASCII without spaces: safe in a SIP Call-ID, a stream name
   * and a log line. */
  for (gsize i = 0; i < length; i++) {
    if (!g_ascii_isgraph (call_id[i]))
      return FALSE;
  }
  return TRUE;
}

SipcastCallParams *
sipcast_call_params_from_json (JsonObject *obj,
                               const char *generated_id,
                               GError    **error)
{
  g_autoptr (SipcastCallParams) params = NULL;
  g_autofree char *call_id = NULL;
  static const struct {
    const char *name;
    gsize offset;
  } text_fields[] = {
    { "callee", G_STRUCT_OFFSET (SipcastCallParams, callee) },
    { "toStream", G_STRUCT_OFFSET (SipcastCallParams, to_stream) },
    { "rtmpUrl", G_STRUCT_OFFSET (SipcastCallParams, rtmp_url) },
    { "rtmpStream", G_STRUCT_OFFSET (SipcastCallParams, rtmp_stream) },
    { "sipLogin", G_STRUCT_OFFSET (SipcastCallParams, sip_login) },
    { "sipAuthenticationName", G_STRUCT_OFFSET (SipcastCallParams, sip_auth_name) },
    { "sipPassword", G_STRUCT_OFFSET (SipcastCallParams, sip_password) },
    { "sipDomain", G_STRUCT_OFFSET (SipcastCallParams, sip_domain) },
    { "sipOutboundProxy", G_STRUCT_OFFSET (SipcastCallParams, sip_outbound_proxy) },
    { "appKey", G_STRUCT_OFFSET (SipcastCallParams, app_key) },
    { "visibleName", G_STRUCT_OFFSET (SipcastCallParams, visible_name) },
    { "hookUrl", G_STRUCT_OFFSET (SipcastCallParams, hook_url) },
    { "placeholderVideo", G_STRUCT_OFFSET (SipcastCallParams, placeholder_video) },
  };

  g_return_val_if_fail (obj != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  params = g_new0 (SipcastCallParams, 1);
  params->has_audio = TRUE;
  params->has_video = FALSE;
  params->sip_port = 0;  /* not given: see sipcast-sip-address.h */
  params->sip_register_required = FALSE;

  /* callId is checked as given, not trimmed: a client that finds the call
   * later must be able to use exactly the string it sent. */
  if (!sipcast_json_get_string (obj, "callId", &call_id, error))
    return NULL;
  if (call_id == NULL)
    call_id = g_strdup (generated_id);
  if (call_id == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD,
                         _("callId is required"));
    return NULL;
  }
  if (!call_id_is_valid (call_id)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("callId must be 1 to %d printable characters without spaces"),
                 MAX_CALL_ID_LENGTH);
    return NULL;
  }
  params->call_id = g_steal_pointer (&call_id);

  for (guint i = 0; i < G_N_ELEMENTS (text_fields); i++) {
    char **field = G_STRUCT_MEMBER_P (params, text_fields[i].offset);

    if (!read_text_field (obj, text_fields[i].name, field, error))
      return NULL;
  }

  if (!sipcast_json_get_boolean (obj, "hasAudio", &params->has_audio, error) ||
      !sipcast_json_get_boolean (obj, "hasVideo", &params->has_video, error) ||
      !sipcast_json_get_boolean (obj, "sipRegisterRequired",
                                 &params->sip_register_required, error) ||
      !sipcast_json_get_uint (obj, "sipPort", 1, 65535, &params->sip_port, error))
    return NULL;

  params->srtp = -1;
  {
    g_autofree char *srtp = NULL;
    SipcastSrtpMode mode;

    if (!sipcast_json_get_string (obj, "srtp", &srtp, error))
      return NULL;
    if (srtp != NULL) {
      if (!sipcast_srtp_mode_from_string (srtp, &mode)) {
        g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                             _("srtp must be off, optional or mandatory"));
        return NULL;
      }
      params->srtp = (int) mode;
    }
  }

  if (params->callee == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD,
                         _("callee is required"));
    return NULL;
  }

  if (params->hook_url != NULL && !hook_url_is_valid (params->hook_url)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                         _("hookUrl must be an http:// or https:// URL"));
    return NULL;
  }

  if (params->sip_domain == NULL && !sipcast_call_params_callee_is_uri (params->callee)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD,
                         _("sipDomain is required unless callee is a sip: or sips: URI"));
    return NULL;
  }

  if (params->to_stream == NULL)
    params->to_stream = g_strdup (params->call_id);

  if (params->sip_auth_name == NULL)
    params->sip_auth_name = g_strdup (params->sip_login);

  return g_steal_pointer (&params);
}

void
sipcast_json_add_string_or_null (JsonBuilder *builder,
                                 const char  *name,
                                 const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_null (JsonBuilder *builder,
          const char  *name)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_null_value (builder);
}

static void
add_boolean (JsonBuilder *builder,
             const char  *name,
             gboolean     value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

char *
sipcast_json_format_timestamp (gint64 usec_since_epoch)
{
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char *seconds = NULL;

  dt = g_date_time_new_from_unix_utc (usec_since_epoch / G_USEC_PER_SEC);
  if (dt == NULL)
    return NULL;

  seconds = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf ("%s.%03dZ", seconds,
                          (int) ((usec_since_epoch % G_USEC_PER_SEC) / 1000));
}

/* [cluster] node-id, set once at start; NULL for a node on its own. */
static char *node_id;

void
sipcast_json_set_node_id (const char *id)
{
  g_free (node_id);
  node_id = g_strdup (id);
}

JsonNode *
sipcast_call_to_json (SipcastCall *call)
{
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *started_at = NULL;
  const SipcastCallParams *params;
  guint sip_status;
  int width = 0, height = 0;
  gboolean has_size;

  g_return_val_if_fail (SIPCAST_IS_CALL (call), NULL);

  params = sipcast_call_get_params (call);
  sip_status = sipcast_call_get_sip_status (call);
  started_at = sipcast_json_format_timestamp (sipcast_call_get_created_at (call));

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  /* The reference keys, in the reference order.  Clients index into this
   * object by name, but some compare whole objects, so the order is part
   * of the contract too. */
  json_builder_set_member_name (builder, "custom");
  json_builder_begin_object (builder);
  json_builder_end_object (builder);
  sipcast_json_add_string_or_null (builder, "nodeId", node_id);
  sipcast_json_add_string_or_null (builder, "appKey", params->app_key);
  add_null (builder, "sessionId");
  sipcast_json_add_string_or_null (builder, "callId", sipcast_call_get_id (call));
  add_null (builder, "parentCallId");
  add_boolean (builder, "incoming", sipcast_call_get_incoming (call));
  sipcast_json_add_string_or_null (builder, "status",
                      sipcast_call_status_to_string (sipcast_call_get_status (call)));
  json_builder_set_member_name (builder, "sipStatus");
  if (sip_status != 0)
    json_builder_add_int_value (builder, sip_status);
  else
    json_builder_add_null_value (builder);
  sipcast_json_add_string_or_null (builder, "rtmpUrl", params->rtmp_url);
  sipcast_json_add_string_or_null (builder, "rtmpStream", params->rtmp_stream);
  sipcast_json_add_string_or_null (builder, "streamName", params->to_stream);
  sipcast_json_add_string_or_null (builder, "rtmpStreamStatus",
                      sipcast_rtmp_status_to_string (sipcast_call_get_rtmp_status (call)));
  sipcast_json_add_string_or_null (builder, "caller", sipcast_call_get_caller (call));
  sipcast_json_add_string_or_null (builder, "callee", sipcast_call_get_callee (call));
  add_boolean (builder, "hasAudio", params->has_audio);
  add_boolean (builder, "hasVideo", params->has_video);
  sipcast_json_add_string_or_null (builder, "sdp", sipcast_call_get_remote_sdp (call));
  sipcast_json_add_string_or_null (builder, "visibleName", params->visible_name);
  add_null (builder, "inviteParameters");
  sipcast_json_add_string_or_null (builder, "mediaProvider", "SIP");
  add_null (builder, "sipMessageRaw");
  add_boolean (builder, "isMsrp", FALSE);
  add_null (builder, "target");
  add_boolean (builder, "holdForTransfer", FALSE);

  /* sipcast's own keys: only ever appended (SPEC.md "Call object"). */
  sipcast_json_add_string_or_null (builder, "statusInfo", sipcast_call_get_status_info (call));
  sipcast_json_add_string_or_null (builder, "audioCodec", sipcast_call_get_audio_codec (call));
  sipcast_json_add_string_or_null (builder, "startedAt", started_at);
  sipcast_json_add_string_or_null (builder, "rtmpStreamStatusInfo",
                                   sipcast_call_get_rtmp_status_info (call));
  sipcast_json_add_string_or_null (builder, "videoCodec", sipcast_call_get_video_codec (call));
  /* The published video's size, null until the first picture; it
   * follows the far end's resolution changes. */
  has_size = sipcast_call_get_video_size (call, &width, &height);
  json_builder_set_member_name (builder, "width");
  if (has_size)
    json_builder_add_int_value (builder, width);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "height");
  if (has_size)
    json_builder_add_int_value (builder, height);
  else
    json_builder_add_null_value (builder);
  /* RFC 4733 digits the far end sent, in order. */
  sipcast_json_add_string_or_null (builder, "dtmfReceived", sipcast_call_get_dtmf_received (call));

  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

char *
sipcast_json_error_body (const char *code_name,
                         const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *valid_message = NULL;

  /* Messages may quote what a client sent (a path, a value); the body we
   * send back must still be valid JSON. */
  valid_message = g_utf8_make_valid (message != NULL ? message : "", -1);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, code_name != NULL ? code_name : "internal");
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, valid_message);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

JsonNode *
sipcast_push_to_json (SipcastPush *push)
{
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *started_at = NULL;
  const char *options;
  guint width = 0, height = 0;

  g_return_val_if_fail (SIPCAST_IS_PUSH (push), NULL);

  started_at = sipcast_json_format_timestamp (sipcast_push_get_created_at (push));
  sipcast_push_get_video_size (push, &width, &height);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  /* The reference's keys in its order, then sipcast's. */
  sipcast_json_add_string_or_null (builder, "mediaSessionId", sipcast_push_get_id (push));
  sipcast_json_add_string_or_null (builder, "streamName", sipcast_push_get_published_name (push));
  sipcast_json_add_string_or_null (builder, "rtmpUrl", sipcast_push_get_rtmp_url (push));
  json_builder_set_member_name (builder, "width");
  json_builder_add_int_value (builder, width);
  json_builder_set_member_name (builder, "height");
  json_builder_add_int_value (builder, height);
  json_builder_set_member_name (builder, "muted");
  json_builder_add_boolean_value (builder, sipcast_push_get_muted (push));
  json_builder_set_member_name (builder, "soundEnabled");
  json_builder_add_boolean_value (builder, sipcast_push_get_sound_enabled (push));
  json_builder_set_member_name (builder, "options");
  options = sipcast_push_get_options (push);
  {
    g_autoptr (JsonNode) parsed = options != NULL ? json_from_string (options, NULL) : NULL;

    if (parsed != NULL && JSON_NODE_HOLDS_OBJECT (parsed)) {
      json_builder_add_value (builder, g_steal_pointer (&parsed));
    } else {
      json_builder_begin_object (builder);
      json_builder_end_object (builder);
    }
  }
  sipcast_json_add_string_or_null (builder, "status",
                                   sipcast_rtmp_status_to_string (sipcast_push_get_status (push)));
  sipcast_json_add_string_or_null (builder, "rtmpStream", sipcast_push_get_rtmp_stream (push));
  sipcast_json_add_string_or_null (builder, "sourceStreamName", sipcast_push_get_stream_name (push));
  sipcast_json_add_string_or_null (builder, "callId", sipcast_push_get_call_id (push));
  sipcast_json_add_string_or_null (builder, "startedAt", started_at);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

gboolean
sipcast_json_merge_connection (JsonObject *body,
                               GError    **error)
{
  JsonNode *node;
  JsonObject *connection;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  g_return_val_if_fail (body != NULL, FALSE);

  node = json_object_get_member (body, "connection");
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("Field “%s” must be an object"), "connection");
    return FALSE;
  }

  /* Held while its members are copied: removing "connection" from @body
   * would otherwise free them. */
  connection = json_object_ref (json_node_get_object (node));
  json_object_iter_init (&iter, connection);
  while (json_object_iter_next (&iter, &name, &value)) {
    if (g_str_equal (name, "connection"))
      continue;
    /* A field given at the top level wins over the nested one. */
    if (!json_object_has_member (body, name))
      json_object_set_member (body, name, json_node_copy (value));
  }
  json_object_remove_member (body, "connection");
  json_object_unref (connection);
  return TRUE;
}

char *
sipcast_json_require_string (JsonObject  *body,
                             const char  *name,
                             GError     **error)
{
  g_autofree char *value = NULL;

  if (!sipcast_json_get_string (body, name, &value, error))
    return NULL;
  if (value == NULL || *value == '\0') {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD,
                 _("%s is required"), name);
    return NULL;
  }
  return g_steal_pointer (&value);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for REST request bodies, read as the REST server reads
 * them: sipcast_json_parse_body(), then POST /call/startup's parameters
 * (sipcast_call_params_from_json()) and the SIP addresses and publish
 * target made from them, and the typed readers every other request uses
 * (callId, rtmpUrl, dtmf, loop, ...).  Whatever the bytes, each returns a
 * value or an error, without crashing or a critical (the stack overflow
 * of issue 19 was a body whose nesting json-glib saw and the pre-check
 * did not).
 */
#include "fuzz-common.h"

#include "sipcast-json.h"
#include "sipcast-publish-target.h"
#include "sipcast-sip-address.h"

static const char *const string_fields[] = {
  "callId", "callee", "rtmpUrl", "rtmpStream", "status", "dtmf", "type",
  "mediaSessionId", "streamName", "name", "password", "location",
};

static void
read_call_params (JsonObject *obj)
{
  g_autoptr (SipcastCallParams) params = NULL;
  g_autoptr (SipcastSipAddresses) addresses = NULL;
  g_autoptr (SipcastPublishTarget) target = NULL;

  params = sipcast_call_params_from_json (obj, "generated-id", NULL);
  if (params == NULL)
    return;
  addresses = sipcast_sip_addresses_new (params, "udp", "127.0.0.1", NULL);
  if (params->rtmp_url != NULL)
    target = sipcast_publish_target_new (params->rtmp_url, params->rtmp_stream, NULL);
  if (target != NULL)
    sipcast_publish_target_check_recordings_dir (target, "/var/lib/sipcast/recordings", NULL);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (JsonObject) obj = sipcast_json_parse_body ((const char *) data, size, NULL);
  gboolean flag;
  guint number;

  if (obj == NULL)
    return 0;

  read_call_params (obj);
  for (guint i = 0; i < G_N_ELEMENTS (string_fields); i++) {
    g_autofree char *value = NULL;

    sipcast_json_get_string (obj, string_fields[i], &value, NULL);
  }
  sipcast_json_get_boolean (obj, "loop", &flag, NULL);
  sipcast_json_get_boolean (obj, "hasVideo", &flag, NULL);
  sipcast_json_get_uint (obj, "sipPort", 1, 65535, &number, NULL);
  sipcast_json_get_uint (obj, "duration", 0, G_MAXUINT, &number, NULL);
  return 0;
}

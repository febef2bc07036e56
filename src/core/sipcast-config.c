/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-config"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-codec.h"
#include "sipcast-config.h"
#include "sipcast-profile.h"
#include "sipcast-placeholder.h"
#include "sipcast-error.h"
#include "sipcast-networks.h"
#include "sipcast-sdp-crypto.h"
#include "sipcast-route.h"
#include "sipcast-sip-address.h"

/*
 * Building the effective configuration: defaults, then the key file, then
 * the command line.
 *
 * Every setting is one row of config_keys[]: its group and key, how its
 * value is checked, and where it lives in SipcastConfig.  The key file
 * loader, the command-line options and sipcast_config_to_string() all go
 * through that table, so a key cannot be readable in one place and missing
 * from another, and a value is range-checked the same way wherever it comes
 * from.
 */

typedef enum {
  VALUE_STRING,      /* char *, non-empty */
  VALUE_BOOLEAN,     /* gboolean */
  VALUE_UINT,        /* guint in [min, max] */
  VALUE_SIZE,        /* gsize in [min, max] */
  VALUE_AAC_RATE,    /* guint, one of aac_rates[] */
  VALUE_PORT_RANGE,  /* rtp_port_min + rtp_port_max, "MIN-MAX" */
  VALUE_AUDIO_CODECS, /* char **, audio codec names, "A,B" or "A;B" */
  VALUE_X264_PRESET, /* char *, one of x264_presets[] */
  VALUE_OPTIONAL_STRING, /* char *, NULL when empty */
  VALUE_SIP_TRANSPORT, /* char *, "udp", "tcp" or "tls" */
  VALUE_NETWORKS,    /* char *, CIDR networks "a/n,b/m"; NULL when empty */
  VALUE_SRTP_MODE,   /* guint, a SipcastSrtpMode: "off", "optional", "mandatory" */
  VALUE_RTMP_AUDIO,  /* gboolean: "copy" TRUE, "aac" FALSE */
  VALUE_PROFILE,     /* char *, the name of a SipcastProfile */
} ValueType;

typedef struct {
  const char *group;
  const char *key;
  ValueType   type;
  gsize       offset;  /* of the field in SipcastConfig */
  guint64     min;
  guint64     max;
  const char *comment; /* one line, for sipcast_config_to_string() */
} ConfigKey;

#define FIELD(name) G_STRUCT_OFFSET (SipcastConfig, name)

static const ConfigKey config_keys[] = {
  { "rest", "address", VALUE_STRING, FIELD (rest_address), 0, 0,
    "Address the REST API listens on" },
  { "rest", "port", VALUE_UINT, FIELD (rest_port), 0, 65535,
    "Port of the REST API; 0 picks a free port and logs it" },
  { "rest", "production", VALUE_BOOLEAN, FIELD (production), 0, 0,
    "Require HTTP Basic auth on every REST request" },
  { "rest", "users-file", VALUE_STRING, FIELD (users_file), 0, 0,
    "Accounts for production mode (salted crypt(3) hashes)" },
  { "rest", "max-body-size", VALUE_SIZE, FIELD (max_body_size), 1024, 16 * 1024 * 1024,
    "Largest accepted request body in bytes; larger ones get 413" },
  { "rest", "idle-timeout", VALUE_UINT, FIELD (rest_idle_timeout), 1, 3600,
    "Seconds a connection may go without completing a request before it is closed" },
  { "rest", "allowed-origins", VALUE_OPTIONAL_STRING, FIELD (allowed_origins), 0, 0,
    "Browser origins (scheme://host:port, comma-separated) allowed besides the API's own" },
  { "rest", "allowed-hosts", VALUE_OPTIONAL_STRING, FIELD (allowed_hosts), 0, 0,
    "Host header names (comma-separated) accepted besides IP addresses and localhost" },
  { "rest", "tls-certificate", VALUE_OPTIONAL_STRING, FIELD (rest_tls_certificate), 0, 0,
    "PEM certificate (chain) of the REST API: set, it speaks HTTPS only; empty: plain HTTP" },
  { "rest", "tls-key", VALUE_OPTIONAL_STRING, FIELD (rest_tls_key), 0, 0,
    "PEM private key of tls-certificate; empty: the key is in the certificate file" },

  { "sip", "address", VALUE_STRING, FIELD (sip_address), 0, 0,
    "Address the SIP agent listens on (UDP, TCP and TLS)" },
  { "sip", "public-address", VALUE_OPTIONAL_STRING, FIELD (sip_public_address), 0, 0,
    "Address peers reach sipcast at (NAT), put in Contact and SDP; empty: the SIP address" },
  { "sip", "port", VALUE_UINT, FIELD (sip_port), 0, 65535,
    "SIP port; 0 picks a free port and logs it" },
  { "sip", "user-agent", VALUE_STRING, FIELD (user_agent), 0, 0,
    "User-Agent header of outgoing requests" },
  { "sip", "no-answer-timeout", VALUE_UINT, FIELD (no_answer_timeout), 1, 3600,
    "Seconds before an unanswered INVITE is cancelled" },
  { "sip", "transport", VALUE_SIP_TRANSPORT, FIELD (sip_transport), 0, 0,
    "Transport toward sipDomain or the proxy when they name none: udp, tcp or tls" },
  { "sip", "transaction-timeout", VALUE_UINT, FIELD (transaction_timeout), 500, 600000,
    "Milliseconds a SIP request (INVITE, REGISTER, BYE...) waits for an answer (T1x64)" },
  { "sip", "register-expires", VALUE_UINT, FIELD (register_expires), 10, 86400,
    "Seconds of registration asked for when sipRegisterRequired is true" },
  { "sip", "tls-port", VALUE_UINT, FIELD (tls_port), 0, 65535,
    "SIP over TLS port; 0 is the SIP port + 1" },
  { "sip", "tls-certificate-dir", VALUE_OPTIONAL_STRING, FIELD (tls_certificate_dir), 0, 0,
    "Directory with agent.pem, sipcast's own TLS certificate and key; empty: none" },
  { "sip", "tls-ca-file", VALUE_STRING, FIELD (tls_ca_file), 0, 0,
    "PEM file of the CAs a TLS peer's certificate must be signed by" },
  { "sip", "tls-verify", VALUE_BOOLEAN, FIELD (tls_verify), 0, 0,
    "Refuse TLS peers whose certificate the CA file does not vouch for" },
  { "sip", "max-incoming-per-source", VALUE_UINT, FIELD (max_incoming_per_source), 0, 100000,
    "Live incoming calls one source address may have at once (503 beyond); 0 = no limit" },
  { "sip", "max-requests-per-second", VALUE_UINT, FIELD (max_requests_per_second), 0, 100000,
    "SIP requests a second one source address may send outside calls (503 beyond); 0 = no limit" },
  { "sip", "trusted-networks", VALUE_NETWORKS, FIELD (trusted_networks), 0, 0,
    "Networks (CIDR, comma-separated) incoming calls may come from (403 otherwise); empty: any" },

  { "rtp", "ports", VALUE_PORT_RANGE, FIELD (rtp_port_min), 1024, 65535,
    "Local RTP ports MIN-MAX: even ports for RTP, odd for RTCP" },
  { "rtp", "jitterbuffer-latency", VALUE_UINT, FIELD (jitterbuffer_latency), 0, 10000,
    "Jitter buffer latency in milliseconds" },
  { "rtp", "timeout", VALUE_UINT, FIELD (rtp_timeout), 0, 3600,
    "Seconds without RTP from the far end before the call is hung up; 0 = never" },
  { "rtp", "symmetric", VALUE_BOOLEAN, FIELD (symmetric_rtp), 0, 0,
    "Send RTP to the address the far end's RTP comes from, not the one its SDP names" },
  { "rtp", "first-rtp-timeout", VALUE_UINT, FIELD (first_rtp_timeout), 0, 3600,
    "Seconds an answered incoming call may go without the caller's audio before it is hung up; 0 = never" },

  { "media", "aac-rate", VALUE_AAC_RATE, FIELD (aac_rate), 0, 0,
    "Sample rate of the AAC audio published over RTMP, in Hz" },
  { "media", "aac-channels", VALUE_UINT, FIELD (aac_channels), 1, 2,
    "Channels of the AAC audio: 1 or 2" },
  { "media", "aac-bitrate", VALUE_UINT, FIELD (aac_bitrate), 8000, 320000,
    "Bit rate of the AAC audio in bit/s" },
  { "media", "audio-codecs", VALUE_AUDIO_CODECS, FIELD (audio_codecs), 0, 0,
    "Audio codecs offered to the SIP party, in order; telephone-event is always added" },
  { "media", "rtmp-audio", VALUE_RTMP_AUDIO, FIELD (rtmp_audio_copy), 0, 0,
    "Audio published over RTMP: aac (encoded), or copy (G.711 calls put into FLV as they are)" },
  { "media", "video-encoder-preset", VALUE_X264_PRESET, FIELD (video_encoder_preset), 0, 0,
    "x264 speed preset of the H.264 encoding of VP8 video" },
  { "media", "video-bitrate", VALUE_UINT, FIELD (video_bitrate), 50, 20000,
    "Bit rate of the H.264 encoding of VP8 video in kbit/s" },
  { "media", "srtp", VALUE_SRTP_MODE, FIELD (srtp), 0, 0,
    "SRTP (SDES keys) on outgoing calls: off, optional (offered, plain accepted) or mandatory" },
  { "media", "sounds-dir", VALUE_STRING, FIELD (sounds_dir), 0, 0,
    "Directory /call/inject_sound takes file names from" },
  { "media", "placeholder-video", VALUE_STRING, FIELD (placeholder_video), 0, 0,
    "Video published for calls that send none: none, card, or an image of placeholder-dir" },
  { "media", "placeholder-dir", VALUE_STRING, FIELD (placeholder_dir), 0, 0,
    "Directory placeholder-video and placeholderVideo take image names from" },
  { "media", "recordings-dir", VALUE_STRING, FIELD (recordings_dir), 0, 0,
    "Directory file:// targets must lie in (created if missing; never overwritten, no symlinks)" },

  { "calls", "ended-call-ttl", VALUE_UINT, FIELD (ended_call_ttl), 0, 86400,
    "Seconds an ended call (BUSY, FINISH, FAILED) stays findable" },

  { "rtmp", "retry-budget", VALUE_UINT, FIELD (rtmp_retry_budget), 0, 3600,
    "Seconds a call's RTMP stream keeps reconnecting without success before RTMP_CONNECTION_FAILED" },
  { "rtmp", "tls-ca-file", VALUE_OPTIONAL_STRING, FIELD (rtmp_tls_ca_file), 0, 0,
    "PEM file of the CAs an rtmps:// server's certificate must be signed by; empty: the system's" },
  { "rtmp", "tls-verify", VALUE_BOOLEAN, FIELD (rtmp_tls_verify), 0, 0,
    "Refuse rtmps:// servers whose certificate does not verify (issuer, name, dates)" },
  { "rtmp", "profile", VALUE_PROFILE, FIELD (rtmp_profile), 0, 0,
    "Platform settings: default ([media] aac-*), youtube, twitch or facebook (AAC, key frames)" },

  { "push", "retry-budget", VALUE_UINT, FIELD (push_retry_budget), 0, 3600,
    "Seconds a /push keeps reconnecting without success before RTMP_CONNECTION_FAILED" },

  { "webrtc", "stun-server", VALUE_OPTIONAL_STRING, FIELD (webrtc_stun_server), 0, 0,
    "STUN server (host:port) WHEP viewers' ICE asks for a public address; empty: host candidates only" },

  { "events", "backlog", VALUE_UINT, FIELD (events_backlog), 0, 1000000,
    "Events kept for clients resuming GET /rest-api/events with Last-Event-ID" },
  { "events", "max-pending", VALUE_SIZE, FIELD (events_max_pending), 1024, 64 * 1024 * 1024,
    "Bytes an event stream client may fall behind before it is disconnected" },
  { "events", "keep-alive", VALUE_UINT, FIELD (events_keep_alive), 1, 3600,
    "Seconds between keep-alive comments on an idle event stream" },

  { "hooks", "urls", VALUE_OPTIONAL_STRING, FIELD (hook_urls), 0, 0,
    "Webhook URLs (space- or comma-separated) every event is POSTed to as JSON" },
  { "hooks", "secret", VALUE_OPTIONAL_STRING, FIELD (hook_secret), 0, 0,
    "Shared secret: X-Sipcast-Signature: sha256=HMAC-SHA256 of the body; empty: unsigned" },
  { "hooks", "max-queue", VALUE_UINT, FIELD (hook_max_queue), 1, 1000000,
    "Events waiting for delivery per webhook URL; the oldest is dropped beyond" },
  { "hooks", "retries", VALUE_UINT, FIELD (hook_retries), 0, 100,
    "Attempts after the first before an event is given up" },
  { "hooks", "timeout", VALUE_UINT, FIELD (hook_timeout), 1, 600,
    "Seconds a webhook POST may take" },

  { "metrics", "require-auth", VALUE_BOOLEAN, FIELD (metrics_require_auth), 0, 0,
    "GET /metrics needs production mode's credentials too" },

  { "cluster", "redis-url", VALUE_OPTIONAL_STRING, FIELD (cluster_redis_url), 0, 0,
    "Redis shared by the nodes of a cluster, redis://[:PASSWORD@]HOST[:PORT][/DB]; empty: a node on its own" },
  { "cluster", "node-id", VALUE_OPTIONAL_STRING, FIELD (cluster_node_id), 0, 0,
    "This node's id in the cluster (no spaces or colons); empty: the host name" },
  { "cluster", "advertise-url", VALUE_OPTIONAL_STRING, FIELD (cluster_advertise_url), 0, 0,
    "REST base URL the other nodes reach this one at (http://HOST:PORT/rest-api); empty: the REST address" },
  { "cluster", "max-calls", VALUE_UINT, FIELD (cluster_max_calls), 0, 1000000,
    "Live calls this node takes; more go to other nodes (503 to SIP); 0 = no limit" },
  { "cluster", "heartbeat-ttl", VALUE_UINT, FIELD (cluster_heartbeat_ttl), 1, 3600,
    "Seconds without a heartbeat after which the other nodes mark this node's calls FAILED" },
};

#undef FIELD

/* The sampling frequencies an AAC-LC stream can signal (ISO 14496-3)
 * between 8 and 48 kHz; FLV itself tags AAC as 44.1 kHz regardless, the
 * real rate travels in the AudioSpecificConfig. */
static const guint aac_rates[] = {
  8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000,
};

/* x264enc speed-preset names, fastest first (x264 --preset). */
static const char *const x264_presets[] = {
  "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
  "slower", "veryslow", "placebo",
};

#define FILE_COMMENT \
  " sipcast configuration (key file).  Command-line options override it.\n" \
  " See data/sipcast.conf for the annotated defaults."

static const ConfigKey *
find_key (const char *group,
          const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++) {
    if (g_str_equal (config_keys[i].group, group) &&
        (key == NULL || g_str_equal (config_keys[i].key, key)))
      return &config_keys[i];
  }
  return NULL;
}

static gboolean
parse_boolean (const char *value,
               gboolean   *out)
{
  /* The spellings GKeyFile itself accepts, plus any case. */
  if (g_ascii_strcasecmp (value, "true") == 0 || g_str_equal (value, "1")) {
    *out = TRUE;
    return TRUE;
  }
  if (g_ascii_strcasecmp (value, "false") == 0 || g_str_equal (value, "0")) {
    *out = FALSE;
    return TRUE;
  }
  return FALSE;
}

static gboolean
parse_unsigned (const char *value,
                guint64     min,
                guint64     max,
                guint64    *out,
                GError    **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!g_ascii_string_to_unsigned (value, 10, min, max, out, &local_error)) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                         local_error->message);
    return FALSE;
  }
  return TRUE;
}

/* "opus; PCMU," → { "OPUS", "PCMU", NULL }: the list checked against the
 * codec table and spelled as the table does.  Empty items are skipped, so
 * the trailing separator GKeyFile lists have is fine. */
static char **
parse_audio_codecs (const char *value,
                    GError    **error)
{
  g_auto (GStrv) items = g_strsplit_set (value, ",;", -1);
  g_autoptr (GStrvBuilder) requested = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) canonical = g_strv_builder_new ();
  g_auto (GStrv) names = NULL;
  g_autofree const SipcastCodec **codecs = NULL;

  for (guint i = 0; items[i] != NULL; i++) {
    if (*g_strstrip (items[i]) != '\0')
      g_strv_builder_add (requested, items[i]);
  }
  names = g_strv_builder_end (requested);

  codecs = sipcast_codec_list_ordered (SIPCAST_MEDIA_AUDIO,
                                       (const char *const *) names, error);
  if (codecs == NULL)
    return NULL;

  for (guint i = 0; codecs[i] != NULL; i++) {
    if (!sipcast_codec_is_auxiliary (codecs[i]))
      g_strv_builder_add (canonical, codecs[i]->encoding_name);
  }
  return g_strv_builder_end (canonical);
}

/* Parses @value for @def and stores it in @config.  The error message
 * says only what is wrong with the value; the caller says where it came
 * from. */
static gboolean
apply_value (SipcastConfig   *config,
             const ConfigKey *def,
             const char      *value,
             GError         **error)
{
  gpointer field = G_STRUCT_MEMBER_P (config, def->offset);
  guint64 number;

  switch (def->type) {
  case VALUE_STRING:
    if (*value == '\0') {
      g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                           _("must not be empty"));
      return FALSE;
    }
    g_free (*(char **) field);
    *(char **) field = g_strdup (value);
    return TRUE;

  case VALUE_OPTIONAL_STRING:
    g_free (*(char **) field);
    *(char **) field = *value != '\0' ? g_strdup (value) : NULL;
    return TRUE;

  case VALUE_NETWORKS: {
    g_autoptr (SipcastNetworks) networks = sipcast_networks_parse (value, error);

    if (networks == NULL)
      return FALSE;
    g_free (*(char **) field);
    *(char **) field = !sipcast_networks_is_empty (networks) ? g_strdup (value) : NULL;
    return TRUE;
  }

  case VALUE_SRTP_MODE: {
    SipcastSrtpMode mode;

    if (!sipcast_srtp_mode_from_string (value, &mode)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("“%s” is not an SRTP mode (off, optional or mandatory)"), value);
      return FALSE;
    }
    *(guint *) field = mode;
    return TRUE;
  }

  case VALUE_SIP_TRANSPORT:
    if (sipcast_sip_transport_canonical (value) == NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("“%s” is not a SIP transport (udp, tcp or tls)"), value);
      return FALSE;
    }
    g_free (*(char **) field);
    *(char **) field = g_strdup (sipcast_sip_transport_canonical (value));
    return TRUE;

  case VALUE_BOOLEAN:
    if (!parse_boolean (value, (gboolean *) field)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("“%s” is not a boolean (true or false)"), value);
      return FALSE;
    }
    return TRUE;

  case VALUE_UINT:
    if (!parse_unsigned (value, def->min, def->max, &number, error))
      return FALSE;
    *(guint *) field = (guint) number;
    return TRUE;

  case VALUE_SIZE:
    if (!parse_unsigned (value, def->min, def->max, &number, error))
      return FALSE;
    *(gsize *) field = (gsize) number;
    return TRUE;

  case VALUE_AAC_RATE:
    if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &number, NULL)) {
      for (guint i = 0; i < G_N_ELEMENTS (aac_rates); i++) {
        if (number == aac_rates[i]) {
          *(guint *) field = (guint) number;
          return TRUE;
        }
      }
    }
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("“%s” is not an AAC sample rate (8000, 11025, 12000, 16000, "
                   "22050, 24000, 32000, 44100 or 48000)"), value);
    return FALSE;

  case VALUE_PORT_RANGE:
    return sipcast_config_parse_port_range (value, &config->rtp_port_min,
                                            &config->rtp_port_max, error);

  case VALUE_AUDIO_CODECS: {
    char **codecs = parse_audio_codecs (value, error);

    if (codecs == NULL)
      return FALSE;
    g_strfreev (*(char ***) field);
    *(char ***) field = codecs;
    return TRUE;
  }

  case VALUE_X264_PRESET:
    for (guint i = 0; i < G_N_ELEMENTS (x264_presets); i++) {
      if (g_str_equal (value, x264_presets[i])) {
        g_free (*(char **) field);
        *(char **) field = g_strdup (value);
        return TRUE;
      }
    }
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("“%s” is not an x264 speed preset (ultrafast, superfast, "
                   "veryfast, faster, fast, medium, slow, slower, veryslow or "
                   "placebo)"), value);
    return FALSE;

  case VALUE_PROFILE:
    if (sipcast_profile_find (value) == NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("“%s” is not a profile (default, youtube, twitch or facebook)"), value);
      return FALSE;
    }
    g_free (*(char **) field);
    *(char **) field = g_strdup (sipcast_profile_find (value)->name);
    return TRUE;

  case VALUE_RTMP_AUDIO:
    if (g_str_equal (value, "aac") || g_str_equal (value, "copy")) {
      *(gboolean *) field = g_str_equal (value, "copy");
      return TRUE;
    }
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("“%s” is neither aac nor copy"), value);
    return FALSE;
  }
  g_return_val_if_reached (FALSE);
}

static char *
value_to_string (const SipcastConfig *config,
                 const ConfigKey     *def)
{
  gconstpointer field = G_STRUCT_MEMBER_P (config, def->offset);

  switch (def->type) {
  case VALUE_STRING:
  case VALUE_X264_PRESET:
  case VALUE_SIP_TRANSPORT:
  case VALUE_PROFILE:
    return g_strdup (*(char *const *) field);
  case VALUE_OPTIONAL_STRING:
  case VALUE_NETWORKS:
    return g_strdup (*(char *const *) field ? *(char *const *) field : "");
  case VALUE_AUDIO_CODECS:
    return g_strjoinv (",", *(char **const *) field);
  case VALUE_BOOLEAN:
    return g_strdup (*(const gboolean *) field ? "true" : "false");
  case VALUE_RTMP_AUDIO:
    return g_strdup (*(const gboolean *) field ? "copy" : "aac");
  case VALUE_SRTP_MODE:
    return g_strdup (sipcast_srtp_mode_to_string (*(const guint *) field));
  case VALUE_UINT:
  case VALUE_AAC_RATE:
    return g_strdup_printf ("%u", *(const guint *) field);
  case VALUE_SIZE:
    return g_strdup_printf ("%" G_GSIZE_FORMAT, *(const gsize *) field);
  case VALUE_PORT_RANGE:
    return g_strdup_printf ("%u-%u", config->rtp_port_min, config->rtp_port_max);
  }
  g_return_val_if_reached (NULL);
}

static SipcastConfig *
config_copy (const SipcastConfig *config)
{
  SipcastConfig *copy = g_memdup2 (config, sizeof *config);

  /* Deep-copy what the key table says is allocated, so a new string key
   * cannot be forgotten here (and then freed twice). */
  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++) {
    gpointer field = G_STRUCT_MEMBER_P (copy, config_keys[i].offset);

    switch (config_keys[i].type) {
    case VALUE_STRING:
    case VALUE_X264_PRESET:
    case VALUE_OPTIONAL_STRING:
    case VALUE_NETWORKS:
    case VALUE_SIP_TRANSPORT:
    case VALUE_PROFILE:
      *(char **) field = g_strdup (*(char **) field);
      break;
    case VALUE_AUDIO_CODECS:
      *(char ***) field = g_strdupv (*(char ***) field);
      break;
    case VALUE_BOOLEAN:
    case VALUE_SRTP_MODE:
    case VALUE_RTMP_AUDIO:
    case VALUE_UINT:
    case VALUE_SIZE:
    case VALUE_PORT_RANGE:
    case VALUE_AAC_RATE:
      break;
    }
  }
  copy->config_file = g_strdup (config->config_file);
  copy->routes = g_ptr_array_copy (config->routes, (GCopyFunc) sipcast_route_ref, NULL);
  copy->print_pipeline = g_strdup (config->print_pipeline);
  return copy;
}

/* Frees what @config's fields own (the key table says which), leaving
 * the struct itself. */
static void
config_clear_fields (SipcastConfig *config)
{
  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++) {
    gpointer field = G_STRUCT_MEMBER_P (config, config_keys[i].offset);

    switch (config_keys[i].type) {
    case VALUE_STRING:
    case VALUE_X264_PRESET:
    case VALUE_OPTIONAL_STRING:
    case VALUE_NETWORKS:
    case VALUE_SIP_TRANSPORT:
    case VALUE_PROFILE:
      g_clear_pointer ((char **) field, g_free);
      break;
    case VALUE_AUDIO_CODECS:
      g_clear_pointer ((char ***) field, g_strfreev);
      break;
    case VALUE_BOOLEAN:
    case VALUE_SRTP_MODE:
    case VALUE_RTMP_AUDIO:
    case VALUE_UINT:
    case VALUE_SIZE:
    case VALUE_PORT_RANGE:
    case VALUE_AAC_RATE:
      break;
    }
  }
  g_clear_pointer (&config->config_file, g_free);
  g_clear_pointer (&config->routes, g_ptr_array_unref);
  g_clear_pointer (&config->print_pipeline, g_free);
}

/* Moves everything from @src into @dest and frees @src. */
static void
config_take (SipcastConfig *dest,
             SipcastConfig *src)
{
  config_clear_fields (dest);
  *dest = *src;
  g_free (src);
}

SipcastConfig *
sipcast_config_new_default (void)
{
  SipcastConfig *config = g_new0 (SipcastConfig, 1);

  config->rest_address = g_strdup ("127.0.0.1");
  config->rest_port = 8081;
  config->production = FALSE;
  config->users_file = g_build_filename (g_get_user_config_dir (), "sipcast", "users", NULL);
  config->max_body_size = 65536;
  config->rest_idle_timeout = 60;

  config->sip_address = g_strdup ("127.0.0.1");
  config->sip_port = 5060;
  config->user_agent = g_strdup ("sipcast/" PACKAGE_VERSION);
  config->no_answer_timeout = 60;
  config->sip_transport = g_strdup ("udp");
  config->transaction_timeout = 32000;
  config->register_expires = 3600;
  config->tls_port = 0;
  config->tls_certificate_dir = NULL;
  config->tls_ca_file = g_strdup ("/etc/ssl/certs/ca-certificates.crt");
  config->tls_verify = TRUE;
  config->max_incoming_per_source = 10;
  config->max_requests_per_second = 50;

  config->rtp_port_min = 31000;
  config->rtp_port_max = 32999;
  config->jitterbuffer_latency = 80;
  config->rtp_timeout = 30;
  config->symmetric_rtp = TRUE;
  config->first_rtp_timeout = 10;

  config->aac_rate = 44100;
  config->aac_channels = 1;
  config->aac_bitrate = 64000;
  config->audio_codecs = g_strdupv ((char **) (const char *const[]) {
    "OPUS", "G722", "PCMU", "PCMA", NULL
  });
  config->video_encoder_preset = g_strdup ("veryfast");
  config->video_bitrate = 1000;
  config->sounds_dir = g_strdup (SIPCAST_DATADIR "/sounds");
  config->placeholder_video = g_strdup ("none");
  config->placeholder_dir = g_strdup (SIPCAST_DATADIR "/placeholders");
  config->recordings_dir = g_build_filename (g_get_user_data_dir (), "sipcast", "recordings",
                                             NULL);

  config->ended_call_ttl = 60;

  config->rtmp_retry_budget = 30;
  config->rtmp_profile = g_strdup ("default");
  config->rtmp_tls_verify = TRUE;
  config->push_retry_budget = 30;

  config->events_backlog = 1000;
  config->events_max_pending = 256 * 1024;
  config->events_keep_alive = 15;
  config->hook_max_queue = 1000;
  config->hook_retries = 5;
  config->hook_timeout = 10;
  config->metrics_require_auth = FALSE;
  config->cluster_heartbeat_ttl = 10;

  config->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) sipcast_route_unref);

  return config;
}

void
sipcast_config_free (SipcastConfig *config)
{
  if (config == NULL)
    return;
  config_clear_fields (config);
  g_free (config);
}

gboolean
sipcast_config_parse_port_range (const char *str,
                                 guint      *out_min,
                                 guint      *out_max,
                                 GError    **error)
{
  g_auto (GStrv) parts = NULL;
  guint64 min, max;

  g_return_val_if_fail (str != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  parts = g_strsplit (str, "-", -1);
  if (g_strv_length (parts) != 2) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("“%s” is not a port range MIN-MAX"), str);
    return FALSE;
  }
  if (!parse_unsigned (g_strstrip (parts[0]), 1024, 65535, &min, error) ||
      !parse_unsigned (g_strstrip (parts[1]), 1024, 65535, &max, error)) {
    g_prefix_error (error, _("Port range “%s”: "), str);
    return FALSE;
  }
  /* RTP on the even port, RTCP on the odd one above it (RFC 3550 §11). */
  if (min % 2 != 0) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Port range “%s”: the first port must be even"), str);
    return FALSE;
  }
  if (min >= max) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Port range “%s”: the first port must be below the last"), str);
    return FALSE;
  }

  *out_min = (guint) min;
  *out_max = (guint) max;
  return TRUE;
}

/* What @profile sets: AAC settings (unless it leaves them to [media]),
 * the key-frame interval. */
static void
apply_profile (SipcastConfig        *config,
               const SipcastProfile *profile)
{
  g_return_if_fail (profile != NULL);

  if (profile->aac_rate != 0) {
    config->aac_rate = profile->aac_rate;
    config->aac_channels = profile->aac_channels;
    config->aac_bitrate = profile->aac_bitrate;
  }
  config->key_frame_interval = profile->key_frame_interval;
  g_free (config->rtmp_profile);
  config->rtmp_profile = g_strdup (profile->name);
}

SipcastConfig *
sipcast_config_with_profile (const SipcastConfig  *config,
                             const SipcastProfile *profile)
{
  SipcastConfig *copy;

  g_return_val_if_fail (config != NULL && profile != NULL, NULL);

  copy = config_copy (config);
  apply_profile (copy, profile);
  return copy;
}

/* The placeholder pictures named must be there when the daemon starts,
 * not found missing by the first call. */
static gboolean
check_placeholders (const SipcastConfig  *config,
                    GError              **error)
{
  SipcastPlaceholderKind kind;

  if (!sipcast_placeholder_resolve (config->placeholder_dir, "[media] placeholder-video",
                                    config->placeholder_video, &kind, NULL, error))
    return FALSE;
  for (guint i = 0; i < config->routes->len; i++) {
    const SipcastRoute *route = g_ptr_array_index (config->routes, i);
    g_autofree char *field = NULL;

    if (route->placeholder_video == NULL)
      continue;
    field = g_strdup_printf ("[%s%s] placeholder-video", SIPCAST_ROUTE_GROUP_PREFIX, route->name);
    if (!sipcast_placeholder_resolve (config->placeholder_dir, field, route->placeholder_video,
                                      &kind, NULL, error))
      return FALSE;
  }
  return TRUE;
}

/* Applies the groups of @key_file, read from @path, to @config: all of
 * them or, on the first bad one, none. */
static gboolean
apply_key_file (SipcastConfig *config,
                GKeyFile      *key_file,
                const char    *path,
                GError       **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SipcastConfig) work = NULL;
  g_auto (GStrv) groups = NULL;
  gboolean routes_loaded = FALSE;
  SipcastRoute *route;

  /* Work on a copy so a bad key leaves @config as it was. */
  work = config_copy (config);

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++) {
    g_auto (GStrv) keys = NULL;

    if (g_str_has_prefix (groups[i], SIPCAST_ROUTE_GROUP_PREFIX)) {
      /* A file's routes replace the built-in (empty) list as a whole:
       * their order is their meaning. */
      if (!routes_loaded)
        g_ptr_array_set_size (work->routes, 0);
      routes_loaded = TRUE;
      route = sipcast_route_new_from_key_file (key_file, groups[i], error);
      if (route == NULL) {
        g_prefix_error (error, "%s: ", path);
        return FALSE;
      }
      g_ptr_array_add (work->routes, route);
      continue;
    }

    if (find_key (groups[i], NULL) == NULL) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("%s: unknown group [%s]"), path, groups[i]);
      return FALSE;
    }

    keys = g_key_file_get_keys (key_file, groups[i], NULL, NULL);
    for (guint j = 0; keys[j] != NULL; j++) {
      const ConfigKey *def = find_key (groups[i], keys[j]);
      g_autofree char *value = NULL;

      if (def == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                     _("%s: unknown key “%s” in group [%s]"),
                     path, keys[j], groups[i]);
        return FALSE;
      }

      /* get_string() undoes the key-file escapes (\s, \n, \\). */
      value = g_key_file_get_string (key_file, groups[i], keys[j], &local_error);
      if (value == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                     _("%s: [%s] %s: %s"), path, groups[i], keys[j],
                     local_error->message);
        return FALSE;
      }
      if (!apply_value (work, def, g_strstrip (value), error)) {
        g_prefix_error (error, _("%s: [%s] %s: "), path, groups[i], keys[j]);
        return FALSE;
      }
    }
  }
  /* After every key, so the profile's AAC settings win over [media]'s
   * wherever the keys stand in the file. */
  apply_profile (work, sipcast_profile_find (work->rtmp_profile));
  if (!check_placeholders (work, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }

  config_take (config, g_steal_pointer (&work));
  return TRUE;
}

gboolean
sipcast_config_load_file (SipcastConfig *config,
                          const char    *path,
                          GError       **error)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, &local_error)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Could not load configuration file %s: %s"),
                 path, local_error->message);
    return FALSE;
  }
  return apply_key_file (config, key_file, path, error);
}

gboolean
sipcast_config_load_data (SipcastConfig *config,
                          const char    *data,
                          gsize          length,
                          const char    *name,
                          GError       **error)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_key_file_load_from_data (key_file, data, length, G_KEY_FILE_NONE, &local_error)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Could not load configuration file %s: %s"),
                 name, local_error->message);
    return FALSE;
  }
  return apply_key_file (config, key_file, name, error);
}

/* ---- command line ---- */

/* What the command line said; NULL / FALSE for options not given, so that
 * only those override the file. */
typedef struct {
  char    *config_file;
  char    *rest_address;
  char    *rest_port;
  char    *sip_address;
  char    *sip_port;
  char    *rtp_ports;
  gboolean production;
  gboolean print_config;
  char    *print_pipeline;
  gboolean show_version;
  guint    verbosity;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->config_file);
  g_free (options->rest_address);
  g_free (options->rest_port);
  g_free (options->sip_address);
  g_free (options->sip_port);
  g_free (options->rtp_ports);
  g_free (options->print_pipeline);
}

static gboolean
count_verbose (const char *option_name,
               const char *value,
               gpointer    data,
               GError    **error)
{
  Options *options = data;

  options->verbosity++;
  return TRUE;
}

/* Applies one command-line option through its key-file row, so it gets
 * the same checks as the file. */
static gboolean
apply_option (SipcastConfig *config,
              const char    *option,
              const char    *group,
              const char    *key,
              const char    *value,
              GError       **error)
{
  const ConfigKey *def;

  if (value == NULL)
    return TRUE;

  def = find_key (group, key);
  g_assert (def != NULL);
  if (!apply_value (config, def, value, error)) {
    g_prefix_error (error, "--%s: ", option);
    return FALSE;
  }
  return TRUE;
}

SipcastConfig *
sipcast_config_new_from_args (int     *argc,
                              char  ***argv,
                              GError **error)
{
  Options options = { 0 };
  const GOptionEntry entries[] = {
    { "config", 'c', G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, &options.config_file,
      N_("Key-file configuration (defaults are built in)"), N_("FILE") },
    { "rest-address", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.rest_address,
      N_("Address of the REST API (default 127.0.0.1)"), N_("ADDR") },
    { "rest-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.rest_port,
      N_("Port of the REST API (default 8081, 0 = pick a free port)"), N_("PORT") },
    { "sip-address", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.sip_address,
      N_("Address of the SIP agent (default 127.0.0.1)"), N_("ADDR") },
    { "sip-port", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.sip_port,
      N_("SIP port (default 5060, 0 = pick a free port)"), N_("PORT") },
    { "rtp-ports", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.rtp_ports,
      N_("RTP port range (default 31000-32999; even ports for RTP, odd for RTCP)"),
      N_("MIN-MAX") },
    { "production", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &options.production,
      N_("Require HTTP Basic auth on every REST request"), NULL },
    { "print-config", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &options.print_config,
      N_("Print the effective configuration and exit"), NULL },
    { "print-pipeline", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, &options.print_pipeline,
      N_("Print the pipeline description KIND (audio-pcmu, video-vp8, …; \"list\" lists "
         "them) filled in from the configuration, and a gst-launch-1.0 line running it; exit"),
      N_("KIND") },
    { "verbose", 'v', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, (gpointer) count_verbose,
      N_("More logging (repeatable); GST_DEBUG still works"), NULL },
    { "version", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, &options.show_version,
      N_("Print the version and exit"), NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (SipcastConfig) config = NULL;
  GOptionGroup *group;
  gboolean ok;

  g_return_val_if_fail (argc != NULL && argv != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("SIP-to-RTMP media gateway."));
  /* The main group rather than add_main_entries(): the -v callback needs
   * @options as its user data. */
  group = g_option_group_new (NULL, NULL, NULL, &options, NULL);
  g_option_group_add_entries (group, entries);
  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_context_set_main_group (context, group);

  config = sipcast_config_new_default ();

  ok = g_option_context_parse (context, argc, argv, error);
  if (ok && options.config_file != NULL) {
    ok = sipcast_config_load_file (config, options.config_file, error);
    if (ok)
      config->config_file = g_strdup (options.config_file);
  }
  ok = ok &&
       apply_option (config, "rest-address", "rest", "address", options.rest_address, error) &&
       apply_option (config, "rest-port", "rest", "port", options.rest_port, error) &&
       apply_option (config, "sip-address", "sip", "address", options.sip_address, error) &&
       apply_option (config, "sip-port", "sip", "port", options.sip_port, error) &&
       apply_option (config, "rtp-ports", "rtp", "ports", options.rtp_ports, error) &&
       apply_option (config, "production", "rest", "production",
                     options.production ? "true" : NULL, error);

  config->print_pipeline = g_steal_pointer (&options.print_pipeline);
  options_clear (&options);
  if (!ok)
    return NULL;

  config->print_config = options.print_config;
  config->show_version = options.show_version;
  config->verbosity = options.verbosity;
  return g_steal_pointer (&config);
}

char *
sipcast_config_to_string (const SipcastConfig *config)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();

  g_return_val_if_fail (config != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (config_keys); i++) {
    const ConfigKey *def = &config_keys[i];
    g_autofree char *value = value_to_string (config, def);
    g_autofree char *comment = g_strconcat (" ", def->comment, NULL);

    /* set_string() escapes what the key-file syntax needs escaped, so the
     * output loads back to the same values. */
    g_key_file_set_string (key_file, def->group, def->key, value);
    g_key_file_set_comment (key_file, def->group, def->key, comment, NULL);
  }
  for (guint i = 0; i < config->routes->len; i++)
    sipcast_route_to_key_file (g_ptr_array_index (config->routes, i), key_file);
  /* Only possible once the first group exists: it goes above it. */
  g_key_file_set_comment (key_file, NULL, NULL, FILE_COMMENT, NULL);

  return g_key_file_to_data (key_file, NULL, NULL);
}

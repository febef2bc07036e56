/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's effective configuration: built-in defaults, overridden by a
 * key file (-c FILE, see data/sipcast.conf), overridden by the command line
 * (SPEC.md "Daemon command line").  A plain struct: it is read everywhere
 * and written only while starting.
 */

#include "sipcast-profile.h"
#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  /* [rest] */
  char    *rest_address;          /* "127.0.0.1" */
  guint    rest_port;             /* 8081; 0 = pick a free port */
  gboolean production;            /* FALSE */
  char    *users_file;            /* g_get_user_config_dir()/sipcast/users */
  gsize    max_body_size;         /* 65536 bytes */
  guint    rest_idle_timeout;     /* seconds a connection has to complete a request; 60 */
  char    *allowed_origins;       /* browser origins besides our own, "a,b"; NULL */
  char    *allowed_hosts;         /* Host names besides IP literals and localhost; NULL */
  char    *rest_tls_certificate;  /* PEM file: HTTPS instead of HTTP; NULL */
  char    *rest_tls_key;          /* its key; NULL = in the certificate file */

  /* [sip] */
  char    *sip_address;           /* "127.0.0.1" */
  char    *sip_public_address;    /* what peers reach us at behind NAT; NULL = sip_address */
  guint    sip_port;              /* 5060; 0 = pick a free port */
  char    *user_agent;            /* "sipcast/VERSION" */
  guint    no_answer_timeout;     /* seconds before an unanswered INVITE is cancelled; 60 */
  char    *sip_transport;         /* "udp", "tcp" or "tls": toward domain/proxy unless they say */
  guint    transaction_timeout;   /* ms a SIP transaction waits for an answer (T1x64); 32000 */
  guint    register_expires;      /* seconds asked for in REGISTER; 3600 */
  guint    tls_port;              /* TLS listening port; 0 = SIP port + 1 */
  char    *tls_certificate_dir;   /* our agent.pem (certificate + key); NULL = none */
  char    *tls_ca_file;           /* CAs a TLS peer's certificate must chain to */
  gboolean tls_verify;            /* check the TLS peer's certificate; TRUE */
  guint    max_incoming_per_source; /* live incoming calls from one address; 10, 0 = no limit */
  guint    max_requests_per_second; /* out-of-dialog requests a second per source; 50, 0 = off */
  char    *trusted_networks;      /* CIDR list incoming calls may come from; NULL = any */

  /* [rtp] */
  guint    rtp_port_min;          /* 31000, even */
  guint    rtp_port_max;          /* 32999 */
  guint    jitterbuffer_latency;  /* ms, 80 */
  guint    rtp_timeout;           /* seconds without RTP before an established call
                                   * is hung up ("Failed by RTP activity"); 30, 0 = off */
  gboolean symmetric_rtp;         /* send RTP to where the far end's RTP comes from
                                   * (NAT latching); TRUE */
  guint    first_rtp_timeout;     /* seconds an answered incoming call may go
                                   * without the caller's audio; 10, 0 = off */

  /* [media] */
  guint    aac_rate;              /* 44100 */
  guint    aac_channels;          /* 1 */
  guint    aac_bitrate;           /* 64000 bit/s */
  /* SIP-side audio codecs in offer order, encoding names as in
   * sipcast-codec.h ("OPUS", "G722", "PCMU", "PCMA"); telephone-event is
   * not listed, sipcast_codec_list_ordered() appends it. */
  char   **audio_codecs;
  gboolean rtmp_audio_copy;       /* rtmp-audio=copy: G.711 into FLV as is; FALSE (aac) */
  char    *video_encoder_preset;  /* x264 speed-preset for VP8 → H.264; "veryfast" */
  guint    video_bitrate;         /* of that H.264 encoding, kbit/s; 1000 */
  guint    srtp;                  /* SipcastSrtpMode of outgoing calls; OFF */
  char    *sounds_dir;            /* /call/inject_sound files; DATADIR/sipcast/sounds */
  /* Picture of calls that send no video (sipcast-placeholder.h): "none",
   * "card" or an image name inside placeholder_dir; "none". */
  char    *placeholder_video;
  char    *placeholder_dir;       /* DATADIR/sipcast/placeholders */
  char    *recordings_dir;        /* where file:// targets may write;
                                   * g_get_user_data_dir()/sipcast/recordings */

  /* [calls] */
  guint    ended_call_ttl;        /* seconds an ended call stays findable; 60 */

  /* [route NAME] groups, in file order: SipcastRoute (sipcast-route.h),
   * matched against the callee of incoming INVITEs; empty by default. */
  GPtrArray *routes;

  /* [rtmp] */
  guint    rtmp_retry_budget;     /* seconds a call's own RTMP stream keeps
                                   * reconnecting before RTMP_CONNECTION_FAILED; 30 */
  char    *rtmp_profile;          /* sipcast-profile.h name; "default" */
  char    *rtmp_tls_ca_file;      /* CAs for rtmps:// servers; NULL: the system's */
  gboolean rtmp_tls_verify;       /* refuse certificates that do not verify; TRUE */
  /* Set by the profile, not a key of its own: longest stretch of published
   * video without a key frame, in ms; 0 = the far end's own. */
  guint    key_frame_interval;

  /* [push] */
  guint    push_retry_budget;     /* seconds a /push keeps reconnecting before
                                   * RTMP_CONNECTION_FAILED; 30 */

  /* [webrtc] */
  char    *webrtc_stun_server;    /* "host:port" for WHEP viewers' ICE; NULL = host candidates only */

  /* [events] */
  guint    events_backlog;        /* events kept for Last-Event-ID; 1000 */
  gsize    events_max_pending;    /* bytes a slow event client may lag; 256 KiB */
  guint    events_keep_alive;     /* seconds between keep-alive comments; 15 */

  /* [hooks] */
  char    *hook_urls;             /* "URL URL" or "URL,URL"; NULL = none */
  char    *hook_secret;           /* HMAC-SHA256 key of the signature; NULL = unsigned */
  guint    hook_max_queue;        /* events waiting per URL; 1000 */
  guint    hook_retries;          /* attempts after the first; 5 */
  guint    hook_timeout;          /* seconds per POST; 10 */

  /* [metrics] */
  gboolean metrics_require_auth;  /* GET /metrics behind production auth; FALSE */

  /* [cluster] (README "Cluster") */
  char    *cluster_redis_url;     /* redis://HOST:PORT[/DB]; NULL = a node on its own */
  char    *cluster_node_id;       /* NULL = the host name */
  char    *cluster_advertise_url; /* REST base other nodes use; NULL = the REST address */
  guint    cluster_max_calls;     /* live calls this node takes; 0 = no limit */
  guint    cluster_heartbeat_ttl; /* seconds without a heartbeat before a node is lost; 10 */

  /* command line only */
  char    *config_file;           /* NULL = built-in defaults only */
  gboolean print_config;
  char    *print_pipeline;        /* --print-pipeline KIND, or NULL */
  gboolean show_version;
  guint    verbosity;             /* number of -v */
} SipcastConfig;

SipcastConfig *sipcast_config_new_default (void);
void           sipcast_config_free (SipcastConfig *config);

/* A copy of @config (free it) with @profile's settings in place of its
 * own: AAC (unless the profile leaves them to [media]), the key-frame
 * interval, rtmp_profile.  For a [route] that names a profile. */
SipcastConfig *sipcast_config_with_profile (const SipcastConfig          *config,
                                            const SipcastProfile          *profile);

/* Applies the keys present in @path on top of @config.  Unknown groups or
 * keys are an error (a typo must not silently fall back to a default). */
gboolean sipcast_config_load_file (SipcastConfig *config,
                                   const char    *path,
                                   GError       **error);

/* sipcast_config_load_file() for a file's @length bytes of @data already
 * in memory; @name stands for the path in messages. */
gboolean sipcast_config_load_data (SipcastConfig *config,
                                   const char    *data,
                                   gsize          length,
                                   const char    *name,
                                   GError       **error);

/* Parses argv (removing what it consumed): loads -c FILE if given, then
 * applies the options on top.  Returns a new config or NULL with @error
 * set (SIPCAST_ERROR_CONFIG or G_OPTION_ERROR). */
SipcastConfig *sipcast_config_new_from_args (int     *argc,
                                             char  ***argv,
                                             GError **error);

/* "MIN-MAX", MIN even, MIN < MAX, both in 1024..65535. */
gboolean sipcast_config_parse_port_range (const char *str,
                                          guint      *out_min,
                                          guint      *out_max,
                                          GError    **error);

/* The effective configuration in key-file syntax, loadable with -c. */
char *sipcast_config_to_string (const SipcastConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastConfig, sipcast_config_free)

G_END_DECLS

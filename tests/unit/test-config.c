/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-config"

#include "config.h"

#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sipcast-config.h"
#include "sipcast-error.h"
#include "sipcast-route.h"

/*
 * The configuration as an operator meets it: the built-in defaults, a key
 * file, the command line on top, --print-config output that loads back,
 * and the annotated data/sipcast.conf.  Bad input must be refused with a
 * message that says where and what.
 */

typedef struct {
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("sipcast-test-config-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (fixture->dir, name, NULL);
    g_assert_cmpint (g_unlink (path), ==, 0);
  }
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->dir);
}

/* Writes @contents to @name in the fixture's directory; returns the path. */
static char *
write_file (Fixture    *fixture,
            const char *name,
            const char *contents)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
assert_message_contains (const GError *error,
                         const char   *fragment)
{
  if (strstr (error->message, fragment) == NULL)
    g_error ("message “%s” does not mention “%s”", error->message, fragment);
}

/* Every key-file setting of @a equals that of @b. */
static void
assert_config_equal (const SipcastConfig *a,
                     const SipcastConfig *b)
{
  g_assert_cmpstr (a->rest_address, ==, b->rest_address);
  g_assert_cmpuint (a->rest_port, ==, b->rest_port);
  g_assert_cmpint (a->production, ==, b->production);
  g_assert_cmpstr (a->users_file, ==, b->users_file);
  g_assert_cmpuint (a->max_body_size, ==, b->max_body_size);
  g_assert_cmpuint (a->rest_idle_timeout, ==, b->rest_idle_timeout);
  g_assert_cmpuint (a->max_incoming_per_source, ==, b->max_incoming_per_source);
  g_assert_cmpuint (a->first_rtp_timeout, ==, b->first_rtp_timeout);
  g_assert_cmpstr (a->allowed_origins, ==, b->allowed_origins);
  g_assert_cmpstr (a->allowed_hosts, ==, b->allowed_hosts);
  g_assert_cmpstr (a->sip_address, ==, b->sip_address);
  g_assert_cmpstr (a->sip_public_address, ==, b->sip_public_address);
  g_assert_cmpuint (a->sip_port, ==, b->sip_port);
  g_assert_cmpstr (a->user_agent, ==, b->user_agent);
  g_assert_cmpuint (a->no_answer_timeout, ==, b->no_answer_timeout);
  g_assert_cmpstr (a->sip_transport, ==, b->sip_transport);
  g_assert_cmpuint (a->transaction_timeout, ==, b->transaction_timeout);
  g_assert_cmpuint (a->register_expires, ==, b->register_expires);
  g_assert_cmpuint (a->tls_port, ==, b->tls_port);
  g_assert_cmpstr (a->tls_certificate_dir, ==, b->tls_certificate_dir);
  g_assert_cmpstr (a->tls_ca_file, ==, b->tls_ca_file);
  g_assert_cmpint (a->tls_verify, ==, b->tls_verify);
  g_assert_cmpuint (a->rtp_port_min, ==, b->rtp_port_min);
  g_assert_cmpuint (a->rtp_port_max, ==, b->rtp_port_max);
  g_assert_cmpuint (a->jitterbuffer_latency, ==, b->jitterbuffer_latency);
  g_assert_cmpuint (a->rtp_timeout, ==, b->rtp_timeout);
  g_assert_cmpint (a->symmetric_rtp, ==, b->symmetric_rtp);
  g_assert_cmpuint (a->aac_rate, ==, b->aac_rate);
  g_assert_cmpuint (a->aac_channels, ==, b->aac_channels);
  g_assert_cmpuint (a->aac_bitrate, ==, b->aac_bitrate);
  g_assert_cmpstrv (a->audio_codecs, b->audio_codecs);
  g_assert_cmpstr (a->video_encoder_preset, ==, b->video_encoder_preset);
  g_assert_cmpint (a->rtmp_audio_copy, ==, b->rtmp_audio_copy);
  g_assert_cmpuint (a->video_bitrate, ==, b->video_bitrate);
  g_assert_cmpstr (a->sounds_dir, ==, b->sounds_dir);
  g_assert_cmpstr (a->recordings_dir, ==, b->recordings_dir);
  g_assert_cmpuint (a->ended_call_ttl, ==, b->ended_call_ttl);
  g_assert_cmpuint (a->rtmp_retry_budget, ==, b->rtmp_retry_budget);
  g_assert_cmpstr (a->rtmp_profile, ==, b->rtmp_profile);
  g_assert_cmpstr (a->rtmp_tls_ca_file, ==, b->rtmp_tls_ca_file);
  g_assert_cmpint (a->rtmp_tls_verify, ==, b->rtmp_tls_verify);
  g_assert_cmpuint (a->key_frame_interval, ==, b->key_frame_interval);
  g_assert_cmpuint (a->push_retry_budget, ==, b->push_retry_budget);
  g_assert_cmpuint (a->events_backlog, ==, b->events_backlog);
  g_assert_cmpuint (a->events_max_pending, ==, b->events_max_pending);
  g_assert_cmpuint (a->events_keep_alive, ==, b->events_keep_alive);
  g_assert_cmpstr (a->hook_urls, ==, b->hook_urls);
  g_assert_cmpstr (a->hook_secret, ==, b->hook_secret);
  g_assert_cmpuint (a->hook_max_queue, ==, b->hook_max_queue);
  g_assert_cmpuint (a->hook_retries, ==, b->hook_retries);
  g_assert_cmpuint (a->hook_timeout, ==, b->hook_timeout);
  g_assert_cmpint (a->metrics_require_auth, ==, b->metrics_require_auth);
  g_assert_cmpstr (a->cluster_redis_url, ==, b->cluster_redis_url);
  g_assert_cmpstr (a->cluster_node_id, ==, b->cluster_node_id);
  g_assert_cmpstr (a->cluster_advertise_url, ==, b->cluster_advertise_url);
  g_assert_cmpuint (a->cluster_max_calls, ==, b->cluster_max_calls);
  g_assert_cmpuint (a->cluster_heartbeat_ttl, ==, b->cluster_heartbeat_ttl);
  g_assert_cmpuint (a->routes->len, ==, b->routes->len);
  for (guint i = 0; i < a->routes->len; i++) {
    const SipcastRoute *ra = g_ptr_array_index (a->routes, i);
    const SipcastRoute *rb = g_ptr_array_index (b->routes, i);

    g_assert_cmpstr (ra->name, ==, rb->name);
    g_assert_cmpstr (ra->callee, ==, rb->callee);
    g_assert_cmpstr (ra->callee_regex, ==, rb->callee_regex);
    g_assert_cmpstr (ra->rtmp_url, ==, rb->rtmp_url);
    g_assert_cmpstr (ra->rtmp_stream, ==, rb->rtmp_stream);
    g_assert_cmpstr (ra->to_stream, ==, rb->to_stream);
    g_assert_cmpstr (ra->user, ==, rb->user);
    g_assert_cmpstr (ra->password, ==, rb->password);
    g_assert_cmpstr (ra->realm, ==, rb->realm);
    g_assert_cmpint (ra->has_audio, ==, rb->has_audio);
    g_assert_cmpint (ra->has_video, ==, rb->has_video);
    g_assert_cmpuint (ra->reject, ==, rb->reject);
    g_assert_cmpuint (ra->ring_time, ==, rb->ring_time);
  }
}

/* Runs sipcast_config_new_from_args() on a copy of @args ("sipcast"
 * prepended); *out_rest receives what it left in argv. */
static SipcastConfig *
config_from_args (const char *const *args,
                  GStrv              *out_rest,
                  GError            **error)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) owned = NULL;
  g_autofree char **argv = NULL;
  int argc;
  SipcastConfig *config;

  g_strv_builder_add (builder, "sipcast");
  g_strv_builder_addv (builder, (const char **) args);
  owned = g_strv_builder_end (builder);
  argc = (int) g_strv_length (owned);
  /* The option parser drops pointers from argv without freeing them, so
   * it gets a shallow copy and @owned keeps the strings. */
  argv = g_memdup2 (owned, sizeof (char *) * (argc + 1));

  config = sipcast_config_new_from_args (&argc, &argv, error);
  if (out_rest != NULL) {
    g_assert_null (argv[argc]);
    *out_rest = g_strdupv (argv);
  }
  return config;
}

static void
test_defaults (void)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autofree char *users_file = g_build_filename (g_get_user_config_dir (),
                                                  "sipcast", "users", NULL);

  g_assert_cmpstr (config->rest_address, ==, "127.0.0.1");
  g_assert_cmpuint (config->rest_port, ==, 8081);
  g_assert_false (config->production);
  g_assert_cmpstr (config->users_file, ==, users_file);
  g_assert_cmpuint (config->max_body_size, ==, 65536);
  g_assert_cmpuint (config->rest_idle_timeout, ==, 60);
  g_assert_cmpstr (config->sip_address, ==, "127.0.0.1");
  g_assert_null (config->sip_public_address);
  g_assert_cmpuint (config->sip_port, ==, 5060);
  g_assert_cmpstr (config->user_agent, ==, "sipcast/" PACKAGE_VERSION);
  g_assert_cmpuint (config->no_answer_timeout, ==, 60);
  g_assert_cmpstr (config->sip_transport, ==, "udp");
  g_assert_cmpuint (config->transaction_timeout, ==, 32000);
  g_assert_cmpuint (config->register_expires, ==, 3600);
  g_assert_cmpuint (config->tls_port, ==, 0);
  g_assert_null (config->tls_certificate_dir);
  g_assert_cmpstr (config->tls_ca_file, ==, "/etc/ssl/certs/ca-certificates.crt");
  g_assert_true (config->tls_verify);
  g_assert_cmpuint (config->rtp_port_min, ==, 31000);
  g_assert_cmpuint (config->rtp_port_max, ==, 32999);
  g_assert_cmpuint (config->jitterbuffer_latency, ==, 80);
  g_assert_cmpuint (config->rtp_timeout, ==, 30);
  g_assert_true (config->symmetric_rtp);
  g_assert_cmpuint (config->aac_rate, ==, 44100);
  g_assert_cmpuint (config->aac_channels, ==, 1);
  g_assert_cmpuint (config->aac_bitrate, ==, 64000);
  g_assert_cmpstrv (config->audio_codecs,
                    ((const char *[]) { "OPUS", "G722", "PCMU", "PCMA", NULL }));
  g_assert_cmpstr (config->video_encoder_preset, ==, "veryfast");
  g_assert_cmpuint (config->video_bitrate, ==, 1000);
  g_assert_false (config->rtmp_audio_copy);
  g_assert_cmpuint (config->ended_call_ttl, ==, 60);
  g_assert_cmpuint (config->rtmp_retry_budget, ==, 30);
  g_assert_cmpuint (config->push_retry_budget, ==, 30);
  g_assert_null (config->config_file);
  g_assert_false (config->print_config);
  g_assert_false (config->show_version);
  g_assert_cmpuint (config->verbosity, ==, 0);
}

static void
test_load_file (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = write_file (fixture, "a.conf",
    "# a comment\n"
    "[rest]\n"
    "address=0.0.0.0\n"
    "port=9090\n"
    "production=true\n"
    "users-file=/etc/sipcast/users\n"
    "max-body-size=2048\n"
    "idle-timeout=5\n"
    "\n"
    "[sip]\n"
    "address = 10.0.0.1\n"
    "public-address = 203.0.113.7\n"
    "port=0\n"
    "user-agent=Acme Gateway 2.0\n"
    "no-answer-timeout=30\n"
    "transport=TCP\n"
    "transaction-timeout=2000\n"
    "register-expires=60\n"
    "tls-port=5081\n"
    "tls-certificate-dir=/etc/sipcast/tls\n"
    "tls-ca-file=/etc/sipcast/ca.pem\n"
    "tls-verify=false\n"
    "[rtp]\n"
    "ports=40000-40999\n"
    "jitterbuffer-latency=200\n"
    "timeout=0\n"
    "symmetric=false\n"
    "[media]\n"
    "aac-rate=48000\n"
    "aac-channels=2\n"
    "aac-bitrate=128000\n"
    "audio-codecs = pcma; opus\n"
    "video-encoder-preset=ultrafast\n"
    "video-bitrate=2500\n"
    "rtmp-audio=copy\n"
    "[calls]\n"
    "ended-call-ttl=0\n"
    "[rtmp]\n"
    "retry-budget=12\n"
    "[push]\n"
    "retry-budget=5\n");

  g_assert_true (sipcast_config_load_file (config, path, &error));
  g_assert_no_error (error);

  g_assert_cmpstr (config->rest_address, ==, "0.0.0.0");
  g_assert_cmpuint (config->rest_port, ==, 9090);
  g_assert_true (config->production);
  g_assert_cmpstr (config->users_file, ==, "/etc/sipcast/users");
  g_assert_cmpuint (config->max_body_size, ==, 2048);
  g_assert_cmpuint (config->rest_idle_timeout, ==, 5);
  g_assert_cmpstr (config->sip_address, ==, "10.0.0.1");
  g_assert_cmpstr (config->sip_public_address, ==, "203.0.113.7");
  g_assert_cmpuint (config->sip_port, ==, 0);
  g_assert_cmpstr (config->user_agent, ==, "Acme Gateway 2.0");
  g_assert_cmpuint (config->no_answer_timeout, ==, 30);
  g_assert_cmpstr (config->sip_transport, ==, "tcp");
  g_assert_cmpuint (config->transaction_timeout, ==, 2000);
  g_assert_cmpuint (config->register_expires, ==, 60);
  g_assert_cmpuint (config->tls_port, ==, 5081);
  g_assert_cmpstr (config->tls_certificate_dir, ==, "/etc/sipcast/tls");
  g_assert_cmpstr (config->tls_ca_file, ==, "/etc/sipcast/ca.pem");
  g_assert_false (config->tls_verify);
  g_assert_cmpuint (config->rtp_port_min, ==, 40000);
  g_assert_cmpuint (config->rtp_port_max, ==, 40999);
  g_assert_cmpuint (config->jitterbuffer_latency, ==, 200);
  g_assert_cmpuint (config->rtp_timeout, ==, 0);
  g_assert_false (config->symmetric_rtp);
  g_assert_cmpuint (config->aac_rate, ==, 48000);
  g_assert_cmpuint (config->aac_channels, ==, 2);
  g_assert_cmpuint (config->aac_bitrate, ==, 128000);
  /* Spelled as the codec table does, telephone-event not among them. */
  g_assert_cmpstrv (config->audio_codecs, ((const char *[]) { "PCMA", "OPUS", NULL }));
  g_assert_cmpstr (config->video_encoder_preset, ==, "ultrafast");
  g_assert_cmpuint (config->video_bitrate, ==, 2500);
  g_assert_true (config->rtmp_audio_copy);
  g_assert_cmpuint (config->ended_call_ttl, ==, 0);
  g_assert_cmpuint (config->rtmp_retry_budget, ==, 12);
  g_assert_cmpuint (config->push_retry_budget, ==, 5);
}

/* [rtmp] profile: a platform's AAC settings win over [media]'s, wherever
 * the keys stand; default leaves [media]'s; an unknown name is refused. */
static void
test_profile (Fixture      *fixture,
              gconstpointer data)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) plain = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) bad = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) route = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = write_file (fixture, "p.conf",
                                      "[rtmp]\nprofile=YouTube\n[media]\naac-rate=8000\n");
  g_autofree char *plain_path = write_file (fixture, "d.conf",
                                            "[media]\naac-rate=8000\n[rtmp]\nprofile=default\n");
  g_autofree char *bad_path = write_file (fixture, "x.conf", "[rtmp]\nprofile=myspace\n");

  g_assert_true (sipcast_config_load_file (config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->rtmp_profile, ==, "youtube");
  g_assert_cmpuint (config->aac_rate, ==, 48000);
  g_assert_cmpuint (config->aac_channels, ==, 2);
  g_assert_cmpuint (config->aac_bitrate, ==, 128000);
  g_assert_cmpuint (config->key_frame_interval, ==, 2000);

  g_assert_true (sipcast_config_load_file (plain, plain_path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (plain->aac_rate, ==, 8000);
  g_assert_cmpuint (plain->aac_channels, ==, 1);
  g_assert_cmpuint (plain->key_frame_interval, ==, 0);

  /* A route's own profile, on top of the file's. */
  route = sipcast_config_with_profile (plain, sipcast_profile_find ("twitch"));
  g_assert_cmpuint (route->aac_bitrate, ==, 160000);
  g_assert_cmpuint (route->key_frame_interval, ==, 2000);
  g_assert_cmpuint (plain->aac_bitrate, ==, 64000);

  g_assert_false (sipcast_config_load_file (bad, bad_path, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, "myspace");
}

static void
test_load_partial_file (Fixture      *fixture,
                        gconstpointer data)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) expected = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = write_file (fixture, "b.conf",
                                      "[sip]\nport=5070\n[calls]\n");

  g_assert_true (sipcast_config_load_file (config, path, &error));
  g_assert_no_error (error);

  /* Keys not in the file keep what was there before. */
  expected->sip_port = 5070;
  assert_config_equal (config, expected);
}

static void
test_unknown_group_and_key (Fixture      *fixture,
                            gconstpointer data)
{
  g_autofree char *bad_group = write_file (fixture, "g.conf",
                                          "[rest]\nport=1\n[sipp]\nport=5060\n");
  g_autofree char *bad_key = write_file (fixture, "k.conf", "[rest]\nprot=8080\n");
  g_autofree char *misplaced = write_file (fixture, "m.conf", "[sip]\nproduction=true\n");
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) defaults = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;

  g_assert_false (sipcast_config_load_file (config, bad_group, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, bad_group);
  assert_message_contains (error, "[sipp]");
  g_clear_error (&error);

  g_assert_false (sipcast_config_load_file (config, bad_key, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, bad_key);
  assert_message_contains (error, "[rest]");
  assert_message_contains (error, "prot");
  g_clear_error (&error);

  g_assert_false (sipcast_config_load_file (config, misplaced, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, "production");
  assert_message_contains (error, "[sip]");

  /* A refused file changes nothing, not even the keys before the bad one. */
  assert_config_equal (config, defaults);
}

/* The configuration fuzzer's way in: a file's bytes from memory, read
 * as from disk, and refused as a whole when one key is bad. */
static void
test_load_data (void)
{
  static const char good[] = "[rest]\nport=9000\ntls-certificate=/etc/sipcast/rest.pem\n";
  static const char bad[] = "[rest]\nport=9001\n[sip]\nport=70000\n";
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;

  g_assert_true (sipcast_config_load_data (config, good, strlen (good), "mem.conf", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->rest_port, ==, 9000);
  g_assert_cmpstr (config->rest_tls_certificate, ==, "/etc/sipcast/rest.pem");
  g_assert_null (config->rest_tls_key);

  g_assert_false (sipcast_config_load_data (config, bad, strlen (bad), "mem.conf", &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, "mem.conf");
  g_assert_cmpuint (config->rest_port, ==, 9000);
  g_clear_error (&error);

  /* Not a key file at all. */
  g_assert_false (sipcast_config_load_data (config, "\x01\x02", 2, "mem.conf", &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
}

static void
test_bad_values (Fixture      *fixture,
                 gconstpointer data)
{
  static const struct {
    const char *group;
    const char *key;
    const char *value;
    const char *fragment;
  } cases[] = {
    { "rest", "port", "65536", "65536" },
    { "rest", "port", "-1", "-1" },
    { "rest", "port", "80x", "80x" },
    { "rest", "port", "", "port" },
    { "rest", "production", "yes please", "boolean" },
    { "rest", "address", "", "empty" },
    { "rest", "max-body-size", "10", "10" },
    { "rest", "idle-timeout", "0", "idle-timeout" },
    { "sip", "port", "99999", "99999" },
    { "sip", "no-answer-timeout", "0", "no-answer-timeout" },
    { "sip", "transport", "sctp", "transport" },
    { "sip", "transport", "", "transport" },
    { "sip", "transaction-timeout", "499", "499" },
    { "sip", "register-expires", "9", "9" },
    { "sip", "tls-port", "65536", "65536" },
    { "sip", "tls-ca-file", "", "empty" },
    { "sip", "tls-verify", "maybe", "boolean" },
    { "sip", "max-requests-per-second", "100001", "100001" },
    { "media", "srtp", "yes", "SRTP mode" },
    { "sip", "trusted-networks", "10.0.0.0/8,10.1.2", "10.1.2" },
    { "rtp", "timeout", "3601", "3601" },
    { "rtp", "timeout", "-1", "-1" },
    { "rtp", "symmetric", "maybe", "boolean" },
    { "rtp", "ports", "31001-32999", "even" },
    { "rtp", "ports", "31000", "MIN-MAX" },
    { "rtp", "jitterbuffer-latency", "fast", "fast" },
    { "media", "aac-rate", "44000", "AAC sample rate" },
    { "media", "aac-rate", "96000", "AAC sample rate" },
    { "media", "aac-channels", "0", "aac-channels" },
    { "media", "aac-channels", "3", "aac-channels" },
    { "media", "aac-bitrate", "7999", "7999" },
    { "media", "aac-bitrate", "320001", "320001" },
    { "media", "audio-codecs", "PCMU,G729", "G729" },
    { "media", "audio-codecs", "PCMU,H264", "H264" },
    { "media", "audio-codecs", "PCMU,pcmu", "twice" },
    { "media", "audio-codecs", "", "empty" },
    { "media", "audio-codecs", ",;", "empty" },
    { "media", "audio-codecs", "telephone-event", "empty" },
    { "media", "video-encoder-preset", "turbo", "x264 speed preset" },
    { "media", "video-encoder-preset", "VeryFast", "x264 speed preset" },
    { "media", "video-encoder-preset", "", "x264 speed preset" },
    { "media", "video-bitrate", "49", "49" },
    { "media", "rtmp-audio", "pcm", "neither aac nor copy" },
    { "media", "rtmp-audio", "COPY", "neither aac nor copy" },
    { "media", "rtmp-audio", "", "neither aac nor copy" },
    { "media", "video-bitrate", "20001", "20001" },
    { "media", "video-bitrate", "1M", "1M" },
    { "calls", "ended-call-ttl", "-5", "ended-call-ttl" },
    { "rtmp", "retry-budget", "3601", "3601" },
    { "rtmp", "retry-budget", "-1", "retry-budget" },
    { "push", "retry-budget", "3601", "3601" },
    { "push", "retry-budget", "30s", "30s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
    g_autoptr (GError) error = NULL;
    g_autofree char *contents = g_strdup_printf ("[%s]\n%s=%s\n", cases[i].group,
                                                 cases[i].key, cases[i].value);
    g_autofree char *path = write_file (fixture, "bad.conf", contents);
    g_autofree char *where = g_strdup_printf ("[%s] %s", cases[i].group, cases[i].key);

    g_test_message ("[%s] %s=%s", cases[i].group, cases[i].key, cases[i].value);
    g_assert_false (sipcast_config_load_file (config, path, &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
    assert_message_contains (error, path);
    assert_message_contains (error, where);
    assert_message_contains (error, cases[i].fragment);
  }
}

static void
test_edge_values (Fixture      *fixture,
                  gconstpointer data)
{
  static const char *const rates[] = {
    "8000", "11025", "12000", "16000", "22050", "24000", "32000", "44100", "48000",
  };
  /* x264enc's speed-preset nicks, as gst-inspect-1.0 x264enc lists them. */
  static const char *const presets[] = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
    "slower", "veryslow", "placebo",
  };
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autofree char *low = write_file (fixture, "low.conf",
                                     "[rest]\nport=0\nproduction=FALSE\n"
                                     "[sip]\nport=0\n"
                                     "[rtp]\nports=1024-1025\n"
                                     "[media]\naac-channels=1\naac-bitrate=8000\n"
                                     "video-bitrate=50\naudio-codecs=PCMU\n"
                                     "[rtmp]\nretry-budget=0\n"
                                     "[push]\nretry-budget=0\n");
  g_autofree char *high = write_file (fixture, "high.conf",
                                      "[rest]\nport=65535\nproduction=1\n"
                                      "[sip]\nport=65535\n"
                                      "[rtp]\nports=65534-65535\n"
                                      "[media]\naac-channels=2\naac-bitrate=320000\n"
                                      "video-bitrate=20000\n"
                                      "audio-codecs=PCMA;G722;OPUS;PCMU;telephone-event;\n"
                                      "[rtmp]\nretry-budget=3600\n"
                                      "[push]\nretry-budget=3600\n");

  g_assert_true (sipcast_config_load_file (config, low, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->rest_port, ==, 0);
  g_assert_false (config->production);
  g_assert_cmpuint (config->rtp_port_min, ==, 1024);
  g_assert_cmpuint (config->rtp_port_max, ==, 1025);
  g_assert_cmpuint (config->aac_bitrate, ==, 8000);
  g_assert_cmpuint (config->video_bitrate, ==, 50);
  g_assert_cmpstrv (config->audio_codecs, ((const char *[]) { "PCMU", NULL }));
  /* 0: a stream or a push gives up at its first failure. */
  g_assert_cmpuint (config->rtmp_retry_budget, ==, 0);
  g_assert_cmpuint (config->push_retry_budget, ==, 0);

  g_assert_true (sipcast_config_load_file (config, high, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->rest_port, ==, 65535);
  g_assert_cmpuint (config->sip_port, ==, 65535);
  g_assert_true (config->production);
  g_assert_cmpuint (config->rtp_port_min, ==, 65534);
  g_assert_cmpuint (config->aac_channels, ==, 2);
  g_assert_cmpuint (config->aac_bitrate, ==, 320000);
  g_assert_cmpuint (config->video_bitrate, ==, 20000);
  g_assert_cmpuint (config->rtmp_retry_budget, ==, 3600);
  g_assert_cmpuint (config->push_retry_budget, ==, 3600);
  /* GKeyFile-style trailing ';' and a named telephone-event are fine. */
  g_assert_cmpstrv (config->audio_codecs,
                    ((const char *[]) { "PCMA", "G722", "OPUS", "PCMU", NULL }));

  for (guint i = 0; i < G_N_ELEMENTS (rates); i++) {
    g_autofree char *contents = g_strdup_printf ("[media]\naac-rate=%s\n", rates[i]);
    g_autofree char *path = write_file (fixture, "rate.conf", contents);

    g_assert_true (sipcast_config_load_file (config, path, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (config->aac_rate, ==, g_ascii_strtoull (rates[i], NULL, 10));
  }

  for (guint i = 0; i < G_N_ELEMENTS (presets); i++) {
    g_autofree char *contents = g_strdup_printf ("[media]\nvideo-encoder-preset=%s\n",
                                                 presets[i]);
    g_autofree char *path = write_file (fixture, "preset.conf", contents);

    g_assert_true (sipcast_config_load_file (config, path, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (config->video_encoder_preset, ==, presets[i]);
  }
}

static void
test_unreadable_file (Fixture      *fixture,
                      gconstpointer data)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.conf", NULL);
  g_autofree char *garbage = write_file (fixture, "garbage.conf", "this is not a key file\n");

  g_assert_false (sipcast_config_load_file (config, missing, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, missing);
  g_clear_error (&error);

  g_assert_false (sipcast_config_load_file (config, garbage, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, garbage);
}

static void
test_port_range (void)
{
  static const struct {
    const char *str;
    gboolean ok;
    guint min, max;
  } cases[] = {
    { "31000-32999", TRUE, 31000, 32999 },
    { "1024-1025", TRUE, 1024, 1025 },
    { "65534-65535", TRUE, 65534, 65535 },
    { "40000 - 40100", TRUE, 40000, 40100 },
    { "31001-32999", FALSE },   /* RTP needs the even port */
    { "32000-31000", FALSE },
    { "32000-32000", FALSE },
    { "1022-2000", FALSE },     /* below 1024 */
    { "0-2000", FALSE },
    { "60000-65536", FALSE },
    { "31000", FALSE },
    { "31000-", FALSE },
    { "-32999", FALSE },
    { "31000-32000-33000", FALSE },
    { "a-b", FALSE },
    { "", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    guint min = 7, max = 7;
    gboolean ok;

    g_test_message ("“%s”", cases[i].str);
    ok = sipcast_config_parse_port_range (cases[i].str, &min, &max, &error);
    g_assert_cmpint (ok, ==, cases[i].ok);
    if (ok) {
      g_assert_no_error (error);
      g_assert_cmpuint (min, ==, cases[i].min);
      g_assert_cmpuint (max, ==, cases[i].max);
    } else {
      g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
      assert_message_contains (error, cases[i].str);
      /* Outputs untouched on failure. */
      g_assert_cmpuint (min, ==, 7);
      g_assert_cmpuint (max, ==, 7);
    }
  }
}

static void
test_args_none (void)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) rest = NULL;
  const char *args[] = { NULL };
  g_autoptr (SipcastConfig) config = config_from_args (args, &rest, &error);
  g_autoptr (SipcastConfig) defaults = sipcast_config_new_default ();

  g_assert_no_error (error);
  assert_config_equal (config, defaults);
  g_assert_null (config->config_file);
  g_assert_cmpstrv (rest, ((const char *[]) { "sipcast", NULL }));
}

static void
test_args_override_file (Fixture      *fixture,
                         gconstpointer data)
{
  g_autofree char *path = write_file (fixture, "c.conf",
                                      "[rest]\naddress=10.1.1.1\nport=9000\n"
                                      "[sip]\naddress=10.2.2.2\nport=5070\n"
                                      "[rtp]\nports=20000-20999\n"
                                      "[media]\naac-rate=22050\n");
  const char *args[] = {
    "--rest-port", "9100",
    "--sip-address=192.0.2.1",
    "-c", path,
    "--rtp-ports=40000-40009",
    "--production",
    "leftover",
    NULL
  };
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) rest = NULL;
  g_autoptr (SipcastConfig) config = config_from_args (args, &rest, &error);

  g_assert_no_error (error);
  g_assert_nonnull (config);
  g_assert_cmpstr (config->config_file, ==, path);

  /* Given on the command line: wins over the file, wherever it stood. */
  g_assert_cmpuint (config->rest_port, ==, 9100);
  g_assert_cmpstr (config->sip_address, ==, "192.0.2.1");
  g_assert_cmpuint (config->rtp_port_min, ==, 40000);
  g_assert_cmpuint (config->rtp_port_max, ==, 40009);
  g_assert_true (config->production);
  /* Not given: the file's value, or the default when the file has none. */
  g_assert_cmpstr (config->rest_address, ==, "10.1.1.1");
  g_assert_cmpuint (config->sip_port, ==, 5070);
  g_assert_cmpuint (config->aac_rate, ==, 22050);
  g_assert_cmpuint (config->aac_bitrate, ==, 64000);

  /* What the parser did not consume stays in argv. */
  g_assert_cmpstrv (rest, ((const char *[]) { "sipcast", "leftover", NULL }));
}

static void
test_args_flags (void)
{
  const char *args[] = { "-v", "--print-config", "--verbose", "-vv", "--version",
                         "--print-pipeline", "video-vp8", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastConfig) config = config_from_args (args, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (config->verbosity, ==, 4);
  g_assert_true (config->print_config);
  g_assert_cmpstr (config->print_pipeline, ==, "video-vp8");
  g_assert_true (config->show_version);
  g_assert_false (config->production);
}

static void
test_args_zero_ports (void)
{
  const char *args[] = { "--rest-port=0", "--sip-port", "0", "--rest-address", "::1", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastConfig) config = config_from_args (args, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (config->rest_port, ==, 0);
  g_assert_cmpuint (config->sip_port, ==, 0);
  g_assert_cmpstr (config->rest_address, ==, "::1");
}

static void
test_args_errors (Fixture      *fixture,
                  gconstpointer data)
{
  g_autofree char *bad_file = write_file (fixture, "bad.conf", "[media]\naac-channels=6\n");
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.conf", NULL);
  const char *bad_port[] = { "--rest-port=70000", NULL };
  const char *bad_range[] = { "--rtp-ports", "5-4", NULL };
  const char *unknown[] = { "--rest-prot=80", NULL };
  const char *no_value[] = { "--sip-port", NULL };
  const char *with_bad_file[] = { "--config", bad_file, NULL };
  const char *with_missing[] = { "-c", missing, NULL };
  g_autoptr (GError) error = NULL;
  SipcastConfig *config;

  config = config_from_args (bad_port, NULL, &error);
  g_assert_null (config);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, "--rest-port");
  assert_message_contains (error, "70000");
  g_clear_error (&error);

  config = config_from_args (bad_range, NULL, &error);
  g_assert_null (config);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, "--rtp-ports");
  g_clear_error (&error);

  config = config_from_args (unknown, NULL, &error);
  g_assert_null (config);
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION);
  g_clear_error (&error);

  config = config_from_args (no_value, NULL, &error);
  g_assert_null (config);
  g_assert_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE);
  g_clear_error (&error);

  config = config_from_args (with_bad_file, NULL, &error);
  g_assert_null (config);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, bad_file);
  assert_message_contains (error, "aac-channels");
  g_clear_error (&error);

  config = config_from_args (with_missing, NULL, &error);
  g_assert_null (config);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, missing);
}

static void
assert_round_trip (Fixture             *fixture,
                   const SipcastConfig *config)
{
  g_autofree char *text = sipcast_config_to_string (config);
  g_autofree char *path = write_file (fixture, "printed.conf", text);
  g_autoptr (SipcastConfig) loaded = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;

  g_test_message ("%s", text);
  g_assert_true (sipcast_config_load_file (loaded, path, &error));
  g_assert_no_error (error);
  assert_config_equal (loaded, config);
}

static void
test_to_string_round_trip (Fixture      *fixture,
                           gconstpointer data)
{
  g_autoptr (SipcastConfig) defaults = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();

  assert_round_trip (fixture, defaults);

  /* Values different from every default, with characters the key-file
   * syntax must escape. */
  g_free (config->rest_address);
  config->rest_address = g_strdup ("0.0.0.0");
  config->rest_port = 0;
  config->production = TRUE;
  g_free (config->users_file);
  config->users_file = g_strdup ("/srv/sip cast/users#1;x\\new");
  config->max_body_size = 1 << 20;
  config->rest_idle_timeout = 7;
  g_free (config->sip_address);
  config->sip_address = g_strdup ("::1");
  config->sip_port = 65535;
  g_free (config->user_agent);
  config->user_agent = g_strdup ("Acme \\ Gateway # 2.0; (test)");
  config->no_answer_timeout = 5;
  config->rtp_port_min = 1024;
  config->rtp_port_max = 65535;
  config->jitterbuffer_latency = 0;
  config->rtp_timeout = 3600;
  config->symmetric_rtp = FALSE;
  config->aac_rate = 8000;
  config->aac_channels = 2;
  config->aac_bitrate = 320000;
  g_strfreev (config->audio_codecs);
  config->audio_codecs = g_strdupv ((char **) (const char *[]) { "PCMU", "G722", NULL });
  g_free (config->video_encoder_preset);
  config->video_encoder_preset = g_strdup ("placebo");
  config->video_bitrate = 20000;
  config->ended_call_ttl = 86400;
  config->rtmp_retry_budget = 9;
  config->push_retry_budget = 7;
  config->events_backlog = 0;
  config->events_max_pending = 1024;
  config->events_keep_alive = 3600;
  config->hook_urls = g_strdup ("http://127.0.0.1:9/a, https://h/b");
  config->hook_secret = g_strdup ("a secret");
  config->hook_max_queue = 1;
  config->hook_retries = 100;
  config->hook_timeout = 600;
  config->metrics_require_auth = TRUE;
  config->cluster_redis_url = g_strdup ("redis://:pw@127.0.0.1:6380/2");
  config->cluster_node_id = g_strdup ("node-7");
  config->cluster_advertise_url = g_strdup ("http://127.0.0.1:8082/rest-api");
  config->cluster_max_calls = 250;
  config->cluster_heartbeat_ttl = 3;
  g_free (config->sip_transport);
  config->sip_transport = g_strdup ("tls");
  config->transaction_timeout = 600000;
  config->register_expires = 10;
  config->tls_port = 65535;
  config->tls_certificate_dir = g_strdup ("/srv/sip certs/ours");
  g_free (config->tls_ca_file);
  config->tls_ca_file = g_strdup ("/srv/ca.pem");
  config->tls_verify = FALSE;

  assert_round_trip (fixture, config);
}

static void
test_to_string_has_every_key (void)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autofree char *text = sipcast_config_to_string (config);
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  static const char *const keys[][2] = {
    { "rest", "address" }, { "rest", "port" }, { "rest", "production" },
    { "rest", "users-file" }, { "rest", "max-body-size" }, { "rest", "idle-timeout" },
    { "rest", "allowed-origins" }, { "rest", "allowed-hosts" },
    { "rest", "tls-certificate" }, { "rest", "tls-key" },
    { "sip", "address" }, { "sip", "public-address" }, { "sip", "port" },
    { "sip", "user-agent" },
    { "sip", "no-answer-timeout" }, { "sip", "transport" }, { "sip", "transaction-timeout" },
    { "sip", "register-expires" }, { "sip", "tls-port" }, { "sip", "tls-certificate-dir" },
    { "sip", "tls-ca-file" }, { "sip", "tls-verify" }, { "sip", "max-incoming-per-source" },
    { "sip", "max-requests-per-second" }, { "sip", "trusted-networks" }, { "media", "srtp" },
    { "rtp", "ports" }, { "rtp", "jitterbuffer-latency" },
    { "rtp", "timeout" }, { "rtp", "symmetric" }, { "rtp", "first-rtp-timeout" },
    { "media", "aac-rate" }, { "media", "aac-channels" }, { "media", "aac-bitrate" },
    { "media", "audio-codecs" }, { "media", "video-encoder-preset" },
    { "media", "video-bitrate" }, { "media", "sounds-dir" }, { "media", "rtmp-audio" },
    { "media", "recordings-dir" }, { "media", "placeholder-video" },
    { "media", "placeholder-dir" },
    { "calls", "ended-call-ttl" },
    { "rtmp", "retry-budget" }, { "rtmp", "profile" }, { "rtmp", "tls-ca-file" },
    { "rtmp", "tls-verify" },
    { "push", "retry-budget" },
    { "webrtc", "stun-server" },
    { "events", "backlog" }, { "events", "max-pending" }, { "events", "keep-alive" },
    { "hooks", "urls" }, { "hooks", "secret" }, { "hooks", "max-queue" },
    { "hooks", "retries" }, { "hooks", "timeout" },
    { "metrics", "require-auth" },
    { "cluster", "redis-url" }, { "cluster", "node-id" }, { "cluster", "advertise-url" },
    { "cluster", "max-calls" }, { "cluster", "heartbeat-ttl" },
  };
  gsize n_keys = 0;
  g_auto (GStrv) groups = NULL;

  g_assert_true (g_key_file_load_from_data (key_file, text, -1, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_true (g_key_file_has_key (key_file, keys[i][0], keys[i][1], NULL));

  groups = g_key_file_get_groups (key_file, NULL);
  for (guint i = 0; groups[i] != NULL; i++) {
    g_auto (GStrv) group_keys = g_key_file_get_keys (key_file, groups[i], NULL, NULL);
    n_keys += g_strv_length (group_keys);
  }
  g_assert_cmpuint (n_keys, ==, G_N_ELEMENTS (keys));
}

/* data/sipcast.conf with its commented-out settings ("#key=value")
 * switched on. */
static char *
uncomment_settings (const char *text)
{
  g_autoptr (GRegex) regex = g_regex_new ("^#([a-z-]+=)", G_REGEX_MULTILINE, 0, NULL);

  return g_regex_replace (regex, text, -1, 0, "\\1", 0, NULL);
}

static void
test_annotated_default_file (Fixture      *fixture,
                             gconstpointer data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "sipcast.conf", NULL);
  g_autofree char *text = NULL;
  g_autofree char *uncommented = NULL;
  g_autofree char *uncommented_path = NULL;
  g_autofree char *defaults_text = NULL;
  g_autoptr (SipcastConfig) defaults = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) as_shipped = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) switched_on = sipcast_config_new_default ();
  g_autoptr (GKeyFile) expected_keys = g_key_file_new ();
  g_autoptr (GKeyFile) shipped_keys = g_key_file_new ();
  g_auto (GStrv) groups = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);

  /* As shipped everything is commented out: loading it changes nothing. */
  g_assert_true (sipcast_config_load_file (as_shipped, path, &error));
  g_assert_no_error (error);
  assert_config_equal (as_shipped, defaults);

  /* Switched on, every setting is a known key holding the default; the
   * five whose default depends on the machine or the install prefix show
   * an example instead. */
  uncommented = uncomment_settings (text);
  uncommented_path = write_file (fixture, "uncommented.conf", uncommented);
  g_assert_true (sipcast_config_load_file (switched_on, uncommented_path, &error));
  g_assert_no_error (error);
  g_free (switched_on->users_file);
  switched_on->users_file = g_strdup (defaults->users_file);
  g_free (switched_on->user_agent);
  switched_on->user_agent = g_strdup (defaults->user_agent);
  g_free (switched_on->sounds_dir);
  switched_on->sounds_dir = g_strdup (defaults->sounds_dir);
  g_free (switched_on->recordings_dir);
  switched_on->recordings_dir = g_strdup (defaults->recordings_dir);
  g_free (switched_on->placeholder_dir);
  switched_on->placeholder_dir = g_strdup (defaults->placeholder_dir);
  assert_config_equal (switched_on, defaults);

  /* And it documents every key there is. */
  defaults_text = sipcast_config_to_string (defaults);
  g_key_file_load_from_data (expected_keys, defaults_text, -1, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  g_key_file_load_from_data (shipped_keys, uncommented, -1, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  groups = g_key_file_get_groups (expected_keys, NULL);
  for (guint i = 0; groups[i] != NULL; i++) {
    g_auto (GStrv) keys = g_key_file_get_keys (expected_keys, groups[i], NULL, NULL);

    for (guint j = 0; keys[j] != NULL; j++) {
      g_test_message ("[%s] %s", groups[i], keys[j]);
      g_assert_true (g_key_file_has_key (shipped_keys, groups[i], keys[j], NULL));
    }
  }
}

/* The example routes of data/sipcast.conf, as an operator would enable
 * them, in file order, printed and loaded back. */
#define ROUTES_CONF \
  "[sip]\n" \
  "port=5070\n" \
  "[route studio]\n" \
  "callee=studio-*\n" \
  "rtmp-url=rtmp://127.0.0.1:1935/live/\n" \
  "rtmp-stream=${callee}\n" \
  "user=studio\n" \
  "password=secret\n" \
  "\n" \
  "[route everyone-else]\n" \
  "callee=*\n" \
  "reject=603\n"

static void
test_routes (Fixture      *fixture,
             gconstpointer data)
{
  g_autofree char *path = write_file (fixture, "routes.conf", ROUTES_CONF);
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (SipcastConfig) defaults = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  const SipcastRoute *route;

  g_assert_cmpuint (defaults->routes->len, ==, 0);
  g_assert_true (sipcast_config_load_file (config, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (config->routes->len, ==, 2);
  route = sipcast_route_find (config->routes, "studio-a");
  g_assert_cmpstr (route->name, ==, "studio");
  g_assert_cmpstr (route->password, ==, "secret");
  route = sipcast_route_find (config->routes, "1000");
  g_assert_cmpstr (route->name, ==, "everyone-else");
  g_assert_cmpuint (route->reject, ==, 603);

  assert_round_trip (fixture, config);

  /* A second file's routes replace the first's (their order is their
   * meaning, so they are never merged). */
  {
    g_autofree char *other = write_file (fixture, "other.conf",
                                         "[route only]\ncallee=9*\n");

    g_assert_true (sipcast_config_load_file (config, other, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (config->routes->len, ==, 1);
    g_assert_cmpstr (((SipcastRoute *) g_ptr_array_index (config->routes, 0))->name, ==, "only");
  }
}

static void
test_bad_route (Fixture      *fixture,
                gconstpointer data)
{
  g_autofree char *path = write_file (fixture, "bad-route.conf",
                                      "[route good]\ncallee=1\n"
                                      "[route bad]\ncallee=*\nrtmp-stream=${nope}\n");
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;

  g_assert_false (sipcast_config_load_file (config, path, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  assert_message_contains (error, path);
  assert_message_contains (error, "[route bad]");
  assert_message_contains (error, "${nope}");
  /* Nothing of the file was applied. */
  g_assert_cmpuint (config->routes->len, ==, 0);
}

int
main (int argc, char **argv)
{
  /* No G_TEST_OPTION_ISOLATE_DIRS: the tests only read
   * g_get_user_config_dir(), never write there, and GLib leaks the
   * replaced directory names, which would hide our leaks under valgrind. */
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/config/defaults", test_defaults);
  g_test_add ("/config/file/load", Fixture, NULL,
              fixture_set_up, test_load_file, fixture_tear_down);
  g_test_add ("/config/file/profile", Fixture, NULL,
              fixture_set_up, test_profile, fixture_tear_down);
  g_test_add ("/config/file/partial", Fixture, NULL,
              fixture_set_up, test_load_partial_file, fixture_tear_down);
  g_test_add ("/config/file/unknown-group-and-key", Fixture, NULL,
              fixture_set_up, test_unknown_group_and_key, fixture_tear_down);
  g_test_add ("/config/file/bad-values", Fixture, NULL,
              fixture_set_up, test_bad_values, fixture_tear_down);
  g_test_add ("/config/file/edge-values", Fixture, NULL,
              fixture_set_up, test_edge_values, fixture_tear_down);
  g_test_add ("/config/file/unreadable", Fixture, NULL,
              fixture_set_up, test_unreadable_file, fixture_tear_down);
  g_test_add_func ("/config/load-data", test_load_data);
  g_test_add_func ("/config/port-range", test_port_range);
  g_test_add_func ("/config/args/none", test_args_none);
  g_test_add ("/config/args/override-file", Fixture, NULL,
              fixture_set_up, test_args_override_file, fixture_tear_down);
  g_test_add_func ("/config/args/flags", test_args_flags);
  g_test_add_func ("/config/args/zero-ports", test_args_zero_ports);
  g_test_add ("/config/args/errors", Fixture, NULL,
              fixture_set_up, test_args_errors, fixture_tear_down);
  g_test_add ("/config/to-string/round-trip", Fixture, NULL,
              fixture_set_up, test_to_string_round_trip, fixture_tear_down);
  g_test_add_func ("/config/to-string/every-key", test_to_string_has_every_key);
  g_test_add ("/config/routes", Fixture, NULL, fixture_set_up, test_routes, fixture_tear_down);
  g_test_add ("/config/bad-route", Fixture, NULL, fixture_set_up, test_bad_route,
              fixture_tear_down);
  g_test_add ("/config/annotated-default-file", Fixture, NULL,
              fixture_set_up, test_annotated_default_file, fixture_tear_down);

  return g_test_run ();
}

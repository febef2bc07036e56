/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-sip-call"

#include <string.h>

#include <gst/gst.h>
#include <glib/gstdio.h>

#include "gstsipcastgapfill.h"
#include "gstsipcastmixer.h"
#include "sipcast-call-private.h"
#include "sipcast-call-registry.h"
#include "sipcast-config.h"
#include "sipcast-sip-agent.h"
#include "flv-tags.h"

/*
 * Two sipcasts in one process, without sipp or nginx: A calls B over
 * loopback UDP, B answers through a [route], both see the dialog's
 * statuses, A records what B sends it to an FLV file, and a hangup on
 * either side ends both with a BYE.  The same SIP agent, call and
 * registry code as the daemon, on real sockets and real pipelines, only
 * faster to run and to debug than tests/integration.
 */

#define WAIT_US (10 * G_USEC_PER_SEC)

typedef struct {
  char *dir;
  SipcastConfig *config[2];
  SipcastSipAgent *agent[2];
  SipcastCallRegistry *registry[2];
  guint b_port;  /* B's SIP port */
} Fixture;

static SipcastConfig *
make_config (const char *dir,
             const char *name,
             guint       sip_port,
             const char *extra)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = g_strdup_printf ("[sip]\naddress=127.0.0.1\nport=%u\n"
                                           "no-answer-timeout=5\n"
                                           "[rtp]\nports=42000-42999\n"
                                           "[media]\nrecordings-dir=%s\n%s",
                                           sip_port, dir, extra);

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_true (sipcast_config_load_file (config, path, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&config);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contact = NULL;
  /* B listens on 65535 so that it has no TLS transport (there is no
   * port after it for one): with one, nua gives B's 200 a sips: Contact,
   * and A's ACK would go over TLS to a B without a certificate to show.
   * (sipcast should pick B's Contact itself; until it does, this.) */
  const guint sip_port[2] = { 0, 65535 };
  const char *extra[2] = { "", "[route studio]\ncallee=studio\n" };

  fixture->dir = g_dir_make_tmp ("test-sip-call-XXXXXX", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++) {
    g_autofree char *name = g_strdup_printf ("%c.conf", 'a' + i);
    GLogLevelFlags fatal = 0;

    fixture->config[i] = make_config (fixture->dir, name, sip_port[i], extra[i]);
    /* B's "TLS disabled" warning is the point, not a failure. */
    if (i == 1)
      fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
    fixture->agent[i] = sipcast_sip_agent_new (fixture->config[i], &error);
    if (i == 1)
      g_log_set_always_fatal (fatal);
    g_assert_no_error (error);
    fixture->registry[i] = sipcast_call_registry_new (fixture->config[i], fixture->agent[i]);
  }

  /* "<sip:x@127.0.0.1:PORT>": the port B picked. */
  contact = sipcast_sip_agent_contact (fixture->agent[1], "x", "udp", FALSE);
  fixture->b_port = (guint) g_ascii_strtoull (strrchr (contact, ':') + 1, NULL, 10);
  g_assert_cmpuint (fixture->b_port, >, 0);
}

static void
shut_down_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  guint *pending = user_data;

  (*pending)--;
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  guint pending = 2;

  for (guint i = 0; i < 2; i++)
    sipcast_call_registry_shutdown_async (fixture->registry[i], NULL, shut_down_cb, &pending);
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);
  pending = 2;
  for (guint i = 0; i < 2; i++)
    sipcast_sip_agent_shutdown_async (fixture->agent[i], NULL, shut_down_cb, &pending);
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < 2; i++) {
    g_clear_object (&fixture->registry[i]);
    g_clear_object (&fixture->agent[i]);
    g_clear_pointer (&fixture->config[i], sipcast_config_free);
  }
  {
    g_autoptr (GDir) dir = g_dir_open (fixture->dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      g_unlink (path);
    }
  }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
}

/* The one call @registry knows, NULL while there is none. */
static SipcastCall *
only_call (SipcastCallRegistry *registry)
{
  SipcastCallFilter all = { 0 };
  g_autoptr (GPtrArray) calls = sipcast_call_registry_find (registry, &all);

  g_assert_cmpuint (calls->len, <=, 1);
  return calls->len == 1 ? g_ptr_array_index (calls, 0) : NULL;
}

typedef gboolean (*CallTest) (SipcastCall *call,
                              gpointer     data);

/* Runs the main loop until @registry's call passes @test; FALSE when it
 * does not within @timeout_us (0: WAIT_US). */
static gboolean
wait_for (SipcastCallRegistry *registry,
          CallTest             test,
          gpointer             data,
          gint64               timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + (timeout_us > 0 ? timeout_us : WAIT_US);

  while (g_get_monotonic_time () < deadline) {
    SipcastCall *call = only_call (registry);

    if (call != NULL && test (call, data))
      return TRUE;
    g_main_context_iteration (NULL, FALSE);
    g_usleep (1000);
  }
  return FALSE;
}

static gboolean
has_status (SipcastCall *call,
            gpointer     status)
{
  return sipcast_call_get_status (call) == (SipcastCallStatus) GPOINTER_TO_INT (status);
}

static gboolean
wait_for_status (SipcastCallRegistry *registry,
                 SipcastCallStatus    status)
{
  return wait_for (registry, has_status, GINT_TO_POINTER (status), 0);
}

static gboolean
publishes (SipcastCall *call,
           gpointer     data)
{
  return sipcast_call_get_rtmp_status (call) == SIPCAST_RTMP_STATUS_ACTIVE;
}

static gboolean
is_done (SipcastCall *call,
         gpointer     data)
{
  return sipcast_call_is_done (call);
}

static gboolean
never (SipcastCall *call,
       gpointer     data)
{
  return FALSE;
}

/* A calls sip:@user@127.0.0.1:B's port. */
static SipcastCall *
start_call (Fixture    *fixture,
            const char *call_id,
            const char *user)
{
  SipcastCallParams *params = g_new0 (SipcastCallParams, 1);
  g_autoptr (GError) error = NULL;
  SipcastCall *call;

  params->call_id = g_strdup (call_id);
  params->callee = g_strdup_printf ("sip:%s@127.0.0.1:%u", user, fixture->b_port);
  params->to_stream = g_strdup (call_id);
  params->rtmp_url = g_strdup_printf ("file://%s/%s.flv", fixture->dir, call_id);
  params->has_audio = TRUE;
  call = sipcast_call_registry_start_call (fixture->registry[0], params, &error);
  g_assert_no_error (error);
  return call;
}

static void
test_call_and_hang_up (Fixture       *fixture,
                       gconstpointer  data)
{
  gboolean caller_hangs_up = GPOINTER_TO_INT (data);
  SipcastCall *a = start_call (fixture, "in-process-1", "studio");
  SipcastCall *b;

  g_assert_nonnull (a);
  g_assert_true (wait_for_status (fixture->registry[0], SIPCAST_CALL_STATUS_ESTABLISHED));
  g_assert_true (wait_for_status (fixture->registry[1], SIPCAST_CALL_STATUS_ESTABLISHED));
  b = only_call (fixture->registry[1]);
  g_assert_true (sipcast_call_get_incoming (b));
  g_assert_false (sipcast_call_get_incoming (a));
  g_assert_cmpstr (sipcast_call_get_callee (b), ==, "studio");
  g_assert_cmpuint (sipcast_call_get_sip_status (a), ==, 200);
  /* Both ends agreed on the first codec of the default offer. */
  g_assert_cmpstr (sipcast_call_get_audio_codec (a), ==, sipcast_call_get_audio_codec (b));
  g_assert_nonnull (sipcast_call_get_audio_codec (a));
  g_assert_nonnull (sipcast_call_get_remote_sdp (a));
  g_assert_nonnull (sipcast_call_get_remote_sdp (b));

  /* A publishes what B sends (B's mixer: silence) for half a second. */
  g_assert_true (wait_for (fixture->registry[0], publishes, NULL, 0));
  wait_for (fixture->registry[0], never, NULL, G_USEC_PER_SEC / 2);

  /* A BYE from either end finishes both. */
  if (caller_hangs_up)
    g_assert_true (sipcast_call_registry_terminate (fixture->registry[0],
                                                    sipcast_call_get_id (a), NULL));
  else
    g_assert_true (sipcast_call_registry_terminate (fixture->registry[1],
                                                    sipcast_call_get_id (b), NULL));
  g_assert_true (wait_for_status (fixture->registry[0], SIPCAST_CALL_STATUS_FINISH));
  g_assert_true (wait_for_status (fixture->registry[1], SIPCAST_CALL_STATUS_FINISH));

  /* Once A's media has finished, its FLV is complete: AAC frames of
   * 1024 samples at 44.1 kHz, some 20 of them in half a second. */
  g_assert_true (wait_for (fixture->registry[0], is_done, NULL, 0));
  {
    g_autofree char *path = g_strdup_printf ("%s/%s.flv", fixture->dir, sipcast_call_get_id (a));

    g_assert_cmpint (count_flv_audio_tags (path), >=, 10);
  }
}

static void
test_no_route (Fixture       *fixture,
               gconstpointer  data)
{
  SipcastCall *a;

  /* B routes "studio" only: 404 for anyone else, and no call in B. */
  a = start_call (fixture, "in-process-2", "nobody");
  g_assert_true (wait_for_status (fixture->registry[0], SIPCAST_CALL_STATUS_FAILED));
  g_assert_cmpuint (sipcast_call_get_sip_status (a), ==, 404);
  g_assert_null (only_call (fixture->registry[1]));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_assert_true (GST_ELEMENT_REGISTER (sipcastmixer, NULL));
  g_assert_true (GST_ELEMENT_REGISTER (sipcastgapfill, NULL));

  g_test_add ("/sip-call/caller-hangs-up", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_call_and_hang_up, fixture_teardown);
  g_test_add ("/sip-call/callee-hangs-up", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_call_and_hang_up, fixture_teardown);
  g_test_add ("/sip-call/no-route", Fixture, NULL,
              fixture_setup, test_no_route, fixture_teardown);
  return g_test_run ();
}

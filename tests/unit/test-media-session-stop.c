/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-media-session"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <string.h>

#include "sipcast-codec.h"
#include "sipcast-config.h"
#include "sipcast-media-session.h"
#include "sipcast-media-session-private.h"
#include "sipcast-publish-target.h"
#include "sipcast-sdp.h"
#include "gstsipcastgapfill.h"

/*
 * A media session in this process, fed PCMA RTP from a socket of the
 * test's over loopback, the way a call runs it: hanging up never holds
 * the main context (which runs SIP and REST for every call), and an error
 * while stopping ends the stream at once.
 */

#define PCMA_PT 8

/* The warnings logged for the ERROR test_error_while_stopping posts. */
static guint expected_warnings;

typedef struct {
  SipcastConfig *config;
  GSocket *rtp;              /* the session's */
  GSocket *rtcp;
  guint rtp_port;            /* of rtp, kept: the session closes it when it finishes */
  GSocket *far_end;          /* where the test's RTP comes from */
  GSocket *silent_server;    /* takes TCP connections, never answers */
  SipcastMediaSession *session;
  guint send_id;
  guint16 seq;
  guint32 timestamp;
  gboolean finished;
  gboolean failed;
  char *dir;
} Fixture;

static GSocket *
bound_socket (GSocketType      type,
              GSocketProtocol  protocol)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type, protocol, &error);

  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  return socket;
}

static guint
local_port (GSocket *socket)
{
  g_autoptr (GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

/* 20 ms of A-law silence to the session's RTP port. */
static gboolean
send_rtp_cb (gpointer user_data)
{
  Fixture *fixture = user_data;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (loopback, fixture->rtp_port);
  guint8 packet[12 + 160];

  memset (packet + 12, 0xd5, 160);
  packet[0] = 0x80;
  packet[1] = PCMA_PT;
  packet[2] = fixture->seq >> 8;
  packet[3] = fixture->seq & 0xff;
  packet[4] = fixture->timestamp >> 24;
  packet[5] = (fixture->timestamp >> 16) & 0xff;
  packet[6] = (fixture->timestamp >> 8) & 0xff;
  packet[7] = fixture->timestamp & 0xff;
  packet[8] = 0x12;
  packet[9] = 0x34;
  packet[10] = 0x56;
  packet[11] = 0x78;
  fixture->seq++;
  fixture->timestamp += 160;
  g_socket_send_to (fixture->far_end, to, (const char *) packet, sizeof packet, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
finished_cb (SipcastMediaSession *session,
             gpointer             user_data)
{
  Fixture *fixture = user_data;

  fixture->finished = TRUE;
  /* Whoever owns the session may let it go once it has finished (the
   * call does when it is dropped): ours was the last reference. */
  g_clear_object (&fixture->session);
}

static void
error_cb (SipcastMediaSession *session,
          const char          *reason,
          gpointer             user_data)
{
  ((Fixture *) user_data)->failed = TRUE;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  fixture->config = sipcast_config_new_default ();
  fixture->rtp = bound_socket (G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP);
  fixture->rtp_port = local_port (fixture->rtp);
  fixture->rtcp = bound_socket (G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP);
  fixture->far_end = bound_socket (G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP);
  /* The kernel completes the handshake of a listening socket's backlog:
   * rtmp2sink connects, sends its RTMP handshake and waits for ever. */
  fixture->silent_server = bound_socket (G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP);
  g_socket_listen (fixture->silent_server, &error);
  g_assert_no_error (error);
  fixture->dir = g_dir_make_tmp ("test-media-session-XXXXXX", &error);
  g_assert_no_error (error);
  g_free (fixture->config->recordings_dir);
  fixture->config->recordings_dir = g_strdup (fixture->dir);

  fixture->session = sipcast_media_session_new (fixture->config, "test", fixture->rtp,
                                                fixture->rtcp);
  g_signal_connect (fixture->session, "finished", G_CALLBACK (finished_cb), fixture);
  g_signal_connect (fixture->session, "error", G_CALLBACK (error_cb), fixture);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *flv = g_build_filename (fixture->dir, "x.flv", NULL);

  g_clear_handle_id (&fixture->send_id, g_source_remove);
  g_clear_object (&fixture->session);
  /* Pending main-context work (the tail's, ours) holds the pipeline's
   * pieces until it has run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_unlink (flv);
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_clear_object (&fixture->silent_server);
  g_clear_object (&fixture->far_end);
  g_clear_object (&fixture->rtcp);
  g_clear_object (&fixture->rtp);
  sipcast_config_free (fixture->config);
}

/* Starts the session publishing to @url, the far end sending PCMA (and
 * taking nothing back). */
static void
start (Fixture    *fixture,
       const char *url)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastPublishTarget) target = sipcast_publish_target_new (url, "x", &error);
  SipcastSdpMedia audio = {
    .codec = sipcast_codec_find (SIPCAST_MEDIA_AUDIO, "PCMA", 8000),
    .payload_type = PCMA_PT,
    .telephone_event_pt = -1,
    .comfort_noise_pt = -1,
    .address = (char *) "127.0.0.1",
    .port = local_port (fixture->far_end),
    .rtcp_port = local_port (fixture->far_end) + 1,
    .direction = SIPCAST_SDP_SENDONLY,
    .packetization_mode = -1,
  };

  g_assert_no_error (error);
  g_assert_true (sipcast_media_session_start (fixture->session, &audio, NULL, target, NULL,
                                              &error));
  g_assert_no_error (error);
  fixture->send_id = g_timeout_add (20, send_rtp_cb, fixture);
}

static void
run_for (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < until) {
    g_main_context_iteration (NULL, FALSE);
    g_usleep (2000);
  }
}

/* Runs the main context until the session has finished; how long that
 * took, in ms (fails after @timeout_ms). */
static gint64
wait_finished (Fixture *fixture,
               guint    timeout_ms)
{
  gint64 start = g_get_monotonic_time ();

  while (!fixture->finished) {
    g_assert_cmpint (g_get_monotonic_time () - start, <, timeout_ms * G_TIME_SPAN_MILLISECOND);
    g_main_context_iteration (NULL, FALSE);
    g_usleep (2000);
  }
  return (g_get_monotonic_time () - start) / G_TIME_SPAN_MILLISECOND;
}

/* Hanging up while the RTMP connection is still being made: the RTP
 * streaming thread is then stuck behind the muxer, which is stuck behind
 * the sink waiting for the server.  stop() runs on the main context: it
 * must not wait for any of them. */
static void
test_stop_while_connecting (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/",
                                          local_port (fixture->silent_server));
  gint64 before, took_ms;

  start (fixture, url);
  /* Long enough for the RTP to arrive and back up into the muxer. */
  run_for (1500);
  g_assert_false (fixture->finished);
  g_assert_cmpint (sipcast_media_session_get_rtmp_status (fixture->session), ==,
                   SIPCAST_RTMP_STATUS_WAIT);

  before = g_get_monotonic_time ();
  sipcast_media_session_stop (fixture->session);
  took_ms = (g_get_monotonic_time () - before) / G_TIME_SPAN_MILLISECOND;
  g_test_message ("stop() took %" G_GINT64_FORMAT " ms", took_ms);
  g_assert_cmpint (took_ms, <, 100);

  /* Nothing was published, so nothing waits to be completed: the session
   * ends well within its grace period. */
  took_ms = wait_finished (fixture, 1500);
  g_test_message ("finished %" G_GINT64_FORMAT " ms after stop()", took_ms);
  g_assert_false (fixture->failed);
  g_assert_null (fixture->session);
}

/* An ERROR on the bus while the session stops (the far end's socket
 * failing as the call ends): the FLV cannot be completed any more, so the
 * session finishes at once, without reporting an error for a call that
 * is over, and with its bus watch accounted for. */
static void
test_error_while_stopping (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("file://%s/x.flv", fixture->dir);
  GstElement *pipeline;
  g_autoptr (GstElement) rtp_src = NULL;
  g_autoptr (GError) error = g_error_new_literal (GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                                                  "Could not read");

  start (fixture, url);
  run_for (500);
  pipeline = sipcast_media_session_get_pipeline (fixture->session);
  g_assert_nonnull (pipeline);
  rtp_src = gst_bin_get_by_name (GST_BIN (pipeline), "rtp_src");
  g_assert_nonnull (rtp_src);

  /* Posted before the hang-up, seen after it: the bus watch runs on the
   * main context, which stop() is called from. */
  gst_element_post_message (rtp_src, gst_message_new_error (GST_OBJECT (rtp_src), error,
                                                            "socket gone"));
  sipcast_media_session_stop (fixture->session);
  wait_finished (fixture, 1000);
  g_assert_cmpuint (expected_warnings, ==, 1);
  g_assert_false (fixture->failed);
  g_assert_null (fixture->session);
}

/* The warning the session logs for the ERROR that test_error_while_stopping
 * posts is counted, not fatal.  (g_test_expect_message() does not see
 * structured logging in this GLib.) */
static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0 &&
        (log_level & G_LOG_LEVEL_WARNING) &&
        g_pattern_match_simple ("test: rtp_src: Could not read*", fields[i].value)) {
      expected_warnings++;
      return G_LOG_WRITER_HANDLED;
    }
  }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

int
main (int    argc,
      char **argv)
{
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_assert_true (GST_ELEMENT_REGISTER (sipcastgapfill, NULL));

  g_test_add ("/media-session/stop-while-connecting", Fixture, NULL, fixture_setup,
              test_stop_while_connecting, fixture_teardown);
  g_test_add ("/media-session/error-while-stopping", Fixture, NULL, fixture_setup,
              test_error_while_stopping, fixture_teardown);

  return g_test_run ();
}

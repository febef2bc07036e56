/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-media-session"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include "gstsipcastgapfill.h"
#include "gstsipcastmixer.h"
#include "sipcast-config.h"
#include "sipcast-media-session.h"
#include "sipcast-publish-target.h"
#include "sipcast-sdp.h"
#include "flv-tags.h"

/*
 * A media session on its own, fed from a test capture: the RTP packets of
 * tests/media/pcmu-dtmf-3s.pcap sent to its socket at the capture's pace,
 * as a far end would.  What a client would check: the RTMP status goes
 * ACTIVE, the three RFC 4733 digits arrive as "dtmf-received" in order,
 * and once stopped, "finished" comes and the FLV file holds about three
 * seconds of AAC.  No SIP, no sipp, no nginx.
 */

#define WAIT_US (10 * G_USEC_PER_SEC)

typedef struct {
  GBytes *payload;
  gint64  at_us;    /* capture time, from the first packet */
} Packet;

static void
packet_free (gpointer data)
{
  Packet *packet = data;

  g_bytes_unref (packet->payload);
  g_free (packet);
}

/* The UDP payloads of a little-endian Ethernet/IPv4 pcap file. */
static GPtrArray *
read_pcap (const char *path)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  gsize offset = 24;
  gint64 first = -1;
  GPtrArray *packets = g_ptr_array_new_with_free_func (packet_free);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_get_contents (path, &data, &length, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (length, >=, 24);
  g_assert_cmphex (GUINT32_FROM_LE (*(guint32 *) data), ==, 0xa1b2c3d4);

  while (offset + 16 <= length) {
    const guchar *record = (const guchar *) data + offset;
    guint32 seconds = GUINT32_FROM_LE (*(guint32 *) record);
    guint32 micros = GUINT32_FROM_LE (*(guint32 *) (record + 4));
    guint32 size = GUINT32_FROM_LE (*(guint32 *) (record + 8));
    const guchar *frame = record + 16;
    gsize ip_header = (frame[14] & 0x0f) * 4;
    gsize udp = 14 + ip_header;
    Packet *packet = g_new0 (Packet, 1);
    gint64 at = (gint64) seconds * G_USEC_PER_SEC + micros;

    g_assert_cmpuint (offset + 16 + size, <=, length);
    if (first < 0)
      first = at;
    packet->at_us = at - first;
    packet->payload = g_bytes_new (frame + udp + 8, size - udp - 8);
    g_ptr_array_add (packets, packet);
    offset += 16 + size;
  }
  return packets;
}

typedef struct {
  GSocket *far_end;          /* where our RTP comes from and goes to */
  GSocketAddress *session;   /* the session's RTP socket */
  GPtrArray *packets;
  guint next;
  gint64 started;
} Sender;

static gboolean
send_due_cb (gpointer user_data)
{
  Sender *sender = user_data;
  gint64 now = g_get_monotonic_time () - sender->started;

  while (sender->next < sender->packets->len) {
    Packet *packet = g_ptr_array_index (sender->packets, sender->next);
    gsize size;
    const char *bytes = g_bytes_get_data (packet->payload, &size);

    if (packet->at_us > now)
      return G_SOURCE_CONTINUE;
    g_assert_cmpint (g_socket_send_to (sender->far_end, sender->session, bytes, size,
                                       NULL, NULL), ==, (gssize) size);
    sender->next++;
  }
  return G_SOURCE_REMOVE;
}

static GSocket *
bound_socket (void)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GError) error = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  g_assert_no_error (error);
  return socket;
}

static guint
port_of (GSocket *socket)
{
  g_autoptr (GSocketAddress) address = g_socket_get_local_address (socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

static void
dtmf_received_cb (SipcastMediaSession *session,
                  const char          *digit,
                  GString             *digits)
{
  g_string_append (digits, digit);
}

static void
rtmp_status_cb (SipcastMediaSession *session,
                GParamSpec          *pspec,
                gboolean            *was_active)
{
  if (sipcast_media_session_get_rtmp_status (session) == SIPCAST_RTMP_STATUS_ACTIVE)
    *was_active = TRUE;
}

static void
finished_cb (SipcastMediaSession *session,
             gboolean            *finished)
{
  *finished = TRUE;
}

/* Runs the main loop until *@flag or WAIT_US. */
static gboolean
wait_for_flag (const gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_US;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return *flag;
}

static void
test_pcmu_with_dtmf (void)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) rtp = bound_socket ();
  g_autoptr (GSocket) rtcp = bound_socket ();
  g_autoptr (GSocket) far_end = bound_socket ();
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) session_address = NULL;
  g_autoptr (SipcastMediaSession) session = NULL;
  g_autoptr (SipcastSdpAnswer) answer = NULL;
  g_autoptr (GPtrArray) packets = NULL;
  g_autoptr (GString) digits = g_string_new (NULL);
  g_autofree char *dir = g_dir_make_tmp ("test-media-session-XXXXXX", NULL);
  g_autofree char *flv = g_build_filename (dir, "call.flv", NULL);
  g_autofree char *url = g_strconcat ("file://", flv, NULL);
  g_autofree char *capture = g_test_build_filename (G_TEST_DIST, "media", "pcmu-dtmf-3s.pcap",
                                                    NULL);
  g_autofree char *sdp = NULL;
  SipcastPublishTarget *target;
  gboolean was_active = FALSE;
  gboolean finished = FALSE;
  Sender sender = { 0 };

  /* The far end's answer, as a phone at far_end's port would send it. */
  sdp = g_strdup_printf ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                         "t=0 0\r\nm=audio %u RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
                         "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
                         "a=sendrecv\r\n", port_of (far_end));
  answer = sipcast_sdp_parse_answer (sdp, &error);
  g_assert_no_error (error);
  g_free (config->recordings_dir);
  config->recordings_dir = g_strdup (dir);
  target = sipcast_publish_target_new (url, NULL, &error);
  g_assert_no_error (error);

  session = sipcast_media_session_new (config, "test", rtp, rtcp);
  g_signal_connect (session, "dtmf-received", G_CALLBACK (dtmf_received_cb), digits);
  g_signal_connect (session, "notify::rtmp-status", G_CALLBACK (rtmp_status_cb), &was_active);
  g_signal_connect (session, "finished", G_CALLBACK (finished_cb), &finished);
  g_assert_true (sipcast_media_session_start (session, answer->audio, NULL, target, NULL,
                                              &error));
  g_assert_no_error (error);
  sipcast_media_session_follow_remote (session, answer->audio);

  packets = read_pcap (capture);
  g_assert_cmpuint (packets->len, >=, 3 * 50);
  session_address = g_inet_socket_address_new (loopback, sipcast_media_session_get_rtp_port (session));
  sender = (Sender) { far_end, session_address, packets, 0, g_get_monotonic_time () };
  /* Removes itself after the last packet. */
  g_timeout_add (5, send_due_cb, &sender);
  while (sender.next < packets->len)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (was_active);
  g_assert_cmpstr (digits->str, ==, "1#9");
  g_assert_cmpstr (sipcast_media_session_get_dtmf_received (session), ==, "1#9");

  sipcast_media_session_stop (session);
  g_assert_true (wait_for_flag (&finished));
  g_assert_true (sipcast_media_session_is_finished (session));
  /* The capture has 2.4 s of audio (the digits take 0.6 s in its
   * place): 103 AAC frames of 1024 samples at 44.1 kHz.  A loaded
   * machine may lose the first packets while the pipeline starts. */
  g_assert_cmpint (count_flv_audio_tags (flv), >=, 80);

  g_clear_object (&session);
  sipcast_publish_target_free (target);
  g_unlink (flv);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gst_init (NULL, NULL);
  g_assert_true (GST_ELEMENT_REGISTER (sipcastmixer, NULL));
  g_assert_true (GST_ELEMENT_REGISTER (sipcastgapfill, NULL));

  g_test_add_func ("/media-session/pcmu-with-dtmf", test_pcmu_with_dtmf);
  return g_test_run ();
}

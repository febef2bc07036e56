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
#include "sipcast-media-session-private.h"
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
 *
 * The parts the session is made of, seen from outside: its audio line
 * follows a far end that sends from elsewhere (symmetric RTP) and one
 * that moves (a re-INVITE), ignoring what still comes from where it was;
 * its video line publishes H.264 and reports each new size, or is given
 * up on when the far end never sends the video it accepted.
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
/* pcap fields are not aligned: read them byte-wise (UBSan). */
static guint32
read_le32 (const guchar *p)
{
  guint32 value;

  memcpy (&value, p, sizeof value);
  return GUINT32_FROM_LE (value);
}

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
  g_assert_cmphex (read_le32 ((const guchar *) data), ==, 0xa1b2c3d4);

  while (offset + 16 <= length) {
    const guchar *record = (const guchar *) data + offset;
    guint32 seconds = read_le32 (record);
    guint32 micros = read_le32 (record + 4);
    guint32 size = read_le32 (record + 8);
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

/* Sends @packets from @from to @port on 127.0.0.1 at the capture's pace
 * (from the main loop; the sender removes itself after the last one). */
static void
start_sender (Sender     *sender,
              GSocket    *from,
              guint       port,
              GPtrArray  *packets)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  *sender = (Sender) { from, g_inet_socket_address_new (loopback, port), packets, 0,
                       g_get_monotonic_time () };
  g_timeout_add (5, send_due_cb, sender);
}

/* Runs the main loop until every packet of @senders went out. */
static void
wait_for_senders (Sender *senders,
                  guint   n)
{
  for (guint i = 0; i < n; i++) {
    while (senders[i].next < senders[i].packets->len)
      g_main_context_iteration (NULL, TRUE);
    g_clear_object (&senders[i].session);
  }
}

/* Runs the main loop (the latch is acted on there) until @socket gets an
 * RTP packet sent from our port @from, or @timeout_us passes.  What else
 * arrives (RTP from before, RTCP) is read and dropped. */
static gboolean
receives_rtp_from (GSocket *socket,
                   guint    from,
                   gint64   timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  g_socket_set_blocking (socket, FALSE);
  while (g_get_monotonic_time () < deadline) {
    g_autoptr (GSocketAddress) sender = NULL;
    guchar buffer[1500];
    gssize size;

    g_main_context_iteration (NULL, FALSE);
    size = g_socket_receive_from (socket, &sender, (char *) buffer, sizeof buffer, NULL, NULL);
    if (size < 0) {
      g_usleep (2000);
      continue;
    }
    if (size >= 12 && (buffer[0] >> 6) == 2 &&
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (sender)) == from)
      return TRUE;
  }
  return FALSE;
}

/* Reads whatever @socket has queued. */
static void
drain (GSocket *socket)
{
  char buffer[1500];

  g_socket_set_blocking (socket, FALSE);
  while (g_socket_receive (socket, buffer, sizeof buffer, NULL, NULL) >= 0)
    ;
}

/* @n packets of @packets from @from to @port at once. */
static void
send_some (GSocket   *from,
           guint      port,
           GPtrArray *packets,
           guint      n)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) to = g_inet_socket_address_new (loopback, port);

  for (guint i = 0; i < n; i++) {
    Packet *packet = g_ptr_array_index (packets, i);
    gsize size;
    const char *bytes = g_bytes_get_data (packet->payload, &size);

    g_assert_cmpint (g_socket_send_to (from, to, bytes, size, NULL, NULL), ==, (gssize) size);
  }
}

static SipcastSdpAnswer *
audio_answer (guint port)
{
  g_autofree char *sdp = NULL;
  g_autoptr (GError) error = NULL;
  SipcastSdpAnswer *answer;

  sdp = g_strdup_printf ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                         "t=0 0\r\nm=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                         "a=sendrecv\r\n", port);
  answer = sipcast_sdp_parse_answer (sdp, &error);
  g_assert_no_error (error);
  return answer;
}

/* The audio line, not published: where our RTP goes follows the far end.
 * It sends from a NAT (we latch there), then moves in a re-INVITE (we
 * go there, and packets still from the NAT do not take us back), then
 * sends from its new NAT mapping (we latch again). */
static void
test_audio_line_follows_far_end (void)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) rtp = bound_socket ();
  g_autoptr (GSocket) rtcp = bound_socket ();
  g_autoptr (GSocket) in_sdp = bound_socket ();
  g_autoptr (GSocket) nat = bound_socket ();
  g_autoptr (GSocket) moved = bound_socket ();
  g_autoptr (GSocket) new_nat = bound_socket ();
  g_autoptr (SipcastSdpAnswer) answer = audio_answer (port_of (in_sdp));
  g_autoptr (SipcastSdpAnswer) reinvite = audio_answer (port_of (moved));
  g_autoptr (SipcastMediaSession) session = NULL;
  g_autoptr (GPtrArray) packets = NULL;
  g_autofree char *capture = g_test_build_filename (G_TEST_DIST, "media", "pcmu-440hz-5s.pcap",
                                                    NULL);
  gboolean finished = FALSE;
  guint port;

  g_assert_true (config->symmetric_rtp);
  packets = read_pcap (capture);
  session = sipcast_media_session_new (config, "test", rtp, rtcp);
  g_signal_connect (session, "finished", G_CALLBACK (finished_cb), &finished);
  g_assert_true (sipcast_media_session_start (session, answer->audio, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  sipcast_media_session_follow_remote (session, answer->audio);
  port = sipcast_media_session_get_rtp_port (session);

  /* The mixer's silence goes where the SDP says, from the port RTP
   * comes in on. */
  g_assert_true (receives_rtp_from (in_sdp, port, WAIT_US));

  send_some (nat, port, packets, 5);
  g_assert_true (receives_rtp_from (nat, port, WAIT_US));

  g_assert_true (sipcast_media_session_update_remote (session, reinvite->audio, &error));
  g_assert_no_error (error);
  g_assert_true (receives_rtp_from (moved, port, WAIT_US));
  drain (nat);
  send_some (nat, port, packets, 5);
  g_assert_false (receives_rtp_from (nat, port, G_USEC_PER_SEC / 2));
  g_assert_true (receives_rtp_from (moved, port, WAIT_US));

  send_some (new_nat, port, packets, 5);
  g_assert_true (receives_rtp_from (new_nat, port, WAIT_US));

  sipcast_media_session_stop (session);
  g_assert_true (wait_for_flag (&finished));
  /* The line's ports went back. */
  g_assert_cmpuint (sipcast_media_session_get_rtp_port (session), ==, 0);
}

static void
video_size_cb (SipcastMediaSession *session,
               GString             *sizes)
{
  int width = 0, height = 0;

  g_assert_true (sipcast_media_session_get_video_size (session, &width, &height));
  g_string_append_printf (sizes, "%s%dx%d", sizes->len > 0 ? " " : "", width, height);
}

/* A published call with a video line: audio from @audio_capture, and
 * video from @video_capture (NULL: the far end never sends the video it
 * accepted).  Returns the FLV's path; @sizes gets each size announced. */
static char *
run_video_call (const char  *dir,
                const char  *video_capture,
                GString     *sizes,
                gboolean    *video_chain_left)
{
  g_autoptr (SipcastConfig) config = sipcast_config_new_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) rtp = bound_socket ();
  g_autoptr (GSocket) rtcp = bound_socket ();
  g_autoptr (GSocket) video_rtp = bound_socket ();
  g_autoptr (GSocket) video_rtcp = bound_socket ();
  g_autoptr (GSocket) far_end = bound_socket ();
  g_autoptr (GSocket) far_video = bound_socket ();
  g_autoptr (SipcastMediaSession) session = NULL;
  g_autoptr (SipcastSdpAnswer) answer = NULL;
  g_autoptr (GPtrArray) audio = NULL;
  g_autoptr (GPtrArray) video = NULL;
  g_autoptr (GstElement) video_chain = NULL;
  char *flv = g_build_filename (dir, "call.flv", NULL);
  g_autofree char *url = g_strconcat ("file://", flv, NULL);
  g_autofree char *audio_path = g_test_build_filename (G_TEST_DIST, "media", "pcmu-dtmf-3s.pcap",
                                                       NULL);
  g_autofree char *sdp = NULL;
  SipcastPublishTarget *target;
  gboolean finished = FALSE;
  Sender senders[2] = { 0 };

  sdp = g_strdup_printf ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                         "t=0 0\r\nm=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
                         "a=sendrecv\r\nm=video %u RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                         "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f\r\n"
                         "a=rtcp-fb:96 nack pli\r\na=sendrecv\r\n",
                         port_of (far_end), port_of (far_video));
  answer = sipcast_sdp_parse_answer (sdp, &error);
  g_assert_no_error (error);
  g_assert_nonnull (answer->video);
  g_free (config->recordings_dir);
  config->recordings_dir = g_strdup (dir);
  target = sipcast_publish_target_new (url, NULL, &error);
  g_assert_no_error (error);

  session = sipcast_media_session_new (config, "test", rtp, rtcp);
  sipcast_media_session_set_video_sockets (session, video_rtp, video_rtcp);
  g_assert_cmpuint (sipcast_media_session_get_video_rtp_port (session), ==, port_of (video_rtp));
  g_signal_connect (session, "video-size-changed", G_CALLBACK (video_size_cb), sizes);
  g_signal_connect (session, "finished", G_CALLBACK (finished_cb), &finished);
  g_assert_true (sipcast_media_session_start (session, answer->audio, answer->video, target,
                                              NULL, &error));
  g_assert_no_error (error);
  g_assert_true (sipcast_media_session_has_video (session));
  sipcast_media_session_follow_remote (session, answer->audio);

  audio = read_pcap (audio_path);
  start_sender (&senders[0], far_end, port_of (rtp), audio);
  if (video_capture != NULL) {
    g_autofree char *video_path = g_test_build_filename (G_TEST_DIST, "media", video_capture,
                                                         NULL);

    video = read_pcap (video_path);
    start_sender (&senders[1], far_video, port_of (video_rtp), video);
  }
  wait_for_senders (senders, video_capture != NULL ? 2 : 1);

  video_chain = gst_bin_get_by_name (GST_BIN (sipcast_media_session_get_pipeline (session)),
                                     "video_chain");
  *video_chain_left = video_chain != NULL;
  sipcast_media_session_stop (session);
  g_assert_true (wait_for_flag (&finished));
  g_assert_cmpuint (sipcast_media_session_get_video_rtp_port (session), ==, 0);

  g_clear_object (&session);
  sipcast_publish_target_free (target);
  return flv;
}

/* The video line: H.264 published as it is, and each size it takes
 * announced (the capture goes from 320x240 to 640x480). */
static void
test_video_line_publishes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-media-session-XXXXXX", NULL);
  g_autoptr (GString) sizes = g_string_new (NULL);
  g_autofree char *flv = NULL;
  gboolean video_chain = FALSE;

  flv = run_video_call (dir, "h264-reschange-3s.pcap", sizes, &video_chain);
  g_assert_true (video_chain);
  g_assert_cmpstr (sizes->str, ==, "320x240 640x480");
  /* 75 frames; a loaded machine may lose the first packets. */
  g_assert_cmpint (count_flv_video_tags (flv), >=, 50);
  g_assert_cmpint (count_flv_audio_tags (flv), >=, 80);
  g_unlink (flv);
  g_rmdir (dir);
}

/* A far end that accepted video but sends none: the video line's chain
 * goes after its wait and the audio is published alone. */
static void
test_video_line_given_up (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-media-session-XXXXXX", NULL);
  g_autoptr (GString) sizes = g_string_new (NULL);
  g_autofree char *flv = NULL;
  gboolean video_chain = TRUE;

  flv = run_video_call (dir, NULL, sizes, &video_chain);
  g_assert_false (video_chain);
  g_assert_cmpstr (sizes->str, ==, "");
  g_assert_cmpint (count_flv_video_tags (flv), ==, 0);
  g_assert_cmpint (count_flv_audio_tags (flv), >=, 80);
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
  g_test_add_func ("/media-session/audio-line-follows-far-end", test_audio_line_follows_far_end);
  g_test_add_func ("/media-session/video-line-publishes", test_video_line_publishes);
  g_test_add_func ("/media-session/video-line-given-up", test_video_line_given_up);
  return g_test_run ();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-media"

#include "config.h"
#include "sipcast-media-line.h"
#include "sipcast-media-chain.h"

#include <glib/gi18n.h>
#include <gst/net/gstnetaddressmeta.h>
#include <gst/rtp/gstrtpbuffer.h>

/*
 * One m= line, as gst-rtsp-server's rtsp-stream is one stream of a
 * media: the elements on its sockets (element names are their roles, the
 * video line's prefixed "video_"), and following the far end once
 * started.
 *
 *   rtp_src (udpsrc, RTP socket) ──▶ rtpbin recv_rtp_sink_N
 *   rtcp_src (udpsrc, RTCP socket) ─▶ rtpbin recv_rtcp_sink_N
 *   rtpbin send_rtcp_src_N ──▶ rtcp_sink (udpsink, RTCP socket)
 *   rtpbin send_rtp_src_N ──▶ rtp_sink (udpsink, RTP socket; add_sender)
 *
 * After start the far end may move (a re-INVITE with another port or
 * address, a 200 whose SDP differs from the early one), hold the call,
 * stop sending, or send from another address than its SDP names (NAT).
 * RTP in is watched by one probe on rtp_src's pad (streaming thread),
 * silence by udpsrc's own "timeout" (a GstUDPSrcTimeout element message,
 * caught synchronously and handed to the main context): no timer per call.
 */

enum {
  SIGNAL_RTP_TIMEOUT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct {
  GMutex lock;          /* the fields up to pt_to: the RTP probe reads them */
  char *address;        /* where our RTP and RTCP go now */
  guint port;
  guint rtcp_port;
  gboolean latch;       /* the next packet's source becomes the destination */
  char *stale_address;  /* ...unless it comes from here: where the far end */
  guint stale_port;     /* sent from before it moved (it may not move its sending side) */
  int pt_from;          /* incoming payload type renumbered to pt_to, or -1 */
  int pt_to;

  /* main context only */
  gboolean watching;    /* "rtp-timeout" is reported */
  gboolean held;
  gint64 watch_since;   /* g_get_monotonic_time () of watching/resuming */
  gulong hold_probe;    /* on rtp_sink's sink pad while held */
} Remote;

struct _SipcastMediaLine {
  GObject parent_instance;

  const SipcastConfig *config;
  char *name;
  SipcastMediaKind kind;
  GSocket *rtp_socket;
  GSocket *rtcp_socket;

  /* In the pipeline from add() to detach() (references of our own). */
  GstElement *pipeline;
  GstElement *rtpbin;
  GstElement *rtp_src;
  GstElement *rtcp_sink;
  GstElement *rtp_sink;      /* NULL: we send no RTP on this line */
  GstBus *bus;
  gulong sync_handler;

  gboolean stopping;
  /* Following the far end (follow()): where our RTP goes, hold, RTP
   * inactivity.  NULL before. */
  Remote *remote;
};

G_DEFINE_FINAL_TYPE (SipcastMediaLine, sipcast_media_line, G_TYPE_OBJECT)

/* What a latched source is handed to the main context with. */
typedef struct {
  SipcastMediaLine *line;  /* owned */
  char *address;
  guint port;
} Latch;

static void
remote_free (Remote *remote)
{
  g_mutex_clear (&remote->lock);
  g_free (remote->address);
  g_free (remote->stale_address);
  g_free (remote);
}

static void
latch_free (gpointer data)
{
  Latch *latch = data;

  g_object_unref (latch->line);
  g_free (latch->address);
  g_free (latch);
}

/* rtpbin's session of the line: 0 the audio, 1 the video. */
static guint
rtp_session (SipcastMediaLine *self)
{
  return self->kind == SIPCAST_MEDIA_AUDIO ? 0 : 1;
}

/* Main context: our RTP (and RTCP, port + 1 unless a=rtcp said) go to
 * @address. */
static void
set_destination (SipcastMediaLine *self,
                 const char       *address,
                 guint             port,
                 guint             rtcp_port)
{
  /* udpsink swaps its one client under its own lock: safe while playing. */
  if (self->rtp_sink != NULL)
    g_object_set (self->rtp_sink, "host", address, "port", (int) port, NULL);
  if (self->rtcp_sink != NULL)
    g_object_set (self->rtcp_sink, "host", address, "port", (int) rtcp_port, NULL);

  g_mutex_lock (&self->remote->lock);
  g_free (self->remote->address);
  self->remote->address = g_strdup (address);
  self->remote->port = port;
  self->remote->rtcp_port = rtcp_port;
  g_mutex_unlock (&self->remote->lock);
}

static gboolean
latch_cb (gpointer data)
{
  Latch *latch = data;
  SipcastMediaLine *self = latch->line;
  g_autofree char *from = NULL;

  if (self->rtp_src == NULL || self->stopping)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->remote->lock);
  from = g_strdup_printf ("%s:%u", self->remote->address, self->remote->port);
  g_mutex_unlock (&self->remote->lock);
  g_message (_("%s: the far end sends RTP from %s:%u, not %s as its SDP says: "
             "sending there (symmetric RTP)"), self->name, latch->address, latch->port, from);
  /* RTCP follows to the port next to it, as a NAT maps it most often. */
  set_destination (self, latch->address, latch->port, latch->port + 1);
  return G_SOURCE_REMOVE;
}

/* rtp_src's streaming thread, every packet: the first one after (re)arming
 * tells where the far end really sends from; a payload type the far end
 * renumbered in a re-INVITE is put back to what rtpbin was set up for. */
static GstPadProbeReturn
rtp_in_probe (GstPad          *pad,
              GstPadProbeInfo *info,
              gpointer         user_data)
{
  SipcastMediaLine *self = SIPCAST_MEDIA_LINE (user_data);
  Remote *remote = self->remote;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  Latch *latch = NULL;

  g_mutex_lock (&remote->lock);

  if (remote->latch) {
    GstNetAddressMeta *meta = gst_buffer_get_net_address_meta (buffer);

    if (meta != NULL && G_IS_INET_SOCKET_ADDRESS (meta->addr)) {
      GInetSocketAddress *from = G_INET_SOCKET_ADDRESS (meta->addr);
      g_autofree char *address = g_inet_address_to_string (g_inet_socket_address_get_address (from));
      guint port = g_inet_socket_address_get_port (from);

      /* A packet still from where the far end sent before it moved says
       * nothing about the move: wait for one from elsewhere. */
      if (port != remote->stale_port || g_strcmp0 (address, remote->stale_address) != 0)
        remote->latch = FALSE;
      if (!remote->latch &&
          (port != remote->port || g_strcmp0 (address, remote->address) != 0)) {
        latch = g_new0 (Latch, 1);
        latch->line = g_object_ref (self);
        latch->address = g_steal_pointer (&address);
        latch->port = port;
      }
    }
  }

  /* rtpsession takes a known SSRC from a new address for a collision and
   * drops it: a far end whose stream moves (a re-INVITE, a NAT rebinding)
   * would go silent.  Where packets come from was decided above. */
  if (gst_buffer_get_net_address_meta (buffer) != NULL) {
    buffer = gst_buffer_make_writable (buffer);
    gst_buffer_remove_meta (buffer, (GstMeta *) gst_buffer_get_net_address_meta (buffer));
    GST_PAD_PROBE_INFO_DATA (info) = buffer;
  }

  if (remote->pt_from >= 0) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    int pt = -1;

    if (gst_rtp_buffer_map (buffer, GST_MAP_READ, &rtp)) {
      pt = gst_rtp_buffer_get_payload_type (&rtp);
      gst_rtp_buffer_unmap (&rtp);
    }
    if (pt == remote->pt_from) {
      buffer = gst_buffer_make_writable (buffer);
      if (gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp)) {
        gst_rtp_buffer_set_payload_type (&rtp, (guint8) remote->pt_to);
        gst_rtp_buffer_unmap (&rtp);
      }
      GST_PAD_PROBE_INFO_DATA (info) = buffer;
    }
  }

  g_mutex_unlock (&remote->lock);

  if (latch != NULL)
    g_idle_add_full (G_PRIORITY_DEFAULT, latch_cb, latch, latch_free);
  return GST_PAD_PROBE_OK;
}

static gboolean
rtp_timeout_cb (gpointer user_data)
{
  SipcastMediaLine *self = SIPCAST_MEDIA_LINE (user_data);
  gint64 watched;

  if (self->rtp_src == NULL || self->stopping || self->remote == NULL ||
      !self->remote->watching || self->remote->held)
    return G_SOURCE_REMOVE;

  /* udpsrc counts from its last packet or last report, which may lie
   * before the watch began (ringing, hold): only a whole silent period
   * while watched counts; the next report comes one period later. */
  watched = g_get_monotonic_time () - self->remote->watch_since;
  if (watched + 200 * G_TIME_SPAN_MILLISECOND < (gint64) self->config->rtp_timeout * G_TIME_SPAN_SECOND)
    return G_SOURCE_REMOVE;

  g_message (_("%s: no RTP from the far end for %u s"), self->name, self->config->rtp_timeout);
  g_signal_emit (self, signals[SIGNAL_RTP_TIMEOUT], 0);
  return G_SOURCE_REMOVE;
}

/* The posting thread (rtp_src's): hand udpsrc's silence report to the
 * main context.  rtp_src is ours from add() to detach(), and detach()
 * comes only once the pipeline's threads have stopped. */
static void
sync_element_cb (GstBus     *bus,
                 GstMessage *message,
                 gpointer    user_data)
{
  SipcastMediaLine *self = SIPCAST_MEDIA_LINE (user_data);
  const GstStructure *s = gst_message_get_structure (message);

  if (s == NULL || !gst_structure_has_name (s, "GstUDPSrcTimeout") ||
      GST_MESSAGE_SRC (message) != GST_OBJECT (self->rtp_src))
    return;
  g_idle_add_full (G_PRIORITY_DEFAULT, rtp_timeout_cb, g_object_ref (self), g_object_unref);
}

static GstPadProbeReturn
drop_probe (GstPad          *pad,
            GstPadProbeInfo *info,
            gpointer         user_data)
{
  return GST_PAD_PROBE_DROP;
}

static void
sipcast_media_line_dispose (GObject *object)
{
  SipcastMediaLine *self = SIPCAST_MEDIA_LINE (object);

  sipcast_media_line_detach (self);
  g_clear_object (&self->rtp_socket);
  g_clear_object (&self->rtcp_socket);

  G_OBJECT_CLASS (sipcast_media_line_parent_class)->dispose (object);
}

static void
sipcast_media_line_finalize (GObject *object)
{
  SipcastMediaLine *self = SIPCAST_MEDIA_LINE (object);

  g_free (self->name);
  g_clear_pointer (&self->remote, remote_free);

  G_OBJECT_CLASS (sipcast_media_line_parent_class)->finalize (object);
}

static void
sipcast_media_line_class_init (SipcastMediaLineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_media_line_dispose;
  object_class->finalize = sipcast_media_line_finalize;

  /* No RTP from the far end for [rtp] timeout seconds while watched
   * (sipcast_media_line_watch, not held). */
  signals[SIGNAL_RTP_TIMEOUT] =
    g_signal_new ("rtp-timeout", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
sipcast_media_line_init (SipcastMediaLine *self)
{
}

SipcastMediaLine *
sipcast_media_line_new (const SipcastConfig *config,
                        const char          *name,
                        SipcastMediaKind     kind,
                        GSocket             *rtp,
                        GSocket             *rtcp)
{
  SipcastMediaLine *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (G_IS_SOCKET (rtp) && G_IS_SOCKET (rtcp), NULL);

  self = g_object_new (SIPCAST_TYPE_MEDIA_LINE, NULL);
  self->config = config;
  self->name = g_strdup (name);
  self->kind = kind;
  self->rtp_socket = g_object_ref (rtp);
  self->rtcp_socket = g_object_ref (rtcp);
  return self;
}

guint
sipcast_media_line_get_port (SipcastMediaLine *self)
{
  g_autoptr (GSocketAddress) address = NULL;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_LINE (self), 0);

  /* NULL once released: the port went back. */
  if (self->rtp_socket == NULL)
    return 0;
  address = g_socket_get_local_address (self->rtp_socket, NULL);
  if (address == NULL)
    return 0;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
}

/* Closed rather than only unreferenced, so that no reference left
 * anywhere keeps a port. */
void
sipcast_media_line_release (SipcastMediaLine *self)
{
  GSocket **sockets[] = { &self->rtp_socket, &self->rtcp_socket };

  g_return_if_fail (SIPCAST_IS_MEDIA_LINE (self));

  for (guint i = 0; i < G_N_ELEMENTS (sockets); i++) {
    if (*sockets[i] != NULL) {
      g_socket_close (*sockets[i], NULL);
      g_clear_object (sockets[i]);
    }
  }
}

/* udpsrc on the RTP and RTCP sockets into rtpbin's session, its RTCP out
 * to @address:@rtcp_port from the RTCP socket (symmetric, so NATed far
 * ends and strict ones see reports from where they send theirs). */
gboolean
sipcast_media_line_add (SipcastMediaLine  *self,
                        GstElement        *pipeline,
                        GstElement        *rtpbin,
                        const char        *address,
                        guint              rtcp_port,
                        GError           **error)
{
  guint session = rtp_session (self);
  const char *prefix = session == 0 ? "" : "video_";
  g_autofree char *rtp_name = g_strconcat (prefix, "rtp_src", NULL);
  g_autofree char *rtcp_name = g_strconcat (prefix, "rtcp_src", NULL);
  g_autofree char *sink_name = g_strconcat (prefix, "rtcp_sink", NULL);
  g_autofree char *rtp_pad = g_strdup_printf ("recv_rtp_sink_%u", session);
  g_autofree char *rtcp_in = g_strdup_printf ("recv_rtcp_sink_%u", session);
  g_autofree char *rtcp_out = g_strdup_printf ("send_rtcp_src_%u", session);
  GstElement *rtp_src, *rtcp_src, *rtcp_sink;
  GstBin *bin = GST_BIN (pipeline);

  g_return_val_if_fail (SIPCAST_IS_MEDIA_LINE (self), FALSE);
  g_return_val_if_fail (self->rtp_src == NULL && self->rtp_socket != NULL, FALSE);

  if ((rtp_src = sipcast_media_chain_add_element (bin, "udpsrc", rtp_name, error)) == NULL ||
      (rtcp_src = sipcast_media_chain_add_element (bin, "udpsrc", rtcp_name, error)) == NULL ||
      (rtcp_sink = sipcast_media_chain_add_element (bin, "udpsink", sink_name, error)) == NULL)
    return FALSE;

  g_object_set (rtp_src, "socket", self->rtp_socket, "close-socket", FALSE, NULL);
  /* The call's silence is the audio's: udpsrc reports it itself (see
   * follow()); set before PLAYING, as its wait picks a new value up only
   * per packet. */
  if (session == 0)
    g_object_set (rtp_src, "timeout", (guint64) self->config->rtp_timeout * GST_SECOND, NULL);
  g_object_set (rtcp_src, "socket", self->rtcp_socket, "close-socket", FALSE, NULL);
  g_object_set (rtcp_sink, "socket", self->rtcp_socket, "close-socket", FALSE,
                "host", address, "port", (int) rtcp_port,
                "sync", FALSE, "async", FALSE, NULL);

  if (!sipcast_media_chain_link (rtp_src, "src", rtpbin, rtp_pad, error) ||
      !sipcast_media_chain_link (rtcp_src, "src", rtpbin, rtcp_in, error) ||
      !sipcast_media_chain_link (rtpbin, rtcp_out, rtcp_sink, "sink", error))
    return FALSE;

  if (self->kind == SIPCAST_MEDIA_VIDEO) {
    g_autoptr (GstElement) rtp_session = NULL;

    /* AVPF (RFC 4585) for the video session: a key frame request goes out
     * at once as early RTCP, not with the next regular report seconds
     * later. */
    g_signal_emit_by_name (rtpbin, "get-session", session, &rtp_session);
    if (rtp_session != NULL)
      gst_util_set_object_arg (G_OBJECT (rtp_session), "rtp-profile", "avpf");
  }

  self->pipeline = gst_object_ref (pipeline);
  self->rtpbin = gst_object_ref (rtpbin);
  self->rtp_src = gst_object_ref (rtp_src);
  self->rtcp_sink = gst_object_ref (rtcp_sink);
  self->bus = gst_element_get_bus (pipeline);
  return TRUE;
}

void
sipcast_media_line_add_sender (SipcastMediaLine *self,
                               const char       *address,
                               guint             port)
{
  g_autofree char *send_name = NULL;
  g_autoptr (GstPad) send_src = NULL;
  g_autoptr (GstPad) pad = NULL;
  GstElement *rtp_sink;

  g_return_if_fail (SIPCAST_IS_MEDIA_LINE (self));
  g_return_if_fail (self->rtp_src != NULL && self->rtp_sink == NULL);

  rtp_sink = gst_element_factory_make ("udpsink", self->kind == SIPCAST_MEDIA_AUDIO ?
                                       "rtp_sink" : "video_rtp_sink");
  /* Symmetric RTP: we send from the port we receive on.  What is sent is
   * paced by its source (the live mixer), so the sink need not wait on
   * the clock. */
  g_object_set (rtp_sink, "socket", self->rtp_socket, "close-socket", FALSE,
                "host", address, "port", (int) port,
                "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (self->pipeline), rtp_sink);
  send_name = g_strdup_printf ("send_rtp_src_%u", rtp_session (self));
  send_src = gst_element_get_static_pad (self->rtpbin, send_name);
  pad = gst_element_get_static_pad (rtp_sink, "sink");
  gst_pad_link (send_src, pad);
  self->rtp_sink = gst_object_ref (rtp_sink);
}

void
sipcast_media_line_follow (SipcastMediaLine *self,
                           const char       *address,
                           guint             port,
                           guint             rtcp_port)
{
  g_autoptr (GstPad) pad = NULL;

  g_return_if_fail (SIPCAST_IS_MEDIA_LINE (self));
  g_return_if_fail (self->remote == NULL);

  if (self->rtp_src == NULL)
    return;

  self->remote = g_new0 (Remote, 1);
  g_mutex_init (&self->remote->lock);
  self->remote->address = g_strdup (address);
  self->remote->port = port;
  self->remote->rtcp_port = rtcp_port;
  self->remote->latch = self->config->symmetric_rtp;
  self->remote->pt_from = -1;

  pad = gst_element_get_static_pad (self->rtp_src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, rtp_in_probe, self, NULL);

  /* The bus watch sees messages only once the main loop gets to them, and
   * is the session's; the sync emission sees udpsrc's report at once.
   * The probe goes with the pipeline, the handler with detach(). */
  gst_bus_enable_sync_message_emission (self->bus);
  self->sync_handler = g_signal_connect (self->bus, "sync-message::element",
                                         G_CALLBACK (sync_element_cb), self);
}

gboolean
sipcast_media_line_is_followed (SipcastMediaLine *self)
{
  g_return_val_if_fail (SIPCAST_IS_MEDIA_LINE (self), FALSE);
  return self->remote != NULL;
}

void
sipcast_media_line_watch (SipcastMediaLine *self)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_LINE (self));

  if (self->remote == NULL || self->remote->watching || self->config->rtp_timeout == 0)
    return;
  self->remote->watching = TRUE;
  self->remote->watch_since = g_get_monotonic_time ();
}

void
sipcast_media_line_set_held (SipcastMediaLine *self,
                             gboolean          held)
{
  g_autoptr (GstPad) pad = NULL;

  g_return_if_fail (SIPCAST_IS_MEDIA_LINE (self));

  if (self->remote == NULL || self->remote->held == held)
    return;
  self->remote->held = held;
  /* A held far end sends nothing, legitimately: silence counts again
   * from the resume on. */
  self->remote->watch_since = g_get_monotonic_time ();

  if (self->rtp_sink == NULL)
    return;
  pad = gst_element_get_static_pad (self->rtp_sink, "sink");
  if (held) {
    /* We answered recvonly or inactive: nothing goes out but RTCP. */
    self->remote->hold_probe = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER |
                                                  GST_PAD_PROBE_TYPE_BUFFER_LIST,
                                                  drop_probe, NULL, NULL);
  } else if (self->remote->hold_probe != 0) {
    gst_pad_remove_probe (pad, self->remote->hold_probe);
    self->remote->hold_probe = 0;
  }
  g_debug ("%s: %s", self->name, held ? "held: sending stopped" : "resumed");
}

void
sipcast_media_line_map_payload_type (SipcastMediaLine *self,
                                     int               from,
                                     guint             to)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_LINE (self));
  g_return_if_fail (self->remote != NULL);

  g_mutex_lock (&self->remote->lock);
  self->remote->pt_from = from;
  self->remote->pt_to = (int) to;
  g_mutex_unlock (&self->remote->lock);
}

gboolean
sipcast_media_line_move (SipcastMediaLine *self,
                         const char       *address,
                         guint             port,
                         guint             rtcp_port)
{
  gboolean moved;

  g_return_val_if_fail (SIPCAST_IS_MEDIA_LINE (self), FALSE);

  if (self->remote == NULL) {
    g_autofree char *host = NULL;
    int current = 0;

    /* Only our receiver reports (and key frame requests) go out. */
    if (self->rtcp_sink == NULL)
      return FALSE;
    g_object_get (self->rtcp_sink, "host", &host, "port", &current, NULL);
    if (g_strcmp0 (host, address) == 0 && (guint) current == rtcp_port)
      return FALSE;
    g_object_set (self->rtcp_sink, "host", address, "port", (int) rtcp_port, NULL);
    return TRUE;
  }

  if (self->rtp_src == NULL)
    return FALSE;
  g_mutex_lock (&self->remote->lock);
  moved = port != self->remote->port || rtcp_port != self->remote->rtcp_port ||
          g_strcmp0 (address, self->remote->address) != 0;
  if (moved) {
    /* A NATed far end that moved sends from a new mapping too: the first
     * packet from anywhere but where it sent from so far tells. */
    g_free (self->remote->stale_address);
    self->remote->stale_address = g_strdup (self->remote->address);
    self->remote->stale_port = self->remote->port;
    self->remote->latch = self->config->symmetric_rtp;
  }
  g_mutex_unlock (&self->remote->lock);
  if (moved)
    set_destination (self, address, port, rtcp_port);
  return moved;
}

void
sipcast_media_line_stop (SipcastMediaLine *self)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_LINE (self));
  self->stopping = TRUE;
}

void
sipcast_media_line_detach (SipcastMediaLine *self)
{
  g_return_if_fail (SIPCAST_IS_MEDIA_LINE (self));

  if (self->bus != NULL)
    g_clear_signal_handler (&self->sync_handler, self->bus);
  g_clear_object (&self->bus);
  gst_clear_object (&self->pipeline);
  gst_clear_object (&self->rtpbin);
  gst_clear_object (&self->rtp_src);
  gst_clear_object (&self->rtcp_sink);
  gst_clear_object (&self->rtp_sink);
}

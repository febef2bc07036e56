/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-flv-tail"

#include "config.h"
#include "sipcast-flv-tail.h"
#include "sipcast-backoff.h"
#include "sipcast-error.h"
#include "sipcast-pipelines.h"
#include "sipcast-rtmp-tls.h"
#include "sipcast-sink-park.h"
#include "sipcast-types.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>

/*
 * The publishing end every pipeline shares: encoded audio and video →
 * FLV → RTMP sink or file, parsed from the descriptions in pipelines/
 * (compiled in as resources).  The call's own pipeline and every /push
 * pipeline use it.
 *
 *   "audio" (ghost) ─┐  ┌ flv (bin, one per attempt) ──────────────┐
 *                    ├──┤ "audio"/"video" ▶ mux (flvmux) ▶ sink     │
 *   "video" (ghost) ─┘  └───────────────────────────────────────────┘
 *
 * Each connection attempt gets a fresh muxer and sink in a bin of their
 * own: a new FLV header, metadata and codec configuration for the server,
 * timestamps from 0, and (with video) a key frame first: a force-key-unit
 * event goes upstream and video is dropped until a key frame comes.  The
 * sink's errors stop at this bin (handle_message): the attempt is torn
 * down and, after a back-off (sipcast-backoff.h), another one is built, on
 * the GLib main context the tail was created on, never in a streaming
 * thread.  Between attempts the ghost pads drop what arrives and answer OK,
 * so the elements in front (rtpbin's jitter buffer, an encoder) never see
 * a flow error and the call goes on.
 *
 * Streaming threads never touch an owner's state: what happens is posted
 * as application messages (see the header), handled by the owner's bus
 * watch on the main context.
 */

enum {
  PROP_0,
  PROP_RETRY_BUDGET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

struct _SipcastFlvTail {
  GstBin parent_instance;

  /* Set at construction, then only read. */
  SipcastPublishKind kind;
  char *location;
  char *recordings_dir;      /* FILE: [media] recordings-dir */
  char *description;         /* flv-rtmp.pipeline or flv-file.pipeline, expanded */
  GstPad *audio_pad;         /* ghost sink pads, owned by the element; NULL if absent */
  GstPad *video_pad;
  GMainContext *context;     /* where attempts are built and torn down */
  gboolean rtmps;            /* the location is rtmps:// */
  GTlsCertificateFlags tls_flags;  /* what rtmp2sink checks of the certificate */

  /* Read by streaming threads without the lock. */
  gint open;                 /* atomic: the current attempt takes data */
  gint need_key_frame;       /* atomic: video is dropped until a key frame */
  gint ending;               /* atomic: EOS arrived: no new attempts */
  gint eos_posted;           /* atomic */
  gint cert_refused;         /* atomic: the attempt whose server certificate was refused */

  /* Protects the current attempt, which handle_message() checks messages
   * against from whatever thread posts them. */
  GMutex lock;
  GstElement *flv;           /* owned; NULL between attempts */
  int fd;                    /* FILE: the recording fdsink writes, or -1 */
  guint attempt;             /* number of the current or last attempt */
  gboolean attempt_failed;   /* its failure is already on its way */
  gboolean attempt_written;  /* it has written media: its sink is connected */
  char *attempt_error;       /* the first error it posted */

  /* Main context only. */
  guint failed_attempt;      /* the last attempt whose failure was handled */
  GCancellable *tls_explain; /* finding out why a certificate was refused */
  guint retry_budget;        /* seconds */
  SipcastBackoff backoff;
  SipcastRtmpStatus status;
  GSource *next_attempt;     /* pending connect or retry */
  gboolean running;          /* between READY→PAUSED and PAUSED→READY */
};

GST_DEBUG_CATEGORY_STATIC (sipcast_flv_tail_debug);
#define GST_CAT_DEFAULT sipcast_flv_tail_debug

G_DEFINE_FINAL_TYPE_WITH_CODE (SipcastFlvTail, sipcast_flv_tail, GST_TYPE_BIN,
                               GST_DEBUG_CATEGORY_INIT (sipcast_flv_tail_debug, "sipcastflvtail",
                                                        0, "sipcast FLV tail"))

static void
post_application (SipcastFlvTail *self,
                  GstStructure   *s)
{
  gst_element_post_message (GST_ELEMENT (self),
                            gst_message_new_application (GST_OBJECT (self), s));
}

/* Main context. */
static void
post_status (SipcastFlvTail    *self,
             SipcastRtmpStatus  status,
             const char        *reason)
{
  GstStructure *s = gst_structure_new (SIPCAST_FLV_TAIL_MSG_STATUS,
                                       "status", G_TYPE_INT, (int) status, NULL);

  if (reason != NULL)
    gst_structure_set (s, "reason", G_TYPE_STRING, reason, NULL);
  self->status = status;
  post_application (self, s);
}

/* Any thread. */
static void
post_eos_once (SipcastFlvTail *self)
{
  if (g_atomic_int_compare_and_exchange (&self->eos_posted, 0, 1))
    post_application (self, gst_structure_new_empty (SIPCAST_FLV_TAIL_MSG_EOS));
}

/* Word from a streaming thread about attempt @attempt, to be acted on in
 * the main context. */
typedef struct {
  SipcastFlvTail *tail;      /* owned */
  guint attempt;
  char *reason;              /* NULL: the attempt's first write */
} AttemptNews;

static void
attempt_news_free (gpointer data)
{
  AttemptNews *news = data;

  gst_object_unref (news->tail);
  g_free (news->reason);
  g_free (news);
}

static gboolean attempt_news_cb (gpointer data);

static void
send_news (SipcastFlvTail *self,
           guint           attempt,
           const char     *reason)
{
  AttemptNews *news = g_new0 (AttemptNews, 1);
  g_autoptr (GSource) source = g_idle_source_new ();

  news->tail = gst_object_ref (self);
  news->attempt = attempt;
  news->reason = g_strdup (reason);
  g_source_set_callback (source, attempt_news_cb, news, attempt_news_free);
  g_source_attach (source, self->context);
}

static GstPadProbeReturn
first_write_probe (GstPad          *pad,
                   GstPadProbeInfo *info,
                   gpointer         user_data)
{
  GstElement *sink = GST_ELEMENT (user_data);
  guint *n_seen = g_object_get_data (G_OBJECT (pad), "sipcast-n-seen");
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  /* Stream headers (FLV header, metadata, codec config) are only cached
   * by rtmp2sink until it is connected; they prove nothing. */
  if (buffer == NULL || GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER))
    return GST_PAD_PROBE_OK;

  /* The sink renders in the thread that calls this probe, and rtmp2sink
   * holds the first media buffer until the server has accepted the
   * publish: when the second media buffer arrives here, the first one
   * was written. */
  if (++(*n_seen) < 2)
    return GST_PAD_PROBE_OK;

  gst_element_post_message (sink,
      gst_message_new_application (GST_OBJECT (sink),
                                   gst_structure_new_empty (SIPCAST_FLV_TAIL_MSG_FIRST_WRITE)));
  return GST_PAD_PROBE_REMOVE;
}

/* Takes the current attempt out.  Main context. */
static void
drop_attempt (SipcastFlvTail *self)
{
  GstElement *flv;
  gboolean connecting;

  g_mutex_lock (&self->lock);
  flv = g_steal_pointer (&self->flv);
  connecting = flv != NULL && self->kind == SIPCAST_PUBLISH_RTMP &&
               !self->attempt_written && !self->attempt_failed;
  g_mutex_unlock (&self->lock);
  g_atomic_int_set (&self->open, 0);
  if (flv == NULL)
    return;
  if (connecting) {
    GST_DEBUG_OBJECT (self, "connecting: sink stopped once its connect is over");
    sipcast_sink_park_connecting (flv, self->context);
  }

  if (self->audio_pad != NULL)
    gst_ghost_pad_set_target (GST_GHOST_PAD (self->audio_pad), NULL);
  if (self->video_pad != NULL)
    gst_ghost_pad_set_target (GST_GHOST_PAD (self->video_pad), NULL);
  /* A streaming thread blocked in the muxer is released by the flush this
   * state change makes, and gets OK from our pad. */
  gst_element_set_locked_state (flv, TRUE);
  gst_element_set_state (flv, GST_STATE_NULL);
  gst_bin_remove (GST_BIN (self), flv);
  gst_object_unref (flv);
  /* fdsink never closes what it was given; it is stopped now. */
  if (self->fd >= 0) {
    close (self->fd);
    self->fd = -1;
  }
}

/* Opens @path, inside @dir, for a new recording: every directory below
 * @dir is opened with O_NOFOLLOW (a symbolic link there could lead
 * anywhere), and the file is created with O_EXCL (which follows no link
 * either and never truncates what exists).  @dir itself is the
 * operator's and is created when missing.  Returns the descriptor or -1
 * with @error set to a reason that names @path. */
static int
open_recording (const char  *dir,
                const char  *path,
                GError     **error)
{
  g_autofree char *relative = sipcast_publish_target_relative_path (dir, path);
  g_auto (GStrv) parts = NULL;
  int dir_fd;
  int fd;
  guint n;

  if (relative == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 "%s: not inside the recordings directory %s", path, dir);
    return -1;
  }
  if (g_mkdir_with_parents (dir, 0750) != 0 ||
      (dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                 "%s: cannot open the recordings directory %s: %s", path, dir,
                 g_strerror (saved));
    return -1;
  }

  parts = g_strsplit (relative, "/", -1);
  n = g_strv_length (parts);
  for (guint i = 0; i + 1 < n; i++) {
    int next = openat (dir_fd, parts[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;

    close (dir_fd);
    if (next < 0) {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "%s: cannot open %s: %s", path, parts[i],
                   saved == ELOOP || saved == ENOTDIR ?
                   "not a directory (symbolic links are not followed)" : g_strerror (saved));
      return -1;
    }
    dir_fd = next;
  }

  fd = openat (dir_fd, parts[n - 1],
               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
  if (fd < 0) {
    int saved = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                 "%s: %s", path,
                 saved == EEXIST ? "the file exists already (a recording never overwrites one)" :
                 g_strerror (saved));
  }
  close (dir_fd);
  return fd;
}

/* Ghosts the muxer's request pad @name on @flv and points our pad at it. */
static gboolean
connect_input (SipcastFlvTail *self,
               GstElement     *flv,
               GstElement     *mux,
               GstPad         *ghost,
               const char     *name)
{
  g_autoptr (GstPad) mux_pad = gst_element_request_pad_simple (mux, name);
  GstPad *inner;

  if (mux_pad == NULL)
    return FALSE;
  inner = gst_ghost_pad_new (name, mux_pad);
  gst_pad_set_active (inner, TRUE);
  gst_element_add_pad (flv, inner);
  return gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), inner);
}

static void attempt_failed (SipcastFlvTail *self, guint attempt, const char *reason);

/* Main context: why the certificate was refused is known. */
static void
refusal_explained_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (SipcastFlvTail) self = user_data;
  g_autofree char *reason = sipcast_rtmp_tls_explain_finish (result);

  /* NULL: cancelled, the tail is going. */
  if (reason == NULL || !self->running)
    return;
  g_message ("%s: %s", self->location, reason);
  post_status (self, SIPCAST_RTMP_STATUS_CONNECTION_FAILED, reason);
}

static void
explain_refusal (SipcastFlvTail *self)
{
  g_clear_object (&self->tls_explain);
  self->tls_explain = g_cancellable_new ();
  sipcast_rtmp_tls_explain_async (self->location, self->tls_flags, self->tls_explain,
                                  refusal_explained_cb, g_object_ref (self));
}

/* A new muxer and sink, connected to our pads and started.  Main context. */
static void
start_attempt (SipcastFlvTail *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) flv = NULL;
  g_autoptr (GstElement) mux = NULL;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstPad) sink_pad = NULL;
  guint attempt;
  gboolean ok;

  drop_attempt (self);

  flv = gst_parse_bin_from_description_full (self->description, FALSE, NULL,
                                             GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (flv != NULL) {
    gst_object_ref_sink (flv);
    mux = gst_bin_get_by_name (GST_BIN (flv), "mux");
    sink = gst_bin_get_by_name (GST_BIN (flv), "sink");
    if (mux == NULL || sink == NULL)
      g_set_error (&error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                   "pipeline description has no elements named \"mux\" and \"sink\"");
  }

  g_mutex_lock (&self->lock);
  attempt = ++self->attempt;
  self->attempt_failed = FALSE;
  self->attempt_written = FALSE;
  g_clear_pointer (&self->attempt_error, g_free);
  g_mutex_unlock (&self->lock);

  if (error != NULL) {
    attempt_failed (self, attempt, error->message);
    return;
  }

  gst_object_set_name (GST_OBJECT (flv), "flv");
  /* Added to a running pipeline: an asynchronous sink would make the whole
   * pipeline lose its state until this one prerolls. */
  g_object_set (sink, "async", FALSE, NULL);
  if (self->kind == SIPCAST_PUBLISH_FILE) {
    g_assert (self->fd < 0);
    self->fd = open_recording (self->recordings_dir, self->location, &error);
    if (self->fd < 0) {
      attempt_failed (self, attempt, error->message);
      return;
    }
    g_object_set (sink, "fd", self->fd, NULL);
  } else {
    g_object_set (sink, "location", self->location, NULL);
    if (self->rtmps && g_object_class_find_property (G_OBJECT_GET_CLASS (sink),
                                                     "tls-validation-flags") != NULL)
      g_object_set (sink, "tls-validation-flags", self->tls_flags, NULL);
  }
  sink_pad = gst_element_get_static_pad (sink, "sink");
  g_object_set_data_full (G_OBJECT (sink_pad), "sipcast-n-seen", g_new0 (guint, 1), g_free);
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER, first_write_probe, sink, NULL);

  g_mutex_lock (&self->lock);
  self->flv = gst_object_ref (flv);
  g_mutex_unlock (&self->lock);
  /* Linked once it is in the tail: links made into it from outside before
   * it was added did not survive the add. */
  gst_bin_add (GST_BIN (self), flv);
  ok = (self->audio_pad == NULL || connect_input (self, flv, mux, self->audio_pad, "audio")) &&
       (self->video_pad == NULL || connect_input (self, flv, mux, self->video_pad, "video"));
  if (!ok) {
    attempt_failed (self, attempt, "could not link the FLV muxer");
    return;
  }

  g_debug ("%s: attempt %u", self->location, attempt);
  if (!gst_element_sync_state_with_parent (flv)) {
    g_autofree char *reason = NULL;

    /* A file that cannot be opened: the sink has said why, in an ERROR
     * message posted (and caught) in this very call. */
    g_mutex_lock (&self->lock);
    reason = g_strdup (self->attempt_error);
    g_mutex_unlock (&self->lock);
    attempt_failed (self, attempt, reason != NULL ? reason : "the FLV sink could not start");
    return;
  }

  g_mutex_lock (&self->lock);
  if (!self->attempt_failed)
    g_atomic_int_set (&self->open, 1);
  g_mutex_unlock (&self->lock);

  if (self->video_pad != NULL) {
    g_atomic_int_set (&self->need_key_frame, 1);
    /* Upstream turns this into a key frame request (RTCP PLI or FIR to
     * the far end, or an encoder's next frame), with SPS and PPS. */
    gst_pad_push_event (self->video_pad,
                        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
                                                                     TRUE, attempt));
  }
  /* The new muxer's latency has to be agreed on by the pipeline. */
  gst_element_post_message (GST_ELEMENT (self),
                            gst_message_new_latency (GST_OBJECT (self)));
}

static gboolean
next_attempt_cb (gpointer user_data)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (user_data);

  g_clear_pointer (&self->next_attempt, g_source_unref);
  if (self->running && !g_atomic_int_get (&self->ending))
    start_attempt (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_attempt (SipcastFlvTail *self,
                  guint           delay_ms)
{
  if (self->next_attempt != NULL) {
    g_source_destroy (self->next_attempt);
    g_source_unref (self->next_attempt);
  }
  self->next_attempt = g_timeout_source_new (delay_ms);
  /* Destroyed before the tail goes (PAUSED→READY, dispose). */
  g_source_set_callback (self->next_attempt, next_attempt_cb, self, NULL);
  g_source_attach (self->next_attempt, self->context);
}

static void
cancel_attempts (SipcastFlvTail *self)
{
  if (self->next_attempt != NULL) {
    g_source_destroy (self->next_attempt);
    g_clear_pointer (&self->next_attempt, g_source_unref);
  }
}

/* Attempt @attempt failed for @reason: its elements go, and another one
 * follows after the back-off while the budget lasts.  Main context. */
static void
attempt_failed (SipcastFlvTail *self,
                guint           attempt,
                const char     *reason)
{
  SipcastRtmpStatus status = self->status;
  gint delay_ms;

  /* Once per attempt, whoever (a message, a failed start) says so first. */
  g_mutex_lock (&self->lock);
  if (attempt != self->attempt || attempt == self->failed_attempt) {
    g_mutex_unlock (&self->lock);
    return;
  }
  self->attempt_failed = TRUE;
  self->failed_attempt = attempt;
  g_mutex_unlock (&self->lock);

  drop_attempt (self);
  if (!self->running)
    return;

  /* The FLV cannot be completed any more: nothing is left to wait for. */
  if (g_atomic_int_get (&self->ending)) {
    post_eos_once (self);
    return;
  }

  g_debug ("%s: attempt %u failed: %s", self->location, attempt, reason);
  if (self->kind == SIPCAST_PUBLISH_FILE) {
    /* A file that cannot be written will not be writable in a second. */
    post_status (self, SIPCAST_RTMP_STATUS_CONNECTION_FAILED, reason);
    return;
  }

  /* A server whose certificate we refuse will not present a better one in
   * a second: no retry, and the reason rtmp2sink does not give. */
  if ((guint) g_atomic_int_get (&self->cert_refused) == attempt) {
    explain_refusal (self);
    return;
  }

  if (status == SIPCAST_RTMP_STATUS_ACTIVE)
    status = SIPCAST_RTMP_STATUS_CONNECTION_LOST;
  delay_ms = sipcast_backoff_next (&self->backoff, g_get_monotonic_time ());
  if (delay_ms < 0) {
    post_status (self, SIPCAST_RTMP_STATUS_CONNECTION_FAILED, reason);
    return;
  }
  post_status (self, status, reason);
  schedule_attempt (self, (guint) delay_ms);
}

static gboolean
attempt_news_cb (gpointer data)
{
  AttemptNews *news = data;
  SipcastFlvTail *self = news->tail;
  gboolean current;

  if (news->reason != NULL) {
    attempt_failed (self, news->attempt, news->reason);
    return G_SOURCE_REMOVE;
  }

  g_mutex_lock (&self->lock);
  current = news->attempt == self->attempt && !self->attempt_failed;
  if (current)
    self->attempt_written = TRUE;
  g_mutex_unlock (&self->lock);
  if (!current || !self->running)
    return G_SOURCE_REMOVE;

  /* Publishing: a later outage gets the whole budget again. */
  sipcast_backoff_reset (&self->backoff);
  post_application (self, gst_structure_new_empty (SIPCAST_FLV_TAIL_MSG_FIRST_WRITE));
  if (self->status != SIPCAST_RTMP_STATUS_ACTIVE)
    post_status (self, SIPCAST_RTMP_STATUS_ACTIVE, NULL);
  return G_SOURCE_REMOVE;
}

/* The reason an operator reads.  rtmp2sink fails a publish the server
 * turns down (the name is taken: "publish denied; stream already exists",
 * an on_publish check says no: "'publish' cmd failed: connection closed
 * remotely") with the same error codes as any connection failure; only
 * its text tells, so that is what is looked at. */
static char *
describe_error (const GError *error)
{
  if (strstr (error->message, "publish") != NULL)
    return g_strdup_printf ("The RTMP server rejected the publish: %s", error->message);
  return g_strdup (error->message);
}

/* The number of the current attempt if @object belongs to it, else 0. */
static guint
attempt_of (SipcastFlvTail *self,
            GstObject      *object)
{
  guint attempt = 0;

  g_mutex_lock (&self->lock);
  if (self->flv != NULL && !self->attempt_failed &&
      (object == GST_OBJECT (self->flv) ||
       gst_object_has_as_ancestor (object, GST_OBJECT (self->flv))))
    attempt = self->attempt;
  g_mutex_unlock (&self->lock);
  return attempt;
}

/* Any thread: the one that posts. */
static void
sipcast_flv_tail_handle_message (GstBin     *bin,
                                 GstMessage *message)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (bin);
  guint attempt;

  switch (GST_MESSAGE_TYPE (message)) {
  case GST_MESSAGE_ERROR: {
    g_autoptr (GError) err = NULL;
    g_autofree char *debug = NULL;

    /* A dead server must never kill the pipeline it publishes from: no
     * error of ours goes further up. */
    attempt = attempt_of (self, GST_MESSAGE_SRC (message));
    if (attempt != 0) {
      g_autofree char *reason = NULL;

      gst_message_parse_error (message, &err, &debug);
      GST_DEBUG_OBJECT (self, "attempt %u: %s (%s)", attempt, err->message, debug);
      if (self->rtmps && sipcast_rtmp_tls_is_certificate_error (err, debug))
        g_atomic_int_set (&self->cert_refused, (gint) attempt);
      reason = describe_error (err);
      g_atomic_int_set (&self->open, 0);
      g_mutex_lock (&self->lock);
      if (attempt == self->attempt) {
        self->attempt_failed = TRUE;
        if (self->attempt_error == NULL)
          self->attempt_error = g_strdup (reason);
      }
      g_mutex_unlock (&self->lock);
      send_news (self, attempt, reason);
    }
    gst_message_unref (message);
    return;
  }
  case GST_MESSAGE_APPLICATION:
    if (gst_structure_has_name (gst_message_get_structure (message),
                                SIPCAST_FLV_TAIL_MSG_FIRST_WRITE)) {
      /* Reposted as ours from the main context, with the status. */
      attempt = attempt_of (self, GST_MESSAGE_SRC (message));
      if (attempt != 0)
        send_news (self, attempt, NULL);
      gst_message_unref (message);
      return;
    }
    break;
  case GST_MESSAGE_EOS:
    if (attempt_of (self, GST_MESSAGE_SRC (message)) != 0)
      post_eos_once (self);
    break;
  default:
    break;
  }

  GST_BIN_CLASS (sipcast_flv_tail_parent_class)->handle_message (bin, message);
}

static GstFlowReturn
sink_chain (GstPad    *pad,
            GstObject *parent,
            GstBuffer *buffer)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (parent);
  GstFlowReturn ret;

  /* Between attempts: dropped, and OK, so nothing upstream pauses. */
  if (!g_atomic_int_get (&self->open)) {
    GST_LOG_OBJECT (pad, "not connected, dropping %" GST_PTR_FORMAT, buffer);
    gst_buffer_unref (buffer);
    return GST_FLOW_OK;
  }

  /* A new connection starts with a picture the viewer can decode. */
  if (pad == self->video_pad && g_atomic_int_get (&self->need_key_frame)) {
    if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT)) {
      gst_buffer_unref (buffer);
      return GST_FLOW_OK;
    }
    g_atomic_int_set (&self->need_key_frame, 0);
  }

  ret = gst_proxy_pad_chain_default (pad, parent, buffer);
  GST_LOG_OBJECT (pad, "pushed: %s", gst_flow_get_name (ret));
  /* An attempt failing (its ERROR message starts the next one) or being
   * torn down: not upstream's business. */
  if (ret != GST_FLOW_OK && ret != GST_FLOW_EOS)
    ret = GST_FLOW_OK;
  return ret;
}

static gboolean
sink_event (GstPad    *pad,
            GstObject *parent,
            GstEvent  *event)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    g_atomic_int_set (&self->ending, 1);
    if (g_atomic_int_get (&self->open)) {
      /* The sink's EOS message says when the FLV is complete. */
      if (gst_pad_event_default (pad, parent, event))
        return TRUE;
    } else {
      gst_event_unref (event);
    }
    /* No connection: nothing to complete, the tail is done. */
    post_eos_once (self);
    return TRUE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static GstPad *
add_sink_pad (SipcastFlvTail *self,
              const char     *name)
{
  GstPad *pad = gst_ghost_pad_new_no_target (name, GST_PAD_SINK);

  gst_pad_set_chain_function (pad, sink_chain);
  /* Lists arrive buffer by buffer through sink_chain. */
  gst_pad_set_chain_list_function (pad, NULL);
  gst_pad_set_event_function (pad, sink_event);
  gst_pad_set_active (pad, TRUE);
  gst_element_add_pad (GST_ELEMENT (self), pad);
  return pad;
}

static GstStateChangeReturn
sipcast_flv_tail_change_state (GstElement     *element,
                               GstStateChange  transition)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (element);
  GstStateChangeReturn ret;

  switch (transition) {
  case GST_STATE_CHANGE_READY_TO_PAUSED:
    self->running = TRUE;
    g_atomic_int_set (&self->ending, 0);
    g_atomic_int_set (&self->eos_posted, 0);
    sipcast_backoff_init (&self->backoff, self->retry_budget);
    self->status = SIPCAST_RTMP_STATUS_WAIT;
    /* The first attempt is made like every later one, from the main
     * context once the pipeline runs: a sink that cannot start (a file
     * that cannot be opened) then costs the stream, never the pipeline. */
    schedule_attempt (self, 0);
    break;
  case GST_STATE_CHANGE_PAUSED_TO_READY:
    self->running = FALSE;
    cancel_attempts (self);
    break;
  default:
    break;
  }

  ret = GST_ELEMENT_CLASS (sipcast_flv_tail_parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    drop_attempt (self);
  return ret;
}

static void
sipcast_flv_tail_dispose (GObject *object)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (object);

  cancel_attempts (self);
  if (self->tls_explain != NULL)
    g_cancellable_cancel (self->tls_explain);
  g_clear_object (&self->tls_explain);
  g_mutex_lock (&self->lock);
  gst_clear_object (&self->flv);
  g_mutex_unlock (&self->lock);
  if (self->fd >= 0) {
    close (self->fd);
    self->fd = -1;
  }

  G_OBJECT_CLASS (sipcast_flv_tail_parent_class)->dispose (object);
}

static void
sipcast_flv_tail_finalize (GObject *object)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (object);

  g_free (self->location);
  g_free (self->recordings_dir);
  g_free (self->description);
  g_free (self->attempt_error);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (sipcast_flv_tail_parent_class)->finalize (object);
}

static void
sipcast_flv_tail_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (object);

  switch (prop_id) {
  case PROP_RETRY_BUDGET:
    g_value_set_uint (value, self->retry_budget);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sipcast_flv_tail_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  SipcastFlvTail *self = SIPCAST_FLV_TAIL (object);

  switch (prop_id) {
  case PROP_RETRY_BUDGET:
    self->retry_budget = g_value_get_uint (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
sipcast_flv_tail_class_init (SipcastFlvTailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  object_class->dispose = sipcast_flv_tail_dispose;
  object_class->finalize = sipcast_flv_tail_finalize;
  object_class->get_property = sipcast_flv_tail_get_property;
  object_class->set_property = sipcast_flv_tail_set_property;
  element_class->change_state = sipcast_flv_tail_change_state;
  bin_class->handle_message = sipcast_flv_tail_handle_message;

  /* Seconds of failed attempts (counted from the first failure since the
   * stream was last active) before RTMP_CONNECTION_FAILED; read when the
   * tail starts. */
  properties[PROP_RETRY_BUDGET] =
    g_param_spec_uint ("retry-budget", NULL, NULL, 0, 3600, 30,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
sipcast_flv_tail_init (SipcastFlvTail *self)
{
  g_mutex_init (&self->lock);
  self->fd = -1;
  self->retry_budget = 30;
  self->status = SIPCAST_RTMP_STATUS_WAIT;
}

GstElement *
sipcast_flv_tail_new (const SipcastConfig        *config,
                      const SipcastPublishTarget *target,
                      gboolean                    audio,
                      gboolean                    video,
                      GError                    **error)
{
  g_autoptr (GHashTable) vars = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *description = NULL;
  SipcastFlvTail *self;

  g_return_val_if_fail (config != NULL && target != NULL, NULL);
  g_return_val_if_fail (audio || video, NULL);

  description = sipcast_pipeline_expand (target->kind == SIPCAST_PUBLISH_RTMP ?
                                         "flv-rtmp.pipeline" : "flv-file.pipeline",
                                         vars, error);
  if (description == NULL)
    return NULL;
  g_debug ("tail for %s: %s", target->location, description);

  self = g_object_new (SIPCAST_TYPE_FLV_TAIL, NULL);
  gst_object_ref_sink (self);
  self->kind = target->kind;
  self->location = g_strdup (target->location);
  self->recordings_dir = g_strdup (config->recordings_dir);
  self->description = g_steal_pointer (&description);
  self->context = g_main_context_ref_thread_default ();
  self->retry_budget = config->rtmp_retry_budget;
  self->rtmps = g_ascii_strncasecmp (target->location, "rtmps://", 8) == 0;
  self->tls_flags = sipcast_rtmp_tls_validation_flags (config);
  if (audio)
    self->audio_pad = add_sink_pad (self, "audio");
  if (video)
    self->video_pad = add_sink_pad (self, "video");
  return GST_ELEMENT (self);
}

/* Strips '#' comment lines and substitutes ${name} from @vars; an unknown
 * variable is an error rather than a silently broken pipeline. */
char *
sipcast_pipeline_expand (const char  *resource,
                    GHashTable  *vars,
                    GError     **error)
{
  g_autofree char *path = g_strconcat ("/org/sipcast/pipelines/", resource, NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  static gsize registered;

  /* Registered by hand: in a static library the generated constructor
   * would be dropped by the linker along with its unreferenced object. */
  if (g_once_init_enter (&registered)) {
    sipcast_pipelines_register_resource ();
    g_once_init_leave (&registered, 1);
  }

  bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;

  lines = g_strsplit (g_bytes_get_data (bytes, NULL), "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = g_strstrip (lines[i]);
    const char *p;

    if (*line == '#' || *line == '\0')
      continue;

    for (p = line; *p != '\0'; p++) {
      const char *end;
      g_autofree char *key = NULL;
      const char *value;

      if (p[0] != '$' || p[1] != '{') {
        g_string_append_c (out, *p);
        continue;
      }
      end = strchr (p, '}');
      if (end == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                     "%s: unterminated ${", resource);
        return NULL;
      }
      key = g_strndup (p + 2, end - p - 2);
      value = g_hash_table_lookup (vars, key);
      if (value == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_PIPELINE,
                     "%s: unknown variable ${%s}", resource, key);
        return NULL;
      }
      g_string_append (out, value);
      p = end;
    }
    g_string_append_c (out, ' ');
  }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

void
sipcast_flv_tail_remove_video (GstElement *element)
{
  SipcastFlvTail *self;
  GstPad *ghost;
  g_autoptr (GstElement) flv = NULL;

  g_return_if_fail (SIPCAST_IS_FLV_TAIL (element));
  self = SIPCAST_FLV_TAIL (element);

  ghost = g_steal_pointer (&self->video_pad);
  if (ghost == NULL)
    return;

  g_mutex_lock (&self->lock);
  if (self->flv != NULL)
    flv = gst_object_ref (self->flv);
  g_mutex_unlock (&self->lock);

  gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), NULL);
  gst_element_remove_pad (element, ghost);

  /* The running muxer lets its video pad go and writes the audio alone;
   * later attempts are built without one. */
  if (flv != NULL) {
    g_autoptr (GstPad) inner = gst_element_get_static_pad (flv, "video");
    g_autoptr (GstPad) mux_pad = NULL;
    g_autoptr (GstElement) mux = NULL;

    if (inner == NULL)
      return;
    mux_pad = gst_ghost_pad_get_target (GST_GHOST_PAD (inner));
    gst_ghost_pad_set_target (GST_GHOST_PAD (inner), NULL);
    gst_element_remove_pad (flv, inner);
    if (mux_pad != NULL) {
      mux = gst_pad_get_parent_element (mux_pad);
      if (mux != NULL)
        gst_element_release_request_pad (mux, mux_pad);
    }
  }
}

void
sipcast_flv_tail_prepare_eos (GstElement *element)
{
  SipcastFlvTail *self;

  g_return_if_fail (SIPCAST_IS_FLV_TAIL (element));
  self = SIPCAST_FLV_TAIL (element);

  g_atomic_int_set (&self->ending, 1);
  cancel_attempts (self);
  /* rtmp2sink holds the muxer's thread until the server has answered (up
   * to its 5 s timeout), and the muxer the threads in front of it: an EOS
   * sent now would wait that long for nothing.  Dropping the attempt
   * flushes them free, as after any failed attempt. */
  /* A file that never got media has nothing to complete either: an EOS
   * through a muxer that never saw a buffer does not come out of it, and
   * each such call would cost the whole grace period (at shutdown, with
   * many calls, more than the daemon has). */
  if (self->status != SIPCAST_RTMP_STATUS_ACTIVE) {
    GST_DEBUG_OBJECT (self, "ending before the stream was active: attempt dropped");
    drop_attempt (self);
  }
}

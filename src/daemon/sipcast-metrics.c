/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-metrics"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-metrics.h"
#include "sipcast-call-private.h"
#include "sipcast-json.h"
#include "sipcast-media-stats.h"
#include "sipcast-rest-reply.h"
#include "sipcast-types.h"

/*
 * Counters of the media (RTP received, FLV sent) must only grow, while
 * calls come and go and an RTMP reconnection starts the sink's count
 * again: each call keeps what was read from it last (CallStats) and adds
 * what a count lost by restarting to a base; when the call ends its last
 * reading moves into ended_media, and the ended call is not read again.
 */

#define N_CALL_STATUSES (SIPCAST_CALL_STATUS_FAILED + 1)
#define N_RTMP_STATUSES (SIPCAST_RTMP_STATUS_CONNECTION_FAILED + 1)
#define STATS_KEY "sipcast-metrics-stats"

enum { OUTGOING, INCOMING, N_DIRECTIONS };
static const char *const direction_names[N_DIRECTIONS] = { "outgoing", "incoming" };

/* The media counters, in an array so that they are handled alike. */
enum { RTP_PACKETS, RTP_BYTES, RTP_LOST, RTP_LATE, FLV_BYTES, N_MEDIA };

typedef struct {
  guint64 last[N_MEDIA];       /* the last reading */
  guint64 base[N_MEDIA];       /* counts lost to restarts */
  gboolean ended;              /* moved into ended_media */
  gint64 answered_ms;          /* first ESTABLISHED, 0 before */
  gboolean rtmp_measured;      /* answer → RTMP active observed */
} CallStats;

static const double setup_bounds[] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
static const double rtmp_bounds[] = { 0.1, 0.25, 0.5, 1, 2, 5, 10, 30 };
#define MAX_BOUNDS 10

typedef struct {
  const double *bounds;
  guint n_bounds;
  guint64 buckets[MAX_BOUNDS];  /* observations <= bounds[i], not cumulative */
  guint64 count;
  double sum;
} Histogram;

struct _SipcastMetrics {
  GObject parent_instance;

  gboolean require_auth;
  SipcastEventBus *bus;
  gulong event_id;
  SipcastCallRegistry *calls;
  SipcastSipAgent *agent;        /* nullable */
  SipcastPushRegistry *pushes;   /* nullable */
  SipcastHooks *hooks;           /* nullable */
  SipcastRestEvents *events;     /* nullable */
  SipcastCluster *cluster;       /* nullable: a node on its own */

  guint64 calls_started[N_DIRECTIONS];
  guint64 calls_ended[N_CALL_STATUSES][N_DIRECTIONS];
  Histogram setup[N_DIRECTIONS];
  Histogram answer_to_rtmp;
  guint64 rtmp_lost;
  guint64 rtmp_reconnects;
  guint64 pushes_started;
  guint64 dtmf_received_rfc2833;
  guint64 dtmf_received_info;
  GHashTable *dtmf_sent;         /* type → guint64 * */
  GHashTable *requests;          /* "method\nstatus" → guint64 * */
  guint64 ended_media[N_MEDIA];
};

G_DEFINE_FINAL_TYPE (SipcastMetrics, sipcast_metrics, G_TYPE_OBJECT)

static void
histogram_init (Histogram    *histogram,
                const double *bounds,
                guint         n_bounds)
{
  memset (histogram, 0, sizeof *histogram);
  histogram->bounds = bounds;
  histogram->n_bounds = n_bounds;
}

static void
histogram_observe (Histogram *histogram,
                   double     value)
{
  for (guint i = 0; i < histogram->n_bounds; i++) {
    if (value <= histogram->bounds[i]) {
      histogram->buckets[i]++;
      break;
    }
  }
  histogram->count++;
  histogram->sum += value;
}

static CallStats *
call_stats (SipcastCall *call)
{
  CallStats *stats = g_object_get_data (G_OBJECT (call), STATS_KEY);

  if (stats == NULL) {
    stats = g_new0 (CallStats, 1);
    g_object_set_data_full (G_OBJECT (call), STATS_KEY, stats, g_free);
  }
  return stats;
}

/* Reads @call's media counters into @stats' last reading (unless it has
 * ended), keeping each monotonic. */
static void
call_stats_update (SipcastCall *call,
                   CallStats   *stats,
                   double      *jitter)
{
  SipcastMediaSession *media = sipcast_call_get_media_session (call);
  SipcastMediaStats reading;
  guint64 now[N_MEDIA];

  if (stats->ended || media == NULL || !sipcast_media_stats_read (media, &reading))
    return;
  now[RTP_PACKETS] = reading.rtp_packets;
  now[RTP_BYTES] = reading.rtp_bytes;
  now[RTP_LOST] = reading.rtp_lost;
  now[RTP_LATE] = reading.rtp_late;
  now[FLV_BYTES] = reading.flv_bytes;
  for (guint i = 0; i < N_MEDIA; i++) {
    if (now[i] < stats->last[i])
      stats->base[i] += stats->last[i];
    stats->last[i] = now[i];
  }
  if (jitter != NULL)
    *jitter = reading.jitter_seconds;
}

static void
on_call_status (SipcastMetrics     *self,
                const SipcastEvent *event)
{
  SipcastCall *call = SIPCAST_CALL (event->source);
  CallStats *stats = call_stats (call);
  guint direction = event->incoming ? INCOMING : OUTGOING;
  SipcastCallStatus status = (SipcastCallStatus) event->status;

  if (status == SIPCAST_CALL_STATUS_NEW)
    self->calls_started[direction]++;
  if (status == SIPCAST_CALL_STATUS_ESTABLISHED && stats->answered_ms == 0) {
    stats->answered_ms = event->timestamp_ms;
    histogram_observe (&self->setup[direction],
                       MAX (0.0, (event->timestamp_ms * 1000.0 - event->created_at_us) / 1e6));
  }
  if (sipcast_call_status_is_final (status)) {
    self->calls_ended[status][direction]++;
    /* The media stops now: its last reading is final. */
    call_stats_update (call, stats, NULL);
    stats->ended = TRUE;
    for (guint i = 0; i < N_MEDIA; i++)
      self->ended_media[i] += stats->base[i] + stats->last[i];
  }
}

static void
on_rtmp_status (SipcastMetrics     *self,
                const SipcastEvent *event)
{
  CallStats *stats = call_stats (SIPCAST_CALL (event->source));

  if (event->status == event->previous)
    return;
  if (event->status == SIPCAST_RTMP_STATUS_CONNECTION_LOST)
    self->rtmp_lost++;
  if (event->status == SIPCAST_RTMP_STATUS_ACTIVE &&
      event->previous == SIPCAST_RTMP_STATUS_CONNECTION_LOST)
    self->rtmp_reconnects++;
  if (event->status == SIPCAST_RTMP_STATUS_ACTIVE && stats->answered_ms != 0 &&
      !stats->rtmp_measured) {
    stats->rtmp_measured = TRUE;
    histogram_observe (&self->answer_to_rtmp,
                       MAX (0.0, (event->timestamp_ms - stats->answered_ms) / 1000.0));
  }
}

static void
event_cb (SipcastEventBus *bus,
          SipcastEvent    *event,
          gpointer         user_data)
{
  SipcastMetrics *self = SIPCAST_METRICS (user_data);

  switch (event->type) {
  case SIPCAST_EVENT_CALL_STATUS:
    if (event->source != NULL)
      on_call_status (self, event);
    break;
  case SIPCAST_EVENT_RTMP_STATUS:
    if (event->source != NULL)
      on_rtmp_status (self, event);
    break;
  case SIPCAST_EVENT_DTMF:
    if (g_strcmp0 (event->detail, "INFO") == 0)
      self->dtmf_received_info++;
    else
      self->dtmf_received_rfc2833++;
    break;
  case SIPCAST_EVENT_PUSH_STATUS:
    if (event->previous == SIPCAST_RTMP_STATUS_NONE)
      self->pushes_started++;
    break;
  case SIPCAST_EVENT_INJECTION_ENDED:
    break;
  }
}

static void
count (GHashTable *table,
       char       *key,
       guint64     n)
{
  guint64 *value = g_hash_table_lookup (table, key);

  if (value == NULL) {
    value = g_new0 (guint64, 1);
    g_hash_table_insert (table, key, value);
  } else {
    g_free (key);
  }
  *value += n;
}

/* ---- the text format ---- */

static void
header (GString    *out,
        const char *name,
        const char *type,
        const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \ " and newlines escaped. */
static void
append_label_value (GString    *out,
                    const char *value)
{
  for (const char *p = value; *p != '\0'; p++) {
    if (*p == '\\' || *p == '"')
      g_string_append_c (out, '\\');
    if (*p == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *p);
  }
}

static void
sample_u64 (GString    *out,
            const char *name,
            const char *labels,
            guint64     value)
{
  g_string_append_printf (out, "%s%s %" G_GUINT64_FORMAT "\n", name, labels, value);
}

static void
sample_double (GString    *out,
               const char *name,
               const char *labels,
               double      value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "%s%s %s\n", name, labels,
                          g_ascii_dtostr (text, sizeof text, value));
}

static void
histogram_render (GString         *out,
                  const char      *name,
                  const char      *labels,     /* 'k="v",' or "" */
                  const Histogram *histogram)
{
  guint64 cumulative = 0;
  char bound[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *bucket = g_strconcat (name, "_bucket", NULL);
  g_autofree char *sum = g_strconcat (name, "_sum", NULL);
  g_autofree char *count_name = g_strconcat (name, "_count", NULL);
  g_autofree char *plain = NULL;

  for (guint i = 0; i < histogram->n_bounds; i++) {
    g_autofree char *le = NULL;

    cumulative += histogram->buckets[i];
    le = g_strdup_printf ("{%sle=\"%s\"}", labels,
                          g_ascii_dtostr (bound, sizeof bound, histogram->bounds[i]));
    sample_u64 (out, bucket, le, cumulative);
  }
  {
    g_autofree char *le = g_strdup_printf ("{%sle=\"+Inf\"}", labels);

    sample_u64 (out, bucket, le, histogram->count);
  }
  /* The labels without the trailing comma, for _sum and _count. */
  plain = *labels != '\0' ? g_strdup_printf ("{%.*s}", (int) strlen (labels) - 1, labels)
                          : g_strdup ("");
  sample_double (out, sum, plain, histogram->sum);
  sample_u64 (out, count_name, plain, histogram->count);
}

static void
render_calls (SipcastMetrics *self,
              GString        *out)
{
  g_autoptr (GPtrArray) calls = sipcast_call_registry_find (self->calls, NULL);
  guint64 by_status[N_CALL_STATUSES][N_DIRECTIONS] = { { 0 } };
  guint64 rtmp[N_RTMP_STATUSES] = { 0 };
  guint64 media[N_MEDIA];
  double jitter_max = 0, jitter_sum = 0;
  guint n_jitter = 0;

  memcpy (media, self->ended_media, sizeof media);
  for (guint i = 0; i < calls->len; i++) {
    SipcastCall *call = calls->pdata[i];
    SipcastCallStatus status = sipcast_call_get_status (call);
    CallStats *stats = call_stats (call);
    double jitter = -1;

    by_status[status][sipcast_call_get_incoming (call) ? INCOMING : OUTGOING]++;
    if (sipcast_call_status_is_final (status) || stats->ended)
      continue;
    rtmp[sipcast_call_get_rtmp_status (call)]++;
    call_stats_update (call, stats, &jitter);
    for (guint j = 0; j < N_MEDIA; j++)
      media[j] += stats->base[j] + stats->last[j];
    if (jitter >= 0) {
      jitter_max = MAX (jitter_max, jitter);
      jitter_sum += jitter;
      n_jitter++;
    }
  }

  header (out, "sipcast_calls", "gauge",
          "Calls known now (live, or ended within [calls] ended-call-ttl), by status and direction.");
  for (guint s = 0; s < N_CALL_STATUSES; s++) {
    for (guint d = 0; d < N_DIRECTIONS; d++) {
      g_autofree char *labels = g_strdup_printf ("{status=\"%s\",direction=\"%s\"}",
                                                 sipcast_call_status_to_string (s),
                                                 direction_names[d]);

      sample_u64 (out, "sipcast_calls", labels, by_status[s][d]);
    }
  }
  header (out, "sipcast_calls_started_total", "counter", "Calls started or answered, by direction.");
  for (guint d = 0; d < N_DIRECTIONS; d++) {
    g_autofree char *labels = g_strdup_printf ("{direction=\"%s\"}", direction_names[d]);

    sample_u64 (out, "sipcast_calls_started_total", labels, self->calls_started[d]);
  }
  header (out, "sipcast_calls_ended_total", "counter",
          "Calls ended, by final status (BUSY, FINISH, FAILED) and direction.");
  for (guint s = 0; s < N_CALL_STATUSES; s++) {
    if (!sipcast_call_status_is_final (s))
      continue;
    for (guint d = 0; d < N_DIRECTIONS; d++) {
      g_autofree char *labels = g_strdup_printf ("{status=\"%s\",direction=\"%s\"}",
                                                 sipcast_call_status_to_string (s),
                                                 direction_names[d]);

      sample_u64 (out, "sipcast_calls_ended_total", labels, self->calls_ended[s][d]);
    }
  }
  header (out, "sipcast_rtmp_streams", "gauge", "RTMP streams of live calls, by rtmpStreamStatus.");
  for (guint s = SIPCAST_RTMP_STATUS_WAIT; s < N_RTMP_STATUSES; s++) {
    g_autofree char *labels = g_strdup_printf ("{status=\"%s\"}", sipcast_rtmp_status_to_string (s));

    sample_u64 (out, "sipcast_rtmp_streams", labels, rtmp[s]);
  }

  header (out, "sipcast_rtp_packets_received_total", "counter",
          "RTP packets received from far ends, audio and video.");
  sample_u64 (out, "sipcast_rtp_packets_received_total", "", media[RTP_PACKETS]);
  header (out, "sipcast_rtp_bytes_received_total", "counter", "RTP payload bytes received.");
  sample_u64 (out, "sipcast_rtp_bytes_received_total", "", media[RTP_BYTES]);
  header (out, "sipcast_rtp_packets_lost_total", "counter",
          "RTP packets missing from the far ends' sequences.");
  sample_u64 (out, "sipcast_rtp_packets_lost_total", "", media[RTP_LOST]);
  header (out, "sipcast_rtp_packets_late_total", "counter",
          "RTP packets that arrived too late for the jitter buffer.");
  sample_u64 (out, "sipcast_rtp_packets_late_total", "", media[RTP_LATE]);
  header (out, "sipcast_rtp_jitter_max_seconds", "gauge",
          "Largest interarrival jitter (RFC 3550) of the live calls' audio.");
  sample_double (out, "sipcast_rtp_jitter_max_seconds", "", jitter_max);
  header (out, "sipcast_rtp_jitter_mean_seconds", "gauge",
          "Mean interarrival jitter (RFC 3550) of the live calls' audio.");
  sample_double (out, "sipcast_rtp_jitter_mean_seconds", "",
                 n_jitter > 0 ? jitter_sum / n_jitter : 0);
  header (out, "sipcast_flv_bytes_sent_total", "counter",
          "FLV bytes sent to RTMP servers or written to files by calls.");
  sample_u64 (out, "sipcast_flv_bytes_sent_total", "", media[FLV_BYTES]);
}

static void
render_pushes (SipcastMetrics *self,
               GString        *out)
{
  g_autoptr (GPtrArray) pushes = NULL;
  guint64 by_status[N_RTMP_STATUSES] = { 0 };

  if (self->pushes == NULL)
    return;
  pushes = sipcast_push_registry_find (self->pushes, NULL);
  for (guint i = 0; i < pushes->len; i++)
    by_status[sipcast_push_get_status (pushes->pdata[i])]++;
  header (out, "sipcast_pushes", "gauge", "Pushes running now, by status.");
  for (guint s = SIPCAST_RTMP_STATUS_WAIT; s < N_RTMP_STATUSES; s++) {
    g_autofree char *labels = g_strdup_printf ("{status=\"%s\"}", sipcast_rtmp_status_to_string (s));

    sample_u64 (out, "sipcast_pushes", labels, by_status[s]);
  }
  header (out, "sipcast_pushes_started_total", "counter", "Pushes started.");
  sample_u64 (out, "sipcast_pushes_started_total", "", self->pushes_started);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* One sample per key of @table, "VALUE1\nVALUE2" keys split into
 * @label1 and @label2 (or @label1 alone), in key order. */
static void
render_table (GString    *out,
              const char *name,
              GHashTable *table,
              const char *label1,
              const char *label2)
{
  g_autofree gpointer *keys = (gpointer *) g_hash_table_get_keys_as_array (table, NULL);
  guint n = g_hash_table_size (table);

  qsort (keys, n, sizeof *keys, (GCompareFunc) compare_strings);
  for (guint i = 0; i < n; i++) {
    g_auto (GStrv) parts = g_strsplit (keys[i], "\n", 2);
    g_autoptr (GString) labels = g_string_new ("{");

    g_string_append_printf (labels, "%s=\"", label1);
    append_label_value (labels, parts[0]);
    g_string_append_c (labels, '"');
    if (label2 != NULL && parts[1] != NULL) {
      g_string_append_printf (labels, ",%s=\"", label2);
      append_label_value (labels, parts[1]);
      g_string_append_c (labels, '"');
    }
    g_string_append_c (labels, '}');
    sample_u64 (out, name, labels->str, *(guint64 *) g_hash_table_lookup (table, keys[i]));
  }
}

static void
sipcast_metrics_dispose (GObject *object)
{
  SipcastMetrics *self = SIPCAST_METRICS (object);

  if (self->bus != NULL)
    g_clear_signal_handler (&self->event_id, self->bus);
  g_clear_object (&self->bus);
  g_clear_object (&self->calls);
  g_clear_object (&self->pushes);
  g_clear_object (&self->hooks);
  g_clear_object (&self->events);
  g_clear_object (&self->agent);
  g_clear_object (&self->cluster);

  G_OBJECT_CLASS (sipcast_metrics_parent_class)->dispose (object);
}

static void
sipcast_metrics_finalize (GObject *object)
{
  SipcastMetrics *self = SIPCAST_METRICS (object);

  g_hash_table_unref (self->dtmf_sent);
  g_hash_table_unref (self->requests);

  G_OBJECT_CLASS (sipcast_metrics_parent_class)->finalize (object);
}

static void
sipcast_metrics_class_init (SipcastMetricsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_metrics_dispose;
  object_class->finalize = sipcast_metrics_finalize;
}

static void
sipcast_metrics_init (SipcastMetrics *self)
{
  for (guint d = 0; d < N_DIRECTIONS; d++)
    histogram_init (&self->setup[d], setup_bounds, G_N_ELEMENTS (setup_bounds));
  histogram_init (&self->answer_to_rtmp, rtmp_bounds, G_N_ELEMENTS (rtmp_bounds));
  self->dtmf_sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* Every type from the start, so that a rate over them works at once. */
  count (self->dtmf_sent, g_strdup ("RFC2833"), 0);
  count (self->dtmf_sent, g_strdup ("INFO"), 0);
  count (self->dtmf_sent, g_strdup ("INFO_RELAY"), 0);
}

SipcastMetrics *
sipcast_metrics_new (const SipcastConfig *config,
                     SipcastEventBus     *bus,
                     SipcastCallRegistry *calls,
                     SipcastPushRegistry *pushes,
                     SipcastHooks        *hooks,
                     SipcastRestEvents   *events)
{
  SipcastMetrics *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (SIPCAST_IS_EVENT_BUS (bus), NULL);
  g_return_val_if_fail (SIPCAST_IS_CALL_REGISTRY (calls), NULL);

  self = g_object_new (SIPCAST_TYPE_METRICS, NULL);
  self->require_auth = config->metrics_require_auth;
  self->bus = g_object_ref (bus);
  self->calls = g_object_ref (calls);
  self->pushes = pushes != NULL ? g_object_ref (pushes) : NULL;
  self->hooks = hooks != NULL ? g_object_ref (hooks) : NULL;
  self->events = events != NULL ? g_object_ref (events) : NULL;
  self->event_id = g_signal_connect (bus, "event", G_CALLBACK (event_cb), self);
  return self;
}

gboolean
sipcast_metrics_requires_auth (SipcastMetrics *self)
{
  g_return_val_if_fail (SIPCAST_IS_METRICS (self), TRUE);
  return self->require_auth;
}

void
sipcast_metrics_count_request (SipcastMetrics *self,
                               const char     *method,
                               guint           status)
{
  g_return_if_fail (SIPCAST_IS_METRICS (self));
  count (self->requests, g_strdup_printf ("%s\n%u", method, status), 1);
}

void
sipcast_metrics_count_dtmf_sent (SipcastMetrics *self,
                                 const char     *type,
                                 guint           n_digits)
{
  g_return_if_fail (SIPCAST_IS_METRICS (self));
  count (self->dtmf_sent, g_strdup (type), n_digits);
}

char *
sipcast_metrics_render (SipcastMetrics *self)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (SIPCAST_IS_METRICS (self), NULL);

  header (out, "sipcast_build_info", "gauge", "Always 1; the version of sipcast as a label.");
  sample_u64 (out, "sipcast_build_info", "{version=\"" PACKAGE_VERSION "\"}", 1);

  render_calls (self, out);

  header (out, "sipcast_call_setup_seconds", "histogram",
          "From /call/startup (or the INVITE) to ESTABLISHED, by direction.");
  for (guint d = 0; d < N_DIRECTIONS; d++) {
    g_autofree char *labels = g_strdup_printf ("direction=\"%s\",", direction_names[d]);

    histogram_render (out, "sipcast_call_setup_seconds", labels, &self->setup[d]);
  }
  header (out, "sipcast_call_answer_to_rtmp_active_seconds", "histogram",
          "From ESTABLISHED to the call's RTMP stream first becoming active.");
  histogram_render (out, "sipcast_call_answer_to_rtmp_active_seconds", "", &self->answer_to_rtmp);

  header (out, "sipcast_rtmp_connections_lost_total", "counter",
          "Times a call's active RTMP stream was lost.");
  sample_u64 (out, "sipcast_rtmp_connections_lost_total", "", self->rtmp_lost);
  header (out, "sipcast_rtmp_reconnects_total", "counter",
          "Times a lost RTMP stream of a call was active again.");
  sample_u64 (out, "sipcast_rtmp_reconnects_total", "", self->rtmp_reconnects);

  render_pushes (self, out);

  header (out, "sipcast_dtmf_received_total", "counter", "DTMF digits received, by method.");
  sample_u64 (out, "sipcast_dtmf_received_total", "{method=\"RFC2833\"}",
              self->dtmf_received_rfc2833);
  sample_u64 (out, "sipcast_dtmf_received_total", "{method=\"INFO\"}", self->dtmf_received_info);
  header (out, "sipcast_dtmf_sent_total", "counter", "DTMF digits sent by /call/send_dtmf, by type.");
  render_table (out, "sipcast_dtmf_sent_total", self->dtmf_sent, "type", NULL);

  if (self->agent != NULL) {
    header (out, "sipcast_sip_requests_rate_limited_total", "counter",
            "SIP requests refused (503) over [sip] max-requests-per-second of their source.");
    sample_u64 (out, "sipcast_sip_requests_rate_limited_total", "",
                sipcast_sip_agent_get_rate_limited (self->agent));
    header (out, "sipcast_sip_invites_untrusted_total", "counter",
            "INVITEs refused (403) from outside [sip] trusted-networks.");
    sample_u64 (out, "sipcast_sip_invites_untrusted_total", "",
                sipcast_sip_agent_get_untrusted (self->agent));
  }

  header (out, "sipcast_rest_requests_total", "counter",
          "REST requests answered, by method and HTTP status.");
  render_table (out, "sipcast_rest_requests_total", self->requests, "method", "status");

  if (self->events != NULL) {
    header (out, "sipcast_event_clients", "gauge", "Clients of GET /rest-api/events now.");
    sample_u64 (out, "sipcast_event_clients", "", sipcast_rest_events_get_n_clients (self->events));
    header (out, "sipcast_event_clients_dropped_total", "counter",
            "Event stream clients disconnected for not reading.");
    sample_u64 (out, "sipcast_event_clients_dropped_total", "",
                sipcast_rest_events_get_n_dropped (self->events));
  }
  if (self->hooks != NULL) {
    SipcastHooksCounts counts;

    sipcast_hooks_get_counts (self->hooks, &counts);
    header (out, "sipcast_webhook_deliveries_total", "counter", "Webhook POSTs answered 2xx.");
    sample_u64 (out, "sipcast_webhook_deliveries_total", "", counts.delivered);
    header (out, "sipcast_webhook_failures_total", "counter",
            "Webhook attempts that failed (no answer, not 2xx); each retry counts.");
    sample_u64 (out, "sipcast_webhook_failures_total", "", counts.failures);
    header (out, "sipcast_webhook_given_up_total", "counter",
            "Webhook events dropped after their last retry.");
    sample_u64 (out, "sipcast_webhook_given_up_total", "", counts.given_up);
    header (out, "sipcast_webhook_dropped_total", "counter",
            "Webhook events not queued because [hooks] max-queue were waiting.");
    sample_u64 (out, "sipcast_webhook_dropped_total", "", counts.dropped);
    header (out, "sipcast_webhook_queued", "gauge", "Webhook events waiting for delivery now.");
    sample_u64 (out, "sipcast_webhook_queued", "", counts.queued);
  }
  if (self->cluster != NULL)
    sipcast_cluster_render_metrics (self->cluster, out);
  return g_string_free (out, FALSE);
}

void
sipcast_metrics_serve (SipcastMetrics    *self,
                       SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  char *text;

  g_return_if_fail (SIPCAST_IS_METRICS (self));

  if (g_strcmp0 (method, SOUP_METHOD_GET) != 0 && g_strcmp0 (method, SOUP_METHOD_HEAD) != 0) {
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                  "GET, HEAD");
    sipcast_rest_reply_json (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                             sipcast_json_error_body ("method_not_allowed",
                                                      _("/metrics only accepts GET")));
    return;
  }
  text = sipcast_metrics_render (self);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4; charset=utf-8",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}

void
sipcast_metrics_set_sip_agent (SipcastMetrics  *self,
                               SipcastSipAgent *agent)
{
  g_return_if_fail (SIPCAST_IS_METRICS (self));
  g_set_object (&self->agent, agent);
}

void
sipcast_metrics_set_cluster (SipcastMetrics *self,
                             SipcastCluster *cluster)
{
  g_return_if_fail (SIPCAST_IS_METRICS (self));
  g_return_if_fail (cluster == NULL || SIPCAST_IS_CLUSTER (cluster));
  g_set_object (&self->cluster, cluster);
}

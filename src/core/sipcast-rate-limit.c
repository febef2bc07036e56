/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rate-limit"

#include "config.h"

#include "sipcast-rate-limit.h"

/* See the header: a token bucket per source address. */

struct _SipcastRateLimit {
  guint rate;           /* tokens a second; 0: no limit */
  double burst;         /* bucket size */
  guint64 refused;
  gint64 last_sweep;
  GHashTable *sources;  /* address → Bucket */
};

typedef struct {
  double tokens;
  gint64 updated;       /* µs */
  gint64 logged;        /* µs of the last logged refusal, 0: none */
} Bucket;

SipcastRateLimit *
sipcast_rate_limit_new (guint rate)
{
  SipcastRateLimit *limit = g_new0 (SipcastRateLimit, 1);

  limit->rate = rate;
  limit->burst = 2.0 * rate;
  limit->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return limit;
}

void
sipcast_rate_limit_free (SipcastRateLimit *limit)
{
  if (limit == NULL)
    return;
  g_hash_table_unref (limit->sources);
  g_free (limit);
}

static void
refill (SipcastRateLimit *limit,
        Bucket           *bucket,
        gint64            now)
{
  if (now > bucket->updated) {
    bucket->tokens = MIN (limit->burst,
                          bucket->tokens + (now - bucket->updated) * limit->rate / (double) G_USEC_PER_SEC);
    bucket->updated = now;
  }
}

/* A full bucket says nothing a new one would not: forget it. */
static void
sweep (SipcastRateLimit *limit,
       gint64            now)
{
  GHashTableIter iter;
  Bucket *bucket;

  g_hash_table_iter_init (&iter, limit->sources);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &bucket)) {
    refill (limit, bucket, now);
    if (bucket->tokens >= limit->burst &&
        now - bucket->logged >= SIPCAST_RATE_LIMIT_LOG_INTERVAL_S * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&iter);
  }
  limit->last_sweep = now;
}

SipcastRateLimitVerdict
sipcast_rate_limit_check (SipcastRateLimit *limit,
                          const char       *source,
                          gint64            now)
{
  Bucket *bucket;

  g_return_val_if_fail (limit != NULL && source != NULL, SIPCAST_RATE_LIMIT_ALLOW);

  if (limit->rate == 0)
    return SIPCAST_RATE_LIMIT_ALLOW;
  if (now - limit->last_sweep >= G_USEC_PER_SEC)
    sweep (limit, now);

  bucket = g_hash_table_lookup (limit->sources, source);
  if (bucket == NULL) {
    if (g_hash_table_size (limit->sources) >= SIPCAST_RATE_LIMIT_MAX_SOURCES)
      return SIPCAST_RATE_LIMIT_ALLOW;
    bucket = g_new0 (Bucket, 1);
    bucket->tokens = limit->burst;
    bucket->updated = now;
    g_hash_table_insert (limit->sources, g_strdup (source), bucket);
  }
  refill (limit, bucket, now);
  if (bucket->tokens >= 1.0) {
    bucket->tokens -= 1.0;
    return SIPCAST_RATE_LIMIT_ALLOW;
  }

  limit->refused++;
  if (bucket->logged == 0 ||
      now - bucket->logged >= SIPCAST_RATE_LIMIT_LOG_INTERVAL_S * G_USEC_PER_SEC) {
    bucket->logged = now;
    return SIPCAST_RATE_LIMIT_REFUSE_AND_LOG;
  }
  return SIPCAST_RATE_LIMIT_REFUSE;
}

guint64
sipcast_rate_limit_refused (SipcastRateLimit *limit)
{
  g_return_val_if_fail (limit != NULL, 0);
  return limit->refused;
}

guint
sipcast_rate_limit_size (SipcastRateLimit *limit)
{
  g_return_val_if_fail (limit != NULL, 0);
  return g_hash_table_size (limit->sources);
}

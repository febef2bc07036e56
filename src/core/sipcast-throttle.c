/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-throttle"

#include "config.h"

#include "sipcast-throttle.h"

/* See the header: failures per client, and how long it must wait. */

struct _SipcastThrottle {
  guint free_failures;
  guint max_wait_s;
  /* client → Client */
  GHashTable *clients;
};

typedef struct {
  guint failures;
  gint64 last_failure;
  gint64 blocked_until;
} Client;

SipcastThrottle *
sipcast_throttle_new (guint free_failures,
                      guint max_wait_s)
{
  SipcastThrottle *throttle = g_new0 (SipcastThrottle, 1);

  throttle->free_failures = free_failures;
  throttle->max_wait_s = max_wait_s;
  throttle->clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return throttle;
}

void
sipcast_throttle_free (SipcastThrottle *throttle)
{
  if (throttle == NULL)
    return;
  g_hash_table_unref (throttle->clients);
  g_free (throttle);
}

guint
sipcast_throttle_wait (SipcastThrottle *throttle,
                       const char      *client,
                       gint64           now)
{
  Client *entry;

  g_return_val_if_fail (throttle != NULL && client != NULL, 0);

  entry = g_hash_table_lookup (throttle->clients, client);
  if (entry == NULL || entry->blocked_until <= now)
    return 0;
  return (guint) (entry->blocked_until - now);
}

static void
forget_idle (SipcastThrottle *throttle,
             gint64           now)
{
  GHashTableIter iter;
  Client *entry;

  g_hash_table_iter_init (&iter, throttle->clients);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry)) {
    if (now - entry->last_failure > SIPCAST_THROTTLE_FORGET_S && entry->blocked_until <= now)
      g_hash_table_iter_remove (&iter);
  }
}

void
sipcast_throttle_failure (SipcastThrottle *throttle,
                          const char      *client,
                          gint64           now)
{
  Client *entry;
  guint over;

  g_return_if_fail (throttle != NULL && client != NULL);

  entry = g_hash_table_lookup (throttle->clients, client);
  if (entry == NULL) {
    /* Sweeping only when a client is added keeps a failure O(1) for
     * the clients already known. */
    forget_idle (throttle, now);
    if (g_hash_table_size (throttle->clients) >= SIPCAST_THROTTLE_MAX_CLIENTS)
      return;
    entry = g_new0 (Client, 1);
    g_hash_table_insert (throttle->clients, g_strdup (client), entry);
  }
  entry->failures++;
  entry->last_failure = now;
  if (entry->failures <= throttle->free_failures)
    return;
  over = entry->failures - throttle->free_failures - 1;
  entry->blocked_until = now + (over >= 16 ? throttle->max_wait_s :
                                MIN ((guint) 1 << over, throttle->max_wait_s));
}

void
sipcast_throttle_success (SipcastThrottle *throttle,
                          const char      *client)
{
  g_return_if_fail (throttle != NULL && client != NULL);
  g_hash_table_remove (throttle->clients, client);
}

guint
sipcast_throttle_size (SipcastThrottle *throttle)
{
  return g_hash_table_size (throttle->clients);
}

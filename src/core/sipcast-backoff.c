/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-backoff"

#include "config.h"
#include "sipcast-backoff.h"

/*
 * The retry schedule of RTMP publishers; see the header.
 */

void
sipcast_backoff_init (SipcastBackoff *backoff,
                      guint           budget_s)
{
  g_return_if_fail (backoff != NULL);

  backoff->budget_ms = budget_s * 1000;
  sipcast_backoff_reset (backoff);
}

void
sipcast_backoff_reset (SipcastBackoff *backoff)
{
  g_return_if_fail (backoff != NULL);

  backoff->next_ms = SIPCAST_BACKOFF_FIRST_MS;
  backoff->failing_since = -1;
}

gint
sipcast_backoff_next (SipcastBackoff *backoff,
                      gint64          now_us)
{
  gint64 remaining_ms;
  guint delay_ms;

  g_return_val_if_fail (backoff != NULL, -1);

  if (backoff->failing_since < 0)
    backoff->failing_since = now_us;
  remaining_ms = (gint64) backoff->budget_ms - (now_us - backoff->failing_since) / 1000;
  if (remaining_ms <= 0)
    return -1;

  delay_ms = (guint) MIN ((gint64) backoff->next_ms, remaining_ms);
  backoff->next_ms = MIN (backoff->next_ms * 2, SIPCAST_BACKOFF_MAX_MS);
  return (gint) delay_ms;
}

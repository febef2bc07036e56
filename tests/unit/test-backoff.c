/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-backoff"

#include <glib.h>

#include "sipcast-backoff.h"

/*
 * The retry schedule of an RTMP publisher: what an operator reads in the
 * README (1, 2, 4, then every 8 s, within the retry budget) is what a
 * server that stays down sees.
 */

#define S (G_USEC_PER_SEC)

static void
test_schedule (void)
{
  SipcastBackoff backoff;
  gint64 now = 100 * S;

  sipcast_backoff_init (&backoff, 30);
  /* Refused at once each time: attempts at 0, 1, 3, 7, 15, 23 and 30 s. */
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 1000);
  now += 1 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 2000);
  now += 2 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 4000);
  now += 4 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 8000);
  now += 8 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 8000);
  now += 8 * S;
  /* 23 s spent: the last attempt lands at the end of the budget. */
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 7000);
  now += 7 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, -1);
}

static void
test_success_resets (void)
{
  SipcastBackoff backoff;
  gint64 now = 5 * S;

  sipcast_backoff_init (&backoff, 3);
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 1000);
  now += 1 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 2000);
  now += 2 * S;
  /* Connected: a later outage gets the whole budget and the short delays. */
  sipcast_backoff_reset (&backoff);
  now += 60 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 1000);
  now += 1 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, 2000);
  now += 2 * S;
  g_assert_cmpint (sipcast_backoff_next (&backoff, now), ==, -1);
}

static void
test_zero_budget (void)
{
  SipcastBackoff backoff;

  sipcast_backoff_init (&backoff, 0);
  g_assert_cmpint (sipcast_backoff_next (&backoff, 7 * S), ==, -1);
}

static void
test_slow_failure (void)
{
  SipcastBackoff backoff;

  /* An attempt that takes longer than the budget to fail (a server that
   * never answers) is the last one. */
  sipcast_backoff_init (&backoff, 10);
  g_assert_cmpint (sipcast_backoff_next (&backoff, 0), ==, 1000);
  g_assert_cmpint (sipcast_backoff_next (&backoff, 11 * S), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backoff/schedule", test_schedule);
  g_test_add_func ("/backoff/success-resets", test_success_resets);
  g_test_add_func ("/backoff/zero-budget", test_zero_budget);
  g_test_add_func ("/backoff/slow-failure", test_slow_failure);

  return g_test_run ();
}

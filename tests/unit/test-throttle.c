/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-throttle"

#include <glib.h>

#include "sipcast-throttle.h"

/* Failures per client: free ones, then waits that double up to a limit. */
static void
test_waits_double (void)
{
  g_autoptr (SipcastThrottle) throttle = sipcast_throttle_new (3, 8);

  for (guint i = 0; i < 3; i++) {
    g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.1", 100), ==, 0);
    sipcast_throttle_failure (throttle, "10.0.0.1", 100);
  }
  g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.1", 100), ==, 0);
  sipcast_throttle_failure (throttle, "10.0.0.1", 100);
  g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.1", 100), ==, 1);
  g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.1", 101), ==, 0);
  sipcast_throttle_failure (throttle, "10.0.0.1", 101);
  g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.1", 101), ==, 2);
  sipcast_throttle_failure (throttle, "10.0.0.1", 103);
  g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.1", 103), ==, 4);
  for (guint i = 0; i < 40; i++)
    sipcast_throttle_failure (throttle, "10.0.0.1", 200);
  g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.1", 200), ==, 8);

  /* Another client is not slowed by the first one's failures. */
  g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.2", 200), ==, 0);

  /* A success forgets the client. */
  sipcast_throttle_success (throttle, "10.0.0.1");
  g_assert_cmpuint (sipcast_throttle_wait (throttle, "10.0.0.1", 200), ==, 0);
  g_assert_cmpuint (sipcast_throttle_size (throttle), ==, 0);
}

/* The table forgets idle clients and never grows past its bound. */
static void
test_bounded (void)
{
  g_autoptr (SipcastThrottle) throttle = sipcast_throttle_new (0, 60);

  sipcast_throttle_failure (throttle, "old", 0);
  sipcast_throttle_failure (throttle, "new", SIPCAST_THROTTLE_FORGET_S + 1);
  g_assert_cmpuint (sipcast_throttle_size (throttle), ==, 1);

  for (guint i = 0; i < SIPCAST_THROTTLE_MAX_CLIENTS + 50; i++) {
    g_autofree char *client = g_strdup_printf ("client-%u", i);

    sipcast_throttle_failure (throttle, client, 2000);
  }
  g_assert_cmpuint (sipcast_throttle_size (throttle), ==, SIPCAST_THROTTLE_MAX_CLIENTS);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/throttle/waits-double", test_waits_double);
  g_test_add_func ("/throttle/bounded", test_bounded);

  return g_test_run ();
}

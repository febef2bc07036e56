/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-rate-limit"

#include <string.h>
#include <glib.h>

#include "sipcast-networks.h"
#include "sipcast-rate-limit.h"

#define S G_USEC_PER_SEC

/* A burst of twice the rate passes, the next request is refused (and
 * logged once), and the bucket refills at the rate. */
static void
test_bucket (void)
{
  g_autoptr (SipcastRateLimit) limit = sipcast_rate_limit_new (10);
  gint64 t = 1000 * S;

  for (guint i = 0; i < 20; i++)
    g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.1", t), ==, SIPCAST_RATE_LIMIT_ALLOW);
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.1", t), ==,
                   SIPCAST_RATE_LIMIT_REFUSE_AND_LOG);
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.1", t), ==, SIPCAST_RATE_LIMIT_REFUSE);
  /* Another source has its own bucket. */
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.2", t), ==, SIPCAST_RATE_LIMIT_ALLOW);

  /* 0.1 s gives one token back. */
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.1", t + S / 10), ==,
                   SIPCAST_RATE_LIMIT_ALLOW);
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.1", t + S / 10), ==,
                   SIPCAST_RATE_LIMIT_REFUSE);
  g_assert_cmpuint (sipcast_rate_limit_refused (limit), ==, 3);

  /* A steady 10 a second passes for ever. */
  t += 10 * S;
  for (guint i = 0; i < 1000; i++)
    g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.1", t + i * S / 10), ==,
                     SIPCAST_RATE_LIMIT_ALLOW);

  /* Logged again only after the interval. */
  t += 1000 * S;
  for (guint i = 0; i < 20; i++)
    sipcast_rate_limit_check (limit, "10.0.0.3", t);
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.3", t), ==,
                   SIPCAST_RATE_LIMIT_REFUSE_AND_LOG);
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.3", t + S), ==,
                   SIPCAST_RATE_LIMIT_ALLOW);
  for (guint i = 0; i < 30; i++)
    sipcast_rate_limit_check (limit, "10.0.0.3", t + S);
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.3", t + S), ==,
                   SIPCAST_RATE_LIMIT_REFUSE);
  for (guint i = 0; i < 20; i++)
    sipcast_rate_limit_check (limit, "10.0.0.3", t + SIPCAST_RATE_LIMIT_LOG_INTERVAL_S * S);
  g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.3",
                                             t + SIPCAST_RATE_LIMIT_LOG_INTERVAL_S * S), ==,
                   SIPCAST_RATE_LIMIT_REFUSE_AND_LOG);
}

/* 0 is no limit at all. */
static void
test_off (void)
{
  g_autoptr (SipcastRateLimit) limit = sipcast_rate_limit_new (0);

  for (guint i = 0; i < 100000; i++)
    g_assert_cmpint (sipcast_rate_limit_check (limit, "10.0.0.1", 5), ==, SIPCAST_RATE_LIMIT_ALLOW);
  g_assert_cmpuint (sipcast_rate_limit_size (limit), ==, 0);
}

/* A scan from many addresses: the table stays bounded, and sources that
 * went quiet are forgotten. */
static void
test_bounded (void)
{
  g_autoptr (SipcastRateLimit) limit = sipcast_rate_limit_new (5);
  gint64 t = 10 * S;

  for (guint i = 0; i < SIPCAST_RATE_LIMIT_MAX_SOURCES + 500; i++) {
    g_autofree char *source = g_strdup_printf ("10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);

    g_assert_cmpint (sipcast_rate_limit_check (limit, source, t), ==, SIPCAST_RATE_LIMIT_ALLOW);
  }
  g_assert_cmpuint (sipcast_rate_limit_size (limit), ==, SIPCAST_RATE_LIMIT_MAX_SOURCES);
  /* Their buckets are full again a few seconds later. */
  sipcast_rate_limit_check (limit, "192.0.2.1", t + 60 * S);
  g_assert_cmpuint (sipcast_rate_limit_size (limit), ==, 1);
}

static void
test_networks (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SipcastNetworks) networks =
    sipcast_networks_parse (" 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32", &error);
  g_autoptr (SipcastNetworks) empty = sipcast_networks_parse ("", &error);
  g_autoptr (SipcastNetworks) bad = NULL;

  g_assert_no_error (error);
  g_assert_true (sipcast_networks_contain (networks, "10.200.3.4"));
  g_assert_true (sipcast_networks_contain (networks, "::ffff:10.1.1.1"));
  g_assert_true (sipcast_networks_contain (networks, "192.168.1.7"));
  g_assert_false (sipcast_networks_contain (networks, "192.168.1.8"));
  g_assert_true (sipcast_networks_contain (networks, "2001:db8:1::5"));
  g_assert_false (sipcast_networks_contain (networks, "2001:db9::5"));
  g_assert_false (sipcast_networks_contain (networks, "11.0.0.1"));
  g_assert_false (sipcast_networks_contain (networks, "not an address"));
  g_assert_false (sipcast_networks_is_empty (networks));
  g_assert_true (sipcast_networks_is_empty (empty));

  bad = sipcast_networks_parse ("10.0.0.0/8, 300.1.1.1/8", &error);
  g_assert_null (bad);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "300.1.1.1/8"));
  g_clear_error (&error);
  bad = sipcast_networks_parse ("10.0.0.0/33", &error);
  g_assert_null (bad);
  g_assert_nonnull (error);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rate-limit/bucket", test_bucket);
  g_test_add_func ("/rate-limit/off", test_off);
  g_test_add_func ("/rate-limit/bounded", test_bounded);
  g_test_add_func ("/networks/parse-and-match", test_networks);
  return g_test_run ();
}

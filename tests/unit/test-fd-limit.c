/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-fd-limit"

#include <sys/resource.h>
#include <glib.h>

#include "sipcast-fd-limit.h"

/*
 * The descriptor budget: the soft limit goes up to the hard one, and a
 * descriptor numbered near the limit is counted every time but logged
 * only once.
 */

static GPtrArray *logged;  /* "LEVEL message" of each sipcast-fd line */

static GLogWriterOutput
capture (GLogLevelFlags   log_level,
         const GLogField *fields,
         gsize            n_fields,
         gpointer         user_data)
{
  const char *domain = NULL, *message = NULL;

  for (gsize i = 0; i < n_fields; i++) {
    if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
      domain = fields[i].value;
    else if (g_str_equal (fields[i].key, "MESSAGE"))
      message = fields[i].value;
  }
  if (g_strcmp0 (domain, "sipcast-fd") == 0 && (log_level & G_LOG_LEVEL_DEBUG) == 0)
    g_ptr_array_add (logged, g_strdup_printf ("%s %s",
                                              (log_level & G_LOG_LEVEL_WARNING) ? "WARNING" : "MESSAGE",
                                              message));
  return G_LOG_WRITER_HANDLED;
}

static void
test_raise_and_near (void)
{
  struct rlimit rl;
  guint64 threshold;

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  if (rl.rlim_max < 64) {
    g_test_skip ("hard RLIMIT_NOFILE below 64");
    return;
  }
  /* As a service starts: the soft limit below the hard one. */
  rl.rlim_cur = 32;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &rl), ==, 0);

  sipcast_fd_limit_raise ();
  g_assert_cmpuint (logged->len, ==, 1);
  g_assert_true (g_pattern_match_simple ("MESSAGE file descriptor limit * (raised from 32)",
                                         logged->pdata[0]));
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &rl), ==, 0);
  g_assert_cmpuint (rl.rlim_cur, ==, rl.rlim_max);
  g_assert_cmpuint (sipcast_fd_limit_get (), ==, rl.rlim_cur);

  /* An eighth of the limit below it, at least 16 below. */
  threshold = sipcast_fd_limit_get_threshold ();
  g_assert_cmpuint (threshold, ==, rl.rlim_cur - MAX (rl.rlim_cur / 8, 16));

  g_assert_false (sipcast_fd_limit_note ((int) threshold - 1, "a test"));
  g_assert_cmpuint (sipcast_fd_limit_get_near_count (), ==, 0);

  g_assert_true (sipcast_fd_limit_note ((int) threshold, "a test"));
  g_assert_cmpuint (logged->len, ==, 2);
  g_assert_true (g_pattern_match_simple ("WARNING a test took file descriptor * near its limit*",
                                         logged->pdata[1]));
  /* Counted, not logged again. */
  g_assert_true (sipcast_fd_limit_note ((int) threshold + 1, "a test"));
  g_assert_cmpuint (sipcast_fd_limit_get_near_count (), ==, 2);
  g_assert_cmpuint (logged->len, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* The near-limit warning is what is tested, not a failure. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  logged = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture, NULL, NULL);
  g_test_add_func ("/fd-limit/raise-and-near", test_raise_and_near);
  status = g_test_run ();
  g_ptr_array_unref (logged);
  return status;
}

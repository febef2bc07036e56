/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-fd"

#include "sipcast-fd-limit.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <sys/resource.h>

/*
 * Process-wide state: there is one descriptor table.  The counters are
 * atomic because GStreamer's threads may open sockets too; the limit is
 * written once, at start, before any thread exists.
 */

static guint64 limit;
static gint near_logged;
static guint64 near_count;

void
sipcast_fd_limit_raise (void)
{
  struct rlimit rl;
  rlim_t before;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0) {
    g_warning (_("Cannot read the file descriptor limit: %s"), g_strerror (errno));
    return;
  }
  before = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    /* An unlimited hard limit is still capped by the kernel's nr_open. */
    if (setrlimit (RLIMIT_NOFILE, &rl) != 0) {
      rl.rlim_cur = MAX (before, MIN (rl.rlim_max, (rlim_t) 1048576));
      if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
        rl.rlim_cur = before;
    }
  }
  limit = rl.rlim_cur;

  if (limit != before)
    /* %llu, not G_GUINT64_FORMAT: xgettext cannot read a macro in a
     * translatable string. */
    g_message (_("file descriptor limit %llu (raised from %llu)"),
               (unsigned long long) limit, (unsigned long long) before);
  else
    g_message (_("file descriptor limit %llu"), (unsigned long long) limit);
}

guint64
sipcast_fd_limit_get (void)
{
  if (limit == 0) {
    struct rlimit rl;

    if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
      limit = rl.rlim_cur;
  }
  return limit;
}

guint64
sipcast_fd_limit_get_threshold (void)
{
  guint64 max = sipcast_fd_limit_get ();

  return max - MIN (max, MAX (max / 8, 16));
}

gboolean
sipcast_fd_limit_note (int         fd,
                       const char *what)
{
  guint64 count;

  if (fd < 0 || (guint64) fd < sipcast_fd_limit_get_threshold ())
    return FALSE;

  count = __atomic_add_fetch (&near_count, 1, __ATOMIC_RELAXED);
  /* Once: the operator needs to know, not to be flooded. */
  if (g_atomic_int_compare_and_exchange (&near_logged, 0, 1))
    g_warning (_("%s took file descriptor %d of a limit of %llu: "
                 "the daemon is near its limit and will refuse REST requests and calls "
                 "when it reaches it; raise it (LimitNOFILE= in the systemd unit, "
                 "ulimit -Hn in a shell)"), what, fd, (unsigned long long) sipcast_fd_limit_get ());
  else
    g_debug ("%s took file descriptor %d; %" G_GUINT64_FORMAT " near the limit so far",
             what, fd, count);
  return TRUE;
}

guint64
sipcast_fd_limit_get_near_count (void)
{
  return __atomic_load_n (&near_count, __ATOMIC_RELAXED);
}

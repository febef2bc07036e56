/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The process's file descriptor budget (RLIMIT_NOFILE).  Every REST
 * connection and every RTP/RTCP port is a descriptor, and the soft limit
 * a service starts with (1024 under systemd, less under a shell's
 * `ulimit -n`) is far below what the kernel allows: the daemon raises it
 * to the hard limit at start.  Whoever opens descriptors in bulk reports
 * each new one here; as descriptors are numbered lowest-free-first, a new
 * one numbered near the limit means that nearly all of them are in use,
 * which is logged once (a warning that says how to raise the limit) and
 * counted every time.
 */

#include <glib.h>

G_BEGIN_DECLS

/* Raises the soft RLIMIT_NOFILE to the hard one and logs the limit in
 * force.  Call once, at start. */
void sipcast_fd_limit_raise (void);

/* The soft RLIMIT_NOFILE in force (read at the first call after raise). */
guint64 sipcast_fd_limit_get (void);

/* The descriptor number from which on the daemon counts as near its
 * limit: an eighth of the limit below it, at least 16. */
guint64 sipcast_fd_limit_get_threshold (void);

/* @fd was just opened for @what ("REST connection", "RTP port"): TRUE and
 * counted (and logged the first time) when it is near the limit. */
gboolean sipcast_fd_limit_note (int         fd,
                                const char *what);

/* How many descriptors sipcast_fd_limit_note() found near the limit. */
guint64 sipcast_fd_limit_get_near_count (void);

G_END_DECLS

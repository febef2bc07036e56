/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * glibc's allocator, tuned for a daemon whose calls keep starting and
 * ending threads.  Each call runs about eight GStreamer streaming threads;
 * glibc gives threads their own arenas (up to eight per core) and keeps
 * what a thread freed in its arena for the next one.  Over thousands of
 * short calls the freed memory of ended calls is spread thin over all
 * the arenas and the main heap, between blocks that live on a while
 * (events kept for resumes, SIP transactions in their 32 s RFC 6026
 * wait), so after thousands of short calls RSS stood 17 MiB above its
 * level after the first hundred although the memory in use had come
 * back.  Fewer arenas and handing free pages back after calls end lower
 * that level (README "Soak" has the figures).  Without glibc both are
 * no-ops.
 */

#include <glib.h>

G_BEGIN_DECLS

/* Caps the number of malloc arenas at one per core (at least two).
 * Call once, at start, before any thread is started. */
void sipcast_malloc_tune (void);

/* Hands the free pages of every arena back to the kernel
 * (malloc_trim()); returns by how many KiB the resident set shrank. */
gint64 sipcast_malloc_trim (void);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-malloc"

#include "sipcast-malloc.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <unistd.h>

/* Resident pages of this process, in KiB (0 when /proc cannot tell). */
static gint64
resident_kib (void)
{
  g_autofree char *statm = NULL;
  g_auto (GStrv) fields = NULL;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    return 0;
  fields = g_strsplit (statm, " ", 3);
  if (g_strv_length (fields) < 2)
    return 0;
  return g_ascii_strtoll (fields[1], NULL, 10) * (sysconf (_SC_PAGESIZE) / 1024);
}

void
sipcast_malloc_tune (void)
{
#ifdef __GLIBC__
  /* glibc's default is 8 per core, for threads that block while holding
   * an arena; ours seldom allocate at once, and no more of them run at
   * once than there are cores.  With the default every arena ends up
   * holding freed memory of ended calls. */
  mallopt (M_ARENA_MAX, (int) MAX (2, g_get_num_processors ()));
#endif
}

gint64
sipcast_malloc_trim (void)
{
#ifdef __GLIBC__
  gint64 before = resident_kib ();

  malloc_trim (0);
  return before - resident_kib ();
#else
  return 0;
#endif
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-malloc"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "sipcast-malloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature (address_sanitizer)
#define SANITIZED 1
#endif
#endif

#define BLOCKS 8000
#define BLOCK_SIZE 1000

/* What a thread of an ended call leaves behind: many small blocks freed
 * in its arena, pinned under a block that lives on, so that free() alone
 * cannot shrink the heap from its top.  The trim gives the pages back. */
static gpointer
allocate_and_free (gpointer data)
{
  gpointer *blocks = g_new (gpointer, BLOCKS);
  gpointer *pin = data;

  for (guint i = 0; i < BLOCKS; i++)
    blocks[i] = memset (malloc (BLOCK_SIZE), 1, BLOCK_SIZE);
  *pin = malloc (64);
  for (guint i = 0; i < BLOCKS; i++)
    free (blocks[i]);
  g_free (blocks);
  return NULL;
}

static void
test_trim_gives_back (void)
{
  gpointer pin = NULL;
  const char *preload = g_getenv ("LD_PRELOAD");
  gint64 kib;

#ifdef SANITIZED
  g_test_skip ("the sanitizer's allocator replaces glibc's");
  return;
#endif
  if (preload != NULL && strstr (preload, "vgpreload") != NULL) {
    g_test_skip ("valgrind's allocator replaces glibc's");
    return;
  }
  sipcast_malloc_tune ();
  g_thread_join (g_thread_new ("call", allocate_and_free, &pin));
#ifdef __GLIBC__
  kib = sipcast_malloc_trim ();
  /* Nearly all of the 8 MB, not a page or two. */
  g_assert_cmpint (kib, >, BLOCKS * BLOCK_SIZE / 1024 / 2);
#else
  kib = sipcast_malloc_trim ();
  g_assert_cmpint (kib, ==, 0);
#endif
  free (pin);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/malloc/trim-gives-back", test_trim_gives_back);
  return g_test_run ();
}

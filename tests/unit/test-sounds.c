/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipcast-sounds.h"
#include "sipcast-error.h"

#include <glib/gstdio.h>
#include <unistd.h>

typedef struct {
  char *root;      /* temp dir */
  char *sounds;    /* root/sounds */
} Fixture;

static void
write_file (const char *path)
{
  g_assert_true (g_file_set_contents (path, "RIFF", 4, NULL));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *sub = NULL;
  g_autofree char *file = NULL;
  g_autofree char *nested = NULL;
  g_autofree char *outside = NULL;
  g_autofree char *link = NULL;

  f->root = g_dir_make_tmp ("sipcast-sounds-XXXXXX", NULL);
  f->sounds = g_build_filename (f->root, "sounds", NULL);
  sub = g_build_filename (f->sounds, "ivr", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sub, 0700), ==, 0);
  file = g_build_filename (f->sounds, "tone.wav", NULL);
  nested = g_build_filename (sub, "menu.wav", NULL);
  outside = g_build_filename (f->root, "secret.wav", NULL);
  write_file (file);
  write_file (nested);
  write_file (outside);
  link = g_build_filename (f->sounds, "escape.wav", NULL);
  g_assert_cmpint (symlink (outside, link), ==, 0);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  const char *names[] = { "sounds/tone.wav", "sounds/ivr/menu.wav", "sounds/escape.wav",
                          "sounds/ivr", "sounds", "secret.wav" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    g_autofree char *path = g_build_filename (f->root, names[i], NULL);
    g_remove (path);
  }
  g_rmdir (f->root);
  g_free (f->sounds);
  g_free (f->root);
}

static void
test_inside (Fixture *f, gconstpointer data)
{
  g_autofree char *tone = sipcast_sounds_resolve (f->sounds, "tone.wav", NULL);
  g_autofree char *menu = sipcast_sounds_resolve (f->sounds, "ivr/menu.wav", NULL);
  g_autofree char *dotted = sipcast_sounds_resolve (f->sounds, "./ivr/./menu.wav", NULL);

  g_assert_nonnull (tone);
  g_assert_true (g_str_has_suffix (tone, "/sounds/tone.wav"));
  g_assert_true (g_path_is_absolute (tone));
  g_assert_nonnull (menu);
  g_assert_cmpstr (dotted, ==, menu);
}

static void
test_escapes (Fixture *f, gconstpointer data)
{
  g_autofree char *absolute = g_build_filename (f->root, "secret.wav", NULL);
  const char *bad[] = { "../secret.wav", "ivr/../../secret.wav", absolute, "escape.wav", "",
                        "tone.wav\n", "ivr\\menu.wav" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *path = sipcast_sounds_resolve (f->sounds, bad[i], &error);

    g_assert_null (path);
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_missing (Fixture *f, gconstpointer data)
{
  const char *missing[] = { "nothing.wav", "ivr", "ivr/nothing.wav" };

  for (guint i = 0; i < G_N_ELEMENTS (missing); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *path = sipcast_sounds_resolve (f->sounds, missing[i], &error);

    g_assert_null (path);
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND);
  }

  {
    g_autoptr (GError) error = NULL;
    g_autofree char *path = sipcast_sounds_resolve ("/nonexistent/sounds", "tone.wav", &error);

    g_assert_null (path);
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sounds/inside", Fixture, NULL, fixture_set_up, test_inside, fixture_tear_down);
  g_test_add ("/sounds/escapes", Fixture, NULL, fixture_set_up, test_escapes, fixture_tear_down);
  g_test_add ("/sounds/missing", Fixture, NULL, fixture_set_up, test_missing, fixture_tear_down);

  return g_test_run ();
}

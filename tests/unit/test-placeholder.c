/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipcast-placeholder.h"
#include "sipcast-error.h"

#include <glib/gstdio.h>
#include <unistd.h>

/* A placeholder directory with one image, a symbolic link to an image
 * outside it and a file that is no image by its name. */
typedef struct {
  char *root;
  char *dir;
} Fixture;

static const char *const files[] = { "dir/studio.png", "dir/logo.JPEG", "dir/notes.txt",
                                     "outside.png" };

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *link = NULL;
  g_autofree char *outside = NULL;

  f->root = g_dir_make_tmp ("sipcast-placeholder-XXXXXX", NULL);
  f->dir = g_build_filename (f->root, "dir", NULL);
  g_assert_cmpint (g_mkdir (f->dir, 0700), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *path = g_build_filename (f->root, files[i], NULL);

    g_assert_true (g_file_set_contents (path, "x", 1, NULL));
  }
  outside = g_build_filename (f->root, "outside.png", NULL);
  link = g_build_filename (f->dir, "escape.png", NULL);
  g_assert_cmpint (symlink (outside, link), ==, 0);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_autofree char *link = g_build_filename (f->dir, "escape.png", NULL);

  g_remove (link);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
    g_autofree char *path = g_build_filename (f->root, files[i], NULL);

    g_remove (path);
  }
  g_rmdir (f->dir);
  g_rmdir (f->root);
  g_free (f->dir);
  g_free (f->root);
}

static void
test_kinds (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *expected = g_build_filename (f->dir, "studio.png", NULL);
  SipcastPlaceholderKind kind;

  g_assert_true (sipcast_placeholder_resolve (f->dir, "x", "none", &kind, &path, &error));
  g_assert_cmpint (kind, ==, SIPCAST_PLACEHOLDER_NONE);
  g_assert_null (path);
  g_assert_true (sipcast_placeholder_resolve (f->dir, "x", "card", &kind, &path, &error));
  g_assert_cmpint (kind, ==, SIPCAST_PLACEHOLDER_CARD);
  g_assert_null (path);
  g_assert_true (sipcast_placeholder_resolve (f->dir, "x", "studio.png", &kind, &path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (kind, ==, SIPCAST_PLACEHOLDER_IMAGE);
  g_assert_cmpstr (path, ==, expected);
  /* Upper-case extensions are images too. */
  g_assert_true (sipcast_placeholder_resolve (f->dir, "x", "logo.JPEG", &kind, NULL, &error));
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *absolute = g_build_filename (f->dir, "studio.png", NULL);
  const struct {
    const char *value;
    const char *message;
  } cases[] = {
    { "", "field must be none, card, or the name of a .png or .jpg file" },
    { "Card", "field must be none, card" },
    { "notes.txt", "field must be none, card" },
    { "missing.png", "field: no image “missing.png” in the placeholder directory" },
    { "../outside.png", "field: “../outside.png” is not a name inside" },
    { "escape.png", "field: “escape.png” is not a name inside" },
    { absolute, "is not a name inside" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autofree char *path = NULL;
    SipcastPlaceholderKind kind = SIPCAST_PLACEHOLDER_NONE;

    g_test_message ("%s", cases[i].value);
    g_assert_false (sipcast_placeholder_resolve (f->dir, "field", cases[i].value, &kind, &path,
                                                 &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, cases[i].message));
    g_assert_null (path);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/placeholder/kinds", Fixture, NULL, fixture_set_up, test_kinds, fixture_tear_down);
  g_test_add ("/placeholder/refused", Fixture, NULL, fixture_set_up, test_refused,
              fixture_tear_down);
  return g_test_run ();
}

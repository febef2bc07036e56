/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sounds"

#include "config.h"
#include "sipcast-sounds.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static gboolean
name_stays_inside (const char *file_name)
{
  g_auto (GStrv) parts = NULL;

  if (*file_name == '\0' || g_path_is_absolute (file_name))
    return FALSE;
  for (const char *p = file_name; *p != '\0'; p++) {
    if (g_ascii_iscntrl (*p) || *p == '\\')
      return FALSE;
  }
  parts = g_strsplit (file_name, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++) {
    if (g_str_equal (parts[i], ".."))
      return FALSE;
  }
  return TRUE;
}

char *
sipcast_sounds_resolve (const char  *sounds_dir,
                        const char  *file_name,
                        GError     **error)
{
  g_autofree char *joined = NULL;
  char real_dir[PATH_MAX];
  char real_file[PATH_MAX];
  gsize dir_len;

  g_return_val_if_fail (sounds_dir != NULL, NULL);

  if (file_name == NULL || !name_stays_inside (file_name)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("fileName must name a file inside the sounds directory"));
    return NULL;
  }

  joined = g_build_filename (sounds_dir, file_name, NULL);
  /* realpath() follows symbolic links: the check below is on where the
   * file really is. */
  if (realpath (sounds_dir, real_dir) == NULL || realpath (joined, real_file) == NULL ||
      !g_file_test (real_file, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND,
                 _("No sound file “%s”"), file_name);
    return NULL;
  }

  dir_len = strlen (real_dir);
  if (strncmp (real_file, real_dir, dir_len) != 0 ||
      (real_file[dir_len] != '/' && !(dir_len == 1 && real_dir[0] == '/'))) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("fileName must name a file inside the sounds directory"));
    return NULL;
  }
  return g_strdup (real_file);
}

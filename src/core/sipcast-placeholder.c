/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-core"

#include "config.h"
#include "sipcast-placeholder.h"
#include "sipcast-error.h"
#include "sipcast-sounds.h"

#include <glib/gi18n.h>

/*
 * The image name is resolved like a sound file name (sipcast-sounds.h:
 * realpath() inside the directory), and only decoders sipcast ships with
 * are asked for: a file that is no picture would otherwise cost the
 * call's whole pipeline.
 */

static gboolean
is_image_name (const char *value)
{
  g_autofree char *lower = g_ascii_strdown (value, -1);

  return g_str_has_suffix (lower, ".png") || g_str_has_suffix (lower, ".jpg") ||
         g_str_has_suffix (lower, ".jpeg");
}

gboolean
sipcast_placeholder_resolve (const char              *dir,
                             const char              *field,
                             const char              *value,
                             SipcastPlaceholderKind  *kind,
                             char                   **image_path,
                             GError                 **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (dir != NULL && field != NULL && kind != NULL, FALSE);

  if (value != NULL && g_str_equal (value, "none")) {
    *kind = SIPCAST_PLACEHOLDER_NONE;
    return TRUE;
  }
  if (value != NULL && g_str_equal (value, "card")) {
    *kind = SIPCAST_PLACEHOLDER_CARD;
    return TRUE;
  }

  if (value == NULL || *value == '\0' || !is_image_name (value)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("%s must be none, card, or the name of a .png or .jpg file in the "
                   "placeholder directory"), field);
    return FALSE;
  }
  path = sipcast_sounds_resolve (dir, value, &local_error);
  if (path == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 g_error_matches (local_error, SIPCAST_ERROR, SIPCAST_ERROR_NOT_FOUND) ?
                 _("%s: no image “%s” in the placeholder directory") :
                 _("%s: “%s” is not a name inside the placeholder directory"),
                 field, value);
    return FALSE;
  }
  *kind = SIPCAST_PLACEHOLDER_IMAGE;
  if (image_path != NULL)
    *image_path = g_steal_pointer (&path);
  return TRUE;
}

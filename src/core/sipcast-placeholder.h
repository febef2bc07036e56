/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The picture published for a call that sends no video (placeholderVideo
 * in /call/startup, [media] and [route] placeholder-video=): "none", "card"
 * (caller, callee and the audio level, drawn by sipcast), or the name of
 * an image file (PNG or JPEG) inside [media] placeholder-dir, never one
 * outside it.
 */

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPCAST_PLACEHOLDER_NONE,
  SIPCAST_PLACEHOLDER_CARD,
  SIPCAST_PLACEHOLDER_IMAGE,
} SipcastPlaceholderKind;

/* What @value asks for; with SIPCAST_PLACEHOLDER_IMAGE, @image_path (may
 * be NULL) gets the absolute path of the image inside @dir.
 * SIPCAST_ERROR_INVALID_ARGUMENT, with a message naming @field, for
 * anything else: an empty value, a name that leaves @dir (absolute, "..",
 * a symbolic link out of it), no such regular file, not .png/.jpg/.jpeg. */
gboolean sipcast_placeholder_resolve (const char              *dir,
                                      const char              *field,
                                      const char              *value,
                                      SipcastPlaceholderKind  *kind,
                                      char                   **image_path,
                                      GError                 **error);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * /call/inject_sound file names: resolved inside the configured sounds
 * directory, never outside it (no absolute names, no "..", no symbolic
 * link that leads out).
 */

#include <glib.h>

G_BEGIN_DECLS

/* The absolute path of @file_name inside @sounds_dir.  Errors:
 * SIPCAST_ERROR_INVALID_ARGUMENT for a name that tries to leave the
 * directory, SIPCAST_ERROR_NOT_FOUND when there is no such regular
 * file. */
char *sipcast_sounds_resolve (const char  *sounds_dir,
                              const char  *file_name,
                              GError     **error);

G_END_DECLS

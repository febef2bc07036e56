/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * REST accounts for production mode: a users file of "name:crypt-hash"
 * lines (salted crypt(3) hashes, yescrypt or SHA-512), re-read when it
 * changes on disk, created with admin/admin when missing.  Credentials are
 * checked in constant time with respect to the password and whether the
 * user exists.
 */

#include <glib-object.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_USERS (sipcast_users_get_type ())
G_DECLARE_FINAL_TYPE (SipcastUsers, sipcast_users, SIPCAST, USERS, GObject)

/* Loads @path, creating it (mode 0600, parent directories 0700) with the
 * default account admin/admin when it does not exist. */
SipcastUsers *sipcast_users_new (const char *path,
                                 GError    **error);

gboolean sipcast_users_check (SipcastUsers *self,
                              const char   *name,
                              const char   *password);

/* Sets (or adds) @name's password in the file at @path, atomically. */
gboolean sipcast_users_set_password (const char *path,
                                     const char *name,
                                     const char *password,
                                     GError    **error);

/* A new salted hash of @password; NULL with @error if crypt(3) fails. */
char *sipcast_password_hash (const char *password,
                             GError    **error);

G_END_DECLS

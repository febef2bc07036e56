/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * REST accounts for production mode: a users file of "name:crypt-hash"
 * lines (salted crypt(3) hashes, yescrypt or SHA-512), re-read when it
 * changes on disk, created when missing with the account admin and a
 * random password that is logged once.  There is no default password: a
 * file whose admin still has the old default "admin" is refused.  Credentials are
 * checked in constant time with respect to the password and whether the
 * user exists.
 */

#include <gio/gio.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_USERS (sipcast_users_get_type ())
G_DECLARE_FINAL_TYPE (SipcastUsers, sipcast_users, SIPCAST, USERS, GObject)

/* Loads @path, creating it (mode 0600, parent directories 0700) when it
 * does not exist, with the account admin and a new random password, which
 * is logged and, when @created_password is not NULL, returned there (NULL
 * when the file existed).  Errors: SIPCAST_ERROR_CONFIG when admin's
 * password is "admin" (never start with a password everyone knows), file
 * errors. */
SipcastUsers *sipcast_users_new (const char  *path,
                                 char       **created_password,
                                 GError     **error);

/* Whether @name/@password are an account's, hashing in this thread
 * (tens of milliseconds) unless they passed recently (see below). */
gboolean sipcast_users_check (SipcastUsers *self,
                              const char   *name,
                              const char   *password);

/* TRUE when @name/@password passed a check within the last 5 minutes
 * and the file has not changed since: no hashing, cheap enough for the
 * main loop.  FALSE says nothing either way. */
gboolean sipcast_users_check_cached (SipcastUsers *self,
                                     const char   *name,
                                     const char   *password);

/* sipcast_users_check() with the hashing in a thread of GTask's pool; the
 * result comes back on the calling thread's main context. */
void     sipcast_users_check_async  (SipcastUsers        *self,
                                     const char          *name,
                                     const char          *password,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
gboolean sipcast_users_check_finish (SipcastUsers        *self,
                                     GAsyncResult        *result);

/* Sets (or adds) @name's password in the file at @path, atomically. */
gboolean sipcast_users_set_password (const char *path,
                                     const char *name,
                                     const char *password,
                                     GError    **error);

/* The accounts of a users file's @contents, name → stored hash; a
 * malformed line is logged (with @path and its number) and skipped.  The
 * pure part of reading the file, for the unit tests and the fuzzer. */
GHashTable *sipcast_users_parse (const char *path,
                                 const char *contents);

/* A new salted hash of @password; NULL with @error if crypt(3) fails. */
char *sipcast_password_hash (const char *password,
                             GError    **error);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-users"

#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "sipcast-users.h"
#include "sipcast-error.h"

/*
 * The production-mode account store.  The file is the only source of
 * truth: `sipcastctl user passwd` rewrites it while the daemon runs, so
 * every check first looks whether it changed on disk.  Hashes are crypt(3)
 * strings (libxcrypt picks its best method, yescrypt on Debian 12), so the
 * file can also be maintained with standard tools such as mkpasswd.
 *
 * One crypt(3) costs tens of milliseconds on purpose, which the main loop
 * (SIP and REST alike) must not pay per request: credentials that passed
 * are remembered (as an HMAC under a per-process key, never the password
 * itself) until the file changes or CACHE_TTL_S passes, and the hashing
 * itself runs in a GTask thread (sipcast_users_check_async()).  A name
 * that is not in the file is hashed against a stored hash of the file (the
 * same method and cost, so a wrong name costs what a wrong password does).
 */

/* How long verified credentials are taken without hashing again, and how
 * many are remembered (all are forgotten when full: a client that sends a
 * new password each time gets no cheaper for it). */
#define CACHE_TTL_S 300
#define CACHE_MAX 256

#define DEFAULT_USER "admin"
/* What versions before issue 19 created: refused at start. */
#define OLD_DEFAULT_PASSWORD "admin"
/* Of the generated first password: 20 of 62 characters, 119 bits. */
#define GENERATED_PASSWORD_LENGTH 20
#define MAX_NAME_LENGTH 64

#define FILE_HEADER \
  "# sipcast REST accounts for production mode: one name:crypt-hash per line.\n" \
  "# Change a password with: sipcastctl user passwd NAME\n"

struct _SipcastUsers {
  GObject parent_instance;

  char *path;
  GHashTable *hashes;   /* name → crypt hash, as last read from path */
  GStatBuf loaded_stat; /* of path when hashes was read; tells a rewrite */
  gboolean loaded;      /* FALSE while the file is missing or unreadable */

  /* A real hash of a random password, crypted against for unknown names
   * when the file has no account to stand in (see stand_in_hash()). */
  char *dummy_hash;

  /* Verified credentials: HMAC (cache_key, name NUL password) → expiry
   * (monotonic seconds).  Emptied whenever the file is read again. */
  GHashTable *cache;
  guint8 cache_key[32];
};

G_DEFINE_FINAL_TYPE (SipcastUsers, sipcast_users, G_TYPE_OBJECT)

static gboolean
name_is_valid (const char *name)
{
  gsize length;

  if (name == NULL)
    return FALSE;

  length = strlen (name);
  if (length == 0 || length > MAX_NAME_LENGTH)
    return FALSE;

  for (gsize i = 0; i < length; i++) {
    char c = name[i];

    if (!g_ascii_isalnum (c) && c != '.' && c != '_' && c != '-')
      return FALSE;
  }
  return TRUE;
}

/* Hashes @password with @setting (a full stored hash works: crypt only
 * reads its method, cost and salt).  NULL when crypt refuses the setting. */
static char *
crypt_with_setting (const char *password,
                    const char *setting)
{
  void *data = NULL;
  int size = 0;
  const char *hash;
  char *result = NULL;

  errno = 0;
  hash = crypt_ra (password, setting, &data, &size);
  /* libxcrypt may return a "*0"/"*1" failure token instead of NULL. */
  if (hash != NULL && hash[0] != '*')
    result = g_strdup (hash);

  if (data != NULL) {
    /* The scratch area holds material derived from the password. */
    explicit_bzero (data, (size_t) size);
    free (data);
  }
  return result;
}

/* Compares the full length of both strings whatever they contain, so the
 * time taken says nothing about how much of a hash matched. */
static gboolean
equal_constant_time (const char *a,
                     const char *b)
{
  gsize len_a = strlen (a);
  gsize len_b = strlen (b);
  gsize len = MAX (len_a, len_b);
  guchar diff = len_a != len_b;

  for (gsize i = 0; i < len; i++) {
    guchar ca = i < len_a ? (guchar) a[i] : 0;
    guchar cb = i < len_b ? (guchar) b[i] : 0;

    diff |= ca ^ cb;
  }
  return diff == 0;
}

static gboolean
stat_changed (const GStatBuf *a,
              const GStatBuf *b)
{
  /* An atomic rewrite (rename) gives a new inode even within the same
   * mtime tick. */
  return a->st_ino != b->st_ino ||
         a->st_dev != b->st_dev ||
         a->st_size != b->st_size ||
         a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
         a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

/* name → hash for every well-formed line; malformed lines are reported
 * and skipped so one typo does not lock every account out. */
GHashTable *
sipcast_users_parse (const char *path,
                     const char *contents)
{
  g_autoptr (GHashTable) hashes = NULL;
  g_auto (GStrv) lines = NULL;

  hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++) {
    char *line = g_strstrip (lines[i]);
    char *colon;

    if (*line == '\0' || *line == '#')
      continue;

    colon = strchr (line, ':');
    if (colon == NULL || colon[1] == '\0') {
      g_warning (_("%s:%u: expected name:hash, line ignored"), path, i + 1);
      continue;
    }
    *colon = '\0';

    if (!name_is_valid (line)) {
      g_warning (_("%s:%u: invalid user name, line ignored"), path, i + 1);
      continue;
    }
    if (g_hash_table_contains (hashes, line)) {
      g_warning (_("%s:%u: user %s listed again, line ignored"), path, i + 1, line);
      continue;
    }

    g_hash_table_insert (hashes, g_strdup (line), g_strdup (colon + 1));
  }

  return g_steal_pointer (&hashes);
}

static char *
read_file (const char *path,
           GStatBuf   *out_stat,
           GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  char *contents = NULL;

  /* stat first: if the file changes between the two calls the next check
   * sees a different stat and reads it again. */
  if (g_stat (path, out_stat) != 0) {
    int saved_errno = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                 _("Cannot read users file %s: %s"), path, g_strerror (saved_errno));
    return NULL;
  }

  if (!g_file_get_contents (path, &contents, NULL, &local_error)) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }
  return contents;
}

static gboolean
write_file (const char *path,
            const char *contents,
            GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int saved_errno = errno;

    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("Cannot create directory %s: %s"), dir, g_strerror (saved_errno));
    return FALSE;
  }

  return g_file_set_contents_full (path, contents, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/* A password from the kernel's CSPRNG, letters and digits only so that it
 * survives copying from a log into a shell or a URL. */
static char *
generate_password (void)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  char *password = g_malloc (GENERATED_PASSWORD_LENGTH + 1);
  guint i = 0;

  while (i < GENERATED_PASSWORD_LENGTH) {
    guint8 bytes[32];
    ssize_t n = getrandom (bytes, sizeof bytes, 0);

    if (n < 0 && errno != EINTR)
      g_error ("getrandom: %s", g_strerror (errno));
    /* Rejection sampling: 248 = 4 × 62, so every character is as likely. */
    for (ssize_t j = 0; j < n && i < GENERATED_PASSWORD_LENGTH; j++) {
      if (bytes[j] < 248)
        password[i++] = alphabet[bytes[j] % 62];
    }
    explicit_bzero (bytes, sizeof bytes);
  }
  password[i] = '\0';
  return password;
}

/* A new users file with the one account admin and a random password,
 * which is logged (this once: only its hash is kept) and returned in
 * @created_password when not NULL. */
static gboolean
create_default_file (const char  *path,
                     char       **created_password,
                     GError     **error)
{
  g_autofree char *password = generate_password ();
  g_autofree char *hash = NULL;
  g_autofree char *contents = NULL;

  hash = sipcast_password_hash (password, error);
  if (hash == NULL)
    return FALSE;

  contents = g_strdup_printf (FILE_HEADER "%s:%s\n", DEFAULT_USER, hash);
  if (!write_file (path, contents, error))
    return FALSE;

  g_message (_("Created users file %s with the account %s, password %s "
               "(shown only this once; change it with “sipcastctl user passwd %s”)"),
             path, DEFAULT_USER, password, DEFAULT_USER);
  if (created_password != NULL)
    *created_password = g_strdup (password);
  explicit_bzero (password, strlen (password));
  return TRUE;
}

/* Re-reads the file if it changed since the last read.  While it cannot
 * be read nobody is let in: falling back to stale or default accounts
 * after an operator removed the file would be a surprise. */
static void
reload_if_changed (SipcastUsers *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  GStatBuf st;

  if (g_stat (self->path, &st) == 0 && self->loaded &&
      !stat_changed (&st, &self->loaded_stat))
    return;

  contents = read_file (self->path, &st, &error);
  if (contents == NULL) {
    if (self->loaded)
      g_warning (_("%s; refusing every login until it is readable"), error->message);
    g_hash_table_remove_all (self->hashes);
    g_hash_table_remove_all (self->cache);
    self->loaded = FALSE;
    return;
  }

  g_debug ("Reading users file %s", self->path);
  g_hash_table_remove_all (self->cache);
  g_clear_pointer (&self->hashes, g_hash_table_unref);
  self->hashes = sipcast_users_parse (self->path, contents);
  self->loaded_stat = st;
  self->loaded = TRUE;
}

static void
sipcast_users_finalize (GObject *object)
{
  SipcastUsers *self = SIPCAST_USERS (object);

  g_free (self->path);
  g_clear_pointer (&self->hashes, g_hash_table_unref);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  explicit_bzero (self->cache_key, sizeof self->cache_key);
  g_free (self->dummy_hash);

  G_OBJECT_CLASS (sipcast_users_parent_class)->finalize (object);
}

static void
sipcast_users_class_init (SipcastUsersClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = sipcast_users_finalize;
}

static void
sipcast_users_init (SipcastUsers *self)
{
  self->hashes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (getrandom (self->cache_key, sizeof self->cache_key, 0) != sizeof self->cache_key)
    g_error ("getrandom: %s", g_strerror (errno));
}

SipcastUsers *
sipcast_users_new (const char  *path,
                   char       **created_password,
                   GError     **error)
{
  g_autoptr (SipcastUsers) self = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *random_password = NULL;
  GStatBuf st;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (SIPCAST_TYPE_USERS, NULL);
  self->path = g_strdup (path);

  random_password = g_uuid_string_random ();
  self->dummy_hash = sipcast_password_hash (random_password, error);
  if (self->dummy_hash == NULL)
    return NULL;

  contents = read_file (path, &st, &local_error);
  if (contents == NULL &&
      g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_clear_error (&local_error);
    if (!create_default_file (path, created_password, error))
      return NULL;
    contents = read_file (path, &st, &local_error);
  }
  if (contents == NULL) {
    g_propagate_error (error, g_steal_pointer (&local_error));
    return NULL;
  }

  g_clear_pointer (&self->hashes, g_hash_table_unref);
  self->hashes = sipcast_users_parse (path, contents);
  self->loaded_stat = st;
  self->loaded = TRUE;

  if (g_hash_table_size (self->hashes) == 0)
    g_warning (_("Users file %s has no accounts: every REST request will be refused"), path);

  /* A file made by an older sipcast still opens with admin/admin. */
  {
    const char *stored = g_hash_table_lookup (self->hashes, DEFAULT_USER);
    g_autofree char *computed = stored != NULL ?
                                crypt_with_setting (OLD_DEFAULT_PASSWORD, stored) : NULL;

    if (computed != NULL && equal_constant_time (computed, stored)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                   _("Users file %s: the account %s still has the password “%s”; "
                     "set another one with “sipcastctl user passwd %s”"),
                   path, DEFAULT_USER, OLD_DEFAULT_PASSWORD, DEFAULT_USER);
      return NULL;
    }
  }

  return g_steal_pointer (&self);
}

/* The hash an unknown name is checked against: one of the file's own
 * (its method and cost, so the time taken does not tell that the name is
 * unknown), or the dummy when the file has none. */
static const char *
stand_in_hash (SipcastUsers *self)
{
  GHashTableIter iter;
  gpointer hash;

  g_hash_table_iter_init (&iter, self->hashes);
  if (g_hash_table_iter_next (&iter, NULL, &hash))
    return hash;
  return self->dummy_hash;
}

static char *
cache_key (SipcastUsers *self,
           const char   *name,
           const char   *password)
{
  g_autoptr (GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, self->cache_key,
                                       sizeof self->cache_key);

  g_hmac_update (hmac, (const guchar *) name, (gssize) strlen (name) + 1);
  g_hmac_update (hmac, (const guchar *) password, -1);
  return g_strdup (g_hmac_get_string (hmac));
}

gboolean
sipcast_users_check_cached (SipcastUsers *self,
                            const char   *name,
                            const char   *password)
{
  g_autofree char *key = NULL;
  gint64 *expiry;

  g_return_val_if_fail (SIPCAST_IS_USERS (self), FALSE);

  reload_if_changed (self);
  if (!name_is_valid (name) || password == NULL)
    return FALSE;
  key = cache_key (self, name, password);
  expiry = g_hash_table_lookup (self->cache, key);
  if (expiry == NULL)
    return FALSE;
  if (*expiry < g_get_monotonic_time () / G_USEC_PER_SEC) {
    g_hash_table_remove (self->cache, key);
    return FALSE;
  }
  return TRUE;
}

/* Remembers that @name/@password passed against @stored, if @stored is
 * still @name's hash (the file may have changed while it was hashed). */
static void
remember (SipcastUsers *self,
          const char   *name,
          const char   *password,
          const char   *stored)
{
  gint64 *expiry;

  reload_if_changed (self);
  if (g_strcmp0 (g_hash_table_lookup (self->hashes, name), stored) != 0)
    return;
  if (g_hash_table_size (self->cache) >= CACHE_MAX)
    g_hash_table_remove_all (self->cache);
  expiry = g_new (gint64, 1);
  *expiry = g_get_monotonic_time () / G_USEC_PER_SEC + CACHE_TTL_S;
  g_hash_table_insert (self->cache, cache_key (self, name, password), expiry);
}

/* What a check needs, copied so that a thread can work on it. */
typedef struct {
  char *name;
  char *password;
  char *setting;   /* the stored hash, or the stand-in */
  gboolean known;  /* setting is name's own */
} Check;

static void
check_free (gpointer data)
{
  Check *check = data;

  g_free (check->name);
  if (check->password != NULL)
    explicit_bzero (check->password, strlen (check->password));
  g_free (check->password);
  g_free (check->setting);
  g_free (check);
}

static Check *
check_new (SipcastUsers *self,
           const char   *name,
           const char   *password)
{
  Check *check = g_new0 (Check, 1);
  const char *stored = NULL;

  if (name_is_valid (name))
    stored = g_hash_table_lookup (self->hashes, name);
  check->name = g_strdup (name);
  check->password = g_strdup (password != NULL ? password : "");
  check->known = stored != NULL;
  check->setting = g_strdup (stored != NULL ? stored : stand_in_hash (self));
  return check;
}

/* The expensive part, done for unknown names too.  Any thread. */
static gboolean
check_run (const Check *check)
{
  g_autofree char *computed = crypt_with_setting (check->password, check->setting);
  gboolean equal = computed != NULL && equal_constant_time (computed, check->setting);

  return check->known && equal;
}

gboolean
sipcast_users_check (SipcastUsers *self,
                     const char   *name,
                     const char   *password)
{
  Check *check;
  gboolean valid;

  g_return_val_if_fail (SIPCAST_IS_USERS (self), FALSE);

  if (sipcast_users_check_cached (self, name, password))
    return TRUE;
  check = check_new (self, name, password);
  valid = check_run (check);
  if (valid)
    remember (self, check->name, check->password, check->setting);
  check_free (check);
  return valid;
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  g_task_return_boolean (task, check_run (task_data));
}

static void
check_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  SipcastUsers *self = SIPCAST_USERS (source);
  g_autoptr (GTask) outer = user_data;
  const Check *check = g_task_get_task_data (G_TASK (result));
  gboolean valid = g_task_propagate_boolean (G_TASK (result), NULL);

  if (valid)
    remember (self, check->name, check->password, check->setting);
  g_task_return_boolean (outer, valid);
}

void
sipcast_users_check_async (SipcastUsers        *self,
                           const char          *name,
                           const char          *password,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr (GTask) outer = NULL;
  g_autoptr (GTask) inner = NULL;

  g_return_if_fail (SIPCAST_IS_USERS (self));

  outer = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (outer, sipcast_users_check_async);
  if (sipcast_users_check_cached (self, name, password)) {
    g_task_return_boolean (outer, TRUE);
    return;
  }
  /* The inner task's thread only sees its copies; the cache is updated
   * back on this context, in check_done(). */
  inner = g_task_new (self, NULL, check_done, g_steal_pointer (&outer));
  g_task_set_task_data (inner, check_new (self, name, password), check_free);
  g_task_run_in_thread (inner, check_thread);
}

gboolean
sipcast_users_check_finish (SipcastUsers  *self,
                            GAsyncResult  *result)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), NULL);
}

gboolean
sipcast_users_set_password (const char *path,
                            const char *name,
                            const char *password,
                            GError    **error)
{
  g_autoptr (GString) out = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *hash = NULL;
  g_auto (GStrv) lines = NULL;
  gboolean replaced = FALSE;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!name_is_valid (name)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("Invalid user name “%s”: use 1 to %d letters, digits, “.”, “_” or “-”"),
                 name != NULL ? name : "", MAX_NAME_LENGTH);
    return FALSE;
  }
  if (password == NULL || *password == '\0') {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                         _("The password must not be empty"));
    return FALSE;
  }

  hash = sipcast_password_hash (password, error);
  if (hash == NULL)
    return FALSE;

  if (!g_file_get_contents (path, &contents, NULL, &local_error)) {
    if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
    contents = g_strdup (FILE_HEADER);
  }

  /* Keep every other line (comments, other users) as it was. */
  out = g_string_new (NULL);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = lines[i];
    gsize name_len = strlen (name);
    const char *start = line;

    /* The trailing "" after the last newline is not a line. */
    if (lines[i + 1] == NULL && *line == '\0')
      break;

    while (g_ascii_isspace (*start))
      start++;
    if (strncmp (start, name, name_len) == 0 && start[name_len] == ':') {
      /* A duplicate entry for the name would be ignored when read, but
       * drop it so the file says one thing. */
      if (!replaced)
        g_string_append_printf (out, "%s:%s\n", name, hash);
      replaced = TRUE;
      continue;
    }

    g_string_append_printf (out, "%s\n", line);
  }
  if (!replaced)
    g_string_append_printf (out, "%s:%s\n", name, hash);

  return write_file (path, out->str, error);
}

char *
sipcast_password_hash (const char *password,
                       GError    **error)
{
  char *setting;
  char *hash;

  g_return_val_if_fail (password != NULL, NULL);

  /* NULL prefix and count 0: the library's preferred method and cost,
   * with a salt from the kernel's random source. */
  errno = 0;
  setting = crypt_gensalt_ra (NULL, 0, NULL, 0);
  if (setting == NULL) {
    int saved_errno = errno;

    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INTERNAL,
                 _("Cannot generate a password salt: %s"), g_strerror (saved_errno));
    return NULL;
  }

  hash = crypt_with_setting (password, setting);
  free (setting);

  if (hash == NULL) {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_INTERNAL,
                         _("Cannot hash the password"));
    return NULL;
  }
  return hash;
}

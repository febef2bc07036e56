/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-users"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "sipcast-error.h"
#include "sipcast-users.h"

/*
 * The production-mode account store as an operator meets it: the file that
 * appears on first start, logins with right and wrong credentials, and
 * password changes made by `sipcastctl user passwd` while the daemon runs.
 */

typedef struct {
  char *dir;
  char *path;  /* inside a subdirectory that does not exist yet */
  char *password;  /* admin's, as generated when the file was made */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("sipcast-users-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "conf", "sipcast", "users", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *conf = g_build_filename (fixture->dir, "conf", NULL);
  g_autofree char *sub = g_build_filename (conf, "sipcast", NULL);

  g_unlink (fixture->path);
  g_rmdir (sub);
  g_rmdir (conf);
  g_rmdir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
  g_free (fixture->password);
}

static void
test_created_with_default_account (Fixture       *fixture,
                                   gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  GStatBuf st;

  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);
  g_assert_nonnull (users);

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  /* A random password, not admin; stored hashed, never as it was. */
  g_assert_nonnull (fixture->password);
  g_assert_cmpuint (strlen (fixture->password), ==, 20);
  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "admin:$"));
  g_assert_null (strstr (contents, fixture->password));

  g_assert_true (sipcast_users_check (users, "admin", fixture->password));
  g_assert_false (sipcast_users_check (users, "admin", "admin"));
}

/* Each new file gets a password of its own; a file that exists is used as
 * it is (no password made or told). */
static void
test_created_password_is_new_each_time (Fixture       *fixture,
                                        gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) first = NULL;
  g_autoptr (SipcastUsers) again = NULL;
  g_autoptr (SipcastUsers) recreated = NULL;
  g_autofree char *none = NULL;
  g_autofree char *second = NULL;
  g_autoptr (GError) error = NULL;

  first = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);
  again = sipcast_users_new (fixture->path, &none, &error);
  g_assert_no_error (error);
  g_assert_null (none);
  g_assert_true (sipcast_users_check (again, "admin", fixture->password));

  /* Deleted (a running daemon then lets nobody in, with a warning). */
  g_assert_cmpint (g_unlink (fixture->path), ==, 0);

  /* The next start makes a new file, with another random password. */
  recreated = sipcast_users_new (fixture->path, &second, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpstr (second, !=, fixture->password);
  g_assert_true (sipcast_users_check (recreated, "admin", second));
  g_assert_false (sipcast_users_check (recreated, "admin", "admin"));
}

/* A users file from an older sipcast, still with admin/admin: no start. */
static void
test_old_default_refused (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (sipcast_users_set_password (fixture->path, "admin", "admin", &error));
  g_assert_no_error (error);
  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_null (users);
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "sipcastctl user passwd admin"));
}

static void
test_check_wrong_password (Fixture       *fixture,
                           gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);

  g_assert_false (sipcast_users_check (users, "admin", "Admin"));
  g_assert_false (sipcast_users_check (users, "admin", "admin "));
  g_assert_false (sipcast_users_check (users, "admin", ""));
  g_assert_false (sipcast_users_check (users, "admin", NULL));
}

static void
test_check_unknown_user (Fixture       *fixture,
                         gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);

  g_assert_false (sipcast_users_check (users, "root", "admin"));
  g_assert_false (sipcast_users_check (users, "ADMIN", "admin"));
  g_assert_false (sipcast_users_check (users, "", "admin"));
  g_assert_false (sipcast_users_check (users, NULL, "admin"));
  g_assert_false (sipcast_users_check (users, "admin:admin", "admin"));
}

static void
test_set_password_then_check (Fixture       *fixture,
                              gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);
  g_assert_true (sipcast_users_check (users, "admin", fixture->password));

  /* What `sipcastctl user passwd admin` does while the daemon runs. */
  g_assert_true (sipcast_users_set_password (fixture->path, "admin", "s3cret:with colon", &error));
  g_assert_no_error (error);

  g_assert_false (sipcast_users_check (users, "admin", fixture->password));
  g_assert_true (sipcast_users_check (users, "admin", "s3cret:with colon"));

  g_assert_cmpint (g_stat (fixture->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
}

static void
test_set_password_keeps_other_users (Fixture       *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);

  g_assert_true (sipcast_users_set_password (fixture->path, "op.one", "pw1", &error));
  g_assert_no_error (error);
  g_assert_true (sipcast_users_set_password (fixture->path, "op-two_2", "pw2", &error));
  g_assert_no_error (error);
  g_assert_true (sipcast_users_set_password (fixture->path, "op.one", "pw1b", &error));
  g_assert_no_error (error);

  g_assert_true (sipcast_users_check (users, "admin", fixture->password));
  g_assert_false (sipcast_users_check (users, "op.one", "pw1"));
  g_assert_true (sipcast_users_check (users, "op.one", "pw1b"));
  g_assert_true (sipcast_users_check (users, "op-two_2", "pw2"));

  /* One line per user, comments kept. */
  g_assert_true (g_file_get_contents (fixture->path, &contents, NULL, &error));
  g_assert_nonnull (strstr (contents, "# "));
  g_assert_nonnull (strstr (contents, "op.one:"));
  g_assert_null (strstr (strstr (contents, "op.one:") + 1, "op.one:"));
}

static void
test_set_password_rejects_bad_input (Fixture       *fixture,
                                     gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  const char *bad_names[] = { "", "with space", "colon:name", "new\nline", "é",
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };

  for (guint i = 0; i < G_N_ELEMENTS (bad_names); i++) {
    g_assert_false (sipcast_users_set_password (fixture->path, bad_names[i], "pw", &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
  }

  g_assert_false (sipcast_users_set_password (fixture->path, "admin", "", &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* A 64-character name is still fine. */
  g_assert_true (sipcast_users_set_password (fixture->path,
                                             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                             "pw", &error));
  g_assert_no_error (error);
}

static void
test_reload_on_external_change (Fixture       *fixture,
                                gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *contents = NULL;

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);
  g_assert_true (sipcast_users_check (users, "admin", fixture->password));

  /* An operator replaces the file by hand (e.g. with mkpasswd output). */
  hash = sipcast_password_hash ("letmein", &error);
  g_assert_no_error (error);
  contents = g_strdup_printf ("# edited\n\nbob:%s\n", hash);
  g_assert_true (g_file_set_contents (fixture->path, contents, -1, &error));
  g_assert_no_error (error);

  g_assert_false (sipcast_users_check (users, "admin", fixture->password));
  g_assert_true (sipcast_users_check (users, "bob", "letmein"));
}

static void
test_reads_existing_file (Fixture       *fixture,
                          gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *dir = g_path_get_dirname (fixture->path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  hash = sipcast_password_hash ("pw", &error);
  g_assert_no_error (error);
  /* CRLF line ends and indentation as an editor might leave them. */
  contents = g_strdup_printf ("# accounts\r\n  carol:%s\r\n", hash);
  g_assert_true (g_file_set_contents (fixture->path, contents, -1, &error));

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);

  /* An existing file is used as it is: no admin/admin added. */
  g_assert_false (sipcast_users_check (users, "admin", fixture->password));
  g_assert_true (sipcast_users_check (users, "carol", "pw"));
}

/* Writes a users file with bob's password "pw" hashed with SHA-512 at
 * its lowest cost (mkpasswd -m sha-512 -R 1000): much cheaper than the
 * library's default method. */
static void
write_cheap_file (Fixture *fixture)
{
  g_autofree char *dir = g_path_get_dirname (fixture->path);
  g_autofree char *contents = NULL;
  char *setting = crypt_gensalt_ra ("$6$", 1000, NULL, 0);
  struct crypt_data data = { 0 };

  g_assert_nonnull (setting);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  contents = g_strdup_printf ("bob:%s\n", crypt_r ("pw", setting, &data));
  free (setting);
  g_assert_true (g_file_set_contents (fixture->path, contents, -1, NULL));
}

static gint64
median_check_time (SipcastUsers *users,
                   const char   *name,
                   const char   *password)
{
  gint64 times[9];

  for (guint i = 0; i < G_N_ELEMENTS (times); i++) {
    gint64 start = g_get_monotonic_time ();

    g_assert_false (sipcast_users_check (users, name, password));
    times[i] = g_get_monotonic_time () - start;
  }
  for (guint i = 0; i < G_N_ELEMENTS (times); i++) {
    for (guint j = i + 1; j < G_N_ELEMENTS (times); j++) {
      if (times[j] < times[i]) {
        gint64 t = times[i];

        times[i] = times[j];
        times[j] = t;
      }
    }
  }
  return times[G_N_ELEMENTS (times) / 2];
}

/* An unknown name is hashed like a known one: with the file's method and
 * cost, so it takes as long as a wrong password (it took 15 times as long
 * when every unknown name was hashed with the default method). */
static void
test_unknown_user_costs_the_same (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;
  gint64 wrong_password;
  gint64 unknown_user;

  write_cheap_file (fixture);
  users = sipcast_users_new (fixture->path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (sipcast_users_check (users, "bob", "pw"));

  wrong_password = median_check_time (users, "bob", "wrong");
  unknown_user = median_check_time (users, "mallory", "wrong");
  g_test_message ("wrong password %" G_GINT64_FORMAT " us, unknown user %" G_GINT64_FORMAT " us",
                  wrong_password, unknown_user);
  g_assert_cmpint (unknown_user, <, 3 * wrong_password + 500);
  g_assert_cmpint (wrong_password, <, 3 * unknown_user + 500);
}

/* Credentials that passed are taken without hashing until the file
 * changes; wrong ones are never remembered. */
static void
test_verified_credentials_cached (Fixture       *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);
  g_assert_false (sipcast_users_check_cached (users, "admin", fixture->password));
  g_assert_false (sipcast_users_check (users, "admin", "wrong"));
  g_assert_false (sipcast_users_check_cached (users, "admin", "wrong"));
  g_assert_true (sipcast_users_check (users, "admin", fixture->password));
  g_assert_true (sipcast_users_check_cached (users, "admin", fixture->password));
  g_assert_false (sipcast_users_check_cached (users, "admin", "wrong"));

  /* `sipcastctl user passwd admin`: the old password is forgotten. */
  g_assert_true (sipcast_users_set_password (fixture->path, "admin", "new one", &error));
  g_assert_no_error (error);
  g_assert_false (sipcast_users_check_cached (users, "admin", fixture->password));
  g_assert_false (sipcast_users_check (users, "admin", fixture->password));
  g_assert_true (sipcast_users_check (users, "admin", "new one"));
}

static void
async_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  int *answer = user_data;

  *answer = sipcast_users_check_finish (SIPCAST_USERS (source), result);
}

static int
check_async (SipcastUsers *users,
             const char   *name,
             const char   *password)
{
  int answer = -1;

  sipcast_users_check_async (users, name, password, async_done, &answer);
  /* Never in the call itself: the caller's state is still being set up. */
  g_assert_cmpint (answer, ==, -1);
  while (answer == -1)
    g_main_context_iteration (NULL, TRUE);
  return answer;
}

/* The hashing in a thread; the answer, and the cache, back here. */
static void
test_check_async (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autoptr (SipcastUsers) users = NULL;
  g_autoptr (GError) error = NULL;

  users = sipcast_users_new (fixture->path, &fixture->password, &error);
  g_assert_no_error (error);
  g_assert_cmpint (check_async (users, "admin", "wrong"), ==, FALSE);
  g_assert_cmpint (check_async (users, "nobody", fixture->password), ==, FALSE);
  g_assert_cmpint (check_async (users, "admin", fixture->password), ==, TRUE);
  g_assert_true (sipcast_users_check_cached (users, "admin", fixture->password));
  g_assert_cmpint (check_async (users, "admin", fixture->password), ==, TRUE);
}

static void
test_hash_is_salted (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  a = sipcast_password_hash ("same password", &error);
  g_assert_no_error (error);
  b = sipcast_password_hash ("same password", &error);
  g_assert_no_error (error);

  /* A crypt(3) string with method and salt, and a different salt each time. */
  g_assert_true (g_str_has_prefix (a, "$"));
  g_assert_null (strstr (a, "same password"));
  g_assert_cmpstr (a, !=, b);
}

/* What the users-file fuzzer holds the parser to: only well-formed
 * lines become accounts, the first of a repeated name wins. */
static void
test_parse (void)
{
  g_autoptr (GHashTable) users = NULL;
  GLogLevelFlags fatal;

  /* Each skipped line is warned about, which G_DEBUG=fatal-warnings would
   * make fatal (and g_test_expect_message() does not see structured
   * messages). */
  fatal = g_log_set_always_fatal (G_LOG_FATAL_MASK);
  users = sipcast_users_parse ("users",
                               "# comment\n"
                               "  carol.x_y-z:$6$salt$hash  \n"
                               "nohash:\n"
                               "bad name:x\n"
                               "carol.x_y-z:again\n"
                               "\n");
  g_log_set_always_fatal (fatal);
  g_assert_cmpuint (g_hash_table_size (users), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (users, "carol.x_y-z"), ==, "$6$salt$hash");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/users/created-with-random-password", test_created_with_default_account);
  ADD ("/users/created-password-is-new-each-time", test_created_password_is_new_each_time);
  ADD ("/users/old-default-refused", test_old_default_refused);
  ADD ("/users/check/wrong-password", test_check_wrong_password);
  ADD ("/users/check/unknown-user", test_check_unknown_user);
  ADD ("/users/set-password/then-check", test_set_password_then_check);
  ADD ("/users/set-password/keeps-other-users", test_set_password_keeps_other_users);
  ADD ("/users/set-password/rejects-bad-input", test_set_password_rejects_bad_input);
  ADD ("/users/reload-on-external-change", test_reload_on_external_change);
  ADD ("/users/reads-existing-file", test_reads_existing_file);
  ADD ("/users/unknown-user-costs-the-same", test_unknown_user_costs_the_same);
  ADD ("/users/verified-credentials-cached", test_verified_credentials_cached);
  ADD ("/users/check-async", test_check_async);
  g_test_add_func ("/users/hash-is-salted", test_hash_is_salted);
  g_test_add_func ("/users/parse", test_parse);

#undef ADD

  return g_test_run ();
}

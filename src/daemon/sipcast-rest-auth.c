/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include <string.h>

#include <glib/gi18n.h>

#include "sipcast-rest-auth.h"
#include "sipcast-error.h"
#include "sipcast-rest-reply.h"
#include "sipcast-throttle.h"

/*
 * Basic credentials of production mode, in two stages like the REST
 * server's handlers: an early check as soon as the headers are in (no
 * credentials, or a throttled client, is refused before the body is
 * uploaded; credentials that passed lately are accepted from the users'
 * cache), and a full check with the message paused while crypt(3) runs
 * in a thread.
 */

/* Set on a message once its credentials were accepted, so the handler
 * proper does not pay for a second crypt(3). */
#define AUTHORIZED_KEY "sipcast-authorized"
/* Failed logins a client address may make before each further one makes
 * it wait 1 s, 2 s, … up to the maximum (429 meanwhile). */
#define AUTH_FREE_FAILURES 5
#define AUTH_MAX_WAIT_S 30
/* Passwords of one client address being hashed at once; more get 429
 * (a burst would otherwise all be hashed before the first failure
 * counts, and keep the thread pool busy). */
#define AUTH_MAX_PENDING 2

struct _SipcastRestAuth {
  GObject parent_instance;

  SipcastUsers *users;            /* NULL: no authentication */
  SipcastThrottle *failures;      /* failed logins per client address */
  GHashTable *pending;            /* client address → passwords being hashed */
};

G_DEFINE_FINAL_TYPE (SipcastRestAuth, sipcast_rest_auth, G_TYPE_OBJECT)

/* The name and password of a Basic Authorization header, or FALSE. */
static gboolean
parse_credentials (SoupServerMessage  *msg,
                   char              **name_out,
                   char              **password_out)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *header = soup_message_headers_get_one (headers, "Authorization");
  g_autofree guchar *decoded = NULL;
  g_autofree char *credentials = NULL;
  gsize decoded_len = 0;
  char *colon;

  if (header == NULL || g_ascii_strncasecmp (header, "Basic ", 6) != 0)
    return FALSE;

  header += 6;
  while (*header == ' ')
    header++;

  decoded = g_base64_decode (header, &decoded_len);
  credentials = g_strndup ((const char *) decoded, decoded_len);
  explicit_bzero (decoded, decoded_len);

  /* RFC 7617: the user name cannot contain a colon, the password can. */
  colon = strchr (credentials, ':');
  if (colon != NULL) {
    *name_out = g_strndup (credentials, colon - credentials);
    *password_out = g_strdup (colon + 1);
  }
  explicit_bzero (credentials, strlen (credentials));
  return colon != NULL;
}

static void
clear_password (char *password)
{
  if (password != NULL)
    explicit_bzero (password, strlen (password));
  g_free (password);
}

static const char *
client_of (SoupServerMessage *msg)
{
  const char *host = soup_server_message_get_remote_host (msg);

  return host != NULL ? host : "unknown";
}

static void
respond_unauthorized (SoupServerMessage *msg)
{
  sipcast_rest_reply_new_error (msg, SIPCAST_ERROR_UNAUTHORIZED, _("Authentication required"));
}

/* FALSE after answering 429 when @msg's client failed too often lately:
 * its credentials are not even hashed meanwhile. */
static gboolean
check_not_throttled (SipcastRestAuth   *self,
                     SoupServerMessage *msg)
{
  guint wait = sipcast_throttle_wait (self->failures, client_of (msg),
                                      g_get_monotonic_time () / G_USEC_PER_SEC);
  g_autofree char *message = NULL;
  g_autofree char *retry = NULL;

  if (wait == 0 &&
      GPOINTER_TO_UINT (g_hash_table_lookup (self->pending, client_of (msg))) <
      AUTH_MAX_PENDING)
    return TRUE;
  if (wait == 0) {
    wait = 1;
    message = g_strdup_printf (_("Too many logins at once from %s: try again in %u s"),
                               client_of (msg), wait);
  } else {
    message = g_strdup_printf (_("Too many failed logins from %s: try again in %u s"),
                               client_of (msg), wait);
  }
  retry = g_strdup_printf ("%u", wait);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Retry-After", retry);
  sipcast_rest_reply_new_error (msg, SIPCAST_ERROR_TOO_MANY_REQUESTS, message);
  return FALSE;
}

typedef struct {
  SipcastRestAuth *self;      /* owned */
  GObject *owner;             /* owned */
  SoupServerMessage *msg;     /* owned; paused meanwhile */
  char *path;
  char *client;
  SipcastRestAuthorizedFunc next;
} PendingAuth;

static void
pending_auth_free (PendingAuth *pending)
{
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (pending->self->pending, pending->client));

  if (n <= 1)
    g_hash_table_remove (pending->self->pending, pending->client);
  else
    g_hash_table_insert (pending->self->pending, g_strdup (pending->client),
                         GUINT_TO_POINTER (n - 1));
  g_object_unref (pending->self);
  g_object_unref (pending->owner);
  g_object_unref (pending->msg);
  g_free (pending->path);
  g_free (pending->client);
  g_free (pending);
}

static void
auth_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  PendingAuth *pending = user_data;
  SipcastRestAuth *self = pending->self;
  gboolean valid = sipcast_users_check_finish (SIPCAST_USERS (source), result);

  /* Before @next runs: it may pause the message again to answer later
   * (a WHEP offer waits for its SDP answer). */
  soup_server_message_unpause (pending->msg);
  if (valid) {
    sipcast_throttle_success (self->failures, pending->client);
    g_object_set_data (G_OBJECT (pending->msg), AUTHORIZED_KEY, GINT_TO_POINTER (TRUE));
    pending->next (pending->owner, pending->msg, pending->path);
  } else {
    sipcast_throttle_failure (self->failures, pending->client,
                              g_get_monotonic_time () / G_USEC_PER_SEC);
    respond_unauthorized (pending->msg);
  }
  pending_auth_free (pending);
}

static void
sipcast_rest_auth_dispose (GObject *object)
{
  SipcastRestAuth *self = SIPCAST_REST_AUTH (object);

  g_clear_object (&self->users);

  G_OBJECT_CLASS (sipcast_rest_auth_parent_class)->dispose (object);
}

static void
sipcast_rest_auth_finalize (GObject *object)
{
  SipcastRestAuth *self = SIPCAST_REST_AUTH (object);

  sipcast_throttle_free (self->failures);
  g_hash_table_unref (self->pending);

  G_OBJECT_CLASS (sipcast_rest_auth_parent_class)->finalize (object);
}

static void
sipcast_rest_auth_class_init (SipcastRestAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_rest_auth_dispose;
  object_class->finalize = sipcast_rest_auth_finalize;
}

static void
sipcast_rest_auth_init (SipcastRestAuth *self)
{
  self->failures = sipcast_throttle_new (AUTH_FREE_FAILURES, AUTH_MAX_WAIT_S);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

SipcastRestAuth *
sipcast_rest_auth_new (SipcastUsers *users)
{
  SipcastRestAuth *self;

  g_return_val_if_fail (users == NULL || SIPCAST_IS_USERS (users), NULL);

  self = g_object_new (SIPCAST_TYPE_REST_AUTH, NULL);
  self->users = users != NULL ? g_object_ref (users) : NULL;
  return self;
}

gboolean
sipcast_rest_auth_is_enabled (SipcastRestAuth *self)
{
  g_return_val_if_fail (SIPCAST_IS_REST_AUTH (self), TRUE);
  return self->users != NULL;
}

gboolean
sipcast_rest_auth_check_early (SipcastRestAuth   *self,
                               SoupServerMessage *msg)
{
  g_autofree char *name = NULL;
  char *password = NULL;
  gboolean cached;

  g_return_val_if_fail (SIPCAST_IS_REST_AUTH (self), FALSE);

  if (self->users == NULL || g_object_get_data (G_OBJECT (msg), AUTHORIZED_KEY) != NULL)
    return TRUE;
  if (!parse_credentials (msg, &name, &password)) {
    respond_unauthorized (msg);
    return FALSE;
  }
  cached = sipcast_users_check_cached (self->users, name, password);
  clear_password (password);
  if (cached) {
    g_object_set_data (G_OBJECT (msg), AUTHORIZED_KEY, GINT_TO_POINTER (TRUE));
    return TRUE;
  }
  return check_not_throttled (self, msg);
}

/* A password is hashed in a thread (sipcast_users_check_async()) with the
 * message paused: tens of milliseconds per attempt on the main loop,
 * which also runs SIP, let a few clients sending garbage stall
 * everything.  Failures are counted per client address (SipcastThrottle):
 * after AUTH_FREE_FAILURES the client waits, and gets 429, before its
 * next attempt is looked at. */
void
sipcast_rest_auth_run_authorized (SipcastRestAuth           *self,
                                  SoupServerMessage         *msg,
                                  const char                *path,
                                  SipcastRestAuthorizedFunc  next,
                                  gpointer                   owner)
{
  g_autofree char *name = NULL;
  char *password = NULL;
  PendingAuth *pending;

  g_return_if_fail (SIPCAST_IS_REST_AUTH (self));
  g_return_if_fail (G_IS_OBJECT (owner));

  if (self->users == NULL || g_object_get_data (G_OBJECT (msg), AUTHORIZED_KEY) != NULL) {
    next (owner, msg, path);
    return;
  }
  if (!parse_credentials (msg, &name, &password)) {
    respond_unauthorized (msg);
    return;
  }
  if (!check_not_throttled (self, msg)) {
    clear_password (password);
    return;
  }

  pending = g_new0 (PendingAuth, 1);
  pending->self = g_object_ref (self);
  pending->owner = g_object_ref (owner);
  pending->msg = g_object_ref (msg);
  pending->path = g_strdup (path);
  pending->client = g_strdup (client_of (msg));
  pending->next = next;
  g_hash_table_insert (self->pending, g_strdup (pending->client),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (
                         self->pending, pending->client)) + 1));
  soup_server_message_pause (msg);
  sipcast_users_check_async (self->users, name, password, auth_done, pending);
  clear_password (password);
}

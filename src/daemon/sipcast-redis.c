/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-cluster"

#include "sipcast-redis.h"

#include <string.h>
#include <glib/gi18n.h>
#include <hiredis/async.h>

#include "sipcast-error.h"

/*
 * The main-loop adapter is our own, not hiredis's adapters/glib.h: that
 * one calls redisAsyncHandleRead() after redisAsyncHandleWrite() even
 * when the write found the connection gone and hiredis freed the context
 * (Redis killed while commands were queued), and it spins on a socket
 * that reports only an error.  Ours learns that the context is gone from
 * hiredis's cleanup hook, and passes errors to whichever handler hiredis
 * waits with.
 *
 * hiredis owns the redisAsyncContext and frees it itself after the
 * disconnect callback (also after a failed connect), so this object only
 * ever borrows it: @ac is cleared in that callback, and so is the GSource
 * the GLib adapter made for it.  Pending commands get a NULL reply from
 * hiredis when the connection goes; each carries a reference on the
 * object until then.  A reconnect timer runs whenever there is no
 * connection, never two.
 */

#define RECONNECT_FIRST_MS 250
#define RECONNECT_MAX_MS 4000

struct _SipcastRedis {
  GObject parent_instance;

  char *host;
  guint port;
  char *password;               /* AUTH first when set */
  char *database;               /* SELECT first when not "0" */

  redisAsyncContext *ac;        /* borrowed from hiredis; NULL while down */
  GSource *source;              /* the adapter's source for @ac */
  gboolean connected;           /* the connect callback said yes */
  guint reconnect_id;
  guint reconnect_ms;
  gboolean warned;              /* "Redis unavailable" logged for this outage */
  gboolean closed;              /* sipcast_redis_close(): no reconnecting */

  guint64 n_commands;
  guint n_disconnects;
};

G_DEFINE_FINAL_TYPE (SipcastRedis, sipcast_redis, G_TYPE_OBJECT)

enum {
  SIGNAL_CONNECTED,
  SIGNAL_DISCONNECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The GSource of one connection: its socket, what hiredis waits for. */
typedef struct {
  GSource source;
  redisAsyncContext *ac;        /* NULL once hiredis has freed it */
  GPollFD poll_fd;
} RedisSource;

static void
source_add_read (void *data)
{
  ((RedisSource *) data)->poll_fd.events |= G_IO_IN;
}

static void
source_del_read (void *data)
{
  ((RedisSource *) data)->poll_fd.events &= ~G_IO_IN;
}

static void
source_add_write (void *data)
{
  ((RedisSource *) data)->poll_fd.events |= G_IO_OUT;
}

static void
source_del_write (void *data)
{
  ((RedisSource *) data)->poll_fd.events &= ~G_IO_OUT;
}

/* hiredis is freeing the context. */
static void
source_cleanup (void *data)
{
  RedisSource *source = data;

  source->poll_fd.events = 0;
  source->ac = NULL;
}

static gboolean
source_prepare (GSource *source,
                gint    *timeout)
{
  *timeout = -1;
  return FALSE;
}

static gboolean
source_check (GSource *source)
{
  RedisSource *redis = (RedisSource *) source;

  return (redis->poll_fd.revents & (redis->poll_fd.events | G_IO_ERR | G_IO_HUP)) != 0;
}

static gboolean
source_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  RedisSource *redis = (RedisSource *) source;
  gushort revents = redis->poll_fd.revents;
  gboolean failed = (revents & (G_IO_ERR | G_IO_HUP)) != 0;

  /* Each step may end in hiredis freeing the context (source_cleanup). */
  if (redis->ac != NULL && (redis->poll_fd.events & G_IO_OUT) != 0 &&
      ((revents & G_IO_OUT) != 0 || failed))
    redisAsyncHandleWrite (redis->ac);
  if (redis->ac != NULL && (redis->poll_fd.events & G_IO_IN) != 0 &&
      ((revents & G_IO_IN) != 0 || failed))
    redisAsyncHandleRead (redis->ac);
  /* An error with nothing waited for: no handler would ever clear it. */
  if (redis->ac != NULL && failed && (redis->poll_fd.events & (G_IO_IN | G_IO_OUT)) == 0)
    redisAsyncHandleRead (redis->ac);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = {
  .prepare = source_prepare,
  .check = source_check,
  .dispatch = source_dispatch,
};

static GSource *
source_new (redisAsyncContext *ac)
{
  RedisSource *source = (RedisSource *) g_source_new (&source_funcs, sizeof (RedisSource));

  source->ac = ac;
  source->poll_fd.fd = ac->c.fd;
  g_source_add_poll ((GSource *) source, &source->poll_fd);
  ac->ev.addRead = source_add_read;
  ac->ev.delRead = source_del_read;
  ac->ev.addWrite = source_add_write;
  ac->ev.delWrite = source_del_write;
  ac->ev.cleanup = source_cleanup;
  ac->ev.data = source;
  return (GSource *) source;
}

typedef struct {
  SipcastRedis *redis;          /* owned */
  SipcastRedisFunc func;
  gpointer user_data;
} Pending;

static void start_connect (SipcastRedis *self);

static gboolean
reconnect_cb (gpointer user_data)
{
  SipcastRedis *self = user_data;

  self->reconnect_id = 0;
  start_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (SipcastRedis *self)
{
  if (self->reconnect_id != 0 || self->closed)
    return;
  self->reconnect_id = g_timeout_add (self->reconnect_ms, reconnect_cb, self);
  self->reconnect_ms = MIN (self->reconnect_ms * 2, RECONNECT_MAX_MS);
}

static void
drop_context (SipcastRedis *self)
{
  gboolean was_connected = self->connected;

  self->ac = NULL;
  self->connected = FALSE;
  if (self->source != NULL) {
    g_source_destroy (self->source);
    g_clear_pointer (&self->source, g_source_unref);
  }
  if (was_connected) {
    self->n_disconnects++;
    g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0);
  }
}

static void
lost (SipcastRedis *self,
      const char   *why)
{
  /* Once per outage: a Redis that stays away must not flood the log. */
  if (!self->warned) {
    g_warning (_("Redis at %s:%u unavailable (%s): this node goes on with its own calls "
                 "and catches up when it is back"), self->host, self->port, why);
    self->warned = TRUE;
  }
}

static void
connect_cb (const redisAsyncContext *ac,
            int                      status)
{
  SipcastRedis *self = ac->data;

  if (self == NULL)
    return;
  if (status != REDIS_OK) {
    lost (self, ac->errstr);
    /* hiredis frees the context after this returns. */
    drop_context (self);
    schedule_reconnect (self);
    return;
  }
  self->connected = TRUE;
  self->reconnect_ms = RECONNECT_FIRST_MS;
  if (self->warned)
    g_message (_("Redis at %s:%u is back"), self->host, self->port);
  else
    g_message (_("connected to Redis at %s:%u"), self->host, self->port);
  self->warned = FALSE;
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
}

static void
disconnect_cb (const redisAsyncContext *ac,
               int                      status)
{
  SipcastRedis *self = ac->data;

  if (self == NULL)
    return;
  lost (self, ac->errstr[0] != '\0' ? ac->errstr : "connection closed");
  drop_context (self);
  schedule_reconnect (self);
}

static void
start_connect (SipcastRedis *self)
{
  redisAsyncContext *ac;

  if (self->closed)
    return;
  ac = redisAsyncConnect (self->host, (int) self->port);

  if (ac == NULL || ac->err) {
    lost (self, ac != NULL ? ac->errstr : "out of memory");
    if (ac != NULL)
      redisAsyncFree (ac);
    schedule_reconnect (self);
    return;
  }
  ac->data = self;
  self->ac = ac;
  self->source = source_new (ac);
  g_source_attach (self->source, NULL);
  redisAsyncSetConnectCallback (ac, connect_cb);
  redisAsyncSetDisconnectCallback (ac, disconnect_cb);

  /* The first command is what makes hiredis wait for the connect to
   * finish; queued before anything else, so nothing runs unauthenticated
   * or in the wrong database. */
  if (self->password != NULL)
    sipcast_redis_command (self, (const char *const[]) { "AUTH", self->password, NULL },
                           NULL, NULL);
  if (g_strcmp0 (self->database, "0") != 0)
    sipcast_redis_command (self, (const char *const[]) { "SELECT", self->database, NULL },
                           NULL, NULL);
  if (self->password == NULL && g_strcmp0 (self->database, "0") == 0)
    sipcast_redis_command (self, (const char *const[]) { "PING", NULL }, NULL, NULL);
}

static void
reply_cb (redisAsyncContext *ac,
          void              *reply,
          void              *privdata)
{
  Pending *pending = privdata;
  redisReply *r = reply;

  if (r != NULL && r->type == REDIS_REPLY_ERROR)
    g_debug ("Redis: %s", r->str);
  if (pending->func != NULL)
    pending->func (pending->redis, r, pending->user_data);
  g_object_unref (pending->redis);
  g_free (pending);
}

void
sipcast_redis_close (SipcastRedis *self)
{
  g_return_if_fail (SIPCAST_IS_REDIS (self));

  self->closed = TRUE;
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  if (self->ac != NULL) {
    redisAsyncContext *ac = self->ac;

    /* The disconnect callback must not reconnect: it sees no owner. */
    ac->data = NULL;
    self->ac = NULL;
    self->connected = FALSE;
    redisAsyncFree (ac);
  }
  if (self->source != NULL) {
    g_source_destroy (self->source);
    g_clear_pointer (&self->source, g_source_unref);
  }
}

static void
sipcast_redis_dispose (GObject *object)
{
  sipcast_redis_close (SIPCAST_REDIS (object));
  G_OBJECT_CLASS (sipcast_redis_parent_class)->dispose (object);
}

static void
sipcast_redis_finalize (GObject *object)
{
  SipcastRedis *self = SIPCAST_REDIS (object);

  g_free (self->host);
  g_free (self->password);
  g_free (self->database);
  G_OBJECT_CLASS (sipcast_redis_parent_class)->finalize (object);
}

static void
sipcast_redis_class_init (SipcastRedisClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sipcast_redis_dispose;
  object_class->finalize = sipcast_redis_finalize;

  signals[SIGNAL_CONNECTED] = g_signal_new ("connected", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                            G_TYPE_NONE, 0);
  signals[SIGNAL_DISCONNECTED] = g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 0);
}

static void
sipcast_redis_init (SipcastRedis *self)
{
  self->reconnect_ms = RECONNECT_FIRST_MS;
}

SipcastRedis *
sipcast_redis_new (const char *url,
                   GError    **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local_error = NULL;
  SipcastRedis *self;
  const char *path;
  const char *password;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, &local_error);
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "redis") != 0 ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("[cluster] redis-url “%s” is not redis://[:PASSWORD@]HOST[:PORT][/DB]"), url);
    return NULL;
  }
  path = g_uri_get_path (uri);
  if (*path == '/')
    path++;
  if (*path != '\0' && strspn (path, "0123456789") != strlen (path)) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_CONFIG,
                 _("[cluster] redis-url “%s”: the database must be a number"), url);
    return NULL;
  }

  self = g_object_new (SIPCAST_TYPE_REDIS, NULL);
  self->host = g_strdup (g_uri_get_host (uri));
  self->port = g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 6379;
  password = g_uri_get_password (uri);
  self->password = password != NULL && *password != '\0' ? g_strdup (password) : NULL;
  self->database = g_strdup (*path != '\0' ? path : "0");
  start_connect (self);
  return self;
}

gboolean
sipcast_redis_is_connected (SipcastRedis *self)
{
  g_return_val_if_fail (SIPCAST_IS_REDIS (self), FALSE);
  return self->connected;
}

void
sipcast_redis_command (SipcastRedis      *self,
                       const char *const *argv,
                       SipcastRedisFunc   func,
                       gpointer           user_data)
{
  g_autofree size_t *lengths = NULL;
  Pending *pending;
  guint argc;

  g_return_if_fail (SIPCAST_IS_REDIS (self));
  g_return_if_fail (argv != NULL && argv[0] != NULL);

  self->n_commands++;
  if (self->ac == NULL) {
    if (func != NULL)
      func (self, NULL, user_data);
    return;
  }

  argc = g_strv_length ((char **) argv);
  lengths = g_new (size_t, argc);
  for (guint i = 0; i < argc; i++)
    lengths[i] = strlen (argv[i]);

  pending = g_new0 (Pending, 1);
  pending->redis = g_object_ref (self);
  pending->func = func;
  pending->user_data = user_data;
  if (redisAsyncCommandArgv (self->ac, reply_cb, pending, (int) argc, (const char **) argv,
                             lengths) != REDIS_OK) {
    g_object_unref (pending->redis);
    g_free (pending);
    if (func != NULL)
      func (self, NULL, user_data);
  }
}

guint64
sipcast_redis_get_n_commands (SipcastRedis *self)
{
  g_return_val_if_fail (SIPCAST_IS_REDIS (self), 0);
  return self->n_commands;
}

guint
sipcast_redis_get_n_disconnects (SipcastRedis *self)
{
  g_return_val_if_fail (SIPCAST_IS_REDIS (self), 0);
  return self->n_disconnects;
}

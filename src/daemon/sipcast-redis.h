/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One connection to Redis on the GLib main loop (hiredis's asynchronous
 * API through its GLib adapter): never blocks, reconnects by itself with
 * back-off (250 ms doubling up to 4 s) for as long as it lives, and tells
 * its owner when it is up ("connected") or lost ("disconnected").  A
 * command sent while it is down fails at once (callback with NULL): the
 * owner decides what to catch up when "connected" comes again.
 */

#include <glib-object.h>
#include <hiredis/hiredis.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_REDIS (sipcast_redis_get_type ())
G_DECLARE_FINAL_TYPE (SipcastRedis, sipcast_redis, SIPCAST, REDIS, GObject)

/* @reply: borrowed, NULL when the command could not be answered (the
 * connection is down or went down).  A reply of type REDIS_REPLY_ERROR
 * is passed as it is. */
typedef void (*SipcastRedisFunc) (SipcastRedis *redis,
                                  redisReply   *reply,
                                  gpointer      user_data);

/* Checks @url (redis://[:PASSWORD@]HOST[:PORT][/DB]; port 6379, db 0),
 * NULL with SIPCAST_ERROR_CONFIG when it is not one.  Connects at once. */
SipcastRedis *sipcast_redis_new (const char *url,
                                 GError    **error);

gboolean sipcast_redis_is_connected (SipcastRedis *self);

/* Sends the command @argv (NULL-terminated strings); @func runs once, on
 * the main loop, with the reply (or NULL).  @func may be NULL. */
void sipcast_redis_command (SipcastRedis     *self,
                            const char *const *argv,
                            SipcastRedisFunc  func,
                            gpointer          user_data);

/* Closes the connection for good: pending commands get their NULL reply
 * now, no reconnection follows. */
void sipcast_redis_close (SipcastRedis *self);

/* Commands sent since start (also those that failed), and how often the
 * connection was lost: for /metrics and the README's estimates. */
guint64 sipcast_redis_get_n_commands (SipcastRedis *self);
guint   sipcast_redis_get_n_disconnects (SipcastRedis *self);

G_END_DECLS

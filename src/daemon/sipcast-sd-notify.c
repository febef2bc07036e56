/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast"

#include "config.h"
#include "sipcast-sd-notify.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <gio/gunixsocketaddress.h>

/*
 * The protocol is one datagram per notification on an AF_UNIX socket,
 * newline-separated VAR=VALUE assignments, no answer.  The socket is
 * opened once and kept: a watchdog ping must not cost a socket each time.
 * Sending never blocks the main loop: the socket is non-blocking, and a
 * full socket buffer (a service manager that is not reading) drops that
 * one notification.
 */

struct _SipcastSdNotify {
  GObject parent_instance;

  GSocket *socket;            /* NULL: nobody listens */
  GSocketAddress *address;
  guint64 watchdog_interval;  /* µs between pings; 0: no watchdog */
  guint watchdog_id;
};

G_DEFINE_FINAL_TYPE (SipcastSdNotify, sipcast_sd_notify, G_TYPE_OBJECT)

static gboolean
watchdog_cb (gpointer user_data)
{
  sipcast_sd_notify_send (SIPCAST_SD_NOTIFY (user_data), "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/* The watchdog interval systemd asks for, or 0 (none, or not for us). */
static guint64
read_watchdog_usec (void)
{
  const char *usec = g_getenv ("WATCHDOG_USEC");
  const char *pid = g_getenv ("WATCHDOG_PID");
  guint64 value = 0;
  guint64 owner = 0;

  if (usec == NULL || *usec == '\0')
    return 0;
  if (!g_ascii_string_to_unsigned (usec, 10, 1, G_MAXUINT64, &value, NULL)) {
    g_warning (_("Ignoring WATCHDOG_USEC=%s: not a positive number"), usec);
    return 0;
  }
  if (pid != NULL && *pid != '\0' &&
      (!g_ascii_string_to_unsigned (pid, 10, 1, G_MAXUINT64, &owner, NULL) ||
       owner != (guint64) getpid ()))
    return 0;
  return value;
}

static void
sipcast_sd_notify_dispose (GObject *object)
{
  SipcastSdNotify *self = SIPCAST_SD_NOTIFY (object);

  g_clear_handle_id (&self->watchdog_id, g_source_remove);
  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
  g_clear_object (&self->address);

  G_OBJECT_CLASS (sipcast_sd_notify_parent_class)->dispose (object);
}

static void
sipcast_sd_notify_class_init (SipcastSdNotifyClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sipcast_sd_notify_dispose;
}

static void
sipcast_sd_notify_init (SipcastSdNotify *self)
{
}

SipcastSdNotify *
sipcast_sd_notify_new_from_environment (void)
{
  g_autoptr (SipcastSdNotify) self = g_object_new (SIPCAST_TYPE_SD_NOTIFY, NULL);
  g_autoptr (GError) error = NULL;
  const char *path = g_getenv ("NOTIFY_SOCKET");

  if (path == NULL || *path == '\0')
    return g_steal_pointer (&self);

  if (path[0] == '@') {
    /* Linux's abstract namespace: the name without the '@', not
     * NUL-terminated. */
    self->address = g_unix_socket_address_new_with_type (path + 1, -1,
                                                         G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  } else if (path[0] == '/') {
    self->address = g_unix_socket_address_new (path);
  } else {
    g_warning (_("Ignoring NOTIFY_SOCKET=%s: neither a path nor an abstract name"), path);
    return g_steal_pointer (&self);
  }

  self->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_DEFAULT, &error);
  if (self->socket == NULL) {
    g_warning (_("Cannot notify the service manager: %s"), error->message);
    g_clear_object (&self->address);
    return g_steal_pointer (&self);
  }
  g_socket_set_blocking (self->socket, FALSE);

  self->watchdog_interval = read_watchdog_usec () / 2;
  return g_steal_pointer (&self);
}

gboolean
sipcast_sd_notify_is_enabled (SipcastSdNotify *self)
{
  g_return_val_if_fail (SIPCAST_IS_SD_NOTIFY (self), FALSE);
  return self->socket != NULL;
}

gboolean
sipcast_sd_notify_send (SipcastSdNotify *self,
                        const char      *state)
{
  g_autoptr (GError) error = NULL;
  gssize sent;

  g_return_val_if_fail (SIPCAST_IS_SD_NOTIFY (self), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);

  if (self->socket == NULL)
    return TRUE;

  sent = g_socket_send_to (self->socket, self->address, state, strlen (state), NULL, &error);
  if (sent < 0) {
    g_warning (_("Cannot notify the service manager (%s): %s"), state, error->message);
    return FALSE;
  }
  g_debug ("notified the service manager: %s", state);
  return TRUE;
}

void
sipcast_sd_notify_start_watchdog (SipcastSdNotify *self)
{
  g_return_if_fail (SIPCAST_IS_SD_NOTIFY (self));

  if (self->socket == NULL || self->watchdog_interval == 0 || self->watchdog_id != 0)
    return;
  /* From the main loop on purpose: a loop that is stuck stops the pings
   * and systemd restarts the service. */
  self->watchdog_id = g_timeout_add (MAX (self->watchdog_interval / 1000, 1), watchdog_cb, self);
  g_message (_("Watchdog: pinging the service manager every %llu ms"),
             (unsigned long long) (self->watchdog_interval / 1000));
}

guint64
sipcast_sd_notify_get_watchdog_interval (SipcastSdNotify *self)
{
  g_return_val_if_fail (SIPCAST_IS_SD_NOTIFY (self), 0);
  return self->watchdog_interval;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-port-pool"

#include "sipcast-port-pool.h"
#include "sipcast-error.h"
#include "sipcast-fd-limit.h"

#include <glib/gi18n.h>

struct _SipcastPortPool {
  GObject parent_instance;

  GInetAddress *address;
  guint min_port;   /* even */
  guint max_port;   /* last usable RTCP port */
  guint next_port;  /* where the next search starts */
};

G_DEFINE_FINAL_TYPE (SipcastPortPool, sipcast_port_pool, G_TYPE_OBJECT)

static GSocket *
bind_udp (GInetAddress *address,
          guint         port,
          GError      **error)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) sockaddr = NULL;

  socket = g_socket_new (g_inet_address_get_family (address),
                         G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL)
    return NULL;
  sipcast_fd_limit_note (g_socket_get_fd (socket), "an RTP port");

  sockaddr = g_inet_socket_address_new (address, port);
  /* allow_reuse=FALSE: SO_REUSEADDR would let two calls share a port. */
  if (!g_socket_bind (socket, sockaddr, FALSE, error))
    return NULL;

  return g_steal_pointer (&socket);
}

static void
sipcast_port_pool_finalize (GObject *object)
{
  SipcastPortPool *self = SIPCAST_PORT_POOL (object);

  g_clear_object (&self->address);

  G_OBJECT_CLASS (sipcast_port_pool_parent_class)->finalize (object);
}

static void
sipcast_port_pool_class_init (SipcastPortPoolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sipcast_port_pool_finalize;
}

static void
sipcast_port_pool_init (SipcastPortPool *self)
{
}

SipcastPortPool *
sipcast_port_pool_new (const char *address,
                       guint       min_port,
                       guint       max_port)
{
  SipcastPortPool *self;

  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (min_port < max_port && max_port <= 65535, NULL);

  self = g_object_new (SIPCAST_TYPE_PORT_POOL, NULL);
  self->address = g_inet_address_new_from_string (address);
  if (self->address == NULL)
    self->address = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  self->min_port = min_port + (min_port & 1);
  self->max_port = max_port;
  self->next_port = self->min_port;

  return self;
}

gboolean
sipcast_port_pool_allocate (SipcastPortPool *self,
                            GSocket        **out_rtp,
                            GSocket        **out_rtcp,
                            GError         **error)
{
  guint n_pairs;

  g_return_val_if_fail (SIPCAST_IS_PORT_POOL (self), FALSE);

  n_pairs = (self->max_port - self->min_port + 1) / 2;

  for (guint i = 0; i < n_pairs; i++) {
    g_autoptr (GSocket) rtp = NULL;
    g_autoptr (GSocket) rtcp = NULL;
    g_autoptr (GError) local_error = NULL;
    guint port = self->next_port;

    self->next_port += 2;
    if (self->next_port + 1 > self->max_port)
      self->next_port = self->min_port;

    if ((rtp = bind_udp (self->address, port, &local_error)) == NULL ||
        (rtcp = bind_udp (self->address, port + 1, &local_error)) == NULL) {
      /* Not a taken port: no other port would do better. */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES)) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_FDS,
                     _("No RTP port: %s"), local_error->message);
        return FALSE;
      }
      g_clear_error (&local_error);
      continue;
    }

    g_debug ("allocated RTP ports %u/%u", port, port + 1);
    *out_rtp = g_steal_pointer (&rtp);
    *out_rtcp = g_steal_pointer (&rtcp);
    return TRUE;
  }

  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_NO_PORTS,
               _("No free RTP port pair in %u-%u"), self->min_port, self->max_port);
  return FALSE;
}

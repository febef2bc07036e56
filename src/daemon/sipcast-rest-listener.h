/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The REST server's TCP side: listens, accepts, and keeps every
 * connection's lifetime in hand while a SoupServer speaks HTTP on it.
 * libsoup 3.2 (Debian 12) leaks a kept-alive connection that the client
 * closes between requests, and its listener stops accepting for good when
 * accept() first fails; this object is how sipcast runs on it anyway (see
 * the .c file).  A connection is closed when the client closes it, when
 * a response says "Connection: close", or when it has gone @idle_timeout
 * seconds without completing a request.  When the process is out of file
 * descriptors a new connection is answered 503 (error
 * "no_file_descriptors") rather than left waiting.
 */

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define SIPCAST_TYPE_REST_LISTENER (sipcast_rest_listener_get_type ())
G_DECLARE_FINAL_TYPE (SipcastRestListener, sipcast_rest_listener, SIPCAST, REST_LISTENER, GObject)

/* Connections go to @soup, which must not listen itself. */
SipcastRestListener *sipcast_rest_listener_new (SoupServer *soup,
                                                guint       idle_timeout);

/* Binds @address (port 0: the kernel picks) and starts accepting.
 * G_IO_ERROR_* from the socket calls. */
gboolean sipcast_rest_listener_listen (SipcastRestListener *self,
                                       GSocketAddress      *address,
                                       GError             **error);

/* The bound port, 0 before listen(). */
guint sipcast_rest_listener_get_port (SipcastRestListener *self);

/* Open connections: idle ones and those libsoup is reading or answering. */
guint sipcast_rest_listener_get_n_connections (SipcastRestListener *self);

/* @msg (being answered) is a long-lived response, an event stream: its
 * connection is not closed for idle-timeout while it lasts, and the
 * kernel buffers at most about @send_buffer bytes of it (SO_SNDBUF; 0:
 * the system's default), so that what a client does not read stays in
 * the owner's hands and is counted there. */
void sipcast_rest_listener_hold (SipcastRestListener *self,
                                 SoupServerMessage   *msg,
                                 gsize                send_buffer);

/* Closes @msg's connection now, whatever libsoup is doing with it (a
 * client that does not keep up); @msg is finished with. */
void sipcast_rest_listener_close (SipcastRestListener *self,
                                  SoupServerMessage   *msg);

/* Connections answered 503 because the process was out of descriptors. */
guint64 sipcast_rest_listener_get_n_refused (SipcastRestListener *self);

G_END_DECLS

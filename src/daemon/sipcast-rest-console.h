/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The web console (data/web/, compiled in as GResources): GET / is its
 * page, GET /console/FILE its scripts and styles, GET
 * /console/config.json what the page must know before its first API call
 * ({"production": true} asks for credentials first).  These files are public
 * even in production mode: they hold no data, and the page itself asks
 * for the credentials it then sends with every API, events and WHEP
 * request (a browser's own Basic prompt could not be logged out of, and
 * EventSource could not carry them).
 */

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* Whether @msg (any method) is for a console file: such a request needs
 * no credentials. */
gboolean sipcast_rest_console_owns (SoupServerMessage *msg,
                                    const char        *path);

/* Answers a request sipcast_rest_console_owns(): the file (GET, HEAD),
 * 404 for a file that does not exist, 405 for other methods.
 * @production: whether the API wants credentials. */
void sipcast_rest_console_serve (SoupServerMessage *msg,
                                 const char        *path,
                                 gboolean           production);

G_END_DECLS

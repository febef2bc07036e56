/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Which HTTP requests the REST API takes at all, before anything else is
 * looked at: the checks that keep a web page the operator happens to open
 * from driving the API on 127.0.0.1.  A browser sends a cross-site POST
 * without asking first only with a "simple" Content-Type (text/plain,
 * forms), always with an Origin header, and after DNS rebinding with the
 * attacker's name in Host.  So: POST bodies must be application/json, a
 * foreign Origin is refused, and Host must be an IP address, localhost or
 * a configured name.  Pure functions on header values, no I/O.
 */

#include <glib.h>

G_BEGIN_DECLS

/* @list: "a, b,c" → { "a", "b", "c" } (lower-case, trailing '/' dropped);
 * NULL or empty → an empty vector. */
GStrv sipcast_rest_guard_split_list (const char *list);

/* Whether a request with Host header @host (NULL: none, as in HTTP/1.0)
 * is for us: an IP literal (no DNS name, so no rebinding), "localhost",
 * or one of @allowed_hosts; any port. */
gboolean sipcast_rest_guard_host_allowed (const char         *host,
                                          const char *const  *allowed_hosts);

/* Whether a request carrying Origin @origin (NULL: none, not a browser or
 * a same-origin GET) may go on: no Origin, the API's own origin
 * ("http://" + @host), or one of @allowed_origins. */
gboolean sipcast_rest_guard_origin_allowed (const char         *origin,
                                            const char         *host,
                                            const char *const  *allowed_origins);

/* Whether Content-Type @content_type (NULL: none) is acceptable for a
 * POST body of @body_length bytes: application/json (any parameters,
 * any case), or no Content-Type at all with an empty body. */
gboolean sipcast_rest_guard_content_type_allowed (const char *content_type,
                                                  goffset     body_length);

G_END_DECLS

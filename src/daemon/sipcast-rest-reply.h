/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * How every REST answer leaves: JSON bodies, and the single mapping from
 * SipcastError codes to HTTP statuses (SPEC.md "REST API": 400, 401 with
 * a Basic challenge, 404, 409, 413, 429, 500, 503…).  Shared by the REST
 * server and the modules that serve its other endpoints (events,
 * metrics), so that they all answer errors the same way.
 */

#include <libsoup/soup.h>
#include "sipcast-error.h"

G_BEGIN_DECLS

/* The HTTP status for @error (500 for foreign domains). */
guint sipcast_rest_reply_status_for_error (const GError *error);

/* Sets @status and the JSON @body (taken). */
void sipcast_rest_reply_json (SoupServerMessage *msg,
                              guint              status,
                              char              *body);

/* {"error", "message"} with the status of @error; a 401 carries the
 * Basic challenge, a 500 is logged as a warning. */
void sipcast_rest_reply_error (SoupServerMessage *msg,
                               const GError      *error);

void sipcast_rest_reply_new_error (SoupServerMessage *msg,
                                   SipcastError       code,
                                   const char        *message);

/* Keeps discarding what the client still sends after we decided to
 * refuse it, instead of buffering it. */
void sipcast_rest_reply_discard_body (SoupServerMessage *msg);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * sipcastctl's side of HTTP: where the daemon is (--url, -c FILE or the
 * default), Basic credentials for production mode, one POST of a JSON body
 * to a REST method, and the GET /rest-api/events stream read event by
 * event.  No printing here but the password prompt.
 */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *url;          /* --url, or NULL */
  const char *config_file;  /* -c, or NULL */
  const char *user;         /* --user, or NULL: no auth */
  const char *password;     /* --password, or NULL: $SIPCAST_PASSWORD or a prompt */
} SipcastctlConnection;

/* The answer to one request: the HTTP status and its body, parsed when it
 * is JSON (@json NULL otherwise; @raw is the body as it came). */
typedef struct {
  guint status;
  char *reason;
  JsonNode *json;
  GBytes *raw;
} SipcastctlReply;

void sipcastctl_reply_free (SipcastctlReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastctlReply, sipcastctl_reply_free)

/* The base URL of the REST API ("http://127.0.0.1:8081/rest-api"). */
char *sipcastctl_base_url (const SipcastctlConnection *connection,
                           GError                    **error);

/* POSTs @json to @method ("call/find_all"); NULL with @error when the
 * daemon could not be reached or the request not made. */
SipcastctlReply *sipcastctl_post (const SipcastctlConnection *connection,
                                  const char                 *method,
                                  const char                 *json,
                                  GError                    **error);

/* One Server-Sent Event: its id (NULL when it had none), event type
 * ("message" when it had none) and data. */
typedef gboolean (*SipcastctlEventFunc) (const char *id,
                                         const char *type,
                                         const char *data,
                                         gpointer    user_data);

/* GETs /rest-api/events?@query (nullable) and calls @func for each event
 * until the daemon ends the stream (TRUE), @func returns FALSE (TRUE) or
 * the connection fails (FALSE with @error).  @status gets the HTTP status;
 * a non-2xx answer is returned in @reply (then no events are read). */
gboolean sipcastctl_read_events (const SipcastctlConnection *connection,
                                 const char                 *query,
                                 SipcastctlEventFunc         func,
                                 gpointer                    user_data,
                                 SipcastctlReply           **reply,
                                 GError                    **error);

/* The exit status for an HTTP status (README "sipcastctl"): 0 for 2xx,
 * 4 for 4xx, 5 for 5xx, 3 for anything else. */
int sipcastctl_exit_status (guint http_status);

/* Exit statuses of their own. */
#define SIPCASTCTL_EXIT_FAILURE 1   /* the daemon could not be reached, a local error */
#define SIPCASTCTL_EXIT_USAGE   2   /* wrong command line */

/* Reads a line from the terminal without echo (the password prompt), or
 * from stdin when it is no terminal; NULL at end of input. */
char *sipcastctl_read_secret_line (const char *prompt);
void  sipcastctl_free_secret (char *secret);

G_END_DECLS

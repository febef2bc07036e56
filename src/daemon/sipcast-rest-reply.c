/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-rest"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "sipcast-rest-reply.h"
#include "sipcast-json.h"

/*
 * REST answers in one place (see the header).
 */

guint
sipcast_rest_reply_status_for_error (const GError *error)
{
  if (error->domain != SIPCAST_ERROR)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;

  switch ((SipcastError) error->code) {
  case SIPCAST_ERROR_INVALID_ARGUMENT:
  case SIPCAST_ERROR_MISSING_FIELD:
    return SOUP_STATUS_BAD_REQUEST;
  case SIPCAST_ERROR_NOT_FOUND:
    return SOUP_STATUS_NOT_FOUND;
  case SIPCAST_ERROR_CONFLICT:
    return SOUP_STATUS_CONFLICT;
  case SIPCAST_ERROR_UNAUTHORIZED:
    return SOUP_STATUS_UNAUTHORIZED;
  case SIPCAST_ERROR_TOO_LARGE:
    return SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
  case SIPCAST_ERROR_NO_PORTS:
  case SIPCAST_ERROR_NO_FDS:
    return SOUP_STATUS_SERVICE_UNAVAILABLE;
  case SIPCAST_ERROR_CONFIG:
  case SIPCAST_ERROR_SDP:
  case SIPCAST_ERROR_NO_COMMON_CODEC:
  case SIPCAST_ERROR_PIPELINE:
  case SIPCAST_ERROR_INTERNAL:
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  case SIPCAST_ERROR_FORBIDDEN:
    return SOUP_STATUS_FORBIDDEN;
  case SIPCAST_ERROR_UNSUPPORTED_MEDIA_TYPE:
    return SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE;
  case SIPCAST_ERROR_UNAVAILABLE:
    return SOUP_STATUS_SERVICE_UNAVAILABLE;
  case SIPCAST_ERROR_TOO_MANY_REQUESTS:
    return 429;  /* Too Many Requests (RFC 6585), unnamed in libsoup */
  }
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

void
sipcast_rest_reply_json (SoupServerMessage *msg,
                         guint              status,
                         char              *body)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json",
                                    SOUP_MEMORY_TAKE, body, strlen (body));
}

void
sipcast_rest_reply_error (SoupServerMessage *msg,
                          const GError      *error)
{
  guint status = sipcast_rest_reply_status_for_error (error);
  const char *code_name = error->domain == SIPCAST_ERROR
                          ? sipcast_error_code_name ((SipcastError) error->code)
                          : sipcast_error_code_name (SIPCAST_ERROR_INTERNAL);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Basic realm=\"sipcast\"");

  /* A 500 is our bug or an environment problem, not the client's: the
   * operator must see it without turning on debug output. */
  if (status == SOUP_STATUS_INTERNAL_SERVER_ERROR)
    g_warning (_("%s %s failed: %s"), soup_server_message_get_method (msg),
               g_uri_get_path (soup_server_message_get_uri (msg)), error->message);

  sipcast_rest_reply_json (msg, status, sipcast_json_error_body (code_name, error->message));
}

void
sipcast_rest_reply_new_error (SoupServerMessage *msg,
                              SipcastError       code,
                              const char        *message)
{
  g_autoptr (GError) error = g_error_new_literal (SIPCAST_ERROR, code, message);

  sipcast_rest_reply_error (msg, error);
}

void
sipcast_rest_reply_discard_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  soup_message_body_set_accumulate (body, FALSE);
  soup_message_body_truncate (body);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * sipcast's own error domain.  Codes say what went wrong in terms the REST
 * layer can map to an HTTP status in one place (sipcast-rest-server.c).
 */

#include <glib.h>

G_BEGIN_DECLS

#define SIPCAST_ERROR (sipcast_error_quark ())
GQuark sipcast_error_quark (void);

typedef enum {
  SIPCAST_ERROR_INVALID_ARGUMENT,   /* 400: bad JSON, type, value */
  SIPCAST_ERROR_MISSING_FIELD,      /* 400: a required field is absent */
  SIPCAST_ERROR_NOT_FOUND,          /* 404 */
  SIPCAST_ERROR_CONFLICT,           /* 409 */
  SIPCAST_ERROR_UNAUTHORIZED,       /* 401 */
  SIPCAST_ERROR_TOO_LARGE,          /* 413 */
  SIPCAST_ERROR_NO_PORTS,           /* 503: RTP port range exhausted */
  SIPCAST_ERROR_NO_FDS,             /* 503: out of file descriptors (RLIMIT_NOFILE) */
  SIPCAST_ERROR_CONFIG,             /* bad configuration file or option */
  SIPCAST_ERROR_SDP,                /* unusable SDP from the far end */
  SIPCAST_ERROR_NO_COMMON_CODEC,    /* offer/answer has no codec we take */
  SIPCAST_ERROR_PIPELINE,           /* a pipeline could not be built */
  SIPCAST_ERROR_INTERNAL,           /* 500 */
  SIPCAST_ERROR_FORBIDDEN,          /* 403: foreign Origin or Host */
  SIPCAST_ERROR_UNSUPPORTED_MEDIA_TYPE, /* 415: a body that is not application/json */
  SIPCAST_ERROR_TOO_MANY_REQUESTS,  /* 429: too many failed logins from one address */
  SIPCAST_ERROR_UNAVAILABLE,        /* 503: no node of the cluster takes the call; a node unreachable */
} SipcastError;

/* Stable machine-readable name of a code, for the "error" field. */
const char *sipcast_error_code_name (SipcastError code);

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-error"

#include "sipcast-error.h"

G_DEFINE_QUARK (sipcast-error-quark, sipcast_error)

const char *
sipcast_error_code_name (SipcastError code)
{
  switch (code) {
  case SIPCAST_ERROR_INVALID_ARGUMENT:
    return "invalid_argument";
  case SIPCAST_ERROR_MISSING_FIELD:
    return "missing_field";
  case SIPCAST_ERROR_NOT_FOUND:
    return "not_found";
  case SIPCAST_ERROR_CONFLICT:
    return "conflict";
  case SIPCAST_ERROR_UNAUTHORIZED:
    return "unauthorized";
  case SIPCAST_ERROR_TOO_LARGE:
    return "payload_too_large";
  case SIPCAST_ERROR_NO_PORTS:
    return "no_rtp_ports";
  case SIPCAST_ERROR_NO_FDS:
    return "no_file_descriptors";
  case SIPCAST_ERROR_CONFIG:
    return "config";
  case SIPCAST_ERROR_SDP:
    return "sdp";
  case SIPCAST_ERROR_NO_COMMON_CODEC:
    return "no_common_codec";
  case SIPCAST_ERROR_PIPELINE:
    return "pipeline";
  case SIPCAST_ERROR_INTERNAL:
    return "internal";
  case SIPCAST_ERROR_FORBIDDEN:
    return "forbidden";
  case SIPCAST_ERROR_UNSUPPORTED_MEDIA_TYPE:
    return "unsupported_media_type";
  case SIPCAST_ERROR_TOO_MANY_REQUESTS:
    return "too_many_requests";
  case SIPCAST_ERROR_UNAVAILABLE:
    return "unavailable";
  }
  return "internal";
}

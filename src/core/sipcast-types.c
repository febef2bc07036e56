/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-types"

#include "sipcast-types.h"

/* Wire names of the statuses, indexed by the enums. */

static const char *const call_status_names[] = {
  [SIPCAST_CALL_STATUS_NEW] = "NEW",
  [SIPCAST_CALL_STATUS_PENDING] = "PENDING",
  [SIPCAST_CALL_STATUS_TRYING] = "TRYING",
  [SIPCAST_CALL_STATUS_RING] = "RING",
  [SIPCAST_CALL_STATUS_RING_MEDIA] = "RING_MEDIA",
  [SIPCAST_CALL_STATUS_SESSION_PROGRESS] = "SESSION_PROGRESS",
  [SIPCAST_CALL_STATUS_ESTABLISHED] = "ESTABLISHED",
  [SIPCAST_CALL_STATUS_HOLD] = "HOLD",
  [SIPCAST_CALL_STATUS_BUSY] = "BUSY",
  [SIPCAST_CALL_STATUS_FINISH] = "FINISH",
  [SIPCAST_CALL_STATUS_FAILED] = "FAILED",
};

static const char *const rtmp_status_names[] = {
  [SIPCAST_RTMP_STATUS_NONE] = NULL,
  [SIPCAST_RTMP_STATUS_WAIT] = "RTMP_STREAM_WAIT",
  [SIPCAST_RTMP_STATUS_ACTIVE] = "RTMP_STREAM_ACTIVE",
  [SIPCAST_RTMP_STATUS_CONNECTION_LOST] = "RTMP_CONNECTION_LOST",
  [SIPCAST_RTMP_STATUS_CONNECTION_FAILED] = "RTMP_CONNECTION_FAILED",
};

const char *
sipcast_call_status_to_string (SipcastCallStatus status)
{
  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (call_status_names), NULL);
  return call_status_names[status];
}

gboolean
sipcast_call_status_from_string (const char        *str,
                                 SipcastCallStatus *out_status)
{
  g_return_val_if_fail (str != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (call_status_names); i++) {
    if (g_str_equal (str, call_status_names[i])) {
      *out_status = (SipcastCallStatus) i;
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
sipcast_call_status_is_final (SipcastCallStatus status)
{
  switch (status) {
  case SIPCAST_CALL_STATUS_BUSY:
  case SIPCAST_CALL_STATUS_FINISH:
  case SIPCAST_CALL_STATUS_FAILED:
    return TRUE;
  case SIPCAST_CALL_STATUS_NEW:
  case SIPCAST_CALL_STATUS_PENDING:
  case SIPCAST_CALL_STATUS_TRYING:
  case SIPCAST_CALL_STATUS_RING:
  case SIPCAST_CALL_STATUS_RING_MEDIA:
  case SIPCAST_CALL_STATUS_SESSION_PROGRESS:
  case SIPCAST_CALL_STATUS_ESTABLISHED:
  case SIPCAST_CALL_STATUS_HOLD:
    return FALSE;
  }
  g_return_val_if_reached (FALSE);
}

const char *
sipcast_rtmp_status_to_string (SipcastRtmpStatus status)
{
  g_return_val_if_fail ((guint) status < G_N_ELEMENTS (rtmp_status_names), NULL);
  return rtmp_status_names[status];
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-types"

#include <glib.h>

#include "sipcast-types.h"

/*
 * The wire names of the call and RTMP statuses (SPEC.md "Call statuses"):
 * clients compare these strings, so each one is pinned here.
 */

static const struct {
  SipcastCallStatus status;
  const char *name;
  gboolean is_final;
} call_statuses[] = {
  { SIPCAST_CALL_STATUS_NEW, "NEW", FALSE },
  { SIPCAST_CALL_STATUS_PENDING, "PENDING", FALSE },
  { SIPCAST_CALL_STATUS_TRYING, "TRYING", FALSE },
  { SIPCAST_CALL_STATUS_RING, "RING", FALSE },
  { SIPCAST_CALL_STATUS_RING_MEDIA, "RING_MEDIA", FALSE },
  { SIPCAST_CALL_STATUS_SESSION_PROGRESS, "SESSION_PROGRESS", FALSE },
  { SIPCAST_CALL_STATUS_ESTABLISHED, "ESTABLISHED", FALSE },
  { SIPCAST_CALL_STATUS_HOLD, "HOLD", FALSE },
  { SIPCAST_CALL_STATUS_BUSY, "BUSY", TRUE },
  { SIPCAST_CALL_STATUS_FINISH, "FINISH", TRUE },
  { SIPCAST_CALL_STATUS_FAILED, "FAILED", TRUE },
};

static void
test_call_status_names (void)
{
  /* Every enum value is listed above: FAILED is the last one. */
  g_assert_cmpuint (G_N_ELEMENTS (call_statuses), ==, SIPCAST_CALL_STATUS_FAILED + 1);

  for (guint i = 0; i < G_N_ELEMENTS (call_statuses); i++)
    g_assert_cmpstr (sipcast_call_status_to_string (call_statuses[i].status), ==,
                     call_statuses[i].name);
}

static void
test_call_status_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (call_statuses); i++) {
    SipcastCallStatus status = (SipcastCallStatus) -1;
    const char *name = sipcast_call_status_to_string (call_statuses[i].status);

    g_assert_true (sipcast_call_status_from_string (name, &status));
    g_assert_cmpint (status, ==, call_statuses[i].status);
  }
}

static void
test_call_status_from_unknown (void)
{
  SipcastCallStatus status = SIPCAST_CALL_STATUS_HOLD;

  /* Wire names are case-sensitive and exact. */
  g_assert_false (sipcast_call_status_from_string ("established", &status));
  g_assert_false (sipcast_call_status_from_string ("", &status));
  g_assert_false (sipcast_call_status_from_string ("RING ", &status));
  g_assert_false (sipcast_call_status_from_string ("RTMP_STREAM_ACTIVE", &status));
  g_assert_cmpint (status, ==, SIPCAST_CALL_STATUS_HOLD);
}

static void
test_call_status_is_final (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (call_statuses); i++) {
    g_test_message ("%s", call_statuses[i].name);
    g_assert_cmpint (sipcast_call_status_is_final (call_statuses[i].status), ==,
                     call_statuses[i].is_final);
  }
}

static void
test_rtmp_status_names (void)
{
  g_assert_null (sipcast_rtmp_status_to_string (SIPCAST_RTMP_STATUS_NONE));
  g_assert_cmpstr (sipcast_rtmp_status_to_string (SIPCAST_RTMP_STATUS_WAIT), ==,
                   "RTMP_STREAM_WAIT");
  g_assert_cmpstr (sipcast_rtmp_status_to_string (SIPCAST_RTMP_STATUS_ACTIVE), ==,
                   "RTMP_STREAM_ACTIVE");
  g_assert_cmpstr (sipcast_rtmp_status_to_string (SIPCAST_RTMP_STATUS_CONNECTION_LOST), ==,
                   "RTMP_CONNECTION_LOST");
  g_assert_cmpstr (sipcast_rtmp_status_to_string (SIPCAST_RTMP_STATUS_CONNECTION_FAILED), ==,
                   "RTMP_CONNECTION_FAILED");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/types/call-status/names", test_call_status_names);
  g_test_add_func ("/types/call-status/round-trip", test_call_status_round_trip);
  g_test_add_func ("/types/call-status/from-unknown", test_call_status_from_unknown);
  g_test_add_func ("/types/call-status/is-final", test_call_status_is_final);
  g_test_add_func ("/types/rtmp-status/names", test_rtmp_status_names);

  return g_test_run ();
}

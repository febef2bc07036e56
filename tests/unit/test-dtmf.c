/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sipcast-dtmf.h"
#include "sipcast-error.h"

static void
test_event_numbers (void)
{
  const char *digits = "0123456789*#ABCD";

  for (int i = 0; digits[i] != '\0'; i++)
    g_assert_cmpint (sipcast_dtmf_event_number (digits[i]), ==, i);
  g_assert_cmpint (sipcast_dtmf_event_number ('a'), ==, 12);
  g_assert_cmpint (sipcast_dtmf_event_number ('d'), ==, 15);
  g_assert_cmpint (sipcast_dtmf_event_number ('E'), ==, -1);
  g_assert_cmpint (sipcast_dtmf_event_number ('x'), ==, -1);
  g_assert_cmpint (sipcast_dtmf_event_number (' '), ==, -1);
  g_assert_cmpint (sipcast_dtmf_event_number ('\0'), ==, -1);
}

static void
test_validate (void)
{
  const char *good[] = { "1", "0123456789*#ABCD", "abcd", "##" };
  const char *bad[] = { "1x", " 1", "1 ", "E", "12\n", "+", "١" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (sipcast_dtmf_validate (good[i], NULL));

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    g_autoptr (GError) error = NULL;

    g_assert_false (sipcast_dtmf_validate (bad[i], &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
  }

  {
    g_autoptr (GError) error = NULL;

    g_assert_false (sipcast_dtmf_validate ("", &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD);
    g_clear_error (&error);
    g_assert_false (sipcast_dtmf_validate (NULL, &error));
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD);
  }
}

static void
test_types (void)
{
  SipcastDtmfType type = SIPCAST_DTMF_INFO;
  g_autoptr (GError) error = NULL;

  g_assert_true (sipcast_dtmf_type_from_string (NULL, &type, NULL));
  g_assert_cmpint (type, ==, SIPCAST_DTMF_RFC2833);
  g_assert_true (sipcast_dtmf_type_from_string ("info", &type, NULL));
  g_assert_cmpint (type, ==, SIPCAST_DTMF_INFO);
  g_assert_true (sipcast_dtmf_type_from_string ("INFO_RELAY", &type, NULL));
  g_assert_cmpint (type, ==, SIPCAST_DTMF_INFO_RELAY);
  g_assert_true (sipcast_dtmf_type_from_string ("", &type, NULL));
  g_assert_cmpint (type, ==, SIPCAST_DTMF_RFC2833);
  g_assert_false (sipcast_dtmf_type_from_string ("INBAND", &type, &error));
  g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
}

static void
test_info_bodies (void)
{
  g_autofree char *relay = sipcast_dtmf_info_body (SIPCAST_DTMF_INFO, '5');
  g_autofree char *relay_hash = sipcast_dtmf_info_body (SIPCAST_DTMF_INFO, '#');
  g_autofree char *relay_lower = sipcast_dtmf_info_body (SIPCAST_DTMF_INFO, 'b');
  g_autofree char *dtmf = sipcast_dtmf_info_body (SIPCAST_DTMF_INFO_RELAY, '5');
  g_autofree char *dtmf_star = sipcast_dtmf_info_body (SIPCAST_DTMF_INFO_RELAY, '*');
  g_autofree char *dtmf_d = sipcast_dtmf_info_body (SIPCAST_DTMF_INFO_RELAY, 'D');

  g_assert_cmpstr (sipcast_dtmf_info_content_type (SIPCAST_DTMF_INFO), ==,
                   "application/dtmf-relay");
  g_assert_cmpstr (sipcast_dtmf_info_content_type (SIPCAST_DTMF_INFO_RELAY), ==,
                   "application/dtmf");
  g_assert_cmpstr (relay, ==, "Signal=5\r\nDuration=250\r\n");
  g_assert_cmpstr (relay_hash, ==, "Signal=#\r\nDuration=250\r\n");
  g_assert_cmpstr (relay_lower, ==, "Signal=B\r\nDuration=250\r\n");
  g_assert_cmpstr (dtmf, ==, "5");
  g_assert_cmpstr (dtmf_star, ==, "10");
  g_assert_cmpstr (dtmf_d, ==, "15");
}

/* What phones and PBXes send as SIP INFO, read back to the digit; the
 * bodies sipcast itself sends read back too. */
static void
test_parse_info (void)
{
  g_autofree char *relay = sipcast_dtmf_info_body (SIPCAST_DTMF_INFO, '#');
  g_autofree char *plain = sipcast_dtmf_info_body (SIPCAST_DTMF_INFO_RELAY, '7');

  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"), ==, '5');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", "signal = *\n"), ==, '*');
  g_assert_cmpint (sipcast_dtmf_parse_info ("Application/DTMF-Relay", "Duration=100\r\nSignal=11"), ==, '#');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", "Signal=10"), ==, '*');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", "Signal=b"), ==, 'B');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf", "9"), ==, '9');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf", "15"), ==, 'D');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", relay), ==, '#');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf", plain), ==, '7');

  /* Not a digit: nothing. */
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", "Signal=16"), ==, '\0');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", "Signal=X"), ==, '\0');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", "Duration=160"), ==, '\0');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf-relay", "Signal"), ==, '\0');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf", "42"), ==, '\0');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmfx", "5"), ==, '\0');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/media_control+xml", "5"), ==, '\0');
  g_assert_cmpint (sipcast_dtmf_parse_info (NULL, "5"), ==, '\0');
  g_assert_cmpint (sipcast_dtmf_parse_info ("application/dtmf", NULL), ==, '\0');
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dtmf/event-numbers", test_event_numbers);
  g_test_add_func ("/dtmf/validate", test_validate);
  g_test_add_func ("/dtmf/types", test_types);
  g_test_add_func ("/dtmf/info-bodies", test_info_bodies);
  g_test_add_func ("/dtmf/parse-info", test_parse_info);

  return g_test_run ();
}

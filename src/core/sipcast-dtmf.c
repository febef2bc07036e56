/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-dtmf"

#include "config.h"
#include "sipcast-dtmf.h"
#include "sipcast-error.h"

#include <glib/gi18n.h>
#include <string.h>

static const char event_digits[] = "0123456789*#ABCD";

gboolean
sipcast_dtmf_type_from_string (const char      *str,
                               SipcastDtmfType *out_type,
                               GError         **error)
{
  if (str == NULL || *str == '\0' || g_ascii_strcasecmp (str, "RFC2833") == 0)
    *out_type = SIPCAST_DTMF_RFC2833;
  else if (g_ascii_strcasecmp (str, "INFO") == 0)
    *out_type = SIPCAST_DTMF_INFO;
  else if (g_ascii_strcasecmp (str, "INFO_RELAY") == 0)
    *out_type = SIPCAST_DTMF_INFO_RELAY;
  else {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("Unknown DTMF type “%s” (RFC2833, INFO or INFO_RELAY)"), str);
    return FALSE;
  }
  return TRUE;
}

int
sipcast_dtmf_event_number (char digit)
{
  const char *p;

  if (digit == '\0')
    return -1;
  p = strchr (event_digits, g_ascii_toupper (digit));
  return p != NULL ? (int) (p - event_digits) : -1;
}

gboolean
sipcast_dtmf_validate (const char *digits,
                       GError    **error)
{
  if (digits == NULL || *digits == '\0') {
    g_set_error_literal (error, SIPCAST_ERROR, SIPCAST_ERROR_MISSING_FIELD,
                         _("dtmf is required"));
    return FALSE;
  }
  for (const char *p = digits; *p != '\0'; p++) {
    if (sipcast_dtmf_event_number (*p) < 0) {
      if (g_ascii_isprint (*p))
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                     _("“%c” is not a DTMF digit (0-9, *, #, A-D)"), *p);
      else
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                     _("dtmf holds a character that is not a DTMF digit (0-9, *, #, A-D)"));
      return FALSE;
    }
  }
  return TRUE;
}

const char *
sipcast_dtmf_info_content_type (SipcastDtmfType type)
{
  switch (type) {
  case SIPCAST_DTMF_INFO:
    return "application/dtmf-relay";
  case SIPCAST_DTMF_INFO_RELAY:
    return "application/dtmf";
  case SIPCAST_DTMF_RFC2833:
    break;
  }
  g_return_val_if_reached (NULL);
}

char *
sipcast_dtmf_info_body (SipcastDtmfType type,
                        char            digit)
{
  char upper = g_ascii_toupper (digit);

  switch (type) {
  case SIPCAST_DTMF_INFO:
    /* The de-facto format (Cisco, Asterisk, FreeSWITCH). */
    return g_strdup_printf ("Signal=%c\r\nDuration=%d\r\n", upper, SIPCAST_DTMF_TONE_MS);
  case SIPCAST_DTMF_INFO_RELAY:
    /* application/dtmf: the event code alone. */
    return g_strdup_printf ("%d", sipcast_dtmf_event_number (digit));
  case SIPCAST_DTMF_RFC2833:
    break;
  }
  g_return_val_if_reached (NULL);
}

/* A digit named by itself ("5", "*", "a") or by its RFC 4733 event code
 * ("11"), at the start of @text; '\0' otherwise. */
static char
digit_of (const char *text)
{
  guint64 code;
  char *end = NULL;

  while (*text == ' ' || *text == '\t')
    text++;
  if (g_ascii_isdigit (*text)) {
    code = g_ascii_strtoull (text, &end, 10);
    /* One digit is itself; two name an event (10 = *, 11 = #, 12-15 = A-D). */
    if (end == text + 1)
      return *text;
    if (end == text + 2 && code >= 10 && code <= 15)
      return "*#ABCD"[code - 10];
    return '\0';
  }
  if (*text != '\0' && strchr ("*#ABCDabcd", *text) != NULL)
    return g_ascii_toupper (*text);
  return '\0';
}

char
sipcast_dtmf_parse_info (const char *content_type,
                         const char *body)
{
  g_auto (GStrv) lines = NULL;

  if (content_type == NULL || body == NULL)
    return '\0';

  if (g_ascii_strncasecmp (content_type, "application/dtmf-relay", 22) == 0) {
    lines = g_strsplit_set (body, "\r\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
      const char *line = lines[i];

      while (*line == ' ' || *line == '\t')
        line++;
      if (g_ascii_strncasecmp (line, "Signal", 6) != 0)
        continue;
      line += 6;
      while (*line == ' ' || *line == '\t')
        line++;
      if (*line != '=')
        return '\0';
      return digit_of (line + 1);
    }
    return '\0';
  }
  if (g_ascii_strncasecmp (content_type, "application/dtmf", 16) == 0 &&
      (content_type[16] == '\0' || content_type[16] == ';' || content_type[16] == ' '))
    return digit_of (body);
  return '\0';
}

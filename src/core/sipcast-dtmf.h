/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * DTMF toward the far end (/call/send_dtmf): digit validation, RFC 4733
 * event numbers and the SIP INFO bodies.  Pure functions.
 */

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SIPCAST_DTMF_RFC2833,     /* RTP telephone-events (RFC 4733) */
  SIPCAST_DTMF_INFO,        /* SIP INFO, application/dtmf-relay */
  SIPCAST_DTMF_INFO_RELAY,  /* SIP INFO, application/dtmf */
} SipcastDtmfType;

/* Tone length sipcast uses for every digit, in milliseconds; also the
 * Duration of an application/dtmf-relay body. */
#define SIPCAST_DTMF_TONE_MS 250
/* Silence between two digits. */
#define SIPCAST_DTMF_GAP_MS 100

/* "RFC2833" (the default when @str is NULL or empty), "INFO",
 * "INFO_RELAY"; case-insensitive. */
gboolean sipcast_dtmf_type_from_string (const char      *str,
                                        SipcastDtmfType *out_type,
                                        GError         **error);

/* One or more of 0-9 * # A-D (a-d accepted); SIPCAST_ERROR_INVALID_ARGUMENT
 * naming the first bad character otherwise. */
gboolean sipcast_dtmf_validate (const char *digits,
                                GError    **error);

/* RFC 4733 event code: 0-9, * = 10, # = 11, A-D = 12-15; -1 otherwise. */
int sipcast_dtmf_event_number (char digit);

/* The SIP INFO content type and body for one digit. */
const char *sipcast_dtmf_info_content_type (SipcastDtmfType type);
char       *sipcast_dtmf_info_body (SipcastDtmfType type,
                                    char            digit);

/* The digit a far end's SIP INFO carries (@content_type
 * "application/dtmf-relay": "Signal=5" or "Signal=11" for #;
 * "application/dtmf": "5" or the event code "11"), upper case, or '\0'
 * when the body is none of those. */
char sipcast_dtmf_parse_info (const char *content_type,
                              const char *body);

G_END_DECLS

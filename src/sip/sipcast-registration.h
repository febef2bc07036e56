/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One SIP registration (sipRegisterRequired=true): REGISTER of the call's
 * address of record at its registrar, answering a 401/407 challenge once
 * with the call's credentials, refreshed by nua before it expires, and
 * un-REGISTERed (Expires: 0) when the call no longer needs it.  It has a
 * nua handle of its own; the SIP agent hands it the handle's events.
 */

#include <glib-object.h>
#include "sipcast-config.h"
#include "sipcast-call-params.h"
#include "sipcast-sip-address.h"
#include "sipcast-sip-agent.h"

G_BEGIN_DECLS

typedef enum {
  SIPCAST_REGISTRATION_NONE,          /* not started */
  SIPCAST_REGISTRATION_REGISTERING,   /* first REGISTER in flight */
  SIPCAST_REGISTRATION_REGISTERED,    /* 2xx; nua refreshes it */
  SIPCAST_REGISTRATION_FAILED,        /* refused or no answer: see status/reason */
  SIPCAST_REGISTRATION_UNREGISTERING, /* REGISTER with Expires: 0 in flight */
  SIPCAST_REGISTRATION_UNREGISTERED,  /* un-REGISTER answered (or timed out) */
} SipcastRegistrationState;

#define SIPCAST_TYPE_REGISTRATION (sipcast_registration_get_type ())
G_DECLARE_FINAL_TYPE (SipcastRegistration, sipcast_registration, SIPCAST, REGISTRATION, GObject)

/* @addresses must have a registrar (the call has a sipDomain).  Nothing
 * is sent before sipcast_registration_start(). */
SipcastRegistration *sipcast_registration_new (SipcastSipAgent           *agent,
                                               const SipcastConfig       *config,
                                               const SipcastCallParams   *params,
                                               const SipcastSipAddresses *addresses,
                                               const char                *log_id);

/* Sends the REGISTER; "state-changed" reports the outcome. */
gboolean sipcast_registration_start (SipcastRegistration  *self,
                                     GError              **error);
/* Un-REGISTERs when registered, or as soon as the registrar accepts the
 * REGISTER still in flight. */
void     sipcast_registration_stop (SipcastRegistration *self);

SipcastRegistrationState sipcast_registration_get_state (SipcastRegistration *self);
/* The registrar's last final status (0 before any). */
guint                    sipcast_registration_get_sip_status (SipcastRegistration *self);
/* Why it failed, for the call's statusInfo; NULL unless FAILED. */
const char              *sipcast_registration_get_failure (SipcastRegistration *self);
/* How many 2xx the registrar has sent (the first and each refresh). */
guint                    sipcast_registration_get_accepted_count (SipcastRegistration *self);

G_END_DECLS

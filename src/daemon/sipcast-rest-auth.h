/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Production-mode authentication of REST requests (SPEC.md "REST API"):
 * HTTP Basic credentials checked against the users file, the password
 * hashed off the main loop, failed logins throttled per client address
 * (429 with Retry-After).  Without users (not production) every request
 * passes.  Every endpoint of the REST server (the API, the event stream,
 * metrics) goes through the same object, so none can skip it.
 */

#include <libsoup/soup.h>
#include "sipcast-users.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_REST_AUTH (sipcast_rest_auth_get_type ())
G_DECLARE_FINAL_TYPE (SipcastRestAuth, sipcast_rest_auth, SIPCAST, REST_AUTH, GObject)

/* @users: NULL = no authentication. */
SipcastRestAuth *sipcast_rest_auth_new (SipcastUsers *users);

/* Whether requests need credentials at all. */
gboolean sipcast_rest_auth_is_enabled (SipcastRestAuth *self);

/* Before the body is read: FALSE after answering (401 without
 * credentials, 429 for a throttled client).  Credentials that passed
 * lately are accepted here; others are left to
 * sipcast_rest_auth_run_authorized(). */
gboolean sipcast_rest_auth_check_early (SipcastRestAuth   *self,
                                        SoupServerMessage *msg);

/* What runs once a request is authorized; @owner as given below. */
typedef void (*SipcastRestAuthorizedFunc) (gpointer           owner,
                                           SoupServerMessage *msg,
                                           const char        *path);

/* Runs @next for @msg once it is authorized, at once when there is
 * nothing to check, else after the password was hashed in a thread with
 * @msg paused (a reference on @owner, a GObject, is held meanwhile).  A
 * request that fails is answered 401 or 429 and @next never runs. */
void sipcast_rest_auth_run_authorized (SipcastRestAuth           *self,
                                       SoupServerMessage         *msg,
                                       const char                *path,
                                       SipcastRestAuthorizedFunc  next,
                                       gpointer                   owner);

G_END_DECLS

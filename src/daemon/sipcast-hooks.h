/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Webhooks (README "Webhooks"): every event of the bus POSTed as JSON
 * (the SSE data, byte for byte) to each [hooks] urls entry and to the
 * call's own "hookUrl".  Asynchronous (libsoup), so a slow or dead
 * receiver never holds up a call; in order per URL and call (one POST
 * at a time each); retried with back-off after a failure (no answer,
 * not 2xx); at most [hooks] max-queue events waiting, newer ones
 * dropped beyond; signed with [hooks] secret when there is one.
 */

#include "sipcast-config.h"
#include "sipcast-event-bus.h"

G_BEGIN_DECLS

#define SIPCAST_TYPE_HOOKS (sipcast_hooks_get_type ())
G_DECLARE_FINAL_TYPE (SipcastHooks, sipcast_hooks, SIPCAST, HOOKS, GObject)

/* SIPCAST_ERROR_CONFIG for a [hooks] urls entry that is not an http(s)
 * URL.  @config must outlive the object. */
SipcastHooks *sipcast_hooks_new (const SipcastConfig *config,
                                 SipcastEventBus     *bus,
                                 GError             **error);

/* "sha256=" + the hex HMAC-SHA256 of @body under @secret: the
 * X-Sipcast-Signature header. */
char *sipcast_hooks_sign (const char *secret,
                          const char *body,
                          gsize       length);

/* "a b,c" → the URLs, or NULL with SIPCAST_ERROR_CONFIG naming the first
 * that is not an absolute http:// or https:// URL.  NULL/"" → empty. */
GStrv sipcast_hooks_split_urls (const char *list,
                                GError    **error);

typedef struct {
  guint64 delivered;   /* events a receiver answered 2xx */
  guint64 failures;    /* attempts that failed (each retry counts) */
  guint64 given_up;    /* events dropped after the last retry */
  guint64 dropped;     /* events not queued: the queue was full */
  guint   queued;      /* events waiting now */
} SipcastHooksCounts;

void sipcast_hooks_get_counts (SipcastHooks       *self,
                               SipcastHooksCounts *counts);

G_END_DECLS

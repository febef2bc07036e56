/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Routing rules for incoming calls: a `[route NAME]` group of the
 * configuration matches the callee (the Request-URI user) by a glob or a
 * regular expression and says what to do with the call: publish it to a
 * target written as templates (${callee}, ${caller}, ${callId},
 * ${route}), optionally after the caller authenticated with digest, or
 * reject it with a SIP status.  Pure functions, no I/O.
 */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char     *name;            /* the NAME of [route NAME] */
  char     *callee;          /* glob (* and ?) as written, or NULL */
  char     *callee_regex;    /* or a regular expression (whole user part) */
  char     *rtmp_url;        /* templates, nullable */
  char     *rtmp_stream;
  char     *to_stream;       /* default: the callId */
  char     *user;            /* digest credentials the caller must give, or NULL */
  char     *password;
  char     *realm;           /* default "sipcast" */
  gboolean  has_audio;       /* default TRUE: we send audio back */
  gboolean  has_video;       /* default FALSE */
  guint     reject;          /* 0, or the SIP status (400-699) to reject with */
  guint     ring_time;       /* ms between our 180 and our 200; default 0 */
  char     *profile;         /* [rtmp] profile for its calls (sipcast-profile.h), or NULL */
  char     *placeholder_video; /* its calls' picture (sipcast-placeholder.h), or NULL: [media]'s */
  guint     max_calls;       /* live calls it takes at once; default
                              * SIPCAST_ROUTE_DEFAULT_MAX_CALLS, 0 = no limit */

  /* private */
  GPatternSpec *glob;
  GRegex       *regex;
  gint          ref_count;
} SipcastRoute;

/* A route takes this many live calls at once unless max-calls says: each
 * costs RTP ports and a pipeline, and one without credentials is open to
 * anyone. */
#define SIPCAST_ROUTE_DEFAULT_MAX_CALLS 20

/* The prefix of the key-file groups that hold routes: "route ". */
#define SIPCAST_ROUTE_GROUP_PREFIX "route "

/* Reads group @group ("route NAME") of @key_file.  Errors
 * (SIPCAST_ERROR_CONFIG): unknown keys, neither or both of callee and
 * callee-regex, a bad regex, an unknown ${variable}, an rtmp-url that
 * cannot be a publish target, user without password (or the reverse),
 * reject together with a target, reject outside 400-699, ring-time
 * outside 0-60000. */
SipcastRoute *sipcast_route_new_from_key_file (GKeyFile    *key_file,
                                               const char  *group,
                                               GError     **error);
SipcastRoute *sipcast_route_ref (SipcastRoute *route);
void          sipcast_route_unref (SipcastRoute *route);

/* Whether @callee (a Request-URI user part) matches the route's pattern. */
gboolean sipcast_route_matches (const SipcastRoute *route,
                                const char         *callee);

/* The first route of @routes (SipcastRoute, in file order) that @callee
 * matches, or NULL. */
const SipcastRoute *sipcast_route_find (GPtrArray  *routes,
                                        const char *callee);

/* @template with ${callee}, ${caller}, ${callId} and ${route} replaced.
 * The values come from the caller's INVITE, so every character outside
 * [A-Za-z0-9._~+-] in them becomes '_': a SIP user part can never add a
 * path, a query or a URL scheme to a publish target.  NULL @template
 * gives NULL. */
char *sipcast_route_expand (const SipcastRoute *route,
                            const char         *template,
                            const char         *callee,
                            const char         *caller,
                            const char         *call_id);

/* Writes the route back as its group (for --print-config). */
void sipcast_route_to_key_file (const SipcastRoute *route,
                                GKeyFile           *key_file);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastRoute, sipcast_route_unref)

G_END_DECLS

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What a client asked for in /call/startup, validated.  Parsing JSON into
 * this struct and the typed field readers the other REST methods use are
 * pure functions (sipcast-json.c).
 */

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char    *call_id;             /* generated when absent */
  char    *callee;              /* required: "1000" or a full "sip:" URI */
  char    *to_stream;           /* default: call_id */
  char    *rtmp_url;            /* nullable */
  char    *rtmp_stream;         /* nullable */
  gboolean has_audio;           /* default TRUE */
  gboolean has_video;           /* default FALSE */
  char    *sip_login;           /* nullable: From user, default "sipcast" */
  char    *sip_auth_name;       /* default: sip_login */
  char    *sip_password;        /* nullable */
  char    *sip_domain;          /* required unless callee is a sip: URI */
  char    *sip_outbound_proxy;  /* nullable */
  guint    sip_port;            /* 0: not given (DNS or the proxy's port decides) */
  gboolean sip_register_required;
  char    *app_key;             /* nullable */
  char    *visible_name;        /* nullable */
  char    *hook_url;            /* nullable: an http(s) URL the call's events are POSTed to */
  /* "srtp": "off", "optional" or "mandatory"; -1 when not given (then
   * [media] srtp decides).  A SipcastSrtpMode otherwise. */
  int      srtp;
  /* "placeholderVideo" or a [route]'s placeholder-video, checked
   * (sipcast-placeholder.h); NULL: [media] placeholder-video. */
  char    *placeholder_video;
  char    *rtmp_profile;        /* a [route]'s profile (sipcast-profile.h), or NULL: [rtmp]'s */
} SipcastCallParams;

void sipcast_call_params_free (SipcastCallParams *params);

/* A callee given as a full "sip:" or "sips:" URI rather than a user. */
gboolean sipcast_call_params_callee_is_uri (const char *callee);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastCallParams, sipcast_call_params_free)

G_END_DECLS

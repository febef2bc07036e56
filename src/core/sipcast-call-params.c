/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "sipcast-call-params.h"

/*
 * The call parameters on their own, so that the SIP addresses and the
 * call can use them without the REST layer's JSON (which fills them in,
 * sipcast-json.c).
 */

void
sipcast_call_params_free (SipcastCallParams *params)
{
  if (params == NULL)
    return;

  g_free (params->call_id);
  g_free (params->callee);
  g_free (params->to_stream);
  g_free (params->rtmp_url);
  g_free (params->rtmp_stream);
  g_free (params->sip_login);
  g_free (params->sip_auth_name);
  /* Do not leave the SIP secret behind in freed heap memory. */
  if (params->sip_password != NULL) {
    explicit_bzero (params->sip_password, strlen (params->sip_password));
    g_free (params->sip_password);
  }
  g_free (params->sip_domain);
  g_free (params->sip_outbound_proxy);
  g_free (params->app_key);
  g_free (params->visible_name);
  g_free (params->hook_url);
  g_free (params->rtmp_profile);
  g_free (params->placeholder_video);
  g_free (params);
}

gboolean
sipcast_call_params_callee_is_uri (const char *callee)
{
  /* URI schemes are case-insensitive (RFC 3261 19.1.1). */
  return g_ascii_strncasecmp (callee, "sip:", 4) == 0 ||
         g_ascii_strncasecmp (callee, "sips:", 5) == 0;
}

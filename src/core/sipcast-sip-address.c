/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "sipcast-sip"

#include "config.h"
#include "sipcast-sip-address.h"
#include "sipcast-error.h"

#include <string.h>
#include <glib/gi18n.h>

/* What sipcast_sip_addresses_new() builds is described in the header. */

typedef struct {
  char *host;       /* as written, "[v6]" keeps its brackets */
  guint port;       /* 0: not given */
  char *transport;  /* canonical, NULL: not given */
  char *params;     /* other ";…" parameters, "" when none */
} HostPort;

static void
host_port_clear (HostPort *hp)
{
  g_free (hp->host);
  g_free (hp->transport);
  g_free (hp->params);
}

const char *
sipcast_sip_transport_canonical (const char *name)
{
  static const char *const names[] = { "udp", "tcp", "tls" };

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++) {
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      return names[i];
  }
  return NULL;
}

static gboolean
is_host_char (char c)
{
  return g_ascii_isalnum (c) || c == '.' || c == '-' || c == '_';
}

/* The characters RFC 3261 25.1 allows unescaped in a user part. */
static gboolean
is_user_char (char c)
{
  return g_ascii_isalnum (c) || strchr ("-_.!~*'()&=+$,;?/%", c) != NULL;
}

/* "[sip:|sips:]host[:port][;param…]" as an outbound proxy is written in
 * softphone settings. */
static gboolean
parse_host_port (const char  *text,
                 HostPort    *out,
                 GError     **error)
{
  const char *p = text;
  const char *host_end;
  g_autoptr (GString) params = g_string_new (NULL);
  gboolean sips = FALSE;

  if (g_ascii_strncasecmp (p, "sips:", 5) == 0) {
    sips = TRUE;
    p += 5;
  } else if (g_ascii_strncasecmp (p, "sip:", 4) == 0) {
    p += 4;
  }

  if (*p == '[') {
    host_end = strchr (p, ']');
    if (host_end == NULL || host_end == p + 1)
      goto invalid;
    host_end++;
  } else {
    host_end = p;
    while (is_host_char (*host_end))
      host_end++;
    if (host_end == p)
      goto invalid;
  }
  out->host = g_strndup (p, host_end - p);
  p = host_end;

  if (*p == ':') {
    guint64 port;
    const char *digits = ++p;

    while (g_ascii_isdigit (*p))
      p++;
    {
      g_autofree char *number = g_strndup (digits, p - digits);

      if (!g_ascii_string_to_unsigned (number, 10, 1, 65535, &port, NULL))
        goto invalid;
    }
    out->port = (guint) port;
  }

  while (*p == ';') {
    const char *start = ++p;
    g_autofree char *param = NULL;

    while (*p != '\0' && *p != ';')
      p++;
    param = g_strndup (start, p - start);
    if (*param == '\0' || strchr (param, ' ') != NULL)
      goto invalid;
    if (g_ascii_strncasecmp (param, "transport=", 10) == 0) {
      const char *transport = sipcast_sip_transport_canonical (param + 10);

      if (transport == NULL) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                     _("Unknown SIP transport “%s” in “%s” (udp, tcp or tls)"),
                     param + 10, text);
        return FALSE;
      }
      g_free (out->transport);
      out->transport = g_strdup (transport);
    } else if (g_ascii_strcasecmp (param, "lr") != 0) {
      g_string_append_printf (params, ";%s", param);
    }
  }
  if (*p != '\0')
    goto invalid;

  if (sips && out->transport == NULL)
    out->transport = g_strdup ("tls");
  out->params = g_string_free (g_steal_pointer (&params), FALSE);
  return TRUE;

invalid:
  g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a SIP host[:port][;transport=udp|tcp|tls]"), text);
  return FALSE;
}

/* The transport a callee URI asks for, NULL when it does not say. */
static const char *
uri_transport (const char *uri)
{
  const char *params = strchr (uri, ';');

  if (g_ascii_strncasecmp (uri, "sips:", 5) == 0)
    return "tls";
  while (params != NULL) {
    const char *next = strchr (params + 1, ';');

    if (g_ascii_strncasecmp (params + 1, "transport=", 10) == 0) {
      g_autofree char *value = next ? g_strndup (params + 11, next - params - 11) :
                               g_strdup (params + 11);
      char *end = strpbrk (value, "?>");

      if (end != NULL)
        *end = '\0';
      return sipcast_sip_transport_canonical (value);
    }
    params = next;
  }
  return NULL;
}

static char *
transport_param (const char *transport)
{
  /* UDP is what a URI without the parameter means (RFC 3263 4.1 picks
   * it for an address with a port). */
  return g_str_equal (transport, "udp") ? g_strdup ("") :
         g_strdup_printf (";transport=%s", transport);
}

SipcastSipAddresses *
sipcast_sip_addresses_new (const SipcastCallParams *params,
                           const char              *default_transport,
                           const char              *local_address,
                           GError                 **error)
{
  g_autoptr (SipcastSipAddresses) out = g_new0 (SipcastSipAddresses, 1);
  HostPort proxy = { 0 };
  const char *login = params->sip_login ? params->sip_login : "sipcast";
  const char *from_domain = params->sip_domain ? params->sip_domain : local_address;
  g_autofree char *domain_port = NULL;
  g_autofree char *domain_transport = NULL;
  g_autofree char *proxy_host = NULL;
  guint proxy_port = 0;
  gboolean callee_is_uri = sipcast_call_params_callee_is_uri (params->callee);

  g_return_val_if_fail (params != NULL && params->callee != NULL, NULL);

  out->transport = g_strdup (sipcast_sip_transport_canonical (default_transport));
  if (out->transport == NULL) {
    g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                 _("Unknown SIP transport “%s” (udp, tcp or tls)"), default_transport);
    return NULL;
  }

  if (params->sip_outbound_proxy != NULL) {
    g_autofree char *proxy_transport = NULL;

    if (!parse_host_port (params->sip_outbound_proxy, &proxy, error)) {
      host_port_clear (&proxy);
      g_prefix_error (error, "sipOutboundProxy: ");
      return NULL;
    }
    if (proxy.transport != NULL) {
      g_free (out->transport);
      out->transport = g_strdup (proxy.transport);
    } else if (callee_is_uri && uri_transport (params->callee) != NULL) {
      g_free (out->transport);
      out->transport = g_strdup (uri_transport (params->callee));
    }
    if (proxy.port == 0)
      proxy.port = params->sip_port;
    proxy_host = g_strdup (proxy.host);
    proxy_port = proxy.port;
    proxy_transport = transport_param (out->transport);
    out->proxy = proxy.port != 0 ?
                 g_strdup_printf ("sip:%s:%u;lr%s%s", proxy.host, proxy.port,
                                  proxy_transport, proxy.params) :
                 g_strdup_printf ("sip:%s;lr%s%s", proxy.host, proxy_transport, proxy.params);
    host_port_clear (&proxy);
  } else if (callee_is_uri && uri_transport (params->callee) != NULL) {
    g_free (out->transport);
    out->transport = g_strdup (uri_transport (params->callee));
  }

  /* Without a proxy the domain itself is where requests go: its port and
   * transport are in the URI.  With one, the URIs name only the domain. */
  if (out->proxy == NULL) {
    domain_port = params->sip_port != 0 ? g_strdup_printf (":%u", params->sip_port) :
                  g_strdup ("");
    domain_transport = transport_param (out->transport);
  } else {
    domain_port = g_strdup ("");
    domain_transport = g_strdup ("");
  }

  if (params->sip_domain != NULL) {
    for (const char *c = params->sip_domain; *c != '\0'; c++) {
      if (!is_host_char (*c) && !strchr ("[]:", *c)) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                     _("sipDomain “%s” is not a host name or address"), params->sip_domain);
        return NULL;
      }
    }
  }

  if (callee_is_uri) {
    out->request_uri = g_strdup (params->callee);
  } else {
    for (const char *c = params->callee; *c != '\0'; c++) {
      if (!is_user_char (*c)) {
        g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                     _("callee “%s” has a character a SIP user part cannot hold; "
                       "give a full sip: URI instead"), params->callee);
        return NULL;
      }
    }
    out->request_uri = g_strdup_printf ("sip:%s@%s%s%s", params->callee, params->sip_domain,
                                        domain_port, domain_transport);
  }

  for (const char *c = login; *c != '\0'; c++) {
    if (!is_user_char (*c)) {
      g_set_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT,
                   _("sipLogin “%s” has a character a SIP user part cannot hold"), login);
      return NULL;
    }
  }

  if (params->visible_name != NULL) {
    g_autofree char *quoted = g_strescape (params->visible_name, NULL);

    out->from = g_strdup_printf ("\"%s\" <sip:%s@%s>", quoted, login, from_domain);
  } else {
    out->from = g_strdup_printf ("<sip:%s@%s>", login, from_domain);
  }

  if (proxy_host != NULL) {
    out->next_hop_host = g_steal_pointer (&proxy_host);
    out->next_hop_port = proxy_port;
  } else if (!callee_is_uri && params->sip_domain != NULL) {
    out->next_hop_host = g_strdup (params->sip_domain);
    out->next_hop_port = params->sip_port;
  }
  /* Over TLS the certificate is checked against the name sofia-sip
   * connects to: it must be the name, not an address of ours. */
  if (out->next_hop_port == 0 || g_str_equal (out->transport, "tls") ||
      g_hostname_is_ip_address (out->next_hop_host) ||
      (out->next_hop_host != NULL && out->next_hop_host[0] == '[')) {
    g_clear_pointer (&out->next_hop_host, g_free);
    out->next_hop_port = 0;
  }

  if (params->sip_domain != NULL) {
    out->registrar = g_strdup_printf ("sip:%s%s%s", params->sip_domain, domain_port,
                                      domain_transport);
    out->aor = g_strdup_printf ("sip:%s@%s", login, params->sip_domain);
  }

  return g_steal_pointer (&out);
}

void
sipcast_sip_addresses_free (SipcastSipAddresses *addresses)
{
  if (addresses == NULL)
    return;
  g_free (addresses->request_uri);
  g_free (addresses->from);
  g_free (addresses->proxy);
  g_free (addresses->registrar);
  g_free (addresses->aor);
  g_free (addresses->transport);
  g_free (addresses->next_hop_host);
  g_free (addresses);
}

void
sipcast_sip_addresses_route_via (SipcastSipAddresses *addresses,
                                 const char          *address)
{
  g_autofree char *transport = transport_param (addresses->transport);
  gboolean ip6 = strchr (address, ':') != NULL;

  g_return_if_fail (addresses->next_hop_host != NULL);

  g_free (addresses->proxy);
  addresses->proxy = g_strdup_printf ("sip:%s%s%s:%u;lr%s", ip6 ? "[" : "", address,
                                      ip6 ? "]" : "", addresses->next_hop_port, transport);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The SIP addresses of an outgoing call, from what /call/startup gave, as
 * a softphone account applies them (README "SIP accounts"):
 *
 * - the Request-URI and To are in the callee's domain, sipDomain
 *   (`sip:callee@sipDomain`); with no outbound proxy, sipPort (when given)
 *   is the domain's port, otherwise the domain is resolved as DNS says
 *   (NAPTR/SRV/A, done by sofia-sip);
 * - with sipOutboundProxy (`host[:port][;transport=tcp|tls]`), every
 *   request is sent to the proxy (a loose route), the URIs stay in the
 *   domain, and sipPort is the proxy's port unless the proxy names one;
 * - the transport is the proxy's `;transport=`, else the callee URI's,
 *   else the configured `[sip] transport`;
 * - From is `"visibleName" <sip:sipLogin@sipDomain>`, REGISTER goes to
 *   `sip:sipDomain` for the address of record `sip:sipLogin@sipDomain`.
 *
 * Pure string work, no I/O: unit-tested in tests/unit/test-sip-address.c.
 */

#include <glib.h>
#include "sipcast-call-params.h"

G_BEGIN_DECLS

typedef struct {
  char *request_uri;  /* INVITE Request-URI, also the To header */
  char *from;         /* From header: name-addr */
  char *proxy;        /* outbound proxy route "sip:host[:port];lr[;transport=…]", or NULL */
  char *registrar;    /* REGISTER Request-URI, NULL without sipDomain */
  char *aor;          /* address of record (REGISTER To/From), NULL without sipDomain */
  char *transport;    /* "udp", "tcp" or "tls" */
  /* The host name (not an address) requests are sent to when its port is
   * known, NULL otherwise.  sofia-sip's resolver asks DNS only (no
   * /etc/hosts, no "localhost"), so the caller resolves such a name with
   * the system's resolver and routes through the address it gets
   * (sipcast_sip_addresses_route_via()); a name without a port is left
   * to sofia-sip, for the NAPTR and SRV records RFC 3263 looks up, and
   * so is any name over TLS, whose certificate must be checked against
   * the name itself. */
  char *next_hop_host;
  guint next_hop_port;
} SipcastSipAddresses;

/* "udp", "tcp" or "tls" (any case) → the lower-case name, else NULL. */
const char *sipcast_sip_transport_canonical (const char *name);

/* @default_transport is the configured `[sip] transport`; @local_address
 * the SIP agent's address (the From domain when there is no sipDomain).
 * SIPCAST_ERROR_INVALID_ARGUMENT for an unusable proxy, callee or
 * transport. */
SipcastSipAddresses *sipcast_sip_addresses_new (const SipcastCallParams *params,
                                                const char              *default_transport,
                                                const char              *local_address,
                                                GError                 **error);
void sipcast_sip_addresses_free (SipcastSipAddresses *addresses);

/* Sends every request to @address (an IPv4 or IPv6 address, the resolved
 * next_hop_host) at next_hop_port: the proxy route points there, the
 * URIs keep their names. */
void sipcast_sip_addresses_route_via (SipcastSipAddresses *addresses,
                                      const char          *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastSipAddresses, sipcast_sip_addresses_free)

G_END_DECLS

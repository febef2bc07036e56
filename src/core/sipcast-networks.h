/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A list of networks in CIDR notation ("10.0.0.0/8, 192.168.1.7,
 * 2001:db8::/32"), as [sip] trusted-networks gives it, and whether an
 * address lies in one of them.  An address without a prefix length is a
 * network of its own alone.  Pure parsing and matching, no I/O.
 */

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _SipcastNetworks SipcastNetworks;

/* @text: networks separated by commas (spaces allowed around them); NULL
 * or empty is the empty list.  NULL with @error (SIPCAST_ERROR_CONFIG)
 * naming the first entry that is not a network. */
SipcastNetworks *sipcast_networks_parse (const char  *text,
                                         GError     **error);
void             sipcast_networks_free  (SipcastNetworks *networks);

gboolean sipcast_networks_is_empty (const SipcastNetworks *networks);
/* Whether @address (an IPv4 or IPv6 literal; an IPv4-mapped IPv6 address
 * counts as its IPv4 address) lies in one of the networks.  FALSE for
 * anything that is not an address. */
gboolean sipcast_networks_contain  (const SipcastNetworks *networks,
                                    const char            *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SipcastNetworks, sipcast_networks_free)

G_END_DECLS

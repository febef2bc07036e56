/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the SIP addresses of an outgoing call: callee
 * (a user or a full sip:/sips: URI), sipDomain, sipLogin, sipAuthName,
 * sipOutboundProxy, visibleName, sipPort and a transport, as a REST
 * client sends them, one per line of the input, into Request-URI, From,
 * registrar, AOR and proxy route.
 */
#include "fuzz-common.h"

#include "sipcast-call-params.h"
#include "sipcast-sip-address.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_auto (GStrv) fields = fuzz_fields (data, size, 8);
  g_autoptr (SipcastSipAddresses) addresses = NULL;
  SipcastCallParams params = { 0 };
  guint64 port = 0;

  if (fields[0] == NULL)
    return 0;
  params.call_id = "fuzz";
  params.callee = fields[0];
  params.sip_domain = fields[1];
  params.sip_login = fields[2];
  params.sip_auth_name = fields[3];
  params.sip_outbound_proxy = fields[4];
  params.visible_name = fields[5];
  if (fields[6] != NULL)
    g_ascii_string_to_unsigned (fields[6], 10, 0, 65535, &port, NULL);
  params.sip_port = (guint) port;

  sipcast_call_params_callee_is_uri (params.callee);
  if (fields[7] != NULL && sipcast_sip_transport_canonical (fields[7]) == NULL)
    return 0;
  addresses = sipcast_sip_addresses_new (&params, fields[7] != NULL ? fields[7] : "udp",
                                         "127.0.0.1", NULL);
  /* As the call does: only a host name with a port is resolved here. */
  if (addresses != NULL && addresses->next_hop_host != NULL)
    sipcast_sip_addresses_route_via (addresses, "127.0.0.2");
  return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-sip-address"

#include <string.h>

#include <glib.h>

#include "sipcast-error.h"
#include "sipcast-sip-address.h"

/*
 * sipDomain / sipOutboundProxy / sipPort / sipLogin / visibleName → the
 * URIs and headers a softphone account would send (README "SIP
 * accounts").
 */

typedef struct {
  const char *callee;
  const char *domain;
  const char *proxy;
  guint port;
  const char *login;
  const char *visible_name;
  const char *transport;   /* [sip] transport */
  /* expected */
  const char *request_uri;
  const char *proxy_route;
  const char *registrar;
  const char *aor;
  const char *from;
  const char *used_transport;
} Case;

static SipcastSipAddresses *
addresses_for (const Case *c,
               GError    **error)
{
  SipcastCallParams params = {
    .callee = (char *) c->callee,
    .sip_domain = (char *) c->domain,
    .sip_outbound_proxy = (char *) c->proxy,
    .sip_port = c->port,
    .sip_login = (char *) c->login,
    .visible_name = (char *) c->visible_name,
  };

  return sipcast_sip_addresses_new (&params, c->transport ? c->transport : "udp",
                                    "192.0.2.1", error);
}

static void
test_softphone_rules (void)
{
  static const Case cases[] = {
    /* No proxy: the domain is where requests go, with the port given. */
    { "1000", "127.0.0.1", NULL, 5070, "alice", NULL, NULL,
      "sip:1000@127.0.0.1:5070", NULL, "sip:127.0.0.1:5070", "sip:alice@127.0.0.1",
      "<sip:alice@127.0.0.1>", "udp" },
    /* No port: DNS (NAPTR/SRV) decides. */
    { "1000", "pbx.example.org", NULL, 0, "alice", "Studio A", NULL,
      "sip:1000@pbx.example.org", NULL, "sip:pbx.example.org", "sip:alice@pbx.example.org",
      "\"Studio A\" <sip:alice@pbx.example.org>", "udp" },
    /* A proxy: the URIs stay in the domain, sipPort is the proxy's. */
    { "1000", "example.invalid", "127.0.0.1", 5070, "alice", NULL, NULL,
      "sip:1000@example.invalid", "sip:127.0.0.1:5070;lr", "sip:example.invalid",
      "sip:alice@example.invalid", "<sip:alice@example.invalid>", "udp" },
    /* The proxy's own port wins; a name is as good as an address. */
    { "1000", "example.invalid", "localhost:5080", 5070, "alice", NULL, NULL,
      "sip:1000@example.invalid", "sip:localhost:5080;lr", "sip:example.invalid",
      "sip:alice@example.invalid", "<sip:alice@example.invalid>", "udp" },
    /* The proxy says its transport... */
    { "1000", "example.invalid", "sip:proxy.example.org:5061;transport=TLS", 0, NULL, NULL, NULL,
      "sip:1000@example.invalid", "sip:proxy.example.org:5061;lr;transport=tls",
      "sip:example.invalid", "sip:sipcast@example.invalid", "<sip:sipcast@example.invalid>",
      "tls" },
    /* ...or the configured one applies, to the proxy... */
    { "1000", "example.invalid", "[::1]:5070", 0, "bob", NULL, "tcp",
      "sip:1000@example.invalid", "sip:[::1]:5070;lr;transport=tcp", "sip:example.invalid",
      "sip:bob@example.invalid", "<sip:bob@example.invalid>", "tcp" },
    /* ...or to the domain. */
    { "1000", "127.0.0.1", NULL, 5070, "bob", NULL, "tcp",
      "sip:1000@127.0.0.1:5070;transport=tcp", NULL, "sip:127.0.0.1:5070;transport=tcp",
      "sip:bob@127.0.0.1", "<sip:bob@127.0.0.1>", "tcp" },
    /* A full callee URI is used as it is, and says its transport. */
    { "sip:1000@10.0.0.5:5062;transport=tcp", NULL, NULL, 0, NULL, NULL, NULL,
      "sip:1000@10.0.0.5:5062;transport=tcp", NULL, NULL, NULL, "<sip:sipcast@192.0.2.1>",
      "tcp" },
    { "sips:1000@pbx.example.org", "pbx.example.org", NULL, 0, "carol", "O'Brien \"OB\"", NULL,
      "sips:1000@pbx.example.org", NULL, "sip:pbx.example.org;transport=tls",
      "sip:carol@pbx.example.org", "\"O'Brien \\\"OB\\\"\" <sip:carol@pbx.example.org>", "tls" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Case *c = &cases[i];
    g_autoptr (GError) error = NULL;
    g_autoptr (SipcastSipAddresses) a = addresses_for (c, &error);

    g_test_message ("case %u: %s @ %s via %s", i, c->callee, c->domain, c->proxy);
    g_assert_no_error (error);
    g_assert_cmpstr (a->request_uri, ==, c->request_uri);
    g_assert_cmpstr (a->proxy, ==, c->proxy_route);
    g_assert_cmpstr (a->registrar, ==, c->registrar);
    g_assert_cmpstr (a->aor, ==, c->aor);
    g_assert_cmpstr (a->from, ==, c->from);
    g_assert_cmpstr (a->transport, ==, c->used_transport);
  }
}

static void
test_refused (void)
{
  static const struct {
    Case c;
    const char *fragment;
  } cases[] = {
    { { "1000", "d.example", "proxy.example:99999", 0 }, "sipOutboundProxy" },
    { { "1000", "d.example", "proxy.example;transport=sctp", 0 }, "sctp" },
    { { "1000", "d.example", "proxy example", 0 }, "sipOutboundProxy" },
    { { "1000", "d.example", ":5060", 0 }, "sipOutboundProxy" },
    { { "1000", "d.example", "[::1", 0 }, "sipOutboundProxy" },
    { { "10 00", "d.example", NULL, 0 }, "callee" },
    { { "1000", "d.example>", NULL, 0 }, "sipDomain" },
    { { "1000", "d.example", NULL, 0, "al ice" }, "sipLogin" },
    { { "1000", "d.example", NULL, 0, NULL, NULL, "sctp" }, "sctp" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (SipcastSipAddresses) a = addresses_for (&cases[i].c, &error);

    g_test_message ("refused %u", i);
    g_assert_null (a);
    g_assert_error (error, SIPCAST_ERROR, SIPCAST_ERROR_INVALID_ARGUMENT);
    if (strstr (error->message, cases[i].fragment) == NULL)
      g_error ("“%s” does not mention “%s”", error->message, cases[i].fragment);
  }
}

static void
test_next_hop (void)
{
  static const struct {
    Case c;
    const char *host;
    guint port;
    const char *route_via;   /* proxy after routing via 127.0.0.1 / ::1 */
  } cases[] = {
    /* a named proxy with a port: resolved by the caller */
    { { "1000", "example.invalid", "localhost:5070" }, "localhost", 5070,
      "sip:127.0.0.1:5070;lr" },
    { { "1000", "example.invalid", "localhost;transport=tcp", 5071 }, "localhost", 5071,
      "sip:127.0.0.1:5071;lr;transport=tcp" },
    /* a named domain with a port and no proxy: the same */
    { { "1000", "pbx.example.org", NULL, 5080 }, "pbx.example.org", 5080,
      "sip:[::1]:5080;lr" },
    /* TLS: the certificate is checked against the name sofia-sip has */
    { { "1000", "example.invalid", "localhost:5061;transport=tls" }, NULL, 0, NULL },
    /* no port: NAPTR/SRV, sofia-sip's */
    { { "1000", "pbx.example.org", NULL, 0 }, NULL, 0, NULL },
    { { "1000", "example.invalid", "proxy.example.org" }, NULL, 0, NULL },
    /* addresses need no resolving */
    { { "1000", "127.0.0.1", NULL, 5060 }, NULL, 0, NULL },
    { { "1000", "example.invalid", "[::1]:5060" }, NULL, 0, NULL },
    /* a callee URI goes where it says */
    { { "sip:1000@pbx.example.org:5060" }, NULL, 0, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GError) error = NULL;
    g_autoptr (SipcastSipAddresses) a = addresses_for (&cases[i].c, &error);

    g_test_message ("next hop %u", i);
    g_assert_no_error (error);
    g_assert_cmpstr (a->next_hop_host, ==, cases[i].host);
    g_assert_cmpuint (a->next_hop_port, ==, cases[i].port);
    if (cases[i].route_via != NULL) {
      const char *request_uri_before = a->request_uri;

      sipcast_sip_addresses_route_via (a, strchr (cases[i].route_via, '[') ? "::1" :
                                       "127.0.0.1");
      g_assert_cmpstr (a->proxy, ==, cases[i].route_via);
      /* the URIs keep the names */
      g_assert_true (a->request_uri == request_uri_before);
    }
  }
}

static void
test_transport_names (void)
{
  g_assert_cmpstr (sipcast_sip_transport_canonical ("UDP"), ==, "udp");
  g_assert_cmpstr (sipcast_sip_transport_canonical ("Tcp"), ==, "tcp");
  g_assert_cmpstr (sipcast_sip_transport_canonical ("tls"), ==, "tls");
  g_assert_null (sipcast_sip_transport_canonical ("sctp"));
  g_assert_null (sipcast_sip_transport_canonical (""));
  g_assert_null (sipcast_sip_transport_canonical (NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sip-address/softphone-rules", test_softphone_rules);
  g_test_add_func ("/sip-address/refused", test_refused);
  g_test_add_func ("/sip-address/next-hop", test_next_hop);
  g_test_add_func ("/sip-address/transport-names", test_transport_names);

  return g_test_run ();
}

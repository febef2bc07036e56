"""Where SIP requests go and how: the outbound proxy (an address or a
name), the Request-URI in sipDomain, UDP, TCP and TLS (with the
peer's certificate checked or not).

    python3 tests/integration/tap.py tests/integration/test_sip_transport.py
"""

import re
import socket
import time

import harness
from gateway import GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status
from sip_tls_peer import TlsSipPeer, make_ca, make_server_cert


def first_request(sipp, method):
    """The first request of method sipp received, as text."""
    match = re.search(r"message received \[\d+\] bytes :\s*\n\s*(%s .*?)\n\n" % method,
                      sipp.messages(), re.S)
    return match.group(1) if match else None


class TransportTestCase(GatewayTestCase):
    def startup_body(self, call_id, sipp, **fields):
        # a field given as None is left out
        body = super().startup_body(call_id, sipp, **fields)
        return {key: value for key, value in body.items() if value is not None}

    def check_call(self, call_id, sipp, rtmp=False, **fields):
        """A call that must be answered and hung up: returns sipp's INVITE."""
        if rtmp:
            fields.update(rtmpUrl=self.nginx.url, rtmpStream=call_id)
        self.start_call(call_id, sipp, **fields)
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        if rtmp:
            self.wait_publishing(call_id)
            probe = harness.ffprobe_streams(self.nginx.url + call_id)
            self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                             [("audio", "aac")], probe)
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)  # got the ACK and the BYE
        return first_request(sipp, "INVITE")


class ProxyAndTransportTest(TransportTestCase):

    def test_outbound_proxy_gets_the_domain_uri(self):
        # the domain does not resolve: only the proxy can be where it went
        sipp = self.sipp("uas-answer-pcma.xml")
        invite = self.check_call("proxied", sipp, rtmp=True, sipDomain="example.invalid",
                                 sipPort=None, sipOutboundProxy="%s:%d" % (LOOPBACK, sipp.port))
        self.assertRegex(invite, r"^INVITE sip:1000@example\.invalid SIP/2\.0")
        self.assertRegex(invite, r"\nTo: <sip:1000@example\.invalid>")
        self.assertRegex(invite, r"\nFrom: <sip:sipcast@example\.invalid>;tag=")
        # in-dialog requests take the proxy too
        self.assertIsNotNone(first_request(sipp, "BYE"), sipp.messages())

    def test_proxy_port_from_sip_port(self):
        sipp = self.sipp("uas-answer-pcma.xml")
        invite = self.check_call("proxyport", sipp, sipDomain="example.invalid",
                                 sipPort=sipp.port, sipOutboundProxy=LOOPBACK)
        self.assertRegex(invite, r"^INVITE sip:1000@example\.invalid SIP/2\.0")

    def test_proxy_by_name(self):
        sipp = self.sipp("uas-answer-pcma.xml")
        self.start_call("byname", sipp, sipDomain="example.invalid", sipPort=None,
                        sipOutboundProxy="localhost:%d" % sipp.port)
        statuses = wait_status(self.sipcast, "byname", "ESTABLISHED", 10)
        self.assertNotIn("FAILED", statuses)
        self.assertRegex(first_request(sipp, "INVITE"),
                         r"^INVITE sip:1000@example\.invalid SIP/2\.0")
        self.terminate("byname")
        wait_status(self.sipcast, "byname", "FINISH", 10)
        self.assert_sipp_passed(sipp)

    def test_unresolvable_proxy_fails(self):
        self.addCleanup(self.hang_up, "noproxy")
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "noproxy", "callee": "1000", "sipDomain": "example.invalid",
            "sipOutboundProxy": "proxy.example.invalid:5060"})
        self.assertEqual((status, answer), (200, {}))
        wait_status(self.sipcast, "noproxy", "FAILED", 15)
        call = self.find("noproxy")
        self.assertEqual(call["sipStatus"], 503, call)
        self.assertIn("proxy.example.invalid", call["statusInfo"], call)

    def test_bad_proxy_is_400(self):
        self.addCleanup(self.hang_up, "badproxy")
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "badproxy", "callee": "1000", "sipDomain": "example.invalid",
            "sipOutboundProxy": "proxy.example:5060;transport=sctp"})
        self.assert_error(answer, status, 400)
        self.assertIn("sctp", answer["message"])

    def test_tcp_through_proxy(self):
        sipp = harness.Sipp("uas-answer-pcma.xml", tcp=True)
        self.addCleanup(sipp.close)
        invite = self.check_call("tcp", sipp, rtmp=True, sipDomain="example.invalid",
                                 sipPort=None,
                                 sipOutboundProxy="%s:%d;transport=tcp" % (LOOPBACK, sipp.port))
        self.assertRegex(invite, r"\nVia: SIP/2\.0/TCP ")
        self.assertRegex(invite, r"\nContact: <sip:sipcast@127\.0\.0\.1:%d;transport=tcp>"
                         % self.sipcast.sip_port)

    def test_tcp_callee_uri(self):
        sipp = harness.Sipp("uas-answer-pcma.xml", tcp=True)
        self.addCleanup(sipp.close)
        invite = self.check_call("tcpuri", sipp, sipDomain=None, sipPort=None,
                                 callee="sip:1000@%s:%d;transport=tcp" % (LOOPBACK, sipp.port))
        self.assertRegex(invite, r"\nVia: SIP/2\.0/TCP ")


class TcpByConfigTest(TransportTestCase):
    """[sip] transport=tcp: a sipDomain with a port is called over TCP."""

    @classmethod
    def sipcast_config(cls):
        return "[sip]\ntransport=tcp\n"

    def test_domain_over_tcp(self):
        sipp = harness.Sipp("uas-answer-pcma.xml", tcp=True)
        self.addCleanup(sipp.close)
        invite = self.check_call("tcpconf", sipp)
        self.assertRegex(invite, r"^INVITE sip:1000@127\.0\.0\.1:%d;transport=tcp SIP/2\.0"
                         % sipp.port)
        self.assertRegex(invite, r"\nVia: SIP/2\.0/TCP ")


class TlsTestCase(TransportTestCase):
    """sipp in Debian has no TLS: the far end is sip_tls_peer.TlsSipPeer."""

    verify = True
    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        directory = harness._new_dir("tls-")
        cls.trusted_ca = make_ca(directory, "trusted-ca")
        cls.other_ca = make_ca(directory, "other-ca")
        # sofia-sip checks the name it connected to against the CN and
        # DNS names; its resolver asks DNS only (no "localhost"), so the
        # peer is reached, and named, as 127.0.0.1
        cls.trusted_cert = make_server_cert(directory, "trusted", cls.trusted_ca, LOOPBACK)
        cls.other_cert = make_server_cert(directory, "other", cls.other_ca, LOOPBACK)
        # sipcast's own certificate, for peers that ask for one
        own = make_server_cert(directory, "sipcast", cls.trusted_ca, "sipcast.test")
        own_dir = harness._new_dir("own-cert-")
        (own_dir / "agent.pem").write_text(own[0].read_text() + own[1].read_text())
        return ("[sip]\ntransaction-timeout=3000\ntls-ca-file=%s\ntls-verify=%s\n"
                "tls-certificate-dir=%s\n" % (cls.trusted_ca[0], "true" if cls.verify else "false",
                                              own_dir))

    def peer(self, cert, client_ca=None):
        peer = TlsSipPeer(cert, client_ca)
        self.addCleanup(peer.close)
        return peer

    def tls_call(self, call_id, peer):
        self.addCleanup(self.hang_up, call_id)
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": call_id, "callee": "1000", "sipDomain": "example.invalid",
            "sipOutboundProxy": "%s:%d;transport=tls" % (LOOPBACK, peer.port)})
        self.assertEqual((status, answer), (200, {}))

    def assert_tls_call_works(self, call_id, peer):
        self.tls_call(call_id, peer)
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        invite = peer.request("INVITE")
        self.assertRegex(invite, r"^INVITE sip:1000@example\.invalid SIP/2\.0")
        self.assertRegex(invite, r"\r\nVia: SIP/2\.0/TLS ")
        self.assertRegex(invite, r"\r\nContact: <sip:sipcast@127\.0\.0\.1:\d+;transport=tls>")
        wait_for(lambda: "ACK" in peer.methods(), 5, message=lambda: peer.methods())
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        wait_for(lambda: "BYE" in peer.methods(), 5, message=lambda: peer.methods())


class TlsVerifiedTest(TlsTestCase):
    verify = True

    def test_listens_on_tls(self):
        self.assertRegex(self.sipcast.log(), r"SIP listening on tls 127\.0\.0\.1:%d"
                         % (self.sipcast.sip_port + 1))

    def test_trusted_certificate(self):
        self.assert_tls_call_works("tlsok", self.peer(self.trusted_cert))

    def test_untrusted_certificate_fails(self):
        peer = self.peer(self.other_cert)
        self.tls_call("tlsbad", peer)
        wait_status(self.sipcast, "tlsbad", "FAILED", 15)
        call = self.find("tlsbad")
        self.assertEqual(call["sipStatus"], 408, call)
        # sofia-sip only lets the transaction time out; the reason is ours
        self.assertEqual(call["statusInfo"],
                         "Failed by request timeout (TLS: unable to get local issuer certificate)",
                         call)
        # the INVITE never reached a peer sipcast does not trust, and the
        # log says why without -v
        self.assertEqual(peer.methods(), [])
        self.assertRegex(self.sipcast.log(), r"WARNING.*TLS: .*unable to get local issuer")


    def test_shows_its_certificate(self):
        # a peer that wants a client certificate gets agent.pem's
        peer = self.peer(self.trusted_cert, client_ca=self.trusted_ca[0])
        self.assert_tls_call_works("tlsclient", peer)
        self.assertEqual(peer.client_subjects[0].get("commonName"), "sipcast.test",
                         peer.client_subjects)

    def test_peer_refusing_our_certificate_fails(self):
        peer = self.peer(self.trusted_cert, client_ca=self.other_ca[0])
        self.tls_call("tlsrefused", peer)
        wait_status(self.sipcast, "tlsrefused", "FAILED", 15)
        self.assertEqual(peer.methods(), [])
        self.assertTrue(peer.handshake_errors)


class TlsUnverifiedTest(TlsTestCase):
    verify = False

    def test_any_certificate(self):
        self.assert_tls_call_works("tlsany", self.peer(self.other_cert))


class TlsWithoutCertificateTest(TransportTestCase):
    """No certificate of sipcast's own: it takes no TLS connections (each
    handshake would fail, and a peer told of the port would try it) and
    says so; a call that needs TLS is refused at /call/startup."""

    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        ca = make_ca(harness._new_dir("tls-none-"), "ca")
        return "[sip]\ntls-ca-file=%s\n" % ca[0]

    def test_does_not_listen_on_tls(self):
        self.assertNotRegex(self.sipcast.log(), r"SIP listening on tls")
        self.assertRegex(self.sipcast.log(), r"TLS off: no certificate of sipcast's own")
        with socket.socket() as sock:
            self.assertNotEqual(sock.connect_ex((LOOPBACK, self.sipcast.sip_port + 1)), 0)

    def test_tls_call_is_refused(self):
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "tlsnone", "callee": "1000", "sipDomain": "example.invalid",
            "sipOutboundProxy": "%s:5061;transport=tls" % LOOPBACK})
        self.assert_error(answer, status, 400)
        self.assertIn("tls-certificate-dir", answer["message"])

"""SIP accounts: digest authentication of the INVITE (401 and 407, right
and wrong password) and registration (sipRegisterRequired) against sipp
far ends that check the credentials themselves.

    python3 tests/integration/tap.py tests/integration/test_sip_auth.py
"""

import hashlib
import re
import socket
import time

import harness
from gateway import GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status

REALM = "sipcast.test"
# the nonce tests/sip/uas-auth.xml challenges with
NONCE = "4a8e1c2f9b7d3e6a5c0f1b2d3e4f5a6b"


def digest_response(user, password, method, uri, realm=REALM, nonce=NONCE):
    """RFC 2617 digest without qop, as the far end computes it."""
    def md5(text):
        return hashlib.md5(text.encode()).hexdigest()
    return md5("%s:%s:%s" % (md5("%s:%s:%s" % (user, realm, password)), nonce,
                             md5("%s:%s" % (method, uri))))


def received(sipp, method):
    """The requests of one method sipp received, as text, in order;
    retransmissions (same Call-ID and CSeq, over UDP) left out."""
    parts = re.split(r"-{20,} [^\n]*\n", sipp.messages())
    requests, seen = [], set()
    for part in parts:
        if not re.match(r"\w+ message received \[\d+\] bytes :\s*\n\s*%s " % method, part):
            continue
        key = (re.search(r"\nCall-ID: *(\S+)", part, re.I).group(1),
               re.search(r"\nCSeq: *(\d+)", part, re.I).group(1))
        if key not in seen:
            seen.add(key)
            requests.append(part)
    return requests


def first_invite(sipp):
    match = re.search(r"\n(INVITE .*)", sipp.messages())
    return match.group(1) if match else ""


def event_index(sipp, pattern):
    """Position in sipp's message trace of the first message matching pattern."""
    parts = re.split(r"-{20,} [^\n]*\n", sipp.messages())
    for index, part in enumerate(parts):
        if re.search(pattern, part, re.M):
            return index
    return None


class AccountTestCase(GatewayTestCase):
    def startup_body(self, call_id, sipp, **fields):
        # a field given as None is left out
        body = super().startup_body(call_id, sipp, **fields)
        return {key: value for key, value in body.items() if value is not None}


class DigestAuthTest(AccountTestCase):
    """The far end challenges the INVITE and checks the answer."""

    def auth_sipp(self, challenge, user, password, expected_response="none"):
        sipp = harness.Sipp("uas-auth.xml", args=(
            "-set", "challenge", challenge, "-set", "user", user,
            "-set", "password", password,
            "-set", "expected_response", 'response="' + expected_response))
        self.addCleanup(sipp.close)
        return sipp

    def assert_two_invites(self, sipp):
        invites = received(sipp, "INVITE")
        self.assertEqual(len(invites), 2, "not one retry with credentials:\n" + self.logs(sipp))
        return invites

    def test_401_right_password_publishes(self):
        # the authentication name differs from the login: the digest must
        # use the one, From the other
        sipp = self.auth_sipp("401", "studio-auth", "s3cret")
        self.start_call("auth401", sipp, sipLogin="studio", sipAuthenticationName="studio-auth",
                        sipPassword="s3cret", visibleName="Studio A",
                        rtmpUrl=self.nginx.url, rtmpStream="auth401")
        statuses = wait_status(self.sipcast, "auth401", "ESTABLISHED", 10)
        self.assertNotIn("FAILED", statuses)
        call = self.wait_publishing("auth401")
        self.assertEqual(call["sipStatus"], 200, call)
        probe = harness.ffprobe_streams(self.nginx.url + "auth401")
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "aac")], probe)

        invites = self.assert_two_invites(sipp)
        self.assertRegex(invites[0], r'\nFrom: "Studio A" <sip:studio@127\.0\.0\.1>;tag=')
        self.assertRegex(invites[1], r'\nAuthorization: Digest username="studio-auth", '
                                     r'realm="sipcast\.test"')
        self.terminate("auth401")
        wait_status(self.sipcast, "auth401", "FINISH", 10)
        self.assert_sipp_passed(sipp)  # 200 only for the right digest, then the BYE
        self.assert_tone_flv(self.nginx.recorded("auth401"), 0.5, 6)

    def test_401_wrong_password_fails(self):
        sipp = self.auth_sipp("401", "studio", "s3cret")
        self.start_call("auth401bad", sipp, sipLogin="studio", sipPassword="wrong")
        wait_status(self.sipcast, "auth401bad", "FAILED", 10)
        call = self.find("auth401bad")
        self.assertEqual((call["sipStatus"], call["statusInfo"]), (403, "Authentication failed"),
                         call)
        # it got the ACK of the 403 and no third INVITE within a second
        self.assert_sipp_passed(sipp)
        self.assert_two_invites(sipp)

    def test_second_challenge_ends_the_call(self):
        sipp = self.sipp("uas-auth-rechallenge.xml")
        self.start_call("rechallenge", sipp, sipLogin="studio", sipPassword="s3cret")
        wait_status(self.sipcast, "rechallenge", "FAILED", 10)
        call = self.find("rechallenge")
        self.assertEqual((call["sipStatus"], call["statusInfo"]), (401, "Authentication failed"),
                         call)
        # no third INVITE within 1.5 s: sipp would have failed on it
        self.assert_sipp_passed(sipp)
        self.assert_two_invites(sipp)

    def test_proxy_and_pbx_realms(self):
        # a 407 from the proxy, then a 401 from the PBX: each answered once
        sipp = harness.Sipp("uas-auth-two-realms.xml",
                            args=("-set", "user", "studio", "-set", "password", "s3cret"))
        self.addCleanup(sipp.close)
        self.start_call("realms", sipp, sipLogin="studio", sipPassword="s3cret")
        wait_status(self.sipcast, "realms", "ESTABLISHED", 10)
        invites = received(sipp, "INVITE")
        self.assertEqual(len(invites), 3, self.logs(sipp))
        self.assertRegex(invites[2], r'\nProxy-Authorization: Digest username="studio", '
                                     r'realm="proxy\.test"')
        self.assertRegex(invites[2], r'\nAuthorization: Digest username="studio", '
                                     r'realm="pbx\.test"')
        self.terminate("realms")
        wait_status(self.sipcast, "realms", "FINISH", 10)
        self.assert_sipp_passed(sipp)

    def test_challenge_without_password(self):
        sipp = self.sipp("uas-auth-rechallenge.xml")
        self.start_call("nopassword", sipp, sipLogin="studio")
        wait_status(self.sipcast, "nopassword", "FAILED", 10)
        call = self.find("nopassword")
        self.assertEqual(call["sipStatus"], 401, call)
        self.assertIn("no sipPassword", call["statusInfo"], call)
        self.assertEqual(len(received(sipp, "INVITE")), 1, self.logs(sipp))

    # A 407 comes from a proxy: sipp is the outbound proxy of a domain, so
    # the Request-URI the digest covers is known before sipp starts.
    def via_proxy(self, sipp):
        return {"sipDomain": "pbx.example.invalid", "sipPort": None,
                "sipOutboundProxy": "%s:%d" % (LOOPBACK, sipp.port)}

    def test_407_right_password(self):
        sipp = self.auth_sipp("407", "studio", "s3cret", digest_response(
            "studio", "s3cret", "INVITE", "sip:1000@pbx.example.invalid"))
        self.start_call("auth407", sipp, sipLogin="studio", sipPassword="s3cret",
                        **self.via_proxy(sipp))
        wait_status(self.sipcast, "auth407", "ESTABLISHED", 10)
        invites = self.assert_two_invites(sipp)
        self.assertRegex(invites[1], r'\nProxy-Authorization: Digest username="studio"')
        self.terminate("auth407")
        wait_status(self.sipcast, "auth407", "FINISH", 10)
        self.assert_sipp_passed(sipp)

    def test_407_wrong_password_fails(self):
        sipp = self.auth_sipp("407", "studio", "s3cret", digest_response(
            "studio", "s3cret", "INVITE", "sip:1000@pbx.example.invalid"))
        self.start_call("auth407bad", sipp, sipLogin="studio", sipPassword="wrong",
                        **self.via_proxy(sipp))
        wait_status(self.sipcast, "auth407bad", "FAILED", 10)
        call = self.find("auth407bad")
        self.assertEqual((call["sipStatus"], call["statusInfo"]), (403, "Authentication failed"),
                         call)
        self.assert_sipp_passed(sipp)
        self.assert_two_invites(sipp)


class RegistrationTest(AccountTestCase):
    """sipRegisterRequired: REGISTER (with a digest), refresh, un-REGISTER."""

    @classmethod
    def sipcast_config(cls):
        # an unreachable registrar must fail the call in seconds
        return "[sip]\ntransaction-timeout=2000\n"

    def test_register_call_refresh_unregister(self):
        sipp = harness.Sipp("uas-register-invite.xml", calls=2,
                            args=("-set", "user", "studio", "-set", "password", "s3cret"))
        self.addCleanup(sipp.close)
        self.start_call("reg", sipp, sipLogin="studio", sipPassword="s3cret",
                        sipRegisterRequired=True, rtmpUrl=self.nginx.url, rtmpStream="reg")
        # the registrar takes 0.7 s to challenge: PENDING meanwhile
        statuses = wait_status(self.sipcast, "reg", "ESTABLISHED", 10)
        self.assertEqual(statuses[0], "PENDING", statuses)
        self.wait_publishing("reg")

        registers = received(sipp, "REGISTER")
        self.assertGreaterEqual(len(registers), 2, self.logs(sipp))
        self.assertRegex(registers[0], r"\nREGISTER sip:127\.0\.0\.1:%d SIP/2\.0" % sipp.port)
        self.assertRegex(registers[0], r"\nTo: <sip:studio@127\.0\.0\.1>")
        self.assertRegex(registers[1], r'\nAuthorization: Digest username="studio"')
        # the INVITE came after the registrar's 200
        self.assertLess(event_index(sipp, r"^SIP/2\.0 200 OK(.|\n)*CSeq: \d+ REGISTER"),
                        event_index(sipp, r"^INVITE "), self.logs(sipp))

        # granted 3 s: nua refreshes before they run out, while the call lives
        wait_for(lambda: len(received(sipp, "REGISTER")) >= 3, 6,
                 message=lambda: "no refresh of the registration\n" + self.logs(sipp))
        self.assertEqual(self.find("reg")["status"], "ESTABLISHED")

        self.terminate("reg")
        wait_status(self.sipcast, "reg", "FINISH", 10)
        # the scenario ends with the un-REGISTER (Expires: 0), after the BYE
        self.assert_sipp_passed(sipp)
        last = received(sipp, "REGISTER")[-1]
        self.assertRegex(last, r"\nExpires: 0", self.logs(sipp))
        self.assertLess(event_index(sipp, r"^BYE "), event_index(sipp, r"\nExpires: 0"),
                        self.logs(sipp))

    def test_register_through_proxy(self):
        # REGISTER sip:DOMAIN, sent to the outbound proxy (sipp plays both)
        sipp = harness.Sipp("uas-register-invite.xml", calls=2,
                            args=("-set", "user", "studio", "-set", "password", "s3cret"))
        self.addCleanup(sipp.close)
        self.start_call("regproxy", sipp, sipLogin="studio", sipPassword="s3cret",
                        sipRegisterRequired=True, sipDomain="example.invalid", sipPort=None,
                        sipOutboundProxy="%s:%d" % (LOOPBACK, sipp.port))
        wait_status(self.sipcast, "regproxy", "ESTABLISHED", 10)
        registers = received(sipp, "REGISTER")
        self.assertRegex(registers[0], r"\nREGISTER sip:example\.invalid SIP/2\.0")
        self.assertRegex(registers[0], r"\nTo: <sip:studio@example\.invalid>")
        self.assertRegex(registers[1], r'\nAuthorization: Digest username="studio", '
                                       r'realm="sipcast\.test", nonce="[0-9a-f]+", '
                                       r'(algorithm=MD5, )?uri="sip:example\.invalid"')
        self.assertRegex(first_invite(sipp), r"^INVITE sip:1000@example\.invalid SIP/2\.0")
        self.terminate("regproxy")
        wait_status(self.sipcast, "regproxy", "FINISH", 10)

    def test_terminate_while_registering(self):
        sipp = harness.Sipp("uas-register-invite.xml", calls=2,
                            args=("-set", "user", "studio", "-set", "password", "s3cret"))
        self.addCleanup(sipp.close)
        self.start_call("regstop", sipp, sipLogin="studio", sipPassword="s3cret",
                        sipRegisterRequired=True)
        wait_status(self.sipcast, "regstop", "PENDING", 5)
        self.terminate("regstop")  # the registrar challenges only after 0.7 s
        wait_status(self.sipcast, "regstop", "FAILED", 5)
        self.assertEqual(self.find("regstop")["statusInfo"], "Request terminated")
        # the REGISTER in flight is still answered (and accepted): it is
        # taken back at once, and no INVITE follows
        wait_for(lambda: re.search(r"\nExpires: 0", "".join(received(sipp, "REGISTER"))), 5,
                 message=lambda: "no un-REGISTER\n" + self.logs(sipp))
        self.assertEqual(received(sipp, "INVITE"), [])

    def test_registrar_refuses(self):
        sipp = harness.Sipp("uas-register-403.xml")
        self.addCleanup(sipp.close)
        self.start_call("reg403", sipp, sipLogin="studio", sipPassword="s3cret",
                        sipRegisterRequired=True)
        statuses = wait_status(self.sipcast, "reg403", "FAILED", 10)
        self.assertEqual(statuses[0], "PENDING", statuses)
        call = self.find("reg403")
        self.assertEqual(call["sipStatus"], 403, call)
        self.assertIn("Registration failed", call["statusInfo"], call)
        self.assertIn("403", call["statusInfo"], call)
        # no INVITE after the refusal (sipp would fail on it)
        self.assert_sipp_passed(sipp)
        self.assertEqual(received(sipp, "INVITE"), [])

    def test_registrar_wrong_password(self):
        sipp = harness.Sipp("uas-register-invite.xml", calls=2,
                            args=("-set", "user", "studio", "-set", "password", "s3cret"))
        self.addCleanup(sipp.close)
        self.start_call("regbad", sipp, sipLogin="studio", sipPassword="wrong",
                        sipRegisterRequired=True)
        wait_status(self.sipcast, "regbad", "FAILED", 10)
        call = self.find("regbad")
        self.assertEqual(call["sipStatus"], 403, call)
        self.assertIn("authentication failed", call["statusInfo"], call)
        self.assertEqual(len(received(sipp, "REGISTER")), 2, self.logs(sipp))
        self.assertEqual(received(sipp, "INVITE"), [])

    def test_registrar_unreachable(self):
        # a port that swallows what it gets: no answer, no ICMP error
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind((LOOPBACK, 0))
        self.addCleanup(sink.close)
        body = {"callId": "regnone", "callee": "1000", "sipDomain": LOOPBACK,
                "sipPort": sink.getsockname()[1], "sipLogin": "studio",
                "sipPassword": "s3cret", "sipRegisterRequired": True}
        self.addCleanup(self.hang_up, "regnone")
        started = time.monotonic()
        status, answer, _ = self.sipcast.rest("/call/startup", body)
        self.assertEqual((status, answer), (200, {}))
        wait_status(self.sipcast, "regnone", "FAILED", 10)
        # transaction-timeout is 2 s
        self.assertLess(time.monotonic() - started, 6)
        call = self.find("regnone")
        self.assertEqual((call["sipStatus"], call["statusInfo"]),
                         (408, "Failed by request timeout"), call)
        sink.settimeout(0)
        self.assertTrue(sink.recv(4096).startswith(b"REGISTER "))


class RegistrationShutdownTest(AccountTestCase):
    """SIGTERM hangs up and takes the registrations back."""

    with_nginx = False

    def test_sigterm_unregisters(self):
        sipp = harness.Sipp("uas-register-invite.xml", calls=2,
                            args=("-set", "user", "studio", "-set", "password", "s3cret"))
        self.addCleanup(sipp.close)
        self.start_call("regterm", sipp, sipLogin="studio", sipPassword="s3cret",
                        sipRegisterRequired=True)
        wait_status(self.sipcast, "regterm", "ESTABLISHED", 10)
        wait_for(lambda: len(received(sipp, "REGISTER")) >= 3, 6,
                 message=lambda: "no refresh of the registration\n" + self.logs(sipp))
        self.sipcast.stop()
        # BYE, then REGISTER with Expires: 0: the scenario's end
        self.assert_sipp_passed(sipp)
        self.assertRegex(received(sipp, "REGISTER")[-1], r"\nExpires: 0")

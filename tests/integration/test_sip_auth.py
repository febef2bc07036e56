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
    """The requests of one method sipp received, as text, in order."""
    parts = re.split(r"-{20,} [^\n]*\n", sipp.messages())
    return [p for p in parts
            if re.match(r"\w+ message received \[\d+\] bytes :\s*\n\s*%s " % method, p)]


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

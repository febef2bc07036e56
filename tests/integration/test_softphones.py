"""Real softphones, not sipp: baresip and linphonec call sipcast and are
called by it.

sipp sends its ACK and in-dialog requests wherever its scenario says;
a phone sends them to the Contact of sipcast's answer (RFC 3261 §12.1),
so a call from one only establishes, holds, resumes and hangs up when that
Contact names the transport and address the call really uses.  The daemon
here listens on TLS too (it has a certificate), so a wrong choice among
its transports would show.  Each call publishes to nginx-rtmp; baresip's
microphone is a 440 Hz tone, checked in the recording.
"""

import re
import subprocess
import time
import unittest

import harness
from gateway import GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status
from sip_tls_peer import make_ca, make_server_cert
from softphones import Baresip, Linphonec, LoopbackInterface

USER, PASSWORD, REALM = "alice", "s3cret", "sipcast-test"
TLS_LINE = re.compile(r"SIP listening on tls 127\.0\.0\.1:(\d+)")


class SoftphoneTestCase(GatewayTestCase):

    @classmethod
    def sipcast_config(cls):
        directory = harness._new_dir("phone-tls-")
        ca = make_ca(directory, "phone-ca")
        cert = make_server_cert(directory, "sipcast", ca, LOOPBACK)
        (directory / "agent.pem").write_text(cert[0].read_text() + cert[1].read_text())
        cls.ca_file = ca[0]
        return """\
[sip]
tls-certificate-dir=%(dir)s
tls-ca-file=%(ca)s

[route phone]
callee=phone-*
rtmp-url=%(url)s
rtmp-stream=${callee}
user=%(user)s
password=%(password)s
realm=%(realm)s
""" % {"dir": directory, "ca": ca[0], "url": cls.nginx.url, "user": USER,
       "password": PASSWORD, "realm": REALM}

    def sipcast_uri(self, callee, transport=None):
        if transport == "tls":
            port = int(TLS_LINE.search(self.sipcast.log_path.read_text()).group(1))
            return "sip:%s@%s:%d;transport=tls" % (callee, LOOPBACK, port)
        return "sip:%s@%s:%d%s" % (callee, LOOPBACK, self.sipcast.sip_port,
                                   ";transport=%s" % transport if transport else "")

    def find_by_callee(self, callee, timeout=10):
        """The live call to callee."""
        def found():
            status, calls, _ = self.sipcast.rest("/call/find", {"callee": callee})
            calls = [c for c in calls if c["status"] not in harness.ENDED] if status == 200 else []
            return calls[-1] if calls else None
        return wait_for(found, timeout, message=lambda: "no call to %s\n%s"
                        % (callee, self.logs()))

    def assert_ends(self, call_id):
        wait_status(self.sipcast, call_id, "FINISH", 10)

    def assert_published(self, stream):
        """The recording of stream: AAC audio, the phone's 440 Hz tone."""
        self.assert_tone_flv(self.nginx.recorded(stream), 0.5, 60)


class BaresipTest(SoftphoneTestCase):

    @classmethod
    def setUpClass(cls):
        try:
            cls.interface = LoopbackInterface()
        except OSError as error:
            raise unittest.SkipTest("baresip needs a 127.0.0.0/8 address on an "
                                    "interface other than lo: %s" % error)
        cls.addClassCleanup(cls.interface.close)
        super().setUpClass()
        # answers sipcast's calls at once; calls sipcast with the route's
        # credentials
        cls.phone = Baresip(cls.interface, "<sip:%s@%s:%d>;auth_pass=%s;regint=0;"
                            "audio_codecs=PCMA,PCMU;answermode=auto"
                            % (USER, LOOPBACK, cls.sipcast.sip_port, PASSWORD),
                            ca_file=cls.ca_file)
        cls.addClassCleanup(cls.phone.close)

    def logs(self, *peers):
        return "\n".join([super().logs(*peers), self.phone.log()])

    def dial(self, callee, transport=None):
        """baresip calls sipcast: the call, once ESTABLISHED on both sides."""
        self.phone.command("dial", self.sipcast_uri(callee, transport))
        call = self.find_by_callee(callee)
        self.addCleanup(self.hang_up, call["callId"])
        wait_status(self.sipcast, call["callId"], "ESTABLISHED", 10)
        self.phone.wait_event("CALL_ESTABLISHED")
        return call

    def test_calls_over_udp_holds_resumes_and_hangs_up(self):
        call = self.dial("phone-udp")
        self.assertEqual((call["caller"], call["incoming"]), (USER, True), call)
        self.wait_publishing(call["callId"])
        # re-INVITEs to our Contact: hold (sendonly), then resume
        self.phone.command("hold")
        wait_status(self.sipcast, call["callId"], "HOLD", 10)
        self.phone.command("resume")
        wait_status(self.sipcast, call["callId"], "ESTABLISHED", 10)
        time.sleep(1)
        self.phone.command("hangup")
        self.phone.wait_event("CALL_CLOSED")
        self.assert_ends(call["callId"])
        self.assert_published("phone-udp")

    def test_calls_over_tcp_and_sipcast_hangs_up(self):
        call = self.dial("phone-tcp", "tcp")
        self.wait_publishing(call["callId"])
        time.sleep(1)
        self.terminate(call["callId"])
        # our BYE reached it, and its 200 reached us
        self.phone.wait_event("CALL_CLOSED")
        self.assert_ends(call["callId"])
        self.assert_published("phone-tcp")

    def test_calls_over_tls(self):
        call = self.dial("phone-tls", "tls")
        self.wait_publishing(call["callId"])
        self.phone.command("hold")
        wait_status(self.sipcast, call["callId"], "HOLD", 10)
        self.phone.command("hangup")
        self.phone.wait_event("CALL_CLOSED")
        self.assert_ends(call["callId"])

    def test_called_by_sipcast(self):
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "to-baresip", "callee": USER, "sipDomain": self.phone.address,
            "sipPort": str(self.phone.sip_port), "hasAudio": "true", "hasVideo": "false",
            "rtmpUrl": self.nginx.url, "rtmpStream": "to-baresip"})
        self.assertEqual((status, answer), (200, {}), self.logs())
        self.addCleanup(self.hang_up, "to-baresip")
        wait_status(self.sipcast, "to-baresip", "ESTABLISHED", 10)
        self.phone.wait_event("CALL_ESTABLISHED")
        self.wait_publishing("to-baresip")
        # its re-INVITE and BYE go to the Contact of our INVITE
        self.phone.command("hold")
        wait_status(self.sipcast, "to-baresip", "HOLD", 10)
        self.phone.command("resume")
        wait_status(self.sipcast, "to-baresip", "ESTABLISHED", 10)
        self.phone.command("hangup")
        self.phone.wait_event("CALL_CLOSED")
        self.assert_ends("to-baresip")
        self.assert_published("to-baresip")


class LinphoneTest(SoftphoneTestCase):
    """linphonec on 127.0.0.1 (it has no objection to lo), IPv4 only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.phone = Linphonec(LOOPBACK, USER, PASSWORD, REALM, auto_answer=True)
        cls.addClassCleanup(cls.phone.close)
        # its microphone: the tone baresip's ausine plays
        cls.tone = harness._new_dir("linphone-tone-") / "tone.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=8000:duration=60", cls.tone],
                       check=True, timeout=30)

    def logs(self, *peers):
        return "\n".join([super().logs(*peers), self.phone.log()])

    def test_calls_holds_resumes_and_hangs_up(self):
        self.phone.send("call %s" % self.sipcast_uri("phone-linphone"))
        call = self.find_by_callee("phone-linphone")
        self.addCleanup(self.hang_up, call["callId"])
        wait_status(self.sipcast, call["callId"], "ESTABLISHED", 10)
        self.phone.wait_output(r"Call \d+ with \S*phone-linphone\S* connected")
        self.phone.play(self.tone)
        self.wait_publishing(call["callId"])
        self.phone.send("pause")
        wait_status(self.sipcast, call["callId"], "HOLD", 10)
        self.phone.send("resume")
        wait_status(self.sipcast, call["callId"], "ESTABLISHED", 10)
        self.phone.send("terminate")
        self.assert_ends(call["callId"])
        self.phone.wait_output(r"Call \d+ with \S*phone-linphone\S* ended")
        self.assert_published("phone-linphone")

    def test_called_by_sipcast_and_hung_up(self):
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "to-linphone", "callee": USER, "sipDomain": LOOPBACK,
            "sipPort": str(self.phone.sip_port), "hasAudio": "true", "hasVideo": "false",
            "rtmpUrl": self.nginx.url, "rtmpStream": "to-linphone"})
        self.assertEqual((status, answer), (200, {}), self.logs())
        self.addCleanup(self.hang_up, "to-linphone")
        wait_status(self.sipcast, "to-linphone", "ESTABLISHED", 10)
        self.phone.wait_output(r"Call \d+ with \S*sipcast\S* connected")
        self.phone.play(self.tone)
        self.wait_publishing("to-linphone")
        time.sleep(1)
        self.terminate("to-linphone")
        self.phone.wait_output(r"Call \d+ with \S*sipcast\S* ended")
        self.assert_ends("to-linphone")
        self.assert_published("to-linphone")

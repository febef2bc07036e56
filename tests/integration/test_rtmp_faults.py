"""A call's own RTMP stream when the RTMP server misbehaves: refused,
restarted, late, never there, rejecting the publish; and a file:// target
that cannot be written. The call stays up through all of it; only
rtmpStreamStatus (and rtmpStreamStatusInfo, the reason) tell.

    python3 tests/integration/tap.py test_rtmp_faults
"""

import random
import re
import socket
import subprocess
import time
import unittest

import harness
from gateway import PCMA_PT, GatewayTestCase, RtpSink
from harness import LOOPBACK, wait_for, wait_status
from test_push import long_tone_scenario

WAIT = "RTMP_STREAM_WAIT"
ACTIVE = "RTMP_STREAM_ACTIVE"
LOST = "RTMP_CONNECTION_LOST"
FAILED = "RTMP_CONNECTION_FAILED"
# telephone-event in tests/sip/uas-talkback.xml's answer
TELEPHONE_EVENT_PT = 101


class RtmpFaultTestCase(GatewayTestCase):

    def wait_rtmp(self, call_id, status, timeout, seen=None):
        """Poll until the call's rtmpStreamStatus is status; the statuses
        seen, in order. The call must stay ESTABLISHED all the while."""
        seen = [] if seen is None else seen

        def reached():
            call = self.find(call_id)
            self.assertEqual(call["status"], "ESTABLISHED",
                             "the call did not stay up: %s\n%s" % (call, self.logs()))
            if not seen or seen[-1] != call["rtmpStreamStatus"]:
                seen.append(call["rtmpStreamStatus"])
            return call if call["rtmpStreamStatus"] == status else None

        call = wait_for(reached, timeout, interval=0.05,
                        message=lambda: "%s never %s; seen %s\n%s"
                        % (call_id, status, seen, self.logs()))
        return seen, call

    def assert_call_works(self, call_id, sipp):
        """Talk-back and DTMF still work, and it ends FINISH when hung up."""
        status, answer, _ = self.sipcast.rest("/call/send_dtmf",
                                              {"callId": call_id, "dtmf": "1"})
        self.assertEqual((status, answer), (200, {}), self.logs(sipp))
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)

    def assert_audio_aac(self, url):
        probe = harness.ffprobe_streams(url)
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "aac")], probe)


class ServerOutageTest(RtmpFaultTestCase):
    """nginx goes away and comes back, or comes late: the call reconnects."""

    @classmethod
    def sipcast_config(cls):
        return "[rtmp]\nretry-budget=20\n"

    def restart_nginx_at_cleanup(self):
        self.addCleanup(lambda: self.nginx.proc.poll() is None or self.nginx.start())

    def test_server_restart_mid_call(self):
        # the tone lasts through the outage
        sipp = self.sipp(str(long_tone_scenario()))
        self.start_call("restart", sipp, rtmpUrl=self.nginx.url, rtmpStream="restart")
        wait_status(self.sipcast, "restart", "ESTABLISHED", 10)
        self.wait_rtmp("restart", ACTIVE, 10)
        self.assertIsNone(self.find("restart")["rtmpStreamStatusInfo"])

        self.restart_nginx_at_cleanup()
        self.nginx.stop()
        seen, call = self.wait_rtmp("restart", LOST, 5, [ACTIVE])
        self.assertEqual(seen, [ACTIVE, LOST])
        self.assertIsInstance(call["rtmpStreamStatusInfo"], str, call)
        time.sleep(2)  # attempts fail while the server is gone
        call = self.find("restart")
        self.assertEqual(call["rtmpStreamStatus"], LOST, call)
        self.assertIn("refused", call["rtmpStreamStatusInfo"], call)

        self.nginx.start()
        seen, call = self.wait_rtmp("restart", ACTIVE, 15, seen)
        self.assertEqual(seen, [ACTIVE, LOST, ACTIVE])
        self.assertIsNone(call["rtmpStreamStatusInfo"], call)
        self.assertEqual(len(self.nginx.events("publish", "restart")), 2, self.nginx.events())
        # the new connection is a stream a player reads from its start
        self.assert_audio_aac(self.nginx.url + "restart")
        time.sleep(2)
        self.assert_call_works("restart", sipp)
        # the recording of the second publish (the first one's died with
        # its server, unfinished) holds the tone
        wait_for(lambda: self.nginx.events("record_done", "restart"), 15,
                 message=lambda: "never recorded: %s" % self.nginx.events(name="restart"))
        self.assert_tone_flv(self.nginx.rec_dir / "restart.flv", 1.5, 20)

    def test_server_starts_late(self):
        self.restart_nginx_at_cleanup()
        self.nginx.stop()
        sipp = self.sipp(str(long_tone_scenario()))
        self.start_call("late", sipp, rtmpUrl=self.nginx.url, rtmpStream="late")
        wait_status(self.sipcast, "late", "ESTABLISHED", 10)
        time.sleep(2)
        call = self.find("late")
        self.assertEqual(call["rtmpStreamStatus"], WAIT, call)
        self.assertIn("refused", call["rtmpStreamStatusInfo"], call)

        self.nginx.start()
        seen, _ = self.wait_rtmp("late", ACTIVE, 15, [WAIT])
        self.assertEqual(seen, [WAIT, ACTIVE])
        self.assert_audio_aac(self.nginx.url + "late")
        self.assert_call_works("late", sipp)

    def test_rejected_publish(self):
        # another publisher holds the name: nginx-rtmp refuses a second one
        other = subprocess.Popen(
            ["gst-launch-1.0", "-q", "audiotestsrc", "is-live=true", "!", "voaacenc", "!",
             "aacparse", "!", "flvmux", "streamable=true", "!", "rtmp2sink",
             "location=%staken" % self.nginx.url],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: other.poll() is not None or (other.kill(), other.wait()))
        wait_for(lambda: self.nginx.events("publish", "taken"), 10,
                 message=lambda: "the other publisher never got in\n" + self.nginx.log())

        sipp = self.sipp(str(long_tone_scenario()))
        self.start_call("rejected", sipp, rtmpUrl=self.nginx.url, rtmpStream="taken")
        wait_status(self.sipcast, "rejected", "ESTABLISHED", 10)
        wait_for(lambda: self.find("rejected")["rtmpStreamStatusInfo"], 10,
                 message=lambda: "no reason given\n" + self.logs(sipp))
        call = self.find("rejected")
        self.assertEqual(call["rtmpStreamStatus"], WAIT, call)
        # the reason names what happened
        self.assertIn("rejected the publish", call["rtmpStreamStatusInfo"], call)
        self.assertRegex(call["rtmpStreamStatusInfo"], r"(?i)already", call)
        self.assertRegex(self.sipcast.log_path.read_text(errors="replace"),
                         r"rejected: RTMP stream RTMP_STREAM_WAIT: .*already", self.sipcast.log())

        # the name comes free: the next attempt gets it
        other.terminate()
        other.wait(10)
        seen, _ = self.wait_rtmp("rejected", ACTIVE, 15, [WAIT])
        self.assertEqual(seen, [WAIT, ACTIVE])
        self.assert_call_works("rejected", sipp)

    def test_publish_refused_by_on_publish(self):
        # the server's publish check (on_publish) answers 403
        self.nginx.deny("forbidden")
        self.addCleanup(self.nginx.deny, "forbidden", False)
        sipp = self.sipp(str(long_tone_scenario()))
        self.start_call("forbidden", sipp, rtmpUrl=self.nginx.url, rtmpStream="forbidden")
        wait_status(self.sipcast, "forbidden", "ESTABLISHED", 10)
        wait_for(lambda: self.find("forbidden")["rtmpStreamStatusInfo"], 10,
                 message=lambda: "no reason given\n" + self.logs(sipp))
        call = self.find("forbidden")
        self.assertEqual(call["rtmpStreamStatus"], WAIT, call)
        self.assertIn("rejected the publish", call["rtmpStreamStatusInfo"], call)
        self.assertTrue([e for e in self.nginx.events("publish", "forbidden") if e.get("denied")])

        # allowed again: the next attempt publishes
        self.nginx.deny("forbidden", False)
        seen, _ = self.wait_rtmp("forbidden", ACTIVE, 15, [WAIT])
        self.assertEqual(seen, [WAIT, ACTIVE])
        self.assert_audio_aac(self.nginx.url + "forbidden")
        self.assert_call_works("forbidden", sipp)


class NoServerTest(RtmpFaultTestCase):
    """Nothing listens: the stream gives up after the budget; the call
    does not."""

    with_nginx = False
    BUDGET = 3

    @classmethod
    def sipcast_config(cls):
        # the far end's SDP names the test's RTP sink while sipp sends
        # from its own port: symmetric RTP would follow sipp instead
        return "[rtmp]\nretry-budget=%d\n[rtp]\nsymmetric=false\n" % cls.BUDGET

    def test_never_started_fails_after_budget(self):
        url = "rtmp://%s:%d/live/" % (LOOPBACK, harness.free_port())
        # the far end names a test socket as its RTP address: what sipcast
        # sends toward the call is seen
        sink = RtpSink()
        self.addCleanup(sink.close)
        sipp = harness.Sipp("uas-talkback.xml", args=("-set", "rtp_sink", str(sink.port)))
        self.addCleanup(sipp.close)
        self.start_call("nowhere", sipp, rtmpUrl=url, rtmpStream="x")
        wait_status(self.sipcast, "nowhere", "ESTABLISHED", 10)
        started = time.monotonic()
        seen, call = self.wait_rtmp("nowhere", FAILED, self.BUDGET + 5, [WAIT])
        elapsed = time.monotonic() - started
        self.assertEqual(seen, [WAIT, FAILED])
        self.assertGreater(elapsed, self.BUDGET - 0.5, "gave up before the budget")
        self.assertIn("refused", call["rtmpStreamStatusInfo"], call)
        # attempts at 0, 1 and 3 s, each logged with its reason
        log = self.sipcast.log_path.read_text(errors="replace")
        self.assertEqual(len(re.findall(r"nowhere: RTMP stream .*refused", log)), 3,
                         self.sipcast.log())

        # given up: no more attempts, and the call goes on: the far end
        # still hears the gateway, DTMF included
        since = time.monotonic()
        time.sleep(1.5)
        self.assertEqual(self.find("nowhere")["rtmpStreamStatus"], FAILED)
        self.assertEqual(len(re.findall(r"nowhere: RTMP stream .*refused",
                                        self.sipcast.log_path.read_text(errors="replace"))), 3)
        self.assertGreater(len(sink.received(pt=PCMA_PT, since=since)), 50,
                           "talk-back stopped\n" + self.sipcast.log())
        status, answer, _ = self.sipcast.rest("/call/send_dtmf",
                                              {"callId": "nowhere", "dtmf": "5"})
        self.assertEqual((status, answer), (200, {}))
        wait_for(lambda: sink.received(pt=TELEPHONE_EVENT_PT, since=since), 5,
                 message=lambda: "no RFC 2833 event reached the far end\n" + self.sipcast.log())
        self.terminate("nowhere")
        wait_status(self.sipcast, "nowhere", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        self.assertEqual(self.find("nowhere")["rtmpStreamStatus"], FAILED)

    def test_unwritable_file_fails_at_once(self):
        path = harness.run_dir() / "no-such-dir" / "x.flv"
        sipp = self.sipp("uas-answer-pcmu.xml")
        self.start_call("nofile", sipp, rtmpUrl="file://%s" % path)
        wait_status(self.sipcast, "nofile", "ESTABLISHED", 10)
        seen, call = self.wait_rtmp("nofile", FAILED, 3, [WAIT])
        self.assertIn(str(path), call["rtmpStreamStatusInfo"], call)
        time.sleep(1.5)
        # no retry: one failure in the log
        log = self.sipcast.log_path.read_text(errors="replace")
        self.assertEqual(len(re.findall(r"nofile: RTMP stream .*no-such-dir", log)), 1,
                         self.sipcast.log())
        self.assert_call_works("nofile", sipp)

    def test_call_ended_before_publishing(self):
        url = "rtmp://%s:%d/live/" % (LOOPBACK, harness.free_port())
        sipp = self.sipp("uas-busy.xml")
        self.start_call("unpublished", sipp, rtmpUrl=url, rtmpStream="x")
        wait_status(self.sipcast, "unpublished", "BUSY", 10)
        self.assert_sipp_passed(sipp)
        # never published: not left waiting forever
        call = wait_for(lambda: (lambda c: c if c["rtmpStreamStatus"] != WAIT else None)(
            self.find("unpublished")), 5, message=lambda: str(self.find("unpublished")))
        self.assertEqual(call["rtmpStreamStatus"], FAILED, call)
        self.assertEqual(call["rtmpStreamStatusInfo"],
                         "The call ended before publishing started", call)


class SilentServer:
    """A TCP server on 127.0.0.1 that never says a word: an RTMP server
    hung in its handshake. The kernel completes the connections of its
    backlog; nothing accepts them."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(64)
        self.url = "rtmp://%s:%d/live/" % (LOOPBACK, self.sock.getsockname()[1])

    def close(self):
        self.sock.close()


def sip_options_latency(port, timeout=10):
    """Seconds sipcast takes to answer an OPTIONS on its UDP SIP port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((LOOPBACK, 0))
        sock.settimeout(timeout)
        local = sock.getsockname()[1]
        tag = "%08x" % random.getrandbits(32)
        request = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport\r\n"
                   "Max-Forwards: 70\r\n"
                   "From: <sip:probe@%s>;tag=%s\r\n"
                   "To: <sip:sipcast@%s>\r\n"
                   "Call-ID: %s@probe\r\n"
                   "CSeq: 1 OPTIONS\r\n"
                   "Content-Length: 0\r\n\r\n"
                   % (LOOPBACK, port, LOOPBACK, local, tag, LOOPBACK, tag, LOOPBACK, tag))
        started = time.monotonic()
        sock.sendto(request.encode(), (LOOPBACK, port))
        while True:
            data = sock.recv(65535)
            if data.startswith(b"SIP/2.0 ") and not data.startswith(b"SIP/2.0 1"):
                return time.monotonic() - started
    finally:
        sock.close()


class SilentServerTest(RtmpFaultTestCase):
    """The RTMP server takes the TCP connection and never answers: each
    attempt waits rtmp2sink's 5 s timeout, and while it waits the muxer and
    the RTP thread in front of it are stuck. Hanging up then must not
    stall the daemon (SIP and REST run on one thread for every call)."""

    with_nginx = False

    def silent_server(self):
        server = SilentServer()
        self.addCleanup(server.close)
        return server

    def stuck_call(self, sipcast, call_id, url):
        """A call whose audio has backed up behind the connecting sink; its
        sipp."""
        sipp = self.sipp(str(long_tone_scenario()))
        status, answer, _ = sipcast.rest("/call/startup", self.startup_body(
            call_id, sipp, rtmpUrl=url, rtmpStream=call_id))
        self.assertEqual((status, answer), (200, {}), sipcast.log())
        wait_status(sipcast, call_id, "ESTABLISHED", 10)
        return sipp

    def test_hang_up_while_connecting(self):
        server = self.silent_server()
        sipp = self.stuck_call(self.sipcast, "stuck", server.url)
        self.addCleanup(self.hang_up, "stuck")
        time.sleep(1.5)
        self.assertEqual(self.find("stuck")["rtmpStreamStatus"], WAIT)

        self.terminate("stuck")
        # the BYE is answered and the media stopped meanwhile: REST and
        # SIP answer at once all along
        worst_rest = worst_sip = 0.0
        until = time.monotonic() + 2
        while time.monotonic() < until:
            started = time.monotonic()
            self.find("stuck")
            worst_rest = max(worst_rest, time.monotonic() - started)
            worst_sip = max(worst_sip, sip_options_latency(self.sipcast.sip_port))
        self.assertLess(worst_rest, 0.5, "a REST request took %.2f s\n%s"
                        % (worst_rest, self.sipcast.log()))
        self.assertLess(worst_sip, 0.5, "an OPTIONS took %.2f s to answer\n%s"
                        % (worst_sip, self.sipcast.log()))
        wait_status(self.sipcast, "stuck", "FINISH", 5)
        call = self.find("stuck")
        self.assert_sipp_passed(sipp)
        # nothing was published: the stream ends without waiting out its
        # grace period
        self.assertNotIn("did not finish within", self.sipcast.log_path.read_text(errors="replace"))
        self.assertEqual(call["rtmpStreamStatus"], FAILED, call)

    def test_shutdown_with_calls_connecting(self):
        server = self.silent_server()
        sipcast = harness.Sipcast()
        self.addCleanup(sipcast.close)
        sipps = [self.stuck_call(sipcast, "stuck%d" % n, server.url) for n in range(3)]
        time.sleep(1.5)

        started = time.monotonic()
        sipcast.stop()
        took = time.monotonic() - started
        log = sipcast.log_path.read_text(errors="replace")
        # each call hung up, its stream ended at once: no stall per call
        # adding up, nor the registry's grace period
        self.assertLess(took, 3, "SIGTERM took %.1f s\n%s" % (took, sipcast.log()))
        self.assertNotIn("did not end within", log)
        for sipp in sipps:
            self.assert_sipp_passed(sipp)


if __name__ == "__main__":
    unittest.main()

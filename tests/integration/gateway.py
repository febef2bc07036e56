"""The base of sipcast's integration test classes: one nginx-rtmp and one
sipcast per class, sipp far ends per test, and the assertions they share."""

import socket
import struct
import threading
import time
import unittest

import harness
from harness import LOOPBACK, wait_for, wait_status

PCMA_PT = 8

# The Call object's keys, in the order of the reference API.
CALL_KEYS = [
    "custom", "nodeId", "appKey", "sessionId", "callId", "parentCallId",
    "incoming", "status", "sipStatus", "rtmpUrl", "rtmpStream", "streamName",
    "rtmpStreamStatus", "caller", "callee", "hasAudio", "hasVideo", "sdp",
    "visibleName", "inviteParameters", "mediaProvider", "sipMessageRaw",
    "isMsrp", "target", "holdForTransfer",
]
BOOLEAN_KEYS = ["incoming", "hasAudio", "hasVideo", "isMsrp", "holdForTransfer"]

# Mean volume of the sipp tone is -15 dBFS; digital silence is -91.
TONE_MIN_DB = -30
TONE_HZ = 440


class UdpListener:
    """A UDP socket on 127.0.0.1 (@port, or any free one) that hands every
    datagram it receives to handle() on a background thread until close().
    Subclasses set up what handle() fills before calling this __init__."""

    def __init__(self, port=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, port))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            try:
                data, _ = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            self.handle(data)

    def handle(self, data):
        raise NotImplementedError

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


class RtpSink(UdpListener):
    """Records every RTP packet it receives, with the arrival time."""

    def __init__(self):
        self.packets = []
        self.lock = threading.Lock()
        super().__init__(harness.free_udp_port_pair())

    def handle(self, data):
        if len(data) < 12 or data[0] >> 6 != 2:
            return
        marker_pt, seq, ts, ssrc = struct.unpack("!BHII", data[1:12])
        header = 12 + 4 * (data[0] & 0x0F)
        with self.lock:
            self.packets.append({"time": time.monotonic(), "pt": marker_pt & 0x7F,
                                 "marker": bool(marker_pt & 0x80), "seq": seq,
                                 "ts": ts, "ssrc": ssrc, "payload": data[header:]})

    def received(self, pt=None, since=0.0):
        with self.lock:
            return [p for p in self.packets
                    if (pt is None or p["pt"] == pt) and p["time"] >= since]


# For classes whose calls go to tests/sip/uas-talkback.xml: that far end
# plays its tone from sipp's media port while its SDP names the test's
# RtpSink, which symmetric RTP (the default) would take for a NAT and
# follow, away from the sink.
TALKBACK_CONFIG = "[rtp]\nsymmetric=false\n"


class GatewayTestCase(unittest.TestCase):
    """One nginx-rtmp and one sipcast for the class; sipps per test."""

    sipcast_args = ()
    with_nginx = True
    # (soft, hard) RLIMIT_NOFILE of the daemon, None: the test runner's
    sipcast_nofile = None

    @classmethod
    def sipcast_config(cls):
        return None

    @classmethod
    def setUpClass(cls):
        cls.nginx = None
        if cls.with_nginx:
            cls.nginx = harness.Nginx()
            cls.addClassCleanup(cls.nginx.close)
        cls.sipcast = harness.Sipcast(cls.sipcast_args, cls.sipcast_config(),
                                      nofile=cls.sipcast_nofile)
        cls.addClassCleanup(cls.sipcast.close)

    @classmethod
    def tearDownClass(cls):
        # every class checks the daemon shuts down cleanly on SIGTERM
        cls.sipcast.stop()

    def sipp(self, scenario):
        sipp = harness.Sipp(scenario)
        self.addCleanup(sipp.close)
        return sipp

    def logs(self, *sipps):
        parts = [self.sipcast.log()] + [sipp.log() for sipp in sipps]
        if self.nginx is not None:
            parts.append(self.nginx.log())
        return "\n".join(parts)

    def startup_body(self, call_id, sipp, **fields):
        body = {"callId": call_id, "callee": "1000", "sipDomain": LOOPBACK,
                "sipPort": str(sipp.port), "hasAudio": "true",
                "hasVideo": "false", "sipLogin": "sipcast",
                "sipRegisterRequired": "false"}
        body.update(fields)
        return body

    def start_call(self, call_id, sipp, auth=None, **fields):
        """POST /call/startup to sipp; hangs the call up at cleanup."""
        status, answer, _ = self.sipcast.rest(
            "/call/startup", self.startup_body(call_id, sipp, **fields), auth=auth)
        self.assertEqual((status, answer), (200, {}), self.logs(sipp))
        self.addCleanup(self.hang_up, call_id, auth)

    def hang_up(self, call_id, auth=None):
        # leaves no live call (nor RTMP stream) behind for the next test,
        # whatever this one did; the daemon may be gone already
        try:
            self.sipcast.rest("/call/terminate", {"callId": call_id}, auth=auth)
        except OSError:
            pass

    def terminate(self, call_id):
        status, answer, _ = self.sipcast.rest("/call/terminate", {"callId": call_id})
        self.assertEqual((status, answer), (200, {}), self.sipcast.log())

    def find(self, call_id):
        status, calls, _ = self.sipcast.rest("/call/find", {"callId": call_id})
        self.assertEqual(status, 200, calls)
        self.assertEqual(len(calls), 1, calls)
        return calls[0]

    def wait_publishing(self, call_id, timeout=10):
        """The call, once its RTMP stream is RTMP_STREAM_ACTIVE."""
        def active():
            call = self.find(call_id)
            return call if call["rtmpStreamStatus"] == "RTMP_STREAM_ACTIVE" else None
        return wait_for(active, timeout, message=lambda: "%s never RTMP_STREAM_ACTIVE: %s\n%s"
                        % (call_id, self.find(call_id), self.logs()))

    def assert_error(self, answer, status, expected_status, headers=None):
        """An error answer: the status, and a JSON {"error", "message"} body."""
        self.assertEqual(status, expected_status, answer)
        self.assertIsInstance(answer, dict, answer)
        self.assertIsInstance(answer.get("error"), str, answer)
        self.assertIsInstance(answer.get("message"), str, answer)
        if headers is not None:
            self.assertTrue(headers.get("Content-Type", "").startswith("application/json"),
                            headers)

    def assert_sipp_passed(self, sipp, timeout=15):
        self.assertEqual(sipp.wait(timeout), 0, self.logs(sipp))

    def assert_tone_flv(self, path, min_seconds, max_seconds):
        """path is an FLV holding only AAC audio: the far end's tone."""
        probe = harness.ffprobe_streams(path)
        self.assertEqual(probe["format"]["format_name"], "flv", probe)
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "aac")], probe)
        duration = harness.audio_duration(path)
        self.assertTrue(min_seconds <= duration <= max_seconds,
                        "%s holds %.2f s of audio, not %g-%g s"
                        % (path, duration, min_seconds, max_seconds))
        self.assertGreater(harness.mean_volume(path), TONE_MIN_DB, "silence in %s" % path)
        self.assertAlmostEqual(harness.tone_frequency(path), TONE_HZ,
                               delta=TONE_HZ * 0.03, msg="not the 440 Hz tone: %s" % path)

    def talkback_call(self, call_id):
        """An established call to tests/sip/uas-talkback.xml, whose far end
        names an RtpSink as its RTP address: (sipp, sink).  The class's
        configuration must hold TALKBACK_CONFIG."""
        sink = RtpSink()
        self.addCleanup(sink.close)
        sipp = harness.Sipp("uas-talkback.xml", args=("-set", "rtp_sink", str(sink.port)))
        self.addCleanup(sipp.close)
        self.start_call(call_id, sipp)
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        return sipp, sink

"""The SIP dialog as the far end drives it (issue 3 items 4, 5 and 7).

Every status of SPEC.md from a real exchange with sipp: provisional
responses with and without SDP (early media published before the
answer), refusals, no answer, an unreachable far end, silence on the RTP
path, hold and resume, session refreshes, media moving in a re-INVITE,
symmetric RTP, transaction timeouts and the expiry of ended calls.

    python3 tests/integration/tap.py test_dialog
"""

import re
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from gateway import GatewayTestCase, RtpSink
from harness import LOOPBACK, wait_for, wait_status

PCMA_PT = 8
PCMU_PT = 0


def statuses_until(sipcast, call_id, final, timeout):
    """The distinct statuses the call goes through until final."""
    return wait_status(sipcast, call_id, final, timeout)


class ToneSender:
    """Sends a 440 Hz PCMA tone as RTP, 20 ms packets, from a socket of
    the test's (e.g. an RtpSink's), to sipcast's RTP port."""

    def __init__(self, sock, port, host=LOOPBACK):
        import math
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import audioop  # deprecated, but in the 3.11 standard library
        samples = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 8000)))
                           for n in range(160))
        self.payload = audioop.lin2alaw(samples, 2)
        self.sock = sock
        self.port = port
        self.host = host
        self.running = True
        self.sent = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        seq, ts, ssrc = 1, 0, 0x5eed1234
        start = time.monotonic()
        while self.running:
            header = struct.pack("!BBHII", 0x80, PCMA_PT, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
            try:
                self.sock.sendto(header + self.payload, (self.host, self.port))
            except OSError:
                return
            self.sent += 1
            seq += 1
            ts += 160
            delay = start + self.sent * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stop(self):
        self.running = False
        self.thread.join(2)


class PcapSender(ToneSender):
    """Replays the RTP payloads of a tests/media capture in a loop, as one
    continuous stream whose payload type the test may change."""

    def __init__(self, sock, port, pcap, pt, ts_step):
        self.payloads = self.read_payloads(pcap)
        self.pt = pt
        self.ts_step = ts_step
        self.sock, self.port = sock, port
        self.running, self.sent = True, 0
        self.first = 0  # the packet sent with payloads[0]
        self.thread = threading.Thread(target=self._replay, daemon=True)
        self.thread.start()

    @staticmethod
    def read_payloads(pcap):
        """The RTP payloads of a tests/media capture, in order."""
        data = (harness.REPO / "tests" / "media" / pcap).read_bytes()
        offset, payloads = 24, []
        while offset < len(data):
            length = struct.unpack("<I", data[offset + 8:offset + 12])[0]
            packet = data[offset + 16:offset + 16 + length]
            # Ethernet, IPv4 without options, UDP, RTP without extensions
            rtp = packet[14 + 20 + 8:]
            payloads.append(rtp[12 + 4 * (rtp[0] & 0x0F):])
            offset += 16 + length
        return payloads

    def _replay(self):
        start = time.monotonic()
        while self.running:
            payload = self.payloads[(self.sent - self.first) % len(self.payloads)]
            header = struct.pack("!BBHII", 0x80, self.pt, self.sent & 0xFFFF,
                                 (self.sent * self.ts_step) & 0xFFFFFFFF, 0x0ca7f00d)
            try:
                self.sock.sendto(header + payload, (LOOPBACK, self.port))
            except OSError:
                return
            self.sent += 1
            delay = start + self.sent * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def our_rtp_port(sipp):
    """sipcast's RTP port, from the offer in the INVITE sipp received."""
    match = re.search(r"m=audio (\d+) ", sipp.messages())
    if not match:
        raise AssertionError("no m=audio line in what sipp received\n" + sipp.messages())
    return int(match.group(1))


def received(sipp, first_line):
    """The SIP messages sipp received whose first line starts so."""
    texts = re.split(r"^-{20,}.*$", sipp.messages(), flags=re.M)
    found = []
    for text in texts:
        if not re.search(r"message received", text):
            continue
        body = text.split("\n\n", 1)[-1].lstrip()
        if body.startswith(first_line):
            found.append(body)
    return found


def decoded_seconds(path):
    """Seconds of audio a decoder gets out of path (gaps not filled)."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
                             "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", "8000",
                             "-f", "s16le", "-"], stdin=subprocess.DEVNULL,
                            capture_output=True, timeout=30)
    return len(result.stdout) / 2 / 8000


def sdp_origin_version(message):
    match = re.search(r"^o=\S+ \d+ (\d+) ", message, re.M)
    return int(match.group(1)) if match else None


def sdp_direction(message):
    match = re.search(r"^a=(sendrecv|sendonly|recvonly|inactive)\s*$", message, re.M)
    return match.group(1) if match else None


class DialogTest(GatewayTestCase):
    """Statuses and media through each way the far end can lead the call."""

    @classmethod
    def sipcast_config(cls):
        # silence is noticed in 2 s: every far end here keeps sending
        # until the call ends, or is held
        return "[rtp]\ntimeout=2\n"

    def test_provisional_statuses(self):
        sipp = self.sipp("uas-progress.xml")
        self.start_call("progress", sipp, rtmpUrl=self.nginx.url, rtmpStream="progress")
        statuses = statuses_until(self.sipcast, "progress", "ESTABLISHED", 15)
        # each provisional state lasts 1.2 s: no poll misses it
        self.assertEqual([s for s in statuses if s != "NEW"],
                         ["TRYING", "RING", "SESSION_PROGRESS", "ESTABLISHED"], statuses)
        self.wait_publishing("progress")
        time.sleep(2)
        self.terminate("progress")
        wait_status(self.sipcast, "progress", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        self.assert_tone_flv(self.nginx.recorded("progress"), 1, 4)

    def test_early_media_is_published_before_the_answer(self):
        sipp = self.sipp("uas-early-media.xml")
        self.start_call("early", sipp, rtmpUrl=self.nginx.url, rtmpStream="early")
        wait_status(self.sipcast, "early", "RING_MEDIA", 10)
        # the tone of the 183 is on the RTMP server before any 200
        call = self.wait_publishing("early")
        self.assertEqual(call["status"], "RING_MEDIA", call)
        self.assertEqual(call["sipStatus"], 183, call)
        self.assertEqual(call["audioCodec"], "PCMA/8000", call)
        wait_status(self.sipcast, "early", "ESTABLISHED", 10)
        answered = time.monotonic()
        time.sleep(1.5)
        self.terminate("early")
        ended = time.monotonic()
        wait_status(self.sipcast, "early", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        # one publish: the same SDP in the 200 kept the session running
        self.assertEqual(len(self.nginx.events("publish", "early")), 1,
                         self.nginx.events(name="early"))
        self.assertNotIn("media finished", self.sipcast.log().split("RING_MEDIA → ESTABLISHED")[-1]
                         .split("ESTABLISHED → FINISH")[0])
        # 2.5 s of early media before the answer, 1.5 s after it
        recorded = self.nginx.recorded("early")
        self.assert_tone_flv(recorded, (ended - answered) + 1.5, 5.5)

    def test_reliable_early_media(self):
        # a 183 that requires 100rel is PRACKed (sipp checks the RAck),
        # its media is published, and the call is answered after it
        sipp = self.sipp("uas-early-media-100rel.xml")
        self.start_call("early100rel", sipp, rtmpUrl=self.nginx.url, rtmpStream="early100rel")
        wait_status(self.sipcast, "early100rel", "RING_MEDIA", 10)
        call = self.wait_publishing("early100rel")
        self.assertEqual(call["status"], "RING_MEDIA", call)
        wait_status(self.sipcast, "early100rel", "ESTABLISHED", 10)
        time.sleep(1)
        self.terminate("early100rel")
        wait_status(self.sipcast, "early100rel", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        messages = sipp.messages()
        # one PRACK: the 183 was not retransmitted for want of one
        self.assertEqual(messages.count("PRACK sip:"), 1, messages)
        self.assertEqual(len(self.nginx.events("publish", "early100rel")), 1,
                         self.nginx.events(name="early100rel"))
        self.assert_tone_flv(self.nginx.recorded("early100rel"), 3, 5.5)

    def test_early_media_answer_elsewhere_is_followed(self):
        sink = RtpSink()
        self.addCleanup(sink.close)
        sipp = harness.Sipp("uas-early-media-moved.xml", args=("-set", "rtp_sink", str(sink.port)))
        self.addCleanup(sipp.close)
        self.start_call("early-moved", sipp, rtmpUrl=self.nginx.url, rtmpStream="early-moved")
        wait_status(self.sipcast, "early-moved", "RING_MEDIA", 10)
        self.wait_publishing("early-moved")
        self.assertEqual(sink.received(PCMA_PT), [], "sent to the answer's port before the answer")
        wait_status(self.sipcast, "early-moved", "ESTABLISHED", 10)
        # the 200's port gets our RTP from then on, the stream goes on
        wait_for(lambda: len(sink.received(PCMA_PT)) > 25, 5,
                 message=lambda: "nothing sent to the answer's port\n" + self.logs(sipp))
        self.assertEqual(self.find("early-moved")["rtmpStreamStatus"], "RTMP_STREAM_ACTIVE")
        self.terminate("early-moved")
        wait_status(self.sipcast, "early-moved", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        self.assertEqual(len(self.nginx.events("publish", "early-moved")), 1)
        self.assert_tone_flv(self.nginx.recorded("early-moved"), 3, 5.5)

    def test_answer_without_common_codec_is_hung_up(self):
        sipp = self.sipp("uas-answer-g729.xml")
        self.start_call("g729", sipp, rtmpUrl=self.nginx.url, rtmpStream="g729")
        wait_status(self.sipcast, "g729", "FAILED", 10)
        call = self.find("g729")
        self.assertEqual((call["sipStatus"], call["statusInfo"]), (488, "No common codecs"), call)
        self.assert_sipp_passed(sipp)  # ACKed, then got the BYE

    def check_refused(self, code, reason, status, info):
        call_id = "refused-%d" % code
        template = (harness.SIP_DIR / "uas-reject.xml").read_text()
        scenario = harness.run_dir() / ("uas-reject-%d.xml" % code)
        scenario.write_text(template.replace("STATUS-LINE", "%d %s" % (code, reason)))
        sipp = self.sipp(str(scenario))
        self.start_call(call_id, sipp, rtmpUrl=self.nginx.url, rtmpStream=call_id)
        statuses = wait_status(self.sipcast, call_id, status, 10)
        self.assertIn("RING", statuses)
        call = self.find(call_id)
        self.assertEqual((call["sipStatus"], call["statusInfo"]), (code, info), call)
        self.assert_sipp_passed(sipp)  # it got the ACK
        self.assertIsNot(call["rtmpStreamStatus"], "RTMP_STREAM_ACTIVE")

    def test_404_fails_with_the_reason_phrase(self):
        self.check_refused(404, "Not Found", "FAILED", "Not Found")

    def test_503_fails_with_the_reason_phrase(self):
        self.check_refused(503, "Service Unavailable", "FAILED", "Service Unavailable")

    def test_600_is_busy(self):
        self.check_refused(600, "Busy Everywhere", "BUSY", "Busy Everywhere")

    def test_488_is_no_common_codecs(self):
        self.check_refused(488, "Not Acceptable Here", "FAILED", "No common codecs")

    def test_rtp_silence_hangs_up(self):
        sipp = self.sipp("uas-silent.xml")
        self.start_call("silent", sipp, rtmpUrl=self.nginx.url, rtmpStream="silent")
        wait_status(self.sipcast, "silent", "ESTABLISHED", 10)
        established = time.monotonic()
        wait_status(self.sipcast, "silent", "FAILED", 10)
        # a timeout of 2 s: at most two of udpsrc's periods
        self.assertLess(time.monotonic() - established, 6)
        call = self.find("silent")
        self.assertEqual(call["statusInfo"], "Failed by RTP activity", call)
        self.assert_sipp_passed(sipp)  # the BYE reached it


    def check_hold(self, call_id, hold_dir, our_dir, hold_ip=LOOPBACK):
        sipp = harness.Sipp("uas-hold.xml", args=("-set", "hold_dir", hold_dir,
                                                  "-set", "hold_ip", hold_ip))
        self.addCleanup(sipp.close)
        self.start_call(call_id, sipp, rtmpUrl=self.nginx.url, rtmpStream=call_id)
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        established = time.monotonic()
        self.wait_publishing(call_id)
        wait_status(self.sipcast, call_id, "HOLD", 10)
        # held for 2.5 s without RTP, longer than the 2 s RTP timeout
        time.sleep(1.5)
        call = self.find(call_id)
        self.assertEqual((call["status"], call["rtmpStreamStatus"]),
                         ("HOLD", "RTMP_STREAM_ACTIVE"), call)
        statuses = wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        self.assertEqual(statuses[-2:], ["HOLD", "ESTABLISHED"], statuses)
        # the tone plays again for 3 s after the resume
        time.sleep(2.8)
        self.assertEqual(self.find(call_id)["rtmpStreamStatus"], "RTMP_STREAM_ACTIVE")
        self.terminate(call_id)
        ended = time.monotonic()
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)

        answers = [m for m in received(sipp, "SIP/2.0 200") if "o=sipcast" in m]
        self.assertEqual([sdp_direction(m) for m in answers], [our_dir, "sendrecv"],
                         sipp.messages())
        # the codec in use stays, though the re-offers list PCMU first
        for answer in answers:
            self.assertRegex(answer, r"(?m)^m=audio \d+ RTP/AVP 9 101\s*$")
        self.assertEqual(self.find(call_id)["audioCodec"], "G722/8000")
        hold_version, resume_version = [sdp_origin_version(m) for m in answers]
        self.assertGreater(resume_version, hold_version)
        # one RTMP stream across the hold, covering the whole call: its
        # timestamps run from before the hold to after the resume, with
        # the tone on both sides (held, nothing came to publish)
        self.assertEqual(len(self.nginx.events("publish", call_id)), 1)
        recorded = self.nginx.recorded(call_id)
        probe = harness.ffprobe_streams(recorded)
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "aac")], probe)
        covered = harness.audio_duration(recorded)
        self.assertTrue(ended - established - 2 <= covered <= ended - established + 1,
                        "%.2f s covered of a %.2f s call" % (covered, ended - established))
        self.assertGreater(decoded_seconds(recorded), 5)  # two 3 s tones
        self.assertGreater(harness.mean_volume(recorded), -30)

    def test_hold_inactive_and_resume(self):
        self.check_hold("hold-inactive", "inactive", "inactive")

    def test_hold_sendonly_and_resume(self):
        self.check_hold("hold-sendonly", "sendonly", "recvonly")

    def test_hold_by_null_address_and_resume(self):
        self.check_hold("hold-null", "sendrecv", "inactive", hold_ip="0.0.0.0")


    def test_session_timer_refreshes(self):
        sipp = self.sipp("uas-session-timer.xml")
        self.start_call("timer", sipp, rtmpUrl=self.nginx.url, rtmpStream="timer")
        wait_status(self.sipcast, "timer", "ESTABLISHED", 10)
        offer = received(sipp, "INVITE ")[0]
        self.assertRegex(offer, r"(?m)^Supported:.*\btimer\b")
        # two re-INVITE refreshes and an UPDATE within 2.5 s of the answer
        time.sleep(3.5)
        call = self.find("timer")
        self.assertEqual((call["status"], call["rtmpStreamStatus"]),
                         ("ESTABLISHED", "RTMP_STREAM_ACTIVE"), call)
        self.terminate("timer")
        wait_status(self.sipcast, "timer", "FINISH", 10)
        # each 200 carried Session-Expires: sipp checked it
        self.assert_sipp_passed(sipp)
        answers = [m for m in received(sipp, "SIP/2.0 200") if "o=sipcast" in m]
        self.assertEqual(len(answers), 2, sipp.messages())
        for answer in answers:
            self.assertRegex(answer, r"(?m)^Require:.*\btimer\b")
        # the same offer twice: the same answer, the same o= version
        versions = [sdp_origin_version(m) for m in answers]
        self.assertEqual(versions[0], versions[1], answers)
        self.assertEqual(answers[0].split("\n\n", 1)[1], answers[1].split("\n\n", 1)[1])
        self.assertGreaterEqual(versions[0], sdp_origin_version(offer))
        session_id = re.compile(r"(?m)^o=sipcast (\d+) ")
        self.assertEqual({session_id.search(m).group(1) for m in answers + [offer]},
                         {session_id.search(offer).group(1)})
        self.assertEqual([sdp_direction(m) for m in answers], ["sendrecv", "sendrecv"])


    def test_reinvite_moving_the_media_port(self):
        sink_a, sink_b = RtpSink(), RtpSink()
        self.addCleanup(sink_a.close)
        self.addCleanup(sink_b.close)
        sipp = harness.Sipp("uas-reinvite-move.xml", args=(
            "-set", "sink_a", str(sink_a.port), "-set", "sink_b", str(sink_b.port)))
        self.addCleanup(sipp.close)
        self.start_call("move", sipp, rtmpUrl=self.nginx.url, rtmpStream="move")
        wait_status(self.sipcast, "move", "ESTABLISHED", 10)
        established = time.monotonic()
        # the far end's RTP comes from the port its SDP names
        sender = ToneSender(sink_a.sock, our_rtp_port(sipp))
        self.addCleanup(sender.stop)
        self.wait_publishing("move")
        wait_for(lambda: sink_a.received(PCMA_PT), 5, message="nothing sent to the first port")

        # after the re-INVITE our RTP goes to the new port, and the far
        # end sends from there too
        moved = wait_for(lambda: sink_b.received(PCMA_PT), 10,
                         message=lambda: "nothing sent to the new port\n" + self.logs(sipp))
        sender.sock = sink_b.sock
        moved_at = moved[0]["time"]
        time.sleep(2)
        late = [p for p in sink_a.received(PCMA_PT) if p["time"] > moved_at + 0.2]
        self.assertEqual(late, [], "still sending to the old port")
        self.assertGreater(len(sink_b.received(PCMA_PT)), 50)
        # one continuous stream of ours: the same SSRC on both ports
        self.assertEqual({p["ssrc"] for p in sink_a.received(PCMA_PT) + sink_b.received(PCMA_PT)},
                         {sink_a.received(PCMA_PT)[0]["ssrc"]})

        call = self.find("move")
        self.assertEqual((call["status"], call["rtmpStreamStatus"]),
                         ("ESTABLISHED", "RTMP_STREAM_ACTIVE"), call)
        self.assertIn("m=audio %d " % sink_b.port, call["sdp"])
        self.terminate("move")
        ended = time.monotonic()
        sender.stop()
        wait_status(self.sipcast, "move", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        self.assertEqual(len(self.nginx.events("publish", "move")), 1)
        self.assert_tone_flv(self.nginx.recorded("move"), ended - established - 1.5,
                             ended - established + 0.5)

    def test_reinvite_renumbering_the_payload_type(self):
        sink = RtpSink()
        self.addCleanup(sink.close)
        sipp = harness.Sipp("uas-reinvite-renumber.xml", args=("-set", "rtp_sink", str(sink.port)))
        self.addCleanup(sipp.close)
        self.start_call("renumber", sipp, rtmpUrl=self.nginx.url, rtmpStream="renumber")
        wait_status(self.sipcast, "renumber", "ESTABLISHED", 10)
        established = time.monotonic()
        sender = PcapSender(sink.sock, our_rtp_port(sipp), "opus-440hz-3s.pcap", 96, 960)
        self.addCleanup(sender.stop)
        self.wait_publishing("renumber")
        self.assertEqual(self.find("renumber")["audioCodec"], "OPUS/48000")
        wait_for(lambda: sink.received(96), 5, message="no Opus as 96 from sipcast")

        # after the re-INVITE Opus is 111 both ways, in the same stream
        renumbered = wait_for(lambda: sink.received(111), 10,
                              message=lambda: "no Opus as 111 from sipcast\n" + self.logs(sipp))
        sender.pt = 111
        time.sleep(2.5)
        late = sink.received(96, since=renumbered[0]["time"] + 0.1)
        self.assertEqual(late, [], "still sending payload type 96")
        self.assertEqual(len({p["ssrc"] for p in sink.received(96) + sink.received(111)}), 1)
        self.terminate("renumber")
        ended = time.monotonic()
        sender.stop()
        wait_status(self.sipcast, "renumber", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        # published throughout: what came as 111 too
        self.assertEqual(len(self.nginx.events("publish", "renumber")), 1)
        self.assert_tone_flv(self.nginx.recorded("renumber"), ended - established - 1.5,
                             ended - established + 0.5)

    def test_reinvite_changing_the_codec_is_followed(self):
        # with telephone-event: our RTP goes through rtpdtmfmux
        self.check_codec_change("PCMU/8000", PCMU_PT, "pcmu-440hz-5s.pcap", dtmf=True)

    def test_reinvite_changing_the_rate_is_followed(self):
        # 16 kHz audio both ways from then on, the same AAC stream; no
        # telephone-event: the payloader's RTP goes to rtpbin as it is
        self.check_codec_change("G722/8000", 9, "g722-440hz-3s.pcap", dtmf=False)

    def check_codec_change(self, codec, pt, pcap, dtmf):
        """The far end answers PCMA, then re-INVITEs offering only codec
        (as pt) and sends pcap's payloads from then on."""
        name = "recodec-" + codec.split("/")[0].lower()
        sink = RtpSink()
        self.addCleanup(sink.close)
        sipp = harness.Sipp("uas-reinvite-codec.xml",
                            args=("-set", "rtp_sink", str(sink.port),
                                  "-set", "first_formats", "8 101" if dtmf else "8",
                                  "-set", "new_formats", "%d 100" % pt if dtmf else str(pt),
                                  "-set", "new_pt", str(pt), "-set", "new_rtpmap", codec))
        self.addCleanup(sipp.close)
        self.start_call(name, sipp, rtmpUrl=self.nginx.url, rtmpStream=name)
        wait_status(self.sipcast, name, "ESTABLISHED", 10)
        established = time.monotonic()
        self.assertEqual(self.find(name)["audioCodec"], "PCMA/8000")
        sender = PcapSender(sink.sock, our_rtp_port(sipp), "pcma-440hz-5s.pcap", PCMA_PT, 160)
        self.addCleanup(sender.stop)

        # the re-INVITE comes 2.5 s after the answer: accepted with the
        # new codec, which sipcast sends from then on, in the same stream
        ok = wait_for(lambda: received(sipp, "SIP/2.0 200"), 10,
                      message=lambda: "no 200 to the re-INVITE\n" + self.logs(sipp))
        self.wait_publishing(name)
        self.assertTrue(sink.received(PCMA_PT), "no PCMA from sipcast before the change")
        self.assertRegex(ok[0], r"m=audio \d+ RTP/AVP %d%s\r?\n" % (pt, " 100" if dtmf else ""))
        self.assertIn("a=rtpmap:%d %s" % (pt, codec), ok[0])
        self.assertNotIn("PCMA", ok[0])
        switched = wait_for(lambda: sink.received(pt), 10,
                            message=lambda: "no %s from sipcast\n%s" % (codec, self.logs(sipp)))
        # from its start: a G.722 capture looped has a click there
        sender.payloads, sender.first = PcapSender.read_payloads(pcap), sender.sent
        sender.pt = pt
        changed = time.monotonic()
        time.sleep(2.5)
        late = sink.received(PCMA_PT, since=switched[0]["time"] + 0.1)
        self.assertEqual(late, [], "still sending PCMA")
        sent = sink.received(PCMA_PT) + sink.received(pt)
        self.assertEqual(len({p["ssrc"] for p in sent}), 1)
        # one RTP stream: numbers and timestamps (8000 Hz RTP clock for
        # both codecs) go on across the change, give or take a packet
        last, first = sink.received(PCMA_PT)[-1], switched[0]
        self.assertIn((first["seq"] - last["seq"]) % 65536, (1, 2), (last, first))
        self.assertIn((first["ts"] - last["ts"]) % 2 ** 32, range(160, 2 * 160 + 1), (last, first))
        call = self.find(name)
        self.assertEqual((call["status"], call["rtmpStreamStatus"], call["audioCodec"]),
                         ("ESTABLISHED", "RTMP_STREAM_ACTIVE", codec), call)
        self.terminate(name)
        ended = time.monotonic()
        sender.stop()
        wait_status(self.sipcast, name, "FINISH", 10)
        self.assert_sipp_passed(sipp)

        # one stream throughout, the tone before and after the change
        self.assertEqual(len(self.nginx.events("publish", name)), 1)
        path = self.nginx.recorded(name)
        self.assert_tone_flv(path, ended - established - 1.5, ended - established + 0.5)
        duration = harness.audio_duration(path)
        parts = tempfile.TemporaryDirectory()
        self.addCleanup(parts.cleanup)
        # the recording starts after the answer: it ends with the call
        before = duration - (ended - changed)
        self.assertGreater(before, 1, "too little PCMA in the stream")
        for start, length in ((0.2, before - 0.4), (duration - 2.2, 1.8)):
            part = "%s/part-%d.wav" % (parts.name, start * 10)
            subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
                            "-ss", "%.2f" % start, "-t", "%.2f" % length, "-i", str(path),
                            str(part)], check=True, timeout=30)
            self.assertGreater(harness.mean_volume(part), -30, "silence in %s" % part)
            self.assertAlmostEqual(harness.tone_frequency(part), 440, delta=440 * 0.03,
                                   msg="not the 440 Hz tone %.1f s into %s" % (start, path))

    def test_symmetric_rtp_follows_where_rtp_comes_from(self):
        named, actual = RtpSink(), RtpSink()
        self.addCleanup(named.close)
        self.addCleanup(actual.close)
        sipp = harness.Sipp("uas-answer-sink.xml", args=("-set", "rtp_sink", str(named.port)))
        self.addCleanup(sipp.close)
        self.start_call("latch", sipp, rtmpUrl=self.nginx.url, rtmpStream="latch")
        wait_status(self.sipcast, "latch", "ESTABLISHED", 10)
        # our RTP goes where the SDP says until the far end's first packet
        wait_for(lambda: named.received(PCMA_PT), 5, message="nothing sent to the SDP's port")
        # ... which comes from another port (a NAT's mapping)
        sender = ToneSender(actual.sock, our_rtp_port(sipp))
        self.addCleanup(sender.stop)
        latched = wait_for(lambda: actual.received(PCMA_PT), 5,
                           message=lambda: "RTP not sent back to its source\n" + self.logs(sipp))
        time.sleep(1)
        late = [p for p in named.received(PCMA_PT) if p["time"] > latched[0]["time"] + 0.2]
        self.assertEqual(late, [], "still sending to the SDP's port")
        self.assertGreater(len(actual.received(PCMA_PT)), 30)
        self.assertIn("sends RTP from 127.0.0.1:%d" % actual.port, self.sipcast.log())
        self.wait_publishing("latch")
        self.terminate("latch")
        sender.stop()
        wait_status(self.sipcast, "latch", "FINISH", 10)
        self.assert_sipp_passed(sipp)


class CopiedCodecChangeTest(GatewayTestCase):
    """[media] rtmp-audio=copy: FLV names its audio codec once, so G.711
    copied into it cannot follow a codec change."""

    @classmethod
    def sipcast_config(cls):
        return "[media]\nrtmp-audio=copy\n"

    def test_reinvite_changing_the_codec_is_refused(self):
        sipp = self.sipp("uas-reinvite-codec-copy.xml")
        self.start_call("recodec", sipp, rtmpUrl=self.nginx.url, rtmpStream="recodec")
        wait_status(self.sipcast, "recodec", "ESTABLISHED", 10)
        self.wait_publishing("recodec")
        # the PCMU-only re-INVITE comes 1.5 s after the answer
        wait_for(lambda: received(sipp, "SIP/2.0 488"), 10,
                 message=lambda: "no 488\n" + self.logs(sipp))
        time.sleep(1.5)
        call = self.find("recodec")
        self.assertEqual((call["status"], call["rtmpStreamStatus"], call["audioCodec"]),
                         ("ESTABLISHED", "RTMP_STREAM_ACTIVE", "PCMA/8000"), call)
        self.terminate("recodec")
        wait_status(self.sipcast, "recodec", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        self.assertIn("not supported with rtmp-audio=copy", self.sipcast.log())
        self.assertEqual(len(self.nginx.events("publish", "recodec")), 1)
        path = self.nginx.recorded("recodec")
        probe = harness.ffprobe_streams(path)
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "pcm_alaw")], probe)
        self.assertGreater(harness.audio_duration(path), 2.5)
        self.assertAlmostEqual(harness.tone_frequency(path), 440, delta=440 * 0.03)


class TimeoutTest(GatewayTestCase):
    """Short SIP timeouts and a short life for ended calls."""

    @classmethod
    def sipcast_config(cls):
        return ("[sip]\nno-answer-timeout=2\ntransaction-timeout=2000\n"
                "[calls]\nended-call-ttl=2\n")

    def test_no_answer_fails_by_request_timeout(self):
        sipp = self.sipp("uas-no-answer.xml")
        self.start_call("noanswer", sipp)
        wait_status(self.sipcast, "noanswer", "RING", 10)
        rang = time.monotonic()
        wait_status(self.sipcast, "noanswer", "FAILED", 10)
        self.assertLess(time.monotonic() - rang, 5)
        call = self.find("noanswer")
        self.assertEqual((call["sipStatus"], call["statusInfo"]),
                         (408, "Failed by request timeout"), call)
        self.assert_sipp_passed(sipp)  # it got the CANCEL

    def test_unreachable_host_fails_quickly(self):
        port = harness.free_port("udp")  # nothing listens there
        self.addCleanup(self.hang_up, "unreachable")
        started = time.monotonic()
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "unreachable", "callee": "1000", "sipDomain": LOOPBACK,
            "sipPort": port})
        self.assertEqual((status, answer), (200, {}))
        wait_status(self.sipcast, "unreachable", "FAILED", 10)
        self.assertLess(time.monotonic() - started, 6)
        call = self.find("unreachable")
        self.assertIn(call["sipStatus"], (408, 503), call)
        self.assertRegex(call["statusInfo"] or "", "unreachable|timeout", call)

    def test_silent_host_fails_by_transaction_timeout(self):
        # a socket that takes every packet and answers none: no ICMP either
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind((LOOPBACK, 0))
        self.addCleanup(silent.close)
        self.addCleanup(self.hang_up, "blackhole")
        started = time.monotonic()
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "blackhole", "callee": "1000", "sipDomain": LOOPBACK,
            "sipPort": silent.getsockname()[1]})
        self.assertEqual((status, answer), (200, {}))
        wait_status(self.sipcast, "blackhole", "FAILED", 10)
        # Timer B of the 2 s transaction timeout
        self.assertLess(time.monotonic() - started, 5)
        call = self.find("blackhole")
        self.assertEqual((call["sipStatus"], call["statusInfo"]),
                         (408, "Failed by request timeout"), call)
        silent.settimeout(0)
        self.assertTrue(silent.recv(65535).startswith(b"INVITE "))

    def test_unanswered_bye_still_ends_the_call(self):
        sipp = harness.Sipp("uas-silent.xml", args=("-set", "bye_answer", "no"))
        self.addCleanup(sipp.close)
        self.start_call("byelost", sipp)
        wait_status(self.sipcast, "byelost", "ESTABLISHED", 10)
        self.terminate("byelost")
        hung_up = time.monotonic()
        wait_status(self.sipcast, "byelost", "FINISH", 10)
        self.assertLess(time.monotonic() - hung_up, 6)

    def test_unanswered_cancel_still_ends_the_call(self):
        sipp = self.sipp("uas-deaf.xml")
        self.start_call("deaf", sipp)
        wait_status(self.sipcast, "deaf", "RING", 10)
        self.terminate("deaf")
        hung_up = time.monotonic()
        wait_status(self.sipcast, "deaf", "FAILED", 10)
        # the CANCEL's transaction times out after 2 s
        self.assertLess(time.monotonic() - hung_up, 4.5)
        self.assertEqual(self.find("deaf")["statusInfo"], "Request terminated")

    def test_ended_calls_expire(self):
        sipp = self.sipp("uas-busy.xml")
        self.start_call("expires", sipp)
        wait_status(self.sipcast, "expires", "BUSY", 10)
        ended = time.monotonic()
        self.assertEqual(self.find("expires")["status"], "BUSY")
        # gone after the 2 s TTL: 404, and its memory freed
        wait_for(lambda: self.sipcast.rest("/call/find", {"callId": "expires"})[0] == 404, 8,
                 message=lambda: "still findable\n" + self.sipcast.log())
        self.assertGreater(time.monotonic() - ended, 1.5)
        wait_for(lambda: "call expires freed" in self.sipcast.log(), 5,
                 message=lambda: "never freed\n" + self.sipcast.log())


if __name__ == "__main__":
    unittest.main()

"""Network reality between the far end and sipcast: packet loss,
reordering and jitter within [rtp] jitterbuffer-latency do not break the
published stream, and sipcast sends RTCP receiver reports about what it
got.

sipp plays the 440 Hz tone as usual, but to a relay in this process: the
INVITE reaches sipp through a small SIP forwarder that rewrites the audio
port of sipcast's offer to the relay's, and the relay passes sipp's RTP on
to sipcast's real port with ~5 % of the packets dropped, some held back
behind their successors, and every one delayed by a random jitter. All on
127.0.0.1; the impairment is seeded, so a failure can be replayed.

    python3 tests/integration/tap.py test_network
"""

import heapq
import os
import random
import re
import socket
import struct
import threading
import time
import unittest

import harness
from gateway import GatewayTestCase, UdpListener
from harness import LOOPBACK, wait_for, wait_status
from test_push import long_tone_scenario

PCMA_PT = 8

PCAP = harness.REPO / "tests" / "media" / "pcma-440hz-5s.pcap"
# Ethernet + IPv4 + UDP in front of the RTP header in tests/media's captures
RTP_OFFSET = 24 + 16 + 14 + 20 + 8

LATENCY_MS = 200       # [rtp] jitterbuffer-latency for this module
LOSS = 0.05
REORDER = 0.05         # held back by REORDER_MS: arrives after its successors
REORDER_MS = 45
JITTER_MS = 60         # uniform 0..JITTER_MS on every packet


def first_ssrc(pcap):
    data = pcap.read_bytes()
    return struct.unpack_from("!I", data, RTP_OFFSET + 8)[0]


class SipForwarder:
    """Forwards SIP between sipcast and sipp over UDP, both ways, rewriting
    the m=audio port of each INVITE's SDP to relay_port. sipcast's real RTP
    port is kept in rtp_port."""

    def __init__(self, sipp_port, relay_port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.sipp = (LOOPBACK, sipp_port)
        self.relay_port = relay_port
        self.sipcast = None
        self.rtp_port = None
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _rewrite(self, data):
        head, sep, body = data.partition(b"\r\n\r\n")
        match = re.search(rb"m=audio (\d+) ", body)
        if not sep or not match:
            return data
        self.rtp_port = int(match.group(1))
        body = body[:match.start(1)] + str(self.relay_port).encode() + body[match.end(1):]
        head = re.sub(rb"(?im)^(Content-Length|l):\s*\d+",
                      lambda m: m.group(1) + b": " + str(len(body)).encode(), head)
        return head + sep + body

    def _run(self):
        while self.running:
            try:
                data, source = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if source == self.sipp:
                if self.sipcast is not None:
                    self.sock.sendto(data, self.sipcast)
                continue
            self.sipcast = source
            if data.startswith(b"INVITE "):
                data = self._rewrite(data)
            self.sock.sendto(data, self.sipp)

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


class ImpairingRelay:
    """Receives RTP on its port and sends it on to destination() from the
    same port, after a seeded loss / reordering / jitter."""

    def __init__(self, destination, seed):
        self.destination = destination
        self.random = random.Random(seed)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, harness.free_udp_port_pair()))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.received = self.dropped = self.reordered = 0
        self.queue = []        # (due, order, packet)
        self.order = 0
        self.lock = threading.Condition()
        self.running = True
        self.threads = [threading.Thread(target=self._receive, daemon=True),
                        threading.Thread(target=self._send, daemon=True)]
        for thread in self.threads:
            thread.start()

    def _receive(self):
        while self.running:
            try:
                data, _ = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            self.received += 1
            if self.random.random() < LOSS:
                self.dropped += 1
                continue
            delay = self.random.uniform(0, JITTER_MS)
            if self.random.random() < REORDER:
                self.reordered += 1
                delay += REORDER_MS
            with self.lock:
                self.order += 1
                heapq.heappush(self.queue, (time.monotonic() + delay / 1000, self.order, data))
                self.lock.notify()

    def _send(self):
        while self.running:
            with self.lock:
                if not self.queue:
                    self.lock.wait(0.05)
                    continue
                due, _, data = self.queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self.lock.wait(wait)
                    continue
                heapq.heappop(self.queue)
            destination = self.destination()
            if destination is not None:
                try:
                    self.sock.sendto(data, destination)
                except OSError:
                    return

    def close(self):
        self.running = False
        with self.lock:
            self.lock.notify()
        for thread in self.threads:
            thread.join(2)
        self.sock.close()


class RtcpReports(UdpListener):
    """Decodes the RTCP that reaches a port: every report block (from SRs,
    PT 200, and RRs, PT 201) with the packet type that carried it."""

    def __init__(self, port):
        self.blocks = []
        self.lock = threading.Lock()
        super().__init__(port)

    def handle(self, data):
        offset = 0
        # a compound packet: one RTCP packet after the other
        while offset + 8 <= len(data):
            first, pt, length = struct.unpack_from("!BBH", data, offset)
            if first >> 6 != 2:
                break
            count = first & 0x1F
            blocks_at = offset + 8 + (20 if pt == 200 else 0)
            if pt in (200, 201):
                sender = struct.unpack_from("!I", data, offset + 4)[0]
                for i in range(count):
                    at = blocks_at + 24 * i
                    if at + 24 > len(data):
                        break
                    ssrc, lost_word, highest, jitter = struct.unpack_from(
                        "!IIII", data, at)
                    # signed: duplicates can make it negative
                    lost = lost_word & 0xFFFFFF
                    if lost & 0x800000:
                        lost -= 1 << 24
                    with self.lock:
                        self.blocks.append({
                            "pt": pt, "sender": sender, "ssrc": ssrc,
                            "fraction_lost": lost_word >> 24,
                            "cumulative_lost": lost,
                            "highest_seq": highest, "jitter": jitter})
            offset += 4 * (length + 1)

    def about(self, ssrc):
        with self.lock:
            return [b for b in self.blocks if b["ssrc"] == ssrc]


class ImpairedNetworkTest(GatewayTestCase):

    @classmethod
    def sipcast_config(cls):
        # the relay impairs one direction only, it is no NAT: with
        # symmetric RTP our RTP and RTCP would follow it instead of going
        # to the ports the far end's SDP names, where the test listens
        return "[rtp]\njitterbuffer-latency=%d\nsymmetric=false\n" % LATENCY_MS

    def test_loss_reorder_jitter(self):
        forwarder = None
        relay = ImpairingRelay(lambda: forwarder and forwarder.rtp_port and
                               (LOOPBACK, forwarder.rtp_port), seed=4)
        self.addCleanup(relay.close)
        sipp = self.sipp("uas-answer-pcma.xml")
        forwarder = SipForwarder(sipp.port, relay.port)
        self.addCleanup(forwarder.close)
        # sipcast sends RTCP to the port after the far end's RTP port
        reports = RtcpReports(sipp.media_port + 1)
        self.addCleanup(reports.close)

        body = self.startup_body("impaired", sipp, rtmpUrl=self.nginx.url,
                                 rtmpStream="impaired")
        body["sipPort"] = str(forwarder.port)
        status, answer, _ = self.sipcast.rest("/call/startup", body)
        self.assertEqual((status, answer), (200, {}), self.logs(sipp))
        self.addCleanup(self.hang_up, "impaired")
        wait_status(self.sipcast, "impaired", "ESTABLISHED", 10)
        self.assertIsNotNone(forwarder.rtp_port, "the INVITE did not pass the forwarder")
        self.wait_publishing("impaired")

        # the 5 s tone plays through the relay; the stream stays up
        wait_for(lambda: relay.received >= 240, 15,
                 message=lambda: "the relay got %d packets\n%s" % (relay.received, self.logs(sipp)))
        time.sleep(1)
        call = self.find("impaired")
        self.assertEqual((call["status"], call["rtmpStreamStatus"]),
                         ("ESTABLISHED", "RTMP_STREAM_ACTIVE"), call)
        self.assertGreater(relay.dropped, 3, "the relay dropped nothing")
        self.assertGreater(relay.reordered, 3, "the relay reordered nothing")

        # receiver reports about the far end's stream (every ~5 s), which
        # come to count the loss
        ssrc = first_ssrc(PCAP)
        blocks = wait_for(lambda: [b for b in reports.about(ssrc) if b["cumulative_lost"] > 0],
                          15, message=lambda: "no report block about SSRC %08x counting a "
                          "loss: %s\n%s" % (ssrc, reports.blocks, self.sipcast.log()))
        last = blocks[-1]
        self.assertIn(last["pt"], (200, 201), last)
        self.assertNotEqual(last["sender"], ssrc, last)
        self.assertLessEqual(last["cumulative_lost"], relay.dropped, (blocks, relay.dropped))

        self.terminate("impaired")
        wait_status(self.sipcast, "impaired", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        # the whole tone, in tune, despite the network
        self.assert_tone_flv(self.nginx.recorded("impaired"), 4.3, 8)

    def test_receiver_reports_when_only_receiving(self):
        # a far end that only sends: sipcast sends no RTP, so its reports
        # are plain receiver reports (PT 201)
        text = (harness.SIP_DIR / "uas-answer-pcma.xml").read_text()
        self.assertIn("a=sendrecv", text)
        scenario = harness.run_dir() / "uas-answer-pcma-sendonly.xml"
        scenario.write_text(text.replace("a=sendrecv", "a=sendonly").replace(
            "../media/", str(harness.SIP_DIR.parent / "media") + "/"))
        sipp = self.sipp(str(scenario))
        reports = RtcpReports(sipp.media_port + 1)
        self.addCleanup(reports.close)
        self.start_call("rr-only", sipp)
        wait_status(self.sipcast, "rr-only", "ESTABLISHED", 10)

        ssrc = first_ssrc(PCAP)
        blocks = wait_for(lambda: [b for b in reports.about(ssrc) if b["pt"] == 201], 12,
                          message=lambda: "no RR about SSRC %08x: %s\n%s"
                          % (ssrc, reports.blocks, self.sipcast.log()))
        # about packets really received: the highest sequence number is
        # one the capture sent
        self.assertGreater(blocks[-1]["highest_seq"] & 0xFFFF, 0, blocks)
        self.assertEqual([b for b in reports.blocks if b["pt"] == 200], [],
                         "sender reports from a gateway that sends nothing")
        self.terminate("rr-only")
        wait_status(self.sipcast, "rr-only", "FINISH", 10)
        self.assert_sipp_passed(sipp)


def thread_count(pid):
    return len(os.listdir("/proc/%d/task" % pid))


class SsrcSprayTest(GatewayTestCase):
    """Anyone who can reach a call's RTP port can send it packets under
    new SSRCs: each one costs the call a jitter buffer and its thread, so
    their number must stay bounded, and the far end's own stream must go
    on being published."""

    SSRCS = 60

    def spray(self, port):
        """SSRCS streams of three in-sequence PCMA packets each (past
        rtpsession's probation, so each one is a source of its own)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        payload = bytes([0xD5]) * 160  # A-law silence
        for index in range(self.SSRCS):
            ssrc = 0x51A70000 + index
            for seq in range(3):
                header = struct.pack("!BBHII", 0x80, PCMA_PT, (index * 7 + seq) & 0xFFFF,
                                     seq * 160, ssrc)
                sock.sendto(header + payload, (LOOPBACK, port))
            time.sleep(0.005)

    def test_ssrc_spray(self):
        sipp = self.sipp(str(long_tone_scenario(15)))
        self.start_call("spray", sipp, rtmpUrl=self.nginx.url, rtmpStream="spray")
        wait_status(self.sipcast, "spray", "ESTABLISHED", 10)
        self.wait_publishing("spray")
        started = time.monotonic()
        match = re.search(r"m=audio (\d+) ", sipp.messages())
        self.assertIsNotNone(match, sipp.messages())
        time.sleep(0.5)
        before = thread_count(self.sipcast.proc.pid)

        self.spray(int(match.group(1)))
        time.sleep(1.5)
        after = thread_count(self.sipcast.proc.pid)
        # a few streams' worth (a jitter buffer's thread and its timer's),
        # not one per SSRC
        self.assertLess(after - before, 16, "%d threads before the spray, %d after\n%s"
                        % (before, after, self.sipcast.log()))

        # the far end's tone is still published, to the end of the call
        time.sleep(2)
        call = self.find("spray")
        self.assertEqual((call["status"], call["rtmpStreamStatus"]),
                         ("ESTABLISHED", "RTMP_STREAM_ACTIVE"), call)
        self.terminate("spray")
        elapsed = time.monotonic() - started
        wait_status(self.sipcast, "spray", "FINISH", 10)
        self.assert_tone_flv(self.nginx.recorded("spray"), elapsed - 1, elapsed + 3)


if __name__ == "__main__":
    unittest.main()

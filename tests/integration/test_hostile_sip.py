"""Hostile SIP: malformed requests, floods, scans and stalled connections.

Raw SIP over UDP and TCP from Python, each attack from an address of its
own on 127.0.0.0/8 (sipcast rate-limits per source address).  Meanwhile a
real call (sipcast → sipp, published to nginx-rtmp) must stay up and
publishing, REST must answer, and a legitimate caller must get through;
the recording of the call is read back at the end.  sipcast answers
every hostile request per RFC 3261 (400, 403, 481, 488, 500, 503, 513)
or drops it, and never crashes.
"""

import http.client
import re
import socket
import threading
import time
import uuid

import harness
from gateway import GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status

RATE = 20
LEGIT = "127.0.0.1"     # the real peers
MALFORMED = "127.0.0.2"
FLOOD = "127.0.0.3"
SCAN = "127.0.0.4"
UNTRUSTED = "127.0.0.9"


def header(message, name):
    match = re.search(r"^%s:\s*(.*?)\r?$" % name, message, re.M | re.I)
    return match.group(1) if match else None


def status_of(message):
    return int(message.split()[1]) if message and message.startswith("SIP/2.0 ") else None


class RawSip:
    """A UDP SIP socket bound to `source`: sends text, collects responses."""

    def __init__(self, source, sip_port):
        self.sip_port = sip_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.last_received = time.monotonic()
        self.source, self.port = self.sock.getsockname()

    def close(self):
        self.sock.close()

    def send(self, text):
        # surrogateescape: a test writes a raw byte 0xNN as "\udcNN"
        data = text if isinstance(text, bytes) else \
            text.replace("\n", "\r\n").encode("utf-8", "surrogateescape")
        self.sock.sendto(data, (LOOPBACK, self.sip_port))

    def first_finals(self, seconds):
        """{Call-ID: first final response} of what arrives within
        `seconds` (an INVITE's non-2xx answer is retransmitted until
        ACKed), and when the last one came."""
        finals, last = {}, time.monotonic()
        for message in self.responses(seconds):
            if (status_of(message) or 0) >= 200:
                finals.setdefault(header(message, "Call-ID"), message)
                last = self.last_received
        return finals, last

    def responses(self, seconds):
        """Every message received within `seconds`."""
        out, deadline = [], time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return out
            self.sock.settimeout(left)
            try:
                out.append(self.sock.recv(65536).decode(errors="replace"))
                self.last_received = time.monotonic()
            except socket.timeout:
                return out

    def final(self, call_id, timeout=3):
        """The final response to call_id, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.responses(min(0.2, deadline - time.monotonic())):
                status = status_of(message)
                if status and status >= 200 and header(message, "Call-ID") == call_id:
                    return message
        return None

    def request(self, method, user="hostile", call_id=None, cseq=1, body="", extra=(),
                omit=(), branch=None, sender="attacker"):
        call_id = call_id or uuid.uuid4().hex
        uri = "sip:%s@%s:%d" % (user, LOOPBACK, self.sip_port)
        headers = [
            ("Via", "SIP/2.0/UDP %s:%d;branch=z9hG4bK%s;rport" % (
                self.source, self.port, branch or uuid.uuid4().hex)),
            ("From", "<sip:%s@%s>;tag=%s" % (sender, self.source, uuid.uuid4().hex[:8])),
            ("To", "<%s>" % uri), ("Call-ID", call_id), ("CSeq", "%d %s" % (cseq, method)),
            ("Contact", "<sip:attacker@%s:%d>" % (self.source, self.port)),
            ("Max-Forwards", "70")]
        lines = ["%s %s SIP/2.0" % (method, uri)]
        lines += ["%s: %s" % h for h in headers if h[0] not in omit]
        lines += list(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines += ["Content-Length: %d" % len(body.replace("\n", "\r\n")), "", body]
        self.send("\n".join(lines))
        return call_id


def sdp(audio_lines, port=None):
    port = port if port is not None else harness.free_udp_port_pair()
    text = "v=0\no=x 1 1 IN IP4 %s\ns=-\nc=IN IP4 %s\nt=0 0\n" % (LOOPBACK, LOOPBACK)
    text += ("m=audio %s RTP/AVP 8\na=rtpmap:8 PCMA/8000\n" % port) * audio_lines
    return text


class HostileSipTest(GatewayTestCase):

    @classmethod
    def sipcast_config(cls):
        return """\
[sip]
max-requests-per-second=%d
trusted-networks=127.0.0.0/30, 127.0.0.4

[route in]
callee=in-*

[route tail]
callee=*-tail
""" % RATE

    def setUp(self):
        # the real call every attack runs beside
        self.far = self.sipp("uas-answer-pcma.xml")
        self.call_id = "real-" + self.id().rsplit(".", 1)[1]
        self.start_call(self.call_id, self.far, rtmpUrl=self.nginx.url, rtmpStream=self.call_id)
        self.wait_publishing(self.call_id)

    def assert_still_serving(self):
        """The real call is up and publishing, REST answers at once, and
        the daemon runs; then the call ends cleanly and its recording
        holds the far end's tone."""
        t0 = time.monotonic()
        call = self.find(self.call_id)
        self.assertLess(time.monotonic() - t0, 1.0, "REST slow during the attack")
        self.assertEqual((call["status"], call["rtmpStreamStatus"]),
                         ("ESTABLISHED", "RTMP_STREAM_ACTIVE"), self.logs(self.far))
        self.assertIsNone(self.sipcast.proc.poll(), self.sipcast.log())
        self.terminate(self.call_id)
        wait_status(self.sipcast, self.call_id, "FINISH", 10)
        self.assert_sipp_passed(self.far)
        recorded = self.nginx.recorded(self.call_id)
        self.assertGreater(harness.audio_duration(recorded), 1.0)
        self.assertGreater(harness.mean_volume(recorded), -40, "silence recorded")

    def raw(self, source):
        raw = RawSip(source, self.sipcast.sip_port)
        self.addCleanup(raw.close)
        return raw

    def test_malformed_requests(self):
        raw = self.raw(MALFORMED)
        # what each may get: a status, or None (dropped)
        cases = [
            ("no Call-ID", lambda: raw.request("INVITE", omit=("Call-ID",), body=sdp(1)),
             {400, None}),
            ("no CSeq", lambda: raw.request("INVITE", omit=("CSeq",), body=sdp(1)), {400, None}),
            ("no From", lambda: raw.request("OPTIONS", omit=("From",)), {400, None}),
            ("no Via", lambda: raw.request("OPTIONS", omit=("Via",)), {None}),
            ("header without colon", lambda: raw.request("OPTIONS", extra=("Garbage line",)),
             {400, None, 200}),
            ("bad CSeq", lambda: raw.request("OPTIONS", extra=(), cseq=-5), {400, None}),
            ("binary junk", lambda: raw.send(bytes(range(256)) * 4), {None}),
            ("request line only", lambda: raw.send("INVITE sip:x SIP/2.0\n\n"), {400, None}),
            ("Content-Length beyond the datagram",
             lambda: raw.request("INVITE", user="in-cl", extra=("Content-Length: 100000",)),
             {400, None}),
            ("BYE for no dialog", lambda: raw.request("BYE"), {481}),
            ("CANCEL for no transaction", lambda: raw.request("CANCEL"), {481}),
            ("ACK for no transaction", lambda: raw.request("ACK"), {None}),
            # without a To tag it is no dialog's: nua takes it as a
            # stand-alone request (RFC 6086 leaves that open)
            ("INFO outside a dialog", lambda: raw.request("INFO"), {481, 200}),
            ("unknown method", lambda: raw.request("FROBNICATE"), {501, 405}),
            ("huge header", lambda: raw.request("OPTIONS", extra=("Subject: " + "x" * 60000,)),
             {200, 400, 413, 513, None}),
            ("1000 media lines", lambda: raw.request("INVITE", user="in-1000", body=sdp(1000)),
             {488}),
            ("absurd RTP port", lambda: raw.request("INVITE", user="in-port", body=sdp(1, 99999)),
             {488}),
            ("negative RTP port", lambda: raw.request("INVITE", user="in-neg", body=sdp(1, -4)),
             {488}),
            # GLib's glob matching asserts on invalid UTF-8 (a crash
            # the route fuzzer found): such a callee is refused first
            ("callee not UTF-8",
             lambda: raw.request("INVITE", user="x-\udce7\udce7-tail", body=sdp(1)), {400}),
            ("caller not UTF-8",
             lambda: raw.request("INVITE", user="x-tail", body=sdp(1),
                                 sender="bad\udcf4\udcf4"), {400}),
            ("SDP garbage", lambda: raw.request("INVITE", user="in-junk", body="v=0\nm=\x01\x02"),
             {488}),
        ]
        seen = {}
        for name, send, allowed in cases:
            raw.responses(0.05)
            send()
            finals = [m for m in raw.responses(1.0) if (status_of(m) or 0) >= 200]
            status = status_of(finals[0]) if finals else None
            seen[name] = status
            self.assertIn(status, allowed, "%s: %s\n%s" % (name, finals[:1], self.sipcast.log()))
            # nothing that reached a route became a call
        status, calls, _ = self.sipcast.rest("/call/find_all")
        self.assertEqual([(c["callee"], c["status"]) for c in calls if c["incoming"] and
                          c["status"] not in ("FAILED", "FINISH", "BUSY")], [], calls)
        self.assert_still_serving()

    def test_cseq_out_of_order_in_a_dialog(self):
        raw = self.raw(LEGIT)
        call_id = raw.request("INVITE", user="in-order", cseq=10, body=sdp(1))
        answer = raw.final(call_id)
        self.assertEqual(status_of(answer), 200, "%s\n%s" % (answer, self.sipcast.log()))
        contact = re.search(r"<([^>]*)>", header(answer, "Contact")).group(1)
        tags = {"From": header(answer, "From"), "To": header(answer, "To")}

        def in_dialog(method, cseq):
            lines = ["%s %s SIP/2.0" % (method, contact),
                     "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s" % (raw.source, raw.port,
                                                                  uuid.uuid4().hex),
                     "From: %s" % tags["From"], "To: %s" % tags["To"],
                     "Call-ID: %s" % call_id, "CSeq: %d %s" % (cseq, method),
                     "Max-Forwards: 70", "Content-Length: 0", "", ""]
            raw.send("\n".join(lines))
        in_dialog("ACK", 10)
        # RFC 3261 §12.2.2: a CSeq lower than the last one is answered 500
        in_dialog("BYE", 3)
        self.assertEqual(status_of(raw.final(call_id)), 500, self.sipcast.log())
        self.assertEqual(self.find_incoming("in-order")["status"], "ESTABLISHED")
        in_dialog("BYE", 11)
        self.assertEqual(status_of(raw.final(call_id)), 200, self.sipcast.log())
        self.assert_still_serving()

    def find_incoming(self, callee):
        status, calls, _ = self.sipcast.rest("/call/find", {"callee": callee})
        self.assertEqual(status, 200, calls)
        return calls[0]

    def test_flood_scans_and_untrusted(self):
        flood, scan, untrusted = self.raw(FLOOD), self.raw(SCAN), self.raw(UNTRUSTED)
        results = {}

        def invite_flood():
            results["flood_start"] = time.monotonic()
            for i in range(300):
                flood.request("INVITE", user="nobody-%d" % i, body=sdp(1, 4000))
            results["flood"] = flood.first_finals(4)

        def register_and_options_scan():
            for i in range(100):
                scan.request("REGISTER", user="%d" % (1000 + i))
            registers, _ = scan.first_finals(2)
            for i in range(100):
                scan.request("OPTIONS", user="%d" % (2000 + i))
            options, _ = scan.first_finals(2)
            results["scan"] = ({**registers, **options}, None)

        threads = [threading.Thread(target=invite_flood),
                   threading.Thread(target=register_and_options_scan)]
        for thread in threads:
            thread.start()
        # meanwhile a legitimate caller gets through, as fast as ever
        legit = self.raw(LEGIT)
        call_id = legit.request("INVITE", user="in-legit", body=sdp(1))
        answer = legit.final(call_id)
        for thread in threads:
            thread.join(30)

        self.assertEqual(status_of(answer), 200, "%s\n%s" % (answer, self.sipcast.log()))
        finals, last = results["flood"]
        statuses = [status_of(m) for m in finals.values()]
        refused = [m for m in finals.values() if status_of(m) == 503]
        # a burst of twice the rate, then the rate for as long as the
        # flood took sipcast to answer, get an answer of their own (404:
        # no route takes the callee); all the others 503 with Retry-After
        allowed = 2 * RATE + RATE * (last - results["flood_start"]) + 5
        # (some are dropped on the way: UDP socket buffers overflow)
        self.assertGreaterEqual(len(finals), 60, statuses)
        self.assertLessEqual(len(finals) - len(refused), allowed, statuses)
        self.assertGreaterEqual(len(refused), 20, statuses)
        self.assertTrue(all(header(m, "Retry-After") for m in refused), refused[:1])
        self.assertTrue(set(statuses) <= {404, 503}, set(statuses))
        log = self.sipcast.log_path.read_text(errors="replace")
        # one line per source per interval, not one per request
        self.assertEqual(len(re.findall(r"SIP: %s sends more than" % re.escape(FLOOD), log)), 1,
                         self.sipcast.log())
        # the SIP stack answers both scans itself, cheaply: REGISTER with
        # 405 (sipcast is no registrar), OPTIONS with 200
        scan_finals, _ = results["scan"]
        by_method = {}
        for message in scan_finals.values():
            method = header(message, "CSeq").split()[1]
            by_method.setdefault(method, set()).add(status_of(message))
        self.assertEqual(by_method, {"REGISTER": {405}, "OPTIONS": {200}}, by_method)
        self.assertGreaterEqual(len(scan_finals), 60)

        # outside trusted-networks: 403, even under the rate
        call = untrusted.request("INVITE", user="in-untrusted", body=sdp(1))
        self.assertEqual(status_of(untrusted.final(call)), 403, self.sipcast.log())
        self.assertIn("outside trusted-networks",
                      self.sipcast.log_path.read_text(errors="replace"))
        # what the guard refused is counted for /metrics
        conn = http.client.HTTPConnection("127.0.0.1", self.sipcast.rest_port, timeout=15)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        conn.close()
        counted = {name: int(float(value)) for name, value in
                   re.findall(r"^(sipcast_sip_\w+_total) (\S+)$", metrics, re.M)}
        self.assertGreaterEqual(counted.get("sipcast_sip_requests_rate_limited_total", 0),
                                len(refused), metrics)
        self.assertGreaterEqual(counted.get("sipcast_sip_invites_untrusted_total", 0), 1, metrics)
        # the flooder is let in again once it slows down (its INVITE now
        # reaches routing: 404 for a callee no route takes)
        time.sleep(1.5)
        call = flood.request("INVITE", user="nobody-late", body=sdp(1, 4000))
        self.assertEqual(status_of(flood.final(call)), 404, self.sipcast.log())

        self.hang_up_raw(legit, call_id, answer)
        self.assert_still_serving()

    def hang_up_raw(self, raw, call_id, answer):
        contact = re.search(r"<([^>]*)>", header(answer, "Contact")).group(1)
        for method, cseq in (("ACK", 1), ("BYE", 2)):
            raw.send("\n".join([
                "%s %s SIP/2.0" % (method, contact),
                "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s" % (raw.source, raw.port, uuid.uuid4().hex),
                "From: %s" % header(answer, "From"), "To: %s" % header(answer, "To"),
                "Call-ID: %s" % call_id, "CSeq: %d %s" % (cseq, method), "Max-Forwards: 70",
                "Content-Length: 0", "", ""]))
        self.assertEqual(status_of(raw.final(call_id)), 200)

    def test_stalled_and_oversized_tcp(self):
        stalled = []
        for i in range(100):
            sock = socket.create_connection((LOOPBACK, self.sipcast.sip_port), 5,
                                            source_address=(MALFORMED, 0))
            sock.sendall(b"INVITE sip:in-x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP ")
            stalled.append(sock)
        self.addCleanup(lambda: [s.close() for s in stalled])

        # a message bigger than sipcast takes: refused, the connection closed
        big = socket.create_connection((LOOPBACK, self.sipcast.sip_port), 5,
                                       source_address=(MALFORMED, 0))
        self.addCleanup(big.close)
        body = "x" * (200 * 1024)
        big.sendall(("OPTIONS sip:x@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:5000;branch=z9hG4bKbig\r\n"
                     "From: <sip:a@b>;tag=1\r\nTo: <sip:x@c>\r\nCall-ID: big\r\nCSeq: 1 OPTIONS\r\n"
                     "Max-Forwards: 70\r\nContent-Length: %d\r\n\r\n%s"
                     % (LOOPBACK, MALFORMED, len(body), body)).encode())
        big.settimeout(5)
        answer = b""
        try:
            while True:
                chunk = big.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        text = answer.decode(errors="replace")
        self.assertTrue(text == "" or status_of(text) in (400, 413, 513), text)

        # with them all hanging, TCP and UDP SIP still work
        tcp = socket.create_connection((LOOPBACK, self.sipcast.sip_port), 5)
        self.addCleanup(tcp.close)
        port = tcp.getsockname()[1]
        tcp.sendall(("OPTIONS sip:x@%s SIP/2.0\r\nVia: SIP/2.0/TCP %s:%d;branch=z9hG4bKok\r\n"
                     "From: <sip:a@%s>;tag=1\r\nTo: <sip:x@%s>\r\nCall-ID: ok\r\nCSeq: 1 OPTIONS\r\n"
                     "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
                     % (LOOPBACK, LOOPBACK, port, LOOPBACK, LOOPBACK)).encode())
        tcp.settimeout(5)
        self.assertEqual(status_of(tcp.recv(65536).decode(errors="replace")), 200)
        legit = self.raw(LEGIT)
        call_id = legit.request("INVITE", user="in-tcp-legit", body=sdp(1))
        answer = legit.final(call_id)
        self.assertEqual(status_of(answer), 200, "%s\n%s" % (answer, self.sipcast.log()))
        self.hang_up_raw(legit, call_id, answer)
        self.assert_still_serving()


if __name__ == "__main__":
    import unittest
    unittest.main()

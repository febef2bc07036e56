"""The event feed (README "Events"): GET /rest-api/events as Server-Sent
Events, against sipp and nginx-rtmp.

Each event must come exactly as `id: N`, `event: TYPE`, `data: JSON` and a
blank line (a web console parses this); the stream reader below refuses
anything else.
"""

import base64
import hashlib
import hmac
import http.server
import json
import re
import socket
import threading
import time
import unittest

import harness
import test_media
from harness import LOOPBACK, wait_for, wait_status

TYPES = {"call_status", "rtmp_status", "dtmf", "push_status", "injection_ended"}


class EventStream:
    """A raw HTTP/1.1 client of /rest-api/events: its status, headers,
    events and comments, read in a thread as they come (unless read=False:
    a client that never reads)."""

    def __init__(self, sipcast, query="", headers=None, rcvbuf=None, read=True,
                 auth=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.connect((LOOPBACK, sipcast.rest_port))
        lines = ["GET /rest-api/events%s HTTP/1.1" % query,
                 "Host: %s:%d" % (LOOPBACK, sipcast.rest_port)]
        if auth is not None:
            lines.append("Authorization: Basic "
                         + base64.b64encode(("%s:%s" % auth).encode()).decode())
        lines.extend("%s: %s" % item for item in (headers or {}).items())
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.lock = threading.Lock()
        self.status = None
        self.headers = {}
        self.body = b""           # the de-chunked body so far
        self.events = []          # (id, type, data) in arrival order
        self.comments = []
        self.errors = []          # what broke the wire format
        self.closed = False
        self.thread = None
        if read:
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        if self.thread is not None:
            self.thread.join(5)

    def _run(self):
        raw = b""
        head_done = False
        pending = b""     # body bytes not yet split into blocks
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.lock:
                    self.closed = True
                return
            raw += data
            if not head_done:
                if b"\r\n\r\n" not in raw:
                    continue
                head, raw = raw.split(b"\r\n\r\n", 1)
                lines = head.decode().split("\r\n")
                with self.lock:
                    self.status = int(lines[0].split()[1])
                    self.headers = {k.strip().lower(): v.strip() for k, v in
                                    (line.split(":", 1) for line in lines[1:])}
                head_done = True
                if self.headers.get("transfer-encoding") != "chunked":
                    with self.lock:
                        self.body += raw
                        self.closed = True
                    return
            # de-chunk what is complete
            while True:
                if b"\r\n" not in raw:
                    break
                size_line, rest = raw.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                if len(rest) < size + 2:
                    break
                chunk, raw = rest[:size], rest[size + 2:]
                if size == 0:
                    with self.lock:
                        self.closed = True
                    return
                pending += chunk
                with self.lock:
                    self.body += chunk
            while b"\n\n" in pending:
                block, pending = pending.split(b"\n\n", 1)
                self._block(block.decode())

    def _block(self, block):
        lines = block.split("\n")
        with self.lock:
            if all(line.startswith(":") for line in lines):
                self.comments.extend(line[1:].strip() for line in lines)
                return
            match = (len(lines) == 3 and re.fullmatch(r"id: (\d+)", lines[0])
                     and re.fullmatch(r"event: (\w+)", lines[1])
                     and lines[2].startswith("data: "))
            if not match:
                self.errors.append(block)
                return
            try:
                data = json.loads(lines[2][len("data: "):])
            except ValueError:
                self.errors.append(block)
                return
            self.events.append((int(lines[0][4:]), lines[1][7:], data))

    def snapshot(self):
        with self.lock:
            return list(self.events)

    def wait(self, predicate, timeout, what):
        """The events once predicate(events) holds."""
        return wait_for(lambda: (lambda events: events if predicate(events) else None)(
            self.snapshot()), timeout, message=lambda: "%s: %s %s" % (
                what, [(i, t, d.get("call", {}).get("status", d.get("dtmf"))) for i, t, d in
                       self.snapshot()], self.errors))


def call_statuses(events, call_id):
    return [d["call"]["status"] for _, t, d in events
            if t == "call_status" and d["callId"] == call_id]


class EventsTestCase(test_media.MediaTestCase):

    @classmethod
    def sipcast_config(cls):
        return "[events]\nkeep-alive=1\nmax-pending=16384\nbacklog=200\n"

    def stream(self, query="", **kwargs):
        stream = EventStream(self.sipcast, query, **kwargs)
        self.addCleanup(stream.close)
        if stream.thread is not None:
            # subscribed once the first comment (or an error) is in
            wait_for(lambda: stream.comments or stream.closed, 5,
                     message="GET /rest-api/events%s: no answer" % query)
        return stream

    def unreachable_call(self, call_id):
        """A call that fails at once (nothing listens on its port): three
        events, NEW, TRYING, FAILED."""
        port = harness.free_port("udp")
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": call_id, "callee": "1", "sipDomain": LOOPBACK, "sipPort": port})
        self.assertEqual((status, answer), (200, {}))

    def assert_wire_format(self, stream):
        self.assertEqual(stream.errors, [], "blocks that are not `id/event/data`")
        for event_id, kind, data in stream.snapshot():
            self.assertIn(kind, TYPES)
            self.assertEqual((data["id"], data["type"]), (event_id, kind), data)
            self.assertIsInstance(data["timestamp"], int)
            self.assertLess(abs(data["timestamp"] - time.time() * 1000), 120000, data)
            self.assertEqual(list(data)[:3], ["id", "type", "timestamp"], data)
            if kind == "push_status":
                self.assertNotIn("callId", data)
            else:
                self.assertIsInstance(data["callId"], str, data)


class EventStreamTest(EventsTestCase):

    def test_call_status_sequence_in_order(self):
        everything = self.stream()
        mine = self.stream("?callId=ev-seq")
        wait_for(lambda: mine.status, 5, message="no answer to GET /rest-api/events")
        self.assertEqual(mine.status, 200)
        self.assertTrue(mine.headers["content-type"].startswith("text/event-stream"),
                        mine.headers)
        sipp = self.media_sipp("ev-seq")
        self.start_call("ev-seq", sipp, rtmpUrl=self.nginx.url, rtmpStream="ev-seq")
        wait_status(self.sipcast, "ev-seq", "ESTABLISHED", 10)
        self.wait_publishing("ev-seq")
        found = self.find("ev-seq")
        self.terminate("ev-seq")
        events = mine.wait(lambda e: "FINISH" in call_statuses(e, "ev-seq"), 10,
                           "no FINISH event")
        self.assert_sipp_passed(sipp)

        statuses = call_statuses(events, "ev-seq")
        self.assertEqual(statuses[0], "NEW", statuses)
        self.assertEqual(statuses[-1], "FINISH", statuses)
        self.assertIn("ESTABLISHED", statuses)
        self.assertEqual(statuses, sorted(set(statuses), key=statuses.index),
                         "a status twice: %s" % statuses)
        self.assertLess(statuses.index("TRYING"), statuses.index("ESTABLISHED"), statuses)
        rtmp = [d["rtmpStreamStatus"] for _, t, d in events if t == "rtmp_status"]
        self.assertIn("RTMP_STREAM_ACTIVE", rtmp)
        self.assertEqual({d["callId"] for _, _, d in events}, {"ev-seq"})
        # the Call object as /call/find gives it: the same keys, in order
        established = [d["call"] for _, t, d in events
                       if t == "call_status" and d["call"]["status"] == "ESTABLISHED"][0]
        self.assertEqual(list(established), list(found))
        self.assertEqual(established["callId"], "ev-seq")
        active = [d for _, t, d in events if t == "rtmp_status"
                  and d["rtmpStreamStatus"] == "RTMP_STREAM_ACTIVE"][0]
        self.assertIn("rtmpStreamStatusInfo", active)
        self.assert_wire_format(mine)

        # the unfiltered stream has the same events, ids one after another
        all_events = everything.wait(lambda e: "FINISH" in call_statuses(e, "ev-seq"), 5,
                                     "no FINISH event unfiltered")
        ids = [i for i, _, _ in all_events]
        self.assertEqual(ids, list(range(ids[0], ids[0] + len(ids))), ids)
        self.assertEqual([e for e in all_events if e[2]["callId"] == "ev-seq"],
                         [e for e in events])
        self.assert_wire_format(everything)

    def test_dtmf_event(self):
        stream = self.stream("?type=dtmf")
        sipp = self.media_sipp("ev-dtmf", audio="pcmu", audio_pcap=False,
                               on_ack=['<exec play_pcap_audio="%spcmu-dtmf-3s.pcap"/>'
                                       % test_media.MEDIA])
        self.start_call("ev-dtmf", sipp)
        wait_status(self.sipcast, "ev-dtmf", "ESTABLISHED", 10)
        events = stream.wait(lambda e: len(e) >= 3, 10, "three DTMF events")
        self.terminate("ev-dtmf")
        self.assert_sipp_passed(sipp)
        self.assertEqual([(t, d["callId"], d["dtmf"], d["method"]) for _, t, d in events],
                         [("dtmf", "ev-dtmf", digit, "RFC2833") for digit in "1#9"])
        self.assert_wire_format(stream)

    def test_resume_with_last_event_id(self):
        first = self.stream("?callId=ev-resume")
        self.unreachable_call("ev-resume")
        events = first.wait(lambda e: "FAILED" in call_statuses(e, "ev-resume"), 10,
                            "no FAILED event")
        self.assertGreaterEqual(len(events), 3, events)
        # a client that saw the first event only comes back: it gets the
        # rest, the same events with the same ids
        seen = events[0][0]
        again = self.stream("?callId=ev-resume", headers={"Last-Event-ID": str(seen)})
        resumed = again.wait(lambda e: len(e) >= len(events) - 1, 5, "resumed events")
        self.assertEqual(resumed, events[1:])
        by_query = self.stream("?callId=ev-resume&lastEventId=%d" % events[1][0])
        self.assertEqual(by_query.wait(lambda e: len(e) >= len(events) - 2, 5, "by query"),
                         events[2:])
        # no Last-Event-ID: only what happens from now on
        fresh = self.stream("?callId=ev-resume")
        time.sleep(0.5)
        self.assertEqual(fresh.snapshot(), [])
        self.assert_wire_format(again)

    def test_filters(self):
        failed_only = self.stream("?type=call_status,rtmp_status&callId=ev-filter-b")
        self.unreachable_call("ev-filter-a")
        self.unreachable_call("ev-filter-b")
        events = failed_only.wait(lambda e: "FAILED" in call_statuses(e, "ev-filter-b"), 10,
                                  "no FAILED of ev-filter-b")
        self.assertEqual({(t, d["callId"]) for _, t, d in events},
                         {("call_status", "ev-filter-b")})
        status, answer, _ = self.sipcast.rest("/events?type=call_status,nonsense",
                                              http_method="GET")
        self.assert_error(answer, status, 400)
        status, answer, headers = self.sipcast.rest("/events", {})
        self.assert_error(answer, status, 405)
        self.assertEqual(headers.get("Allow"), "GET")

    def test_keep_alive_comments(self):
        stream = self.stream("?callId=nobody")
        wait_for(lambda: stream.comments.count("keep-alive") >= 3, 6,
                 message=lambda: "comments: %s" % stream.comments)
        self.assertEqual(stream.snapshot(), [])
        self.assertFalse(stream.closed)

    def test_slow_consumer_is_dropped(self):
        # a client that never reads, with a small receive window: once
        # more than max-pending (16 KiB) waits for it, it is disconnected
        slow = self.stream(rcvbuf=4096, read=False)
        fast = self.stream()
        before = self.sipcast.open_fds()
        for i in range(80):
            self.unreachable_call("ev-slow-%d" % i)
            if "dropped" in self.sipcast.log():
                break
        wait_for(lambda: re.search(r"events: client \S+ dropped", self.sipcast.log()), 10,
                 message=lambda: "slow client never dropped\n" + self.sipcast.log())
        # its connection is gone: reading what was sent ends in EOF or reset
        slow.sock.settimeout(5)
        try:
            while slow.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        # the reader that keeps up has every event, the daemon answers
        fast.wait(lambda e: "FAILED" in call_statuses(e, "ev-slow-%d" % i), 10, "fast reader")
        self.assertFalse(fast.closed)
        status, _, _ = self.sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 200)
        self.assertLessEqual(self.sipcast.open_fds(), before + 2)


class EventsProductionTest(EventsTestCase):
    """The feed is behind production mode's Basic auth like the API."""

    sipcast_args = ("--production",)
    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        users = harness.run_dir() / "events-users"
        return "[rest]\nusers-file=%s\n[events]\nkeep-alive=1\n" % users

    def test_events_need_credentials(self):
        status, answer, headers = self.sipcast.rest("/events", http_method="GET")
        self.assert_error(answer, status, 401)
        self.assertEqual(headers.get("WWW-Authenticate"), 'Basic realm="sipcast"')
        match = re.search(r"with the account admin, password (\w+) ", self.sipcast.log())
        stream = self.stream(auth=("admin", match.group(1)))
        wait_for(lambda: stream.comments, 5, message="no keep-alive with credentials")
        self.assertEqual(stream.status, 200)


class HookReceiver:
    """A local HTTP server recording every POST: (path, headers, body).
    Paths in fail_first answer 500 to their first that many requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.fail_first = {}
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers), body))
                    left = receiver.fail_first.get(self.path, 0)
                    if left:
                        receiver.fail_first[self.path] = left - 1
                status = 500 if left else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://%s:%d%s" % (LOOPBACK, self.port, path)

    def got(self, path):
        with self.lock:
            return [(h, json.loads(b), b) for p, h, b in self.requests if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


SECRET = "s3cret, with spaces"


class WebhooksTest(EventsTestCase):
    """[hooks] urls and a call's hookUrl: one signed JSON POST per event,
    in order per call, retried after a failure."""

    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        cls.receiver = HookReceiver()
        cls.addClassCleanup(cls.receiver.close)
        # the first POST to /flaky fails
        cls.receiver.fail_first["/flaky"] = 1
        return ("[hooks]\nurls=%s, %s\nsecret=%s\nretries=3\n"
                % (cls.receiver.url("/all"), cls.receiver.url("/flaky"), SECRET))

    def statuses(self, posts, call_id):
        return [d["call"]["status"] for _, d, _ in posts
                if d["type"] == "call_status" and d["callId"] == call_id]

    def test_signed_in_order_and_own_hook_url(self):
        stream = self.stream("?callId=hook-a")
        port = harness.free_port("udp")
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "hook-a", "callee": "1", "sipDomain": LOOPBACK, "sipPort": port,
            "hookUrl": self.receiver.url("/mine")})
        self.assertEqual((status, answer), (200, {}))
        self.unreachable_call("hook-b")
        wait_for(lambda: "FAILED" in self.statuses(self.receiver.got("/all"), "hook-b")
                 and "FAILED" in self.statuses(self.receiver.got("/mine"), "hook-a"), 10,
                 message=lambda: "webhooks: %s\n%s" % (self.receiver.requests, self.sipcast.log()))
        posts = self.receiver.got("/all")
        self.assertEqual(self.statuses(posts, "hook-a"), ["NEW", "TRYING", "FAILED"])
        self.assertEqual(self.statuses(posts, "hook-b"), ["NEW", "TRYING", "FAILED"])
        for call_id in ("hook-a", "hook-b"):
            ids = [d["id"] for _, d, _ in posts if d["callId"] == call_id]
            self.assertEqual(ids, sorted(ids))
        for headers, data, body in posts + self.receiver.got("/mine"):
            expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
            self.assertEqual(headers.get("X-Sipcast-Signature"), expected)
            self.assertTrue(headers.get("Content-Type", "").startswith("application/json"))
            self.assertEqual(headers.get("X-Sipcast-Event"), data["type"])
            self.assertEqual(headers.get("X-Sipcast-Event-Id"), str(data["id"]))
        # the call's own URL gets that call's events only
        mine = self.receiver.got("/mine")
        self.assertEqual({d["callId"] for _, d, _ in mine}, {"hook-a"})
        self.assertEqual(self.statuses(mine, "hook-a"), ["NEW", "TRYING", "FAILED"])
        # the body is the event stream's data, byte for byte
        sse = stream.wait(lambda e: len(e) >= 3, 5, "SSE of hook-a")
        by_id = {d["id"]: b for _, d, b in mine}
        for event_id, _, data in sse:
            self.assertEqual(json.loads(by_id[event_id]), data)

    def test_retried_after_500_in_order(self):
        self.unreachable_call("hook-retry")
        wait_for(lambda: "FAILED" in self.statuses(self.receiver.got("/flaky"), "hook-retry"),
                 15, message=lambda: "flaky: %s\n%s" % (self.receiver.got("/flaky"),
                                                        self.sipcast.log()))
        posts = self.receiver.got("/flaky")
        ids = [d["id"] for _, d, _ in posts]
        # the first POST there failed and came again, and nothing overtook it
        self.assertEqual(ids[0], ids[1], ids)
        self.assertEqual(ids[1:], sorted(set(ids[1:])), ids)
        self.assertRegex(self.sipcast.log(), r"webhook \S+/flaky: event \d+ failed \(HTTP 500\)")

    def test_bad_hook_url_refused(self):
        port = harness.free_port("udp")
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "hook-bad", "callee": "1", "sipDomain": LOOPBACK, "sipPort": port,
            "hookUrl": "ftp://example.org/x"})
        self.assert_error(answer, status, 400)

    def test_bad_config_url_stops_start(self):
        with self.assertRaisesRegex(AssertionError, "is not an http:// or https:// URL"):
            harness.Sipcast(config="[hooks]\nurls=nonsense\n")


if __name__ == "__main__":
    unittest.main()

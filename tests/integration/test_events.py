"""The event feed, webhooks and metrics (README "Events", "Webhooks",
"Metrics"): GET /rest-api/events as Server-Sent Events, POSTs to a local
receiver, GET /metrics parsed strictly; against sipp and nginx-rtmp.

Each event must come exactly as `id: N`, `event: TYPE`, `data: JSON` and a
blank line (a web console parses this); the stream reader below refuses
anything else.
"""

import base64
import hashlib
import hmac
import http.client
import http.server
import json
import re
import socket
import sys
import threading
import time
import unittest

import harness
import test_inject
import test_media
from harness import LOOPBACK, wait_for, wait_status

try:
    from prometheus_client import parser as prometheus_parser
except ImportError:
    try:
        # Debian's python3-prometheus-client, when the tests run on another Python
        sys.path.append("/usr/lib/python3/dist-packages")
        from prometheus_client import parser as prometheus_parser
    except ImportError:
        prometheus_parser = None
    finally:
        sys.path.remove("/usr/lib/python3/dist-packages")

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


# -- the Prometheus text format (0.0.4), strictly ---------------------------

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE_LINE = re.compile(r"(%s)(?:\{(.*)\})? (\S+)" % METRIC_NAME)
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
KINDS = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        match = LABEL.match(text, pos)
        if not match:
            raise ValueError("bad labels: {%s}" % text)
        if match.group(1) in labels:
            raise ValueError("label twice: {%s}" % text)
        labels[match.group(1)] = match.group(2)
        pos = match.end()
        if pos < len(text):
            if text[pos] != ",":
                raise ValueError("bad labels: {%s}" % text)
            pos += 1
    return labels


def parse_metrics(text):
    """{family: {"type", "help", "samples": [(name, labels, value)]}};
    raises ValueError for anything the format does not allow."""
    if not text.endswith("\n"):
        raise ValueError("no final newline")
    families, current = {}, None
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            if not re.fullmatch(METRIC_NAME, name) or name in families or not help_text:
                raise ValueError("bad HELP: %r" % line)
            families[name] = {"type": None, "help": help_text, "samples": []}
            current = name
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            if name != current or kind not in KINDS or families[name]["type"] is not None:
                raise ValueError("bad TYPE: %r" % line)
            families[name]["type"] = kind
        elif line.startswith("#") or line == "":
            raise ValueError("unexpected line: %r" % line)
        else:
            match = SAMPLE_LINE.fullmatch(line)
            if not match or current is None or families[current]["type"] is None:
                raise ValueError("bad sample: %r" % line)
            name, labels, value = match.group(1), parse_labels(match.group(2) or ""), \
                float(match.group(3))
            kind = families[current]["type"]
            allowed = {current}
            if kind == "histogram":
                allowed = {current + "_bucket", current + "_sum", current + "_count"}
            if name not in allowed:
                raise ValueError("sample %s outside its family %s" % (name, current))
            if kind == "counter" and (not name.endswith("_total") or value < 0):
                raise ValueError("bad counter %r" % line)
            families[current]["samples"].append((name, labels, value))
    for name, family in families.items():
        if family["type"] is None:
            raise ValueError("family %s has no TYPE" % name)
        if family["type"] == "histogram" and family["samples"]:
            check_histogram(name, family["samples"])
    return families


def check_histogram(name, samples):
    series = {}
    for sample, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sample.endswith("_bucket"):
            series[key]["buckets"].append((labels["le"], value))
        else:
            series[key][sample.rsplit("_", 1)[1]] = value
    for key, parts in series.items():
        les = [le for le, _ in parts["buckets"]]
        counts = [count for _, count in parts["buckets"]]
        if les[-1] != "+Inf" or [float(le) for le in les] != sorted(float(le) for le in les):
            raise ValueError("%s%s: buckets out of order: %s" % (name, key, les))
        if counts != sorted(counts) or counts[-1] != parts["count"] or parts["sum"] is None:
            raise ValueError("%s%s: not cumulative or no sum/count" % (name, key))


def value(families, family, sample=None, **labels):
    """The value of the one sample of family with these labels."""
    found = [v for n, l, v in families[family]["samples"]
             if n == (sample or family) and l == labels]
    if len(found) != 1:
        raise AssertionError("%s%s: %d samples" % (sample or family, labels, len(found)))
    return found[0]


def scrape(sipcast, auth=None):
    """GET /metrics, parsed (and by prometheus_client's parser as well
    when python3-prometheus-client is installed)."""
    headers = {}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % auth).encode()).decode()
    conn = http.client.HTTPConnection(LOOPBACK, sipcast.rest_port, timeout=15)
    try:
        conn.request("GET", "/metrics", headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    if response.status != 200:
        return response.status, text
    assert response.getheader("Content-Type").startswith("text/plain; version=0.0.4"), \
        response.getheaders()
    families = parse_metrics(text)
    if prometheus_parser is not None:
        parsed = {f.name: f for f in prometheus_parser.text_string_to_metric_families(text)}
        assert parsed["sipcast_calls"].type == "gauge", parsed["sipcast_calls"]
    return response.status, families


class EventsTestCase(test_media.MediaTestCase):

    @classmethod
    def sipcast_config(cls):
        cls.sounds = harness._new_dir("sounds-")
        test_inject.write_tone_wav(cls.sounds / "beep.wav", 1000, 0.3)
        return ("[events]\nkeep-alive=1\nmax-pending=16384\nbacklog=200\n"
                "[media]\nsounds-dir=%s\n" % cls.sounds)

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


class MetricsChecks:
    """GET /metrics: parsed strictly, and what a call changes (run by
    EventStreamTest, on its daemon)."""

    def test_parser_refuses_what_prometheus_would(self):
        # the test's own parser must be able to fail
        good = "# HELP a_total x\n# TYPE a_total counter\na_total{k=\"v\"} 1\n"
        parse_metrics(good)
        for bad in [good.replace("# TYPE a_total counter\n", ""),
                    good.replace('{k="v"}', '{k=v}'),
                    good.replace("a_total{", "b_total{"),
                    good[:-1],
                    "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                    "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"]:
            with self.assertRaises(ValueError, msg=bad):
                parse_metrics(bad)

    def test_metrics_change_with_a_call(self):
        status, before = scrape(self.sipcast)
        self.assertEqual(status, 200, before)
        self.assertEqual(value(before, "sipcast_build_info", version="0.1.0"), 1)

        sipp = self.media_sipp("metrics", audio="pcma", timeout=60)
        self.start_call("metrics", sipp, rtmpUrl=self.nginx.url, rtmpStream="metrics")
        wait_status(self.sipcast, "metrics", "ESTABLISHED", 10)
        self.wait_publishing("metrics")
        time.sleep(1.5)
        status, answer, _ = self.sipcast.rest("/call/send_dtmf",
                                              {"callId": "metrics", "dtmf": "12"})
        self.assertEqual(status, 200, answer)
        _, during = scrape(self.sipcast)
        self.assertEqual(value(during, "sipcast_calls", status="ESTABLISHED",
                               direction="outgoing"), 1)
        self.assertEqual(value(during, "sipcast_rtmp_streams", status="RTMP_STREAM_ACTIVE"), 1)
        for name in ("sipcast_rtp_packets_received_total", "sipcast_rtp_bytes_received_total",
                     "sipcast_flv_bytes_sent_total"):
            self.assertGreater(value(during, name), value(before, name), name)
        # 1.5 s of 20 ms packets at least
        self.assertGreater(value(during, "sipcast_rtp_packets_received_total")
                           - value(before, "sipcast_rtp_packets_received_total"), 50)
        self.assertGreaterEqual(value(during, "sipcast_rtp_jitter_max_seconds"), 0)
        self.assertEqual(value(during, "sipcast_dtmf_sent_total", type="RFC2833")
                         - (value(before, "sipcast_dtmf_sent_total", type="RFC2833")
                            if before["sipcast_dtmf_sent_total"]["samples"] else 0), 2)

        self.terminate("metrics")
        wait_status(self.sipcast, "metrics", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        _, after = scrape(self.sipcast)
        self.assertEqual(value(after, "sipcast_calls_ended_total", status="FINISH",
                               direction="outgoing")
                         - value(before, "sipcast_calls_ended_total", status="FINISH",
                                 direction="outgoing"), 1)
        self.assertEqual(value(after, "sipcast_calls_started_total", direction="outgoing")
                         - value(before, "sipcast_calls_started_total", direction="outgoing"), 1)
        for family in ("sipcast_call_setup_seconds", "sipcast_call_answer_to_rtmp_active_seconds"):
            labels = {"direction": "outgoing"} if family == "sipcast_call_setup_seconds" else {}
            self.assertEqual(value(after, family, family + "_count", **labels)
                             - value(before, family, family + "_count", **labels), 1, family)
            self.assertGreater(value(after, family, family + "_sum", **labels),
                               value(before, family, family + "_sum", **labels), family)
        # counters never go back, also once the call has ended
        for name in ("sipcast_rtp_packets_received_total", "sipcast_rtp_bytes_received_total",
                     "sipcast_flv_bytes_sent_total"):
            self.assertGreaterEqual(value(after, name), value(during, name), name)
        self.assertEqual(value(after, "sipcast_rtmp_streams", status="RTMP_STREAM_ACTIVE"), 0)
        self.assertGreaterEqual(value(after, "sipcast_rest_requests_total",
                                      method="/call/startup", status="200"), 1)
        self.assertGreaterEqual(value(after, "sipcast_rest_requests_total",
                                      method="/metrics", status="200"), 2)

    def test_post_is_405(self):
        conn = http.client.HTTPConnection(LOOPBACK, self.sipcast.rest_port, timeout=15)
        conn.request("POST", "/metrics", b"{}", {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        conn.close()
        self.assertEqual(response.status, 405)


class EventStreamTest(MetricsChecks, EventsTestCase):

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

    def test_info_dtmf_event(self):
        # a far end that sends its digits as SIP INFO (dtmf-relay, dtmf)
        stream = self.stream("?type=dtmf")
        sipp = self.sipp("uas-info-dtmf.xml")
        self.start_call("ev-info", sipp)
        wait_status(self.sipcast, "ev-info", "ESTABLISHED", 10)
        events = stream.wait(lambda e: len(e) >= 3, 10, "three INFO DTMF events")
        self.assertEqual(self.find("ev-info")["dtmfReceived"], "5#9")
        self.terminate("ev-info")
        self.assert_sipp_passed(sipp)
        self.assertEqual([(t, d["callId"], d["dtmf"], d["method"]) for _, t, d in events],
                         [("dtmf", "ev-info", digit, "INFO") for digit in "5#9"])
        self.assert_wire_format(stream)

    def test_push_and_injection_events(self):
        stream = self.stream("?type=push_status,injection_ended")
        sipp = self.media_sipp("ev-push")
        self.start_call("ev-push", sipp)
        wait_status(self.sipcast, "ev-push", "ESTABLISHED", 10)
        status, push, _ = self.sipcast.rest("/push/startup", {
            "streamName": "ev-push", "rtmpUrl": self.nginx.url, "rtmpStream": "ev-push-out"})
        self.assertEqual(status, 200, push)
        self.addCleanup(self.sipcast.rest, "/push/terminate",
                        {"mediaSessionId": push["mediaSessionId"]})
        events = stream.wait(lambda e: any(d["push"]["status"] == "RTMP_STREAM_ACTIVE"
                                           for _, t, d in e if t == "push_status"), 15,
                             "push never active")
        pushes = [d for _, t, d in events if t == "push_status"]
        self.assertEqual(pushes[0]["push"]["status"], "RTMP_STREAM_WAIT", pushes)
        status, found, _ = self.sipcast.rest("/push/find",
                                             {"mediaSessionId": push["mediaSessionId"]})
        self.assertEqual(list(pushes[-1]["push"]), list(found[0]))
        self.assertEqual(pushes[-1]["push"]["mediaSessionId"], push["mediaSessionId"])

        status, answer, _ = self.sipcast.rest("/call/inject_sound",
                                              {"callId": "ev-push", "fileName": "beep.wav"})
        self.assertEqual((status, answer), (200, {}))
        events = stream.wait(lambda e: any(t == "injection_ended" for _, t, _ in e), 10,
                             "no injection_ended")
        ended = [d for _, t, d in events if t == "injection_ended"]
        self.assertEqual([(d["callId"], d["injection"]) for d in ended],
                         [("ev-push", {"type": "sound", "fileName": "beep.wav"})])
        self.terminate("ev-push")
        self.assert_sipp_passed(sipp)
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
            # paced by the reader that keeps up, which must never lag
            # max-pending behind, however busy the machine
            fast.wait(lambda e: "FAILED" in call_statuses(e, "ev-slow-%d" % i), 10,
                      "fast reader")
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

    def test_metrics_open_by_default(self):
        # scrapers need no credentials unless [metrics] require-auth
        status, families = scrape(self.sipcast)
        self.assertEqual(status, 200, families)
        status, answer, _ = self.sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 401, answer)


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
        _, families = scrape(self.sipcast)
        self.assertGreaterEqual(value(families, "sipcast_webhook_failures_total"), 1)
        self.assertGreaterEqual(value(families, "sipcast_webhook_deliveries_total"), len(ids) - 1)

    def test_bad_hook_url_refused(self):
        port = harness.free_port("udp")
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "hook-bad", "callee": "1", "sipDomain": LOOPBACK, "sipPort": port,
            "hookUrl": "ftp://example.org/x"})
        self.assert_error(answer, status, 400)

    def test_bad_config_url_stops_start(self):
        with self.assertRaisesRegex(AssertionError, "is not an http:// or https:// URL"):
            harness.Sipcast(config="[hooks]\nurls=nonsense\n")


class MetricsAuthTest(EventsTestCase):
    """[metrics] require-auth=true: /metrics as closed as the API."""

    sipcast_args = ("--production",)
    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        users = harness.run_dir() / "metrics-users"
        return "[rest]\nusers-file=%s\n[metrics]\nrequire-auth=true\n" % users

    def test_metrics_need_credentials(self):
        status, text = scrape(self.sipcast)
        self.assertEqual(status, 401, text)
        match = re.search(r"with the account admin, password (\w+) ", self.sipcast.log())
        status, families = scrape(self.sipcast, auth=("admin", match.group(1)))
        self.assertEqual(status, 200)
        self.assertIn("sipcast_calls", families)


if __name__ == "__main__":
    unittest.main()

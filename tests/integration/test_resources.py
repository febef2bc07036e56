"""What the daemon takes, it gives back: a REST connection's socket,
whatever the client does with the connection, and a call's RTP ports,
threads and descriptors as soon as the call ends.

Each daemon here runs under a low descriptor limit (RLIMIT_NOFILE 256, as
`ulimit -n 256` sets it), so that a leak of one descriptor per request or
per call runs it out well within a test and fails loudly, and the counts
are read from /proc/PID/fd and /proc/PID/task.

    python3 tests/integration/tap.py tests/integration/test_resources.py
"""

import http.client
import os
import socket
import threading
import time

import harness
from gateway import GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status

NOFILE = 256
# What a count may differ by from where it started: descriptors GLib or
# GStreamer open once, on first use (a DNS resolver, a thread pool's wake-up
# pipe), are not leaks.
SLACK = 4

REQUEST = (b"POST /rest-api/call/find_all HTTP/1.1\r\nHost: %s\r\n"
           b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" % LOOPBACK.encode())


def read_all(sock, timeout=10):
    """Everything the server sends until it closes the connection."""
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def read_response(sock, timeout=10):
    """One response (headers and Content-Length body) off a kept connection."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed after %r" % data)
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head


class RestConnectionsTest(GatewayTestCase):
    """Thousands of requests, each way a client can treat a connection."""

    with_nginx = False
    sipcast_nofile = (NOFILE, NOFILE)

    @classmethod
    def sipcast_config(cls):
        # short, so that abandoned connections go within the test
        return "[rest]\nidle-timeout=2\n"

    def setUp(self):
        # no call exists: every find_all answers 404, which is an answer
        self.baseline = self.sipcast.open_fds()

    def connect(self):
        return socket.create_connection((LOOPBACK, self.sipcast.rest_port), timeout=10)

    def assert_fds_back(self, what, timeout=5):
        """The daemon's descriptor count returns to where the test began."""
        wait_for(lambda: self.sipcast.open_fds() <= self.baseline + SLACK, timeout,
                 message=lambda: "%s: %d descriptors open, %d before\n%s" % (
                     what, self.sipcast.open_fds(), self.baseline, self.sipcast.log()))

    def assert_still_answers(self):
        status, answer, _ = self.sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 404, answer)

    def test_fresh_connection_per_request(self):
        # curl, scripts: one connection per request, closed by the client
        for _ in range(2000):
            conn = http.client.HTTPConnection(LOOPBACK, self.sipcast.rest_port, timeout=10)
            conn.request("POST", "/rest-api/call/find_all", "{}",
                         {"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            conn.close()
            self.assertEqual(response.status, 404)
        self.assert_fds_back("2000 requests on fresh connections")
        self.assert_still_answers()

    def test_keep_alive_then_leave(self):
        for _ in range(40):
            conn = http.client.HTTPConnection(LOOPBACK, self.sipcast.rest_port, timeout=10)
            for _ in range(50):
                conn.request("POST", "/rest-api/call/find_all", "{}",
                             {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                self.assertEqual(response.status, 404)
                # the same connection served them all
                self.assertFalse(response.will_close)
            conn.close()
        self.assert_fds_back("2000 requests on 40 kept-alive connections")

    def test_half_closed(self):
        # the request, then shutdown(SHUT_WR): the answer still comes, then
        # the server closes its side
        for _ in range(2000):
            with self.connect() as sock:
                sock.sendall(REQUEST)
                sock.shutdown(socket.SHUT_WR)
                answer = read_all(sock)
            self.assertTrue(answer.startswith(b"HTTP/1.1 404"), answer)
        self.assert_fds_back("2000 half-closed connections")

    def test_pipelined_then_half_closed(self):
        for _ in range(200):
            with self.connect() as sock:
                sock.sendall(REQUEST * 3)
                sock.shutdown(socket.SHUT_WR)
                answer = read_all(sock)
            self.assertEqual(answer.count(b"HTTP/1.1 404"), 3, answer)
        self.assert_fds_back("200 pipelined connections")

    def test_closed_at_once_or_midway(self):
        for index in range(2000):
            sock = self.connect()
            if index % 2:
                sock.sendall(REQUEST[:len(REQUEST) // 2])
            sock.close()
        self.assert_fds_back("2000 connections closed without a full request")
        self.assert_still_answers()

    def test_abandoned_connections_are_closed(self):
        # three rounds of 150 connections left open by the client, more
        # than the daemon's limit in all: silent ones, ones with half a
        # request, ones kept alive after a request
        for _ in range(3):
            held = []
            try:
                for index in range(150):
                    sock = self.connect()
                    held.append(sock)
                    if index % 3 == 1:
                        sock.sendall(REQUEST[:len(REQUEST) // 2])
                    elif index % 3 == 2:
                        sock.sendall(REQUEST)
                        self.assertTrue(read_response(sock).startswith(b"HTTP/1.1 404"))
                wait_for(lambda: self.sipcast.open_fds() >= self.baseline + 140, 5,
                         message="the daemon never had the connections open")
                # idle-timeout=2: the daemon closes them; the client sees EOF
                for sock in held:
                    self.assertEqual(read_all(sock, timeout=8), b"")
            finally:
                for sock in held:
                    sock.close()
            self.assert_fds_back("150 abandoned connections")
        self.assert_still_answers()


class DescriptorLimitTest(GatewayTestCase):
    """The daemon takes the hard limit, and says when it runs out."""

    with_nginx = False
    # soft below hard: the daemon raises it itself
    sipcast_nofile = (40, 64)

    def test_raises_soft_limit_to_hard(self):
        with open("/proc/%d/limits" % self.sipcast.proc.pid) as limits:
            line = next(line for line in limits if line.startswith("Max open files"))
        self.assertEqual(line.split()[3:5], ["64", "64"], line)
        self.assertIn("file descriptor limit 64 (raised from 40)", self.sipcast.log())

    def test_out_of_descriptors_answers_503_then_recovers(self):
        held = []
        try:
            # more connections than descriptors: the last ones get a 503
            for _ in range(80):
                held.append(socket.create_connection((LOOPBACK, self.sipcast.rest_port)))
            status, answer, headers = self.sipcast.rest("/call/find_all", {})
            self.assert_error(answer, status, 503, headers)
            self.assertEqual(answer["error"], "no_file_descriptors", answer)
        finally:
            for sock in held:
                sock.close()
        # and once they are closed, requests are served again
        wait_for(lambda: self.sipcast.rest("/call/find_all", {})[0] == 404, 5,
                 message=lambda: self.sipcast.log())
        log = self.sipcast.log()
        self.assertEqual(log.count("near its limit"), 1, log)
        self.assertIn("connections are answered 503", log)
        self.assertIn("file descriptors are available again", log)


class CallResourcesTest(GatewayTestCase):
    """Short calls, one after the other, through a small RTP port range."""

    with_nginx = False
    sipcast_nofile = (NOFILE, NOFILE)
    # 20 port pairs: an outgoing call takes two (audio and video), so 10
    # calls holding their ports until ended-call-ttl (60 s) run the range out
    RTP_PORTS = 40
    CALLS = 300
    PARALLEL = 4

    @classmethod
    def sipcast_config(cls):
        # every call stays findable to the end of the test
        return "[calls]\nended-call-ttl=600\n"

    @classmethod
    def setUpClass(cls):
        cls.rtp_min = harness.free_udp_range(cls.RTP_PORTS)
        cls.sipcast_args = ("--rtp-ports=%d-%d" % (cls.rtp_min, cls.rtp_min + cls.RTP_PORTS - 1),)
        super().setUpClass()

    def bound_rtp_ports(self):
        with open("/proc/net/udp") as table:
            ports = {int(line.split()[1].split(":")[1], 16) for line in list(table)[1:]}
        return sorted(p for p in ports if self.rtp_min <= p < self.rtp_min + self.RTP_PORTS)

    def short_call(self, sipp, call_id):
        status, answer, _ = self.sipcast.rest(
            "/call/startup", self.startup_body(call_id, sipp))
        self.assertEqual((status, answer), (200, {}), self.logs(sipp))
        wait_status(self.sipcast, call_id, ("FINISH", "BUSY", "FAILED"), 15)
        call = self.find(call_id)
        self.assertEqual((call["status"], call["sipStatus"]), ("FINISH", 200),
                         "%s\n%s" % (call, "\n".join(line for line in self.sipcast.log().splitlines()
                                                 if call_id in line)))

    def test_short_calls_give_back_what_they_took(self):
        # the far end answers, waits 100 ms and hangs up, CALLS times
        # A phone absorbs a retransmitted INVITE (its 200 OK goes on being
        # retransmitted until the ACK); sipp would abort the call on it.
        # sipcast retransmits when its main loop is slow to read the 200
        # (4 calls set up at once in the sanitizer build).
        sipp = harness.Sipp("uas-short-call.xml", calls=self.CALLS, timeout=120,
                            args=("-default_behaviors", "all,-abortunexp"))
        self.addCleanup(sipp.close)
        # the first call loads GStreamer's plugins and starts its shared
        # threads: measure after it
        self.short_call(sipp, "short-0")
        wait_for(lambda: not self.bound_rtp_ports(), 5)
        fds, threads = self.sipcast.open_fds(), self.sipcast.threads()

        errors = []

        def worker(first):
            try:
                for index in range(first, self.CALLS, self.PARALLEL):
                    self.short_call(sipp, "short-%d" % index)
            except Exception as error:  # reported by the main thread
                errors.append(error)

        workers = [threading.Thread(target=worker, args=(1 + n,)) for n in range(self.PARALLEL)]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(120)
        if errors:
            raise errors[0]
        self.assert_sipp_passed(sipp)

        # the ended calls stay findable...
        status, calls, _ = self.sipcast.rest("/call/find", {"status": "FINISH"})
        self.assertEqual((status, len(calls)), (200, self.CALLS))
        # ...without holding a port, a descriptor or a thread
        wait_for(lambda: not self.bound_rtp_ports(), 5,
                 message=lambda: "RTP ports still bound: %s" % self.bound_rtp_ports())
        wait_for(lambda: self.sipcast.open_fds() <= fds + SLACK, 5,
                 message=lambda: "%d descriptors open after the calls, %d before\n%s"
                 % (self.sipcast.open_fds(), fds, self.sipcast.log()))
        # GLib keeps a few idle pool threads for a while (15 s at most)
        wait_for(lambda: self.sipcast.threads() <= threads + SLACK, 20,
                 message=lambda: "%d threads after the calls, %d before"
                 % (self.sipcast.threads(), threads))

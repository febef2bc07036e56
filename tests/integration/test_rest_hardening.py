"""REST under abuse and over HTTPS, and no secret in any log (issue 14,
items 4 and 8): garbage bodies change nothing, slow and idle clients do
not hold others up, failed logins are throttled per client address,
[rest] tls-certificate serves HTTPS, and a daemon at full debug writes no
password, digest response or users' hash anywhere.

    python3 tests/integration/tap.py tests/integration/test_rest_hardening.py
"""

import base64
import http.client
import os
import re
import resource
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import harness
from gateway import GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status

# Every endpoint that reads a body.
BODY_ENDPOINTS = [
    "/call/startup", "/call/find", "/call/terminate", "/call/send_dtmf",
    "/push/startup", "/push/find", "/push/terminate", "/call/inject_stream",
    "/call/inject_stream/terminate", "/call/inject_sound",
]

# Bodies no endpoint may act on: none names an existing call with a
# well-formed string, so a 2xx to any of them is a bug.
BAD_BODIES = [
    ("huge", b'{"callId": "' + b"x" * (2 * 1024 * 1024) + b'"}'),
    ("deeply nested", b"[" * 30000 + b"]" * 30000),
    ("deeply nested in a field", b'{"callId": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001),
    ("top-level array", b'["callId", "keep"]'),
    ("top-level string", b'"keep"'),
    ("numbers for strings", b'{"callId": 5, "callee": 1000, "mediaSessionId": 7, '
                            b'"streamName": 8, "rtmpUrl": 9, "dtmf": 1}'),
    ("object for a string", b'{"callId": {"id": "keep"}, "mediaSessionId": ["keep"]}'),
    ("null for a string", b'{"callId": null, "callee": null, "streamName": null}'),
    ("string for a boolean", b'{"callId": "ghost", "callee": "1", "sipDomain": "127.0.0.1", '
                             b'"hasAudio": "maybe", "loop": "yes"}'),
    ("port out of range", b'{"callId": "ghost", "callee": "1", "sipDomain": "127.0.0.1", '
                          b'"sipPort": 70000}'),
    ("number too big", b'{"callId": "ghost", "callee": "1", "sipDomain": "127.0.0.1", '
                       b'"sipPort": 1e999}'),
    ("not UTF-8", b'{"callId": "keep\xff\xfe", "callee": "\xc3\x28"}'),
    ("NUL in a string", b'{"callId": "ke\\u0000ep", "callee": "1\\u0000"}'),
    ("lone surrogate", b'{"callId": "\\ud800", "callee": "\\udfff"}'),
    ("truncated string", b'{"callId": "keep", "callee": "10'),
    ("truncated after a key", b'{"callId":'),
    ("empty", b""),
    ("two documents", b'{"callId": "ghost"} {"callId": "keep"}'),
    ("comment", b'{"callId": "ghost" /* "keep" */}'),
]


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1 and its key, by openssl."""
    cert, key = directory / "rest-cert.pem", directory / "rest-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def raise_nofile(wanted):
    """This process needs a descriptor per connection it holds."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


class RestBadBodiesTest(GatewayTestCase):
    """Every malformed body at every endpoint: 4xx with an error, and the
    live call and everything else as it was."""

    with_nginx = False

    def test_bad_bodies_are_4xx_and_change_nothing(self):
        sipp = self.sipp("uas-answer-pcmu.xml")
        self.start_call("keep", sipp)
        wait_status(self.sipcast, "keep", "ESTABLISHED", 10)
        before = self.find("keep")
        for endpoint in BODY_ENDPOINTS:
            for name, body in BAD_BODIES:
                # no body, {} and null filters are valid queries: all
                if endpoint.endswith("/find") and name in ("empty", "null for a string"):
                    continue
                with self.subTest(endpoint=endpoint, body=name):
                    status, answer, headers = self.sipcast.rest(endpoint, raw=body)
                    self.assertTrue(400 <= status < 500, "%s: %s %s" % (name, status, answer))
                    self.assert_error(answer, status, status, headers)
        # nothing changed: the one call, as it was; no push, no other call
        status, calls, _ = self.sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 200, calls)
        self.assertEqual([call["callId"] for call in calls], ["keep"], calls)
        after = self.find("keep")
        for field in ("status", "callee", "sipStatus", "rtmpUrl", "toStream"):
            self.assertEqual(after.get(field), before.get(field), field)
        status, pushes, _ = self.sipcast.rest("/push/find_all", {})
        self.assertEqual(status, 404, pushes)
        self.assertNotIn("CRITICAL", self.sipcast.log())
        self.terminate("keep")
        self.assert_sipp_passed(sipp)


class RestSlowClientsTest(GatewayTestCase):
    """1000 idle connections and slow-loris clients at once: other
    clients are answered at once, and the daemon drops the hogs after
    [rest] idle-timeout even when they keep trickling bytes."""

    with_nginx = False
    sipcast_nofile = (4096, 4096)
    IDLE_TIMEOUT = 3

    @classmethod
    def sipcast_config(cls):
        return "[rest]\nidle-timeout=%d\n" % cls.IDLE_TIMEOUT

    def test_idle_and_slow_clients_do_not_block_others(self):
        raise_nofile(2500)
        baseline = self.sipcast.open_fds()
        idle, slow = [], []
        stop = threading.Event()

        def trickle(sock):
            # a request header one byte at a time, never finished
            line = b"POST /rest-api/call/find_all HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
            line += b"a" * 10000
            for byte in line:
                if stop.wait(0.2):
                    return
                try:
                    sock.send(bytes([byte]))
                except OSError:
                    return  # the daemon closed it: what we want

        try:
            for _ in range(1000):
                idle.append(socket.create_connection((LOOPBACK, self.sipcast.rest_port), 10))
            threads = []
            for _ in range(50):
                sock = socket.create_connection((LOOPBACK, self.sipcast.rest_port), 10)
                slow.append(sock)
                threads.append(threading.Thread(target=trickle, args=(sock,), daemon=True))
            for thread in threads:
                thread.start()
            wait_for(lambda: self.sipcast.open_fds() >= baseline + 1000, 10,
                     message="the daemon never had the connections open")

            # meanwhile another client is served at once, again and again
            worst = 0.0
            for _ in range(20):
                start = time.monotonic()
                status, answer, _ = self.sipcast.rest("/call/find_all", {})
                worst = max(worst, time.monotonic() - start)
                self.assertEqual(status, 404, answer)
            self.assertLess(worst, 1.0 * harness.TIME_SCALE,
                            "a request took %.2f s among the hogs" % worst)

            # after idle-timeout every hog is closed by the daemon, the
            # slow ones while still sending
            for sock in idle + slow:
                sock.settimeout(self.IDLE_TIMEOUT + 10)
            for sock in idle[:50] + slow:
                try:
                    self.assertEqual(sock.recv(100), b"")
                except ConnectionResetError:
                    pass
            wait_for(lambda: self.sipcast.open_fds() <= baseline + 10, 10,
                     message=lambda: "%d descriptors open, %d before"
                     % (self.sipcast.open_fds(), baseline))
        finally:
            stop.set()
            for sock in idle + slow:
                sock.close()
        status, answer, _ = self.sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 404, answer)


class RestLoginThrottleTest(GatewayTestCase):
    """Production mode: failed logins slow down the address they come
    from, not the others."""

    sipcast_args = ("--production",)
    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        users = harness.run_dir() / "throttle-users"
        return "[rest]\nusers-file=%s\n" % users

    def request_from(self, source, auth):
        conn = http.client.HTTPConnection(LOOPBACK, self.sipcast.rest_port, timeout=15,
                                          source_address=(source, 0))
        token = base64.b64encode(("%s:%s" % auth).encode()).decode()
        try:
            conn.request("POST", "/rest-api/call/find_all", b"{}",
                         {"Content-Type": "application/json",
                          "Authorization": "Basic " + token})
            response = conn.getresponse()
            response.read()
            return response.status, response.headers
        finally:
            conn.close()

    def test_failed_logins_throttle_their_address_only(self):
        match = re.search(r"with the account admin, password (\w+) ", self.sipcast.log())
        self.assertIsNotNone(match, self.sipcast.log())
        admin = ("admin", match.group(1))
        statuses = []
        for _ in range(10):
            status, headers = self.request_from("127.0.0.3", ("admin", "wrong"))
            statuses.append(status)
            if status == 429:
                break
        self.assertEqual(statuses[-1], 429, statuses)
        self.assertGreaterEqual(int(headers["Retry-After"]), 1)
        # while it waits, not even the right password gets it in
        self.assertEqual(self.request_from("127.0.0.3", admin)[0], 429)
        # another address is not held up, and its failures are its own
        self.assertIn(self.request_from("127.0.0.4", admin)[0], (200, 404))
        self.assertEqual(self.request_from("127.0.0.4", ("admin", "wrong"))[0], 401)


class RestHttpsTest(GatewayTestCase):
    """[rest] tls-certificate and tls-key: HTTPS with that certificate,
    kept-alive connections, and a plain HTTP client gets nothing."""

    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        cls.cert, key = make_certificate(harness.run_dir())
        return "[rest]\ntls-certificate=%s\ntls-key=%s\n" % (cls.cert, key)

    def curl(self, *args):
        return subprocess.run(
            ["curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}",
             "-H", "Content-Type: application/json", "-d", "{}", *args,
             "https://127.0.0.1:%d/rest-api/call/find_all" % self.sipcast.rest_port],
            capture_output=True, text=True)

    def test_curl_with_the_certificate(self):
        self.assertIn("REST listening on https://127.0.0.1:", self.sipcast.log())
        done = self.curl("--cacert", str(self.cert))
        self.assertEqual(done.returncode, 0, done.stderr)
        body, code = done.stdout.rsplit("\n", 1)
        self.assertEqual(code, "404", done.stdout)
        self.assertIn('"error"', body)
        # without the CA, curl does not trust it: it is that certificate
        done = self.curl()
        self.assertNotEqual(done.returncode, 0, done.stdout)

    def test_kept_alive_https_connection(self):
        context = ssl.create_default_context(cafile=str(self.cert))
        conn = http.client.HTTPSConnection(LOOPBACK, self.sipcast.rest_port, timeout=10,
                                           context=context)
        try:
            for _ in range(20):
                conn.request("POST", "/rest-api/call/find_all", b"{}",
                             {"Content-Type": "application/json"})
                response = conn.getresponse()
                response.read()
                self.assertEqual(response.status, 404)
                self.assertFalse(response.will_close)
        finally:
            conn.close()

    def test_connections_are_given_back(self):
        context = ssl.create_default_context(cafile=str(self.cert))
        baseline = self.sipcast.open_fds()
        for index in range(100):
            conn = http.client.HTTPSConnection(LOOPBACK, self.sipcast.rest_port, timeout=10,
                                               context=context)
            if index % 2:
                # a handshake, then gone without a request
                conn.connect()
            else:
                conn.request("POST", "/rest-api/call/find_all", b"{}",
                             {"Content-Type": "application/json"})
                self.assertEqual(conn.getresponse().status, 404)
            conn.close()
        wait_for(lambda: self.sipcast.open_fds() <= baseline + 3, 10,
                 message=lambda: "%d descriptors open, %d before"
                 % (self.sipcast.open_fds(), baseline))

    def test_plain_http_gets_no_answer(self):
        with socket.create_connection((LOOPBACK, self.sipcast.rest_port), timeout=10) as sock:
            sock.sendall(b"POST /rest-api/call/find_all HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            received = b""
            try:
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    received += chunk
            except ConnectionResetError:
                pass
        self.assertNotIn(b"HTTP/1.1", received)
        done = self.curl("--cacert", str(self.cert))
        self.assertTrue(done.stdout.endswith("404"), done.stdout + done.stderr)

    def test_unusable_certificate_stops_the_start(self):
        with self.assertRaises(AssertionError) as raised:
            harness.Sipcast(config="[rest]\ntls-certificate=%s\n" % (harness.run_dir() / "none.pem"))
        self.assertIn("REST TLS certificate", str(raised.exception))


class SecretsStayOutOfLogsTest(GatewayTestCase):
    """Calls with digest auth both ways and production-mode logins, with
    every message and sipcast debug category on and DOT dumps: no
    password, digest response or users' hash in the log, the find
    results or the dumps."""

    sipcast_args = ("--production",)

    @classmethod
    def sipcast_config(cls):
        cls.dot_dir = harness.run_dir() / "secret-dots"
        cls.dot_dir.mkdir(exist_ok=True)
        cls.users = harness.run_dir() / "secret-users"
        return """\
[rest]
users-file=%s

[route vault]
callee=vault*
user=alice
password=VaultPass77
realm=sipcast-test
""" % cls.users

    @classmethod
    def setUpClass(cls):
        saved = {k: os.environ.get(k) for k in ("G_MESSAGES_DEBUG", "GST_DEBUG",
                                                "GST_DEBUG_DUMP_DOT_DIR")}
        os.environ.update(G_MESSAGES_DEBUG="all", GST_DEBUG="sipcast*:7",
                          GST_DEBUG_DUMP_DOT_DIR=str(harness.run_dir() / "secret-dots"))
        try:
            super().setUpClass()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def wait_established(self, query, auth, *sipps):
        def established():
            status, calls, _ = self.sipcast.rest("/call/find", query, auth=auth)
            return calls[-1] if status == 200 and calls[-1]["status"] == "ESTABLISHED" else None
        return wait_for(established, 15, message=lambda: "%s never ESTABLISHED\n%s"
                        % (query, self.logs(*sipps)))

    def test_no_secret_anywhere(self):
        match = re.search(r"with the account admin, password (\w+) ", self.sipcast.log())
        self.assertIsNotNone(match, self.sipcast.log())
        admin = ("admin", match.group(1))
        # the generated password is logged once, by design; nothing after
        logged_once = self.sipcast.log().count(admin[1])
        self.assertEqual(logged_once, 1)
        hashes = [line.split(":", 1)[1].strip()
                  for line in Path(self.users).read_text().splitlines()
                  if ":" in line and not line.startswith("#")]
        self.assertTrue(hashes)

        # outgoing: the far end challenges, sipcast answers with the password
        sipp = harness.Sipp("uas-auth.xml", args=(
            "-set", "challenge", "401", "-set", "user", "studio",
            "-set", "password", "OutPass55", "-set", "expected_response", 'response="'))
        self.addCleanup(sipp.close)
        self.start_call("secret-out", sipp, auth=admin, sipLogin="studio",
                        sipPassword="OutPass55", rtmpUrl=self.nginx.url,
                        rtmpStream="secret-out")
        self.wait_established({"callId": "secret-out"}, admin)

        # incoming: sipp answers the route's challenge
        caller = harness.Sipp("uac-auth-call.xml", args=(
            "-s", "vault1", "-au", "alice", "-ap", "VaultPass77",
            "-auth_uri", "vault1@%s:%d" % (LOOPBACK, self.sipcast.sip_port),
            "%s:%d" % (LOOPBACK, self.sipcast.sip_port)))
        self.addCleanup(caller.close)

        call_in = self.wait_established({"callee": "vault1"}, admin, caller)

        # wrong logins, and an attempt to set a password through a body
        self.sipcast.rest("/call/find_all", {}, auth=("admin", "WrongLogin99"))
        status, found, _ = self.sipcast.rest("/call/find_all", {}, auth=admin)
        self.assertEqual(status, 200, found)
        found_text = str(found)

        self.sipcast.rest("/call/terminate", {"callId": "secret-out"}, auth=admin)
        self.sipcast.rest("/call/terminate", {"callId": call_in["callId"]}, auth=admin)
        self.assert_sipp_passed(sipp)
        self.assert_sipp_passed(caller)

        responses = re.findall(r'response="([0-9a-f]{32})"',
                               sipp.messages() + caller.messages())
        self.assertGreaterEqual(len(responses), 2, "no digest seen by sipp")
        log = Path(self.sipcast.log_path).read_text(errors="replace")
        # the debug output is really on
        self.assertRegex(log, r"sipcast-\w+-DEBUG")
        dots = "".join(p.read_text(errors="replace") for p in self.dot_dir.glob("*.dot"))
        secrets = ["OutPass55", "VaultPass77", "WrongLogin99"] + responses + hashes
        for where, text in (("logs", log.replace(admin[1], "", 1)), ("find results", found_text),
                            ("DOT dumps", dots)):
            for secret in secrets + [admin[1]]:
                at = text.find(secret)
                self.assertEqual(at, -1, "the %s hold a secret: ...%s..."
                                 % (where, text[max(0, at - 200):at + 100]))

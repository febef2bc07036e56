"""A cluster of three sipcast nodes on one Redis, with Kamailio in front
(README "Cluster"): redis-server, nodes a, b and c in production mode with
one users file, Kamailio's dispatcher over their SIP ports, sipp far ends
and nginx-rtmp, all on 127.0.0.1.  One REST API over all nodes (startup
placed and claimed cluster-wide, find from any node, requests forwarded
to the node that has the call), incoming INVITEs spread by Kamailio,
draining, a node killed, Redis restarted.

The tests run in name order and share the cluster: each leaves it with
three live nodes, none draining, and no live call.
"""

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest
from pathlib import Path

import harness
from harness import LOOPBACK, wait_for, wait_status

# Short, so that a lost node is noticed within seconds.
HEARTBEAT_TTL = 2

KAMAILIO = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin:/sbin")
REDIS = shutil.which("redis-server")
MISSING = [name for name, path in (("redis-server", REDIS), ("kamailio", KAMAILIO))
           if path is None]


class Redis:
    """redis-server on a free port, without persistence: a restart is an
    empty Redis, the worst case for the nodes to recover from."""

    def __init__(self):
        self.dir = harness._new_dir("redis-")
        self.port = harness.free_port("tcp")
        self.proc = None
        self.start()

    def start(self):
        self.proc = harness._spawn([REDIS, "--port", str(self.port), "--bind", LOOPBACK,
                                    "--save", "", "--appendonly", "no", "--dir", self.dir],
                                   self.dir / "redis.log")
        wait_for(lambda: self.proc.poll() is not None or harness._tcp_accepts(self.port), 10)
        if self.proc.poll() is not None:
            raise AssertionError("redis-server exited\n" + harness._tail(self.dir / "redis.log"))

    def stop(self):
        harness._end(self.proc, signal.SIGKILL, 5)

    def command(self, *args):
        """One command over RESP; the reply, decoded roughly."""
        with socket.create_connection((LOOPBACK, self.port), timeout=5) as sock:
            parts = [b"*%d\r\n" % len(args)]
            for arg in args:
                data = str(arg).encode()
                parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
            sock.sendall(b"".join(parts))
            reader = sock.makefile("rb")
            return self._read(reader)

    def _read(self, reader):
        line = reader.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            if int(rest) < 0:
                return None
            data = reader.read(int(rest) + 2)[:-2]
            return data.decode(errors="replace")
        if kind == b"*":
            return [self._read(reader) for _ in range(max(0, int(rest)))]
        raise AssertionError("unexpected Redis reply %r" % line)


class Kamailio:
    """Kamailio with data/kamailio/kamailio.cfg, on its own port, probing
    the nodes every second."""

    def __init__(self, sip_ports):
        self.dir = harness._new_dir("kamailio-")
        self.port = harness.free_port("udp")
        (self.dir / "run").mkdir()
        dispatcher = self.dir / "dispatcher.list"
        dispatcher.write_text("".join("1 sip:%s:%d\n" % (LOOPBACK, port) for port in sip_ports))
        config = (harness.REPO / "data" / "kamailio" / "kamailio.cfg").read_text()
        for old, new in (("listen=udp:127.0.0.1:5060", "listen=udp:%s:%d" % (LOOPBACK, self.port)),
                         ("/etc/kamailio/dispatcher.list", str(dispatcher)),
                         ('"ds_ping_interval", 10', '"ds_ping_interval", 1')):
            assert old in config, old
            config = config.replace(old, new)
        self.conf = self.dir / "kamailio.cfg"
        self.conf.write_text(config)
        # -DD: no daemon, but its children as usual; -E: log to stderr
        self.proc = harness._spawn([KAMAILIO, "-DD", "-E", "-f", self.conf, "-Y", self.dir / "run",
                                    "-w", self.dir, "-m", "32", "-M", "4"],
                                   self.dir / "kamailio.log", start_new_session=True)
        wait_for(lambda: self.proc.poll() is not None or harness._udp_bound(self.port), 10)
        if self.proc.poll() is not None:
            raise AssertionError("kamailio exited\n" + self.log())

    def close(self):
        # its children are in its process group
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def log(self):
        return "--- kamailio\n" + harness._tail(self.dir / "kamailio.log")


class Node(harness.Sipcast):
    """A cluster node: every REST request with the cluster's credentials."""

    auth = None

    def __init__(self, node_id, config, args=()):
        self.node_id = node_id
        super().__init__(args, config)

    def rest(self, method, body=None, auth=None, **kwargs):
        return super().rest(method, body, auth=auth or Node.auth, **kwargs)


def options_status(port):
    """The status line's code of our OPTIONS to a node's SIP port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((LOOPBACK, 0))
    sock.settimeout(3)
    local = sock.getsockname()[1]
    try:
        request = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%d\r\n"
                   "From: <sip:probe@%s>;tag=probe\r\nTo: <sip:%s:%d>\r\n"
                   "Call-ID: probe-%d@%s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                   "Content-Length: 0\r\n\r\n"
                   % (LOOPBACK, port, LOOPBACK, local, time.monotonic_ns(), LOOPBACK,
                      LOOPBACK, port, time.monotonic_ns(), LOOPBACK))
        sock.sendto(request.encode(), (LOOPBACK, port))
        while True:
            data = sock.recv(4096).decode(errors="replace")
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                return code
    finally:
        sock.close()


@unittest.skipIf(MISSING, "the cluster test needs %s (tools/install-deps --test)"
                 % " and ".join(MISSING))
class ClusterTest(unittest.TestCase):

    @classmethod
    def node_config(cls, node_id, extra=""):
        return """
[rest]
production=true
users-file=%(users)s
[sip]
max-incoming-per-source=0
[rtp]
timeout=0
first-rtp-timeout=0
[cluster]
redis-url=redis://%(ip)s:%(port)d
node-id=%(id)s
heartbeat-ttl=%(ttl)d
%(extra)s
[route studio]
callee=studio*
""" % {"users": cls.users_file, "ip": LOOPBACK, "port": cls.redis.port, "id": node_id,
       "ttl": HEARTBEAT_TTL, "extra": extra}

    @classmethod
    def start_node(cls, node_id, args=()):
        # a takes one call: the second /call/startup it gets goes elsewhere
        extra = "max-calls=1" if node_id == "a" else ""
        node = Node(node_id, cls.node_config(node_id, extra), args)
        cls.addClassCleanup(node.close)
        return node

    @classmethod
    def setUpClass(cls):
        cls.redis = Redis()
        cls.addClassCleanup(cls.redis.stop)
        cls.nginx = harness.Nginx()
        cls.addClassCleanup(cls.nginx.close)
        cls.users_file = harness.run_dir() / "cluster-users"
        a = cls.start_node("a")
        # one users file for all: the first node made it and logged the
        # password; a forwarded request carries the client's credentials
        match = wait_for(lambda: re.search(r"with the account admin, password (\w+) ", a.log()), 5)
        Node.auth = ("admin", match.group(1))
        cls.nodes = {"a": a, "b": cls.start_node("b"), "c": cls.start_node("c")}
        cls.kamailio = Kamailio([n.sip_port for n in cls.nodes.values()])
        cls.addClassCleanup(cls.kamailio.close)
        cls.wait_nodes(["a", "b", "c"])

    @classmethod
    def tearDownClass(cls):
        for node in cls.nodes.values():
            node.stop()

    @classmethod
    def wait_nodes(cls, ids, via="a", timeout=10):
        """Until node `via` lists exactly the live nodes `ids`."""
        def listed():
            status, nodes, _ = cls.nodes[via].rest("/node/find_all", {})
            return status == 200 and sorted(n["id"] for n in nodes) == sorted(ids) and nodes
        return wait_for(listed, timeout, message=lambda: "nodes are not %s: %s\n%s" % (
            ids, cls.nodes[via].rest("/node/find_all", {}), cls.nodes[via].log()))

    def logs(self, *sipps):
        return "\n".join([n.log() for n in self.nodes.values()] +
                         [s.log() for s in sipps] + [self.kamailio.log()])

    def far_end(self, scenario="uas-answer-pcma.xml", calls=1):
        sipp = harness.Sipp(scenario, calls=calls)
        self.addCleanup(sipp.close)
        return sipp

    def body(self, call_id, sipp, **fields):
        body = {"callId": call_id, "callee": "1000", "sipDomain": LOOPBACK,
                "sipPort": str(sipp.port), "hasAudio": "true", "hasVideo": "false",
                "sipRegisterRequired": "false"}
        body.update(fields)
        return body

    def start(self, via, call_id, sipp, **fields):
        status, answer, _ = self.nodes[via].rest("/call/startup", self.body(call_id, sipp, **fields))
        self.assertEqual((status, answer), (200, {}), self.logs(sipp))
        self.addCleanup(self.end_quietly, call_id)

    def end_quietly(self, call_id):
        for node in self.nodes.values():
            try:
                node.rest("/call/terminate", {"callId": call_id})
                return
            except (OSError, ConnectionError):
                continue

    def find(self, via, call_id):
        status, calls, _ = self.nodes[via].rest("/call/find", {"callId": call_id})
        self.assertEqual(status, 200, calls)
        self.assertEqual(len(calls), 1, calls)
        return calls[0]

    def wait_call(self, via, call_id, predicate, timeout=10):
        def check():
            status, calls, _ = self.nodes[via].rest("/call/find", {"callId": call_id})
            return status == 200 and len(calls) == 1 and predicate(calls[0]) and calls[0]
        return wait_for(check, timeout, message=lambda: "call %s via %s: %s\n%s" % (
            call_id, via, self.nodes[via].rest("/call/find", {"callId": call_id}), self.logs()))

    def live_calls(self, via="a"):
        status, calls, _ = self.nodes[via].rest("/call/find_all", {})
        return [c for c in calls if c["status"] not in harness.ENDED] if status == 200 else []

    def metrics(self, via):
        conn = http.client.HTTPConnection(LOOPBACK, self.nodes[via].rest_port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            return conn.getresponse().read().decode()
        finally:
            conn.close()

    def event_with(self, via, needle, timeout=5):
        """The first event in node `via`'s backlog whose data has needle,
        or None."""
        conn = http.client.HTTPConnection(LOOPBACK, self.nodes[via].rest_port, timeout=timeout)
        token = base64.b64encode(("%s:%s" % Node.auth).encode()).decode()
        conn.request("GET", "/rest-api/events?lastEventId=0",
                     headers={"Authorization": "Basic " + token})
        response = conn.getresponse()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                line = response.fp.readline().decode(errors="replace")
                if line.startswith("data: ") and needle in line:
                    return json.loads(line[6:])
        except socket.timeout:
            pass
        finally:
            conn.close()
        return None

    # -- the tests, in name order ----------------------------------------------

    def test_1_one_api_over_all_nodes(self):
        rtmp = self.far_end()
        plain = self.far_end()
        # through a: the first runs there, the second (a has max-calls=1)
        # on the least loaded other node
        self.start("a", "cl-rtmp", rtmp, rtmpUrl=self.nginx.url, rtmpStream="cl-rtmp")
        self.start("a", "cl-plain", plain)
        # a is full, so these would go elsewhere: a live callId is 409
        # first, wherever it runs
        for call_id in ("cl-rtmp", "cl-plain"):
            status, answer, _ = self.nodes["a"].rest("/call/startup", self.body(call_id, plain))
            self.assertEqual(status, 409, answer)

        # found through b, each with its node, published through its node
        first = self.wait_call("b", "cl-rtmp", lambda c: c["rtmpStreamStatus"] ==
                               "RTMP_STREAM_ACTIVE", 15)
        second = self.wait_call("b", "cl-plain", lambda c: c["status"] == "ESTABLISHED")
        self.assertEqual(first["nodeId"], "a", first)
        self.assertIn(second["nodeId"], ("b", "c"), second)
        self.assertEqual(first["status"], "ESTABLISHED", first)
        self.assertEqual(list(first)[:3], ["custom", "nodeId", "appKey"], first)
        status, calls, _ = self.nodes["c"].rest("/call/find_all", {})
        self.assertEqual(status, 200, calls)
        self.assertEqual({c["callId"] for c in calls} >= {"cl-rtmp", "cl-plain"}, True, calls)
        status, calls, _ = self.nodes["b"].rest("/call/find", {"callee": "1000",
                                                               "status": "established"})
        self.assertEqual({c["callId"] for c in calls}, {"cl-rtmp", "cl-plain"}, calls)

        # requests on a call of another node are forwarded and answered as
        # if local: DTMF and terminate through c (whatever node has them)
        status, answer, _ = self.nodes["c"].rest("/call/send_dtmf",
                                                 {"callId": "cl-rtmp", "dtmf": "12"})
        self.assertEqual((status, answer), (200, {}), self.logs())
        status, answer, _ = self.nodes["c"].rest("/call/send_dtmf",
                                                 {"callId": "cl-rtmp", "dtmf": "Z"})
        self.assertEqual(status, 400, answer)
        for call_id in ("cl-rtmp", "cl-plain"):
            status, answer, _ = self.nodes["c"].rest("/call/terminate", {"callId": call_id})
            self.assertEqual((status, answer), (200, {}), self.logs())
        for call_id in ("cl-rtmp", "cl-plain"):
            ended = self.wait_call("b", call_id, lambda c: c["status"] == "FINISH")
            self.assertIsNotNone(ended["nodeId"], ended)
        self.assertEqual(rtmp.wait(15), 0, self.logs(rtmp))
        self.assertEqual(plain.wait(15), 0, self.logs(plain))
        status, answer, _ = self.nodes["c"].rest("/call/terminate", {"callId": "cl-nowhere"})
        self.assertEqual(status, 404, answer)

        # credentials still count when forwarded
        status, _, _ = self.nodes["c"].rest("/call/find_all", {}, auth=("admin", "wrong"))
        self.assertEqual(status, 401)
        # events say which node published them, and whose call it is
        event = self.event_with("a", '"callId":"cl-rtmp"')
        self.assertIsNotNone(event, self.nodes["a"].log())
        self.assertEqual(event["nodeId"], "a", event)
        self.assertEqual(event["call"]["nodeId"], "a", event)
        metrics = self.metrics("a")
        self.assertIn("sipcast_cluster_redis_up 1", metrics)
        self.assertRegex(metrics, r"sipcast_cluster_forwarded_total [1-9]")

    def test_2_same_call_id_on_two_nodes_at_once(self):
        far = [self.far_end(), self.far_end()]
        answers = {}

        def post(via, sipp, call_id, **fields):
            answers[via] = self.nodes[via].rest("/call/startup",
                                                self.body(call_id, sipp, **fields))[:2]

        for round_, fields in enumerate(({}, {"rtmpUrl": self.nginx.url, "rtmpStream": "dup"})):
            # the same callId; then different callIds, same RTMP target
            ids = ("cl-dup-%d" % round_,) * 2 if not fields else ("cl-t1", "cl-t2")
            for call_id in set(ids):
                self.addCleanup(self.end_quietly, call_id)
            threads = [threading.Thread(target=post, args=(via, sipp, call_id), kwargs=fields)
                       for via, sipp, call_id in zip(("b", "c"), far, ids)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(20)
            statuses = sorted(status for status, _ in answers.values())
            self.assertEqual(statuses, [200, 409], (answers, self.logs()))
            for status, answer in answers.values():
                if status == 409:
                    self.assertEqual(answer["error"], "conflict", answer)
            winner = [via for via, (status, _) in answers.items() if status == 200][0]
            won = ids[("b", "c").index(winner)]
            self.wait_call("a", won, lambda c: c["status"] == "ESTABLISHED")
            self.nodes["a"].rest("/call/terminate", {"callId": won})
            self.wait_call("a", won, lambda c: c["status"] == "FINISH")
            answers.clear()
            far = [self.far_end(), self.far_end()]

    def caller(self, callee, calls=1):
        """sipp calling callee through Kamailio."""
        sipp = harness.Sipp("uac-call-proxy.xml", calls=calls, args=(
            "-s", callee, "-r", "2", "%s:%d" % (LOOPBACK, self.kamailio.port)))
        self.addCleanup(sipp.close)
        return sipp

    def incoming(self, callee, count):
        """The live incoming calls to callee, once there are count."""
        def found():
            calls = [c for c in self.live_calls() if c["callee"] == callee and
                     c["status"] == "ESTABLISHED"]
            return len(calls) == count and calls
        return wait_for(found, 20, message=lambda: "not %d calls to %s: %s\n%s" % (
            count, callee, self.live_calls(), self.logs()))

    def end_all(self, calls, via="b"):
        for call in calls:
            status, answer, _ = self.nodes[via].rest("/call/terminate", {"callId": call["callId"]})
            self.assertEqual((status, answer), (200, {}), self.logs())

    def test_3_incoming_calls_spread_by_kamailio(self):
        sipp = self.caller("studio-in", calls=6)
        calls = self.incoming("studio-in", 6)
        self.assertEqual({c["nodeId"] for c in calls}, {"a", "b", "c"}, calls)
        self.assertTrue(all(c["incoming"] for c in calls), calls)
        # a took at most its max-calls; Kamailio tried the next node
        self.assertLessEqual(len([c for c in calls if c["nodeId"] == "a"]), 1, calls)
        self.end_all(calls)
        self.assertEqual(sipp.wait(20), 0, self.logs(sipp))

    def test_4_drained_node_takes_no_new_calls(self):
        b = self.nodes["b"]
        ctl = os.environ.get("SIPCASTCTL_BIN", str(harness.REPO / "build/src/sipcastctl"))
        env = dict(os.environ, SIPCAST_PASSWORD=Node.auth[1])

        def sipcastctl(*args):
            return subprocess.run([ctl, "--url", "http://%s:%d/rest-api" % (LOOPBACK, b.rest_port),
                                   "--user", "admin", "--json", *args],
                                  env=env, capture_output=True, text=True, timeout=10)

        self.assertEqual(options_status(b.sip_port), 200)
        done = sipcastctl("node", "drain")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.addCleanup(sipcastctl, "node", "resume")
        self.assertIs(json.loads(done.stdout)["draining"], True, done.stdout)
        # the dispatcher's probes see it (503), and so do new INVITEs
        self.assertEqual(options_status(b.sip_port), 503)
        time.sleep(1.5)

        # startup through b runs elsewhere
        far = self.far_end()
        self.start("b", "cl-drained", far)
        call = self.wait_call("b", "cl-drained", lambda c: c["status"] == "ESTABLISHED")
        self.assertNotEqual(call["nodeId"], "b", call)
        self.assertEqual(self.nodes["b"].rest("/call/terminate", {"callId": "cl-drained"})[0], 200)

        sipp = self.caller("studio-drain", calls=3)
        calls = self.incoming("studio-drain", 3)
        self.assertNotIn("b", {c["nodeId"] for c in calls}, calls)
        self.end_all(calls)
        self.assertEqual(sipp.wait(20), 0, self.logs(sipp))

        listed = json.loads(sipcastctl("node", "list").stdout)
        self.assertEqual([n["draining"] for n in listed if n["id"] == "b"], [True], listed)
        resumed = sipcastctl("node", "resume")
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertEqual(options_status(b.sip_port), 200)

    def test_5_killed_node_calls_fail_the_others_go_on(self):
        far = self.far_end(calls=2)
        other = self.far_end()
        self.start("c", "cl-on-c1", far)
        self.start("c", "cl-on-c2", far)
        self.start("b", "cl-on-b", other)
        for call_id in ("cl-on-c1", "cl-on-c2", "cl-on-b"):
            call = self.wait_call("a", call_id, lambda c: c["status"] == "ESTABLISHED")
            self.assertEqual(call["nodeId"], call_id[6], call)

        c = self.nodes["c"]
        c.proc.send_signal(signal.SIGKILL)
        c.proc.wait()
        killed = time.monotonic()
        for call_id in ("cl-on-c1", "cl-on-c2"):
            lost = self.wait_call("a", call_id, lambda call: call["status"] == "FAILED",
                                  HEARTBEAT_TTL + 5)
            self.assertEqual(lost["statusInfo"], "Node lost", lost)
            self.assertEqual(lost["nodeId"], "c", lost)
        # within the TTL and a heartbeat period (plus polling)
        self.assertLess(time.monotonic() - killed, HEARTBEAT_TTL + 2.5)
        self.assertEqual(self.find("b", "cl-on-b")["status"], "ESTABLISHED")
        self.wait_nodes(["a", "b"], via="b")
        # one survivor published the lost calls' events
        events = [self.event_with(via, '"statusInfo":"Node lost"', 2) for via in ("a", "b")]
        self.assertEqual(len([e for e in events if e is not None]), 1, events)
        event = [e for e in events if e is not None][0]
        self.assertEqual(event["call"]["status"], "FAILED", event)

        # c again, same id and SIP port: its old calls stay FAILED
        self.nodes["c"] = self.start_node("c", ("--sip-port=%d" % c.sip_port,))
        self.wait_nodes(["a", "b", "c"])
        time.sleep(1)
        for via in ("a", "c"):
            self.assertEqual(self.find(via, "cl-on-c1")["status"], "FAILED", via)
        self.assertEqual(self.nodes["c"].rest("/call/terminate", {"callId": "cl-on-b"})[0], 200)
        self.wait_call("a", "cl-on-b", lambda call: call["status"] == "FINISH")
        self.assertEqual(other.wait(15), 0, self.logs(other))

    def test_6_redis_restarted(self):
        self.redis.stop()
        # without Redis each node runs its own calls, and says so
        far = self.far_end()
        self.start("a", "cl-alone", far)
        self.wait_call("a", "cl-alone", lambda c: c["status"] == "ESTABLISHED")
        self.assertIn("sipcast_cluster_redis_up 0", self.metrics("a"))
        self.assertIn("unavailable", self.nodes["a"].log())

        self.redis.start()
        # back: every node re-registers, and a's call is known to all
        self.wait_nodes(["a", "b", "c"], via="b", timeout=15)
        call = self.wait_call("c", "cl-alone", lambda c: c["status"] == "ESTABLISHED", 15)
        self.assertEqual(call["nodeId"], "a", call)
        status, answer, _ = self.nodes["c"].rest("/call/terminate", {"callId": "cl-alone"})
        self.assertEqual((status, answer), (200, {}), self.logs())
        self.wait_call("b", "cl-alone", lambda c: c["status"] == "FINISH")
        self.assertEqual(far.wait(15), 0, self.logs(far))


if __name__ == "__main__":
    unittest.main()

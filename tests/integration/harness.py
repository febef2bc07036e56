"""Helpers for sipcast's integration tests: real peers on 127.0.0.1.

Each peer is a class that owns one child process and its temporary files:
Nginx (an nginx-rtmp server that records every stream it receives), Sipp
(one far-end SIP user agent running one scenario from tests/sip/) and
Sipcast (the daemon under test, driven through its REST API). Everything a
test run writes goes under one tempfile.mkdtemp() directory, removed at exit
unless SIPCAST_TEST_KEEP is set. Standard library only.
"""

import array
import atexit
import base64
import http.client
import http.server
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

LOOPBACK = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
SIP_DIR = REPO / "tests" / "sip"
RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"
STREAM_MODULE = "/usr/lib/nginx/modules/ngx_stream_module.so"

_run_dir = None
_children = []


def run_dir():
    """The per-run temporary directory, created on first use."""
    global _run_dir
    if _run_dir is None:
        _run_dir = Path(tempfile.mkdtemp(prefix="sipcast-it-"))
    return _run_dir


def _new_dir(prefix):
    return Path(tempfile.mkdtemp(prefix=prefix, dir=run_dir()))


@atexit.register
def _cleanup():
    # The safety net for an interrupted run, where tearDown never ran.
    for proc in _children:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if _run_dir is not None:
        if os.environ.get("SIPCAST_TEST_KEEP"):
            print("# kept test files in %s" % _run_dir)
        else:
            shutil.rmtree(_run_dir, ignore_errors=True)


def _spawn(cmd, log_path, **kwargs):
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(c) for c in cmd], stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, **kwargs)
    _children.append(proc)
    return proc


def _end(proc, sig, timeout):
    """Signal proc and reap it; SIGKILL if it outlives timeout. Exit code."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def _tail(path, limit=6000):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as error:
        return "(%s)" % error
    return text if len(text) <= limit else "..." + text[-limit:]


# -- ports --------------------------------------------------------------------

def free_port(kind="tcp"):
    """A port on 127.0.0.1 that nothing is bound to right now."""
    sock_type = socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    with socket.socket(socket.AF_INET, sock_type) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _udp_block_free(base, count):
    """Whether UDP ports base .. base+count-1 can all be bound now."""
    socks = []
    try:
        for port in range(base, base + count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.bind((LOOPBACK, port))
        return True
    except OSError:
        return False
    finally:
        for sock in socks:
            sock.close()


def _free_udp_block(count):
    """An even UDP port p such that p .. p+count-1 are all free."""
    for _ in range(100):
        base = free_port("udp") & ~1
        if _udp_block_free(base, count):
            return base
    raise RuntimeError("no block of %d free UDP ports" % count)


def free_udp_range(count):
    """An even UDP port p below the ephemeral range (where sipp's and
    nginx's ports come from) such that p .. p+count-1 are all free."""
    for _ in range(100):
        base = random.randrange(20000, 30000 - count, 2)
        if _udp_block_free(base, count):
            return base
    raise RuntimeError("no range of %d free UDP ports" % count)


def free_udp_port_pair():
    """An even UDP port whose odd neighbour is free too (RTP + RTCP)."""
    return _free_udp_block(2)


def _udp_bound(port):
    # /proc/net/udp lists local addresses as hex "0100007F:PORT".
    suffix = ":%04X" % port
    with open("/proc/net/udp") as table:
        return any(line.split()[1].endswith(suffix)
                   for line in list(table)[1:])


def _tcp_listens(port):
    # /proc/net/tcp: state 0A is LISTEN; no connection, which sipp would
    # take for a call
    suffix = ":%04X" % port
    with open("/proc/net/tcp") as table:
        return any(line.split()[1].endswith(suffix) and line.split()[3] == "0A"
                   for line in list(table)[1:])


def _tcp_accepts(port):
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


# -- waiting ------------------------------------------------------------------

# Waits last this many times longer: the sanitizer pass of .ci/run
# (tools/run-sanitizers) runs the daemon several times slower.
TIME_SCALE = float(os.environ.get("SIPCAST_TEST_TIME_SCALE", "1"))


def wait_for(predicate, timeout, interval=0.1, message=None):
    """Poll predicate until it returns something truthy; return that.

    message, the failure text, may be a callable, to describe the state at
    the time of failure rather than at the time of the call.
    """
    deadline = time.monotonic() + timeout * TIME_SCALE
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            if callable(message):
                message = message()
            raise AssertionError(message or "timed out after %gs waiting for %s"
                                 % (timeout, getattr(predicate, "__name__", predicate)))
        time.sleep(interval)


ENDED = ("BUSY", "FINISH", "FAILED")


def wait_status(sipcast, call_id, status, timeout):
    """Poll /call/find until the call's status is status (or one of them).

    Returns the distinct statuses seen, in order. Polling misses states that
    last less than a poll interval, so assert on states that are held. Fails
    at once when the call ends in another status.
    """
    wanted = {status} if isinstance(status, str) else set(status)
    seen = []
    last = None
    deadline = time.monotonic() + timeout * TIME_SCALE
    while True:
        code, calls, _ = sipcast.rest("/call/find", {"callId": call_id})
        if code == 200 and calls:
            last = calls[0]
            if not seen or seen[-1] != last["status"]:
                seen.append(last["status"])
            if last["status"] in wanted:
                return seen
        if time.monotonic() >= deadline or (last and last["status"] in ENDED):
            raise AssertionError(
                "call %s never reached %s; statuses seen %s; last answer %s %s\n%s"
                % (call_id, "/".join(sorted(wanted)), seen, code,
                   json.dumps(last if last else calls), sipcast.log()))
        time.sleep(0.05)


# -- media checks -------------------------------------------------------------

def _run(cmd, timeout):
    return subprocess.run([str(c) for c in cmd], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def ffprobe_streams(url_or_path, timeout=15):
    """ffprobe's -show_streams -show_format JSON for a file or a live URL."""
    # ffprobe waits for analyzeduration worth of data (5 s by default) and,
    # on RTMP, forever once the publisher is gone: cap both.
    cmd = ["ffprobe", "-v", "error", "-analyzeduration", "1500000",
           "-show_streams", "-show_format", "-of", "json", url_or_path]
    if str(url_or_path).startswith("rtmp:"):
        cmd[3:3] = ["-rw_timeout", "5000000"]
    result = _run(cmd, timeout)
    if result.returncode != 0:
        raise AssertionError("ffprobe %s failed (%d): %s"
                             % (url_or_path, result.returncode, result.stderr))
    return json.loads(result.stdout)


def audio_duration(path, timeout=30):
    """Seconds of audio in a media file, from its packets, not its header.

    An FLV that was not finished cleanly has no duration in its metadata,
    and nginx-rtmp's recordings never have one.
    """
    result = _run(["ffprobe", "-v", "error", "-select_streams", "a:0",
                   "-show_entries", "packet=pts_time,duration_time",
                   "-of", "csv=p=0", path], timeout)
    if result.returncode != 0:
        raise AssertionError("ffprobe %s failed: %s" % (path, result.stderr))
    packets = [line.split(",") for line in result.stdout.split()]
    if not packets:
        return 0.0
    first, (last, last_length) = float(packets[0][0]), packets[-1][:2]
    return float(last) - first + (0.0 if last_length == "N/A" else float(last_length))


def mean_volume(path, timeout=30):
    """Mean volume of the first audio stream in dBFS (-91 is silence)."""
    result = _run(["ffmpeg", "-hide_banner", "-nostdin", "-i", path,
                   "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"],
                  timeout)
    match = re.search(r"mean_volume: (-?[\d.]+|-inf) dB", result.stderr)
    if not match:
        raise AssertionError("no volume for %s: %s" % (path, result.stderr[-2000:]))
    return float(match.group(1))


def tone_frequency(path, timeout=30):
    """Frequency in Hz of the tone in the first audio stream.

    Finds upward zero crossings with hysteresis and takes the median
    period between successive ones, so silence anywhere (leading,
    trailing, or published where the far end's packets were lost: the
    timeline is continuous) does not skew it. A wrong clock rate anywhere
    in the chain shows up here, not in the volume.
    """
    rate = 16000
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
                             "-i", str(path), "-map", "0:a:0", "-ac", "1",
                             "-ar", str(rate), "-f", "s16le", "-"],
                            stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=timeout)
    samples = array.array("h", result.stdout[:len(result.stdout) // 2 * 2])
    if result.returncode != 0 or not samples:
        raise AssertionError("cannot decode %s: %s" % (path, result.stderr[-2000:]))
    threshold = max(abs(s) for s in samples) / 4
    crossings = []
    armed = False
    for index, sample in enumerate(samples):
        if sample < -threshold:
            armed = True
        elif armed and sample > threshold:
            armed = False
            crossings.append(index)
    if len(crossings) < 2:
        return 0.0
    periods = sorted(b - a for a, b in zip(crossings, crossings[1:]))
    median = periods[len(periods) // 2]
    # the mean of the periods near the median: one alone is a whole
    # number of samples (36 or 37 at 440 Hz), a gap is many
    kept = [p for p in periods if median / 1.5 <= p <= median * 1.5]
    return rate * len(kept) / sum(kept)


# -- nginx-rtmp ---------------------------------------------------------------

# How long the on_publish callback takes to allow a publish, as a server
# that checks a token would: longer than a status poll, so that a publisher
# that reports success before the server accepted is caught every time.
PUBLISH_DELAY = 0.5


class _NotifyHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        event = {key: values[0] for key, values in form.items()}
        denied = False
        if event.get("call") == "publish":
            time.sleep(PUBLISH_DELAY)
            with self.server.lock:
                denied = event.get("name") in self.server.denied
        with self.server.lock:
            self.server.events.append(dict(event, denied=denied) if denied else event)
        # a 2xx lets the publish go ahead, anything else refuses it
        self.send_response(403 if denied else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Nginx:
    """nginx with the RTMP module: application live, records every stream.

    nginx-rtmp reports each publish and each finished recording to a small
    HTTP server in this process (on_publish, on_record_done), so tests can
    see what a publisher sent (stream name, tcUrl, query arguments) and
    know when a recording file is complete. A publish event is recorded
    when the publish is allowed, PUBLISH_DELAY after nginx asked.
    """

    def __init__(self, tls=()):
        """tls: (certificate, key) PEM paths, each a TLS front (nginx's
        stream module) to the RTMP port on a port of its own, tls_ports."""
        self.dir = _new_dir("nginx-")
        self.rec_dir = self.dir / "rec"
        self.rec_dir.mkdir()
        self.port = free_port("tcp")
        self.error_log = self.dir / "error.log"
        self._notify = http.server.ThreadingHTTPServer((LOOPBACK, 0), _NotifyHandler)
        self._notify.daemon_threads = True
        self._notify.events = []
        self._notify.denied = set()
        self._notify.lock = threading.Lock()
        threading.Thread(target=self._notify.serve_forever, daemon=True).start()
        notify = "http://%s:%d" % (LOOPBACK, self._notify.server_address[1])
        self.conf = self.dir / "nginx.conf"
        self.tls_ports = [free_port("tcp") for _ in tls]
        fronts = "".join(
            "    server {\n        listen %s:%d ssl;\n        ssl_certificate %s;\n"
            "        ssl_certificate_key %s;\n        proxy_pass %s:%d;\n    }\n"
            % (LOOPBACK, port, cert, key, LOOPBACK, self.port)
            for port, (cert, key) in zip(self.tls_ports, tls))
        stream = ("load_module %s;\n" % STREAM_MODULE if tls else "",
                  "stream {\n%s}\n" % fronts if tls else "")
        self.conf.write_text(stream[0] + """\
load_module %(module)s;
daemon off;
master_process off;
pid %(dir)s/nginx.pid;
error_log %(log)s info;
events {}
rtmp {
    server {
        listen %(ip)s:%(port)d;
        application live {
            live on;
            record all;
            record_path %(rec)s;
            record_unique off;
            on_publish %(notify)s/publish;
            on_record_done %(notify)s/record_done;
        }
    }
}
""" % {"module": RTMP_MODULE, "dir": self.dir, "log": self.error_log,
       "ip": LOOPBACK, "port": self.port, "rec": self.rec_dir, "notify": notify} + stream[1])
        self.proc = None
        self.start()

    @property
    def url(self):
        return "rtmp://%s:%d/live/" % (LOOPBACK, self.port)

    def start(self):
        """Start (or restart, on the same port) and wait until it listens."""
        # -e: the default error log is opened before the config is read
        self.proc = _spawn(["nginx", "-p", self.dir, "-c", self.conf,
                            "-e", self.error_log], self.dir / "stdout.log")
        wait_for(lambda: self.proc.poll() is not None or _tcp_accepts(self.port),
                 10, message=lambda: "nginx did not listen on %d\n%s" % (self.port, self.log()))
        if self.proc.poll() is not None:
            raise AssertionError("nginx exited with %d\n%s" % (self.proc.returncode, self.log()))

    def stop(self):
        """Fast shutdown: publishers see the connection drop at once."""
        if self.proc is not None:
            _end(self.proc, signal.SIGTERM, 10)

    def close(self):
        self.stop()
        self._notify.shutdown()
        self._notify.server_close()

    def deny(self, name, denied=True):
        """Make on_publish refuse (403) or allow publishing as name."""
        with self._notify.lock:
            if denied:
                self._notify.denied.add(name)
            else:
                self._notify.denied.discard(name)

    def events(self, call=None, name=None):
        """nginx-rtmp notifications so far, e.g. call="publish", name="s1"."""
        with self._notify.lock:
            return [e for e in self._notify.events
                    if (call is None or e.get("call") == call)
                    and (name is None or e.get("name") == name)]

    def recorded(self, stream, timeout=15):
        """Path of rec/STREAM.flv once nginx has closed it after the last publish."""
        path = self.rec_dir / ("%s.flv" % stream)

        def finished():
            publishes = [e for e in self.events("publish", stream) if not e.get("denied")]
            done = self.events("record_done", stream)
            return publishes and len(done) >= len(publishes)

        wait_for(finished, timeout,
                 message=lambda: "nginx never finished recording %s; events %s\n%s"
                 % (stream, self.events(name=stream), self.log()))
        return path

    def log(self):
        return "--- nginx error log\n" + _tail(self.error_log)


# -- sipp ---------------------------------------------------------------------

class Sipp:
    """One sipp UAS running tests/sip/SCENARIO for exactly one call.

    sipp runs in tests/sip/ because 3.6.1 opens play_pcap_audio files
    relative to its working directory. Its exit code says whether the
    scenario ran to its end: 0 when it did, non-zero on an unexpected
    message or when the global timeout hits before any call completes.
    """

    def __init__(self, scenario, timeout=60, args=(), tcp=False, calls=1):
        """args: extra sipp arguments, e.g. ("-set", "rtp_sink", "40000");
        tcp: SIP over TCP (sipp -t t1) instead of UDP; calls: how many
        calls (each new Call-ID runs the scenario anew) before it exits."""
        self.scenario = scenario
        self.dir = _new_dir("sipp-")
        self.port = free_port("tcp" if tcp else "udp")
        # sipp binds the media port and media port + 2 (video echo)
        self.media_port = _free_udp_block(4)
        self.proc = _spawn([
            "sipp", "-sf", SIP_DIR / scenario,
            "-i", LOOPBACK, "-p", self.port,
            "-mi", LOOPBACK, "-mp", self.media_port,
            # the control socket listens on every address unless told
            "-ci", LOOPBACK,
            "-m", str(calls), "-nostdin",
            *(("-t", "t1") if tcp else ()),
            # answers OPTIONS/INFO/UPDATE/NOTIFY outside the scenario
            "-aa",
            "-timeout", "%ds" % timeout, "-timeout_error",
            "-trace_err", "-error_file", self.dir / "errors.log",
            "-trace_msg", "-message_file", self.dir / "messages.log",
            *args,
        ], self.dir / "screen.log", cwd=SIP_DIR)
        bound = (lambda: _tcp_listens(self.port)) if tcp else (lambda: _udp_bound(self.port))
        wait_for(lambda: self.proc.poll() is not None or bound(), 10)
        if self.proc.poll() is not None:
            raise AssertionError("sipp %s exited with %d\n%s"
                                 % (scenario, self.proc.returncode, self.log()))

    def wait(self, timeout=30):
        """The exit code (0: scenario completed); killed after timeout."""
        try:
            return self.proc.wait(timeout * TIME_SCALE)
        except subprocess.TimeoutExpired:
            return _end(self.proc, signal.SIGKILL, 5)

    def close(self):
        _end(self.proc, signal.SIGTERM, 5)

    def messages(self):
        """sipp's trace of every SIP message it sent and received."""
        return (self.dir / "messages.log").read_text(errors="replace")

    def log(self):
        return "\n".join([
            "--- sipp %s errors" % self.scenario, _tail(self.dir / "errors.log"),
            "--- sipp messages", _tail(self.dir / "messages.log"),
            "--- sipp screen", _tail(self.dir / "screen.log", 3000)])


# -- sipcast ------------------------------------------------------------------

class Sipcast:
    """The daemon under test, on ports it picks itself (learned from its log)."""

    REST_LINE = re.compile(r"REST listening on https?://127\.0\.0\.1:(\d+)/rest-api")
    SIP_LINE = re.compile(r"SIP listening on udp 127\.0\.0\.1:(\d+)")
    POLL_LINE = re.compile(r"POST /rest-api/call/find -> 200$")

    def __init__(self, args=(), config=None, nofile=None, extra_env=None):
        """config: the text of a key-file configuration, if any; nofile:
        (soft, hard) RLIMIT_NOFILE to start it under, as `ulimit -n` would;
        extra_env: more environment variables."""
        self.dir = _new_dir("sipcast-")
        self.log_path = self.dir / "sipcast.log"
        binary = Path(os.environ.get("SIPCAST_BIN", REPO / "build" / "src" / "sipcast"))
        # the daemon has its own elements built in: it must work without
        # GST_PLUGIN_PATH, as it does when started from the README
        env = {k: v for k, v in os.environ.items() if k != "GST_PLUGIN_PATH"}
        env.update(extra_env or {})
        # below the ephemeral range, where sipp's and nginx's ports come from
        rtp_min = random.randrange(20000, 30000, 2)
        cmd = [binary, "--rest-port=0", "--sip-port=0",
               "--rtp-ports=%d-%d" % (rtp_min, rtp_min + 199), "-v"]
        # file:// recordings must lie in [media] recordings-dir: the tests
        # record into the run's directory (a repeated group is merged)
        if config is None or "recordings-dir" not in config:
            config = (config or "") + "\n[media]\nrecordings-dir=%s\n" % run_dir()
        if config is not None:
            conf = self.dir / "sipcast.conf"
            conf.write_text(config)
            cmd.append("--config=%s" % conf)
        cmd.extend(args)
        limit = None
        if nofile is not None:
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, nofile)
        self.proc = _spawn(cmd, self.log_path, env=env, preexec_fn=limit)

        def ports():
            text = self.log_path.read_text(errors="replace")
            rest, sip = self.REST_LINE.search(text), self.SIP_LINE.search(text)
            return (rest and sip and (int(rest.group(1)), int(sip.group(1)))
                    or self.proc.poll() is not None)

        found = wait_for(ports, 15,
                         message=lambda: "sipcast did not log its ports\n" + self.log())
        if self.proc.poll() is not None:
            raise AssertionError("sipcast exited with %d\n%s"
                                 % (self.proc.returncode, self.log()))
        self.rest_port, self.sip_port = found

    def rest(self, method, body=None, raw=None, auth=None, http_method="POST",
             headers=None, object_pairs_hook=None):
        """Call /rest-api + method; returns (status, JSON or text, headers).

        body is sent as JSON, raw (bytes or str) as is; auth is (user,
        password) for HTTP Basic.
        """
        if raw is not None:
            data = raw.encode() if isinstance(raw, str) else raw
        elif body is not None:
            data = json.dumps(body).encode()
        else:
            data = b"" if http_method == "POST" else None
        sent = {"Content-Type": "application/json"} if data is not None else {}
        if auth is not None:
            token = base64.b64encode(("%s:%s" % auth).encode()).decode()
            sent["Authorization"] = "Basic " + token
        sent.update(headers or {})
        conn = http.client.HTTPConnection(LOOPBACK, self.rest_port, timeout=15)
        try:
            try:
                conn.request(http_method, "/rest-api" + method, data, sent)
            except (BrokenPipeError, ConnectionResetError):
                # a server may answer and close before reading a big body:
                # its answer is still there to read
                pass
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        except OSError as error:
            state = self.proc.poll()
            raise ConnectionError("REST %s failed: %s; sipcast %s\n%s" % (
                method, error, "running" if state is None else "exited with %d" % state,
                self.log())) from error
        finally:
            conn.close()
        try:
            parsed = json.loads(text, object_pairs_hook=object_pairs_hook)
        except ValueError:
            parsed = text
        return response.status, parsed, response.headers

    def open_fds(self):
        """How many file descriptors the daemon has open right now."""
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def threads(self):
        """How many threads the daemon has right now."""
        return len(os.listdir("/proc/%d/task" % self.proc.pid))

    def stop(self):
        """SIGTERM; fails unless sipcast exits 0 within 15 s (or
        $SIPCAST_TEST_STOP_SECONDS: valgrind's leak check takes longer)."""
        code = _end(self.proc, signal.SIGTERM, float(os.environ.get("SIPCAST_TEST_STOP_SECONDS", 15)))
        if code != 0:
            raise AssertionError("sipcast exited with %s after SIGTERM\n%s"
                                 % (code, self.log()))

    def close(self):
        _end(self.proc, signal.SIGKILL, 5)

    def log(self):
        # without the tests' own status polling, which would drown the rest
        lines = _tail(self.log_path, 200000).splitlines()
        kept = [line for line in lines if not self.POLL_LINE.search(line)]
        text = "\n".join(kept)
        if len(text) > 12000:
            text = "..." + text[-12000:]
        return "--- sipcast log (%d lines of REST polling left out)\n%s" % (
            len(lines) - len(kept), text)

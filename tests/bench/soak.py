#!/usr/bin/env python3
"""sipcast soak: does the daemon give back everything a call took?

Two profiles, each against nginx-rtmp and one sipp far end that answers
every call with PCMA and plays a 440 Hz tone:

  --short N       N short calls in sequence (start, answered, terminate,
                  FINISH), or as many as fit in --short-minutes;
  --minutes M     M minutes at --concurrent C live calls, each call ended
                  after --call-seconds and replaced by a new one (so calls
                  keep starting and ending all the time).

Each prints the daemon's RSS, open file descriptors and threads at the
start (after a warm-up) and at the end, and the calls that failed (any
end other than FINISH, a refused /call/startup, a call that never
published).  Ended calls stay findable for [calls] ended-call-ttl, set to
2 s here so that the registry itself does not count as growth.

    nice python3 tests/bench/soak.py --short 10000 --short-minutes 15
    nice python3 tests/bench/soak.py --minutes 60 --concurrent 200

Everything runs on 127.0.0.1 and stops by itself.  Not part of the test
suite: the figures go to the README.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness  # noqa: E402
import farend  # noqa: E402
from bench import long_pcap, proc_cpu_seconds, proc_rss_kb, proc_threads  # noqa: E402

ENDED_TTL = 2
# Samples are taken this long after the last call ended: ended calls
# dropped (ENDED_TTL), sinks stopped while connecting closed (6 s), and
# nua's transactions of the last calls gone (an INVITE's stays 64·T1 =
# 32 s after its 2xx, RFC 6026), with the daemon's malloc_trim() after
# them.  What is still there then is what the calls did not give back.
SETTLE = 55


def fd_kinds(pid):
    """{"socket": n, "pipe": n, "anon_inode:[eventfd]": n, "file": n}"""
    kinds = {}
    for fd in Path("/proc/%d/fd" % pid).iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        kind = target.split(":")[0] if target.startswith(("socket:", "pipe:")) else \
            target if target.startswith("anon_inode:") else "file"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def sample(sipcast):
    return {"rss_kb": proc_rss_kb(sipcast.proc.pid), "fds": sipcast.open_fds(),
            "threads": sipcast.threads(), "fd_kinds": fd_kinds(sipcast.proc.pid)}


def report(name, first, last, placed, failed, elapsed):
    print("%s: %d calls in %.0f s, %d failed" % (name, placed, elapsed, len(failed)))
    print("  RSS %.1f MiB -> %.1f MiB (%+.2f MiB); fds %d -> %d; threads %d -> %d" % (
        first["rss_kb"] / 1024, last["rss_kb"] / 1024,
        (last["rss_kb"] - first["rss_kb"]) / 1024,
        first["fds"], last["fds"], first["threads"], last["threads"]))
    print("  fds by kind: %s -> %s" % (first["fd_kinds"], last["fd_kinds"]))
    for call_id, why in failed[:20]:
        print("  failed %s: %s" % (call_id, why))
    sys.stdout.flush()


def rtp_range(calls):
    """sipcast's RTP ports: 4 per call (audio and video pairs) and spare,
    at a random place below the ephemeral range so that runs of other
    people on the same machine seldom hold the same ports."""
    size = 4 * calls + 200
    low = random.randrange(20000, 30000 - size, 2) if size < 9000 else 20000
    return low, low + size - 1


class Setup:
    """nginx, a far end answering every call with PCMA and a 440 Hz tone
    (farend.py, or sipp playing a capture for `seconds` to at most `calls`
    calls), and sipcast with room for `concurrent` calls."""

    def __init__(self, workdir, calls, seconds, concurrent, ended_ttl=ENDED_TTL,
                 far_end="farend", sipcast_config=""):
        harness.PUBLISH_DELAY = 0
        self.nginx = harness.Nginx()
        self.sipp = self.farend = None
        if far_end == "farend":
            low = random.randrange(40000, 50000 - 2 * concurrent - 400, 2)
            self.farend = farend.Process(workdir, (low, low + 2 * concurrent + 399))
            self.sip_port = self.farend.port
        else:
            pcap = workdir / "tone.pcap"
            long_pcap(harness.REPO / "tests" / "media" / "pcma-440hz-5s.pcap", pcap, seconds)
            scenario = workdir / "uas.xml"
            scenario.write_text((harness.SIP_DIR / "uas-answer-pcma.xml").read_text()
                                .replace("../media/pcma-440hz-5s.pcap", str(pcap)))
            self.sip_port = harness.free_port("udp")
            self.sipp = subprocess.Popen(
                ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(self.sip_port),
                 "-mi", "127.0.0.1", "-mp", str(harness._free_udp_block(4)), "-ci", "127.0.0.1",
                 "-m", str(calls), "-nostdin", "-timeout", "7200s"],
                cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        self.sipcast = harness.Sipcast(
            args=["--rtp-ports=%d-%d" % rtp_range(concurrent)],
            config="[calls]\nended-call-ttl=%d\n%s" % (ended_ttl, sipcast_config))

    def start(self, call_id):
        status, body, _ = self.sipcast.rest("/call/startup", {
            "callId": call_id, "callee": "1000", "sipDomain": "127.0.0.1",
            "sipPort": self.sip_port, "rtmpUrl": self.nginx.url, "rtmpStream": call_id})
        return status == 200, body

    def find(self, call_id):
        status, body, _ = self.sipcast.rest("/call/find", {"callId": call_id})
        return body[0] if status == 200 and body else None

    def close(self):
        try:
            self.sipcast.stop()
        finally:
            if self.farend is not None:
                self.farend_stats = self.farend.close()
            if self.sipp is not None:
                self.sipp.send_signal(signal.SIGTERM)
                try:
                    self.sipp.wait(10)
                except subprocess.TimeoutExpired:
                    self.sipp.kill()
            self.nginx.close()


def wait_until(predicate, timeout, interval=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def short_calls(count, minutes, every=1000, far_end="farend", plateau=2000, publish=False):
    setup = Setup(harness._new_dir("soak-short-"), count, 40, 4, far_end=far_end)
    failed, placed, first, middle = [], 0, None, None
    t0 = time.monotonic()
    try:
        for i in range(count):
            if time.monotonic() - t0 > minutes * 60:
                break
            call_id = "s%d" % i
            placed += 1
            ok, body = setup.start(call_id)
            if not ok:
                failed.append((call_id, "startup: %s" % body))
                continue
            call = wait_until(lambda: (lambda c: c if c and c["status"] not in
                                       ("NEW", "PENDING", "TRYING", "RING") else None)
                              (setup.find(call_id)), 15)
            if call is None or call["status"] != "ESTABLISHED":
                failed.append((call_id, "not established: %s" % (call and call["status"])))
            elif publish and not wait_until(lambda: (lambda c: c and c["rtmpStreamStatus"] ==
                                                     "RTMP_STREAM_ACTIVE")(setup.find(call_id)),
                                            15):
                failed.append((call_id, "not published"))
            setup.sipcast.rest("/call/terminate", {"callId": call_id})
            call = wait_until(lambda: (lambda c: c if c and c["status"] in
                                       ("FINISH", "FAILED", "BUSY") else None)
                              (setup.find(call_id)), 15)
            if call is None or call["status"] != "FINISH":
                failed.append((call_id, "ended %s" % (call and call["status"])))
            if i == 99:
                # after a warm-up: caches, thread pools and the allocator
                # have taken what they keep
                time.sleep(SETTLE)
                first = sample(setup.sipcast)
            if i + 1 == plateau and count >= 2 * plateau:
                # RSS levels off at a height set by the call rate (calls
                # in flight, transactions in their 32 s wait) and the
                # allocator's fragmentation: growth from here on is what
                # each call would add
                time.sleep(SETTLE)
                middle = sample(setup.sipcast)
                print("  %d calls, %d s later: RSS %.1f MiB" % (
                    i + 1, SETTLE, middle["rss_kb"] / 1024), flush=True)
            if (i + 1) % every == 0:
                print("  %d calls, %.0f s, RSS %.1f MiB" % (
                    i + 1, time.monotonic() - t0, proc_rss_kb(setup.sipcast.proc.pid) / 1024),
                    flush=True)
        elapsed = time.monotonic() - t0
        print("  at the last call: RSS %.1f MiB; %d s later:" % (
            proc_rss_kb(setup.sipcast.proc.pid) / 1024, SETTLE), flush=True)
        time.sleep(SETTLE)
        last = sample(setup.sipcast)
        report("short calls in sequence", first or last, last, placed, failed, elapsed)
        if middle:
            print("  from call %d: RSS %.1f MiB -> %.1f MiB (%+.2f MiB)" % (
                plateau, middle["rss_kb"] / 1024, last["rss_kb"] / 1024,
                (last["rss_kb"] - middle["rss_kb"]) / 1024), flush=True)
    finally:
        setup.close()
        if getattr(setup, "farend_stats", None):
            print("  far end: %s" % json.dumps(setup.farend_stats), flush=True)
    return not failed


def concurrent_calls(minutes, concurrent, call_seconds, far_end="farend"):
    total = int(concurrent * (minutes * 60 / call_seconds + 2))
    # ended calls stay findable long enough for this loop to see how
    # they ended, even when a round over every live call takes a while
    setup = Setup(harness._new_dir("soak-load-"), total, call_seconds + 60, concurrent,
                  ended_ttl=60, far_end=far_end)
    failed, live, started, placed = [], {}, 0, 0
    t0 = time.monotonic()

    def place():
        nonlocal placed
        call_id = "c%d" % placed
        placed += 1
        ok, body = setup.start(call_id)
        if ok:
            live[call_id] = time.monotonic()
        else:
            failed.append((call_id, "startup: %s" % body))

    try:
        while len(live) < concurrent:
            place()
        status, body, _ = setup.sipcast.rest("/call/find_all")

        def all_active():
            status, body, _ = setup.sipcast.rest("/call/find_all")
            return status == 200 and sum(c["rtmpStreamStatus"] == "RTMP_STREAM_ACTIVE"
                                         for c in body) >= concurrent
        if not wait_until(all_active, 120, 1):
            print("  not all %d calls became active" % concurrent)
        time.sleep(5)
        first = sample(setup.sipcast)
        started = time.monotonic()
        cpu0 = proc_cpu_seconds(setup.sipcast.proc.pid)
        far_cpu0 = setup.farend.cpu_seconds() if setup.farend else 0
        ending = {}
        next_print = started + 60
        while time.monotonic() - started < minutes * 60:
            now = time.monotonic()
            if now >= next_print:
                next_print += 60
                print("  %.0f min, %d calls placed, RSS %.1f MiB, threads %d" % (
                    (now - started) / 60, placed, proc_rss_kb(setup.sipcast.proc.pid) / 1024,
                    proc_threads(setup.sipcast.proc.pid)), flush=True)
            for call_id, since in list(live.items()):
                if now - since >= call_seconds:
                    call = setup.find(call_id)
                    if call is None or call["status"] != "ESTABLISHED" or \
                            call["rtmpStreamStatus"] != "RTMP_STREAM_ACTIVE":
                        failed.append((call_id, "before the end: %s/%s" % (
                            call and call["status"], call and call["rtmpStreamStatus"])))
                    setup.sipcast.rest("/call/terminate", {"callId": call_id})
                    del live[call_id]
                    ending[call_id] = now
                    place()
            for call_id, since in list(ending.items()):
                if now - since > 1:
                    call = setup.find(call_id)
                    if call is not None and call["status"] in ("FINISH", "FAILED", "BUSY"):
                        if call["status"] != "FINISH":
                            failed.append((call_id, "ended %s" % call["status"]))
                        del ending[call_id]
                    elif now - since > 30:
                        failed.append((call_id, "did not end: %s" % (call and call["status"])))
                        del ending[call_id]
            time.sleep(0.5)
        wall = time.monotonic() - started
        cpu = 100 * (proc_cpu_seconds(setup.sipcast.proc.pid) - cpu0) / wall
        far_cpu = 100 * (setup.farend.cpu_seconds() - far_cpu0) / wall if setup.farend else 0
        # back at C live calls, each new one published: compare like with like
        wait_until(all_active, 120, 1)
        time.sleep(5)
        last = sample(setup.sipcast)
        report("%d concurrent calls for %.0f min (each %d s)" % (concurrent, minutes, call_seconds),
               first, last, placed, failed, time.monotonic() - t0)
        print("  CPU over the run: sipcast %.1f %% of one core (%.2f %% per call), far end %.1f %%;"
              " load average %s" % (cpu, cpu / concurrent, far_cpu,
                                    " ".join(Path("/proc/loadavg").read_text().split()[:3])),
              flush=True)
    finally:
        setup.close()
        if getattr(setup, "farend_stats", None):
            print("  far end: %s" % json.dumps(setup.farend_stats), flush=True)
    return not failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", type=int, default=0, metavar="N",
                        help="N short calls in sequence")
    parser.add_argument("--short-minutes", type=float, default=15,
                        help="stop the short calls after this long")
    parser.add_argument("--publish", action="store_true",
                        help="each short call waits until its stream is published before "
                             "it is ended (by default most end while RTMP connects)")
    parser.add_argument("--every", type=int, default=1000, metavar="K",
                        help="print the RSS every K short calls")
    parser.add_argument("--minutes", type=float, default=0, metavar="M",
                        help="M minutes at --concurrent live calls")
    parser.add_argument("--concurrent", type=int, default=200, metavar="C")
    parser.add_argument("--call-seconds", type=int, default=120,
                        help="length of each call of the concurrent profile")
    parser.add_argument("--far-end", choices=["farend", "sipp"], default="farend",
                        help="farend.py (one thread for every call) or sipp (a thread per "
                             "call playing a capture; falls behind under 100 calls)")
    args = parser.parse_args()
    ok = True
    if args.short:
        ok = short_calls(args.short, args.short_minutes, args.every, args.far_end,
                         publish=args.publish) and ok
    if args.minutes:
        ok = concurrent_calls(args.minutes, args.concurrent, args.call_seconds,
                              args.far_end) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

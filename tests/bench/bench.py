#!/usr/bin/env python3
"""sipcast benchmark: CPU and memory per concurrent audio call.

Starts nginx-rtmp, one sipp UAS that answers every call with PCMA and
plays a 440 Hz tone for the whole run, and sipcast; places N calls that
publish to nginx over RTMP; once they are all RTMP_STREAM_ACTIVE, samples
sipcast's CPU time (utime+stime from /proc) and RSS over a window and
reports totals and per-call figures.  Also reports call set-up time from
sipcast's own log (REST request → 200 OK → first FLV data accepted).

    python3 tests/bench/bench.py --calls 10 50 100 --seconds 20

Everything runs on 127.0.0.1 and stops by itself.  Not part of the test
suite: figures go to the README's performance table.
"""

import argparse
import os
import re
import signal
import struct
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def long_pcap(src, dst, seconds):
    """Repeat a 20 ms-per-packet RTP capture to `seconds`, keeping RTP
    sequence numbers, timestamps and capture times continuous."""
    data = src.read_bytes()
    header, off, records = data[:24], 24, []
    while off < len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        records.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    out = bytearray(header)
    for k in range(int(seconds / 0.02)):
        packet = bytearray(records[k % len(records)])
        # Ethernet 14 + IPv4 20 + UDP 8: RTP seq at 44, timestamp at 46
        struct.pack_into(">HI", packet, 44, k & 0xFFFF, (k * 160) & 0xFFFFFFFF)
        t = k * 0.02
        out += struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(packet), len(packet))
        out += packet
    dst.write_bytes(bytes(out))


def proc_cpu_seconds(pid):
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_rss_kb(pid):
    return int(Path("/proc/%d/statm" % pid).read_text().split()[1]) * PAGE_KB


def proc_threads(pid):
    return len(os.listdir("/proc/%d/task" % pid))


def thread_samples(pid):
    """{thread id: (name, CPU seconds, context switches)} of every thread."""
    samples = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            stat = Path("/proc/%d/task/%s/stat" % (pid, tid)).read_text()
            status = Path("/proc/%d/task/%s/status" % (pid, tid)).read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        switches = sum(int(line.split()[1]) for line in status.splitlines()
                       if "ctxt_switches" in line)
        samples[tid] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK, switches)
    return samples


def thread_profile(before, after, wall, n_calls):
    """Rows (kind of thread, count, % CPU per call, switches/s per call),
    threads grouped by name with the numbers GStreamer puts in it taken
    out (udpsrc3:src → udpsrc:src)."""
    groups = {}
    for tid, (name, cpu, switches) in after.items():
        _, cpu0, switches0 = before.get(tid, (name, 0.0, 0))
        kind = re.sub(r"\d+", "", name)
        count, total_cpu, total_switches = groups.get(kind, (0, 0.0, 0))
        groups[kind] = (count + 1, total_cpu + cpu - cpu0, total_switches + switches - switches0)
    rows = [(kind, count, 100 * cpu / wall / n_calls, switches / wall / n_calls)
            for kind, (count, cpu, switches) in groups.items()]
    return sorted(rows, key=lambda row: -row[2])


def log_times(log_text, call_id):
    """(INVITE sent, 200 OK, RTMP active) wall times of one call from the log."""
    def stamp(pattern):
        match = re.search(r"(\d\d:\d\d:\d\d\.\d\d\d): call %s: %s" % (re.escape(call_id), pattern),
                          log_text)
        return datetime.strptime(match.group(1), "%H:%M:%S.%f") if match else None
    return (stamp("INVITE"), stamp(r"\S+ → ESTABLISHED"),
            stamp("RTMP_STREAM_WAIT → RTMP_STREAM_ACTIVE"))


def run(n_calls, seconds, workdir):
    # measure set-up against a server that accepts at once
    harness.PUBLISH_DELAY = 0
    nginx = harness.Nginx()
    pcap = workdir / "tone.pcap"
    long_pcap(harness.REPO / "tests" / "media" / "pcma-440hz-5s.pcap", pcap, seconds + 30)
    scenario = workdir / "uas.xml"
    scenario.write_text((harness.SIP_DIR / "uas-answer-pcma.xml").read_text()
                        .replace("../media/pcma-440hz-5s.pcap", str(pcap)))
    sip_port = harness.free_port("udp")
    sipp = subprocess.Popen(
        ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(sip_port),
         "-mi", "127.0.0.1", "-mp", str(harness._free_udp_block(4)), "-ci", "127.0.0.1",
         "-m", str(n_calls), "-nostdin", "-timeout", "%ds" % (seconds + 120)],
        cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    sipcast = harness.Sipcast(args=["--rtp-ports=%d-%d" % (34000, 34000 + 4 * n_calls + 100)])
    try:
        idle_rss = proc_rss_kb(sipcast.proc.pid)
        t0 = time.monotonic()
        for i in range(n_calls):
            status, body, _ = sipcast.rest("/call/startup", {
                "callId": "b%d" % i, "callee": "1000", "sipDomain": "127.0.0.1",
                "sipPort": sip_port, "rtmpUrl": nginx.url, "rtmpStream": "b%d" % i})
            assert status == 200, body

        def all_active():
            status, body, _ = sipcast.rest("/call/find_all")
            return status == 200 and sum(c["rtmpStreamStatus"] == "RTMP_STREAM_ACTIVE"
                                         for c in body) == n_calls
        harness.wait_for(all_active, 60 + n_calls / 5,
                         message=lambda: "not all calls became active\n" + sipcast.log())
        ramp = time.monotonic() - t0
        time.sleep(2)

        pid = sipcast.proc.pid
        threads0 = thread_samples(pid)
        cpu0, wall0 = proc_cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        cpu1, wall1 = proc_cpu_seconds(pid), time.monotonic()
        threads1 = thread_samples(pid)
        rss, threads = proc_rss_kb(pid), proc_threads(pid)

        log = sipcast.log_path.read_text(errors="replace")
        setups = []
        for i in range(n_calls):
            invite, answered, active = log_times(log, "b%d" % i)
            if invite and answered and active:
                setups.append(((answered - invite).total_seconds() * 1000,
                               (active - invite).total_seconds() * 1000))
        setups.sort(key=lambda s: s[1])
        cpu_pct = 100 * (cpu1 - cpu0) / (wall1 - wall0)
        return {
            "calls": n_calls,
            "cpu_pct": cpu_pct,
            "cpu_per_call": cpu_pct / n_calls,
            "rss_mib": rss / 1024,
            "rss_per_call_mib": (rss - idle_rss) / 1024 / n_calls,
            "threads": threads,
            "ramp_s": ramp,
            "answer_ms_median": setups[len(setups) // 2][0] if setups else None,
            "active_ms_median": setups[len(setups) // 2][1] if setups else None,
            "thread_profile": thread_profile(threads0, threads1, wall1 - wall0, n_calls),
        }
    finally:
        sipcast.stop()
        sipp.send_signal(signal.SIGTERM)
        sipp.wait(10)
        nginx.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", action="store_true",
                        help="also print the CPU and context switches per call of each kind of thread")
    args = parser.parse_args()
    print("| calls | CPU (% of one core) | per call | RSS (MiB) | per call (MiB) "
          "| threads | set-up: 200 OK / RTMP active (median ms) |")
    print("|---|---|---|---|---|---|---|")
    for n in args.calls:
        r = run(n, args.seconds, harness._new_dir("bench-"))
        print("| %d | %.1f | %.2f | %.1f | %.2f | %d | %.0f / %.0f |" % (
            r["calls"], r["cpu_pct"], r["cpu_per_call"], r["rss_mib"],
            r["rss_per_call_mib"], r["threads"], r["answer_ms_median"] or -1,
            r["active_ms_median"] or -1), flush=True)
        if args.threads:
            print("\n| %d calls: thread | count | CPU per call (%%) | switches/s per call |\n"
                  "|---|---|---|---|" % n)
            for kind, count, cpu, switches in r["thread_profile"]:
                print("| %s | %d | %.3f | %.1f |" % (kind, count, cpu, switches))
            print(flush=True)


if __name__ == "__main__":
    main()

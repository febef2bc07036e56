#!/usr/bin/env python3
"""sipcast benchmark: CPU and memory per concurrent audio call.

Starts nginx-rtmp, one sipp UAS that answers every call with PCMA and
plays a 440 Hz tone for the whole run, and sipcast; places N calls that
publish to nginx over RTMP; once they are all RTMP_STREAM_ACTIVE, samples
sipcast's CPU time (utime+stime from /proc) and RSS over a window and
reports totals and per-call figures.  Also reports call set-up time from
sipcast's own log (REST request → 200 OK → first FLV data accepted).

    python3 tests/bench/bench.py --calls 10 50 100 --seconds 20
    python3 tests/bench/bench.py --profile copy --calls 100 --baseline 10

With --baseline N, N ffmpeg processes (one per call, the set-up sipcast
replaces: PCMA RTP → AAC → the same nginx) run during the same window and
the table gives their CPU per call beside sipcast's, and the ratio.
Results (text and JSON, with the machine's description) are kept in
tests/bench/results/.

Everything runs on 127.0.0.1 and stops by itself.  Not part of the test
suite: figures go to the README's performance table.
"""

import argparse
import array
import json
import os
import platform
import random
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
import baseline  # noqa: E402
import farend  # noqa: E402

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


def switches(pid):
    """Voluntary and involuntary context switches of every thread so far."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            status = Path("/proc/%d/task/%s/status" % (pid, tid)).read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in status.splitlines()
                     if "ctxt_switches" in line)
    return total


def machine():
    model = next((line.split(":", 1)[1].strip()
                  for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cores": os.cpu_count(), "kernel": platform.release(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
                                / 2 ** 30, 1)}


# --placeholder: the [media] placeholder-video of every call (the image is
# tests/media/placeholder.png, 640x360).
PLACEHOLDERS = {"none": "none", "card": "card", "image": "placeholder.png"}


def run(n_calls, seconds, workdir, profile="aac", n_baseline=0, placeholder="none",
        far_end="farend"):
    # measure set-up against a server that accepts at once
    harness.PUBLISH_DELAY = 0
    nginx = harness.Nginx()
    pcap = workdir / "tone.pcap"
    long_pcap(harness.REPO / "tests" / "media" / "pcma-440hz-5s.pcap", pcap, seconds + 30)
    sipp = far = None
    if far_end == "farend":
        low = random.randrange(40000, 50000 - 2 * n_calls - 400, 2)
        far = farend.Process(workdir, (low, low + 2 * n_calls + 399))
        sip_port = far.port
    else:
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
    rtp_low = random.randrange(20000, 30000 - 4 * n_calls - 100, 2) \
        if 4 * n_calls + 100 < 9000 else 20000
    sipcast = harness.Sipcast(args=["--rtp-ports=%d-%d" % (rtp_low, rtp_low + 4 * n_calls + 99)],
                              config="[media]\nrtmp-audio=%s\nplaceholder-video=%s\n"
                                     "placeholder-dir=%s\n" % (
                                         "copy" if profile == "copy" else "aac",
                                         PLACEHOLDERS[placeholder],
                                         harness.REPO / "tests" / "media"))
    legs = None
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
        if n_baseline:
            legs = baseline.FfmpegLegs(n_baseline, nginx.url, pcap, workdir,
                                       copy=profile == "copy")
        time.sleep(3)

        pid = sipcast.proc.pid
        threads0 = thread_samples(pid)
        switches0 = switches(pid)
        legs_cpu0 = legs.cpu_seconds() if legs else 0
        far_cpu0 = far.cpu_seconds() if far else 0
        cpu0, wall0 = proc_cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        cpu1, wall1 = proc_cpu_seconds(pid), time.monotonic()
        far_cpu1 = far.cpu_seconds() if far else 0
        legs_cpu1 = legs.cpu_seconds() if legs else 0
        switches1 = switches(pid)
        threads1 = thread_samples(pid)
        rss, threads = proc_rss_kb(pid), proc_threads(pid)
        status, body, _ = sipcast.rest("/call/find_all")
        failed = n_calls - sum(c["rtmpStreamStatus"] == "RTMP_STREAM_ACTIVE" for c in body)

        log = sipcast.log_path.read_text(errors="replace")
        setups = []
        for i in range(n_calls):
            invite, answered, active = log_times(log, "b%d" % i)
            if invite and answered and active:
                setups.append(((answered - invite).total_seconds() * 1000,
                               (active - invite).total_seconds() * 1000))
        setups.sort(key=lambda s: s[1])
        cpu_pct = 100 * (cpu1 - cpu0) / (wall1 - wall0)
        ffmpeg_per_call = (100 * (legs_cpu1 - legs_cpu0) / (wall1 - wall0) / n_baseline
                           if legs else None)
        result = {
            "profile": profile if placeholder == "none" else "%s+%s" % (profile, placeholder),
            "far_end": far_end,
            "far_end_cpu_pct": 100 * (far_cpu1 - far_cpu0) / (wall1 - wall0) if far else None,
            "calls": n_calls,
            "failed": failed,
            "switches_per_s_per_call": (switches1 - switches0) / (wall1 - wall0) / n_calls,
            "ffmpeg_legs": n_baseline,
            "ffmpeg_legs_alive": legs.alive() if legs else 0,
            "ffmpeg_cpu_per_call": ffmpeg_per_call,
            "ffmpeg_rss_per_call_mib": legs.rss_kb() / 1024 / n_baseline if legs else None,
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
        if legs:
            legs.close()
            legs = None
        # every call ends here: nginx finishes the recordings checked below
        stopped = time.monotonic()
        sipcast.stop()
        if far:
            result["far_end_stats"] = far.close()
            far = None
        result["streams"] = check_streams(nginx, n_calls, stopped - t0)
        return result
    finally:
        if legs:
            legs.close()
        if sipcast.proc.poll() is None:
            sipcast.close()
        if far:
            far.close()
        if sipp:
            sipp.send_signal(signal.SIGTERM)
            sipp.wait(10)
        nginx.close()


def longest_silence(path, timeout=60):
    """The longest stretch in seconds, after the first sound, where the
    published audio is silent (below 1/10 of its peak): a gap in what the
    far end sent, or in what sipcast published."""
    rate = 8000
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
                             "-map", "0:a:0", "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    samples = array.array("h", result.stdout[:len(result.stdout) // 2 * 2])
    if not samples:
        return None
    threshold = max(abs(s) for s in samples) / 10
    # in 10 ms windows: a sine crosses zero, so single samples say little
    window = rate // 100
    loud = [max(abs(s) for s in samples[i:i + window]) >= threshold
            for i in range(0, len(samples) - window + 1, window)]
    first = loud.index(True) if True in loud else len(loud)
    last = len(loud) - 1 - loud[::-1].index(True) if True in loud else 0
    longest = run = 0
    for flag in loud[first:last + 1]:
        run = 0 if flag else run + 1
        longest = max(longest, run)
    return longest * window / rate


def check_streams(nginx, n_calls, at_most):
    """The first, middle and last call's recordings: a 440 Hz tone, as
    long as the call published, without gaps.  `at_most`: seconds from
    the first /call/startup to the daemon's stop."""
    checked = []
    for i in sorted({0, n_calls // 2, n_calls - 1}):
        stream = "b%d" % i
        try:
            path = nginx.recorded(stream, timeout=30)
            checked.append({"stream": stream, "tone_hz": round(harness.tone_frequency(path), 1),
                            "seconds": round(harness.audio_duration(path), 2),
                            "at_most": round(at_most, 2),
                            "longest_gap_s": longest_silence(path)})
        except (AssertionError, OSError, subprocess.TimeoutExpired) as error:
            checked.append({"stream": stream, "error": str(error)[:300]})
    return checked


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--profile", choices=["aac", "copy"], default="aac",
                        help="aac: the default AAC publish; copy: rtmp-audio=copy (G.711 "
                             "into FLV, no decoding or encoding)")
    parser.add_argument("--placeholder", choices=sorted(PLACEHOLDERS), default="none",
                        help="the picture every (audio-only) call publishes: none, card (drawn "
                             "by sipcast) or image (tests/media/placeholder.png)")
    parser.add_argument("--baseline", type=int, default=0, metavar="N",
                        help="run N ffmpeg-per-call legs doing the same job in the same window")
    parser.add_argument("--far-end", choices=["farend", "sipp"], default="farend",
                        help="farend.py (one thread sends every call's RTP) or sipp (a thread "
                             "per call; stops sending for later calls near 100)")
    parser.add_argument("--threads", action="store_true",
                        help="also print the CPU and context switches per call of each kind of thread")
    args = parser.parse_args()
    header = ("| profile | calls | failed | CPU (% of one core) | per call | ffmpeg per call "
              "| ratio | switches/s per call | RSS (MiB) | per call (MiB) | threads "
              "| set-up: 200 OK / RTMP active (median ms) | far end CPU |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    print("\n".join(lines), flush=True)
    results = []
    results_dir = Path(__file__).resolve().parent / "results"
    results_dir.mkdir(exist_ok=True)
    base = results_dir / ("%s-%s%s" % (datetime.now().strftime("%Y%m%d-%H%M%S"), args.profile,
                                        "" if args.placeholder == "none"
                                        else "-" + args.placeholder))

    def save():
        # after every row: a later size that fails keeps the earlier ones
        base.with_suffix(".json").write_text(json.dumps(
            {"machine": machine(), "args": vars(args), "results": results}, indent=2) + "\n")
        base.with_suffix(".md").write_text(
            "%s\n\n%s\n" % (json.dumps(machine()), "\n".join(lines)))

    for n in args.calls:
        r = run(n, args.seconds, harness._new_dir("bench-"), args.profile, args.baseline,
                args.placeholder, args.far_end)
        results.append(r)
        ffmpeg = r["ffmpeg_cpu_per_call"]
        line = ("| %s | %d | %d | %.1f | %.2f | %s | %s | %.0f | %.1f | %.2f | %d | %.0f / %.0f "
                "| %s |") % (
            r["profile"], r["calls"], r["failed"], r["cpu_pct"], r["cpu_per_call"],
            "%.2f" % ffmpeg if ffmpeg is not None else "-",
            "%.2f" % (r["cpu_per_call"] / ffmpeg) if ffmpeg else "-",
            r["switches_per_s_per_call"], r["rss_mib"], r["rss_per_call_mib"], r["threads"],
            r["answer_ms_median"] or -1, r["active_ms_median"] or -1,
            "%.1f" % r["far_end_cpu_pct"] if r["far_end_cpu_pct"] is not None else "-")
        lines.append(line)
        print(line, flush=True)
        for stream in r["streams"]:
            print("  %s" % json.dumps(stream), flush=True)
        if r.get("far_end_stats"):
            print("  far end: %s" % json.dumps(r["far_end_stats"]), flush=True)
        save()
        if args.threads:
            print("\n| %d calls: thread | count | CPU per call (%%) | switches/s per call |\n"
                  "|---|---|---|---|" % n)
            for kind, count, cpu, sw in r["thread_profile"]:
                print("| %s | %d | %.3f | %.1f |" % (kind, count, cpu, sw))
            print(flush=True)
    print("results: %s.{json,md}" % base)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What farend.py costs by itself: N calls placed on it by a plain UAC
in this process (no sipcast), each sending 20 ms RTP back as sipcast
does, for --seconds; prints farend's CPU (% of one core) and how
regularly its packets arrived (per call: packets per second, the
largest gap between two packets).

    python3 tests/bench/farend_load.py --calls 100 400 --seconds 20

This process is the heavier of the two (it reads every packet); its own
CPU is printed too, so a run that is limited by it shows it.
"""

import argparse
import os
import random
import select
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import farend  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    fields = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Uac:
    """N INVITEs to the far end from one SIP socket, an RTP socket per call."""

    def __init__(self, far_port, n):
        self.far = ("127.0.0.1", far_port)
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        self.sip.settimeout(5)
        self.port = self.sip.getsockname()[1]
        self.calls = []
        for i in range(n):
            rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rtp.bind(("127.0.0.1", 0))
            rtp.setblocking(False)
            self.calls.append({"id": "load%d-%d@127.0.0.1" % (os.getpid(), i), "rtp": rtp,
                               "tag": "%08x" % random.getrandbits(32), "remote": None,
                               "times": [], "to": None})

    def request(self, method, call, cseq, body=""):
        lines = ["%s sip:1000@127.0.0.1:%d SIP/2.0" % (method, self.far[1]),
                 "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%016x;rport"
                 % (self.port, random.getrandbits(64)),
                 "Max-Forwards: 70", "From: <sip:load@127.0.0.1>;tag=%s" % call["tag"],
                 "To: %s" % (call["to"] or "<sip:1000@127.0.0.1>"),
                 "Call-ID: %s" % call["id"], "CSeq: %d %s" % (cseq, method),
                 "Contact: <sip:load@127.0.0.1:%d>" % self.port]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        self.sip.sendto(("\r\n".join(lines) + "\r\n\r\n" + body).encode(), self.far)

    def invite_all(self):
        for call in self.calls:
            port = call["rtp"].getsockname()[1]
            sdp = ("v=0\r\no=load 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                   "m=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n" % port)
            self.request("INVITE", call, 1, sdp)
            while True:
                msg = farend.Message(self.sip.recv(65535))
                if msg.status == 200 and msg.call_id == call["id"]:
                    break
            call["to"] = msg.get("to")
            _, port, _, _, _ = farend.parse_sdp(msg.body)
            call["remote"] = ("127.0.0.1", port)
            self.request("ACK", call, 1)

    def bye_all(self):
        for call in self.calls:
            self.request("BYE", call, 2)

    def run(self, seconds):
        """Sends each call's RTP every 20 ms (one timer) and notes when
        each of the far end's packets arrives."""
        poll = select.epoll()
        by_fd = {}
        for call in self.calls:
            poll.register(call["rtp"].fileno(), select.EPOLLIN)
            by_fd[call["rtp"].fileno()] = call
        packet = struct.pack("!BBHII", 0x80, 8, 0, 0, 1) + b"\xd5" * 160
        start = time.monotonic()
        tick = 0
        while time.monotonic() - start < seconds:
            now = time.monotonic()
            if now >= start + tick * 0.02:
                for call in self.calls:
                    call["rtp"].sendto(packet, call["remote"])
                tick += 1
            for fd, _ in poll.poll(max(0, start + tick * 0.02 - time.monotonic())):
                call = by_fd[fd]
                try:
                    while True:
                        call["rtp"].recv(2048)
                        call["times"].append(time.monotonic())
                except BlockingIOError:
                    pass
        poll.close()


def measure(n, seconds, workdir):
    low = random.randrange(40000, 50000 - 2 * n - 400, 2)
    far = farend.Process(workdir, (low, low + 2 * n + 399))
    uac = Uac(far.port, n)
    try:
        uac.invite_all()
        time.sleep(1)
        far0, own0, t0 = cpu_seconds(far.proc.pid), cpu_seconds(os.getpid()), time.monotonic()
        uac.run(seconds)
        far1, own1, t1 = cpu_seconds(far.proc.pid), cpu_seconds(os.getpid()), time.monotonic()
        uac.bye_all()
        time.sleep(1)
    finally:
        stats = far.close()
    rates, gaps = [], []
    for call in uac.calls:
        times = [t for t in call["times"] if t0 + 1 <= t <= t1]
        rates.append(len(times) / max(t1 - t0 - 1, 1e-9))
        gaps.append(max((b - a for a, b in zip(times, times[1:])), default=float("inf")))
    gaps.sort()
    return {"calls": n, "far_end_cpu_pct": 100 * (far1 - far0) / (t1 - t0),
            "uac_cpu_pct": 100 * (own1 - own0) / (t1 - t0),
            "packets_per_s_min": min(rates), "packets_per_s_mean": sum(rates) / len(rates),
            "gap_ms_median": 1000 * gaps[len(gaps) // 2], "gap_ms_max": 1000 * gaps[-1],
            "far_end": stats}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    print("| calls | far end CPU (% of one core) | UAC CPU | packets/s per call (min / mean) "
          "| largest gap per call (median / max ms) |\n|---|---|---|---|---|")
    for n in args.calls:
        r = measure(n, args.seconds, tempfile.mkdtemp(prefix="farend-load-"))
        print("| %d | %.1f | %.1f | %.1f / %.1f | %.0f / %.0f |" % (
            n, r["far_end_cpu_pct"], r["uac_cpu_pct"], r["packets_per_s_min"],
            r["packets_per_s_mean"], r["gap_ms_median"], r["gap_ms_max"]), flush=True)
        print("  far end counters: %s" % r["far_end"], flush=True)


if __name__ == "__main__":
    main()

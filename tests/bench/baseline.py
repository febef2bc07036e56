"""The baseline sipcast is measured against: one ffmpeg process per call.

Each leg is what a "PBX plus ffmpeg" set-up runs per call: ffmpeg reads
PCMA RTP described by an SDP file, encodes it as the daemon does by default
(AAC 44.1 kHz mono 64 kbit/s; with copy=True it copies the A-law into FLV)
and publishes it to the same nginx-rtmp.  One Python thread plays the RTP
of every leg at 20 ms per packet, the far end's job, not counted.
"""

import os
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import harness

CLK_TCK = os.sysconf("SC_CLK_TCK")


def rtp_payloads(pcap):
    """The UDP payloads (RTP packets) of a 20 ms-per-packet capture."""
    data = Path(pcap).read_bytes()
    off, payloads = 24, []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        ihl = (frame[14] & 0x0F) * 4
        payloads.append(frame[14 + ihl + 8:])
        off += 16 + incl
    return payloads


class RtpPlayer(threading.Thread):
    """Sends the capture's packets to every port, looped, with sequence
    numbers and timestamps running on, until stop()."""

    def __init__(self, payloads, ports):
        super().__init__(daemon=True)
        self.payloads, self.ports = payloads, ports
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.done = threading.Event()

    def run(self):
        start, k = time.monotonic(), 0
        while not self.done.is_set():
            packet = bytearray(self.payloads[k % len(self.payloads)])
            struct.pack_into(">HI", packet, 2, k & 0xFFFF, (k * 160) & 0xFFFFFFFF)
            for port in self.ports:
                self.sock.sendto(packet, ("127.0.0.1", port))
            k += 1
            delay = start + k * 0.02 - time.monotonic()
            if delay > 0:
                self.done.wait(delay)

    def stop(self):
        self.done.set()
        self.join(5)
        self.sock.close()


class FfmpegLegs:
    def __init__(self, n, rtmp_url, pcap, workdir, copy=False):
        self.procs, ports = [], []
        for i in range(n):
            port = harness._free_udp_block(2)
            sdp = Path(workdir) / ("leg%d.sdp" % i)
            sdp.write_text("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=leg\r\n"
                           "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                           "m=audio %d RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n" % port)
            codec = (["-c:a", "copy"] if copy else
                     ["-c:a", "aac", "-ar", "44100", "-ac", "1", "-b:a", "64k"])
            self.procs.append(subprocess.Popen(
                ["ffmpeg", "-nostdin", "-loglevel", "error",
                 "-protocol_whitelist", "file,udp,rtp", "-i", str(sdp)] + codec +
                ["-f", "flv", "%s/ffmpeg%d" % (rtmp_url, i)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(Path(workdir) / ("leg%d.log" % i), "w")))
            ports.append(port)
        self.player = RtpPlayer(rtp_payloads(pcap), ports)
        self.player.start()

    def alive(self):
        return sum(p.poll() is None for p in self.procs)

    def cpu_seconds(self):
        total = 0.0
        for p in self.procs:
            try:
                fields = Path("/proc/%d/stat" % p.pid).read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        return total

    def rss_kb(self):
        total = 0
        for p in self.procs:
            try:
                total += int(Path("/proc/%d/statm" % p.pid).read_text().split()[1]) * \
                    (os.sysconf("SC_PAGE_SIZE") // 1024)
            except OSError:
                pass
        return total

    def close(self):
        self.player.stop()
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

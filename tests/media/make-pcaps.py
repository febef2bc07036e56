#!/usr/bin/env python3
"""Generate the G.711 RTP captures that the sipp scenarios play.

Writes pcmu-440hz-5s.pcap and pcma-440hz-5s.pcap next to this script: five
seconds of a 440 Hz sine at -12 dBFS (peak), 8 kHz, 20 ms per RTP packet,
wrapped in Ethernet/IPv4/UDP so that sipp's play_pcap_audio accepts them.
Pure standard library, so the files can be rebuilt anywhere; see README.md.
"""

import math
import os
import struct
import sys

RATE = 8000
PTIME_SAMPLES = 160  # 20 ms
SECONDS = 5
FREQ = 440.0
PEAK = 32767 * 10 ** (-12 / 20)
SRC_PORT = 40000
# sipp rewrites the destination to the port in the peer's SDP; only the
# difference between destination ports in the capture matters to it.
DST_PORT = 6000
SSRC = 0x5C1CA570


def ulaw(sample):
    """ITU-T G.711 mu-law encoding of one signed 16-bit sample."""
    value = sample >> 2  # mu-law works on 14 bits
    if value >= 0:
        mask = 0xFF
    else:
        mask = 0x7F
        value = -value
    value = min(value, 8159) + 0x21
    segment = value.bit_length() - 6
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def alaw(sample):
    """ITU-T G.711 A-law encoding of one signed 16-bit sample."""
    value = sample >> 3  # A-law works on 13 bits
    if value >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        value = -value - 1
    segment = max(0, value.bit_length() - 5)
    if segment >= 8:
        return 0x7F ^ mask
    shift = 1 if segment < 2 else segment
    return ((segment << 4) | ((value >> shift) & 0x0F)) ^ mask


def ip_checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(rtp):
    udp = struct.pack("!HHHH", SRC_PORT, DST_PORT, 8 + len(rtp), 0) + rtp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64,
                     17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    ethernet = bytes(6) + bytes(6) + struct.pack("!H", 0x0800)
    return ethernet + ip + udp


def write_pcap(path, payload_type, encode):
    samples = [round(PEAK * math.sin(2 * math.pi * FREQ * n / RATE))
               for n in range(RATE * SECONDS)]
    with open(path, "wb") as out:
        # pcap global header: microsecond timestamps, link type Ethernet
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for index, start in enumerate(range(0, len(samples), PTIME_SAMPLES)):
            payload = bytes(encode(s) for s in samples[start:start + PTIME_SAMPLES])
            marker = 0x80 if index == 0 else 0
            rtp = struct.pack("!BBHII", 0x80, marker | payload_type,
                              index & 0xFFFF, start, SSRC) + payload
            packet = frame(rtp)
            usec = index * 20000
            out.write(struct.pack("<IIII", usec // 1000000, usec % 1000000,
                                  len(packet), len(packet)))
            out.write(packet)


# pcmu-dtmf-3s.pcap: the PCMU tone with RFC 4733 telephone-events (payload
# type 101, as sipcast offers it) in place of the audio while a key is
# down: (digit, start in packets of 20 ms, length in packets).
DTMF_EVENTS = [("1", 25, 10), ("#", 65, 10), ("9", 105, 10)]
DTMF_PT = 101
DTMF_PACKETS = 150  # 3 s


def write_dtmf_pcap(path):
    samples = [round(PEAK * math.sin(2 * math.pi * FREQ * n / RATE))
               for n in range(PTIME_SAMPLES * DTMF_PACKETS)]
    events = {}
    for digit, start, length in DTMF_EVENTS:
        code = "0123456789*#ABCD".index(digit)
        for i in range(length):
            events[start + i] = (code, start, i, length)
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        seq = 0
        for index in range(DTMF_PACKETS):
            start = index * PTIME_SAMPLES
            if index in events:
                code, first, i, length = events[index]
                # RFC 4733 2.5: the event's timestamp is its start; the
                # duration grows; the last packet, with the end bit, is
                # sent three times.
                duration = (i + 1) * PTIME_SAMPLES
                end = i == length - 1
                payload = struct.pack("!BBH", code, (0x80 if end else 0) | 10, duration)
                marker = 0x80 if i == 0 else 0
                copies = 3 if end else 1
                ts = first * PTIME_SAMPLES
                pt = DTMF_PT
            else:
                payload = bytes(ulaw(x) for x in samples[start:start + PTIME_SAMPLES])
                marker = 0x80 if index == 0 else 0
                copies = 1
                ts = start
                pt = 0
            for _ in range(copies):
                rtp = struct.pack("!BBHII", 0x80, marker | pt, seq & 0xFFFF, ts, SSRC) + payload
                seq += 1
                packet = frame(rtp)
                usec = index * 20000
                out.write(struct.pack("<IIII", usec // 1000000, usec % 1000000,
                                      len(packet), len(packet)))
                out.write(packet)


# A far end with voice activity detection: GAP_TALK seconds of speech-like
# sound (the 440 Hz tone under a syllable envelope of 4 Hz that never
# falls silent), GAP_PAUSE seconds with no RTP at all, or only RFC 3389
# comfort noise (payload type 13, one packet at the start of the pause and
# one every CN_EVERY packets), then GAP_TALK seconds again.  Sequence
# numbers run on through the pause, the RTP timestamps jump over it, and
# the first packet after it has the marker bit, as RFC 3551 §4.1 asks.
# Made by the tests when they need it (tests/integration/test_continuous.py),
# so no such file is kept here.
GAP_TALK = 7
GAP_PAUSE = 4
CN_PT = 13
CN_LEVEL = 70  # -70 dBov (RFC 3389 §3.1)
CN_EVERY = 25  # 500 ms


def write_gap_pcap(path, comfort_noise=False):
    talk = GAP_TALK * RATE // PTIME_SAMPLES
    pause = GAP_PAUSE * RATE // PTIME_SAMPLES
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        seq = 0
        for index in range(2 * talk + pause):
            start = index * PTIME_SAMPLES
            in_pause = talk <= index < talk + pause
            if in_pause:
                if not comfort_noise or (index - talk) % CN_EVERY != 0:
                    continue
                pt, marker, payload = CN_PT, 0, bytes([CN_LEVEL])
            else:
                samples = []
                for n in range(start, start + PTIME_SAMPLES):
                    envelope = 0.65 + 0.35 * math.sin(2 * math.pi * 4 * n / RATE)
                    samples.append(round(PEAK * envelope * math.sin(2 * math.pi * FREQ * n / RATE)))
                pt = 8
                marker = 0x80 if index in (0, talk + pause) else 0
                payload = bytes(alaw(x) for x in samples)
            rtp = struct.pack("!BBHII", 0x80, marker | pt, seq & 0xFFFF, start, SSRC) + payload
            seq += 1
            packet = frame(rtp)
            usec = index * 20000
            out.write(struct.pack("<IIII", usec // 1000000, usec % 1000000,
                                  len(packet), len(packet)))
            out.write(packet)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--gap":
        # make-pcaps.py --gap OUT.pcap [--cn]: the VAD capture, PCMA
        write_gap_pcap(sys.argv[2], comfort_noise="--cn" in sys.argv[3:])
        return
    here = os.path.dirname(os.path.abspath(__file__))
    write_pcap(os.path.join(here, "pcmu-440hz-5s.pcap"), 0, ulaw)
    write_pcap(os.path.join(here, "pcma-440hz-5s.pcap"), 8, alaw)
    write_dtmf_pcap(os.path.join(here, "pcmu-dtmf-3s.pcap"))


if __name__ == "__main__":
    main()

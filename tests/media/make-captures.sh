#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Recipe for the GStreamer-made RTP captures the sipp scenarios play (the
# G.711 ones come from make-pcaps.py).  Each capture is a real GStreamer
# sender, paced in real time (is-live=true), sending RTP over loopback while
# dumpcap records it: classic pcap, Ethernet link type (what loopback gives
# on Linux), which both sipp's play_pcap_audio and GStreamer's pcapparse
# read.  Then every capture, old and new, is decoded back and checked: a
# 440 Hz tone for audio, moving non-blank pictures for video.
#
#   tests/media/make-captures.sh          make every capture, then check all
#   tests/media/make-captures.sh --check  only check the committed captures
#   tests/media/make-captures.sh --resolution-changes
#                                         only remake the *-reschange-* ones
#
# Needs: gst-launch-1.0 with gst-plugins-{base,good,bad,ugly} and gst-libav
# (opusenc, avenc_g722, x264enc, vp8enc, pcapparse, the depayloaders and
# decoders), dumpcap (Debian package wireshark-common, pulled in by tshark)
# with the right to capture on lo (root, or the wireshark group), python3.
#
# Payload types follow sipcast's default offer (src/core/sipcast-sdp.c), so a
# scenario that answers with the offered numbers can play them unchanged:
# audio Opus 96, G.722 9, PCMU 0, PCMA 8; video H.264 mode 1 96, H.264 mode 0
# 97, VP8 98.  See README.md for ports, SSRCs and how to play them.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

# Loopback ports of the recording.  sipp only uses the difference between
# destination ports in a capture, and a pcapparse sender filters on them
# (pcapparse dst-port=...).  Fixed source ports keep other loopback traffic
# of a busy test machine out of the capture filter.
AUDIO_SRC_PORT=47100
AUDIO_DST_PORT=47000
VIDEO_SRC_PORT=47102
VIDEO_DST_PORT=47002

SECONDS_LONG=3
AUDIO_PACKETS=$((SECONDS_LONG * 50))   # 20 ms each
VIDEO_FRAMES=$((SECONDS_LONG * 25))    # 25 fps

# Small and plain: 320x240 at 25 fps, a ball moving over a black
# background with the running time written on it, which also shows in a
# published stream whether frames come out in order.  Without the text a
# key frame would fit a single packet and H.264 mode 1 would never need
# FU-A.  The encoders make a key frame every second, so a player joining
# late waits at most one second.
VIDEO_SOURCE="videotestsrc is-live=true pattern=ball num-buffers=$VIDEO_FRAMES \
  ! video/x-raw,format=I420,width=320,height=240,framerate=25/1
  ! timeoverlay font-desc=Sans,24"
AUDIO_TONE="audiotestsrc is-live=true wave=sine freq=440 volume=0.25 num-buffers=$AUDIO_PACKETS"

tmp=$(mktemp -d)
dumpcap_pid=
cleanup () {
  if [ -n "$dumpcap_pid" ]; then
    kill -INT "$dumpcap_pid" 2>/dev/null || true
    wait "$dumpcap_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# capture FILE SRC_PORT DST_PORT PIPELINE: runs the GStreamer PIPELINE,
# which ends in a udpsink to 127.0.0.1:DST_PORT from SRC_PORT, and records
# what it sends into FILE.
capture () {
  local file=$1 src_port=$2 dst_port=$3 pipeline=$4
  local out="$tmp/$file"

  echo "== $file"
  dumpcap -q -P -i lo -f "udp and src port $src_port and dst port $dst_port" \
    -w "$out" 2>"$tmp/dumpcap.log" &
  dumpcap_pid=$!
  # dumpcap says so on stderr once the filter is installed.
  for _ in $(seq 50); do
    grep -q "Capturing on" "$tmp/dumpcap.log" && break
    sleep 0.1
  done
  grep -q "Capturing on" "$tmp/dumpcap.log" || { cat "$tmp/dumpcap.log"; exit 1; }

  # shellcheck disable=SC2086 # the pipeline is meant to be split into words
  gst-launch-1.0 -q $pipeline \
    ! udpsink host=127.0.0.1 port="$dst_port" bind-port="$src_port" sync=true

  sleep 0.5   # the last packets may still be in dumpcap's buffer
  kill -INT "$dumpcap_pid"
  wait "$dumpcap_pid" || true
  dumpcap_pid=
  install -m 0644 "$out" "$here/$file"
}

make_captures () {
  capture opus-440hz-3s.pcap $AUDIO_SRC_PORT $AUDIO_DST_PORT \
    "$AUDIO_TONE samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=1
     ! opusenc bitrate=32000 frame-size=20
     ! rtpopuspay pt=96 ssrc=1869641071 timestamp-offset=0 seqnum-offset=0"

  # G.722 is 16 kHz audio on an 8000 Hz RTP clock (RFC 3551): 160 bytes
  # and 160 timestamp ticks per 20 ms packet.
  capture g722-440hz-3s.pcap $AUDIO_SRC_PORT $AUDIO_DST_PORT \
    "$AUDIO_TONE samplesperbuffer=320 ! audio/x-raw,rate=16000,channels=1
     ! avenc_g722
     ! rtpg722pay pt=9 min-ptime=20000000 max-ptime=20000000
       ssrc=1731359282 timestamp-offset=0 seqnum-offset=0"

  # packetization-mode 1 as phones and browsers send it: SPS and PPS in a
  # STAP-A before every key frame (config-interval=1 with a key frame each
  # second), frames larger than a packet split into FU-A fragments.  One
  # encoder thread makes one slice per frame, so there are large frames.
  capture h264-pm1-3s.pcap $VIDEO_SRC_PORT $VIDEO_DST_PORT \
    "$VIDEO_SOURCE
     ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=25 bitrate=400
       threads=1 aud=false
     ! video/x-h264,profile=constrained-baseline
     ! rtph264pay pt=96 config-interval=1 mtu=1200 aggregate-mode=zero-latency
       ssrc=1748251697 timestamp-offset=0 seqnum-offset=0"

  # packetization-mode 0: one NAL unit per packet, no FU-A or STAP-A.  x264
  # cuts slices small enough to fit a packet, and the payloader is told to
  # aggregate nothing, so the MTU is never reached.
  capture h264-pm0-3s.pcap $VIDEO_SRC_PORT $VIDEO_DST_PORT \
    "$VIDEO_SOURCE
     ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=25 bitrate=400
       threads=1 aud=false option-string=slice-max-size=1000
     ! video/x-h264,profile=constrained-baseline
     ! rtph264pay pt=97 config-interval=1 mtu=1400 aggregate-mode=none
       ssrc=1748251696 timestamp-offset=0 seqnum-offset=0"

  capture vp8-3s.pcap $VIDEO_SRC_PORT $VIDEO_DST_PORT \
    "$VIDEO_SOURCE
     ! vp8enc deadline=1 target-bitrate=400000 keyframe-max-dist=25
     ! rtpvp8pay pt=98 mtu=1200 ssrc=1448101944 timestamp-offset=0 seqnum-offset=0"

  make_resolution_changes
}

# A resolution change mid-stream, as a phone switching cameras sends it:
# 1.5 s of 320x240, then 1.5 s of 640x480, one RTP stream.  concat plays
# the two sources one after the other with continuous timestamps; the
# encoder starts over with a key frame (and for H.264 new SPS/PPS) at the
# new size.  Not live: udpsink (sync=true) paces the packets instead.
RESCHANGE_SOURCES="videotestsrc pattern=ball num-buffers=38
   ! video/x-raw,format=I420,width=320,height=240,framerate=25/1
   ! timeoverlay font-desc=Sans,24 ! c.
 videotestsrc pattern=ball num-buffers=37
   ! video/x-raw,format=I420,width=640,height=480,framerate=25/1
   ! timeoverlay font-desc=Sans,24 ! c.
 concat name=c"

make_resolution_changes () {
  capture vp8-reschange-3s.pcap $VIDEO_SRC_PORT $VIDEO_DST_PORT \
    "$RESCHANGE_SOURCES
     ! vp8enc deadline=1 target-bitrate=400000 keyframe-max-dist=25
     ! rtpvp8pay pt=98 mtu=1200 ssrc=1448101945 timestamp-offset=0 seqnum-offset=0"

  capture h264-reschange-3s.pcap $VIDEO_SRC_PORT $VIDEO_DST_PORT \
    "$RESCHANGE_SOURCES
     ! x264enc tune=zerolatency speed-preset=veryfast key-int-max=25 bitrate=400
       threads=1 aud=false
     ! video/x-h264,profile=constrained-baseline
     ! rtph264pay pt=96 config-interval=1 mtu=1200 aggregate-mode=zero-latency
       ssrc=1748251698 timestamp-offset=0 seqnum-offset=0"
}

# check_packets FILE PT CLOCK_RATE SECONDS [h264-mode]: the capture as RTP:
# one stream, the payload type, continuous sequence numbers, RTP time and
# capture time that agree, and for H.264 the NAL unit types its mode allows.
check_packets () {
  python3 - "$@" <<'EOF'
import struct, sys

path, pt, rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
h264_mode = int(sys.argv[5]) if len(sys.argv) > 5 else None
data = open(path, "rb").read()
magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
assert magic == 0xA1B2C3D4, "%s: not a classic microsecond pcap" % path
assert linktype == 1, "%s: link type %d, not Ethernet" % (path, linktype)

packets = []
off = 24
while off < len(data):
    sec, usec, caplen, length = struct.unpack("<IIII", data[off:off + 16])
    frame = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    assert caplen == length, "truncated packet"
    assert frame[12:14] == b"\x08\x00", "not IPv4"
    ihl = (frame[14] & 0x0F) * 4
    assert frame[14 + 9] == 17, "not UDP"
    rtp = frame[14 + ihl + 8:]
    packets.append((sec + usec / 1e6, rtp))

assert packets, "%s: no packets" % path
ssrcs = set()
nal_types = set()      # as packetized
inner_types = set()    # the NAL units carried
for i, (_, rtp) in enumerate(packets):
    assert rtp[0] >> 6 == 2, "not RTP version 2"
    assert rtp[1] & 0x7F == pt, "payload type %d, expected %d" % (rtp[1] & 0x7F, pt)
    ssrcs.add(rtp[8:12])
    seq = struct.unpack("!H", rtp[2:4])[0]
    if i > 0:
        prev = struct.unpack("!H", packets[i - 1][1][2:4])[0]
        assert seq == (prev + 1) & 0xFFFF, "sequence gap %d -> %d" % (prev, seq)
    cc = rtp[0] & 0x0F
    payload = rtp[12 + 4 * cc:]
    if h264_mode is not None:
        nal = payload[0] & 0x1F
        nal_types.add(nal)
        if nal == 24:    # STAP-A: 16-bit size, NAL unit, ...
            pos = 1
            while pos + 2 < len(payload):
                size = struct.unpack("!H", payload[pos:pos + 2])[0]
                inner_types.add(payload[pos + 2] & 0x1F)
                pos += 2 + size
        elif nal == 28:  # FU-A: the FU header names the fragmented type
            inner_types.add(payload[1] & 0x1F)
        else:
            inner_types.add(nal)
assert len(ssrcs) == 1, "%d SSRCs" % len(ssrcs)

wall = packets[-1][0] - packets[0][0]
ts_first = struct.unpack("!I", packets[0][1][4:8])[0]
ts_last = struct.unpack("!I", packets[-1][1][4:8])[0]
rtp_time = ((ts_last - ts_first) & 0xFFFFFFFF) / rate
assert abs(wall - seconds) < 0.3, "lasts %.2f s, expected about %.1f" % (wall, seconds)
assert abs(rtp_time - wall) < 0.15, "RTP time %.2f s, capture time %.2f s" % (rtp_time, wall)

if h264_mode == 0:
    # RFC 6184 §6.2: single NAL unit mode has only types 1-23.
    assert all(1 <= t <= 23 for t in nal_types), "NAL types %s in mode 0" % sorted(nal_types)
elif h264_mode == 1:
    assert nal_types <= set(range(1, 24)) | {24, 28}, "NAL types %s" % sorted(nal_types)
    assert 28 in nal_types, "no FU-A: not really mode 1"
if h264_mode is not None:
    assert {5, 7, 8} <= inner_types, "no IDR, SPS or PPS: %s" % sorted(inner_types)

print("   %d packets, pt %d, %.2f s, %d bytes%s" % (
    len(packets), pt, wall, len(data),
    ", NAL types %s" % sorted(nal_types) if h264_mode is not None else ""))
EOF
}

# check_tone FILE DST_PORT CAPS DEPAY DECODER: decodes the capture and
# checks for 440 Hz: most of the energy at that frequency, not silence.
check_tone () {
  local file=$1 port=$2 caps=$3 depay=$4 decoder=$5
  local wav="$tmp/${file%.pcap}.wav"

  gst-launch-1.0 -q filesrc location="$file" \
    ! pcapparse dst-port="$port" caps="$caps" \
    ! "$depay" ! "$decoder" \
    ! audioconvert ! audioresample \
    ! audio/x-raw,format=S16LE,rate=8000,channels=1 \
    ! wavenc ! filesink location="$wav"

  python3 - "$wav" <<'EOF'
import math, struct, sys, wave

with wave.open(sys.argv[1]) as w:
    rate = w.getframerate()
    raw = w.readframes(w.getnframes())
samples = struct.unpack("<%dh" % (len(raw) // 2), raw)
# Skip the decoders' start-up (Opus pre-skip, G.722 adaptation).
body = samples[rate // 10:]
assert len(samples) >= 2.5 * rate, "only %.2f s decoded" % (len(samples) / rate)
energy = sum(s * s for s in body) / len(body)
rms = math.sqrt(energy)

def power_at(freq):
    # Goertzel over the whole body: power of one frequency bin.
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in body:
        s1, s2 = x + k * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / len(body) / len(body)

tone = power_at(440)
assert rms > 1000, "RMS %.0f: silence" % rms
assert tone > 0.8 * energy, "440 Hz carries only %.0f%% of the energy" % (100 * tone / energy)
assert power_at(1000) < 0.01 * energy
print("   decoded %.2f s, RMS %.0f, %.0f%% of the energy at 440 Hz" % (
    len(samples) / rate, rms, 100 * tone / energy))
EOF
}

# check_video FILE DST_PORT CAPS DEPAY DECODE: decodes the capture to grey
# 320x240 frames and checks there are about 3 s of them, that they are not
# blank and that the ball moves.
check_video () {
  local file=$1 port=$2 caps=$3 depay=$4 decode=$5
  local raw="$tmp/${file%.pcap}.gray"

  # shellcheck disable=SC2086 # DECODE may be several elements
  gst-launch-1.0 -q filesrc location="$file" \
    ! pcapparse dst-port="$port" caps="$caps" \
    ! "$depay" ! $decode \
    ! videoconvert ! video/x-raw,format=GRAY8,width=320,height=240 \
    ! filesink location="$raw"

  python3 - "$raw" <<'EOF'
import sys

size = 320 * 240
data = open(sys.argv[1], "rb").read()
frames = [data[i:i + size] for i in range(0, len(data) - size + 1, size)]
assert len(frames) >= 70, "only %d frames decoded" % len(frames)

def spread(frame):
    mean = sum(frame) / len(frame)
    return (sum((p - mean) ** 2 for p in frame[::7]) / len(frame[::7])) ** 0.5

blank = [i for i, f in enumerate(frames) if spread(f) < 20]
assert not blank, "blank frames: %s" % blank[:10]
moved = sum(1 for a, b in zip(frames, frames[1:])
            if sum(abs(x - y) for x, y in zip(a[::13], b[::13])) > 1000)
assert moved > 0.8 * (len(frames) - 1), "the picture moves in only %d frames" % moved
print("   decoded %d frames, none blank, %d moved" % (len(frames), moved))
EOF
}

check_captures () {
  local port=$AUDIO_DST_PORT vport=$VIDEO_DST_PORT

  echo "== checking"
  echo "-- opus-440hz-3s.pcap"
  check_packets opus-440hz-3s.pcap 96 48000 3
  check_tone opus-440hz-3s.pcap $port \
    "application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=96" \
    rtpopusdepay opusdec

  echo "-- g722-440hz-3s.pcap"
  check_packets g722-440hz-3s.pcap 9 8000 3
  check_tone g722-440hz-3s.pcap $port \
    "application/x-rtp,media=audio,clock-rate=8000,encoding-name=G722,payload=9" \
    rtpg722depay avdec_g722

  # The G.711 captures of make-pcaps.py, destination port 6000.
  echo "-- pcmu-440hz-5s.pcap"
  check_packets pcmu-440hz-5s.pcap 0 8000 5
  check_tone pcmu-440hz-5s.pcap 6000 \
    "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0" \
    rtppcmudepay mulawdec
  echo "-- pcma-440hz-5s.pcap"
  check_packets pcma-440hz-5s.pcap 8 8000 5
  check_tone pcma-440hz-5s.pcap 6000 \
    "application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMA,payload=8" \
    rtppcmadepay alawdec

  echo "-- h264-pm1-3s.pcap"
  check_packets h264-pm1-3s.pcap 96 90000 3 1
  check_video h264-pm1-3s.pcap $vport \
    "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96,packetization-mode=(string)1" \
    rtph264depay "h264parse ! avdec_h264"

  echo "-- h264-pm0-3s.pcap"
  check_packets h264-pm0-3s.pcap 97 90000 3 0
  check_video h264-pm0-3s.pcap $vport \
    "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=97,packetization-mode=(string)0" \
    rtph264depay "h264parse ! avdec_h264"

  echo "-- vp8-3s.pcap"
  check_packets vp8-3s.pcap 98 90000 3
  check_video vp8-3s.pcap $vport \
    "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=98" \
    rtpvp8depay vp8dec

  for f in *.pcap; do
    if [ "$(stat -c %s "$f")" -ge 409600 ]; then
      echo "$f is larger than 400 KiB" >&2
      exit 1
    fi
  done
  echo "== all captures decode"
}

case "${1:-}" in
  --check) ;;
  --resolution-changes) make_resolution_changes ;;
  "") make_captures ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
check_captures

#!/usr/bin/env python3
"""A light SIP far end for the benchmark and the soak: hundreds of calls,
one process, one thread.

sipp plays a capture with a thread per call (`play_pcap_audio`), which
stops keeping time somewhere under 100 concurrent calls on two cores.  This
UAS does the far end's whole job from one loop instead:

- SIP over UDP on 127.0.0.1: INVITE answered (100 Trying, optionally 180
  Ringing, then 200 OK with PCMA and telephone-event; a video line is
  refused with port 0; an INVITE without SDP gets our offer in the 200 and
  the answer in the ACK), 200 retransmitted until the ACK, re-INVITE and
  UPDATE answered, OPTIONS, INFO, CANCEL (487), BYE from sipcast answered,
  and BYE of our own after --hangup-after seconds;
- media: every answered call gets 20 ms PCMA packets of a 440 Hz tone
  (precomputed payloads; 1 s of tone is a whole number of periods, so the
  loop is seamless) from ONE timer, the calls spread over --slots phases
  of the 20 ms so that they do not all arrive at once; an RTCP sender
  report (with SDES CNAME) every 5 s per call; what sipcast sends (its RTP
  and RTCP) is read and counted, at most one packet per socket per tick,
  so that a packet does not cost a wake-up.

    python3 tests/bench/farend.py --port 5070 --stats /tmp/farend.json

It prints "farend listening on udp 127.0.0.1:PORT" once ready, and writes
its counters as JSON to --stats on SIGUSR1 and when it ends (SIGTERM or
SIGINT).  Python 3 standard library only.
"""

import argparse
import heapq
import json
import math
import os
import random
import select
import signal
import socket
import struct
import sys
import time
from pathlib import Path

LOOPBACK = "127.0.0.1"
PTIME = 0.020
SAMPLES = 160
RTCP_INTERVAL = 5.0
T1 = 0.5
# sent when sipcast's answer does not say where its RTCP goes
NTP_EPOCH = 2208988800

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
           "l": "content-length", "c": "content-type", "k": "supported"}


def alaw(sample):
    """One 16-bit linear sample to G.711 A-law (ITU-T G.711, as audioop
    did; audioop is gone from Python 3.13)."""
    sign = 0x80 if sample >= 0 else 0
    if sample < 0:
        sample = -sample - 1
    sample = min(sample, 32767) >> 3
    if sample < 32:
        code = sample >> 1
    else:
        exponent = sample.bit_length() - 5
        code = (exponent << 4) | ((sample >> exponent) & 0x0F)
    return (code | sign) ^ 0x55


def tone_payloads(frequency=440.0, level=0.3):
    """One second of a sine as 50 PCMA payloads of 20 ms."""
    samples = bytes(alaw(int(level * 32767 * math.sin(2 * math.pi * frequency * n / 8000)))
                    for n in range(8000))
    return [samples[i:i + SAMPLES] for i in range(0, 8000, SAMPLES)]


class Message:
    """A parsed SIP message: start line, headers (lower-case names, in
    order, repeated ones kept) and body."""

    def __init__(self, data):
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("utf-8", "replace").split("\r\n")
        self.start = lines[0]
        self.headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and self.headers:
                name, value = self.headers[-1]
                self.headers[-1] = (name, value + " " + line.strip())
                continue
            name, _, value = line.partition(":")
            name = name.strip().lower()
            self.headers.append((COMPACT.get(name, name), value.strip()))
        length = self.get("content-length")
        self.body = body[:int(length)] if length and length.isdigit() else body
        parts = self.start.split(" ", 2)
        self.is_request = not self.start.startswith("SIP/2.0")
        self.method = parts[0] if self.is_request else None
        self.status = int(parts[1]) if not self.is_request and len(parts) > 1 else None
        self.uri = parts[1] if self.is_request and len(parts) > 1 else None

    def get(self, name):
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def all(self, name):
        return [value for key, value in self.headers if key == name]

    @property
    def call_id(self):
        return self.get("call-id")

    @property
    def cseq(self):
        number, _, method = (self.get("cseq") or "0 X").partition(" ")
        return int(number), method.strip()


def tag_of(header):
    for param in (header or "").split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "tag":
            return value
    return None


def uri_of(header):
    """The URI of a From/To/Contact value: inside <> or up to ';'."""
    if "<" in header:
        return header[header.index("<") + 1:header.index(">")]
    return header.split(";")[0].strip()


def parse_sdp(body):
    """(address, audio port, audio payload types, RTCP port or None,
    [(kind, port, proto, fmts) of every m= line]) of an offer or answer."""
    address, media, rtcp = None, [], None
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("c=") and (address is None or not media):
            address = line.split()[-1]
        elif line.startswith("m="):
            fields = line[2:].split()
            media.append((fields[0], int(fields[1]), fields[2], fields[3:]))
        elif line.startswith("a=rtcp:") and len(media) == 1:
            rtcp = int(line[7:].split()[0])
    audio = next((m for m in media if m[0] == "audio"), None)
    if audio is None:
        return address, None, [], rtcp, media
    return address, audio[1], audio[3], rtcp, media


class Call:
    __slots__ = ("call_id", "local_tag", "remote_from", "remote_to", "remote_uri",
                 "routes", "addr", "rtp", "rtcp", "rtp_port", "remote_rtp",
                 "remote_rtcp", "ssrc", "seq", "ts", "frame", "sent", "octets",
                 "received", "rtcp_received", "answered", "confirmed", "ended",
                 "next_rtcp", "slot", "invite_cseq", "response", "retransmit_at",
                 "retransmit_interval", "sdp_version", "local_cseq", "telephone_event",
                 "started", "video_lines", "offer_in_200")


class FarEnd:
    def __init__(self, args):
        self.args = args
        self.payloads = tone_payloads()
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sip.bind((LOOPBACK, args.port))
        self.sip.setblocking(False)
        self.port = self.sip.getsockname()[1]
        self.calls = {}                 # Call-ID → Call
        self.by_fd = {}                 # media socket fd → (Call, is RTCP)
        self.slots = [set() for _ in range(args.slots)]
        self.media_poll = select.epoll()
        self.timers = []                # heap of (when, n, function, args)
        self.timer_n = 0
        self.free_pairs = list(range(args.rtp_min, args.rtp_max - 1, 2))
        self.next_slot = 0
        self.running = True
        self.stats = {"invites": 0, "answered": 0, "confirmed": 0, "ended_by_sipcast": 0,
                      "ended_by_us": 0, "reinvites": 0, "options": 0, "cancelled": 0,
                      "rejected": 0, "rtp_sent": 0, "rtp_received": 0, "rtcp_sent": 0,
                      "rtcp_received": 0, "ended_without_rtp_in": 0, "live": 0,
                      "max_live": 0, "late_ticks": 0, "skipped_ticks": 0}
        self.hdr = struct.Struct("!BBHII")

    # --- timers -------------------------------------------------------

    def later(self, delay, function, *args):
        self.timer_n += 1
        heapq.heappush(self.timers, (time.monotonic() + delay, self.timer_n, function, args))

    # --- SIP ----------------------------------------------------------

    def send_sip(self, text, addr):
        try:
            self.sip.sendto(text.encode(), addr)
        except OSError as error:
            print("farend: send to %s:%d failed: %s" % (addr[0], addr[1], error),
                  file=sys.stderr)

    def response(self, request, code, reason, to_tag=None, extra=(), body=b""):
        lines = ["SIP/2.0 %d %s" % (code, reason)]
        lines += ["Via: %s" % via for via in request.all("via")]
        lines += ["Record-Route: %s" % rr for rr in request.all("record-route")]
        lines.append("From: %s" % request.get("from"))
        to = request.get("to") or ""
        if to_tag and tag_of(to) is None:
            to += ";tag=%s" % to_tag
        lines.append("To: %s" % to)
        lines.append("Call-ID: %s" % request.call_id)
        lines.append("CSeq: %s" % request.get("cseq"))
        lines.append("Server: sipcast-farend")
        lines.extend(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body))
        return "\r\n".join(lines) + "\r\n\r\n" + body.decode()

    def contact(self):
        return "Contact: <sip:farend@%s:%d>" % (LOOPBACK, self.port)

    def sdp(self, call):
        call.sdp_version += 1
        lines = ["v=0", "o=farend %d %d IN IP4 %s" % (call.ssrc, call.sdp_version, LOOPBACK),
                 "s=-", "c=IN IP4 %s" % LOOPBACK, "t=0 0",
                 "m=audio %d RTP/AVP 8%s" % (call.rtp_port,
                                             " 101" if call.telephone_event else ""),
                 "a=rtpmap:8 PCMA/8000"]
        if call.telephone_event:
            lines += ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15"]
        lines += ["a=ptime:20", "a=sendrecv"]
        for proto, fmts in call.video_lines:
            lines.append("m=video 0 %s %s" % (proto, " ".join(fmts)))
        return ("\r\n".join(lines) + "\r\n").encode()

    def take_sdp(self, call, body, offer):
        """Learns where sipcast wants RTP; False when it offers no PCMA."""
        address, port, fmts, rtcp, media = parse_sdp(body)
        if port is None or (offer and "8" not in fmts):
            return False
        call.remote_rtp = (address or LOOPBACK, port)
        call.remote_rtcp = (address or LOOPBACK, rtcp or port + 1)
        if offer:
            call.telephone_event = any(f not in ("0", "8", "9", "18", "3", "4") for f in fmts)
            call.video_lines = [(proto, fmts) for kind, _, proto, fmts in media[1:]
                                if kind != "audio"]
        return True

    def handle(self, data, addr):
        try:
            msg = Message(data)
        except (ValueError, IndexError):
            return
        if not msg.call_id:
            return
        if not msg.is_request:
            return              # answers to our BYEs: nothing to do
        handler = {"INVITE": self.on_invite, "ACK": self.on_ack, "BYE": self.on_bye,
                   "CANCEL": self.on_cancel, "OPTIONS": self.on_options}.get(msg.method)
        if handler:
            handler(msg, addr)
        elif msg.method in ("INFO", "UPDATE", "NOTIFY", "MESSAGE", "PRACK"):
            call = self.calls.get(msg.call_id)
            if call is None and msg.method != "MESSAGE":
                self.send_sip(self.response(msg, 481, "Call/Transaction Does Not Exist"), addr)
            else:
                self.send_sip(self.response(msg, 200, "OK", call and call.local_tag), addr)
        else:
            self.send_sip(self.response(msg, 501, "Not Implemented"), addr)

    def on_options(self, msg, addr):
        self.stats["options"] += 1
        self.send_sip(self.response(msg, 200, "OK", extra=(
            "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE",
            "Accept: application/sdp")), addr)

    def on_invite(self, msg, addr):
        call = self.calls.get(msg.call_id)
        cseq, _ = msg.cseq
        if call is not None and cseq == call.invite_cseq:
            if call.response:   # a retransmission: the same answer again
                self.send_sip(call.response, addr)
            return
        if call is not None:
            return self.on_reinvite(call, msg, addr, cseq)
        self.stats["invites"] += 1
        if not self.free_pairs:
            self.stats["rejected"] += 1
            self.send_sip(self.response(msg, 503, "Service Unavailable",
                                        "%08x" % random.getrandbits(32)), addr)
            return
        call = Call()
        call.call_id = msg.call_id
        call.local_tag = "%08x" % random.getrandbits(32)
        call.remote_from = msg.get("from")
        call.remote_to = msg.get("to")
        contact = msg.get("contact")
        call.remote_uri = uri_of(contact) if contact else msg.uri
        call.routes = msg.all("record-route")
        call.addr = addr
        call.ssrc = random.getrandbits(32)
        call.seq = random.getrandbits(16)
        call.ts = random.getrandbits(32)
        call.frame = call.sent = call.octets = call.received = call.rtcp_received = 0
        call.answered = call.confirmed = call.ended = False
        call.invite_cseq = cseq
        call.response = None
        call.sdp_version = 0
        call.local_cseq = 1
        call.telephone_event = True
        call.video_lines = []
        call.offer_in_200 = not msg.body
        call.remote_rtp = call.remote_rtcp = None
        if msg.body and not self.take_sdp(call, msg.body, offer=True):
            self.stats["rejected"] += 1
            call.response = self.response(msg, 488, "Not Acceptable Here", call.local_tag)
            self.send_sip(call.response, addr)
            return
        if not self.open_media(call):
            self.stats["rejected"] += 1
            self.send_sip(self.response(msg, 503, "Service Unavailable", call.local_tag), addr)
            return
        self.calls[call.call_id] = call
        self.send_sip(self.response(msg, 100, "Trying"), addr)
        if self.args.ring_ms > 0:
            self.send_sip(self.response(msg, 180, "Ringing", call.local_tag,
                                        extra=(self.contact(),)), addr)
            self.later(self.args.ring_ms / 1000, self.answer, call, msg)
        else:
            self.answer(call, msg)

    def answer(self, call, msg):
        if call.ended:
            return
        call.response = self.response(msg, 200, "OK", call.local_tag, extra=(
            self.contact(), "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE"),
            body=self.sdp(call))
        call.answered = True
        self.stats["answered"] += 1
        self.send_sip(call.response, call.addr)
        call.retransmit_interval = T1
        self.later(T1, self.retransmit, call, call.invite_cseq)

    def retransmit(self, call, cseq):
        """RFC 3261 §13.3.1.4: the 200 again at T1, 2·T1… up to T2 until
        the ACK, for 64·T1."""
        if call.ended or call.confirmed or call.invite_cseq != cseq:
            return
        if call.retransmit_interval > 32 * T1:
            self.end(call)      # never ACKed: give its ports back
            return
        self.send_sip(call.response, call.addr)
        call.retransmit_interval = min(call.retransmit_interval * 2, 4.0)
        self.later(call.retransmit_interval, self.retransmit, call, cseq)

    def on_reinvite(self, call, msg, addr, cseq):
        self.stats["reinvites"] += 1
        if msg.body and not self.take_sdp(call, msg.body, offer=True):
            call.response = self.response(msg, 488, "Not Acceptable Here", call.local_tag)
            call.invite_cseq = cseq
            self.send_sip(call.response, addr)
            return
        call.invite_cseq = cseq
        call.confirmed = False
        call.offer_in_200 = not msg.body
        self.answer_reinvite(call, msg)

    def answer_reinvite(self, call, msg):
        call.response = self.response(msg, 200, "OK", call.local_tag, extra=(self.contact(),),
                                      body=self.sdp(call))
        self.send_sip(call.response, call.addr)
        call.retransmit_interval = T1
        self.later(T1, self.retransmit, call, call.invite_cseq)

    def on_ack(self, msg, addr):
        call = self.calls.get(msg.call_id)
        if call is None or call.confirmed or not call.answered:
            return              # the ACK of a 4xx/5xx, or a retransmission
        if call.offer_in_200 and msg.body:
            self.take_sdp(call, msg.body, offer=False)
        call.confirmed = True
        if call.remote_rtp is None:
            return
        if call.slot is None:
            self.stats["confirmed"] += 1
            self.start_media(call)

    def on_cancel(self, msg, addr):
        call = self.calls.get(msg.call_id)
        if call is None:
            self.send_sip(self.response(msg, 481, "Call/Transaction Does Not Exist"), addr)
            return
        self.send_sip(self.response(msg, 200, "OK", call.local_tag), addr)
        if not call.answered:
            self.stats["cancelled"] += 1
            # the 487 answers the INVITE: the CANCEL's headers with INVITE's CSeq
            invite = self.response(msg, 487, "Request Terminated", call.local_tag)
            invite = invite.replace("CSeq: %s" % msg.get("cseq"),
                                    "CSeq: %d INVITE" % call.invite_cseq)
            self.send_sip(invite, addr)
            self.end(call)

    def on_bye(self, msg, addr):
        call = self.calls.get(msg.call_id)
        if call is None:
            self.send_sip(self.response(msg, 481, "Call/Transaction Does Not Exist"), addr)
            return
        self.send_sip(self.response(msg, 200, "OK", call.local_tag), addr)
        self.stats["ended_by_sipcast"] += 1
        self.end(call)

    def hang_up(self, call):
        """Our BYE (RFC 3261 §15.1.1): to sipcast's Contact, our tag in From."""
        if call.ended:
            return
        call.local_cseq += 1
        branch = "z9hG4bK%016x" % random.getrandbits(64)
        lines = ["BYE %s SIP/2.0" % call.remote_uri,
                 "Via: SIP/2.0/UDP %s:%d;branch=%s;rport" % (LOOPBACK, self.port, branch),
                 "Max-Forwards: 70"]
        lines += ["Route: %s" % r for r in reversed(call.routes)]
        lines += ["From: %s;tag=%s" % (call.remote_to.split(";tag=")[0], call.local_tag),
                  "To: %s" % call.remote_from, "Call-ID: %s" % call.call_id,
                  "CSeq: %d BYE" % call.local_cseq, "Content-Length: 0"]
        self.send_sip("\r\n".join(lines) + "\r\n\r\n", call.addr)
        self.stats["ended_by_us"] += 1
        self.end(call)

    # --- media --------------------------------------------------------

    def open_media(self, call):
        while self.free_pairs:
            port = self.free_pairs.pop(0)
            rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                rtp.bind((LOOPBACK, port))
                rtcp.bind((LOOPBACK, port + 1))
            except OSError:
                # taken by someone else: not ours to hand out again
                rtp.close()
                rtcp.close()
                continue
            rtp.setblocking(False)
            rtcp.setblocking(False)
            call.rtp, call.rtcp, call.rtp_port = rtp, rtcp, port
            self.by_fd[rtp.fileno()] = (call, False)
            self.by_fd[rtcp.fileno()] = (call, True)
            self.media_poll.register(rtp.fileno(), select.EPOLLIN)
            self.media_poll.register(rtcp.fileno(), select.EPOLLIN)
            call.slot = None
            return True
        return False

    def start_media(self, call):
        call.slot = self.next_slot
        self.next_slot = (self.next_slot + 1) % len(self.slots)
        self.slots[call.slot].add(call)
        call.started = time.monotonic()
        call.next_rtcp = call.started + random.uniform(0.5, RTCP_INTERVAL)
        self.stats["live"] += 1
        self.stats["max_live"] = max(self.stats["max_live"], self.stats["live"])
        if self.args.hangup_after > 0:
            self.later(self.args.hangup_after, self.hang_up, call)

    def end(self, call):
        if call.ended:
            return
        call.ended = True
        self.calls.pop(call.call_id, None)
        if call.slot is not None:
            self.slots[call.slot].discard(call)
            self.stats["live"] -= 1
            if call.received == 0:
                self.stats["ended_without_rtp_in"] += 1
        for sock in (call.rtp, call.rtcp):
            if sock is None:
                continue
            self.media_poll.unregister(sock.fileno())
            del self.by_fd[sock.fileno()]
            sock.close()
        if call.rtp is not None:
            # at the back: a port just closed is not bound again at once
            self.free_pairs.append(call.rtp_port)
        call.rtp = call.rtcp = None

    def send_rtp(self, call, now):
        payload = self.payloads[call.frame % len(self.payloads)]
        packet = self.hdr.pack(0x80, 8 | (0x80 if call.frame == 0 else 0),
                               call.seq & 0xFFFF, call.ts & 0xFFFFFFFF, call.ssrc) + payload
        try:
            call.rtp.sendto(packet, call.remote_rtp)
        except OSError:
            pass                # sipcast's port closed before its BYE reached us
        call.frame += 1
        call.seq += 1
        call.ts += SAMPLES
        call.sent += 1
        call.octets += len(payload)
        self.stats["rtp_sent"] += 1
        if now >= call.next_rtcp:
            call.next_rtcp = now + RTCP_INTERVAL
            self.send_rtcp(call)

    def send_rtcp(self, call):
        wall = time.time() + NTP_EPOCH
        sr = struct.pack("!BBHIIIIII", 0x80, 200, 6, call.ssrc, int(wall),
                         int((wall % 1) * 2 ** 32) & 0xFFFFFFFF, (call.ts - SAMPLES) & 0xFFFFFFFF,
                         call.sent & 0xFFFFFFFF, call.octets & 0xFFFFFFFF)
        cname = b"farend@127.0.0.1"
        item = bytes([1, len(cname)]) + cname + b"\0"
        item += b"\0" * (-(4 + len(item)) % 4)
        sdes = struct.pack("!BBHI", 0x81, 202, (4 + len(item)) // 4, call.ssrc) + item
        try:
            call.rtcp.sendto(sr + sdes, call.remote_rtcp)
            self.stats["rtcp_sent"] += 1
        except OSError:
            pass

    def read_media(self):
        """One packet from every media socket that has one: sipcast's RTP
        and RTCP are counted and dropped."""
        for fd, _ in self.media_poll.poll(0):
            entry = self.by_fd.get(fd)
            if entry is None:
                continue
            call, is_rtcp = entry
            sock = call.rtcp if is_rtcp else call.rtp
            try:
                sock.recv(2048)
            except OSError:
                continue
            if is_rtcp:
                call.rtcp_received += 1
                self.stats["rtcp_received"] += 1
            else:
                call.received += 1
                self.stats["rtp_received"] += 1

    # --- the loop -----------------------------------------------------

    def write_stats(self):
        if not self.args.stats:
            return
        tmp = self.args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(dict(self.stats, cpu_seconds=sum(os.times()[:2])), f)
        os.replace(tmp, self.args.stats)

    def run(self):
        loop = select.epoll()
        loop.register(self.sip.fileno(), select.EPOLLIN)
        slot_time = PTIME / len(self.slots)
        start = time.monotonic()
        tick = 0                # slot ticks since start
        print("farend listening on udp %s:%d" % (LOOPBACK, self.port), flush=True)
        while self.running:
            now = time.monotonic()
            due = start + tick * slot_time
            if now >= due:
                late = now - due
                if late > 0.2:
                    # far behind (the machine was busy): skip ahead rather
                    # than send a burst of old packets to every call
                    skip = int(late / slot_time)
                    tick += skip
                    self.stats["skipped_ticks"] += skip
                elif late > slot_time:
                    self.stats["late_ticks"] += 1
                for call in list(self.slots[tick % len(self.slots)]):
                    self.send_rtp(call, now)
                self.read_media()
                tick += 1
            while self.timers and self.timers[0][0] <= now:
                _, _, function, args = heapq.heappop(self.timers)
                function(*args)
            # SIP is served between ticks, and at every tick when behind
            wait = start + tick * slot_time - time.monotonic()
            if self.timers:
                wait = min(wait, self.timers[0][0] - now)
            if loop.poll(max(wait, 0)):
                # every waiting SIP message, each answered at once
                for _ in range(256):
                    try:
                        data, addr = self.sip.recvfrom(65535)
                    except BlockingIOError:
                        break
                    self.handle(data, addr)
        self.write_stats()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="SIP UDP port (0: any free)")
    parser.add_argument("--rtp-ports", default="40000-49999",
                        help="RTP/RTCP port pairs are taken from this range")
    parser.add_argument("--ring-ms", type=int, default=0,
                        help="send 180 Ringing and answer this much later")
    parser.add_argument("--hangup-after", type=float, default=0,
                        help="send BYE this many seconds after the ACK (0: wait for sipcast's)")
    parser.add_argument("--slots", type=int, default=4,
                        help="the calls send in this many phases of the 20 ms")
    parser.add_argument("--stats", help="write counters as JSON here on SIGUSR1 and at exit")
    args = parser.parse_args()
    low, _, high = args.rtp_ports.partition("-")
    args.rtp_min, args.rtp_max = int(low) & ~1, int(high)
    far = FarEnd(args)

    def stop(*_):
        far.running = False
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGUSR1, lambda *_: far.write_stats())
    far.run()


class Process:
    """farend.py run as a process of its own (so that its CPU is its own):
    what bench.py and soak.py start."""

    def __init__(self, workdir, rtp_ports, args=()):
        import subprocess
        self.stats_path = Path(workdir) / "farend.json"
        self.log_path = Path(workdir) / "farend.log"
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--port", "0",
             "--rtp-ports", "%d-%d" % rtp_ports, "--stats", str(self.stats_path)] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=open(self.log_path, "w"), text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("farend listening"):
            self.proc.kill()
            raise RuntimeError("farend did not start: %r %s" % (line, self.log_path.read_text()))
        self.port = int(line.rsplit(":", 1)[1])

    def cpu_seconds(self):
        fields = Path("/proc/%d/stat" % self.proc.pid).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stats(self, timeout=5):
        """Its counters, asked for now (SIGUSR1)."""
        before = self.stats_path.stat().st_mtime_ns if self.stats_path.exists() else 0
        self.proc.send_signal(signal.SIGUSR1)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.stats_path.exists() and self.stats_path.stat().st_mtime_ns != before:
                return json.loads(self.stats_path.read_text())
            time.sleep(0.05)
        return json.loads(self.stats_path.read_text()) if self.stats_path.exists() else {}

    def close(self):
        """SIGTERM; its last counters."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        return json.loads(self.stats_path.read_text()) if self.stats_path.exists() else {}


if __name__ == "__main__":
    main()

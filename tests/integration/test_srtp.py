"""SRTP with SDES keys (RFC 4568) against a far end that really speaks it.

The far end is written here: its SIP is raw UDP from Python, its media
two gst-launch-1.0 pipelines with srtpenc and srtpdec (gst-plugins-bad)
keyed from the SDP: one sends a 440 Hz tone as SRTP to sipcast, the other
decrypts what sipcast sends back.  What sipcast publishes is read back
from nginx-rtmp's recording (duration, level, the tone's frequency), and
the far end's decrypted audio must be there too: SRTP packets that do not
authenticate are dropped by srtpdec, so a wrong key leaves it empty.
"""

import base64
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid

import harness
from gateway import GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status

AUTH = {"AES_CM_128_HMAC_SHA1_80": "hmac-sha1-80", "AES_CM_128_HMAC_SHA1_32": "hmac-sha1-32"}


def header(message, name):
    match = re.search(r"^%s:\s*(.*?)\r?$" % name, message, re.M | re.I)
    return match.group(1) if match else None


def crypto_lines(sdp):
    """[(tag, suite, key bytes)] of the a=crypto lines of sdp's audio line."""
    sdp = re.search(r"m=audio [^\n]*\n(?:(?!m=)[^\n]*\n)*", sdp.replace("\r\n", "\n") + "\n").group(0)
    return [(int(tag), suite, base64.b64decode(key))
            for tag, suite, key in re.findall(r"a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/=]+)", sdp)]


class SrtpMedia:
    """The far end's media: the tone out as SRTP with our key, and
    sipcast's SRTP in, decrypted with its key into a WAV file."""

    def __init__(self, workdir, local_port, remote_port, suite, our_key, their_key):
        self.wav = workdir / ("rx-%d.wav" % local_port)
        self.port = local_port
        auth = AUTH[suite]
        keys = "rtp-cipher=aes-128-icm rtp-auth=%s rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80" % auth
        self.sender = harness._spawn([
            "gst-launch-1.0", "-q", "audiotestsrc", "is-live=true", "freq=440", "volume=0.5",
            "!", "audio/x-raw,rate=8000,channels=1", "!", "alawenc", "!", "rtppcmapay", "pt=8",
            "!", "srtpenc", "key=%s" % our_key.hex(), *keys.split(),
            "!", "udpsink", "host=%s" % LOOPBACK, "port=%d" % remote_port,
            "bind-address=%s" % LOOPBACK, "bind-port=%d" % (local_port + 2)],
            workdir / ("sender-%d.log" % local_port))
        self.caps = ("application/x-srtp,media=audio,clock-rate=8000,encoding-name=PCMA,"
                     "payload=8,ssrc=(uint){ssrc},srtp-key=(buffer)%s,srtp-cipher=aes-128-icm,"
                     "srtp-auth=%s,srtcp-cipher=aes-128-icm,srtcp-auth=hmac-sha1-80"
                     % (their_key.hex(), auth))
        self.workdir = workdir
        self.receiver = None
        # gst-launch's srtpdec takes a key from caps only for the SSRC they
        # name: learn it from sipcast's first packet, then decrypt
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, local_port))
        self.sock.settimeout(15)
        self.thread = threading.Thread(target=self._receive, daemon=True)
        self.thread.start()

    def _receive(self):
        try:
            ssrc = struct.unpack(">I", self.sock.recv(2048)[8:12])[0]
        except OSError:
            return
        finally:
            self.sock.close()
        self.receiver = harness._spawn([
            "gst-launch-1.0", "-q", "-e", "udpsrc", "address=%s" % LOOPBACK, "port=%d" % self.port,
            "caps=%s" % self.caps.format(ssrc=ssrc), "!", "srtpdec", "!", "rtpjitterbuffer",
            "!", "rtppcmadepay", "!", "alawdec", "!", "wavenc", "!", "filesink",
            "location=%s" % self.wav],
            self.workdir / ("receiver-%d.log" % self.port))

    def close(self):
        harness._end(self.sender, signal.SIGTERM, 5)
        self.sock.close()
        self.thread.join(5)
        if self.receiver is None:
            return
        # -e: SIGINT makes gst-launch send EOS, so the WAV header is complete
        if self.receiver.poll() is None:
            self.receiver.send_signal(signal.SIGINT)
        try:
            self.receiver.wait(5)
        except subprocess.TimeoutExpired:
            harness._end(self.receiver, signal.SIGKILL, 5)

    def log(self):
        return "\n".join("--- %s\n%s" % (name, harness._tail(self.wav.parent / name))
                         for name in ("sender-%d.log" % self.port, "receiver-%d.log" % self.port))

    def received_seconds(self):
        return max(0, (self.wav.stat().st_size - 44) / 16000) if self.wav.exists() else 0


class SrtpUas:
    """A far end answering sipcast's INVITEs over UDP: SRTP with the
    suite it prefers when offered, else plain RTP."""

    def __init__(self, workdir, suite="AES_CM_128_HMAC_SHA1_80"):
        self.workdir = workdir
        self.suite = suite
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.media = []
        self.offers = []

    def send(self, text, address):
        self.sock.sendto(text.replace("\n", "\r\n").encode(), address)

    def respond(self, request, address, status, body=""):
        lines = ["SIP/2.0 %s" % status]
        for name in ("Via", "From", "To", "Call-ID", "CSeq"):
            value = header(request, name)
            if name == "To" and not status.startswith("100") and "tag=" not in value:
                value += ";tag=srtp%d" % self.port
            lines.append("%s: %s" % (name, value))
        lines.append("Contact: <sip:peer@%s:%d>" % (LOOPBACK, self.port))
        if body:
            lines.append("Content-Type: application/sdp")
        lines += ["Content-Length: %d" % len(body.replace("\n", "\r\n")), "", body]
        self.send("\n".join(lines), address)

    def serve(self, seconds):
        """Answers what comes for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data, address = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            text = data.decode(errors="replace")
            method = text.split(" ", 1)[0]
            if method == "INVITE":
                self.answer_invite(text, address)
            elif method in ("BYE", "CANCEL", "OPTIONS", "INFO", "UPDATE"):
                self.respond(text, address, "200 OK")

    def answer_invite(self, text, address):
        sdp = text.split("\r\n\r\n", 1)[1]
        self.offers.append(sdp)
        sipcast_port = int(re.search(r"m=audio (\d+) ", sdp).group(1))
        media_port = harness._free_udp_block(4)
        offered = [c for c in crypto_lines(sdp) if c[1] == self.suite]
        if offered and self.suite:
            tag, suite, their_key = offered[0]
            our_key = os.urandom(30)
            proto = re.search(r"m=audio \d+ (\S+)", sdp).group(1)
            answer = ("v=0\no=peer 1 1 IN IP4 {ip}\ns=-\nc=IN IP4 {ip}\nt=0 0\n"
                      "m=audio {port} {proto} 8\na=rtpmap:8 PCMA/8000\na=sendrecv\n"
                      "a=crypto:{tag} {suite} inline:{key}\n").format(
                          ip=LOOPBACK, port=media_port, proto=proto, tag=tag, suite=suite,
                          key=base64.b64encode(our_key).decode())
            self.media.append(SrtpMedia(self.workdir, media_port, sipcast_port, suite,
                                        our_key, their_key))
        else:
            answer = ("v=0\no=peer 1 1 IN IP4 {ip}\ns=-\nc=IN IP4 {ip}\nt=0 0\n"
                      "m=audio {port} RTP/AVP 8\na=rtpmap:8 PCMA/8000\na=sendrecv\n").format(
                          ip=LOOPBACK, port=media_port)
        self.respond(text, address, "200 OK", answer)

    def close(self):
        for media in self.media:
            media.close()
        self.sock.close()


class SrtpTest(GatewayTestCase):

    @classmethod
    def sipcast_config(cls):
        # the far end's media leaves from another port than it listens on
        return """\
[rtp]
symmetric=false

[media]
srtp=mandatory

[route in]
callee=in-*
rtmp-url=%s
rtmp-stream=${callee}
""" % cls.nginx.url

    def uas(self, suite):
        uas = SrtpUas(harness._new_dir("srtp-"), suite)
        self.addCleanup(uas.close)
        return uas

    def check_published_tone(self, stream, media):
        recorded = self.nginx.recorded(stream)
        self.assert_tone_flv(recorded, 1.5, 30)
        self.assertGreater(media.received_seconds(), 1.0,
                           "the far end decrypted nothing sipcast sent\n%s" % media.log())

    def test_outgoing_both_suites(self):
        for suite in ("AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"):
            with self.subTest(suite=suite):
                uas = self.uas(suite)
                call_id = "srtp-out-" + suite[-2:]
                status, answer, _ = self.sipcast.rest("/call/startup", {
                    "callId": call_id, "callee": "peer", "sipDomain": LOOPBACK,
                    "sipPort": uas.port, "srtp": "optional",
                    "rtmpUrl": self.nginx.url, "rtmpStream": call_id})
                self.assertEqual((status, answer), (200, {}))
                self.addCleanup(self.hang_up, call_id)
                uas.serve(2)
                # optional: RTP/AVP, with both keys offered
                offer = uas.offers[0]
                self.assertIn("m=audio", offer)
                self.assertRegex(offer, r"m=audio \d+ RTP/AVP ")
                self.assertEqual([(t, s) for t, s, _ in crypto_lines(offer)],
                                 [(1, "AES_CM_128_HMAC_SHA1_80"), (2, "AES_CM_128_HMAC_SHA1_32")])
                self.assertIn("SRTP %s" % suite, self.sipcast.log_path.read_text())
                self.wait_publishing(call_id)
                uas.serve(3)
                self.terminate(call_id)
                uas.serve(1)
                wait_status(self.sipcast, call_id, "FINISH", 10)
                uas.media[0].close()
                self.check_published_tone(call_id, uas.media[0])

    def invite(self, sock, callee, sdp):
        call_id = uuid.uuid4().hex
        port = sock.getsockname()[1]
        uri = "sip:%s@%s:%d" % (callee, LOOPBACK, self.sipcast.sip_port)
        body = sdp.replace("\n", "\r\n")
        sock.sendto(("\r\n".join([
            "INVITE %s SIP/2.0" % uri,
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s" % (LOOPBACK, port, call_id),
            "From: <sip:caller@%s>;tag=c%s" % (LOOPBACK, call_id[:6]), "To: <%s>" % uri,
            "Call-ID: %s" % call_id, "CSeq: 1 INVITE",
            "Contact: <sip:caller@%s:%d>" % (LOOPBACK, port), "Max-Forwards: 70",
            "Content-Type: application/sdp", "Content-Length: %d" % len(body), "", body])).encode(),
            (LOOPBACK, self.sipcast.sip_port))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            text = sock.recv(65536).decode(errors="replace")
            status = int(text.split()[1]) if text.startswith("SIP/2.0") else 0
            if status >= 200 and header(text, "Call-ID") == call_id:
                return status, text, call_id
        self.fail("no answer to the INVITE\n" + self.sipcast.log())

    def in_dialog(self, sock, method, answer, call_id, cseq):
        port = sock.getsockname()[1]
        contact = re.search(r"<([^>]*)>", header(answer, "Contact")).group(1)
        sock.sendto(("\r\n".join([
            "%s %s SIP/2.0" % (method, contact),
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s" % (LOOPBACK, port, uuid.uuid4().hex),
            "From: %s" % header(answer, "From"), "To: %s" % header(answer, "To"),
            "Call-ID: %s" % call_id, "CSeq: %d %s" % (cseq, method), "Max-Forwards: 70",
            "Content-Length: 0", "", ""])).encode(), (LOOPBACK, self.sipcast.sip_port))

    def test_incoming_savp_and_mandatory_refusal(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((LOOPBACK, 0))
        sock.settimeout(5)
        self.addCleanup(sock.close)
        media_port = harness._free_udp_block(4)
        sdp = "v=0\no=caller 1 1 IN IP4 {ip}\ns=-\nc=IN IP4 {ip}\nt=0 0\n" \
              "m=audio {port} {proto} 8\na=rtpmap:8 PCMA/8000\na=sendrecv\n{crypto}"

        # srtp=mandatory: a plain offer is refused
        status, answer, _ = self.invite(sock, "in-plain", sdp.format(
            ip=LOOPBACK, port=media_port, proto="RTP/AVP", crypto=""))
        self.assertEqual(status, 488, answer)

        our_key = os.urandom(30)
        status, answer, call_id = self.invite(sock, "in-secure", sdp.format(
            ip=LOOPBACK, port=media_port, proto="RTP/SAVP",
            crypto="a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:%s\n"
                   "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:%s\n" % (
                       base64.b64encode(os.urandom(46)).decode(),
                       base64.b64encode(our_key).decode())))
        self.assertEqual(status, 200, answer + self.sipcast.log())
        body = answer.split("\r\n\r\n", 1)[1]
        self.assertRegex(body, r"m=audio \d+ RTP/SAVP 8")
        keys = crypto_lines(body)
        # the one suite we speak, under the offerer's tag, with our own key
        self.assertEqual([(t, s) for t, s, _ in keys], [(2, "AES_CM_128_HMAC_SHA1_32")])
        self.assertNotEqual(keys[0][2], our_key)
        sipcast_port = int(re.search(r"m=audio (\d+) ", body).group(1))
        self.in_dialog(sock, "ACK", answer, call_id, 1)
        media = SrtpMedia(harness._new_dir("srtp-in-"), media_port, sipcast_port,
                          "AES_CM_128_HMAC_SHA1_32", our_key, keys[0][2])
        self.addCleanup(media.close)
        wait_for(lambda: self.nginx.events("publish", "in-secure"), 10,
                 message=lambda: self.sipcast.log())
        time.sleep(3)
        self.in_dialog(sock, "BYE", answer, call_id, 2)
        media.close()
        self.check_published_tone("in-secure", media)

    def test_mandatory_against_a_plain_far_end(self):
        # sipp answers RTP/AVP without a key whatever it is offered
        far = self.sipp("uas-answer-pcma.xml")
        self.start_call("srtp-plain", far, srtp="mandatory")
        wait_status(self.sipcast, "srtp-plain", "FAILED", 10)
        call = self.find("srtp-plain")
        self.assertEqual(call["sipStatus"], 488, call)
        self.assertIn("SRTP required", self.sipcast.log_path.read_text())
        offer = far.messages()
        self.assertRegex(offer, r"m=audio \d+ RTP/SAVP ")
        self.assertIn("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:", offer)
        # and the far end got a BYE: sipp's scenario ends
        self.assert_sipp_passed(far)
        # "srtp": an unknown mode is refused
        status, answer, _ = self.sipcast.rest("/call/startup", self.startup_body(
            "srtp-bad", far, srtp="always"))
        self.assert_error(answer, status, 400)


if __name__ == "__main__":
    import unittest
    unittest.main()

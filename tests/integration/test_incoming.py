"""Incoming calls: sipp calls sipcast, routes in the config decide.

sipp is the caller here (tests/sip/uac-*.xml): it INVITEs the daemon's SIP
port with a callee the [route NAME] groups of the class's configuration
match (or not), plays the 440 Hz tone after the answer, and ends the call
itself or waits for sipcast's BYE.  What a route publishes is checked on
the harness's nginx-rtmp with ffprobe.
"""

import hashlib
import queue
import re
import socket
import time
import unittest

import harness
from gateway import BOOLEAN_KEYS, CALL_KEYS, GatewayTestCase, RtpSink, UdpListener
from harness import LOOPBACK, wait_for, wait_status
from test_dialog import ToneSender

PCMA_PT = 8
G729_PT = 18  # not a codec sipcast speaks


def md5(*parts):
    return hashlib.md5(":".join(parts).encode()).hexdigest()


class RawCaller(UdpListener):
    """A caller that writes its own SIP over UDP, for what sipp cannot
    send: the same Authorization header in two calls.  It answers the
    daemon's BYE with 200 OK; everything else it receives is queued."""

    def __init__(self, sip_port):
        self.sip_port = sip_port
        self.received = queue.Queue()
        self.sequence = 0
        self.uris = {}
        super().__init__()

    def handle(self, data):
        text = data.decode(errors="replace")
        if text.startswith("BYE "):
            self.send(self.response_to(text, "200 OK"))
        else:
            self.received.put(text)

    def send(self, text):
        self.sock.sendto(text.replace("\n", "\r\n").encode(), (LOOPBACK, self.sip_port))

    @staticmethod
    def header(message, name):
        match = re.search(r"^%s:\s*(.*?)\r?$" % name, message, re.M | re.I)
        return match.group(1) if match else None

    def response_to(self, request, status):
        lines = ["SIP/2.0 %s" % status]
        lines += ["%s: %s" % (name, self.header(request, name))
                  for name in ("Via", "From", "To", "Call-ID", "CSeq")]
        return "\n".join(lines + ["Content-Length: 0", "", ""])

    def invite(self, callee, call_id, authorization=None, media_ip=LOOPBACK):
        """Sends an INVITE (PCMA on media_ip, from caller1) to callee."""
        self.sequence += 1
        uri = "sip:%s@%s:%d" % (callee, LOOPBACK, self.sip_port)
        sdp = ("v=0\no=raw 1 1 IN {family} {ip}\ns=-\nc=IN {family} {ip}\nt=0 0\n"
               "m=audio {port} RTP/AVP 8\na=rtpmap:8 PCMA/8000\na=sendrecv\n").format(
                   family="IP6" if ":" in media_ip else "IP4", ip=media_ip,
                   port=harness.free_udp_port_pair())
        lines = ["INVITE %s SIP/2.0" % uri,
                 "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-raw-%d" % (LOOPBACK, self.port, self.sequence),
                 "From: <sip:caller1@%s:%d>;tag=raw-%d" % (LOOPBACK, self.port, self.sequence),
                 "To: <%s>" % uri, "Call-ID: %s" % call_id, "CSeq: 1 INVITE",
                 "Contact: <sip:caller1@%s:%d>" % (LOOPBACK, self.port), "Max-Forwards: 70"]
        if authorization:
            lines.append("Authorization: %s" % authorization)
        lines += ["Content-Type: application/sdp", "Content-Length: %d" % len(sdp.replace("\n", "\r\n")),
                  "", sdp]
        self.send("\n".join(lines))
        self.uris[call_id] = uri

    def final_response(self, call_id, timeout=10):
        """The first final response to call_id's INVITE, ACKed."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.received.get(timeout=max(0.1, deadline - time.monotonic()))
            status = int(message.split()[1]) if message.startswith("SIP/2.0 ") else 0
            if self.header(message, "Call-ID") == call_id and status >= 200:
                break
        to = self.header(message, "To")
        if status < 300:
            target = re.search(r"<([^>]*)>", self.header(message, "Contact")).group(1)
            via = "SIP/2.0/UDP %s:%d;branch=z9hG4bK-raw-ack-%s" % (LOOPBACK, self.port, call_id)
        else:
            # the same transaction: the INVITE's Request-URI and Via
            target, via = self.uris[call_id], self.header(message, "Via")
        self.send("\n".join(["ACK %s SIP/2.0" % target, "Via: %s" % via,
                             "From: %s" % self.header(message, "From"), "To: %s" % to,
                             "Call-ID: %s" % call_id, "CSeq: 1 ACK", "Max-Forwards: 70",
                             "Content-Length: 0", "", ""]))
        return status, message


class IncomingCallTest(GatewayTestCase):

    @classmethod
    def sipcast_config(cls):
        url = cls.nginx.url
        return """\
[route studio]
callee=studio-*
rtmp-url=%(url)s
rtmp-stream=in-${callee}

[route secure]
callee-regex=secure|vault[0-9]
rtmp-url=%(url)s
rtmp-stream=${callee}-from-${caller}
user=alice
password=s3cret
realm=sipcast-test

[route fixed]
callee=fixed*
rtmp-url=%(url)s
rtmp-stream=fixed

[route blocked]
callee=blocked*
reject=603

[route slow]
callee=slow-*
rtmp-url=%(url)s
rtmp-stream=${callee}
ring-time=4000

[route video]
callee=video-*
rtmp-url=%(url)s
rtmp-stream=${callee}

[route seen]
callee=seen-*
rtmp-url=%(url)s
rtmp-stream=${callee}
has-video=true

[route listen]
callee=listen*
to-stream=heard-${caller}
has-audio=false
""" % {"url": url}

    def caller(self, scenario, callee, *args):
        """A sipp caller of callee at the daemon's SIP port."""
        sipp = harness.Sipp(scenario, args=("-s", callee, *args,
                                            "%s:%d" % (LOOPBACK, self.sipcast.sip_port)))
        self.addCleanup(sipp.close)
        return sipp

    def find_by_callee(self, callee, timeout=10, live=True):
        """The live call to callee (an ended one of an earlier test may
        still be listed), or with live=False the latest, ended or not."""
        def found():
            status, calls, _ = self.sipcast.rest("/call/find", {"callee": callee})
            if status != 200:
                return None
            calls = [c for c in calls if not live or c["status"] not in harness.ENDED]
            return calls[-1] if calls else None
        return wait_for(found, timeout, message=lambda: "no call to %s\n%s"
                        % (callee, self.sipcast.log()))

    def assert_no_call(self, callee):
        status, calls, _ = self.sipcast.rest("/call/find", {"callee": callee})
        self.assertEqual(status, 404, calls)

    def refused_with(self, callee, code, codec=PCMA_PT):
        sipp = self.caller("uac-refused.xml", callee, "-set", "codec", str(codec))
        self.assert_sipp_passed(sipp)  # it got a final response and ACKed it
        self.assertIn("SIP/2.0 %d " % code, sipp.messages(), self.logs(sipp))
        self.assert_no_call(callee)
        return sipp

    def test_routed_published_and_terminated(self):
        sipp = self.caller("uac-call.xml", "studio-a")
        call = self.find_by_callee("studio-a")
        call_id = call["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        call = self.wait_publishing(call_id)
        live_from = time.monotonic()

        self.assertEqual(list(call)[:len(CALL_KEYS)], CALL_KEYS, call)
        for key in BOOLEAN_KEYS:
            self.assertIsInstance(call[key], bool, key)
        self.assertIs(call["incoming"], True, call)
        self.assertEqual(call["caller"], "caller1", call)
        self.assertEqual(call["callee"], "studio-a", call)
        self.assertEqual(call["visibleName"], "Caller One", call)
        self.assertEqual(call["rtmpUrl"], self.nginx.url, call)
        self.assertEqual(call["rtmpStream"], "in-studio-a", call)
        self.assertEqual(call["sipStatus"], 200, call)
        self.assertEqual(call["audioCodec"], "PCMA/8000", call)
        self.assertIn("m=audio", call["sdp"], call)
        # the callId is the SIP Call-ID of the INVITE
        self.assertIn("Call-ID: %s" % call_id, sipp.messages())

        status, calls, _ = self.sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 200, calls)
        self.assertIn(call_id, [c["callId"] for c in calls if c["incoming"]])

        probe = harness.ffprobe_streams(self.nginx.url + "in-studio-a")
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "aac")], probe)

        time.sleep(max(0, live_from + 3 - time.monotonic()))
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)  # it got our BYE and answered it
        messages = sipp.messages()
        # answered promptly: 180, then 200 with our SDP answer
        self.assertLess(messages.index("SIP/2.0 180"), messages.index("SIP/2.0 200"), messages)
        self.assert_tone_flv(self.nginx.recorded("in-studio-a"), 2.5, 5.5)

    def test_caller_hangs_up(self):
        sipp = self.caller("uac-call-bye.xml", "studio-b")
        call_id = self.find_by_callee("studio-b")["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        # the caller sends BYE 3 s after its ACK
        wait_status(self.sipcast, call_id, "FINISH", 15)
        self.assert_sipp_passed(sipp)  # its BYE got a 200
        self.assertIs(self.find(call_id)["incoming"], True)
        self.assert_tone_flv(self.nginx.recorded("in-studio-b"), 1.5, 4.5)

    def test_caller_holds_and_resumes_with_an_answer_in_the_ack(self):
        # the ACK of the hold re-INVITE does not end the hold; a re-INVITE
        # without SDP gets our offer, and the answer in its ACK resumes the
        # call and moves its media to the test's socket
        sink = RtpSink()
        self.addCleanup(sink.close)
        sipp = self.caller("uac-hold.xml", "studio-hold", "-set", "rtp_sink", str(sink.port))
        call = self.find_by_callee("studio-hold")
        call_id = call["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        wait_status(self.sipcast, call_id, "HOLD", 5)
        held = time.monotonic()
        # the hold re-INVITE's ACK follows its 200 at once
        time.sleep(1.5)
        self.assertEqual(self.find(call_id)["status"], "HOLD")
        self.assertEqual(sink.received(), [])
        wait_status(self.sipcast, call_id, "ESTABLISHED", 5)
        self.assertGreater(time.monotonic() - held, 2.0)
        resumed = time.monotonic()
        call = self.find(call_id)
        self.assertIn("m=audio %d RTP/AVP 8 101" % sink.port, call["sdp"])
        self.assertIn("a=sendrecv", call["sdp"])
        wait_for(lambda: len(sink.received(PCMA_PT, since=resumed)) >= 25, 5,
                 message=lambda: "no RTP at the port of the ACK's answer\n" + self.sipcast.log())
        self.assert_sipp_passed(sipp)
        wait_status(self.sipcast, call_id, "FINISH", 10)

    def test_delayed_offer(self):
        sipp = self.caller("uac-delayed-offer.xml", "studio-d")
        call_id = self.find_by_callee("studio-d")["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        call = self.find(call_id)
        self.assertEqual(call["audioCodec"], "PCMA/8000", call)
        # the caller's SDP is the answer from its ACK
        self.assertIn("m=audio", call["sdp"], call)
        wait_status(self.sipcast, call_id, "FINISH", 15)
        self.assert_sipp_passed(sipp)
        messages = sipp.messages()
        # our offer in the 200: every configured codec, telephone-event
        offer = messages[messages.index("SIP/2.0 200"):]
        self.assertIn("a=rtpmap:8 PCMA/8000", offer)
        self.assertIn("telephone-event/8000", offer)
        self.assert_tone_flv(self.nginx.recorded("in-studio-d"), 1.5, 4.5)

    def test_delayed_offer_with_video(self):
        # our offer in the 200 has video, as an outgoing call's; the
        # caller's answer in the ACK takes it and sends H.264
        sipp = self.caller("uac-delayed-offer-video.xml", "video-d",
                           "-set", "video_port", str(harness.free_udp_port_pair()))
        call_id = self.find_by_callee("video-d")["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        # the size is known once the first pictures came through
        call = wait_for(lambda: [c for c in [self.find(call_id)] if c["width"]], 5,
                        message=lambda: "no video size\n" + self.logs(sipp))[0]
        self.assertEqual((call["videoCodec"], call["width"], call["height"]),
                         ("H264/90000", 320, 240), call)
        wait_status(self.sipcast, call_id, "FINISH", 15)
        self.assert_sipp_passed(sipp)  # it found the video line in our 200
        probe = harness.ffprobe_streams(self.nginx.recorded("video-d"))
        self.assertEqual(sorted((s["codec_type"], s["codec_name"], s.get("width"))
                                for s in probe["streams"]),
                         [("audio", "aac", None), ("video", "h264", 320)], probe)

    def test_delayed_offer_answered_with_no_common_codec(self):
        sipp = self.caller("uac-delayed-offer-no-codec.xml", "studio-e")
        call_id = self.find_by_callee("studio-e", live=False)["callId"]
        wait_status(self.sipcast, call_id, "FAILED", 10)
        self.assertEqual(self.find(call_id)["statusInfo"], "No common codecs")
        self.assert_sipp_passed(sipp)  # it got our BYE

    def test_not_published_and_receive_only(self):
        sipp = self.caller("uac-call.xml", "listen-1")
        call_id = self.find_by_callee("listen-1")["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        call = self.find(call_id)
        self.assertIsNone(call["rtmpUrl"], call)
        self.assertIsNone(call["rtmpStreamStatus"], call)
        self.assertIs(call["hasAudio"], False, call)
        # published inside sipcast under its to-stream
        def stream():
            status, streams, _ = self.sipcast.rest("/stream/find_all", {})
            return status == 200 and [s for s in streams if s["name"] == "heard-caller1"
                                      and s["status"] == "ACTIVE"]
        found = wait_for(stream, 10, message=lambda: self.sipcast.log())[0]
        self.assertEqual(found["callId"], call_id, found)
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)
        # has-audio=false: we answered that we only receive
        answer = sipp.messages()
        answer = answer[answer.index("SIP/2.0 200"):]
        self.assertIn("a=recvonly", answer[:answer.index("ACK sip:")])

    def check_video(self, callee, our_dir):
        """A caller offering PCMA and H.264 and sending both: the video
        line answered with our port and our_dir, the video published."""
        sipp = self.caller("uac-call-video.xml", callee,
                           "-set", "video_port", str(harness.free_udp_port_pair()))
        call_id = self.find_by_callee(callee)["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        self.wait_publishing(call_id)
        live_from = time.monotonic()
        # the 3 s capture, less what went by before the stream was live
        time.sleep(max(0, live_from + 2.5 - time.monotonic()))
        call = self.find(call_id)
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)  # it found a video port in our 200

        self.assertEqual((call["audioCodec"], call["videoCodec"], call["width"], call["height"]),
                         ("PCMA/8000", "H264/90000", 320, 240), call)
        messages = sipp.messages()
        answer = messages[messages.index("SIP/2.0 200"):]
        answer = answer[answer.index("m=video"):answer.index("ACK sip:")]
        self.assertRegex(answer, r"^m=video [1-9]\d* RTP/AVP 96\s")
        self.assertIn("a=fmtp:96 profile-level-id=42e01f;packetization-mode=1", answer)
        self.assertIn("a=rtcp-fb:96 nack pli", answer)
        self.assertIn("a=%s" % our_dir, answer)
        recorded = self.nginx.recorded(callee)
        probe = harness.ffprobe_streams(recorded)
        kinds = {s["codec_type"]: s for s in probe["streams"]}
        self.assertEqual((kinds["video"]["codec_name"], kinds["video"]["width"],
                          kinds["video"]["height"]), ("h264", 320, 240), probe)
        self.assertEqual(kinds["audio"]["codec_name"], "aac", probe)
        self.assertTrue(1.5 <= harness.audio_duration(recorded) <= 5.5)
        self.assertAlmostEqual(harness.tone_frequency(recorded), 440, delta=440 * 0.03)

    def test_video_published(self):
        # has-video=false (the default): we only receive video
        self.check_video("video-1", "recvonly")

    def test_video_has_video_true(self):
        # has-video=true: sendrecv, though sipcast never sends video
        self.check_video("seen-1", "sendrecv")

    def test_ring_time_then_answer(self):
        sipp = self.caller("uac-call.xml", "slow-1")
        call_id = self.find_by_callee("slow-1")["callId"]
        statuses = wait_status(self.sipcast, call_id, "ESTABLISHED", 15)
        # 4 s of ringing: too long for a poll to miss
        self.assertEqual(statuses[0], "RING", statuses)
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)

    def test_caller_cancels_while_ringing(self):
        sipp = self.caller("uac-cancel.xml", "slow-2")
        call_id = self.find_by_callee("slow-2")["callId"]
        wait_status(self.sipcast, call_id, "RING", 5)
        wait_status(self.sipcast, call_id, "FAILED", 10)
        call = self.find(call_id)
        self.assertEqual((call["sipStatus"], call["statusInfo"]), (487, "Request terminated"), call)
        self.assert_sipp_passed(sipp)  # 200 to its CANCEL, 487 to its INVITE
        # never answered: never published
        time.sleep(harness.PUBLISH_DELAY)
        self.assertEqual(self.nginx.events("publish", "slow-2"), [])

    def test_terminate_while_ringing_declines(self):
        sipp = self.caller("uac-refused.xml", "slow-3", "-set", "codec", str(PCMA_PT))
        call_id = self.find_by_callee("slow-3")["callId"]
        wait_status(self.sipcast, call_id, "RING", 5)
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FAILED", 10)
        call = self.find(call_id)
        self.assertEqual((call["sipStatus"], call["statusInfo"]), (603, "Request terminated"), call)
        self.assert_sipp_passed(sipp)
        self.assertIn("SIP/2.0 603 ", sipp.messages())

    def test_no_route_is_404(self):
        self.refused_with("nobody", 404)

    def test_reject_route(self):
        self.refused_with("blocked-1", 603)

    def test_no_common_codec_is_488(self):
        self.refused_with("studio-c", 488, codec=G729_PT)

    def test_offer_on_ipv6_is_488_with_a_warning(self):
        # RTP on 127.0.0.1 cannot reach c=IN IP6: refused at once, and why
        caller = RawCaller(self.sipcast.sip_port)
        self.addCleanup(caller.close)
        caller.invite("studio-v6", "v6-offer", media_ip="::1")
        status, response = caller.final_response("v6-offer")
        self.assertEqual(status, 488, response)
        self.assertRegex(caller.header(response, "Warning") or "",
                         r'^399 \S+ "Media on IPv6 \(c=IN IP6 ::1\) but sipcast\'s RTP '
                         r'is on IPv4 \(127\.0\.0\.1\)"$', response)
        self.assert_no_call("studio-v6")

    def test_target_in_use_is_486(self):
        first = self.caller("uac-call.xml", "fixed-1")
        call_id = self.find_by_callee("fixed-1")["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        # another callee of the same route: the same publish target
        self.refused_with("fixed-2", 486)
        self.assertEqual(self.find(call_id)["status"], "ESTABLISHED")
        self.terminate(call_id)
        self.assert_sipp_passed(first)

    def test_target_of_a_push_is_486(self):
        # a call published only inside sipcast, pushed to where the
        # "fixed" route publishes
        listener = self.caller("uac-call.xml", "listen-2")
        call_id = self.find_by_callee("listen-2")["callId"]
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        status, push, _ = self.sipcast.rest("/push/startup", {
            "streamName": "heard-caller1", "rtmpUrl": self.nginx.url, "rtmpStream": "fixed"})
        self.assertEqual(status, 200, push)
        self.refused_with("fixed-3", 486)
        self.terminate(call_id)
        self.assert_sipp_passed(listener)

    def test_credentials(self):
        # sipp signs sip:HOST:PORT unless told the Request-URI, which
        # sipcast requires (real phones sign the Request-URI)
        sipp = self.caller("uac-auth-call.xml", "vault7", "-au", "alice", "-ap", "s3cret",
                           "-auth_uri", "vault7@%s:%d" % (LOOPBACK, self.sipcast.sip_port))
        call = self.find_by_callee("vault7")
        wait_status(self.sipcast, call["callId"], "ESTABLISHED", 10)
        self.assertEqual(call["rtmpStream"], "vault7-from-caller1", call)
        self.wait_publishing(call["callId"])
        self.terminate(call["callId"])
        self.assert_sipp_passed(sipp)
        messages = sipp.messages()
        self.assertIn("SIP/2.0 401", messages)
        self.assertIn('realm="sipcast-test"', messages)
        self.assertIn("Authorization: Digest", messages)
        self.assertNotIn("SIP/2.0 403", messages)

    def test_wrong_password_is_403(self):
        sipp = self.caller("uac-auth-call.xml", "secure", "-au", "alice", "-ap", "wrong",
                           "-auth_uri", "secure@%s:%d" % (LOOPBACK, self.sipcast.sip_port))
        self.assert_sipp_passed(sipp)  # the 403 ends its scenario
        messages = sipp.messages()
        self.assertIn("SIP/2.0 401", messages)
        self.assertIn("SIP/2.0 403", messages, self.logs(sipp))
        self.assert_no_call("secure")

    def test_replayed_credentials_are_challenged_again(self):
        # the first call's credentials, sent again in a new call, are
        # refused with a fresh challenge; the first call goes on
        caller = RawCaller(self.sipcast.sip_port)
        self.addCleanup(caller.close)
        caller.invite("vault3", "replay-1")
        status, challenge = caller.final_response("replay-1")
        self.assertEqual(status, 401, challenge)
        nonce = re.search(r'nonce="([^"]+)"', caller.header(challenge, "WWW-Authenticate")).group(1)
        uri = "sip:vault3@%s:%d" % (LOOPBACK, self.sipcast.sip_port)
        response = md5(md5("alice", "sipcast-test", "s3cret"), nonce, "00000001", "c0ffee",
                       "auth", md5("INVITE", uri))
        authorization = ('Digest username="alice", realm="sipcast-test", nonce="%s", uri="%s", '
                         'response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"'
                         % (nonce, uri, response))
        caller.invite("vault3", "replay-2", authorization)
        status, answer = caller.final_response("replay-2")
        self.assertEqual(status, 200, answer)
        call = self.find_by_callee("vault3")
        wait_status(self.sipcast, call["callId"], "ESTABLISHED", 10)

        caller.invite("vault3", "replay-3", authorization)
        status, again = caller.final_response("replay-3")
        self.assertEqual(status, 401, again)
        self.assertIn("stale=true", caller.header(again, "WWW-Authenticate"))
        status, calls, _ = self.sipcast.rest("/call/find", {"callee": "vault3"})
        self.assertEqual([c["callId"] for c in calls if c["status"] not in harness.ENDED],
                         [call["callId"]], calls)
        self.terminate(call["callId"])
        wait_status(self.sipcast, call["callId"], "FINISH", 10)

    def digest(self, nonce, uri, password="s3cret"):
        response = md5(md5("alice", "sipcast-test", password), nonce, "00000001", "c0ffee",
                       "auth", md5("INVITE", uri))
        return ('Digest username="alice", realm="sipcast-test", nonce="%s", uri="%s", '
                'response="%s", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"'
                % (nonce, uri, response))

    def test_wrong_uri_and_guesses_are_refused(self):
        # named to run last in this class: it leaves 127.0.0.1 throttled
        # until its final, right, credentials clear it
        caller = RawCaller(self.sipcast.sip_port)
        self.addCleanup(caller.close)
        caller.invite("vault4", "guess-0")
        status, challenge = caller.final_response("guess-0")
        self.assertEqual(status, 401, challenge)
        nonce = re.search(r'nonce="([^"]+)"', caller.header(challenge, "WWW-Authenticate")).group(1)
        uri = "sip:vault4@%s:%d" % (LOOPBACK, self.sipcast.sip_port)
        # right password, but signed for another Request-URI
        other = "sip:vault5@%s:%d" % (LOOPBACK, self.sipcast.sip_port)
        caller.invite("vault4", "guess-1", self.digest(nonce, other))
        status, answer = caller.final_response("guess-1")
        self.assertEqual(status, 403, answer)
        # guesses: five more wrong passwords, then the right one is not
        # even looked at for a second
        for i in range(2, 7):
            caller.invite("vault4", "guess-%d" % i, self.digest(nonce, uri, "guess%d" % i))
            status, answer = caller.final_response("guess-%d" % i)
            self.assertEqual(status, 403, answer)
        right = self.digest(nonce, uri)
        caller.invite("vault4", "guess-7", right)
        status, answer = caller.final_response("guess-7")
        self.assertEqual(status, 403, answer)
        self.assertIn("wrong credentials too often", self.sipcast.log())
        self.assert_no_call("vault4")
        time.sleep(1.5)
        caller.invite("vault4", "guess-8", right)
        status, answer = caller.final_response("guess-8")
        self.assertEqual(status, 200, answer)
        call = self.find_by_callee("vault4")
        wait_status(self.sipcast, call["callId"], "ESTABLISHED", 10)
        self.terminate(call["callId"])
        wait_status(self.sipcast, call["callId"], "FINISH", 10)

    def test_challenge_unanswered_is_no_call(self):
        sipp = self.refused_with("secure", 401)
        self.assertIn('WWW-Authenticate: Digest realm="sipcast-test"', sipp.messages())


class IncomingLimitsTest(GatewayTestCase):
    """Routes open to anyone: calls per route and per source address are
    limited, and a caller that sends no RTP is hung up early."""

    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        return """\
[sip]
max-incoming-per-source=3

[rtp]
first-rtp-timeout=2

[route open]
callee=open-*
max-calls=2

[route other]
callee=other-*
"""

    def call(self, caller, callee, call_id):
        caller.invite(callee, call_id)
        return caller.final_response(call_id)

    def test_limits_and_early_hang_up(self):
        caller = RawCaller(self.sipcast.sip_port)  # sends no RTP at all
        self.addCleanup(caller.close)
        for call_id in ("lim-1", "lim-2"):
            status, answer = self.call(caller, "open-" + call_id, call_id)
            self.assertEqual(status, 200, answer)
        # the route's own limit
        status, answer = self.call(caller, "open-3", "lim-3")
        self.assertEqual(status, 503, answer)
        self.assertIn("max-calls", self.sipcast.log())
        # another route, but the source's limit
        status, answer = self.call(caller, "other-1", "lim-4")
        self.assertEqual(status, 200, answer)
        status, answer = self.call(caller, "other-2", "lim-5")
        self.assertEqual(status, 503, answer)
        self.assertIn("max-incoming-per-source", self.sipcast.log())
        # no audio ever came: each is hung up within first-rtp-timeout
        for call_id in ("lim-1", "lim-2", "lim-4"):
            wait_status(self.sipcast, call_id, "FAILED", 6)
            status, calls, _ = self.sipcast.rest("/call/find", {"callId": call_id})
            self.assertEqual(calls[0]["statusInfo"], "Failed by RTP activity", calls)
        # which frees the places
        status, answer = self.call(caller, "open-6", "lim-6")
        self.assertEqual(status, 200, answer)
        self.terminate("lim-6")
        wait_status(self.sipcast, "lim-6", "FINISH", 10)


if __name__ == "__main__":
    import unittest
    unittest.main()


class PublicAddressTest(GatewayTestCase):
    """[sip] public-address (sipcast behind NAT) is the host of its
    Contact and the address of its SDP."""

    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        return "[sip]\npublic-address=127.0.0.2\n[route any]\ncallee=*\nto-stream=${callee}\n"

    def test_contact_and_sdp_name_the_public_address(self):
        caller = RawCaller(self.sipcast.sip_port)
        self.addCleanup(caller.close)
        caller.invite("pub-a", "public-address")
        self.addCleanup(self.hang_up, "public-address")
        status, response = caller.final_response("public-address")
        self.assertEqual(status, 200, response)
        self.assertEqual(caller.header(response, "Contact"),
                         "<sip:pub-a@127.0.0.2:%d>" % self.sipcast.sip_port, response)
        self.assertIn("\r\nc=IN IP4 127.0.0.2\r\n", response)
        wait_status(self.sipcast, "public-address", "ESTABLISHED", 10)


class Ipv6Sipcast(harness.Sipcast):
    SIP_LINE = re.compile(r"SIP listening on udp ::1:(\d+)")


class Ipv6IncomingTest(GatewayTestCase):
    """sipcast on ::1: SIP, its Contact, SDP and RTP all on IPv6; an offer
    on IPv4, which its RTP sockets cannot reach, gets 488 and why."""

    @classmethod
    def setUpClass(cls):
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
                probe.bind(("::1", 0))
        except OSError as error:
            raise unittest.SkipTest("no IPv6 loopback (::1): %s" % error)
        cls.nginx = harness.Nginx()
        cls.addClassCleanup(cls.nginx.close)
        cls.sipcast = Ipv6Sipcast(("--sip-address=::1",), """\
[route v6]
callee=v6-*
rtmp-url=%s
rtmp-stream=${callee}
""" % cls.nginx.url)
        cls.addClassCleanup(cls.sipcast.close)

    def setUp(self):
        self.sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.sock.bind(("::1", 0))
        self.sock.settimeout(5)
        self.addCleanup(self.sock.close)
        self.port = self.sock.getsockname()[1]
        self.rtp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        self.rtp.bind(("::1", 0))
        self.addCleanup(self.rtp.close)

    def send(self, lines, body=""):
        text = "\r\n".join(lines + ["Content-Length: %d" % len(body), "", body])
        self.sock.sendto(text.encode(), ("::1", self.sipcast.sip_port))

    def request(self, method, uri, callee, call_id, cseq, to_tag="", body=""):
        self.send(["%s %s SIP/2.0" % (method, uri),
                   "Via: SIP/2.0/UDP [::1]:%d;branch=z9hG4bK-v6-%s-%d" % (self.port, method, cseq),
                   "From: <sip:caller6@[::1]:%d>;tag=v6" % self.port,
                   "To: <sip:%s@[::1]:%d>%s" % (callee, self.sipcast.sip_port, to_tag),
                   "Call-ID: %s" % call_id, "CSeq: %d %s" % (cseq, method),
                   "Contact: <sip:caller6@[::1]:%d>" % self.port, "Max-Forwards: 70"]
                  + (["Content-Type: application/sdp"] if body else []), body)

    def final_response(self, call_id):
        while True:
            message = self.sock.recv(65536).decode()
            status = int(message.split()[1]) if message.startswith("SIP/2.0 ") else 0
            if status >= 200 and RawCaller.header(message, "Call-ID") == call_id:
                return status, message

    def invite(self, callee, call_id, family, address):
        sdp = ("v=0\r\no=caller6 1 1 IN {f} {a}\r\ns=-\r\nc=IN {f} {a}\r\nt=0 0\r\n"
               "m=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n").format(
                   f=family, a=address, port=self.rtp.getsockname()[1])
        uri = "sip:%s@[::1]:%d" % (callee, self.sipcast.sip_port)
        self.request("INVITE", uri, callee, call_id, 1, body=sdp)
        return self.final_response(call_id)

    def test_call_over_ipv6(self):
        status, response = self.invite("v6-a", "v6-call", "IP6", "::1")
        self.assertEqual(status, 200, response)
        contact = RawCaller.header(response, "Contact")
        self.assertEqual(contact, "<sip:v6-a@[::1]:%d>" % self.sipcast.sip_port, response)
        media = re.search(r"c=IN IP6 ::1\r\n(?:.*\r\n)*?m=audio (\d+) ", response)
        self.assertIsNotNone(media, response)
        to_tag = re.search(r";tag=[^;>\s]+", RawCaller.header(response, "To")).group(0)
        # the ACK and the BYE go where the Contact says
        target = contact.strip("<>")
        self.request("ACK", target, "v6-a", "v6-call", 1, to_tag)
        wait_status(self.sipcast, "v6-call", "ESTABLISHED", 10)
        tone = ToneSender(self.rtp, int(media.group(1)), host="::1")
        self.addCleanup(tone.stop)
        self.wait_publishing("v6-call")
        time.sleep(1.5)
        tone.stop()
        self.request("BYE", target, "v6-a", "v6-call", 2, to_tag)
        self.assertEqual(self.final_response("v6-call")[0], 200)
        wait_status(self.sipcast, "v6-call", "FINISH", 10)
        self.assert_tone_flv(self.nginx.recorded("v6-a"), 0.5, 30)

    def test_ipv4_offer_is_488_with_a_warning(self):
        status, response = self.invite("v6-b", "v4-offer", "IP4", LOOPBACK)
        self.assertEqual(status, 488, response)
        self.assertRegex(RawCaller.header(response, "Warning") or "",
                         r'^399 \S+ "Media on IPv4 \(c=IN IP4 127\.0\.0\.1\) but '
                         r'sipcast\'s RTP is on IPv6 \(::1\)"$', response)
        self.send(["ACK sip:v6-b@[::1]:%d SIP/2.0" % self.sipcast.sip_port,
                   RawCaller.header(response, "Via") and "Via: " + RawCaller.header(response, "Via"),
                   "From: " + RawCaller.header(response, "From"),
                   "To: " + RawCaller.header(response, "To"),
                   "Call-ID: v4-offer", "CSeq: 1 ACK", "Max-Forwards: 70"])

"""Media end to end: every SIP codec in, AAC (or G.711) and H.264 out.

sipp answers with the codec under test (tests/sip/uas-answer-media.xml.in,
filled in per test) and plays the captures of tests/media; video comes
from a GStreamer sender the scenario starts. ffprobe/ffmpeg read back
what nginx-rtmp recorded: codecs, sizes, the 440 Hz tone, pictures that
are not blank.
"""

import json
import os
import re
import struct
import subprocess
import time
import unittest

import harness
from gateway import GatewayTestCase, UdpListener
from harness import wait_for, wait_status

MEDIA = "../media/"
TEMPLATE = harness.SIP_DIR / "uas-answer-media.xml.in"

AUDIO = {
    # name: (payload type, rtpmap, capture, audioCodec)
    "opus": (96, "opus/48000/2", "opus-440hz-3s.pcap", "OPUS/48000"),
    "g722": (9, "G722/8000", "g722-440hz-3s.pcap", "G722/8000"),
    "pcmu": (0, "PCMU/8000", "pcmu-440hz-5s.pcap", "PCMU/8000"),
    "pcma": (8, "PCMA/8000", "pcma-440hz-5s.pcap", "PCMA/8000"),
}

VIDEO = {
    # name: (answer lines after m=video, capture, videoCodec); the payload
    # type is the capture's
    "h264-pm1": (["a=rtpmap:96 H264/90000",
                  "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1"],
                 "h264-pm1-3s.pcap", "H264/90000"),
    "h264-pm0": (["a=rtpmap:97 H264/90000",
                  "a=fmtp:97 profile-level-id=42e01f;packetization-mode=0"],
                 "h264-pm0-3s.pcap", "H264/90000"),
    "vp8": (["a=rtpmap:98 VP8/90000"], "vp8-3s.pcap", "VP8/90000"),
}


def video_sender(capture):
    """The exec action sending a video capture (of tests/media, or a path)
    to the offer's video port."""
    location = capture if capture.startswith("/") else MEDIA + capture
    return ('<exec command="gst-launch-1.0 -q filesrc location=%s ! pcapparse dst-port=47002'
            ' ! udpsink host=127.0.0.1 port=[$video_port]"/>' % location)


def drop_packets(capture, seqs, path):
    """A copy of a tests/media capture without the RTP packets of @seqs."""
    data = (harness.SIP_DIR / MEDIA / capture).read_bytes()
    out, offset = [data[:24]], 24
    while offset < len(data):
        caplen = struct.unpack("<I", data[offset + 8:offset + 12])[0]
        record = data[offset:offset + 16 + caplen]
        offset += 16 + caplen
        seq = struct.unpack("!H", record[16 + 42 + 2:16 + 42 + 4])[0]
        if seq not in seqs:
            out.append(record)
    path.write_bytes(b"".join(out))
    return str(path)


def video_frames(path, timeout=60):
    """[(pts, width, height, mean, spread)] of every decoded picture."""
    probe = harness._run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                          "-show_entries", "frame=pts_time,width,height",
                          "-of", "json", path], timeout)
    frames = json.loads(probe.stdout or "{}").get("frames", [])
    result = []
    for frame in frames:
        result.append((float(frame.get("pts_time", "nan")), frame["width"], frame["height"]))
    return result


def grey_frames(path, size=(160, 120), timeout=60):
    """Each picture scaled to size, as bytes of grey (for blank checks)."""
    width, height = size
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
                             "-i", str(path), "-map", "0:v:0", "-vsync", "passthrough",
                             "-vf", "scale=%d:%d" % size, "-pix_fmt", "gray",
                             "-f", "rawvideo", "-"],
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    data = result.stdout
    n = width * height
    return [data[i:i + n] for i in range(0, len(data) - n + 1, n)]


def spread(picture):
    mean = sum(picture) / len(picture)
    return (sum((p - mean) ** 2 for p in picture[::5]) / len(picture[::5])) ** 0.5


def key_frame_times(path, timeout=30):
    result = harness._run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                           "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0",
                           path], timeout)
    times = []
    for line in result.stdout.split():
        pts, flags = line.split(",")[:2]
        if "K" in flags:
            times.append(float(pts))
    return times


class MediaTestCase(GatewayTestCase):

    def media_sipp(self, name, audio="pcmu", video_lines=None, on_ack=(), audio_pcap=True,
                   args=(), timeout=60):
        """A far end answering with AUDIO[audio] and, when video_lines is
        given, a video line; on_ack: more exec actions after the ACK;
        timeout: seconds sipp may run."""
        pt, rtpmap, capture, _ = AUDIO[audio]
        if video_lines is None:
            video_sdp = "m=video 0 RTP/AVP 96"
        else:
            port = harness.free_udp_port_pair()
            video_pt = re.match(r"a=rtpmap:(\d+)", video_lines[0]).group(1)
            video_sdp = "\n".join(["m=video %d RTP/AVP %s" % (port, video_pt)] + video_lines)
        actions = []
        if audio_pcap:
            actions.append('<exec play_pcap_audio="%s%s"/>' % (MEDIA, capture))
        actions.extend(on_ack)
        text = (TEMPLATE.read_text()
                .replace("@AUDIO_PT@", str(pt)).replace("@AUDIO_RTPMAP@", rtpmap)
                .replace("@VIDEO_SDP@", video_sdp)
                .replace("@ON_ACK@", "\n".join(actions)))
        path = harness.run_dir() / ("uas-%s.xml" % name)
        path.write_text(text)
        sipp = harness.Sipp(str(path), args=args, timeout=timeout)
        self.addCleanup(sipp.close)
        return sipp

    def publish(self, call_id, sipp, seconds, **fields):
        """Calls sipp, publishes for about @seconds, hangs up: (the call
        as it was before the hang-up, the recording)."""
        self.start_call(call_id, sipp, rtmpUrl=self.nginx.url, rtmpStream=call_id, **fields)
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        self.wait_publishing(call_id)
        time.sleep(seconds)
        call = self.find(call_id)
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)
        return call, self.nginx.recorded(call_id)

    def stream_kinds(self, path):
        probe = harness.ffprobe_streams(path)
        return {s["codec_type"]: s for s in probe["streams"]}

    def assert_pictures(self, path, sizes, min_frames):
        """The video decodes: at least min_frames pictures, none blank,
        every one of a size in sizes, each size there."""
        frames = video_frames(path)
        self.assertGreaterEqual(len(frames), min_frames, frames[:5])
        seen = {(w, h) for _, w, h in frames}
        self.assertEqual(seen, set(sizes), "picture sizes in %s" % path)
        pictures = grey_frames(path)
        self.assertGreaterEqual(len(pictures), min_frames)
        # a blank picture is one flat colour (the ball is small at 640x480,
        # so spread alone would not do); the first one must have content
        blank = [i for i, p in enumerate(pictures) if max(p) - min(p) < 32]
        self.assertGreater(spread(pictures[0]), 20, "first picture of %s" % path)
        self.assertEqual(blank, [], "blank pictures in %s" % path)


class AudioCodecTest(MediaTestCase):
    """Each SIP audio codec published as AAC-LC 44.1 kHz mono with the tone."""

    def check_codec(self, name):
        sipp = self.media_sipp("audio-" + name, audio=name)
        call, path = self.publish("a-" + name, sipp, 3.2)
        self.assertEqual(call["audioCodec"], AUDIO[name][3], call)
        self.assertIsNone(call["videoCodec"], call)
        self.assertIsNone(call["width"], call)
        self.assertIsNone(call["height"], call)
        self.assertEqual(call["dtmfReceived"], "", call)
        audio = self.stream_kinds(path)["audio"]
        self.assertEqual((audio["codec_name"], audio["profile"], int(audio["sample_rate"]),
                          audio["channels"]), ("aac", "LC", 44100, 1), audio)
        self.assert_tone_flv(path, 2.5, 5.5)

    def test_opus(self):
        self.check_codec("opus")

    def test_g722(self):
        self.check_codec("g722")

    def test_pcmu(self):
        self.check_codec("pcmu")

    def test_pcma(self):
        self.check_codec("pcma")

    def test_offer_order(self):
        sipp = self.media_sipp("offer-order")
        self.start_call("offer", sipp)
        wait_status(self.sipcast, "offer", "ESTABLISHED", 10)
        self.terminate("offer")
        self.assert_sipp_passed(sipp)
        invite = sipp.messages().split("INVITE sip:")[1]
        audio = re.search(r"m=audio \d+ RTP/AVP ([\d ]+)", invite).group(1).split()
        self.assertEqual(audio, ["96", "9", "0", "8", "13", "101"], invite)
        self.assertIn("a=rtpmap:13 CN/8000", invite)
        video = re.search(r"m=video (\d+) RTP/AVP ([\d ]+)", invite)
        self.assertEqual(video.group(2).split(), ["96", "97", "98"], invite)
        self.assertIn("a=recvonly", invite.split("m=video")[1])  # hasVideo false
        for line in ["a=fmtp:96 profile-level-id=42e01f;packetization-mode=1",
                     "a=fmtp:97 profile-level-id=42e01f;packetization-mode=0",
                     "a=rtpmap:98 VP8/90000", "a=rtcp-fb:96 nack pli", "a=rtcp-fb:98 ccm fir"]:
            self.assertIn(line, invite)
        audio_port = int(re.search(r"m=audio (\d+)", invite).group(1))
        self.assertNotIn(int(video.group(1)), (audio_port, audio_port + 1))

    def test_dtmf_received(self):
        sipp = self.media_sipp("dtmf", audio="pcmu", audio_pcap=False,
                               on_ack=['<exec play_pcap_audio="%spcmu-dtmf-3s.pcap"/>' % MEDIA])
        self.start_call("dtmf", sipp)
        wait_status(self.sipcast, "dtmf", "ESTABLISHED", 10)
        call = wait_for(lambda: (lambda c: c if c["dtmfReceived"] == "1#9" else None)(
            self.find("dtmf")), 10, message=lambda: "%s\n%s" % (self.find("dtmf"), self.logs(sipp)))
        keys = list(call)
        self.assertEqual(keys[-1], "dtmfReceived", keys)
        self.terminate("dtmf")
        self.assert_sipp_passed(sipp)
        log = self.sipcast.log()
        self.assertEqual(re.findall(r"call dtmf: DTMF (.) received", log), ["1", "#", "9"])


class AacSettingsTest(MediaTestCase):
    """[media] aac-rate / aac-channels / aac-bitrate are what is published."""

    @classmethod
    def sipcast_config(cls):
        return "[media]\naac-rate=48000\naac-channels=2\naac-bitrate=96000\n"

    def test_configured_aac(self):
        sipp = self.media_sipp("aac-settings", audio="pcma")
        _, path = self.publish("aacset", sipp, 3.5)
        audio = self.stream_kinds(path)["audio"]
        self.assertEqual((audio["codec_name"], int(audio["sample_rate"]), audio["channels"]),
                         ("aac", 48000, 2), audio)
        packets = harness._run(["ffprobe", "-v", "error", "-select_streams", "a:0",
                                "-show_entries", "packet=size", "-of", "csv=p=0", path], 30)
        total = sum(int(x.split(",")[0]) for x in packets.stdout.split())
        bitrate = total * 8 / harness.audio_duration(path)
        self.assertTrue(70000 < bitrate < 120000, "%.0f bit/s, configured 96000" % bitrate)
        self.assert_tone_flv_any(path)

    def assert_tone_flv_any(self, path):
        self.assertAlmostEqual(harness.tone_frequency(path), 440, delta=440 * 0.03)


class ProfileTest(MediaTestCase):
    """[rtmp] profile=youtube: the AAC YouTube asks for, whatever [media] says."""

    @classmethod
    def sipcast_config(cls):
        return "[media]\naac-rate=16000\n[rtmp]\nprofile=youtube\n"

    def test_youtube_audio(self):
        sipp = self.media_sipp("profile-youtube", audio="pcma")
        _, path = self.publish("yt", sipp, 3)
        audio = self.stream_kinds(path)["audio"]
        self.assertEqual((audio["codec_name"], audio["profile"], int(audio["sample_rate"]),
                          audio["channels"]), ("aac", "LC", 48000, 2), audio)
        self.assertAlmostEqual(harness.tone_frequency(path), 440, delta=440 * 0.03)


class CopyAudioTest(MediaTestCase):
    """[media] rtmp-audio=copy: G.711 into FLV untouched, others still AAC."""

    @classmethod
    def sipcast_config(cls):
        return "[media]\nrtmp-audio=copy\n"

    def check_copy(self, name, codec_name):
        sipp = self.media_sipp("copy-" + name, audio=name)
        _, path = self.publish("copy-" + name, sipp, 3.5)
        audio = self.stream_kinds(path)["audio"]
        self.assertEqual((audio["codec_name"], int(audio["sample_rate"]), audio["channels"]),
                         (codec_name, 8000, 1), audio)
        self.assertGreater(harness.mean_volume(path), -30)
        self.assertAlmostEqual(harness.tone_frequency(path), 440, delta=440 * 0.03)
        return path

    def test_pcma_copied(self):
        path = self.check_copy("pcma", "pcm_alaw")
        # unchanged: the A-law bytes in the FLV are those of the capture
        capture = (harness.SIP_DIR / MEDIA / "pcma-440hz-5s.pcap").read_bytes()
        flv = path.read_bytes()
        # pcap: a 24-byte header, then per packet 16 + 54 (Ethernet, IPv4,
        # UDP, RTP headers) + 160 bytes of A-law
        payloads = [capture[24 + k * 230 + 70:24 + k * 230 + 230] for k in range(250)]
        self.assertEqual(len(payloads[-1]), 160)
        found = sum(1 for payload in payloads if payload in flv)
        self.assertGreater(found, 100, "the capture's A-law payloads are not in the FLV")

    def test_pcmu_copied(self):
        self.check_copy("pcmu", "pcm_mulaw")

    def test_opus_falls_back_to_aac(self):
        sipp = self.media_sipp("copy-opus", audio="opus")
        _, path = self.publish("copy-opus", sipp, 3)
        self.assertEqual(self.stream_kinds(path)["audio"]["codec_name"], "aac")
        self.assertIn("rtmp-audio=copy, but FLV cannot carry OPUS: publishing AAC",
                      self.sipcast.log())


class VideoTest(MediaTestCase):
    """H.264 passed through, VP8 transcoded, sizes and key frames."""

    @classmethod
    def sipcast_config(cls):
        return "[media]\nvideo-encoder-preset=ultrafast\nvideo-bitrate=300\n"

    def check_video(self, name, audio, sizes=((320, 240),), capture=None):
        lines, default_capture, video_codec = VIDEO[name.split("/")[0]]
        capture = capture or default_capture
        sipp = self.media_sipp("video-" + name.replace("/", "-"), audio=audio, video_lines=lines,
                               on_ack=[video_sender(capture)])
        call_id = "v-" + name.replace("/", "-")
        call, path = self.publish(call_id, sipp, 3.2, hasVideo="true")
        self.assertEqual((call["videoCodec"], call["width"], call["height"]),
                         (video_codec,) + tuple(sizes[-1]), call)
        self.assertEqual(call["audioCodec"], AUDIO[audio][3], call)
        kinds = self.stream_kinds(path)
        self.assertEqual(kinds["video"]["codec_name"], "h264", kinds)
        self.assertEqual(kinds["audio"]["codec_name"], "aac", kinds)
        self.assert_pictures(path, sizes, 50)
        self.assertAlmostEqual(harness.tone_frequency(path), 440, delta=440 * 0.03)
        return call, path

    def test_h264_mode1_passed_through(self):
        _, path = self.check_video("h264-pm1", "opus")
        # not re-encoded: the capture's key frames, one every 25 frames
        # (1 s, give or take the jitter buffer's arrival-time stamping)
        keys = key_frame_times(path)
        gaps = [b - a for a, b in zip(keys, keys[1:])]
        self.assertTrue(gaps and all(0.5 < g < 1.5 for g in gaps), keys)

    def test_h264_mode0(self):
        self.check_video("h264-pm0", "g722")

    def test_vp8_transcoded(self):
        _, path = self.check_video("vp8", "pcmu")
        # a key frame at least every 2 s, though x264's own interval is 250
        keys = key_frame_times(path)
        self.assertGreaterEqual(len(keys), 2, keys)
        self.assertTrue(all(b - a <= 2.1 for a, b in zip(keys, keys[1:])), keys)

    def test_vp8_resolution_change(self):
        self.check_video("vp8/reschange", "pcma", sizes=((320, 240), (640, 480)),
                         capture="vp8-reschange-3s.pcap")

    def test_h264_resolution_change(self):
        self.check_video("h264-pm1/reschange", "pcma", sizes=((320, 240), (640, 480)),
                         capture="h264-reschange-3s.pcap")

    def test_video_accepted_but_never_sent(self):
        # the muxer has a video pad that never gets a buffer: the audio
        # must be published all the same
        sipp = self.media_sipp("no-video-sent", audio="pcma", video_lines=VIDEO["vp8"][0])
        call, path = self.publish("novideo", sipp, 3.2)
        self.assertEqual((call["videoCodec"], call["width"]), ("VP8/90000", None), call)
        self.assert_tone_flv_with_video_header(path)

    def assert_tone_flv_with_video_header(self, path):
        duration = harness.audio_duration(path)
        self.assertTrue(2.5 <= duration <= 5.5, duration)
        self.assertAlmostEqual(harness.tone_frequency(path), 440, delta=440 * 0.03)

    def test_find_all_video_codec(self):
        lines, capture, _ = VIDEO["vp8"]
        sipp = self.media_sipp("find-all", video_lines=lines, on_ack=[video_sender(capture)])
        self.start_call("fa", sipp, rtmpUrl=self.nginx.url, rtmpStream="fa")
        wait_status(self.sipcast, "fa", "ESTABLISHED", 10)
        status, streams, _ = self.sipcast.rest("/stream/find_all", {})
        self.assertEqual(status, 200, streams)
        stream = [s for s in streams if s["callId"] == "fa"][0]
        self.assertEqual((stream["audioCodec"], stream["videoCodec"]),
                         ("PCMU/8000", "VP8/90000"), stream)
        self.terminate("fa")
        self.assert_sipp_passed(sipp)

    def test_reinvite_keeps_video(self):
        # 0.8 s into a call receiving H.264 the far end refreshes the
        # session and moves its video (tests/sip/uas-video-reinvite.xml):
        # the video line stays accepted, H.264 stays though VP8 is
        # re-offered first, our video RTCP follows the move, and the video
        # is published to the end of the call
        old_rtcp, new_rtcp = RtcpRecorder(), RtcpRecorder()
        self.addCleanup(old_rtcp.close)
        self.addCleanup(new_rtcp.close)
        # one P frame lost 1.48 s into the capture: the PLI it causes goes
        # out after the re-INVITE
        lossy = drop_packets("h264-pm1-3s.pcap", {40}, harness.run_dir() / "h264-reinvite.pcap")
        sipp = harness.Sipp("uas-video-reinvite.xml", args=(
            "-set", "capture", lossy,
            "-set", "video1", str(harness.free_udp_port_pair()), "-set", "rtcp1", str(old_rtcp.port),
            "-set", "video2", str(harness.free_udp_port_pair()), "-set", "rtcp2", str(new_rtcp.port)))
        self.addCleanup(sipp.close)
        call, path = self.publish("v-reinvite", sipp, 3.2)
        self.assertEqual((call["status"], call["videoCodec"], call["width"], call["height"]),
                         ("ESTABLISHED", "H264/90000", 320, 240), call)

        messages = re.split(r"^-{20,}.*$", sipp.messages(), flags=re.M)
        offer = [m for m in messages if "message received" in m and "INVITE sip:" in m][0]
        answer = [m for m in messages if "message received" in m and "SIP/2.0 200" in m
                  and "o=sipcast" in m][0]
        our_port = re.search(r"(?m)^m=video (\d+) ", offer).group(1)
        video = answer[answer.index("m=video"):]
        self.assertRegex(video, r"^m=video %s RTP/AVP 96\s" % our_port, answer)
        self.assertRegex(video, r"(?m)^a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\s*$")
        self.assertRegex(video, r"(?m)^a=rtcp-fb:96 nack pli\s*$")
        # hasVideo=false: we receive only
        self.assertRegex(video, r"(?m)^a=recvonly\s*$")

        self.assertTrue([f for f in new_rtcp.feedback if f[2] == H264_PM1_SSRC],
                        "no PLI at the moved RTCP port (old one got %s)" % old_rtcp.feedback)
        # the 3 s capture, re-INVITEd 0.8 s in: pictures from well after it
        frames = video_frames(path)
        self.assertGreaterEqual(len(frames), 50, frames[:5])
        self.assertGreater(frames[-1][0] - frames[0][0], 2.2, (frames[0], frames[-1]))


class DotTest(MediaTestCase):
    """GST_DEBUG_DUMP_DOT_DIR gets the call's graph at start and when active."""

    @classmethod
    def setUpClass(cls):
        cls.dot_dir = harness.run_dir() / "dots"
        cls.dot_dir.mkdir(exist_ok=True)
        os.environ["GST_DEBUG_DUMP_DOT_DIR"] = str(cls.dot_dir)
        try:
            super().setUpClass()
        finally:
            del os.environ["GST_DEBUG_DUMP_DOT_DIR"]

    def test_graphs(self):
        lines, capture, _ = VIDEO["h264-pm1"]
        sipp = self.media_sipp("dot", video_lines=lines, on_ack=[video_sender(capture)])
        self.publish("dot", sipp, 1)
        start = (self.dot_dir / "sipcast-dot-start.dot").read_text()
        active = (self.dot_dir / "sipcast-dot-active.dot").read_text()
        for name in ["audio_chain", "audio_aac", "video_chain", "rtpbin", "tail"]:
            self.assertIn(name, start)
            self.assertIn(name, active)
        # by the time it is active, rtpbin has linked both chains
        self.assertIn("recv_rtp_src_1_", active)


class RtcpRecorder(UdpListener):
    """Stands for the far end's video RTCP port: keeps every RTCP
    payload-specific feedback packet (PT 206) sipcast sends."""

    def __init__(self):
        self.feedback = []  # (monotonic time, FMT, media SSRC)
        super().__init__()

    def handle(self, data):
        offset = 0
        while offset + 4 <= len(data):  # a compound packet
            fmt, pt = data[offset] & 0x1F, data[offset + 1]
            length = (struct.unpack("!H", data[offset + 2:offset + 4])[0] + 1) * 4
            if pt == 206 and offset + 12 <= len(data):
                ssrc = struct.unpack("!I", data[offset + 8:offset + 12])[0]
                if fmt == 4 and offset + 16 <= len(data):  # FIR: SSRC in the FCI
                    ssrc = struct.unpack("!I", data[offset + 12:offset + 16])[0]
                self.feedback.append((time.monotonic(), fmt, ssrc))
            offset += length


H264_PM1_SSRC = 1748251697


class KeyFrameRequestTest(MediaTestCase):
    """PLI or FIR toward the far end when the RTMP stream starts."""

    def check_request(self, name, feedback, expected_fmt, capture="h264-pm1-3s.pcap"):
        rtcp = RtcpRecorder()
        self.addCleanup(rtcp.close)
        lines = VIDEO["h264-pm1"][0] + feedback + ["a=rtcp:%d" % rtcp.port]
        sipp = self.media_sipp(name, video_lines=lines, on_ack=[video_sender(capture)])
        self.start_call(name, sipp, rtmpUrl=self.nginx.url, rtmpStream=name, hasVideo="true")
        wait_status(self.sipcast, name, "ESTABLISHED", 10)
        self.wait_publishing(name)
        active = time.monotonic()
        wait_for(lambda: rtcp.feedback, 5,
                 message=lambda: "no PLI/FIR\n" + self.logs(sipp))
        when, fmt, ssrc = rtcp.feedback[0]
        time.sleep(3)  # the rest of the capture
        self.terminate(name)
        self.assert_sipp_passed(sipp)
        self.assertEqual(fmt, expected_fmt, rtcp.feedback)
        self.assertEqual({f for _, f, _ in rtcp.feedback}, {expected_fmt}, rtcp.feedback)
        self.assertEqual(ssrc, H264_PM1_SSRC)
        # the request is sent when the stream becomes active, not seconds later
        self.assertLess(when - active, 1.0, rtcp.feedback)
        return [t - active for t, _, _ in rtcp.feedback]

    def test_pli(self):
        # when the video starts and when the RTMP stream becomes active;
        # nothing later without loss
        times = self.check_request("pli", ["a=rtcp-fb:96 nack pli"], 1)
        self.assertEqual(self.after_loss(times), [], "PLIs at %s s after ACTIVE" % times)

    def test_pli_on_loss(self):
        # one P frame (1.48 s into the capture) lost: the depayloader asks
        # for a key frame rather than pass on a broken picture
        lossy = drop_packets("h264-pm1-3s.pcap", {40}, harness.run_dir() / "h264-lossy.pcap")
        times = self.check_request("pliloss", ["a=rtcp-fb:96 nack pli"], 1, capture=lossy)
        self.assertEqual(len(self.after_loss(times)), 1, "PLIs at %s s after ACTIVE" % times)

    @staticmethod
    def after_loss(times):
        """The requests that neither the start of the video (the first one,
        with the capture's first packet) nor ACTIVE (time 0) explains: the
        lost packet is 1.48 s into the capture."""
        return [t for t in times if t - times[0] > 1.3 and t > 0.3]

    def test_fir_when_only_fir_offered(self):
        self.check_request("fir", ["a=rtcp-fb:96 ccm fir"], 4)

    def test_nothing_when_no_feedback_offered(self):
        rtcp = RtcpRecorder()
        self.addCleanup(rtcp.close)
        lines = VIDEO["h264-pm1"][0] + ["a=rtcp:%d" % rtcp.port]
        sipp = self.media_sipp("nofb", video_lines=lines,
                               on_ack=[video_sender("h264-pm1-3s.pcap")])
        self.start_call("nofb", sipp, rtmpUrl=self.nginx.url, rtmpStream="nofb")
        wait_status(self.sipcast, "nofb", "ESTABLISHED", 10)
        self.wait_publishing("nofb")
        time.sleep(2)
        self.terminate("nofb")
        self.assert_sipp_passed(sipp)
        self.assertEqual(rtcp.feedback, [])


# The far end of the sync test: one GStreamer sender with audio and video
# in one rtpbin (one CNAME), sending RTCP sender reports at the usual
# interval, as a phone does (the first ones after about 1 to 3 s, so the
# gateway publishes unsynchronised until then and must correct the running
# stream), with the NTP time of capture, as a phone's camera and
# microphone stamp them.  A tick every second in the audio; a picture a
# second, black and white in turn (blink: black first), so the picture
# turns white at 1, 3, 5... s, with a tick; compositor repeats each at
# 25 fps.  (Not videorate: it takes the input frame nearest to each output
# time, so the white would start half a second early.)  The pictures come
# from a source that is not live: a live one at 1 fps would add a second of
# latency to the whole sender, and a real phone's reports are not a second
# ahead of its packets (rtpjitterbuffer discards such reports).  The
# udpsinks pace both.  The video packets leave 300 ms late (udpsink
# ts-offset), as a far end with a slow video path would send them: only the
# sender reports can put the two back in step.  sipp runs the command with
# /bin/sh, which does the port + 1.  rtpbin's RTCP branches never reach EOS,
# so gst-launch would not end by itself when the media does: timeout ends it.
SYNC_SENDER = (
    "a=[$audio_port]; v=[$video_port]; timeout {timeout} gst-launch-1.0 -q rtpbin name=b "
    "rtcp-sync-send-time=false "
    "audiotestsrc is-live=true wave=ticks tick-interval=1000000000 volume=0.8 "
    "samplesperbuffer=160 num-buffers={audio_buffers} ! audio/x-raw,rate=8000,channels=1 "
    "! mulawenc ! rtppcmupay pt=0 ! b.send_rtp_sink_0 "
    "b.send_rtp_src_0 ! udpsink host=127.0.0.1 port=$a "
    "b.send_rtcp_src_0 ! udpsink host=127.0.0.1 port=$((a+1)) sync=false async=false "
    "videotestsrc pattern=blink num-buffers={pictures} "
    "! video/x-raw,width=320,height=240,framerate=1/1 ! compositor "
    "! video/x-raw,framerate=25/1 ! x264enc tune=zerolatency speed-preset=ultrafast "
    "key-int-max=25 ! rtph264pay pt=96 config-interval=1 ! b.send_rtp_sink_1 "
    "b.send_rtp_src_1 ! udpsink host=127.0.0.1 port=$v ts-offset={video_delay} "
    "b.send_rtcp_src_1 ! udpsink host=127.0.0.1 port=$((v+1)) sync=false async=false")
VIDEO_DELAY = 300000000


def sync_sender(seconds, video_delay=VIDEO_DELAY):
    """The sender's command line for a call of about @seconds."""
    return SYNC_SENDER.format(timeout=seconds + 15, audio_buffers=(seconds + 2) * 50,
                              pictures=seconds + 3, video_delay=video_delay)


# Both streams have had a sender report by then (and the audio has been
# held back by the video's delay); events from here on are measured.
SYNC_SETTLED = 5.0


def tick_onsets(path, rate=8000):
    """Seconds (FLV time) at which a tick starts in the audio."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
                             "-map", "0:a:0", "-af", "aresample=async=1:first_pts=0",
                             "-ac", "1", "-ar", str(rate), "-f", "s16le", "-"],
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    samples = struct.unpack("<%dh" % (len(result.stdout) // 2),
                            result.stdout[:len(result.stdout) // 2 * 2])
    threshold = max(abs(s) for s in samples) * 0.3
    onsets, quiet_since = [], 0
    for i, sample in enumerate(samples):
        if abs(sample) > threshold:
            if i - quiet_since > 0.3 * rate:
                onsets.append(i / rate)
            quiet_since = i
    return onsets


def white_onsets(path):
    """Seconds (FLV time) of the first white picture of each white spell."""
    times = [pts for pts, _, _ in video_frames(path)]
    pictures = grey_frames(path, size=(32, 24))
    onsets = []
    for i in range(1, min(len(times), len(pictures))):
        bright = sum(pictures[i]) / len(pictures[i]) > 128
        was_bright = sum(pictures[i - 1]) / len(pictures[i - 1]) > 128
        if bright and not was_bright:
            onsets.append(times[i])
    return onsets


class SyncTest(MediaTestCase):
    """Audio and video stay in step through RTCP sender reports, from the
    first reports to the end of the call."""

    # how long the call publishes
    SECONDS = 20

    @classmethod
    def sipcast_config(cls):
        # G.711 as it is: no encoder delay between the RTP and the FLV, so
        # what is measured is the gateway's timing alone
        return "[media]\nrtmp-audio=copy\n"

    def test_lip_sync(self):
        seconds = self.SECONDS
        sender = sync_sender(seconds, int(os.environ.get("SYNC_DELAY", VIDEO_DELAY)))
        sipp = self.media_sipp("sync", audio="pcmu", audio_pcap=False,
                               video_lines=VIDEO["h264-pm1"][0],
                               on_ack=['<exec command="%s"/>' % sender],
                               timeout=seconds + 60)
        _, path = self.publish("sync", sipp, seconds)
        ticks = tick_onsets(path)
        whites = [t for t in white_onsets(path) if t > SYNC_SETTLED]
        self.assertGreaterEqual(len(ticks), seconds - 1, ticks)
        self.assertGreaterEqual(len(whites), (seconds - SYNC_SETTLED) // 2 - 1,
                                white_onsets(path))
        # the last white picture is near the end of the call
        self.assertGreater(whites[-1], seconds - 3, whites)
        skews = [w - min(ticks, key=lambda t: abs(t - w)) for w in whites]
        print("A/V skew after the sender reports (video - audio, ms): %s; ticks at %s s"
              % (", ".join("%+.0f" % (1000 * s) for s in skews),
                 ", ".join("%.3f" % t for t in ticks)))
        self.assertTrue(all(abs(s) <= 0.040 for s in skews),
                        "skews %s; ticks %s; white %s" % (skews, ticks, whites))


class AacSyncTest(SyncTest):
    """The same with the audio encoded as AAC (the default), for a minute:
    the skew must not grow."""

    SECONDS = 60

    @classmethod
    def sipcast_config(cls):
        return None

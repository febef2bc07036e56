"""A picture for audio-only calls (issue 11, item 3).

Live platforms refuse streams without video: placeholderVideo (or
[media] / [route] placeholder-video) publishes a card (caller, callee, a
live audio level) or an image of [media] placeholder-dir as H.264 beside
the call's AAC.  sipp answers audio only (or with video that starts late),
nginx-rtmp records, ffprobe/ffmpeg read back codecs, key frames, sizes and
the pictures themselves.
"""

import os
import shutil
import subprocess

import harness
from test_media import VIDEO, MediaTestCase, key_frame_times, video_frames, video_sender

WIDTH, HEIGHT = 640, 360
# the card's level meter: a bar 20 px high at y=292, 40 px from each side
METER_ROW = 302
METER_X = (40, 600)


def make_image(path, colour):
    """A 320x240 PNG: the left half @colour, the right half white."""
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
                    "-f", "lavfi", "-i", "color=c=%s:s=160x240,pad=320:240:0:0:white" % colour,
                    "-frames:v", "1", str(path)], check=True, timeout=30)


def rgb_frames(path, at=None, size=(WIDTH, HEIGHT)):
    """Each picture of the FLV's video (or the one at @at seconds, from
    the end when negative) as RGB bytes of @size."""
    args = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error"]
    if at is not None:
        args += ["-sseof" if at < 0 else "-ss", str(at)]
    args += ["-i", str(path), "-map", "0:v:0", "-vsync", "passthrough",
             "-vf", "scale=%d:%d" % size, "-pix_fmt", "rgb24", "-f", "rawvideo"]
    if at is not None:
        args += ["-frames:v", "1"]
    result = subprocess.run(args + ["-"], stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=60)
    n = size[0] * size[1] * 3
    return [result.stdout[i:i + n] for i in range(0, len(result.stdout) - n + 1, n)]


def keep(path):
    """A copy of a recording in SIPCAST_TEST_OUTPUT (when set), to look at."""
    out = os.environ.get("SIPCAST_TEST_OUTPUT")
    if out:
        os.makedirs(out, exist_ok=True)
        shutil.copy(path, out)


def meter_fill(picture):
    """How much of the card's level meter is lit (0-1): its pixels in
    green, yellow or red rather than the dark track."""
    lit = 0
    for x in range(*METER_X):
        r, g, b = picture[(METER_ROW * WIDTH + x) * 3:(METER_ROW * WIDTH + x) * 3 + 3]
        lit += max(r, g) > 120
    return lit / (METER_X[1] - METER_X[0])


class PlaceholderTest(MediaTestCase):

    @classmethod
    def setUpClass(cls):
        cls.pictures = harness.run_dir() / "placeholders"
        cls.pictures.mkdir(exist_ok=True)
        make_image(cls.pictures / "studio.png", "0x2050d0")
        outside = harness.run_dir() / "outside.png"
        make_image(outside, "red")
        link = cls.pictures / "escape.png"
        if not link.is_symlink():
            link.symlink_to(outside)
        super().setUpClass()

    @classmethod
    def sipcast_config(cls):
        return ("[media]\nplaceholder-dir=%s\n\n[route pictured]\ncallee=ph-*\nrtmp-url=%s\n"
                "rtmp-stream=in-${callee}\nplaceholder-video=card\n" % (cls.pictures, cls.nginx.url))

    def audio_only_call(self, call_id, seconds, **fields):
        sipp = self.media_sipp("ph-" + call_id, audio="pcma")
        call, path = self.publish(call_id, sipp, seconds, **fields)
        self.assertIsNone(call["videoCodec"], call)
        keep(path)
        return path

    def assert_published_picture(self, path, seconds):
        """H.264 at 640x360 beside the AAC, for the whole call, a key frame
        at least every 2 s."""
        kinds = self.stream_kinds(path)
        self.assertEqual((kinds["video"]["codec_name"], kinds["audio"]["codec_name"]),
                         ("h264", "aac"), kinds)
        self.assertEqual((kinds["video"]["width"], kinds["video"]["height"]), (WIDTH, HEIGHT))
        frames = video_frames(path)
        audio = harness.audio_duration(path)
        self.assertGreater(audio, seconds - 1.5, "%.2f s of audio" % audio)
        # five pictures a second from the first to the last moment of audio
        self.assertAlmostEqual(frames[-1][0] - frames[0][0], audio, delta=0.7,
                               msg="video %.2f-%.2f s, audio %.2f s"
                               % (frames[0][0], frames[-1][0], audio))
        self.assertGreaterEqual(len(frames), 4 * (audio - 1), frames[:3])
        keys = key_frame_times(path)
        ends = [frames[0][0]] + keys + [frames[-1][0]]
        self.assertLessEqual(max(b - a for a, b in zip(ends, ends[1:])), 2.1, keys)

    def test_card(self):
        # the 5 s tone, then silence: the meter must show one, then fall
        # back for the other
        path = self.audio_only_call("card", 6.5, placeholderVideo="card",
                                    visibleName="Alice Example", callee="studio-1")
        self.assert_published_picture(path, 6.5)
        self.assertAlmostEqual(harness.tone_frequency(path), 440, delta=440 * 0.03)
        start = video_frames(path)[0][0]
        loud, quiet = rgb_frames(path, start + 2.5)[0], rgb_frames(path, -0.3)[0]
        self.assertGreater(meter_fill(loud), 0.6, "the meter during the tone")
        self.assertLess(meter_fill(quiet), 0.1, "the meter in the silence after it")
        # text: bright pixels on the dark card where the names are
        names = loud[(100 * WIDTH) * 3:(240 * WIDTH) * 3]
        self.assertGreater(sum(1 for v in names[::3] if v > 200), 2000, "no names on the card")
        self.assertNotIn("CRITICAL", self.sipcast.log())

    def test_image(self):
        path = self.audio_only_call("image", 3.5, placeholderVideo="studio.png")
        self.assert_published_picture(path, 3.5)
        picture = rgb_frames(path, 1.0)[0]
        # the image (4:3) fills the height, centred: blue on the left of
        # the middle, white on its right, black borders at the sides
        pixel = lambda x, y: tuple(picture[(y * WIDTH + x) * 3:(y * WIDTH + x) * 3 + 3])  # noqa: E731
        r, g, b = pixel(WIDTH // 2 - 60, HEIGHT // 2)
        self.assertTrue(b > 150 and r < 80, (r, g, b))
        self.assertTrue(min(pixel(WIDTH // 2 + 60, HEIGHT // 2)) > 200)
        self.assertTrue(max(pixel(20, HEIGHT // 2)) < 40)

    def test_none(self):
        path = self.audio_only_call("none", 2.5, placeholderVideo="none")
        # (2.5 s between RTMP_STREAM_ACTIVE and the hang-up, more on a busy machine)
        self.assert_tone_flv(path, 1.5, 5.5)

    def test_bad_values(self):
        for value, why in [("nosuch.png", "no image"), ("../outside.png", "inside"),
                           ("escape.png", "inside"), (str(self.pictures / "studio.png"), "inside"),
                           ("studio.gif", "must be none, card"), ("CARD", "must be none, card"),
                           (42, "")]:
            with self.subTest(value=value):
                status, answer, _ = self.sipcast.rest("/call/startup", {
                    "callId": "bad", "callee": "1000", "sipDomain": "127.0.0.1",
                    "rtmpUrl": self.nginx.url, "rtmpStream": "bad", "placeholderVideo": value})
                self.assert_error(answer, status, 400)
                self.assertIn(why, answer["message"])
                if why:
                    self.assertIn("placeholderVideo", answer["message"])
        status, calls, _ = self.sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 404, calls)

    def test_route(self):
        # a caller (sipp, the tone, BYE 3 s after its ACK) routed by a
        # [route] with placeholder-video=card
        sipp = harness.Sipp("uac-call-bye.xml", args=(
            "-s", "ph-in", "%s:%d" % (harness.LOOPBACK, self.sipcast.sip_port)))
        self.addCleanup(sipp.close)
        self.assert_sipp_passed(sipp, 20)
        path = self.nginx.recorded("in-ph-in")
        keep(path)
        self.assert_published_picture(path, 3.0)

    def test_config_checked_at_start(self):
        conf = harness.run_dir() / "placeholder-missing.conf"
        conf.write_text("[media]\nplaceholder-dir=%s\n\n[route in]\ncallee=*\n"
                        "placeholder-video=gone.png\n" % self.pictures)
        result = subprocess.run([os.environ["SIPCAST_BIN"], "-c", str(conf), "--print-config"],
                                capture_output=True, text=True, timeout=10)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("[route in] placeholder-video: no image “gone.png”", result.stderr)

    def test_real_video_replaces_it(self):
        # the far end accepts video but starts sending it 1.5 s in: the card
        # until then, its own H.264 (320x240) from then on
        lines, capture, _ = VIDEO["h264-pm1"]
        sender = video_sender(capture).replace('command="', 'command="sleep 1.5 && ')
        sipp = self.media_sipp("ph-real", audio="pcma", video_lines=lines, on_ack=[sender])
        call, path = self.publish("real", sipp, 4.0, hasVideo="true", placeholderVideo="card")
        self.assertEqual((call["videoCodec"], call["width"]), ("H264/90000", 320), call)
        frames = video_frames(path)
        sizes = [(w, h) for _, w, h in frames]
        first_real = sizes.index((320, 240))
        self.assertGreater(first_real, 3, "no card before the call's video: %s" % frames[:5])
        self.assertEqual(set(sizes[:first_real]), {(WIDTH, HEIGHT)}, frames[:first_real])
        self.assertEqual(set(sizes[first_real:]), {(320, 240)}, "the card came back")
        self.assertGreaterEqual(len(sizes) - first_real, 40, frames[first_real:first_real + 3])
        self.assertIn("the call's own video replaces the placeholder", self.sipcast.log())

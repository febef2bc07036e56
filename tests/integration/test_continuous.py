"""A published stream with audio for every moment of the call (issue 11).

The far end talks like a phone with voice activity detection: 7 s of
speech-like sound, 4 s without any RTP (or only RFC 3389 comfort noise),
then 7 s again (tests/media/make-pcaps.py --gap, made per run).  What
nginx-rtmp recorded must hold audio without a hole: packet timestamps
never more than 100 ms apart, as long as the call, silence in the pause,
and the second burst where it really happened.
"""

import array
import math
import subprocess
import sys
import time

import harness
from harness import wait_status
from test_media import MEDIA, TEMPLATE, MediaTestCase

TALK = 7.0
PAUSE = 4.0
WINDOW = 0.02  # seconds per level measurement


def make_gap_capture(name, comfort_noise):
    path = harness.run_dir() / name
    args = [sys.executable, str(harness.SIP_DIR / MEDIA / "make-pcaps.py"), "--gap", str(path)]
    if comfort_noise:
        args.append("--cn")
    subprocess.run(args, check=True, timeout=60)
    return path


def audio_packet_times(path):
    result = harness._run(["ffprobe", "-v", "error", "-select_streams", "a:0",
                           "-show_entries", "packet=pts_time", "-of", "csv=p=0", path], 30)
    return [float(line.split(",")[0]) for line in result.stdout.split()]


def levels(path, rate=8000):
    """The audio's RMS level in dBFS per WINDOW, from its first sample."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
                             "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(rate),
                             "-f", "s16le", "-"],
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    samples = array.array("h", result.stdout[:len(result.stdout) // 2 * 2])
    step = int(rate * WINDOW)
    out = []
    for start in range(0, len(samples) - step + 1, step):
        block = samples[start:start + step]
        power = sum(s * s for s in block) / step
        out.append(10 * math.log10(power / 32768 ** 2) if power > 0 else -120.0)
    return out


class ContinuousAudioTest(MediaTestCase):
    """PCMA far ends that pause: silence is published in their pauses."""

    def far_end(self, name, capture, comfort_noise):
        """sipp answering PCMA (+ CN when comfort_noise) and playing capture."""
        formats = "8 13 101" if comfort_noise else "8 101"
        rtpmaps = "PCMA/8000\n      a=rtpmap:13 CN/8000" if comfort_noise else "PCMA/8000"
        text = (TEMPLATE.read_text()
                .replace("@AUDIO_PT@ 101", formats)
                .replace("@AUDIO_PT@", "8").replace("@AUDIO_RTPMAP@", rtpmaps)
                .replace("@VIDEO_SDP@", "m=video 0 RTP/AVP 96")
                .replace("@ON_ACK@", '<exec play_pcap_audio="%s"/>' % capture))
        path = harness.run_dir() / ("uas-%s.xml" % name)
        path.write_text(text)
        sipp = harness.Sipp(str(path), timeout=60)
        self.addCleanup(sipp.close)
        return sipp

    def check_recording(self, path, call_seconds):
        times = audio_packet_times(path)
        self.assertTrue(times, "no audio in %s" % path)
        gaps = [(b - a, a) for a, b in zip(times, times[1:])]
        worst = max(gaps)
        self.assertLessEqual(worst[0], 0.1, "%.3f s without audio at %.2f s in %s"
                             % (worst[0], worst[1], path))
        duration = harness.audio_duration(path)
        # the far end answers and its first packet arrives within about a
        # second of the startup request
        self.assertGreater(duration, call_seconds - 1.5,
                           "%.2f s of audio for a call of %.2f s" % (duration, call_seconds))
        self.assertLess(duration, call_seconds + 0.5,
                        "%.2f s of audio for a call of %.2f s" % (duration, call_seconds))

        level = levels(path)
        # the far end's time 0: its first sound (the jitter buffer may
        # stamp the very first packet a little early, leaving silence
        # before it in the FLV)
        t0 = next(i for i, db in enumerate(level) if db > -40) * WINDOW
        self.assertLess(t0, 0.5, "the FLV starts with %.2f s of silence" % t0)
        level = level[int(round(t0 / WINDOW)):]
        at = lambda t: level[int(t / WINDOW)]  # noqa: E731
        # a packet the jitter buffer had to give up on (two busy cores)
        # is silence too: a burst must be there, not flawless
        first = range(int(0.5 / WINDOW), int((TALK - 0.5) / WINDOW))
        quiet = [round(i * WINDOW, 2) for i in first if level[i] < -35]
        pause = [at(TALK + 0.4 + t / 10) for t in range(int((PAUSE - 0.8) * 10))]
        self.assertLess(len(quiet), len(first) * 0.05, "quiet moments in the first burst: %s" % quiet)
        self.assertLess(max(pause), -60, "the pause is not silence: %s" % pause)
        # the second burst starts where it did at the far end, 11 s in
        onset = next(i for i in range(int((TALK + 0.5) / WINDOW), len(level))
                     if level[i] > -40) * WINDOW
        self.assertAlmostEqual(onset, TALK + PAUSE, delta=0.15,
                               msg="the second burst starts at %.2f s" % onset)
        second = range(int((TALK + PAUSE + 0.5) / WINDOW), int((2 * TALK + PAUSE - 0.5) / WINDOW))
        quiet = [round(i * WINDOW, 2) for i in second if level[i] < -35]
        self.assertLess(len(quiet), len(second) * 0.05, "quiet moments in the second burst: %s" % quiet)

    def test_pauses_are_published_as_silence(self):
        """Both far ends at once (one quiet, one sending comfort noise):
        the test takes the length of one call."""
        sipps = {
            "vad": self.far_end("vad", make_gap_capture("vad.pcap", False), False),
            "vad-cn": self.far_end("vad-cn", make_gap_capture("vad-cn.pcap", True), True),
        }
        started = {}
        for call_id, sipp in sipps.items():
            # the call's length counts from here: its FLV cannot start earlier
            started[call_id] = time.monotonic()
            self.start_call(call_id, sipp, rtmpUrl=self.nginx.url, rtmpStream=call_id)
        for call_id in sipps:
            wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
            self.wait_publishing(call_id)
        # the far ends send for 18 s; a second of silence after that
        time.sleep(2 * TALK + PAUSE + 1.0 - (time.monotonic() - min(started.values())))
        call = self.find("vad-cn")
        self.assertEqual(call["audioCodec"], "PCMA/8000", call)
        self.assertIn("13 CN/8000", call["sdp"] or "", call)
        ended = {}
        for call_id in sipps:
            self.terminate(call_id)
            ended[call_id] = time.monotonic()
        for call_id, sipp in sipps.items():
            wait_status(self.sipcast, call_id, "FINISH", 10)
            self.assert_sipp_passed(sipp)
        for call_id in sipps:
            with self.subTest(call=call_id):
                self.check_recording(self.nginx.recorded(call_id),
                                     ended[call_id] - started[call_id])
        self.assertNotIn("ERROR", self.sipcast.log())

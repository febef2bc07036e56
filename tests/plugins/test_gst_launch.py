#!/usr/bin/env python3
"""sipcastmixer as a GStreamer user first meets it: gst-launch-1.0 lines
that must end by themselves (issue 18), with the WAV they write checked the
way a player would read it.

Run through tests/integration/tap.py; GST_PLUGIN_PATH_1_0 must name the
directory libgstsipcast.so was built in (meson sets it)."""

import array
import math
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import wave
from pathlib import Path

GST_LAUNCH = shutil.which("gst-launch-1.0") or "gst-launch-1.0"


def launch(description, timeout):
    """Runs a gst-launch-1.0 description (a list of words); returns the
    seconds it took.  A pipeline that does not end by itself is killed and
    fails the test."""
    start = time.monotonic()
    try:
        proc = subprocess.run([GST_LAUNCH, "-q"] + description, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"gst-launch-1.0 still running after {timeout} s: "
                             + " ".join(description)) from None
    if proc.returncode != 0:
        raise AssertionError(f"gst-launch-1.0 exited with {proc.returncode}:\n{proc.stderr}")
    return time.monotonic() - start


def read_wav(path):
    """The WAV's (rate, channels, samples), after checking that its header
    was finalized: wavenc writes the sizes only at EOS, so a pipeline that
    was interrupted leaves them wrong."""
    size = path.stat().st_size
    data = path.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AssertionError(f"{path.name} is not a WAV file")
    riff_size = int.from_bytes(data[4:8], "little")
    if riff_size != size - 8:
        raise AssertionError(f"{path.name}: RIFF size {riff_size}, file size {size}: "
                             "header not finalized")
    with wave.open(str(path)) as wav:
        frames = wav.readframes(wav.getnframes())
        if wav.getsampwidth() != 2:
            raise AssertionError(f"{path.name}: {wav.getsampwidth() * 8}-bit samples")
        if len(frames) != size - data.index(b"data") - 8:
            raise AssertionError(f"{path.name}: data chunk size does not match the file")
        samples = array.array("h", frames)
        return wav.getframerate(), wav.getnchannels(), samples


def rms(samples):
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


class GstLaunchEndsTest(unittest.TestCase):
    def setUp(self):
        if not os.environ.get("GST_PLUGIN_PATH_1_0") and not os.environ.get("GST_PLUGIN_PATH"):
            self.fail("GST_PLUGIN_PATH_1_0 must name the directory of libgstsipcast.so")
        self.dir = Path(tempfile.mkdtemp(prefix="sipcast-launch-"))
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)

    def test_issue_line_ends_with_eos(self):
        """The line of issue 18, unchanged: the mixer is live by default, so
        this takes the sources' 6.4 s (50 buffers of 1024 samples, at the
        8 kHz the mixer asks them for) and then ends."""
        mix = self.dir / "mix.wav"
        took = launch(["audiotestsrc", "num-buffers=50", "!", "sipcastmixer", "name=m", "!",
                       "audio/x-raw,rate=8000", "!",
                       "wavenc", "!", "filesink", f"location={mix}",
                       "audiotestsrc", "num-buffers=50", "freq=1000", "!", "m."],
                      timeout=30)
        rate, channels, samples = read_wav(mix)
        # The caps leave the channel count open: mono or stereo, the same
        # sound on both.
        self.assertEqual(rate, 8000)
        self.assertIn(channels, (1, 2))
        samples = samples[::channels]
        # Exactly the sources' length: no silence before EOS.
        self.assertEqual(len(samples), 50 * 1024)
        # Paced by the clock: not faster than real time.
        self.assertGreater(took, 6.0)
        # Two sine waves of amplitude 0.8 (26214) summed: louder than one.
        self.assertGreater(rms(samples[8000:16000]), 26214 / math.sqrt(2) * 1.1)

    def test_readme_two_files_example(self):
        """README, "The sipcastmixer element": two files of different
        lengths, rates and channel counts mixed into one, as fast as they
        are read; the output is as long as the longer one."""
        a, b, mix = self.dir / "a.wav", self.dir / "b.wav", self.dir / "mix.wav"
        launch(["audiotestsrc", "num-buffers=20", "samplesperbuffer=800", "freq=440",
                "volume=0.5", "!",
                "audio/x-raw,rate=8000,channels=1", "!", "wavenc", "!",
                "filesink", f"location={a}"], timeout=30)
        launch(["audiotestsrc", "num-buffers=10", "samplesperbuffer=4410", "freq=660",
                "volume=0.4", "!", "audio/x-raw,rate=44100,channels=2", "!", "wavenc", "!",
                "filesink", f"location={b}"], timeout=30)

        took = launch(["sipcastmixer", "name=m", "force-live=false", "!",
                       "audio/x-raw,rate=8000,channels=1", "!",
                       "wavenc", "!", "filesink", f"location={mix}",
                       "filesrc", f"location={a}", "!", "wavparse", "!", "m.",
                       "filesrc", f"location={b}", "!", "wavparse", "!", "m."],
                      timeout=30)
        rate, channels, samples = read_wav(mix)
        self.assertEqual((rate, channels), (8000, 1))
        self.assertEqual(len(samples), 2 * 8000)
        # Not live: faster than the 2 s of audio, which a live mixer takes.
        self.assertLess(took, 2.0)
        # The first second has both files, the second only a.wav (a 440 Hz
        # sine of amplitude 0.5): sqrt(0.5² + 0.4²) / 0.5 = 1.28 times as
        # loud.
        both, only_a = rms(samples[1000:7000]), rms(samples[9000:15000])
        self.assertAlmostEqual(only_a, 16384 / math.sqrt(2), delta=300)
        self.assertAlmostEqual(both / only_a, 1.28, delta=0.05)


if __name__ == "__main__":
    unittest.main()

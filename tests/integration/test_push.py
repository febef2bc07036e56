"""/push: a call's named stream re-published to a second RTMP location,
with its own status and reconnects, whatever the call publishes itself.

The calls are placed to sipp far ends that play the 440 Hz tone; the
pushes go to nginx-rtmp, which records them, so a push is checked the way
a user would: ffprobe reads it live, and its recording holds the tone.

    python3 tests/integration/tap.py test_push
"""

import array
import re
import subprocess
import struct
import time
import unittest

import harness
from gateway import GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status
from test_inject import write_tone_wav
from test_media import VIDEO, MediaTestCase, video_frames, video_sender

# the reference's keys in its order, then sipcast's
PUSH_KEYS = ["mediaSessionId", "streamName", "rtmpUrl", "width", "height", "muted",
             "soundEnabled", "options", "status", "rtmpStream", "sourceStreamName",
             "callId", "startedAt"]
# JavaScript's Date.toISOString(), as the Call object's startedAt
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

PCAP_HEADER = 24
PCAP_RECORD = struct.Struct("<IIII")
# Ethernet + IPv4 + UDP in front of the RTP header in tests/media's captures
RTP_OFFSET = 14 + 20 + 8


def long_tone_scenario(seconds=40):
    """uas-answer-pcma.xml with the tone played for `seconds`, not 5.

    sipp replays a capture as it is, sequence numbers and timestamps
    included, so the 5 s capture is unrolled into a longer one (440 Hz
    fits 5 s in whole periods: the joins are seamless) rather than played
    again. Both files go to the run directory.
    """
    directory = harness.run_dir()
    scenario = directory / ("uas-answer-pcma-%ds.xml" % seconds)
    if scenario.exists():
        return scenario
    data = (harness.REPO / "tests" / "media" / "pcma-440hz-5s.pcap").read_bytes()
    records = []
    offset = PCAP_HEADER
    while offset < len(data):
        sec, usec, length, original = PCAP_RECORD.unpack_from(data, offset)
        offset += PCAP_RECORD.size
        records.append((sec * 1000000 + usec, data[offset:offset + length], original))
        offset += length
    count = len(records)
    out = bytearray(data[:PCAP_HEADER])
    for turn in range(seconds // 5):
        for index, (usec, packet, original) in enumerate(records):
            packet = bytearray(packet)
            marker_pt, seq, ts = struct.unpack_from("!BHI", packet, RTP_OFFSET + 1)
            if turn > 0:
                marker_pt &= 0x7F
            struct.pack_into("!BHI", packet, RTP_OFFSET + 1, marker_pt,
                             (seq + turn * count) & 0xFFFF,
                             (ts + turn * count * 160) & 0xFFFFFFFF)
            usec += turn * count * 20000
            out += PCAP_RECORD.pack(usec // 1000000, usec % 1000000, len(packet), original)
            out += packet
    pcap = directory / ("pcma-440hz-%ds.pcap" % seconds)
    pcap.write_bytes(bytes(out))
    text = (harness.SIP_DIR / "uas-answer-pcma.xml").read_text()
    scenario.write_text(text.replace("../media/pcma-440hz-5s.pcap", str(pcap)))
    return scenario


class PushTestCase(GatewayTestCase):
    """Starting, finding and ending pushes over REST."""

    def start_push(self, stream_name, rtmp_url, rtmp_stream=None):
        """POST /push/startup; the Push object. Terminated at cleanup."""
        body = {"streamName": stream_name, "rtmpUrl": rtmp_url}
        if rtmp_stream is not None:
            body["rtmpStream"] = rtmp_stream
        status, push, _ = self.sipcast.rest("/push/startup", body)
        self.assertEqual(status, 200, "%s\n%s" % (push, self.logs()))
        self.addCleanup(self.end_push, push["mediaSessionId"])
        return push

    def end_push(self, push_id):
        try:
            self.sipcast.rest("/push/terminate", {"mediaSessionId": push_id})
        except OSError:
            pass

    def find_pushes(self, query):
        """The pushes /push/find returns for query; [] on 404."""
        status, pushes, _ = self.sipcast.rest("/push/find", query)
        if status == 404:
            self.assert_error(pushes, status, 404)
            return []
        self.assertEqual(status, 200, pushes)
        return pushes

    def find_push(self, push_id):
        pushes = self.find_pushes({"mediaSessionId": push_id})
        self.assertEqual(len(pushes), 1, pushes)
        return pushes[0]

    def wait_push_status(self, push_id, status, timeout=10):
        """Poll until the push's status is status; the statuses seen, in order."""
        seen = []

        def reached():
            current = self.find_push(push_id)["status"]
            if not seen or seen[-1] != current:
                seen.append(current)
            return current == status

        wait_for(reached, timeout, interval=0.05,
                 message=lambda: "push %s never %s; statuses seen %s\n%s"
                 % (push_id, status, seen, self.logs()))
        return seen

    def wait_push_gone(self, push_id, timeout=10):
        wait_for(lambda: not self.find_pushes({"mediaSessionId": push_id}), timeout,
                 message=lambda: "push %s still listed\n%s" % (push_id, self.logs()))

    def terminate_push(self, push_id):
        status, answer, _ = self.sipcast.rest("/push/terminate", {"mediaSessionId": push_id})
        self.assertEqual((status, answer), (200, {}), self.logs())

    def start_source(self, call_id, scenario="uas-answer-pcma.xml", **fields):
        """A call to a sipp playing the tone, answered: its stream is call_id."""
        sipp = self.sipp(scenario)
        self.start_call(call_id, sipp, **fields)
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        return sipp


class PushTest(PushTestCase):
    """A push next to the call's own publish, and the REST rules."""

    def test_push_publishes_a_second_stream(self):
        sipp = self.start_source("push-src", rtmpUrl=self.nginx.url, rtmpStream="push-a")
        push = self.start_push("push-src", self.nginx.url, "push-b")
        started = time.monotonic()

        self.assertEqual(list(push), PUSH_KEYS)
        # streamName is what it publishes under, as in the reference
        self.assertEqual(push["streamName"], "push-b")
        self.assertEqual(push["sourceStreamName"], "push-src")
        self.assertEqual(push["rtmpUrl"], self.nginx.url)
        self.assertEqual((push["width"], push["height"], push["muted"], push["soundEnabled"],
                          push["options"]), (0, 0, False, False, {}))
        self.assertEqual(push["rtmpStream"], "push-b")
        self.assertEqual(push["callId"], "push-src")
        self.assertIn(push["status"], ("RTMP_STREAM_WAIT", "RTMP_STREAM_ACTIVE"), push)
        self.assertRegex(push["startedAt"], ISO_UTC)
        self.assertRegex(push["mediaSessionId"], r"^[0-9a-f-]{36}$")
        push_id = push["mediaSessionId"]

        self.wait_push_status(push_id, "RTMP_STREAM_ACTIVE")
        # ACTIVE means the server took the stream, not that we sent it
        self.assertTrue(self.nginx.events("publish", "push-b"), self.logs(sipp))
        probe = harness.ffprobe_streams(self.nginx.url + "push-b")
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "aac")], probe)

        # the call publishes on its own, untouched by the push
        self.assertEqual(self.find("push-src")["rtmpStreamStatus"], "RTMP_STREAM_ACTIVE")

        # every filter finds it, AND-ed
        for query in ({"mediaSessionId": push_id}, {"streamName": "push-src"},
                      {"streamName": "push-b"}, {"rtmpUrl": self.nginx.url},
                      {"streamName": "push-src", "rtmpUrl": self.nginx.url}):
            with self.subTest(query=query):
                self.assertEqual([p["mediaSessionId"] for p in self.find_pushes(query)],
                                 [push_id])
        for query in ({"mediaSessionId": "no-such-push"}, {"streamName": "push-a"},
                      {"streamName": "push-src", "rtmpUrl": self.nginx.url + "push-b"}):
            with self.subTest(query=query):
                self.assertEqual(self.find_pushes(query), [])
        status, pushes, _ = self.sipcast.rest("/push/find_all", {})
        self.assertEqual(status, 200, pushes)
        self.assertEqual([p["mediaSessionId"] for p in pushes], [push_id])
        self.assertEqual(pushes[0]["status"], "RTMP_STREAM_ACTIVE")

        time.sleep(max(0, started + 3.5 - time.monotonic()))
        self.terminate_push(push_id)
        self.wait_push_gone(push_id)
        status, answer, _ = self.sipcast.rest("/push/find_all", {})
        self.assert_error(answer, status, 404)
        status, answer, _ = self.sipcast.rest("/push/terminate", {"mediaSessionId": push_id})
        self.assert_error(answer, status, 404)
        self.assert_tone_flv(self.nginx.recorded("push-b"), 1.5, 4)

        # the call outlived its push
        self.assertEqual(self.find("push-src")["status"], "ESTABLISHED")
        self.terminate("push-src")
        self.assert_sipp_passed(sipp)
        # the call's own stream: the 5 s tone, then silence until the
        # hang-up (issue 11: audio for every moment of the call)
        self.assert_tone_flv(self.nginx.recorded("push-a"), 3, 12)

    def test_unknown_stream_is_404(self):
        status, answer, _ = self.sipcast.rest(
            "/push/startup", {"streamName": "no-such-stream", "rtmpUrl": self.nginx.url,
                              "rtmpStream": "nowhere"})
        self.assert_error(answer, status, 404)
        self.assertEqual(self.nginx.events("publish", "nowhere"), [])

    def test_bad_requests_are_400(self):
        sipp = self.start_source("push-bad")
        cases = {
            "no streamName": {"rtmpUrl": self.nginx.url, "rtmpStream": "bad"},
            "empty streamName": {"streamName": "", "rtmpUrl": self.nginx.url,
                                 "rtmpStream": "bad"},
            "no rtmpUrl": {"streamName": "push-bad", "rtmpStream": "bad"},
            "streamName not a string": {"streamName": True, "rtmpUrl": self.nginx.url,
                                        "rtmpStream": "bad"},
            "not an RTMP URL": {"streamName": "push-bad", "rtmpUrl": "http://x/live/bad"},
            "no application": {"streamName": "push-bad", "rtmpUrl": "rtmp://127.0.0.1:9"},
            "options not an object": {"streamName": "push-bad", "rtmpUrl": self.nginx.url,
                                      "options": "x"},
            "full URL without a stream": {"streamName": "push-bad", "rtmpUrl": self.nginx.url,
                                          "rtmpTransponderFullUrl": True},
        }
        for name, body in cases.items():
            with self.subTest(name):
                status, answer, _ = self.sipcast.rest("/push/startup", body)
                self.assert_error(answer, status, 400)
        with self.subTest("terminate without mediaSessionId"):
            status, answer, _ = self.sipcast.rest("/push/terminate", {})
            self.assert_error(answer, status, 400)
        self.assertEqual(self.find_pushes({"streamName": "push-bad"}), [])
        self.terminate("push-bad")
        self.assert_sipp_passed(sipp)

    def test_same_location_is_409(self):
        sipp = self.start_source("push-dup", rtmpUrl=self.nginx.url, rtmpStream="dup-a")
        first = self.start_push("push-dup", self.nginx.url, "dup-b")
        with self.subTest("same stream, same location"):
            status, answer, _ = self.sipcast.rest("/push/startup", {
                "streamName": "push-dup", "rtmpUrl": self.nginx.url, "rtmpStream": "dup-b"})
            self.assert_error(answer, status, 409)
        with self.subTest("the same location spelled in the URL"):
            status, answer, _ = self.sipcast.rest("/push/startup", {
                "streamName": "push-dup", "rtmpUrl": self.nginx.url + "dup-b"})
            self.assert_error(answer, status, 409)
        with self.subTest("where the call itself publishes"):
            status, answer, _ = self.sipcast.rest("/push/startup", {
                "streamName": "push-dup", "rtmpUrl": self.nginx.url, "rtmpStream": "dup-a"})
            self.assert_error(answer, status, 409)
        with self.subTest("a new call where the push publishes"):
            status, answer, _ = self.sipcast.rest("/call/startup", {
                "callId": "push-dup-2", "callee": "1000", "sipDomain": "127.0.0.1",
                "sipPort": 9, "rtmpUrl": self.nginx.url, "rtmpStream": "dup-b"})
            self.assert_error(answer, status, 409)
            self.assertIn("Push", answer["message"])
        # one stream to two places is fine
        second = self.start_push("push-dup", self.nginx.url + "dup-c")
        self.assertNotEqual(first["mediaSessionId"], second["mediaSessionId"])
        self.assertEqual(len(self.find_pushes({"streamName": "push-dup"})), 2)
        self.wait_push_status(second["mediaSessionId"], "RTMP_STREAM_ACTIVE")
        self.terminate("push-dup")
        self.assert_sipp_passed(sipp)

    def test_pushes_end_with_their_call(self):
        sipp = self.start_source("push-end")
        path = harness.run_dir() / "push-end.flv"
        push_ids = [self.start_push("push-end", self.nginx.url, "end-b")["mediaSessionId"],
                    self.start_push("push-end", "file://%s" % path)["mediaSessionId"]]
        for push_id in push_ids:
            self.wait_push_status(push_id, "RTMP_STREAM_ACTIVE")
        time.sleep(2)
        self.terminate("push-end")
        wait_status(self.sipcast, "push-end", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        # finished, not failed: gone, with complete recordings
        for push_id in push_ids:
            self.wait_push_gone(push_id)
        self.assert_tone_flv(self.nginx.recorded("end-b"), 1.5, 4)
        self.assert_tone_flv(path, 1.5, 4)
        # the stream went with its call
        status, answer, _ = self.sipcast.rest(
            "/push/startup", {"streamName": "push-end", "rtmpUrl": self.nginx.url + "end-c"})
        self.assert_error(answer, status, 404)


def audio_timeline(path, step=0.1, rate=16000):
    """What a recording holds, every step seconds: 0 for silence, else the
    tone's frequency in Hz (rounded to 10), from its zero crossings."""
    result = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-v", "error",
                             "-i", str(path), "-map", "0:a:0", "-ac", "1",
                             "-ar", str(rate), "-f", "s16le", "-"],
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    samples = array.array("h", result.stdout[:len(result.stdout) // 2 * 2])
    size = int(rate * step)
    timeline = []
    for start in range(0, len(samples) - size + 1, size):
        window = samples[start:start + size]
        peak = max(abs(s) for s in window)
        if peak < 300:
            timeline.append(0)
            continue
        ups = sum(1 for a, b in zip(window, window[1:]) if a < 0 <= b)
        timeline.append(round(ups / step, -1))
    return timeline


def runs(timeline, tolerance=0.06):
    """The timeline as [(what, windows)], frequencies within tolerance
    taken as one; runs of one or two windows (edges, a glitch of the
    source under load) left out."""
    def merge(pairs):
        merged = []
        for value, count in pairs:
            if merged and (value == merged[-1][0] == 0 or
                           (value and merged[-1][0] and
                            abs(value - merged[-1][0]) <= merged[-1][0] * tolerance)):
                merged[-1][1] += count
            else:
                merged.append([value, count])
        return merged
    first = merge((value, 1) for value in timeline)
    return [tuple(pair) for pair in merge(pair for pair in first if pair[1] > 2)]


class PushWcsTest(PushTestCase):
    """The reference's /push as a Web Call Server client uses it: an rtmpUrl
    without a stream, rtmp_NAME, mute and sound_on."""

    @classmethod
    def sipcast_config(cls):
        cls.sounds = harness._new_dir("sounds-")
        write_tone_wav(cls.sounds / "tone-1k.wav", 1000, 1.0)
        return "[media]\nsounds-dir=%s\n" % cls.sounds

    def test_reference_push(self):
        sipp = self.start_source("wcs-src", scenario=str(long_tone_scenario(20)))
        url = self.nginx.url.rstrip("/")           # rtmp://127.0.0.1:PORT/live
        status, push, _ = self.sipcast.rest("/push/startup", {
            "streamName": "wcs-src", "rtmpUrl": url, "rtmpTransponderFullUrl": False,
            "options": {"note": "kept"}})
        self.assertEqual(status, 200, "%s\n%s" % (push, self.logs()))
        push_id = push["mediaSessionId"]
        self.addCleanup(self.end_push, push_id)
        self.assertEqual(list(push)[:8], ["mediaSessionId", "streamName", "rtmpUrl", "width",
                                          "height", "muted", "soundEnabled", "options"])
        self.assertEqual(push["streamName"], "rtmp_wcs-src")
        self.assertEqual(push["rtmpUrl"], url)
        self.assertEqual(push["options"], {"note": "kept"})
        self.assertIs(push["muted"], False)
        self.assertIs(push["soundEnabled"], False)
        # the client finds it by the name in the answer, or as it started it
        for query in ({"streamName": "rtmp_wcs-src"}, {"streamName": "wcs-src"},
                      {"rtmpUrl": url}, {"mediaSessionId": push_id}):
            with self.subTest(query=query):
                self.assertEqual([p["mediaSessionId"] for p in self.find_pushes(query)],
                                 [push_id])
        self.wait_push_status(push_id, "RTMP_STREAM_ACTIVE")
        self.assertTrue(self.nginx.events("publish", "rtmp_wcs-src"), self.nginx.events())
        with self.subTest("the same again is 409"):
            status, answer, _ = self.sipcast.rest("/push/startup",
                                                  {"streamName": "wcs-src", "rtmpUrl": url})
            self.assert_error(answer, status, 409)

        time.sleep(1.5)                             # the tone
        for method in ("/push/mute", "/push/unmute", "/push/sound_on", "/push/sound_off"):
            with self.subTest(method=method):
                status, answer, _ = self.sipcast.rest(method, {"mediaSessionId": "nope",
                                                               "soundFile": "tone-1k.wav"})
                self.assert_error(answer, status, 404)
                status, answer, _ = self.sipcast.rest(method, {})
                self.assert_error(answer, status, 400)
        status, answer, _ = self.sipcast.rest("/push/mute", {"mediaSessionId": push_id})
        self.assertEqual((status, answer), (200, {}))
        self.assertIs(self.find_push(push_id)["muted"], True)
        time.sleep(1.5)                             # silence
        status, answer, _ = self.sipcast.rest("/push/sound_on", {
            "mediaSessionId": push_id, "soundFile": "no-such.wav"})
        self.assert_error(answer, status, 404)
        status, answer, _ = self.sipcast.rest("/push/sound_on", {
            "mediaSessionId": push_id, "soundFile": "tone-1k.wav", "loop": False})
        self.assertEqual((status, answer), (200, {}), self.logs())
        self.assertIs(self.find_push(push_id)["soundEnabled"], True)
        # played once, then gone by itself
        wait_for(lambda: not self.find_push(push_id)["soundEnabled"], 5,
                 message=lambda: "the sound never ended\n" + self.logs())
        time.sleep(0.5)                             # silence again
        status, answer, _ = self.sipcast.rest("/push/unmute", {"mediaSessionId": push_id})
        self.assertEqual((status, answer), (200, {}))
        self.assertIs(self.find_push(push_id)["muted"], False)
        status, answer, _ = self.sipcast.rest("/push/sound_off", {"mediaSessionId": push_id})
        self.assertEqual((status, answer), (200, {}))
        time.sleep(1.5)                             # the tone again
        self.terminate_push(push_id)
        self.wait_push_gone(push_id)

        timeline = runs(audio_timeline(self.nginx.recorded("rtmp_wcs-src")))
        shape = [what for what, _ in timeline]
        self.assertEqual(len(shape), 5, timeline)
        self.assertAlmostEqual(shape[0], 440, delta=20, msg=timeline)
        self.assertEqual(shape[1], 0, timeline)
        self.assertAlmostEqual(shape[2], 1000, delta=40, msg=timeline)
        self.assertEqual(shape[3], 0, timeline)
        self.assertAlmostEqual(shape[4], 440, delta=20, msg=timeline)
        # muted for 1.5 s before the sound, which played (at most) its 1 s;
        # under heavy load its start may come late to the live mixer
        self.assertGreaterEqual(timeline[1][1], 10, timeline)
        self.assertTrue(5 <= timeline[2][1] <= 11, timeline)
        self.terminate("wcs-src")
        self.assert_sipp_passed(sipp)

    def test_looping_sound(self):
        sipp = self.start_source("wcs-loop")
        push_id = self.start_push("wcs-loop", self.nginx.url, "wcs-loop-copy")["mediaSessionId"]
        self.wait_push_status(push_id, "RTMP_STREAM_ACTIVE")
        status, answer, _ = self.sipcast.rest("/push/sound_on", {
            "mediaSessionId": push_id, "fileName": "tone-1k.wav", "loop": "true"})
        self.assertEqual((status, answer), (200, {}))
        # the 1 s file has played more than once, and goes on
        time.sleep(2.5)
        self.assertIs(self.find_push(push_id)["soundEnabled"], True, self.logs())
        self.assertNotIn("could not play", self.sipcast.log())
        status, answer, _ = self.sipcast.rest("/push/sound_off", {"mediaSessionId": push_id})
        self.assertEqual((status, answer), (200, {}))
        self.assertIs(self.find_push(push_id)["soundEnabled"], False)
        self.terminate_push(push_id)
        self.wait_push_gone(push_id)
        self.terminate("wcs-loop")
        self.assert_sipp_passed(sipp)


class PushVideoTest(PushTestCase, MediaTestCase):
    """A call's video is pushed with its audio, H.264 as it came."""

    def test_video_pushed_with_audio(self):
        lines, capture, _ = VIDEO["h264-pm1"]
        sipp = self.media_sipp("push-video", audio="pcma", video_lines=lines,
                               on_ack=[video_sender(capture)])
        self.start_call("push-v", sipp, rtmpUrl=self.nginx.url, rtmpStream="push-v",
                        hasVideo="true")
        wait_status(self.sipcast, "push-v", "ESTABLISHED", 10)
        # the video flows once the call knows its picture size
        wait_for(lambda: self.find("push-v")["width"] is not None, 10,
                 message=lambda: "no video\n" + self.logs(sipp))
        push = self.start_push("push-v", self.nginx.url, "push-v-copy")
        push_id = push["mediaSessionId"]
        self.wait_push_status(push_id, "RTMP_STREAM_ACTIVE")
        wait_for(lambda: self.find_push(push_id)["width"] == 320, 5,
                 message=lambda: "width %s\n%s" % (self.find_push(push_id), self.logs()))
        self.assertEqual(self.find_push(push_id)["height"], 240)
        time.sleep(1.2)
        self.terminate_push(push_id)
        self.wait_push_gone(push_id)
        self.terminate("push-v")
        self.assert_sipp_passed(sipp)

        path = self.nginx.recorded("push-v-copy")
        kinds = self.stream_kinds(path)
        self.assertEqual(kinds["video"]["codec_name"], "h264", kinds)
        self.assertEqual(kinds["audio"]["codec_name"], "aac", kinds)
        self.assertEqual((kinds["video"]["width"], kinds["video"]["height"]), (320, 240))
        # it starts at a key frame: every picture decodes
        self.assertGreaterEqual(len(video_frames(path)), 10)


class PushRetryBudgetTest(PushTestCase):
    """No RTMP server: the push retries, then gives up."""

    with_nginx = False
    BUDGET = 3

    @classmethod
    def sipcast_config(cls):
        return "[push]\nretry-budget=%d\n" % cls.BUDGET

    def test_no_server_fails_after_budget(self):
        sipp = self.start_source("push-nowhere")
        url = "rtmp://%s:%d/live/" % (LOOPBACK, harness.free_port())
        push = self.start_push("push-nowhere", url, "x")
        started = time.monotonic()
        push_id = push["mediaSessionId"]

        seen = self.wait_push_status(push_id, "RTMP_CONNECTION_FAILED", self.BUDGET + 5)
        elapsed = time.monotonic() - started
        self.assertEqual(seen, ["RTMP_STREAM_WAIT", "RTMP_CONNECTION_FAILED"])
        # every connection is refused at once: only the retries take time
        self.assertGreater(elapsed, self.BUDGET - 0.5, "gave up before the budget")
        log = self.sipcast.log_path.read_text(errors="replace")
        self.assertEqual(len(re.findall(r"push %s .*Connection refused" % push_id, log)), 3,
                         "not 3 attempts (at 0, 1 and 3 s)\n" + self.sipcast.log())

        # a failed push stays to be seen, idle, until it or its call ends
        time.sleep(1.5)
        self.assertEqual(self.find_push(push_id)["status"], "RTMP_CONNECTION_FAILED")
        self.assertEqual(len(re.findall(r"push %s .*Connection refused" % push_id,
                                        self.sipcast.log_path.read_text(errors="replace"))), 3)
        self.terminate("push-nowhere")
        self.wait_push_gone(push_id)
        self.assert_sipp_passed(sipp)


class PushReconnectTest(PushTestCase):
    """The RTMP server goes away and comes back."""

    def test_reconnects_after_server_restart(self):
        # the tone must last through the outage
        sipp = self.start_source("push-re", scenario=str(long_tone_scenario()))
        push_id = self.start_push("push-re", self.nginx.url, "re-b")["mediaSessionId"]
        self.wait_push_status(push_id, "RTMP_STREAM_ACTIVE")

        self.addCleanup(lambda: self.nginx.proc.poll() is None or self.nginx.start())
        self.nginx.stop()
        self.wait_push_status(push_id, "RTMP_CONNECTION_LOST", 5)
        time.sleep(1.5)  # at least one attempt fails while the server is gone
        self.assertEqual(self.find_push(push_id)["status"], "RTMP_CONNECTION_LOST")
        self.nginx.start()
        self.wait_push_status(push_id, "RTMP_STREAM_ACTIVE", 15)

        self.assertEqual(len(self.nginx.events("publish", "re-b")), 2, self.nginx.events())
        probe = harness.ffprobe_streams(self.nginx.url + "re-b")
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "aac")], probe)
        self.terminate_push(push_id)
        self.wait_push_gone(push_id)
        self.terminate("push-re")
        self.assert_sipp_passed(sipp)


class PushShutdownTest(PushTestCase):
    """SIGTERM with a push up: its FLV is finished too."""

    def test_sigterm_finishes_push(self):
        sipp = self.start_source("push-term")
        push_id = self.start_push("push-term", self.nginx.url, "term-b")["mediaSessionId"]
        self.wait_push_status(push_id, "RTMP_STREAM_ACTIVE")
        time.sleep(2)
        self.sipcast.stop()
        self.assert_sipp_passed(sipp)
        self.assert_tone_flv(self.nginx.recorded("term-b"), 1.5, 4.5)


if __name__ == "__main__":
    unittest.main()

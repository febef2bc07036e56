"""Audio injected into what the far end hears: sound files and the named
stream of another call, mixed by sipcastmixer and sent as RTP.

The far end (tests/sip/uas-talkback.xml) names this test's UDP socket as
its RTP address; the A-law it receives is decoded here and measured with
the Goertzel algorithm, so "the tone is heard" means energy at its
frequency in what really went out.

    python3 tests/integration/tap.py test_inject
"""

import math
import struct
import time
import unittest
import wave

import harness
from gateway import PCMA_PT, TALKBACK_CONFIG, GatewayTestCase, RtpSink
from harness import wait_for, wait_status
from test_dialog import PcapSender, our_rtp_port

RATE = 8000


def alaw_decode(byte):
    """ITU-T G.711 A-law to a signed 16-bit sample."""
    byte ^= 0x55
    sign, exponent, mantissa = byte & 0x80, (byte >> 4) & 0x07, byte & 0x0F
    if exponent == 0:
        value = (mantissa << 4) + 8
    else:
        value = ((mantissa << 4) + 0x108) << (exponent - 1)
    return value if sign else -value


def goertzel_level(samples, freq):
    """RMS amplitude of the freq component of samples (8 kHz)."""
    k = 2 * math.cos(2 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - k * s1 * s2
    return math.sqrt(max(power, 0.0)) * math.sqrt(2) / len(samples)


def write_tone_wav(path, freq, seconds, rate=16000, amplitude=8000):
    """A mono 16-bit WAV of a sine (not at 8 kHz: the mixer resamples)."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(
            struct.pack("<h", int(amplitude * math.sin(2 * math.pi * freq * i / rate)))
            for i in range(int(rate * seconds))))


class InjectTest(GatewayTestCase):
    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        cls.sounds = harness._new_dir("sounds-")
        write_tone_wav(cls.sounds / "tone-1k.wav", 1000, 1.0)
        (cls.sounds / "not-audio.wav").write_bytes(b"this is no sound file")
        return "[media]\nsounds-dir=%s\n" % cls.sounds + TALKBACK_CONFIG

    def level(self, sink, freq, start, end):
        """Level of freq in the PCMA the far end got between two times."""
        samples = [alaw_decode(b) for p in sink.received(PCMA_PT)
                   if start <= p["time"] < end for b in p["payload"]]
        self.assertGreater(len(samples), RATE * (end - start) * 0.8,
                           "too little RTP between %.1f and %.1f" % (start, end))
        return goertzel_level(samples, freq)

    def rest_ok(self, method, body):
        status, answer, _ = self.sipcast.rest(method, body)
        self.assertEqual((status, answer), (200, {}), self.sipcast.log())

    def test_sound_is_heard_once(self):
        sipp, sink = self.talkback_call("inj-sound")
        quiet = time.monotonic()
        time.sleep(0.6)
        self.rest_ok("/call/inject_sound", {"callId": "inj-sound", "fileName": "tone-1k.wav"})
        start = time.monotonic()
        time.sleep(2.0)
        before = self.level(sink, 1000, quiet + 0.1, start)
        during = self.level(sink, 1000, start + 0.3, start + 0.9)
        after = self.level(sink, 1000, start + 1.5, start + 2.0)
        # 8000 amplitude in the file; G.711 and resampling keep most of it
        self.assertGreater(during, 3000, "the tone is not in the RTP")
        self.assertLess(before, 100)
        self.assertLess(after, 100, "the 1 s sound went on after its end")
        self.terminate("inj-sound")
        self.assert_sipp_passed(sipp)

    def test_looped_sound_goes_on(self):
        sipp, sink = self.talkback_call("inj-loop")
        self.rest_ok("/call/inject_sound",
                     {"callId": "inj-loop", "fileName": "tone-1k.wav", "loop": "true"})
        start = time.monotonic()
        time.sleep(3.0)
        # well past the 1 s file: the loop restarted it (allow the gap)
        self.assertGreater(self.level(sink, 1000, start + 2.2, start + 2.8), 2000)
        self.terminate("inj-loop")
        self.assert_sipp_passed(sipp)

    def test_other_call_is_heard_until_terminated(self):
        # call A: its far end plays the 440 Hz tone into sipcast
        sipp_a = harness.Sipp("uas-answer-pcma.xml")
        self.addCleanup(sipp_a.close)
        self.start_call("inj-a", sipp_a, toStream="studio-a")
        wait_status(self.sipcast, "inj-a", "ESTABLISHED", 10)
        sipp_b, sink = self.talkback_call("inj-b")

        status, streams, _ = self.sipcast.rest("/stream/find_all", {})
        self.assertEqual(status, 200, streams)
        by_name = {s["name"]: s for s in streams}
        self.assertEqual(by_name["studio-a"]["callId"], "inj-a")
        self.assertEqual(by_name["studio-a"]["audioCodec"], "PCMA/8000")
        self.assertEqual(by_name["inj-b"]["callId"], "inj-b")
        wait_for(lambda: [s for s in self.sipcast.rest("/stream/find_all", {})[1]
                          if s["name"] == "studio-a" and s["status"] == "ACTIVE"], 5)

        self.rest_ok("/call/inject_stream", {"callId": "inj-b", "streamName": "studio-a"})
        start = time.monotonic()
        time.sleep(1.5)
        self.rest_ok("/call/inject_stream/terminate",
                     {"callId": "inj-b", "streamName": "studio-a"})
        stop = time.monotonic()
        time.sleep(1.0)
        heard = self.level(sink, 440, start + 0.5, stop)
        after = self.level(sink, 440, stop + 0.4, stop + 1.0)
        self.assertGreater(heard, 1000, "call A's tone is not heard in call B")
        self.assertLess(after, 100, "call A is still heard after terminate")

        status, answer, headers = self.sipcast.rest(
            "/call/inject_stream/terminate", {"callId": "inj-b", "streamName": "studio-a"})
        self.assert_error(answer, status, 404, headers)
        # startup is a synonym of inject_stream
        self.rest_ok("/call/inject_stream/startup", {"callId": "inj-b", "streamName": "studio-a"})
        self.rest_ok("/call/inject_stream/terminate", {"callId": "inj-b"})
        for call_id in ("inj-a", "inj-b"):
            self.terminate(call_id)
        self.assert_sipp_passed(sipp_a)
        self.assert_sipp_passed(sipp_b)

    def test_stream_follows_a_codec_change(self):
        # call A's far end answers PCMA, re-INVITEs to G.722 (16 kHz)
        sink_a = RtpSink()
        self.addCleanup(sink_a.close)
        sipp_a = harness.Sipp("uas-reinvite-codec.xml",
                              args=("-set", "rtp_sink", str(sink_a.port),
                                    "-set", "first_formats", "8 101",
                                    "-set", "new_formats", "9 100",
                                    "-set", "new_pt", "9", "-set", "new_rtpmap", "G722/8000"))
        self.addCleanup(sipp_a.close)
        self.start_call("inj-g722", sipp_a, toStream="studio-g722")
        wait_status(self.sipcast, "inj-g722", "ESTABLISHED", 10)
        sender = PcapSender(sink_a.sock, our_rtp_port(sipp_a), "pcma-440hz-5s.pcap", PCMA_PT, 160)
        self.addCleanup(sender.stop)
        wait_for(lambda: sink_a.received(9), 10,
                 message=lambda: "no G.722 from sipcast\n" + self.sipcast.log())
        sender.payloads, sender.first = PcapSender.read_payloads("g722-440hz-3s.pcap"), sender.sent
        sender.pt = 9
        status, streams, _ = self.sipcast.rest("/stream/find_all", {})
        self.assertEqual({s["name"]: s["audioCodec"] for s in streams}["studio-g722"],
                         "G722/8000", streams)

        # its named stream, decoded by the new chain, is heard in call B
        sipp_b, sink = self.talkback_call("inj-g722-b")
        self.rest_ok("/call/inject_stream", {"callId": "inj-g722-b",
                                             "streamName": "studio-g722"})
        start = time.monotonic()
        time.sleep(1.5)
        stop = time.monotonic()
        self.assertGreater(self.level(sink, 440, start + 0.5, stop), 1000,
                           "call A's tone is not heard in call B after its codec change")
        for call_id in ("inj-g722", "inj-g722-b"):
            self.terminate(call_id)
        self.assert_sipp_passed(sipp_a)
        self.assert_sipp_passed(sipp_b)

    def test_bad_injections(self):
        sipp, _ = self.talkback_call("inj-bad")
        cases = [
            ("/call/inject_stream", {"callId": "inj-bad", "streamName": "inj-bad"}, 400),
            ("/call/inject_stream", {"callId": "inj-bad", "streamName": "no-such"}, 404),
            ("/call/inject_stream", {"callId": "no-such", "streamName": "inj-bad"}, 404),
            ("/call/inject_stream", {"callId": "inj-bad"}, 400),
            ("/call/inject_stream/terminate", {"callId": "inj-bad"}, 404),
            ("/call/inject_sound", {"callId": "inj-bad", "fileName": "missing.wav"}, 404),
            ("/call/inject_sound", {"callId": "inj-bad", "fileName": "../etc/passwd"}, 400),
            ("/call/inject_sound", {"callId": "inj-bad", "fileName": "/etc/passwd"}, 400),
            ("/call/inject_sound", {"callId": "inj-bad"}, 400),
            ("/call/inject_sound", {"callId": "inj-bad", "fileName": "tone-1k.wav",
                                    "loop": "often"}, 400),
            ("/call/inject_sound", {"callId": "no-such", "fileName": "tone-1k.wav"}, 404),
        ]
        for method, body, expected in cases:
            status, answer, headers = self.sipcast.rest(method, body)
            self.assert_error(answer, status, expected, headers)
        # a file that is not audio fails in the pipeline, not the call
        self.rest_ok("/call/inject_sound", {"callId": "inj-bad", "fileName": "not-audio.wav"})
        time.sleep(0.5)
        self.assertEqual(self.find("inj-bad")["status"], "ESTABLISHED", self.sipcast.log())
        self.terminate("inj-bad")
        self.assert_sipp_passed(sipp)


class NoStreamsTest(GatewayTestCase):
    with_nginx = False

    def test_no_streams_is_404(self):
        status, answer, headers = self.sipcast.rest("/stream/find_all", {})
        self.assert_error(answer, status, 404, headers)


if __name__ == "__main__":
    unittest.main()

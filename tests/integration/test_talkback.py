"""What sipcast sends toward the far end: continuous RTP in the negotiated
codec from the answer on, and DTMF as RFC 2833 events or SIP INFO.

The far end (tests/sip/uas-talkback.xml) names this test's own UDP socket
as its RTP address, so every packet sipcast sends to the call is read and
decoded here; sipp's message trace shows the INFO requests.

    python3 tests/integration/tap.py test_talkback
"""

import re
import struct
import time
import unittest

import harness
from gateway import PCMA_PT, TALKBACK_CONFIG, GatewayTestCase
from harness import wait_status

EVENT_PT = 101
# RFC 4733 event codes of the DTMF digits
EVENTS = {d: i for i, d in enumerate("0123456789*#ABCD")}


def events(packets):
    """The RFC 4733 events in packets: [(digit, [(end, duration), ...]), ...]
    grouped by event timestamp, in order."""
    digits = {v: k for k, v in EVENTS.items()}
    grouped = []
    for packet in packets:
        event, flags, duration = struct.unpack("!BBH", packet["payload"][:4])
        if not grouped or grouped[-1][0] != packet["ts"]:
            grouped.append((packet["ts"], digits.get(event, "?"), []))
        grouped[-1][2].append((bool(flags & 0x80), duration))
    return [(digit, updates) for _, digit, updates in grouped]


class TalkBackTest(GatewayTestCase):
    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        return TALKBACK_CONFIG

    def send_dtmf(self, call_id, dtmf, dtmf_type=None):
        body = {"callId": call_id, "dtmf": dtmf}
        if dtmf_type is not None:
            body["type"] = dtmf_type
        return self.sipcast.rest("/call/send_dtmf", body)

    def test_silence_flows_from_the_answer_on(self):
        sipp, sink = self.talkback_call("tb-silence")
        start = time.monotonic()
        time.sleep(2.2)
        audio = [p for p in sink.received(PCMA_PT) if p["time"] >= start + 0.2]
        gaps = [b["time"] - a["time"] for a, b in zip(audio, audio[1:])]
        stalls = ["%.3f s at %.3f" % (gap, a["time"] - start)
                  for gap, a in zip(gaps, audio) if gap > 0.05]
        # 2 s at 20 ms per packet, paced in real time, not in a burst
        self.assertTrue(90 <= len(audio) <= 110, "%d packets in 2 s; stalls: %s"
                        % (len(audio), stalls))
        self.assertLess(max(gaps), 0.1, "RTP stalled: %s" % stalls)
        self.assertEqual({len(p["payload"]) for p in audio}, {160})
        steps = {(b["seq"] - a["seq"]) & 0xFFFF for a, b in zip(audio, audio[1:])}
        self.assertEqual(steps, {1}, "sequence numbers not contiguous")
        self.assertEqual({(b["ts"] - a["ts"]) & 0xFFFFFFFF for a, b in zip(audio, audio[1:])},
                         {160})
        # A-law silence: 0xD5 (and its neighbour 0x55 for -0)
        self.assertTrue(all(set(p["payload"]) <= {0xD5, 0x55} for p in audio),
                        "not silence: %r" % audio[0]["payload"][:16])
        self.terminate("tb-silence")
        self.assert_sipp_passed(sipp)

    def test_rfc2833_digits(self):
        sipp, sink = self.talkback_call("tb-2833")
        status, answer, _ = self.send_dtmf("tb-2833", "19#*AD", "RFC2833")
        self.assertEqual((status, answer), (200, {}))
        # 6 digits of 250 ms tone + 100 ms gap
        harness.wait_for(lambda: len([e for e in events(sink.received(EVENT_PT))
                                      if any(end for end, _ in e[1])]) == 6,
                         5, message=lambda: "events: %s\n%s"
                         % (events(sink.received(EVENT_PT)), self.sipcast.log()))
        got = events(sink.received(EVENT_PT))
        self.assertEqual("".join(digit for digit, _ in got), "19#*AD")
        audio_ssrc = {p["ssrc"] for p in sink.received(PCMA_PT)}
        self.assertEqual({p["ssrc"] for p in sink.received(EVENT_PT)}, audio_ssrc,
                         "events and audio are one RTP stream")
        for digit, updates in got:
            durations = [d for _, d in updates]
            self.assertEqual(durations, sorted(durations), "duration shrinks in %s" % digit)
            ends = [d for end, d in updates if end]
            # RFC 4733 2.5.1.4: the end packet three times, same duration;
            # 250 ms at 8 kHz is 2000 timestamp units
            self.assertEqual(len(ends), 3, "%s: %s" % (digit, updates))
            self.assertEqual(len(set(ends)), 1)
            self.assertTrue(1600 <= ends[0] <= 4000, "%s lasted %d" % (digit, ends[0]))
        first = sink.received(EVENT_PT)[0]
        self.assertTrue(first["marker"], "the first packet of an event has the marker bit")
        self.terminate("tb-2833")
        self.assert_sipp_passed(sipp)

    def info_bodies(self, sipp, count):
        """(content type, body) of the INFO requests sipp received."""
        def infos():
            found = []
            for match in re.finditer(r"^INFO sip:.*?\n\n(.*?)(?=\n\n|\n-{5,}|\Z)",
                                     sipp.messages().replace("\r\n", "\n"), re.M | re.S):
                request = match.group(0)
                ctype = re.search(r"^Content-Type:\s*(\S+)", request, re.M | re.I)
                length = re.search(r"^Content-Length:\s*(\d+)", request, re.M | re.I)
                body = match.group(1)
                # sipp may not have written the whole message yet
                if length and len(body.replace("\n", "\r\n")) < int(length.group(1)) - 2:
                    return None
                found.append((ctype and ctype.group(1), body.strip()))
            return found if len(found) >= count else None
        return harness.wait_for(infos, 10, message=lambda: sipp.messages()[-3000:])

    def test_info_dtmf_relay(self):
        sipp, _ = self.talkback_call("tb-info")
        status, answer, _ = self.send_dtmf("tb-info", "5#", "INFO")
        self.assertEqual((status, answer), (200, {}))
        infos = self.info_bodies(sipp, 2)
        self.assertEqual([c for c, _ in infos], ["application/dtmf-relay"] * 2)
        self.assertRegex(infos[0][1], r"^Signal=5\s+Duration=250$")
        self.assertRegex(infos[1][1], r"^Signal=#\s+Duration=250$")
        self.terminate("tb-info")
        self.assert_sipp_passed(sipp)

    def test_info_relay_dtmf(self):
        sipp, _ = self.talkback_call("tb-relay")
        status, answer, _ = self.send_dtmf("tb-relay", "9*", "INFO_RELAY")
        self.assertEqual((status, answer), (200, {}))
        infos = self.info_bodies(sipp, 2)
        self.assertEqual(infos, [("application/dtmf", "9"), ("application/dtmf", "10")])
        self.terminate("tb-relay")
        self.assert_sipp_passed(sipp)

    def test_bad_dtmf_requests(self):
        sipp, sink = self.talkback_call("tb-bad")
        for dtmf, dtmf_type in (("12x", None), ("", None), ("1", "SMOKE")):
            status, answer, headers = self.send_dtmf("tb-bad", dtmf, dtmf_type)
            self.assert_error(answer, status, 400, headers)
        status, answer, headers = self.sipcast.rest("/call/send_dtmf",
                                                    {"callId": "tb-bad", "dtmf": 5})
        self.assertEqual(status, 200, answer)  # numbers are accepted as strings
        status, answer, headers = self.send_dtmf("no-such-call", "1")
        self.assert_error(answer, status, 404, headers)
        self.terminate("tb-bad")
        wait_status(self.sipcast, "tb-bad", "FINISH", 10)
        status, answer, headers = self.send_dtmf("tb-bad", "1")
        self.assert_error(answer, status, 409, headers)
        self.assert_sipp_passed(sipp)


if __name__ == "__main__":
    unittest.main()

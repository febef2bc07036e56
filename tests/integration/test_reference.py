"""The request and response examples of the Web Call Server documentation
(SPEC.md's reference, /work/shared/reference and the WCS /push page),
replayed as a WCS client sends them: the bodies as printed there (only the
addresses and ports are ours), the status codes and the fields of the
answers checked against the examples.

    python3 tests/integration/tap.py test_reference
"""

import time
import unittest

from gateway import CALL_KEYS, GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status

# The Push object of the reference's examples, in its order.
PUSH_KEYS = ["mediaSessionId", "streamName", "rtmpUrl", "width", "height", "muted",
             "soundEnabled", "options"]


class ReferenceTest(GatewayTestCase):

    def post(self, method, body, expected_status):
        status, answer, _ = self.sipcast.rest(method, body)
        self.assertEqual(status, expected_status, "%s %s -> %s\n%s"
                         % (method, body, answer, self.logs()))
        return answer

    def test_reference_examples(self):
        far_a = self.sipp("uas-answer-pcma.xml")
        far_b = self.sipp("uas-answer-pcma.xml")
        url = self.nginx.url                         # rtmp://127.0.0.1:PORT/live/

        # /call/startup, the example body: every value a string
        startup = {
            "callId": "123456711", "callee": "10000", "toStream": "stream1",
            "rtmpUrl": url, "rtmpStream": "rtmp_stream1",
            "hasAudio": "true", "hasVideo": "true",
            "sipLogin": "10009", "sipAuthenticationName": "10009", "sipPassword": "1234",
            "sipDomain": LOOPBACK, "sipOutboundProxy": LOOPBACK,
            "sipPort": str(far_a.port), "appKey": "defaultApp",
            "sipRegisterRequired": "false"}
        self.assertEqual(self.post("/call/startup", startup, 200), {})
        # 409 - Conflict with an existing RTMP URL
        self.post("/call/startup", dict(startup, callId="123456712"), 409)

        # the older form: the SIP account nested in "connection"
        nested = {"callId": "123456713", "callee": "10001", "toStream": "mixer1_stream",
                  "hasAudio": "true", "hasVideo": "false",
                  "connection": {"sipLogin": "10010", "sipAuthenticationName": "10010",
                                 "sipPassword": "1234", "sipDomain": LOOPBACK,
                                 "sipPort": str(far_b.port), "appKey": "defaultApp",
                                 "sipRegisterRequired": "false"}}
        self.assertEqual(self.post("/call/startup", nested, 200), {})
        wait_status(self.sipcast, "123456711", "ESTABLISHED", 10)
        wait_status(self.sipcast, "123456713", "ESTABLISHED", 10)

        # /call/find {"status": "ESTABLISHED"}, and by callId
        calls = self.post("/call/find", {"status": "ESTABLISHED"}, 200)
        self.assertEqual(sorted(c["callId"] for c in calls), ["123456711", "123456713"])
        call = self.post("/call/find", {"callId": "123456711"}, 200)
        self.assertEqual(len(call), 1)
        call = call[0]
        self.assertEqual(list(call)[:len(CALL_KEYS)], CALL_KEYS)
        self.assertEqual(call["custom"], {})
        self.assertIsNone(call["nodeId"])
        self.assertEqual(call["appKey"], "defaultApp")
        self.assertIsNone(call["sessionId"])
        self.assertIsNone(call["parentCallId"])
        self.assertIs(call["incoming"], False)
        self.assertEqual(call["status"], "ESTABLISHED")
        self.assertEqual(call["sipStatus"], 200)
        self.assertEqual((call["rtmpUrl"], call["rtmpStream"]), (url, "rtmp_stream1"))
        self.assertEqual(call["streamName"], "stream1")
        self.assertIn(call["rtmpStreamStatus"], ("RTMP_STREAM_WAIT", "RTMP_STREAM_ACTIVE"))
        self.assertEqual((call["caller"], call["callee"]), ("10009", "10000"))
        self.assertIs(call["hasAudio"], True)
        self.assertIs(call["hasVideo"], True)
        self.assertIsInstance(call["sdp"], str)
        self.assertEqual(call["mediaProvider"], "SIP")
        self.assertIs(call["isMsrp"], False)
        self.assertIs(call["holdForTransfer"], False)
        self.assertIsNone(call["target"])
        # 404 - call with the given parameters is not found
        self.post("/call/find", {"callId": "R08NQya-5NMe5v7q-JNkboaS-CGMlFi"}, 404)
        # the nested account filters a find too
        found = self.post("/call/find", {"connection": {"sipLogin": "10010"}}, 200)
        self.assertEqual([c["callId"] for c in found], ["123456713"])
        self.assertEqual(found[0]["caller"], "10010")
        self.post("/call/find", {"connection": {"sipLogin": "nobody"}}, 404)
        self.post("/call/find", {"connection": "10010"}, 400)

        # /call/find_all {}
        self.assertEqual(len(self.post("/call/find_all", {}, 200)), 2)

        # /call/send_dtmf, the example
        self.assertEqual(self.post("/call/send_dtmf", {
            "callId": "123456711", "dtmf": "9", "type": "RFC2833"}, 200), {})
        self.post("/call/send_dtmf", {"callId": "52173e00-13b6-11e7-b817-c1649197cae8",
                                      "dtmf": "9", "type": "RFC2833"}, 404)

        # /call/inject_stream, the example: mixer1_stream is the second call's
        self.assertEqual(self.post("/call/inject_stream", {
            "callId": "123456711", "streamName": "mixer1_stream"}, 200), {})
        self.post("/call/inject_stream", {"callId": "ad5ac8a0-b518-11e7-82c7-999b45e427ba",
                                          "streamName": "mixer1_stream"}, 404)

        # /push/startup, the example of the WCS /push page (its stream is
        # the second call's: the first publishes rtmp_stream1 itself)
        push = self.post("/push/startup", {
            "streamName": "mixer1_stream", "rtmpUrl": url.rstrip("/"),
            "rtmpTransponderFullUrl": False, "options": {}}, 200)
        self.assertEqual(list(push)[:len(PUSH_KEYS)], PUSH_KEYS)
        self.assertEqual(push["streamName"], "rtmp_mixer1_stream")
        self.assertEqual(push["rtmpUrl"], url.rstrip("/"))
        self.assertEqual((push["width"], push["height"]), (0, 0))   # audio only
        self.assertIs(push["muted"], False)
        self.assertIs(push["soundEnabled"], False)
        self.assertEqual(push["options"], {})
        # 409 - Conflict: a transponder for that stream and rtmpUrl exists,
        # and rtmp_stream1 there is the first call's own
        self.post("/push/startup", {"streamName": "mixer1_stream",
                                    "rtmpUrl": url.rstrip("/")}, 409)
        self.post("/push/startup", {"streamName": "stream1", "rtmpUrl": url.rstrip("/")}, 409)

        # /push/find by the example's filter, /push/find_all
        found = self.post("/push/find", {"streamName": "rtmp_mixer1_stream",
                                          "rtmpUrl": url.rstrip("/")}, 200)
        self.assertEqual([p["mediaSessionId"] for p in found], [push["mediaSessionId"]])
        self.assertEqual(list(found[0])[:len(PUSH_KEYS)], PUSH_KEYS)
        self.assertEqual(len(self.post("/push/find_all", {}, 200)), 1)
        # 404 - Transponder not found
        self.post("/push/find", {"streamName": "name"}, 404)
        # /push/terminate
        self.assertEqual(self.post("/push/terminate",
                                   {"mediaSessionId": push["mediaSessionId"]}, 200), {})
        self.post("/push/terminate", {"mediaSessionId": "eume87rjk3df1i9u14elffga6t"}, 404)
        wait_for(lambda: self.sipcast.rest("/push/find_all", {})[0] == 404, 10,
                 message=lambda: "the push never went\n" + self.logs())

        # /call/terminate, the example; then it is gone
        self.assertEqual(self.post("/call/terminate", {"callId": "123456711"}, 200), {})
        self.assertEqual(self.post("/call/terminate", {"callId": "123456713"}, 200), {})
        self.post("/call/terminate", {"callId": "becee2c0-13b4-11e7-b817-c1649197cae8"}, 404)
        wait_status(self.sipcast, "123456711", "FINISH", 10)
        self.assert_sipp_passed(far_a)
        self.assert_sipp_passed(far_b)


if __name__ == "__main__":
    unittest.main()

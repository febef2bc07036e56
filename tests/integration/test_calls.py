"""sipcast end to end: REST request -> SIP call to sipp -> RTMP to nginx.

Each class runs one nginx-rtmp and one sipcast for all its tests; each test
starts the sipp far ends it calls. The far ends play a 440 Hz tone (see
tests/media), so a recording can be checked for the tone itself, not only
for a valid file.

    python3 tests/integration/tap.py tests/integration/test_calls.py

runs them against build/src/sipcast (SIPCAST_BIN overrides it);
SIPCAST_TEST_KEEP=1 keeps the run's files (logs, recordings) for a look.
"""

import http.client
import json
import re
import threading
import time
import unittest

import harness
from gateway import BOOLEAN_KEYS, CALL_KEYS, GatewayTestCase
from harness import LOOPBACK, wait_for, wait_status

class CallFlowTest(GatewayTestCase):
    """One call per test, through each way a call can go."""

    def check_answered_call(self, scenario, call_id):
        sipp = self.sipp(scenario)
        self.start_call(call_id, sipp, rtmpUrl=self.nginx.url, rtmpStream=call_id)
        wait_status(self.sipcast, call_id, "ESTABLISHED", 10)
        call = self.wait_publishing(call_id)
        live_from = time.monotonic()
        self.assertEqual(call["sipStatus"], 200, call)

        probe = harness.ffprobe_streams(self.nginx.url + call_id)
        self.assertEqual([(s["codec_type"], s["codec_name"]) for s in probe["streams"]],
                         [("audio", "aac")], probe)

        time.sleep(max(0, live_from + 4 - time.monotonic()))
        self.terminate(call_id)
        wait_status(self.sipcast, call_id, "FINISH", 10)
        self.assert_sipp_passed(sipp)  # it got the BYE
        self.assert_tone_flv(self.nginx.recorded(call_id), 3, 6)

    def test_answer_pcma(self):
        self.check_answered_call("uas-answer-pcma.xml", "pcma")

    def test_answer_pcmu(self):
        self.check_answered_call("uas-answer-pcmu.xml", "pcmu")

    def test_rtmp_active_means_publish_accepted(self):
        sipp = self.sipp("uas-answer-pcmu.xml")
        self.start_call("accepted", sipp, rtmpUrl=self.nginx.url, rtmpStream="accepted")
        wait_status(self.sipcast, "accepted", "ESTABLISHED", 10)
        self.wait_publishing("accepted")
        # nginx takes harness.PUBLISH_DELAY to accept a publish
        self.assertTrue(self.nginx.events("publish", "accepted"),
                        "RTMP_STREAM_ACTIVE before nginx accepted the publish\n"
                        + self.logs(sipp))
        self.terminate("accepted")
        self.assert_sipp_passed(sipp)

    def test_ring_then_answer(self):
        sipp = self.sipp("uas-ring-answer.xml")
        self.start_call("ring", sipp)
        statuses = wait_status(self.sipcast, "ring", "ESTABLISHED", 10)
        # the far end rings for 1.5 s: too long for a poll to miss
        self.assertIn("RING", statuses)
        self.assertLess(statuses.index("RING"), statuses.index("ESTABLISHED"), statuses)
        call = self.find("ring")
        self.assertEqual(call["sipStatus"], 200, call)
        # no rtmpUrl: received, not published
        self.assertIsNone(call["rtmpStreamStatus"], call)
        self.terminate("ring")
        wait_status(self.sipcast, "ring", "FINISH", 10)
        self.assert_sipp_passed(sipp)

    def test_busy(self):
        sipp = self.sipp("uas-busy.xml")
        self.start_call("busy", sipp, rtmpUrl=self.nginx.url, rtmpStream="busy")
        wait_status(self.sipcast, "busy", "BUSY", 10)
        self.assertEqual(self.find("busy")["sipStatus"], 486)
        self.assert_sipp_passed(sipp)  # it got the ACK
        # a publish, had one begun, would have been allowed by now
        time.sleep(harness.PUBLISH_DELAY)
        self.assertEqual(self.nginx.events("publish", "busy"), [],
                         "a call that was never answered was published")

    def test_cancel_before_answer(self):
        sipp = self.sipp("uas-no-answer.xml")
        self.start_call("cancel", sipp)
        wait_status(self.sipcast, "cancel", "RING", 10)
        self.terminate("cancel")
        self.assert_sipp_passed(sipp)  # it got the CANCEL and the ACK of the 487
        wait_status(self.sipcast, "cancel", "FAILED", 10)
        self.assertEqual(self.find("cancel")["sipStatus"], 487)

    def test_far_end_hangs_up(self):
        sipp = self.sipp("uas-far-bye.xml")
        self.start_call("farbye", sipp, rtmpUrl=self.nginx.url, rtmpStream="farbye")
        wait_status(self.sipcast, "farbye", "ESTABLISHED", 10)
        # sipp hangs up 3 s after the answer
        wait_status(self.sipcast, "farbye", "FINISH", 15)
        self.assert_sipp_passed(sipp)  # its BYE got a 200
        self.assert_tone_flv(self.nginx.recorded("farbye"), 1.5, 4.5)

    def test_record_to_file(self):
        path = harness.run_dir() / "file-call.flv"
        sipp = self.sipp("uas-answer-pcmu.xml")
        self.start_call("file", sipp, rtmpUrl="file://%s" % path)
        wait_status(self.sipcast, "file", "ESTABLISHED", 10)
        time.sleep(3)
        self.terminate("file")
        wait_status(self.sipcast, "file", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        self.assert_tone_flv(path, 2, 4.5)

    def test_file_outside_recordings_dir_is_400(self):
        # a file the daemon could write, but outside [media] recordings-dir
        victim = harness.run_dir().parent / ("sipcast-victim-%d.conf" % self.sipcast.rest_port)
        victim.write_text("precious\n")
        self.addCleanup(victim.unlink)
        self.addCleanup(self.hang_up, "outside")
        status, answer, _ = self.sipcast.rest("/call/startup", {
            "callId": "outside", "callee": "1000", "sipDomain": LOOPBACK,
            "sipPort": harness.free_port("udp"), "rtmpUrl": "file://%s" % victim})
        self.assert_error(answer, status, 400)
        self.assertIn("recordings-dir", answer["message"])
        self.assertEqual(victim.read_text(), "precious\n")

    def test_file_is_never_overwritten_nor_a_link_followed(self):
        victim = harness.run_dir() / "other.txt"
        victim.write_text("precious\n")
        link = harness.run_dir() / "link.flv"
        link.symlink_to(victim)
        existing = harness.run_dir() / "existing.flv"
        existing.write_text("old recording\n")
        for name, path in (("overwrite-link", link), ("overwrite-file", existing)):
            with self.subTest(path=path.name):
                sipp = self.sipp("uas-answer-pcmu.xml")
                self.start_call(name, sipp, rtmpUrl="file://%s" % path)
                wait_status(self.sipcast, name, "ESTABLISHED", 10)
                call = wait_for(lambda: (lambda c: c if c["rtmpStreamStatus"]
                                         == "RTMP_CONNECTION_FAILED" else None)(self.find(name)),
                                5, message=lambda: self.sipcast.log())
                self.assertIn("exists already", call["rtmpStreamStatusInfo"], call)
                self.terminate(name)
                wait_status(self.sipcast, name, "FINISH", 10)
                self.assert_sipp_passed(sipp)
        self.assertEqual(victim.read_text(), "precious\n")
        self.assertEqual(existing.read_text(), "old recording\n")

    def test_rtmp_url_query_is_kept(self):
        sipp = self.sipp("uas-answer-pcmu.xml")
        url = "rtmp://%s:%d/live?token=abc" % (LOOPBACK, self.nginx.port)
        self.start_call("query", sipp, rtmpUrl=url, rtmpStream="s8")
        wait_status(self.sipcast, "query", "ESTABLISHED", 10)
        publish = wait_for(lambda: self.nginx.events("publish", "s8"), 10,
                           message=lambda: "nothing published as s8\n" + self.logs(sipp))[0]
        self.assertEqual(publish["app"], "live", publish)
        # nginx-rtmp passes the publish name's query on as form fields and
        # keeps the connect URL's in tcurl: either way the token arrived
        self.assertTrue(publish.get("token") == "abc" or "token=abc" in publish["tcurl"],
                        publish)
        time.sleep(1)
        self.terminate("query")
        self.assert_sipp_passed(sipp)
        self.assert_tone_flv(self.nginx.recorded("s8"), 0.5, 4)


class RestApiTest(GatewayTestCase):
    """The REST rules of SPEC.md: status codes, error bodies, filters."""

    def test_get_is_405(self):
        status, answer, headers = self.sipcast.rest("/call/find_all", http_method="GET")
        self.assert_error(answer, status, 405, headers)
        # HTTP requires a 405 to say which methods are allowed
        self.assertIn("POST", headers.get("Allow", ""), headers)

    def test_malformed_json_is_400(self):
        status, answer, headers = self.sipcast.rest("/call/startup", raw='{"callee": ')
        self.assert_error(answer, status, 400, headers)

    def test_wrong_type_is_400(self):
        sipp_port = harness.free_port("udp")  # nobody there, should a call be placed
        body = {"callId": "wrongtype", "callee": "1000", "sipDomain": LOOPBACK,
                "sipPort": sipp_port, "hasAudio": 5}
        self.addCleanup(self.hang_up, "wrongtype")
        status, answer, _ = self.sipcast.rest("/call/startup", body)
        self.assert_error(answer, status, 400)

    def test_missing_callee_is_400(self):
        self.addCleanup(self.hang_up, "nocallee")
        status, answer, _ = self.sipcast.rest(
            "/call/startup", {"callId": "nocallee", "sipDomain": LOOPBACK})
        self.assert_error(answer, status, 400)

    def test_unusable_rtmp_url_is_400(self):
        self.addCleanup(self.hang_up, "badurl")
        status, answer, _ = self.sipcast.rest(
            "/call/startup", {"callId": "badurl", "callee": "1000",
                              "sipDomain": LOOPBACK, "rtmpUrl": "http://x"})
        self.assert_error(answer, status, 400)

    def test_unknown_call_is_404(self):
        for method in ("/call/find", "/call/terminate"):
            with self.subTest(method=method):
                status, answer, _ = self.sipcast.rest(method, {"callId": "no-such-call"})
                self.assert_error(answer, status, 404)

    def test_empty_body_counts_as_empty_object(self):
        empty = self.sipcast.rest("/call/find_all", raw="")
        braces = self.sipcast.rest("/call/find_all", raw="{}")
        self.assertIn(braces[0], (200, 404), braces)
        self.assertEqual(empty[:2], braces[:2])

    def raw_post(self, method, body, headers):
        """POST with exactly these headers (http.client adds Host and
        Content-Length only)."""
        conn = http.client.HTTPConnection(LOOPBACK, self.sipcast.rest_port, timeout=15)
        try:
            conn.request("POST", "/rest-api" + method, body, headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        try:
            return response.status, json.loads(text)
        except ValueError:
            return response.status, text

    def test_cross_site_requests_are_refused(self):
        # what a web page on another site can make a browser send to
        # 127.0.0.1 without asking first: text/plain or form bodies, with
        # its Origin; or anything, after pointing its own name at
        # 127.0.0.1 (DNS rebinding)
        self.addCleanup(self.hang_up, "xsite")
        body = json.dumps({"callId": "xsite", "callee": "1000", "sipDomain": LOOPBACK,
                           "sipPort": harness.free_port("udp")})
        for content_type in ("text/plain", "application/x-www-form-urlencoded",
                             "multipart/form-data; boundary=x"):
            with self.subTest(content_type=content_type):
                status, answer = self.raw_post("/call/startup", body, {
                    "Content-Type": content_type, "Origin": "http://evil.example"})
                self.assertIn(status, (403, 415), answer)
                status, answer = self.raw_post("/call/startup", body, {
                    "Content-Type": content_type})
                self.assert_error(answer, status, 415)
        with self.subTest("no Content-Type"):
            status, answer = self.raw_post("/call/startup", body, {})
            self.assert_error(answer, status, 415)
        with self.subTest("foreign Origin"):
            status, answer, _ = self.sipcast.rest(
                "/call/startup", raw=body, headers={"Origin": "http://evil.example"})
            self.assert_error(answer, status, 403)
            self.assertIn("allowed-origins", answer["message"])
        with self.subTest("rebound Host"):
            status, answer, _ = self.sipcast.rest(
                "/call/find_all", {}, headers={"Host": "attacker.example:%d"
                                               % self.sipcast.rest_port})
            self.assert_error(answer, status, 403)
            self.assertIn("allowed-hosts", answer["message"])
        status, answer, _ = self.sipcast.rest("/call/find", {"callId": "xsite"})
        self.assert_error(answer, status, 404)
        # what the API's own pages, curl and sipcastctl send still works
        own = "http://%s:%d" % (LOOPBACK, self.sipcast.rest_port)
        status, answer, headers = self.sipcast.rest("/call/find_all", {},
                                                    headers={"Origin": own})
        self.assertIn(status, (200, 404), answer)
        status, answer = self.raw_post("/call/find_all", "", {})
        self.assertIn(status, (200, 404), answer)
        status, answer, _ = self.sipcast.rest(
            "/call/find_all", {}, headers={"Content-Type": "Application/JSON; charset=utf-8",
                                           "Host": "localhost:%d" % self.sipcast.rest_port})
        self.assertIn(status, (200, 404), answer)

    def test_body_too_large_is_413(self):
        raw = '{"callee": "%s"}' % ("1" * (2 * 1024 * 1024))
        status, answer, _ = self.sipcast.rest("/call/startup", raw=raw)
        self.assert_error(answer, status, 413)

    def test_duplicates_are_409(self):
        sipp = self.sipp("uas-answer-pcmu.xml")
        self.start_call("dup", sipp, callee="3000", rtmpUrl=self.nginx.url,
                        rtmpStream="dup")
        wait_status(self.sipcast, "dup", "ESTABLISHED", 10)
        with self.subTest("same callId"):
            status, answer, _ = self.sipcast.rest(
                "/call/startup", self.startup_body("dup", sipp, callee="3001"))
            self.assert_error(answer, status, 409)
        with self.subTest("same rtmpUrl and rtmpStream"):
            self.addCleanup(self.hang_up, "dup2")
            status, answer, _ = self.sipcast.rest("/call/startup", self.startup_body(
                "dup2", sipp, callee="3002", rtmpUrl=self.nginx.url, rtmpStream="dup"))
            self.assert_error(answer, status, 409)
        self.terminate("dup")
        self.assert_sipp_passed(sipp)

    def found_ids(self, query):
        status, calls, _ = self.sipcast.rest("/call/find", query)
        if status == 404:
            return set()
        self.assertEqual(status, 200, calls)
        return {call["callId"] for call in calls}

    def test_find_filters_are_and_ed(self):
        sipp_a = self.sipp("uas-answer-pcmu.xml")
        sipp_b = self.sipp("uas-answer-pcma.xml")
        url = self.nginx.url
        self.start_call("find-a", sipp_a, callee="4001", rtmpUrl=url, rtmpStream="find-a")
        self.start_call("find-b", sipp_b, callee="4002", rtmpUrl=url, rtmpStream="find-b")
        wait_status(self.sipcast, "find-a", "ESTABLISHED", 10)
        wait_status(self.sipcast, "find-b", "ESTABLISHED", 10)

        self.assertEqual(self.found_ids({"callee": "4001"}), {"find-a"})
        self.assertEqual(self.found_ids({"callee": "4002", "status": "ESTABLISHED"}),
                         {"find-b"})
        self.assertEqual(self.found_ids({"callee": "4001", "status": "RING"}), set())
        status, answer, _ = self.sipcast.rest("/call/find", {"callee": "4001", "status": "RING"})
        self.assert_error(answer, status, 404)
        self.assertEqual(self.found_ids({"rtmpUrl": url, "callee": "4002"}), {"find-b"})
        self.assertEqual(self.found_ids({"rtmpUrl": url, "status": "ESTABLISHED"}),
                         {"find-a", "find-b"})
        status, calls, _ = self.sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 200, calls)
        self.assertLessEqual({"find-a", "find-b"}, {call["callId"] for call in calls})

        self.terminate("find-a")
        self.terminate("find-b")
        self.assert_sipp_passed(sipp_a)
        self.assert_sipp_passed(sipp_b)

    def test_call_object(self):
        sipp = self.sipp("uas-answer-pcmu.xml")
        self.start_call("object", sipp, callee="5000", rtmpUrl=self.nginx.url,
                        rtmpStream="object")
        wait_status(self.sipcast, "object", "ESTABLISHED", 10)
        self.wait_publishing("object")

        status, pairs, _ = self.sipcast.rest("/call/find", {"callId": "object"},
                                             object_pairs_hook=list)
        self.assertEqual(status, 200, pairs)
        keys = [key for key, _ in pairs[0]]
        self.assertEqual(keys[:len(CALL_KEYS)], CALL_KEYS)
        self.assertEqual(len(keys), len(set(keys)), "duplicate keys: %s" % keys)

        call = self.find("object")
        for key in BOOLEAN_KEYS:
            self.assertIsInstance(call[key], bool, key)
        self.assertIs(call["incoming"], False)
        self.assertIs(call["hasAudio"], True)   # sent as the string "true"
        self.assertIs(call["hasVideo"], False)
        self.assertIs(type(call["sipStatus"]), int, call)
        self.assertEqual(call["sipStatus"], 200)
        self.assertEqual(call["mediaProvider"], "SIP")
        self.assertEqual(call["status"], "ESTABLISHED")
        self.assertEqual(call["callId"], "object")
        self.assertEqual(call["callee"], "5000")
        self.assertEqual(call["rtmpUrl"], self.nginx.url)
        self.assertEqual(call["rtmpStream"], "object")
        # toStream defaults to the callId
        self.assertEqual(call["streamName"], "object")
        self.assertEqual(call["rtmpStreamStatus"], "RTMP_STREAM_ACTIVE")
        # the far end's SDP answer
        self.assertIsInstance(call["sdp"], str, call)
        self.assertIn("m=audio %d " % sipp.media_port, call["sdp"])

        self.terminate("object")
        self.assert_sipp_passed(sipp)


class ShutdownTest(GatewayTestCase):
    """SIGTERM with calls up: every call hung up, every FLV finished."""

    def test_sigterm_ends_simultaneous_calls(self):
        names = ["multi-1", "multi-2", "multi-3"]
        scenarios = ["uas-answer-pcmu.xml", "uas-answer-pcma.xml", "uas-answer-pcmu.xml"]
        sipps = [self.sipp(scenario) for scenario in scenarios]
        for index, (name, sipp) in enumerate(zip(names, sipps)):
            self.start_call(name, sipp, callee="600%d" % index,
                            rtmpUrl=self.nginx.url, rtmpStream=name)
        for name in names:
            wait_status(self.sipcast, name, "ESTABLISHED", 10)
            self.wait_publishing(name)
            wait_for(lambda: self.nginx.events("publish", name), 5,
                     message=lambda: "nginx never saw %s: %s" % (name, self.nginx.events()))
        time.sleep(2)

        self.sipcast.stop()
        for sipp in sipps:
            self.assert_sipp_passed(sipp)  # each got a BYE
        for name in names:
            self.assert_tone_flv(self.nginx.recorded(name), 1.5, 5)


class ProductionModeTest(GatewayTestCase):
    """--production: HTTP Basic auth on every request; the first start makes
    the account admin with a random password, logged once."""

    sipcast_args = ("--production",)
    with_nginx = False

    @classmethod
    def sipcast_config(cls):
        # not there yet: sipcast creates it with the default account
        users = harness.run_dir() / "production-users"
        return "[rest]\nusers-file=%s\n" % users

    def assert_unauthorized(self, auth):
        status, answer, headers = self.sipcast.rest("/call/find_all", {}, auth=auth)
        self.assert_error(answer, status, 401, headers)
        self.assertEqual(headers.get("WWW-Authenticate"), 'Basic realm="sipcast"')

    def test_no_credentials_is_401(self):
        self.assert_unauthorized(None)

    def test_wrong_password_is_401(self):
        self.assert_unauthorized(("admin", "wrong"))

    def admin(self):
        match = re.search(r"with the account admin, password (\w+) ", self.sipcast.log())
        self.assertIsNotNone(match, self.sipcast.log())
        return ("admin", match.group(1))

    def test_admin_admin_is_401(self):
        self.assert_unauthorized(("admin", "admin"))

    def test_zz_guessing_is_slowed_and_does_not_stall(self):
        # named to run last: it leaves 127.0.0.1 throttled for a moment
        admin = self.admin()
        status, answer, _ = self.sipcast.rest("/call/find_all", {}, auth=admin)
        self.assertIn(status, (200, 404), answer)
        # garbage credentials from several clients at once, while a
        # request with the (now remembered) right ones is timed: the
        # hashing happens off the main loop, so it is not held up
        results = []

        def guess(i):
            results.append(self.sipcast.rest("/call/find_all", {},
                                             auth=("admin", "guess%d" % i))[0])

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
        for thread in threads:
            thread.start()
        start = time.monotonic()
        status, answer, _ = self.sipcast.rest("/call/find_all", {}, auth=admin)
        elapsed = time.monotonic() - start
        for thread in threads:
            thread.join()
        self.assertIn(status, (200, 404), answer)
        self.assertLess(elapsed, 0.25 * harness.TIME_SCALE,
                        "a valid request took %.3f s" % elapsed)
        # a burst is not hashed all at once (429 beyond two at a time)
        self.assertEqual(results.count(401) + results.count(429), 20, results)
        self.assertGreaterEqual(results.count(429), 1, results)
        # after 5 failures the client waits: 429 with Retry-After, and
        # meanwhile not even the right password is looked at
        for _ in range(6):
            status, answer, headers = self.sipcast.rest("/call/find_all", {},
                                                        auth=("admin", "wrong"))
            if status == 429:
                break
        self.assert_error(answer, status, 429, headers)
        self.assertGreaterEqual(int(headers["Retry-After"]), 1)
        self.assertIn("failed logins", answer["message"])
        wait_for(lambda: self.sipcast.rest("/call/find_all", {}, auth=admin)[0] != 429,
                 35, interval=0.5)

    def test_generated_password_is_accepted(self):
        admin = self.admin()
        self.assertEqual(len(admin[1]), 20)
        sipp = self.sipp("uas-busy.xml")
        self.start_call("prod", sipp, auth=admin)
        self.assert_sipp_passed(sipp)  # the call was placed: 486, ACK
        status, calls, _ = self.sipcast.rest("/call/find", {"callId": "prod"}, auth=admin)
        self.assertEqual(status, 200, calls)
        self.assertEqual((calls[0]["callId"], calls[0]["status"]), ("prod", "BUSY"))


if __name__ == "__main__":
    unittest.main()

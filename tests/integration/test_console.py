"""The web console and WHEP in a real browser.

Debian's chromium, driven by playwright-core (tests/browser, installed by
tools/install-deps --test), loads the console sipcast serves at GET /,
starts a call to a sipp far end playing the test captures, plays it
through WHEP and hangs up; a bare WHEP player page served from another
origin plays a call in two tabs at once. The browser scripts print what
they measured as JSON; the assertions are here. Screenshots go to
$SIPCAST_TEST_OUTPUT (meson: build/meson-logs/browser), whose path each
test prints.
"""

import functools
import http.client
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import time
import unittest
from pathlib import Path

import harness
from harness import LOOPBACK, wait_for, wait_status
from test_media import MediaTestCase

BROWSER_DIR = harness.REPO / "tests" / "browser"
NODE = shutil.which("node")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Above silence (a fake or idle track gives 0), well below the sipp tone
# (-15 dBFS: RMS about 0.18).
MIN_RMS = 0.02

# What Chrome offers to a WHEP player (recvonly audio and video, one
# candidate), cut to what an answer needs.
BROWSER_OFFER = "\r\n".join([
    "v=0", "o=- 4337647964221346593 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
    "a=group:BUNDLE 0 1", "a=msid-semantic: WMS",
    "m=audio 46438 UDP/TLS/RTP/SAVPF 111 0", "c=IN IP4 127.0.0.1",
    "a=candidate:1 1 udp 2122194687 127.0.0.1 46438 typ host generation 0",
    "a=ice-ufrag:TdEJ", "a=ice-pwd:MpnJ63OdZLjg2r9tDFbRJTH7",
    "a=fingerprint:sha-256 B3:E4:82:FF:1F:08:DB:DF:3B:49:EC:3D:15:F5:0E:08:43:20:FD:FB:"
    "7B:DC:44:69:3E:7C:12:AC:99:0F:40:C6",
    "a=setup:actpass", "a=mid:0", "a=recvonly", "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:0 PCMU/8000",
    "m=video 46438 UDP/TLS/RTP/SAVPF 96 102", "c=IN IP4 127.0.0.1",
    "a=ice-ufrag:TdEJ", "a=ice-pwd:MpnJ63OdZLjg2r9tDFbRJTH7",
    "a=fingerprint:sha-256 B3:E4:82:FF:1F:08:DB:DF:3B:49:EC:3D:15:F5:0E:08:43:20:FD:FB:"
    "7B:DC:44:69:3E:7C:12:AC:99:0F:40:C6",
    "a=setup:actpass", "a=mid:1", "a=recvonly", "a=rtcp-mux",
    "a=rtpmap:96 VP8/90000", "a=rtpmap:102 H264/90000",
    "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
    ""])


def output_dir():
    path = Path(os.environ.get("SIPCAST_TEST_OUTPUT") or harness.run_dir() / "browser")
    path.mkdir(parents=True, exist_ok=True)
    return path


def browser_missing():
    if NODE is None:
        return "node is not installed"
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is not installed: tools/install-deps --test"
    if not os.access(CHROMIUM, os.X_OK):
        return "chromium is not installed: tools/install-deps --test"
    return None


class Browser:
    """tests/browser/@script run with @params: it starts chromium, prints
    "ready", and goes on once go() sends it more parameters; result() is
    the JSON it prints at the end."""

    def __init__(self, script, params):
        self.script = script
        self.proc = subprocess.Popen([NODE, str(BROWSER_DIR / script), json.dumps(params)],
                                     cwd=BROWSER_DIR, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise AssertionError("%s did not start: %s%s" % (script, line, self.proc.stderr.read()))

    def go(self, **params):
        self.proc.stdin.write(json.dumps(params) + "\n")
        self.proc.stdin.flush()

    def result(self, timeout=60):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        lines = out.strip().splitlines()
        if self.proc.returncode != 0 or not lines:
            raise AssertionError("%s exited with %s\n%s\n%s" % (
                self.script, self.proc.returncode, out, err))
        return json.loads(lines[-1])

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


# Chrome logs every 4xx answer as a console error.  These are the API's
# documented answers to a console doing its job: find_all is 404 when
# there is nothing to list (the reference API), and a daemon without the
# event stream answers 404 there (the console then polls).
EXPECTED_404 = re.compile(r"status of 404 .*\[http://[^/]+/rest-api/"
                          r"(call/find_all|push/find_all|stream/find_all|events)\]$")


def unexpected_errors(result):
    polling = result.get("live") == "poll"
    return [e for e in result["errors"]
            if not (EXPECTED_404.search(e) and (polling or not e.endswith("/events]")))]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class PageServer:
    """tests/browser over HTTP on its own port: another origin than sipcast."""

    def __init__(self):
        handler = functools.partial(_QuietHandler, directory=str(BROWSER_DIR))
        self.server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
        self.port = self.server.server_address[1]
        self.origin = "http://%s:%d" % (LOOPBACK, self.port)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class BrowserTestCase(MediaTestCase):
    with_nginx = False
    page_server = None

    @classmethod
    def setUpClass(cls):
        missing = browser_missing()
        if missing:
            raise unittest.SkipTest(missing)
        cls.page_server = PageServer()
        cls.addClassCleanup(cls.page_server.close)
        super().setUpClass()

    @classmethod
    def sipcast_config(cls):
        return "[rest]\nallowed-origins=%s\n" % cls.page_server.origin

    def base(self):
        return "http://%s:%d" % (LOOPBACK, self.sipcast.rest_port)

    def tone_sipp(self, name, seconds=20):
        """A far end answering PCMU that sends a 440 Hz tone for @seconds
        from the ACK on: the 5 s capture of tests/media would be over
        before a browser has started and negotiated."""
        return self.media_sipp(name, audio="pcmu", audio_pcap=False,
                               on_ack=[self.tone_sender(seconds)])

    @staticmethod
    def tone_sender(seconds):
        return ('<exec command="gst-launch-1.0 -q audiotestsrc is-live=true freq=440'
                ' volume=0.5 num-buffers=%d samplesperbuffer=160'
                ' ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay'
                ' ! udpsink host=127.0.0.1 port=[$audio_port]"/>' % (seconds * 50))

    def video_sipp(self, name, seconds=20, key_interval=1):
        """tone_sipp's far end with H.264 video too: a moving test picture,
        constrained baseline, a key frame every @key_interval seconds (and
        none when asked: it does not read RTCP), for @seconds from the ACK
        on (the 3 s captures of tests/media would be over too soon)."""
        sender = ('<exec command="gst-launch-1.0 -q videotestsrc is-live=true pattern=ball'
                  ' num-buffers=%d ! video/x-raw,width=320,height=240,framerate=15/1'
                  ' ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=%d'
                  ' ! video/x-h264,profile=constrained-baseline'
                  ' ! rtph264pay pt=96 config-interval=-1'
                  ' ! udpsink host=127.0.0.1 port=[$video_port]"/>'
                  % (seconds * 15, key_interval * 15))
        return self.media_sipp(name, audio="pcmu", audio_pcap=False,
                               video_lines=["a=rtpmap:96 H264/90000",
                                            "a=fmtp:96 profile-level-id=42e01f;"
                                            "packetization-mode=1"],
                               on_ack=[self.tone_sender(seconds), sender])

    def http(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(LOOPBACK, self.sipcast.rest_port, timeout=15)
        try:
            conn.request(method, path, body, headers or {})
            response = conn.getresponse()
            return response.status, response.read().decode(errors="replace"), response.headers
        finally:
            conn.close()


class WhepTest(BrowserTestCase):
    """/whep/NAME from a page of another origin, two viewers at once."""

    def test_bare_player_two_viewers(self):
        shots = output_dir()
        print("# screenshots in %s" % shots)
        browser = Browser("whep-page.mjs", {
            "page": self.page_server.origin + "/whep-client.html",
            "viewers": 2, "seconds": 0.5, "shotDir": str(shots)})
        self.addCleanup(browser.close)
        sipp = self.tone_sipp("whep-bare")
        self.start_call("whep-bare", sipp, toStream="bare-stream")
        wait_status(self.sipcast, "whep-bare", "ESTABLISHED", 10)
        browser.go(endpoint=self.base() + "/whep/bare-stream")
        result = browser.result()

        self.assertEqual(result["errors"], [], self.sipcast.log())
        self.assertEqual(len(result["viewers"]), 2, result)
        for viewer in result["viewers"]:
            self.assertIsNone(viewer["error"], "%s\n%s" % (viewer, self.sipcast.log()))
            self.assertEqual(viewer["status"], 201, viewer)
            self.assertRegex(viewer["location"], r"^/whep/bare-stream/[0-9a-f-]{36}$")
            self.assertEqual(viewer["state"], "connected", viewer)
            self.assertGreater(viewer["currentTime"], 0.3, viewer)
            self.assertGreater(viewer["maxRms"], MIN_RMS, "no tone: %s\n%s" % (viewer, self.logs(sipp)))
            self.assertEqual(viewer["deleteStatus"], 200, viewer)
        # one encoder for both: the second session joined the first's pipeline
        log = self.sipcast.log()
        self.assertIn("(2 viewer(s))", log)
        wait_for(lambda: "viewer(s)" in log and "0 left" in self.sipcast.log(), 5,
                 message=lambda: "the sessions were not ended\n" + self.sipcast.log())

    def test_http_contract(self):
        """Answers a WHEP client relies on, without a browser."""
        sipp = self.tone_sipp("whep-http")
        self.start_call("whep-http", sipp)
        wait_status(self.sipcast, "whep-http", "ESTABLISHED", 10)

        status, body, _ = self.http("POST", "/whep/no-such-stream", "v=0\r\n",
                                    {"Content-Type": "application/sdp"})
        self.assertEqual(status, 404, body)
        status, body, _ = self.http("POST", "/whep/whep-http", "{}",
                                    {"Content-Type": "application/json"})
        self.assertEqual(status, 415, body)
        status, body, _ = self.http("POST", "/whep/whep-http", "not sdp",
                                    {"Content-Type": "application/sdp"})
        self.assertEqual(status, 400, body)
        status, body, headers = self.http("GET", "/whep/whep-http")
        self.assertEqual((status, headers["Allow"]), (405, "POST"), body)
        status, body, _ = self.http("DELETE", "/whep/whep-http/nope")
        self.assertEqual(status, 404, body)

        # a session needs no ICE to be answered: a recorded browser offer
        status, answer, headers = self.http("POST", "/whep/whep-http", BROWSER_OFFER,
                                            {"Content-Type": "application/sdp"})
        self.assertEqual(status, 201, answer + self.sipcast.log())
        self.assertEqual(headers["Content-Type"], "application/sdp")
        self.assertRegex(answer, r"(?m)^m=audio \d+ UDP/TLS/RTP/SAVPF 111\r$")
        self.assertRegex(answer, r"(?m)^a=rtpmap:111 OPUS/48000/2\r$")
        self.assertRegex(answer, r"(?m)^a=sendonly\r$")
        # every host candidate is on the REST address, none elsewhere
        candidates = re.findall(r"(?m)^a=candidate:\S+ \d+ \S+ \d+ (\S+) ", answer)
        self.assertTrue(candidates, answer)
        self.assertEqual(set(candidates), {LOOPBACK}, answer)
        location = headers["Location"]
        self.assertRegex(location, r"^/whep/whep-http/[0-9a-f-]{36}$")
        # no trickle ICE: 405, as WHIP/WHEP allow
        status, body, headers = self.http("PATCH", location, "a=end-of-candidates\r\n",
                                          {"Content-Type": "application/trickle-ice-sdpfrag"})
        self.assertEqual((status, headers["Allow"]), (405, "DELETE"), body)
        # a session is only reachable under its own stream's name
        other = location.replace("/whep-http/", "/other/")
        self.assertEqual(self.http("DELETE", other)[0], 404)
        self.assertEqual(self.http("DELETE", location)[0], 200)
        self.assertEqual(self.http("DELETE", location)[0], 404)
        self.assertEqual(self.http("PATCH", location, "")[0], 404)
        # a page of the allowed origin may ask; any other is refused
        status, _, headers = self.http("OPTIONS", "/whep/whep-http", None, {
            "Origin": self.page_server.origin, "Access-Control-Request-Method": "POST"})
        self.assertEqual(status, 204)
        self.assertEqual(headers["Access-Control-Allow-Origin"], self.page_server.origin)
        self.assertIn("DELETE", headers["Access-Control-Allow-Methods"])
        self.assertIn("Location", headers["Access-Control-Expose-Headers"])
        status, _, _ = self.http("OPTIONS", "/whep/whep-http", None, {
            "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual(status, 403)


class WhepVideoTest(BrowserTestCase):
    """A call's video in a WHEP player: the call publishes to nginx-rtmp,
    as video is only received from a far end for a call that publishes."""

    with_nginx = True

    def test_video_call(self):
        """A call's H.264 in the browser as the far end sends it, with its
        audio: the picture has a size and moves, the tone goes on.  The
        viewer joins between two key frames 5 s apart, so the answer goes
        out before its video's first key frame (which once silenced the
        audio too)."""
        shots = output_dir()
        print("# screenshots in %s" % shots)
        browser = Browser("whep-page.mjs", {
            "page": self.page_server.origin + "/whep-client.html", "video": True,
            "viewers": 1, "seconds": 1.5, "shotDir": str(shots), "shot": "whep-video.png"})
        self.addCleanup(browser.close)
        sipp = self.video_sipp("whep-video", key_interval=5)
        self.start_call("whep-video", sipp, toStream="video-stream", hasVideo="true",
                        rtmpUrl=self.nginx.url, rtmpStream="whep-video")
        wait_status(self.sipcast, "whep-video", "ESTABLISHED", 10)
        time.sleep(2)
        browser.go(endpoint=self.base() + "/whep/video-stream")
        result = browser.result()
        viewer = result["viewers"][0]
        print("# playing after %s ms: %sx%s, %s frames decoded, %s s played, RMS %.3f (max %.3f)"
              % (result.get("playingAfterMs"), viewer.get("videoWidth"), viewer.get("videoHeight"),
                 viewer.get("video", {}).get("framesDecoded"), viewer.get("currentTime"),
                 viewer.get("rms", 0), viewer.get("maxRms", 0)))
        context = "%s\n%s\n%s" % (viewer, self.sipcast.log(), self.logs(sipp))

        self.assertEqual(result["errors"], [], context)
        self.assertIsNone(viewer["error"], context)
        self.assertRegex(viewer["answer"], r"(?m)^m=video \d+ UDP/TLS/RTP/SAVPF \d+\r$")
        self.assertEqual(viewer["state"], "connected", context)
        self.assertEqual((viewer["videoWidth"], viewer["videoHeight"]), (320, 240), context)
        self.assertGreater(viewer["video"]["framesDecoded"], 10, context)
        self.assertGreater(viewer["currentTime"], 1.0, context)
        self.assertGreater(viewer["maxRms"], MIN_RMS, context)
        self.assertGreater(viewer["rms"], MIN_RMS, "the tone stopped: " + context)


class ConsoleTest(BrowserTestCase):
    """The console in production mode, as an operator uses it: it asks for
    credentials and sends them with every request, REST, events and WHEP."""

    sipcast_args = ("--production",)
    # the call publishes: only then does it receive its far end's video
    with_nginx = True

    @classmethod
    def sipcast_config(cls):
        # created by sipcast with the account admin and a random password
        users = harness.run_dir() / "console-users"
        return super().sipcast_config() + "users-file=%s\n" % users

    def admin(self):
        match = re.search(r"with the account admin, password (\w+) ", self.sipcast.log())
        self.assertIsNotNone(match, self.sipcast.log())
        return ("admin", match.group(1))

    def test_console_is_public_and_the_api_is_not(self):
        status, page, headers = self.http("GET", "/")
        self.assertEqual(status, 200, page)
        self.assertTrue(headers["Content-Type"].startswith("text/html"), headers)
        self.assertIn("frame-ancestors 'none'", headers["Content-Security-Policy"])
        self.assertIn('src="/console/console.js"', page)
        for name, kind in [("console.js", "text/javascript"), ("whep.js", "text/javascript"),
                           ("console.css", "text/css"), ("icon.svg", "image/svg+xml")]:
            status, body, headers = self.http("GET", "/console/" + name)
            self.assertEqual(status, 200, name)
            self.assertTrue(headers["Content-Type"].startswith(kind), headers)
            self.assertGreater(len(body), 100, name)
        self.assertEqual(self.http("GET", "/console/nope.js")[0], 404)
        # not a console file: behind authentication like any other path
        self.assertEqual(self.http("GET", "/console/../sipcast.conf")[0], 401)
        status, config, _ = self.http("GET", "/console/config.json")
        self.assertEqual((status, json.loads(config)), (200, {"production": True}))
        self.assertEqual(self.http("POST", "/", "x")[0], 405)
        # WHEP and the API still want credentials
        status, _, headers = self.http("POST", "/whep/any", "v=0\r\n",
                                       {"Content-Type": "application/sdp"})
        self.assertEqual(status, 401)
        self.assertEqual(headers["WWW-Authenticate"], 'Basic realm="sipcast"')
        self.assertEqual(self.http("GET", "/elsewhere")[0], 401)

    def test_call_from_the_console(self):
        shots = output_dir()
        print("# screenshots in %s" % shots)
        user, password = self.admin()
        browser = Browser("console.mjs", {"base": self.base(), "shotDir": str(shots),
                                          "credentials": [user, password], "video": True})
        self.addCleanup(browser.close)
        sipp = self.video_sipp("console")
        self.addCleanup(self.hang_up, "console-call", (user, password))
        browser.go(call={"callee": "1000", "callId": "console-call",
                         "sipDomain": LOOPBACK, "sipPort": sipp.port,
                         "rtmpUrl": self.nginx.url, "rtmpStream": "console-call"})
        result = browser.result(timeout=90)
        logs = self.logs(sipp)

        self.assertEqual(unexpected_errors(result), [], "%s\n%s" % (result, logs))
        self.assertTrue(result.get("askedForCredentials"), result)
        self.assertIn(result["live"], ("up", "poll"), result)
        self.assertLess(result["establishedAfterMs"], 5000, result)
        self.assertIn("ESTABLISHED", result["rowText"])
        self.assertIn("PCMU/8000", result["rowText"])
        self.assertIn("H264/90000", result["rowTextPlaying"])
        self.assertIn("outgoing", result["rowText"])
        playing = result["playing"]
        self.assertIsNotNone(playing, "never played: %s\n%s" % (result, logs))
        self.assertGreater(playing["rms"], MIN_RMS, result)
        self.assertEqual(playing["videoWidth"], 320, result)
        after = result["afterSecond"]
        self.assertGreater(after["currentTime"], playing["currentTime"] + 0.5, result)
        # the picture goes on, and so does the sound with it
        self.assertEqual(after["videoWidth"], 320, result)
        self.assertGreater(after["rms"], MIN_RMS, result)
        self.assertEqual(after["playState"], "Playing", result)
        self.assertTrue(result.get("finished"), result)
        self.assertLessEqual(result["phoneOverflow"], 0, result)
        self.assertEqual((result["rememberedLogin"], result["rememberedPort"],
                          result["rememberedPassword"]), ("sipcast", str(sipp.port), ""), result)
        # the call went through sipcast's REST API with the credentials
        self.assertEqual(self.find_as("console-call", (user, password))["status"], "FINISH")
        self.assert_sipp_passed(sipp)

    def find_as(self, call_id, auth):
        status, calls, _ = self.sipcast.rest("/call/find", {"callId": call_id}, auth=auth)
        self.assertEqual(status, 200, calls)
        return calls[0]


if __name__ == "__main__":
    unittest.main()

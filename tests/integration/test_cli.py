"""sipcastctl as people and scripts use it: the short commands (calls, call
start|find|end, dtmf, push …, events), tables and --json, exit statuses
that mirror the HTTP status, the raw METHOD JSON form, and the Russian
help.

    python3 tests/integration/tap.py test_cli
"""

import http.server
import json
import os
import subprocess
import threading
import unittest
from pathlib import Path

import harness
from gateway import GatewayTestCase
from harness import wait_status

CTL = Path(os.environ.get("SIPCASTCTL_BIN", harness.REPO / "build" / "src" / "sipcastctl"))


def run_ctl(*args, env=None, timeout=20):
    return subprocess.run([str(CTL), *args], capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


class FakeServer:
    """An HTTP server on loopback answering every request with one fixed
    answer (status, content type, body), recording the paths asked for."""

    def __init__(self, status, content_type, body):
        self.paths = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                outer.paths.append(self.path)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((harness.LOOPBACK, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://%s:%d/rest-api" % (harness.LOOPBACK, self.server.server_port)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CliTest(GatewayTestCase):
    with_nginx = False

    def ctl(self, *args, **kwargs):
        return run_ctl("--url=http://%s:%d/rest-api" % (harness.LOOPBACK, self.sipcast.rest_port),
                       *args, **kwargs)

    def test_usage(self):
        result = run_ctl("--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        for command in ("calls", "call start", "call find", "call end", "dtmf", "push start",
                        "push list", "events", "--json", "Exit status"):
            self.assertIn(command, result.stdout)
        result = run_ctl()
        self.assertEqual(result.returncode, 2)
        result = self.ctl("call", "start", "callee")      # not KEY=VALUE
        self.assertEqual(result.returncode, 2)
        self.assertIn("KEY=VALUE", result.stderr)

    def test_russian_and_german(self):
        # the translations of the build tree (build/po), as installed ones
        env = dict(os.environ, SIPCAST_LOCALEDIR=str(CTL.parent.parent / "po"),
                   LANG="C.UTF-8", LANGUAGE="ru")
        env.pop("LC_ALL", None)
        result = run_ctl("--help", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Управление работающим демоном sipcast", result.stdout)
        self.assertIn("список звонков", result.stdout)
        self.assertIn("Код выхода", result.stdout)
        env["LANGUAGE"] = "de"
        result = self.ctl("call", "start", "callee", env=env)
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("ist nicht SCHLÜSSEL=WERT", result.stderr)
        # a table's headings too
        server = FakeServer(200, "application/json",
                            '[{"callId":"c1","status":"RING","muted":true}]')
        self.addCleanup(server.close)
        result = run_ctl("--url=" + server.url, "calls", env=env)
        self.assertEqual(result.stdout.split()[:2], ["ANRUF-ID", "STATUS"], result)

    def test_unreachable_is_1(self):
        result = run_ctl("--url=http://%s:%d/rest-api" % (harness.LOOPBACK, harness.free_port()),
                         "calls")
        self.assertEqual(result.returncode, 1, result)

    def test_server_error_is_5(self):
        server = FakeServer(500, "application/json",
                            '{"error":"internal","message":"it broke"}')
        self.addCleanup(server.close)
        result = run_ctl("--url=" + server.url, "calls")
        self.assertEqual(result.returncode, 5, result)
        self.assertIn("it broke", result.stderr)
        self.assertEqual(server.paths, ["/rest-api/call/find_all"])

    def test_call_lifecycle(self):
        sipp = self.sipp("uas-answer-pcma.xml")
        result = self.ctl("--json", "call", "start", "callId=cli-1", "callee=1000",
                          "sipDomain=%s" % harness.LOOPBACK, "sipPort=%d" % sipp.port,
                          "hasVideo=false")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(json.loads(result.stdout), {"callId": "cli-1"})
        wait_status(self.sipcast, "cli-1", "ESTABLISHED", 10)

        # a table for people: a heading, then one row per call
        result = self.ctl("calls")
        self.assertEqual(result.returncode, 0, result)
        lines = result.stdout.splitlines()
        self.assertEqual(lines[0].split()[:3], ["CALL", "ID", "STATUS"], result.stdout)
        self.assertEqual(len(lines), 2, result.stdout)
        self.assertEqual(lines[1].split()[:3], ["cli-1", "ESTABLISHED", "200"], result.stdout)
        # JSON for scripts: one line, the API's answer
        result = self.ctl("--json", "call", "find", "status=ESTABLISHED")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(len(result.stdout.splitlines()), 1)
        self.assertEqual([c["callId"] for c in json.loads(result.stdout)], ["cli-1"])
        result = self.ctl("call", "find", "status=FINISH")
        self.assertEqual(result.returncode, 4, result)

        result = self.ctl("dtmf", "cli-1", "12#")
        self.assertEqual(result.returncode, 0, result)
        self.assertIn("12#", result.stdout)

        # a call started without callId gets one, printed
        result = self.ctl("call", "start", "callee=1000", "sipDomain=%s" % harness.LOOPBACK,
                          "sipPort=%d" % harness.free_port("udp"))
        self.assertEqual(result.returncode, 0, result)
        generated = result.stdout.split()[1]
        self.assertEqual(self.find(generated)["callId"], generated)

        result = self.ctl("call", "end", "cli-1")
        self.assertEqual(result.returncode, 0, result)
        wait_status(self.sipcast, "cli-1", "FINISH", 10)
        self.assert_sipp_passed(sipp)

        # the raw form stays: pretty JSON, exit status from the HTTP status
        result = self.ctl("call/find", '{"callId":"cli-1"}')
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(json.loads(result.stdout)[0]["status"], "FINISH")
        result = self.ctl("call/startup", "{")
        self.assertEqual(result.returncode, 4, result)

    def test_events_one_line_each(self):
        """Against a stand-in for GET /rest-api/events, in its fixed wire
        format (the endpoint itself comes from the events branch)."""
        stream = (": keep-alive\n\n"
                  "id: 7\nevent: call\ndata: {\"callId\":\"a\",\"status\":\"RING\"}\n\n"
                  "id: 8\nevent: dtmf\ndata: {\"callId\":\"a\",\"digit\":\"5\"}\n\n")
        server = FakeServer(200, "text/event-stream", stream)
        self.addCleanup(server.close)
        result = run_ctl("--url=" + server.url, "events", "callId=a b", "type=call")
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stdout.splitlines(), [
            '7 call {"callId":"a","status":"RING"}',
            '8 dtmf {"callId":"a","digit":"5"}'])
        self.assertEqual(server.paths, ["/rest-api/events?callId=a%20b&type=call"])
        result = run_ctl("--url=" + server.url, "--json", "events")
        self.assertEqual([json.loads(line)["callId"] for line in result.stdout.splitlines()],
                         ["a", "a"])


class CliEmptyTest(GatewayTestCase):
    """A daemon without calls or pushes."""

    with_nginx = False

    def ctl(self, *args, **kwargs):
        return run_ctl("--url=http://%s:%d/rest-api" % (harness.LOOPBACK, self.sipcast.rest_port),
                       *args, **kwargs)

    def test_nothing_there_is_4(self):
        for args in (("calls",), ("push", "list"), ("streams",), ("call", "end", "nope"),
                     ("dtmf", "nope", "1"), ("push", "mute", "nope")):
            with self.subTest(args=args):
                result = self.ctl(*args)
                self.assertEqual(result.returncode, 4, result)
                self.assertIn("HTTP 404", result.stderr)
        # the bare name of a call method, as WCS tooling has it
        result = self.ctl("find_all")
        self.assertEqual(result.returncode, 4, result)
        self.assertEqual(json.loads(result.stdout)["error"], "not_found")
        # bad digits are the client's fault
        result = self.ctl("dtmf", "nope", "12X")
        self.assertEqual(result.returncode, 4, result)


if __name__ == "__main__":
    unittest.main()

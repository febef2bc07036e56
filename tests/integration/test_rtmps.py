"""rtmps:// publishing (issue 11): nginx's stream module terminates TLS in
front of nginx-rtmp, with certificates of a test CA the test makes with
openssl.  sipcast trusts that CA through [rtmp] tls-ca-file: a call
publishes over TLS; a server whose certificate another CA signed, or one
made out to another name, is refused at once with the reason, and not
retried as if it were down.
"""

import subprocess
import time

import harness
from gateway import GatewayTestCase
from harness import wait_for, wait_status


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def make_ca(directory, name):
    key, pem = directory / (name + ".key"), directory / (name + ".pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", key, "-out", pem, "-days", "2", "-subj", "/CN=%s" % name)
    return pem, key


def make_certificate(directory, name, ca, host):
    """A server certificate for host, signed by ca: (certificate, key)."""
    key, csr, pem = (directory / (name + ext) for ext in (".key", ".csr", ".pem"))
    ext = directory / (name + ".ext")
    ext.write_text("subjectAltName=DNS:%s\n" % host)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", csr, "-subj", "/CN=%s" % host)
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1], "-CAcreateserial",
            "-out", pem, "-days", "2", "-extfile", ext)
    return pem, key


class RtmpsTest(GatewayTestCase):
    with_nginx = False
    ca = None

    @classmethod
    def setUpClass(cls):
        directory = harness.run_dir() / "tls"
        directory.mkdir(exist_ok=True)
        cls.ca = make_ca(directory, "sipcast-test-ca")
        other = make_ca(directory, "another-ca")
        fronts = [make_certificate(directory, "good", cls.ca, "localhost"),
                  make_certificate(directory, "untrusted", other, "localhost"),
                  make_certificate(directory, "wrong-name", cls.ca, "wrong.example")]
        tls_nginx = harness.Nginx(tls=fronts)
        cls.addClassCleanup(tls_nginx.close)
        super().setUpClass()
        cls.nginx = tls_nginx

    @classmethod
    def sipcast_config(cls):
        return "[rtmp]\ntls-ca-file=%s\nretry-budget=30\n" % cls.ca[0]

    def url(self, front):
        return "rtmps://localhost:%d/live/" % self.nginx.tls_ports[front]

    def test_publishes_over_tls(self):
        sipp = self.sipp("uas-answer-pcma.xml")
        self.start_call("tls-ok", sipp, rtmpUrl=self.url(0), rtmpStream="tls-ok")
        wait_status(self.sipcast, "tls-ok", "ESTABLISHED", 10)
        self.wait_publishing("tls-ok")
        time.sleep(2.5)
        self.terminate("tls-ok")
        wait_status(self.sipcast, "tls-ok", "FINISH", 10)
        self.assert_sipp_passed(sipp)
        path = self.nginx.recorded("tls-ok")
        probe = harness.ffprobe_streams(path)
        self.assertEqual([s["codec_name"] for s in probe["streams"]], ["aac"], probe)
        self.assertGreater(harness.audio_duration(path), 1.5)

    def test_refused_certificates(self):
        """Both at once: each fails well within the 30 s retry budget."""
        cases = {"tls-untrusted": (1, "its issuer is not trusted"),
                 "tls-wrong-name": (2, "it is not for this host name")}
        sipps = {}
        for call_id, (front, _) in cases.items():
            sipps[call_id] = self.sipp("uas-answer-pcma.xml")
            self.start_call(call_id, sipps[call_id], rtmpUrl=self.url(front),
                            rtmpStream=call_id)
        started = time.monotonic()
        for call_id, (_, reason) in cases.items():
            def failed():
                call = self.find(call_id)
                return call if call["rtmpStreamStatus"] == "RTMP_CONNECTION_FAILED" else None
            call = wait_for(failed, 10, message=lambda: "%s\n%s" % (self.find(call_id),
                                                                     self.logs()))
            info = call["rtmpStreamStatusInfo"] or ""
            self.assertIn("TLS certificate of localhost refused", info, call)
            self.assertIn(reason, info, call)
            # the call itself goes on, unpublished
            self.assertEqual(call["status"], "ESTABLISHED", call)
        self.assertLess(time.monotonic() - started, 10)
        for call_id in cases:
            self.assertEqual(self.nginx.events("publish", call_id), [])
        for call_id in cases:
            self.terminate(call_id)
            self.assert_sipp_passed(sipps[call_id])

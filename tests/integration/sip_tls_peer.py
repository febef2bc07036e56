"""A SIP far end over TLS for the tests, since Debian's sipp is built
without TLS: answers INVITE with 200 (PCMA), takes ACK, answers BYE.
Standard library only, plus the openssl command to make certificates.
"""

import re
import socket
import ssl
import subprocess
import threading
from pathlib import Path

from harness import LOOPBACK, free_port


def _openssl(*args):
    subprocess.run(["openssl", *[str(a) for a in args]], check=True,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60)


def make_ca(directory, name):
    """A self-signed CA: (certificate path, key path)."""
    directory = Path(directory)
    key, cert = directory / ("%s.key" % name), directory / ("%s.pem" % name)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=%s" % name, "-keyout", key, "-out", cert,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_server_cert(directory, name, ca, host="localhost"):
    """A certificate for host (its CN and subjectAltName) signed by ca:
    (cert, key)."""
    directory = Path(directory)
    key, csr = directory / ("%s.key" % name), directory / ("%s.csr" % name)
    cert, ext = directory / ("%s.pem" % name), directory / ("%s.ext" % name)
    ext.write_text("subjectAltName=%s:%s\n" % ("IP" if host[0].isdigit() else "DNS", host))
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=%s" % host,
             "-keyout", key, "-out", csr)
    _openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
             "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", cert)
    return cert, key


class TlsSipPeer:
    """Listens for SIP over TLS on 127.0.0.1; answers one call at a time."""

    def __init__(self, cert, client_ca=None):
        """cert: (certificate, key) files; client_ca: when given, a client
        certificate signed by this CA is required."""
        self.port = free_port("tcp")
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*cert)
        if client_ca is not None:
            self.context.verify_mode = ssl.CERT_REQUIRED
            self.context.load_verify_locations(client_ca)
        self.client_subjects = []
        self.listener = socket.create_server((LOOPBACK, self.port))
        self.listener.settimeout(0.2)
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind((LOOPBACK, 0))
        self.requests = []        # (method, text) of each request received
        self.handshake_errors = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def methods(self):
        with self.lock:
            return [method for method, _ in self.requests]

    def request(self, method):
        with self.lock:
            return next((text for m, text in self.requests if m == method), None)

    def _serve(self):
        while self.running:
            try:
                raw, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()

    def _connection(self, raw):
        raw.settimeout(10)
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as error:
            with self.lock:
                self.handshake_errors.append(str(error))
            raw.close()
            return
        peer_cert = conn.getpeercert()
        if peer_cert:
            with self.lock:
                self.client_subjects.append(dict(x[0] for x in peer_cert["subject"]))
        buffer = b""
        with conn:
            while self.running:
                try:
                    data = conn.recv(65536)
                except (socket.timeout, OSError, ssl.SSLError):
                    return
                if not data:
                    return
                buffer += data
                while b"\r\n\r\n" in buffer:
                    head, rest = buffer.split(b"\r\n\r\n", 1)
                    length = re.search(rb"\r\n(?:Content-Length|l) *: *(\d+)", head, re.I)
                    length = int(length.group(1)) if length else 0
                    if len(rest) < length:
                        break
                    message = (head + b"\r\n\r\n" + rest[:length]).decode(errors="replace")
                    buffer = rest[length:]
                    self._handle(conn, message)

    def _handle(self, conn, message):
        first = message.split("\r\n", 1)[0]
        if first.startswith("SIP/2.0"):
            return
        method = first.split(" ", 1)[0]
        with self.lock:
            self.requests.append((method, message))
        if method == "INVITE":
            conn.sendall(self._response(message, "100 Trying").encode())
            sdp = ("v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                   "t=0 0\r\nm=audio %d RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
                   % self.rtp.getsockname()[1])
            conn.sendall(self._response(message, "200 OK", to_tag=True, body=sdp).encode())
        elif method in ("BYE", "CANCEL", "OPTIONS", "INFO"):
            conn.sendall(self._response(message, "200 OK").encode())

    def _response(self, request, status, to_tag=False, body=""):
        def header(name):
            return [line for line in request.split("\r\n")
                    if line.lower().startswith(name.lower() + ":")]
        lines = ["SIP/2.0 " + status] + header("Via") + header("From")
        to = header("To")[0]
        if to_tag and ";tag=" not in to:
            to += ";tag=tlspeer"
        lines += [to] + header("Call-ID") + header("CSeq")
        lines.append("Contact: <sip:%s:%d;transport=tls>" % (LOOPBACK, self.port))
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append("Content-Length: %d" % len(body.encode()))
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def close(self):
        self.running = False
        self.listener.close()
        self.thread.join(2)
        self.rtp.close()

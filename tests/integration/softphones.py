"""Real softphones for the tests: baresip (driven over its ctrl_tcp
module) and linphonec (driven through its stdin), and the loopback
interface baresip needs.

baresip leaves the loopback interface out of the addresses it may use, so
LoopbackInterface puts a 127.0.0.0/8 address on a veth pair of its own;
the kernel delivers to it locally like any 127.x address, and nothing
leaves the machine.  Both phones are told to use only that address (and
IPv4 only), never the machine's other interfaces.
"""

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import harness
from harness import LOOPBACK, free_port, wait_for


def _ip(*args):
    return subprocess.run(["ip", *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=10)


class LoopbackInterface:
    """A veth pair, one end holding ADDRESS/32 (a 127.0.0.0/8 address).

    Raises OSError, saying why, when the environment cannot make one (not
    root, no veth support): the tests that need it are skipped then."""

    def __init__(self):
        if shutil.which("ip") is None:
            raise OSError("the ip command (iproute2) is missing")
        # names and the address differ per process: other test runs may
        # hold theirs at the same time
        tag = os.getpid() % 100000
        self.name, peer = "scph%d" % tag, "scpp%d" % tag
        self.address = "127.0.%d.%d" % (1 + tag % 250, 2 + (tag // 250) % 250)
        created = _ip("link", "add", self.name, "type", "veth", "peer", "name", peer)
        if created.returncode != 0:
            raise OSError("cannot create a veth interface: %s" % created.stderr.strip())
        try:
            # no IPv6 link-local address the phones could pick instead
            for name in (self.name, peer):
                path = "/proc/sys/net/ipv6/conf/%s/disable_ipv6" % name
                if os.path.exists(path):
                    with open(path, "w") as knob:
                        knob.write("1")
            for args in (("addr", "add", self.address + "/32", "dev", self.name),
                         ("link", "set", peer, "up"), ("link", "set", self.name, "up")):
                result = _ip(*args)
                if result.returncode != 0:
                    raise OSError("ip %s: %s" % (" ".join(args), result.stderr.strip()))
        except BaseException:
            self.close()
            raise

    def close(self):
        # the peer goes with it
        _ip("link", "del", self.name)


class Baresip:
    """baresip 1.0 with one account, its ausine module as the microphone
    (a 440 Hz tone) and ctrl_tcp for commands and events."""

    def __init__(self, interface, account, ca_file):
        """account: the accounts line, e.g. "<sip:alice@HOST>;auth_pass=x";
        ca_file: the CA a TLS server's certificate must be signed by."""
        self.dir = harness._new_dir("baresip-")
        self.address = interface.address
        # UDP and TCP on sip_port, TLS on the next one
        self.sip_port = harness.free_udp_port_pair()
        self.ctrl_port = free_port("tcp")
        (self.dir / "config").write_text("""\
poll_method epoll
sip_listen %(address)s:%(port)d
net_interface %(interface)s
rtp_ports 40000-49999
audio_player aufile,%(dir)s/heard.wav
audio_source ausine,440
audio_alert aufile,/dev/null
ausrc_srate 48000
ausrc_channels 2
auplay_srate 8000
auplay_channels 1
video_source fakevideo,nil
video_display fakevideo,nil
module_path /usr/lib/baresip/modules
module g711.so
module ausine.so
module aufile.so
module fakevideo.so
module account.so
module_app ctrl_tcp.so
module_app menu.so
ctrl_tcp_listen %(ctrl)s:%(ctrl_port)d
sip_cafile %(ca)s
""" % {"ca": ca_file, "address": self.address, "port": self.sip_port, "interface": interface.name,
       "dir": self.dir, "ctrl": LOOPBACK, "ctrl_port": self.ctrl_port})
        (self.dir / "accounts").write_text(account + "\n")
        (self.dir / "contacts").write_text("")
        self.log_path = self.dir / "baresip.log"
        self.events = queue.Queue()
        self.responses = queue.Queue()
        self.proc = harness._spawn(["baresip", "-4", "-f", self.dir], self.log_path)
        self.sock = wait_for(self._connect, 10, message=lambda: "baresip never took "
                             "commands on %d\n%s" % (self.ctrl_port, self.log()))
        threading.Thread(target=self._read, daemon=True).start()

    def _connect(self):
        if self.proc.poll() is not None:
            raise AssertionError("baresip exited with %d\n%s" % (self.proc.returncode, self.log()))
        try:
            return socket.create_connection((LOOPBACK, self.ctrl_port), timeout=1)
        except OSError:
            return None

    def _read(self):
        """Netstrings ("LEN:JSON,") to the events and responses queues."""
        self.sock.settimeout(None)
        buffer = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            buffer += data
            while b":" in buffer:
                length, rest = buffer.split(b":", 1)
                if len(rest) < int(length) + 1:
                    break
                message = json.loads(rest[:int(length)])
                buffer = rest[int(length) + 1:]
                (self.events if message.get("event") else self.responses).put(message)

    def command(self, name, params=None):
        """Runs a menu command ("dial", "hangup", "hold", "resume")."""
        message = json.dumps({"command": name, "params": params, "token": name}).encode()
        self.sock.sendall(b"%d:%s," % (len(message), message))
        response = self.responses.get(timeout=10)
        if not response.get("ok"):
            raise AssertionError("baresip refused %s %s: %s\n%s"
                                 % (name, params, response, self.log()))

    def wait_event(self, kind, timeout=10):
        """The next event of type kind (CALL_ESTABLISHED, CALL_CLOSED...)."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            try:
                event = self.events.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("baresip: no %s within %g s (saw %s)\n%s"
                                     % (kind, timeout, seen, self.log())) from None
            seen.append(event.get("type"))
            if event.get("type") == kind:
                return event

    def log(self):
        return "--- baresip log\n" + harness._tail(self.log_path)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        harness._end(self.proc, signal.SIGTERM, 5)


class Linphonec:
    """linphonec 5 reading commands on its stdin.  Without a sound card it
    sends no RTP at all; its "files" sound card sends a WAV file's audio
    once play() names one."""

    PROMPT = "linphonec> "

    def __init__(self, address, user, password, realm, auto_answer=False):
        self.dir = harness._new_dir("linphone-")
        (self.dir / ".local" / "share" / "linphone").mkdir(parents=True)
        self.address = address
        self.sip_port = free_port("udp")
        rtp_port = harness.free_udp_port_pair()
        # linphonec rewrites its configuration: a fresh one each time
        self.config = self.dir / "linphonerc"
        self.config.write_text("""\
[sip]
contact=sip:%(user)s@%(address)s
sip_port=%(port)d
sip_tcp_port=0
sip_tls_port=0
bind_address=%(address)s
use_ipv6=0
guess_hostname=0
default_proxy=-1
[rtp]
bind_address=%(address)s
audio_rtp_port=%(rtp)d
[video]
enabled=0
[auth_info_0]
username=%(user)s
passwd=%(password)s
realm=%(realm)s
""" % {"user": user, "address": address, "port": self.sip_port, "rtp": rtp_port,
       "password": password, "realm": realm})
        self.log_path = self.dir / "linphonec.log"
        env = dict(os.environ, HOME=str(self.dir))
        cmd = ["linphonec", "-c", str(self.config), "-d", "0"] + (["-a"] if auto_answer else [])
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log,
                                         stderr=subprocess.STDOUT, env=env)
        harness._children.append(self.proc)
        self.wait_output(re.escape(self.PROMPT), 15)
        self.send("soundcard use files")

    def play(self, path):
        """Sends the WAV file at path as the call's audio, from now on."""
        self.send("play %s" % path)

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def output(self):
        return self.log_path.read_text(errors="replace")

    def wait_output(self, regex, timeout=10):
        """The first match of regex in what linphonec printed."""
        def found():
            if self.proc.poll() is not None:
                raise AssertionError("linphonec exited with %d\n%s"
                                     % (self.proc.returncode, self.log()))
            return re.search(regex, self.output())
        return wait_for(found, timeout, message=lambda: "linphonec never printed %r\n%s"
                        % (regex, self.log()))

    def log(self):
        return "--- linphonec output\n" + harness._tail(self.log_path)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.stdin.close()
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        harness._end(self.proc, signal.SIGKILL, 5)

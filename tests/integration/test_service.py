"""sipcast under systemd's Type=notify, without systemd: the test listens on
a NOTIFY_SOCKET of its own, as the service manager would, and checks what
the daemon says there (READY=1 once it listens, WATCHDOG=1 every half
WATCHDOG_USEC from its main loop, STOPPING=1 on SIGTERM).

    python3 tests/integration/tap.py test_service
"""

import socket
import time
import unittest

import harness


class NotifyTest(unittest.TestCase):

    def listen(self, abstract=False):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        if abstract:
            name = "sipcast-test-%d-%d" % (id(self), time.monotonic_ns())
            sock.bind("\0" + name)
            address = "@" + name
        else:
            address = str(harness._new_dir("notify-") / "notify.sock")
            sock.bind(address)
        sock.settimeout(0.2)
        return sock, address

    def messages(self, sock, seconds):
        """What arrived on sock within seconds, one string per datagram."""
        found = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                found.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        return found

    def test_ready_watchdog_stopping(self):
        sock, address = self.listen()
        # not yet ready: nothing may come before the daemon listens
        sipcast = harness.Sipcast(extra_env={"NOTIFY_SOCKET": address,
                                             "WATCHDOG_USEC": "400000"})
        self.addCleanup(sipcast.close)
        got = self.messages(sock, 1.1)
        self.assertTrue(got, "nothing on NOTIFY_SOCKET\n" + sipcast.log())
        first = got[0].split("\n")
        self.assertIn("READY=1", first, got)
        self.assertTrue(any(line.startswith("STATUS=") for line in first), got)
        # every 200 ms from then on: about 5 in the second that followed
        pings = [m for m in got[1:] if m == "WATCHDOG=1"]
        self.assertTrue(3 <= len(pings) <= 7, got)
        # by the time READY=1 was read, REST answers
        status, _, _ = sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 404)

        sipcast.stop()
        got = self.messages(sock, 0.5)
        self.assertTrue(any("STOPPING=1" in m.split("\n") for m in got), got)

    def test_abstract_socket_and_foreign_watchdog(self):
        sock, address = self.listen(abstract=True)
        # WATCHDOG_PID names another process: the watchdog is not ours
        sipcast = harness.Sipcast(extra_env={"NOTIFY_SOCKET": address,
                                             "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"})
        self.addCleanup(sipcast.close)
        got = self.messages(sock, 0.8)
        self.assertTrue(got and "READY=1" in got[0].split("\n"), got)
        self.assertNotIn("WATCHDOG=1", got)
        sipcast.stop()

    def test_no_socket_no_harm(self):
        # started by hand: NOTIFY_SOCKET unset, nothing to say, nothing logged
        sipcast = harness.Sipcast(extra_env={"WATCHDOG_USEC": "100000"})
        self.addCleanup(sipcast.close)
        status, _, _ = sipcast.rest("/call/find_all", {})
        self.assertEqual(status, 404)
        sipcast.stop()
        self.assertNotIn("service manager", sipcast.log_path.read_text())


if __name__ == "__main__":
    unittest.main()

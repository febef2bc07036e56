#!/usr/bin/env python3
"""The 100-call scenario of README "Memory errors and leaks": 100 incoming
calls (sipp uac-call-bye.xml: PCMA, the 440 Hz tone, the caller hangs up
after 3 s), at most --concurrent at once, routed to nginx-rtmp and
published, then SIGTERM.  Run sipcast under valgrind through SIPCAST_BIN
(a wrapper script) to check that it gives back what 100 calls took;
exits non-zero when a call failed or the daemon did not exit 0.

    SIPCAST_TEST_TIME_SCALE=4 SIPCAST_TEST_STOP_SECONDS=300 SIPCAST_BIN=/tmp/vg/sipcast-vg \\
      python3 tests/bench/calls100.py

Everything runs on 127.0.0.1 and stops by itself.
"""

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1.0, help="new calls per second")
    args = parser.parse_args()

    nginx = harness.Nginx()
    sipcast = None
    sipp = None
    try:
        # every call is a stream of its own, so none is refused as a
        # duplicate; all come from 127.0.0.1, more than the default 10
        # live incoming calls of one source while valgrind slows the ends
        sipcast = harness.Sipcast(config="[sip]\nmax-incoming-per-source=0\n"
                                  "[route all]\ncallee=*\nrtmp-url=%s\n"
                                  "rtmp-stream=${callId}\n" % nginx.url)
        sipp = harness.Sipp("uac-call-bye.xml", timeout=args.calls * 10 + 120, args=(
            "-s", "leak", "-l", str(args.concurrent), "-r", str(args.rate), "-rp", "1000",
            "%s:%d" % (harness.LOOPBACK, sipcast.sip_port)), calls=args.calls)
        started = time.monotonic()
        code = sipp.wait(args.calls * 10 + 180)
        screen = (sipp.dir / "screen.log").read_text(errors="replace")
        print("sipp exited %d after %.0f s" % (code, time.monotonic() - started))
        for line in screen.splitlines():
            if re.search(r"(Successful|Failed) call", line):
                print(line.strip())
        ok = code == 0
        # no call may be left: every one ended with the caller's BYE
        status, calls, _ = sipcast.rest("/call/find_all", {})
        live = [c for c in calls if c["status"] not in harness.ENDED] if status == 200 else []
        if live:
            print("calls still live: %s" % [c["callId"] for c in live])
            ok = False
        sipcast.stop()
        print("sipcast exited 0 after SIGTERM")
        return 0 if ok else 1
    finally:
        if sipp is not None:
            sipp.close()
        if sipcast is not None:
            sipcast.close()
        nginx.close()


if __name__ == "__main__":
    sys.exit(main())

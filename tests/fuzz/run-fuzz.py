#!/usr/bin/env python3
"""Runs one libFuzzer target for a bounded time, as the meson suite "fuzz"
does: TARGET CORPUS SECONDS.  The seed corpus (and every crash input kept
there) is replayed first and never written to: what the run finds goes
to a temporary directory.  Prints the number of executions; on a crash
prints the input (hex) so a CI log is enough to reproduce it."""
import os
import re
import subprocess
import sys
import tempfile

target, corpus, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
env = dict(os.environ)
# A UBSan report must fail the run like a crash, not scroll by.
env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
# A small quarantine: the default 256 MB makes ASan fault in fresh pages
# for most allocations, several times slower.
env.setdefault("ASAN_OPTIONS", "halt_on_error=1:detect_leaks=1:quarantine_size_mb=16")

with tempfile.TemporaryDirectory(prefix="sipcast-fuzz-") as work:
    found = os.path.join(work, "found")
    os.mkdir(found)
    proc = subprocess.run(
        [target, f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=2560",
         "-max_len=65536", "-print_final_stats=1", f"-artifact_prefix={work}/",
         found, corpus],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        errors="replace")
    out = proc.stdout
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
    print(f"{os.path.basename(target)}: {execs.group(1) if execs else '?'} executions "
          f"in {seconds} s, exit {proc.returncode}")
    if proc.returncode != 0:
        print(out[-20000:])
        for name in os.listdir(work):
            if name.startswith(("crash-", "leak-", "timeout-", "oom-")):
                with open(os.path.join(work, name), "rb") as f:
                    print(f"{name}: {f.read().hex()}")
    # libFuzzer reports a crash with exit status 77, which meson reads
    # as "skipped": any failure is 1 here.
    sys.exit(0 if proc.returncode == 0 else 1)

#!/usr/bin/env python3
"""Counts test cases in one or more meson testlog.json files (.ci/run
passes the normal build's, the sanitizer build's, its sanitizer-report
check and the fuzz build's): every TAP line of a TAP test (each GLib test
case, each integration test method) and every other test as one.  A file
that is missing (its build failed before any test ran) counts as one
failure.  Prints the closing "N passed, N failed" line CI reads."""
import json
import re
import sys

passed = failed = skipped = 0


def count(entry):
    global passed, failed, skipped
    if entry.get("protocol") == "tap" or re.search(r"^(not )?ok \d", entry.get("stdout") or "", re.M):
        out = entry.get("stdout") or ""
        ok = len(re.findall(r"^ok \d+(?!.*# SKIP)", out, re.M))
        skip = len(re.findall(r"^ok \d+.*# SKIP", out, re.M))
        nok = len(re.findall(r"^not ok \d+", out, re.M))
        passed += ok
        skipped += skip
        failed += nok
        # A TAP test that died before printing its plan still failed.
        if entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and nok == 0:
            failed += 1
    elif entry.get("result") in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif entry.get("result") == "SKIP":
        skipped += 1
    else:
        failed += 1


for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as log:
            for line in log:
                count(json.loads(line))
    except FileNotFoundError:
        print(f"{path}: missing, counted as one failure", file=sys.stderr)
        failed += 1

print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))

#!/usr/bin/env python3
"""Run unittest modules and report in TAP version 13, one line per test.

    python3 tests/integration/tap.py MODULE_OR_FILE...

A module is a dotted name or a path to a .py file (its directory goes on
sys.path, so test modules can import harness). Every test method is one TAP
test: the plan is printed first, each result as the test ends, a failure's
traceback as '#' lines after its 'not ok'. A test whose class or module
fixture failed is 'not ok' with that fixture's error. Exit status 1 when
anything failed, so meson's 'tap' protocol and a plain shell agree.
"""

import importlib
import importlib.util
import signal
import sys
import unittest
from pathlib import Path


def load_module(spec):
    if spec.endswith(".py"):
        path = Path(spec).resolve()
        sys.path.insert(0, str(path.parent))
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[path.stem] = module
        module_spec.loader.exec_module(module)
        return module
    return importlib.import_module(spec)


def iter_tests(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from iter_tests(item)
        else:
            yield item


def test_name(test):
    return "%s.%s" % (type(test).__name__, test._testMethodName)


def fixture_target(holder):
    # unittest describes a fixture as e.g. "setUpClass (module.Class)"
    return holder.description.rsplit("(", 1)[-1].rstrip(")")


def targets(test):
    module = type(test).__module__
    return {module, "%s.%s" % (module, type(test).__qualname__)}


def comment(text):
    return "".join("# %s\n" % line for line in text.rstrip("\n").split("\n"))


class TapResult(unittest.TestResult):
    """Prints a TAP line as each test stops; remembers fixture errors."""

    def __init__(self, stream):
        super().__init__()
        # keeps what the tests print out of the TAP stream; it shows up in
        # the failure report instead
        self.buffer = True
        self.stream = stream
        self.number = 0
        self.reported = set()
        # (target, text): target is "module" or "module.Class"
        self.fixture_errors = []
        self.fixture_skips = []
        self.current = None

    def emit(self, text):
        self.stream.write(text)
        self.stream.flush()

    def startTest(self, test):
        super().startTest(test)
        self.current = {"problems": [], "directive": "", "ok": None}

    def stopTest(self, test):
        super().stopTest(test)
        self.number += 1
        self.reported.add(test.id())
        problems = self.current["problems"]
        ok = self.current["ok"]
        if ok is None:
            ok = not problems
        line = "%s %d - %s%s\n" % ("ok" if ok else "not ok", self.number,
                                    test_name(test), self.current["directive"])
        self.emit(line + "".join(comment(p) for p in problems))

    def _restoreStdout(self):
        # unittest would copy a failed test's output to the real stdout,
        # outside TAP; it is in the failure report already, as comments
        self._mirrorOutput = False
        super()._restoreStdout()

    def addError(self, test, err):
        super().addError(test, err)
        if isinstance(test, unittest.TestCase):
            self.current["problems"].append(self._exc_info_to_string(err, test))
        else:
            # setUpClass, tearDownModule...: not a test of its own
            self.fixture_errors.append((fixture_target(test), "%s\n%s" % (
                test.description, self._exc_info_to_string(err, test))))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.current["problems"].append(self._exc_info_to_string(err, test))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.current["problems"].append(
                "%s\n%s" % (subtest.id(), self._exc_info_to_string(err, test)))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if isinstance(test, unittest.TestCase):
            self.current["directive"] = " # SKIP %s" % reason
        else:
            self.fixture_skips.append((fixture_target(test), reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        # TAP's own way to say "failed, as it should"
        self.current["ok"] = False
        self.current["directive"] = " # TODO expected failure"

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        # a passing TODO test: meson counts it as a failure, as unittest does
        self.current["ok"] = True
        self.current["directive"] = " # TODO unexpected success"


def interrupted(signum, frame):
    # KeyboardInterrupt unwinds through unittest (which swallows most other
    # exceptions), so the harness's atexit handler still kills the peers
    raise KeyboardInterrupt


def main(argv):
    if not argv:
        sys.exit(__doc__)
    signal.signal(signal.SIGTERM, interrupted)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromModule(load_module(spec))
                               for spec in argv)
    tests = list(iter_tests(suite))
    print("TAP version 13")
    print("1..%d" % len(tests), flush=True)
    result = TapResult(sys.stdout)
    suite.run(result)
    unrun = [test for test in tests if test.id() not in result.reported]
    for test in unrun:
        result.number += 1
        errors = [text for target, text in result.fixture_errors
                  if target in targets(test)]
        skips = [reason for target, reason in result.fixture_skips
                 if target in targets(test)]
        if skips and not errors:
            result.emit("ok %d - %s # SKIP %s\n"
                        % (result.number, test_name(test), skips[0]))
        else:
            result.emit("not ok %d - %s\n# not run: a fixture failed\n%s"
                        % (result.number, test_name(test),
                           "".join(comment(text) for text in errors)))
    # a fixture that failed once its tests had run (tearDownClass...) has
    # no test line to hang on: show it anyway, and fail the run below
    for target, text in result.fixture_errors:
        if not any(target in targets(test) for test in unrun):
            result.emit(comment(text))
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main(sys.argv[1:])

"""Verdicts from one run of a test program.

A test passes only when Criterion's XML report says so AND the harness's
end marker shows that the test body ran to its end in the test's own
process. Anything else (no report, a test missing from it, a marker of a
timeout or of a forked child) is a failure with a sentence that says why."""

import os
import re
import signal
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

TEST_RE = re.compile(r"^\s*KATA_TEST\s*\(\s*(\w+)\s*,\s*(\w+)", re.M)
SUITE_RE = re.compile(r"^\s*KATA_SUITE\s*\(\s*(\w+)", re.M)
BARE_RE = re.compile(r"^\s*(Test|TestSuite|ParameterizedTest|Theory)\s*\(", re.M)

SIGNAL_WORDS = {
    signal.SIGSEGV: "a segmentation fault: a bad pointer (NULL, freed, or out of bounds)",
    signal.SIGABRT: "abort(): a failed assert() or a corrupted heap",
    signal.SIGFPE: "an arithmetic error, such as a division by zero",
    signal.SIGBUS: "a bus error: a bad memory access",
    signal.SIGKILL: "SIGKILL: killed from outside, e.g. for running too long",
    signal.SIGPIPE: "SIGPIPE: a write to a pipe whose read end was closed",
    signal.SIGXFSZ: "SIGXFSZ: it wrote more output than allowed",
    signal.SIGILL: "an illegal instruction (a corrupted stack or function pointer?)",
}


SKIPPED = ("skipped: what this test checks cannot happen on this machine "
           "(its source says why, e.g. parallelism needs a second CPU)")


@dataclass
class Result:
    test: str            # suite::name
    passed: bool
    message: str = ""


@dataclass
class RunReport:
    results: list = field(default_factory=list)
    problem: str = ""    # what went wrong with the run as a whole, if anything

    @property
    def passed(self):
        return sum(r.passed for r in self.results)

    @property
    def ok(self):
        return not self.problem and self.results and all(r.passed for r in self.results)


def expected_tests(sources):
    """The tests an exercise has, in source order, read from its test files
    (never from the program, which links the learner's code)."""
    tests = []
    for path in sources:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        tests += ["%s::%s" % m for m in TEST_RE.findall(text)]
    return tests


def lint_test_source(path):
    """Problems that would make the harness's guarantees void."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    problems = []
    if BARE_RE.search(text):
        problems.append("%s: use KATA_TEST / KATA_SUITE, not Criterion's macros directly" % path)
    suites = set(SUITE_RE.findall(text))
    for suite, _ in TEST_RE.findall(text):
        if suite not in suites:
            problems.append("%s: suite %s has no KATA_SUITE (no time limit)" % (path, suite))
            suites.add(suite)
    return problems


def signal_words(sig):
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = "signal %d" % sig
    return SIGNAL_WORDS.get(sig, name)


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def _strip_location(text):
    """'tests/x/test_a.c:12: message' -> 'message'."""
    lines = [re.sub(r"^[^\s:]+\.c:\d+: ?", "", ln) for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln.strip()).strip()


def parse_xml(path):
    """{suite::name: (status, message)} from Criterion's XML report."""
    tree = ET.parse(path)
    found = {}
    for suite in tree.getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            tid = "%s::%s" % (suite.get("name"), case.get("name"))
            status = case.get("status", "")
            msgs = []
            for fail in case.iter("failure"):
                msgs.append(_strip_location(fail.text or fail.get("message", "")))
            kind = ""
            for err in case.iter("error"):
                kind = err.get("type", "error")
            entry = (status, "\n".join(m for m in msgs if m), kind)
            # A second test of the same name (one defined in submitted code)
            # can only take a pass away, never give one.
            if tid not in found or found[tid][0] == "PASSED":
                found[tid] = entry
    return found


def _run_problem(outcome, seconds):
    if outcome.timed_out:
        return ("the test program was stopped after %g s and never reported its "
                "results (code that hangs, perhaps before main or in a constructor)" % seconds)
    rc = outcome.returncode
    if rc is not None and rc < 0:
        return "the test program was killed before it reported its results: %s" % signal_words(-rc)
    if rc == 0:
        return ("the test program exited with status 0 without reporting its results: "
                "something called exit() before the tests could run")
    return ("the test program ended (status %s) without reporting its results: "
            "something called exit() or crashed before the tests could run" % rc)


def verdicts(expected, xml_path, marks_dir, outcome, seconds):
    """Combines the XML report, the harness's markers and how the program
    ended into one Result per expected test."""
    report = RunReport()
    try:
        found = parse_xml(xml_path)
    except (OSError, ET.ParseError):
        found = None
    if found is None:
        report.problem = _run_problem(outcome, seconds)
        report.results = [Result(t, False, report.problem) for t in expected]
        return report
    for tid in expected:
        report.results.append(_one(tid, found.get(tid), marks_dir))
    if outcome.leftovers:
        shown = ", ".join("%d (%s%s)" % (p, v[1], ", exited but never reaped" if v[0] == "Z" else "")
                          for p, v in sorted(outcome.leftovers.items())[:5])
        report.problem = ("processes were left behind after the tests ended: %s. "
                          "Every process you start must end and be reaped." % shown)
    return report


def _marker(marks_dir, tid, suffix):
    return _read(os.path.join(marks_dir, tid + suffix))


def _one(tid, entry, marks_dir):
    timeout = _marker(marks_dir, tid, ".timeout")
    if timeout:
        return Result(tid, False, timeout)
    if _marker(marks_dir, tid, ".forked") is not None:
        return Result(tid, False, "a child process forked by your code returned into the "
                                  "test instead of ending: after fork() the child must "
                                  "call _exit() when its work is done")
    if entry is None:
        return Result(tid, False, "this test never reported: the test program stopped "
                                  "before it ran (a crash or exit in code outside the tests?)")
    status, message, kind = entry
    crash = _marker(marks_dir, tid, ".crash")
    if status == "SKIPPED":
        # Only the tests can skip (submitted code may not call Criterion), and
        # only when the machine cannot show what they check, e.g. parallelism
        # on one CPU: nothing to fail, nothing to count as proven either.
        return Result(tid, True, SKIPPED)
    if status == "PASSED":
        if _marker(marks_dir, tid, ".done") is None:
            return Result(tid, False, "the test's process ended before the test did: your "
                                      "code called exit() (or _exit) in the process that runs "
                                      "the test; only a forked child should end itself")
        return Result(tid, True)
    if kind == "crash" or crash:
        sig = int(crash) if crash and crash.isdigit() else 0
        why = signal_words(sig) if sig else "a signal"
        return Result(tid, False, "the test crashed: %s" % why)
    if kind == "timeout":
        return Result(tid, False, "the test ran out of time (Criterion's limit)")
    return Result(tid, False, message or "the test failed")

"""Verdicts from one run of a test program.

A test passes only when Criterion's XML report says so AND the harness's
end marker shows that the test body ran to its end in the test's own
process. Anything else (no report, a test missing from it, a marker of a
timeout or of a forked child) is a failure with a sentence that says why,
in the learner's language (tools/engine/lang.py: English unless KATA_LANG or the
locale asks for Chinese)."""

import enum
import os
import re
import signal
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from engine import lang, readback
from engine.course import TEST_RE, expected_tests  # noqa: F401 (expected_tests: report's too)

SUITE_RE = re.compile(r"^\s*KATA_SUITE\s*\(\s*(\w+)", re.M)
BARE_RE = re.compile(r"^\s*(Test|TestSuite|ParameterizedTest|Theory)\s*\(", re.M)

# The signals that have plain words (lang.MESSAGES "sig.NAME"); others are named.
WORDED_SIGNALS = (signal.SIGSEGV, signal.SIGABRT, signal.SIGFPE, signal.SIGBUS, signal.SIGKILL,
                  signal.SIGPIPE, signal.SIGXFSZ, signal.SIGILL)
SIGNAL_WORDS = {sig: lang.MESSAGES["sig." + sig.name][0] for sig in WORDED_SIGNALS}  # English

SKIPPED = lang.MESSAGES["report.skipped"][0]          # the English sentence
SKIPPED_TEXTS = frozenset(lang.MESSAGES["report.skipped"])


@dataclass
class Result:
    test: str            # suite::name
    passed: bool
    message: str = ""
    skipped: bool = False  # passed because the machine cannot show what it checks


def was_skipped(result):
    """True for a skipped test: a Result, or its entry in results.json (whose
    message may be in either language)."""
    if isinstance(result, dict):
        return bool(result.get("skipped")) or result.get("message") in SKIPPED_TEXTS
    return result.skipped or result.message in SKIPPED_TEXTS


class Outcome(enum.Enum):
    """How a run went as a whole. OK and TESTS_FAILED: it ran and reported
    on every test; every other value ended it before that, and the report's
    `problem` says it in words."""
    OK = "ok"                                  # every required test passed
    TESTS_FAILED = "tests failed"              # it ran; some tests failed
    NOT_SUBMITTED = "not submitted"            # the learner's files are missing
    COMPILE_ERROR_STUDENT = "compile error"    # the learner's code does not compile (or is refused)
    COMPILE_ERROR_TESTS = "tests compile error"  # the tests (or a hidden test) do not compile
    TIMEOUT = "timeout"                        # stopped after its time limit, no report
    CRASH = "crash"                            # killed by a signal before it reported
    NO_REPORT = "no report"                    # exited without reporting
    LEFTOVERS = "leftovers"                    # processes left behind after the tests
    LIMIT = "limit"                            # a containment limit ended it (grading)


COMPILE_ERRORS = (Outcome.COMPILE_ERROR_STUDENT, Outcome.COMPILE_ERROR_TESTS)


@dataclass
class RunReport:
    results: list = field(default_factory=list)   # the required tests
    problem: str = ""    # what went wrong with the run as a whole, if anything
    failure: Outcome = None  # that, as a value (None: the run went well)
    # The optional tests ("for the curious", exercises.ini's `optional`): run
    # and shown, but never counted in passed/ok.
    optional: list = field(default_factory=list)

    def split_optional(self, optional_ids):
        """Moves the results of the optional tests out of `results`."""
        ids = set(optional_ids)
        self.optional = [r for r in self.results if r.test in ids]
        self.results = [r for r in self.results if r.test not in ids]
        return self

    @property
    def passed(self):
        return sum(r.passed for r in self.results)

    @property
    def ok(self):
        return not self.problem and self.results and all(r.passed for r in self.results)

    @property
    def outcome(self):
        if self.failure is not None:
            return self.failure
        return Outcome.OK if self.ok else Outcome.TESTS_FAILED

    @classmethod
    def failed_run(cls, expected, failure, problem, message=None):
        """A run that ended before any test reported: every test fails with
        `message` (default: the problem itself)."""
        return cls([Result(t, False, problem if message is None else message) for t in expected],
                   problem, failure=failure)


def lint_test_source(path):
    """Problems that would make the harness's guarantees void."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    problems = []
    if BARE_RE.search(text):
        problems.append("%s: use KATA_TEST / KATA_SUITE, not Criterion's macros directly" % path)
    if re.search(r"\bcr_skip_test\s*\(", text):
        problems.append("%s: skip with KATA_SKIP(en, zh), not cr_skip_test (the learner must "
                        "read why)" % path)
    suites = set(SUITE_RE.findall(text))
    for suite, _ in TEST_RE.findall(text):
        if suite not in suites:
            problems.append("%s: suite %s has no KATA_SUITE (no time limit)" % (path, suite))
            suites.add(suite)
    return problems


def signal_words(sig, environ=None):
    try:
        name = signal.Signals(sig).name
    except ValueError:
        return lang.t("sig.other", sig, environ=environ)
    key = "sig." + name
    return lang.t(key, environ=environ) if key in lang.MESSAGES else name


MARKER_BYTES = 64 << 10    # a marker is a line or a paragraph
REPORT_BYTES = 16 << 20    # Criterion's XML of a run


def _read(path):
    """A marker the run wrote: never a link, a device or a FIFO, never more
    than MARKER_BYTES (readback.safe_read)."""
    try:
        return readback.safe_read(path, MARKER_BYTES).decode("utf-8", "replace").strip()
    except readback.Unreadable:
        return None


def _strip_location(text):
    """'tests/x/test_a.c:12: message' -> 'message'."""
    lines = [re.sub(r"^[^\s:]+\.c:\d+: ?", "", ln) for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln.strip()).strip()


# Criterion's XML, as each version writes a failing test's messages (its
# src/io/xml.c), every line of a message ending in "&#10;":
#   2.3     the text as it is: a "<" or "&" in a message breaks the XML;
#   2.4.0, 2.4.1  the first line in CDATA, later lines as they are, indented
#           by 8 spaces: "]]>" in the first line or "<" in a later one breaks it;
#   2.4.2+  the whole message in one CDATA, its newlines written "&#10;"
#           (so they stay "&#10;" once parsed): only "]]>" breaks it.
# Well-formed XML is read with ElementTree; the broken forms with CASE_RE,
# which knows the one layout every version writes.
CONTINUATION = " " * 8
SUITE_TAG_RE = re.compile(r'<testsuite name="([^"]*)"')
CASE_RE = re.compile(r'<testcase name="([^"]*)"[^>]*? status="([A-Z]*)"[^>]*>(.*?)</testcase>',
                     re.S)
FAILURE_RE = re.compile(r'<failure type="assert" message="[^"]*">(.*)</failure>', re.S)
ERROR_RE = re.compile(r'<error type="(\w+)"')
CDATA_RE = re.compile(r"<!\[CDATA\[(.*?)\]\]>(?=&#10;)", re.S)


def _message(text):
    """A failure's text as the learner should read it, in every version's
    form: newlines for "&#10;", Criterion's continuation indent removed."""
    lines = (text or "").replace("&#10;", "\n").splitlines()
    lines = [ln[len(CONTINUATION):] if ln.startswith(CONTINUATION) else ln for ln in lines]
    return _strip_location("\n".join(lines))


def _entry(found, tid, entry):
    # A second test of the same name (one defined in submitted code) can
    # only take a pass away, never give one.
    if tid not in found or found[tid][0] == "PASSED":
        found[tid] = entry


def _parse_tree(data):
    found = {}
    for suite in ET.fromstring(data).iter("testsuite"):
        for case in suite.iter("testcase"):
            tid = "%s::%s" % (suite.get("name"), case.get("name"))
            msgs = [_message(fail.text or fail.get("message", "")) for fail in case.iter("failure")]
            kind = ""
            for err in case.iter("error"):
                kind = err.get("type", "error")
            _entry(found, tid, (case.get("status", ""), "\n".join(m for m in msgs if m), kind))
    return found


def _parse_broken(text):
    """The XML of a Criterion that did not escape a message (see above)."""
    found = {}
    starts = [(m.start(), m.group(1)) for m in SUITE_TAG_RE.finditer(text)]
    for i, (start, suite) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
        for case in CASE_RE.finditer(text, start, end):
            body = case.group(3)
            fail = FAILURE_RE.search(body)
            message = _message(CDATA_RE.sub(lambda m: m.group(1), fail.group(1))) if fail else ""
            err = ERROR_RE.search(body)
            _entry(found, "%s::%s" % (suite, case.group(1)),
                   (case.group(2), message, err.group(1) if err else ""))
    return found


def parse_xml(path):
    """{suite::name: (status, message, error kind)} from Criterion's XML
    report (a file, read with readback.safe_read, or the report's bytes),
    in the form of any Criterion from 2.3 on; ET.ParseError when nothing in
    it can be read."""
    if isinstance(path, bytes):
        data = path
    else:
        try:
            data = readback.safe_read(path, REPORT_BYTES)
        except readback.Unreadable as e:
            raise OSError(str(e))
    try:
        return _parse_tree(data)
    except ET.ParseError as e:
        found = _parse_broken(data.decode("utf-8", "replace"))
        if not found:
            raise e
        return found


def _run_problem(outcome, seconds, environ=None):
    """(Outcome, words) of a run that never reported."""
    if outcome.timed_out:
        return Outcome.TIMEOUT, lang.t("report.timed out", seconds, environ=environ)
    rc = outcome.returncode
    if rc is not None and rc < 0:
        return Outcome.CRASH, lang.t("report.killed", signal_words(-rc, environ), environ=environ)
    if rc == 0:
        return Outcome.NO_REPORT, lang.t("report.exit 0", environ=environ)
    return Outcome.NO_REPORT, lang.t("report.exit n", rc, environ=environ)


def verdicts(expected, xml_path, marks_dir, outcome, seconds, environ=None):
    """Combines the XML report, the harness's markers and how the program
    ended into one Result per expected test. The sentences follow the
    language of `environ` (default: this process's environment)."""
    report = RunReport()
    try:
        found = parse_xml(xml_path)
    except OSError:
        return _stopped(expected, marks_dir, outcome, seconds, environ)
    except ET.ParseError:  # written, but not in any form a Criterion writes
        if outcome.timed_out or (outcome.returncode or 0) < 0:
            return _stopped(expected, marks_dir, outcome, seconds, environ)
        return _from_markers(expected, marks_dir, environ)
    for tid in expected:
        report.results.append(_one(tid, found.get(tid), marks_dir, environ))
    if outcome.leftovers:
        zombie = lang.t("report.zombie", environ=environ)
        shown = lang.t("report.list sep", environ=environ).join(
            lang.t("report.leftover", p, v[1], zombie if v[0] == "Z" else "", environ=environ)
            for p, v in sorted(outcome.leftovers.items())[:5])
        report.problem = lang.t("report.leftovers", shown, environ=environ)
        report.failure = Outcome.LEFTOVERS
    return report


def _stopped(expected, marks_dir, outcome, seconds, environ=None):
    """A run that ended before it reported: every test fails with how it
    ended, except a test its own watchdog ended, which says where it was stuck."""
    failed = RunReport.failed_run(expected, *_run_problem(outcome, seconds, environ))
    stuck = {t: _marker(marks_dir, t, ".timeout") for t in expected} if outcome.timed_out else {}
    if any(stuck.values()):  # the tests did run: the others ran out of the run's time
        later = lang.t("report.stopped later", seconds, environ=environ)
        failed.results = [Result(t, False, stuck[t] or later) for t in expected]
    return failed


def _from_markers(expected, marks_dir, environ=None):
    """A run that ended and wrote a report nothing can be read from: each
    test fails, with the reason its harness markers give, else the report's."""
    report = RunReport(problem=lang.t("report.unreadable", environ=environ),
                       failure=Outcome.NO_REPORT)
    for tid in expected:
        r = _one(tid, ("", "", ""), marks_dir, environ)
        if r.passed or r.message == lang.t("report.failed", environ=environ):
            r = Result(tid, False, report.problem)
        report.results.append(r)
    return report


def _marker(marks_dir, tid, suffix):
    return _read(os.path.join(marks_dir, tid + suffix))


def _one(tid, entry, marks_dir, environ=None):
    def t(key, *args):
        return lang.t(key, *args, environ=environ)
    timeout = _marker(marks_dir, tid, ".timeout")
    if timeout:
        return Result(tid, False, timeout)  # the harness's words, already in the language
    if _marker(marks_dir, tid, ".forked") is not None:
        return Result(tid, False, t("report.forked"))
    if entry is None:
        return Result(tid, False, t("report.never reported"))
    status, message, kind = entry
    crash = _marker(marks_dir, tid, ".crash")
    if status == "SKIPPED":
        # Only the tests can skip (submitted code may not call Criterion), and
        # only when the machine cannot show what they check, e.g. parallelism
        # on one CPU: nothing to fail, nothing to count as proven either.
        why = _marker(marks_dir, tid, ".skip")
        if why:  # the test's own reason (KATA_SKIP), already in the language
            return Result(tid, True, t("report.skipped because", why.strip()), skipped=True)
        return Result(tid, True, t("report.skipped"), skipped=True)
    if status == "PASSED":
        if _marker(marks_dir, tid, ".done") is None:
            return Result(tid, False, t("report.exit in test"))
        return Result(tid, True)
    if kind == "crash" or crash:
        sig = int(crash) if crash and crash.isdigit() else 0
        why = signal_words(sig, environ) if sig else t("sig.some")
        where = _marker(marks_dir, tid, ".where")  # the harness's words: where each thread was
        return Result(tid, False, t("report.crashed", why) + ("\n" + where if where else ""))
    if kind == "timeout":
        return Result(tid, False, t("report.out of time"))
    where = _marker(marks_dir, tid, ".where")  # a helper of the test crashed: where
    return Result(tid, False, (message or t("report.failed")) + ("\n" + where if where else ""))

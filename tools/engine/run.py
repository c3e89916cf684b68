"""One test runner and one helgrind runner, for the learner and for grading.

run_tests builds an exercise's test program and runs it; run_helgrind builds
its helgrind driver and runs it under valgrind. Both take an optional
containment (`grading`, a contain.Grading): the grading path passes one (its
limits, its user, folders only that user may write, the include policy, a
build folder of its own: build/<ex>/graded-<variant>/), the learner's path
passes none. Runs of the same exercise and build folder wait for each other.
The sentences follow the learner's language (lang.py).

In the sandbox (a Grading whose mode is "namespaces"), the learner's files
are compiled, judged (policy.judge_object) and linked, and the tests and the
helgrind check run, in bubblewrap (build.Box, kept in grading.box between
the two runs of an exercise); Criterion's report comes through a pipe only
its runner holds, and every file the run wrote is read back with care
(readback)."""

import contextlib
import fcntl
import os
import re
import threading
from dataclasses import dataclass

from engine import build, helgrind_summary, lang, places, policy, procs, readback, report
from engine.contain import grading_uid, writable_by
from engine.course import ROOT, UsageError
from engine.report import Outcome, RunReport

SUPPRESSIONS = os.path.join(ROOT, "tests", "common", "helgrind.supp")
REPORT_BYTES = 16 << 20   # Criterion's XML of one run, read from its channel
HELGRIND_LOG_BYTES = 4 << 20
HELGRIND_LOGS = 64        # one per process of the scenario
# The helgrind driver's own report of a scenario that hangs (tests/common/stuck.h).
STUCK = re.compile(r"^---- kata: the scenario is stuck ----\n(.*?)^---- kata: end of the report ----$",
                   re.M | re.S)
STUCK_STATUS = 86         # KATA_EXIT_TIMEOUT


def variant(src, grading=None):
    """The build folder's name for where the learner's files come from."""
    return ("graded-" if grading is not None else "") + build.variant_name(src)


def var_dir(ex, src, grading=None):
    return os.path.join(build.BUILD, ex.name, variant(src, grading))


@contextlib.contextmanager
def _locked(d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# ---- the tests ---------------------------------------------------------------

def run_tests(ex, src=None, sources=None, grading=None):
    """Builds and runs the tests `sources` (default: every test file of the
    exercise) against the learner's files from SRC (default: exercises/);
    returns a RunReport."""
    expected = report.expected_tests(sources or ex.test_sources())
    d = var_dir(ex, src, grading)
    with _locked(d):
        try:
            binary = _build_tests(ex, src, sources, grading)
        except UsageError as e:  # e.g. a submission without this exercise's files
            return _not_submitted(ex, expected, e, grading)
        except build.BuildError as e:
            key = "run.code no compile" if e.student else (
                "run.machine no build" if e.machine else "run.tests no compile")
            key = "run.code refused" if e.refused else key
            failure = Outcome.COMPILE_ERROR_STUDENT if e.student else Outcome.COMPILE_ERROR_TESTS
            problem = lang.t(key) + "\n" + e.output.rstrip()
            short = None if grading else lang.t("run.did not compile")
            return RunReport.failed_run(expected, failure, problem, short)
        if grading is not None and grading.boxed:
            return _run_boxed(ex, grading, expected, d)
        return _run_program(ex, binary, expected, d, grading)


def _build_tests(ex, src, sources, grading):
    if grading is not None:  # graded code may include headers by name only
        bad = policy.check_includes(ex.student_paths(src))
        if bad:
            raise build.BuildError(bad, True)
        if grading.boxed:
            if grading.box is None:
                grading.box = build.Box(grading_uid(grading.slot), sandboxed=grading.sandboxed)
            return build.build_boxed(ex, src, grading.box, test_sources=sources,
                                     helgrind=bool(ex.helgrind_source()), calls=ex.calls)["test"]
    return build.build(ex, src, test_sources=sources, variant=variant(src, grading),
                       judge=grading is not None)


def _not_submitted(ex, expected, error, grading):
    if grading is not None:
        problem = lang.t("run.not found", ", ".join(ex.files))
        return RunReport.failed_run(expected, Outcome.NOT_SUBMITTED, problem)
    return RunReport.failed_run(expected, Outcome.NOT_SUBMITTED,
                                lang.t("run.no submission", error), lang.t("run.not submitted"))


def _run_program(ex, binary, expected, d, grading):
    """Runs a built test program (the learner's, or a grading without a box:
    a non-root grader that opted in, KATA_UNSANDBOXED=1); its verdicts from
    the report it wrote."""
    limits = grading.limits(ex, ex.timeout) if grading is not None else None
    run_dir = os.path.join(d, "run") if limits else d
    marks, xml = os.path.join(run_dir, "marks"), os.path.join(run_dir, "report.xml")
    if limits:
        writable_by(run_dir, None)
    writable_by(marks, None)
    if os.path.exists(xml):
        os.remove(xml)
    # KATA_LANG passes the learner's language on: LC_ALL below would hide LANG.
    env = dict(os.environ, KATA_MARKS=marks, KATA_TEST_SECONDS="%g" % ex.test_seconds,
               LC_ALL="C.UTF-8", KATA_LANG=lang.code())
    outcome = procs.run([binary, "--xml=" + xml], ex.timeout, os.path.join(d, "output.log"),
                        env=env, cwd=ROOT, contain=limits)
    if outcome.limit:  # what ended the run says more than how each test ended
        return RunReport.failed_run(expected, Outcome.LIMIT, lang.t("run.ended", outcome.limit))
    rep = report.verdicts(expected, xml, marks, outcome, ex.timeout)
    # offsets, places and error numbers of the messages in words (places.py); no
    # tool runs as the grader on a program linked with submitted code
    return places.in_words(rep, binary if grading is None else None, ex.files)


def _drain(fd, limit, into):
    """Reads a channel to its end (at most `limit` bytes kept)."""
    got, size = [], 0
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            break
        if size < limit:
            got.append(b[:limit - size])
            size += len(got[-1])
    os.close(fd)
    into.append(b"".join(got))


def _run_boxed(ex, grading, expected, d):
    """The tests in the sandbox. Criterion's XML comes through a pipe that
    only the runner holds (BoxFort's workers, where the tests and the
    learner's code run, do not inherit it); the markers, written by the
    harness inside the workers, from the run's folder, read with care."""
    box, limits = grading.box, grading.limits(ex, ex.timeout)
    marks = os.path.join(box.out, "marks")
    writable_by(marks, limits.uid)
    r, w = os.pipe()
    os.set_inheritable(w, True)
    if limits.uid is not None:  # the runner reopens it by /dev/fd/N, as the grading user
        os.fchown(w, limits.uid, limits.uid)
    got = []
    reader = threading.Thread(target=_drain, args=(r, REPORT_BYTES, got), daemon=True)
    reader.start()
    env = {"KATA_MARKS": box.inside("out", "marks"), "KATA_TEST_SECONDS": "%g" % ex.test_seconds,
           "KATA_LANG": lang.code()}
    try:
        outcome = box.run_program([box.programs["test"], "--xml=/dev/fd/%d" % w], ex.timeout,
                                  os.path.join(d, "output.log"), limits, env=env, pass_fds=(w,))
    finally:
        os.close(w)
    reader.join(10)
    xml = got[0] if got else b""
    if outcome.returncode is None or outcome.returncode < 0:
        xml = b""  # a runner that was killed reported nothing, whatever came before
    if outcome.limit:
        return RunReport.failed_run(expected, Outcome.LIMIT, lang.t("run.ended", outcome.limit))
    rep = report.verdicts(expected, xml, marks, outcome, ex.timeout)
    # places in words by addr2line in the sandbox, as the grading user
    return places.in_words(rep, box.programs["test"], ex.files, run=_boxed_tool(box))


def _boxed_tool(box):
    def run(argv):
        status, output = box.run(argv, seconds=places.TOOL_SECONDS, name="places")
        return output if status == 0 else ""
    return run


# ---- helgrind ------------------------------------------------------------------

@dataclass
class HelgrindRun:
    ok: bool            # the check passed: nothing reported and the scenario ran well
    clean: bool         # helgrind itself reported nothing in the learner's code
    reported: int       # how many reports counted
    text: str           # the summary and what else went wrong, in words
    logdir: str = ""    # where valgrind's logs are
    stuck: bool = False  # the scenario hung and its watchdog said who waits for whom


def run_helgrind(ex, src=None, grading=None):
    """Builds and runs the exercise's helgrind driver under valgrind; returns
    a HelgrindRun."""
    d = var_dir(ex, src, grading)
    with _locked(d):
        limits = grading.limits(ex, ex.helgrind_timeout) if grading is not None else None
        boxed = grading is not None and grading.boxed
        if boxed and "helgrind" not in getattr(grading.box, "programs", {}):
            # built beside the test program by run_tests; not there: its build failed
            return HelgrindRun(False, False, 0, lang.t("run.code no compile"))
        if boxed:
            box = grading.box
            logdir = os.path.join(box.out, "helgrind")
            argv = ["valgrind", "--tool=helgrind",
                    "--suppressions=" + box.inside("in", "common", "helgrind.supp"),
                    "--log-file=" + box.inside("out", "helgrind", "helgrind.%p.log"),
                    box.programs["helgrind"]]
            writable_by(logdir, limits.uid)
            outcome = box.run_program(argv, ex.helgrind_timeout, os.path.join(box.private,
                                                                              "helgrind.log"),
                                      limits)
            logs = _logs(logdir)
            stuck = _stuck_report(outcome, logdir, box.programs["helgrind"], ex.files,
                                  _boxed_tool(box))
        else:
            try:
                driver = build.build(ex, src, helgrind=True, variant=variant(src, grading),
                                     judge=grading is not None)
            except build.BuildError as e:
                key = "run.code no compile" if e.student else "run.hg driver no compile"
                return HelgrindRun(False, False, 0, lang.t(key) + "\n" + e.output.rstrip())
            logdir = os.path.join(d, "helgrind")
            outcome, logs = _run_driver(ex, driver, logdir, limits)
            stuck = _stuck_report(outcome, logdir, driver if grading is None else None, ex.files)
        students = [os.path.relpath(p, ROOT) for p in ex.student_paths(src)]
        summary = helgrind_summary.summarize(logs, students)
        problems = [lang.t("hg.stuck") + "\n" + stuck] if stuck else []
        problems += _helgrind_problems(ex, outcome, graded=grading is not None, stuck=bool(stuck))
        text = "\n".join([summary.text.rstrip()] + problems)
        return HelgrindRun(summary.ok and not problems, summary.ok, summary.counted, text, logdir,
                           bool(stuck))


def _stuck_report(outcome, logdir, driver, learner, run=None):
    """The driver's report of a scenario that hung, its places in words; ""
    when it did not hang. The run wrote it: read with care, and it only
    ever adds words to a run that failed."""
    if outcome.returncode != STUCK_STATUS or outcome.timed_out:
        return ""
    try:
        text = readback.safe_read(os.path.join(logdir, "output.log"), report.MARKER_BYTES * 4)
    except readback.Unreadable:
        return ""
    m = STUCK.search(text.decode("utf-8", "replace"))
    return places.where_words(m.group(1).rstrip(), driver, learner, run) if m else ""


def _run_driver(ex, driver, logdir, limits):
    """The helgrind driver under valgrind without a box (the learner's run,
    or a non-root grader that opted in); its logs kept in `logdir`."""
    writable_by(logdir, None)
    argv = ["valgrind", "--tool=helgrind", "--suppressions=" + SUPPRESSIONS,
            "--log-file=" + os.path.join(logdir, "helgrind.%p.log"), driver]
    outcome = procs.run(argv, ex.helgrind_timeout, os.path.join(logdir, "output.log"), cwd=ROOT,
                        contain=limits)
    return outcome, _logs(logdir)


def _logs(logdir):
    """The scenario's logs, read with care (readback): the graded run wrote them."""
    logs = []
    try:
        fd = readback.open_dir(logdir)
    except readback.Unreadable:
        return logs
    try:
        for name in readback.safe_listdir(fd):
            if name.startswith("helgrind.") and name.endswith(".log") and len(logs) < HELGRIND_LOGS:
                try:
                    logs.append(readback.safe_read(name, HELGRIND_LOG_BYTES, dir_fd=fd)
                                .decode("utf-8", "replace"))
                except readback.Unreadable:
                    pass
    finally:
        os.close(fd)
    return logs


def _helgrind_problems(ex, outcome, graded, stuck=False):
    """What went wrong with the run itself, beside helgrind's reports."""
    problems = []
    if stuck:
        pass  # its own report says it
    elif outcome.limit:
        problems.append(lang.t("hg.ended", outcome.limit))
    elif outcome.timed_out:
        problems.append(lang.t("hg.run stopped", ex.helgrind_timeout))
    elif outcome.returncode != 0:
        problems.append(lang.t("hg.scenario failed graded", outcome.returncode) if graded
                        else lang.t("hg.scenario failed", outcome.returncode, ex.number))
    if outcome.leftovers:
        problems.append(lang.t("hg.left running"))
    return problems

"""One test runner and one helgrind runner, for the learner and for grading.

run_tests builds an exercise's test program and runs it; run_helgrind builds
its helgrind driver and runs it under valgrind. Both take an optional
containment (`grading`, a contain.Grading): the grading path passes one (its
limits, its user, folders only that user may write, the include policy, a
build folder of its own: build/<ex>/graded-<variant>/), the learner's path
passes none. Runs of the same exercise and build folder wait for each other.
The sentences follow the learner's language (lang.py)."""

import contextlib
import fcntl
import os
from dataclasses import dataclass

from engine import build, helgrind_summary, lang, places, policy, procs, report
from engine.contain import check_reachable, writable_by
from engine.course import ROOT, UsageError
from engine.report import Outcome, RunReport

SUPPRESSIONS = os.path.join(ROOT, "tests", "common", "helgrind.supp")


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
            failure = Outcome.COMPILE_ERROR_STUDENT if e.student else Outcome.COMPILE_ERROR_TESTS
            problem = lang.t(key) + "\n" + e.output.rstrip()
            short = None if grading else lang.t("run.did not compile")
            return RunReport.failed_run(expected, failure, problem, short)
        return _run_program(ex, binary, expected, d, grading)


def _build_tests(ex, src, sources, grading):
    if grading is not None:  # graded code may include headers by name only
        bad = policy.check_includes(ex.student_paths(src))
        if bad:
            raise build.BuildError(bad, True)
    return build.build(ex, src, test_sources=sources, variant=variant(src, grading))


def _not_submitted(ex, expected, error, grading):
    if grading is not None:
        problem = lang.t("run.not found", ", ".join(ex.files))
        return RunReport.failed_run(expected, Outcome.NOT_SUBMITTED, problem)
    return RunReport.failed_run(expected, Outcome.NOT_SUBMITTED,
                                lang.t("run.no submission", error), lang.t("run.not submitted"))


def _run_program(ex, binary, expected, d, grading):
    """Runs a built test program; its verdicts from the report it wrote."""
    limits = grading.limits(ex, ex.timeout) if grading is not None else None
    run_dir = os.path.join(d, "run") if limits else d
    marks, xml = os.path.join(run_dir, "marks"), os.path.join(run_dir, "report.xml")
    if limits:
        check_reachable(binary, limits.uid)
        writable_by(run_dir, limits.uid)
        writable_by(marks, limits.uid)
    else:
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
    # offsets and error numbers of the messages in words (places.py)
    return places.in_words(report.verdicts(expected, xml, marks, outcome, ex.timeout), binary)


# ---- helgrind ------------------------------------------------------------------

@dataclass
class HelgrindRun:
    ok: bool            # the check passed: nothing reported and the scenario ran well
    clean: bool         # helgrind itself reported nothing in the learner's code
    reported: int       # how many reports counted
    text: str           # the summary and what else went wrong, in words
    logdir: str = ""    # where valgrind's logs are


def run_helgrind(ex, src=None, grading=None):
    """Builds and runs the exercise's helgrind driver under valgrind; returns
    a HelgrindRun."""
    d = var_dir(ex, src, grading)
    with _locked(d):
        try:
            driver = build.build(ex, src, helgrind=True, variant=variant(src, grading))
        except build.BuildError as e:
            key = "run.code no compile" if e.student else "run.hg driver no compile"
            return HelgrindRun(False, False, 0, lang.t(key) + "\n" + e.output.rstrip())
        limits = grading.limits(ex, ex.helgrind_timeout) if grading is not None else None
        logdir = os.path.join(d, "helgrind")
        writable_by(logdir, limits.uid if limits else None)
        argv = ["valgrind", "--tool=helgrind", "--suppressions=" + SUPPRESSIONS,
                "--log-file=" + os.path.join(logdir, "helgrind.%p.log"), driver]
        outcome = procs.run(argv, ex.helgrind_timeout, os.path.join(logdir, "output.log"),
                            cwd=ROOT, contain=limits)
        students = [os.path.relpath(p, ROOT) for p in ex.student_paths(src)]
        summary = helgrind_summary.summarize(_logs(logdir), students)
        problems = _helgrind_problems(ex, outcome, graded=grading is not None)
        text = "\n".join([summary.text.rstrip()] + problems)
        return HelgrindRun(summary.ok and not problems, summary.ok, summary.counted, text, logdir)


def _logs(logdir):
    logs = []
    for name in sorted(os.listdir(logdir)):
        if name.startswith("helgrind.") and name.endswith(".log"):
            with open(os.path.join(logdir, name), encoding="utf-8", errors="replace") as f:
                logs.append(f.read())
    return logs


def _helgrind_problems(ex, outcome, graded):
    """What went wrong with the run itself, beside helgrind's reports."""
    problems = []
    if outcome.limit:
        problems.append(lang.t("hg.ended", outcome.limit))
    elif outcome.timed_out:
        problems.append(lang.t("hg.run stopped", ex.helgrind_timeout))
    elif outcome.returncode != 0:
        problems.append(lang.t("hg.scenario failed graded", outcome.returncode) if graded
                        else lang.t("hg.scenario failed", outcome.returncode, ex.number))
    if outcome.leftovers:
        problems.append(lang.t("hg.left running"))
    return problems

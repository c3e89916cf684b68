"""Graded coursework: points per test and per exercise, a table for people,
a Gradescope results.json and JUnit XML.

  kata.py grade [--ex EX] [--src DIR] [--results PATH] [--hidden DIR]

Points (exercises.ini): an exercise's `points` are split between its helgrind
check and its tests. The helgrind check is worth `helgrind_points` (default:
a fifth of the exercise, when the exercise has one); the rest is split evenly
over every test, hidden ones included. The helgrind check earns its points
only when every visible test of the exercise passes: a proof that code which
does not work yet is free of races proves nothing (a stub has no threads).
A run that fails as a whole (no compile, a crash before the tests, processes
left behind, a containment limit) earns nothing for that exercise.

Submitted code runs contained (contain.py: limits on processes, memory, CPU
time, file size and open files; as root a user of its own). Where the kernel
allows namespaces (sandbox.mode() "namespaces"), the learner's files are
compiled, judged (policy.judge_object) and linked, and the tests and the
helgrind check run, in a bubblewrap sandbox that sees only a box of copies
(build.Box) and the system. Elsewhere, as root, the run has a private /tmp
and may write only its own folder ("users"); a non-root grader without
namespaces refuses to grade ("none") unless KATA_UNSANDBOXED=1. The results
line and results.json (extra_data.sandbox) say which mode a grading ran in.
The table, results.json and JUnit XML are written by formats.py."""

import os
import re
import time

from engine import build, contain, course, lang, policy, report, run, sandbox, ui
from engine.course import ROOT, UsageError
from engine.machine import require_compiler, require_criterion, require_valgrind
from engine.instructor import formats

DEFAULT_RESULTS = os.path.join("build", "grade", "results.json")


# ---- metadata ------------------------------------------------------------------

def hidden_sources(ex, hidden_dir=None):
    """The instructor's hidden tests: HIDDEN/<exercise>/test_*.c, or
    tests/<exercise>/hidden/test_*.c."""
    d = os.path.join(os.path.abspath(hidden_dir), ex.name) if hidden_dir else ex.path("tests", "hidden")
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.startswith("test_") and f.endswith(".c"))


def timeout_for(ex):
    """Seconds one exercise may take to grade, compiling included."""
    return ex.timeout + ex.helgrind_timeout + 4 * build.COMPILE_SECONDS


# ---- one exercise ---------------------------------------------------------------

def _words(name):
    """child_ends_with__exit -> 'child ends with _exit'."""
    return re.sub(r"_+", lambda m: " " + "_" * (len(m.group()) - 1), name).strip()


def test_name(ex, tid):
    suite, _, name = tid.partition("::")
    return "%s %s: %s" % (ex.name, _words(suite), _words(name))


def grade_exercise(ex, src=None, hidden_dir=None, slot=0):
    """Grades one exercise; returns its Gradescope test entries and totals."""
    # The optional tests are left out: worth nothing, they are not run here.
    visible, hidden = ex.required_test_sources(), hidden_sources(ex, hidden_dir)
    hidden_ids = set(report.expected_tests(hidden))
    grading = contain.Grading(slot, sandbox.mode())
    try:
        return _grade_exercise(ex, src, grading, visible + hidden, hidden_ids)
    finally:
        grading.close()


def _grade_exercise(ex, src, grading, sources, hidden_ids):
    rep = run.run_tests(ex, src, sources, grading)
    *shares, hg_points = ex.point_shares(len(rep.results))  # cents that add up exactly
    tests = []
    for i, r in enumerate(rep.results, 1):
        per_test = shares[i - 1]
        passed = r.passed and not rep.problem
        message = r.message if not rep.problem or r.message == rep.problem else (
            lang.t("grade.run failed", r.message, rep.problem) if r.message else rep.problem)
        tests.append({"name": test_name(ex, r.test), "number": "%d.%d" % (ex.number, i),
                      "score": per_test if passed else 0.0, "max_score": per_test,
                      "status": "passed" if passed else "failed",
                      "output": "" if passed else formats.cut(message),
                      "visibility": "after_due_date" if r.test in hidden_ids else "visible",
                      "hidden": r.test in hidden_ids, "test": r.test, "exercise": ex.name})
    hg_state = None
    if ex.helgrind_source():
        visible_ok = not rep.problem and rep.results and all(
            r.passed for r in rep.results if r.test not in hidden_ids)
        if visible_ok:
            require_valgrind()
            hg = run.run_helgrind(ex, src, grading)
            ok, text = hg.ok, hg.text
            hg_state = "clean" if ok else "FAIL"
        else:
            ok, hg_state = False, "not run"
            text = lang.t("grade.hg not run", ex.name)
        tests.append({"name": lang.t("grade.hg test", ex.name),
                      "number": "%d.%d" % (ex.number, len(rep.results) + 1),
                      "score": hg_points if ok else 0.0, "max_score": hg_points,
                      "status": "passed" if ok else "failed", "output": "" if ok else formats.cut(text),
                      "visibility": "visible", "hidden": False, "test": "helgrind",
                      "exercise": ex.name})
    score = round(sum(t["score"] for t in tests), 2)
    return {"exercise": ex.name, "title": ex.title, "score": score, "max_score": ex.points,
            "tests": tests, "problem": rep.problem, "helgrind": hg_state,
            "review": _review(ex, src),
            "passed": sum(1 for r in rep.results if r.passed and not rep.problem
                          and r.test not in hidden_ids),
            "total": sum(1 for r in rep.results if r.test not in hidden_ids),
            "hidden_passed": sum(1 for r in rep.results if r.passed and not rep.problem
                                 and r.test in hidden_ids),
            "hidden_total": len(hidden_ids)}


def _review(ex, src):
    """The review list of the exercise's submitted files (policy.review)."""
    try:
        return policy.review(ex.student_paths(src))
    except UsageError:  # not submitted: nothing to look at
        return []


# ---- one submission ------------------------------------------------------------

def require_grading():
    """Stops with one line when this machine cannot grade."""
    require_compiler()
    require_criterion()
    try:
        sandbox.require_sandbox()
    except sandbox.Refused as e:
        raise UsageError(str(e))


def grade(exercises, src=None, hidden_dir=None, slot=0):
    require_grading()
    if sandbox.mode() == "users" and contain.grading_uid(slot) is not None:
        contain.require_shut([ROOT, hidden_dir])
    start = time.monotonic()
    graded = [grade_exercise(ex, src, hidden_dir, slot) for ex in exercises]
    return graded, results_of(graded, time.monotonic() - start, slot)


def results_of(graded, seconds, slot=0):
    """results.json's content for the graded exercises."""
    total = round(sum(g["score"] for g in graded), 2)
    return {"score": total, "execution_time": round(seconds, 1),
            "output": formats.table(graded, total, colour=False),
            "stdout_visibility": "hidden",
            "tests": [{k: v for k, v in t.items() if k not in ("hidden", "test", "exercise")}
                      for g in graded for t in g["tests"]],
            "extra_data": {"max_score": round(sum(g["max_score"] for g in graded), 2),
                           "grading_uid": contain.grading_uid(slot),
                           "sandbox": sandbox.mode(),
                           "review": {g["exercise"]: g["review"] for g in graded if g["review"]},
                           "exercises": {g["exercise"]: {"score": g["score"], "max_score": g["max_score"]}
                                         for g in graded}}}


def cmd_grade(args):
    exercises = course.load()
    if args.ex:
        exercises = [course.resolve(args.ex, exercises)]
    path = args.results or os.path.join(ROOT, DEFAULT_RESULTS)
    src = args.src
    if src and not any(os.path.isdir(os.path.join(src, ex.name)) for ex in exercises) \
            and os.path.isdir(os.path.join(src, "exercises")) \
            and not os.path.islink(os.path.join(src, "exercises")):
        src = os.path.join(src, "exercises")  # SRC is a whole clone of the repository
    graded, results = grade(exercises, src, args.hidden, getattr(args, "slot", 0) or 0)
    xml = formats.write_results(path, results, graded)
    if not getattr(args, "quiet", False):
        print(formats.table(graded, results["score"]))
        fails = formats.failures(graded)
        if fails:
            print()
            print(fails)
        print(ui.paint("results: %s, %s (sandbox: %s)" % (course.shown(os.path.abspath(path)),
                                                          course.shown(xml), sandbox.mode()), "dim"))
    full = results["score"] >= results["extra_data"]["max_score"]
    return 0 if full else 1

"""Gradescope: the autograder zip, and the grading it runs.

  kata.py gradescope [--out ZIP] [--hidden DIR]   builds the zip
  tools/gradescope.py --root DIR                         grades DIR/submission into
                                                   DIR/results/results.json
                                                   (run_autograder calls it)

The zip holds setup.sh and run_autograder (tools/autograder/) at its top and
the repository beside them, hidden tests included, without solutions/ or the
known-wrong solutions. Gradescope unpacks it into /autograder/source."""

import argparse
import dataclasses
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import zipfile

from engine import build, contain, course, lang, procs, report, sandbox, ui
from engine.course import ROOT, UsageError
from engine.instructor import formats, points, release
from engine.instructor.submissions import locate

DEFAULT_ZIP = os.path.join("build", "gradescope", "autograder.zip")
TEMPLATES = os.path.join(ROOT, "tools", "autograder")


def _add(z, path, arcname, executable=False):
    info = zipfile.ZipInfo(arcname, date_time=time.localtime(os.path.getmtime(path))[:6])
    mode = 0o755 if executable or os.access(path, os.X_OK) else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(path, "rb") as f:
        z.writestr(info, f.read())


def build_zip(out, hidden_dir=None):
    exercises = course.load()
    files = release.tree_files(exercises, hidden=True, instructor=True)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp%d" % os.getpid()
    hidden = 0
    with zipfile.ZipFile(tmp, "w") as z:
        for name in ("setup.sh", "run_autograder"):
            _add(z, os.path.join(TEMPLATES, name), name, executable=True)
        for rel in files:
            _add(z, os.path.join(ROOT, rel), rel)
            hidden += "%shidden%s" % (os.sep, os.sep) in rel
        if hidden_dir:  # HIDDEN/<exercise>/test_*.c -> tests/<exercise>/hidden/
            for ex in exercises:
                for p in points.hidden_sources(ex, hidden_dir):
                    _add(z, p, os.path.join("tests", ex.name, "hidden", os.path.basename(p)))
                    hidden += 1
    os.replace(tmp, out)
    return len(files) + 2, hidden


def cmd_gradescope(args):
    out = os.path.abspath(args.out or os.path.join(ROOT, DEFAULT_ZIP))
    count, hidden = build_zip(out, args.hidden)
    print("wrote %s: %d files (%d hidden test files), setup.sh and run_autograder at the top"
          % (course.shown(out), count, hidden))
    print(ui.paint("Upload it as the autograder of a Gradescope programming assignment "
                   "(base image Ubuntu 22.04).", "dim"))
    return 0


# ---- on Gradescope's machine ------------------------------------------------------

# Gradescope's defaults are a 10-minute limit, 1/2 CPU and 768 MB; the budget
# leaves 3 minutes to spare (the reference solutions grade in about a minute
# there: tools/gradescope_measure.py).
BUDGET_SECONDS = 420
PROCESS_MB = 512      # address space of each graded process (exercises.ini says 1024)
RUN_MB = 512          # resident memory of one graded run, all its processes together
STOP_SECONDS = 5      # a stopped exercise's grader may clean up this long
GRADESCOPE_PY = os.path.join(ROOT, "tools", "gradescope.py")


def found_text(got, exercises):
    lines = []
    for ex in exercises:
        if ex.name in got:
            lines.append("%s: graded %s" % (ex.name, ", ".join(got[ex.name])))
        else:
            lines.append("%s: not found in your submission (looked for %s, as "
                         "exercises/%s/%s or anywhere)" % (ex.name, ", ".join(ex.files), ex.name,
                                                          ex.files[0] if ex.files else ""))
    return "\n".join(lines)


def fitted(ex, seconds):
    """The exercise with its limits fitted into `seconds` of grading: its
    test and helgrind time limits scaled down alike (never up), its memory
    held to PROCESS_MB."""
    f = min(1.0, seconds / points.timeout_for(ex))
    return dataclasses.replace(ex, timeout=max(ex.timeout * f, 2 * ex.test_seconds),
                               helgrind_timeout=max(ex.helgrind_timeout * f, 10.0),
                               memory_mb=min(ex.memory_mb, PROCESS_MB))


def unfinished(ex, reason):
    """An exercise that was not graded to its end: each of its tests (and
    its helgrind check) failed with `reason`, worth what they would be."""
    hidden = points.hidden_sources(ex)
    hidden_ids = set(report.expected_tests(hidden))
    ids = report.expected_tests(ex.required_test_sources() + hidden)
    *shares, hg = ex.point_shares(len(ids))
    entries = [(tid, share) for tid, share in zip(ids, shares)]
    names = [points.test_name(ex, tid) for tid in ids]
    if ex.helgrind_source():
        entries.append(("helgrind", hg))
        names.append(lang.t("grade.hg test", ex.name))
    tests = [{"name": name, "number": "%d.%d" % (ex.number, i), "score": 0.0, "max_score": share,
              "status": "failed", "output": reason,
              "visibility": "after_due_date" if tid in hidden_ids else "visible",
              "hidden": tid in hidden_ids, "test": tid, "exercise": ex.name}
             for i, ((tid, share), name) in enumerate(zip(entries, names), 1)]
    return {"exercise": ex.name, "title": ex.title, "score": 0.0, "max_score": ex.points,
            "tests": tests, "problem": reason, "helgrind": "not run" if ex.helgrind_source() else None,
            "review": [], "passed": 0, "total": len(ids) - len(hidden_ids),
            "hidden_passed": 0, "hidden_total": len(hidden_ids)}


def _write(path, graded, head, start):
    data = points.results_of(graded, time.monotonic() - start)
    data["output"] = head + "\n\n" + data["output"]
    formats.write_results(path, data, graded)
    return data


def _read_graded(path, ex):
    with open(path, encoding="utf-8") as f:
        g = json.load(f)
    if g.get("exercise") != ex.name or not isinstance(g.get("tests"), list):
        raise ValueError("not the grading of %s" % ex.name)
    return g


def grade_in_child(ex, src, seconds):
    """Grades one exercise in a process (and session) of its own; ends it,
    and everything below it, after `seconds`."""
    d = os.path.join(build.BUILD, "gradescope")
    os.makedirs(d, exist_ok=True)
    out, log = os.path.join(d, ex.name + ".json"), os.path.join(d, ex.name + ".log")
    if os.path.lexists(out):
        os.remove(out)
    argv = [sys.executable, "-S", GRADESCOPE_PY, "--exercise", ex.name, "--src", src,
            "--seconds", "%.1f" % seconds, "--out", out]
    with open(log, "wb") as f:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                cwd=ROOT, start_new_session=True)
        try:
            rc = proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            rc = None
            proc.terminate()  # its grader removes what it made (contain.Grading.close)
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        procs.kill_descendants()  # this process is a subreaper: orphans included
        proc.poll()
    with open(log, encoding="utf-8", errors="replace") as f:
        print(f.read().rstrip())
    if rc is None:
        return unfinished(ex, lang.t("gs.stopped", ex.name, seconds))
    try:
        return _read_graded(out, ex)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return unfinished(ex, lang.t("gs.failed", ex.name, rc))


def run(root, budget=BUDGET_SECONDS):
    """Grades root/submission; always writes root/results/results.json,
    after every exercise. Returns the graded exercises."""
    results = os.path.join(root, "results", "results.json")
    exercises = course.load()
    start = time.monotonic()
    try:
        points.require_grading()
        procs.become_subreaper()
        if sandbox.mode() == "users" and os.geteuid() == 0:
            # no sandbox in this container: the grading user would see the
            # autograder's files (hidden tests) as any user does. The container
            # is this submission's alone: shut them (contain.require_shut).
            os.chmod(ROOT, os.stat(ROOT).st_mode & 0o770)
        src = os.path.join(build.BUILD, "submission")
        submission = os.path.join(root, "submission")
        got = locate(submission, exercises, src) if os.path.isdir(submission) else {}
        head = found_text(got, exercises)
        graded = []
        waiting = [unfinished(ex, lang.t("gs.not reached", ex.name)) for ex in exercises]
        _write(results, waiting, head, start)
        for i, ex in enumerate(exercises):
            # what a stopped grader may take beyond its share, kept for each one to come
            left = budget - (time.monotonic() - start) - STOP_SECONDS * (len(exercises) - i)
            share = left * points.timeout_for(ex) / sum(points.timeout_for(e) for e in exercises[i:])
            graded.append(grade_in_child(ex, src, max(share, 1.0)))
            data = _write(results, graded + waiting[i + 1:], head, start)
        print(data["output"])
        print(formats.failures(graded, colour=False))
        return graded
    except Exception as e:  # the student must get a result all the same
        os.makedirs(os.path.dirname(results), exist_ok=True)
        with open(results, "w") as f:
            json.dump({"score": 0, "output": "The autograder failed: %s: %s. Please tell your "
                       "instructor." % (type(e).__name__, e), "tests": []}, f, indent=1)
        raise


def smoke(budget=BUDGET_SECONDS):
    """setup.sh's test of the image: grades the stubs as a submission. Each
    exercise must run to its end and fail every test for the stub's own
    reason (no run-level problem: it compiled, ran and reported), earning
    nothing. Returns the exit status, after one line."""
    top = tempfile.mkdtemp(prefix="kata-smoke-")
    try:
        os.chmod(top, 0o755)
        shutil.copytree(os.path.join(ROOT, "exercises"), os.path.join(top, "submission"))
        subprocess.run(["chmod", "-R", "o+rX", top], check=True)
        graded = run(top, budget)
    finally:
        shutil.rmtree(top, ignore_errors=True)
        shutil.rmtree(os.path.join(build.BUILD, "submission"), ignore_errors=True)
    bad = ["%s: %s" % (g["exercise"], (g["problem"] or "earned %s" % g["score"]).splitlines()[0])
           for g in graded if g["problem"] or g["score"] or not g["tests"]]
    if bad:
        print("setup.sh: error: the image cannot grade: the stubs' grading went wrong: "
              + "; ".join(bad), file=sys.stderr)
        return 1
    print("setup.sh: the image grades: every stub compiled, ran and failed its %d tests"
          % sum(len(g["tests"]) for g in graded))
    return 0


def grade_one(name, src, seconds, out):
    """The child of grade_in_child: one exercise, fitted into `seconds`,
    its grading written to `out`."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))  # finally-blocks clean up
    contain.TOTAL_MEMORY_MB = RUN_MB
    ex = fitted(course.resolve(name, course.load()), seconds)
    g = points.grade_exercise(ex, src)
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(g, f, ensure_ascii=False)
    os.replace(tmp, out)
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(prog="gradescope")
    p.add_argument("--root", default=os.environ.get("KATA_AUTOGRADER_ROOT", "/autograder"))
    p.add_argument("--budget", type=float, default=float(os.environ.get(
        "KATA_GRADESCOPE_SECONDS", BUDGET_SECONDS)), help="seconds for the whole grading")
    p.add_argument("--smoke", action="store_true", help="grade the stubs: does this image grade?")
    p.add_argument("--exercise", help=argparse.SUPPRESS)  # grade_in_child's child
    p.add_argument("--src", help=argparse.SUPPRESS)
    p.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        if args.exercise:
            return grade_one(args.exercise, args.src, args.seconds, args.out)
        if args.smoke:
            return smoke(args.budget)
        run(os.path.abspath(args.root), args.budget)
        return 0
    except UsageError as e:
        ui.error(str(e))
        return 2

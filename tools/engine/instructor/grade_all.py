"""`make grade-all SUBMISSIONS=dir`: a whole class, one folder per student,
graded in parallel, each student's grader in a process (and session) of its
own; grades.csv and each student's results.json and grade.log.

  kata.py grade-all --submissions DIR [--out DIR] [--hidden DIR]

Whatever a student's folder holds (a link, a FIFO named like a .c file, a
tree thousands of folders deep, a name that is the CSV's), that student's
failure is a row of the CSV with its reason in the `note` column, and the
others are graded. Without the sandbox (mode "users") the class's folder,
like the repository, must be shut to other users (contain.require_shut)."""

import csv
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from engine import build, contain, course, procs, sandbox
from engine.course import ROOT, UsageError
from engine.instructor import points
from engine.instructor.submissions import find

KATA = os.path.join(ROOT, "tools", "kata.py")
DEFAULT_ALL_OUT = os.path.join("build", "grade-all")
CSV_NAME = "grades.csv"


def grade_all(submissions, out_dir, hidden_dir=None, jobs=0, quiet=False):
    exercises = course.load()
    students = sorted(s for s in os.listdir(submissions)
                      if os.path.isdir(os.path.join(submissions, s)) and not s.startswith("."))
    if not students:
        raise UsageError("SUBMISSIONS=%s holds no folders (one folder per student)" % submissions)
    if sandbox.mode() == "users":
        # the class's own folders too: one student's run must not read another's
        contain.require_shut([ROOT, submissions, hidden_dir])
    os.makedirs(out_dir, exist_ok=True)
    # Two graders per core: a grading run spends much of its time waiting
    # (watchdogs, sleeps in tests, valgrind start-up), and no verdict depends
    # on timing, so the cores stay busy and nobody's verdict changes.
    jobs = jobs or 2 * (os.cpu_count() or 1)
    slots = list(range(jobs))
    limit = sum(points.timeout_for(ex) for ex in exercises) + 60
    stage_root = os.path.join(build.BUILD, "submissions")
    start = time.monotonic()

    def one(student):
        slot = slots.pop()
        try:
            return _grade_student(submissions, student, exercises, out_dir, stage_root, slot,
                                  limit, hidden_dir, quiet)
        except Exception as e:  # this student's failure, never the class's
            note = "grading this student failed: %s" % (str(e).splitlines() or [type(e).__name__])[0]
            _print_row(student, {}, note, quiet)
            return student, {ex.name: 0.0 for ex in exercises}, note, ""
        finally:
            slots.append(slot)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        rows = list(pool.map(one, students))
    csv_path = os.path.join(out_dir, CSV_NAME)
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student"] + [ex.name for ex in exercises] + ["total", "note", "review"])
        for student, scores, note, review in rows:
            w.writerow([student] + ["%g" % scores.get(ex.name, 0.0) for ex in exercises]
                       + ["%g" % round(sum(scores.values()), 2), note, review])
    if not quiet:
        print("graded %d students in %.0f s: %s" % (len(rows), time.monotonic() - start,
                                                     course.shown(os.path.abspath(csv_path))))
    return rows


def _grade_student(submissions, student, exercises, out_dir, stage_root, slot, limit,
                   hidden_dir, quiet):
    """One student: (student, {exercise: points}, note, review)."""
    zero = {ex.name: 0.0 for ex in exercises}
    if student == CSV_NAME:
        note = "a student folder may not be named %s (the class's CSV): not graded" % CSV_NAME
        _print_row(student, zero, note, quiet)
        return student, zero, note, ""
    src = os.path.join(stage_root, student)
    _, notes = find(os.path.join(submissions, student), exercises, src)
    results = os.path.join(out_dir, student, "results.json")
    if os.path.lexists(results):
        os.remove(results)
    argv = [sys.executable, "-S", KATA, "grade", "--src", src, "--results", results,
            "--slot", str(slot), "--quiet"]
    if hidden_dir:
        argv += ["--hidden", hidden_dir]
    note = _run_grader(argv, limit, os.path.join(out_dir, student, "grade.log"))
    try:
        with open(results) as f:
            data = json.load(f)
        scores = {n: e["score"] for n, e in data["extra_data"]["exercises"].items()}
        review = "; ".join("%s: %s" % (n, item) for n, items in
                           sorted(data["extra_data"].get("review", {}).items()) for item in items)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        data, review = None, ""
        note = note or "grading this student failed (see grade.log)"
    if data is None:
        _write_failed(results, exercises, note)
        scores = zero
    note = "; ".join([n for n in [note] + notes if n])
    _print_row(student, scores, note, quiet)
    return student, scores, note, review


def _print_row(student, scores, note, quiet):
    if not quiet:
        print("%-24s %7.2f%s" % (student, sum(scores.values()), ("  " + note) if note else ""))
        sys.stdout.flush()


def _run_grader(argv, limit, log):
    """Runs one student's grader in its own session; ends it and everything
    under it after `limit` seconds. Returns a note when it did not end well."""
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT, start_new_session=True)
        try:
            rc = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            rc = None
        tree = procs.descendants(proc.pid)
        for pid in list(tree) + [proc.pid]:
            try:
                os.kill(pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait()
    if rc is None:
        return "grading took more than %d s and was stopped" % limit
    if rc not in (0, 1):
        return "the grader ended with status %s (see grade.log)" % rc
    return ""


def _write_failed(path, exercises, note):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"score": 0, "output": note, "tests": [],
                   "extra_data": {"exercises": {ex.name: {"score": 0, "max_score": ex.points}
                                                for ex in exercises}}}, f, indent=1)


def cmd_grade_all(args):
    """SUBMISSIONS and OUT are checked by cli.check_input."""
    out = args.out or os.path.join(ROOT, DEFAULT_ALL_OUT)
    grade_all(args.submissions, out, args.hidden, args.jobs)
    return 0

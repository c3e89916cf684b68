#!/usr/bin/env python3
"""Checks a make command's input before it runs: prints one line saying what
is wrong (the Makefile stops with it), or nothing.

  preflight.py TARGET EX SRC N [RESULTS OUT SUBMISSIONS HIDDEN]"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import course  # noqa: E402
import prereq  # noqa: E402
from course import UsageError  # noqa: E402


def check(target, ex, src, n=""):
    prereq.require_linux()
    exercise = course.resolve(ex) if ex else None
    if n and target == "hint" and exercise:
        count = len(exercise.hints())
        if not n.isdigit() or not 1 <= int(n) <= count:
            raise UsageError("N=%s: %s has hints 1 to %d" % (n, exercise.name, count))
    if src and not os.path.isdir(src):
        raise UsageError("SRC=%s is not a directory" % src)
    if src and exercise and target in ("test", "helgrind"):
        exercise.student_paths(src)
    if target == "bench":
        if exercise and not os.path.isfile(exercise.path("tests", "bench.c")):
            raise UsageError("%s has no benchmark (tests/%s/bench.c)" % (exercise.name, exercise.name))
        if src and exercise:
            exercise.student_paths(src)
        prereq.require_compiler()
    if target in ("helgrind", "hint", "reset", "compare") and not ex:
        raise UsageError("say which exercise: make %s EX=01" % target)
    if target in ("test", "check", "helgrind", "watch", "compare"):
        prereq.require_compiler()
    if target in ("test", "check", "watch", "compare"):
        prereq.require_criterion()
    if target in ("helgrind", "check"):
        prereq.require_valgrind()


def check_grading(target, results="", out="", submissions="", hidden=""):
    """The graded-coursework targets' own variables (tools/grade.py)."""
    root = course.ROOT
    if target == "check" and not os.path.isdir(os.path.join(root, "solutions")):
        raise UsageError("`make check` tests the full repository (it needs solutions/); "
                         "here, `make test` and `make status` check your work")
    if target not in ("grade", "grade-all", "release", "gradescope"):
        return
    if hidden and not os.path.isdir(hidden):
        raise UsageError("HIDDEN=%s is not a directory (it holds <exercise>/test_*.c)" % hidden)
    if results and (os.path.isdir(results) or not results.endswith(".json")):
        raise UsageError("RESULTS=%s: give the path of a .json file, e.g. build/grade/results.json"
                         % results)
    if target == "grade-all":
        if not submissions:
            raise UsageError("say where the submissions are: make grade-all SUBMISSIONS=dir "
                             "(one folder per student)")
        if not os.path.isdir(submissions):
            raise UsageError("SUBMISSIONS=%s is not a directory" % submissions)
        if not any(os.path.isdir(os.path.join(submissions, d)) for d in os.listdir(submissions)):
            raise UsageError("SUBMISSIONS=%s holds no folders (one folder per student)" % submissions)
        if out and os.path.exists(out) and not os.path.isdir(out):
            raise UsageError("OUT=%s is a file: give a folder for the grades" % out)
    if target == "release":
        if not out:
            raise UsageError("say where to write the student release: make release OUT=dir")
        full = os.path.abspath(out)
        if (full + os.sep).startswith(root + os.sep) and not full.startswith(os.path.join(root, "build") + os.sep):
            raise UsageError("OUT=%s is inside this repository: give a folder outside it (or under build/)" % out)
        if os.path.exists(full) and (not os.path.isdir(full) or os.listdir(full)):
            raise UsageError("OUT=%s exists and is not an empty folder" % out)
    if target == "gradescope" and out and (os.path.isdir(out) or not out.endswith(".zip")):
        raise UsageError("OUT=%s: give the path of the .zip to write, e.g. build/gradescope/autograder.zip" % out)
    if target in ("grade", "grade-all"):
        prereq.require_compiler()
        prereq.require_criterion()
        prereq.require_valgrind()


def main(argv):
    target, ex, src, n, results, out, submissions, hidden = (argv + [""] * 8)[:8]
    try:
        check_grading(target, results, out, submissions, hidden)
        check(target, ex, src, n)
    except UsageError as e:
        print("kata: " + str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

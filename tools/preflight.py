#!/usr/bin/env python3
"""Checks a make command's input before it runs: prints one line saying what
is wrong (the Makefile stops with it), or nothing.

  preflight.py TARGET EX SRC N"""

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
    if target in ("helgrind", "hint", "reset", "compare") and not ex:
        raise UsageError("say which exercise: make %s EX=01" % target)
    if target in ("test", "check", "helgrind", "watch", "compare"):
        prereq.require_compiler()
    if target in ("test", "check", "watch", "compare"):
        prereq.require_criterion()
    if target in ("helgrind", "check"):
        prereq.require_valgrind()


def main(argv):
    target, ex, src, n = (argv + ["", "", "", ""])[:4]
    try:
        check(target, ex, src, n)
    except UsageError as e:
        print("kata: " + str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

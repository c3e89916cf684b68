#!/usr/bin/env python3
"""Checks a make command's input before it runs: prints one line saying what
is wrong (the Makefile stops with it), or nothing.

  preflight.py TARGET EX SRC"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import course  # noqa: E402
import prereq  # noqa: E402
from course import UsageError  # noqa: E402


def check(target, ex, src):
    prereq.require_linux()
    if ex:
        course.resolve(ex)
    if src and not os.path.isdir(src):
        raise UsageError("SRC=%s is not a directory" % src)
    if target in ("helgrind", "hint") and not ex:
        raise UsageError("say which exercise: make %s EX=01" % target)
    if target in ("test", "check", "helgrind"):
        prereq.require_compiler()
    if target in ("test", "check"):
        prereq.require_criterion()
    if target in ("helgrind", "check"):
        prereq.require_valgrind()


def main(argv):
    target, ex, src = (argv + ["", "", ""])[:3]
    try:
        check(target, ex, src)
    except UsageError as e:
        print("kata: " + str(e))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

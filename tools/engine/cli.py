"""The engine's command line (layer 1): the arguments, which command runs,
the exit status, and the input checks, written once: `make` runs them
before anything else (tools/preflight.py: one line and make stops), and
every command runs them again when called directly.

  kata.py status | test [--ex EX] [--src DIR] [--t PART|suite::name] | helgrind --ex EX [--src DIR]
  kata.py hint [--ex EX] [--n N] | watch | reset | compare | compdb | check | bench
  kata.py mutants [--ex EX]   (a contributor's: the tests against mutated solutions)
  kata.py loopbench [--ex EX] [--n RUNS]   (a contributor's: the speed of the learner's loop)
  kata.py grade | grade-all | release | gradescope   (the instructor's)
Exit status: 0 all good, 1 a test or check failed, 2 bad input or a missing tool."""

import os
import sys

from engine import course, machine
from engine.course import ROOT, UsageError

# The input checks alone (tools/preflight.py, run by make before every
# command) need only course and machine: the rest is imported where used.

LEARNER = ("test", "helgrind", "hint", "status", "compdb", "check", "watch", "reset", "compare",
           "mutants", "loopbench")
GRADING = ("grade", "grade-all", "release", "gradescope")
PATHS = ("ex", "src", "n", "results", "out", "submissions", "hidden", "t")


# ---- the input checks ------------------------------------------------------------

def check_input(target, ex="", src="", n="", results="", out="", submissions="", hidden="", t=""):
    """Raises UsageError (one line) when a command's input is wrong or a tool
    it needs is missing."""
    _check_grading(target, results, out, submissions, hidden)
    _check_common(target, ex, src, n)
    if t:
        selected_tests(target, ex, t)


def selected_tests(target, ex, t):
    """T= is for `make test EX=..` only; what it selects: Exercise.selection."""
    from engine import lang
    if target != "test":
        raise UsageError(lang.t("t.only test", t))
    if not ex:
        raise UsageError(lang.t("t.needs ex", t))
    return course.resolve(ex).selection(t)


def _check_common(target, ex, src, n=""):
    machine.require_linux()
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
        machine.require_compiler()
    if target in ("helgrind", "reset", "compare") and not ex:
        raise UsageError("say which exercise: make %s EX=01" % target)
    if target in ("test", "check", "helgrind", "watch", "compare", "mutants"):
        machine.require_compiler()
    if target in ("test", "check", "watch", "compare", "mutants"):
        machine.require_criterion()
    if target in ("helgrind", "check", "mutants"):
        machine.require_valgrind()


def _check_grading(target, results="", out="", submissions="", hidden=""):
    """The graded-coursework targets' own variables."""
    root = course.ROOT
    if target in ("check", "mutants", "loopbench") and not os.path.isdir(os.path.join(root, "solutions")):
        raise UsageError("`make %s` tests the full repository (it needs solutions/); "
                         "here, `make test` and `make status` check your work" % target)
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
        machine.require_compiler()
        machine.require_criterion()
        machine.require_valgrind()


def preflight(argv):
    """tools/preflight.py TARGET EX SRC N [RESULTS OUT SUBMISSIONS HIDDEN T]:
    prints what is wrong in one line (the Makefile stops with it), or nothing."""
    target, ex, src, n, results, out, submissions, hidden, t = (argv + [""] * 9)[:9]
    try:
        check_input(target, ex, src, n, results, out, submissions, hidden, t)
    except UsageError as e:
        print("kata: " + str(e))
    return 0


# ---- the commands ----------------------------------------------------------------

def cmd_compdb(args):
    import json
    from engine import build
    entries = build.compile_commands(course.load())
    with open(os.path.join(ROOT, "compile_commands.json"), "w") as f:
        json.dump(entries, f, indent=1)
    print("wrote compile_commands.json (%d files)" % len(entries))
    return 0


def _learner(args):
    if args.cmd in ("test", "helgrind", "status"):
        from engine.learner import views
        return getattr(views, "cmd_" + args.cmd)(args)
    if args.cmd == "hint":
        from engine.learner import hints
        return hints.cmd_hint(args)
    if args.cmd == "watch":
        from engine.learner import watch
        return watch.main(args)
    from engine.learner import selfstudy
    return selfstudy.run(args.cmd, args)


def _course_dev(args):
    if args.cmd == "check":
        from engine.course_dev import check
        return check.main(args)
    if args.cmd == "mutants":
        from engine.course_dev import mutants
        return mutants.main(args)
    if args.cmd == "loopbench":
        from engine.course_dev import loopbench
        return loopbench.main(args)
    from engine.course_dev import bench
    return bench.main(args)


def _instructor(args):
    if args.cmd == "grade":
        from engine.instructor import points
        return points.cmd_grade(args)
    if args.cmd == "grade-all":
        from engine.instructor import grade_all
        return grade_all.cmd_grade_all(args)
    try:  # not in a student release
        if args.cmd == "release":
            from engine.instructor import release
            return release.cmd_release(args)
        from engine.instructor import gradescope
        return gradescope.cmd_gradescope(args)
    except ImportError:
        raise UsageError("`make %s` is for the full repository (the instructor's), not a student "
                         "release" % args.cmd)


def dispatch(args):
    if args.cmd == "compdb":
        return cmd_compdb(args)
    if args.cmd in GRADING:
        return _instructor(args)
    if args.cmd in ("check", "bench", "mutants", "loopbench"):
        return _course_dev(args)
    return _learner(args)


def parser():
    import argparse
    p = argparse.ArgumentParser(prog="kata")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in LEARNER:
        s = sub.add_parser(name)
        s.add_argument("--ex")
        s.add_argument("--src")
        s.add_argument("--n")
        s.add_argument("--t")  # make test T=2 (a part) or T=suite::name (a test)
        s.add_argument("--jobs", type=int, default=0)
        s.add_argument("--max-runs", type=int, default=0)  # watch: stop after this many runs
    for name in GRADING + ("bench",):
        s = sub.add_parser(name)
        for opt in PATHS:
            s.add_argument("--" + opt)
        s.add_argument("--jobs", type=int, default=0)
        if name != "bench":
            s.add_argument("--slot", type=int, default=0)
            s.add_argument("--quiet", action="store_true")
    return p


def main(argv=None):
    from engine import procs
    # Everything the engine starts ends with it: orphans (a sandbox's init,
    # a learner's daemon) are re-parented here, not to the machine's init.
    procs.become_subreaper()
    try:
        return _main(argv)
    finally:
        procs.kill_descendants()


def _main(argv):
    from engine import procs, ui
    args = parser().parse_args(argv)
    for key in PATHS:  # make passes empty strings for unset variables
        setattr(args, key, getattr(args, key, None) or None)
    try:
        check_input(args.cmd, *[getattr(args, key, None) or "" for key in PATHS])
        return dispatch(args)
    except UsageError as e:
        ui.error(str(e))
        return 2
    except KeyboardInterrupt:
        procs.kill_descendants()
        return 130
    except BrokenPipeError:  # e.g. `make test | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1

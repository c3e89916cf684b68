"""`make loopbench [EX=..] [N=..]`: how fast the learner's loop is, a
benchmark (never a pass/fail test). For each exercise, in a throw-away copy
of the repository whose exercises/ hold the reference solutions (so every
test runs to its end, as on the day it turns green):

  make test    the median time from a one-line edit of the learner's file to
               `make test EX=NN` finishing (the shared test objects already
               built, as from the second run on);
  watch        the median time from saving the file to the redrawn verdict
               on the screen of `make watch EX=NN`, driven in a pseudo-terminal
               (the redraw is seen when its last line, the keys, comes again);
  where        where the time of `make test` goes: the interpreter's start,
               make's own work with the input check (its $(shell) preflight),
               the engine's imports and checks, the build (compiling, the
               symbol check, linking), the test program (Criterion) and the
               report, each a median of in-process timings after an edit.

The goals (issue 16): at most 0.6 s for `make test` after an edit and 1.0 s
from a save to the screen in watch, on a 2-core machine. The machine's load
is printed before and after: measure on a quiet machine. KATA_LOOPBENCH_FROM=DIR
measures another checkout's engine and course beside this one (e.g. the main
branch: a before and after in one run), their runs taken in turn so that both
see the same load."""

import json
import os
import pty
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from engine import course
from engine.course import ROOT

GOALS = {"test": 0.6, "watch": 1.0}
COPY = ("Makefile", ".clang-format", "tools", "tests", "exercises", "solutions")
KEYS_LINE = b"Keys: "
WATCH_SECONDS = 120   # one redraw at most (a backstop: a measure, not a verdict)
# make's own variables (EX=, N= of `make loopbench`) stay out of the runs measured.
QUIET_ENV = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}

# Runs in the copy: one edit, then the engine's steps, each timed in-process.
PHASES = r"""
import io, json, os, sys, time
t0 = time.monotonic()
sys.path.insert(0, "tools")
from engine import cli, build, policy, procs, places, report
from engine.learner import status, views
from engine import course
took = {"imports": time.monotonic() - t0}
def timed(mod, name, key):
    real = getattr(mod, name)
    def wrapper(*a, **k):
        s = time.monotonic()
        try:
            return real(*a, **k)
        finally:
            took[key] = took.get(key, 0) + time.monotonic() - s
    setattr(mod, name, wrapper)
timed(build, "_compile_all", "compile")
timed(policy, "check_symbols", "symbol check")
timed(build, "_link", "link")
timed(procs, "run", "tests (Criterion)")
s = time.monotonic()
cli.check_input("test", sys.argv[1])
took["input check"] = time.monotonic() - s
ex = course.resolve(sys.argv[1])
with open(ex.path("exercises", ex.files[0]), "a") as f:
    f.write("/* edit %s */\n" % sys.argv[2])
s = time.monotonic()
out, sys.stdout = sys.stdout, io.StringIO()
views.cmd_test(cli.parser().parse_args(["test", "--ex", sys.argv[1]]))
sys.stdout = out
total = time.monotonic() - s
took["report and the rest"] = total - sum(took.get(k, 0) for k in
                                          ("compile", "symbol check", "link", "tests (Criterion)"))
print(json.dumps(took))
"""
ORDER = ("interpreter start", "make and preflight", "imports", "input check", "compile",
         "symbol check", "link", "tests (Criterion)", "report and the rest")


def make_copy(origin):
    """The course and engine of `origin` in a temporary folder, with the
    reference solutions in exercises/."""
    top = tempfile.mkdtemp(prefix="kata-loopbench-")
    for name in COPY:
        src = os.path.join(origin, name)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(top, name), symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "build", "attacks"))
        elif os.path.exists(src):
            shutil.copy(src, top)
    for ex in course.load():
        for f in ex.files:
            shutil.copy(os.path.join(origin, "solutions", ex.name, f),
                        os.path.join(top, "exercises", ex.name, f))
    return top


def edit(path, i):
    with open(path, "a") as f:
        f.write("/* edit %d */\n" % i)


def timed_run(argv, cwd):
    """(wall seconds, CPU seconds of the run and all it waited for): the
    CPU time hardly depends on the machine's load, the wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL, env=QUIET_ENV)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def measure_test(tops, ex, runs):
    """[(median wall seconds, median CPU seconds) of `make test` after an
    edit] for each copy, their runs taken in turn."""
    argv = ["make", "test", "EX=%02d" % ex.number]
    for top in tops:
        timed_run(argv, top)  # the shared objects, once
    times = [[] for _ in tops]
    for i in range(runs):
        for top, got in zip(tops, times):
            edit(os.path.join(top, "exercises", ex.name, ex.files[0]), i)
            got.append(timed_run(argv, top))
    return [tuple(statistics.median(x) for x in zip(*t)) for t in times]


def where(top, ex, runs):
    """{phase: median seconds} of `make test` after an edit."""
    py = sys.executable
    samples = {k: [] for k in ORDER}
    for i in range(runs):
        samples["interpreter start"].append(timed_run([py, "-S", "-c", "pass"], top)[0])
        samples["make and preflight"].append(
            timed_run(["make", "-n", "test", "EX=%02d" % ex.number], top)[0])
        proc = subprocess.run([py, "-S", "-c", PHASES, "%02d" % ex.number, str(i)], cwd=top,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            took = json.loads(proc.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            continue
        for k, v in took.items():
            samples[k].append(v)
    return {k: statistics.median(v) for k, v in samples.items() if v}


def _read_until(fd, buf, needle, start, seconds):
    deadline = time.monotonic() + seconds
    while needle not in buf[start:]:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return buf, None
        try:
            data = os.read(fd, 65536)
        except OSError:
            return buf, None
        if not data:
            return buf, None
        buf += data
    return buf, buf.index(needle, start) + len(needle)


def measure_watch(top, ex, runs):
    """Median seconds from a save to the redrawn screen, or None."""
    path = os.path.join(top, "exercises", ex.name, ex.files[0])
    master, slave = pty.openpty()
    env = dict(KATA_LANG="en", LANG="C.UTF-8", COLUMNS="100", LINES="200")
    proc = subprocess.Popen(["make", "--no-print-directory", "watch", "EX=%02d" % ex.number],
                            cwd=top, stdin=slave, stdout=slave, stderr=slave,
                            env=dict(QUIET_ENV, **env),
                            start_new_session=True)
    os.close(slave)
    times, buf = [], b""
    try:
        buf, at = _read_until(master, buf, KEYS_LINE, 0, WATCH_SECONDS)
        for i in range(runs):
            if at is None:
                break
            time.sleep(0.5)  # a pause between two saves, as a person makes
            start = time.monotonic()
            edit(path, 100 + i)
            buf, at = _read_until(master, buf, KEYS_LINE, len(buf), WATCH_SECONDS)
            if at is not None:
                times.append(time.monotonic() - start)
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        os.close(master)
    return statistics.median(times) if times else None


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cell(v, goal):
    return "%5.2f s %-4s" % (v, "ok" if v <= goal else "SLOW") if v is not None else "   n/a    "


def _stop(signum, frame):
    raise SystemExit(128 + signum)  # the copies are removed on the way out


def main(args):
    exercises = course.load()
    if args.ex:
        exercises = [course.resolve(args.ex, exercises)]
    runs = int(args.n) if args.n else 5
    print("loopbench: the learner's loop, median of %d runs per exercise, the reference solutions "
          "in place of the learner's files" % runs)
    print("machine: %d CPUs, load average %s (1, 5, 15 min) at the start"
          % (len(os.sched_getaffinity(0)), load()), flush=True)
    print("goals: `make test` after a one-line edit <= %.1f s; a save to the redrawn verdict in "
          "`make watch` <= %.1f s\n" % (GOALS["test"], GOALS["watch"]))
    origins = [os.path.abspath(ROOT)]
    if os.environ.get("KATA_LOOPBENCH_FROM"):  # before (that checkout) and after (this one)
        origins.insert(0, os.path.abspath(os.environ["KATA_LOOPBENCH_FROM"]))
    for tag, origin in zip("AB", origins):
        print("%s: the engine and course of %s" % (tag, course.shown(origin)))
    signal.signal(signal.SIGTERM, _stop)
    tops = []
    try:
        tops = [make_copy(origin) for origin in origins]
        tags = "AB"[:len(tops)]
        print("\n(make test: wall time, and the CPU time it used, which load hardly changes)")
        print("%-14s  " % "exercise" + "  ".join("%-11s  %-6s  %-11s" % (t + " make test", t + " CPU",
                                                                       t + " watch")
                                                 for t in tags), flush=True)
        phases = []
        for ex in exercises:
            tests = measure_test(tops, ex, runs)
            watches = [measure_watch(top, ex, runs) for top in tops]
            print("%-14s  " % ex.name + "  ".join("%s  %4.2f s  %s" % (cell(t[0], GOALS["test"]), t[1],
                                                                    cell(w, GOALS["watch"]))
                                                  for t, w in zip(tests, watches)), flush=True)
            phases += [(t + " " + ex.name, where(top, ex, runs)) for t, top in zip(tags, tops)]
        print("\nwhere the time of `make test EX=NN` goes after an edit (medians, seconds; "
              "`make and preflight` is `make -n`, the engine not started):")
        print("%-16s  " % "exercise" + "  ".join("%s" % k for k in ORDER))
        for name, took in phases:
            print("%-16s  " % name + "  ".join("%*.3f" % (len(k), took.get(k, float("nan")))
                                                for k in ORDER))
    finally:
        for top in tops:
            shutil.rmtree(top, ignore_errors=True)
    print("\nmachine: load average %s at the end" % load())
    return 0

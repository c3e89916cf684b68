"""A throw-away copy of the engine with a one-exercise course, for the
engine's own tests."""

import os
import shutil
import subprocess
import tempfile
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from engine import procs  # noqa: E402
FIXTURES = os.path.join(ROOT, "tests", "tools", "fixtures")


def make_repo():
    """Creates the copy; returns its path (remove it with shutil.rmtree)."""
    repo = tempfile.mkdtemp(prefix="kata-minirepo-")
    shutil.copy(os.path.join(ROOT, "Makefile"), repo)
    shutil.copy(os.path.join(ROOT, ".clang-format"), repo)
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(os.path.join(ROOT, "tools"), os.path.join(repo, "tools"), ignore=ignore)
    shutil.copytree(os.path.join(ROOT, "tests", "common"), os.path.join(repo, "tests", "common"))
    course = os.path.join(FIXTURES, "minicourse")
    for top in os.listdir(course):
        src = os.path.join(course, top)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(repo, top), dirs_exist_ok=True)
        else:
            shutil.copy(src, repo)
    return repo


# Only a hang ends a run here: never a bound on how fast anything is (Pace is).
BACKSTOP_SECONDS = 1800
MARGIN = 8   # reference runs' worth of time on top of the engine's own limits


class Pace:
    """Bounds on how long something may take, calibrated in the same run: a
    reference workload (a right answer) is timed beside the runs under test,
    so that on a loaded machine both are slow, and a bound is the
    engine's own time limits with their most for starving (a run's clock
    stops while it waits for a CPU that others hold, at most for
    procs.STARVED_LIMITS more limits: procs.starved) plus a
    margin of the slowest reference run; never a fixed number of seconds."""

    def __init__(self):
        self.samples = []

    def note(self, seconds):
        self.samples.append(seconds)
        return seconds

    def bound(self, limits, margin=MARGIN):
        return (1 + procs.STARVED_LIMITS) * limits + margin * max(self.samples)


def make(repo, *args, env=None, timeout=BACKSTOP_SECONDS):
    """Runs make in the copy; returns (exit status, output, seconds)."""
    start = time.monotonic()
    proc = subprocess.run(["make", "--no-print-directory", "-C", repo] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                          timeout=timeout)
    return proc.returncode, proc.stdout.decode(errors="replace"), time.monotonic() - start


def processes_under(path, exe_only=False):
    """Processes whose program (or command line) mentions `path`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            exe = os.readlink("/proc/%s/exe" % entry)
        except OSError:
            continue
        if path in exe or (not exe_only and path in cmd):
            found.append((int(entry), cmd.strip()))
    return found

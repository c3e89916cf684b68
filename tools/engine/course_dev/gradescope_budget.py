"""Gradescope's defaults, measured here: builds the autograder zip, lays it
out as Gradescope does (a root with source/, submission/ and results/) and
runs its run_autograder in a cgroup held to Gradescope's default machine
(1/2 CPU, 768 MB) for three submissions: the reference solutions, the stubs,
and one that hangs in every function of every exercise. For each: the wall
time, the cgroup's peak memory, the points and whether every exercise's
feedback is in results.json.

  python3 -S tools/gradescope_measure.py [--cases reference,stubs,hang] [--cpus 0.5]
                                          [--memory-mb 768] [--keep DIR]

As root, with the cgroup cpu and memory controllers (v1 or v2). Not part of
`make check`: it grades three whole submissions at half a CPU. Fails when
the reference does not earn every point, when a stub or the hanging code
earns any, when an exercise has no feedback, or when a run takes longer
than Gradescope's 10 minutes or leaves anything in its cgroup."""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

from engine import course
from engine.course import ROOT

KATA = os.path.join(ROOT, "tools", "kata.py")
GRADESCOPE_LIMIT = 600         # Gradescope's default autograder timeout, seconds
CGROUP = "/sys/fs/cgroup"
SPIN = "    for (volatile int kata_spin = 1; kata_spin;) {\n    }\n"


class Cgroup:
    """A cgroup of its own with a CPU quota and a memory limit (v1 or v2)."""

    def __init__(self, cpus, memory_mb):
        name = "kata-gradescope-%d" % os.getpid()
        self.v2 = os.path.exists(os.path.join(CGROUP, "cgroup.controllers"))
        if self.v2:
            self.dirs = [os.path.join(CGROUP, name)]
        else:
            self.dirs = [os.path.join(CGROUP, c, name) for c in ("cpu", "memory")]
        for d in self.dirs:
            os.makedirs(d)
        if self.v2:
            self._set(self.dirs[0], "cpu.max", "%d 100000" % (cpus * 100000))
            self._set(self.dirs[0], "memory.max", str(memory_mb << 20))
        else:
            self._set(self.dirs[0], "cpu.cfs_period_us", "100000")
            self._set(self.dirs[0], "cpu.cfs_quota_us", str(int(cpus * 100000)))
            self._set(self.dirs[1], "memory.limit_in_bytes", str(memory_mb << 20))

    @staticmethod
    def _set(d, name, value):
        with open(os.path.join(d, name), "w") as f:
            f.write(value)

    def enter(self):
        """In the child, before exec."""
        for d in self.dirs:
            self._set(d, "cgroup.procs", str(os.getpid()))

    def peak(self):
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        try:
            with open(os.path.join(self.dirs[-1], name)) as f:
                return int(f.read())
        except OSError:
            return -1

    def pids(self):
        found = set()
        for d in self.dirs:
            with open(os.path.join(d, "cgroup.procs")) as f:
                found |= {int(x) for x in f.read().split()}
        return found

    def remove(self):
        """Ends whatever is left in it; returns how many were."""
        left = self.pids()
        for _ in range(100):
            pids = self.pids()
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        for d in self.dirs:
            os.rmdir(d)
        return len(left)


def hanging(text):
    """A stub whose every function spins for ever before anything else."""
    return re.sub(r"(\)\n\{\n)", lambda m: m.group(1) + SPIN, text)


def lay_out(zip_path, case, exercises):
    """A folder laid out like Gradescope's /autograder, with the case's submission."""
    top = tempfile.mkdtemp(prefix="kata-gradescope-")
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(os.path.join(top, "source"))
    for name in ("setup.sh", "run_autograder"):
        os.chmod(os.path.join(top, "source", name), 0o755)
    for ex in exercises:
        d = os.path.join(top, "submission", ex.name)
        os.makedirs(d)
        for f in ex.files:
            base = "solutions" if case == "reference" else "exercises"
            with open(os.path.join(ROOT, base, ex.name, f), encoding="utf-8") as src:
                text = src.read()
            with open(os.path.join(d, f), "w", encoding="utf-8") as out:
                out.write(hanging(text) if case == "hang" else text)
    os.makedirs(os.path.join(top, "results"))
    # as setup.sh does: the grading user reaches source/, not the hidden tests
    subprocess.run(["chmod", "-R", "o+rX,go-w", top], check=True)
    for ex in exercises:
        hidden = os.path.join(top, "source", "tests", ex.name, "hidden")
        if os.path.isdir(hidden):
            subprocess.run(["chmod", "-R", "go-rwx", hidden], check=True)
    return top


def run_case(zip_path, case, exercises, cpus, memory_mb, keep=None):
    top = lay_out(zip_path, case, exercises)
    group = Cgroup(cpus, memory_mb)
    start = time.monotonic()
    try:
        proc = subprocess.Popen(["sh", os.path.join(top, "source", "run_autograder"), top],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, preexec_fn=group.enter,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=GRADESCOPE_LIMIT)
        except subprocess.TimeoutExpired:
            rc = None
        wall = time.monotonic() - start
        peak = group.peak()
    finally:
        left = group.remove()
        if proc.poll() is None:
            proc.wait()
    path = os.path.join(top, "results", "results.json")
    results = _results(path, exercises)
    if keep and os.path.isfile(path):
        os.makedirs(keep, exist_ok=True)
        shutil.copy(path, os.path.join(keep, case + ".json"))
    shutil.rmtree(top)
    return dict(results, case=case, wall=wall, peak_mb=peak / (1 << 20), rc=rc, left=left)


def _results(path, exercises):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {"score": None, "max": None, "feedback": 0, "exercises": {}}
    per = data.get("extra_data", {}).get("exercises", {})
    feedback = sum(1 for ex in exercises
                   if any(t.get("name", "").startswith(ex.name) and (t.get("status") == "passed"
                                                                    or t.get("output"))
                          for t in data.get("tests", [])))
    return {"score": data.get("score"), "max": data.get("extra_data", {}).get("max_score"),
            "feedback": feedback, "exercises": {n: e.get("score") for n, e in per.items()}}


def verdict(r, exercises):
    """What is wrong with one case's figures, in words; empty when nothing."""
    wrong = []
    if r["rc"] is None:
        wrong.append("took more than Gradescope's %d s" % GRADESCOPE_LIMIT)
    if r["left"]:
        wrong.append("%d processes left in its cgroup" % r["left"])
    if r["score"] is None:
        return wrong + ["no results.json"]
    if r["case"] == "reference" and r["score"] != r["max"]:
        wrong.append("the reference earned %s of %s" % (r["score"], r["max"]))
    if r["case"] != "reference" and r["score"] != 0:
        wrong.append("earned %s points" % r["score"])
    if r["feedback"] != len(exercises):
        wrong.append("feedback for %d of %d exercises" % (r["feedback"], len(exercises)))
    return wrong


def main(argv=None):
    p = argparse.ArgumentParser(prog="gradescope_measure")
    p.add_argument("--cases", default="reference,stubs,hang")
    p.add_argument("--cpus", type=float, default=0.5)
    p.add_argument("--memory-mb", type=int, default=768)
    p.add_argument("--keep", metavar="DIR", help="keep each case's results.json there")
    args = p.parse_args(argv)
    cases = args.cases.split(",")
    if os.geteuid() != 0 or not os.path.isdir(CGROUP) or set(cases) - {"reference", "stubs", "hang"}:
        print("gradescope_measure: error: needs root, cgroups at %s and cases among "
              "reference,stubs,hang" % CGROUP, file=sys.stderr)
        return 2
    exercises = course.load()
    zip_path = os.path.join(tempfile.mkdtemp(prefix="kata-gradescope-zip-"), "autograder.zip")
    subprocess.run([sys.executable, "-S", KATA, "gradescope", "--out", zip_path], check=True,
                   stdout=subprocess.DEVNULL)
    failed = 0
    print("%-10s %8s %9s %14s %9s  %s" % ("case", "wall s", "peak MB", "points", "feedback", "verdict"))
    for case in cases:
        r = run_case(zip_path, case, exercises, args.cpus, args.memory_mb, args.keep)
        wrong = verdict(r, exercises)
        failed += bool(wrong)
        print("%-10s %8.1f %9.0f %14s %9s  %s" % (
            case, r["wall"], r["peak_mb"], "%s / %s" % (r["score"], r["max"]),
            "%d/%d" % (r["feedback"], len(exercises)), "; ".join(wrong) or "ok"))
        print("           per exercise: %s" % ", ".join("%s %s" % (n[:2], s)
                                                       for n, s in sorted(r["exercises"].items())))
        sys.stdout.flush()
    shutil.rmtree(os.path.dirname(zip_path))
    return 1 if failed else 0

"""Runs an exercise's tests many times on the stub and on the reference
solution, optionally with every core kept busy, and counts how often each
test's verdict differed from the first run. A deterministic exercise shows
zero flips.

  python3 tools/stability.py --ex 03 [--runs 100] [--load]"""

import argparse
import json
import os
import subprocess
import sys
import time

from engine import build, course
from engine.course import ROOT

KATA = os.path.join(ROOT, "tools", "kata.py")


def verdicts(ex, src):
    """(the verdict of each test and of the run, what the run said)."""
    subprocess.run([sys.executable, "-S", KATA, "test", "--ex", ex.name, "--src", src],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    path = os.path.join(build.BUILD, ex.name, build.variant_name(src), "results.json")
    with open(path) as f:
        data = json.load(f)
    said = "\n".join(["%s: %s" % (r["test"], r["message"]) for r in data["results"]
                      if not r["passed"]] + [data["problem"]])
    return tuple((r["test"], r["passed"]) for r in data["results"]) + (data["ok"],), said


def busy_loops():
    """One spinning process per core."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 2)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ex", required=True)
    p.add_argument("--runs", type=int, default=100)
    p.add_argument("--load", action="store_true", help="keep every core busy meanwhile")
    args = p.parse_args()
    ex = course.resolve(args.ex)
    hogs = busy_loops() if args.load else []
    flips_total = 0
    try:
        for label, src in (("stub", os.path.join(ROOT, "exercises")),
                           ("solution", os.path.join(ROOT, "solutions"))):
            start = time.monotonic()
            first, _ = verdicts(ex, src)
            same = 1
            for _ in range(args.runs - 1):
                got, said = verdicts(ex, src)
                same += got == first
                if got != first:
                    print("  a run differed:\n" + said.strip())
            flips_total += args.runs - same
            passed = sum(v for _, v in first[:-1])
            print("%s %s%s: %d/%d runs gave the same verdicts (%d of %d tests pass), %.2f s per run"
                  % (ex.name, label, " under load" if args.load else "", same, args.runs,
                     passed, len(first) - 1, (time.monotonic() - start) / args.runs))
    finally:
        for h in hogs:
            h.kill()
    return 0 if flips_total == 0 else 1

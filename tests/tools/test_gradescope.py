"""Gradescope's grading within its defaults (engine/instructor/gradescope.py):
the budget shared over the exercises, their limits fitted into the shares,
results.json rewritten after every exercise, an exercise whose grader
outlives its share ended with everything below it.

    python3 -S -m unittest tests.tools.test_gradescope

The whole path under 1/2 CPU and 768 MB is measured by
tools/gradescope_measure.py (root and cgroups; not part of make check)."""

import json
import os
import shutil
import sys
import tempfile
import time
import unittest
from unittest import mock

from tests.tools.minirepo import ROOT, Pace

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import course, lang, procs  # noqa: E402
from engine.instructor import gradescope, points  # noqa: E402


class Budget(unittest.TestCase):
    def setUp(self):
        self.exercises = course.load()

    def test_limits_fit_the_share_and_never_grow(self):
        for ex in self.exercises:
            small = gradescope.fitted(ex, 30)
            self.assertLessEqual(small.timeout, ex.timeout)
            self.assertLessEqual(small.helgrind_timeout, ex.helgrind_timeout)
            self.assertGreaterEqual(small.timeout, 2 * ex.test_seconds)  # a watchdog can act
            self.assertLessEqual(small.memory_mb, gradescope.PROCESS_MB)
            big = gradescope.fitted(ex, 10 * points.timeout_for(ex))
            self.assertEqual((big.timeout, big.helgrind_timeout), (ex.timeout, ex.helgrind_timeout))

    def test_an_unfinished_exercise_is_worth_its_points_and_says_why(self):
        for ex in self.exercises:
            g = gradescope.unfinished(ex, "why")
            self.assertEqual(round(sum(t["max_score"] for t in g["tests"]), 2), ex.points)
            self.assertEqual(g["score"], 0)
            self.assertTrue(all(t["output"] == "why" for t in g["tests"]))

    def test_results_after_every_exercise_within_the_budget(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        path = os.path.join(root, "results", "results.json")
        clock, seen = [0.0], []

        def fake(ex, src, seconds):
            # the worst case: every exercise takes its whole share, then is stopped
            clock[0] += seconds + gradescope.STOP_SECONDS
            with open(path) as f:  # what Gradescope would show if it ended now
                seen.append(json.load(f))
            g = gradescope.unfinished(ex, "graded")
            g["score"] = ex.points  # as if it passed
            return g
        with mock.patch.object(gradescope, "grade_in_child", fake), \
                mock.patch.object(gradescope.time, "monotonic", lambda: clock[0]), \
                mock.patch.object(points, "require_grading", lambda: None):
            gradescope.run(root, budget=100)
        self.assertLessEqual(clock[0], 100.001)
        self.assertEqual(len(seen), len(self.exercises))
        for i, data in enumerate(seen):
            scores = data["extra_data"]["exercises"]
            self.assertEqual(sum(s["score"] for s in scores.values()),
                             sum(ex.points for ex in self.exercises[:i]))
            later = [t["output"] for t in data["tests"] if t["name"].startswith(self.exercises[-1].name)]
            self.assertIn(lang.t("gs.not reached", self.exercises[-1].name), later)
        with open(path) as f:
            self.assertEqual(json.load(f)["score"], sum(ex.points for ex in self.exercises))


HANGER = """import os, sys, time
if os.fork() == 0:
    os.setsid()
    with open(sys.argv[1], "w") as f:
        f.write(str(os.getpid()))
    time.sleep(600)
    os._exit(0)
import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
time.sleep(600)
"""


class Stopped(unittest.TestCase):
    def grade(self, script, pidfile):
        """grade_in_child(2 s) with `script` as the grader: (its grading, seconds)."""
        ex = course.load()[0]
        argv = [sys.executable, "-S", script, pidfile]
        real = gradescope.subprocess.Popen
        start = time.monotonic()
        with mock.patch.object(gradescope.subprocess, "Popen",
                               lambda _argv, **kw: real(argv, **kw)):
            g = gradescope.grade_in_child(ex, os.path.dirname(script), 2)
        return ex, g, time.monotonic() - start

    def test_a_grader_past_its_share_is_ended_with_all_below_it(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        script, pidfile = os.path.join(d, "hang.py"), os.path.join(d, "pid")
        with open(script, "w") as f:
            f.write(HANGER)
        quick = os.path.join(d, "quick.py")  # a grader that ends at once: the reference
        with open(quick, "w") as f:
            f.write("pass\n")
        procs.become_subreaper()
        pace = Pace()
        pace.note(self.grade(quick, pidfile)[2])
        ex, g, secs = self.grade(script, pidfile)
        pace.note(self.grade(quick, pidfile)[2])
        # its share and the time to clean up, on Gradescope's wall clock, plus a
        # margin of a grader that ends at once, timed beside it
        self.assertLess(secs, 2 + gradescope.STOP_SECONDS + pace.bound(0),
                        "a grader that ignores SIGTERM was ended after %.1f s, one that ends at "
                        "once after %.1f s" % (secs, max(pace.samples)))
        self.assertEqual(g["score"], 0)
        self.assertIn(lang.t("gs.stopped", ex.name, 2), g["tests"][0]["output"])
        with open(pidfile) as f:
            grandchild = int(f.read())
        self.assertFalse(os.path.exists("/proc/%d" % grandchild) and
                         procs.descendants().get(grandchild, ("Z",))[0] != "Z")


if __name__ == "__main__":
    unittest.main()

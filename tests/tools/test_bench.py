"""`make bench` (tools/engine/course_dev/bench.py) on a throw-away course with fixture
benchmarks (tests/tools/fixtures/bench/), and the engine's handling of a
skipped test."""

import os
import shutil
import sys
import tempfile
import unittest
from unittest import mock

from tests.tools.minirepo import FIXTURES, ROOT, Pace, make, make_repo, processes_under

sys.path.insert(0, os.path.join(ROOT, "tools"))
from engine import report  # noqa: E402
from engine.course_dev import bench  # noqa: E402


def add_exercise(repo, number):
    """A second copy of the fixture exercise, NN-fixture, in the course."""
    name = "%02d-fixture" % number
    for top in ("exercises", "solutions", "tests"):
        shutil.copytree(os.path.join(repo, top, "01-fixture"), os.path.join(repo, top, name))
    with open(os.path.join(repo, "exercises", "exercises.ini"), "a") as f:
        f.write("\n[%s]\ntitle = Sum again\nfiles = work.c\npoints = 1\ntimeout = 6\n"
                "test_seconds = 2\nhelgrind_timeout = 60\nldflags =\n" % name)
    return name


def give_bench(repo, exercise, fixture):
    shutil.copy(os.path.join(FIXTURES, "bench", fixture + ".c"),
                os.path.join(repo, "tests", exercise, "bench.c"))


class MakeBench(unittest.TestCase):
    def setUp(self):
        self.repo = make_repo()
        self.second = add_exercise(self.repo, 2)

    def tearDown(self):
        shutil.rmtree(self.repo, ignore_errors=True)

    def test_one_page_with_the_machine_and_each_table(self):
        give_bench(self.repo, self.second, "ok")
        status, out, _ = make(self.repo, "bench")
        self.assertEqual(status, 0, out)
        self.assertIn("# Benchmarks", out)
        self.assertIn("Machine: ", out)
        self.assertIn("CPU(s)", out)
        self.assertIn("## 02-fixture", out)
        self.assertIn("| 2 | 5.3 (5.0-6.0) | 1.89 (1.70-2.00) |", out)
        self.assertIn("quick=no", out)  # the full run, not the quick one
        self.assertIn("work_sum(10) = 55", out)  # the reference solution by default
        self.assertNotIn("01-fixture", out)  # no bench.c: skipped silently
        with open(os.path.join(self.repo, "build", "bench", "bench.md")) as f:
            self.assertIn("| 2 | 5.3 (5.0-6.0) |", f.read())
        if shutil.which("gnuplot"):
            self.assertIn("Chart of speedup against threads: build/bench/speedup.svg", out)
            self.assertTrue(os.path.isfile(os.path.join(self.repo, "build", "bench", "speedup.svg")))

    def test_src_picks_the_code(self):
        give_bench(self.repo, self.second, "ok")
        status, out, _ = make(self.repo, "bench", "EX=02", "SRC=exercises")
        self.assertEqual(status, 0, out)
        self.assertIn("work_sum(10) = 0", out)  # the stub

    def test_without_solutions_the_learners_code_is_measured(self):
        give_bench(self.repo, self.second, "ok")
        shutil.rmtree(os.path.join(self.repo, "solutions"))  # as in the student release
        status, out, _ = make(self.repo, "bench", "EX=02")
        self.assertEqual(status, 0, out)
        self.assertIn("your code in exercises/", out)
        self.assertIn("work_sum(10) = 0", out)  # the stub

    def test_a_failing_bench_is_one_line_and_the_rest_still_run(self):
        give_bench(self.repo, "01-fixture", "fails")
        give_bench(self.repo, self.second, "ok")
        status, out, _ = make(self.repo, "bench")
        self.assertNotEqual(status, 0, out)
        self.assertIn("01-fixture: the benchmark exited with status 3: bench: the work gave a "
                      "wrong total", out)
        self.assertIn("work_sum(10) = 55", out)

    def test_a_bench_that_does_not_build(self):
        give_bench(self.repo, "01-fixture", "broken")
        status, out, _ = make(self.repo, "bench", "EX=01")
        self.assertNotEqual(status, 0, out)
        self.assertIn("01-fixture: the benchmark does not build:", out)
        self.assertIn("undeclared_name", out)

    def test_a_bench_that_hangs_is_stopped_with_what_it_left(self):
        give_bench(self.repo, "01-fixture", "hangs")
        give_bench(self.repo, self.second, "ok")
        env = dict(os.environ, KATA_BENCH_SECONDS="1")
        pace = Pace()  # the benchmark that ends, alone, is the reference
        pace.note(make(self.repo, "bench", "EX=02", env=env)[2])
        status, out, took = make(self.repo, "bench", env=env)
        pace.note(make(self.repo, "bench", "EX=02", env=env)[2])
        self.assertNotEqual(status, 0, out)
        self.assertIn("01-fixture: the benchmark timed out after 1 s", out)
        self.assertIn("work_sum(10) = 55", out)
        self.assertLess(took, pace.bound(1), "a benchmark that ends took %.1f s" % max(pace.samples))
        self.assertEqual(processes_under(self.repo, exe_only=True), [])

    def test_bad_input_is_one_line(self):
        status, out, _ = make(self.repo, "bench", "EX=01")
        self.assertEqual(status, 2, out)
        self.assertIn("01-fixture has no benchmark (tests/01-fixture/bench.c)", out)
        status, out, _ = make(self.repo, "bench", "EX=42")
        self.assertEqual(status, 2, out)
        self.assertIn("unknown exercise", out)

    def test_check_runs_the_quick_version(self):
        give_bench(self.repo, self.second, "ok")
        give_bench(self.repo, "01-fixture", "fails")
        status, out, _ = make(self.repo, "check", "EX=02")
        self.assertIn("ok   02-fixture benchmark builds and runs (KATA_BENCH_QUICK=1)", out)
        status, out, _ = make(self.repo, "check", "EX=01")
        self.assertIn("FAIL 01-fixture benchmark builds and runs", out)
        self.assertIn("exited with status 3", out)


class Parts(unittest.TestCase):
    PAGE = ("Title\n\n| threads | pinned ms | pinned speedup | spread speedup |\n|---:|---:|---:|---:|\n"
            "| 1 | 9 (8-10) | 1.00 (0.98-1.02) | 1.01 (1.00-1.02) |\n"
            "| 2 | 9 (8-10) | 0.99 (0.97-1.00) | 1.95 (1.90-1.99) |\n\n"
            "| variant | ns |\n|---|---:|\n| mutex | 25 |\n")

    def test_speedup_tables_become_series(self):
        series = bench.speedup_series("08-x", self.PAGE)
        self.assertEqual(series, [("08-x pinned speedup", [(1, 1.0), (2, 0.99)]),
                                  ("08-x spread speedup", [(1, 1.01), (2, 1.95)])])

    def test_the_chart_script_plots_every_series(self):
        series = bench.speedup_series("08-x", self.PAGE)
        script = bench.gnuplot_script(series, 2, "/tmp/x.svg")
        self.assertIn("set terminal svg", script)
        self.assertIn("'08-x spread speedup'", script)
        self.assertEqual(script.count("\ne\n"), 2)

    def test_without_gnuplot_a_one_line_note(self):
        series = bench.speedup_series("08-x", self.PAGE)
        with mock.patch("shutil.which", return_value=None):
            note = bench.draw_chart(series, 2)
        self.assertIn("gnuplot is not installed", note)
        self.assertEqual(len(note.splitlines()), 1)
        self.assertIsNone(bench.draw_chart([], 2))


class Skipped(unittest.TestCase):
    XML = ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="s">'
           '<testcase name="skipped" status="SKIPPED"><skipped/></testcase>'
           '<testcase name="passes" status="PASSED"></testcase></testsuite></testsuites>\n')

    def test_a_skipped_test_neither_fails_nor_claims_a_pass(self):
        d = tempfile.mkdtemp()
        try:
            xml = os.path.join(d, "report.xml")
            with open(xml, "w") as f:
                f.write(self.XML)
            with open(os.path.join(d, "s::passes.done"), "w") as f:
                f.write("done")

            class Ended:
                timed_out, returncode, leftovers = False, 0, {}
            rep = report.verdicts(["s::skipped", "s::passes"], xml, d, Ended(), 5)
        finally:
            shutil.rmtree(d)
        skipped, passes = rep.results
        self.assertTrue(skipped.passed)
        self.assertEqual(skipped.message, report.SKIPPED)
        self.assertTrue(passes.passed)
        self.assertTrue(rep.ok)


if __name__ == "__main__":
    unittest.main()

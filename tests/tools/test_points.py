"""Points that add up: every per-test score has two decimals at most, and an
exercise's tests and helgrind check add up to exactly its points, the whole
grade to exactly the course's sum, in results.json, the table and JUnit.
The test runs are stand-ins (every test passes, or every other one): what
is checked here is the arithmetic, not the exercises."""

import dataclasses
import json
import os
import sys
import unittest
import xml.etree.ElementTree as ET
from decimal import Decimal
from unittest import mock

from tests.tools.minirepo import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import course, report, run  # noqa: E402
from engine.instructor import formats, points  # noqa: E402


def exact(values):
    """The decimal sum of numbers as results.json and JUnit write them."""
    return sum((Decimal(v if isinstance(v, str) else repr(v)) for v in values), Decimal(0))


def graded_course(exercises, counts, passing=lambda i: True):
    """points.grade with stand-in runs: counts[name] tests per exercise."""
    def fake_tests(ex, src, sources, grading):
        return report.RunReport(results=[report.Result("suite::t%d" % i, passing(i))
                                         for i in range(counts[ex.name])])
    hg = run.HelgrindRun(ok=True, clean=True, reported=0, text="")
    with mock.patch.object(run, "run_tests", side_effect=fake_tests), \
            mock.patch.object(run, "run_helgrind", return_value=hg), \
            mock.patch.object(points, "require_compiler"), mock.patch.object(points, "require_criterion"), \
            mock.patch.object(points, "require_valgrind"):
        return points.grade(exercises)


class PointsAddUp(unittest.TestCase):
    def setUp(self):
        real = course.load()
        self.counts = {ex.name: len(report.expected_tests(ex.required_test_sources())) for ex in real}
        self.real = real
        # A made-up course: one exercise (01's files, so it has a helgrind
        # check) whose points do not split evenly: 7.5 points, 1.5 of them
        # helgrind's, over 7 tests (6 / 7 = 0.857142...).
        self.made_up = [dataclasses.replace(real[0], points=7.5)]
        self.made_up_counts = {real[0].name: 7}

    def check(self, graded, results, exercises):
        by_ex = {}
        for t in results["tests"]:
            self.assertEqual(round(t["max_score"], 2), t["max_score"], t["name"])
            self.assertEqual(round(t["score"], 2), t["score"], t["name"])
            by_ex.setdefault(t["name"].split()[0], []).append(t)
        counts = self.counts if exercises is self.real else self.made_up_counts
        for ex in exercises:
            tests = by_ex[ex.name]
            self.assertEqual(len(tests), counts[ex.name] + 1)  # and the helgrind check
            self.assertEqual(exact(t["max_score"] for t in tests), exact([ex.points]), ex.name)
            spread = {t["max_score"] for t in tests[:-1]}
            self.assertLessEqual(max(spread) - min(spread), 0.0100001, ex.name)
            self.assertEqual(exact([results["extra_data"]["exercises"][ex.name]["score"]]),
                             exact(t["score"] for t in tests), ex.name)
        self.assertEqual(exact(t["max_score"] for t in results["tests"]),
                         exact(ex.points for ex in exercises))
        self.assertEqual(exact([results["score"]]), exact(t["score"] for t in results["tests"]))

    def test_every_exercise_adds_up_in_results_json(self):
        graded, results = graded_course(self.real, self.counts)
        self.check(graded, json.loads(json.dumps(results)), self.real)  # as results.json has it
        self.assertEqual(results["score"], 80)
        graded, results = graded_course(self.made_up, self.made_up_counts)
        self.check(graded, json.loads(json.dumps(results)), self.made_up)
        self.assertEqual(results["score"], 7.5)
        self.assertEqual([t["max_score"] for t in graded[0]["tests"]], [0.86] * 5 + [0.85] * 2 + [1.5])

    def test_partial_marks_add_up_too(self):
        for exercises, counts in ((self.real, self.counts), (self.made_up, self.made_up_counts)):
            graded, results = graded_course(exercises, counts, passing=lambda i: i % 2 == 0)
            self.check(graded, json.loads(json.dumps(results)), exercises)
        self.assertEqual(results["score"], round(0.86 * 3 + 0.85, 2))  # tests 0, 2, 4, 6; no helgrind

    def test_the_table_and_junit_add_up(self):
        for exercises, counts in ((self.real, self.counts), (self.made_up, self.made_up_counts)):
            graded, results = graded_course(exercises, counts)
            lines = formats.table(graded, results["score"], colour=False).splitlines()
            for ex, line in zip(exercises, lines[1:]):
                self.assertTrue(line.startswith(ex.name) and line.endswith("%.2f / %g" % (ex.points, ex.points)),
                                line)
            total = sum(ex.points for ex in exercises)
            self.assertTrue(lines[-1].startswith("total") and lines[-1].endswith("%.2f / %g" % (total, total)),
                            lines[-1])
            root = ET.fromstring(formats.junit(graded))
            for ex, suite in zip(exercises, root.findall("testsuite")):
                values = [p.get("value") for p in suite.iter("property") if p.get("name") == "max_score"]
                self.assertTrue(all(len(v.partition(".")[2]) <= 2 for v in values), values)
                self.assertEqual(exact(values), exact([ex.points]), ex.name)

    def test_shares_without_tests_or_helgrind(self):
        ex = self.real[0]
        self.assertEqual(ex.point_shares(0), [ex.graded_helgrind_points()])
        plain = dataclasses.replace(ex, helgrind_points=0.0, points=1.0)
        self.assertEqual(plain.point_shares(3), [0.34, 0.33, 0.33, 0.0])


if __name__ == "__main__":
    unittest.main()

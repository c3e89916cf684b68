"""The engine as its users meet it: names, errors, status, hints, check."""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

from tests.tools.minirepo import BACKSTOP_SECONDS, ROOT, make, make_repo

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import course, report  # noqa: E402


class Names(unittest.TestCase):
    def setUp(self):
        self.exercises = [course.Exercise("01-isolation", "", [], 10, 30, 3, 60),
                          course.Exercise("03-race", "", [], 10, 30, 3, 60)]

    def test_every_spelling_finds_the_exercise(self):
        for q in ("03-race", "03", "3", "race", "exercises/03-race/"):
            self.assertEqual(course.resolve(q, self.exercises).name, "03-race", q)

    def test_any_case_and_leading_zeros_either_way(self):
        for q in ("03-Race", "3-race", "RACE", "003", "003-RACE", "Exercises/03-Race/"):
            self.assertEqual(course.resolve(q, self.exercises).name, "03-race", q)

    def test_unknown_name_lists_the_valid_ones(self):
        with self.assertRaises(course.UsageError) as e:
            course.resolve("raec", self.exercises)
        self.assertIn("01-isolation, 03-race", str(e.exception))

    def test_a_near_miss_gets_did_you_mean(self):
        for q in ("raec", "3-rase", "03-isolation-x", "isolaton"):
            with self.assertRaises(course.UsageError) as e:
                course.resolve(q, self.exercises)
            self.assertRegex(str(e.exception), r"did you mean (03-race|01-isolation)\?", q)
            self.assertEqual(len(str(e.exception).splitlines()), 1)
        with self.assertRaises(course.UsageError) as e:
            course.resolve("zzz", self.exercises)
        self.assertNotIn("did you mean", str(e.exception))

    def test_the_real_course_loads(self):
        names = [ex.name for ex in course.load()]
        self.assertEqual(names, sorted(names), "exercises.ini must list exercises in order")


class Places(unittest.TestCase):
    """places.in_words: offsets become file:line, error numbers get names."""

    def test_an_offset_becomes_its_line_and_an_errno_its_name(self):
        from engine import places
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        src, binary = os.path.join(tmp, "race.c"), os.path.join(tmp, "prog")
        with open(src, "w") as f:
            f.write("int bump(int x)\n{\n    return x + 1;\n}\n\nint main(void)\n{\n"
                    "    return bump(1) - 2;\n}\n")
        subprocess.run(["gcc", "-g", "-O0", "-o", binary, src], check=True)
        rep = report.RunReport([report.Result("s::t", False, "the store at bump+0x0, then "
                                              "nope+0x4; got error-38 and errno 11, balance -38")])
        places.in_words(rep, binary)
        self.assertRegex(rep.results[0].message, r"the store at race\.c:[12], then nope\+0x4")
        self.assertIn("error-38 (ENOSYS) and errno 11 (EAGAIN), balance -38", rep.results[0].message)
        rep = report.RunReport([report.Result("s::t", False, "at bump+0x0")], "error-4")
        places.in_words(rep, os.path.join(tmp, "missing"))
        self.assertEqual((rep.results[0].message, rep.problem), ("at bump+0x0", "error-4 (EINTR)"))


    def test_a_static_variable_gets_its_name(self):
        from engine import places
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        src, binary = os.path.join(tmp, "bank.c"), os.path.join(tmp, "prog")
        with open(src, "w") as f:
            f.write("static long table[4];\nstatic int lone = 3;\n\n"
                    "int main(void)\n{\n    return (int)table[1] + lone;\n}\n")
        subprocess.run(["gcc", "-g", "-O0", "-o", binary, src], check=True)
        address = {name: int(a, 16) for a, _, _, name in
                   (line.split() for line in subprocess.run(
                       ["nm", "-S", binary], stdout=subprocess.PIPE).stdout.decode().splitlines()
                    if len(line.split()) == 4)}
        text = ("the mutex at 0x55{kata-data %#x}, the mutex 0x56{kata-data %#x}, at 0x57"
                "{kata-data 0x1}" % (address["table"] + 8, address["lone"]))
        self.assertEqual(places.data_words(text, binary),
                         "the mutex `table`+8, the mutex `lone`, at 0x57")
        self.assertEqual(places.data_words(text, None), "the mutex at 0x55, the mutex 0x56, at 0x57")


class Verdicts(unittest.TestCase):
    """report.verdicts: a pass needs the XML's PASSED and the end marker."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.xml = os.path.join(self.dir, "r.xml")
        with open(self.xml, "w") as f:
            f.write('<testsuites><testsuite name="s">'
                    '<testcase name="a" status="PASSED"/>'
                    '<testcase name="b" status="PASSED"/>'
                    '<testcase name="c" status="FAILED"><failure><![CDATA[t.c:3: the "idea" missed]]>'
                    '</failure></testcase></testsuite></testsuites>')
        open(os.path.join(self.dir, "s::a.done"), "w").close()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def outcome(self, **kw):
        from engine import procs
        return procs.Outcome(returncode=kw.get("rc", 1), timed_out=kw.get("timed_out", False),
                             leftovers=kw.get("leftovers", {}))

    def test_passed_without_end_marker_is_a_failure(self):
        rep = report.verdicts(["s::a", "s::b", "s::c"], self.xml, self.dir, self.outcome(), 5)
        self.assertEqual([r.passed for r in rep.results], [True, False, False])
        self.assertIn("called exit()", rep.results[1].message)
        self.assertEqual(rep.results[2].message, 'the "idea" missed')

    def test_a_test_missing_from_the_report_fails(self):
        rep = report.verdicts(["s::a", "s::z"], self.xml, self.dir, self.outcome(), 5)
        self.assertFalse(rep.results[1].passed)
        self.assertIn("never reported", rep.results[1].message)
        self.assertFalse(rep.ok)

    def test_no_report_fails_every_test_with_the_reason(self):
        os.remove(self.xml)
        rep = report.verdicts(["s::a"], self.xml, self.dir, self.outcome(rc=0), 5)
        self.assertFalse(rep.ok)
        self.assertIn("exited with status 0 without reporting", rep.problem)
        rep = report.verdicts(["s::a"], self.xml, self.dir, self.outcome(timed_out=True), 5)
        self.assertIn("stopped after 5 s", rep.problem)

    def test_leftover_processes_fail_the_run(self):
        rep = report.verdicts(["s::a"], self.xml, self.dir, self.outcome(leftovers={42: ("S", "x")}), 5)
        self.assertFalse(rep.ok)
        self.assertIn("left behind", rep.problem)


def _fake_bin(tmp, names, extra=None):
    """A PATH folder holding only the named tools (and fakes in `extra`)."""
    d = os.path.join(tmp, "bin")
    os.makedirs(d, exist_ok=True)
    for n in names:
        real = shutil.which(n)
        if real:
            os.symlink(real, os.path.join(d, n))
    for n, body in (extra or {}).items():
        p = os.path.join(d, n)
        with open(p, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(p, os.stat(p).st_mode | stat.S_IEXEC)
    return d


BASIC_TOOLS = ["sh", "make", "python3", "gcc", "cc", "as", "ld", "uname", "rm", "cat",
               "mkdir", "ls", "dpkg-query", "grep", "id", "sed"]


class TestSourceRules(unittest.TestCase):
    """What report.lint_test_source refuses in a test file."""

    def lint(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
            f.write(text)
        try:
            return report.lint_test_source(f.name)
        finally:
            os.remove(f.name)

    def test_the_harness_macros_pass(self):
        self.assertEqual(self.lint('KATA_SUITE(s);\nKATA_TEST(s, t)\n{\n    KATA_SKIP("why", "原因");\n}\n'), [])

    def test_criterions_own_macros_are_refused(self):
        self.assertIn("not Criterion's macros", " ".join(self.lint("Test(s, t) {}\n")))
        self.assertIn("suite s has no KATA_SUITE", " ".join(self.lint("KATA_TEST(s, t) {}\n")))
        self.assertIn("not cr_skip_test", " ".join(self.lint(
            'KATA_SUITE(s);\nKATA_TEST(s, t)\n{\n    cr_skip_test("one CPU");\n}\n')))


class Commands(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.repo = make_repo()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.repo, ignore_errors=True)

    def one_line_error(self, rc, out, words):
        self.assertNotEqual(rc, 0)
        self.assertEqual(len(out.strip().splitlines()), 1, out)
        self.assertIn(words, out)

    def test_unknown_exercise(self):
        rc, out, _ = make(self.repo, "test", "EX=nope")
        self.one_line_error(rc, out, "unknown exercise 'nope'; valid: 01-fixture")

    def test_hint_without_an_exercise_takes_the_current_one(self):
        rc, out, _ = make(self.repo, "hint", "N=1")
        self.assertEqual(rc, 0, out)
        self.assertIn("01-fixture, hint 1 of 3", out)

    def test_a_near_miss_is_one_line_with_did_you_mean(self):
        rc, out, _ = make(self.repo, "test", "EX=FIXTRUE")
        self.one_line_error(rc, out, "unknown exercise 'FIXTRUE'; did you mean 01-fixture?")
        rc, out, _ = make(self.repo, "test", "EX=1-Fixture", "T=work::sums_small", "SRC=solutions")
        self.assertEqual(rc, 0, out)

    def test_t_checks_its_value(self):
        rc, out, _ = make(self.repo, "test", "EX=01", "T=work::nope")
        self.one_line_error(rc, out, "T=work::nope: not a part of 01-fixture")
        rc, out, _ = make(self.repo, "test", "T=work::sums_small")
        self.one_line_error(rc, out, "say which exercise too")
        rc, out, _ = make(self.repo, "hint", "EX=01", "T=1")
        self.one_line_error(rc, out, "only `make test`")

    def fake_bin(self, names, extra=None):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        return _fake_bin(tmp, names, extra)

    def test_not_linux(self):
        path = self.fake_bin(BASIC_TOOLS[:3], {"uname": "echo Darwin"})
        rc, out, _ = make(self.repo, "test", "EX=01", env=dict(os.environ, PATH=path))
        self.one_line_error(rc, out, "unsupported OS 'Darwin'")

    def test_missing_criterion(self):
        cc = os.path.join(self.fake_bin([], {"nocriterion-cc": 'exec gcc --sysroot=/nonexistent "$@"'}),
                          "nocriterion-cc")
        rc, out, _ = make(self.repo, "test", "EX=01", env=dict(os.environ, CC=cc))
        self.one_line_error(rc, out, "Criterion (the C test framework) is not installed: run `make deps`")

    def test_missing_valgrind(self):
        path = self.fake_bin(BASIC_TOOLS)
        rc, out, _ = make(self.repo, "helgrind", "EX=01", env=dict(os.environ, PATH=path))
        self.one_line_error(rc, out, "valgrind is not installed")

    def test_compdb_lists_every_source_with_the_real_flags(self):
        import json
        rc, out, _ = make(self.repo, "compdb")
        self.assertEqual(rc, 0, out)
        with open(os.path.join(self.repo, "compile_commands.json")) as f:
            entries = json.load(f)
        files = {os.path.relpath(e["file"], self.repo) for e in entries}
        self.assertEqual(files, {"exercises/01-fixture/work.c", "tests/01-fixture/test_work.c",
                                 "tests/01-fixture/helgrind.c"})
        for e in entries:
            self.assertIn("-std=gnu11 -Wall -Wextra -Werror -g -pthread", e["command"])

    def test_compile_error_names_the_learners_line(self):
        src = os.path.join(ROOT, "tests", "tools", "fixtures", "hostile", "compile_error")
        rc, out, _ = make(self.repo, "test", "EX=01", "SRC=" + src)
        self.assertNotEqual(rc, 0)
        self.assertIn("your code does not compile", out)
        self.assertIn("compile_error/01-fixture/work.c:2", out)
        self.assertIn("undeclared_name", out)
        self.assertIn("Your code does not compile: fix the first error above", out)


class SupportCode(unittest.TestCase):
    """exercises.ini `support`: code the exercise ships, compiled from this
    tree for the test and helgrind programs, never taken from SRC."""

    def setUp(self):
        self.repo = make_repo()
        self.addCleanup(shutil.rmtree, self.repo, ignore_errors=True)
        ini = os.path.join(self.repo, "exercises", "exercises.ini")
        with open(ini, "a") as f:
            f.write("support = helper.c\n")
        with open(os.path.join(self.repo, "exercises", "01-fixture", "helper.c"), "w") as f:
            f.write("int fixture_one(void);\nint fixture_one(void) { return 1; }\n")
        self.src = os.path.join(self.repo, "submission")
        os.makedirs(os.path.join(self.src, "01-fixture"))
        with open(os.path.join(self.repo, "solutions", "01-fixture", "work.c")) as f:
            solution = f.read()
        with open(os.path.join(self.src, "01-fixture", "work.c"), "w") as f:
            f.write(solution.replace("return halves[0].sum + halves[1].sum;",
                                     "return fixture_one() * (halves[0].sum + halves[1].sum);")
                    .replace('#include "work.h"', '#include "work.h"\nint fixture_one(void);'))
        # A helper.c beside the submission must not be the one compiled.
        with open(os.path.join(self.src, "01-fixture", "helper.c"), "w") as f:
            f.write("int fixture_one(void);\nint fixture_one(void) { return 0; }\n")

    def test_support_comes_from_the_tree_for_tests_and_helgrind(self):
        rc, out, _ = make(self.repo, "test", "EX=01", "SRC=" + self.src)
        self.assertEqual(rc, 0, out)
        rc, out, _ = make(self.repo, "helgrind", "EX=01", "SRC=" + self.src)
        self.assertEqual(rc, 0, out)

    def test_compdb_lists_the_support_code(self):
        rc, out, _ = make(self.repo, "compdb")
        self.assertEqual(rc, 0, out)
        with open(os.path.join(self.repo, "compile_commands.json")) as f:
            self.assertIn("exercises/01-fixture/helper.c", f.read())


class OptionalTests(unittest.TestCase):
    """exercises.ini `optional`: test files for the curious, run and shown
    by `make test` but never counted; `make check` judges them."""

    def setUp(self):
        self.repo = make_repo()
        self.addCleanup(shutil.rmtree, self.repo, ignore_errors=True)
        with open(os.path.join(self.repo, "exercises", "exercises.ini"), "a") as f:
            f.write("optional = test_extra.c\n")
        # An optional test that no solution passes: it must not matter.
        with open(os.path.join(self.repo, "tests", "01-fixture", "test_extra.c"), "w") as f:
            f.write('#include "kata.h"\n#include "work.h"\n\nKATA_SUITE(extra);\n\n'
                    'KATA_TEST(extra, never_passes)\n{\n    cr_assert_fail("an optional test");\n}\n')

    def test_shown_apart_and_not_counted(self):
        rc, out, _ = make(self.repo, "test", "EX=01", "SRC=solutions")
        self.assertEqual(rc, 0, out)
        self.assertIn("All 2 tests pass", out)
        lines = out.splitlines()
        heading = [i for i, ln in enumerate(lines) if "for the curious (optional): 0/1 pass" in ln]
        self.assertTrue(heading, out)
        failing = [i for i, ln in enumerate(lines) if "FAIL extra::never_passes" in ln]
        self.assertTrue(failing and failing[0] > heading[0], out)
        with open(os.path.join(self.repo, "build", "01-fixture", "solutions", "results.json")) as f:
            data = json.load(f)
        self.assertTrue(data["ok"])
        self.assertEqual([(r["test"], r["optional"]) for r in data["results"]],
                         [("work::sums_small", False), ("work::sums_large", False),
                          ("extra::never_passes", True)])

    def test_done_without_them(self):
        work = os.path.join(self.repo, "exercises", "01-fixture", "work.c")
        shutil.copy(os.path.join(self.repo, "solutions", "01-fixture", "work.c"), work)
        rc, out, _ = make(self.repo, "test", "EX=01")
        self.assertEqual(rc, 0, out)
        rc, out, _ = make(self.repo, "helgrind", "EX=01")
        self.assertEqual(rc, 0, out)
        rc, out, _ = make(self.repo)
        self.assertIn("All exercises are done", out)

    def test_check_judges_them_like_the_others(self):
        rc, out, _ = make(self.repo, "check", "EX=01", timeout=BACKSTOP_SECONDS)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("FAIL solution passes all 3 tests", out)
        self.assertIn("extra::never_passes", out)

    def test_grading_leaves_them_out(self):
        import importlib.util
        spec = importlib.util.spec_from_file_location("course_copy", os.path.join(self.repo, "tools", "engine", "course.py"))
        course = importlib.util.module_from_spec(spec)
        sys.modules["course_copy"] = course  # as an import would (dataclasses looks it up)
        self.addCleanup(sys.modules.pop, "course_copy", None)
        spec.loader.exec_module(course)
        ex = course.load(self.repo)[0]
        self.assertEqual(ex.optional, ["test_extra.c"])
        self.assertEqual([os.path.basename(p) for p in ex.test_sources()], ["test_extra.c", "test_work.c"])
        self.assertEqual([os.path.basename(p) for p in ex.required_test_sources()], ["test_work.c"])
        self.assertEqual(ex.optional_tests(), ["extra::never_passes"])


class LearnerLoop(unittest.TestCase):
    """Status follows the learner's file; hints come one at a time."""

    def setUp(self):
        self.repo = make_repo()
        self.work = os.path.join(self.repo, "exercises", "01-fixture", "work.c")

    def tearDown(self):
        shutil.rmtree(self.repo, ignore_errors=True)

    def status(self):
        rc, out, _ = make(self.repo)
        self.assertEqual(rc, 0, out)
        return out

    def test_status_moves_from_not_started_to_done(self):
        self.assertIn("not started", self.status())
        rc, out, _ = make(self.repo, "test", "EX=01")
        self.assertNotEqual(rc, 0)
        self.assertIn("make hint EX=01", out.strip().splitlines()[-2])
        self.assertIn("failing", self.status())
        with open(self.work, "a") as f:
            f.write("/* an edit */\n")
        self.assertIn("not checked", self.status())
        with open(self.work, "a") as f:
            f.write("this does not compile\n")
        make(self.repo, "test", "EX=01")
        self.assertIn("your code does not compile", self.status())
        shutil.copy(os.path.join(self.repo, "solutions", "01-fixture", "work.c"), self.work)
        rc, out, _ = make(self.repo, "test", "EX=01")
        self.assertEqual(rc, 0, out)
        self.assertIn("helgrind not run yet", self.status())
        self.assertIn("Next: `make helgrind EX=01`", self.status())
        rc, out, _ = make(self.repo, "helgrind", "EX=01")
        self.assertEqual(rc, 0, out)
        self.assertIn("done", self.status())
        self.assertIn("All exercises are done", self.status())

    def test_a_changed_exercise_setting_makes_the_verdict_stale(self):
        shutil.copy(os.path.join(self.repo, "solutions", "01-fixture", "work.c"), self.work)
        rc, out, _ = make(self.repo, "test", "EX=01")
        self.assertEqual(rc, 0, out)
        self.assertIn("helgrind not run yet", self.status())
        ini = os.path.join(self.repo, "exercises", "exercises.ini")
        with open(ini) as f:
            text = f.read()
        with open(ini, "w") as f:
            f.write(re.sub(r"(?m)^(timeout\s*=\s*)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 1),
                           text, count=1))
        self.assertIn("not checked", self.status())

    def test_testing_a_submission_leaves_the_learners_status_alone(self):
        make(self.repo, "test", "EX=01", "SRC=solutions")
        self.assertIn("not started", self.status())

    def test_hints_come_one_at_a_time(self):
        outs = [make(self.repo, "hint", "EX=fixture")[1] for _ in range(4)]
        self.assertIn("hint 1 of 3: The idea", outs[0])
        self.assertIn("hint 2 of 3: Where", outs[1])
        self.assertIn("hint 3 of 3: Shape", outs[2])
        self.assertIn("hint 3 of 3", outs[3])
        self.assertIn("last hint", outs[3])
        self.assertIn("hint 1 of 3", make(self.repo, "hint", "EX=01", "N=1")[1])
        rc, out, _ = make(self.repo, "hint", "EX=01", "N=9")
        self.assertNotEqual(rc, 0)
        self.assertEqual(len(out.strip().splitlines()), 1, out)
        self.assertIn("01-fixture has hints 1 to 3", out)

    def split_into_parts(self):
        """The fixture's two tests as parts 1 and 2, with hints per part, and a
        learner whose code passes part 1 only."""
        tests = os.path.join(self.repo, "tests", "01-fixture")
        with open(os.path.join(tests, "test_work.c")) as f:
            text = f.read()
        head, large = text.split("KATA_TEST(work, sums_large)")
        small, helper = large.split("/* A helper", 1)
        os.remove(os.path.join(tests, "test_work.c"))
        with open(os.path.join(tests, "test_1_small.c"), "w") as f:
            f.write(head + "/* A helper" + helper)
        with open(os.path.join(tests, "test_2_large.c"), "w") as f:
            f.write('#include "kata.h"\n#include "work.h"\n\nKATA_SUITE(big);\n\n'
                    "KATA_TEST(big, sums_large)" + small)
        with open(os.path.join(self.repo, "exercises", "01-fixture", "HINTS.md"), "w") as f:
            f.write("# Hints\n\n## Part 1: small\nOne.\n\n## Part 2: large, the idea\nTwo.\n\n"
                    "## Part 2: large, the shape\nThree.\n")
        with open(self.work, "w") as f:
            f.write('#include "work.h"\n\nlong work_sum(int n)\n{\n    return n == 10 ? 55 : 0;\n}\n')

    def test_hints_follow_the_first_failing_part(self):
        self.split_into_parts()
        self.assertIn("hint 1 of 3: Part 1", make(self.repo, "hint")[1])  # no run yet: in order
        rc, out, _ = make(self.repo, "test", "EX=01")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("FAIL big::sums_large", out)
        outs = [make(self.repo, "hint")[1] for _ in range(3)]
        self.assertIn("Part 2 fails first (big::sums_large)", outs[0])
        self.assertIn("hint 2 of 3: Part 2: large, the idea", outs[0])
        self.assertIn("hint 3 of 3: Part 2: large, the shape", outs[1])
        self.assertIn("hint 3 of 3", outs[2])  # the part's last hint again

    def test_t_runs_one_part_or_one_test_and_records_nothing(self):
        self.split_into_parts()
        rc, out, _ = make(self.repo, "test", "EX=01", "T=1")
        self.assertEqual(rc, 0, out)
        self.assertIn("PASS work::sums_small", out)
        self.assertNotIn("sums_large", out)
        self.assertIn("not started", self.status())
        rc, out, _ = make(self.repo, "test", "EX=01", "T=big::sums_large")
        self.assertNotEqual(rc, 0, out)
        self.assertIn("FAIL big::sums_large", out)
        self.assertNotIn("sums_small", out)
        rc, out, _ = make(self.repo, "test", "EX=01", "T=3")
        self.assertEqual(rc, 2, out)
        self.assertIn("parts: 1, 2", out)

    def test_progress_survives_make_clean(self):
        make(self.repo, "test", "EX=01")
        make(self.repo, "hint", "EX=01")
        make(self.repo, "clean")
        self.assertIn("failing", self.status())
        self.assertIn("hint 2 of 3", make(self.repo, "hint", "EX=01")[1])

    def test_progress_an_older_version_kept_in_build_moves_to_kata(self):
        make(self.repo, "hint", "EX=01")
        old = os.path.join(self.repo, "build", ".state")
        os.makedirs(old)
        shutil.move(os.path.join(self.repo, ".kata", "hints.json"), old)
        self.assertIn("hint 2 of 3", make(self.repo, "hint", "EX=01")[1])
        self.assertFalse(os.path.exists(os.path.join(old, "hints.json")))

    def test_all_exercises_then_a_summary_table(self):
        rc, out, _ = make(self.repo, "test")
        self.assertNotEqual(rc, 0)
        self.assertRegex(out, r"01-fixture\s+0/2\s+FAIL")
        self.assertIn("0 of 1 exercises pass.", out)
        shutil.copy(os.path.join(self.repo, "solutions", "01-fixture", "work.c"), self.work)
        rc, out, _ = make(self.repo, "test")
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"01-fixture\s+2/2\s+pass")


class SelfTest(unittest.TestCase):
    """`make check` passes on a sound course and fails when a known-wrong
    solution slips through."""

    def setUp(self):
        self.repo = make_repo()

    def tearDown(self):
        shutil.rmtree(self.repo, ignore_errors=True)

    def test_check_passes_on_a_sound_course(self):
        rc, out, _ = make(self.repo, "check", "EX=01")
        self.assertEqual(rc, 0, out)
        self.assertIn("wrong/no_join: helgrind reports it", out)
        self.assertRegex(out.strip().splitlines()[-1], r"^check: \d+ passed, 0 failed$")

    def write_mistake(self, slug, text):
        with open(os.path.join(self.repo, "tests", "01-fixture", "wrong", slug + ".diff"), "w") as f:
            f.write(text)

    def test_check_fails_when_a_wrong_solution_is_not_caught(self):
        # A "mistake" that only edits a comment: the tests cannot catch it.
        self.write_mistake("off_by_one", "what: nothing wrong at all\n"
                           "fail: work::sums_small\nfail: work::sums_large\n\n"
                           "--- a/work.c\n+++ b/work.c\n@@ -8,3 +8,3 @@\n"
                           "     long sum;\n-};\n+}; /* harmless */\n \n")
        rc, out, _ = make(self.repo, "check", "EX=01")
        self.assertNotEqual(rc, 0)
        self.assertIn("wrong/off_by_one must fail work::sums_small, work::sums_large", out)

    def test_check_fails_when_a_mistake_no_longer_applies(self):
        self.write_mistake("stale", "what: written against an older solution\n"
                           "fail: work::sums_small\n\n--- a/work.c\n+++ b/work.c\n"
                           "@@ -1,1 +1,1 @@\n-#include \"old.h\"\n+#include \"new.h\"\n")
        rc, out, _ = make(self.repo, "check", "EX=01")
        self.assertNotEqual(rc, 0)
        self.assertIn("wrong/stale.diff applies to the solution", out)
        self.assertIn("remake it against the current solution", out)

    def test_check_fails_when_a_test_passes_on_the_stub(self):
        stub = os.path.join(self.repo, "exercises", "01-fixture", "work.c")
        shutil.copy(os.path.join(self.repo, "solutions", "01-fixture", "work.c"), stub)
        rc, out, _ = make(self.repo, "check", "EX=01")
        self.assertNotEqual(rc, 0)
        self.assertIn("tests that pass on the stub cannot fail", out)


class Starved(unittest.TestCase):
    """A run's clock stops while its threads wait for a CPU others hold;
    the waits of threads that have ended (Criterion's workers) count too."""

    def test_waits_of_ended_threads_count(self):
        from engine import procs
        import subprocess
        p = subprocess.Popen(["sleep", "30"])
        try:
            waits = {1 << 30: 4.0}  # a thread that ended, its last wait read
            self.assertGreaterEqual(procs.starved(p.pid, 60.0, waits), 4.0)
            self.assertIn(p.pid, waits)  # the living thread is read into it
            # never more than the CPU time the run had and did not use
            self.assertLessEqual(procs.starved(p.pid, 1.0, waits), 1.0)
        finally:
            p.kill()
            p.wait()


if __name__ == "__main__":
    unittest.main()

"""Graded coursework on a two-exercise copy of the mini-course: points,
hidden tests, hostile and runaway submissions, batch grading, the student
release with its GitHub Actions feedback workflow, and the Gradescope autograder
run for real against a stand-in /autograder."""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET
import zipfile
from concurrent.futures import ThreadPoolExecutor

from tests.tools.minirepo import (BACKSTOP_SECONDS, FIXTURES, ROOT, Pace, make, make_repo,
                                  processes_under)

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import contain, course  # noqa: E402
from engine.instructor import formats, points, release  # noqa: E402

HOSTILE = os.path.join(FIXTURES, "hostile")
GRADED = os.path.join(FIXTURES, "graded")
TIMEOUT_SECONDS = 6   # the mini-course's `timeout`: the engine's limit of a hostile run
REFERENCES = ("a_reference_first", "solutions", "z_reference_last")  # right answers, timed (Pace)
GRADE_MARGIN = 3      # a graded submission: at most the engine's limits and 3 right answers' time
SLOTS = 4
HIDDEN_TEST = """#include "kata.h"
#include "work.h"

KATA_SUITE(work_hidden);

KATA_TEST(work_hidden, sums_one)
{
    long got = work_sum(1);
    cr_assert_eq(got, 1, "the sum of 1 alone is 1, not %ld", got);
}
"""


def graded_repo():
    """The mini-course with a second exercise (02-fixture, file twice.c) and
    a hidden test, outside /tmp (whose private copy the grader mounts) and
    reachable by the grading user. Returns (base folder, repository)."""
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    base = tempfile.mkdtemp(prefix="grade-test-", dir=os.path.join(ROOT, "build"))
    os.chmod(base, 0o755)
    repo = os.path.join(base, "repo")
    shutil.move(make_repo(), repo)
    os.chmod(repo, 0o755)
    for top in ("exercises", "solutions", "tests"):
        shutil.copytree(os.path.join(repo, top, "01-fixture"), os.path.join(repo, top, "02-fixture"))
    for top in ("exercises", "solutions"):
        os.rename(os.path.join(repo, top, "02-fixture", "work.c"), os.path.join(repo, top, "02-fixture", "twice.c"))
    shutil.rmtree(os.path.join(repo, "tests", "02-fixture", "wrong"))
    with open(os.path.join(repo, "exercises", "exercises.ini"), "a") as f:
        f.write("\n[02-fixture]\ntitle = Sum again\nfiles = twice.c\npoints = 10\ntimeout = 6\n"
                "test_seconds = 2\nhelgrind_timeout = 60\nhelgrind_points = 4\n")
    with open(os.path.join(repo, "README.md"), "a") as f:
        f.write("| 02 | `02-fixture` | Sum again |\n")
    hidden = os.path.join(repo, "tests", "01-fixture", "hidden")
    os.makedirs(hidden)
    with open(os.path.join(hidden, "test_hidden.c"), "w") as f:
        f.write(HIDDEN_TEST)
    return base, repo


REVIEWED = "work.c: reads the environment (getenv)"


def reviewed(base, solution):
    """The solution with a getenv added: allowed, on the review list."""
    path = os.path.join(base, "reviewed-%s.c" % os.urandom(4).hex())
    with open(solution) as f, open(path, "w") as out:
        out.write(f.read() + '\n#include <stdlib.h>\nint work_env_probe(void) { return getenv("HOME") != 0; }\n')
    return path


def submission(base, name, ex1=None, ex2=None, layout="folders"):
    """A submission: ex1 is work.c of 01-fixture, ex2 twice.c of 02-fixture
    (paths, or None for not submitted)."""
    d = os.path.join(base, "submissions", name)
    os.makedirs(d)
    for src, ex, f in ((ex1, "01-fixture", "work.c"), (ex2, "02-fixture", "twice.c")):
        if src is None:
            continue
        where = {"folders": os.path.join(d, ex), "repo": os.path.join(d, "exercises", ex),
                 "flat": d}[layout]
        os.makedirs(where, exist_ok=True)
        shutil.copy(src, os.path.join(where, f))
    return d


def grading_users(results, repo):
    """Processes of these gradings still running as their grading users (a
    user is free again after a grading: another grader may hold it now, so
    only processes that run in or from `repo` count)."""
    uids = {r["extra_data"].get("grading_uid") for r in results} - {None}
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat("/proc/" + entry).st_uid in uids:
                where = [os.readlink("/proc/%s/%s" % (entry, x)) for x in ("cwd", "exe")]
                if any(w.startswith(repo + os.sep) or w == repo for w in where):
                    found.append(int(entry))
        except OSError:
            pass
    return found


class Grading(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base, cls.repo = graded_repo()
        cls.solution1 = os.path.join(cls.repo, "solutions", "01-fixture", "work.c")
        cls.solution2 = os.path.join(cls.repo, "solutions", "02-fixture", "twice.c")
        cls.stub1 = os.path.join(cls.repo, "exercises", "01-fixture", "work.c")
        cases = {
            "solutions": (cls.solution1, cls.solution2),
            "stubs": (cls.stub1, os.path.join(cls.repo, "exercises", "02-fixture", "twice.c")),
            "partial": (os.path.join(GRADED, "partial", "01-fixture", "work.c"), None),
        }
        for case in ("exit_in_test", "fake_output_in_test", "fake_output", "spin_in_test",
                     "daemon_in_test", "fifty_sleepers", "crash"):
            cases[case] = (os.path.join(HOSTILE, case, "01-fixture", "work.c"), cls.solution2)
        for case in REFERENCES:
            cases[case] = (cls.solution1, cls.solution2)
        for case in ("fork_bomb", "memory_hog", "disk_filler"):
            cases[case] = (os.path.join(GRADED, case, "01-fixture", "work.c"), cls.solution2)
        # The reference solution, compiled in from where the grader keeps it.
        cheat = os.path.join(cls.base, "include_solution.c")
        with open(cheat, "w") as f:
            f.write('#include "../../../../solutions/01-fixture/work.c"\n')
        cases["include_solution"] = (cheat, cls.solution2)
        cases["reviewed"] = (reviewed(cls.base, cls.solution1), cls.solution2)
        srcs = {c: submission(cls.base, c, a, b) for c, (a, b) in cases.items()}
        # the shared objects once, then every case at once, each with its own grading user
        cls.grade(srcs["stubs"], 0)
        slots = list(range(SLOTS))

        def run(case):
            slot = slots.pop()
            try:
                return case, cls.grade(srcs[case], slot)
            finally:
                slots.append(slot)
        with ThreadPoolExecutor(max_workers=SLOTS) as pool:
            cls.runs = dict(pool.map(run, sorted(cases)))
        cls.pace = Pace()
        for case in REFERENCES:
            cls.pace.note(cls.runs[case][2])
        if os.geteuid() == 0:  # the weaker mode asked for: the same object policy
            users = submission(cls.base, "fake_output_users", cases["fake_output"][0], cls.solution2)
            os.chmod(cls.base, 0o750)  # mode users grades only a repository shut to others
            try:
                cls.runs["fake_output_users"] = cls.grade(users, 0, env=dict(os.environ,
                                                                             KATA_SANDBOX="users"))
            finally:
                os.chmod(cls.base, 0o755)
        time.sleep(0.2)
        cls.left_users = grading_users([r[3] for r in cls.runs.values()], cls.repo)
        cls.left_repo = processes_under(cls.repo)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.base, ignore_errors=True)

    @classmethod
    def grade(cls, src, slot, extra=(), env=None):
        results = os.path.join(src + "-results", "results.json")
        argv = [sys.executable, "-S", os.path.join(cls.repo, "tools", "kata.py"), "grade", "--src", src,
                "--results", results, "--slot", str(slot)] + list(extra)
        start = time.monotonic()
        proc = subprocess.run(argv, cwd=cls.repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=BACKSTOP_SECONDS, env=env)
        secs = time.monotonic() - start
        with open(results) as f:
            data = json.load(f)
        return proc.returncode, proc.stdout.decode(errors="replace"), secs, data

    def scores(self, case):
        return self.runs[case][3]["extra_data"]["exercises"]

    def test_reference_solutions_get_full_marks(self):
        rc, out, _, data = self.runs["solutions"]
        self.assertEqual(rc, 0, out)
        self.assertEqual(data["score"], 20)
        self.assertTrue(all(t["status"] == "passed" for t in data["tests"]), data)
        self.assertEqual(sum(t["max_score"] for t in data["tests"]), 20)

    def test_stubs_get_zero(self):
        rc, out, _, data = self.runs["stubs"]
        self.assertNotEqual(rc, 0)
        self.assertEqual(data["score"], 0)
        self.assertTrue(all(t["status"] == "failed" for t in data["tests"]))
        helgrind = [t for t in data["tests"] if "helgrind" in t["name"]]
        self.assertEqual(len(helgrind), 2)
        self.assertIn("counts once every test", helgrind[0]["output"])

    def test_partial_solution_gets_partial_marks(self):
        # 01: 2 of 3 tests (the hidden one among them) of the 8 test points;
        # helgrind not run; 02 not submitted.
        scores = self.scores("partial")
        self.assertEqual(scores["01-fixture"]["score"], 5.33)  # 2.67 + 2.66
        self.assertEqual(scores["02-fixture"]["score"], 0)
        missing = [t for t in self.runs["partial"][3]["tests"] if t["name"].startswith("02-fixture")]
        self.assertIn("twice.c not found in the submission", missing[0]["output"])

    def test_points_follow_the_metadata(self):
        tests = self.runs["solutions"][3]["tests"]
        by_name = {t["name"]: t for t in tests}
        self.assertEqual(by_name["01-fixture helgrind: no data race or lock-order error in your code"]["max_score"], 2)
        self.assertEqual(by_name["02-fixture helgrind: no data race or lock-order error in your code"]["max_score"], 4)
        # 8 points over 3 tests, in cents that add up: the first test gets the cent left over.
        self.assertEqual([t["max_score"] for t in tests if t["name"].startswith("01-fixture")],
                         [2.67, 2.67, 2.66, 2])
        self.assertEqual(by_name["02-fixture work: sums small"]["max_score"], 3)

    def test_hidden_tests_are_graded_after_the_due_date(self):
        tests = self.runs["solutions"][3]["tests"]
        hidden = [t for t in tests if t["visibility"] == "after_due_date"]
        self.assertEqual([t["name"] for t in hidden], ["01-fixture work hidden: sums one"])
        self.assertEqual(hidden[0]["status"], "passed")
        self.assertIn("(hidden)", self.runs["stubs"][1])

    def test_failing_output_is_the_learners_message_cut_short(self):
        tests = self.runs["stubs"][3]["tests"]
        self.assertEqual(tests[0]["output"], "1 + ... + 10 is 55, not 0")
        self.assertTrue(all(len(t["output"]) <= formats.MESSAGE_CHARS + 20 for t in tests))
        self.assertIn("FAIL 01-fixture work: sums small", self.runs["stubs"][1])
        self.assertRegex(self.runs["stubs"][1], r"01-fixture\s+0/2\s+0/1\s+not run\s+0\.00 / 10")

    def test_junit_xml_beside_the_results(self):
        path = os.path.join(os.path.dirname(submission_results(self.base, "stubs")), "junit.xml")
        root = ET.parse(path).getroot()
        cases = list(root.iter("testcase"))
        self.assertEqual(len(cases), 7)
        self.assertEqual(len(list(root.iter("failure"))), 7)
        self.assertEqual(cases[0].get("classname"), "01-fixture")

    def hostile(self, case, words=None, honest=0):
        """`honest`: the points of the tests the case answers honestly."""
        rc, out, secs, data = self.runs[case]
        scores = self.scores(case)
        self.assertEqual(scores["01-fixture"]["score"], honest, "%s earned points:\n%s" % (case, out))
        self.assertEqual(scores["02-fixture"]["score"], 10, "%s cost the other exercise:\n%s" % (case, out))
        bound = self.pace.bound(TIMEOUT_SECONDS, GRADE_MARGIN)
        self.assertLess(secs, bound, "%s took %.1f s, a right answer at most %.1f s beside it"
                        % (case, secs, max(self.pace.samples)))
        if words:
            said = " ".join(t["output"] for t in data["tests"])
            self.assertIn(words, said)

    def test_early_exit_0_earns_nothing(self):
        # right for n = 10 and n = 1, exit(0) for n = 1000
        self.hostile("exit_in_test", "called exit()", honest=5.33)

    def test_fake_output_earns_nothing(self):
        self.hostile("fake_output_in_test")
        # a constructor that prints a passing report: refused from the object
        # (policy.judge_object) whatever the sandbox's mode
        self.hostile("fake_output", "your code has a .init_array section")

    def test_review_list_names_what_is_allowed_but_worth_a_look(self):
        rc, out, _, data = self.runs["reviewed"]
        self.assertEqual(data["score"], 20, out)       # a pointer for a person, never points
        self.assertEqual(data["extra_data"]["review"], {"01-fixture": [REVIEWED]})
        self.assertIn("review 01-fixture: " + REVIEWED, out)
        self.assertIn("review 01-fixture: " + REVIEWED, data["output"])
        self.assertEqual(self.runs["solutions"][3]["extra_data"]["review"], {})

    @unittest.skipUnless(os.geteuid() == 0, "the users mode is root's")
    def test_object_policy_also_without_namespaces(self):
        self.assertEqual(self.runs["fake_output_users"][3]["extra_data"]["sandbox"], "users")
        self.hostile("fake_output_users", "your code has a .init_array section")
        self.assertIn("(sandbox: users)", self.runs["fake_output_users"][1])

    def test_hang_earns_nothing_in_bounded_time(self):
        self.hostile("spin_in_test", "spinning in a loop")

    def test_leftover_children_earn_nothing(self):
        self.hostile("daemon_in_test", "left behind")
        self.hostile("fifty_sleepers", "left behind")

    def test_crash_earns_nothing(self):
        self.hostile("crash", "segmentation fault", honest=5.33)

    def test_including_the_reference_solution_earns_nothing(self):
        self.hostile("include_solution", "graded code may include the exercise's headers")

    def test_fork_bomb_is_contained(self):
        self.hostile("fork_bomb", "processes at once (a fork bomb?)")

    def test_memory_hog_is_contained(self):
        self.hostile("memory_hog", "MB of memory together")

    def test_disk_filler_fills_only_its_own_tmp(self):
        self.hostile("disk_filler")
        if os.geteuid() == 0:  # as root the run has a private /tmp
            self.assertEqual([f for f in os.listdir("/tmp") if f.startswith("kata-disk-filler")], [])

    def test_nothing_is_left_running(self):
        self.assertEqual(self.left_users, [])
        self.assertEqual(self.left_repo, [])

    @unittest.skipUnless(os.geteuid() == 0, "the grading user exists only when grading as root")
    def test_student_code_runs_as_an_unprivileged_user(self):
        modes = {r[3]["extra_data"]["sandbox"] for c, r in self.runs.items()
                 if c != "fake_output_users"}   # refused before it ran: no run folder
        self.assertEqual(len(modes), 1, modes)
        run = os.path.join(self.repo, "build", "01-fixture")
        owners = {os.stat(os.path.join(run, d, "run")).st_uid for d in os.listdir(run)
                  if os.path.isdir(os.path.join(run, d, "run"))}
        if modes == {"namespaces"}:
            # the run wrote only its box, outside the repository, gone with it
            self.assertEqual(owners, set())
        else:
            self.assertTrue(owners)
        self.assertTrue(all(contain.GRADE_UID <= o < contain.GRADE_UID + 1000 for o in owners))
        uids = {r[3]["extra_data"]["grading_uid"] for r in self.runs.values()}
        self.assertGreaterEqual(len(uids), SLOTS, "graders at the same time share no user")
        self.assertEqual(os.stat(os.path.join(self.repo, "tests")).st_uid, 0)


def submission_results(base, case):
    return os.path.join(base, "submissions", case + "-results", "results.json")


class Commands(unittest.TestCase):
    """grade-all, the release and its workflow, the Gradescope autograder,
    and one-line errors."""

    @classmethod
    def setUpClass(cls):
        cls.base, cls.repo = graded_repo()
        cls.solution1 = os.path.join(cls.repo, "solutions", "01-fixture", "work.c")
        cls.solution2 = os.path.join(cls.repo, "solutions", "02-fixture", "twice.c")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.base, ignore_errors=True)

    def one_line_error(self, args, words):
        rc, out, _ = make(self.repo, *args)
        self.assertNotEqual(rc, 0)
        self.assertEqual(len([ln for ln in out.strip().splitlines() if "kata" in ln]), 1, out)
        self.assertIn(words, out)

    def test_bad_input_is_one_line(self):
        self.one_line_error(["grade", "RESULTS=build"], "RESULTS=build: give the path of a .json file")
        self.one_line_error(["grade", "HIDDEN=/nonexistent"], "HIDDEN=/nonexistent is not a directory")
        self.one_line_error(["grade", "EX=nope"], "unknown exercise 'nope'")
        self.one_line_error(["grade-all"], "say where the submissions are")
        self.one_line_error(["grade-all", "SUBMISSIONS=/nonexistent"], "is not a directory")
        self.one_line_error(["release"], "say where to write the student release")
        self.one_line_error(["release", "OUT=" + self.repo], "is inside this repository")
        self.one_line_error(["release", "OUT=" + os.path.join(ROOT, "tools")], "exists and is not an empty folder")
        self.one_line_error(["gradescope", "OUT=x.txt"], "give the path of the .zip")

    def test_grade_all_survives_any_folder_content(self):
        # a FIFO named like a .c file, a deep tree, a folder named like the
        # CSV, a linked student folder: a row with a reason each, the others graded
        subs = os.path.join(self.base, "odd-class")
        os.makedirs(subs)
        for name in ("alice", "grades.csv", "fifo", "deep"):
            first = reviewed(self.base, self.solution1) if name == "alice" else self.solution1
            shutil.move(submission(self.base, "odd-" + name, first, self.solution2),
                        os.path.join(subs, name))
        os.remove(os.path.join(subs, "fifo", "01-fixture", "work.c"))
        os.mkfifo(os.path.join(subs, "fifo", "01-fixture", "work.c"))
        deep = os.path.join(subs, "deep", "01-fixture")
        fd = os.open(deep, os.O_RDONLY | os.O_DIRECTORY)
        for _ in range(200):   # below it, deeper than any submission needs
            os.mkdir("d", dir_fd=fd)
            fd, old = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd), fd
            os.close(old)
        os.rename(os.path.join(deep, "work.c"), "/proc/self/fd/%d/work.c" % fd)
        os.close(fd)
        os.symlink(os.path.join(subs, "alice"), os.path.join(subs, "linked"))
        out_dir = os.path.join(self.base, "odd-grades")
        rc, out, _ = make(self.repo, "grade-all", "SUBMISSIONS=" + subs, "OUT=" + out_dir)
        self.assertEqual(rc, 0, out)
        with open(os.path.join(out_dir, "grades.csv")) as f:
            rows = {r[0]: r[1:] for r in csv.reader(f)}
        self.assertEqual(rows["alice"], ["10", "10", "20", "", "01-fixture: " + REVIEWED])
        for student, scores, words in (("fifo", ["0", "10", "10"], "work.c is not a regular file"),
                                       ("deep", ["0", "10", "10"], "more than 16 deep"),
                                       ("grades.csv", ["0", "0", "0"], "may not be named"),
                                       ("linked", ["0", "0", "0"], "symbolic link")):
            self.assertEqual(rows[student][:3], scores, (student, out))
            self.assertIn(words, rows[student][3], student)

    def reference_grade_all(self, pace, tag):
        """`make grade-all` of one right answer, timed: the reference of a bound."""
        subs = os.path.join(self.base, "reference-" + tag)
        os.makedirs(subs)
        shutil.move(submission(self.base, "ref-" + tag, self.solution1, self.solution2),
                    os.path.join(subs, "ref"))
        rc, out, secs = make(self.repo, "grade-all", "SUBMISSIONS=" + subs,
                             "OUT=" + os.path.join(self.base, "reference-grades-" + tag))
        self.assertEqual(rc, 0, out)
        pace.note(secs)

    def test_grade_all_one_row_per_student(self):
        subs = os.path.join(self.base, "class")
        os.makedirs(subs)
        spin = os.path.join(HOSTILE, "spin_in_test", "01-fixture", "work.c")
        bomb = os.path.join(GRADED, "fork_bomb", "01-fixture", "work.c")
        for name, a, b, layout in (("alice", self.solution1, self.solution2, "repo"),
                                   ("bob", self.solution1, self.solution2, "flat"),
                                   ("carol", None, None, "flat"),
                                   ("dave", spin, self.solution2, "flat"),
                                   ("erin", bomb, self.solution2, "folders")):
            shutil.move(submission(self.base, name, a, b, layout), os.path.join(subs, name))
        out_dir = os.path.join(self.base, "grades")
        pace = Pace()
        self.reference_grade_all(pace, "before")
        start = time.monotonic()
        rc, out, _ = make(self.repo, "grade-all", "SUBMISSIONS=" + subs, "OUT=" + out_dir)
        secs = time.monotonic() - start
        self.assertEqual(rc, 0, out)
        with open(os.path.join(out_dir, "grades.csv")) as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], ["student", "01-fixture", "02-fixture", "total", "note", "review"])
        self.assertEqual(rows[1:], [["alice", "10", "10", "20", "", ""],
                                    ["bob", "10", "10", "20", "", ""],
                                    ["carol", "0", "0", "0", "", ""], ["dave", "0", "10", "10", "", ""],
                                    ["erin", "0", "10", "10", "", ""]])
        results = []
        for name in ("alice", "bob", "carol", "dave", "erin"):
            with open(os.path.join(out_dir, name, "results.json")) as f:
                results.append(json.load(f))
        # five students, two of them hostile, one after another
        self.reference_grade_all(pace, "after")
        self.assertLess(secs, pace.bound(2 * TIMEOUT_SECONDS, 5 + GRADE_MARGIN), out)
        self.assertEqual(grading_users(results, self.repo), [])

    def test_release_is_what_students_get(self):
        out = os.path.join(self.base, "release")
        rc, said, _ = make(self.repo, "release", "OUT=" + out)
        self.assertEqual(rc, 0, said)
        files = {os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out) for f in fs}
        for absent in ("solutions", "tests/01-fixture/wrong", "tests/01-fixture/hidden", "tests/tools",
                       "tools/release.py", "tools/gradescope.py", "tools/autograder", "build",
                       "tools/engine/instructor/release.py", "tools/engine/instructor/gradescope.py"):
            self.assertFalse([f for f in files if f == absent or f.startswith(absent + "/")], absent)
        self.assertIn("exercises/02-fixture/twice.c", files)
        self.assertIn(release.WORKFLOW, files)
        rc, said, _ = make(out, "status")
        self.assertEqual(rc, 0, said)
        self.assertIn("not started", said)
        rc, said, _ = make(out, "test")
        self.assertNotEqual(rc, 0)
        self.assertIn("0 of 2 exercises pass.", said)
        rc, said, _ = make(out, "check")
        self.assertNotEqual(rc, 0)
        self.assertIn("`make check` tests the full repository", said)
        self.assertEqual(len(said.strip().splitlines()), 1, said)
        rc, said, _ = make(out, "gradescope")
        self.assertIn("is for the full repository", said)

        # The feedback workflow: its grade step runs with nothing but PATH
        # and HOME, writes the files it uploads, and its summary step shows
        # the table even though the grade step failed.
        with open(os.path.join(out, release.WORKFLOW)) as f:
            steps = release.parse_yaml(f.read())["jobs"]["feedback"]["steps"]
        env_only = {"PATH": os.environ["PATH"], "HOME": self.base}
        summary = os.path.join(self.base, "step-summary.md")

        def step(name, **env):
            st = [x for x in steps if x.get("run") and name in x["name"]][0]
            return subprocess.run(["bash", "-eo", "pipefail", "-c", st["run"]], cwd=out,
                                  env=dict(env_only, **env), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=BACKSTOP_SECONDS)
        shutil.copy(self.solution1, os.path.join(out, "exercises", "01-fixture", "work.c"))
        proc = step("every exercise")
        self.assertNotEqual(proc.returncode, 0, proc.stdout.decode(errors="replace"))
        paths = steps[-1]["with"]["path"].split()
        self.assertEqual(paths, list(release.RESULTS))
        self.assertTrue(all(os.path.isfile(os.path.join(out, p)) for p in paths), paths)
        self.assertEqual(step("summary", GITHUB_STEP_SUMMARY=summary).returncode, 0)
        with open(summary) as f:
            shown = f.read()
        self.assertIn("Feedback, not a grade", shown)
        self.assertRegex(shown, r"01-fixture +\S+ +\S+ +\S+ +10\.00 / 10")
        self.assertRegex(shown, r"02-fixture .* 0\.00 / 10")
        shutil.rmtree(os.path.join(out, "build", "grade"))
        os.remove(summary)
        self.assertEqual(step("summary", GITHUB_STEP_SUMMARY=summary).returncode, 0)
        with open(summary) as f:
            self.assertIn("make grade wrote no results", f.read())

    def test_gradescope_autograder_runs_for_real(self):
        rc, said, _ = make(self.repo, "gradescope")
        self.assertEqual(rc, 0, said)
        zpath = os.path.join(self.repo, "build", "gradescope", "autograder.zip")
        with zipfile.ZipFile(zpath) as z:
            names = set(z.namelist())
        self.assertIn("setup.sh", names)
        self.assertIn("run_autograder", names)
        self.assertIn("tests/01-fixture/hidden/test_hidden.c", names)
        self.assertFalse([n for n in names if n.startswith("solutions/") or "/wrong/" in n])

        def autograde(case, a, b, layout):
            root = os.path.join(self.base, "autograder-" + case)
            os.makedirs(os.path.join(root, "results"))
            os.chmod(root, 0o755)
            with zipfile.ZipFile(zpath) as z:
                z.extractall(os.path.join(root, "source"))
            for name in ("run_autograder", "setup.sh"):  # zipfile drops the modes
                os.chmod(os.path.join(root, "source", name), 0o755)
            shutil.copy(os.path.join(root, "source", "run_autograder"), root)
            sub = submission(self.base, "gs-" + case, a, b, layout)
            shutil.move(sub, os.path.join(root, "submission"))
            start = time.monotonic()
            proc = subprocess.run([os.path.join(root, "run_autograder")], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, timeout=BACKSTOP_SECONDS,
                                  env=dict(os.environ, KATA_AUTOGRADER_ROOT=root))
            secs = time.monotonic() - start
            with open(os.path.join(root, "results", "results.json")) as f:
                return case, (json.load(f), proc.stdout.decode(errors="replace"), secs)
        bomb = os.path.join(GRADED, "fork_bomb", "01-fixture", "work.c")
        partial = os.path.join(GRADED, "partial", "01-fixture", "work.c")
        cases = [("full", self.solution1, self.solution2, "repo"), ("empty", None, None, "flat"),
                 ("partial", partial, None, "flat"), ("hostile", bomb, self.solution2, "flat")]
        # One after another: on Gradescope's machine every run has it to itself.
        got = dict(autograde(*c) for c in cases)
        full, out, _ = got["full"]
        self.assertEqual(full["score"], 20, out)
        self.assertIn("after_due_date", [t["visibility"] for t in full["tests"]])
        empty, out, _ = got["empty"]
        self.assertEqual(empty["score"], 0, out)
        self.assertIn("01-fixture: not found in your submission", empty["output"])
        self.assertEqual(len(empty["tests"]), 7)
        partial, out, _ = got["partial"]
        self.assertAlmostEqual(partial["score"], 5.33, places=2, msg=out)
        hostile, out, secs = got["hostile"]
        self.assertEqual(hostile["extra_data"]["exercises"]["01-fixture"]["score"], 0, out)
        self.assertEqual(hostile["extra_data"]["exercises"]["02-fixture"]["score"], 10, out)
        pace = Pace()  # the right answer, graded just before, is the reference
        pace.note(got["full"][2])
        self.assertLess(secs, pace.bound(TIMEOUT_SECONDS, GRADE_MARGIN))
        self.assertEqual(grading_users([r[0] for r in got.values()], self.base), [])


class FeedbackWorkflow(unittest.TestCase):
    """The release's GitHub Actions workflow, read back with parse_yaml and
    checked against the real course's metadata."""

    def setUp(self):
        self.exercises = course.load()
        self.text = release.workflow_yaml(self.exercises)
        self.job = release.parse_yaml(self.text)["jobs"]["feedback"]
        self.steps = self.job["steps"]

    def test_current_runner_and_actions(self):
        self.assertEqual(self.job["runs-on"], "ubuntu-24.04")
        uses = [st["uses"] for st in self.steps if st.get("uses")]
        self.assertEqual(uses, ["actions/checkout@v6", "actions/upload-artifact@v7"])
        self.assertNotIn("classroom", self.text.lower())

    def test_deps_then_grade_with_time_limits_from_the_metadata(self):
        runs = [st.get("run") for st in self.steps]
        self.assertLess(runs.index("make deps"), runs.index("make grade"))
        grade = self.steps[runs.index("make grade")]
        need = sum(points.timeout_for(ex) for ex in self.exercises)
        self.assertGreaterEqual(int(grade["timeout-minutes"]) * 60, need)
        self.assertLess(int(grade["timeout-minutes"]) * 60, need + 120)
        self.assertGreater(int(self.job["timeout-minutes"]), int(grade["timeout-minutes"]))

    def test_results_reported_even_when_grading_fails(self):
        after = self.steps[[st.get("run") for st in self.steps].index("make grade") + 1:]
        self.assertEqual(len(after), 2)
        self.assertEqual([st.get("if") for st in after], ["always()", "always()"])
        self.assertIn("$GITHUB_STEP_SUMMARY", after[0]["run"])
        self.assertEqual(after[1]["with"]["path"].split(), list(release.RESULTS))
        self.assertEqual(os.path.dirname(release.RESULTS[0]), os.path.dirname(points.DEFAULT_RESULTS))

    def test_says_it_is_feedback_and_where_grades_come_from(self):
        head = " ".join(x.lstrip("# ") for x in self.text.splitlines() if x.startswith("#"))
        for words in ("not a grade", "the student owns this repository", "Gradescope", "make grade-all"):
            self.assertIn(words, head)

    def test_the_parser_refuses_what_it_does_not_read(self):
        for bad in ("a: 1\n- b: 2\n", "just words\n", "a:\n  - b: 1\n  c: 2\n"):
            with self.assertRaises(ValueError, msg=bad):
                release.parse_yaml(bad)


if __name__ == "__main__":
    unittest.main()

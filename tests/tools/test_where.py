"""Where a crash or a hang is, thread by thread (tests/common/stuck.c, the
harness's crash handler, places.where_words): a learner's file with a crash
in a thread, an endless loop, a deadlock; each report names the function
and file:line of the learner's code, in English and in Chinese, in `make
test` and in `make helgrind` (whose driver reports a hang itself, in
seconds, instead of running into its time limit)."""

import json
import os
import re
import shutil
import subprocess
import unittest

from tests.tools import minirepo

WHERE = os.path.join(minirepo.FIXTURES, "where")
ZH = dict(os.environ, KATA_LANG="zh")


def line_of(case, marker):
    """The line of work.c in fixtures/where/<case> that holds `marker`."""
    with open(os.path.join(WHERE, case, "01-fixture", "work.c")) as f:
        for n, text in enumerate(f, 1):
            if marker in text:
                return n
    raise AssertionError("no %r in %s" % (marker, case))


class Where(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.repo = minirepo.make_repo()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.repo)

    def run_make(self, target, case, env=None):
        status, out, _ = minirepo.make(self.repo, target, "EX=01",
                                       "SRC=" + os.path.join(WHERE, case), env=env)
        self.assertNotEqual(status, 0, out)
        return re.sub(r"\s*\n\s+", " ", out)  # the report's lines joined: wrapping aside

    def test_a_crash_names_the_faulting_line_and_every_other_thread(self):
        bad, join = line_of("crash", "crash:"), line_of("crash", "joins")
        # the main thread may still be creating the second thread, or between
        # that and its join: any line of the two loops
        lines = "|".join(str(n) for n in range(line_of("crash", "creates") - 1, join + 1))
        out = self.run_make("test", "crash")
        self.assertRegex(out, r"thread \d+, at work\.c:%d in sum_half\(\): it used a "
                         r"NULL pointer" % bad)
        self.assertRegex(out, r"The test's other threads at that moment: main thread \d+, "
                         r"at work\.c:(%s) in work_sum\(\)" % lines)
        self.assertNotIn("kata-at", out)
        out = self.run_make("test", "crash", env=ZH)
        self.assertRegex(out, r"线程 \d+，在 work\.c:%d 的 sum_half\(\) 里：它用了一个 "
                         r"NULL 指针" % bad)

    def test_an_endless_loop_names_the_loop(self):
        loop, join = line_of("loop", "loop:"), line_of("loop", "joins")
        out = self.run_make("test", "loop")
        self.assertRegex(out, r"thread \d+, at work\.c:(%d|%d) in sum_half\(\): "
                         r"running" % (loop, loop + 1))
        self.assertRegex(out, r"main thread \d+, at work\.c:%d in work_sum\(\): "
                         r"waiting in pthread_join" % join)
        out = self.run_make("test", "loop", env=ZH)
        self.assertRegex(out, r"线程 \d+，在 work\.c:(%d|%d) 的 sum_half\(\) 里：正在运行"
                         % (loop, loop + 1))

    def test_an_endless_loop_in_a_forked_child_names_the_childs_line(self):
        loop, wait = line_of("child", "loop:"), line_of("child", "waits")
        out = self.run_make("test", "child")
        self.assertRegex(out, r"main thread \d+, at work\.c:%d in work_sum\(\): "
                         r"waiting for a child process" % wait)
        self.assertRegex(out, r"process \d+, forked by process \d+: main thread \d+, "
                         r"at work\.c:(%d|%d) in sum_to\(\): running" % (loop, loop + 1))
        self.assertNotIn("kata-at", out)
        out = self.run_make("test", "child", env=ZH)
        self.assertRegex(out, r"在 work\.c:(%d|%d) 的 sum_to\(\) 里：正在运行" % (loop, loop + 1))

    def test_a_deadlock_names_where_each_thread_waits(self):
        lock = line_of("dead", "deadlock:")
        out = self.run_make("test", "dead")
        self.assertEqual(len(re.findall(r"thread \d+, at work\.c:%d in sum_half\(\): "
                                        r"waiting for the mutex" % lock, out)), 4, out)  # 2 tests
        # the static mutexes by their names (the program's symbol table)
        self.assertRegex(out, r"Deadlock: threads \d+ and \d+ wait for each other: thread \d+ holds "
                         r"the mutex `(first|second)` and waits for the mutex `(second|first)`, at "
                         r"work\.c:%d in sum_half\(\);" % lock)
        self.assertNotIn("kata-data", out)
        out = self.run_make("test", "dead", env=ZH)
        self.assertRegex(out, r"线程 \d+，在 work\.c:%d 的 sum_half\(\) 里：在等互斥锁 "
                         r"`(first|second)`，它被线程 \d+ 持有" % lock)

    def test_a_helgrind_driver_that_hangs_says_who_waits_for_whom(self):
        lock, join = line_of("dead", "deadlock:"), line_of("dead", "joins")
        out = self.run_make("helgrind", "dead")
        self.assertIn("The scenario hung under helgrind and was ended", out)
        self.assertNotIn("was stopped after", out)  # not the time limit: the driver's watchdog
        self.assertEqual(len(re.findall(r"thread \d+, at work\.c:%d in sum_half\(\): "
                                        r"waiting for the mutex `(?:first|second)`, held by "
                                        r"thread" % lock,
                                        out)), 2, out)
        self.assertRegex(out, r"main thread \d+, at work\.c:%d in work_sum\(\): "
                         r"waiting in pthread_join" % join)
        self.assertRegex(out, r"Deadlock: threads")
        self.assertNotIn("kata-at", out)
        out = self.run_make("helgrind", "dead", env=ZH)
        self.assertIn("场景在 helgrind 下卡住了", out)
        self.assertRegex(out, r"在 work\.c:%d 的 sum_half\(\) 里：在等互斥锁" % lock)


def sandbox_mode():
    proc = subprocess.run(["python3", "-S", "-c", "import sys; sys.path.insert(0, 'tools'); "
                           "from engine import sandbox; print(sandbox.mode())"],
                          cwd=minirepo.ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return proc.stdout.decode().strip()


@unittest.skipUnless(os.geteuid() == 0, "grading as another user needs root")
class GradedWhere(unittest.TestCase):
    """A graded crash or deadlock: the places (and the mutexes' names) come
    from addr2line and nm run as the grading user, from its box (in the
    sandbox, or as root in mode users); a grader without a box runs no tool
    on the graded program and the report goes without them (never a raw
    token)."""

    @classmethod
    def setUpClass(cls):
        cls.repo = minirepo.make_repo()
        for case in ("crash", "dead"):
            shutil.copytree(os.path.join(WHERE, case), os.path.join(cls.repo, "submitted", case))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.repo)

    def graded_output(self, mode, case="crash"):
        env = dict(os.environ, KATA_SANDBOX=mode, KATA_LANG="en")
        src = os.path.join(self.repo, "submitted", case)
        status, out, _ = minirepo.make(self.repo, "grade", "EX=01", "SRC=" + src, env=env,
                                       timeout=minirepo.BACKSTOP_SECONDS)
        self.assertNotEqual(status, 0, out)
        self.assertIn("(sandbox: %s)" % mode, out)
        with open(os.path.join(self.repo, "build", "grade", "results.json")) as f:
            return json.load(f)["tests"][0]["output"]

    @unittest.skipUnless(sandbox_mode() == "namespaces", "needs the sandbox (bubblewrap)")
    def test_in_the_sandbox_the_crash_has_its_line(self):
        out = self.graded_output("namespaces")
        self.assertRegex(out, r"thread \d+, at work\.c:%d in sum_half\(\): it used "
                         r"a NULL pointer" % line_of("crash", "crash:"))

    @unittest.skipUnless(sandbox_mode() == "namespaces", "needs the sandbox (bubblewrap)")
    def test_in_the_sandbox_a_deadlock_names_its_mutexes(self):
        out = self.graded_output("namespaces", "dead")
        self.assertRegex(out, r"thread \d+, at work\.c:%d in sum_half\(\): waiting for the mutex "
                         r"`(first|second)`" % line_of("dead", "deadlock:"))

    def test_in_mode_users_the_grading_user_runs_the_tools(self):
        # without the sandbox, as root: addr2line and nm run from the grading
        # user's box as that user (build.Box), never as root
        out = self.graded_output("users")
        self.assertRegex(out, r"thread \d+, at work\.c:%d in sum_half\(\): it used "
                         r"a NULL pointer" % line_of("crash", "crash:"))
        self.assertNotIn("kata-at", out)
        out = self.graded_output("users", "dead")
        self.assertRegex(out, r"thread \d+, at work\.c:%d in sum_half\(\): waiting for the mutex "
                         r"`(first|second)`" % line_of("dead", "deadlock:"))
        self.assertNotIn("kata-", out)

    def test_without_a_box_no_tool_runs_and_no_token_stays(self):
        # a grader without a box (a non-root grader that opted in) resolves
        # nothing on the graded program: run.py passes no binary
        from engine import places, report
        rep = report.RunReport([report.Result(
            "s::t", False, "thread 7 {kata-at 0x1139 0x1200}: it used a NULL pointer; "
            "waiting for the mutex at 0x55d0c0{kata-data 0x40c0}, held by thread 8")])
        places.in_words(rep, None, ("work.c",))
        self.assertEqual(rep.results[0].message, "thread 7: it used a NULL pointer; waiting for "
                         "the mutex at 0x55d0c0, held by thread 8")

if __name__ == "__main__":
    unittest.main()

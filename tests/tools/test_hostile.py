"""Hostile submissions never earn a pass, end in bounded time, and leave no
process behind. Each case is a SRC folder under fixtures/hostile/."""

import os
import shutil
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from tests.tools.minirepo import FIXTURES, Pace, make, make_repo, processes_under

HOSTILE = os.path.join(FIXTURES, "hostile")

# case: words the verdict must contain
EXPECTED = {
    "pipe_write_end_kept": "its write end is still open in this same process",
    "cond_never_signalled": "waiting on a condition variable (or a semaphore or barrier) that no "
                            "thread has signalled; no other thread of the test is left to signal it",
    "interpose_assert": "your code defines `criterion_abort_test`, a name the C library or the test harness already uses",
    "kata_end_call": "your code uses `kata_end`, which belongs to the test harness",
    "call_test_probe": "your code uses `work_expected_sum`, which belongs to the test harness",
    "zombie_hidden": "your code defines `opendir`",
    "clone_parent_zombie": "exited but never reaped",
    "include_stdin": "1 + ... + 10 is 55, not 0",
    "kill_engine": "Killed",
    "pthread_exit_main": "a main thread that ended with pthread_exit",
    "cpp_bomb": "virtual memory exhausted",
    "crash": "crashed: a segmentation fault",
    "exit_in_test": "called exit()",
    "underscore_exit_in_test": "called exit()",
    "exit_before_main": "exited with status 0 without reporting its results",
    "crash_before_main": "killed before it reported its results: a segmentation fault",
    "fake_output": "exited with status 0 without reporting its results",
    "fake_output_in_test": "1 + ... + 10 is 55, not 0",
    "hang_before_main": "stopped after 6 s and never reported",
    "spin_in_test": "spinning in a loop that never ends",
    "self_deadlock": "which it holds itself: a normal mutex locked twice",
    "abba_deadlock": '("a-then-b") holds the mutex `lock_a` and waits for the mutex `lock_b`, '
                     'at work.c:18 in a_then_b();',
    "child_returns": "returned into the test",
    "daemon_in_test": "child process(es) left behind",
    "daemon_before_main": "left",
    "compile_error": "your code does not compile",
    "duplicate_test": "your code defines `work_sums_small_impl`",
    "exit_in_atexit": "1 + ... + 10 is 55, not 0",
    "crash_in_destructor": "1 + ... + 10 is 55, not 0",
    "hang_in_destructor": "stopped after 6 s and never reported",
    "signals_ignored_before_main": "stopped after 6 s and never reported",
    "kill_runner": "killed before it reported its results: SIGKILL",
    "kill_process_group": "the test crashed: SIGTERM",
    "fifty_sleepers": "the test ended with 50 child process(es) left behind",
    "daemon_in_destructor": "processes were left behind after the tests ended",
    "pthread_exit_in_test": "timed out after 2 s",
    "vfork_returns": "returned into the test",
    "clone_parent_sleeper": "processes were left behind after the tests ended",
    "stdio_to_devnull_wrong": "1 + ... + 10 is 55, not 0",
    "close_fds_before_main": "killed before it reported its results",
    "huge_output": "SIGXFSZ: it wrote more output than allowed",
    "kill_watchdog": "stopped after 6 s and never reported",
    "detached_spinner": "1 thread(s) your code started were still running after it returned",
    "stop_runner": "stopped after 6 s and never reported",
}
# Right answers with something odd beside them: these must pass.
HONEST = ["header_beside", "honest_chatty", "honest_threads_and_forks",
          "honest_child_exits_with_exit", "honest_stdio_to_devnull"]
TIMEOUT_SECONDS = 6   # the mini-course's `timeout`: the engine's limit of one run
REFERENCE = "@reference"  # a right answer, timed among the cases (minirepo.Pace)


class HostileSubmissions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.repo = make_repo()
        # Build the shared test objects once, then run every case at once,
        # with right answers timed among them: the bound on each case's time.
        make(cls.repo, "test", "EX=01", "SRC=solutions")
        cls.pace = Pace()

        def run(case):
            src = "solutions" if case == REFERENCE else os.path.join(HOSTILE, case)
            rc, out, secs = make(cls.repo, "test", "EX=01", "SRC=" + src)
            if case == REFERENCE:
                cls.pace.note(secs)
                return case, None
            time.sleep(0.2)
            # Programs of this case are built under a folder named after it.
            return case, (rc, out, secs, processes_under("hostile_" + case + "-", exe_only=True))
        cases = sorted(EXPECTED)
        jobs = [REFERENCE] + cases[:len(cases) // 2] + [REFERENCE] + cases[len(cases) // 2:] + [REFERENCE]
        with ThreadPoolExecutor(max_workers=4) as pool:
            cls.runs = dict(pool.map(run, jobs))
        cls.runs.pop(REFERENCE)
        run(REFERENCE)

        time.sleep(0.2)
        cls.left_at_end = processes_under(cls.repo)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.repo, ignore_errors=True)

    def check(self, case):
        rc, out, secs, left = self.runs[case]
        self.assertNotEqual(rc, 0, "%s earned a pass:\n%s" % (case, out))
        self.assertNotIn("All 2 tests pass", out)
        flat = " ".join(out.split())  # the report is wrapped to the terminal's width
        self.assertIn(" ".join(EXPECTED[case].split()), flat, out)
        bound = self.pace.bound(TIMEOUT_SECONDS)
        self.assertLess(secs, bound, "%s took %.1f s, a right answer at most %.1f s beside it"
                        % (case, secs, max(self.pace.samples)))
        self.assertEqual(left, [], "%s left processes behind" % case)


    def test_nothing_of_any_run_is_left(self):
        self.assertEqual(self.left_at_end, [])


def _add_case(case):
    setattr(HostileSubmissions, "test_" + case, lambda self: self.check(case))


for _case in EXPECTED:
    _add_case(_case)


class ReferenceStillPasses(unittest.TestCase):
    def test_solution_passes_in_the_same_engine(self):
        repo = make_repo()
        try:
            rc, out, _ = make(repo, "test", "EX=01", "SRC=solutions")
            self.assertEqual(rc, 0, out)
            self.assertIn("All 2 tests pass", out)
            for case in HONEST:
                rc, out, _ = make(repo, "test", "EX=01", "SRC=" + os.path.join(HOSTILE, case))
                self.assertEqual(rc, 0, "%s (right answers) did not pass:\n%s" % (case, out))
                self.assertIn("All 2 tests pass", out)
            self.assertEqual(processes_under(repo), [])
        finally:
            shutil.rmtree(repo, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()

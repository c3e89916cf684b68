"""Tests for tools/engine/helgrind_summary.py.

Fixtures are real helgrind 3.19 logs made by fixtures/helgrind/generate.py (build paths
replaced by "build").  The live tests at the end need valgrind and gcc and are skipped without.

    python3 -m unittest tests/tools/test_helgrind_summary.py
"""
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from tests.tools.minirepo import BACKSTOP_SECONDS

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
FIXTURES = os.path.join(HERE, "fixtures", "helgrind")
SUPP = os.path.join(REPO, "tests", "common", "helgrind.supp")
sys.path.insert(0, os.path.join(REPO, "tools"))

from engine import helgrind_summary as hs  # noqa: E402


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


def summarize(names, *students):
    return hs.summarize([fixture(n) for n in names], list(students))


class CleanRun(unittest.TestCase):
    def test_clean_program_with_threads_condvar_printf_and_fork_is_ok(self):
        s = summarize(["clean.1.log", "clean.2.log"], "exercises/03-race/counter.c")
        self.assertTrue(s.ok)
        self.assertEqual((s.counted, s.ignored, s.errors, s.incomplete), (0, 0, [], []))
        self.assertIn("no data race", s.text)


class DataRaces(unittest.TestCase):
    def test_race_on_global_is_one_problem_reported_twice(self):
        s = summarize(["race_global.log"], "exercises/03-race/counter.c")
        self.assertFalse(s.ok)
        self.assertEqual(s.counted, 1)
        e = s.errors[0]
        self.assertEqual((e.kind, e.variable, e.student_lines, e.count), ("data_race", "counter", ["counter.c:10"], 2))
        self.assertEqual(sorted(e.threads), [2, 3])
        self.assertTrue(s.text.startswith("helgrind found 1 problem in your code:\n1. Data race on `counter` (global variable)"))
        self.assertIn("counter.c:10 (in worker)", s.text)
        self.assertIn("no lock held by either", s.text)
        self.assertIn("threads: #2 and #3, started at counter.c:18 (run_counters)", s.text)

    def test_race_on_heap_names_the_block_and_the_lock_only_one_side_held(self):
        s = summarize(["race_heap.log"], "exercises/03-race/account.c")
        self.assertEqual(s.counted, 2)   # the read and the write in withdraw are on different lines
        self.assertEqual([e.student_lines for e in s.errors], [["account.c:21", "account.c:13"],
                                                                ["account.c:22", "account.c:13"]])
        self.assertIn("heap memory, 40 bytes into the 48-byte block allocated at account.c:28 (in run_bank)", s.text)
        self.assertIn("thread #3 held no lock, thread #2 held the lock in the 48-byte block", s.text)

    def test_race_on_stack_variable_names_its_function(self):
        s = summarize(["race_stack.log"], "exercises/02-join/join.c")
        self.assertEqual(s.counted, 1)
        self.assertIn("a local variable of sum_in_threads (join.c:11), on thread #1's stack", s.text)
        self.assertEqual(s.errors[0].student_lines, ["join.c:6"])

    def test_var_info_names_and_full_paths_are_understood(self):
        s = summarize(["race_varinfo.log"], "exercises/03-race/counter.c")
        self.assertEqual(s.counted, 1)
        self.assertEqual(s.errors[0].variable, "counter")
        self.assertIn("counter.c:10 (in worker)", s.text)

    def test_printed_directories_must_match_the_learner_path(self):
        other = summarize(["race_varinfo.log"], "exercises/99-other/counter.c")
        self.assertEqual((other.counted, other.ignored), (0, 2))
        absolute = summarize(["race_varinfo.log"], "/home/alice/kata/exercises/03-race/counter.c")
        self.assertEqual(absolute.counted, 1)

    def test_basename_frames_match_any_learner_path_with_that_name(self):
        s = summarize(["race_global.log"], "/submissions/alice/03-race/counter.c")
        self.assertEqual(s.counted, 1)


class LockOrder(unittest.TestCase):
    def test_inversion_names_both_locks_in_both_orders_and_the_callers(self):
        s = summarize(["lock_order.log"], "exercises/04-deadlock/bank.c")
        self.assertEqual(s.counted, 1)
        e = s.errors[0]
        self.assertEqual((e.kind, e.variable, e.student_lines), ("lock_order", "bob and alice", ["bank.c:13", "bank.c:14"]))
        self.assertIn("thread #3 took `bob` then `alice` (bank.c:13, bank.c:14 in transfer, "
                      "called from pay_alice at bank.c:31)", s.text)
        self.assertIn("a thread took `alice` then `bob` (bank.c:13, bank.c:14 in transfer, "
                      "called from pay_bob at bank.c:24)", s.text)
        self.assertIn("the same lines with the locks swapped", s.text)
        self.assertIn("deadlock", s.text)


class Misuse(unittest.TestCase):
    def setUp(self):
        self.s = summarize(["misuse.log"], "exercises/04-deadlock/locks.c")

    def test_each_misuse_is_its_own_problem(self):
        self.assertEqual([e.kind for e in self.s.errors],
                         ["unlock_not_locked", "unlock_invalid", "exit_holding_lock", "destroy_locked", "call_failed"])
        self.assertEqual(self.s.ignored, 0)

    def test_unlock_of_not_locked_names_the_mutex_and_line(self):
        self.assertIn("unlocked `m` at locks.c:19 (in misuse_locks), but no thread held it", self.s.text)

    def test_thread_exiting_with_a_lock_is_judged_by_who_started_it(self):
        e = self.s.errors[2]
        self.assertEqual(e.student_lines, ["locks.c:22"])
        self.assertIn("Thread #2, started at locks.c:22 (misuse_locks), ended while still holding a lock", self.s.text)


class Condvar(unittest.TestCase):
    def test_dubious_signal_from_inside_glibc_counts_for_learner_and_says_so(self):
        s = summarize(["condvar_dubious.log"], "exercises/02-join/signal.c")
        self.assertEqual((s.counted, s.ignored), (1, 1))   # the driver's own signal is not counted
        self.assertEqual(s.errors[0].kind, "dubious_condvar")
        self.assertEqual(s.errors[0].student_lines, ["signal.c:15"])
        self.assertIn("inside the C library's cnd_signal, called from your code", s.text)
        self.assertIn("1 report outside your code was not counted.", s.text)


class Outside(unittest.TestCase):
    def test_reports_without_learner_frames_are_ignored_and_listed_in_one_line(self):
        s = summarize(["outside_student.log"], "exercises/03-race/counter.c")
        self.assertTrue(s.ok)
        self.assertEqual((s.counted, s.ignored), (0, 2))
        self.assertEqual(s.text.splitlines()[-1], "2 reports outside your code were not counted.")


class Incomplete(unittest.TestCase):
    def test_killed_log_is_not_ok_but_its_races_still_count(self):
        s = summarize(["killed.log"], "exercises/04-deadlock/bank.c")
        self.assertFalse(s.ok)
        self.assertEqual(len(s.incomplete), 1)
        self.assertIn('stops before helgrind\'s final "ERROR SUMMARY" line', s.text)
        self.assertIn("killed", s.text)
        self.assertEqual(s.counted, 1)
        self.assertEqual(s.errors[0].variable, "shared")
        self.assertIn("thread #3 held `b`, thread #2 held `a`: not the same lock", s.text)

    def test_no_logs_is_not_ok(self):
        s = hs.summarize([], ["exercises/03-race/counter.c"])
        self.assertFalse(s.ok)
        self.assertIn("no helgrind log", s.text)

    def test_empty_log_is_not_ok(self):
        self.assertFalse(hs.summarize([""], ["x.c"]).ok)

    def test_quiet_child_of_a_complete_parent_ran_another_program(self):
        header = "".join(fixture("clean.2.log").splitlines(True)[:6])   # exec: valgrind stops logging
        s = hs.summarize([fixture("clean.1.log"), header], ["exercises/03-race/counter.c"])
        self.assertTrue(s.ok, s.text)

    def test_child_cut_short_after_doing_something_is_not_ok(self):
        lines = fixture("fork.2.log").splitlines(True)
        cut = "".join(l for l in lines if "ERROR SUMMARY" not in l)
        s = hs.summarize([fixture("fork.1.log"), cut], ["exercises/01-isolation/isolation.c"])
        self.assertFalse(s.ok)
        self.assertEqual(len(s.incomplete), 1)


class Processes(unittest.TestCase):
    def test_fork_logs_are_read_together_and_the_child_is_named(self):
        s = summarize(["fork.1.log", "fork.2.log"], "exercises/01-isolation/isolation.c")
        self.assertEqual(s.counted, 1)
        self.assertIn("a child of process", s.text)
        self.assertEqual(s.errors[0].pids, [hs.parse_log(fixture("fork.2.log")).pid])

    def test_same_race_in_several_processes_is_grouped(self):
        s = summarize(["race_global.log", "race_varinfo.log"], "exercises/03-race/counter.c")
        self.assertEqual((s.counted, s.errors[0].count, len(s.errors[0].pids)), (1, 4, 2))

    def test_errors_repeated_after_the_summary_by_dash_s_are_not_counted_twice(self):
        text = fixture("race_global.log")
        body = [l for l in text.splitlines(True) if "Possible data race" in l or "   at " in l]
        s = hs.summarize([text + "".join(body)], ["exercises/03-race/counter.c"])
        self.assertEqual(s.errors[0].count, 2)

    def test_valgrind_warnings_are_not_reports(self):
        text = fixture("clean.1.log").replace(
            "==%d== \n" % hs.parse_log(fixture("clean.1.log")).pid,
            "==1== Warning: set address range perms: large range [0x4a5b028, 0x14a5b028) (noaccess)\n", 1)
        self.assertTrue(hs.summarize([text], ["x.c"]).ok)


class StackSwitch(unittest.TestCase):
    """valgrind's "client switching stacks?": a coroutine stack that was not registered."""

    def setUp(self):
        patcher = mock.patch.dict(os.environ, {"KATA_LANG": "en"})
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_unregistered_coroutine_stack_is_a_problem_that_names_the_registration(self):
        s = summarize(["stack_switch.log"], "exercises/05-coroutine/coro.c")
        self.assertFalse(s.ok)
        self.assertEqual((s.counted, s.ignored), (1, 0))
        e = s.errors[0]
        self.assertEqual((e.kind, e.count, e.pids), ("stack_switch", 1, [hs.parse_log(fixture("stack_switch.log")).pid]))
        self.assertIn('valgrind warned "client switching stacks?"', s.text)
        self.assertIn("memory valgrind does not know as a stack", s.text)
        self.assertIn("VALGRIND_STACK_REGISTER(start, end)", s.text)
        self.assertIn("VALGRIND_STACK_DEREGISTER it before freeing it", s.text)

    def test_registered_coroutine_stack_is_clean(self):
        s = summarize(["stack_registered.log"], "exercises/05-coroutine/coro.c")
        self.assertTrue(s.ok, s.text)
        self.assertEqual((s.counted, s.ignored, s.errors), (0, 0, []))
        self.assertIn("no data race", s.text)

    def test_counted_whoever_the_learner_is_and_exit_status_is_1(self):
        # the warning has no stack to tell whose code switched: the run is the learner's
        s = summarize(["stack_switch.log"], "exercises/07-async/async.c")
        self.assertEqual(s.counted, 1)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = hs.main(["--student", "exercises/05-coroutine/coro.c",
                            os.path.join(FIXTURES, "stack_switch.log")])
        self.assertEqual(code, 1)

    def test_message_in_chinese(self):
        with mock.patch.dict(os.environ, {"KATA_LANG": "zh"}):
            s = summarize(["stack_switch.log"], "exercises/05-coroutine/coro.c")
        self.assertIn("不知道是栈的内存", s.errors[0].message)
        self.assertIn("VALGRIND_STACK_REGISTER", s.errors[0].message)
        self.assertIn("VALGRIND_STACK_DEREGISTER", s.errors[0].message)

    def test_several_processes_each_say_which(self):
        s = hs.summarize([fixture("stack_switch.log"), fixture("stack_registered.log")],
                         ["exercises/05-coroutine/coro.c"])
        self.assertEqual(s.counted, 1)
        self.assertIn("in process %d" % hs.parse_log(fixture("stack_switch.log")).pid, s.text)


class CommandLine(unittest.TestCase):
    def run_cli(self, *args):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = hs.main(list(args))
        return code, out.getvalue()

    def test_exit_codes(self):
        f = lambda n: os.path.join(FIXTURES, n)  # noqa: E731
        student = ["--student", "exercises/03-race/counter.c"]
        self.assertEqual(self.run_cli(*student, f("clean.1.log"))[0], 0)
        self.assertEqual(self.run_cli(*student, f("race_global.log"))[0], 1)
        self.assertEqual(self.run_cli(*student, f("outside_student.log"))[0], 0)
        self.assertEqual(self.run_cli("--student", "bank.c", f("lock_order.log"))[0], 1)
        self.assertEqual(self.run_cli("--student", "other.c", f("killed.log"))[0], 2)
        code, out = self.run_cli(*student, f("no-such.log"))
        self.assertEqual(code, 2)
        self.assertIn("missing", out)

    def test_folder_stands_for_its_helgrind_logs(self):
        with tempfile.TemporaryDirectory() as d:
            for i, n in enumerate(["fork.1.log", "fork.2.log"]):
                shutil.copy(os.path.join(FIXTURES, n), os.path.join(d, "helgrind.%d.log" % i))
            code, out = self.run_cli("--student", "exercises/01-isolation/isolation.c", d)
        self.assertEqual(code, 1)
        self.assertIn("Data race on `hits`", out)


class SuppressionFile(unittest.TestCase):
    def test_no_blanket_entries(self):
        with open(SUPP) as f:
            frames = [l.strip() for l in f if l.strip().startswith(("fun:", "obj:"))]
        self.assertNotIn("obj:*", frames)
        self.assertNotIn("fun:*", frames)
        self.assertNotIn("fun:main", frames)


RACY = r"""
#include <pthread.h>
#include <string.h>
#include <stdio.h>
long counter;
char message[32] = "hello";
static void *worker(void *arg)
{
    (void)arg;
    counter++;
    if (strlen(message) > 3)
        message[0] = 'H';
    return NULL;
}
void run(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
}
"""

CLEAN = r"""
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
long counter;
static void *worker(void *arg)
{
    (void)arg;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    printf("%d\n", tm.tm_year);
    pthread_mutex_lock(&lock);
    counter++;
    pthread_mutex_unlock(&lock);
    return NULL;
}
void run(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
}
"""

DRIVER = "void run(void);\nint main(void) { run(); return 0; }\n"
STUDENT = "exercises/03-race/counter.c"


@unittest.skipUnless(shutil.which("valgrind") and shutil.which("gcc"), "needs valgrind and gcc")
class Live(unittest.TestCase):
    def helgrind(self, source, suppressions=True):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "student.c"), "w") as f:
                f.write('#line 1 "%s"\n%s' % (STUDENT, source.lstrip("\n")))
            with open(os.path.join(d, "driver.c"), "w") as f:
                f.write(DRIVER)
            subprocess.run(["gcc", "-std=gnu11", "-g", "-pthread", "-o", "helgrind-driver", "student.c",
                            "driver.c"], cwd=d, check=True)
            cmd = ["valgrind", "--tool=helgrind", "--log-file=helgrind.%p.log", "./helgrind-driver"]
            if suppressions:
                cmd.insert(2, "--suppressions=" + SUPP)
            subprocess.run(cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=BACKSTOP_SECONDS)
            logs = []
            for name in sorted(os.listdir(d)):
                if name.startswith("helgrind.") and name.endswith(".log"):
                    with open(os.path.join(d, name)) as f:
                        logs.append(f.read())
        return hs.summarize(logs, [STUDENT])

    def test_race_is_counted_and_the_suppressions_hide_none_of_it(self):
        with_supp = self.helgrind(RACY)
        without = self.helgrind(RACY, suppressions=False)
        self.assertFalse(with_supp.ok)
        variables = {e.variable for e in with_supp.errors}
        self.assertEqual(variables, {"counter", "message"}, with_supp.text)
        self.assertIn("counter.c:9 (in worker)", with_supp.text)
        self.assertEqual([(e.kind, e.variable, e.student_lines, e.count) for e in with_supp.errors],
                         [(e.kind, e.variable, e.student_lines, e.count) for e in without.errors])

    def test_clean_program_is_ok_with_the_suppressions(self):
        s = self.helgrind(CLEAN)
        self.assertTrue(s.ok, s.text)
        self.assertEqual(s.ignored, 0, s.text)


if __name__ == "__main__":
    unittest.main()

"""Studying alone: watch, reset, compare, hints and status in the learner's
language, the editor files."""

import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

from tests.tools.minirepo import BACKSTOP_SECONDS, ROOT, make, make_repo

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import build, course, lang, machine  # noqa: E402
from engine.learner import watch  # noqa: E402

GIT = ["git", "-c", "user.name=kata", "-c", "user.email=kata@example.invalid",
       "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"]


def english(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("KATA_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    env.update(extra or {})
    return env


def two_exercise_repo():
    """The fixture course with a second exercise, 02-fixture (a copy of 01)."""
    repo = make_repo()
    for top in ("exercises", "solutions", "tests"):
        shutil.copytree(os.path.join(repo, top, "01-fixture"), os.path.join(repo, top, "02-fixture"))
    with open(os.path.join(repo, "exercises", "exercises.ini"), "a") as f:
        f.write("\n[02-fixture]\ntitle = Sum again\nfiles = work.c\npoints = 10\ntimeout = 6\n"
                "test_seconds = 2\nhelgrind_timeout = 60\nldflags =\n")
    return repo


def git(repo, *args):
    subprocess.run(GIT + list(args), cwd=repo, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


class Language(unittest.TestCase):
    """The rule of kata_zh() in tests/common/kata.c."""

    def test_kata_lang_decides_first(self):
        self.assertTrue(lang.zh({"KATA_LANG": "zh", "LANG": "en_US.UTF-8"}))
        self.assertFalse(lang.zh({"KATA_LANG": "en", "LANG": "zh_CN.UTF-8"}))

    def test_the_first_locale_variable_set_decides(self):
        self.assertTrue(lang.zh({"LANG": "zh_CN.UTF-8"}))
        self.assertTrue(lang.zh({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "C"}))
        self.assertFalse(lang.zh({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}))
        self.assertFalse(lang.zh({}))

    def test_every_message_takes_the_same_arguments_in_both_languages(self):
        import re
        for key, (en, cn) in lang.MESSAGES.items():
            self.assertEqual(re.findall(r"%[-0-9]*[sdg]", en), re.findall(r"%[-0-9]*[sdg]", cn), key)


class Watchers(unittest.TestCase):
    """Both ways of seeing a save: a write in place and an editor's rename."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.path = os.path.join(self.dir, "work.c")
        with open(self.path, "w") as f:
            f.write("int x;\n")

    def later(self, fn, delay=0.3):
        t = threading.Timer(delay, fn)
        t.start()
        self.addCleanup(t.join)

    def write_in_place(self):
        with open(self.path, "a") as f:
            f.write("int y;\n")

    def save_by_rename(self):
        tmp = os.path.join(self.dir, ".work.c.swp")
        with open(tmp, "w") as f:
            f.write("int z;\n")
        os.replace(tmp, self.path)

    def check(self, watcher):
        self.addCleanup(watcher.close)
        watcher.start([self.path])
        with open(os.path.join(self.dir, "other.txt"), "w") as f:
            f.write("not watched")
        self.assertFalse(watcher.wait([self.path], timeout=0.8), "a change to another file")
        for change in (self.write_in_place, self.save_by_rename):
            watcher.start([self.path])
            self.later(change)
            self.assertTrue(watcher.wait([self.path], timeout=BACKSTOP_SECONDS), change.__name__)

    def test_inotify(self):
        self.check(watch.InotifyWatcher())

    def test_polling(self):
        self.check(watch.PollWatcher(interval=0.05))

    def test_choice(self):
        self.assertEqual(watch.make_watcher(self.dir, {"KATA_WATCH": "poll"}).mode, "poll")
        w = watch.make_watcher(self.dir, {"KATA_WATCH": "inotify"})
        self.addCleanup(w.close)
        self.assertEqual(w.mode, "inotify")
        self.assertEqual(watch.fs_type("/proc/self"), "proc")


def _as_from_a_terminal():
    """In the child: Ctrl-C and Ctrl-\\ as a terminal's shell leaves them,
    whatever this test run inherited (a shell's background job ignores them)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Session:
    """`make watch` run as a terminal would run it: its own process group
    (Ctrl-C reaches make and the engine alike), output read as it comes."""

    def __init__(self, repo, env, tty=False):
        self.buf = b""
        if tty:
            master, slave = pty.openpty()
            # a terminal that can clear its screen, whatever TERM this runs under (CI: dumb)
            env = dict(env, TERM="xterm")
            self.proc = subprocess.Popen(["make", "--no-print-directory", "-C", repo, "watch"],
                                         stdin=slave, stdout=slave, stderr=slave, env=env,
                                         start_new_session=True, preexec_fn=_as_from_a_terminal)
            os.close(slave)
            self.fd = master
        else:
            self.proc = subprocess.Popen(["make", "--no-print-directory", "-C", repo, "watch"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                         preexec_fn=_as_from_a_terminal)
            self.fd = self.proc.stdout.fileno()

    def key(self, ch):
        """A key pressed: on the terminal, or written to watch's input."""
        if self.proc.stdin:
            self.proc.stdin.write(ch.encode())
            self.proc.stdin.flush()
        else:
            os.write(self.fd, ch.encode())

    def pump(self, timeout):
        if select.select([self.fd], [], [], timeout)[0]:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # a pty whose other side has closed
                data = b""
            self.buf += data
            return bool(data)
        return True

    def expect(self, text, start=0, timeout=BACKSTOP_SECONDS):
        """Waits for the text (or for watch to end): no bound on speed."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.buf[start:]:
            if time.monotonic() > deadline or not self.pump(0.2) and self.proc.poll() is not None:
                raise AssertionError("never saw %r in:\n%s" % (text, self.text()))
        return self.buf.index(text.encode(), start) + len(text)

    def interrupt(self):
        os.killpg(self.proc.pid, signal.SIGINT)
        deadline = time.monotonic() + BACKSTOP_SECONDS
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.pump(0.1)
        while self.pump(0.1) and select.select([self.fd], [], [], 0)[0]:
            pass
        return self.proc.wait(timeout=BACKSTOP_SECONDS)

    def text(self):
        return self.buf.decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()
        if self.proc.stdout:
            self.proc.stdout.close()
        else:
            os.close(self.fd)


class Watch(unittest.TestCase):
    """The loop: red, a save makes it green, it stays there until n, keys for
    a hint, a rerun and quitting, Ctrl-C ends it; the screen shows the first
    failure as `make test` does, in full or cut with a line that says so."""

    def setUp(self):
        self.repo = two_exercise_repo()
        self.addCleanup(shutil.rmtree, self.repo, ignore_errors=True)
        self.work = os.path.join(self.repo, "exercises", "01-fixture", "work.c")

    def session(self, mode, tty=False, **extra):
        s = Session(self.repo, english(dict(KATA_WATCH=mode, **extra)), tty)
        self.addCleanup(s.close)
        return s

    def solve(self):
        shutil.copy(os.path.join(self.repo, "solutions", "01-fixture", "work.c"), self.work)

    def run_loop(self, s):
        at = s.expect("Watching exercises/01-fixture/work.c")
        self.assertIn("0 of 2 tests pass", s.text())
        self.assertIn("1 + ... + 10 is 55, not 0", s.text())
        self.assertIn("exercise 1 of 2 · 0/2 done", s.text())
        at = s.expect("Keys: h hint · r run again · n next exercise · q quit", at)
        with open(self.work, "a") as f:  # an edit that changes nothing: still red
            f.write("/* thinking */\n")
        at = s.expect("Watching exercises/01-fixture/work.c", at)
        self.solve()
        at = s.expect("01-fixture passes: all 2 tests.", at)
        s.expect("`make helgrind EX=01`", at)
        at = s.expect("Press n for the next exercise, 02-fixture Sum again.", at)
        time.sleep(1.5)  # green stays on screen until the learner moves on
        self.assertNotIn("02-fixture: running", s.text()[at:])
        s.key("n")
        at = s.expect("Moving on to 02-fixture Sum again.", at)
        s.expect("Watching exercises/02-fixture/work.c", at)
        return s.interrupt()

    def test_keys_for_a_hint_a_rerun_and_quitting(self):
        s = self.session("poll", tty=True)
        at = s.expect("Keys: h hint")
        s.key("h")
        at = s.expect("01-fixture, hint 1 of 3: The idea", at)
        s.key("r")
        at = s.expect("01-fixture: running the tests", at)
        at = s.expect("Keys: h hint", at)
        s.key("n")  # the last exercise but one: on to 02
        at = s.expect("Watching exercises/02-fixture/work.c", at)
        s.key("n")
        at = s.expect("This is the last exercise.", at)
        s.key("q")
        at = s.expect("watch stopped.", at)
        self.assertEqual(s.proc.wait(timeout=BACKSTOP_SECONDS), 0)

    def test_the_first_failure_in_full_or_cut_with_a_line_saying_so(self):
        with open(self.work, "w") as f:  # an endless loop: the hang report, with its thread list
            f.write('#include "work.h"\n\nlong work_sum(int n)\n{\n    for (;;) {\n    }\n'
                    '    return n;\n}\n')
        rc, out, _ = make(self.repo, "test", "EX=01", env=english())
        report = out.split("FAIL work::sums_small", 1)[1].split("FAIL work::sums_large")[0]
        self.assertIn("At that moment:", report)
        shown = self.watch_once(LINES="200")
        pids = re.compile(r"\d+")  # each run has its own
        for line in report.strip().splitlines():
            self.assertIn(pids.sub("N", line.strip()), pids.sub("N", shown),
                          "make test shows it, make watch must too")
        # where the endless loop is: its line, on the watch screen too
        self.assertRegex(re.sub(r"\s+", " ", shown),
                         r"main thread \d+, at work\.c:[56] in work_sum\(\): running")
        shown = self.watch_once(LINES="12")
        self.assertRegex(shown, r"\.\.\. \d+ more lines: `make test EX=01` shows them all")
        with open(self.work, "w") as f:  # a compile error: the compiler's own words
            f.write('#include "work.h"\n\nlong work_sum(int n)\n{\n    return n +;\n}\n')
        shown = self.watch_once(LINES="200")
        self.assertIn("work.c:5:15: error: expected expression", shown)
        self.assertIn("return n +;", shown)

    def test_a_crash_and_a_deadlock_on_the_screen_with_their_lines(self):
        for case, marker, says in (("crash", "crash:", r"it used a NULL pointer"),
                                   ("dead", "deadlock:", r"waiting for the mutex")):
            fixture = os.path.join(ROOT, "tests", "tools", "fixtures", "where", case, "01-fixture",
                                   "work.c")
            shutil.copy(fixture, self.work)
            with open(fixture) as f:
                line = next(n for n, text in enumerate(f, 1) if marker in text)
            shown = re.sub(r"\s+", " ", self.watch_once(LINES="200"))
            self.assertRegex(shown, r"thread \d+, at work\.c:%d in sum_half\(\): %s"
                             % (line, says))

    def test_a_narrow_short_terminal_gets_every_line_fitted(self):
        # the hang report's lines and watch's own sentences wrapped to the width, the cut
        # counted in the rows the terminal shows
        with open(self.work, "w") as f:
            f.write('#include "work.h"\n\nlong work_sum(int n)\n{\n    for (;;) {\n    }\n'
                    '    return n;\n}\n')
        for lines in ("200", "16"):
            shown = self.watch_once(LINES=lines, COLUMNS="60")
            page = shown.split("running the tests ...", 1)[1].strip().splitlines()
            wide = [ln for ln in page if len(ln) > 60]
            self.assertEqual(wide, [], "lines wider than the 60-column terminal")
            title = page.index("01-fixture Sum with two threads")
            self.assertIn("(exercises/01-fixture/work.c)", page[title + 1], "the header on two lines")
        self.assertLessEqual(len(page), 16)
        self.assertRegex(shown, r"\.\.\. \d+ more lines: `make test EX=01` shows them all")

    def watch_once(self, **env):
        proc = subprocess.run([sys.executable, "-S", "tools/kata.py", "watch", "--ex", "01",
                               "--max-runs", "1"], cwd=self.repo, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              env=english(env), timeout=BACKSTOP_SECONDS)
        return proc.stdout.decode()

    def test_polling_loop_to_green_and_on(self):
        s = self.session("poll")
        status = self.run_loop(s)
        out = s.text()
        self.assertIn("watch stopped.", out)
        self.assertNotIn("Traceback", out)
        self.assertNotIn("Error", out)  # make adds no line of its own
        self.assertIn(status, (0, 130, -signal.SIGINT))
        self.assertIn("(change detection: poll)", out)

    def test_inotify_loop_on_a_terminal_leaves_it_clean(self):
        s = self.session("inotify", tty=True)
        self.run_loop(s)
        out = s.text()
        self.assertIn("\033[H\033[2J", out, "redraws on a terminal")
        self.assertIn("\033[?25l", out)
        stop = out.rindex("watch stopped.")
        self.assertIn("\033[?25h", out[out.rindex("\033[?25l"):], "the cursor is shown again")
        self.assertNotIn("Traceback", out[stop:])
        self.assertIn("(change detection: inotify)", out)
        self.assertIn("stuck? press h", out, "with keys, watch names the key, not a command")

    def test_the_status_follows_what_watch_ran(self):
        # --max-runs: one run and out, for scripts
        proc = subprocess.run([sys.executable, "-S", "tools/kata.py", "watch", "--ex", "01",
                               "--max-runs", "1"], cwd=self.repo, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=english(), timeout=BACKSTOP_SECONDS)
        self.assertEqual(proc.returncode, 1, proc.stdout)
        rc, out, _ = make(self.repo, env=english())
        self.assertIn("failing", out)
        self.solve()
        proc = subprocess.run([sys.executable, "-S", "tools/kata.py", "watch", "--max-runs", "1"],
                              cwd=self.repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=english(), timeout=BACKSTOP_SECONDS)
        self.assertEqual(proc.returncode, 0, proc.stdout)  # without EX: the current exercise
        self.assertIn(b"01-fixture passes", proc.stdout)
        self.assertIn(b"Press n for the next exercise, 02-fixture", proc.stdout)
        rc, out, _ = make(self.repo, env=english())
        self.assertRegex(out, r"tests pass\s+01-fixture")

    def test_chinese(self):
        proc = subprocess.run([sys.executable, "-S", "tools/kata.py", "watch", "--ex", "01",
                               "--max-runs", "1"], cwd=self.repo, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=english({"LANG": "zh_CN.UTF-8"}),
                              timeout=BACKSTOP_SECONDS)
        self.assertIn("0/2 个测试通过", proc.stdout.decode())


class Reset(unittest.TestCase):
    def setUp(self):
        self.repo = make_repo()
        self.addCleanup(shutil.rmtree, self.repo, ignore_errors=True)
        self.work = os.path.join(self.repo, "exercises", "01-fixture", "work.c")
        self.stub = read(self.work)

    def edit(self, text="/* my attempt */\n"):
        with open(self.work, "a") as f:
            f.write(text)
        return self.stub + text

    def backups(self):
        """reset's backups, which stay out of the exercise folder."""
        d = os.path.dirname(self.work)
        self.assertEqual([f for f in os.listdir(d) if ".bak-" in f], [], "a backup beside the stub")
        d = os.path.join(self.repo, ".kata", "backups", "01-fixture")
        if not os.path.isdir(d):
            return []
        return sorted(os.path.join(d, f) for f in os.listdir(d) if f.startswith("work.c.bak-"))

    def test_from_git_keeping_a_backup(self):
        git(self.repo, "init", "-q")
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-qm", "course")
        mine = self.edit()
        make(self.repo, "hint", "EX=01", env=english())
        rc, out, _ = make(self.repo, "reset", "EX=01", env=english())
        self.assertEqual(rc, 0, out)
        self.assertEqual(read(self.work), self.stub)
        [backup] = self.backups()
        self.assertEqual(read(backup), mine)
        self.assertIn("kept as .kata/backups/01-fixture/" + os.path.basename(backup), out)
        self.assertIn("is the stub again (from git HEAD)", out)
        self.assertIn("Hints for 01-fixture start again", out)
        self.assertIn("hint 1 of 3", make(self.repo, "hint", "EX=01", env=english())[1])
        rc, out, _ = make(self.repo, "reset", "EX=01", env=english())
        self.assertEqual(rc, 0, out)
        self.assertIn("already the stub: nothing to reset", out)
        self.assertEqual(len(self.backups()), 1)

    def test_a_clone_whose_learner_committed_gets_the_courses_stub(self):
        git(self.repo, "init", "-q")
        git(self.repo, "add", "-A")
        git(self.repo, "commit", "-qm", "course")
        clone = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, clone)
        git(clone, "clone", "-q", self.repo, "c")
        clone = os.path.join(clone, "c")
        work = os.path.join(clone, "exercises", "01-fixture", "work.c")
        with open(work, "a") as f:
            f.write("/* committed work */\n")
        git(clone, "commit", "-qam", "my work")
        rc, out, _ = make(clone, "reset", "EX=01", env=english())
        self.assertEqual(rc, 0, out)
        self.assertEqual(read(work), self.stub)
        self.assertIn("as in origin/main", out)

    def test_without_git_from_a_pristine_copy_or_refused(self):
        self.edit()
        rc, out, _ = make(self.repo, "reset", "EX=01", env=english())
        self.assertNotEqual(rc, 0)
        self.assertIn("kata: error: reset: cannot find the stub of exercises/01-fixture/work.c", out)
        self.assertEqual([ln for ln in out.splitlines() if ln.startswith("kata")], [out.splitlines()[0]])
        self.assertEqual(self.backups(), [], "nothing changed when refused")
        os.makedirs(os.path.join(self.repo, "stubs", "01-fixture"))
        with open(os.path.join(self.repo, "stubs", "01-fixture", "work.c"), "w") as f:
            f.write(self.stub)
        rc, out, _ = make(self.repo, "reset", "EX=01", env=english())
        self.assertEqual(rc, 0, out)
        self.assertIn("(from stubs/01-fixture/work.c)", out)
        self.assertEqual(read(self.work), self.stub)

    def test_needs_an_exercise(self):
        rc, out, _ = make(self.repo, "reset", env=english())
        self.assertNotEqual(rc, 0)
        self.assertEqual(len(out.strip().splitlines()), 1, out)
        self.assertIn("say which exercise", out)


class Compare(unittest.TestCase):
    def setUp(self):
        self.repo = make_repo()
        self.addCleanup(shutil.rmtree, self.repo, ignore_errors=True)
        self.work = os.path.join(self.repo, "exercises", "01-fixture", "work.c")
        self.solution = os.path.join(self.repo, "solutions", "01-fixture", "work.c")
        with open(self.solution) as f:
            text = f.read()
        with open(self.solution, "w") as f:  # a comment that says why, as solutions have
            f.write(text.replace("    pthread_t t[2];\n",
                                 "    pthread_t t[2]; /* one thread per half: no sharing */\n"))

    def compare(self, env=None):
        return make(self.repo, "compare", "EX=01", env=env or english())

    def test_refused_before_the_tests_pass(self):
        rc, out, _ = self.compare()
        self.assertNotEqual(rc, 0)
        self.assertIn("kata: error: compare: 01-fixture does not pass yet (0/2 tests pass)", out)
        self.assertNotIn("---", out)

    def test_after_the_tests_pass_a_diff_and_the_why(self):
        with open(self.solution) as f:
            mine = f.read().replace(" /* one thread per half: no sharing */", "")
        with open(self.work, "w") as f:
            f.write(mine.replace("struct half halves", "struct half  halves"))
        rc, out, _ = self.compare()  # never tested: it runs the tests first
        self.assertEqual(rc, 0, out)
        self.assertIn("running the tests first", out)
        self.assertIn("--- yours: exercises/01-fixture/work.c", out)
        self.assertIn("+++ reference: solutions/01-fixture/work.c", out)
        self.assertIn("-    struct half  halves", out)
        self.assertIn("+    pthread_t t[2]; /* one thread per half: no sharing */", out)
        self.assertIn("Why the reference is written this way", out)
        self.assertIn("solutions/01-fixture/work.c:", out)
        self.assertIn("one thread per half: no sharing", out.split("Why the reference")[1])
        with open(self.work, "a") as f:
            f.write("int broken(void) { return }\n")
        rc, out, _ = self.compare()  # changed since: tested again, and now refused
        self.assertNotEqual(rc, 0)
        self.assertIn("does not pass yet (your code does not compile)", out)

    def test_refused_in_a_release_without_solutions(self):
        shutil.rmtree(os.path.join(self.repo, "solutions"))
        rc, out, _ = self.compare(english({"KATA_LANG": "zh"}))
        self.assertNotEqual(rc, 0)
        self.assertIn("没有参考答案", out)
        rc, out, _ = self.compare()
        self.assertIn("this copy of the course has no reference solutions", out)


class InTheLearnersLanguage(unittest.TestCase):
    def setUp(self):
        self.repo = make_repo()
        self.addCleanup(shutil.rmtree, self.repo, ignore_errors=True)
        self.ex = os.path.join(self.repo, "exercises", "01-fixture")

    def test_hints_in_chinese_when_there_are_some(self):
        out = make(self.repo, "hint", "EX=01", env=english({"LANG": "zh_CN.UTF-8"}))[1]
        self.assertIn("提示 1/3：The idea", out)  # no Chinese file yet: the English hints
        self.assertIn("Each thread sums half.", out)
        with open(os.path.join(self.ex, "HINTS.zh-CN.md"), "w") as f:
            f.write("# 提示\n\n## 思路\n每个线程算一半。\n\n## 位置\nwork_sum。\n\n## 形状\n两个槽，两次 join。\n")
        out = make(self.repo, "hint", "EX=01", "N=2", env=english({"LANG": "zh_CN.UTF-8"}))[1]
        self.assertIn("01-fixture，提示 2/3：位置", out)
        self.assertIn("work_sum。", out)
        out = make(self.repo, "hint", "EX=01", "N=2", env=english({"KATA_LANG": "en", "LANG": "zh_CN.UTF-8"}))[1]
        self.assertIn("hint 2 of 3: Where", out)

    def test_chinese_hints_with_other_sections_give_way_to_the_english(self):
        with open(os.path.join(self.ex, "HINTS.zh-CN.md"), "w") as f:
            f.write("# 提示\n\n## 思路\n每个线程算一半。\n\n## 位置\nwork_sum。\n")
        out = make(self.repo, "hint", "EX=01", "N=3", env=english({"KATA_LANG": "zh"}))[1]
        self.assertIn("提示 3/3：Shape", out)
        probe = ("import sys; sys.path.insert(0, 'tools'); from engine import course; "
                 "from engine.course_dev import check; t = check.Tally(); check.lint(course.load(), t)")
        proc = subprocess.run([sys.executable, "-c", probe], cwd=self.repo, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        self.assertIn(b"exercises/01-fixture/HINTS.zh-CN.md has 2 '## ' sections, HINTS.md has 3",
                      proc.stdout)

    def test_status_and_test_lines_in_chinese(self):
        out = make(self.repo, env=english({"KATA_LANG": "zh"}))[1]
        self.assertIn("未开始", out)
        self.assertIn("下一步", out)
        out = make(self.repo, "test", "EX=01", env=english({"KATA_LANG": "zh"}))[1]
        self.assertIn("0/2 个测试通过", out)

    def test_test_messages_follow_lang_through_the_engine(self):
        # The engine runs the tests with LC_ALL=C.UTF-8; the choice must still arrive.
        test = os.path.join(self.repo, "tests", "01-fixture", "test_work.c")
        with open(test) as f:
            text = f.read()
        with open(test, "w") as f:
            f.write(text.replace('cr_assert_eq(got, 55, "1 + ... + 10 is 55, not %ld", got)',
                                 'cr_assert(got == 55, KATA_MSG("1 + ... + 10 is 55, not %ld", '
                                 '"1 + ... + 10 等于 55，不是 %ld", got))'))
        out = make(self.repo, "test", "EX=01", env=english({"LANG": "zh_CN.UTF-8"}))[1]
        self.assertIn("1 + ... + 10 等于 55，不是 0", out)
        out = make(self.repo, "test", "EX=01", env=english({"LANG": "en_GB.UTF-8"}))[1]
        self.assertIn("1 + ... + 10 is 55, not 0", out)


class LinkFlags(unittest.TestCase):
    """test_ldflags and the tests' helper sources reach the test program alone."""

    def test_a_wrap_for_the_tests_needs_no_wrapper_in_the_helgrind_driver(self):
        repo = make_repo()
        self.addCleanup(shutil.rmtree, repo, ignore_errors=True)
        with open(os.path.join(repo, "exercises", "exercises.ini"), "a") as f:
            f.write("test_ldflags = -Wl,--wrap=pthread_join\n")
        with open(os.path.join(repo, "tests", "01-fixture", "joins.c"), "w") as f:
            f.write("#include <pthread.h>\n\nint __real_pthread_join(pthread_t t, void **ret);\n"
                    "int __wrap_pthread_join(pthread_t t, void **ret);\n\n"
                    "int __wrap_pthread_join(pthread_t t, void **ret)\n{\n"
                    "    return __real_pthread_join(t, ret);\n}\n")
        probe = ("import sys; sys.path.insert(0, 'tools'); from engine import build, course; "
                 "ex = course.load()[0]; print(ex.helper_sources()); "
                 "print(build.build(ex, 'solutions')); print(build.build(ex, 'solutions', helgrind=True))")
        proc = subprocess.run([sys.executable, "-S", "-c", probe], cwd=repo, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        self.assertEqual(proc.returncode, 0, proc.stdout)
        helpers, test, driver = proc.stdout.decode().splitlines()[-3:]
        self.assertIn("joins.c", helpers)
        self.assertNotIn("test_work.c", helpers)
        nm = lambda p: subprocess.run(["nm", p], stdout=subprocess.PIPE).stdout.decode()
        self.assertIn("__wrap_pthread_join", nm(test))
        self.assertNotIn("__wrap_pthread_join", nm(driver))


class EditorFiles(unittest.TestCase):
    def test_compdb_covers_every_exercise_of_the_course(self):
        exercises = course.load()
        files = {e["file"] for e in build.compile_commands(exercises)}
        for ex in exercises:
            wanted = [ex.path("exercises", f) for f in ex.files] + ex.test_sources()
            wanted += ex.helper_sources()
            if ex.helgrind_source():
                wanted.append(ex.helgrind_source())
            for w in wanted:
                self.assertIn(w, files)

    def test_check_finds_a_solution_off_the_style(self):
        if not shutil.which("clang-format"):
            self.skipTest("clang-format is not installed")
        if machine.clang_format_major() != machine.CLANG_FORMAT_MAJOR:
            self.skipTest("the style is clang-format %d's" % machine.CLANG_FORMAT_MAJOR)
        repo = make_repo()
        self.addCleanup(shutil.rmtree, repo, ignore_errors=True)
        probe = ("import sys; sys.path.insert(0, 'tools'); from engine import course; "
                 "from engine.course_dev import check, style; t = check.Tally(); "
                 "style.run_clang_format(course.load(), t); sys.exit(t.failed)")
        ok = subprocess.run([sys.executable, "-c", probe], cwd=repo, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
        self.assertEqual(ok.returncode, 0, ok.stdout)
        sol = os.path.join(repo, "solutions", "01-fixture", "work.c")
        with open(sol) as f:
            text = f.read()
        with open(sol, "w") as f:
            f.write(text.replace("    for (int i = 0; i < 2; i++)\n", "  for (int i=0;i<2;i++)\n", 1))
        bad = subprocess.run([sys.executable, "-c", probe], cwd=repo, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn(b"C files follow .clang-format", bad.stdout)
        self.assertIn(b"clang-format -i", bad.stdout)

    def test_the_repositorys_solutions_follow_it(self):
        if not shutil.which("clang-format"):
            self.skipTest("clang-format is not installed")
        if machine.clang_format_major() != machine.CLANG_FORMAT_MAJOR:
            self.skipTest("the style is clang-format %d's" % machine.CLANG_FORMAT_MAJOR)
        files = [os.path.join(ROOT, "solutions", n, f) for n in ("01-isolation", "02-join")
                 for f in os.listdir(os.path.join(ROOT, "solutions", n)) if f.endswith(".c")]
        proc = subprocess.run(["clang-format", "--dry-run", "--Werror"] + files,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.assertEqual(proc.returncode, 0, proc.stdout)


if __name__ == "__main__":
    unittest.main()

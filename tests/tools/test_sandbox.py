"""The sandbox (bubblewrap), the object-file policy and the careful reading
back of what a run produced."""

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.tools.minirepo import BACKSTOP_SECONDS, ROOT, make, make_repo

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import course, policy, readback, sandbox  # noqa: E402

CC = os.environ.get("CC", "gcc")
UID = 64123          # a grading-like user, as root
namespaces = unittest.skipUnless(sandbox.mode() == "namespaces", "no namespaces for bubblewrap here")


def _drop():
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 << 20, 16 << 20))   # as procs.run does
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(UID)
        os.setuid(UID)


class Sandbox(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp(prefix="kata-sbx-test-")

    def tearDown(self):
        shutil.rmtree(self.out, ignore_errors=True)

    def run_in(self, script, tmp_mb=8, ro=()):
        if os.geteuid() == 0:
            os.chown(self.out, UID, UID)
        argv = sandbox.command(["sh", "-c", script], uid=UID if os.geteuid() == 0 else None,
                               ro_binds=ro, rw_dir=(self.out, "/out"), tmp_mb=tmp_mb,
                               cwd="/out", env={"PATH": "/usr/bin:/bin"})
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, preexec_fn=_drop, timeout=BACKSTOP_SECONDS)
        return p.returncode, p.stdout.decode(errors="replace")

    def test_mode_is_one_of_three(self):
        self.assertIn(sandbox.mode(), sandbox.MODES)

    def test_command_asks_for_every_namespace(self):
        argv = sandbox.command(["true"], uid=1, tmp_mb=1)
        for opt in ("--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-net",
                    "--unshare-uts", "--die-with-parent", "--new-session", "--clearenv"):
            self.assertIn(opt, argv)
        self.assertEqual(argv[argv.index("--cap-drop") + 1], "ALL")
        self.assertEqual(argv[-2:], ["--", "true"])

    @namespaces
    def test_sees_neither_the_repository_nor_root_files(self):
        rc, out = self.run_in("ls %s/solutions; ls /root; ls /home; cat /etc/shadow; echo end"
                              % ROOT)
        self.assertTrue(out.rstrip().endswith("end"), out)
        self.assertEqual(out.count("No such file"), 4, out)

    @namespaces
    def test_writes_only_its_folder_as_the_grading_user(self):
        rc, out = self.run_in("touch /out/made && touch /usr/x; id -u")
        made = os.stat(os.path.join(self.out, "made"))
        self.assertNotEqual(made.st_uid, 0, "a file of the run belongs to root outside")
        self.assertIn("Read-only file system", out)

    @namespaces
    def test_tmp_is_private_and_capped(self):
        marker = "/tmp/kata-sbx-%d" % os.getpid()
        rc, out = self.run_in("touch %s; touch /var/tmp/a /run/lock/b /dev/shm/c && "
                              "head -c 20000000 /dev/zero > /tmp/big; echo rc=$?" % marker)
        self.assertFalse(os.path.exists(marker), "the run wrote the machine's /tmp")
        self.assertIn("No space left on device", out)

    @namespaces
    def test_no_network_and_own_pids(self):
        rc, out = self.run_in("cat /proc/net/dev | wc -l; ls /proc | grep -c '^[0-9]'")
        nets, pids = out.split()
        self.assertEqual(nets, "3", "only the loopback device: " + out)   # two header lines
        self.assertLess(int(pids), 5, out)

    def guarded(self, script):
        """(status, the guard's verdict) of `script` run under the guard."""
        if os.geteuid() == 0:
            os.chown(self.out, UID, UID)
        r, w = os.pipe()
        argv = sandbox.command(sandbox.guarded(["sh", "-c", script], w),
                               uid=UID if os.geteuid() == 0 else None, rw_dir=(self.out, "/out"),
                               tmp_mb=8, cwd="/out", env={"PATH": "/usr/bin:/bin"})
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, preexec_fn=_drop, timeout=BACKSTOP_SECONDS,
                           pass_fds=(w,))
        os.close(w)
        with os.fdopen(r, "rb") as f:
            return p.returncode, sandbox.guard_verdict(f.read())

    @namespaces
    def test_the_guard_names_what_a_run_left_behind(self):
        status, left = self.guarded("sleep 30 & sleep 31 & exit 3")
        self.assertEqual(status, 3)   # the program's own status passes through
        self.assertEqual(len(left), 2, left)   # named sh or sleep, as far as each got

    @namespaces
    def test_the_guard_sees_nothing_left_by_a_clean_run(self):
        self.assertEqual(self.guarded("sleep 0.1 & wait"), (0, {}))

    @namespaces
    def test_a_run_that_kills_the_guard_reports_no_verdict(self):
        status, left = self.guarded("kill -9 -1; sleep 1")
        self.assertIsNone(left)

    def test_the_guard_verdict_is_read_strictly(self):
        self.assertEqual(sandbox.guard_verdict(b"left 1 12:S:sleep\n"), {12: ("S", "sleep")})
        for forged in (b"", b"left 0\nleft 0\n", b"left 2\n", b"left x\n", b"ok\n",
                       b"left 1 a:S:x\n"):
            self.assertIsNone(sandbox.guard_verdict(forged), forged)

    @namespaces
    def test_the_compiler_works_inside_and_asm_cannot_read_secrets(self):
        d = tempfile.mkdtemp(prefix="kata-sbx-src-")
        try:
            os.chmod(d, 0o755)
            with open(os.path.join(d, "ok.c"), "w") as f:
                f.write("int ok(void) { return 1; }\n")
            with open(os.path.join(d, "inc.c"), "w") as f:
                f.write('__asm__(".incbin \\"%s/README.md\\"");\n' % ROOT)
            with open(os.path.join(d, "fill.c"), "w") as f:
                f.write('__asm__(".data\\n.fill 200000000, 1, 0");\n')
            for name in ("ok.c", "inc.c", "fill.c"):
                os.chmod(os.path.join(d, name), 0o644)
            # As the grader compiles: into the capped /tmp, then the object out.
            rc, out = self.run_in("for s in ok inc fill; do %s -c /src/$s.c -o /tmp/$s.o && "
                                  "cp /tmp/$s.o /out/; echo $s=$?; done" % CC, tmp_mb=8,
                                  ro=[(d, "/src")])
            self.assertIn("ok=0", out)
            self.assertNotIn("inc=0", out)
            self.assertNotIn("fill=0", out)
            # the assembler sizes its output first: the file size limit or /tmp's size
            self.assertTrue("File size limit exceeded" in out or "No space left" in out, out)
            self.assertEqual(sorted(os.listdir(self.out)), ["ok.o"], out)
        finally:
            shutil.rmtree(d)


@namespaces
class PrivateFolder(unittest.TestCase):
    def test_grading_works_from_a_clone_in_a_0700_folder(self):
        # as root the grading user cannot enter the clone; the sandbox sees copies (issue 21)
        repo = make_repo()
        try:
            self.assertEqual(os.stat(repo).st_mode & 0o777, 0o700)
            rc, out, _ = make(repo, "grade", "SRC=solutions", timeout=BACKSTOP_SECONDS)
            self.assertEqual(rc, 0, out)
            self.assertIn("(sandbox: namespaces)", out)
        finally:
            shutil.rmtree(repo, ignore_errors=True)


@unittest.skipUnless(os.geteuid() == 0, "grading as another user needs root")
class PrivateFolderWithoutNamespaces(unittest.TestCase):
    def test_grading_as_users_works_from_a_clone_in_a_0700_folder(self):
        # without the sandbox the grading user runs staged copies it can enter (issue 21)
        repo = make_repo()
        try:
            self.assertEqual(os.stat(repo).st_mode & 0o777, 0o700)
            # a TMPDIR inside the 0700 folder too: the graded run must not be sent there
            tmpdir = os.path.join(repo, "tmp")
            os.mkdir(tmpdir)
            env = dict(os.environ, KATA_SANDBOX="users", TMPDIR=tmpdir)
            rc, out, _ = make(repo, "grade", "SRC=solutions", env=env, timeout=BACKSTOP_SECONDS)
            self.assertEqual(rc, 0, out)
            self.assertIn("(sandbox: users)", out)
            self.assertNotIn("cannot enter", out)
            rc, out, _ = make(repo, "grade", env=env, timeout=BACKSTOP_SECONDS)
            self.assertNotEqual(rc, 0, out)
            self.assertIn("(sandbox: users)", out)
        finally:
            shutil.rmtree(repo, ignore_errors=True)

    def test_grading_as_users_refuses_a_repository_others_can_read(self):
        # no sandbox: the grading user could read solutions/ and hidden tests like any user
        repo = make_repo()
        try:
            os.chmod(repo, 0o755)
            if not all(os.stat(d).st_mode & 0o001 for d in (os.path.dirname(repo), "/")):
                self.skipTest("the folder above %s is shut to others already" % repo)
            env = dict(os.environ, KATA_SANDBOX="users")
            rc, out, _ = make(repo, "grade", "SRC=solutions", env=env, timeout=BACKSTOP_SECONDS)
            self.assertNotEqual(rc, 0, out)
            self.assertIn("chmod o-rwx %s" % repo, out)
            self.assertNotIn("points", out)
            os.chmod(repo, 0o750)
            rc, out, _ = make(repo, "grade", "SRC=solutions", env=env, timeout=BACKSTOP_SECONDS)
            self.assertEqual(rc, 0, out)
        finally:
            shutil.rmtree(repo, ignore_errors=True)


class ReadBack(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="kata-readback-")

    def tearDown(self):
        shutil.rmtree(self.d)

    def path(self, name):
        return os.path.join(self.d, name)

    def test_plain_file_is_read_up_to_the_limit(self):
        with open(self.path("r"), "wb") as f:
            f.write(b"x" * 5000)
        self.assertEqual(readback.safe_read(self.path("r"), 100), b"x" * 100)
        self.assertEqual(len(readback.safe_read(self.path("r"), 1 << 20)), 5000)

    def test_link_to_a_secret_is_refused(self):
        with open(self.path("secret"), "w") as f:
            f.write("canary")
        os.symlink(self.path("secret"), self.path("marker"))
        with self.assertRaises(readback.Unreadable):
            readback.safe_read(self.path("marker"), 100)

    def test_device_and_fifo_are_refused_at_once(self):
        os.symlink("/dev/zero", self.path("zero"))
        os.mkfifo(self.path("fifo"))
        for name in ("zero", "fifo"):
            with self.assertRaises(readback.Unreadable):
                readback.safe_read(self.path(name), 100)
        with self.assertRaises(readback.Unreadable):
            readback.safe_read("/dev/zero", 100)

    def test_names_inside_a_folder_opened_without_links(self):
        os.mkdir(self.path("real"))
        with open(self.path("real/m"), "w") as f:
            f.write("ok")
        os.symlink(self.path("real"), self.path("link"))
        with self.assertRaises(readback.Unreadable):
            readback.open_dir(self.path("link"))
        fd = readback.open_dir(self.path("real"))
        try:
            self.assertEqual(readback.safe_read("m", 10, dir_fd=fd), b"ok")
            self.assertEqual(readback.safe_listdir(fd), ["m"])
        finally:
            os.close(fd)


class ObjectPolicy(unittest.TestCase):
    def setUp(self):
        self.d = tempfile.mkdtemp(prefix="kata-policy-")

    def tearDown(self):
        shutil.rmtree(self.d)

    def judge(self, code, calls=(), **kw):
        src, obj = os.path.join(self.d, "x.c"), os.path.join(self.d, "x.o")
        with open(src, "w") as f:
            f.write(code)
        subprocess.run([CC, "-c", "-MD", "-MF", obj + ".d", src, "-o", obj], check=True,
                       stderr=subprocess.DEVNULL)
        with open(obj + ".d") as f:
            deps = f.read()
        return [x.what for x in policy.judge_object(obj, calls, depfile_text=deps, source=src, **kw)]

    def test_plain_code_passes(self):
        self.assertEqual(self.judge("#include <stdlib.h>\nint f(void) { return abs(-1) + "
                                    "!malloc(1); }\n", ["abs"]), [])

    def test_constructors_destructors_init_and_fini(self):
        got = self.judge("__attribute__((constructor)) static void a(void) {}\n"
                         "__attribute__((destructor)) static void b(void) {}\n"
                         '__asm__(".section .init,\\"ax\\"\\nnop\\n.text");\n')
        self.assertEqual(sorted(got), ["section .fini_array", "section .init",
                                       "section .init_array"])

    def test_ifunc_weak_and_taken_names(self):
        got = self.judge("static void *r(void) { return 0; }\n"
                         "int puts(const char *) __attribute__((ifunc(\"r\")));\n"
                         "extern void kata_end(void) __attribute__((weak));\n"
                         "void g(void) { if (kata_end) kata_end(); }\n", taken={"puts"})
        self.assertIn("symbol puts", got)                 # ifunc and a taken name
        self.assertIn("symbol kata_end", got)             # weak
        self.assertIn("call kata_end", got)               # not a call of the exercise

    def test_raw_system_calls(self):
        got = self.judge('void f(void) { __asm__ volatile("syscall; int $0x80; sysenter"); }\n')
        self.assertEqual(sorted(got), ["instruction int $0x80", "instruction syscall",
                                       "instruction sysenter"])

    def test_calls_outside_the_list(self):
        got = self.judge("int system(const char *);\nint f(void) { return system(\"x\"); }\n",
                         ["fork"])
        self.assertEqual(got, ["call system"])

    def test_includes_from_the_dependency_list(self):
        other = os.path.join(self.d, "answer.c")
        with open(other, "w") as f:
            f.write("int answer(void) { return 42; }\n")
        got = self.judge('#include "answer.c"\n#include <stdio.h>\n')
        self.assertEqual(got, ["include " + other])

    def test_a_huge_object_is_refused_in_our_words(self):
        # outside the sandbox too (mode users): the compiler's files are capped
        from engine import build, procs
        src = os.path.join(self.d, "big.c")
        with open(src, "w") as f:
            f.write('__asm__(".data\\n.fill 100000000, 1, 0\\n.text");\n')
        status, out = procs.run_capture([CC, "-c", src, "-o", os.path.join(self.d, "big.o")], 60)
        self.assertNotEqual(status, 0, out)
        self.assertIn("bigger than 64 MB", build._words(out))
        self.assertLessEqual(os.path.getsize(os.path.join(self.d, "big.o")) if os.path.exists(
            os.path.join(self.d, "big.o")) else 0, build.FILE_BYTES)

    def test_review_list(self):
        src = os.path.join(self.d, "r.c")
        with open(src, "w") as f:
            f.write('#include <stdlib.h>\n// getenv, signal( in a comment count for nothing\n'
                    'int f(void) { char *h = getenv("HOME"); const char *p = "/proc/self/fd/5";\n'
                    '    dup2(1, 5); close(2); write(7, "x", 1); signal (2, 0); return h && p; }\n')
        got = policy.review([src])
        self.assertEqual(got, ['r.c: a /proc path in a string ("/proc/self/fd/5")',
                               "r.c: reads the environment (getenv)",
                               "r.c: signal or sigaction games (signal)",
                               "r.c: dup2/dup3 of a descriptor (dup2)",
                               "r.c: closes a standard descriptor (close(2))",
                               "r.c: an unusual descriptor number (write(7, ...))"])
        os.mkfifo(os.path.join(self.d, "fifo.c"))   # never waited on, never read
        os.symlink(src, os.path.join(self.d, "link.c"))
        self.assertEqual(policy.review([os.path.join(self.d, "fifo.c"),
                                        os.path.join(self.d, "link.c")]), [])
        for ex in course.load():
            for kind in ("exercises", "solutions"):
                self.assertEqual(policy.review([ex.path(kind, f) for f in ex.files]), [],
                                 "%s %s" % (kind, ex.name))

    def test_every_solution_and_stub_meets_its_calls(self):
        for ex in course.load():
            for kind in ("exercises", "solutions"):
                for f in ex.files:
                    obj = os.path.join(self.d, "%s-%s.o" % (kind, ex.name))
                    subprocess.run([CC, "-std=gnu11", "-g", "-pthread", "-I", ex.path("exercises"),
                                    "-I", os.path.join(ROOT, "tests", "common"), "-c",
                                    ex.path(kind, f), "-o", obj], check=True)
                    support = set()
                    for s in ex.support_paths():
                        sobj = obj + ".support.o"
                        subprocess.run([CC, "-std=gnu11", "-I", ex.path("exercises"), "-c", s,
                                        "-o", sobj], check=True)
                        out = subprocess.run(["nm", "-P", "--defined-only", sobj],
                                             stdout=subprocess.PIPE).stdout.decode()
                        support |= {ln.split()[0] for ln in out.splitlines() if ln}
                    self.assertIsNotNone(ex.calls, "%s: exercises.ini has no calls" % ex.name)
                    got = policy.judge_object(obj, ex.calls, support=support)
                    self.assertEqual([x.sentence for x in got], [], "%s %s" % (kind, ex.name))


if __name__ == "__main__":
    unittest.main()

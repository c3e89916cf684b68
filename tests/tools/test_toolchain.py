"""Toolchains that differ: Criterion's version is checked (pkg-config) by
`make deps`, the input checks and Gradescope's setup.sh, each stopping with
one line; -ldl is linked where glibc needs it; a link error that only the
harness causes blames the machine, never the learner's code."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from tests.tools.minirepo import BACKSTOP_SECONDS, ROOT, make, make_repo

sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine import build, course, machine  # noqa: E402


def fake_pkg_config(d, version):
    """A pkg-config that reports `version` for criterion (None: not found)."""
    path = os.path.join(d, "pkg-config")
    with open(path, "w") as f:
        if version is None:
            f.write("#!/bin/sh\necho 'Package criterion was not found' >&2\nexit 1\n")
        else:
            f.write("#!/bin/sh\necho %s\n" % version)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


class CriterionVersion(unittest.TestCase):
    def setUp(self):
        self.bin = tempfile.mkdtemp(prefix="kata-fakebin-")
        self.addCleanup(shutil.rmtree, self.bin)
        self.env = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"])

    def run_script(self, script):
        proc = subprocess.run(["sh", os.path.join(ROOT, script)], env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=BACKSTOP_SECONDS)
        return proc.returncode, proc.stdout.decode(errors="replace")

    def test_deps_stops_with_one_line_on_an_old_or_missing_criterion(self):
        if not shutil.which("dpkg-query"):
            self.skipTest("make deps checks versions only where it can install (Debian, Ubuntu)")
        for version, words in (("2.2.2", "Criterion 2.2.2 is too old: the tests need 2.3 or newer"),
                               (None, "pkg-config finds no Criterion")):
            fake_pkg_config(self.bin, version)
            rc, out = self.run_script("tools/deps.sh")
            self.assertEqual(rc, 2, out)
            self.assertEqual(len(out.strip().splitlines()), 1, out)
            self.assertIn(words, out)
            self.assertIn("install libcriterion-dev 2.3", out)
        for version in ("2.3.3", "2.4.0-rc-18", "2.4.1", "2.10.0"):
            fake_pkg_config(self.bin, version)
            rc, out = self.run_script("tools/deps.sh")
            self.assertEqual(rc, 0, version + ": " + out)

    def test_the_input_checks_say_the_same(self):
        for version, words in (("2.2.2", "Criterion 2.2.2 is too old"), ("1.4", "Criterion 1.4 is too old"),
                               (None, "pkg-config finds no Criterion"), ("2.3.3", None), ("2.4.1", None)):
            fake_pkg_config(self.bin, version)
            with mock.patch.dict(os.environ, {"PATH": self.env["PATH"]}):
                problem = machine.criterion_version_problem()
            if words is None:
                self.assertIsNone(problem, version)
            else:
                self.assertIn(words, problem)
                self.assertIn("libcriterion-dev 2.3", problem)

    def test_setup_sh_checks_it_too(self):
        with open(os.path.join(ROOT, "tools", "autograder", "setup.sh")) as f:
            text = f.read()
        install = [ln for ln in text.splitlines() if "apt-get install" in ln][0]
        self.assertIn("pkg-config", install.split())
        self.assertIn("pkg-config --modversion criterion", text)
        # Its check, cut out and run alone against a fake pkg-config.
        start = text.index("have=$(pkg-config")
        end = text.index("fi\n", start) + 3
        for version, rc in (("2.2.2", 2), ("2.3.3", 0), ("2.4.1", 0)):
            fake_pkg_config(self.bin, version)
            proc = subprocess.run(["sh", "-eu", "-c", text[start:end]], env=self.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  timeout=BACKSTOP_SECONDS)
            self.assertEqual(proc.returncode, rc, proc.stdout)


class OlderCLibraries(unittest.TestCase):
    def test_libdl_is_linked_before_glibc_2_34(self):
        for said, needed in (("glibc 2.31", True), ("glibc 2.33", True), ("glibc 2.34", False),
                             ("glibc 2.36", False), ("glibc 3.0", False), ("", False)):
            with mock.patch.object(os, "confstr", return_value=said):
                self.assertEqual(build.libc_needs_libdl(), needed, said)
        with mock.patch.object(os, "confstr", side_effect=ValueError("unknown name")):
            self.assertFalse(build.libc_needs_libdl())

    def test_which_link_errors_are_the_machines(self):
        harness = ["/b/tests-obj/kata.o"]
        dl = ("/usr/bin/ld: /b/tests-obj/kata.o: in function `kata_name':\n"
              "kata.c:(.text+0x12): undefined reference to `dladdr'\n"
              "collect2: error: ld returned 1 exit status\n")
        self.assertTrue(build.machine_link_error(dl, harness))
        lib = "/usr/bin/ld: /usr/lib/libcriterion.so: undefined reference to `foo@GLIBC_2.99'\n"
        self.assertTrue(build.machine_link_error(lib, harness))
        self.assertTrue(build.machine_link_error("/usr/bin/ld: cannot find -lcriterion: No such file\n", harness))
        student = dl + ("/usr/bin/ld: /b/obj/work.o: in function `sum':\n"
                        "work.c:(.text+0x5): undefined reference to `helper'\n")
        self.assertFalse(build.machine_link_error(student, harness))
        tests = ("/usr/bin/ld: /b/tests-obj/test_work.o: in function `t':\n"
                 "test_work.c:9: undefined reference to `sum'\n")  # the learner left out a function
        self.assertFalse(build.machine_link_error(tests, harness))
        self.assertFalse(build.machine_link_error("/b/obj/work.o: multiple definition of `x'\n", harness))


class LinkErrorsSayWhoseFault(unittest.TestCase):
    """A fake undefined harness symbol, in a copy of the repository."""

    @classmethod
    def setUpClass(cls):
        cls.repo = make_repo()
        ex = sorted(d for d in os.listdir(os.path.join(cls.repo, "exercises")) if d[:2].isdigit())[0]
        cls.ex = ex
        cls.stub = [f for f in os.listdir(os.path.join(cls.repo, "exercises", ex)) if f.endswith(".c")][0]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.repo)

    def test_a_harness_symbol_missing_blames_the_machine(self):
        fake = os.path.join(self.repo, "tests", "common", "zz_fake_harness.c")
        with open(fake, "w") as f:
            f.write("void kata_fake_missing(void);\nvoid kata_fake_caller(void) { kata_fake_missing(); }\n")
        try:
            rc, out, _ = make(self.repo, "test", "EX=" + self.ex)
        finally:
            os.remove(fake)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("the tests do not build on this machine", out)
        self.assertIn("kata_fake_missing", out)
        self.assertIn("not your code's doing", out)
        self.assertNotIn("fix the first FAIL", out)
        self.assertNotIn("your code does not compile", out.lower())

    def test_a_symbol_the_learner_left_undefined_is_theirs(self):
        path = os.path.join(self.repo, "exercises", self.ex, self.stub)
        with open(path) as f:
            saved = f.read()
        with open(path, "a") as f:
            f.write("\nvoid kata_learner_missing(void);\nvoid kata_learner_caller(void) { kata_learner_missing(); }\n")
        try:
            rc, out, _ = make(self.repo, "test", "EX=" + self.ex)
        finally:
            with open(path, "w") as f:
                f.write(saved)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("your code does not compile", out.lower())
        self.assertNotIn("the tests do not build on this machine", out)


if __name__ == "__main__":
    unittest.main()

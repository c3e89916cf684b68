"""exercises.ini through its one typed schema (course.Exercise): every key
has a type, a default and a check; a key the schema does not know, or a bad
value, is refused in one line naming the file, the section and the key."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tests.tools.minirepo import make, make_repo

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tools"))

from engine import course  # noqa: E402
from engine.course import UsageError  # noqa: E402

SECTION = "[01-x]\ntitle = X\nfiles = x.c\n"


class Schema(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="kata-schema-")
        os.makedirs(os.path.join(self.root, "exercises"))

    def tearDown(self):
        shutil.rmtree(self.root)

    def load(self, text):
        with open(os.path.join(self.root, course.COURSE_FILE), "w") as f:
            f.write(text)
        return course.load(self.root)

    def refused(self, text, *words):
        with self.assertRaises(UsageError) as cm:
            self.load(text)
        said = str(cm.exception)
        self.assertNotIn("\n", said)
        for w in ("exercises/exercises.ini",) + words:
            self.assertIn(w, said)
        return said

    def test_defaults(self):
        ex = self.load(SECTION)[0]
        self.assertEqual((ex.name, ex.title, ex.files), ("01-x", "X", ["x.c"]))
        self.assertEqual((ex.points, ex.timeout, ex.test_seconds, ex.helgrind_timeout),
                         (10.0, 30.0, 3.0, 120.0))
        self.assertEqual((ex.ldflags, ex.test_ldflags, ex.support, ex.optional), ([], [], [], []))
        self.assertEqual((ex.helgrind_points, ex.memory_mb, ex.processes), (None, 1024, 256))
        self.assertEqual(ex.title_zh, "")

    def test_every_key_is_read_with_its_type(self):
        ex = self.load(SECTION + "points = 12.5\ntimeout = 7\nprocesses = 9\nmemory_mb = 300\n"
                       "test_ldflags = -Wl,--wrap=read -Wl,--wrap=write\nhelgrind_points = 2.5\n")[0]
        self.assertEqual((ex.points, ex.timeout, ex.processes, ex.memory_mb), (12.5, 7.0, 9, 300))
        self.assertEqual(ex.test_ldflags, ["-Wl,--wrap=read", "-Wl,--wrap=write"])
        self.assertEqual(ex.helgrind_points, 2.5)

    def test_a_misspelt_key_is_refused(self):
        said = self.refused(SECTION + "test_second = 5\n", "[01-x] test_second", "unknown key")
        self.assertIn("test_seconds", said)  # the keys it may have are listed

    def test_a_bad_value_is_refused(self):
        self.refused(SECTION + "timeout = soon\n", "[01-x] timeout = soon", "not a number")
        self.refused(SECTION + "test_seconds = 0\n", "[01-x] test_seconds = 0", "more than 0")
        self.refused(SECTION + "processes = 2.5\n", "[01-x] processes = 2.5", "not a whole number")
        self.refused(SECTION + "points = -1\n", "[01-x] points = -1", "0 or more")
        self.refused("[01-x]\nfiles = x.h\n", "[01-x] files = x.h", "not the name of a .c file")
        self.refused(SECTION + "points = 4\nhelgrind_points = 5\n", "[01-x] helgrind_points = 5",
                     "between 0 and points = 4")

    def test_a_bad_section_is_refused(self):
        self.refused("[x]\ntitle = X\n", "section [x] is not named NN-slug")
        self.refused(SECTION + SECTION, "[01-x]: the section is there twice")
        self.refused(SECTION + "timeout = 5\ntimeout = 6\n", "[01-x] timeout: given twice")

    def test_the_ini_comment_names_every_key(self):
        """exercises.ini documents its keys; the schema knows each one it names."""
        path = os.path.join(course.ROOT, course.COURSE_FILE)
        with open(path, encoding="utf-8") as f:
            named = [ln.split()[1] for ln in f if ln.startswith("#   ") and ln[4:5].isalpha()]
        self.assertTrue(named)
        self.assertEqual([k for k in named if k not in course.KEYS], [])


class Refusal(unittest.TestCase):
    """Through the commands: one line, exit status 2."""

    @classmethod
    def setUpClass(cls):
        cls.repo = make_repo()
        with open(os.path.join(cls.repo, course.COURSE_FILE), "a") as f:
            f.write("test_second = 5\n")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.repo)

    def test_status_says_which_key(self):
        proc = subprocess.run([sys.executable, "-S", "tools/kata.py", "status"], cwd=self.repo,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = proc.stdout.decode()
        self.assertEqual(proc.returncode, 2, out)
        self.assertEqual(out.strip().count("\n"), 0, out)
        self.assertIn("exercises/exercises.ini [01-fixture] test_second: unknown key", out)

    def test_make_stops_before_anything_runs(self):
        rc, out, _ = make(self.repo, "test", "EX=01")
        self.assertEqual(rc, 2, out)
        self.assertEqual(len([ln for ln in out.splitlines() if "kata" in ln]), 1, out)
        self.assertIn("[01-fixture] test_second: unknown key", out)

"""`make mutants`' own quick test: which mutants it makes of a tiny source,
how it reads the judged-equivalent list, how it scores. Nothing is built or
run here (the full run is slow and stays out of `make check`).

    python3 -S -m unittest tests.tools.test_mutants
"""

import os
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from engine.course import UsageError  # noqa: E402
from engine.course_dev import mutants  # noqa: E402

FIXTURE = os.path.join(ROOT, "tests", "tools", "fixtures", "mutants")


def tiny():
    with open(os.path.join(FIXTURE, "tiny.c"), encoding="utf-8") as f:
        return mutants.mutants_of("tiny.c", f.read())


def io():
    """(the lines of io.c, its mutants)"""
    with open(os.path.join(FIXTURE, "io.c"), encoding="utf-8") as f:
        text = f.read()
    return text.splitlines(keepends=True), mutants.mutants_of("io.c", text)


def changed_line(original, m):
    """What mutant m made of its line, None when it deleted it."""
    if len(m.lines) < len(original):
        return None
    return m.lines[m.line - 1].strip()


class MakesMutants(unittest.TestCase):
    def test_one_of_each_kind(self):
        ops = sorted(m.op for m in tiny())
        self.assertEqual(ops, sorted([
            "remove volatile", "remove _Atomic",
            "delete pthread_mutex_lock", "while->if", "delete pthread_mutex_unlock",
            "delete pthread_mutex_lock", "delete store", "broadcast->signal",
            "delete pthread_cond_broadcast",
            "delete pthread_mutex_unlock", "delete atomic_fetch_add_explicit",
            "release->relaxed", "pthread_join->0", "delete close", "delete close"]))

    def test_each_mutant_changes_one_line(self):
        with open(os.path.join(FIXTURE, "tiny.c"), encoding="utf-8") as f:
            original = f.read().splitlines(keepends=True)
        for m in tiny():
            changed = [a for a, b in zip(original, m.lines) if a != b]
            self.assertTrue(changed, m.id)
            self.assertIn(len(m.lines), (len(original), len(original) - 1), m.id)
            if m.op == "while->if":
                self.assertIn("    if (!ready)\n", m.lines)
            if m.op == "pthread_join->0":
                self.assertIn("    if (0 != 0)\n", m.lines)

    def test_ids_are_unique_and_name_the_line(self):
        ids = [m.id for m in tiny()]
        self.assertEqual(len(ids), len(set(ids)))
        self.assertIn("tiny.c: delete close: close(fd); #2", ids)
        self.assertIn("tiny.c: while->if: while (!ready)", ids)

    def test_no_mutant_of_a_comment_or_a_declaration(self):
        lines = ["/* pthread_mutex_lock(&m); while (x) */\n",
                 "static int close_all(int fd);\n", "// close(fd);\n"]
        self.assertEqual(mutants.mutants_of("x.c", "".join(lines)), [])


class MakesMutantsOfCoroutinesAndBlockingIO(unittest.TestCase):
    def test_each_operator_and_what_it_makes(self):
        original, found = io()
        got = [(m.line, m.op, changed_line(original, m)) for m in found]
        self.assertEqual(got, [
            (16, "delete getcontext", None),
            (17, "delete store", None),  # uc_link: the coroutine's return goes nowhere
            (18, "delete makecontext", None),
            (19, "delete store to current", None),  # a __thread variable of the file
            (20, "delete swapcontext", None),
            (21, "delete store", None),  # the state FINISHED never set
            (22, "delete count", None),
            (28, "loop->once", "if (done < len) {"),  # a short read is the end
            (28, "< made <=", "while (done <= len) {"),
            (29, "read->0", "ssize_t r = 0;"),
            (30, "EINTR == made 0", "if (r == -1 && 0)"),
            (30, "-1 ignored", "if (r == -1 && 0 && errno == EINTR)"),
            (32, "<= made <", 'if (r < 0) /* "a < b" in a comment is no operator */'),
            (34, "delete count", None),
            (36, "fcntl->0", "queue[t->steps++] = 0;"),
            (36, "drop O_NONBLOCK", "queue[t->steps++] = fcntl(fd, F_SETFL, O_CLOEXEC);"),
            (36, "drop O_CLOEXEC", "queue[t->steps++] = fcntl(fd, F_SETFL, O_NONBLOCK);"),
            (36, "[x++]->[++x]", "queue[++t->steps] = fcntl(fd, F_SETFL, O_NONBLOCK | O_CLOEXEC);"),
        ])

    def test_no_boundary_mutant_of_a_loop_header_an_include_or_a_string(self):
        lines = ["#include <unistd.h>\n", "void f(int n)\n", "{\n",
                 "    for (int i = 0; i < n; i++)\n", '        puts("a < b | O_APPEND");\n',
                 "    if (n || O_APPEND)\n", "        return;\n", "}\n"]
        self.assertEqual([m.id for m in mutants.mutants_of("x.c", "".join(lines))], [])

    def test_a_definition_is_no_call(self):
        lines = ["int read(int fd)\n", "{\n", "    return fd;\n", "}\n"]
        self.assertEqual(mutants.mutants_of("x.c", "".join(lines)), [])

    def test_file_globals_are_the_file_scope_variables(self):
        original, _ = io()
        self.assertEqual(mutants.file_globals(original), {"current"})


class ReadsTheEquivalentList(unittest.TestCase):
    def test_reads_ids_and_reasons(self):
        judged = mutants.read_equivalent(os.path.join(FIXTURE, "mutants-equivalent.txt"))
        self.assertEqual(list(judged), ["tiny.c: delete close: close(fd); #2"])
        self.assertIn("EBADF", judged["tiny.c: delete close: close(fd); #2"])

    def test_a_line_without_a_reason_is_refused(self):
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("tiny.c: delete close: close(fd);\n")
        try:
            with self.assertRaises(UsageError) as e:
                mutants.read_equivalent(f.name)
            self.assertIn(":1: write `<mutant id> | <why it is equivalent>`", str(e.exception))
        finally:
            os.unlink(f.name)

    def test_no_file_no_judged_mutant(self):
        self.assertEqual(mutants.read_equivalent(os.path.join(FIXTURE, "none.txt")), {})


class Scores(unittest.TestCase):
    def test_equivalent_survivors_do_not_count(self):
        ms = tiny()[:5]
        verdicts = list(zip(ms, ["tests", "helgrind", "survived", "survived", "no-compile"]))
        killed, counted, equivalent, survivors = mutants.score(verdicts, {ms[2].id: "why"})
        self.assertEqual((killed, counted), (2, 3))
        self.assertEqual(equivalent, [ms[2].id])
        self.assertEqual(survivors, [ms[3].id])


if __name__ == "__main__":
    unittest.main()

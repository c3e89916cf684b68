"""The course: the exercise list and each exercise's metadata, read from
exercises/exercises.ini, the one place that lists them."""

import configparser
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COURSE_FILE = os.path.join("exercises", "exercises.ini")


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


class Exercise:
    """One section of exercises.ini."""

    def __init__(self, name, title, files, points, timeout, test_seconds,
                 helgrind_timeout, ldflags=(), support=(), title_zh="", optional=(),
                 test_ldflags=()):
        self.name, self.title, self.files, self.points = name, title, list(files), points
        self.title_zh = title_zh  # the title in Chinese; "" when the course has none
        self.timeout, self.test_seconds = timeout, test_seconds
        self.helgrind_timeout, self.ldflags = helgrind_timeout, list(ldflags)
        # Link flags of the test program alone (its --wrap probes); `ldflags`
        # are for every program: tests, helgrind driver, benchmark.
        self.test_ldflags = list(test_ldflags)
        # Support code the exercise ships and the learner does not write:
        # always compiled from exercises/<ex>/ in this tree, never from SRC.
        self.support = list(support)
        # Test files (names in tests/<ex>/) whose tests are for the curious:
        # run and shown, never counted in the verdict or the grade.
        self.optional = list(optional)

    def shown_title(self, zh=False):
        """The title in the learner's language: title_zh in Chinese when the
        course gives one, else the English title."""
        return self.title_zh if zh and self.title_zh else self.title

    @property
    def number(self):
        return int(self.name.split("-", 1)[0])

    @property
    def slug(self):
        return self.name.split("-", 1)[1]

    def path(self, top, *rest):
        """A path under one of the top folders (exercises, solutions, tests)."""
        return os.path.join(ROOT, top, self.name, *rest)

    def test_sources(self):
        d = self.path("tests")
        if not os.path.isdir(d):
            return []
        return sorted(os.path.join(d, f) for f in os.listdir(d)
                      if f.startswith("test_") and f.endswith(".c"))

    def helper_sources(self):
        """The tests' helpers: every other .c in tests/<ex>/ (not test_*.c,
        helgrind.c or bench.c), linked into the test program only."""
        d = self.path("tests")
        if not os.path.isdir(d):
            return []
        return sorted(os.path.join(d, f) for f in os.listdir(d)
                      if f.endswith(".c") and not f.startswith("test_")
                      and f not in ("helgrind.c", "bench.c"))

    def optional_tests(self):
        """The suite::name of every test in the optional test files."""
        import report
        return report.expected_tests([p for p in self.test_sources()
                                      if os.path.basename(p) in self.optional])

    def required_test_sources(self):
        """The test files whose tests count (every one not optional)."""
        return [p for p in self.test_sources() if os.path.basename(p) not in self.optional]

    def helgrind_source(self):
        p = self.path("tests", "helgrind.c")
        return p if os.path.exists(p) else None

    def student_paths(self, src=None):
        """The learner's .c files: from exercises/<ex>/, or SRC/<ex>/."""
        base = self.path("exercises") if src is None else os.path.join(os.path.abspath(src), self.name)
        paths = [os.path.join(base, f) for f in self.files]
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise UsageError("missing %s (SRC must hold <exercise>/<file>.c)" % shown(missing[0]))
        return paths

    def support_paths(self):
        """The exercise's support .c files, from exercises/<ex>/ of this tree."""
        return [self.path("exercises", f) for f in self.support]

    def hints(self, zh=False):
        """[(title, text)] from HINTS.md (HINTS.zh-CN.md in Chinese, when the
        exercise has it with as many hints): one hint per '## ' section."""
        english = self._hints("HINTS.md")
        if zh:
            chinese = self._hints("HINTS.zh-CN.md")
            if chinese and len(chinese) == len(english):
                return chinese
        return english

    def _hints(self, name):
        try:
            with open(self.path("exercises", name), encoding="utf-8") as f:
                text = f.read()
        except OSError:
            return []
        hints = []
        for line in text.splitlines():
            if line.startswith("## "):
                hints.append([line[3:].strip()])
            elif hints:
                hints[-1].append(line)
        return [(h[0], "\n".join(h[1:]).strip()) for h in hints]

    def wrong_solutions(self):
        """The known-wrong solutions: tests/<ex>/wrong/<mistake>.diff, each a
        patch against the reference solution with a MISTAKE preamble."""
        d = self.path("tests", "wrong")
        if not os.path.isdir(d):
            return []
        return sorted(os.path.join(d, m) for m in os.listdir(d) if m.endswith(".diff"))


def shown(path):
    """A path relative to the repository when it is inside it."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def load(root=ROOT):
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    path = os.path.join(root, COURSE_FILE)
    if not parser.read(path):
        raise UsageError("cannot read %s" % COURSE_FILE)
    exercises = []
    for name in parser.sections():
        if not re.fullmatch(r"\d\d-[a-z0-9-]+", name):
            raise UsageError("%s: section [%s] is not named NN-slug" % (COURSE_FILE, name))
        s = parser[name]
        exercises.append(Exercise(
            name=name,
            title=s.get("title", name),
            title_zh=s.get("title_zh", ""),
            files=s.get("files", "").split(),
            points=s.getfloat("points", 10.0),
            timeout=s.getfloat("timeout", 30.0),
            test_seconds=s.getfloat("test_seconds", 3.0),
            helgrind_timeout=s.getfloat("helgrind_timeout", 120.0),
            ldflags=s.get("ldflags", "").split(),
            test_ldflags=s.get("test_ldflags", "").split(),
            support=s.get("support", "").split(),
            optional=s.get("optional", "").split(),
        ))
    return exercises


def resolve(query, exercises=None):
    """Finds an exercise from '03-race', '03', '3' or 'race'."""
    exercises = load() if exercises is None else exercises
    q = (query or "").strip().strip("/")
    q = os.path.basename(q) if "/" in q else q
    for ex in exercises:
        if q == ex.name or q == ex.slug:
            return ex
        if q.isdigit() and int(q) == ex.number:
            return ex
    valid = ", ".join(ex.name for ex in exercises)
    raise UsageError("unknown exercise '%s'; valid: %s" % (query, valid))

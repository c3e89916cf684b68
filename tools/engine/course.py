"""The course: the exercise list and each exercise's metadata, read from
exercises/exercises.ini, the one place that lists them, through one typed
schema (Settings: every key, its type, its default, its check; a key it
does not know, or a bad value, is refused with the file, section and key
named). What the katas need from the machine is engine/machine.py."""

from __future__ import annotations  # the fields' types stay words: no typing import

import configparser
import dataclasses
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COURSE_FILE = os.path.join("exercises", "exercises.ini")
CC = os.environ.get("CC", "gcc")
BUILD = os.path.join(ROOT, "build")
# The learner's progress (status, hints seen, reset's backups): outside
# build/, so that `make clean` keeps it; ignored by git.
STATE = os.path.join(ROOT, ".kata")
CACHE = os.path.join(BUILD, ".state")  # what the machine was found to have
TEST_RE = re.compile(r"^\s*KATA_TEST\s*\(\s*(\w+)\s*,\s*(\w+)", re.M)
HELGRIND_SHARE = 0.2     # default helgrind_points: this share of the exercise


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit status 2."""


def _words(text):
    return text.split()


def _positive(value):
    return None if value > 0 else "must be more than 0"


def _share(value):
    return None if value is None or value >= 0 else "must be 0 or more"


def _c_files(names):
    bad = [n for n in names if not re.fullmatch(r"[\w.+-]+\.c", n)]
    return "%s is not the name of a .c file" % bad[0] if bad else None


def _key(doc, default=None, kind=str, check=None, factory=None):
    """One key of an exercise's section: its words in the comment of
    exercises.ini, its default, how its text is read (str, float, int,
    words) and what it must be (a function that returns None or why not)."""
    meta = {"doc": doc, "kind": kind, "check": check}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass(eq=False)
class Exercise:
    """One section of exercises.ini: its name and every key the section may
    have (the typed schema; load() refuses any other key)."""
    name: str
    title: str = _key("one line, shown by `make status` and in reports", "")
    files: list = _key("the .c files the learner edits", kind=_words, check=_c_files, factory=list)
    points: float = _key("what the whole exercise is worth when graded", 10.0, float, _share)
    timeout: float = _key("seconds the whole test run may take", 30.0, float, _positive)
    test_seconds: float = _key("seconds one test may take", 3.0, float, _positive)
    helgrind_timeout: float = _key("seconds the helgrind run may take", 120.0, float, _positive)
    ldflags: list = _key("link flags of every program: tests, helgrind driver, benchmark", kind=_words, factory=list)
    # Support code the exercise ships and the learner does not write:
    # always compiled from exercises/<ex>/ in this tree, never from SRC.
    support: list = _key("support .c files the exercise ships", kind=_words, check=_c_files,
                         factory=list)
    title_zh: str = _key("the title in Chinese; empty when the course has none", "")
    # Test files (names in tests/<ex>/) whose tests are for the curious:
    # run and shown, never counted in the verdict or the grade.
    optional: list = _key("test files whose tests do not count", kind=_words, factory=list)
    test_ldflags: list = _key("link flags of the test program only", kind=_words, factory=list)
    helgrind_points: float | None = _key("the part of points the helgrind check is worth "
                                            "(default: a fifth)", None, float, _share)
    memory_mb: int = _key("address space of each graded process, MB", 1024, int, _positive)
    processes: int = _key("processes a graded run may have at once", 256, int, _positive)
    # The library calls a graded object may leave undefined (policy.judge_object);
    # None: no list, only the harness's names are refused.
    calls: list | None = _key("library calls graded code may make", None, _words)

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

    def parts(self):
        """{part number: test file}: part N is tests/<ex>/test_N_*.c."""
        found = {}
        for p in self.test_sources():
            m = re.match(r"test_(\d+)_", os.path.basename(p))
            if m:
                found.setdefault(int(m.group(1)), p)
        return found

    def part_of(self, test):
        """The part number whose file holds test (suite::name), or None."""
        return next((n for n, p in self.parts().items() if test in expected_tests([p])), None)

    def selection(self, t):
        """`make test T=..`: (the test files to build, the one test to show
        or None). T=2 is part 2, T=suite::name one test (built with its part)."""
        from engine import lang
        parts = self.parts()
        if t.isdigit() and int(t) in parts:
            return [parts[int(t)]], None
        holder = next((p for p in self.test_sources() if t in expected_tests([p])), None)
        if holder:
            return [holder], t
        raise UsageError(lang.t("t.unknown", t, self.name,
                                ", ".join(str(n) for n in sorted(parts)) or "-", self.number))

    def optional_tests(self):
        """The suite::name of every test in the optional test files."""
        return expected_tests([p for p in self.test_sources()
                                      if os.path.basename(p) in self.optional])

    def required_test_sources(self):
        """The test files whose tests count (every one not optional)."""
        return [p for p in self.test_sources() if os.path.basename(p) not in self.optional]

    def helgrind_source(self):
        p = self.path("tests", "helgrind.c")
        return p if os.path.exists(p) else None

    def graded_helgrind_points(self):
        """What the helgrind check is worth in `make grade`: helgrind_points,
        by default a fifth of the exercise; 0 without a helgrind check."""
        if self.helgrind_source() is None:
            return 0.0
        if self.helgrind_points is None:
            return float(round(self.points * HELGRIND_SHARE, 2))
        return self.helgrind_points

    def point_shares(self, tests):
        """What each of `tests` tests and the helgrind check (last) are worth
        in `make grade`: whole cents that add up to exactly `points`. The
        tests share points - helgrind evenly, and the cents that do not split
        evenly go one each to the largest remainders (the first tests on a
        tie): 10 points, 2 for helgrind, 7 tests -> 1.15 1.15 1.14 x5, 2."""
        hg = self.graded_helgrind_points()
        import fractions  # only for points: 20 ms of imports every other command skips
        weights = [fractions.Fraction(self.points - hg) / (tests or 1)] * tests + [fractions.Fraction(hg)]
        cents = round(self.points * 100) if tests else round(hg * 100)
        exact = [cents * w / sum(weights) if sum(weights) else 0 for w in weights]
        share = [int(x) for x in exact]  # rounded down: every weight is >= 0
        by_remainder = sorted(range(len(exact)), key=lambda i: (share[i] - exact[i], i))
        for i in by_remainder[:cents - sum(share)]:
            share[i] += 1
        return [c / 100 for c in share]

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


KEYS = {f.name: f for f in dataclasses.fields(Exercise) if f.name != "name"}


def _value(section, key, text):
    """A key's text read as the schema says; UsageError names where."""
    f = KEYS.get(key)
    where = "%s [%s] %s" % (COURSE_FILE, section, key)
    if f is None:
        raise UsageError("%s: unknown key (the keys an exercise may have: %s)"
                         % (where, ", ".join(KEYS)))
    kind, check = f.metadata["kind"], f.metadata["check"]
    try:
        value = kind(text.strip())
    except ValueError:
        raise UsageError("%s = %s: not %s" % (where, text.strip(),
                                              "a number" if kind is float else "a whole number"))
    why = check(value) if check else None
    if why:
        raise UsageError("%s = %s: %s" % (where, text.strip(), why))
    return value


def _exercise(name, section):
    ex = Exercise(name, **{key: _value(name, key, text) for key, text in section.items()})
    if not ex.title:
        ex.title = name
    if ex.helgrind_points is not None and ex.helgrind_points > ex.points:
        raise UsageError("%s [%s] helgrind_points = %g: must be between 0 and points = %g"
                         % (COURSE_FILE, name, ex.helgrind_points, ex.points))
    return ex


def load(root=ROOT):
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",), default_section="\0")
    path = os.path.join(root, COURSE_FILE)
    try:
        if not parser.read(path):
            raise UsageError("cannot read %s" % COURSE_FILE)
    except configparser.DuplicateOptionError as e:
        raise UsageError("%s [%s] %s: given twice (line %s)" % (COURSE_FILE, e.section, e.option, e.lineno))
    except configparser.DuplicateSectionError as e:
        raise UsageError("%s [%s]: the section is there twice (line %s)" % (COURSE_FILE, e.section, e.lineno))
    except configparser.Error as e:
        raise UsageError("%s: %s" % (COURSE_FILE, str(e).replace(path, "").splitlines()[0]))
    exercises = []
    for name in parser.sections():
        if not re.fullmatch(r"\d\d-[a-z0-9-]+", name):
            raise UsageError("%s: section [%s] is not named NN-slug" % (COURSE_FILE, name))
        exercises.append(_exercise(name, parser[name]))
    return exercises


def expected_tests(sources):
    """The tests an exercise has, in source order, read from its test files
    (never from the program, which links the learner's code)."""
    tests = []
    for path in sources:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        tests += ["%s::%s" % m for m in TEST_RE.findall(text)]
    return tests


def _spellings(ex):
    """What a name may be written as: 03-race, 3-race, 03, 3, race."""
    return {ex.name, "%d-%s" % (ex.number, ex.slug), "%02d" % ex.number, str(ex.number), ex.slug}


def resolve(query, exercises=None):
    """Finds an exercise from '03-race', '3-race', '03', '3' or 'race', in any
    case, with or without leading zeros ('003-Race'); an unknown name gets the
    valid ones and the nearest of them ("did you mean")."""
    from engine import lang
    exercises = load() if exercises is None else exercises
    q = (query or "").strip().strip("/").lower()
    q = os.path.basename(q) if "/" in q else q
    m = re.fullmatch(r"0*(\d+)(-.*)?", q)
    if m:  # leading zeros optional both ways
        q = m.group(1) + (m.group(2) or "")
    for ex in exercises:
        if q in _spellings(ex):
            return ex
    valid = ", ".join(ex.name for ex in exercises)
    names = {s: ex.name for ex in exercises for s in _spellings(ex) if not s.isdigit()}
    import difflib  # only for a name not found
    near = difflib.get_close_matches(q, list(names), n=1, cutoff=0.6)
    if near:
        raise UsageError(lang.t("ex.did you mean", query, names[near[0]], valid))
    raise UsageError(lang.t("ex.unknown", query, valid))


# ---- what the machine needs ---------------------------------------------------

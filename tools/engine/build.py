"""Incremental builds of an exercise's test and helgrind programs.

Layout under build/<exercise>/:
  tests-obj/          objects of the tree's own tests and harness (shared)
  <variant>/src/      the learner's .c files, copied with a #line so that
                      messages still name the original file; a header beside
                      a submitted file is never seen
  <variant>/obj/      their objects
  <variant>/test, <variant>/helgrind-driver
"""

import hashlib
import os
import re
import shlex
import tempfile
from concurrent.futures import ThreadPoolExecutor

from engine import course, policy, procs
from engine.course import BUILD, CC, ROOT, UsageError

CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-g", "-pthread"]
COMPILE_SECONDS = 30


class BuildError(Exception):
    """The code does not compile or link; .output holds the compiler's words."""

    def __init__(self, output, student, machine=False):
        super().__init__(output)
        self.output = output
        self.student = student
        self.machine = machine  # the machine lacks what the tests need (not the learner's fault)


def variant_name(src):
    """A folder name for where the learner's files come from."""
    if src is None:
        return "exercises"
    rel = os.path.relpath(os.path.abspath(src), ROOT)
    if not rel.startswith(".."):
        return rel.replace(os.sep, "_")
    tail = "_".join(os.path.abspath(src).split(os.sep)[-2:])
    tail = "".join(c if c.isalnum() or c in "-_." else "_" for c in tail)
    return "ext-%s-%s" % (tail, hashlib.sha1(os.path.abspath(src).encode()).hexdigest()[:8])


def _write_if_changed(path, data):
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except OSError:
        pass
    _atomic_write(path, data)


def _atomic_write(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def stage(paths, stage_dir):
    """Copies the learner's files into the build folder, each starting with a
    #line that names the original file."""
    os.makedirs(stage_dir, exist_ok=True)
    staged = []
    for p in paths:
        with open(p, "rb") as f:
            body = f.read()
        head = ('#line 1 "%s"\n' % course.shown(p).replace("\\", "\\\\").replace('"', '\\"')).encode()
        dest = os.path.join(stage_dir, os.path.basename(p))
        _write_if_changed(dest, head + body)
        staged.append(dest)
    return staged


def _deps_fresh(obj, depfile):
    try:
        mtime = os.path.getmtime(obj)
        with open(depfile) as f:
            text = f.read().replace("\\\n", " ")
    except OSError:
        return False
    deps = text.split(":", 1)[1].split() if ":" in text else []
    for d in deps:
        try:
            if os.path.getmtime(d) > mtime:
                return False
        except OSError:
            return False
    return True


def _compile(src, obj, flags):
    """Compiles src to obj unless obj is newer than everything it includes."""
    depfile = obj + ".d"
    stamp = obj + ".flags"
    line = " ".join(flags)
    try:
        with open(stamp) as f:
            same_flags = f.read() == line
    except OSError:
        same_flags = False
    if same_flags and _deps_fresh(obj, depfile):
        return None
    tmp = "%s.%d.tmp" % (obj, os.getpid())
    cmd = [CC] + flags + ["-MMD", "-MF", depfile + ".tmp%d" % os.getpid(), "-c", src, "-o", tmp]
    status, output = procs.run_capture(cmd, COMPILE_SECONDS, cwd=ROOT)
    if status is None:
        return ("%s took more than %d s to compile (or waited for input): a source file "
                "that makes the compiler work without end" % (course.shown(src), COMPILE_SECONDS))
    if status != 0:
        return output or "the compiler failed (out of memory?)"
    os.replace(depfile + ".tmp%d" % os.getpid(), depfile)
    os.replace(tmp, obj)
    _atomic_write(stamp, line.encode())
    return None


def _compile_all(jobs):
    """jobs: (src, obj, flags, is_student). Raises BuildError on the first
    failure, student code first."""
    for _, obj, _, _ in jobs:
        os.makedirs(os.path.dirname(obj), exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        results = list(pool.map(lambda j: (_compile(j[0], j[1], j[2]), j[3]), jobs))
    errors = [(out, student) for out, student in results if out]
    errors.sort(key=lambda e: not e[1])
    if errors:
        raise BuildError(errors[0][0], errors[0][1])


def libc_needs_libdl():
    """glibc before 2.34 keeps dladdr (the harness names a mutex with it) in
    libdl, so the test program links with -ldl there: probed, not guessed."""
    try:
        name, _, version = (os.confstr("CS_GNU_LIBC_VERSION") or "").partition(" ")
    except (ValueError, OSError):  # not glibc (musl has dladdr in libc)
        return False
    m = re.match(r"(\d+)\.(\d+)", version)
    return name == "glibc" and bool(m) and (int(m.group(1)), int(m.group(2))) < (2, 34)


LD_OBJECT = re.compile(r"^(?:\S*ld\S*: )?(\S+?\.(?:o|a|so[.\d]*))(?:: in function|:\(|: undefined reference)")


def machine_link_error(output, harness_objs):
    """True when a failed link names only the harness's or Criterion's
    symbols: every undefined reference is made by tests/common's objects or
    by a library, or a library is missing. Then the machine lacks what the
    tests need (an old C library, another Criterion), not the learner."""
    harness = {os.path.normpath(os.path.join(ROOT, o)) for o in harness_objs}
    machine, current, culprits = False, None, []
    for line in output.splitlines():
        machine = machine or "cannot find -l" in line
        m = LD_OBJECT.match(line)
        current = m.group(1) if m else current
        if "undefined reference to" in line:
            culprits.append(current)
    if not culprits:
        return machine
    return all(c and (os.path.normpath(os.path.join(ROOT, c)) in harness
                      or re.search(r"\.(a|so[.\d]*)$", c)) for c in culprits)


def _link(objs, out, ldflags, libs, harness_objs=()):
    if os.path.exists(out):
        t = os.path.getmtime(out)
        if all(os.path.getmtime(o) <= t for o in objs):
            return
    tmp = "%s.%d.tmp" % (out, os.getpid())
    cmd = [CC, "-pthread"] + objs + ldflags + libs + ["-o", tmp]
    status, output = procs.run_capture(cmd, COMPILE_SECONDS, cwd=ROOT)
    if status != 0:
        machine = status is not None and machine_link_error(output, harness_objs)
        raise BuildError(output or "the link took too long", not machine, machine)
    os.replace(tmp, out)


def _common_sources(with_harness):
    d = os.path.join(ROOT, "tests", "common")
    srcs = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".c"))
    return [s for s in srcs if with_harness or os.path.basename(s) != "kata.c"]


def _flags(ex):
    return CFLAGS + ["-I", ex.path("exercises"), "-I", os.path.join(ROOT, "tests", "common")]


def _shared_obj(ex, shared, s):
    """The object of a tree source; a test from elsewhere (an instructor's
    hidden tests) goes in a folder of its own, so names never collide."""
    name = os.path.basename(s)[:-2] + ".o"
    home = (ex.path("tests"), ex.path("exercises"), os.path.join(ROOT, "tests", "common"))
    if os.path.dirname(os.path.abspath(s)) in home:
        return os.path.join(shared, name)
    return os.path.join(shared, "x" + hashlib.sha1(os.path.dirname(s).encode()).hexdigest()[:8], name)


def build(ex, src=None, helgrind=False, test_sources=None, variant=None):
    """Builds the test program (or the helgrind driver); returns its path.
    `variant` names the build folder (default: after SRC)."""
    var_dir = os.path.join(BUILD, ex.name, variant or variant_name(src))
    staged = stage(ex.student_paths(src), os.path.join(var_dir, "src"))
    flags = _flags(ex)
    jobs = [(s, os.path.join(var_dir, "obj", os.path.basename(s)[:-2] + ".o"), flags, True)
            for s in staged]
    shared = os.path.join(BUILD, ex.name, "tests-obj")
    if helgrind:
        if not ex.helgrind_source():
            raise UsageError("%s has no helgrind check (tests/%s/helgrind.c)" % (ex.name, ex.name))
        others = [ex.helgrind_source()] + _common_sources(False)
        out, libs = os.path.join(var_dir, "helgrind-driver"), []
    else:
        others = (test_sources or ex.test_sources()) + ex.helper_sources() + _common_sources(True)
        # -rdynamic: the watchdog can name a global mutex in a deadlock report.
        out, libs = os.path.join(var_dir, "test"), ["-rdynamic", "-lcriterion"] + (
            ["-ldl"] if libc_needs_libdl() else [])
        if test_sources and sorted(test_sources) != ex.test_sources():  # a program of its own
            out += "-" + hashlib.sha1("\n".join(sorted(test_sources)).encode()).hexdigest()[:8]
    # The exercise's support code (exercises.ini `support`) is the tree's own,
    # like the tests: compiled from exercises/<ex>/ whatever SRC is.
    support = ex.support_paths()
    jobs += [(s, _shared_obj(ex, shared, s), flags, False) for s in others + support]
    _compile_all(jobs)
    objs = {s: o for s, o, _, _ in jobs}
    problems = policy.check_symbols([j[1] for j in jobs if j[3]], [objs[s] for s in others],
                                    [objs[s] for s in support])
    if problems:
        raise BuildError("\n".join(problems), True)
    ldflags = ex.ldflags + ([] if helgrind else ex.test_ldflags)
    common = os.path.join(ROOT, "tests", "common")
    _link([j[1] for j in jobs], out, ldflags, libs,
          [objs[s] for s in others if os.path.dirname(os.path.abspath(s)) == common])
    return out


def compile_commands(exercises):
    """Entries for compile_commands.json: every source with its real flags."""
    entries = []
    for ex in exercises:
        flags = _flags(ex)
        srcs = ([ex.path("exercises", f) for f in ex.files] + ex.support_paths() + ex.test_sources()
                + ex.helper_sources())
        if ex.helgrind_source():
            srcs.append(ex.helgrind_source())
        for s in srcs:
            entries.append({"directory": ROOT, "file": s,
                            "command": shlex.join([CC] + flags + ["-c", s])})
    return entries

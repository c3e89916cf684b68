"""What submitted code may be: the includes it may write (graded code only)
and the symbols it may define and use (every build). Each check returns the
problems in words; build.py turns them into a BuildError of the learner."""

import hashlib
import os
import re
import subprocess

from engine import course
from engine.course import BUILD, CC

INCLUDE_RE = re.compile(r"^[ \t]*(?:#|%:)[ \t]*include\w*[ \t]*(.*)$", re.M)
ALLOWED_INCLUDE = re.compile(r'"[\w.+-]+\.h"|<[\w.+/-]+\.h>|<\w+>')


def _preprocessor_view(text):
    """The text as the preprocessor reads its directives: lines spliced,
    comments gone (string literals are left as they are)."""
    text = text.replace("\\\r\n", "").replace("\\\n", "")
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def check_includes(paths):
    """Submitted code may include headers by name only: a path with a folder
    in it or a .c file could compile in the reference solution, a hidden test
    or any file the grader can read."""
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            text = _preprocessor_view(f.read())
        for arg in INCLUDE_RE.findall(text):
            arg = arg.strip()
            if not ALLOWED_INCLUDE.fullmatch(arg) or ".." in arg:
                return ("%s includes %s: graded code may include the exercise's headers and "
                        "system headers by name (\"x.h\", <sys/x.h>), nothing else"
                        % (course.shown(p), arg[:80]))
    return None


# The test harness's own names: submitted code that calls them could end a
# test as if it had passed.
HARNESS_PREFIXES = ("kata_", "criterion_", "cri_", "bxf_", "__wrap_", "__real_")
# Looking symbols up by name reaches the harness all the same.
FORBIDDEN_CALLS = ("dlsym", "dlvsym", "dlopen", "dlmopen")


def _global_symbols(paths, dynamic=False):
    """(defined, undefined) global symbol names of objects or libraries."""
    cmd = ["nm", "-P"] + (["-D"] if dynamic else []) + paths
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    defined, undefined = set(), set()
    for line in out.decode(errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0].endswith(":"):
            continue
        name, kind = fields[0].split("@")[0], fields[1]
        if kind == "U":
            undefined.add(name)
        elif kind.isupper():
            defined.add(name)
    return defined, undefined


def library_symbols():
    """The names the C library and Criterion define (cached per compiler)."""
    stamp = os.path.join(BUILD, ".state", "libsyms-" + hashlib.sha1(CC.encode()).hexdigest()[:8])
    try:
        with open(stamp) as f:
            return set(f.read().split())
    except OSError:
        pass
    libs = []
    for name in ("libc.so.6", "libcriterion.so"):
        out = subprocess.run([CC, "-print-file-name=" + name], stdout=subprocess.PIPE)
        path = out.stdout.decode().strip()
        if os.path.isabs(path):
            libs.append(os.path.realpath(path))
    names = _global_symbols(libs, dynamic=True)[0]
    os.makedirs(os.path.dirname(stamp), exist_ok=True)
    tmp = "%s.tmp%d" % (stamp, os.getpid())
    with open(tmp, "w") as f:
        f.write("\n".join(sorted(names)))
    os.replace(tmp, stamp)
    return names


def check_symbols(student_objs, other_objs, support_objs=()):
    """Refuses submitted code that replaces a library or harness function
    (which could silence a failed assertion) or reaches into the harness or
    the tests (their probes and counters decide verdicts). The exercise's
    support code is there to be called. Returns the problems, in words."""
    defined, undefined = _global_symbols(student_objs)
    tests_own = _global_symbols(other_objs)[0] if other_objs else set()
    taken = library_symbols() | tests_own | (_global_symbols(support_objs)[0] if support_objs else set())
    problems = []
    for name in sorted(defined & taken):
        problems.append("your code defines `%s`, a name the C library or the test harness "
                        "already uses: a global of that name replaces theirs in the whole "
                        "program. Rename it, or make it static." % name)
    for name in sorted(undefined):
        if name.startswith(HARNESS_PREFIXES) or name in FORBIDDEN_CALLS or name in tests_own:
            problems.append("your code uses `%s`, which belongs to the test harness or the "
                            "tests, or looks symbols up by name: exercises never need it." % name)
    return problems

"""What the katas need from the machine (Linux, a C compiler, Criterion 2.3
or newer, valgrind), each checked with a one-line error that says what to
install; a success is remembered in build/.state."""

import os
import re
import sys

from engine.course import CACHE, CC, UsageError

CRITERION_HEADER = "criterion/criterion.h"
CRITERION_MIN = (2, 3)   # tools/deps.sh and tools/autograder/setup.sh say the same


def on_path(name):
    """Whether a program of that name would run (shutil imported only here:
    most commands need nothing else of it)."""
    import shutil
    return shutil.which(name) is not None


def require_linux():
    if sys.platform != "linux":
        raise UsageError("unsupported OS '%s': the katas need Linux (pthreads, /proc, "
                         "valgrind); use a Linux machine, VM, container or WSL" % sys.platform)


def require_compiler():
    if not on_path(CC):
        raise UsageError("C compiler '%s' not found: run `make deps`" % CC)


def criterion_version_problem():
    """Why the installed Criterion will not do (one line), or None. Its
    version from `pkg-config --modversion criterion` must be CRITERION_MIN or
    newer: the tests skip what a machine cannot show with cr_skip_test(), new
    in Criterion 2.3.0 (which also brought the pkg-config file)."""
    import subprocess
    if not on_path("pkg-config"):
        return "pkg-config is not installed (it tells which Criterion is installed): run `make deps`"
    proc = subprocess.run(["pkg-config", "--modversion", "criterion"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, timeout=30)
    have, need = proc.stdout.decode(errors="replace").strip(), "%d.%d" % CRITERION_MIN
    m = re.match(r"(\d+)\.(\d+)", have)
    if proc.returncode != 0 or not m:
        return "pkg-config finds no Criterion (criterion.pc): install libcriterion-dev %s or newer" % need
    if (int(m.group(1)), int(m.group(2))) < CRITERION_MIN:
        return ("Criterion %s is too old: the tests need %s or newer (they skip with cr_skip_test, new in "
                "2.3); install libcriterion-dev %s+ (Debian 11 or newer, Ubuntu 22.04 or newer)"
                % (have, need, need))
    return None


def require_criterion():
    """Preprocesses an #include of Criterion's header and checks its version;
    remembers success."""
    stamp = os.path.join(CACHE, "criterion-ok." + re.sub(r"[^A-Za-z0-9.+-]", "_", CC)[-60:])
    if os.path.exists(stamp):
        return
    import subprocess  # only until Criterion was found once
    probe = subprocess.run([CC, "-E", "-x", "c", "-", "-o", os.devnull],
                           input=b"#include <%s>\n" % CRITERION_HEADER.encode(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        raise UsageError("Criterion (the C test framework) is not installed: run `make deps`")
    problem = criterion_version_problem()
    if problem:
        raise UsageError(problem)
    os.makedirs(CACHE, exist_ok=True)
    open(stamp, "w").close()


def require_valgrind():
    if not on_path("valgrind"):
        raise UsageError("valgrind is not installed (needed for helgrind): run `make deps`")


# The clang-format whose output the repository's style is (Debian 12's): each
# major version formats a few constructs its own way, so no other is asked.
CLANG_FORMAT_MAJOR = 14


def clang_format_major():
    """The installed clang-format's major version, or None."""
    import subprocess
    try:
        out = subprocess.run(["clang-format", "--version"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=30).stdout.decode(errors="replace")
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+)\.", out)
    return int(m.group(1)) if m else None

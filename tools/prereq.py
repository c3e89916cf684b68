"""What the katas need from the machine, checked with one-line errors.
Kept light: `make` runs preflight.py, which imports only this and course,
before every command."""

import hashlib
import os
import shutil
import subprocess
import sys

from course import ROOT, UsageError

CC = os.environ.get("CC", "gcc")
BUILD = os.path.join(ROOT, "build")
STATE = os.path.join(BUILD, ".state")
CRITERION_HEADER = "criterion/criterion.h"


def require_linux():
    if sys.platform != "linux":
        raise UsageError("unsupported OS '%s': the katas need Linux (pthreads, /proc, "
                         "valgrind); use a Linux machine, VM, container or WSL" % sys.platform)


def require_compiler():
    if not shutil.which(CC):
        raise UsageError("C compiler '%s' not found: run `make deps`" % CC)


def require_criterion():
    """Preprocesses an #include of Criterion's header; remembers success."""
    stamp = os.path.join(STATE, "criterion-found." + hashlib.sha1(CC.encode()).hexdigest()[:8])
    if os.path.exists(stamp):
        return
    probe = subprocess.run([CC, "-E", "-x", "c", "-", "-o", os.devnull],
                           input=b"#include <%s>\n" % CRITERION_HEADER.encode(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        raise UsageError("Criterion (the C test framework) is not installed: run `make deps`")
    os.makedirs(STATE, exist_ok=True)
    open(stamp, "w").close()


def require_valgrind():
    if not shutil.which("valgrind"):
        raise UsageError("valgrind is not installed (needed for helgrind): run `make deps`")

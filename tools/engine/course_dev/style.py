"""The repository's text follows its rules, for `make check`: every C file
its .clang-format (with the clang-format of the style's version), every
shell script shellcheck. Each result goes into make check's tally."""

import os
import shutil
import subprocess

from engine import machine, ui
from engine.course import ROOT


def c_sources():
    """Every C file of the repository: the ones git tracks, or (outside a git
    checkout) every .c and .h below the root but the build folder."""
    proc = subprocess.run(["git", "ls-files", "-z", "--", "*.c", "*.h"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, cwd=ROOT)
    if proc.returncode == 0 and proc.stdout:
        return sorted(f for f in proc.stdout.decode().split("\0") if f)
    found = []
    for d, dirs, files in os.walk(ROOT):
        dirs[:] = [x for x in dirs if x not in (".git", "build")]
        found += [os.path.relpath(os.path.join(d, f), ROOT) for f in files
                  if f.endswith((".c", ".h"))]
    return sorted(found)


def run_clang_format(exercises, tally):
    """Every C file of the repository follows its .clang-format."""
    files = c_sources()
    if not files:
        return
    if not shutil.which("clang-format"):
        tally.record(False, "C files follow .clang-format",
                     "clang-format is not installed: run `make deps KATA_DEV=1`")
        return
    if machine.clang_format_major() != machine.CLANG_FORMAT_MAJOR:
        print("  %s C files follow .clang-format: not checked with clang-format %s (the style is "
              "%d's; others format some constructs differently)" % (
                  ui.paint("skip", "yellow"), machine.clang_format_major(), machine.CLANG_FORMAT_MAJOR))
        return
    style = os.path.join(ROOT, ".clang-format")
    if not os.path.isfile(style):
        tally.record(False, "C files follow .clang-format", ".clang-format is missing")
        return
    proc = subprocess.run(["clang-format", "--style=file:" + style, "--dry-run", "--Werror"] + files,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    tally.record(proc.returncode == 0, "C files follow .clang-format (%d files)" % len(files),
                 proc.stdout.decode(errors="replace")[-3000:]
                 + "\nReformat with: clang-format -i $(git ls-files '*.c' '*.h') (then remake "
                 "the wrong/*.diff patches that no longer apply)")


def run_shellcheck(tally):
    scripts = [os.path.join(".ci", "run")]
    for d, _, files in os.walk(ROOT):
        if "/build" in d or "/.git" in d:
            continue
        scripts += [os.path.relpath(os.path.join(d, f), ROOT) for f in files if f.endswith(".sh")]
    scripts = [s for s in sorted(set(scripts)) if os.path.exists(os.path.join(ROOT, s))]
    if not shutil.which("shellcheck"):
        tally.record(False, "shellcheck", "shellcheck is not installed: run `make deps KATA_DEV=1`")
        return
    proc = subprocess.run(["shellcheck"] + scripts, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, cwd=ROOT)
    tally.record(proc.returncode == 0, "shellcheck clean (%d scripts)" % len(scripts),
                 proc.stdout.decode(errors="replace")[-3000:])

"""Where a submission keeps its files: whatever its layout, its .c files
copied into a SRC folder (<exercise>/<file>.c) that `make grade` reads."""

import os
import shutil


def locate(submission, exercises, dest):
    """Copies a submission's .c files into dest/<exercise>/ (a SRC folder)
    and returns what was found: {exercise: [files]}. A submission is the
    whole repository (exercises/NN-slug/x.c), its exercises folder
    (NN-slug/x.c), or just the .c files, in any folders. Symbolic links and
    big files are never taken."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    found_files = {}
    if os.path.islink(submission):  # a student's folder linked to solutions/
        return {}
    for d, dirs, files in os.walk(submission):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in ("build", "solutions"))
        for f in files:
            p = os.path.join(d, f)
            if f.endswith(".c") and not os.path.islink(p) and os.path.getsize(p) < (1 << 20):
                found_files.setdefault(f, []).append(p)
    got = {}
    for ex in exercises:
        for f in ex.files:
            candidates = found_files.get(f, [])
            if not candidates:
                continue

            def rank(p):
                parts = os.path.relpath(p, submission).split(os.sep)
                return (ex.name not in parts, "exercises" not in parts, len(parts), p)
            best = sorted(candidates, key=rank)[0]
            others = [e for e in exercises if e is not ex and f in e.files]
            if others and ex.name not in os.path.relpath(best, submission).split(os.sep):
                # the same file name in two exercises: only a folder tells them apart
                continue
            os.makedirs(os.path.join(dest, ex.name), exist_ok=True)
            shutil.copyfile(best, os.path.join(dest, ex.name, f))
            got.setdefault(ex.name, []).append(f)
    return got

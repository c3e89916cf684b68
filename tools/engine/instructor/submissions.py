"""Where a submission keeps its files: whatever its layout, its .c files
copied into a SRC folder (<exercise>/<file>.c) that `make grade` reads.

A submission is hostile input like everything else a student made: it is
read without following a link, only regular files are taken (a FIFO named
like a .c file is never opened for reading in a way that waits), never more
than MAX_DEPTH folders deep or MAX_ENTRIES names, and what was left out is
said in `notes` (grade-all puts them in the CSV)."""

import os
import shutil
import stat

from engine import readback

MAX_FILE = 1 << 20      # a .c file of a submission
MAX_DEPTH = 16          # folders below the submission's own
MAX_ENTRIES = 20000     # names read in the whole submission


def locate(submission, exercises, dest):
    """Copies a submission's .c files into dest/<exercise>/ (a SRC folder)
    and returns what was found: {exercise: [files]}. A submission is the
    whole repository (exercises/NN-slug/x.c), its exercises folder
    (NN-slug/x.c), or just the .c files, in any folders. Symbolic links and
    big files are never taken."""
    return find(submission, exercises, dest)[0]


def find(submission, exercises, dest):
    """locate(), and the notes on what was left out: ({exercise: [files]}, [words])."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    if os.path.islink(submission):  # a student's folder linked to solutions/
        return {}, ["the submission is a symbolic link: nothing in it was read"]
    if not os.path.isdir(submission):
        return {}, ["the submission is not a folder: nothing in it was read"]
    found_files, notes = _walk(submission)
    got = {}
    for ex in exercises:
        for f in ex.files:
            best = _best(ex, exercises, f, found_files.get(f, []), submission)
            if best is None:
                continue
            try:
                data = readback.safe_read(best, MAX_FILE)
            except readback.Unreadable:
                notes.append("%s could not be read as a plain file"
                             % os.path.relpath(best, submission))
                continue
            os.makedirs(os.path.join(dest, ex.name), exist_ok=True)
            with open(os.path.join(dest, ex.name, f), "wb") as out:
                out.write(data)
            got.setdefault(ex.name, []).append(f)
    return got, notes


def _walk(top):
    """{name: [paths]} of the regular .c files below top, read without
    following links, depth and count bounded; and notes on what was not."""
    found, notes, seen = {}, [], 0
    pending = [(top, 0)]
    while pending:
        d, depth = pending.pop()
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as e:
            notes.append("%s could not be read (%s)" % (os.path.relpath(d, top), e.strerror))
            continue
        for entry in entries:
            seen += 1
            if seen > MAX_ENTRIES:
                notes.append("more than %d names in the submission: the rest was not read"
                             % MAX_ENTRIES)
                return found, notes
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                if entry.name.startswith(".") or entry.name in ("build", "solutions"):
                    continue
                if depth >= MAX_DEPTH:
                    notes.append("folders more than %d deep were not read" % MAX_DEPTH)
                    continue
                pending.append((entry.path, depth + 1))
            elif entry.name.endswith(".c"):
                if not stat.S_ISREG(mode):
                    notes.append("%s is not a regular file: not read"
                                 % os.path.relpath(entry.path, top))
                elif entry.stat(follow_symlinks=False).st_size < MAX_FILE:
                    found.setdefault(entry.name, []).append(entry.path)
    return found, sorted(set(notes), key=notes.index)


def _best(ex, exercises, f, candidates, submission):
    """The candidate for exercise ex's file f, or None."""
    if not candidates:
        return None

    def rank(p):
        parts = os.path.relpath(p, submission).split(os.sep)
        return (ex.name not in parts, "exercises" not in parts, len(parts), p)
    best = sorted(candidates, key=rank)[0]
    others = [e for e in exercises if e is not ex and f in e.files]
    if others and ex.name not in os.path.relpath(best, submission).split(os.sep):
        return None  # the same file name in two exercises: only a folder tells them apart
    return best

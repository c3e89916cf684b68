"""Reading back what a graded run produced: every file is hostile input.

  safe_read(path, limit, dir_fd=None, seconds=2.0) -> bytes

opens without following a link (O_NOFOLLOW) and without waiting for a
writer (O_NONBLOCK: a FIFO), checks that it is a regular file (fstat: not
/dev/zero, not a FIFO, not a folder), reads at most `limit` bytes and gives
up after `seconds`. Anything else raises Unreadable with a sentence. With
dir_fd (a folder opened by open_dir), `path` is a name inside that folder,
so a folder above it swapped for a link leads nowhere either.
Standard library only."""

import os
import stat
import time


class Unreadable(Exception):
    """A file of the run that is not a plain, bounded regular file."""


def open_dir(path, dir_fd=None):
    """A folder opened without following a link; the caller closes it."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                       dir_fd=dir_fd)
    except OSError as e:
        raise Unreadable("%s is not a folder of the run (%s)" % (path, e.strerror))


def safe_read(path, limit, dir_fd=None, seconds=2.0):
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except OSError as e:
        raise Unreadable("%s cannot be opened as a plain file (%s)" % (path, e.strerror))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise Unreadable("%s is not a regular file" % path)
        chunks, got, deadline = [], 0, time.monotonic() + seconds
        while got < limit:
            if time.monotonic() > deadline:
                raise Unreadable("%s took more than %g s to read" % (path, seconds))
            try:
                b = os.read(fd, min(1 << 16, limit - got))
            except BlockingIOError:
                time.sleep(0.01)
                continue
            if not b:
                break
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def safe_listdir(dir_fd, limit=10000):
    """Names in a folder of the run, at most `limit` of them."""
    names = []
    with os.scandir(dir_fd) as it:
        for entry in it:
            names.append(entry.name)
            if len(names) >= limit:
                break
    return sorted(names)

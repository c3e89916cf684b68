"""Containment of graded runs: what submitted code may use (Limits: processes,
memory, CPU time, file size, open files), and as root a private /tmp and a
user of its own (uid 64000 or the next one no other grader holds, no
account needed), which may write only the run's own folder.

procs.run applies a Limits (enter() in the child, watch() beside the run);
run.py passes a Grading (the limits of one exercise, the grading user) on the
grading path and nothing on the learner's."""

import fcntl
import os
import resource
import signal
import shutil
import stat
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace

from engine import lang, procs
from engine.course import ROOT, UsageError

GRADE_UID = 64000        # as root, submitted code runs as GRADE_UID or a uid above it
# Root's own folder: in a world-writable one (/run/lock) a planted link or
# FIFO named like a lock file truncated a root file or hung every grader.
UID_LOCKS = "/run/kata-grade-uids" if os.path.isdir("/run") else "/var/lib/kata-grade-uids"

CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV, MS_BIND = 0x4000, 1 << 18, 2, 4, 0x1000
# The folders every user may write to: each gets its own small tmpfs.
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")
# The resident-memory watchdog of a graded run, MB, unless the exercise's
# memory_mb is more. Gradescope's grading lowers it to fit its machine.
TOTAL_MEMORY_MB = 1024


def _tasks_of(uid):
    """How many tasks (threads) the user runs: what RLIMIT_NPROC counts."""
    n = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/status" % entry) as f:
                    text = f.read()
            except OSError:
                continue
            fields = dict(ln.split(":", 1) for ln in text.splitlines() if ":" in ln)
            if int(fields.get("Uid", "-1").split()[0]) == uid:
                n += int(fields.get("Threads", "1"))
    return n


@dataclass
class Limits:
    """What graded code may use. Each limit fails the exercise that crossed
    it and nothing else (the run is ended, with a sentence saying why).

    processes  a watchdog ends the run when more processes than this are
               alive below it at once; and RLIMIT_NPROC (tasks of the user,
               threads included) of twice this where it means something: as
               root, for the grading user (fresh, so its count starts at 0);
               as another user, on top of that user's current count.
    memory     RLIMIT_AS of each process, bytes (valgrind 3.19 runs in 256 MB).
    total_memory  watchdog: resident memory of the whole run, bytes.
    cpu        RLIMIT_CPU of each process, seconds (the run's own time limit
               ends it anyway; this is the backstop).
    open_files RLIMIT_NOFILE.
    file_size  RLIMIT_FSIZE, bytes (a bigger file ends its writer with SIGXFSZ).
    tmp_size   as root: /tmp, /var/tmp and /dev/shm are private tmpfs of
               this size each (a disk filler fills its own, which vanishes
               with the run); a folder of `keep` inside one of them (a
               repository cloned into /tmp) is bound back in.
    uid, gid   as root: the run's user and group (never root).
    sandboxed  the program is bwrap (sandbox.command), which makes its own
               private mounts: no private /tmp here, the user switch only."""
    processes: int = 256
    memory: int = 1 << 30
    total_memory: int = 1 << 30
    cpu: int = 60
    open_files: int = 256
    file_size: int = 64 << 20
    tmp_size: int = 64 << 20
    uid: int = None
    gid: int = None
    keep: tuple = ()
    sandboxed: bool = False

    def _private_tmp(self, libc, d):
        """A fresh tmpfs over `d`; a kept folder inside it (the repository
        cloned into /tmp) is bound back in at the same path."""
        kept = [k for k in self.keep if (k + "/").startswith(d + "/")]
        fds = [os.open(k, os.O_PATH | os.O_DIRECTORY) for k in kept]
        opts = "size=%d,mode=1777" % self.tmp_size
        if libc.mount(b"kata-tmp", d.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts.encode()):
            return
        for k, fd in zip(kept, fds):
            os.makedirs(k, exist_ok=True)
            libc.mount(("/proc/self/fd/%d" % fd).encode(), k.encode(), None, MS_BIND | MS_REC,
                       None)
            os.close(fd)

    def enter(self, libc):
        """In the child, before exec."""
        root = os.geteuid() == 0
        if root and self.tmp_size and not self.sandboxed:
            if libc.unshare(CLONE_NEWNS) == 0:
                libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
                for d in SHARED_TMP:
                    if os.path.isdir(d):
                        self._private_tmp(libc, d)
        # Tasks, threads included: room for threads beside `processes`
        # processes; the watchdog ends the run at `processes` processes.
        nproc = None
        if root and self.uid:
            os.setgroups([])
            os.setgid(self.gid if self.gid is not None else self.uid)
            os.setuid(self.uid)
            nproc = 2 * self.processes
        elif not root:
            nproc = _tasks_of(os.getuid()) + 2 * self.processes
        if nproc:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        if self.open_files:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.open_files, self.open_files))
        if self.memory:
            resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
        if self.cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (self.cpu, self.cpu + 5))

    def crossed(self, alive):
        """Why the processes `alive` are more than the run may have, or None."""
        if len(alive) > self.processes:
            return lang.t("contain.processes", self.processes)
        if self.total_memory and sum(_resident(p) for p in alive) > self.total_memory:
            return lang.t("contain.memory", self.total_memory >> 20)
        return None

    def watch(self, proc, outcome, done):
        """In a thread of the engine while the run lasts: ends the run when
        it has too many processes or too much memory."""
        while not done.wait(0.05):
            why = self.crossed([p for p, v in procs.descendants().items() if v[0] != "Z"])
            if why:
                outcome.limit = why
                _end(proc, done)
                return


def _end(proc, done):
    """Stops, then kills, the run's processes until the run's own thread
    takes over (it reaps them all); never anything started after the run."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for _ in range(50):
        if done.is_set():
            break
        alive = [p for p, v in procs.descendants().items() if v[0] != "Z"]
        if not alive:
            break
        for sig in (signal.SIGSTOP, signal.SIGKILL):
            for p in alive:
                try:
                    os.kill(p, sig)
                except ProcessLookupError:
                    pass
        time.sleep(0.01)


def _resident(pid):
    try:
        with open("/proc/%d/statm" % pid) as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except (OSError, IndexError, ValueError):
        return 0


# ---- the grading user ------------------------------------------------------------

_claimed = {}   # slot -> (uid, the open lock file that holds it)


def _lock_dir():
    try:
        os.mkdir(UID_LOCKS, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(UID_LOCKS)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o022:
        raise UsageError("%s is not root's own folder (a link, or writable by others): remove "
                         "it and grade again" % UID_LOCKS)
    return UID_LOCKS


def _open_lock(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError("not a regular file: " + path)
    return os.fdopen(fd, "w")


def _uid_in_use(uid):
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat("/proc/" + entry).st_uid == uid:
                return True
        except OSError:
            pass
    return False


def grading_uid(slot):
    """As root: a user of this grader's own, never shared with another grader
    on the machine (a lock file per uid, held while this process lives, and
    no process running as it), so its process count and clean-up are its
    own. None when we are not root."""
    if os.geteuid() != 0:
        return None
    if slot not in _claimed:
        locks = _lock_dir()
        for uid in range(GRADE_UID + slot, GRADE_UID + 1000):
            try:
                f = _open_lock(os.path.join(locks, "kata-grade-uid-%d.lock" % uid))
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue
            if _uid_in_use(uid):
                f.close()
                continue
            _claimed[slot] = (uid, f)
            break
        else:
            raise UsageError("no free grading user between uid %d and %d" % (GRADE_UID, GRADE_UID + 999))
    return _claimed[slot][0]


class Grading:
    """The containment of one grader (`slot`: which of a class's parallel
    graders it is): the limits of each exercise, its own user, folders only
    that user may write. `mode` is the sandbox's (sandbox.mode(), chosen by
    the caller): with "namespaces", run.py builds and runs in a box
    (build.Box, kept in `box` for the exercise's helgrind run; close()
    removes it)."""

    def __init__(self, slot=0, mode="users"):
        self.slot = slot
        self.mode = mode
        self.box = None

    @property
    def sandboxed(self):
        return self.mode == "namespaces"

    def limits(self, ex, seconds):
        return Limits(processes=ex.processes, memory=ex.memory_mb << 20,
                      total_memory=max(ex.memory_mb, TOTAL_MEMORY_MB) << 20, cpu=int(seconds) + 10,
                      uid=grading_uid(self.slot), keep=(ROOT,), sandboxed=self.sandboxed)

    def close(self):
        if self.box is not None:
            self.box.remove()
            self.box = None


def writable_by(path, uid):
    """A fresh folder the grading user may write (and nothing else)."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    if uid is not None:
        os.chown(path, uid, uid)


def reachable_folder(prefix):
    """A fresh folder (mode 0711) the grading user can enter wherever the
    repository is: in /tmp, not TMPDIR, which may lie inside a folder it
    cannot enter."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp" if os.path.isdir("/tmp") else None)
    os.chmod(path, 0o711)
    return path


@contextmanager
def staged_run(limits, files):
    """Without the sandbox, as root: the programs a graded run executes,
    copied into a fresh folder the grading user can enter wherever the
    repository is (a clone inside a 0700 folder such as /root stays shut to
    it), with `run/` the only place it may write. Yields (folder, limits that
    keep the folder through the private /tmp, {name: copied path});
    removes the folder afterwards."""
    if limits is None or limits.uid is None:
        yield None, limits, dict(files)
        return
    top = reachable_folder("kata-run-")
    try:
        copies = {}
        for name, path in files.items():
            dest = os.path.join(top, name)
            shutil.copyfile(path, dest)
            os.chmod(dest, 0o755)
            copies[name] = dest
        writable_by(os.path.join(top, "run"), limits.uid)
        yield top, replace(limits, keep=tuple(limits.keep) + (top,)), copies
    finally:
        shutil.rmtree(top, ignore_errors=True)


def staged_environ(top):
    """The environment of a run staged by staged_run: the grader's, less a
    TMPDIR the grading user may not be able to enter (valgrind writes there)."""
    env = dict(os.environ)
    if top:
        env.pop("TMPDIR", None)
    return env


def check_reachable(path, uid):
    """As root: can the grading user reach and run `path`?"""
    if uid is None:
        return
    d = os.path.dirname(os.path.abspath(path))
    while d != os.sep:
        if not os.stat(d).st_mode & 0o001:
            raise UsageError("the grading user (uid %d) cannot enter %s: make the folders above "
                             "the repository searchable (chmod o+x) or grade as another user" % (uid, d))
        d = os.path.dirname(d)

"""Containment of graded runs: what submitted code may use (Limits: processes,
memory, CPU time, file size, open files), and as root a private /tmp and a
user of its own (uid 64000 or the next one no other grader holds, no
account needed), which may write only the run's own folder.

procs.run applies a Limits (enter() in the child, watch() beside the run);
run.py passes a Grading (the limits of one exercise, the grading user) on the
grading path and nothing on the learner's. Without the sandbox (mode
"users"), the files the grading user writes are bounded in bytes and count
wherever it may write (Limits.written) and swept afterwards (sweep), and the
repository must be shut to other users (require_shut).

Why so long: each limit is set (enter), watched (watch) and undone (sweep)
here, for the grading user this module also chooses; apart they would drift."""

import ctypes
import fcntl
import os
import resource
import signal
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass

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
# Every place any user may write; without the sandbox, what the grading user
# owns there counts as the run's (Limits.written) and is swept afterwards.
WORLD_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")
WRITE_BYTES = 256 << 20   # all the files a run writes, together
WRITE_FILES = 2000


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
               private mounts: no private /tmp here, the user switch only.
    written    folders the run may write (its box's out/): a watchdog ends
               the run when they, and without the sandbox everything the
               grading user owns in the world-writable places
               (WORLD_WRITABLE), hold more than `write_bytes` bytes or
               `write_files` files together (the file size cap is per
               file); sweep() removes the latter afterwards."""
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
    written: tuple = ()
    write_bytes: int = WRITE_BYTES
    write_files: int = WRITE_FILES

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
        # POSIX message queues outlive a run outside an IPC namespace, and
        # no exercise needs one: none may be made
        resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))
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

    def over_written(self):
        """Why the run's files are more than it may write, or None."""
        places = list(self.written)
        if self.uid is not None and not self.sandboxed:
            places += owned_in_shared(self.uid)
        files, size = 0, 0
        for top in places:
            n, b = _usage(top, self.write_files + 1 - files)
            files, size = files + n, size + b
            if files > self.write_files or size > self.write_bytes:
                return lang.t("contain.written", self.write_bytes >> 20, self.write_files)
        return None

    def watch(self, proc, outcome, done):
        """In a thread of the engine while the run lasts: ends the run when
        it has too many processes, too much memory or too many bytes or
        files written (looked at every fifth round, and once at the end)."""
        rounds = 0
        while not done.wait(0.05):
            rounds += 1
            why = self.crossed([p for p, v in procs.descendants().items() if v[0] != "Z"])
            if not why and self.written and rounds % 5 == 0:
                why = self.over_written()
            if why:
                outcome.limit = why
                _end(proc, done)
                return
        if self.written:
            outcome.limit = self.over_written() or ""


def _usage(top, most):
    """(files, bytes) below `top` (itself included when it is a file),
    counting at most `most` entries; never follows a link."""
    files, size, stack = 0, 0, [top]
    while stack and files < most:
        d = stack.pop()
        try:
            st = os.lstat(d)
        except OSError:
            continue
        files += 1
        size += st.st_blocks * 512
        if stat.S_ISDIR(st.st_mode):
            try:
                with os.scandir(d) as it:
                    stack += [e.path for e in it]
            except OSError:
                pass
    return files - (1 if os.path.isdir(top) else 0), size


def owned_in_shared(uid):
    """What the grading user owns at the top of the world-writable places."""
    found, places = [], list(WORLD_WRITABLE)
    while places:
        d = places.pop()
        try:
            with os.scandir(d) as it:
                for e in it:
                    st = e.stat(follow_symlinks=False)
                    if st.st_uid == uid:
                        found.append(e.path)
                    elif stat.S_ISDIR(st.st_mode) and st.st_mode & 0o002 and d in WORLD_WRITABLE:
                        places.append(e.path)   # /tmp/.X11-unix and the like
        except OSError:
            pass
    return found


def sweep(uid):
    """Removes what the grading user left in the world-writable places and
    its System V IPC objects (it is this grader's own user, and none of its
    processes is left)."""
    for p in owned_in_shared(uid):
        try:
            if stat.S_ISDIR(os.lstat(p).st_mode):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.unlink(p)
        except OSError:
            pass
    _sweep_ipc(uid)


IPC_RMID = 0
SYSV = (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl"))


def _sweep_ipc(uid):
    """Removes the System V objects the grading user owns or made
    (/proc/sysvipc lists them; their uid and cuid columns)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for kind, call in SYSV:
        try:
            with open("/proc/sysvipc/" + kind) as f:
                rows = f.read().splitlines()
        except OSError:
            continue
        head = rows[0].split() if rows else []
        for row in rows[1:]:
            f = dict(zip(head, row.split()))
            ident = row.split()[1] if len(row.split()) > 1 else ""   # shmid, semid, msqid
            if str(uid) in (f.get("uid"), f.get("cuid")) and ident.isdigit():
                ident = int(ident)
                if kind == "sem":
                    libc.semctl(ident, 0, IPC_RMID)
                else:
                    getattr(libc, call)(ident, IPC_RMID, None)


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

    @property
    def boxed(self):
        """Built and run from a box (build.Box): in the sandbox, or as root
        as the grading user; not by a non-root grader without one."""
        return self.sandboxed or (self.mode == "users" and grading_uid(self.slot) is not None)

    def limits(self, ex, seconds):
        box = (self.box.path,) if self.box is not None else ()
        return Limits(processes=ex.processes, memory=ex.memory_mb << 20,
                      total_memory=max(ex.memory_mb, TOTAL_MEMORY_MB) << 20, cpu=int(seconds) + 10,
                      uid=grading_uid(self.slot), keep=(ROOT,) + box, sandboxed=self.sandboxed,
                      written=(self.box.out,) if self.box is not None else ())

    def close(self):
        if self.box is not None:
            self.box.remove()
            self.box = None
        uid = grading_uid(self.slot)
        if uid is not None and not self.sandboxed:
            sweep(uid)


def reachable_by_others(path):
    """Could a user with no group of its own here (the grading user) reach
    `path`: every folder from / down to it searchable by others?"""
    p = os.path.abspath(path)
    parts = [p] + [d for d in _parents(p)]
    for d in parts:
        try:
            if not os.stat(d).st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def _parents(p):
    while p != os.sep:
        p = os.path.dirname(p)
        yield p


def require_shut(paths):
    """Mode "users" (no sandbox): the grading user sees the machine's files
    as any user does, so the repository (solutions/, hidden tests) and the
    instructor's folders must be shut to other users. Refuses in one line."""
    for path in paths:
        if path and os.path.isdir(path) and reachable_by_others(path):
            raise UsageError(lang.t("contain.reachable", os.path.abspath(path), os.path.abspath(path)))


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

"""Running untrusted programs: bounded in time, in their own session, and
never leaving a process behind.

This process becomes a child subreaper, so every orphan of the program it
runs is re-parented here and can be found and ended, even one that left the
process group with setsid()."""

import ctypes
import os
import resource
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
_subreaper = False


def become_subreaper():
    global _subreaper
    if not _subreaper:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        _subreaper = True


def _stat(pid):
    """(state, ppid, name) of a process, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            text = f.read()
    except OSError:
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), name


def descendants(root=None):
    """Every process below `root` (default: this one), as {pid: (state, name)}."""
    root = os.getpid() if root is None else root
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                table[int(entry)] = st
    found, frontier = {}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (state, ppid, name) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = (state, name)
                frontier.append(pid)
    return found


def _reap_all():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_descendants():
    """Ends every process below this one; returns those that were alive."""
    alive_at_start = None
    for _ in range(200):
        procs = descendants()
        alive = {p: v for p, v in procs.items() if v[0] != "Z"}
        if alive_at_start is None:
            alive_at_start = procs  # zombies too: a process nobody reaped
        # Stop first, so a process that forks in a loop cannot outrun us.
        for pid in alive:
            try:
                os.kill(pid, signal.SIGSTOP)
            except ProcessLookupError:
                pass
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap_all()
        if not descendants():
            break
        time.sleep(0.005)
    return alive_at_start or {}


@dataclass
class Outcome:
    returncode: int = None   # exit status, or -signal
    timed_out: bool = False
    seconds: float = 0.0
    leftovers: dict = None   # processes still alive after the program ended
    limit: str = ""          # the containment limit that ended the run, in words


def _limits(file_size=None, memory=None, cpu=None, contain=None):
    """Runs in the child before exec: limits, and death with the engine (so a
    program that kills the engine does not outlive it). With `contain` (a
    Limits), also private size-bounded temporary folders and an unprivileged
    user when we are root, and every limit a Limits names."""
    def apply():
        libc = ctypes.CDLL(None, use_errno=True)
        if contain is not None:
            contain.enter(libc)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after setuid, which clears it
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if file_size:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if cpu:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    return apply


# ---- containment (grading) -------------------------------------------------

CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE, MS_NOSUID, MS_NODEV, MS_BIND = 0x4000, 1 << 18, 2, 4, 0x1000
# The folders every user may write to: each gets its own small tmpfs.
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")


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
    uid, gid   as root: the run's user and group (never root)."""
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
        if root and self.tmp_size:
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


def _resident(pid):
    try:
        with open("/proc/%d/statm" % pid) as f:
            return int(f.read().split()[1]) * resource.getpagesize()
    except (OSError, IndexError, ValueError):
        return 0


def _watch(proc, limits, outcome, done):
    """Ends the run when it has too many processes or too much memory."""
    while not done.wait(0.05):
        procs = {p: v for p, v in descendants().items() if v[0] != "Z"}
        why = None
        if len(procs) > limits.processes:
            why = ("it started more than %d processes at once (a fork bomb?), the most a run "
                   "may have" % limits.processes)
        elif limits.total_memory and sum(_resident(p) for p in procs) > limits.total_memory:
            why = ("its processes used more than %d MB of memory together, the most a run "
                   "may use" % (limits.total_memory >> 20))
        if why:
            outcome.limit = why
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            # Stopped, then killed, until the run's own thread takes over
            # (it reaps them all); never anything started after the run.
            for _ in range(50):
                if done.is_set():
                    break
                alive = [p for p, v in descendants().items() if v[0] != "Z"]
                if not alive:
                    break
                for sig in (signal.SIGSTOP, signal.SIGKILL):
                    for p in alive:
                        try:
                            os.kill(p, sig)
                        except ProcessLookupError:
                            pass
                time.sleep(0.01)
            return


def run_capture(argv, timeout, cwd=None, memory=2 << 30):
    """Runs a tool (the compiler) on untrusted input: stdin closed, memory and
    time bounded, its whole group ended on time-out. Returns (status, output),
    status None when it ran out of time."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True,
                            preexec_fn=_limits(memory=memory, cpu=int(timeout) + 1))
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out.decode(errors="replace")


def run(argv, timeout, out_path, env=None, cwd=None, file_size=64 << 20, contain=None):
    """Runs argv with stdout and stderr to out_path, stdin closed, in a new
    session; ends it and all its descendants after `timeout` seconds. With
    `contain` (a Limits), the run is also contained: see Limits."""
    become_subreaper()
    start = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True,
                                preexec_fn=_limits(file_size=file_size, contain=contain))
        outcome = Outcome()
        expired = threading.Event()
        done = threading.Event()
        watcher = None
        if contain is not None:
            watcher = threading.Thread(target=_watch, args=(proc, contain, outcome, done), daemon=True)
            watcher.start()

        def stop():
            expired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            outcome.returncode = proc.wait()  # blocks in waitpid: no polling delay
        finally:
            timer.cancel()
            done.set()
            if watcher is not None:
                watcher.join()
        if expired.is_set():
            outcome.timed_out = True
            kill_descendants()
    outcome.seconds = time.monotonic() - start
    # Whatever is still there was left behind by the program.
    outcome.leftovers = {} if outcome.timed_out or outcome.limit else kill_descendants()
    if outcome.limit:
        kill_descendants()
    return outcome

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
    user when we are root, and every limit a Limits names (contain.py)."""
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


def run_capture(argv, timeout, cwd=None, memory=2 << 30, file_size=64 << 20):
    """Runs a tool (the compiler) on untrusted input: stdin closed, memory,
    file size and time bounded, its whole group ended on time-out. Returns
    (status, output), status None when it ran out of time."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True,
                            preexec_fn=_limits(memory=memory, cpu=int(timeout) + 1,
                                               file_size=file_size))
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out.decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out.decode(errors="replace")


SETTLE_SECONDS = 2.0


def _settle():
    """bwrap's outer process ends as soon as the sandbox's init reports the
    program's exit, a moment before that init (re-parented here) is gone;
    when the init ends, the kernel ends every process of its PID namespace.
    Waits for that and reaps them, so nothing of the sandbox is counted as
    left behind by chance: with a PID namespace nothing can be."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        _reap_all()
        if not descendants():
            return
        time.sleep(0.005)


def reap_orphans(name, seconds=SETTLE_SECONDS):
    """Waits, at most `seconds`, for processes called `name` below this one
    (a sandbox's init re-parented here after bwrap's outer process ended)
    to end, and reaps them, so that they never count as a later run's."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        mine = [pid for pid, (_, n) in descendants().items() if n == name]
        if not mine:
            return
        for pid in mine:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.005)


def _tree_cpu(pids, waits):
    """CPU seconds the processes and their reaped children used; `waits`
    (thread id -> seconds it waited, runnable, for a CPU) gets every living
    thread's wait, and keeps those of threads that have ended."""
    ticks = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                text = f.read()
            ticks += sum(int(x) for x in text[text.rindex(")") + 2:].split()[11:15])
            tids = os.listdir("/proc/%d/task" % pid)
        except (OSError, ValueError):
            continue
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    waits[int(tid)] = int(f.read().split()[1]) / 1e9
            except (OSError, IndexError, ValueError):
                pass
    return ticks / os.sysconf("SC_CLK_TCK")


def starved(root, elapsed, waits=None):
    """Seconds a run could not run because other programs held the CPUs: what
    its threads, the living and (through `waits`, filled on every call) those
    that ended, such as Criterion's short-lived workers, waited for a CPU,
    together; but no more than the CPU time the machine had and the run did
    not use (a run that keeps every CPU busy itself, or one that sleeps,
    waits for no one)."""
    waits = {} if waits is None else waits
    pids = [root] + [p for p, v in descendants(root).items() if v[0] != "Z"]
    used = _tree_cpu(pids, waits)
    cpus = len(os.sched_getaffinity(0)) or 1
    return max(0.0, min(sum(waits.values()), elapsed - used / cpus))


SAMPLE_SECONDS = 0.25  # how often a run's threads' waits are read
STARVED_LIMITS = 3     # a starved run gets at most this many more limits


def _expire(proc, timeout, start, done, stop):
    """Ends the run after `timeout` seconds in which it could run: the time
    it waited for a CPU that other programs held does not count (at most
    STARVED_LIMITS more limits), so a loaded machine does not turn a slow
    right answer into a time-out, and a sleeping or spinning run still ends
    in time. The waits are read while the run lasts, so that those of the
    processes that ended count too."""
    waits, deadline = {}, start + timeout
    while not done.wait(max(0.0, min(deadline - time.monotonic(), SAMPLE_SECONDS))):
        now = time.monotonic()
        lost = starved(proc.pid, now - start, waits)
        deadline = start + timeout + min(STARVED_LIMITS * timeout, lost)
        if deadline - now < 0.05:
            stop()
            return


def run(argv, timeout, out_path, env=None, cwd=None, file_size=64 << 20, contain=None,
        pass_fds=()):
    """Runs argv with stdout and stderr to out_path, stdin closed, in a new
    session; ends it and all its descendants after `timeout` seconds of
    running time (_expire). With `contain` (a contain.Limits: its enter()
    runs in the child before exec, its watch() in a thread of ours while the
    run lasts), the run is also contained, and when the time is up, a limit
    the run has crossed by then is the reason, not the time: the same reason
    whichever check comes first. pass_fds: descriptors the program inherits
    (a channel only the grader reads)."""
    become_subreaper()
    start = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True, pass_fds=pass_fds,
                                preexec_fn=_limits(file_size=file_size, contain=contain))
        outcome = Outcome()
        expired = threading.Event()
        done = threading.Event()
        watcher = None
        if contain is not None:
            watcher = threading.Thread(target=contain.watch, args=(proc, outcome, done), daemon=True)
            watcher.start()

        def stop():
            if contain is not None and not outcome.limit:
                why = contain.crossed([p for p, v in descendants().items() if v[0] != "Z"])
                outcome.limit = why or ""
            expired.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Thread(target=_expire, args=(proc, timeout, start, done, stop), daemon=True)
        timer.start()
        try:
            outcome.returncode = proc.wait()  # blocks in waitpid: no polling delay
        finally:
            done.set()
            timer.join()
            if watcher is not None:
                watcher.join()
        if expired.is_set():
            outcome.timed_out = True
            kill_descendants()
    if getattr(contain, "sandboxed", False) and not expired.is_set():
        _settle()
    outcome.seconds = time.monotonic() - start
    # Whatever is still there was left behind by the program.
    outcome.leftovers = {} if outcome.timed_out or outcome.limit else kill_descendants()
    if outcome.limit:
        kill_descendants()
    return outcome

"""The sandbox graded code runs in: bubblewrap (bwrap) where the kernel
allows namespaces, user separation where it does not, refusal otherwise.

  mode()     "namespaces": bwrap runs here with private mount, IPC, network,
                           PID and UTS namespaces (probed once per process);
             "users":      no namespaces, but we are root: graded code runs
                           as a grading user of its own, guarded by file
                           permissions (procs.Limits);
             "none":       neither: grading untrusted code is refused
                           (require_sandbox) unless KATA_UNSANDBOXED=1.
             KATA_SANDBOX=users or =none asks for a weaker mode than the
             probe found (to try the fallbacks; never a stronger one).
  command()  the bwrap argv that runs a program inside.

Inside, the program sees a read-only system (/usr and the /lib, /bin links,
the few /etc files the toolchain reads), the folders it is given (read-only
or the one writable folder) and nothing else: not the repository, not
solutions/, not other students, not root's files. /tmp is a private
size-capped tmpfs (and /var/tmp, /run/lock lead into it), /dev/shm another;
they vanish with the run. The caller switches to the grading uid before
bwrap starts (procs.Limits does, as root): bwrap then makes an unprivileged
user namespace, so the program's files outside belong to the grading user,
never to root. Imports only procs of the engine (layer 6, beside
contain.py: run.py and build.py choose it, contain.Limits switches the user)."""

import os
import shutil
import subprocess
import sys

from engine import procs

BWRAP = "bwrap"
MODES = ("namespaces", "users", "none")
# The system the toolchain needs, read-only. /usr holds gcc, binutils,
# valgrind, Criterion and the C library; the top-level links lead into it.
SYSTEM_DIRS = ("/usr",)
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
             "/etc/localtime")
SHM_MB = 16
PROBE_UID = 65534   # nobody: the probe runs as an unprivileged user, like grading

_mode = None


class Refused(Exception):
    """Grading untrusted code here would run it with the grader's own rights."""


def _system_args():
    args = []
    for d in SYSTEM_DIRS:
        args += ["--ro-bind", d, d]
    for p in SYSTEM_LINKS:
        if os.path.islink(p):
            args += ["--symlink", os.readlink(p), p]
        elif os.path.isdir(p):
            args += ["--ro-bind", p, p]
    for p in ETC_FILES:
        if os.path.exists(p):
            args += ["--ro-bind", p, p]
    return args


def command(argv, *, uid=None, ro_binds=(), rw_dir=None, tmp_mb=64, cwd=None, env=None):
    """The bwrap argv that runs `argv` sandboxed.

    uid       the user the program runs as inside (the caller is already
              that user outside; default: the caller's own uid)
    ro_binds  (host path, path inside) pairs, bound read-only
    rw_dir    (host path, path inside): the one writable folder, or None
    tmp_mb    size of the private /tmp (and /dev/shm: SHM_MB)
    cwd       working folder inside
    env       the whole environment inside (nothing else is passed)"""
    uid = os.getuid() if uid is None else uid
    cmd = [BWRAP, "--unshare-user", "--unshare-ipc", "--unshare-pid", "--unshare-net",
           "--unshare-uts", "--unshare-cgroup-try", "--uid", str(uid), "--gid", str(uid),
           "--hostname", "kata", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--disable-userns"]
    cmd += _system_args()
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--size", str(tmp_mb << 20), "--perms", "1777", "--tmpfs", "/tmp",
            "--size", str(SHM_MB << 20), "--perms", "1777", "--tmpfs", "/dev/shm",
            "--symlink", "/tmp", "/var/tmp", "--symlink", "/tmp", "/run/lock"]
    for src, dest in ro_binds:
        cmd += ["--ro-bind", src, dest]
    if rw_dir:
        cmd += ["--bind", rw_dir[0], rw_dir[1]]
    if cwd:
        cmd += ["--chdir", cwd]
    cmd += ["--clearenv"]
    for k, v in sorted((env or {}).items()):
        cmd += ["--setenv", k, v]
    return cmd + ["--"] + list(argv)


# The guard: the sandbox's first program, which runs the graded program and,
# once it ended, names every process of the sandbox still there (the PID
# namespace holds only the run's) on a descriptor of its own, before it ends
# them all; bwrap then sees the graded program's own status. Non-dumpable, so
# the run (the same user) can neither open its descriptors through /proc nor
# trace it; a subreaper, so the run's orphans wait for it as zombies instead
# of being reaped by bwrap's init by chance. A run that kills it reports no
# verdict, and a missing verdict fails the run (guard_verdict).
GUARD = r"""
import ctypes, os, signal, sys
libc = ctypes.CDLL(None)
libc.prctl(4, 0, 0, 0, 0)
libc.prctl(36, 1, 0, 0, 0)
fd = int(sys.argv[1])
os.set_inheritable(fd, False)
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
status = os.waitpid(pid, 0)[1]
me, left = os.getpid(), []
for e in sorted(os.listdir("/proc")):
    if e.isdigit() and int(e) not in (1, me):
        try:
            with open("/proc/%s/stat" % e) as f:
                t = f.read()
        except OSError:
            continue
        name = t[t.index("(") + 1:t.rindex(")")].replace(" ", "_").replace(":", "_")
        left.append("%s:%s:%s" % (e, t[t.rindex(")") + 2], name))
os.write(fd, ("left %d %s\n" % (len(left), " ".join(left[:50]))).encode())
os.close(fd)
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(me, os.WTERMSIG(status))
os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
"""


def _python():
    """A Python the sandbox sees (its /usr)."""
    exe = os.path.realpath(sys.executable)
    return exe if exe.startswith("/usr/") else "/usr/bin/python3"


def guarded(argv, fd):
    """`argv` run under the guard, which reports on descriptor `fd`."""
    return [_python(), "-S", "-c", GUARD, str(fd)] + list(argv)


def guard_verdict(data):
    """The guard's report: {pid: (state, name)} of the processes left, or
    None when it made none (the run ended it)."""
    lines = data.decode("ascii", "replace").splitlines()
    if len(lines) != 1 or not lines[0].startswith("left "):
        return None
    words = lines[0].split()
    if len(words) < 2 or not words[1].isdigit():
        return None
    left = {}
    for w in words[2:]:
        pid, _, rest = w.partition(":")
        state, _, name = rest.partition(":")
        if not pid.isdigit():
            return None
        left[int(pid)] = (state, name)
    if int(words[1]) and not left:
        return None
    return left


def _as_probe_user():
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(PROBE_UID)
        os.setuid(PROBE_UID)


def probe():
    """Can bwrap run `true` here with every namespace command() asks for?"""
    if not shutil.which(BWRAP):
        return False
    argv = command(["true"], uid=PROBE_UID if os.geteuid() == 0 else None, cwd="/",
                   env={"PATH": "/usr/bin:/bin"})
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, preexec_fn=_as_probe_user, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        procs.reap_orphans("bwrap")
    return done.returncode == 0


def mode():
    """The strongest containment this machine allows (probed once), or the
    weaker one KATA_SANDBOX asks for."""
    global _mode
    if _mode is None:
        if probe():
            found = "namespaces"
        elif os.geteuid() == 0:
            found = "users"
        else:
            found = "none"
        asked = os.environ.get("KATA_SANDBOX", "")
        if asked and asked not in MODES:
            raise ValueError("KATA_SANDBOX=%s: say namespaces, users or none" % asked)
        if asked and MODES.index(asked) > MODES.index(found):
            found = asked
        _mode = found
    return _mode


def require_sandbox():
    """Refuses to grade untrusted code with the grader's own rights (mode
    "none") unless the instructor opts in with KATA_UNSANDBOXED=1."""
    if mode() == "none" and os.environ.get("KATA_UNSANDBOXED") != "1":
        raise Refused("no sandbox here (no user namespaces for bubblewrap, and not root for a "
                      "grading user): submitted code would run as you; grade as root or in a "
                      "container that allows namespaces, or set KATA_UNSANDBOXED=1 to grade "
                      "trusted code anyway")

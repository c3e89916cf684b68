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

"""Grades the hostile corpus (tests/tools/fixtures/attacks/) and says, per
case, whether the grader held: 0 points, nothing left behind, nothing
leaked, nothing hung.

  python3 -S tests/tools/attack_grade.py [CASE ...] [--as-user] [--drop-sys-admin]
                                         [--repo DIR] [--bound S] [--list] [--gradescope]

Run as root (it plants a root-only canary and may create a test user).
It grades a copy of the repository (default: the one holding this file),
never the repository itself, and cleans up after every case. Options:

  CASE ...          only these cases (names or name prefixes)
  --as-user         grade as an unprivileged user (created, removed after)
  --drop-sys-admin  grade as root without CAP_SYS_ADMIN (capsh)
  --repo DIR        the repository whose grader is attacked
  --bound S         seconds one grading may take (default 150; grade-all 300)
  --list            list the cases and stop
  --keep            keep the work folder (the logs of every grading)
  --gradescope      grade each submission ("grade" cases) the way Gradescope
                    does: the autograder zip (make gradescope) unpacked in a
                    folder laid out like /autograder, its run_autograder run

Each case prints `ok  NAME` or `BREACH NAME: what`; the last line is
`N passed, N failed`. Exit status 0 when every case passed."""

import argparse
import configparser
import fcntl
import hashlib
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REPO = os.path.dirname(os.path.dirname(HERE))
ATTACKS_REL = os.path.join("tests", "tools", "fixtures", "attacks")
# lang.MESSAGES["run.code refused"], in either language: what a case the
# object policy must refuse (refused = yes) has to be told
REFUSED_WORDS = ("your code was refused before any test ran", "你的代码在运行任何测试之前就被拒绝了")
# The attacks name these; in this runner's copy of the corpus they are
# rewritten to names of its own, so that runners never meet.
CORPUS_CANARY_DIR = "/srv/kata-canary"
CORPUS_TCP_PORT = b"47615"
CORPUS_SOCKET = b"kata-attack-socket"
RUN_ID = hashlib.sha1(os.urandom(8)).hexdigest()[:8]
CANARY_DIR = CORPUS_CANARY_DIR + "-" + RUN_ID
SECRET = os.path.join(CANARY_DIR, "secret")
VICTIM = os.path.join(CANARY_DIR, "victim")
SHARED_LOCK = "/srv/kata-attack-shared.lock"   # held while lock files are planted
TEST_USER = "kataatk-" + RUN_ID       # --as-user: a user of this run's own
WATCHED = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
GRADE_UIDS = range(64000, 66000)          # today's grading users
UNIX_NAME = b"\0" + CORPUS_SOCKET + b"-" + RUN_ID.encode()

FILE_CAP = 1 << 30                        # RLIMIT_FSIZE of every grading
MEMORY_CAP = 4 << 30                      # RLIMIT_AS of the grader itself
BUILD_BYTES_CAP = 512 << 20               # what a case may leave in build/
BUILD_FILES_CAP = 20000
SHMEM_CAP = 1 << 30                       # memory outside every process's RSS


def fail(msg):
    print("attack_grade: " + msg, file=sys.stderr)
    sys.exit(2)


# ---- canaries -----------------------------------------------------------------

class Canaries:
    def __init__(self):
        tok = lambda: hashlib.sha1(os.urandom(16)).hexdigest()[:16]
        self.secret = "KATA-CANARY-SECRET-" + tok()
        self.solution = "KATA-CANARY-SOLUTION-" + tok()
        self.hidden = "KATA-CANARY-HIDDEN-" + tok()
        self.env = "KATA-CANARY-ENV-" + tok()
        self.victim = "precious root file " + tok() + "\n"

    def all(self):
        return {"secret": self.secret, "solution": self.solution, "hidden": self.hidden,
                "environment": self.env, "probe": "KATA-PROBE"}

    def plant(self):
        shutil.rmtree(CANARY_DIR, ignore_errors=True)
        os.makedirs(CANARY_DIR, mode=0o700)
        os.chmod(CANARY_DIR, 0o700)
        for path, text in ((SECRET, self.secret + "\n"), (VICTIM, self.victim)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, text.encode())
            os.close(fd)

    def intact(self):
        """The planted canaries are still there (re-planted when not)."""
        try:
            with open(SECRET) as f:
                ok = f.read().strip() == self.secret
        except OSError:
            ok = False
        if not ok:
            self.plant()
        return ok

    def victim_intact(self):
        try:
            with open(VICTIM) as f:
                return f.read() == self.victim
        except OSError:
            return False

    def restore_victim(self):
        os.makedirs(CANARY_DIR, mode=0o700, exist_ok=True)
        with open(VICTIM, "w") as f:
            f.write(self.victim)
        os.chmod(VICTIM, 0o600)

    def remove(self):
        shutil.rmtree(CANARY_DIR, ignore_errors=True)


HIDDEN_TEST = """/* %s: a hidden test (planted by tests/tools/attack_grade.py) */
#include "isolation.h"
#include "kata.h"

KATA_SUITE(hidden_canary);

KATA_TEST(hidden_canary, child_exit_status_is_seven)
{
    cr_assert_eq(child_exit_status(7), 7, "child_exit_status(7) returned %%d, not 7",
                 child_exit_status(7));
}
"""


# ---- the repository copy ----------------------------------------------------------

def _rewrite(data, port):
    return (data.replace(CORPUS_CANARY_DIR.encode(), CANARY_DIR.encode())
            .replace(CORPUS_TCP_PORT, str(port).encode())
            .replace(CORPUS_SOCKET, CORPUS_SOCKET + b"-" + RUN_ID.encode()))


def copy_repo(src, dest, can, port):
    """The files git knows (tracked and untracked, not ignored), copied;
    solutions and a hidden test marked with canaries; the corpus's fixed
    names made this run's own."""
    out = subprocess.run(["git", "-C", src, "ls-files", "-z", "-co", "--exclude-standard"],
                         stdout=subprocess.PIPE, check=True).stdout
    files = set(p for p in out.decode().split("\0") if p)
    # The corpus is generated (attack_cases.py) and ignored by git: copy it whole.
    for d, dirs, names in os.walk(os.path.join(src, ATTACKS_REL)):
        for n in names + [x for x in dirs if os.path.islink(os.path.join(d, x))]:
            files.add(os.path.relpath(os.path.join(d, n), src))
    for rel in sorted(files):
        s, d = os.path.join(src, rel), os.path.join(dest, rel)
        if not os.path.lexists(s):
            continue
        os.makedirs(os.path.dirname(d), exist_ok=True)
        corpus = rel.startswith(ATTACKS_REL + os.sep)
        if os.path.islink(s):
            target = os.readlink(s)
            os.symlink(_rewrite(target.encode(), port).decode() if corpus else target, d)
        elif corpus:
            with open(s, "rb") as f:
                data = f.read()
            with open(d, "wb") as f:
                f.write(_rewrite(data, port))
        else:
            shutil.copy2(s, d)
    for d, _, files in os.walk(os.path.join(dest, "solutions")):
        for f in files:
            if f.endswith(".c"):
                p = os.path.join(d, f)
                with open(p) as fh:
                    text = fh.read()
                with open(p, "w") as fh:
                    fh.write("/* %s */\n%s" % (can.solution, text))
    hidden = os.path.join(dest, "tests", "01-isolation", "hidden")
    os.makedirs(hidden, exist_ok=True)
    with open(os.path.join(hidden, "test_canary.c"), "w") as f:
        f.write(HIDDEN_TEST % can.hidden)


def tree_digest(repo):
    """{path: sha1} of the copy, build/ left out."""
    digest = {}
    for d, dirs, files in os.walk(repo):
        if d == repo:
            dirs[:] = [x for x in dirs if x != "build"]
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as fh:
                digest[os.path.relpath(p, repo)] = hashlib.sha1(fh.read()).hexdigest()
    return digest


def du(path):
    files, size = 0, 0
    for d, dirs, names in os.walk(path):
        for n in names + dirs:
            try:
                st = os.lstat(os.path.join(d, n))
            except OSError:
                continue
            files += 1
            size += st.st_blocks * 512
    return files, size


# ---- what is on the machine --------------------------------------------------------

def _proc_uid(pid):
    try:
        return os.stat("/proc/%d" % pid).st_uid
    except OSError:
        return None


def _proc_environ(pid):
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _proc_cwd(pid):
    try:
        return os.readlink("/proc/%d/cwd" % pid)
    except OSError:
        return ""


def pids():
    return {int(p) for p in os.listdir("/proc") if p.isdigit()}


def ipc_objects():
    """{(kind, id): owner uid} of the System V IPC objects."""
    found = {}
    for kind, flag in (("shm", "-m"), ("sem", "-s"), ("msg", "-q")):
        out = subprocess.run(["ipcs", flag, "-c"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout.decode(errors="replace")
        for line in out.splitlines():
            f = line.split()
            if f and f[0].isdigit():
                found[(kind, int(f[0]))] = f[2]   # id perms cuid cgid uid gid
    return found


def remove_ipc(kind, ident):
    subprocess.run(["ipcrm", {"shm": "-m", "sem": "-s", "msg": "-q"}[kind], str(ident)],
                   stderr=subprocess.DEVNULL)


def mounts():
    with open("/proc/self/mountinfo") as f:
        return {ln.split()[4] for ln in f}


def listing():
    found = {}
    for d in WATCHED:
        try:
            for n in os.listdir(d):
                try:
                    found[os.path.join(d, n)] = os.lstat(os.path.join(d, n)).st_uid
                except OSError:
                    pass
        except OSError:
            pass
    return found


def shmem():
    with open("/proc/meminfo") as f:
        for ln in f:
            if ln.startswith("Shmem:"):
                return int(ln.split()[1]) << 10
    return 0


class Listener:
    """Counts connections to a port of 127.0.0.1 and to an abstract socket."""

    def __init__(self):
        self.count = 0
        self.socks = []
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", 0))
        self.port = tcp.getsockname()[1]
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(UNIX_NAME)
        for s in (tcp, unix):
            s.listen(16)
            s.settimeout(0.2)
            self.socks.append(s)
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, s):
        while True:
            try:
                c, _ = s.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.count += 1
            c.close()


class Sampler:
    """The highest Shmem of the machine while a case runs, above its start."""

    def __init__(self):
        self.base = shmem()
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.wait(0.05):
            self.peak = max(self.peak, shmem() - self.base)

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.peak


# ---- one case -------------------------------------------------------------------

class Runner:
    def __init__(self, args):
        self.args = args
        self.can = Canaries()
        self.work = tempfile.mkdtemp(prefix="kata-attack-", dir="/srv")
        os.chmod(self.work, 0o755)
        self.repo = os.path.join(self.work, "repo")
        self.user = None
        self.planted = []       # paths this runner made in shared places
        self.held = []          # lock files held open
        self._users = None      # mode users (users_mode), once known

    # -- set-up and clean-up

    def setup(self):
        self.can.plant()
        self.listener = Listener()
        copy_repo(os.path.abspath(self.args.repo), self.repo, self.can, self.listener.port)
        if self.args.as_user:
            subprocess.run(["useradd", "-M", "-d", self.work, "-s", "/bin/sh", TEST_USER], check=True)
            self.user = pwd.getpwnam(TEST_USER)
            subprocess.run(["chown", "-R", "%d:%d" % (self.user.pw_uid, self.user.pw_gid), self.repo],
                           check=True)
        if self.users_mode():
            # mode users refuses a repository other users can read: shut, as
            # its one-line refusal tells an instructor to
            os.chmod(self.repo, 0o700)
        self.digest = tree_digest(self.repo)

    def users_mode(self):
        """Grading as root without namespaces: asked for (KATA_SANDBOX=users)
        or all this machine allows (bubblewrap without --disable-userns, as
        on Debian 11), as the repository's engine decides; asked once."""
        if self._users is None:
            probe = subprocess.run([sys.executable, "-S", "-c", "import sys; sys.path.insert(0, 'tools'); "
                                    "from engine import sandbox; print(sandbox.mode())"],
                                   cwd=self.repo, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            self._users = not self.user and probe.stdout.decode().strip() == "users"
        return self._users

    def cleanup(self):
        self.release_planted()
        if self.user:
            self.kill_uids({self.user.pw_uid})
            subprocess.run(["userdel", TEST_USER], stderr=subprocess.DEVNULL)
        if self.args.keep:
            print("work folder kept: %s" % self.work)
        else:  # rm, not rmtree: a case's tree may be deeper than Python recurses
            subprocess.run(["rm", "-rf", "--one-file-system", self.work])
        self.can.remove()
        self.listener_close()

    def listener_close(self):
        for s in getattr(self, "listener", None).socks if getattr(self, "listener", None) else []:
            s.close()

    def release_planted(self):
        for p in self.planted:
            try:
                os.unlink(p)
            except OSError:
                pass
        self.planted = []
        for f in self.held:
            f.close()
        self.held = []

    def _ours(self, pid, uids, token):
        """A process of this runner's grading: its user (the test user, or a
        grading uid no other grader shares), our canary in its environment,
        or its folder or program inside our work folder."""
        if _proc_uid(pid) in uids:
            return True
        if token and token.encode() in _proc_environ(pid):
            return True
        for link in ("cwd", "exe"):
            try:
                if os.readlink("/proc/%d/%s" % (pid, link)).startswith(self.work + "/"):
                    return True
            except OSError:
                pass
        return False

    def kill_uids(self, uids, token=None):
        """Ends this runner's processes (see _ours); returns what was alive."""
        alive = {}
        for _ in range(50):
            found = {pid: _proc_uid(pid) for pid in pids() - {os.getpid()}
                     if self._ours(pid, uids, token)}
            if not found:
                break
            alive.update(found)
            for sig in (signal.SIGSTOP, signal.SIGKILL):
                for pid in found:
                    try:
                        os.kill(pid, sig)
                    except OSError:
                        pass
            time.sleep(0.05)
        return alive

    # -- running a grading

    def _preexec(self):
        def apply():
            resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_CAP, FILE_CAP))
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
            if self.user:
                os.setgroups([])
                os.setgid(self.user.pw_gid)
                os.setuid(self.user.pw_uid)
        return apply

    def run(self, argv, bound, log):
        # No byte code written by the grader's own Python: any .pyc that
        # appears in the copy is then the submission's, a change like any other.
        env = dict(os.environ, KATA_ATTACK_ENV_CANARY=self.can.env, LC_ALL="C.UTF-8",
                   PYTHONDONTWRITEBYTECODE="1")
        env.pop("MAKEFLAGS", None)
        if self.user:
            env.update(HOME=self.work, USER=TEST_USER, LOGNAME=TEST_USER)
        is_make = argv[0] == "make"
        if self.args.drop_sys_admin:
            argv = ["capsh", "--drop=cap_sys_admin", "--", "-c", " ".join(map(shlex_quote, argv))]
        start = time.monotonic()
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, cwd=self.repo, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                    preexec_fn=self._preexec())
            try:
                rc = proc.wait(timeout=bound)
            except subprocess.TimeoutExpired:
                rc = None
            finally:  # on a time-out, and when this runner is interrupted
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                proc.wait()
        if rc == 2 and is_make:  # make's own status: the recipe's is in its last words
            m = re.findall(r"^make(?:\[\d+\])?: \*\*\* \[.*\] Error (\d+)$", _read(log), re.M)
            rc = int(m[-1]) if m else rc
        return rc, time.monotonic() - start

    # -- a case

    def grade_case(self, name, ini):
        out = os.path.join(self.work, "out", name)
        os.makedirs(out)
        if self.user:
            os.chown(out, self.user.pw_uid, self.user.pw_gid)
        mode = ini.get("mode", "grade")
        breaches = []
        bound = self.args.bound or (300 if mode == "grade-all" else 150)
        before = dict(pids=pids(), ipc=ipc_objects(), mounts=mounts(), files=listing(),
                      build=du(os.path.join(self.repo, "build")), net=self.listener.count)
        if not self.can.intact():
            print("attack_grade: the canaries had gone (re-planted)", file=sys.stderr)
        sampler = Sampler()
        scores, outputs, uids = {}, [], set()
        try:
            self.plant(ini, breaches, name)
            if mode == "grade" and self.args.gradescope:
                rc, secs, texts = self.grade_gradescope(name, ini, out, bound, scores, uids)
            elif mode == "grade":
                rc, secs, texts = self.grade_one(name, ini, out, bound, scores, uids)
            elif mode == "grade-all":
                rc, secs, texts = self.grade_all(name, ini, out, bound, scores, uids, breaches)
            else:
                rc, secs, texts = self.classroom(name, ini, out, bound, scores, breaches)
            outputs += texts
        finally:
            peak = sampler.stop()
            if not self.can.victim_intact():
                breaches.append("a root file outside the run was changed through a planted link")
                self.can.restore_victim()
            self.release_planted()
        if rc is None:
            breaches.append("grading did not end within %d s" % bound)
        elif rc not in (0, 1) and mode != "classroom":
            breaches.append("the grader ended with status %s" % rc)
        for who, pts in sorted(scores.items()):
            if pts is None:
                breaches.append("no results for %s (the grader wrote no verdict)" % who)
            elif pts > 0:
                breaches.append("%s earned %g points" % (who, pts))
        for what, token in self.can.all().items():
            if what == "probe" and ini.get("probe") != "yes":
                continue
            if any(token.lower() in t.lower() for t in outputs):  # as lower-cases words
                breaches.append("the %s canary is in the output" % what)
        if ini.get("refused") == "yes" and not any(
                w in t for t in outputs for w in REFUSED_WORDS):
            breaches.append("the object policy did not refuse the code")
        if self.user:
            uids.add(self.user.pw_uid)
        self.check_leftovers(before, uids, breaches)
        if any("File size limit exceeded" in t for t in outputs):  # the compiler's words
            breaches.append("a program of the grading reached this runner's %d MB file-size cap "
                            "(the grader sets none of its own there)" % (FILE_CAP >> 20))
        # Shmem is the machine's: judged only where the case tries it (another
        # runner's memfd case would be counted here too).
        if peak > SHMEM_CAP and ini.get("memory") == "yes":
            breaches.append("%d MB of shared memory (memfd/tmpfs) held during the run, unseen "
                            "by the memory watchdog" % (peak >> 20))
        if self.listener.count > before["net"]:
            breaches.append("%d network connection(s) to 127.0.0.1 from the run"
                            % (self.listener.count - before["net"]))
        changed = sorted(p for p, h in tree_digest(self.repo).items() if self.digest.get(p) != h)
        if changed:
            breaches.append("the repository was changed: %s" % ", ".join(changed[:4]))
            self.restore_tree(changed)
        files, size = du(os.path.join(self.repo, "build"))
        if files - before["build"][0] > BUILD_FILES_CAP or size - before["build"][1] > BUILD_BYTES_CAP:
            breaches.append("left %d files, %d MB in the build folder" % (
                files - before["build"][0], (size - before["build"][1]) >> 20))
        self.clean_build()
        return breaches, secs, scores

    def plant(self, ini, breaches, name=""):
        setup = ini.get("setup", "")
        if setup.startswith("many-files:"):
            # a submission folder holding many files beside the stubs
            _, ex, n = setup.split(":")
            folder = os.path.join(self.repo, ATTACKS_REL, name, ex)
            for i in range(int(n)):
                p = os.path.join(folder, "m%06d.c" % i)
                with open(p, "w") as f:
                    f.write("int m%06d;\n" % i)
                self.planted.append(p)
        if setup in ("lock-symlinks", "lock-fifos"):
            # /run/lock is shared: one runner plants there at a time.
            shared = open(SHARED_LOCK, "a")
            fcntl.flock(shared, fcntl.LOCK_EX)
            self.held.append(shared)
            # Busy graders hold the lock files that exist (so the grader
            # moves on); an unprivileged user planted the next ones.
            for uid in GRADE_UIDS[:64]:
                p = "/run/lock/kata-grade-uid-%d.lock" % uid
                if os.path.lexists(p):
                    try:
                        f = open(p, "a")
                        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        self.held.append(f)
                    except OSError:
                        pass
                    continue
                if setup == "lock-symlinks":
                    os.symlink(VICTIM, p)
                else:
                    os.mkfifo(p, 0o666)
                os.lchown(p, 65534, 65534)
                self.planted.append(p)

    def _score(self, path):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                data = json.load(f)
            return float(data.get("score", 0)), data
        except (OSError, ValueError):
            return None, None

    def grade_one(self, name, ini, out, bound, scores, uids):
        src = os.path.join(self.repo, ATTACKS_REL, name)
        results = os.path.join(out, "results.json")
        argv = ["make", "--no-print-directory", "grade", "SRC=" + src, "RESULTS=" + results]
        if ini.get("ex"):
            argv.append("EX=" + ini["ex"])
        log = os.path.join(out, "make.log")
        rc, secs = self.run(argv, bound, log)
        pts, data = self._score(results)
        table = _read(log)
        m = re.search(r"^total\s+([\d.]+)\s*/", table, re.M)
        if m and float(m.group(1)) > 0:
            pts = max(pts or 0, float(m.group(1)))
        scores["the submission"] = pts
        if data and data.get("extra_data", {}).get("grading_uid") is not None:
            uids.add(data["extra_data"]["grading_uid"])
        # what the run printed (kept by the grader, not shown): a canary there
        # was read by the graded code, shown or not
        logs = [_read(os.path.join(d, "output.log")) for d, _, f in
                os.walk(os.path.join(self.repo, "build")) if "output.log" in f]
        return rc, secs, [table, _read(results), _read(os.path.join(out, "junit.xml"))] + logs

    def gradescope_zip(self):
        """The autograder zip of the copy (hidden canary included), once."""
        z = os.path.join(self.work, "autograder.zip")
        if not os.path.exists(z):
            log = os.path.join(self.work, "gradescope-zip.log")
            rc, _ = self.run(["make", "--no-print-directory", "gradescope", "OUT=" + z], 300, log)
            if rc != 0:
                fail("make gradescope failed: %s" % _read(log)[-300:])
        return z

    def grade_gradescope(self, name, ini, out, bound, scores, uids):
        """The case as a Gradescope submission: a folder laid out like
        /autograder (source/ the unpacked zip, submission/ the case's files,
        results/), graded by the zip's own run_autograder."""
        # one unpacked source for every case (its build/ kept: the tree's
        # objects once), a fresh submission/ and results/ for each
        root = os.path.join(self.work, "gradescope")
        source = os.path.join(root, "source")
        if not os.path.isdir(source):
            with zipfile.ZipFile(self.gradescope_zip()) as z:
                for info in z.infolist():
                    z.extract(info, source)
                    mode = (info.external_attr >> 16) & 0o777
                    if mode:
                        os.chmod(os.path.join(source, info.filename), mode)
        stale = [os.path.join(root, d) for d in ("submission", "results")]
        for d, dirs, _ in os.walk(os.path.join(source, "build")):
            stale += [os.path.join(d, x) for x in dirs if x.startswith("graded-")
                      or (d.endswith("build") and x == "submission")]
            dirs[:] = [x for x in dirs if not x.startswith("graded-")]
        subprocess.run(["rm", "-rf", "--one-file-system"] + stale)
        shutil.copytree(os.path.join(self.repo, ATTACKS_REL, name), os.path.join(root, "submission"),
                        symlinks=True, ignore=shutil.ignore_patterns("case.ini"))
        os.makedirs(os.path.join(root, "results"))
        log = os.path.join(out, "run_autograder.log")
        rc, secs = self.run(["sh", os.path.join(source, "run_autograder"), root], bound, log)
        results = os.path.join(root, "results", "results.json")
        pts, data = self._score(results)
        scores["the submission"] = pts
        if data and data.get("extra_data", {}).get("grading_uid") is not None:
            uids.add(data["extra_data"]["grading_uid"])
        logs = [_read(os.path.join(d, "output.log")) for d, _, f in
                os.walk(os.path.join(source, "build")) if "output.log" in f]
        return rc, secs, [_read(log), _read(results)] + logs

    def grade_all(self, name, ini, out, bound, scores, uids, breaches):
        subs = os.path.join(self.work, "subs-" + name)
        os.makedirs(subs, mode=0o700 if self.users_mode() else 0o777)
        student = ini.get("student", "mallory").replace("\\n", "\n")
        case = os.path.join(self.repo, ATTACKS_REL, name)
        mallory = os.path.join(subs, student)
        setup = ini.get("setup", "")
        if setup == "student-link:solutions":
            os.symlink(os.path.join(self.repo, "solutions"), mallory)
        else:
            shutil.copytree(case, mallory, symlinks=True, ignore=shutil.ignore_patterns("case.ini"))
        honest = os.path.join(subs, "honest")
        shutil.copytree(os.path.join(self.repo, "exercises"), honest)
        if "read_other" in name:
            shutil.copytree(os.path.join(self.repo, "solutions"), os.path.join(subs, "victim"))
        if setup.startswith("fifo:"):
            p = os.path.join(mallory, setup[5:])
            os.unlink(p)
            os.mkfifo(p)
        elif setup.startswith("deep:"):
            fd = os.open(mallory, os.O_RDONLY | os.O_DIRECTORY)
            for _ in range(int(setup[5:])):
                os.mkdir("d", dir_fd=fd)
                nfd = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = nfd
            os.close(fd)
        if self.user:
            subprocess.run(["chown", "-R", "-h", "%d:%d" % (self.user.pw_uid, self.user.pw_gid), subs])
        argv = ["make", "--no-print-directory", "grade-all", "SUBMISSIONS=" + subs, "OUT=" + out]
        log = os.path.join(out + ".make.log")
        rc, secs = self.run(argv, bound, log)
        texts = [_read(log)]
        csv_path = os.path.join(out, "grades.csv")
        csv_text = _read(csv_path) if os.path.isfile(csv_path) else None
        if csv_text is None:
            breaches.append("grade-all wrote no grades.csv")
        else:
            texts.append(csv_text)
            rows = {ln.split(",")[0] for ln in csv_text.splitlines()[1:]}
            if "honest" not in rows:
                breaches.append("the class's other students are missing from grades.csv")
        for d, _, files in os.walk(out):
            for f in files:
                if f in ("results.json", "grade.log", "junit.xml"):
                    texts.append(_read(os.path.join(d, f)))
        pts, data = self._score(os.path.join(out, student, "results.json"))
        if pts is None and os.path.isfile(os.path.join(out, student, "results.json")) is False \
                and csv_text is not None:
            pts = 0.0  # a row of the CSV with a reason is a verdict too
            for ln in csv_text.splitlines()[1:]:
                f = ln.split(",")
                if f[0] == student and f[-1].replace(".", "").isdigit():
                    pts = float(f[-1])
        scores[student] = pts
        if data and data.get("extra_data", {}).get("grading_uid") is not None:
            uids.add(data["extra_data"]["grading_uid"])
        for d in os.listdir(out):
            _, data = self._score(os.path.join(out, d, "results.json"))
            if data and data.get("extra_data", {}).get("grading_uid") is not None:
                uids.add(data["extra_data"]["grading_uid"])
        return rc, secs, texts

    def classroom(self, name, ini, out, bound, scores, breaches):
        parent = os.path.join(self.work, "release")
        os.makedirs(parent, exist_ok=True)
        if self.user:
            os.chown(parent, self.user.pw_uid, self.user.pw_gid)
        rel = os.path.join(parent, name)
        rc, secs = self.run(["make", "--no-print-directory", "release", "OUT=" + rel], bound,
                            os.path.join(out, "release.log"))
        wf = os.path.join(rel, ".github", "workflows", "feedback.yml")
        if rc != 0 or not os.path.isfile(wf):
            breaches.append("make release failed; the workflow could not be tried")
            return rc, secs, []
        # The release's workflow runs in the student's own repository (its
        # Makefile and tools are the student's): it must award nothing and
        # say it is feedback, not a grade (issue 15, class 12).
        text = _read(wf)
        total = sum(float(p) for p in re.findall(r"^\s+max-score: ([\d.]+)", text, re.M))
        if "feedback, not a grade" not in text.lower():
            breaches.append("the release's workflow does not say it is feedback, not a grade")
        texts = [text]
        scores["the workflow"] = total
        return 0, secs, texts

    def check_leftovers(self, before, uids, breaches):
        # Grading uids are reused by the other graders of the machine as soon
        # as ours ends: a process counts by our canary or our folder, a uid
        # only when it is the test user's.
        left = {p: u for p, u in self.kill_uids({self.user.pw_uid} if self.user else set(),
                                                self.can.env).items() if p not in before["pids"]}
        if left:
            breaches.append("%d process(es) left running (uid %s)" % (
                len(left), ", ".join(sorted({str(u) for u in left.values()}))))
        owners = {str(u) for u in uids} | {pwd.getpwuid(u).pw_name for u in uids if _has_user(u)}
        left_ipc = {}
        for (kind, ident), owner in sorted(ipc_objects().items()):
            # another runner's objects are not ours: by owner, when we know ours
            if (kind, ident) not in before["ipc"] and (not owners or owner in owners):
                left_ipc.setdefault("%s (owner %s)" % (kind, owner), []).append(ident)
                remove_ipc(kind, ident)
        for what, ids in sorted(left_ipc.items()):
            breaches.append("%d System V %s object(s) left behind" % (len(ids), what))
        for m in sorted(mounts() - before["mounts"]):
            breaches.append("a mount left at %s" % m)
            subprocess.run(["umount", "-l", m], stderr=subprocess.DEVNULL)
        for p, uid in sorted(listing().items()):
            if p in before["files"] or p in self.planted:
                continue
            # Ours: the test user's, or the grading uid's. When the grading
            # wrote no results (a hang) its uid is unknown: any grading uid
            # counts, said as maybe another grader's.
            maybe = not uids and uid in GRADE_UIDS
            if uid in uids or maybe or (self.user and uid == self.user.pw_uid):
                breaches.append("a file left outside the build folder: %s%s" % (
                    p, " (uid %d: ours, or another grader's)" % uid if maybe else ""))
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    try:
                        os.unlink(p)
                    except OSError:
                        pass

    def restore_tree(self, changed):
        src = os.path.abspath(self.args.repo)
        for rel in changed:
            s = os.path.join(src, rel)
            if os.path.isfile(s) and not rel.startswith(("solutions", "tests/01-isolation/hidden")):
                shutil.copyfile(s, os.path.join(self.repo, rel))
        self.digest = tree_digest(self.repo)

    def clean_build(self):
        build = os.path.join(self.repo, "build")
        if not os.path.isdir(build):
            return
        for ex in os.listdir(build):
            d = os.path.join(build, ex)
            if ex == "submissions" or ex == "grade-all":
                subprocess.run(["rm", "-rf", "--one-file-system", d])
            elif os.path.isdir(d):
                for v in os.listdir(d):
                    if v.startswith("graded-") and "attacks" in v or v.startswith("graded-ext"):
                        shutil.rmtree(os.path.join(d, v), ignore_errors=True)


def _has_user(uid):
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


def shlex_quote(s):
    import shlex
    return shlex.quote(s)


def _read(path, cap=4 << 20):
    try:
        with open(path, "rb") as f:
            return f.read(cap).decode(errors="replace")
    except OSError:
        return ""


def load_cases(repo):
    d = os.path.join(repo, ATTACKS_REL)
    cases = {}
    for name in sorted(os.listdir(d)):
        ini = os.path.join(d, name, "case.ini")
        if os.path.isfile(ini):
            p = configparser.ConfigParser(interpolation=None)
            p.read(ini)
            cases[name] = dict(p["case"])
    return cases


def main(argv=None):
    ap = argparse.ArgumentParser(description="grades the hostile corpus")
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--as-user", action="store_true")
    ap.add_argument("--drop-sys-admin", action="store_true")
    ap.add_argument("--repo", default=DEFAULT_REPO)
    ap.add_argument("--bound", type=int, default=0)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs) for a look")
    ap.add_argument("--gradescope", action="store_true",
                    help="grade each submission through the autograder zip's run_autograder")
    args = ap.parse_args(argv)
    # The corpus is written afresh from the stubs of the tree being attacked.
    gen = subprocess.run([sys.executable, "-S", os.path.join(args.repo, "tests", "tools",
                                                              "attack_cases.py")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if gen.returncode != 0 or not os.path.isdir(os.path.join(args.repo, ATTACKS_REL)):
        fail("cannot write the hostile corpus in %s: %s"
             % (args.repo, gen.stdout.decode(errors="replace").strip()[-300:]))
    cases = load_cases(args.repo)
    chosen = [c for c in cases if not args.cases or any(c == a or c.startswith(a) for a in args.cases)]
    if args.list:
        for c in chosen:
            print("%-34s %-12s %s" % (c, cases[c].get("class"), cases[c].get("what")))
        return 0
    if not chosen:
        fail("no case matches %s" % " ".join(args.cases))
    if os.geteuid() != 0:
        fail("run as root: it plants a root-only canary (and --as-user makes a user)")
    if args.gradescope and args.as_user:
        fail("--gradescope grades as Gradescope does, as root: leave out --as-user")
    if args.as_user and args.drop_sys_admin:
        fail("--as-user and --drop-sys-admin are two different modes: pick one")
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    runner = Runner(args)
    passed = failed = 0
    try:
        runner.setup()
        for name in chosen:
            ini = cases[name]
            if name.startswith("c11_") and not args.as_user and ini.get("nonroot_only") == "yes":
                continue
            breaches, secs, scores = runner.grade_case(name, ini)
            pts = ",".join("%g" % v for v in scores.values() if v is not None) or "-"
            if breaches:
                failed += 1
                print("BREACH %-32s [%5.1f s, %s pts] %s" % (name, secs, pts, "; ".join(breaches)))
            else:
                passed += 1
                print("ok     %-32s [%5.1f s, %s pts]" % (name, secs, pts))
            sys.stdout.flush()
    finally:
        runner.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

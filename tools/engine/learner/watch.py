"""`make watch [EX=..]`: runs the current exercise's tests (EX, or the one
`make status` names) again on every save, and draws the first failure as
`make test` shows it (learner/screen.py). It stays on that exercise until the
learner presses n (next); h shows a hint, r runs the tests again, q quits.

Changes are seen with inotify (the C library's inotify_init1 and
inotify_add_watch through ctypes) or, where inotify sees nothing (WSL's /mnt
drives, network file systems) or when KATA_WATCH=poll, by polling the files'
size and modification time. KATA_WATCH=inotify forces inotify."""

import argparse
import ctypes
import ctypes.util
import os
import select
import struct
import sys
import time

from engine import course, lang, procs, ui
from engine.learner import hints, status, views
from engine.learner.screen import Keys, Screen
from engine.learner.screen import page as screen_page
from engine.learner.screen import prose
from engine.learner.status import helgrind_clean
from engine.report import Outcome

# <sys/inotify.h>
IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
WATCH_MASK = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
_EVENT = struct.Struct("iIII")  # wd, mask, cookie, len; then len bytes of name

# File systems whose changes inotify may never report (made by another
# machine or by Windows): poll them.
POLL_FS = ("9p", "v9fs", "drvfs", "nfs", "nfs4", "cifs", "smb3", "smbfs", "afs", "ceph",
           "glusterfs", "lustre", "gpfs", "vboxsf", "vmhgfs", "prl_fs")
QUIET = 0.1       # seconds without further changes before a run starts (editors write in steps)
POLL_EVERY = 0.4  # seconds between two looks at the files when polling


class PollWatcher:
    """Sees a change by looking at each file's size, time and inode."""
    mode = "poll"

    def __init__(self, interval=POLL_EVERY):
        self.interval = interval
        self.last = None

    @staticmethod
    def signature(paths):
        sig = []
        for p in paths:
            try:
                st = os.stat(p)
                sig.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                sig.append(None)
        return tuple(sig)

    def start(self, paths):
        self.last = self.signature(paths)

    def wait(self, paths, timeout=None):
        """True when a file changed, False when timeout seconds passed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            sig = self.signature(paths)
            if sig != self.last:
                while True:  # wait for the editor to finish writing
                    time.sleep(QUIET)
                    again = self.signature(paths)
                    if again == sig:
                        break
                    sig = again
                self.last = sig
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(self.interval)

    def close(self):
        pass


class InotifyWatcher:
    """Sees a change from the kernel's inotify events on the files' folders
    (a folder, because editors often save by writing a new file and
    renaming it over the old one)."""
    mode = "inotify"

    def __init__(self):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self._add = libc.inotify_add_watch
        self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        self.fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1: " + os.strerror(ctypes.get_errno()))
        self.dirs = set()

    def start(self, paths):
        for d in sorted({os.path.dirname(p) for p in paths} - self.dirs):
            if self._add(self.fd, d.encode(), WATCH_MASK) < 0:
                err = ctypes.get_errno()
                raise OSError(err, "inotify_add_watch %s: %s" % (d, os.strerror(err)))
            self.dirs.add(d)
        self._drain(paths)

    def _drain(self, paths):
        """Reads the pending events; True if one concerns the paths."""
        names = {os.path.basename(p).encode() for p in paths}
        hit = False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return hit
            i = 0
            while i + _EVENT.size <= len(data):
                _, _, _, length = _EVENT.unpack_from(data, i)
                name = data[i + _EVENT.size:i + _EVENT.size + length].rstrip(b"\0")
                hit = hit or name in names
                i += _EVENT.size + length

    def wait(self, paths, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], left)
            if not ready:
                return False
            if self._drain(paths):
                while select.select([self.fd], [], [], QUIET)[0]:  # until the editor is done
                    self._drain(paths)
                return True

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def fs_type(path):
    """The type of the file system that holds path (from /proc/self/mounts)."""
    path = os.path.realpath(path)
    best, kind = "", ""
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) < 3:
                    continue
                mnt = fields[1].replace("\\040", " ")
                inside = path == mnt or path.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) >= len(best):
                    best, kind = mnt, fields[2]
    except OSError:
        pass
    return kind


def make_watcher(folder, environ=None):
    """inotify unless KATA_WATCH=poll or the folder is on a file system
    inotify does not see changes on; polling when inotify fails."""
    env = os.environ if environ is None else environ
    choice = env.get("KATA_WATCH", "")
    kind = fs_type(folder)
    if choice == "poll" or (choice != "inotify" and (kind in POLL_FS or kind.startswith("fuse"))):
        return PollWatcher()
    try:
        return InotifyWatcher()
    except (OSError, AttributeError):  # no inotify (old kernel, another libc)
        return PollWatcher()


# ---- the loop -------------------------------------------------------------

def green_lines(ex, rep, exercises):
    lines = prose(lang.t("watch.green", ex.name, len(rep.results)), "green")
    lines += (prose(lang.t("watch.hg ok")) if helgrind_clean(ex) else
              prose(lang.t("watch.hg todo", ex.number), "yellow"))
    later = exercises.index(ex) + 1
    if later < len(exercises):
        nxt = exercises[later]
        lines += prose(lang.t("watch.press n", nxt.name, nxt.shown_title(lang.zh())), "bold")
    else:
        lines += prose(lang.t("watch.last"))
    return lines


def all_green(exercises):
    """The last line when every exercise's tests pass."""
    left = [("`make helgrind EX=%02d`" % e.number) for e in exercises if not helgrind_clean(e)]
    print(lang.t("watch.all green", ", ".join(left)) if left else lang.t("watch.all done"))


def footer(ex, rep, exercises, paths, watcher, keys):
    """What to do next, what is watched, the keys."""
    if rep.ok:
        lines = green_lines(ex, rep, exercises)
    elif rep.outcome is Outcome.COMPILE_ERROR_STUDENT and keys.live:
        lines = prose(lang.t("watch.no compile"), "yellow")
    elif rep.outcome is Outcome.COMPILE_ERROR_STUDENT or rep.passed == len(rep.results):
        lines = prose(views.next_step(ex, None, rep, exercises), "yellow")
    else:
        label = status.student_label(ex, None)
        lines = prose(lang.t("watch.n pass keys", rep.passed, len(rep.results), label) if keys.live
                      else lang.t("watch.n pass", rep.passed, len(rep.results), label, ex.number),
                      "yellow")
    watching = lang.t("watch.watching", ", ".join(course.shown(p) for p in paths),
                      lang.t("watch.mode", watcher.mode))
    lines += prose(watching if keys.live else watching + " " + lang.t("watch.ctrl-c"), "dim")
    if keys.live:
        lines += prose(lang.t("watch.keys"), "dim")
    return lines


def draw(screen, ex, rep, exercises, paths, watcher, keys):
    screen.clear()
    for line in screen_page(ex, rep, exercises) + footer(ex, rep, exercises, paths, watcher, keys):
        print(line)
    sys.stdout.flush()


def wait_for(watcher, keys, paths):
    """"save" when a watched file changed, else the key pressed."""
    while True:
        if watcher.wait(paths, timeout=0.1 if keys.live else None):
            return "save"
        key = keys.read(0)
        if key:
            return key


def show_hint(ex):
    print()
    try:
        hints.cmd_hint(argparse.Namespace(ex=ex.name, n=None, in_watch=True))
    except course.UsageError as e:
        ui.error(str(e))
    sys.stdout.flush()


def loop(args, screen, watcher, keys, exercises, index):
    """Runs the tests, again on every save and on r; h shows a hint, n goes
    to the next exercise, q ends. Returns the exit status."""
    runs, rep = 0, None
    while True:
        ex = exercises[index]
        paths = [ex.path("exercises", f) for f in ex.files]
        watcher.start(paths)  # changes made during the run count for the next one
        print(ui.paint(lang.t("watch.running", ex.name), "dim"))
        sys.stdout.flush()
        rep = status.run_tests(ex)
        runs += 1
        draw(screen, ex, rep, exercises, paths, watcher, keys)
        if args.max_runs and runs >= args.max_runs:
            return 0 if rep.ok else 1
        key = wait_for(watcher, keys, paths)
        while key == "h" or (key == "n" and index + 1 >= len(exercises)):
            if key == "h":
                show_hint(ex)
            else:
                print(lang.t("watch.last"))
                sys.stdout.flush()
            key = wait_for(watcher, keys, paths)
        if key == "q":
            print(lang.t("watch.stopped"))
            return 0
        if key == "n":
            index += 1
            nxt = exercises[index]
            screen.clear()
            print(ui.paint(lang.t("watch.moving on", nxt.name, nxt.shown_title(lang.zh())), "bold"))


def main(args, out=None):
    screen = Screen(out)
    exercises = course.load()
    if args.ex:
        index = exercises.index(next(e for e in exercises
                                     if e.name == course.resolve(args.ex, exercises).name))
    else:  # the current exercise, as `make status` says
        current = status.current_exercise(exercises)
        if current is None:
            all_green(exercises)
            return 0
        index = exercises.index(current)
    watcher = make_watcher(exercises[index].path("exercises"))
    keys = Keys(live=not args.max_runs)  # --max-runs: a script's run, no keyboard
    screen.hide_cursor()
    try:
        return loop(args, screen, watcher, keys, exercises, index)
    except KeyboardInterrupt:
        procs.kill_descendants()
        screen.restore()
        print("\n" + lang.t("watch.stopped"))
        sys.stdout.flush()
        # 0, not 130: make, interrupted too, then adds no "Error 130" line of its own
        return 0
    finally:
        keys.restore()
        screen.restore()
        watcher.close()

"""`make watch [EX=..]`: runs the current exercise's tests again on every
save, redraws a short result, and moves on to the next exercise when the
current one passes.

Changes are seen with inotify (the C library's inotify_init1 and
inotify_add_watch through ctypes) or, where inotify sees nothing (WSL's /mnt
drives, network file systems) or when KATA_WATCH=poll, by polling the files'
size and modification time. KATA_WATCH=inotify forces inotify."""

import ctypes
import ctypes.util
import os
import select
import struct
import sys
import time

from engine import course, lang, procs, ui
from engine.learner import status, views
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
QUIET = 0.15      # seconds without further changes before a run starts (editors write in steps)
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

class Screen:
    """Redraws on a terminal; on anything else, appends with a rule between
    runs, so that a log or a test reads every result."""

    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.tty = self.out.isatty() and os.environ.get("TERM") != "dumb"

    def clear(self):
        if self.tty:
            self.out.write("\033[H\033[2J")
        else:
            self.out.write("-" * 40 + "\n")
        self.out.flush()

    def hide_cursor(self):
        if self.tty:
            self.out.write("\033[?25l")
            self.out.flush()

    def restore(self):
        if self.tty:
            self.out.write("\033[0m\033[?25h")
            self.out.flush()


def green_lines(ex, rep):
    lines = [ui.paint(lang.t("watch.green", ex.name, len(rep.results)), "green")]
    lines.append(lang.t("watch.hg ok") if helgrind_clean(ex) else
                 ui.paint(lang.t("watch.hg todo", ex.number), "yellow"))
    return lines


def all_green(exercises):
    """The last line when every exercise's tests pass."""
    left = [("`make helgrind EX=%02d`" % e.number) for e in exercises if not helgrind_clean(e)]
    print(lang.t("watch.all green", ", ".join(left)) if left else lang.t("watch.all done"))


def redraw(screen, banner):
    screen.clear()
    for line in banner:
        print(line)


def failing_lines(ex, rep, exercises, paths, watcher):
    """What to do next, and what is watched."""
    if rep.outcome is Outcome.COMPILE_ERROR_STUDENT or rep.passed == len(rep.results):
        step = views.next_step(ex, None, rep, exercises)
    else:
        step = lang.t("watch.n pass", rep.passed, len(rep.results),
                      status.student_label(ex, None), ex.number)
    print(ui.paint(step, "yellow"))
    print(ui.paint(lang.t("watch.watching", ", ".join(course.shown(p) for p in paths)) + " "
                   + lang.t("watch.mode", watcher.mode), "dim"))
    sys.stdout.flush()


def loop(args, screen, watcher, exercises, index):
    """Runs the tests, again on every save; returns the exit status."""
    banner, runs = [], 0
    while True:
        ex = exercises[index]
        paths = [ex.path("exercises", f) for f in ex.files]
        watcher.start(paths)  # changes made during the run count for the next one
        redraw(screen, banner)
        print(ui.paint(lang.t("watch.running", ex.name), "dim"))
        sys.stdout.flush()
        rep = status.run_tests(ex)
        runs += 1
        redraw(screen, banner)
        banner = []
        views.print_report(ex, None, rep, brief=True)
        if rep.ok:
            done = green_lines(ex, rep)
            for line in done:
                print(line)
            if index + 1 >= len(exercises):
                all_green(exercises)
                return 0
            index += 1
            nxt = exercises[index]
            banner = done + [ui.paint(lang.t("watch.moving on", nxt.name, nxt.shown_title(lang.zh())), "bold"), ""]
            print(banner[-2])
            sys.stdout.flush()
            if args.max_runs and runs >= args.max_runs:
                return 0
            continue
        failing_lines(ex, rep, exercises, paths, watcher)
        if args.max_runs and runs >= args.max_runs:
            return 1
        watcher.wait(paths)


def main(args, out=None):
    screen = Screen(out)
    exercises = course.load()
    if args.ex:
        index = exercises.index(next(e for e in exercises
                                     if e.name == course.resolve(args.ex, exercises).name))
    else:  # the current exercise, as `make status` says
        current = status.current_exercise(exercises)
        index = None if current is None else exercises.index(current)
        if index is None:
            all_green(exercises)
            return 0
    watcher = make_watcher(exercises[index].path("exercises"))
    screen.hide_cursor()
    try:
        return loop(args, screen, watcher, exercises, index)
    except KeyboardInterrupt:
        procs.kill_descendants()
        screen.restore()
        print("\n" + lang.t("watch.stopped"))
        sys.stdout.flush()
        # 0, not 130: make, interrupted too, then adds no "Error 130" line of its own
        return 0
    finally:
        screen.restore()
        watcher.close()

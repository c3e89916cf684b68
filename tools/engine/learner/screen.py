"""What `make watch` draws and the keys it reads: the screen (redrawn on a
terminal, appended with a rule between runs elsewhere), the page of one run
(the first failure as `make test` shows it, in full: the compiler's errors,
the hang or deadlock report, the expected and actual lines; cut to the
terminal's height with a line that says so), and single keys (the terminal
in cbreak mode, so no Enter is needed; from a pipe, each character read)."""

import os
import re
import select
import shutil
import sys
import termios
import time
import tty

from engine import lang, ui
from engine.learner import status
from engine.report import COMPILE_ERRORS

KEYS = "hrnq"  # hint, run again, next exercise, quit
FOOTER = 6     # lines kept under the page: the next step, what is watched, the keys


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

    @staticmethod
    def rows():
        """The terminal's height (LINES when set; 40 when unknown)."""
        rows = shutil.get_terminal_size((100, 40)).lines
        return rows if rows > 0 else 40

    @staticmethod
    def width():
        """The width prose is wrapped to: the terminal's (COLUMNS when set),
        at most 100 columns; 100 when unknown."""
        cols = shutil.get_terminal_size((100, 40)).columns
        return min(cols, 100) if cols > 20 else 100


def rows_of(line, width):
    """The rows a line takes once the terminal wraps it."""
    return max(1, -(-ui.columns_of(line) // width))


def prose(text, colour=None, indent=""):
    """One of watch's own sentences, wrapped to the screen, then painted."""
    lines = ui.wrap(text, indent, width=Screen.width()).splitlines()
    return [ui.paint(ln, colour) if colour else ln for ln in lines]


class Keys:
    """Keys pressed, one at a time; none when there is no input (or, with
    live=False, when the caller wants none)."""

    def __init__(self, stream=None, live=True):
        self.fd, self.saved = None, None
        try:
            self.fd = (stream or sys.stdin).fileno() if live else None
        except (AttributeError, ValueError, OSError):
            self.fd = None
        if self.fd is not None and os.isatty(self.fd):
            try:
                self.saved = termios.tcgetattr(self.fd)
                tty.setcbreak(self.fd)
            except termios.error:
                self.saved = None
        self.pending = ""

    @property
    def live(self):
        return self.fd is not None

    def read(self, timeout=0.0):
        """One of KEYS, or "" when none came within timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            while self.pending:
                key, self.pending = self.pending[0].lower(), self.pending[1:]
                if key in KEYS:
                    return key
            left = deadline - time.monotonic()
            if self.fd is None or not select.select([self.fd], [], [], max(left, 0))[0]:
                return ""
            data = os.read(self.fd, 64)
            if not data:  # the end of the input: no keys any more
                self.fd = None
                return ""
            self.pending = data.decode(errors="replace")

    def restore(self):
        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None


# ---- the page of one run --------------------------------------------------------

def compile_lines(problem):
    """The compiler's words as it wrote them; when warnings come before the
    first error, that error is named first."""
    lines = problem.splitlines()
    at = next((i for i, ln in enumerate(lines) if re.search(r"\berror\b:", ln)), None)
    head = []
    if at is not None and any(re.search(r"\bwarning\b:", ln) for ln in lines[:at]):
        head = [ui.paint(lang.t("watch.first error", lines[at].strip()), "red")]
    return head + ["  " + ln for ln in lines]


def failure_lines(ex, rep):
    """What `make test EX=..` shows of the first failure, in full."""
    if rep.outcome in COMPILE_ERRORS:
        return compile_lines(rep.problem)
    lines = []
    failed = [r for r in rep.results if not r.passed]
    if failed:
        lines.append("  %s %s" % (ui.paint("FAIL", "red"), failed[0].test))
        lines += ui.wrap(failed[0].message, "       ", width=Screen.width()).splitlines()
        if len(failed) > 1:
            lines += prose(lang.t("test.more", len(failed) - 1, ex.number), "dim", "       ")
    if rep.problem and not (failed and failed[0].message == rep.problem):
        lines += ui.wrap(rep.problem, "  ", width=Screen.width()).splitlines()
    return lines


def cut(lines, room, ex):
    """What fits in room rows of the terminal (a line longer than the screen
    is wide takes more than one); a last line says how many more lines there
    are and where they all are."""
    width = Screen.width()
    rows = [rows_of(line, width) for line in lines]
    if sum(rows) <= room:
        return lines
    keep = used = 0
    while keep < len(lines) and used + rows[keep] <= room - 1:  # a row left for the cut line
        used += rows[keep]
        keep += 1
    keep = max(keep, 1)
    return lines[:keep] + [ui.paint(lang.t("watch.cut", len(lines) - keep, ex.number), "yellow")]


def progress(exercises):
    data = status.status_of_all()
    done = sum(1 for e in exercises if status.exercise_state(e, data)[0] == "done")
    return lang.t("watch.progress", done, len(exercises))


def header(ex, exercises):
    """The exercise, its file, where it stands: one line, or two when the
    screen is too narrow for one."""
    where = lang.t("watch.where", exercises.index(ex) + 1, len(exercises))
    title = "%s %s" % (ui.paint(ex.name, "bold"), ex.shown_title(lang.zh()))
    rest = "%s  %s" % (ui.paint("(" + status.student_label(ex, None) + ")", "dim"),
                       ui.paint(where + " · " + progress(exercises), "dim"))
    one = title + "  " + rest
    return [one] if ui.columns_of(one) <= Screen.width() else [title, "  " + rest]


def page(ex, rep, exercises):
    """The lines of a run's page, before the footer."""
    lines = header(ex, exercises)
    if not rep.ok:
        lines += cut(failure_lines(ex, rep), Screen.rows() - FOOTER - len(lines), ex)
    return lines

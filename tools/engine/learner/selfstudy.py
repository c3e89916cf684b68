"""`make reset EX=..` and `make compare EX=..`.

reset: puts the exercise's stubs back, keeping each changed file as
.kata/backups/<exercise>/<file>.bak-YYYYMMDD-HHMMSS (outside the exercise
folder, which holds only the course's files, and outside build/, which
`make clean` removes). The stub comes from git (the last
commit your branch shares with the branch it was cloned from, or HEAD; or
KATA_STUB_REF), or, in a copy of the course without git, from a pristine copy
under stubs/<exercise>/.

compare: once the exercise's tests pass, a diff of your files against the
reference solution, then the solution's comments on why it is written that
way. Refused before the tests pass and where there are no solutions/."""

import difflib
import os
import re
import subprocess
import time

from engine import course, lang, ui
from engine.course import ROOT, STATE
from engine.learner import status


class Refused(Exception):
    """The command cannot do what was asked: one line, exit status 1."""


# ---- reset ----------------------------------------------------------------

def _git(*args):
    try:
        proc = subprocess.run(["git", "-C", ROOT] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    except OSError:  # no git
        return None
    return proc.stdout if proc.returncode == 0 else None


def stub_ref():
    """(git revision, how to name it) that holds the stubs, or (None, None)."""
    if os.environ.get("KATA_STUB_REF"):
        return os.environ["KATA_STUB_REF"], os.environ["KATA_STUB_REF"]
    if _git("rev-parse", "--is-inside-work-tree") is None or _git("rev-parse", "--verify", "-q", "HEAD") is None:
        return None, None
    upstream = _git("rev-parse", "--abbrev-ref", "@{upstream}")
    if upstream:
        base = _git("merge-base", "HEAD", "@{upstream}")
        if base:  # your own commits are not the course's
            return base.decode().strip(), "git, as in %s" % upstream.decode().strip()
    return "HEAD", "git HEAD"


def stub_text(ex, name):
    """(the stub's bytes, where it came from)."""
    rel = "exercises/%s/%s" % (ex.name, name)
    rev, label = stub_ref()
    if rev:
        data = _git("show", "%s:%s" % (rev, rel))
        if data is not None:
            return data, label
    pristine = os.path.join(ROOT, "stubs", ex.name, name)
    if os.path.isfile(pristine):
        with open(pristine, "rb") as f:
            return f.read(), "stubs/%s/%s" % (ex.name, name)
    raise Refused("reset: cannot find the stub of %s: it is not in git%s and there is no "
                  "stubs/%s/%s" % (rel, " (%s)" % label if label else "", ex.name, name))


def backup_name(ex, path, now=None):
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    folder = os.path.join(STATE, "backups", ex.name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, os.path.basename(path))
    name, n = "%s.bak-%s" % (path, stamp), 1
    while os.path.exists(name):
        n += 1
        name = "%s.bak-%s-%d" % (path, stamp, n)
    return name


def reset(args):
    ex = course.resolve(args.ex)
    stubs = [(f, ) + stub_text(ex, f) for f in ex.files]  # every stub found before any change
    for name, stub, origin in stubs:
        path = ex.path("exercises", name)
        try:
            with open(path, "rb") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current == stub:
            print(lang.t("reset.same", course.shown(path)))
            continue
        if current is not None:
            backup = backup_name(ex, path)
            _copy(path, backup)
            print(lang.t("reset.saved", course.shown(path), course.shown(backup)))
        tmp = "%s.tmp%d" % (path, os.getpid())
        with open(tmp, "wb") as f:
            f.write(stub)
        os.replace(tmp, path)
        print(ui.paint(lang.t("reset.restored", course.shown(path), origin), "green"))
    seen_path = status.state_file("hints.json")
    seen = status.load_json(seen_path)
    if seen.pop(ex.name, None):
        status.save_json(seen_path, seen)
        print(lang.t("reset.hints", ex.name))
    return 0


def _copy(src, dest):
    with open(src, "rb") as f:
        data = f.read()
    with open(dest, "xb") as f:
        f.write(data)
    os.chmod(dest, os.stat(src).st_mode & 0o777)


# ---- compare ----------------------------------------------------------------

RULER = re.compile(r"^-{2,}.*-{2,}$")


def solution_comments(text):
    """[(line number, comment)] of a C file: the why, without the file's
    title and the section rulers."""
    found = []
    for m in re.finditer(r"/\*(.*?)\*/|//([^\n]*)", text, re.S):
        body = m.group(1) if m.group(1) is not None else m.group(2)
        words = " ".join(ln.strip().lstrip("*").strip() for ln in body.splitlines()).strip()
        line = text.count("\n", 0, m.start()) + 1
        if not words or RULER.match(words) or line == 1:
            continue
        found.append((line, words))
    return found


def _painted_diff(lines):
    for ln in lines:
        ln = ln.rstrip("\n")
        if ln.startswith(("---", "+++")):
            yield ui.paint(ln, "bold")
        elif ln.startswith("@@"):
            yield ui.paint(ln, "dim")
        elif ln.startswith("-"):
            yield ui.paint(ln, "red")
        elif ln.startswith("+"):
            yield ui.paint(ln, "green")
        else:
            yield ln


def _state(ex):
    data = status.status_of_all()
    return status.exercise_state(ex, data)


def compare(args):
    ex = course.resolve(args.ex)
    missing = [f for f in ex.files if not os.path.isfile(ex.path("solutions", f))]
    if missing:
        raise Refused(lang.t("compare.refused solutions", ex.name))
    state, detail, _ = _state(ex)
    if state in ("not started", "not checked"):
        print(ui.paint(lang.t("compare.checking", ex.name), "dim"))
        status.run_tests(ex)
        state, detail, _ = _state(ex)
    if state not in ("tests pass", "done"):
        raise Refused(lang.t("compare.refused failing", ex.name, detail or lang.t("state." + state),
                             ex.number))
    print(ui.paint(lang.t("compare.header", ex.name), "bold"))
    for name in ex.files:
        mine, ref = ex.path("exercises", name), ex.path("solutions", name)
        with open(mine, encoding="utf-8", errors="replace") as f:
            a = f.readlines()
        with open(ref, encoding="utf-8", errors="replace") as f:
            b = f.readlines()
        diff = list(difflib.unified_diff(a, b, "yours: " + course.shown(mine),
                                         "reference: " + course.shown(ref)))
        if not diff:
            print(lang.t("compare.same", course.shown(mine)))
        for ln in _painted_diff(diff):
            print(ln)
        comments = solution_comments("".join(b))
        if comments:
            print()
            print(ui.paint(lang.t("compare.why"), "bold"))
            for line, words in comments:
                print(ui.wrap("%s:%d  %s" % (course.shown(ref), line, words), "  "))
    return 0


def run(cmd, args):
    """Runs reset or compare; a refusal is one line and exit status 1."""
    try:
        return {"reset": reset, "compare": compare}[cmd](args)
    except Refused as e:
        ui.error(str(e))
        return 1


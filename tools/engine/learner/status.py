"""The learner's status store (.kata/status.json, kept by `make clean`): what each
exercise's last test and helgrind runs found, valid while nothing a verdict
depends on has changed (content_hash); and the learner's runs, which record
into it."""

import hashlib
import json
import os

from engine import course, lang, run
from engine.course import ROOT, STATE
from engine.machine import require_compiler, require_criterion, require_valgrind
from engine.report import Outcome


def student_label(ex, src):
    """The learner's files, as the messages name them."""
    base = ex.path("exercises") if src is None else os.path.join(os.path.abspath(src), ex.name)
    return ", ".join(course.shown(os.path.join(base, f)) for f in ex.files)


def content_hash(ex):
    """Hash of everything a verdict depends on: the learner's files, the
    exercise's headers and its tests, and its settings in exercises.ini
    (files, ldflags, time limits, support code)."""
    h = hashlib.sha256()
    # (not the Chinese title: a translation changes no verdict)
    h.update(repr(sorted((k, v) for k, v in vars(ex).items() if k != "title_zh")).encode())
    paths = [ex.path("exercises", f) for f in ex.files]
    for d in (ex.path("exercises"), ex.path("tests"), os.path.join(ROOT, "tests", "common")):
        paths += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith((".h", ".c"))
                        and os.path.join(d, f) not in paths)
    for p in paths:
        h.update(p.encode())
        try:
            with open(p, "rb") as f:
                h.update(f.read())
        except OSError:
            h.update(b"<missing>")
    return h.hexdigest()


def state_file(name):
    """.kata/<name>; a file an older version kept in build/.state moves there."""
    path, old = os.path.join(STATE, name), os.path.join(course.CACHE, name)
    if not os.path.exists(path) and os.path.exists(old):
        os.makedirs(STATE, exist_ok=True)
        os.replace(old, path)
    return path


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def save_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def _update_status(ex, **fields):
    path = state_file("status.json")
    data = load_json(path)
    data.setdefault(ex.name, {}).update(fields)
    save_json(path, data)


def record_status(ex, rep):
    failing = [r.test for r in rep.results if not r.passed]
    _update_status(ex, hash=content_hash(ex), ok=bool(rep.ok), passed=rep.passed,
                   total=len(rep.results), first_failing=failing[0] if failing else "",
                   compiles=rep.outcome is not Outcome.COMPILE_ERROR_STUDENT)


def record_helgrind(ex, ok):
    _update_status(ex, helgrind_hash=content_hash(ex), helgrind_ok=bool(ok))


def exercise_state(ex, data):
    """(state, detail, next step) of an exercise from the recorded runs."""
    rec = data.get(ex.name) or {}
    num = "%02d" % ex.number
    if "hash" not in rec:
        return ("not started", "", lang.t("step.start", ex.name, student_label(ex, None), num))
    current = content_hash(ex)
    if rec["hash"] != current:
        return "not checked", lang.t("status.changed"), lang.t("step.test", num)
    if not rec.get("compiles", True):
        return ("no compile", lang.t("status.no compile"), lang.t("step.compile", num))
    if not rec.get("ok"):
        return ("failing", lang.t("status.n pass", rec.get("passed", 0), rec.get("total", 0)),
                lang.t("step.fix", num, rec.get("first_failing") or "the first FAIL", num))
    if ex.helgrind_source() and not (rec.get("helgrind_hash") == current and rec.get("helgrind_ok")):
        detail = (lang.t("status.hg problems") if rec.get("helgrind_hash") == current
                  else lang.t("status.hg not run"))
        return "tests pass", detail, lang.t("step.helgrind", num)
    return "done", "", ""


def current_exercise(exercises):
    """The exercise `make status` says to work on: the first not done; None
    when every one is."""
    data = status_of_all()
    return next((ex for ex in exercises if exercise_state(ex, data)[0] != "done"), None)


def status_of_all():
    return load_json(state_file("status.json"))


def helgrind_clean(ex):
    """True when helgrind passed the learner's current code (or the
    exercise has no helgrind check)."""
    if not ex.helgrind_source():
        return True
    rec = status_of_all().get(ex.name) or {}
    return rec.get("helgrind_hash") == content_hash(ex) and bool(rec.get("helgrind_ok"))


# ---- the learner's runs, recorded ---------------------------------------------

def run_tests(ex, src=None, sources=None, only=None):
    """Builds and runs an exercise's tests (run.run_tests); saves the results
    in the build folder and, for the learner's own files, in the status.
    A selection (`make test T=..`: the test files `sources`, the one test
    `only`) is shown, never saved: it is not the exercise's verdict."""
    require_compiler()
    require_criterion()
    rep = run.run_tests(ex, src, sources)
    rep.split_optional(ex.optional_tests())
    if sources is not None:
        if only:
            rep.results = [r for r in rep.results if r.test == only]
            rep.optional = [r for r in rep.optional if r.test == only]
        return rep
    # "ok" counts the required tests only; "results" lists every test, the
    # optional ones last and marked (make check judges them like the others).
    data = {"exercise": ex.name, "ok": bool(rep.ok), "problem": rep.problem,
            "outcome": rep.outcome.value,
            "results": [{"test": r.test, "passed": r.passed, "message": r.message,
                         "skipped": r.skipped, "optional": optional}
                        for optional, part in ((False, rep.results), (True, rep.optional))
                        for r in part]}
    with open(os.path.join(run.var_dir(ex, src), "results.json"), "w") as f:
        json.dump(data, f, indent=1)
    if src is None:
        record_status(ex, rep)
    return rep


def run_helgrind(ex, src=None):
    """The helgrind check (run.run_helgrind), with where its logs are;
    recorded like run_tests. Returns (ok, text)."""
    require_compiler()
    require_valgrind()
    result = os.path.join(run.var_dir(ex, src), "helgrind.json")
    if os.path.exists(result):
        os.remove(result)
    hg = run.run_helgrind(ex, src)
    if not hg.logdir:  # it did not build: nothing ran, nothing to record
        return False, hg.text
    text = hg.text + "\n" + lang.t("hg.full logs", os.path.relpath(hg.logdir, ROOT))
    if src is None:
        record_helgrind(ex, hg.ok)
    with open(result, "w") as f:
        json.dump({"exercise": ex.name, "ok": hg.ok, "clean": hg.clean,
                   "reported": hg.reported, "stuck": hg.stuck, "text": text}, f, indent=1)
    return hg.ok, text

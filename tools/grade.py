"""Graded coursework: points per test and per exercise, a table for people,
a Gradescope results.json and JUnit XML; batch grading of a class.

  kata.py grade [--ex EX] [--src DIR] [--results PATH] [--hidden DIR]
  kata.py grade-all --submissions DIR [--out DIR] [--hidden DIR]

Points (exercises.ini): an exercise's `points` are split between its helgrind
check and its tests. The helgrind check is worth `helgrind_points` (default:
a fifth of the exercise, when the exercise has one); the rest is split evenly
over every test, hidden ones included. The helgrind check earns its points
only when every visible test of the exercise passes: a proof that code which
does not work yet is free of races proves nothing (a stub has no threads).
A run that fails as a whole (no compile, a crash before the tests, processes
left behind, a containment limit) earns nothing for that exercise.

Submitted code runs contained (procs.Limits): limits on processes, memory,
CPU time, file size and open files; as root also a private /tmp and a user
of its own (uid 64000 or the next one no other grader holds, no account
needed), which may write only the run's own folder."""

import configparser
import csv
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import build
import course
import lang
import procs
import report
import ui
from course import ROOT, UsageError
from prereq import require_compiler, require_criterion, require_valgrind

KATA = os.path.join(ROOT, "tools", "kata.py")
DEFAULT_RESULTS = os.path.join("build", "grade", "results.json")
DEFAULT_ALL_OUT = os.path.join("build", "grade-all")
GRADE_UID = 64000        # as root, submitted code runs as GRADE_UID or a uid above it
MESSAGE_CHARS = 1500     # a failing test's output in results.json
FAILURES_SHOWN = 3       # failing tests listed per exercise in the table for people
HELGRIND_SHARE = 0.2     # default helgrind_points: this share of the exercise


# ---- metadata ------------------------------------------------------------------

def extra(ex):
    """Grading keys of an exercise's section that the engine itself does not
    read: helgrind_points, memory_mb, processes."""
    parser = configparser.ConfigParser(inline_comment_prefixes=(";",))
    parser.read(os.path.join(ROOT, course.COURSE_FILE))
    s = parser[ex.name] if parser.has_section(ex.name) else {}
    has_hg = ex.helgrind_source() is not None
    hg = float(s.get("helgrind_points", round(ex.points * HELGRIND_SHARE, 2) if has_hg else 0))
    if not has_hg:
        hg = 0.0
    if not 0 <= hg <= ex.points:
        raise UsageError("%s: helgrind_points = %g must be between 0 and points = %g"
                         % (ex.name, hg, ex.points))
    return {"helgrind_points": hg, "memory_mb": int(s.get("memory_mb", 1024)),
            "processes": int(s.get("processes", 256))}


def hidden_sources(ex, hidden_dir=None):
    """The instructor's hidden tests: HIDDEN/<exercise>/test_*.c, or
    tests/<exercise>/hidden/test_*.c."""
    d = os.path.join(os.path.abspath(hidden_dir), ex.name) if hidden_dir else ex.path("tests", "hidden")
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.startswith("test_") and f.endswith(".c"))


def timeout_for(ex):
    """Seconds one exercise may take to grade, compiling included."""
    return ex.timeout + ex.helgrind_timeout + 4 * build.COMPILE_SECONDS


# ---- containment ---------------------------------------------------------------

_claimed = {}   # slot -> (uid, the open lock file that holds it)
UID_LOCKS = "/run/lock" if os.path.isdir("/run/lock") else "/tmp"


def _uid_in_use(uid):
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.stat("/proc/" + entry).st_uid == uid:
                return True
        except OSError:
            pass
    return False


def grading_uid(slot):
    """As root: a user of this grader's own, never shared with another grader
    on the machine (a lock file per uid, held while this process lives, and
    no process running as it), so its process count and clean-up are its
    own. None when we are not root."""
    if os.geteuid() != 0:
        return None
    if slot not in _claimed:
        for uid in range(GRADE_UID + slot, GRADE_UID + 1000):
            try:
                f = open(os.path.join(UID_LOCKS, "kata-grade-uid-%d.lock" % uid), "w")
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue
            if _uid_in_use(uid):
                f.close()
                continue
            _claimed[slot] = (uid, f)
            break
        else:
            raise UsageError("no free grading user between uid %d and %d" % (GRADE_UID, GRADE_UID + 999))
    return _claimed[slot][0]


def limits_for(ex, slot, seconds):
    x = extra(ex)
    return procs.Limits(processes=x["processes"], memory=x["memory_mb"] << 20,
                        total_memory=max(x["memory_mb"], 1024) << 20, cpu=int(seconds) + 10,
                        uid=grading_uid(slot), keep=(ROOT,))


def _writable_by(path, uid):
    """A fresh folder the grading user may write (and nothing else)."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    if uid is not None:
        os.chown(path, uid, uid)


def _reachable(path, uid):
    """As root: can the grading user reach and run `path`?"""
    if uid is None:
        return
    d = os.path.dirname(os.path.abspath(path))
    while d != os.sep:
        if not os.stat(d).st_mode & 0o001:
            raise UsageError("the grading user (uid %d) cannot enter %s: make the folders above "
                             "the repository searchable (chmod o+x) or grade as another user" % (uid, d))
        d = os.path.dirname(d)


# ---- includes ----------------------------------------------------------------------

INCLUDE_RE = re.compile(r"^[ \t]*(?:#|%:)[ \t]*include\w*[ \t]*(.*)$", re.M)
ALLOWED_INCLUDE = re.compile(r'"[\w.+-]+\.h"|<[\w.+/-]+\.h>|<\w+>')


def _preprocessor_view(text):
    """The text as the preprocessor reads its directives: lines spliced,
    comments gone (string literals are left as they are)."""
    text = text.replace("\\\r\n", "").replace("\\\n", "")
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def check_includes(paths):
    """Submitted code may include headers by name only: a path with a folder
    in it or a .c file could compile in the reference solution, a hidden test
    or any file the grader can read."""
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            text = _preprocessor_view(f.read())
        for arg in INCLUDE_RE.findall(text):
            arg = arg.strip()
            if not ALLOWED_INCLUDE.fullmatch(arg) or ".." in arg:
                return ("%s includes %s: graded code may include the exercise's headers and "
                        "system headers by name (\"x.h\", <sys/x.h>), nothing else"
                        % (course.shown(p), arg[:80]))
    return None


# ---- one exercise ---------------------------------------------------------------

def variant(src):
    return "graded-" + build.variant_name(src)


def run_tests(ex, src, sources, slot=0):
    """Builds and runs the tests `sources`, contained; returns a RunReport."""
    expected = report.expected_tests(sources)
    d = os.path.join(build.BUILD, ex.name, variant(src))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            bad = check_includes(ex.student_paths(src))
            if bad:
                raise build.BuildError(bad, True)
            binary = build.build(ex, src, test_sources=sources, variant=variant(src))
        except UsageError:
            problem = "not submitted: %s not found in the submission" % ", ".join(ex.files)
            return report.RunReport([report.Result(t, False, problem) for t in expected], problem)
        except build.BuildError as e:
            who = "your code" if e.student else "the tests"
            problem = "%s does not compile:\n%s" % (who, e.output.rstrip())
            return report.RunReport([report.Result(t, False, problem) for t in expected], problem)
        limits = limits_for(ex, slot, ex.timeout)
        _reachable(binary, limits.uid)
        run = os.path.join(d, "run")
        marks, xml = os.path.join(run, "marks"), os.path.join(run, "report.xml")
        _writable_by(run, limits.uid)
        _writable_by(marks, limits.uid)
        # KATA_LANG: the tests' messages in the language of the engine's verdicts
        env = dict(os.environ, KATA_MARKS=marks, KATA_TEST_SECONDS="%g" % ex.test_seconds,
                   LC_ALL="C.UTF-8", KATA_LANG=lang.code())
        outcome = procs.run([binary, "--xml=" + xml], ex.timeout, os.path.join(d, "output.log"),
                            env=env, cwd=ROOT, contain=limits)
        rep = report.verdicts(expected, xml, marks, outcome, ex.timeout)
        if outcome.limit:  # what ended the run says more than how each test ended
            rep.problem = "the run was ended: %s" % outcome.limit
            rep.results = [report.Result(t, False, rep.problem) for t in expected]
        return rep


def run_helgrind(ex, src, slot=0):
    """The helgrind check, contained; returns (ok, text)."""
    import helgrind_summary
    d = os.path.join(build.BUILD, ex.name, variant(src))
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            driver = build.build(ex, src, helgrind=True, variant=variant(src))
        except build.BuildError as e:
            return False, "does not compile:\n%s" % e.output.rstrip()
        limits = limits_for(ex, slot, ex.helgrind_timeout)
        logdir = os.path.join(d, "helgrind")
        _writable_by(logdir, limits.uid)
        supp = os.path.join(ROOT, "tests", "common", "helgrind.supp")
        argv = ["valgrind", "--tool=helgrind", "--suppressions=" + supp,
                "--log-file=" + os.path.join(logdir, "helgrind.%p.log"), driver]
        outcome = procs.run(argv, ex.helgrind_timeout, os.path.join(d, "helgrind-output.log"),
                            cwd=ROOT, contain=limits)
        logs = []
        for name in sorted(os.listdir(logdir)):
            if name.startswith("helgrind.") and name.endswith(".log"):
                with open(os.path.join(logdir, name), encoding="utf-8", errors="replace") as f:
                    logs.append(f.read())
        students = [os.path.relpath(p, ROOT) for p in ex.student_paths(src)]
        summary = helgrind_summary.summarize(logs, students)
        text, ok = summary.text.rstrip(), summary.ok
        if outcome.limit:
            ok, text = False, text + "\nThe helgrind run was ended: %s." % outcome.limit
        elif outcome.timed_out:
            ok, text = False, text + ("\nThe helgrind run was stopped after %g s: the scenario "
                                      "hangs (a deadlock?)." % ex.helgrind_timeout)
        elif outcome.returncode != 0:
            ok, text = False, text + ("\nThe scenario itself failed under helgrind (exit status "
                                      "%s)." % outcome.returncode)
        if outcome.leftovers:
            ok, text = False, text + "\nProcesses were left running after the scenario ended."
        return ok, text


def _cut(text, limit=MESSAGE_CHARS):
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "\n... (cut)"


def _words(name):
    """child_ends_with__exit -> 'child ends with _exit'."""
    return re.sub(r"_+", lambda m: " " + "_" * (len(m.group()) - 1), name).strip()


def test_name(ex, tid):
    suite, _, name = tid.partition("::")
    return "%s %s: %s" % (ex.name, _words(suite), _words(name))


def grade_exercise(ex, src=None, hidden_dir=None, slot=0):
    """Grades one exercise; returns its Gradescope test entries and totals."""
    # The optional tests are left out: worth nothing, they are not run here.
    visible, hidden = ex.required_test_sources(), hidden_sources(ex, hidden_dir)
    hidden_ids = set(report.expected_tests(hidden))
    rep = run_tests(ex, src, visible + hidden, slot)
    x = extra(ex)
    hg_points = x["helgrind_points"]
    per_test = round((ex.points - hg_points) / max(1, len(rep.results)), 6)
    tests = []
    for i, r in enumerate(rep.results, 1):
        if i == len(rep.results):  # the rounding's remainder: the points add up exactly
            per_test = round(ex.points - hg_points - per_test * (i - 1), 6)
        passed = r.passed and not rep.problem
        message = r.message if not rep.problem or r.message == rep.problem else (
            "%s\n(the whole run failed: %s)" % (r.message, rep.problem) if r.message else rep.problem)
        tests.append({"name": test_name(ex, r.test), "number": "%d.%d" % (ex.number, i),
                      "score": per_test if passed else 0.0, "max_score": per_test,
                      "status": "passed" if passed else "failed",
                      "output": "" if passed else _cut(message),
                      "visibility": "after_due_date" if r.test in hidden_ids else "visible",
                      "hidden": r.test in hidden_ids, "test": r.test, "exercise": ex.name})
    hg_state = None
    if ex.helgrind_source():
        visible_ok = not rep.problem and rep.results and all(
            r.passed for r in rep.results if r.test not in hidden_ids)
        if visible_ok:
            require_valgrind()
            ok, text = run_helgrind(ex, src, slot)
            hg_state = "clean" if ok else "FAIL"
        else:
            ok, hg_state = False, "not run"
            text = ("not run: the helgrind check counts once every test of %s passes (a proof "
                    "that code which does not work yet is free of races proves nothing)" % ex.name)
        tests.append({"name": "%s helgrind: no data race or lock-order error in your code" % ex.name,
                      "number": "%d.%d" % (ex.number, len(rep.results) + 1),
                      "score": hg_points if ok else 0.0, "max_score": hg_points,
                      "status": "passed" if ok else "failed", "output": "" if ok else _cut(text),
                      "visibility": "visible", "hidden": False, "test": "helgrind",
                      "exercise": ex.name})
    score = round(sum(t["score"] for t in tests), 2)
    return {"exercise": ex.name, "title": ex.title, "score": score, "max_score": ex.points,
            "tests": tests, "problem": rep.problem, "helgrind": hg_state,
            "passed": sum(1 for r in rep.results if r.passed and not rep.problem
                          and r.test not in hidden_ids),
            "total": sum(1 for r in rep.results if r.test not in hidden_ids),
            "hidden_passed": sum(1 for r in rep.results if r.passed and not rep.problem
                                 and r.test in hidden_ids),
            "hidden_total": len(hidden_ids)}


# ---- one submission ------------------------------------------------------------

def grade(exercises, src=None, hidden_dir=None, slot=0):
    require_compiler()
    require_criterion()
    start = time.monotonic()
    graded = [grade_exercise(ex, src, hidden_dir, slot) for ex in exercises]
    total = round(sum(g["score"] for g in graded), 2)
    out = {"score": total, "execution_time": round(time.monotonic() - start, 1),
           "output": table(graded, total, colour=False),
           "stdout_visibility": "hidden",
           "tests": [{k: v for k, v in t.items() if k not in ("hidden", "test", "exercise")}
                     for g in graded for t in g["tests"]],
           "extra_data": {"max_score": round(sum(g["max_score"] for g in graded), 2),
                          "grading_uid": grading_uid(slot),
                          "exercises": {g["exercise"]: {"score": g["score"], "max_score": g["max_score"]}
                                        for g in graded}}}
    return graded, out


def _points(x):
    return ("%.2f" % x).rstrip("0").rstrip(".") if x != int(x) else "%d" % x


def table(graded, total, colour=True):
    paint = ui.paint if colour else (lambda text, _c: text)
    lines = ["%-18s %-8s %-8s %-9s %s" % ("exercise", "tests", "hidden", "helgrind", "points")]
    for g in graded:
        hidden = "%d/%d" % (g["hidden_passed"], g["hidden_total"]) if g["hidden_total"] else "-"
        full = g["score"] >= g["max_score"]
        pts = paint("%6.2f / %s" % (g["score"], _points(g["max_score"])), "green" if full else "red")
        lines.append("%-18s %-8s %-8s %-9s %s" % (g["exercise"], "%d/%d" % (g["passed"], g["total"]),
                                                  hidden, g["helgrind"] or "-", pts))
    max_total = sum(g["max_score"] for g in graded)
    lines.append("%-18s %-8s %-8s %-9s %6.2f / %s" % ("total", "", "", "", total, _points(max_total)))
    return "\n".join(lines)


def failures(graded, colour=True):
    """One line per failing test: what the learner missed, first line only."""
    paint = ui.paint if colour else (lambda text, _c: text)
    lines = []
    for g in graded:
        if g["problem"]:
            lines.append("%s: %s" % (g["exercise"], g["problem"].splitlines()[0][:200]))
            continue
        failed = [t for t in g["tests"] if t["status"] == "failed"]
        for t in failed[:FAILURES_SHOWN]:
            first = (t["output"].splitlines() or [""])[0]
            lines.append("%s %s%s" % (paint("FAIL", "red"), t["name"],
                                      " (hidden)" if t["hidden"] else ""))
            lines.append("       " + (first[:160] + ("..." if len(first) > 160 else "")))
        if len(failed) > FAILURES_SHOWN:
            lines.append("       ... and %d more failing in %s (all of them: the results file)"
                         % (len(failed) - FAILURES_SHOWN, g["exercise"]))
    return "\n".join(lines)


def junit(graded):
    root = ET.Element("testsuites", name="kata")
    for g in graded:
        failed = [t for t in g["tests"] if t["status"] == "failed"]
        suite = ET.SubElement(root, "testsuite", name=g["exercise"], tests=str(len(g["tests"])),
                              failures=str(len(failed)))
        for t in g["tests"]:
            case = ET.SubElement(suite, "testcase", classname=g["exercise"], name=t["name"])
            ET.SubElement(case, "properties")
            prop = case.find("properties")
            ET.SubElement(prop, "property", name="score", value="%g" % t["score"])
            ET.SubElement(prop, "property", name="max_score", value="%g" % t["max_score"])
            ET.SubElement(prop, "property", name="visibility", value=t["visibility"])
            if t["status"] == "failed":
                fail = ET.SubElement(case, "failure", message=(t["output"].splitlines() or [""])[0][:200])
                fail.text = t["output"]
    return ET.tostring(root, encoding="unicode")


def write_results(path, results, graded):
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    os.replace(tmp, path)
    xml = os.path.join(os.path.dirname(path), "junit.xml")
    with open(xml, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n' + junit(graded) + "\n")
    return xml


def cmd_grade(args):
    exercises = course.load()
    if args.ex:
        exercises = [course.resolve(args.ex, exercises)]
    path = args.results or os.path.join(ROOT, DEFAULT_RESULTS)
    src = args.src
    if src and not any(os.path.isdir(os.path.join(src, ex.name)) for ex in exercises) \
            and os.path.isdir(os.path.join(src, "exercises")):
        src = os.path.join(src, "exercises")  # SRC is a whole clone of the repository
    graded, results = grade(exercises, src, args.hidden, getattr(args, "slot", 0) or 0)
    xml = write_results(path, results, graded)
    if not getattr(args, "quiet", False):
        print(table(graded, results["score"]))
        fails = failures(graded)
        if fails:
            print()
            print(fails)
        print(ui.paint("results: %s, %s" % (course.shown(os.path.abspath(path)), course.shown(xml)), "dim"))
    full = results["score"] >= results["extra_data"]["max_score"]
    return 0 if full else 1


# ---- where a submission keeps its files ------------------------------------------

def locate(submission, exercises, dest):
    """Copies a submission's .c files into dest/<exercise>/ (a SRC folder)
    and returns what was found: {exercise: [files]}. A submission is the
    whole repository (exercises/NN-slug/x.c), its exercises folder
    (NN-slug/x.c), or just the .c files, in any folders. Symbolic links and
    big files are never taken."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    found_files = {}
    for d, dirs, files in os.walk(submission):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x not in ("build", "solutions"))
        for f in files:
            p = os.path.join(d, f)
            if f.endswith(".c") and not os.path.islink(p) and os.path.getsize(p) < (1 << 20):
                found_files.setdefault(f, []).append(p)
    got = {}
    for ex in exercises:
        for f in ex.files:
            candidates = found_files.get(f, [])
            if not candidates:
                continue

            def rank(p):
                parts = os.path.relpath(p, submission).split(os.sep)
                return (ex.name not in parts, "exercises" not in parts, len(parts), p)
            best = sorted(candidates, key=rank)[0]
            others = [e for e in exercises if e is not ex and f in e.files]
            if others and ex.name not in os.path.relpath(best, submission).split(os.sep):
                # the same file name in two exercises: only a folder tells them apart
                continue
            os.makedirs(os.path.join(dest, ex.name), exist_ok=True)
            shutil.copyfile(best, os.path.join(dest, ex.name, f))
            got.setdefault(ex.name, []).append(f)
    return got


# ---- a whole class ---------------------------------------------------------------

def grade_all(submissions, out_dir, hidden_dir=None, jobs=0, quiet=False):
    exercises = course.load()
    students = sorted(s for s in os.listdir(submissions)
                      if os.path.isdir(os.path.join(submissions, s)) and not s.startswith("."))
    if not students:
        raise UsageError("SUBMISSIONS=%s holds no folders (one folder per student)" % submissions)
    os.makedirs(out_dir, exist_ok=True)
    # Two graders per core: a grading run spends much of its time waiting
    # (watchdogs, sleeps in tests, valgrind start-up), and no verdict depends
    # on timing, so the cores stay busy and nobody's verdict changes.
    jobs = jobs or 2 * (os.cpu_count() or 1)
    slots = list(range(jobs))
    limit = sum(timeout_for(ex) for ex in exercises) + 60
    stage_root = os.path.join(build.BUILD, "submissions")
    start = time.monotonic()

    def one(student):
        slot = slots.pop()
        try:
            src = os.path.join(stage_root, student)
            locate(os.path.join(submissions, student), exercises, src)
            results = os.path.join(out_dir, student, "results.json")
            if os.path.exists(results):
                os.remove(results)
            argv = [sys.executable, "-S", KATA, "grade", "--src", src, "--results", results,
                    "--slot", str(slot), "--quiet"]
            if hidden_dir:
                argv += ["--hidden", hidden_dir]
            note = _run_grader(argv, limit, os.path.join(out_dir, student, "grade.log"))
            try:
                with open(results) as f:
                    data = json.load(f)
            except (OSError, ValueError):
                data = None
                note = note or "grading this student failed (see grade.log)"
            if data is None:
                _write_failed(results, exercises, note)
                scores = {ex.name: 0.0 for ex in exercises}
            else:
                scores = {n: e["score"] for n, e in data["extra_data"]["exercises"].items()}
            if not quiet:
                print("%-24s %7.2f%s" % (student, sum(scores.values()), ("  " + note) if note else ""))
                sys.stdout.flush()
            return student, scores, note
        finally:
            slots.append(slot)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        rows = list(pool.map(one, students))
    csv_path = os.path.join(out_dir, "grades.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student"] + [ex.name for ex in exercises] + ["total"])
        for student, scores, _ in rows:
            w.writerow([student] + ["%g" % scores.get(ex.name, 0.0) for ex in exercises]
                       + ["%g" % round(sum(scores.values()), 2)])
    if not quiet:
        print("graded %d students in %.0f s: %s" % (len(rows), time.monotonic() - start,
                                                     course.shown(os.path.abspath(csv_path))))
    return rows


def _run_grader(argv, limit, log):
    """Runs one student's grader in its own session; ends it and everything
    under it after `limit` seconds. Returns a note when it did not end well."""
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT, start_new_session=True)
        try:
            rc = proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            rc = None
        tree = procs.descendants(proc.pid)
        for pid in list(tree) + [proc.pid]:
            try:
                os.kill(pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait()
    if rc is None:
        return "grading took more than %d s and was stopped" % limit
    if rc not in (0, 1):
        return "the grader ended with status %s (see grade.log)" % rc
    return ""


def _write_failed(path, exercises, note):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"score": 0, "output": note, "tests": [],
                   "extra_data": {"exercises": {ex.name: {"score": 0, "max_score": ex.points}
                                                for ex in exercises}}}, f, indent=1)


def cmd_grade_all(args):
    if not args.submissions:
        raise UsageError("say where the submissions are: make grade-all SUBMISSIONS=dir "
                         "(one folder per student)")
    out = args.out or os.path.join(ROOT, DEFAULT_ALL_OUT)
    grade_all(args.submissions, out, args.hidden, args.jobs)
    return 0


def dispatch(args):
    """The grading commands of kata.py."""
    if args.cmd == "grade":
        return cmd_grade(args)
    if args.cmd == "grade-all":
        return cmd_grade_all(args)
    try:
        if args.cmd == "release":
            import release
            return release.cmd_release(args)
        if args.cmd == "gradescope":
            import gradescope
            return gradescope.cmd_gradescope(args)
    except ImportError:
        raise UsageError("`make %s` is for the full repository (the instructor's), not a student "
                         "release" % args.cmd)
    raise UsageError("unknown command %s" % args.cmd)

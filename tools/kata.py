#!/usr/bin/env python3
"""The kata engine: what the Makefile's targets run.

  kata.py status
  kata.py test [--ex EX] [--src DIR]
  kata.py helgrind --ex EX [--src DIR]
  kata.py hint --ex EX [--n N]
  kata.py compdb
Exit status: 0 all good, 1 a test or check failed, 2 bad input or a missing tool."""

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import build  # noqa: E402
import course  # noqa: E402
import lang  # noqa: E402
import procs  # noqa: E402
import report  # noqa: E402
import ui  # noqa: E402
from course import ROOT, UsageError  # noqa: E402

from prereq import (STATE, require_compiler, require_criterion, require_linux,  # noqa: E402
                    require_valgrind)


# ---- running the tests --------------------------------------------------

def var_dir(ex, src):
    return os.path.join(build.BUILD, ex.name, build.variant_name(src))


def run_tests(ex, src=None):
    """Builds and runs an exercise's tests; returns a RunReport. Runs of the
    same exercise and SRC wait for each other (they share a build folder)."""
    require_compiler()
    require_criterion()
    d = var_dir(ex, src)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _run_tests_locked(ex, src)


def _run_tests_locked(ex, src):
    expected = report.expected_tests(ex.test_sources())
    try:
        binary = build.build(ex, src)
    except UsageError as e:  # e.g. a submission without this exercise's files
        rep = report.RunReport([report.Result(t, False, "not submitted") for t in expected],
                               "no submission for this exercise: %s" % e)
        _save_results(ex, src, rep)
        return rep
    except build.BuildError as e:
        who = "your code does" if e.student else "the tests do"
        problem = "%s not compile:\n%s" % (who, e.output.rstrip())
        rep = report.RunReport([report.Result(t, False, "did not compile") for t in expected],
                               problem)
        _save_results(ex, src, rep)
        return rep
    d = var_dir(ex, src)
    marks, xml = os.path.join(d, "marks"), os.path.join(d, "report.xml")
    shutil.rmtree(marks, ignore_errors=True)
    os.makedirs(marks)
    if os.path.exists(xml):
        os.remove(xml)
    # KATA_LANG passes the learner's language on: LC_ALL below would hide LANG.
    env = dict(os.environ, KATA_MARKS=marks, KATA_TEST_SECONDS="%g" % ex.test_seconds,
               LC_ALL="C.UTF-8", KATA_LANG=lang.code())
    outcome = procs.run([binary, "--xml=" + xml], ex.timeout, os.path.join(d, "output.log"),
                        env=env, cwd=ROOT)
    rep = report.verdicts(expected, xml, marks, outcome, ex.timeout)
    _save_results(ex, src, rep)
    return rep


def _save_results(ex, src, rep):
    rep.split_optional(ex.optional_tests())
    # "ok" counts the required tests only; "results" lists every test, the
    # optional ones last and marked (make check judges them like the others).
    data = {"exercise": ex.name, "ok": bool(rep.ok), "problem": rep.problem,
            "results": [{"test": r.test, "passed": r.passed, "message": r.message,
                         "skipped": r.skipped, "optional": optional}
                        for optional, part in ((False, rep.results), (True, rep.optional))
                        for r in part]}
    with open(os.path.join(var_dir(ex, src), "results.json"), "w") as f:
        json.dump(data, f, indent=1)
    if src is None:
        record_status(ex, rep)


def student_label(ex, src):
    base = ex.path("exercises") if src is None else os.path.join(os.path.abspath(src), ex.name)
    return ", ".join(course.shown(os.path.join(base, f)) for f in ex.files)


def print_report(ex, src, rep, brief=False):
    """One line per test with the failing message. Brief (for a run of every
    exercise): the count and the first failure only."""
    out = sys.stdout
    print("%s %s  %s" % (ui.paint(ex.name, "bold"), ex.shown_title(lang.zh()),
                         ui.paint("(" + student_label(ex, src) + ")", "dim")))
    failed = [r for r in rep.results if not r.passed]
    if rep.problem and rep.problem.startswith(("your code does not compile", "the tests do not")):
        lines = rep.problem.splitlines()  # the compiler's own words, as it wrote them
        if lines[0] == "your code does not compile:":
            lines[0] = lang.t("test.compile error")
        print("\n".join("  " + ln for ln in (lines[:1] if brief else lines)))
    elif brief:
        if failed:
            print("  %s %s" % (ui.paint("FAIL", "red"), failed[0].test))
            print(ui.wrap(failed[0].message.splitlines()[0], "       "))
            if len(failed) > 1:
                print(ui.paint("       " + lang.t("test.more", len(failed) - 1, ex.number), "dim"))
        if rep.problem:
            print(ui.paint("  " + rep.problem, "red"))
    else:
        print_results(rep.results, rep.problem, "  ", "red")
        if rep.problem:
            print(ui.paint("  " + rep.problem, "red"))
    print_optional(rep, brief)
    out.flush()


def print_optional(rep, brief=False):
    """The optional tests, after the others, under their own heading; they
    never change the verdict. Brief: the heading alone."""
    if not rep.optional:
        return
    skipped = sum(1 for r in rep.optional if r.passed and report.was_skipped(r))
    passed = sum(r.passed for r in rep.optional) - skipped
    more = lang.t("test.optional skipped", skipped) if skipped else ""
    print(ui.paint("  " + lang.t("test.optional", passed, len(rep.optional), more),
                   "dim" if brief else "bold"))
    if not brief:
        print_results(rep.optional, rep.problem, "    ", "yellow")


def print_results(results, problem, indent, fail_colour):
    """A PASS, SKIP or FAIL line per test; under a skip its reason, under a
    failure its message (unless it is the run's problem, printed once, or the
    same as the test above)."""
    previous = None
    for r in results:
        if r.passed:
            skipped = report.was_skipped(r)
            print("%s%s %s" % (indent, ui.paint("SKIP", "yellow") if skipped
                               else ui.paint("PASS", "green"), r.test))
            if skipped:
                print(ui.wrap(r.message, indent + "     "))
            continue
        print("%s%s %s" % (indent, ui.paint("FAIL", fail_colour), r.test))
        if r.message == previous:
            print(ui.paint(indent + "     " + lang.t("test.same"), "dim"))
        elif r.message != problem:
            print(ui.wrap(r.message, indent + "     "))
        previous = r.message


def next_step(ex, src, rep, exercises):
    num = "%02d" % ex.number
    if rep.ok:
        later = [e for e in exercises if e.number > ex.number]
        steps = []
        if ex.helgrind_source():
            steps.append(lang.t("step.helgrind", num))
        if later:
            steps.append(lang.t("test.next ex", later[0].number, later[0].shown_title(lang.zh())))
        nxt = lang.t("test.next", lang.t("test.then").join(steps)) if steps and src is None else ""
        return lang.t("test.all pass", len(rep.results)) + nxt
    if rep.problem.startswith("your code does not compile"):
        return lang.t("test.no compile", num)
    if rep.passed == len(rep.results):
        return lang.t("test.run failed", rep.problem)
    if src is not None:
        return lang.t("test.n of", rep.passed, len(rep.results))
    return lang.t("test.n pass", rep.passed, len(rep.results), student_label(ex, src), num, num)


def cmd_test(args):
    exercises = course.load()
    if args.ex:
        ex = course.resolve(args.ex, exercises)
        rep = run_tests(ex, args.src)
        print_report(ex, args.src, rep)
        print(ui.paint(next_step(ex, args.src, rep, exercises), "green" if rep.ok else "yellow"))
        return 0 if rep.ok else 1
    rows = []
    for ex in exercises:
        rep = run_tests(ex, args.src)
        print_report(ex, args.src, rep, brief=True)
        rows.append((ex, rep))
    print()
    print("%-16s %-8s %s" % ("exercise", "tests", "verdict"))
    for ex, rep in rows:
        verdict = ui.paint("pass", "green") if rep.ok else ui.paint("FAIL", "red")
        print("%-16s %3d/%-4d %s" % (ex.name, rep.passed, len(rep.results), verdict))
    done = sum(1 for _, rep in rows if rep.ok)
    print(lang.t("test.exercises pass", done, len(rows)))
    return 0 if done == len(rows) else 1


# ---- helgrind -------------------------------------------------------------

def run_helgrind(ex, src=None):
    """Runs the exercise's helgrind driver; returns (ok, text)."""
    import helgrind_summary
    require_compiler()
    require_valgrind()
    result = os.path.join(var_dir(ex, src), "helgrind.json")
    if os.path.exists(result):
        os.remove(result)
    try:
        driver = build.build(ex, src, helgrind=True)
    except build.BuildError as e:
        who = "your code" if e.student else "the helgrind driver"
        return False, "%s does not compile:\n%s" % (who, e.output.rstrip())
    logdir = os.path.join(var_dir(ex, src), "helgrind")
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    supp = os.path.join(ROOT, "tests", "common", "helgrind.supp")
    argv = ["valgrind", "--tool=helgrind", "--suppressions=" + supp,
            "--log-file=" + os.path.join(logdir, "helgrind.%p.log"), driver]
    outcome = procs.run(argv, ex.helgrind_timeout, os.path.join(logdir, "output.log"), cwd=ROOT)
    logs = []
    for name in sorted(os.listdir(logdir)):
        if name.startswith("helgrind.") and name.endswith(".log"):
            with open(os.path.join(logdir, name), encoding="utf-8", errors="replace") as f:
                logs.append(f.read())
    students = [os.path.relpath(p, ROOT) for p in ex.student_paths(src)]
    summary = helgrind_summary.summarize(logs, students)
    text = summary.text.rstrip()
    ok = summary.ok
    if outcome.timed_out:
        ok = False
        text += "\n" + lang.t("hg.run stopped", ex.helgrind_timeout)
    elif outcome.returncode != 0:
        ok = False
        text += "\n" + lang.t("hg.scenario failed", outcome.returncode, ex.number)
    if outcome.leftovers:
        ok = False
        text += "\n" + lang.t("hg.left running")
    rel = os.path.relpath(logdir, ROOT)
    text += "\n" + lang.t("hg.full logs", rel)
    if src is None:
        record_helgrind(ex, ok)
    with open(os.path.join(var_dir(ex, src), "helgrind.json"), "w") as f:
        json.dump({"exercise": ex.name, "ok": ok, "clean": summary.ok,
                   "reported": summary.counted, "text": text}, f, indent=1)
    return ok, text


def cmd_helgrind(args):
    ex = course.resolve(args.ex)
    print(lang.t("hg.header", ui.paint(ex.name, "bold"), ex.shown_title(lang.zh()),
                 ui.paint("(" + student_label(ex, args.src) + ")", "dim")))
    ok, text = run_helgrind(ex, args.src)
    print(ui.wrap(text, "  "))
    print(ui.paint(lang.t("hg.clean verdict") if ok else lang.t("hg.fail verdict"),
                   "green" if ok else "red"))
    return 0 if ok else 1


# ---- status -----------------------------------------------------------------

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


def _load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _save_json(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp%d" % os.getpid()
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def _update_status(ex, **fields):
    path = os.path.join(STATE, "status.json")
    data = _load_json(path)
    data.setdefault(ex.name, {}).update(fields)
    _save_json(path, data)


def record_status(ex, rep):
    failing = [r.test for r in rep.results if not r.passed]
    _update_status(ex, hash=content_hash(ex), ok=bool(rep.ok), passed=rep.passed,
                   total=len(rep.results), first_failing=failing[0] if failing else "",
                   compiles=not rep.problem.startswith("your code does not compile"))


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


def cmd_status(args):
    exercises = course.load()
    data = _load_json(os.path.join(STATE, "status.json"))
    colours = {"done": "green", "tests pass": "green", "failing": "red", "no compile": "red",
               "not checked": "yellow", "not started": "dim"}
    next_line = None
    for ex in exercises:
        state, detail, step = exercise_state(ex, data)
        if state != "done" and next_line is None:
            next_line = lang.t("status.next", step)
        shown = lang.t("state." + state)
        pad = 12 - sum(2 if ord(c) > 0x2e7f else 1 for c in shown)  # CJK: two columns each
        print("  %s %-16s %s%s" % (ui.paint(shown + " " * max(pad, 0), colours[state]), ex.name,
                                   ex.shown_title(lang.zh()), ("  (" + detail + ")") if detail else ""))
    print(next_line or lang.t("status.all done"))
    return 0


# ---- hints --------------------------------------------------------------------

def cmd_hint(args):
    ex = course.resolve(args.ex)
    hints = ex.hints(lang.zh())
    if not hints:
        raise UsageError("%s has no hints" % ex.name)
    path = os.path.join(STATE, "hints.json")
    seen = _load_json(path)
    if args.n:
        if not args.n.isdigit() or not 1 <= int(args.n) <= len(hints):
            raise UsageError("N must be a hint number from 1 to %d" % len(hints))
        n = int(args.n)
    else:
        n = min(seen.get(ex.name, 0) + 1, len(hints))
    seen[ex.name] = max(seen.get(ex.name, 0), n)
    _save_json(path, seen)
    title, body = hints[n - 1]
    print(ui.paint(lang.t("hint.title", ex.name, n, len(hints), title), "bold"))
    print(ui.wrap(body, "  ", reflow=True))
    if n < len(hints):
        print(ui.paint(lang.t("hint.more", ex.number), "dim"))
    else:
        print(ui.paint(lang.t("hint.last", ex.number), "dim"))
    return 0


def cmd_compdb(args):
    entries = build.compile_commands(course.load())
    with open(os.path.join(ROOT, "compile_commands.json"), "w") as f:
        json.dump(entries, f, indent=1)
    print("wrote compile_commands.json (%d files)" % len(entries))
    return 0


def cmd_watch(args):
    import watch
    return watch.main(args)


def cmd_reset(args):
    import selfstudy
    return selfstudy.run("reset", args)


def cmd_compare(args):
    import selfstudy
    return selfstudy.run("compare", args)


def cmd_bench(args):
    import bench
    return bench.main(args)


def cmd_check(args):
    import check
    return check.main(args)


GRADING = ("grade", "grade-all", "release", "gradescope")


def main(argv=None):
    p = argparse.ArgumentParser(prog="kata")
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("test", "helgrind", "hint", "status", "compdb", "check", "watch", "reset",
                 "compare"):
        s = sub.add_parser(name)
        s.add_argument("--ex")
        s.add_argument("--src")
        s.add_argument("--n")
        s.add_argument("--jobs", type=int, default=0)
        s.add_argument("--max-runs", type=int, default=0)  # watch: stop after this many runs
    for name in GRADING:  # tools/grade.py
        s = sub.add_parser(name)
        for opt in ("--ex", "--src", "--n", "--results", "--out", "--submissions", "--hidden"):
            s.add_argument(opt)
        s.add_argument("--jobs", type=int, default=0)
        s.add_argument("--slot", type=int, default=0)
        s.add_argument("--quiet", action="store_true")
    s = sub.add_parser("bench")  # tools/bench.py
    for opt in ("--ex", "--src", "--n", "--results", "--out", "--submissions", "--hidden"):
        s.add_argument(opt)
    s.add_argument("--jobs", type=int, default=0)
    args = p.parse_args(argv)
    for key in ("ex", "src", "n", "results", "out", "submissions", "hidden"):  # make passes empty strings for unset variables
        setattr(args, key, getattr(args, key, None) or None)
    try:
        require_linux()
        if args.cmd in ("helgrind", "hint", "reset", "compare") and not args.ex:
            raise UsageError("say which exercise: make %s EX=01" % args.cmd)
        if args.src is not None and not os.path.isdir(args.src):
            raise UsageError("SRC=%s is not a directory" % args.src)
        if args.cmd in GRADING:
            import grade
            return grade.dispatch(args)
        return globals()["cmd_" + args.cmd](args)
    except UsageError as e:
        ui.error(str(e))
        return 2
    except KeyboardInterrupt:
        procs.kill_descendants()
        return 130
    except BrokenPipeError:  # e.g. `make test | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())

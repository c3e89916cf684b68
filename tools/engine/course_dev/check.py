"""`make check`: the repository tests itself.

For every exercise: the stub fails every test, the reference solution passes
every test and is helgrind-clean, and every known-wrong solution fails the
tests its MISTAKE file names (and helgrind says what MISTAKE expects). Then the
tools' own tests, shellcheck, and the consistency of the course files.
The last line is 'check: N passed, N failed'."""

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from engine import build, course, report, ui
from engine.course import ROOT
from engine.course_dev.style import run_clang_format, run_shellcheck

KATA = os.path.join(ROOT, "tools", "kata.py")
CHECK_DIR = os.path.join(build.BUILD, "check")


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def record(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("  %s %s" % (ui.paint("ok  ", "green"), what))
        else:
            self.failed += 1
            print("  %s %s" % (ui.paint("FAIL", "red"), what))
            if detail:
                print(ui.wrap(detail, "       "))
        sys.stdout.flush()


def read_mistake(path):
    """The preamble of a wrong solution's patch, before the first '--- ':
    {'what': str, 'fail': [tests], 'says': [words], 'helgrind': str|None,
    'files': [names]}."""
    info = {"what": "", "fail": [], "says": [], "helgrind": None, "files": []}
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    in_patch = False
    for line in lines:
        if line.startswith("--- "):
            in_patch = True
        if in_patch:
            if line.startswith("+++ "):
                name = line[4:].split("\t")[0].strip()
                info["files"].append(name.split("/", 1)[1] if "/" in name else name)
            continue
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key in ("fail", "says"):
            info[key].append(value)
        elif key in ("what", "helgrind"):
            info[key] = value
    return info


class PatchError(Exception):
    pass


def overlay(ex, diff):
    """A SRC folder: the reference solution with the mistake patched in."""
    slug = os.path.basename(diff)[:-len(".diff")]
    root = os.path.join(CHECK_DIR, ex.name, slug)
    dest = os.path.join(root, ex.name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(dest)
    for f in ex.files:
        shutil.copyfile(ex.path("solutions", f), os.path.join(dest, f))
    proc = subprocess.run(["patch", "-s", "-p1", "--no-backup-if-mismatch", "-r", "-",
                           "-d", dest, "-i", diff],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise PatchError(proc.stdout.decode(errors="replace").strip())
    return root


def _kata(cmd, ex, src):
    """Runs one engine command in its own process (each is its own
    subreaper); returns the JSON it saved."""
    argv = [sys.executable, "-S", KATA, cmd, "--ex", ex.name, "--src", src]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    name = "results.json" if cmd == "test" else "helgrind.json"
    path = os.path.join(build.BUILD, ex.name, build.variant_name(src), name)
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        data = {"ok": False, "results": [], "problem": proc.stdout.decode(errors="replace")[-2000:],
                "text": proc.stdout.decode(errors="replace")[-2000:]}
    data["output"] = proc.stdout.decode(errors="replace")
    return data


def lint_files(ex):
    """The exercise's own files: README, hints, stubs, solutions."""
    problems = []
    for rel in ["README.md", "HINTS.md"] + ex.files:
        if not os.path.isfile(ex.path("exercises", rel)):
            problems.append("exercises/%s/%s is missing" % (ex.name, rel))
    for base in ("README", "HINTS"):  # the Chinese text has the same sections, in order
        zh = ex.path("exercises", base + ".zh-CN.md")
        if os.path.isfile(zh) and os.path.isfile(ex.path("exercises", base + ".md")):
            counts = []
            for p in (ex.path("exercises", base + ".md"), zh):
                with open(p, encoding="utf-8") as f:
                    counts.append(sum(1 for ln in f if ln.startswith("## ")))
            if counts[0] != counts[1]:
                problems.append("exercises/%s/%s.zh-CN.md has %d '## ' sections, %s.md has %d"
                                % (ex.name, base, counts[1], base, counts[0]))
    for f in ex.files:
        if not os.path.isfile(ex.path("solutions", f)):
            problems.append("solutions/%s/%s is missing" % (ex.name, f))
    return problems


def lint_tests(ex):
    """The exercise's tests and helgrind driver."""
    problems = []
    if not ex.test_sources():
        problems.append("tests/%s has no test_*.c" % ex.name)
    names = [os.path.basename(p) for p in ex.test_sources()]
    for f in ex.optional:
        if f not in names:
            problems.append("%s: optional names %s, which is not a test file in tests/%s"
                            % (ex.name, f, ex.name))
    if ex.optional and not ex.required_test_sources():
        problems.append("%s: every test file is optional" % ex.name)
    if not ex.helgrind_source():
        problems.append("tests/%s/helgrind.c is missing" % ex.name)
    for src in ex.test_sources():
        problems += [os.path.relpath(p, ROOT) for p in report.lint_test_source(src)]
    return problems


def lint_wrongs(ex):
    """The known-wrong solutions: at least 3, each a patch with its preamble."""
    problems = []
    tests = set(report.expected_tests(ex.test_sources()))
    wrongs = ex.wrong_solutions()
    wrong_dir = ex.path("tests", "wrong")
    stray = [f for f in (os.listdir(wrong_dir) if os.path.isdir(wrong_dir) else [])
             if not f.endswith(".diff")]
    if stray:
        problems.append("tests/%s/wrong holds files that are not patches: %s"
                        % (ex.name, ", ".join(sorted(stray))))
    if len(wrongs) < 3:
        problems.append("%s has %d known-wrong solutions; at least 3 are needed" % (ex.name, len(wrongs)))
    for w in wrongs:
        rel = os.path.relpath(w, ROOT)
        info = read_mistake(w)
        if not info["what"]:
            problems.append("%s has no 'what:' line" % rel)
        if not info["fail"] and info["helgrind"] != "fail":
            problems.append("%s names no test that must fail" % rel)
        if info["helgrind"] not in (None, "fail", "clean", "stuck"):
            problems.append("%s: 'helgrind:' must be fail, clean or stuck" % rel)
        for t in info["fail"]:
            if t not in tests:
                problems.append("%s names unknown test %s" % (rel, t))
        if not info["files"]:
            problems.append("%s changes no file" % rel)
        extra = [f for f in info["files"] if f not in ex.files]
        if extra:
            problems.append("%s patches files the exercise does not have: %s" % (rel, ", ".join(extra)))
    return problems


def lint(exercises, tally):
    problems = []
    for ex in exercises:
        problems += lint_files(ex) + lint_tests(ex) + lint_wrongs(ex)
    try:
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        for ex in exercises:
            if "| %02d | `%s` |" % (ex.number, ex.name) not in readme:
                problems.append("README.md's exercise table has no row for %s" % ex.name)
    except OSError:
        problems.append("README.md is missing")
    tally.record(not problems, "course files are consistent (%d exercises)" % len(exercises),
                 "\n".join(problems))


def submit_exercise(ex, pool):
    """Starts every run an exercise needs; returns (wrongs, jobs)."""
    wrongs, jobs = [], {}
    for w in ex.wrong_solutions():
        info = read_mistake(w)
        try:
            src = overlay(ex, w)
        except PatchError as e:
            jobs[w + "-patch"] = str(e)
            continue
        wrongs.append((w, info, src))
    jobs.update({
        "stub": pool.submit(_kata, "test", ex, os.path.join(ROOT, "exercises")),
        "solution": pool.submit(_kata, "test", ex, os.path.join(ROOT, "solutions")),
        "solution-hg": pool.submit(_kata, "helgrind", ex, os.path.join(ROOT, "solutions")),
    })
    for w, info, src in wrongs:
        jobs[w] = pool.submit(_kata, "test", ex, src)
        if info["helgrind"]:
            jobs[w + "-hg"] = pool.submit(_kata, "helgrind", ex, src)
    return wrongs, jobs


def report_exercise(ex, wrongs, jobs, tally):
    print(ui.paint("%s %s" % (ex.name, ex.title), "bold"))
    expected = report.expected_tests(ex.test_sources())
    stub = jobs["stub"].result()
    passing = [r["test"] for r in stub["results"] if r["passed"] and not report.was_skipped(r)]
    tally.record(len(stub["results"]) == len(expected) and not passing and expected,
                 "stub fails all %d tests" % len(expected),
                 "tests that pass on the stub cannot fail: %s" % ", ".join(passing) if passing
                 else stub.get("problem", ""))
    sol = jobs["solution"].result()
    failing = [r for r in sol["results"] if not r["passed"]]  # optional tests too
    tally.record(sol["ok"] and not failing and len(sol["results"]) == len(expected),
                 "solution passes all %d tests" % len(expected),
                 "\n".join("%s: %s" % (r["test"], r["message"]) for r in failing)
                 or sol.get("problem", ""))
    hg = jobs["solution-hg"].result()
    tally.record(hg["ok"], "solution is helgrind-clean", "" if hg["ok"] else hg["text"])
    for key, err in jobs.items():
        if key.endswith("-patch"):
            tally.record(False, "%s applies to the solution" % os.path.relpath(key[:-6], ROOT),
                         "the patch no longer applies; remake it against the current solution:\n" + err)
    for w, info, _ in wrongs:
        name = "wrong/" + os.path.basename(w)[:-len(".diff")]
        res = jobs[w].result()
        by_test = {r["test"]: r for r in res["results"]}
        skipped = [t for t in info["fail"] if report.was_skipped(by_test.get(t, {}))]
        slipped = [t for t in info["fail"] if by_test.get(t, {}).get("passed", True) and t not in skipped]
        caught = [t for t in info["fail"] if t not in slipped + skipped]
        label = ("%s must fail %s" % (name, ", ".join(info["fail"])) if slipped
                 else "%s rejected by %s" % (name, ", ".join(caught)) if caught
                 else "%s: its tests skip on this machine (%s)" % (name, ", ".join(skipped)) if skipped
                 else "%s rejected by helgrind" % name)
        tally.record(not slipped, label,
                     "%s (%s) passed: %s" % (name, info["what"], ", ".join(slipped)))
        check_says(name, info, [by_test[t] for t in caught], tally)
        if info["helgrind"]:
            hgw = jobs[w + "-hg"].result()
            if info["helgrind"] == "stuck":  # the scenario hangs: its watchdog says where
                tally.record(hgw.get("stuck", False), "%s: helgrind run reports the hang" % name,
                             hgw["text"])
                continue
            want_ok = info["helgrind"] == "clean"
            # "clean": helgrind reports nothing (the scenario may still fail);
            # "fail": helgrind itself reports the mistake.
            got_ok = hgw.get("clean", False) if want_ok else not hgw.get("reported", 0)
            tally.record(got_ok == want_ok, "%s: helgrind %s" % (name, "clean" if want_ok else "reports it"),
                         hgw["text"])


def check_says(name, info, failed, tally):
    """Each `says:` of a wrong solution is in the message of a test that
    caught it: the words that name the mistake (or where it is) reach the
    learner."""
    for words in info["says"]:
        said = [r for r in failed if words in r.get("message", "")]
        tally.record(bool(said), "%s: its failure says \"%s\"" % (name, words),
                     "\n".join("%s: %s" % (r["test"], r.get("message", "")) for r in failed)
                     or "no test caught it")


def run_tool_tests(tally):
    print(ui.paint("tools", "bold"))
    proc = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", "tests/tools",
                           "-t", ".", "-p", "test_*.py"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT)
    out = proc.stdout.decode(errors="replace")
    summary = [ln for ln in out.splitlines() if ln.startswith("Ran ")]
    tally.record(proc.returncode == 0, "tools' own tests (%s)" % (summary[-1][4:] if summary else "?"),
                 out[-4000:])


def main(args):
    start = time.monotonic()
    tally = Tally()
    exercises = course.load()
    if args.ex:
        exercises = [course.resolve(args.ex, exercises)]
    lint(exercises, tally)
    run_clang_format(exercises, tally)
    jobs = args.jobs or max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pending = [(ex,) + submit_exercise(ex, pool) for ex in exercises]
        for ex, wrongs, jobs in pending:
            report_exercise(ex, wrongs, jobs, tally)
    from engine.course_dev import bench  # every tests/NN/bench.c builds and runs its quick version
    bench.quick_check(exercises, tally)
    if not args.ex:
        run_tool_tests(tally)
        from engine.course_dev import corpus  # hostile submissions against the grader
        corpus.check_corpus(tally)
        run_shellcheck(tally)
    print("check took %.0f s" % (time.monotonic() - start))
    print("check: %d passed, %d failed" % (tally.passed, tally.failed))
    return 0 if tally.failed == 0 else 1

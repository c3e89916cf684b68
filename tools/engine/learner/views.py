"""What `make test`, `make helgrind` and `make status` print: a line per
test with what failed, the next step, the status table."""

import sys

from engine import course, lang, report, ui
from engine.learner import status
from engine.learner.status import student_label
from engine.report import COMPILE_ERRORS, Outcome


def print_report(ex, src, rep, brief=False):
    """One line per test with the failing message. Brief (for a run of every
    exercise): the count and the first failure only."""
    out = sys.stdout
    print("%s %s  %s" % (ui.paint(ex.name, "bold"), ex.shown_title(lang.zh()),
                         ui.paint("(" + student_label(ex, src) + ")", "dim")))
    failed = [r for r in rep.results if not r.passed]
    if rep.outcome in COMPILE_ERRORS:
        lines = rep.problem.splitlines()  # the compiler's own words, as it wrote them
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
    if rep.outcome is Outcome.COMPILE_ERROR_STUDENT:
        return lang.t("test.no compile", num)
    if rep.outcome is Outcome.COMPILE_ERROR_TESTS:
        return lang.t("test.tests no build", num)
    if rep.passed == len(rep.results):
        return lang.t("test.run failed", rep.problem)
    if src is not None:
        return lang.t("test.n of", rep.passed, len(rep.results))
    return lang.t("test.n pass", rep.passed, len(rep.results), student_label(ex, src), num, num)


def cmd_test(args):
    exercises = course.load()
    if args.ex and getattr(args, "t", None):
        return _test_selected(args, course.resolve(args.ex, exercises))
    if args.ex:
        ex = course.resolve(args.ex, exercises)
        rep = status.run_tests(ex, args.src)
        print_report(ex, args.src, rep)
        print(ui.paint(next_step(ex, args.src, rep, exercises), "green" if rep.ok else "yellow"))
        return 0 if rep.ok else 1
    rows = []
    for ex in exercises:
        rep = status.run_tests(ex, args.src)
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


def _test_selected(args, ex):
    """make test EX=.. T=..: one part or one test, shown like the others."""
    sources, only = ex.selection(args.t)  # checked by cli.check_input
    rep = status.run_tests(ex, args.src, sources, only)
    print_report(ex, args.src, rep)
    print(ui.paint(lang.t("t.selected", args.t, ex.number), "dim"))
    ran = rep.results + rep.optional
    return 0 if not rep.problem and ran and all(r.passed for r in ran) else 1


# ---- helgrind -------------------------------------------------------------

def cmd_helgrind(args):
    ex = course.resolve(args.ex)
    print(lang.t("hg.header", ui.paint(ex.name, "bold"), ex.shown_title(lang.zh()),
                 ui.paint("(" + student_label(ex, args.src) + ")", "dim")))
    ok, text = status.run_helgrind(ex, args.src)
    print(ui.wrap(text, "  "))
    print(ui.paint(lang.t("hg.clean verdict") if ok else lang.t("hg.fail verdict"),
                   "green" if ok else "red"))
    return 0 if ok else 1


def cmd_status(args):
    exercises = course.load()
    data = status.status_of_all()
    colours = {"done": "green", "tests pass": "green", "failing": "red", "no compile": "red",
               "not checked": "yellow", "not started": "dim"}
    next_line = None
    for ex in exercises:
        state, detail, step = status.exercise_state(ex, data)
        if state != "done" and next_line is None:
            next_line = lang.t("status.next", step)
        shown = lang.t("state." + state)
        pad = 12 - sum(2 if ord(c) > 0x2e7f else 1 for c in shown)  # CJK: two columns each
        print("  %s %-16s %s%s" % (ui.paint(shown + " " * max(pad, 0), colours[state]), ex.name,
                                   ex.shown_title(lang.zh()), ("  (" + detail + ")") if detail else ""))
    print(next_line or lang.t("status.all done"))
    return 0



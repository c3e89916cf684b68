"""`make hint [EX=..] [N=..]`: the exercise's hints (HINTS.md), one at a
time. Without EX, the current exercise (the first `make status` does not
call done). A hint whose title starts "Part N" belongs to part N (the test
file tests/<ex>/test_N_*.c); when the last run of the tests failed, the next
hint is the first not yet seen of the part that holds the first failing
test. Which hints the learner has seen is kept in .kata/hints.json."""

import os
import re

from engine import course, lang, ui
from engine.course import UsageError
from engine.learner import status

PART = re.compile(r"Part (\d+)\b")


def _exercise(args):
    if args.ex:
        return course.resolve(args.ex)
    ex = status.current_exercise(course.load())
    if ex is None:
        raise UsageError(lang.t("hint.all done"))
    return ex


def failing_part(ex):
    """(part, test) of the first failing test of the last recorded run, or
    (None, "") when it passed, did not compile or never ran."""
    rec = status.status_of_all().get(ex.name) or {}
    test = rec.get("first_failing") or ""
    if not test or rec.get("ok") or not rec.get("compiles", True):
        return None, ""
    return ex.part_of(test), test


def hints_of_part(ex, part):
    """The numbers (from 1) of the hints whose English title names the part."""
    return [i for i, (title, _) in enumerate(ex.hints(), 1)
            if part is not None and PART.match(title) and int(PART.match(title).group(1)) == part]


def _shown(seen, name):
    value = seen.get(name, [])
    return list(range(1, value + 1)) if isinstance(value, int) else list(value)  # old: a count


def choose(ex, shown, count):
    """(hint number, part it follows or None)."""
    part, _ = failing_part(ex)
    mine = hints_of_part(ex, part)
    if mine:
        return next((i for i in mine if i not in shown), mine[-1]), part
    return min(max(shown, default=0) + 1, count), None


def cmd_hint(args):
    ex = _exercise(args)
    hints = ex.hints(lang.zh())
    if not hints:
        raise UsageError("%s has no hints" % ex.name)
    if args.n and (not args.n.isdigit() or not 1 <= int(args.n) <= len(hints)):
        raise UsageError("N=%s: %s has hints 1 to %d" % (args.n, ex.name, len(hints)))
    path = status.state_file("hints.json")
    seen = status.load_json(path)
    shown = _shown(seen, ex.name)
    n, part = (int(args.n), None) if args.n else choose(ex, shown, len(hints))
    seen[ex.name] = sorted(set(shown) | {n})
    status.save_json(path, seen)
    title, body = hints[n - 1]
    if part is not None:
        print(ui.paint(lang.t("hint.for part", part, failing_part(ex)[1]), "dim"))
    print(ui.paint(lang.t("hint.title", ex.name, n, len(hints), title), "bold"))
    print(ui.wrap(body, "  ", reflow=True))
    if n < len(hints):
        more = lang.t("hint.more keys") if getattr(args, "in_watch", False) else \
            lang.t("hint.more", ex.number)
        print(ui.paint(more, "dim"))
    else:
        print(ui.paint(lang.t("hint.last", ex.number), "dim"))
    return 0

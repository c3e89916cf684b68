"""`make hint EX=.. [N=..]`: the exercise's hints (HINTS.md), one at a
time; which ones the learner has seen is kept in build/.state/hints.json."""

import os

from engine import course, lang, ui
from engine.course import STATE, UsageError
from engine.learner import status


def cmd_hint(args):
    ex = course.resolve(args.ex)
    hints = ex.hints(lang.zh())
    if not hints:
        raise UsageError("%s has no hints" % ex.name)
    path = os.path.join(STATE, "hints.json")
    seen = status.load_json(path)
    if args.n:  # checked by cli.check_input
        n = int(args.n)
    else:
        n = min(seen.get(ex.name, 0) + 1, len(hints))
    seen[ex.name] = max(seen.get(ex.name, 0), n)
    status.save_json(path, seen)
    title, body = hints[n - 1]
    print(ui.paint(lang.t("hint.title", ex.name, n, len(hints), title), "bold"))
    print(ui.wrap(body, "  ", reflow=True))
    if n < len(hints):
        print(ui.paint(lang.t("hint.more", ex.number), "dim"))
    else:
        print(ui.paint(lang.t("hint.last", ex.number), "dim"))
    return 0

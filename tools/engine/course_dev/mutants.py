"""`make mutants [EX=..]`: how many small mistakes in the reference solutions
the tests catch (for contributors; slow, so not part of `make check`).

Each mutant is the reference solution with one concurrency-relevant line
deleted or weakened: a call to lock, unlock, signal, broadcast, join, close
or an atomic operation deleted; `while` made `if` around a condition wait;
`broadcast` made `signal`; a memory order made relaxed; a `volatile` or
`_Atomic` removed. Each runs the exercise's tests; one they let live runs
helgrind too. A mutant nothing kills is a survivor, unless
tests/<ex>/mutants-equivalent.txt lists it with the reason it is no mistake:

    <mutant id> | <why it behaves like the solution>

The mutant ids are the ones this command prints (file, operator, the line's
text, and #N when the same line occurs more than once). The score is
killed / (mutants that compile - judged equivalent)."""

import os
import re
import shutil

from engine import build, course, ui
from engine.course import ROOT, UsageError
from engine.course_dev import check

MUTANTS_DIR = os.path.join(build.BUILD, "mutants")
EQUIVALENT = "mutants-equivalent.txt"

DELETED_CALLS = re.compile(
    r"\b(pthread_mutex_lock|pthread_mutex_unlock|pthread_cond_signal|pthread_cond_broadcast|"
    r"pthread_join|close|atomic_\w+)\s*\(")
COND_WAIT = re.compile(r"\bpthread_cond_(timed)?wait\s*\(")
ORDERS = re.compile(r"\bmemory_order_(seq_cst|acq_rel|acquire|release|consume)\b")
QUALIFIERS = re.compile(r"\b(volatile|_Atomic)\b\s*")


class Mutant:
    def __init__(self, file, line, op, text, lines):
        self.file, self.line, self.op, self.text = file, line, op, text
        self.lines = lines  # the whole mutated file
        self.id = "%s: %s: %s" % (file, op, text.strip())


def _is_statement(code):
    """A whole simple statement on one line: `f(...);`, `must(f(...), "..");`,
    `x = atomic_load(..);` (not a control statement, nor a declaration)."""
    s = code.strip()
    if not s.endswith(";") or s.count("(") != s.count(")"):
        return False
    first = s.split("(")[0].split()
    return bool(first) and first[0] not in ("if", "for", "while", "return", "else", "do",
                                            "switch", "case") and len(first) <= 2


def _call_end(line, start):
    """The index just past the parenthesis that closes the call opened at
    start - 1, or None when it closes on another line."""
    depth = 1
    for k in range(start, len(line)):
        depth += {"(": 1, ")": -1}.get(line[k], 0)
        if depth == 0:
            return k + 1
    return None


def _strip_comment(line):
    return line.split("//")[0].split("/*")[0]


def line_mutants(file, lines, i):
    """(operator, new text of line i, or None to delete it) for one line."""
    code = _strip_comment(lines[i])
    found = []
    m = DELETED_CALLS.search(code)
    if m and not code.lstrip().startswith(("static", "extern")):
        if _is_statement(code):
            found.append(("delete %s" % m.group(1), None))
        else:  # inside an expression: the call is not made, its value is 0
            end = _call_end(lines[i], m.end())
            if end:
                found.append(("%s->0" % m.group(1), lines[i][:m.start()] + "0" + lines[i][end:]))
    near_wait = any(COND_WAIT.search(_strip_comment(lines[j]))
                    for j in range(i, min(i + 3, len(lines))))
    if near_wait and re.match(r"\s*while\s*\(", code):
        found.append(("while->if", lines[i].replace("while", "if", 1)))
    if "pthread_cond_broadcast" in code:
        found.append(("broadcast->signal",
                      lines[i].replace("pthread_cond_broadcast", "pthread_cond_signal")))
    for m in ORDERS.finditer(code):
        new = lines[i][:m.start()] + "memory_order_relaxed" + lines[i][m.end():]
        found.append(("%s->relaxed" % m.group(1), new))
    for m in QUALIFIERS.finditer(code):
        found.append(("remove %s" % m.group(1), lines[i][:m.start()] + lines[i][m.end():]))
    return found


def mutants_of(file, text):
    """Every mutant of one source file, in line order; ids made unique."""
    lines = text.splitlines(keepends=True)
    out, seen = [], {}
    for i in range(len(lines)):
        for op, new in line_mutants(file, lines, i):
            mutated = lines[:i] + ([] if new is None else [new]) + lines[i + 1:]
            m = Mutant(file, i + 1, op, lines[i], mutated)
            seen[m.id] = seen.get(m.id, 0) + 1
            if seen[m.id] > 1:
                m.id += " #%d" % seen[m.id]
            out.append(m)
    return out


def read_equivalent(path):
    """{mutant id: reason} from a mutants-equivalent.txt ('#' starts a comment)."""
    judged = {}
    if not os.path.isfile(path):
        return judged
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            mid, sep, why = line.rpartition(" | ")
            if not sep or not mid.strip() or not why.strip():
                raise UsageError("%s:%d: write `<mutant id> | <why it is equivalent>`"
                                 % (os.path.relpath(path, ROOT), n))
            judged[mid.strip()] = why.strip()
    return judged


def _stage(ex, m, k):
    """A SRC folder holding the solution with mutant m in place."""
    root = os.path.join(MUTANTS_DIR, ex.name, "m%03d" % k)
    dest = os.path.join(root, ex.name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(dest)
    for f in ex.files:
        shutil.copyfile(ex.path("solutions", f), os.path.join(dest, f))
    with open(os.path.join(dest, m.file), "w", encoding="utf-8") as f:
        f.writelines(m.lines)
    return root


def judge(ex, m, k):
    """'no-compile', 'tests', 'helgrind' (what killed it) or 'survived'."""
    src = _stage(ex, m, k)
    res = check._kata("test", ex, src)
    failed = [r for r in res["results"] if not r["passed"]]
    if not res["results"]:
        verdict = "no-compile" if "compile" in (res.get("problem") or "").lower() else "tests"
    elif failed or not res["ok"]:
        verdict = "tests"
    else:
        hg = check._kata("helgrind", ex, src)
        verdict = "survived" if hg.get("clean", False) else "helgrind"
    shutil.rmtree(src, ignore_errors=True)
    return verdict


def score(verdicts, judged):
    """(killed, counted, equivalent ids, survivor ids) of one exercise."""
    killed = sum(1 for _, v in verdicts if v in ("tests", "helgrind"))
    equivalent = [m.id for m, v in verdicts if v == "survived" and m.id in judged]
    survivors = [m.id for m, v in verdicts if v == "survived" and m.id not in judged]
    return killed, killed + len(survivors), equivalent, survivors


def run_exercise(ex):
    """Judges every mutant of an exercise, printing as it goes; returns the score."""
    judged = read_equivalent(ex.path("tests", EQUIVALENT))
    print(ui.paint("%s %s" % (ex.name, ex.title), "bold"))
    verdicts = []
    for f in ex.files:
        with open(ex.path("solutions", f), encoding="utf-8") as fh:
            found = mutants_of(f, fh.read())
        for m in found:
            v = judge(ex, m, len(verdicts))
            verdicts.append((m, v))
            mark = {"survived": "equivalent" if m.id in judged else "SURVIVED"}.get(v, v)
            print("  %-10s line %-4d %s" % (mark, m.line, m.id))
    killed, counted, equivalent, survivors = score(verdicts, judged)
    pct = 100.0 * killed / counted if counted else 100.0
    print("  %s: %d mutants, %d do not compile, %d judged equivalent, %d of %d killed (%.0f%%)"
          % (ex.name, len(verdicts), sum(1 for _, v in verdicts if v == "no-compile"),
             len(equivalent), killed, counted, pct))
    for s in survivors:
        print("  survivor: %s" % s)
    return killed, counted, survivors


def main(args):
    exercises = [course.resolve(args.ex)] if args.ex else course.load()
    total_killed = total = 0
    for ex in exercises:
        killed, counted, _ = run_exercise(ex)
        total_killed += killed
        total += counted
    print("mutants: %d of %d killed" % (total_killed, total))
    return 0 if total_killed == total else 1

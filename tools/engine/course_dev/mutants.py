"""`make mutants [EX=..]`: how many small mistakes in the reference solutions
the tests catch (for contributors; slow, so not part of `make check`).

Each mutant is the reference solution with one concurrency-relevant line
deleted or weakened: a call to lock, unlock, signal, broadcast, join, close,
an atomic operation, getcontext / makecontext / swapcontext / setcontext,
coro_resume / coro_yield / coro_await, read, write, poll or fcntl deleted (or
its value made 0); `while` made `if` around a condition wait, or around a
read, write or poll (one try: a short read is taken for all); `broadcast`
made `signal`; a memory order made relaxed; a `volatile` or `_Atomic`
removed; `errno == EINTR` made false (no retry) and `errno != EINTR` true (an
error); a `== -1` test made false (the error ignored); a boundary moved by
one, `<` and `<=`, `>` and `>=` (not in a `for` header: those walk arrays);
one flag dropped from an `|` (O_NONBLOCK, O_CLOEXEC, POLLHUP...); a store of
a state, a flag or an errno (`co->state = CORO_FINISHED;`), of a ucontext
field (`uc_link`), of a count (`left++;`, `done += n;`) or of a file-scope
variable (the current coroutine) deleted; `[n++]` made `[++n]`. Each runs
the exercise's tests; one they let live runs
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

# Calls whose loss is a mistake of its own: locking, waking, joining,
# closing, atomics; switching coroutines (ucontext and the course's own
# resume / yield / await); the blocking I/O calls and fcntl.
DELETED_CALLS = re.compile(
    r"\b(pthread_mutex_lock|pthread_mutex_unlock|pthread_cond_signal|pthread_cond_broadcast|"
    r"pthread_join|close|atomic_\w+|getcontext|makecontext|swapcontext|setcontext|"
    r"coro_resume|coro_yield|coro_await|read|write|poll|fcntl)\s*\(")
COND_WAIT = re.compile(r"\bpthread_cond_(timed)?wait\s*\(")
IO_CALL = re.compile(r"\b(read|write|recv|send|poll|select)\s*\(")
ORDERS = re.compile(r"\bmemory_order_(seq_cst|acq_rel|acquire|release|consume)\b")
QUALIFIERS = re.compile(r"\b(volatile|_Atomic)\b\s*")
EINTR_TEST = re.compile(r"\berrno\s*(==|!=)\s*EINTR\b")
MINUS_ONE = re.compile(r"==\s*-1\b")
# <, <=, >, >= (not <<, >>, ->, nor part of a longer operator)
RELATION = re.compile(r"(?<![<>=!-])(<=|>=|<|>)(?![<>=])")
FLIPPED = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
FLAG = r"(?:O|POLL|SOCK|MAP|PROT|FD|SA|MSG|EPOLL)_[A-Z0-9_]+"
# a store of a state, a flag or an error number: `co->state = CORO_FINISHED;`
# (or a field of a ucontext_t set before makecontext: `ctx.uc_link = &back;`)
STORE = re.compile(r"^\s*([A-Za-z_][\w.\[\]>-]*)\s*=\s*([A-Z][A-Z0-9_]*|0|1|true|false|NULL);"
                   r"|^\s*[A-Za-z_][\w.>-]*\buc_\w+(\.\w+)*\s*=[^=]")
COUNT = re.compile(r"^\s*([A-Za-z_][\w.\[\]>-]*)\s*(\+\+|--|[+-]=[^=].*);")
POST_INDEX = re.compile(r"\[([A-Za-z_][\w.>-]*)\+\+\]")
GLOBAL = re.compile(r"^(?:static\s+)?(?:__thread\s+|_Thread_local\s+)?[A-Za-z_][\w\s]*?[\s*]"
                    r"([A-Za-z_]\w*)\s*(?:=[^;]*)?;")


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


def _mask_strings(code):
    """code with the inside of its string and character literals blanked,
    so that a `<` or a `|` in a message is never taken for an operator."""
    return re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'',
                  lambda m: m.group(0)[0] + "_" * (len(m.group(0)) - 2) + m.group(0)[-1], code)


def _call_mutants(lines, i, code):
    """A call deleted (a statement of its own) or not made (its value 0)."""
    m = DELETED_CALLS.search(code)
    if not m or code[:1] not in (" ", "\t"):
        return []  # a declaration or a definition, not a call
    if _is_statement(code):
        return [("delete %s" % m.group(1), None)]
    end = _call_end(lines[i], m.end())  # inside an expression: its value is 0
    return [("%s->0" % m.group(1), lines[i][:m.start()] + "0" + lines[i][end:])] if end else []


def _loop_mutants(lines, i, code):
    """`while` made `if`: around a condition wait (a spurious wake-up goes
    through), around a read, write or poll (one try: a short read, an EINTR
    or the rest of a message is not waited for)."""
    if not re.match(r"\s*while\s*\(", code):
        return []
    near = [_strip_comment(lines[j]) for j in range(i, min(i + 3, len(lines)))]
    if any(COND_WAIT.search(c) for c in near):
        return [("while->if", lines[i].replace("while", "if", 1))]
    if any(IO_CALL.search(c) for c in near):
        return [("loop->once", lines[i].replace("while", "if", 1))]
    return []


def _test_mutants(lines, i, code):
    """Weakened tests: EINTR not retried (or taken for an error), a -1
    return ignored, a boundary moved by one (`<` and `<=`, `>` and `>=`)."""
    found = []
    masked = _mask_strings(code)
    for m in EINTR_TEST.finditer(masked):
        new = "0" if m.group(1) == "==" else "1"
        found.append(("EINTR %s made %s" % (m.group(1), new),
                      lines[i][:m.start()] + new + lines[i][m.end():]))
    for m in MINUS_ONE.finditer(masked):
        found.append(("-1 ignored", lines[i][:m.end()] + " && 0" + lines[i][m.end():]))
    if re.match(r"\s*(#|for\s*\()", masked):
        return found  # a loop's bound over an array, an #include: not a test of state
    for m in RELATION.finditer(masked):
        op = m.group(1)
        found.append(("%s made %s" % (op, FLIPPED[op]),
                      lines[i][:m.start()] + FLIPPED[op] + lines[i][m.end():]))
    return found


def _flag_mutants(lines, i, code):
    """One flag dropped from an `|` of flags: O_NONBLOCK, O_CLOEXEC, POLLHUP..."""
    found, masked = [], _mask_strings(code)
    for m in re.finditer(r"\b%s\b" % FLAG, masked):
        before = re.search(r"\s*(?<!\|)\|\s*$", masked[:m.start()])
        after = re.match(r"\s*\|(?!\|)\s*", masked[m.end():])
        if before:
            start, end = before.start(), m.end()
        elif after:
            start, end = m.start(), m.end() + after.end()
        else:
            continue
        found.append(("drop %s" % m.group(0), lines[i][:start] + lines[i][end:]))
    return found


def _store_mutants(lines, i, code, globals_):
    """A statement of bookkeeping deleted: a state or flag stored (`co->state
    = CORO_FINISHED;`), a count moved (`left++;`, `done += n;`), a variable of
    the file's (say the current coroutine) set. An index `[n++]` made
    `[++n]`: one slot skipped."""
    found = []
    for m in POST_INDEX.finditer(code):
        found.append(("[x++]->[++x]", lines[i][:m.start()] + "[++%s]" % m.group(1)
                      + lines[i][m.end():]))
    if code[:1] not in (" ", "\t") or not code.strip().endswith(";"):
        return found  # only statements inside a function
    store, count = STORE.match(code), COUNT.match(code)
    name = re.match(r"\s*([A-Za-z_]\w*)\s*=[^=]", code)
    if store:
        found.append(("delete store", None))
    elif count:
        found.append(("delete count", None))
    elif name and name.group(1) in globals_:
        found.append(("delete store to %s" % name.group(1), None))
    return found


def file_globals(lines):
    """The names of the variables a file declares outside its functions."""
    names = set()
    for line in lines:
        m = GLOBAL.match(line)
        if m and "(" not in line and not line.startswith(("typedef", "extern", "struct", "enum")):
            names.add(m.group(1))
    return names


def line_mutants(file, lines, i, globals_=frozenset()):
    """(operator, new text of line i, or None to delete it) for one line."""
    code = _strip_comment(lines[i])
    found = _call_mutants(lines, i, code) + _loop_mutants(lines, i, code)
    if "pthread_cond_broadcast" in code:
        found.append(("broadcast->signal",
                      lines[i].replace("pthread_cond_broadcast", "pthread_cond_signal")))
    for m in ORDERS.finditer(code):
        new = lines[i][:m.start()] + "memory_order_relaxed" + lines[i][m.end():]
        found.append(("%s->relaxed" % m.group(1), new))
    for m in QUALIFIERS.finditer(code):
        found.append(("remove %s" % m.group(1), lines[i][:m.start()] + lines[i][m.end():]))
    found += _test_mutants(lines, i, code) + _flag_mutants(lines, i, code)
    if not any(new is None for _, new in found):  # one way to delete a line is enough
        found += _store_mutants(lines, i, code, globals_)
    return found


def mutants_of(file, text):
    """Every mutant of one source file, in line order; ids made unique."""
    lines = text.splitlines(keepends=True)
    globals_ = file_globals(lines)
    out, seen = [], {}
    for i in range(len(lines)):
        for op, new in line_mutants(file, lines, i, globals_):
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

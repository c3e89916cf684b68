"""Turn valgrind helgrind logs into a short summary a learner can act on.

The kata engine runs an exercise's helgrind driver as

    valgrind --tool=helgrind --suppressions=tests/common/helgrind.supp \
             --log-file=BUILD/helgrind.%p.log ./helgrind-driver

and gives this module the text of every log (one per process) and the
learner's file paths.  A report counts when one of its stacks runs through a
learner's file; everything else (the driver's own code, the C library) is
listed as "not counted".  A log without helgrind's final "ERROR SUMMARY" line
was cut short (the program was killed, e.g. on a deadlock or a time limit):
the check is then incomplete and never ok.

    from engine.helgrind_summary import summarize
    s = summarize([open(p).read() for p in logs], ["exercises/03-race/counter.c"])
    print(s.text); sys.exit(0 if s.ok else 1)

CLI:  python3 tools/helgrind_summary.py --student FILE [--student FILE...] LOG|DIR...
exit status: 0 ok, 1 problems in the learner's code, 2 logs missing or cut short.

Why so long: it is the whole path from valgrind's text to the learner's
sentences (parse, judge, word), kept in one module whose sections follow that
path, so that a change of valgrind's wording or of a sentence is made in one
place and tested by tests/tools/test_helgrind_summary.py.

Written against valgrind 3.19's text output (plain, or with --read-var-info=yes
or --fullpath-after=, which change how variables and files are named).
"""
import argparse
import contextvars
import os
import re
from dataclasses import dataclass, field
from typing import List, Optional

from engine import lang  # every sentence below is lang.MESSAGES["hg.*"], in English and Chinese

# ---------------------------------------------------------------- data model


@dataclass
class Frame:
    func: str                  # "worker", "???"
    file: Optional[str]        # "counter.c" or "dir/counter.c" (as valgrind prints it), None if unknown
    line: Optional[int]
    obj: Optional[str] = None  # "(in /lib/x.so)" frames: the object, no source

    def where(self):
        """counter.c:9, with the basename only: what the learner sees in the editor."""
        return "%s:%d" % (os.path.basename(self.file), self.line)


@dataclass
class Access:
    """One side of a data race."""
    op: str                    # "read" / "write"
    size: int
    thread: int
    locks: List[int]           # addresses of the locks held
    stack: List[Frame] = field(default_factory=list)


@dataclass
class Report:
    """One helgrind error, as parsed (before judging whose code it is)."""
    kind: str                  # "data_race", "lock_order", "misuse"
    headline: str              # helgrind's first line, without the "==pid==" prefix
    thread: Optional[int]
    pid: int
    address: Optional[int] = None
    accesses: List[Access] = field(default_factory=list)
    # lock order: [(lock address, stack)] observed order, then required order
    observed: list = field(default_factory=list)
    required: list = field(default_factory=list)
    stack: List[Frame] = field(default_factory=list)   # misuse: where it happened
    detail: List[str] = field(default_factory=list)    # extra text lines (e.g. error codes)


@dataclass
class Place:
    """What an address is, from helgrind's "Address ..."/"Location ..." lines."""
    name: Optional[str]        # variable name when helgrind gives one
    kind: str                  # "global", "local", "heap", "other"
    text: str                  # plain-words description
    stack: List[Frame] = field(default_factory=list)
    block: str = ""            # heap: "the block allocated at x.c:3 (in f)"


@dataclass
class Log:
    pid: int
    parent: Optional[int]
    command: str
    complete: bool
    threads: dict              # thread number -> creation stack ([] for the root thread)
    places: dict               # address -> Place
    reports: List[Report]
    role: str = "the driver"   # or "a child of process N" when the parent's log is there too
    several: bool = False      # True when the run left more than one log
    quiet: bool = True         # nothing after the header: no thread announced, no report
    stack_switches: int = 0    # valgrind's "client switching stacks?" warnings (it shows at most 3)


@dataclass
class Finding:
    """A problem in the learner's code (identical reports grouped)."""
    kind: str                  # "data_race", "lock_order", or a misuse kind ("unlock_not_locked", ...)
    variable: Optional[str]    # `counter`, "heap block allocated at x.c:3", lock names for lock order
    student_lines: List[str]   # ["counter.c:9", ...], in the order they matter
    threads: List[int]
    count: int
    pids: List[int]
    message: str               # the numbered item's text, without the number


@dataclass
class Summary:
    counted: int               # distinct problems that involve a learner's file
    ignored: int               # reports with no learner frame in any of their stacks
    text: str                  # what the learner reads
    errors: List[Finding]
    ok: bool                   # nothing counted and every log complete
    incomplete: List[str] = field(default_factory=list)  # why the check is not complete


# ---------------------------------------------------------------- parsing

PREFIX = re.compile(r"^==(\d+)== ?(.*)$")
FRAME = re.compile(r"^\s+(?:at|by) 0x[0-9A-Fa-f]+: (.*?) \((.*)\)$")
FRAME_NOSRC = re.compile(r"^\s+(?:at|by) 0x[0-9A-Fa-f]+: (.*)$")
SRC = re.compile(r"^(.*):(\d+)$")
HEX = r"0x[0-9A-Fa-f]+"

RACE = re.compile(r"^Possible data race during (read|write) of size (\d+) at (%s) by thread #(\d+)" % HEX)
CONFLICT = re.compile(r"^This conflicts with a previous (read|write) of size (\d+) by thread #(\d+)")
LOCKS_HELD = re.compile(r"^Locks held: (none|\d+, at address(?:es)? (.*))$")
ORDER = re.compile(r"^Thread #(\d+): lock order \"(%s) before (%s)\" violated" % (HEX, HEX))
OBSERVED = re.compile(r"^Observed \(incorrect\) order is: acquisition of lock at (%s)" % HEX)
REQUIRED = re.compile(r"^Required order was established by acquisition of lock at (%s)" % HEX)
LATER = re.compile(r"^followed by a later acquisition of lock at (%s)" % HEX)
LOCK_SEEN = re.compile(r"^Lock at (%s) was first observed" % HEX)
THREAD_HEAD = re.compile(r"^Thread #(\d+)(?::|'s| ) ?(.*)$")
CREATED = re.compile(r"^Thread #(\d+) was created")
ROOT = re.compile(r"^Thread #(\d+) is the program's root thread")
ADDR_DESC = re.compile(r"^(?:Address|Location) (%s) (.*)$" % HEX)
# valgrind's warning when the stack pointer moves further than --max-stackframe (2 MB by default)
# into memory it does not know as a stack: a stack switch it was not told about
STACK_SWITCH = re.compile(r"^Warning: client switching stacks\?")


def strip_prefixes(text):
    """The "==pid==" lines of a log, prefix removed, up to helgrind's first ERROR SUMMARY.

    Returns (lines, pid, complete).  Lines after the first ERROR SUMMARY (the
    repeat that -s prints) are dropped so nothing is counted twice.
    """
    lines, pid, complete = [], None, False
    for raw in text.splitlines():
        m = PREFIX.match(raw)
        if not m:
            continue
        pid = pid or int(m.group(1))
        if m.group(2).startswith("ERROR SUMMARY:"):
            complete = True
            break
        lines.append(m.group(2))
    return lines, pid, complete


def split_blocks(lines):
    """Cut the log body into ("thread"|"error", lines) blocks at helgrind's dashed separators."""
    blocks, kind, current = [], None, []
    for line in lines:
        if line.startswith("---Thread-Announcement"):
            blocks.append((kind, current))
            kind, current = "thread", []
        elif re.fullmatch(r"-{20,}", line):
            blocks.append((kind, current))
            kind, current = "error", []
        elif line.startswith(("Use --history-level", "the cost of reduced accuracy", "Warning: ",
                              "For lists of detected", "For counts of detected")):
            # the trailer, or a valgrind warning (with indented lines after it): not a report
            blocks.append((kind, current))
            kind, current = None, []
        else:
            current.append(line)
    blocks.append((kind, current))
    return [(k, b) for k, b in blocks if k]


def parse_frame(line):
    m = FRAME.match(line)
    if m:
        func, where = m.groups()
        src = SRC.match(where)
        if src:
            return Frame(func, src.group(1), int(src.group(2)))
        return Frame(func, None, None, obj=where[3:] if where.startswith("in ") else where)
    m = FRAME_NOSRC.match(line)
    return Frame(m.group(1), None, None) if m else None


def items(block):
    """[(header line, [frames])]: each non-frame line with the stack printed under it."""
    out = []
    for line in block:
        frame = parse_frame(line) if re.match(r"^\s+(at|by) 0x", line) else None
        if frame:
            if out:
                out[-1][1].append(frame)
        elif line.strip():
            out.append((line.strip(), []))
    return out


def parse_log(text):
    lines, pid, complete = strip_prefixes(text)
    log = Log(pid=pid or 0, parent=None, command="", complete=complete,
              threads={}, places={}, reports=[])
    for line in lines:
        if line.startswith("Command: ") and not log.command:
            log.command = line[len("Command: "):]
        elif line.startswith("Parent PID: ") and log.parent is None:
            log.parent = int(line.split()[-1])
        elif STACK_SWITCH.match(line):
            log.stack_switches += 1
    for kind, block in split_blocks(lines):
        parsed = items(block)
        log.quiet = log.quiet and not parsed
        if kind == "thread":
            read_announcement(parsed, log)
        else:
            read_places(parsed, log)
            report = read_report(parsed, log.pid)
            if report:
                log.reports.append(report)
    return log


def read_announcement(parsed, log):
    for header, stack in parsed:
        m = CREATED.match(header) or ROOT.match(header)
        if m:
            log.threads[int(m.group(1))] = stack


def read_places(parsed, log):
    """Record every "Address/Location X is ..." description of the block, keyed by address."""
    for i, (header, stack) in enumerate(parsed):
        m = ADDR_DESC.match(header)
        if m:
            follow = [h for h, _ in parsed[i + 1:i + 3]]
            log.places[int(m.group(1), 16)] = describe_place(m.group(2), stack, follow)


def describe_place(desc, stack, follow):
    """Plain words for helgrind's address description (desc: what follows "Address 0x... ")."""
    offset = re.match(r"is (\d+) bytes inside ", desc)
    off = int(offset.group(1)) if offset else 0
    plus = _t("hg.plus", off) if off else ""
    m = re.search(r'inside (?:data symbol|global var) "([^"]+)"', desc)
    if m:
        name = re.sub(r"\.\d+$", "", m.group(1))  # "done.0": the compiler's name for a static local
        kind = _t("hg.static var") if name != m.group(1) else _t("hg.global var")
        where = _t("hg.member", off) if off else ""
        return Place(name, "global", kind + where)
    m = re.search(r"is \d+ bytes inside a block of size (\d+) alloc'd", desc)
    if m:
        alloc = first_student_like(stack)
        block = _t("hg.block at", m.group(1), at(alloc)) if alloc else _t("hg.heap block", m.group(1))
        return Place(None, "heap", _t("hg.heap", off, block), stack, block)
    m = re.search(r"is on thread #(\d+)'s stack", desc)
    if m:
        frame = next((f for f in follow if f.startswith("in frame #")), "")
        made = re.search(r"created by (\S+) \((.*)\)", frame)
        owner = _t("hg.owner", made.group(1), os.path.basename(made.group(2))) if made else ""
        return Place(None, "local", _t("hg.local", owner, m.group(1)))
    m = re.match(r"is \d+ bytes inside ([^,]+),?$", desc)   # --read-var-info=yes
    if m:
        decl = " ".join(follow[:1])
        kind = "local" if "in frame #" in decl else "global"
        return Place(m.group(1).strip('"'), kind,
                     (_t("hg.local var") if kind == "local" else _t("hg.global var")) + plus)
    return Place(None, "other", _t("hg.memory that", desc))


def first_student_like(stack):
    """The first frame with a source line that is not in the C library's thread start-up code."""
    for f in stack:
        if f.file and f.func not in LIBRARY_FUNCS and "@GLIBC" not in f.func and "@@GLIBC" not in f.func:
            return f
    return None


LIBRARY_FUNCS = {"clone", "__clone_internal", "create_thread", "start_thread", "pthread_create",
                 "???"}


def read_report(parsed, pid):
    if not parsed:
        return None
    header = parsed[0][0]
    if LOCK_SEEN.match(header) or ADDR_DESC.match(header):
        # a race or unlock report starts with the lock descriptions: find the real headline
        heads = [i for i, (h, _) in enumerate(parsed) if RACE.match(h) or ORDER.match(h)
                 or (THREAD_HEAD.match(h) and not CREATED.match(h))]
        if not heads:
            return None
        parsed = parsed[heads[0]:]
        header = parsed[0][0]
    if RACE.match(header):
        return read_race(parsed, pid)
    if ORDER.match(header):
        return read_lock_order(parsed, pid)
    return read_misuse(parsed, pid)


def lock_addresses(held):
    return [int(a, 16) for a in re.findall(HEX, held or "")]


def read_race(parsed, pid):
    op, size, addr, thread = RACE.match(parsed[0][0]).groups()
    report = Report("data_race", parsed[0][0], int(thread), pid, address=int(addr, 16))
    report.accesses.append(Access(op, int(size), int(thread), [], list(parsed[0][1])))
    for header, stack in parsed[1:]:
        m = CONFLICT.match(header)
        if m:
            report.accesses.append(Access(m.group(1), int(m.group(2)), int(m.group(3)), [], list(stack)))
            continue
        m = LOCKS_HELD.match(header)
        if m and report.accesses:
            report.accesses[-1].locks = lock_addresses(m.group(2))
            report.accesses[-1].stack += stack
    return report


def read_lock_order(parsed, pid):
    m = ORDER.match(parsed[0][0])
    report = Report("lock_order", parsed[0][0], int(m.group(1)), pid)
    target = None
    for header, stack in parsed[1:]:
        if LOCK_SEEN.match(header) or ADDR_DESC.match(header):
            target = None
            continue
        for pattern, which in ((OBSERVED, report.observed), (REQUIRED, report.required)):
            m = pattern.match(header)
            if m:
                target = which
                target.append((int(m.group(1), 16), stack))
        m = LATER.match(header)
        if m and target is not None:
            target.append((int(m.group(1), 16), stack))
    return report


def read_misuse(parsed, pid):
    header, stack = parsed[0]
    m = THREAD_HEAD.match(header)
    report = Report("misuse", header, int(m.group(1)) if m else None, pid, stack=list(stack))
    for line, more in parsed[1:]:
        if LOCK_SEEN.match(line) or ADDR_DESC.match(line):
            break
        report.detail.append(line)
        report.stack += more
    m = re.search(r"lock at (%s)" % HEX, header)
    if m:
        report.address = int(m.group(1), 16)
    return report


# ---------------------------------------------------------------- judging


class Learner:
    """Which frames are the learner's: by path suffix when valgrind printed a
    directory, by basename otherwise."""

    def __init__(self, student_files):
        self.paths = [os.path.normpath(p) for p in student_files]
        self.basenames = {os.path.basename(p) for p in self.paths}

    def owns(self, frame):
        if not frame.file:
            return False
        name = os.path.normpath(frame.file)
        if os.path.basename(name) not in self.basenames:
            return False
        if "/" not in frame.file:
            return True
        return any(suffix_match(name, p) for p in self.paths)

    def frames(self, stack):
        return [f for f in stack if self.owns(f)]

    def first(self, stack):
        mine = self.frames(stack)
        return mine[0] if mine else None


def suffix_match(a, b):
    """True when the paths end with the same folder and file ("03-race/counter.c"): valgrind
    prints a build or source directory in front of the #line path, the engine may know the file
    by an absolute path."""
    x = [p for p in a.split("/") if p not in ("", ".")]
    y = [p for p in b.split("/") if p not in ("", ".")]
    need = min(2, len(x), len(y))
    return x[-need:] == y[-need:]


def report_stacks(report, log):
    """The stacks that decide whose report it is."""
    stacks = [a.stack for a in report.accesses]
    stacks += [s for _, s in report.observed + report.required]
    stacks.append(report.stack)
    if report.kind == "misuse" and "Exiting thread" in report.headline:
        # helgrind shows only the thread's exit: the thread was the learner's if they started it
        stacks.append(log.threads.get(report.thread, []))
    return stacks


def involves_learner(report, log, learner):
    return any(learner.frames(s) for s in report_stacks(report, log))


# ---------------------------------------------------------------- wording

# The environment whose language summarize() writes in (None: this process's).
_ENVIRON = contextvars.ContextVar("helgrind_summary_environ", default=None)


def _t(key, *args):
    """One sentence of lang.MESSAGES in the language summarize() was asked for."""
    return lang.t(key, *args, environ=_ENVIRON.get())


def at(frame):
    """"counter.c:9 (in worker)"."""
    return _t("hg.at", frame.where(), frame.func) if frame else _t("hg.unknown place")


def var_name(address, log):
    place = log.places.get(address)
    if place and place.name:
        return "`%s`" % place.name
    if place:
        return place.text
    return _t("hg.memory at", address) if address is not None else _t("hg.a lock")


def lock_name(address, log):
    place = log.places.get(address)
    if place and place.name:
        return "`%s`" % place.name
    if place and place.kind == "heap":
        return _t("hg.lock in", place.block)
    if place:
        return _t("hg.lock in", place.text)
    return _t("hg.mutex at", address)


def thread_start(number, log, learner):
    """Where a thread was started: "main" for the main thread, the frame that
    started it, or None when that is not known."""
    stack = log.threads.get(number)
    if number == 1 or stack == []:
        return "main"
    if stack is None:
        return None
    return learner.first(stack) or first_student_like(stack)


def thread_origin(number, log, learner):
    """"#3, started at counter.c:16 (run_counters)" / "#1 (the main thread)"."""
    frame = thread_start(number, log, learner)
    if frame == "main":
        return _t("hg.main thread", number)
    if not frame:
        return "#%d" % number
    return _t("hg.started at", number, frame.where(), frame.func)


def threads_line(numbers, log, learner):
    """threads: #2 and #3, started at counter.c:16 (run_counters)."""
    numbers = sorted(set(numbers))
    starts = [thread_start(n, log, learner) for n in numbers]
    places = {(f.where(), f.func) if f and f != "main" else None for f in starts}
    if len(numbers) > 1 and len(places) == 1 and None not in places:
        where, func = places.pop()
        return _t("hg.threads started at", _t("hg.and").join("#%d" % n for n in numbers), where, func)
    return _t("hg.threads", _t("hg.semicolon").join(thread_origin(n, log, learner) for n in numbers))


def race_finding(report, log, learner):
    first, second = (report.accesses + [None])[:2]
    place = log.places.get(report.address)
    name = var_name(report.address, log)
    what = name if not (place and place.name) else _t("hg.named place", name, place.text)
    line_a = learner.first(first.stack) or first_student_like(first.stack)
    text = _t("hg.race", what, first.thread, _t("hg.op." + first.op), at(line_a))
    lines = [line_a.where()] if line_a else []
    threads = [first.thread]
    if second:
        line_b = learner.first(second.stack) or first_student_like(second.stack)
        text += _t("hg.race while", second.thread, _t("hg.op." + second.op), at(line_b))
        if line_b and line_b.where() not in lines:
            lines.append(line_b.where())
        threads.append(second.thread)
        text += locks_clause(first, second, log)
    text += _t("hg.race advice")
    return Finding("data_race", name.strip("`"), lines, threads, 1, [log.pid], text)


def locks_clause(first, second, log):
    if not first.locks and not second.locks:
        return _t("hg.no lock either")
    common = set(first.locks) & set(second.locks)
    if common:
        return ""   # cannot race under a common lock; keep helgrind's word for it
    def held(a):
        return _t("hg.comma").join(lock_name(x, log) for x in a.locks) if a.locks else _t("hg.no lock")
    return _t("hg.held", first.thread, held(first), second.thread, held(second))


def lock_order_finding(report, log, learner):
    observed = [(a, learner.first(s) or first_student_like(s), s) for a, s in report.observed]
    required = [(a, learner.first(s) or first_student_like(s), s) for a, s in report.required]
    names = [lock_name(a, log) for a, _, _ in observed]
    text = _t("hg.order", report.thread, order_words(observed, log, learner))
    if required:
        text += _t("hg.order earlier", order_words(required, log, learner))
        if [f and f.where() for _, f, _ in observed] == [f and f.where() for _, f, _ in required]:
            text += _t("hg.order swapped")
    text += _t("hg.order advice")
    lines = []
    for _, frame, _ in observed + required:
        if frame and frame.where() not in lines:
            lines.append(frame.where())
    return Finding("lock_order", " and ".join(n.strip("`") for n in names), lines,
                   [report.thread], 1, [log.pid], text)


def order_words(steps, log, learner):
    """"`bob` then `alice` (bank.c:13, bank.c:14 in transfer, called from pay_alice at bank.c:31)"."""
    names = _t("hg.then").join(lock_name(a, log) for a, _, _ in steps)
    lines = ", ".join(f.where() if f else "?" for _, f, _ in steps)
    return _t("hg.order words", names, lines, call_chain(steps, learner))


def call_chain(steps, learner):
    """" in transfer, called from pay_alice at bank.c:31" when the locks are taken in a helper."""
    if not steps or not steps[0][1]:
        return ""
    frames = learner.frames(steps[0][2])
    if len(frames) < 2:
        return ""
    return _t("hg.call chain", frames[0].func, frames[1].func, frames[1].where())


MISUSE = [
    # (pattern in helgrind's headline, kind); the plain words are lang.MESSAGES["hg.misuse.KIND"]
    (r"unlocked a not-locked lock", "unlock_not_locked"),
    (r"unlocked an invalid lock", "unlock_invalid"),
    (r"unlocked lock at .* currently held by thread", "unlock_foreign"),
    (r"Exiting thread still holds (\d+) locks?", "exit_holding_lock"),
    (r"pthread_mutex_destroy of a locked mutex", "destroy_locked"),
    (r"dubious: associated lock is not held by any thread", "dubious_condvar"),
    (r"called with un-held mutex", "cond_wait_unlocked"),
    (r"associated with a different mutex", "cond_two_mutexes"),
    (r"re-lock a non-recursive lock", "relock"),
    (r"call to (\S+) failed", "call_failed"),
]


def misuse_finding(report, log, learner):
    frame = learner.first(report.stack) or learner.first(log.threads.get(report.thread, []))
    kind, words, call = "misuse", _t("hg.misuse.other", report.headline), ""
    for pattern, k in MISUSE:
        m = re.search(pattern, report.headline)
        if m:
            kind, words, call = k, _t("hg.misuse." + k), (m.group(1) if m.groups() else "")
            break
    line = at(frame)
    inside = glibc_caller(report.stack, learner)
    if inside:
        line += _t("hg.inside glibc", inside)
    detail = " ".join(report.detail).replace("with error code", "error code")
    lock = lock_name(report.address, log) if report.address is not None else _t("hg.a lock")
    text = subject(report.thread, log, learner) + _t("hg.subject space") + words.format(lock=lock, line=line, detail=detail, call=call)
    lines = [frame.where()] if frame else []
    variable = lock_name(report.address, log).strip("`") if report.address is not None else None
    return Finding(kind, variable, lines, [report.thread] if report.thread else [], 1, [log.pid], text)


def subject(thread, log, learner):
    """"Thread #2, started at locks.c:18 (misuse_locks)," as the subject of a sentence."""
    if not thread:
        return _t("hg.a thread")
    start = thread_start(thread, log, learner)
    comma = _t("hg.subject comma") if start and start != "main" else ""
    return _t("hg.thread", thread_origin(thread, log, learner)) + comma


def glibc_caller(stack, learner):
    """The C library function a report came from, when it came from inside the C library."""
    for f in stack:
        if learner.owns(f):
            return None
        if "@GLIBC" in f.func or "@@GLIBC" in f.func:
            return f.func.split("@")[0]
    return None


def finding_for(report, log, learner):
    if report.kind == "data_race":
        finding = race_finding(report, log, learner)
        numbers = [a.thread for a in report.accesses]
    elif report.kind == "lock_order":
        finding = lock_order_finding(report, log, learner)
        numbers = [report.thread]
    else:
        finding = misuse_finding(report, log, learner)
        numbers = [report.thread] if report.thread else []
    if numbers and report.kind != "misuse":   # a misuse sentence already says where its thread started
        finding.message += "\n   " + threads_line(numbers, log, learner)
    if log.several:
        finding.message += _t("hg.in process", log.pid, log.role)
    return finding


def stack_switch_finding(log):
    """valgrind's "client switching stacks?" warning: it has no stack to name a line, but in a
    learner's run it means a stack valgrind was not told about, most often a coroutine's."""
    text = _t("hg.stack switch")
    if log.several:
        text += _t("hg.in process", log.pid, log.role)
    return Finding("stack_switch", None, [], [], 1, [log.pid], text)


def group(findings):
    """Identical reports (same kind, same variable, same learner lines) become one with a count."""
    grouped = {}
    for f in findings:
        key = (f.kind, f.variable, tuple(sorted(f.student_lines)))
        if key in grouped:
            g = grouped[key]
            g.count += 1
            g.pids += [p for p in f.pids if p not in g.pids]
            g.threads += [t for t in f.threads if t not in g.threads]
        else:
            grouped[key] = f
    return list(grouped.values())


# ---------------------------------------------------------------- summary


def summarize(logs, student_files, environ=None):
    """Summarise the helgrind logs (texts, one per process) of one run for a learner, in
    the language `environ` asks for (default: this process's environment; tools/engine/lang.py)."""
    token = _ENVIRON.set(environ)
    try:
        return _summarize(logs, student_files)
    finally:
        _ENVIRON.reset(token)


def _summarize(logs, student_files):
    learner = Learner(student_files)
    parsed = [parse_log(text) for text in logs]
    label_processes(parsed)
    findings, ignored = [], 0
    for log in parsed:
        if log.stack_switches:
            findings.append(stack_switch_finding(log))
        for report in log.reports:
            if involves_learner(report, log, learner):
                findings.append(finding_for(report, log, learner))
            else:
                ignored += 1
    errors = group(findings)
    incomplete = incomplete_reasons(logs, parsed)
    text = render(errors, ignored, incomplete)
    return Summary(len(errors), ignored, text, errors, not errors and not incomplete, incomplete)


def label_processes(parsed):
    pids = {log.pid for log in parsed}
    for log in parsed:
        log.several = len(pids) > 1
        log.role = _t("hg.driver")
        if log.parent in pids:
            log.role = _t("hg.child of", log.parent)


def exec_like(log, parsed):
    """A child that left only the log header while its parent's log is complete: it ran another
    program (system, popen, exec: valgrind does not follow it) or was ended by its parent before
    doing anything helgrind checks.  Not a cut-short check."""
    parents = [p for p in parsed if p.pid == log.parent]
    return log.quiet and parents and parents[0].complete


def incomplete_reasons(texts, parsed):
    if not texts:
        return [_t("hg.no log")]
    reasons = []
    for text, log in zip(texts, parsed):
        if not log.pid:
            reasons.append(_t("hg.empty log"))
        elif not log.complete and not exec_like(log, parsed):
            reasons.append(_t("hg.cut short", log.pid, log.command or "?"))
    return reasons


def render(errors, ignored, incomplete):
    out = []
    for reason in incomplete:
        out.append(_t("hg.could not finish", reason))
    if errors:
        out.append(_t("hg.found 1" if len(errors) == 1 else "hg.found n", len(errors)))
        for i, f in enumerate(errors, 1):
            times = _t("hg.times", f.count) if f.count > 1 else ""
            out.append("%d. %s%s" % (i, f.message, times))
    elif not incomplete:
        out.append(_t("hg.none"))
    if ignored:
        out.append(_t("hg.ignored 1" if ignored == 1 else "hg.ignored n", ignored))
    return "\n".join(out)


# ---------------------------------------------------------------- command line


def log_paths(args):
    """Files as given; a directory stands for the helgrind.*.log files in it."""
    paths = []
    for arg in args:
        if os.path.isdir(arg):
            paths += sorted(os.path.join(arg, f) for f in os.listdir(arg)
                            if f.startswith("helgrind") and f.endswith(".log"))
        else:
            paths.append(arg)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description="Summarise helgrind logs for a learner.")
    parser.add_argument("--student", action="append", default=[], metavar="FILE",
                        help="a learner's source file (repeat for each)")
    parser.add_argument("logs", nargs="*", metavar="LOG", help="helgrind log files, or folders of them")
    args = parser.parse_args(argv)
    paths = log_paths(args.logs)
    missing = [p for p in paths if not os.path.isfile(p)]
    texts = []
    for p in paths:
        if p not in missing:
            with open(p, encoding="utf-8", errors="replace") as f:
                texts.append(f.read())
    summary = summarize(texts, args.student)
    for p in missing:
        print(_t("hg.missing log", p))
    print(summary.text)
    if summary.counted:
        return 1
    return 2 if missing or summary.incomplete else 0


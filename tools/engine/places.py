"""Details of the tests' messages in words, after the run (the C side stays
as it is): an instruction offset such as `race_atomic_increment+0x17`
becomes the line it is on, `race.c:12` (from the test program's debug
information: it is built with -g; `nm` gives the function's address and
`addr2line` its line); an error number gets its name (`error-38` becomes
`error-38 (ENOSYS)`, `errno 11` becomes `errno 11 (EAGAIN)`); where a
thread was when a test hung or crashed, the harness's token
`{kata-at 0x1a2b 0x1c3d}` (stuck.h: offsets in the program, innermost
first), becomes the innermost frame in the learner's files: ", in
transfer() at bank.c:42" (`addr2line -f`), or goes when none is known.
A static variable's address (`{kata-data 0x40c0}` after it: a mutex the
report names) becomes the variable's name (`nm -S`).

The program and its messages come from a graded run: hostile input. The
tools run bounded, on the program's file only; what they cannot resolve
stays as it was."""

import errno
import os
import re
import subprocess

from engine import lang

OFFSET = re.compile(r"\b([A-Za-z_]\w*)\+0x([0-9a-fA-F]+)\b")
# Only numbers marked as error numbers: "error-38" (05's event traces),
# "errno 38", "errno=38"; a bare "-38" may be a balance or a count.
ERRNO = re.compile(r"\b(error-|errno |errno=)(\d+)\b")
TOOL_SECONDS = 10
WHERE = re.compile(r" ?\{kata-at ((?:0x[0-9a-fA-F]+ ?)+)\}")
# A static variable's address, "at 0x55d0c0{kata-data 0x40c0}" (its offset
# in the program): the variable's name from the symbol table when known.
DATA = re.compile(r"(?:at )?0x[0-9a-fA-F]+\{kata-data 0x([0-9a-fA-F]+)\}")
# The harness's own files: a frame there is never the learner's place.
HARNESS_FILES = frozenset(("kata.c", "stuck.c", "probe.c"))


def _tool(argv, stdin=None):
    try:
        proc = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=TOOL_SECONDS)
    except (OSError, subprocess.SubprocessError):
        return ""
    return proc.stdout.decode(errors="replace") if proc.returncode == 0 else ""


def symbols(binary):
    """{function name: address} of the program's code symbols."""
    found = {}
    for line in _tool(["nm", "--defined-only", binary]).splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] in "tTwW":
            try:
                found.setdefault(fields[2], int(fields[0], 16))
            except ValueError:
                continue
    return found


def lines_of(binary, offsets):
    """{"name+0xoff": "file.c:NN"} for the offsets whose line is known."""
    syms = symbols(binary)
    wanted = [(o, syms[o.split("+")[0]] + int(o.split("+0x")[1], 16))
              for o in offsets if o.split("+")[0] in syms]
    if not wanted:
        return {}
    out = _tool(["addr2line", "-e", binary], "".join("%x\n" % a for _, a in wanted).encode())
    found = {}
    for (offset, _), place in zip(wanted, out.splitlines()):
        path, _, line = place.rpartition(":")
        line = line.split()[0] if line.split() else ""
        if path and path != "??" and line.isdigit() and line != "0":
            found[offset] = "%s:%s" % (os.path.basename(path), line)
    return found


def frames(binary, addresses, run=None):
    """{address: (function, "file.c:NN")} of the program's offsets that
    addr2line knows. `run(argv, stdin)` runs the tool (default: here,
    bounded), e.g. inside the sandbox for a graded program."""
    if not addresses or (run is None and not os.path.isfile(binary)):
        return {}
    argv = ["addr2line", "-f", "-e", binary] + ["%#x" % a for a in addresses]
    out = (run or _tool)(argv).splitlines()
    if len(out) != 2 * len(addresses):  # not addr2line's answer: nothing is known
        return {}
    found = {}
    for i, address in enumerate(addresses):
        if 2 * i + 1 >= len(out):
            break
        func, place = out[2 * i].strip(), out[2 * i + 1].strip()
        path, _, line = place.rpartition(":")
        line = line.split()[0] if line.split() else ""
        if path and path != "??" and line.isdigit() and line != "0":
            found[address] = (func if func != "??" else "", "%s:%s" % (os.path.basename(path), line))
    return found


def variables(binary, run=None):
    """[(address, size, name)] of the program's data symbols (`nm -S`)."""
    found = []
    for line in (run or _tool)(["nm", "-S", "--defined-only", binary]).splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[2] in "bBdDgGsS":
            try:
                found.append((int(fields[0], 16), int(fields[1], 16), fields[3]))
            except ValueError:
                continue
    return found


def data_words(text, binary, run=None):
    """Each static variable's address with its name: "`first`", or
    "`accounts`+48" inside an array or a struct; the bare address when
    the name is not known."""
    if "{kata-data" not in (text or ""):
        return text
    known = variables(binary, run) if binary and (run or os.path.isfile(binary)) else []

    def name(m):
        offset = int(m.group(1), 16)
        for start, size, var in known:
            if start <= offset < start + max(size, 1):
                return "`%s`" % var + ("+%d" % (offset - start) if offset > start else "")
        return m.group(0).split("{")[0]
    return DATA.sub(name, text)


def _chosen(addresses, known, learner):
    """The innermost frame in the learner's files, else in a test's."""
    places = [known[a] for a in addresses if a in known]
    for want in (lambda f: f in learner, lambda f: f not in HARNESS_FILES):
        for func, place in places:
            if want(place.rpartition(":")[0]):
                return func, place
    return None


def where_words(text, binary, learner=(), run=None):
    """Each `{kata-at ...}` token of `text` as the place it names, in words;
    removed where nothing is known (or binary is None)."""
    text = data_words(text, binary, run)
    tokens = WHERE.findall(text or "")
    if not tokens:
        return text
    addresses = sorted({int(a, 16) for t in tokens for a in t.split()})
    known = frames(binary, addresses, run) if binary else {}
    learner = {os.path.basename(f) for f in learner}

    def words(m):
        chosen = _chosen([int(a, 16) for a in m.group(1).split()], known, learner)
        if not chosen:
            return ""
        func, place = chosen
        return lang.t("where.in", place, func) if func else lang.t("where.at", place)
    return WHERE.sub(words, text)


def errno_words(text):
    """Each error number followed by its name (only numbers errno knows)."""
    def name(m):
        known = errno.errorcode.get(int(m.group(2)))
        return "%s (%s)" % (m.group(0), known) if known else m.group(0)
    return ERRNO.sub(name, text)


def in_words(rep, binary, learner=(), run=None):
    """The RunReport with its messages' offsets, places and error numbers
    in words; `learner`: the learner's file names."""
    texts = [r.message for r in rep.results + rep.optional] + [rep.problem]
    offsets = {m.group(0) for t in texts for m in OFFSET.finditer(t or "")}
    places = lines_of(binary, offsets) if offsets and binary and os.path.isfile(binary) \
        else {}

    def words(text):
        if not text:
            return text
        if places:
            text = OFFSET.sub(lambda m: places.get(m.group(0), m.group(0)), text)
        return errno_words(where_words(text, binary, learner, run))
    for r in rep.results + rep.optional:
        r.message = words(r.message)
    rep.problem = words(rep.problem)
    return rep

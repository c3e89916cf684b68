"""Details of the tests' messages in words, after the run (the C side stays
as it is): an instruction offset such as `race_atomic_increment+0x17`
becomes the line it is on, `race.c:12` (from the test program's debug
information: it is built with -g; `nm` gives the function's address and
`addr2line` its line); an error number gets its name (`error-38` becomes
`error-38 (ENOSYS)`, `errno 11` becomes `errno 11 (EAGAIN)`).

The program and its messages come from a graded run: hostile input. The
tools run bounded, on the program's file only; what they cannot resolve
stays as it was."""

import errno
import os
import re
import subprocess

OFFSET = re.compile(r"\b([A-Za-z_]\w*)\+0x([0-9a-fA-F]+)\b")
# Only numbers marked as error numbers: "error-38" (05's event traces),
# "errno 38", "errno=38"; a bare "-38" may be a balance or a count.
ERRNO = re.compile(r"\b(error-|errno |errno=)(\d+)\b")
TOOL_SECONDS = 10


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


def errno_words(text):
    """Each error number followed by its name (only numbers errno knows)."""
    def name(m):
        known = errno.errorcode.get(int(m.group(2)))
        return "%s (%s)" % (m.group(0), known) if known else m.group(0)
    return ERRNO.sub(name, text)


def in_words(rep, binary):
    """The RunReport with its messages' offsets and error numbers in words."""
    texts = [r.message for r in rep.results + rep.optional] + [rep.problem]
    offsets = {m.group(0) for t in texts for m in OFFSET.finditer(t or "")}
    places = lines_of(binary, offsets) if offsets and os.path.isfile(binary) else {}

    def words(text):
        if not text:
            return text
        if places:
            text = OFFSET.sub(lambda m: places.get(m.group(0), m.group(0)), text)
        return errno_words(text)
    for r in rep.results + rep.optional:
        r.message = words(r.message)
    rep.problem = words(rep.problem)
    return rep

"""Output for people: plain text, colour only on a terminal."""

import os
import re
import sys
import textwrap
import unicodedata

_COLOURS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


def use_colour(stream=None):
    stream = stream or sys.stdout
    return (stream.isatty() and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb")


def paint(text, colour, stream=None):
    if not use_colour(stream):
        return text
    return "\033[%sm%s\033[0m" % (_COLOURS[colour], text)


def _is_preformatted(line):
    return bool(re.match(r"(\s|- |\* |```|\||\d+[.)] )", line))


def _wide(ch):
    return unicodedata.east_asian_width(ch) in "WF"


ANSI = re.compile(r"\033\[[0-9;]*m")


def columns_of(line):
    """The columns a line takes on a terminal: colour codes take none, a
    Chinese character two."""
    return sum(2 if _wide(c) else 1 for c in ANSI.sub("", line))


# Chinese punctuation that must not start a line, and that may not end one.
_NO_START = set("，。、；：！？）》」』”’…%,.;:!?)")
_NO_END = set("（《「『“‘(")


def _cjk_fill(text, width, first, rest):
    """Wraps text that holds Chinese: a line may break between two Chinese
    characters (there are no spaces to break at), widths count a Chinese
    character as two columns, and punctuation stays with its text."""
    units = re.findall(r"\s+|[^\s\u2e80-\uffef]+|.", text)
    lines, line, col, indent = [], "", 0, first
    for u in units:
        if u.isspace():
            if line:
                line, col = line + " ", col + 1
            continue
        w = sum(2 if _wide(c) else 1 for c in u)
        fits = len(indent) + col + w <= width
        if line and not fits and u[0] not in _NO_START and line.rstrip()[-1] not in _NO_END:
            lines.append(indent + line.rstrip())
            line, col, indent = "", 0, rest
        line, col = line + u, col + w
    if line.strip():
        lines.append(indent + line.rstrip())
    return lines


def _fill(text, width, first, rest):
    if any(_wide(c) for c in text):
        return _cjk_fill(text, width, first, rest)
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest)


def _join(parts):
    """Lines of one paragraph: a space between them, except between two
    Chinese characters (Chinese has no spaces between words)."""
    out = ""
    for p in parts:
        out += ("" if not out or (_wide(out[-1]) and _wide(p[0])) else " ") + p
    return out


def wrap(text, indent, width=100, reflow=False):
    """Wraps text to the width. With reflow (for Markdown such as hints),
    consecutive plain lines form one paragraph; otherwise every line is its
    own paragraph. Indented lines, list items and code stay as they are."""
    out, para = [], []

    def flush():
        if para:
            out.extend(_fill(_join(para), width, indent, indent))
            para.clear()
    for line in text.splitlines():
        if not line.strip():
            flush()
            out.append("")
        elif line.startswith((" ", "\t")):
            flush()
            lead = indent + line[:len(line) - len(line.lstrip())]
            out.extend(_fill(line.strip(), width, lead, lead + "  ") or [lead])
        elif reflow and _is_preformatted(line):
            flush()
            out.append(indent + line)
        else:
            para.append(line.strip())
            if not reflow:
                flush()
    flush()
    return "\n".join(out) if out else indent


def error(message):
    """The one-line error for bad input or a refused command."""
    sys.stderr.write("kata: error: %s\n" % message)
    sys.stderr.flush()

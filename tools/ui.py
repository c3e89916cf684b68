"""Output for people: plain text, colour only on a terminal."""

import os
import re
import sys
import textwrap

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


def wrap(text, indent, width=100, reflow=False):
    """Wraps text to the width. With reflow (for Markdown such as hints),
    consecutive plain lines form one paragraph; otherwise every line is its
    own paragraph. Indented lines, list items and code stay as they are."""
    out, para = [], []

    def flush():
        if para:
            out.extend(textwrap.wrap(" ".join(para), width, initial_indent=indent,
                                     subsequent_indent=indent))
            para.clear()
    for line in text.splitlines():
        if not line.strip():
            flush()
            out.append("")
        elif line.startswith((" ", "\t")):
            flush()
            lead = indent + line[:len(line) - len(line.lstrip())]
            out.extend(textwrap.wrap(line.strip(), width, initial_indent=lead,
                                     subsequent_indent=lead + "  ") or [lead])
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

"""Output for people: plain text, colour only on a terminal."""

import os
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


def wrap(text, indent, width=100):
    """Wraps each paragraph of text, keeping lines that start with spaces."""
    out = []
    for line in text.splitlines() or [""]:
        if line.startswith(" "):
            out.append(indent + line)
        else:
            out += textwrap.wrap(line, width, initial_indent=indent,
                                 subsequent_indent=indent) or [indent]
    return "\n".join(out)


def error(message):
    """The one-line error for bad input."""
    sys.stderr.write("kata: error: %s\n" % message)

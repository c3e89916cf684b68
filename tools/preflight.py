#!/usr/bin/env python3
"""Checks a make command's input before it runs: prints one line saying what
is wrong (the Makefile stops with it), or nothing. The checks are
engine/cli.py's (the commands run them too).

  preflight.py TARGET EX SRC N [RESULTS OUT SUBMISSIONS HIDDEN T]"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine import cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli.preflight(sys.argv[1:]))

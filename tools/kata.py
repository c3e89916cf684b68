#!/usr/bin/env python3
"""The kata engine's entry point: what the Makefile's targets run
(`python3 -S tools/kata.py COMMAND ...`). Everything is in engine/ (see
tools/ENGINE.md); engine/cli.py reads the command line."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine import cli  # noqa: E402

if __name__ == "__main__":
    sys.exit(cli.main())

#!/usr/bin/env python3
"""Runs an exercise's tests many times on the stub and on the reference
solution and counts verdicts that differed (engine/course_dev/stability.py).

  python3 tools/stability.py --ex 03 [--runs 100] [--load]"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine.course_dev import stability  # noqa: E402

if __name__ == "__main__":
    sys.exit(stability.main())

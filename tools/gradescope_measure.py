#!/usr/bin/env python3
"""Grades the reference, the stubs and code that hangs everywhere through
the Gradescope autograder in a cgroup held to Gradescope's default machine
(engine/course_dev/gradescope_budget.py).

  python3 -S tools/gradescope_measure.py [--cases reference,stubs,hang]"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine.course_dev import gradescope_budget  # noqa: E402

if __name__ == "__main__":
    sys.exit(gradescope_budget.main())

#!/usr/bin/env python3
"""On Gradescope's machine (tools/autograder/run_autograder runs it):
grades DIR/submission into DIR/results/results.json.

  python3 -S tools/gradescope.py --root DIR

The work is engine/instructor/gradescope.py's."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine.instructor import gradescope  # noqa: E402

if __name__ == "__main__":
    sys.exit(gradescope.main())

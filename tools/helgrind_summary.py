#!/usr/bin/env python3
"""valgrind helgrind logs as a summary a learner can act on
(engine/helgrind_summary.py).

  python3 tools/helgrind_summary.py --student FILE [--student FILE...] LOG|DIR...
exit status: 0 ok, 1 problems in the learner's code, 2 logs missing or cut short."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from engine import helgrind_summary  # noqa: E402

if __name__ == "__main__":
    sys.exit(helgrind_summary.main())

"""`make check`'s run of the hostile corpus: tests/tools/attack_grade.py
grades every attack of tests/tools/fixtures/attacks/ (written afresh from
the stubs) on a copy of the repository and checks that each earns 0 points,
leaks no canary and leaves nothing behind. It plants a root-only canary, so
it runs as root only; elsewhere it says so and is not counted."""

import os
import subprocess
import sys

from engine import ui
from engine.course import ROOT

RUNNER = os.path.join("tests", "tools", "attack_grade.py")
SECONDS = 1200  # the runner bounds each case itself; this bounds the whole


def check_corpus(tally):
    print(ui.paint("hostile corpus", "bold"))
    if os.geteuid() != 0:
        print("  skipped: the hostile corpus plants a root-only canary; run make check as root")
        return
    try:
        # The runner's own `make grade` runs are top-level makes, as an instructor's are.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
        proc = subprocess.run([sys.executable, "-S", RUNNER], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, cwd=ROOT, timeout=SECONDS, env=env)
        out, rc = proc.stdout.decode(errors="replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode(errors="replace"), None
    lines = out.strip().splitlines()
    last = lines[-1] if lines else "no output"
    breaches = [ln for ln in lines if ln.startswith("BREACH")]
    tally.record(rc == 0, "every attack of the hostile corpus earns nothing and leaves nothing (%s)"
                 % (last if rc is not None else "took more than %d s" % SECONDS),
                 "\n".join(breaches)[-4000:] or out[-4000:])

"""Gradescope: the autograder zip, and the grading it runs.

  kata.py gradescope [--out ZIP] [--hidden DIR]   builds the zip
  tools/gradescope.py --root DIR                         grades DIR/submission into
                                                   DIR/results/results.json
                                                   (run_autograder calls it)

The zip holds setup.sh and run_autograder (tools/autograder/) at its top and
the repository beside them, hidden tests included, without solutions/ or the
known-wrong solutions. Gradescope unpacks it into /autograder/source."""

import argparse
import json
import os
import stat
import time
import zipfile

from engine import build, course, sandbox, ui
from engine.course import ROOT, UsageError
from engine.instructor import formats, points, release
from engine.instructor.submissions import locate

DEFAULT_ZIP = os.path.join("build", "gradescope", "autograder.zip")
TEMPLATES = os.path.join(ROOT, "tools", "autograder")


def _add(z, path, arcname, executable=False):
    info = zipfile.ZipInfo(arcname, date_time=time.localtime(os.path.getmtime(path))[:6])
    mode = 0o755 if executable or os.access(path, os.X_OK) else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(path, "rb") as f:
        z.writestr(info, f.read())


def build_zip(out, hidden_dir=None):
    exercises = course.load()
    files = release.tree_files(exercises, hidden=True, instructor=True)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    tmp = out + ".tmp%d" % os.getpid()
    hidden = 0
    with zipfile.ZipFile(tmp, "w") as z:
        for name in ("setup.sh", "run_autograder"):
            _add(z, os.path.join(TEMPLATES, name), name, executable=True)
        for rel in files:
            _add(z, os.path.join(ROOT, rel), rel)
            hidden += "%shidden%s" % (os.sep, os.sep) in rel
        if hidden_dir:  # HIDDEN/<exercise>/test_*.c -> tests/<exercise>/hidden/
            for ex in exercises:
                for p in points.hidden_sources(ex, hidden_dir):
                    _add(z, p, os.path.join("tests", ex.name, "hidden", os.path.basename(p)))
                    hidden += 1
    os.replace(tmp, out)
    return len(files) + 2, hidden


def cmd_gradescope(args):
    out = os.path.abspath(args.out or os.path.join(ROOT, DEFAULT_ZIP))
    count, hidden = build_zip(out, args.hidden)
    print("wrote %s: %d files (%d hidden test files), setup.sh and run_autograder at the top"
          % (course.shown(out), count, hidden))
    print(ui.paint("Upload it as the autograder of a Gradescope programming assignment "
                   "(base image Ubuntu 22.04).", "dim"))
    return 0


# ---- on Gradescope's machine ------------------------------------------------------

def found_text(got, exercises):
    lines = []
    for ex in exercises:
        if ex.name in got:
            lines.append("%s: graded %s" % (ex.name, ", ".join(got[ex.name])))
        else:
            lines.append("%s: not found in your submission (looked for %s, as "
                         "exercises/%s/%s or anywhere)" % (ex.name, ", ".join(ex.files), ex.name,
                                                          ex.files[0] if ex.files else ""))
    return "\n".join(lines)


def run(root):
    """Grades root/submission; always writes root/results/results.json."""
    results = os.path.join(root, "results", "results.json")
    exercises = course.load()
    try:
        if sandbox.mode() == "users" and os.geteuid() == 0:
            # no sandbox in this container: the grading user would see the
            # autograder's files (hidden tests) as any user does. The container
            # is this submission's alone: shut them (contain.require_shut).
            os.chmod(ROOT, os.stat(ROOT).st_mode & 0o770)
        src = os.path.join(build.BUILD, "submission")
        submission = os.path.join(root, "submission")
        got = locate(submission, exercises, src) if os.path.isdir(submission) else {}
        graded, data = points.grade(exercises, src, None, 0)
        data["output"] = found_text(got, exercises) + "\n\n" + data["output"]
        formats.write_results(results, data, graded)
        print(data["output"])
        print(formats.failures(graded, colour=False))
        return 0
    except Exception as e:  # the student must get a result all the same
        os.makedirs(os.path.dirname(results), exist_ok=True)
        with open(results, "w") as f:
            json.dump({"score": 0, "output": "The autograder failed: %s: %s. Please tell your "
                       "instructor." % (type(e).__name__, e), "tests": []}, f, indent=1)
        raise


def main(argv=None):
    p = argparse.ArgumentParser(prog="gradescope")
    p.add_argument("--root", default=os.environ.get("KATA_AUTOGRADER_ROOT", "/autograder"))
    args = p.parse_args(argv)
    try:
        return run(os.path.abspath(args.root))
    except UsageError as e:
        ui.error(str(e))
        return 2

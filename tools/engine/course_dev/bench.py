"""`make bench [EX=..] [SRC=..]`: builds each exercise's benchmark
(tests/<exercise>/bench.c) with the reference solutions (or SRC's files) and
runs them one after another, printing one Markdown page: the machine, then
each benchmark's own tables. Where gnuplot is installed it also draws the
speedup tables (a first column `threads`, columns whose title ends in
`speedup`) as one chart.

A benchmark is a plain program: the exercise's .c files + bench.c +
tests/common/*.c except the Criterion harness, built with -O2 and the
exercise's ldflags. With KATA_BENCH_QUICK=1 it does a tiny run; `make check`
uses that (quick_check) to prove every benchmark builds and runs.

Exit status: 0 every benchmark ran, 1 one failed, 2 bad input."""

import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time

from engine import build, course, procs, ui
from engine.course import BUILD, CC, ROOT, UsageError
from engine.machine import require_compiler

CFLAGS = ["-std=gnu11", "-O2", "-g", "-pthread", "-Wall", "-Wextra", "-Werror"]
BUILD_SECONDS = 60
# A benchmark should finish in about 25 s; past this it is stopped.
RUN_SECONDS = float(os.environ.get("KATA_BENCH_SECONDS", "60"))
QUICK_SECONDS = 20
OUT_DIR = os.path.join(BUILD, "bench")


class BenchError(Exception):
    """A benchmark that did not build or run; str() is one line."""


def bench_source(ex):
    p = ex.path("tests", "bench.c")
    return p if os.path.isfile(p) else None


def build_bench(ex, src=None):
    """Compiles the benchmark; returns the program's path."""
    src = src or os.path.join(ROOT, "solutions")
    where = os.path.join(BUILD, ex.name, "bench", build.variant_name(src))
    # Staged like the tests' sources: a header beside a submitted file is never used.
    staged = build.stage(ex.student_paths(src), os.path.join(where, "src"))
    common = os.path.join(ROOT, "tests", "common")
    support = sorted(os.path.join(common, f) for f in os.listdir(common)
                     if f.endswith(".c") and f != "kata.c")
    out = os.path.join(where, "bench")
    cmd = ([CC] + CFLAGS + ["-I", ex.path("exercises"), "-I", common] + staged
           + [bench_source(ex)] + ex.support_paths() + support + ex.ldflags + build.libdl_flags()
           + ["-o", out])
    status, output = procs.run_capture(cmd, BUILD_SECONDS, cwd=ROOT)
    if status != 0:
        lines = (output or "").strip().splitlines()
        first = next((ln for ln in lines if "error" in ln),
                     lines[0] if lines else "the compiler took too long")
        raise BenchError("does not build: %s" % first.strip())
    return out


def run_bench(program, seconds, quick=False):
    """Runs a benchmark alone in its session; returns its stdout. The whole
    session is ended when it finishes or runs out of time."""
    env = dict(os.environ, LC_ALL="C")
    env.pop("KATA_BENCH_QUICK", None)
    if quick:
        env["KATA_BENCH_QUICK"] = "1"
    proc = subprocess.Popen([program], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=ROOT, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise BenchError("timed out after %g s" % seconds)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything it left behind
        except ProcessLookupError:
            pass
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    if proc.returncode != 0:
        if proc.returncode < 0:
            why = "was killed by %s" % signal.Signals(-proc.returncode).name
        else:
            why = "exited with status %d" % proc.returncode
        last = err.strip().splitlines()[-1:] or out.strip().splitlines()[-1:]
        raise BenchError("%s%s" % (why, (": " + last[0].strip()) if last else ""))
    if not out.strip():
        raise BenchError("printed nothing")
    return out


# ---- the machine ---------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") or line.startswith("Model"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line():
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        load = "%.2f" % os.getloadavg()[0]
    except OSError:
        load = "?"
    return ("Machine: %s, %d CPU(s) (%d usable here), Linux %s; load average %s when the run "
            "started" % (cpu_model(), os.cpu_count() or 0, usable, platform.release(), load))


# ---- the chart -----------------------------------------------------------------

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def speedup_series(name, text):
    """[(title, [(threads, median)])] from the Markdown tables of one
    benchmark's output whose first column is `threads`."""
    series = []
    rows = [ln.strip() for ln in text.splitlines()]
    i = 0
    while i < len(rows):
        cells = [c.strip() for c in rows[i].strip("|").split("|")] if rows[i].startswith("|") else []
        if cells and cells[0].lower() == "threads":
            cols = [(j, c) for j, c in enumerate(cells) if c.lower().endswith("speedup")]
            points = {j: [] for j, _ in cols}
            i += 2  # the header and the |---| line
            while i < len(rows) and rows[i].startswith("|"):
                row = [c.strip() for c in rows[i].strip("|").split("|")]
                if row and row[0].isdigit():
                    for j, _ in cols:
                        m = NUMBER.search(row[j]) if j < len(row) else None
                        if m:
                            points[j].append((int(row[0]), float(m.group())))
                i += 1
            for j, title in cols:
                if points[j]:
                    series.append(("%s %s" % (name, title), points[j]))
            continue
        i += 1
    return series


def gnuplot_script(series, cpus, out):
    xs = sorted({x for _, pts in series for x, _ in pts})
    ys = [y for _, pts in series for _, y in pts]
    lines = ['set terminal svg size 900,500 dynamic background "white"',
             "set output '%s'" % out.replace("'", ""),
             "set title 'Speedup against one thread (%d CPUs)'" % cpus,
             "set xlabel 'threads'", "set ylabel 'speedup'", "set key outside right top",
             "set grid", "set xrange [%g:%g]" % (xs[0] - 0.2, xs[-1] + 0.2),
             "set xtics (%s)" % ", ".join(str(x) for x in xs),
             "set yrange [0:%g]" % (max(ys + [min(cpus, xs[-1])]) + 0.5), "set samples 200",
             "ideal(x) = x < %d ? x : %d" % (cpus, cpus)]
    plots = ["ideal(x) title 'ideal: min(threads, CPUs)' dashtype 2 lc rgb 'gray'"]
    data = []
    for title, pts in series:
        plots.append("'-' using 1:2 with linespoints title '%s'" % title.replace("'", ""))
        data += ["%d %g" % p for p in pts] + ["e"]
    return "\n".join(lines + ["plot " + ", ".join(plots)] + data) + "\n"


def draw_chart(series, cpus):
    """Writes the chart; returns one line saying where, or why not."""
    if not series:
        return None
    if not shutil.which("gnuplot"):
        return ("No chart: gnuplot is not installed here (`sudo apt-get install gnuplot-nox` "
                "adds it); the tables above are the whole result.")
    os.makedirs(OUT_DIR, exist_ok=True)
    out = os.path.join(OUT_DIR, "speedup.svg")
    proc = subprocess.run(["gnuplot"], input=gnuplot_script(series, cpus, out).encode(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    if proc.returncode != 0 or not os.path.isfile(out):
        msg = proc.stdout.decode(errors="replace").strip().splitlines()[-1:]
        return "No chart: gnuplot failed%s" % ((": " + msg[0]) if msg else "")
    return "Chart of speedup against threads: %s" % os.path.relpath(out, ROOT)


# ---- the commands ----------------------------------------------------------------

def selected(ex_arg):
    exercises = course.load()
    if ex_arg:
        ex = course.resolve(ex_arg, exercises)
        if not bench_source(ex):
            have = [e.name for e in exercises if bench_source(e)]
            raise UsageError("%s has no benchmark (tests/%s/bench.c)%s" % (
                ex.name, ex.name, "; these do: " + ", ".join(have) if have else ""))
        return [ex]
    return [e for e in exercises if bench_source(e)]


def main(args):
    require_compiler()
    exercises = selected(args.ex)
    src = args.src
    if src:
        code = "the files in " + src
    elif os.path.isdir(os.path.join(ROOT, "solutions")):
        code = "the reference solutions"
    else:  # the student release: the learner's own code is what there is to measure
        src = os.path.join(ROOT, "exercises")
        code = "your code in exercises/ (this copy of the course has no reference solutions)"
    start = time.monotonic()
    page = ["# Benchmarks", "", machine_line() + ".",
            "Code: %s, built with %s -O2; each figure is the median of several repeats with "
            "(min-max)." % (code, CC), ""]
    print("\n".join(page))
    sys.stdout.flush()
    failed, series = 0, []
    for ex in exercises:
        head = "## %s: %s" % (ex.name, ex.title)
        try:
            out = run_bench(build_bench(ex, src), RUN_SECONDS)
        except BenchError as e:
            failed += 1
            line = "%s: the benchmark %s" % (ex.name, e)
            print(ui.paint(line, "red"))
            page.append(line)
            continue
        except UsageError as e:  # SRC without this exercise's files
            failed += 1
            line = "%s: not run: %s" % (ex.name, e)
            print(ui.paint(line, "red"))
            page.append(line)
            continue
        text = "%s\n\n%s" % (head, out.strip())
        print(text + "\n")
        sys.stdout.flush()
        page += [text, ""]
        series += speedup_series(ex.name, out)
    cpus = len(os.sched_getaffinity(0))
    note = draw_chart(series, cpus)
    if note:
        print(note)
        page.append(note)
    took = "`make bench` took %.0f s." % (time.monotonic() - start)
    print(took)
    page.append(took)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, "bench.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(page) + "\n")
    return 1 if failed else 0


def quick_check(exercises, tally):
    """For `make check`: every benchmark builds and runs its quick version."""
    with_bench = [ex for ex in exercises if bench_source(ex)]
    if with_bench:
        print(ui.paint("benchmarks", "bold"))
    for ex in with_bench:
        try:
            run_bench(build_bench(ex), QUICK_SECONDS, quick=True)
            tally.record(True, "%s benchmark builds and runs (KATA_BENCH_QUICK=1)" % ex.name)
        except (BenchError, UsageError) as e:
            tally.record(False, "%s benchmark builds and runs (KATA_BENCH_QUICK=1)" % ex.name,
                         "tests/%s/bench.c %s" % (ex.name, e))

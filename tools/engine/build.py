"""Incremental builds of an exercise's test and helgrind programs.

Layout under build/<exercise>/:
  tests-obj/          objects of the tree's own tests and harness (shared)
  <variant>/src/      the learner's .c files, copied with a #line so that
                      messages still name the original file; a header beside
                      a submitted file is never seen
  <variant>/obj/      their objects
  <variant>/test, <variant>/helgrind-driver

A graded build in the sandbox (build_boxed, the grading's mode
"namespaces") compiles the tree's tests and harness here as above, then
compiles, judges (policy.judge_object) and links the learner's code inside
bubblewrap as the grading user, in a Box of copies outside the repository.

Why so long: the box's build is the plain build's twin (the same flags,
objects, helpers and link flags, by the same helpers of this module); kept
beside it so that the two cannot drift apart.
"""

import hashlib
import os
import re
import shlex
import shutil
import tempfile
import threading

from engine import contain, course, lang, policy, procs, readback, sandbox
from engine.course import BUILD, CC, ROOT, UsageError

CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-g", "-pthread"]
COMPILE_SECONDS = 30
FILE_BYTES = 64 << 20   # any file the compiler or linker writes (procs: RLIMIT_FSIZE)


def _words(output):
    """The compiler's words, or ours when it hit the file size limit."""
    if "File size limit exceeded" in output:
        return lang.t("build.too big", FILE_BYTES >> 20)
    return output


class BuildError(Exception):
    """The code does not compile or link; .output holds the compiler's words."""

    def __init__(self, output, student, refused=False, machine=False):
        super().__init__(output)
        self.output = output
        self.student = student
        self.refused = refused   # it compiled, but the object policy refused it
        self.machine = machine  # the machine lacks what the tests need (not the learner's fault)


def variant_name(src):
    """A folder name for where the learner's files come from."""
    if src is None:
        return "exercises"
    rel = os.path.relpath(os.path.abspath(src), ROOT)
    if not rel.startswith(".."):
        return rel.replace(os.sep, "_")
    tail = "_".join(os.path.abspath(src).split(os.sep)[-2:])
    tail = "".join(c if c.isalnum() or c in "-_." else "_" for c in tail)
    return "ext-%s-%s" % (tail, hashlib.sha1(os.path.abspath(src).encode()).hexdigest()[:8])


def _write_if_changed(path, data):
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except OSError:
        pass
    _atomic_write(path, data)


def _atomic_write(path, data):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def stage(paths, stage_dir, top=None):
    """Copies the learner's files into the build folder, each starting with a
    #line that names the original file. With `top` (a graded submission's
    SRC folder), each is read with care (read_submitted)."""
    os.makedirs(stage_dir, exist_ok=True)
    staged = []
    for p in paths:
        if top is not None:
            body = read_submitted(p, top)
        else:
            with open(p, "rb") as f:
                body = f.read()
        head = ('#line 1 "%s"\n' % course.shown(p).replace("\\", "\\\\").replace('"', '\\"')).encode()
        dest = os.path.join(stage_dir, os.path.basename(p))
        _write_if_changed(dest, head + body)
        staged.append(dest)
    return staged


def _deps_fresh(obj, depfile):
    try:
        mtime = os.path.getmtime(obj)
        with open(depfile) as f:
            text = f.read().replace("\\\n", " ")
    except OSError:
        return False
    deps = text.split(":", 1)[1].split() if ":" in text else []
    for d in deps:
        try:
            if os.path.getmtime(d) > mtime:
                return False
        except OSError:
            return False
    return True


def _compile(src, obj, flags):
    """Compiles src to obj unless obj is newer than everything it includes."""
    depfile = obj + ".d"
    stamp = obj + ".flags"
    line = " ".join(flags)
    try:
        with open(stamp) as f:
            same_flags = f.read() == line
    except OSError:
        same_flags = False
    if same_flags and _deps_fresh(obj, depfile):
        return None
    tmp = "%s.%d.tmp" % (obj, os.getpid())
    cmd = [CC] + flags + ["-MMD", "-MF", depfile + ".tmp%d" % os.getpid(), "-c", src, "-o", tmp]
    status, output = procs.run_capture(cmd, COMPILE_SECONDS, cwd=ROOT)
    if status is None:
        return ("%s took more than %d s to compile (or waited for input): a source file "
                "that makes the compiler work without end" % (course.shown(src), COMPILE_SECONDS))
    if status != 0:
        return _words(output) or "the compiler failed (out of memory?)"
    os.replace(depfile + ".tmp%d" % os.getpid(), depfile)
    os.replace(tmp, obj)
    _atomic_write(stamp, line.encode())
    return None


def _in_parallel(work, items, workers):
    """[work(item) for item in items], in at most `workers` threads (plain
    threads: concurrent.futures would add 20 ms of imports to every command).
    An exception in one is raised here, after every thread ended."""
    results, failures, todo = [None] * len(items), [], list(enumerate(items))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                i, item = todo.pop(0)
            try:
                results[i] = work(item)
            except BaseException as e:  # re-raised in the caller's thread
                failures.append(e)
    threads = [threading.Thread(target=worker) for _ in range(min(workers, len(items)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]
    return results


def _compile_all(jobs):
    """jobs: (src, obj, flags, is_student). Raises BuildError on the first
    failure, student code first."""
    for _, obj, _, _ in jobs:
        os.makedirs(os.path.dirname(obj), exist_ok=True)
    results = _in_parallel(lambda j: (_compile(j[0], j[1], j[2]), j[3]), jobs,
                           max(2, os.cpu_count() or 2))
    errors = [(out, student) for out, student in results if out]
    errors.sort(key=lambda e: not e[1])
    if errors:
        raise BuildError(errors[0][0], errors[0][1])


def libc_needs_libdl():
    """glibc before 2.34 keeps dladdr (the harness names a mutex with it) in
    libdl, so the test program links with -ldl there: probed, not guessed."""
    try:
        name, _, version = (os.confstr("CS_GNU_LIBC_VERSION") or "").partition(" ")
    except (ValueError, OSError):  # not glibc (musl has dladdr in libc)
        return False
    m = re.match(r"(\d+)\.(\d+)", version)
    return name == "glibc" and bool(m) and (int(m.group(1)), int(m.group(2))) < (2, 34)


def libdl_flags():
    """The link flags the harness (stuck.c's dladdr) needs on this C library."""
    return ["-ldl"] if libc_needs_libdl() else []


LD_OBJECT = re.compile(r"^(?:\S*ld\S*: )?(\S+?\.(?:o|a|so[.\d]*))(?:: in function|:\(|: undefined reference)")


def machine_link_error(output, harness_objs):
    """True when a failed link names only the harness's or Criterion's
    symbols: every undefined reference is made by tests/common's objects or
    by a library, or a library is missing. Then the machine lacks what the
    tests need (an old C library, another Criterion), not the learner."""
    harness = {os.path.normpath(os.path.join(ROOT, o)) for o in harness_objs}
    machine, current, culprits = False, None, []
    for line in output.splitlines():
        machine = machine or "cannot find -l" in line
        m = LD_OBJECT.match(line)
        current = m.group(1) if m else current
        if "undefined reference to" in line:
            culprits.append(current)
    if not culprits:
        return machine
    return all(c and (os.path.normpath(os.path.join(ROOT, c)) in harness
                      or re.search(r"\.(a|so[.\d]*)$", c)) for c in culprits)


def _link(objs, out, ldflags, libs, harness_objs=()):
    if os.path.exists(out):
        t = os.path.getmtime(out)
        if all(os.path.getmtime(o) <= t for o in objs):
            return
    tmp = "%s.%d.tmp" % (out, os.getpid())
    cmd = [CC, "-pthread"] + objs + ldflags + libs + ["-o", tmp]
    status, output = procs.run_capture(cmd, COMPILE_SECONDS, cwd=ROOT)
    if status != 0:
        machine = status is not None and machine_link_error(output, harness_objs)
        raise BuildError(_words(output) or lang.t("build.link time"), not machine, machine=machine)
    os.replace(tmp, out)


def _common_sources(with_harness):
    d = os.path.join(ROOT, "tests", "common")
    srcs = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".c"))
    return [s for s in srcs if with_harness or os.path.basename(s) != "kata.c"]


def _flags(ex):
    return CFLAGS + ["-I", ex.path("exercises"), "-I", os.path.join(ROOT, "tests", "common")]


def _shared_obj(ex, shared, s):
    """The object of a tree source; a test from elsewhere (an instructor's
    hidden tests) goes in a folder of its own, so names never collide."""
    name = os.path.basename(s)[:-2] + ".o"
    home = (ex.path("tests"), ex.path("exercises"), os.path.join(ROOT, "tests", "common"))
    if os.path.dirname(os.path.abspath(s)) in home:
        return os.path.join(shared, name)
    return os.path.join(shared, "x" + hashlib.sha1(os.path.dirname(s).encode()).hexdigest()[:8], name)


def build(ex, src=None, helgrind=False, test_sources=None, variant=None, judge=False):
    """Builds the test program (or the helgrind driver); returns its path.
    `variant` names the build folder (default: after SRC). With `judge` (a
    graded build outside the sandbox, mode "users"), the learner's objects
    are judged as in the sandbox (policy.judge_object) before the link."""
    var_dir = os.path.join(BUILD, ex.name, variant or variant_name(src))
    top = (src or os.path.dirname(ex.path("exercises"))) if judge else None
    staged = stage(ex.student_paths(src), os.path.join(var_dir, "src"), top)
    flags = _flags(ex)
    jobs = [(s, os.path.join(var_dir, "obj", os.path.basename(s)[:-2] + ".o"), flags, True)
            for s in staged]
    shared = os.path.join(BUILD, ex.name, "tests-obj")
    if helgrind:
        if not ex.helgrind_source():
            raise UsageError("%s has no helgrind check (tests/%s/helgrind.c)" % (ex.name, ex.name))
        others = [ex.helgrind_source()] + _common_sources(False)
        out, libs = os.path.join(var_dir, "helgrind-driver"), libdl_flags()
    else:
        others = (test_sources or ex.test_sources()) + ex.helper_sources() + _common_sources(True)
        # -rdynamic: the watchdog can name a global mutex in a deadlock report.
        out, libs = os.path.join(var_dir, "test"), ["-rdynamic", "-lcriterion"] + libdl_flags()
        if test_sources and sorted(test_sources) != ex.test_sources():  # a program of its own
            out += "-" + hashlib.sha1("\n".join(sorted(test_sources)).encode()).hexdigest()[:8]
    # The exercise's support code (exercises.ini `support`) is the tree's own,
    # like the tests: compiled from exercises/<ex>/ whatever SRC is.
    support = ex.support_paths()
    jobs += [(s, _shared_obj(ex, shared, s), flags, False) for s in others + support]
    _compile_all(jobs)
    objs = {s: o for s, o, _, _ in jobs}
    ldflags = ex.ldflags + ([] if helgrind else ex.test_ldflags)
    common = os.path.join(ROOT, "tests", "common")

    def link():
        _link([j[1] for j in jobs], out, ldflags, libs,
              [objs[s] for s in others if os.path.dirname(os.path.abspath(s)) == common])

    def symbols():
        return policy.check_symbols([j[1] for j in jobs if j[3]], [objs[s] for s in others],
                                    [objs[s] for s in support])
    if judge:  # graded: nothing is linked before the objects are judged
        problems = symbols()
        if not problems:
            _judge_plain(ex, [(j[0], j[1]) for j in jobs if j[3]], [objs[s] for s in support])
            link()
    else:  # the learner's loop: the check beside the link, the link's file unused when refused
        def link_error():
            try:
                link()
            except BuildError as e:
                return e
            return None
        failed, problems = _in_parallel(lambda f: f(), [link_error, symbols], 2)
        if problems and os.path.exists(out):
            os.remove(out)
        if failed and not problems:
            raise failed
    if problems:
        raise BuildError("\n".join(problems), True)
    return out


def _judge_plain(ex, student_objs, support_objs):
    """The object policy on objects built outside the sandbox: the same
    rules as in it (the names of the library and harness are check_symbols'
    job here); its tools bounded in time and memory (procs.run_capture)."""
    support = policy._global_symbols(support_objs)[0] if support_objs else set()
    problems = []
    for src, obj in student_objs:
        try:
            deps = readback.safe_read(obj + ".d", OUTPUT_BYTES).decode(errors="replace")
        except readback.Unreadable:
            deps = ""
        for f in policy.judge_object(obj, ex.calls, support=support, depfile_text=deps,
                                     headers_dirs=(ex.path("exercises"),), source=src,
                                     forbidden=policy.FORBIDDEN_CALLS,
                                     forbidden_prefixes=policy.HARNESS_PREFIXES,
                                     run=lambda argv: procs.run_capture(argv, COMPILE_SECONDS)):
            if f.sentence not in problems:
                problems.append(f.sentence)
    if problems:
        raise BuildError("\n".join(problems), True, refused=True)


def compile_commands(exercises):
    """Entries for compile_commands.json: every source with its real flags."""
    entries = []
    for ex in exercises:
        flags = _flags(ex)
        srcs = ([ex.path("exercises", f) for f in ex.files] + ex.support_paths() + ex.test_sources()
                + ex.helper_sources())
        if ex.helgrind_source():
            srcs.append(ex.helgrind_source())
        for s in srcs:
            entries.append({"directory": ROOT, "file": s,
                            "command": shlex.join([CC] + flags + ["-c", s])})
    return entries


# ---- graded builds: the learner's code compiled and linked in the sandbox ----

BOX = "/kata"           # where a box's folders appear inside the sandbox
SOURCE_BYTES = 1 << 20  # a submitted .c file
OUTPUT_BYTES = 64 << 10  # the compiler's words kept
PROGRAM_BYTES = FILE_BYTES  # a linked test program


class Box:
    """One grading's folders, in a fresh private folder outside the
    repository (so the grading user reaches it wherever the clone is):
      in/       root's copies the run reads: the exercise's headers, the
                harness objects, the learner's staged files, and once
                linked, the programs (read-only at /kata/in in the sandbox)
      out/      the only folder the run may write (rw at /kata/out)
      private/  the grader's own: logs, the report read from its channel
    The box's top folder is root's, mode 0710 to the grading user's group:
    no other grading user (a classmate's run) can enter it.

    With `sandboxed` (mode "namespaces") the box's commands run in
    bubblewrap and see it at /kata; without (mode "users", as root) they
    run directly as the grading user (contain.Limits) and see it where it
    is: `root` is the box's folder as its commands name it."""

    def __init__(self, uid, sandboxed=True):
        self.uid, self.sandboxed = uid, sandboxed
        self.path = contain.reachable_folder("kata-box-")
        self.root = BOX if sandboxed else self.path
        self.inp, self.out = os.path.join(self.path, "in"), os.path.join(self.path, "out")
        self.private = os.path.join(self.path, "private")
        for d in ("ex", "common", "obj", "src", "bin"):
            os.makedirs(os.path.join(self.inp, d), mode=0o755)
        os.chmod(self.inp, 0o755)
        os.mkdir(self.out, 0o700)
        os.mkdir(self.private, 0o700)
        # where the box's tools write scratch files: the sandbox's capped
        # /tmp, or without it a folder of the run's own (removed with the box)
        self.scratch = "/tmp" if sandboxed else os.path.join(self.out, "tmp")
        if not sandboxed:
            os.mkdir(self.scratch, 0o700)
        if uid is not None:
            for d in (self.out, self.scratch) if not sandboxed else (self.out,):
                os.chown(d, uid, uid)
            os.chown(self.path, 0, uid)
            os.chmod(self.path, 0o710)
        self.programs = {}   # "test", "helgrind": paths as the box's commands name them

    def inside(self, *parts):
        """A path of the box as its commands name it."""
        return "/".join((self.root,) + parts)

    def put(self, src, folder, name=None, head=b""):
        """Copies a trusted file into in/<folder>/; returns its path inside."""
        dest = os.path.join(self.inp, folder, name or os.path.basename(src))
        with open(src, "rb") as f:
            data = f.read()
        with open(dest, "wb") as f:
            f.write(head + data)
        os.chmod(dest, 0o644)
        return self.inside("in", folder, os.path.basename(dest))

    def spawn(self, argv, env=None, tmp_mb=64):
        """{argv, env, cwd} for procs.run: `argv` run by the box's rules."""
        base = {"PATH": "/usr/bin:/bin", "HOME": self.inside("out"), "LC_ALL": "C.UTF-8"}
        env = dict(base, **(env or {}))
        if not self.sandboxed:
            env["TMPDIR"] = self.scratch   # valgrind's files stay in the run's folder
            return {"argv": list(argv), "env": env, "cwd": self.out}
        return {"argv": sandbox.command(argv, uid=self.uid, ro_binds=[(self.inp, BOX + "/in")],
                                        rw_dir=(self.out, BOX + "/out"), tmp_mb=tmp_mb,
                                        cwd=BOX + "/out", env=env),
                "env": None, "cwd": None}

    def limits(self, seconds, memory=2 << 30, processes=64):
        return contain.Limits(processes=processes, memory=memory, total_memory=2 * memory,
                              cpu=int(seconds) + 1, uid=self.uid, sandboxed=self.sandboxed,
                              keep=(self.path,), written=(self.out,))

    def run(self, argv, seconds=COMPILE_SECONDS, name="tool"):
        """Runs a tool in the box; (status or None on time-out, output)."""
        log = os.path.join(self.private, name + ".log")
        spawn = self.spawn(argv)
        outcome = procs.run(spawn["argv"], seconds, log, env=spawn["env"], cwd=spawn["cwd"],
                            contain=self.limits(seconds), file_size=FILE_BYTES)
        try:
            text = readback.safe_read(log, OUTPUT_BYTES).decode(errors="replace")
        except readback.Unreadable:
            text = ""
        if outcome.timed_out:
            return None, text
        if outcome.limit:
            return -1, (text + "\n" + outcome.limit).strip()
        return outcome.returncode, text

    def run_program(self, argv, timeout, log, limits, env=None, pass_fds=()):
        """A graded program (the tests, helgrind) run from the box. In the
        sandbox it runs under the guard (sandbox.guarded), whose verdict
        names the processes still there after it ended (outcome.leftovers)
        before the sandbox is torn down; a run that silenced the guard ends
        with a limit. Without the sandbox, procs.run finds them (the engine
        is their subreaper)."""
        if not self.sandboxed:
            spawn = self.spawn(argv, env)
            return procs.run(spawn["argv"], timeout, log, env=spawn["env"], cwd=spawn["cwd"],
                             contain=limits, pass_fds=pass_fds)
        r, w = os.pipe()
        os.set_inheritable(w, True)
        spawn = self.spawn(sandbox.guarded(argv, w), env, tmp_mb=limits.tmp_size >> 20)
        try:
            outcome = procs.run(spawn["argv"], timeout, log, contain=limits,
                                pass_fds=tuple(pass_fds) + (w,))
        finally:
            os.close(w)
        os.set_blocking(r, False)
        try:
            data = os.read(r, 1 << 16)
        except BlockingIOError:
            data = b""
        finally:
            os.close(r)
        if not (outcome.timed_out or outcome.limit):
            left = sandbox.guard_verdict(data)
            if left is None:
                outcome.limit = lang.t("sandbox.guard gone")
            elif left:
                outcome.leftovers = left
        return outcome

    def host(self, inside):
        """The host path of a path the box's commands name under out/."""
        return os.path.join(self.out, os.path.relpath(inside, self.inside("out")))

    def seal(self, name):
        """Moves a program the run linked in out/ to root's in/bin/, where
        no later run of the box can change it; returns its path inside."""
        dest = os.path.join(self.inp, "bin", os.path.basename(name))
        try:
            data = readback.safe_read(self.host(name), PROGRAM_BYTES + 1)
        except readback.Unreadable as e:
            raise BuildError(lang.t("build.no program", e), True)
        if len(data) > PROGRAM_BYTES:
            raise BuildError(_words("File size limit exceeded"), True)
        with open(dest, "wb") as f:
            f.write(data)
        os.chmod(dest, 0o755)
        os.unlink(self.host(name))
        return self.inside("in", "bin", os.path.basename(name))

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


def _no_link_below(path, top):
    """Refuses a folder between `top` (the SRC folder) and the file that is
    a symbolic link (an exercise folder linked to solutions/)."""
    d = os.path.dirname(os.path.abspath(path))
    top = os.path.abspath(top)
    while d.startswith(top + os.sep):
        if os.path.islink(d):
            raise BuildError(lang.t("build.link", course.shown(d)), True, refused=True)
        d = os.path.dirname(d)


def read_submitted(p, top):
    """A submitted file's bytes, never through a link (of the file or of a
    folder below `top`, the SRC folder), a regular file of bounded size."""
    _no_link_below(p, top)
    try:
        body = readback.safe_read(p, SOURCE_BYTES + 1)
    except readback.Unreadable as e:
        raise BuildError("%s: %s" % (course.shown(p), e), True, refused=True)
    if len(body) > SOURCE_BYTES:
        raise BuildError(lang.t("build.source too big", course.shown(p), SOURCE_BYTES >> 10), True,
                         refused=True)
    return body


def _stage_submitted(box, paths, top):
    """The learner's files into the box, never through a link, each with a
    #line naming the original file (messages and helgrind's attribution)."""
    staged = []
    for p in paths:
        body = read_submitted(p, top)
        head = ('#line 1 "%s"\n' % course.shown(p).replace("\\", "\\\\").replace('"', '\\"')).encode()
        dest = os.path.join(box.inp, "src", os.path.basename(p))
        with open(dest, "wb") as f:
            f.write(head + body)
        os.chmod(dest, 0o644)
        staged.append(box.inside("in", "src", os.path.basename(p)))
    return staged


def _policy(box, objs, calls, taken, support):
    """Findings of policy.judge_object on the learner's objects, its tools
    run in the sandbox too (they parse hostile files)."""
    problems = []
    for src, obj in objs:
        try:
            deps = readback.safe_read(box.host(obj + ".d"), OUTPUT_BYTES).decode(errors="replace")
        except readback.Unreadable:
            deps = ""
        for f in policy.judge_object(obj, calls, taken=taken, support=support, depfile_text=deps,
                                 headers_dirs=(box.inside("in", "ex"),), source=src,
                                 forbidden=policy.FORBIDDEN_CALLS,
                                        forbidden_prefixes=policy.HARNESS_PREFIXES,
                                 run=lambda argv: box.run(argv, name="policy")):
            if f.sentence not in problems:
                problems.append(f.sentence)
    return problems


def build_boxed(ex, src, box, test_sources=None, helgrind=False, calls=None):
    """Builds the test program (and, with helgrind, the helgrind driver) of a
    graded run: the tree's harness objects compiled here as in build(), the
    learner's files compiled, judged (policy.judge_object) and linked in the
    sandbox as the grading user, with the same link flags as build().
    Fills box.programs {"test": path inside, "helgrind": ...}."""
    staged = _stage_submitted(box, ex.student_paths(src), src or os.path.dirname(ex.path("exercises")))
    tests = (test_sources or ex.test_sources()) + ex.helper_sources() + _common_sources(True)
    hg = [ex.helgrind_source()] + _common_sources(False) if helgrind and ex.helgrind_source() \
        else []
    support = ex.support_paths()
    inside, objs = _box_tree_objects(ex, box, sorted(set(tests + hg + support)))
    student_objs = _box_compile(box, staged)
    taken = policy.library_symbols() | policy._global_symbols([objs[s] for s in tests + hg])[0]
    support_names = policy._global_symbols([objs[s] for s in support])[0] if support else set()
    problems = _policy(box, student_objs, calls, taken, support_names)
    if problems:
        raise BuildError("\n".join(problems), True, refused=True)
    programs = {"test": (tests + support, ex.ldflags + ex.test_ldflags + ["-rdynamic", "-lcriterion"]
                         + libdl_flags())}
    if hg:
        programs["helgrind"] = (hg + support, ex.ldflags + libdl_flags())
    script = ["set -e"]
    for what, (others, flags) in programs.items():
        out = box.inside("out", what + "-program")
        tmp = box.scratch + "/" + what
        script.append(shlex.join([CC, "-pthread"] + [o for _, o in student_objs]
                                 + [inside[s] for s in others] + flags + ["-o", tmp]))
        script.append(shlex.join(["cp", tmp, out]))
    status, output = box.run(["sh", "-c", "\n".join(script)], name="link")
    if status != 0:
        raise BuildError(_words(output) or lang.t("build.link time"), True)
    for what in programs:  # out of the run's reach before any run
        box.programs[what] = box.seal(box.inside("out", what + "-program"))
    return box.programs


def _box_tree_objects(ex, box, sources):
    """The tree's own objects (tests, harness, support) built here, copied
    into the box with the exercise's headers and the harness's."""
    shared = os.path.join(BUILD, ex.name, "tests-obj")
    flags = _flags(ex)
    jobs = [(s, _shared_obj(ex, shared, s), flags, False) for s in sources]
    _compile_all(jobs)
    objs = {s: o for s, o, _, _ in jobs}
    inside = {}
    for s, o in objs.items():
        name = hashlib.sha1(o.encode()).hexdigest()[:8] + "-" + os.path.basename(o)
        inside[s] = box.put(o, "obj", name)
    for h in sorted(os.listdir(ex.path("exercises"))):
        if h.endswith(".h"):
            box.put(ex.path("exercises", h), "ex")
    common = os.path.join(ROOT, "tests", "common")
    for h in sorted(os.listdir(common)):
        if h.endswith((".h", ".supp")):
            box.put(os.path.join(common, h), "common")
    return inside, objs


def _box_compile(box, staged):
    """The learner's files compiled in the sandbox: [(source, object)] inside."""
    cflags = CFLAGS + ["-I", box.inside("in", "ex"), "-I", box.inside("in", "common")]
    student_objs, script = [], ["set -e"]
    for s in staged:
        base = os.path.basename(s)[:-2]
        o = box.inside("out", base + ".o")
        tmp = "%s/%s.o" % (box.scratch, base)
        script.append(shlex.join([CC] + cflags + ["-MD", "-MF", tmp + ".d", "-c", s, "-o", tmp]))
        # compiled in the capped /tmp (or the run's own folder, its bytes
        # watched): a huge object fills that, not the disk
        script.append(shlex.join(["cp", tmp, tmp + ".d", box.inside("out") + "/"]))
        student_objs.append((s, o))
    status, output = box.run(["sh", "-c", "\n".join(script)], name="compile")
    if status is None:
        raise BuildError(lang.t("build.compile time", COMPILE_SECONDS), True)
    if status != 0:
        raise BuildError(_words(output) or lang.t("build.compiler failed"), True)
    return student_objs

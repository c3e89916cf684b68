"""What submitted code may be: the includes it may write (graded code only)
and the symbols it may define and use (every build). Each check returns the
problems in words; build.py turns them into a BuildError of the learner.

judge_object(obj, calls, ...) -> [Finding]: a graded object judged from the
object itself (readelf, objdump, from binutils) and from the compiler's own
list of what it read (-MD), never from the source text. It passes when it has
  - no constructor or destructor sections (.init_array, .fini_array,
    .preinit_array, .ctors, .dtors, .init, .fini): code that runs before
    or after the tests could rewrite their verdicts;
  - no GNU indirect function (STT_GNU_IFUNC): its resolver runs inside the
    dynamic linker, before main, and can replace any function;
  - no weak symbols and no versioned names (name@VERSION): ways to reach or
    replace harness and library functions without a link error;
  - no global definition of a name the C library or the harness owns;
  - executable code only in .text sections, and no system-call instruction
    (syscall, sysenter, int $0x80): every call goes through the C library,
    where the tests can see it;
  - undefined symbols only from the exercise's list of library calls
    (exercises.ini `calls`, COMMON_CALLS beside it) or from the exercise's
    own support code;
  - included only the exercise's headers and system headers.
The tools are run by `run` (argv -> (status, text)), so a grader can run
them sandboxed."""

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass

from engine import course, lang, readback
from engine.course import BUILD, CC

INCLUDE_RE = re.compile(r"^[ \t]*(?:#|%:)[ \t]*include\w*[ \t]*(.*)$", re.M)
ALLOWED_INCLUDE = re.compile(r'"[\w.+-]+\.h"|<[\w.+/-]+\.h>|<\w+>')


def _preprocessor_view(text):
    """The text as the preprocessor reads its directives: lines spliced,
    comments gone (string literals are left as they are)."""
    text = text.replace("\\\r\n", "").replace("\\\n", "")
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def check_includes(paths):
    """Submitted code may include headers by name only: a path with a folder
    in it or a .c file could compile in the reference solution, a hidden test
    or any file the grader can read."""
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as f:
            text = _preprocessor_view(f.read())
        for arg in INCLUDE_RE.findall(text):
            arg = arg.strip()
            if not ALLOWED_INCLUDE.fullmatch(arg) or ".." in arg:
                return lang.t("policy.include by name", course.shown(p), arg[:80])
    return None


# The test harness's own names: submitted code that calls them could end a
# test as if it had passed.
HARNESS_PREFIXES = ("kata_", "criterion_", "cri_", "bxf_", "__wrap_", "__real_")
# Looking symbols up by name reaches the harness all the same.
FORBIDDEN_CALLS = ("dlsym", "dlvsym", "dlopen", "dlmopen")


def _global_symbols(paths, dynamic=False):
    """(defined, undefined) global symbol names of objects or libraries."""
    each = _symbols_of_each(paths, dynamic).values()
    return set().union(*(d for d, _ in each)), set().union(*(u for _, u in each))


def _symbols_of_each(paths, dynamic=False):
    """{path: (defined, undefined)} of objects or libraries, from one run of nm."""
    out = subprocess.run(["nm", "-P", "-A"] + (["-D"] if dynamic else []) + paths,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    found = {p: (set(), set()) for p in paths}
    longest_first = sorted(found, key=len, reverse=True)  # a path may hold ": " too
    for line in out.decode(errors="replace").splitlines():
        path = next((p for p in longest_first if line.startswith(p + ": ")), None)
        fields = line[len(path) + 2:].split() if path else []
        if len(fields) < 2:
            continue
        name, kind = fields[0].split("@")[0], fields[1]
        if kind == "U":
            found[path][1].add(name)
        elif kind.isupper():
            found[path][0].add(name)
    return found


def library_symbols():
    """The names the C library and Criterion define (cached per compiler)."""
    stamp = os.path.join(BUILD, ".state", "libsyms-" + hashlib.sha1(CC.encode()).hexdigest()[:8])
    try:
        with open(stamp) as f:
            return set(f.read().split())
    except OSError:
        pass
    libs = []
    for name in ("libc.so.6", "libcriterion.so"):
        out = subprocess.run([CC, "-print-file-name=" + name], stdout=subprocess.PIPE)
        path = out.stdout.decode().strip()
        if os.path.isabs(path):
            libs.append(os.path.realpath(path))
    names = _global_symbols(libs, dynamic=True)[0]
    os.makedirs(os.path.dirname(stamp), exist_ok=True)
    tmp = "%s.tmp%d" % (stamp, os.getpid())
    with open(tmp, "w") as f:
        f.write("\n".join(sorted(names)))
    os.replace(tmp, stamp)
    return names


def check_symbols(student_objs, other_objs, support_objs=()):
    """Refuses submitted code that replaces a library or harness function
    (which could silence a failed assertion) or reaches into the harness or
    the tests (their probes and counters decide verdicts). The exercise's
    support code is there to be called. Returns the problems, in words."""
    each = _symbols_of_each(list(student_objs) + list(other_objs) + list(support_objs))
    defined = set().union(*(each[p][0] for p in student_objs))
    undefined = set().union(*(each[p][1] for p in student_objs))
    tests_own = set().union(*(each[p][0] for p in other_objs))
    taken = library_symbols() | tests_own | set().union(*(each[p][0] for p in support_objs))
    problems = []
    for name in sorted(defined & taken):
        problems.append(lang.t("policy.replaces", name))
    for name in sorted(undefined):
        if name.startswith(HARNESS_PREFIXES) or name in FORBIDDEN_CALLS or name in tests_own:
            problems.append(lang.t("policy.harness", name))
    return problems


# ---- the graded object ---------------------------------------------------------

# Calls any exercise may make: memory, strings, formatting, errors, asserts.
COMMON_CALLS = frozenset("""
    malloc calloc realloc free aligned_alloc posix_memalign
    memcpy memmove memset memcmp memchr strlen strnlen strcmp strncmp strchr strrchr strcpy
    strncpy strdup strndup strerror strtol strtoul
    printf fprintf snprintf vsnprintf vfprintf puts fputs fputc putchar fflush perror
    stdout stderr abort __assert_fail __errno_location __stack_chk_fail
    _GLOBAL_OFFSET_TABLE_
""".split())

FORBIDDEN_SECTIONS = re.compile(r"^\.(init_array|fini_array|preinit_array|ctors|dtors|init|fini)"
                                r"(\.|$)")
SYSCALL_RE = re.compile(r"\t(syscall|sysenter|int\s+\$0x80)\b")
SYSTEM_HEADER_DIRS = ("/usr/include/", "/usr/lib/gcc/", "/usr/local/include/")


@dataclass
class Finding:
    what: str       # the thing found, e.g. "section .init_array"
    why: str        # the rule, in a few words
    sentence: str   # for the learner


def _run(argv):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    return p.returncode, p.stdout.decode(errors="replace")


def sections(text):
    """readelf -S -W: [(name, flags)]."""
    out = []
    for m in re.finditer(r"^\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+"
                         r"[0-9a-f]+\s+([A-Za-z]*)", text, re.M):
        out.append((m.group(1), m.group(2)))
    return out


def symbols(text):
    """readelf -s -W: [(type, bind, ndx, name)] of named symbols."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 8 and f[0].endswith(":") and f[0][:-1].isdigit():
            out.append((f[3], f[4], f[6], f[7]))
    return out


def dependencies(text):
    """A -MD dependency file: the files the compiler read."""
    text = text.replace("\\\n", " ")
    return text.split(":", 1)[1].split() if ":" in text else []


def judge_object(obj, calls, taken=frozenset(), support=frozenset(), depfile_text=None,
                 headers_dirs=(), source=None, forbidden=(), forbidden_prefixes=(), run=_run):
    """Findings about one object. calls: the exercise's allowed library
    calls (None: no list, only `forbidden` and `forbidden_prefixes` are
    refused); taken: names the library and harness define (no global of these);
    support: names the exercise's support code defines (callable);
    headers_dirs: folders of the exercise's headers (includable)."""
    st, text = run(["readelf", "-S", "-W", obj])
    if st != 0:
        return [Finding("not an object", "readelf cannot read it",
                        lang.t("policy.not elf"))]
    found = _judge_sections(text)
    _, text = run(["readelf", "-s", "-W", obj])
    found += _judge_symbols(text, calls, taken, support, forbidden, forbidden_prefixes)
    _, text = run(["objdump", "-d", "--no-show-raw-insn", obj])
    found += _judge_code(text)
    if depfile_text is not None:
        found += _judge_includes(depfile_text, headers_dirs, source)
    return found


def _judge_sections(text):
    found = []
    for name, flags in sections(text):
        if FORBIDDEN_SECTIONS.match(name):
            found.append(Finding("section " + name, "constructors and destructors",
                                 lang.t("policy.ctor", name)))
        elif "X" in flags and not name.startswith(".text"):
            found.append(Finding("section " + name, "code outside .text",
                                 lang.t("policy.code outside text", name)))
    return found


def _judge_symbols(text, calls, taken, support, forbidden, forbidden_prefixes):
    found = []
    allowed = set(calls or ()) | COMMON_CALLS | set(support)
    for typ, bind, ndx, name in symbols(text):
        if bind in ("LOCAL",) or not name:
            continue
        if "@" in name:
            found.append(Finding("symbol " + name, "versioned names",
                                 lang.t("policy.versioned", name)))
        if typ == "IFUNC":
            found.append(Finding("symbol " + name, "GNU indirect functions",
                                 lang.t("policy.ifunc", name)))
        if bind == "WEAK":
            found.append(Finding("symbol " + name, "weak symbols",
                                 lang.t("policy.weak", name)))
        if ndx == "UND":
            if name in forbidden or name.startswith(tuple(forbidden_prefixes)):
                found.append(Finding("call " + name, "the harness's own names",
                                     lang.t("policy.harness call", name)))
            elif calls is not None and name not in allowed:
                found.append(Finding("call " + name, "library calls of this exercise",
                                     lang.t("policy.not needed", name,
                                            " ".join(sorted(calls)) or "-")))
        elif name in taken:
            found.append(Finding("symbol " + name, "names of the library and harness",
                                 lang.t("policy.taken", name)))
    return found


def _judge_code(text):
    found, seen = [], set()
    for m in SYSCALL_RE.finditer(text):
        ins = " ".join(m.group(1).split())
        if ins not in seen:
            seen.add(ins)
            found.append(Finding("instruction " + ins, "system calls go through the library",
                                 lang.t("policy.syscall", ins)))
    return found


def _judge_includes(depfile_text, headers_dirs, source):
    found = []
    ok_dirs = tuple(d.rstrip("/") + "/" for d in headers_dirs) + SYSTEM_HEADER_DIRS
    for dep in dependencies(depfile_text):
        if dep == source or dep.startswith(ok_dirs) and dep.endswith(".h") \
                and "/../" not in dep:
            continue
        found.append(Finding("include " + dep, "headers only",
                             lang.t("policy.include", dep)))
    return found


# ---- the review list: allowed, but worth an instructor's look ------------------

REVIEW_BYTES = 1 << 20
STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')
REVIEW = (
    ("review.environment", re.compile(r"\b(getenv|secure_getenv|environ|__environ|"
                                          r"clearenv|setenv|putenv)\b")),
    ("review.signals", re.compile(r"\b(signal|sigaction|sigprocmask|pthread_sigmask|"
                                             r"raise|kill|pthread_kill|sigsetjmp|siglongjmp)"
                                             r"\s*\(")),
    ("review.dup", re.compile(r"\b(dup2|dup3)\s*\(")),
    ("review.close std", re.compile(r"\b(close|fclose)\s*\(\s*(0|1|2|std(in|out|err)|"
                                               r"STD(IN|OUT|ERR)_FILENO)\s*\)")),
    ("review.fd number", re.compile(r"\b(read|write|close|fcntl|dup|dup2|dup3|poll|"
                                                r"fdopen|fstat|lseek|ioctl)\s*\(\s*"
                                                r"(?:[3-9]|[1-9]\d+)\s*[,)]")),
)


def _shown(hit):
    """signal ( -> signal; write(7, -> write(7, ...)."""
    hit = "".join(hit.split())
    return hit[:-1] + ", ...)" if hit.endswith(",") else hit.rstrip("(")


def review(paths):
    """What a grader should look at in submitted code that the rules allow:
    reading the environment, /proc paths in string literals, signal games,
    dup2 or close of the standard descriptors, descriptor numbers written
    as numbers. Read from the source text (comments gone), so it is a
    pointer for a person, never a verdict. Returns ["file: what (words)"]."""
    found, sep = [], lang.t("report.list sep")
    for p in paths:
        try:  # never through a link, never a FIFO: the submission is hostile
            text = _preprocessor_view(readback.safe_read(p, REVIEW_BYTES).decode("utf-8", "replace"))
        except readback.Unreadable:
            continue
        name = os.path.basename(p)
        procs_paths = sorted({m.group(0)[:40] for m in STRING_RE.finditer(text)
                              if "/proc" in m.group(0)})
        if procs_paths:
            found.append(lang.t("review.item", name, lang.t("review.proc"), sep.join(procs_paths[:3])))
        code = STRING_RE.sub('""', text)
        for key, rx in REVIEW:
            hits = sorted({_shown(m.group(0)) for m in rx.finditer(code)})
            if hits:
                found.append(lang.t("review.item", name, lang.t(key), sep.join(hits[:3])))
    return found

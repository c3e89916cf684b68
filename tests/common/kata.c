/* Test harness shared by every exercise: see kata.h. */
#define _GNU_SOURCE
#include "kata.h"
#include "probe.h"
#include "stuck.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t test_pid;
static char test_id[256];
static volatile int test_finished;
static volatile int test_timed_out;
static volatile pid_t watchdog_tid;
/* Threads that existed before the test body ran belong to the test runner. */
static pid_t runner_tids[32];
static int runner_tid_count;

static int is_harness_thread(pid_t tid)
{
    if (tid == watchdog_tid)
        return 1;
    for (int i = 0; i < runner_tid_count; i++)
        if (runner_tids[i] == tid && tid != test_pid)
            return 1;
    return 0;
}
static void (*timeout_explainer)(FILE *out);
static volatile pid_t helper_pid; /* the kata_run_in_child helper now running */

double kata_test_seconds(void)
{
    const char *s = getenv("KATA_TEST_SECONDS");
    double v = s ? atof(s) : 0;
    return v > 0 ? v : 3.0;
}

const char *kata_msg(const char *fmt, ...)
{
    /* A few buffers in turn: one assertion may format more than one message. */
    static __thread char bufs[4][4096];
    static __thread int next;
    char *buf = bufs[next++ % 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof bufs[0], fmt, ap);
    va_end(ap);
    return buf;
}

void kata_on_timeout(void (*explain)(FILE *out))
{
    timeout_explainer = explain;
}

/* Writes `text` to the marker file <KATA_MARKS>/<test id><suffix>. */
static void write_marker(const char *suffix, const char *text)
{
    const char *dir = getenv("KATA_MARKS");
    if (!dir || !*dir)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s%s", dir, test_id, suffix);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n <= 0)
            break;
        text += n;
        len -= (size_t)n;
    }
    close(fd);
}

void kata_skip_reason(const char *why)
{
    write_marker(".skip", why);
}

void kata_kill_descendants(void)
{
    pid_t pids[512];
    for (int round = 0; round < 50; round++) {
        int n = kata_descendants(getpid(), pids, 512);
        int alive = 0;
        for (int i = 0; i < n; i++) {
            char path[64], state;
            snprintf(path, sizeof path, "/proc/%d/stat", pids[i]);
            if (kata_read_stat(path, &state, NULL) == 0 && state != 'Z') {
                kill(pids[i], SIGKILL);
                alive++;
            }
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (alive == 0 && kata_children(getpid(), NULL, 0) == 0)
            return;
        usleep(2000);
    }
}

static void describe_stuck(FILE *out, double seconds)
{
    fprintf(out,
            KATA_TR("timed out after %.0f s: the test did not finish. At that moment:\n",
                    "超时（%.0f 秒）：测试没有完成。那一刻的情况：\n"),
            seconds);
    int cycles = 0;
    if (helper_pid)
        fprintf(out,
                KATA_TR("  the test process %d: waiting for process %d, which runs your code\n",
                        "  测试进程 %d：在等运行你的代码的进程 %d\n"),
                getpid(), helper_pid);
    else {
        fprintf(out, KATA_TR("  the test process %d:\n", "  测试进程 %d：\n"), getpid());
        cycles = kata_describe_process(out, getpid());
    }
    pid_t kids[64];
    int n = kata_descendants(getpid(), kids, 64);
    for (int i = 0; i < n; i++) {
        char path[64], state;
        pid_t parent = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", kids[i]);
        kata_read_stat(path, &state, &parent);
        if (kids[i] == helper_pid)
            fprintf(
                out,
                KATA_TR("  process %d, which runs your code:\n", "  进程 %d（运行你的代码）：\n"),
                kids[i]);
        else
            fprintf(out,
                    KATA_TR("  process %d, forked by process %d:\n",
                            "  进程 %d（由进程 %d fork 出来）：\n"),
                    kids[i], parent);
        kata_describe_process(out, kids[i]);
    }
    if (timeout_explainer)
        timeout_explainer(out);
    if (!cycles)
        fputs(KATA_TR("Code that waits for something that never comes (a lock, a signal, a "
                      "write, a child) is stuck; code that keeps running is in an endless loop.\n",
                      "在等一样永远不会来的东西（一把锁、一个信号、一次写入、一个子进程）的代码"
                      "卡住了；一直在运行的代码则陷在死循环里。\n"),
              out);
}

static void *watchdog(void *arg)
{
    (void)arg;
    watchdog_tid = (pid_t)syscall(SYS_gettid);
    prctl(PR_SET_NAME, "kata-watchdog");
    double seconds = kata_test_seconds();
    struct timespec until = kata_ts_add_ns(kata_now(), (long long)(seconds * 1e9));
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
        ;
    if (test_finished)
        return NULL;
    test_timed_out = 1;
    static char report[8192];
    FILE *out = fmemopen(report, sizeof report - 1, "w");
    if (out) {
        describe_stuck(out, seconds);
        fclose(out);
    } else {
        snprintf(report, sizeof report, KATA_TR("timed out after %.0f s\n", "超时（%.0f 秒）\n"),
                 seconds);
    }
    write_marker(".timeout", report);
    ssize_t ignored = write(STDERR_FILENO, report, strlen(report));
    (void)ignored;
    kata_kill_descendants();
    _exit(KATA_EXIT_TIMEOUT);
}

/* ---- resource hygiene: what the code under test leaves behind ---------- */

/* A test fails when, at its end, the process holds a descriptor, a shared
 * mapping, a locked mutex (of those the test watches) or a thread that it
 * did not hold at its start.  The same check runs in a kata_run_in_child
 * helper when fn returns. */
#define HYG_MAX_FDS 256
#define HYG_MAX_MAPS 128
#define HYG_MAX_ALLOWED 16
#define HYG_MAX_MUTEXES 8

struct hyg_fd {
    int fd;
    char target[96];
};
struct hyg_snapshot {
    int nfd, nmap, threads;
    struct hyg_fd fds[HYG_MAX_FDS];
    unsigned long maps[HYG_MAX_MAPS]; /* start addresses of shared mappings */
};
static struct hyg_snapshot hyg_start;
static struct hyg_fd hyg_allowed[HYG_MAX_ALLOWED]; /* by number and target */
static int hyg_nallowed;
static unsigned long hyg_allowed_maps[HYG_MAX_ALLOWED];
static int hyg_nallowed_maps;
static struct {
    const pthread_mutex_t *m;
    const char *what;
} hyg_mutexes[HYG_MAX_MUTEXES];
static int hyg_nmutexes;

/* Where the code under test made each descriptor, when the exercise links
 * its test program with -Wl,--wrap=pipe (pipe2, socketpair, eventfd, dup, dup2): the caller's
 * return address, shown as "function+0xNN" and turned into file:line after the run.  Without the
 * flag __wrap_ is never called and __real_ stays unset. */
#define HYG_MAX_MADE 64
static struct {
    int fd;
    const void *at;
} hyg_made[HYG_MAX_MADE];
static int hyg_nmade;

int __real_pipe(int fds[2]) __attribute__((weak));
int __real_pipe2(int fds[2], int flags) __attribute__((weak));
int __real_socketpair(int domain, int type, int protocol, int fds[2]) __attribute__((weak));
int __real_eventfd(unsigned int initval, int flags) __attribute__((weak));
int __real_dup(int fd) __attribute__((weak));
int __real_dup2(int fd, int to) __attribute__((weak));

static void hyg_note_made(int fd, const void *at)
{
    int i = 0;
    while (i < hyg_nmade && hyg_made[i].fd != fd)
        i++;
    if (i == hyg_nmade && hyg_nmade < HYG_MAX_MADE)
        hyg_nmade++;
    if (i < hyg_nmade) {
        hyg_made[i].fd = fd;
        hyg_made[i].at = at;
    }
}

int __wrap_pipe(int fds[2])
{
    int r = __real_pipe(fds);
    if (r == 0) {
        hyg_note_made(fds[0], __builtin_return_address(0));
        hyg_note_made(fds[1], __builtin_return_address(0));
    }
    return r;
}

int __wrap_pipe2(int fds[2], int flags)
{
    int r = __real_pipe2(fds, flags);
    if (r == 0) {
        hyg_note_made(fds[0], __builtin_return_address(0));
        hyg_note_made(fds[1], __builtin_return_address(0));
    }
    return r;
}

int __wrap_socketpair(int domain, int type, int protocol, int fds[2])
{
    int r = __real_socketpair(domain, type, protocol, fds);
    if (r == 0) {
        hyg_note_made(fds[0], __builtin_return_address(0));
        hyg_note_made(fds[1], __builtin_return_address(0));
    }
    return r;
}

int __wrap_eventfd(unsigned int initval, int flags)
{
    int r = __real_eventfd(initval, flags);
    if (r >= 0)
        hyg_note_made(r, __builtin_return_address(0));
    return r;
}

int __wrap_dup(int fd)
{
    int r = __real_dup(fd);
    if (r >= 0)
        hyg_note_made(r, __builtin_return_address(0));
    return r;
}

int __wrap_dup2(int fd, int to)
{
    int r = __real_dup2(fd, to);
    if (r >= 0)
        hyg_note_made(r, __builtin_return_address(0));
    return r;
}

/* ", made at compute_in_child+0x2b" for a descriptor whose making was seen. */
static void hyg_made_at(int fd, char *out, size_t size)
{
    out[0] = '\0';
    for (int i = 0; i < hyg_nmade; i++) {
        Dl_info info;
        /* one byte back: the call instruction itself, not the next line */
        const char *at = (const char *)hyg_made[i].at - 1;
        if (hyg_made[i].fd == fd && dladdr(at, &info) && info.dli_sname && info.dli_saddr)
            snprintf(out, size, KATA_TR(", made at %s+0x%lx", "，创建于 %s+0x%lx"), info.dli_sname,
                     (unsigned long)(at - (const char *)info.dli_saddr));
    }
}

static void hyg_read_target(int fd, char *target, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, size - 1);
    target[n > 0 ? n : 0] = '\0';
}

void kata_allow_fd(int fd)
{
    if (hyg_nallowed < HYG_MAX_ALLOWED) {
        struct hyg_fd *f = &hyg_allowed[hyg_nallowed++];
        f->fd = fd;
        hyg_read_target(fd, f->target, sizeof f->target);
    }
}

void kata_allow_map(const void *start)
{
    if (hyg_nallowed_maps < HYG_MAX_ALLOWED)
        hyg_allowed_maps[hyg_nallowed_maps++] = (unsigned long)start;
}

void kata_watch_mutex(const pthread_mutex_t *m, const char *what)
{
    if (hyg_nmutexes < HYG_MAX_MUTEXES) {
        hyg_mutexes[hyg_nmutexes].m = m;
        hyg_mutexes[hyg_nmutexes++].what = what;
    }
}

static void hyg_read_fds(struct hyg_snapshot *s)
{
    s->nfd = 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && s->nfd < HYG_MAX_FDS) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == dirfd(d))
            continue;
        struct hyg_fd *f = &s->fds[s->nfd++];
        hyg_read_target(fd, f->target, sizeof f->target);
        f->fd = fd;
    }
    closedir(d);
}

/* Shared mappings (MAP_SHARED: a 's' in the permissions).  Private ones are
 * left out: the allocator's arenas and the stacks glibc keeps for reuse
 * after a thread ends are private and may legitimately stay. */
static void hyg_read_maps(struct hyg_snapshot *s)
{
    s->nmap = 0;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f) && s->nmap < HYG_MAX_MAPS) {
        unsigned long start, end;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && perms[3] == 's')
            s->maps[s->nmap++] = start;
    }
    fclose(f);
}

static void hyg_snapshot(struct hyg_snapshot *s)
{
    hyg_read_fds(s);
    hyg_read_maps(s);
    s->threads = kata_thread_count();
}

/* Called where a test (or a helper's fn) starts. */
static void hyg_begin(void)
{
    hyg_nallowed = 0;
    hyg_nallowed_maps = 0;
    hyg_nmutexes = 0;
    hyg_snapshot(&hyg_start);
}

static int hyg_fd_is_old(const struct hyg_fd *f)
{
    for (int i = 0; i < hyg_nallowed; i++)
        if (hyg_allowed[i].fd == f->fd && strcmp(hyg_allowed[i].target, f->target) == 0)
            return 1;
    for (int i = 0; i < hyg_start.nfd; i++)
        if (hyg_start.fds[i].fd == f->fd && strcmp(hyg_start.fds[i].target, f->target) == 0)
            return 1;
    return 0;
}

/* Appends "descriptor 5 (pipe:[123])" for each descriptor opened since the start. */
static size_t hyg_new_fds(const struct hyg_snapshot *now, char *out, size_t size)
{
    size_t used = 0;
    int n = 0;
    for (int i = 0; i < now->nfd && used + 288 < size; i++) {
        if (hyg_fd_is_old(&now->fds[i]))
            continue;
        const struct hyg_fd *f = &now->fds[i];
        const char *end = "";
        if (strncmp(f->target, "pipe:", 5) == 0)
            end = kata_opened_for_writing(getpid(), f->fd) ? KATA_TR("the write end of ", "写端，")
                                                           : KATA_TR("the read end of ", "读端，");
        char made[128];
        hyg_made_at(f->fd, made, sizeof made);
        used += (size_t)snprintf(out + used, size - used,
                                 KATA_TR("%sdescriptor %d (%s%s%s)", "%s描述符 %d（%s%s%s）"),
                                 n++ ? KATA_TR(", ", "、") : "", f->fd, end, f->target, made);
    }
    return used;
}

static int hyg_new_maps(const struct hyg_snapshot *now, unsigned long *first)
{
    int n = 0;
    for (int i = 0; i < now->nmap; i++) {
        int old = 0;
        for (int j = 0; j < hyg_start.nmap && !old; j++)
            old = hyg_start.maps[j] == now->maps[i];
        for (int j = 0; j < hyg_nallowed_maps && !old; j++)
            old = hyg_allowed_maps[j] == now->maps[i];
        if (!old && n++ == 0)
            *first = now->maps[i];
    }
    return n;
}

/* Waits (a bounded time) for threads that are ending on their own, e.g. a
 * detached worker that has just signalled; returns the count then. */
static int hyg_settled_threads(int want)
{
    int n = kata_thread_count();
    for (int i = 0; i < 400 && n > want; i++) {
        usleep(5000);
        n = kata_thread_count();
    }
    return n;
}

/* The first thing left behind, as a sentence in `out`; 0 when nothing is. */
static int hyg_leftovers(char *out, size_t size)
{
    static struct hyg_snapshot now;
    char list[1024];
    hyg_snapshot(&now);
    if (hyg_new_fds(&now, list, sizeof list) > 0) {
        snprintf(out, size,
                 KATA_TR("your code left open a descriptor it opened: %s. Close every "
                         "descriptor you open (both ends of a pipe) once it is no longer "
                         "needed, on every path, the error paths included: one left open "
                         "leaks, and a pipe end left open keeps the other end from seeing "
                         "end of file.",
                         "你的代码留下了一个它打开过、却没关掉的描述符：%s。你打开的每个描述符"
                         "（管道的两端都算）在用完之后都要关掉，每条路径都要，出错的路径也"
                         "一样：留着不关就是泄漏，而管道留着一端不关，另一端就永远看不到文件"
                         "结束。"),
                 list);
        return 1;
    }
    unsigned long first = 0;
    int maps = hyg_new_maps(&now, &first);
    if (maps > 0) {
        snprintf(out, size,
                 KATA_TR("your code left %d shared mapping(s) mapped (the first at %#lx): "
                         "munmap every region you mmap before your function returns.",
                         "你的代码留下了 %d 个还映射着的共享内存区（第一个在 %#lx）：你 mmap "
                         "的每块内存，都要在函数返回之前 munmap。"),
                 maps, first);
        return 1;
    }
    for (int i = 0; i < hyg_nmutexes; i++) {
        const pthread_mutex_t *m = hyg_mutexes[i].m;
        if (m->__data.__lock == 0)
            continue;
        char who[96];
        if (m->__data.__owner == getpid())
            snprintf(who, sizeof who, "%s", KATA_TR("the test's main thread", "测试的主线程"));
        else
            snprintf(who, sizeof who, KATA_TR("thread %d", "线程 %d"), m->__data.__owner);
        snprintf(out, size,
                 KATA_TR("the mutex %s was still locked (held by %s) after your function "
                         "returned: every pthread_mutex_lock needs its pthread_mutex_unlock "
                         "before the function returns, on every path.",
                         "你的函数返回之后，互斥锁 %s 仍被锁着（被%s持有）：每个 "
                         "pthread_mutex_lock 都要在函数返回之前、在每条路径上配一个 "
                         "pthread_mutex_unlock。"),
                 hyg_mutexes[i].what, who);
        return 1;
    }
    int threads = hyg_settled_threads(hyg_start.threads);
    if (threads > hyg_start.threads) {
        snprintf(out, size,
                 KATA_TR("%d thread(s) your code started were still running after it "
                         "returned: join every thread you create (or let a detached one "
                         "finish) before your function returns.",
                         "你的代码返回之后，它创建的 %d 个线程还在运行：你创建的每个线程都要"
                         "在函数返回之前 join（或者让分离的线程自己结束）。"),
                 threads - hyg_start.threads);
        return 1;
    }
    return 0;
}

/* In a kata_run_in_child helper, after fn: "L" and the sentence, if any. */
static void hyg_helper_report(int fd)
{
    char why[2048] = "L";
    if (hyg_leftovers(why + 1, sizeof why - 1)) {
        ssize_t ignored = write(fd, why, strlen(why));
        (void)ignored;
    }
}

static void hyg_end(void)
{
    char why[2048];
    if (hyg_leftovers(why, sizeof why))
        cr_assert_fail("%s", why);
}

/* ---- where a test crashed ---------------------------------------------- */

/* On SIGSEGV, SIGBUS, SIGFPE, SIGABRT or SIGILL in the test's process, the
 * handler records where the crashing thread is and asks every other thread
 * of the test where it is (stuck.c), writes that to the marker
 * <test id>.where, then lets the signal end the process as it would have.
 * The same in a kata_run_in_child helper, whose death the test reports.
 * Only system calls and plain stores up to the marker; a second crash while
 * the first is reported waits for the process to end. */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL};
static volatile int crash_taken;
static volatile pid_t crash_tid;    /* the thread reporting its crash */
static int crash_in_helper;         /* in a kata_run_in_child helper, not the test's process */
static char crash_stack[64 * 1024]; /* the handler's own: a stack overflow crashes too */
static char crash_text[12288];
static char crash_maps[32768];

/* How far addr is from the memory mapped around it: 0 inside a mapping,
 * the distance past the end of the mapping just below, or -1 (none near). */
static long crash_past_end(uintptr_t addr)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    ssize_t n;
    while (len < sizeof crash_maps - 1 &&
           (n = read(fd, crash_maps + len, sizeof crash_maps - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    crash_maps[len] = '\0';
    long best = -1;
    for (char *line = crash_maps; *line;) {
        char *end;
        uintptr_t lo = (uintptr_t)strtoul(line, &end, 16);
        uintptr_t hi = *end == '-' ? (uintptr_t)strtoul(end + 1, &end, 16) : lo;
        if (addr >= lo && addr < hi)
            return 0;
        if (addr >= hi && (best < 0 || (long)(addr - hi) < best))
            best = (long)(addr - hi);
        char *next = strchr(line, '\n');
        line = next ? next + 1 : line + strlen(line);
    }
    return best;
}

static const char *crash_words(int sig, const siginfo_t *si, char *buf, size_t size)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    if (sig == SIGSEGV || sig == SIGBUS) {
        long past = addr < 4096 ? -2 : crash_past_end(addr);
        if (past == -2)
            snprintf(buf, size,
                     KATA_TR("it used a NULL pointer (address %#lx)",
                             "它用了一个 NULL 指针（地址 %#lx）"),
                     (unsigned long)addr);
        else if (past == 0)
            snprintf(buf, size,
                     KATA_TR("it used the address %#lx in a way it may not (writing to read-only "
                             "memory such as a string literal?)",
                             "它以不允许的方式用了地址 %#lx（是不是往只读内存里写了，比如字符串"
                             "字面量？）"),
                     (unsigned long)addr);
        else if (past > 0 && past < 4096)
            snprintf(buf, size,
                     KATA_TR("it used the address %#lx, just past the end of a memory region (an "
                             "array or buffer indexed past its end?)",
                             "它用了地址 %#lx，刚好越过一块内存的末尾（数组或缓冲区越界了？）"),
                     (unsigned long)addr);
        else
            snprintf(buf, size,
                     KATA_TR("it used the address %#lx, which is not mapped: freed, never "
                             "allocated, or far out of bounds",
                             "它用了地址 %#lx，那里没有映射内存：已经释放、从没分配过，或者远远"
                             "越界"),
                     (unsigned long)addr);
    } else if (sig == SIGFPE)
        snprintf(buf, size, "%s",
                 si->si_code == FPE_INTDIV ? KATA_TR("an integer division by zero", "整数除以零")
                                           : KATA_TR("an arithmetic error", "一个算术错误"));
    else if (sig == SIGABRT)
        snprintf(buf, size, "%s",
                 KATA_TR("abort() was called: a failed assert(), or the C library found the heap "
                         "corrupted (a double free?)",
                         "调用了 abort()：一个失败的 assert()，或者 C 库发现堆被破坏了（重复 "
                         "free？）"));
    else
        snprintf(buf, size, "%s",
                 KATA_TR("an illegal instruction (a corrupted function pointer?)",
                         "一条非法指令（函数指针被破坏了？）"));
    return buf;
}

/* The test's threads, read with getdents64 (no allocation). */
static int crash_threads(pid_t *tids, int max)
{
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    static char buf[4096];
    int n = 0;
    long got;
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < got;) {
            struct {
                unsigned long long ino;
                long long off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *e = (void *)(buf + off);
            pid_t tid = (pid_t)atoi(e->name);
            if (tid > 0 && !is_harness_thread(tid) && n < max)
                tids[n++] = tid;
            off += e->reclen;
        }
    close(fd);
    return n;
}

static size_t crash_thread_line(pid_t tid, const char *what, size_t used)
{
    char label[64], where[KATA_WHERE_CHARS];
    kata_where(getpid(), tid, where, sizeof where);
    used += (size_t)snprintf(crash_text + used, sizeof crash_text - used, "    %s%s%s\n",
                             kata_thread_label(getpid(), tid, label, sizeof label), where, what);
    return used < sizeof crash_text ? used : sizeof crash_text - 1;
}

static void crash_handler(int sig, siginfo_t *si, void *ucontext)
{
    pid_t self = (pid_t)syscall(SYS_gettid);
    if (__sync_lock_test_and_set(&crash_taken, 1)) {
        if (crash_tid == self) { /* the report itself crashed (a wrecked stack): die now */
            signal(sig, SIG_DFL);
            raise(sig);
            return;
        }
        for (;;) /* another thread is reporting its crash and will end the process */
            pause();
    }
    crash_tid = self;
    kata_where_here(ucontext);
    if (getpid() == test_pid || crash_in_helper) {
        pid_t me = self, tids[64];
        int n = crash_threads(tids, 64);
        kata_where_ask(getpid(), tids, n);
        char words[512], what[600];
        crash_words(sig, si, words, sizeof words);
        snprintf(what, sizeof what, KATA_TR(": %s", "：%s"), words);
        size_t used = (size_t)snprintf(
            crash_text, sizeof crash_text, "%s\n",
            crash_in_helper ? KATA_TR("Where it crashed, in the process that ran your code:",
                                      "崩溃的地方，在运行你的代码的进程里：")
                            : KATA_TR("Where it crashed:", "崩溃的地方："));
        used = crash_thread_line(me, what, used);
        if (n > 1)
            used += (size_t)snprintf(
                crash_text + used, sizeof crash_text - used, "%s\n",
                KATA_TR("The test's other threads at that moment:", "那一刻测试的其他线程："));
        for (int i = 0; i < n && used < sizeof crash_text - 1; i++)
            if (tids[i] != me)
                used = crash_thread_line(tids[i], "", used);
        write_marker(".where", crash_text);
    }
    signal(sig, SIG_DFL);
    if (si->si_code <= 0) /* sent by kill() or raise(): send it again, now deadly */
        raise(sig);
}

static void crash_watch(void)
{
    stack_t ss = {.ss_sp = crash_stack, .ss_size = sizeof crash_stack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = crash_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        sigaction(crash_signals[i], &sa, NULL);
}

/* ---- begin / end of a test -------------------------------------------- */

static void remember_runner_threads(void);

void kata_begin(const char *suite, const char *test)
{
    test_pid = getpid();
    test_finished = 0;
    test_timed_out = 0;
    remember_runner_threads();
    kata_skip_threads(is_harness_thread);
    kata_where_init();
    crash_watch();
    snprintf(test_id, sizeof test_id, "%s::%s", suite, test);
    /* Orphans of the test's processes come back to this process, so that
     * kata_end and kata_run_in_child can see and end them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, watchdog, NULL) != 0)
        cr_assert_fail("the test harness could not start its watchdog thread");
    pthread_attr_destroy(&attr);
    while (watchdog_tid == 0)
        sched_yield();
    hyg_begin();
}

static void remember_runner_threads(void)
{
    runner_tid_count = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && runner_tid_count < 32) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0)
            runner_tids[runner_tid_count++] = tid;
    }
    closedir(d);
}

void kata_end(void)
{
    if (getpid() != test_pid) {
        /* A child forked by the code under test returned into the test. */
        write_marker(".forked", "a child process returned into the test");
        _exit(KATA_EXIT_FORKED);
    }
    while (test_timed_out) /* the watchdog is reporting and will end the process */
        pause();
    test_finished = 1;
    pid_t kids[16];
    int n = kata_children(getpid(), kids, 16);
    /* Ask the kernel too, which code under test cannot hide from. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (n == 0 && waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
        n = 1;
        kids[0] = si.si_pid; /* 0: a child still running, which waitid does not name */
    }
    if (n > 0) {
        char what[512] = "";
        size_t used = 0;
        for (int i = 0; i < n && i < 16 && used < sizeof what - 80; i++) {
            char path[64], state = '?';
            snprintf(path, sizeof path, "/proc/%d/stat", kids[i]);
            kata_read_stat(path, &state, NULL);
            used += (size_t)snprintf(what + used, sizeof what - used, "%s%d (%s)", i ? ", " : "",
                                     kids[i],
                                     state == 'Z' ? KATA_TR("exited but never reaped: a zombie",
                                                            "已退出但从没被回收：僵尸进程")
                                                  : KATA_TR("still running", "还在运行"));
        }
        kata_kill_descendants();
        cr_assert_fail(KATA_MSG("the test ended with %d child process(es) left behind: %s. "
                                "Every child you fork must end (_exit) and be reaped with "
                                "waitpid before your function returns.",
                                "测试结束时留下了 %d 个子进程：%s。你 fork 的每个子进程都必须"
                                "结束（_exit），并在你的函数返回之前用 waitpid 回收。",
                                n, what));
    }
    hyg_end();
    write_marker(".done", "finished");
}

int kata_thread_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0 && !is_harness_thread(tid))
            n++;
    }
    closedir(d);
    return n;
}

/* ---- running student code in a helper process ------------------------- */

static void write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

struct kata_proc kata_run_in_child(void (*fn)(void *arg, void *out), void *arg, void *out,
                                   size_t out_size, double seconds)
{
    struct kata_proc r = {0};
    int data[2], escape[2];
    if (out_size > 60 * 1024)
        out_size = 60 * 1024;
    if (pipe(data) != 0 || pipe(escape) != 0)
        cr_assert_fail("the test harness could not create a pipe");
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    fflush(NULL); /* so the helper does not print the test's buffered output again */
    pid_t helper = fork();
    if (helper < 0)
        cr_assert_fail("the test harness could not fork a helper process");
    if (helper > 0)
        helper_pid = helper;
    if (helper == 0) {
        close(data[0]);
        close(escape[0]);
        pid_t me = getpid();
        crash_in_helper = 1;
        hyg_begin();
        fn(arg, out);
        if (getpid() != me) {
            write_all(escape[1], "E", 1);
            _exit(KATA_EXIT_FORKED);
        }
        hyg_helper_report(escape[1]);
        write_all(data[1], out, out_size);
        _exit(0);
    }
    close(data[1]);
    close(escape[1]);
    fcntl(data[0], F_SETFL, O_NONBLOCK);
    fcntl(escape[0], F_SETFL, O_NONBLOCK);
    double deadline = kata_ts_seconds(kata_now()) + seconds;
    int wstatus = 0, reaped = 0;
    size_t got = 0, esc_len = 0;
    static char esc[2048]; /* "E": a child escaped; "L" and a sentence: fn left something behind */
    for (;;) {
        ssize_t n = read(escape[0], esc + esc_len, sizeof esc - 1 - esc_len);
        if (n > 0)
            esc_len += (size_t)n;
        while (got < out_size && (n = read(data[0], (char *)out + got, out_size - got)) > 0)
            got += (size_t)n;
        if (reaped)
            break;
        if (waitpid(helper, &wstatus, WNOHANG) == helper) {
            reaped = 1; /* one more pass drains what it wrote last */
            continue;
        }
        if (kata_ts_seconds(kata_now()) > deadline) {
            r.timed_out = 1;
            kill(helper, SIGKILL);
            waitpid(helper, &wstatus, 0);
            break;
        }
        struct pollfd pf[2] = {{data[0], POLLIN, 0}, {escape[0], POLLIN, 0}};
        poll(pf, 2, 5);
    }
    close(data[0]);
    close(escape[0]);
    helper_pid = 0;
    /* If the watchdog killed the helper, its report is the verdict: wait for
     * it to end this process rather than report the helper's death. */
    while (test_timed_out)
        pause();
    kata_kill_descendants();
    r.out_len = got;
    if (!r.timed_out) {
        r.exited = WIFEXITED(wstatus);
        r.status = r.exited ? WEXITSTATUS(wstatus) : 0;
        r.signaled = WIFSIGNALED(wstatus);
        r.sig = r.signaled ? WTERMSIG(wstatus) : 0;
    }
    esc[esc_len] = '\0';
    r.escaped = esc[0] == 'E';
    r.completed = !r.timed_out && r.exited && r.status == 0 && got == out_size && !r.escaped;
    if (r.completed && esc[0] == 'L')
        cr_assert_fail("%s", esc + 1);
    return r;
}

const char *kata_proc_describe(const struct kata_proc *p)
{
    static char buf[256];
    if (p->escaped)
        return KATA_TR("a child process forked by your code returned from the function "
                       "instead of ending with _exit(): after fork() the child must _exit()",
                       "你的代码 fork 出的子进程从函数里 return 了，而不是以 _exit() 结束："
                       "fork() 之后子进程必须 _exit()");
    if (p->timed_out)
        return KATA_TR("it did not return in time (a child that never exits? a read "
                       "or waitpid that waits forever?)",
                       "它没有按时返回（是不是有个子进程永远不退出？或者某个 read、waitpid "
                       "永远在等？）");
    if (p->signaled)
        snprintf(buf, sizeof buf,
                 KATA_TR("it crashed: killed by signal %d (%s)", "它崩溃了：被信号 %d（%s）杀死"),
                 p->sig, strsignal(p->sig));
    else if (p->exited && !p->completed)
        snprintf(buf, sizeof buf,
                 KATA_TR("the calling process ended with exit status %d instead of "
                         "returning: only a child should end itself",
                         "调用它的进程以退出状态 %d 结束了，而不是返回：只有子进程才该自己结束"),
                 p->status);
    else
        snprintf(buf, sizeof buf, "%s", KATA_TR("it returned normally", "它正常返回了"));
    return buf;
}

/* ---- in the runner process: record which signal ended a crashed test ---- */

#include <criterion/hooks.h>

ReportHook(TEST_CRASH)(struct criterion_test_stats *stats)
{
    char sig[16];
    snprintf(test_id, sizeof test_id, "%s::%s", stats->test->category, stats->test->name);
    snprintf(sig, sizeof sig, "%d", stats->signal);
    write_marker(".crash", sig);
}

/* The runner holds the report's channel (a descriptor of the grader): not
 * dumpable, no worker of the same user may open it through /proc/<pid>/fd
 * or trace the runner. The workers are exec'd, so they stay dumpable. */
ReportHook(PRE_ALL)(struct criterion_test_set *tests)
{
    (void)tests;
    prctl(PR_SET_DUMPABLE, 0);
}

/* ---- a faster start of every test process ------------------------------ */

/* Criterion runs each test in a freshly started process, and its libgit2
 * (used for diffs) loads the machine's TLS certificate bundle at start when it
 * is built with mbedTLS, as on Debian: about 8 ms of CPU per test, a third of
 * a short test's whole run. No test opens a TLS connection, so the bundle is
 * not read. On a machine whose libgit2 uses another TLS library this function
 * is never called. */
int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
    (void)chain;
    (void)path;
    return 0;
}

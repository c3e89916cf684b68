/* Part 4: a child computes, and sends the result back through a pipe. */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "probes.h"
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

KATA_SUITE(pipe_result);

/* ---- which pipe ends a process holds ------------------------------------ */

#define MAX_FDS 64
/* Pipes the helper already held before the call; the child inherits this copy. */
static struct {
    int fd;
    ino_t ino;
} known[MAX_FDS];
static int nknown;

static int for_each_pipe(void (*fn)(int fd, ino_t ino, int *acc), int *acc)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        struct stat st;
        if (e->d_name[0] != '.' && fd != dirfd(d) && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
            fn(fd, st.st_ino, acc);
    }
    closedir(d);
    return 0;
}

static void remember(int fd, ino_t ino, int *acc)
{
    (void)acc;
    if (nknown < MAX_FDS) {
        known[nknown].fd = fd;
        known[nknown].ino = ino;
        nknown++;
    }
}

static void count_new_pipe_end(int fd, ino_t ino, int *acc)
{
    for (int i = 0; i < nknown; i++)
        if (known[i].fd == fd && known[i].ino == ino)
            return;
    (*acc)++;
}

static void count_new_read_end(int fd, ino_t ino, int *acc)
{
    for (int i = 0; i < nknown; i++)
        if (known[i].fd == fd && known[i].ino == ino)
            return;
    if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY)
        (*acc)++;
}

/* ---- a small result ------------------------------------------------------ */

#define TEXT "computed in the child"

struct small_result {
    pid_t pid;          /* who ran the work */
    int read_ends_open; /* read ends of new pipes the worker still held */
    char text[24];
};

static size_t small_work(void *buf, size_t cap)
{
    struct small_result res = {getpid(), 0, TEXT};
    for_each_pipe(count_new_read_end, &res.read_ends_open);
    if (cap < sizeof res)
        return 0;
    memcpy(buf, &res, sizeof res);
    return sizeof res;
}

static size_t failing_work(void *buf, size_t cap)
{
    memcpy(buf, "partial", cap < 7 ? cap : 7);
    _exit(3); /* the work fails half way: the child ends with status 3 */
}

struct small_run {
    ssize_t got;
    struct small_result res;
    pid_t caller;
    int children_left;
    ssize_t failed_got; /* compute_in_child(failing_work, ...) */
};

static void run_small(void *arg, void *out)
{
    struct small_run *r = out;
    char buf[4096]; /* far more room than the result needs: only end of file ends it */
    memset(buf, 0, sizeof buf);
    nknown = 0;
    for_each_pipe(remember, NULL);
    r->caller = getpid();
    r->got = compute_in_child(small_work, buf, sizeof buf);
    memcpy(&r->res, buf, sizeof r->res);
    r->children_left = kata_children(getpid(), NULL, 0);
    if (arg)
        r->failed_got = compute_in_child(failing_work, buf, sizeof buf);
}

static struct small_run small(int also_failing)
{
    struct small_run r;
    memset(&r, 0, sizeof r);
    struct kata_proc p =
        kata_run_in_child(run_small, also_failing ? &r : NULL, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "compute_in_child");
    cr_assert(r.got >= 0,
              KATA_MSG("compute_in_child returned %zd instead of the result's length: it "
                       "should make a pipe, fork, and return how many bytes the child sent",
                       "compute_in_child 返回了 %zd，而不是结果的长度：它应当建一个管道、fork，"
                       "然后返回子进程送来了多少字节",
                       r.got));
    return r;
}

KATA_TEST(pipe_result, small_result_reaches_parent)
{
    struct small_run r = small(0);
    cr_assert(r.got == (ssize_t)sizeof r.res,
              KATA_MSG("compute_in_child returned %zd, but the child's result was %zu bytes "
                       "long: read until read() returns 0 and return how many bytes arrived",
                       "compute_in_child 返回了 %zd，可子进程的结果有 %zu 字节：一直读到 read() "
                       "返回 0，再返回一共收到了多少字节",
                       r.got, sizeof r.res));
    cr_assert(strcmp(r.res.text, TEXT) == 0,
              KATA_MSG("the parent's buffer does not hold the child's result: the work wrote "
                       "into the child's own copy of buf, which the parent cannot see; the "
                       "bytes must travel through the pipe into the parent's buf",
                       "父进程的缓冲区里没有子进程的结果：work 写进的是子进程自己那份 buf，"
                       "父进程看不到；这些字节必须经过管道送进父进程的 buf"));
}

KATA_TEST(pipe_result, work_runs_in_a_child_process)
{
    struct small_run r = small(0);
    cr_assert(r.res.pid != r.caller,
              KATA_MSG("the work ran in the calling process itself: run it in the child, "
                       "after fork",
                       "work 是在调用者自己的进程里运行的：要在 fork 之后、在子进程里运行它"));
    cr_assert(r.res.pid != 0,
              KATA_MSG("no result arrived from the child", "子进程没有送来任何结果"));
}

KATA_TEST(pipe_result, child_closes_the_read_end)
{
    struct small_run r = small(0);
    cr_assert(r.res.pid != 0,
              KATA_MSG("no result arrived from the child", "子进程没有送来任何结果"));
    cr_assert(r.res.read_ends_open == 0,
              KATA_MSG("the child still held the pipe's read end while it worked: after fork "
                       "each process has a copy of both ends; each closes the end it does not "
                       "use (the child only writes)",
                       "子进程干活时还握着管道的读端：fork 之后每个进程都有两端的副本，各自要关掉"
                       "自己用不到的那一端（子进程只写）"));
}

KATA_TEST(pipe_result, child_is_reaped)
{
    struct small_run r = small(0);
    cr_assert(r.children_left == 0,
              KATA_MSG("%d child process(es) were left after compute_in_child returned: after "
                       "reading the result, collect the child with waitpid, or it stays behind "
                       "as a zombie",
                       "compute_in_child 返回后还留下 %d 个子进程：读完结果后要用 waitpid "
                       "把子进程收走，否则它会作为僵尸进程留在那里",
                       r.children_left));
}

KATA_TEST(pipe_result, failed_child_gives_minus_one)
{
    struct small_run r = small(1);
    cr_assert(r.failed_got == -1,
              KATA_MSG("the child ended with status 3 (its work failed), yet compute_in_child "
                       "returned %zd: check the status waitpid reports and return -1 unless "
                       "the child exited with 0",
                       "子进程以状态 3 结束（它的工作失败了），compute_in_child 却返回了 %zd："
                       "要检查 waitpid 报告的状态，除非子进程以 0 退出，否则返回 -1",
                       r.failed_got));
}

/* ---- fork fails ------------------------------------------------------------ */

static int pipe_ends_at_fork; /* new pipe ends the caller held when its fork was refused */

static void count_pipe_ends_at_fork(void)
{
    pipe_ends_at_fork = 0;
    for_each_pipe(count_new_pipe_end, &pipe_ends_at_fork);
}

struct refused_run {
    ssize_t got;
    int refused;   /* forks the wrapper refused */
    int pipe_ends; /* new pipe ends held at the refused fork */
};

static void run_refused(void *arg, void *out)
{
    (void)arg;
    struct refused_run *r = out;
    char buf[4096];
    nknown = 0;
    for_each_pipe(remember, NULL);
    probe_on_fork_refused(count_pipe_ends_at_fork);
    probe_fork_fail_after(0);
    r->got = compute_in_child(small_work, buf, sizeof buf);
    probe_fork_fail_after(-1);
    probe_on_fork_refused(NULL);
    r->refused = probe_forks_refused();
    r->pipe_ends = pipe_ends_at_fork;
}

KATA_TEST(pipe_result, failed_fork_gives_minus_one_and_closes_the_pipe)
{
    struct refused_run r = {0, 0, 0};
    /* The helper also fails the test if the pipe's descriptors stay open. */
    struct kata_proc p = kata_run_in_child(run_refused, NULL, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "compute_in_child");
    cr_assert(r.refused > 0,
              KATA_MSG("compute_in_child never called fork: make a pipe, then fork a child "
                       "that runs the work",
                       "compute_in_child 从没调用 fork：先建一个管道，再 fork 一个运行 work "
                       "的子进程"));
    cr_assert(r.got == -1,
              KATA_MSG("fork failed (EAGAIN), yet compute_in_child returned %zd: when fork "
                       "returns -1 there is no child, so close both ends of the pipe and "
                       "return -1",
                       "fork 失败了（EAGAIN），compute_in_child 却返回了 %zd：fork 返回 -1 时"
                       "并没有子进程，要关掉管道的两端，然后返回 -1",
                       r.got));
    cr_assert(r.pipe_ends >= 2,
              KATA_MSG("compute_in_child called fork before it made its pipe (%d new pipe ends "
                       "were open at the fork): make the pipe first, so that the child "
                       "inherits the end it writes the result into, then fork",
                       "compute_in_child 在建管道之前就调用了 fork（fork 时只有 %d 个新的管道端）："
                       "要先建管道，子进程才能继承它用来写结果的那一端，然后再 fork",
                       r.pipe_ends));
}

/* ---- a result larger than the pipe holds ---------------------------------- */

#define LARGE (1 << 20) /* 16 times what a pipe holds: no single read can return it all */

static uint32_t pattern(size_t i)
{
    return (uint32_t)(i * 2654435761u);
}

static size_t large_work(void *buf, size_t cap)
{
    if (cap < LARGE)
        return 0;
    uint32_t *w = buf;
    for (size_t i = 0; i < LARGE / sizeof *w; i++)
        w[i] = pattern(i);
    return LARGE;
}

struct large_run {
    ssize_t got;
    long first_bad;    /* index of the first wrong word, or -1 */
    int child_sigpipe; /* a child of the helper was killed by SIGPIPE */
};

/* SIGCHLD tells the helper how each of its children ended, whoever reaps
 * it; the kernel delivers it before the reaping waitpid returns to user
 * code, so it is known by the time compute_in_child has reaped the child.
 * SA_RESTART: the learner's read, write and waitpid are not interrupted. */
static volatile sig_atomic_t child_sigpipe;

static void note_child_end(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)ctx;
    if (info->si_code == CLD_KILLED && info->si_status == SIGPIPE)
        child_sigpipe = 1;
}

static void run_large(void *arg, void *out)
{
    (void)arg;
    struct large_run *r = out;
    size_t cap = LARGE + 4096;
    uint32_t *buf = calloc(1, cap);
    if (!buf)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = note_child_end;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    r->got = compute_in_child(large_work, buf, cap);
    r->child_sigpipe = child_sigpipe;
    r->first_bad = -1;
    for (size_t i = 0; i < LARGE / sizeof *buf; i++)
        if (buf[i] != pattern(i)) {
            r->first_bad = (long)i;
            break;
        }
    free(buf);
}

#define EXACT_CAP 64

/* A result of exactly cap bytes: the buffer is full, and nothing more comes. */
static size_t exact_work(void *buf, size_t cap)
{
    memset(buf, 'x', cap);
    return cap;
}

static void run_exact(void *arg, void *out)
{
    (void)arg;
    char buf[EXACT_CAP];
    *(ssize_t *)out = compute_in_child(exact_work, buf, sizeof buf);
}

KATA_TEST(pipe_result, result_that_fills_buf_exactly_arrives)
{
    ssize_t got = -2;
    struct kata_proc p = kata_run_in_child(run_exact, NULL, &got, sizeof got, helper_seconds());
    assert_helper_completed(p, "compute_in_child");
    cr_assert(
        got == EXACT_CAP,
        KATA_MSG("the work filled all %d bytes of buf (a result of exactly cap bytes) and "
                 "compute_in_child returned %zd, not %d: a result of cap bytes fits, only "
                 "more than cap is too much. Mind < against <= where the child checks the "
                 "length, and where the parent, with buf full, tells end of file (read "
                 "returns 0) from one byte more",
                 "work 填满了 buf 的全部 %d 字节（结果恰好 cap 字节），compute_in_child 却返回"
                 "了 %zd，而不是 %d：cap 字节的结果放得下，只有超过 cap 才算太多。子进程检查"
                 "长度的地方，以及父进程在 buf 满了之后分辨文件结束（read 返回 0）和多出一个"
                 "字节的地方，都要注意 < 和 <= 的区别",
                 EXACT_CAP, got, EXACT_CAP));
}

KATA_TEST(pipe_result, large_result_arrives_whole)
{
    struct large_run r = {0, 0, 0};
    struct kata_proc p = kata_run_in_child(run_large, NULL, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "compute_in_child");
    cr_assert(r.got >= 0 || !r.child_sigpipe,
              KATA_MSG("compute_in_child returned %zd for a 1 MiB result, and its child was "
                       "killed by SIGPIPE: the parent closed the read end while the child was "
                       "still writing. A pipe holds only 64 KiB, so one read() returns just a "
                       "part: keep reading until read() returns 0, and only then close the "
                       "read end",
                       "对 1 MiB 的结果，compute_in_child 返回了 %zd，而且它的子进程被 SIGPIPE "
                       "杀掉了：子进程还在写，父进程就关了读端。一个管道只装得下 64 KiB，一次 "
                       "read() 只能读到一部分：要一直读到 read() 返回 0，然后才关读端",
                       r.got));
    cr_assert(r.got >= 0,
              KATA_MSG("compute_in_child returned %zd for a 1 MiB result (16 times what a pipe "
                       "holds) instead of its length: the child writes all of it (write in a "
                       "loop) and ends with _exit(0); the parent reads in a loop until read() "
                       "returns 0, reaps the child and returns how many bytes arrived",
                       "对 1 MiB 的结果（管道容量的 16 倍），compute_in_child 返回了 %zd，"
                       "而不是它的长度：子进程要把它全部写完（循环 write）再以 _exit(0) 结束；"
                       "父进程循环读到 read() 返回 0，回收子进程，返回一共收到了多少字节",
                       r.got));
    cr_assert(r.got == LARGE,
              KATA_MSG("the parent received %zd of the %d bytes the child sent: a pipe holds "
                       "only 64 KiB, so one read() returns just a part of a large result; keep "
                       "reading (at buf + bytes so far) until read() returns 0",
                       "子进程送出 %2$d 字节，父进程只收到了 %1$zd 字节：一个管道只装得下 "
                       "64 KiB，大的结果一次 read() 只能读到一部分；要接着读（读到 buf 加上"
                       "已读字节数的位置），直到 read() 返回 0",
                       r.got, LARGE));
    cr_assert(r.first_bad == -1,
              KATA_MSG("the bytes arrived out of place (first wrong 4-byte word: %ld): each "
                       "read must go on where the previous one stopped",
                       "字节到达的位置不对（第一个出错的 4 字节字：%ld）：每次 read 都要从上一次"
                       "停下的地方接着读",
                       r.first_bad));
}

/* ---- short reads and writes, interrupted ones, the child's end ------------- */

#define MEDIUM 16384 /* fits in a pipe: only the test makes a call move less */
#define READ_CHUNK 512
#define WRITE_CHUNK 1000

static size_t medium_work(void *buf, size_t cap)
{
    if (cap < MEDIUM)
        return 0;
    for (size_t i = 0; i < MEDIUM; i++)
        ((unsigned char *)buf)[i] = (unsigned char)pattern(i);
    return MEDIUM;
}

struct io_run {
    ssize_t got;
    long first_bad; /* index of the first wrong byte, or -1 */
    struct probe_io_seen seen;
    int copies; /* how many times the caller's buffered line was written */
};

static void call_medium(void *out)
{
    struct io_run *r = out;
    unsigned char buf[MEDIUM + 64];
    memset(buf, 0, sizeof buf);
    r->got = compute_in_child(medium_work, buf, sizeof buf);
    r->seen = probe_io_seen();
    probe_io_arm((struct probe_io){0, 0, 0, 0});
    r->first_bad = -1;
    for (size_t i = 0; i < MEDIUM; i++)
        if (buf[i] != (unsigned char)pattern(i)) {
            r->first_bad = (long)i;
            break;
        }
}

static void run_io(void *arg, void *out)
{
    struct io_run *r = out;
    probe_io_arm(*(const struct probe_io *)arg);
    r->copies = count_flushes(call_medium, r);
}

static struct io_run io_run(struct probe_io how)
{
    small(0); /* the plain run works first */
    struct io_run r = {-2, -1, {0, 0, 0, 0, 0}, 0};
    struct kata_proc p = kata_run_in_child(run_io, &how, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "compute_in_child");
    return r;
}

/* The result arrived whole, in its place: `why` says what the test did,
 * `lesson` what the code must do about it. */
static void assert_whole(const struct io_run *r, const char *why, const char *lesson)
{
    cr_assert(r->got == MEDIUM,
              KATA_MSG("%s, and compute_in_child returned %zd for a %d-byte result: %s",
                       "%1$s，compute_in_child 对一个 %3$d 字节的结果返回了 %2$zd：%4$s", why,
                       r->got, MEDIUM, lesson));
    cr_assert(r->first_bad == -1,
              KATA_MSG("%s, and the bytes arrived out of place (first wrong byte: %ld): each "
                       "call must go on where the previous one stopped",
                       "%s，字节到达的位置不对（第一个出错的字节：%ld）：每次调用都要从上一次"
                       "停下的地方接着来",
                       why, r->first_bad));
}

#define SHORT_LESSON                                                                                                                    \
    KATA_TR("a call may move fewer bytes than asked, which is not an error: loop until every "                                          \
            "byte is written, and read until read() returns 0",                                                                         \
            "一次调用可能只搬动比要求少的字节，这不是错误：要循环写到每个字节都写完，一直读到 " \
            "read() 返回 0")
#define EINTR_LESSON(call)                                                                         \
    KATA_TR("EINTR means the call was interrupted before it moved anything, not that it "          \
            "failed: call " call " again (and give up only on other errors)",                      \
            "EINTR 表示调用在搬动任何字节之前被打断了，并不是失败：要再调用一次 " call             \
            "（只有别的错误才放弃）")

/* Every read gave at most READ_CHUNK bytes: fails unless the parent read again. */
static void assert_read_loop(const struct io_run *r)
{
    cr_assert(r->seen.reads > 1,
              KATA_MSG("every read() gave at most %d bytes, and the parent read only once: "
                       "one read() returns what is there, which may be a part; read again at "
                       "buf + bytes so far until read() returns 0",
                       "每次 read() 最多给 %d 字节，父进程却只读了一次：一次 read() 只返回当下有"
                       "的数据，可能只是一部分；要在 buf 加已读字节数的位置接着读，直到 read() "
                       "返回 0",
                       READ_CHUNK));
}

KATA_TEST(pipe_result, short_reads_are_resumed)
{
    struct io_run r = io_run((struct probe_io){READ_CHUNK, 0, 0, 0});
    assert_read_loop(&r);
    assert_whole(&r, KATA_TR("every read() gave at most 512 bytes", "每次 read() 最多给 512 字节"),
                 SHORT_LESSON);
}

KATA_TEST(pipe_result, short_writes_are_resumed)
{
    struct io_run r = io_run((struct probe_io){READ_CHUNK, WRITE_CHUNK, 0, 0});
    assert_read_loop(&r);
    cr_assert(r.got != WRITE_CHUNK,
              KATA_MSG("every write() took at most %d bytes, and the parent, reading to the "
                       "end, got only %zd: the child wrote once. write() returns how many "
                       "bytes it took, maybe fewer than asked: write the rest, in a loop, "
                       "until all are written",
                       "每次 write() 最多接收 %d 字节，父进程一直读到了结尾，也只拿到 %zd 字节："
                       "子进程只写了一次。write() 返回它接收了多少字节，可能比要求的少：要循环"
                       "把剩下的写完",
                       WRITE_CHUNK, r.got));
    assert_whole(&r,
                 KATA_TR("every write() took at most 1000 bytes and every read() gave at "
                         "most 512",
                         "每次 write() 最多接收 1000 字节、每次 read() 最多给 512 字节"),
                 SHORT_LESSON);
}

KATA_TEST(pipe_result, interrupted_read_is_retried)
{
    struct io_run r = io_run((struct probe_io){0, 0, 1, 0});
    assert_whole(&r,
                 KATA_TR("the parent's first read() failed with EINTR (a signal handler "
                         "ran)",
                         "父进程的第一次 read() 以 EINTR 失败了（有信号处理函数运行）"),
                 EINTR_LESSON("read()"));
}

KATA_TEST(pipe_result, interrupted_write_is_retried)
{
    struct io_run r = io_run((struct probe_io){0, 0, 0, 1});
    assert_whole(&r,
                 KATA_TR("the child's first write() failed with EINTR (a signal handler "
                         "ran)",
                         "子进程的第一次 write() 以 EINTR 失败了（有信号处理函数运行）"),
                 EINTR_LESSON("write()"));
}

KATA_TEST(pipe_result, child_ends_with__exit)
{
    struct io_run r = io_run((struct probe_io){0, 0, 0, 0});
    assert_single_flush(r.copies, "compute_in_child");
}

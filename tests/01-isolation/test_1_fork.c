/* Part 1: fork a child, let it end with _exit, reap it with waitpid. */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "support.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(fork_reap);

static const int codes[] = {42, 0, 1, 255};
#define NCODES ((int)(sizeof codes / sizeof codes[0]))

struct status_run {
    int got[NCODES];
    int left[NCODES]; /* child processes each call added and left behind */
};

static void run_statuses(void *arg, void *out)
{
    (void)arg;
    struct status_run *r = out;
    int before = kata_children(getpid(), NULL, 0);
    for (int i = 0; i < NCODES; i++) {
        r->got[i] = child_exit_status(codes[i]);
        int now = kata_children(getpid(), NULL, 0);
        r->left[i] = now > before ? now - before : 0;
        before = now;
    }
}

static struct kata_proc statuses(struct status_run *r)
{
    memset(r, 0, sizeof *r);
    return kata_run_in_child(run_statuses, NULL, r, sizeof *r, helper_seconds());
}

/* Fails unless every call returned a status (not -1). */
static void assert_all_returned(const struct status_run *r)
{
    for (int i = 0; i < NCODES; i++)
        cr_assert(r->got[i] >= 0,
                  KATA_MSG("child_exit_status(%d) returned %d: fork a child and wait for it "
                           "with waitpid before anything else can be checked",
                           "child_exit_status(%d) 返回了 %d：先 fork 出子进程、再用 waitpid "
                           "等它结束，其余的检查才有意义",
                           codes[i], r->got[i]));
}

/* ---- a child made to end with another code ------------------------------ */

/* Returning the argument gives the right number without ever asking the
 * child.  To tell the two apart, the test makes every child forked in this
 * run end at once, inside fork(), with FORCED_CODE (a pthread_atfork child
 * handler): only a parent that takes the number from waitpid's status
 * returns it.  Deterministic: the handler runs in the child before fork()
 * returns there. */
#define ASKED_CODE 42
#define FORCED_CODE 7

struct forced_run {
    int got;
    int forks; /* fork() calls the parent made, counted by the atfork parent handler */
};

static int forks_seen;

static void end_child_at_once(void)
{
    _exit(FORCED_CODE);
}

static void count_fork(void)
{
    forks_seen++;
}

static void run_forced(void *arg, void *out)
{
    (void)arg;
    struct forced_run *r = out;
    forks_seen = 0;
    if (pthread_atfork(NULL, count_fork, end_child_at_once) != 0)
        return;
    r->got = child_exit_status(ASKED_CODE);
    r->forks = forks_seen;
}

KATA_TEST(fork_reap, exit_status_reaches_parent)
{
    struct status_run r;
    struct kata_proc p = statuses(&r);
    assert_helper_completed(p, "child_exit_status");
    for (int i = 0; i < NCODES; i++)
        cr_assert(r.got[i] == codes[i],
                  KATA_MSG("child_exit_status(%d) returned %d: the child should end with "
                           "_exit(%d), and the parent gets that number back from waitpid's "
                           "status with WIFEXITED/WEXITSTATUS",
                           "child_exit_status(%d) 返回了 %d：子进程应当以 _exit(%d) 结束，"
                           "父进程再用 WIFEXITED/WEXITSTATUS 从 waitpid 给的状态里取回这个数",
                           codes[i], r.got[i], codes[i]));

    struct forced_run f = {-1, 0};
    p = kata_run_in_child(run_forced, NULL, &f, sizeof f, helper_seconds());
    assert_helper_completed(p, "child_exit_status");
    cr_assert(f.forks > 0,
              KATA_MSG("child_exit_status(%d) made no child with fork(): use fork()",
                       "child_exit_status(%d) 没有用 fork() 创建子进程：要用 fork()", ASKED_CODE));
    cr_assert(f.got == FORCED_CODE,
              KATA_MSG("child_exit_status(%d) returned %d, but the test made its child end at "
                       "once with _exit(%d): return the code the child really exited with, "
                       "read from waitpid's status (WIFEXITED/WEXITSTATUS), not the argument",
                       "child_exit_status(%d) 返回了 %d，可测试让它的子进程一出生就以 _exit(%d) "
                       "结束了：要返回子进程真正的退出码，从 waitpid 的状态里读"
                       "（WIFEXITED/WEXITSTATUS），而不是把参数原样返回",
                       ASKED_CODE, f.got, FORCED_CODE));
}

KATA_TEST(fork_reap, child_is_reaped)
{
    struct status_run r;
    struct kata_proc p = statuses(&r);
    assert_helper_completed(p, "child_exit_status");
    assert_all_returned(&r);
    for (int i = 0; i < NCODES; i++)
        cr_assert(r.left[i] == 0,
                  KATA_MSG("child_exit_status(%d) returned but its child was never reaped: "
                           "once it ends, it stays a zombie until waitpid collects it; wait "
                           "for the child before returning",
                           "child_exit_status(%d) 返回了，但它的子进程从没被回收：子进程结束后"
                           "会一直是僵尸进程，直到 waitpid 把它收走；返回之前要等子进程",
                           codes[i]));
}

KATA_TEST(fork_reap, child_ends_with__exit_without_returning)
{
    struct status_run r;
    struct kata_proc p = statuses(&r);
    assert_helper_completed(p, "child_exit_status"); /* its first check: no child escaped */
    assert_all_returned(&r);
}

/* ---- exit() in a child flushes the parent's buffered output again -------- */

#define MARK "<unflushed line of the caller>"

struct flush_run {
    int status;
    int copies; /* how many times MARK reached the pipe */
};

static int count_marks(const char *text)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, MARK)) != NULL; p += strlen(MARK))
        n++;
    return n;
}

static void run_with_pending_output(void *arg, void *out)
{
    (void)arg;
    struct flush_run *r = out;
    int fds[2];
    if (pipe(fds) != 0)
        return;
    FILE *f = fdopen(fds[1], "w");
    if (!f)
        return;
    /* Text in a stdio buffer, not yet written: fork copies it into the child. */
    setvbuf(f, NULL, _IOFBF, 4096);
    fputs(MARK, f);
    r->status = child_exit_status(3);
    fclose(f);
    char text[1024];
    size_t len = 0;
    ssize_t n;
    fcntl(fds[0], F_SETFL, O_NONBLOCK); /* never wait for a child that still holds the pipe */
    while (len < sizeof text - 1 && (n = read(fds[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    close(fds[0]);
    r->copies = count_marks(text);
}

KATA_TEST(fork_reap, child_does_not_flush_callers_stdio)
{
    struct flush_run r = {-1, 0};
    struct kata_proc p =
        kata_run_in_child(run_with_pending_output, NULL, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "child_exit_status");
    cr_assert(r.status == 3, KATA_MSG("child_exit_status(3) returned %d: make "
                                      "fork_reap::exit_status_reaches_parent pass first",
                                      "child_exit_status(3) 返回了 %d：先让 "
                                      "fork_reap::exit_status_reaches_parent 通过",
                                      r.status));
    cr_assert(r.copies == 1,
              KATA_MSG("output the caller had buffered with stdio (printf, fputs) but not yet "
                       "written came out %d times instead of once: the child got a copy of "
                       "that buffer at fork, and exit() flushes it; a child must end with "
                       "_exit(), which writes nothing",
                       "调用者用 stdio（printf、fputs）缓冲着、还没写出去的输出出现了 %d 次，"
                       "而不是 1 次：fork 时子进程拿到了这块缓冲区的副本，exit() 又把它冲刷了"
                       "出去；子进程必须用 _exit() 结束，它什么都不写",
                       r.copies));
}

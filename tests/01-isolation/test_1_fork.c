/* Part 1: fork a child, let it end with _exit, reap it with waitpid. */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "probes.h"
#include "support.h"

#include <pthread.h>
#include <signal.h>
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

struct flush_run {
    int status;
    int copies; /* how many times the buffered line reached its pipe */
};

static void call_child_exit_status(void *out)
{
    ((struct flush_run *)out)->status = child_exit_status(3);
}

static void run_with_pending_output(void *arg, void *out)
{
    (void)arg;
    struct flush_run *r = out;
    r->copies = count_flushes(call_child_exit_status, r);
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
    assert_single_flush(r.copies, "child_exit_status(3)");
}

/* ---- fork fails, the child dies from a signal, the wait is interrupted ---- */

struct odd_run {
    int normal; /* child_exit_status(ASKED_CODE) with nothing odd */
    int got;
    int refused;     /* forks the wrapper made fail */
    int interrupted; /* waits the wrapper made fail with EINTR */
};

static void run_odd(void *arg, void *out)
{
    struct odd_run *r = out;
    int how = *(const int *)arg;
    r->normal = child_exit_status(ASKED_CODE);
    if (how == 0)
        probe_fork_fail_after(0);
    else if (how == 1)
        probe_fork_kill_child(0, SIGKILL);
    else
        probe_wait_interrupt(1);
    r->got = child_exit_status(ASKED_CODE);
    probe_fork_fail_after(-1);
    r->refused = probe_forks_refused();
    r->interrupted = probe_waits_interrupted();
}

static struct odd_run odd(int how)
{
    struct odd_run r = {-2, -2, 0, 0};
    struct kata_proc p = kata_run_in_child(run_odd, &how, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "child_exit_status");
    cr_assert(r.normal == ASKED_CODE, KATA_MSG("child_exit_status(%d) returned %d: make "
                                               "fork_reap::exit_status_reaches_parent pass first",
                                               "child_exit_status(%d) 返回了 %d：先让 "
                                               "fork_reap::exit_status_reaches_parent 通过",
                                               ASKED_CODE, r.normal));
    return r;
}

KATA_TEST(fork_reap, failed_fork_gives_minus_one)
{
    struct odd_run r = odd(0);
    cr_assert(r.refused > 0, KATA_MSG("child_exit_status never called fork: use fork()",
                                      "child_exit_status 从没调用 fork：要用 fork()"));
    cr_assert(r.got == -1,
              KATA_MSG("fork failed (EAGAIN: too many processes), yet child_exit_status "
                       "returned %d: when fork returns -1 there is no child to wait for; "
                       "return -1",
                       "fork 失败了（EAGAIN：进程太多），child_exit_status 却返回了 %d："
                       "fork 返回 -1 时并没有子进程可等；要返回 -1",
                       r.got));
}

KATA_TEST(fork_reap, child_killed_by_a_signal_gives_minus_one)
{
    struct odd_run r = odd(1);
    cr_assert(r.got == -1,
              KATA_MSG("the test killed the child with SIGKILL before it could exit, yet "
                       "child_exit_status returned %d: WEXITSTATUS means something only when "
                       "WIFEXITED(status) is true; a child that a signal ended did not exit "
                       "normally, so return -1",
                       "测试在子进程退出之前用 SIGKILL 杀掉了它，child_exit_status 却返回了 %d："
                       "只有 WIFEXITED(status) 为真时 WEXITSTATUS 才有意义；被信号结束的子进程"
                       "没有正常退出，所以要返回 -1",
                       r.got));
}

KATA_TEST(fork_reap, interrupted_waitpid_is_retried)
{
    struct odd_run r = odd(2);
    cr_assert(r.interrupted > 0,
              KATA_MSG("child_exit_status(%d) never waited with waitpid (or wait): wait for "
                       "the child and read its status",
                       "child_exit_status(%d) 从没用 waitpid（或 wait）等子进程：要等子进程结束，"
                       "再读它的状态",
                       ASKED_CODE));
    cr_assert(r.got == ASKED_CODE,
              KATA_MSG("waitpid failed once with EINTR (a signal handler ran while it waited) "
                       "and child_exit_status(%d) returned %d: EINTR means the wait was "
                       "interrupted, not that it failed, and the child is still there; call "
                       "waitpid again while it fails with EINTR",
                       "waitpid 有一次以 EINTR 失败（等待期间有信号处理函数运行了），"
                       "child_exit_status(%d) 就返回了 %d：EINTR 表示等待被打断了，不是失败，"
                       "子进程还在；只要 waitpid 以 EINTR 失败，就再调用一次",
                       ASKED_CODE, r.got));
}

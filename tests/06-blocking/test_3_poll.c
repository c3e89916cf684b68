/* 06-blocking, part 3: poll over several descriptors, with a timeout.
 *
 * The student's code runs on the virtual clock (probes.h): poll() returns
 * when a scripted write, close or signal happens, or when its timeout has
 * passed on that clock, so "it returned at 100 ms" is exact and instant. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <unistd.h>

KATA_SUITE(poll);

#define N 3

struct call {
    int fds[N];
    int timeout_ms;
    int ready[N];
    int ret;
    int err;
};

static void call_wait(void *p)
{
    struct call *c = p;
    c->ret = blk_wait_readable(c->fds, N, c->timeout_ms, c->ready);
    c->err = errno;
}

static int pipes[N][2];

/* N pipes; the call watches their read ends.  ready[] starts at -1. */
static struct call setup(int timeout_ms)
{
    struct call c = {.timeout_ms = timeout_ms, .ret = -2};
    for (int i = 0; i < N; i++) {
        probe_pipe(pipes[i]);
        c.fds[i] = pipes[i][0];
        c.ready[i] = -1;
    }
    return c;
}

static long run(struct call *c)
{
    struct probe_outcome o = probe_run(call_wait, c);
    struct probe_stats s;
    probe_stats(&s);
    cr_assert(s.other_clock == -1,
              KATA_MSG("blk_wait_readable read clock %d: measure the time left with "
                       "clock_gettime(CLOCK_MONOTONIC, ...), the clock that never jumps",
                       "blk_wait_readable 读了时钟 %d：剩下的时间要用 "
                       "clock_gettime(CLOCK_MONOTONIC, ...) 来量，这个时钟从不跳变",
                       (int)s.other_clock));
    cr_assert(o.returned, KATA_MSG("blk_wait_readable did not return: %s",
                                   "blk_wait_readable 没有返回：%s", probe_outcome_words(&o)));
    cr_assert(
        c->ret >= 0,
        KATA_MSG("blk_wait_readable returned %d (errno %s): %s",
                 "blk_wait_readable 返回了 %d（errno %s）：%s", c->ret, probe_errno_name(c->err),
                 c->err == EINTR ? KATA_TR("EINTR only says that a signal handler ran while "
                                           "poll slept; nothing is wrong with the descriptors, "
                                           "so poll again, for the time that is left",
                                           "EINTR 只是说 poll 睡着时有个信号处理函数运行了；"
                                           "描述符没出任何问题，所以再 poll 一次，用剩下的时间")
                                 : KATA_TR("build one struct pollfd per descriptor (events = "
                                           "POLLIN) and call poll() once for all of them",
                                           "为每个描述符准备一个 struct pollfd（events = "
                                           "POLLIN），对它们只调用一次 poll()")));
    return o.at_ms;
}

static void expect_ready(const struct call *c, int r0, int r1, int r2, const char *why)
{
    int want[N] = {r0, r1, r2};
    int count = r0 + r1 + r2;
    cr_assert(c->ret == count && c->ready[0] == r0 && c->ready[1] == r1 && c->ready[2] == r2,
              KATA_MSG("blk_wait_readable returned %d with ready = {%d, %d, %d}, not %d with {%d, "
                       "%d, %d}: %s",
                       "blk_wait_readable 返回了 %d，ready = {%d, %d, %d}，而不是 %d 和 {%d, %d, "
                       "%d}：%s",
                       c->ret, c->ready[0], c->ready[1], c->ready[2], count, want[0], want[1],
                       want[2], why));
}

KATA_TEST(poll, reports_which_descriptors_are_ready)
{
    struct call c = setup(1000);
    cr_assert(write(pipes[0][1], "x", 1) == 1 && write(pipes[2][1], "y", 1) == 1);
    long at = run(&c);
    expect_ready(&c, 1, 0, 1,
                 KATA_TR("pipes 0 and 2 hold data and pipe 1 is empty: set ready[i] from the "
                         "revents poll filled in for each descriptor, and return how many are "
                         "ready",
                         "管道 0 和 2 有数据，管道 1 是空的：按 poll 为每个描述符填好的 revents "
                         "设置 ready[i]，并返回就绪的个数"));
    cr_assert(at == 0, KATA_MSG("data was there from the start, and blk_wait_readable returned at "
                                "%ld ms: poll returns at once when a descriptor is ready",
                                "数据一开始就在，blk_wait_readable 却在 %ld ms 才返回：有描述符就绪"
                                "时 poll 会立刻返回",
                                at));
}

KATA_TEST(poll, one_poll_watches_every_descriptor)
{
    struct call c = setup(1000);
    probe_at_write(40, pipes[2][1], "late");
    long at = run(&c);
    struct probe_stats s;
    probe_stats(&s);
    cr_assert(
        s.polls >= 1 && s.poll_nfds[0] == N,
        KATA_MSG("the first poll() watched %d descriptor(s), not all %d: put them all in one "
                 "array of struct pollfd, so that the thread sleeps until any of them is "
                 "ready; one descriptor at a time, each with the whole timeout, waits for the "
                 "quiet ones while the busy one is left waiting",
                 "第一次 poll() 只看了 %d 个描述符，而不是全部 %d 个：把它们都放进同一个 "
                 "struct pollfd 数组，线程就会睡到其中任何一个就绪为止；一次只看一个、每个都"
                 "给足整个超时，就会在安静的描述符上干等，而有数据的那个却没人理",
                 s.polls >= 1 ? s.poll_nfds[0] : 0, N));
    expect_ready(
        &c, 0, 0, 1,
        KATA_TR("only pipe 2 was written to, at 40 ms", "只有管道 2 在 40 ms 时被写入了数据"));
    cr_assert(at == 40,
              KATA_MSG("pipe 2 got data at 40 ms, and blk_wait_readable returned at %ld "
                       "ms: one poll over all the descriptors wakes as soon as any one is "
                       "ready",
                       "管道 2 在 40 ms 时来了数据，blk_wait_readable 却在 %ld ms 才返回："
                       "对所有描述符做一次 poll，任何一个就绪就会醒来",
                       at));
}

KATA_TEST(poll, times_out_when_nothing_comes)
{
    struct call c = setup(250);
    long at = run(&c);
    expect_ready(&c, 0, 0, 0,
                 KATA_TR("nothing was written: when the time runs out, poll returns 0 and "
                         "every ready[i] is 0",
                         "什么都没写：时间到了 poll 返回 0，每个 ready[i] 都是 0"));
    cr_assert(at == 250, KATA_MSG("with a timeout of 250 ms and nothing to read, blk_wait_readable "
                                  "returned at %ld ms, not 250 ms: give poll the timeout, and it "
                                  "sleeps that long when nothing comes",
                                  "超时 250 ms、什么都没得读，blk_wait_readable 却在 %ld ms 返回，"
                                  "而不是 250 ms：把超时交给 poll，什么都不来时它就睡那么久",
                                  at));
}

KATA_TEST(poll, zero_timeout_only_looks)
{
    struct call c = setup(0);
    probe_at_write(10, pipes[1][1], "later");
    long at = run(&c);
    expect_ready(&c, 0, 0, 0,
                 KATA_TR("a timeout of 0 means: look, do not wait (the write at 10 ms comes "
                         "too late)",
                         "超时为 0 的意思是：看一眼，不等待（10 ms 时的写入来得太晚了）"));
    cr_assert(at == 0,
              KATA_MSG("with a timeout of 0, blk_wait_readable returned at %ld ms: 0 "
                       "means do not wait at all",
                       "超时为 0，blk_wait_readable 却在 %ld ms 返回：0 表示完全不等", at));
}

KATA_TEST(poll, negative_timeout_waits_without_limit)
{
    struct call c = setup(-1);
    probe_at_write(5000, pipes[1][1], "at last");
    long at = run(&c);
    expect_ready(&c, 0, 1, 0,
                 KATA_TR("pipe 1 got data at 5000 ms, and -1 means wait for as long as it "
                         "takes",
                         "管道 1 在 5000 ms 时来了数据，而 -1 表示要等多久就等多久"));
    cr_assert(at == 5000, KATA_MSG("blk_wait_readable returned at %ld ms, not at 5000 ms when the "
                                   "data came",
                                   "blk_wait_readable 在 %ld ms 返回，而不是数据到来的 "
                                   "5000 ms",
                                   at));
}

KATA_TEST(poll, a_closed_pipe_counts_as_readable)
{
    struct call c = setup(1000);
    close(pipes[1][1]); /* its only writer is gone */
    long at = run(&c);
    struct probe_stats s;
    probe_stats(&s);
    expect_ready(&c, 0, 1, 0,
                 KATA_TR("every writer of pipe 1 has closed it, so poll reports POLLHUP for it "
                         "(without POLLIN: no data). It is readable all the same: read() will "
                         "return 0 at once, end of file, and the caller must read it to learn "
                         "that. Count POLLHUP and POLLERR as ready, not only POLLIN",
                         "管道 1 的所有写者都关闭了它，所以 poll 对它报告 POLLHUP（没有 POLLIN："
                         "没有数据）。它照样算可读：read() 会立刻返回 0，即文件结束，调用者得去"
                         "读一下才能知道。POLLHUP 和 POLLERR 也要算就绪，不能只看 POLLIN"));
    cr_assert(at == 0, KATA_MSG("blk_wait_readable returned at %ld ms: a closed pipe is ready at "
                                "once",
                                "blk_wait_readable 在 %ld ms 返回：关闭的管道立刻就绪", at));
}

KATA_TEST(poll, a_signal_does_not_end_the_wait)
{
    struct call c = setup(100);
    probe_at_signal(30);
    probe_at_write(50, pipes[0][1], "x");
    long at = run(&c);
    expect_ready(&c, 1, 0, 0,
                 KATA_TR("a signal interrupted poll at 30 ms (EINTR), and pipe 0 got data at "
                         "50 ms: after EINTR, poll again",
                         "30 ms 时一个信号打断了 poll（EINTR），管道 0 在 50 ms 时来了数据："
                         "遇到 EINTR 就再 poll 一次"));
    cr_assert(at == 50, KATA_MSG("blk_wait_readable returned at %ld ms, not at 50 ms when the data "
                                 "came",
                                 "blk_wait_readable 在 %ld ms 返回，而不是数据到来的 50 ms", at));
}

KATA_TEST(poll, after_a_signal_waits_only_for_the_time_left)
{
    struct call c = setup(100);
    probe_at_signal(30);
    long at = run(&c);
    struct probe_stats s;
    probe_stats(&s);
    expect_ready(
        &c, 0, 0, 0,
        KATA_TR("nothing was written: the call times out", "什么都没写：这次调用应当超时"));
    cr_assert(at == 100,
              KATA_MSG("with a timeout of 100 ms, a signal at 30 ms and nothing to read, "
                       "blk_wait_readable returned at %ld ms (its second poll was given "
                       "%d ms): after an early wake-up, poll again only for what is left "
                       "(here 70 ms). Note the end time (CLOCK_MONOTONIC) before the "
                       "first poll, and give each later poll end - now",
                       "超时 100 ms、30 ms 时来了一个信号、什么都没得读，"
                       "blk_wait_readable 却在 %ld ms 返回（第二次 poll 给的是 %d ms）："
                       "提前醒来之后，再 poll 只能用剩下的时间（这里是 70 ms）。第一次 poll "
                       "之前记下截止时刻（CLOCK_MONOTONIC），之后每次 poll 都给它“截止时刻"
                       "减现在”",
                       at, s.polls >= 2 ? s.poll_timeout[1] : -1));
}

KATA_TEST(poll, a_poll_that_fails_is_an_error)
{
    struct call c = setup(1000);
    probe_fail_polls(1, ENOMEM);
    struct probe_outcome o = probe_run(call_wait, &c);
    cr_assert(o.returned, KATA_MSG("blk_wait_readable did not return: %s",
                                   "blk_wait_readable 没有返回：%s", probe_outcome_words(&o)));
    cr_assert(
        c.ret == -1 && c.err == ENOMEM,
        KATA_MSG("poll failed with ENOMEM, and blk_wait_readable returned %d (errno %s), "
                 "not -1 with errno ENOMEM: when poll returns -1 (other than EINTR), the "
                 "revents it left say nothing, and 0 would tell the caller the time ran "
                 "out; return -1",
                 "poll 以 ENOMEM 失败，blk_wait_readable 却返回了 %d（errno %s），而不是 -1 且 "
                 "errno 为 ENOMEM：poll 返回 -1（EINTR 之外）时，它留下的 revents 什么也说明不了，"
                 "返回 0 会让调用者以为时间到了；应返回 -1",
                 c.ret, probe_errno_name(c.err)));
}

struct many {
    int fds[BLK_MAX_FDS + 1], wfds[BLK_MAX_FDS + 1];
    int n;
    int ready[BLK_MAX_FDS + 1];
    int ret;
    int err;
};

static void call_many(void *p)
{
    struct many *m = p;
    errno = 0;
    m->ret = blk_wait_readable(m->fds, m->n, 0, m->ready);
    m->err = errno;
}

/* n pipes (more than the hygiene check's allowance: closed by the test); the
 * last one holds a byte. */
static void many_pipes(struct many *m, int n)
{
    *m = (struct many){.n = n, .ret = -2};
    for (int i = 0; i < n; i++) {
        int q[2];
        cr_assert(pipe(q) == 0, "the test could not make a pipe");
        m->fds[i] = q[0];
        m->wfds[i] = q[1];
        m->ready[i] = -1;
    }
    if (n > 0)
        cr_assert(write(m->wfds[n - 1], "x", 1) == 1, "the test could not write to its pipe");
}

static void close_pipes(struct many *m)
{
    for (int i = 0; i < m->n; i++) {
        close(m->fds[i]);
        close(m->wfds[i]);
    }
}

KATA_TEST(poll, watches_from_none_to_blk_max_fds_descriptors)
{
    struct many none, full;
    many_pipes(&none, 0);
    probe_run(call_many, &none);
    many_pipes(&full, BLK_MAX_FDS);
    probe_run(call_many, &full);
    close_pipes(&full);
    cr_assert(none.ret == 0 && full.ret == 1 && full.ready[BLK_MAX_FDS - 1] == 1,
              KATA_MSG("with no descriptor blk_wait_readable returned %d (errno %s), and with "
                       "BLK_MAX_FDS (%d) descriptors, the last one readable, %d (errno %s): any "
                       "n from 0 to BLK_MAX_FDS is a valid call (0 descriptors: nothing is "
                       "ready, 0), and only more than BLK_MAX_FDS is refused: mind < against "
                       "<= in the check of n",
                       "没有描述符时 blk_wait_readable 返回了 %d（errno %s），有 BLK_MAX_FDS（%d）"
                       "个描述符、最后一个可读时返回了 %d（errno %s）：n 从 0 到 BLK_MAX_FDS "
                       "都是合法的调用（0 个描述符：什么都没就绪，返回 0），只有超过 BLK_MAX_FDS "
                       "才拒绝：检查 n 时注意 < 和 <= 的区别",
                       none.ret, probe_errno_name(none.err), BLK_MAX_FDS, full.ret,
                       probe_errno_name(full.err)));
}

KATA_TEST(poll, more_than_blk_max_fds_is_refused)
{
    struct many m;
    many_pipes(&m, BLK_MAX_FDS + 1);
    probe_run(call_many, &m);
    close_pipes(&m);
    cr_assert(m.ret == -1 && m.err == EINVAL,
              KATA_MSG("blk_wait_readable was given BLK_MAX_FDS + 1 (%d) descriptors and returned "
                       "%d (errno %s), not -1 with errno EINVAL: its struct pollfd array has room "
                       "for BLK_MAX_FDS only; refuse more, and set errno, since the caller reads "
                       "it to learn why",
                       "blk_wait_readable 收到 BLK_MAX_FDS + 1（%d）个描述符，返回了 %d（errno "
                       "%s），而不是 -1 且 errno 为 EINVAL：它的 struct pollfd 数组只放得下 "
                       "BLK_MAX_FDS 个；多了就拒绝，并设好 errno，调用者要靠它知道原因",
                       BLK_MAX_FDS + 1, m.ret, probe_errno_name(m.err)));
}

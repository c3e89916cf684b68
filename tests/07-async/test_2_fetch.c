/* 07-async, part 2: three slow sources read one after another, then all at
 * once on the loop.  Source i answers probe_sources[i].delay ms after it is
 * opened, in two pieces 10 ms apart, then ends (300, 100 and 200 ms). */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(fetch);

static const char *want[PROBE_SOURCES] = {"alpha:slow", "beta:quick", "gamma:middle"};

static void expect_answers(const char *how, int r, const struct async_answer a[])
{
    cr_assert(r == 0,
              KATA_MSG("%s returned %d, not 0: open each source, read until read returns "
                       "0 (the end), close it, and return 0",
                       "%s 返回了 %d，而不是 0：打开每个来源，一直读到 read 返回 0（结束），"
                       "关闭它，然后返回 0",
                       how, r));
    for (int i = 0; i < PROBE_SOURCES; i++)
        cr_assert(
            a[i].len == strlen(want[i]) && memcmp(a[i].data, want[i], a[i].len) == 0,
            KATA_MSG("%s: answer %d is \"%.*s\" (%zu bytes), not \"%s\": an answer comes in "
                     "pieces; keep every piece, in order, until read returns 0",
                     "%s：第 %d 个回答是 \"%.*s\"（%zu 字节），而不是 \"%s\"：回答是分几段到达的；"
                     "每一段都要按顺序留下，直到 read 返回 0",
                     how, i, (int)(a[i].len < ASYNC_ANSWER_MAX ? a[i].len : 0), a[i].data, a[i].len,
                     want[i]));
}

KATA_TEST(fetch, sync_reads_every_answer)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    memset(a, 0, sizeof a);
    int r = fetch_sync(PROBE_SOURCES, probe_open, NULL, a);
    expect_answers("fetch_sync", r, a);
}

KATA_TEST(fetch, sync_waits_for_each_answer_before_the_next_request)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    int r = fetch_sync(PROBE_SOURCES, probe_open, NULL, a);
    cr_assert(r == 0,
              KATA_MSG("fetch_sync returned %d, not 0", "fetch_sync 返回了 %d，而不是 0", r));
    long at = 0;
    for (int i = 0; i < PROBE_SOURCES; i++) {
        struct probe_opened o = probe_opened(i);
        cr_assert(o.opened == 1 && o.at == at,
                  KATA_MSG("source %d was opened %d time(s), at %ld ms; synchronous means one "
                           "request at a time: open it once, when the answer before it is "
                           "complete, at %ld ms",
                           "来源 %d 被打开了 %d 次，在 %ld 毫秒；同步就是一次只发一个请求："
                           "它只打开一次，而且要等前一个回答完整之后，也就是 %ld 毫秒时",
                           i, o.opened, o.at, at));
        at += probe_sources[i].delay + probe_sources[i].gap;
    }
    cr_assert(
        probe_elapsed() == at,
        KATA_MSG("fetch_sync took %ld ms; one after another the times add up: 310 + 110 + "
                 "210 = %ld ms",
                 "fetch_sync 用了 %ld 毫秒；一个接一个，时间是累加的：310 + 110 + 210 = %ld 毫秒",
                 probe_elapsed(), at));
}

KATA_TEST(fetch, sync_closes_a_source_whose_read_fails)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    memset(a, 0, sizeof a);
    /* The harness also fails the test if the broken source's descriptor stays open. */
    int r = fetch_sync(PROBE_SOURCES, probe_open_broken, NULL, a);
    cr_assert(probe_broken_reads() > 0,
              KATA_MSG("fetch_sync never read source %d: open each source in turn and read "
                       "it until the pipe ends",
                       "fetch_sync 从没读过来源 %d：要依次打开每个来源，一直读到管道结束",
                       PROBE_BROKEN_SOURCE));
    cr_assert(r == -1,
              KATA_MSG("reading source %d failed (EIO), yet fetch_sync returned %d: a read that "
                       "fails is an error; close the source and return -1",
                       "读来源 %d 失败了（EIO），fetch_sync 却返回了 %d：read 失败就是出错了；"
                       "关掉这个来源，然后返回 -1",
                       PROBE_BROKEN_SOURCE, r));
}

KATA_TEST(fetch, async_reads_every_answer)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    memset(a, 0, sizeof a);
    int r = fetch_async(PROBE_SOURCES, probe_open, NULL, a);
    expect_answers("fetch_async", r, a);
}

KATA_TEST(fetch, async_sends_every_request_at_once)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    int r = fetch_async(PROBE_SOURCES, probe_open, NULL, a);
    cr_assert(r == 0,
              KATA_MSG("fetch_async returned %d, not 0", "fetch_async 返回了 %d，而不是 0", r));
    for (int i = 0; i < PROBE_SOURCES; i++) {
        struct probe_opened o = probe_opened(i);
        cr_assert(o.opened == 1 && o.at == 0,
                  KATA_MSG("source %d was opened %d time(s), at %ld ms, not once at 0 ms: "
                           "asynchronous means the caller does not wait for an answer before it "
                           "sends the next request; each task opens its source as soon as it "
                           "starts",
                           "来源 %d 被打开了 %d 次，在 %ld 毫秒，而不是在 0 毫秒打开一次："
                           "异步就是不等上一个回答就发出下一个请求；每个任务一开始就打开自己的来源",
                           i, o.opened, o.at));
    }
}

KATA_TEST(fetch, async_takes_as_long_as_the_slowest_source)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    int r = fetch_async(PROBE_SOURCES, probe_open, NULL, a);
    cr_assert(r == 0,
              KATA_MSG("fetch_async returned %d, not 0", "fetch_async 返回了 %d，而不是 0", r));
    struct probe_stats st = probe_stats();
    cr_assert(st.blocked_reads_in_task == 0,
              KATA_MSG("a task's read had to wait for data %d time(s): a blocking read stops the "
                       "whole thread, so the other tasks stood still meanwhile. Read once each "
                       "time the loop says the pipe is readable (async_await_readable first): "
                       "a second read in a row may have nothing to return yet",
                       "任务的 read 有 %d 次不得不等数据：阻塞的 read 会让整个线程停下，"
                       "其他任务也就都停了。每次事件循环说管道可读时（先 async_await_readable）"
                       "只读一次：紧接着的第二次 read 可能还没有数据可读",
                       st.blocked_reads_in_task));
    cr_assert(probe_elapsed() == 310,
              KATA_MSG("fetch_async took %ld ms; with all three requests out at once, it should "
                       "take as long as the slowest source, 310 ms, not the sum (630 ms)",
                       "fetch_async 用了 %ld 毫秒；三个请求同时发出，总时间应该等于最慢的来源，"
                       "310 毫秒，而不是总和（630 毫秒）",
                       probe_elapsed()));
}

KATA_TEST(fetch, async_waits_for_every_source_in_one_poll)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    int r = fetch_async(PROBE_SOURCES, probe_open, NULL, a);
    cr_assert(r == 0,
              KATA_MSG("fetch_async returned %d, not 0", "fetch_async 返回了 %d，而不是 0", r));
    int together = 0;
    struct probe_stats st = probe_stats();
    for (int i = 0; i < st.polls && i < PROBE_MAX_POLLS; i++) {
        int n = 0;
        for (int k = 0; k < PROBE_SOURCES; k++)
            n += probe_poll_watched(i, probe_opened(k).fd);
        if (n == PROBE_SOURCES)
            together = 1;
    }
    cr_assert(
        together, "%s",
        KATA_TR("no poll call watched the three sources together: while the three tasks wait, the "
                "loop waits for all of them in one poll, and wakes whichever is ready first",
                "没有一次 poll 同时监视这三个来源：三个任务都在等的时候，事件循环要在一次 poll 里"
                "同时等它们，谁先就绪就唤醒谁"));
    cr_assert(st.spins == 0 && st.busy == 0,
              KATA_MSG("the loop spun (%d empty poll(timeout 0) with nothing to run): when no "
                       "task is ready, poll waits (timeout -1 when no timer is set)",
                       "事件循环在空转（%d 次 poll(超时为 0) 什么也没等到，也没有任务可运行）："
                       "没有就绪任务时 poll 要等待（没有定时器时超时为 -1）",
                       st.spins + st.busy));
    cr_assert(
        st.early_polls == 0,
        KATA_MSG("the loop called poll %d time(s) with timeout %d ms (the first at %ld ms) "
                 "although no timer was set: while the tasks wait only for descriptors, "
                 "nothing is due at any time, so a finite timeout only wakes the loop to "
                 "find nothing. With no timer, poll's timeout is -1: poll returns when one "
                 "of the descriptors is ready",
                 "事件循环有 %d 次以超时 %d 毫秒调用 poll（第一次在 %ld 毫秒），可是并没有设置"
                 "任何定时器：任务们只在等描述符时，没有什么东西会在某个时刻到期，有限的超时只会"
                 "让事件循环醒来扑个空。没有定时器时 poll 的超时是 -1：某个描述符就绪时 poll "
                 "就会返回",
                 st.early_polls, st.early_timeout, st.early_at));
}

/* ---- what goes wrong on the way: signals, failures, limits ---- */

KATA_TEST(fetch, sync_reads_again_after_a_signal)
{
    probe_virtual_start();
    probe_interrupt_reads(2); /* the first two reads: EINTR */
    struct async_answer a[PROBE_SOURCES];
    memset(a, 0, sizeof a);
    int r = fetch_sync(PROBE_SOURCES, probe_open, NULL, a);
    expect_answers(KATA_TR("fetch_sync (its first two reads failed with EINTR: a signal came)",
                           "fetch_sync（它的头两次 read 以 EINTR 失败：来了一个信号）"),
                   r, a);
}

KATA_TEST(fetch, async_reads_again_after_a_signal)
{
    probe_virtual_start();
    probe_interrupt_reads(2);
    struct async_answer a[PROBE_SOURCES];
    memset(a, 0, sizeof a);
    int r = fetch_async(PROBE_SOURCES, probe_open, NULL, a);
    expect_answers(KATA_TR("fetch_async (its first two reads failed with EINTR: a signal came; "
                           "like EAGAIN, that is no error: wait and read again)",
                           "fetch_async（它的头两次 read 以 EINTR 失败：来了一个信号；和 EAGAIN "
                           "一样，这不是错误：等一等再读）"),
                   r, a);
}

/* fetch_async really sent the requests: sources 0 and 2 were opened. */
static void expect_requests_sent(void)
{
    cr_assert(probe_opened(0).opened == 1 && probe_opened(2).opened == 1,
              KATA_MSG("fetch_async opened source 0 %d time(s) and source 2 %d time(s), not once "
                       "each: start one task per source, and let each task open its source",
                       "fetch_async 打开来源 0 %d 次、来源 2 %d 次，而不是各一次：每个来源启动一个"
                       "任务，由每个任务打开自己的来源",
                       probe_opened(0).opened, probe_opened(2).opened));
}

/* Like probe_open, but source 1 cannot be opened. */
static int open_all_but_one(int index, void *arg)
{
    return index == 1 ? -1 : probe_open(index, arg);
}

KATA_TEST(fetch, async_reports_a_source_that_cannot_be_opened)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    int r = fetch_async(PROBE_SOURCES, open_all_but_one, NULL, a);
    expect_requests_sent();
    cr_assert(r == -1,
              KATA_MSG("source 1 could not be opened (open returned -1), yet fetch_async returned "
                       "%d: a task whose open fails must leave a mark the caller sees, and "
                       "fetch_async then returns -1",
                       "来源 1 打不开（open 返回了 -1），fetch_async 却返回了 %d：open 失败的任务"
                       "必须留下调用者看得见的标记，fetch_async 这时返回 -1",
                       r));
}

/* Like probe_open, but source 1 is a directory: poll says it is readable, and
 * read fails (EISDIR). */
static int open_a_directory(int index, void *arg)
{
    return index == 1 ? open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : probe_open(index, arg);
}

KATA_TEST(fetch, async_reports_a_read_that_fails)
{
    probe_virtual_start();
    struct async_answer a[PROBE_SOURCES];
    int r = fetch_async(PROBE_SOURCES, open_a_directory, NULL, a);
    expect_requests_sent();
    cr_assert(r == -1,
              KATA_MSG("reading source 1 failed (EISDIR), yet fetch_async returned %d: only EINTR "
                       "and EAGAIN mean \"read again\"; any other failed read is an error of "
                       "that task, and fetch_async returns -1",
                       "读来源 1 失败了（EISDIR），fetch_async 却返回了 %d：只有 EINTR 和 EAGAIN "
                       "表示“再读一次”；其他失败的 read 都是这个任务出错了，fetch_async 返回 -1",
                       r));
}

KATA_TEST(fetch, async_reports_a_loop_that_fails)
{
    probe_virtual_start();
    probe_fail_next_wait(ENOMEM);
    struct async_answer a[PROBE_SOURCES];
    int r = fetch_async(PROBE_SOURCES, probe_open, NULL, a);
    for (int i = 0; i < PROBE_SOURCES; i++)
        close(probe_opened(i).fd); /* the tasks that never ended still held them */
    expect_requests_sent();
    cr_assert(r == -1,
              KATA_MSG("the loop's poll failed (ENOMEM), so async_run could not finish the "
                       "fetches, yet fetch_async returned %d: when async_run fails, so does "
                       "fetch_async (-1)",
                       "循环的 poll 失败了（ENOMEM），async_run 没法把取数据做完，fetch_async 却"
                       "返回了 %d：async_run 失败时，fetch_async 也失败（返回 -1）",
                       r));
}

/* Sources whose answer is there already: answer i is "<i>", then the end. */
static int ready_open(int index, void *arg)
{
    (void)arg;
    int p[2];
    if (pipe(p) != 0)
        return -1;
    char text[16];
    int len = snprintf(text, sizeof text, "<%d>", index);
    ssize_t put = write(p[1], text, (size_t)len);
    close(p[1]);
    if (put != len) {
        close(p[0]);
        return -1;
    }
    return p[0];
}

KATA_TEST(fetch, async_takes_async_max_tasks_sources)
{
    probe_virtual_start();
    static struct async_answer a[ASYNC_MAX_TASKS];
    memset(a, 0, sizeof a);
    int r = fetch_async(ASYNC_MAX_TASKS, ready_open, NULL, a);
    int right = 0;
    for (int i = 0; i < ASYNC_MAX_TASKS; i++) {
        char text[16];
        int len = snprintf(text, sizeof text, "<%d>", i);
        right += a[i].len == (size_t)len && memcmp(a[i].data, text, (size_t)len) == 0;
    }
    cr_assert(
        r == 0 && right == ASYNC_MAX_TASKS,
        KATA_MSG("fetch_async(ASYNC_MAX_TASKS = %d, ...) returned %d with %d answers right: "
                 "one task per source fits up to ASYNC_MAX_TASKS sources, both ends "
                 "included; mind > against >= where n is checked",
                 "fetch_async(ASYNC_MAX_TASKS = %d, ...) 返回了 %d，答对了 %d 个：每个来源一个"
                 "任务，最多可以有 ASYNC_MAX_TASKS 个来源，两端都包括在内；检查 n 时注意 > "
                 "和 >= 的区别",
                 ASYNC_MAX_TASKS, r, right));
}

/* One source, on descriptor 0 (as when the process has no standard input). */
static int open_on_0(int index, void *arg)
{
    int fd = ready_open(index, arg);
    if (fd > 0) {
        dup2(fd, 0);
        close(fd);
        fd = 0;
    }
    return fd;
}

typedef int (*fetch_fn)(int n, async_open_fn open, void *arg, struct async_answer answers[]);

static void expect_read_from_0(fetch_fn fetch, const char *name)
{
    probe_virtual_start();
    int saved = dup(0);
    struct async_answer a[1];
    memset(a, 0, sizeof a);
    int r = fetch(1, open_on_0, NULL, a);
    dup2(saved, 0);
    close(saved);
    cr_assert(
        r == 0 && a[0].len == 3 && memcmp(a[0].data, "<0>", 3) == 0,
        KATA_MSG("the source's pipe was descriptor 0, and %s returned %d with %zu bytes: "
                 "0 is a descriptor like any other (standard input's, when it is open); "
                 "only -1 says open failed, so test fd < 0, not fd <= 0",
                 "来源的管道是描述符 0，%s 返回了 %d，读到 %zu 字节：0 和其他描述符一样"
                 "（标准输入开着时就是它）；只有 -1 表示 open 失败，所以要判断 fd < 0，而不是 "
                 "fd <= 0",
                 name, r, a[0].len));
}

KATA_TEST(fetch, sync_reads_a_source_on_descriptor_0)
{
    expect_read_from_0(fetch_sync, "fetch_sync");
}

KATA_TEST(fetch, async_reads_a_source_on_descriptor_0)
{
    expect_read_from_0(fetch_async, "fetch_async");
}

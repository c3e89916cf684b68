/* 07-async, part 2: three slow sources read one after another, then all at
 * once on the loop.  Source i answers probe_sources[i].delay ms after it is
 * opened, in two pieces 10 ms apart, then ends (300, 100 and 200 ms). */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <string.h>

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

/* 02-join, part 3: workers that overlap, and how long they took. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>

KATA_SUITE(run);

#define N 3

/* Fails unless join_run_timed joined every worker made since mark and returned 0. */
static void expect_ok(int mark, int err)
{
    probe_assert_joined(mark, "join_run_timed");
    cr_assert(err == 0,
              KATA_MSG("join_run_timed returned %d (%s), not 0: it should start n workers with "
                       "join_start, join them with join_finish, and time the whole run with "
                       "join_now and join_elapsed; it returns 0, or EAGAIN if join_start "
                       "failed, or the error join_finish returned",
                       "join_run_timed 返回了 %d（%s），而不是 0：它应当用 join_start 启动 n 个"
                       "工作线程，用 join_finish join 它们，并用 join_now 和 join_elapsed 给整个"
                       "过程计时；它返回 0，join_start 失败时返回 EAGAIN，否则返回 join_finish "
                       "给出的错误",
                       err, probe_error(err)));
}

KATA_TEST(run, workers_overlap)
{
    int n = N; /* barrier_work waits until this many workers run at once */
    long results[N];
    struct timespec elapsed;
    int mark = probe_created();
    int err = join_run_timed(N, barrier_work, &n, results, &elapsed);
    expect_ok(mark, err);
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(v.arrived == N,
              KATA_MSG("only %d of the %d workers ran: join_run_timed must start n workers "
                       "with join_start",
                       "%2$d 个工作线程里只有 %1$d 个运行了：join_run_timed 必须用 join_start "
                       "启动 n 个工作线程",
                       v.arrived, N));
    for (int i = 0; i < N; i++)
        cr_assert(
            !v.w[i].gave_up,
            KATA_MSG("worker %d ran alone (%d worker(s) running when it gave up waiting "
                     "for the other %d): you joined it before starting the others, so the "
                     "threads ran one after another. Start them all, then join them all",
                     "工作线程 %1$d 是独自运行的（它等另外 %3$d 个等到放弃时，只有 %2$d 个在"
                     "运行）：你在启动其他线程之前就 join 了它，所以这些线程是一个接一个跑的。"
                     "先全部启动，再全部 join",
                     v.w[i].index, v.w[i].running_with, N - 1));
}

KATA_TEST(run, returns_each_workers_result)
{
    long results[N] = {-1, -1, -1};
    struct timespec elapsed;
    int mark = probe_created();
    int err = join_run_timed(N, joined_work, NULL, results, &elapsed);
    expect_ok(mark, err);
    for (int i = 0; i < N; i++)
        cr_assert(results[i] == PROBE_RESULT(i),
                  KATA_MSG("results[%d] is %ld, not %ld: join_run_timed must hand back what each "
                           "worker returned, collected through pthread_join",
                           "results[%d] 是 %ld，而不是 %ld：join_run_timed 必须交回每个工作线程的"
                           "返回值，经由 pthread_join 收集",
                           i, results[i], PROBE_RESULT(i)));
}

KATA_TEST(run, elapsed_covers_the_longest_worker)
{
    long results[N];
    struct timespec elapsed = {-1, -1};
    probe_clock_shift(); /* the run crosses a whole second, whatever the time */
    int mark = probe_created();
    struct timespec before = kata_now();
    int err = join_run_timed(N, sleepy_work, NULL, results, &elapsed);
    struct timespec after = kata_now();
    probe_clock_stop();
    double took = kata_ts_seconds(after) - kata_ts_seconds(before);
    double longest = 0.020 * N;
    expect_ok(mark, err);
    cr_assert(elapsed.tv_nsec >= 0 && elapsed.tv_nsec < 1000000000L,
              KATA_MSG("elapsed is {%ld, %ld}: tv_nsec must be between 0 and 999999999. The "
                       "run crossed a whole second; when the end's tv_nsec is smaller than the "
                       "start's, borrow one second",
                       "elapsed 是 {%ld, %ld}：tv_nsec 必须在 0 到 999999999 之间。这次运行跨过了"
                       "整秒；结束的 tv_nsec 比开始的小时，要向秒借一位",
                       (long)elapsed.tv_sec, elapsed.tv_nsec));
    cr_assert(kata_ts_seconds(elapsed) >= longest,
              KATA_MSG("elapsed is %.3f s, but the longest worker sleeps %.3f s: read the start "
                       "time before the first pthread_create and the end time after the last "
                       "pthread_join",
                       "elapsed 是 %.3f s，可睡得最久的工作线程要睡 %.3f s：开始时间要在第一次 "
                       "pthread_create 之前读，结束时间要在最后一次 pthread_join 之后读",
                       kata_ts_seconds(elapsed), longest));
    cr_assert(kata_ts_seconds(elapsed) <= took,
              KATA_MSG("elapsed is %.3f s, but the whole call took %.3f s: measure end minus "
                       "start with join_now and join_elapsed, nanoseconds included",
                       "elapsed 是 %.3f s，可整个调用只花了 %.3f s：用 join_now 和 join_elapsed "
                       "算结束减开始，纳秒也要算进去",
                       kata_ts_seconds(elapsed), took));
}

KATA_TEST(run, timing_uses_the_monotonic_clock)
{
    long results[N];
    struct timespec elapsed;
    int mark = probe_created();
    probe_clock_record();
    int err = join_run_timed(N, sleepy_work, NULL, results, &elapsed);
    probe_clock_stop();
    clockid_t ids[PROBE_MAX];
    int calls = probe_clock_calls(ids);
    expect_ok(mark, err);
    cr_assert(calls >= 2,
              KATA_MSG("join_run_timed read the clock with clock_gettime %d time(s): take a "
                       "reading with join_now() before starting the workers and another after "
                       "joining them",
                       "join_run_timed 用 clock_gettime 读了 %d 次时钟：启动工作线程之前用 "
                       "join_now() 读一次，join 完之后再读一次",
                       calls));
    for (int i = 0; i < calls && i < PROBE_MAX; i++)
        cr_assert(ids[i] == CLOCK_MONOTONIC,
                  KATA_MSG("join_run_timed read clock %d%s, not CLOCK_MONOTONIC (%d): to "
                           "measure a duration use the clock that never jumps, whatever the date "
                           "does",
                           "join_run_timed 读的是时钟 %d%s，而不是 CLOCK_MONOTONIC（%d）：量时长"
                           "要用永远不会跳的那个时钟，不管日期怎么变",
                           (int)ids[i], ids[i] == CLOCK_REALTIME ? " (CLOCK_REALTIME)" : "",
                           (int)CLOCK_MONOTONIC));
}

KATA_TEST(run, returns_eagain_when_start_fails)
{
    long results[N];
    struct timespec elapsed;
    int mark = probe_created();
    probe_fail_create_after(N - 1); /* join_start cannot make its last worker */
    int err = join_run_timed(N, joined_work, NULL, results, &elapsed);
    int calls = probe_create_calls();
    probe_fail_create_after(-1);
    probe_assert_joined(mark, "join_run_timed");
    cr_assert(calls >= N,
              KATA_MSG("join_run_timed(%d, ...) made %d pthread_create call(s): it must start "
                       "its workers with join_start",
                       "join_run_timed(%d, ...) 只调用了 %d 次 pthread_create：它必须用 "
                       "join_start 启动工作线程",
                       N, calls));
    cr_assert(err == EAGAIN,
              KATA_MSG("join_start failed (a pthread_create said EAGAIN) and join_run_timed "
                       "returned %d (%s), not EAGAIN: join_start only says NULL, so "
                       "join_run_timed returns EAGAIN, an error number as pthread functions "
                       "give (not -1, not errno: pthread functions do not set it)",
                       "join_start 失败了（有个 pthread_create 返回 EAGAIN），join_run_timed "
                       "返回了 %d（%s），而不是 EAGAIN：join_start 只会返回 NULL，所以 "
                       "join_run_timed 要返回 EAGAIN，和 pthread 函数一样是错误号（不是 -1，"
                       "也不是 errno：pthread 函数不设置它）",
                       err, probe_error(err)));
}

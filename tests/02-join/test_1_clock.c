/* 02-join, part 1: measuring time with the monotonic clock. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

KATA_SUITE(clock);

static void expect_elapsed(struct timespec start, struct timespec end, struct timespec want,
                           const char *why)
{
    struct timespec got = join_elapsed(start, end);
    cr_assert(got.tv_sec == want.tv_sec && got.tv_nsec == want.tv_nsec,
              KATA_MSG("join_elapsed({%ld, %09ld}, {%ld, %09ld}) gave {%ld, %09ld}, not "
                       "{%ld, %09ld}: %s",
                       "join_elapsed({%ld, %09ld}, {%ld, %09ld}) 得到 {%ld, %09ld}，而不是 "
                       "{%ld, %09ld}：%s",
                       (long)start.tv_sec, start.tv_nsec, (long)end.tv_sec, end.tv_nsec,
                       (long)got.tv_sec, got.tv_nsec, (long)want.tv_sec, want.tv_nsec, why));
}

KATA_TEST(clock, elapsed_subtracts_seconds)
{
    expect_elapsed((struct timespec){5, 0}, (struct timespec){7, 0}, (struct timespec){2, 0},
                   KATA_TR("the elapsed time is end minus start, second by second",
                           "经过的时间就是结束减开始，秒对秒地减"));
}

KATA_TEST(clock, elapsed_subtracts_nanoseconds)
{
    expect_elapsed((struct timespec){1, 100000000}, (struct timespec){1, 350000000},
                   (struct timespec){0, 250000000},
                   KATA_TR("a timespec is seconds plus nanoseconds; subtract the tv_nsec parts "
                           "too, or every run shorter than a second looks like it took no time",
                           "timespec 是秒加纳秒；tv_nsec 部分也要相减，否则凡是不到一秒的运行，"
                           "看起来都像是没花时间"));
}

KATA_TEST(clock, elapsed_borrows_a_second)
{
    expect_elapsed((struct timespec){1, 900000000}, (struct timespec){3, 100000000},
                   (struct timespec){1, 200000000},
                   KATA_TR("from 1.9 s to 3.1 s is 1.2 s: when end's tv_nsec is smaller than "
                           "start's, borrow one second (tv_sec - 1, tv_nsec + 1000000000), as in "
                           "subtraction by hand, so that 0 <= tv_nsec < 1000000000",
                           "从 1.9 s 到 3.1 s 是 1.2 s：结束的 tv_nsec 比开始的小时，要像手算减法"
                           "那样向秒借一位（tv_sec - 1，tv_nsec + 1000000000），使得 "
                           "0 <= tv_nsec < 1000000000"));
}

KATA_TEST(clock, now_reads_the_monotonic_clock)
{
    struct timespec before = kata_now();
    struct timespec now = join_now();
    struct timespec after = kata_now();
    cr_assert(kata_ts_seconds(now) >= kata_ts_seconds(before) &&
                  kata_ts_seconds(now) <= kata_ts_seconds(after),
              KATA_MSG("join_now() gave %ld.%09ld s, but CLOCK_MONOTONIC read between "
                       "%ld.%09ld and %ld.%09ld s around the call: read CLOCK_MONOTONIC with "
                       "clock_gettime. Wall-clock time (CLOCK_REALTIME, time(), gettimeofday) "
                       "can jump when the date is set, so a duration measured with it can even "
                       "come out negative",
                       "join_now() 给出 %ld.%09ld s，可调用前后 CLOCK_MONOTONIC 读到的是 "
                       "%ld.%09ld 到 %ld.%09ld s：要用 clock_gettime 读 CLOCK_MONOTONIC。"
                       "墙上时间（CLOCK_REALTIME、time()、gettimeofday）在设置日期时会跳，"
                       "用它量出的时长甚至可能是负的",
                       (long)now.tv_sec, now.tv_nsec, (long)before.tv_sec, before.tv_nsec,
                       (long)after.tv_sec, after.tv_nsec));
}

/* 02-join, part 3: workers that overlap, and how long they took. */
#include "probes.h" /* first: it sets _GNU_SOURCE */
#include "kata.h"

KATA_SUITE(run);

#define N 3

static void expect_ok(int err)
{
    cr_assert(err == 0, "join_run_timed returned %d (%s), not 0: it should start n workers "
                        "with join_start, join them with join_finish, and time the whole run "
                        "with join_now and join_elapsed; it returns 0, or EAGAIN if join_start "
                        "failed, or the error join_finish returned", err, probe_error(err));
}

KATA_TEST(run, workers_overlap)
{
    int n = N; /* barrier_work waits until this many workers run at once */
    long results[N];
    struct timespec elapsed;
    int err = join_run_timed(N, barrier_work, &n, results, &elapsed);
    expect_ok(err);
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(v.arrived == N, "only %d of the %d workers ran: join_run_timed must start n "
                              "workers with join_start", v.arrived, N);
    for (int i = 0; i < N; i++)
        cr_assert(!v.w[i].gave_up,
                  "worker %d ran alone (%d worker(s) running when it gave up waiting for "
                  "the other %d): you joined it before starting the others, so the threads "
                  "ran one after another. Start them all, then join them all",
                  v.w[i].index, v.w[i].running_with, N - 1);
}

KATA_TEST(run, returns_each_workers_result)
{
    long results[N] = {-1, -1, -1};
    struct timespec elapsed;
    int err = join_run_timed(N, joined_work, NULL, results, &elapsed);
    expect_ok(err);
    for (int i = 0; i < N; i++)
        cr_assert(results[i] == PROBE_RESULT(i),
                  "results[%d] is %ld, not %ld: join_run_timed must hand back what each "
                  "worker returned, collected through pthread_join", i, results[i],
                  PROBE_RESULT(i));
}

KATA_TEST(run, elapsed_covers_the_longest_worker)
{
    long results[N];
    struct timespec elapsed = {-1, -1};
    probe_clock_shift(); /* the run crosses a whole second, whatever the time */
    struct timespec before = probe_mono();
    int err = join_run_timed(N, sleepy_work, NULL, results, &elapsed);
    struct timespec after = probe_mono();
    probe_clock_stop();
    double took = probe_seconds(after) - probe_seconds(before);
    double longest = 0.020 * N;
    expect_ok(err);
    cr_assert(elapsed.tv_nsec >= 0 && elapsed.tv_nsec < 1000000000L,
              "elapsed is {%ld, %ld}: tv_nsec must be between 0 and 999999999. The run "
              "crossed a whole second; when the end's tv_nsec is smaller than the start's, "
              "borrow one second", (long)elapsed.tv_sec, elapsed.tv_nsec);
    cr_assert(probe_seconds(elapsed) >= longest,
              "elapsed is %.3f s, but the longest worker sleeps %.3f s: read the start "
              "time before the first pthread_create and the end time after the last "
              "pthread_join", probe_seconds(elapsed), longest);
    cr_assert(probe_seconds(elapsed) <= took,
              "elapsed is %.3f s, but the whole call took %.3f s: measure end minus start "
              "with join_now and join_elapsed, nanoseconds included",
              probe_seconds(elapsed), took);
}

KATA_TEST(run, timing_uses_the_monotonic_clock)
{
    long results[N];
    struct timespec elapsed;
    probe_clock_record();
    int err = join_run_timed(N, sleepy_work, NULL, results, &elapsed);
    probe_clock_stop();
    clockid_t ids[PROBE_MAX];
    int calls = probe_clock_calls(ids);
    expect_ok(err);
    cr_assert(calls >= 2, "join_run_timed read the clock with clock_gettime %d time(s): "
                          "take a reading with join_now() before starting the workers and "
                          "another after joining them", calls);
    for (int i = 0; i < calls && i < PROBE_MAX; i++)
        cr_assert(ids[i] == CLOCK_MONOTONIC,
                  "join_run_timed read clock %d%s, not CLOCK_MONOTONIC (%d): to measure a "
                  "duration use the clock that never jumps, whatever the date does",
                  (int)ids[i], ids[i] == CLOCK_REALTIME ? " (CLOCK_REALTIME)" : "",
                  (int)CLOCK_MONOTONIC);
}

/* 02-join: the concurrency scenario, run under helgrind.
 *
 * Workers compute results that the caller reads; a detached worker hands
 * its result over through struct join_done.  Every hand-over must be
 * ordered by a synchronisation helgrind understands (pthread_join, or the
 * mutex around done), or it reports a data race.  Exits 0 when every
 * result arrived. */
#define _GNU_SOURCE
#include "join.h"

#include <stdio.h>

#define N 4

static long inputs[N] = {3, 5, 7, 11}; /* written before the workers start */

/* A little work, so that the worker is still busy when the caller goes on. */
static long square(int index, void *arg)
{
    (void)arg;
    volatile long spin = 0;
    for (int i = 0; i < 200000; i++)
        spin += i;
    return inputs[index] * inputs[index];
}

static int check_results(const char *what, const long results[])
{
    int bad = 0;
    for (int i = 0; i < N; i++)
        if (results[i] != inputs[i] * inputs[i]) {
            fprintf(stderr, "%s: results[%d] is %ld, not %ld\n", what, i, results[i],
                    inputs[i] * inputs[i]);
            bad = 1;
        }
    return bad;
}

int main(void)
{
    int bad = 0;
    long results[N] = {0};

    struct join_team *team = join_start(N, square, NULL);
    if (team == NULL || join_finish(team, results) != 0) {
        fprintf(stderr, "join_start/join_finish failed\n");
        return 1;
    }
    bad |= check_results("join_finish", results);

    struct timespec elapsed;
    long timed[N] = {0};
    if (join_run_timed(N, square, NULL, timed, &elapsed) != 0) {
        fprintf(stderr, "join_run_timed failed\n");
        return 1;
    }
    bad |= check_results("join_run_timed", timed);

    static struct join_done done = JOIN_DONE_INITIALIZER;
    if (join_detach(square, NULL, &done) != 0) {
        fprintf(stderr, "join_detach failed\n");
        return 1;
    }
    long got = join_wait_done(&done);
    if (got != inputs[0] * inputs[0]) {
        fprintf(stderr, "join_wait_done returned %ld, not %ld\n", got, inputs[0] * inputs[0]);
        bad = 1;
    }
    return bad;
}

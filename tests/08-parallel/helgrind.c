/* 08-parallel: the concurrency scenario, run under helgrind.
 *
 * Pinned and spread workers write their CPU into ran_on; sums are computed by
 * workers into partial results that the caller adds up.  Every hand-over must
 * be ordered by pthread_join (or a mutex), or helgrind reports a data race:
 * a shared total that every worker adds into is one.  Exits 0 when every
 * result is right. */
#include "parallel.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void spin(int index, void *arg)
{
    (void)index;
    (void)arg;
    volatile long x = 0;
    for (int i = 0; i < 20000; i++)
        x += i;
}

static int check_sum(const int *data, size_t n, int threads)
{
    long long total = -1, want = 0;
    for (size_t i = 0; i < n; i++)
        want += data[i];
    int err = par_sum(data, n, threads, &total);
    if (err != 0 || total != want) {
        fprintf(stderr, "par_sum(%zu items, %d threads): error %d, total %lld, not %lld\n", n,
                threads, err, total, want);
        return 1;
    }
    return 0;
}

int main(void)
{
    int bad = 0, cpus[PAR_MAX_THREADS], ran_on[4];
    int count = par_allowed_cpus(cpus, PAR_MAX_THREADS);
    if (count < 1) {
        fprintf(stderr, "par_allowed_cpus failed\n");
        return 1;
    }
    if (par_run_pinned(3, cpus[0], spin, NULL, ran_on) != 0 || ran_on[0] != cpus[0]) {
        fprintf(stderr, "par_run_pinned failed\n");
        bad = 1;
    }
    if (par_run_spread(3, spin, NULL, ran_on) != 0) {
        fprintf(stderr, "par_run_spread failed\n");
        bad = 1;
    }
    enum { N = 30000 };
    int *data = malloc(N * sizeof *data);
    if (data == NULL)
        return 1;
    for (int i = 0; i < N; i++)
        data[i] = i % 97;
    bad |= check_sum(data, N, 4);
    bad |= check_sum(data, 1001, 3);
    bad |= check_sum(data, 2, 5);
    free(data);
    return bad;
}

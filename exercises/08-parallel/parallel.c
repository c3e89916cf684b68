/* 08-parallel: concurrency vs parallelism.  Write the functions declared in
 * parallel.h; README.md gives the parts in order. */
#include "parallel.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>

/* ---- Part 1 ------------------------------------------------------------ */

int par_allowed_cpus(int cpus[], int max)
{
    (void)cpus;
    (void)max;
    return -1; /* TODO: sched_getaffinity, then CPU_ISSET for each number */
}

int par_run_pinned(int n, int cpu, par_work_fn work, void *arg, int ran_on[])
{
    (void)n;
    (void)cpu;
    (void)work;
    (void)arg;
    (void)ran_on;
    return ENOSYS; /* TODO: n workers, each pins itself to `cpu`, then works */
}

int par_run_spread(int n, par_work_fn work, void *arg, int ran_on[])
{
    (void)n;
    (void)work;
    (void)arg;
    (void)ran_on;
    return ENOSYS; /* TODO: worker i pins itself to cpus[i % count] */
}

/* ---- Part 2 ------------------------------------------------------------ */

int par_sum(const int *data, size_t n, int threads, long long *total)
{
    (void)data;
    (void)n;
    (void)threads;
    (void)total;
    return ENOSYS; /* TODO: one chunk and one partial sum per worker */
}

/* ---- Part 3 ------------------------------------------------------------ */

double par_amdahl(double serial, int threads)
{
    (void)serial;
    (void)threads;
    return 0.0; /* TODO: 1 / (serial + (1 - serial) / threads) */
}

/* 08-parallel: reference solution. */
#include "parallel.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>

/* ---- Part 1 ------------------------------------------------------------ */

int par_allowed_cpus(int cpus[], int max)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0)
        return -1;
    int count = 0;
    /* CPU numbers need not be contiguous (a container may get CPUs 2 and 5):
     * walk every possible number and keep the ones in the mask. */
    for (int c = 0; c < CPU_SETSIZE && count < max; c++)
        if (CPU_ISSET(c, &set))
            cpus[count++] = c;
    return count;
}

struct pinned_worker {
    pthread_t thread;
    int index, cpu, err;
    par_work_fn work;
    void *arg;
    int *ran_on;
};

static void *pinned_main(void *p)
{
    struct pinned_worker *w = p;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(w->cpu, &one);
    /* The worker pins itself, before the work: its affinity is one CPU from
     * its first instruction of work to its last, and the caller's own
     * affinity (which new threads inherit) is never touched. */
    w->err = pthread_setaffinity_np(pthread_self(), sizeof one, &one);
    if (w->err != 0)
        return NULL;
    w->work(w->index, w->arg);
    w->ran_on[w->index] = sched_getcpu(); /* read back after the join */
    return NULL;
}

/* Starts n workers, worker i on cpu_of[i]; all started before any join. */
static int run_on(int n, const int cpu_of[], par_work_fn work, void *arg, int ran_on[])
{
    struct pinned_worker w[PAR_MAX_THREADS];
    int started = 0, err = 0;
    for (int i = 0; i < n; i++) {
        w[i] = (struct pinned_worker){0, i, cpu_of[i], 0, work, arg, ran_on};
        err = pthread_create(&w[i].thread, NULL, pinned_main, &w[i]);
        if (err != 0)
            break;
        started++;
    }
    /* Joining only after every create is what lets the workers overlap:
     * a join inside the loop would run them one after another. */
    for (int i = 0; i < started; i++) {
        int e = pthread_join(w[i].thread, NULL);
        if (err == 0)
            err = e != 0 ? e : w[i].err;
    }
    return err;
}

int par_run_pinned(int n, int cpu, par_work_fn work, void *arg, int ran_on[])
{
    if (n < 1 || n > PAR_MAX_THREADS || cpu < 0 || cpu >= CPU_SETSIZE || work == NULL)
        return EINVAL;
    int cpu_of[PAR_MAX_THREADS];
    for (int i = 0; i < n; i++)
        cpu_of[i] = cpu;
    return run_on(n, cpu_of, work, arg, ran_on);
}

int par_run_spread(int n, par_work_fn work, void *arg, int ran_on[])
{
    if (n < 1 || n > PAR_MAX_THREADS || work == NULL)
        return EINVAL;
    int cpus[PAR_MAX_THREADS], cpu_of[PAR_MAX_THREADS];
    int count = par_allowed_cpus(cpus, PAR_MAX_THREADS);
    if (count < 1)
        return EINVAL;
    for (int i = 0; i < n; i++)
        cpu_of[i] = cpus[i % count]; /* more workers than CPUs: wrap around */
    return run_on(n, cpu_of, work, arg, ran_on);
}

/* ---- Part 2 ------------------------------------------------------------ */

struct chunk {
    pthread_t thread;
    const int *data;
    size_t begin, end;
    long long partial; /* this worker's own: no other thread touches it */
};

static void *sum_chunk(void *p)
{
    struct chunk *c = p;
    long long s = 0; /* a local: the loop never writes to shared memory */
    for (size_t i = c->begin; i < c->end; i++)
        s += c->data[i];
    c->partial = s;
    return NULL;
}

int par_sum(const int *data, size_t n, int threads, long long *total)
{
    if (threads < 1 || threads > PAR_MAX_THREADS || total == NULL || (data == NULL && n > 0))
        return EINVAL;
    struct chunk c[PAR_MAX_THREADS];
    int started = 0, err = 0;
    for (int t = 0; t < threads; t++) {
        /* Boundaries n*t/threads: each item in exactly one chunk, chunk sizes
         * differ by at most one, and with more threads than items some
         * chunks are simply empty. */
        c[t] = (struct chunk){0, data, n * (size_t)t / (size_t)threads,
                              n * (size_t)(t + 1) / (size_t)threads, 0};
        err = pthread_create(&c[t].thread, NULL, sum_chunk, &c[t]);
        if (err != 0)
            break;
        started++;
    }
    for (int t = 0; t < started; t++) {
        int e = pthread_join(c[t].thread, NULL);
        if (err == 0)
            err = e;
    }
    if (err != 0)
        return err;
    /* Only now, after every join, are the partial results complete and
     * visible to this thread. */
    long long sum = 0;
    for (int t = 0; t < threads; t++)
        sum += c[t].partial;
    *total = sum;
    return 0;
}

/* ---- Part 3 ------------------------------------------------------------ */

double par_amdahl(double serial, int threads)
{
    if (!(serial >= 0.0 && serial <= 1.0) || threads < 1) /* NAN fails both */
        return NAN;
    /* Time on one CPU is 1: the serial part stays `serial`, the rest is
     * shared by `threads` CPUs.  The speedup is the old time over the new. */
    return 1.0 / (serial + (1.0 - serial) / threads);
}

/* 08-parallel: the benchmark (`make bench EX=08`).  Not a test: it measures.
 *
 * Three tables, each figure the median of several repeats with the min and
 * max beside it, each speedup computed from a one-thread run and a
 * many-thread run measured back to back in the same repeat:
 *   1. the same CPU-bound work on 1, 2, 4 threads pinned to one CPU
 *      (concurrency: no faster) and spread over the CPUs (parallelism);
 *   2. the parallel sum (par_sum) on 1, 2, 4 threads;
 *   3. Amdahl's law: a workload with a serial part, the predicted speedup
 *      (par_amdahl) beside the measured one.
 * KATA_BENCH_QUICK=1 makes every run tiny: it only proves the program works. */
#include "parallel.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPEATS 7
static const int thread_counts[] = {1, 2, 4};
#define NCOUNTS 3

static int repeats = 5;
static long spin_total = 60000000; /* iterations of CPU-bound work in all */
static size_t sum_items = 1 << 24;
static int sum_rounds = 4;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- statistics ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "median (min-max)" of v[0..n-1], with `digits` decimals. */
static const char *spread_text(const double *v, int n, int digits)
{
    static char buf[8][64];
    static int next;
    double s[MAX_REPEATS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    char *out = buf[next++ % 8];
    snprintf(out, 64, "%.*f (%.*f-%.*f)", digits, median, digits, s[0], digits, s[n - 1]);
    return out;
}

static double median(const double *v, int n)
{
    double s[MAX_REPEATS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ---- CPU-bound work ------------------------------------------------------ */

struct spin_job {
    long per_thread;
    uint64_t out[PAR_MAX_THREADS * 8]; /* one slot per worker, 64 bytes apart */
};

/* An xorshift loop: pure computation, no memory traffic, nothing to skip. */
static uint64_t spin(long iterations, uint64_t x)
{
    for (long i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

static void spin_work(int index, void *arg)
{
    struct spin_job *job = arg;
    job->out[index * 8] = spin(job->per_thread, (uint64_t)index + 88172645463325252ULL);
}

enum placement { PINNED, SPREAD };

static double time_spin(enum placement where, int threads, int cpu)
{
    static struct spin_job job;
    int ran_on[PAR_MAX_THREADS];
    job.per_thread = spin_total / threads;
    double t0 = now();
    int err = where == PINNED ? par_run_pinned(threads, cpu, spin_work, &job, ran_on)
                              : par_run_spread(threads, spin_work, &job, ran_on);
    double t = now() - t0;
    if (err != 0) {
        fprintf(stderr, "bench: par_run_%s(%d) failed with error %d\n",
                where == PINNED ? "pinned" : "spread", threads, err);
        exit(1);
    }
    return t;
}

static void table_placement(int cpu)
{
    printf("Concurrency vs parallelism: %ld iterations of CPU-bound work shared by the threads, "
           "all pinned to CPU %d or spread over the CPUs (time in ms; speedup = one thread's "
           "time / this time, both measured in the same repeat)\n\n",
           spin_total, cpu);
    printf("| threads | pinned ms | pinned speedup | spread ms | spread speedup |\n");
    printf("|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < NCOUNTS; k++) {
        int n = thread_counts[k];
        double pt[MAX_REPEATS], ps[MAX_REPEATS], st[MAX_REPEATS], ss[MAX_REPEATS];
        for (int r = 0; r < repeats; r++) {
            double one = time_spin(PINNED, 1, cpu);
            pt[r] = time_spin(PINNED, n, cpu);
            ps[r] = one / pt[r];
            one = time_spin(SPREAD, 1, cpu);
            st[r] = time_spin(SPREAD, n, cpu);
            ss[r] = one / st[r];
            pt[r] *= 1e3;
            st[r] *= 1e3;
        }
        printf("| %d | %s | %s | %s | %s |\n", n, spread_text(pt, repeats, 1),
               spread_text(ps, repeats, 2), spread_text(st, repeats, 1),
               spread_text(ss, repeats, 2));
    }
    printf("\n");
}

/* ---- the parallel sum ---------------------------------------------------- */

static double time_sum(const int *data, int threads, long long want)
{
    double t0 = now();
    for (int round = 0; round < sum_rounds; round++) {
        long long total = 0;
        int err = par_sum(data, sum_items, threads, &total);
        if (err != 0 || total != want) {
            fprintf(stderr, "bench: par_sum(%d threads) gave error %d, total %lld, not %lld\n",
                    threads, err, total, want);
            exit(1);
        }
    }
    return now() - t0;
}

static void table_sum(void)
{
    int *data = malloc(sum_items * sizeof *data);
    if (data == NULL) {
        fprintf(stderr, "bench: out of memory\n");
        exit(1);
    }
    long long want = 0;
    for (size_t i = 0; i < sum_items; i++) {
        data[i] = (int)(i % 1000) - 500;
        want += data[i];
    }
    printf("Parallel sum: par_sum over %zu ints (%zu MiB), %d times per measurement "
           "(time in ms; speedup = one thread's time / this time, same repeat)\n\n",
           sum_items, sum_items * sizeof(int) >> 20, sum_rounds);
    printf("| threads | sum ms | sum speedup |\n");
    printf("|---:|---:|---:|\n");
    time_sum(data, 1, want); /* touch every page once before timing */
    for (int k = 0; k < NCOUNTS; k++) {
        int n = thread_counts[k];
        double t[MAX_REPEATS], s[MAX_REPEATS];
        for (int r = 0; r < repeats; r++) {
            double one = time_sum(data, 1, want);
            t[r] = time_sum(data, n, want);
            s[r] = one / t[r];
            t[r] *= 1e3;
        }
        printf("| %d | %s | %s |\n", n, spread_text(t, repeats, 1), spread_text(s, repeats, 2));
    }
    printf("\n");
    free(data);
}

/* ---- Amdahl's law -------------------------------------------------------- */

volatile uint64_t amdahl_sink; /* keeps the serial part from being optimised away */

/* A run with a serial part: `serial` iterations on the calling thread (it
 * cannot be shared), then the parallel part spread over `threads` CPUs. */
static double time_amdahl(long serial, int threads, double *serial_seconds)
{
    double t0 = now();
    amdahl_sink = spin(serial, 2463534242ULL);
    double t1 = now();
    time_spin(SPREAD, threads, 0);
    double t2 = now();
    if (serial_seconds != NULL)
        *serial_seconds = t1 - t0;
    return t2 - t0;
}

static void table_amdahl(int cpu_count)
{
    long serial = spin_total / 4; /* the serial part: a fifth of the whole on one thread */
    printf("Amdahl's law: %ld iterations that must run on one thread, then %ld shared by the "
           "threads (spread). Predicted: par_amdahl(s, min(threads, %d CPUs)) with s the serial "
           "share of the one-thread time measured in the same repeat\n\n",
           serial, spin_total, cpu_count);
    printf("| threads | serial share s | Amdahl predicted speedup | Amdahl measured speedup |\n");
    printf("|---:|---:|---:|---:|\n");
    for (int k = 0; k < NCOUNTS; k++) {
        int n = thread_counts[k], cpus = n < cpu_count ? n : cpu_count;
        double share[MAX_REPEATS], predicted[MAX_REPEATS], measured[MAX_REPEATS];
        for (int r = 0; r < repeats; r++) {
            double serial_s;
            double one = time_amdahl(serial, 1, &serial_s);
            share[r] = serial_s / one;
            predicted[r] = par_amdahl(share[r], cpus);
            measured[r] = one / time_amdahl(serial, n, NULL);
        }
        printf("| %d | %s | %s | %s |\n", n, spread_text(share, repeats, 3),
               spread_text(predicted, repeats, 2), spread_text(measured, repeats, 2));
        if (isnan(median(predicted, repeats)))
            fprintf(stderr, "bench: par_amdahl returned NAN for a valid serial share\n");
    }
    printf("\n");
}

int main(void)
{
    const char *quick = getenv("KATA_BENCH_QUICK");
    if (quick != NULL && strcmp(quick, "") != 0 && strcmp(quick, "0") != 0) {
        repeats = 1;
        spin_total = 400000;
        sum_items = 1 << 14;
        sum_rounds = 1;
    }
    int cpus[PAR_MAX_THREADS];
    int count = par_allowed_cpus(cpus, PAR_MAX_THREADS);
    if (count < 1) {
        fprintf(stderr, "bench: par_allowed_cpus found no CPU\n");
        return 1;
    }
    printf("08-parallel on %d CPU(s), %d repeat(s) per figure, shown as median (min-max)\n\n",
           count, repeats);
    table_placement(cpus[0]);
    table_sum();
    table_amdahl(count);
    return 0;
}

/* 03-race: the benchmark (`make bench EX=03`).  Not a test: it measures.
 *
 * Increments per second of four counters, each hit by 1, 2 and 4 threads:
 *   mutex            race_mutex_increment: one shared counter behind a lock
 *   atomic           race_atomic_increment: one shared counter, `lock add`
 *   sharded unpadded one counter per thread, the counters side by side in one
 *                    array (eight to a cache line: false sharing)
 *   sharded padded   race_shard_increment: one counter per thread, each on a
 *                    cache line of its own
 * Every thread calls the increment function in a loop until told to stop
 * (it looks at the stop flag every 256 increments);
 * the count is what the counter holds afterwards, over the time from the
 * start of all threads to the stop.  Each figure is the median of several
 * repeats, with the min and max; the ratio to the mutex compares medians
 * measured in this same run, at the same number of threads.
 * KATA_BENCH_QUICK=1 makes every run tiny: it only proves the program works. */
#include "race.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPEATS 9
#define MAX_THREADS 4
static const int thread_counts[] = {1, 2, 4};
#define NCOUNTS 3

enum kind { MUTEX, ATOMIC, UNPADDED, PADDED, NKINDS };
static const char *kind_name[NKINDS] = {"mutex", "atomic", "sharded, unpadded", "sharded, padded"};

static int repeats = 7;
static long run_ns = 100 * 1000000L; /* how long each run lasts */

/* The counters.  The shared ones each on a line of their own, so that only
 * the threads' own traffic is measured. */
static _Alignas(RACE_CACHE_LINE) struct race_counter mutex_counter = RACE_COUNTER_INITIALIZER;
static _Alignas(RACE_CACHE_LINE) atomic_long atomic_counter;
static _Alignas(RACE_CACHE_LINE) long unpadded[MAX_THREADS];
static struct race_shards *padded;
static _Alignas(RACE_CACHE_LINE) atomic_int stop;
static pthread_barrier_t start;

/* The unpadded shards' increment, the same code as race_shard_increment's
 * but on a packed array.  noipa: the compiler must not see through the call,
 * just as it cannot see into race.c, or it would fold the loop into one add. */
__attribute__((noipa)) static void unpadded_increment(long *shards, int i)
{
    shards[i]++;
}

struct worker {
    enum kind kind;
    int index;
    pthread_t thread;
};

/* Each thread looks at the stop flag once per BATCH increments, so that the
 * loop costs next to nothing beside the increments it measures. */
#define BATCH 256

static void *run_worker(void *p)
{
    struct worker *w = p;
    pthread_barrier_wait(&start);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        switch (w->kind) {
        case MUTEX:
            for (int n = 0; n < BATCH; n++)
                race_mutex_increment(&mutex_counter);
            break;
        case ATOMIC:
            for (int n = 0; n < BATCH; n++)
                race_atomic_increment(&atomic_counter);
            break;
        case UNPADDED:
            for (int n = 0; n < BATCH; n++)
                unpadded_increment(unpadded, w->index);
            break;
        default:
            for (int n = 0; n < BATCH; n++)
                race_shard_increment(padded, w->index);
            break;
        }
    }
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One run: `threads` threads increment the `kind` counter for run_ns;
 * returns increments per second. */
static double one_run(enum kind kind, int threads)
{
    struct worker w[MAX_THREADS];
    mutex_counter.value = 0;
    atomic_store(&atomic_counter, 0);
    memset(unpadded, 0, sizeof unpadded);
    for (int i = 0; i < MAX_THREADS; i++)
        *race_shard(padded, i) = 0;
    atomic_store(&stop, 0);
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){kind, i, 0};
        if (pthread_create(&w[i].thread, NULL, run_worker, &w[i]) != 0) {
            fprintf(stderr, "bench: pthread_create failed\n");
            exit(1);
        }
    }
    pthread_barrier_wait(&start);
    double t0 = now();
    struct timespec d = {run_ns / 1000000000L, run_ns % 1000000000L};
    nanosleep(&d, NULL);
    atomic_store(&stop, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(w[i].thread, NULL);
    double t1 = now(); /* every increment counted was made before this */
    pthread_barrier_destroy(&start);

    long count = 0;
    switch (kind) {
    case MUTEX:
        count = mutex_counter.value;
        break;
    case ATOMIC:
        count = atomic_load(&atomic_counter);
        break;
    case UNPADDED:
        for (int i = 0; i < threads; i++)
            count += unpadded[i];
        break;
    default:
        for (int i = 0; i < threads; i++)
            count += *race_shard(padded, i);
        break;
    }
    return (double)count / (t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct stat3 {
    double median, min, max;
};

static struct stat3 summarize(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    struct stat3 s = {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]};
    return s;
}

int main(void)
{
    if (getenv("KATA_BENCH_QUICK") != NULL) {
        repeats = 1;
        run_ns = 5 * 1000000L;
    }
    padded = race_shards_new(MAX_THREADS);
    if (padded == NULL) {
        fprintf(stderr, "bench: race_shards_new(%d) returned NULL\n", MAX_THREADS);
        return 1;
    }

    struct stat3 st[NKINDS][NCOUNTS];
    for (int c = 0; c < NCOUNTS; c++) {
        double v[NKINDS][MAX_REPEATS];
        /* Interleaved: a burst of load on the machine hits every kind alike. */
        for (int r = 0; r < repeats; r++)
            for (int k = 0; k < NKINDS; k++)
                v[k][r] = one_run((enum kind)k, thread_counts[c]);
        for (int k = 0; k < NKINDS; k++)
            st[k][c] = summarize(v[k], repeats);
    }

    printf("### 03-race: increments per second, four counters, 1, 2 and 4 threads\n\n");
    printf("Each thread calls the counter's increment function in a loop for %ld ms; "
           "median of %d runs, [min - max]; x mutex = this counter's median over the "
           "mutex's median at the same number of threads.\n\n",
           run_ns / 1000000L, repeats);
    printf("| counter | threads | M increments/s | [min - max] | x mutex |\n");
    printf("|---|---:|---:|---|---:|\n");
    for (int k = 0; k < NKINDS; k++)
        for (int c = 0; c < NCOUNTS; c++)
            printf("| %s | %d | %.1f | [%.1f - %.1f] | %.1f |\n", kind_name[k], thread_counts[c],
                   st[k][c].median / 1e6, st[k][c].min / 1e6, st[k][c].max / 1e6,
                   st[k][c].median / st[MUTEX][c].median);
    printf("\nFalse sharing: padded shards over unpadded shards, same run: ");
    for (int c = 0; c < NCOUNTS; c++)
        printf("%s%.1fx at %d thread%s", c ? ", " : "",
               st[PADDED][c].median / st[UNPADDED][c].median, thread_counts[c],
               thread_counts[c] > 1 ? "s" : "");
    printf(".\n");
    race_shards_free(padded);
    return 0;
}

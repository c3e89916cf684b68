/* 07-async: the real-time demo (`make bench EX=07`).  Not a test: it
 * measures, on the real clock, what the tests prove on a virtual one.
 *
 * Slow sources are pipes that a thread fills after a delay (the first piece
 * after `delay` ms, the rest 5 ms later, then the end).  fetch_sync reads
 * them one after another: its time is about the sum of the delays.
 * fetch_async reads them all at once on the loop: about the longest delay.
 * Each figure is the median of several repeats, with min and max; the ratio
 * is computed from the two runs of the same repeat, then its median taken.
 * KATA_BENCH_QUICK=1 makes every run tiny: it only proves the program works. */
#define _GNU_SOURCE
#include "async.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOURCES 8
#define MAX_REPEATS 7

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void pause_ms(double ms)
{
    struct timespec t = {(time_t)(ms / 1e3), (long)((ms - 1e3 * (double)(long)(ms / 1e3)) * 1e6)};
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
}

/* ---- slow sources: a thread per request ---- */

struct source {
    int fd;
    double delay;
    pthread_t thread;
};

struct world {
    int n;
    double delays[MAX_SOURCES];
    double gap;
    struct source s[MAX_SOURCES];
    int started;
};

static void *serve(void *p)
{
    struct source *s = p;
    pause_ms(s->delay);
    if (write(s->fd, "answer ", 7) < 0)
        perror("bench: write");
    pause_ms(5);
    if (write(s->fd, "done", 4) < 0)
        perror("bench: write");
    close(s->fd);
    return NULL;
}

static int open_source(int index, void *arg)
{
    struct world *w = arg;
    int p[2];
    if (index < 0 || index >= w->n || pipe2(p, O_CLOEXEC) != 0)
        return -1;
    struct source *s = &w->s[index];
    s->fd = p[1];
    s->delay = w->delays[index];
    if (pthread_create(&s->thread, NULL, serve, s) != 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    w->started++;
    return p[0];
}

static void end_world(struct world *w)
{
    for (int i = 0; i < w->n; i++)
        if (i < w->started)
            pthread_join(w->s[i].thread, NULL);
    w->started = 0;
}

typedef int (*fetch_fn)(int n, async_open_fn open, void *arg, struct async_answer answers[]);

/* One run: ms taken, or -1 if it failed. */
static double run(fetch_fn fetch, struct world *w)
{
    struct async_answer answers[MAX_SOURCES];
    double start = now_ms();
    int r = fetch(w->n, open_source, w, answers);
    double took = now_ms() - start;
    end_world(w);
    if (r != 0)
        return -1;
    for (int i = 0; i < w->n; i++)
        if (answers[i].len != 11 || memcmp(answers[i].data, "answer done", 11) != 0)
            return -1;
    return took;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(void)
{
    int quick = getenv("KATA_BENCH_QUICK") != NULL;
    int repeats = quick ? 1 : 5;
    double scale = quick ? 0.05 : 1.0;
    static const double base[MAX_SOURCES] = {60, 20, 40, 80, 30, 70, 50, 10};
    static const int counts[] = {3, 8};

    printf("### 07-async: reading slow sources, one after another vs all at once on the loop\n\n");
    printf("Each source answers after its delay (ms), in two pieces 5 ms apart. %d repeat(s); "
           "median (min-max), in ms.\n\n",
           repeats);
    printf("| sources | sum of delays | longest | fetch_sync | fetch_async | sync / async |\n");
    printf("|---|---|---|---|---|---|\n");
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        struct world w = {.n = counts[c], .gap = 5};
        double sum = 0, longest = 0;
        for (int i = 0; i < w.n; i++) {
            w.delays[i] = base[i] * scale;
            sum += w.delays[i] + 5;
            if (w.delays[i] + 5 > longest)
                longest = w.delays[i] + 5;
        }
        double sync_ms[MAX_REPEATS], async_ms[MAX_REPEATS], ratio[MAX_REPEATS];
        for (int r = 0; r < repeats; r++) {
            sync_ms[r] = run(fetch_sync, &w);
            async_ms[r] = run(fetch_async, &w);
            if (sync_ms[r] < 0 || async_ms[r] < 0) {
                fprintf(stderr, "bench: fetch_%s failed or returned wrong answers\n",
                        sync_ms[r] < 0 ? "sync" : "async");
                return 1;
            }
            ratio[r] = sync_ms[r] / async_ms[r];
        }
        double rm = median(ratio, repeats);
        double sm = median(sync_ms, repeats), am = median(async_ms, repeats);
        printf("| %d | %.0f | %.0f | %.1f (%.1f-%.1f) | %.1f (%.1f-%.1f) | %.2f (%.2f-%.2f) |\n",
               w.n, sum, longest, sm, sync_ms[0], sync_ms[repeats - 1], am, async_ms[0],
               async_ms[repeats - 1], rm, ratio[0], ratio[repeats - 1]);
    }
    printf("\nfetch_sync takes about the sum of the delays, fetch_async about the longest one: "
           "one thread, no threads of its own, and yet the waits overlap.\n");
    return 0;
}

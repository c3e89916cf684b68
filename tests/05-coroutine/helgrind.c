/* 05-coroutine: the scenarios, run under helgrind.
 *
 * Two threads run coroutines at the same time, each its own: a
 * producer/consumer exchange, generators, a round-robin scheduler of
 * printers and nested awaits.  The coroutines of one thread must never touch
 * what belongs to the other (the running coroutine is per thread), and every
 * stack switch must be one valgrind was told about (the stacks are
 * registered), or helgrind reports it.  Exits 0 when every scenario gave the
 * expected values.  Kept small: it runs about 50 times slower under
 * valgrind. */
#define _GNU_SOURCE
#include "coro.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long doubler(void *arg, long first)
{
    (void)arg;
    long in = first;
    while (in != 0)
        coro_yield(in * 2, &in);
    return -1;
}

static int exchange(void)
{
    struct coro *co = coro_create(doubler, NULL, 0);
    if (co == NULL)
        return 1;
    int bad = 0;
    for (long i = 1; i <= 5; i++) {
        long out = 0;
        if (coro_resume(co, i, &out) != 0 || out != 2 * i)
            bad = 1;
    }
    long out = 0;
    if (coro_resume(co, 0, &out) != 0 || out != -1 || coro_status(co) != CORO_FINISHED)
        bad = 1;
    coro_free(co);
    return bad;
}

static int generators(void)
{
    struct gen_range r = {0, 50, 7};
    struct coro *g = coro_create(gen_range_fn, &r, 0);
    struct coro *f = coro_create(gen_fib_fn, NULL, 0);
    if (g == NULL || f == NULL)
        return 1;
    long v, sum = 0, fib = 0;
    while (gen_next(g, &v) == 1)
        sum += v;
    for (int i = 0; i < 12; i++)
        if (gen_next(f, &v) == 1)
            fib = v;
    coro_free(g);
    coro_free(f);
    return sum != 0 + 7 + 14 + 21 + 28 + 35 + 42 + 49 || fib != 89;
}

static int printers(const char *tag)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    if (out == NULL)
        return 1;
    char a[16], b[16];
    snprintf(a, sizeof a, "%s-a", tag);
    snprintf(b, sizeof b, "%s-b", tag);
    struct rr_printer pa = {out, a, 3}, pb = {out, b, 2};
    struct rr rr = RR_INITIALIZER;
    int bad =
        rr_spawn(&rr, rr_printer_fn, &pa) == NULL || rr_spawn(&rr, rr_printer_fn, &pb) == NULL;
    if (!bad)
        bad = rr_run(&rr) != 0;
    rr_free(&rr);
    fclose(out);
    char want[128];
    snprintf(want, sizeof want, "%s 0\n%s 0\n%s 1\n%s 1\n%s 2\n", a, b, a, b, a);
    if (!bad && (buf == NULL || strcmp(buf, want) != 0))
        bad = 1;
    free(buf);
    return bad;
}

static long leaf(void *arg, long first)
{
    (void)arg;
    (void)first;
    coro_yield(0, NULL);
    return 5;
}

static long await_arg(void *arg, long first)
{
    (void)first;
    long r = 0;
    if (coro_await(arg, &r) != 0)
        return -100;
    coro_yield(0, NULL);
    return r * 10 + 1;
}

static int awaits(void)
{
    struct coro *c = coro_create(leaf, NULL, 0);
    struct coro *b = coro_create(await_arg, c, 0);
    struct coro *a = coro_create(await_arg, b, 0);
    if (a == NULL || b == NULL || c == NULL)
        return 1;
    long out = 0;
    int rounds = 0;
    while (coro_status(a) != CORO_FINISHED && rounds++ < 20)
        if (coro_resume(a, 0, &out) != 0)
            break;
    int bad = coro_status(a) != CORO_FINISHED || out != 511;
    coro_free(a);
    coro_free(b);
    coro_free(c);
    return bad;
}

static int all(const char *tag)
{
    int bad = 0;
    if (exchange()) {
        fprintf(stderr, "%s: values between coro_resume and coro_yield went wrong\n", tag);
        bad = 1;
    }
    if (generators()) {
        fprintf(stderr, "%s: the generators gave wrong values\n", tag);
        bad = 1;
    }
    if (printers(tag)) {
        fprintf(stderr, "%s: the round-robin printers printed the wrong lines\n", tag);
        bad = 1;
    }
    if (awaits()) {
        fprintf(stderr, "%s: nested awaits gave the wrong result\n", tag);
        bad = 1;
    }
    return bad;
}

static void *thread_main(void *arg)
{
    return (void *)(long)all(arg);
}

int main(void)
{
    pthread_t t[2];
    char *tags[2] = {"t1", "t2"};
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, thread_main, tags[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    int bad = all("main");
    for (int i = 0; i < 2; i++) {
        void *r = NULL;
        pthread_join(t[i], &r);
        bad |= r != NULL;
    }
    return bad;
}

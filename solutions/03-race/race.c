/* 03-race: reference solution. */
#include "race.h"

#include <errno.h>
#include <stdlib.h>

/* ---- Part 1 ------------------------------------------------------------ */

void race_mutex_increment(struct race_counter *c)
{
    /* The read, the add and the write all happen while c->lock is held, and
     * every thread locks this same mutex: no other increment can slip in
     * between our read and our write. */
    pthread_mutex_lock(&c->lock);
    c->value++;
    pthread_mutex_unlock(&c->lock);
}

/* ---- Part 2 ------------------------------------------------------------ */

void race_atomic_increment(atomic_long *counter)
{
    /* One indivisible read-modify-write (a `lock add` on x86-64).  Relaxed:
     * the counter orders no other memory, it only has to lose no count; the
     * join that ends the threads publishes the final value. */
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

/* ---- Part 3 ------------------------------------------------------------ */

/* One shard per cache line: aligned to a line and as big as a line, so no
 * other shard can share it (false sharing). */
struct race_shard {
    _Alignas(RACE_CACHE_LINE) long value;
};

struct race_shards {
    int threads;
    struct race_shard shard[RACE_MAX_THREADS];
};

/* What one thread needs: the shards and its own index. */
struct race_worker {
    struct race_shards *s;
    int index;
    long per_thread;
    pthread_t thread;
};

struct race_shards *race_shards_new(int threads)
{
    if (threads < 1 || threads > RACE_MAX_THREADS)
        return NULL;
    /* aligned_alloc, not malloc: the _Alignas of the shards only holds if
     * the block itself starts on a cache line (size must be a multiple of
     * the alignment, which sizeof already is). */
    struct race_shards *s = aligned_alloc(RACE_CACHE_LINE, sizeof *s);
    if (s == NULL)
        return NULL;
    s->threads = threads;
    for (int i = 0; i < RACE_MAX_THREADS; i++)
        s->shard[i].value = 0;
    return s;
}

long *race_shard(struct race_shards *s, int i)
{
    return &s->shard[i].value;
}

void race_shard_increment(struct race_shards *s, int i)
{
    s->shard[i].value++; /* no lock: only thread i ever touches shard i */
}

static void *shard_worker(void *p)
{
    struct race_worker *w = p;
    for (long n = 0; n < w->per_thread; n++)
        race_shard_increment(w->s, w->index);
    return NULL;
}

int race_shards_run(struct race_shards *s, long per_thread, long *total)
{
    struct race_worker workers[RACE_MAX_THREADS];
    int started = 0, err = 0;
    for (int i = 0; i < s->threads; i++) {
        workers[i] = (struct race_worker){s, i, per_thread, 0};
        err = pthread_create(&workers[i].thread, NULL, shard_worker, &workers[i]);
        if (err != 0)
            break;
        started++;
    }
    for (int i = 0; i < started; i++) {
        int e = pthread_join(workers[i].thread, NULL);
        if (e != 0 && err == 0)
            err = e;
    }
    if (err != 0)
        return err;
    /* Only now: every worker has been joined, so every increment is done and
     * visible to this thread.  Summing earlier would read numbers still
     * being written. */
    long sum = 0;
    for (int i = 0; i < s->threads; i++)
        sum += s->shard[i].value;
    *total = sum;
    return 0;
}

void race_shards_free(struct race_shards *s)
{
    free(s);
}

/* ---- Part 4 ------------------------------------------------------------ */

int race_withdraw(struct race_account *a, long amount)
{
    /* Check and act under one lock: nobody can withdraw between the moment
     * we see enough money and the moment we take it. */
    pthread_mutex_lock(&a->lock);
    int ok = a->balance >= amount;
    if (ok)
        a->balance -= amount;
    pthread_mutex_unlock(&a->lock);
    return ok;
}

int race_withdraw_cas(atomic_long *balance, long amount)
{
    long seen = atomic_load_explicit(balance, memory_order_relaxed);
    /* The check is made again on every try: after a failed compare-exchange
     * `seen` holds the balance as it is now, which may be too small. */
    while (seen >= amount) {
        /* Writes seen - amount only if the balance is still `seen`; if not,
         * copies the current balance into `seen` and fails. */
        if (atomic_compare_exchange_weak_explicit(balance, &seen, seen - amount,
                                                  memory_order_relaxed, memory_order_relaxed))
            return 1;
    }
    return 0;
}

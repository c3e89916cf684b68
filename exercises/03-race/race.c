/* 03-race: your code.  Read race.h first: it says what each function must do.
 * Every function below is a stub that does nothing useful yet. */
#include "race.h"

#include <errno.h>
#include <stdlib.h>

/* ---- Part 1: a counter protected by a mutex ---------------------------- */

void race_mutex_increment(struct race_counter *c)
{
    (void)c; /* TODO: c->value++, with c->lock held around the whole of it */
}

/* ---- Part 2: the same counter, with one atomic instruction ------------- */

void race_atomic_increment(atomic_long *counter)
{
    (void)counter; /* TODO: one atomic read-modify-write */
}

/* ---- Part 3: one counter per thread, summed after the join ------------- */

/* TODO: define the shards, each alone on its cache line. */
struct race_shards {
    int threads;
};

struct race_shards *race_shards_new(int threads)
{
    (void)threads; /* TODO */
    return NULL;
}

long *race_shard(struct race_shards *s, int i)
{
    (void)s; /* TODO */
    (void)i;
    return NULL;
}

void race_shard_increment(struct race_shards *s, int i)
{
    (void)s; /* TODO */
    (void)i;
}

int race_shards_run(struct race_shards *s, long per_thread, long *total)
{
    (void)s; /* TODO: start, join all, then sum */
    (void)per_thread;
    (void)total;
    return ENOSYS;
}

void race_shards_free(struct race_shards *s)
{
    free(s);
}

/* ---- Part 4: check-then-act, a bank account ---------------------------- */

int race_withdraw(struct race_account *a, long amount)
{
    (void)a; /* TODO: check and subtract under a->lock */
    (void)amount;
    return -1;
}

int race_withdraw_cas(atomic_long *balance, long amount)
{
    (void)balance; /* TODO: a compare-and-swap loop */
    (void)amount;
    return -1;
}

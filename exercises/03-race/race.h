/* 03-race: a variable shared by threads, and how to update it safely.
 *
 * You write race.c; this header is the contract and is not edited.
 * Take the parts in order: each one is a different answer to the same
 * question, "how do several threads change one number without losing
 * changes?".
 */
#ifndef RACE_H
#define RACE_H

#include <pthread.h>
#include <stdatomic.h>

/* ---- Part 1: a counter protected by a mutex ---------------------------- */

/* A counter that many threads increment.  `lock` protects `value`: every
 * read and every write of `value` happens while holding `lock`. */
struct race_counter {
    pthread_mutex_t lock;
    long value;
};
#define RACE_COUNTER_INITIALIZER                                                                   \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, 0                                                               \
    }

/* Adds 1 to c->value.  `value++` is three steps (read, add, write back);
 * another thread that runs between them loses an update.  So take c->lock
 * (that mutex, the one every thread shares), do the whole read-add-write,
 * then release it.  One lock and one unlock per call. */
void race_mutex_increment(struct race_counter *c);

/* ---- Part 2: the same counter, with one atomic instruction ------------- */

/* Adds 1 to *counter with one atomic read-modify-write (atomic_fetch_add
 * or atomic_fetch_add_explicit), so that no other thread can act between
 * the read and the write.  An atomic_load followed by an atomic_store is
 * two atomic steps, not one: an increment made between them is lost.
 * A counter only counts: it publishes no other data, so
 * memory_order_relaxed is enough (the final pthread_join is what makes the
 * total visible to the thread that reads it). */
void race_atomic_increment(atomic_long *counter);

/* ---- Part 3: one counter per thread, summed after the join ------------- */

/* A counter split into shards, one per thread: thread i increments only
 * shard i, so threads never touch the same number, and nobody needs a lock
 * or an atomic.  The total is the sum of the shards, read once every thread
 * has been joined.  You define struct race_shards in race.c.
 *
 * Each shard must sit alone on its own cache line (64 bytes on today's
 * x86-64 and ARM machines): the CPU caches move whole lines, so two shards
 * on one line make the cores fight over that line on every increment
 * ("false sharing"), although they never touch each other's number. */
#define RACE_CACHE_LINE 64
#define RACE_MAX_THREADS 16
struct race_shards;

/* Allocates the shards for `threads` threads (1 <= threads <=
 * RACE_MAX_THREADS), all 0.  Returns NULL if it failed. */
struct race_shards *race_shards_new(int threads);

/* The address of shard i (0 <= i < threads): the number thread i counts in. */
long *race_shard(struct race_shards *s, int i);

/* Adds 1 to shard i.  Only thread i calls it for shard i. */
void race_shard_increment(struct race_shards *s, int i);

/* Starts one thread per shard; thread i calls race_shard_increment(s, i)
 * `per_thread` times.  Joins every thread, and only then stores the sum of
 * all the shards in *total.  Returns 0, or the error number of the
 * pthread_create or pthread_join that failed (threads already started are
 * still joined). */
int race_shards_run(struct race_shards *s, long per_thread, long *total);

void race_shards_free(struct race_shards *s);

/* ---- Part 4: check-then-act, a bank account ---------------------------- */

/* An account.  `lock` protects `balance`. */
struct race_account {
    pthread_mutex_t lock;
    long balance;
};
#define RACE_ACCOUNT_INITIALIZER(balance)                                                          \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, (balance)                                                       \
    }

/* Takes `amount` (> 0) from the account if the balance is at least
 * `amount`: returns 1.  Otherwise leaves the balance alone: returns 0.
 * The check ("is there enough?") and the act ("subtract") must be one
 * step: between them another thread may withdraw, and the account would go
 * below zero.  Hold a->lock from before the check until after the
 * subtraction. */
int race_withdraw(struct race_account *a, long amount);

/* The same without a lock, on a balance that is an atomic_long: read the
 * balance, check it, and replace it with balance - amount by
 * atomic_compare_exchange_weak (or _strong), which only writes if the
 * balance is still the value you checked.  If it is not (another thread
 * changed it in between), the compare-exchange fails and hands you the
 * current balance: check again with that value and retry.  Returns 1 when
 * taken, 0 when the balance is below `amount`. */
int race_withdraw_cas(atomic_long *balance, long amount);

#endif

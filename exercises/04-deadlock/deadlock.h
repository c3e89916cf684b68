/* 04-deadlock: find a deadlock, explain it, prevent it.
 *
 * You write deadlock.c; this header is the contract and is not edited.
 * Every pthread_mutex_* call returns 0 or an error number (it does not set
 * errno).
 */
#ifndef DEADLOCK_H
#define DEADLOCK_H

#include <pthread.h>

/* ---- Part 1: transfers in one global lock order ------------------------- */

/* A bank account.  `lock` protects `balance`: read or write the balance only
 * while holding it.  Every account has its own `id`, different from every
 * other account's; ids and addresses never change. */
struct dl_account {
    pthread_mutex_t lock;
    long balance;
    int id;
};
#define DL_ACCOUNT_INIT(id, balance)                                                               \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, (balance), (id)                                                 \
    }

/* What a transfer returns. */
#define DL_OK 0       /* the money moved */
#define DL_NO_FUNDS 1 /* `from` holds less than `amount`: nothing changed */

/* Moves `amount` (> 0) from `from` to `to`, which may be the same account.
 * Both balances change while both locks are held, so no other thread ever
 * sees the money in neither account (or in both).  No balance ever goes
 * below zero: if `from` holds less than `amount`, nothing changes and the
 * result is DL_NO_FUNDS.  Every lock taken is released before returning.
 *
 * Any number of threads may transfer at once, in any direction: a thread
 * moving money from A to B while another moves money from B to A must not
 * deadlock.  Take the two locks in one order that every thread agrees on,
 * whatever the order of the arguments (e.g. the lower id first).  A
 * transfer from an account to itself changes nothing (DL_OK if the balance
 * covers the amount, DL_NO_FUNDS if not) and locks that account's mutex
 * once: a normal mutex locked twice by the same thread never opens. */
int dl_transfer(struct dl_account *from, struct dl_account *to, long amount);

/* ---- Part 2: try, and back off ------------------------------------------ */

/* The same contract as dl_transfer, reached another way: never wait for a
 * lock while holding another one.  Lock `from` (pthread_mutex_lock), then
 * *try* `to` with pthread_mutex_trylock.  If it is busy (EBUSY), release
 * `from`, pause, and start again.  The pause is a back-off, taken with
 * nanosleep (or usleep): random, or growing with each failed attempt, or
 * both, so that two threads that failed together do not retry together
 * again and again (a livelock: both busy, neither gets anywhere).  A
 * transfer from an account to itself locks it once, as in part 1. */
int dl_transfer_try(struct dl_account *from, struct dl_account *to, long amount);

/* ---- Part 3: the dining philosophers ------------------------------------- */

/* Five philosophers sit at a round table with one fork between each two
 * neighbours.  Philosopher i has fork i on the left and fork (i + 1) % 5 on
 * the right: philosopher 4 shares fork 0 with philosopher 0. */
#define DL_PHILOSOPHERS 5

/* What the philosophers do between and during meals; `who` is the
 * philosopher's number, `arg` is diners->arg. */
struct dl_diners {
    void (*think)(int who, void *arg);
    void (*eat)(int who, void *arg);
    void *arg;
};

/* Runs one thread per philosopher, all at the same time, and returns when
 * all of them have finished (it joins them).  Philosopher i, `meals` times
 * over: calls think(i, arg); takes both its forks (locks forks[i] and
 * forks[(i + 1) % 5]); calls eat(i, arg) holding both; puts both down.
 * No deadlock, whatever the timing: if every philosopher picks up the left
 * fork first, all five can hold one fork and wait forever for the second.
 * Returns 0, or the error number pthread_create or pthread_join returned. */
int dl_dine(pthread_mutex_t forks[DL_PHILOSOPHERS], int meals, const struct dl_diners *diners);

#endif

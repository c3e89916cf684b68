/* 04-deadlock: reference solution. */
#define _GNU_SOURCE
#include "deadlock.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* ---- Part 1 ------------------------------------------------------------ */

/* The move itself, with both locks (or the one lock of a self-transfer)
 * held: the check and both writes happen in one step that nobody else can
 * see half done. */
static int move(struct dl_account *from, struct dl_account *to, long amount)
{
    if (from->balance < amount)
        return DL_NO_FUNDS; /* never below zero: refuse, change nothing */
    from->balance -= amount;
    to->balance += amount;
    return DL_OK;
}

int dl_transfer(struct dl_account *from, struct dl_account *to, long amount)
{
    if (from == to) {
        /* One account, one lock: locking it a second time would wait for
         * ourselves forever. */
        pthread_mutex_lock(&from->lock);
        int r = move(from, to, amount);
        pthread_mutex_unlock(&from->lock);
        return r;
    }
    /* The same order for every pair, whatever the argument order: lower id
     * first.  Two threads moving money in opposite directions then both
     * start with the same lock, so one waits before it holds anything, and
     * no cycle of waits can form. */
    struct dl_account *first = from->id < to->id ? from : to;
    struct dl_account *second = first == from ? to : from;
    pthread_mutex_lock(&first->lock);
    pthread_mutex_lock(&second->lock);
    int r = move(from, to, amount);
    /* Only now, with both balances written, may anyone look again. */
    pthread_mutex_unlock(&second->lock);
    pthread_mutex_unlock(&first->lock);
    return r;
}

/* ---- Part 2 ------------------------------------------------------------ */

/* A pause before attempt `attempt` + 1: random within a window that doubles
 * with each failure (up to a cap).  Random, so that two threads that failed
 * together wake at different times; growing, so that under heavy contention
 * the retries thin out instead of flooding the locks. */
static void back_off(int attempt, unsigned *seed)
{
    long window_us = 50L << (attempt < 6 ? attempt : 6); /* 50 us .. 3.2 ms */
    long pause_us = 1 + (long)(rand_r(seed) % (unsigned)window_us);
    struct timespec t = {0, pause_us * 1000L};
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
}

int dl_transfer_try(struct dl_account *from, struct dl_account *to, long amount)
{
    if (from == to)
        return dl_transfer(from, to, amount); /* one lock: nothing to back off from */
    /* Each thread its own seed (its stack address and the accounts differ),
     * so that the pauses of two threads are not the same sequence. */
    unsigned seed = (unsigned)(uintptr_t)&seed ^ (unsigned)(from->id * 7919 + to->id);
    for (int attempt = 0;; attempt++) {
        pthread_mutex_lock(&from->lock); /* holding nothing: waiting here is safe */
        if (pthread_mutex_trylock(&to->lock) == 0)
            break;
        /* Busy: never wait while holding.  Give `from` back so that the
         * thread that holds `to` can finish, then pause before trying again. */
        pthread_mutex_unlock(&from->lock);
        back_off(attempt, &seed);
    }
    int r = move(from, to, amount);
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
    return r;
}

/* ---- Part 3 ------------------------------------------------------------ */

struct philosopher {
    pthread_t thread;
    int who;
    int meals;
    pthread_mutex_t *forks;
    const struct dl_diners *diners;
};

static void *philosopher_main(void *p)
{
    struct philosopher *me = p;
    int left = me->who, right = (me->who + 1) % DL_PHILOSOPHERS;
    /* The global order again: every philosopher takes the lower-numbered
     * fork first.  Philosopher 4 reaches for fork 0 before fork 4, so the
     * five cannot each hold one fork and wait in a circle: one of them
     * waits empty-handed and lets a neighbour eat. */
    pthread_mutex_t *first = &me->forks[left < right ? left : right];
    pthread_mutex_t *second = &me->forks[left < right ? right : left];
    for (int m = 0; m < me->meals; m++) {
        me->diners->think(me->who, me->diners->arg);
        pthread_mutex_lock(first);
        pthread_mutex_lock(second);
        me->diners->eat(me->who, me->diners->arg);
        pthread_mutex_unlock(second);
        pthread_mutex_unlock(first);
    }
    return NULL;
}

int dl_dine(pthread_mutex_t forks[DL_PHILOSOPHERS], int meals, const struct dl_diners *diners)
{
    struct philosopher p[DL_PHILOSOPHERS];
    int started = 0, err = 0;
    for (int i = 0; i < DL_PHILOSOPHERS; i++) {
        p[i] = (struct philosopher){.who = i, .meals = meals, .forks = forks, .diners = diners};
        err = pthread_create(&p[i].thread, NULL, philosopher_main, &p[i]);
        if (err != 0)
            break;
        started++;
    }
    /* Join every philosopher that started, even after a failure: `p` lives
     * on this stack, so nobody may still use it when we return. */
    for (int i = 0; i < started; i++) {
        int e = pthread_join(p[i].thread, NULL);
        if (err == 0)
            err = e;
    }
    return err;
}

/* 04-deadlock: the lock tracker the tests use to watch and steer the code.
 *
 * The test program is linked with
 *   -Wl,--wrap=pthread_mutex_lock -Wl,--wrap=pthread_mutex_trylock
 *   -Wl,--wrap=pthread_mutex_unlock -Wl,--wrap=pthread_cond_wait
 *   -Wl,--wrap=pthread_cond_timedwait -Wl,--wrap=nanosleep -Wl,--wrap=usleep
 *   -Wl,--wrap=clock_nanosleep -Wl,--wrap=sched_yield
 *   -Wl,--wrap=pthread_create -Wl,--wrap=pthread_join
 * so every lock, unlock and pause of the student's code goes through the
 * __wrap_ functions in probes.c first (thread creation, in threads.c).  They keep:
 *   - who holds which mutex and who waits for which one (a waits-for graph):
 *     a thread about to wait for a mutex held by a thread that waits, through
 *     a chain, for a mutex it holds itself closes a cycle, a deadlock, which
 *     is recorded with names ("thread 1 holds account 0 and waits for
 *     account 1; ...") and wakes the test at once;
 *   - the lock-order graph: an edge A -> B each time B is locked (waiting,
 *     not trylock) while A is held.  A cycle in it is a deadlock that can
 *     happen, whether or not this run hung;
 *   - what each thread did, in order (lock, trylock, unlock, pauses);
 *   - mistakes that would hang or corrupt the run: a thread locking a mutex
 *     it already holds gets EDEADLK back instead of waiting forever, an unlock
 *     of a mutex the thread does not hold is recorded and not passed on.
 * The tracker's own lock is taken with __real_ calls, never through the
 * wrappers; the timeout explainer only try-locks it, since it runs while
 * the test's threads may be stuck.
 */
#ifndef PROBES_H
#define PROBES_H

#define _GNU_SOURCE
#include "deadlock.h"
#include "probe.h"

#include <stddef.h>

/* ---- naming what the tests create ---- */
/* Initialises accounts a[0..n-1]: id i, balance balances[i], a fresh mutex
 * known to the tracker as "account i". */
void probe_accounts(struct dl_account *a, int n, const long *balances);
/* Initialises forks f[0..n-1], known to the tracker as "fork i". */
void probe_forks(pthread_mutex_t *f, int n);
/* Names the calling thread in reports (printf format) and makes it one of
 * the participants the gate and probe_wait_done count. */
void probe_label(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The calling participant has finished its work. */
void probe_finished(void);

/* ---- steering ---- */
/* Arms the gate for `participants` threads: the first time a participant
 * gets hold of an account or fork while holding no other, it waits until
 * every participant holds an account or fork, waits for a mutex, keeps
 * finding one busy with trylock, or has finished; or until no other thread
 * can go on by itself (all asleep on a mutex, condition variable or join).
 * No stopwatch decides.  So threads that each take a first
 * lock all do so before any of them reaches for a second one: the
 * interleaving that deadlocks when the order is wrong, made to happen. */
void probe_gate(int participants);
/* The calling thread's next n pthread_mutex_trylock calls made while it
 * holds an account or fork fail with EBUSY, as if another thread held it. */
void probe_force_busy(int n);
/* Waits until `n` participants have finished or a deadlock cycle formed.
 * Returns 1 when all finished; 0 on a deadlock, with the cycle in `why`. */
int probe_wait_done(int n, char *why, size_t size);
/* Makes probe_wait_done return 1 now (the code under test has returned). */
void probe_stop_waiting(void);

/* A meeting point: waits until n threads have called it, or no other
 * thread can go on by itself (e.g. the caller joins each thread before
 * starting the next); returns how many came. */
int probe_meet(int n);
/* Turns, to run threads one after another: probe_turn_wait(k) waits until
 * probe_turn_next has been called k times. */
void probe_turn_wait(int k);
void probe_turn_next(void);

/* ---- what happened ---- */
/* A cycle in the lock-order graph, in words ("account 1 before account 0,
 * and account 0 before account 1"); returns 0 when there is none. */
int probe_order_cycle(char *why, size_t size);

enum probe_kind {
    PROBE_LOCK,       /* pthread_mutex_lock got the mutex */
    PROBE_TRY_OK,     /* pthread_mutex_trylock got it */
    PROBE_TRY_BUSY,   /* pthread_mutex_trylock found it busy (or was made to) */
    PROBE_UNLOCK,     /* pthread_mutex_unlock (or a condition wait) released it */
    PROBE_RELOCK,     /* pthread_mutex_lock of a mutex the thread already held */
    PROBE_BAD_UNLOCK, /* unlock of a mutex the thread did not hold */
    PROBE_SLEEP,      /* nanosleep, usleep or clock_nanosleep */
    PROBE_YIELD,      /* sched_yield */
};

#define PROBE_BALANCES 4

struct probe_event {
    enum probe_kind kind;
    char what[32];                /* "account 0", "fork 3", or the mutex's address */
    int named;                    /* an account or a fork */
    int index;                    /* its number, or -1 */
    int held;                     /* accounts and forks the thread held just before */
    long nanoseconds;             /* PROBE_SLEEP: how long it asked to sleep */
    long balance[PROBE_BALANCES]; /* with probe_watch_balances: the balance
                                     of accounts 0..3 at that moment */
};

/* From now on, every event also records the balances of the first
 * PROBE_BALANCES accounts (single-threaded tests only). */
void probe_watch_balances(void);
/* Forgets the calling thread's events so far. */
void probe_events_reset(void);
/* The calling thread's events since the last reset; returns how many
 * (at most max). */
int probe_events(struct probe_event *out, int max);

/* Accounts and forks the calling thread holds now. */
int probe_holding(void);
/* Whether the calling thread holds mutex m now. */
int probe_holds(const pthread_mutex_t *m);

/* ---- pthread_create made to fail (threads.c) ---- */

/* From now on pthread_create succeeds n more times, then fails with EAGAIN;
 * the threads it started wait, before their start routine, until the first
 * pthread_join call.  Resets the counts below.  n < 0: back to normal. */
void probe_fail_create_after(int n);
/* Since probe_fail_create_after: threads started, and joins that returned 0. */
void probe_creates(int *made, int *joins);

/* A transfer's result in words, for messages: "DL_OK", "DL_NO_FUNDS",
 * "ENOSYS: still the stub". */
const char *probe_said(int r);

/* ---- many.c ---- */
/* Runs 4 threads of 300 random transfers each among 4 accounts with
 * `transfer` (named `name` in messages) and checks every invariant: no
 * deadlock, no balance below zero, no money made or lost. */
void probe_many_transfers(int (*transfer)(struct dl_account *, struct dl_account *, long),
                          const char *name);

#endif

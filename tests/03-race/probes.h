/* 03-race: what the tests use to watch and steer the learner's code.
 *
 * The test program is linked with
 *   -Wl,--wrap=pthread_mutex_lock -Wl,--wrap=pthread_mutex_unlock
 *   -Wl,--wrap=pthread_create -Wl,--wrap=pthread_join
 * so every such call in race.c goes through the __wrap_ functions in
 * probes.c first.  Three instruments:
 *
 * 1. Lock tracking.  While a thread runs one of the learner's operations
 *    through probe_op (or a probe thread), the wrappers record which mutex
 *    it locks, and what the watched value was when the watched mutex was
 *    taken and when it was released: so one call proves whether the whole
 *    read-modify-write happened inside the lock.  A "stop" makes the first
 *    thread that reaches a chosen point (before its lock, holding it, or
 *    just after its unlock) wait there until the test lets it go, while
 *    another thread runs a whole operation: the bad interleaving, on demand.
 *
 * 2. Held workers.  With probe_hold_workers(1), every thread the learner's
 *    code creates waits before running until the learner's code first calls
 *    pthread_join: a sum read before the join then always misses the
 *    increments.
 *
 * 3. Single-stepping (x86-64).  probe_step_run runs a function one machine
 *    instruction at a time (the CPU's trap flag) and, between two chosen
 *    instructions, runs "another thread's" operation from the signal
 *    handler.  Trying every instruction boundary in turn proves whether a
 *    lock-free operation is indivisible, with no luck involved: atomic
 *    instructions cannot be split, a load followed by a store can.
 *
 * No gate waits longer than PROBE_WAIT_SECONDS: the first wait that runs
 * out gives up for everybody, every gate opens, and the test reports what
 * did not happen in time.
 */
#ifndef PROBES_H
#define PROBES_H

#define _GNU_SOURCE
#include "probe.h"
#include "race.h"

#include <pthread.h>
#include <stddef.h>

#define PROBE_WAIT_SECONDS 1.5

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);

/* ---- 1. lock tracking --------------------------------------------------- */

/* Watches mutex m, which protects *value.  Clears the log. */
void probe_watch(pthread_mutex_t *m, const long *value);

struct probe_log {
    int locks;         /* lock calls made inside operations */
    int unlocks;       /* unlock calls made inside operations */
    int watched_locks; /* ... of them on the watched mutex */
    int watched_unlocks;
    const pthread_mutex_t *other; /* the first other mutex locked, or NULL */
    long at_lock;                 /* *value when the watched mutex was first taken */
    long at_unlock;               /* *value when it was first about to be released */
};
void probe_log(struct probe_log *out);

/* Runs fn(arg) on this thread as one "operation": the wrappers record it. */
void probe_op(void (*fn)(void *), void *arg);

/* Where the first operation thread that gets there stops. */
enum probe_stop {
    PROBE_STOP_BEFORE_LOCK,  /* in pthread_mutex_lock, before taking the mutex */
    PROBE_STOP_HOLDING_LOCK, /* in pthread_mutex_lock, with the mutex taken */
    PROBE_STOP_AFTER_UNLOCK, /* in pthread_mutex_unlock, with the mutex released */
};
void probe_stop_first(enum probe_stop where);
/* Waits until a thread has stopped; returns 1 if one did. */
int probe_wait_stopped(void);
/* Waits until `n` lock calls have been made inside operations (a thread
 * about to block on a mutex counts); returns 1 if they were. */
int probe_wait_locks(int n);
/* The mutex the stopped thread holds or took last, and the mutex the last
 * lock call asked for (NULL if none). */
const pthread_mutex_t *probe_stopped_mutex(void);
const pthread_mutex_t *probe_last_asked(void);
/* Lets the stopped thread go on. */
void probe_go(void);

/* An operation on a thread of its own. */
struct probe_thread {
    pthread_t thread;
    void (*fn)(void *);
    void *arg;
};
void probe_thread_start(struct probe_thread *t, void (*fn)(void *), void *arg);
void probe_thread_join(struct probe_thread *t);

/* ---- 2. held workers ---------------------------------------------------- */

/* While on, threads started by pthread_create wait, before their start
 * routine runs, until pthread_join has been called once (or the wait gives
 * up). */
void probe_hold_workers(int on);
int probe_created(void); /* pthread_create calls that succeeded */
/* From now on, pthread_create succeeds n more times, then fails with
 * EAGAIN; n < 0: never fails. */
void probe_fail_create_after(int n);
int probe_joined(void); /* pthread_join calls that returned 0 */
/* From now on, pthread_join call number n (0 the next one) joins its thread
 * all the same but reports EINVAL; n < 0: none does. */
void probe_fail_join_at(int n);
int probe_join_calls(void); /* pthread_join calls, failed ones too */

/* ---- 3. single-stepping ------------------------------------------------- */

#if defined(__x86_64__)
#define PROBE_CAN_STEP 1
#else
#define PROBE_CAN_STEP 0
#endif

/* Most instruction boundaries probe_step_run stops at before it gives up:
 * a lock-free operation is a handful of instructions, a loop that never
 * ends is not.  One step costs a signal, a few microseconds (20 us in a
 * busy virtual machine). */
#define PROBE_STEP_LIMIT 5000
/* Most boundaries of one undisturbed call the tests try one by one: every
 * try runs the whole call again, so the cost grows with the square.  A
 * correct answer takes a few dozen; a printf left inside takes thousands. */
#define PROBE_MAX_TRIED 400

struct probe_step {
    long steps;     /* instruction boundaries passed */
    int finished;   /* fn returned (0: stopped after PROBE_STEP_LIMIT steps) */
    int interfered; /* other() ran */
    void *where;    /* the instruction other() ran just before */
};

/* Runs fn(arg) one instruction at a time.  Just before the instruction that
 * follows boundary `at` (1 for the first), calls other(other_arg), as if
 * another thread ran at that moment.  at = 0: never. */
struct probe_step probe_step_run(void (*fn)(void *), void *arg, long at, void (*other)(void *),
                                 void *other_arg);

/* "race_atomic_increment+0x12" or "0x401234", for messages. */
void probe_code_name(const void *pc, char *buf, size_t size);

#endif

/* 08-parallel: what the tests use to watch the workers.
 *
 * The test program is linked with
 *   -Wl,--wrap=pthread_create -Wl,--wrap=pthread_join -Wl,--wrap=pthread_mutex_lock
 * While a test has armed the probes (probe_arm), every thread the student's
 * code creates is counted and held at a gate until the student's code first
 * calls pthread_join: a total read before the joins then always misses the
 * workers' results, never only when the scheduler happens to be slow.  The
 * probes also count the mutex locks taken by those threads.  No wait lasts
 * longer than PROBE_WAIT_SECONDS: the first that runs out gives up for
 * everybody, so a wrong solution fails in about that long.
 *
 * On x86-64 the probes can also run each worker's start routine one machine
 * instruction at a time (the CPU's trap flag: every instruction ends with a
 * SIGTRAP, handled in the worker's own thread) and count the atomic
 * read-modify-write instructions it executes: those with a LOCK prefix, and
 * XCHG with a memory operand (locked without one).  Every atomic_fetch_add,
 * __atomic_*, __sync_*, compare-exchange loop, seq_cst atomic store and
 * mutex lock is one of them, whatever the compiler or the optimisation
 * level, so the count says how often a worker touched memory another core
 * may share: a few times for a worker that sums into a local variable,
 * once per item for one that adds every item into a shared atomic total. */
#ifndef PROBES_H
#define PROBES_H

#include "parallel.h"
#include "probe.h"

#include <pthread.h>
#include <sched.h>

#define PROBE_WAIT_SECONDS 1.5

int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
int __real_pthread_mutex_lock(pthread_mutex_t *m);

/* From now on, watch the threads the student's code creates. */
void probe_arm(void);

struct probe_counts {
    int created;      /* pthread_create calls */
    int joins;        /* pthread_join calls */
    int locks;        /* pthread_mutex_lock calls made in the created threads */
    int gate_gave_up; /* a created thread waited in vain for the first join */
};
struct probe_counts probe_counts(void);

/* ---- single-stepping the workers (x86-64 only) ----------------------------- */

#if defined(__x86_64__)
#define PROBE_CAN_STEP 1
#else
#define PROBE_CAN_STEP 0
#endif

/* Most instructions stepped in one worker; past them it runs at full speed
 * again (and the count stops there).  A step costs a signal, a few
 * microseconds (some 20 in a busy virtual machine): a worker that sums a
 * few hundred items takes a few thousand. */
#define PROBE_STEP_LIMIT 20000
/* A worker that has executed this many atomic instructions has shown what
 * it does per item: it runs at full speed from there on (a lock per item
 * costs hundreds of steps each, and stepping it to PROBE_STEP_LIMIT would
 * take seconds).  The count stops there too: "at least". */
#define PROBE_ATOMIC_LIMIT 64

/* From now on, the start routine of every watched thread runs one
 * instruction at a time (call after probe_arm).  Returns 0, or -1 where
 * that cannot be done (not x86-64, or the SIGTRAP handler could not be
 * installed). */
int probe_step_workers(void);

struct probe_steps {
    int workers;  /* start routines that ran stepped, to the end */
    int gave_up;  /* of them, those that hit PROBE_STEP_LIMIT or PROBE_ATOMIC_LIMIT */
    long steps;   /* instructions stepped, all workers together */
    long atomics; /* of them, atomic read-modify-write instructions */
    long most;    /* the most atomics one worker executed */
};
struct probe_steps probe_steps(void);

/* What a worker saw while it ran the tests' work function. */
struct probe_seen {
    int ran;          /* the work function was called with this index */
    int calls;        /* how many times */
    int cpu;          /* sched_getcpu() during the work */
    int mask_cpus;    /* CPUs in its own affinity mask during the work */
    int mask_first;   /* the lowest of them */
    int waited_alone; /* it gave up waiting for all the workers to run */
    int running;      /* workers that had arrived when it gave up */
};

/* Work for par_run_pinned / par_run_spread: records what the worker saw in
 * probe_seen(index), then waits (sleeping, never spinning) until all
 * `*(int *)arg` workers have arrived. */
void probe_work(int index, void *arg);
struct probe_seen probe_seen(int index);

/* CPUs of a mask as text ("0,1"), for messages. */
const char *probe_mask_text(const cpu_set_t *set);

#endif

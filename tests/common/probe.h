/* The gate library the exercises' probes share (tests/<ex>/probes.c).
 *
 * A probe is a __wrap_ function that the test program is linked with
 * (exercises.ini `test_ldflags`): it records what the learner's code does
 * and, at chosen points, holds a thread at a gate until the test lets it
 * go, so the interleaving a test needs happens every run.  A gate must
 * never hang a test: every wait of a test shares one deadline, and the
 * first wait that runs out gives up for all of them, so the test reports
 * what did not happen instead of waiting for it.
 *
 * Nothing here calls a function a test may wrap: the clock is read with a
 * system call, the waits use pthread_cond_clockwait, and the gate's lock is
 * the caller's, taken however its probes take it (e.g. __real_ calls). */
#ifndef KATA_PROBE_H
#define KATA_PROBE_H

#include <pthread.h>
#include <time.h>

#define KATA_NS_PER_SECOND 1000000000LL

/* CLOCK_MONOTONIC, never through a wrapper of clock_gettime. */
struct timespec kata_now(void);

/* t moved on by ns nanoseconds (ns >= 0). */
struct timespec kata_ts_add_ns(struct timespec t, long long ns);

/* Whether a comes before b. */
int kata_ts_before(struct timespec a, struct timespec b);

/* t in seconds. */
double kata_ts_seconds(struct timespec t);

/* Waits on c (m held) until it is signalled or CLOCK_MONOTONIC reaches
 * `until`; returns 0 or ETIMEDOUT, like pthread_cond_timedwait. */
int kata_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, struct timespec until);

/* A gate: the caller's lock, a condition variable its probes broadcast
 * (kata_gate_wake) whenever what a waiter looks at changes, and the one
 * deadline of the test. */
struct kata_gate {
    pthread_mutex_t *lock;      /* held around every call below */
    pthread_cond_t changed;     /* broadcast on every change */
    double seconds;             /* how long all the waits may take together */
    struct timespec give_up_at; /* zero until the first wait starts */
    int gave_up;                /* a wait ran out: from now on, nobody waits */
};

#define KATA_GATE(lock_, seconds_)                                                                 \
    {                                                                                              \
        .lock = (lock_), .changed = PTHREAD_COND_INITIALIZER, .seconds = (seconds_)                \
    }

/* Waits (lock held) until ready(what) holds or the test's time runs out;
 * returns ready(what).  poll_ms > 0 also looks every poll_ms ms, for a state
 * nobody signals (a thread falling asleep in the kernel). */
int kata_gate_wait(struct kata_gate *g, int (*ready)(void *), void *what, long poll_ms);

/* Wakes every waiter to look again (lock held). */
void kata_gate_wake(struct kata_gate *g);

#endif

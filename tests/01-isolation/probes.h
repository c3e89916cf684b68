/* 01-isolation: what the tests use to watch and steer the code under test.
 *
 * The test program is linked with
 *   -Wl,--wrap=pthread_create -Wl,--wrap=pthread_join -Wl,--wrap=fork
 * (test_ldflags in exercises.ini), so every call the code under test makes
 * to those functions goes through the __wrap_ functions in probes.c first.
 */
#ifndef ISOLATION_PROBES_H
#define ISOLATION_PROBES_H

#include "kata.h"

#include <stdio.h>
#include <sys/types.h>

/* ---- threads: held until joined ---- */
/* While armed, a thread the code under test starts waits at a gate until
 * pthread_join is called on it: reading its writes before the join always
 * reads them too early. */
void probe_threads_arm(int on);
int probe_threads_started(void); /* threads started while armed */
int probe_threads_joined(void);  /* of those, joined */
/* For kata_on_timeout: says the thread is held until it is joined. */
void probe_explain_gate(FILE *out);

/* ---- fork: made to fail ---- */
/* From now on, fork() succeeds n more times, then fails with EAGAIN, as it
 * does when the process limit is reached; n < 0: never fails. */
void probe_fork_fail_after(int n);
/* fn runs at each fork refused, in the process that called fork (NULL: none). */
void probe_on_fork_refused(void (*fn)(void));
int probe_forks_refused(void); /* forks the wrapper made fail */
/* The child of the nth fork() from now (0: the next one) dies from signal
 * sig as soon as it is born, before fork() returns in it; nth < 0: none. */
void probe_fork_kill_child(int nth, int sig);

/* ---- waitpid and wait: interrupted ---- */
/* The next n calls to waitpid or wait in this process fail at once with
 * EINTR, as when a signal handler runs during the wait. */
void probe_wait_interrupt(int n);
int probe_waits_interrupted(void);

/* ---- read and write: short, interrupted ---- */
/* What read and write do while armed, in this process and in every child
 * it forks from then on (disarm with all zero). */
struct probe_io {
    size_t read_chunk;  /* a read gives at most this many bytes (0: no limit) */
    size_t write_chunk; /* a write takes at most this many bytes (0: no limit) */
    int read_eintr;     /* the first read of each process fails with EINTR */
    int write_eintr;    /* the first write of each process fails with EINTR */
};
void probe_io_arm(struct probe_io how);
/* What this process's reads and writes did since it was armed (or born). */
struct probe_io_seen {
    int reads, short_reads;   /* calls; those that gave less than asked */
    int writes, short_writes; /* calls; those that took less than asked */
    int interrupted;          /* calls made to fail with EINTR */
};
struct probe_io_seen probe_io_seen(void);

/* ---- stdio: flushed by exit() in a child ---- */
/* Runs call(arg) with a line waiting in a stdio buffer of this process and
 * returns how many times that line reached its pipe, or -1 if the test could
 * not set it up: 1 when every child call() forked ended with _exit(), more
 * when a child ended with exit(), which flushes the copy fork gave it.
 * Deterministic: exit() always flushes, _exit() never does. */
int count_flushes(void (*call)(void *), void *arg);

/* The sentence that names the mistake when count_flushes returned copies > 1. */
#define assert_single_flush(copies, what)                                                                              \
    cr_assert(                                                                                                         \
        (copies) == 1,                                                                                                 \
        KATA_MSG("output the caller had buffered with stdio (printf, fputs) but not yet "                              \
                 "written came out %d times instead of once after %s: a child got a copy "                             \
                 "of that buffer at fork, and exit() flushes it; a child must end with "                               \
                 "_exit(), which writes nothing",                                                                      \
                 "调用者用 stdio（printf、fputs）缓冲着、还没写出去的输出在 %2$s 之后出现了 " \
                 "%1$d 次，而不是 1 次：fork 时子进程拿到了这块缓冲区的副本，exit() 又把它"  \
                 "冲刷了出去；子进程必须用 _exit() 结束，它什么都不写",                                                \
                 (copies), (what)))

#endif

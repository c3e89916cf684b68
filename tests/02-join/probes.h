/* 02-join: what the tests use to watch and steer the workers.
 *
 * The test program is linked with
 *   -Wl,--wrap=clock_gettime -Wl,--wrap=pthread_create -Wl,--wrap=pthread_join
 *   -Wl,--wrap=pthread_cond_wait -Wl,--wrap=pthread_setname_np
 * so every call the student's code makes to those functions goes through
 * the __wrap_ functions in probes.c first: they record which clock was
 * read, which threads were created and which joined, who slept on which condition variable and
 * which thread named which.  A thread that names *another* thread is held
 * until that thread has started its work: the latest the race between them
 * can end, so that a worker named from outside always starts unnamed.
 *
 * The workers the tests hand to the student's code hold on gates the test
 * controls.  No gate waits longer than PROBE_WAIT_SECONDS: the first wait that
 * runs out "gives up" for everybody, every gate opens, and the test reports
 * what did not happen in time.  So a wrong solution fails in about that long,
 * never by luck and never by the watchdog.
 */
#ifndef PROBES_H
#define PROBES_H

#define _GNU_SOURCE
#include "join.h"
#include "probe.h"

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#define PROBE_WAIT_SECONDS 1.5
#define PROBE_MAX 16

/* ---- clocks ---- */
int __real_clock_gettime(clockid_t id, struct timespec *ts);
/* From now on, record the clock ids this thread reads (up to PROBE_MAX). */
void probe_clock_record(void);
int probe_clock_calls(clockid_t ids[PROBE_MAX]);
/* From now on, every clock this thread reads is moved forward by one fixed
 * amount chosen so that the first reading ends in .950000000 s: a run of
 * more than 50 ms then always crosses a whole second. */
void probe_clock_shift(void);
void probe_clock_stop(void);

/* ---- what the workers saw ---- */
struct probe_worker {
    int arrived;      /* the work function was called */
    int index;        /* the index it was given */
    void *arg;        /* the arg it was given */
    pid_t tid;        /* its kernel thread id */
    pthread_t self;   /* its pthread_t */
    int gave_up;      /* its gate timed out */
    int running_with; /* workers that had arrived when it gave up */
    int detached;     /* -1 unknown, 0 joinable, 1 detached */
    int finished;     /* its work function returned */
    char name[16];    /* its thread's name when its work function began */
};

struct probe_view {
    int arrived, finished, gave_up;
    struct probe_worker w[PROBE_MAX]; /* by arrival order */
};

/* A copy of what the workers recorded so far. */
void probe_snapshot(struct probe_view *v);
/* Waits (at most PROBE_WAIT_SECONDS in all) until n workers have arrived;
 * returns how many had. */
int probe_wait_arrived(int n);
/* Waits until n workers have finished; returns how many had. */
int probe_wait_finished(int n);
/* Opens the gate held_work waits on. */
void probe_release(void);
/* Whether pthread_join was called on `t` (the wrapper saw it). */
int probe_was_joined(pthread_t t);
/* How many joinable threads have been created so far (a mark), and how many
 * created since mark `from` were never passed to pthread_join. */
int probe_created(void);
int probe_unjoined(int from);
/* From now on, the code under test's pthread_create succeeds n more times,
 * then fails with EAGAIN (n < 0: never fails); a refused call returns once
 * the threads made before it have begun their work.  How many calls the
 * code under test has made so far: */
void probe_fail_create_after(int n);
int probe_create_calls(void);
/* Waits (at most PROBE_WAIT_SECONDS) until the thread of every worker that
 * arrived has ended (its /proc/self/task entry is gone; a joinable thread
 * that ended is gone from there before anyone joins it); 1 if all have. */
int probe_wait_threads_ended(void);
/* Fails the test, naming join_finish and the missing pthread_join, unless
 * every joinable thread created since mark `from` was joined; `who` is the
 * function that has just returned. */
void probe_assert_joined(int from, const char *who);
/* The condition variable of `done` is watched by the pthread_cond_wait
 * wrapper: it records waits on it and opens the gate of wait_gated_work. */
void probe_watch_done(struct join_done *done);
int probe_waited_on_done(void);    /* slept on done->cond while done was 0 */
int probe_waited_after_done(void); /* called pthread_cond_wait although done was 1 */

/* A thread of the test that calls join_wait_done(done) (done is watched). */
struct probe_waiter {
    int sleeps;   /* pthread_cond_wait calls on done->cond while done was 0 */
    int returned; /* join_wait_done has returned */
};
void probe_waiter_start(struct join_done *done);
/* Waits until the waiter has called pthread_cond_wait on done->cond `sleeps`
 * times, or join_wait_done has returned, whichever comes first. */
struct probe_waiter probe_waiter_wait(int sleeps);
/* Once the test has set done: waits for join_wait_done to return and joins
 * the waiter (or leaves it, detached, if it never returns). */
void probe_waiter_end(void);

/* ---- who named whom ---- */
struct probe_naming {
    pthread_t caller; /* the thread that called pthread_setname_np */
    pthread_t target; /* the thread it named */
    char name[16];
};
/* The pthread_setname_np calls so far (up to PROBE_MAX); returns how many. */
int probe_namings(struct probe_naming out[PROBE_MAX]);

/* ---- work functions for the student's workers ---- */
long held_work(int index, void *arg);       /* waits for probe_release */
long joined_work(int index, void *arg);     /* waits until its thread is joined */
long barrier_work(int index, void *arg);    /* waits until *(int *)arg workers run */
long sleepy_work(int index, void *arg);     /* sleeps 20 * (index + 1) ms, returns index */
long detach_work(int index, void *arg);     /* waits for probe_release, then
                                               records whether it is detached */
long wait_gated_work(int index, void *arg); /* waits until the caller sleeps on
                                               the watched done->cond */
long quick_work(int index, void *arg);      /* returns at once */

/* What held_work, joined_work, quick_work, detach_work and wait_gated_work
 * return for worker `index`. */
#define PROBE_RESULT(index) (100L + 7L * (index))

/* The name of thread `tid` of this process ("" if it has ended). */
void probe_thread_name(pid_t tid, char name[64]);

/* An error number in words, for messages: "ENOSYS: still the stub",
 * "EAGAIN: Resource temporarily unavailable". */
const char *probe_error(int err);

#endif

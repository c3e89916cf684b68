/* 07-async: a virtual world for the loop, so that time-based tests are
 * instant and exact.
 *
 * The test program is linked with
 *   -Wl,--wrap=clock_gettime -Wl,--wrap=poll -Wl,--wrap=read
 *   -Wl,--wrap=nanosleep -Wl,--wrap=clock_nanosleep -Wl,--wrap=usleep -Wl,--wrap=sleep
 * so those calls from the student's code reach the __wrap_ functions in
 * probes.c first.  Once a test calls probe_virtual_start(), on the
 * test's thread:
 *   - CLOCK_MONOTONIC reads the virtual clock, in whole milliseconds, from
 *     PROBE_T0; it moves only when the loop waits;
 *   - poll() returns at once what is ready; if nothing is, it moves the clock
 *     to the end of its timeout or to the next scheduled write into a pipe,
 *     whichever comes first, does the writes due by then and reports what
 *     became ready: no real waiting at all;
 *   - a read() that would block on a pipe the probes feed, and every
 *     nanosleep/usleep/sleep, move the clock the same way, as if the thread
 *     had really waited, and are counted (inside a task, that is the
 *     mistake: the whole thread, every task with it, stops);
 *   - every poll's timeout is judged against the timers the tests set (see
 *     "timers" below): too long fails the test at once;
 *   - every poll call is logged (clock, timeout, descriptors), and a loop
 *     that spins (polls with timeout 0 when nothing happened, or reads the
 *     clock without end) is counted, and time is moved on 1 ms per spin so
 *     that it still ends;
 *   - a clock other than CLOCK_MONOTONIC read by the loop fails the test at
 *     the next poll (or when async_run returns): the loop's timers would
 *     then run on the real clock, not the virtual one.
 * Other threads, and the harness, see the real calls.
 */
#ifndef PROBES_H
#define PROBES_H

#define _GNU_SOURCE
#include "async.h"
#include "coro.h"
#include "probe.h"

#include <poll.h>
#include <pthread.h>

#define PROBE_T0 1000000L      /* the virtual clock's first reading, in ms */
#define PROBE_MAX_POLLS 512    /* poll calls logged */
#define PROBE_POLL_FDS 16      /* descriptors logged per poll call */
#define PROBE_WAIT_SECONDS 1.5 /* longest real wait (another thread's wake-up) */

void probe_virtual_start(void);
long probe_now(void);     /* the virtual clock, ms */
long probe_elapsed(void); /* probe_now() - PROBE_T0 */

/* A pipe the probes feed: `first` is written `at` ms from now (virtual),
 * `second` (if not NULL) `gap` ms after that; the write end is closed after
 * the last piece when close_after is set.  Returns the read end. */
int probe_pipe(long at, const char *first, long gap, const char *second, int close_after);

/* ---- slow sources for part 2 ---- */
struct probe_source {
    long delay; /* first piece this long after the source is opened */
    long gap;   /* then the second piece, then the end */
    const char *first, *second;
};
#define PROBE_SOURCES 3
extern const struct probe_source probe_sources[PROBE_SOURCES];
/* An async_open_fn: opens source `index` of probe_sources (arg unused). */
int probe_open(int index, void *arg);
struct probe_opened {
    int opened; /* times opened */
    long at;    /* virtual time of the (last) open, ms after PROBE_T0 */
    int fd;     /* the read end handed out */
};
struct probe_opened probe_opened(int index);

/* Like probe_open, but source PROBE_BROKEN_SOURCE's reads fail with EIO
 * (probe_broken_reads counts them). */
#define PROBE_BROKEN_SOURCE 1
int probe_open_broken(int index, void *arg);
int probe_broken_reads(void);

/* ---- what the probes counted ---- */
struct probe_stats {
    int polls;          /* poll calls on the test thread */
    int polls_in_task;  /* ... made from inside a task (a blocking wait) */
    int spins;          /* empty poll(timeout 0) with no task resumed since the last poll */
    int busy;           /* 1000+ empty poll(timeout 0) in a row */
    int clock_spins;    /* 100000+ clock readings in a row without a wait */
    int sleeps;         /* nanosleep/usleep/sleep/clock_nanosleep calls */
    int sleeps_in_task; /* ... from inside a task */
    int blocked_reads;  /* reads that had to wait for data */
    int blocked_reads_in_task;
    int other_clocks;  /* clock readings other than CLOCK_MONOTONIC */
    int early_polls;   /* poll calls whose timeout ended before any timer was due */
    long early_at;     /* the first of them: virtual ms after PROBE_T0, */
    int early_timeout; /* its timeout, */
    long early_want;   /* and the timeout it should have had (-1: for ever) */
};
struct probe_stats probe_stats(void);

struct probe_poll {
    long at; /* virtual ms after PROBE_T0 when poll was called */
    int timeout;
    int nfds;
    int fds[PROBE_POLL_FDS];
};
/* The logged poll call number i (0 = first). */
struct probe_poll probe_poll_log(int i);
/* Whether poll call i watched fd. */
int probe_poll_watched(int i, int fd);

/* ---- timers: what poll's timeout must be ----
 * The probes cannot see the loop's timers, so the tests tell them: a timer
 * is pending from probe_timer(ms) (due ms from now) until
 * probe_timer_done(handle).  Whenever the loop polls with a timeout other
 * than 0 (0 is judged as a spin, above), that timeout must be exactly the
 * time left until the earliest pending timer, or -1 when none is pending.
 *   - longer (or -1 while a timer is pending): a task would wake late; the
 *     test fails at once, on that poll call;
 *   - shorter, or finite with no timer pending: the loop wakes up for
 *     nothing (a "tick" loop); counted in probe_stats (early_polls), and the
 *     test fails at once only when nothing but another thread could end the
 *     wait (a pipe that no scripted write will fill), since the virtual
 *     clock would then tick on for ever.
 * (Timeouts are not judged inside a task: a poll there is named as a
 * blocking call by probe_run.) */
int probe_timer(long ms);
void probe_timer_done(int handle);
/* From inside a task: async_sleep(ms), with the timer told to the probes. */
void probe_sleep(long ms);

/* A callback, or a task step, that did something: not a spin. */
void probe_progress(void);

/* The next poll of the loop that may wait (timeout other than 0) fails
 * with EINTR, as when a signal arrives meanwhile (probe_run names a loop
 * that then gives up). */
void probe_interrupt_next_wait(void);
/* The next poll of the loop that may wait fails with errno `err` (say
 * ENOMEM), an error that waiting again does not cure. */
void probe_fail_next_wait(int err);
/* The next `count` reads of the pipes the probes feed fail with EINTR
 * before they read anything, as when a signal arrives just then. */
void probe_interrupt_reads(int count);
/* From inside a task: the task computes for ms milliseconds of the virtual
 * clock (not a wait, not a blocking call: it really works that long). */
void probe_busy(long ms);

/* Blocks the calling thread (not the loop's) until the loop's thread waits
 * in poll with no timer to end it; returns 0 if it did not within
 * PROBE_WAIT_SECONDS. */
int probe_wait_loop_idle(void);

/* What the test adds when the loop would wait for ever in poll (a wait
 * that no timer, no pipe and no other thread will end). */
void probe_stuck_hint(const char *en, const char *zh);

/* A new loop, or the test fails saying async_loop_new returned NULL. */
struct async_loop *probe_loop(void);
/* Runs the loop; the test fails if a task blocked the thread (a sleep, a
 * poll, or a read that had to wait, inside a task), if the loop read a clock
 * other than CLOCK_MONOTONIC, if async_run does not return 0, or if it broke
 * a rule of coroutines (coro.h). */
void probe_run(struct async_loop *loop);
/* Spawns, or the test fails. */
void probe_spawn(struct async_loop *loop, async_task_fn fn, void *arg);

/* ---- the other threads (threads.c) ----
 * Also linked with -Wl,--wrap=pthread_mutex_lock -Wl,--wrap=pthread_mutex_trylock
 * -Wl,--wrap=pthread_mutex_unlock -Wl,--wrap=write:
 *   - every thread's held mutexes are known, with the line that locked each:
 *     the loop's thread calling poll with a timeout other than 0 while it
 *     holds one fails the test at once, naming the mutex and that line;
 *   - a write by another thread, holding no mutex, into a pipe the loop
 *     sleeps on (a wake-up) returns only once the loop has handled it (it
 *     polls again, or async_run returns), so that what the thread does after
 *     its wake-up always comes after the loop looked; a lock it takes then is
 *     remembered (a call queued after its wake-up). */
int probe_on_loop_thread(void);
void probe_threads_loop(const struct async_loop *loop);       /* by probe_loop */
void probe_threads_poll(int timeout);                         /* the loop's thread enters poll */
void probe_threads_sleeping(const struct pollfd *fds, int n); /* it sleeps on these */
void probe_threads_awake(void);
/* async_run has returned (probe_run says it; a test that calls async_run
 * itself says it too). */
void probe_loop_returned(void);
/* Whether another thread locked a mutex after its wake-up; if so, which
 * and where, in words. */
int probe_woken_before_queued(char *what, size_t what_size, char *where, size_t where_size);
const char *probe_mutex_words(const pthread_mutex_t *m, char *buf, size_t size);
const char *probe_site_words(const void *site, char *buf, size_t size);

/* What a coroutine misuse means, in words (for messages). */
const char *probe_misuse_words(enum coro_misuse m);

#endif

/* 02-join: threads share memory: start, name, join, time.
 * Read README.md, then replace every TODO.  join.h says what each function
 * must do; `make test EX=02` says what is still missing. */
#define _GNU_SOURCE
#include "join.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- Part 1 ------------------------------------------------------------ */

struct timespec join_now(void)
{
    struct timespec t = {0, 0};
    /* TODO: read CLOCK_MONOTONIC with clock_gettime. */
    return t;
}

struct timespec join_elapsed(struct timespec start, struct timespec end)
{
    struct timespec d = {0, 0};
    /* TODO: end - start, seconds and nanoseconds, with 0 <= tv_nsec < 1e9. */
    (void)start;
    (void)end;
    return d;
}

/* ---- Part 2 ------------------------------------------------------------ */

/* TODO: what a team must remember: how many workers, each one's pthread_t,
 * and what each thread needs to know (its index, work, arg).  The team must
 * live until join_finish, so allocate it with malloc. */
struct join_team {
    int n;
};

/* TODO: a start routine for pthread_create (void *(*)(void *)) that first
 * names its own thread "worker-<i>", then calls work(i, arg), and returns
 * the result as its void * (cast through intptr_t). */

struct join_team *join_start(int n, join_work_fn work, void *arg)
{
    /* TODO: create n threads, one after the other, and return without
     * joining them. */
    (void)n;
    (void)work;
    (void)arg;
    return NULL;
}

int join_finish(struct join_team *team, long results[])
{
    /* TODO: pthread_join each worker, store its result in results[i], free
     * the team. */
    (void)team;
    (void)results;
    return ENOSYS;
}

/* ---- Part 3 ------------------------------------------------------------ */

int join_run_timed(int n, join_work_fn work, void *arg, long results[], struct timespec *elapsed)
{
    /* TODO: join_now, start all, finish all, join_now, join_elapsed.
     * EAGAIN if join_start fails. */
    (void)n;
    (void)work;
    (void)arg;
    (void)results;
    (void)elapsed;
    return ENOSYS;
}

/* ---- Part 4 ------------------------------------------------------------ */

/* TODO: a start routine for the detached thread: run the work, then under
 * done->lock store the result, set done->done and signal done->cond. */

int join_detach(join_work_fn work, void *arg, struct join_done *done)
{
    /* TODO: start a detached thread (pthread_attr_setdetachstate) and return
     * without waiting.  What it needs must outlive this call. */
    (void)work;
    (void)arg;
    (void)done;
    return ENOSYS;
}

long join_wait_done(struct join_done *done)
{
    /* TODO: under done->lock, wait on done->cond while done->done is 0. */
    (void)done;
    return 0;
}

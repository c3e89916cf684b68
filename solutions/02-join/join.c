/* 02-join: reference solution. */
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
    /* MONOTONIC never jumps back when someone changes the wall clock. */
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t;
}

struct timespec join_elapsed(struct timespec start, struct timespec end)
{
    struct timespec d;
    d.tv_sec = end.tv_sec - start.tv_sec;
    d.tv_nsec = end.tv_nsec - start.tv_nsec;
    if (d.tv_nsec < 0) { /* borrow one second, as in subtraction by hand */
        d.tv_sec -= 1;
        d.tv_nsec += 1000000000L;
    }
    return d;
}

/* ---- Part 2 ------------------------------------------------------------ */

struct join_worker {
    int index;
    join_work_fn work;
    void *arg;
    pthread_t thread;
};

struct join_team {
    int n;
    struct join_worker workers[JOIN_MAX_WORKERS];
};

/* The thread's start routine: the result leaves through the return value. */
static void *worker_main(void *p)
{
    struct join_worker *w = p;
    char name[16]; /* Linux thread names hold 15 characters */
    snprintf(name, sizeof name, "worker-%d", w->index);
    /* Named from inside: from outside it could already have ended. */
    int err = pthread_setname_np(pthread_self(), name);
    if (err != 0)
        fprintf(stderr, "could not name %s: error %d\n", name, err);
    return (void *)(intptr_t)w->work(w->index, w->arg);
}

/* Joins the first n workers, storing their results if results is not NULL. */
static int join_workers(struct join_worker *workers, int n, long results[])
{
    int first_error = 0;
    for (int i = 0; i < n; i++) {
        void *ret = NULL;
        int err = pthread_join(workers[i].thread, &ret);
        if (err != 0 && first_error == 0)
            first_error = err;
        if (err == 0 && results != NULL)
            results[i] = (long)(intptr_t)ret; /* safe: read after the join */
    }
    return first_error;
}

struct join_team *join_start(int n, join_work_fn work, void *arg)
{
    if (n < 1 || n > JOIN_MAX_WORKERS || work == NULL)
        return NULL;
    /* On the heap: the team outlives this call while the workers run. */
    struct join_team *team = malloc(sizeof *team);
    if (team == NULL)
        return NULL;
    team->n = n;
    for (int i = 0; i < n; i++) {
        team->workers[i] = (struct join_worker){i, work, arg, 0};
        if (pthread_create(&team->workers[i].thread, NULL, worker_main, &team->workers[i]) != 0) {
            join_workers(team->workers, i, NULL); /* no thread left behind */
            free(team);
            return NULL;
        }
    }
    return team; /* no join here: the workers run while we return */
}

int join_finish(struct join_team *team, long results[])
{
    if (team == NULL)
        return EINVAL;
    int err = join_workers(team->workers, team->n, results);
    free(team); /* every thread has ended: nobody uses the team any more */
    return err;
}

/* ---- Part 3 ------------------------------------------------------------ */

int join_run_timed(int n, join_work_fn work, void *arg, long results[], struct timespec *elapsed)
{
    struct timespec start = join_now();
    /* Start all, then join all: the workers overlap. */
    struct join_team *team = join_start(n, work, arg);
    if (team == NULL)
        return EAGAIN;
    int err = join_finish(team, results);
    *elapsed = join_elapsed(start, join_now());
    return err;
}

/* ---- Part 4 ------------------------------------------------------------ */

/* For calls that fail only on misuse, where no caller could handle it. */
static void must(int err, const char *what)
{
    if (err != 0) {
        fprintf(stderr, "%s failed with error %d\n", what, err);
        abort();
    }
}

struct detached_job {
    join_work_fn work;
    void *arg;
    struct join_done *done;
};

static void *detached_main(void *p)
{
    struct detached_job job = *(struct detached_job *)p;
    free(p); /* nobody else will free it: nobody joins this thread */
    long result = job.work(0, job.arg);
    must(pthread_mutex_lock(&job.done->lock), "pthread_mutex_lock");
    job.done->result = result;
    job.done->done = 1;
    /* Under the lock, so the waiter cannot miss it between check and wait. */
    must(pthread_cond_signal(&job.done->cond), "pthread_cond_signal");
    must(pthread_mutex_unlock(&job.done->lock), "pthread_mutex_unlock");
    return NULL;
}

int join_detach(join_work_fn work, void *arg, struct join_done *done)
{
    /* On the heap: this function returns before the thread reads it. */
    struct detached_job *job = malloc(sizeof *job);
    if (job == NULL)
        return ENOMEM;
    *job = (struct detached_job){work, arg, done};
    pthread_attr_t attr;
    int err = pthread_attr_init(&attr);
    if (err != 0) {
        free(job);
        return err;
    }
    /* Detached from birth: it frees itself when it ends. */
    err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    if (err == 0)
        err = pthread_create(&thread, &attr, detached_main, job);
    must(pthread_attr_destroy(&attr), "pthread_attr_destroy");
    if (err != 0)
        free(job); /* the thread never started, so it will not free it */
    return err;
}

long join_wait_done(struct join_done *done)
{
    must(pthread_mutex_lock(&done->lock), "pthread_mutex_lock");
    while (!done->done) /* a loop: wake-ups can be spurious */
        must(pthread_cond_wait(&done->cond, &done->lock), "pthread_cond_wait");
    long result = done->result;
    must(pthread_mutex_unlock(&done->lock), "pthread_mutex_unlock");
    return result;
}

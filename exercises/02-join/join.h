/* 02-join: threads share memory: start, name, join, time.
 *
 * You write join.c; this header is the contract and is not edited.
 * Every function that calls pthread_* returns 0 or the error number that
 * call returned (pthread functions return an error number, they do not set
 * errno).
 */
#ifndef JOIN_H
#define JOIN_H

#include <pthread.h>
#include <time.h>

/* ---- Part 1: measuring time ------------------------------------------- */

/* The current time on CLOCK_MONOTONIC: a clock that only moves forward,
 * whatever happens to the wall-clock time (NTP, a user changing the date).
 * Use it, and only it, to measure how long something took. */
struct timespec join_now(void);

/* end - start, normalized: 0 <= tv_nsec < 1000000000.
 * Example: start {1, 900000000}, end {3, 100000000} gives {1, 200000000}
 * (1.2 s).  end is never earlier than start. */
struct timespec join_elapsed(struct timespec start, struct timespec end);

/* ---- Part 2: named workers, results through pthread_join -------------- */

/* The work a worker thread does.  `index` is the worker's number (0 for
 * the first one), `arg` is what the caller passed to join_start.  What it
 * returns is the worker's result. */
typedef long (*join_work_fn)(int index, void *arg);

/* A team of running worker threads; you define it in join.c. */
struct join_team;

/* Starts n worker threads (1 <= n <= JOIN_MAX_WORKERS) and returns at once,
 * while they run.  Worker i names itself "worker-<i>" ("worker-0",
 * "worker-1", ...): its start routine calls pthread_setname_np on its own
 * thread before it calls work(i, arg), so that tools such as top -H, gdb and
 * /proc/<pid>/task/<tid>/comm show which is which.  (Named by its creator
 * after pthread_create, a thread may already be running its work, or have
 * ended, when the name lands.)  The calling thread keeps its own name.
 * Returns the team (to give to join_finish), or NULL if it failed; when a
 * pthread_create fails, the workers already started are joined first, so
 * that none is left running with a team that is gone. */
#define JOIN_MAX_WORKERS 16
struct join_team *join_start(int n, join_work_fn work, void *arg);

/* Waits for every worker of the team with pthread_join and stores what
 * worker i's work returned in results[i] (results has room for n).
 * The result travels back through pthread_join, and is read only after the
 * join: that is what makes the worker's write visible to this thread.
 * Frees the team.  Returns 0 or an error number. */
int join_finish(struct join_team *team, long results[]);

/* ---- Part 3: overlapping workers, timed -------------------------------- */

/* Runs n workers as join_start does, waits for all of them as join_finish
 * does, and stores in *elapsed how long that took, measured with join_now
 * and join_elapsed.  The workers run at the same time, so n workers that
 * each sleep take about as long as the longest sleep, not the sum.
 * Returns 0; EAGAIN if join_start failed (it returns NULL, with no error
 * number of its own); or the error number join_finish returned. */
int join_run_timed(int n, join_work_fn work, void *arg, long results[], struct timespec *elapsed);

/* ---- Part 4: a detached worker ----------------------------------------- */

/* How a detached worker tells that it is done: nobody can join it, so it
 * says so itself.  The caller initializes it with JOIN_DONE_INITIALIZER. */
struct join_done {
    pthread_mutex_t lock; /* protects done and result */
    pthread_cond_t cond;  /* signalled when done becomes 1 */
    int done;             /* 0 while the work runs, then 1 */
    long result;          /* what the work returned, valid once done is 1 */
};
#define JOIN_DONE_INITIALIZER                                                                      \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0                                  \
    }

/* Starts one detached thread ("fire and forget") that runs work(0, arg),
 * then, holding done->lock, stores the result in done->result, sets
 * done->done to 1 and signals done->cond.  Returns at once, while the work
 * runs; the thread must be detached so that its resources are freed when it
 * ends, since nobody will join it.  Returns 0 or an error number. */
int join_detach(join_work_fn work, void *arg, struct join_done *done);

/* Waits until the detached worker has set done->done, sleeping on
 * done->cond (no busy loop), and returns done->result.  Returns at once if
 * the worker had already finished. */
long join_wait_done(struct join_done *done);

#endif

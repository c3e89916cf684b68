/* 07-async: an event loop, a tiny asyncio.
 *
 * You write async.c; this header is the contract and is not edited.
 * The coroutines are given (coro.h): a task is a coroutine that the loop
 * resumes, and that suspends itself whenever it would have to wait.
 *
 * One thread runs the loop and every task on it.  Nothing in a task may
 * block that thread: a task that must wait (for time to pass, for a
 * descriptor, for a future) tells the loop what it waits for and suspends;
 * the loop waits for all of them at once, in one poll().
 */
#ifndef ASYNC_H
#define ASYNC_H

#include <stddef.h>

/* The loop; you define it in async.c. */
struct async_loop;

/* What a task runs.  It returns when the task is done. */
typedef void (*async_task_fn)(void *arg);

/* At most this many tasks, and this many descriptors waited on, at once. */
#define ASYNC_MAX_TASKS 64

/* ---- Part 1: the loop ----------------------------------------------------- */

/* The loop's clock: CLOCK_MONOTONIC in whole milliseconds.  Every time the
 * loop and its tasks use (sleep, timers) is read from this function. */
long async_now_ms(void);

/* A new loop with no tasks, or NULL if out of memory.  The loop owns what it
 * opens (e.g. its wake-up pipe) until async_loop_free; its descriptors are
 * close-on-exec (O_CLOEXEC), so that a program the process runs later never
 * inherits them. */
struct async_loop *async_loop_new(void);

/* Frees the loop (after async_run has returned), and closes every
 * descriptor it opened: the tests fail a test that leaves one open. */
void async_loop_free(struct async_loop *loop);

/* Adds a task that will run fn(arg) as a coroutine.  It does not run now:
 * it is ready, and starts when the loop next runs its ready tasks (spawn
 * before async_run, or from a task or a callback while the loop runs).
 * Returns 0, or -1 if there is no room (ASYNC_MAX_TASKS) or no memory. */
int async_spawn(struct async_loop *loop, async_task_fn fn, void *arg);

/* Runs the loop until every task has finished (and, from part 3, no
 * callback is due any more).  One turn of the loop:
 *   1. resume each task that is ready, once, in the order it became ready;
 *      free the ones that finished;
 *   2. (part 3) run each callback that is due, in the order they were made;
 *   3. if nothing is left, return 0;
 *   4. wait in ONE call to poll() for every descriptor a task waits on,
 *      with a timeout that ends when the earliest timer is due (-1 when
 *      there is no timer, 0 only when something is already ready to run);
 *   5. make ready each task whose descriptor poll reported (readable, hung
 *      up or in error) and each task whose timer is due, and stop watching
 *      what they waited for.
 * Returns -1 if poll fails (other than EINTR, after which it polls again). */
int async_run(struct async_loop *loop);

/* From inside a task: suspends the task for ms milliseconds of the loop's
 * clock; the other tasks run meanwhile.  Never blocks the thread. */
void async_sleep(long ms);

/* From inside a task: suspends the task until fd is readable (or hung up:
 * a read will then return at once).  Returns 0, or -1 if there is no room. */
int async_await_readable(int fd);

/* ---- Part 2: synchronous vs asynchronous ---------------------------------- */

/* A slow source: open(index, arg) sends request `index` and returns at once
 * with the read end of a pipe (or -1).  The answer arrives on it later, in
 * one or more pieces, and then the pipe ends (read returns 0). */
typedef int (*async_open_fn)(int index, void *arg);

#define ASYNC_ANSWER_MAX 256
struct async_answer {
    char data[ASYNC_ANSWER_MAX]; /* the bytes that arrived, in order */
    size_t len;                  /* how many */
};

/* Synchronous: for each source in turn, open it, read (a blocking read)
 * until the pipe ends, close it; then the next one.  The caller waits for
 * each answer before asking for the next: the times add up.
 * Fills answers[0..n-1]; returns 0, or -1 if an open or read failed. */
int fetch_sync(int n, async_open_fn open, void *arg, struct async_answer answers[]);

/* Asynchronous: on a new loop, one task per source.  Each task opens its
 * source, then, until the pipe ends: awaits readable, reads what is there
 * (one read), stores it; then closes it.  All the requests are out at
 * once, so the whole takes about as long as the slowest source.
 * Fills answers[0..n-1]; returns 0, or -1 if something failed. */
int fetch_async(int n, async_open_fn open, void *arg, struct async_answer answers[]);

/* ---- Part 3: futures and callbacks ---------------------------------------- */

/* A value that is not there yet; you define it in async.c. */
struct async_future;

/* What a callback runs. */
typedef void (*async_callback_fn)(void *arg);

/* A new pending future of the loop, or NULL. */
struct async_future *async_future_new(struct async_loop *loop);
void async_future_free(struct async_future *f);

/* Whether f has its value. */
int async_future_done(const struct async_future *f);

/* Gives f its value.  Every task that awaits f becomes ready: it runs
 * later, when the loop resumes it, never inside this call.  Call it on the
 * loop's thread (from a task or a callback).  Returns 0, or -1 if f was
 * done already (the first value stays). */
int async_future_set(struct async_future *f, long value);

/* From inside a task: f's value, once f is done.  If it is not done yet, the
 * task suspends until it is; if it is, returns at once. */
long async_await(struct async_future *f);

/* Runs fn(arg) on the loop at its next turn, after the tasks ready now.
 * Call it on the loop's thread.  Returns 0, or -1 if out of memory. */
int async_call_soon(struct async_loop *loop, async_callback_fn fn, void *arg);

/* Runs fn(arg) on the loop once ms milliseconds of its clock have passed.
 * Call it on the loop's thread.  Returns 0, or -1 if out of memory. */
int async_call_later(struct async_loop *loop, long ms, async_callback_fn fn, void *arg);

/* The one function another thread may call: asks the loop to run fn(arg)
 * on the loop's own thread, and wakes the loop if it is waiting in poll
 * (by writing to a pipe the loop watches).  The loop keeps running while
 * such a call is pending: call it only while some task still waits.
 * Returns 0, or -1 if out of memory. */
int async_call_threadsafe(struct async_loop *loop, async_callback_fn fn, void *arg);

#endif

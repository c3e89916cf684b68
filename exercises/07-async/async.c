/* 07-async: an event loop, a tiny asyncio.
 * Read README.md, then replace every TODO.  async.h says what each function
 * must do, coro.h how to use the coroutines (given, not edited);
 * `make test EX=07` says what is still missing. */
#define _GNU_SOURCE
#include "async.h"

#include "coro.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* ---- Part 1 ------------------------------------------------------------ */

/* TODO: a task: its coroutine, its function and arg, and what it waits for
 * now (nothing / ready / a timer: when / a descriptor: which / part 3: a
 * future).  One thing at a time. */
struct task {
    struct coro *coro;
};

/* TODO: the loop: its live tasks, a first-in first-out queue of ready
 * tasks, and (part 3) callbacks and what other threads asked for. */
struct async_loop {
    int ntasks;
};

long async_now_ms(void)
{
    /* TODO: CLOCK_MONOTONIC, in whole milliseconds. */
    return 0;
}

struct async_loop *async_loop_new(void)
{
    /* TODO: allocate an empty loop (part 3: and its wake-up pipe). */
    return NULL;
}

void async_loop_free(struct async_loop *loop)
{
    /* TODO: free the tasks left, the callbacks, the loop. */
    free(loop);
}

int async_spawn(struct async_loop *loop, async_task_fn fn, void *arg)
{
    /* TODO: a task with a coroutine (coro_new) that runs fn(arg); put it in
     * the ready queue.  Do not run it here. */
    (void)loop;
    (void)fn;
    (void)arg;
    return -1;
}

int async_run(struct async_loop *loop)
{
    /* TODO: the turn of async.h, again and again: resume the ready tasks
     * (coro_resume), run due callbacks, return when nothing is left, poll
     * every awaited descriptor with the timeout to the earliest timer, make
     * ready whoever's descriptor or timer is due. */
    (void)loop;
    return -1;
}

void async_sleep(long ms)
{
    /* TODO: note when the running task must wake, then coro_suspend(). */
    (void)ms;
}

int async_await_readable(int fd)
{
    /* TODO: note which descriptor the running task waits for, then
     * coro_suspend(). */
    (void)fd;
    return -1;
}

/* ---- Part 2 ------------------------------------------------------------ */

int fetch_sync(int n, async_open_fn open, void *arg, struct async_answer answers[])
{
    /* TODO: one source after another: open, read until 0, close. */
    (void)n;
    (void)open;
    (void)arg;
    (void)answers;
    return -1;
}

int fetch_async(int n, async_open_fn open, void *arg, struct async_answer answers[])
{
    /* TODO: a loop with one task per source; each task opens its source,
     * then awaits readable and reads once, until the pipe ends. */
    (void)n;
    (void)open;
    (void)arg;
    (void)answers;
    return -1;
}

/* ---- Part 3 ------------------------------------------------------------ */

/* TODO: a future: its loop, whether it is done, its value, the tasks that
 * await it. */
struct async_future {
    int done;
};

struct async_future *async_future_new(struct async_loop *loop)
{
    /* TODO */
    (void)loop;
    return NULL;
}

void async_future_free(struct async_future *f)
{
    free(f);
}

int async_future_done(const struct async_future *f)
{
    /* TODO */
    (void)f;
    return 0;
}

int async_future_set(struct async_future *f, long value)
{
    /* TODO: store the value, make every waiting task ready (do not resume
     * them here). */
    (void)f;
    (void)value;
    return -1;
}

long async_await(struct async_future *f)
{
    /* TODO: if f is not done, register the running task as a waiter and
     * coro_suspend(); then return the value. */
    (void)f;
    return 0;
}

int async_call_soon(struct async_loop *loop, async_callback_fn fn, void *arg)
{
    /* TODO: a callback due at once, run by the loop at its next turn. */
    (void)loop;
    (void)fn;
    (void)arg;
    return -1;
}

int async_call_later(struct async_loop *loop, long ms, async_callback_fn fn, void *arg)
{
    /* TODO: a callback due ms from now, on the loop's clock. */
    (void)loop;
    (void)ms;
    (void)fn;
    (void)arg;
    return -1;
}

int async_call_threadsafe(struct async_loop *loop, async_callback_fn fn, void *arg)
{
    /* TODO: another thread calls this: add the callback to a list behind a
     * mutex, then write a byte to the loop's wake-up pipe. */
    (void)loop;
    (void)fn;
    (void)arg;
    return -1;
}

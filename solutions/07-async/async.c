/* 07-async: an event loop, a tiny asyncio (reference solution). */
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

/* What a task is waiting for.  Exactly one at a time: that is what lets
 * the loop wake a task once, for the one thing it asked. */
enum wait_kind { WAIT_NONE, WAIT_READY, WAIT_TIMER, WAIT_FD, WAIT_FUTURE };

struct task {
    struct coro *coro;
    async_task_fn fn;
    void *arg;
    enum wait_kind waiting;
    long wake_at; /* WAIT_TIMER: when, on the loop's clock */
    int fd;       /* WAIT_FD: which descriptor */
};

struct callback {
    async_callback_fn fn;
    void *arg;
    long due; /* on the loop's clock; -1: at the next turn */
    struct callback *next;
};

struct async_loop {
    struct task *tasks[ASYNC_MAX_TASKS]; /* live tasks, in spawn order */
    int ntasks;
    struct task *ready[ASYNC_MAX_TASKS]; /* FIFO of tasks to resume */
    int nready;
    struct callback *callbacks, *last; /* in the order they were made */
    /* The only state another thread touches: behind `lock`. */
    pthread_mutex_t lock;
    struct callback *foreign, *foreign_last;
    int wake[2]; /* a byte written to wake[1] makes poll return */
};

/* The task the loop has just resumed: tasks call sleep and the awaits
 * without a loop argument, as in asyncio. */
static __thread struct task *running_task;

long async_now_ms(void)
{
    struct timespec t;
    /* MONOTONIC: timers must not jump when someone sets the date. */
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct async_loop *async_loop_new(void)
{
    struct async_loop *loop = calloc(1, sizeof *loop);
    if (loop == NULL)
        return NULL;
    if (pipe2(loop->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        free(loop);
        return NULL;
    }
    pthread_mutex_init(&loop->lock, NULL);
    return loop;
}

static void free_callbacks(struct callback *c)
{
    while (c != NULL) {
        struct callback *next = c->next;
        free(c);
        c = next;
    }
}

void async_loop_free(struct async_loop *loop)
{
    if (loop == NULL)
        return;
    for (int i = 0; i < loop->ntasks; i++) {
        coro_free(loop->tasks[i]->coro);
        free(loop->tasks[i]);
    }
    free_callbacks(loop->callbacks);
    free_callbacks(loop->foreign);
    close(loop->wake[0]);
    close(loop->wake[1]);
    pthread_mutex_destroy(&loop->lock);
    free(loop);
}

/* The only way a task becomes runnable: one entry in the FIFO per wake-up,
 * and `waiting` says it is already there, so it is never queued twice. */
static void make_ready(struct async_loop *loop, struct task *t)
{
    t->waiting = WAIT_READY;
    loop->ready[loop->nready++] = t;
}

static void run_task(void *p)
{
    struct task *t = p;
    t->fn(t->arg);
}

int async_spawn(struct async_loop *loop, async_task_fn fn, void *arg)
{
    if (loop->ntasks == ASYNC_MAX_TASKS)
        return -1;
    struct task *t = calloc(1, sizeof *t);
    if (t == NULL)
        return -1;
    t->fn = fn;
    t->arg = arg;
    t->coro = coro_new(run_task, t);
    if (t->coro == NULL) {
        free(t);
        return -1;
    }
    loop->tasks[loop->ntasks++] = t;
    make_ready(loop, t); /* it starts at the loop's next turn, not now */
    return 0;
}

static void forget_task(struct async_loop *loop, struct task *t)
{
    int i = 0;
    while (i < loop->ntasks && loop->tasks[i] != t)
        i++;
    for (; i + 1 < loop->ntasks; i++) /* keep spawn order: timers due together wake in it */
        loop->tasks[i] = loop->tasks[i + 1];
    loop->ntasks--;
    coro_free(t->coro);
    free(t);
}

/* Step 1: only the tasks that are ready now; a task made ready meanwhile
 * waits for the next turn, so that one busy task cannot starve the rest. */
static void run_ready(struct async_loop *loop)
{
    struct task *now[ASYNC_MAX_TASKS];
    int n = loop->nready;
    for (int i = 0; i < n; i++)
        now[i] = loop->ready[i];
    loop->nready = 0;
    for (int i = 0; i < n; i++) {
        struct task *t = now[i];
        t->waiting = WAIT_NONE;
        running_task = t;
        int finished = coro_resume(t->coro);
        running_task = NULL;
        if (finished == 1)
            forget_task(loop, t);
    }
}

/* ---- Part 3 helpers, used by the loop ------------------------------------ */

static void append_callback(struct async_loop *loop, struct callback *c)
{
    c->next = NULL;
    if (loop->last != NULL)
        loop->last->next = c;
    else
        loop->callbacks = c;
    loop->last = c;
}

/* Moves what other threads asked for into the loop's own list; from here
 * on only the loop's thread touches it. */
static void take_foreign(struct async_loop *loop)
{
    char buf[64];
    while (read(loop->wake[0], buf, sizeof buf) > 0)
        ; /* non-blocking: empty the pipe, one wake-up covers every call */
    pthread_mutex_lock(&loop->lock);
    struct callback *c = loop->foreign;
    loop->foreign = loop->foreign_last = NULL;
    pthread_mutex_unlock(&loop->lock);
    while (c != NULL) {
        struct callback *next = c->next;
        append_callback(loop, c);
        c = next;
    }
}

static int foreign_pending(struct async_loop *loop)
{
    pthread_mutex_lock(&loop->lock);
    int pending = loop->foreign != NULL;
    pthread_mutex_unlock(&loop->lock);
    return pending;
}

/* Step 2: the callbacks that are due, made before this turn began; a
 * callback that makes another one leaves it for the next turn. */
static void run_callbacks(struct async_loop *loop)
{
    struct callback *end = loop->last;
    if (end == NULL)
        return;
    long now = async_now_ms();
    struct callback **link = &loop->callbacks, *prev = NULL;
    for (;;) {
        struct callback *c = *link;
        int is_end = c == end;
        if (c->due < 0 || c->due <= now) {
            *link = c->next;
            if (loop->last == c)
                loop->last = prev;
            c->fn(c->arg);
            free(c);
        } else {
            prev = c;
            link = &c->next;
        }
        if (is_end)
            break;
    }
}

/* ---- the loop ------------------------------------------------------------ */

/* Step 4: how long poll may sleep.  0 only when something can run now;
 * otherwise exactly until the earliest timer (now is truncated to the ms,
 * so poll never wakes before the timer is due); -1 (forever) when there is
 * no timer at all.  Not a fixed "check every second" nor a 10 ms tick: a
 * longer timeout wakes the timer late, a shorter one wakes the thread for
 * nothing, over and over. */
static int poll_timeout(struct async_loop *loop)
{
    if (loop->nready > 0)
        return 0;
    long earliest = -1;
    for (int i = 0; i < loop->ntasks; i++)
        if (loop->tasks[i]->waiting == WAIT_TIMER &&
            (earliest < 0 || loop->tasks[i]->wake_at < earliest))
            earliest = loop->tasks[i]->wake_at;
    for (struct callback *c = loop->callbacks; c != NULL; c = c->next) {
        if (c->due < 0)
            return 0;
        if (earliest < 0 || c->due < earliest)
            earliest = c->due;
    }
    if (earliest < 0)
        return -1;
    long left = earliest - async_now_ms();
    return left < 0 ? 0 : (int)left;
}

int async_run(struct async_loop *loop)
{
    for (;;) {
        run_ready(loop);
        run_callbacks(loop);
        if (loop->ntasks == 0 && loop->callbacks == NULL && !foreign_pending(loop))
            break;

        /* The wake-up pipe first, then every descriptor a task waits on:
         * the watch set is rebuilt each turn from what tasks wait for now,
         * so a descriptor nobody waits on any more is never polled. */
        struct pollfd fds[ASYNC_MAX_TASKS + 1];
        struct task *owner[ASYNC_MAX_TASKS + 1];
        int nfds = 0;
        fds[nfds] = (struct pollfd){.fd = loop->wake[0], .events = POLLIN};
        owner[nfds++] = NULL;
        for (int i = 0; i < loop->ntasks; i++)
            if (loop->tasks[i]->waiting == WAIT_FD) {
                fds[nfds] = (struct pollfd){.fd = loop->tasks[i]->fd, .events = POLLIN};
                owner[nfds++] = loop->tasks[i];
            }

        /* The one place the thread waits: for every task at once. */
        int r = poll(fds, (nfds_t)nfds, poll_timeout(loop));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }

        /* Step 5: wake each task for the one thing it waited for. */
        for (int i = 1; i < nfds; i++)
            if (fds[i].revents != 0 && owner[i]->waiting == WAIT_FD)
                make_ready(loop, owner[i]);
        if (fds[0].revents != 0)
            take_foreign(loop);
        long now = async_now_ms();
        for (int i = 0; i < loop->ntasks; i++)
            if (loop->tasks[i]->waiting == WAIT_TIMER && loop->tasks[i]->wake_at <= now)
                make_ready(loop, loop->tasks[i]);
    }
    return 0;
}

void async_sleep(long ms)
{
    struct task *t = running_task;
    if (t == NULL)
        return;
    /* Not nanosleep: that would stop the whole thread, and every other task
     * with it.  Record the deadline and give the thread back to the loop. */
    t->wake_at = async_now_ms() + (ms > 0 ? ms : 0);
    t->waiting = WAIT_TIMER;
    coro_suspend();
}

int async_await_readable(int fd)
{
    struct task *t = running_task;
    if (t == NULL)
        return -1;
    t->fd = fd;
    t->waiting = WAIT_FD;
    coro_suspend();
    return 0;
}

/* ---- Part 2 -------------------------------------------------------------- */

int fetch_sync(int n, async_open_fn open, void *arg, struct async_answer answers[])
{
    for (int i = 0; i < n; i++) {
        answers[i].len = 0;
        int fd = open(i, arg);
        if (fd < 0)
            return -1;
        /* A blocking read: the caller does nothing else until this answer is
         * complete, and only then asks for the next one. */
        for (;;) {
            size_t room = ASYNC_ANSWER_MAX - answers[i].len;
            ssize_t got = read(fd, answers[i].data + answers[i].len, room);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0) {
                close(fd);
                return -1;
            }
            if (got == 0 || room == 0)
                break;
            answers[i].len += (size_t)got;
        }
        close(fd);
    }
    return 0;
}

struct fetch {
    async_open_fn open;
    void *arg;
    int index;
    struct async_answer *answer;
    int failed;
};

static void fetch_task(void *p)
{
    struct fetch *f = p;
    f->answer->len = 0;
    int fd = f->open(f->index, f->arg);
    if (fd < 0) {
        f->failed = 1;
        return;
    }
    for (;;) {
        /* Wait on the loop, not in read: read only once poll has said there
         * is something, and then only once, since a second read could
         * block the thread until more arrives. */
        if (async_await_readable(fd) != 0) {
            f->failed = 1;
            break;
        }
        size_t room = ASYNC_ANSWER_MAX - f->answer->len;
        ssize_t got = read(fd, f->answer->data + f->answer->len, room);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got < 0) {
            f->failed = 1;
            break;
        }
        if (got == 0 || room == 0)
            break;
        f->answer->len += (size_t)got;
    }
    close(fd);
}

int fetch_async(int n, async_open_fn open, void *arg, struct async_answer answers[])
{
    struct fetch fetches[ASYNC_MAX_TASKS];
    if (n > ASYNC_MAX_TASKS)
        return -1;
    struct async_loop *loop = async_loop_new();
    if (loop == NULL)
        return -1;
    int failed = 0;
    for (int i = 0; i < n; i++) {
        fetches[i] = (struct fetch){open, arg, i, &answers[i], 0};
        if (async_spawn(loop, fetch_task, &fetches[i]) != 0)
            failed = 1;
    }
    /* Every request goes out in the first turn; the loop then waits for
     * whichever answer comes first. */
    if (async_run(loop) != 0)
        failed = 1;
    for (int i = 0; i < n; i++)
        failed |= fetches[i].failed;
    async_loop_free(loop);
    return failed ? -1 : 0;
}

/* ---- Part 3 -------------------------------------------------------------- */

struct async_future {
    struct async_loop *loop;
    int done;
    long value;
    struct task *waiters[ASYNC_MAX_TASKS];
    int nwaiters;
};

struct async_future *async_future_new(struct async_loop *loop)
{
    struct async_future *f = calloc(1, sizeof *f);
    if (f != NULL)
        f->loop = loop;
    return f;
}

void async_future_free(struct async_future *f)
{
    free(f);
}

int async_future_done(const struct async_future *f)
{
    return f->done;
}

int async_future_set(struct async_future *f, long value)
{
    if (f->done)
        return -1;
    f->value = value;
    f->done = 1;
    /* Wake the waiters, do not run them: the task that set the value goes
     * on until it suspends, and the loop resumes the waiters afterwards. */
    for (int i = 0; i < f->nwaiters; i++)
        if (f->waiters[i]->waiting == WAIT_FUTURE)
            make_ready(f->loop, f->waiters[i]);
    f->nwaiters = 0;
    return 0;
}

long async_await(struct async_future *f)
{
    struct task *t = running_task;
    /* Already done: nothing to wait for, and suspending here would wait for
     * a wake-up that has already happened. */
    if (!f->done && t != NULL && f->nwaiters < ASYNC_MAX_TASKS) {
        f->waiters[f->nwaiters++] = t;
        t->waiting = WAIT_FUTURE;
        coro_suspend();
    }
    return f->value;
}

static int add_callback(struct async_loop *loop, long due, async_callback_fn fn, void *arg)
{
    struct callback *c = malloc(sizeof *c);
    if (c == NULL)
        return -1;
    *c = (struct callback){fn, arg, due, NULL};
    append_callback(loop, c);
    return 0;
}

int async_call_soon(struct async_loop *loop, async_callback_fn fn, void *arg)
{
    return add_callback(loop, -1, fn, arg);
}

int async_call_later(struct async_loop *loop, long ms, async_callback_fn fn, void *arg)
{
    return add_callback(loop, async_now_ms() + (ms > 0 ? ms : 0), fn, arg);
}

int async_call_threadsafe(struct async_loop *loop, async_callback_fn fn, void *arg)
{
    struct callback *c = malloc(sizeof *c);
    if (c == NULL)
        return -1;
    *c = (struct callback){fn, arg, -1, NULL};
    /* Another thread: it must not touch the loop's own lists, nor run fn
     * itself.  It leaves the call in a list behind the mutex ... */
    pthread_mutex_lock(&loop->lock);
    if (loop->foreign_last != NULL)
        loop->foreign_last->next = c;
    else
        loop->foreign = c;
    loop->foreign_last = c;
    pthread_mutex_unlock(&loop->lock);
    /* ... and wakes the loop, which may be asleep in poll for a long time.
     * A full pipe already holds a wake-up, so EAGAIN is fine. */
    char byte = 1;
    while (write(loop->wake[1], &byte, 1) < 0 && errno == EINTR)
        ;
    return 0;
}

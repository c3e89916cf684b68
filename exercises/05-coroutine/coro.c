/* 05-coroutine: suspension you can see.
 * Read README.md, then replace every TODO.  coro.h says what each function
 * must do; `make test EX=05` says what is still missing. */
#define _GNU_SOURCE
#include "coro.h"

#include <errno.h>
#include <stdlib.h>
#include <ucontext.h>
#include <valgrind/valgrind.h>

/* ---- Part 1 ------------------------------------------------------------ */

/* TODO: what a coroutine must remember: its context (where it stopped), its
 * resumer's context (where to go back to), fn and arg, its state, the value
 * travelling between resume and yield, its result, its stack (and the id
 * VALGRIND_STACK_REGISTER gave it), and which coroutine resumed it. */
struct coro {
    enum coro_state state;
};

/* TODO: the coroutine running on this thread: one per thread (__thread). */

/* TODO: a start function for makecontext (it takes no arguments: find the
 * coroutine through the current one), which calls fn(arg, first), keeps the
 * result and marks the coroutine finished.  When it returns, uc_link decides
 * where control goes. */

struct coro *coro_create(coro_fn fn, void *arg, size_t stack_size)
{
    /* TODO: allocate the coroutine and its stack (malloc), getcontext, set
     * uc_stack and uc_link, makecontext, VALGRIND_STACK_REGISTER. */
    (void)fn;
    (void)arg;
    (void)stack_size;
    return NULL;
}

int coro_resume(struct coro *co, long in, long *out)
{
    /* TODO: refuse a finished or running coroutine; remember who resumes it,
     * make it current, swapcontext to it; when it comes back, restore the
     * current coroutine and hand over the value. */
    (void)co;
    (void)in;
    (void)out;
    return ENOSYS;
}

int coro_yield(long out, long *in)
{
    /* TODO: EPERM with no coroutine running; otherwise leave the value,
     * become suspended, swapcontext back to the resumer; once resumed, read
     * the value sent in. */
    (void)out;
    (void)in;
    return ENOSYS;
}

enum coro_state coro_status(const struct coro *co)
{
    /* TODO */
    (void)co;
    return -1;
}

struct coro *coro_current(void)
{
    /* TODO */
    return NULL;
}

void *coro_stack(const struct coro *co, size_t *size)
{
    /* TODO */
    (void)co;
    if (size != NULL)
        *size = 0;
    return NULL;
}

int coro_free(struct coro *co)
{
    /* TODO: EBUSY if running; VALGRIND_STACK_DEREGISTER, free the stack and
     * the coroutine. */
    (void)co;
    return ENOSYS;
}

/* ---- Part 2 ------------------------------------------------------------ */

int gen_next(struct coro *g, long *value)
{
    /* TODO: 0 if g has finished; otherwise resume it; a value if it yielded
     * one, 0 if it finished this time. */
    (void)g;
    (void)value;
    return -ENOSYS;
}

long gen_range_fn(void *arg, long first)
{
    /* TODO: yield from, from + step, ... below to; return the count. */
    (void)arg;
    (void)first;
    return 0;
}

long gen_fib_fn(void *arg, long first)
{
    /* TODO: yield 0, 1, 1, 2, 3, 5, ... for ever. */
    (void)arg;
    (void)first;
    return 0;
}

/* ---- Part 3 ------------------------------------------------------------ */

struct coro *rr_spawn(struct rr *rr, coro_fn fn, void *arg)
{
    /* TODO: create the coroutine, add it after the others. */
    (void)rr;
    (void)fn;
    (void)arg;
    return NULL;
}

int rr_run(struct rr *rr)
{
    /* TODO: rounds: resume each unfinished task once, in order, until all
     * have finished. */
    (void)rr;
    return ENOSYS;
}

void rr_free(struct rr *rr)
{
    /* TODO: free every task. */
    (void)rr;
}

long rr_printer_fn(void *arg, long first)
{
    /* TODO: print "<name> <i>" lines, yield after each one. */
    (void)arg;
    (void)first;
    return 0;
}

/* ---- Part 4 ------------------------------------------------------------ */

int coro_await(struct coro *other, long *result)
{
    /* TODO: EPERM outside a coroutine; resume other until it finishes,
     * yielding each of its values on to our own resumer in between. */
    (void)other;
    (void)result;
    return ENOSYS;
}

/* ---- Part 5 (optional, for the curious): see fast.h --------------------- */

#include "fast.h"

void fast_init(struct fast_ctx *ctx, void *stack, size_t size, fast_fn fn, void *arg)
{
    /* TODO: lay out the new stack as fast_switch will find it: the saved
     * registers, then where to "return" to (a few lines of asm that call
     * fn(arg)), with the stack aligned as a function's entry expects. */
    (void)stack;
    (void)size;
    (void)fn;
    (void)arg;
    ctx->sp = NULL;
}

void fast_switch(struct fast_ctx *from, struct fast_ctx *to)
{
    /* TODO: in asm: push the callee-saved registers, save rsp in from->sp,
     * load to->sp, pop the same registers, ret. */
    (void)from;
    (void)to;
}

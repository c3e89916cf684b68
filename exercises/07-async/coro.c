/* 07-async: coroutines on ucontext, given (see coro.h).
 *
 * Each coroutine has its own stack; coro_resume swaps from the caller's
 * context to the coroutine's, coro_suspend swaps back.  The state lives in
 * thread-local variables: every thread may run coroutines of its own. */
#define _GNU_SOURCE
#include "coro.h"

#include <stdio.h>
#include <stdlib.h>
#include <ucontext.h>
#include <valgrind/valgrind.h>

#define CORO_STACK (128 * 1024)

enum coro_state { CORO_SUSPENDED, CORO_RUNNING, CORO_FINISHED };

struct coro {
    ucontext_t ctx;  /* where the coroutine goes on */
    ucontext_t back; /* where coro_suspend returns to */
    coro_fn fn;
    void *arg;
    enum coro_state state;
    char *stack;
    unsigned stack_id; /* valgrind's name for the stack */
};

static __thread struct coro *running;
static __thread int misuses;
static __thread long resumes;
static __thread enum coro_misuse last_misuse;

static void misuse(enum coro_misuse kind, const char *what)
{
    misuses++;
    last_misuse = kind;
    fprintf(stderr, "coro: %s\n", what);
}

/* makecontext passes only int arguments: the coroutine is found through
 * `running`, which coro_resume has just set. */
static void trampoline(void)
{
    struct coro *c = running;
    c->fn(c->arg);
    c->state = CORO_FINISHED;
    /* returning follows uc_link, back to coro_resume */
}

struct coro *coro_new(coro_fn fn, void *arg)
{
    /* volatile: getcontext returns twice, as setjmp does, and the compiler
     * must not keep c only in a register across it. */
    struct coro *volatile c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->stack = malloc(CORO_STACK);
    if (c->stack == NULL || getcontext(&c->ctx) != 0) {
        free(c->stack);
        free(c);
        return NULL;
    }
    /* Without this valgrind takes the switch to a heap stack for a stack
     * overflow and loses track of the thread. */
    c->stack_id = VALGRIND_STACK_REGISTER(c->stack, c->stack + CORO_STACK);
    c->ctx.uc_stack.ss_sp = c->stack;
    c->ctx.uc_stack.ss_size = CORO_STACK;
    c->ctx.uc_link = &c->back;
    makecontext(&c->ctx, trampoline, 0);
    c->fn = fn;
    c->arg = arg;
    c->state = CORO_SUSPENDED;
    return c;
}

int coro_resume(struct coro *c)
{
    if (c == NULL) {
        misuse(CORO_RESUMED_NULL, "coro_resume(NULL): there is no such task");
        return -1;
    }
    if (running != NULL) {
        misuse(CORO_RESUMED_INSIDE,
               running == c ? "a task resumed itself: only the loop resumes tasks"
                            : "a task was resumed from inside another task: only the loop, "
                              "outside every task, resumes tasks (make it ready instead)");
        return -1;
    }
    if (c->state == CORO_FINISHED) {
        misuse(CORO_RESUMED_FINISHED,
               "a task was resumed after it had finished: it was still in the ready queue, "
               "or still waited for a timer or a descriptor");
        return -1;
    }
    running = c;
    c->state = CORO_RUNNING;
    resumes++;
    swapcontext(&c->back, &c->ctx);
    running = NULL;
    if (c->state == CORO_RUNNING)
        c->state = CORO_SUSPENDED;
    return c->state == CORO_FINISHED;
}

void coro_suspend(void)
{
    struct coro *c = running;
    if (c == NULL) {
        misuse(CORO_SUSPENDED_OUTSIDE, "coro_suspend() outside every task: only a task can wait");
        return;
    }
    swapcontext(&c->ctx, &c->back);
}

struct coro *coro_self(void)
{
    return running;
}

int coro_finished(const struct coro *c)
{
    return c != NULL && c->state == CORO_FINISHED;
}

void coro_free(struct coro *c)
{
    if (c == NULL)
        return;
    if (c == running) {
        misuse(CORO_FREED_RUNNING, "a task freed its own coroutine while running on its stack");
        return;
    }
    VALGRIND_STACK_DEREGISTER(c->stack_id);
    free(c->stack);
    free(c);
}

int coro_misuses(void)
{
    return misuses;
}

enum coro_misuse coro_last_misuse(void)
{
    return last_misuse;
}

long coro_resumes(void)
{
    return resumes;
}

/* 05-coroutine: reference solution. */
#define _GNU_SOURCE
#include "coro.h"

#include <errno.h>
#include <stdlib.h>
#include <ucontext.h>
#include <valgrind/valgrind.h>

/* ---- Part 1 ------------------------------------------------------------ */

struct coro {
    ucontext_t ctx;    /* where the coroutine stopped (saved by coro_yield) */
    ucontext_t caller; /* where its resumer waits (saved by coro_resume) */
    coro_fn fn;
    void *arg;
    enum coro_state state;
    long transfer;        /* the value on its way, in either direction */
    long result;          /* what fn returned, kept for coro_await */
    struct coro *resumer; /* the coroutine that resumed it, NULL for the thread */
    char *stack;
    size_t stack_size;
    unsigned valgrind_id; /* the stack's registration with valgrind */
};

/* Thread-local: each thread runs its own coroutines, and a global would be
 * a data race between two threads that both resume coroutines. */
static __thread struct coro *current;

/* Every coroutine starts here.  makecontext can only pass int arguments, so
 * the coroutine is found through `current`, which coro_resume has just set. */
static void trampoline(void)
{
    struct coro *co = current;
    co->result = co->fn(co->arg, co->transfer);
    co->state = CORO_FINISHED;
    co->transfer = co->result;
    /* Returning follows uc_link to co->caller: back into the coro_resume that
     * ran us last.  With uc_link NULL the whole process would exit here. */
}

/* Prepares co->ctx to start the trampoline on co's own stack.  A function of
 * its own: getcontext "returns twice" in the compiler's eyes, and the locals
 * of coro_create should not be at stake. */
static int prepare_context(struct coro *co)
{
    if (getcontext(&co->ctx) != 0)
        return -1;
    co->ctx.uc_stack.ss_sp = co->stack;
    co->ctx.uc_stack.ss_size = co->stack_size;
    /* A pointer, read when the function returns: by then co->caller holds
     * whoever resumed the coroutine last. */
    co->ctx.uc_link = &co->caller;
    makecontext(&co->ctx, trampoline, 0);
    return 0;
}

struct coro *coro_create(coro_fn fn, void *arg, size_t stack_size)
{
    if (fn == NULL)
        return NULL;
    if (stack_size == 0)
        stack_size = CORO_STACK_SIZE;
    if (stack_size < CORO_MIN_STACK)
        stack_size = CORO_MIN_STACK;
    struct coro *co = calloc(1, sizeof *co);
    if (co == NULL)
        return NULL;
    /* On the heap: the coroutine must outlive this call, so its stack cannot
     * be a local array of this function (or of its caller). */
    co->stack = malloc(stack_size);
    co->stack_size = stack_size;
    if (co->stack == NULL || prepare_context(co) != 0) {
        free(co->stack);
        free(co);
        return NULL;
    }
    co->fn = fn;
    co->arg = arg;
    co->state = CORO_SUSPENDED;
    /* Tell valgrind this block is a stack (outside valgrind this does
     * nothing).  Without it, the first switch moves the stack pointer far from
     * the thread's stack; valgrind takes that for a huge stack frame, warns
     * "client switching stacks?", and its checks of the code that runs here
     * can no longer be trusted: the helgrind check fails on that warning. */
    co->valgrind_id = VALGRIND_STACK_REGISTER(co->stack, co->stack + stack_size);
    return co;
}

int coro_resume(struct coro *co, long in, long *out)
{
    if (co == NULL || co->state == CORO_FINISHED)
        return EINVAL; /* its context is stale: switching to it would rerun old code */
    if (co->state == CORO_RUNNING)
        return EBUSY; /* it is already on the way: itself, or one of our resumers */
    co->resumer = current;
    co->transfer = in;
    co->state = CORO_RUNNING;
    current = co;
    /* swapcontext, not setcontext: our own place is saved in co->caller, so
     * that the coroutine's yield (or its return, via uc_link) comes back
     * here. */
    if (swapcontext(&co->caller, &co->ctx) != 0) {
        int err = errno;
        current = co->resumer;
        co->state = CORO_SUSPENDED;
        return err;
    }
    current = co->resumer; /* the coroutine is off the thread again */
    if (out != NULL)
        *out = co->transfer;
    return 0;
}

int coro_yield(long out, long *in)
{
    struct coro *co = current;
    if (co == NULL)
        return EPERM; /* the thread itself has nobody to give control back to */
    co->transfer = out;
    co->state = CORO_SUSPENDED;
    /* Save our place in co->ctx, the next resume continues from here. */
    if (swapcontext(&co->ctx, &co->caller) != 0) {
        co->state = CORO_RUNNING;
        return errno;
    }
    /* coro_resume has set current, the state and the value for us. */
    if (in != NULL)
        *in = co->transfer;
    return 0;
}

enum coro_state coro_status(const struct coro *co)
{
    return co->state;
}

struct coro *coro_current(void)
{
    return current;
}

void *coro_stack(const struct coro *co, size_t *size)
{
    if (size != NULL)
        *size = co->stack_size;
    return co->stack;
}

/* The stack is deregistered before it is freed: malloc may hand that memory
 * out again as plain data, which valgrind must no longer take for a stack. */
int coro_free(struct coro *co)
{
    if (co == NULL)
        return 0;
    if (co->state == CORO_RUNNING)
        return EBUSY; /* we may be standing on that very stack */
    VALGRIND_STACK_DEREGISTER(co->valgrind_id);
    free(co->stack);
    free(co);
    return 0;
}

/* ---- Part 2 ------------------------------------------------------------ */

int gen_next(struct coro *g, long *value)
{
    if (g == NULL)
        return -EINVAL;
    if (g->state == CORO_FINISHED)
        return 0; /* the end is not an error: never resume a finished one */
    long v = 0;
    int err = coro_resume(g, 0, &v);
    if (err != 0)
        return -err;
    /* A coroutine that finished handed back its result, not a value of the
     * sequence. */
    if (g->state == CORO_FINISHED)
        return 0;
    *value = v;
    return 1;
}

long gen_range_fn(void *arg, long first)
{
    (void)first;
    const struct gen_range *r = arg;
    long count = 0;
    /* Each value is made only when the consumer asks for it. */
    for (long v = r->from; v < r->to; v += r->step) {
        coro_yield(v, NULL);
        count++;
    }
    return count;
}

long gen_fib_fn(void *arg, long first)
{
    (void)arg;
    (void)first;
    long a = 0, b = 1;
    for (;;) { /* endless: the consumer stops pulling and frees us */
        coro_yield(a, NULL);
        long next = a + b;
        a = b;
        b = next;
    }
}

/* ---- Part 3 ------------------------------------------------------------ */

struct coro *rr_spawn(struct rr *rr, coro_fn fn, void *arg)
{
    if (rr->count >= RR_MAX_TASKS)
        return NULL;
    struct coro *co = coro_create(fn, arg, 0);
    if (co != NULL)
        rr->tasks[rr->count++] = co;
    return co;
}

int rr_run(struct rr *rr)
{
    int left;
    do {
        left = 0;
        /* One round: every task that is not finished gets one turn, in
         * spawn order.  Only this loop decides who runs next. */
        for (int i = 0; i < rr->count; i++) {
            struct coro *t = rr->tasks[i];
            if (t->state == CORO_FINISHED)
                continue; /* resuming it would be refused */
            int err = coro_resume(t, 0, NULL);
            if (err != 0)
                return err;
            if (t->state != CORO_FINISHED)
                left++;
        }
    } while (left > 0);
    return 0;
}

void rr_free(struct rr *rr)
{
    for (int i = 0; i < rr->count; i++)
        coro_free(rr->tasks[i]);
    rr->count = 0;
}

long rr_printer_fn(void *arg, long first)
{
    (void)first;
    const struct rr_printer *p = arg;
    for (int i = 0; i < p->lines; i++) {
        fprintf(p->out, "%s %d\n", p->name, i);
        coro_yield(0, NULL); /* give the others their turn */
    }
    return p->lines;
}

/* ---- Part 4 ------------------------------------------------------------ */

int coro_await(struct coro *other, long *result)
{
    if (current == NULL)
        return EPERM;
    if (other == NULL)
        return EINVAL;
    if (other->state == CORO_RUNNING)
        return EBUSY;
    long in = 0, out = 0;
    while (other->state != CORO_FINISHED) {
        int err = coro_resume(other, in, &out);
        if (err != 0)
            return err;
        if (other->state == CORO_FINISHED)
            break;
        /* other paused: so do we.  Passing its value up lets whoever runs us
         * (a scheduler) run something else, instead of this thread spinning
         * until other is done. */
        err = coro_yield(out, &in);
        if (err != 0)
            return err;
    }
    if (result != NULL)
        *result = other->result;
    return 0;
}

/* ---- Part 5 (optional): a switch that saves only what it must ---------- */

#include "fast.h"

#include <stdint.h>

#if defined(__x86_64__)
/* fast_switch(from, to): rdi = from, rsi = to (System V: the first two
 * arguments).  The call that got us here already pushed the return address;
 * the six pushes put the callee-saved registers under it.  That is all the
 * caller may rely on: rax, rcx, rdx, rsi, rdi, r8-r11 and xmm0-15 are
 * caller-saved, so the compiler keeps nothing in them across a call.  The
 * signal mask is left alone (swapcontext's system call is the whole
 * difference in cost), and so are the x87 control word and mxcsr: nothing
 * here changes them. */
__asm__(".text\n"
        ".globl fast_switch\n"
        ".type fast_switch, @function\n"
        "fast_switch:\n"
        "    pushq %rbp\n" /* the frame pointer, if the caller keeps one */
        "    pushq %rbx\n" /* rbx, r12-r15: where compiled code keeps values */
        "    pushq %r12\n" /*   that must live across calls (loop counters, */
        "    pushq %r13\n" /*   pointers...) */
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n" /* from->sp: after the pushes, so that they
                                   * are found again under it */
        "    movq (%rsi), %rsp\n" /* to->sp: the other stack, from now on */
        "    popq %r15\n"         /* the other side's registers, in the */
        "    popq %r14\n"         /*   reverse order of the pushes */
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n" /* to where the other side called fast_switch, or to
                     * fast_start for a new coroutine */
        ".size fast_switch, .-fast_switch\n"
        /* A new coroutine's first instruction: fast_init left fn and arg
         * on the stack, right above the address of this code. */
        ".type fast_start, @function\n"
        "fast_start:\n"
        "    popq %rax\n"   /* fn */
        "    popq %rdi\n"   /* arg: the first argument */
        "    callq *%rax\n" /* rsp is a multiple of 16 here, as at every call */
        "    ud2\n"         /* fn returned: there is nowhere to go */
        ".size fast_start, .-fast_start\n");

void fast_start(void);

void fast_init(struct fast_ctx *ctx, void *stack, size_t size, fast_fn fn, void *arg)
{
    /* The top of the stack, rounded down to 16: the ABI wants rsp to be a
     * multiple of 16 at every call instruction (SSE code that keeps
     * doubles on the stack with movaps crashes otherwise). */
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **sp = (void **)top;
    /* From the top down: arg and fn for fast_start (it pops them, so its
     * call happens with rsp == top, a multiple of 16), the address
     * fast_switch's ret goes to, and six registers for it to pop (zero: a
     * new coroutine starts with nothing in them). */
    *--sp = arg;
    *--sp = (void *)fn;
    *--sp = (void *)fast_start;
    for (int i = 0; i < 6; i++)
        *--sp = NULL;
    ctx->sp = sp;
}
#else
/* Elsewhere part 5's tests are skipped; these only let the file build. */
void fast_init(struct fast_ctx *ctx, void *stack, size_t size, fast_fn fn, void *arg)
{
    (void)stack;
    (void)size;
    (void)fn;
    (void)arg;
    ctx->sp = NULL;
}

void fast_switch(struct fast_ctx *from, struct fast_ctx *to)
{
    (void)from;
    (void)to;
}
#endif

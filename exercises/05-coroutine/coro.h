/* 05-coroutine: suspension you can see.
 *
 * You write coro.c; this header is the contract and is not edited.
 *
 * A coroutine is a function that can stop half-way (yield), hand a value to
 * whoever started it, and later go on from exactly that point when it is
 * resumed.  Nothing runs it behind your back: it runs only inside
 * coro_resume, on the thread that called coro_resume, and gives control
 * back only at coro_yield or when its function returns.
 *
 * Functions that can fail return 0 or an error number from <errno.h>:
 *   EINVAL  resuming a coroutine that has finished (or NULL)
 *   EBUSY   resuming a coroutine that is running (itself, or one that is
 *           waiting inside coro_resume for the coroutine it resumed)
 *   EPERM   yielding or awaiting when no coroutine is running on this thread
 */
#ifndef CORO_H
#define CORO_H

#include <stddef.h>
#include <stdio.h>

/* ---- Part 1: the primitive ---------------------------------------------- */

enum coro_state {
    CORO_SUSPENDED, /* created and not started yet, or stopped in coro_yield */
    CORO_RUNNING,   /* resumed and not yet yielded or returned; a coroutine
                     * that resumed another is still running (it is inside
                     * coro_resume) */
    CORO_FINISHED,  /* its function returned: it can never run again */
};

/* What a coroutine runs.  `arg` is the pointer given to coro_create; `first`
 * is the value passed to the first coro_resume.  What it returns is the
 * coroutine's result: the last value its resumer receives. */
typedef long (*coro_fn)(void *arg, long first);

/* Stack size used when coro_create is given 0. */
#define CORO_STACK_SIZE (64 * 1024)
/* coro_create never makes a stack smaller than this. */
#define CORO_MIN_STACK (16 * 1024)

/* A coroutine; you define it in coro.c. */
struct coro;

/* Creates a coroutine that will run fn(arg, first), with a stack of its own
 * of stack_size bytes (0 means CORO_STACK_SIZE) allocated on the heap, never
 * on the caller's stack: the coroutine outlives the call that created it.
 * The function does not start yet: the coroutine is CORO_SUSPENDED until the
 * first coro_resume.  The stack is registered with valgrind
 * (VALGRIND_STACK_REGISTER from <valgrind/valgrind.h>) so that valgrind
 * understands the switches to it.  Returns NULL if fn is NULL or memory ran
 * out. */
struct coro *coro_create(coro_fn fn, void *arg, size_t stack_size);

/* Runs co from where it stopped (the first time: from the start of its
 * function, with `first` = in) until it yields or its function returns,
 * then comes back here, to the caller, with swapcontext: the caller's own
 * place must be saved, since that is where the coroutine comes back to.
 * *out (if out is not NULL) receives the value the coroutine yielded, or,
 * when its function returned, its result; co is then CORO_FINISHED.  A
 * coroutine whose function returns comes back to its resumer: it never ends
 * the thread or the process.
 * The caller may itself be a coroutine: co then comes back to it.
 * Returns 0; EINVAL if co is NULL or finished, EBUSY if co is running
 * (nothing is run in either case). */
int coro_resume(struct coro *co, long in, long *out);

/* Called by the running coroutine: hands `out` to its resumer (coro_resume
 * returns) and stops here until it is resumed again; then *in (if in is
 * not NULL) receives the value given to that coro_resume.
 * Returns 0 once resumed; EPERM at once if no coroutine is running on this
 * thread. */
int coro_yield(long out, long *in);

/* The state of co (see enum coro_state). */
enum coro_state coro_status(const struct coro *co);

/* The coroutine running on the calling thread (the innermost one, when a
 * coroutine resumed another), or NULL when the thread itself is running.
 * Each thread has its own: coroutines of two threads never mix. */
struct coro *coro_current(void);

/* Where co's stack is: returns its lowest address and stores its size in
 * *size (if size is not NULL). */
void *coro_stack(const struct coro *co, size_t *size);

/* Frees co and its stack (and tells valgrind the stack is gone).  A
 * suspended coroutine may be freed: it simply never goes on.  Returns 0;
 * EBUSY if co is running (it is not freed).  coro_free(NULL) returns 0. */
int coro_free(struct coro *co);

/* ---- Part 2: a generator ------------------------------------------------- */

/* A generator is a coroutine whose function yields the values of a
 * sequence, one per resume, and returns when the sequence ends.  Its return
 * value is not part of the sequence. */

/* Resumes the generator g (with 0) for its next value.  Returns 1 and
 * stores the value in *value when g yielded one; returns 0 when g has
 * finished, now or before (asking again after the end is not an error: it
 * keeps returning 0 and never resumes g).  Returns -EBUSY if g is running. */
int gen_next(struct coro *g, long *value);

/* The range a gen_range generator walks: from, from + step, from + 2*step,
 * ... while the value is below `to` (step > 0). */
struct gen_range {
    long from, to, step;
};

/* A generator function: arg points to a struct gen_range.  It yields every
 * value of the range, one per resume, then returns the number of values it
 * yielded.  Example: {3, 12, 3} yields 3, 6, 9. */
long gen_range_fn(void *arg, long first);

/* A generator function that never ends: it yields the Fibonacci numbers
 * 0, 1, 1, 2, 3, 5, 8, ... one per resume (arg is not used).  Only a
 * generator can hand out an endless sequence: the consumer takes what it
 * needs, then frees the suspended coroutine. */
long gen_fib_fn(void *arg, long first);

/* ---- Part 3: a round-robin scheduler -------------------------------------- */

#define RR_MAX_TASKS 16

/* A scheduler: the tasks in the order they were spawned.  Initialize with
 * RR_INITIALIZER. */
struct rr {
    struct coro *tasks[RR_MAX_TASKS];
    int count;
};
#define RR_INITIALIZER                                                                             \
    {                                                                                              \
        {0}, 0                                                                                     \
    }

/* Creates a coroutine running fn(arg, first) with the default stack and
 * adds it as the scheduler's next task; nothing runs yet.  Returns the
 * coroutine (still owned by the scheduler), or NULL if the scheduler is full
 * or coro_create failed. */
struct coro *rr_spawn(struct rr *rr, coro_fn fn, void *arg);

/* Runs the tasks round-robin on the calling thread: each round resumes every
 * task that has not finished, once each, in spawn order, with 0; a task runs
 * until it yields (or returns), then the next one gets its turn.  Finished
 * tasks are skipped; the rounds go on until every task has finished.  Nothing
 * else decides who runs next, so the order is the same on every run.
 * Returns 0, or the first error coro_resume returned. */
int rr_run(struct rr *rr);

/* Frees every task (coro_free) and empties the scheduler. */
void rr_free(struct rr *rr);

/* What an rr_printer_fn task prints. */
struct rr_printer {
    FILE *out;        /* where to print */
    const char *name; /* the task's name */
    int lines;        /* how many lines */
};

/* A task: arg points to a struct rr_printer.  Prints the lines
 * "<name> 0\n", "<name> 1\n", ... "<name> <lines-1>\n" to out, and yields
 * (0) after each line, so that the other tasks print in between.  Returns
 * the number of lines printed. */
long rr_printer_fn(void *arg, long first);

/* ---- Part 4: await ------------------------------------------------------ */

/* Called by a running coroutine: waits until `other` has finished and
 * stores its result in *result (if result is not NULL).
 * While other is not finished, the awaiting coroutine is suspended: it
 * resumes other; each value other yields is yielded on to the awaiting
 * coroutine's own resumer (so a scheduler above keeps running its other
 * tasks), and the value that resumer sends back is passed down to other
 * (other's first resume gets 0).  Only when other has finished does
 * coro_await return.  Awaits nest: other may itself await a third one.
 * other must not be resumed by anyone else meanwhile (for example, it is not
 * a task of a scheduler).
 * Returns 0 (at once, with the result, if other had already finished);
 * EPERM if no coroutine is running on this thread; EBUSY if other is
 * running (a coroutine awaiting itself or one of those waiting for it);
 * EINVAL if other is NULL. */
int coro_await(struct coro *other, long *result);

#endif

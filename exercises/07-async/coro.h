/* 07-async: coroutines, given (you do not write this part).
 *
 * A coroutine is a function that can stop in the middle (coro_suspend) and
 * be continued later (coro_resume), on a stack of its own.  It runs only
 * when someone resumes it, and runs until it suspends or returns: nothing
 * interrupts it, so between two suspensions it has the thread to itself.
 * Exercise 05 builds this on ucontext; here it is ready made, so that the
 * event loop is the only thing on the page.
 *
 * The rules (breaking one is a bug in the loop, so coro_resume refuses and
 * records it; coro_misuses() and coro_last_misuse() tell the tests):
 *   - only code outside every coroutine (the loop) resumes a coroutine;
 *   - a coroutine is resumed only while it is suspended: never while it
 *     runs, never after it has finished.
 */
#ifndef CORO_H
#define CORO_H

struct coro;
typedef void (*coro_fn)(void *arg);

/* A new coroutine that will run fn(arg) on its own stack when first
 * resumed.  NULL if out of memory. */
struct coro *coro_new(coro_fn fn, void *arg);

/* Runs c until it suspends (returns 0) or its function returns (returns 1,
 * and c is finished).  Returns -1, and runs nothing, when the rules above
 * are broken. */
int coro_resume(struct coro *c);

/* From inside a coroutine: stops here and returns to whoever resumed it.
 * The call returns when the coroutine is resumed again. */
void coro_suspend(void);

/* The coroutine running now, or NULL outside every coroutine. */
struct coro *coro_self(void);

/* Whether c's function has returned. */
int coro_finished(const struct coro *c);

/* Frees c (a finished one, or one that will never be resumed again). */
void coro_free(struct coro *c);

/* How many times the rules were broken, and which rule the last time
 * (each is also printed to stderr when it happens). */
enum coro_misuse {
    CORO_OK,
    CORO_RESUMED_NULL,      /* coro_resume(NULL) */
    CORO_RESUMED_FINISHED,  /* resumed after its function had returned */
    CORO_RESUMED_INSIDE,    /* resumed from inside a coroutine (itself or another) */
    CORO_SUSPENDED_OUTSIDE, /* coro_suspend outside every coroutine */
    CORO_FREED_RUNNING,     /* coro_free on the coroutine that is running */
};
int coro_misuses(void);
enum coro_misuse coro_last_misuse(void);

/* How many times coro_resume has run a coroutine, in all. */
long coro_resumes(void);

#endif

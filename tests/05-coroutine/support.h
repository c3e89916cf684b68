/* 05-coroutine: what the tests use to watch the coroutines.
 *
 * Every scenario runs in a helper process (kata_run_in_child): a coroutine
 * that jumps to the wrong place crashes or ends the process, and the test
 * must still be able to say what happened.  What the scenario records goes
 * to a trace in shared memory (mmap MAP_SHARED), so the test process reads
 * every event recorded before the helper died.
 */
#ifndef CORO_SUPPORT_H
#define CORO_SUPPORT_H

#define _GNU_SOURCE
#include "coro.h"
#include "kata.h"

#include <stdint.h>
#include <string.h>

#define TRACE_TEXT 4096

struct trace {
    char text[TRACE_TEXT]; /* the events, each followed by one space */
    size_t len;
    int marks;            /* scenario-defined counters and flags */
    long v[32];           /* scenario-defined values */
    uintptr_t p[16];      /* scenario-defined addresses */
    char out[TRACE_TEXT]; /* what printers printed */
    char calling[64];     /* the call the scenario is inside, "" between calls */
};

/* The trace of the current test (shared with the helper). */
extern struct trace *T;

/* Maps a fresh, zeroed trace into T. */
void trace_open(void);

/* Appends one event ("start 5") and a space to T->text. */
void ev(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The scenario is about to make `call` (as text: "coro_await(NULL, NULL)"),
 * one whose arguments the header allows but the learner may not expect;
 * calling(NULL) once it came back.  A crash in between is reported as a
 * crash inside that call. */
void calling(const char *call);

/* Runs scenario() in a helper process; its events land in T. */
struct kata_proc run_scenario(void (*scenario)(void));

/* Fails the test, with a message that names what went wrong, if the helper
 * did not come back normally; `lesson` says what the test was about. */
void expect_completed(const struct kata_proc *p, const char *lesson);

/* The events recorded so far, without the last space ("(none)" if none). */
const char *shown_events(void);

/* Opens T, runs the scenario and expects it to come back normally. */
void run_or_fail(void (*scenario)(void), const char *lesson);

/* "0", "EINVAL", "EBUSY", "EPERM", "ENOSYS" or the number. */
const char *ename(int err);
/* "S", "R", "F" for a coroutine's state, "?" for anything else. */
const char *sname(int state);

/* The scenario stops (records "create-failed") when coro_create fails. */
#define NEW(co, fn, arg)                                                                           \
    do {                                                                                           \
        (co) = coro_create((fn), (arg), 0);                                                        \
        if ((co) == NULL) {                                                                        \
            ev("create-failed");                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Fails unless coro_create worked in the scenario. */
void expect_created(void);

/* The trace's tokens that need the test's source to read (S, F, EINVAL,
 * error-38, again=-38, ...) in words, as a line starting with a newline; ""
 * when there are none. */
const char *events_in_words(const char *expected, const char *got);

/* Fails unless the events are exactly `expected`; the message is the lesson
 * (en or zh), then both event lists. */
#define expect_events(expected, en, zh)                                                            \
    do {                                                                                           \
        expect_created();                                                                          \
        cr_assert(strcmp(T->text, (expected)) == 0,                                                \
                  KATA_MSG("%s\n  expected events: %.*s\n  your events:     %s%s",                 \
                           "%s\n  应有的事件：%.*s\n  实际的事件：%s%s", KATA_TR(en, zh),          \
                           (int)strlen(expected) - 1, (expected), shown_events(),                  \
                           events_in_words((expected), shown_events())));                          \
    } while (0)

/* The lowest and highest address of the calling thread's stack
 * (pthread_getattr_np). */
void thread_stack(uintptr_t *lo, uintptr_t *hi);

/* Closes a memstream (open_memstream(buf, ...)) and copies what was
 * printed to it into T->out. */
void keep_output(FILE *f, char **buf);

#endif

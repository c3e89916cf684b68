/* Small helpers shared by the 01-isolation tests. */
#ifndef ISOLATION_SUPPORT_H
#define ISOLATION_SUPPORT_H

#include "kata.h"

#include <signal.h>
#include <unistd.h>

/* A helper process gets more time than the test, so that when the code
 * under test hangs, the watchdog is the one that reports what it waits on. */
static inline double helper_seconds(void)
{
    return kata_test_seconds() + 2;
}

/* When the watchdog times a test out, it kills the helper and then, within
 * milliseconds, ends the test process.  Give it that time instead of
 * reporting the helper's death as a crash: the watchdog's report says what
 * was stuck.  (The verdict is a failure either way; only the message
 * differs.) */
static inline void wait_if_watchdog_killed(const struct kata_proc *p)
{
    if (p->signaled && p->sig == SIGKILL)
        sleep(2);
}

/* Fails the test unless the helper ran the code under test to its end. */
#define assert_helper_completed(proc, what)                                       \
    do {                                                                          \
        wait_if_watchdog_killed(&(proc));                                         \
        cr_assert((proc).completed, "%s did not return normally: %s", (what),     \
                  kata_proc_describe(&(proc)));                                   \
    } while (0)

#endif

/* Small helpers shared by the 01-isolation tests. */
#ifndef ISOLATION_SUPPORT_H
#define ISOLATION_SUPPORT_H

#include "kata.h"

/* A helper process gets more time than the test, so that when the code
 * under test hangs, the watchdog is the one that reports what it waits on. */
static inline double helper_seconds(void)
{
    return kata_test_seconds() + 2;
}

/* Fails the test unless the helper ran the code under test to its end.  A
 * forked child that returned into the caller is told first, from the
 * learner's side: it is the one outcome with its own lesson. */
#define assert_helper_completed(proc, what)                                                                      \
    do {                                                                                                         \
        cr_assert(!(proc).escaped,                                                                               \
                  KATA_MSG("a forked child returned from %s instead of ending with "                             \
                           "_exit(): after fork() both processes go on from the "                                \
                           "same point, so the child's branch must end with _exit() "                            \
                           "before it can reach a return and run the caller's code",                             \
                           "fork 出来的子进程从 %s 里 return 了，而不是以 _exit() "                \
                           "结束：fork() 之后两个进程都从同一处继续往下走，所以子进程 " \
                           "那一支必须在碰到 return、跑进调用者的代码之前就 _exit()",                            \
                           (what)));                                                                             \
        cr_assert((proc).completed,                                                                              \
                  KATA_MSG("%s did not return normally: %s", "%s 没有正常返回：%s", (what),                      \
                           kata_proc_describe(&(proc))));                                                        \
    } while (0)

#endif

/* Part 3: a thread's writes land in the one memory every thread shares.
 *
 * While a test is armed (probes.h), a thread started by the code under test
 * waits at a gate until pthread_join is called on it:
 * code that reads the results before joining always reads them too early,
 * not just when the scheduler happens to be slow. */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "probes.h"
#include "support.h"

#include <pthread.h>
#include <string.h>

KATA_SUITE(thread_share);

#define OLD 17
#define NEW 42
static struct after_write observe(void)
{
    kata_on_timeout(probe_explain_gate);
    struct after_write seen;
    memset(&seen, 0, sizeof seen);
    probe_threads_arm(1);
    int rc = observe_thread_writes(OLD, NEW, &seen);
    probe_threads_arm(0);
    cr_assert(rc == 0, KATA_MSG("observe_thread_writes returned %d instead of 0: it should start a "
                                "thread with pthread_create, join it and fill *out",
                                "observe_thread_writes 返回了 %d 而不是 0：它应当用 pthread_create "
                                "启动一个线程，join 它，再填好 *out",
                                rc));
    cr_assert(probe_threads_started() > 0,
              KATA_MSG("observe_thread_writes started no thread: use pthread_create",
                       "observe_thread_writes 没有启动任何线程：要用 pthread_create"));
    return seen;
}

/* Fails unless the parent reads NEW in a variable the thread set to NEW.
 * `name` names the variable; each message is one line of its own, so that
 * the three tests read apart when they fail together. */
static void assert_changed(int value, const char *name)
{
    cr_assert(probe_threads_joined() > 0,
              KATA_MSG("observe_thread_writes never called pthread_join on its thread: "
                       "wait for the thread with pthread_join, then read what it wrote",
                       "observe_thread_writes 从没对它的线程调用 pthread_join：先用 "
                       "pthread_join 等线程结束，再读它写的东西"));
    cr_assert(value != OLD,
              KATA_MSG("the parent read the %s too early: read it only after pthread_join "
                       "returns",
                       "父线程读%s读得太早了：要等 pthread_join 返回之后再读", name));
    cr_assert(value == NEW,
              KATA_MSG("the parent read %d from the %s, expected the thread's value %d: the "
                       "thread must write to the parent's variable itself, through its address",
                       "父线程从%2$s读到的是 %1$d，应当是线程写的 %3$d：线程必须通过地址，"
                       "直接写父线程的那个变量",
                       value, name, NEW));
}

KATA_TEST(thread_share, thread_write_to_global_is_visible_after_join)
{
    struct after_write seen = observe();
    assert_changed(seen.global, KATA_TR("global iso_global", "全局变量 iso_global"));
    cr_assert(iso_global == NEW,
              KATA_MSG("after observe_thread_writes returned, iso_global held %d, not the "
                       "thread's %d: the thread writes the one iso_global every thread shares, "
                       "and nothing should change it back",
                       "observe_thread_writes 返回后，iso_global 是 %d，而不是线程写的 %d："
                       "线程写的是所有线程共享的那唯一一个 iso_global，之后不该再有代码把它改回去",
                       iso_global, NEW));
}

KATA_TEST(thread_share, thread_write_to_heap_is_visible_after_join)
{
    struct after_write seen = observe();
    assert_changed(seen.heap, KATA_TR("malloc'ed heap int", "堆上 malloc 出来的 int"));
}

KATA_TEST(thread_share, thread_write_to_stack_is_visible_after_join)
{
    struct after_write seen = observe();
    assert_changed(seen.stack, KATA_TR("local int on the stack", "栈上的局部 int"));
}

KATA_TEST(thread_share, thread_is_joined)
{
    observe();
    cr_assert(probe_threads_joined() == probe_threads_started(),
              KATA_MSG("observe_thread_writes returned without joining the thread it started: "
                       "call pthread_join on it, so that it has finished before you use what it "
                       "wrote",
                       "observe_thread_writes 没有 join 它启动的线程就返回了：对它调用 "
                       "pthread_join，确保它已经结束，再去用它写的东西"));
    int n = kata_thread_count();
    cr_assert(n == 1,
              KATA_MSG("%d threads were still running after observe_thread_writes returned: "
                       "join the thread before returning",
                       "observe_thread_writes 返回后仍有 %d 个线程在运行：返回之前要 join 那个线程",
                       n));
}

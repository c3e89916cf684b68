/* Part 2: after fork, a child's writes change only the child's copies. */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "probes.h"
#include "support.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(process_copy);

#define OLD 17
#define NEW 42

struct copy_run {
    int rc;
    struct after_write seen;
    int global_after; /* iso_global as the test itself reads it afterwards */
    int children_left;
};

static void run_observe(void *arg, void *out)
{
    (void)arg;
    struct copy_run *r = out;
    r->rc = observe_child_writes(OLD, NEW, &r->seen);
    r->global_after = iso_global;
    r->children_left = kata_children(getpid(), NULL, 0);
}

static struct copy_run observe(void)
{
    struct copy_run r;
    memset(&r, 0, sizeof r);
    struct kata_proc p = kata_run_in_child(run_observe, NULL, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "observe_child_writes");
    cr_assert(r.rc == 0,
              KATA_MSG("observe_child_writes returned %d instead of 0: it should fork a child, "
                       "reap it with waitpid and fill *out",
                       "observe_child_writes 返回了 %d 而不是 0：它应当 fork 出一个子进程，"
                       "用 waitpid 回收它，再填好 *out",
                       r.rc));
    return r;
}

/* Fails unless the parent still reads OLD in a variable the child set to NEW. */
static void assert_unchanged(int value, const char *which)
{
    cr_assert(value != NEW,
              KATA_MSG("the parent saw the child's write to %s: after fork each process has "
                       "its own copy of every variable, so no write made in the child can "
                       "reach the parent. Is the write made in the parent, or in a thread?",
                       "父进程看到了子进程对%s的写入：fork 之后每个进程都有自己的一份变量，"
                       "子进程里的写入不可能传到父进程。是不是在父进程里写了，或者用的是线程？",
                       which));
    cr_assert(value == OLD,
              KATA_MSG("the parent read %d from %s, expected the old value %d: set it to "
                       "old_value before fork, and read it in the parent after waitpid",
                       "父进程从%2$s读到的是 %1$d，应当是旧值 %3$d：fork 之前把它设成 "
                       "old_value，在父进程里 waitpid 之后再读",
                       value, which, OLD));
}

KATA_TEST(process_copy, child_saw_its_own_writes)
{
    struct copy_run r = observe();
    cr_assert(r.seen.writer_saw == 3,
              KATA_MSG("writer_saw is %d, not 3: inside the child, its writes do change its "
                       "own copies; the child should count the variables holding new_value, "
                       "end with _exit(count), and the parent should take the count from "
                       "WEXITSTATUS",
                       "writer_saw 是 %d，不是 3：在子进程内部，它的写入确实改了它自己的那几份；"
                       "子进程应当数出有几个变量等于 new_value，以 _exit(count) 结束，父进程再从 "
                       "WEXITSTATUS 取出这个数",
                       r.seen.writer_saw));
}

KATA_TEST(process_copy, child_write_to_global_is_invisible_to_parent)
{
    struct copy_run r = observe();
    assert_unchanged(r.seen.global, KATA_TR("the global iso_global", "全局变量 iso_global"));
    assert_unchanged(r.global_after, KATA_TR("the global iso_global (read by the test afterwards)",
                                             "全局变量 iso_global（测试事后读取）"));
}

KATA_TEST(process_copy, child_write_to_heap_is_invisible_to_parent)
{
    struct copy_run r = observe();
    assert_unchanged(r.seen.heap, KATA_TR("the malloc'ed int", "malloc 出来的 int"));
}

KATA_TEST(process_copy, child_write_to_stack_is_invisible_to_parent)
{
    struct copy_run r = observe();
    assert_unchanged(r.seen.stack, KATA_TR("the local variable", "局部变量"));
}

KATA_TEST(process_copy, child_is_reaped)
{
    struct copy_run r = observe();
    cr_assert(r.children_left == 0,
              KATA_MSG("%d child process(es) were left after observe_child_writes returned: "
                       "collect the child with waitpid, or it stays behind as a zombie",
                       "observe_child_writes 返回后还留下 %d 个子进程：用 waitpid 把子进程收走，"
                       "否则它会作为僵尸进程留在那里",
                       r.children_left));
}

/* ---- the child's end, a failed fork, a child killed by a signal ------------ */

struct odd_copy {
    int rc;
    int copies;  /* how many times the caller's buffered line was written */
    int refused; /* forks the wrapper made fail */
};

static void call_observe(void *out)
{
    struct after_write seen;
    ((struct odd_copy *)out)->rc = observe_child_writes(OLD, NEW, &seen);
}

static void run_odd_copy(void *arg, void *out)
{
    struct odd_copy *r = out;
    int how = *(const int *)arg;
    if (how == 1)
        probe_fork_fail_after(0);
    else if (how == 2)
        probe_fork_kill_child(0, SIGKILL);
    r->copies = count_flushes(call_observe, r);
    r->refused = probe_forks_refused();
}

static struct odd_copy odd_copy(int how)
{
    observe(); /* the plain run works first */
    struct odd_copy r = {-2, 0, 0};
    struct kata_proc p = kata_run_in_child(run_odd_copy, &how, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "observe_child_writes");
    return r;
}

KATA_TEST(process_copy, child_ends_with__exit)
{
    struct odd_copy r = odd_copy(0);
    assert_single_flush(r.copies, "observe_child_writes");
}

KATA_TEST(process_copy, failed_fork_gives_minus_one)
{
    struct odd_copy r = odd_copy(1);
    cr_assert(r.refused > 0, KATA_MSG("observe_child_writes never called fork: use fork()",
                                      "observe_child_writes 从没调用 fork：要用 fork()"));
    cr_assert(r.rc == -1,
              KATA_MSG("fork failed (EAGAIN: too many processes), yet observe_child_writes "
                       "returned %d: there is no child and nothing was observed; free the "
                       "block and return -1",
                       "fork 失败了（EAGAIN：进程太多），observe_child_writes 却返回了 %d："
                       "没有子进程，也什么都没观察到；释放那块内存，返回 -1",
                       r.rc));
}

KATA_TEST(process_copy, child_killed_by_a_signal_gives_minus_one)
{
    struct odd_copy r = odd_copy(2);
    cr_assert(r.rc == -1,
              KATA_MSG("the test killed the child with SIGKILL before it could count, yet "
                       "observe_child_writes returned %d: the child did not exit normally "
                       "(WIFEXITED is false), so its status holds no count; return -1",
                       "测试在子进程计数之前用 SIGKILL 杀掉了它，observe_child_writes 却返回了 "
                       "%d：子进程没有正常退出（WIFEXITED 为假），它的状态里没有计数；要返回 -1",
                       r.rc));
}

/* Part 5: memory shared on purpose with mmap(MAP_SHARED). */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "probes.h"
#include "support.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(shared_memory);

#define CHILDREN 4
#define INCREMENTS 1000

struct shared_run {
    long total;
    struct slot slots[CHILDREN];
    pid_t caller;
    int children_left;
    int shared_maps_before, shared_maps_after;
};

/* Shared mappings ("rw-s") this process has. */
static int count_shared_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512], perms[8];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%*s %7s", perms) == 1 && perms[3] == 's')
            n++;
    fclose(f);
    return n;
}

static void run_count(void *arg, void *out)
{
    (void)arg;
    struct shared_run *r = out;
    r->caller = getpid();
    r->shared_maps_before = count_shared_maps();
    r->total = count_in_children(CHILDREN, INCREMENTS, r->slots);
    r->shared_maps_after = count_shared_maps();
    r->children_left = kata_children(getpid(), NULL, 0);
}

static struct shared_run count(void)
{
    struct shared_run r;
    memset(&r, 0, sizeof r);
    struct kata_proc p = kata_run_in_child(run_count, NULL, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "count_in_children");
    cr_assert(r.total >= 0,
              KATA_MSG("count_in_children(%d, %d, ...) returned %ld: it should map shared "
                       "memory, fork the children, reap them and return the total",
                       "count_in_children(%d, %d, ...) 返回了 %ld：它应当映射共享内存、fork "
                       "出子进程、回收它们，再返回总数",
                       CHILDREN, INCREMENTS, r.total));
    return r;
}

KATA_TEST(shared_memory, parent_reads_the_total)
{
    struct shared_run r = count();
    cr_assert(r.total != 0,
              KATA_MSG("the parent read a total of 0: the children counted in their own "
                       "private copies. Memory is shared between processes only when you ask "
                       "for it: mmap with MAP_SHARED before fork, and the children's writes "
                       "land in the pages the parent reads",
                       "父进程读到的总数是 0：子进程们是在各自的私有副本里计数的。进程之间只有"
                       "你明确要求时才共享内存：在 fork 之前用 MAP_SHARED 做 mmap，子进程写的"
                       "才会落在父进程读的那些页里"));
    cr_assert(r.total == (long)CHILDREN * INCREMENTS,
              KATA_MSG("count_in_children(%d, %d, ...) returned %ld, expected %d",
                       "count_in_children(%d, %d, ...) 返回了 %ld，应当是 %d", CHILDREN, INCREMENTS,
                       r.total, CHILDREN * INCREMENTS));
}

static void run_bounds(void *arg, void *out)
{
    (void)arg;
    long *totals = out;
    struct slot slots[ISO_MAX_CHILDREN];
    totals[0] = count_in_children(1, 10, slots);
    totals[1] = count_in_children(ISO_MAX_CHILDREN, 10, slots);
    totals[2] = count_in_children(2, 0, slots);
}

KATA_TEST(shared_memory, one_to_iso_max_children_and_no_increments_are_valid)
{
    long totals[3] = {-2, -2, -2};
    struct kata_proc p =
        kata_run_in_child(run_bounds, NULL, totals, sizeof totals, helper_seconds());
    assert_helper_completed(p, "count_in_children");
    cr_assert(
        totals[0] == 10 && totals[1] == 10L * ISO_MAX_CHILDREN && totals[2] == 0,
        KATA_MSG("count_in_children returned %ld for 1 child, %ld for ISO_MAX_CHILDREN (%d) "
                 "children and %ld for 0 increments, not 10, %d and 0: children may be "
                 "anything from 1 to ISO_MAX_CHILDREN and increments anything from 0, both "
                 "ends included; mind < against <= in the checks of the arguments",
                 "count_in_children 对 1 个子进程返回了 %1$ld，对 ISO_MAX_CHILDREN（%3$d）个子进程"
                 "返回了 %2$ld，对 0 次累加返回了 %4$ld，而不是 10、%5$d 和 0：子进程数可以是 1 到 "
                 "ISO_MAX_CHILDREN 之间的任何值，累加次数可以是 0 以上的任何值，两端都包括在内；"
                 "检查参数时注意 < 和 <= 的区别",
                 totals[0], totals[1], ISO_MAX_CHILDREN, totals[2], 10 * ISO_MAX_CHILDREN));
}

KATA_TEST(shared_memory, each_child_has_its_own_slot)
{
    struct shared_run r = count();
    for (int i = 0; i < CHILDREN; i++)
        cr_assert(r.slots[i].count == INCREMENTS,
                  KATA_MSG("slot %d holds a count of %ld, expected %d: child i adds 1 to slot "
                           "i, %d times. A count of 0 means the child's writes never reached "
                           "the parent: map the slots MAP_SHARED, before fork, and copy them to "
                           "out after reaping the children",
                           "槽位 %d 的计数是 %ld，应当是 %d：第 i 个子进程给第 i 个槽位加 1，"
                           "加 %d 次。计数为 0 说明子进程的写入根本没传到父进程：要在 fork 之前"
                           "以 MAP_SHARED 映射这些槽位，回收完子进程后再把它们复制到 out",
                           i, r.slots[i].count, INCREMENTS, INCREMENTS));
}

KATA_TEST(shared_memory, children_are_separate_processes)
{
    struct shared_run r = count();
    for (int i = 0; i < CHILDREN; i++) {
        cr_assert(r.slots[i].pid != 0,
                  KATA_MSG("slot %d shows no pid: what the child stored there never reached "
                           "the parent (are the slots mapped MAP_SHARED, before fork?)",
                           "槽位 %d 里没有 pid：子进程存进去的东西没传到父进程（这些槽位是在 "
                           "fork 之前以 MAP_SHARED 映射的吗？）",
                           i));
        cr_assert(r.slots[i].pid != r.caller,
                  KATA_MSG("slot %d holds the caller's own pid: the counting must happen in "
                           "child processes, after fork",
                           "槽位 %d 里是调用者自己的 pid：计数必须在 fork 之后、在子进程里进行",
                           i));
        for (int j = 0; j < i; j++)
            cr_assert(r.slots[i].pid != r.slots[j].pid,
                      KATA_MSG("slots %d and %d hold the same pid: start one child process per "
                               "slot",
                               "槽位 %d 和 %d 里是同一个 pid：每个槽位要对应一个子进程", j, i));
    }
}

KATA_TEST(shared_memory, children_are_reaped)
{
    struct shared_run r = count();
    cr_assert(r.children_left == 0,
              KATA_MSG("%d child process(es) were left after count_in_children returned: reap "
                       "every child with waitpid (which is also how the parent knows that a "
                       "child has finished writing its slot)",
                       "count_in_children 返回后还留下 %d 个子进程：要用 waitpid 回收每一个子"
                       "进程（父进程也正是靠这个知道子进程已经写完了自己的槽位）",
                       r.children_left));
}

KATA_TEST(shared_memory, mapping_is_released)
{
    struct shared_run r = count();
    cr_assert(r.shared_maps_after == r.shared_maps_before,
              KATA_MSG("the caller had %d shared mapping(s) after count_in_children returned, "
                       "%d before: release the memory with munmap once the slots are copied out",
                       "count_in_children 返回后调用者有 %d 个共享映射，调用前是 %d 个：把槽位"
                       "复制出来后，要用 munmap 释放这块内存",
                       r.shared_maps_after, r.shared_maps_before));
}

/* ---- the children's end, a fork that fails, a child killed by a signal ----- */

struct odd_count {
    long total;
    int copies;      /* how many times the caller's buffered line was written */
    int refused;     /* forks the wrapper made fail */
    int left;        /* child processes left behind */
    int maps_before; /* shared mappings before the call, and after */
    int maps_after;
};

static void call_count(void *out)
{
    struct odd_count *r = out;
    struct slot slots[CHILDREN];
    r->maps_before = count_shared_maps();
    r->total = count_in_children(CHILDREN, INCREMENTS, slots);
    r->maps_after = count_shared_maps();
    r->left = kata_children(getpid(), NULL, 0);
}

static void run_odd_count(void *arg, void *out)
{
    struct odd_count *r = out;
    int how = *(const int *)arg;
    if (how == 1)
        probe_fork_fail_after(2); /* two children start, the third fork fails */
    else if (how == 2)
        probe_fork_kill_child(1, SIGKILL); /* the second child dies at birth */
    r->copies = count_flushes(call_count, r);
    r->refused = probe_forks_refused();
}

static struct odd_count odd_count(int how)
{
    count(); /* the plain run works first */
    struct odd_count r = {-2, 0, 0, 0, 0, 0};
    struct kata_proc p = kata_run_in_child(run_odd_count, &how, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "count_in_children");
    return r;
}

KATA_TEST(shared_memory, children_end_with__exit)
{
    struct odd_count r = odd_count(0);
    assert_single_flush(r.copies, "count_in_children");
}

KATA_TEST(shared_memory, failed_fork_reaps_the_children_already_started)
{
    struct odd_count r = odd_count(1);
    cr_assert(r.left == 0,
              KATA_MSG("the third fork failed (EAGAIN: too many processes), and "
                       "count_in_children returned leaving %d child process(es) behind: the "
                       "children it had already started still have to be reaped with waitpid "
                       "before it returns -1",
                       "第三次 fork 失败了（EAGAIN：进程太多），count_in_children 返回时留下了 %d "
                       "个子进程：已经启动的那些子进程，仍要在返回 -1 之前用 waitpid 回收",
                       r.left));
    cr_assert(r.total == -1,
              KATA_MSG("the third fork failed (EAGAIN: too many processes), yet "
                       "count_in_children returned %ld: when a call fails, reap the children "
                       "already started, unmap the memory and return -1",
                       "第三次 fork 失败了（EAGAIN：进程太多），count_in_children 却返回了 %ld："
                       "有调用失败时，要回收已经启动的子进程、解除映射，然后返回 -1",
                       r.total));
    cr_assert(r.maps_after == r.maps_before,
              KATA_MSG("the third fork failed, and count_in_children returned with the shared "
                       "memory still mapped: munmap it on the failure path too",
                       "第三次 fork 失败了，count_in_children 返回时共享内存还映射着：失败的路径"
                       "上也要 munmap 它"));
}

KATA_TEST(shared_memory, child_killed_by_a_signal_gives_minus_one)
{
    struct odd_count r = odd_count(2);
    cr_assert(r.total == -1,
              KATA_MSG("the test killed the second child with SIGKILL before it could count, "
                       "yet count_in_children returned %ld: check each child's status "
                       "(WIFEXITED, then WEXITSTATUS == 0) and return -1 unless every child "
                       "ended with status 0",
                       "测试在第二个子进程计数之前用 SIGKILL 杀掉了它，count_in_children 却返回了 "
                       "%ld：要检查每个子进程的状态（先 WIFEXITED，再看 WEXITSTATUS 是否为 0），"
                       "除非每个子进程都以状态 0 结束，否则返回 -1",
                       r.total));
}

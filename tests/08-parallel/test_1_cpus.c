/* 08-parallel, part 1: the same work on one CPU (concurrency) and spread over
 * all of them (parallelism).  The tests never time anything: each worker's
 * work function reads the affinity mask of its own thread and the CPU it is
 * running on (sched_getcpu), which a thread pinned to one CPU cannot leave. */
#include "probes.h" /* first: parallel.h sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

KATA_SUITE(cpus);
KATA_SUITE(pinned);
KATA_SUITE(spread);

/* The CPUs this process may use, as the test reads them itself. */
static int allowed(int cpus[PAR_MAX_THREADS])
{
    cpu_set_t set;
    cr_assert(sched_getaffinity(0, sizeof set, &set) == 0, "the test could not read its CPUs");
    int count = 0;
    for (int c = 0; c < CPU_SETSIZE && count < PAR_MAX_THREADS; c++)
        if (CPU_ISSET(c, &set))
            cpus[count++] = c;
    return count;
}

static const char *err_text(int err)
{
    return err == ENOSYS ? KATA_TR("ENOSYS: still the stub", "ENOSYS：仍然是桩代码")
                         : strerror(err);
}

KATA_TEST(cpus, lists_the_allowed_cpus)
{
    int want[PAR_MAX_THREADS], got[PAR_MAX_THREADS];
    int count = allowed(want);
    memset(got, 0xff, sizeof got);
    int n = par_allowed_cpus(got, PAR_MAX_THREADS);
    cr_assert(
        n == count,
        KATA_MSG("par_allowed_cpus returned %d, but this process may run on %d CPU(s): "
                 "read the process's affinity mask with sched_getaffinity(0, ...) and count "
                 "the CPUs in it with CPU_ISSET",
                 "par_allowed_cpus 返回 %d，但本进程可以在 %d 个 CPU 上运行：用 "
                 "sched_getaffinity(0, ...) 读出进程的亲和性掩码，再用 CPU_ISSET 数出其中的 CPU",
                 n, count));
    for (int i = 0; i < count; i++)
        cr_assert(got[i] == want[i],
                  KATA_MSG("cpus[%d] is %d, not %d: store the CPU numbers that are in the mask, "
                           "lowest first (they need not be 0, 1, 2 ...)",
                           "cpus[%d] 是 %d，不是 %d：要存的是掩码里那些 CPU 的编号，从小到大"
                           "（它们不一定是 0、1、2……）",
                           i, got[i], want[i]));
    if (count >= 2) {
        int one[1] = {-1};
        cr_assert(
            par_allowed_cpus(one, 1) == 1 && one[0] == want[0],
            KATA_MSG(
                "par_allowed_cpus(cpus, 1) must store only the first CPU and return 1: "
                "never write more than max numbers",
                "par_allowed_cpus(cpus, 1) 只能存第一个 CPU 并返回 1：写入的编号不能超过 max 个"));
    }
}

/* Runs par_run_pinned with n workers on `cpu`; fails the test on an error. */
static void run_pinned(int n, int cpu, int ran_on[])
{
    probe_arm();
    int err = par_run_pinned(n, cpu, probe_work, &n, ran_on);
    cr_assert(
        err == 0,
        KATA_MSG(
            "par_run_pinned(%d, %d, ...) returned %d (%s), not 0: start n workers; "
            "each pins itself to the CPU with pthread_setaffinity_np(pthread_self(), ...), "
            "then calls work(i, arg)",
            "par_run_pinned(%d, %d, ...) 返回 %d（%s），不是 0：启动 n 个工作线程；每个先用 "
            "pthread_setaffinity_np(pthread_self(), ...) 把自己绑到这个 CPU 上，再调用 work(i, "
            "arg)",
            n, cpu, err, err_text(err)));
}

static void expect_ran_once(int n, const char *fn)
{
    for (int i = 0; i < n; i++) {
        struct probe_seen s = probe_seen(i);
        cr_assert(
            s.ran && s.calls == 1,
            KATA_MSG("%s: work(%d, arg) was called %d time(s), not once: worker i calls "
                     "work(i, arg) once, in its own thread",
                     "%s：work(%d, arg) 被调用了 %d 次，不是一次：第 i 个工作线程在自己的线程里"
                     "调用一次 work(i, arg)",
                     fn, i, s.calls));
    }
}

KATA_TEST(pinned, every_worker_runs_on_the_chosen_cpu)
{
    int cpus[PAR_MAX_THREADS];
    int count = allowed(cpus);
    int cpu = cpus[count - 1]; /* the last one: not always CPU 0 */
    int n = 3, ran_on[3] = {-1, -1, -1};
    run_pinned(n, cpu, ran_on);
    expect_ran_once(n, "par_run_pinned");
    for (int i = 0; i < n; i++) {
        struct probe_seen s = probe_seen(i);
        cr_assert(
            s.mask_cpus == 1 && s.mask_first == cpu,
            KATA_MSG("worker %d did its work with an affinity of %d CPU(s) (the lowest %d), "
                     "not of CPU %d alone: each worker pins itself, before the work, to one "
                     "CPU only (CPU_ZERO, CPU_SET(cpu), pthread_setaffinity_np)",
                     "工作线程 %d 干活时的亲和性是 %d 个 CPU（最小的是 %d），而不是只有 CPU %d："
                     "每个工作线程要在干活之前把自己绑到唯一一个 CPU 上（CPU_ZERO、CPU_SET(cpu)、"
                     "pthread_setaffinity_np）",
                     i, s.mask_cpus, s.mask_first, cpu));
        cr_assert(s.cpu == cpu, KATA_MSG("worker %d ran on CPU %d, not %d",
                                         "工作线程 %d 在 CPU %d 上运行，不是 %d", i, s.cpu, cpu));
        cr_assert(ran_on[i] == cpu,
                  KATA_MSG("ran_on[%d] is %d, but worker %d ran on CPU %d: after the work, the "
                           "worker stores sched_getcpu() in ran_on[i]",
                           "ran_on[%d] 是 %d，但工作线程 %d 是在 CPU %d 上运行的：干完活后，"
                           "工作线程把 sched_getcpu() 存进 ran_on[i]",
                           i, ran_on[i], i, cpu));
    }
}

KATA_TEST(pinned, workers_take_turns_at_the_same_time)
{
    int cpus[PAR_MAX_THREADS];
    int count = allowed(cpus);
    int n = 4, ran_on[4];
    run_pinned(n, cpus[count - 1], ran_on);
    expect_ran_once(n, "par_run_pinned");
    for (int i = 0; i < n; i++) {
        struct probe_seen s = probe_seen(i);
        cr_assert(
            !s.waited_alone,
            KATA_MSG("worker %d waited in vain for the other workers (%d of %d had started): "
                     "concurrency means all n threads are alive at once and take turns on the "
                     "CPU. Start them all, then join them all",
                     "工作线程 %d 白等了其他工作线程（%d 个里只启动了 %d 个）：并发是指 n "
                     "个线程同时存在，"
                     "轮流使用 CPU。先全部启动，再全部 join",
                     i, s.running, n));
    }
}

KATA_TEST(pinned, the_caller_keeps_its_cpus)
{
    int cpus[PAR_MAX_THREADS];
    int count = allowed(cpus);
    cpu_set_t before, after;
    sched_getaffinity(0, sizeof before, &before);
    int n = 2, ran_on[2];
    run_pinned(n, cpus[count - 1], ran_on);
    sched_getaffinity(0, sizeof after, &after);
    char was[256];
    snprintf(was, sizeof was, "%s", probe_mask_text(&before));
    cr_assert(
        CPU_EQUAL(&before, &after),
        KATA_MSG(
            "after par_run_pinned the calling thread may run only on CPU(s) %s, not on "
            "%s as before: pin the workers, each from its own thread, never the caller "
            "(new threads inherit the caller's affinity, and it stays changed)",
            "调用 par_run_pinned 之后，调用线程只能在 CPU %s 上运行，不再是原来的 "
            "%s：要绑定的是"
            "工作线程，由它们各自在自己的线程里绑定，不要绑调用者（新线程会继承调用者的亲和性，"
            "而且改了就一直是改过的）",
            probe_mask_text(&after), was));
}

static void run_spread(int n, int ran_on[])
{
    probe_arm();
    int err = par_run_spread(n, probe_work, &n, ran_on);
    cr_assert(
        err == 0,
        KATA_MSG("par_run_spread(%d, ...) returned %d (%s), not 0: start n workers; worker i "
                 "pins itself to cpus[i %% count] (par_allowed_cpus), then calls work(i, arg)",
                 "par_run_spread(%d, ...) 返回 %d（%s），不是 0：启动 n 个工作线程；第 i "
                 "个把自己绑到 "
                 "cpus[i %% count] 上（par_allowed_cpus），再调用 work(i, arg)",
                 n, err, err_text(err)));
}

static void expect_spread(int n, const int cpus[], int count, const int ran_on[])
{
    expect_ran_once(n, "par_run_spread");
    for (int i = 0; i < n; i++) {
        struct probe_seen s = probe_seen(i);
        int want = cpus[i % count];
        cr_assert(
            s.mask_cpus == 1 && s.mask_first == want,
            KATA_MSG("worker %d did its work with an affinity of %d CPU(s) (the lowest %d), "
                     "not of CPU %d alone: worker i pins itself to cpus[i %% count], so that "
                     "the workers are spread over every CPU the process may use",
                     "工作线程 %d 干活时的亲和性是 %d 个 CPU（最小的是 %d），而不是只有 CPU %d："
                     "第 i 个工作线程把自己绑到 cpus[i %% count]，这样工作线程才会分布到进程"
                     "能用的每一个 CPU 上",
                     i, s.mask_cpus, s.mask_first, want));
        cr_assert(
            s.cpu == want && ran_on[i] == want,
            KATA_MSG("worker %d ran on CPU %d and ran_on[%d] says %d, but it is pinned to "
                     "CPU %d: store sched_getcpu() after the work",
                     "工作线程 %d 在 CPU %d 上运行，ran_on[%d] 写的是 %d，但它绑定的是 CPU %d："
                     "干完活后存 sched_getcpu()",
                     i, s.cpu, i, ran_on[i], want));
        cr_assert(!s.waited_alone,
                  KATA_MSG("worker %d waited in vain for the other workers (%d of %d had started): "
                           "start them all, then join them all",
                           "工作线程 %d 白等了其他工作线程（%d 个里只启动了 %d "
                           "个）：先全部启动，再全部 join",
                           i, s.running, n));
    }
}

KATA_TEST(spread, each_worker_gets_a_cpu_of_its_own)
{
    int cpus[PAR_MAX_THREADS];
    int count = allowed(cpus);
    if (count < 2)
        KATA_SKIP("this machine lets the tests use only one CPU: parallelism needs at "
                  "least two, so this test is skipped (part 1's other tests still run)",
                  "这台机器只让测试使用一个 CPU：并行至少需要两个，所以跳过这个测试"
                  "（第 1 部分的其他测试照常运行）");
    int n = count < 4 ? count : 4, ran_on[4] = {-1, -1, -1, -1};
    run_spread(n, ran_on);
    expect_spread(n, cpus, count, ran_on);
}

KATA_TEST(spread, more_workers_than_cpus_wrap_around)
{
    int cpus[PAR_MAX_THREADS];
    int count = allowed(cpus);
    int n = count + 1 <= PAR_MAX_THREADS ? count + 1 : PAR_MAX_THREADS;
    int ran_on[PAR_MAX_THREADS];
    run_spread(n, ran_on);
    expect_spread(n, cpus, count, ran_on);
}

/* Takes the first of this process's CPUs away from it, as taskset or a
 * container's cpuset does: the CPUs left are not 0 .. count-1, and fewer
 * than the machine has online.  Returns them in cpus[]; skips the test when
 * there is only one. */
static int restrict_cpus(int cpus[PAR_MAX_THREADS])
{
    int all[PAR_MAX_THREADS];
    int count = allowed(all);
    if (count < 2)
        KATA_SKIP("this machine lets the tests use only one CPU: a smaller set of CPUs "
                  "cannot be made, so this test is skipped",
                  "这台机器只让测试使用一个 CPU：没法再缩小 CPU 集合，所以跳过这个测试");
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 1; i < count; i++)
        CPU_SET(all[i], &set);
    cr_assert(sched_setaffinity(0, sizeof set, &set) == 0, "the test could not restrict its CPUs");
    return allowed(cpus);
}

static const char *cpus_text(const int cpus[], int count)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < count; i++)
        CPU_SET(cpus[i], &set);
    return probe_mask_text(&set);
}

KATA_TEST(cpus, lists_only_the_cpus_the_process_may_use)
{
    int want[PAR_MAX_THREADS], got[PAR_MAX_THREADS];
    int count = restrict_cpus(want);
    for (int i = 0; i < PAR_MAX_THREADS; i++)
        got[i] = -1;
    int n = par_allowed_cpus(got, PAR_MAX_THREADS);
    int same = n == count;
    for (int i = 0; same && i < n; i++)
        same = got[i] == want[i];
    char listed[128];
    snprintf(listed, sizeof listed, "%s", n > 0 ? cpus_text(got, n) : "-");
    cr_assert(same,
              KATA_MSG("this process may use only CPU(s) %s (its affinity mask, as taskset or "
                       "a container's cpuset sets it), and par_allowed_cpus listed %d: %s. The "
                       "CPUs a process may use are neither every CPU online nor 0 .. count-1: "
                       "walk the CPU numbers and keep those CPU_ISSET finds in the mask of "
                       "sched_getaffinity(0, ...)",
                       "本进程只能使用 CPU %s（它的亲和性掩码，就像 taskset 或容器的 cpuset "
                       "设置的那样），而 par_allowed_cpus 列出了 %d 个：%s。进程能用的 CPU 既不是"
                       "所有在线的 CPU，也不一定是 0 .. count-1：要逐个检查 CPU 编号，留下 "
                       "sched_getaffinity(0, ...) 掩码里 CPU_ISSET 为真的那些",
                       cpus_text(want, count), n, listed));
}

KATA_TEST(spread, uses_only_the_cpus_the_process_may_use)
{
    int cpus[PAR_MAX_THREADS];
    int count = restrict_cpus(cpus);
    int n = count + 1 <= PAR_MAX_THREADS ? count + 1 : PAR_MAX_THREADS;
    int ran_on[PAR_MAX_THREADS];
    run_spread(n, ran_on);
    for (int i = 0; i < n; i++) {
        struct probe_seen s = probe_seen(i);
        int ok = 0;
        for (int k = 0; k < count; k++)
            ok |= s.ran && s.mask_cpus == 1 && s.mask_first == cpus[k];
        cr_assert(ok || !s.ran || s.mask_cpus != 1,
                  KATA_MSG("worker %d was pinned to CPU %d, which this process may not use "
                           "(it may use %s only, as with taskset or a container's cpuset): "
                           "spread the workers over the CPUs of par_allowed_cpus, not over "
                           "0 .. (CPUs online - 1)",
                           "工作线程 %d 被绑到了 CPU %d 上，而本进程不能用这个 CPU（它只能用 %s，"
                           "就像 taskset 或容器的 cpuset 限定的那样）：要把工作线程分布到 "
                           "par_allowed_cpus 给出的 CPU 上，而不是 0 到“在线 CPU 数 - 1”的每个 CPU",
                           i, s.mask_first, cpus_text(cpus, count)));
    }
    expect_spread(n, cpus, count, ran_on);
}

static void no_work(int index, void *arg)
{
    (void)index;
    (void)arg;
}

#define BOUNDS_MSG(fn, n, cpu, err)                                                                                             \
    KATA_MSG(                                                                                                                   \
        "%s(%d, %d, ...) returned %d (%s), not 0: n may be anything from 1 to "                                                 \
        "PAR_MAX_THREADS (%d), both ends included, and any CPU the process may use, CPU "                                       \
        "0 included, is a valid cpu; mind < against <= where the arguments are checked",                                        \
        "%s(%d, %d, ...) 返回 %d（%s），不是 0：n 可以是 1 到 PAR_MAX_THREADS（%d）之间的任何"               \
        "值，两端都包括在内；进程可用的任何 CPU（包括 CPU 0）都是合法的 cpu；检查参数时注意 " \
        "< 和 <= 的区别",                                                                                                       \
        fn, n, cpu, err, err_text(err), PAR_MAX_THREADS)

KATA_TEST(pinned, one_to_par_max_threads_workers_on_the_first_cpu)
{
    int cpus[PAR_MAX_THREADS], ran_on[PAR_MAX_THREADS];
    allowed(cpus); /* cpus[0] is CPU 0 wherever the process may use CPU 0 */
    int ns[2] = {1, PAR_MAX_THREADS};
    for (int k = 0; k < 2; k++) {
        int err = par_run_pinned(ns[k], cpus[0], no_work, NULL, ran_on);
        cr_assert(err == 0, BOUNDS_MSG("par_run_pinned", ns[k], cpus[0], err));
    }
}

KATA_TEST(spread, one_to_par_max_threads_workers)
{
    int ran_on[PAR_MAX_THREADS];
    int ns[2] = {1, PAR_MAX_THREADS};
    for (int k = 0; k < 2; k++) {
        int err = par_run_spread(ns[k], no_work, NULL, ran_on);
        cr_assert(err == 0, BOUNDS_MSG("par_run_spread", ns[k], -1, err));
    }
}

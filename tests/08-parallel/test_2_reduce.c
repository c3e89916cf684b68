/* 08-parallel, part 2: a parallel sum.  The data are 1, 2, 3, ... so that an
 * item summed twice or not at all always changes the total; the workers the
 * student's code starts are held until its first pthread_join, so a total
 * added up before the joins is always wrong, never only sometimes.  On
 * x86-64 one test runs the workers one instruction at a time and counts
 * their atomic instructions: an atomic add per item into a shared total is
 * a fact of the code the workers executed, not a timing. */
#include "probes.h" /* first: parallel.h sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

KATA_SUITE(reduce);

/* The data lie between two fences of FENCE items each worth OUTSIDE, far
 * more than any total of 1 .. n here: a total off by a multiple of it says
 * how many items were read outside data[0 .. n-1]. */
#define FENCE 64
#define OUTSIDE 10000000LL

static int *ramp(size_t n)
{
    int *fenced = malloc((n + 2 * FENCE) * sizeof *fenced);
    cr_assert(fenced != NULL, "the test could not allocate its data");
    for (size_t i = 0; i < n + 2 * FENCE; i++)
        fenced[i] = (int)OUTSIDE;
    int *data = fenced + FENCE;
    for (size_t i = 0; i < n; i++)
        data[i] = (int)(i + 1);
    return data;
}

/* par_sum over 1 .. n with `threads` workers; fails the test on an error,
 * or when the workers read outside the data. */
static long long sum_ramp(size_t n, int threads)
{
    int *data = ramp(n);
    long long total = -1;
    probe_arm();
    int err = par_sum(data, n, threads, &total);
    free(data - FENCE);
    cr_assert(
        err == 0,
        KATA_MSG("par_sum(data, %zu, %d, &total) returned %d (%s), not 0: start `threads` "
                 "workers, join them, then store the sum in *total",
                 "par_sum(data, %zu, %d, &total) 返回 %d（%s），不是 0：启动 threads 个工作线程，"
                 "join 它们，再把总和存进 *total",
                 n, threads, err,
                 err == ENOSYS ? KATA_TR("ENOSYS: still the stub", "ENOSYS：仍然是桩代码")
                               : strerror(err)));
    long long want = (long long)n * ((long long)n + 1) / 2, off = total - want;
    long long outside = (off + (off >= 0 ? OUTSIDE / 2 : -OUTSIDE / 2)) / OUTSIDE;
    cr_assert(outside == 0,
              KATA_MSG("par_sum(data, %zu, %d, ...) read about %lld item(s) outside the array, "
                       "before data[0] or from data[%zu] on: a chunk that ends past n (or "
                       "starts before 0) reads memory that is not the caller's data. Every "
                       "chunk stays inside 0 .. n: chunk t runs from n*t/threads to "
                       "n*(t+1)/threads, and the last one ends at n exactly",
                       "par_sum(data, %zu, %d, ...) 在数组之外读了大约 %lld 项（data[0] 之前，或者 "
                       "data[%zu] 及以后）：结束位置超过 n（或者起点小于 0）的段读到的不是调用者的"
                       "数据。每一段都必须在 0 .. n 之内：第 t 段从 n*t/threads 到 "
                       "n*(t+1)/threads，最后一段正好结束在 n",
                       n, threads, outside < 0 ? -outside : outside, n));
    return total;
}

#define EXPECT_SUM(n, threads, en, zh)                                                             \
    do {                                                                                           \
        long long got_ = sum_ramp((n), (threads));                                                 \
        long long want_ = (long long)(n) * ((long long)(n) + 1) / 2;                               \
        cr_assert(got_ == want_, KATA_MSG(en, zh, (size_t)(n), (threads), got_, want_));           \
    } while (0)

KATA_TEST(reduce, sums_when_the_threads_divide_the_input)
{
    EXPECT_SUM(
        1000, 4,
        "the sum of 1 .. %zu with %d workers came out as %lld, not %lld: give each "
        "worker one contiguous chunk, sum it into a partial result of its own, and add "
        "the partial results up after joining every worker",
        "求 1 .. %zu 的和（%d 个工作线程），得到 %lld，而不是 %lld：给每个工作线程一段"
        "连续的数据，让它把这段的和算进自己的部分结果，join 所有工作线程之后再把部分结果加起来");
    EXPECT_SUM(
        1000, 1,
        "the sum of 1 .. %zu with %d worker came out as %lld, not %lld: one worker sums "
        "the whole array",
        "求 1 .. %zu 的和（%d 个工作线程），得到 %lld，而不是 %lld：一个工作线程就求整个数组的和");
}

KATA_TEST(reduce, sums_when_the_threads_do_not_divide_the_input)
{
    static const struct {
        size_t n;
        int threads;
    } cases[] = {{10, 3}, {1001, 4}, {7, 2}, {99, 8}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        EXPECT_SUM(
            cases[k].n, cases[k].threads,
            "the sum of 1 .. %zu with %d workers came out as %lld, not %lld: when the "
            "thread count does not divide n, n / threads items per worker leaves a "
            "remainder. Every item must be in exactly one chunk: dropped, it is missing; "
            "given to two workers, it is counted twice. Chunk t from n*t/threads to "
            "n*(t+1)/threads covers them all",
            "求 1 .. %zu 的和（%d 个工作线程），得到 %lld，而不是 %lld：线程数不能整除 n 时，"
            "每个工作线程分 n / threads 项会剩下余数。每一项都必须恰好属于一段：丢了就少算，"
            "分给两个工作线程就多算一次。第 t 段从 n*t/threads 到 n*(t+1)/threads，正好全部覆盖");
}

KATA_TEST(reduce, sums_with_par_max_threads_workers)
{
    EXPECT_SUM(1000, PAR_MAX_THREADS,
               "the sum of 1 .. %zu with %d workers (PAR_MAX_THREADS, the most allowed) came out "
               "as %lld, not %lld: threads may be anything from 1 to PAR_MAX_THREADS, both ends "
               "included; mind < against <= where threads is checked",
               "求 1 .. %zu 的和（%d 个工作线程，即允许的最大数 PAR_MAX_THREADS），得到 %lld，"
               "而不是 %lld：threads 可以是 1 到 PAR_MAX_THREADS 之间的任何值，两端都包括在内；"
               "检查 threads 时注意 < 和 <= 的区别");
}

KATA_TEST(reduce, sums_with_more_threads_than_items)
{
    EXPECT_SUM(3, 8,
               "the sum of 1 .. %zu with %d workers came out as %lld, not %lld: with more "
               "workers than items some chunks are empty, and every item is still summed once",
               "求 1 .. %zu 的和（%d 个工作线程），得到 %lld，而不是 %lld：工作线程比数据项多时，"
               "有些段是空的，但每一项仍然要恰好算一次");
    EXPECT_SUM(1, 4,
               "the sum of 1 .. %zu (one item) with %d workers came out as %lld, not %lld: one "
               "worker gets the item, the other chunks are empty",
               "求 1 .. %zu（只有一项）的和（%d 个工作线程），得到 %lld，而不是 %lld：一个工作线程"
               "分到这一项，其余的段都是空的");
    EXPECT_SUM(
        0, 2,
        "the sum of 1 .. %zu (no items) with %d workers came out as %lld, not %lld: "
        "the sum of nothing is 0",
        "求 1 .. %zu（没有数据）的和（%d 个工作线程），得到 %lld，而不是 %lld：空数组的和是 0");
}

KATA_TEST(reduce, starts_the_asked_number_of_threads)
{
    static const struct {
        size_t n;
        int threads;
    } cases[] = {{1000, 3}, {5, 8}};
    for (size_t k = 0; k < 2; k++) {
        struct probe_counts before = probe_counts();
        sum_ramp(cases[k].n, cases[k].threads);
        struct probe_counts after = probe_counts();
        int created = after.created - before.created;
        cr_assert(
            created == cases[k].threads,
            KATA_MSG("par_sum(data, %zu, %d, ...) started %d thread(s), not %d: start exactly "
                     "`threads` workers, one per chunk, even when some chunks are empty",
                     "par_sum(data, %zu, %d, ...) 启动了 %d 个线程，不是 %d 个：正好启动 threads 个"
                     "工作线程，每段一个，即使有的段是空的",
                     cases[k].n, cases[k].threads, created, cases[k].threads));
    }
}

KATA_TEST(reduce, total_is_added_up_after_the_joins)
{
    EXPECT_SUM(4000, 4,
               "the sum of 1 .. %zu with %d workers came out as %lld, not %lld. In this test "
               "the workers cannot start before your first pthread_join, so a total added up "
               "before the joins misses their partial results. A worker's result is complete "
               "and visible only once pthread_join has returned: join them all, then add up",
               "求 1 .. %zu 的和（%d 个工作线程），得到 %lld，而不是 %lld。在这个测试里，"
               "工作线程要等到你第一次调用 pthread_join 才能开始，所以在 join "
               "之前加总，就会漏掉它们的部分结果。"
               "只有 pthread_join 返回之后，工作线程的结果才完整、才对你可见：先全部 join，再加总");
    struct probe_counts c = probe_counts();
    cr_assert(
        c.joins >= 4,
        KATA_MSG("par_sum called pthread_join %d time(s) for 4 workers: join every worker "
                 "before reading its partial result",
                 "4 个工作线程，par_sum 只调用了 %d 次 pthread_join：读每个工作线程的部分结果之前，"
                 "先 join 它",
                 c.joins));
}

KATA_TEST(reduce, no_lock_per_item)
{
    enum { N = 20000, THREADS = 4 };
    long long got = sum_ramp(N, THREADS);
    struct probe_counts c = probe_counts();
    cr_assert(
        c.locks <= THREADS,
        KATA_MSG("the workers took a mutex %d times to sum %d items: a lock per item makes "
                 "the threads wait for each other at every step, so they run one at a time "
                 "(and slower than one thread). Each worker adds into a partial result of "
                 "its own, a local variable, with no lock at all",
                 "工作线程拿了 %d 次互斥锁，只为了加 %d 项：每一项都加锁，线程每一步都要互相等待，"
                 "于是只能一个接一个地跑（比一个线程还慢）。每个工作线程应该把数加进自己的部分结果"
                 "（一个局部变量），根本不需要锁",
                 c.locks, N));
    cr_assert(got == (long long)N * (N + 1) / 2,
              KATA_MSG("the sum of 1 .. %d came out as %lld", "1 .. %d 的和算成了 %lld", N, got));
}

KATA_TEST(reduce, no_atomic_per_item)
{
    if (!PROBE_CAN_STEP)
        KATA_SKIP(
            "counting the workers' atomic instructions needs an x86-64 CPU: "
            "the test runs the workers one instruction at a time",
            "统计工作线程执行的原子指令需要 x86-64 CPU：这个测试让工作线程一次只执行一条指令");
    /* Few items: every instruction of every worker costs a signal.  A worker
     * that sums into a local executes a handful of atomic instructions at
     * most (a lock or an atomic add at the end, the C library's own); one
     * that adds every item atomically executes N of them.  The total itself
     * is the other tests' business: this one is about how it is reached. */
    enum { N = 256, THREADS = 2, MOST = N / 4 };
    int *data = ramp(N);
    long long total = -1;
    probe_arm();
    cr_assert(probe_step_workers() == 0, KATA_MSG("the test could not install its SIGTRAP handler",
                                                  "测试没能装上它的 SIGTRAP 处理函数"));
    int err = par_sum(data, N, THREADS, &total);
    free(data - FENCE);
    cr_assert(
        err == 0,
        KATA_MSG("par_sum(data, %d, %d, &total) returned %d (%s), not 0: start `threads` "
                 "workers, join them, then store the sum in *total",
                 "par_sum(data, %d, %d, &total) 返回 %d（%s），不是 0：启动 threads 个工作线程，"
                 "join 它们，再把总和存进 *total",
                 N, THREADS, err,
                 err == ENOSYS ? KATA_TR("ENOSYS: still the stub", "ENOSYS：仍然是桩代码")
                               : strerror(err)));
    struct probe_steps s = probe_steps();
    cr_assert(s.workers > 0,
              KATA_MSG("par_sum ran no worker thread: the sum must be computed by the workers",
                       "par_sum 没有运行任何工作线程：总和必须由工作线程来算"));
    cr_assert(
        s.atomics <= MOST,
        KATA_MSG(
            "to sum %d items on %d workers, the workers executed at least %ld atomic "
            "instructions (this test runs them one instruction at a time and counts "
            "the atomic read-modify-writes: atomic_fetch_add, __sync_fetch_and_add, a "
            "mutex lock ...). One shared total updated atomically for every item gives "
            "the right sum without a lock, but it is still one total that every core "
            "writes: each atomic add must first bring the cache line holding the total "
            "into its own core, so at every item that line travels from one core to the "
            "other while the workers wait for it, and they run no faster than one "
            "thread. Give each worker a partial result of its own, a local variable it "
            "adds into with a plain +=, and combine the partial results after the joins",
            "%d 项数据分给 %d 个工作线程求和，工作线程至少执行了 %ld 条原子指令（这个测试让工作线程"
            "一次只执行一条指令，数出其中的原子读-改-写：atomic_fetch_add、__sync_fetch_and_add、"
            "给互斥锁加锁……）。每一项都用原子操作加进同一个共享总和，不加锁也能得到正确的和，"
            "可它仍然是所有核都要写的一个总和：每次原子加法都得先把存放总和的那条缓存行搬进自己的核"
            "，"
            "于是每加一项，这条缓存行就要在核之间搬一趟，工作线程都在等它，跑得并不比一个线程快。"
            "给每个工作线程一个自己的部分结果——一个用普通 += 累加的局部变量——"
            "全部 join 之后再把部分结果合并起来",
            N, THREADS, s.atomics));
}

/* 03-race, part 3: one counter per thread, summed after the join.
 *
 * While race_shards_run runs, the pthread_create wrapper (probes.h) holds
 * every thread it starts until race_shards_run first calls pthread_join.  A
 * correct run is not changed by that; a sum taken before the join then
 * always finds the shards still empty, instead of only when the scheduler
 * happens to be slow. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <stdint.h>

KATA_SUITE(shards);

#define THREADS 4
#define PER_THREAD 1000L

static struct race_shards *new_shards(int threads)
{
    struct race_shards *s = race_shards_new(threads);
    cr_assert(
        s != NULL,
        KATA_MSG("race_shards_new(%d) returned NULL: allocate the shards (one per thread, "
                 "all 0) and return them",
                 "race_shards_new(%d) 返回了 NULL：要分配好分片（每个线程一个，全为 0）并返回",
                 threads));
    for (int i = 0; i < threads; i++)
        cr_assert(race_shard(s, i) != NULL,
                  KATA_MSG("race_shard(s, %d) returned NULL: return the address of shard %d's "
                           "counter",
                           "race_shard(s, %d) 返回了 NULL：要返回第 %d 个分片计数器的地址", i, i));
    return s;
}

/* Runs the shards with held workers; returns the error number. */
static int run_held(struct race_shards *s, long *total)
{
    probe_hold_workers(1);
    int err = race_shards_run(s, PER_THREAD, total);
    probe_hold_workers(0);
    cr_assert(err == 0,
              KATA_MSG("race_shards_run returned %d, not 0: start one thread per shard, join "
                       "them all, sum, and return 0",
                       "race_shards_run 返回了 %d，不是 0：为每个分片启动一个线程，全部 join，"
                       "再求和，返回 0",
                       err));
    return err;
}

KATA_TEST(shards, new_shards_start_at_zero)
{
    struct race_shards *s = new_shards(THREADS);
    for (int i = 0; i < THREADS; i++) {
        cr_assert(*race_shard(s, i) == 0,
                  KATA_MSG("a new shard %d holds %ld, not 0: every shard starts at 0",
                           "新建的第 %d 个分片是 %ld，不是 0：每个分片都从 0 开始", i,
                           *race_shard(s, i)));
        for (int j = 0; j < i; j++)
            cr_assert(race_shard(s, i) != race_shard(s, j),
                      KATA_MSG("shards %d and %d are the same counter: each thread needs one "
                               "of its own",
                               "第 %d 和第 %d 个分片是同一个计数器：每个线程都要有自己的一个", j,
                               i));
    }
    race_shards_free(s);
}

KATA_TEST(shards, increment_counts_in_its_own_shard)
{
    struct race_shards *s = new_shards(THREADS);
    for (int n = 0; n < 3; n++)
        race_shard_increment(s, 2);
    for (int i = 0; i < THREADS; i++)
        cr_assert(*race_shard(s, i) == (i == 2 ? 3 : 0),
                  KATA_MSG("after 3 calls of race_shard_increment(s, 2), shard %d holds %ld, not "
                           "%d: it adds 1 to shard i and touches no other",
                           "调用 3 次 race_shard_increment(s, 2) 后，第 %d 个分片是 %ld，不是 %d："
                           "它只给第 i 个分片加 1，别的都不碰",
                           i, *race_shard(s, i), i == 2 ? 3 : 0));
    race_shards_free(s);
}

KATA_TEST(shards, total_is_summed_after_every_join)
{
    struct race_shards *s = new_shards(THREADS);
    long total = -1;
    run_held(s, &total);
    int created = probe_created(), joined = probe_joined();
    long in_shards = 0;
    for (int i = 0; i < THREADS; i++)
        in_shards += *race_shard(s, i);
    cr_assert(created == THREADS,
              KATA_MSG("race_shards_run started %d thread(s) for %d shards: start one per shard",
                       "race_shards_run 启动了 %d 个线程，而分片有 %d 个：每个分片启动一个线程",
                       created, THREADS));
    cr_assert(joined == created,
              KATA_MSG("race_shards_run started %d threads but joined %d: join every one, and "
                       "only then read the shards",
                       "race_shards_run 启动了 %d 个线程，却只 join 了 %d 个：要全部 join，"
                       "然后才能读分片",
                       created, joined));
    /* Only total against the shards: whether the shards hold the right
     * numbers is the next test's business. */
    cr_assert(
        total == in_shards,
        KATA_MSG("race_shards_run stored a total of %ld, but when it returned the shards held "
                 "%ld in all: *total must be the sum of every shard, read after every thread "
                 "has been joined. A sum read before the joins misses the increments the "
                 "threads are still making: a thread's writes are sure to be done, and visible, "
                 "only once it has been joined",
                 "race_shards_run 存的总数是 %ld，但它返回时各分片加起来是 %ld：*total 必须是"
                 "所有分片之和，并且要在所有线程都 join 之后再读。在 join 之前求和，会漏掉线程"
                 "还在进行的累加：一个线程的写入，只有在它被 join 之后才确定完成并且可见",
                 total, in_shards));
    race_shards_free(s);
}

KATA_TEST(shards, each_thread_counts_in_its_own_shard)
{
    struct race_shards *s = new_shards(THREADS);
    long total = -1;
    run_held(s, &total);
    for (int i = 0; i < THREADS; i++)
        cr_assert(
            *race_shard(s, i) == PER_THREAD,
            KATA_MSG("after race_shards_run(s, %ld, ...), shard %d holds %ld, not %ld: thread "
                     "i must call race_shard_increment(s, i) %ld times, on its own shard and "
                     "no other (give each thread its own index, not the address of the loop "
                     "variable)",
                     "race_shards_run(s, %ld, ...) 之后，第 %d 个分片是 %ld，不是 %ld："
                     "第 i 个线程要调用 race_shard_increment(s, i) %ld 次，只碰自己的分片"
                     "（给每个线程它自己的编号，不要传循环变量的地址）",
                     PER_THREAD, i, *race_shard(s, i), PER_THREAD, PER_THREAD));
    race_shards_free(s);
}

KATA_TEST(shards, shards_sit_on_separate_cache_lines)
{
    struct race_shards *s = new_shards(RACE_MAX_THREADS);
    for (int i = 0; i < RACE_MAX_THREADS; i++) {
        uintptr_t a = (uintptr_t)race_shard(s, i);
        uintptr_t a_first = a / RACE_CACHE_LINE, a_last = (a + sizeof(long) - 1) / RACE_CACHE_LINE;
        for (int j = 0; j < i; j++) {
            uintptr_t b = (uintptr_t)race_shard(s, j);
            uintptr_t b_first = b / RACE_CACHE_LINE,
                      b_last = (b + sizeof(long) - 1) / RACE_CACHE_LINE;
            int share =
                a_first == b_first || a_first == b_last || a_last == b_first || a_last == b_last;
            cr_assert(!share,
                      KATA_MSG("shards %d and %d are %ld bytes apart, on the same %d-byte cache "
                               "line: the two threads never touch each other's number, but the "
                               "CPU moves whole lines between cores, so every increment of one "
                               "takes the line away from the other (false sharing). Pad each "
                               "shard to a whole line: a struct with _Alignas(RACE_CACHE_LINE), "
                               "in memory from aligned_alloc",
                               "第 %d 和第 %d 个分片相距 %ld 字节，落在同一条 %d 字节的缓存行上："
                               "两个线程从不碰对方的数，但 CPU 在核之间是整行搬运的，"
                               "一个线程每自增一次，就把这一行从另一个核那里抢走（伪共享）。"
                               "把每个分片填充到一整行：用带 _Alignas(RACE_CACHE_LINE) 的结构体，"
                               "内存用 aligned_alloc 分配",
                               j, i, (long)(a > b ? a - b : b - a), RACE_CACHE_LINE));
        }
    }
    race_shards_free(s);
}

KATA_TEST(shards, failed_join_still_joins_the_other_threads)
{
    struct race_shards *s = new_shards(THREADS);
    long total = -1;
    probe_hold_workers(1); /* counts the threads started */
    probe_fail_join_at(1); /* the second pthread_join reports EINVAL */
    int calls_before = probe_join_calls();
    int err = race_shards_run(s, PER_THREAD, &total);
    probe_fail_join_at(-1);
    probe_hold_workers(0);
    int created = probe_created(), calls = probe_join_calls() - calls_before;
    cr_assert(
        calls == created,
        KATA_MSG("the test made the second pthread_join report EINVAL, and race_shards_run "
                 "then called pthread_join %d time(s) for the %d threads it started: one "
                 "failed join is no reason to leave the other threads unjoined (they are "
                 "still running and counting), so join every thread, remember the first "
                 "error, and return it at the end",
                 "测试让第二次 pthread_join 报告 EINVAL，之后 race_shards_run 为它启动的 %2$d "
                 "个线程一共调用了 %1$d 次 pthread_join：一次 join 失败不是放着其他线程不 "
                 "join 的理由（它们还在跑、还在计数）；要 join 每一个线程，记下第一个错误，"
                 "最后再返回它",
                 calls, created));
    cr_assert(err == EINVAL,
              KATA_MSG("the second pthread_join reported EINVAL, and race_shards_run returned %d: "
                       "return the error number pthread_join gave (pthread functions return it, "
                       "they do not set errno)",
                       "第二次 pthread_join 报告了 EINVAL，race_shards_run 却返回了 %d：要返回 "
                       "pthread_join 给出的错误号（pthread 函数返回错误号，不设置 errno）",
                       err));
    race_shards_free(s);
}

KATA_TEST(shards, failed_create_joins_the_threads_already_started)
{
    struct race_shards *s = new_shards(THREADS);
    long total = -1;
    probe_hold_workers(1);
    probe_fail_create_after(2); /* two threads start, the third pthread_create fails */
    int err = race_shards_run(s, PER_THREAD, &total);
    probe_fail_create_after(-1);
    probe_hold_workers(0);
    int created = probe_created(), joined = probe_joined();
    cr_assert(created == 2,
              KATA_MSG("race_shards_run started %d thread(s) before the test made the third "
                       "pthread_create fail: start the threads one after another, one per "
                       "shard",
                       "测试让第三次 pthread_create 失败之前，race_shards_run 启动了 %d 个线程："
                       "要一个接一个地为每个分片启动线程",
                       created));
    cr_assert(joined == created,
              KATA_MSG("the third pthread_create failed (EAGAIN), and race_shards_run returned "
                       "having joined %d of the %d threads it had started: the threads already "
                       "running still count in the shards, so join every one of them before "
                       "returning the error",
                       "第三次 pthread_create 失败了（EAGAIN），race_shards_run 返回时只 join 了"
                       "它启动的 %2$d 个线程中的 %1$d 个：已经在跑的线程还在往分片里计数，返回"
                       "错误之前要把它们全部 join",
                       joined, created));
    cr_assert(err == EAGAIN,
              KATA_MSG("the third pthread_create failed with EAGAIN, and race_shards_run "
                       "returned %d: return the error number pthread_create gave (pthread "
                       "functions return it, they do not set errno)",
                       "第三次 pthread_create 以 EAGAIN 失败了，race_shards_run 却返回了 %d："
                       "要返回 pthread_create 给出的错误号（pthread 函数返回错误号，不设置 errno）",
                       err));
    race_shards_free(s);
}

KATA_TEST(shards, a_single_thread_has_one_shard)
{
    struct race_shards *s = race_shards_new(1);
    cr_assert(s != NULL,
              KATA_MSG("race_shards_new(1) returned NULL: one thread is a valid count (1 <= "
                       "threads <= RACE_MAX_THREADS, both ends included); mind < against <= "
                       "where the count is checked",
                       "race_shards_new(1) 返回了 NULL：一个线程是合法的数目（1 <= threads <= "
                       "RACE_MAX_THREADS，两端都包括在内）；检查数目时注意 < 和 <= 的区别"));
    long total = -1;
    run_held(s, &total);
    cr_assert(total == PER_THREAD,
              KATA_MSG("with one thread of %ld increments the total is %ld, not %ld",
                       "一个线程累加 %ld 次，总数却是 %ld，而不是 %ld", PER_THREAD, total,
                       PER_THREAD));
    race_shards_free(s);
}

/* 03-race, part 2: the counter with one atomic instruction.
 *
 * An increment made of an atomic_load and then an atomic_store is two atomic
 * steps; helgrind says nothing about it (it sees no plain data race), and a
 * real parallel run catches it only by luck.  So the test runs
 * race_atomic_increment one machine instruction at a time (probes.h) and,
 * at every boundary between two of its instructions in turn, lets "another
 * thread" increment the counter.  A real read-modify-write is one
 * instruction and cannot be split: the other increment always lands before
 * or after it.  A load and a store can: at the boundary between them, the
 * other increment is overwritten.  Every boundary is tried, every run.
 *
 * Why not simply run two threads and look at the total?  Measured on the
 * 2-core machine this was written on: two threads doing 100000
 * load-then-store increments each came out with the right total in 761 of
 * 1000 runs with the machine nearly idle, and in 633 of 1000 while it was
 * busy (with 1000 increments each: 959 and 983 of 1000).  A test built on
 * that would pass the wrong answer most of the time. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

KATA_SUITE(atomic);

static atomic_long counter;

static void increment(void *p)
{
    race_atomic_increment(p);
}

/* "Another thread" increments, from the single-stepper's signal handler. */
static void other_increment(void *p)
{
    atomic_fetch_add((atomic_long *)p, 1);
}

KATA_TEST(atomic, increment_adds_one)
{
    atomic_store(&counter, 41);
    race_atomic_increment(&counter);
    long got = atomic_load(&counter);
    cr_assert(
        got == 42,
        KATA_MSG("race_atomic_increment turned 41 into %ld, not 42: it must add 1 with "
                 "atomic_fetch_add",
                 "race_atomic_increment 把 41 变成了 %ld，而不是 42：要用 atomic_fetch_add 加 1",
                 got));
}

KATA_TEST(atomic, increment_is_one_indivisible_step)
{
    if (!PROBE_CAN_STEP)
        KATA_SKIP("this test runs the code one instruction at a time, which needs an x86-64 CPU; "
                  "make helgrind EX=03 still checks the same code",
                  "这个测试让代码一次只执行一条指令，这需要 x86-64 CPU；"
                  "make helgrind EX=03 仍然会检查同样的代码");
    atomic_store(&counter, 0);
    race_atomic_increment(&counter); /* once without stepping: lazy binding, caches */
    long once = atomic_load(&counter);
    cr_assert(
        once == 1,
        KATA_MSG("one race_atomic_increment turned 0 into %ld, not 1: add 1 with "
                 "atomic_fetch_add",
                 "一次 race_atomic_increment 把 0 变成了 %ld，而不是 1：用 atomic_fetch_add 加 1",
                 once));
    atomic_store(&counter, 0);
    struct probe_step plain = probe_step_run(increment, &counter, 0, NULL, NULL);
    cr_assert(plain.finished,
              KATA_MSG("race_atomic_increment ran more than %d instructions: an atomic increment "
                       "is one instruction, with no loop and no waiting",
                       "race_atomic_increment 执行了超过 %d 条指令：原子自增只是一条指令，"
                       "不需要循环，也不需要等待",
                       PROBE_STEP_LIMIT));
    cr_assert(
        plain.steps <= PROBE_MAX_TRIED,
        KATA_MSG("race_atomic_increment ran %ld instructions, too many to try another "
                 "thread's increment between every two of them: an atomic increment is one "
                 "instruction. Take out printf and any other call",
                 "race_atomic_increment 执行了 %ld 条指令，太多了，没法在每两条指令之间都试一次"
                 "另一个线程的自增：原子自增只是一条指令。请去掉 printf 和其他函数调用",
                 plain.steps));
    for (long at = 1; at <= plain.steps; at++) {
        atomic_store(&counter, 0);
        struct probe_step r = probe_step_run(increment, &counter, at, other_increment, &counter);
        long got = atomic_load(&counter);
        char where[128];
        probe_code_name(r.where, where, sizeof where);
        cr_assert(
            got == 1 + r.interfered,
            KATA_MSG(
                "lost update: another thread incremented the counter just before the "
                "instruction at %s, in the middle of race_atomic_increment, and after "
                "both increments the counter is %ld, not 2. Your increment read the "
                "counter, then wrote back its own result over the other one: a load "
                "followed by a store is two steps even if each one is atomic. Use one "
                "read-modify-write, atomic_fetch_add",
                "丢失更新：另一个线程恰好在 %s 处的指令之前（race_atomic_increment 执行到一半）"
                "给计数器加了 1，两次自增之后计数器是 %ld，不是 2。你的自增先读了计数器，"
                "再用自己算的结果覆盖了对方的：先 load 再 store 是两步，哪怕每一步都是原子的。"
                "请用一步完成的读-改-写：atomic_fetch_add",
                where, got));
    }
}

/* 05-coroutine, part 3: a round-robin scheduler of coroutines. */
#include "support.h"

#include <stdlib.h>

KATA_SUITE(round_robin);

/* The output with each newline shown as " | ", for messages. */
static const char *lines(const char *s)
{
    static char buf[2][1024];
    static int next;
    char *b = buf[next++ % 2];
    size_t n = 0;
    for (; *s && n + 4 < sizeof buf[0]; s++) {
        if (*s == '\n') {
            memcpy(b + n, " | ", 3);
            n += 3;
        } else {
            b[n++] = *s;
        }
    }
    b[n] = '\0';
    return n ? b : KATA_TR("(nothing)", "（什么也没有）");
}

static void sc_printers(void)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&buf, &size);
    struct rr_printer a = {out, "A", 3}, b = {out, "B", 2}, c = {out, "C", 3};
    struct rr rr = RR_INITIALIZER;
    if (!rr_spawn(&rr, rr_printer_fn, &a) || !rr_spawn(&rr, rr_printer_fn, &b) ||
        !rr_spawn(&rr, rr_printer_fn, &c)) {
        ev("spawn-failed");
    } else {
        ev("run=%s", ename(rr_run(&rr)));
    }
    rr_free(&rr);
    keep_output(out, &buf);
}

KATA_TEST(round_robin, printers_interleave_line_by_line)
{
    run_or_fail(sc_printers, KATA_TR("Three printers (A 3 lines, B 2, C 3) run under rr_run.",
                                     "三个打印任务（A 3 行、B 2 行、C 3 行）在 rr_run 下运行。"));
    const char *want = "A 0\nB 0\nC 0\nA 1\nB 1\nC 1\nA 2\nC 2\n";
    cr_assert(
        strstr(T->text, "spawn-failed") == NULL,
        KATA_MSG(
            "rr_spawn returned NULL: it must create a coroutine for the task (coro_create) and "
            "add it after the others",
            "rr_spawn 返回了 "
            "NULL：它必须为任务创建一个协程（coro_create），并把它排在其他任务之后"));
    cr_assert(
        strcmp(T->out, want) == 0,
        KATA_MSG(
            "the output must interleave one line per task per round, in spawn order, every "
            "time: each printer yields after each line and rr_run gives every unfinished task "
            "one turn per round\n  expected: %s\n  printed:  %s",
            "输出必须每轮每个任务一行、按创建顺序交错，而且每次都一样：每个打印任务每打一行就 "
            "yield，rr_run 每一轮给每个没结束的任务一次机会\n  应有的输出：%s\n  实际的输出：%s",
            lines(want), lines(T->out)));
    expect_events("run=0 ", "rr_run returns 0 once every task has finished",
                  "所有任务都结束后，rr_run 返回 0");
}

struct stepper {
    const char *name;
    int steps;
};

/* A task that records each of its steps and yields after each one. */
static long stepper_fn(void *arg, long first)
{
    (void)first;
    const struct stepper *s = arg;
    for (int i = 0; i < s->steps; i++) {
        ev("%s%d", s->name, i);
        coro_yield(0, NULL);
    }
    return s->steps;
}

static void sc_turns(void)
{
    struct stepper x = {"x", 3}, y = {"y", 1}, z = {"z", 2};
    struct rr rr = RR_INITIALIZER;
    struct coro *t[3] = {rr_spawn(&rr, stepper_fn, &x), rr_spawn(&rr, stepper_fn, &y),
                         rr_spawn(&rr, stepper_fn, &z)};
    if (!t[0] || !t[1] || !t[2]) {
        ev("create-failed");
        return;
    }
    ev("run=%s", ename(rr_run(&rr)));
    ev("%s%s%s", sname(coro_status(t[0])), sname(coro_status(t[1])), sname(coro_status(t[2])));
    rr_free(&rr);
}

KATA_TEST(round_robin, tasks_take_turns_until_all_finish)
{
    run_or_fail(sc_turns, KATA_TR("Three tasks of 3, 1 and 2 steps run under rr_run.",
                                  "三个分别有 3、1、2 步的任务在 rr_run 下运行。"));
    expect_events("x0 y0 z0 x1 z1 x2 run=0 FFF ",
                  "each round resumes every task that has not finished, once, in spawn order; "
                  "a finished task is skipped (resuming it would be refused with EINVAL), and "
                  "the rounds go on until every task has finished",
                  "每一轮按创建顺序把每个还没结束的任务恢复一次；已结束的任务要跳过（恢复它会以 "
                  "EINVAL 被拒绝），一轮接一轮，直到所有任务都结束");
}

static long never_runs(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("ran");
    return 0;
}

static void sc_full(void)
{
    struct rr rr = RR_INITIALIZER;
    int made = 0;
    for (int i = 0; i < RR_MAX_TASKS + 1; i++)
        if (rr_spawn(&rr, never_runs, NULL) != NULL)
            made++;
    ev("made=%d count=%d", made, rr.count);
    rr_free(&rr);
    ev("after-free=%d", rr.count);
}

KATA_TEST(round_robin, spawn_adds_tasks_without_running_them)
{
    run_or_fail(sc_full, KATA_TR("RR_MAX_TASKS + 1 tasks are spawned, none is run.",
                                 "创建 RR_MAX_TASKS + 1 个任务，一个也不运行。"));
    char want[64];
    snprintf(want, sizeof want, "made=%d count=%d after-free=0 ", RR_MAX_TASKS, RR_MAX_TASKS);
    expect_events(want,
                  "rr_spawn adds a task without running it, refuses (NULL) once RR_MAX_TASKS "
                  "tasks are there, and rr_free frees them all and empties the scheduler",
                  "rr_spawn 添加任务但不运行它，已有 RR_MAX_TASKS 个任务时拒绝（返回 NULL）；"
                  "rr_free 释放全部任务并清空调度器");
}

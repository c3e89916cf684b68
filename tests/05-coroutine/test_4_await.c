/* 05-coroutine, part 4: a coroutine awaits another's result. */
#include "support.h"

KATA_SUITE(await);

/* Records its steps, yields between them, returns 42. */
static long child_fn(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("C0");
    coro_yield(0, NULL);
    ev("C1");
    coro_yield(0, NULL);
    ev("C-end");
    return 42;
}

/* Awaits the coroutine arg points to, then records what it got. */
static long parent_fn(void *arg, long first)
{
    (void)first;
    ev("P-start");
    long r = -1;
    int err = coro_await(arg, &r);
    ev("P-got%ld/%s", r, ename(err));
    return r + 1;
}

static void sc_direct(void)
{
    struct coro *c, *p;
    NEW(c, child_fn, NULL);
    NEW(p, parent_fn, c);
    for (int i = 0; i < 6 && coro_status(p) != CORO_FINISHED; i++) {
        long out = -1;
        int err = coro_resume(p, 0, &out);
        ev("top%ld/%s", out, ename(err));
    }
    coro_free(p);
    coro_free(c);
}

KATA_TEST(await, awaiter_waits_for_the_result)
{
    run_or_fail(sc_direct, KATA_TR("P awaits C, which yields twice and returns 42.",
                                   "P 等待（await）C，C yield 两次后返回 42。"));
    expect_events("P-start C0 top0/0 C1 top0/0 C-end P-got42/0 top43/0 ",
                  "coro_await suspends the awaiting coroutine until the other has finished: "
                  "each time the other yields, the awaiting one yields too (so its own "
                  "resumer runs), and only when the other has returned does coro_await "
                  "return, with its result",
                  "coro_await 让等待的协程挂起，直到另一个协程结束：另一个协程每 yield 一次，"
                  "等待的协程也跟着 yield（于是它自己的恢复者得以运行）；只有另一个协程返回之后，"
                  "coro_await 才带着它的结果返回");
}

/* A task of the scheduler that awaits arg. */
static long awaiting_task(void *arg, long first)
{
    return parent_fn(arg, first);
}

struct stepper {
    const char *name;
    int steps;
};

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

static void sc_with_scheduler(void)
{
    struct coro *c;
    NEW(c, child_fn, NULL);
    struct stepper q = {"Q", 3};
    struct rr rr = RR_INITIALIZER;
    if (!rr_spawn(&rr, awaiting_task, c) || !rr_spawn(&rr, stepper_fn, &q)) {
        ev("create-failed");
        return;
    }
    ev("run=%s", ename(rr_run(&rr)));
    rr_free(&rr);
    coro_free(c);
}

KATA_TEST(await, other_tasks_run_while_one_awaits)
{
    run_or_fail(sc_with_scheduler, KATA_TR("Task P awaits C; task Q prints three steps.",
                                           "任务 P 等待 C；任务 Q 记录三步。"));
    expect_events("P-start C0 Q0 C1 Q1 C-end P-got42/0 Q2 run=0 ",
                  "while P awaits C, the scheduler must go on running Q: coro_await passes "
                  "each of C's yields up, so P's turn ends there. An await that resumes C "
                  "in a loop until it finishes blocks the whole thread, as a blocking call "
                  "would",
                  "P 等待 C 的时候，调度器必须继续运行 Q：coro_await 把 C 的每一次 yield 往上传，"
                  "P 的这一轮就在那里结束。如果 await 在循环里一直恢复 C 直到它结束，就会像阻塞"
                  "调用一样把整个线程卡住");
}

static long inner_fn(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("C0");
    coro_yield(0, NULL);
    ev("C1");
    return 5;
}

static long middle_fn(void *arg, long first)
{
    (void)first;
    ev("B");
    long r = -1;
    coro_await(arg, &r);
    ev("B-got%ld", r);
    coro_yield(0, NULL);
    ev("B-end");
    return r * 10 + 1;
}

static long outer_fn(void *arg, long first)
{
    (void)first;
    ev("A");
    long r = -1;
    coro_await(arg, &r);
    ev("A-got%ld", r);
    return r;
}

static void sc_nested(void)
{
    struct coro *c, *b;
    NEW(c, inner_fn, NULL);
    NEW(b, middle_fn, c);
    struct stepper q = {"Q", 3};
    struct rr rr = RR_INITIALIZER;
    if (!rr_spawn(&rr, outer_fn, b) || !rr_spawn(&rr, stepper_fn, &q)) {
        ev("create-failed");
        return;
    }
    ev("run=%s", ename(rr_run(&rr)));
    rr_free(&rr);
    coro_free(b);
    coro_free(c);
}

KATA_TEST(await, awaits_nest)
{
    run_or_fail(sc_nested, KATA_TR("Task A awaits B, which awaits C; task Q runs beside them.",
                                   "任务 A 等待 B，B 又等待 C；任务 Q 在旁边运行。"));
    expect_events("A B C0 Q0 C1 B-got5 Q1 B-end A-got51 Q2 run=0 ",
                  "awaits nest: C's yield travels up through B's await and A's await to the "
                  "scheduler, and each await returns only once the coroutine it awaits has "
                  "finished (B gets 5 from C, A gets 51 from B)",
                  "await 可以嵌套：C 的 yield 经过 B 的 await、再经过 A 的 await 传到调度器；"
                  "每个 await 都要等它所等的协程结束后才返回（B 从 C 得到 5，A 从 B 得到 51）");
}

/* Answers each value it is given with 2 * value + 1, until it gets 0. */
static long echo_fn(void *arg, long first)
{
    (void)arg;
    long in = first;
    ev("echo-first%ld", in);
    for (;;) {
        coro_yield(in * 2 + 1, &in);
        ev("echo%ld", in);
        if (in == 0)
            return 70;
    }
}

static long forward_fn(void *arg, long first)
{
    (void)first;
    long r = -1;
    coro_await(arg, &r);
    ev("fwd-got%ld", r);
    return r;
}

static void sc_values(void)
{
    struct coro *e, *f;
    NEW(e, echo_fn, NULL);
    NEW(f, forward_fn, e);
    long sends[] = {100, 3, 4, 0, 5};
    for (int i = 0; i < 5 && coro_status(f) != CORO_FINISHED; i++) {
        long out = -1;
        coro_resume(f, sends[i], &out);
        ev("top%ld", out);
    }
    coro_free(f);
    coro_free(e);
}

KATA_TEST(await, values_pass_through_the_await)
{
    run_or_fail(sc_values, KATA_TR("F awaits E; the thread resumes F with 100, 3, 4, 0.",
                                   "F 等待 E；线程依次用 100、3、4、0 恢复 F。"));
    expect_events("echo-first0 top1 echo3 top7 echo4 top9 echo0 fwd-got70 top70 ",
                  "coro_await resumes the awaited coroutine with 0 the first time, then with "
                  "each value the awaiting coroutine's resumer sends; each value the awaited "
                  "one yields reaches that resumer",
                  "coro_await 第一次用 0 恢复被等待的协程，之后用等待者的恢复者送来的每个值恢复它；"
                  "被等待者 yield 出的每个值都送到那个恢复者手里");
}

static long returns_nine(void *arg, long first)
{
    (void)arg;
    (void)first;
    return 9;
}

static long await_done(void *arg, long first)
{
    (void)first;
    long r = -1;
    int err = coro_await(arg, &r);
    ev("await %s r=%ld", ename(err), r);
    return r;
}

static long await_self(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("self %s", ename(coro_await(coro_current(), NULL)));
    return 0;
}

static long await_null(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("null");
    calling("coro_await(NULL, NULL)");
    int err = coro_await(NULL, NULL);
    calling(NULL);
    ev("%s", ename(err));
    return 0;
}

static void sc_edges(void)
{
    struct coro *done, *w, *s;
    NEW(done, returns_nine, NULL);
    coro_resume(done, 0, NULL); /* finished before anyone awaits it */
    NEW(w, await_done, done);
    long out = -1;
    coro_resume(w, 0, &out);
    ev("once %s out=%ld", sname(coro_status(w)), out);
    NEW(s, await_self, NULL);
    coro_resume(s, 0, NULL);
    ev("outside %s", ename(coro_await(done, NULL)));
    struct coro *n;
    NEW(n, await_null, NULL);
    coro_resume(n, 0, NULL);
    coro_free(n);
    coro_free(s);
    coro_free(w);
    coro_free(done);
}

KATA_TEST(await, finished_self_and_outside)
{
    run_or_fail(sc_edges,
                KATA_TR("Awaiting a finished coroutine, oneself, and from outside any coroutine.",
                        "等待一个已结束的协程、等待自己、以及在任何协程之外 await。"));
    expect_events("await 0 r=9 once F out=9 self EBUSY outside EPERM null EINVAL ",
                  "awaiting a coroutine that has already finished returns its result at once, "
                  "without suspending; a coroutine awaiting itself is refused with EBUSY; "
                  "the thread itself, outside any coroutine, cannot await (EPERM): it has "
                  "nobody to yield to; and there is nothing to await in NULL (EINVAL)",
                  "等待一个已经结束的协程，立刻返回它的结果，不挂起；协程等待自己要以 EBUSY 拒绝；"
                  "线程本身（不在任何协程里）不能 await（EPERM）：它没有可以 yield 给的对象；"
                  "NULL 没有什么可等待的（EINVAL）");
}

/* 05-coroutine, part 2: a generator hands out one value per resume. */
#include "support.h"

KATA_SUITE(generator);

/* Pulls up to `max` values from g into the trace ("3 6 9 end"). */
static void pull(struct coro *g, int max)
{
    for (int i = 0; i < max; i++) {
        long v = -1;
        int r = gen_next(g, &v);
        if (r == 1) {
            ev("%ld", v);
        } else {
            if (r == 0)
                ev("end");
            else
                ev("error%d", r);
            return;
        }
    }
}

static void sc_range(void)
{
    struct gen_range r = {3, 12, 3};
    struct coro *g;
    NEW(g, gen_range_fn, &r);
    pull(g, 10);
    long v = -1;
    int again = gen_next(g, &v);
    ev("again=%d %s", again, sname(coro_status(g)));
    coro_free(g);
}

KATA_TEST(generator, range_yields_each_value_then_ends)
{
    run_or_fail(sc_range, KATA_TR("The generator walks the range {3, 12, 3}.",
                                  "生成器遍历范围 {3, 12, 3}。"));
    expect_events("3 6 9 end again=0 F ",
                  "gen_range_fn over {from 3, to 12, step 3} yields 3, 6, 9 and returns; "
                  "gen_next returns 1 with each value, then 0 at the end, and 0 again when "
                  "asked after the end (the finished coroutine is never resumed again)",
                  "gen_range_fn 在 {from 3, to 12, step 3} 上依次 yield 3、6、9 然后返回；"
                  "gen_next 每拿到一个值返回 1，到结尾返回 0，结束之后再问仍然返回 0（已结束的"
                  "协程绝不再被恢复）");
}

static void sc_empty(void)
{
    struct gen_range r = {5, 5, 1};
    struct coro *g;
    NEW(g, gen_range_fn, &r);
    pull(g, 3);
    coro_free(g);
}

KATA_TEST(generator, empty_range_ends_at_once)
{
    run_or_fail(sc_empty, KATA_TR("The generator walks the empty range {5, 5, 1}.",
                                  "生成器遍历空范围 {5, 5, 1}。"));
    expect_events("end ",
                  "a range whose `from` is not below `to` has no values: the first gen_next "
                  "already returns 0",
                  "`from` 不小于 `to` 的范围没有任何值：第一次 gen_next 就返回 0");
}

static void sc_count(void)
{
    struct gen_range r = {10, 20, 4};
    struct coro *g;
    NEW(g, gen_range_fn, &r);
    for (int i = 0; i < 5 && coro_status(g) != CORO_FINISHED; i++) {
        long out = -1;
        coro_resume(g, 0, &out);
        ev("%s%ld", coro_status(g) == CORO_FINISHED ? "result=" : "", out);
    }
    coro_free(g);
}

KATA_TEST(generator, range_returns_how_many_values_it_yielded)
{
    run_or_fail(sc_count, KATA_TR("The range {10, 20, 4} is walked with coro_resume, up to "
                                  "the generator's return.",
                                  "用 coro_resume 遍历范围 {10, 20, 4}，直到生成器返回。"));
    expect_events("10 14 18 result=3 ",
                  "gen_range_fn yields 10, 14, 18 and then returns how many values it "
                  "yielded (3): count each one as it is yielded, the caller of coro_resume "
                  "gets that count as the result",
                  "gen_range_fn 依次 yield 10、14、18，然后返回它 yield 了多少个值（3）：每 yield "
                  "一个就数一个，coro_resume 的调用者会拿到这个数作为结果");
}

/* Records when it makes each value, so the test sees who runs when. */
static long noisy(void *arg, long first)
{
    (void)arg;
    (void)first;
    for (long i = 1; i <= 3; i++) {
        ev("make%ld", i);
        coro_yield(i * 100, NULL);
    }
    ev("done");
    return 777; /* a result, not a value of the sequence */
}

static void sc_lazy(void)
{
    struct coro *g;
    NEW(g, noisy, NULL);
    ev("created");
    pull(g, 10);
    coro_free(g);
}

KATA_TEST(generator, one_value_per_resume)
{
    run_or_fail(sc_lazy, KATA_TR("The generator makes 100, 200, 300, then returns 777.",
                                 "生成器依次做出 100、200、300，然后返回 777。"));
    expect_events("created make1 100 make2 200 make3 300 done end ",
                  "each gen_next resumes the generator once: it runs just far enough to make "
                  "the next value, then waits in coro_yield until the consumer asks again. "
                  "What its function returns (777) ends the sequence and is not one of its "
                  "values",
                  "每次 gen_next 只恢复生成器一次：它只运行到做出下一个值为止，然后停在 coro_yield "
                  "里，等消费者再来要。它的函数返回的值（777）表示序列结束，并不是序列里的值");
}

static void sc_fib(void)
{
    struct coro *g;
    NEW(g, gen_fib_fn, NULL);
    pull(g, 10);
    ev("%s free=%s", sname(coro_status(g)), ename(coro_free(g)));
}

KATA_TEST(generator, fibonacci_never_ends_and_can_be_dropped)
{
    run_or_fail(sc_fib, KATA_TR("Ten values are pulled from the Fibonacci generator.",
                                "从斐波那契生成器里拉取十个值。"));
    expect_events("0 1 1 2 3 5 8 13 21 34 S free=0 ",
                  "gen_fib_fn yields 0, 1, 1, 2, 3, 5, ... for ever: after ten values it is "
                  "still suspended, waiting for the next request, and the consumer simply "
                  "frees it",
                  "gen_fib_fn 永远 yield 0、1、1、2、3、5……：取了十个值之后它仍然挂起，等着下一次"
                  "请求，消费者直接释放它即可");
}

static void sc_two_gens(void)
{
    struct gen_range ra = {0, 3, 1}, rb = {10, 40, 10};
    struct coro *a, *b;
    NEW(a, gen_range_fn, &ra);
    NEW(b, gen_range_fn, &rb);
    for (int i = 0; i < 4; i++) {
        long x = -1, y = -1;
        int ga = gen_next(a, &x), gb = gen_next(b, &y);
        ev("%ld/%d,%ld/%d", x, ga, y, gb);
    }
    coro_free(a);
    coro_free(b);
}

KATA_TEST(generator, two_generators_side_by_side)
{
    run_or_fail(sc_two_gens, KATA_TR("Two range generators are pulled in turns.",
                                     "轮流从两个范围生成器里拉取值。"));
    expect_events("0/1,10/1 1/1,20/1 2/1,30/1 -1/0,-1/0 ",
                  "two generators pulled in turns each keep their own place in their own "
                  "range; at the end gen_next returns 0 and leaves *value alone",
                  "轮流拉取的两个生成器，各自在自己的范围里记住自己的位置；到结尾 gen_next 返回 0，"
                  "并且不改动 *value");
}

/* A generator that asks itself for its next value while it runs. */
static long asks_itself(void *arg, long first)
{
    (void)arg;
    (void)first;
    long v = -1;
    int r = gen_next(coro_current(), &v);
    ev("self-next %s", r < 0 ? ename(-r) : r == 0 ? "end" : "value");
    coro_yield(7, NULL);
    return 0;
}

static void sc_self(void)
{
    struct coro *g;
    NEW(g, asks_itself, NULL);
    pull(g, 3);
    coro_free(g);
}

KATA_TEST(generator, a_running_generator_is_busy_not_finished)
{
    run_or_fail(sc_self, KATA_TR("A generator calls gen_next on itself, then yields 7.",
                                 "一个生成器对自己调用 gen_next，然后 yield 7。"));
    expect_events("self-next EBUSY 7 end ",
                  "gen_next on a generator that is running (here: itself) returns -EBUSY: an "
                  "error of coro_resume is not the end of the sequence, and 0 means only that "
                  "the generator has finished",
                  "对正在运行的生成器（这里是它自己）调用 gen_next 要返回 -EBUSY：coro_resume "
                  "的错误不等于序列结束，返回 0 只表示生成器已经结束");
}

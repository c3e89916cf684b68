/* 04-deadlock, part 3: the dining philosophers. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <string.h>

KATA_SUITE(dine);

#define N DL_PHILOSOPHERS

static pthread_mutex_t forks[N];

/* What the philosophers did, written through the callbacks the test gives. */
static struct {
    int meals;  /* meals each must eat */
    int serial; /* one philosopher after another (turns) */
    int gate;   /* every first think meets the others first */
    int eaten[N];
    int thoughts[N];
    int met[N];           /* how many had come when philosopher i first thought */
    int held_thinking[N]; /* locks held while thinking (the worst seen) */
    int without_forks[N]; /* meals eaten without holding both forks */
    pthread_t thread[N];
    int other_thread[N]; /* called from a thread that is not the philosopher's first */
} d;

static void think(int who, void *arg)
{
    (void)arg;
    if (who < 0 || who >= N)
        return;
    if (__atomic_fetch_add(&d.thoughts[who], 1, __ATOMIC_SEQ_CST) == 0) {
        d.thread[who] = pthread_self();
        probe_label(KATA_TR("philosopher %d", "哲学家 %d"), who);
        if (d.serial)
            probe_turn_wait(who);
        if (d.gate)
            d.met[who] = probe_meet(N);
    } else if (!pthread_equal(d.thread[who], pthread_self())) {
        d.other_thread[who] = 1;
    }
    int held = probe_holding();
    if (held > d.held_thinking[who])
        d.held_thinking[who] = held;
}

static void eat(int who, void *arg)
{
    (void)arg;
    if (who < 0 || who >= N)
        return;
    if (!probe_holds(&forks[who]) || !probe_holds(&forks[(who + 1) % N]))
        d.without_forks[who]++;
    if (__atomic_add_fetch(&d.eaten[who], 1, __ATOMIC_SEQ_CST) == d.meals) {
        probe_finished();
        if (d.serial)
            probe_turn_next();
    }
}

struct dinner {
    int result;
};

static void *dine(void *p)
{
    struct dinner *r = p;
    struct dl_diners diners = {think, eat, NULL};
    r->result = dl_dine(forks, d.meals, &diners);
    probe_stop_waiting();
    return NULL;
}

/* Runs a dinner on a thread of its own, so that a deadlock among the
 * philosophers is reported at once instead of hanging the test. */
static int run_dinner(int meals)
{
    memset(&d, 0, sizeof d);
    d.meals = meals;
    probe_forks(forks, N);
    return 0;
}

static int serve(void)
{
    static struct dinner r;
    r.result = -1;
    pthread_t t;
    cr_assert(pthread_create(&t, NULL, dine, &r) == 0, "the test could not start a thread");
    char why[1024];
    int ok = probe_wait_done(N, why, sizeof why);
    cr_assert(
        ok,
        KATA_MSG("Deadlock: %s. Every philosopher took one fork and waits for the next: a "
                 "circle of waits. Break the circle: e.g. every philosopher takes the "
                 "lower-numbered of its two forks first (philosopher 4 then starts with "
                 "fork 0, like philosopher 0)",
                 "死锁：%s。每个哲学家都拿了一把叉子，等着下一把：等待围成了一个圈。打破这个圈："
                 "比如每个哲学家先拿编号小的那把叉子（这样哲学家 4 和哲学家 0 一样先拿叉子 0）",
                 why));
    pthread_join(t, NULL);
    cr_assert(
        r.result == 0,
        KATA_MSG("dl_dine returned %d (%s), not 0", "dl_dine 返回了 %d（%s），不是 0", r.result,
                 r.result == ENOSYS ? KATA_TR("ENOSYS: still the stub", "ENOSYS：仍然是桩代码")
                                    : strerror(r.result)));
    return r.result;
}

KATA_TEST(dine, every_philosopher_eats_every_meal)
{
    run_dinner(20);
    serve();
    for (int i = 0; i < N; i++)
        cr_assert(
            d.eaten[i] == 20 && d.thoughts[i] == 20,
            KATA_MSG("philosopher %d ate %d time(s) and thought %d time(s), not 20 and 20: "
                     "each philosopher repeats think, take both forks, eat, put them down, "
                     "`meals` times",
                     "哲学家 %d 吃了 %d 次、想了 %d 次，不是 20 和 20：每个哲学家把「思考、拿起两把"
                     "叉子、吃、放下叉子」重复 meals 次",
                     i, d.eaten[i], d.thoughts[i]));
}

KATA_TEST(dine, philosophers_are_threads_at_the_table_together)
{
    run_dinner(2);
    d.gate = 1; /* each first think waits (a while) for all five to be there */
    serve();
    pthread_t self = pthread_self();
    for (int i = 0; i < N; i++) {
        cr_assert(
            d.thoughts[i] > 0 && !pthread_equal(d.thread[i], self) && !d.other_thread[i],
            KATA_MSG(
                "philosopher %d did not run on a thread of its own (it never thought, "
                "or thought on the caller's thread or on several threads): dl_dine "
                "starts one thread per philosopher",
                "哲学家 %d 没有在自己的线程里运行（从没思考过，或者在调用者的线程、在好几个线程"
                "里思考）：dl_dine 为每个哲学家启动一个线程",
                i));
        cr_assert(
            d.met[i] == N,
            KATA_MSG("philosopher %d found only %d philosopher(s) at the table when it first "
                     "thought: start all five threads before joining any, so that they dine "
                     "at the same time",
                     "哲学家 %d 第一次思考时桌边只有 %d 个哲学家：先把五个线程都启动，再逐个 join，"
                     "让他们同时用餐",
                     i, d.met[i]));
    }
}

KATA_TEST(dine, eats_holding_both_forks)
{
    run_dinner(10);
    serve();
    for (int i = 0; i < N; i++)
        cr_assert(
            d.without_forks[i] == 0,
            KATA_MSG("philosopher %d ate %d meal(s) without holding both fork %d and fork %d: "
                     "eat is called with both its forks locked, so that neither neighbour can "
                     "eat with them at the same time",
                     "哲学家 %d 有 %d 顿饭没有同时拿着叉子 %d 和叉子 %d 就吃了：调用 eat 时要锁住"
                     "这两把叉子，这样两边的邻居都不能同时用它们",
                     i, d.without_forks[i], i, (i + 1) % N));
}

KATA_TEST(dine, puts_both_forks_down_after_eating)
{
    run_dinner(10);
    serve();
    for (int i = 0; i < N; i++)
        cr_assert(
            d.held_thinking[i] == 0,
            KATA_MSG("philosopher %d was thinking while holding %d fork(s): after eating, "
                     "put both forks down (unlock them) so that the neighbours can eat",
                     "哲学家 %d 思考时手里还拿着 %d 把叉子：吃完要放下两把叉子（解锁），邻居才能吃",
                     i, d.held_thinking[i]));
    for (int f = 0; f < N; f++) {
        int r = pthread_mutex_trylock(&forks[f]);
        if (r == 0)
            pthread_mutex_unlock(&forks[f]);
        cr_assert(r == 0,
                  KATA_MSG("fork %d is still locked after dl_dine returned: every fork picked up "
                           "is put down again",
                           "dl_dine 返回后叉子 %d 还锁着：拿起的每把叉子都要放回去", f));
    }
}

KATA_TEST(dine, no_deadlock_when_all_take_a_first_fork_together)
{
    run_dinner(3);
    probe_gate(N); /* all five take a first fork before any reaches for a second */
    serve();
    for (int i = 0; i < N; i++)
        cr_assert(d.eaten[i] == 3, KATA_MSG("philosopher %d ate %d time(s), not 3",
                                            "哲学家 %d 吃了 %d 次，不是 3", i, d.eaten[i]));
}

KATA_TEST(dine, fork_order_has_no_cycle)
{
    run_dinner(2);
    d.serial = 1; /* one philosopher after another: this run cannot hang */
    serve();
    char why[512];
    cr_assert(
        !probe_order_cycle(why, sizeof why),
        KATA_MSG("the philosophers took their forks in orders that form a circle: %s. This "
                 "run ate one philosopher at a time and could not hang, but five hungry "
                 "philosophers at once can each hold one fork of the circle and wait "
                 "forever. Take the forks in one global order (the lower number first)",
                 "哲学家们拿叉子的顺序围成了一个圈：%s。这次是一个哲学家吃完下一个再吃，不会卡住，"
                 "但五个哲学家同时饿了时，可能各拿着圈上的一把叉子永远等下去。按一个全局顺序拿"
                 "叉子（编号小的先拿）",
                 why));
    for (int i = 0; i < N; i++)
        cr_assert(d.eaten[i] == 2, KATA_MSG("philosopher %d ate %d time(s), not 2",
                                            "哲学家 %d 吃了 %d 次，不是 2", i, d.eaten[i]));
}

static void *dine_failing(void *p)
{
    struct dinner *r = p;
    struct dl_diners diners = {think, eat, NULL};
    probe_fail_create_after(3); /* three philosophers start, the fourth cannot */
    r->result = dl_dine(forks, d.meals, &diners);
    return NULL;
}

KATA_TEST(dine, failed_create_joins_the_philosophers_already_started)
{
    run_dinner(2);
    struct dinner r = {-1};
    pthread_t t;
    cr_assert(pthread_create(&t, NULL, dine_failing, &r) == 0, "the test could not start a thread");
    pthread_join(t, NULL);
    int made, joins;
    probe_creates(&made, &joins);
    probe_fail_create_after(-1);
    cr_assert(made == 3,
              KATA_MSG("dl_dine started %d philosopher thread(s) before the test made the fourth "
                       "pthread_create fail: start one thread per philosopher, one after "
                       "another",
                       "测试让第四次 pthread_create 失败之前，dl_dine 启动了 %d 个哲学家线程："
                       "要一个接一个地为每个哲学家启动一个线程",
                       made));
    cr_assert(joins == made,
              KATA_MSG("the fourth pthread_create failed (EAGAIN), and dl_dine returned having "
                       "joined %d of the %d philosophers it had started: they still use the "
                       "forks and what dl_dine gave them, so join every one of them before "
                       "returning the error",
                       "第四次 pthread_create 失败了（EAGAIN），dl_dine 返回时只 join 了它启动的 "
                       "%2$d 个哲学家中的 %1$d 个：它们还在用叉子和 dl_dine 交给它们的东西，"
                       "返回错误之前要把它们全部 join",
                       joins, made));
    cr_assert(r.result == EAGAIN,
              KATA_MSG("the fourth pthread_create failed with EAGAIN, and dl_dine returned %d: "
                       "return the error number pthread_create gave",
                       "第四次 pthread_create 以 EAGAIN 失败了，dl_dine 却返回了 %d：要返回 "
                       "pthread_create 给出的错误号",
                       r.result));
}

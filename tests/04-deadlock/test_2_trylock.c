/* 04-deadlock, part 2: never wait while holding: trylock, release, back off. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>

KATA_SUITE(trylock);

static struct dl_account acc[2];
static struct probe_event ev[512];

static void expect_ok(int r, const char *call)
{
    cr_assert(
        r == DL_OK,
        KATA_MSG("%s returned %d (%s), not DL_OK: the account holds enough, so the money "
                 "must move and the result is DL_OK",
                 "%s 返回了 %d（%s），而不是 DL_OK：账户里的钱足够，钱应该转过去，结果是 DL_OK",
                 call, r, probe_said(r)));
}

KATA_TEST(trylock, moves_the_money_like_dl_transfer)
{
    long b[] = {100, 50};
    probe_accounts(acc, 2, b);
    expect_ok(dl_transfer_try(&acc[0], &acc[1], 30), "dl_transfer_try(account 0 -> account 1, 30)");
    int r = dl_transfer_try(&acc[1], &acc[0], 500);
    int held = probe_holding();
    cr_assert(
        acc[0].balance == 70 && acc[1].balance == 80 && r == DL_NO_FUNDS && held == 0,
        KATA_MSG("after moving 30 from account 0 (100) to account 1 (50), then trying to move "
                 "500 back, the balances are %ld and %ld (want 70 and 80), the second call "
                 "returned %d (%s, want DL_NO_FUNDS) and %d lock(s) are still held (want 0): "
                 "dl_transfer_try keeps dl_transfer's contract",
                 "从账户 0（100）转 30 到账户 1（50），再试着转 500 回去之后，余额是 %ld 和 %ld"
                 "（应为 70 和 80），第二次返回 %d（%s，应为 DL_NO_FUNDS），还有 %d 把锁没放"
                 "（应为 0）：dl_transfer_try 和 dl_transfer 的约定一样",
                 acc[0].balance, acc[1].balance, r, probe_said(r), held));
}

KATA_TEST(trylock, refusal_releases_both_locks)
{
    long b[] = {20, 50};
    probe_accounts(acc, 2, b);
    int r = dl_transfer_try(&acc[0], &acc[1], 30);
    int held = probe_holding();
    cr_assert(r == DL_NO_FUNDS && acc[0].balance == 20 && acc[1].balance == 50,
              KATA_MSG("moving 30 out of account 0, which holds 20, returned %d (%s) and left "
                       "the balances at %ld and %ld: change nothing and return DL_NO_FUNDS",
                       "从只有 20 的账户 0 转出 30，返回了 %d（%s），余额变成 %ld 和 %ld："
                       "什么都不改，返回 DL_NO_FUNDS",
                       r, probe_said(r), acc[0].balance, acc[1].balance));
    cr_assert(held == 0,
              KATA_MSG("dl_transfer_try refused to overdraw (DL_NO_FUNDS) but returned still "
                       "holding %d lock(s): the refusal is a way out of the function like any "
                       "other, so unlock both accounts before it returns",
                       "dl_transfer_try 拒绝了透支（DL_NO_FUNDS），返回时却还拿着 %d 把锁：拒绝"
                       "也是离开函数的一条路，和别的路一样，返回前要把两个账户都解锁",
                       held));
}

KATA_TEST(trylock, to_the_same_account_locks_it_once)
{
    long b[] = {100};
    probe_accounts(acc, 1, b);
    probe_events_reset();
    int r = dl_transfer_try(&acc[0], &acc[0], 40);
    int n = probe_events(ev, 512), locks = 0;
    for (int i = 0; i < n; i++) {
        cr_assert(
            ev[i].kind != PROBE_RELOCK && !(ev[i].kind == PROBE_TRY_BUSY && ev[i].held > 0),
            KATA_MSG("a transfer from account 0 to itself tried to lock account 0 while "
                     "already holding it: that lock is never free (trylock says EBUSY for "
                     "ever, lock waits for ever). When from == to, lock once",
                     "从账户 0 转给自己时，在已经持有账户 0 的情况下又去锁它：那把锁永远不会空出来"
                     "（trylock 永远 EBUSY，lock 永远等）。from == to 时只锁一次"));
        locks += (ev[i].kind == PROBE_LOCK || ev[i].kind == PROBE_TRY_OK) && ev[i].named;
    }
    expect_ok(r, "dl_transfer_try(account 0 -> account 0, 40)");
    cr_assert(
        acc[0].balance == 100 && locks == 1 && probe_holding() == 0,
        KATA_MSG("a transfer from account 0 to itself left the balance at %ld (want 100), "
                 "took its lock %d time(s) (want 1) and left %d held (want 0)",
                 "账户 0 转给自己之后，余额是 %ld（应为 100），拿了 %d 次锁（应为 1），还剩 %d "
                 "把没放（应为 0）",
                 acc[0].balance, locks, probe_holding()));
}

KATA_TEST(trylock, never_waits_for_a_lock_while_holding_one)
{
    long b[] = {100, 100};
    probe_accounts(acc, 2, b);
    probe_events_reset();
    int r1 = dl_transfer_try(&acc[0], &acc[1], 10);
    int r2 = dl_transfer_try(&acc[1], &acc[0], 10);
    int n = probe_events(ev, 512), tried = 0;
    expect_ok(r1, "dl_transfer_try(account 0 -> account 1, 10)");
    expect_ok(r2, "dl_transfer_try(account 1 -> account 0, 10)");
    for (int i = 0; i < n; i++) {
        cr_assert(
            !(ev[i].kind == PROBE_LOCK && ev[i].held > 0),
            KATA_MSG("dl_transfer_try waited for %s with pthread_mutex_lock while holding "
                     "another account's lock: that wait is what deadlocks. Take the second "
                     "lock with pthread_mutex_trylock, which never waits",
                     "dl_transfer_try 在持有另一个账户锁的同时用 pthread_mutex_lock 等%s：正是"
                     "这种等待造成死锁。第二把锁用不会等待的 pthread_mutex_trylock 去拿",
                     ev[i].what));
        tried += (ev[i].kind == PROBE_TRY_OK || ev[i].kind == PROBE_TRY_BUSY) && ev[i].named;
    }
    cr_assert(
        tried >= 2,
        KATA_MSG("two calls of dl_transfer_try called pthread_mutex_trylock on an account "
                 "%d time(s): take the second account's lock with pthread_mutex_trylock",
                 "两次 dl_transfer_try 只对账户调用了 %d 次 pthread_mutex_trylock：第二个账户的锁"
                 "要用 pthread_mutex_trylock 去拿",
                 tried));
}

/* One transfer whose first `busy` trylocks (made holding a lock) find the
 * other account busy; returns its events. */
static int transfer_with_busy_tries(int busy)
{
    long b[] = {100, 100};
    probe_accounts(acc, 2, b);
    probe_events_reset();
    probe_force_busy(busy);
    int r = dl_transfer_try(&acc[0], &acc[1], 10);
    int n = probe_events(ev, 512);
    expect_ok(r, "dl_transfer_try(account 0 -> account 1, 10)");
    cr_assert(
        acc[0].balance == 90 && acc[1].balance == 110,
        KATA_MSG("after trying again until the lock was free, the balances are %ld and %ld, "
                 "not 90 and 110: the money moves exactly once, on the attempt that got "
                 "both locks",
                 "一直重试到锁空出来之后，余额是 %ld 和 %ld，不是 90 和 110：钱只在拿到两把锁的"
                 "那一次尝试里转一次",
                 acc[0].balance, acc[1].balance));
    int failed = 0;
    for (int i = 0; i < n; i++)
        failed += ev[i].kind == PROBE_TRY_BUSY && ev[i].held > 0;
    cr_assert(
        failed >= busy,
        KATA_MSG("the test made pthread_mutex_trylock fail %d time(s), but dl_transfer_try "
                 "saw only %d such failure(s): take the second lock with trylock, and when "
                 "it says EBUSY try again from the start",
                 "测试让 pthread_mutex_trylock 失败 %d 次，但 dl_transfer_try 只遇到了 %d 次："
                 "第二把锁用 trylock 拿，返回 EBUSY 时从头再试",
                 busy, failed));
    return n;
}

KATA_TEST(trylock, releases_the_first_lock_when_trylock_fails)
{
    int n = transfer_with_busy_tries(3);
    for (int i = 0; i < n; i++) {
        if (ev[i].kind != PROBE_TRY_BUSY || ev[i].held == 0)
            continue;
        for (int j = i + 1; j < n; j++) {
            enum probe_kind k = ev[j].kind;
            if (k != PROBE_LOCK && k != PROBE_TRY_OK && k != PROBE_TRY_BUSY && k != PROBE_RELOCK)
                continue;
            cr_assert(
                ev[j].held == 0 && k != PROBE_RELOCK,
                KATA_MSG("after trylock found %s busy, dl_transfer_try tried again still "
                         "holding the first lock: the thread that holds %s may be waiting "
                         "for exactly that lock, so nobody gets anywhere. When trylock "
                         "fails, release what you hold, then start again",
                         "trylock 发现 %s 被占用之后，dl_transfer_try 还拿着第一把锁就又去试："
                         "持有%s 的线程可能正等着这把锁，于是谁也走不下去。trylock 失败时，先把"
                         "手里的锁释放掉，再从头来",
                         ev[i].what, ev[i].what));
            break;
        }
    }
}

/* The pauses taken between each failed attempt and the next one: returns
 * how many gaps there were; pause[k] is the nanoseconds slept in gap k,
 * yields[k] the sched_yield calls. */
static int gaps(int n, long pause[8], int yields[8])
{
    int g = 0;
    for (int i = 0; i < n && g < 8; i++) {
        if (ev[i].kind != PROBE_TRY_BUSY || ev[i].held == 0)
            continue;
        pause[g] = 0;
        yields[g] = 0;
        for (int j = i + 1; j < n; j++) {
            enum probe_kind k = ev[j].kind;
            if (k == PROBE_LOCK || k == PROBE_TRY_OK || k == PROBE_TRY_BUSY || k == PROBE_RELOCK)
                break;
            if (k == PROBE_SLEEP && ev[j].nanoseconds > 0)
                pause[g] += ev[j].nanoseconds;
            yields[g] += k == PROBE_YIELD;
        }
        g++;
    }
    return g;
}

KATA_TEST(trylock, backs_off_before_trying_again)
{
    int n = transfer_with_busy_tries(3);
    long pause[8];
    int yields[8];
    int g = gaps(n, pause, yields);
    for (int k = 0; k < g; k++)
        cr_assert(
            pause[k] > 0,
            KATA_MSG("after failed attempt %d, dl_transfer_try tried again without pausing%s: "
                     "two threads that failed together then retry together, fail together, "
                     "and so on for ever (a livelock: both busy, neither gets anywhere). "
                     "Back off first: sleep with nanosleep or usleep",
                     "第 %d 次尝试失败后，dl_transfer_try 没有停顿就又试了%s：一起失败的两个线程"
                     "就会一起重试、一起失败，永远如此（活锁：都在忙，谁也没进展）。先退避：用 "
                     "nanosleep 或 usleep 睡一会儿",
                     k + 1,
                     yields[k]
                         ? KATA_TR(" (sched_yield only gives the processor away for a moment, "
                                   "it is not a pause)",
                                   "（sched_yield 只是把处理器让出一瞬间，不算停顿）")
                         : ""));
}

KATA_TEST(trylock, back_off_is_random_or_grows)
{
    int n = transfer_with_busy_tries(4);
    long pause[8];
    int yields[8];
    int g = gaps(n, pause, yields);
    cr_assert(
        g >= 4 && pause[0] > 0,
        KATA_MSG("dl_transfer_try did not pause after each failed attempt: back off with "
                 "nanosleep or usleep before trying again",
                 "dl_transfer_try 没有在每次失败后停顿：重试之前先用 nanosleep 或 usleep 退避"));
    int all_same = 1;
    for (int k = 1; k < g; k++)
        all_same &= pause[k] == pause[0];
    cr_assert(
        !all_same,
        KATA_MSG(
            "dl_transfer_try paused %ld ns after each of %d failed attempts, the same "
            "every time: two threads that collide once then wake together and collide "
            "again. Make the pause random (e.g. rand_r), or let it grow with each "
            "failure, or both",
            "dl_transfer_try 每次失败后都停顿 %ld 纳秒（共 %d 次失败），一模一样：撞过一次的两个"
            "线程会一起醒来，再撞一次。让停顿随机（比如用 rand_r），或者每次失败后变长，"
            "或者两者都要",
            pause[0], g));
}

struct mover {
    int from, to, number;
    int result;
};

static void *move_once(void *p)
{
    struct mover *m = p;
    probe_label(KATA_TR("thread %d (moving 10 from account %d to account %d)",
                        "线程 %d（从账户 %d 转 10 到账户 %d）"),
                m->number, m->from, m->to);
    m->result = dl_transfer_try(&acc[m->from], &acc[m->to], 10);
    probe_finished();
    return NULL;
}

KATA_TEST(trylock, opposite_transfers_both_finish)
{
    long b[] = {100, 100};
    probe_accounts(acc, 2, b);
    probe_gate(2); /* both take a first lock before either tries its second */
    struct mover m[2] = {{0, 1, 1, -1}, {1, 0, 2, -1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert(pthread_create(&t[i], NULL, move_once, &m[i]) == 0,
                  "the test could not start a thread");
    char why[1024];
    cr_assert(probe_wait_done(2, why, sizeof why),
              KATA_MSG("Deadlock: %s. A thread that holds one lock must never wait for another: "
                       "trylock the second, and release the first when it is busy",
                       "死锁：%s。持有一把锁的线程绝不能去等另一把：第二把用 trylock，被占用时释放"
                       "第一把",
                       why));
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    expect_ok(m[0].result, "dl_transfer_try(account 0 -> account 1, 10)");
    expect_ok(m[1].result, "dl_transfer_try(account 1 -> account 0, 10)");
    cr_assert(acc[0].balance == 100 && acc[1].balance == 100,
              KATA_MSG("after moving 10 each way the balances are %ld and %ld, not 100 and 100",
                       "双向各转 10 之后余额是 %ld 和 %ld，不是 100 和 100", acc[0].balance,
                       acc[1].balance));
}

KATA_TEST(trylock, many_threads_keep_every_invariant)
{
    probe_many_transfers(dl_transfer_try, "dl_transfer_try");
}

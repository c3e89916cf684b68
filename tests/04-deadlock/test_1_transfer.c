/* 04-deadlock, part 1: transfers that take their two locks in one order. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <string.h>

KATA_SUITE(transfer);

static struct dl_account acc[4];

static void expect_ok(int r, const char *call)
{
    cr_assert(
        r == DL_OK,
        KATA_MSG("%s returned %d (%s), not DL_OK: the account holds enough, so the money "
                 "must move and the result is DL_OK",
                 "%s 返回了 %d（%s），而不是 DL_OK：账户里的钱足够，钱应该转过去，结果是 DL_OK",
                 call, r, probe_said(r)));
}

KATA_TEST(transfer, moves_the_money)
{
    long b[] = {100, 50};
    probe_accounts(acc, 2, b);
    expect_ok(dl_transfer(&acc[0], &acc[1], 30), "dl_transfer(account 0 -> account 1, 30)");
    cr_assert(
        acc[0].balance == 70 && acc[1].balance == 80,
        KATA_MSG("after moving 30 from account 0 (100) to account 1 (50) the balances are %ld "
                 "and %ld, not 70 and 80: take the amount from `from` and add it to `to`",
                 "从账户 0（100）转 30 到账户 1（50）之后，余额是 %ld 和 %ld，不是 70 和 80："
                 "从 `from` 扣掉金额，加到 `to` 上",
                 acc[0].balance, acc[1].balance));
}

KATA_TEST(transfer, refuses_to_overdraw)
{
    long b[] = {100, 50};
    probe_accounts(acc, 2, b);
    int r = dl_transfer(&acc[1], &acc[0], 80);
    cr_assert(
        r == DL_NO_FUNDS && acc[0].balance == 100 && acc[1].balance == 50,
        KATA_MSG("moving 80 out of account 1, which holds 50, returned %d (%s) and left the "
                 "balances at %ld and %ld: a balance never goes below zero, so the transfer "
                 "must change nothing and return DL_NO_FUNDS",
                 "从只有 50 的账户 1 转出 80，返回了 %d（%s），余额变成 %ld 和 %ld：余额永远不能"
                 "小于零，所以这次转账什么都不能改，并返回 DL_NO_FUNDS",
                 r, probe_said(r), acc[0].balance, acc[1].balance));
    r = dl_transfer(&acc[1], &acc[0], 50);
    cr_assert(
        r == DL_OK && acc[1].balance == 0 && acc[0].balance == 150,
        KATA_MSG("moving all 50 out of account 1 returned %d (%s), balances %ld and %ld: an "
                 "account may be emptied to exactly zero (refuse only when it holds less "
                 "than the amount)",
                 "把账户 1 的 50 全部转出，返回了 %d（%s），余额 %ld 和 %ld：账户可以正好转到零"
                 "（只有余额小于金额时才拒绝）",
                 r, probe_said(r), acc[1].balance, acc[0].balance));
}

/* The events of one transfer from account 0 (100) to account 1 (50) of 30,
 * with the balances of both at every lock and unlock. */
static int one_watched_transfer(struct probe_event *ev, int max)
{
    long b[] = {100, 50};
    probe_accounts(acc, 2, b);
    probe_watch_balances();
    probe_events_reset();
    expect_ok(dl_transfer(&acc[0], &acc[1], 30), "dl_transfer(account 0 -> account 1, 30)");
    return probe_events(ev, max);
}

KATA_TEST(transfer, locks_both_accounts_before_touching_them)
{
    static struct probe_event ev[512];
    int n = one_watched_transfer(ev, 512);
    const long before[2] = {100, 50};
    for (int a = 0; a < 2; a++) {
        int first = -1;
        for (int i = 0; i < n && first < 0; i++)
            if ((ev[i].kind == PROBE_LOCK || ev[i].kind == PROBE_TRY_OK) && ev[i].named &&
                ev[i].index == a)
                first = i;
        cr_assert(
            first >= 0,
            KATA_MSG("dl_transfer never locked account %d: each balance is protected by its "
                     "account's mutex, so a transfer holds the locks of both accounts",
                     "dl_transfer 从没锁过账户 %d：每个余额都由它自己账户的互斥锁保护，所以转账"
                     "要同时持有两个账户的锁",
                     a));
        cr_assert(
            ev[first].balance[a] == before[a],
            KATA_MSG("account %d's balance was already %ld, not %ld, when dl_transfer locked "
                     "it: the balance changed before its lock was held, when another thread "
                     "could be reading or writing it too. Lock first, then touch",
                     "dl_transfer 锁上账户 %d 时，它的余额已经是 %ld 而不是 %ld：余额在持锁之前"
                     "就被改了，那时别的线程可能也在读写它。先加锁，再动余额",
                     a, ev[first].balance[a], before[a]));
    }
}

KATA_TEST(transfer, releases_no_lock_until_both_balances_changed)
{
    static struct probe_event ev[512];
    int n = one_watched_transfer(ev, 512);
    int unlocks = 0;
    for (int i = 0; i < n; i++) {
        if (ev[i].kind != PROBE_UNLOCK || !ev[i].named)
            continue;
        unlocks++;
        cr_assert(
            ev[i].balance[0] == 70 && ev[i].balance[1] == 80,
            KATA_MSG("when dl_transfer released %s the balances were %ld and %ld, not 70 and "
                     "80: for that moment %ld of the money was in neither account (or in "
                     "both), and a thread that locks both could see the total change. Write "
                     "both balances, then release the locks",
                     "dl_transfer 释放 %s 时余额是 %ld 和 %ld，不是 70 和 80：那一刻有 %ld 的钱"
                     "不在任何账户里（或同时在两个账户里），锁住两个账户的线程会看到总额变了。"
                     "先写完两个余额，再放锁",
                     ev[i].what, ev[i].balance[0], ev[i].balance[1],
                     150 - ev[i].balance[0] - ev[i].balance[1]));
    }
    cr_assert(unlocks >= 2,
              KATA_MSG("dl_transfer released %d account lock(s): it must lock both accounts and "
                       "release both when the money has moved",
                       "dl_transfer 只释放了 %d 个账户锁：它要锁住两个账户，钱转完后两个都释放",
                       unlocks));
}

KATA_TEST(transfer, releases_every_lock_it_took)
{
    static struct probe_event ev[512];
    long b[] = {100, 50};
    probe_accounts(acc, 2, b);
    probe_events_reset();
    int r1 = dl_transfer(&acc[0], &acc[1], 30);
    int held_after_ok = probe_holding();
    int r2 = dl_transfer(&acc[1], &acc[0], 500);
    int held_after_refusal = probe_holding();
    int n = probe_events(ev, 512);
    expect_ok(r1, "dl_transfer(account 0 -> account 1, 30)");
    cr_assert(r2 == DL_NO_FUNDS,
              KATA_MSG("moving 500 out of account 1 returned %d (%s), not DL_NO_FUNDS",
                       "从账户 1 转出 500 返回了 %d（%s），不是 DL_NO_FUNDS", r2, probe_said(r2)));
    cr_assert(
        held_after_ok == 0,
        KATA_MSG("dl_transfer returned still holding %d account lock(s): every lock taken "
                 "must be released before returning, or the next transfer on that account "
                 "waits forever",
                 "dl_transfer 返回时还持有 %d 个账户锁：返回前要释放拿到的每一把锁，否则下一次"
                 "用到这个账户的转账会永远等下去",
                 held_after_ok));
    cr_assert(held_after_refusal == 0,
              KATA_MSG("dl_transfer returned DL_NO_FUNDS still holding %d account lock(s): the "
                       "early return for a refused transfer must release the locks too",
                       "dl_transfer 返回 DL_NO_FUNDS 时还持有 %d 个账户锁：拒绝转账的提前返回也要先"
                       "释放锁",
                       held_after_refusal));
    for (int i = 0; i < n; i++)
        cr_assert(ev[i].kind != PROBE_BAD_UNLOCK,
                  KATA_MSG("dl_transfer unlocked %s, which it did not hold: unlock exactly the "
                           "locks you took, each once",
                           "dl_transfer 解锁了自己没持有的 %s：只解锁自己拿到的锁，每把一次",
                           ev[i].what));
}

KATA_TEST(transfer, to_the_same_account_locks_it_once)
{
    static struct probe_event ev[512];
    long b[] = {100};
    probe_accounts(acc, 1, b);
    probe_events_reset();
    int r1 = dl_transfer(&acc[0], &acc[0], 40);
    int r2 = dl_transfer(&acc[0], &acc[0], 150);
    int n = probe_events(ev, 512);
    int locks = 0;
    for (int i = 0; i < n; i++) {
        cr_assert(
            ev[i].kind != PROBE_RELOCK,
            KATA_MSG("a transfer from account 0 to itself locked account 0 while already "
                     "holding it: a normal mutex locked twice by the same thread never "
                     "opens (a deadlock with itself; here the test refused the second lock "
                     "instead of hanging). When from == to, lock once",
                     "从账户 0 转给它自己时，在已经持有账户 0 的锁的情况下又锁了一次：普通互斥锁"
                     "被同一个线程锁两次就再也打不开（自己和自己死锁；这里测试拒绝了第二次加锁，"
                     "没有让它卡住）。from == to 时只锁一次"));
        locks += (ev[i].kind == PROBE_LOCK || ev[i].kind == PROBE_TRY_OK) && ev[i].named;
    }
    expect_ok(r1, "dl_transfer(account 0 -> account 0, 40)");
    cr_assert(
        r2 == DL_NO_FUNDS,
        KATA_MSG("moving 150 from account 0 (100) to itself returned %d (%s), not "
                 "DL_NO_FUNDS: a self-transfer is refused like any other when the balance "
                 "is too small",
                 "从账户 0（100）转 150 给它自己，返回了 %d（%s），不是 DL_NO_FUNDS：余额不够时，"
                 "转给自己也和别的转账一样被拒绝",
                 r2, probe_said(r2)));
    cr_assert(acc[0].balance == 100,
              KATA_MSG("after transfers from account 0 to itself its balance is %ld, not 100: "
                       "money moved to the same account changes nothing",
                       "账户 0 转给自己之后余额是 %ld，不是 100：转给同一个账户什么都不变",
                       acc[0].balance));
    cr_assert(locks >= 2 && probe_holding() == 0,
              KATA_MSG("two transfers from account 0 to itself took its lock %d time(s) and left "
                       "%d lock(s) held: even a self-transfer reads and writes the balance, so it "
                       "takes the lock (once) and releases it",
                       "两次从账户 0 转给自己，一共拿了 %d 次锁，还剩 %d 把锁没放：转给自己也要读写"
                       "余额，所以要拿锁（一次）再释放",
                       locks, probe_holding()));
}

KATA_TEST(transfer, takes_the_locks_in_one_order_whatever_the_arguments)
{
    long b[] = {100, 100, 100};
    probe_accounts(acc, 3, b);
    probe_label("%s", KATA_TR("the test thread", "测试线程"));
    const int pairs[][2] = {{0, 1}, {1, 0}, {2, 1}, {1, 2}, {0, 2}, {2, 0}};
    for (int i = 0; i < 6; i++) {
        char call[64];
        snprintf(call, sizeof call, "dl_transfer(account %d -> account %d, 10)", pairs[i][0],
                 pairs[i][1]);
        expect_ok(dl_transfer(&acc[pairs[i][0]], &acc[pairs[i][1]], 10), call);
    }
    char why[512];
    cr_assert(
        !probe_order_cycle(why, sizeof why),
        KATA_MSG("one thread alone, moving money back and forth between two accounts, "
                 "took their locks in both orders: %s. Nothing hung this time, but two "
                 "threads doing this at once can each hold one lock and wait forever for "
                 "the other. Every transfer must take the locks in one global order (e.g. "
                 "lower id first), whatever the order of the arguments",
                 "只有一个线程在两个账户之间来回转账，却用两种顺序拿了它们的锁：%s。这次没有卡住，"
                 "但两个线程同时这样做时，可能各持有一把锁、永远等另一把。每次转账都要按一个全局"
                 "顺序拿锁（比如 id 小的先拿），与参数的顺序无关",
                 why));
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
    m->result = dl_transfer(&acc[m->from], &acc[m->to], 10);
    probe_finished();
    return NULL;
}

KATA_TEST(transfer, opposite_transfers_do_not_deadlock)
{
    long b[] = {100, 100};
    probe_accounts(acc, 2, b);
    probe_gate(2); /* both take a first lock before either reaches for its second */
    struct mover m[2] = {{0, 1, 1, -1}, {1, 0, 2, -1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        cr_assert(pthread_create(&t[i], NULL, move_once, &m[i]) == 0,
                  "the test could not start a thread");
    char why[1024];
    int ok = probe_wait_done(2, why, sizeof why);
    cr_assert(
        ok, KATA_MSG("Deadlock: %s. Each holds the lock the other waits for, so neither can "
                     "go on. Both threads took the lock of their `from` account first: make "
                     "every transfer take the two locks in one global order (e.g. lower id "
                     "first), so both start with the same lock and one waits holding nothing",
                     "死锁：%s。每个线程都持有对方在等的锁，谁也走不下去。两个线程都先锁了各自的 "
                     "`from` 账户：让每次转账按一个全局顺序拿两把锁（比如 id 较小的先拿），这样两个"
                     "线程先抢同一把锁，等待的那个手里什么都没有",
                     why));
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    expect_ok(m[0].result, "dl_transfer(account 0 -> account 1, 10)");
    expect_ok(m[1].result, "dl_transfer(account 1 -> account 0, 10)");
    cr_assert(acc[0].balance == 100 && acc[1].balance == 100,
              KATA_MSG("after moving 10 each way the balances are %ld and %ld, not 100 and 100",
                       "双向各转 10 之后余额是 %ld 和 %ld，不是 100 和 100", acc[0].balance,
                       acc[1].balance));
}

KATA_TEST(transfer, many_threads_keep_every_invariant)
{
    probe_many_transfers(dl_transfer, "dl_transfer");
    char why[512];
    cr_assert(
        !probe_order_cycle(why, sizeof why),
        KATA_MSG("the transfers took account locks in orders that form a cycle: %s. This "
                 "run did not hang, but the next one can: take the locks in one global "
                 "order",
                 "这些转账拿账户锁的顺序形成了环：%s。这次没有卡住，下次就可能卡住：按一个全局"
                 "顺序拿锁",
                 why));
}

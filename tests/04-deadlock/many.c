/* 04-deadlock: many threads making random transfers, shared by parts 1 and 2
 * (a file of its own, so that T=1 and T=2 each build a whole program). */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct dl_account acc[4];

/* ---- many threads, many transfers ---- */

#define ACCOUNTS 4
#define WORKERS 4
#define ROUNDS 300
#define START 1000

struct worker {
    int number;
    int (*transfer)(struct dl_account *, struct dl_account *, long);
    long net[ACCOUNTS]; /* what its successful transfers added to each account */
    int bad_result;     /* a result that is neither DL_OK nor DL_NO_FUNDS */
};

static void *work(void *p)
{
    struct worker *w = p;
    probe_label(KATA_TR("thread %d", "线程 %d"), w->number);
    unsigned seed = 12345u * (unsigned)w->number;
    for (int i = 0; i < ROUNDS; i++) {
        int from = (int)(rand_r(&seed) % ACCOUNTS), to = (int)(rand_r(&seed) % ACCOUNTS);
        long amount = 1 + (long)(rand_r(&seed) % 700);
        int r = w->transfer(&acc[from], &acc[to], amount);
        if (r == DL_OK) {
            w->net[from] -= amount;
            w->net[to] += amount;
        } else if (r != DL_NO_FUNDS && !w->bad_result) {
            w->bad_result = r;
        }
    }
    probe_finished();
    return NULL;
}

void probe_many_transfers(int (*transfer)(struct dl_account *, struct dl_account *, long),
                          const char *name)
{
    long b[ACCOUNTS];
    for (int i = 0; i < ACCOUNTS; i++)
        b[i] = START;
    probe_accounts(acc, ACCOUNTS, b);
    static struct worker w[WORKERS];
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].number = i + 1;
        w[i].transfer = transfer;
        cr_assert(pthread_create(&t[i], NULL, work, &w[i]) == 0,
                  "the test could not start a thread");
    }
    char why[1024];
    cr_assert(
        probe_wait_done(WORKERS, why, sizeof why),
        KATA_MSG("Deadlock: %s. Each waits for a lock the next one holds, so none can go "
                 "on: take the locks in one global order",
                 "死锁：%s。每个线程都在等下一个线程持有的锁，谁也走不下去：按一个全局顺序拿锁",
                 why));
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < WORKERS; i++)
        cr_assert(w[i].bad_result == 0,
                  KATA_MSG("%s returned %d (%s): it returns DL_OK or DL_NO_FUNDS",
                           "%s 返回了 %d（%s）：它只返回 DL_OK 或 DL_NO_FUNDS", name,
                           w[i].bad_result, probe_said(w[i].bad_result)));
    long total = 0;
    for (int a = 0; a < ACCOUNTS; a++) {
        total += acc[a].balance;
        cr_assert(acc[a].balance >= 0,
                  KATA_MSG("account %d ended at %ld: a balance never goes below zero; check the "
                           "balance and move the money under the same locks, in one step",
                           "账户 %d 最后是 %ld：余额永远不能小于零；检查余额和转钱要在同一组锁下、"
                           "一步完成",
                           a, acc[a].balance));
    }
    cr_assert(
        total == ACCOUNTS * START,
        KATA_MSG("after %d threads made %d transfers each with %s, the accounts hold %ld "
                 "in all, not %ld: money was created or lost, so some transfer was not "
                 "done under both locks",
                 "%d 个线程各转账 %d 次（用 %s）之后，账户总额是 %ld，不是 %ld：钱凭空多了或少了，"
                 "说明有的转账没有在两把锁之下完成",
                 WORKERS, ROUNDS, name, total, (long)ACCOUNTS * START));
    for (int a = 0; a < ACCOUNTS; a++) {
        long want = START;
        for (int i = 0; i < WORKERS; i++)
            want += w[i].net[a];
        cr_assert(
            acc[a].balance == want,
            KATA_MSG("account %d holds %ld, but the transfers that returned DL_OK add up to "
                     "%ld: every transfer that says DL_OK must be applied exactly once, and "
                     "a refused one not at all",
                     "账户 %d 里有 %ld，但返回 DL_OK 的转账加起来应该是 %ld：每个返回 DL_OK 的"
                     "转账必须恰好生效一次，被拒绝的一次都不能生效",
                     a, acc[a].balance, want));
    }
}

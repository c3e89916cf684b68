/* 03-race, part 4: check-then-act, made one step.
 *
 * race_withdraw: the lock wrappers (probes.h) stop thread A just before it
 * takes the account's lock, or just after it releases it, while thread B
 * withdraws; a check made outside the lock then overdraws the account on
 * every run.
 *
 * race_withdraw_cas: run one instruction at a time, with another thread's
 * withdrawal or deposit landing at each boundary between two of its
 * instructions in turn (as in part 2): every interleaving is tried. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

KATA_SUITE(withdraw);
KATA_SUITE(withdraw_cas);

static struct race_account account = RACE_ACCOUNT_INITIALIZER(0);

struct call {
    long amount;
    int result;
};

static void withdraw(void *p)
{
    struct call *c = p;
    c->result = race_withdraw(&account, c->amount);
}

static void start_watching(long balance)
{
    account.balance = balance;
    probe_watch(&account.lock, &account.balance);
}

KATA_TEST(withdraw, takes_the_money_when_there_is_enough)
{
    start_watching(100);
    struct call c = {30, -1};
    probe_op(withdraw, &c);
    cr_assert(c.result == 1 && account.balance == 70,
              KATA_MSG("race_withdraw(30) on a balance of 100 returned %d and left %ld: it must "
                       "take the money and return 1, leaving 70",
                       "余额 100 时 race_withdraw(30) 返回 %d，余额剩 %ld：应当取走这笔钱并返回 1，"
                       "余额剩 70",
                       c.result, account.balance));
}

KATA_TEST(withdraw, refuses_when_there_is_not_enough)
{
    start_watching(20);
    struct call c = {30, -1};
    probe_op(withdraw, &c);
    cr_assert(c.result == 0 && account.balance == 20,
              KATA_MSG("race_withdraw(30) on a balance of 20 returned %d and left %ld: it must "
                       "refuse (return 0) and leave the balance alone",
                       "余额 20 时 race_withdraw(30) 返回 %d，余额剩 %ld：应当拒绝（返回 0），"
                       "余额不变",
                       c.result, account.balance));
}

KATA_TEST(withdraw, takes_the_whole_balance)
{
    start_watching(30);
    struct call c = {30, -1};
    probe_op(withdraw, &c);
    cr_assert(c.result == 1 && account.balance == 0,
              KATA_MSG("race_withdraw(30) on a balance of exactly 30 returned %d and left %ld: "
                       "\"at least amount\" includes equal, so the account may be emptied to 0 "
                       "(balance >= amount, not balance > amount)",
                       "余额正好 30 时 race_withdraw(30) 返回 %d，余额剩 %ld：“至少有 amount”"
                       "包括相等，账户可以取到正好为 0（balance >= amount，不是 balance > amount）",
                       c.result, account.balance));
}

KATA_TEST(withdraw, checks_and_subtracts_inside_the_lock)
{
    start_watching(100);
    struct call c = {30, -1};
    probe_op(withdraw, &c);
    struct probe_log log;
    probe_log(&log);
    cr_assert(
        log.locks > 0,
        KATA_MSG("race_withdraw took no lock: between its check (\"is there enough?\") and "
                 "its subtraction another thread can withdraw too, and the account goes "
                 "below zero. Hold a->lock from before the check until after the "
                 "subtraction",
                 "race_withdraw 没有加锁：在它检查（“够不够？”）和扣款之间，别的线程也可以取钱，"
                 "账户就会透支。从检查之前到扣款之后，一直持有 a->lock"));
    cr_assert(log.other == NULL && log.watched_locks == 1 && log.watched_unlocks == 1,
              KATA_MSG("race_withdraw locked %d mutex(es) and a->lock %d time(s), and unlocked "
                       "a->lock %d time(s): take the account's own lock, a->lock, once, and "
                       "release it once",
                       "race_withdraw 锁了 %d 次互斥锁，其中 a->lock %d 次，解锁 a->lock %d 次："
                       "要锁账户自己的锁 a->lock，锁一次、放一次",
                       log.locks, log.watched_locks, log.watched_unlocks));
    cr_assert(log.at_unlock == 70,
              KATA_MSG("when a->lock was released the balance was still %ld, and it became %ld "
                       "only after the unlock: the subtraction happened outside the lock, so "
                       "another thread could pass the same check in between and withdraw too. "
                       "Subtract before pthread_mutex_unlock",
                       "释放 a->lock 时余额还是 %ld，解锁之后才变成 %ld：扣款发生在锁外，"
                       "别的线程可以在这中间通过同样的检查，也把钱取走。请在 pthread_mutex_unlock "
                       "之前扣款",
                       log.at_unlock, account.balance));
    /* The check: thread A is stopped just before its lock, and the balance
     * drops to 20 meanwhile.  A check made under the lock sees 20. */
    start_watching(100);
    probe_stop_first(PROBE_STOP_BEFORE_LOCK);
    struct call a = {30, -1};
    struct probe_thread ta;
    probe_thread_start(&ta, withdraw, &a);
    int stopped = probe_wait_stopped();
    if (stopped)
        account.balance = 20;
    probe_go();
    probe_thread_join(&ta);
    cr_assert(!stopped || (a.result == 0 && account.balance == 20),
              KATA_MSG("race_withdraw(30) was stopped just before it took a->lock, with a "
                       "balance of 100, and the balance dropped to 20 in the meantime; it then "
                       "returned %d and left %ld: it had checked the balance before taking the "
                       "lock, and acted on what it saw. The check belongs inside the lock too: "
                       "lock, then check, then subtract, then unlock",
                       "race_withdraw(30) 恰好在拿 a->lock 之前被停住，当时余额是 100，其间余额"
                       "降到了 20；之后它返回 %d，余额剩 %ld：它在加锁之前就检查了余额，又按看到的"
                       "旧值行事。检查也必须放在锁里：先加锁，再检查，再扣款，最后解锁",
                       a.result, account.balance));
}

/* Thread A withdraws 60 of 100, stopped at `where` while thread B (this
 * thread) withdraws 60 too.  Exactly one of them may succeed. */
static void two_withdrawals(enum probe_stop where, const char *en_moment, const char *zh_moment)
{
    start_watching(100);
    probe_stop_first(where);
    struct call a = {60, -1}, b = {60, -1};
    struct probe_thread ta;
    probe_thread_start(&ta, withdraw, &a);
    int a_stopped = probe_wait_stopped();
    if (a_stopped)
        probe_op(withdraw, &b);
    probe_go();
    probe_thread_join(&ta);
    cr_assert(a_stopped,
              KATA_MSG("race_withdraw never %s a mutex: check and subtract while holding "
                       "a->lock",
                       "race_withdraw 从没有%s互斥锁：检查和扣款都要在持有 a->lock 时进行",
                       where == PROBE_STOP_BEFORE_LOCK ? KATA_TR("locked", "锁过")
                                                       : KATA_TR("unlocked", "解锁过")));
    cr_assert(account.balance >= 0 && a.result + b.result == 1 &&
                  account.balance == 100 - 60 * (a.result + b.result),
              KATA_MSG("overdraft: the balance was 100 and two threads each withdrew 60. Thread "
                       "A was stopped %s, and thread B withdrew in the meantime (it returned "
                       "%d); then A went on and returned %d. The balance is now %ld: exactly "
                       "one withdrawal may succeed, leaving 40. A checked the balance outside "
                       "the lock and acted on what it saw; check and subtract must be one step, "
                       "both while holding a->lock",
                       "透支：余额 100，两个线程各取 60。线程 A 在%s被停住，线程 B 趁这时取了钱"
                       "（返回 %d）；然后 A 继续，返回 %d。现在余额是 %ld：只能有一次取款成功，"
                       "剩 40。A 在锁外检查了余额，又按看到的旧值行事；检查和扣款必须是一步，"
                       "都在持有 a->lock 时完成",
                       KATA_TR(en_moment, zh_moment), b.result, a.result, account.balance));
}

KATA_TEST(withdraw, sees_a_withdrawal_made_just_before_its_lock)
{
    two_withdrawals(PROBE_STOP_BEFORE_LOCK, "just before it took its lock", "加锁之前");
}

KATA_TEST(withdraw, no_overdraft_when_another_withdraws_right_after_the_unlock)
{
    two_withdrawals(PROBE_STOP_AFTER_UNLOCK, "just after it released its lock", "刚解锁之后");
}

/* ---- race_withdraw_cas ---------------------------------------------------- */

static atomic_long balance;

static void withdraw_cas(void *p)
{
    struct call *c = p;
    c->result = race_withdraw_cas(&balance, c->amount);
}

/* "Another thread", run from the single-stepper's signal handler while the
 * learner's code is stopped between two instructions: a withdrawal of
 * 50 done right, or a deposit of 10. */
static int other_took;

static void other_withdraws_50(void *p)
{
    (void)p;
    long b = atomic_load(&balance);
    other_took = b >= 50;
    if (other_took)
        atomic_store(&balance, b - 50);
}

static void other_deposits_10(void *p)
{
    (void)p;
    atomic_fetch_add(&balance, 10);
}

KATA_TEST(withdraw_cas, takes_the_money_when_there_is_enough)
{
    atomic_store(&balance, 100);
    struct call c = {30, -1};
    withdraw_cas(&c);
    long left = atomic_load(&balance);
    cr_assert(
        c.result == 1 && left == 70,
        KATA_MSG("race_withdraw_cas(30) on a balance of 100 returned %d and left %ld: it "
                 "must take the money and return 1, leaving 70",
                 "余额 100 时 race_withdraw_cas(30) 返回 %d，余额剩 %ld：应当取走这笔钱并返回 1，"
                 "余额剩 70",
                 c.result, left));
}

KATA_TEST(withdraw_cas, refuses_when_there_is_not_enough)
{
    atomic_store(&balance, 20);
    struct call c = {30, -1};
    withdraw_cas(&c);
    long left = atomic_load(&balance);
    cr_assert(c.result == 0 && left == 20,
              KATA_MSG("race_withdraw_cas(30) on a balance of 20 returned %d and left %ld: it "
                       "must refuse (return 0) and leave the balance alone",
                       "余额 20 时 race_withdraw_cas(30) 返回 %d，余额剩 %ld：应当拒绝（返回 0），"
                       "余额不变",
                       c.result, left));
}

KATA_TEST(withdraw_cas, takes_the_whole_balance)
{
    atomic_store(&balance, 30);
    struct call c = {30, -1};
    withdraw_cas(&c);
    long left = atomic_load(&balance);
    cr_assert(c.result == 1 && left == 0,
              KATA_MSG("race_withdraw_cas(30) on a balance of exactly 30 returned %d and left "
                       "%ld: \"at least amount\" includes equal, so the balance may go to 0 "
                       "(seen >= amount, not seen > amount)",
                       "余额正好 30 时 race_withdraw_cas(30) 返回 %d，余额剩 %ld：“至少有 amount”"
                       "包括相等，余额可以取到正好为 0（seen >= amount，不是 seen > amount）",
                       c.result, left));
}

/* The number of instruction boundaries of one undisturbed call. */
static long steps_of_one_call(long start, long amount)
{
    struct call c = {amount, -1};
    atomic_store(&balance, start);
    withdraw_cas(&c); /* once without stepping: lazy binding, caches */
    atomic_store(&balance, start);
    struct probe_step plain = probe_step_run(withdraw_cas, &c, 0, NULL, NULL);
    cr_assert(plain.finished && c.result == 1,
              KATA_MSG("race_withdraw_cas(%ld) on a balance of %ld %s: it must take the money "
                       "and return 1",
                       "余额 %2$ld 时 race_withdraw_cas(%1$ld) %3$s：应当取走这笔钱并返回 1",
                       amount, start,
                       plain.finished ? KATA_TR("returned something else than 1", "返回的不是 1")
                                      : KATA_TR("never returned", "一直没有返回")));
    cr_assert(
        plain.steps <= PROBE_MAX_TRIED,
        KATA_MSG("race_withdraw_cas ran %ld instructions, too many to try another thread's "
                 "withdrawal between every two of them: a load, a check and a "
                 "compare-exchange are a few dozen. Take out printf and any other call",
                 "race_withdraw_cas 执行了 %ld 条指令，太多了，没法在每两条指令之间都试一次"
                 "另一个线程的取款：一次 load、一次检查、一次比较并交换，加起来只有几十条指令。"
                 "请去掉 printf 和其他函数调用",
                 plain.steps));
    return plain.steps;
}

KATA_TEST(withdraw_cas, check_and_subtract_are_one_step)
{
    if (!PROBE_CAN_STEP)
        KATA_SKIP("this test runs the code one instruction at a time, which needs an x86-64 CPU; "
                  "make helgrind EX=03 still checks the same code",
                  "这个测试让代码一次只执行一条指令，这需要 x86-64 CPU；"
                  "make helgrind EX=03 仍然会检查同样的代码");
    long steps = steps_of_one_call(100, 60);
    for (long at = 1; at <= steps; at++) {
        atomic_store(&balance, 100);
        other_took = 0;
        struct call c = {60, -1};
        struct probe_step r = probe_step_run(withdraw_cas, &c, at, other_withdraws_50, NULL);
        long left = atomic_load(&balance);
        char where[128];
        probe_code_name(r.where, where, sizeof where);
        cr_assert(r.finished,
                  KATA_MSG("race_withdraw_cas(60) never returned after another thread withdrew "
                           "50 just before the instruction at %s: when the compare-exchange "
                           "fails, it has copied the current balance into your `expected` "
                           "variable; retry with that value (check it again), not with the one "
                           "you read first, which will never match again",
                           "另一个线程恰好在 %s 处的指令之前取走 50 之后，race_withdraw_cas(60) "
                           "再也没有返回：比较并交换失败时，已经把当前余额复制进你的 "
                           "`expected` 变量；用这个值重新检查、重试，而不是用最早读到的值，"
                           "那个值再也不会相等了",
                           where));
        int done = c.result + other_took;
        cr_assert(left >= 0 && left == 100 - 60 * c.result - 50 * other_took && done == 1,
                  KATA_MSG("the balance was 100; race_withdraw_cas(60) returned %d while another "
                           "thread withdrew 50 just before the instruction at %s (it %s). The "
                           "balance is now %ld: only one of the two fits, leaving 40 or 50. Your "
                           "code checked one balance and wrote a result computed from it after "
                           "the balance had changed: replace the balance only with "
                           "atomic_compare_exchange, which writes only if the balance is still "
                           "the one you checked, and check again whenever it fails",
                           "余额 100；race_withdraw_cas(60) 返回 %d，同时另一个线程恰好在 %s "
                           "处的指令之前取走 50（它%s）。现在余额是 %ld：两笔只能成功一笔，"
                           "剩 40 或 50。你的代码检查的是一个余额，写回的却是在余额已经变了之后"
                           "算出的结果：只能用 atomic_compare_exchange 替换余额，它只在余额"
                           "仍是你检查过的那个值时才写入；每次失败都要重新检查",
                           c.result, where,
                           other_took ? KATA_TR("succeeded", "成功了")
                                      : KATA_TR("was refused", "被拒绝了"),
                           left));
    }
}

KATA_TEST(withdraw_cas, retries_after_a_concurrent_deposit)
{
    if (!PROBE_CAN_STEP)
        KATA_SKIP("this test runs the code one instruction at a time, which needs an x86-64 CPU; "
                  "make helgrind EX=03 still checks the same code",
                  "这个测试让代码一次只执行一条指令，这需要 x86-64 CPU；"
                  "make helgrind EX=03 仍然会检查同样的代码");
    long steps = steps_of_one_call(100, 60);
    for (long at = 1; at <= steps; at++) {
        atomic_store(&balance, 100);
        struct call c = {60, -1};
        struct probe_step r = probe_step_run(withdraw_cas, &c, at, other_deposits_10, NULL);
        long left = atomic_load(&balance);
        char where[128];
        probe_code_name(r.where, where, sizeof where);
        cr_assert(r.finished,
                  KATA_MSG("race_withdraw_cas(60) never returned after another thread deposited "
                           "10 just before the instruction at %s: a failed compare-exchange "
                           "means \"the balance changed, here is the new one\"; retry with the "
                           "balance it hands back",
                           "另一个线程恰好在 %s 处的指令之前存入 10 之后，race_withdraw_cas(60) "
                           "再也没有返回：比较并交换失败的意思是“余额变了，这是新的值”；"
                           "用它交回的余额重试",
                           where));
        cr_assert(c.result == 1 && left == 100 + 10 * r.interfered - 60,
                  KATA_MSG("the balance was 100; race_withdraw_cas(60) returned %d while another "
                           "thread deposited 10 just before the instruction at %s, and the "
                           "balance is now %ld, not 50: the withdrawal must succeed (there is "
                           "always enough), and the deposit must not be lost. Write the new "
                           "balance only with a compare-exchange, and retry when it fails",
                           "余额 100；race_withdraw_cas(60) 返回 %d，同时另一个线程恰好在 %s "
                           "处的指令之前存入 10，现在余额是 %ld，不是 50：这次取款必须成功"
                           "（钱一直够），存款也不能丢。只能用比较并交换写入新余额，"
                           "失败就重试",
                           c.result, where, left));
    }
}

/* 03-race, part 1: a counter protected by a mutex.
 *
 * No test here counts on the scheduler.  The lock wrappers (probes.h) see
 * which mutex race_mutex_increment locks and what the value was when it
 * took and released it, and they stop one thread at a chosen point while
 * another runs a whole increment: the interleaving that loses an update is
 * made to happen, every run. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

KATA_SUITE(mutex);

static struct race_counter counter = RACE_COUNTER_INITIALIZER;

static void increment(void *p)
{
    race_mutex_increment(p);
}

static void start_watching(long value)
{
    counter.value = value;
    probe_watch(&counter.lock, &counter.value);
}

KATA_TEST(mutex, increment_adds_one)
{
    start_watching(41);
    probe_op(increment, &counter);
    cr_assert(counter.value == 42,
              KATA_MSG("race_mutex_increment turned 41 into %ld, not 42: it must add 1 to c->value",
                       "race_mutex_increment 把 41 变成了 %ld，而不是 42：它要给 c->value 加 1",
                       counter.value));
}

/* What a log says about which mutexes one call used; NULL if all is well. */
static void assert_locks_the_counters_lock(const struct probe_log *log)
{
    cr_assert(
        log->locks > 0,
        KATA_MSG("race_mutex_increment took no lock at all: value++ is three steps (read, "
                 "add, write back), and a thread that runs between them loses an update. "
                 "`volatile` does not help: it makes every access reach memory, not the "
                 "three steps indivisible. Take c->lock around the increment",
                 "race_mutex_increment 根本没有加锁：value++ 是三步（读、加、写回），"
                 "别的线程插在中间就会丢掉一次更新。`volatile` 没用：它只让每次访问都落到内存，"
                 "并不能让三步变成一步。请在自增前后加上 c->lock"));
    cr_assert(
        log->other == NULL,
        KATA_MSG("race_mutex_increment locked the mutex at %p, which is not the counter's "
                 "lock c->lock (%p): a mutex only keeps out the threads that lock that "
                 "same mutex. A mutex of your own per thread or per call keeps out nobody; "
                 "every thread must lock c->lock",
                 "race_mutex_increment 锁的是地址 %p 上的互斥锁，不是计数器自己的 c->lock（%p）："
                 "互斥锁只能挡住锁同一把锁的线程。每个线程或每次调用各用一把自己的锁，"
                 "谁也挡不住；所有线程都必须锁 c->lock",
                 (const void *)log->other, (void *)&counter.lock));
    cr_assert(log->watched_locks == 1 && log->watched_unlocks == 1,
              KATA_MSG("one call of race_mutex_increment locked c->lock %d time(s) and unlocked "
                       "it %d time(s): lock it once before reading the value and unlock it once "
                       "after writing it back",
                       "一次 race_mutex_increment 调用锁了 c->lock %d 次、解锁 %d 次："
                       "读值之前锁一次，写回之后解锁一次",
                       log->watched_locks, log->watched_unlocks));
}

KATA_TEST(mutex, increment_takes_the_counters_lock)
{
    start_watching(0);
    probe_op(increment, &counter);
    struct probe_log log;
    probe_log(&log);
    assert_locks_the_counters_lock(&log);
}

KATA_TEST(mutex, read_and_write_happen_inside_the_lock)
{
    start_watching(7);
    probe_op(increment, &counter);
    struct probe_log log;
    probe_log(&log);
    cr_assert(log.watched_locks > 0,
              KATA_MSG("race_mutex_increment never locked c->lock, so nothing kept another "
                       "thread out between its read and its write: take c->lock first",
                       "race_mutex_increment 从没锁过 c->lock，读和写之间没有任何东西挡住别的线程："
                       "先锁 c->lock"));
    cr_assert(log.at_unlock == 8,
              KATA_MSG("when c->lock was released the value was %ld (it was 7 when the lock was "
                       "taken), and it became %ld only after the unlock: the write happened "
                       "outside the lock. Another thread could read 7 in between, and both would "
                       "write 8: one increment lost. Read, add and write back, all before "
                       "pthread_mutex_unlock",
                       "释放 c->lock 时值是 %ld（加锁时是 7），解锁之后才变成 %ld：写发生在锁外。"
                       "别的线程可能在这中间也读到 7，两个线程都写回 8，丢了一次自增。"
                       "读、加、写回，都要在 pthread_mutex_unlock 之前完成",
                       log.at_unlock, counter.value));
    cr_assert(counter.value == 8,
              KATA_MSG("the value is %ld after one increment of 7: add exactly 1",
                       "7 自增一次后值是 %ld：要正好加 1", counter.value));
}

KATA_TEST(mutex, threads_lock_the_same_mutex)
{
    start_watching(0);
    probe_stop_first(PROBE_STOP_HOLDING_LOCK);
    struct probe_thread a, b;
    probe_thread_start(&a, increment, &counter);
    int a_stopped = probe_wait_stopped();
    const pthread_mutex_t *held = probe_stopped_mutex();
    probe_thread_start(&b, increment, &counter);
    int b_asked = a_stopped && probe_wait_locks(2);
    const pthread_mutex_t *asked = probe_last_asked();
    probe_go();
    probe_thread_join(&a);
    probe_thread_join(&b);
    cr_assert(a_stopped,
              KATA_MSG("thread A ran race_mutex_increment without ever locking a mutex: nothing "
                       "keeps a second thread out of the read-add-write. Lock c->lock",
                       "线程 A 执行 race_mutex_increment 时一次也没锁互斥锁：没有东西能把第二个线程"
                       "挡在读-加-写之外。请锁 c->lock"));
    cr_assert(
        b_asked,
        KATA_MSG("while thread A held a mutex inside race_mutex_increment, thread B went "
                 "through its own increment without locking anything: every thread must "
                 "lock c->lock",
                 "线程 A 在 race_mutex_increment 里持有互斥锁时，线程 B 没加任何锁就做完了自增："
                 "每个线程都必须锁 c->lock"));
    /* No check of the final value here: with the write outside the lock it
     * depends on the scheduler (the next test makes that case happen). */
    cr_assert(
        asked == held,
        KATA_MSG("thread A held the mutex at %p inside race_mutex_increment, and thread B "
                 "locked another one, at %p, so nothing stopped B from doing its whole "
                 "increment while A was in the middle of its own: two different mutexes "
                 "exclude nothing. A mutex made per thread (or per call) protects nothing "
                 "shared; all threads must lock the one mutex that goes with the data, c->lock",
                 "线程 A 在 race_mutex_increment 里持有地址 %p 的互斥锁，线程 B 锁的却是另一把 %p，"
                 "于是没有任何东西能阻止 B 在 A 自增到一半时做完自己的整个自增：两把不同的锁"
                 "互不排斥。每个线程（或每次调用）各建一把锁，保护不了任何共享的东西；"
                 "所有线程都必须锁和数据配套的那一把 c->lock",
                 (const void *)held, (const void *)asked));
}

KATA_TEST(mutex, no_increment_lost_when_another_runs_after_the_unlock)
{
    start_watching(0);
    probe_stop_first(PROBE_STOP_AFTER_UNLOCK);
    struct probe_thread a;
    probe_thread_start(&a, increment, &counter);
    int a_stopped = probe_wait_stopped();
    long before_b = counter.value;
    if (a_stopped)
        probe_op(increment, &counter); /* thread B: a whole increment */
    long after_b = counter.value;
    probe_go();
    probe_thread_join(&a);
    cr_assert(a_stopped,
              KATA_MSG("thread A ran race_mutex_increment without ever unlocking a mutex: "
                       "take c->lock before reading the value and release it after writing",
                       "线程 A 执行 race_mutex_increment 时从没解锁过互斥锁："
                       "读值前锁 c->lock，写回后释放"));
    cr_assert(
        counter.value == 2,
        KATA_MSG("lost update: thread A was stopped right after it released c->lock, "
                 "with the value at %ld; thread B then did a whole increment (%ld -> %ld); "
                 "when A went on, the value became %ld, not 2. A wrote, after its unlock, "
                 "a value it had computed from an old read, and wiped out B's increment. "
                 "The write back belongs inside the lock",
                 "丢失更新：线程 A 刚释放 c->lock 时被停住，当时值为 %ld；"
                 "随后线程 B 完整地做了一次自增（%ld -> %ld）；A 继续后，值变成了 %ld，而不是 2。"
                 "A 在解锁之后写回了根据旧值算出来的结果，抹掉了 B 的自增。写回必须在锁内",
                 before_b, before_b, after_b, counter.value));
}

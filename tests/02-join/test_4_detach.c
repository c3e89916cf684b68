/* 02-join, part 4: a detached worker that says when it is done. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>

#include <unistd.h>

KATA_SUITE(detach);

static int token;
static struct join_done done = JOIN_DONE_INITIALIZER; /* outlives the test body */

static void start_detached(join_work_fn work)
{
    probe_watch_done(&done);
    kata_watch_mutex(&done.lock, "done->lock"); /* unlocked again when the test ends */
    int err = join_detach(work, &token, &done);
    cr_assert(err == 0,
              KATA_MSG("join_detach returned %d (%s), not 0: it should start one thread, "
                       "created detached (a PTHREAD_CREATE_DETACHED attribute), that runs "
                       "work(0, arg) and then reports through done, and return 0 at once",
                       "join_detach 返回了 %d（%s），而不是 0：它应当启动一个以分离状态创建的线程"
                       "（用 PTHREAD_CREATE_DETACHED 属性），由它运行 work(0, arg)，再通过 done "
                       "报告结果；join_detach 自己则立即返回 0",
                       err, probe_error(err)));
}

KATA_TEST(detach, returns_while_the_worker_runs)
{
    start_detached(detach_work);
    struct probe_view v;
    probe_snapshot(&v);
    int arrived = probe_wait_arrived(1);
    probe_release();
    cr_assert(v.finished == 0,
              KATA_MSG("join_detach returned only after the work had finished: a detached "
                       "thread is fire and forget, start it and return (do not join it)",
                       "join_detach 等 work 做完才返回：分离的线程是“发出去就不管”的，启动它"
                       "然后返回（不要 join 它）"));
    cr_assert(
        arrived == 1,
        KATA_MSG("join_detach returned 0 but the work never ran: start a thread that calls "
                 "work(0, arg)",
                 "join_detach 返回了 0，可 work 从没运行：要启动一个调用 work(0, arg) 的线程"));
}

KATA_TEST(detach, worker_is_detached)
{
    start_detached(detach_work);
    probe_release(); /* the worker looks only after join_detach returned */
    probe_wait_finished(1);
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(
        v.arrived == 1,
        KATA_MSG("join_detach returned 0 but the work never ran: start a thread that calls "
                 "work(0, arg)",
                 "join_detach 返回了 0，可 work 从没运行：要启动一个调用 work(0, arg) 的线程"));
    cr_assert(v.w[0].detached == 1,
              KATA_MSG("the worker thread is still joinable: create it with a "
                       "PTHREAD_CREATE_DETACHED attribute (or call pthread_detach), or its "
                       "memory stays behind after it ends, since nobody will join it",
                       "这个工作线程仍然是可 join 的：要用 PTHREAD_CREATE_DETACHED 属性创建它"
                       "（或者调用 pthread_detach），否则没人 join 它，它结束后内存就一直留着"));
}

KATA_TEST(detach, wait_done_sleeps_on_the_condition_variable)
{
    start_detached(wait_gated_work);
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(v.finished == 0,
              KATA_MSG("the worker had already finished when join_detach returned, so there "
                       "was nothing left to wait for: join_detach must start the thread and "
                       "return, not wait for it",
                       "join_detach 返回时工作线程已经做完了，后面就没什么可等的了：join_detach "
                       "应当启动线程后就返回，而不是等它"));
    join_wait_done(&done);
    cr_assert(probe_waited_on_done(),
              KATA_MSG("join_wait_done never slept on done->cond while the worker ran (the "
                       "worker waited %.1f s for it): lock done->lock, and while done->done is "
                       "0 call pthread_cond_wait(&done->cond, &done->lock); a busy loop burns a "
                       "CPU, and without the lock the flag and the result are read racily",
                       "工作线程运行期间，join_wait_done 从没在 done->cond 上睡过（工作线程等了"
                       "它 %.1f 秒）：先锁 done->lock，只要 done->done 是 0 就调用 "
                       "pthread_cond_wait(&done->cond, &done->lock)；忙等会白白烧掉一个 CPU，"
                       "不加锁读标志和结果则是数据竞争",
                       PROBE_WAIT_SECONDS));
}

KATA_TEST(detach, wait_done_returns_the_result)
{
    start_detached(wait_gated_work);
    long got = join_wait_done(&done);
    cr_assert(got == PROBE_RESULT(0),
              KATA_MSG("join_wait_done returned %ld, not %ld (what the work returned): wait "
                       "until done->done is 1, then read done->result, both under done->lock",
                       "join_wait_done 返回了 %ld，而不是 %ld（work 的返回值）：等到 done->done "
                       "为 1，再读 done->result，两步都要在持有 done->lock 时做",
                       got, PROBE_RESULT(0)));
}

KATA_TEST(detach, wait_done_returns_at_once_when_already_done)
{
    start_detached(quick_work);
    /* wait, the right way, until the worker has said it is done */
    int finished = 0;
    for (int i = 0; i < 1500 && !finished; i++) {
        pthread_mutex_lock(&done.lock);
        finished = done.done;
        pthread_mutex_unlock(&done.lock);
        if (!finished)
            usleep(1000);
    }
    cr_assert(finished, KATA_MSG("the detached worker never set done->done to 1 under done->lock",
                                 "分离的工作线程从没在持有 done->lock 时把 done->done 置为 1"));
    long got = join_wait_done(&done);
    cr_assert(!probe_waited_after_done(),
              KATA_MSG("join_wait_done called pthread_cond_wait although done->done was already "
                       "1: the signal was sent before anyone waited, and a condition variable "
                       "does not remember it, so this would sleep forever. Check the flag "
                       "first: while (!done->done) pthread_cond_wait(...)",
                       "done->done 已经是 1 了，join_wait_done 还调用 pthread_cond_wait：通知在"
                       "有人等之前就发出了，而条件变量不会记住它，所以这会永远睡下去。先检查标志："
                       "while (!done->done) pthread_cond_wait(...)"));
    cr_assert(got == PROBE_RESULT(0),
              KATA_MSG("join_wait_done returned %ld, not %ld (what the work returned): read "
                       "done->result under done->lock once done->done is 1",
                       "join_wait_done 返回了 %ld，而不是 %ld（work 的返回值）：done->done 为 1 "
                       "之后，在持有 done->lock 时读 done->result",
                       got, PROBE_RESULT(0)));
}

KATA_TEST(detach, wait_done_checks_again_after_every_wake_up)
{
    /* No worker: the test plays its part, and wakes the waiter once too early. */
    kata_watch_mutex(&done.lock, "done->lock");
    probe_waiter_start(&done); /* a thread of the test calls join_wait_done(&done) */
    struct probe_waiter first = probe_waiter_wait(1);
    struct probe_waiter second = first;
    if (first.sleeps >= 1 && !first.returned) {
        /* It is in pthread_cond_wait, which gave done->lock up: so this lock
         * is taken only once it sleeps.  Wake it with done->done still 0. */
        pthread_mutex_lock(&done.lock);
        pthread_cond_broadcast(&done.cond);
        pthread_mutex_unlock(&done.lock);
        second = probe_waiter_wait(first.sleeps + 1); /* sleeps again, or returns */
    }
    pthread_mutex_lock(&done.lock);
    done.result = PROBE_RESULT(0);
    done.done = 1;
    pthread_cond_broadcast(&done.cond);
    pthread_mutex_unlock(&done.lock);
    probe_waiter_end();
    cr_assert(!first.returned,
              KATA_MSG("join_wait_done returned while done->done was 0 and nobody had "
                       "signalled: it must sleep on done->cond (pthread_cond_wait, holding "
                       "done->lock) until done->done is 1",
                       "done->done 还是 0、也没人发过通知，join_wait_done 就返回了：它必须在 "
                       "done->cond 上睡（持有 done->lock 调用 pthread_cond_wait），直到 "
                       "done->done 变成 1"));
    cr_assert(first.sleeps >= 1,
              KATA_MSG("join_wait_done, called while done->done was 0, neither slept on "
                       "done->cond nor returned within %.1f s: lock done->lock, and while "
                       "done->done is 0 call pthread_cond_wait(&done->cond, &done->lock)",
                       "在 done->done 为 0 时调用 join_wait_done，它在 %.1f 秒内既没在 done->cond "
                       "上睡，也没返回：先锁 done->lock，只要 done->done 是 0 就调用 "
                       "pthread_cond_wait(&done->cond, &done->lock)",
                       PROBE_WAIT_SECONDS));
    cr_assert(!second.returned,
              KATA_MSG("join_wait_done returned after one wake-up although done->done was "
                       "still 0 (the test broadcast done->cond without setting it): "
                       "pthread_cond_wait can return while the condition is false (a spurious "
                       "wake-up, or another thread got there first and changed it back), so "
                       "check done->done again after every wake-up, in a loop (while, not if)",
                       "done->done 仍是 0（测试只广播了 done->cond，没设标志），join_wait_done "
                       "被唤醒一次就返回了：pthread_cond_wait 可能在条件不成立时返回（虚假唤醒，"
                       "或者别的线程抢先一步又把它改了回去），所以每次醒来都要再检查一遍 "
                       "done->done，放在循环里（用 while，不是 if）"));
}

KATA_TEST(detach, returns_the_error_when_the_thread_cannot_start)
{
    probe_fail_create_after(0);
    int err = join_detach(quick_work, &token, &done);
    int calls = probe_create_calls();
    probe_fail_create_after(-1);
    cr_assert(calls >= 1,
              KATA_MSG("join_detach returned %d (%s) without calling pthread_create: it "
                       "must start its thread with pthread_create",
                       "join_detach 没调用 pthread_create 就返回了 %d（%s）：它必须用 "
                       "pthread_create 启动线程",
                       err, probe_error(err)));
    cr_assert(err == EAGAIN,
              KATA_MSG("pthread_create failed with EAGAIN and join_detach returned %d (%s): "
                       "return the error number pthread_create gave, or the caller goes on "
                       "to wait for a worker that never started",
                       "pthread_create 失败了（EAGAIN），join_detach 却返回了 %d（%s）：要返回 "
                       "pthread_create 给出的错误号，否则调用者会接着去等一个从没启动的工作线程",
                       err, probe_error(err)));
}

/* 02-join, part 4: a detached worker that says when it is done. */
#include "probes.h" /* first: it sets _GNU_SOURCE */
#include "kata.h"

#include <unistd.h>

KATA_SUITE(detach);

static int token;
static struct join_done done = JOIN_DONE_INITIALIZER; /* outlives the test body */

static void start_detached(join_work_fn work)
{
    probe_watch_done(&done);
    int err = join_detach(work, &token, &done);
    cr_assert(err == 0, "join_detach returned %d (%s), not 0: it should start one thread, "
                        "created detached (a PTHREAD_CREATE_DETACHED attribute), that runs "
                        "work(0, arg) and then reports through done, and return 0 at once",
              err, probe_error(err));
}

KATA_TEST(detach, returns_while_the_worker_runs)
{
    start_detached(detach_work);
    struct probe_view v;
    probe_snapshot(&v);
    int arrived = probe_wait_arrived(1);
    probe_release();
    cr_assert(v.finished == 0,
              "join_detach returned only after the work had finished: a detached thread "
              "is fire and forget, start it and return (do not join it)");
    cr_assert(arrived == 1, "join_detach returned 0 but the work never ran: start a thread "
                            "that calls work(0, arg)");
}

KATA_TEST(detach, worker_is_detached)
{
    start_detached(detach_work);
    probe_release(); /* the worker looks only after join_detach returned */
    probe_wait_finished(1);
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(v.arrived == 1, "join_detach returned 0 but the work never ran: start a thread "
                              "that calls work(0, arg)");
    cr_assert(v.w[0].detached == 1,
              "the worker thread is still joinable: create it with a "
              "PTHREAD_CREATE_DETACHED attribute (or call pthread_detach), or its memory "
              "stays behind after it ends, since nobody will join it");
}

KATA_TEST(detach, wait_done_sleeps_on_the_condition_variable)
{
    start_detached(wait_gated_work);
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(v.finished == 0,
              "the worker had already finished when join_detach returned, so there was "
              "nothing left to wait for: join_detach must start the thread and return, "
              "not wait for it");
    join_wait_done(&done);
    cr_assert(probe_waited_on_done(),
              "join_wait_done never slept on done->cond while the worker ran (the worker "
              "waited %.1f s for it): lock done->lock, and while done->done is 0 call "
              "pthread_cond_wait(&done->cond, &done->lock); a busy loop burns a CPU, and "
              "without the lock the flag and the result are read racily",
              PROBE_WAIT_SECONDS);
}

KATA_TEST(detach, wait_done_returns_the_result)
{
    start_detached(wait_gated_work);
    long got = join_wait_done(&done);
    cr_assert(got == PROBE_RESULT(0),
              "join_wait_done returned %ld, not %ld (what the work returned): wait until "
              "done->done is 1, then read done->result, both under done->lock",
              got, PROBE_RESULT(0));
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
    cr_assert(finished, "the detached worker never set done->done to 1 under done->lock");
    long got = join_wait_done(&done);
    cr_assert(!probe_waited_after_done(),
              "join_wait_done called pthread_cond_wait although done->done was already 1: "
              "the signal was sent before anyone waited, and a condition variable does "
              "not remember it, so this would sleep forever. Check the flag first: "
              "while (!done->done) pthread_cond_wait(...)");
    cr_assert(got == PROBE_RESULT(0), "join_wait_done returned %ld, not %ld (what the work "
                                      "returned): read done->result under done->lock once "
                                      "done->done is 1", got, PROBE_RESULT(0));
}

KATA_TEST(detach, wait_done_checks_again_after_every_wake_up)
{
    /* No worker: the test plays its part, and wakes the waiter once too early. */
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
              "join_wait_done returned while done->done was 0 and nobody had signalled: it "
              "must sleep on done->cond (pthread_cond_wait, holding done->lock) until "
              "done->done is 1");
    cr_assert(first.sleeps >= 1,
              "join_wait_done, called while done->done was 0, neither slept on done->cond "
              "nor returned within %.1f s: lock done->lock, and while done->done is 0 call "
              "pthread_cond_wait(&done->cond, &done->lock)", PROBE_WAIT_SECONDS);
    cr_assert(!second.returned,
              "join_wait_done returned after one wake-up although done->done was still 0 "
              "(the test broadcast done->cond without setting it): pthread_cond_wait can "
              "return while the condition is false (a spurious wake-up, or another thread "
              "got there first and changed it back), so check done->done again after every "
              "wake-up, in a loop (while, not if)");
}

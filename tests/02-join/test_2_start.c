/* 02-join, part 2: start named workers, collect their results with pthread_join. */
#include "probes.h" /* first: it sets _GNU_SOURCE */
#include "kata.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

KATA_SUITE(start);

#define N 3
static int token; /* its address is the arg every worker must receive */

/* Starts N held workers and checks they all run at once, held by the test. */
static struct join_team *start_held(void)
{
    struct join_team *team = join_start(N, held_work, &token);
    cr_assert(team != NULL, "join_start(%d, ...) returned NULL: it must start %d threads "
                            "with pthread_create and return the team", N, N);
    int arrived = probe_wait_arrived(N);
    cr_assert(arrived == N, "only %d of the %d workers ever started running their work "
                            "function while join_start's team was alive: start every "
                            "thread with pthread_create(..., your start routine, ...), "
                            "and let each one call work(index, arg)", arrived, N);
    return team;
}

static void finish_quietly(struct join_team *team)
{
    long results[N];
    probe_release();
    join_finish(team, results);
}

KATA_TEST(start, returns_while_workers_run)
{
    struct join_team *team = join_start(N, held_work, &token);
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(team != NULL, "join_start(%d, ...) returned NULL: it must start %d threads "
                            "with pthread_create and return the team", N, N);
    cr_assert(v.finished == 0,
              "join_start returned only after %d worker(s) had finished: it must start "
              "the threads and return while they run. Joining right after creating "
              "(create, join, create, join ...) runs the workers one after another; "
              "pthread_join belongs in join_finish", v.finished);
    probe_wait_arrived(N);
    finish_quietly(team);
}

KATA_TEST(start, workers_get_their_index_and_arg)
{
    struct join_team *team = start_held();
    struct probe_view v;
    probe_snapshot(&v);
    int seen[N] = {0};
    for (int i = 0; i < N; i++) {
        cr_assert(v.w[i].arg == &token, "a worker was given arg %p, not the %p passed to "
                                        "join_start: pass arg on to every work call",
                  v.w[i].arg, (void *)&token);
        cr_assert(v.w[i].index >= 0 && v.w[i].index < N && !seen[v.w[i].index],
                  "a worker was given index %d, which is %s: worker i must call "
                  "work(i, arg), each with its own number from 0 to %d. Give each thread "
                  "its own copy (a struct per worker), not the address of the loop variable",
                  v.w[i].index,
                  v.w[i].index >= 0 && v.w[i].index < N ? "also another worker's" : "out of range",
                  N - 1);
        seen[v.w[i].index] = 1;
    }
    finish_quietly(team);
}

KATA_TEST(start, workers_are_named_worker_i)
{
    struct join_team *team = start_held();
    struct probe_view v;
    probe_snapshot(&v);
    for (int i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof want, "worker-%d", v.w[i].index);
        cr_assert(strcmp(v.w[i].name, want) == 0,
                  "worker %d was called \"%s\" when it began its work, not \"%s\": a new "
                  "thread starts with its creator's name, so the worker names itself, "
                  "pthread_setname_np(pthread_self(), \"worker-%d\"), first thing in its "
                  "start routine, before it calls work(%d, arg)",
                  v.w[i].index, v.w[i].name, want, v.w[i].index, v.w[i].index);
    }
    finish_quietly(team);
}

KATA_TEST(start, workers_name_themselves)
{
    struct join_team *team = start_held();
    struct probe_view v;
    probe_snapshot(&v);
    struct probe_naming named[PROBE_MAX];
    int calls = probe_namings(named);
    for (int k = 0; k < calls && k < PROBE_MAX; k++) {
        char target[32] = "a thread that is not a worker";
        for (int i = 0; i < N; i++)
            if (pthread_equal(named[k].target, v.w[i].self))
                snprintf(target, sizeof target, "worker %d", v.w[i].index);
        cr_assert(pthread_equal(named[k].caller, named[k].target),
                  "pthread_setname_np(..., \"%s\") was called on %s by another thread: "
                  "named from outside, a thread may already be running its work (or have "
                  "ended) when the name lands, however fast it is given. A worker names "
                  "itself: pthread_setname_np(pthread_self(), ...) in its start routine, "
                  "before it calls work(i, arg)",
                  named[k].name, target);
    }
    for (int i = 0; i < N; i++) {
        int self_named = 0;
        for (int k = 0; k < calls && k < PROBE_MAX; k++)
            self_named |= pthread_equal(named[k].caller, v.w[i].self) &&
                          pthread_equal(named[k].target, v.w[i].self);
        cr_assert(self_named,
                  "worker %d never called pthread_setname_np on itself: its start routine "
                  "must name its own thread, pthread_setname_np(pthread_self(), "
                  "\"worker-%d\"), before it calls work(%d, arg)",
                  v.w[i].index, v.w[i].index, v.w[i].index);
    }
    finish_quietly(team);
}

KATA_TEST(start, caller_keeps_its_name)
{
    char before[64], after[64];
    pid_t me = (pid_t)syscall(SYS_gettid);
    probe_thread_name(me, before);
    struct join_team *team = start_held();
    probe_thread_name(me, after);
    cr_assert(strcmp(before, after) == 0,
              "the thread that called join_start was renamed from \"%s\" to \"%s\": "
              "pthread_setname_np(pthread_self(), ...) names the thread that calls it, and "
              "in join_start that is the caller. The call belongs in the worker's start "
              "routine, where pthread_self() is the worker",
              before, after);
    finish_quietly(team);
}

KATA_TEST(start, finish_returns_each_workers_result)
{
    long results[N] = {-1, -1, -1};
    struct join_team *team = join_start(N, joined_work, &token);
    cr_assert(team != NULL, "join_start(%d, ...) returned NULL: it must start %d threads "
                            "with pthread_create and return the team", N, N);
    int err = join_finish(team, results);
    cr_assert(err == 0, "join_finish returned %d (%s), not 0: it must pthread_join every "
                        "worker and return 0 when every join worked", err, probe_error(err));
    for (int i = 0; i < N; i++) {
        long k = (results[i] - PROBE_RESULT(0)) / 7;
        cr_assert(results[i] == PROBE_RESULT(i) || results[i] != PROBE_RESULT(k),
                  "results[%d] is %ld, what work(%ld, arg) returns: worker i must call "
                  "work(i, arg), with i from 0, and its result goes to results[i]",
                  i, results[i], k);
        cr_assert(results[i] == PROBE_RESULT(i),
                  "results[%d] is %ld, not %ld (what work(%d, arg) returned): the start "
                  "routine returns the result as its void *, pthread_join(thread, &ret) "
                  "hands it back, and only after the join is it sure to be there",
                  i, results[i], PROBE_RESULT(i), i);
    }
}

KATA_TEST(start, finish_joins_every_worker)
{
    long results[N];
    struct join_team *team = join_start(N, quick_work, &token);
    cr_assert(team != NULL, "join_start(%d, ...) returned NULL: it must start %d threads "
                            "with pthread_create and return the team", N, N);
    int err = join_finish(team, results);
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(v.arrived == N, "only %d of the %d workers ran: join_start must start %d "
                              "threads, each calling work(i, arg)", v.arrived, N, N);
    for (int i = 0; i < N; i++)
        cr_assert(probe_was_joined(v.w[i].self),
                  "worker %d was never passed to pthread_join: a thread that is not joined "
                  "(nor detached) stays behind as a zombie thread, and its result is lost",
                  v.w[i].index);
    cr_assert(err == 0, "join_finish returned %d (%s), not 0: it must return 0 when every "
                        "join worked, or the first error number pthread_join returned",
              err, probe_error(err));
}

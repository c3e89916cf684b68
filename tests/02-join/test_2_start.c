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
        char name[64], want[16];
        probe_thread_name(v.w[i].tid, name);
        snprintf(want, sizeof want, "worker-%d", v.w[i].index);
        cr_assert(name[0] != '\0',
                  "worker %d had already ended when join_start returned, so it has no "
                  "name to look at: join_start must return while its workers run "
                  "(no pthread_join in join_start)", v.w[i].index);
        cr_assert(strcmp(name, want) == 0,
                  "worker %d is called \"%s\", not \"%s\": name each new thread with "
                  "pthread_setname_np(its pthread_t, \"worker-%d\") (a new thread starts "
                  "with its creator's name)", v.w[i].index, name, want, v.w[i].index);
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
              "pthread_setname_np(pthread_self(), ...) names the caller, not the worker; "
              "pass the new thread's pthread_t (or call it from inside the new thread)",
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
    cr_assert(err == 0, "join_finish returned %d: it must join every worker and return 0", err);
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
    cr_assert(v.arrived == N, "only %d of the %d workers ran", v.arrived, N);
    for (int i = 0; i < N; i++)
        cr_assert(probe_was_joined(v.w[i].self),
                  "worker %d was never passed to pthread_join: a thread that is not joined "
                  "(nor detached) stays behind as a zombie thread, and its result is lost",
                  v.w[i].index);
    cr_assert(err == 0, "join_finish returned %d: it must return 0 when every join worked", err);
}

/* 02-join, part 2: start named workers, collect their results with pthread_join. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

KATA_SUITE(start);

#define N 3
#define JOIN_START_NULL_MSG                                                                            \
    KATA_MSG("join_start(%d, ...) returned NULL: it must start %d threads with "                       \
             "pthread_create and return the team",                                                     \
             "join_start(%d, ...) 返回了 NULL：它应当用 pthread_create 启动 %d 个线程，" \
             "并返回这个 team",                                                                        \
             N, N)
static int token; /* its address is the arg every worker must receive */

/* Starts N held workers and checks they all run at once, held by the test. */
static struct join_team *start_held(void)
{
    struct join_team *team = join_start(N, held_work, &token);
    cr_assert(team != NULL, JOIN_START_NULL_MSG);
    int arrived = probe_wait_arrived(N);
    cr_assert(arrived == N,
              KATA_MSG("only %d of the %d workers ever started running their work function "
                       "while join_start's team was alive: start every thread with "
                       "pthread_create(..., your start routine, ...), and let each one call "
                       "work(index, arg)",
                       "在 join_start 的 team 还活着时，%d 个工作线程里只有 %d 个开始执行 work："
                       "每个线程都要用 pthread_create(..., 你的启动函数, ...) 启动，并让它们各自"
                       "调用 work(index, arg)",
                       arrived, N));
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
    cr_assert(team != NULL, JOIN_START_NULL_MSG);
    cr_assert(v.finished == 0,
              KATA_MSG("join_start returned only after %d worker(s) had finished: it must "
                       "start the threads and return while they run. Joining right after "
                       "creating (create, join, create, join ...) runs the workers one after "
                       "another; pthread_join belongs in join_finish",
                       "join_start 等到 %d 个工作线程结束后才返回：它应当启动线程后、趁它们还在"
                       "运行就返回。创建完立刻 join（创建、join、创建、join……）会让工作线程一个"
                       "接一个地跑；pthread_join 应该放在 join_finish 里",
                       v.finished));
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
        cr_assert(v.w[i].arg == &token,
                  KATA_MSG("a worker was given arg %p, not the %p passed to join_start: pass "
                           "arg on to every work call",
                           "某个工作线程拿到的 arg 是 %p，而不是传给 join_start 的 %p：每次调用 "
                           "work 都要把 arg 原样传下去",
                           v.w[i].arg, (void *)&token));
        cr_assert(v.w[i].index >= 0 && v.w[i].index < N && !seen[v.w[i].index],
                  KATA_MSG("a worker was given index %d, which is %s: worker i must call "
                           "work(i, arg), each with its own number from 0 to %d. Give each "
                           "thread its own copy (a struct per worker), not the address of the "
                           "loop variable",
                           "某个工作线程拿到的编号是 %d，它%s：第 i 个工作线程必须调用 "
                           "work(i, arg)，各自拿 0 到 %d 之间属于自己的编号。给每个线程一份自己的"
                           "副本（每个工作线程一个结构体），不要传循环变量的地址",
                           v.w[i].index,
                           v.w[i].index >= 0 && v.w[i].index < N
                               ? KATA_TR("also another worker's", "同时也是另一个工作线程的编号")
                               : KATA_TR("out of range", "超出了范围"),
                           N - 1));
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
        cr_assert(
            strcmp(v.w[i].name, want) == 0,
            KATA_MSG("worker %d was called \"%s\" when it began its work, not \"%s\": a "
                     "new thread starts with its creator's name, so the worker names "
                     "itself, pthread_setname_np(pthread_self(), \"worker-%d\"), first "
                     "thing in its start routine, before it calls work(%d, arg)",
                     "工作线程 %1$d 开始干活时名叫 \"%2$s\"，而不是 \"%3$s\"：新线程一开始沿用"
                     "创建者的名字，所以工作线程要在启动函数里、调用 work(%5$d, arg) 之前，"
                     "先用 pthread_setname_np(pthread_self(), \"worker-%4$d\") 给自己起名",
                     v.w[i].index, v.w[i].name, want, v.w[i].index, v.w[i].index));
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
        char target[64];
        snprintf(target, sizeof target, "%s",
                 KATA_TR("a thread that is not a worker", "一个不是工作线程的线程"));
        for (int i = 0; i < N; i++)
            if (pthread_equal(named[k].target, v.w[i].self))
                snprintf(target, sizeof target, KATA_TR("worker %d", "工作线程 %d"), v.w[i].index);
        cr_assert(pthread_equal(named[k].caller, named[k].target),
                  KATA_MSG("pthread_setname_np(..., \"%s\") was called on %s by another "
                           "thread: named from outside, a thread may already be running its "
                           "work (or have ended) when the name lands, however fast it is given. "
                           "A worker names itself: pthread_setname_np(pthread_self(), ...) in "
                           "its start routine, before it calls work(i, arg)",
                           "pthread_setname_np(..., \"%s\") 是由另一个线程对%s调用的：从外面"
                           "起名，无论多快，名字落下时那个线程可能已经在干活（甚至已经结束）了。"
                           "工作线程要自己起名：在启动函数里、调用 work(i, arg) 之前，调用 "
                           "pthread_setname_np(pthread_self(), ...)",
                           named[k].name, target));
    }
    for (int i = 0; i < N; i++) {
        int self_named = 0;
        for (int k = 0; k < calls && k < PROBE_MAX; k++)
            self_named |= pthread_equal(named[k].caller, v.w[i].self) &&
                          pthread_equal(named[k].target, v.w[i].self);
        cr_assert(self_named,
                  KATA_MSG("worker %d never called pthread_setname_np on itself: its start "
                           "routine must name its own thread, pthread_setname_np(pthread_self(), "
                           "\"worker-%d\"), before it calls work(%d, arg)",
                           "工作线程 %d 从没对自己调用 pthread_setname_np：它的启动函数必须先用 "
                           "pthread_setname_np(pthread_self(), \"worker-%d\") 给自己的线程起名，"
                           "再调用 work(%d, arg)",
                           v.w[i].index, v.w[i].index, v.w[i].index));
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
              KATA_MSG("the thread that called join_start was renamed from \"%s\" to \"%s\": "
                       "pthread_setname_np(pthread_self(), ...) names the thread that calls it, "
                       "and in join_start that is the caller. The call belongs in the worker's "
                       "start routine, where pthread_self() is the worker",
                       "调用 join_start 的线程被从 \"%s\" 改名成了 \"%s\"："
                       "pthread_setname_np(pthread_self(), ...) 改的是调用它的那个线程的名字，"
                       "在 join_start 里那就是调用者。这个调用应该放进工作线程的启动函数，"
                       "在那里 pthread_self() 才是工作线程",
                       before, after));
    finish_quietly(team);
}

KATA_TEST(start, finish_returns_each_workers_result)
{
    long results[N] = {-1, -1, -1};
    int mark = probe_created();
    struct join_team *team = join_start(N, joined_work, &token);
    cr_assert(team != NULL, JOIN_START_NULL_MSG);
    int err = join_finish(team, results);
    probe_assert_joined(mark, "join_finish");
    cr_assert(err == 0,
              KATA_MSG("join_finish returned %d (%s), not 0: it must pthread_join every worker "
                       "and return 0 when every join worked",
                       "join_finish 返回了 %d（%s），而不是 0：它要对每个工作线程调用 "
                       "pthread_join，全部成功时返回 0",
                       err, probe_error(err)));
    for (int i = 0; i < N; i++) {
        long k = (results[i] - PROBE_RESULT(0)) / 7;
        cr_assert(results[i] == PROBE_RESULT(i) || results[i] != PROBE_RESULT(k),
                  KATA_MSG("results[%d] is %ld, what work(%ld, arg) returns: worker i must "
                           "call work(i, arg), with i from 0, and its result goes to results[i]",
                           "results[%d] 是 %ld，这是 work(%ld, arg) 的返回值：第 i 个工作线程"
                           "必须调用 work(i, arg)，i 从 0 开始，它的结果放进 results[i]",
                           i, results[i], k));
        cr_assert(results[i] == PROBE_RESULT(i),
                  KATA_MSG("results[%d] is %ld, not %ld (what work(%d, arg) returned): the "
                           "start routine returns the result as its void *, "
                           "pthread_join(thread, &ret) hands it back, and only after the join "
                           "is it sure to be there",
                           "results[%d] 是 %ld，而不是 %ld（work(%d, arg) 的返回值）：启动函数"
                           "把结果作为它的 void * 返回，pthread_join(thread, &ret) 把它交回来，"
                           "只有 join 之后它才一定已经在那里",
                           i, results[i], PROBE_RESULT(i), i));
    }
}

KATA_TEST(start, finish_joins_every_worker)
{
    long results[N];
    int mark = probe_created();
    struct join_team *team = start_held();
    probe_release();
    int err = join_finish(team, results);
    probe_assert_joined(mark, "join_finish");
    struct probe_view v;
    probe_snapshot(&v);
    cr_assert(v.arrived == N,
              KATA_MSG("only %d of the %d workers ran: join_start must start %d threads, each "
                       "calling work(i, arg)",
                       "%d 个工作线程里只有 %d 个运行了：join_start 必须启动 %d 个线程，"
                       "每个都调用 work(i, arg)",
                       v.arrived, N, N));
    for (int i = 0; i < N; i++)
        cr_assert(probe_was_joined(v.w[i].self),
                  KATA_MSG("worker %d was never passed to pthread_join: a thread that is not "
                           "joined (nor detached) stays behind as a zombie thread, and its "
                           "result is lost",
                           "工作线程 %d 从没被传给 pthread_join：既没被 join 也没被分离的线程会"
                           "作为僵尸线程留下来，它的结果也丢了",
                           v.w[i].index));
    cr_assert(err == 0,
              KATA_MSG("join_finish returned %d (%s), not 0: it must return 0 when every join "
                       "worked, or the first error number pthread_join returned",
                       "join_finish 返回了 %d（%s），而不是 0：全部 join 成功时它应返回 0，"
                       "否则返回 pthread_join 给出的第一个错误号",
                       err, probe_error(err)));
}

KATA_TEST(start, finish_joins_workers_that_have_already_ended)
{
    long results[N] = {-1, -1, -1};
    int mark = probe_created();
    struct join_team *team = join_start(N, quick_work, &token);
    cr_assert(team != NULL, JOIN_START_NULL_MSG);
    probe_wait_finished(N);
    int ended = probe_wait_threads_ended(); /* join_finish comes after every worker ended */
    int err = join_finish(team, results);
    int left = probe_unjoined(mark);
    cr_assert(left == 0,
              KATA_MSG("join_finish was called when all %d workers had already ended, and %d of "
                       "them were never passed to pthread_join: a thread that has ended is not "
                       "gone, it waits with its result for its pthread_join (unjoined, it "
                       "stays behind as a zombie thread). Join every worker, ended or not",
                       "调用 join_finish 时 %d 个工作线程都已经结束了，其中 %d 个从没被传给 "
                       "pthread_join：结束了的线程并没有消失，它带着结果等自己的 pthread_join"
                       "（没人 join 就作为僵尸线程留下）。不管结束没有，每个工作线程都要 join",
                       N, left));
    cr_assert(ended, KATA_MSG("the %d workers, whose work returns at once, had not all ended "
                              "%.1f s later: the start routine should return what work "
                              "returned, and nothing else",
                              "这 %d 个工作线程的 work 立刻就返回，可 %.1f 秒后它们还没全部结束："
                              "启动函数应当返回 work 的返回值，别的什么都不做",
                              N, PROBE_WAIT_SECONDS));
    for (int i = 0; i < N; i++)
        cr_assert(err == 0 && results[i] == PROBE_RESULT(i),
                  KATA_MSG("join_finish, called when every worker had already ended, returned "
                           "%d (%s) and results[%d] is %ld (want 0 and %ld): a thread that has "
                           "ended still waits for its pthread_join, which returns at once with "
                           "its result; join every worker, ended or not",
                           "每个工作线程都已经结束后才调用 join_finish，它返回了 %d（%s），"
                           "results[%d] 是 %ld（应为 0 和 %ld）：已经结束的线程仍在等它的 "
                           "pthread_join，这个调用会立刻返回它的结果；不管结束没有，每个工作线程"
                           "都要 join",
                           err, probe_error(err), i, results[i], PROBE_RESULT(i)));
}

KATA_TEST(start, failed_create_joins_the_workers_already_started)
{
    int mark = probe_created();
    probe_fail_create_after(N - 1); /* the last worker cannot be made */
    struct join_team *team = join_start(N, joined_work, &token);
    int calls = probe_create_calls();
    probe_fail_create_after(-1);
    int left = probe_unjoined(mark);
    if (team != NULL)
        join_finish(team, (long[N]){0});
    cr_assert(calls >= N,
              KATA_MSG("join_start(%d, ...) called pthread_create %d time(s): it must start %d "
                       "threads with pthread_create",
                       "join_start(%d, ...) 只调用了 %d 次 pthread_create：它必须用 "
                       "pthread_create 启动 %d 个线程",
                       N, calls, N));
    cr_assert(team == NULL,
              KATA_MSG("pthread_create failed (EAGAIN) for worker %d, yet join_start returned "
                       "a team: when a worker cannot be started, join_start fails and returns "
                       "NULL",
                       "工作线程 %d 的 pthread_create 失败了（EAGAIN），join_start 却还是返回了 "
                       "team：有工作线程启动不了时，join_start 就算失败，返回 NULL",
                       N - 1));
    cr_assert(left == 0,
              KATA_MSG("pthread_create failed (EAGAIN) for worker %d and join_start returned "
                       "NULL, leaving %d worker(s) it had already started unjoined: before it "
                       "frees the team and returns NULL, it must pthread_join the threads it "
                       "started, or they stay behind, using a team that is gone",
                       "工作线程 %d 的 pthread_create 失败了（EAGAIN），join_start 返回了 NULL，"
                       "却把已经启动的 %d 个工作线程留着没 join：释放 team、返回 NULL 之前，"
                       "它必须对已经启动的线程调用 pthread_join，否则它们会留下来，还在用一个"
                       "已经没了的 team",
                       N - 1, left));
}

/* Starts n workers of joined_work and finishes them; 1 when every result came back. */
static int team_of(int n)
{
    long results[JOIN_MAX_WORKERS];
    struct join_team *team = join_start(n, joined_work, &token);
    if (team == NULL)
        return 0;
    if (join_finish(team, results) != 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (results[i] != PROBE_RESULT(i))
            return 0;
    return 1;
}

KATA_TEST(start, teams_of_one_to_join_max_workers)
{
    int one = team_of(1), full = team_of(JOIN_MAX_WORKERS);
    cr_assert(
        one && full,
        KATA_MSG("a team of 1 worker %s, a team of JOIN_MAX_WORKERS (%d) %s: any n from 1 to "
                 "JOIN_MAX_WORKERS is valid, both ends included; mind < against <= where "
                 "join_start checks n",
                 "1 个工作线程的 team %s，JOIN_MAX_WORKERS（%d）个工作线程的 team %s：n 从 1 到 "
                 "JOIN_MAX_WORKERS 都是合法的，两端都包括在内；join_start 检查 n 时注意 < 和 "
                 "<= 的区别",
                 one ? KATA_TR("worked", "正常") : KATA_TR("failed", "失败"), JOIN_MAX_WORKERS,
                 full ? KATA_TR("worked", "正常") : KATA_TR("failed", "失败")));
}

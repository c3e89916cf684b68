/* 07-async, part 3: futures, and callbacks that run on the loop. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <stdint.h>
#include <string.h>

KATA_SUITE(future);

static struct async_loop *loop;
static struct async_future *fut;
static const char *events[16];
static int nevents;
static long got_value = -1, got_at = -1;

static void event(const char *what)
{
    if (nevents < 16)
        events[nevents++] = what;
}

static int event_index(const char *what)
{
    for (int i = 0; i < nevents; i++)
        if (events[i] == what)
            return i;
    return -1;
}

static void start(void)
{
    probe_virtual_start();
    probe_stuck_hint("A task awaiting a future was never made ready again: async_await records "
                     "the task among the future's waiters before it suspends, and "
                     "async_future_set makes every one of them ready.",
                     "一个等待 future 的任务再也没有被设为就绪：async_await 在挂起前要把任务记进 "
                     "future 的等待者里，async_future_set 要让每一个等待者都就绪。");
    loop = probe_loop();
    fut = async_future_new(loop);
    cr_assert(fut != NULL, "%s",
              KATA_TR("async_future_new returned NULL: allocate a pending "
                      "future of the loop",
                      "async_future_new 返回了 NULL：请分配一个属于该事件循环的、"
                      "尚未完成的 future"));
}

static void finish(void)
{
    async_future_free(fut);
    async_loop_free(loop);
}

static const char *const AWAITED = "awaiter woke";
static const char *const SET = "setter set";
static const char *const AFTER_SET = "setter went on";
static const char *const CALLBACK = "callback ran";
static const char *const AFTER_CALL = "call_soon returned";

static void awaiter(void *p)
{
    (void)p;
    got_value = async_await(fut);
    got_at = probe_elapsed();
    event(AWAITED);
}

static void setter(void *p)
{
    (void)p;
    probe_sleep(50);
    int r = async_future_set(fut, 42);
    event(r == 0 ? SET : "set failed");
    event(AFTER_SET);
}

KATA_TEST(future, await_returns_the_value_another_task_sets)
{
    start();
    probe_spawn(loop, awaiter, NULL);
    probe_spawn(loop, setter, NULL);
    probe_run(loop);
    cr_assert(
        event_index(SET) >= 0, "%s",
        KATA_TR("async_future_set failed on a pending future: store the value, mark it done, "
                "return 0",
                "对尚未完成的 future 调用 async_future_set 失败了：存下值，标记为完成，返回 0"));
    cr_assert(got_value == 42 && got_at == 50,
              KATA_MSG("the awaiting task got %ld at %ld ms; the other task set 42 at 50 ms: "
                       "async_await suspends the task until the future is set, then returns its "
                       "value",
                       "等待的任务得到的是 %ld，时间是 %ld 毫秒；另一个任务在 50 毫秒时设置了 42："
                       "async_await 把任务挂起，直到 future 被设置，然后返回它的值",
                       got_value, got_at));
    finish();
}

KATA_TEST(future, set_wakes_the_awaiting_task_later_not_inside_set)
{
    start();
    probe_spawn(loop, awaiter, NULL);
    probe_spawn(loop, setter, NULL);
    probe_run(loop);
    int woke = event_index(AWAITED), went_on = event_index(AFTER_SET);
    cr_assert(
        woke >= 0 && went_on >= 0 && went_on < woke,
        KATA_MSG(
            "the awaiting task ran before the setting task went on (the awaiter woke as "
            "event number %d, the setter went on as event number %d, counting from 0; "
            "-1: never): async_future_set only makes the waiters "
            "ready; the setter keeps the thread until it suspends, and the loop "
            "resumes the waiters afterwards",
            "等待的任务在设置 future 的任务继续之前就运行了（等待者醒来是第 %d 个事件，设置者继续"
            "是第 %d 个事件，从 0 数起；-1 表示没有发生）："
            "async_future_set 只让等待者就绪；设置者一直占着线程直到它挂起，"
            "之后由事件循环恢复等待者",
            woke, went_on));
    finish();
}

static long early_value = -1;
static long resumes_before, resumes_after;

static void late_awaiter(void *p)
{
    (void)p;
    resumes_before = coro_resumes();
    early_value = async_await(fut);
    resumes_after = coro_resumes();
}

KATA_TEST(future, await_of_a_done_future_returns_at_once)
{
    start();
    probe_stuck_hint("A task awaited a future that was already done, and suspended: a wake-up "
                     "that has already happened never comes again. async_await returns the "
                     "value at once when the future is done.",
                     "一个任务等待一个早已完成的 future，却挂起了：已经发生过的唤醒不会再来。"
                     "future 已完成时，async_await 要立刻返回它的值。");
    int r = async_future_set(fut, 7);
    cr_assert(
        r == 0 && async_future_done(fut),
        KATA_MSG(
            "async_future_set returned %d on a new future, or async_future_done says "
            "it is not done: set stores the value and marks the future done",
            "对新的 future 调用 async_future_set 返回了 %d，或者 async_future_done 说它没完成："
            "set 要存下值并把 future 标记为完成",
            r));
    probe_spawn(loop, late_awaiter, NULL);
    probe_run(loop);
    cr_assert(
        early_value == 7 && resumes_after == resumes_before,
        KATA_MSG("awaiting a future that was already done gave %ld and suspended the task "
                 "%ld time(s): a done future has its value, so await returns it at once; "
                 "suspending would wait for a wake-up that already happened",
                 "等待一个已经完成的 future 得到了 %ld，并把任务挂起了 %ld 次：已完成的 future "
                 "已经有值，await 应该立刻返回它；挂起的话，要等的唤醒早就发生过了",
                 early_value, resumes_after - resumes_before));
    finish();
}

KATA_TEST(future, a_future_is_set_only_once)
{
    start();
    probe_stuck_hint("A task awaited a future that was already done, and suspended: a wake-up "
                     "that has already happened never comes again. async_await returns the "
                     "value at once when the future is done.",
                     "一个任务等待一个早已完成的 future，却挂起了：已经发生过的唤醒不会再来。"
                     "future 已完成时，async_await 要立刻返回它的值。");
    int first = async_future_set(fut, 1);
    int second = async_future_set(fut, 2);
    probe_spawn(loop, late_awaiter, NULL);
    probe_run(loop);
    cr_assert(
        first == 0 && second == -1 && early_value == 1,
        KATA_MSG(
            "setting a future twice returned %d then %d, and it holds %ld: the first "
            "value stays and the second set returns -1 (a result, once given, does "
            "not change under whoever already read it)",
            "同一个 future 设置两次，分别返回 %d 和 %d，最后的值是 %ld：第一个值保留，"
            "第二次 set 返回 -1（结果一旦给出就不能再变，否则先读到它的人拿着的就是一个作废的值）",
            first, second, early_value));
    finish();
}

static int two_waiters_got;

static void counting_awaiter(void *p)
{
    (void)p;
    if (async_await(fut) == 42)
        two_waiters_got++;
}

KATA_TEST(future, every_awaiting_task_wakes)
{
    start();
    probe_spawn(loop, counting_awaiter, NULL);
    probe_spawn(loop, counting_awaiter, NULL);
    probe_spawn(loop, setter, NULL);
    probe_run(loop);
    cr_assert(
        two_waiters_got == 2,
        KATA_MSG(
            "%d of the 2 tasks awaiting the future got its value: a future remembers "
            "every task that awaits it, and set makes them all ready",
            "等待同一个 future 的 2 个任务里只有 %d 个拿到了值：future 要记住每一个等待它的任务，"
            "set 时让它们全部就绪",
            two_waiters_got));
    finish();
}

static pthread_t loop_tid, callback_tid;
static int callback_in_task = -1;
static int later_timer = -1; /* the probes' handle for call_later's timer */

static void set_from_callback(void *p)
{
    probe_progress();
    probe_timer_done(later_timer);
    callback_tid = pthread_self();
    callback_in_task = coro_self() != NULL;
    event(CALLBACK);
    long resumes = coro_resumes();
    async_future_set(fut, (long)(intptr_t)p);
    if (coro_resumes() != resumes)
        /* The waiter ran to its end behind the loop's back: the loop still
         * counts it as waiting, and would wait for it for ever. */
        probe_stuck_hint("async_future_set resumed the awaiting task itself, inside the call "
                         "(here from a callback): the task ran on without the loop knowing, so "
                         "the loop still counts it as waiting. async_future_set only makes the "
                         "waiters ready; the loop resumes them at its next turn.",
                         "async_future_set 在调用内部亲自恢复了等待的任务（这里是在回调里）："
                         "任务在事件循环不知情的情况下继续跑完了，事件循环却还把它当作在等待。"
                         "async_future_set 只让等待者就绪，由事件循环在下一轮恢复它们。");
}

KATA_TEST(future, call_later_runs_on_the_loop_when_due)
{
    start();
    probe_stuck_hint("Only a callback due at 80 ms (async_call_later) could end this wait: "
                     "poll's timeout must end when the earliest callback is due, as for a "
                     "sleeping task's timer.",
                     "只有一个 80 毫秒到期的回调（async_call_later）能结束这次等待："
                     "poll 的超时也要在最早的回调到期时结束，和睡眠任务的定时器一样。");
    loop_tid = pthread_self();
    later_timer = probe_timer(80);
    int r = async_call_later(loop, 80, set_from_callback, (void *)(intptr_t)7);
    cr_assert(r == 0, KATA_MSG("async_call_later returned %d, not 0",
                               "async_call_later 返回了 %d，而不是 0", r));
    probe_spawn(loop, awaiter, NULL);
    probe_run(loop);
    cr_assert(
        event_index(CALLBACK) >= 0, "%s",
        KATA_TR("the callback never ran: async_run runs each callback when it is due, and does not "
                "return while one is still to come",
                "回调一直没有运行：async_run 要在每个回调到期时运行它，还有回调没运行时不能返回"));
    cr_assert(callback_in_task == 0 && pthread_equal(callback_tid, loop_tid), "%s",
              KATA_TR("the callback ran inside a task or on another thread: callbacks "
                      "run on the loop itself, between tasks",
                      "回调在任务里面或在别的线程上运行了：回调由事件循环自己在任务之间运行"));
    cr_assert(
        got_value == 7 && got_at == 80,
        KATA_MSG(
            "the task awaiting the future got %ld at %ld ms; a callback due at 80 ms "
            "set it to 7: the loop's poll timeout must also end when the earliest "
            "callback is due",
            "等待 future 的任务得到的是 %ld，时间是 %ld 毫秒；一个 80 毫秒到期的回调把它设成了 7："
            "事件循环的 poll 超时也要在最早的回调到期时结束",
            got_value, got_at));
    finish();
}

static void calls_soon(void *p)
{
    (void)p;
    async_call_soon(loop, set_from_callback, (void *)(intptr_t)5);
    event(AFTER_CALL);
    got_value = async_await(fut);
}

KATA_TEST(future, call_soon_runs_the_callback_on_the_loop_not_in_the_call)
{
    start();
    loop_tid = pthread_self();
    probe_spawn(loop, calls_soon, NULL);
    probe_run(loop);
    int cb = event_index(CALLBACK), after = event_index(AFTER_CALL);
    cr_assert(
        cb >= 0 && after >= 0 && after < cb && callback_in_task == 0,
        KATA_MSG("call_soon's callback ran %s: it must run later, on the loop, after the "
                 "task that asked for it has suspended, never inside async_call_soon",
                 "call_soon 的回调%s运行了：它要稍后由事件循环运行，在提出请求的任务挂起之后，"
                 "绝不能在 async_call_soon 里面运行",
                 cb < 0 ? KATA_TR("never", "从来没有") : KATA_TR("inside the call", "在调用内部")));
    cr_assert(got_value == 5, KATA_MSG("the task got %ld, not the 5 the callback set",
                                       "任务得到的是 %ld，而不是回调设置的 5", got_value));
    finish();
}

/* ---- from another thread ---- */

static void *helper(void *p)
{
    (void)p;
    /* Wait until the loop sleeps in poll with nothing else to end the wait. */
    if (!probe_wait_loop_idle())
        return (void *)1;
    event("helper called");
    async_call_threadsafe(loop, set_from_callback, (void *)(intptr_t)9);
    return NULL;
}

/* Runs the loop with `task` spawned and the helper thread beside it; the
 * helper's result (non-NULL: the loop never slept in poll) in *stuck. */
static int run_with_helper(async_task_fn task, void **stuck)
{
    loop_tid = pthread_self();
    probe_spawn(loop, task, NULL);
    pthread_t h;
    cr_assert(pthread_create(&h, NULL, helper, NULL) == 0, "pthread_create failed");
    int r = async_run(loop);
    probe_loop_returned();
    pthread_join(h, stuck);
    return r;
}

KATA_TEST(future, call_from_another_thread_wakes_the_loop_and_runs_on_it)
{
    start();
    probe_stuck_hint("Another thread called async_call_threadsafe while the loop slept in poll: "
                     "the call must write a byte to the loop's wake-up pipe, and the loop must "
                     "watch that pipe's read end in every poll.",
                     "事件循环在 poll 里睡眠时，另一个线程调用了 async_call_threadsafe："
                     "这个调用要往事件循环的唤醒管道里写一个字节，而事件循环每次 poll 都要"
                     "监视这个管道的读端。");
    void *stuck = NULL;
    int r = run_with_helper(awaiter, &stuck);
    cr_assert(
        stuck == NULL, "%s",
        KATA_TR("the loop never waited in poll for the other thread's call: with a task awaiting a "
                "future and nothing else to do, it should sleep in poll, watching its wake-up pipe",
                "事件循环从来没有在 poll 里等别的线程的调用：有任务在等 future、又没别的事可做时，"
                "它应该在 poll 里睡眠，同时监视自己的唤醒管道"));
    cr_assert(r == 0, KATA_MSG("async_run returned %d, not 0", "async_run 返回了 %d，而不是 0", r));
    cr_assert(event_index(CALLBACK) >= 0 && pthread_equal(callback_tid, loop_tid) &&
                  callback_in_task == 0,
              "%s",
              KATA_TR("the callback asked for by another thread ran on that thread, or "
                      "inside a task, or never: the other thread only leaves the call in "
                      "a list (behind a mutex) and wakes the loop; the loop runs it",
                      "另一个线程请求的回调在那个线程上、或在任务里运行了，或者根本没运行："
                      "另一个线程只把调用放进一个（有互斥锁保护的）列表并唤醒事件循环；"
                      "由事件循环来运行它"));
    cr_assert(got_value == 9, KATA_MSG("the task got %ld, not the 9 the callback set",
                                       "任务得到的是 %ld，而不是回调设置的 9", got_value));
    finish();
}

static long slept_after_at = -1;

static void awaiter_then_sleeps(void *p)
{
    (void)p;
    got_value = async_await(fut);
    probe_sleep(50);
    slept_after_at = probe_elapsed();
}

KATA_TEST(future, the_loop_empties_its_wake_up_pipe)
{
    start();
    void *stuck = NULL;
    int r = run_with_helper(awaiter_then_sleeps, &stuck);
    struct probe_stats st = probe_stats();
    cr_assert(r == 0 && stuck == NULL && got_value == 9 && slept_after_at == 50 && st.busy == 0,
              KATA_MSG("a task woken by another thread's call, then sleeping 50 ms, woke at %ld "
                       "ms (the loop: %d long runs of polls that returned at once for nothing): "
                       "after poll reports the wake-up pipe, the loop reads it empty, so that "
                       "the next poll waits again",
                       "一个任务被别的线程的调用唤醒后又睡 50 毫秒，结果在 %ld 毫秒醒来（事件循环："
                       "%d 段连续的、平白立刻返回的 poll）：poll 报告唤醒管道可读之后，事件循环要把"
                       "它读空，下一次 poll 才会再等待",
                       slept_after_at, st.busy));
    finish();
}

static pthread_t while_running_tid;
static int while_running_ran;

static void record_the_call(void *p)
{
    (void)p;
    probe_progress();
    while_running_tid = pthread_self();
    while_running_ran++;
}

static void *calls_now(void *p)
{
    async_call_threadsafe(p, record_the_call, NULL);
    return NULL;
}

/* The other thread calls while the loop runs this task, and the task ends. */
static void task_meanwhile(void *p)
{
    (void)p;
    pthread_t h;
    if (pthread_create(&h, NULL, calls_now, loop) == 0)
        pthread_join(h, NULL);
}

KATA_TEST(future, a_call_from_another_thread_while_a_task_runs_is_not_lost)
{
    start();
    loop_tid = pthread_self();
    probe_spawn(loop, task_meanwhile, NULL);
    probe_run(loop);
    cr_assert(while_running_ran == 1 && pthread_equal(while_running_tid, loop_tid),
              KATA_MSG("another thread called async_call_threadsafe while the loop was running "
                       "a task (not waiting in poll), and the task then finished: the call ran "
                       "%d time(s), not once on the loop's thread. The loop keeps running while "
                       "such a call is pending, even when no task is left",
                       "事件循环正在运行一个任务（没有在 poll 里等待）时，另一个线程调用了 "
                       "async_call_threadsafe，随后那个任务结束了：这个调用运行了 %d 次，"
                       "而不是在事件循环的线程上运行一次。只要还有这样的调用没处理，即使已经没有"
                       "任务了，事件循环也要继续运行",
                       while_running_ran));
    finish();
}

struct recorded {
    char name;
    int timer; /* the probes' handle, or -1 for call_soon */
};
static char ran_order[8];
static int nran;

static void record_order(void *p)
{
    struct recorded *r = p;
    probe_progress();
    if (r->timer >= 0)
        probe_timer_done(r->timer);
    if (nran < (int)sizeof ran_order - 1)
        ran_order[nran++] = r->name;
}

KATA_TEST(future, callbacks_run_in_the_order_they_were_made)
{
    start();
    static struct recorded a = {'a', -1}, b = {'b', -1}, c = {'c', -1}, d = {'d', -1};
    a.timer = probe_timer(30);
    b.timer = probe_timer(30);
    /* One after the other: the order they are made in is what the test is about. */
    int r = async_call_later(loop, 30, record_order, &a);
    r |= async_call_later(loop, 30, record_order, &b);
    r |= async_call_soon(loop, record_order, &c);
    r |= async_call_soon(loop, record_order, &d);
    cr_assert(r == 0, "%s",
              KATA_TR("async_call_later or async_call_soon did not return 0",
                      "async_call_later 或 async_call_soon 没有返回 0"));
    probe_run(loop);
    cr_assert(strcmp(ran_order, "cdab") == 0,
              KATA_MSG("a and b were made with async_call_later(30), then c and d with "
                       "async_call_soon, and the callbacks ran in the order \"%s\", not "
                       "\"cdab\": the callbacks that are due run in the order they were made "
                       "(new ones go at the end of the list, a queue, not a stack), also two "
                       "timers due at the same moment",
                       "先用 async_call_later(30) 做了 a 和 b，再用 async_call_soon 做了 c 和 d，"
                       "回调运行的顺序却是 \"%s\"，而不是 \"cdab\"：到期的回调要按做出来的先后"
                       "顺序运行（新的放在列表末尾，是队列而不是栈），同时到期的两个定时器也一样",
                       ran_order));
    finish();
}

/* 07-async, part 1: the loop runs tasks, sleeps and waits on descriptors,
 * all on the virtual clock of probes.h. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <fcntl.h>
#include <unistd.h>

KATA_SUITE(loop);

/* ---- what tasks record ---- */

static int order[16], norder;
static long woke[16];

struct step {
    int id;
    long ms; /* sleep this long (< 0: do not sleep) */
    int fd;  /* then await this descriptor (< 0: none) */
};

static void record_task(void *p)
{
    struct step *s = p;
    if (s->ms >= 0)
        probe_sleep(s->ms);
    if (s->fd >= 0)
        async_await_readable(s->fd);
    woke[s->id] = probe_elapsed();
    order[norder++] = s->id;
}

KATA_TEST(loop, spawn_does_not_run_the_task)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    struct step s = {0, -1, -1};
    probe_spawn(loop, record_task, &s);
    cr_assert(
        norder == 0, "%s",
        KATA_TR("the task ran inside async_spawn: spawn only creates the task and makes it ready; "
                "the loop starts it, in async_run",
                "任务在 async_spawn 里面就运行了：async_spawn 只创建任务并把它标为就绪，"
                "由事件循环在 async_run 里启动它"));
    probe_run(loop);
    cr_assert(norder == 1, KATA_MSG("the task ran %d times, not once: async_run resumes each "
                                    "ready task and returns when every task has finished",
                                    "任务运行了 %d 次，而不是一次：async_run 恢复每个就绪的任务，"
                                    "所有任务都结束后才返回",
                                    norder));
    async_loop_free(loop);
}

KATA_TEST(loop, run_returns_when_every_task_has_finished)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    struct step s[3] = {{0, -1, -1}, {1, -1, -1}, {2, -1, -1}};
    for (int i = 0; i < 3; i++)
        probe_spawn(loop, record_task, &s[i]);
    probe_run(loop);
    cr_assert(norder == 3,
              KATA_MSG("%d of the 3 tasks ran: async_run must go on until every "
                       "task has finished",
                       "3 个任务里只有 %d 个运行了：async_run 要一直运行到所有任务结束", norder));
    for (int i = 0; i < 3; i++)
        cr_assert(order[i] == i,
                  KATA_MSG("the tasks ran in the order %d %d %d: ready tasks run "
                           "in the order they became ready (first in, first out)",
                           "任务的运行顺序是 %d %d %d：就绪的任务按变为就绪的先后运行"
                           "（先进先出）",
                           order[0], order[1], order[2]));
    async_loop_free(loop);
}

KATA_TEST(loop, sleepers_wake_on_time_and_overlap)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    struct step s[3] = {{0, 300, -1}, {1, 100, -1}, {2, 200, -1}};
    for (int i = 0; i < 3; i++)
        probe_spawn(loop, record_task, &s[i]);
    probe_run(loop);
    long want[3] = {300, 100, 200};
    for (int i = 0; i < 3; i++)
        cr_assert(woke[i] == want[i],
                  KATA_MSG("the task that sleeps %ld ms woke after %ld ms: a sleeping task must "
                           "wake when its time is due (poll's timeout ends at the earliest timer), "
                           "and the sleepers overlap: three sleeps of 300, 100 and 200 ms take "
                           "300 ms in all, not 600",
                           "睡 %ld 毫秒的任务在 %ld 毫秒时醒来：睡眠中的任务应在到点时醒来"
                           "（poll 的超时在最早的定时器到期时结束），而且各个睡眠是重叠的："
                           "300、100、200 毫秒的三次睡眠总共只需 300 毫秒，而不是 600",
                           want[i], woke[i]));
    cr_assert(order[0] == 1 && order[1] == 2 && order[2] == 0,
              KATA_MSG("the sleepers woke in the order %d %d %d, not 1 2 0: the shortest sleep "
                       "ends first",
                       "睡眠的任务醒来的顺序是 %d %d %d，而不是 1 2 0：睡得最短的先醒", order[0],
                       order[1], order[2]));
    async_loop_free(loop);
}

static long ticks[8];
static int nticks;

static void ticker(void *p)
{
    (void)p;
    for (int i = 0; i < 5; i++) {
        probe_sleep(10);
        ticks[nticks++] = probe_elapsed();
    }
}

KATA_TEST(loop, one_sleeping_task_does_not_stop_the_others)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    struct step slow = {0, 100, -1};
    probe_spawn(loop, record_task, &slow);
    probe_spawn(loop, ticker, NULL);
    probe_run(loop);
    cr_assert(nticks == 5,
              KATA_MSG("the ticking task ticked %d times, not 5: every task runs "
                       "to its end",
                       "计时任务只走了 %d 下，而不是 5 下：每个任务都要运行到结束", nticks));
    for (int i = 0; i < 5; i++)
        cr_assert(
            ticks[i] == 10 * (i + 1),
            KATA_MSG("tick %d of a task that sleeps 10 ms five times came at %ld ms, not "
                     "%d, while another task slept 100 ms: a sleep must suspend only its "
                     "own task (never nanosleep in a task, never a blocking wait)",
                     "另一个任务在睡 100 毫秒时，每次睡 10 毫秒的任务的第 %d 下出现在 %ld 毫秒，"
                     "而不是 %d：睡眠只能挂起自己这个任务（任务里绝不能调用 nanosleep，"
                     "绝不能阻塞等待）",
                     i + 1, ticks[i], 10 * (i + 1)));
    async_loop_free(loop);
}

KATA_TEST(loop, loop_waits_in_poll_without_spinning)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    struct step s[2] = {{0, 200, -1}, {1, 500, -1}};
    probe_spawn(loop, record_task, &s[0]);
    probe_spawn(loop, record_task, &s[1]);
    probe_run(loop);
    struct probe_stats st = probe_stats();
    cr_assert(
        st.spins == 0 && st.busy == 0 && st.clock_spins == 0,
        KATA_MSG("the loop spun instead of waiting: it called poll with timeout 0 %d time(s) "
                 "while no task was ready and nothing had happened since the last poll; "
                 "%d time(s) it did so more than 1000 times in a row; %d time(s) it read "
                 "the clock more than 100000 times in a row without waiting at all. Busy "
                 "polling burns a CPU to do nothing; when no task is ready, poll must wait "
                 "until the earliest timer is due (timeout = that time - now)",
                 "事件循环在空转，而不是等待：在没有就绪任务、上次 poll 之后也什么都没发生时，"
                 "它用超时 0 调用了 %d 次 poll；其中有 %d 回是一口气连续调用了 1000 次以上；"
                 "还有 %d 回一次也不等、连续读了 100000 次以上的时钟。忙轮询白白烧掉一个 "
                 "CPU；没有就绪任务时，poll 应该一直等到最早的定时器到期（超时 = 到期时刻 - "
                 "现在）",
                 st.spins, st.busy, st.clock_spins));
    cr_assert(
        st.early_polls == 0,
        KATA_MSG("the loop called poll %d time(s) with a timeout that ended before any timer "
                 "was due; the first, at %ld ms, had timeout %d ms where the earliest timer "
                 "was due in %ld ms. A loop that wakes every few ms to check the timers polls "
                 "for nothing, like a spin, only slower: poll's timeout is the time left "
                 "until the earliest timer",
                 "事件循环有 %d 次调用 poll 时用的超时在任何定时器到期之前就结束了；第一次在 "
                 "%ld 毫秒，超时 %d 毫秒，而最早的定时器 %ld 毫秒后才到期。每隔几毫秒醒来看一眼"
                 "定时器的循环是在白白轮询，和空转一样，只是慢一些：poll 的超时就是离最早的定时器"
                 "还剩的时间",
                 st.early_polls, st.early_at, st.early_timeout, st.early_want));
    cr_assert(st.polls >= 1 && st.polls <= 4,
              KATA_MSG("the loop called poll %d times to wait for two timers: it should wait "
                       "once per timer that is due (about 2 calls), each time with the timeout "
                       "to the earliest one",
                       "为了等两个定时器，事件循环调用了 %d 次 poll：每个到期的定时器等一次就够了"
                       "（大约 2 次），每次的超时都算到最早的那个定时器",
                       st.polls));
    struct probe_poll first = probe_poll_log(0);
    for (int i = 1; i < st.polls && first.timeout == 0; i++)
        first = probe_poll_log(i); /* the first poll that waits at all */
    cr_assert(
        first.timeout == 200,
        KATA_MSG("the first poll that waited had timeout %d ms; the earliest timer was due in "
                 "200 ms: poll's timeout is the time left until the earliest timer",
                 "第一次真正等待的 poll 超时是 %d 毫秒，而最早的定时器在 200 毫秒后到期："
                 "poll 的超时就是离最早定时器还剩的时间",
                 first.timeout));
    async_loop_free(loop);
}

KATA_TEST(loop, await_readable_wakes_when_data_arrives)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    int fd = probe_pipe(50, "ping", 0, NULL, 0);
    struct step s = {0, -1, fd};
    probe_spawn(loop, record_task, &s);
    probe_run(loop);
    cr_assert(norder == 1, "%s",
              KATA_TR("the task did not finish: async_run must run it to its end",
                      "任务没有结束：async_run 必须把它运行到结束"));
    cr_assert(
        woke[0] == 50,
        KATA_MSG("the task awaiting a pipe woke after %ld ms; data arrived after 50 ms: "
                 "async_await_readable registers the descriptor with the loop and suspends; "
                 "the loop polls it and makes the task ready when poll reports it",
                 "等待管道的任务在 %ld 毫秒后醒来，而数据在 50 毫秒时到达：async_await_readable "
                 "把描述符交给事件循环并挂起；事件循环 poll 它，poll 报告可读时让任务就绪",
                 woke[0]));
    char buf[8] = "";
    ssize_t n = read(fd, buf, sizeof buf - 1);
    cr_assert(n == 4, "%s",
              KATA_TR("the data was gone from the pipe: awaiting readability "
                      "must not read anything",
                      "管道里的数据不见了：等待可读时不应该读走任何东西"));
    async_loop_free(loop);
}

KATA_TEST(loop, others_run_while_a_task_awaits_a_descriptor)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    int fd = probe_pipe(100, "late", 0, NULL, 0);
    struct step s = {0, -1, fd};
    probe_spawn(loop, record_task, &s);
    probe_spawn(loop, ticker, NULL);
    probe_run(loop);
    cr_assert(
        nticks == 5 && ticks[4] == 50 && woke[0] == 100,
        KATA_MSG("while one task waited 100 ms for a pipe, the other ticked %d times, the "
                 "last at %ld ms (want 5 ticks, the last at 50 ms), and the waiting task "
                 "woke at %ld ms (want 100): a task that waits must not keep the others "
                 "from running",
                 "一个任务等管道 100 毫秒期间，另一个任务走了 %d 下，最后一下在 %ld 毫秒"
                 "（应该是 5 下，最后一下在 50 毫秒），等待的任务在 %ld 毫秒醒来（应该是 100）："
                 "等待中的任务不能挡住其他任务",
                 nticks, nticks > 0 ? ticks[nticks - 1] : -1L, woke[0]));
    async_loop_free(loop);
}

/* Awaits fd, reads one byte of two (the other stays readable), then sleeps. */
static int watched_fd;
static int polls_when_woken;
static long slept_until;

static void read_one_then_sleep(void *p)
{
    (void)p;
    async_await_readable(watched_fd);
    polls_when_woken = probe_stats().polls;
    char c;
    if (read(watched_fd, &c, 1) != 1)
        return;
    probe_sleep(100);
    slept_until = probe_elapsed();
}

KATA_TEST(loop, descriptor_leaves_the_watch_set_after_the_wake_up)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    watched_fd = probe_pipe(20, "xy", 0, NULL, 0);
    probe_spawn(loop, read_one_then_sleep, NULL);
    probe_run(loop);
    int total = probe_stats().polls;
    for (int i = polls_when_woken; i < total && i < PROBE_MAX_POLLS; i++)
        cr_assert(
            !probe_poll_watched(i, watched_fd),
            KATA_MSG("poll call %d (at %ld ms) still watched descriptor %d, although the "
                     "task that awaited it had been woken: when the loop wakes a task for "
                     "its descriptor, it must stop watching that descriptor",
                     "第 %d 次 poll（在 %ld 毫秒时）仍在监视描述符 %d，而等它的任务早已被唤醒："
                     "事件循环因描述符唤醒任务后，必须把这个描述符移出监视集合",
                     i + 1, probe_poll_log(i).at, watched_fd));
    async_loop_free(loop);
}

KATA_TEST(loop, a_task_wakes_only_for_what_it_waits_for)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    watched_fd = probe_pipe(20, "xy", 0, NULL, 0);
    probe_spawn(loop, read_one_then_sleep, NULL);
    probe_run(loop);
    cr_assert(
        slept_until == 120,
        KATA_MSG("a task that awaited a pipe (ready at 20 ms), then slept 100 ms, woke from "
                 "its sleep at %ld ms, not 120: it was resumed for something it no longer "
                 "waited for (its old descriptor still had data). Wake a task once, for "
                 "the one thing it waits for now",
                 "一个任务先等管道（20 毫秒时可读），再睡 100 毫秒，结果在 %ld 毫秒就从睡眠中醒了，"
                 "而不是 120：它因为已经不再等待的东西被恢复了（旧描述符里还有数据）。"
                 "只为任务眼下等待的那一件事唤醒它，而且只唤醒一次",
                 slept_until));
    async_loop_free(loop);
}

/* sleep, await a descriptor that is already readable, sleep: three waits. */
static long resumes_seen;

static void three_waits(void *p)
{
    int fd = *(int *)p;
    probe_sleep(10);
    async_await_readable(fd);
    probe_sleep(10);
    woke[0] = probe_elapsed();
}

KATA_TEST(loop, each_wait_resumes_the_task_once)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    int fd = probe_pipe(5, "ready", 0, NULL, 0);
    struct step other = {1, 15, -1};
    probe_spawn(loop, three_waits, &fd);
    probe_spawn(loop, record_task, &other);
    long before = coro_resumes();
    probe_run(loop);
    resumes_seen = coro_resumes() - before;
    cr_assert(
        resumes_seen <= 6,
        KATA_MSG("the coroutines were resumed %ld times; the two tasks start once each and "
                 "wait 4 times in all, so 6: a task must be resumed exactly once per start "
                 "and once per wake-up. Resumed more often, it goes on although what it "
                 "waits for has not happened (a task queued twice, or left in the queue)",
                 "协程一共被恢复了 %ld 次；两个任务各启动一次，总共等待 4 次，所以应该是 6 次："
                 "每次启动、每次唤醒都只恢复任务一次。恢复得更多，任务就会在等待的事还没发生时"
                 "继续往下跑（任务被放进队列两次，或者一直留在队列里）",
                 resumes_seen));
    cr_assert(
        resumes_seen >= 6,
        KATA_MSG("the coroutines were resumed %ld times; the two tasks start once each and "
                 "wait 4 times in all, so 6: every wait suspends the task and ends with one "
                 "resume by the loop, even a wait for a descriptor that is already readable "
                 "(the other tasks get their turn meanwhile)",
                 "协程一共被恢复了 %ld 次；两个任务各启动一次，总共等待 4 次，所以应该是 6 次："
                 "每一次等待都要挂起任务，再由事件循环恢复一次，即使等的描述符已经可读也一样"
                 "（其他任务趁这时轮到运行）",
                 resumes_seen));
    cr_assert(woke[0] == 20,
              KATA_MSG("the task that sleeps 10 ms, awaits a ready pipe and sleeps 10 ms again "
                       "finished at %ld ms, not 20: one of its waits ended early, because the loop "
                       "woke it for something it no longer waited for (an old timer, an old "
                       "descriptor). Wake a task only for the one thing it waits for now",
                       "先睡 10 毫秒、再等一个已可读的管道、再睡 10 毫秒的任务在 %ld 毫秒结束，"
                       "而不是 20：它有一次等待提前结束了，因为事件循环为它已经不再等待的东西"
                       "（旧的定时器、旧的描述符）唤醒了它。只为任务眼下等待的那一件事唤醒它",
                       woke[0]));
    async_loop_free(loop);
}

static struct async_loop *spawner_loop;

static void spawner(void *p)
{
    (void)p;
    static struct step child = {3, 10, -1};
    probe_sleep(5);
    probe_spawn(spawner_loop, record_task, &child);
    order[norder++] = 9;
}

KATA_TEST(loop, a_task_can_spawn_a_task)
{
    probe_virtual_start();
    spawner_loop = probe_loop();
    probe_spawn(spawner_loop, spawner, NULL);
    probe_run(spawner_loop);
    cr_assert(
        norder == 2 && order[0] == 9 && order[1] == 3 && woke[3] == 15,
        KATA_MSG(
            "a task spawned another at 5 ms, which sleeps 10 ms: both should finish, "
            "the child after its parent, at 15 ms (%d of 2 finished; the child at "
            "%ld ms). A task spawned while the loop runs is ready, and runs at the "
            "loop's next turn",
            "一个任务在 5 毫秒时创建了另一个睡 10 毫秒的任务：两个都应该结束，子任务在父任务之后、"
            "15 毫秒时结束（2 个里结束了 %d 个；子任务在 %ld 毫秒）。事件循环运行时创建的任务"
            "是就绪的，在事件循环的下一轮运行",
            norder, woke[3]));
    async_loop_free(spawner_loop);
}

KATA_TEST(loop, await_readable_wakes_when_the_pipe_hangs_up)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    int fd = probe_pipe(30, NULL, 0, NULL, 1); /* nothing written; closed at 30 ms */
    struct step s = {0, -1, fd};
    probe_spawn(loop, record_task, &s);
    probe_run(loop);
    cr_assert(norder == 1 && woke[0] == 30,
              KATA_MSG("a task awaiting a pipe whose write end was closed at 30 ms (no data, "
                       "poll reports POLLHUP alone) woke at %ld ms (finished: %d of 1): the "
                       "task must wake when its descriptor is readable, hung up or in error",
                       "一个任务在等一个管道，管道的写端在 30 毫秒时关闭了（没有数据，poll 只报告 "
                       "POLLHUP），任务却在 %ld 毫秒醒来（1 个里结束了 %d 个）：描述符可读、挂断或"
                       "出错时，等它的任务都要醒来",
                       norder > 0 ? woke[0] : -1L, norder));
    async_loop_free(loop);
}

static void works_30_ms(void *p)
{
    (void)p;
    probe_busy(30);
}

KATA_TEST(loop, a_timer_already_past_due_wakes_at_the_next_turn)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    struct step s = {0, 10, -1};
    probe_spawn(loop, record_task, &s);
    probe_spawn(loop, works_30_ms, NULL);
    probe_run(loop);
    cr_assert(
        norder == 1 && woke[0] == 30,
        KATA_MSG("a task slept 10 ms while another task worked for 30 ms, so its timer "
                 "was 20 ms past due when the loop came to wait; it woke at %ld ms "
                 "(finished: %d of 1), not at 30: a timer already due makes its task "
                 "ready at once (poll's timeout is then 0)",
                 "一个任务睡 10 毫秒，同时另一个任务干了 30 毫秒的活，所以事件循环准备等待时，"
                 "这个定时器已经过期 20 毫秒了；任务在 %ld 毫秒醒来（1 个里结束了 %d 个），"
                 "而不是 30：已经到期的定时器要让它的任务立刻就绪（这时 poll 的超时是 0）",
                 norder > 0 ? woke[0] : -1L, norder));
    async_loop_free(loop);
}

KATA_TEST(loop, poll_interrupted_by_a_signal_is_called_again)
{
    probe_virtual_start();
    struct async_loop *loop = probe_loop();
    struct step s = {0, 100, -1};
    probe_spawn(loop, record_task, &s);
    probe_interrupt_next_wait();
    probe_run(loop);
    cr_assert(norder == 1 && woke[0] == 100,
              KATA_MSG("after one poll failed with EINTR, the task sleeping 100 ms woke at %ld "
                       "ms (finished: %d of 1): after EINTR the loop polls again, with the "
                       "time left until the timer",
                       "有一次 poll 以 EINTR 失败之后，睡 100 毫秒的任务在 %ld 毫秒醒来（1 个里"
                       "结束了 %d 个）：遇到 EINTR 时事件循环要再 poll 一次，超时是离定时器还剩的"
                       "时间",
                       norder > 0 ? woke[0] : -1L, norder));
    async_loop_free(loop);
}

KATA_TEST(loop, its_descriptors_are_close_on_exec)
{
    int open_before[256];
    for (int fd = 0; fd < 256; fd++)
        open_before[fd] = fcntl(fd, F_GETFD) != -1;
    struct async_loop *loop = probe_loop();
    int leaky = -1;
    for (int fd = 0; fd < 256 && leaky < 0; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (!open_before[fd] && flags != -1 && !(flags & FD_CLOEXEC))
            leaky = fd;
    }
    async_loop_free(loop);
    cr_assert(
        leaky < 0,
        KATA_MSG("async_loop_new opened descriptor %d without close-on-exec: a program "
                 "this process starts later (fork + exec) would inherit it, and a wake-up "
                 "pipe held open elsewhere never sees its end. Make the pipe with "
                 "pipe2(fds, O_CLOEXEC | O_NONBLOCK)",
                 "async_loop_new 打开描述符 %d 时没有设 FD_CLOEXEC（执行新程序时自动关闭）：这个"
                 "进程以后启动的程序（先 fork "
                 "再执行别的程序）会继承它，而一个在别处开着的唤醒管道永远看不到结束。请用 "
                 "pipe2(fds, O_CLOEXEC | O_NONBLOCK) 建管道",
                 leaky));
}

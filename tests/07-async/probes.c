/* 07-async: the virtual world behind the tests (see probes.h).  Every test
 * runs in its own process, so this state starts fresh each time. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int __real_clock_gettime(clockid_t id, struct timespec *ts);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
ssize_t __real_read(int fd, void *buf, size_t size);
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
int __real_clock_nanosleep(clockid_t id, int flags, const struct timespec *req,
                           struct timespec *rem);
int __real_usleep(useconds_t us);
unsigned __real_sleep(unsigned s);

/* Only the loop's thread lives in virtual time; the lock guards what the
 * other threads of a test read (probe_wait_loop_idle). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int active, loop_idle;
static pthread_t loop_thread;
static long now = PROBE_T0;

static struct probe_stats stats;
static struct probe_poll polls[PROBE_MAX_POLLS];
static long resumes_at_last_poll = -1, progress, progress_at_last_poll;
static int zero_in_a_row;
static long clock_reads_in_a_row;

/* ---- feeds: pieces written into pipes at virtual times ---- */

#define MAX_FEEDS 32
struct feed {
    long at;
    int wfd, rfd;
    const char *data; /* NULL: nothing to write */
    int close_after;
    int done;
};
static struct feed feeds[MAX_FEEDS];
static int nfeeds;

static int on_loop_thread(void)
{
    return active && pthread_equal(pthread_self(), loop_thread);
}

int probe_on_loop_thread(void)
{
    return on_loop_thread();
}

void probe_virtual_start(void)
{
    loop_thread = pthread_self();
    now = PROBE_T0;
    active = 1;
}

long probe_now(void)
{
    return now;
}

long probe_elapsed(void)
{
    return now - PROBE_T0;
}

void probe_progress(void)
{
    progress++;
}

static void advance_to(long until);
static int eintr_pending, eintr_done;
static int wait_fail_err, eintr_reads;

void probe_fail_next_wait(int err)
{
    wait_fail_err = err;
}

void probe_interrupt_reads(int count)
{
    eintr_reads = count;
}

void probe_interrupt_next_wait(void)
{
    eintr_pending = 1;
}

void probe_busy(long ms)
{
    advance_to(now + ms);
}

/* Moves the clock to `until`, doing every write due on the way, in order. */
static void advance_to(long until)
{
    for (;;) {
        struct feed *next = NULL;
        for (int i = 0; i < nfeeds; i++)
            if (!feeds[i].done && feeds[i].at <= until && (next == NULL || feeds[i].at < next->at))
                next = &feeds[i];
        if (next == NULL)
            break;
        if (next->at > now)
            now = next->at;
        if (next->data != NULL && write(next->wfd, next->data, strlen(next->data)) < 0)
            perror("probes: write");
        if (next->close_after)
            close(next->wfd);
        next->done = 1;
    }
    if (until > now)
        now = until;
    clock_reads_in_a_row = 0;
}

/* The next write scheduled for read end rfd (any if rfd < 0), or -1. */
static long next_feed(int rfd)
{
    long at = -1;
    for (int i = 0; i < nfeeds; i++)
        if (!feeds[i].done && (rfd < 0 || feeds[i].rfd == rfd) && (at < 0 || feeds[i].at < at))
            at = feeds[i].at;
    return at;
}

static int is_fed(int rfd)
{
    for (int i = 0; i < nfeeds; i++)
        if (feeds[i].rfd == rfd)
            return 1;
    return 0;
}

static void add_feed(long at, int wfd, int rfd, const char *data, int close_after)
{
    if (nfeeds == MAX_FEEDS) {
        fprintf(stderr, "probes: too many feeds\n");
        return;
    }
    feeds[nfeeds++] = (struct feed){at, wfd, rfd, data, close_after, 0};
}

/* A pipe fed at virtual times; the probes own its write end (the harness's
 * hygiene check leaves it out), and its read end is the caller's. */
static int fed_pipe(long at, const char *first, long gap, const char *second, int close_after)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    add_feed(now + at, p[1], p[0], first, second == NULL && close_after);
    if (second != NULL)
        add_feed(now + at + gap, p[1], p[0], second, close_after);
    kata_allow_fd(p[1]);
    return p[0];
}

int probe_pipe(long at, const char *first, long gap, const char *second, int close_after)
{
    int fd = fed_pipe(at, first, gap, second, close_after);
    kata_allow_fd(fd); /* read by the test's own tasks, not by the code under test */
    return fd;
}

/* ---- slow sources ---- */

const struct probe_source probe_sources[PROBE_SOURCES] = {
    {300, 10, "alpha:", "slow"},
    {100, 10, "beta:", "quick"},
    {200, 10, "gamma:", "middle"},
};
static struct probe_opened opened[PROBE_SOURCES];

int probe_open(int index, void *arg)
{
    (void)arg;
    if (index < 0 || index >= PROBE_SOURCES)
        return -1;
    const struct probe_source *s = &probe_sources[index];
    /* The read end is handed to the code under test, which must close it. */
    int fd = fed_pipe(s->delay, s->first, s->gap, s->second, 1);
    opened[index].opened++;
    opened[index].at = now - PROBE_T0;
    opened[index].fd = fd;
    return fd;
}

struct probe_opened probe_opened(int index)
{
    return opened[index];
}

/* A source whose reads fail (EIO), as a broken connection's do. */
static int broken_fd = -1, broken_reads;

int probe_open_broken(int index, void *arg)
{
    if (index != PROBE_BROKEN_SOURCE)
        return probe_open(index, arg);
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return -1;
    kata_allow_fd(p[1]); /* the probes' end; the read end is the code's to close */
    broken_fd = p[0];
    opened[index].opened++;
    opened[index].at = now - PROBE_T0;
    opened[index].fd = p[0];
    return p[0];
}

int probe_broken_reads(void)
{
    return broken_reads;
}

/* ---- timers the tests set ---- */

#define MAX_TIMERS 64
static struct {
    long due;
    int pending;
} timers[MAX_TIMERS];
static int ntimers;

int probe_timer(long ms)
{
    if (ntimers == MAX_TIMERS) {
        fprintf(stderr, "probes: too many timers\n");
        return -1;
    }
    timers[ntimers].due = now + (ms > 0 ? ms : 0);
    timers[ntimers].pending = 1;
    return ntimers++;
}

void probe_timer_done(int handle)
{
    if (handle >= 0 && handle < ntimers)
        timers[handle].pending = 0;
}

void probe_sleep(long ms)
{
    int t = probe_timer(ms);
    async_sleep(ms);
    probe_timer_done(t);
}

/* The timeout poll should have now: the time left until the earliest
 * pending timer (0 if one is due already), or -1 when none is pending. */
static long wanted_timeout(void)
{
    long due = -1;
    for (int i = 0; i < ntimers; i++)
        if (timers[i].pending && (due < 0 || timers[i].due < due))
            due = timers[i].due;
    if (due < 0)
        return -1;
    return due > now ? due - now : 0;
}

struct probe_stats probe_stats(void)
{
    return stats;
}

struct probe_poll probe_poll_log(int i)
{
    struct probe_poll none = {-1, 0, 0, {0}};
    return i >= 0 && i < stats.polls && i < PROBE_MAX_POLLS ? polls[i] : none;
}

int probe_poll_watched(int i, int fd)
{
    struct probe_poll p = probe_poll_log(i);
    for (int k = 0; k < p.nfds && k < PROBE_POLL_FDS; k++)
        if (p.fds[k] == fd)
            return 1;
    return 0;
}

int probe_wait_loop_idle(void)
{
    struct timespec until = kata_ts_add_ns(kata_now(), (long long)(PROBE_WAIT_SECONDS * 1e9));
    pthread_mutex_lock(&lock);
    while (!loop_idle)
        if (kata_cond_wait_until(&changed, &lock, until) == ETIMEDOUT)
            break;
    int idle = loop_idle;
    pthread_mutex_unlock(&lock);
    return idle;
}

const char *probe_misuse_words(enum coro_misuse m)
{
    switch (m) {
    case CORO_RESUMED_FINISHED:
        return KATA_TR(
            "a task was resumed after it had finished (still queued, or still "
            "waiting for a timer or a descriptor)",
            "一个任务结束之后又被恢复了（它还留在就绪队列里，或者还挂在定时器、描述符上）");
    case CORO_RESUMED_INSIDE:
        return KATA_TR("a task was resumed from inside a task: only the loop resumes tasks",
                       "在任务内部恢复了另一个任务：只有事件循环才能恢复任务");
    case CORO_SUSPENDED_OUTSIDE:
        return KATA_TR("coro_suspend was called outside every task",
                       "在任务之外调用了 coro_suspend");
    case CORO_RESUMED_NULL:
        return KATA_TR("coro_resume(NULL)", "coro_resume(NULL)");
    case CORO_FREED_RUNNING:
        return KATA_TR("a task's coroutine was freed while it ran", "任务的协程在运行时被释放了");
    default:
        return KATA_TR("no misuse", "没有误用");
    }
}

struct async_loop *probe_loop(void)
{
    struct async_loop *loop = async_loop_new();
    cr_assert(loop != NULL, "%s",
              KATA_TR("async_loop_new returned NULL: allocate the loop (calloc) and return it",
                      "async_loop_new 返回了 NULL：请分配事件循环（calloc）并返回它"));
    probe_threads_loop(loop);
    return loop;
}

void probe_spawn(struct async_loop *loop, async_task_fn fn, void *arg)
{
    int r = async_spawn(loop, fn, arg);
    cr_assert(r == 0, KATA_MSG("async_spawn returned %d, not 0: it must create a coroutine for "
                               "the task (coro_new) and put the task in the ready queue",
                               "async_spawn 返回了 %d，而不是 0：它要为任务创建协程（coro_new），"
                               "再把任务放进就绪队列",
                               r));
}

/* The loop's timers on another clock than the probes' virtual one: every
 * time-based verdict after that would be about the real clock, so the
 * mistake is named at once, from outside every task. */
static void monotonic_check(void)
{
    if (stats.other_clocks > 0 && coro_self() == NULL)
        cr_assert_fail(
            "%s",
            KATA_TR(
                "the loop read a clock other than CLOCK_MONOTONIC: timers need a clock that never "
                "jumps (CLOCK_REALTIME moves when someone sets the date); async_now_ms reads "
                "CLOCK_MONOTONIC, and every time the loop and its tasks use comes from it",
                "事件循环读了 CLOCK_MONOTONIC 以外的时钟：定时器需要一个不会跳变的时钟"
                "（有人调整日期时 CLOCK_REALTIME 会跟着变）；async_now_ms 读的是 "
                "CLOCK_MONOTONIC，事件循环和任务用到的时间都要取自它"));
}

/* A blocking call inside a task stops the one thread: whatever else went
 * wrong after it follows from it, so it is named first. */
static void no_blocking_in_tasks(void)
{
    struct probe_stats st = probe_stats();
    if (st.sleeps_in_task > 0)
        cr_assert_fail(
            KATA_MSG("a task called nanosleep/usleep/sleep %d time(s): a blocking call "
                     "inside a task stops the whole thread, so the loop and every other "
                     "task stood still meanwhile. async_sleep only records when the task "
                     "must wake and suspends it (coro_suspend); only the loop waits, in "
                     "poll",
                     "任务调用了 %d 次 nanosleep/usleep/sleep：任务里的阻塞调用会让整个线程"
                     "停下，事件循环和其他所有任务也都跟着停了。async_sleep 只记下任务该醒的"
                     "时刻，然后挂起它（coro_suspend）；只有事件循环在 poll 里等待",
                     st.sleeps_in_task));
    if (st.polls_in_task + st.blocked_reads_in_task > 0)
        cr_assert_fail(
            KATA_MSG("a task waited for a descriptor itself (poll, or a read that had to "
                     "wait, inside the task, %d time(s)): a blocking call inside a task "
                     "stops the whole thread, so the loop and every other task stood "
                     "still meanwhile. async_await_readable only tells the loop which "
                     "descriptor, then suspends; only the loop waits, in poll",
                     "任务自己等待描述符（在任务里调用 poll，或者 read 不得不等数据，%d 次）："
                     "任务里的阻塞调用会让整个线程停下，事件循环和其他所有任务也都跟着停了。"
                     "async_await_readable 只告诉事件循环是哪个描述符，然后挂起；"
                     "只有事件循环在 poll 里等待",
                     st.polls_in_task + st.blocked_reads_in_task));
}

void probe_run(struct async_loop *loop)
{
    int misuses = coro_misuses();
    int r = async_run(loop);
    probe_loop_returned();
    no_blocking_in_tasks();
    monotonic_check();
    cr_assert(r == 0 || !eintr_done,
              KATA_MSG("async_run returned %d after poll failed with EINTR: a signal arrived "
                       "while the loop waited in poll. That is no error, nothing is wrong "
                       "with the descriptors or the timers: the loop calls poll again (and "
                       "returns -1 only for other errors)",
                       "poll 以 EINTR 失败之后，async_run 返回了 %d：那是事件循环在 poll 里等待时"
                       "来了一个信号。这不是错误，描述符和定时器都没有问题：事件循环要再调用一次 "
                       "poll（只有别的错误才返回 -1）",
                       r));
    cr_assert(r == 0, KATA_MSG("async_run returned %d, not 0: it runs until every task has "
                               "finished, and fails only when poll fails",
                               "async_run 返回了 %d，而不是 0：它应该一直运行到所有任务结束，"
                               "只有 poll 出错时才失败",
                               r));
    cr_assert(coro_misuses() == misuses,
              KATA_MSG("the loop broke a rule of coroutines: %s. The loop resumes a task once "
                       "per wake-up, only while it is suspended, and forgets it when it finishes",
                       "事件循环违反了协程的规则：%s。每次唤醒只恢复任务一次，只恢复挂起中的任务，"
                       "任务结束后就忘掉它",
                       probe_misuse_words(coro_last_misuse())));
}

static const char *stuck_en = "Some wake-up was lost: every wait must end in a wake-up.";
static const char *stuck_zh = "有一次唤醒丢失了：每一次等待都必须以一次唤醒结束。";

void probe_stuck_hint(const char *en, const char *zh)
{
    stuck_en = en;
    stuck_zh = zh;
}

/* A broken rule of coroutines usually leaves a task that never runs again:
 * say so at once rather than wait for what cannot come. */
static void misuse_check(void)
{
    if (coro_misuses() > 0 && coro_self() == NULL)
        cr_assert_fail(
            KATA_MSG("the loop broke a rule of coroutines: %s. The loop resumes a task "
                     "once per wake-up, only while it is suspended, and forgets it when "
                     "it finishes",
                     "事件循环违反了协程的规则：%s。每次唤醒只恢复任务一次，只恢复挂起中的任务，"
                     "任务结束后就忘掉它",
                     probe_misuse_words(coro_last_misuse())));
}

/* ---- wrappers ---- */

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
    if (!on_loop_thread())
        return __real_clock_gettime(id, ts);
    if (id != CLOCK_MONOTONIC) {
        stats.other_clocks++;
        return __real_clock_gettime(id, ts);
    }
    /* Reading the clock again and again without ever waiting: a spin. */
    if (++clock_reads_in_a_row > 100000) {
        if (clock_reads_in_a_row == 100001)
            stats.clock_spins++;
        now++;
    }
    ts->tv_sec = now / 1000;
    ts->tv_nsec = (now % 1000) * 1000000L;
    return 0;
}

/* A loop that has spun this long with nothing happening would spin for
 * ever: end the test with the reason rather than wait for the watchdog. */
static void spin_limit(void)
{
    if (zero_in_a_row > 200000 && coro_self() == NULL)
        cr_assert_fail(
            "%s",
            KATA_TR(
                "the loop kept calling poll with a zero timeout, and nothing happened in 200000 "
                "turns: it spins and never waits. When no task is ready, poll must wait: until "
                "the earliest timer, or for ever (-1) when there is none",
                "事件循环不停地以 0 超时调用 poll，20 万轮里什么也没发生：它在空转，从不等待。"
                "没有就绪任务时 poll 必须等待：等到最早的定时器，没有定时器时就一直等（-1）"));
}

static void log_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (stats.polls < PROBE_MAX_POLLS) {
        struct probe_poll *p = &polls[stats.polls];
        p->at = now - PROBE_T0;
        p->timeout = timeout;
        p->nfds = (int)n;
        for (nfds_t k = 0; k < n && k < PROBE_POLL_FDS; k++)
            p->fds[k] = fds[k].fd;
    }
    stats.polls++;
}

/* Judges a timeout other than 0 against the timers the tests set (see
 * probes.h).  Returns the timeout poll should have had when this one ends
 * the wait too early, or -2 when it is right. */
static long check_timeout(int timeout)
{
    if (timeout == 0 || coro_self() != NULL || stats.other_clocks > 0)
        return -2;
    long want = wanted_timeout();
    if (timeout == want || (timeout < 0 && want < 0))
        return -2;
    if (want >= 0 && (timeout < 0 || timeout > want)) {
        if (timeout < 0 && timeout != -1 && want == 0)
            cr_assert_fail(
                KATA_MSG("at %ld ms the loop called poll with timeout %d, and poll takes any "
                         "negative timeout as \"wait for ever\", while a timer was already "
                         "past due: the time left until a timer that is due already is below "
                         "zero, and poll's timeout is then 0, not that negative number",
                         "在 %ld 毫秒时，事件循环以超时 %d 调用了 poll，而 poll 把任何负的超时都"
                         "当作“永远等待”，可是这时已经有一个定时器过期了：离一个已经到期的定时器"
                         "还剩的时间是负数，这时 poll 的超时应该是 0，而不是这个负数",
                         now - PROBE_T0, timeout));
        if (timeout < 0)
            cr_assert_fail(
                KATA_MSG("at %ld ms the loop called poll with timeout -1 (wait for ever), "
                         "but a timer was due in %ld ms (a sleeping task, or a "
                         "callback of async_call_later): poll's timeout is the time left "
                         "until the earliest timer, so that the loop wakes when it is due; "
                         "-1 only when no timer is set at all",
                         "在 %ld 毫秒时，事件循环以超时 -1（永远等待）调用了 poll，"
                         "可是还有一个定时器在 %ld 毫秒后到期（一个睡眠的任务，或者 "
                         "async_call_later 的回调）：poll 的超时就是离最早的定时器还剩的时间，"
                         "这样到点时事件循环才会醒来；只有根本没有定时器时才用 -1",
                         now - PROBE_T0, want));
        cr_assert_fail(
            KATA_MSG("at %ld ms the loop called poll with timeout %d ms, but the earliest "
                     "timer was due in %ld ms: the task waiting for it would wake %ld ms "
                     "late. poll's timeout is not a fixed value: it is the time left "
                     "until the earliest timer (a sleeping task, or a callback of "
                     "async_call_later), -1 when there is none, and 0 only when a task "
                     "is ready to run now",
                     "在 %ld 毫秒时，事件循环以超时 %d 毫秒调用了 poll，可是最早的定时器在 "
                     "%ld 毫秒后就到期了：等它的任务会晚醒 %ld 毫秒。poll 的超时不是一个"
                     "固定值：它是离最早的定时器（睡眠的任务，或 async_call_later 的回调）"
                     "还剩的时间；没有定时器时是 -1；只有已经有任务可以运行时才是 0",
                     now - PROBE_T0, timeout, want, (long)timeout - want));
    }
    /* Shorter than the time left, or finite with no timer at all: the loop
     * will wake up with nothing due. */
    if (stats.early_polls++ == 0) {
        stats.early_at = now - PROBE_T0;
        stats.early_timeout = timeout;
        stats.early_want = want;
    }
    return want;
}

/* poll returned at once 1000 times in a row for a descriptor the loop did
 * nothing about: say which, and what poll reported on it. */
static void reported_for_nothing(const struct pollfd *fds, nfds_t n, int timeout)
{
    nfds_t k = 0;
    while (k < n && fds[k].revents == 0)
        k++;
    if (k == n || coro_self() != NULL)
        return;
    int fd = fds[k].fd, ev = fds[k].revents;
    const char *en, *zh;
    if (ev & POLLNVAL) {
        en = "it is not an open descriptor (POLLNVAL): it was closed but is still in the "
             "watch set. A descriptor leaves the watch set once the task that awaited it "
             "has woken";
        zh = "它已经不是打开的描述符了（POLLNVAL）：它被关闭了，却还留在监视集合里。等它的任务"
             "一被唤醒，描述符就要移出监视集合";
    } else if ((ev & (POLLHUP | POLLERR)) && !(ev & POLLIN)) {
        en = "it has hung up (POLLHUP: its write end is closed and it is empty) or is in "
             "error (POLLERR), which poll reports without POLLIN. A task that awaits a "
             "descriptor wakes when poll reports it readable, hung up or in error (a read "
             "then returns at once), not only on POLLIN";
        zh = "它已挂断（POLLHUP：写端已关闭，管道也空了）或出错（POLLERR），poll 报告这些时"
             "不带 POLLIN。等待描述符的任务在 poll 报告它可读、挂断或出错时都要被唤醒"
             "（这时 read 会立刻返回），不能只看 POLLIN";
    } else if (!is_fed(fd)) {
        en = "it is readable, and it is not a descriptor a task awaits: the wake-up pipe, "
             "still holding the bytes other threads wrote. When poll reports the wake-up "
             "pipe, the loop reads it empty (it is non-blocking), or poll reports it again "
             "at once, for ever";
        zh = "它可读，而且不是哪个任务在等的描述符：这是唤醒管道，里面还留着别的线程写进来的"
             "字节。poll 报告唤醒管道可读时，事件循环要把它读空（它是非阻塞的），否则 poll "
             "会立刻再次报告它，永远如此";
    } else {
        en = "it is readable (POLLIN), and the task that awaits it was not made ready";
        zh = "它可读（POLLIN），可是等它的任务没有被设为就绪";
    }
    cr_assert_fail(KATA_MSG("at %ld ms the loop called poll (timeout %d) 1000 times in a row, "
                            "and each time poll returned at once for descriptor %d, yet the "
                            "loop did nothing about it, so it spins: %s",
                            "在 %ld 毫秒时，事件循环连续 1000 次调用 poll（超时 %d），每次 poll "
                            "都因描述符 %d 立刻返回，事件循环却什么也没做，于是它在空转：%s",
                            now - PROBE_T0, timeout, fd, KATA_TR(en, zh)));
}

/* The loop sleeps for ever after another thread's wake-up came before its
 * call was in the list (threads.c held that thread after its write until
 * the loop had looked). */
static void woken_too_early(void)
{
    char what[96], where[96];
    if (probe_woken_before_queued(what, sizeof what, where, sizeof where))
        cr_assert_fail(KATA_MSG(
            "another thread woke the loop before its call was there to be found: "
            "async_call_threadsafe wrote to the wake-up pipe first, and only then locked %s, "
            "at %s, to put the call in the list. The loop woke, found the list empty, "
            "went back to sleep in poll, and the call came after its only wake-up. Put "
            "the call in the list first, then write the byte: a wake-up announces work "
            "that is already in place",
            "另一个线程在它的调用还没放好时就唤醒了事件循环：async_call_threadsafe 先往唤醒"
            "管道里写了字节，之后才锁上%s（%s 处）把调用放进列表。事件循环醒来，看到列表是"
            "空的，又回到 poll 里睡觉，而这个调用是在它唯一的一次唤醒之后才到的。先把调用放进"
            "列表，再写字节：唤醒宣布的必须是已经就位的工作",
            what, where));
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (!on_loop_thread())
        return __real_poll(fds, n, timeout);
    log_poll(fds, n, timeout);
    probe_threads_poll(timeout);
    misuse_check();
    monotonic_check();
    long early = check_timeout(timeout);
    if (coro_self() != NULL)
        stats.polls_in_task++;
    if (wait_fail_err != 0 && timeout != 0 && coro_self() == NULL) {
        errno = wait_fail_err;
        wait_fail_err = 0;
        return -1;
    }
    if (eintr_pending && timeout != 0 && coro_self() == NULL) {
        eintr_pending = 0;
        eintr_done = 1;
        errno = EINTR; /* a signal arrived while the loop waited */
        return -1;
    }
    long resumed = coro_resumes();
    int idle_turn = resumed == resumes_at_last_poll && progress == progress_at_last_poll;
    resumes_at_last_poll = resumed;
    progress_at_last_poll = progress;

    int r = __real_poll(fds, n, 0);
    if (r != 0) {
        /* Something is ready, but if the loop keeps asking without doing
         * anything about it (a closed descriptor left in the set reports
         * POLLNVAL for ever), it spins all the same. */
        zero_in_a_row = idle_turn ? zero_in_a_row + 1 : 0;
        if (zero_in_a_row >= 1000) {
            if (zero_in_a_row == 1000)
                stats.busy++;
            reported_for_nothing(fds, n, timeout);
            advance_to(now + 1);
            spin_limit();
        }
        return r;
    }
    if (timeout == 0) {
        /* Nothing ready and nothing happened since the last poll: the loop
         * asks again at once, over and over.  Let 1 ms pass per spin. */
        if (idle_turn)
            stats.spins++;
        if (++zero_in_a_row >= 1000) {
            if (zero_in_a_row == 1000)
                stats.busy++;
            idle_turn = 1;
        }
        if (idle_turn)
            advance_to(now + 1);
        spin_limit();
        return __real_poll(fds, n, 0);
    }
    zero_in_a_row = 0;
    long feed = -1;
    for (nfds_t k = 0; k < n; k++) {
        long at = fds[k].fd >= 0 ? next_feed(fds[k].fd) : -1;
        if (at >= 0 && (feed < 0 || at < feed))
            feed = at;
    }
    long until = timeout > 0 ? now + timeout : -1;
    if (feed >= 0 && (until < 0 || feed < until))
        until = feed;
    if (early == -1 && feed < 0)
        /* No timer and no write to come: a right loop would now sleep in
         * poll(-1) until another thread wakes it.  This one would wake every
         * `timeout` ms for ever, and the virtual clock with it. */
        cr_assert_fail(
            KATA_MSG("the loop called poll with timeout %d ms while no timer was set: it "
                     "was waiting only for descriptors (and here nothing will come on "
                     "them unless another thread wakes the loop), so it would wake every "
                     "%d ms to find nothing, for ever. With no timer, poll's timeout is "
                     "-1 (0 only when a task is ready to run now): poll returns when a "
                     "descriptor it watches is ready, not before",
                     "事件循环在没有任何定时器时以超时 %d 毫秒调用了 poll：它等的只是描述符"
                     "（而这里除非别的线程唤醒事件循环，这些描述符上什么也不会来），于是它会"
                     "每 %d 毫秒醒来一次，什么也等不到，永远如此。没有定时器时 poll 的超时是 "
                     "-1（只有已经有任务可以运行时才是 0）：它监视的描述符就绪时 poll 才返回，"
                     "不会更早",
                     timeout, timeout));
    if (until >= 0) {
        advance_to(until);
        return __real_poll(fds, n, 0);
    }
    /* No timer and no write to come: only another thread can end this wait
     * (async_call_threadsafe).  Wait for real, but not for ever. */
    probe_threads_sleeping(fds, (int)n);
    pthread_mutex_lock(&lock);
    loop_idle = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    r = __real_poll(fds, n, (int)(PROBE_WAIT_SECONDS * 1000));
    probe_threads_awake();
    pthread_mutex_lock(&lock);
    loop_idle = 0;
    pthread_mutex_unlock(&lock);
    if (r == 0 && coro_self() == NULL)
        woken_too_early();
    if (r == 0 && coro_self() == NULL)
        cr_assert_fail(
            KATA_MSG("the loop called poll with no timeout, and nothing it watches will "
                     "ever become ready (no timer due, no other thread waking it), so it "
                     "would wait for ever while a task still waits. %s",
                     "事件循环调用 poll 时不带超时，而它监视的东西永远不会就绪（没有到期的"
                     "定时器，也没有别的线程唤醒它），于是在还有任务等待时它会永远等下去。%s",
                     KATA_TR(stuck_en, stuck_zh)));
    return r;
}

/* A wait that stops the whole thread: time passes for everybody, and the
 * writes due meanwhile are done, as if the thread had really slept. */
static void blocking_wait(long ms)
{
    stats.sleeps++;
    if (coro_self() != NULL)
        stats.sleeps_in_task++;
    advance_to(now + (ms > 0 ? ms : 0));
}

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!on_loop_thread())
        return __real_nanosleep(req, rem);
    blocking_wait((long)req->tv_sec * 1000 + req->tv_nsec / 1000000);
    return 0;
}

int __wrap_clock_nanosleep(clockid_t id, int flags, const struct timespec *req,
                           struct timespec *rem)
{
    if (!on_loop_thread())
        return __real_clock_nanosleep(id, flags, req, rem);
    long ms = (long)req->tv_sec * 1000 + req->tv_nsec / 1000000;
    blocking_wait(flags & TIMER_ABSTIME ? ms - now : ms);
    return 0;
}

int __wrap_usleep(useconds_t us)
{
    if (!on_loop_thread())
        return __real_usleep(us);
    blocking_wait((long)(us / 1000));
    return 0;
}

unsigned __wrap_sleep(unsigned s)
{
    if (!on_loop_thread())
        return __real_sleep(s);
    blocking_wait((long)s * 1000);
    return 0;
}

ssize_t __wrap_read(int fd, void *buf, size_t size)
{
    if (fd == broken_fd && broken_fd >= 0) {
        broken_reads++;
        errno = EIO;
        return -1;
    }
    if (!on_loop_thread() || !is_fed(fd))
        return __real_read(fd, buf, size);
    if (eintr_reads > 0) {
        eintr_reads--;
        errno = EINTR;
        return -1;
    }
    struct pollfd p = {fd, POLLIN, 0};
    int flags = fcntl(fd, F_GETFL);
    if (__real_poll(&p, 1, 0) == 0 && flags >= 0 && !(flags & O_NONBLOCK)) {
        /* This read would block: the thread stops until the next write. */
        stats.blocked_reads++;
        if (coro_self() != NULL)
            stats.blocked_reads_in_task++;
        long at = next_feed(fd);
        if (at < 0) {
            errno = EIO; /* it would wait for ever: say so rather than hang */
            return -1;
        }
        advance_to(at);
    }
    return __real_read(fd, buf, size);
}

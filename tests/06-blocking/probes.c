/* 06-blocking: wrappers, the virtual clock and the reader threads shared by
 * the tests (see probes.h).  Every test runs in its own process, so this
 * state starts fresh each time. */
#include "probes.h"

#include "kata.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ROLE_READER 1 /* a real thread of probe_reader_start */
#define ROLE_SIM 2    /* the thread of probe_run, on the virtual clock */
#define EOF_LIMIT 20  /* reads after end of file before a stop */
#define NS_PER_MS 1000000LL
#define FOREVER INT64_MAX

static __thread int role;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kata_gate gate = KATA_GATE(&lock, PROBE_WAIT_SECONDS);

static struct watched {
    int fd;
    size_t chunk;
    int eof_seen;
    int in_read;
    pid_t tid;
    int reads;
    int interrupted; /* reads still to fail with EINTR (virtual clock) */
} watched[16];
static int watched_count;

static struct probe_event events[PROBE_MAX];
static int event_count;

static struct probe_stats stats = {.other_clock = -1};
static enum probe_stop stop_reason = PROBE_RAN;
static int eagain_streak, poll_streak, clock_streak;
static int polls_to_fail, poll_fail_err, setfl_fail_err;

/* The virtual clock and its script. */
static long long vnow_ns;
static struct scripted {
    long ms;
    int kind; /* 'w' write, 'c' close, 's' signal */
    int fd;
    char text[160];
    int done;
} script[32];
static int script_count;

static struct watched *find(int fd)
{
    for (int i = 0; i < watched_count; i++)
        if (watched[i].fd == fd)
            return &watched[i];
    return NULL;
}

void probe_watch(int fd)
{
    pthread_mutex_lock(&lock);
    if (find(fd) == NULL && watched_count < 16)
        watched[watched_count++] = (struct watched){.fd = fd};
    pthread_mutex_unlock(&lock);
}

void probe_chunk(int fd, size_t bytes)
{
    probe_watch(fd);
    pthread_mutex_lock(&lock);
    find(fd)->chunk = bytes;
    pthread_mutex_unlock(&lock);
}

void probe_interrupt_reads(int fd, int count)
{
    probe_watch(fd);
    pthread_mutex_lock(&lock);
    find(fd)->interrupted = count;
    pthread_mutex_unlock(&lock);
}

void probe_fail_polls(int count, int err)
{
    pthread_mutex_lock(&lock);
    polls_to_fail = count;
    poll_fail_err = err;
    pthread_mutex_unlock(&lock);
}

void probe_fail_setfl(int err)
{
    pthread_mutex_lock(&lock);
    setfl_fail_err = err;
    pthread_mutex_unlock(&lock);
}

static void log_event(enum probe_kind kind, long value, int err)
{
    if (event_count < PROBE_MAX)
        events[event_count++] = (struct probe_event){kind, value, err};
    kata_gate_wake(&gate);
}

void probe_log(enum probe_kind kind, long value)
{
    pthread_mutex_lock(&lock);
    log_event(kind, value, 0);
    pthread_mutex_unlock(&lock);
}

int probe_events(struct probe_event out[PROBE_MAX])
{
    pthread_mutex_lock(&lock);
    memcpy(out, events, sizeof events);
    int n = event_count;
    pthread_mutex_unlock(&lock);
    return n;
}

void probe_stats(struct probe_stats *s)
{
    pthread_mutex_lock(&lock);
    *s = stats;
    pthread_mutex_unlock(&lock);
}

/* Ends the calling thread (one of ours, running student code), lock held. */
static void stop(enum probe_stop why)
{
    stop_reason = why;
    kata_gate_wake(&gate);
    pthread_mutex_unlock(&lock);
    pthread_exit(NULL);
}

/* ---- the virtual clock ---------------------------------------------------- */

static void progress(void)
{
    eagain_streak = poll_streak = clock_streak = 0;
}

static void no_progress(int *streak, int limit, enum probe_stop why)
{
    ++*streak;
    int total = eagain_streak + poll_streak;
    if (total > stats.busy_calls)
        stats.busy_calls = total;
    if (*streak >= limit)
        stop(why);
}

static void advance_to(long long ns)
{
    if (ns > vnow_ns) {
        vnow_ns = ns;
        progress();
    }
}

struct timespec probe_at(long ms)
{
    struct timespec t = {1000, 0}; /* the virtual clock's 0 ms */
    return kata_ts_add_ns(t, ms * NS_PER_MS);
}

static void add_script(long ms, int kind, int fd, const char *text)
{
    pthread_mutex_lock(&lock);
    if (script_count < 32) {
        int i = script_count++;
        while (i > 0 && script[i - 1].ms > ms) { /* stable: in time order */
            script[i] = script[i - 1];
            i--;
        }
        script[i] = (struct scripted){.ms = ms, .kind = kind, .fd = fd};
        if (text != NULL)
            snprintf(script[i].text, sizeof script[i].text, "%s", text);
    }
    pthread_mutex_unlock(&lock);
}

void probe_at_write(long ms, int wfd, const char *text)
{
    add_script(ms, 'w', wfd, text);
}

void probe_at_close(long ms, int wfd)
{
    add_script(ms, 'c', wfd, NULL);
}

void probe_at_signal(long ms)
{
    add_script(ms, 's', -1, NULL);
}

/* The next scripted event not yet performed, if it is due by `until`. */
static struct scripted *next_event(long long until)
{
    for (int i = 0; i < script_count; i++)
        if (!script[i].done)
            return script[i].ms * NS_PER_MS <= until ? &script[i] : NULL;
    return NULL;
}

static void perform(struct scripted *e)
{
    e->done = 1;
    if (e->kind == 'w') {
        size_t len = strlen(e->text);
        if (write(e->fd, e->text, len) != (ssize_t)len)
            abort();
    } else if (e->kind == 'c') {
        close(e->fd);
    }
}

static int readable_now(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    return __real_poll(&p, 1, 0) > 0;
}

/* ---- wrappers ------------------------------------------------------------ */

static ssize_t read_as_reader(struct watched *w, int fd, void *buf, size_t n)
{
    w->in_read = 1;
    w->tid = (pid_t)syscall(SYS_gettid);
    w->reads++;
    stats.reads++;
    log_event(PROBE_READ_ENTER, fd, 0);
    if (w->eof_seen && ++stats.reads_after_eof >= EOF_LIMIT)
        stop(PROBE_EOF_AGAIN);
    size_t count = w->chunk > 0 && w->chunk < n ? w->chunk : n;
    pthread_mutex_unlock(&lock);
    ssize_t r = __real_read(fd, buf, count);
    int err = errno;
    pthread_mutex_lock(&lock);
    w->in_read = 0;
    log_event(PROBE_READ_RETURN, r, r < 0 ? err : 0);
    if (r == 0)
        w->eof_seen = 1;
    if (r < 0 && err == EINTR)
        stats.reads_eintr++;
    if (r < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
        stats.reads_eagain++;
        no_progress(&eagain_streak, 1000, PROBE_BUSY_EAGAIN);
    } else {
        progress();
    }
    errno = err;
    return r;
}

static ssize_t read_on_virtual_clock(struct watched *w, int fd, void *buf, size_t n)
{
    stats.reads++;
    if (w->eof_seen && ++stats.reads_after_eof >= EOF_LIMIT)
        stop(PROBE_EOF_AGAIN);
    if (w->interrupted > 0) {
        /* A signal arrived as the read began: it fails, nothing was read. */
        w->interrupted--;
        stats.reads_eintr++;
        errno = EINTR;
        return -1;
    }
    if (!(__real_fcntl(fd, F_GETFL) & O_NONBLOCK)) {
        /* A blocking read: time passes until something makes it readable. */
        while (!readable_now(fd)) {
            struct scripted *e = next_event(FOREVER);
            if (e == NULL)
                stop(PROBE_WAIT_FOREVER);
            advance_to(e->ms * NS_PER_MS);
            if (e->kind == 's') {
                e->done = 1;
                stats.reads_eintr++;
                errno = EINTR;
                return -1;
            }
            perform(e);
        }
    }
    size_t count = w->chunk > 0 && w->chunk < n ? w->chunk : n;
    ssize_t r = __real_read(fd, buf, count); /* readable or non-blocking: never waits */
    int err = errno;
    if (r > 0) {
        progress();
    } else if (r == 0) {
        stats.reads_eof++;
        if (!w->eof_seen)
            progress();
        w->eof_seen = 1;
    } else if (err == EAGAIN || err == EWOULDBLOCK) {
        stats.reads_eagain++;
        no_progress(&eagain_streak, PROBE_BUSY_LIMIT, PROBE_BUSY_EAGAIN);
    }
    errno = err;
    return r;
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
    if (role == 0)
        return __real_read(fd, buf, n);
    pthread_mutex_lock(&lock);
    struct watched *w = find(fd);
    ssize_t r;
    if (w == NULL) {
        pthread_mutex_unlock(&lock);
        return __real_read(fd, buf, n);
    }
    if (role == ROLE_READER) {
        r = read_as_reader(w, fd, buf, n);
    } else {
        r = read_on_virtual_clock(w, fd, buf, n);
    }
    int err = errno;
    pthread_mutex_unlock(&lock);
    errno = err;
    return r;
}

static int poll_on_virtual_clock(struct pollfd *fds, nfds_t n, int timeout)
{
    int i = stats.polls++;
    if (i < PROBE_MAX) {
        stats.poll_timeout[i] = timeout;
        stats.poll_nfds[i] = (int)n;
    }
    if (polls_to_fail > 0) {
        polls_to_fail--;
        no_progress(&poll_streak, PROBE_BUSY_LIMIT, PROBE_BUSY_POLL);
        errno = poll_fail_err;
        return -1;
    }
    long long start = vnow_ns;
    long long wake = timeout < 0 ? FOREVER : vnow_ns + timeout * NS_PER_MS;
    for (;;) {
        int r = __real_poll(fds, n, 0);
        if (r != 0) {
            for (nfds_t k = 0; r > 0 && k < n; k++)
                if ((fds[k].revents & POLLHUP) && !(fds[k].revents & POLLIN))
                    stats.poll_hup_ignored++;
            if (r > 0 && vnow_ns == start)
                no_progress(&poll_streak, PROBE_BUSY_LIMIT, PROBE_BUSY_POLL);
            return r;
        }
        if (timeout == 0) {
            no_progress(&poll_streak, PROBE_BUSY_LIMIT, PROBE_BUSY_POLL);
            return 0;
        }
        struct scripted *e = next_event(wake);
        if (e == NULL) {
            if (wake == FOREVER)
                stop(PROBE_WAIT_FOREVER);
            advance_to(wake);
            return 0;
        }
        advance_to(e->ms * NS_PER_MS);
        if (e->kind == 's') {
            e->done = 1;
            errno = EINTR;
            return -1;
        }
        perform(e);
    }
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (role != ROLE_SIM)
        return __real_poll(fds, n, timeout);
    pthread_mutex_lock(&lock);
    int r = poll_on_virtual_clock(fds, n, timeout);
    int err = errno;
    pthread_mutex_unlock(&lock);
    errno = err;
    return r;
}

int __wrap_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *); /* as glibc's own fcntl does */
    va_end(ap);
    if (role != 0) {
        pthread_mutex_lock(&lock);
        int fail = 0;
        if (find(fd) != NULL && cmd == F_SETFL) {
            stats.setfl_calls++;
            stats.setfl_arg = (long)(intptr_t)arg;
            fail = setfl_fail_err;
            setfl_fail_err = 0;
        }
        if (find(fd) != NULL && cmd == F_GETFL)
            stats.getfl_calls++;
        pthread_mutex_unlock(&lock);
        if (fail != 0) {
            errno = fail;
            return -1;
        }
    }
    return __real_fcntl(fd, cmd, arg);
}

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
    if (role != ROLE_SIM)
        return __real_clock_gettime(id, ts);
    if (id != CLOCK_MONOTONIC) {
        pthread_mutex_lock(&lock);
        stats.other_clock = id;
        pthread_mutex_unlock(&lock);
        return __real_clock_gettime(id, ts);
    }
    pthread_mutex_lock(&lock);
    *ts = kata_ts_add_ns(probe_at(0), vnow_ns);
    no_progress(&clock_streak, 10 * PROBE_BUSY_LIMIT, PROBE_BUSY_CLOCK);
    pthread_mutex_unlock(&lock);
    return 0;
}

/* ---- a real reader thread ------------------------------------------------- */

static void *reader_main(void *p)
{
    struct probe_reader *r = p;
    role = ROLE_READER;
    ssize_t got = blk_read_exact(r->fd, r->buf, r->len);
    int err = errno;
    pthread_mutex_lock(&lock);
    r->result = got;
    r->err = err;
    r->returned = 1;
    kata_gate_wake(&gate);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static pthread_t reader_thread;

void probe_reader_start(struct probe_reader *r, int fd, size_t len)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->len = len;
    probe_watch(fd);
    if (pthread_create(&reader_thread, NULL, reader_main, r) != 0) {
        fprintf(stderr, "probes: cannot start the reader thread\n");
        abort();
    }
}

struct blocked_query {
    struct probe_reader *r;
    int k;
    int blocked;
};

/* Whether /proc says thread tid is in the read system call on fd. */
static int in_read_syscall(pid_t tid, int fd)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return 0;
    ssize_t n = __real_read(f, buf, sizeof buf - 1);
    close(f);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    long nr;
    unsigned long arg0;
    return sscanf(buf, "%ld %lx", &nr, &arg0) == 2 && nr == SYS_read && arg0 == (unsigned long)fd;
}

static int reader_blocked_or_done(void *p)
{
    struct blocked_query *q = p;
    if (q->r->returned || stop_reason != PROBE_RAN)
        return 1;
    struct watched *w = find(q->r->fd);
    q->blocked = w != NULL && w->reads >= q->k && w->in_read && in_read_syscall(w->tid, w->fd);
    return q->blocked;
}

int probe_reader_blocked(struct probe_reader *r, int k)
{
    struct blocked_query q = {r, k, 0};
    pthread_mutex_lock(&lock);
    kata_gate_wait(&gate, reader_blocked_or_done, &q, 1);
    pthread_mutex_unlock(&lock);
    return q.blocked;
}

static int reader_done(void *p)
{
    struct probe_reader *r = p;
    return r->returned || stop_reason != PROBE_RAN;
}

int probe_reader_end(struct probe_reader *r)
{
    pthread_mutex_lock(&lock);
    int done = kata_gate_wait(&gate, reader_done, r, 0);
    r->stopped = stop_reason;
    pthread_mutex_unlock(&lock);
    if (done)
        pthread_join(reader_thread, NULL);
    else
        pthread_detach(reader_thread); /* stuck: the test fails anyway */
    return r->returned;
}

void probe_reader_signal(int sig)
{
    probe_log(PROBE_TEST_SIGNAL, sig);
    pthread_kill(reader_thread, sig);
}

const char *probe_reader_doing(struct probe_reader *r)
{
    static char words[160];
    pthread_mutex_lock(&lock);
    struct watched *w = find(r->fd);
    pid_t tid = w != NULL ? w->tid : 0;
    pthread_mutex_unlock(&lock);
    char path[64], wchan[64] = "", stat[512] = "";
    snprintf(path, sizeof path, "/proc/self/task/%d/wchan", (int)tid);
    int f = tid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (f >= 0) {
        ssize_t n = __real_read(f, wchan, sizeof wchan - 1);
        wchan[n > 0 ? n : 0] = '\0';
        close(f);
    }
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    f = tid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (f >= 0) {
        ssize_t n = __real_read(f, stat, sizeof stat - 1);
        stat[n > 0 ? n : 0] = '\0';
        close(f);
    }
    char *p = strrchr(stat, ')');
    char state = p != NULL && p[1] == ' ' ? p[2] : '?';
    if (tid == 0)
        snprintf(words, sizeof words, "%s",
                 KATA_TR("it never called read() on the pipe", "它从没在管道上调用 read()"));
    else if (state == 'R')
        snprintf(words, sizeof words, "%s", KATA_TR("it was running", "它在运行（占着 CPU）"));
    else
        snprintf(words, sizeof words, KATA_TR("it was asleep in %s", "它睡在 %s 里"),
                 wchan[0] ? wchan : "?");
    return words;
}

/* ---- a thread on the virtual clock --------------------------------------- */

struct run {
    void (*fn)(void *);
    void *arg;
    int returned;
};

static void *sim_main(void *p)
{
    struct run *run = p;
    role = ROLE_SIM;
    run->fn(run->arg);
    pthread_mutex_lock(&lock);
    run->returned = 1;
    kata_gate_wake(&gate);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static int run_done(void *p)
{
    struct run *run = p;
    return run->returned || stop_reason != PROBE_RAN;
}

struct probe_outcome probe_run(void (*fn)(void *arg), void *arg)
{
    static struct run run; /* outlives a stuck thread */
    run = (struct run){fn, arg, 0};
    pthread_mutex_lock(&lock);
    stop_reason = PROBE_RAN;
    eagain_streak = poll_streak = clock_streak = 0;
    pthread_mutex_unlock(&lock);
    pthread_t t;
    if (pthread_create(&t, NULL, sim_main, &run) != 0) {
        fprintf(stderr, "probes: cannot start a thread\n");
        abort();
    }
    struct probe_outcome o = {0, PROBE_RAN, 0, 0};
    pthread_mutex_lock(&lock);
    int done = kata_gate_wait(&gate, run_done, &run, 0);
    o.returned = run.returned;
    o.stop = stop_reason;
    o.stuck = !done;
    o.at_ms = (long)(vnow_ns / NS_PER_MS);
    pthread_mutex_unlock(&lock);
    if (done)
        pthread_join(t, NULL);
    else
        pthread_detach(t);
    return o;
}

const char *probe_stop_words(enum probe_stop why)
{
    switch (why) {
    case PROBE_BUSY_EAGAIN:
        return KATA_TR("it called read() again and again, each failing with EAGAIN, without "
                       "waiting in between: a busy loop that burns a CPU while nothing comes. "
                       "EAGAIN means \"nothing yet\": return it, or wait in poll()",
                       "它一次又一次地调用 read()，每次都以 EAGAIN 失败，中间从不等待：这是忙等，"
                       "什么也没来时白白烧掉一个 CPU。EAGAIN 的意思是“暂时没有”：把它返回，"
                       "或者在 poll() 里等");
    case PROBE_BUSY_POLL:
        return KATA_TR("it called poll() again and again, and each call returned at once "
                       "(a timeout of 0, or a descriptor reported ready but never read): a "
                       "busy loop. Give poll the time that is left, and when it reports a "
                       "descriptor ready (POLLIN or POLLHUP), read it",
                       "它一次又一次地调用 poll()，每次都立刻返回（超时为 0，或某个描述符已报告"
                       "就绪却从没被读）：这是忙等。把剩下的时间交给 poll；它报告某个描述符就绪"
                       "（POLLIN 或 POLLHUP）时，就去读它");
    case PROBE_BUSY_CLOCK:
        return KATA_TR("it read the clock again and again without ever waiting: a loop that "
                       "watches the time pass burns a CPU; sleep in poll() until the deadline",
                       "它一遍又一遍地读时钟，却从不等待：盯着时间流逝的循环会烧掉一个 CPU；"
                       "应该在 poll() 里睡到截止时间");
    case PROBE_EOF_AGAIN:
        return KATA_TR("it called read() again and again after read() had returned 0. 0 is "
                       "end of file: every writer has closed the pipe and nothing will ever "
                       "come; stop reading and report it",
                       "read() 已经返回 0 之后，它还一次又一次地调用 read()。0 表示文件结束："
                       "所有写端都已关闭，再也不会有数据；应该停止读取并报告它");
    case PROBE_WAIT_FOREVER:
        return KATA_TR("it went to wait (poll with no limit, or a read on a blocking "
                       "descriptor) for data that will never come, with no deadline to end "
                       "the wait",
                       "它去等待（不限时的 poll，或在阻塞描述符上 read）永远不会来的数据，"
                       "而且没有任何截止时间来结束这次等待");
    case PROBE_RAN:
        break;
    }
    return "";
}

const char *probe_outcome_words(const struct probe_outcome *o)
{
    if (o->stop != PROBE_RAN)
        return probe_stop_words(o->stop);
    if (o->stuck)
        return KATA_TR("it had not returned after 1.5 s of real time (the tests run on a "
                       "virtual clock, so no correct call takes that long): it waits in a "
                       "call the tests do not expect (sleep? select?) or loops forever",
                       "真实时间过了 1.5 秒它还没返回（测试用的是虚拟时钟，正确的调用不会这么久）："
                       "它在测试没预料到的调用里等（sleep？select？），或陷入了死循环");
    return KATA_TR("it returned", "它已返回");
}

/* ---- small helpers -------------------------------------------------------- */

const char *probe_status_name(enum blk_status s)
{
    switch (s) {
    case BLK_DATA:
        return "BLK_DATA";
    case BLK_AGAIN:
        return "BLK_AGAIN";
    case BLK_EOF:
        return "BLK_EOF";
    case BLK_TIMEOUT:
        return "BLK_TIMEOUT";
    case BLK_ERROR:
        return "BLK_ERROR";
    }
    return "(not a blk_status)";
}

const char *probe_errno_name(int err)
{
    static char other[32];
    switch (err) {
    case 0:
        return "0";
    case ENOSYS:
        return KATA_TR("ENOSYS: still the stub", "ENOSYS：仍然是桩代码");
    case EAGAIN:
        return "EAGAIN";
    case EINTR:
        return "EINTR";
    case EBADF:
        return "EBADF";
    case EINVAL:
        return "EINVAL";
    case EMSGSIZE:
        return "EMSGSIZE";
    case ENOMEM:
        return "ENOMEM";
    case EPERM:
        return "EPERM";
    }
    snprintf(other, sizeof other, "errno %d", err);
    return other;
}

void probe_pipe(int p[2])
{
    if (pipe(p) != 0) {
        perror("pipe");
        abort();
    }
    kata_allow_fd(p[0]); /* the test's own pipe: the hygiene check leaves it out */
    kata_allow_fd(p[1]);
}

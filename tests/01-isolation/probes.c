/* 01-isolation: gates and wrappers shared by the tests (see probes.h).
 * Every test runs in its own process, so this state starts fresh each time. */
#define _GNU_SOURCE
#include "probes.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* ---- threads ------------------------------------------------------------- */

#define MAX_GATES 8

int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);

struct gate {
    pthread_t thread;
    void *(*fn)(void *);
    void *arg;
    sem_t open;
    int opened;
};

static int armed;
static struct gate gates[MAX_GATES];
static int ngates, njoined;

static void *gated_start(void *p)
{
    struct gate *g = p;
    while (sem_wait(&g->open) != 0)
        ;
    return g->fn(g->arg);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    if (!armed || ngates == MAX_GATES)
        return __real_pthread_create(t, attr, fn, arg);
    struct gate *g = &gates[ngates];
    g->fn = fn;
    g->arg = arg;
    g->opened = 0;
    sem_init(&g->open, 0, 0);
    int rc = __real_pthread_create(t, attr, gated_start, g);
    if (rc == 0) {
        g->thread = *t;
        ngates++;
    }
    return rc;
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    for (int i = 0; i < ngates; i++)
        if (!gates[i].opened && pthread_equal(gates[i].thread, t)) {
            gates[i].opened = 1;
            njoined++;
            sem_post(&gates[i].open);
        }
    return __real_pthread_join(t, ret);
}

void probe_explain_gate(FILE *out)
{
    if (ngates > njoined)
        fputs(KATA_TR("The thread your function started is held by the test until "
                      "pthread_join is called on it. Your function is waiting for the "
                      "thread some other way: wait for it with pthread_join.\n",
                      "你的函数启动的线程被测试拦住了，直到有人对它调用 pthread_join 才放行。"
                      "你的函数在用别的办法等这个线程：请用 pthread_join 等它。\n"),
              out);
}

void probe_threads_arm(int on)
{
    armed = on;
}

int probe_threads_started(void)
{
    return ngates;
}

int probe_threads_joined(void)
{
    return njoined;
}

/* ---- fork ------------------------------------------------------------------ */

pid_t __real_fork(void);
static int forks_left = -1, forks_refused, kill_nth = -1, kill_sig;

/* What a new child inherits from the probes and must not: counts of its own. */
static void start_child(void);
static void (*on_refused)(void); /* called at each refused fork, before it returns */

pid_t __wrap_fork(void)
{
    if (forks_left == 0) {
        forks_refused++;
        if (on_refused != NULL)
            on_refused();
        errno = EAGAIN;
        return -1;
    }
    if (forks_left > 0)
        forks_left--;
    int doomed = kill_nth == 0;
    if (kill_nth >= 0)
        kill_nth--;
    pid_t pid = __real_fork();
    if (pid == 0) {
        start_child();
        if (doomed)
            raise(kill_sig); /* dies from the signal before fork() returns in it */
    }
    return pid;
}

void probe_on_fork_refused(void (*fn)(void))
{
    on_refused = fn;
}

void probe_fork_fail_after(int n)
{
    forks_left = n;
}

void probe_fork_kill_child(int nth, int sig)
{
    kill_nth = nth;
    kill_sig = sig;
}

int probe_forks_refused(void)
{
    return forks_refused;
}

/* ---- waitpid, read, write ---------------------------------------------------- */

pid_t __real_waitpid(pid_t pid, int *status, int options);
pid_t __real_wait(int *status);
ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_write(int fd, const void *buf, size_t n);
static int waits_to_interrupt, waits_interrupted;
static struct probe_io io;
static struct probe_io_seen seen;

static void start_child(void)
{
    waits_to_interrupt = 0;
    seen = (struct probe_io_seen){0, 0, 0, 0, 0};
}

void probe_wait_interrupt(int n)
{
    waits_to_interrupt = n;
}

int probe_waits_interrupted(void)
{
    return waits_interrupted;
}

/* Whether this wait fails at once with EINTR, as after a signal handler ran. */
static int interrupt_wait(void)
{
    if (waits_to_interrupt <= 0)
        return 0;
    waits_to_interrupt--;
    waits_interrupted++;
    errno = EINTR;
    return 1;
}

pid_t __wrap_waitpid(pid_t pid, int *status, int options)
{
    return interrupt_wait() ? -1 : __real_waitpid(pid, status, options);
}

pid_t __wrap_wait(int *status)
{
    return interrupt_wait() ? -1 : __real_wait(status);
}

void probe_io_arm(struct probe_io how)
{
    io = how;
    seen = (struct probe_io_seen){0, 0, 0, 0, 0};
}

struct probe_io_seen probe_io_seen(void)
{
    return seen;
}

/* How many bytes call number `nth` of its kind may move: 0 (with errno
 * EINTR) for the first call of this process when `interrupt` is set. */
static size_t io_limit(size_t n, int nth, int interrupt, size_t chunk)
{
    if (interrupt && nth == 0 && n > 0) {
        seen.interrupted++;
        errno = EINTR;
        return 0;
    }
    return chunk > 0 && n > chunk ? chunk : n;
}

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
    size_t m = io_limit(n, seen.reads++, io.read_eintr, io.read_chunk);
    if (m == 0 && n > 0)
        return -1;
    ssize_t r = __real_read(fd, buf, m);
    seen.short_reads += r > 0 && (size_t)r < n;
    return r;
}

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
    size_t m = io_limit(n, seen.writes++, io.write_eintr, io.write_chunk);
    if (m == 0 && n > 0)
        return -1;
    ssize_t r = __real_write(fd, buf, m);
    seen.short_writes += r > 0 && (size_t)r < n;
    return r;
}

/* ---- stdio ----------------------------------------------------------------- */

#define MARK "<unflushed line of the caller>"

static int count_marks(const char *text)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, MARK)) != NULL; p += strlen(MARK))
        n++;
    return n;
}

/* The text a pipe holds now, without waiting for a child that still holds
 * its write end. */
static void drain(int fd, char *text, size_t cap)
{
    size_t len = 0;
    ssize_t n;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    while (len < cap - 1 && (n = read(fd, text + len, cap - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
}

int count_flushes(void (*call)(void *), void *arg)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    FILE *f = fdopen(fds[1], "w");
    if (!f) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    /* Text in a stdio buffer, not yet written: fork copies it into the
     * child, and only exit() (not _exit()) writes it there. */
    setvbuf(f, NULL, _IOFBF, 4096);
    fputs(MARK, f);
    call(arg);
    fclose(f); /* the caller's own copy: written once, here */
    char text[1024];
    drain(fds[0], text, sizeof text);
    close(fds[0]);
    return count_marks(text);
}

/* 07-async: what the loop's thread and the other threads do with mutexes
 * and the wake-up pipe (see probes.h, "the other threads").
 *
 * The test program is also linked with
 *   -Wl,--wrap=pthread_mutex_lock -Wl,--wrap=pthread_mutex_trylock
 *   -Wl,--wrap=pthread_mutex_unlock -Wl,--wrap=write
 * Every thread keeps the list of the mutexes it holds and where it locked
 * them.  A write by another thread into a pipe the loop is sleeping on is a
 * wake-up: when that thread holds no mutex, the write holds it until the
 * loop has handled the wake-up (it polls again, or async_run returns), so
 * whatever the thread does after the write happens after the loop looked,
 * on every run. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <dlfcn.h>
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
ssize_t __real_write(int fd, const void *buf, size_t size);

#define HELD_MAX 8
struct held {
    pthread_mutex_t *m;
    const void *site; /* the return address of the pthread_mutex_lock call */
};
static __thread struct held held[HELD_MAX];
static __thread int nheld;
static __thread int woke_unlocked; /* this thread woke the loop holding no mutex */

static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tchanged = PTHREAD_COND_INITIALIZER;
static const struct async_loop *the_loop;
#define SLEEP_FDS (ASYNC_MAX_TASKS + 1)
static ino_t sleeping_on[SLEEP_FDS]; /* the pipes of the loop's current wait */
static int nsleeping;
static long loop_polls; /* polls the loop's thread has entered */
static int loop_returned;
static struct held late_lock; /* a lock taken after an unlocked wake-up */

void probe_threads_loop(const struct async_loop *loop)
{
    the_loop = loop;
}

const char *probe_mutex_words(const pthread_mutex_t *m, char *buf, size_t size)
{
    uintptr_t a = (uintptr_t)m, l = (uintptr_t)the_loop;
    Dl_info info;
    if (l != 0 && a >= l && a < l + malloc_usable_size((void *)the_loop))
        snprintf(buf, size,
                 KATA_TR("the mutex at byte %lu of the loop (struct async_loop)",
                         "事件循环（struct async_loop）第 %lu 字节处的互斥锁"),
                 (unsigned long)(a - l));
    else if (dladdr(m, &info) && info.dli_sname && info.dli_saddr == m)
        snprintf(buf, size, KATA_TR("the mutex `%s`", "互斥锁 `%s`"), info.dli_sname);
    else
        snprintf(buf, size, KATA_TR("the mutex at %p", "地址为 %p 的互斥锁"), (const void *)m);
    return buf;
}

/* Where code was, as "function+0xNN" (the engine shows it as file:line). */
const char *probe_site_words(const void *site, char *buf, size_t size)
{
    Dl_info info;
    const char *pc = (const char *)site - 1; /* inside the call instruction */
    if (site != NULL && dladdr(pc, &info) && info.dli_sname && info.dli_saddr)
        snprintf(buf, size, "%s+0x%lx", info.dli_sname,
                 (unsigned long)(pc - (const char *)info.dli_saddr));
    else
        snprintf(buf, size, "%p", site);
    return buf;
}

static void remember(pthread_mutex_t *m, const void *site)
{
    if (nheld < HELD_MAX)
        held[nheld++] = (struct held){m, site};
    if (woke_unlocked && late_lock.m == NULL) {
        __real_pthread_mutex_lock(&tlock);
        late_lock = (struct held){m, site};
        __real_pthread_mutex_unlock(&tlock);
    }
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    int r = __real_pthread_mutex_lock(m);
    if (r == 0)
        remember(m, __builtin_return_address(0));
    return r;
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
    int r = __real_pthread_mutex_trylock(m);
    if (r == 0)
        remember(m, __builtin_return_address(0));
    return r;
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
    for (int i = nheld - 1; i >= 0; i--)
        if (held[i].m == m) {
            held[i] = held[--nheld];
            break;
        }
    return __real_pthread_mutex_unlock(m);
}

/* ---- the loop's side, called by the poll probe ---- */

void probe_threads_poll(int timeout)
{
    __real_pthread_mutex_lock(&tlock);
    loop_polls++;
    pthread_cond_broadcast(&tchanged);
    __real_pthread_mutex_unlock(&tlock);
    if (timeout == 0 || nheld == 0 || coro_self() != NULL)
        return;
    char what[96], where[96];
    cr_assert_fail(
        KATA_MSG("the loop's thread called poll (timeout %d) while it held %s, locked at %s: poll "
                 "may sleep for a long time, and another thread that calls async_call_threadsafe "
                 "waits for that mutex all that time, so it can neither queue its call nor write "
                 "the wake-up byte, and the loop sleeps on. Hold the mutex only around the lines "
                 "that touch the list of calls from other threads, and unlock it before poll",
                 "事件循环的线程调用 poll（超时 %d）时还持有%s（在 %s 加的锁）：poll 可能睡很久，"
                 "这期间另一个调用 async_call_threadsafe 的线程一直在等这把锁，既放不进它的调用，"
                 "也写不了唤醒字节，事件循环就一直睡下去。只在操作“别的线程的调用”列表的那几行"
                 "持有互斥锁，调用 poll 之前先解锁",
                 timeout, probe_mutex_words(held[nheld - 1].m, what, sizeof what),
                 probe_site_words(held[nheld - 1].site, where, sizeof where)));
}

void probe_threads_sleeping(const struct pollfd *fds, int n)
{
    __real_pthread_mutex_lock(&tlock);
    nsleeping = 0;
    for (int k = 0; k < n && nsleeping < SLEEP_FDS; k++) {
        struct stat st;
        if (fds[k].fd >= 0 && fstat(fds[k].fd, &st) == 0 && S_ISFIFO(st.st_mode))
            sleeping_on[nsleeping++] = st.st_ino;
    }
    __real_pthread_mutex_unlock(&tlock);
}

void probe_threads_awake(void)
{
    __real_pthread_mutex_lock(&tlock);
    nsleeping = 0;
    __real_pthread_mutex_unlock(&tlock);
}

void probe_loop_returned(void)
{
    __real_pthread_mutex_lock(&tlock);
    loop_returned = 1;
    pthread_cond_broadcast(&tchanged);
    __real_pthread_mutex_unlock(&tlock);
}

int probe_woken_before_queued(char *what, size_t what_size, char *where, size_t where_size)
{
    __real_pthread_mutex_lock(&tlock);
    struct held l = late_lock;
    __real_pthread_mutex_unlock(&tlock);
    if (l.m == NULL)
        return 0;
    probe_mutex_words(l.m, what, what_size);
    probe_site_words(l.site, where, where_size);
    return 1;
}

/* ---- the other threads' side ---- */

static int wakes_the_loop(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
        return 0;
    for (int k = 0; k < nsleeping; k++)
        if (sleeping_on[k] == st.st_ino)
            return 1;
    return 0;
}

ssize_t __wrap_write(int fd, const void *buf, size_t size)
{
    if (probe_on_loop_thread() || nheld > 0)
        return __real_write(fd, buf, size);
    __real_pthread_mutex_lock(&tlock);
    int wake = wakes_the_loop(fd);
    long polls = loop_polls;
    __real_pthread_mutex_unlock(&tlock);
    ssize_t r = __real_write(fd, buf, size);
    if (!wake || r <= 0)
        return r;
    /* A wake-up with no mutex held: let the loop handle it before this
     * thread goes on, as a busy machine may do at any time. */
    woke_unlocked = 1;
    struct timespec until = kata_ts_add_ns(kata_now(), (long long)(PROBE_WAIT_SECONDS * 1e9));
    __real_pthread_mutex_lock(&tlock);
    while (loop_polls == polls && !loop_returned)
        if (kata_cond_wait_until(&tchanged, &tlock, until) != 0)
            break;
    __real_pthread_mutex_unlock(&tlock);
    return r;
}

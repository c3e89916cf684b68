/* 08-parallel: wrappers, gates and the tests' work function (see probes.h).
 * Every test runs in its own process, so this state starts fresh each time. */
#include "probes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed; /* on CLOCK_MONOTONIC, set up below */
static struct timespec give_up_at;
static int armed, gave_up, arrived;
static struct probe_counts counts;
static struct probe_seen seen[PAR_MAX_THREADS];
static __thread int in_worker;

__attribute__((constructor)) static void probes_init(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&changed, &attr);
    pthread_condattr_destroy(&attr);
}

void probe_arm(void)
{
    __real_pthread_mutex_lock(&lock);
    armed = 1;
    pthread_mutex_unlock(&lock);
}

struct probe_counts probe_counts(void)
{
    __real_pthread_mutex_lock(&lock);
    struct probe_counts c = counts;
    pthread_mutex_unlock(&lock);
    return c;
}

/* Waits with `lock` held until ready() or the shared time runs out. */
static int wait_until(int (*ready)(const void *), const void *what)
{
    if (give_up_at.tv_sec == 0) {
        clock_gettime(CLOCK_MONOTONIC, &give_up_at);
        give_up_at.tv_sec += 1;
        give_up_at.tv_nsec += (long)((PROBE_WAIT_SECONDS - 1.0) * 1e9);
        if (give_up_at.tv_nsec >= 1000000000L) {
            give_up_at.tv_sec++;
            give_up_at.tv_nsec -= 1000000000L;
        }
    }
    while (!ready(what) && !gave_up)
        if (pthread_cond_timedwait(&changed, &lock, &give_up_at) == ETIMEDOUT && !ready(what)) {
            gave_up = 1;
            pthread_cond_broadcast(&changed);
        }
    return ready(what);
}

/* ---- wrappers ------------------------------------------------------------ */

struct gated {
    void *(*fn)(void *);
    void *arg;
};

static int joined(const void *p)
{
    (void)p;
    return counts.joins > 0;
}

static void *gated_start(void *p)
{
    struct gated g = *(struct gated *)p;
    free(p);
    in_worker = 1;
    __real_pthread_mutex_lock(&lock);
    if (!wait_until(joined, NULL))
        counts.gate_gave_up = 1;
    pthread_mutex_unlock(&lock);
    return g.fn(g.arg);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
                          void *arg)
{
    __real_pthread_mutex_lock(&lock);
    int watch = armed && !in_worker;
    if (watch)
        counts.created++;
    pthread_mutex_unlock(&lock);
    struct gated *g = watch ? malloc(sizeof *g) : NULL;
    if (g == NULL)
        return __real_pthread_create(t, attr, fn, arg);
    g->fn = fn;
    g->arg = arg;
    int rc = __real_pthread_create(t, attr, gated_start, g);
    if (rc != 0)
        free(g);
    return rc;
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    __real_pthread_mutex_lock(&lock);
    if (armed) {
        counts.joins++;
        pthread_cond_broadcast(&changed);
    }
    pthread_mutex_unlock(&lock);
    return __real_pthread_join(t, ret);
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    if (in_worker && m != &lock) {
        __real_pthread_mutex_lock(&lock);
        counts.locks++;
        pthread_mutex_unlock(&lock);
    }
    return __real_pthread_mutex_lock(m);
}

/* ---- the tests' work ------------------------------------------------------ */

static int all_arrived(const void *p)
{
    return arrived >= *(const int *)p;
}

void probe_work(int index, void *arg)
{
    int n = *(int *)arg;
    cpu_set_t mask;
    CPU_ZERO(&mask);
    pthread_getaffinity_np(pthread_self(), sizeof mask, &mask);
    int cpu = sched_getcpu();
    __real_pthread_mutex_lock(&lock);
    if (index >= 0 && index < PAR_MAX_THREADS) {
        struct probe_seen *s = &seen[index];
        s->ran = 1;
        s->calls++;
        s->cpu = cpu;
        s->mask_cpus = CPU_COUNT(&mask);
        s->mask_first = -1;
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &mask)) {
                s->mask_first = c;
                break;
            }
    }
    arrived++;
    pthread_cond_broadcast(&changed);
    int ok = wait_until(all_arrived, &n);
    if (!ok && index >= 0 && index < PAR_MAX_THREADS) {
        seen[index].waited_alone = 1;
        seen[index].running = arrived;
    }
    pthread_mutex_unlock(&lock);
}

struct probe_seen probe_seen(int index)
{
    __real_pthread_mutex_lock(&lock);
    struct probe_seen s = seen[index];
    pthread_mutex_unlock(&lock);
    return s;
}

const char *probe_mask_text(const cpu_set_t *set)
{
    static char text[256];
    size_t len = 0;
    text[0] = '\0';
    for (int c = 0; c < CPU_SETSIZE && len + 8 < sizeof text; c++)
        if (CPU_ISSET(c, set))
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%d", len ? "," : "", c);
    return text;
}

const char *probe_msg(const char *fmt, ...)
{
    static __thread char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return text;
}

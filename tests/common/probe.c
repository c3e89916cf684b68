/* The gate library of probe.h. */
#define _GNU_SOURCE
#include "probe.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

struct timespec kata_now(void)
{
    struct timespec t;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
    return t;
}

struct timespec kata_ts_add_ns(struct timespec t, long long ns)
{
    t.tv_sec += (time_t)(ns / KATA_NS_PER_SECOND);
    t.tv_nsec += (long)(ns % KATA_NS_PER_SECOND);
    if (t.tv_nsec >= KATA_NS_PER_SECOND) {
        t.tv_sec++;
        t.tv_nsec -= KATA_NS_PER_SECOND;
    }
    return t;
}

int kata_ts_before(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

double kata_ts_seconds(struct timespec t)
{
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int kata_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, struct timespec until)
{
    return pthread_cond_clockwait(c, m, CLOCK_MONOTONIC, &until);
}

int kata_gate_wait(struct kata_gate *g, int (*ready)(void *), void *what, long poll_ms)
{
    if (g->give_up_at.tv_sec == 0)
        g->give_up_at = kata_ts_add_ns(kata_now(), (long long)(g->seconds * 1e9));
    while (!ready(what) && !g->gave_up) {
        struct timespec until = g->give_up_at;
        if (poll_ms > 0) {
            struct timespec soon = kata_ts_add_ns(kata_now(), poll_ms * 1000000LL);
            if (kata_ts_before(soon, until))
                until = soon;
        }
        if (kata_cond_wait_until(&g->changed, g->lock, until) == ETIMEDOUT &&
            !kata_ts_before(kata_now(), g->give_up_at) && !ready(what)) {
            g->gave_up = 1;
            kata_gate_wake(g);
        }
    }
    return ready(what);
}

void kata_gate_wake(struct kata_gate *g)
{
    pthread_cond_broadcast(&g->changed);
}

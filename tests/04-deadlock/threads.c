/* 04-deadlock: pthread_create made to fail, and the threads already started
 * held until they are joined (see probes.h).  Its own lock is taken with
 * __real_pthread_mutex_lock, out of the lock tracker's sight. */
#include "probes.h"

#include "kata.h"

#include <errno.h>

int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kata_gate gate = KATA_GATE(&lock, 10);
static int armed, creates_left, created, joined, join_called;

struct held {
    void *(*fn)(void *);
    void *arg;
};
static struct held held[DL_PHILOSOPHERS];
static pthread_t started[DL_PHILOSOPHERS];

/* Whether t is one of the threads started while armed (the lock is held). */
static int is_started(pthread_t t)
{
    for (int i = 0; i < created; i++)
        if (pthread_equal(started[i], t))
            return 1;
    return 0;
}

static int join_was_called(void *p)
{
    (void)p;
    return join_called;
}

/* Waits, before the start routine runs, until one of the threads started
 * while armed is joined: a thread its creator never joins is still held
 * when the test checks. */
static void *held_start(void *p)
{
    struct held h = *(struct held *)p;
    __real_pthread_mutex_lock(&lock);
    kata_gate_wait(&gate, join_was_called, NULL, 0);
    __real_pthread_mutex_unlock(&lock);
    return h.fn(h.arg);
}

void probe_fail_create_after(int n)
{
    __real_pthread_mutex_lock(&lock);
    armed = n >= 0;
    creates_left = n;
    created = joined = join_called = 0;
    __real_pthread_mutex_unlock(&lock);
}

void probe_creates(int *made, int *joins)
{
    __real_pthread_mutex_lock(&lock);
    *made = created;
    *joins = joined;
    __real_pthread_mutex_unlock(&lock);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    __real_pthread_mutex_lock(&lock);
    int on = armed, refuse = armed && creates_left == 0, slot = created;
    if (on && !refuse)
        creates_left--;
    __real_pthread_mutex_unlock(&lock);
    if (!on)
        return __real_pthread_create(t, attr, fn, arg);
    if (refuse || slot >= DL_PHILOSOPHERS)
        return EAGAIN; /* as when the process may have no more threads */
    held[slot] = (struct held){fn, arg};
    int r = __real_pthread_create(t, attr, held_start, &held[slot]);
    __real_pthread_mutex_lock(&lock);
    if (r == 0)
        started[created++] = *t;
    __real_pthread_mutex_unlock(&lock);
    return r;
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    __real_pthread_mutex_lock(&lock);
    int ours = armed && is_started(t);
    join_called |= ours;
    kata_gate_wake(&gate);
    __real_pthread_mutex_unlock(&lock);
    int r = __real_pthread_join(t, ret);
    __real_pthread_mutex_lock(&lock);
    joined += ours && r == 0;
    __real_pthread_mutex_unlock(&lock);
    return r;
}

/* 03-race: wrappers, gates and the single-stepper shared by the tests (see
 * probes.h).  Every test runs in its own process, so this state starts fresh
 * each time.  Inside this file every mutex call is a __real_ one: the probes'
 * own lock is never recorded. */
#include "probes.h"

#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kata_gate gate = KATA_GATE(&lock, PROBE_WAIT_SECONDS);

static __thread int in_op; /* this thread runs one of the learner's operations */

static void p_lock(void)
{
    __real_pthread_mutex_lock(&lock);
}

static void p_unlock(void)
{
    __real_pthread_mutex_unlock(&lock);
}

/* ---- 1. lock tracking --------------------------------------------------- */

static pthread_mutex_t *watched;
static const long *watched_value;
static struct probe_log log_;
static int have_at_lock, have_at_unlock;
static int stop_where = -1, stop_taken, stopped, go;
static const pthread_mutex_t *stopped_mutex, *last_asked;

void probe_watch(pthread_mutex_t *m, const long *value)
{
    p_lock();
    watched = m;
    watched_value = value;
    memset(&log_, 0, sizeof log_);
    have_at_lock = have_at_unlock = 0;
    p_unlock();
}

void probe_log(struct probe_log *out)
{
    p_lock();
    *out = log_;
    p_unlock();
}

void probe_op(void (*fn)(void *), void *arg)
{
    in_op = 1;
    fn(arg);
    in_op = 0;
}

void probe_stop_first(enum probe_stop where)
{
    p_lock();
    stop_where = (int)where;
    stop_taken = stopped = go = 0;
    p_unlock();
}

static int is_stopped(void *p)
{
    (void)p;
    return stopped;
}

static int is_go(void *p)
{
    (void)p;
    return go;
}

static int enough_locks(void *p)
{
    return log_.locks >= *(int *)p;
}

int probe_wait_stopped(void)
{
    p_lock();
    int r = kata_gate_wait(&gate, is_stopped, NULL, 0);
    p_unlock();
    return r;
}

int probe_wait_locks(int n)
{
    p_lock();
    int r = kata_gate_wait(&gate, enough_locks, &n, 0);
    p_unlock();
    return r;
}

const pthread_mutex_t *probe_stopped_mutex(void)
{
    p_lock();
    const pthread_mutex_t *m = stopped_mutex;
    p_unlock();
    return m;
}

const pthread_mutex_t *probe_last_asked(void)
{
    p_lock();
    const pthread_mutex_t *m = last_asked;
    p_unlock();
    return m;
}

void probe_go(void)
{
    p_lock();
    go = 1;
    kata_gate_wake(&gate);
    p_unlock();
}

/* With `lock` held: if this is the first thread to reach `where`, stop it
 * there until probe_go. */
static void maybe_stop(int where, const pthread_mutex_t *m)
{
    if (stop_where != where || stop_taken)
        return;
    stop_taken = 1;
    stopped = 1;
    stopped_mutex = m;
    kata_gate_wake(&gate);
    kata_gate_wait(&gate, is_go, NULL, 0);
}

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    if (!in_op)
        return __real_pthread_mutex_lock(m);
    p_lock();
    log_.locks++;
    if (m == watched)
        log_.watched_locks++;
    else if (log_.other == NULL)
        log_.other = m;
    last_asked = m;
    kata_gate_wake(&gate);
    maybe_stop(PROBE_STOP_BEFORE_LOCK, m);
    p_unlock();

    int r = __real_pthread_mutex_lock(m);

    p_lock();
    if (m == watched && !have_at_lock) {
        log_.at_lock = *(volatile const long *)watched_value;
        have_at_lock = 1;
    }
    maybe_stop(PROBE_STOP_HOLDING_LOCK, m);
    p_unlock();
    return r;
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (!in_op)
        return __real_pthread_mutex_unlock(m);
    p_lock();
    log_.unlocks++;
    if (m == watched) {
        log_.watched_unlocks++;
        if (!have_at_unlock) {
            log_.at_unlock = *(volatile const long *)watched_value;
            have_at_unlock = 1;
        }
    }
    p_unlock();

    int r = __real_pthread_mutex_unlock(m);

    p_lock();
    maybe_stop(PROBE_STOP_AFTER_UNLOCK, m);
    p_unlock();
    return r;
}

static void *op_thread(void *p)
{
    struct probe_thread *t = p;
    probe_op(t->fn, t->arg);
    return NULL;
}

void probe_thread_start(struct probe_thread *t, void (*fn)(void *), void *arg)
{
    t->fn = fn;
    t->arg = arg;
    if (__real_pthread_create(&t->thread, NULL, op_thread, t) != 0) {
        fprintf(stderr, "probes: cannot start a thread\n");
        abort();
    }
}

void probe_thread_join(struct probe_thread *t)
{
    __real_pthread_join(t->thread, NULL);
}

/* ---- 2. held workers ---------------------------------------------------- */

static int holding, created, joined, join_called, join_calls;
static int join_fails_at = -1; /* the pthread_join call that reports EINVAL; < 0: none */

struct held_start {
    void *(*fn)(void *);
    void *arg;
};

void probe_hold_workers(int on)
{
    p_lock();
    holding = on;
    p_unlock();
}

int probe_created(void)
{
    p_lock();
    int n = created;
    p_unlock();
    return n;
}

int probe_joined(void)
{
    p_lock();
    int n = joined;
    p_unlock();
    return n;
}

void probe_fail_join_at(int n)
{
    p_lock();
    join_fails_at = n < 0 ? -1 : join_calls + n;
    p_unlock();
}

int probe_join_calls(void)
{
    p_lock();
    int n = join_calls;
    p_unlock();
    return n;
}

static int join_was_called(void *p)
{
    (void)p;
    return join_called;
}

static void *held_trampoline(void *p)
{
    struct held_start h = *(struct held_start *)p;
    free(p);
    p_lock();
    kata_gate_wait(&gate, join_was_called, NULL, 0);
    p_unlock();
    return h.fn(h.arg);
}

static int creates_left = -1; /* pthread_create calls that may still succeed; < 0: all */

void probe_fail_create_after(int n)
{
    p_lock();
    creates_left = n;
    p_unlock();
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    p_lock();
    int hold = holding, refuse = creates_left == 0;
    if (creates_left > 0)
        creates_left--;
    p_unlock();
    if (refuse)
        return EAGAIN; /* as when the process may have no more threads */
    if (!hold)
        return __real_pthread_create(t, attr, fn, arg);
    struct held_start *h = malloc(sizeof *h);
    if (h == NULL)
        return EAGAIN;
    h->fn = fn;
    h->arg = arg;
    int r = __real_pthread_create(t, attr, held_trampoline, h);
    if (r != 0) {
        free(h);
        return r;
    }
    p_lock();
    created++;
    p_unlock();
    return 0;
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    p_lock();
    join_called = 1;
    int fail = join_calls++ == join_fails_at;
    kata_gate_wake(&gate);
    p_unlock();
    int r = __real_pthread_join(t, ret);
    if (r == 0 && fail)
        return EINVAL; /* the thread is gone all the same: only the report fails */
    if (r == 0) {
        p_lock();
        joined++;
        p_unlock();
    }
    return r;
}

/* ---- 3. single-stepping ------------------------------------------------- */

#if PROBE_CAN_STEP

#define TRAP_FLAG 0x100L

static sigjmp_buf step_escape;
static volatile long step_count, step_at;
static void (*volatile step_other)(void *);
static void *volatile step_other_arg;
static volatile int step_interfered;
static void *volatile step_where;

static void on_step(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)info;
    ucontext_t *uc = ctx;
    step_count++;
    if (step_count == step_at && step_other != NULL) {
        step_where = (void *)uc->uc_mcontext.gregs[REG_RIP];
        step_other(step_other_arg);
        step_interfered = 1;
    }
    if (step_count > PROBE_STEP_LIMIT) {
        /* The kernel cleared the trap flag for this handler; jumping out
         * leaves it clear and abandons the endless loop. */
        siglongjmp(step_escape, 1);
    }
}

/* Sets the trap flag, calls fn(arg), clears the flag.  Every instruction in
 * between ends with a SIGTRAP. */
__attribute__((noinline)) static void stepped_call(void (*fn)(void *), void *arg)
{
    __asm__ volatile("pushfq; orq %0, (%%rsp); popfq" : : "i"(TRAP_FLAG) : "memory", "cc");
    fn(arg);
    __asm__ volatile("pushfq; andq %0, (%%rsp); popfq" : : "i"(~TRAP_FLAG) : "memory", "cc");
}

struct probe_step probe_step_run(void (*fn)(void *), void *arg, long at, void (*other)(void *),
                                 void *other_arg)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_step;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTRAP, &sa, &old);

    step_count = 0;
    step_at = at;
    step_other = other;
    step_other_arg = other_arg;
    step_interfered = 0;
    step_where = NULL;
    struct probe_step r = {0, 0, 0, NULL};
    if (sigsetjmp(step_escape, 1) == 0) {
        stepped_call(fn, arg);
        r.finished = 1;
    }
    sigaction(SIGTRAP, &old, NULL);
    r.steps = step_count;
    r.interfered = step_interfered;
    r.where = step_where;
    return r;
}

#else

struct probe_step probe_step_run(void (*fn)(void *), void *arg, long at, void (*other)(void *),
                                 void *other_arg)
{
    (void)fn;
    (void)arg;
    (void)at;
    (void)other;
    (void)other_arg;
    struct probe_step r = {0, 0, 0, NULL};
    return r;
}

#endif

void probe_code_name(const void *pc, char *buf, size_t size)
{
    Dl_info info;
    if (pc != NULL && dladdr(pc, &info) != 0 && info.dli_sname != NULL)
        snprintf(buf, size, "%s+0x%lx", info.dli_sname,
                 (unsigned long)((const char *)pc - (const char *)info.dli_saddr));
    else
        snprintf(buf, size, "%p", pc);
}

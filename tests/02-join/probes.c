/* 02-join: gates, recorders and wrappers shared by the tests (see probes.h).
 * Every test runs in its own process, so this state starts fresh each time. */
#include "probes.h"

#include "kata.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_setname_np(pthread_t t, const char *name);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kata_gate gate = KATA_GATE(&lock, PROBE_WAIT_SECONDS);
static struct probe_view view;
static int released;
static pthread_t joined[64];
static int joined_count;
static struct join_done *watched;
static int waited_on_done, waited_after_done, sleeps_on_done;
static struct probe_naming namings[PROBE_MAX];
static int naming_count;
static pthread_t waiter;
static pthread_t created[64]; /* joinable threads the code under test created */
static int created_count;
static int waiter_returned;

/* ---- clocks ------------------------------------------------------------- */

static pthread_t clock_thread;
static int recording, shifting, have_shift, call_count;
static clockid_t calls[PROBE_MAX];
static struct timespec shift;

void probe_clock_record(void)
{
    clock_thread = pthread_self();
    recording = 1;
}

void probe_clock_shift(void)
{
    clock_thread = pthread_self();
    shifting = 1;
}

void probe_clock_stop(void)
{
    recording = shifting = 0;
}

int probe_clock_calls(clockid_t ids[PROBE_MAX])
{
    memcpy(ids, calls, sizeof calls);
    return call_count;
}

int __wrap_clock_gettime(clockid_t id, struct timespec *ts)
{
    int r = __real_clock_gettime(id, ts);
    if (r != 0 || !(recording || shifting) || !pthread_equal(pthread_self(), clock_thread))
        return r;
    if (recording && call_count < PROBE_MAX)
        calls[call_count++] = id;
    if (shifting) {
        if (!have_shift) {
            shift.tv_sec = 7;
            shift.tv_nsec = (950000000L - ts->tv_nsec + 1000000000L) % 1000000000L;
            have_shift = 1;
        }
        ts->tv_sec += shift.tv_sec;
        ts->tv_nsec += shift.tv_nsec;
        if (ts->tv_nsec >= 1000000000L) {
            ts->tv_sec++;
            ts->tv_nsec -= 1000000000L;
        }
    }
    return r;
}

/* ---- gates -------------------------------------------------------------- */

static int count_at_least(void *p)
{
    const int *want = p;
    return view.arrived >= want[0] && (want[1] == 0 || view.finished >= want[1]);
}

static int is_released(void *p)
{
    (void)p;
    return released;
}

static int is_joined(void *p)
{
    for (int i = 0; i < joined_count; i++)
        if (pthread_equal(joined[i], *(pthread_t *)p))
            return 1;
    return 0;
}

static int caller_sleeps(void *p)
{
    (void)p;
    return waited_on_done;
}

static int has_arrived(void *p)
{
    for (int i = 0; i < view.arrived && i < PROBE_MAX; i++)
        if (pthread_equal(view.w[i].self, *(pthread_t *)p))
            return 1;
    return 0;
}

static int waiter_slept_or_returned(void *p)
{
    return sleeps_on_done >= *(int *)p || waiter_returned;
}

static int waiter_has_returned(void *p)
{
    (void)p;
    return waiter_returned;
}

void probe_snapshot(struct probe_view *v)
{
    pthread_mutex_lock(&lock);
    *v = view;
    v->gave_up = gate.gave_up;
    pthread_mutex_unlock(&lock);
}

int probe_wait_arrived(int n)
{
    int want[2] = {n, 0};
    pthread_mutex_lock(&lock);
    kata_gate_wait(&gate, count_at_least, want, 0);
    int got = view.arrived;
    pthread_mutex_unlock(&lock);
    return got;
}

int probe_wait_finished(int n)
{
    int want[2] = {0, n};
    pthread_mutex_lock(&lock);
    kata_gate_wait(&gate, count_at_least, want, 0);
    int got = view.finished;
    pthread_mutex_unlock(&lock);
    return got;
}

void probe_release(void)
{
    pthread_mutex_lock(&lock);
    released = 1;
    kata_gate_wake(&gate);
    pthread_mutex_unlock(&lock);
}

int probe_was_joined(pthread_t t)
{
    pthread_mutex_lock(&lock);
    int r = is_joined(&t);
    pthread_mutex_unlock(&lock);
    return r;
}

void probe_watch_done(struct join_done *done)
{
    pthread_mutex_lock(&lock);
    watched = done;
    pthread_mutex_unlock(&lock);
}

int probe_waited_on_done(void)
{
    pthread_mutex_lock(&lock);
    int r = waited_on_done;
    pthread_mutex_unlock(&lock);
    return r;
}

int probe_waited_after_done(void)
{
    pthread_mutex_lock(&lock);
    int r = waited_after_done;
    pthread_mutex_unlock(&lock);
    return r;
}

static void *waiter_main(void *p)
{
    join_wait_done(p);
    pthread_mutex_lock(&lock);
    waiter_returned = 1;
    kata_gate_wake(&gate);
    pthread_mutex_unlock(&lock);
    return NULL;
}

void probe_waiter_start(struct join_done *done)
{
    probe_watch_done(done);
    if (pthread_create(&waiter, NULL, waiter_main, done) != 0) {
        fprintf(stderr, "probes: cannot start the waiting thread\n");
        abort();
    }
}

struct probe_waiter probe_waiter_wait(int sleeps)
{
    pthread_mutex_lock(&lock);
    kata_gate_wait(&gate, waiter_slept_or_returned, &sleeps, 0);
    struct probe_waiter w = {sleeps_on_done, waiter_returned};
    pthread_mutex_unlock(&lock);
    return w;
}

void probe_waiter_end(void)
{
    pthread_mutex_lock(&lock);
    int returned = kata_gate_wait(&gate, waiter_has_returned, NULL, 0);
    pthread_mutex_unlock(&lock);
    if (returned)
        __real_pthread_join(waiter, NULL);
    else
        pthread_detach(waiter); /* stuck in join_wait_done: the test fails anyway */
}

int probe_namings(struct probe_naming out[PROBE_MAX])
{
    pthread_mutex_lock(&lock);
    memcpy(out, namings, sizeof namings);
    int n = naming_count;
    pthread_mutex_unlock(&lock);
    return n;
}

/* ---- wrappers ------------------------------------------------------------ */

/* Records every joinable thread, so that a thread nobody joins is named
 * whether or not it has run yet (the harness's and the probes' own threads
 * are made before any test call, or detached). */
static int creates_left = -1;            /* pthread_create calls that may still succeed; < 0: all */
static int create_calls;                 /* pthread_create calls of the code under test */
static int armed_created, armed_arrived; /* created_count and view.arrived when armed */

void probe_fail_create_after(int n)
{
    pthread_mutex_lock(&lock);
    creates_left = n;
    armed_created = created_count;
    armed_arrived = view.arrived;
    pthread_mutex_unlock(&lock);
}

int probe_create_calls(void)
{
    pthread_mutex_lock(&lock);
    int n = create_calls;
    pthread_mutex_unlock(&lock);
    return n;
}

/* A refused call first waits until the threads made before it have begun
 * their work: they no longer read what their creator gave them, so a
 * creator that gives up on them cannot pull it from under them. */
static int refused_create(void)
{
    int want[2] = {armed_arrived + created_count - armed_created, 0};
    kata_gate_wait(&gate, count_at_least, want, 0);
    pthread_mutex_unlock(&lock);
    return EAGAIN; /* as when the process may have no more threads */
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    int state = PTHREAD_CREATE_JOINABLE;
    if (attr != NULL)
        pthread_attr_getdetachstate(attr, &state);
    pthread_mutex_lock(&lock);
    if (fn != waiter_main)
        create_calls++;
    if (fn != waiter_main && creates_left == 0)
        return refused_create();
    if (fn != waiter_main && creates_left > 0)
        creates_left--;
    pthread_mutex_unlock(&lock);
    int r = __real_pthread_create(t, attr, fn, arg);
    pthread_mutex_lock(&lock);
    if (r == 0 && state == PTHREAD_CREATE_JOINABLE && fn != waiter_main && created_count < 64)
        created[created_count++] = *t;
    pthread_mutex_unlock(&lock);
    return r;
}

int probe_created(void)
{
    pthread_mutex_lock(&lock);
    int n = created_count;
    pthread_mutex_unlock(&lock);
    return n;
}

int probe_unjoined(int from)
{
    pthread_mutex_lock(&lock);
    int n = 0;
    for (int i = from; i < created_count; i++)
        n += !is_joined(&created[i]);
    pthread_mutex_unlock(&lock);
    return n;
}

void probe_assert_joined(int from, const char *who)
{
    int made = probe_created() - from, left = probe_unjoined(from);
    cr_assert(left == 0,
              KATA_MSG("%s returned, but %d of the %d worker threads were never passed to "
                       "pthread_join: join_finish must wait for every worker with "
                       "pthread_join (its result comes back through it) before it frees the "
                       "team; a thread nobody joins stays behind with its result",
                       "%1$s 返回了，可 %3$d 个工作线程里有 %2$d 个从没被传给 pthread_join："
                       "join_finish 必须先用 pthread_join 等每个工作线程结束（结果正是经由它"
                       "交回的），再释放 team；没人 join 的线程会连同它的结果一起留下",
                       who, left, made));
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    pthread_mutex_lock(&lock);
    if (joined_count < 64)
        joined[joined_count++] = t;
    kata_gate_wake(&gate);
    pthread_mutex_unlock(&lock);
    return __real_pthread_join(t, ret);
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    pthread_mutex_lock(&lock);
    struct join_done *done = watched;
    int already = 0;
    if (done != NULL && c == &done->cond) {
        already = done->done; /* the caller holds done->lock */
        if (already)
            waited_after_done = 1;
        else {
            waited_on_done = 1;
            sleeps_on_done++;
        }
        kata_gate_wake(&gate);
    }
    pthread_mutex_unlock(&lock);
    if (already)
        return 0; /* a spurious wake-up, which POSIX allows: better than hanging */
    return __real_pthread_cond_wait(c, m);
}

int __wrap_pthread_setname_np(pthread_t t, const char *name)
{
    pthread_t self = pthread_self();
    pthread_mutex_lock(&lock);
    if (naming_count < PROBE_MAX) {
        struct probe_naming *n = &namings[naming_count++];
        n->caller = self;
        n->target = t;
        snprintf(n->name, sizeof n->name, "%s", name != NULL ? name : "");
    }
    kata_gate_wake(&gate);
    /* Named from outside: let the race end the way it can always end, with
     * the worker already running its work, still unnamed. */
    if (!pthread_equal(t, self))
        kata_gate_wait(&gate, has_arrived, &t, 0);
    pthread_mutex_unlock(&lock);
    return __real_pthread_setname_np(t, name);
}

/* ---- work functions ------------------------------------------------------ */

static struct probe_worker *arrive(int index, void *arg)
{
    char name[16] = "";
    pthread_getname_np(pthread_self(), name, sizeof name); /* before anyone else can */
    pthread_mutex_lock(&lock);
    struct probe_worker *w = &view.w[view.arrived < PROBE_MAX ? view.arrived : PROBE_MAX - 1];
    memcpy(w->name, name, sizeof name);
    w->arrived = 1;
    w->index = index;
    w->arg = arg;
    w->tid = (pid_t)syscall(SYS_gettid);
    w->self = pthread_self();
    w->detached = -1;
    view.arrived++;
    kata_gate_wake(&gate);
    return w; /* with the lock held */
}

static long leave(struct probe_worker *w, int ok, int index)
{
    if (!ok) {
        w->gave_up = 1;
        w->running_with = view.arrived - view.finished;
    }
    w->finished = 1;
    view.finished++;
    kata_gate_wake(&gate);
    pthread_mutex_unlock(&lock);
    return PROBE_RESULT(index);
}

long held_work(int index, void *arg)
{
    struct probe_worker *w = arrive(index, arg);
    int ok = kata_gate_wait(&gate, is_released, NULL, 0);
    return leave(w, ok, index);
}

long joined_work(int index, void *arg)
{
    struct probe_worker *w = arrive(index, arg);
    pthread_t self = pthread_self();
    int ok = kata_gate_wait(&gate, is_joined, &self, 0);
    return leave(w, ok, index);
}

long barrier_work(int index, void *arg)
{
    struct probe_worker *w = arrive(index, arg);
    int want[2] = {*(int *)arg, 0};
    int ok = kata_gate_wait(&gate, count_at_least, want, 0);
    return leave(w, ok, index);
}

long sleepy_work(int index, void *arg)
{
    struct probe_worker *w = arrive(index, arg);
    pthread_mutex_unlock(&lock);
    struct timespec t = {0, 20000000L * (index + 1)};
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
    pthread_mutex_lock(&lock);
    leave(w, 1, index);
    return index;
}

long detach_work(int index, void *arg)
{
    struct probe_worker *w = arrive(index, arg);
    int ok = kata_gate_wait(&gate, is_released, NULL, 0);
    pthread_attr_t attr;
    int state;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getdetachstate(&attr, &state) == 0)
            w->detached = state == PTHREAD_CREATE_DETACHED;
        pthread_attr_destroy(&attr);
    }
    return leave(w, ok, index);
}

long wait_gated_work(int index, void *arg)
{
    struct probe_worker *w = arrive(index, arg);
    int ok = kata_gate_wait(&gate, caller_sleeps, NULL, 0);
    return leave(w, ok, index);
}

long quick_work(int index, void *arg)
{
    struct probe_worker *w = arrive(index, arg);
    return leave(w, 1, index);
}

int probe_wait_threads_ended(void)
{
    struct probe_view v;
    probe_snapshot(&v);
    int alive = v.arrived;
    for (int tries = 0; tries < (int)(PROBE_WAIT_SECONDS * 1000) && alive > 0; tries++) {
        alive = 0;
        for (int i = 0; i < v.arrived && i < PROBE_MAX; i++) {
            char path[64];
            snprintf(path, sizeof path, "/proc/self/task/%d", (int)v.w[i].tid);
            alive += access(path, F_OK) == 0;
        }
        if (alive > 0)
            usleep(1000);
    }
    return alive == 0;
}

void probe_thread_name(pid_t tid, char name[64])
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
    name[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, name, 63);
    close(fd);
    if (n < 0)
        n = 0;
    name[n] = '\0';
    if (n > 0 && name[n - 1] == '\n')
        name[n - 1] = '\0';
}

const char *probe_error(int err)
{
    static const struct {
        int err;
        const char *words;
        const char *zh;
    } known[] = {
        {ENOSYS, "ENOSYS: still the stub", "ENOSYS：仍然是桩代码"},
        {EAGAIN, "EAGAIN: Resource temporarily unavailable", "EAGAIN：资源暂时不可用"},
        {EINVAL, "EINVAL: Invalid argument", "EINVAL：参数无效"},
        {ENOMEM, "ENOMEM: Cannot allocate memory", "ENOMEM：内存分配失败"},
        {ESRCH, "ESRCH: No such thread", "ESRCH：没有这个线程"},
        {EDEADLK, "EDEADLK: a thread joining itself, or a deadlock",
         "EDEADLK：线程 join 了自己，或者发生了死锁"},
        {EPERM, "EPERM: Operation not permitted", "EPERM：操作不被允许"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (known[i].err == err)
            return KATA_TR(known[i].words, known[i].zh);
    return strerror(err);
}

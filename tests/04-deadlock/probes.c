/* 04-deadlock: the lock tracker and the wrappers (see probes.h).
 * Every test runs in its own process, so this state starts fresh each time. */
#include "probes.h"

#include "kata.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);
int __real_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int __real_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);
int __real_nanosleep(const struct timespec *req, struct timespec *rem);
int __real_usleep(useconds_t us);
int __real_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                           struct timespec *rem);
int __real_sched_yield(void);

#define MAX_MUTEXES 64
#define MAX_THREADS 32
#define MAX_EVENTS 512
#define MAX_HELD 16

struct mutex_rec {
    const pthread_mutex_t *addr;
    char name[32];
    int named;  /* an account or a fork */
    int index;  /* its number, or -1 */
    int holder; /* thread record, or -1 */
};

struct thread_rec {
    char label[96];
    int participant, finished, at_gate;
    int held[MAX_HELD], nheld;
    int waiting;    /* the mutex it waits for, or -1 */
    int force_busy; /* trylocks still to fail */
    int nevents;
    struct probe_event events[MAX_EVENTS];
};

/* The tracker's own lock and wake-up, used only through __real_ calls. */
static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tcond = PTHREAD_COND_INITIALIZER;

static struct mutex_rec mutexes[MAX_MUTEXES];
static int nmutexes;
static struct thread_rec threads[MAX_THREADS];
static int nthreads;
static __thread int my_index = -1;

static unsigned char edge[MAX_MUTEXES][MAX_MUTEXES];  /* lock-order graph */
static signed char edge_by[MAX_MUTEXES][MAX_MUTEXES]; /* which thread first took A then B */

static struct dl_account *accounts[PROBE_BALANCES];
static int naccounts, watch_balances;

static int gate_participants, gate_armed, gate_open;
static int deadlocked, stop_waiting;
static char deadlock_text[1024];

static void explain(FILE *out);

__attribute__((constructor)) static void probes_init(void)
{
    kata_on_timeout(explain);
}

/* Threads on their way into the tracker: they are about to do something. */
static int entering;

static void tracker_lock(void)
{
    __atomic_add_fetch(&entering, 1, __ATOMIC_SEQ_CST);
    __real_pthread_mutex_lock(&tlock);
    __atomic_sub_fetch(&entering, 1, __ATOMIC_SEQ_CST);
}

static void tracker_unlock(void)
{
    __real_pthread_mutex_unlock(&tlock);
}

/* ---- records (with tlock held) ------------------------------------------ */

static struct thread_rec *me(void)
{
    if (my_index < 0 && nthreads < MAX_THREADS) {
        my_index = nthreads++;
        struct thread_rec *t = &threads[my_index];
        memset(t, 0, sizeof *t);
        t->waiting = -1;
        snprintf(t->label, sizeof t->label, kata_zh() ? "线程 #%d" : "thread #%d", my_index);
    }
    return my_index < 0 ? NULL : &threads[my_index];
}

static int find_mutex(const pthread_mutex_t *m)
{
    for (int i = 0; i < nmutexes; i++)
        if (mutexes[i].addr == m)
            return i;
    return -1;
}

static int mutex_index(const pthread_mutex_t *m)
{
    int i = find_mutex(m);
    if (i >= 0 || nmutexes >= MAX_MUTEXES)
        return i;
    i = nmutexes++;
    mutexes[i] = (struct mutex_rec){.addr = m, .named = 0, .index = -1, .holder = -1};
    Dl_info info; /* a global mutex is named (the test program is linked with -rdynamic) */
    if (dladdr((const void *)m, &info) && info.dli_sname && info.dli_saddr == (const void *)m)
        snprintf(mutexes[i].name, sizeof mutexes[i].name, "`%s`", info.dli_sname);
    else
        snprintf(mutexes[i].name, sizeof mutexes[i].name,
                 kata_zh() ? "互斥锁 %p" : "the mutex at %p", (const void *)m);
    return i;
}

static void name_mutex(const pthread_mutex_t *m, const char *en, const char *zh, int index)
{
    tracker_lock();
    int i = mutex_index(m);
    if (i >= 0) {
        snprintf(mutexes[i].name, sizeof mutexes[i].name, "%s %d", kata_zh() ? zh : en, index);
        mutexes[i].named = 1;
        mutexes[i].index = index;
        mutexes[i].holder = -1;
    }
    tracker_unlock();
}

static int named_held(const struct thread_rec *t)
{
    int n = 0;
    for (int i = 0; i < t->nheld; i++)
        n += mutexes[t->held[i]].named;
    return n;
}

static void record(struct thread_rec *t, enum probe_kind kind, int mi, long ns)
{
    if (t->nevents >= MAX_EVENTS)
        return;
    struct probe_event *e = &t->events[t->nevents++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->index = -1;
    if (mi >= 0) {
        snprintf(e->what, sizeof e->what, "%s", mutexes[mi].name);
        e->named = mutexes[mi].named;
        e->index = mutexes[mi].index;
    }
    e->held = named_held(t);
    e->nanoseconds = ns;
    /* Single-threaded tests only: a read of another account's balance. */
    for (int i = 0; watch_balances && i < naccounts; i++)
        e->balance[i] = accounts[i]->balance;
}

static void acquired(struct thread_rec *t, int mi, enum probe_kind kind)
{
    record(t, kind, mi, 0);
    if (kind == PROBE_LOCK) /* trylock never waits, so it adds no order */
        for (int i = 0; i < t->nheld; i++) {
            int h = t->held[i];
            if (!edge[h][mi]) {
                edge[h][mi] = 1;
                edge_by[h][mi] = (signed char)(t - threads);
            }
        }
    if (t->nheld < MAX_HELD)
        t->held[t->nheld++] = mi;
    mutexes[mi].holder = (int)(t - threads);
}

static void released(struct thread_rec *t, int mi)
{
    for (int i = 0; i < t->nheld; i++)
        if (t->held[i] == mi) {
            t->held[i] = t->held[--t->nheld];
            break;
        }
    mutexes[mi].holder = -1;
    record(t, PROBE_UNLOCK, mi, 0);
}

/* "thread 1 holds account 0 and waits for account 1; thread 2 holds ...":
 * the cycle through t, if t's wait closes one. */
static int find_cycle(int t, char *out, size_t size)
{
    int chain[MAX_THREADS], n = 0, cur = t;
    while (n < MAX_THREADS) {
        chain[n++] = cur;
        int w = threads[cur].waiting;
        if (w < 0)
            return 0;
        cur = mutexes[w].holder;
        if (cur < 0)
            return 0;
        if (cur == t)
            break;
        for (int i = 0; i < n; i++)
            if (chain[i] == cur)
                return 0; /* a cycle that does not pass through t: reported by its own closer */
    }
    if (cur != t)
        return 0;
    int start = 0; /* the lowest-numbered thread first, for a stable text */
    for (int i = 1; i < n; i++)
        if (chain[i] < chain[start])
            start = i;
    size_t used = 0;
    for (int k = 0; k < n && used < size; k++) {
        int i = (start + k) % n, before = (i + n - 1) % n;
        const struct thread_rec *r = &threads[chain[i]];
        used += (size_t)snprintf(
            out + used, size - used,
            kata_zh() ? "%s%s 持有%s，在等%s" : "%s%s holds %s and waits for %s",
            k ? (kata_zh() ? "；" : "; ") : "", r->label,
            mutexes[threads[chain[before]].waiting].name, mutexes[r->waiting].name);
    }
    return 1;
}

/* ---- waiting for the others, without a stopwatch --------------------------- */

/* Whether no other thread of this process can make progress on its own:
 * every one is asleep in the kernel on a futex (a mutex, a condition
 * variable, a join) or on something else that is not a timed sleep, and
 * none is on its way into the tracker.  A thread that runs, or sleeps for a
 * while (nanosleep) and will wake by itself, is not idle.  With tlock held. */
static int others_idle_once(void)
{
    if (__atomic_load_n(&entering, __ATOMIC_SEQ_CST) > 0)
        return 0;
    pid_t self = (pid_t)syscall(SYS_gettid);
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return 0;
    int idle = 1;
    struct dirent *e;
    while (idle && (e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == self)
            continue;
        char path[96], buf[512] = "";
        snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(buf, sizeof buf, f))
                buf[0] = '\0';
            fclose(f);
        }
        if (strncmp(buf, "kata-watchdog", 13) == 0)
            continue; /* the harness's own, asleep until the time is up */
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
        f = fopen(path, "r");
        char state = '?';
        if (f) {
            if (fgets(buf, sizeof buf, f)) {
                char *p = strrchr(buf, ')');
                if (p && p[1] == ' ')
                    state = p[2];
            }
            fclose(f);
        }
        if (state != 'S') {
            idle = 0;
            break;
        }
        long nr = -1;
        snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
        f = fopen(path, "r");
        if (f) {
            if (fscanf(f, "%ld", &nr) != 1)
                nr = -1;
            fclose(f);
        }
        if (nr == SYS_nanosleep || nr == SYS_clock_nanosleep || nr < 0)
            idle = 0;
    }
    closedir(d);
    return idle;
}

/* Waits on tcond (tlock held) until ready() holds or the others are idle
 * (seen twice, 20 ms apart); returns ready(). */
static int wait_for(int (*ready)(void))
{
    int idle_seen = 0;
    while (!ready()) {
        struct timespec t = kata_ts_add_ns(kata_now(), 20000000LL);
        if (kata_cond_wait_until(&tcond, &tlock, t) != ETIMEDOUT || ready()) {
            idle_seen = 0;
            continue;
        }
        idle_seen = others_idle_once() ? idle_seen + 1 : 0;
        if (idle_seen >= 2)
            break;
    }
    return ready();
}

/* ---- the gate -------------------------------------------------------------- */

/* Whether the thread's latest attempt at a lock was a trylock that failed:
 * it is reaching for a fork or account that someone holds. */
static int trying(const struct thread_rec *t)
{
    for (int i = t->nevents - 1; i >= 0; i--) {
        enum probe_kind k = t->events[i].kind;
        if (k == PROBE_TRY_BUSY)
            return 1;
        if (k != PROBE_SLEEP && k != PROBE_YIELD)
            return 0;
    }
    return 0;
}

static int gate_ready(void)
{
    if (gate_open)
        return 1;
    int ready = 0;
    for (int i = 0; i < nthreads; i++) {
        const struct thread_rec *t = &threads[i];
        if (t->participant && (t->finished || named_held(t) > 0 || trying(t) ||
                               /* waits for a lock someone holds: it will really block */
                               (t->waiting >= 0 && mutexes[t->waiting].holder >= 0)))
            ready++;
    }
    return ready >= gate_participants;
}

static void gate(struct thread_rec *t, int mi)
{
    if (!gate_armed || gate_open || !t->participant || !mutexes[mi].named || named_held(t) != 1)
        return;
    t->at_gate = 1;
    pthread_cond_broadcast(&tcond);
    /* No time limit: the others either reach for a lock, or stop where
     * nothing can wake them (then the gate opens), or the watchdog ends
     * the test. */
    wait_for(gate_ready);
    gate_open = 1; /* one-shot: from now on nobody waits here */
    t->at_gate = 0;
    pthread_cond_broadcast(&tcond);
}

/* ---- the wrappers ------------------------------------------------------------ */

int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    tracker_lock();
    struct thread_rec *t = me();
    int mi = mutex_index(m);
    if (t == NULL || mi < 0) {
        tracker_unlock();
        return __real_pthread_mutex_lock(m);
    }
    if (mutexes[mi].holder == my_index) {
        /* A normal mutex locked again by its holder never opens: say so
         * instead of hanging. */
        record(t, PROBE_RELOCK, mi, 0);
        tracker_unlock();
        return EDEADLK;
    }
    t->waiting = mi;
    pthread_cond_broadcast(&tcond); /* the gate counts waiting threads */
    if (!deadlocked && find_cycle(my_index, deadlock_text, sizeof deadlock_text)) {
        deadlocked = 1;
        pthread_cond_broadcast(&tcond);
    }
    tracker_unlock();
    int r = __real_pthread_mutex_lock(m);
    tracker_lock();
    t->waiting = -1;
    if (r == 0) {
        acquired(t, mi, PROBE_LOCK);
        gate(t, mi);
    }
    tracker_unlock();
    return r;
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
    tracker_lock();
    struct thread_rec *t = me();
    int mi = mutex_index(m);
    if (t == NULL || mi < 0) {
        tracker_unlock();
        return __real_pthread_mutex_trylock(m);
    }
    if (t->force_busy > 0 && mutexes[mi].named && named_held(t) > 0) {
        t->force_busy--;
        record(t, PROBE_TRY_BUSY, mi, 0);
        tracker_unlock();
        return EBUSY;
    }
    int r = __real_pthread_mutex_trylock(m); /* never waits: safe under tlock */
    if (r == 0) {
        acquired(t, mi, PROBE_TRY_OK);
        gate(t, mi);
    } else {
        record(t, PROBE_TRY_BUSY, mi, 0);
    }
    tracker_unlock();
    return r;
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
    tracker_lock();
    struct thread_rec *t = me();
    int mi = mutex_index(m);
    if (t == NULL || mi < 0) {
        tracker_unlock();
        return __real_pthread_mutex_unlock(m);
    }
    if (mutexes[mi].holder != my_index) {
        /* Unlocking a mutex one does not hold is undefined: record it, and
         * do not pass it on (it could open another thread's lock). */
        record(t, PROBE_BAD_UNLOCK, mi, 0);
        tracker_unlock();
        return EPERM;
    }
    released(t, mi);
    int r = __real_pthread_mutex_unlock(m);
    pthread_cond_broadcast(&tcond);
    tracker_unlock();
    return r;
}

/* A condition wait releases the mutex while it sleeps and takes it back. */
static int cond_wait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *until)
{
    tracker_lock();
    struct thread_rec *t = me();
    int mi = find_mutex(m);
    if (t != NULL && mi >= 0 && mutexes[mi].holder == my_index)
        released(t, mi);
    else
        mi = -1;
    tracker_unlock();
    int r = until ? __real_pthread_cond_timedwait(c, m, until) : __real_pthread_cond_wait(c, m);
    if (mi >= 0) {
        tracker_lock();
        acquired(t, mi, PROBE_TRY_OK); /* taken back, without adding an order */
        tracker_unlock();
    }
    return r;
}

int __wrap_pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    return cond_wait(c, m, NULL);
}

int __wrap_pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                  const struct timespec *until)
{
    return cond_wait(c, m, until);
}

/* Pauses are recorded only for threads the tracker already knows. */
static void paused(enum probe_kind kind, long ns)
{
    if (my_index < 0)
        return;
    tracker_lock();
    record(&threads[my_index], kind, -1, ns);
    tracker_unlock();
}

int __wrap_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (req)
        paused(PROBE_SLEEP, (long)req->tv_sec * 1000000000L + req->tv_nsec);
    return __real_nanosleep(req, rem);
}

int __wrap_usleep(useconds_t us)
{
    paused(PROBE_SLEEP, (long)us * 1000L);
    return __real_usleep(us);
}

int __wrap_clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                           struct timespec *rem)
{
    if (req && my_index >= 0) {
        long ns = (long)req->tv_sec * 1000000000L + req->tv_nsec;
        if (flags & TIMER_ABSTIME) {
            struct timespec now;
            clock_gettime(clk, &now);
            ns -= (long)now.tv_sec * 1000000000L + now.tv_nsec;
        }
        paused(PROBE_SLEEP, ns);
    }
    return __real_clock_nanosleep(clk, flags, req, rem);
}

int __wrap_sched_yield(void)
{
    paused(PROBE_YIELD, 0);
    return __real_sched_yield();
}

/* ---- the tests' side ----------------------------------------------------------- */

void probe_accounts(struct dl_account *a, int n, const long *balances)
{
    for (int i = 0; i < n; i++) {
        pthread_mutex_init(&a[i].lock, NULL);
        a[i].id = i;
        a[i].balance = balances[i];
        name_mutex(&a[i].lock, "account", "账户", i);
        tracker_lock();
        if (naccounts < PROBE_BALANCES)
            accounts[naccounts++] = &a[i];
        tracker_unlock();
    }
}

void probe_forks(pthread_mutex_t *f, int n)
{
    for (int i = 0; i < n; i++) {
        pthread_mutex_init(&f[i], NULL);
        name_mutex(&f[i], "fork", "叉子", i);
    }
}

void probe_label(const char *fmt, ...)
{
    tracker_lock();
    struct thread_rec *t = me();
    if (t) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->label, sizeof t->label, fmt, ap);
        va_end(ap);
        t->participant = 1;
    }
    pthread_cond_broadcast(&tcond);
    tracker_unlock();
}

void probe_finished(void)
{
    tracker_lock();
    struct thread_rec *t = me();
    if (t)
        t->finished = 1;
    pthread_cond_broadcast(&tcond);
    tracker_unlock();
}

void probe_gate(int participants)
{
    tracker_lock();
    gate_participants = participants;
    gate_armed = 1;
    tracker_unlock();
}

void probe_force_busy(int n)
{
    tracker_lock();
    struct thread_rec *t = me();
    if (t)
        t->force_busy = n;
    tracker_unlock();
}

int probe_wait_done(int n, char *why, size_t size)
{
    tracker_lock();
    for (;;) {
        int finished = 0;
        for (int i = 0; i < nthreads; i++)
            finished += threads[i].participant && threads[i].finished;
        if (finished >= n || deadlocked || stop_waiting)
            break;
        /* No time limit here: a run that neither ends nor deadlocks is the
         * watchdog's, and its report includes explain() below. */
        __real_pthread_cond_wait(&tcond, &tlock);
    }
    int ok = !deadlocked;
    if (!ok)
        snprintf(why, size, "%s", deadlock_text);
    tracker_unlock();
    return ok;
}

static int met, meet_want, turn;

static int all_met(void)
{
    return met >= meet_want;
}

int probe_meet(int n)
{
    tracker_lock();
    met++;
    meet_want = n;
    pthread_cond_broadcast(&tcond);
    wait_for(all_met); /* or until nobody else can come */
    int r = met;
    tracker_unlock();
    return r;
}

void probe_turn_wait(int k)
{
    tracker_lock();
    while (turn < k)
        __real_pthread_cond_wait(&tcond, &tlock); /* a turn that never comes: the watchdog's */
    tracker_unlock();
}

void probe_turn_next(void)
{
    tracker_lock();
    turn++;
    pthread_cond_broadcast(&tcond);
    tracker_unlock();
}

void probe_stop_waiting(void)
{
    tracker_lock();
    stop_waiting = 1;
    pthread_cond_broadcast(&tcond);
    tracker_unlock();
}

/* Depth-first search for a cycle in the lock-order graph. */
static int dfs(int v, int *state, int *path, int depth, int *cycle_start)
{
    state[v] = 1;
    path[depth] = v;
    for (int w = 0; w < nmutexes; w++) {
        if (!edge[v][w])
            continue;
        if (state[w] == 1) {
            for (int i = 0; i <= depth; i++)
                if (path[i] == w)
                    *cycle_start = i;
            return depth + 1;
        }
        if (state[w] == 0) {
            int len = dfs(w, state, path, depth + 1, cycle_start);
            if (len)
                return len;
        }
    }
    state[v] = 2;
    return 0;
}

int probe_order_cycle(char *why, size_t size)
{
    tracker_lock();
    int state[MAX_MUTEXES] = {0}, path[MAX_MUTEXES], start = 0, len = 0;
    for (int v = 0; v < nmutexes && !len; v++)
        if (state[v] == 0)
            len = dfs(v, state, path, 0, &start);
    size_t used = 0;
    why[0] = '\0';
    for (int i = start; len && i < len && used < size; i++) {
        int a = path[i], b = path[i + 1 < len ? i + 1 : start];
        used += (size_t)snprintf(why + used, size - used,
                                 kata_zh() ? "%s先拿%s 再拿%s（%s）" : "%s%s before %s (%s)",
                                 i > start ? (kata_zh() ? "，" : ", then ") : "", mutexes[a].name,
                                 mutexes[b].name, threads[edge_by[a][b]].label);
    }
    tracker_unlock();
    return len > 0;
}

void probe_watch_balances(void)
{
    tracker_lock();
    watch_balances = 1;
    tracker_unlock();
}

void probe_events_reset(void)
{
    tracker_lock();
    struct thread_rec *t = me();
    if (t)
        t->nevents = 0;
    tracker_unlock();
}

int probe_events(struct probe_event *out, int max)
{
    tracker_lock();
    struct thread_rec *t = me();
    int n = t ? (t->nevents < max ? t->nevents : max) : 0;
    if (n)
        memcpy(out, t->events, (size_t)n * sizeof *out);
    tracker_unlock();
    return n;
}

int probe_holding(void)
{
    tracker_lock();
    struct thread_rec *t = me();
    int n = t ? named_held(t) : 0;
    tracker_unlock();
    return n;
}

int probe_holds(const pthread_mutex_t *m)
{
    tracker_lock();
    int mi = find_mutex(m);
    int r = mi >= 0 && my_index >= 0 && mutexes[mi].holder == my_index;
    tracker_unlock();
    return r;
}

/* ---- the timeout report ------------------------------------------------------ */

/* Runs on the watchdog thread while the test's threads may be stuck: it only
 * try-locks the tracker, and reads without the lock if it stays busy. */
static void explain(FILE *out)
{
    int locked = 0;
    for (int i = 0; i < 50 && !locked; i++) {
        locked = __real_pthread_mutex_trylock(&tlock) == 0;
        if (!locked) {
            struct timespec t = {0, 10000000L};
            __real_nanosleep(&t, NULL);
        }
    }
    int zh = kata_zh();
    fprintf(out, zh ? "锁跟踪器看到的情况：\n" : "What the lock tracker saw:\n");
    int any = 0;
    for (int i = 0; i < nthreads; i++) {
        const struct thread_rec *t = &threads[i];
        if (!t->participant && t->nheld == 0 && t->waiting < 0)
            continue;
        any = 1;
        fprintf(out, "    %s:", t->label);
        const char *sep = " ", *next = zh ? "；" : "; ";
        if (t->finished) {
            fprintf(out, "%s%s", sep, zh ? "已完成" : "finished");
            sep = next;
        }
        for (int h = 0; h < t->nheld; h++) {
            fprintf(out, zh ? "%s持有%s" : "%sholds %s", sep, mutexes[t->held[h]].name);
            sep = next;
        }
        /* The last attempt it made, if it keeps failing to get a lock. */
        const struct probe_event *last = NULL;
        for (int e = t->nevents - 1; e >= 0 && e >= t->nevents - 8 && !last; e--)
            if (t->events[e].kind == PROBE_TRY_BUSY)
                last = &t->events[e];
        if (t->waiting >= 0) {
            int holder = mutexes[t->waiting].holder;
            fprintf(out, zh ? "%s在等%s（%s%s）" : "%swaits for %s (%s%s)", sep,
                    mutexes[t->waiting].name,
                    holder >= 0 ? (zh ? "持有者：" : "held by ") : (zh ? "没人持有" : "free"),
                    holder >= 0 ? threads[holder].label : "");
        } else if (!t->finished && last && trying(t)) {
            fprintf(out,
                    zh ? "%s一再尝试 %s 而不成功（trylock 返回 EBUSY）"
                       : "%skeeps trying %s and finding it busy (trylock: EBUSY)",
                    sep, last->what);
        } else if (!t->finished && t->nheld == 0) {
            fprintf(out, "%s%s", sep,
                    zh ? "不持有也不在等任何账户或叉子（在循环？在睡眠？）"
                       : "holds no lock and waits for none (looping? sleeping?)");
        }
        fprintf(out, "\n");
    }
    if (!any)
        fprintf(out, zh ? "    没有线程持有或在等被跟踪的锁\n"
                        : "    no thread holds or waits for a tracked lock\n");
    if (deadlocked)
        fprintf(out, zh ? "死锁：%s。\n" : "Deadlock: %s.\n", deadlock_text);
    if (locked)
        tracker_unlock();
}

const char *probe_said(int r)
{
    return r == DL_OK         ? "DL_OK"
           : r == DL_NO_FUNDS ? "DL_NO_FUNDS"
           : r == ENOSYS      ? KATA_TR("ENOSYS: still the stub", "ENOSYS：仍然是桩代码")
                              : "?";
}

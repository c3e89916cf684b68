/* 08-parallel: wrappers, gates and the tests' work function (see probes.h).
 * Every test runs in its own process, so this state starts fresh each time. */
#include "probes.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kata_gate gate = KATA_GATE(&lock, PROBE_WAIT_SECONDS);
static int armed, arrived;
static struct probe_counts counts;
static struct probe_seen seen[PAR_MAX_THREADS];
static __thread int in_worker;
static int step_on;
static struct probe_steps stepped;

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

/* ---- single-stepping ------------------------------------------------------- */

#if PROBE_CAN_STEP

#define TRAP_FLAG 0x100L

/* This thread's own tally: the SIGTRAP of a step is delivered to the thread
 * that executed the instruction, so each worker counts its own. */
static __thread volatile int my_stepping, my_gave_up;
static __thread volatile long my_steps, my_atomics;

/* Is the instruction at p an atomic read-modify-write?  Legacy prefixes
 * come first, in any order; LOCK (0xF0) is one of them.  XCHG with a memory
 * operand is locked without the prefix: opcode 0x86/0x87, after an optional
 * REX byte, with a ModRM whose mod field is not 3 (3 means two registers). */
static int is_atomic(const unsigned char *p)
{
    for (int k = 0; k < 14; k++, p++) {
        switch (*p) {
        case 0xF0:
            return 1;
        case 0x26:
        case 0x2E:
        case 0x36:
        case 0x3E:
        case 0x64:
        case 0x65:
        case 0x66:
        case 0x67:
        case 0xF2:
        case 0xF3:
            continue;
        }
        break;
    }
    if ((*p & 0xF0) == 0x40)
        p++;
    return (p[0] == 0x86 || p[0] == 0x87) && (p[1] >> 6) != 3;
}

/* Runs after every instruction of a stepped worker; the instruction at RIP
 * is the next one it will execute. */
static void on_step(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)info;
    ucontext_t *uc = ctx;
    if (!my_stepping || my_steps >= PROBE_STEP_LIMIT || my_atomics >= PROBE_ATOMIC_LIMIT) {
        /* Not a stepped worker (or it has had its share): clearing the flag
         * in the saved context lets it run on at full speed. */
        if (my_stepping)
            my_gave_up = 1;
        uc->uc_mcontext.gregs[REG_EFL] &= ~TRAP_FLAG;
        return;
    }
    my_steps++;
    if (is_atomic((const unsigned char *)uc->uc_mcontext.gregs[REG_RIP]))
        my_atomics++;
}

/* Sets the trap flag, calls fn(arg), clears the flag. */
__attribute__((noinline)) static void *stepped_call(void *(*fn)(void *), void *arg)
{
    my_stepping = 1;
    __asm__ volatile("pushfq; orq %0, (%%rsp); popfq" : : "i"(TRAP_FLAG) : "memory", "cc");
    void *ret = fn(arg);
    __asm__ volatile("pushfq; andq %0, (%%rsp); popfq" : : "i"(~TRAP_FLAG) : "memory", "cc");
    my_stepping = 0;
    return ret;
}

int probe_step_workers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_step;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTRAP, &sa, NULL) != 0)
        return -1;
    __real_pthread_mutex_lock(&lock);
    step_on = 1;
    pthread_mutex_unlock(&lock);
    return 0;
}

/* Runs a worker's start routine stepped and adds its tally to `stepped`. */
static void *run_stepped(void *(*fn)(void *), void *arg)
{
    my_steps = my_atomics = 0;
    my_gave_up = 0;
    void *ret = stepped_call(fn, arg);
    __real_pthread_mutex_lock(&lock);
    stepped.workers++;
    stepped.gave_up += my_gave_up;
    stepped.steps += my_steps;
    stepped.atomics += my_atomics;
    if (my_atomics > stepped.most)
        stepped.most = my_atomics;
    pthread_mutex_unlock(&lock);
    return ret;
}

#else

int probe_step_workers(void)
{
    return -1;
}

static void *run_stepped(void *(*fn)(void *), void *arg)
{
    return fn(arg);
}

#endif

struct probe_steps probe_steps(void)
{
    __real_pthread_mutex_lock(&lock);
    struct probe_steps s = stepped;
    pthread_mutex_unlock(&lock);
    return s;
}

/* ---- wrappers ------------------------------------------------------------ */

struct gated {
    void *(*fn)(void *);
    void *arg;
};

static int joined(void *p)
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
    if (!kata_gate_wait(&gate, joined, NULL, 0))
        counts.gate_gave_up = 1;
    int step = step_on;
    pthread_mutex_unlock(&lock);
    return step ? run_stepped(g.fn, g.arg) : g.fn(g.arg);
}

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
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
        kata_gate_wake(&gate);
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

static int all_arrived(void *p)
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
    kata_gate_wake(&gate);
    int ok = kata_gate_wait(&gate, all_arrived, &n, 0);
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

/* 05-coroutine: how light is a coroutine?  One run measures, side by side:
 *   - one switch: between two coroutines (coro_resume / coro_yield), between
 *     two threads handing a token back and forth (mutex + condition
 *     variable), and between two processes (a pipe each way);
 *   - creating and finishing one coroutine, thread and process;
 *   - the memory each one takes.
 * For scale, the switch table also has a register-only switch (a few lines
 * of x86-64 assembly, no signal-mask system call) and a plain function call.
 * Every figure is the median of several repeats, with min and max; the
 * ratios divide figures of the same repeat.  KATA_BENCH_QUICK=1: a tiny run.
 * Prints Markdown tables. */
#define _GNU_SOURCE
#include "coro.h"

#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* mallinfo2 is new in glibc 2.33 (Debian 12); before, mallinfo counts in int. */
#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 33)
#define mallinfo2 mallinfo
#endif

#define MAX_REPEATS 9

static int repeats = 5;
static long coro_trips = 200000; /* round trips = 2 switches each */
static long thread_trips = 20000;
static long process_trips = 20000;
static long coro_creates = 20000;
static long thread_creates = 2000;
static long process_creates = 300;
static int coro_alive = 1000; /* suspended at once, for memory */
static int threads_alive = 64;

static void die(const char *what)
{
    fprintf(stderr, "bench: %s failed\n", what);
    exit(1);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- statistics ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "median (min-max)" of v[0..n-1], with `digits` decimals. */
static const char *spread(const double *v, int n, int digits)
{
    static char buf[16][64];
    static int next;
    double s[MAX_REPEATS];
    memcpy(s, v, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    char *out = buf[next++ % 16];
    snprintf(out, 64, "%.*f (%.*f-%.*f)", digits, median, digits, s[0], digits, s[n - 1]);
    return out;
}

/* a[i] / b[i] for each repeat. */
static const char *ratio(const double *a, const double *b, int n, int digits)
{
    double r[MAX_REPEATS];
    for (int i = 0; i < n; i++)
        r[i] = b[i] > 0 ? a[i] / b[i] : 0;
    return spread(r, n, digits);
}

/* ---- one switch ---------------------------------------------------------- */

static long ping(void *arg, long first)
{
    (void)arg;
    (void)first;
    while (coro_yield(0, NULL) == 0)
        ;
    return 0;
}

/* Nanoseconds per switch between the thread and a coroutine. */
static double coro_switch_ns(long trips)
{
    struct coro *co = coro_create(ping, NULL, 0);
    if (co == NULL)
        die("coro_create");
    coro_resume(co, 0, NULL); /* started: from now on every resume is a plain switch */
    double t0 = now();
    for (long i = 0; i < trips; i++)
        coro_resume(co, 0, NULL);
    double t = now() - t0;
    coro_free(co);
    return t * 1e9 / (2.0 * (double)trips);
}

struct token {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int turn; /* whose turn: 0 or 1 */
    long trips;
};

static void pass_token(struct token *t, int me)
{
    for (long i = 0; i < t->trips; i++) {
        pthread_mutex_lock(&t->lock);
        while (t->turn != me)
            pthread_cond_wait(&t->cond, &t->lock);
        t->turn = !me;
        pthread_cond_signal(&t->cond);
        pthread_mutex_unlock(&t->lock);
    }
}

static void *token_thread(void *arg)
{
    pass_token(arg, 1);
    return NULL;
}

/* Nanoseconds per hand-off between two threads. */
static double thread_switch_ns(long trips)
{
    struct token t = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, trips};
    pthread_t other;
    double t0 = now();
    if (pthread_create(&other, NULL, token_thread, &t) != 0)
        die("pthread_create");
    pass_token(&t, 0);
    pthread_join(other, NULL);
    double el = now() - t0;
    return el * 1e9 / (2.0 * (double)trips);
}

/* Nanoseconds per hand-off between two processes over two pipes. */
static double process_switch_ns(long trips)
{
    int there[2], back[2];
    if (pipe(there) != 0 || pipe(back) != 0)
        die("pipe");
    fflush(NULL);
    pid_t child = fork();
    if (child < 0)
        die("fork");
    char c = 'x';
    if (child == 0) {
        for (long i = 0; i < trips; i++)
            if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    double t0 = now();
    for (long i = 0; i < trips; i++)
        if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
            die("pipe ping-pong");
    double el = now() - t0;
    waitpid(child, NULL, 0);
    close(there[0]);
    close(there[1]);
    close(back[0]);
    close(back[1]);
    return el * 1e9 / (2.0 * (double)trips);
}

/* ---- for scale: a register-only switch and a function call --------------- */

#if defined(__x86_64__)
/* fast_switch(&save_sp, load_sp): pushes the registers a called function must
 * preserve (System V x86-64: rbx, rbp, r12-r15), saves the stack pointer in
 * *save_sp, loads load_sp, pops the same registers from the other stack and
 * returns where that stack's last fast_switch was called.  No system call:
 * the signal mask stays as it is (swapcontext saves and restores it).  The
 * x87 and SSE control words are left alone: nothing here changes them. */
void fast_switch(void **save_sp, void *load_sp) __asm__("bench_fast_switch");
__asm__(".text\n"
        ".type bench_fast_switch, @function\n"
        "bench_fast_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size bench_fast_switch, .-bench_fast_switch\n");

static void *main_sp, *fast_sp;
static volatile long fast_count;

static void fast_entry(void)
{
    for (;;) {
        fast_count++;
        fast_switch(&fast_sp, main_sp);
    }
}

/* Nanoseconds per register-only switch; -1 if the coroutine did not run once
 * per round trip. */
static double fast_switch_ns(long trips)
{
    size_t size = 64 * 1024;
    char *stack = malloc(size);
    if (stack == NULL)
        die("malloc");
    /* The new stack as fast_switch will find it: six registers, then the
     * address to "return" to (fast_entry), then an empty slot standing for
     * fast_entry's own return address, so that it starts with the stack
     * aligned as after a call. */
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
    void **sp = (void **)top;
    *--sp = NULL;
    *--sp = (void *)fast_entry;
    for (int i = 0; i < 6; i++)
        *--sp = NULL;
    fast_sp = sp;
    fast_count = 0;
    double t0 = now();
    for (long i = 0; i < trips; i++)
        fast_switch(&main_sp, fast_sp);
    double t = now() - t0;
    int ok = fast_count == trips; /* the coroutine ran once per round trip */
    free(stack);
    return ok ? t * 1e9 / (2.0 * (double)trips) : -1;
}
#endif

static long add_one(long x) __attribute__((noinline));
static long add_one(long x)
{
    __asm__ volatile("" ::: "memory"); /* not folded away */
    return x + 1;
}

/* Nanoseconds per call of a function that does (nearly) nothing. */
static double call_ns(long calls)
{
    long (*volatile fn)(long) = add_one;
    long x = 0;
    double t0 = now();
    for (long i = 0; i < calls; i++)
        x = fn(x);
    double t = now() - t0;
    if (x != calls)
        die("the function call loop");
    return t * 1e9 / (double)calls;
}

static void table_switch(void)
{
    double co[MAX_REPEATS], th[MAX_REPEATS], pr[MAX_REPEATS], fa[MAX_REPEATS], fn[MAX_REPEATS];
    int have_fast = 0;
    for (int r = 0; r < repeats; r++) {
        co[r] = coro_switch_ns(coro_trips);
        th[r] = thread_switch_ns(thread_trips);
        pr[r] = process_switch_ns(process_trips);
#if defined(__x86_64__)
        fa[r] = fast_switch_ns(coro_trips * 5);
        if (fa[r] < 0)
            die("the register-only switch (the coroutine missed a turn)");
        have_fast = 1;
#else
        fa[r] = 0;
#endif
        fn[r] = call_ns(coro_trips * 10);
    }
    printf("One switch: control handed from one to the other (coroutines: coro_resume / "
           "coro_yield, %ld round trips; threads: a token under a mutex and condition variable, "
           "%ld; processes: a byte through a pipe each way, %ld)\n\n",
           coro_trips, thread_trips, process_trips);
    printf("| between two | ns per switch | times a coroutine switch |\n");
    printf("|---|---:|---:|\n");
    printf("| coroutines | %s | 1 |\n", spread(co, repeats, 0));
    printf("| threads | %s | %s |\n", spread(th, repeats, 0), ratio(th, co, repeats, 1));
    printf("| processes | %s | %s |\n", spread(pr, repeats, 0), ratio(pr, co, repeats, 1));
    if (have_fast)
        printf("| coroutines, register-only switch (asm, no signal mask) | %s | %s |\n",
               spread(fa, repeats, 1), ratio(fa, co, repeats, 3));
    printf("| (for scale: one function call) | %s | %s |\n", spread(fn, repeats, 1),
           ratio(fn, co, repeats, 3));
    printf("\n");
}

/* ---- create and finish --------------------------------------------------- */

static long returns_at_once(void *arg, long first)
{
    (void)arg;
    return first;
}

static double coro_create_us(long n)
{
    double t0 = now();
    for (long i = 0; i < n; i++) {
        struct coro *co = coro_create(returns_at_once, NULL, 0);
        if (co == NULL || coro_resume(co, 1, NULL) != 0)
            die("coro_create / coro_resume");
        coro_free(co);
    }
    return (now() - t0) * 1e6 / (double)n;
}

static void *returns_null(void *arg)
{
    return arg;
}

static double thread_create_us(long n)
{
    double t0 = now();
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, returns_null, NULL) != 0)
            die("pthread_create");
        pthread_join(t, NULL);
    }
    return (now() - t0) * 1e6 / (double)n;
}

static double process_create_us(long n)
{
    fflush(NULL);
    double t0 = now();
    for (long i = 0; i < n; i++) {
        pid_t p = fork();
        if (p < 0)
            die("fork");
        if (p == 0)
            _exit(0);
        waitpid(p, NULL, 0);
    }
    return (now() - t0) * 1e6 / (double)n;
}

static void table_create(void)
{
    double co[MAX_REPEATS], th[MAX_REPEATS], pr[MAX_REPEATS];
    for (int r = 0; r < repeats; r++) {
        co[r] = coro_create_us(coro_creates);
        th[r] = thread_create_us(thread_creates);
        pr[r] = process_create_us(process_creates);
    }
    printf("Create and finish one (coroutine: coro_create, one resume that returns, coro_free, "
           "%ld times; thread: pthread_create + pthread_join, %ld; process: fork, _exit, "
           "waitpid, %ld)\n\n",
           coro_creates, thread_creates, process_creates);
    printf("| unit | us to create and finish | times a coroutine |\n");
    printf("|---|---:|---:|\n");
    printf("| coroutine | %s | 1 |\n", spread(co, repeats, 2));
    printf("| thread | %s | %s |\n", spread(th, repeats, 1), ratio(th, co, repeats, 0));
    printf("| process | %s | %s |\n", spread(pr, repeats, 1), ratio(pr, co, repeats, 0));
    printf("\n");
}

/* ---- memory --------------------------------------------------------------- */

/* Resident set of this process, in KiB. */
static double rss_kib(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL || fscanf(f, "%ld %ld", &size, &resident) != 2)
        die("reading /proc/self/statm");
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1024.0;
}

/* One field ("VmRSS:", "VmSize:") of /proc/<pid>/status, in KiB. */
static double status_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        die("reading /proc/<pid>/status");
    double v = -1;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            v = atof(line + strlen(field));
    fclose(f);
    return v;
}

static long parked(void *arg, long first)
{
    (void)arg;
    (void)first;
    coro_yield(0, NULL); /* suspended, its frames on its stack */
    return 0;
}

/* Heap bytes (reserved) and RSS growth (resident) per suspended coroutine. */
static void coro_memory(double *reserved, double *resident)
{
    struct coro **all = malloc((size_t)coro_alive * sizeof *all);
    if (all == NULL)
        die("malloc");
    struct mallinfo2 before = mallinfo2();
    double rss0 = rss_kib();
    for (int i = 0; i < coro_alive; i++) {
        all[i] = coro_create(parked, NULL, 0);
        if (all[i] == NULL || coro_resume(all[i], 0, NULL) != 0)
            die("coro_create / coro_resume");
    }
    struct mallinfo2 after = mallinfo2();
    double rss1 = rss_kib();
    *reserved = (double)(after.uordblks - before.uordblks) / 1024.0 / coro_alive;
    *resident = (rss1 - rss0) / coro_alive;
    for (int i = 0; i < coro_alive; i++)
        coro_free(all[i]);
    free(all);
    malloc_trim(0);
}

static pthread_barrier_t hold;

static void *held(void *arg)
{
    pthread_barrier_wait(&hold); /* all started */
    pthread_barrier_wait(&hold); /* measured: may end */
    return arg;
}

/* Default stack (reserved) and RSS growth (resident) per blocked thread. */
static void thread_memory(double *reserved, double *resident)
{
    pthread_t *all = malloc((size_t)threads_alive * sizeof *all);
    pthread_attr_t attr;
    size_t stack = 0;
    if (all == NULL || pthread_attr_init(&attr) != 0 || pthread_attr_getstacksize(&attr, &stack))
        die("pthread_attr_getstacksize");
    pthread_attr_destroy(&attr);
    pthread_barrier_init(&hold, NULL, (unsigned)threads_alive + 1);
    double rss0 = rss_kib();
    for (int i = 0; i < threads_alive; i++)
        if (pthread_create(&all[i], NULL, held, NULL) != 0)
            die("pthread_create");
    pthread_barrier_wait(&hold);
    double rss1 = rss_kib();
    pthread_barrier_wait(&hold);
    for (int i = 0; i < threads_alive; i++)
        pthread_join(all[i], NULL);
    pthread_barrier_destroy(&hold);
    free(all);
    *reserved = (double)stack / 1024.0;
    *resident = (rss1 - rss0) / threads_alive;
}

/* Address space (reserved) and resident set of a freshly forked child. */
static void process_memory(double *reserved, double *resident)
{
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    fflush(NULL);
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        char c;
        close(p[1]);
        while (read(p[0], &c, 1) > 0) /* blocked until the parent closes */
            ;
        _exit(0);
    }
    close(p[0]);
    usleep(20000); /* let it reach its read */
    *reserved = status_kib(child, "VmSize:");
    *resident = status_kib(child, "VmRSS:");
    close(p[1]);
    waitpid(child, NULL, 0);
}

static void table_memory(void)
{
    double cr[MAX_REPEATS], cs[MAX_REPEATS], tr[MAX_REPEATS], ts[MAX_REPEATS];
    double pr[MAX_REPEATS], ps[MAX_REPEATS];
    for (int r = 0; r < repeats; r++) {
        coro_memory(&cr[r], &cs[r]);
        thread_memory(&tr[r], &ts[r]);
        process_memory(&pr[r], &ps[r]);
    }
    printf("Memory per unit (reserved: coroutine = its heap stack and control block, measured "
           "with mallinfo2 over %d; thread = its default stack; process = a forked child's "
           "address space (VmSize). Resident: RSS growth per suspended coroutine (%d) or "
           "blocked thread (%d); the child's VmRSS, mostly pages shared with its parent)\n\n",
           coro_alive, coro_alive, threads_alive);
    printf("| unit | reserved KiB | resident KiB | reserved, times a coroutine | resident, times "
           "a coroutine |\n");
    printf("|---|---:|---:|---:|---:|\n");
    printf("| coroutine | %s | %s | 1 | 1 |\n", spread(cr, repeats, 1), spread(cs, repeats, 1));
    printf("| thread | %s | %s | %s | %s |\n", spread(tr, repeats, 0), spread(ts, repeats, 1),
           ratio(tr, cr, repeats, 0), ratio(ts, cs, repeats, 1));
    printf("| process | %s | %s | %s | %s |\n", spread(pr, repeats, 0), spread(ps, repeats, 0),
           ratio(pr, cr, repeats, 0), ratio(ps, cs, repeats, 0));
    printf("\n");
}

int main(void)
{
    const char *quick = getenv("KATA_BENCH_QUICK");
    if (quick != NULL && strcmp(quick, "") != 0 && strcmp(quick, "0") != 0) {
        repeats = 1;
        coro_trips = 20000;
        thread_trips = process_trips = 500;
        coro_creates = 500;
        thread_creates = 100;
        process_creates = 20;
        coro_alive = 100;
        threads_alive = 8;
    }
    printf("05-coroutine: coroutines against threads and processes, %d repeat(s) per figure, "
           "shown as median (min-max)\n\n",
           repeats);
    table_switch();
    table_create();
    table_memory();
    return 0;
}

/* What a stuck process is doing, thread by thread, and where each thread is
 * in the code: see stuck.h.  Shared by the test harness (kata.c) and the
 * helgrind drivers, which link it without Criterion. */
#define _GNU_SOURCE
#include "stuck.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <valgrind/helgrind.h>
#include <valgrind/valgrind.h>

int kata_zh(void)
{
    const char *lang = getenv("KATA_LANG");
    if (lang && *lang)
        return strncmp(lang, "zh", 2) == 0;
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) /* the first one set decides, as in setlocale */
            return strncmp(v, "zh", 2) == 0;
    }
    return 0;
}

static int (*skip_thread)(pid_t tid);

void kata_skip_threads(int (*skip)(pid_t tid))
{
    skip_thread = skip;
}

int kata_peek(const void *addr, void *buf, size_t size)
{
    int fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, buf, size, (off_t)(uintptr_t)addr);
    close(fd);
    return n == (ssize_t)size ? 0 : -1;
}

/* ---- where a thread is in the code ------------------------------------- */

#define WHERE_FRAMES 48
#define WHERE_SLOTS 64

struct where_slot {
    volatile pid_t tid;
    volatile int done, n;
    void *pc[WHERE_FRAMES];
};
static struct where_slot where_slots[WHERE_SLOTS];
static uintptr_t prog_lo, prog_hi, prog_bias; /* the program's code, its load bias */
static uintptr_t image_lo, image_hi;          /* all of the program's file: code and data */
static volatile int where_ready;

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    prog_bias = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (!image_lo || lo < image_lo)
            image_lo = lo;
        if (hi > image_hi)
            image_hi = hi;
        if (!(ph->p_flags & PF_X))
            continue;
        if (!prog_lo || lo < prog_lo)
            prog_lo = lo;
        if (hi > prog_hi)
            prog_hi = hi;
    }
    return 1; /* the first object is the program itself */
}

static uintptr_t interrupted_pc(void *ucontext)
{
    const ucontext_t *uc = ucontext;
#if defined(__x86_64__)
    return uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] : 0;
#elif defined(__aarch64__)
    return uc ? (uintptr_t)uc->uc_mcontext.pc : 0;
#else
    (void)uc;
    return 0;
#endif
}

/* Records the calling thread's stack in its slot (or a free one). */
void kata_where_here(void *ucontext)
{
    pid_t me = (pid_t)syscall(SYS_gettid);
    struct where_slot *s = NULL;
    for (int i = 0; i < WHERE_SLOTS && !s; i++)
        if (where_slots[i].tid == me)
            s = &where_slots[i];
    for (int i = 0; i < WHERE_SLOTS && !s; i++)
        if (__sync_bool_compare_and_swap(&where_slots[i].tid, 0, me))
            s = &where_slots[i];
    if (!s || s->done)
        return;
    void *raw[WHERE_FRAMES];
    int n = where_ready ? backtrace(raw, WHERE_FRAMES) : 0, found = -1, k = 0;
    uintptr_t pc = interrupted_pc(ucontext);
    for (int i = 0; i < n && found < 0; i++)
        if (pc && (uintptr_t)raw[i] == pc)
            found = i; /* the frames before it are the handler's own */
    if (found < 0 && pc)
        s->pc[k++] = (void *)pc; /* the unwinder did not pass it: that place alone */
    for (int i = found < 0 && pc ? n : found < 0 ? 2 : found; i < n && k < WHERE_FRAMES; i++) {
        char *a = raw[i];
        s->pc[k] = k > 0 ? a - 1 : a; /* a return address minus one: the call's line */
        k++;
    }
    s->n = k;
    __sync_synchronize();
    s->done = 1;
}

static void where_handler(int sig, siginfo_t *si, void *ucontext)
{
    (void)sig;
    (void)si;
    int saved = errno;
    kata_where_here(ucontext);
    /* Held here until the process ends (bounded): the report describes the
     * thread as it was, not as it goes on after a woken wait. */
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 20000; i++)
        nanosleep(&ms, NULL);
    errno = saved;
}

static int where_signal(void)
{
    return SIGRTMIN + 4;
}

void kata_where_init(void)
{
    if (where_ready)
        return;
    dl_iterate_phdr(first_object, NULL);
    /* The slots are written by the handler on the interrupted thread and read
     * by the watchdog after it answered: not a race of the learner's. */
    VALGRIND_HG_DISABLE_CHECKING(where_slots, sizeof where_slots);
    void *warm[2];
    backtrace(warm, 2); /* loads the unwinder now, not in a signal handler */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = where_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    sigaction(where_signal(), &sa, NULL);
    where_ready = 1;
}

/* The slots of process pid (this one, or a child forked from it: the same
 * addresses) as they are now; 0 on success. */
static struct where_slot seen_slots[WHERE_SLOTS];
static pid_t seen_pid;

static int read_slots(pid_t pid)
{
    seen_pid = 0;
    if (pid == getpid())
        memcpy(seen_slots, where_slots, sizeof seen_slots);
    else {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        ssize_t n = pread(fd, seen_slots, sizeof seen_slots, (off_t)(uintptr_t)where_slots);
        close(fd);
        if (n != (ssize_t)sizeof seen_slots)
            return -1;
    }
    seen_pid = pid;
    return 0;
}

static const struct where_slot *slot_of(pid_t tid)
{
    for (int i = 0; i < WHERE_SLOTS; i++)
        if (seen_slots[i].tid == tid && seen_slots[i].done)
            return &seen_slots[i];
    return NULL;
}

void kata_where_ask(pid_t pid, const pid_t *tids, int n)
{
    if (!where_ready)
        return;
    pid_t me = (pid_t)syscall(SYS_gettid);
    int asked = 0;
    for (int i = 0; i < n; i++)
        if (tids[i] != me && syscall(SYS_tgkill, pid, tids[i], where_signal()) == 0)
            asked++;
    /* A thread that blocks the signal never answers: at most two seconds. */
    for (int round = 0; round < 2000 && asked > 0; round++) {
        int answered = 0;
        if (read_slots(pid) != 0)
            return;
        for (int i = 0; i < n; i++)
            answered += tids[i] != me && slot_of(tids[i]) != NULL;
        if (answered >= asked)
            return;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

void kata_where(pid_t pid, pid_t tid, char *out, size_t size)
{
    out[0] = '\0';
    if (seen_pid != pid && read_slots(pid) != 0)
        return;
    if (pid == getpid())
        read_slots(pid); /* this process's own: its crash handler may have just written */
    const struct where_slot *s = slot_of(tid);
    if (!s)
        return;
    size_t used = 0;
    int shown = 0;
    for (int k = 0; k < s->n && k < WHERE_FRAMES && used + 24 < size; k++) {
        uintptr_t a = (uintptr_t)s->pc[k];
        if (a < prog_lo || a >= prog_hi)
            continue; /* the C library's or another library's code */
        used += (size_t)snprintf(out + used, size - used, "%s%#lx", shown++ ? " " : " {kata-at ",
                                 (unsigned long)(a - prog_bias));
    }
    if (shown && used + 2 < size)
        snprintf(out + used, size - used, "}");
    else
        out[0] = '\0';
}

int kata_read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return (int)n;
}

/* "main thread 12", "thread 13", or "thread 13 ("name")" when the thread
 * has a name of its own (pthread_setname_np): the name every thread gets
 * from its program ("test", "helgrind-amd64-") says nothing.  Only system
 * calls and snprintf: the crash handler uses it. */
const char *kata_thread_label(pid_t pid, pid_t tid, char *buf, size_t size)
{
    char path[64], comm[32] = "", first[32] = "";
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, tid);
    kata_read_small(path, comm, sizeof comm);
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, pid);
    kata_read_small(path, first, sizeof first);
    if (tid == pid)
        snprintf(buf, size, KATA_TR("main thread %d", "主线程 %d"), tid);
    else if (comm[0] && strcmp(comm, first) != 0)
        snprintf(buf, size, KATA_TR("thread %d (\"%s\")", "线程 %d（\"%s\"）"), tid, comm);
    else
        snprintf(buf, size, KATA_TR("thread %d", "线程 %d"), tid);
    return buf;
}

/* State letter and parent pid from /proc/<pid>/stat (or a task's stat). */
int kata_read_stat(const char *stat_path, char *state, pid_t *ppid)
{
    char buf[512];
    if (kata_read_small(stat_path, buf, sizeof buf) < 0)
        return -1;
    char *p = strrchr(buf, ')'); /* the name may contain spaces and ')' */
    if (!p || p[1] == '\0')
        return -1;
    int pp = 0;
    if (sscanf(p + 2, "%c %d", state, &pp) != 2)
        return -1;
    if (ppid)
        *ppid = pp;
    return 0;
}

int kata_children(pid_t parent, pid_t *pids, int max)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid <= 0)
            continue;
        char path[64], state;
        pid_t ppid;
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        if (kata_read_stat(path, &state, &ppid) == 0 && ppid == parent) {
            if (pids && n < max)
                pids[n] = pid;
            n++;
        }
    }
    closedir(d);
    return n;
}

int kata_descendants(pid_t root, pid_t *out, int max)
{
    int n = 0;
    pid_t frontier[256];
    int nf = kata_children(root, frontier, 256);
    if (nf > 256)
        nf = 256;
    for (int i = 0; i < nf && n < max; i++) {
        out[n++] = frontier[i];
        n += kata_descendants(frontier[i], out + n, max - n);
    }
    return n;
}

/* ---- describing what a stuck process is doing -------------------------- */

static const char *explain_wait(char state, const char *wchan)
{
    if (state == 'R')
        return KATA_TR("running: still computing, or spinning in a loop that never ends",
                       "正在运行：还在计算，或者在一个永不结束的循环里打转");
    if (state == 'Z')
        return KATA_TR("finished, but never reaped with waitpid (a zombie), or a main thread "
                       "that ended with pthread_exit",
                       "已经结束，但从没被 waitpid 回收（僵尸进程），或者是一个以 pthread_exit "
                       "结束的主线程");
    if (state == 'T' || state == 't')
        return KATA_TR("stopped", "已暂停");
    if (strstr(wchan, "futex"))
        return KATA_TR("waiting on a mutex, a condition variable or pthread_join",
                       "在等一个互斥锁、一个条件变量或 pthread_join");
    if (strstr(wchan, "wait4") || strcmp(wchan, "do_wait") == 0)
        return KATA_TR("waiting for a child process (wait/waitpid)",
                       "在等一个子进程（wait/waitpid）");
    if (strstr(wchan, "pipe_read") || strstr(wchan, "pipe_wait"))
        return KATA_TR("blocked reading a pipe that nobody writes to (is a write end still "
                       "open?)",
                       "卡在读一个没人写的管道上（是不是还有写端没关？）");
    if (strstr(wchan, "pipe_write"))
        return KATA_TR("blocked writing to a full pipe that nobody reads",
                       "卡在往一个没人读的满管道里写");
    if (strstr(wchan, "nanosleep") || strstr(wchan, "clock_nanosleep"))
        return KATA_TR("sleeping", "在睡眠");
    if (strstr(wchan, "poll") || strstr(wchan, "select"))
        return KATA_TR("waiting in poll/select", "在 poll/select 里等待");
    if (strstr(wchan, "sigsuspend") || strstr(wchan, "pause") || strstr(wchan, "sigtimedwait"))
        return KATA_TR("waiting for a signal", "在等一个信号");
    if (strstr(wchan, "read") || strstr(wchan, "recv"))
        return KATA_TR("blocked reading", "卡在读操作上");
    return *wchan && strcmp(wchan, "0") != 0 ? wchan : KATA_TR("blocked", "阻塞中");
}

/* What one thread was doing when the watchdog looked. */
struct thread_info {
    pid_t tid;
    char label[64]; /* kata_thread_label */
    char state;
    char wchan[64];
    uintptr_t futex;              /* the futex word it sleeps on, if any */
    int read_fd;                  /* the descriptor it is blocked reading, or -1 */
    int owner;                    /* index of the thread holding that word as a mutex, or -1 */
    int joins;                    /* index of the thread it waits to end (pthread_join), or -1 */
    char where[KATA_WHERE_CHARS]; /* where it is in the code (kata_where), or "" */
};

#define MAX_THREADS 64

static int read_threads(pid_t pid, struct thread_info *t, int max)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", pid);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || (pid == getpid() && skip_thread && skip_thread(tid)))
            continue;
        struct thread_info *ti = &t[n++];
        memset(ti, 0, sizeof *ti);
        ti->tid = tid;
        ti->owner = -1;
        ti->joins = -1;
        ti->read_fd = -1;
        ti->state = '?';
        char path[128], sys[256] = "";
        kata_thread_label(pid, tid, ti->label, sizeof ti->label);
        snprintf(path, sizeof path, "%s/%d/wchan", dir, tid);
        kata_read_small(path, ti->wchan, sizeof ti->wchan);
        snprintf(path, sizeof path, "%s/%d/stat", dir, tid);
        kata_read_stat(path, &ti->state, NULL);
        /* "202 0x55e62444d0c0 0x80 ...": blocked in futex() on that word. */
        snprintf(path, sizeof path, "%s/%d/syscall", dir, tid);
        long nr;
        unsigned long addr;
        if (kata_read_small(path, sys, sizeof sys) > 0 && sscanf(sys, "%ld %lx", &nr, &addr) == 2) {
            if (nr == SYS_futex)
                ti->futex = (uintptr_t)addr;
            else if (nr == SYS_read && strstr(ti->wchan, "pipe"))
                ti->read_fd = (int)addr;
        }
    }
    closedir(d);
    return n;
}

/* In this process, a futex word that is the lock word of a pthread mutex
 * held by one of our threads tells who waits for whom (glibc records the
 * owner's thread id in the mutex). */
static void find_mutex_owners(struct thread_info *t, int n)
{
    for (int i = 0; i < n; i++) {
        pthread_mutex_t m;
        if (!t[i].futex || kata_peek((const void *)t[i].futex, &m, sizeof m) != 0)
            continue;
        int word = 0;
        memcpy(&word, &m, sizeof word);
        for (int j = 0; j < n; j++) {
            if (m.__data.__lock != 0 && t[j].tid == m.__data.__owner)
                t[i].owner = j;
            /* pthread_join sleeps on the target's thread-id word until it ends. */
            else if (j != i && word == t[j].tid)
                t[i].joins = j;
        }
    }
}

static const char *mutex_name(uintptr_t addr, char *buf, size_t size)
{
    Dl_info info;
    if (dladdr((void *)addr, &info) && info.dli_sname && info.dli_saddr) {
        uintptr_t off = addr - (uintptr_t)info.dli_saddr;
        if (off == 0)
            snprintf(buf, size, "`%s`", info.dli_sname);
        else
            snprintf(buf, size, "`%s`+%lu", info.dli_sname, (unsigned long)off);
    } else if (addr >= image_lo && addr < image_hi) {
        /* a static variable: its name is in the program's symbol table,
         * which the engine reads (tools/engine/places.py) */
        snprintf(buf, size, KATA_TR("at %#lx{kata-data %#lx}", "%#lx{kata-data %#lx}"),
                 (unsigned long)addr, (unsigned long)(addr - prog_bias));
    } else {
        snprintf(buf, size, KATA_TR("at %#lx", "%#lx"), (unsigned long)addr);
    }
    return buf;
}

/* The pipe behind descriptor fd of process pid, as "pipe:[inode]". */
static int pipe_of(pid_t pid, int fd, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
    ssize_t n = readlink(path, buf, size - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return strncmp(buf, "pipe:", 5) == 0 ? 0 : -1;
}

int kata_opened_for_writing(pid_t pid, int fd)
{
    char path[64], info[256];
    unsigned flags = 0;
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", pid, fd);
    if (kata_read_small(path, info, sizeof info) < 0)
        return 0;
    const char *f = strstr(info, "flags:");
    if (!f || sscanf(f + 6, "%o", &flags) != 1)
        return 0;
    return (flags & O_ACCMODE) != O_RDONLY;
}

/* Lists the processes of the test that still hold a write end of `pipe`. */
static int write_end_holders(const char *pipe, pid_t *who, int *fds, int max)
{
    pid_t procs[65];
    procs[0] = getpid();
    int np = 1 + kata_descendants(getpid(), procs + 1, 64), n = 0;
    for (int i = 0; i < np && n < max; i++) {
        char dir[64];
        snprintf(dir, sizeof dir, "/proc/%d/fd", procs[i]);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < max) {
            char link[64];
            int fd = atoi(e->d_name);
            if (e->d_name[0] != '.' && pipe_of(procs[i], fd, link, sizeof link) == 0 &&
                strcmp(link, pipe) == 0 && kata_opened_for_writing(procs[i], fd)) {
                who[n] = procs[i];
                fds[n++] = fd;
            }
        }
        closedir(d);
    }
    return n;
}

/* Why a read() from a pipe never returns: who still holds its write end. */
static void describe_pipe_read(FILE *out, pid_t pid, int fd)
{
    char pipe[64];
    pid_t who[8];
    int fds[8];
    if (pipe_of(pid, fd, pipe, sizeof pipe) != 0) {
        fprintf(out, KATA_TR("blocked reading descriptor %d\n", "卡在读描述符 %d 上\n"), fd);
        return;
    }
    int n = write_end_holders(pipe, who, fds, 8);
    fprintf(out,
            KATA_TR("blocked reading a pipe (descriptor %d) that nobody writes to",
                    "卡在读一个没人写的管道上（描述符 %d）"),
            fd);
    for (int i = 0; i < n; i++) {
        const char *sep = kata_zh() ? (i ? "；" : "：") : (i ? ";" : ":");
        if (who[i] == pid)
            fprintf(out,
                    KATA_TR("%s its write end is still open in this same process "
                            "(descriptor %d), so read() can never see end of file: close "
                            "the end you do not use",
                            "%s它的写端在这个进程自己手里还开着（描述符 %d），所以 read() "
                            "永远等不到文件结束：把你用不到的那一端关掉"),
                    sep, fds[i]);
        else
            fprintf(out,
                    KATA_TR("%s process %d still holds its write end (descriptor %d)",
                            "%s进程 %d 还握着它的写端（描述符 %d）"),
                    sep, who[i], fds[i]);
    }
    fprintf(out, "\n");
}

/* In Chinese, a space between a thread's number and the word after it. */
static const char *zh_gap(const char *label)
{
    size_t n = strlen(label);
    return kata_zh() && n && label[n - 1] >= '0' && label[n - 1] <= '9' ? " " : "";
}

static void describe_thread(FILE *out, const struct thread_info *t, const struct thread_info *all,
                            int n_threads, pid_t pid)
{
    fprintf(out, KATA_TR("    %s%s: ", "    %s%s："), t->label, t->where);
    if (t->owner >= 0) {
        char name[96];
        const struct thread_info *o = &all[t->owner];
        if (o == t)
            fprintf(out,
                    KATA_TR("waiting for the mutex %s, which it holds itself: a normal "
                            "mutex locked twice by one thread never opens\n",
                            "在等互斥锁 %s，而这把锁就在它自己手里：普通互斥锁被同一个线程"
                            "锁两次，就再也打不开了\n"),
                    mutex_name(t->futex, name, sizeof name));
        else
            fprintf(out,
                    KATA_TR("waiting for the mutex %s, held by %s%s\n",
                            "在等互斥锁 %s，它被%s%s持有\n"),
                    mutex_name(t->futex, name, sizeof name), o->label, zh_gap(o->label));
        return;
    }
    if (t->joins >= 0) {
        const struct thread_info *o = &all[t->joins];
        fprintf(
            out,
            KATA_TR("waiting in pthread_join for %s%s to end\n", "在 pthread_join 里等%s%s结束\n"),
            o->label, zh_gap(o->label));
        return;
    }
    if (t->read_fd >= 0) {
        describe_pipe_read(out, pid, t->read_fd);
        return;
    }
    if (t->futex && pid == getpid()) {
        fprintf(out,
                KATA_TR("waiting on a condition variable (or a semaphore or barrier) "
                        "that no thread has signalled%s\n",
                        "在等一个没有任何线程通知过的条件变量（或信号量、屏障）%s\n"),
                n_threads == 1 ? KATA_TR("; no other thread of the test is left to signal it",
                                         "；测试里已经没有别的线程能去通知它了")
                               : "");
        return;
    }
    fprintf(out, "%s\n", explain_wait(t->state, t->wchan));
}

/* Reports each cycle of threads that wait for a mutex the next one holds;
 * returns how many it found. */
static int describe_cycles(FILE *out, const struct thread_info *t, int n)
{
    int cycles = 0;
    for (int i = 0; i < n; i++) {
        int j = t[i].owner, steps = 0, smallest = i;
        while (j >= 0 && j != i && steps++ < n) {
            if (j < smallest)
                smallest = j;
            j = t[j].owner;
        }
        if (j != i || smallest != i || t[i].owner == i)
            continue; /* no cycle through i, or reported from its first thread */
        cycles++;
        fputs(KATA_TR("Deadlock: threads", "死锁：线程"), out);
        j = i;
        do {
            fprintf(out, "%s %d", j == i ? "" : (t[j].owner == i ? KATA_TR(" and", " 和") : ","),
                    t[j].tid);
            j = t[j].owner;
        } while (j != i);
        fputs(KATA_TR(" wait for each other:", " 互相等待："), out);
        j = i;
        do {
            char held[96], wanted[96];
            int k = t[j].owner; /* j waits for a mutex k holds; j holds what the one before wants */
            int before = i;
            while (t[before].owner != j)
                before = t[before].owner;
            fprintf(out,
                    KATA_TR(" %s%s holds the mutex %s and waits for the mutex %s%s;",
                            "%s%s持有互斥锁 %s，在等互斥锁 %s%s；"),
                    t[j].label, zh_gap(t[j].label), mutex_name(t[before].futex, held, sizeof held),
                    mutex_name(t[j].futex, wanted, sizeof wanted), t[j].where);
            j = k;
        } while (j != i);
        fputs(KATA_TR(" none of them can go on. Take the locks in one global order.\n",
                      "谁也走不下去。请按一个全局统一的顺序加锁。\n"),
              out);
    }
    return cycles;
}

/* Asks each thread where it is, after reading its state: the signal may
 * wake it from a wait. */
static void ask_where(pid_t pid, struct thread_info *t, int n)
{
    pid_t tids[MAX_THREADS] = {0};
    for (int i = 0; i < n; i++)
        tids[i] = t[i].tid;
    kata_where_ask(pid, tids, n);
    for (int i = 0; i < n; i++)
        kata_where(pid, t[i].tid, t[i].where, sizeof t[i].where);
}

int kata_describe_process(FILE *out, pid_t pid)
{
    static struct thread_info t[MAX_THREADS]; /* one report at a time: the watchdog's */
    int n = read_threads(pid, t, MAX_THREADS);
    if (pid != getpid()) {
        ask_where(pid, t, n);
        for (int i = 0; i < n; i++)
            describe_thread(out, &t[i], t, n, pid);
        return 0;
    }
    find_mutex_owners(t, n);
    ask_where(pid, t, n);
    for (int i = 0; i < n; i++)
        describe_thread(out, &t[i], t, n, pid);
    return describe_cycles(out, t, n);
}

/* ---- the helgrind drivers' watchdog ------------------------------------- */

/* The test program defines kata_begin and has a watchdog of its own. */
extern void kata_begin(const char *suite, const char *test) __attribute__((weak));

static volatile pid_t still_watcher;

static int is_still_watcher(pid_t tid)
{
    return tid == still_watcher;
}

/* Threads or processes of the scenario seen runnable (state R) by the last
 * stat_ticks calls: on a loaded machine a runnable thread may wait long for
 * a CPU, which is no hang. */
static int seen_runnable;

/* CPU time (clock ticks) of one /proc stat line: utime stime cutime cstime. */
static long long stat_ticks(const char *path, int with_children)
{
    char buf[512], state = '?';
    if (kata_read_small(path, buf, sizeof buf) < 0)
        return 0;
    char *p = strrchr(buf, ')');
    unsigned long long ut = 0, st = 0;
    long long cut = 0, cst = 0;
    if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld",
                     &state, &ut, &st, &cut, &cst) != 5)
        return 0;
    seen_runnable += state == 'R';
    return (long long)(ut + st) + (with_children ? cut + cst : 0);
}

/* The CPU the scenario has used so far: its threads but the watchdog, the
 * children it reaped, the processes below it. */
static long long scenario_ticks(void)
{
    long long total = 0;
    char path[96];
    DIR *d = opendir("/proc/self/task");
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            pid_t tid = (pid_t)atoi(e->d_name);
            if (tid <= 0 || tid == still_watcher)
                continue;
            snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
            total += stat_ticks(path, 0);
        }
        closedir(d);
    }
    char buf[512];
    if (kata_read_small("/proc/self/stat", buf, sizeof buf) > 0) {
        long long all = stat_ticks("/proc/self/stat", 1), own = stat_ticks("/proc/self/stat", 0);
        total += all - own; /* the reaped children's */
    }
    pid_t kids[64];
    int n = kata_descendants(getpid(), kids, 64);
    for (int i = 0; i < n && i < 64; i++) {
        snprintf(path, sizeof path, "/proc/%d/stat", kids[i]);
        total += stat_ticks(path, 0);
    }
    return total;
}

static void report_still(void)
{
    static char report[16384];
    FILE *out = fmemopen(report, sizeof report - 1, "w");
    if (!out)
        _exit(86);
    fprintf(out, "%s\n", KATA_STUCK_BEGIN);
    fprintf(out,
            KATA_TR("No thread of the scenario has run for %d s: each one waits for something "
                    "that never comes. At that moment:\n",
                    "场景里没有一个线程在 %d 秒内运行过：每个线程都在等一样永远不会来的东西。"
                    "那一刻的情况：\n"),
            KATA_STILL_SECONDS);
    fprintf(out, KATA_TR("  the scenario's process %d:\n", "  场景的进程 %d：\n"), getpid());
    kata_describe_process(out, getpid());
    pid_t kids[64];
    int n = kata_descendants(getpid(), kids, 64);
    for (int i = 0; i < n && i < 64; i++) {
        fprintf(
            out,
            KATA_TR("  process %d, forked by the scenario:\n", "  进程 %d（由场景 fork 出来）：\n"),
            kids[i]);
        kata_describe_process(out, kids[i]);
    }
    fprintf(out, "%s\n", KATA_STUCK_END);
    fclose(out);
    ssize_t ignored = write(STDERR_FILENO, report, strlen(report));
    (void)ignored;
    for (int i = 0; i < n && i < 64; i++)
        kill(kids[i], SIGKILL);
    _exit(86); /* KATA_EXIT_TIMEOUT */
}

static void *watch_still(void *arg)
{
    (void)arg;
    still_watcher = (pid_t)syscall(SYS_gettid);
    prctl(PR_SET_NAME, "kata-watchdog");
    long long last = -1;
    int still = 0; /* quarter seconds without progress */
    for (;;) {
        struct timespec q = {0, 250000000L};
        while (nanosleep(&q, &q) == -1 && errno == EINTR)
            ;
        seen_runnable = 0;
        long long now = scenario_ticks();
        still = now == last && !seen_runnable ? still + 1 : 0;
        last = now;
        if (still >= 4 * KATA_STILL_SECONDS)
            report_still();
    }
    return NULL;
}

__attribute__((constructor)) static void kata_start_still_watch(void)
{
    if (kata_begin || !RUNNING_ON_VALGRIND)
        return; /* the test program has its own watchdog; a benchmark runs alone */
    kata_skip_threads(is_still_watcher);
    kata_where_init();
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &attr, watch_still, NULL);
    pthread_attr_destroy(&attr);
}

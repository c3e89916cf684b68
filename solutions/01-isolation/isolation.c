/* 01-isolation: reference solution. */
#define _GNU_SOURCE
#include "isolation.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int iso_global;

/* ---- Part 1 ------------------------------------------------------------- */

/* Waits for pid; returns its exit status, or -1 if it did not exit normally. */
static int reap(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) /* a signal handler interrupted the wait: wait again */
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int child_exit_status(int code)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        _exit(code); /* _exit: no stdio flush, no atexit handlers, no return into the caller */
    return reap(pid);
}

/* ---- Parts 2 and 3 ------------------------------------------------------ */

/* How many of the three variables hold value. */
static int count_equal(int value, const int *heap, const int *stack)
{
    return (iso_global == value) + (*heap == value) + (*stack == value);
}

int observe_child_writes(int old_value, int new_value, struct after_write *out)
{
    int *heap = malloc(sizeof *heap);
    if (!heap)
        return -1;
    int stack = old_value;
    iso_global = old_value;
    *heap = old_value;
    pid_t pid = fork();
    if (pid < 0) {
        free(heap);
        return -1;
    }
    if (pid == 0) {
        /* These writes change the child's copies only. */
        iso_global = new_value;
        *heap = new_value;
        stack = new_value;
        _exit(count_equal(new_value, heap, &stack)); /* the status carries what the child saw */
    }
    int saw = reap(pid);
    *out = (struct after_write){iso_global, *heap, stack, saw};
    free(heap);
    return saw < 0 ? -1 : 0;
}

struct writer_arg {
    int new_value;
    int *heap;
    int *stack; /* the creator's local variable: threads share stacks too */
};

static void *thread_writer(void *p)
{
    struct writer_arg *a = p;
    iso_global = a->new_value;
    *a->heap = a->new_value;
    *a->stack = a->new_value;
    return (void *)(intptr_t)count_equal(a->new_value, a->heap, a->stack);
}

int observe_thread_writes(int old_value, int new_value, struct after_write *out)
{
    int *heap = malloc(sizeof *heap);
    if (!heap)
        return -1;
    int stack = old_value;
    iso_global = old_value;
    *heap = old_value;
    struct writer_arg arg = {new_value, heap, &stack};
    pthread_t t;
    if (pthread_create(&t, NULL, thread_writer, &arg) != 0) {
        free(heap);
        return -1;
    }
    void *saw;
    if (pthread_join(t, &saw) != 0)
        return -1; /* the thread may still use heap: leaking it is the safe choice */
    /* Only after pthread_join are the thread's writes guaranteed to be seen here. */
    *out = (struct after_write){iso_global, *heap, stack, (int)(intptr_t)saw};
    free(heap);
    return 0;
}

/* ---- Part 4 ------------------------------------------------------------- */

/* Writes all len bytes; write may take fewer at a time. 0, or -1 on error. */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads until end of file; returns the bytes read, or -1 on error or when
 * more than cap bytes arrive. */
static ssize_t read_to_eof(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    char extra;
    for (;;) {
        /* once buf is full, one more byte tells "end of file" from "too much" */
        ssize_t n = got < cap ? read(fd, buf + got, cap - got) : read(fd, &extra, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && got == cap))
            return -1;
        if (n == 0)
            return (ssize_t)got; /* every write end is closed: the result is complete */
        got += (size_t)n;
    }
}

ssize_t compute_in_child(iso_work work, void *buf, size_t cap)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]); /* the child only writes */
        size_t len = work(buf, cap);
        _exit(len <= cap && write_all(fds[1], buf, len) == 0 ? 0 : 1);
    }
    close(fds[1]); /* while the parent holds a write end, read never sees end of file */
    ssize_t got = read_to_eof(fds[0], buf, cap);
    close(fds[0]);
    int status = reap(pid); /* reap even after a failed read: no zombie left behind */
    return status == 0 ? got : -1;
}

/* ---- Part 5 ------------------------------------------------------------- */

static void count_into(struct slot *s, long increments)
{
    s->pid = getpid();
    for (long i = 0; i < increments; i++)
        s->count++; /* only this child writes this slot: no lock needed */
}

long count_in_children(int children, long increments, struct slot *out)
{
    if (children < 1 || children > ISO_MAX_CHILDREN || increments < 0)
        return -1;
    size_t size = sizeof(struct slot) * (size_t)children;
    /* MAP_SHARED before fork: the children write the very pages the parent reads */
    struct slot *slots =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED)
        return -1;
    pid_t pids[ISO_MAX_CHILDREN];
    int started = 0, failed = 0;
    for (; started < children; started++) {
        pid_t pid = fork();
        if (pid < 0) {
            failed = 1;
            break;
        }
        if (pid == 0) {
            count_into(&slots[started], increments);
            _exit(0);
        }
        pids[started] = pid;
    }
    for (int i = 0; i < started; i++)
        if (reap(pids[i]) != 0) /* after this, child i has written its last */
            failed = 1;
    long total = 0;
    for (int i = 0; i < children; i++) {
        out[i] = slots[i];
        total += slots[i].count;
    }
    munmap(slots, size);
    return failed ? -1 : total;
}

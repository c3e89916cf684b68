/* Part 1: fork a child, let it end with _exit, reap it with waitpid. */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "support.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(fork_reap);

static const int codes[] = {42, 0, 1, 255};
#define NCODES ((int)(sizeof codes / sizeof codes[0]))

struct status_run {
    int got[NCODES];
    int left[NCODES]; /* child processes each call added and left behind */
};

static void run_statuses(void *arg, void *out)
{
    (void)arg;
    struct status_run *r = out;
    int before = kata_children(getpid(), NULL, 0);
    for (int i = 0; i < NCODES; i++) {
        r->got[i] = child_exit_status(codes[i]);
        int now = kata_children(getpid(), NULL, 0);
        r->left[i] = now > before ? now - before : 0;
        before = now;
    }
}

static struct kata_proc statuses(struct status_run *r)
{
    memset(r, 0, sizeof *r);
    return kata_run_in_child(run_statuses, NULL, r, sizeof *r, helper_seconds());
}

/* Fails unless every call returned a status (not -1). */
static void assert_all_returned(const struct status_run *r)
{
    for (int i = 0; i < NCODES; i++)
        cr_assert(r->got[i] >= 0,
                  "child_exit_status(%d) returned %d: fork a child and wait for it with "
                  "waitpid before anything else can be checked", codes[i], r->got[i]);
}

/* ---- a child made to end with another code ------------------------------ */

/* Returning the argument gives the right number without ever asking the
 * child.  To tell the two apart, the test makes every child forked in this
 * run end at once, inside fork(), with FORCED_CODE (a pthread_atfork child
 * handler): only a parent that takes the number from waitpid's status
 * returns it.  Deterministic: the handler runs in the child before fork()
 * returns there. */
#define ASKED_CODE 42
#define FORCED_CODE 7

struct forced_run {
    int got;
    int forks; /* fork() calls the parent made, counted by the atfork parent handler */
};

static int forks_seen;

static void end_child_at_once(void)
{
    _exit(FORCED_CODE);
}

static void count_fork(void)
{
    forks_seen++;
}

static void run_forced(void *arg, void *out)
{
    (void)arg;
    struct forced_run *r = out;
    forks_seen = 0;
    if (pthread_atfork(NULL, count_fork, end_child_at_once) != 0)
        return;
    r->got = child_exit_status(ASKED_CODE);
    r->forks = forks_seen;
}

KATA_TEST(fork_reap, exit_status_reaches_parent)
{
    struct status_run r;
    struct kata_proc p = statuses(&r);
    assert_helper_completed(p, "child_exit_status");
    for (int i = 0; i < NCODES; i++)
        cr_assert_eq(r.got[i], codes[i],
                     "child_exit_status(%d) returned %d: the child should end with _exit(%d), "
                     "and the parent gets that number back from waitpid's status with "
                     "WIFEXITED/WEXITSTATUS", codes[i], r.got[i], codes[i]);

    struct forced_run f = {-1, 0};
    p = kata_run_in_child(run_forced, NULL, &f, sizeof f, helper_seconds());
    assert_helper_completed(p, "child_exit_status");
    cr_assert(f.forks > 0, "child_exit_status(%d) made no child with fork(): use fork()",
              ASKED_CODE);
    cr_assert_eq(f.got, FORCED_CODE,
                 "child_exit_status(%d) returned %d, but the test made its child end at once "
                 "with _exit(%d): return the code the child really exited with, read from "
                 "waitpid's status (WIFEXITED/WEXITSTATUS), not the argument",
                 ASKED_CODE, f.got, FORCED_CODE);
}

KATA_TEST(fork_reap, child_is_reaped)
{
    struct status_run r;
    struct kata_proc p = statuses(&r);
    assert_helper_completed(p, "child_exit_status");
    assert_all_returned(&r);
    for (int i = 0; i < NCODES; i++)
        cr_assert_eq(r.left[i], 0,
                     "child_exit_status(%d) returned but its child was never reaped: once "
                     "it ends, it stays a zombie until waitpid collects it; wait for the "
                     "child before returning", codes[i]);
}

KATA_TEST(fork_reap, child_ends_with__exit_without_returning)
{
    struct status_run r;
    struct kata_proc p = statuses(&r);
    assert_helper_completed(p, "child_exit_status"); /* its first check: no child escaped */
    assert_all_returned(&r);
}

/* ---- exit() in a child flushes the parent's buffered output again -------- */

#define MARK "<unflushed line of the caller>"

struct flush_run {
    int status;
    int copies; /* how many times MARK reached the pipe */
};

static int count_marks(const char *text)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, MARK)) != NULL; p += strlen(MARK))
        n++;
    return n;
}

static void run_with_pending_output(void *arg, void *out)
{
    (void)arg;
    struct flush_run *r = out;
    int fds[2];
    if (pipe(fds) != 0)
        return;
    FILE *f = fdopen(fds[1], "w");
    if (!f)
        return;
    /* Text in a stdio buffer, not yet written: fork copies it into the child. */
    setvbuf(f, NULL, _IOFBF, 4096);
    fputs(MARK, f);
    r->status = child_exit_status(3);
    fclose(f);
    char text[1024];
    size_t len = 0;
    ssize_t n;
    fcntl(fds[0], F_SETFL, O_NONBLOCK); /* never wait for a child that still holds the pipe */
    while (len < sizeof text - 1 && (n = read(fds[0], text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    close(fds[0]);
    r->copies = count_marks(text);
}

KATA_TEST(fork_reap, child_does_not_flush_callers_stdio)
{
    struct flush_run r = {-1, 0};
    struct kata_proc p = kata_run_in_child(run_with_pending_output, NULL, &r, sizeof r,
                                           helper_seconds());
    assert_helper_completed(p, "child_exit_status");
    cr_assert_eq(r.status, 3, "child_exit_status(3) returned %d: make "
                 "fork_reap::exit_status_reaches_parent pass first", r.status);
    cr_assert_eq(r.copies, 1,
                 "output the caller had buffered with stdio (printf, fputs) but not yet "
                 "written came out %d times instead of once: the child got a copy of that "
                 "buffer at fork, and exit() flushes it; a child must end with _exit(), "
                 "which writes nothing", r.copies);
}

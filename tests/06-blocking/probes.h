/* 06-blocking: what the tests use to watch and steer the code under test.
 *
 * The test program is linked with
 *   -Wl,--wrap=read -Wl,--wrap=poll -Wl,--wrap=fcntl -Wl,--wrap=clock_gettime
 * so every call to those functions goes through the __wrap_ functions in
 * probes.c first.  They pass every call straight on, except in the
 * threads the tests start to run the student's code, and there only for the
 * descriptors a test watches.
 *
 * Two ways to run the student's code:
 *
 * - probe_reader_*: a real thread (part 1).  The wrappers record each read()
 *   on a watched descriptor (entered, returned what) in one ordered log, so
 *   a test can wait until the reader is asleep inside read() (the wrapper
 *   says it entered, /proc/self/task/<tid>/syscall says it is in read on
 *   that descriptor) before it writes, and can show afterwards in which
 *   order things happened.  No verdict depends on how long anything takes.
 *
 * - probe_run: a thread on a virtual clock (parts 2 to 4).  There,
 *   clock_gettime(CLOCK_MONOTONIC) reads a pretend clock that starts at 0 ms
 *   and moves only when the code waits: poll() with a timeout, or a read()
 *   on a blocking descriptor, moves the clock to the next scripted event
 *   (probe_at_write, probe_at_close, probe_at_signal), performs it, and
 *   returns as the real call would; with no event before the timeout, the
 *   clock moves by the timeout and poll returns 0.  A 5 s timeout is tested
 *   in microseconds, and "returned at 100 ms" is exact.
 *   The wrappers also watch for code that makes no progress: reads that
 *   keep failing with EAGAIN, polls that return at once with nothing read
 *   after them, reads after end of file, a clock read in a loop.  After
 *   PROBE_BUSY_LIMIT such calls in a row the thread is stopped
 *   (pthread_exit from inside the wrapper) and the test says why: a busy
 *   loop is caught by counting calls, never by a stopwatch.
 *
 * A test gives up waiting after PROBE_WAIT_SECONDS of real time in all (a
 * wrong solution that hangs in a call no wrapper sees fails in about that
 * long, with a sentence, before the watchdog).
 */
#ifndef PROBES_H
#define PROBES_H

#define _GNU_SOURCE
#include "blocking.h"
#include "probe.h"

#include <poll.h>
#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#define PROBE_WAIT_SECONDS 1.5
#define PROBE_BUSY_LIMIT 50
#define PROBE_MAX 64

ssize_t __real_read(int fd, void *buf, size_t n);
int __real_poll(struct pollfd *fds, nfds_t n, int timeout);
int __real_fcntl(int fd, int cmd, ...);
int __real_clock_gettime(clockid_t id, struct timespec *ts);

/* ---- watched descriptors ---- */

/* Watch fd (the read end of a pipe) in the threads that run student code. */
void probe_watch(int fd);
/* From now on, each read() on fd returns at most `bytes` bytes (0: no limit),
 * as a pipe may when a writer writes in pieces. */
void probe_chunk(int fd, size_t bytes);

/* On the virtual clock, the next `count` reads on fd fail with EINTR before
 * they read anything, as when a signal arrives just then. */
void probe_interrupt_reads(int fd, int count);

/* The next `count` polls on the virtual clock fail with errno `err` at once,
 * as poll may (ENOMEM: the kernel has no memory for its tables). */
void probe_fail_polls(int count, int err);
/* The next fcntl(F_SETFL) on a watched descriptor fails with errno `err`
 * and changes nothing. */
void probe_fail_setfl(int err);

/* ---- the ordered log (part 1) ---- */
enum probe_kind {
    PROBE_READ_ENTER,  /* a read() on a watched fd began */
    PROBE_READ_RETURN, /* ... and returned value (errno err if -1) */
    PROBE_TEST_WRITE,  /* the test wrote value bytes */
    PROBE_TEST_CLOSE,  /* the test closed the write end */
    PROBE_TEST_SIGNAL, /* the test sent the reader a signal */
};
struct probe_event {
    enum probe_kind kind;
    long value;
    int err;
};
/* Adds an entry made by the test itself. */
void probe_log(enum probe_kind kind, long value);
/* A copy of the log; returns how many entries. */
int probe_events(struct probe_event out[PROBE_MAX]);

/* Why the wrappers stopped a thread that runs student code. */
enum probe_stop {
    PROBE_RAN,          /* nothing stopped it */
    PROBE_BUSY_EAGAIN,  /* read kept failing with EAGAIN, no wait between */
    PROBE_BUSY_POLL,    /* poll kept returning at once, nothing read after */
    PROBE_BUSY_CLOCK,   /* the clock read again and again, no wait between */
    PROBE_EOF_AGAIN,    /* read again and again after it returned 0 */
    PROBE_WAIT_FOREVER, /* waited (poll -1, or a blocking read) for what
                           will never come */
};

/* ---- a real reader thread (part 1) ---- */
struct probe_reader {
    int fd;
    size_t len;
    char buf[256];
    ssize_t result;          /* what blk_read_exact returned */
    int err;                 /* errno after it */
    int returned;            /* blk_read_exact returned */
    enum probe_stop stopped; /* PROBE_RAN, or why the wrappers stopped it */
};
/* Starts a thread that calls blk_read_exact(fd, r->buf, len). */
void probe_reader_start(struct probe_reader *r, int fd, size_t len);
/* Waits until the reader's k-th read() (1 = the first) on its fd is asleep
 * in the kernel, or the reader has returned or was stopped.  Returns 1 if it
 * is asleep in read. */
int probe_reader_blocked(struct probe_reader *r, int k);
/* Waits until the reader has returned or was stopped (or the time is up),
 * then joins it (or leaves it, if it is stuck).  Returns r->returned. */
int probe_reader_end(struct probe_reader *r);
/* Sends the reader thread signal `sig` (logged as PROBE_TEST_SIGNAL). */
void probe_reader_signal(int sig);
/* What the reader thread was doing when the wait gave up: "sleeping in
 * nanosleep", "running", ... */
const char *probe_reader_doing(struct probe_reader *r);

/* ---- a thread on the virtual clock (parts 2 to 4) ---- */

/* Scripted events, in time order, performed when the virtual clock reaches
 * them while the code waits. */
void probe_at_write(long ms, int wfd, const char *text);
void probe_at_close(long ms, int wfd);
void probe_at_signal(long ms); /* the wait that spans it fails with EINTR */

/* The virtual time `ms` milliseconds after the start, as a CLOCK_MONOTONIC
 * reading (for deadlines). */
struct timespec probe_at(long ms);

struct probe_outcome {
    int returned;         /* the function returned */
    enum probe_stop stop; /* or why the wrappers stopped it */
    int stuck;            /* or it neither returned nor was stopped in time */
    long at_ms;           /* the virtual time when it returned or stopped */
};
/* Runs fn(arg) on a thread whose clock is virtual, and waits for it. */
struct probe_outcome probe_run(void (*fn)(void *arg), void *arg);

/* What the code did in the runs so far. */
struct probe_stats {
    int reads, reads_eagain, reads_eof, reads_after_eof, reads_eintr;
    int polls;
    int poll_timeout[PROBE_MAX]; /* the timeout of each poll, in order */
    int poll_nfds[PROBE_MAX];    /* how many descriptors it watched */
    int poll_hup_ignored;        /* polls that returned at once with POLLHUP */
    int setfl_calls;             /* fcntl F_SETFL on a watched fd */
    long setfl_arg;              /* the flags of the last one */
    int getfl_calls;
    clockid_t other_clock; /* a clock other than MONOTONIC, or -1 */
    int busy_calls;        /* the longest run of calls without progress */
};
void probe_stats(struct probe_stats *s);

/* One sentence (English or Chinese) for why the code was stopped. */
const char *probe_stop_words(enum probe_stop why);
/* A sentence for an outcome that did not return: stopped or stuck. */
const char *probe_outcome_words(const struct probe_outcome *o);

/* ---- small helpers ---- */

/* Assertion messages use KATA_MSG(en, zh, args...) from kata.h. */

const char *probe_status_name(enum blk_status s);
const char *probe_errno_name(int err);
/* pipe() that aborts the test on failure. */
void probe_pipe(int p[2]);

#endif

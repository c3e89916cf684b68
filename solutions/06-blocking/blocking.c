/* 06-blocking: reference solution. */
#define _GNU_SOURCE
#include "blocking.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* ---- Part 1 ------------------------------------------------------------ */

ssize_t blk_read_exact(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t done = 0;
    while (done < len) {
        /* Blocks while the pipe is empty; returns what is there, maybe less. */
        ssize_t n = read(fd, p + done, len - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n == 0) {
            break; /* end of file: no writer is left, nothing more will come */
        } else if (errno != EINTR) {
            return -1;
        }
        /* EINTR: a signal woke us before any byte came; just wait again. */
    }
    return (ssize_t)done;
}

/* ---- Part 2 ------------------------------------------------------------ */

int blk_set_nonblocking(int fd)
{
    /* F_SETFL replaces all the status flags: start from the current ones. */
    int flags = fcntl(fd, F_GETFL);
    if (flags == -1)
        return -1;
    if (flags & O_NONBLOCK)
        return 0;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ? -1 : 0;
}

enum blk_status blk_read_available(int fd, void *buf, size_t cap, size_t *got)
{
    char *p = buf;
    size_t done = 0;
    enum blk_status status = BLK_AGAIN;
    while (done < cap) {
        ssize_t n = read(fd, p + done, cap - done);
        if (n > 0) {
            done += (size_t)n; /* maybe more is there: read again */
            continue;
        }
        if (n == 0) {
            status = BLK_EOF; /* lasting: the next call will see it again */
        } else if (errno == EINTR) {
            continue;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
            status = BLK_ERROR;
        }
        /* EAGAIN: empty for now; that is the answer, not a reason to retry. */
        break;
    }
    *got = done;
    if (done > 0)
        return BLK_DATA; /* data first; an end of file is reported next time */
    return status;
}

/* ---- Part 3 ------------------------------------------------------------ */

static long long now_ms(void)
{
    struct timespec t;
    /* MONOTONIC: a timeout must not stretch or shrink when the date is set. */
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int blk_wait_readable(const int fds[], int n, int timeout_ms, int ready[])
{
    if (n < 0 || n > BLK_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    struct pollfd pfd[BLK_MAX_FDS];
    for (int i = 0; i < n; i++) {
        pfd[i].fd = fds[i];
        pfd[i].events = POLLIN;
        pfd[i].revents = 0;
    }
    long long end = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    int left = timeout_ms;
    int r;
    /* One poll for all of them: the thread sleeps until any one is ready. */
    while ((r = poll(pfd, (nfds_t)n, left)) == -1 && errno == EINTR) {
        if (timeout_ms > 0) {
            /* Woken early: wait only for what is left of the timeout. */
            long long rest = end - now_ms();
            left = rest > 0 ? (int)rest : 0;
        }
    }
    if (r == -1)
        return -1;
    int count = 0;
    for (int i = 0; i < n; i++) {
        /* A closed pipe reports POLLHUP without POLLIN: read() returns 0 at
         * once, so it is readable too, and must be read to see the end. */
        ready[i] = (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
        count += ready[i];
    }
    return count;
}

/* ---- Part 4 ------------------------------------------------------------ */

int blk_reader_init(struct blk_reader *r, int fd)
{
    r->fd = fd;
    r->eof = 0;
    r->len = 0;
    return blk_set_nonblocking(fd);
}

/* Moves the first n bytes of r->buf out as a string, keeping the rest. */
static void take(struct blk_reader *r, size_t n, size_t skip, char line[BLK_LINE_MAX])
{
    memcpy(line, r->buf, n);
    line[n] = '\0';
    r->len -= n + skip;
    memmove(r->buf, r->buf + n + skip, r->len); /* the next line's start stays */
}

/* Milliseconds from now to the deadline, rounded up (0 once it is there). */
static int ms_left(struct timespec deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns =
        (long long)(deadline.tv_sec - now.tv_sec) * 1000000000LL + (deadline.tv_nsec - now.tv_nsec);
    if (ns <= 0)
        return 0;
    long long ms = (ns + 999999) / 1000000; /* rounding down would spin at the end */
    return ms > 1000000000 ? 1000000000 : (int)ms;
}

enum blk_status blk_read_line(struct blk_reader *r, char line[BLK_LINE_MAX],
                              struct timespec deadline)
{
    for (;;) {
        char *nl = memchr(r->buf, '\n', r->len);
        if (nl != NULL) {
            take(r, (size_t)(nl - r->buf), 1, line);
            return BLK_DATA;
        }
        if (r->len == BLK_LINE_MAX) {
            errno = EMSGSIZE; /* no '\n' in a full buffer: it will never fit */
            return BLK_ERROR;
        }
        if (r->eof) {
            if (r->len == 0)
                return BLK_EOF;
            take(r, r->len, 0, line); /* the last line had no '\n' */
            return BLK_DATA;
        }
        /* Take what is there first, without waiting. */
        size_t got;
        enum blk_status s = blk_read_available(r->fd, r->buf + r->len, BLK_LINE_MAX - r->len, &got);
        r->len += got;
        if (s == BLK_EOF)
            r->eof = 1;
        if (s == BLK_ERROR)
            return BLK_ERROR;
        if (s != BLK_AGAIN)
            continue;
        /* Nothing yet: sleep in poll, but never past the deadline. */
        int left = ms_left(deadline);
        if (left == 0)
            return BLK_TIMEOUT; /* the partial line stays in r->buf */
        int ready;
        if (blk_wait_readable(&r->fd, 1, left, &ready) == -1)
            return BLK_ERROR;
        /* Ready or not, go round: the read or the deadline check decides. */
    }
}

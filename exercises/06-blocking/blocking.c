/* 06-blocking: blocking and non-blocking reads, poll, a line with a deadline.
 * Read README.md, then replace every TODO.  blocking.h says what each
 * function must do; `make test EX=06` says what is still missing. */
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
    /* TODO: call read() until len bytes have come.  Go on after EINTR; stop
     * at end of file (read returns 0) and return what you have. */
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

/* ---- Part 2 ------------------------------------------------------------ */

int blk_set_nonblocking(int fd)
{
    /* TODO: F_GETFL, add O_NONBLOCK, F_SETFL. */
    (void)fd;
    errno = ENOSYS;
    return -1;
}

enum blk_status blk_read_available(int fd, void *buf, size_t cap, size_t *got)
{
    /* TODO: read until buf is full, EAGAIN (nothing more yet) or 0 (end of
     * file); tell the three apart. */
    (void)fd;
    (void)buf;
    (void)cap;
    *got = 0;
    errno = ENOSYS;
    return BLK_ERROR;
}

/* ---- Part 3 ------------------------------------------------------------ */

int blk_wait_readable(const int fds[], int n, int timeout_ms, int ready[])
{
    /* TODO: one struct pollfd per descriptor (events = POLLIN), one poll()
     * for all; after EINTR, poll again for the time that is left. */
    (void)fds;
    (void)n;
    (void)timeout_ms;
    (void)ready;
    errno = ENOSYS;
    return -1;
}

/* ---- Part 4 ------------------------------------------------------------ */

int blk_reader_init(struct blk_reader *r, int fd)
{
    /* TODO: fill in r, and make fd non-blocking. */
    (void)r;
    (void)fd;
    errno = ENOSYS;
    return -1;
}

enum blk_status blk_read_line(struct blk_reader *r, char line[BLK_LINE_MAX],
                              struct timespec deadline)
{
    /* TODO: a loop: a '\n' in r->buf?  hand the line out.  Otherwise take
     * what is there (blk_read_available); if nothing is, wait in
     * blk_wait_readable for the time left until the deadline. */
    (void)r;
    (void)line;
    (void)deadline;
    errno = ENOSYS;
    return BLK_ERROR;
}

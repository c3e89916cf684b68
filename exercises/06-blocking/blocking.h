/* 06-blocking: blocking and non-blocking reads, poll, a line with a deadline.
 *
 * You write blocking.c; this header is the contract and is not edited.
 * Every descriptor here is a pipe's read end unless a comment says otherwise.
 * Functions that fail return -1 (or BLK_ERROR) with errno set by the call
 * that failed.
 */
#ifndef BLOCKING_H
#define BLOCKING_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

/* What a non-blocking read, or a read with a deadline, found. */
enum blk_status {
    BLK_DATA,    /* part 2: bytes were read; part 4: a line was read */
    BLK_AGAIN,   /* nothing yet: read failed with EAGAIN (or EWOULDBLOCK): the
                    pipe is empty but a writer still holds it open */
    BLK_EOF,     /* end of file: read returned 0: every write end is closed
                    and everything written has been read; nothing more will
                    ever come */
    BLK_TIMEOUT, /* part 4: the deadline came before a whole line did */
    BLK_ERROR,   /* anything else; errno says what */
};

/* ---- Part 1: a blocking read ------------------------------------------ */

/* Reads exactly len bytes from fd (a descriptor in blocking mode) into buf,
 * waiting as long as it takes.  While the pipe is empty, read() puts the
 * calling thread to sleep until a writer writes: the thread stays inside
 * read() and uses no CPU.  A read returns what the pipe holds at that
 * moment, which may be fewer bytes than asked for, so call it again until
 * len bytes have arrived.
 *   - read() failing with EINTR means a signal arrived while it waited,
 *     before any byte did: nothing is wrong, call it again.
 *   - read() returning 0 means end of file: stop, and return the number of
 *     bytes read so far (fewer than len; 0 if none).
 * Returns len, or fewer at end of file, or -1 on any other error. */
ssize_t blk_read_exact(int fd, void *buf, size_t len);

/* ---- Part 2: non-blocking --------------------------------------------- */

/* Puts fd in non-blocking mode: reads the descriptor's status flags with
 * fcntl(fd, F_GETFL), adds O_NONBLOCK, and writes them back with F_SETFL,
 * so that every other flag (O_APPEND, O_DIRECT, ...) stays as it was.
 * Works on any descriptor, a pipe or a file.  Returns 0, or -1 on error. */
int blk_set_nonblocking(int fd);

/* Reads whatever fd (already non-blocking) holds right now, at most cap
 * bytes, into buf, and returns at once, never waiting:
 *   - reads again while read() returns bytes and buf has room: one read may
 *     return only part of what is there;
 *   - stops at the first read that fails with EAGAIN: that is "nothing more
 *     yet", an answer, never a reason to try again (it would spin);
 *   - stops at the first read that returns 0: end of file.
 * Stores the number of bytes read in *got, and returns BLK_DATA if it read
 * any (even if end of file came right after them: the next call sees the
 * end again, since it lasts); otherwise BLK_AGAIN, BLK_EOF or BLK_ERROR.
 * A read interrupted by a signal (EINTR) is tried again. */
enum blk_status blk_read_available(int fd, void *buf, size_t cap, size_t *got);

/* ---- Part 3: waiting on several descriptors --------------------------- */

/* Waits with poll() until at least one of the n descriptors fds[0..n-1] is
 * readable, or timeout_ms milliseconds have passed (-1: no limit; 0: just
 * look, do not wait).  One poll() call watches all of them at once.
 * "Readable" means that read() would not block: data is there (POLLIN),
 * or every writer has closed the pipe (POLLHUP: read() returns 0 at once),
 * or an error is pending (POLLERR).  Sets ready[i] to 1 for each readable
 * descriptor and 0 for the others, and returns how many are readable, or 0
 * when the time ran out, or -1 on error (errno EINVAL when n is below 0 or
 * above BLK_MAX_FDS; n == 0 only waits out the timeout).
 * If a signal interrupts poll (EINTR), call it again, for the time that is
 * left, not the whole timeout_ms again: measure with
 * clock_gettime(CLOCK_MONOTONIC). */
#define BLK_MAX_FDS 16
int blk_wait_readable(const int fds[], int n, int timeout_ms, int ready[]);

/* ---- Part 4: a line, with a deadline ---------------------------------- */

/* A line reader: bytes read from fd but not handed out yet stay in buf, so
 * that a line split across reads, or the start of the next line read along
 * with this one, is never lost. */
#define BLK_LINE_MAX 128
struct blk_reader {
    int fd;
    int eof;                /* read() has returned 0 */
    size_t len;             /* bytes in buf */
    char buf[BLK_LINE_MAX]; /* read, not yet returned */
};

/* Sets up r to read lines from fd, and puts fd in non-blocking mode with
 * blk_set_nonblocking.  Returns 0, or -1 on error. */
int blk_reader_init(struct blk_reader *r, int fd);

/* Reads the next line into line[], without its '\n' and ending in '\0',
 * waiting at most until `deadline`, a time on CLOCK_MONOTONIC.
 *   - BLK_DATA: a line was read.  At end of file, a last line with no '\n'
 *     is returned as a line too.
 *   - BLK_EOF: end of file, and no bytes are left.
 *   - BLK_TIMEOUT: the deadline came first.  The bytes of the unfinished
 *     line stay in r, for the next call.
 *   - BLK_ERROR: errno says why; EMSGSIZE when BLK_LINE_MAX bytes came with
 *     no '\n' among them (a line, '\n' included, fits in BLK_LINE_MAX).
 * What is already there is always taken, even when the deadline has passed
 * already; the deadline only limits how long the call waits, and it waits
 * in poll (blk_wait_readable), for no longer than the time left, never in
 * a loop that tries again and again.  line has room for BLK_LINE_MAX
 * bytes. */
enum blk_status blk_read_line(struct blk_reader *r, char line[BLK_LINE_MAX],
                              struct timespec deadline);

#endif

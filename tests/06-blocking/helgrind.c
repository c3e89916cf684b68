/* 06-blocking: the scenario, run under helgrind.
 *
 * A writer thread feeds pipes while the main thread reads them with the
 * exercise's functions: a blocking read of a message written in pieces,
 * lines read with a deadline, a wait over two pipes, and a deadline that
 * passes on a pipe nobody writes to.  The reader only ever touches what came
 * through the pipes, so helgrind must find nothing.  Exits 0 when everything
 * arrived as written. */
#define _GNU_SOURCE
#include "blocking.h"
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int exact_pipe[2], line_pipe[2], quiet_pipe[2];

static void put(int fd, const char *text)
{
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len)
        perror("write");
}

static void pause_ms(int ms)
{
    struct timespec t = {0, ms * 1000000L};
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
}

/* Writes in pieces, with pauses, so that the reader does wait for them. */
static void *writer(void *arg)
{
    (void)arg;
    put(exact_pipe[1], "bloc");
    pause_ms(5);
    put(exact_pipe[1], "king");
    close(exact_pipe[1]);
    put(line_pipe[1], "first li");
    pause_ms(5);
    put(line_pipe[1], "ne\nsecond line\nthe ");
    pause_ms(5);
    put(line_pipe[1], "end");
    close(line_pipe[1]);
    return NULL;
}

static struct timespec in_ms(long ms)
{
    return kata_ts_add_ns(kata_now(), ms * 1000000LL);
}

int main(void)
{
    int bad = 0;
    if (pipe(exact_pipe) != 0 || pipe(line_pipe) != 0 || pipe(quiet_pipe) != 0) {
        perror("pipe");
        return 1;
    }
    pthread_t w;
    if (pthread_create(&w, NULL, writer, NULL) != 0) {
        fprintf(stderr, "cannot start the writer\n");
        return 1;
    }

    char buf[16] = "";
    ssize_t n = blk_read_exact(exact_pipe[0], buf, 8);
    if (n != 8 || memcmp(buf, "blocking", 8) != 0) {
        fprintf(stderr, "blk_read_exact returned %zd, \"%.8s\"\n", n, buf);
        bad = 1;
    }

    int both[2] = {quiet_pipe[0], line_pipe[0]}, ready[2] = {0, 0};
    int r = blk_wait_readable(both, 2, 10000, ready); /* the writer will write */
    if (r != 1 || ready[0] != 0 || ready[1] != 1) {
        fprintf(stderr, "blk_wait_readable returned %d, ready {%d, %d}\n", r, ready[0], ready[1]);
        bad = 1;
    }

    struct blk_reader lines;
    if (blk_reader_init(&lines, line_pipe[0]) != 0) {
        perror("blk_reader_init");
        return 1;
    }
    const char *want[] = {"first line", "second line", "the end"};
    char line[BLK_LINE_MAX];
    for (int i = 0; i < 3; i++) {
        /* A deadline far away: the verdict never depends on the machine's speed. */
        enum blk_status s = blk_read_line(&lines, line, in_ms(10000));
        if (s != BLK_DATA || strcmp(line, want[i]) != 0) {
            fprintf(stderr, "line %d: status %d, \"%s\", not \"%s\"\n", i, (int)s,
                    s == BLK_DATA ? line : "", want[i]);
            bad = 1;
        }
    }
    if (blk_read_line(&lines, line, in_ms(10000)) != BLK_EOF) {
        fprintf(stderr, "no BLK_EOF after the last line\n");
        bad = 1;
    }
    pthread_join(w, NULL);

    struct blk_reader quiet;
    if (blk_reader_init(&quiet, quiet_pipe[0]) != 0) {
        perror("blk_reader_init");
        return 1;
    }
    /* Nobody writes to this one and its writer stays open: only the deadline ends it. */
    if (blk_read_line(&quiet, line, in_ms(20)) != BLK_TIMEOUT) {
        fprintf(stderr, "no BLK_TIMEOUT on a pipe nobody writes to\n");
        bad = 1;
    }
    return bad;
}

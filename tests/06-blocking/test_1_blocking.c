/* 06-blocking, part 1: a blocking read waits, asleep, until a writer writes.
 *
 * The reader is a real thread.  The test writes only once it has seen the
 * reader asleep inside read() on the empty pipe, so the order of events is
 * forced, never left to timing. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(blocking);

static void test_write(int fd, const char *text)
{
    size_t len = strlen(text);
    probe_log(PROBE_TEST_WRITE, (long)len);
    cr_assert(write(fd, text, len) == (ssize_t)len, "the test could not write to its pipe");
}

static void test_close(int fd)
{
    probe_log(PROBE_TEST_CLOSE, 0);
    close(fd);
}

/* Fails the test unless the reader's k-th read() is asleep in the kernel;
 * `when` says what the test has done so far. */
static void expect_asleep_in_read(struct probe_reader *r, int k, const char *when)
{
    if (probe_reader_blocked(r, k))
        return;
    const char *doing = probe_reader_doing(r);
    probe_reader_end(r);
    if (r->returned)
        cr_assert_fail(
            KATA_MSG("blk_read_exact returned %zd (errno %s) %s, before the bytes it "
                     "asked for had come: while the pipe is empty and a writer still "
                     "holds it open, a blocking read waits, asleep inside read(); "
                     "blk_read_exact returns only once len bytes have come, or at end "
                     "of file",
                     "blk_read_exact 返回了 %zd（errno %s），当时%s，它要的字节还没到齐："
                     "管道为空、且还有写者开着它时，阻塞读就睡在 read() 里等；"
                     "blk_read_exact 只在凑够 len 字节、或遇到文件结束时才返回",
                     r->result, probe_errno_name(r->err), when));
    if (r->stopped)
        cr_assert_fail(KATA_MSG("blk_read_exact was stopped %s: %s",
                                "blk_read_exact 被叫停了（当时%s）：%s", when,
                                probe_stop_words(r->stopped)));
    cr_assert_fail(KATA_MSG("blk_read_exact never fell asleep in read() number %d (%s; %s): "
                            "while nothing has come, a blocking read puts the thread to sleep "
                            "inside the read() call itself; no loop, no sleep(), no O_NONBLOCK",
                            "blk_read_exact 没有睡进第 %d 次 read()（当时%s；%s）：什么都没来的"
                            "时候，阻塞读让线程就睡在 read() 调用里面；不要循环，不要 sleep()，"
                            "不要 O_NONBLOCK",
                            k, when, doing));
}

static void expect_result(struct probe_reader *r, ssize_t want, const char *text)
{
    if (r->stopped)
        cr_assert_fail("%s", probe_stop_words(r->stopped));
    cr_assert(r->returned,
              KATA_MSG("blk_read_exact did not return after the test had written everything "
                       "(%s): once len bytes have come, stop reading and return",
                       "测试已写完所有数据，blk_read_exact 却没返回（%s）：凑够 len 字节后就该停"
                       "止读取并返回",
                       probe_reader_doing(r)));
    cr_assert(r->result == want, KATA_MSG("blk_read_exact returned %zd (errno %s), not %zd",
                                          "blk_read_exact 返回了 %zd（errno %s），而不是 %zd",
                                          r->result, probe_errno_name(r->err), want));
    cr_assert(memcmp(r->buf, text, (size_t)want) == 0,
              KATA_MSG("blk_read_exact returned the right count, but buf holds \"%.*s\", not "
                       "\"%s\": each read() must go on at the end of what came before (buf + "
                       "bytes so far)",
                       "blk_read_exact 返回的字节数对，但 buf 里是 \"%.*s\" 而不是 \"%s\"："
                       "每次 read() 都要接在已读数据的后面（buf + 已读字节数）",
                       (int)want, r->buf, text));
}

KATA_TEST(blocking, read_waits_for_the_writer)
{
    int p[2];
    probe_pipe(p);
    struct probe_reader r;
    probe_reader_start(&r, p[0], 5);
    expect_asleep_in_read(&r, 1, KATA_TR("on an empty pipe", "管道还是空的"));
    test_write(p[1], "hello");
    probe_reader_end(&r);
    expect_result(&r, 5, "hello");
    /* The log shows the order: the read began, the test wrote, the read returned. */
    struct probe_event ev[PROBE_MAX];
    int n = probe_events(ev);
    int wrote = -1, returned = -1;
    for (int i = 0; i < n; i++) {
        if (ev[i].kind == PROBE_TEST_WRITE && wrote < 0)
            wrote = i;
        if (ev[i].kind == PROBE_READ_RETURN && returned < 0)
            returned = i;
    }
    cr_assert(ev[0].kind == PROBE_READ_ENTER && wrote > 0 && returned > wrote,
              KATA_MSG("the order of events was not: read() began, the writer wrote, read() "
                       "returned: a blocking read returns only once the data is there",
                       "事件的顺序不是：read() 开始、写者写入、read() 返回：阻塞读只在数据到了之后"
                       "才返回"));
}

KATA_TEST(blocking, read_collects_a_message_written_in_pieces)
{
    int p[2];
    probe_pipe(p);
    struct probe_reader r;
    probe_reader_start(&r, p[0], 6);
    expect_asleep_in_read(&r, 1, KATA_TR("on an empty pipe", "管道还是空的"));
    test_write(p[1], "abc");
    expect_asleep_in_read(&r, 2,
                          KATA_TR("after 3 of the 6 bytes (one read() returns what the pipe "
                                  "holds, here 3 bytes: call it again for the rest)",
                                  "只来了 6 字节中的 3 字节（一次 read() 只返回管道里现有的，"
                                  "这里是 3 字节：再调用它去读剩下的）"));
    test_write(p[1], "def");
    probe_reader_end(&r);
    expect_result(&r, 6, "abcdef");
}

KATA_TEST(blocking, read_stops_at_end_of_file)
{
    int p[2];
    probe_pipe(p);
    struct probe_reader r;
    probe_reader_start(&r, p[0], 8);
    expect_asleep_in_read(&r, 1, KATA_TR("on an empty pipe", "管道还是空的"));
    test_write(p[1], "ab");
    expect_asleep_in_read(&r, 2, KATA_TR("after 2 of the 8 bytes", "只来了 8 字节中的 2 字节"));
    test_close(p[1]);
    probe_reader_end(&r);
    cr_assert(!r.stopped,
              KATA_MSG("blk_read_exact, after the writer closed the pipe: %s",
                       "写者关闭管道之后，blk_read_exact：%s", probe_stop_words(r.stopped)));
    cr_assert(r.returned && r.result == 2,
              KATA_MSG("the writer wrote \"ab\" and closed the pipe, and blk_read_exact "
                       "returned %zd (errno %s), not 2: read() returning 0 is end of file, "
                       "not an error; return the bytes read so far",
                       "写者写了 \"ab\" 后关闭了管道，blk_read_exact 返回了 %zd（errno %s）而不"
                       "是 2：read() 返回 0 表示文件结束，不是错误；返回已经读到的字节数",
                       r.result, probe_errno_name(r.err)));
    expect_result(&r, 2, "ab");
}

KATA_TEST(blocking, read_returns_0_when_the_pipe_ends_empty)
{
    int p[2];
    probe_pipe(p);
    struct probe_reader r;
    probe_reader_start(&r, p[0], 4);
    expect_asleep_in_read(&r, 1, KATA_TR("on an empty pipe", "管道还是空的"));
    test_close(p[1]);
    probe_reader_end(&r);
    cr_assert(!r.stopped,
              KATA_MSG("blk_read_exact, after the writer closed the pipe: %s",
                       "写者关闭管道之后，blk_read_exact：%s", probe_stop_words(r.stopped)));
    cr_assert(r.returned && r.result == 0,
              KATA_MSG("the writer closed the pipe without writing, and blk_read_exact "
                       "returned %zd (errno %s), not 0: end of file before any byte means "
                       "0 bytes read",
                       "写者什么也没写就关闭了管道，blk_read_exact 返回了 %zd（errno %s）而不是 "
                       "0：一个字节都没读到就遇到文件结束，就是读到 0 字节",
                       r.result, probe_errno_name(r.err)));
}

static void on_signal(int sig)
{
    (void)sig; /* its only job: to interrupt the read */
}

KATA_TEST(blocking, read_goes_on_after_a_signal)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: the sleeping read fails with EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    int p[2];
    probe_pipe(p);
    struct probe_reader r;
    probe_reader_start(&r, p[0], 3);
    expect_asleep_in_read(&r, 1, KATA_TR("on an empty pipe", "管道还是空的"));
    probe_reader_signal(SIGUSR1);
    expect_asleep_in_read(&r, 2,
                          KATA_TR("after a signal interrupted its read() (read failed with "
                                  "EINTR: no data came, a signal handler ran; that is no "
                                  "error, call read() again)",
                                  "一个信号打断了它的 read() 之后（read 以 EINTR 失败：数据没来，"
                                  "只是信号处理函数运行了一次；这不是错误，再调用 read()）"));
    test_write(p[1], "hi!");
    probe_reader_end(&r);
    struct probe_stats s;
    probe_stats(&s);
    cr_assert(s.reads_eintr >= 1, KATA_MSG("the signal did not interrupt read(): was SIGUSR1 "
                                           "blocked?",
                                           "信号没有打断 read()：SIGUSR1 被屏蔽了吗？"));
    expect_result(&r, 3, "hi!");
}

KATA_TEST(blocking, read_reports_a_read_that_fails)
{
    int p[2];
    probe_pipe(p);
    struct probe_reader r;
    probe_reader_start(&r, p[1], 4); /* the write end: read() fails with EBADF */
    probe_reader_end(&r);
    cr_assert(!r.stopped,
              KATA_MSG("blk_read_exact, on a descriptor it cannot read: %s",
                       "blk_read_exact 读一个不能读的描述符时：%s", probe_stop_words(r.stopped)));
    cr_assert(r.returned && r.result == -1 && r.err == EBADF,
              KATA_MSG("on a descriptor it cannot read (a pipe's write end: read() fails with "
                       "EBADF), blk_read_exact returned %zd (errno %s), not -1 with errno "
                       "EBADF: only read() returning 0 is end of file, and only EINTR means "
                       "\"call it again\"; any other failure is returned as -1, with the errno "
                       "read() set",
                       "对一个不能读的描述符（管道的写端：read() 以 EBADF 失败），blk_read_exact "
                       "返回了 %zd（errno %s），而不是 -1 且 errno 为 EBADF：只有 read() 返回 0 "
                       "才是文件结束，只有 EINTR 表示“再调用一次”；其他失败都要返回 -1，并保留 "
                       "read() 设置的 errno",
                       r.result, probe_errno_name(r.err)));
}

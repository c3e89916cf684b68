/* 06-blocking, part 2: non-blocking mode, EAGAIN, end of file.
 *
 * The student's code runs on a thread whose read() is watched: a call that
 * would spin on EAGAIN is stopped after a few dozen calls and named. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(nonblocking);

struct call {
    int fd;
    int ret;
    int err;
    size_t cap, got;
    enum blk_status status;
    char buf[64];
};

static void call_set(void *p)
{
    struct call *c = p;
    c->ret = blk_set_nonblocking(c->fd);
    c->err = errno;
}

static void call_available(void *p)
{
    struct call *c = p;
    c->got = 12345;
    c->status = blk_read_available(c->fd, c->buf, c->cap, &c->got);
    c->err = errno;
}

static void run(void (*fn)(void *), struct call *c, const char *what)
{
    struct probe_outcome o = probe_run(fn, c);
    cr_assert(o.returned,
              KATA_MSG("%s did not return: %s", "%s 没有返回：%s", what, probe_outcome_words(&o)));
}

/* A pipe whose read end is already non-blocking (set by the test). */
static void nonblocking_pipe(int p[2])
{
    probe_pipe(p);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    probe_watch(p[0]);
}

static void expect_set_ok(struct call *c)
{
    cr_assert(c->ret == 0,
              KATA_MSG("blk_set_nonblocking returned %d (errno %s), not 0: read the "
                       "flags with fcntl(fd, F_GETFL), add O_NONBLOCK, write them back "
                       "with fcntl(fd, F_SETFL, flags)",
                       "blk_set_nonblocking 返回了 %d（errno %s）而不是 0：先用 "
                       "fcntl(fd, F_GETFL) 读出标志，加上 O_NONBLOCK，再用 fcntl(fd, "
                       "F_SETFL, flags) 写回去",
                       c->ret, probe_errno_name(c->err)));
    int flags = fcntl(c->fd, F_GETFL);
    cr_assert(flags & O_NONBLOCK,
              KATA_MSG("blk_set_nonblocking returned 0 but the descriptor is still blocking: "
                       "O_NONBLOCK must be set in its status flags (F_SETFL)",
                       "blk_set_nonblocking 返回了 0，但描述符仍是阻塞的：必须在它的状态标志里"
                       "设上 O_NONBLOCK（F_SETFL）"));
}

static void expect_kept(struct call *c, int flag, const char *name, const char *on)
{
    struct probe_stats s;
    probe_stats(&s);
    cr_assert(fcntl(c->fd, F_GETFL) & flag,
              KATA_MSG("%s had %s set, and blk_set_nonblocking dropped it (F_SETFL was given "
                       "0x%lx): F_SETFL replaces all the status flags at once, so start from "
                       "what F_GETFL returns and add O_NONBLOCK to it (flags | O_NONBLOCK)",
                       "%s 原本设有 %s，blk_set_nonblocking 把它弄丢了（传给 F_SETFL 的是 "
                       "0x%lx）：F_SETFL 会一次替换全部状态标志，所以要从 F_GETFL 的返回值出发，"
                       "再加上 O_NONBLOCK（flags | O_NONBLOCK）",
                       on, name, s.setfl_arg));
}

KATA_TEST(nonblocking, set_nonblocking_turns_o_nonblock_on)
{
    int p[2];
    probe_pipe(p);
    probe_watch(p[0]);
    struct call c = {.fd = p[0], .ret = -2};
    run(call_set, &c, "blk_set_nonblocking");
    expect_set_ok(&c);
}

KATA_TEST(nonblocking, set_nonblocking_keeps_a_pipes_other_flags)
{
    int p[2];
    cr_assert(pipe2(p, O_DIRECT) == 0, "the test could not make a pipe in packet mode");
    kata_allow_fd(p[0]);
    kata_allow_fd(p[1]);
    probe_watch(p[1]); /* its write end carries O_DIRECT */
    struct call c = {.fd = p[1], .ret = -2};
    run(call_set, &c, "blk_set_nonblocking");
    expect_set_ok(&c);
    expect_kept(&c, O_DIRECT, "O_DIRECT", KATA_TR("the pipe's write end", "这个管道的写端"));
}

KATA_TEST(nonblocking, set_nonblocking_keeps_a_files_other_flags)
{
    int fd = open("/dev/null", O_WRONLY | O_APPEND | O_CLOEXEC);
    cr_assert(fd >= 0, "the test could not open /dev/null");
    kata_allow_fd(fd);
    probe_watch(fd);
    struct call c = {.fd = fd, .ret = -2};
    run(call_set, &c, "blk_set_nonblocking");
    expect_set_ok(&c);
    expect_kept(&c, O_APPEND, "O_APPEND", KATA_TR("the file", "这个文件"));
}

KATA_TEST(nonblocking, set_nonblocking_reports_a_bad_descriptor)
{
    int p[2];
    probe_pipe(p);
    close(p[0]); /* p[0] is no descriptor any more */
    probe_watch(p[0]);
    struct call c = {.fd = p[0], .ret = -2};
    run(call_set, &c, "blk_set_nonblocking");
    cr_assert(c.ret == -1 && c.err == EBADF,
              KATA_MSG("blk_set_nonblocking on a closed descriptor returned %d (errno %s), not -1 "
                       "with errno EBADF: when fcntl fails, return -1 and leave the errno it set",
                       "对一个已关闭的描述符，blk_set_nonblocking 返回了 %d（errno %s），而不是 -1 "
                       "且 errno 为 EBADF：fcntl 失败时返回 -1，并保留它设置的 errno",
                       c.ret, probe_errno_name(c.err)));
}

KATA_TEST(nonblocking, empty_pipe_answers_nothing_yet_at_once)
{
    int p[2];
    nonblocking_pipe(p); /* p[1] stays open: more may come later */
    struct call c = {.fd = p[0], .cap = 16};
    run(call_available, &c, "blk_read_available");
    struct probe_stats s;
    probe_stats(&s);
    cr_assert(c.status == BLK_AGAIN && c.got == 0,
              KATA_MSG("on an empty pipe whose writer is still open, blk_read_available returned "
                       "%s with *got = %zu (errno %s), not BLK_AGAIN with 0: read() fails with "
                       "EAGAIN, which means \"nothing yet\", not an error",
                       "管道为空、写端仍开着，blk_read_available 却返回了 %s，*got = %zu（errno "
                       "%s），而不是 BLK_AGAIN 和 0：read() 以 EAGAIN 失败，意思是“暂时没有”，"
                       "不是错误",
                       probe_status_name(c.status), c.got, probe_errno_name(c.err)));
    cr_assert(s.reads_eagain <= 1,
              KATA_MSG("blk_read_available called read() %d time(s) that failed with EAGAIN: once "
                       "is the answer; calling it again at once cannot find anything new and only "
                       "spins",
                       "blk_read_available 调用了 %d 次以 EAGAIN 失败的 read()：一次就是答案；"
                       "立刻再调用也读不到新东西，只是在空转",
                       s.reads_eagain));
}

KATA_TEST(nonblocking, available_bytes_are_returned_at_once)
{
    int p[2];
    nonblocking_pipe(p);
    cr_assert(write(p[1], "hello", 5) == 5);
    struct call c = {.fd = p[0], .cap = 64};
    run(call_available, &c, "blk_read_available");
    cr_assert(c.status == BLK_DATA && c.got == 5 && memcmp(c.buf, "hello", 5) == 0,
              KATA_MSG("the pipe held \"hello\" and blk_read_available returned %s with *got = "
                       "%zu, not BLK_DATA with 5: read what is there, and say how much",
                       "管道里有 \"hello\"，blk_read_available 却返回了 %s，*got = %zu，而不是 "
                       "BLK_DATA 和 5：读出现有的数据，并告诉调用者有多少",
                       probe_status_name(c.status), c.got));
}

KATA_TEST(nonblocking, reads_again_while_bytes_keep_coming)
{
    int p[2];
    nonblocking_pipe(p);
    cr_assert(write(p[1], "abcdefghij", 10) == 10);
    probe_chunk(p[0], 3); /* each read() hands out at most 3 bytes */
    struct call c = {.fd = p[0], .cap = 64};
    run(call_available, &c, "blk_read_available");
    cr_assert(c.got == 10 && c.status == BLK_DATA && memcmp(c.buf, "abcdefghij", 10) == 0,
              KATA_MSG("the pipe held 10 bytes, handed out 3 at a time, and blk_read_available "
                       "returned %s with *got = %zu (\"%.*s\"): one read() may return only part of "
                       "what is there; read again, after what you have, until EAGAIN, end of file "
                       "or a full buffer",
                       "管道里有 10 字节，每次 read() 最多给 3 字节，blk_read_available 返回了 %s，"
                       "*got = %zu（\"%.*s\"）：一次 read() 可能只返回一部分；接着已读的数据再读，"
                       "直到 EAGAIN、文件结束或缓冲区满",
                       probe_status_name(c.status), c.got, (int)(c.got < 64 ? c.got : 0), c.buf));
}

KATA_TEST(nonblocking, never_reads_more_than_cap)
{
    int p[2];
    nonblocking_pipe(p);
    cr_assert(write(p[1], "abcdefghij", 10) == 10);
    struct call c = {.fd = p[0], .cap = 4};
    memset(c.buf, '#', sizeof c.buf);
    run(call_available, &c, "blk_read_available");
    cr_assert(c.got == 4 && c.status == BLK_DATA && memcmp(c.buf, "abcd####", 8) == 0,
              KATA_MSG("with cap = 4 and 10 bytes in the pipe, blk_read_available returned %s with "
                       "*got = %zu and buf starting \"%.8s\": read at most cap bytes in all (ask "
                       "read() for cap - got), the rest stays in the pipe for later",
                       "cap = 4、管道里有 10 字节，blk_read_available 返回了 %s，*got = %zu，buf "
                       "开头是 \"%.8s\"：总共最多读 cap 字节（每次向 read() 要 cap - got），其余的"
                       "留在管道里下次再读",
                       probe_status_name(c.status), c.got, c.buf));
    struct call rest = {.fd = p[0], .cap = 64};
    run(call_available, &rest, "blk_read_available");
    cr_assert(rest.got == 6 && memcmp(rest.buf, "efghij", 6) == 0,
              KATA_MSG("the next call returned *got = %zu, not the 6 bytes left (\"efghij\")",
                       "下一次调用返回 *got = %zu，而不是剩下的 6 字节（\"efghij\"）", rest.got));
}

KATA_TEST(nonblocking, end_of_file_is_not_nothing_yet)
{
    int p[2];
    nonblocking_pipe(p);
    close(p[1]); /* no writer left: nothing will ever come */
    struct call c = {.fd = p[0], .cap = 16};
    run(call_available, &c, "blk_read_available");
    cr_assert(
        c.status == BLK_EOF && c.got == 0,
        KATA_MSG("every writer has closed the empty pipe, and blk_read_available returned "
                 "%s (errno %s), not BLK_EOF: read() returning 0 is end of file, nothing will "
                 "ever come; EAGAIN (-1) is \"nothing yet\". Waiting for more after end of "
                 "file would wait forever",
                 "所有写者都关闭了这个空管道，blk_read_available 却返回了 %s（errno %s），"
                 "而不是 BLK_EOF：read() 返回 0 是文件结束，再也不会有数据；EAGAIN（-1）才"
                 "是“暂时没有”。文件结束后还等更多数据，就会永远等下去",
                 probe_status_name(c.status), probe_errno_name(c.err)));
}

KATA_TEST(nonblocking, bytes_before_end_of_file_come_first)
{
    int p[2];
    nonblocking_pipe(p);
    cr_assert(write(p[1], "ab", 2) == 2);
    close(p[1]);
    struct call c = {.fd = p[0], .cap = 16};
    run(call_available, &c, "blk_read_available");
    cr_assert(c.status == BLK_DATA && c.got == 2 && memcmp(c.buf, "ab", 2) == 0,
              KATA_MSG("the writer wrote \"ab\" and closed the pipe; blk_read_available returned "
                       "%s with *got = %zu, not BLK_DATA with 2: when bytes came before the end of "
                       "file, hand them out first; the end lasts, the next call will see it",
                       "写者写了 \"ab\" 就关闭了管道；blk_read_available 返回了 %s，*got = %zu，"
                       "而不是 BLK_DATA 和 2：文件结束前来的数据要先交出去；文件结束会一直在，"
                       "下一次调用自然能看到",
                       probe_status_name(c.status), c.got));
    struct call next = {.fd = p[0], .cap = 16};
    run(call_available, &next, "blk_read_available");
    cr_assert(next.status == BLK_EOF,
              KATA_MSG("after the bytes, the next call returned %s, not BLK_EOF",
                       "数据之后，下一次调用返回了 %s，而不是 BLK_EOF",
                       probe_status_name(next.status)));
}

KATA_TEST(nonblocking, a_read_interrupted_by_a_signal_is_tried_again)
{
    int p[2];
    nonblocking_pipe(p);
    cr_assert(write(p[1], "hello", 5) == 5);
    probe_interrupt_reads(p[0], 1);
    struct call c = {.fd = p[0], .cap = 64};
    run(call_available, &c, "blk_read_available");
    cr_assert(
        c.status == BLK_DATA && c.got == 5 && memcmp(c.buf, "hello", 5) == 0,
        KATA_MSG("the pipe held \"hello\", the first read() failed with EINTR (a signal "
                 "arrived), and blk_read_available returned %s with *got = %zu (errno %s), "
                 "not BLK_DATA with 5: EINTR is neither an error nor \"nothing yet\", it "
                 "only says the read was interrupted before it read anything: read again",
                 "管道里有 \"hello\"，第一次 read() 以 EINTR 失败（来了一个信号），"
                 "blk_read_available 返回了 %s，*got = %zu（errno %s），而不是 BLK_DATA 和 5："
                 "EINTR 既不是错误，也不是“暂时没有”，它只说明 read 在读到任何东西之前被打断"
                 "了：再读一次",
                 probe_status_name(c.status), c.got, probe_errno_name(c.err)));
}

KATA_TEST(nonblocking, a_read_that_fails_is_an_error)
{
    int p[2];
    nonblocking_pipe(p);
    struct call c = {.fd = p[1], .cap = 16}; /* the write end: read() fails with EBADF */
    run(call_available, &c, "blk_read_available");
    cr_assert(c.status == BLK_ERROR && c.got == 0 && c.err == EBADF,
              KATA_MSG("on a descriptor that cannot be read (a pipe's write end: read() fails "
                       "with EBADF), blk_read_available returned %s with *got = %zu (errno %s), "
                       "not BLK_ERROR with errno EBADF: only EAGAIN (or EWOULDBLOCK) means "
                       "\"nothing yet\"; any other failure is BLK_ERROR, with errno as read() "
                       "left it, or the caller waits for what can never come",
                       "对一个不能读的描述符（管道的写端：read() 以 EBADF 失败），"
                       "blk_read_available 返回了 %s，*got = %zu（errno %s），而不是 BLK_ERROR 和 "
                       "errno EBADF：只有 EAGAIN（或 EWOULDBLOCK）表示“暂时没有”；其他失败都是 "
                       "BLK_ERROR，errno 保持 read() 设的值，否则调用者会去等永远不会来的东西",
                       probe_status_name(c.status), c.got, probe_errno_name(c.err)));
}

KATA_TEST(nonblocking, set_nonblocking_reports_a_failed_setfl)
{
    int p[2];
    probe_pipe(p);
    probe_watch(p[0]);
    probe_fail_setfl(EPERM);
    struct call c = {.fd = p[0], .ret = -2};
    run(call_set, &c, "blk_set_nonblocking");
    cr_assert(
        c.ret == -1 && c.err == EPERM,
        KATA_MSG("fcntl(fd, F_SETFL, ...) failed with EPERM, and blk_set_nonblocking "
                 "returned %d (errno %s), not -1 with errno EPERM: the descriptor is still "
                 "blocking, and a caller told 0 would go on to read it as if it were not. "
                 "Check what F_SETFL returns, as you do for F_GETFL",
                 "fcntl(fd, F_SETFL, ...) 以 EPERM 失败，blk_set_nonblocking 却返回了 %d"
                 "（errno %s），而不是 -1 且 errno 为 EPERM：描述符仍是阻塞的，得到 0 的调用者"
                 "会把它当成非阻塞的去读。要检查 F_SETFL 的返回值，就像检查 F_GETFL 的一样",
                 c.ret, probe_errno_name(c.err)));
}

/* 06-blocking, part 4: a line, with a deadline.
 *
 * The student's code runs on the virtual clock (probes.h): the deadlines are
 * times on that clock, scripted writes arrive at exact times, and the test
 * knows to the millisecond when each call returned. */
#include "probes.h" /* first: it sets _GNU_SOURCE */

#include "kata.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(line);

static int p[2];
static struct blk_reader reader;

struct call {
    long deadline_ms;
    enum blk_status status;
    int err;
    char line[BLK_LINE_MAX];
};

static void call_init(void *arg)
{
    int *ret = arg;
    *ret = blk_reader_init(&reader, p[0]);
}

static void call_line(void *arg)
{
    struct call *c = arg;
    c->status = blk_read_line(&reader, c->line, probe_at(c->deadline_ms));
    c->err = errno;
}

/* A pipe and a reader on it, set up by blk_reader_init. */
static void setup(void)
{
    probe_pipe(p);
    probe_watch(p[0]);
    int ret = -2;
    struct probe_outcome o = probe_run(call_init, &ret);
    cr_assert(
        o.returned && ret == 0,
        KATA_MSG("blk_reader_init returned %d: fill in the reader and make the descriptor "
                 "non-blocking with blk_set_nonblocking (part 2)",
                 "blk_reader_init 返回了 %d：填好 reader，并用 blk_set_nonblocking（第 2 部分）"
                 "把描述符设成非阻塞",
                 ret));
}

static void send(const char *text)
{
    size_t len = strlen(text);
    cr_assert(write(p[1], text, len) == (ssize_t)len, "the test could not write to its pipe");
}

/* Calls blk_read_line with a deadline at deadline_ms; returns when it returned. */
static long read_line(struct call *c, long deadline_ms)
{
    memset(c, 0, sizeof *c);
    c->deadline_ms = deadline_ms;
    c->status = (enum blk_status) - 1;
    struct probe_outcome o = probe_run(call_line, c);
    struct probe_stats s;
    probe_stats(&s);
    cr_assert(s.other_clock == -1,
              KATA_MSG("blk_read_line read clock %d: the deadline is a CLOCK_MONOTONIC time, so "
                       "compare it with clock_gettime(CLOCK_MONOTONIC, ...), never the wall clock",
                       "blk_read_line 读了时钟 %d：截止时间是 CLOCK_MONOTONIC 上的时刻，所以要拿 "
                       "clock_gettime(CLOCK_MONOTONIC, ...) 来比，不能用墙上时钟",
                       (int)s.other_clock));
    cr_assert(o.returned, KATA_MSG("blk_read_line did not return (the deadline was at %ld ms, the "
                                   "clock at %ld ms): %s",
                                   "blk_read_line 没有返回（截止时间 %ld ms，时钟停在 %ld ms）：%s",
                                   deadline_ms, o.at_ms, probe_outcome_words(&o)));
    return o.at_ms;
}

static void expect_line(const struct call *c, const char *want, const char *why)
{
    cr_assert(c->status == BLK_DATA && strcmp(c->line, want) == 0,
              KATA_MSG("blk_read_line returned %s (errno %s) with line \"%s\", not BLK_DATA with "
                       "\"%s\": %s",
                       "blk_read_line 返回了 %s（errno %s），line 是 \"%s\"，而不是 BLK_DATA 和 "
                       "\"%s\"：%s",
                       probe_status_name(c->status), probe_errno_name(c->err),
                       c->status == BLK_DATA ? c->line : "", want, why));
}

KATA_TEST(line, init_makes_the_descriptor_nonblocking)
{
    setup();
    cr_assert(reader.fd == p[0] && reader.len == 0 && reader.eof == 0,
              KATA_MSG("after blk_reader_init, the reader holds fd %d, len %zu, eof %d: it should "
                       "read from the descriptor it was given, with nothing buffered yet",
                       "blk_reader_init 之后，reader 里是 fd %d、len %zu、eof %d：它应当读给它的"
                       "那个描述符，缓冲区里还什么都没有",
                       reader.fd, reader.len, reader.eof));
    cr_assert(fcntl(p[0], F_GETFL) & O_NONBLOCK,
              KATA_MSG("after blk_reader_init the descriptor is still blocking: a read() on it "
                       "could sleep past any deadline; make it non-blocking, and wait in poll "
                       "instead, where you choose how long",
                       "blk_reader_init 之后描述符仍是阻塞的：在它上面 read() 可能一觉睡过任何截止"
                       "时间；把它设成非阻塞，改在 poll 里等，等多久由你决定"));
}

KATA_TEST(line, a_line_already_there_is_returned)
{
    setup();
    send("hello\n");
    struct call c;
    long at = read_line(&c, 100);
    expect_line(&c, "hello",
                KATA_TR("the pipe held \"hello\\n\": return the line without its '\\n', "
                        "ending in '\\0'",
                        "管道里有 \"hello\\n\"：返回这一行，去掉 '\\n'，以 '\\0' 结尾"));
    cr_assert(at == 0, KATA_MSG("the line was there, and blk_read_line returned at %ld ms",
                                "这一行本来就在，blk_read_line 却在 %ld ms 才返回", at));
}

KATA_TEST(line, waits_for_a_line_that_comes_in_pieces)
{
    setup();
    probe_at_write(10, p[1], "hel");
    probe_at_write(20, p[1], "lo\n");
    struct call c;
    long at = read_line(&c, 100);
    expect_line(&c, "hello",
                KATA_TR("\"hel\" came at 10 ms and \"lo\\n\" at 20 ms: keep the first piece in "
                        "the reader's buffer, wait for more, and return when the '\\n' is "
                        "there",
                        "\"hel\" 在 10 ms 到，\"lo\\n\" 在 20 ms 到：把第一段留在 reader 的缓冲区"
                        "里，接着等，等到 '\\n' 来了再返回"));
    cr_assert(at == 20,
              KATA_MSG("the line was complete at 20 ms, and blk_read_line returned at %ld "
                       "ms: return as soon as the '\\n' has come",
                       "这一行在 20 ms 时就完整了，blk_read_line 却在 %ld ms 返回：'\\n' "
                       "一到就该返回",
                       at));
}

KATA_TEST(line, waits_in_poll_not_in_a_loop)
{
    setup();
    probe_at_write(50, p[1], "x\n");
    struct call c;
    read_line(&c, 100);
    struct probe_stats s;
    probe_stats(&s);
    expect_line(&c, "x", KATA_TR("\"x\\n\" came at 50 ms", "\"x\\n\" 在 50 ms 时到达"));
    cr_assert(s.polls >= 1 && s.polls <= 3 && s.reads_eagain <= 3,
              KATA_MSG("to wait 50 ms for one line, blk_read_line called poll %d time(s) and got "
                       "EAGAIN from read %d time(s): when there is nothing to read, sleep in one "
                       "poll with the time left until the deadline, then read",
                       "为了等 50 ms 后的一行，blk_read_line 调用了 %d 次 poll，read 得到了 %d 次 "
                       "EAGAIN：没东西可读时，就用离截止时间剩下的时间在一次 poll 里睡着，醒来再读",
                       s.polls, s.reads_eagain));
}

KATA_TEST(line, two_lines_in_one_read)
{
    setup();
    send("one\ntwo\n");
    struct call c;
    read_line(&c, 100);
    expect_line(&c, "one", KATA_TR("the pipe held \"one\\ntwo\\n\"", "管道里有 \"one\\ntwo\\n\""));
    long at = read_line(&c, 100);
    expect_line(&c, "two",
                KATA_TR("the first call read \"one\\ntwo\\n\" in one go and returned \"one\": "
                        "what came after the '\\n' belongs to the next line, keep it in the "
                        "reader (move it to the front of buf) for the next call",
                        "第一次调用一口气读到了 \"one\\ntwo\\n\"，返回了 \"one\"：'\\n' 之后的"
                        "内容属于下一行，要留在 reader 里（挪到 buf 开头）给下一次调用"));
    cr_assert(at == 0, KATA_MSG("the second line was already read, and blk_read_line returned at "
                                "%ld ms",
                                "第二行早就读到了，blk_read_line 却在 %ld ms 才返回", at));
}

KATA_TEST(line, a_line_split_across_reads_is_kept)
{
    setup();
    send("one\ntw");
    probe_at_write(10, p[1], "o\n");
    struct call c;
    read_line(&c, 100);
    expect_line(&c, "one", KATA_TR("the pipe held \"one\\ntw\"", "管道里有 \"one\\ntw\""));
    long at = read_line(&c, 100);
    expect_line(&c, "two",
                KATA_TR("\"one\\ntw\" came first, then \"o\\n\" at 10 ms: the \"tw\" read "
                        "along with the first line is the start of the second one; keep it",
                        "先来的是 \"one\\ntw\"，10 ms 时又来了 \"o\\n\"：跟第一行一起读到的 "
                        "\"tw\" 是第二行的开头；要留着它"));
    cr_assert(at == 10,
              KATA_MSG("the second line was complete at 10 ms, and blk_read_line returned "
                       "at %ld ms",
                       "第二行在 10 ms 时就完整了，blk_read_line 却在 %ld ms "
                       "返回",
                       at));
}

KATA_TEST(line, stops_at_the_deadline)
{
    setup();
    probe_at_write(10, p[1], "par");
    struct call c;
    long at = read_line(&c, 100);
    struct probe_stats s;
    probe_stats(&s);
    cr_assert(c.status == BLK_TIMEOUT,
              KATA_MSG("only \"par\" came (at 10 ms), no '\\n', and blk_read_line returned %s "
                       "(errno %s) at %ld ms, not BLK_TIMEOUT at the deadline, 100 ms",
                       "只来了 \"par\"（10 ms 时），没有 '\\n'，blk_read_line 却在 %3$ld ms 返回了 "
                       "%1$s（errno %2$s），而不是在截止时间 100 ms 返回 BLK_TIMEOUT",
                       probe_status_name(c.status), probe_errno_name(c.err), at));
    cr_assert(at <= 100,
              KATA_MSG("blk_read_line returned BLK_TIMEOUT at %ld ms, %ld ms after the deadline "
                       "(100 ms); its polls were given %d, then %d ms. \"par\" woke it at 10 ms, "
                       "and then it waited a whole timeout again: after every wake-up, wait only "
                       "for the time left until the deadline",
                       "blk_read_line 在 %ld ms 才返回 BLK_TIMEOUT，比截止时间（100 ms）晚了 %ld "
                       "ms；它的 poll 依次给了 %d ms 和 %d ms。\"par\" 在 10 ms 时唤醒了它，之后它"
                       "又等了一整段超时：每次醒来后，只能等离截止时间剩下的那段时间",
                       at, at - 100, s.polls >= 1 ? s.poll_timeout[0] : -1,
                       s.polls >= 2 ? s.poll_timeout[1] : -1));
    cr_assert(at == 100,
              KATA_MSG("blk_read_line returned BLK_TIMEOUT at %ld ms, before the deadline "
                       "(100 ms): wait until the deadline has come",
                       "blk_read_line 在 %ld ms 就返回了 BLK_TIMEOUT，早于截止时间（100 "
                       "ms）：要等到截止时间真的到了",
                       at));
}

KATA_TEST(line, keeps_a_partial_line_for_the_next_call)
{
    setup();
    probe_at_write(10, p[1], "par");
    probe_at_write(150, p[1], "tial\n");
    struct call c;
    read_line(&c, 100);
    cr_assert(c.status == BLK_TIMEOUT,
              KATA_MSG("the first call returned %s, not BLK_TIMEOUT",
                       "第一次调用返回了 %s，而不是 BLK_TIMEOUT", probe_status_name(c.status)));
    read_line(&c, 200);
    expect_line(&c, "partial",
                KATA_TR("\"par\" came before the first call's deadline and \"tial\\n\" after "
                        "it: bytes of an unfinished line stay in the reader when the deadline "
                        "passes; the next call goes on from them",
                        "\"par\" 在第一次调用的截止时间之前到达，\"tial\\n\" 在它之后：截止时间"
                        "到了，未完成那一行的字节也要留在 reader 里，下一次调用接着它继续"));
}

KATA_TEST(line, a_signal_does_not_end_the_wait)
{
    setup();
    probe_at_signal(30);
    probe_at_write(50, p[1], "ok\n");
    struct call c;
    long at = read_line(&c, 100);
    expect_line(&c, "ok",
                KATA_TR("a signal interrupted the wait at 30 ms (poll failed with EINTR) and "
                        "\"ok\\n\" came at 50 ms: EINTR is no error, wait again for the time "
                        "left",
                        "30 ms 时一个信号打断了等待（poll 以 EINTR 失败），\"ok\\n\" 在 50 ms "
                        "到达：EINTR 不是错误，用剩下的时间接着等"));
    cr_assert(at == 50,
              KATA_MSG("blk_read_line returned at %ld ms, not at 50 ms when the line came",
                       "blk_read_line 在 %ld ms 返回，而不是这一行到达的 50 ms", at));
}

KATA_TEST(line, end_of_file_is_reported_at_once)
{
    setup();
    probe_at_close(20, p[1]);
    struct call c;
    long at = read_line(&c, 100);
    cr_assert(
        c.status == BLK_EOF && at == 20,
        KATA_MSG("the writer closed the empty pipe at 20 ms, and blk_read_line returned %s "
                 "at %ld ms, not BLK_EOF at 20 ms: poll reports the closed pipe (POLLHUP), "
                 "read() then returns 0, and 0 is end of file: nothing more will come, "
                 "however long you wait",
                 "写者在 20 ms 时关闭了空管道，blk_read_line 却在 %2$ld ms 返回了 %1$s，而不"
                 "是在 20 ms 返回 BLK_EOF：poll 会报告管道已关闭（POLLHUP），随后 read() 返回 "
                 "0，而 0 就是文件结束：再等多久也不会有东西来",
                 probe_status_name(c.status), at));
}

KATA_TEST(line, a_last_line_without_newline_is_a_line)
{
    setup();
    probe_at_write(10, p[1], "last");
    probe_at_close(20, p[1]);
    struct call c;
    long at = read_line(&c, 100);
    expect_line(&c, "last",
                KATA_TR("\"last\" came, then the writer closed the pipe: at end of file, bytes "
                        "with no '\\n' after them are the last line, not lost",
                        "先来了 \"last\"，然后写者关闭了管道：文件结束时，后面没有 '\\n' 的字节"
                        "就是最后一行，不能丢"));
    cr_assert(at == 20,
              KATA_MSG("the pipe was closed at 20 ms, and blk_read_line returned at %ld ms",
                       "管道在 20 ms 时关闭，blk_read_line 却在 %ld ms 返回", at));
    read_line(&c, 100);
    cr_assert(c.status == BLK_EOF,
              KATA_MSG("after the last line, blk_read_line returned %s, not "
                       "BLK_EOF: the end of file lasts",
                       "最后一行之后，blk_read_line 返回了 %s，而不是 BLK_EOF："
                       "文件结束会一直持续",
                       probe_status_name(c.status)));
}

KATA_TEST(line, takes_what_is_there_even_after_the_deadline)
{
    setup();
    send("now\n");
    struct call c;
    read_line(&c, -5); /* the deadline passed 5 ms ago */
    expect_line(&c, "now",
                KATA_TR("the deadline had passed, but a whole line was waiting in the pipe: "
                        "take what is there, and let the deadline limit only the waiting",
                        "截止时间已过，但管道里已经有完整的一行在等着：先把现成的拿走，截止时间"
                        "只限制等待"));
    long at = read_line(&c, -5);
    cr_assert(
        c.status == BLK_TIMEOUT && at == 0,
        KATA_MSG("with the deadline passed and nothing left, blk_read_line returned %s at %ld "
                 "ms, not BLK_TIMEOUT at once",
                 "截止时间已过、也没剩下什么，blk_read_line 却在 %2$ld ms 返回了 %1$s，而不是"
                 "立刻返回 BLK_TIMEOUT",
                 probe_status_name(c.status), at));
}

KATA_TEST(line, a_line_too_long_is_an_error)
{
    setup();
    char big[BLK_LINE_MAX + 40];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    send(big);
    struct call c;
    read_line(&c, 100);
    cr_assert(
        c.status == BLK_ERROR && c.err == EMSGSIZE,
        KATA_MSG("%d bytes came with no '\\n', more than a line may hold (BLK_LINE_MAX = %d), "
                 "and blk_read_line returned %s (errno %s), not BLK_ERROR with errno "
                 "EMSGSIZE: once buf is full with no '\\n' in it, the line can never fit",
                 "来了 %d 字节却没有 '\\n'，超过一行能容纳的长度（BLK_LINE_MAX = %d），"
                 "blk_read_line 返回了 %s（errno %s），而不是 BLK_ERROR 且 errno 为 EMSGSIZE："
                 "buf 满了里面还没有 '\\n'，这一行就永远放不下",
                 (int)(sizeof big - 1), BLK_LINE_MAX, probe_status_name(c.status),
                 probe_errno_name(c.err)));
}

KATA_TEST(line, a_read_that_fails_is_an_error)
{
    setup();
    reader.fd = p[1]; /* the write end: read() fails with EBADF */
    struct call c;
    long at = read_line(&c, 100);
    cr_assert(c.status == BLK_ERROR && c.err == EBADF && at == 0,
              KATA_MSG("on a descriptor it cannot read (a pipe's write end: read() fails with "
                       "EBADF), blk_read_line returned %s (errno %s) at %ld ms, not BLK_ERROR "
                       "with errno EBADF at once: only BLK_AGAIN means \"wait for more\"; a "
                       "failed read will fail again however long you wait",
                       "对一个不能读的描述符（管道的写端：read() 以 EBADF 失败），blk_read_line "
                       "在 %3$ld ms 返回了 %1$s（errno %2$s），而不是立刻返回 BLK_ERROR 且 errno "
                       "为 EBADF：只有 BLK_AGAIN 才表示“再等等”；失败的读，等多久都还会失败",
                       probe_status_name(c.status), probe_errno_name(c.err), at));
}

KATA_TEST(line, init_starts_from_an_empty_buffer)
{
    /* The reader held another stream's state before: a struct on the stack, or
     * reused, is not all zero. */
    reader.eof = 1;
    reader.len = 4;
    memcpy(reader.buf, "old\n", 4);
    setup();
    send("new\n");
    struct call c;
    read_line(&c, 100);
    expect_line(&c, "new",
                KATA_TR("blk_reader_init was given a reader that held the state of another "
                        "stream (eof 1, \"old\\n\" buffered), then the pipe got \"new\\n\": init "
                        "must set every field, eof to 0 and len to 0, not trust the memory to "
                        "be zero",
                        "交给 blk_reader_init 的 reader 里还留着另一个流的状态（eof 为 1，缓冲着 "
                        "\"old\\n\"），随后管道里来了 \"new\\n\"：初始化必须设好每个字段，eof 设为 "
                        "0、len 设为 0，不能指望那块内存本来就是 0"));
}

KATA_TEST(line, a_poll_that_fails_is_an_error)
{
    setup();
    probe_fail_polls(1000, ENOMEM); /* every poll fails */
    struct call c;
    long at = read_line(&c, 100);
    cr_assert(c.status == BLK_ERROR && c.err == ENOMEM && at == 0,
              KATA_MSG("nothing was there and poll failed with ENOMEM, and blk_read_line returned "
                       "%s (errno %s) at %ld ms, not BLK_ERROR with errno ENOMEM at once: when "
                       "blk_wait_readable returns -1, nothing was waited for, so going round "
                       "again only spins until the deadline; return BLK_ERROR",
                       "管道里什么都没有，poll 以 ENOMEM 失败，blk_read_line 在 %3$ld ms 返回了 "
                       "%1$s（errno %2$s），而不是立刻返回 BLK_ERROR 且 errno 为 ENOMEM："
                       "blk_wait_readable 返回 -1 时什么也没等到，再绕一圈只会空转到截止时间；"
                       "应返回 BLK_ERROR",
                       probe_status_name(c.status), probe_errno_name(c.err), at));
}

/* 05-coroutine, part 5 (optional, for the curious): fast_switch saves only
 * the registers it must, and makes no system call.  These tests do not
 * count towards the exercise (exercises.ini: optional). */
#include "fast.h"
#include "support.h"
#include "sysprobe.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

KATA_SUITE(fast);

#if defined(__x86_64__)
#define ONLY_X86_64() ((void)0)

/* regs_switch(from, to, base, out): puts base+1 .. base+6 in rbx, rbp, r12,
 * r13, r14, r15, calls fast_switch(from, to), and when it comes back writes
 * what those six registers hold into out[0..5].  Its own caller's registers
 * are saved and restored around it, as the ABI wants. */
void regs_switch(struct fast_ctx *from, struct fast_ctx *to, uint64_t base, uint64_t out[6]);
__asm__(".text\n"
        ".globl regs_switch\n"
        ".type regs_switch, @function\n"
        "regs_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    pushq %rcx\n" /* out; seven pushes: rsp a multiple of 16 at the call */
        "    leaq 1(%rdx), %rbx\n"
        "    leaq 2(%rdx), %rbp\n"
        "    leaq 3(%rdx), %r12\n"
        "    leaq 4(%rdx), %r13\n"
        "    leaq 5(%rdx), %r14\n"
        "    leaq 6(%rdx), %r15\n"
        "    call fast_switch@PLT\n"
        "    popq %rcx\n"
        "    movq %rbx, 0(%rcx)\n"
        "    movq %rbp, 8(%rcx)\n"
        "    movq %r12, 16(%rcx)\n"
        "    movq %r13, 24(%rcx)\n"
        "    movq %r14, 32(%rcx)\n"
        "    movq %r15, 40(%rcx)\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size regs_switch, .-regs_switch\n");

/* rsp_at_call(): the caller's stack pointer at the call instruction. */
uintptr_t rsp_at_call(void);
__asm__(".text\n"
        ".globl rsp_at_call\n"
        ".type rsp_at_call, @function\n"
        "rsp_at_call:\n"
        "    leaq 8(%rsp), %rax\n"
        "    ret\n"
        ".size rsp_at_call, .-rsp_at_call\n");
#else
#define ONLY_X86_64()                                                                              \
    KATA_SKIP("part 5's switch is written in x86-64 assembly: this machine "                       \
              "is not x86-64, so its tests are skipped",                                           \
              "第 5 部分的切换是用 x86-64 汇编写的：这台机器不是 x86-64，所以跳过这些测试")
#endif

enum { STACK = 64 * 1024 };

/* Like expect_completed, in part 5's words when the helper crashed. */
static void expect_back(const struct kata_proc *p, const char *lesson)
{
    if (p->signaled)
        cr_assert_fail(KATA_MSG(
            "the scenario crashed (signal %d, %s): a fast_switch went on somewhere that is "
            "not a place it saved. fast_switch must pop exactly what it pushed, in reverse "
            "order, from the stack it switched to; fast_init must lay out a new stack the "
            "way fast_switch pops it; a register it does not restore can hold a pointer or "
            "a loop counter of the code it returns to. Events before the crash: %s. %s",
            "场景崩溃了（信号 %d，%s）：某次 fast_switch 跳到了一个它没有保存过的位置。"
            "fast_switch 必须从切换到的栈上按相反的顺序弹出它压入的东西；fast_init 必须按 "
            "fast_switch 弹出的方式摆好新栈；它没有恢复的寄存器，可能正装着返回到的那段代码的"
            "指针或循环计数器。崩溃之前的事件：%s。%s",
            p->sig, strsignal(p->sig), shown_events(), lesson));
    expect_completed(p, lesson);
}

/* Opens the trace, runs the scenario in a helper, expects it back. */
static void run_fast(void (*scenario)(void), const char *lesson)
{
    trace_open();
    struct kata_proc p = run_scenario(scenario);
    expect_back(&p, lesson);
}

static struct fast_ctx main_ctx, a_ctx, b_ctx;
static char *stack_a, *stack_b;

static void stacks(void)
{
    stack_a = malloc(STACK);
    stack_b = malloc(STACK);
}

/* ---- ping-pong ---------------------------------------------------------- */

enum { ROUNDS = 200 };

/* T->v[0]: the next turn; T->marks: turns taken out of order. */
static void take_turn(char who, long parity)
{
    if (T->v[0] % 2 != parity)
        T->marks++;
    if (T->v[0] < 6)
        ev("%c%ld", who, T->v[0]);
    T->v[0]++;
}

static void ping(void *arg)
{
    ev("start:%s", (const char *)arg);
    for (int i = 0; i < ROUNDS; i++) {
        take_turn('a', 0);
        fast_switch(&a_ctx, &b_ctx);
    }
    ev("a-done");
    fast_switch(&a_ctx, &main_ctx);
    abort(); /* never resumed again */
}

static void pong(void *arg)
{
    (void)arg;
    for (;;) {
        take_turn('b', 1);
        fast_switch(&b_ctx, &a_ctx);
    }
}

static void sc_ping_pong(void)
{
    stacks();
    fast_init(&a_ctx, stack_a, STACK, ping, "hello");
    fast_init(&b_ctx, stack_b, STACK, pong, NULL);
    fast_switch(&main_ctx, &a_ctx);
    ev("main:%ld", T->v[0]);
}

KATA_TEST(fast, two_coroutines_ping_pong_in_order)
{
    ONLY_X86_64();
    run_fast(sc_ping_pong,
             KATA_TR("Two coroutines hand control to each other with fast_switch, "
                     "200 times each, then the first switches back to main.",
                     "两个协程用 fast_switch 互相交出控制权，各 200 次，然后第一个切回 main。"));
    expect_events(
        "start:hello a0 b1 a2 b3 a4 b5 a-done main:400 ",
        "the first fast_switch to a context made by fast_init runs its function with its "
        "argument; after that each fast_switch goes on exactly where the other side's last "
        "fast_switch stopped, so the turns alternate a, b, a, b ... and a's last switch comes "
        "back to main",
        "第一次 fast_switch 到 fast_init 准备的上下文，会用它的参数运行它的函数；之后每次 "
        "fast_switch 都正好从对方上一次 fast_switch 停下的地方继续，所以轮流 a、b、a、b……，"
        "a 最后一次切换回到 main");
    cr_assert(T->marks == 0,
              KATA_MSG("%d turns were taken out of order: a switch went on somewhere else than "
                       "where the other side stopped",
                       "有 %d 次轮次错乱：某次切换没有从对方停下的地方继续", T->marks));
}

/* ---- values ----------------------------------------------------------- */

enum { TRIPS = 1000 };

static void counter(void *arg)
{
    long step = (long)(intptr_t)arg;
    long sum = 0;
    double half = 0;
    for (long i = 1;; i++) {
        sum += step * i;
        half += 0.5;
        T->v[1] = sum;
        T->v[2] = (long)(half * 2);
        fast_switch(&a_ctx, &main_ctx);
    }
}

static void sc_values(void)
{
    stacks();
    fast_init(&a_ctx, stack_a, STACK, counter, (void *)(intptr_t)3);
    long mine = 0;
    for (long i = 1; i <= TRIPS; i++) {
        fast_switch(&main_ctx, &a_ctx);
        mine += i;
    }
    T->v[3] = mine;
    T->v[4] = 1; /* main got back every time */
}

KATA_TEST(fast, values_survive_many_switches)
{
    ONLY_X86_64();
    run_fast(sc_values, KATA_TR("main and a coroutine each keep a running sum across 1000 round "
                                "trips of fast_switch.",
                                "main 和一个协程各自在 1000 个 fast_switch 往返中累加自己的和。"));
    long want = 3L * TRIPS * (TRIPS + 1) / 2, want_main = (long)TRIPS * (TRIPS + 1) / 2;
    cr_assert(
        T->v[4] == 1 && T->v[1] == want && T->v[2] == TRIPS && T->v[3] == want_main,
        KATA_MSG("after %d round trips the coroutine's sum was %ld (expected %ld), its counter of "
                 "halves "
                 "%ld (expected %d), main's sum %ld (expected %ld): each side's locals must be "
                 "exactly as "
                 "it left them, on its own stack and in the registers fast_switch saves",
                 "%d 次往返之后，协程的和是 %ld（应为 %ld），它累加的半数计数是 %ld（应为 "
                 "%d），main 的和是 "
                 "%ld（应为 %ld）：每一方的局部变量都必须和离开时一模一样，在它自己的栈上，也在 "
                 "fast_switch "
                 "保存的寄存器里",
                 TRIPS, T->v[1], want, T->v[2], TRIPS, T->v[3], want_main));
}

/* ---- registers -------------------------------------------------------- */

#if defined(__x86_64__)
#define MAIN_BASE 0x1111111111111100ULL
#define CO_BASE 0x2222222222222200ULL
static const char *const reg_names[6] = {"rbx", "rbp", "r12", "r13", "r14", "r15"};

static void clobberer(void *arg)
{
    (void)arg;
    uint64_t seen[6];
    T->marks = 1; /* the coroutine ran */
    regs_switch(&a_ctx, &main_ctx, CO_BASE, seen);
    for (int i = 0; i < 6; i++)
        T->v[8 + i] = (long)seen[i];
    T->marks = 2;
    fast_switch(&a_ctx, &main_ctx);
    abort();
}

static void sc_registers(void)
{
    stacks();
    uint64_t seen[6];
    fast_init(&a_ctx, stack_a, STACK, clobberer, NULL);
    /* main fills the six registers and switches; the coroutine fills them
     * with its own values and switches back: main must find its own. */
    regs_switch(&main_ctx, &a_ctx, MAIN_BASE, seen);
    for (int i = 0; i < 6; i++)
        T->v[i] = (long)seen[i];
    /* and the other way round: the coroutine must find its own. */
    regs_switch(&main_ctx, &a_ctx, MAIN_BASE, seen);
}
#endif

KATA_TEST(fast, callee_saved_registers_survive_a_switch)
{
    ONLY_X86_64();
#if defined(__x86_64__)
    run_fast(
        sc_registers,
        KATA_TR("main puts known values in rbx, rbp, r12-r15 and switches to a "
                "coroutine that puts others there and switches back, twice.",
                "main 把已知的值放进 rbx、rbp、r12-r15 后切到一个协程，协程放进另外的值再切回来，"
                "来回两次。"));
    cr_assert(T->marks == 2,
              KATA_MSG("the coroutine %s: fast_init and fast_switch must start it and come back "
                       "to it",
                       "协程%s：fast_init 和 fast_switch 必须启动它，也必须能回到它",
                       T->marks == 0 ? KATA_TR("never ran", "从来没有运行")
                                     : KATA_TR("was not resumed", "没有被恢复")));
    for (int side = 0; side < 2; side++) {
        uint64_t base = side == 0 ? MAIN_BASE : CO_BASE;
        for (int i = 0; i < 6; i++) {
            uint64_t got = (uint64_t)T->v[side * 8 + i];
            cr_assert(
                got == base + 1 + i,
                KATA_MSG(
                    "after fast_switch came back to %s, %s held %#llx instead of %#llx: %s is "
                    "callee-saved (System V x86-64), the compiler keeps values in it across any "
                    "call, so fast_switch must push it before it changes stacks and pop it after",
                    "fast_switch 回到%s之后，%s 里是 %#llx 而不是 %#llx：%s 是被调用者保存的寄存器"
                    "（System V x86-64），编译器会把跨调用的值放在里面，所以 fast_switch "
                    "必须在换栈之前"
                    "压栈、换栈之后弹出",
                    side == 0 ? "main" : KATA_TR("the coroutine", "协程"), reg_names[i],
                    (unsigned long long)got, (unsigned long long)(base + 1 + i), reg_names[i]));
        }
    }
#endif
}

/* ---- no system call --------------------------------------------------- */

static void bouncer(void *arg)
{
    (void)arg;
    for (;;) {
        T->v[1]++;
        fast_switch(&a_ctx, &main_ctx);
    }
}

static void sc_no_syscall(void)
{
    stacks();
    long before = sysprobe_calls;
    fast_init(&a_ctx, stack_a, STACK, bouncer, NULL);
    for (int i = 0; i < 100; i++)
        fast_switch(&main_ctx, &a_ctx);
    T->v[2] = sysprobe_calls - before;
}

KATA_TEST(fast, switch_makes_no_system_call)
{
    ONLY_X86_64();
    run_fast(sc_no_syscall,
             KATA_TR("fast_init and 100 round trips of fast_switch, counting calls "
                     "of swapcontext, getcontext, setcontext, sigprocmask and "
                     "pthread_sigmask.",
                     "fast_init 加上 100 次 fast_switch 往返，统计 swapcontext、getcontext、"
                     "setcontext、sigprocmask 和 pthread_sigmask 的调用次数。"));
    cr_assert(T->v[1] == 100,
              KATA_MSG("the coroutine ran %ld times in 100 round trips instead of 100",
                       "100 次往返中协程运行了 %ld 次，而不是 100 次", T->v[1]));
    cr_assert(
        T->v[2] == 0,
        KATA_MSG("%ld calls that save or set the signal mask: each is a system call, and the "
                 "signal mask "
                 "is exactly what a switch between coroutines that never change it need not save; "
                 "fast_switch changes stacks with a few instructions of its own",
                 "调用了 %ld "
                 "次保存或设置信号掩码的函数：每次都是一次系统调用，而从不改信号掩码的协程之间"
                 "切换恰恰不需要保存它；fast_switch 应该用自己的几条指令换栈",
                 T->v[2]));
}

/* ---- alignment -------------------------------------------------------- */

static void aligned(void *arg)
{
    (void)arg;
#if defined(__x86_64__)
    T->p[0] = rsp_at_call();
#endif
    T->marks = 1;
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", *(double *)arg * 2);
    ev("%s", buf);
    fast_switch(&a_ctx, &main_ctx);
    abort();
}

static void sc_aligned(void)
{
    stacks();
    static double x = 1.625;
    /* a stack whose end is 8 bytes off a multiple of 16 */
    fast_init(&a_ctx, stack_a + 8, STACK - 16, aligned, &x);
    fast_switch(&main_ctx, &a_ctx);
}

KATA_TEST(fast, new_coroutine_starts_with_an_aligned_stack)
{
    ONLY_X86_64();
    trace_open();
    struct kata_proc p = run_scenario(sc_aligned);
    cr_assert(
        T->marks == 1,
        KATA_MSG(
            "the coroutine never ran: the first fast_switch to a context made by "
            "fast_init must call its function",
            "协程从来没有运行：第一次 fast_switch 到 fast_init 准备的上下文时必须调用它的函数"));
    cr_assert(
        T->p[0] % 16 == 0,
        KATA_MSG(
            "inside the new coroutine's function the stack pointer was %#lx at a call, not a "
            "multiple of 16: the ABI wants rsp + 8 to be a multiple of 16 when a function starts "
            "(as right after a call), whatever the end of the stack it was given, so fast_init "
            "must "
            "round the top down to 16 and lay out its words so that the first call lands right; "
            "SSE code (printf of a double) crashes otherwise",
            "在新协程的函数里，调用时的栈指针是 %#lx，不是 16 的倍数：ABI 要求函数开始时（就像刚被 "
            "call "
            "之后）rsp + 8 是 16 的倍数，不管给它的栈的结尾在哪里，所以 fast_init "
            "必须把栈顶向下对齐到 16，"
            "并把它放的几个字排好，让第一次调用落在正确的位置；否则 SSE 代码（用 printf 打印 "
            "double）会崩溃",
            (unsigned long)T->p[0]));
    expect_back(&p, KATA_TR("A new coroutine formats a double with snprintf.",
                            "新协程用 snprintf 格式化一个 double。"));
    expect_events("3.25 ", "the coroutine formats 1.625 * 2 as \"3.25\"",
                  "协程把 1.625 * 2 格式化成 \"3.25\"");
}

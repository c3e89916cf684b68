/* 05-coroutine, part 5 (optional, for the curious): a switch that saves
 * only the registers it must.
 *
 * You write fast_init and fast_switch at the end of coro.c; this header is
 * the contract and is not edited.  Parts 1-4 do not need them: the
 * exercise is done without this part, and its tests do not count.
 *
 * Why it can be cheaper than swapcontext.  swapcontext saves and restores
 * the signal mask, and the signal mask belongs to the kernel: that is one
 * rt_sigprocmask system call per switch, most of its cost.  Coroutines that
 * never change the signal mask do not need it.  What they do need is the
 * state that a called function must give back to its caller as it found
 * it, because fast_switch is, for the compiler, an ordinary function call:
 *
 *   rsp                  the stack pointer: the coroutine's whole stack
 *   rbx rbp r12 r13 r14 r15
 *                        callee-saved (System V x86-64 ABI): the caller
 *                        may keep values in them across the call
 *   (the return address) already on the stack, pushed by the call
 *
 * Everything else need not be saved: rax rcx rdx rsi rdi r8-r11 and the
 * vector registers xmm0-15 are caller-saved, so the compiler has already
 * saved whatever it still needs before it calls fast_switch.  The x87
 * control word and the SSE control/status register mxcsr are callee-saved
 * too, but only their control bits, and nothing here changes them: a
 * coroutine that changed the rounding mode would have to save them as well
 * (swapcontext does; so does boost's fcontext).
 *
 * x86-64 only: on any other machine the part-5 tests are skipped.
 */
#ifndef FAST_H
#define FAST_H

#include <stddef.h>

/* Where a stopped coroutine (or the thread's own flow) goes on: the stack
 * pointer saved by fast_switch, with the registers pushed under it. */
struct fast_ctx {
    void *sp;
};

/* A new coroutine's function.  It must never return (there is nowhere to
 * return to): it ends by switching away for good. */
typedef void (*fast_fn)(void *arg);

/* Prepares `ctx` so that the first fast_switch(..., ctx) runs fn(arg) on
 * the stack [stack, stack + size), with the stack aligned as the ABI
 * requires at a function's entry (rsp + 8 a multiple of 16), whatever the
 * alignment of stack + size.  The stack is the caller's: it must outlive
 * the coroutine.  (Part 5 is never run under valgrind, so it need not
 * register the stack as coro_create does; code that is would call
 * VALGRIND_STACK_REGISTER here too.) */
void fast_init(struct fast_ctx *ctx, void *stack, size_t size, fast_fn fn, void *arg);

/* Saves where the caller is into `from` and goes on where `to` was saved
 * (or starts to's function).  Returns when something switches back to
 * `from`.  `from` need not be prepared by fast_init: it is written, not
 * read.  No system call, no signal mask. */
void fast_switch(struct fast_ctx *from, struct fast_ctx *to);

#endif

/* 05-coroutine: counts the calls that change or read the signal mask (each
 * one a system call), for part 5's test that fast_switch makes none.
 *
 * exercises.ini links the test program with -Wl,--wrap=swapcontext and the
 * others counted below (test_ldflags): a call to swapcontext in coro.c
 * reaches __wrap_swapcontext in sysprobe.c, which counts it and calls the
 * real one. */
#ifndef CORO_SYSPROBE_H
#define CORO_SYSPROBE_H

#include <pthread.h>
#include <signal.h>
#include <ucontext.h>

/* Calls of swapcontext, getcontext, setcontext, sigprocmask and
 * pthread_sigmask made so far by the calling thread (its own count: no
 * data race between threads). */
extern __thread long sysprobe_calls;

#endif

/* 05-coroutine: counts the calls that change or read the signal mask (each
 * one a system call), for part 5's test that fast_switch makes none.
 *
 * exercises.ini links every program of the exercise with
 * -Wl,--wrap=swapcontext and the others below: a call to swapcontext in
 * coro.c reaches __wrap_swapcontext, which counts it and calls the real
 * one.  Exactly one source of each program defines the wrappers, by
 * including this file after `#define SYSPROBE_DEFINE`. */
#ifndef CORO_SYSPROBE_H
#define CORO_SYSPROBE_H

#include <pthread.h>
#include <signal.h>
#include <ucontext.h>

/* Calls of swapcontext, getcontext, setcontext, sigprocmask and
 * pthread_sigmask made so far by the calling thread (its own count: no
 * data race between threads). */
extern __thread long sysprobe_calls;

#ifdef SYSPROBE_DEFINE
__thread long sysprobe_calls;

int __real_swapcontext(ucontext_t *from, const ucontext_t *to);
int __real_getcontext(ucontext_t *uc);
int __real_setcontext(const ucontext_t *uc);
int __real_sigprocmask(int how, const sigset_t *set, sigset_t *old);
int __real_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);

int __wrap_swapcontext(ucontext_t *from, const ucontext_t *to);
int __wrap_getcontext(ucontext_t *uc);
int __wrap_setcontext(const ucontext_t *uc);
int __wrap_sigprocmask(int how, const sigset_t *set, sigset_t *old);
int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);

int __wrap_swapcontext(ucontext_t *from, const ucontext_t *to)
{
    sysprobe_calls++;
    return __real_swapcontext(from, to);
}

int __wrap_getcontext(ucontext_t *uc)
{
    sysprobe_calls++;
    return __real_getcontext(uc);
}

int __wrap_setcontext(const ucontext_t *uc)
{
    sysprobe_calls++;
    return __real_setcontext(uc);
}

int __wrap_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    sysprobe_calls++;
    return __real_sigprocmask(how, set, old);
}

int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    sysprobe_calls++;
    return __real_pthread_sigmask(how, set, old);
}
#endif

#endif

/* 05-coroutine: the counting wrappers of sysprobe.h (test program only). */
#include "sysprobe.h"

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

/* helgrind driver for 01-isolation: the one scenario where two threads touch
 * the same memory.  The thread writes iso_global, a heap int and the
 * parent's local variable; the parent may read them only after
 * pthread_join.  A read before the join is a data race, and helgrind reports
 * it whichever thread happens to run first.
 *
 * The exercise links with -Wl,--wrap=pthread_create,--wrap=pthread_join
 * (for the Criterion tests' gate); here the wrappers just pass through, so
 * that helgrind judges the student's own synchronisation. */
#include "isolation.h"

#include <pthread.h>
#include <stdio.h>

int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
int __real_pthread_join(pthread_t t, void **ret);

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    return __real_pthread_create(t, attr, fn, arg);
}

int __wrap_pthread_join(pthread_t t, void **ret)
{
    return __real_pthread_join(t, ret);
}

int main(void)
{
    struct after_write seen;
    if (observe_thread_writes(1, 2, &seen) != 0) {
        fprintf(stderr, "observe_thread_writes failed\n");
        return 1;
    }
    if (seen.global != 2 || seen.heap != 2 || seen.stack != 2) {
        fprintf(stderr, "after the join the parent saw global=%d heap=%d stack=%d, not 2\n",
                seen.global, seen.heap, seen.stack);
        return 1;
    }
    return 0;
}

/* helgrind driver for 01-isolation: the one scenario where two threads touch
 * the same memory.  The thread writes iso_global, a heap int and the
 * parent's local variable; the parent may read them only after
 * pthread_join.  A read before the join is a data race, and helgrind reports
 * it whichever thread happens to run first. */
#include "isolation.h"

#include <pthread.h>
#include <stdio.h>

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

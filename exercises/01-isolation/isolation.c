/* 01-isolation: processes keep their own memory.
 *
 * Fill in each function; isolation.h says what each one must do.
 * Check with:  make test EX=01      Stuck?  make hint EX=01
 */
#define _GNU_SOURCE
#include "isolation.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int iso_global;

/* ---- Part 1 ------------------------------------------------------------- */

int child_exit_status(int code)
{
    /* TODO: fork.  In the child: _exit(code).  In the parent: waitpid for
     * that child and return WEXITSTATUS of what it reports. */
    (void)code;
    return -1;
}

/* ---- Parts 2 and 3 ------------------------------------------------------ */

int observe_child_writes(int old_value, int new_value, struct after_write *out)
{
    /* TODO: set iso_global, a malloc'ed int and a local int to old_value;
     * fork; in the child, write new_value to all three and _exit with how
     * many of them hold new_value; in the parent, reap the child and read
     * the three variables into *out. */
    (void)old_value;
    (void)new_value;
    (void)out;
    return -1;
}

int observe_thread_writes(int old_value, int new_value, struct after_write *out)
{
    /* TODO: the same, with pthread_create instead of fork.  The thread needs
     * the addresses of the heap int and of the local int.  Read the three
     * variables only after pthread_join has returned. */
    (void)old_value;
    (void)new_value;
    (void)out;
    return -1;
}

/* ---- Part 4 ------------------------------------------------------------- */

ssize_t compute_in_child(iso_work work, void *buf, size_t cap)
{
    /* TODO: pipe, then fork.  Child: close the read end, run work, write the
     * whole result, _exit.  Parent: close the write end, read until read()
     * returns 0, close the read end, reap the child. */
    (void)work;
    (void)buf;
    (void)cap;
    return -1;
}

/* ---- Part 5 ------------------------------------------------------------- */

long count_in_children(int children, long increments, struct slot *out)
{
    /* TODO: mmap the slots with MAP_SHARED | MAP_ANONYMOUS, fork the
     * children (each fills its own slot, then _exit), reap them all, copy
     * the slots to out, munmap, return the total. */
    (void)children;
    (void)increments;
    (void)out;
    return -1;
}

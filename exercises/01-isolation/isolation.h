/* 01-isolation: processes keep their own memory.
 *
 * fork() makes a new process with a copy of the caller's whole memory:
 * globals, heap and stack.  From then on each process changes only its own
 * copy.  A thread made with pthread_create lives in the same memory as its
 * creator, so every write it makes is there for the other threads to read.
 *
 * You write the functions declared here, in isolation.c.  Do not edit this
 * file: the tests are built against it.
 *
 * Rules for every function that forks:
 *   - a child ends with _exit(), never with exit() and never by returning:
 *     exit() would flush the stdio buffers it copied from the parent (the
 *     parent's unwritten output would come out twice), and returning would
 *     run the caller's code a second time, in the child;
 *   - the parent reaps every child it started with waitpid() before it
 *     returns, so no finished child is left behind as a zombie;
 *   - if a system call fails, clean up (close, free, reap) and return -1.
 */
#ifndef ISOLATION_H
#define ISOLATION_H

#include <stddef.h>
#include <sys/types.h>

/* ---- Part 1: fork, _exit, waitpid --------------------------------------- */

/* Forks one child that does nothing but end with _exit(code).  The parent
 * waits for it with waitpid() and returns the code it got back
 * (WIFEXITED / WEXITSTATUS).  code is 0..255.
 * Returns -1 if fork or waitpid fails, or if the child did not exit
 * normally.  Retry waitpid when it fails with EINTR. */
int child_exit_status(int code);

/* ---- Parts 2 and 3: who sees a write? ----------------------------------- */

/* The global variable the writers change.  isolation.c defines it. */
extern int iso_global;

/* What the parent reads after the writer has ended. */
struct after_write {
    int global;     /* iso_global */
    int heap;       /* the int in the block the function malloc'ed */
    int stack;      /* the function's own local variable */
    int writer_saw; /* how many of its three writes (0..3) the writer read
                       back right after making them */
};

/* Part 2.  Sets iso_global, a malloc'ed int and a local variable to
 * old_value, then forks.  The child sets all three to new_value, counts how
 * many of them now hold new_value and ends with _exit(that count).  The
 * parent reaps the child, takes the count from the exit status into
 * writer_saw, then reads the three variables into *out and frees the block.
 * Returns 0, or -1 on failure (malloc, fork, waitpid, a child that did not
 * exit normally). */
int observe_child_writes(int old_value, int new_value, struct after_write *out);

/* Part 3.  The same experiment with a thread instead of a child process:
 * sets the three variables to old_value, starts one thread with
 * pthread_create that sets them to new_value (it needs the addresses of the
 * heap block and of the local variable) and counts how many hold new_value,
 * waits for it with pthread_join, and only then fills *out.
 * pthread_* functions return an error number (they do not set errno):
 * return -1 if one of them fails, and on malloc failure. */
int observe_thread_writes(int old_value, int new_value, struct after_write *out);

/* ---- Part 4: bringing a result back through a pipe ---------------------- */

/* A piece of work: it writes its result into buf (room for cap bytes) and
 * returns the result's length in bytes (at most cap). */
typedef size_t (*iso_work)(void *buf, size_t cap);

/* Runs work(buf, cap) in a child process.  The child's writes land in its
 * own copy of buf, which the parent never sees: the child must send the
 * result's bytes back through a pipe made with pipe() before the fork.
 *   - The child closes the read end at once, calls work, writes the whole
 *     result (write may take fewer bytes than asked: loop), and ends with
 *     _exit(0), or _exit(1) if writing failed.
 *   - The parent closes the write end at once, then reads into buf until
 *     read() returns 0 (end of file, which comes only when no process holds
 *     a write end any more).  One read() may return only part of the data:
 *     loop.  Then it closes the read end and reaps the child.
 * Returns the number of bytes received, or -1 if a call fails, if more than
 * cap bytes arrive, or if the child did not end with status 0.  On every
 * path, a failed fork included, it closes every descriptor it opened: the
 * tests fail a call that leaves one open. */
ssize_t compute_in_child(iso_work work, void *buf, size_t cap);

/* ---- Part 5: sharing memory on purpose --------------------------------- */

#define ISO_MAX_CHILDREN 16

/* One child's corner of the shared memory. */
struct slot {
    pid_t pid;  /* the child's getpid() */
    long count; /* how many times the child added 1 */
};

/* Maps an array of `children` slots with
 *     mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
 * before forking, so that parent and children all use the same pages.
 * Starts `children` child processes; child i stores its pid in slot i, adds
 * 1 to slot i's count `increments` times and ends with _exit(0).  Each child
 * writes only its own slot, so no lock is needed.  After reaping every
 * child, the parent copies the slots into out[0..children), unmaps the
 * memory with munmap and returns the sum of the counts.
 * Returns -1 if children is not 1..ISO_MAX_CHILDREN, if increments < 0, if
 * a call fails (reap the children already started first) or if a child did
 * not end with status 0. */
long count_in_children(int children, long increments, struct slot *out);

#endif

/* What a stuck process is doing, thread by thread, and where each thread is
 * in the code.  The test harness (kata.c) uses it when a test runs out of
 * time or crashes; the helgrind drivers link it too, and there it starts a
 * watchdog of its own (see below).
 *
 * Where a thread is: kata_where_ask sends each thread a signal whose handler
 * records the thread's stack (backtrace) and then holds the thread there, so
 * that nothing changes while the report is written; the process ends right
 * after.  kata_where writes the frames inside the program as a token
 *     {kata-at 0x1a2b 0x1c3d ...}
 * (offsets in the program's file, the interrupted instruction first, then
 * return addresses minus one), which the engine turns into the function and
 * file:line of the learner's code (tools/engine/places.py) or removes.
 * A mutex that is a static variable of the program is written as its
 * address with {kata-data 0x40c0} (its offset in the file) after it: the
 * engine names the variable from the symbol table.
 *
 * In a helgrind driver (a program without kata_begin, run under valgrind), a
 * constructor starts
 * a watchdog thread: when no thread of the scenario, nor any process it
 * forked, has used the CPU for KATA_STILL_SECONDS, every thread waits for
 * something that never comes.  It then prints the waits-for report between
 * the lines KATA_STUCK_BEGIN and KATA_STUCK_END on stderr and ends the run
 * with exit status 86 (KATA_EXIT_TIMEOUT).  The threads it asked are held in
 * its signal handler until then; helgrind.supp hides, for that handler's
 * frames only, helgrind's "exiting thread still holds a lock". */
#ifndef KATA_STUCK_H
#define KATA_STUCK_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

int kata_zh(void);
#ifndef KATA_TR
#define KATA_TR(en, zh) (kata_zh() ? (zh) : (en))
#endif

#define KATA_WHERE_CHARS 400
#define KATA_STILL_SECONDS 3
#define KATA_STUCK_BEGIN "---- kata: the scenario is stuck ----"
#define KATA_STUCK_END "---- kata: end of the report ----"

/* /proc readers. */
int kata_read_small(const char *path, char *buf, size_t size);
int kata_read_stat(const char *stat_path, char *state, pid_t *ppid);
int kata_children(pid_t parent, pid_t *pids, int max);
int kata_descendants(pid_t root, pid_t *out, int max);
int kata_opened_for_writing(pid_t pid, int fd);

/* "main thread 12", "thread 13", or "thread 13 ("name")" for a thread
 * named apart from its program; into buf, which it returns. */
const char *kata_thread_label(pid_t pid, pid_t tid, char *buf, size_t size);

/* Copies size bytes at addr of this process into buf through /proc/self/mem:
 * a read no thread sanitizer or helgrind sees as a load.  0 on success. */
int kata_peek(const void *addr, void *buf, size_t size);

/* Threads of this process that the reports leave out (the harness's own). */
void kata_skip_threads(int (*skip)(pid_t tid));

/* Writes one line per thread of process pid (what it waits for, who holds
 * that mutex, where it is), then each cycle of threads waiting for each
 * other; returns how many cycles it found.  In this process it asks the
 * threads where they are (kata_where_ask): call it only just before the
 * process (and the process described) ends. */
int kata_describe_process(FILE *out, pid_t pid);

/* Installs the signal handler; called once, early (loads what backtrace needs). */
void kata_where_init(void);
/* Asks each thread of process pid (this one, or a process forked from it,
 * which has the same handler) where it is, waiting a bounded time. */
void kata_where_ask(pid_t pid, const pid_t *tids, int n);
/* Records the calling thread's own stack (in a crash handler: async-signal-safe
 * once kata_where_init has run); ucontext: the handler's third argument. */
void kata_where_here(void *ucontext);
/* The token of thread tid of process pid, with a leading space, or ""
 * (never asked, no answer). */
void kata_where(pid_t pid, pid_t tid, char *out, size_t size);

#endif

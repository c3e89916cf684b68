/* 08-parallel: concurrency (taking turns on one CPU) and parallelism (running
 * at the same instant on several CPUs), a parallel reduction, Amdahl's law.
 *
 * Every function that starts threads returns 0, or an error number:
 * EINVAL for impossible arguments, the error pthread_create,
 * pthread_setaffinity_np or pthread_join returned otherwise.  Before it
 * returns, every thread it started has been joined. */
#ifndef PARALLEL_H
#define PARALLEL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sched_getcpu, pthread_setaffinity_np, CPU_SET */
#endif
#include <stddef.h>

#define PAR_MAX_THREADS 64

/* The work each thread does: called once per worker, in that worker's
 * thread, with the worker's index (0 .. n-1) and the caller's arg. */
typedef void (*par_work_fn)(int index, void *arg);

/* ---- Part 1: one CPU or many ------------------------------------------ */

/* Stores in cpus[] the numbers of the CPUs this process may run on (its
 * affinity mask, from sched_getaffinity), in increasing order, at most max
 * of them; returns how many it stored, or -1 if the mask cannot be read. */
int par_allowed_cpus(int cpus[], int max);

/* Concurrency: starts n workers (1 <= n <= PAR_MAX_THREADS) that all run on
 * CPU `cpu` (one the process may use).  Each worker pins *itself* to that
 * one CPU before it calls work(i, arg), then stores the CPU it is running on
 * (sched_getcpu) in ran_on[i].  All n are started before any is joined, so
 * they take turns on that CPU.  The caller's own affinity is left as it
 * was. */
int par_run_pinned(int n, int cpu, par_work_fn work, void *arg, int ran_on[]);

/* Parallelism: the same, but worker i pins itself to the i-th allowed CPU,
 * wrapping around: cpus[i % count] with cpus and count from
 * par_allowed_cpus.  With as many workers as CPUs, each has a CPU of its
 * own and they all run at the same instant. */
int par_run_spread(int n, par_work_fn work, void *arg, int ran_on[]);

/* ---- Part 2: a parallel reduction -------------------------------------- */

/* Stores the sum of data[0 .. n-1] in *total, computed by exactly `threads`
 * workers (1 <= threads <= PAR_MAX_THREADS).  Worker t sums one contiguous
 * chunk of its own into a partial result of its own; the chunks cover every
 * item exactly once, whether or not threads divides n, even when there are
 * more threads than items (some chunks are then empty).  The partial results
 * are added up by the caller after the workers have been joined.  n may be
 * 0 (data may then be NULL). */
int par_sum(const int *data, size_t n, int threads, long long *total);

/* ---- Part 3: Amdahl's law ---------------------------------------------- */

/* The speedup Amdahl's law predicts on `threads` CPUs for a program of which
 * a fraction `serial` (0 to 1) must run on one CPU and the rest divides
 * perfectly: 1 / (serial + (1 - serial) / threads).  NAN when serial is not
 * between 0 and 1 or threads < 1. */
double par_amdahl(double serial, int threads);

#endif

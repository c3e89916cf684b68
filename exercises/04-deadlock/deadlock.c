/* 04-deadlock: find a deadlock, explain it, prevent it.
 * Read README.md, then replace every TODO.  deadlock.h says what each
 * function must do; `make test EX=04` says what is still missing. */
#define _GNU_SOURCE
#include "deadlock.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* ---- Part 1 ------------------------------------------------------------ */

int dl_transfer(struct dl_account *from, struct dl_account *to, long amount)
{
    /* TODO: lock both accounts in one global order (e.g. the lower id
     * first), whatever the order of the arguments; from == to locks once.
     * With both held: refuse (DL_NO_FUNDS) if from->balance < amount, else
     * move the money.  Then release both, and return. */
    (void)from;
    (void)to;
    (void)amount;
    return ENOSYS;
}

/* ---- Part 2 ------------------------------------------------------------ */

/* TODO: a back-off: sleep (nanosleep or usleep) for a random time, within a
 * window that grows with each failed attempt (rand_r gives random numbers
 * without shared state). */

int dl_transfer_try(struct dl_account *from, struct dl_account *to, long amount)
{
    /* TODO: loop: lock from; trylock to; on success, leave the loop; on
     * EBUSY, unlock from, back off, and try again.  Then move the money as
     * in part 1 and release both.  from == to locks once. */
    (void)from;
    (void)to;
    (void)amount;
    return ENOSYS;
}

/* ---- Part 3 ------------------------------------------------------------ */

/* TODO: what a philosopher's thread needs (its number, the forks, meals,
 * the diners), and its start routine: meals times, think, take both forks
 * in an order that cannot close a circle, eat, put both down. */

int dl_dine(pthread_mutex_t forks[DL_PHILOSOPHERS], int meals, const struct dl_diners *diners)
{
    /* TODO: start five philosopher threads, then join all five. */
    (void)forks;
    (void)meals;
    (void)diners;
    return ENOSYS;
}

/* 04-deadlock: the concurrency scenario, run under helgrind.
 *
 * First, one thread alone moves money back and forth and lets five
 * philosophers eat one after another: nothing can hang, but helgrind sees
 * every order in which locks are taken, and reports two locks taken in both
 * orders ("lock order violated") although this run did not deadlock.  Then,
 * if helgrind has found nothing so far, threads run at the same time for
 * real: helgrind reports any balance or meal touched without its lock.
 * Part 2 transfers run in one direction only: trylock never waits, so its
 * order cannot deadlock, but helgrind counts it in the lock order all the
 * same.  Exits 0 when every invariant holds.
 *
 * The exercise's ldflags (for every program) wrap the lock calls: here a
 * thread locking a mutex it already holds ends the run with a message
 * instead of hanging. */
#define _GNU_SOURCE
#include "deadlock.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

int __real_pthread_mutex_lock(pthread_mutex_t *m);
int __real_pthread_mutex_trylock(pthread_mutex_t *m);
int __real_pthread_mutex_unlock(pthread_mutex_t *m);

/* The mutexes this thread holds (its own list: nothing shared). */
static __thread pthread_mutex_t *held[16];
static __thread int nheld;

/* A normal mutex locked again by its holder never opens: rather than hang
 * until the time limit, say so and end the run. */
int __wrap_pthread_mutex_lock(pthread_mutex_t *m)
{
    for (int i = 0; i < nheld; i++)
        if (held[i] == m) {
            fprintf(stderr, "a thread locked a mutex it already held: a normal mutex locked "
                            "twice by the same thread never opens (from == to locks once)\n");
            _exit(1);
        }
    int r = __real_pthread_mutex_lock(m);
    if (r == 0 && nheld < 16)
        held[nheld++] = m;
    return r;
}

int __wrap_pthread_mutex_trylock(pthread_mutex_t *m)
{
    int r = __real_pthread_mutex_trylock(m);
    if (r == 0 && nheld < 16)
        held[nheld++] = m;
    return r;
}

int __wrap_pthread_mutex_unlock(pthread_mutex_t *m)
{
    for (int i = 0; i < nheld; i++)
        if (held[i] == m) {
            held[i] = held[--nheld];
            break;
        }
    return __real_pthread_mutex_unlock(m);
}

#define ACCOUNTS 3
#define START 1000
#define ROUNDS 20
#define MEALS 3

static struct dl_account bank[ACCOUNTS] = {DL_ACCOUNT_INIT(0, START), DL_ACCOUNT_INIT(1, START),
                                           DL_ACCOUNT_INIT(2, START)};

static int check_bank(const char *when)
{
    long total = 0;
    int bad = 0;
    for (int i = 0; i < ACCOUNTS; i++) {
        pthread_mutex_lock(&bank[i].lock);
        total += bank[i].balance;
        if (bank[i].balance < 0) {
            fprintf(stderr, "%s: account %d is at %ld\n", when, i, bank[i].balance);
            bad = 1;
        }
        pthread_mutex_unlock(&bank[i].lock);
    }
    if (total != ACCOUNTS * START) {
        fprintf(stderr, "%s: the accounts hold %ld in all, not %d\n", when, total,
                ACCOUNTS * START);
        bad = 1;
    }
    return bad;
}

/* Each worker moves money "upwards" (0 -> 1, 1 -> 2, 0 -> 2) or to the same
 * account: whatever order a transfer locks in, these cannot deadlock, and
 * they overlap on every account. */
struct worker {
    pthread_t thread;
    int from, to;
    int (*transfer)(struct dl_account *, struct dl_account *, long);
};

static void *work(void *p)
{
    struct worker *w = p;
    for (int i = 0; i < ROUNDS; i++)
        w->transfer(&bank[w->from], &bank[w->to], 1 + i % 7);
    return NULL;
}

static void run_workers(int (*transfer)(struct dl_account *, struct dl_account *, long))
{
    struct worker w[4] = {
        {.from = 0, .to = 1}, {.from = 1, .to = 2}, {.from = 0, .to = 2}, {.from = 1, .to = 1}};
    for (int i = 0; i < 4; i++) {
        w[i].transfer = transfer;
        pthread_create(&w[i].thread, NULL, work, &w[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(w[i].thread, NULL);
}

/* ---- the philosophers ---- */

static pthread_mutex_t forks[DL_PHILOSOPHERS] = {
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
    PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
/* Who last used each fork: written only by a philosopher holding it. */
static int fork_user[DL_PHILOSOPHERS];
static int meals[DL_PHILOSOPHERS];

static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn, one_at_a_time;

static void think(int who, void *arg)
{
    (void)arg;
    if (!one_at_a_time)
        return;
    pthread_mutex_lock(&turn_lock); /* held by nobody who holds a fork */
    while (turn != who)
        pthread_cond_wait(&turn_changed, &turn_lock);
    pthread_mutex_unlock(&turn_lock);
}

static void eat(int who, void *arg)
{
    (void)arg;
    fork_user[who] = who;
    fork_user[(who + 1) % DL_PHILOSOPHERS] = who;
    if (++meals[who] % MEALS == 0 && one_at_a_time) {
        pthread_mutex_lock(&turn_lock);
        turn++;
        pthread_cond_broadcast(&turn_changed);
        pthread_mutex_unlock(&turn_lock);
    }
}

static int check_meals(int want)
{
    int bad = 0;
    for (int i = 0; i < DL_PHILOSOPHERS; i++)
        if (meals[i] != want) {
            fprintf(stderr, "philosopher %d ate %d meals, not %d\n", i, meals[i], want);
            bad = 1;
        }
    return bad;
}

int main(void)
{
    int bad = 0;
    const struct dl_diners diners = {think, eat, NULL};

    /* One thread, every order: lock-order errors show without any risk of
     * hanging. */
    for (int a = 0; a < ACCOUNTS; a++)
        for (int b = 0; b < ACCOUNTS; b++)
            dl_transfer(&bank[a], &bank[b], 5);
    one_at_a_time = 1;
    if (dl_dine(forks, MEALS, &diners) != 0) {
        fprintf(stderr, "dl_dine failed\n");
        return 1;
    }
    bad |= check_bank("after one thread's transfers") | check_meals(MEALS);
    if (VALGRIND_COUNT_ERRORS > 0) {
        fprintf(stderr, "helgrind has reported a problem: the threads are not run together\n");
        return 1;
    }

    /* Threads at the same time. */
    run_workers(dl_transfer);
    bad |= check_bank("after dl_transfer from 4 threads");
    run_workers(dl_transfer_try);
    bad |= check_bank("after dl_transfer_try from 4 threads");
    one_at_a_time = 0;
    if (dl_dine(forks, MEALS, &diners) != 0) {
        fprintf(stderr, "dl_dine failed\n");
        return 1;
    }
    bad |= check_meals(2 * MEALS);
    return bad;
}

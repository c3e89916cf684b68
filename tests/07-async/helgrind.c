/* 07-async: the concurrency scenario, run under helgrind, in real time.
 *
 * The loop runs tasks on the main thread.  Other threads feed the pipes
 * the tasks wait on, and one of them asks the loop to run a callback with
 * async_call_threadsafe: what it hands over must be ordered by something
 * helgrind understands (a mutex, a pipe), or it reports a data race.  Exits
 * 0 when every result arrived. */
#define _GNU_SOURCE
#include "async.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
}

/* ---- sources fed by threads ---- */

#define SOURCES 3
static const long delays[SOURCES] = {30, 10, 20};
static const char *answers[SOURCES] = {"alpha", "beta", "gamma"};
static pthread_t feeders[SOURCES];
static int nfeeders;

struct feed {
    int fd;
    long delay;
    const char *text;
};
static struct feed feeds[SOURCES];

static void *feeder(void *p)
{
    struct feed *f = p;
    pause_ms(f->delay);
    if (write(f->fd, f->text, strlen(f->text)) < 0)
        perror("feeder: write");
    close(f->fd);
    return NULL;
}

static int open_source(int index, void *arg)
{
    (void)arg;
    int p[2];
    if (index < 0 || index >= SOURCES || nfeeders == SOURCES || pipe2(p, O_CLOEXEC) != 0)
        return -1;
    feeds[nfeeders] = (struct feed){p[1], delays[index], answers[index]};
    if (pthread_create(&feeders[nfeeders], NULL, feeder, &feeds[nfeeders]) != 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    nfeeders++;
    return p[0];
}

/* ---- a future completed from another thread ---- */

static struct async_loop *loop;
static struct async_future *fut;
static long shared_input; /* written by the helper before its call, read by the callback */
static long awaited = -1;

static void complete(void *p)
{
    /* On the loop's thread: it may touch the future, and read what the
     * helper wrote before it asked for this call. */
    async_future_set(fut, shared_input + (long)(intptr_t)p);
}

static void *helper(void *p)
{
    (void)p;
    pause_ms(20);
    shared_input = 40;
    async_call_threadsafe(loop, complete, (void *)(intptr_t)2);
    return NULL;
}

static void awaiter(void *p)
{
    (void)p;
    awaited = async_await(fut);
}

static int ticks;

static void ticker(void *p)
{
    (void)p;
    for (int i = 0; i < 3; i++) {
        async_sleep(5);
        ticks++;
    }
}

int main(void)
{
    int bad = 0;

    struct async_answer got[SOURCES];
    if (fetch_async(SOURCES, open_source, NULL, got) != 0) {
        fprintf(stderr, "fetch_async failed\n");
        bad = 1;
    }
    for (int i = 0; i < nfeeders; i++)
        pthread_join(feeders[i], NULL);
    for (int i = 0; i < SOURCES && !bad; i++)
        if (got[i].len != strlen(answers[i]) || memcmp(got[i].data, answers[i], got[i].len) != 0) {
            fprintf(stderr, "fetch_async: answer %d is wrong\n", i);
            bad = 1;
        }

    loop = async_loop_new();
    fut = loop != NULL ? async_future_new(loop) : NULL;
    if (fut == NULL) {
        fprintf(stderr, "async_loop_new or async_future_new failed\n");
        return 1;
    }
    pthread_t h;
    if (async_spawn(loop, awaiter, NULL) != 0 || async_spawn(loop, ticker, NULL) != 0 ||
        pthread_create(&h, NULL, helper, NULL) != 0) {
        fprintf(stderr, "async_spawn or pthread_create failed\n");
        return 1;
    }
    if (async_run(loop) != 0) {
        fprintf(stderr, "async_run failed\n");
        bad = 1;
    }
    pthread_join(h, NULL);
    if (awaited != 42 || ticks != 3) {
        fprintf(stderr, "the awaiting task got %ld (not 42), the ticker ticked %d times (not 3)\n",
                awaited, ticks);
        bad = 1;
    }
    async_future_free(fut);
    async_loop_free(loop);
    return bad;
}

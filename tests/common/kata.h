/* Test harness shared by every exercise.
 *
 * Every test is written with KATA_TEST instead of Criterion's Test, and every
 * suite is declared with KATA_SUITE.  The harness adds what Criterion alone
 * does not give:
 *   - a per-test watchdog that, when the time is up, describes what each
 *     thread and child process was doing (and what the exercise's own
 *     explainer adds, e.g. a lock cycle), then ends the test;
 *   - an end marker, so a test whose process was ended early by exit(0)
 *     never counts as passed;
 *   - a guard that stops a forked child that returns into the test body;
 *   - a check that the test leaves no child process behind (no zombies);
 *   - a check that it leaves nothing else behind either: compared with the
 *     test's start (or, in kata_run_in_child, with fn's start), no new
 *     descriptor open, no new shared mapping mapped, no thread still
 *     running, and no watched mutex (kata_watch_mutex) locked.
 */
#ifndef KATA_H
#define KATA_H

#include <criterion/criterion.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Criterion's own limit: a backstop behind the watchdog (KATA_TEST_SECONDS). */
#define KATA_SUITE(suite_name, ...) TestSuite(suite_name, .timeout = 30, ##__VA_ARGS__)

#define KATA_TEST(suite_name, test_name, ...)                                                      \
    static void kata_body_##suite_name##__##test_name(void);                                       \
    Test(suite_name, test_name, ##__VA_ARGS__)                                                     \
    {                                                                                              \
        kata_begin(#suite_name, #test_name);                                                       \
        kata_body_##suite_name##__##test_name();                                                   \
        kata_end();                                                                                \
    }                                                                                              \
    static void kata_body_##suite_name##__##test_name(void)

/* Exit codes the harness uses for processes it stops. */
#define KATA_EXIT_TIMEOUT 86
#define KATA_EXIT_FORKED 87

void kata_begin(const char *suite, const char *test);
void kata_end(void);

/* Seconds the current test may run (env KATA_TEST_SECONDS, default 3). */
double kata_test_seconds(void);

/* The learner's language.  KATA_LANG=zh (or en) decides; without it, a
 * Chinese locale in LC_ALL, LC_MESSAGES or LANG (e.g. zh_CN.UTF-8) picks
 * Chinese.  KATA_TR picks one of two strings, for a string passed on to a
 * function (e.g. a helper that reports in the test's name), e.g.
 *     run_or_fail(scenario, KATA_TR("the coroutine is resumed once",
 *                                   "协程被恢复一次"));
 * Both must take the same printf arguments in the same order.  Inside an
 * assertion use KATA_MSG below instead. */
int kata_zh(void);
#define KATA_TR(en, zh) (kata_zh() ? (zh) : (en))

/* Skips the current test when this machine cannot show what it checks (one
 * CPU, another instruction set), saying why in the learner's language:
 *     KATA_SKIP("parallelism needs a second CPU", "并行至少需要两个 CPU");
 * The reason is kept for the report (Criterion's own report drops it). */
void kata_skip_reason(const char *why);
#define KATA_SKIP(en, zh, ...)                                                                     \
    do {                                                                                           \
        const char *kata_why_ = kata_msg(KATA_TR(en, zh), ##__VA_ARGS__);                          \
        kata_skip_reason(kata_why_);                                                               \
        cr_skip_test("%s", kata_why_);                                                             \
    } while (0)

/* Criterion's assertions need a string literal as their format, so in an
 * assertion use KATA_MSG, which formats the chosen message itself:
 *     cr_assert(got == 42, KATA_MSG("the parent read %d, not 42: ...",
 *                                   "父进程读到的是 %d，不是 42：...", got));
 * The compiler checks both formats against the arguments. */
const char *kata_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define KATA_MSG(en, zh, ...) "%s", kata_msg(KATA_TR(en, zh), ##__VA_ARGS__)

/* An exercise may register a function that adds its own explanation to a
 * timeout report (e.g. "thread 2 holds account 0 and waits for account 1").
 * It runs on the watchdog thread while the test's threads are stuck, so it
 * must not take locks the test's threads may hold. */
void kata_on_timeout(void (*explain)(FILE *out));

/* What happened to code run by kata_run_in_child. */
struct kata_proc {
    int completed;  /* fn returned in the helper and its output arrived */
    int exited;     /* the helper ended with exit/_exit ... */
    int status;     /* ... with this status */
    int signaled;   /* the helper was killed by a signal ... */
    int sig;        /* ... this one */
    int timed_out;  /* the helper ran out of time and was killed */
    int escaped;    /* a process forked inside fn returned from fn */
    size_t out_len; /* bytes of output received */
};

/* Runs fn(arg, out) in a separate helper process, so that whatever the
 * student's code does there (fork, exit, crash, hang) cannot disturb the
 * test process.  fn may fill `out` (up to out_size bytes, at most 60 KiB);
 * it is copied back to the caller when fn returns.  The helper, and every
 * process it left behind, is killed before this returns. */
struct kata_proc kata_run_in_child(void (*fn)(void *arg, void *out), void *arg, void *out,
                                   size_t out_size, double seconds);

/* One line in plain words about how a kata_run_in_child helper ended, for
 * assertion messages ("it called exit(0) before returning", ...). */
const char *kata_proc_describe(const struct kata_proc *p);

/* Child processes of `parent` (zombies included); returns how many, stores
 * up to max pids in pids (pids may be NULL). */
int kata_children(pid_t parent, pid_t *pids, int max);

/* Kills every descendant of this process (children, grandchildren, ...). */
void kata_kill_descendants(void);

/* Resource hygiene.  A descriptor the code under test hands to the caller on
 * purpose (its header says so) is allowed by the test, which then closes it
 * itself or calls kata_allow_fd(fd) in the test body (or in fn). */
void kata_allow_fd(int fd);
/* The same for a shared mapping, by its start address. */
void kata_allow_map(const void *start);

/* A mutex of the code under test that must be unlocked when the test ends
 * (`what` names it in the message, e.g. "done->lock").  Call it in the test
 * body; the list starts empty in every test. */
void kata_watch_mutex(const pthread_mutex_t *m, const char *what);

/* Number of threads in this process, not counting the harness's watchdog. */
int kata_thread_count(void);

#endif

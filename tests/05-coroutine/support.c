/* 05-coroutine: the trace and the helper process (see support.h). */
#include "support.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct trace *T;

void trace_open(void)
{
    if (T == NULL) {
        T = mmap(NULL, sizeof *T, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        cr_assert(T != MAP_FAILED, "the tests could not map shared memory");
    }
    kata_allow_map(T); /* the tests' own trace: the hygiene check leaves it out */
    memset(T, 0, sizeof *T);
}

void ev(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = sizeof T->text - T->len;
    int n = vsnprintf(T->text + T->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 > room)
        return;
    T->len += (size_t)n;
    T->text[T->len++] = ' ';
    T->text[T->len] = '\0';
}

void calling(const char *call)
{
    snprintf(T->calling, sizeof T->calling, "%s", call != NULL ? call : "");
}

static void call_scenario(void *arg, void *out)
{
    (void)out;
    void (*scenario)(void);
    memcpy(&scenario, &arg, sizeof scenario);
    scenario();
}

struct kata_proc run_scenario(void (*scenario)(void))
{
    char done = 0;
    void *arg;
    memcpy(&arg, &scenario, sizeof arg);
    /* More time than the test has: if the code hangs, the watchdog is the one
     * that reports what it waits on. */
    return kata_run_in_child(call_scenario, arg, &done, 1, kata_test_seconds() + 2);
}

const char *ename(int err)
{
    static char buf[32];
    switch (err) {
    case 0:
        return "0";
    case EINVAL:
        return "EINVAL";
    case EBUSY:
        return "EBUSY";
    case EPERM:
        return "EPERM";
    case ENOSYS:
        return "ENOSYS";
    default:
        snprintf(buf, sizeof buf, "%d", err);
        return buf;
    }
}

const char *sname(int state)
{
    switch (state) {
    case CORO_SUSPENDED:
        return "S";
    case CORO_RUNNING:
        return "R";
    case CORO_FINISHED:
        return "F";
    default:
        return "?";
    }
}

/* One token of an event trace in words, or NULL when it reads by itself. */
static const char *token_words(const char *tok, char *buf, size_t size)
{
    static const struct {
        const char *tok, *en, *zh;
    } words[] = {
        {"S", "S = suspended (it yielded and may be resumed)",
         "S = 已挂起（它 yield 了，可以再恢复）"},
        {"R", "R = running", "R = 正在运行"},
        {"F", "F = finished (its function returned)", "F = 已结束（它的函数返回了）"},
        {"end", "end = gen_next returned 0: no more values",
         "end = gen_next 返回 0：没有更多的值了"},
        {"EINVAL", "EINVAL = resuming a finished (or NULL) coroutine",
         "EINVAL = 恢复了一个已结束（或为 NULL）的协程"},
        {"EBUSY", "EBUSY = resuming a coroutine that is running",
         "EBUSY = 恢复了一个正在运行的协程"},
        {"EPERM", "EPERM = yielding or awaiting outside any coroutine",
         "EPERM = 在任何协程之外 yield 或 await"},
        {"ENOSYS", "ENOSYS = not written yet: what the stub returns",
         "ENOSYS = 还没写：桩代码的返回值"},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(tok, words[i].tok) == 0)
            return KATA_TR(words[i].en, words[i].zh);
    /* "error-38" (gen_next's return) or "again=-38": a negative error number */
    const char *num = strncmp(tok, "error", 5) == 0 ? tok + 5 : strchr(tok, '=');
    num = num && *num == '=' ? num + 1 : num;
    char *end;
    long v = num && *num == '-' ? strtol(num, &end, 10) : 0;
    if (v >= 0 || *end)
        return NULL;
    const char *name = -v == ENOSYS   ? "ENOSYS"
                       : -v == EBUSY  ? "EBUSY"
                       : -v == EINVAL ? "EINVAL"
                       : -v == EPERM  ? "EPERM"
                                      : NULL;
    if (!name)
        return NULL;
    snprintf(buf, size, KATA_TR("%ld = -%s%s", "%ld = -%s%s"), v, name,
             -v == ENOSYS ? KATA_TR(" (not written yet: what the stub returns)",
                                    "（还没写：桩代码的返回值）")
                          : "");
    return buf;
}

const char *events_in_words(const char *expected, const char *got)
{
    static char out[1024];
    char seen[16][64];
    int nseen = 0;
    size_t used = 0;
    out[0] = '\0';
    const char *texts[2] = {expected, got};
    for (int t = 0; t < 2; t++)
        for (const char *p = texts[t]; *p && nseen < 16;) {
            size_t n = strcspn(p, " ");
            char tok[64], buf[160];
            snprintf(tok, sizeof tok, "%.*s", (int)(n < 63 ? n : 63), p);
            p += n + (p[n] == ' ');
            const char *w = n ? token_words(tok, buf, sizeof buf) : NULL;
            int dup = 0;
            for (int i = 0; i < nseen && w; i++)
                dup = dup || strcmp(seen[i], w) == 0;
            if (!w || dup || used + strlen(w) + 8 >= sizeof out)
                continue;
            snprintf(seen[nseen++], sizeof seen[0], "%s", w);
            used += (size_t)snprintf(
                out + used, sizeof out - used, "%s%s",
                used ? KATA_TR("; ", "；") : KATA_TR("\n  in words: ", "\n  意思是："), w);
        }
    return out;
}

void expect_created(void)
{
    cr_assert(strstr(T->text, "create-failed") == NULL,
              KATA_MSG("coro_create returned NULL: it must allocate the coroutine and a stack "
                       "of its own, prepare a context on that stack with getcontext and "
                       "makecontext, and return the coroutine",
                       "coro_create 返回了 NULL：它必须分配协程和它自己的栈，用 getcontext 和 "
                       "makecontext 在这个栈上准备好上下文，然后返回这个协程"));
}

void run_or_fail(void (*scenario)(void), const char *lesson)
{
    trace_open();
    struct kata_proc p = run_scenario(scenario);
    expect_completed(&p, lesson);
}

const char *shown_events(void)
{
    static char buf[TRACE_TEXT];
    size_t n = T->len;
    while (n > 0 && T->text[n - 1] == ' ')
        n--;
    if (n == 0)
        return KATA_TR("(none)", "（无）");
    memcpy(buf, T->text, n);
    buf[n] = '\0';
    return buf;
}

/* The helper did not come back from the call the scenario marked (calling):
 * the mistake is in how that call treats the case the header names. */
static void expect_came_back_from_the_call(const struct kata_proc *p, const char *events,
                                           const char *lesson)
{
    char how[128];
    if (p->signaled)
        snprintf(how, sizeof how, KATA_TR("it crashed (signal %d, %s)", "它崩溃了（信号 %d，%s）"),
                 p->sig, strsignal(p->sig));
    else if (p->exited)
        snprintf(
            how, sizeof how,
            KATA_TR("the whole process ended (exit status %d)", "整个进程结束了（退出状态 %d）"),
            p->status);
    else
        snprintf(how, sizeof how, "%s", KATA_TR("it never returned", "它一直没有返回"));
    cr_assert_fail(KATA_MSG("the scenario never came back from %s: %s. The header names this case "
                            "and what to return for it: check for it first, before you use the "
                            "argument or switch anywhere. Events before that: %s. %s",
                            "场景再也没有从 %s 返回：%s。头文件写明了这种情况，也写明了这时该返回"
                            "什么：先检查它，再使用参数或做任何切换。在那之前的事件：%s。%s",
                            T->calling, how, events, lesson));
}

void expect_completed(const struct kata_proc *pp, const char *lesson)
{
    struct kata_proc p = *pp;
    if (p.completed)
        return;
    const char *events = shown_events();
    if (T->calling[0] != '\0')
        expect_came_back_from_the_call(&p, events, lesson);
    if (p.exited && p.status == 0)
        cr_assert_fail(KATA_MSG(
            "the whole process ended with status 0 in the middle of the scenario, right after "
            "a coroutine's function returned. A coroutine that finishes must come back to "
            "the coro_resume that ran it: point the context's uc_link at the resumer's saved "
            "context (or end the function in a trampoline that switches back). Events "
            "before the end: %s. %s",
            "整个进程在场景中途以状态 0 结束了，就在某个协程的函数返回之后。协程结束时必须回到"
            "运行它的那个 coro_resume：让上下文的 uc_link 指向恢复者保存下来的上下文（或者让函数"
            "在一个跳板函数里结束，由它切换回去）。结束之前的事件：%s。%s",
            events, lesson));
    if (p.signaled)
        cr_assert_fail(KATA_MSG(
            "the scenario crashed (signal %d, %s): a switch went to a place that was never "
            "saved or no longer exists. coro_resume must save the resumer's place with "
            "swapcontext (setcontext saves nothing, so the coroutine has nowhere to come back "
            "to); coro_yield must refuse to run when no coroutine is running; each "
            "coroutine needs a heap stack of its own, never an array in a function that "
            "returns. Events before the crash: %s. %s",
            "场景崩溃了（信号 %d，%s）：某次切换跳到了一个从未保存过、或已经不存在的位置。"
            "coro_resume 必须用 swapcontext 保存恢复者的位置（setcontext 什么都不保存，协程"
            "就无处可回）；没有协程在运行时 coro_yield 必须拒绝；每个协程都需要自己的堆上的栈，"
            "绝不能是某个会返回的函数里的局部数组。崩溃之前的事件：%s。%s",
            p.sig, strsignal(p.sig), events, lesson));
    cr_assert_fail(KATA_MSG("the scenario did not come back normally: %s. Events: %s. %s",
                            "场景没有正常返回：%s。事件：%s。%s", kata_proc_describe(&p), events,
                            lesson));
}

void thread_stack(uintptr_t *lo, uintptr_t *hi)
{
    pthread_attr_t a;
    void *addr = NULL;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        pthread_attr_getstack(&a, &addr, &size);
        pthread_attr_destroy(&a);
    }
    *lo = (uintptr_t)addr;
    *hi = (uintptr_t)addr + size;
}

void keep_output(FILE *f, char **buf)
{
    fclose(f);
    if (*buf != NULL) {
        snprintf(T->out, sizeof T->out, "%s", *buf);
        free(*buf);
        *buf = NULL;
    }
}

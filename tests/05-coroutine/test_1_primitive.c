/* 05-coroutine, part 1: create, resume, yield, state, free. */
#include "support.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

KATA_SUITE(primitive);

/* ---- the function does not start before the first resume ---------------- */

static long log_start(void *arg, long first)
{
    (void)arg;
    ev("start %ld", first);
    return first + 1;
}

static void sc_create_then_resume(void)
{
    struct coro *co;
    NEW(co, log_start, NULL);
    ev("created %s", sname(coro_status(co)));
    long out = -1;
    int err = coro_resume(co, 5, &out);
    ev("resumed %s", ename(err));
    coro_free(co);
}

KATA_TEST(primitive, function_starts_at_the_first_resume)
{
    run_or_fail(sc_create_then_resume,
                KATA_TR("The coroutine is created, then resumed once with 5.",
                        "协程先被创建，然后用 5 恢复一次。"));
    expect_events("created S start 5 resumed 0 ",
                  "coro_create only prepares the coroutine (CORO_SUSPENDED, nothing run); "
                  "its function starts at the first coro_resume, with `first` = the value "
                  "given to that resume",
                  "coro_create 只是准备好协程（状态 CORO_SUSPENDED，什么也不运行）；它的函数在"
                  "第一次 coro_resume 时才开始，`first` 就是这次 coro_resume 传入的值");
}

/* ---- values both ways ---------------------------------------------------- */

static long two_yields(void *arg, long first)
{
    (void)arg;
    long in = -1;
    ev("start %ld", first);
    coro_yield(10, &in);
    ev("got %ld", in);
    coro_yield(20, &in);
    ev("got %ld", in);
    return 99;
}

static void sc_values(void)
{
    struct coro *co;
    NEW(co, two_yields, NULL);
    for (long in = 5; in <= 7; in++) {
        long out = -1;
        int err = coro_resume(co, in, &out);
        ev("out %ld %s", out, ename(err));
    }
    coro_free(co);
}

KATA_TEST(primitive, values_travel_both_ways)
{
    run_or_fail(sc_values, KATA_TR("The coroutine yields 10 and 20, then returns 99; the "
                                   "resumer sends 5, 6, 7.",
                                   "协程先 yield 10 和 20，再返回 99；恢复者依次送进 5、6、7。"));
    expect_events("start 5 out 10 0 got 6 out 20 0 got 7 out 99 0 ",
                  "coro_resume hands `in` to the coroutine (the first time as `first`, then "
                  "as what coro_yield stores in *in) and receives in *out what it yielded, "
                  "or its result when its function returned",
                  "coro_resume 把 `in` 交给协程（第一次作为 `first`，之后作为 coro_yield 存进 "
                  "*in 的值），并在 *out 里收到协程 yield 出来的值，函数返回时则收到它的结果");
}

/* ---- the resumer's place is kept ----------------------------------------- */

static long yield_once(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("inside");
    coro_yield(1, NULL);
    ev("resumed-again");
    return 2;
}

static void sc_comes_back(void)
{
    struct coro *co;
    NEW(co, yield_once, NULL);
    ev("before");
    long out = -1;
    int err = coro_resume(co, 0, &out);
    ev("after %s out=%ld", ename(err), out);
    coro_free(co);
}

KATA_TEST(primitive, yield_comes_back_to_the_resumer)
{
    run_or_fail(sc_comes_back,
                KATA_TR("After the coroutine yields, the code after coro_resume must go on: "
                        "coro_resume saves its own place with swapcontext(&caller, &co_ctx), "
                        "and coro_yield switches back to that saved place.",
                        "协程 yield 之后，coro_resume 后面的代码必须接着运行：coro_resume 用 "
                        "swapcontext(&caller, &co_ctx) 保存自己的位置，coro_yield 再切换回这个"
                        "保存的位置。"));
    expect_events("before inside after 0 out=1 ",
                  "the coroutine must stop at coro_yield and control must come back to the "
                  "line after coro_resume, with the yielded value",
                  "协程必须停在 coro_yield，控制权回到 coro_resume 的下一行，并带回 yield 的值");
}

/* ---- a function that returns comes back too ------------------------------ */

static long returns_at_once(void *arg, long first)
{
    (void)arg;
    ev("run");
    return first * 7;
}

static void sc_return_link(void)
{
    struct coro *co;
    NEW(co, returns_at_once, NULL);
    long out = -1;
    int err = coro_resume(co, 6, &out);
    ev("back %s out=%ld %s", ename(err), out, sname(coro_status(co)));
    coro_free(co);
}

KATA_TEST(primitive, finished_coroutine_comes_back_to_its_resumer)
{
    run_or_fail(sc_return_link, KATA_TR("The coroutine's function returns without ever yielding.",
                                        "协程的函数一次也没有 yield 就返回了。"));
    expect_events("run back 0 out=42 F ",
                  "when the function returns, the coroutine is CORO_FINISHED and its resumer "
                  "goes on with the result in *out",
                  "函数返回时，协程变成 CORO_FINISHED，恢复者带着 *out 里的结果继续运行");
}

/* ---- the state follows the coroutine ------------------------------------- */

static long watch_self(void *arg, long first)
{
    (void)arg;
    (void)first;
    struct coro *me = coro_current();
    ev("inside %s current=%s", me ? sname(coro_status(me)) : "-",
       (uintptr_t)me == T->p[0] ? "me" : "other");
    coro_yield(0, NULL);
    return 0;
}

static void sc_states(void)
{
    struct coro *co;
    NEW(co, watch_self, NULL);
    T->p[0] = (uintptr_t)co;
    ev("new %s", sname(coro_status(co)));
    coro_resume(co, 0, NULL);
    ev("yielded %s", sname(coro_status(co)));
    coro_resume(co, 0, NULL);
    ev("returned %s current=%s", sname(coro_status(co)), coro_current() ? "set" : "NULL");
    coro_free(co);
}

KATA_TEST(primitive, state_is_suspended_running_finished)
{
    run_or_fail(sc_states,
                KATA_TR("The test looks at the state before, during and after each resume.",
                        "测试在每次恢复之前、之中、之后查看协程的状态。"));
    expect_events("new S inside R current=me yielded S returned F current=NULL ",
                  "a coroutine is CORO_SUSPENDED before it starts and while it waits in "
                  "coro_yield, CORO_RUNNING (and coro_current()) while it runs, CORO_FINISHED "
                  "once its function returned; back on the thread, coro_current() is NULL",
                  "协程开始之前和停在 coro_yield 里时是 CORO_SUSPENDED，运行时是 "
                  "CORO_RUNNING（也就是 coro_current()），函数返回后是 CORO_FINISHED；"
                  "回到线程本身时 coro_current() 是 NULL");
}

/* ---- a finished coroutine is never run again ----------------------------- */

static long run_end(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("run");
    coro_yield(1, NULL);
    ev("end");
    return 2;
}

static void sc_resume_finished(void)
{
    struct coro *co;
    NEW(co, run_end, NULL);
    coro_resume(co, 0, NULL);
    coro_resume(co, 0, NULL);
    long out = -1;
    calling("coro_resume on a coroutine that has finished");
    int err = coro_resume(co, 0, &out);
    calling(NULL);
    ev("again %s %s", ename(err), sname(coro_status(co)));
    coro_free(co);
}

KATA_TEST(primitive, resuming_a_finished_coroutine_is_refused)
{
    run_or_fail(sc_resume_finished,
                KATA_TR("The coroutine has finished and is resumed once more: coro_resume must "
                        "refuse (EINVAL) without switching, since its saved context is stale.",
                        "协程已经结束，又被恢复了一次：coro_resume "
                        "必须拒绝（EINVAL）而且不做切换，因为它保存的上下文已经过时。"));
    expect_events("run end again EINVAL F ",
                  "coro_resume on a finished coroutine must return EINVAL and run nothing: "
                  "its saved context is where it stopped last, and switching to it would run "
                  "old code again (here \"end\" twice)",
                  "对已结束的协程调用 coro_resume 必须返回 EINVAL，什么也不运行：它保存的上下文"
                  "是它上次停下的地方，切换过去会把旧代码再跑一遍（这里会出现两次 \"end\"）");
}

/* ---- yield with no coroutine running ------------------------------------- */

static void sc_yield_outside(void)
{
    calling("coro_yield on the thread itself, with no coroutine running");
    int err = coro_yield(5, NULL);
    calling(NULL);
    ev("yield %s current=%s", ename(err), coro_current() ? "set" : "NULL");
}

KATA_TEST(primitive, yield_outside_a_coroutine_is_refused)
{
    run_or_fail(sc_yield_outside,
                KATA_TR("Here the thread itself calls coro_yield: no coroutine is running, so "
                        "there is no resumer to switch back to.",
                        "这里是线程本身调用 coro_yield：没有协程在运行，也就没有可以切换回去的"
                        "恢复者。"));
    expect_events("yield EPERM current=NULL ",
                  "coro_yield called when no coroutine runs on this thread must return EPERM "
                  "at once, without switching anywhere",
                  "本线程上没有协程在运行时调用 coro_yield，必须立刻返回 EPERM，不切换到任何地方");
}

/* ---- a stack of its own, on the heap ------------------------------------- */

static long where_am_i(void *arg, long first)
{
    (void)arg;
    (void)first;
    volatile int local = 0;
    T->p[0] = (uintptr_t)&local;
    ev("ran");
    return local;
}

static void sc_stack(void)
{
    thread_stack(&T->p[1], &T->p[2]);
    struct coro *co;
    NEW(co, where_am_i, NULL);
    size_t size = 0;
    T->p[3] = (uintptr_t)coro_stack(co, &size);
    T->p[4] = size;
    T->marks = 1; /* the layout is known before anything runs */
    coro_resume(co, 0, NULL);
    coro_free(co);
}

KATA_TEST(primitive, runs_on_its_own_heap_stack)
{
    trace_open();
    struct kata_proc p = run_scenario(sc_stack);
    expect_created();
    uintptr_t lo = T->p[1], hi = T->p[2], base = T->p[3], size = T->p[4];
    if (T->marks) {
        cr_assert(size >= CORO_STACK_SIZE,
                  KATA_MSG("coro_stack says the stack is %zu bytes: with stack_size 0, "
                           "coro_create must allocate CORO_STACK_SIZE (%d) bytes",
                           "coro_stack 说栈只有 %zu 字节：stack_size 为 0 时，coro_create 必须分配 "
                           "CORO_STACK_SIZE（%d）字节",
                           (size_t)size, CORO_STACK_SIZE));
        cr_assert(base + size <= lo || base >= hi,
                  KATA_MSG("the coroutine's stack (%#lx..%#lx) lies in the creating thread's "
                           "own stack (%#lx..%#lx): it is an array in a function's frame, "
                           "which is gone once that function returns, and the coroutine "
                           "outlives it. Allocate the stack with malloc",
                           "协程的栈（%#lx..%#lx）位于创建它的线程自己的栈（%#lx..%#lx）里：它是"
                           "某个函数栈帧里的数组，那个函数一返回它就不存在了，而协程活得比它久。"
                           "请用 malloc 分配栈",
                           (unsigned long)base, (unsigned long)(base + size), (unsigned long)lo,
                           (unsigned long)hi));
    }
    expect_completed(&p, KATA_TR("The coroutine only records the address of one local "
                                 "variable.",
                                 "协程只记下了一个局部变量的地址。"));
    uintptr_t local = T->p[0];
    cr_assert(local >= base && local < base + size,
              KATA_MSG("a local variable of the coroutine is at %#lx, outside the stack coro_stack "
                       "reports (%#lx..%#lx): the context must run on the coroutine's own stack "
                       "(uc_stack.ss_sp and ss_size set before makecontext)",
                       "协程的一个局部变量在 %#lx，不在 coro_stack 报告的栈（%#lx..%#lx）之内："
                       "上下文必须在协程自己的栈上运行（在 makecontext 之前设好 uc_stack.ss_sp "
                       "和 ss_size）",
                       (unsigned long)local, (unsigned long)base, (unsigned long)(base + size)));
}

static long big_frame(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("ran");
    return 0;
}

static void sc_sizes(void)
{
    struct coro *a = coro_create(big_frame, NULL, 200000);
    struct coro *b = coro_create(big_frame, NULL, 100);
    if (a == NULL || b == NULL) {
        ev("create-failed");
        return;
    }
    size_t sa = 0, sb = 0;
    coro_stack(a, &sa);
    coro_stack(b, &sb);
    ev("big=%s small=%s", sa >= 200000 ? "ok" : "short", sb >= CORO_MIN_STACK ? "ok" : "short");
    coro_free(a);
    coro_free(b);
}

KATA_TEST(primitive, stack_has_the_size_asked_for)
{
    run_or_fail(sc_sizes, KATA_TR("Two coroutines are created with stack sizes 200000 and 100.",
                                  "创建两个协程，栈大小分别要 200000 和 100。"));
    expect_events("big=ok small=ok ",
                  "coro_create(fn, arg, 200000) must give a stack of at least 200000 bytes, and "
                  "never one smaller than CORO_MIN_STACK (asked for 100 bytes)",
                  "coro_create(fn, arg, 200000) 必须给出至少 200000 字节的栈，而且栈绝不能小于 "
                  "CORO_MIN_STACK（这里只要了 100 字节）");
}

/* ---- no function, no coroutine ------------------------------------------- */

static void sc_create_null(void)
{
    struct coro *co;
    NEW(co, returns_at_once, NULL); /* coro_create works at all */
    coro_free(co);
    calling("coro_create(NULL, NULL, 0)");
    struct coro *none = coro_create(NULL, NULL, 0);
    calling(NULL);
    ev("null-fn %s", none == NULL ? "NULL" : "a-coroutine");
    coro_free(none); /* never resumed: it would run a NULL function */
}

KATA_TEST(primitive, create_without_a_function_is_refused)
{
    run_or_fail(sc_create_null, KATA_TR("coro_create is given no function (NULL).",
                                        "coro_create 拿到的函数是 NULL。"));
    expect_events("null-fn NULL ",
                  "coro_create(NULL, ...) must return NULL: a coroutine with no function would "
                  "jump to address 0 at its first resume, far from the mistake that made it",
                  "coro_create(NULL, ...) 必须返回 NULL：没有函数的协程会在第一次被恢复时跳到地址 "
                  "0，离造成它的错误很远");
}

/* ---- two coroutines, two stacks ------------------------------------------ */

static long count_up(void *arg, long first)
{
    (void)arg;
    volatile long local = first; /* lives on this coroutine's stack */
    for (int i = 0; i < 3; i++) {
        local += 1;
        coro_yield(local, NULL);
    }
    return local;
}

static void sc_two(void)
{
    struct coro *a, *b;
    NEW(a, count_up, NULL);
    NEW(b, count_up, NULL);
    size_t sa = 0, sb = 0;
    uintptr_t pa = (uintptr_t)coro_stack(a, &sa), pb = (uintptr_t)coro_stack(b, &sb);
    T->marks = pa + sa <= pb || pb + sb <= pa ? 1 : 2;
    long out;
    for (int i = 0; i < 3; i++) {
        out = -1;
        coro_resume(a, i == 0 ? 100 : 0, &out);
        ev("a%ld", out);
        out = -1;
        coro_resume(b, i == 0 ? 200 : 0, &out);
        ev("b%ld", out);
    }
    coro_free(a);
    coro_free(b);
}

KATA_TEST(primitive, two_coroutines_keep_their_own_locals)
{
    trace_open();
    struct kata_proc p = run_scenario(sc_two);
    expect_created();
    cr_assert(T->marks != 2,
              KATA_MSG("two coroutines alive at the same time have overlapping stacks: each "
                       "one keeps its local variables and its return addresses on its own "
                       "stack while it is suspended, so each needs a stack of its own (one "
                       "malloc per coroutine, not one shared static array)",
                       "两个同时存在的协程，栈是重叠的：每个协程挂起时都把局部变量和返回地址留在"
                       "自己的栈上，所以每个协程都需要一个自己的栈（每个协程一次 malloc，而不是"
                       "共用一个静态数组）"));
    expect_completed(&p, KATA_TR("Two coroutines take turns, each counting in a local "
                                 "variable.",
                                 "两个协程轮流运行，各自在一个局部变量里计数。"));
    expect_events("a101 b201 a102 b202 a103 b203 ",
                  "two coroutines that take turns must each find their own local variables "
                  "as they left them",
                  "轮流运行的两个协程，每一个都必须看到自己的局部变量保持在离开时的样子");
}

/* ---- a coroutine that resumes another ------------------------------------ */

static struct coro *outer_co, *inner_co;

static long inner_fn(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("inner current=%s", coro_current() == inner_co ? "inner" : "other");
    ev("resume-outer %s", ename(coro_resume(outer_co, 0, NULL)));
    ev("resume-self %s", ename(coro_resume(inner_co, 0, NULL)));
    coro_yield(5, NULL);
    return 6;
}

static long outer_fn(void *arg, long first)
{
    (void)arg;
    (void)first;
    long out = -1;
    ev("outer %s", sname(coro_status(outer_co)));
    coro_resume(inner_co, 0, &out);
    ev("outer-got %ld current=%s", out, coro_current() == outer_co ? "outer" : "other");
    coro_yield(7, NULL);
    coro_resume(inner_co, 0, &out);
    ev("outer-got %ld", out);
    return 8;
}

static void sc_nested(void)
{
    NEW(outer_co, outer_fn, NULL);
    NEW(inner_co, inner_fn, NULL);
    long out = -1;
    coro_resume(outer_co, 0, &out);
    ev("thread-got %ld", out);
    coro_resume(outer_co, 0, &out);
    ev("thread-got %ld current=%s", out, coro_current() ? "set" : "NULL");
    coro_free(inner_co);
    coro_free(outer_co);
}

KATA_TEST(primitive, coroutine_can_resume_another)
{
    run_or_fail(sc_nested, KATA_TR("A coroutine (outer) resumes another one (inner).",
                                   "一个协程（outer）恢复另一个协程（inner）。"));
    expect_events("outer R inner current=inner resume-outer EBUSY resume-self EBUSY "
                  "outer-got 5 current=outer thread-got 7 outer-got 6 thread-got 8 "
                  "current=NULL ",
                  "a coroutine's yield goes back to whoever resumed it (here the outer "
                  "coroutine, not the thread); coro_current() is the innermost running one "
                  "and is restored when it stops; resuming a running coroutine (the outer "
                  "one, waiting in coro_resume, or oneself) is refused with EBUSY",
                  "协程 yield 时回到恢复它的那一方（这里是外层协程，而不是线程）；"
                  "coro_current() 是最内层正在运行的那个，它停下时要恢复原值；恢复一个正在"
                  "运行的协程（等在 coro_resume 里的外层协程，或者自己）要以 EBUSY 拒绝");
}

/* ---- each thread has its own current coroutine ---------------------------- */

static sem_t t1_inside, t1_go;

static int sem_wait_a_while(sem_t *s)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += 2;
    return sem_timedwait(s, &t);
}

static long t1_fn(void *arg, long first)
{
    (void)arg;
    (void)first;
    sem_post(&t1_inside);
    if (sem_wait_a_while(&t1_go) != 0)
        ev("t1-gave-up");
    T->v[0] = coro_current() == (struct coro *)T->p[0];
    coro_yield(0, NULL);
    return 0;
}

static void *t1_thread(void *arg)
{
    (void)arg;
    struct coro *co = coro_create(t1_fn, NULL, 0);
    if (co == NULL) {
        ev("create-failed");
        sem_post(&t1_inside);
        return NULL;
    }
    T->p[0] = (uintptr_t)co;
    coro_resume(co, 0, NULL);
    T->v[1] = coro_current() == NULL;
    coro_free(co);
    return NULL;
}

static long t2_fn(void *arg, long first)
{
    (void)arg;
    (void)first;
    coro_yield(0, NULL);
    return 0;
}

static void sc_threads(void)
{
    sem_init(&t1_inside, 0, 0);
    sem_init(&t1_go, 0, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, t1_thread, NULL) != 0) {
        ev("no-thread");
        return;
    }
    sem_wait_a_while(&t1_inside); /* thread 1's coroutine is running now */
    struct coro *me = coro_current();
    struct coro *co = coro_create(t2_fn, NULL, 0);
    if (co != NULL) {
        coro_resume(co, 0, NULL);
        ev("main-before=%s main-after=%s", me ? "set" : "NULL", coro_current() ? "set" : "NULL");
        coro_free(co);
    }
    sem_post(&t1_go);
    pthread_join(t, NULL);
    ev("t1-inside=%s t1-after=%s", T->v[0] ? "its-own" : "wrong", T->v[1] ? "NULL" : "set");
}

KATA_TEST(primitive, each_thread_has_its_own_current_coroutine)
{
    run_or_fail(sc_threads, KATA_TR("Thread 1 runs a coroutine; meanwhile the main thread runs "
                                    "one of its own.",
                                    "线程 1 运行着一个协程，同时主线程运行它"
                                    "自己的一个协程。"));
    expect_events("main-before=NULL main-after=NULL t1-inside=its-own t1-after=NULL ",
                  "the running coroutine belongs to a thread: while thread 1 runs its "
                  "coroutine, coro_current() on the main thread is still NULL. Keep the "
                  "current coroutine in a thread-local variable (__thread), not a global",
                  "正在运行的协程属于某个线程：线程 1 运行它的协程时，主线程上的 coro_current() "
                  "仍然是 NULL。把当前协程放在线程局部变量（__thread）里，而不是全局变量里");
}

/* ---- free ------------------------------------------------------------------ */

static long free_self(void *arg, long first)
{
    (void)arg;
    (void)first;
    ev("free-running %s", ename(coro_free(coro_current())));
    coro_yield(0, NULL);
    ev("never");
    return 0;
}

static void sc_free(void)
{
    struct coro *co;
    NEW(co, free_self, NULL);
    coro_resume(co, 0, NULL);
    ev("free-suspended %s", ename(coro_free(co)));
    calling("coro_free(NULL)");
    int err = coro_free(NULL);
    calling(NULL);
    ev("free-null %s", ename(err));
}

KATA_TEST(primitive, free_refuses_a_running_coroutine)
{
    run_or_fail(
        sc_free,
        KATA_TR(
            "The coroutine tries to free itself, then the thread frees it while it is suspended.",
            "协程试图释放自己，然后线程在它挂起时释放它。"));
    expect_events("free-running EBUSY free-suspended 0 free-null 0 ",
                  "coro_free must refuse (EBUSY) to free the running coroutine, whose stack is "
                  "in use right now, and free a suspended one (it just never goes on)",
                  "coro_free 必须拒绝（EBUSY）释放正在运行的协程，因为它的栈此刻正在使用；"
                  "挂起的协程则可以释放（它只是再也不会继续）");
}

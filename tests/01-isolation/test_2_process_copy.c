/* Part 2: after fork, a child's writes change only the child's copies. */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "support.h"

#include <string.h>
#include <unistd.h>

KATA_SUITE(process_copy);

#define OLD 17
#define NEW 42

struct copy_run {
    int rc;
    struct after_write seen;
    int global_after; /* iso_global as the test itself reads it afterwards */
    int children_left;
};

static void run_observe(void *arg, void *out)
{
    (void)arg;
    struct copy_run *r = out;
    r->rc = observe_child_writes(OLD, NEW, &r->seen);
    r->global_after = iso_global;
    r->children_left = kata_children(getpid(), NULL, 0);
}

static struct copy_run observe(void)
{
    struct copy_run r;
    memset(&r, 0, sizeof r);
    struct kata_proc p = kata_run_in_child(run_observe, NULL, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "observe_child_writes");
    cr_assert_eq(r.rc, 0, "observe_child_writes returned %d instead of 0: it should fork a child, "
                 "reap it with waitpid and fill *out", r.rc);
    return r;
}

/* Fails unless the parent still reads OLD in a variable the child set to NEW. */
static void assert_unchanged(int value, const char *which)
{
    cr_assert_neq(value, NEW,
                  "the parent saw the child's write to %s: after fork each process has its "
                  "own copy of every variable, so no write made in the child can reach the "
                  "parent. Is the write made in the parent, or in a thread?", which);
    cr_assert_eq(value, OLD,
                 "the parent read %d from %s, expected the old value %d: set it to "
                 "old_value before fork, and read it in the parent after waitpid",
                 value, which, OLD);
}

KATA_TEST(process_copy, child_saw_its_own_writes)
{
    struct copy_run r = observe();
    cr_assert_eq(r.seen.writer_saw, 3,
                 "writer_saw is %d, not 3: inside the child, its writes do change its own "
                 "copies; the child should count the variables holding new_value, end with "
                 "_exit(count), and the parent should take the count from WEXITSTATUS",
                 r.seen.writer_saw);
}

KATA_TEST(process_copy, child_write_to_global_is_invisible_to_parent)
{
    struct copy_run r = observe();
    assert_unchanged(r.seen.global, "the global iso_global");
    assert_unchanged(r.global_after, "the global iso_global (read by the test afterwards)");
}

KATA_TEST(process_copy, child_write_to_heap_is_invisible_to_parent)
{
    struct copy_run r = observe();
    assert_unchanged(r.seen.heap, "the malloc'ed int");
}

KATA_TEST(process_copy, child_write_to_stack_is_invisible_to_parent)
{
    struct copy_run r = observe();
    assert_unchanged(r.seen.stack, "the local variable");
}

KATA_TEST(process_copy, child_is_reaped)
{
    struct copy_run r = observe();
    cr_assert_eq(r.children_left, 0,
                 "%d child process(es) were left after observe_child_writes returned: "
                 "collect the child with waitpid, or it stays behind as a zombie",
                 r.children_left);
}

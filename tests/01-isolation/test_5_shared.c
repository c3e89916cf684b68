/* Part 5: memory shared on purpose with mmap(MAP_SHARED). */
#define _GNU_SOURCE
#include "isolation.h"
#include "kata.h"
#include "support.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

KATA_SUITE(shared_memory);

#define CHILDREN 4
#define INCREMENTS 1000

struct shared_run {
    long total;
    struct slot slots[CHILDREN];
    pid_t caller;
    int children_left;
    int shared_maps_before, shared_maps_after;
};

/* Shared mappings ("rw-s") this process has. */
static int count_shared_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512], perms[8];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%*s %7s", perms) == 1 && perms[3] == 's')
            n++;
    fclose(f);
    return n;
}

static void run_count(void *arg, void *out)
{
    (void)arg;
    struct shared_run *r = out;
    r->caller = getpid();
    r->shared_maps_before = count_shared_maps();
    r->total = count_in_children(CHILDREN, INCREMENTS, r->slots);
    r->shared_maps_after = count_shared_maps();
    r->children_left = kata_children(getpid(), NULL, 0);
}

static struct shared_run count(void)
{
    struct shared_run r;
    memset(&r, 0, sizeof r);
    struct kata_proc p = kata_run_in_child(run_count, NULL, &r, sizeof r, helper_seconds());
    assert_helper_completed(p, "count_in_children");
    cr_assert(r.total >= 0,
              "count_in_children(%d, %d, ...) returned %ld: it should map shared memory, "
              "fork the children, reap them and return the total", CHILDREN, INCREMENTS,
              r.total);
    return r;
}

KATA_TEST(shared_memory, parent_reads_the_total)
{
    struct shared_run r = count();
    cr_assert_neq(r.total, 0,
                  "the parent read a total of 0: the children counted in their own private "
                  "copies. Memory is shared between processes only when you ask for it: "
                  "mmap with MAP_SHARED before fork, and the children's writes land in "
                  "the pages the parent reads");
    cr_assert_eq(r.total, (long)CHILDREN * INCREMENTS,
                 "count_in_children(%d, %d, ...) returned %ld, expected %d", CHILDREN,
                 INCREMENTS, r.total, CHILDREN * INCREMENTS);
}

KATA_TEST(shared_memory, each_child_has_its_own_slot)
{
    struct shared_run r = count();
    for (int i = 0; i < CHILDREN; i++)
        cr_assert_eq(r.slots[i].count, INCREMENTS,
                     "slot %d holds a count of %ld, expected %d: child i adds 1 to slot i, "
                     "%d times. A count of 0 means the child's writes never reached the "
                     "parent: map the slots MAP_SHARED, before fork, and copy them to out "
                     "after reaping the children", i, r.slots[i].count, INCREMENTS,
                     INCREMENTS);
}

KATA_TEST(shared_memory, children_are_separate_processes)
{
    struct shared_run r = count();
    for (int i = 0; i < CHILDREN; i++) {
        cr_assert_neq(r.slots[i].pid, 0,
                      "slot %d shows no pid: what the child stored there never reached the "
                      "parent (are the slots mapped MAP_SHARED, before fork?)", i);
        cr_assert_neq(r.slots[i].pid, r.caller,
                      "slot %d holds the caller's own pid: the counting must happen in "
                      "child processes, after fork", i);
        for (int j = 0; j < i; j++)
            cr_assert_neq(r.slots[i].pid, r.slots[j].pid,
                          "slots %d and %d hold the same pid: start one child process per "
                          "slot", j, i);
    }
}

KATA_TEST(shared_memory, children_are_reaped)
{
    struct shared_run r = count();
    cr_assert_eq(r.children_left, 0,
                 "%d child process(es) were left after count_in_children returned: reap "
                 "every child with waitpid (which is also how the parent knows that a "
                 "child has finished writing its slot)", r.children_left);
}

KATA_TEST(shared_memory, mapping_is_released)
{
    struct shared_run r = count();
    cr_assert_eq(r.shared_maps_after, r.shared_maps_before,
                 "the caller had %d shared mapping(s) after count_in_children returned, %d "
                 "before: release the memory with munmap once the slots are copied out",
                 r.shared_maps_after, r.shared_maps_before);
}

/* 08-parallel, part 3: Amdahl's law, the prediction.  The measurement is in
 * the benchmark (`make bench EX=08`): timing has no place in a test. */
#include "probes.h" /* first: parallel.h sets _GNU_SOURCE */

#include "kata.h"

#include <math.h>

KATA_SUITE(amdahl);

static void expect_speedup(double serial, int threads, double want, const char *en, const char *zh)
{
    double got = par_amdahl(serial, threads);
    cr_assert(fabs(got - want) < 1e-9, KATA_MSG(en, zh, serial, threads, got, want));
}

KATA_TEST(amdahl, no_serial_part_scales_with_the_threads)
{
    for (int n = 1; n <= 8; n *= 2)
        expect_speedup(0.0, n, n,
                       "par_amdahl(%g, %d) is %g, not %g: with no serial part, n CPUs do the "
                       "work n times as fast",
                       "par_amdahl(%g, %d) 是 %g，不是 %g：没有串行部分时，n 个 CPU 就快 n 倍");
}

KATA_TEST(amdahl, all_serial_never_speeds_up)
{
    for (int n = 1; n <= 64; n *= 4)
        expect_speedup(
            1.0, n, 1.0,
            "par_amdahl(%g, %d) is %g, not %g: a program that is serial from start "
            "to end runs on one CPU however many there are",
            "par_amdahl(%g, %d) 是 %g，不是 %g：从头到尾都是串行的程序，不管有多少个 CPU，"
            "都只能在一个上跑");
}

KATA_TEST(amdahl, the_serial_part_limits_the_speedup)
{
    static const struct {
        double serial;
        int threads;
        double want;
    } cases[] = {
        {0.1, 2, 1.0 / 0.55},
        {0.25, 4, 1.0 / 0.4375},
        {0.5, 3, 1.5},
        {0.05, 1000, 1.0 / 0.05095},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        expect_speedup(
            cases[k].serial, cases[k].threads, cases[k].want,
            "par_amdahl(%g, %d) is %g, not %g: on one CPU the program takes 1; on n "
            "CPUs the serial part still takes `serial` and the rest (1 - serial) / n. "
            "The speedup is the old time over the new one",
            "par_amdahl(%g, %d) 是 %g，不是 %g：在一个 CPU 上程序用时为 1；在 n 个 CPU 上，"
            "串行部分仍然要 serial，其余部分只要 (1 - serial) / n。加速比是旧用时除以新用时");
}

KATA_TEST(amdahl, impossible_input_gives_nan)
{
    static const struct {
        double serial;
        int threads;
    } cases[] = {
        {-0.1, 2},
        {1.5, 2},
        {0.5, 0},
        {0.5, -3},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        double got = par_amdahl(cases[k].serial, cases[k].threads);
        cr_assert(
            isnan(got),
            KATA_MSG("par_amdahl(%g, %d) is %g, not NAN: a fraction outside 0 .. 1 or fewer "
                     "than one thread has no speedup; return NAN (from <math.h>)",
                     "par_amdahl(%g, %d) 是 %g，不是 NAN：比例不在 0 .. 1 之间，或者线程少于一个，"
                     "都谈不上加速比；返回 NAN（在 <math.h> 里）",
                     cases[k].serial, cases[k].threads, got));
    }
}

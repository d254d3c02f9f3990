/*
 * Unit tests for the option tables of tools/bench/bench.c: bench_opts_parse
 * (--name value and --name=value, flags, bounds, unknown options, --help)
 * and bench_opts_select (one table shared by several scenarios, the same
 * flag with its own bounds in each).
 *
 * The load tool is not part of onair_lib, so the module under test (and
 * stats.c, which it uses) is compiled into this file directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../../tools/bench/bench.c"
#include "../../../tools/bench/stats.c"

enum { A = 1, B = 2 };

struct o {
    long n;
    double d;
    bool flag;
    const char *s;
};

static int parse(unsigned sc, struct o *o, int argc, char **argv)
{
    const struct bench_scoped_opt table[] = {
        {A | B, {"n", BENCH_OPT_LONG, &o->n, 1, 10, "N", "a number"}},
        {A, {"d", BENCH_OPT_DOUBLE, &o->d, 0.5, 2, "X", "a real"}},
        {B, {"d", BENCH_OPT_DOUBLE, &o->d, 0, 100, "X", "a wider real"}},
        {A, {"flag", BENCH_OPT_FLAG, &o->flag, 0, 0, NULL, "a flag"}},
        {B, {"s", BENCH_OPT_STRING, &o->s, 0, 0, "S", "a string"}},
    };
    struct bench_opt opts[sizeof table / sizeof table[0]];
    size_t n = bench_opts_select(table, sizeof table / sizeof table[0], sc, opts);
    assert_int_equal(n, 3); /* n, and A's or B's --d and its own third */
    return bench_opts_parse(sc == A ? "a" : "b", "usage: test", opts, n, argc, argv);
}

static void test_values_and_defaults(void **state)
{
    (void)state;
    struct o o = {.n = 5, .d = 1};
    char *argv[] = {"a", "--n", "7", "--flag", "--d=1.5"};
    assert_int_equal(parse(A, &o, 5, argv), 0);
    assert_int_equal(o.n, 7);
    assert_true(o.d == 1.5);
    assert_true(o.flag);
    assert_null(o.s);

    struct o k = {.n = 5, .d = 1};
    char *none[] = {"a"};
    assert_int_equal(parse(A, &k, 1, none), 0);
    assert_int_equal(k.n, 5); /* not given: what the caller put there */
    assert_false(k.flag);
}

static void test_per_scenario_rows(void **state)
{
    (void)state;
    struct o o = {0};
    char *wide[] = {"b", "--d", "50", "--s", "hello"};
    assert_int_equal(parse(B, &o, 5, wide), 0);
    assert_true(o.d == 50);
    assert_string_equal(o.s, "hello");
    char *narrow[] = {"a", "--d", "50"};
    assert_int_equal(parse(A, &o, 3, narrow), -1); /* A's --d stops at 2 */
    char *other[] = {"a", "--s", "x"};
    assert_int_equal(parse(A, &o, 3, other), -1); /* B's option */
    char *flag[] = {"b", "--flag"};
    assert_int_equal(parse(B, &o, 2, flag), -1);
}

static void test_errors(void **state)
{
    (void)state;
    struct o o = {0};
    char *bad_number[] = {"a", "--n", "7x"};
    assert_int_equal(parse(A, &o, 3, bad_number), -1);
    char *out_of_range[] = {"a", "--n", "11"};
    assert_int_equal(parse(A, &o, 3, out_of_range), -1);
    char *missing[] = {"a", "--n"};
    assert_int_equal(parse(A, &o, 2, missing), -1);
    char *flag_value[] = {"a", "--flag=1"};
    assert_int_equal(parse(A, &o, 2, flag_value), -1);
    char *stray[] = {"a", "stray"};
    assert_int_equal(parse(A, &o, 2, stray), -1);
    char *prefix[] = {"a", "--fla"};
    assert_int_equal(parse(A, &o, 2, prefix), -1); /* no abbreviations */
    char *help[] = {"a", "--n", "3", "--help"};
    assert_int_equal(parse(A, &o, 4, help), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_defaults),
        cmocka_unit_test(test_per_scenario_rows),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for tools/bench/stats.c: exact nearest-rank percentiles and
 * sequence accounting (delivered, lost, duplicated, out of order).
 *
 * The unit-test build links each test with onair_lib only, and the load
 * tool is not part of that library, so the module under test is compiled
 * into this file directly.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "../../../tools/bench/stats.c"

static void test_percentiles_empty(void **state)
{
    (void)state;
    struct bench_samples s;
    bench_samples_init(&s, 100);
    assert_true(isnan(bench_samples_percentile(&s, 50)));
    assert_true(isnan(bench_samples_mean(&s)));
    bench_samples_free(&s);
}

static void test_percentiles_single(void **state)
{
    (void)state;
    struct bench_samples s;
    bench_samples_init(&s, 100);
    bench_samples_add(&s, 7.5);
    assert_true(bench_samples_percentile(&s, 0) == 7.5);
    assert_true(bench_samples_percentile(&s, 50) == 7.5);
    assert_true(bench_samples_percentile(&s, 100) == 7.5);
    bench_samples_free(&s);
}

/* 1..100 added in a scrambled order: the p-th percentile is exactly p. */
static void test_percentiles_nearest_rank(void **state)
{
    (void)state;
    struct bench_samples s;
    bench_samples_init(&s, 1000);
    for (int i = 0; i < 100; i++)
        bench_samples_add(&s, (double)((i * 37) % 100 + 1));
    assert_true(bench_samples_percentile(&s, 0) == 1);
    assert_true(bench_samples_percentile(&s, 1) == 1);
    assert_true(bench_samples_percentile(&s, 50) == 50);
    assert_true(bench_samples_percentile(&s, 90) == 90);
    assert_true(bench_samples_percentile(&s, 95) == 95);
    assert_true(bench_samples_percentile(&s, 99) == 99);
    assert_true(bench_samples_percentile(&s, 99.5) == 100);
    assert_true(bench_samples_percentile(&s, 100) == 100);
    assert_true(bench_samples_mean(&s) == 50.5);
    bench_samples_free(&s);
}

/* Nearest rank on a small set: ceil(p/100 * n), and no floating-point
 * slip past an exact rank (0.95 * 20 is 19, not 20). */
static void test_percentiles_small_sets(void **state)
{
    (void)state;
    struct bench_samples s;
    bench_samples_init(&s, 100);
    for (int i = 1; i <= 20; i++)
        bench_samples_add(&s, i);
    assert_true(bench_samples_percentile(&s, 95) == 19);
    assert_true(bench_samples_percentile(&s, 96) == 20);
    assert_true(bench_samples_percentile(&s, 50) == 10);
    assert_true(bench_samples_percentile(&s, 51) == 11);
    bench_samples_free(&s);

    bench_samples_init(&s, 100);
    bench_samples_add(&s, 10);
    bench_samples_add(&s, 20);
    bench_samples_add(&s, 30);
    bench_samples_add(&s, 40);
    assert_true(bench_samples_percentile(&s, 25) == 10);
    assert_true(bench_samples_percentile(&s, 26) == 20);
    assert_true(bench_samples_percentile(&s, 75) == 30);
    assert_true(bench_samples_percentile(&s, 90) == 40);
    bench_samples_free(&s);
}

/* Adding after a percentile was read sorts again; duplicates and negative
 * values are fine. */
static void test_percentiles_resort(void **state)
{
    (void)state;
    struct bench_samples s;
    bench_samples_init(&s, 100);
    bench_samples_add(&s, 5);
    bench_samples_add(&s, 5);
    bench_samples_add(&s, -3);
    assert_true(bench_samples_percentile(&s, 100) == 5);
    assert_true(bench_samples_percentile(&s, 0) == -3);
    bench_samples_add(&s, 50);
    bench_samples_add(&s, -10);
    assert_true(bench_samples_percentile(&s, 100) == 50);
    assert_true(bench_samples_percentile(&s, 0) == -10);
    assert_true(bench_samples_percentile(&s, 50) == 5);
    bench_samples_free(&s);
}

static void test_samples_cap_and_merge(void **state)
{
    (void)state;
    struct bench_samples a, b;
    bench_samples_init(&a, 3);
    for (int i = 0; i < 5; i++)
        bench_samples_add(&a, i);
    assert_int_equal(a.n, 3);
    assert_int_equal(a.dropped, 2);
    assert_true(bench_samples_percentile(&a, 100) == 2);

    bench_samples_init(&b, 10);
    bench_samples_add(&b, 100);
    bench_samples_merge(&b, &a);
    assert_int_equal(b.n, 4);
    assert_int_equal(b.dropped, 2);
    assert_true(bench_samples_percentile(&b, 100) == 100);
    assert_true(bench_samples_percentile(&b, 0) == 0);
    bench_samples_free(&a);
    bench_samples_free(&b);
}

static void test_seq_in_order(void **state)
{
    (void)state;
    struct bench_seq q;
    bench_seq_init(&q, 0);
    for (uint64_t i = 0; i < 10000; i++)
        assert_int_equal(bench_seq_observe(&q, i), BENCH_SEQ_NEXT);
    assert_int_equal(q.delivered, 10000);
    assert_int_equal(q.duplicates, 0);
    assert_int_equal(q.out_of_order, 0);
    assert_int_equal(bench_seq_lost(&q, 0), 0);
    assert_int_equal(bench_seq_lost(&q, 10000), 0);
    /* The sender sent 5 more that never came. */
    assert_int_equal(bench_seq_lost(&q, 10005), 5);
    bench_seq_free(&q);
}

static void test_seq_loss(void **state)
{
    (void)state;
    struct bench_seq q;
    bench_seq_init(&q, 100); /* a sender that starts at 100 */
    assert_int_equal(bench_seq_observe(&q, 100), BENCH_SEQ_NEXT);
    assert_int_equal(bench_seq_observe(&q, 103), BENCH_SEQ_AHEAD); /* 101, 102 missing */
    assert_int_equal(bench_seq_observe(&q, 104), BENCH_SEQ_NEXT);
    assert_int_equal(q.delivered, 3);
    assert_int_equal(bench_seq_lost(&q, 0), 2);
    assert_int_equal(bench_seq_lost(&q, 10), 7);
    /* Before the base: cannot be one of ours. */
    assert_int_equal(bench_seq_observe(&q, 99), BENCH_SEQ_STALE);
    assert_int_equal(q.stale, 1);
    bench_seq_free(&q);
}

static void test_seq_out_of_order_and_duplicates(void **state)
{
    (void)state;
    struct bench_seq q;
    bench_seq_init(&q, 0);
    assert_int_equal(bench_seq_observe(&q, 0), BENCH_SEQ_NEXT);
    assert_int_equal(bench_seq_observe(&q, 2), BENCH_SEQ_AHEAD);
    assert_int_equal(bench_seq_observe(&q, 1), BENCH_SEQ_LATE); /* fills the gap */
    assert_int_equal(bench_seq_observe(&q, 1), BENCH_SEQ_DUPLICATE);
    assert_int_equal(bench_seq_observe(&q, 2), BENCH_SEQ_DUPLICATE);
    assert_int_equal(bench_seq_observe(&q, 0), BENCH_SEQ_DUPLICATE);
    assert_int_equal(bench_seq_observe(&q, 3), BENCH_SEQ_NEXT);
    assert_int_equal(q.delivered, 4);
    assert_int_equal(q.out_of_order, 1);
    assert_int_equal(q.duplicates, 3);
    assert_int_equal(bench_seq_lost(&q, 0), 0);
    bench_seq_free(&q);
}

/* A jump larger than the window forgets what was before it: a number from
 * before the window is stale, one inside it is still told apart. */
static void test_seq_window(void **state)
{
    (void)state;
    struct bench_seq q;
    bench_seq_init(&q, 0);
    bench_seq_observe(&q, 0);
    bench_seq_observe(&q, 1);
    uint64_t far = 10 * BENCH_SEQ_WINDOW;
    assert_int_equal(bench_seq_observe(&q, far), BENCH_SEQ_AHEAD);
    /* Older than the window, but below everything received in order: a
     * known duplicate, not an arrival that can't be told. */
    assert_int_equal(bench_seq_observe(&q, 1), BENCH_SEQ_DUPLICATE);
    /* The slots the jump skipped were cleared: these are new, late arrivals. */
    assert_int_equal(bench_seq_observe(&q, far - 1), BENCH_SEQ_LATE);
    assert_int_equal(bench_seq_observe(&q, far - BENCH_SEQ_WINDOW + 1), BENCH_SEQ_LATE);
    assert_int_equal(bench_seq_observe(&q, far - BENCH_SEQ_WINDOW), BENCH_SEQ_STALE);
    assert_int_equal(bench_seq_observe(&q, far - 1), BENCH_SEQ_DUPLICATE);
    assert_int_equal(q.delivered, 5);
    assert_int_equal(q.stale, 1);
    assert_int_equal(q.duplicates, 2);
    assert_int_equal(bench_seq_lost(&q, 0), far + 1 - 5);
    bench_seq_free(&q);
}

/* In-order arrivals skip the bitmap; a gap switches to it and filling the
 * gap switches back, with every answer the same as with the bitmap alone. */
static void test_seq_gap_then_in_order(void **state)
{
    (void)state;
    struct bench_seq q;
    bench_seq_init(&q, 0);
    for (uint64_t i = 0; i < 100; i++)
        assert_int_equal(bench_seq_observe(&q, i), BENCH_SEQ_NEXT);
    assert_int_equal(bench_seq_observe(&q, 101), BENCH_SEQ_AHEAD);
    assert_int_equal(bench_seq_observe(&q, 102), BENCH_SEQ_NEXT);
    assert_int_equal(bench_seq_observe(&q, 50), BENCH_SEQ_DUPLICATE);
    assert_int_equal(bench_seq_observe(&q, 101), BENCH_SEQ_DUPLICATE);
    assert_int_equal(bench_seq_lost(&q, 103), 1);
    assert_int_equal(bench_seq_observe(&q, 100), BENCH_SEQ_LATE);
    assert_int_equal(q.contig, 103);
    assert_int_equal(bench_seq_observe(&q, 103), BENCH_SEQ_NEXT);
    assert_int_equal(bench_seq_observe(&q, 100), BENCH_SEQ_DUPLICATE);
    assert_int_equal(bench_seq_observe(&q, 102), BENCH_SEQ_DUPLICATE);
    assert_int_equal(q.delivered, 104);
    assert_int_equal(q.out_of_order, 1);
    assert_int_equal(q.duplicates, 4);
    assert_int_equal(bench_seq_lost(&q, 104), 0);
    /* A long in-order run leaves its bitmap slots untouched; a later gap
     * must still not see them as received. */
    for (uint64_t i = 104; i < 104 + 2 * BENCH_SEQ_WINDOW; i++)
        assert_int_equal(bench_seq_observe(&q, i), BENCH_SEQ_NEXT);
    uint64_t n = 104 + 2 * BENCH_SEQ_WINDOW;
    assert_int_equal(bench_seq_observe(&q, n + 3), BENCH_SEQ_AHEAD);
    assert_int_equal(bench_seq_observe(&q, n + 1), BENCH_SEQ_LATE);
    assert_int_equal(bench_seq_observe(&q, n + 1), BENCH_SEQ_DUPLICATE);
    assert_int_equal(bench_seq_lost(&q, n + 4), 2);
    bench_seq_free(&q);
}

/* Wrapping slots: a number reusing the bitmap slot of one a window earlier
 * must not be taken for a duplicate of it. */
static void test_seq_slot_reuse(void **state)
{
    (void)state;
    struct bench_seq q;
    bench_seq_init(&q, 0);
    for (uint64_t i = 0; i < 3 * BENCH_SEQ_WINDOW; i += 2)
        assert_int_not_equal(bench_seq_observe(&q, i), BENCH_SEQ_DUPLICATE);
    /* The odd ones inside the window arrive late, not as duplicates. */
    uint64_t top = q.next - 1;
    assert_int_equal(bench_seq_observe(&q, top - 1), BENCH_SEQ_LATE);
    assert_int_equal(bench_seq_observe(&q, top - 3), BENCH_SEQ_LATE);
    assert_int_equal(bench_seq_observe(&q, top - 3), BENCH_SEQ_DUPLICATE);
    assert_int_equal(q.out_of_order, 2);
    assert_int_equal(bench_seq_lost(&q, 0), q.next - q.delivered);
    bench_seq_free(&q);
}

/* A set answers every arrival exactly as one plain tracker per sender
 * would, through in-order runs, gaps, duplicates, late and stale arrivals,
 * and says the same losses. */
static void test_seq_set_matches_trackers(void **state)
{
    (void)state;
    enum { SENDERS = 7, ARRIVALS = 20000 };
    struct bench_seq_set set;
    struct bench_seq plain[SENDERS];
    bench_seq_set_init(&set, SENDERS);
    for (int i = 0; i < SENDERS; i++)
        bench_seq_init(&plain[i], 0);
    uint64_t next[SENDERS] = {0};
    srand(7);
    for (int k = 0; k < ARRIVALS; k++) {
        uint32_t i = (uint32_t)(rand() % SENDERS);
        uint64_t n = next[i];
        int r = rand() % 1000;
        /* senders 0 and 1 stay in order throughout; the others misbehave
         * now and then, from a point on */
        if (i >= 2 && k > ARRIVALS / 4) {
            if (r < 10)
                n += (uint64_t)(rand() % 5); /* skips some */
            else if (r < 20 && n > 3)
                n -= (uint64_t)(rand() % 3 + 1); /* late or duplicate */
            else if (r < 22)
                n += 2 * BENCH_SEQ_WINDOW; /* far ahead */
            else if (r < 24 && n > 2 * BENCH_SEQ_WINDOW)
                n -= 2 * BENCH_SEQ_WINDOW; /* stale */
        }
        if (n >= next[i])
            next[i] = n + 1;
        assert_int_equal(bench_seq_set_observe(&set, i, n), bench_seq_observe(&plain[i], n));
    }
    for (uint32_t i = 0; i < SENDERS; i++) {
        assert_int_equal(bench_seq_set_lost(&set, i, 0), bench_seq_lost(&plain[i], 0));
        assert_int_equal(bench_seq_set_lost(&set, i, next[i] + 3),
                         bench_seq_lost(&plain[i], next[i] + 3));
    }
    /* the in-order senders never needed a full tracker */
    assert_int_equal(set.next[0], next[0]);
    assert_int_equal(set.next[1], next[1]);
    assert_int_equal(bench_seq_set_lost(&set, 0, next[0] + 2), 2);
    for (int i = 0; i < SENDERS; i++)
        bench_seq_free(&plain[i]);
    bench_seq_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentiles_empty),
        cmocka_unit_test(test_percentiles_single),
        cmocka_unit_test(test_percentiles_nearest_rank),
        cmocka_unit_test(test_percentiles_small_sets),
        cmocka_unit_test(test_percentiles_resort),
        cmocka_unit_test(test_samples_cap_and_merge),
        cmocka_unit_test(test_seq_in_order),
        cmocka_unit_test(test_seq_loss),
        cmocka_unit_test(test_seq_out_of_order_and_duplicates),
        cmocka_unit_test(test_seq_window),
        cmocka_unit_test(test_seq_gap_then_in_order),
        cmocka_unit_test(test_seq_slot_reuse),
        cmocka_unit_test(test_seq_set_matches_trackers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

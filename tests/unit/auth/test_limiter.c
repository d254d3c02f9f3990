/* Unit tests for src/auth/limiter.c: fixed-window failed-login limiter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "auth/limiter.h"

#define T0 1700000000000LL /* an arbitrary "now" in unix ms */

static void test_new_rejects_bad_args(void **state)
{
    (void)state;
    assert_null(auth_limiter_new(0, 1000, 10));
    assert_null(auth_limiter_new(5, 0, 10));
    assert_null(auth_limiter_new(5, -1, 10));
    assert_null(auth_limiter_new(5, 1000, 0));
    assert_null(auth_limiter_new(5, 1000, (size_t)AUTH_LIMITER_KEYS_MAX + 1));
    auth_limiter_free(NULL);
    struct auth_limiter *l = auth_limiter_new(1, 1, 1);
    assert_non_null(l);
    auth_limiter_free(l);
}

static void test_blocks_after_n_failures(void **state)
{
    (void)state;
    struct auth_limiter *l = auth_limiter_new(3, 60000, 100);
    int64_t retry = -1;

    assert_false(auth_limiter_blocked(l, "alice", T0, &retry));
    assert_int_equal(retry, 0);
    auth_limiter_fail(l, "alice", T0);
    auth_limiter_fail(l, "alice", T0 + 10);
    assert_false(auth_limiter_blocked(l, "alice", T0 + 20, &retry));
    assert_int_equal(retry, 0);
    auth_limiter_fail(l, "alice", T0 + 30);
    assert_true(auth_limiter_blocked(l, "alice", T0 + 40, &retry));
    assert_int_equal(retry, 60000 - 40); /* until the window opened at T0 ends */
    assert_true(auth_limiter_blocked(l, "alice", T0 + 59999, &retry));
    assert_int_equal(retry, 1);
    assert_true(auth_limiter_blocked(l, "alice", T0 + 100, NULL));

    /* Other keys are unaffected, including ones that differ only in case
     * or length (the limiter compares bytes; callers case-fold). */
    assert_false(auth_limiter_blocked(l, "bob", T0 + 40, NULL));
    assert_false(auth_limiter_blocked(l, "Alice", T0 + 40, NULL));
    assert_false(auth_limiter_blocked(l, "alic", T0 + 40, NULL));
    assert_false(auth_limiter_blocked(l, "alicee", T0 + 40, NULL));
    auth_limiter_free(l);
}

static void test_unblocks_after_window(void **state)
{
    (void)state;
    struct auth_limiter *l = auth_limiter_new(2, 1000, 100);
    int64_t retry = -1;

    auth_limiter_fail(l, "10.0.0.1", T0);
    auth_limiter_fail(l, "10.0.0.1", T0 + 500);
    assert_true(auth_limiter_blocked(l, "10.0.0.1", T0 + 999, &retry));
    assert_int_equal(retry, 1);
    /* Failing while blocked does not extend the block. */
    auth_limiter_fail(l, "10.0.0.1", T0 + 999);
    assert_false(auth_limiter_blocked(l, "10.0.0.1", T0 + 1000, &retry));
    assert_int_equal(retry, 0);

    /* A new window opens with the next failure. */
    auth_limiter_fail(l, "10.0.0.1", T0 + 5000);
    assert_false(auth_limiter_blocked(l, "10.0.0.1", T0 + 5001, NULL));
    auth_limiter_fail(l, "10.0.0.1", T0 + 5002);
    assert_true(auth_limiter_blocked(l, "10.0.0.1", T0 + 5003, &retry));
    assert_int_equal(retry, 997);
    auth_limiter_free(l);
}

static void test_failures_spread_out_never_block(void **state)
{
    (void)state;
    /* Fixed window: failures that never gather max_failures inside one
     * window do not block, however many there are. */
    struct auth_limiter *l = auth_limiter_new(3, 1000, 10);
    for (int i = 0; i < 50; i++) {
        auth_limiter_fail(l, "slow", T0 + i * 600);
        assert_false(auth_limiter_blocked(l, "slow", T0 + i * 600, NULL));
    }
    auth_limiter_free(l);
}

static void test_reset(void **state)
{
    (void)state;
    struct auth_limiter *l = auth_limiter_new(2, 60000, 100);

    auth_limiter_fail(l, "alice", T0);
    auth_limiter_fail(l, "alice", T0);
    assert_true(auth_limiter_blocked(l, "alice", T0, NULL));
    auth_limiter_reset(l, "alice");
    assert_false(auth_limiter_blocked(l, "alice", T0, NULL));
    assert_int_equal(auth_limiter_count(l), 0);
    /* Counting starts over. */
    auth_limiter_fail(l, "alice", T0 + 1);
    assert_false(auth_limiter_blocked(l, "alice", T0 + 1, NULL));
    auth_limiter_reset(l, "nobody"); /* unknown: fine */
    assert_int_equal(auth_limiter_count(l), 1);
    auth_limiter_free(l);
}

static void test_one_failure_limit(void **state)
{
    (void)state;
    struct auth_limiter *l = auth_limiter_new(1, 10, 1);
    auth_limiter_fail(l, "k", 0);
    assert_true(auth_limiter_blocked(l, "k", 0, NULL));
    assert_true(auth_limiter_blocked(l, "k", 9, NULL));
    assert_false(auth_limiter_blocked(l, "k", 10, NULL));
    auth_limiter_free(l);
}

static void test_long_keys_truncated(void **state)
{
    (void)state;
    struct auth_limiter *l = auth_limiter_new(2, 60000, 10);
    char a[200], b[200];

    memset(a, 'x', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[AUTH_LIMITER_KEY_MAX] = 'y'; /* differs only after the first 64 bytes */
    auth_limiter_fail(l, a, T0);
    auth_limiter_fail(l, b, T0);
    assert_true(auth_limiter_blocked(l, a, T0, NULL));
    assert_true(auth_limiter_blocked(l, b, T0, NULL));
    assert_int_equal(auth_limiter_count(l), 1);

    b[AUTH_LIMITER_KEY_MAX - 1] = 'y'; /* differs inside the first 64 */
    assert_false(auth_limiter_blocked(l, b, T0, NULL));
    auth_limiter_free(l);
}

static void test_bounded_many_keys(void **state)
{
    (void)state;
    enum { MAX = 64 };
    struct auth_limiter *l = auth_limiter_new(2, 60000, MAX);
    char key[32];

    /* 100000 distinct keys (an attacker spraying IPs): memory stays bounded
     * and the most recent keys are still tracked. */
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "10.%d.%d.%d", i >> 16, (i >> 8) & 0xff, i & 0xff);
        auth_limiter_fail(l, key, T0 + i);
        auth_limiter_fail(l, key, T0 + i);
        assert_true(auth_limiter_count(l) <= MAX);
    }
    assert_int_equal(auth_limiter_count(l), MAX);
    for (int i = 100000 - MAX; i < 100000; i++) {
        snprintf(key, sizeof key, "10.%d.%d.%d", i >> 16, (i >> 8) & 0xff, i & 0xff);
        assert_true(auth_limiter_blocked(l, key, T0 + 100000, NULL));
    }
    /* The oldest were evicted. */
    assert_false(auth_limiter_blocked(l, "10.0.0.0", T0 + 100000, NULL));
    auth_limiter_free(l);
}

static void test_eviction_prefers_expired(void **state)
{
    (void)state;
    struct auth_limiter *l = auth_limiter_new(2, 1000, 4);

    /* "old" and "stale" have windows that end at T0+1000 and T0+1100; the
     * blocked keys were added later and are still inside their windows. */
    auth_limiter_fail(l, "old", T0);
    auth_limiter_fail(l, "stale", T0 + 100);
    auth_limiter_fail(l, "blocked1", T0 + 900);
    auth_limiter_fail(l, "blocked1", T0 + 900);
    auth_limiter_fail(l, "blocked2", T0 + 950);
    auth_limiter_fail(l, "blocked2", T0 + 950);
    assert_int_equal(auth_limiter_count(l), 4);

    /* Full, and both early windows are over: both go, the blocked stay. */
    auth_limiter_fail(l, "new", T0 + 1500);
    assert_int_equal(auth_limiter_count(l), 3);
    assert_true(auth_limiter_blocked(l, "blocked1", T0 + 1500, NULL));
    assert_true(auth_limiter_blocked(l, "blocked2", T0 + 1500, NULL));

    /* Full again with nothing expired: the oldest window (blocked1) goes. */
    auth_limiter_fail(l, "new2", T0 + 1600);
    auth_limiter_fail(l, "new3", T0 + 1700);
    assert_int_equal(auth_limiter_count(l), 4);
    assert_false(auth_limiter_blocked(l, "blocked1", T0 + 1701, NULL));
    assert_true(auth_limiter_blocked(l, "blocked2", T0 + 1701, NULL));
    auth_limiter_fail(l, "new", T0 + 1702);
    assert_true(auth_limiter_blocked(l, "new", T0 + 1703, NULL));
    auth_limiter_free(l);
}

static void test_extreme_times(void **state)
{
    (void)state;
    struct auth_limiter *l = auth_limiter_new(1, INT64_MAX, 4);
    int64_t retry = 0;

    auth_limiter_fail(l, "k", INT64_MAX - 5); /* window end saturates */
    assert_true(auth_limiter_blocked(l, "k", INT64_MAX - 1, &retry));
    assert_int_equal(retry, 1);
    auth_limiter_fail(l, "j", INT64_MIN); /* window ends at INT64_MIN + INT64_MAX = -1 */
    assert_true(auth_limiter_blocked(l, "j", INT64_MIN, &retry));
    assert_true(retry == INT64_MAX);
    assert_false(auth_limiter_blocked(l, "j", -1, NULL));
    auth_limiter_free(l);
}

struct worker {
    struct auth_limiter *l;
    int id;
};

static void *hammer(void *arg)
{
    struct worker *w = arg;
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "k%d", (i * 7 + w->id) % 300);
        if (i % 3 == 0)
            auth_limiter_reset(w->l, key);
        else
            auth_limiter_fail(w->l, key, T0 + i);
        (void)auth_limiter_blocked(w->l, key, T0 + i, NULL);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct auth_limiter *l = auth_limiter_new(3, 1000, 128);
    pthread_t th[4];
    struct worker w[4];

    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){l, i};
        assert_int_equal(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_true(auth_limiter_count(l) <= 128);
    auth_limiter_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_bad_args),
        cmocka_unit_test(test_blocks_after_n_failures),
        cmocka_unit_test(test_unblocks_after_window),
        cmocka_unit_test(test_failures_spread_out_never_block),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_one_failure_limit),
        cmocka_unit_test(test_long_keys_truncated),
        cmocka_unit_test(test_bounded_many_keys),
        cmocka_unit_test(test_eviction_prefers_expired),
        cmocka_unit_test(test_extreme_times),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for src/auth/revoked.c: the bounded set of revoked session ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "auth/revoked.h"

#define T0 1700000000000LL

static void test_new_rejects_bad_args(void **state)
{
    (void)state;
    assert_null(auth_revoked_new(0));
    assert_null(auth_revoked_new((size_t)AUTH_REVOKED_ENTRIES_MAX + 1));
    auth_revoked_free(NULL);
}

static void test_add_has(void **state)
{
    (void)state;
    struct auth_revoked *r = auth_revoked_new(16);

    assert_false(auth_revoked_has(r, "fam1", T0));
    auth_revoked_add(r, "fam1", T0 + 900000);
    assert_true(auth_revoked_has(r, "fam1", T0));
    assert_true(auth_revoked_has(r, "fam1", T0 + 899999));
    assert_false(auth_revoked_has(r, "fam2", T0));
    assert_false(auth_revoked_has(r, "fam", T0));
    assert_false(auth_revoked_has(r, "fam11", T0));
    assert_false(auth_revoked_has(r, "FAM1", T0));
    assert_false(auth_revoked_has(r, "", T0));
    assert_int_equal(auth_revoked_count(r), 1);
    auth_revoked_free(r);
}

static void test_expiry(void **state)
{
    (void)state;
    struct auth_revoked *r = auth_revoked_new(16);

    auth_revoked_add(r, "a", T0 + 1000);
    auth_revoked_add(r, "b", T0 + 2000);
    assert_true(auth_revoked_has(r, "a", T0 + 999));
    assert_false(auth_revoked_has(r, "a", T0 + 1000)); /* and dropped */
    assert_int_equal(auth_revoked_count(r), 1);
    assert_false(auth_revoked_has(r, "a", T0)); /* gone for good */
    assert_true(auth_revoked_has(r, "b", T0 + 1999));

    /* Re-adding keeps the later expiry. */
    auth_revoked_add(r, "b", T0 + 5000);
    auth_revoked_add(r, "b", T0 + 3000);
    assert_true(auth_revoked_has(r, "b", T0 + 4999));
    assert_false(auth_revoked_has(r, "b", T0 + 5000));
    auth_revoked_free(r);
}

static void test_purge(void **state)
{
    (void)state;
    struct auth_revoked *r = auth_revoked_new(100);
    char sid[16];

    for (int i = 0; i < 100; i++) {
        snprintf(sid, sizeof sid, "s%d", i);
        auth_revoked_add(r, sid, T0 + i);
    }
    assert_int_equal(auth_revoked_count(r), 100);
    auth_revoked_purge(r, T0 + 60); /* s0..s60 expire at or before T0 + 60 */
    assert_int_equal(auth_revoked_count(r), 39);
    for (int i = 0; i < 100; i++) {
        snprintf(sid, sizeof sid, "s%d", i);
        assert_int_equal(auth_revoked_has(r, sid, T0 + 59), i > 60);
    }
    auth_revoked_purge(r, INT64_MAX);
    assert_int_equal(auth_revoked_count(r), 0);
    auth_revoked_free(r);
}

static void test_bound_drops_soonest(void **state)
{
    (void)state;
    struct auth_revoked *r = auth_revoked_new(3);

    auth_revoked_add(r, "late", T0 + 9000);
    auth_revoked_add(r, "soon", T0 + 1000);
    auth_revoked_add(r, "mid", T0 + 5000);
    /* Full and nothing known to be expired: the soonest to expire goes. */
    auth_revoked_add(r, "new", T0 + 7000);
    assert_int_equal(auth_revoked_count(r), 3);
    assert_false(auth_revoked_has(r, "soon", T0));
    assert_true(auth_revoked_has(r, "late", T0));
    assert_true(auth_revoked_has(r, "mid", T0));
    assert_true(auth_revoked_has(r, "new", T0));
    auth_revoked_free(r);
}

static void test_bound_drops_expired_first(void **state)
{
    (void)state;
    struct auth_revoked *r = auth_revoked_new(4);

    auth_revoked_add(r, "e1", T0 + 10);
    auth_revoked_add(r, "e2", T0 + 20);
    auth_revoked_add(r, "live1", T0 + 9000);
    auth_revoked_add(r, "live2", T0 + 8000);
    /* A lookup tells the set what time it is; e1 and e2 are over by then. */
    assert_true(auth_revoked_has(r, "live1", T0 + 100));
    auth_revoked_add(r, "new", T0 + 7000);
    assert_int_equal(auth_revoked_count(r), 3); /* both expired ones went */
    assert_true(auth_revoked_has(r, "live1", T0 + 100));
    assert_true(auth_revoked_has(r, "live2", T0 + 100));
    assert_true(auth_revoked_has(r, "new", T0 + 100));
    auth_revoked_free(r);
}

static void test_bounded_many(void **state)
{
    (void)state;
    enum { MAX = 50 };
    struct auth_revoked *r = auth_revoked_new(MAX);
    char sid[32];

    for (int i = 0; i < 100000; i++) {
        snprintf(sid, sizeof sid, "family-%d", i);
        auth_revoked_add(r, sid, T0 + i); /* later adds expire later */
        assert_true(auth_revoked_count(r) <= MAX);
    }
    assert_int_equal(auth_revoked_count(r), MAX);
    for (int i = 100000 - MAX; i < 100000; i++) {
        snprintf(sid, sizeof sid, "family-%d", i);
        assert_true(auth_revoked_has(r, sid, T0));
    }
    assert_false(auth_revoked_has(r, "family-0", T0));
    auth_revoked_free(r);
}

static void test_long_sids_truncated(void **state)
{
    (void)state;
    struct auth_revoked *r = auth_revoked_new(4);
    char a[100], b[100];

    memset(a, 'q', sizeof a - 1);
    a[sizeof a - 1] = '\0';
    memcpy(b, a, sizeof b);
    b[AUTH_REVOKED_SID_MAX] = 'z';
    auth_revoked_add(r, a, T0 + 1000);
    assert_true(auth_revoked_has(r, b, T0)); /* same first 64 bytes */
    b[AUTH_REVOKED_SID_MAX - 1] = 'z';
    assert_false(auth_revoked_has(r, b, T0));
    auth_revoked_free(r);
}

static void *hammer(void *arg)
{
    struct auth_revoked *r = arg;
    char sid[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(sid, sizeof sid, "s%d", i % 500);
        auth_revoked_add(r, sid, T0 + i + 100);
        (void)auth_revoked_has(r, sid, T0 + i);
        if (i % 1000 == 0)
            auth_revoked_purge(r, T0 + i);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    struct auth_revoked *r = auth_revoked_new(100);
    pthread_t th[4];

    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer, r), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_true(auth_revoked_count(r) <= 100);
    auth_revoked_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_bad_args),
        cmocka_unit_test(test_add_has),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_purge),
        cmocka_unit_test(test_bound_drops_soonest),
        cmocka_unit_test(test_bound_drops_expired_first),
        cmocka_unit_test(test_bounded_many),
        cmocka_unit_test(test_long_sids_truncated),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for src/auth/password.c: argon2id hashing and verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/password.h"
#include "core/err.h"

/* Tests use the smallest cost so they run fast; one test uses the default. */
static int cheap_cost(void **state)
{
    (void)state;
    auth_password_set_cost(1, 8);
    return 0;
}

static void test_round_trip(void **state)
{
    (void)state;
    char h[STORE_PWHASH_MAX + 1];
    const char *pw = "correct horse battery staple";

    assert_int_equal(auth_password_hash(pw, strlen(pw), h), 0);
    assert_true(strncmp(h, "$argon2id$", 10) == 0);
    assert_true(strstr(h, "m=8,t=1,") != NULL);
    assert_true(strlen(h) <= STORE_PWHASH_MAX);
    assert_true(auth_password_verify(h, pw, strlen(pw)));
    assert_false(auth_password_needs_rehash(h));
}

static void test_salted(void **state)
{
    (void)state;
    char a[STORE_PWHASH_MAX + 1], b[STORE_PWHASH_MAX + 1];

    assert_int_equal(auth_password_hash("same", 4, a), 0);
    assert_int_equal(auth_password_hash("same", 4, b), 0);
    assert_string_not_equal(a, b); /* a fresh salt each time */
    assert_true(auth_password_verify(a, "same", 4));
    assert_true(auth_password_verify(b, "same", 4));
}

static void test_wrong_password(void **state)
{
    (void)state;
    char h[STORE_PWHASH_MAX + 1];

    assert_int_equal(auth_password_hash("hunter2", 7, h), 0);
    assert_false(auth_password_verify(h, "hunter3", 7));
    assert_false(auth_password_verify(h, "hunter", 6));   /* prefix */
    assert_false(auth_password_verify(h, "hunter22", 8)); /* extension */
    assert_false(auth_password_verify(h, "Hunter2", 7));
    assert_false(auth_password_verify(h, "", 0));
    assert_false(auth_password_verify(h, NULL, 0));
}

static void test_nul_bytes_matter(void **state)
{
    (void)state;
    char h[STORE_PWHASH_MAX + 1];
    const char pw[] = {'a', '\0', 'b'};

    assert_int_equal(auth_password_hash(pw, sizeof pw, h), 0);
    assert_true(auth_password_verify(h, pw, sizeof pw));
    assert_false(auth_password_verify(h, "a", 1)); /* what a C-string API would see */
    const char other[] = {'a', '\0', 'c'};
    assert_false(auth_password_verify(h, other, sizeof other));
}

static void test_empty_password(void **state)
{
    (void)state;
    char h[STORE_PWHASH_MAX + 1];

    assert_int_equal(auth_password_hash(NULL, 0, h), 0);
    assert_true(auth_password_verify(h, "", 0));
    assert_false(auth_password_verify(h, "x", 1));
    assert_int_equal(auth_password_hash(NULL, 1, h), ONAIR_EINVAL);
}

static void test_malformed_hash(void **state)
{
    (void)state;
    char h[STORE_PWHASH_MAX + 1];
    char bad[STORE_PWHASH_MAX + 1];
    char longer[512];

    assert_int_equal(auth_password_hash("pw", 2, h), 0);

    assert_false(auth_password_verify(NULL, "pw", 2));
    assert_false(auth_password_verify("", "pw", 2));
    assert_false(auth_password_verify("$argon2id$", "pw", 2));
    assert_false(auth_password_verify("plaintext-pw", "pw", 2));
    assert_false(auth_password_verify("$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
                                      "pw", 2));

    /* Truncated. */
    memcpy(bad, h, sizeof bad);
    bad[strlen(bad) - 5] = '\0';
    assert_false(auth_password_verify(bad, "pw", 2));

    /* A corrupted character inside the digest. */
    memcpy(bad, h, sizeof bad);
    size_t last = strlen(bad) - 1;
    bad[last] = bad[last] == 'A' ? 'B' : 'A';
    assert_false(auth_password_verify(bad, "pw", 2));

    /* argon2i with the same shape: not made here, refused. */
    memcpy(bad, h, sizeof bad);
    memmove(bad + 8, bad + 9, strlen(bad + 9) + 1); /* "$argon2id$" -> "$argon2i$" */
    assert_false(auth_password_verify(bad, "pw", 2));

    /* Overlong: longer than the column, not terminated within it. */
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    memcpy(longer, h, strlen(h));
    assert_false(auth_password_verify(longer, "pw", 2));

    /* Garbage cost fields. */
    assert_false(
        auth_password_verify("$argon2id$v=19$m=abc,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaA", "pw", 2));
    assert_false(auth_password_verify("$argon2id$v=19$m=8,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
                                      "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
                                      "pw", 2));
    assert_true(auth_password_needs_rehash("garbage"));
    assert_true(auth_password_needs_rehash(NULL));
}

static void test_dummy_hash(void **state)
{
    (void)state;
    const char *d = auth_password_dummy_hash();

    assert_non_null(d);
    assert_ptr_equal(d, auth_password_dummy_hash()); /* computed once */
    assert_true(strncmp(d, "$argon2id$", 10) == 0);
    /* Valid: libsodium parses it and finds the current (test) cost in it. */
    assert_false(auth_password_needs_rehash(d));
    assert_false(auth_password_verify(d, "", 0));
    assert_false(auth_password_verify(d, "password", 8));
    assert_false(auth_password_verify(d, "\0\0\0\0", 4));
    for (int i = 0; i < 8; i++) {
        char pw[32];
        for (size_t j = 0; j < sizeof pw; j++)
            pw[j] = (char)(i * 37 + (int)j);
        assert_false(auth_password_verify(d, pw, sizeof pw));
    }
}

static void test_default_cost(void **state)
{
    (void)state;
    char h[STORE_PWHASH_MAX + 1];

    auth_password_set_cost(AUTH_PASSWORD_OPSLIMIT_DEFAULT, AUTH_PASSWORD_MEMLIMIT_KIB_DEFAULT);
    assert_int_equal(auth_password_hash("s3cret!", 7, h), 0);
    assert_true(strstr(h, "$m=19456,t=2,p=1$") != NULL);
    assert_true(auth_password_verify(h, "s3cret!", 7));
    assert_false(auth_password_verify(h, "s3cret?", 7));
    assert_false(auth_password_needs_rehash(h));

    /* After the cost goes down, the old hash still verifies but asks for a rehash. */
    auth_password_set_cost(1, 8);
    assert_true(auth_password_verify(h, "s3cret!", 7));
    assert_true(auth_password_needs_rehash(h));
}

static void test_cost_clamped(void **state)
{
    (void)state;
    char h[STORE_PWHASH_MAX + 1];

    auth_password_set_cost(0, 1); /* below the minimums: raised to 1 pass, 8 KiB */
    assert_int_equal(auth_password_hash("pw", 2, h), 0);
    assert_true(strstr(h, "$m=8,t=1,p=1$") != NULL);
    assert_true(auth_password_verify(h, "pw", 2));
    auth_password_set_cost(1, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_salted),
        cmocka_unit_test(test_wrong_password), cmocka_unit_test(test_nul_bytes_matter),
        cmocka_unit_test(test_empty_password), cmocka_unit_test(test_malformed_hash),
        cmocka_unit_test(test_dummy_hash),     cmocka_unit_test(test_default_cost),
        cmocka_unit_test(test_cost_clamped),
    };
    return cmocka_run_group_tests(tests, cheap_cost, NULL);
}

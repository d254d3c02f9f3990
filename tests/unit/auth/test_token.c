/* Unit tests for src/auth/token.c: random tokens, SHA-256, constant-time equality. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/token.h"

static bool url_safe(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

static void test_encoded_len(void **state)
{
    (void)state;
    assert_int_equal(auth_token_encoded_len(1), 2);
    assert_int_equal(auth_token_encoded_len(2), 3);
    assert_int_equal(auth_token_encoded_len(3), 4);
    assert_int_equal(auth_token_encoded_len(16), 22);
    assert_int_equal(auth_token_encoded_len(32), 43);
    assert_int_equal(auth_token_encoded_len(48), AUTH_TOKEN_MAX);
}

static void test_random_length_and_alphabet(void **state)
{
    (void)state;
    for (size_t n = 1; n <= AUTH_TOKEN_BYTES_MAX; n++) {
        char buf[AUTH_TOKEN_MAX + 2];
        memset(buf, 'X', sizeof buf);
        size_t len = auth_token_random(buf, n);
        assert_int_equal(len, auth_token_encoded_len(n));
        assert_int_equal(strlen(buf), len);
        assert_true(url_safe(buf, len));
        assert_int_equal(buf[len + 1], 'X'); /* wrote nothing past the NUL */
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_random_unique(void **state)
{
    (void)state;
    enum { DRAWS = 10000 };
    char(*toks)[AUTH_TOKEN_MAX + 1] = calloc(DRAWS, sizeof *toks);
    assert_non_null(toks);
    for (int i = 0; i < DRAWS; i++)
        assert_int_equal(auth_token_random(toks[i], 16), 22);
    qsort(toks, DRAWS, sizeof *toks, cmp_str);
    for (int i = 1; i < DRAWS; i++)
        assert_string_not_equal(toks[i - 1], toks[i]);

    /* Every one of the 64 symbols shows up in the first character (6 random
     * bits each) somewhere among 10000 draws. */
    bool seen[128] = {false};
    for (int i = 0; i < DRAWS; i++)
        seen[(unsigned char)toks[i][0]] = true;
    int distinct = 0;
    for (int c = 0; c < 128; c++)
        distinct += seen[c];
    assert_int_equal(distinct, 64);
    free(toks);
}

static void test_sha256_vectors(void **state)
{
    (void)state;
    static const uint8_t abc[STORE_HASH_LEN] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                                0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
                                                0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
                                                0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    static const uint8_t empty[STORE_HASH_LEN] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
                                                  0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
                                                  0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
                                                  0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    uint8_t out[STORE_HASH_LEN];

    auth_token_sha256("abc", 3, out);
    assert_memory_equal(out, abc, sizeof out);
    auth_token_sha256("", 0, out);
    assert_memory_equal(out, empty, sizeof out);
}

static void test_equal(void **state)
{
    (void)state;
    uint8_t a[32], b[32];
    for (int i = 0; i < 32; i++)
        a[i] = b[i] = (uint8_t)i;
    assert_true(auth_token_equal(a, b, sizeof a));
    assert_true(auth_token_equal(a, b, 0));
    b[31] ^= 1;
    assert_false(auth_token_equal(a, b, sizeof a));
    assert_true(auth_token_equal(a, b, 31));
    b[31] ^= 1;
    b[0] ^= 0x80;
    assert_false(auth_token_equal(a, b, sizeof a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoded_len),   cmocka_unit_test(test_random_length_and_alphabet),
        cmocka_unit_test(test_random_unique), cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

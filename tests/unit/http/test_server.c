/*
 * Unit tests for the query-string helpers of src/http/server.c:
 * http_query_u64() and http_query_str() (form decoding).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/server.h"

static void test_query_u64(void **state)
{
    (void)state;
    uint64_t v = 7;
    bool present;
    assert_true(http_query_u64("a=1&limit=20", "limit", &v, &present));
    assert_true(present);
    assert_int_equal(v, 20);
    v = 7;
    assert_true(http_query_u64("a=1", "limit", &v, &present));
    assert_false(present);
    assert_int_equal(v, 7); /* untouched when absent */
    assert_false(http_query_u64("limit=x", "limit", &v, &present));
    assert_true(present);
    /* A key that is a prefix of another does not match it. */
    assert_true(http_query_u64("limits=3&limit=4", "limit", &v, &present));
    assert_int_equal(v, 4);
}

static void test_query_str_decodes(void **state)
{
    (void)state;
    char out[64];
    bool present;
    static const struct {
        const char *query, *want;
    } cases[] = {
        {"q=hello", "hello"},
        {"x=1&q=a+b&y=2", "a b"},
        {"q=a%2Bb", "a+b"},
        {"q=%EC%95%88%EB%85%95", "\xEC\x95\x88\xEB\x85\x95"}, /* 안녕 */
        {"q=%3Cb%3E%26%22", "<b>&\""},
        {"q=++", "  "},
        {"q=", ""},
        {"q=a%2Fb", "a/b"},
        {"q=first&q=second", "first"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'x', sizeof out);
        assert_true(http_query_str(cases[i].query, "q", out, sizeof out, &present));
        assert_true(present);
        assert_string_equal(out, cases[i].want);
    }
    assert_true(http_query_str("a=1", "q", out, sizeof out, &present));
    assert_false(present);
}

static void test_query_str_refuses(void **state)
{
    (void)state;
    char out[8];
    bool present;
    assert_false(http_query_str("q=%zz", "q", out, sizeof out, &present));
    assert_true(present);
    assert_false(http_query_str("q=%4", "q", out, sizeof out, &present));
    assert_false(http_query_str("q=a%00b", "q", out, sizeof out, &present));
    assert_false(http_query_str("q=a%2+b", "q", out, sizeof out, &present));
    /* Capacity counts the NUL, for plain bytes and for pluses alike. */
    assert_true(http_query_str("q=1234567", "q", out, sizeof out, &present));
    assert_string_equal(out, "1234567");
    assert_false(http_query_str("q=12345678", "q", out, sizeof out, &present));
    assert_true(http_query_str("q=123456+", "q", out, sizeof out, &present));
    assert_string_equal(out, "123456 ");
    assert_false(http_query_str("q=1234567+", "q", out, sizeof out, &present));
    assert_false(http_query_str("q=", "q", out, 0, &present));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_u64),
        cmocka_unit_test(test_query_str_decodes),
        cmocka_unit_test(test_query_str_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for src/http/json.c: parsing request bodies as JSON objects
 * (http_json_parse_object) and the typed field getters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/json.h"

static json_t *parse(const char *text, bool *malformed)
{
    *malformed = !*malformed; /* make sure the function sets it */
    return http_json_parse_object(text, strlen(text), malformed);
}

static void test_valid_object(void **state)
{
    (void)state;
    bool malformed = true;
    const char *text = "{\"username\":\"민수\",\"password\":\"correct horse\",\"age\":31,"
                       "\"nested\":{\"list\":[1,2,{\"k\":null}]},\"ok\":true,\"pi\":3.14}";
    json_t *o = parse(text, &malformed);
    assert_non_null(o);
    assert_false(malformed);
    assert_true(json_is_object(o));

    const char *s = NULL;
    size_t len = 0;
    assert_true(json_get_string(o, "username", &s, &len));
    assert_string_equal(s, "민수");
    assert_int_equal(len, 6); /* bytes, not characters */
    assert_true(json_get_string(o, "password", &s, NULL));
    assert_string_equal(s, "correct horse");

    long long n = 0;
    assert_true(json_get_int(o, "age", &n));
    assert_int_equal(n, 31);
    json_decref(o);

    /* Whitespace around and inside, and the empty object. */
    o = parse(" \n\t{ \"a\" : 1 }\r\n ", &malformed);
    assert_non_null(o);
    assert_false(malformed);
    json_decref(o);
    o = parse("{}", &malformed);
    assert_non_null(o);
    assert_int_equal(json_object_size(o), 0);
    json_decref(o);
}

static void test_escapes(void **state)
{
    (void)state;
    bool malformed = true;
    /* \uXXXX escapes for Korean text and a surrogate pair for an emoji. */
    json_t *o =
        parse("{\"name\":\"\\ud55c\\uae00\",\"e\":\"\\ud83c\\udfa5\",\"q\":\"a\\\"b\\\\c\\n\"}",
              &malformed);
    assert_non_null(o);
    const char *s;
    size_t len;
    assert_true(json_get_string(o, "name", &s, &len));
    assert_string_equal(s, "한글");
    assert_true(json_get_string(o, "e", &s, &len));
    assert_string_equal(s, "\xf0\x9f\x8e\xa5");
    assert_true(json_get_string(o, "q", &s, &len));
    assert_string_equal(s, "a\"b\\c\n");
    json_decref(o);
}

static void test_not_an_object(void **state)
{
    (void)state;
    static const char *const arrays[] = {"[]", "[1,2,3]", "[{\"a\":1}]", " [ ] "};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        bool malformed = true;
        assert_null(parse(arrays[i], &malformed));
        assert_false(malformed); /* valid JSON, wrong shape: 400 bad_request */
    }
    /* Bare values: never an object, whichever error they get. */
    static const char *const scalars[] = {"42", "\"hello\"", "null", "true", "-1.5e3"};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        bool malformed = false;
        assert_null(parse(scalars[i], &malformed));
    }
}

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " ",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{,}",
        "{'a':1}",
        "{a:1}",
        "{\"a\":01}",
        "{\"a\":1} {}",
        "{\"a\":1} x",
        "{\"a\":NaN}",
        "{\"a\":Infinity}",
        "{\"a\":\"unterminated}",
        "{\"a\":\"tab\there\"}", /* raw control character in a string */
        "{\"a\":\"\\x41\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":99999999999999999999999}", /* does not fit an integer */
        "{\"a\":1e999}",
        "/* comment */ {}",
        "\xef\xbb\xbf{}", /* byte-order mark */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool malformed = false;
        json_t *o = parse(bad[i], &malformed);
        if (o)
            print_error("accepted: %s\n", bad[i]);
        assert_null(o);
        assert_true(malformed);
    }
    /* A NUL byte inside the given length, after a complete object. */
    bool malformed = false;
    assert_null(http_json_parse_object("{}\0", 3, &malformed));
    assert_true(malformed);
    /* Only len bytes are read. */
    json_t *o = http_json_parse_object("{\"a\":1}garbage", 7, &malformed);
    assert_non_null(o);
    assert_false(malformed);
    json_decref(o);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    static const char *const dup[] = {
        "{\"amount\":1,\"amount\":1000}",
        "{\"a\":1,\"b\":2,\"a\":1}",
        "{\"a\":{\"b\":1,\"b\":2}}",
        "{\"a\":[{\"x\":1,\"x\":1}]}",
        "{\"name\":\"x\",\"n\\u0061me\":\"y\"}", /* the same key, escaped */
        "{\"한\":1,\"\\ud55c\":2}",
    };
    for (size_t i = 0; i < sizeof dup / sizeof dup[0]; i++) {
        bool malformed = false;
        assert_null(parse(dup[i], &malformed));
        assert_true(malformed);
    }
    /* Same key at different levels is fine. */
    bool malformed = true;
    json_t *o = parse("{\"a\":{\"a\":{\"a\":1}}}", &malformed);
    assert_non_null(o);
    json_decref(o);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"a\":\"\xff\"}",
        "{\"a\":\"\xc0\xaf\"}",         /* overlong '/' */
        "{\"a\":\"\xed\xa0\x80\"}",     /* UTF-16 surrogate encoded in UTF-8 */
        "{\"a\":\"\xea\xb8\"}",         /* truncated sequence */
        "{\"a\":\"\xf4\x90\x80\x80\"}", /* past U+10FFFF */
        "{\"\x80\":1}",                 /* in a key */
        "{\"a\":\"\\ud800\"}",          /* lone surrogate escape */
        "{\"a\":\"\\udc00\\ud800\"}",   /* reversed pair */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool malformed = false;
        json_t *o = parse(bad[i], &malformed);
        assert_null(o);
        assert_true(malformed);
    }
}

static void test_nul_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"abc\\u0000def\"}",
        "{\"a\\u0000b\":1}",
        "{\"a\":[\"\\u0000\"]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool malformed = false;
        assert_null(parse(bad[i], &malformed));
        assert_true(malformed);
    }
    /* A raw NUL inside a string, counted in len. */
    static const char raw[] = "{\"a\":\"x\0y\"}";
    bool malformed = false;
    assert_null(http_json_parse_object(raw, sizeof raw - 1, &malformed));
    assert_true(malformed);
}

static char *nested(size_t depth, char open, char close)
{
    size_t n = 6 + 2 * depth;
    char *s = malloc(n + 1);
    assert_non_null(s);
    size_t o = 0;
    memcpy(s + o, "{\"a\":", 5);
    o += 5;
    for (size_t i = 0; i < depth; i++)
        s[o++] = open;
    for (size_t i = 0; i < depth; i++)
        s[o++] = close;
    s[o++] = '}';
    s[o] = '\0';
    return s;
}

static void test_deep_nesting(void **state)
{
    (void)state;
    bool malformed = true;
    /* Reasonable depth parses. */
    char *s = nested(100, '[', ']');
    json_t *o = parse(s, &malformed);
    assert_non_null(o);
    json_decref(o);
    free(s);
    /* Absurd depth is refused without exhausting the stack. */
    s = nested(200000, '[', ']');
    malformed = false;
    assert_null(parse(s, &malformed));
    assert_true(malformed);
    free(s);
    /* Unclosed, too. */
    s = nested(200000, '[', ']');
    s[5 + 200000] = '\0';
    assert_null(parse(s, &malformed));
    free(s);
}

static void test_getters(void **state)
{
    (void)state;
    bool malformed = true;
    json_t *o = parse("{\"s\":\"text\",\"i\":-42,\"big\":9007199254740993,\"r\":1.5,"
                      "\"whole\":2.0,\"b\":true,\"n\":null,\"a\":[],\"o\":{},\"num\":\"42\"}",
                      &malformed);
    assert_non_null(o);
    const char *s = "untouched";
    size_t len = 77;
    long long n = 77;

    assert_true(json_get_string(o, "s", &s, &len));
    assert_string_equal(s, "text");
    assert_int_equal(len, 4);
    s = "untouched";
    static const char *const not_strings[] = {"i", "r", "b", "n", "a", "o", "missing", "S"};
    for (size_t i = 0; i < sizeof not_strings / sizeof not_strings[0]; i++)
        assert_false(json_get_string(o, not_strings[i], &s, &len));

    assert_true(json_get_int(o, "i", &n));
    assert_int_equal(n, -42);
    assert_true(json_get_int(o, "big", &n));
    assert_true(n == 9007199254740993LL); /* exact, not through a double */
    n = 77;
    static const char *const not_ints[] = {"s", "r", "whole", "b", "n", "a", "o", "num", "I"};
    for (size_t i = 0; i < sizeof not_ints / sizeof not_ints[0]; i++)
        assert_false(json_get_int(o, not_ints[i], &n));
    assert_int_equal(n, 77); /* left alone on failure */
    json_decref(o);

    /* Extremes of the integer range. */
    o = parse("{\"max\":9223372036854775807,\"min\":-9223372036854775808}", &malformed);
    assert_non_null(o);
    assert_true(json_get_int(o, "max", &n));
    assert_true(n == INT64_MAX);
    assert_true(json_get_int(o, "min", &n));
    assert_true(n == INT64_MIN);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_object),   cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_not_an_object),  cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_duplicate_keys), cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_rejected),   cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_getters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

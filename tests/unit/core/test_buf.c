/*
 * Unit tests for src/core/buf.c: the capped growable buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"

static void test_init_empty(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.limit, 100);
    buf_reset(&b); /* fine before the first append */
    buf_free(&b);
    buf_free(&b); /* and twice */
    assert_null(b.data);
}

static void test_append_within_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "hello", 5), 0);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "hello");
    assert_int_equal(buf_append_str(&b, "world"), 0); /* exactly the limit */
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "helloworld");
    assert_int_equal(buf_append(&b, "", 0), 0); /* nothing more is still fine */
    assert_int_equal(b.len, 10);
    buf_free(&b);

    /* Binary data: len counts embedded NULs and a NUL still follows. */
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b\0", 4);
    buf_free(&b);

    /* An empty append to a new buffer gives an empty string, not NULL. */
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, NULL, 0), 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    buf_free(&b);
}

static void test_append_past_limit(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "0123456", 7), 0);
    char *before = b.data;
    assert_int_equal(buf_append(&b, "7890", 4), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 7);
    assert_string_equal(b.data, "0123456");
    assert_ptr_equal(b.data, before);
    assert_int_equal(buf_append_str(&b, "789"), 0); /* what does fit still goes in */
    assert_int_equal(buf_append_str(&b, "x"), ONAIR_ETOOBIG);
    assert_string_equal(b.data, "0123456789");
    buf_free(&b);

    /* Too big from the start: nothing is allocated. */
    buf_init(&b, 4);
    assert_int_equal(buf_append(&b, "12345", 5), ONAIR_ETOOBIG);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* Sizes that would overflow size_t arithmetic are refused too. */
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), ONAIR_ETOOBIG);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), ONAIR_ETOOBIG);
    assert_int_equal(buf_append(&b, "ab", 2), 0);
    assert_int_equal(buf_append(&b, "x", SIZE_MAX), ONAIR_ETOOBIG);
    assert_string_equal(b.data, "ab");
    buf_free(&b);
}

static void test_growth(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(buf_append(&b, &"0123456789"[i % 10], 1), 0);
    assert_int_equal(b.len, 10000);
    assert_true(b.cap > b.len);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(b.data[i], '0' + i % 10);
    assert_int_equal(b.data[10000], '\0');
    buf_free(&b);

    /* One append much larger than the current capacity. */
    buf_init(&b, 1 << 20);
    char *big = malloc(100000);
    assert_non_null(big);
    memset(big, 'q', 100000);
    assert_int_equal(buf_append(&b, "x", 1), 0);
    assert_int_equal(buf_append(&b, big, 100000), 0);
    assert_int_equal(b.len, 100001);
    assert_int_equal(b.data[0], 'x');
    assert_int_equal(b.data[100000], 'q');
    assert_int_equal(b.data[100001], '\0');
    free(big);
    buf_free(&b);
}

static void test_reset(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 100);
    assert_int_equal(buf_append_str(&b, "some text"), 0);
    size_t cap = b.cap;
    char *data = b.data;
    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(b.cap, cap); /* memory kept */
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.limit, 100); /* limit kept */
    assert_int_equal(buf_append_str(&b, "new"), 0);
    assert_string_equal(b.data, "new");
    buf_free(&b);
}

static void test_printf(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_printf(&b, "%s=%d", "workers", 4), 0);
    assert_string_equal(b.data, "workers=4");
    assert_int_equal(b.len, 9);
    assert_int_equal(buf_printf(&b, " %s", "ok"), 0); /* appends */
    assert_string_equal(b.data, "workers=4 ok");
    assert_int_equal(buf_printf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 12);

    /* Past the limit: refused whole, contents unchanged. */
    assert_int_equal(buf_printf(&b, "%060d", 1), ONAIR_ETOOBIG);
    assert_string_equal(b.data, "workers=4 ok");
    assert_int_equal(b.len, 12);
    /* Exactly up to the limit is fine. */
    assert_int_equal(buf_printf(&b, "%052d", 7), 0);
    assert_int_equal(b.len, 64);
    assert_int_equal(b.data[63], '7');
    assert_int_equal(b.data[64], '\0');
    buf_free(&b);

    /* Output longer than the first allocation, on an unlimited buffer. */
    buf_init(&b, 0);
    char word[300];
    memset(word, 'w', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    assert_int_equal(buf_printf(&b, "[%s]", word), 0);
    assert_int_equal(b.len, 301);
    assert_int_equal(b.data[0], '[');
    assert_int_equal(b.data[300], ']');
    assert_int_equal(b.data[301], '\0');
    buf_free(&b);
}

static void test_take(void **state)
{
    (void)state;
    struct buf b;
    size_t len = 0;
    buf_init(&b, 100);
    assert_int_equal(buf_append_str(&b, "payload"), 0);
    char *d = buf_take(&b, &len);
    assert_non_null(d);
    assert_int_equal(len, 7);
    assert_string_equal(d, "payload");
    /* b is empty and usable again; the bytes are ours. */
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.limit, 100);
    assert_int_equal(buf_append_str(&b, "again"), 0);
    assert_string_equal(b.data, "again");
    assert_string_equal(d, "payload");
    free(d);
    d = buf_take(&b, NULL); /* len is optional */
    assert_string_equal(d, "again");
    free(d);
    buf_free(&b);
}

/*
 * Regression: buf.h says "the contents are always followed by a NUL byte",
 * but buf_take() of a buffer never appended to used to return fresh malloc
 * memory without the NUL (len 0, garbage under strlen).
 */
static void test_take_empty(void **state)
{
    (void)state;
    /* Leave non-zero bytes in a chunk of the size buf allocates first, so
     * reusing it shows the missing terminator without ASan too. */
    char *junk = malloc(64);
    assert_non_null(junk);
    memset(junk, 'J', 64);
    free(junk);

    struct buf b;
    size_t len = 99;
    buf_init(&b, 0);
    char *d = buf_take(&b, &len);
    assert_non_null(d);
    assert_int_equal(len, 0);
    assert_int_equal(d[0], '\0');
    free(d);
}

/* Reserving makes room at once without changing the contents, and
 * respects the limit like an append would. */
static void test_reserve(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 100);
    assert_int_equal(buf_append(&b, "abc", 3), 0);
    assert_int_equal(buf_reserve(&b, 90), 0);
    assert_true(b.cap >= 94);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    char *before = b.data;
    for (int i = 0; i < 90; i++)
        assert_int_equal(buf_append(&b, "x", 1), 0);
    assert_ptr_equal(b.data, before); /* no regrowth after the reservation */
    assert_int_equal(buf_reserve(&b, 8), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 93);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve),
        cmocka_unit_test(test_init_empty),
        cmocka_unit_test(test_append_within_limit),
        cmocka_unit_test(test_append_past_limit),
        cmocka_unit_test(test_growth),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_take),
        cmocka_unit_test(test_take_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

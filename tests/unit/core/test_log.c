/*
 * Unit tests for src/core/log.c: logfmt quoting of values (log_quote) and
 * level parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"

#define GUARD 16

static void test_quote_plain(void **state)
{
    (void)state;
    char out[128];
    assert_ptr_equal(log_quote(out, sizeof out, "hello"), out);
    assert_string_equal(out, "\"hello\"");
    assert_string_equal(log_quote(out, sizeof out, ""), "\"\"");
    assert_string_equal(log_quote(out, sizeof out, NULL), "\"\"");
    assert_string_equal(log_quote(out, sizeof out, "with spaces = and =="),
                        "\"with spaces = and ==\"");
    /* UTF-8 passes through untouched. */
    assert_string_equal(log_quote(out, sizeof out, "채널 한글"), "\"채널 한글\"");
}

static void test_quote_escapes(void **state)
{
    (void)state;
    char out[128];
    assert_string_equal(log_quote(out, sizeof out, "say \"hi\""), "\"say \\\"hi\\\"\"");
    assert_string_equal(log_quote(out, sizeof out, "C:\\dir\\"), "\"C:\\\\dir\\\\\"");
    assert_string_equal(log_quote(out, sizeof out, "a\nb"), "\"a\\x0ab\"");
    assert_string_equal(log_quote(out, sizeof out, "\r\t\x01\x1f\x7f"),
                        "\"\\x0d\\x09\\x01\\x1f\\x7f\"");
    /* A forged log line can't be injected. */
    log_quote(out, sizeof out, "x\" level=error msg=\"pwned\nts=0");
    assert_null(strchr(out, '\n'));
    assert_string_equal(out, "\"x\\\" level=error msg=\\\"pwned\\x0ats=0\"");
    /* Bytes >= 0x80 are not control bytes. */
    assert_string_equal(log_quote(out, sizeof out, "\x80\xff"), "\"\x80\xff\"");
}

static void test_quote_tiny(void **state)
{
    (void)state;
    char out[8];

    memset(out, '#', sizeof out);
    log_quote(out, 0, "abc"); /* nothing may be written */
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], '#');

    memset(out, '#', sizeof out);
    assert_string_equal(log_quote(out, 1, "abc"), "");
    assert_int_equal(out[1], '#');

    memset(out, '#', sizeof out);
    assert_string_equal(log_quote(out, 2, "abc"), "");
    assert_int_equal(out[2], '#');

    memset(out, '#', sizeof out);
    assert_string_equal(log_quote(out, 3, "abc"), "\"\"");
    assert_int_equal(out[3], '#');

    memset(out, '#', sizeof out);
    log_quote(out, 4, "abc"); /* "" or "a": either is a valid cut */
    assert_true(strcmp(out, "\"\"") == 0 || strcmp(out, "\"a\"") == 0);
    assert_int_equal(out[4], '#');

    memset(out, '#', sizeof out);
    assert_string_equal(log_quote(out, 4, "\"bc"), "\"\""); /* no half escape */
    assert_int_equal(out[4], '#');

    memset(out, '#', sizeof out);
    assert_string_equal(log_quote(out, 5, "\"bc"), "\"\\\"\"");
    assert_int_equal(out[5], '#');
}

/* The escaped form of one byte, as log_quote writes it. */
static size_t escape_one(unsigned char c, char *out)
{
    if (c == '"' || c == '\\')
        return (size_t)snprintf(out, 8, "\\%c", c);
    if (c < 0x20 || c == 0x7f)
        return (size_t)snprintf(out, 8, "\\x%02x", c);
    out[0] = (char)c;
    out[1] = '\0';
    return 1;
}

/* For every capacity, the output fits, stays quoted, and is the escaped
 * input cut at an escape boundary (never half an escape). */
static void test_quote_truncation(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "plain text that is longer than the small buffers",
        "\"\"\"\"\"\"\"\"\"\"",
        "\\\\\\\\\\\\",
        "\n\n\n\n\n\n\n",
        "a\"b\\c\nd\x01"
        "e\x7f"
        "f\tg",
        "한글 채널 이름",
    };
    for (size_t k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
        const char *in = inputs[k];
        /* The full escaped text and where each input byte's escape ends. */
        char full[512];
        size_t ends[128], nends = 0, flen = 0;
        ends[nends++] = 0;
        for (const char *p = in; *p; p++) {
            flen += escape_one((unsigned char)*p, full + flen);
            ends[nends++] = flen;
        }
        for (unsigned n = 0; n < 80; n++) {
            char out[80 + GUARD];
            memset(out, '#', sizeof out);
            log_quote(out, n, in);
            for (size_t i = n; i < sizeof out; i++)
                assert_int_equal(out[i], '#');
            if (n == 0)
                continue;
            size_t len = strlen(out);
            assert_true(len < n);
            if (n < 3) {
                assert_int_equal(len, 0);
                continue;
            }
            assert_true(len >= 2);
            assert_int_equal(out[0], '"');
            assert_int_equal(out[len - 1], '"');
            size_t inner = len - 2;
            assert_memory_equal(out + 1, full, inner);
            bool boundary = false;
            for (size_t e = 0; e < nends; e++)
                boundary |= ends[e] == inner;
            assert_true(boundary);
            if (n >= flen + 4)
                assert_int_equal(inner, flen); /* nothing cut when it fits with room */
        }
    }
}

static void test_levels(void **state)
{
    (void)state;
    assert_int_equal(log_level_parse("error"), LOG_ERR);
    assert_int_equal(log_level_parse("warn"), LOG_WARN);
    assert_int_equal(log_level_parse("info"), LOG_INFO);
    assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
    assert_int_equal(log_level_parse("Debug"), -1);
    assert_int_equal(log_level_parse("warning"), -1);
    assert_int_equal(log_level_parse(""), -1);
    assert_int_equal(log_level_parse("info "), -1);

    log_set_level(LOG_WARN);
    assert_true(log_enabled(LOG_ERR));
    assert_true(log_enabled(LOG_WARN));
    assert_false(log_enabled(LOG_INFO));
    assert_false(log_enabled(LOG_DEBUG));
    log_set_level(LOG_DEBUG);
    assert_true(log_enabled(LOG_DEBUG));
    log_set_level(LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_plain), cmocka_unit_test(test_quote_escapes),
        cmocka_unit_test(test_quote_tiny),  cmocka_unit_test(test_quote_truncation),
        cmocka_unit_test(test_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

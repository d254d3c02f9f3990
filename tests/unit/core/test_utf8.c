/*
 * Unit tests for src/core/utf8.c: strict UTF-8 validation, whole and
 * incremental, counting and truncation. The cases follow Markus Kuhn's
 * UTF-8 decoder stress test; an independent decoder written here checks
 * every one- to three-byte sequence and every code point's encoding.
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

#include "core/utf8.h"

struct tcase {
    const char *name;
    const char *bytes;
    size_t len; /* 0: strlen(bytes) */
    bool valid;
};

#define V(name, s)                                                                                 \
    {                                                                                              \
        name, s, 0, true                                                                           \
    }
#define X(name, s)                                                                                 \
    {                                                                                              \
        name, s, 0, false                                                                          \
    }

static const struct tcase cases[] = {
    /* 1. Some correct text. */
    V("empty", ""),
    V("ascii", "hello, world"),
    V("kosme", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),
    V("korean", "\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94"),
    V("emoji", "\xf0\x9f\x98\x80"),
    {"nul", "a\0b", 3, true},
    /* 2.1 First possible sequence of each length. */
    {"first-1", "\0", 1, true},
    V("first-2 U+0080", "\xc2\x80"),
    V("first-3 U+0800", "\xe0\xa0\x80"),
    V("first-4 U+10000", "\xf0\x90\x80\x80"),
    X("first-5", "\xf8\x88\x80\x80\x80"),
    X("first-6", "\xfc\x84\x80\x80\x80\x80"),
    /* 2.2 Last possible sequence of each length. */
    V("last-1 U+007F", "\x7f"),
    V("last-2 U+07FF", "\xdf\xbf"),
    V("last-3 U+FFFF", "\xef\xbf\xbf"),
    X("last-4 U+1FFFFF", "\xf7\xbf\xbf\xbf"),
    X("last-5", "\xfb\xbf\xbf\xbf\xbf"),
    X("last-6", "\xfd\xbf\xbf\xbf\xbf\xbf"),
    /* 2.3 Other boundaries. */
    V("U+D7FF", "\xed\x9f\xbf"),
    V("U+E000", "\xee\x80\x80"),
    V("U+FFFD", "\xef\xbf\xbd"),
    V("U+10FFFF", "\xf4\x8f\xbf\xbf"),
    X("U+110000", "\xf4\x90\x80\x80"),
    X("U+13FFFF", "\xf4\xbf\xbf\xbf"),
    X("F5 lead", "\xf5\x80\x80\x80"),
    /* 3.1 Unexpected continuation bytes. */
    X("cont 80", "\x80"),
    X("cont BF", "\xbf"),
    X("cont 2", "\x80\xbf"),
    X("cont 3", "\x80\xbf\x80"),
    X("cont after char", "a\xc2\x80\x80"),
    /* 3.2 Lonely start characters (followed by a space). */
    X("lonely C0", "\xc0 "),
    X("lonely C2", "\xc2 "),
    X("lonely DF", "\xdf "),
    X("lonely E0", "\xe0 "),
    X("lonely EF", "\xef "),
    X("lonely F0", "\xf0 "),
    X("lonely F7", "\xf7 "),
    X("lonely F8", "\xf8 "),
    X("lonely FC", "\xfc "),
    /* 3.3 Sequences with the last continuation byte missing. */
    X("trunc-2", "\xc2"),
    X("trunc-3", "\xe0\xa0"),
    X("trunc-3b", "\xed\x9f"),
    X("trunc-4", "\xf0\x90\x80"),
    X("trunc-4b", "\xf4\x8f\xbf"),
    X("trunc-5", "\xf8\x88\x80\x80"),
    X("trunc-6", "\xfc\x84\x80\x80\x80"),
    X("trunc then ascii", "\xe0\xa0"
                          "a"),
    /* 3.4 Concatenation of the 3.3 sequences. */
    X("trunc concat", "\xc2\xe0\xa0\xf0\x90\x80\xdf\xef\xbf\xf4\x8f\xbf"),
    /* 3.5 Impossible bytes. */
    X("FE", "\xfe"),
    X("FF", "\xff"),
    X("FEFF", "\xfe\xfe\xff\xff"),
    /* 4.1 Overlong ASCII '/'. */
    X("overlong / 2", "\xc0\xaf"),
    X("overlong / 3", "\xe0\x80\xaf"),
    X("overlong / 4", "\xf0\x80\x80\xaf"),
    X("overlong / 5", "\xf8\x80\x80\x80\xaf"),
    X("overlong / 6", "\xfc\x80\x80\x80\x80\xaf"),
    /* 4.2 Maximum overlong sequences. */
    X("max overlong 2", "\xc1\xbf"),
    X("max overlong 3", "\xe0\x9f\xbf"),
    X("max overlong 4", "\xf0\x8f\xbf\xbf"),
    X("max overlong 5", "\xf8\x87\xbf\xbf\xbf"),
    X("max overlong 6", "\xfc\x83\xbf\xbf\xbf\xbf"),
    /* 4.3 Overlong NUL. */
    X("overlong NUL 2", "\xc0\x80"),
    X("overlong NUL 3", "\xe0\x80\x80"),
    X("overlong NUL 4", "\xf0\x80\x80\x80"),
    /* 5.1 Single UTF-16 surrogates. */
    X("U+D800", "\xed\xa0\x80"),
    X("U+DB7F", "\xed\xad\xbf"),
    X("U+DB80", "\xed\xae\x80"),
    X("U+DBFF", "\xed\xaf\xbf"),
    X("U+DC00", "\xed\xb0\x80"),
    X("U+DF80", "\xed\xbe\x80"),
    X("U+DFFF", "\xed\xbf\xbf"),
    /* 5.2 Paired surrogates (CESU-8). */
    X("pair D800 DC00", "\xed\xa0\x80\xed\xb0\x80"),
    X("pair DBFF DFFF", "\xed\xaf\xbf\xed\xbf\xbf"),
    /* 5.3 Noncharacters are valid. */
    V("U+FFFE", "\xef\xbf\xbe"),
    V("U+FDD0", "\xef\xb7\x90"),
    V("U+10FFFE", "\xf4\x8f\xbf\xbe"),
    /* Bad continuation bytes inside a sequence. */
    X("2 with ascii", "\xc2\x41"),
    X("3 with C0", "\xe1\x80\xc0"),
    X("4 with 7F", "\xf1\x80\x80\x7f"),
    X("bad after valid", "hello \xec\x95\x88 \xff"),
    V("long ascii then 3", "abcdefghijklmnopqrstuvwxyz0123456789\xec\x95\x88"),
    X("long ascii then bad", "abcdefghijklmnopqrstuvwxyz0123456789\xc0\x80"),
};

static size_t case_len(const struct tcase *c)
{
    return c->len ? c->len : strlen(c->bytes);
}

/* Feeding in pieces gives the same verdict as the whole-buffer check. */
static bool feed_split(const uint8_t *p, size_t n, size_t a, size_t b)
{
    struct utf8_state s;
    utf8_init(&s);
    bool ok = utf8_feed(&s, p, a);
    ok = utf8_feed(&s, p + a, b - a) && ok;
    ok = utf8_feed(&s, p + b, n - b) && ok;
    return ok && utf8_complete(&s);
}

static void test_stress_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct tcase *c = &cases[i];
        const uint8_t *p = (const uint8_t *)c->bytes;
        size_t n = case_len(c);
        if (utf8_valid(p, n) != c->valid)
            fail_msg("case \"%s\": expected %s", c->name, c->valid ? "valid" : "invalid");
        /* Every one- and two-point split. */
        for (size_t a = 0; a <= n; a++) {
            for (size_t b = a; b <= n; b++) {
                if (feed_split(p, n, a, b) != c->valid)
                    fail_msg("case \"%s\" split at %zu,%zu", c->name, a, b);
            }
        }
        /* Byte at a time. */
        struct utf8_state s;
        utf8_init(&s);
        bool ok = true;
        for (size_t k = 0; k < n; k++)
            ok = utf8_feed(&s, p + k, 1) && ok;
        assert_int_equal(ok && utf8_complete(&s), c->valid);
    }
}

static void test_incremental_fails_early(void **state)
{
    (void)state;
    struct utf8_state s;

    /* A bad byte fails at once and the state stays failed. */
    utf8_init(&s);
    assert_true(utf8_feed(&s, (const uint8_t *)"ok ", 3));
    assert_false(utf8_feed(&s, (const uint8_t *)"\xff", 1));
    assert_false(utf8_feed(&s, (const uint8_t *)"fine", 4));
    assert_false(utf8_feed(&s, NULL, 0));
    assert_false(utf8_complete(&s));

    /* An overlong or surrogate prefix fails at its second byte, before the
     * sequence is finished. */
    utf8_init(&s);
    assert_true(utf8_feed(&s, (const uint8_t *)"\xe0", 1));
    assert_false(utf8_feed(&s, (const uint8_t *)"\x9f", 1));
    utf8_init(&s);
    assert_true(utf8_feed(&s, (const uint8_t *)"\xed", 1));
    assert_false(utf8_feed(&s, (const uint8_t *)"\xa0", 1));
    utf8_init(&s);
    assert_true(utf8_feed(&s, (const uint8_t *)"\xf4", 1));
    assert_false(utf8_feed(&s, (const uint8_t *)"\x90", 1));

    /* Mid-character: valid so far but not complete. */
    utf8_init(&s);
    assert_true(utf8_complete(&s));
    assert_true(utf8_feed(&s, (const uint8_t *)"\xec\x95", 2));
    assert_false(utf8_complete(&s));
    assert_true(utf8_feed(&s, (const uint8_t *)"\x88", 1));
    assert_true(utf8_complete(&s));
    assert_true(utf8_feed(&s, NULL, 0));
    assert_true(utf8_complete(&s));
}

/* Independent reference: decode one sequence by arithmetic. */
static bool ref_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

static void test_exhaustive_short_sequences(void **state)
{
    (void)state;
    uint8_t b[3];
    for (unsigned x = 0; x < 256; x++) {
        b[0] = (uint8_t)x;
        assert_int_equal(utf8_valid(b, 1), ref_valid(b, 1));
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (uint8_t)y;
            assert_int_equal(utf8_valid(b, 2), ref_valid(b, 2));
            if (x < 0x80 && y < 0x80)
                continue; /* pure ASCII prefixes add nothing */
            for (unsigned z = 0; z < 256; z++) {
                b[2] = (uint8_t)z;
                if (utf8_valid(b, 3) != ref_valid(b, 3))
                    fail_msg("%02x %02x %02x", x, y, z);
            }
        }
    }
    /* Four bytes: every lead byte with interesting continuation bytes. */
    static const uint8_t conts[] = {0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
    uint8_t q[4];
    for (unsigned x = 0xC0; x < 256; x++) {
        q[0] = (uint8_t)x;
        for (size_t i = 0; i < sizeof conts; i++)
            for (size_t j = 0; j < sizeof conts; j++)
                for (size_t k = 0; k < sizeof conts; k++) {
                    q[1] = conts[i], q[2] = conts[j], q[3] = conts[k];
                    if (utf8_valid(q, 4) != ref_valid(q, 4))
                        fail_msg("%02x %02x %02x %02x", q[0], q[1], q[2], q[3]);
                }
    }
}

/* Plain encoder, also for values UTF-8 must not carry. */
static size_t encode(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

static void test_every_code_point(void **state)
{
    (void)state;
    uint8_t b[4];
    for (uint32_t cp = 0; cp <= 0x1FFFFF; cp++) {
        size_t n = encode(cp, b);
        bool want = cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        if (utf8_valid(b, n) != want)
            fail_msg("U+%04X", (unsigned)cp);
        if (want)
            assert_int_equal(utf8_count(b, n), 1);
    }
}

static void test_long_mixed_text(void **state)
{
    (void)state;
    /* Long enough to use the eight-byte ASCII skip, with multi-byte
     * characters at every alignment. */
    uint8_t text[600];
    size_t n = 0, chars = 0;
    for (int i = 0; n + 4 <= sizeof text; i++) {
        uint32_t cp = (i % 7 == 3) ? 0xC548 : (i % 11 == 5) ? 0x1F600 : (uint32_t)('a' + i % 26);
        n += encode(cp, text + n);
        chars++;
    }
    assert_true(utf8_valid(text, n));
    assert_int_equal(utf8_count(text, n), chars);
    for (size_t cut = 0; cut <= n; cut++) {
        assert_true(feed_split(text, n, cut, cut));
        /* A bad byte anywhere makes it invalid. */
        if (cut < n) {
            uint8_t saved = text[cut];
            text[cut] = 0xFF;
            assert_false(utf8_valid(text, n));
            assert_false(feed_split(text, n, cut / 2, cut));
            text[cut] = saved;
        }
    }
}

static void test_count(void **state)
{
    (void)state;
    const char *ko =
        "\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94"; /* 안녕하세요 */
    assert_int_equal(strlen(ko), 15);
    assert_int_equal(utf8_count((const uint8_t *)ko, strlen(ko)), 5);
    assert_int_equal(utf8_count((const uint8_t *)"", 0), 0);
    assert_int_equal(utf8_count((const uint8_t *)"hello", 5), 5);
    assert_int_equal(utf8_count((const uint8_t *)"a\xc3\xa9\xf0\x9f\x98\x80z", 8), 4);
}

static void test_truncate(void **state)
{
    (void)state;
    const uint8_t *ko = (const uint8_t *)"\xec\x95\x88\xeb\x85\x95\xed\x95\x98"; /* 안녕하 */
    assert_int_equal(utf8_truncate(ko, 9, 100), 9);
    assert_int_equal(utf8_truncate(ko, 9, 9), 9);
    assert_int_equal(utf8_truncate(ko, 9, 8), 6);
    assert_int_equal(utf8_truncate(ko, 9, 7), 6);
    assert_int_equal(utf8_truncate(ko, 9, 6), 6);
    assert_int_equal(utf8_truncate(ko, 9, 5), 3);
    assert_int_equal(utf8_truncate(ko, 9, 2), 0);
    assert_int_equal(utf8_truncate(ko, 9, 0), 0);
    assert_int_equal(utf8_truncate((const uint8_t *)"abc", 3, 2), 2);
    for (size_t max = 0; max <= 9; max++)
        assert_true(utf8_valid(ko, utf8_truncate(ko, 9, max)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress_cases),
        cmocka_unit_test(test_incremental_fails_early),
        cmocka_unit_test(test_exhaustive_short_sequences),
        cmocka_unit_test(test_every_code_point),
        cmocka_unit_test(test_long_mixed_text),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_truncate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

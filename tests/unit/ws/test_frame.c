/*
 * Unit tests for src/ws/frame.c: the server-side frame reader (RFC 6455
 * section 5), the encoders and the handshake accept key. Inputs are real
 * wire bytes: the RFC's own examples, plus client frames made here by
 * masking server-style frames (mask_frames below). Every reader test runs
 * with the input whole, byte at a time and in uneven pieces, and must give
 * the same messages and the same error each way.
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

#include "core/buf.h"
#include "core/err.h"
#include "ws/frame.h"

/* ---- test-side helpers ---------------------------------------------------- */

#define MAX_MSGS 64

struct rec {
    enum ws_opcode opcode;
    uint8_t *data;
    size_t len;
    uint16_t close_code;
};

struct transcript {
    struct rec m[MAX_MSGS];
    size_t n;
    int rc;
    uint16_t close_code;
    int stop_after; /* > 0: the callback returns -99 on this message */
};

static int record(const struct ws_message *m, void *arg)
{
    struct transcript *t = arg;
    assert_non_null(m->data);
    assert_true(t->n < MAX_MSGS);
    struct rec *r = &t->m[t->n++];
    r->opcode = m->opcode;
    r->len = m->len;
    r->close_code = m->close_code;
    r->data = malloc(m->len + 1);
    memcpy(r->data, m->data, m->len);
    r->data[m->len] = 0;
    if (t->stop_after > 0 && (int)t->n == t->stop_after)
        return -99;
    return 0;
}

static void transcript_free(struct transcript *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->m[i].data);
    t->n = 0;
}

/* Feeds p in pieces of size chunk (0: all at once). */
static void run_chunked(struct transcript *t, const uint8_t *p, size_t n, size_t max, size_t chunk)
{
    struct ws_reader r;
    int stop = t->stop_after;
    memset(t, 0, sizeof *t);
    t->stop_after = stop;
    ws_reader_init(&r, max);
    size_t i = 0;
    do {
        size_t k = chunk ? chunk : n;
        if (k > n - i)
            k = n - i;
        t->rc = ws_reader_feed(&r, p + i, k, record, t);
        i += k;
    } while (t->rc == 0 && i < n);
    t->close_code = r.close_code;
    if (t->rc) {
        /* Dead: the same error again, nothing more delivered. */
        size_t before = t->n;
        assert_int_equal(ws_reader_feed(&r, (const uint8_t *)"\x81\x80", 2, record, t), t->rc);
        assert_int_equal(t->n, before);
    }
    ws_reader_free(&r);
}

static void assert_same(const struct transcript *a, const struct transcript *b)
{
    assert_int_equal(a->rc, b->rc);
    assert_int_equal(a->close_code, b->close_code);
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->m[i].opcode, b->m[i].opcode);
        assert_int_equal(a->m[i].close_code, b->m[i].close_code);
        assert_int_equal(a->m[i].len, b->m[i].len);
        assert_memory_equal(a->m[i].data, b->m[i].data, a->m[i].len);
    }
}

/* Runs p whole, then byte at a time and in pieces of 2, 3, 7 and 100
 * bytes, checks they all agree, and leaves the whole-input result in t. */
static void run(struct transcript *t, const uint8_t *p, size_t n, size_t max)
{
    static const size_t chunks[] = {1, 2, 3, 7, 100};
    int stop = t->stop_after;
    run_chunked(t, p, n, max, 0);
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        struct transcript u = {.stop_after = stop};
        run_chunked(&u, p, n, max, chunks[i]);
        assert_same(t, &u);
        transcript_free(&u);
    }
}

/* Turns server-style (unmasked) frames into client frames: sets the mask
 * bit, inserts a key and masks the payload. Extra header bits are kept as
 * they are, so malformed frames can be built too. */
static size_t mask_frames(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    unsigned seed = 0x5a;
    while (i < n) {
        assert_true(n - i >= 2);
        out[o++] = in[i++];
        uint8_t b1 = in[i++];
        out[o++] = b1 | 0x80;
        size_t ext = (b1 & 0x7F) == 126 ? 2 : (b1 & 0x7F) == 127 ? 8 : 0;
        uint64_t len = b1 & 0x7F;
        if (ext) {
            assert_true(n - i >= ext);
            len = 0;
            for (size_t k = 0; k < ext; k++) {
                len = len << 8 | in[i];
                out[o++] = in[i++];
            }
        }
        uint8_t key[4];
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            key[k] = (uint8_t)(seed >> 16);
            out[o++] = key[k];
        }
        assert_true(n - i >= len);
        for (uint64_t k = 0; k < len; k++)
            out[o++] = in[i++] ^ key[k & 3];
    }
    return o;
}

/* Appends one unmasked frame (header fields given raw) to a byte list. */
static size_t put_frame(uint8_t *out, uint8_t b0, const void *payload, size_t len)
{
    size_t o = 0;
    out[o++] = b0;
    if (len <= 125) {
        out[o++] = (uint8_t)len;
    } else if (len <= 0xFFFF) {
        out[o++] = 126;
        out[o++] = (uint8_t)(len >> 8);
        out[o++] = (uint8_t)len;
    } else {
        out[o++] = 127;
        for (int k = 7; k >= 0; k--)
            out[o++] = (uint8_t)((uint64_t)len >> (8 * k));
    }
    if (len)
        memcpy(out + o, payload, len);
    return o + len;
}

/* Masks the unmasked frames in[0..n) and runs them. */
static void run_masked(struct transcript *t, const uint8_t *in, size_t n, size_t max)
{
    uint8_t *masked = malloc(n + n / 2 + 64);
    size_t m = mask_frames(in, n, masked);
    run(t, masked, m, max);
    free(masked);
}

static void expect_error(const uint8_t *in, size_t n, size_t max, int rc, uint16_t code,
                         size_t delivered)
{
    struct transcript t = {0};
    run_masked(&t, in, n, max);
    assert_int_equal(t.rc, rc);
    assert_int_equal(t.close_code, code);
    assert_int_equal(t.n, delivered);
    transcript_free(&t);
}

#define FIN 0x80

/* ---- RFC 6455 section 5.7 examples ------------------------------------ */

static void test_rfc_masked_hello(void **state)
{
    (void)state;
    static const uint8_t f[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    struct transcript t = {0};
    run(&t, f, sizeof f, 1024);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.m[0].opcode, WS_TEXT);
    assert_int_equal(t.m[0].len, 5);
    assert_memory_equal(t.m[0].data, "Hello", 5);
    assert_int_equal(t.m[0].close_code, 0);
    transcript_free(&t);
}

static void test_rfc_unmasked_hello_refused(void **state)
{
    (void)state;
    /* A server must refuse an unmasked client frame: decided at byte 2. */
    static const uint8_t f[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    struct transcript t = {0};
    run(&t, f, sizeof f, 1024);
    assert_int_equal(t.rc, ONAIR_EPROTO);
    assert_int_equal(t.close_code, WS_CLOSE_PROTOCOL);
    assert_int_equal(t.n, 0);
    run(&t, f, 2, 1024);
    assert_int_equal(t.rc, ONAIR_EPROTO);
}

static void test_rfc_fragmented_hello(void **state)
{
    (void)state;
    static const uint8_t f[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
    struct transcript t = {0};
    run_masked(&t, f, sizeof f, 1024);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.m[0].opcode, WS_TEXT);
    assert_int_equal(t.m[0].len, 5);
    assert_memory_equal(t.m[0].data, "Hello", 5);
    transcript_free(&t);
}

static void test_rfc_ping_pong(void **state)
{
    (void)state;
    /* Unmasked ping "Hello" from the RFC, masked here; then the RFC's
     * masked pong "Hello" as is. */
    static const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    static const uint8_t pong[] = {0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d,
                                   0x7f, 0x9f, 0x4d, 0x51, 0x58};
    uint8_t both[64];
    size_t n = mask_frames(ping, sizeof ping, both);
    memcpy(both + n, pong, sizeof pong);
    n += sizeof pong;
    struct transcript t = {0};
    run(&t, both, n, 0); /* control frames do not count against max_message */
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(t.m[0].opcode, WS_PING);
    assert_int_equal(t.m[0].len, 5);
    assert_memory_equal(t.m[0].data, "Hello", 5);
    assert_int_equal(t.m[1].opcode, WS_PONG);
    assert_memory_equal(t.m[1].data, "Hello", 5);
    transcript_free(&t);

    /* Our encoder writes the RFC's unmasked ping exactly. */
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(ws_frame_write(&b, WS_PING, "Hello", 5), 0);
    assert_int_equal(b.len, sizeof ping);
    assert_memory_equal(b.data, ping, sizeof ping);
    buf_free(&b);
}

static void test_rfc_binary_lengths(void **state)
{
    (void)state;
    /* 256 bytes: 0x82 0x7E 0x0100; 64 KiB: 0x82 0x7F 0x0000000000010000. */
    static const size_t sizes[] = {256, 65536};
    static const uint8_t h256[] = {0x82, 0x7e, 0x01, 0x00};
    static const uint8_t h64k[] = {0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0};
    for (size_t s = 0; s < 2; s++) {
        size_t len = sizes[s];
        uint8_t *payload = malloc(len);
        for (size_t i = 0; i < len; i++)
            payload[i] = (uint8_t)(i * 7 + s);
        struct buf b;
        buf_init(&b, 0);
        assert_int_equal(ws_frame_write(&b, WS_BINARY, payload, len), 0);
        const uint8_t *h = s ? h64k : h256;
        size_t hl = s ? sizeof h64k : sizeof h256;
        assert_int_equal(b.len, hl + len);
        assert_memory_equal(b.data, h, hl);
        assert_memory_equal(b.data + hl, payload, len);

        struct transcript t = {0};
        run_masked(&t, (const uint8_t *)b.data, b.len, len);
        assert_int_equal(t.rc, 0);
        assert_int_equal(t.n, 1);
        assert_int_equal(t.m[0].opcode, WS_BINARY);
        assert_int_equal(t.m[0].len, len);
        assert_memory_equal(t.m[0].data, payload, len);
        transcript_free(&t);

        /* One byte less allowed: refused. */
        run_masked(&t, (const uint8_t *)b.data, b.len, len - 1);
        assert_int_equal(t.rc, ONAIR_ETOOBIG);
        assert_int_equal(t.close_code, WS_CLOSE_TOO_BIG);
        buf_free(&b);
        free(payload);
    }
}

static void test_accept_key(void **state)
{
    (void)state;
    char out[29];
    assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    static const char *bad[] = {
        "",
        "dGhlIHNhbXBsZSBub25jZQ=",   /* 23 chars */
        "dGhlIHNhbXBsZSBub25jZQ===", /* 25 chars */
        "dGhlIHNhbXBsZSBub25jZQ== ", /* trailing space */
        " dGhlIHNhbXBsZSBub25jZQ==",
        "dGhlIHNhbXBsZSBub25jZQAA", /* 18 bytes, no padding */
        "dGhlIHNhbXBsZSBub25j====", /* 15 bytes */
        "dGhlIHNhbXBsZSBub25jZR==", /* non-canonical trailing bits */
        "dGhlIHNhbXBsZSBub25jZQ-_", /* URL-safe alphabet */
        "dGhlIHNhbXBsZSBub2*jZQ==",
        "dGhlIHNhbXBsZSBub25jZQ=A",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(out, 'x', sizeof out);
        if (ws_accept_key(bad[i], out) != ONAIR_EINVAL)
            fail_msg("key \"%s\" accepted", bad[i]);
        assert_int_equal(out[0], 'x');
    }
    /* Another valid key. */
    assert_int_equal(ws_accept_key("AAAAAAAAAAAAAAAAAAAAAA==", out), 0);
    assert_int_equal(strlen(out), 28);
}

/* ---- fragmentation and UTF-8 ---------------------------------------- */

static void test_utf8_split_across_fragments(void **state)
{
    (void)state;
    /* "a안b" with 안 (EC 95 88) cut after its second byte. */
    uint8_t f[64];
    size_t n = put_frame(f, WS_TEXT, "a\xec\x95", 3);
    n += put_frame(f + n, WS_CONT, "", 0); /* an empty fragment on the way */
    n += put_frame(f + n, FIN | WS_CONT,
                   "\x88"
                   "b",
                   2);
    struct transcript t = {0};
    run_masked(&t, f, n, 100);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.m[0].opcode, WS_TEXT);
    assert_int_equal(t.m[0].len, 5);
    assert_memory_equal(t.m[0].data,
                        "a\xec\x95\x88"
                        "b",
                        5);
    transcript_free(&t);
}

static void test_utf8_invalid_in_later_fragment(void **state)
{
    (void)state;
    /* The second of three fragments has a bad byte: 1007 before the final
     * fragment is sent. */
    uint8_t f[64];
    size_t n = put_frame(f, WS_TEXT, "abc", 3);
    n += put_frame(f + n, WS_CONT, "d\xff", 2);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_BAD_DATA, 0);

    /* Even part of a frame is enough: an overlong prefix inside a frame
     * whose remaining bytes never come. */
    uint8_t g[64], gm[64];
    static const char text[] = "ok \xe0\x80\xaf and more text";
    size_t gn = put_frame(g, FIN | WS_TEXT, text, sizeof text - 1);
    size_t gmn = mask_frames(g, gn, gm);
    assert_int_equal(gmn, 6 + sizeof text - 1);
    struct transcript t = {0};
    run(&t, gm, 6 + 5, 100); /* header + "ok \xe0\x80": fails at \x80 */
    assert_int_equal(t.rc, ONAIR_EPROTO);
    assert_int_equal(t.close_code, WS_CLOSE_BAD_DATA);

    /* A surrogate split across fragments. */
    n = put_frame(f, WS_TEXT, "x\xed", 2);
    n += put_frame(f + n, WS_CONT, "\xa0\x80", 2);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_BAD_DATA, 0);

    /* The final fragment ends inside a character. */
    n = put_frame(f, WS_TEXT, "x", 1);
    n += put_frame(f + n, FIN | WS_CONT, "\xec\x95", 2);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_BAD_DATA, 0);
    n = put_frame(f, FIN | WS_TEXT, "\xf0\x9f\x98", 3);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_BAD_DATA, 0);

    /* BINARY is not checked. */
    n = put_frame(f, FIN | WS_BINARY, "\xff\xc0\xed\xa0\x80", 5);
    expect_error(f, n, 100, 0, 0, 1);
}

static void test_interleaved_control(void **state)
{
    (void)state;
    uint8_t f[128];
    size_t n = put_frame(f, WS_TEXT, "Hel", 3);
    n += put_frame(f + n, FIN | WS_PING, "x", 1);
    n += put_frame(f + n, WS_CONT, "l", 1);
    n += put_frame(f + n, FIN | WS_PONG, "", 0);
    n += put_frame(f + n, FIN | WS_CONT, "o", 1);
    n += put_frame(f + n, FIN | WS_BINARY, "\x00\x01", 2);
    struct transcript t = {0};
    run_masked(&t, f, n, 5);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 4);
    assert_int_equal(t.m[0].opcode, WS_PING);
    assert_int_equal(t.m[0].len, 1);
    assert_memory_equal(t.m[0].data, "x", 1);
    assert_int_equal(t.m[1].opcode, WS_PONG);
    assert_int_equal(t.m[1].len, 0);
    assert_int_equal(t.m[2].opcode, WS_TEXT);
    assert_int_equal(t.m[2].len, 5);
    assert_memory_equal(t.m[2].data, "Hello", 5);
    assert_int_equal(t.m[3].opcode, WS_BINARY);
    assert_memory_equal(t.m[3].data, "\x00\x01", 2);
    transcript_free(&t);

    /* A close in the middle of a message ends everything; the rest of the
     * message is ignored. */
    n = put_frame(f, WS_TEXT, "Hel", 3);
    n += put_frame(f + n, FIN | WS_CLOSE, "\x03\xe8", 2);
    n += put_frame(f + n, FIN | WS_CONT, "lo", 2);
    run_masked(&t, f, n, 100);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.m[0].opcode, WS_CLOSE);
    assert_int_equal(t.m[0].close_code, 1000);
    transcript_free(&t);
}

static void test_empty_messages(void **state)
{
    (void)state;
    uint8_t f[64];
    size_t n = put_frame(f, FIN | WS_TEXT, "", 0);
    n += put_frame(f + n, FIN | WS_BINARY, "", 0);
    n += put_frame(f + n, FIN | WS_PING, "", 0);
    n += put_frame(f + n, WS_TEXT, "", 0);
    n += put_frame(f + n, FIN | WS_CONT, "", 0);
    struct transcript t = {0};
    run_masked(&t, f, n, 0); /* max 0: only empty messages fit */
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 4);
    assert_int_equal(t.m[0].opcode, WS_TEXT);
    assert_int_equal(t.m[0].len, 0);
    assert_int_equal(t.m[1].opcode, WS_BINARY);
    assert_int_equal(t.m[2].opcode, WS_PING);
    assert_int_equal(t.m[3].opcode, WS_TEXT);
    assert_int_equal(t.m[3].len, 0);
    transcript_free(&t);
}

/* ---- protocol errors ------------------------------------------------- */

static void test_protocol_errors(void **state)
{
    (void)state;
    uint8_t f[300];
    size_t n;

    /* Reserved bits (no extension negotiated). */
    for (unsigned rsv = 0x10; rsv <= 0x40; rsv <<= 1) {
        n = put_frame(f, (uint8_t)(FIN | rsv | WS_TEXT), "hi", 2);
        expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
        n = put_frame(f, (uint8_t)(FIN | rsv | WS_PING), "", 0);
        expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
    }
    /* Unknown opcodes 3..7 and 11..15. */
    for (unsigned op = 3; op <= 15; op++) {
        if (op >= 8 && op <= 10)
            continue;
        n = put_frame(f, (uint8_t)(FIN | op), "", 0);
        expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
        /* also after a good message, which is delivered first */
        n = put_frame(f, FIN | WS_TEXT, "ok", 2);
        n += put_frame(f + n, (uint8_t)(FIN | op), "zz", 2);
        expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 1);
    }
    /* Fragmented control frames. */
    static const uint8_t ctl[] = {WS_CLOSE, WS_PING, WS_PONG};
    for (size_t i = 0; i < 3; i++) {
        n = put_frame(f, ctl[i], "", 0);
        expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
        /* Control frames over 125 bytes, in both longer length forms. */
        uint8_t big[126];
        memset(big, 'p', sizeof big);
        n = put_frame(f, FIN | ctl[i], big, 126);
        expect_error(f, n, 1000, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
        static const uint8_t l64[] = {0, 0, 0, 0, 0, 0, 0, 5};
        f[0] = FIN | ctl[i];
        f[1] = 127;
        memcpy(f + 2, l64, 8);
        memcpy(f + 10, "hello", 5);
        expect_error(f, 15, 1000, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
        /* 125 is fine. */
        if (ctl[i] != WS_CLOSE) {
            n = put_frame(f, FIN | ctl[i], big, 125);
            expect_error(f, n, 0, 0, 0, 1);
        }
    }
    /* CONT without a message in progress, first and after a message. */
    n = put_frame(f, FIN | WS_CONT, "x", 1);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
    n = put_frame(f, WS_CONT, "x", 1);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
    n = put_frame(f, FIN | WS_TEXT, "a", 1);
    n += put_frame(f + n, FIN | WS_CONT, "x", 1);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 1);
    /* A new TEXT/BINARY while one is in progress. */
    n = put_frame(f, WS_TEXT, "a", 1);
    n += put_frame(f + n, FIN | WS_TEXT, "b", 1);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
    n = put_frame(f, WS_BINARY, "a", 1);
    n += put_frame(f + n, FIN | WS_PING, "", 0);
    n += put_frame(f + n, WS_BINARY, "b", 1);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 1);
    n = put_frame(f, WS_TEXT, "a", 1);
    n += put_frame(f + n, FIN | WS_BINARY, "b", 1);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
    /* Close payload of one byte. */
    n = put_frame(f, FIN | WS_CLOSE, "\x03", 1);
    expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
    /* 64-bit length with the top bit set. */
    static const uint8_t huge[] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1};
    struct transcript t = {0};
    run(&t, huge, sizeof huge, SIZE_MAX);
    assert_int_equal(t.rc, ONAIR_EPROTO);
    assert_int_equal(t.close_code, WS_CLOSE_PROTOCOL);
    /* Unmasked frame after a good masked one. */
    n = put_frame(f, FIN | WS_TEXT, "ok", 2);
    uint8_t g[64];
    size_t gn = mask_frames(f, n, g);
    gn += put_frame(g + gn, FIN | WS_TEXT, "no", 2);
    run(&t, g, gn, 100);
    assert_int_equal(t.rc, ONAIR_EPROTO);
    assert_int_equal(t.close_code, WS_CLOSE_PROTOCOL);
    assert_int_equal(t.n, 1);
    transcript_free(&t);
}

static void test_errors_detected_early(void **state)
{
    (void)state;
    struct ws_reader r;
    struct transcript t = {0};
    /* RSV bit: the first byte alone. */
    ws_reader_init(&r, 100);
    assert_int_equal(ws_reader_feed(&r, (const uint8_t *)"\xc1", 1, record, &t), ONAIR_EPROTO);
    assert_int_equal(r.close_code, WS_CLOSE_PROTOCOL);
    ws_reader_free(&r);
    /* Unknown opcode: the first byte alone. */
    ws_reader_init(&r, 100);
    assert_int_equal(ws_reader_feed(&r, (const uint8_t *)"\x83", 1, record, &t), ONAIR_EPROTO);
    ws_reader_free(&r);
    /* Too long for max_message: the length bytes alone, no mask key yet. */
    ws_reader_init(&r, 1000);
    assert_int_equal(ws_reader_feed(&r, (const uint8_t *)"\x82\xfe\x03", 3, record, &t), 0);
    assert_int_equal(ws_reader_feed(&r, (const uint8_t *)"\xe9", 1, record, &t), ONAIR_ETOOBIG);
    assert_int_equal(r.close_code, WS_CLOSE_TOO_BIG);
    ws_reader_free(&r);
    assert_int_equal(t.n, 0);
}

static void test_too_big(void **state)
{
    (void)state;
    struct transcript t = {0};
    /* Length fields over the max with no payload sent, in every form. */
    static const uint8_t h7[] = {0x81, 0x80 | 101, 1, 2, 3, 4};
    static const uint8_t h16[] = {0x82, 0xfe, 0xff, 0xff, 1, 2, 3, 4};
    static const uint8_t h64[] = {0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff,
                                  0xff, 0xff, 0xff, 1,    2,    3,    4};
    run(&t, h7, sizeof h7, 100);
    assert_int_equal(t.rc, ONAIR_ETOOBIG);
    assert_int_equal(t.close_code, WS_CLOSE_TOO_BIG);
    run(&t, h16, sizeof h16, 65534);
    assert_int_equal(t.rc, ONAIR_ETOOBIG);
    assert_int_equal(t.close_code, WS_CLOSE_TOO_BIG);
    run(&t, h64, sizeof h64, 1 << 20);
    assert_int_equal(t.rc, ONAIR_ETOOBIG);
    assert_int_equal(t.close_code, WS_CLOSE_TOO_BIG);

    /* Fragments that together pass the max: refused at the header of the
     * fragment that would cross it. */
    uint8_t payload[600];
    memset(payload, 'a', sizeof payload);
    uint8_t *f = malloc(2000);
    size_t n = put_frame(f, WS_TEXT, payload, 600);
    n += put_frame(f + n, WS_CONT, payload, 400);
    n += put_frame(f + n, FIN | WS_CONT, payload, 1);
    expect_error(f, n, 1000, ONAIR_ETOOBIG, WS_CLOSE_TOO_BIG, 0);
    /* Exactly the max is fine. */
    n = put_frame(f, WS_TEXT, payload, 600);
    n += put_frame(f + n, FIN | WS_CONT, payload, 400);
    expect_error(f, n, 1000, 0, 0, 1);
    free(f);
}

/* ---- close frames ------------------------------------------------------ */

static void test_close_codes(void **state)
{
    (void)state;
    uint8_t f[64];
    struct transcript t = {0};
    for (unsigned code = 0; code < 70000; code++) {
        bool want = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                    (code >= 3000 && code <= 4999);
        assert_int_equal(ws_close_code_valid(code), want);
    }
    static const uint16_t good[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                    1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999};
    static const uint16_t bad[] = {0,    999,  1004, 1005, 1006, 1015,
                                   1016, 1100, 2000, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint8_t p[2] = {(uint8_t)(good[i] >> 8), (uint8_t)good[i]};
        size_t n = put_frame(f, FIN | WS_CLOSE, p, 2);
        run_masked(&t, f, n, 100);
        assert_int_equal(t.rc, 0);
        assert_int_equal(t.n, 1);
        assert_int_equal(t.m[0].opcode, WS_CLOSE);
        assert_int_equal(t.m[0].close_code, good[i]);
        assert_int_equal(t.m[0].len, 0);
        transcript_free(&t);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t p[2] = {(uint8_t)(bad[i] >> 8), (uint8_t)bad[i]};
        size_t n = put_frame(f, FIN | WS_CLOSE, p, 2);
        expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_PROTOCOL, 0);
    }
    /* Empty close: 1005. */
    size_t n = put_frame(f, FIN | WS_CLOSE, "", 0);
    run_masked(&t, f, n, 100);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.m[0].close_code, WS_CLOSE_NO_STATUS);
    assert_int_equal(t.m[0].len, 0);
    transcript_free(&t);
}

static void test_close_reasons(void **state)
{
    (void)state;
    uint8_t f[200];
    struct transcript t = {0};
    /* A UTF-8 reason: 1001 "bye 안녕". */
    size_t n = put_frame(f, FIN | WS_CLOSE,
                         "\x03\xe9"
                         "bye \xec\x95\x88\xeb\x85\x95",
                         12);
    run_masked(&t, f, n, 100);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.m[0].close_code, 1001);
    assert_int_equal(t.m[0].len, 10);
    assert_memory_equal(t.m[0].data, "bye \xec\x95\x88\xeb\x85\x95", 10);
    transcript_free(&t);

    /* Invalid reasons: 1007. */
    static const char *bad[] = {"\xff", "ab\xc0\xaf", "\xed\xa0\x80", "cut \xec\x95"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t p[32] = {0x03, 0xe8};
        size_t rl = strlen(bad[i]);
        memcpy(p + 2, bad[i], rl);
        n = put_frame(f, FIN | WS_CLOSE, p, 2 + rl);
        expect_error(f, n, 100, ONAIR_EPROTO, WS_CLOSE_BAD_DATA, 0);
    }

    /* Bytes after a close are ignored, now and in later feeds. */
    n = put_frame(f, FIN | WS_CLOSE, "\x03\xe8", 2);
    n += put_frame(f + n, FIN | WS_TEXT, "after", 5);
    n += put_frame(f + n, 0xff, "garbage", 7);
    uint8_t g[200];
    size_t gn = mask_frames(f, n, g);
    struct ws_reader r;
    ws_reader_init(&r, 100);
    assert_int_equal(ws_reader_feed(&r, g, gn, record, &t), 0);
    assert_true(r.closed);
    assert_int_equal(ws_reader_feed(&r, (const uint8_t *)"\xff\xff", 2, record, &t), 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.m[0].opcode, WS_CLOSE);
    ws_reader_free(&r);
    transcript_free(&t);
}

/* ---- callback errors, byte-at-a-time equivalence ------------------------- */

static void test_callback_stops(void **state)
{
    (void)state;
    uint8_t f[64];
    size_t n = put_frame(f, FIN | WS_TEXT, "one", 3);
    n += put_frame(f + n, FIN | WS_TEXT, "two", 3);
    n += put_frame(f + n, FIN | WS_TEXT, "three", 5);
    struct transcript t = {.stop_after = 2};
    run_masked(&t, f, n, 100);
    assert_int_equal(t.rc, -99);
    assert_int_equal(t.close_code, 0);
    assert_int_equal(t.n, 2);
    assert_memory_equal(t.m[1].data, "two", 3);
    transcript_free(&t);
}

static void test_mixed_stream_any_split(void **state)
{
    (void)state;
    /* Many kinds of frame in one stream; every split point into two feeds
     * gives what the whole stream gives. */
    uint8_t *f = malloc(4096);
    uint8_t big[300];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)('a' + i % 26);
    size_t n = put_frame(f, FIN | WS_TEXT, "\xec\x95\x88\xeb\x85\x95", 6);
    n += put_frame(f + n, WS_TEXT, "frag \xf0\x9f", 7);
    n += put_frame(f + n, FIN | WS_PING, "p", 1);
    n += put_frame(f + n, WS_CONT, "\x98\x80", 2);
    n += put_frame(f + n, FIN | WS_CONT, big, 200);
    n += put_frame(f + n, FIN | WS_BINARY, big, 300);
    n += put_frame(f + n, FIN | WS_PONG, big, 125);
    n += put_frame(f + n, FIN | WS_CLOSE,
                   "\x0f\xa0"
                   "done",
                   6);
    uint8_t *g = malloc(4096);
    size_t gn = mask_frames(f, n, g);

    struct transcript whole = {0};
    run(&whole, g, gn, 1000);
    assert_int_equal(whole.rc, 0);
    assert_int_equal(whole.n, 6);
    assert_int_equal(whole.m[1].opcode, WS_PING);
    assert_int_equal(whole.m[2].opcode, WS_TEXT);
    assert_int_equal(whole.m[2].len, 209);
    assert_int_equal(whole.m[5].close_code, 4000);
    assert_memory_equal(whole.m[5].data, "done", 4);

    for (size_t cut = 0; cut <= gn; cut++) {
        struct transcript t = {0};
        struct ws_reader r;
        ws_reader_init(&r, 1000);
        t.rc = ws_reader_feed(&r, g, cut, record, &t);
        if (t.rc == 0)
            t.rc = ws_reader_feed(&r, g + cut, gn - cut, record, &t);
        t.close_code = r.close_code;
        ws_reader_free(&r);
        assert_same(&whole, &t);
        transcript_free(&t);
    }
    transcript_free(&whole);
    free(f);
    free(g);
}

/* ---- encoders ------------------------------------------------------- */

static void test_header_sizes(void **state)
{
    (void)state;
    uint8_t h[10];
    assert_int_equal(ws_frame_header(h, WS_TEXT, 0), 2);
    assert_memory_equal(h, "\x81\x00", 2);
    assert_int_equal(ws_frame_header(h, WS_TEXT, 125), 2);
    assert_memory_equal(h, "\x81\x7d", 2);
    assert_int_equal(ws_frame_header(h, WS_BINARY, 126), 4);
    assert_memory_equal(h, "\x82\x7e\x00\x7e", 4);
    assert_int_equal(ws_frame_header(h, WS_TEXT, 65535), 4);
    assert_memory_equal(h, "\x81\x7e\xff\xff", 4);
    assert_int_equal(ws_frame_header(h, WS_TEXT, 65536), 10);
    assert_memory_equal(h, "\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    assert_int_equal(ws_frame_header(h, WS_BINARY, (size_t)0x123456789a), 10);
    assert_memory_equal(h, "\x82\x7f\x00\x00\x00\x12\x34\x56\x78\x9a", 10);
    assert_int_equal(ws_frame_header(h, WS_CLOSE, 2), 2);
    assert_memory_equal(h, "\x88\x02", 2);
    assert_int_equal(ws_frame_header(h, WS_PONG, 125), 2);
    assert_memory_equal(h, "\x8a\x7d", 2);
}

static void test_encoder_round_trip(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 3, 8, 125, 126, 127, 1000, 65535, 65536, 70001};
    uint8_t *payload = malloc(70001);
    for (size_t i = 0; i < 70001; i++)
        payload[i] = (uint8_t)('A' + (i * 13) % 58); /* ASCII: valid TEXT too */
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (int op = WS_TEXT; op <= WS_BINARY; op++) {
            struct buf b;
            buf_init(&b, 0);
            assert_int_equal(ws_frame_write(&b, (enum ws_opcode)op, payload, lens[i]), 0);
            /* The header writer agrees with the frame writer. */
            uint8_t h[10];
            size_t hl = ws_frame_header(h, (enum ws_opcode)op, lens[i]);
            assert_int_equal(b.len, hl + lens[i]);
            assert_memory_equal(b.data, h, hl);
            struct transcript t = {0};
            run_masked(&t, (const uint8_t *)b.data, b.len, 70001);
            assert_int_equal(t.rc, 0);
            assert_int_equal(t.n, 1);
            assert_int_equal(t.m[0].opcode, op);
            assert_int_equal(t.m[0].len, lens[i]);
            assert_memory_equal(t.m[0].data, payload, lens[i]);
            transcript_free(&t);
            buf_free(&b);
        }
    }
    /* Control frames. */
    for (int op = WS_PING; op <= WS_PONG; op++) {
        struct buf b;
        buf_init(&b, 0);
        assert_int_equal(ws_frame_write(&b, (enum ws_opcode)op, payload, 125), 0);
        struct transcript t = {0};
        run_masked(&t, (const uint8_t *)b.data, b.len, 0);
        assert_int_equal(t.n, 1);
        assert_int_equal(t.m[0].opcode, op);
        assert_memory_equal(t.m[0].data, payload, 125);
        transcript_free(&t);
        buf_free(&b);
    }
    free(payload);
}

static void test_encoder_errors(void **state)
{
    (void)state;
    struct buf b;
    uint8_t p[200] = {0};
    buf_init(&b, 0);
    assert_int_equal(ws_frame_write(&b, WS_PING, p, 126), ONAIR_EINVAL);
    assert_int_equal(ws_frame_write(&b, WS_CLOSE, p, 126), ONAIR_EINVAL);
    assert_int_equal(ws_frame_write(&b, WS_CONT, p, 1), ONAIR_EINVAL);
    assert_int_equal(ws_frame_write(&b, (enum ws_opcode)3, p, 1), ONAIR_EINVAL);
    assert_int_equal(b.len, 0);
    buf_free(&b);

    /* A capped buffer: a frame that does not fit leaves it as it was,
     * whether the header or the payload is what fails. */
    buf_init(&b, 10);
    assert_int_equal(buf_append(&b, "xy", 2), 0);
    assert_int_equal(ws_frame_write(&b, WS_TEXT, "abcdefg", 7), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "xy");
    assert_int_equal(ws_frame_write(&b, WS_TEXT, p, 200), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 2);
    assert_int_equal(ws_frame_write(&b, WS_TEXT, "abcdef", 6), 0); /* exactly fits */
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data,
                        "xy\x81\x06"
                        "abcdef",
                        10);
    buf_free(&b);
}

static void test_close_write(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);

    assert_int_equal(ws_close_write(&b, WS_CLOSE_NORMAL, NULL), 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "\x88\x02\x03\xe8", 4);
    buf_reset(&b);
    assert_int_equal(ws_close_write(&b, WS_CLOSE_TOO_BIG, "too big"), 0);
    assert_int_equal(b.len, 11);
    assert_memory_equal(b.data, "\x88\x09\x03\xf1too big", 11);
    buf_reset(&b);
    assert_int_equal(ws_close_write(&b, WS_CLOSE_NO_STATUS, NULL), 0);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "\x88\x00", 2);
    buf_reset(&b);
    assert_int_equal(ws_close_write(&b, WS_CLOSE_NO_STATUS, ""), 0);
    assert_int_equal(b.len, 2);
    buf_reset(&b);

    /* Codes that may not be sent, and a reason that is not UTF-8. */
    assert_int_equal(ws_close_write(&b, WS_CLOSE_NO_STATUS, "why"), ONAIR_EINVAL);
    assert_int_equal(ws_close_write(&b, WS_CLOSE_ABNORMAL, NULL), ONAIR_EINVAL);
    assert_int_equal(ws_close_write(&b, 1004, NULL), ONAIR_EINVAL);
    assert_int_equal(ws_close_write(&b, 1015, NULL), ONAIR_EINVAL);
    assert_int_equal(ws_close_write(&b, 999, NULL), ONAIR_EINVAL);
    assert_int_equal(ws_close_write(&b, 5000, NULL), ONAIR_EINVAL);
    assert_int_equal(ws_close_write(&b, 1000, "bad \xff"), ONAIR_EINVAL);
    assert_int_equal(b.len, 0);

    /* A long Korean reason is cut to fit 125 bytes at a character
     * boundary: "a" + 41 x 안 would be 124 reason bytes, so 40 remain. */
    char reason[200];
    size_t rl = 0;
    reason[rl++] = 'a';
    for (int i = 0; i < 50; i++) {
        memcpy(reason + rl, "\xec\x95\x88", 3);
        rl += 3;
    }
    reason[rl] = 0;
    assert_int_equal(ws_close_write(&b, 4001, reason), 0);
    assert_int_equal(b.len, 2 + 2 + 1 + 40 * 3);
    assert_int_equal((uint8_t)b.data[1], 2 + 1 + 40 * 3);
    struct transcript t = {0};
    run_masked(&t, (const uint8_t *)b.data, b.len, 0);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.m[0].close_code, 4001);
    assert_int_equal(t.m[0].len, 121);
    assert_memory_equal(t.m[0].data, reason, 121);
    transcript_free(&t);
    buf_reset(&b);

    /* 123 reason bytes exactly fit. */
    memset(reason, 'r', 123);
    reason[123] = 0;
    assert_int_equal(ws_close_write(&b, 1000, reason), 0);
    assert_int_equal(b.len, 127);
    buf_reset(&b);
    reason[123] = 'r';
    reason[124] = 0;
    assert_int_equal(ws_close_write(&b, 1000, reason), 0);
    assert_int_equal(b.len, 127);

    /* Every sendable code round trips through the reader. */
    for (unsigned code = 1000; code < 5000; code++) {
        if (!ws_close_code_valid(code))
            continue;
        buf_reset(&b);
        assert_int_equal(ws_close_write(&b, (uint16_t)code, "x"), 0);
        run_masked(&t, (const uint8_t *)b.data, b.len, 0);
        assert_int_equal(t.m[0].close_code, code);
        transcript_free(&t);
    }
    buf_free(&b);
}

static void test_buffer_released(void **state)
{
    (void)state;
    /* A large message's buffer is not kept once it is delivered; a small
     * one is. The buffer never grows past max_message. */
    uint8_t *payload = calloc(1, 5000);
    uint8_t *f = malloc(6000), *g = malloc(6000);
    struct ws_reader r;
    struct transcript t = {0};
    ws_reader_init(&r, 5000);
    size_t n = put_frame(f, FIN | WS_BINARY, payload, 5000);
    size_t gn = mask_frames(f, n, g);
    for (size_t i = 0; i < gn; i += 100) {
        size_t k = gn - i < 100 ? gn - i : 100;
        assert_int_equal(ws_reader_feed(&r, g + i, k, record, &t), 0);
        assert_true(r.msg_cap <= 5000);
    }
    assert_int_equal(t.n, 1);
    assert_int_equal(r.msg_cap, 0);
    n = put_frame(f, FIN | WS_BINARY, payload, 100);
    gn = mask_frames(f, n, g);
    assert_int_equal(ws_reader_feed(&r, g, gn, record, &t), 0);
    assert_true(r.msg_cap > 0 && r.msg_cap <= WS_READER_KEEP);
    ws_reader_free(&r);
    transcript_free(&t);
    free(payload);
    free(f);
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_masked_hello),
        cmocka_unit_test(test_rfc_unmasked_hello_refused),
        cmocka_unit_test(test_rfc_fragmented_hello),
        cmocka_unit_test(test_rfc_ping_pong),
        cmocka_unit_test(test_rfc_binary_lengths),
        cmocka_unit_test(test_accept_key),
        cmocka_unit_test(test_utf8_split_across_fragments),
        cmocka_unit_test(test_utf8_invalid_in_later_fragment),
        cmocka_unit_test(test_interleaved_control),
        cmocka_unit_test(test_empty_messages),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_errors_detected_early),
        cmocka_unit_test(test_too_big),
        cmocka_unit_test(test_close_codes),
        cmocka_unit_test(test_close_reasons),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_mixed_stream_any_split),
        cmocka_unit_test(test_header_sizes),
        cmocka_unit_test(test_encoder_round_trip),
        cmocka_unit_test(test_encoder_errors),
        cmocka_unit_test(test_close_write),
        cmocka_unit_test(test_buffer_released),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * fuzz_ws_frame.c - libFuzzer target for the WebSocket frame reader and
 * encoders (src/ws/frame.c).
 *
 * Input layout: byte 0 picks max_message (4 * byte, so 0..1020); byte 1's
 * low four bits give a count k of piece sizes that follow (one byte each);
 * the rest is the client's byte stream. The stream is fed to one reader in
 * pieces of those sizes (cycling; a 0 feeds an empty piece, then one byte),
 * to a second reader whole and to a third byte at a time. All three must
 * deliver the same messages and end with the same result and close code.
 *
 * Invariants checked for every delivered message: a known opcode; TEXT and
 * BINARY at most max_message bytes, TEXT valid UTF-8 (utf8_valid); control
 * payloads at most 125 bytes; CLOSE with a sendable code (or 1005 and no
 * reason) and a UTF-8 reason. Each message is written back with the
 * encoders, masked here and read by a fresh reader, which must give the
 * same message. Errors are only EPROTO (close 1002/1007) and ETOOBIG
 * (1009); a dead reader keeps its error; the reassembly buffer never
 * passes max_message. Any violation abort()s.
 * Seeds: tests/fuzz/corpus/ws_frame/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"
#include "ws/frame.h"

struct trace {
    uint64_t hash;
    size_t count;
    size_t max;
    bool round_trip;
};

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 1099511628211ull;
    }
}

static void hash_message(uint64_t *h, const struct ws_message *m)
{
    uint32_t head[3] = {(uint32_t)m->opcode, (uint32_t)m->len, m->close_code};
    hash_bytes(h, head, sizeof head);
    hash_bytes(h, m->data, m->len);
}

struct capture {
    size_t count;
    uint64_t hash;
};

static int capture_fn(const struct ws_message *m, void *arg)
{
    struct capture *c = arg;
    c->count++;
    hash_message(&c->hash, m);
    return 0;
}

/* Sets the mask bit of the single server frame in b and masks its payload
 * with a key taken from the payload's own bytes. */
static void mask_frame(const struct buf *b, struct buf *out)
{
    const uint8_t *p = (const uint8_t *)b->data;
    size_t len7 = p[1] & 0x7F;
    size_t hl = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
    uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    for (size_t i = hl; i < b->len && i < hl + 4; i++)
        key[i - hl] ^= p[i];
    if (buf_append(out, p, hl) || buf_append(out, key, 4))
        abort();
    out->data[1] = (char)(out->data[1] | 0x80);
    for (size_t i = hl; i < b->len; i++) {
        uint8_t c = p[i] ^ key[(i - hl) & 3];
        if (buf_append(out, &c, 1))
            abort();
    }
}

/* Writes m back as a server frame and reads it again. */
static void round_trip(const struct ws_message *m, size_t max)
{
    struct buf frame, masked;
    buf_init(&frame, 0);
    buf_init(&masked, 0);
    int rc;
    if (m->opcode == WS_CLOSE) {
        uint8_t p[WS_CONTROL_MAX];
        size_t n = 0;
        if (m->close_code != WS_CLOSE_NO_STATUS) {
            p[0] = (uint8_t)(m->close_code >> 8);
            p[1] = (uint8_t)m->close_code;
            memcpy(p + 2, m->data, m->len);
            n = 2 + m->len;
        }
        rc = ws_frame_write(&frame, WS_CLOSE, p, n);
        /* ws_close_write gives the same bytes when the reason is a C string. */
        if (memchr(m->data, 0, m->len) == NULL) {
            char reason[WS_CONTROL_MAX + 1];
            memcpy(reason, m->data, m->len);
            reason[m->len] = '\0';
            struct buf again;
            buf_init(&again, 0);
            if (ws_close_write(&again, m->close_code, reason) != 0 || again.len != frame.len ||
                memcmp(again.data, frame.data, frame.len) != 0)
                abort();
            buf_free(&again);
        }
    } else {
        rc = ws_frame_write(&frame, m->opcode, m->data, m->len);
    }
    if (rc != 0)
        abort();
    uint8_t hdr[10];
    size_t hl = ws_frame_header(hdr, m->opcode, m->opcode == WS_CLOSE ? frame.len - 2 : m->len);
    if (hl > frame.len || memcmp(hdr, frame.data, hl) != 0)
        abort();
    mask_frame(&frame, &masked);

    struct ws_reader r;
    struct capture want = {0, 14695981039346656037ull}, got = {0, 14695981039346656037ull};
    ws_reader_init(&r, max);
    if (ws_reader_feed(&r, (const uint8_t *)masked.data, masked.len, capture_fn, &got) != 0)
        abort();
    capture_fn(m, &want);
    if (got.count != 1 || got.hash != want.hash)
        abort();
    ws_reader_free(&r);
    buf_free(&frame);
    buf_free(&masked);
}

static int check_fn(const struct ws_message *m, void *arg)
{
    struct trace *t = arg;
    if (m->data == NULL)
        abort();
    switch (m->opcode) {
    case WS_TEXT:
        if (!utf8_valid(m->data, m->len))
            abort();
        /* fall through */
    case WS_BINARY:
        if (m->len > t->max || m->close_code != 0)
            abort();
        break;
    case WS_PING:
    case WS_PONG:
        if (m->len > WS_CONTROL_MAX || m->close_code != 0)
            abort();
        break;
    case WS_CLOSE:
        if (m->len > WS_CONTROL_MAX - 2 || !utf8_valid(m->data, m->len))
            abort();
        if (m->close_code == WS_CLOSE_NO_STATUS ? m->len != 0 : !ws_close_code_valid(m->close_code))
            abort();
        break;
    default:
        abort();
    }
    t->count++;
    hash_message(&t->hash, m);
    if (t->round_trip)
        round_trip(m, t->max);
    return 0;
}

struct result {
    int rc;
    uint16_t close_code;
    bool closed;
    struct trace trace;
};

static void check_state(const struct ws_reader *r, int rc)
{
    if (r->msg_cap > r->max_message || r->msg_len > r->msg_cap)
        abort();
    if (rc == 0 && r->close_code != 0)
        abort();
    if (rc == ONAIR_EPROTO && r->close_code != WS_CLOSE_PROTOCOL &&
        r->close_code != WS_CLOSE_BAD_DATA)
        abort();
    if (rc == ONAIR_ETOOBIG && r->close_code != WS_CLOSE_TOO_BIG)
        abort();
    if (rc != 0 && rc != ONAIR_EPROTO && rc != ONAIR_ETOOBIG)
        abort();
}

/* Feeds p in pieces: sizes[i % nsizes] (all at once if nsizes is 0, one
 * byte at a time if sizes is NULL). */
static void run(struct result *res, const uint8_t *p, size_t n, size_t max, const uint8_t *sizes,
                size_t nsizes, bool round)
{
    struct ws_reader r;
    memset(res, 0, sizeof *res);
    res->trace.hash = 14695981039346656037ull;
    res->trace.max = max;
    res->trace.round_trip = round;
    ws_reader_init(&r, max);
    size_t i = 0, k = 0;
    int rc = 0;
    while (rc == 0 && i < n) {
        size_t piece = sizes == NULL ? 1 : nsizes == 0 ? n - i : sizes[k++ % nsizes];
        if (piece > n - i)
            piece = n - i;
        if (piece == 0) {
            rc = ws_reader_feed(&r, p + i, 0, check_fn, &res->trace);
            check_state(&r, rc);
            piece = 1;
            if (rc)
                break;
        }
        rc = ws_reader_feed(&r, p + i, piece, check_fn, &res->trace);
        check_state(&r, rc);
        i += piece;
    }
    if (rc != 0) {
        /* Dead: the same error, nothing delivered. */
        size_t before = res->trace.count;
        static const uint8_t more[] = {0x81, 0x80, 0, 0, 0, 0};
        if (ws_reader_feed(&r, more, sizeof more, check_fn, &res->trace) != rc ||
            res->trace.count != before)
            abort();
    }
    res->rc = rc;
    res->close_code = r.close_code;
    res->closed = r.closed;
    ws_reader_free(&r);
}

static bool same(const struct result *a, const struct result *b)
{
    return a->rc == b->rc && a->close_code == b->close_code && a->closed == b->closed &&
           a->trace.count == b->trace.count && a->trace.hash == b->trace.hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max = (size_t)data[0] * 4;
    size_t nsizes = data[1] & 15;
    if (size - 2 < nsizes)
        return 0;
    const uint8_t *sizes = data + 2;
    size_t n = size - 2 - nsizes;
    /* An exact-size copy so ASan flags any read past the end. */
    uint8_t *in = malloc(n ? n : 1);
    memcpy(in, data + 2 + nsizes, n);

    struct result a, b, c;
    run(&a, in, n, max, sizes, nsizes, true);
    run(&b, in, n, max, sizes, 0, false);
    run(&c, in, n, max, NULL, 0, false);
    if (!same(&a, &b) || !same(&a, &c))
        abort();

    free(in);
    return 0;
}

/*
 * Unit tests for src/rtmp/chunk.c: the chunk stream reader on hand-built
 * byte sequences (what OBS sends and what the spec allows), error cases, and
 * the writer.
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
#include "rtmp/chunk.h"

#define MAX_GOT 256

struct got {
    uint32_t csid, stream_id, timestamp, length;
    uint8_t type;
    uint8_t *payload;
};

struct sink {
    struct got m[MAX_GOT];
    int n;
    int fail_at; /* return -100 from this message on (0: never) */
};

static int collect(const struct rtmp_message *msg, void *arg)
{
    struct sink *s = arg;
    if (s->fail_at && s->n + 1 >= s->fail_at)
        return -100;
    assert_true(s->n < MAX_GOT);
    assert_non_null(msg->payload);
    struct got *g = &s->m[s->n++];
    g->csid = msg->csid;
    g->stream_id = msg->stream_id;
    g->timestamp = msg->timestamp;
    g->length = msg->length;
    g->type = msg->type;
    g->payload = malloc(msg->length ? msg->length : 1);
    memcpy(g->payload, msg->payload, msg->length);
    return 0;
}

static void sink_clear(struct sink *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->m[i].payload);
    s->n = 0;
    s->fail_at = 0;
}

static void sinks_equal(const struct sink *a, const struct sink *b)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        assert_int_equal(a->m[i].csid, b->m[i].csid);
        assert_int_equal(a->m[i].stream_id, b->m[i].stream_id);
        assert_int_equal(a->m[i].timestamp, b->m[i].timestamp);
        assert_int_equal(a->m[i].length, b->m[i].length);
        assert_int_equal(a->m[i].type, b->m[i].type);
        assert_memory_equal(a->m[i].payload, b->m[i].payload, a->m[i].length);
    }
}

/* ---- hand encoders, written from the spec (independent of the writer) ---- */

static void put(struct buf *b, const void *p, size_t n)
{
    assert_int_equal(buf_append(b, p, n), 0);
}

static void put_basic(struct buf *b, unsigned fmt, uint32_t csid)
{
    uint8_t h[3];
    if (csid <= 63) {
        h[0] = (uint8_t)(fmt << 6 | csid);
        put(b, h, 1);
    } else if (csid <= 319) {
        h[0] = (uint8_t)(fmt << 6);
        h[1] = (uint8_t)(csid - 64);
        put(b, h, 2);
    } else {
        h[0] = (uint8_t)(fmt << 6 | 1);
        h[1] = (uint8_t)((csid - 64) % 256);
        h[2] = (uint8_t)((csid - 64) / 256);
        put(b, h, 3);
    }
}

static void put24(struct buf *b, uint32_t v)
{
    uint8_t h[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, h, 3);
}

static void put32(struct buf *b, uint32_t v)
{
    uint8_t h[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(b, h, 4);
}

/* fmt 0; ts >= 0xFFFFFF goes to the extended field. */
static void hdr0(struct buf *b, uint32_t csid, uint32_t ts, uint32_t len, uint8_t type,
                 uint32_t sid)
{
    put_basic(b, 0, csid);
    put24(b, ts >= 0xFFFFFF ? 0xFFFFFF : ts);
    put24(b, len);
    put(b, &type, 1);
    uint8_t le[4] = {(uint8_t)sid, (uint8_t)(sid >> 8), (uint8_t)(sid >> 16), (uint8_t)(sid >> 24)};
    put(b, le, 4);
    if (ts >= 0xFFFFFF)
        put32(b, ts);
}

static void hdr1(struct buf *b, uint32_t csid, uint32_t delta, uint32_t len, uint8_t type)
{
    put_basic(b, 1, csid);
    put24(b, delta >= 0xFFFFFF ? 0xFFFFFF : delta);
    put24(b, len);
    put(b, &type, 1);
    if (delta >= 0xFFFFFF)
        put32(b, delta);
}

static void hdr2(struct buf *b, uint32_t csid, uint32_t delta)
{
    put_basic(b, 2, csid);
    put24(b, delta);
}

static void hdr3(struct buf *b, uint32_t csid)
{
    put_basic(b, 3, csid);
}

/* A message body chunked by hand: the caller wrote the first header. */
static void body(struct buf *b, uint32_t csid, const uint8_t *p, size_t len, size_t chunk, bool ext,
                 uint32_t ext_value)
{
    size_t off = 0;
    for (;;) {
        size_t n = len - off < chunk ? len - off : chunk;
        put(b, p + off, n);
        off += n;
        if (off == len)
            break;
        hdr3(b, csid);
        if (ext)
            put32(b, ext_value);
    }
}

static uint8_t *pattern(size_t len, unsigned seed)
{
    uint8_t *p = malloc(len ? len : 1);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 8));
    return p;
}

/* connect(1, {...}) as OBS sends it: 232 bytes, more than one 128-byte chunk. */
static const char OBS_CONNECT[] = "\x02\x00\x07"
                                  "connect"
                                  "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"
                                  "\x03"
                                  "\x00\x03"
                                  "app"
                                  "\x02\x00\x04"
                                  "live"
                                  "\x00\x04"
                                  "type"
                                  "\x02\x00\x0a"
                                  "nonprivate"
                                  "\x00\x0e"
                                  "supportsGoAway"
                                  "\x01\x01"
                                  "\x00\x08"
                                  "flashVer"
                                  "\x02\x00\x1f"
                                  "FMLE/3.0 (compatible; FMSc/1.0)"
                                  "\x00\x06"
                                  "swfUrl"
                                  "\x02\x00\x1b"
                                  "rtmp://127.0.0.1:19350/live"
                                  "\x00\x05"
                                  "tcUrl"
                                  "\x02\x00\x1b"
                                  "rtmp://127.0.0.1:19350/live"
                                  "\x00\x00\x09";
#define OBS_CONNECT_LEN (sizeof OBS_CONNECT - 1)

static const char OBS_PUBLISH[] = "\x02\x00\x07"
                                  "publish"
                                  "\x00\x40\x14\x00\x00\x00\x00\x00\x00"
                                  "\x05"
                                  "\x02\x00\x04"
                                  "obs1"
                                  "\x02\x00\x04"
                                  "live";
#define OBS_PUBLISH_LEN (sizeof OBS_PUBLISH - 1)

static const uint8_t AUDIO_SEQ[7] = {0xAF, 0x00, 0x11, 0x90, 0x56, 0xE5, 0x00};

struct expect {
    uint32_t csid, sid, ts, len;
    uint8_t type;
};

/* The OBS publishing session from reference/obs-rtmp.md, from Set Chunk Size
 * to interleaved media on csid 4 (plus a spec-style fmt 3 new message). */
static const struct expect OBS_EXPECT[] = {
    {2, 0, 0, 4, RTMP_MSG_SET_CHUNK_SIZE},
    {3, 0, 0, OBS_CONNECT_LEN, RTMP_MSG_COMMAND_AMF0},
    {4, 1, 0, OBS_PUBLISH_LEN, RTMP_MSG_COMMAND_AMF0},
    {4, 1, 0, 300, RTMP_MSG_DATA_AMF0},
    {4, 1, 0, 7, RTMP_MSG_AUDIO},
    {4, 1, 0, 40, RTMP_MSG_VIDEO},
    {4, 1, 0, 9000, RTMP_MSG_VIDEO}, /* three 4096-byte chunks */
    {4, 1, 21, 8, RTMP_MSG_AUDIO},
    {4, 1, 42, 8, RTMP_MSG_AUDIO},    /* fmt 2 */
    {4, 1, 67, 300, RTMP_MSG_VIDEO},  /* fmt 1: delta from the audio */
    {4, 1, 100, 300, RTMP_MSG_VIDEO}, /* fmt 2 */
    {4, 1, 107, 8, RTMP_MSG_AUDIO},
    {4, 1, 114, 8, RTMP_MSG_AUDIO}, /* fmt 3: repeats the delta */
    {4, 1, 4200, 5000, RTMP_MSG_VIDEO},
};
#define OBS_NEXPECT (sizeof OBS_EXPECT / sizeof OBS_EXPECT[0])

static void build_obs(struct buf *b)
{
    const size_t cs = 4096;
    /* One TCP write: Set Chunk Size 4096 then connect, which already uses it. */
    hdr0(b, 2, 0, 4, RTMP_MSG_SET_CHUNK_SIZE, 0);
    put32(b, 4096);
    hdr0(b, 3, 0, OBS_CONNECT_LEN, RTMP_MSG_COMMAND_AMF0, 0);
    put(b, OBS_CONNECT, OBS_CONNECT_LEN);
    hdr0(b, 4, 0, OBS_PUBLISH_LEN, RTMP_MSG_COMMAND_AMF0, 1);
    put(b, OBS_PUBLISH, OBS_PUBLISH_LEN);
    uint8_t *p = pattern(9000, 1);
    hdr1(b, 4, 0, 300, RTMP_MSG_DATA_AMF0);
    put(b, p, 300);
    hdr1(b, 4, 0, 7, RTMP_MSG_AUDIO);
    put(b, AUDIO_SEQ, 7);
    hdr1(b, 4, 0, 40, RTMP_MSG_VIDEO);
    put(b, p + 1, 40);
    hdr1(b, 4, 0, 9000, RTMP_MSG_VIDEO);
    body(b, 4, p, 9000, cs, false, 0);
    hdr1(b, 4, 21, 8, RTMP_MSG_AUDIO);
    put(b, p + 2, 8);
    hdr2(b, 4, 21);
    put(b, p + 3, 8);
    hdr1(b, 4, 25, 300, RTMP_MSG_VIDEO);
    put(b, p + 4, 300);
    hdr2(b, 4, 33);
    put(b, p + 5, 300);
    hdr1(b, 4, 7, 8, RTMP_MSG_AUDIO);
    put(b, p + 6, 8);
    hdr3(b, 4);
    put(b, p + 7, 8);
    hdr1(b, 4, 4086, 5000, RTMP_MSG_VIDEO);
    body(b, 4, p + 8, 5000, cs, false, 0);
    free(p);
}

static void check_obs(const struct sink *s)
{
    assert_int_equal(s->n, OBS_NEXPECT);
    for (size_t i = 0; i < OBS_NEXPECT; i++) {
        const struct expect *e = &OBS_EXPECT[i];
        assert_int_equal(s->m[i].csid, e->csid);
        assert_int_equal(s->m[i].stream_id, e->sid);
        assert_int_equal(s->m[i].timestamp, e->ts);
        assert_int_equal(s->m[i].length, e->len);
        assert_int_equal(s->m[i].type, e->type);
    }
    assert_memory_equal(s->m[0].payload, "\x00\x00\x10\x00", 4);
    assert_memory_equal(s->m[1].payload, OBS_CONNECT, OBS_CONNECT_LEN);
    assert_memory_equal(s->m[2].payload, OBS_PUBLISH, OBS_PUBLISH_LEN);
    assert_memory_equal(s->m[4].payload, AUDIO_SEQ, 7);
    uint8_t *p = pattern(9000, 1);
    assert_memory_equal(s->m[3].payload, p, 300);
    assert_memory_equal(s->m[6].payload, p, 9000);
    assert_memory_equal(s->m[12].payload, p + 7, 8);
    assert_memory_equal(s->m[13].payload, p + 8, 5000);
    free(p);
}

static void test_obs_session(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    build_obs(&b);
    static struct sink s;
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1 << 20, 16);
    assert_int_equal(rtmp_chunk_reader_chunk_size(r), 128);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
    check_obs(&s);
    assert_int_equal(rtmp_chunk_reader_chunk_size(r), 4096);
    assert_int_equal(rtmp_chunk_reader_bytes(r), b.len);
    sink_clear(&s);
    rtmp_chunk_reader_free(r);
    buf_free(&b);
}

/* Feeds data in pieces whose sizes come from sizes[] (cycled). */
static void feed_pieces(const uint8_t *data, size_t len, const size_t *sizes, size_t nsizes,
                        struct sink *s)
{
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1 << 20, 16);
    size_t off = 0, k = 0;
    while (off < len) {
        size_t n = sizes[k++ % nsizes];
        if (n > len - off)
            n = len - off;
        /* An exact-size copy so ASan catches any read past the piece. */
        uint8_t *piece = malloc(n ? n : 1);
        memcpy(piece, data + off, n);
        assert_int_equal(rtmp_chunk_reader_feed(r, piece, n, collect, s), 0);
        free(piece);
        off += n;
    }
    assert_int_equal(rtmp_chunk_reader_bytes(r), len);
    rtmp_chunk_reader_free(r);
}

static void test_split_feeding(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    build_obs(&b);
    const uint8_t *data = (const uint8_t *)b.data;
    static struct sink whole, s;

    feed_pieces(data, b.len, (size_t[]){b.len}, 1, &whole);
    check_obs(&whole);

    feed_pieces(data, b.len, (size_t[]){1}, 1, &s); /* byte at a time */
    sinks_equal(&whole, &s);
    sink_clear(&s);

    feed_pieces(data, b.len, (size_t[]){0, 3, 1, 17, 0, 129, 4097, 2, 11}, 9, &s);
    sinks_equal(&whole, &s);
    sink_clear(&s);

    /* Two pieces, split at every point. */
    for (size_t cut = 0; cut <= b.len; cut++) {
        feed_pieces(data, b.len, (size_t[]){cut, b.len}, 2, &s);
        sinks_equal(&whole, &s);
        sink_clear(&s);
    }
    sink_clear(&whole);
    buf_free(&b);
}

static void test_many_chunks_interleaved(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;
    uint8_t *big = pattern(10000, 2);
    uint8_t *mid = pattern(300, 3);

    /* A 10000-byte message at chunk size 128 (79 chunks), with a whole
     * message on another chunk stream between two of its chunks and a second
     * long one interleaved chunk by chunk. */
    hdr0(&b, 5, 1000, 10000, RTMP_MSG_VIDEO, 1);
    put(&b, big, 128);
    hdr0(&b, 6, 2000, 3, RTMP_MSG_AUDIO, 1);
    put(&b, "abc", 3);
    hdr0(&b, 7, 3000, 300, RTMP_MSG_DATA_AMF0, 1);
    put(&b, mid, 128);
    size_t off = 128, moff = 128;
    while (off < 10000) {
        hdr3(&b, 5);
        size_t n = 10000 - off < 128 ? 10000 - off : 128;
        put(&b, big + off, n);
        off += n;
        if (moff < 300) {
            hdr3(&b, 7);
            size_t m = 300 - moff < 128 ? 300 - moff : 128;
            put(&b, mid + moff, m);
            moff += m;
        }
    }
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(10000, 8);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.m[0].csid, 6);
    assert_int_equal(s.m[0].timestamp, 2000);
    assert_memory_equal(s.m[0].payload, "abc", 3);
    assert_int_equal(s.m[1].csid, 7);
    assert_int_equal(s.m[1].timestamp, 3000);
    assert_memory_equal(s.m[1].payload, mid, 300);
    assert_int_equal(s.m[2].csid, 5);
    assert_int_equal(s.m[2].length, 10000);
    assert_int_equal(s.m[2].timestamp, 1000);
    assert_memory_equal(s.m[2].payload, big, 10000);
    sink_clear(&s);

    /* The same reader goes on: a fmt 3 new message on csid 5 repeats the
     * fmt 0 timestamp as its delta (RTMP 1.0 5.3.1.2.4). */
    buf_reset(&b);
    hdr3(&b, 6);
    put(&b, "xyz", 3);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.m[0].timestamp, 4000);
    sink_clear(&s);
    rtmp_chunk_reader_free(r);
    free(big);
    free(mid);
    buf_free(&b);
}

/* wanted never asks for more bytes than a message in progress needs: fed
 * one byte at a time through interleaved chunk streams, it stays within
 * the distance to the delivery of every message begun and not delivered,
 * is 0 when none is, and exact where one message is all there is. */
static void test_wanted_is_a_lower_bound(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;
    uint8_t *big = pattern(1000, 4);
    /* Three messages, with begin[] in delivery order: B (200 bytes), whose
     * two chunks have A's first chunk between them; C (3 bytes), between
     * two chunks of A; then A (1000 bytes). */
    size_t begin[3];
    begin[0] = b.len;
    hdr0(&b, 6, 0, 200, RTMP_MSG_AUDIO, 1);
    put(&b, big, 128);
    begin[2] = b.len;
    hdr0(&b, 5, 0, 1000, RTMP_MSG_VIDEO, 1);
    put(&b, big, 128);
    hdr3(&b, 6);
    put(&b, big + 128, 72);
    begin[1] = b.len;
    hdr0(&b, 7, 0, 3, RTMP_MSG_AUDIO, 1);
    put(&b, "abc", 3);
    hdr3(&b, 5);
    body(&b, 5, big + 128, 1000 - 128, 128, false, 0);
    size_t a_header = begin[2] + 12;
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(10000, 8);
    uint32_t *wanted = calloc(b.len + 1, sizeof *wanted);
    size_t done[3] = {0}; /* bytes fed when each was delivered */
    assert_int_equal(rtmp_chunk_reader_wanted(r), 0);
    for (size_t i = 0; i < b.len; i++) {
        int before = s.n;
        assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data + i, 1, collect, &s), 0);
        if (s.n > before)
            done[s.n - 1] = i + 1;
        wanted[i + 1] = rtmp_chunk_reader_wanted(r);
    }
    assert_int_equal(s.n, 3);
    assert_int_equal(s.m[2].length, 1000);
    for (size_t i = 1; i <= b.len; i++) {
        bool busy = false;
        for (int m = 0; m < 3; m++) {
            if (begin[m] < i && i < done[m]) {
                busy = true;
                assert_true(wanted[i] <= done[m] - i);
            }
        }
        assert_int_equal(wanted[i] > 0, busy);
    }
    /* Right after B's header all of it is to come; right after A's, A's
     * first chunk and then the rest of B. */
    assert_int_equal(wanted[begin[0] + 12], 200);
    assert_int_equal(wanted[a_header], 128 + 72);
    sink_clear(&s);
    rtmp_chunk_reader_free(r);
    free(wanted);
    free(big);
    buf_free(&b);
}

static void test_extended_timestamps(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    static struct sink s, s1;
    uint8_t *p = pattern(300, 4);

    /* fmt 0 with an extended timestamp; the continuation chunks repeat it. */
    uint32_t ts = 0x01000000;
    hdr0(&b, 4, ts, 300, RTMP_MSG_VIDEO, 1);
    body(&b, 4, p, 300, 128, true, ts);
    /* A fmt 3 new message: the extended field it carries is the delta. */
    hdr3(&b, 4);
    put32(&b, ts);
    body(&b, 4, p, 300, 128, true, ts);
    /* fmt 1 with a small delta: no more extended fields after it. */
    hdr1(&b, 4, 40, 200, RTMP_MSG_VIDEO);
    body(&b, 4, p, 200, 128, false, 0);
    /* fmt 2 with an extended delta, then a continuation carrying it. */
    put_basic(&b, 2, 4);
    put24(&b, 0xFFFFFF);
    put32(&b, 0x01000005);
    body(&b, 4, p, 200, 128, true, 0x01000005);
    /* Exactly 0xFFFFFF is extended too. */
    hdr0(&b, 5, 0xFFFFFF, 2, RTMP_MSG_AUDIO, 1);
    put(&b, "hi", 2);
    /* The timestamp wraps at 32 bits. */
    hdr0(&b, 6, 0xFFFFFFF0, 1, RTMP_MSG_AUDIO, 1);
    put(&b, "a", 1);
    hdr2(&b, 6, 0x20);
    put(&b, "b", 1);

    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1 << 20, 8);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
    assert_int_equal(s.n, 7);
    assert_int_equal(s.m[0].timestamp, ts);
    assert_memory_equal(s.m[0].payload, p, 300);
    assert_int_equal(s.m[1].timestamp, 2 * ts);
    assert_memory_equal(s.m[1].payload, p, 300);
    assert_int_equal(s.m[2].timestamp, 2 * ts + 40);
    assert_int_equal(s.m[2].length, 200);
    assert_memory_equal(s.m[2].payload, p, 200);
    assert_int_equal(s.m[3].timestamp, 3 * ts + 45);
    assert_memory_equal(s.m[3].payload, p, 200);
    assert_int_equal(s.m[4].timestamp, 0xFFFFFF);
    assert_memory_equal(s.m[4].payload, "hi", 2);
    assert_int_equal(s.m[5].timestamp, 0xFFFFFFF0);
    assert_int_equal(s.m[6].timestamp, 0x10);
    rtmp_chunk_reader_free(r);

    /* Byte at a time gives the same. */
    feed_pieces((const uint8_t *)b.data, b.len, (size_t[]){1}, 1, &s1);
    sinks_equal(&s, &s1);
    sink_clear(&s);
    sink_clear(&s1);
    free(p);
    buf_free(&b);
}

static void test_csid_forms(void **state)
{
    (void)state;
    static const uint32_t ids[] = {2, 63, 64, 65, 319, 320, 321, 1000, 65599};
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        hdr0(&b, ids[i], (uint32_t)i, 200, RTMP_MSG_DATA_AMF0, 1);
        uint8_t *p = pattern(200, (unsigned)i);
        body(&b, ids[i], p, 200, 128, false, 0);
        free(p);
    }
    /* The exact forms: 64 -> 00 00, 319 -> 00 FF, 320 -> 01 00 01, 65599 -> 01 FF FF. */
    struct buf w;
    buf_init(&w, 0);
    put_basic(&w, 0, 64);
    put_basic(&w, 0, 319);
    put_basic(&w, 0, 320);
    put_basic(&w, 3, 65599);
    assert_int_equal(w.len, 2 + 2 + 3 + 3);
    assert_memory_equal(w.data, "\x00\x00\x00\xff\x01\x00\x01\xc1\xff\xff", 10);
    buf_free(&w);

    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1 << 20, 16);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
    assert_int_equal(s.n, sizeof ids / sizeof ids[0]);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        assert_int_equal(s.m[i].csid, ids[i]);
        assert_int_equal(s.m[i].timestamp, i);
        uint8_t *p = pattern(200, (unsigned)i);
        assert_memory_equal(s.m[i].payload, p, 200);
        free(p);
    }
    sink_clear(&s);
    rtmp_chunk_reader_free(r);

    /* The writer picks the same forms. */
    buf_reset(&b);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        uint8_t *p = pattern(200, (unsigned)i);
        assert_int_equal(
            rtmp_chunk_write(&b, ids[i], 128, RTMP_MSG_DATA_AMF0, 1, (uint32_t)i, p, 200), 0);
        free(p);
    }
    r = rtmp_chunk_reader_new(1 << 20, 16);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
    assert_int_equal(s.n, sizeof ids / sizeof ids[0]);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        assert_int_equal(s.m[i].csid, ids[i]);
    sink_clear(&s);
    rtmp_chunk_reader_free(r);
    buf_free(&b);
}

static void test_abort(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;
    uint8_t *p = pattern(1000, 5);

    hdr0(&b, 5, 10, 1000, RTMP_MSG_VIDEO, 1);
    put(&b, p, 128);
    hdr0(&b, 2, 0, 4, RTMP_MSG_ABORT, 0);
    put32(&b, 5);
    /* Without the abort this new header (another length) would be EPROTO. */
    hdr0(&b, 5, 20, 10, RTMP_MSG_AUDIO, 1);
    put(&b, p + 500, 10);
    /* Aborting an unknown chunk stream is ignored. */
    hdr0(&b, 2, 0, 4, RTMP_MSG_ABORT, 0);
    put32(&b, 44);

    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1 << 20, 8);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.m[0].type, RTMP_MSG_ABORT); /* reported too */
    assert_int_equal(s.m[1].csid, 5);
    assert_int_equal(s.m[1].type, RTMP_MSG_AUDIO);
    assert_int_equal(s.m[1].timestamp, 20);
    assert_memory_equal(s.m[1].payload, p + 500, 10);
    assert_int_equal(s.m[2].type, RTMP_MSG_ABORT);
    sink_clear(&s);
    rtmp_chunk_reader_free(r);

    /* The same without the abort. */
    buf_reset(&b);
    hdr0(&b, 5, 10, 1000, RTMP_MSG_VIDEO, 1);
    put(&b, p, 128);
    hdr0(&b, 5, 20, 10, RTMP_MSG_AUDIO, 1);
    put(&b, p + 500, 10);
    r = rtmp_chunk_reader_new(1 << 20, 8);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s),
                     ONAIR_EPROTO);
    assert_int_equal(s.n, 0);
    rtmp_chunk_reader_free(r);

    /* An abort with a short payload. */
    buf_reset(&b);
    hdr0(&b, 2, 0, 2, RTMP_MSG_ABORT, 0);
    put(&b, "\x00\x05", 2);
    r = rtmp_chunk_reader_new(1 << 20, 8);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s),
                     ONAIR_EPROTO);
    rtmp_chunk_reader_free(r);
    free(p);
    buf_free(&b);
}

/* Feeds b to a fresh reader and returns the result. */
static int feed_fresh(const struct buf *b, uint32_t max_message, unsigned max_streams,
                      struct sink *s)
{
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(max_message, max_streams);
    int rc = rtmp_chunk_reader_feed(r, (const uint8_t *)b->data, b->len, collect, s);
    /* Errors are sticky. */
    if (rc < 0)
        assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)"\x02", 1, collect, s), rc);
    rtmp_chunk_reader_free(r);
    return rc;
}

static void test_missing_header(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;

    hdr3(&b, 3);
    put(&b, "x", 1);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);
    buf_reset(&b);
    hdr2(&b, 3, 0);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);
    buf_reset(&b);
    hdr1(&b, 3, 0, 1, RTMP_MSG_AUDIO);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);
    /* fmt 3 on another chunk stream than the one with a header. */
    buf_reset(&b);
    hdr0(&b, 3, 0, 1, RTMP_MSG_AUDIO, 0);
    put(&b, "x", 1);
    hdr3(&b, 4);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);
    assert_int_equal(s.n, 1);
    sink_clear(&s);

    /* librtmp's first Acknowledgement: fmt 1 on csid 2 with no header yet. */
    buf_reset(&b);
    hdr1(&b, 2, 0, 4, RTMP_MSG_ACK);
    put32(&b, 5000000);
    hdr2(&b, 2, 0);
    put32(&b, 10000000);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.m[0].type, RTMP_MSG_ACK);
    assert_int_equal(s.m[0].stream_id, 0);
    assert_int_equal(s.m[1].type, RTMP_MSG_ACK);
    assert_memory_equal(s.m[1].payload, "\x00\x98\x96\x80", 4);
    sink_clear(&s);
    buf_free(&b);
}

static void test_chunk_size_bounds(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;
    static const uint32_t bad[] = {0, 0x80000000, 0xFFFFFFFF, RTMP_MAX_CHUNK_SIZE + 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reset(&b);
        hdr0(&b, 2, 0, 4, RTMP_MSG_SET_CHUNK_SIZE, 0);
        put32(&b, bad[i]);
        assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);
        assert_int_equal(s.n, 0);
    }
    buf_reset(&b);
    hdr0(&b, 2, 0, 3, RTMP_MSG_SET_CHUNK_SIZE, 0);
    put(&b, "\x00\x10\x00", 3);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);

    /* 1 and 16 MiB are accepted and used. */
    static const uint32_t good[] = {1, 7, RTMP_MAX_CHUNK_SIZE};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        buf_reset(&b);
        hdr0(&b, 2, 0, 4, RTMP_MSG_SET_CHUNK_SIZE, 0);
        put32(&b, good[i]);
        uint8_t *p = pattern(300, 6);
        hdr0(&b, 3, 0, 300, RTMP_MSG_COMMAND_AMF0, 0);
        body(&b, 3, p, 300, good[i], false, 0);
        struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1000, 8);
        assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
        assert_int_equal(rtmp_chunk_reader_chunk_size(r), good[i]);
        assert_int_equal(s.n, 2);
        assert_memory_equal(s.m[1].payload, p, 300);
        sink_clear(&s);
        rtmp_chunk_reader_free(r);
        free(p);
    }
    buf_free(&b);
}

static void test_limits(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;

    /* Over max_message: refused at the header, before any payload. */
    hdr0(&b, 4, 0, 1001, RTMP_MSG_VIDEO, 1);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_ETOOBIG);
    buf_reset(&b);
    hdr0(&b, 4, 0, 1000, RTMP_MSG_VIDEO, 1);
    hdr1(&b, 5, 0, 0xFFFFFF, RTMP_MSG_VIDEO); /* never reached */
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), 0);
    buf_reset(&b);
    hdr0(&b, 4, 0, 10, RTMP_MSG_VIDEO, 1);
    put(&b, "0123456789", 10);
    hdr1(&b, 4, 0, 0xFFFFFF, RTMP_MSG_VIDEO);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_ETOOBIG);
    assert_int_equal(s.n, 1);
    sink_clear(&s);

    /* Too many chunk streams. */
    buf_reset(&b);
    for (uint32_t c = 3; c < 3 + 4; c++) {
        hdr0(&b, c, 0, 1, RTMP_MSG_AUDIO, 1);
        put(&b, "a", 1);
    }
    assert_int_equal(feed_fresh(&b, 1000, 4, &s), 0);
    sink_clear(&s);
    hdr0(&b, 400, 0, 1, RTMP_MSG_AUDIO, 1);
    put(&b, "a", 1);
    assert_int_equal(feed_fresh(&b, 1000, 4, &s), ONAIR_EPROTO);
    assert_int_equal(s.n, 4);
    sink_clear(&s);

    /* Unfinished messages together may hold at most 2 * max_message. */
    buf_reset(&b);
    uint8_t *p = pattern(128, 7);
    for (uint32_t c = 3; c < 3 + 3; c++) {
        hdr0(&b, c, 0, 1000, RTMP_MSG_VIDEO, 1);
        for (int k = 0; k < 6; k++) {
            if (k)
                hdr3(&b, c);
            put(&b, p, 128);
        }
    }
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_ETOOBIG);
    free(p);

    /* The callback's error stops the feed and sticks. */
    buf_reset(&b);
    for (int i = 0; i < 4; i++) {
        hdr0(&b, 3, 0, 1, RTMP_MSG_AUDIO, 1);
        put(&b, "a", 1);
    }
    s.fail_at = 2;
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1000, 8);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), -100);
    assert_int_equal(s.n, 1);
    s.fail_at = 0;
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), -100);
    assert_int_equal(s.n, 1);
    rtmp_chunk_reader_free(r);
    sink_clear(&s);
    buf_free(&b);
}

static void test_mid_message_headers(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;
    uint8_t *p = pattern(300, 8);

    /* A fmt 1 continuation that restates length and type is tolerated. */
    hdr0(&b, 4, 100, 300, RTMP_MSG_VIDEO, 1);
    put(&b, p, 128);
    hdr1(&b, 4, 0, 300, RTMP_MSG_VIDEO);
    put(&b, p + 128, 128);
    hdr2(&b, 4, 0);
    put(&b, p + 256, 44);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), 0);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.m[0].timestamp, 100);
    assert_memory_equal(s.m[0].payload, p, 300);
    sink_clear(&s);

    /* One that changes the length is not. */
    buf_reset(&b);
    hdr0(&b, 4, 100, 300, RTMP_MSG_VIDEO, 1);
    put(&b, p, 128);
    hdr1(&b, 4, 0, 200, RTMP_MSG_VIDEO);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);
    /* Nor the type, nor (fmt 0) the stream id. */
    buf_reset(&b);
    hdr0(&b, 4, 100, 300, RTMP_MSG_VIDEO, 1);
    put(&b, p, 128);
    hdr1(&b, 4, 0, 300, RTMP_MSG_AUDIO);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);
    buf_reset(&b);
    hdr0(&b, 4, 100, 300, RTMP_MSG_VIDEO, 1);
    put(&b, p, 128);
    hdr0(&b, 4, 100, 300, RTMP_MSG_VIDEO, 2);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), ONAIR_EPROTO);
    assert_int_equal(s.n, 0);

    /* Zero-length messages are delivered (with a non-NULL payload). */
    buf_reset(&b);
    hdr0(&b, 3, 5, 0, RTMP_MSG_COMMAND_AMF0, 0);
    hdr3(&b, 3);
    assert_int_equal(feed_fresh(&b, 1000, 8, &s), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.m[0].length, 0);
    assert_int_equal(s.m[1].timestamp, 10);
    sink_clear(&s);
    free(p);
    buf_free(&b);
}

static void test_writer_round_trip(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {128, 4096, 1, 60000};
    static const uint32_t stamps[] = {0, 1, 0xFFFFFE, 0xFFFFFF, 0x12345678, 0xFFFFFFFF};
    struct buf b;
    buf_init(&b, 0);
    static struct sink s;
    uint8_t *p = pattern(70000, 9);

    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint32_t cs = sizes[k];
        size_t lens[] = {0, 1, 2, cs - 1, cs, cs + 1, 2 * cs - 1, 2 * cs, 2 * cs + 1, 65536};
        for (size_t t = 0; t < sizeof stamps / sizeof stamps[0]; t++) {
            buf_reset(&b);
            if (cs != 128)
                assert_int_equal(rtmp_write_set_chunk_size(&b, cs), 0);
            for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
                if (lens[i] > 70000 || (cs == 1 && lens[i] > 5000))
                    continue;
                assert_int_equal(
                    rtmp_chunk_write(&b, 6, cs, RTMP_MSG_VIDEO, 1, stamps[t], p, lens[i]), 0);
            }
            struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1 << 20, 8);
            assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s),
                             0);
            int at = cs != 128 ? 1 : 0;
            for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
                if (lens[i] > 70000 || (cs == 1 && lens[i] > 5000))
                    continue;
                assert_true(at < s.n);
                assert_int_equal(s.m[at].length, lens[i]);
                assert_int_equal(s.m[at].timestamp, stamps[t]);
                assert_int_equal(s.m[at].csid, 6);
                assert_int_equal(s.m[at].stream_id, 1);
                assert_memory_equal(s.m[at].payload, p, lens[i]);
                at++;
            }
            assert_int_equal(at, s.n);
            sink_clear(&s);
            rtmp_chunk_reader_free(r);
        }
    }

    /* Exact bytes: 200 bytes, chunk size 128, ts 0x01000000 (extended in
     * both chunks), csid 4, stream 1. */
    buf_reset(&b);
    assert_int_equal(rtmp_chunk_write(&b, 4, 128, RTMP_MSG_VIDEO, 1, 0x01000000, p, 200), 0);
    assert_int_equal(b.len, 12 + 4 + 128 + 1 + 4 + 72);
    assert_memory_equal(b.data, "\x04\xff\xff\xff\x00\x00\xc8\x09\x01\x00\x00\x00\x01\x00\x00\x00",
                        16);
    assert_memory_equal(b.data + 16, p, 128);
    assert_memory_equal(b.data + 144, "\xc4\x01\x00\x00\x00", 5);
    assert_memory_equal(b.data + 149, p + 128, 72);

    /* Bad arguments and a full buffer leave it as it was. */
    size_t before = b.len;
    assert_int_equal(rtmp_chunk_write(&b, 1, 128, 9, 1, 0, p, 1), ONAIR_EINVAL);
    assert_int_equal(rtmp_chunk_write(&b, 65600, 128, 9, 1, 0, p, 1), ONAIR_EINVAL);
    assert_int_equal(rtmp_chunk_write(&b, 3, 0, 9, 1, 0, p, 1), ONAIR_EINVAL);
    assert_int_equal(rtmp_chunk_write(&b, 3, 128, 9, 1, 0, p, 0x1000000), ONAIR_EINVAL);
    assert_int_equal(rtmp_write_set_chunk_size(&b, 0), ONAIR_EINVAL);
    b.limit = before + 300;
    assert_int_equal(rtmp_chunk_write(&b, 3, 128, 9, 1, 0, p, 400), ONAIR_ETOOBIG);
    assert_int_equal(b.len, before);
    free(p);
    buf_free(&b);
}

static void test_control_messages(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(rtmp_write_window_ack_size(&b, 5000000), 0);
    assert_int_equal(rtmp_write_peer_bandwidth(&b, 5000000, RTMP_LIMIT_DYNAMIC), 0);
    assert_int_equal(rtmp_write_set_chunk_size(&b, 4096), 0);
    assert_int_equal(rtmp_write_ack(&b, 0x01020304), 0);
    assert_int_equal(rtmp_write_user_control(&b, RTMP_UC_STREAM_BEGIN, 1), 0);
    assert_int_equal(rtmp_write_user_control(&b, RTMP_UC_PING_RESPONSE, 0xAABBCCDD), 0);
    static const uint8_t want[] = {
        /* Window Ack Size 5000000 */
        0x02, 0, 0, 0, 0, 0, 4, 0x05, 0, 0, 0, 0, 0x00, 0x4c, 0x4b, 0x40,
        /* Set Peer Bandwidth 5000000 dynamic */
        0x02, 0, 0, 0, 0, 0, 5, 0x06, 0, 0, 0, 0, 0x00, 0x4c, 0x4b, 0x40, 0x02,
        /* Set Chunk Size 4096 */
        0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0x00, 0x00, 0x10, 0x00,
        /* Acknowledgement */
        0x02, 0, 0, 0, 0, 0, 4, 0x03, 0, 0, 0, 0, 0x01, 0x02, 0x03, 0x04,
        /* Stream Begin 1 */
        0x02, 0, 0, 0, 0, 0, 6, 0x04, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        /* Ping Response */
        0x02, 0, 0, 0, 0, 0, 6, 0x04, 0, 0, 0, 0, 0x00, 0x07, 0xAA, 0xBB, 0xCC, 0xDD};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);

    /* And the reader sees them as such. */
    static struct sink s;
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(1000, 8);
    assert_int_equal(rtmp_chunk_reader_feed(r, (const uint8_t *)b.data, b.len, collect, &s), 0);
    assert_int_equal(s.n, 6);
    assert_int_equal(s.m[1].type, RTMP_MSG_SET_PEER_BANDWIDTH);
    assert_int_equal(rtmp_chunk_reader_chunk_size(r), 4096);
    sink_clear(&s);
    rtmp_chunk_reader_free(r);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_obs_session),
        cmocka_unit_test(test_split_feeding),
        cmocka_unit_test(test_many_chunks_interleaved),
        cmocka_unit_test(test_wanted_is_a_lower_bound),
        cmocka_unit_test(test_extended_timestamps),
        cmocka_unit_test(test_csid_forms),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_missing_header),
        cmocka_unit_test(test_chunk_size_bounds),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_mid_message_headers),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_control_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * chunk.c - RTMP chunk stream reader and writer.
 *
 * The reader is a two-state machine fed with arbitrary pieces of input:
 *   header: gather the basic header (1-3 bytes), the message header (11, 7,
 *           3 or 0 bytes for fmt 0..3) and the extended timestamp (4 bytes,
 *           when in use) in a small buffer, then apply it to its chunk
 *           stream;
 *   data:   copy up to one chunk's worth of payload into that chunk stream's
 *           reassembly buffer, and deliver the message when it is complete.
 * A message that fits in one chunk and arrives whole in one feed is handed
 * to the callback straight from the caller's input, without a copy.
 */
#include "rtmp/chunk.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

/* Reassembly buffers above this are freed once their message is delivered,
 * so idle chunk streams keep little memory. */
#define KEEP_BUF_MAX (256u * 1024)
/* Chunk streams 2..63 (one-byte basic headers) are found by direct index. */
#define SMALL_CSIDS 64
/* Basic header (3) + fmt 0 message header (11) + extended timestamp (4). */
#define HDR_MAX 18

struct cstream {
    uint32_t csid;
    /* The header in force (from the last fmt 0/1/2, inherited by fmt 3). */
    uint32_t timestamp; /* absolute, of the current or last message */
    uint32_t delta;     /* what a fmt 3 header starting a message adds */
    uint32_t length;
    uint32_t stream_id;
    uint8_t type;
    bool ext; /* that header used an extended timestamp: fmt 3 chunks carry one too */
    /* Reassembly: received < length while a message is unfinished; 0 otherwise. */
    uint32_t received;
    uint8_t *buf;
    uint32_t cap;
};

struct rtmp_chunk_reader {
    uint32_t max_message;
    unsigned max_streams;
    uint32_t chunk_size;
    uint64_t bytes;
    int err; /* sticky */

    struct cstream *streams;
    unsigned nstreams;
    unsigned streams_cap;
    uint32_t small[SMALL_CSIDS]; /* csid -> index + 1, 0 when untracked */
    uint64_t held;               /* bytes in unfinished messages, all streams */

    /* Header state: hdr_len bytes gathered of hdr_need known so far. */
    uint8_t hdr[HDR_MAX];
    unsigned hdr_len;
    unsigned hdr_need;
    /* Data state: in_data, with chunk_left payload bytes of stream cur to go. */
    bool in_data;
    unsigned cur;
    uint32_t chunk_left;
};

static uint32_t rd24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t rd32le(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

struct rtmp_chunk_reader *rtmp_chunk_reader_new(uint32_t max_message, unsigned max_streams)
{
    struct rtmp_chunk_reader *r = xcalloc(1, sizeof *r);
    r->max_message = max_message;
    r->max_streams = max_streams ? max_streams : 1;
    r->chunk_size = RTMP_DEFAULT_CHUNK_SIZE;
    return r;
}

void rtmp_chunk_reader_free(struct rtmp_chunk_reader *r)
{
    if (r == NULL)
        return;
    for (unsigned i = 0; i < r->nstreams; i++)
        free(r->streams[i].buf);
    free(r->streams);
    free(r);
}

uint64_t rtmp_chunk_reader_bytes(const struct rtmp_chunk_reader *r)
{
    return r->bytes;
}

uint32_t rtmp_chunk_reader_chunk_size(const struct rtmp_chunk_reader *r)
{
    return r->chunk_size;
}

uint32_t rtmp_chunk_reader_wanted(const struct rtmp_chunk_reader *r)
{
    if (!r->in_data && r->hdr_len > 0)
        return r->hdr_need - r->hdr_len;
    /* The chunk being read (if any) comes whole before anything else; then
     * any unfinished message may complete. Only payload counts (headers of
     * later chunks depend on a chunk size that may change), so this never
     * asks for more than will come. */
    uint32_t first = r->in_data ? r->chunk_left : 0;
    uint32_t least = 0;
    for (unsigned i = 0; i < r->nstreams; i++) {
        const struct cstream *s = &r->streams[i];
        bool cur = r->in_data && i == r->cur;
        if (!cur && s->received == 0)
            continue;
        uint32_t rest = s->length - s->received;
        uint32_t need = cur ? rest : first + rest;
        if (least == 0 || need < least)
            least = need;
    }
    return least;
}

/* Index of csid's stream, or -1. */
static int find_stream(const struct rtmp_chunk_reader *r, uint32_t csid)
{
    if (csid < SMALL_CSIDS)
        return (int)r->small[csid] - 1;
    for (unsigned i = 0; i < r->nstreams; i++) {
        if (r->streams[i].csid == csid)
            return (int)i;
    }
    return -1;
}

static int add_stream(struct rtmp_chunk_reader *r, uint32_t csid)
{
    if (r->nstreams >= r->max_streams)
        return ONAIR_EPROTO;
    if (r->nstreams == r->streams_cap) {
        unsigned cap = r->streams_cap ? r->streams_cap * 2 : 8;
        if (cap > r->max_streams)
            cap = r->max_streams;
        r->streams = xrealloc(r->streams, cap * sizeof *r->streams);
        r->streams_cap = cap;
    }
    unsigned i = r->nstreams++;
    memset(&r->streams[i], 0, sizeof r->streams[i]);
    r->streams[i].csid = csid;
    if (csid < SMALL_CSIDS)
        r->small[csid] = i + 1;
    return (int)i;
}

/*
 * Looks at the hdr_len header bytes gathered so far. Returns 1 when more are
 * needed (hdr_need raised), 0 when the header is complete and applied (the
 * reader is then in the data state), or an error.
 */
static int header_step(struct rtmp_chunk_reader *r)
{
    static const unsigned mh_size[4] = {11, 7, 3, 0};
    const uint8_t *h = r->hdr;
    unsigned fmt = h[0] >> 6;
    unsigned low = h[0] & 0x3F;
    unsigned bh = low == 0 ? 2 : low == 1 ? 3 : 1;
    unsigned base = bh + mh_size[fmt];

    if (r->hdr_len < base) {
        r->hdr_need = r->hdr_len < bh ? bh : base;
        return 1;
    }

    uint32_t csid = low == 0 ? 64u + h[1] : low == 1 ? 64u + h[1] + 256u * h[2] : low;
    int idx = find_stream(r, csid);
    if (idx < 0) {
        /* A new chunk stream needs a full header; librtmp starts csid 2 with
         * fmt 1 for Acknowledgement and User Control (see chunk.h). */
        if (fmt != 0 && !(fmt == 1 && csid == 2))
            return ONAIR_EPROTO;
        idx = add_stream(r, csid);
        if (idx < 0)
            return idx;
    }
    struct cstream *s = &r->streams[idx];

    uint32_t ts_field = fmt < 3 ? rd24(h + bh) : 0;
    bool ext = fmt < 3 ? ts_field == 0xFFFFFF : s->ext;
    if (ext && r->hdr_len < base + 4) {
        r->hdr_need = base + 4;
        return 1;
    }
    uint32_t ts = ext ? rd32(h + base) : ts_field;

    if (s->received > 0) {
        /* In the middle of a message: only fmt 3 is expected. Tolerate a
         * header that restates the message; refuse one that changes it. */
        if (fmt <= 1 && (rd24(h + bh + 3) != s->length || h[bh + 6] != s->type))
            return ONAIR_EPROTO;
        if (fmt == 0 && rd32le(h + bh + 7) != s->stream_id)
            return ONAIR_EPROTO;
    } else {
        switch (fmt) {
        case 0:
            s->length = rd24(h + bh + 3);
            s->type = h[bh + 6];
            s->stream_id = rd32le(h + bh + 7);
            s->timestamp = ts;
            s->delta = ts; /* RTMP 1.0 5.3.1.2.4: a fmt 3 after fmt 0 repeats it */
            s->ext = ext;
            break;
        case 1:
            s->length = rd24(h + bh + 3);
            s->type = h[bh + 6];
            /* fall through */
        case 2:
            s->delta = ts;
            s->timestamp += ts;
            s->ext = ext;
            break;
        default:
            /* With an extended timestamp, the one this chunk carries is the delta. */
            if (ext)
                s->delta = ts;
            s->timestamp += s->delta;
            break;
        }
        if (s->length > r->max_message)
            return ONAIR_ETOOBIG;
    }

    uint32_t rest = s->length - s->received;
    uint32_t chunk = rest < r->chunk_size ? rest : r->chunk_size;
    /* Checked here, for the whole chunk, even when it will be handed over
     * without a copy: the outcome must not depend on how input was split. */
    if (r->held + chunk > 2 * (uint64_t)r->max_message)
        return ONAIR_ETOOBIG;
    r->cur = (unsigned)idx;
    r->chunk_left = chunk;
    r->in_data = true;
    r->hdr_len = 0;
    return 0;
}

/* Applies Set Chunk Size and Abort; other messages pass untouched. */
static int control(struct rtmp_chunk_reader *r, const struct rtmp_message *m)
{
    /* Protocol control belongs on csid 2 / stream 0, but a chunk size is
     * honoured wherever it comes from: ignoring it would garble the rest. */
    if (m->type == RTMP_MSG_SET_CHUNK_SIZE) {
        if (m->length < 4)
            return ONAIR_EPROTO;
        uint32_t size = rd32(m->payload);
        if (size == 0 || size > RTMP_MAX_CHUNK_SIZE)
            return ONAIR_EPROTO;
        r->chunk_size = size;
    } else if (m->type == RTMP_MSG_ABORT) {
        if (m->length < 4)
            return ONAIR_EPROTO;
        int idx = find_stream(r, rd32(m->payload));
        if (idx >= 0) {
            struct cstream *t = &r->streams[idx];
            /* The buffer stays: it may be the one m->payload points into. */
            r->held -= t->received;
            t->received = 0;
        }
    }
    return 0;
}

static int deliver(struct rtmp_chunk_reader *r, struct cstream *s, const uint8_t *payload,
                   rtmp_message_fn fn, void *arg)
{
    static const uint8_t empty[1];
    struct rtmp_message m = {
        .csid = s->csid,
        .type = s->type,
        .stream_id = s->stream_id,
        .timestamp = s->timestamp,
        .length = s->length,
        .payload = s->length ? payload : empty,
    };
    int rc = control(r, &m);
    if (rc == 0)
        rc = fn(&m, arg);
    if (s->cap > KEEP_BUF_MAX && s->received == 0) {
        free(s->buf);
        s->buf = NULL;
        s->cap = 0;
    }
    return rc < 0 ? rc : 0;
}

/* Copies n payload bytes into s's reassembly buffer. */
static void store(struct rtmp_chunk_reader *r, struct cstream *s, const uint8_t *p, uint32_t n)
{
    uint32_t need = s->received + n;
    /* header_step made sure the chunk fits both. */
    assert(need <= s->length && r->held + n <= 2 * (uint64_t)r->max_message);
    if (need > s->cap) {
        /* Grow with what arrives, never past the announced length, so a
         * peer cannot make us hold memory it has not sent. */
        uint32_t cap = s->cap > 2048 ? s->cap : 2048;
        cap = cap > s->length / 2 ? s->length : cap * 2;
        if (cap < need)
            cap = need;
        s->buf = xrealloc(s->buf, cap);
        s->cap = cap;
    }
    memcpy(s->buf + s->received, p, n);
    s->received = need;
    r->held += n;
}

static int feed(struct rtmp_chunk_reader *r, const uint8_t *p, const uint8_t *end,
                rtmp_message_fn fn, void *arg)
{
    int rc;
    while (p < end || (r->in_data && r->chunk_left == 0)) {
        if (!r->in_data) {
            if (r->hdr_len == 0)
                r->hdr_need = 1;
            size_t take = r->hdr_need - r->hdr_len;
            if (take > (size_t)(end - p))
                take = (size_t)(end - p);
            memcpy(r->hdr + r->hdr_len, p, take);
            r->hdr_len += (unsigned)take;
            p += take;
            if (r->hdr_len < r->hdr_need)
                return 0;
            rc = header_step(r);
            if (rc < 0)
                return rc;
            continue;
        }

        struct cstream *s = &r->streams[r->cur];
        size_t avail = (size_t)(end - p);
        if (s->received == 0 && r->chunk_left == s->length && avail >= s->length) {
            /* The whole message is here in one chunk: no copy. */
            r->in_data = false;
            p += s->length;
            rc = deliver(r, s, p - s->length, fn, arg);
            if (rc < 0)
                return rc;
            continue;
        }
        uint32_t n = avail < r->chunk_left ? (uint32_t)avail : r->chunk_left;
        if (n) {
            store(r, s, p, n);
            p += n;
            r->chunk_left -= n;
        }
        if (r->chunk_left > 0)
            return 0;
        r->in_data = false;
        if (s->received == s->length) {
            r->held -= s->received;
            s->received = 0;
            rc = deliver(r, s, s->buf, fn, arg);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

int rtmp_chunk_reader_feed(struct rtmp_chunk_reader *r, const uint8_t *data, size_t len,
                           rtmp_message_fn fn, void *arg)
{
    if (r->err)
        return r->err;
    if (len == 0)
        return 0;
    r->bytes += len;
    int rc = feed(r, data, data + len, fn, arg);
    if (rc < 0)
        r->err = rc;
    return rc;
}

/* ---- writer ---- */

static size_t basic_header(uint8_t *p, unsigned fmt, uint32_t csid)
{
    if (csid < 64) {
        p[0] = (uint8_t)(fmt << 6 | csid);
        return 1;
    }
    if (csid < 320) {
        p[0] = (uint8_t)(fmt << 6);
        p[1] = (uint8_t)(csid - 64);
        return 2;
    }
    p[0] = (uint8_t)(fmt << 6 | 1);
    p[1] = (uint8_t)((csid - 64) & 0xFF);
    p[2] = (uint8_t)((csid - 64) >> 8);
    return 3;
}

static void wr24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int rtmp_chunk_write(struct buf *out, uint32_t csid, uint32_t chunk_size, uint8_t type,
                     uint32_t stream_id, uint32_t timestamp, const uint8_t *payload, size_t len)
{
    if (csid < RTMP_CSID_MIN || csid > RTMP_CSID_MAX || chunk_size == 0 ||
        chunk_size > 0x7FFFFFFF || len > RTMP_MAX_MESSAGE_LENGTH)
        return ONAIR_EINVAL;

    bool ext = timestamp >= 0xFFFFFF;
    uint8_t first[HDR_MAX], cont[7];
    size_t n = basic_header(first, 0, csid);
    wr24(first + n, ext ? 0xFFFFFF : timestamp);
    wr24(first + n + 3, (uint32_t)len);
    first[n + 6] = type;
    first[n + 7] = (uint8_t)stream_id;
    first[n + 8] = (uint8_t)(stream_id >> 8);
    first[n + 9] = (uint8_t)(stream_id >> 16);
    first[n + 10] = (uint8_t)(stream_id >> 24);
    size_t first_len = n + 11;
    size_t cont_len = basic_header(cont, 3, csid);
    if (ext) {
        wr32(first + first_len, timestamp);
        first_len += 4;
        wr32(cont + cont_len, timestamp);
        cont_len += 4;
    }

    size_t mark = out->len;
    int rc = buf_append(out, first, first_len);
    size_t off = 0;
    while (rc == 0) {
        size_t piece = len - off < chunk_size ? len - off : chunk_size;
        if (piece)
            rc = buf_append(out, payload + off, piece);
        off += piece;
        if (rc || off == len)
            break;
        rc = buf_append(out, cont, cont_len);
    }
    if (rc < 0 && out->data) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return rc;
}

static int write_control(struct buf *out, uint8_t type, const uint8_t *payload, size_t len)
{
    return rtmp_chunk_write(out, 2, RTMP_DEFAULT_CHUNK_SIZE, type, 0, 0, payload, len);
}

int rtmp_write_set_chunk_size(struct buf *out, uint32_t size)
{
    if (size == 0 || size > 0x7FFFFFFF)
        return ONAIR_EINVAL;
    uint8_t b[4];
    wr32(b, size);
    return write_control(out, RTMP_MSG_SET_CHUNK_SIZE, b, sizeof b);
}

int rtmp_write_window_ack_size(struct buf *out, uint32_t size)
{
    uint8_t b[4];
    wr32(b, size);
    return write_control(out, RTMP_MSG_WINDOW_ACK_SIZE, b, sizeof b);
}

int rtmp_write_peer_bandwidth(struct buf *out, uint32_t size, uint8_t limit_type)
{
    uint8_t b[5];
    wr32(b, size);
    b[4] = limit_type;
    return write_control(out, RTMP_MSG_SET_PEER_BANDWIDTH, b, sizeof b);
}

int rtmp_write_ack(struct buf *out, uint32_t sequence)
{
    uint8_t b[4];
    wr32(b, sequence);
    return write_control(out, RTMP_MSG_ACK, b, sizeof b);
}

int rtmp_write_user_control(struct buf *out, uint16_t event, uint32_t value)
{
    uint8_t b[6];
    b[0] = (uint8_t)(event >> 8);
    b[1] = (uint8_t)event;
    wr32(b + 2, value);
    return write_control(out, RTMP_MSG_USER_CONTROL, b, sizeof b);
}

/*
 * fuzz_rtmp_chunk.c - libFuzzer target for the RTMP chunk stream reader
 * (src/rtmp/chunk.c), with AMF0 decoding of the messages it yields.
 *
 * Input: byte 0 gives n = byte % 8 split sizes, each of the next n 2-byte
 * big-endian values is one piece length (cycled; 0 is a legal empty feed);
 * the rest is the byte stream a client sent.
 * Checks:
 *  1. the reader never crashes, reads out of bounds, leaks or hangs, and
 *     returns 0 or a documented error;
 *  2. feeding in pieces gives exactly the messages and the result of feeding
 *     everything at once;
 *  3. every message fits max_message and its payload is readable; command
 *     and data messages go through the AMF0 decoder (AMF3 variants after
 *     their leading 0 byte);
 *  4. the messages, written back with rtmp_chunk_write, read back the same;
 *  5. rtmp_chunk_reader_wanted, asked after every piece, is 0 on a fresh
 *     reader and never more than two messages' worth (the rest of a chunk
 *     and of another message); its lower-bound meaning is checked in
 *     tests/unit/rtmp.
 * Seeds: tests/fuzz/corpus/rtmp_chunk/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "rtmp/amf0.h"
#include "rtmp/chunk.h"

#define MAX_MESSAGE (256u * 1024)
#define MAX_STREAMS 8
#define MAX_LOG 4096

struct log {
    uint64_t hash[MAX_LOG]; /* one per message */
    size_t n;
    uint64_t data_hash[MAX_LOG]; /* one per message other than Set Chunk Size / Abort */
    size_t ndata;
    struct amf0_decoder *amf;
    struct buf rewrite; /* non-control messages written back as chunks */
    uint32_t write_chunk;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t msg_hash(const struct rtmp_message *m)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    uint32_t f[5] = {m->csid, m->type, m->stream_id, m->timestamp, m->length};
    h = fnv(h, f, sizeof f);
    return fnv(h, m->payload, m->length);
}

static int on_message(const struct rtmp_message *m, void *arg)
{
    struct log *lg = arg;
    if (m->length > MAX_MESSAGE || m->payload == NULL)
        abort();
    if (m->csid < RTMP_CSID_MIN || m->csid > RTMP_CSID_MAX)
        abort();
    uint64_t h = msg_hash(m);
    if (lg->n < MAX_LOG)
        lg->hash[lg->n] = h;
    lg->n++;
    if (m->type != RTMP_MSG_SET_CHUNK_SIZE && m->type != RTMP_MSG_ABORT) {
        if (lg->ndata < MAX_LOG)
            lg->data_hash[lg->ndata] = h;
        lg->ndata++;
    }

    if (lg->amf) {
        const uint8_t *p = m->payload;
        size_t len = m->length;
        if ((m->type == RTMP_MSG_COMMAND_AMF3 || m->type == RTMP_MSG_DATA_AMF3) && len > 0) {
            p++;
            len--;
        }
        if (m->type == RTMP_MSG_COMMAND_AMF0 || m->type == RTMP_MSG_DATA_AMF0 ||
            m->type == RTMP_MSG_COMMAND_AMF3 || m->type == RTMP_MSG_DATA_AMF3) {
            struct amf0_value v[8];
            int rc = amf0_decode(lg->amf, p, len, v, 8);
            if (rc < 0 && rc != ONAIR_EPROTO && rc != ONAIR_ETOOBIG)
                abort();
            if (rc > 0 && v[0].type == AMF0_STRING) {
                /* What a session does with a command. */
                const char *name;
                uint32_t nlen;
                if (!amf0_string(&v[0], &name, &nlen))
                    abort();
                for (int i = 1; i < rc; i++)
                    (void)amf0_get(&v[i], "app");
            }
        }
        if (m->type != RTMP_MSG_SET_CHUNK_SIZE && m->type != RTMP_MSG_ABORT) {
            if (rtmp_chunk_write(&lg->rewrite, m->csid, lg->write_chunk, m->type, m->stream_id,
                                 m->timestamp, m->payload, m->length) != 0)
                abort();
        }
    }
    /* A rare callback error, to exercise that path. */
    if (m->length == 13 && m->payload[0] == 0xEE && m->type != RTMP_MSG_SET_CHUNK_SIZE &&
        m->type != RTMP_MSG_ABORT)
        return -77;
    return 0;
}

static int run(const uint8_t *data, size_t len, const uint16_t *splits, size_t nsplits,
               struct log *lg)
{
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(MAX_MESSAGE, MAX_STREAMS);
    if (rtmp_chunk_reader_wanted(r) != 0)
        abort();
    size_t off = 0, k = 0;
    int rc = 0;
    while (off < len) {
        size_t n = nsplits ? splits[k++ % nsplits] : len;
        if (n > len - off)
            n = len - off;
        /* An exact-size copy so ASan flags any read past the piece. */
        uint8_t *piece = malloc(n ? n : 1);
        memcpy(piece, data + off, n);
        rc = rtmp_chunk_reader_feed(r, piece, n, on_message, lg);
        free(piece);
        if (rtmp_chunk_reader_wanted(r) > 2 * MAX_MESSAGE)
            abort();
        off += n;
        if (rc < 0)
            break;
        if (nsplits && k > 4 * len + 16)
            nsplits = 0; /* all-zero sizes: finish in one piece */
    }
    if (rc < 0 && rtmp_chunk_reader_feed(r, data, len, on_message, lg) != rc)
        abort(); /* errors stick */
    rtmp_chunk_reader_free(r);
    if (rc != 0 && rc != ONAIR_EPROTO && rc != ONAIR_ETOOBIG && rc != -77)
        abort();
    return rc;
}

static struct log whole, pieces, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t splits[8];
    size_t nsplits = 0;
    if (size > 0) {
        size_t want = data[0] % 8;
        data++;
        size--;
        while (nsplits < want && size >= 2) {
            splits[nsplits++] = (uint16_t)(data[0] << 8 | data[1]);
            data += 2;
            size -= 2;
        }
    }

    whole.n = pieces.n = again.n = 0;
    whole.ndata = pieces.ndata = again.ndata = 0;
    whole.amf = amf0_decoder_new();
    buf_init(&whole.rewrite, 0);
    whole.write_chunk = nsplits ? (splits[0] % 5000) + 1 : 128;
    pieces.amf = again.amf = NULL;

    int rc1 = run(data, size, NULL, 0, &whole);
    int rc2 = run(data, size, splits, nsplits, &pieces);
    if (rc1 != rc2 || whole.n != pieces.n)
        abort();
    for (size_t i = 0; i < whole.n && i < MAX_LOG; i++) {
        if (whole.hash[i] != pieces.hash[i])
            abort();
    }

    /* Written back at another chunk size (announced first), the messages
     * other than Set Chunk Size and Abort read back the same; a callback
     * error stops the second reading at the same message. */
    struct buf re;
    buf_init(&re, 0);
    if (rtmp_write_set_chunk_size(&re, whole.write_chunk) != 0 ||
        buf_append(&re, whole.rewrite.data, whole.rewrite.len) != 0)
        abort();
    struct rtmp_chunk_reader *r = rtmp_chunk_reader_new(MAX_MESSAGE, RTMP_CSID_MAX);
    int rc3 = rtmp_chunk_reader_feed(r, (const uint8_t *)re.data, re.len, on_message, &again);
    rtmp_chunk_reader_free(r);
    if (rc3 != (rc1 == -77 ? -77 : 0))
        abort();
    if (again.ndata != whole.ndata)
        abort();
    for (size_t i = 0; i < whole.ndata && i < MAX_LOG; i++) {
        if (whole.data_hash[i] != again.data_hash[i])
            abort();
    }

    buf_free(&re);
    buf_free(&whole.rewrite);
    amf0_decoder_free(whole.amf);
    return 0;
}

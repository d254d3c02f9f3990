/*
 * fuzz_http_request.c - libFuzzer target for the HTTP/1.1 request parser
 * (src/http/parser.c).
 *
 * Input layout: 4 parameter bytes, then the bytes a client sends.
 *   byte 0: max_header_bytes = 128 + 64 * byte   (128..16448)
 *   byte 1: max_body_bytes   = 1 + 32 * byte     (1..8161)
 *   byte 2: how the stream is cut (byte % 4): 0 all at once, 1 one byte
 *           at a time, 2 random pieces of 1..16 bytes, 3 of 1..512 bytes
 *   byte 3: seed for the random piece sizes
 * Printable prefixes such as "zz0a" keep the seeds readable.
 *
 * The stream is fed like server.c does, each piece in an exact-size heap
 * copy so ASan sees any read past it; after DONE the request is inspected
 * and http_reqparser_next() called, until ERROR or the end of the input.
 * Invariants (abort() when broken): consumed <= the piece length, MORE
 * consumes the whole piece, DONE consumes at least one byte, a DONE
 * request's body is <= max_body_bytes and its strings and headers are
 * readable and consistent, an ERROR carries a documented status, and a
 * failed parser stays failed across http_reqparser_next().
 * Seeds: tests/fuzz/corpus/http_request/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parser.h"

static uint32_t rng_next(uint32_t *s)
{
    /* xorshift32; never reaches 0 from a non-zero seed */
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

static void check_done(const struct http_reqparser *rp)
{
    const struct http_parsed *req = &rp->req;
    if (req->body.len > rp->max_body_bytes)
        abort();
    if (req->body.len && !req->body.data)
        abort();
    if (req->body.data && req->body.data[req->body.len] != '\0')
        abort();
    if (!req->url || !req->path || !req->query)
        abort();
    size_t ulen = strlen(req->url), plen = strlen(req->path), qlen = strlen(req->query);
    if (ulen == 0 || plen > ulen || qlen > ulen)
        abort();
    if (req->nheaders > HTTP_MAX_HEADERS)
        abort();
    for (unsigned i = 0; i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];
        if (!h->name || !h->value)
            abort();
        if (strlen(h->value) != h->value_len)
            abort();
        /* The lookup finds a header of that name (maybe an earlier one). */
        if (!http_parsed_header(req, h->name))
            abort();
    }
    (void)http_parsed_header(req, "Host");
    (void)http_parsed_header(req, "X-Not-Sent-By-The-Fuzzer-0123456789");
    if (req->http_major != 1) /* anything else is refused with 400 or 505 */
        abort();
}

static bool known_status(int status)
{
    return status == 400 || status == 413 || status == 414 || status == 417 || status == 431 ||
           status == 505;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t max_header = 128 + 64 * (size_t)data[0];
    size_t max_body = 1 + 32 * (size_t)data[1];
    unsigned mode = data[2] % 4;
    uint32_t seed = 0x9e3779b9u ^ ((uint32_t)data[3] << 8 | data[2]);
    const char *in = (const char *)data + 4;
    size_t len = size - 4;

    struct http_reqparser rp;
    http_reqparser_init(&rp, max_header, max_body);
    size_t off = 0;
    unsigned requests = 0;
    while (off < len) {
        size_t want = len - off;
        if (mode == 1)
            want = 1;
        else if (mode == 2)
            want = 1 + rng_next(&seed) % 16;
        else if (mode == 3)
            want = 1 + rng_next(&seed) % 512;
        if (want > len - off)
            want = len - off;

        char *piece = malloc(want);
        if (!piece)
            abort();
        memcpy(piece, in + off, want);
        size_t consumed = (size_t)-1;
        enum http_feed_result r = http_reqparser_feed(&rp, piece, want, &consumed);
        free(piece);

        if (r == HTTP_FEED_ERROR) {
            if (!known_status(rp.status) || !rp.code || !rp.message)
                abort();
            /* Stays failed; next() must not crash (http-parser asserts on
             * resuming a parser in an error state). */
            int status = rp.status;
            http_reqparser_next(&rp);
            if (http_reqparser_feed(&rp, "GET / HTTP/1.1\r\n\r\n", 18, &consumed) !=
                    HTTP_FEED_ERROR ||
                rp.status != status)
                abort();
            break;
        }
        if (consumed > want)
            abort();
        if (r == HTTP_FEED_MORE) {
            if (consumed != want)
                abort();
        } else if (r == HTTP_FEED_DONE) {
            if (consumed == 0)
                abort(); /* no progress: the caller would spin */
            check_done(&rp);
            /* Until next() the request stays and nothing more is taken. */
            size_t again = 1;
            if (http_reqparser_feed(&rp, "G", 1, &again) != HTTP_FEED_DONE || again != 0)
                abort();
            http_reqparser_next(&rp);
            if (rp.started || rp.want_continue || rp.req.nheaders || rp.req.body.len)
                abort();
            requests++;
        } else {
            abort();
        }
        off += consumed;
    }
    if (requests > len)
        abort();
    http_reqparser_free(&rp);
    return 0;
}

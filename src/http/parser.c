#include "http/parser.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"

static int set_error(struct http_reqparser *rp, int status, const char *code, const char *message)
{
    if (!rp->status) {
        rp->status = status;
        rp->code = code;
        rp->message = message;
    }
    return -1;
}

static int head_append(struct http_reqparser *rp, const char *at, size_t len)
{
    if (buf_append(&rp->head, at, len) != 0) {
        if (rp->req.nheaders == 0 && rp->last == 0)
            return set_error(rp, 414, "uri_too_long", "request line is too long");
        return set_error(rp, 431, "headers_too_large", "request headers are too large");
    }
    return 0;
}

static int on_message_begin(http_parser *p)
{
    struct http_reqparser *rp = p->data;
    rp->started = true;
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    return head_append(p->data, at, len);
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    struct http_reqparser *rp = p->data;
    /* Trailers of a chunked body: nothing here needs them, and appending to
     * head now would move the header pointers handed out already.
     * http-parser bounds their size. */
    if (rp->headers_done)
        return 0;
    if (rp->last != 1) {
        /* A new header starts: end the request target or the previous value. */
        if (head_append(rp, "", 1))
            return -1;
        if (rp->last == 0) {
            /* the request target just ended */
        } else {
            rp->req.nheaders++;
        }
        if (rp->req.nheaders >= HTTP_MAX_HEADERS)
            return set_error(rp, 431, "headers_too_large", "too many request headers");
        rp->header_offs[rp->req.nheaders][0] = rp->head.len;
        rp->last = 1;
    }
    return head_append(rp, at, len);
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    struct http_reqparser *rp = p->data;
    if (rp->headers_done)
        return 0;
    if (rp->last != 2) {
        if (head_append(rp, "", 1))
            return -1;
        rp->header_offs[rp->req.nheaders][1] = rp->head.len;
        rp->last = 2;
    }
    return head_append(rp, at, len);
}

static int on_headers_complete(http_parser *p)
{
    struct http_reqparser *rp = p->data;
    struct http_parsed *req = &rp->req;
    if (head_append(rp, "", 1))
        return -1;
    if (p->http_major != 1) {
        /* HTTP/0.9 has no headers and no status line to answer with; 2.0+
         * over plain text is a client talking the wrong protocol. */
        if (p->http_major == 0)
            return set_error(rp, 400, "bad_request", "HTTP/1.0 or HTTP/1.1 required");
        return set_error(rp, 505, "http_version_not_supported", "only HTTP/1.x is supported");
    }
    if (rp->last == 2)
        req->nheaders++;
    else if (rp->last == 1) /* a field with no value at all */
        return set_error(rp, 400, "bad_request", "malformed header");

    /* The target is at offset 0; split it into path and query. */
    size_t url_len = strlen(rp->head.data);
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (url_len == 0 || http_parser_parse_url(rp->head.data, url_len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH)))
        return set_error(rp, 400, "bad_request", "malformed request target");
    size_t path_off = u.field_data[UF_PATH].off, path_len = u.field_data[UF_PATH].len;
    size_t q_off = 0, q_len = 0;
    if (u.field_set & (1 << UF_QUERY)) {
        q_off = u.field_data[UF_QUERY].off;
        q_len = u.field_data[UF_QUERY].len;
    }
    /* Path and query go to their own buffer: the target already counted
     * against the header limit once. */
    buf_reset(&rp->parts);
    if (buf_append(&rp->parts, rp->head.data + path_off, path_len) || buf_append(&rp->parts, "", 1))
        return set_error(rp, 414, "uri_too_long", "request line is too long");
    rp->query_off = rp->parts.len;
    if (buf_append(&rp->parts, rp->head.data + q_off, q_len) || buf_append(&rp->parts, "", 1))
        return set_error(rp, 414, "uri_too_long", "request line is too long");
    rp->headers_done = true;

    /* head will not grow again for this request: pointers are stable now. */
    req->url = rp->head.data;
    req->path = rp->parts.data;
    req->query = rp->parts.data + rp->query_off;
    for (unsigned i = 0; i < req->nheaders; i++) {
        req->headers[i].name = rp->head.data + rp->header_offs[i][0];
        req->headers[i].value = rp->head.data + rp->header_offs[i][1];
        req->headers[i].value_len = strlen(req->headers[i].value);
    }
    req->method = (enum http_method)p->method;
    req->http_major = p->http_major;
    req->http_minor = p->http_minor;
    req->keep_alive = http_should_keep_alive(p) != 0;

    if (p->content_length != ULLONG_MAX && p->content_length > rp->max_body_bytes)
        return set_error(rp, 413, "payload_too_large", "request body is too large");
    const char *expect = http_parsed_header(req, "Expect");
    if (expect) {
        if (strcasecmp(expect, "100-continue") != 0)
            return set_error(rp, 417, "expectation_failed", "only 100-continue is supported");
        rp->want_continue = true;
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    struct http_reqparser *rp = p->data;
    if (buf_append(&rp->req.body, at, len) != 0)
        return set_error(rp, 413, "payload_too_large", "request body is too large");
    return 0;
}

static int on_message_complete(http_parser *p)
{
    struct http_reqparser *rp = p->data;
    rp->complete = true;
    rp->req.upgrade = p->upgrade != 0;
    /* Stop right after this request: pipelined bytes wait until it is answered. */
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* http-parser has its own, process-wide cap on a header section (80 KiB by
 * default). Our per-server limit (max_header_bytes, at most 1 MiB) must be
 * the one that decides, so raise theirs above it once. */
static void raise_parser_cap(void)
{
    http_parser_set_max_header_size((1u << 20) + 4096);
}

void http_reqparser_init(struct http_reqparser *rp, size_t max_header_bytes, size_t max_body_bytes)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, raise_parser_cap);
    memset(rp, 0, sizeof *rp);
    http_parser_init(&rp->p, HTTP_REQUEST);
    rp->p.data = rp;
    rp->max_header_bytes = max_header_bytes;
    rp->max_body_bytes = max_body_bytes;
    buf_init(&rp->head, max_header_bytes);
    buf_init(&rp->parts, max_header_bytes);
    buf_init(&rp->req.body, max_body_bytes);
}

void http_reqparser_free(struct http_reqparser *rp)
{
    buf_free(&rp->head);
    buf_free(&rp->parts);
    buf_free(&rp->req.body);
}

enum http_feed_result http_reqparser_feed(struct http_reqparser *rp, const char *data, size_t len,
                                          size_t *consumed)
{
    *consumed = 0;
    if (rp->status)
        return HTTP_FEED_ERROR;
    if (rp->complete) /* caller must call http_reqparser_next first */
        return HTTP_FEED_DONE;
    if (len == 0)
        return HTTP_FEED_MORE;
    size_t n = http_parser_execute(&rp->p, &settings, data, len);
    *consumed = n;
    if (rp->status)
        return HTTP_FEED_ERROR;
    if (rp->complete)
        return HTTP_FEED_DONE;
    enum http_errno e = HTTP_PARSER_ERRNO(&rp->p);
    if (e != HPE_OK) {
        if (e == HPE_HEADER_OVERFLOW)
            set_error(rp, 431, "headers_too_large", "request headers are too large");
        else
            set_error(rp, 400, "bad_request", http_errno_description(e));
        return HTTP_FEED_ERROR;
    }
    if (n != len) /* http-parser stopped early without saying why */
        return set_error(rp, 400, "bad_request", "malformed request"), HTTP_FEED_ERROR;
    return HTTP_FEED_MORE;
}

void http_reqparser_next(struct http_reqparser *rp)
{
    buf_reset(&rp->head);
    buf_reset(&rp->parts);
    rp->headers_done = false;
    /* Don't let one big upload pin its memory for the connection's life. */
    if (rp->req.body.cap > 16384)
        buf_free(&rp->req.body);
    else
        buf_reset(&rp->req.body);
    rp->req.nheaders = 0;
    rp->req.url = rp->req.path = rp->req.query = NULL;
    rp->last = 0;
    rp->started = false;
    rp->complete = false;
    rp->want_continue = false;
    /* Only a paused parser may be resumed; after an error it stays failed
     * (the connection is closing) and http-parser asserts on a resume. */
    if (HTTP_PARSER_ERRNO(&rp->p) == HPE_PAUSED)
        http_parser_pause(&rp->p, 0);
}

const char *http_parsed_header(const struct http_parsed *req, const char *name)
{
    for (unsigned i = 0; i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

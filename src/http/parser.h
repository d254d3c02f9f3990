/*
 * parser.h - HTTP/1.1 request parsing with limits, on http-parser.
 *
 * Pure bytes in, requests out: no sockets, so it is unit-tested and fuzzed
 * on its own. One struct http_reqparser per connection parses one request at
 * a time: http_reqparser_feed() stops right after a complete request (the
 * rest of the bytes belong to the next, pipelined one) and the caller calls
 * http_reqparser_next() once it has answered.
 *
 * Limits: request line + headers <= max_header_bytes (else 431, or 414 for a
 * request line alone over it), at most HTTP_MAX_HEADERS headers (431), body
 * <= max_body_bytes whether sized by Content-Length (rejected as soon as the
 * headers are in) or chunked (rejected when it grows past the limit): 413.
 * Anything http-parser rejects (bad syntax, duplicate Content-Length,
 * Content-Length together with chunked) is a 400. After an error the
 * connection can't be resynchronised and must be closed.
 */
#ifndef ONAIR_HTTP_PARSER_H
#define ONAIR_HTTP_PARSER_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define HTTP_MAX_HEADERS 64

struct http_header {
    const char *name; /* NUL-terminated, as sent (compare case-insensitively) */
    const char *value;
    size_t value_len;
};

struct http_parsed {
    enum http_method method;
    const char *url;   /* NUL-terminated request target as sent */
    const char *path;  /* NUL-terminated path part, still percent-encoded */
    const char *query; /* NUL-terminated query without '?', "" if none */
    struct http_header headers[HTTP_MAX_HEADERS];
    unsigned nheaders;
    struct buf body;
    bool keep_alive; /* what the client asked for (version + Connection) */
    bool upgrade;    /* Upgrade header present (WebSocket) */
    unsigned short http_major, http_minor;
};

enum http_feed_result {
    HTTP_FEED_MORE = 0,  /* everything consumed; the request is not complete yet */
    HTTP_FEED_DONE = 1,  /* a request is complete (see *consumed) */
    HTTP_FEED_ERROR = 2, /* see status/code/message; close after answering */
};

struct http_reqparser {
    http_parser p;
    struct http_parsed req;
    struct buf head;  /* request target and header bytes, NUL-separated */
    struct buf parts; /* path and query split out of the target (not counted twice) */
    size_t max_header_bytes;
    size_t max_body_bytes;
    size_t header_offs[HTTP_MAX_HEADERS][2]; /* offsets of name and value in head */
    size_t query_off;                        /* offset of the query in parts; the path is at 0 */
    int last;                                /* 0 none, 1 in a field, 2 in a value */
    bool headers_done;  /* later header callbacks are chunked trailers: ignored */
    bool started;       /* a byte of the current request has arrived */
    bool complete;      /* the current request is complete */
    bool want_continue; /* client sent Expect: 100-continue; caller may answer 100 */
    /* Error result, valid after HTTP_FEED_ERROR. */
    int status;
    const char *code;
    const char *message;
};

void http_reqparser_init(struct http_reqparser *rp, size_t max_header_bytes, size_t max_body_bytes);
void http_reqparser_free(struct http_reqparser *rp);

/* Parses data. *consumed gets the bytes used: all of them for MORE, up to
 * the end of the request for DONE, undefined for ERROR. After DONE,
 * rp->req holds the request until http_reqparser_next(). */
enum http_feed_result http_reqparser_feed(struct http_reqparser *rp, const char *data, size_t len,
                                          size_t *consumed);

/* Forgets the finished request and gets ready for the next one. */
void http_reqparser_next(struct http_reqparser *rp);

/* The value of header name (case-insensitive), or NULL. */
const char *http_parsed_header(const struct http_parsed *req, const char *name);

#endif

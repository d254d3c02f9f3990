/*
 * http_client.h - a small HTTP/1.1 client on libuv and http-parser: one
 * keep-alive connection, one request at a time (GET, or any method with
 * extra headers and a body).
 *
 * The connection opens on the first request and is reused while the server
 * keeps it alive; when it was closed in between (idle timeout, Connection:
 * close) the next request opens a new one. A request that finds its reused
 * connection closed before any byte of the answer came back is sent once
 * more on a fresh connection (the usual keep-alive race). So only send
 * requests that are safe to repeat: GETs, or POSTs the server deduplicates
 * (a donation with an idempotency_key).
 *
 * The response body is collected in the connection's buffer, capped at
 * BENCH_HTTP_MAX_BODY (ETOOBIG past it), and lent to the callback: it is
 * valid only during the callback. The callback may start the next request.
 *
 * Ownership: bench_http_new returns a connection owned by the caller;
 * bench_http_free closes it and frees it from its close callback (a pending
 * request's callback is then not called). Threading: the loop's thread only.
 *
 * Errors reach the callback as a negative status: ONAIR_EIO (connect,
 * read or write failed, or the connection closed mid-response), ONAIR_EPROTO
 * (an unparseable response), ONAIR_ETOOBIG, ONAIR_EAGAIN (the timeout ran
 * out). bench_http_get itself returns ONAIR_EAGAIN if a request is pending.
 */
#ifndef ONAIR_BENCH_HTTP_CLIENT_H
#define ONAIR_BENCH_HTTP_CLIENT_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "core/buf.h"

#define BENCH_HTTP_MAX_BODY (32u * 1024 * 1024)

struct bench_http;

/* status: the HTTP status (> 0) or a negative error; body: the response
 * body (empty on error). */
typedef void (*bench_http_fn)(struct bench_http *c, int status, const struct buf *body, void *arg);

/* host: for the Host header ("127.0.0.1:8080"). addr is copied. */
struct bench_http *bench_http_new(uv_loop_t *loop, const struct sockaddr *addr, const char *host);
void bench_http_free(struct bench_http *c);

/* GET target (path and query). fn runs exactly once unless the connection
 * is freed first. timeout_ms bounds the whole exchange (0: none). */
int bench_http_get(struct bench_http *c, const char *target, uint64_t timeout_ms, bench_http_fn fn,
                   void *arg);

/* A request: method ("POST"), target, extra header lines (each ending in
 * "\r\n"; NULL: none) and a body (body_len bytes; NULL: none, else sent
 * with its Content-Length). Everything is copied. */
struct bench_http_req {
    const char *method;
    const char *target;
    const char *headers;
    const char *body;
    size_t body_len;
};

/* Like bench_http_get for any request. ONAIR_EINVAL when the request line
 * and headers pass 8 KiB. */
int bench_http_request(struct bench_http *c, const struct bench_http_req *r, uint64_t timeout_ms,
                       bench_http_fn fn, void *arg);

/* Bytes received on this connection (headers and bodies), and connections
 * opened so far. */
uint64_t bench_http_bytes(const struct bench_http *c);
uint64_t bench_http_connects(const struct bench_http *c);

#endif

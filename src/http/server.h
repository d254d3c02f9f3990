/*
 * server.h - the HTTP/1.1 server of one I/O loop.
 *
 * Each loop runs its own struct http_server with its own SO_REUSEPORT
 * listener on the same address, so the kernel spreads connections across
 * loops and a connection stays on the loop that accepted it.
 *
 * Requests on one connection are handled one at a time, in order: after a
 * complete request the connection stops parsing (and reading) until the
 * handler has answered, then continues with any pipelined bytes. So
 * pipelined requests are answered in order with no per-connection queue,
 * and a client that pipelines without reading is held back by the bounded
 * write queue.
 *
 * Handlers: a handler gets a struct http_request and must call exactly one
 * http_respond* function for it, now or later, on the same loop. The
 * request (and everything it points to) stays valid until then, even if
 * the client disconnects meanwhile; the answer is then dropped.
 *
 * Timeouts: a request must arrive whole within header_timeout_ms of its
 * first byte (a new connection counts from accept), otherwise 408 and
 * close; a keep-alive connection idle for idle_timeout_ms is closed.
 */
#ifndef ONAIR_HTTP_SERVER_H
#define ONAIR_HTTP_SERVER_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/parser.h"
#include "http/router.h"

struct loop;
struct http_conn;

struct http_server_options {
    size_t max_header_bytes;
    size_t max_body_bytes;
    uint64_t header_timeout_ms;
    uint64_t idle_timeout_ms;
    unsigned max_connections; /* across every loop of the process */
};

struct http_request {
    enum http_method method; /* as sent: HEAD stays HEAD */
    const char *path;        /* percent-encoded, no query */
    const char *query;       /* without '?', "" if none */
    const char *body;        /* NUL-terminated for convenience; may hold NULs */
    size_t body_len;
    const struct http_parsed *parsed; /* headers, version */
    struct http_match match;          /* route and decoded path parameters */
    char remote_ip[48];
    struct loop *loop;
    int64_t start_ns;

    struct http_conn *conn; /* private */
    bool responded;         /* private */
};

struct http_server;

/* Creates the server of one loop. The router is shared and must outlive it. */
struct http_server *http_server_new(struct loop *loop, const struct http_router *router,
                                    const struct http_server_options *opt);

/* Binds host:port with SO_REUSEPORT and starts accepting. *bound_port gets
 * the real port (useful with port 0). Call on the loop's thread or before
 * the loop runs. 0 or ONAIR_EIO (logged). */
int http_server_listen(struct http_server *s, const char *host, int port, int *bound_port);

/* Graceful stop: closes the listener and idle connections; busy ones close
 * after their current response. On the loop's thread. */
void http_server_shutdown(struct http_server *s);

/* Closes every connection now (after the shutdown timeout) and frees the
 * server once its handles are closed. On the loop's thread. */
void http_server_close(struct http_server *s);

/* Open connections in the whole process. Any thread. */
unsigned http_server_connections(void);

/* Answers req. Copies body. extra_headers is NULL or "Name: value\r\n"
 * lines. For HEAD the body is left out but Content-Length kept. */
void http_respond(struct http_request *req, int status, const char *content_type,
                  const char *extra_headers, const void *body, size_t len);

/* A slice of shared, immutable bytes sent without copying: release(owner)
 * runs once the write is done (or dropped), on the request's loop. */
struct http_body_ref {
    const void *data;
    size_t len;
    void (*release)(void *owner);
    void *owner;
};

/* Most slices one http_respond_refs or http_conn_send call takes. */
#define HTTP_CONN_SEND_MAX 256

/* Answers req with the concatenation of refs[0..n) as the body, written
 * straight from those bytes (one writev with the head). Takes one reference
 * per slice: each is released exactly once, whatever happens.
 * n <= HTTP_CONN_SEND_MAX. */
void http_respond_refs(struct http_request *req, int status, const char *content_type,
                       const char *extra_headers, const struct http_body_ref *refs, unsigned n);

/* ---- protocol upgrade (WebSocket) ---- */

/* Callbacks of a connection that left HTTP, all on the connection's loop. */
struct http_upgrade_ops {
    /* Bytes from the peer (the first call may carry bytes that arrived
     * together with the upgrade request). */
    void (*on_data)(void *user, const uint8_t *data, size_t len);
    /* The connection is gone (peer closed, error, or http_conn_close):
     * exactly once; the conn must not be used after it returns. */
    void (*on_close)(void *user);
    /* The server is shutting down: say goodbye and http_conn_close soon. */
    void (*on_shutdown)(void *user);
};

/* Answers req with "101 Switching Protocols" plus extra_headers ("Name:
 * value\r\n" lines: Upgrade, Connection, Sec-WebSocket-Accept...) and hands
 * the connection to ops/user. Returns the connection for the calls below. */
struct http_conn *http_upgrade(struct http_request *req, const char *extra_headers,
                               const struct http_upgrade_ops *ops, void *user);
/* Queues shared slices for writing (one writev); each is released after
 * the write, or at once if the connection is closing. 0 or ONAIR_ECLOSED.
 * A peer found gone is closed afterwards, from the loop: on_close never
 * runs inside this call (or inside http_conn_send_borrowed). */
int http_conn_send(struct http_conn *c, const struct http_body_ref *refs, unsigned n);
/* Like http_conn_send, but the caller keeps its references: what the socket
 * takes at once is written and nothing is kept; for each slice that has to
 * wait, retain(owner) is called, and release(owner) once it is written.
 * Saves a reference count round trip per slice for readers that keep up
 * (chat fan-out: one shared frame, thousands of connections). */
int http_conn_send_borrowed(struct http_conn *c, const struct http_body_ref *refs, unsigned n,
                            void (*retain)(void *owner));
/* Bytes queued and not yet written (for backpressure decisions). */
size_t http_conn_queued(const struct http_conn *c);
/* Closes the connection, after the queued writes when graceful. on_close
 * follows (never from inside this call). */
void http_conn_close(struct http_conn *c, bool graceful);
struct loop *http_conn_loop(const struct http_conn *c);
const char *http_conn_remote_ip(const struct http_conn *c);

/* A header of the request (case-insensitive name), or NULL. */
const char *http_request_header(const struct http_request *req, const char *name);
/* Parses n ASCII digits (1..15 of them, no sign) into *out. */
bool http_parse_u64(const char *s, size_t n, uint64_t *out);
/* Looks key up in a query string ("a=1&b=2"). *present says whether it is
 * there; returns false when it is present but not a number http_parse_u64
 * takes. */
bool http_query_u64(const char *query, const char *key, uint64_t *out, bool *present);
/* Looks key up the same way and form-decodes its value ('+' is a space,
 * %XX a byte) into out (cap bytes, NUL included). Returns false when it is
 * present but has a bad escape, decodes a NUL, or does not fit; the decoded
 * bytes are not checked as UTF-8. */
bool http_query_str(const char *query, const char *key, char *out, size_t cap, bool *present);

/* A decoded path parameter by name, or NULL. */
const char *http_request_param(const struct http_request *req, const char *name);

/* Registers the HTTP families with core/metrics (once, at startup). */
void http_metrics_register(const struct http_router *router);

#endif

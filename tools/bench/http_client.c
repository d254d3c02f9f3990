/*
 * http_client.c - keep-alive HTTP/1.1 requests on libuv (see http_client.h).
 *
 * A struct bench_http outlives its TCP connections: each connection is a
 * separately allocated struct io, detached (owner = NULL) when it is closed
 * and freed in its close callback, so a new one can open at once.
 */
#include "http_client.h"

#include <http_parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

struct io {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    struct bench_http *owner; /* NULL once detached */
    bool connected;
    bool used; /* carried a request before the current one */
};

struct bench_http {
    uv_loop_t *loop;
    struct sockaddr_storage addr;
    char host[80];
    struct io *io;
    uv_timer_t timer;
    bool freed;
    uint64_t bytes, connects;

    /* The request in flight (fn != NULL). */
    bench_http_fn fn;
    void *arg;
    struct buf req; /* the whole request, as sent (again, on a retry) */
    bool got_bytes; /* some of the answer arrived */
    bool retried;
    http_parser parser;
    bool complete;
    struct buf body;
    int body_err;
};

static char read_buf[64 * 1024];

static void start_io(struct bench_http *c);

static int on_body(http_parser *hp, const char *at, size_t len)
{
    struct bench_http *c = hp->data;
    if (!c->body_err && buf_append(&c->body, at, len) < 0)
        c->body_err = ONAIR_ETOOBIG;
    return 0;
}

static int on_complete(http_parser *hp)
{
    struct bench_http *c = hp->data;
    c->complete = true;
    http_parser_pause(hp, 1); /* stop here: nothing may follow an answer */
    return 0;
}

static const http_parser_settings settings = {
    .on_body = on_body,
    .on_message_complete = on_complete,
};

static void io_closed(uv_handle_t *h)
{
    free(h->data);
}

static void io_close(struct bench_http *c)
{
    struct io *io = c->io;
    if (!io)
        return;
    c->io = NULL;
    io->owner = NULL;
    io->tcp.data = io;
    uv_close((uv_handle_t *)&io->tcp, io_closed);
}

/* Ends the request in flight with status; may run the user's callback,
 * which may free c (then only the timer's close callback still uses it). */
static void finish(struct bench_http *c, int status)
{
    bench_http_fn fn = c->fn;
    if (!fn)
        return;
    c->fn = NULL;
    uv_timer_stop(&c->timer);
    if (status < 0)
        buf_reset(&c->body);
    fn(c, status, &c->body, c->arg);
}

static void on_write(uv_write_t *req, int status)
{
    struct io *io = req->data;
    free(req);
    if (status < 0 && io->owner && io->owner->io == io) {
        struct bench_http *c = io->owner;
        io_close(c);
        finish(c, ONAIR_EIO);
    }
}

static void send_request(struct bench_http *c)
{
    struct io *io = c->io;
    uv_write_t *req = xmalloc(sizeof *req + c->req.len);
    char *data = (char *)(req + 1);
    memcpy(data, c->req.data, c->req.len);
    req->data = io;
    uv_buf_t b = uv_buf_init(data, (unsigned)c->req.len);
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->complete = false;
    c->got_bytes = false;
    buf_reset(&c->body);
    c->body_err = 0;
    if (uv_write(req, (uv_stream_t *)&io->tcp, &b, 1, on_write) < 0) {
        free(req);
        io_close(c);
        finish(c, ONAIR_EIO);
    }
}

/* The connection ended (EOF or error) while the request was in flight. */
static void lost(struct bench_http *c, bool eof)
{
    struct io *io = c->io;
    bool reused = io && io->used;
    if (eof && c->got_bytes && !c->complete) {
        /* A body delimited by the close: tell the parser it ended. */
        http_parser_execute(&c->parser, &settings, NULL, 0);
    }
    io_close(c);
    if (c->complete) {
        finish(c, c->body_err ? c->body_err : (int)c->parser.status_code);
    } else if (!c->got_bytes && reused && !c->retried) {
        c->retried = true;
        start_io(c);
    } else {
        finish(c, ONAIR_EIO);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    *b = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct io *io = s->data;
    struct bench_http *c = io->owner;
    if (!c)
        return;
    if (nread < 0) {
        if (c->fn)
            lost(c, nread == UV_EOF);
        else
            io_close(c);
        return;
    }
    if (nread == 0)
        return;
    c->bytes += (uint64_t)nread;
    if (!c->fn || c->complete) {
        io_close(c); /* bytes nobody asked for: this connection can't be trusted */
        return;
    }
    c->got_bytes = true;
    http_parser_execute(&c->parser, &settings, b->base, (size_t)nread);
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (c->complete) {
        bool keep = http_should_keep_alive(&c->parser);
        io->used = true;
        if (!keep)
            io_close(c);
        finish(c, c->body_err ? c->body_err : (int)c->parser.status_code);
    } else if (e != HPE_OK) {
        io_close(c);
        finish(c, ONAIR_EPROTO);
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct io *io = req->data;
    struct bench_http *c = io->owner;
    if (!c)
        return;
    if (status < 0) {
        io_close(c);
        finish(c, ONAIR_EIO);
        return;
    }
    io->connected = true;
    uv_tcp_nodelay(&io->tcp, 1);
    uv_read_start((uv_stream_t *)&io->tcp, on_alloc, on_read);
    send_request(c);
}

static void start_io(struct bench_http *c)
{
    struct io *io = xcalloc(1, sizeof *io);
    io->owner = c;
    io->tcp.data = io;
    io->connect_req.data = io;
    uv_tcp_init(c->loop, &io->tcp);
    c->io = io;
    c->connects++;
    if (uv_tcp_connect(&io->connect_req, &io->tcp, (const struct sockaddr *)&c->addr, on_connect) <
        0) {
        io_close(c);
        finish(c, ONAIR_EIO);
    }
}

static void on_timeout(uv_timer_t *t)
{
    struct bench_http *c = t->data;
    io_close(c);
    finish(c, ONAIR_EAGAIN);
}

struct bench_http *bench_http_new(uv_loop_t *loop, const struct sockaddr *addr, const char *host)
{
    struct bench_http *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    memcpy(&c->addr, addr,
           addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    snprintf(c->host, sizeof c->host, "%s", host);
    buf_init(&c->req, 0);
    buf_init(&c->body, BENCH_HTTP_MAX_BODY);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    return c;
}

static void timer_closed(uv_handle_t *h)
{
    struct bench_http *c = h->data;
    buf_free(&c->req);
    buf_free(&c->body);
    free(c);
}

void bench_http_free(struct bench_http *c)
{
    if (!c || c->freed)
        return;
    c->freed = true;
    c->fn = NULL;
    io_close(c);
    uv_close((uv_handle_t *)&c->timer, timer_closed);
}

int bench_http_request(struct bench_http *c, const struct bench_http_req *r, uint64_t timeout_ms,
                       bench_http_fn fn, void *arg)
{
    if (c->fn)
        return ONAIR_EAGAIN;
    if (c->freed)
        return ONAIR_ECLOSED;
    char head[8192];
    int n;
    if (r->body)
        n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: onair-bench\r\nAccept: */*\r\n"
                     "%sContent-Length: %zu\r\n\r\n",
                     r->method, r->target, c->host, r->headers ? r->headers : "", r->body_len);
    else
        n = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: onair-bench\r\nAccept: */*\r\n"
                     "%s\r\n",
                     r->method, r->target, c->host, r->headers ? r->headers : "");
    if (n < 0 || (size_t)n >= sizeof head)
        return ONAIR_EINVAL;
    buf_reset(&c->req);
    buf_append(&c->req, head, (size_t)n);
    if (r->body)
        buf_append(&c->req, r->body, r->body_len);
    c->fn = fn;
    c->arg = arg;
    c->retried = false;
    if (timeout_ms)
        uv_timer_start(&c->timer, on_timeout, timeout_ms, 0);
    if (c->io && c->io->connected)
        send_request(c);
    else if (!c->io)
        start_io(c);
    /* else: connecting; on_connect sends it */
    return 0;
}

int bench_http_get(struct bench_http *c, const char *target, uint64_t timeout_ms, bench_http_fn fn,
                   void *arg)
{
    struct bench_http_req r = {.method = "GET", .target = target};
    return bench_http_request(c, &r, timeout_ms, fn, arg);
}

uint64_t bench_http_bytes(const struct bench_http *c)
{
    return c->bytes;
}

uint64_t bench_http_connects(const struct bench_http *c)
{
    return c->connects;
}

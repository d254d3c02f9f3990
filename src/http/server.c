/*
 * server.c - connections of one loop: accept, read, parse, dispatch, write,
 * time out, close. See server.h for the contract.
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/net.h"
#include "http/json.h"

/* Past this many unsent response bytes, a connection stops taking requests
 * until the client reads: pipelining can't grow memory without bound. */
#define WRITE_QUEUE_MAX (1u << 20)
#define READ_BUF_SIZE 65536

enum timer_kind { TIMER_NONE, TIMER_REQUEST, TIMER_IDLE, TIMER_LINGER };

/* After the last response of a connection we send FIN and keep reading (and
 * dropping) for a moment before closing: closing a socket with unread input
 * makes the kernel send RST, which can destroy the response on its way to a
 * client that was still sending (a 413 for a large upload, pipelined
 * requests after Connection: close). */
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (1u << 20)

/* What a connection needs only while it speaks HTTP (~3.5 KiB): dropped
 * when it is upgraded, so a WebSocket connection doesn't carry it. */
struct http_exchange {
    struct http_reqparser rp;
    struct http_request req;
};

struct http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    struct http_server *srv;
    struct http_conn *prev, *next;
    struct http_exchange *ex; /* HTTP parsing state; freed once upgraded */
    char *pending;            /* bytes after a complete request, parsed once it is answered */
    size_t pending_len, pending_off;
    enum timer_kind timer_kind;
    int open_handles; /* tcp + timer until their close callbacks ran */
    bool inflight;    /* a handler holds req */
    bool reading;
    bool close_after; /* close once the queued writes are flushed */
    bool closing;     /* uv_close called */
    bool processing;  /* inside process(): don't re-enter */
    bool wait_write;  /* parsing held back by a full write queue */
    bool sent_continue;
    bool lingering; /* FIN sent; input is read and dropped until EOF */
    size_t linger_bytes;
    unsigned served;       /* requests answered on this connection */
    bool upgraded;         /* bytes go to up_ops (WebSocket), not HTTP */
    bool up_close_pending; /* http_conn_close was called */
    const struct http_upgrade_ops *up_ops;
    void *up_user;
    char remote_ip[48];
};

struct http_server {
    struct loop *loop;
    uv_tcp_t listener;
    bool listening;
    bool shutting_down;
    bool closing;
    const struct http_router *router;
    struct http_server_options opt;
    struct http_conn *conns;
    char readbuf[READ_BUF_SIZE]; /* one read at a time per loop */
    char date[64];
    time_t date_sec;
};

struct write_req {
    uv_write_t w;
    struct http_conn *conn;
    char *data;                 /* the head (and copied body), freed after */
    struct http_body_ref *refs; /* shared slices to release after, or NULL */
    unsigned nrefs;
};

/* Connections the kernel may hold for accept(); it caps this at
 * net.core.somaxconn. A spike of thousands of clients at once must not
 * overflow it (dropped SYNs wait a second to be retried). */
#define LISTEN_BACKLOG 65535

static void write_req_free(struct write_req *wr)
{
    for (unsigned i = 0; i < wr->nrefs; i++)
        if (wr->refs[i].release)
            wr->refs[i].release(wr->refs[i].owner);
    free(wr->refs);
    free(wr->data);
    free(wr);
}

/* ---- metrics ---- */

static atomic_uint open_connections;
static atomic_uint_fast64_t accepted_total;
static atomic_uint_fast64_t refused_total;

#define REQ_SLOTS 2048
struct req_counter {
    atomic_uint_fast64_t key; /* route << 24 | method << 16 | status; 0 = empty */
    atomic_uint_fast64_t count;
};
static struct req_counter req_counters[REQ_SLOTS];
static struct metrics_histogram route_latency[HTTP_ROUTE__COUNT];

static void count_request(int route, enum http_method method, int status, double seconds)
{
    uint64_t key = ((uint64_t)(route + 1) << 24) | ((uint64_t)method << 16) | (uint64_t)status;
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    for (unsigned i = 0; i < REQ_SLOTS; i++) {
        struct req_counter *c = &req_counters[(h + i) % REQ_SLOTS];
        uint_fast64_t k = atomic_load_explicit(&c->key, memory_order_acquire);
        if (k == 0) {
            uint_fast64_t expected = 0;
            if (atomic_compare_exchange_strong(&c->key, &expected, key))
                k = key;
            else
                k = expected;
        }
        if (k == key) {
            atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
            break;
        }
    }
    if (route >= 0 && route < HTTP_ROUTE__COUNT)
        metrics_histogram_observe(&route_latency[route], seconds);
}

unsigned http_server_connections(void)
{
    return atomic_load(&open_connections);
}

static void write_metrics(struct buf *out, void *arg)
{
    const struct http_router *router = arg;
    buf_printf(out,
               "# HELP onair_http_connections Open HTTP connections.\n"
               "# TYPE onair_http_connections gauge\n"
               "onair_http_connections %u\n",
               atomic_load(&open_connections));
    buf_printf(out,
               "# HELP onair_http_connections_accepted_total HTTP connections accepted.\n"
               "# TYPE onair_http_connections_accepted_total counter\n"
               "onair_http_connections_accepted_total %llu\n"
               "# HELP onair_http_connections_refused_total Connections refused at "
               "max-connections.\n"
               "# TYPE onair_http_connections_refused_total counter\n"
               "onair_http_connections_refused_total %llu\n",
               (unsigned long long)atomic_load(&accepted_total),
               (unsigned long long)atomic_load(&refused_total));
    buf_printf(out, "# HELP onair_http_requests_total HTTP requests answered, by route, method "
                    "and status.\n"
                    "# TYPE onair_http_requests_total counter\n");
    for (unsigned i = 0; i < REQ_SLOTS; i++) {
        uint64_t key = atomic_load_explicit(&req_counters[i].key, memory_order_acquire);
        if (!key)
            continue;
        int route = (int)(key >> 24) - 1;
        int method = (int)((key >> 16) & 0xff);
        int status = (int)(key & 0xffff);
        buf_printf(
            out, "onair_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} %llu\n",
            http_router_route_pattern(router, route), http_method_str((enum http_method)method),
            status, (unsigned long long)atomic_load(&req_counters[i].count));
    }
    buf_printf(out, "# HELP onair_http_request_duration_seconds Time from a request's last byte "
                    "to its response, by route.\n"
                    "# TYPE onair_http_request_duration_seconds histogram\n");
    for (int r = 0; r < HTTP_ROUTE__COUNT; r++) {
        if (r >= http_router_count(router) && r < HTTP_ROUTE_STATIC)
            continue;
        if (!atomic_load(&route_latency[r].count))
            continue;
        char labels[160];
        snprintf(labels, sizeof labels, "route=\"%s\"", http_router_route_pattern(router, r));
        metrics_histogram_write(out, "onair_http_request_duration_seconds", labels,
                                &route_latency[r]);
    }
}

void http_metrics_register(const struct http_router *router)
{
    metrics_register(write_metrics, (void *)router);
}

/* ---- helpers ---- */

static const char *status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Entity";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    }
    return "Unknown";
}

static const char *http_date(struct http_server *s)
{
    time_t now = time(NULL);
    if (now != s->date_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(s->date, sizeof s->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        s->date_sec = now;
    }
    return s->date;
}

const char *http_request_header(const struct http_request *req, const char *name)
{
    return http_parsed_header(req->parsed, name);
}

bool http_parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 15)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* The raw (still encoded) value of the first "key=" in a query string, or
 * NULL; its length to *len. */
static const char *query_find(const char *q, const char *key, size_t *len)
{
    size_t kl = strlen(key);
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n > kl && strncmp(q, key, kl) == 0 && q[kl] == '=') {
            *len = n - kl - 1;
            return q + kl + 1;
        }
        q += n;
        if (*q == '&')
            q++;
    }
    return NULL;
}

bool http_query_u64(const char *q, const char *key, uint64_t *out, bool *present)
{
    size_t len;
    const char *v = query_find(q, key, &len);
    *present = v != NULL;
    return !v || http_parse_u64(v, len, out);
}

bool http_query_str(const char *q, const char *key, char *out, size_t cap, bool *present)
{
    size_t len;
    const char *v = query_find(q, key, &len);
    *present = v != NULL;
    if (!v)
        return true;
    /* Form encoding: '+' is a space (and "%2B" a plus), so decode the runs
     * between pluses. Invariant: o < cap, out[o] is the NUL. */
    size_t o = 0;
    for (;;) {
        size_t run = strcspn(v, "+&");
        if (run > len)
            run = len;
        int d = http_percent_decode(v, run, out + o, cap - o, 1);
        if (d < 0)
            return false;
        o += (size_t)d;
        if (run == len)
            return true;
        if (o + 1 >= cap)
            return false;
        out[o++] = ' ';
        out[o] = '\0';
        v += run + 1;
        len -= run + 1;
    }
}

const char *http_request_param(const struct http_request *req, const char *name)
{
    for (unsigned i = 0; i < req->match.nparams; i++)
        if (strcmp(req->match.names[i], name) == 0)
            return req->match.values[i];
    return NULL;
}

/* ---- connection lifecycle ---- */

static void process(struct http_conn *c, const char *data, size_t len);
static void resume(struct http_conn *c);
static void set_timer(struct http_conn *c, enum timer_kind kind);
static void read_stop(struct http_conn *c);

static void drop_exchange(struct http_conn *c)
{
    if (c->ex) {
        http_reqparser_free(&c->ex->rp);
        free(c->ex);
        c->ex = NULL;
    }
}

static void conn_free(struct http_conn *c)
{
    drop_exchange(c);
    free(c->pending);
    free(c);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct http_conn *c = h->data;
    if (--c->open_handles == 0 && !c->inflight)
        conn_free(c);
}

static void maybe_free_server(struct http_server *s);

static void conn_close(struct http_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    struct http_server *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    atomic_fetch_sub(&open_connections, 1);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, on_handle_closed);
    if (c->upgraded && c->up_ops) {
        const struct http_upgrade_ops *ops = c->up_ops;
        c->up_ops = NULL;
        ops->on_close(c->up_user);
    }
    maybe_free_server(s);
}

static void answer_parse_error(struct http_conn *c, int status, const char *code,
                               const char *message);

static void on_timer(uv_timer_t *t)
{
    struct http_conn *c = t->data;
    if (c->timer_kind == TIMER_REQUEST && !c->inflight && c->ex && c->ex->rp.started) {
        /* Slow client (slow loris): tell it why, then hang up. */
        log_debug("http", "request timeout", "ip=%s", c->remote_ip);
        answer_parse_error(c, 408, "request_timeout", "request took too long to arrive");
        return;
    }
    conn_close(c);
}

static void set_timer(struct http_conn *c, enum timer_kind kind)
{
    if (c->closing)
        return;
    if (kind == TIMER_NONE) {
        uv_timer_stop(&c->timer);
    } else {
        uint64_t ms =
            kind == TIMER_REQUEST ? c->srv->opt.header_timeout_ms : c->srv->opt.idle_timeout_ms;
        uv_timer_start(&c->timer, on_timer, ms, 0);
    }
    c->timer_kind = kind;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct http_conn *c = h->data;
    (void)suggested;
    b->base = c->srv->readbuf;
    b->len = sizeof c->srv->readbuf;
}

static void read_stop(struct http_conn *c)
{
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    struct http_conn *c = st->data;
    if (nread == 0)
        return;
    if (c->lingering) {
        if (nread < 0 || (c->linger_bytes += (size_t)nread) > LINGER_MAX_BYTES)
            conn_close(c);
        return;
    }
    if (c->upgraded) {
        drop_exchange(c); /* upgraded by a handler that answered later */
        if (nread < 0)
            conn_close(c);
        else if (c->up_ops)
            c->up_ops->on_data(c->up_user, (const uint8_t *)b->base, (size_t)nread);
        return;
    }
    if (nread < 0) {
        read_stop(c);
        if (c->inflight) {
            /* The client half-closed after its request: answer, then close. */
            c->close_after = true;
            return;
        }
        conn_close(c);
        return;
    }
    process(c, b->base, (size_t)nread);
}

static void read_start(struct http_conn *c)
{
    if (!c->reading && !c->closing && !c->close_after) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
            c->reading = true;
        else
            conn_close(c);
    }
}

static void on_linger_shutdown(uv_shutdown_t *req, int status)
{
    struct http_conn *c = req->data;
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    set_timer(c, TIMER_LINGER);
    if (!c->reading && uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
}

/* Ends a connection whose last response is fully written: FIN, then linger. */
static void finish_conn(struct http_conn *c)
{
    if (c->closing || c->lingering)
        return;
    c->lingering = true;
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_linger_shutdown) != 0)
        conn_close(c);
}

static void on_written(uv_write_t *w, int status)
{
    struct write_req *wr = (struct write_req *)w;
    struct http_conn *c = wr->conn;
    write_req_free(wr);
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
    if (c->upgraded) {
        if (c->up_close_pending && queued == 0)
            conn_close(c);
        return;
    }
    if (c->close_after && !c->inflight && queued == 0) {
        finish_conn(c);
        return;
    }
    if (c->wait_write && queued < WRITE_QUEUE_MAX / 2) {
        c->wait_write = false;
        resume(c);
    }
}

/* ---- dispatch ---- */

static void dispatch(struct http_conn *c)
{
    struct http_request *req = &c->ex->req;
    const struct http_parsed *p = &c->ex->rp.req;
    memset(req, 0, offsetof(struct http_request, remote_ip));
    req->method = p->method;
    req->path = p->path;
    req->query = p->query;
    req->body = p->body.data ? p->body.data : "";
    req->body_len = p->body.len;
    req->parsed = p;
    req->loop = c->srv->loop;
    req->start_ns = clock_mono_ns();
    req->conn = c;
    req->responded = false;
    memcpy(req->remote_ip, c->remote_ip, sizeof req->remote_ip);
    c->inflight = true;
    set_timer(c, TIMER_NONE);
    if (!p->keep_alive || c->srv->shutting_down)
        c->close_after = true;

    char allow[128];
    switch (
        http_router_match(c->srv->router, p->method, p->path, &req->match, allow, sizeof allow)) {
    case HTTP_ROUTE_FOUND:
        req->match.fn(req, req->match.ctx);
        return;
    case HTTP_ROUTE_NOT_FOUND:
        http_respond_error(req, 404, "not_found", "no such resource");
        return;
    case HTTP_ROUTE_BAD_METHOD: {
        char hdr[160];
        snprintf(hdr, sizeof hdr, "Allow: %s\r\n", allow);
        http_respond_error_headers(req, 405, "method_not_allowed",
                                   "method not allowed for this resource", hdr);
        return;
    }
    case HTTP_ROUTE_BAD_PARAM:
        http_respond_error(req, 400, "bad_request", "malformed path parameter");
        return;
    }
}

/* Keeps the unparsed rest of a read (at most one read's worth) until the
 * connection can take another request. data may point into c->pending. */
static void keep_pending(struct http_conn *c, const char *data, size_t len)
{
    if (len == 0 || c->close_after) {
        free(c->pending);
        c->pending = NULL;
        c->pending_len = c->pending_off = 0;
        return;
    }
    if (c->pending && data >= c->pending && data < c->pending + c->pending_off + c->pending_len) {
        c->pending_off = (size_t)(data - c->pending);
        c->pending_len = len;
        return;
    }
    char *copy = xmalloc(len);
    memcpy(copy, data, len);
    free(c->pending);
    c->pending = copy;
    c->pending_off = 0;
    c->pending_len = len;
}

static void answer_parse_error(struct http_conn *c, int status, const char *code,
                               const char *message)
{
    struct http_request *req = &c->ex->req;
    memset(req, 0, offsetof(struct http_request, remote_ip));
    memcpy(req->remote_ip, c->remote_ip, sizeof req->remote_ip);
    req->conn = c;
    req->loop = c->srv->loop;
    req->method = HTTP_GET;
    req->path = "-";
    req->query = "";
    req->body = "";
    req->parsed = &c->ex->rp.req;
    req->match.route = HTTP_ROUTE_UNMATCHED;
    req->start_ns = clock_mono_ns();
    req->responded = false;
    read_stop(c);
    set_timer(c, TIMER_NONE);
    c->close_after = true;
    c->inflight = true;
    http_respond_error(req, status, code, message);
}

static void send_continue(struct http_conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    c->sent_continue = true;
    struct write_req *wr = xcalloc(1, sizeof *wr);
    wr->conn = c;
    wr->data = xstrdup(cont);
    uv_buf_t b = uv_buf_init(wr->data, sizeof cont - 1);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
        write_req_free(wr);
        conn_close(c);
    }
}

/* Parses and dispatches as many complete requests from data as the
 * connection may take now; keeps the rest for later and reads again only
 * when everything was used. */
static void process(struct http_conn *c, const char *data, size_t len)
{
    c->processing = true;
    while (len > 0 && !c->closing && !c->inflight && !c->close_after) {
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > WRITE_QUEUE_MAX) {
            c->wait_write = true;
            break;
        }
        size_t used = 0;
        enum http_feed_result r = http_reqparser_feed(&c->ex->rp, data, len, &used);
        if (r == HTTP_FEED_ERROR) {
            answer_parse_error(c, c->ex->rp.status, c->ex->rp.code, c->ex->rp.message);
            break;
        }
        if (r == HTTP_FEED_MORE) {
            if (c->ex->rp.started && c->timer_kind != TIMER_REQUEST)
                set_timer(c, TIMER_REQUEST);
            if (c->ex->rp.want_continue && !c->sent_continue)
                send_continue(c);
            len = 0;
            break;
        }
        data += used;
        len -= used;
        c->sent_continue = false;
        dispatch(c); /* may answer at once, clearing inflight */
        if (c->upgraded) {
            /* The rest belongs to the new protocol; the handler is done
             * with the request. */
            drop_exchange(c);
            c->processing = false;
            if (len > 0 && c->up_ops && !c->closing)
                c->up_ops->on_data(c->up_user, (const uint8_t *)data, len);
            return;
        }
    }
    c->processing = false;
    if (c->closing)
        return;
    keep_pending(c, data, len);
    /* Reading goes on while a handler works (a parked LL-HLS request):
     * stopping and restarting it costs epoll_ctl calls per request, and a
     * client that sends more meanwhile is stopped here once its bytes are
     * kept in pending. Not while an upgrade is decided: bytes after it
     * belong to the new protocol and must stay in the socket until then. */
    bool upgrading = c->inflight && c->ex && c->ex->rp.req.upgrade;
    if (!c->pending && !c->wait_write && !c->close_after && !upgrading)
        read_start(c);
    else
        read_stop(c);
}

/* Continues after a request was answered or the write queue drained. */
static void resume(struct http_conn *c)
{
    if (c->closing || c->inflight || c->processing)
        return;
    if (c->close_after) {
        read_stop(c);
        return; /* on_written ends it once the response is out */
    }
    if (c->pending && c->pending_len) {
        process(c, c->pending + c->pending_off, c->pending_len);
    } else {
        read_start(c);
    }
}

static void access_log(const struct http_request *req, int status, size_t bytes)
{
    if (!log_enabled(LOG_INFO))
        return;
    double ms = (double)(clock_mono_ns() - req->start_ns) / 1e6;
    char qpath[300];
    /* The query string is never logged: it may carry tokens. */
    log_write(LOG_INFO, "access", "request", "method=%s path=%s status=%d bytes=%zu ms=%.3f ip=%s",
              http_method_str(req->method), log_quote(qpath, sizeof qpath, req->path), status,
              bytes, ms, req->remote_ip);
}

static void release_refs(const struct http_body_ref *refs, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (refs[i].release)
            refs[i].release(refs[i].owner);
}

/* The one place a response is built and queued. Exactly one of (body, len)
 * or (refs, nrefs) carries the body. */
static void respond(struct http_request *req, int status, const char *content_type,
                    const char *extra_headers, const void *body, size_t len,
                    const struct http_body_ref *refs, unsigned nrefs)
{
    struct http_conn *c = req->conn;
    if (req->responded) {
        log_err("http", "second response to one request ignored", "status=%d", status);
        release_refs(refs, nrefs);
        return;
    }
    if (nrefs > HTTP_CONN_SEND_MAX) {
        log_err("http", "response has too many slices", "n=%u", nrefs);
        release_refs(refs, nrefs);
        nrefs = 0;
        refs = NULL;
        status = 500;
        body = NULL;
        len = 0;
    }
    for (unsigned i = 0; i < nrefs; i++)
        len += refs[i].len;
    req->responded = true;
    double secs = (double)(clock_mono_ns() - req->start_ns) / 1e9;
    count_request(req->match.route, req->method, status, secs);
    access_log(req, status, len);

    c->inflight = false;
    if (c->closing) {
        /* The client went away while we worked: nobody to answer. */
        release_refs(refs, nrefs);
        if (c->open_handles == 0)
            conn_free(c);
        return;
    }
    http_reqparser_next(&c->ex->rp);
    c->served++;
    if (c->srv->shutting_down)
        c->close_after = true;
    /* Idle until the next request's first byte (process() switches to the
     * request timer then); on_written ends the connection if it must close. */
    set_timer(c, c->close_after ? TIMER_NONE : TIMER_IDLE);

    struct http_server *s = c->srv;
    bool head = req->method == HTTP_HEAD;
    bool no_body = head || status == 204 || status == 304 || status < 200;
    bool http10 = req->parsed && req->parsed->http_major == 1 && req->parsed->http_minor == 0;
    struct buf out;
    buf_init(&out, 0);
    buf_printf(&out, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: onair\r\n", status, status_text(status),
               http_date(s));
    if (content_type && status != 304)
        buf_printf(&out, "Content-Type: %s\r\n", content_type);
    if (status != 204 && status != 304)
        buf_printf(&out, "Content-Length: %zu\r\n", len);
    if (c->close_after)
        buf_append_str(&out, "Connection: close\r\n");
    else if (http10)
        buf_append_str(&out, "Connection: keep-alive\r\n");
    if (extra_headers)
        buf_append_str(&out, extra_headers);
    buf_append_str(&out, "\r\n");
    if (!no_body && body && len)
        buf_append(&out, body, len);

    struct write_req *wr = xcalloc(1, sizeof *wr);
    wr->conn = c;
    size_t n;
    wr->data = buf_take(&out, &n);
    uv_buf_t bufs[1 + HTTP_CONN_SEND_MAX];
    unsigned nbufs = 0;
    bufs[nbufs++] = uv_buf_init(wr->data, (unsigned)n);
    if (nrefs) {
        /* The write owns the references from here on. */
        wr->refs = xmalloc(nrefs * sizeof *refs);
        memcpy(wr->refs, refs, nrefs * sizeof *refs);
        wr->nrefs = nrefs;
        if (!no_body)
            for (unsigned i = 0; i < nrefs; i++)
                if (refs[i].len)
                    bufs[nbufs++] = uv_buf_init((char *)refs[i].data, (unsigned)refs[i].len);
    }
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, bufs, nbufs, on_written) != 0) {
        write_req_free(wr);
        conn_close(c);
        return;
    }
    resume(c);
}

void http_respond(struct http_request *req, int status, const char *content_type,
                  const char *extra_headers, const void *body, size_t len)
{
    respond(req, status, content_type, extra_headers, body, len, NULL, 0);
}

void http_respond_refs(struct http_request *req, int status, const char *content_type,
                       const char *extra_headers, const struct http_body_ref *refs, unsigned n)
{
    respond(req, status, content_type, extra_headers, NULL, 0, refs, n);
}

/* ---- upgraded connections ---- */

struct http_conn *http_upgrade(struct http_request *req, const char *extra_headers,
                               const struct http_upgrade_ops *ops, void *user)
{
    struct http_conn *c = req->conn;
    req->responded = true;
    count_request(req->match.route, req->method, 101,
                  (double)(clock_mono_ns() - req->start_ns) / 1e9);
    access_log(req, 101, 0);
    c->inflight = false;
    c->upgraded = true;
    c->up_ops = ops;
    c->up_user = user;
    c->served++;
    set_timer(c, TIMER_NONE);
    struct buf out;
    buf_init(&out, 0);
    buf_printf(&out, "HTTP/1.1 101 Switching Protocols\r\nDate: %s\r\nServer: onair\r\n%s\r\n",
               http_date(c->srv), extra_headers ? extra_headers : "");
    struct write_req *wr = xcalloc(1, sizeof *wr);
    wr->conn = c;
    size_t n;
    wr->data = buf_take(&out, &n);
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)n);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
        write_req_free(wr);
        conn_close(c); /* calls on_close */
        return c;
    }
    if (!c->reading && uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
    return c;
}

/* uv_try_write as one sendmsg(2): libuv writes through write(2)/writev(2),
 * which on a socket also pay for the file layer (vfs_write, fdget_pos) on
 * every call. The bytes written, UV_EAGAIN when the socket is full or a
 * write is already queued (order), or another negative libuv error. */
static int try_send(struct http_conn *c, uv_buf_t *bufs, unsigned nb)
{
    if (c->tcp.write_queue_size > 0)
        return UV_EAGAIN;
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) != 0)
        return UV_EBADF;
    /* uv_buf_t is laid out as struct iovec on Unix (libuv's own promise) */
    struct msghdr m = {.msg_iov = (struct iovec *)bufs, .msg_iovlen = nb};
    ssize_t r;
    do
        r = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r >= 0)
        return (int)r;
    return errno == EAGAIN || errno == EWOULDBLOCK ? UV_EAGAIN : uv_translate_sys_error(errno);
}

/* Writes refs: first straight into the socket when nothing is queued before
 * them (no allocation, nothing kept: the common case for a reader that
 * keeps up), then queues whatever the socket did not take. Owned refs
 * (retain NULL) are released once written; borrowed ones are retained only
 * for the part that has to wait. */
static int send_refs(struct http_conn *c, const struct http_body_ref *refs, unsigned n,
                     void (*retain)(void *owner))
{
    bool owned = retain == NULL;
    if (c->closing || c->up_close_pending || n == 0 || n > HTTP_CONN_SEND_MAX) {
        if (owned)
            release_refs(refs, n);
        return c->closing || c->up_close_pending ? ONAIR_ECLOSED : (n == 0 ? 0 : ONAIR_EINVAL);
    }
    uv_buf_t bufs[HTTP_CONN_SEND_MAX];
    unsigned from[HTTP_CONN_SEND_MAX]; /* the ref each buffer comes from */
    unsigned nb = 0;
    for (unsigned i = 0; i < n; i++)
        if (refs[i].len) {
            from[nb] = i;
            bufs[nb++] = uv_buf_init((char *)refs[i].data, (unsigned)refs[i].len);
        }
    int w = nb ? try_send(c, bufs, nb) : 0;
    if (w < 0 && w != UV_EAGAIN) { /* the peer is gone (reset, broken pipe) */
        if (owned)
            release_refs(refs, n);
        /* Not conn_close: its on_close would run inside the caller, which
         * may be walking a list this connection is on (chat fan-out). */
        http_conn_close(c, false);
        return ONAIR_ECLOSED;
    }
    size_t done = w > 0 ? (size_t)w : 0;
    unsigned first = 0;
    while (first < nb && done >= bufs[first].len) {
        done -= bufs[first].len;
        first++;
    }
    if (first == nb) {
        if (owned)
            release_refs(refs, n);
        return 0;
    }
    bufs[first].base += done;
    bufs[first].len -= (unsigned)done;
    unsigned keep = from[first]; /* refs[keep..n) are still needed */
    if (owned)
        release_refs(refs, keep);
    struct write_req *wr = xcalloc(1, sizeof *wr);
    wr->conn = c;
    wr->nrefs = n - keep;
    wr->refs = xmalloc(wr->nrefs * sizeof *refs);
    memcpy(wr->refs, refs + keep, wr->nrefs * sizeof *refs);
    for (unsigned i = 0; !owned && i < wr->nrefs; i++)
        if (wr->refs[i].release)
            retain(wr->refs[i].owner);
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, bufs + first, nb - first, on_written) != 0) {
        write_req_free(wr);
        http_conn_close(c, false);
        return ONAIR_ECLOSED;
    }
    return 0;
}

int http_conn_send(struct http_conn *c, const struct http_body_ref *refs, unsigned n)
{
    return send_refs(c, refs, n, NULL);
}

int http_conn_send_borrowed(struct http_conn *c, const struct http_body_ref *refs, unsigned n,
                            void (*retain)(void *owner))
{
    return send_refs(c, refs, n, retain);
}

size_t http_conn_queued(const struct http_conn *c)
{
    return c->closing ? 0 : uv_stream_get_write_queue_size((const uv_stream_t *)&c->tcp);
}

static void close_soon(uv_timer_t *t)
{
    conn_close(t->data);
}

void http_conn_close(struct http_conn *c, bool graceful)
{
    if (c->closing || c->up_close_pending)
        return;
    read_stop(c);
    if (graceful && uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > 0) {
        /* on_written closes it once the queue is out; a peer that never
         * reads gets 5 s. */
        c->up_close_pending = true;
        uv_timer_start(&c->timer, close_soon, 5000, 0);
        return;
    }
    /* Not from inside the caller's stack: on_close must not re-enter it. */
    c->up_close_pending = true;
    uv_timer_start(&c->timer, close_soon, 0, 0);
}

struct loop *http_conn_loop(const struct http_conn *c)
{
    return c->srv->loop;
}

const char *http_conn_remote_ip(const struct http_conn *c)
{
    return c->remote_ip;
}

/* ---- accept and listen ---- */

static void on_connection(uv_stream_t *listener, int status)
{
    struct http_server *s = listener->data;
    if (status < 0) {
        log_warn("http", "accept failed", "err=\"%s\"", uv_strerror(status));
        return;
    }
    struct http_conn *c = xcalloc(1, sizeof *c);
    c->srv = s;
    uv_tcp_init(&s->loop->uv, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    if (atomic_load(&open_connections) >= s->opt.max_connections || s->shutting_down) {
        /* Over the limit: hang up at once rather than queue without bound. */
        atomic_fetch_add(&refused_total, 1);
        uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
        return;
    }
    atomic_fetch_add(&open_connections, 1);
    atomic_fetch_add(&accepted_total, 1);
    uv_timer_init(&s->loop->uv, &c->timer);
    c->timer.data = c;
    c->open_handles = 2;
    uv_tcp_nodelay(&c->tcp, 1);
    c->ex = xcalloc(1, sizeof *c->ex);
    http_reqparser_init(&c->ex->rp, s->opt.max_header_bytes, s->opt.max_body_bytes);

    net_peer_ip(&c->tcp, c->remote_ip, sizeof c->remote_ip);
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    set_timer(c, TIMER_REQUEST);
    read_start(c);
}

struct http_server *http_server_new(struct loop *loop, const struct http_router *router,
                                    const struct http_server_options *opt)
{
    struct http_server *s = xcalloc(1, sizeof *s);
    s->loop = loop;
    s->router = router;
    s->opt = *opt;
    return s;
}

int http_server_listen(struct http_server *s, const char *host, int port, int *bound_port)
{
    int rc = net_listen(&s->loop->uv, &s->listener, host, port, LISTEN_BACKLOG, on_connection, s,
                        bound_port, "http");
    if (rc == 0)
        s->listening = true;
    return rc;
}

static void on_listener_closed(uv_handle_t *h)
{
    struct http_server *s = h->data;
    s->listening = false;
    maybe_free_server(s);
}

void http_server_shutdown(struct http_server *s)
{
    s->shutting_down = true;
    if (s->listening && !uv_is_closing((uv_handle_t *)&s->listener))
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    struct http_conn *c = s->conns;
    while (c) {
        struct http_conn *next = c->next;
        if (c->upgraded) {
            if (c->up_ops && c->up_ops->on_shutdown)
                c->up_ops->on_shutdown(c->up_user);
        } else if (c->inflight) {
            c->close_after = true; /* answered, then closed */
        } else if ((c->ex && c->ex->rp.started) || c->lingering) {
            /* Mid-request: dispatch() will see shutting_down and close after
             * answering. Lingering ones end on their own timer. */
        } else if (c->served > 0) {
            conn_close(c); /* idle keep-alive */
        } else {
            /* Accepted but silent: its request may be in flight on the
             * network. Give it a moment, not the whole header timeout. */
            uv_timer_start(&c->timer, on_timer, 1000, 0);
            c->timer_kind = TIMER_REQUEST;
        }
        c = next;
    }
}

static void maybe_free_server(struct http_server *s)
{
    if (s->closing && !s->conns && !s->listening)
        free(s);
}

void http_server_close(struct http_server *s)
{
    http_server_shutdown(s);
    while (s->conns)
        conn_close(s->conns);
    s->closing = true;
    maybe_free_server(s);
}

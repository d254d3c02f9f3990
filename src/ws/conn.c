#include "ws/conn.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "http/json.h"
#include "http/server.h"
#include "ws/frame.h"

struct ws_conn {
    struct http_conn *http;
    struct ws_reader reader;
    struct ws_conn_options opt;
    const struct ws_conn_ops *ops;
    void *user;
    uv_timer_t timer;
    uint64_t last_heard_ms;
    bool closing; /* a close frame was sent */
    bool gone;    /* the HTTP connection closed: on_close was called */
    bool timer_open;
};

static atomic_long m_open;
static atomic_uint_fast64_t m_accepted, m_messages_in, m_slow_closes, m_too_big_closes;

static void send_raw(struct ws_conn *c, struct buf *b)
{
    size_t n;
    void *data = buf_take(b, &n);
    struct bytes *by = bytes_take(data, n);
    struct http_body_ref ref = {by->data, by->len, bytes_release, by};
    http_conn_send(c->http, &ref, 1);
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void ws_conn_close(struct ws_conn *c, uint16_t code, const char *reason)
{
    if (c->closing || c->gone)
        return;
    c->closing = true;
    struct buf b;
    buf_init(&b, 0);
    ws_close_write(&b, code, reason ? reason : "");
    send_raw(c, &b);
    /* We don't wait for the peer's close frame beyond flushing ours. */
    http_conn_close(c->http, true);
}

static int on_message(const struct ws_message *m, void *arg)
{
    struct ws_conn *c = arg;
    c->last_heard_ms = uv_now(c->timer.loop);
    switch (m->opcode) {
    case WS_TEXT:
        atomic_fetch_add_explicit(&m_messages_in, 1, memory_order_relaxed);
        if (!c->closing)
            c->ops->on_text(c->user, (const char *)m->data, m->len);
        break;
    case WS_BINARY:
        ws_conn_close(c, WS_CLOSE_UNSUPPORTED, "binary messages are not supported");
        return ONAIR_ECLOSED;
    case WS_PING: {
        struct buf b;
        buf_init(&b, 0);
        ws_frame_write(&b, WS_PONG, m->data, m->len);
        send_raw(c, &b);
        break;
    }
    case WS_PONG:
        break;
    case WS_CLOSE:
        /* Echo the code (RFC 6455 5.5.1) and close. */
        ws_conn_close(c, m->close_code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL : m->close_code, "");
        return ONAIR_ECLOSED;
    default:
        break;
    }
    return c->gone ? ONAIR_ECLOSED : 0;
}

static void on_data(void *user, const uint8_t *data, size_t len)
{
    struct ws_conn *c = user;
    if (c->closing)
        return;
    c->last_heard_ms = uv_now(c->timer.loop);
    int rc = ws_reader_feed(&c->reader, data, len, on_message, c);
    if (rc && rc != ONAIR_ECLOSED && c->reader.close_code == WS_CLOSE_TOO_BIG)
        atomic_fetch_add(&m_too_big_closes, 1);
    if (rc && rc != ONAIR_ECLOSED && c->reader.close_code)
        ws_conn_close(c, c->reader.close_code,
                      c->reader.close_code == WS_CLOSE_TOO_BIG ? "message too big"
                                                               : "protocol error");
}

static void on_http_close(void *user)
{
    struct ws_conn *c = user;
    c->gone = true;
    atomic_fetch_sub(&m_open, 1);
    ws_reader_free(&c->reader);
    c->ops->on_close(c->user);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static void on_shutdown(void *user)
{
    ws_conn_close(user, WS_CLOSE_GOING_AWAY, "server shutting down");
}

static const struct http_upgrade_ops upgrade_ops = {on_data, on_http_close, on_shutdown};

static void on_tick(uv_timer_t *t)
{
    struct ws_conn *c = t->data;
    uint64_t quiet = uv_now(t->loop) - c->last_heard_ms;
    if (quiet >= c->opt.idle_ms) {
        ws_conn_close(c, WS_CLOSE_GOING_AWAY, "idle");
        return;
    }
    if (quiet >= c->opt.ping_ms && !c->closing) {
        struct buf b;
        buf_init(&b, 0);
        ws_frame_write(&b, WS_PING, "", 0);
        send_raw(c, &b);
    }
}

static bool header_has_token(const char *v, const char *token)
{
    /* Comma-separated, case-insensitive: "keep-alive, Upgrade". */
    size_t tl = strlen(token);
    while (v && *v) {
        while (*v == ' ' || *v == ',')
            v++;
        size_t n = strcspn(v, ",");
        size_t m = n;
        while (m && v[m - 1] == ' ')
            m--;
        if (m == tl && strncasecmp(v, token, tl) == 0)
            return true;
        v += n;
    }
    return false;
}

struct ws_conn *ws_conn_accept(struct http_request *req, const struct ws_conn_options *opt,
                               const struct ws_conn_ops *ops, void *user)
{
    const char *up = http_request_header(req, "Upgrade");
    const char *conn = http_request_header(req, "Connection");
    const char *ver = http_request_header(req, "Sec-WebSocket-Version");
    const char *key = http_request_header(req, "Sec-WebSocket-Key");
    if (!up || strcasecmp(up, "websocket") != 0 || !header_has_token(conn, "upgrade")) {
        http_respond_error_headers(req, 426, "upgrade_required",
                                   "this endpoint speaks WebSocket only", "Upgrade: websocket\r\n");
        return NULL;
    }
    if (!ver || strcmp(ver, "13") != 0) {
        http_respond_error_headers(req, 426, "upgrade_required", "WebSocket version 13 only",
                                   "Sec-WebSocket-Version: 13\r\n");
        return NULL;
    }
    char accept[29];
    if (!key || ws_accept_key(key, accept) != 0) {
        http_respond_error(req, 400, "bad_request", "missing or malformed Sec-WebSocket-Key");
        return NULL;
    }
    struct ws_conn *c = xcalloc(1, sizeof *c);
    c->opt = *opt;
    c->ops = ops;
    c->user = user;
    ws_reader_init(&c->reader, opt->max_message);
    uv_timer_init(&req->loop->uv, &c->timer);
    c->timer.data = c;
    c->last_heard_ms = uv_now(&req->loop->uv);
    char headers[160];
    snprintf(headers, sizeof headers,
             "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n", accept);
    atomic_fetch_add(&m_open, 1);
    atomic_fetch_add(&m_accepted, 1);
    c->http = http_upgrade(req, headers, &upgrade_ops, c);
    if (!c->gone) {
        uint64_t every = opt->ping_ms < opt->idle_ms ? opt->ping_ms : opt->idle_ms;
        uv_timer_start(&c->timer, on_tick, every, every);
    }
    return c;
}

int ws_conn_send_text(struct ws_conn *c, const char *text, size_t len)
{
    if (c->closing || c->gone)
        return ONAIR_ECLOSED;
    struct bytes *f = ws_frame_text(text, len);
    int rc = ws_conn_send_frame(c, f);
    bytes_unref(f);
    return rc;
}

int ws_conn_send_frame(struct ws_conn *c, struct bytes *frame)
{
    return ws_conn_send_frames(c, &frame, 1);
}

_Static_assert(WS_SEND_FRAMES_MAX <= HTTP_CONN_SEND_MAX, "one http_conn_send per call");

int ws_conn_send_frames(struct ws_conn *c, struct bytes **frames, size_t n)
{
    if (c->closing || c->gone)
        return ONAIR_ECLOSED;
    if (http_conn_queued(c->http) > c->opt.max_queue) {
        /* Too slow: it would make us hold its backlog forever. It comes
         * back with `since` and loses nothing. */
        atomic_fetch_add(&m_slow_closes, 1);
        ws_conn_close(c, WS_CLOSE_TRY_AGAIN, "too slow; reconnect and catch up");
        return ONAIR_ECLOSED;
    }
    struct http_body_ref refs[WS_SEND_FRAMES_MAX];
    if (n > WS_SEND_FRAMES_MAX)
        return ONAIR_EINVAL;
    for (size_t i = 0; i < n; i++)
        refs[i] = (struct http_body_ref){frames[i]->data, frames[i]->len, bytes_release, frames[i]};
    return http_conn_send_borrowed(c->http, refs, (unsigned)n, bytes_retain);
}

size_t ws_conn_queued(const struct ws_conn *c)
{
    return c->gone ? 0 : http_conn_queued(c->http);
}

const char *ws_conn_remote_ip(const struct ws_conn *c)
{
    return http_conn_remote_ip(c->http);
}

struct loop *ws_conn_loop(const struct ws_conn *c)
{
    return http_conn_loop(c->http);
}

struct bytes *ws_frame_text(const char *text, size_t len)
{
    struct buf b;
    buf_init(&b, 0);
    ws_frame_write(&b, WS_TEXT, text, len);
    size_t n;
    void *data = buf_take(&b, &n);
    return bytes_take(data, n);
}

void ws_metrics(struct buf *out, void *arg)
{
    (void)arg;
    buf_printf(out,
               "# HELP onair_ws_connections Open WebSocket connections.\n"
               "# TYPE onair_ws_connections gauge\nonair_ws_connections %ld\n"
               "# HELP onair_ws_accepted_total WebSocket upgrades accepted.\n"
               "# TYPE onair_ws_accepted_total counter\nonair_ws_accepted_total %llu\n"
               "# HELP onair_ws_messages_in_total Text messages received from clients.\n"
               "# TYPE onair_ws_messages_in_total counter\nonair_ws_messages_in_total %llu\n"
               "# HELP onair_ws_slow_closes_total Connections closed with 1013 for falling "
               "behind.\n"
               "# TYPE onair_ws_slow_closes_total counter\nonair_ws_slow_closes_total %llu\n"
               "# HELP onair_ws_too_big_closes_total Connections closed with 1009.\n"
               "# TYPE onair_ws_too_big_closes_total counter\nonair_ws_too_big_closes_total "
               "%llu\n",
               atomic_load(&m_open), (unsigned long long)atomic_load(&m_accepted),
               (unsigned long long)atomic_load(&m_messages_in),
               (unsigned long long)atomic_load(&m_slow_closes),
               (unsigned long long)atomic_load(&m_too_big_closes));
}

/*
 * ws_client.c - RFC 6455 client connections on libuv (see ws_client.h).
 */
#include "ws_client.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench.h"
#include "core/alloc.h"
#include "ws/frame.h"

#define HANDSHAKE_MAX 8192

/* Every connection of the process reads here; see the header. */
static char read_buf[256 * 1024];
static uint32_t rng_state;

static uint32_t rng(void)
{
    if (!rng_state)
        rng_state = (uint32_t)uv_hrtime() | 1;
    uint32_t x = rng_state; /* xorshift32: masks and keys need no more */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* ---- frames ---- */

size_t bench_ws_frame_client(uint8_t *out, int opcode, const char *data, size_t len, uint32_t mask)
{
    size_t h = 0;
    out[h++] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        out[h++] = (uint8_t)(0x80 | len);
    } else if (len < 65536) {
        out[h++] = 0x80 | 126;
        out[h++] = (uint8_t)(len >> 8);
        out[h++] = (uint8_t)len;
    } else {
        out[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            out[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    uint8_t m[4] = {(uint8_t)(mask >> 24), (uint8_t)(mask >> 16), (uint8_t)(mask >> 8),
                    (uint8_t)mask};
    memcpy(out + h, m, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        out[h + i] = (uint8_t)data[i] ^ m[i & 3];
    return h + len;
}

/* The header at data: 0 when incomplete, -1 when refused, else its length
 * with *total the whole frame's. */
static long frame_header(const uint8_t *data, size_t len, uint64_t *total, uint64_t *plen)
{
    if (len < 2)
        return 0;
    if (data[1] & 0x80)
        return -1; /* servers never mask */
    uint64_t n = data[1] & 0x7f;
    long h = 2;
    if (n == 126) {
        if (len < 4)
            return 0;
        n = (uint64_t)data[2] << 8 | data[3];
        h = 4;
    } else if (n == 127) {
        if (len < 10)
            return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | data[2 + i];
        h = 10;
    }
    if (n > BENCH_WS_MAX_MESSAGE)
        return -1;
    *plen = n;
    *total = (uint64_t)h + n;
    return h;
}

long bench_ws_frame_server(const uint8_t *data, size_t len, int *opcode, bool *fin,
                           const uint8_t **payload, size_t *plen)
{
    uint64_t total, n;
    long h = frame_header(data, len, &total, &n);
    if (h <= 0)
        return h;
    if (len < total)
        return 0;
    *opcode = data[0] & 0x0f;
    *fin = data[0] & 0x80;
    *payload = data + h;
    *plen = (size_t)n;
    return (long)total;
}

/* ---- closing ---- */

static void on_tcp_closed(uv_handle_t *h)
{
    struct bench_ws *ws = h->data;
    free(ws->part);
    ws->part = NULL;
    ws->part_len = ws->part_cap = 0;
    ws->state = BENCH_WS_IDLE;
    if (ws->silent)
        ws->silent = false; /* bench_ws_connect failed: it promised no callback */
    else if (ws->on_closed)
        ws->on_closed(ws);
}

/* Closes the socket now; the first reason given sticks. */
static void finish(struct bench_ws *ws, int error)
{
    if (!ws->error)
        ws->error = error;
    if (uv_is_closing((uv_handle_t *)&ws->tcp))
        return;
    ws->state = BENCH_WS_CLOSING;
    uv_close((uv_handle_t *)&ws->tcp, on_tcp_closed);
}

struct write_req {
    uv_write_t req;
    struct bench_ws *ws;
    bool close_after; /* a CLOSE frame: close the socket once written */
    uint8_t data[];
};

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct bench_ws *ws = w->ws;
    bool close_after = w->close_after;
    free(w);
    if (close_after)
        finish(ws, status < 0 ? status : BENCH_WS_CLOSED_BY_US);
    else if (status < 0 && status != UV_ECANCELED)
        finish(ws, status);
}

/* A write request with room for size bytes of data. */
static struct write_req *new_req(struct bench_ws *ws, size_t size, bool close_after)
{
    struct write_req *w = xmalloc(sizeof *w + size);
    w->ws = ws;
    w->close_after = close_after;
    return w;
}

/* Writes the request's first len bytes; takes w. */
static int submit(struct bench_ws *ws, struct write_req *w, size_t len)
{
    uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
    int rc = uv_write(&w->req, (uv_stream_t *)&ws->tcp, &b, 1, on_write);
    if (rc < 0) {
        free(w);
        finish(ws, rc);
    }
    return rc;
}

static int write_raw(struct bench_ws *ws, const void *data, size_t len)
{
    struct write_req *w = new_req(ws, len, false);
    memcpy(w->data, data, len);
    return submit(ws, w, len);
}

static int write_frame(struct bench_ws *ws, int opcode, const char *data, size_t len,
                       bool close_after)
{
    struct write_req *w = new_req(ws, len + 14, close_after);
    return submit(ws, w, bench_ws_frame_client(w->data, opcode, data, len, rng()));
}

int bench_ws_send_text(struct bench_ws *ws, const char *data, size_t len)
{
    if (ws->state != BENCH_WS_OPEN)
        return UV_ENOTCONN;
    return write_frame(ws, WS_TEXT, data, len, false);
}

void bench_ws_close(struct bench_ws *ws, bool abrupt)
{
    if (ws->state == BENCH_WS_IDLE || ws->state == BENCH_WS_CLOSING)
        return;
    if (abrupt || ws->state != BENCH_WS_OPEN) {
        finish(ws, BENCH_WS_CLOSED_BY_US);
        return;
    }
    ws->error = BENCH_WS_CLOSED_BY_US;
    ws->state = BENCH_WS_CLOSING;
    static const char normal[2] = {(char)(1000 >> 8), (char)(1000 & 0xff)};
    write_frame(ws, WS_CLOSE, normal, 2, true);
}

/* ---- receiving ---- */

static int part_append(struct bench_ws *ws, const char *data, size_t len)
{
    if ((uint64_t)ws->part_len + len > BENCH_WS_MAX_MESSAGE + 14 + HANDSHAKE_MAX)
        return -1;
    if (ws->part_len + len + 1 > ws->part_cap) {
        uint32_t cap = ws->part_cap ? ws->part_cap : 256;
        while (cap < ws->part_len + len + 1)
            cap *= 2;
        ws->part = xrealloc(ws->part, cap);
        ws->part_cap = cap;
    }
    memcpy(ws->part + ws->part_len, data, len);
    ws->part_len += (uint32_t)len;
    ws->part[ws->part_len] = '\0';
    return 0;
}

/* One whole frame. */
static void dispatch(struct bench_ws *ws, int opcode, bool fin, const uint8_t *p, size_t n)
{
    if (!fin || opcode == WS_CONT) {
        finish(ws, BENCH_WS_EPROTO);
        return;
    }
    switch (opcode) {
    case WS_TEXT:
    case WS_BINARY:
        ws->rx_messages++;
        ws->on_text(ws, (const char *)p, n);
        break;
    case WS_PING:
        write_frame(ws, WS_PONG, (const char *)p, n, false);
        break;
    case WS_PONG:
        break;
    case WS_CLOSE:
        ws->close_code = n >= 2 ? (uint16_t)(p[0] << 8 | p[1]) : 1005;
        ws->error = BENCH_WS_CLOSED_BY_PEER;
        ws->state = BENCH_WS_CLOSING;
        write_frame(ws, WS_CLOSE, (const char *)p, n >= 2 ? 2 : 0, true);
        break;
    default:
        finish(ws, BENCH_WS_EPROTO);
    }
}

/* Hands every whole frame at data to dispatch; returns the bytes used, or
 * -1 after closing for a bad frame. Stops when the connection stops being
 * open (a callback closed it). */
static long frames(struct bench_ws *ws, const char *data, size_t len)
{
    size_t used = 0;
    while (used < len && ws->state == BENCH_WS_OPEN) {
        int opcode;
        bool fin;
        const uint8_t *p;
        size_t n;
        long f =
            bench_ws_frame_server((const uint8_t *)data + used, len - used, &opcode, &fin, &p, &n);
        if (f < 0) {
            finish(ws, BENCH_WS_ETOOBIG);
            return -1;
        }
        if (f == 0)
            break;
        used += (size_t)f;
        dispatch(ws, opcode, fin, p, n);
    }
    return (long)used;
}

static void feed(struct bench_ws *ws, const char *data, size_t len)
{
    /* First finish a frame carried over from the last read, copying only
     * as many bytes as it still needs. */
    while (ws->part_len && len && ws->state == BENCH_WS_OPEN) {
        uint64_t total, plen;
        long h = frame_header((const uint8_t *)ws->part, ws->part_len, &total, &plen);
        if (h < 0) {
            finish(ws, BENCH_WS_ETOOBIG);
            return;
        }
        size_t want = h ? (size_t)(total - ws->part_len) : 1;
        size_t take = want < len ? want : len;
        part_append(ws, data, take);
        data += take;
        len -= take;
        if (h && ws->part_len == total) {
            ws->part_len = 0;
            if (frames(ws, ws->part, (size_t)total) < 0)
                return;
            if (ws->part_cap > 4096) { /* a big frame passed: give its memory back */
                free(ws->part);
                ws->part = NULL;
                ws->part_cap = 0;
            }
        }
    }
    if (!len || ws->state != BENCH_WS_OPEN)
        return;
    long used = frames(ws, data, len);
    if (used >= 0 && (size_t)used < len && ws->state == BENCH_WS_OPEN)
        part_append(ws, data + used, len - (size_t)used);
}

/* The 101 answer (in part, NUL-terminated); returns the header's length,
 * 0 when incomplete, -1 when refused. */
static long handshake(struct bench_ws *ws)
{
    char *end = strstr(ws->part, "\r\n\r\n");
    if (!end)
        return ws->part_len > HANDSHAKE_MAX ? -1 : 0;
    *end = '\0';
    char want[29];
    const char *acc = strcasestr(ws->part, "\r\nSec-WebSocket-Accept:");
    if (strncmp(ws->part, "HTTP/1.1 101", 12) != 0 || !acc || ws_accept_key(ws->key, want) < 0)
        return -1;
    acc += 23;
    acc += strspn(acc, " \t");
    if (strncmp(acc, want, 28) != 0)
        return -1;
    return end + 4 - ws->part;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    *b = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct bench_ws *ws = s->data;
    if (nread < 0) {
        finish(ws, nread == UV_EOF ? BENCH_WS_EOF : (int)nread);
        return;
    }
    if (nread == 0 || ws->state == BENCH_WS_CLOSING)
        return;
    if (ws->state == BENCH_WS_OPEN) {
        feed(ws, b->base, (size_t)nread);
        return;
    }
    if (part_append(ws, b->base, (size_t)nread) < 0) {
        finish(ws, BENCH_WS_EHANDSHAKE);
        return;
    }
    long h = handshake(ws);
    if (h < 0) {
        finish(ws, BENCH_WS_EHANDSHAKE);
        return;
    }
    if (h == 0)
        return;
    /* Bytes after the header are frames already. */
    size_t rest = ws->part_len - (size_t)h;
    char *more = rest ? xmalloc(rest) : NULL;
    if (rest)
        memcpy(more, ws->part + h, rest);
    free(ws->part);
    ws->part = NULL;
    ws->part_len = ws->part_cap = 0;
    ws->state = BENCH_WS_OPEN;
    ws->open_us = bench_now_us();
    if (ws->on_open)
        ws->on_open(ws);
    if (rest && ws->state == BENCH_WS_OPEN)
        feed(ws, more, rest);
    free(more);
}

/* ---- connecting ---- */

static void make_key(char out[25])
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t raw[18] = {0};
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = rng();
        memcpy(raw + i, &r, 4);
    }
    int o = 0;
    for (int i = 0; i < 18; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = b64[v >> 18 & 63];
        out[o++] = b64[v >> 12 & 63];
        out[o++] = b64[v >> 6 & 63];
        out[o++] = b64[v & 63];
    }
    /* 16 bytes: 22 chars + "==" (the last 2 raw bytes were zero padding). */
    out[22] = out[23] = '=';
    out[24] = '\0';
}

static void on_connect(uv_connect_t *req, int status)
{
    struct bench_ws *ws = req->data;
    if (ws->state != BENCH_WS_CONNECTING)
        return; /* closed meanwhile */
    if (status < 0) {
        finish(ws, status);
        return;
    }
    uv_tcp_nodelay(&ws->tcp, 1);
    ws->state = BENCH_WS_HANDSHAKE;
    const char *target = ws->part; /* stashed by bench_ws_connect */
    char head[2048];
    int n = snprintf(head, sizeof head,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                     "User-Agent: onair-bench\r\n\r\n",
                     target, ws->host, ws->key);
    ws->part_len = 0; /* from now on part collects the answer */
    if (n < 0 || (size_t)n >= sizeof head) {
        finish(ws, BENCH_WS_EHANDSHAKE);
        return;
    }
    int rc = uv_read_start((uv_stream_t *)&ws->tcp, on_alloc, on_read);
    if (rc < 0) {
        finish(ws, rc);
        return;
    }
    write_raw(ws, head, (size_t)n);
}

int bench_ws_connect(struct bench_ws *ws, const char *target)
{
    ws->state = BENCH_WS_IDLE;
    ws->error = 0;
    ws->close_code = 0;
    ws->open_us = 0;
    ws->part = NULL;
    ws->part_len = ws->part_cap = 0;
    int rc = uv_tcp_init_ex(ws->loop, &ws->tcp, ws->addr->sa_family);
    if (rc < 0)
        return rc;
    ws->tcp.data = ws;
    ws->connect_req.data = ws;
    if (ws->local) {
#ifdef IP_BIND_ADDRESS_NO_PORT
        /* Pick the port at connect time, per destination: one source
         * address then serves ~28k connections to each server port. */
        uv_os_fd_t fd;
        int one = 1;
        if (uv_fileno((uv_handle_t *)&ws->tcp, &fd) == 0)
            setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
        rc = uv_tcp_bind(&ws->tcp, ws->local, 0);
    }
    if (rc == 0)
        rc = uv_tcp_connect(&ws->connect_req, &ws->tcp, ws->addr, on_connect);
    if (rc < 0) {
        /* The handle exists: close it, but tell nobody (no callback). */
        ws->silent = true;
        ws->state = BENCH_WS_CLOSING;
        uv_close((uv_handle_t *)&ws->tcp, on_tcp_closed);
        return rc;
    }
    ws->connect_us = bench_now_us();
    ws->state = BENCH_WS_CONNECTING;
    make_key(ws->key);
    part_append(ws, target, strlen(target)); /* kept until the request is written */
    return 0;
}

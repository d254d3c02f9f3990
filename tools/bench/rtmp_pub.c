/*
 * rtmp_pub.c - an OBS-like RTMP publisher looping a clip (see rtmp_pub.h).
 *
 * The session is a small state machine driven by the server's replies:
 *   CONNECTING -> (TCP up) send C0+C1 -> HANDSHAKE -> (S0+S1+S2) send C2,
 *   Set Chunk Size + connect -> COMMANDS -> (_result 1) releaseStream,
 *   FCPublish, createStream -> (_result 4) publish -> (Publish.Start) LIVE.
 * Commands go on chunk stream 3 (message stream 0); publish, the metadata
 * and all media on chunk stream 4 (message stream from createStream).
 */
#include "rtmp_pub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "rtmp/amf0.h"
#include "rtmp/chunk.h"

#define CHUNK_SIZE 4096
#define CSID_COMMAND 3
#define CSID_MEDIA 4
#define HS_SIZE 1536
#define READ_MAX_MESSAGE (1u << 20)

enum txn {
    TXN_CONNECT = 1,
    TXN_RELEASE = 2,
    TXN_FCPUBLISH = 3,
    TXN_CREATE = 4,
    TXN_PUBLISH = 5,
    TXN_FCUNPUBLISH = 6,
    TXN_DELETE = 7,
};

struct wreq {
    uv_write_t req;
    struct bench_pub *p;
    char *data;
    bool close_after;
};

/* One read buffer for every publisher: the loop runs one read callback at a
 * time and each consumes its bytes before returning. */
static char read_buf[64 * 1024];

static void fail(struct bench_pub *p, enum bench_pub_state state, const char *why);
static void pump(struct bench_pub *p);

static void wr24(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 16);
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)v;
}

static void on_close(uv_handle_t *h)
{
    struct bench_pub *p = h->data;
    if (--p->open_handles == 0) {
        rtmp_chunk_reader_free(p->reader);
        amf0_decoder_free(p->amf);
        p->reader = NULL;
        p->amf = NULL;
        p->closed = true;
    }
}

static void close_all(struct bench_pub *p)
{
    uv_timer_stop(&p->timer);
    if (!uv_is_closing((uv_handle_t *)&p->timer))
        uv_close((uv_handle_t *)&p->timer, on_close);
    if (!uv_is_closing((uv_handle_t *)&p->tcp))
        uv_close((uv_handle_t *)&p->tcp, on_close);
}

static bool finished(const struct bench_pub *p)
{
    return p->state >= BENCH_PUB_REFUSED;
}

static void fail(struct bench_pub *p, enum bench_pub_state state, const char *why)
{
    if (finished(p))
        return;
    p->state = state;
    snprintf(p->error, sizeof p->error, "%s", why);
    close_all(p);
}

static void on_write(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;
    struct bench_pub *p = w->p;
    free(w->data);
    bool close_after = w->close_after;
    free(w);
    if (close_after) {
        close_all(p);
        return;
    }
    if (status < 0 && status != UV_ECANCELED) {
        char why[96];
        snprintf(why, sizeof why, "write: %s", uv_strerror(status));
        fail(p, p->state == BENCH_PUB_LIVE ? BENCH_PUB_DISCONNECTED : BENCH_PUB_REFUSED, why);
    }
}

/* Hands out's bytes to the socket (out is left empty). */
static void send_buf(struct bench_pub *p, struct buf *out, bool close_after)
{
    if (out->len == 0 && !close_after)
        return;
    if (uv_is_closing((uv_handle_t *)&p->tcp)) {
        buf_free(out);
        return;
    }
    struct wreq *w = xcalloc(1, sizeof *w);
    size_t len = out->len;
    w->p = p;
    w->close_after = close_after;
    w->data = len ? buf_take(out, &len) : NULL;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)len);
    p->bytes_sent += len;
    int rc = uv_write(&w->req, (uv_stream_t *)&p->tcp, &b, 1, on_write);
    if (rc < 0) {
        free(w->data);
        free(w);
        char why[96];
        snprintf(why, sizeof why, "write: %s", uv_strerror(rc));
        fail(p, p->state == BENCH_PUB_LIVE ? BENCH_PUB_DISCONNECTED : BENCH_PUB_REFUSED, why);
    }
}

/*
 * Appends a message on chunk stream 4 the way OBS's librtmp does: fmt 0 for
 * the first message (or a new message stream, or a timestamp that went
 * back), then fmt 1 (type or length changed) or fmt 2 (same type and
 * length) with the delta from the previous message of either type; fmt 3
 * for the continuation chunks.
 */
static void media_write(struct bench_pub *p, struct buf *out, uint8_t type, uint32_t stream,
                        uint32_t ts, const uint8_t *body, uint32_t len)
{
    bool compact = p->cs4_valid && p->cs4_stream == stream && ts >= p->cs4_ts &&
                   ts - p->cs4_ts < 0xFFFFFF && ts < 0xFFFFFF;
    if (!compact) {
        rtmp_chunk_write(out, CSID_MEDIA, CHUNK_SIZE, type, stream, ts, body, len);
    } else {
        uint8_t h[8];
        size_t hl;
        if (type != p->cs4_type || len != p->cs4_len) {
            h[0] = 0x40 | CSID_MEDIA;
            wr24(h + 1, ts - p->cs4_ts);
            wr24(h + 4, len);
            h[7] = type;
            hl = 8;
        } else {
            h[0] = 0x80 | CSID_MEDIA;
            wr24(h + 1, ts - p->cs4_ts);
            hl = 4;
        }
        buf_append(out, h, hl);
        static const uint8_t cont = 0xC0 | CSID_MEDIA;
        for (uint32_t off = 0; off < len; off += CHUNK_SIZE) {
            if (off)
                buf_append(out, &cont, 1);
            buf_append(out, body + off, len - off < CHUNK_SIZE ? len - off : CHUNK_SIZE);
        }
    }
    p->cs4_valid = true;
    p->cs4_ts = ts;
    p->cs4_len = len;
    p->cs4_type = type;
    p->cs4_stream = stream;
}

static void command_write(struct buf *out, const struct buf *amf)
{
    rtmp_chunk_write(out, CSID_COMMAND, CHUNK_SIZE, RTMP_MSG_COMMAND_AMF0, 0, 0,
                     (const uint8_t *)amf->data, amf->len);
}

static void amf_str(struct buf *a, const char *s)
{
    amf0_write_string(a, s, strlen(s));
}

static void amf_prop_str(struct buf *a, const char *name, const char *v)
{
    amf0_write_prop_name(a, name);
    amf_str(a, v);
}

/* Set Chunk Size 4096 and connect, in one write (as OBS does). */
static void send_connect(struct bench_pub *p)
{
    const char *app = p->url->path + 1;
    char tc_url[640];
    snprintf(tc_url, sizeof tc_url, "rtmp://%s:%d/%s", p->url->host, p->url->port, app);
    struct buf out, a;
    buf_init(&out, 0);
    buf_init(&a, 0);
    rtmp_write_set_chunk_size(&out, CHUNK_SIZE);
    amf_str(&a, "connect");
    amf0_write_number(&a, TXN_CONNECT);
    amf0_write_object_begin(&a);
    amf_prop_str(&a, "app", app);
    amf_prop_str(&a, "type", "nonprivate");
    amf0_write_prop_name(&a, "supportsGoAway");
    amf0_write_bool(&a, true);
    amf_prop_str(&a, "flashVer", "FMLE/3.0 (compatible; FMSc/1.0)");
    amf_prop_str(&a, "swfUrl", tc_url);
    amf_prop_str(&a, "tcUrl", tc_url);
    amf0_write_object_end(&a);
    command_write(&out, &a);
    buf_free(&a);
    send_buf(p, &out, false);
}

/* releaseStream and FCPublish (no replies awaited), then createStream. */
static void send_create(struct bench_pub *p)
{
    struct buf out, a;
    buf_init(&out, 0);
    buf_init(&a, 0);
    static const struct {
        const char *name;
        int txn;
    } cmds[] = {{"releaseStream", TXN_RELEASE}, {"FCPublish", TXN_FCPUBLISH}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        buf_reset(&a);
        amf_str(&a, cmds[i].name);
        amf0_write_number(&a, cmds[i].txn);
        amf0_write_null(&a);
        amf_str(&a, p->key);
        command_write(&out, &a);
    }
    buf_reset(&a);
    amf_str(&a, "createStream");
    amf0_write_number(&a, TXN_CREATE);
    amf0_write_null(&a);
    command_write(&out, &a);
    buf_free(&a);
    send_buf(p, &out, false);
}

static void send_publish(struct bench_pub *p)
{
    struct buf out, a;
    buf_init(&out, 0);
    buf_init(&a, 0);
    amf_str(&a, "publish");
    amf0_write_number(&a, TXN_PUBLISH);
    amf0_write_null(&a);
    amf_str(&a, p->key);
    amf_str(&a, "live");
    media_write(p, &out, RTMP_MSG_COMMAND_AMF0, p->stream_id, 0, (const uint8_t *)a.data,
                (uint32_t)a.len);
    buf_free(&a);
    send_buf(p, &out, false);
}

/* @setDataFrame + the clip's onMetaData body (string + ECMA array). */
static void send_metadata(struct bench_pub *p)
{
    const struct bench_tag *m = p->clip->metadata;
    if (!m)
        return;
    struct buf out, a;
    buf_init(&out, 0);
    buf_init(&a, 0);
    amf_str(&a, "@setDataFrame");
    buf_append(&a, m->body, m->len);
    media_write(p, &out, RTMP_MSG_DATA_AMF0, p->stream_id, 0, (const uint8_t *)a.data,
                (uint32_t)a.len);
    buf_free(&a);
    send_buf(p, &out, false);
}

static void go_live(struct bench_pub *p)
{
    int64_t now = bench_now_us();
    p->state = BENCH_PUB_LIVE;
    p->publish_start_us = now - p->connect_us;
    p->timeline.publish_start_us = now;
    send_metadata(p);
    p->media_start_us = now;
    p->next_tag = 0;
    p->loop_no = 0;
    pump(p);
}

static void on_timer(uv_timer_t *t)
{
    pump(t->data);
}

/* Sends every tag that is due and arms the timer for the next one. */
static void pump(struct bench_pub *p)
{
    if (p->state != BENCH_PUB_LIVE)
        return;
    const struct bench_clip *c = p->clip;
    int64_t now = bench_now_us();
    struct buf out;
    buf_init(&out, 0);
    for (;;) {
        if (p->next_tag == c->ntags) {
            p->next_tag = 0;
            p->loop_no++;
        }
        const struct bench_tag *t = &c->tags[p->next_tag];
        if (t->type == RTMP_MSG_DATA_AMF0 || (t->config && p->loop_no > 0)) {
            p->next_tag++;
            continue;
        }
        uint64_t ts = (uint64_t)p->loop_no * c->duration_ms + t->ts;
        int64_t due = p->media_start_us + (int64_t)ts * 1000;
        if (due > now) {
            uv_timer_start(&p->timer, on_timer, (uint64_t)(due - now + 999) / 1000, 0);
            break;
        }
        p->next_tag++;
        if (t->type == RTMP_MSG_VIDEO && !t->config) {
            size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&p->tcp) + out.len;
            if (queued > BENCH_PUB_MAX_QUEUE)
                p->congested = true;
            else if (p->congested && t->keyframe)
                p->congested = false;
            if (p->congested) {
                p->dropped_frames++;
                continue;
            }
        }
        media_write(p, &out, t->type, p->stream_id, (uint32_t)ts, t->body, t->len);
        p->media_bytes += t->len;
        if (t->type == RTMP_MSG_VIDEO && !t->config) {
            p->video_frames++;
            if (t->keyframe && !p->timeline.have_key) {
                p->timeline.have_key = true;
                p->timeline.first_key_ms = (uint32_t)ts;
            }
            bench_timeline_add(&p->timeline, (uint32_t)ts, now);
        }
    }
    send_buf(p, &out, false);
}

/* ---- replies ---- */

static bool status_code(const struct amf0_value *info, char *code, size_t size)
{
    const char *s;
    uint32_t n;
    if (!amf0_string(amf0_get(info, "code"), &s, &n))
        return false;
    snprintf(code, size, "%.*s", (int)n, s);
    return true;
}

static int on_command(struct bench_pub *p, const struct rtmp_message *m)
{
    struct amf0_value v[5];
    int n = amf0_decode(p->amf, m->payload, m->length, v, 5);
    if (n < 2)
        return 0; /* nothing a publisher needs */
    double txn = 0;
    amf0_number(&v[1], &txn);
    char code[80] = "";
    if (amf0_string_eq(&v[0], "_result")) {
        if (txn == TXN_CONNECT && p->state == BENCH_PUB_COMMANDS) {
            if (n >= 4 && status_code(&v[3], code, sizeof code) &&
                strcmp(code, "NetConnection.Connect.Success") != 0) {
                fail(p, BENCH_PUB_REFUSED, code);
                return ONAIR_EPROTO;
            }
            send_create(p);
        } else if (txn == TXN_CREATE && p->state == BENCH_PUB_COMMANDS) {
            double id = 0;
            if (n < 4 || !amf0_number(&v[3], &id) || id < 1 || id > 0xFFFFFF) {
                fail(p, BENCH_PUB_REFUSED, "createStream: no stream id in _result");
                return ONAIR_EPROTO;
            }
            p->stream_id = (uint32_t)id;
            send_publish(p);
        }
    } else if (amf0_string_eq(&v[0], "_error")) {
        if (n >= 4)
            status_code(&v[3], code, sizeof code);
        char why[96];
        snprintf(why, sizeof why, "_error for transaction %d: %.60s",
                 txn >= 0 && txn < 1e9 ? (int)txn : -1, code);
        fail(p, BENCH_PUB_REFUSED, why);
        return ONAIR_EPROTO;
    } else if (amf0_string_eq(&v[0], "onStatus") && n >= 4) {
        status_code(&v[3], code, sizeof code);
        if (strcmp(code, "NetStream.Publish.Start") == 0 && p->state == BENCH_PUB_COMMANDS) {
            go_live(p);
        } else if (strncmp(code, "NetStream.Publish.", 18) == 0 &&
                   strcmp(code, "NetStream.Publish.Start") != 0) {
            fail(p, p->state == BENCH_PUB_LIVE ? BENCH_PUB_DISCONNECTED : BENCH_PUB_REFUSED, code);
            return ONAIR_EPROTO;
        }
    }
    return 0;
}

static int on_message(const struct rtmp_message *m, void *arg)
{
    struct bench_pub *p = arg;
    if (m->type == RTMP_MSG_COMMAND_AMF0)
        return on_command(p, m);
    if (m->type == RTMP_MSG_USER_CONTROL && m->length >= 6 && m->payload[0] == 0 &&
        m->payload[1] == RTMP_UC_PING_REQUEST) {
        uint32_t t = (uint32_t)m->payload[2] << 24 | (uint32_t)m->payload[3] << 16 |
                     (uint32_t)m->payload[4] << 8 | m->payload[5];
        struct buf out;
        buf_init(&out, 0);
        rtmp_write_user_control(&out, RTMP_UC_PING_RESPONSE, t);
        send_buf(p, &out, false);
    }
    return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    (void)suggested;
    *b = uv_buf_init(read_buf, sizeof read_buf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    struct bench_pub *p = s->data;
    if (nread < 0) {
        char why[96];
        if (nread == UV_EOF)
            snprintf(why, sizeof why, "closed by the server");
        else
            snprintf(why, sizeof why, "read: %s", uv_strerror((int)nread));
        fail(p, p->state == BENCH_PUB_LIVE ? BENCH_PUB_DISCONNECTED : BENCH_PUB_REFUSED, why);
        return;
    }
    const uint8_t *d = (const uint8_t *)b->base;
    size_t n = (size_t)nread;
    if (p->state == BENCH_PUB_HANDSHAKE) {
        size_t take = sizeof p->hs - p->hs_len;
        if (take > n)
            take = n;
        memcpy(p->hs + p->hs_len, d, take);
        p->hs_len += take;
        d += take;
        n -= take;
        if (p->hs_len < sizeof p->hs)
            return;
        if (p->hs[0] != 3) {
            fail(p, BENCH_PUB_REFUSED, "handshake: S0 is not version 3");
            return;
        }
        /* C2 echoes S1. */
        struct buf out;
        buf_init(&out, 0);
        buf_append(&out, p->hs + 1, HS_SIZE);
        send_buf(p, &out, false);
        p->state = BENCH_PUB_COMMANDS;
        send_connect(p);
    }
    if (n && !finished(p)) {
        int rc = rtmp_chunk_reader_feed(p->reader, d, n, on_message, p);
        if (rc < 0 && !finished(p)) {
            char why[96];
            snprintf(why, sizeof why, "bad chunk stream from the server: %s", onair_strerror(rc));
            fail(p, p->state == BENCH_PUB_LIVE ? BENCH_PUB_DISCONNECTED : BENCH_PUB_REFUSED, why);
        }
    }
}

static void on_connect(uv_connect_t *req, int status)
{
    struct bench_pub *p = req->data;
    if (finished(p))
        return;
    if (status < 0) {
        char why[96];
        snprintf(why, sizeof why, "connect: %s", uv_strerror(status));
        fail(p, BENCH_PUB_REFUSED, why);
        return;
    }
    uv_tcp_nodelay(&p->tcp, 1);
    p->state = BENCH_PUB_HANDSHAKE;
    uv_read_start((uv_stream_t *)&p->tcp, on_alloc, on_read);
    /* C0 = 3, C1 = time (nonzero), 4 zero bytes, random: a plain handshake. */
    uint8_t c[1 + HS_SIZE];
    c[0] = 3;
    uint32_t t = (uint32_t)(bench_now_us() / 1000) | 1;
    c[1] = (uint8_t)(t >> 24);
    c[2] = (uint8_t)(t >> 16);
    c[3] = (uint8_t)(t >> 8);
    c[4] = (uint8_t)t;
    memset(c + 5, 0, 4);
    uint32_t x = t * 2654435761u;
    for (size_t i = 9; i < sizeof c; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c[i] = (uint8_t)x;
    }
    struct buf out;
    buf_init(&out, 0);
    buf_append(&out, c, sizeof c);
    send_buf(p, &out, false);
}

int bench_pub_start(struct bench_pub *p)
{
    p->state = BENCH_PUB_CONNECTING;
    p->publish_start_us = -1;
    p->reader = rtmp_chunk_reader_new(READ_MAX_MESSAGE, 16);
    p->amf = amf0_decoder_new();
    uv_tcp_init(p->loop, &p->tcp);
    uv_timer_init(p->loop, &p->timer);
    p->tcp.data = p->timer.data = p->connect_req.data = p;
    p->open_handles = 2;
    p->connect_us = bench_now_us();
    int rc = uv_tcp_connect(&p->connect_req, &p->tcp, (const struct sockaddr *)&p->url->addr,
                            on_connect);
    if (rc < 0) {
        char why[96];
        snprintf(why, sizeof why, "connect: %s", uv_strerror(rc));
        fail(p, BENCH_PUB_REFUSED, why);
    }
    return rc;
}

void bench_pub_stop(struct bench_pub *p)
{
    if (p->state == BENCH_PUB_IDLE) {
        p->state = BENCH_PUB_STOPPED;
        p->closed = true;
        return;
    }
    if (finished(p))
        return;
    bool live = p->state == BENCH_PUB_LIVE;
    p->state = BENCH_PUB_STOPPED;
    uv_timer_stop(&p->timer);
    if (!live) {
        close_all(p);
        return;
    }
    struct buf out, a;
    buf_init(&out, 0);
    buf_init(&a, 0);
    amf_str(&a, "FCUnpublish");
    amf0_write_number(&a, TXN_FCUNPUBLISH);
    amf0_write_null(&a);
    amf_str(&a, p->key);
    command_write(&out, &a);
    buf_reset(&a);
    amf_str(&a, "deleteStream");
    amf0_write_number(&a, TXN_DELETE);
    amf0_write_null(&a);
    amf0_write_number(&a, p->stream_id);
    command_write(&out, &a);
    buf_free(&a);
    send_buf(p, &out, true);
}

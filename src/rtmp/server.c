/*
 * server.c - RTMP sessions on one loop: handshake, commands, publishing.
 * See server.h for the contract.
 */
#include "rtmp/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "auth/token.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/net.h"
#include "hls/record.h"
#include "hls/segmenter.h"
#include "media/flv.h"
#include "rtmp/amf0.h"
#include "rtmp/chunk.h"
#include "rtmp/handshake.h"
#include "store/store.h"
#include "transcode/ladder.h"
#include "transcode/thumbnail.h"

#define OUT_CHUNK_SIZE 4096
#define SERVER_WINDOW 5000000
#define DEFAULT_ACK_WINDOW 2500000
#define CSID_COMMAND 3
#define CSID_STATUS 5
#define PUBLISH_STREAM_ID 1
#define MAX_CHUNK_STREAMS 64
/* Timestamps that jump like this are a broken or hostile publisher. */
#define MAX_TS_BACKWARD_MS 1000
#define MAX_TS_FORWARD_MS 30000
/* While publishing, the socket wakes us only once this much has come
 * (SO_RCVLOWAT; see update_lowat): at most this between messages when the
 * next video frame may close a part. */
#define LOWAT_IDLE_MAX 2048
/* The idle check runs this often (at most); it also hands over bytes left
 * below the low-water mark once a publisher has gone quiet. */
#define TICK_MAX_MS 1000

static atomic_uint sessions_open;
static atomic_uint_fast64_t ingest_bytes;
static atomic_uint_fast64_t publishes_accepted;
static atomic_uint_fast64_t refused_bad_key, refused_busy, dropped_bad_input;

enum sess_state { S_C0C1, S_C2, S_CHUNKS };
enum pub_state { PUB_NONE, PUB_CHECKING, PUB_LIVE, PUB_DONE };

struct grace;

struct rtmp_server {
    struct loop *loop;
    uv_tcp_t listener;
    bool listening;
    bool closing;
    struct rtmp_server_options opt;
    struct session *sessions;
    struct grace *graces;
    uint8_t readbuf[65536];
};

struct session {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct rtmp_server *srv;
    struct session *prev, *next;
    enum sess_state state;
    uint8_t hs[1 + RTMP_HANDSHAKE_SIZE];
    size_t hs_len;
    struct rtmp_chunk_reader *reader;
    struct amf0_decoder *amf;
    uint32_t ack_window;
    uint64_t acked;
    bool connected;
    bool stream_created;
    enum pub_state pub;
    char channel[STORE_USERNAME_MAX + 1];
    int64_t channel_id;
    struct hls_stream *stream;
    struct hls_segmenter *seg;
    struct thumbnailer *thumbs;
    struct ladder *ladder; /* source publishers: lower renditions */
    bool internal;         /* a ladder child publishing a rendition */
    int64_t ts_epoch[2], ts_last[2];
    bool ts_seen[2];
    uint64_t last_read_ms; /* loop time of the last bytes read */
    int lowat;             /* SO_RCVLOWAT in force (1: the default) */
    int lowat_cap;         /* a quarter of the receive buffer, 0 until read */
    uint32_t video_avg;    /* recent video message size (EWMA), 0 before any */
    int open_handles;
    int jobs; /* store jobs in flight that will come back to this session */
    bool closing;
    char remote_ip[48];
};

/* A paused stream waiting for its publisher to come back. */
struct grace {
    uv_timer_t timer;
    struct grace *next;
    struct rtmp_server *srv;
    struct hls_stream *stream;
};

/* ---- metrics ---- */

static void write_metrics(struct buf *out, void *arg)
{
    buf_printf(out,
               "# HELP onair_rtmp_connections Open RTMP connections.\n"
               "# TYPE onair_rtmp_connections gauge\n"
               "onair_rtmp_connections %u\n"
               "# HELP onair_streams_live Channels with a publisher right now.\n"
               "# TYPE onair_streams_live gauge\n"
               "onair_streams_live %u\n"
               "# HELP onair_ingest_bytes_total Bytes received from RTMP clients.\n"
               "# TYPE onair_ingest_bytes_total counter\n"
               "onair_ingest_bytes_total %llu\n"
               "# HELP onair_rtmp_publishes_total Publishers accepted.\n"
               "# TYPE onair_rtmp_publishes_total counter\n"
               "onair_rtmp_publishes_total %llu\n"
               "# HELP onair_rtmp_refused_total Publishers refused or dropped, by reason.\n"
               "# TYPE onair_rtmp_refused_total counter\n"
               "onair_rtmp_refused_total{reason=\"bad_key\"} %llu\n"
               "onair_rtmp_refused_total{reason=\"already_live\"} %llu\n"
               "onair_rtmp_refused_total{reason=\"bad_input\"} %llu\n",
               atomic_load(&sessions_open), hls_registry_live_count(),
               (unsigned long long)atomic_load(&ingest_bytes),
               (unsigned long long)atomic_load(&publishes_accepted),
               (unsigned long long)atomic_load(&refused_bad_key),
               (unsigned long long)atomic_load(&refused_busy),
               (unsigned long long)atomic_load(&dropped_bad_input));
    hls_segmenter_metrics(out, arg);
    ladder_metrics(out, arg);
}

void rtmp_metrics_register(void)
{
    metrics_register(write_metrics, NULL);
}

/* ---- store jobs (fire and forget) ---- */

struct live_job {
    int64_t channel_id;
    bool live;
    int64_t started_at;
};

static void set_live_job(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct live_job *j = arg;
    int rc = b->channel_set_live(c, j->channel_id, j->live, j->started_at);
    if (rc)
        log_warn("rtmp", "could not record live state", "channel_id=%lld err=\"%s\"",
                 (long long)j->channel_id, onair_strerror(rc));
    free(j);
}

static void record_live(struct rtmp_server *srv, const char *channel, int64_t channel_id, bool live,
                        int64_t started_at)
{
    struct live_job *j = xmalloc(sizeof *j);
    *j = (struct live_job){channel_id, live, started_at};
    if (store_submit(srv->opt.store, NULL, set_live_job, NULL, j) != 0) {
        log_warn("rtmp", "store busy; live state not recorded", "channel=%s", channel);
        free(j);
    }
    log_info("rtmp", live ? "channel is live" : "channel is offline", "channel=%s", channel);
    if (srv->opt.on_live)
        srv->opt.on_live(channel, channel_id, live, srv->opt.on_live_arg);
}

/* ---- grace period ---- */

static void on_grace_closed(uv_handle_t *h)
{
    struct grace *g = h->data;
    hls_stream_unref(g->stream);
    free(g);
}

static void grace_remove(struct grace *g)
{
    struct grace **pp = &g->srv->graces;
    while (*pp && *pp != g)
        pp = &(*pp)->next;
    if (*pp)
        *pp = g->next;
    uv_close((uv_handle_t *)&g->timer, on_grace_closed);
}

static void on_grace(uv_timer_t *t)
{
    struct grace *g = t->data;
    struct hls_stream *s = g->stream;
    if (hls_registry_expire(s, clock_wall_ms(), g->srv->opt.grace_ms)) {
        record_live(g->srv, s->channel, s->channel_id, false, 0);
        hls_record_end(s);
    }
    /* Either it ended now, or another publisher resumed it (that one's own
     * grace timer will handle its end). */
    grace_remove(g);
}

static void start_grace(struct rtmp_server *srv, struct hls_stream *s)
{
    struct grace *g = xcalloc(1, sizeof *g);
    g->srv = srv;
    g->stream = hls_stream_ref(s);
    uv_timer_init(&srv->loop->uv, &g->timer);
    g->timer.data = g;
    /* A little past the grace period, so expire() sees it fully elapsed. */
    uv_timer_start(&g->timer, on_grace, (uint64_t)srv->opt.grace_ms + 50, 0);
    g->next = srv->graces;
    srv->graces = g;
}

/* ---- sessions ---- */

static void session_free(struct session *ss)
{
    rtmp_chunk_reader_free(ss->reader);
    amf0_decoder_free(ss->amf);
    free(ss);
}

static void on_session_handle_closed(uv_handle_t *h)
{
    struct session *ss = h->data;
    if (--ss->open_handles == 0 && ss->jobs == 0)
        session_free(ss);
}

static void set_lowat(struct session *ss, int bytes);
static void read_lowat_cap(struct session *ss);

static void stop_publishing(struct session *ss)
{
    if (ss->pub != PUB_LIVE)
        return;
    ss->pub = PUB_DONE;
    set_lowat(ss, 1); /* commands from here on are answered at once */
    thumbnailer_stop(ss->thumbs);
    ss->thumbs = NULL;
    ladder_stop(ss->ladder);
    ss->ladder = NULL;
    hls_segmenter_free(ss->seg);
    ss->seg = NULL;
    if (ss->internal) {
        /* A rendition ends with its child; the stream lives on its source. */
        hls_stream_notify(ss->stream);
        hls_stream_unref(ss->stream);
        ss->stream = NULL;
        return;
    }
    hls_stream_pause(ss->stream, clock_wall_ms());
    log_info("rtmp", "publisher left; waiting for it to come back", "channel=%s grace_ms=%lld",
             ss->channel, (long long)ss->srv->opt.grace_ms);
    if (!ss->srv->closing)
        start_grace(ss->srv, ss->stream);
    hls_stream_unref(ss->stream);
    ss->stream = NULL;
}

static void session_close(struct session *ss)
{
    if (ss->closing)
        return;
    ss->closing = true;
    stop_publishing(ss);
    struct rtmp_server *srv = ss->srv;
    if (ss->prev)
        ss->prev->next = ss->next;
    else
        srv->sessions = ss->next;
    if (ss->next)
        ss->next->prev = ss->prev;
    atomic_fetch_sub(&sessions_open, 1);
    uv_close((uv_handle_t *)&ss->timer, on_session_handle_closed);
    uv_close((uv_handle_t *)&ss->tcp, on_session_handle_closed);
}

/* Logs why a publisher is dropped and closes it. */
static void drop(struct session *ss, const char *why, const char *detail)
{
    char q[200];
    log_warn("rtmp", why, "ip=%s channel=%s detail=%s", ss->remote_ip,
             ss->channel[0] ? ss->channel : "-", log_quote(q, sizeof q, detail ? detail : ""));
    atomic_fetch_add(&dropped_bad_input, 1);
    session_close(ss);
}

struct write_req {
    uv_write_t w;
    char *data;
    struct session *ss;
    bool close_after;
};

static void on_written(uv_write_t *w, int status)
{
    struct write_req *wr = (struct write_req *)w;
    if (wr->close_after || status < 0)
        session_close(wr->ss);
    free(wr->data);
    free(wr);
}

/* Queues out's bytes (and resets out). */
static void send_buf(struct session *ss, struct buf *out, bool close_after)
{
    if (ss->closing || out->len == 0) {
        buf_free(out);
        return;
    }
    struct write_req *wr = xcalloc(1, sizeof *wr);
    size_t n;
    wr->data = buf_take(out, &n);
    wr->ss = ss;
    wr->close_after = close_after;
    uv_buf_t b = uv_buf_init(wr->data, (unsigned)n);
    if (uv_write(&wr->w, (uv_stream_t *)&ss->tcp, &b, 1, on_written) != 0) {
        free(wr->data);
        free(wr);
        session_close(ss);
    }
}

static void put_command(struct buf *out, uint32_t csid, uint32_t stream_id, struct buf *amf)
{
    rtmp_chunk_write(out, csid, OUT_CHUNK_SIZE, RTMP_MSG_COMMAND_AMF0, stream_id, 0,
                     (const uint8_t *)amf->data, amf->len);
    buf_free(amf);
}

static void put_status(struct buf *out, const char *level, const char *code, const char *desc)
{
    struct buf a;
    buf_init(&a, 0);
    amf0_write_string(&a, "onStatus", 8);
    amf0_write_number(&a, 0);
    amf0_write_null(&a);
    amf0_write_object_begin(&a);
    amf0_write_prop_name(&a, "level");
    amf0_write_string(&a, level, strlen(level));
    amf0_write_prop_name(&a, "code");
    amf0_write_string(&a, code, strlen(code));
    amf0_write_prop_name(&a, "description");
    amf0_write_string(&a, desc, strlen(desc));
    amf0_write_object_end(&a);
    put_command(out, CSID_STATUS, PUBLISH_STREAM_ID, &a);
}

static void on_connect(struct session *ss, double txn, const struct amf0_value *obj)
{
    const char *app = NULL;
    uint32_t applen = 0;
    if (!amf0_string(amf0_get(obj, "app"), &app, &applen)) {
        drop(ss, "connect without an app", NULL);
        return;
    }
    /* "live", "live/" and "live?x" (some encoders append a query) are all the live app. */
    uint32_t n = 0;
    while (n < applen && app[n] != '/' && app[n] != '?')
        n++;
    struct buf out;
    buf_init(&out, 0);
    if (n != 4 || memcmp(app, "live", 4) != 0) {
        struct buf a;
        buf_init(&a, 0);
        amf0_write_string(&a, "_error", 6);
        amf0_write_number(&a, txn);
        amf0_write_null(&a);
        amf0_write_object_begin(&a);
        amf0_write_prop_name(&a, "level");
        amf0_write_string(&a, "error", 5);
        amf0_write_prop_name(&a, "code");
        amf0_write_string(&a, "NetConnection.Connect.Rejected", 30);
        amf0_write_prop_name(&a, "description");
        amf0_write_string(&a, "publish to rtmp://HOST/live/STREAM_KEY", 38);
        amf0_write_object_end(&a);
        put_command(&out, CSID_COMMAND, 0, &a);
        log_info("rtmp", "connect to an unknown app refused", "ip=%s", ss->remote_ip);
        send_buf(ss, &out, true);
        return;
    }
    ss->connected = true;
    rtmp_write_window_ack_size(&out, SERVER_WINDOW);
    rtmp_write_peer_bandwidth(&out, SERVER_WINDOW, 2);
    rtmp_write_set_chunk_size(&out, OUT_CHUNK_SIZE);
    struct buf a;
    buf_init(&a, 0);
    amf0_write_string(&a, "_result", 7);
    amf0_write_number(&a, txn);
    amf0_write_object_begin(&a);
    amf0_write_prop_name(&a, "fmsVer");
    amf0_write_string(&a, "FMS/3,0,1,123", 13);
    amf0_write_prop_name(&a, "capabilities");
    amf0_write_number(&a, 31);
    amf0_write_object_end(&a);
    amf0_write_object_begin(&a);
    amf0_write_prop_name(&a, "level");
    amf0_write_string(&a, "status", 6);
    amf0_write_prop_name(&a, "code");
    amf0_write_string(&a, "NetConnection.Connect.Success", 29);
    amf0_write_prop_name(&a, "description");
    amf0_write_string(&a, "Connection succeeded.", 21);
    amf0_write_prop_name(&a, "objectEncoding");
    amf0_write_number(&a, 0);
    amf0_write_object_end(&a);
    put_command(&out, CSID_COMMAND, 0, &a);
    send_buf(ss, &out, false);
}

static void on_create_stream(struct session *ss, double txn)
{
    struct buf out, a;
    buf_init(&out, 0);
    buf_init(&a, 0);
    amf0_write_string(&a, "_result", 7);
    amf0_write_number(&a, txn);
    amf0_write_null(&a);
    amf0_write_number(&a, PUBLISH_STREAM_ID);
    put_command(&out, CSID_COMMAND, 0, &a);
    ss->stream_created = true;
    send_buf(ss, &out, false);
}

/* ---- publish: key check on a store thread, then claim the channel ---- */

struct key_job {
    struct session *ss;
    uint8_t hash[STORE_HASH_LEN];
    struct store_channel channel;
    int rc;
};

static void key_lookup(struct store_conn *c, const struct store_backend *b, void *arg)
{
    struct key_job *j = arg;
    j->rc = b->channel_by_key_hash(c, j->hash, &j->channel);
}

static void refuse(struct session *ss, const char *code, const char *desc)
{
    struct buf out;
    buf_init(&out, 0);
    put_status(&out, "error", code, desc);
    send_buf(ss, &out, true);
}

static void key_checked(void *arg)
{
    struct key_job *j = arg;
    struct session *ss = j->ss;
    ss->jobs--;
    if (ss->closing) {
        if (ss->open_handles == 0 && ss->jobs == 0)
            session_free(ss);
        free(j);
        return;
    }
    if (j->rc == ONAIR_ENOTFOUND) {
        atomic_fetch_add(&refused_bad_key, 1);
        log_info("rtmp", "publish with an unknown stream key refused", "ip=%s", ss->remote_ip);
        ss->pub = PUB_DONE;
        refuse(ss, "NetStream.Publish.BadName", "unknown stream key");
        free(j);
        return;
    }
    if (j->rc) {
        ss->pub = PUB_DONE;
        refuse(ss, "NetStream.Publish.Failed", "the server could not check the stream key");
        free(j);
        return;
    }
    snprintf(ss->channel, sizeof ss->channel, "%s", j->channel.name);
    ss->channel_id = j->channel.id;
    free(j);

    bool resumed = false;
    int rc =
        hls_registry_claim(ss->channel, ss->channel_id, &ss->srv->opt.hls, &ss->stream, &resumed);
    if (rc) {
        atomic_fetch_add(&refused_busy, 1);
        log_info("rtmp", "second publisher refused: channel already live", "channel=%s ip=%s",
                 ss->channel, ss->remote_ip);
        ss->pub = PUB_DONE;
        refuse(ss, "NetStream.Publish.Denied",
               rc == ONAIR_ECONFLICT ? "this channel is already live from another encoder"
                                     : "the server is at its stream limit");
        return;
    }
    ss->seg = hls_segmenter_new(ss->stream, "src", resumed);
    ss->thumbs = thumbnailer_start(ss->srv->loop, ss->stream);
    ss->ladder = ladder_start(ss->srv->loop, ss->channel);
    ss->pub = PUB_LIVE;
    atomic_fetch_add(&publishes_accepted, 1);
    struct buf out;
    buf_init(&out, 0);
    rtmp_write_user_control(&out, 0 /* Stream Begin */, PUBLISH_STREAM_ID);
    put_status(&out, "status", "NetStream.Publish.Start", "publishing");
    send_buf(ss, &out, false);
    if (resumed) {
        log_info("rtmp", "publisher came back; stream resumed", "channel=%s", ss->channel);
    } else {
        pthread_mutex_lock(&ss->stream->lock);
        ss->stream->started_at_ms = clock_wall_ms();
        int64_t started = ss->stream->started_at_ms;
        pthread_mutex_unlock(&ss->stream->lock);
        record_live(ss->srv, ss->channel, ss->channel_id, true, started);
    }
}

/* A ladder child publishing one rendition of a live channel. */
static void publish_rendition(struct session *ss, const char *name, uint32_t len)
{
    char rendition[16];
    if (!ladder_key_check(name, len, ss->channel, rendition)) {
        atomic_fetch_add(&refused_bad_key, 1);
        ss->pub = PUB_DONE;
        refuse(ss, "NetStream.Publish.BadName", "unknown stream key");
        return;
    }
    struct hls_stream *s = hls_registry_get(ss->channel);
    bool live = false;
    if (s) {
        pthread_mutex_lock(&s->lock);
        live = s->state == HLS_LIVE;
        pthread_mutex_unlock(&s->lock);
    }
    if (!live) {
        hls_stream_unref(s);
        ss->pub = PUB_DONE;
        refuse(ss, "NetStream.Publish.Denied", "the source stream is not live");
        return;
    }
    ss->stream = s;
    ss->internal = true;
    /* "resumed": a restarted child continues its rendition with a discontinuity. */
    ss->seg = hls_segmenter_new(s, rendition, true);
    ss->pub = PUB_LIVE;
    struct buf out;
    buf_init(&out, 0);
    rtmp_write_user_control(&out, 0 /* Stream Begin */, PUBLISH_STREAM_ID);
    put_status(&out, "status", "NetStream.Publish.Start", "publishing");
    send_buf(ss, &out, false);
    log_info("rtmp", "rendition publishing", "channel=%s rendition=%s", ss->channel, rendition);
}

static void on_publish(struct session *ss, const struct amf0_value *vals, int n)
{
    const char *name = NULL;
    uint32_t len = 0;
    if (n < 4 || !amf0_string(&vals[3], &name, &len) || len == 0) {
        drop(ss, "publish without a stream key", NULL);
        return;
    }
    if (ss->pub != PUB_NONE) {
        drop(ss, "publish twice on one connection", NULL);
        return;
    }
    /* Encoders may append "?query" to the key; the key is what comes before. */
    uint32_t klen = 0;
    while (klen < len && name[klen] != '?')
        klen++;
    if (name[0] == '~') {
        publish_rendition(ss, name, klen);
        return;
    }
    struct key_job *j = xcalloc(1, sizeof *j);
    j->ss = ss;
    auth_token_sha256(name, klen, j->hash);
    ss->pub = PUB_CHECKING;
    if (store_submit(ss->srv->opt.store, ss->srv->loop, key_lookup, key_checked, j) != 0) {
        free(j);
        ss->pub = PUB_DONE;
        refuse(ss, "NetStream.Publish.Failed", "the server is busy; try again");
        return;
    }
    ss->jobs++;
}

static void on_unpublish(struct session *ss)
{
    if (ss->pub != PUB_LIVE)
        return;
    stop_publishing(ss);
    struct buf out;
    buf_init(&out, 0);
    put_status(&out, "status", "NetStream.Unpublish.Success", "stopped publishing");
    send_buf(ss, &out, false);
}

static int on_command(struct session *ss, const uint8_t *p, size_t len)
{
    struct amf0_value vals[8];
    int n = amf0_decode(ss->amf, p, len, vals, 8);
    if (n < 0 || n < 2) {
        drop(ss, "malformed AMF0 command", NULL);
        return ONAIR_EPROTO;
    }
    const char *name;
    uint32_t nlen;
    double txn = 0;
    if (!amf0_string(&vals[0], &name, &nlen) || !amf0_number(&vals[1], &txn)) {
        drop(ss, "malformed AMF0 command", NULL);
        return ONAIR_EPROTO;
    }
    if (amf0_string_eq(&vals[0], "connect")) {
        if (n < 3 || vals[2].type != AMF0_OBJECT) {
            drop(ss, "connect without a command object", NULL);
            return ONAIR_EPROTO;
        }
        on_connect(ss, txn, &vals[2]);
    } else if (!ss->connected) {
        drop(ss, "command before connect", NULL);
        return ONAIR_EPROTO;
    } else if (amf0_string_eq(&vals[0], "createStream")) {
        on_create_stream(ss, txn);
    } else if (amf0_string_eq(&vals[0], "publish")) {
        on_publish(ss, vals, n);
    } else if (amf0_string_eq(&vals[0], "FCUnpublish") ||
               amf0_string_eq(&vals[0], "deleteStream") ||
               amf0_string_eq(&vals[0], "closeStream")) {
        on_unpublish(ss);
    }
    /* releaseStream, FCPublish, getStreamLength, _checkbw...: no answer is
     * needed (OBS does not wait for one). */
    return ss->closing ? ONAIR_ECLOSED : 0;
}

/* 32-bit RTMP time -> monotonic 64-bit ms per track; refuses absurd jumps. */
static int unwrap(struct session *ss, int track, uint32_t ts, int64_t *out)
{
    int64_t cur = ss->ts_epoch[track] + ts;
    if (ss->ts_seen[track]) {
        if (cur + 0x80000000LL < ss->ts_last[track]) {
            ss->ts_epoch[track] += 0x100000000LL;
            cur += 0x100000000LL;
        }
        int64_t d = cur - ss->ts_last[track];
        if (d < -MAX_TS_BACKWARD_MS || d > MAX_TS_FORWARD_MS)
            return ONAIR_EPROTO;
    }
    ss->ts_seen[track] = true;
    ss->ts_last[track] = cur;
    *out = cur;
    return 0;
}

static int on_media(struct session *ss, uint8_t type, uint32_t ts, const uint8_t *p, size_t len)
{
    if (ss->pub != PUB_LIVE || len == 0)
        return 0;
    if (type == RTMP_MSG_VIDEO) {
        uint32_t n = len > UINT32_MAX / 8 ? UINT32_MAX / 8 : (uint32_t)len;
        ss->video_avg = ss->video_avg ? (ss->video_avg * 7 + n) / 8 : n;
    }
    ladder_feed(ss->ladder, type, ts, p, len);
    struct flv_packet pkt;
    const char *why = NULL;
    int rc = type == RTMP_MSG_VIDEO ? flv_video_parse(p, len, &pkt, &why)
                                    : flv_audio_parse(p, len, &pkt, &why);
    if (rc == ONAIR_EINVAL) {
        drop(ss, "unsupported codec; onair takes H.264 video and AAC audio", why);
        return rc;
    }
    if (rc) {
        drop(ss, "malformed FLV media", why);
        return rc;
    }
    int64_t now = clock_wall_ms();
    switch (pkt.kind) {
    case FLV_AVC_SEQUENCE_HEADER:
        rc = hls_segmenter_video_config(ss->seg, pkt.data, pkt.len);
        break;
    case FLV_AAC_SEQUENCE_HEADER:
        rc = hls_segmenter_audio_config(ss->seg, pkt.data, pkt.len);
        break;
    case FLV_AVC_NALU: {
        int64_t dts;
        if ((rc = unwrap(ss, 0, ts, &dts)) == 0)
            rc = hls_segmenter_video(ss->seg, dts, pkt.cts, pkt.keyframe, pkt.data, pkt.len, now);
        break;
    }
    case FLV_AAC_RAW: {
        int64_t dts;
        if ((rc = unwrap(ss, 1, ts, &dts)) == 0)
            rc = hls_segmenter_audio(ss->seg, dts, pkt.data, pkt.len, now);
        break;
    }
    case FLV_AVC_END_OF_SEQUENCE:
        break;
    }
    if (rc) {
        drop(ss,
             rc == ONAIR_EPROTO ? "malformed media (bad NAL framing, config or timestamps)"
                                : "the stream changed codec settings mid-stream",
             NULL);
        return rc;
    }
    return 0;
}

/* FLV tags packed in one message (type 22): header 11 bytes, body,
 * previous-tag-size 4 bytes; times relative to the first tag. */
static int on_aggregate(struct session *ss, uint32_t ts, const uint8_t *p, size_t len)
{
    size_t off = 0;
    bool first = true;
    uint32_t base = 0;
    while (off + 11 <= len) {
        uint8_t type = p[off];
        uint32_t size = (uint32_t)p[off + 1] << 16 | (uint32_t)p[off + 2] << 8 | p[off + 3];
        uint32_t t = (uint32_t)p[off + 4] << 16 | (uint32_t)p[off + 5] << 8 | p[off + 6] |
                     (uint32_t)p[off + 7] << 24;
        if (off + 11 + size + 4 > len) {
            drop(ss, "malformed aggregate message", NULL);
            return ONAIR_EPROTO;
        }
        if (first) {
            base = t;
            first = false;
        }
        if (type == RTMP_MSG_AUDIO || type == RTMP_MSG_VIDEO) {
            int rc = on_media(ss, type, ts + (t - base), p + off + 11, size);
            if (rc)
                return rc;
        }
        off += 11 + size + 4;
    }
    return 0;
}

static int on_message(const struct rtmp_message *m, void *arg)
{
    struct session *ss = arg;
    const uint8_t *p = m->payload;
    switch (m->type) {
    case RTMP_MSG_WINDOW_ACK_SIZE:
        if (m->length >= 4) {
            uint32_t w = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
            ss->ack_window = w ? w : DEFAULT_ACK_WINDOW;
        }
        return 0;
    case RTMP_MSG_USER_CONTROL:
        if (m->length >= 6 && p[0] == 0 && p[1] == 6) { /* ping request -> response */
            uint32_t v = (uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 8 | p[5];
            struct buf out;
            buf_init(&out, 0);
            rtmp_write_user_control(&out, 7, v);
            send_buf(ss, &out, false);
        }
        return 0;
    case RTMP_MSG_COMMAND_AMF3:
        if (m->length < 1)
            return 0;
        return on_command(ss, p + 1, m->length - 1);
    case RTMP_MSG_COMMAND_AMF0:
        return on_command(ss, p, m->length);
    case RTMP_MSG_AUDIO:
    case RTMP_MSG_VIDEO:
        return on_media(ss, m->type, m->timestamp, p, m->length);
    case RTMP_MSG_AGGREGATE:
        return ss->pub == PUB_LIVE ? on_aggregate(ss, m->timestamp, p, m->length) : 0;
    default:
        /* @setDataFrame/onMetaData, acknowledgements, peer bandwidth:
         * nothing to do (the stream's own headers describe it better). */
        return 0;
    }
}

static void maybe_ack(struct session *ss)
{
    uint64_t got = rtmp_chunk_reader_bytes(ss->reader);
    if (got - ss->acked >= ss->ack_window) {
        ss->acked = got;
        struct buf out;
        buf_init(&out, 0);
        rtmp_write_ack(&out, (uint32_t)got);
        send_buf(ss, &out, false);
    }
}

static void on_timer(uv_timer_t *t)
{
    struct session *ss = t->data;
    log_info("rtmp", ss->state == S_CHUNKS ? "idle RTMP client closed" : "handshake timeout",
             "ip=%s channel=%s", ss->remote_ip, ss->channel[0] ? ss->channel : "-");
    session_close(ss);
}

static uint64_t tick_ms(const struct session *ss)
{
    uint64_t idle = ss->srv->opt.idle_timeout_ms;
    return idle / 4 < TICK_MAX_MS ? (idle / 4 ? idle / 4 : 1) : TICK_MAX_MS;
}

/* The idle check after the handshake. Reads only note the time (no timer
 * re-armed per read): this repeating tick compares. */
static void on_tick(uv_timer_t *t)
{
    struct session *ss = t->data;
    uint64_t quiet = uv_now(&ss->srv->loop->uv) - ss->last_read_ms;
    if (quiet >= ss->srv->opt.idle_timeout_ms) {
        on_timer(t);
        return;
    }
    /* A publisher that stopped sending may have left a command below the
     * low-water mark (an unpublish, without closing): take it now. */
    if (quiet >= tick_ms(ss))
        set_lowat(ss, 1);
    if (ss->lowat_cap)
        read_lowat_cap(ss);
}

static void set_lowat(struct session *ss, int bytes)
{
    uv_os_fd_t fd;
    if (bytes == ss->lowat || ss->closing || uv_fileno((uv_handle_t *)&ss->tcp, &fd) != 0)
        return;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) == 0)
        ss->lowat = bytes;
}

/* The most a low-water mark may ask for: a quarter of the receive buffer.
 * Linux grows the buffer for a larger mark and then clamps the window to
 * the mark, which would throttle a fast publisher on a long path. Read
 * again on every tick, as autotuning grows the buffer. */
static void read_lowat_cap(struct session *ss)
{
    uv_os_fd_t fd;
    int rcvbuf = 0;
    socklen_t n = sizeof rcvbuf;
    if (uv_fileno((uv_handle_t *)&ss->tcp, &fd) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &n) == 0)
        ss->lowat_cap = rcvbuf / 4;
}

/*
 * How much a publisher's socket should gather before waking us. Viewers see
 * new media only when a part closes, which only a video frame does; so:
 * - within a message: what it still needs (nothing can be done with less);
 * - between messages, while the segmenter says several more frames fit in
 *   the open part: three quarters of what those frames take (sizes vary;
 *   waking early costs a read, waking late would delay the part);
 * - else about half a video frame, so that small audio frames wait for the
 *   next video frame but the frame that closes a part is read at once.
 * Never more than lowat_cap, nor than the peer may send before it is owed an
 * acknowledgement (a peer that waits for one must not stall).
 */
static void update_lowat(struct session *ss)
{
    uint64_t want = rtmp_chunk_reader_wanted(ss->reader);
    /* Not between messages for our own ladder children: ffmpeg leaves Nagle
     * on, so a small message held below the mark would wait for a delayed
     * ACK (40 ms) before the next one is sent. Encoders with TCP_NODELAY
     * (OBS) don't. Nor while feeding a ladder, which wants every frame. */
    if (want == 0 && !ss->internal) {
        unsigned ahead = ss->ladder ? 0 : hls_segmenter_frames_ahead(ss->seg);
        if (ahead)
            want = (uint64_t)ss->video_avg * ahead * 3 / 4;
        else
            want = ss->video_avg / 2 < LOWAT_IDLE_MAX ? ss->video_avg / 2 : LOWAT_IDLE_MAX;
    }
    if (ss->lowat_cap == 0)
        read_lowat_cap(ss);
    if (want > (uint64_t)ss->lowat_cap)
        want = (uint64_t)ss->lowat_cap;
    uint64_t unacked = rtmp_chunk_reader_bytes(ss->reader) - ss->acked;
    uint64_t until_ack = unacked < ss->ack_window ? ss->ack_window - unacked : 1;
    if (want > until_ack)
        want = until_ack;
    set_lowat(ss, want > 1 ? (int)want : 1);
}

static void feed(struct session *ss, const uint8_t *data, size_t len)
{
    while (len > 0 && !ss->closing) {
        if (ss->state == S_C0C1 || ss->state == S_C2) {
            size_t need =
                (ss->state == S_C0C1 ? 1 + RTMP_HANDSHAKE_SIZE : RTMP_HANDSHAKE_SIZE) - ss->hs_len;
            size_t take = len < need ? len : need;
            memcpy(ss->hs + ss->hs_len, data, take);
            ss->hs_len += take;
            data += take;
            len -= take;
            /* C0 is one byte: refuse a non-RTMP client at once rather than
             * waiting for 1536 more bytes that may never come. */
            if (ss->state == S_C0C1 && ss->hs[0] != RTMP_HANDSHAKE_VERSION) {
                drop(ss, "not an RTMP client (or RTMPE, which onair does not speak)", NULL);
                return;
            }
            if (take < need)
                return;
            if (ss->state == S_C0C1) {
                uint8_t reply[1 + 2 * RTMP_HANDSHAKE_SIZE];
                bool digest;
                rtmp_handshake_respond(ss->hs + 1, reply, &digest);
                struct buf out;
                buf_init(&out, 0);
                buf_append(&out, reply, sizeof reply);
                send_buf(ss, &out, false);
                ss->state = S_C2;
            } else {
                ss->state = S_CHUNKS;
                uv_timer_start(&ss->timer, on_tick, tick_ms(ss), tick_ms(ss));
            }
            ss->hs_len = 0;
            continue;
        }
        int rc = rtmp_chunk_reader_feed(ss->reader, data, len, on_message, ss);
        if (rc && !ss->closing)
            drop(ss, rc == ONAIR_ETOOBIG ? "RTMP message too large" : "malformed RTMP chunk stream",
                 onair_strerror(rc));
        if (!ss->closing)
            maybe_ack(ss);
        if (!ss->closing && ss->pub == PUB_LIVE)
            update_lowat(ss);
        return;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct session *ss = h->data;
    (void)suggested;
    b->base = (char *)ss->srv->readbuf;
    b->len = sizeof ss->srv->readbuf;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    struct session *ss = st->data;
    if (nread == 0)
        return;
    if (nread < 0) {
        if (ss->pub == PUB_LIVE)
            log_info("rtmp", "publisher disconnected", "channel=%s", ss->channel);
        session_close(ss);
        return;
    }
    atomic_fetch_add_explicit(&ingest_bytes, (uint64_t)nread, memory_order_relaxed);
    ss->last_read_ms = uv_now(&ss->srv->loop->uv);
    feed(ss, (const uint8_t *)b->base, (size_t)nread);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct rtmp_server *srv = listener->data;
    if (status < 0)
        return;
    struct session *ss = xcalloc(1, sizeof *ss);
    ss->srv = srv;
    uv_tcp_init(&srv->loop->uv, &ss->tcp);
    ss->tcp.data = ss;
    if (uv_accept(listener, (uv_stream_t *)&ss->tcp) != 0 || srv->closing) {
        uv_close((uv_handle_t *)&ss->tcp, (uv_close_cb)free);
        return;
    }
    uv_timer_init(&srv->loop->uv, &ss->timer);
    ss->timer.data = ss;
    ss->open_handles = 2;
    ss->reader = rtmp_chunk_reader_new(srv->opt.max_message, MAX_CHUNK_STREAMS);
    ss->amf = amf0_decoder_new();
    ss->ack_window = DEFAULT_ACK_WINDOW;
    uv_tcp_nodelay(&ss->tcp, 1);
    net_peer_ip(&ss->tcp, ss->remote_ip, sizeof ss->remote_ip);
    ss->next = srv->sessions;
    if (srv->sessions)
        srv->sessions->prev = ss;
    srv->sessions = ss;
    atomic_fetch_add(&sessions_open, 1);
    ss->lowat = 1;
    /* The handshake must finish in time; then on_tick watches for idleness. */
    uv_timer_start(&ss->timer, on_timer, srv->opt.handshake_timeout_ms, 0);
    if (uv_read_start((uv_stream_t *)&ss->tcp, on_alloc, on_read) != 0)
        session_close(ss);
}

struct rtmp_server *rtmp_server_new(struct loop *loop, const struct rtmp_server_options *opt)
{
    struct rtmp_server *s = xcalloc(1, sizeof *s);
    s->loop = loop;
    s->opt = *opt;
    return s;
}

int rtmp_server_listen(struct rtmp_server *s, const char *host, int port, int *bound_port)
{
    int rc = net_listen(&s->loop->uv, &s->listener, host, port, 256, on_connection, s, bound_port,
                        "rtmp");
    if (rc == 0)
        s->listening = true;
    return rc;
}

static void on_listener_closed(uv_handle_t *h)
{
    free(h->data);
}

void rtmp_server_close(struct rtmp_server *s)
{
    s->closing = true;
    while (s->sessions)
        session_close(s->sessions);
    while (s->graces)
        grace_remove(s->graces);
    if (s->listening)
        uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    else
        free(s);
}

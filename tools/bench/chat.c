/*
 * chat.c - the chat scenarios: chat-connect, chat-fanout, chat-recover,
 * against onair's /ws or a Socket.IO v4 server (chat_adapter.h).
 *
 * A run has clients (struct client), each one WebSocket connection in one
 * room. In chat-fanout and chat-recover room r has S anonymous subscribers
 * and P publishers (onair: users the tool signs up and logs in); every
 * client, publishers included, receives the room's messages and keeps one
 * sequence tracker (stats.h) per publisher of its room, so loss, duplicates
 * and order are exact per (publisher, receiver) pair.
 *
 * Phases, driven by one 1 ms timer: CONNECT (connects issued at
 * --connect-rate, or all at once; ends when every client joined or failed,
 * or after CONNECT_TIMEOUT_S), SETTLE (500 ms), SEND (publishers send
 * --msg-rate messages/s each, paced by the clock, for --duration s; the
 * measurement window is [warmup, duration] of it), DRAIN (wait, at most
 * --drain s, until every receiver has every message and every send its
 * answer), then stop. chat-connect instead HOLDs its connections until
 * --duration s after the start, in --procs forked workers (each its own
 * loop) whose JSON the parent merges.
 *
 * Latency: payloads carry the send time (chat_scan.h); a receiver samples
 * one delivery in a stride, chosen so that at most about LAT_SAMPLES values
 * are kept: the ones where number + publisher + receiver is a multiple of
 * it. Publishers send their k-th messages at about the same moment, so a
 * choice by number alone would sample every receiver at the same instants,
 * a tenth of the time, and one slow instant would weigh as much as a whole
 * stride of time; this way every instant and every receiver is sampled
 * alike.
 */
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "chat_adapter.h"
#include "chat_scan.h"
#include "chat_setup.h"
#include "core/alloc.h"
#include "scenarios.h"

#define MAX_CLIENTS 60000
#define MAX_PAIRS 1000000 /* receivers x publishers of their room: ~560 bytes each */
#define MAX_PROCS 16
#define MAX_SAMPLES (8u * 1024 * 1024)
#define LAT_SAMPLES 3000000.0
#define CONNECT_TIMEOUT_S 30
#define SETTLE_MS 500
#define TOKEN_MAX 1024

enum scenario { SC_CONNECT = 1, SC_FANOUT = 2, SC_RECOVER = 4 };

struct copts {
    double duration, warmup, drain, drop_every, msg_rate, rate;
    long connections, procs, source_addrs, rooms, subscribers, publishers, size, down_ms;
    long server_pid;
    bool json, quiet;
    const char *target, *url, *prefix, *password;
};

enum phase { PH_CONNECT, PH_SETTLE, PH_SEND, PH_DRAIN, PH_HOLD, PH_DONE };
enum cstate { C_DOWN, C_CONNECTING, C_JOINING, C_LIVE, C_FAILED };

struct chat;

struct client {
    struct bench_chat_conn c; /* first: the ws's data points here */
    struct chat *ch;
    uint32_t room;
    int32_t pub; /* global publisher index, or -1 */
    uint8_t state;
    bool joined_once;
    bool dropping; /* closed by us in chat-recover: come back */
    int64_t join_sent_us;
    int64_t joined_us;         /* first join */
    int64_t reconnect_us;      /* C_DOWN: when to connect again (0: never) */
    int64_t drop_us;           /* chat-recover: when to drop next */
    struct bench_seq_set seqs; /* the publishers of the room (.next NULL: none) */
};

struct publisher {
    uint32_t client;
    uint64_t sent, acked, errors;
    int64_t offset_us; /* spreads the publishers' sends over one period */
};

struct chat {
    enum scenario sc;
    struct copts o;
    const struct bench_chat_adapter *ad;
    uv_loop_t loop;
    struct bench_run run;
    struct bench_url url;
    char host[80];
    struct sockaddr_storage *locals;
    char **rooms;
    char (*tokens)[TOKEN_MAX];
    struct client *clients;
    uint32_t nclients, first; /* first: this worker's share starts here */
    struct publisher *pubs;
    uint32_t npubs; /* all rooms */
    uv_timer_t tick;
    enum phase phase;
    int64_t start_us, send_start_us, send_end_us, drain_end_us, hold_end_us;
    uint32_t started;
    uint32_t stride;
    uint64_t rng;

    /* Counts. */
    uint32_t opened, joined, failed, live;
    uint64_t deliveries, distinct, duplicates, out_of_order, stale, foreign;
    uint64_t room_gaps, room_disorder, resets, drops, reconnects, unexpected_closes;
    uint64_t other_errors;
    char first_error[160];
    struct bench_samples connect_ms, join_ms, ready_ms, lat_ms, ack_ms;

    /* The measurement window (chat-fanout/recover). */
    bool win_open, win_closed;
    int64_t win_t0, win_t1, srv0, srv1, tool0, tool1;
    uint64_t win_d0, win_d1;
    long rss_before, rss_after;

    /* Progress. */
    uint64_t last_deliveries, last_sent;

    /* chat-connect workers. */
    int report_fd;
    uv_timer_t report;
    bool reported;
};

/* ---- options ---- */

#define ALL (SC_CONNECT | SC_FANOUT | SC_RECOVER)
#define FLOW (SC_FANOUT | SC_RECOVER)

static const char *sc_name(enum scenario sc)
{
    return sc == SC_CONNECT ? "chat-connect" : sc == SC_FANOUT ? "chat-fanout" : "chat-recover";
}

static const char *const usage[] = {
    [SC_CONNECT] =
        "usage: onair-bench chat-connect --url URL [options]\n\n"
        "Holds N WebSocket connections, each anonymous and joined to a room, for --duration\n"
        "seconds from the start: connects at --rate per second or all at once, from\n"
        "--source-addrs addresses, in --procs worker processes. Reports connect success,\n"
        "connect and join latency, the time until every client joined, and with\n"
        "--server-pid the server's RSS before and after and per connection.\n",
    [SC_FANOUT] =
        "usage: onair-bench chat-fanout --url URL [options]\n\n"
        "R rooms x S anonymous subscribers; P publishers per room (onair: signed-up users)\n"
        "each send M messages/s for --duration seconds. Every message carries its\n"
        "publisher, number and send time; receivers report delivered, lost, duplicated,\n"
        "out of order, latency p50/p90/p99/max, onair's send-to-ack latency, deliveries/s\n"
        "and, with --server-pid, server CPU per delivery over the measurement window.\n",
    [SC_RECOVER] =
        "usage: onair-bench chat-recover --url URL [options]\n\n"
        "Like chat-fanout, but every subscriber drops its connection now and then (about\n"
        "every --drop-every s, abruptly) and comes back --down-ms later, rejoining where it\n"
        "left off (onair: join with since; Socket.IO: connection state recovery). Checks\n"
        "that nothing was lost or duplicated across the reconnects.\n",
};

/* Returns 0, 1 (help printed) or -1 (usage error printed). */
static int parse(enum scenario sc, int argc, char **argv, struct copts *o)
{
    *o = (struct copts){.duration = 10,
                        .warmup = 1,
                        .drain = 5,
                        .drop_every = 2,
                        .msg_rate = 10,
                        .rate = sc == SC_CONNECT ? 0 : 5000,
                        .connections = 1000,
                        .procs = 1,
                        .source_addrs = 1,
                        .rooms = 1,
                        .subscribers = 100,
                        .publishers = 1,
                        .size = 64,
                        .down_ms = 300,
                        .target = "onair",
                        .prefix = "bench",
                        .password = "bench-password"};
    const struct bench_scoped_opt table[] = {
        {ALL,
         {"target", BENCH_OPT_STRING, &o->target, 0, 0, "onair|socketio",
          "the server's protocol (default onair)"}},
        {ALL,
         {"url", BENCH_OPT_STRING, &o->url, 0, 0, "URL",
          "ws://127.0.0.1:PORT[/path] (path default: /ws for onair, /socket.io/ for socketio)"}},
        {ALL,
         {"duration", BENCH_OPT_DOUBLE, &o->duration, 0.1, 3600, "SECONDS",
          "chat-connect: how long the run holds its connections, from the start; else: how "
          "long publishers send (default 10)"}},
        {ALL, {"json", BENCH_OPT_FLAG, &o->json, 0, 0, NULL, "print a JSON summary on stdout"}},
        {ALL, {"quiet", BENCH_OPT_FLAG, &o->quiet, 0, 0, NULL, "no progress line"}},
        {SC_CONNECT,
         {"connections", BENCH_OPT_LONG, &o->connections, 1, MAX_CLIENTS, "N",
          "connections (default 1000)"}},
        {SC_CONNECT,
         {"rate", BENCH_OPT_DOUBLE, &o->rate, 0, 1e7, "N",
          "connects per second, all workers together; 0: all at once (default 0)"}},
        {SC_CONNECT,
         {"procs", BENCH_OPT_LONG, &o->procs, 1, MAX_PROCS, "P",
          "worker processes, each with its own loop and N/P connections (default 1)"}},
        {ALL,
         {"source-addrs", BENCH_OPT_LONG, &o->source_addrs, 1, 254, "K",
          "connect from 127.0.0.1 .. 127.0.0.K, round robin (ports per address are ~28k)"}},
        {ALL, {"rooms", BENCH_OPT_LONG, &o->rooms, 1, 1000, "R", "rooms (default 1)"}},
        {FLOW,
         {"subscribers", BENCH_OPT_LONG, &o->subscribers, 0, MAX_CLIENTS, "S",
          "anonymous subscribers per room (default 100)"}},
        {FLOW,
         {"publishers", BENCH_OPT_LONG, &o->publishers, 1, 1000, "P",
          "publishers per room (authenticated on onair; default 1)"}},
        {FLOW,
         {"msg-rate", BENCH_OPT_DOUBLE, &o->msg_rate, 0.01, 100000, "M",
          "messages per second each publisher sends (default 10)"}},
        {FLOW,
         {"connect-rate", BENCH_OPT_DOUBLE, &o->rate, 0, 1e7, "N",
          "connects per second while setting up; 0: all at once (default 5000)"}},
        {FLOW,
         {"size", BENCH_OPT_LONG, &o->size, 32, 500, "BYTES",
          "message text length (default 64, at most 500)"}},
        {ALL,
         {"prefix", BENCH_OPT_STRING, &o->prefix, 0, 0, "NAME",
          "names of the users the tool signs up (onair): NAME + r<i> owns room i "
          "(channel:NAMEr<i>), NAME + p<i> is publisher i (default bench)"}},
        {FLOW,
         {"password", BENCH_OPT_STRING, &o->password, 0, 0, "PW",
          "password of those users (default bench-password)"}},
        {ALL,
         {"server-pid", BENCH_OPT_LONG, &o->server_pid, 1, 1L << 30, "PID",
          "the server's process: report its CPU (utime + stime) and RSS from /proc"}},
        {FLOW,
         {"warmup", BENCH_OPT_DOUBLE, &o->warmup, 0, 3600, "SECONDS",
          "sending time before the measurement window opens (default 1)"}},
        {FLOW,
         {"drain", BENCH_OPT_DOUBLE, &o->drain, 0, 600, "SECONDS",
          "after sending, wait at most this long for what is in flight (default 5)"}},
        {SC_RECOVER,
         {"drop-every", BENCH_OPT_DOUBLE, &o->drop_every, 0.05, 3600, "SECONDS",
          "mean time between one subscriber's drops (default 2)"}},
        {SC_RECOVER,
         {"down-ms", BENCH_OPT_LONG, &o->down_ms, 0, 600000, "MS",
          "how long a dropped subscriber stays away before it rejoins (default 300)"}},
    };
    int rc = bench_opts_parse_scoped(sc_name(sc), usage[sc], table, sizeof table / sizeof table[0],
                                     sc, argc, argv);
    if (rc)
        return rc;
    if (!o->url) {
        fprintf(stderr, "onair-bench %s: --url is required (see --help)\n", sc_name(sc));
        return -1;
    }
    if (strspn(o->prefix, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(o->prefix) ||
        strlen(o->prefix) < 1 || strlen(o->prefix) > 16) {
        fprintf(stderr, "onair-bench: --prefix is 1-16 of [a-z0-9_]\n");
        return -1;
    }
    if (o->warmup >= o->duration)
        o->warmup = o->duration / 4;
    return 0;
}

/* ---- helpers ---- */

static uint64_t next_rand(struct chat *ch)
{
    uint64_t x = ch->rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return ch->rng = x;
}

/* An exponentially distributed delay with this mean (us). */
static int64_t rand_exp_us(struct chat *ch, double mean_s)
{
    double u = ((double)(next_rand(ch) >> 11) + 0.5) / 9007199254740992.0;
    return (int64_t)(-log(u) * mean_s * 1e6);
}

static void note_error(struct chat *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note_error(struct chat *ch, const char *fmt, ...)
{
    if (ch->first_error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ch->first_error, sizeof ch->first_error, fmt, ap);
    va_end(ap);
}

static const char *ws_error_name(int e)
{
    switch (e) {
    case BENCH_WS_CLOSED_BY_US:
        return "closed by us";
    case BENCH_WS_CLOSED_BY_PEER:
        return "closed by the server";
    case BENCH_WS_EOF:
        return "connection ended";
    case BENCH_WS_EHANDSHAKE:
        return "upgrade refused";
    case BENCH_WS_EPROTO:
        return "protocol error";
    case BENCH_WS_ETOOBIG:
        return "message too big";
    default:
        return e < 0 ? uv_strerror(e) : "?";
    }
}

static int64_t tool_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

/* ---- one client ---- */

static void client_connect(struct client *cl);

static void on_ready(struct client *cl)
{
    struct chat *ch = cl->ch;
    if (!cl->joined_once) {
        ch->opened++;
        bench_samples_add(&ch->connect_ms, (double)(bench_now_us() - cl->c.ws.connect_us) / 1000.0);
    }
    cl->state = C_JOINING;
    cl->join_sent_us = bench_now_us();
    ch->ad->join(&cl->c, ch->rooms[cl->room], cl->joined_once);
}

static void on_open(struct bench_ws *ws)
{
    struct client *cl = ws->data;
    if (cl->ch->ad->opened(&cl->c))
        on_ready(cl);
}

static void on_joined(struct client *cl, const struct bench_chat_event *ev)
{
    struct chat *ch = cl->ch;
    int64_t now = bench_now_us();
    if (cl->state != C_JOINING)
        return; /* a repeated answer */
    cl->state = C_LIVE;
    ch->live++;
    if (cl->joined_once) {
        ch->reconnects++;
    } else {
        cl->joined_once = true;
        cl->joined_us = now;
        ch->joined++;
        bench_samples_add(&ch->join_ms, (double)(now - cl->join_sent_us) / 1000.0);
        bench_samples_add(&ch->ready_ms, (double)(now - ch->start_us) / 1000.0);
        if (cl->c.last_seq < 0)
            cl->c.last_seq = ev->seq; /* onair: gapless from here */
    }
    if (ch->sc == SC_RECOVER && cl->pub < 0)
        cl->drop_us = now + rand_exp_us(ch, ch->o.drop_every);
}

static void on_message(struct client *cl, const struct bench_chat_event *ev)
{
    struct chat *ch = cl->ch;
    ch->deliveries++;
    if (ev->seq >= 0) { /* onair: the room's own gapless seq */
        if (cl->c.last_seq >= 0 && ev->seq != cl->c.last_seq + 1) {
            if (ev->seq > cl->c.last_seq)
                ch->room_gaps += (uint64_t)(ev->seq - cl->c.last_seq - 1);
            else
                ch->room_disorder++;
        }
        if (ev->seq > cl->c.last_seq)
            cl->c.last_seq = ev->seq;
    }
    uint32_t per = (uint32_t)ch->o.publishers;
    uint64_t first = (uint64_t)cl->room * per;
    if (!ev->has_payload || !cl->seqs.next || ev->payload.publisher < first ||
        ev->payload.publisher >= first + per) {
        ch->foreign++;
        return;
    }
    switch (bench_seq_set_observe(&cl->seqs, (uint32_t)(ev->payload.publisher - first),
                                  ev->payload.number)) {
    case BENCH_SEQ_DUPLICATE:
        ch->duplicates++;
        return;
    case BENCH_SEQ_STALE:
        ch->stale++;
        return;
    case BENCH_SEQ_LATE:
        ch->out_of_order++;
        break;
    default:
        break;
    }
    ch->distinct++;
    uint64_t pick = ev->payload.number + ev->payload.publisher + (uint64_t)(cl - ch->clients);
    if (pick % ch->stride == 0)
        bench_samples_add(&ch->lat_ms, (double)(bench_now_us() - ev->payload.sent_us) / 1000.0);
}

static void on_answer(struct client *cl, const struct bench_chat_event *ev, bool ok)
{
    struct chat *ch = cl->ch;
    uint64_t n;
    int64_t sent;
    if (cl->pub < 0 || !ev->client_id ||
        !bench_chat_client_id_parse(ev->client_id, ev->client_id_len, &n, &sent)) {
        if (!ok) {
            ch->other_errors++;
            note_error(ch, "error from the server (not for a send)");
        }
        return;
    }
    struct publisher *p = &ch->pubs[cl->pub];
    if (ok) {
        p->acked++;
        bench_samples_add(&ch->ack_ms, (double)(bench_now_us() - sent) / 1000.0);
    } else {
        p->errors++;
        note_error(ch, "a send was refused");
    }
}

static void on_text(struct bench_ws *ws, const char *data, size_t len)
{
    struct client *cl = ws->data;
    struct bench_chat_event ev;
    cl->ch->ad->scan(&cl->c, data, len, &ev);
    switch (ev.kind) {
    case BENCH_CHAT_MESSAGE:
        on_message(cl, &ev);
        break;
    case BENCH_CHAT_READY:
        on_ready(cl);
        break;
    case BENCH_CHAT_JOINED:
        on_joined(cl, &ev);
        break;
    case BENCH_CHAT_RESET:
        cl->ch->resets++;
        on_joined(cl, &ev);
        break;
    case BENCH_CHAT_ACK:
        on_answer(cl, &ev, true);
        break;
    case BENCH_CHAT_ERROR:
        if (cl->state == C_JOINING || cl->state == C_CONNECTING)
            note_error(cl->ch, "join refused: %.100s", data);
        on_answer(cl, &ev, false);
        break;
    case BENCH_CHAT_CLOSE:
        bench_ws_close(ws, false);
        break;
    default:
        break;
    }
}

static void on_closed(struct bench_ws *ws)
{
    struct client *cl = ws->data;
    struct chat *ch = cl->ch;
    if (cl->state == C_LIVE)
        ch->live--;
    bool was_joined = cl->state == C_LIVE || cl->state == C_JOINING;
    cl->state = C_DOWN;
    if (ch->run.stopping)
        return;
    if (cl->dropping) {
        cl->dropping = false;
        cl->reconnect_us = bench_now_us() + ch->o.down_ms * 1000;
        return;
    }
    ch->unexpected_closes++;
    note_error(ch, "connection lost: %s%s%.0d", ws_error_name(ws->error),
               ws->close_code ? ", close code " : "", ws->close_code);
    if (!cl->joined_once) {
        cl->state = C_FAILED;
        ch->failed++;
    } else if (ch->sc == SC_RECOVER && was_joined) {
        cl->reconnect_us = bench_now_us() + ch->o.down_ms * 1000; /* come back, as a client would */
    }
}

static void client_connect(struct client *cl)
{
    struct chat *ch = cl->ch;
    char target[TOKEN_MAX + 600];
    const char *token = cl->pub >= 0 && ch->tokens ? ch->tokens[cl->pub] : NULL;
    cl->reconnect_us = 0;
    if (ch->ad->target(target, sizeof target, ch->url.path, token) < 0 ||
        bench_ws_connect(&cl->c.ws, target) < 0) {
        note_error(ch, "connect could not start");
        if (!cl->joined_once) {
            cl->state = C_FAILED;
            ch->failed++;
        } else {
            cl->reconnect_us = bench_now_us() + 100000; /* try again */
        }
        return;
    }
    cl->state = C_CONNECTING;
}

static void client_init(struct chat *ch, struct client *cl, uint32_t global, uint32_t room,
                        int32_t pub)
{
    cl->ch = ch;
    cl->room = room;
    cl->pub = pub;
    bench_chat_conn_reset(&cl->c);
    struct bench_ws *ws = &cl->c.ws;
    ws->loop = &ch->loop;
    ws->addr = (const struct sockaddr *)&ch->url.addr;
    ws->local =
        ch->locals ? (const struct sockaddr *)&ch->locals[global % ch->o.source_addrs] : NULL;
    ws->host = ch->host;
    ws->on_open = on_open;
    ws->on_text = on_text;
    ws->on_closed = on_closed;
    ws->data = cl;
    if (ch->sc != SC_CONNECT)
        bench_seq_set_init(&cl->seqs, (uint32_t)ch->o.publishers);
}

/* ---- the phases ---- */

static uint64_t total_sent(const struct chat *ch)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < ch->npubs; i++)
        n += ch->pubs[i].sent;
    return n;
}

static uint64_t total_answered(const struct chat *ch)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < ch->npubs; i++)
        n += ch->pubs[i].acked + ch->pubs[i].errors;
    return n;
}

/* Deliveries owed so far: for each receiver that ever joined, what its
 * room's publishers sent. */
static uint64_t expected(const struct chat *ch)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < ch->nclients; i++) {
        const struct client *cl = &ch->clients[i];
        if (!cl->joined_once)
            continue;
        for (long j = 0; j < ch->o.publishers; j++)
            n += ch->pubs[cl->room * ch->o.publishers + j].sent;
    }
    return n;
}

static void window_mark(struct chat *ch, bool open)
{
    int64_t now = bench_now_us();
    int64_t srv = ch->o.server_pid ? bench_proc_cpu_us(ch->o.server_pid) : -1;
    if (open) {
        ch->win_open = true;
        ch->win_t0 = now;
        ch->win_d0 = ch->deliveries;
        ch->srv0 = srv;
        ch->tool0 = tool_cpu_us();
    } else {
        ch->win_closed = true;
        ch->win_t1 = now;
        ch->win_d1 = ch->deliveries;
        ch->srv1 = srv;
        ch->tool1 = tool_cpu_us();
        if (ch->o.server_pid)
            ch->rss_after = bench_proc_rss_kib(ch->o.server_pid);
    }
}

static void send_due(struct chat *ch, int64_t now)
{
    double rate = ch->o.msg_rate;
    uint64_t limit = (uint64_t)ceil(rate * ch->o.duration);
    char text[600], cid[64];
    for (uint32_t i = 0; i < ch->npubs; i++) {
        struct publisher *p = &ch->pubs[i];
        struct client *cl = &ch->clients[p->client];
        int64_t t = now - ch->send_start_us - p->offset_us;
        if (t < 0 || cl->state != C_LIVE)
            continue; /* a publisher that is down skips its turn: nothing is owed */
        uint64_t due = (uint64_t)((double)t * rate / 1e6) + 1;
        if (due > limit)
            due = limit;
        while (p->sent < due) {
            int64_t ts = bench_now_us();
            bench_chat_payload_write(text, sizeof text, i, p->sent, ts, (size_t)ch->o.size);
            bench_chat_client_id_write(cid, sizeof cid, p->sent, ts);
            if (ch->ad->send(&cl->c, ch->rooms[cl->room], text, cid) < 0)
                break;
            p->sent++;
        }
    }
}

static void recover_drops(struct chat *ch, int64_t now)
{
    for (uint32_t i = 0; i < ch->nclients; i++) {
        struct client *cl = &ch->clients[i];
        if (cl->pub >= 0)
            continue;
        if (cl->state == C_LIVE && ch->phase == PH_SEND && cl->drop_us && now >= cl->drop_us &&
            now < ch->send_end_us - ch->o.down_ms * 1000) {
            cl->dropping = true;
            cl->drop_us = 0;
            ch->drops++;
            bench_ws_close(&cl->c.ws, true);
        } else if (cl->state == C_DOWN && cl->reconnect_us && now >= cl->reconnect_us) {
            client_connect(cl);
        }
    }
}

static void worker_report_ready(struct chat *ch, int64_t now);

static void on_tick(uv_timer_t *t)
{
    struct chat *ch = t->data;
    int64_t now = bench_now_us();
    if (ch->run.stopping || ch->phase == PH_DONE)
        return;
    if (now < ch->start_us)
        return;
    switch (ch->phase) {
    case PH_CONNECT: {
        double el = (double)(now - ch->start_us) / 1e6;
        uint32_t due =
            ch->o.rate > 0 ? (uint32_t)fmin(el * ch->o.rate + 1, ch->nclients) : ch->nclients;
        while (ch->started < due)
            client_connect(&ch->clients[ch->started++]);
        bool settled = ch->started == ch->nclients && ch->joined + ch->failed >= ch->nclients;
        if (settled || el > CONNECT_TIMEOUT_S + (ch->o.rate > 0 ? ch->nclients / ch->o.rate : 0)) {
            if (!settled)
                note_error(ch, "not every client joined within the connect phase");
            if (ch->sc == SC_CONNECT) {
                ch->phase = PH_HOLD;
                worker_report_ready(ch, now);
            } else {
                ch->phase = PH_SETTLE;
                ch->send_start_us = now + SETTLE_MS * 1000;
                ch->send_end_us = ch->send_start_us + (int64_t)(ch->o.duration * 1e6);
            }
        }
        break;
    }
    case PH_SETTLE:
        if (now >= ch->send_start_us)
            ch->phase = PH_SEND;
        break;
    case PH_SEND:
        if (!ch->win_open && now >= ch->send_start_us + (int64_t)(ch->o.warmup * 1e6))
            window_mark(ch, true);
        if (now >= ch->send_end_us) {
            window_mark(ch, false);
            ch->phase = PH_DRAIN;
            ch->drain_end_us = now + (int64_t)(ch->o.drain * 1e6);
            break;
        }
        send_due(ch, now);
        break;
    case PH_DRAIN: {
        bool all_back = true;
        for (uint32_t i = 0; ch->sc == SC_RECOVER && i < ch->nclients && all_back; i++)
            all_back = ch->clients[i].state == C_LIVE || ch->clients[i].state == C_FAILED;
        if ((all_back && ch->distinct >= expected(ch) && total_answered(ch) >= total_sent(ch)) ||
            now >= ch->drain_end_us) {
            ch->phase = PH_DONE;
            bench_stop(&ch->run);
        }
        break;
    }
    case PH_HOLD:
        if (now >= ch->hold_end_us) {
            ch->phase = PH_DONE;
            bench_stop(&ch->run);
        }
        break;
    case PH_DONE:
        break;
    }
    if (ch->sc == SC_RECOVER && (ch->phase == PH_SEND || ch->phase == PH_DRAIN))
        recover_drops(ch, now);
}

static void on_stop(void *arg)
{
    struct chat *ch = arg;
    uv_timer_stop(&ch->tick);
    uv_close((uv_handle_t *)&ch->tick, NULL);
    if (ch->report_fd >= 0) {
        uv_timer_stop(&ch->report);
        uv_close((uv_handle_t *)&ch->report, NULL);
    }
    for (uint32_t i = 0; i < ch->nclients; i++)
        bench_ws_close(&ch->clients[i].c.ws, false);
}

static void on_progress(void *arg, char *line, size_t size)
{
    struct chat *ch = arg;
    static const char *names[] = {"connect", "settle", "send", "drain", "hold", "done"};
    size_t n = (size_t)snprintf(line, size, "%s: joined=%u/%u live=%u failed=%u", names[ch->phase],
                                ch->joined, ch->nclients, ch->live, ch->failed);
    if (ch->sc != SC_CONNECT && n < size) {
        uint64_t sent = total_sent(ch);
        n += (size_t)snprintf(line + n, size - n, " sent=+%" PRIu64 " deliveries=%.0f/s",
                              sent - ch->last_sent, (double)(ch->deliveries - ch->last_deliveries));
        ch->last_sent = sent;
        ch->last_deliveries = ch->deliveries;
    }
    if (ch->sc == SC_RECOVER && n < size)
        snprintf(line + n, size - n, " drops=%" PRIu64 " rejoined=%" PRIu64, ch->drops,
                 ch->reconnects);
}

/* ---- results ---- */

static double r1(double x)
{
    return round(x * 10) / 10;
}

static json_t *connect_json(struct chat *ch)
{
    json_t *o =
        json_pack("{s:i,s:i,s:i,s:i,s:o,s:o,s:o}", "wanted", (int)ch->nclients, "opened",
                  (int)ch->opened, "joined", (int)ch->joined, "failed", (int)ch->failed,
                  "connect_ms", bench_samples_json(&ch->connect_ms), "join_ms",
                  bench_samples_json(&ch->join_ms), "ready_ms", bench_samples_json(&ch->ready_ms));
    return o;
}

static json_t *flow_json(struct chat *ch)
{
    uint64_t sent = total_sent(ch), acked = 0, errors = 0, lost = 0;
    for (uint32_t i = 0; i < ch->npubs; i++) {
        acked += ch->pubs[i].acked;
        errors += ch->pubs[i].errors;
    }
    for (uint32_t i = 0; i < ch->nclients; i++) {
        const struct client *cl = &ch->clients[i];
        if (!cl->joined_once)
            continue;
        for (long j = 0; j < ch->o.publishers; j++)
            lost += bench_seq_set_lost(&cl->seqs, (uint32_t)j,
                                       ch->pubs[cl->room * ch->o.publishers + j].sent);
    }
    double win = (double)(ch->win_t1 - ch->win_t0) / 1e6;
    uint64_t wd = ch->win_d1 - ch->win_d0;
    json_t *d = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:f,s:I}", "expected", (json_int_t)expected(ch),
        "delivered", (json_int_t)ch->distinct, "lost", (json_int_t)lost, "duplicates",
        (json_int_t)ch->duplicates, "out_of_order", (json_int_t)ch->out_of_order, "stale",
        (json_int_t)ch->stale, "foreign", (json_int_t)ch->foreign, "received",
        (json_int_t)ch->deliveries, "per_s", win > 0 ? round((double)wd / win) : 0.0, "window_s",
        r1(win), "window_deliveries", (json_int_t)wd);
    if (ch->ad == &bench_chat_onair)
        json_object_set_new(d, "room_seq_gaps", json_integer((json_int_t)ch->room_gaps));
    if (ch->room_disorder)
        json_object_set_new(d, "room_seq_disorder", json_integer((json_int_t)ch->room_disorder));
    if (ch->resets)
        json_object_set_new(d, "resets", json_integer((json_int_t)ch->resets));
    json_t *o =
        json_pack("{s:{s:I,s:I,s:I,s:f},s:o,s:o,s:o}", "messages", "sent", (json_int_t)sent,
                  "acked", (json_int_t)acked, "refused", (json_int_t)errors, "per_s",
                  round((double)sent / ch->o.duration), "deliveries", d, "latency_ms",
                  bench_samples_json(&ch->lat_ms), "ack_ms", bench_samples_json(&ch->ack_ms));
    json_object_set_new(o, "latency_sampling",
                        json_pack("{s:i,s:i}", "every_nth_message", (int)ch->stride,
                                  "every_nth_delivery", (int)ch->stride));
    if (ch->sc == SC_RECOVER)
        json_object_set_new(o, "recover",
                            json_pack("{s:I,s:I}", "drops", (json_int_t)ch->drops, "rejoined",
                                      (json_int_t)ch->reconnects));
    if (win > 0 && wd > 0)
        json_object_set_new(
            o, "tool_cpu_us_per_delivery",
            json_real(r1((double)(ch->tool1 - ch->tool0) / (double)wd * 100) / 100));
    if (ch->o.server_pid && ch->srv0 >= 0 && ch->srv1 >= 0 && win > 0) {
        double cpu = (double)(ch->srv1 - ch->srv0);
        json_t *s = json_pack("{s:i,s:f,s:f,s:i,s:i}", "pid", (int)ch->o.server_pid, "cpu_s",
                              r1(cpu / 1e5) / 10, "cpu_pct", r1(100 * cpu / 1e6 / win),
                              "rss_kib_before", (int)ch->rss_before, "rss_kib", (int)ch->rss_after);
        if (wd)
            json_object_set_new(s, "cpu_us_per_delivery", json_real(round(cpu / wd * 1000) / 1000));
        json_object_set_new(o, "server", s);
    }
    return o;
}

static json_t *summary(struct chat *ch)
{
    double wall = (double)(ch->run.ended_us - ch->run.started_us) / 1e6;
    json_t *s = json_pack("{s:s,s:s,s:f}", "scenario", sc_name(ch->sc), "target", ch->ad->name,
                          "wall_s", r1(wall));
    if (ch->sc != SC_CONNECT) {
        json_object_set_new(s, "rooms", json_integer(ch->o.rooms));
        json_object_set_new(s, "subscribers_per_room", json_integer(ch->o.subscribers));
        json_object_set_new(s, "publishers_per_room", json_integer(ch->o.publishers));
        json_object_set_new(s, "msg_rate_per_publisher", json_real(ch->o.msg_rate));
        json_object_set_new(s, "send_s", json_real(ch->o.duration));
        json_object_set_new(s, "size", json_integer(ch->o.size));
    }
    json_object_set_new(s, "connect", connect_json(ch));
    if (ch->sc != SC_CONNECT) {
        json_t *f = flow_json(ch);
        json_object_update(s, f);
        json_decref(f);
    }
    json_object_set_new(s, "unexpected_closes", json_integer((json_int_t)ch->unexpected_closes));
    json_object_set_new(s, "other_errors", json_integer((json_int_t)ch->other_errors));
    if (ch->first_error[0])
        json_object_set_new(s, "first_error", json_string(ch->first_error));
    json_object_set_new(s, "tool", bench_rusage_json(wall));
    return s;
}

/* ---- setup and teardown ---- */

static int setup_common(struct chat *ch)
{
    ch->ad = bench_chat_adapter_find(ch->o.target);
    if (!ch->ad) {
        fprintf(stderr, "onair-bench: --target is onair or socketio, not '%s'\n", ch->o.target);
        return -1;
    }
    if (bench_url_parse("--url", ch->o.url, "ws", 80, &ch->url))
        return -1;
    if (strcmp(ch->url.path, "/") == 0)
        snprintf(ch->url.path, sizeof ch->url.path, "%s", ch->ad->default_path);
    snprintf(ch->host, sizeof ch->host, "%s:%d", ch->url.host, ch->url.port);
    if (ch->o.source_addrs > 1) {
        if (ch->url.addr.ss_family != AF_INET) {
            fprintf(stderr, "onair-bench: --source-addrs needs an IPv4 server address\n");
            return -1;
        }
        ch->locals = xcalloc((size_t)ch->o.source_addrs, sizeof *ch->locals);
        for (long i = 0; i < ch->o.source_addrs; i++) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ch->locals[i];
            a->sin_family = AF_INET;
            a->sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)i);
        }
    }
    ch->rooms = xcalloc((size_t)ch->o.rooms, sizeof *ch->rooms);
    for (long r = 0; r < ch->o.rooms; r++) {
        char name[128];
        if (ch->ad == &bench_chat_onair)
            snprintf(name, sizeof name, "channel:%sr%ld", ch->o.prefix, r);
        else
            snprintf(name, sizeof name, "%sr%ld", ch->o.prefix, r);
        ch->rooms[r] = xstrdup(name);
    }
    ch->rng = (uint64_t)bench_now_us() * 2654435761u | 1;
    return 0;
}

/* onair: the rooms' owners (their channels are the rooms) and the
 * publishers, logged in. */
static int setup_users(struct chat *ch, bool publishers)
{
    if (ch->ad != &bench_chat_onair)
        return 0;
    const struct sockaddr *a = (const struct sockaddr *)&ch->url.addr;
    char name[64];
    for (long r = 0; r < ch->o.rooms; r++) {
        snprintf(name, sizeof name, "%sr%ld", ch->o.prefix, r);
        if (bench_chat_user(a, ch->host, name, ch->o.password, NULL, 0))
            return -1;
    }
    if (!publishers)
        return 0;
    ch->tokens = xcalloc(ch->npubs, sizeof *ch->tokens);
    for (uint32_t i = 0; i < ch->npubs; i++) {
        snprintf(name, sizeof name, "%sp%u", ch->o.prefix, i);
        if (bench_chat_user(a, ch->host, name, ch->o.password, ch->tokens[i], TOKEN_MAX))
            return -1;
    }
    return 0;
}

static void cleanup(struct chat *ch)
{
    for (uint32_t i = 0; ch->clients && i < ch->nclients; i++)
        bench_seq_set_free(&ch->clients[i].seqs);
    free(ch->clients);
    free(ch->pubs);
    free(ch->tokens);
    free(ch->locals);
    for (long r = 0; ch->rooms && r < ch->o.rooms; r++)
        free(ch->rooms[r]);
    free(ch->rooms);
    bench_samples_free(&ch->connect_ms);
    bench_samples_free(&ch->join_ms);
    bench_samples_free(&ch->ready_ms);
    bench_samples_free(&ch->lat_ms);
    bench_samples_free(&ch->ack_ms);
}

static void samples_init(struct chat *ch)
{
    bench_samples_init(&ch->connect_ms, MAX_SAMPLES);
    bench_samples_init(&ch->join_ms, MAX_SAMPLES);
    bench_samples_init(&ch->ready_ms, MAX_SAMPLES);
    bench_samples_init(&ch->lat_ms, MAX_SAMPLES);
    bench_samples_init(&ch->ack_ms, MAX_SAMPLES);
}

/* Runs the loop over the clients already set up; start_us: when connects
 * begin. */
static void run_loop(struct chat *ch, double bound_s)
{
    uv_loop_init(&ch->loop);
    for (uint32_t i = 0; i < ch->nclients; i++)
        ch->clients[i].c.ws.loop = &ch->loop;
    ch->run = (struct bench_run){.loop = &ch->loop,
                                 .duration_s = bound_s,
                                 .json = ch->o.json,
                                 .quiet = ch->o.quiet,
                                 .progress = on_progress,
                                 .stop = on_stop,
                                 .arg = ch};
    uv_timer_init(&ch->loop, &ch->tick);
    ch->tick.data = ch;
    uv_timer_start(&ch->tick, on_tick, 0, 1);
    bench_run(&ch->run);
    uv_loop_close(&ch->loop);
}

static void print_text(json_t *s)
{
    char *text = json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (text)
        puts(text);
    free(text);
}

static void emit(const struct chat *ch, json_t *s)
{
    if (ch->o.json) {
        bench_json_print(s);
    } else {
        print_text(s);
        json_decref(s);
    }
}

/* ---- chat-fanout, chat-recover ---- */

static int run_flow(struct chat *ch)
{
    long per_room = ch->o.subscribers + ch->o.publishers;
    if (per_room * ch->o.rooms > MAX_CLIENTS) {
        fprintf(stderr, "onair-bench: at most %d connections in one process\n", MAX_CLIENTS);
        return 2;
    }
    if (per_room * ch->o.rooms * ch->o.publishers > MAX_PAIRS) {
        fprintf(stderr,
                "onair-bench: rooms x (subscribers + publishers) x publishers is at most %d\n",
                MAX_PAIRS);
        return 2;
    }
    ch->nclients = (uint32_t)(per_room * ch->o.rooms);
    ch->npubs = (uint32_t)(ch->o.publishers * ch->o.rooms);
    if (setup_users(ch, true))
        return 1;
    ch->clients = xcalloc(ch->nclients, sizeof *ch->clients);
    ch->pubs = xcalloc(ch->npubs, sizeof *ch->pubs);
    /* Publishers first in each room, so that they are live before most
     * subscribers when connects are paced. */
    uint32_t k = 0;
    for (long r = 0; r < ch->o.rooms; r++)
        for (long j = 0; j < per_room; j++, k++) {
            int32_t pub = j < ch->o.publishers ? (int32_t)(r * ch->o.publishers + j) : -1;
            client_init(ch, &ch->clients[k], k, (uint32_t)r, pub);
            if (pub >= 0) {
                ch->pubs[pub].client = k;
                ch->pubs[pub].offset_us =
                    (int64_t)((double)pub / (double)ch->npubs / ch->o.msg_rate * 1e6);
            }
        }
    double total = (double)ch->nclients * ch->o.publishers * ch->o.msg_rate * ch->o.duration;
    ch->stride = total > LAT_SAMPLES ? (uint32_t)ceil(total / LAT_SAMPLES) : 1;
    if (ch->o.server_pid)
        ch->rss_before = bench_proc_rss_kib(ch->o.server_pid);
    ch->start_us = bench_now_us();
    double connect_s = CONNECT_TIMEOUT_S + (ch->o.rate > 0 ? ch->nclients / ch->o.rate : 0);
    run_loop(ch, connect_s + SETTLE_MS / 1000.0 + ch->o.duration + ch->o.drain + 2);
    emit(ch, summary(ch));
    return 0;
}

/* ---- chat-connect: workers and their parent ---- */

static void worker_report_ready(struct chat *ch, int64_t now)
{
    (void)now;
    if (ch->report_fd < 0 || ch->reported)
        return;
    ch->reported = true;
    int64_t last = 0;
    for (uint32_t i = 0; i < ch->nclients; i++)
        if (ch->clients[i].joined_us > last)
            last = ch->clients[i].joined_us;
    dprintf(ch->report_fd, "R %lld %u %u\n", (long long)last, ch->joined, ch->failed);
}

/* The worker's status line for the parent, every second. */
static void on_report(uv_timer_t *t)
{
    struct chat *ch = t->data;
    dprintf(ch->report_fd, "P %u %u %u\n", ch->joined, ch->live, ch->failed);
}

static json_t *samples_array(const struct bench_samples *s)
{
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++)
        json_array_append_new(a, json_real(round(s->v[i] * 100) / 100));
    return a;
}

/* A worker: its share [first, first + n) of the clients; never returns. */
static void connect_worker(struct chat *ch, uint32_t first, uint32_t n, int fd)
{
    ch->report_fd = fd;
    ch->first = first;
    ch->nclients = n;
    ch->o.rate /= (double)ch->o.procs;
    ch->o.quiet = true; /* the parent prints one progress line for all */
    samples_init(ch);
    ch->clients = xcalloc(n ? n : 1, sizeof *ch->clients);
    for (uint32_t i = 0; i < n; i++)
        client_init(ch, &ch->clients[i], first + i, (first + i) % (uint32_t)ch->o.rooms, -1);
    ch->hold_end_us = ch->start_us + (int64_t)(ch->o.duration * 1e6);
    uv_loop_init(&ch->loop);
    ch->run = (struct bench_run){.loop = &ch->loop,
                                 .duration_s = ch->o.duration + 1 +
                                               (double)(ch->start_us - bench_now_us()) / 1e6,
                                 .quiet = true,
                                 .stop = on_stop,
                                 .arg = ch};
    uv_timer_init(&ch->loop, &ch->tick);
    ch->tick.data = ch;
    uv_timer_start(&ch->tick, on_tick, 0, 1);
    uv_timer_init(&ch->loop, &ch->report);
    ch->report.data = ch;
    uv_timer_start(&ch->report, on_report, 1000, 1000);
    bench_run(&ch->run);
    worker_report_ready(ch, bench_now_us());
    double wall = (double)(ch->run.ended_us - ch->start_us) / 1e6;
    json_t *s = json_pack(
        "{s:i,s:i,s:i,s:i,s:I,s:I,s:o,s:o,s:o,s:o}", "wanted", (int)n, "opened", (int)ch->opened,
        "joined", (int)ch->joined, "failed", (int)ch->failed, "unexpected_closes",
        (json_int_t)ch->unexpected_closes, "other_errors", (json_int_t)ch->other_errors,
        "connect_ms", samples_array(&ch->connect_ms), "join_ms", samples_array(&ch->join_ms),
        "ready_ms", samples_array(&ch->ready_ms), "tool", bench_rusage_json(wall));
    if (ch->first_error[0])
        json_object_set_new(s, "first_error", json_string(ch->first_error));
    char *text = json_dumps(s, JSON_COMPACT);
    dprintf(fd, "J %s\n", text ? text : "{}");
    free(text);
    json_decref(s);
    close(fd);
    uv_loop_close(&ch->loop);
    _exit(0);
}

struct worker {
    pid_t pid;
    int fd;
    char *buf;
    size_t len, cap;
    bool eof, ready;
    int64_t last_joined_us;
    unsigned joined, live, failed;
    json_t *result;
};

/* Handles the complete lines a worker sent. */
static void worker_lines(struct worker *w)
{
    char *p = w->buf, *end = w->buf + w->len, *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        *nl = '\0';
        if (p[0] == 'P') {
            sscanf(p, "P %u %u %u", &w->joined, &w->live, &w->failed);
        } else if (p[0] == 'R') {
            long long last;
            if (sscanf(p, "R %lld %u %u", &last, &w->joined, &w->failed) == 3) {
                w->ready = true;
                w->last_joined_us = last;
            }
        } else if (p[0] == 'J') {
            json_decref(w->result);
            w->result = json_loads(p + 2, 0, NULL);
        }
        p = nl + 1;
    }
    memmove(w->buf, p, (size_t)(end - p));
    w->len = (size_t)(end - p);
}

/* The server's CPU time from now, with every client just gone, until it
 * has used none for 300 ms (at most 10 s): what letting them all go cost it
 * (leaving rooms, closing sockets, freeing memory). -1 if unreadable. */
static double server_cpu_to_settle(long pid)
{
    int64_t first = bench_proc_cpu_us(pid), last = first, quiet_since = bench_now_us();
    int64_t end = quiet_since + 10000000;
    if (first < 0)
        return -1;
    while (bench_now_us() - quiet_since < 300000 && bench_now_us() < end) {
        usleep(50000);
        int64_t t = bench_proc_cpu_us(pid);
        if (t < 0)
            return -1;
        if (t != last)
            quiet_since = bench_now_us();
        last = t;
    }
    return round((double)(last - first) / 1e3) / 1e3;
}

static void merge_samples(struct bench_samples *dst, json_t *arr)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) bench_samples_add(dst, json_number_value(v));
}

static int connect_main(struct chat *ch)
{
    long n = ch->o.connections, procs = ch->o.procs;
    if (procs > n)
        procs = n;
    if (setup_users(ch, false))
        return 1;
    if (ch->o.server_pid)
        ch->rss_before = bench_proc_rss_kib(ch->o.server_pid);
    /* Every worker starts connecting at the same instant. */
    ch->start_us = bench_now_us() + 300000;
    struct worker ws[MAX_PROCS] = {0};
    fflush(NULL);
    for (long w = 0; w < procs; w++) {
        int p[2];
        if (pipe(p) < 0) {
            perror("onair-bench: pipe");
            return 1;
        }
        uint32_t first = (uint32_t)(n * w / procs), last = (uint32_t)(n * (w + 1) / procs);
        pid_t pid = fork();
        if (pid < 0) {
            perror("onair-bench: fork");
            return 1;
        }
        if (pid == 0) {
            close(p[0]);
            for (long k = 0; k < w; k++)
                close(ws[k].fd);
            connect_worker(ch, first, last - first, p[1]);
        }
        close(p[1]);
        ws[w].pid = pid;
        ws[w].fd = p[0];
        ws[w].cap = 1 << 20;
        ws[w].buf = xmalloc(ws[w].cap);
    }
    /* Collect: progress every second, RSS once everyone settled, results. */
    int64_t bound = ch->start_us + (int64_t)((ch->o.duration + 15) * 1e6);
    int64_t next_progress = ch->start_us + 1000000, rss_at = 0;
    bool all_ready_seen = false;
    for (;;) {
        struct pollfd pf[MAX_PROCS];
        int np = 0;
        for (long w = 0; w < procs; w++)
            if (!ws[w].eof)
                pf[np++] = (struct pollfd){.fd = ws[w].fd, .events = POLLIN};
        if (np == 0 || bench_now_us() > bound)
            break;
        poll(pf, (nfds_t)np, 100);
        for (long w = 0; w < procs; w++) {
            struct worker *k = &ws[w];
            if (k->eof)
                continue;
            struct pollfd q = {.fd = k->fd, .events = POLLIN};
            if (poll(&q, 1, 0) <= 0)
                continue;
            if (k->len + 65536 > k->cap) {
                k->cap *= 2;
                k->buf = xrealloc(k->buf, k->cap);
            }
            ssize_t r = read(k->fd, k->buf + k->len, k->cap - k->len);
            if (r <= 0) {
                k->eof = true;
                continue;
            }
            k->len += (size_t)r;
            worker_lines(k);
        }
        int64_t now = bench_now_us();
        bool all_ready = true;
        unsigned joined = 0, live = 0, failed = 0;
        for (long w = 0; w < procs; w++) {
            all_ready = all_ready && ws[w].ready;
            joined += ws[w].joined;
            live += ws[w].live;
            failed += ws[w].failed;
        }
        if (all_ready && !all_ready_seen) {
            all_ready_seen = true;
            rss_at = now + 1000000; /* let the server settle */
        }
        if (rss_at && now >= rss_at && ch->o.server_pid) {
            ch->rss_after = bench_proc_rss_kib(ch->o.server_pid);
            rss_at = 0;
        }
        if (!ch->o.quiet && now >= next_progress) {
            fprintf(stderr, "t=%3.0fs chat-connect: joined=%u/%ld live=%u failed=%u\n",
                    (double)(now - ch->start_us) / 1e6, joined, n, live, failed);
            next_progress += 1000000;
        }
    }
    for (long w = 0; w < procs; w++) {
        if (!ws[w].eof)
            kill(ws[w].pid, SIGKILL); /* past the bound: ours, by PID */
        waitpid(ws[w].pid, NULL, 0);
        close(ws[w].fd);
    }
    double leave_cpu_s = ch->o.server_pid ? server_cpu_to_settle(ch->o.server_pid) : -1;

    /* Merge. */
    samples_init(ch);
    long long opened = 0, joined = 0, failed = 0, closes = 0, other = 0;
    double user = 0, sys = 0, cpu = 0;
    long long max_rss = 0;
    int64_t last_joined = 0;
    int missing = 0;
    for (long w = 0; w < procs; w++) {
        json_t *r = ws[w].result;
        free(ws[w].buf);
        if (!r) {
            missing++;
            continue;
        }
        opened += json_integer_value(json_object_get(r, "opened"));
        joined += json_integer_value(json_object_get(r, "joined"));
        failed += json_integer_value(json_object_get(r, "failed"));
        closes += json_integer_value(json_object_get(r, "unexpected_closes"));
        other += json_integer_value(json_object_get(r, "other_errors"));
        merge_samples(&ch->connect_ms, json_object_get(r, "connect_ms"));
        merge_samples(&ch->join_ms, json_object_get(r, "join_ms"));
        merge_samples(&ch->ready_ms, json_object_get(r, "ready_ms"));
        json_t *t = json_object_get(r, "tool");
        user += json_number_value(json_object_get(t, "user_s"));
        sys += json_number_value(json_object_get(t, "sys_s"));
        cpu += json_number_value(json_object_get(t, "cpu_pct"));
        max_rss += json_integer_value(json_object_get(t, "max_rss_kib"));
        if (ws[w].last_joined_us > last_joined)
            last_joined = ws[w].last_joined_us;
        if (!ch->first_error[0] && json_is_string(json_object_get(r, "first_error")))
            snprintf(ch->first_error, sizeof ch->first_error, "%s",
                     json_string_value(json_object_get(r, "first_error")));
        json_decref(r);
    }
    json_t *s =
        json_pack("{s:s,s:s,s:i,s:f,s:f}", "scenario", "chat-connect", "target", ch->ad->name,
                  "procs", (int)procs, "rate", ch->o.rate, "hold_s", ch->o.duration);
    json_t *c = json_pack(
        "{s:I,s:I,s:I,s:I,s:f,s:o,s:o,s:o}", "wanted", (json_int_t)n, "opened", (json_int_t)opened,
        "joined", (json_int_t)joined, "failed", (json_int_t)failed, "all_joined_s",
        joined == n && last_joined ? round((double)(last_joined - ch->start_us) / 1e3) / 1e3 : -1.0,
        "connect_ms", bench_samples_json(&ch->connect_ms), "join_ms",
        bench_samples_json(&ch->join_ms), "ready_ms", bench_samples_json(&ch->ready_ms));
    size_t within = 0;
    for (size_t i = 0; i < ch->ready_ms.n; i++)
        within += ch->ready_ms.v[i] <= 500.0;
    json_object_set_new(c, "joined_within_500ms", json_integer((json_int_t)within));
    json_object_set_new(s, "connect", c);
    json_object_set_new(s, "unexpected_closes", json_integer(closes));
    json_object_set_new(s, "other_errors", json_integer(other));
    if (missing)
        json_object_set_new(s, "workers_without_result", json_integer(missing));
    if (ch->o.server_pid) {
        json_t *sv = json_pack("{s:i,s:i,s:i,s:f}", "pid", (int)ch->o.server_pid, "rss_kib_before",
                               (int)ch->rss_before, "rss_kib_after", (int)ch->rss_after,
                               "cpu_s_after_close", leave_cpu_s);
        if (joined > 0 && ch->rss_after > 0)
            json_object_set_new(
                sv, "rss_bytes_per_connection",
                json_real(round((double)(ch->rss_after - ch->rss_before) * 1024 / (double)joined)));
        json_object_set_new(s, "server", sv);
    }
    if (ch->first_error[0])
        json_object_set_new(s, "first_error", json_string(ch->first_error));
    json_object_set_new(s, "tool",
                        json_pack("{s:f,s:f,s:f,s:I}", "user_s", r1(user), "sys_s", r1(sys),
                                  "cpu_pct", r1(cpu), "max_rss_kib", (json_int_t)max_rss));
    emit(ch, s);
    cleanup(ch);
    return missing ? 1 : 0;
}

/* ---- entry points ---- */

static int run(enum scenario sc, int argc, char **argv)
{
    struct chat ch = {.sc = sc, .report_fd = -1};
    int rc = parse(sc, argc, argv, &ch.o);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (setup_common(&ch)) {
        cleanup(&ch);
        return 2;
    }
    if (sc == SC_CONNECT)
        return connect_main(&ch);
    samples_init(&ch);
    rc = run_flow(&ch);
    cleanup(&ch);
    return rc;
}

int bench_scenario_chat_connect(int argc, char **argv)
{
    return run(SC_CONNECT, argc, argv);
}

int bench_scenario_chat_fanout(int argc, char **argv)
{
    return run(SC_FANOUT, argc, argv);
}

int bench_scenario_chat_recover(int argc, char **argv)
{
    return run(SC_RECOVER, argc, argv);
}

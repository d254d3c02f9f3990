/*
 * chat_adapter.c - onair and Socket.IO v4 adapters (see chat_adapter.h).
 */
#include "chat_adapter.h"

#include <stdio.h>
#include <string.h>

void bench_chat_conn_reset(struct bench_chat_conn *c)
{
    c->last_seq = -1;
    c->sio_pid[0] = '\0';
    c->sio_offset[0] = '\0';
}

static int send_fmt(struct bench_chat_conn *c, const char *text, int n, size_t size)
{
    if (n < 0 || (size_t)n >= size)
        return -1;
    return bench_ws_send_text(&c->ws, text, (size_t)n);
}

static void copy_id(char *dst, const char *src, size_t len)
{
    if (len >= BENCH_SIO_ID_MAX)
        len = 0; /* not one of ours: forget rather than cut */
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- onair ---- */

static int onair_target(char *out, size_t size, const char *path, const char *token)
{
    int n =
        token ? snprintf(out, size, "%s?token=%s", path, token) : snprintf(out, size, "%s", path);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static bool onair_opened(struct bench_chat_conn *c)
{
    (void)c;
    return true;
}

static void onair_scan(struct bench_chat_conn *c, const char *data, size_t len,
                       struct bench_chat_event *ev)
{
    (void)c;
    bench_chat_scan_onair(data, len, ev);
}

static int onair_join(struct bench_chat_conn *c, const char *room, bool resume)
{
    char m[512];
    int n = resume && c->last_seq >= 0
                ? snprintf(m, sizeof m, "{\"type\":\"join\",\"room\":\"%s\",\"since\":%lld}", room,
                           (long long)c->last_seq)
                : snprintf(m, sizeof m, "{\"type\":\"join\",\"room\":\"%s\"}", room);
    return send_fmt(c, m, n, sizeof m);
}

static int onair_send(struct bench_chat_conn *c, const char *room, const char *text,
                      const char *client_id)
{
    char m[2048];
    int n = snprintf(m, sizeof m,
                     "{\"type\":\"send\",\"room\":\"%s\",\"text\":\"%s\",\"client_id\":\"%s\"}",
                     room, text, client_id);
    return send_fmt(c, m, n, sizeof m);
}

const struct bench_chat_adapter bench_chat_onair = {
    .name = "onair",
    .default_path = "/ws",
    .target = onair_target,
    .opened = onair_opened,
    .scan = onair_scan,
    .join = onair_join,
    .send = onair_send,
};

/* ---- Socket.IO v4 ---- */

static int sio_target(char *out, size_t size, const char *path, const char *token)
{
    (void)token; /* the peer has no accounts */
    int n = snprintf(out, size, "%s?EIO=4&transport=websocket", path);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static bool sio_opened(struct bench_chat_conn *c)
{
    (void)c;
    return false; /* wait for the open packet, then the namespace */
}

static void sio_scan(struct bench_chat_conn *c, const char *data, size_t len,
                     struct bench_chat_event *ev)
{
    bench_chat_scan_socketio(data, len, ev);
    switch (ev->kind) {
    case BENCH_CHAT_OPEN: {
        /* Connect to the main namespace, resuming the old session if any. */
        char m[128];
        int n = c->sio_pid[0] && c->sio_offset[0]
                    ? snprintf(m, sizeof m, "40{\"pid\":\"%s\",\"offset\":\"%s\"}", c->sio_pid,
                               c->sio_offset)
                    : snprintf(m, sizeof m, "40");
        send_fmt(c, m, n, sizeof m);
        break;
    }
    case BENCH_CHAT_PING:
        bench_ws_send_text(&c->ws, "3", 1);
        break;
    case BENCH_CHAT_READY:
        if (ev->pid)
            copy_id(c->sio_pid, ev->pid, ev->pid_len);
        break;
    case BENCH_CHAT_MESSAGE:
    case BENCH_CHAT_JOINED:
        if (ev->offset)
            copy_id(c->sio_offset, ev->offset, ev->offset_len);
        break;
    default:
        break;
    }
}

static int sio_join(struct bench_chat_conn *c, const char *room, bool resume)
{
    (void)resume; /* a recovered session is back in its rooms; joining again is harmless */
    char m[512];
    int n = snprintf(m, sizeof m, "42[\"join\",\"%s\"]", room);
    return send_fmt(c, m, n, sizeof m);
}

static int sio_send(struct bench_chat_conn *c, const char *room, const char *text,
                    const char *client_id)
{
    /* With an ack id (1): the server answers 431[{"ok":true,"client_id"}]. */
    char m[2048];
    int n = snprintf(m, sizeof m,
                     "421[\"message\",{\"room\":\"%s\",\"text\":\"%s\",\"client_id\":\"%s\"}]",
                     room, text, client_id);
    return send_fmt(c, m, n, sizeof m);
}

const struct bench_chat_adapter bench_chat_socketio = {
    .name = "socketio",
    .default_path = "/socket.io/",
    .target = sio_target,
    .opened = sio_opened,
    .scan = sio_scan,
    .join = sio_join,
    .send = sio_send,
};

const struct bench_chat_adapter *bench_chat_adapter_find(const char *name)
{
    if (strcmp(name, "onair") == 0)
        return &bench_chat_onair;
    if (strcmp(name, "socketio") == 0)
        return &bench_chat_socketio;
    return NULL;
}

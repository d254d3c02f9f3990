/*
 * chat_adapter.h - one chat client connection and the protocol adapters
 * that let every chat scenario drive either onair's /ws protocol
 * (docs/PROTOCOL.md) or a Socket.IO v4 server (Engine.IO v4 over the
 * websocket transport).
 *
 * The scenario owns the connection (struct bench_chat_conn embeds the
 * WebSocket) and calls the adapter to build the upgrade target, to join and
 * to send, and to classify each message it receives (chat_scan.h). An
 * adapter answers the protocol's own housekeeping itself (Engine.IO's open
 * packet with the namespace connect, its pings with pongs) and keeps what a
 * reconnect needs to resume: onair the room's last seq (join with `since`),
 * Socket.IO the session's pid and the last offset (connection state
 * recovery, Socket.IO >= 4.6).
 *
 * Errors: join and send return 0 or a negative error from the WebSocket.
 * Threading: the loop's thread only.
 */
#ifndef ONAIR_BENCH_CHAT_ADAPTER_H
#define ONAIR_BENCH_CHAT_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chat_scan.h"
#include "ws_client.h"

#define BENCH_SIO_ID_MAX 40

struct bench_chat_conn {
    struct bench_ws ws;
    int64_t last_seq;                  /* onair: newest room seq seen, -1 none */
    char sio_pid[BENCH_SIO_ID_MAX];    /* Socket.IO: private session id ("" none) */
    char sio_offset[BENCH_SIO_ID_MAX]; /* Socket.IO: offset of the last event seen */
};

struct bench_chat_adapter {
    const char *name;
    const char *default_path; /* the endpoint when the URL names none */
    /* The upgrade's request target for base path `path`; token may be NULL
     * (anonymous). Returns 0, or -1 when out is too small. */
    int (*target)(char *out, size_t size, const char *path, const char *token);
    /* The WebSocket is open: true when the client may join at once (onair);
     * false when it must wait for a READY event (Socket.IO). */
    bool (*opened)(struct bench_chat_conn *c);
    /* Classifies a message, answering housekeeping itself and remembering
     * resume state. */
    void (*scan)(struct bench_chat_conn *c, const char *data, size_t len,
                 struct bench_chat_event *ev);
    /* Joins room; resume: continue after what this connection saw before
     * (onair: since = last_seq). */
    int (*join)(struct bench_chat_conn *c, const char *room, bool resume);
    /* Sends text (no characters that need JSON escaping) with client_id. */
    int (*send)(struct bench_chat_conn *c, const char *room, const char *text,
                const char *client_id);
};

extern const struct bench_chat_adapter bench_chat_onair;
extern const struct bench_chat_adapter bench_chat_socketio;

/* "onair" or "socketio"; NULL for anything else. */
const struct bench_chat_adapter *bench_chat_adapter_find(const char *name);

/* Forgets resume state (a fresh client). */
void bench_chat_conn_reset(struct bench_chat_conn *c);

#endif

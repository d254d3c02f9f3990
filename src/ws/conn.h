/*
 * conn.h - a WebSocket connection (server side) on an upgraded HTTP
 * connection: frames in, messages out, pings, the close handshake, and a
 * bounded send queue.
 *
 * Lives on the loop of its HTTP connection and is used only there. The user
 * gets each complete TEXT message (BINARY is refused with 1003), and sends
 * either its own text (copied and framed) or a frame shared by many
 * connections (struct bytes, already framed: sent without copying).
 *
 * Bounds: a message over max_message closes with 1009; a peer whose unsent
 * queue passes max_queue is closed with 1013 (try again later: it
 * reconnects and catches up); silence for idle_ms after a ping closes it.
 * Protocol errors close with the code RFC 6455 asks for (1002, 1007).
 */
#ifndef ONAIR_WS_CONN_H
#define ONAIR_WS_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"

struct http_request;
struct ws_conn;

struct ws_conn_ops {
    /* A complete text message (valid UTF-8, len bytes; valid during the call). */
    void (*on_text)(void *user, const char *text, size_t len);
    /* The connection is gone; called exactly once, the conn is invalid after it. */
    void (*on_close)(void *user);
};

struct ws_conn_options {
    size_t max_message; /* bytes of one incoming message */
    size_t max_queue;   /* bytes queued to send before the peer counts as too slow */
    uint64_t ping_ms;   /* ping after this much silence from the peer */
    uint64_t idle_ms;   /* close after this much silence (pings unanswered) */
};

/* Checks the upgrade request (GET, Upgrade: websocket, Connection: upgrade,
 * Sec-WebSocket-Version: 13, a valid key) and answers it: 101 and a ws_conn,
 * or a 400/426 JSON error and NULL. */
struct ws_conn *ws_conn_accept(struct http_request *req, const struct ws_conn_options *opt,
                               const struct ws_conn_ops *ops, void *user);

/* Sends text as one TEXT frame (copied). ECLOSED once closing. */
int ws_conn_send_text(struct ws_conn *c, const char *text, size_t len);
/* Sends an already framed, shared message (takes no reference: adds one). */
int ws_conn_send_frame(struct ws_conn *c, struct bytes *frame);
/* Sends n (at most WS_SEND_FRAMES_MAX) framed messages in one write (writev). */
#define WS_SEND_FRAMES_MAX 256
int ws_conn_send_frames(struct ws_conn *c, struct bytes **frames, size_t n);
/* Starts the close handshake with code/reason; on_close follows. */
void ws_conn_close(struct ws_conn *c, uint16_t code, const char *reason);
/* Bytes queued and not yet sent. */
size_t ws_conn_queued(const struct ws_conn *c);
const char *ws_conn_remote_ip(const struct ws_conn *c);
struct loop *ws_conn_loop(const struct ws_conn *c);

/* /metrics: open connections, upgrades, messages in, slow (1013) and
 * too-big (1009) closes. For metrics_register. */
struct buf;
void ws_metrics(struct buf *out, void *arg);

/* Frames text as a server TEXT frame into a new shared buffer. */
struct bytes *ws_frame_text(const char *text, size_t len);

#endif

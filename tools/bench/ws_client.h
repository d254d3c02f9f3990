/*
 * ws_client.h - the client side of RFC 6455 on libuv, made cheap per
 * received message for the chat load scenarios.
 *
 * A connection: TCP connect (optionally from a given loopback source
 * address), the upgrade request with a random Sec-WebSocket-Key, a check of
 * the 101 answer and its Sec-WebSocket-Accept, then frames. Outgoing frames
 * are masked text frames; incoming frames must be unmasked. PING is
 * answered with PONG, CLOSE is echoed and the connection closed. Fragmented
 * messages are not reassembled: neither onair nor Socket.IO's ws sends
 * them, so a fragment is a protocol error (the connection closes with
 * BENCH_WS_EPROTO). Extensions are never offered.
 *
 * Receive path: all connections of a process read into one static buffer
 * (one loop per process, and a read is consumed before the next); whole
 * frames are handed to on_text straight from it, and only a frame cut by
 * the read's end is copied into the connection's own buffer (capped at
 * BENCH_WS_MAX_MESSAGE). An idle connection holds no receive memory.
 *
 * Ownership: the caller embeds struct bench_ws, fills the inputs and calls
 * bench_ws_connect. on_closed runs exactly once per successful
 * bench_ws_connect, from the TCP handle's close callback; from then on the
 * struct may be freed or connected again. When bench_ws_connect fails no
 * callback runs, and the struct may be reused once its state is IDLE again
 * (at once, or after the loop's next turn when a socket had been made). Callbacks may call
 * bench_ws_send_text and bench_ws_close.
 *
 * Threading: the loop's thread only.
 */
#ifndef ONAIR_BENCH_WS_CLIENT_H
#define ONAIR_BENCH_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define BENCH_WS_MAX_MESSAGE (1u << 20)

/* Why a connection ended (bench_ws.error); libuv errors are negative too. */
enum {
    BENCH_WS_CLOSED_BY_US = 1,   /* bench_ws_close */
    BENCH_WS_CLOSED_BY_PEER = 2, /* a CLOSE frame came (close_code says which) */
    BENCH_WS_EOF = 3,            /* TCP ended without a CLOSE frame */
    BENCH_WS_EHANDSHAKE = 4,     /* the upgrade was refused or malformed */
    BENCH_WS_EPROTO = 5,         /* a frame broke the protocol (or was fragmented) */
    BENCH_WS_ETOOBIG = 6,        /* a message larger than BENCH_WS_MAX_MESSAGE */
};

enum bench_ws_state {
    BENCH_WS_IDLE,
    BENCH_WS_CONNECTING,
    BENCH_WS_HANDSHAKE,
    BENCH_WS_OPEN,
    BENCH_WS_CLOSING,
};

struct bench_ws;
typedef void (*bench_ws_fn)(struct bench_ws *ws);
/* A whole text (or binary) message, borrowed until the callback returns. */
typedef void (*bench_ws_text_fn)(struct bench_ws *ws, const char *data, size_t len);

struct bench_ws {
    /* Inputs. */
    uv_loop_t *loop;
    const struct sockaddr *addr;  /* the server (borrowed) */
    const struct sockaddr *local; /* source address (port 0), or NULL (borrowed) */
    const char *host;             /* Host header value (borrowed) */
    bench_ws_fn on_open;          /* the upgrade succeeded */
    bench_ws_text_fn on_text;
    bench_ws_fn on_closed; /* the connection is gone (see error) */
    void *data;

    /* Results. */
    enum bench_ws_state state;
    int error;           /* why it ended: BENCH_WS_* or a negative libuv error */
    uint16_t close_code; /* the peer's close code, if it sent one */
    int64_t connect_us;  /* when bench_ws_connect started */
    int64_t open_us;     /* when the 101 arrived; 0 before */
    uint64_t rx_messages;

    /* Private. */
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    char key[25];
    char *part; /* bytes of an unfinished handshake answer or frame */
    uint32_t part_len, part_cap;
    bool silent; /* closing after a failed bench_ws_connect: no on_closed */
};

/*
 * Connects and sends the upgrade request for target ("/ws?token=..."),
 * which is copied. Returns 0, or a negative libuv error (then no callback
 * runs and the struct is idle again).
 */
int bench_ws_connect(struct bench_ws *ws, const char *target);

/* Queues one masked text frame. 0, or a negative error when not open. */
int bench_ws_send_text(struct bench_ws *ws, const char *data, size_t len);

/*
 * Ends the connection. abrupt: close the socket at once, as a dropped
 * network would look to the server; else send CLOSE 1000 first and close
 * once it is written. on_closed follows (error BENCH_WS_CLOSED_BY_US unless
 * something else ended it first). Does nothing if already closing.
 */
void bench_ws_close(struct bench_ws *ws, bool abrupt);

/* Writes the frame header and masked payload of a client text/control
 * frame into out (at most len + 14 bytes); returns the frame's length.
 * Exposed for the unit tests. */
size_t bench_ws_frame_client(uint8_t *out, int opcode, const char *data, size_t len, uint32_t mask);

/* Parses one server frame at data: 0 when more bytes are needed, the frame's
 * total length when whole (opcode, fin, payload and payload length set),
 * -1 for a masked frame or a length past BENCH_WS_MAX_MESSAGE. Exposed for
 * the unit tests. */
long bench_ws_frame_server(const uint8_t *data, size_t len, int *opcode, bool *fin,
                           const uint8_t **payload, size_t *plen);

#endif

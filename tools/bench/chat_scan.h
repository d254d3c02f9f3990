/*
 * chat_scan.h - the chat scenarios' cheap receive path: classify a chat
 * server's text message and pull out the few fields the load tool needs,
 * without parsing JSON.
 *
 * Why: a subscriber receives every message of its room, so the tool handles
 * as many messages as the server delivers; it shares the machine's cores
 * with the server and must cost far less per delivery. A full JSON parse
 * (allocations, every key) per delivery would make the tool, not the
 * server, the limit. Instead each scanner looks at fixed prefixes and finds
 * the handful of keys it needs with memmem, trusting the server's own
 * output shapes (docs/PROTOCOL.md; Socket.IO's packet format). A message
 * that does not match is classified OTHER, never misread as a delivery.
 *
 * The payload: publishers put a marker in the message text,
 * "#B<publisher>:<number>:<send time us>#" followed by padding, so that the
 * receiver knows who sent it, which of that publisher's messages it is and
 * when it left (monotonic microseconds of the tool's shared clock). Only
 * digits, letters and '#', ':' go into the text, so no server escapes them
 * and the banned-word filter leaves them alone. The same shape carries a
 * send time in client_id: "<number>:<send time us>".
 *
 * Everything here is pure (no I/O, no allocation); pointers in results
 * point into the caller's bytes.
 */
#ifndef ONAIR_BENCH_CHAT_SCAN_H
#define ONAIR_BENCH_CHAT_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A payload marker as found in a message's text. */
struct bench_chat_payload {
    uint32_t publisher;
    uint64_t number;
    int64_t sent_us;
};

/*
 * Writes the payload text for (publisher, number, sent_us) into out, padded
 * with letters to `size` bytes when the marker is shorter (size 0: no
 * padding). Returns the text's length (out is NUL-terminated), or -1 when
 * out_size is too small.
 */
int bench_chat_payload_write(char *out, size_t out_size, uint32_t publisher, uint64_t number,
                             int64_t sent_us, size_t size);

/* Finds the first payload marker in data; true and *p filled if one parses. */
bool bench_chat_payload_find(const char *data, size_t len, struct bench_chat_payload *p);

/* "<number>:<sent us>" for a client_id; returns its length or -1. */
int bench_chat_client_id_write(char *out, size_t out_size, uint64_t number, int64_t sent_us);
/* Parses a client_id written above (len bytes, no quotes). */
bool bench_chat_client_id_parse(const char *s, size_t len, uint64_t *number, int64_t *sent_us);

/*
 * The value of the first "key": in data (key given with its quotes and
 * colon, e.g. "\"seq\":") as a non-negative integer. False when the key is
 * missing or not followed by digits.
 */
bool bench_scan_int(const char *data, size_t len, const char *key, int64_t *out);
/* The first "key":"value" string: *val points at the value's first byte and
 * *vlen counts up to the closing quote (escapes are not decoded; our values
 * have none). */
bool bench_scan_str(const char *data, size_t len, const char *key, const char **val, size_t *vlen);

/* What a server's message means to the load tool. */
enum bench_chat_kind {
    BENCH_CHAT_OTHER,   /* anything else (presence, live, room_created, ...) */
    BENCH_CHAT_READY,   /* Socket.IO: the namespace connect answer (40...) */
    BENCH_CHAT_OPEN,    /* Engine.IO: the open packet (0{...}) */
    BENCH_CHAT_PING,    /* Engine.IO: a ping (2), to be answered with 3 */
    BENCH_CHAT_JOINED,  /* the join took effect */
    BENCH_CHAT_RESET,   /* onair: since was too old; the room's newest follow */
    BENCH_CHAT_MESSAGE, /* a chat message (payload fields, maybe seq) */
    BENCH_CHAT_ACK,     /* a send was acknowledged */
    BENCH_CHAT_ERROR,   /* an error answer (client_id may say to which send) */
    BENCH_CHAT_CLOSE,   /* Engine.IO close (1) or Socket.IO disconnect (41) */
};

struct bench_chat_event {
    enum bench_chat_kind kind;
    int64_t seq;      /* onair: the room seq of a message, the last_seq of joined/reset; else -1 */
    bool has_payload; /* MESSAGE: a payload marker was found */
    struct bench_chat_payload payload;
    const char *client_id; /* ACK/ERROR: the client_id, if any (not NUL-terminated) */
    size_t client_id_len;
    const char *offset; /* Socket.IO MESSAGE: the recovery offset (last string argument) */
    size_t offset_len;
    const char *pid; /* Socket.IO READY: the session's private id, for recovery */
    size_t pid_len;
};

/* onair's /ws protocol: {"type":"message",...}, joined, reset, ack, error. */
void bench_chat_scan_onair(const char *data, size_t len, struct bench_chat_event *ev);
/* Engine.IO v4 / Socket.IO v4 packets on the websocket transport (one
 * packet per WebSocket message): 0 open, 1 close, 2 ping, 40 connect,
 * 41 disconnect, 42[...] event, 43<id>[...] ack, 44 connect error. */
void bench_chat_scan_socketio(const char *data, size_t len, struct bench_chat_event *ev);

#endif

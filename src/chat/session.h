/*
 * session.h - the chat WebSocket endpoint: GET /ws, and the protocol of
 * docs/PROTOCOL.md (auth, join with since, leave, send -> ack, events).
 *
 * A session lives on its connection's loop. It validates on the loop
 * (JSON shape, UTF-8, length, rate limit) and hands joins and sends to the
 * chat hub; the hub's answers come back on the same loop.
 */
#ifndef ONAIR_CHAT_SESSION_H
#define ONAIR_CHAT_SESSION_H

#include <stddef.h>
#include <stdint.h>

struct http_router;
struct app;
struct chat_filter_holder;

struct chat_session_options {
    size_t max_message;  /* bytes of one WebSocket message (1009 past it) */
    size_t max_queue;    /* unsent bytes before a slow reader is closed with 1013 */
    unsigned rate_count; /* messages a user may send per rate_window_ms */
    uint64_t rate_window_ms;
    struct chat_filter_holder *filter; /* banned words, masked with '*' (may be NULL) */
};

void chat_session_register(struct http_router *r, struct app *app,
                           const struct chat_session_options *opt);

#endif

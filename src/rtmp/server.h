/*
 * server.h - RTMP ingest: one struct rtmp_server per I/O loop, each with its
 * own SO_REUSEPORT listener, like the HTTP server.
 *
 * A session goes: handshake (plain or digest) -> connect (app "live") ->
 * createStream -> publish(stream_key). The key is checked on a store thread
 * (SHA-256 lookup); an unknown or rotated key gets NetStream.Publish.BadName
 * and the connection closes; a channel that is already live refuses a second
 * publisher with NetStream.Publish.Denied while the first goes on. Accepted
 * frames go to the channel's segmenter (hls/segmenter.h) on this loop.
 *
 * Anything a publisher sends that onair can't take (a codec other than
 * H.264/AAC, malformed chunks, AMF or FLV, absurd sizes) is logged with the
 * reason and closes that publisher only.
 *
 * When a publisher goes away its stream is PAUSED: the same playlist goes on
 * if a publisher for the channel returns within grace_ms (with a
 * discontinuity); otherwise the channel goes offline and its memory is freed.
 */
#ifndef ONAIR_RTMP_SERVER_H
#define ONAIR_RTMP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "hls/stream.h"

struct loop;
struct store;
struct rtmp_server;

/* Called on the publisher's loop when a channel goes live or offline. */
typedef void (*rtmp_live_fn)(const char *channel, int64_t channel_id, bool live, void *arg);

struct rtmp_server_options {
    struct store *store;
    struct hls_stream_options hls;
    int64_t grace_ms;     /* a dropped publisher may come back within this */
    uint32_t max_message; /* largest RTMP message accepted */
    uint64_t handshake_timeout_ms;
    uint64_t idle_timeout_ms; /* no bytes from a client for this long: closed */
    rtmp_live_fn on_live;
    void *on_live_arg;
};

struct rtmp_server *rtmp_server_new(struct loop *loop, const struct rtmp_server_options *opt);
/* Binds host:port with SO_REUSEPORT; *bound_port gets the real port. */
int rtmp_server_listen(struct rtmp_server *s, const char *host, int port, int *bound_port);
/* Closes the listener and every session (publishers' streams are paused,
 * grace timers cancelled) and frees the server once its handles closed.
 * On the loop's thread. */
void rtmp_server_close(struct rtmp_server *s);

/* Registers the RTMP families with core/metrics (once, at startup). */
void rtmp_metrics_register(void);

#endif

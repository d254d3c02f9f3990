/*
 * serve.h - HLS over HTTP: playlists (with LL-HLS blocking reload), init
 * segments, parts and segments, straight from the in-memory store.
 *
 *   GET /hls/{channel}/index.m3u8                 master playlist
 *   GET /hls/{channel}/{rendition}/index.m3u8     media playlist;
 *       ?_HLS_msn=M[&_HLS_part=N] parks the request until that segment or
 *       part exists (400 if too far ahead, 503 after 3 target durations)
 *   GET /hls/{channel}/{rendition}/<bid>_init<v>.mp4
 *   GET /hls/{channel}/{rendition}/<bid>_<msn>.m4s        whole segment
 *   GET /hls/{channel}/{rendition}/<bid>_<msn>.<i>.m4s    part; the part
 *       named by the preload hint is parked until it exists
 *   GET /api/channels/{name}/thumbnail.jpg        newest thumbnail (404 offline)
 *
 * Playlists are Cache-Control: no-store; media is immutable (the broadcast
 * id in every name makes names unique). Parked requests live on their own
 * loop; they are woken through hls_stream_notify (see stream.h).
 */
#ifndef ONAIR_HLS_SERVE_H
#define ONAIR_HLS_SERVE_H

struct http_router;
struct hls_stream;
struct loop;

void hls_serve_register(struct http_router *r);

/* The wake-up callback for hls_registry_init. */
void hls_serve_wake(struct hls_stream *s, struct loop *l);

#endif

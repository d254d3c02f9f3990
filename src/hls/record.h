/*
 * record.h - recording broadcasts to disk as VOD playlists (off by default).
 *
 * Each complete segment of a channel's source rendition is written, as the
 * same bytes viewers got, under <dir>/<channel>/<bid>/ : the init segment
 * (init<v>.mp4), the segment (<msn>.m4s) and index.m3u8, an EVENT playlist
 * that grows while live and is rewritten as a VOD playlist with ENDLIST
 * when the broadcast ends. Served read-only at /vod/<channel>/<bid>/...
 *
 * Disk I/O runs on one recorder thread fed by a bounded queue; loops only
 * take references to the (immutable) bytes and enqueue. If the disk can't
 * keep up the queue bound drops segments, and says so in the log, rather
 * than letting memory grow.
 */
#ifndef ONAIR_HLS_RECORD_H
#define ONAIR_HLS_RECORD_H

#include <stdbool.h>

struct hls_stream;
struct hls_segment;
struct http_router;

/* Starts the recorder writing under dir (created if missing). Startup only. */
int hls_record_start(const char *dir);
bool hls_record_enabled(void);
/* Writes what is queued, then stops the thread. Shutdown only. */
void hls_record_stop(void);

/* Queues a complete segment of stream s (call with s->lock held). */
void hls_record_segment(const struct hls_stream *s, const struct hls_segment *seg);
/* The broadcast ended: finish its playlist as VOD. Any thread. */
void hls_record_end(const struct hls_stream *s);

/* GET /vod/{channel}/{bid}/{file}: recorded files. */
void hls_record_register(struct http_router *r);

#endif

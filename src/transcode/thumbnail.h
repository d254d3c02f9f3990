/*
 * thumbnail.h - a JPEG thumbnail per live channel, refreshed by ffmpeg.
 *
 * While a channel is published, its thumbnailer takes the init segment and
 * the newest part that starts on a keyframe from the stream store, pipes
 * them into an ffmpeg child (`-f mp4 -i pipe:0 -frames:v 1 ... mjpeg`) and
 * keeps the JPEG in the stream (stream->thumbnail), first a couple of
 * seconds after going live, then every interval. Nothing is decoded in
 * process and nothing touches the disk.
 *
 * Bounded: at most max_children ffmpeg children run at once in the whole
 * process (a turn is skipped when all are busy), each is killed after 10 s,
 * and its output is capped at 4 MiB.
 *
 * A thumbnailer belongs to the loop it was started on (the publisher's) and
 * is used only there. Stopping it kills a running child; it frees itself
 * once its handles are closed.
 */
#ifndef ONAIR_TRANSCODE_THUMBNAIL_H
#define ONAIR_TRANSCODE_THUMBNAIL_H

struct loop;
struct hls_stream;
struct thumbnailer;

struct thumbnail_options {
    const char *ffmpeg;    /* program to run (PATH lookup), e.g. "ffmpeg" */
    unsigned interval_ms;  /* 0 disables thumbnails */
    unsigned max_children; /* across the process */
    unsigned height;       /* thumbnail height in pixels (width keeps the aspect) */
};

/* Startup, before any loop runs. The strings must outlive the process. */
void thumbnail_configure(const struct thumbnail_options *opt);

/* Starts thumbnails for s on loop l; NULL when thumbnails are disabled. */
struct thumbnailer *thumbnailer_start(struct loop *l, struct hls_stream *s);
/* Stops it (NULL is fine). On its loop. */
void thumbnailer_stop(struct thumbnailer *t);

#endif

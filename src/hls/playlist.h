/*
 * playlist.h - HLS playlist text (RFC 8216bis with the LL-HLS tags).
 *
 * Pure formatting: called with the stream's lock held, reads the window and
 * appends text. URIs are relative to the media playlist:
 *   <bid>_init<v>.mp4       init segment (v changes after a discontinuity)
 *   <bid>_<msn>.m4s         media segment (all its parts, concatenated)
 *   <bid>_<msn>.<i>.m4s     LL-HLS part i of segment msn
 * where <bid> is the broadcast id, so nothing of a past broadcast can be
 * asked for or served by mistake.
 */
#ifndef ONAIR_HLS_PLAYLIST_H
#define ONAIR_HLS_PLAYLIST_H

#include "core/buf.h"
#include "hls/stream.h"

/* The media playlist of rendition r of s. ended: add EXT-X-ENDLIST (and no
 * preload hint). */
void hls_playlist_media(struct buf *out, const struct hls_stream *s, const struct hls_rendition *r,
                        bool ended);

/* The master playlist: one EXT-X-STREAM-INF per rendition that has an init
 * segment, with BANDWIDTH, RESOLUTION and CODECS from the stream itself.
 * Returns the number of renditions listed. */
unsigned hls_playlist_master(struct buf *out, const struct hls_stream *s);

/* "2026-11-22T03:40:00.123Z" */
void hls_format_time(char out[HLS_TIME_LEN], int64_t ms);

#endif

/*
 * segmenter.h - turns one publisher's frames into LL-HLS parts and segments.
 *
 * Owned by the RTMP session of the publisher and called on its loop only.
 * It writes into one rendition of a struct hls_stream (taking the stream's
 * lock briefly per part) and wakes blocked viewers after each part.
 *
 * Timing: video decode times come from RTMP timestamps (ms -> 90 kHz);
 * a video sample's duration is known when the next one arrives. A frame is
 * placed when it arrives, as if it lasted as long as the one before, so a
 * part is published as soon as the frame after its last one arrives; a
 * frame that turns out longer and would make its part pass the target moves
 * to the next part. Audio (AAC) samples are 1024 frames each on the
 * sample-rate timescale, re-synchronised to the RTMP timestamps when they
 * drift by more than two frames (a gap in the source). A part closes before
 * it would exceed the part target; a segment is cut at the first keyframe
 * after the segment target. Output starts at the first video keyframe (or,
 * for a stream without video, after one second of audio).
 *
 * Copies: a video frame is copied once, into the block that becomes its
 * part (the fragment header is written into room left in front of it);
 * audio frames are copied twice (they are small).
 *
 * A publisher that resumes a PAUSED stream gets a new init segment, a
 * discontinuity before its first segment, and a timeline that continues
 * where the previous one ended.
 */
#ifndef ONAIR_HLS_SEGMENTER_H
#define ONAIR_HLS_SEGMENTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/metrics.h"

struct hls_stream;
struct hls_segmenter;

/* rendition: index into s->rend (created here if new, named name). */
struct hls_segmenter *hls_segmenter_new(struct hls_stream *s, const char *name, bool resumed);
/* Ends the current segment (if any) and frees the segmenter. */
void hls_segmenter_free(struct hls_segmenter *g);

/* Sequence headers. EPROTO/EINVAL when they don't parse (logged by caller).
 * A change of configuration mid-stream is EINVAL: the publisher must
 * reconnect (which gives a discontinuity). */
int hls_segmenter_video_config(struct hls_segmenter *g, const uint8_t *avcc, size_t len);
int hls_segmenter_audio_config(struct hls_segmenter *g, const uint8_t *asc, size_t len);

/* One frame. dts_ms is the unwrapped RTMP timestamp; arrival_ms the wall
 * clock when its last byte arrived. Data is copied. EPROTO for malformed
 * NAL framing. */
int hls_segmenter_video(struct hls_segmenter *g, int64_t dts_ms, int32_t cts_ms, bool keyframe,
                        const uint8_t *data, size_t len, int64_t arrival_ms);
int hls_segmenter_audio(struct hls_segmenter *g, int64_t dts_ms, const uint8_t *data, size_t len,
                        int64_t arrival_ms);

/* How many more video frames can arrive before one of them could close a
 * part or a segment, less one for margin: until then nothing new becomes
 * visible to viewers, so a caller may read its input less often. 0 when
 * the next frames may (and for streams without video). */
unsigned hls_segmenter_frames_ahead(const struct hls_segmenter *g);

/* /metrics: parts produced and the time from a part's first frame arriving
 * over RTMP to the part being available to viewers. */
void hls_segmenter_metrics(struct buf *out, void *arg);

#endif

/*
 * media_time.h - where a fetched part or segment ends on the media
 * timeline, read from its bytes.
 *
 *   fMP4 (onair, CMAF): the init segment names the video track and its
 *   timescale; each moof's traf for that track gives tfdt (base decode
 *   time) and the trun's sample durations, so a fragment ends at
 *   tfdt + sum(durations). A part or segment (several moofs) ends where its
 *   last moof's video run ends.
 *   MPEG-TS (nginx-rtmp): video PES headers carry DTS (or only PTS when
 *   equal); the segment ends one frame interval after its last video DTS
 *   (the interval taken from the last two DTS values).
 *
 * All functions are pure, borrow their input, and return 0 or ONAIR_EPROTO
 * (truncated or malformed boxes/packets) or ONAIR_ENOTFOUND (no video).
 */
#ifndef ONAIR_BENCH_MEDIA_TIME_H
#define ONAIR_BENCH_MEDIA_TIME_H

#include <stddef.h>
#include <stdint.h>

struct bench_fmp4_track {
    uint32_t track_id;
    uint32_t timescale;
    uint32_t default_duration; /* trex default_sample_duration (0 if none) */
};

/* The video track (handler 'vide') of an init segment. */
int bench_fmp4_init_parse(const uint8_t *data, size_t len, struct bench_fmp4_track *video);

/* End of the video track in one or more moof+mdat fragments, in the
 * track's timescale. */
int bench_fmp4_end(const uint8_t *data, size_t len, const struct bench_fmp4_track *video,
                   uint64_t *end);

/* End of the video in an MPEG-TS segment, in 90 kHz units (33-bit values;
 * no wrap handling: benchmark runs are minutes long). */
int bench_ts_end(const uint8_t *data, size_t len, uint64_t *end_90k);

#endif

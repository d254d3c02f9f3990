/*
 * m3u8.h - the parts of an HLS media playlist a viewer needs: target
 * durations, media sequence, the init map, segments (EXTINF + URI) and
 * LL-HLS parts (EXT-X-PART), in order.
 *
 * Parts listed before a segment's URI belong to that segment; parts after
 * the last URI belong to the segment in progress (complete = false), whose
 * number is the next media sequence number. EXT-X-SKIP advances the
 * sequence by its SKIPPED-SEGMENTS. Unknown tags are ignored.
 *
 * Live edge by the clock: edge_pdt_ms is the wall-clock time (ms since the
 * epoch) where the playlist's media ends, read from the last
 * EXT-X-PROGRAM-DATE-TIME plus the durations listed after it (segments,
 * then the parts of the segment in progress); 0 without such a tag.
 *
 * Ownership: bench_m3u8_parse writes NUL bytes into text and the result's
 * URIs point into it: keep text alive and unchanged while using them. The
 * arrays belong to the playlist struct (bench_m3u8_free; a parse reuses
 * them). Errors: ONAIR_EPROTO when the text does not start with #EXTM3U or
 * lists more than BENCH_M3U8_MAX_ITEMS entries.
 */
#ifndef ONAIR_BENCH_M3U8_H
#define ONAIR_BENCH_M3U8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BENCH_M3U8_MAX_ITEMS 4096

struct bench_m3u8_part {
    const char *uri;
    double duration;
    bool independent;
};

struct bench_m3u8_seg {
    uint64_t msn;
    const char *uri; /* NULL while in progress */
    double duration;
    bool complete;
    unsigned first_part, nparts; /* its parts: parts[first_part .. +nparts) */
};

struct bench_m3u8 {
    double target_duration; /* 0 if absent */
    double part_target;     /* 0 if absent */
    uint64_t media_sequence;
    const char *map_uri; /* NULL if absent */
    bool can_block_reload;
    bool ended;
    double edge_pdt_ms; /* 0: no EXT-X-PROGRAM-DATE-TIME */
    struct bench_m3u8_seg *segs;
    unsigned nsegs, segs_cap;
    struct bench_m3u8_part *parts;
    unsigned nparts, parts_cap;
};

int bench_m3u8_parse(struct bench_m3u8 *pl, char *text);
/* An ISO 8601 date-time as HLS writes it (2026-11-22T08:02:01.123Z or with
 * +hh:mm) in ms since the epoch: 0 or -1 when it is not one. */
int bench_m3u8_parse_date(const char *text, double *out_ms);
void bench_m3u8_free(struct bench_m3u8 *pl);

#endif

/*
 * clip.h - a pre-encoded FLV file held in memory, for publishers to loop.
 *
 * The file is read once; every publisher sends the same immutable tags.
 * Sequence headers (AVC and AAC) and the onMetaData script tag are marked so
 * a publisher sends them once, before the first loop, as OBS does.
 *
 * Ownership: bench_clip_load returns a clip owned by the caller (free with
 * bench_clip_free); tags point into its single data block. Errors: NULL with
 * a message on stderr (unreadable file, not FLV, truncated tag, no video).
 */
#ifndef ONAIR_BENCH_CLIP_H
#define ONAIR_BENCH_CLIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_tag {
    uint8_t type;  /* 8 audio, 9 video, 18 script data */
    uint32_t ts;   /* ms, relative to the clip's first tag */
    bool config;   /* a sequence header or onMetaData: sent once */
    bool keyframe; /* a video key frame (not its sequence header) */
    const uint8_t *body;
    uint32_t len;
};

struct bench_clip {
    struct bench_tag *tags;
    size_t ntags;
    uint32_t duration_ms;             /* one loop: last video ts + one frame interval */
    uint32_t first_key_ts;            /* ts of the first video key frame */
    const struct bench_tag *metadata; /* the onMetaData script tag, or NULL */
    uint64_t media_bytes;             /* audio + video bodies of one loop */
    uint8_t *data;
};

struct bench_clip *bench_clip_load(const char *path);
void bench_clip_free(struct bench_clip *c);

#endif

/*
 * clip.c - FLV file -> tags in memory (see clip.h).
 *
 * FLV layout: a 9-byte header ("FLV", version, flags, header size), then
 * PreviousTagSize0 (4 bytes), then tags: type (1), body size (3), timestamp
 * (3 + 1 extension byte, the high bits), stream id (3), body, and the
 * tag's PreviousTagSize (4).
 */
#include "clip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* Large enough for any clip a benchmark loops (a 10 s 2.5 Mbit/s clip is 3.5 MB). */
#define CLIP_MAX_BYTES (256u * 1024 * 1024)

static uint32_t rd24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "onair-bench: --flv: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *data = xmalloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap >= CLIP_MAX_BYTES) {
                fprintf(stderr, "onair-bench: --flv: %s is larger than %u MiB\n", path,
                        CLIP_MAX_BYTES >> 20);
                free(data);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            data = xrealloc(data, cap);
        }
        size_t got = fread(data + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return data;
}

static void classify(struct bench_tag *t)
{
    const uint8_t *b = t->body;
    if (t->type == 9 && t->len >= 2 && (b[0] & 0x0F) == 7) {
        t->config = b[1] == 0;
        t->keyframe = (b[0] >> 4) == 1 && b[1] == 1;
    } else if (t->type == 8 && t->len >= 2 && (b[0] >> 4) == 10) {
        t->config = b[1] == 0;
    } else if (t->type == 18) {
        /* AMF0 string "onMetaData": 02 00 0A 'onMetaData' */
        t->config = t->len >= 13 && b[0] == 2 && memcmp(b + 3, "onMetaData", 10) == 0;
    }
}

struct bench_clip *bench_clip_load(const char *path)
{
    size_t len;
    uint8_t *data = read_file(path, &len);
    if (!data)
        return NULL;
    if (len < 13 || memcmp(data, "FLV", 3) != 0) {
        fprintf(stderr, "onair-bench: --flv: %s is not an FLV file\n", path);
        free(data);
        return NULL;
    }
    struct bench_clip *c = xcalloc(1, sizeof *c);
    c->data = data;
    size_t cap = 1024;
    c->tags = xmalloc(cap * sizeof *c->tags);
    size_t off = (size_t)data[5] << 24 | (size_t)data[6] << 16 | (size_t)data[7] << 8 | data[8];
    off += 4; /* PreviousTagSize0 */
    bool have_base = false;
    uint32_t base = 0, last_video = 0, prev_video = 0;
    size_t nvideo = 0;
    while (off + 11 <= len) {
        const uint8_t *h = data + off;
        uint32_t body = rd24(h + 1);
        uint32_t ts = rd24(h + 4) | (uint32_t)h[7] << 24;
        if (off + 11 + body > len) {
            fprintf(stderr, "onair-bench: --flv: %s: truncated tag at byte %zu\n", path, off);
            goto fail;
        }
        uint8_t type = h[0] & 0x1F;
        if (type == 8 || type == 9 || type == 18) {
            if (c->ntags == cap) {
                cap *= 2;
                c->tags = xrealloc(c->tags, cap * sizeof *c->tags);
            }
            if (!have_base) {
                base = ts;
                have_base = true;
            }
            struct bench_tag *t = &c->tags[c->ntags++];
            *t = (struct bench_tag){
                .type = type, .ts = ts >= base ? ts - base : 0, .body = h + 11, .len = body};
            classify(t);
            if (type == 9 && !t->config) {
                prev_video = last_video;
                last_video = t->ts;
                nvideo++;
            }
            if (type != 18)
                c->media_bytes += body;
        }
        off += 11 + body + 4;
    }
    if (nvideo < 2) {
        fprintf(stderr, "onair-bench: --flv: %s has no video to loop\n", path);
        goto fail;
    }
    /* Pointers into tags[] only now that it no longer moves. */
    for (size_t i = 0; i < c->ntags; i++) {
        if (c->tags[i].type == 9 && c->tags[i].keyframe) {
            c->first_key_ts = c->tags[i].ts;
            break;
        }
    }
    for (size_t i = 0; i < c->ntags && !c->metadata; i++)
        if (c->tags[i].type == 18 && c->tags[i].config)
            c->metadata = &c->tags[i];
    uint32_t frame = last_video > prev_video ? last_video - prev_video : 33;
    c->duration_ms = last_video + frame;
    return c;
fail:
    bench_clip_free(c);
    return NULL;
}

void bench_clip_free(struct bench_clip *c)
{
    if (!c)
        return;
    free(c->tags);
    free(c->data);
    free(c);
}

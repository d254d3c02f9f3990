/*
 * media_time.c - end times of fMP4 fragments and MPEG-TS segments (see
 * media_time.h). Box layouts: ISO/IEC 14496-12 (tkhd, mdhd, hdlr, trex,
 * tfhd, tfdt, trun); PES headers: ISO/IEC 13818-1.
 */
#include "media_time.h"

#include <stdbool.h>
#include <string.h>

#include "core/err.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* One box: its type and body. */
struct box {
    char type[4];
    const uint8_t *body;
    size_t len;
};

/* Reads the box at *p (before end); advances *p past it. 1: a box, 0: end
 * of input, negative: malformed. */
static int next_box(const uint8_t **p, const uint8_t *end, struct box *b)
{
    size_t left = (size_t)(end - *p);
    if (left == 0)
        return 0;
    if (left < 8)
        return ONAIR_EPROTO;
    uint64_t size = be32(*p);
    size_t head = 8;
    if (size == 1) {
        if (left < 16)
            return ONAIR_EPROTO;
        size = be64(*p + 8);
        head = 16;
    } else if (size == 0) {
        size = left;
    }
    if (size < head || size > left)
        return ONAIR_EPROTO;
    memcpy(b->type, *p + 4, 4);
    b->body = *p + head;
    b->len = (size_t)size - head;
    *p += size;
    return 1;
}

static bool is(const struct box *b, const char *type)
{
    return memcmp(b->type, type, 4) == 0;
}

/* Finds the first child of type inside parent's body. */
static int child(const struct box *parent, const char *type, struct box *out)
{
    const uint8_t *p = parent->body, *end = parent->body + parent->len;
    int rc;
    while ((rc = next_box(&p, end, out)) == 1)
        if (is(out, type))
            return 0;
    return rc < 0 ? rc : ONAIR_ENOTFOUND;
}

int bench_fmp4_init_parse(const uint8_t *data, size_t len, struct bench_fmp4_track *video)
{
    const uint8_t *p = data, *end = data + len;
    struct box moov, b;
    int rc;
    memset(video, 0, sizeof *video);
    while ((rc = next_box(&p, end, &moov)) == 1 && !is(&moov, "moov"))
        ;
    if (rc <= 0)
        return rc < 0 ? rc : ONAIR_ENOTFOUND;
    const uint8_t *q = moov.body, *qend = moov.body + moov.len;
    while ((rc = next_box(&q, qend, &b)) == 1) {
        if (!is(&b, "trak"))
            continue;
        struct box tkhd, mdia, mdhd, hdlr;
        if (child(&b, "tkhd", &tkhd) || child(&b, "mdia", &mdia) || child(&mdia, "mdhd", &mdhd) ||
            child(&mdia, "hdlr", &hdlr))
            return ONAIR_EPROTO;
        if (hdlr.len < 12 || memcmp(hdlr.body + 8, "vide", 4) != 0)
            continue;
        bool v1 = tkhd.len > 0 && tkhd.body[0] == 1;
        size_t id_at = v1 ? 20 : 12, ts_at = (mdhd.len > 0 && mdhd.body[0] == 1) ? 20 : 12;
        if (tkhd.len < id_at + 4 || mdhd.len < ts_at + 4)
            return ONAIR_EPROTO;
        video->track_id = be32(tkhd.body + id_at);
        video->timescale = be32(mdhd.body + ts_at);
    }
    if (rc < 0)
        return rc;
    if (!video->track_id || !video->timescale)
        return ONAIR_ENOTFOUND;
    struct box mvex, trex;
    if (child(&moov, "mvex", &mvex) == 0) {
        const uint8_t *r = mvex.body, *rend = mvex.body + mvex.len;
        while (next_box(&r, rend, &trex) == 1)
            if (is(&trex, "trex") && trex.len >= 16 && be32(trex.body + 4) == video->track_id)
                video->default_duration = be32(trex.body + 12);
    }
    return 0;
}

/* End of the video run in one traf, or ENOTFOUND when it is another track. */
static int traf_end(const struct box *traf, const struct bench_fmp4_track *video, uint64_t *end)
{
    struct box tfhd, tfdt, b;
    if (child(traf, "tfhd", &tfhd) || tfhd.len < 8)
        return ONAIR_EPROTO;
    if (be32(tfhd.body + 4) != video->track_id)
        return ONAIR_ENOTFOUND;
    uint32_t tf_flags = be32(tfhd.body) & 0xFFFFFF;
    uint32_t def = video->default_duration;
    size_t off = 8;
    if (tf_flags & 0x01)
        off += 8; /* base data offset */
    if (tf_flags & 0x02)
        off += 4; /* sample description index */
    if (tf_flags & 0x08) {
        if (tfhd.len < off + 4)
            return ONAIR_EPROTO;
        def = be32(tfhd.body + off);
    }
    if (child(traf, "tfdt", &tfdt) || tfdt.len < 8)
        return ONAIR_EPROTO;
    uint64_t t =
        tfdt.body[0] == 1 ? (tfdt.len < 12 ? 0 : be64(tfdt.body + 4)) : be32(tfdt.body + 4);
    const uint8_t *p = traf->body, *pend = traf->body + traf->len;
    int rc;
    while ((rc = next_box(&p, pend, &b)) == 1) {
        if (!is(&b, "trun"))
            continue;
        if (b.len < 8)
            return ONAIR_EPROTO;
        uint32_t flags = be32(b.body) & 0xFFFFFF;
        uint32_t count = be32(b.body + 4);
        size_t at = 8 + (flags & 0x01 ? 4 : 0) + (flags & 0x04 ? 4 : 0);
        /* Per sample: duration, size, flags, composition offset, each if flagged. */
        size_t per = 4 * (size_t)(!!(flags & 0x100) + !!(flags & 0x200) + !!(flags & 0x400) +
                                  !!(flags & 0x800));
        if (b.len < at || (per && (b.len - at) / per < count))
            return ONAIR_EPROTO;
        for (uint32_t i = 0; i < count; i++) {
            t += flags & 0x100 ? be32(b.body + at) : def;
            at += per;
        }
    }
    if (rc < 0)
        return rc;
    *end = t;
    return 0;
}

int bench_fmp4_end(const uint8_t *data, size_t len, const struct bench_fmp4_track *video,
                   uint64_t *end)
{
    const uint8_t *p = data, *pend = data + len;
    struct box moof, traf;
    bool found = false;
    int rc;
    while ((rc = next_box(&p, pend, &moof)) == 1) {
        if (!is(&moof, "moof"))
            continue;
        const uint8_t *q = moof.body, *qend = moof.body + moof.len;
        while ((rc = next_box(&q, qend, &traf)) == 1) {
            if (!is(&traf, "traf"))
                continue;
            uint64_t e;
            int r = traf_end(&traf, video, &e);
            if (r == ONAIR_ENOTFOUND)
                continue;
            if (r < 0)
                return r;
            if (!found || e > *end)
                *end = e;
            found = true;
        }
        if (rc < 0)
            return rc;
    }
    if (rc < 0)
        return rc;
    return found ? 0 : ONAIR_ENOTFOUND;
}

static uint64_t pes_time(const uint8_t *b)
{
    return (uint64_t)((b[0] >> 1) & 7) << 30 | (uint64_t)b[1] << 22 | (uint64_t)(b[2] >> 1) << 15 |
           (uint64_t)b[3] << 7 | (uint64_t)(b[4] >> 1);
}

int bench_ts_end(const uint8_t *data, size_t len, uint64_t *end_90k)
{
    uint64_t last = 0, prev = 0;
    size_t nvideo = 0;
    for (size_t off = 0; off + 188 <= len; off += 188) {
        const uint8_t *k = data + off;
        if (k[0] != 0x47)
            return ONAIR_EPROTO;
        if (!(k[1] & 0x40))
            continue; /* not the start of a PES */
        unsigned afc = (k[3] >> 4) & 3;
        size_t at = 4;
        if (afc & 2)
            at += 1 + (size_t)k[4];
        if (!(afc & 1) || at + 19 > 188)
            continue;
        const uint8_t *pes = k + at;
        if (pes[0] != 0 || pes[1] != 0 || pes[2] != 1 || (pes[3] & 0xF0) != 0xE0)
            continue;
        unsigned flags = pes[7] >> 6;
        if (!(flags & 2))
            continue;
        uint64_t dts = flags == 3 ? pes_time(pes + 14) : pes_time(pes + 9);
        prev = last;
        last = dts;
        nvideo++;
    }
    if (nvideo == 0)
        return ONAIR_ENOTFOUND;
    uint64_t frame = nvideo > 1 && last > prev ? last - prev : 3000;
    *end_90k = last + frame;
    return 0;
}

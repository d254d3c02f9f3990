/*
 * Unit tests for src/hls/fmp4.c: the fMP4/CMAF init and fragment writer.
 *
 * The structure tests walk the output with a small box parser written here
 * (sizes add up, nesting and order as written in the header, field values,
 * trun data offsets landing on the right mdat bytes). The decoder test then
 * feeds a real H.264 + AAC stream made by ffmpeg through the writer and asks
 * ffprobe and ffmpeg to read every frame back; it is skipped only when
 * ffprobe is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "hls/fmp4.h"

/* ---- box walker ------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
    return ((uint64_t)rd32(p) << 32) | rd32(p + 4);
}

struct box {
    const uint8_t *start; /* first byte of the size field */
    size_t size;          /* whole box */
    const uint8_t *body;  /* after size and type */
    size_t body_len;
    char type[5];
};

/* Bytes of fields in a box body before its child boxes start. */
static size_t children_skip(const char *type)
{
    if (!strcmp(type, "stsd") || !strcmp(type, "dref"))
        return 8; /* version/flags + entry_count */
    if (!strcmp(type, "avc1"))
        return 78; /* SampleEntry 8 + VisualSampleEntry 70 */
    if (!strcmp(type, "mp4a"))
        return 28; /* SampleEntry 8 + AudioSampleEntry 20 */
    return 0;
}

/* Splits [p, p+len) into boxes; every size must be >= 8 and the sizes must
 * add up to len exactly. Returns how many (at most max). */
static size_t parse_boxes(const uint8_t *p, size_t len, struct box *out, size_t max)
{
    size_t n = 0, off = 0;
    while (off < len) {
        assert_true(len - off >= 8);
        uint32_t size = rd32(p + off);
        assert_true(size >= 8); /* we never write 0 (to end) or 1 (64-bit) */
        assert_true(size <= len - off);
        assert_true(n < max);
        struct box *b = &out[n++];
        b->start = p + off;
        b->size = size;
        b->body = p + off + 8;
        b->body_len = size - 8;
        memcpy(b->type, p + off + 4, 4);
        b->type[4] = '\0';
        off += size;
    }
    assert_int_equal(off, len);
    return n;
}

#define MAX_BOXES 16

/* Children of b, checked to be exactly the space-separated types given. */
static size_t expect_children(const struct box *b, const char *types, struct box *kids)
{
    size_t skip = children_skip(b->type);
    assert_true(b->body_len >= skip);
    size_t n = parse_boxes(b->body + skip, b->body_len - skip, kids, MAX_BOXES);
    char got[MAX_BOXES * 5 + 1] = "";
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            got[at++] = ' ';
        memcpy(got + at, kids[i].type, 4);
        at += 4;
    }
    got[at] = '\0';
    assert_string_equal(got, types);
    return n;
}

/* The only child of type t of b (asserting there is exactly one). */
static struct box child(const struct box *b, const char *t)
{
    struct box kids[MAX_BOXES];
    size_t skip = children_skip(b->type);
    size_t n = parse_boxes(b->body + skip, b->body_len - skip, kids, MAX_BOXES);
    struct box found = {0};
    size_t hits = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(kids[i].type, t)) {
            found = kids[i];
            hits++;
        }
    assert_int_equal(hits, 1);
    return found;
}

/* Follows a path like "mdia/minf/stbl/stsd/avc1/avcC" below b. */
static struct box path(const struct box *b, const char *p)
{
    struct box cur = *b;
    while (*p) {
        char t[5] = {0};
        memcpy(t, p, 4);
        cur = child(&cur, t);
        p += 4;
        if (*p == '/')
            p++;
    }
    return cur;
}

static uint8_t version_of(const struct box *b)
{
    return b->body[0];
}

static uint32_t flags_of(const struct box *b)
{
    return rd24(b->body + 1);
}

/* ---- fixtures --------------------------------------------------------- */

/* avcC for High profile level 3.1 with a made-up SPS and PPS: only its
 * bytes matter here, they must come back verbatim. */
static const uint8_t AVCC[] = {0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67,
                               0x64, 0x00, 0x1f, 0x01, 0x00, 0x02, 0x68, 0xee};
/* AAC LC, 44100 Hz, mono. */
static const uint8_t ASC[] = {0x12, 0x08};

static const struct fmp4_video VIDEO = {
    .width = 320, .height = 240, .avcc = AVCC, .avcc_len = sizeof(AVCC)};
static const struct fmp4_audio AUDIO = {
    .sample_rate = 44100, .channels = 1, .asc = ASC, .asc_len = sizeof(ASC)};

static void check_ftyp(const struct box *ftyp)
{
    assert_string_equal(ftyp->type, "ftyp");
    assert_true(ftyp->body_len >= 8 && ftyp->body_len % 4 == 0);
    assert_memory_equal(ftyp->body, "iso6", 4);
    bool cmfc = false, iso6 = false;
    for (size_t off = 8; off < ftyp->body_len; off += 4) {
        cmfc |= !memcmp(ftyp->body + off, "cmfc", 4);
        iso6 |= !memcmp(ftyp->body + off, "iso6", 4);
    }
    assert_true(cmfc && iso6);
}

static void check_common_trak(const struct box *trak, uint32_t track_id, uint32_t timescale,
                              const char *handler, const char *media_header, const char *entry)
{
    struct box kids[MAX_BOXES];
    expect_children(trak, "tkhd mdia", kids);
    struct box tkhd = kids[0];
    assert_int_equal(version_of(&tkhd), 0);
    assert_int_equal(flags_of(&tkhd), 3); /* enabled, in movie */
    assert_int_equal(tkhd.body_len, 4 + 80);
    assert_int_equal(rd32(tkhd.body + 4 + 8), track_id);

    expect_children(&kids[1], "mdhd hdlr minf", kids);
    assert_int_equal(rd32(kids[0].body + 4 + 8), timescale);
    assert_int_equal(rd16(kids[0].body + 4 + 16), 0x55c4); /* "und" */
    assert_memory_equal(kids[1].body + 8, handler, 4);

    struct box minf = kids[2];
    char want[64];
    snprintf(want, sizeof(want), "%s dinf stbl", media_header);
    expect_children(&minf, want, kids);
    struct box dref = path(&minf, "dinf/dref");
    assert_int_equal(rd32(dref.body + 4), 1);
    struct box url = child(&dref, "url ");
    assert_int_equal(flags_of(&url), 1); /* self-contained */

    struct box stbl = path(&minf, "stbl");
    expect_children(&stbl, "stsd stts stsc stsz stco", kids);
    assert_int_equal(rd32(kids[0].body + 4), 1); /* one sample entry */
    assert_int_equal(rd32(kids[1].body + 4), 0); /* stts empty */
    assert_int_equal(rd32(kids[2].body + 4), 0); /* stsc empty */
    assert_int_equal(rd32(kids[3].body + 8), 0); /* stsz: no samples */
    assert_int_equal(rd32(kids[4].body + 4), 0); /* stco empty */
    struct box sd[MAX_BOXES];
    expect_children(&kids[0], entry, sd);
    assert_int_equal(rd16(sd[0].body + 6), 1); /* data_reference_index */
}

static void check_video_trak(const struct box *trak)
{
    check_common_trak(trak, FMP4_VIDEO_TRACK, FMP4_VIDEO_TIMESCALE, "vide", "vmhd", "avc1");
    struct box tkhd = child(trak, "tkhd");
    assert_int_equal(rd32(tkhd.body + 4 + 72), 320u << 16);
    assert_int_equal(rd32(tkhd.body + 4 + 76), 240u << 16);
    assert_int_equal(rd16(tkhd.body + 4 + 32), 0); /* volume */
    struct box vmhd = path(trak, "mdia/minf/vmhd");
    assert_int_equal(flags_of(&vmhd), 1);
    struct box avc1 = path(trak, "mdia/minf/stbl/stsd/avc1");
    assert_int_equal(rd16(avc1.body + 8 + 16), 320);
    assert_int_equal(rd16(avc1.body + 8 + 18), 240);
    struct box kids[MAX_BOXES];
    expect_children(&avc1, "avcC", kids);
    assert_int_equal(kids[0].body_len, sizeof(AVCC));
    assert_memory_equal(kids[0].body, AVCC, sizeof(AVCC));
}

static void check_audio_trak(const struct box *trak)
{
    check_common_trak(trak, FMP4_AUDIO_TRACK, 44100, "soun", "smhd", "mp4a");
    struct box tkhd = child(trak, "tkhd");
    assert_int_equal(rd32(tkhd.body + 4 + 72), 0);
    assert_int_equal(rd16(tkhd.body + 4 + 32), 0x0100); /* volume 1.0 */
    struct box mp4a = path(trak, "mdia/minf/stbl/stsd/mp4a");
    assert_int_equal(rd16(mp4a.body + 16), 1);  /* channelcount */
    assert_int_equal(rd16(mp4a.body + 18), 16); /* samplesize */
    assert_int_equal(rd32(mp4a.body + 24), 44100u << 16);
    struct box kids[MAX_BOXES];
    expect_children(&mp4a, "esds", kids);

    /* Walk the descriptors: ES (3) > DecoderConfig (4) > DecSpecificInfo
     * (5) holding the ASC, then SLConfig (6). */
    const uint8_t *d = kids[0].body + 4, *end = kids[0].body + kids[0].body_len;
    assert_int_equal(d[0], 0x03);
    assert_int_equal(d[1], end - d - 2); /* one size byte at these sizes */
    d += 2 + 3;
    assert_int_equal(d[0], 0x04);
    assert_int_equal(d[2], 0x40); /* MPEG-4 audio */
    assert_int_equal(d[3], 0x15); /* audio stream */
    d += 2 + 13;
    assert_int_equal(d[0], 0x05);
    assert_int_equal(d[1], sizeof(ASC));
    assert_memory_equal(d + 2, ASC, sizeof(ASC));
    d += 2 + sizeof(ASC);
    assert_int_equal(d[0], 0x06);
    assert_int_equal(d[1], 1);
    assert_int_equal(d[2], 0x02);
    assert_ptr_equal(d + 3, end);
}

static void check_mvex(const struct box *mvex, const uint32_t *ids, size_t n)
{
    struct box kids[MAX_BOXES];
    assert_int_equal(expect_children(mvex, n == 2 ? "trex trex" : "trex", kids), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rd32(kids[i].body + 4), ids[i]);
        assert_int_equal(rd32(kids[i].body + 8), 1); /* sample description */
    }
}

static void test_init_video_only(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(fmp4_init_write(&b, &VIDEO, NULL), 0);
    struct box top[MAX_BOXES], kids[MAX_BOXES];
    assert_int_equal(parse_boxes((const uint8_t *)b.data, b.len, top, MAX_BOXES), 2);
    check_ftyp(&top[0]);
    expect_children(&top[1], "mvhd trak mvex", kids);
    assert_int_equal(rd32(kids[0].body + 4 + 8), 1000);          /* timescale */
    assert_true(rd32(kids[0].body + 4 + 92) > FMP4_VIDEO_TRACK); /* next_track_ID */
    check_video_trak(&kids[1]);
    uint32_t ids[] = {FMP4_VIDEO_TRACK};
    check_mvex(&kids[2], ids, 1);
    buf_free(&b);
}

static void test_init_audio_only(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(fmp4_init_write(&b, NULL, &AUDIO), 0);
    struct box top[MAX_BOXES], kids[MAX_BOXES];
    assert_int_equal(parse_boxes((const uint8_t *)b.data, b.len, top, MAX_BOXES), 2);
    check_ftyp(&top[0]);
    expect_children(&top[1], "mvhd trak mvex", kids);
    assert_true(rd32(kids[0].body + 4 + 92) > FMP4_AUDIO_TRACK);
    check_audio_trak(&kids[1]);
    uint32_t ids[] = {FMP4_AUDIO_TRACK};
    check_mvex(&kids[2], ids, 1);
    buf_free(&b);
}

static void test_init_both_appends(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "xyz", 3), 0); /* appends after what is there */
    assert_int_equal(fmp4_init_write(&b, &VIDEO, &AUDIO), 0);
    assert_memory_equal(b.data, "xyz", 3);
    struct box top[MAX_BOXES], kids[MAX_BOXES];
    assert_int_equal(parse_boxes((const uint8_t *)b.data + 3, b.len - 3, top, MAX_BOXES), 2);
    check_ftyp(&top[0]);
    expect_children(&top[1], "mvhd trak trak mvex", kids);
    check_video_trak(&kids[1]);
    check_audio_trak(&kids[2]);
    uint32_t ids[] = {FMP4_VIDEO_TRACK, FMP4_AUDIO_TRACK};
    check_mvex(&kids[3], ids, 2);
    buf_free(&b);
}

static void test_init_einval(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "keep", 4), 0);

    assert_int_equal(fmp4_init_write(NULL, &VIDEO, &AUDIO), ONAIR_EINVAL);
    assert_int_equal(fmp4_init_write(&b, NULL, NULL), ONAIR_EINVAL);

    struct fmp4_video v = VIDEO;
    v.avcc = NULL;
    assert_int_equal(fmp4_init_write(&b, &v, NULL), ONAIR_EINVAL);
    v = VIDEO;
    v.avcc_len = 6;
    assert_int_equal(fmp4_init_write(&b, &v, NULL), ONAIR_EINVAL);
    v = VIDEO;
    uint8_t bad[sizeof(AVCC)];
    memcpy(bad, AVCC, sizeof(AVCC));
    bad[0] = 0; /* configurationVersion must be 1 */
    v.avcc = bad;
    assert_int_equal(fmp4_init_write(&b, &v, NULL), ONAIR_EINVAL);
    v = VIDEO;
    v.width = 65536;
    assert_int_equal(fmp4_init_write(&b, &v, NULL), ONAIR_EINVAL);
    v = VIDEO;
    v.height = 0;
    assert_int_equal(fmp4_init_write(&b, &v, &AUDIO), ONAIR_EINVAL);

    struct fmp4_audio a = AUDIO;
    a.asc_len = 1;
    assert_int_equal(fmp4_init_write(&b, NULL, &a), ONAIR_EINVAL);
    a = AUDIO;
    a.asc = NULL;
    assert_int_equal(fmp4_init_write(&b, &VIDEO, &a), ONAIR_EINVAL);
    a = AUDIO;
    a.sample_rate = 0;
    assert_int_equal(fmp4_init_write(&b, NULL, &a), ONAIR_EINVAL);
    a = AUDIO;
    a.channels = 0;
    assert_int_equal(fmp4_init_write(&b, NULL, &a), ONAIR_EINVAL);

    /* Nothing was written by any of them. */
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    buf_free(&b);
}

static void test_init_toobig_rolls_back(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 200); /* far too small for a moov */
    assert_int_equal(buf_append(&b, "keep", 4), 0);
    assert_int_equal(fmp4_init_write(&b, &VIDEO, &AUDIO), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    buf_free(&b);
}

/* ---- fragments -------------------------------------------------------- */

/* Parses one fragment at p (moof + mdat, exactly len bytes) and checks
 * every field against the runs it was written from. */
static void verify_fragment(const uint8_t *p, size_t len, uint32_t seq,
                            const struct fmp4_track_run *runs, size_t nruns)
{
    struct box top[MAX_BOXES], kids[MAX_BOXES];
    assert_int_equal(parse_boxes(p, len, top, MAX_BOXES), 2);
    assert_string_equal(top[0].type, "moof");
    assert_string_equal(top[1].type, "mdat");
    const struct box *moof = &top[0], *mdat = &top[1];

    char want[MAX_BOXES * 5] = "mfhd";
    size_t used = 0, data_total = 0, at = 4;
    for (size_t i = 0; i < nruns; i++) {
        if (runs[i].count == 0)
            continue;
        used++;
        assert_true(at + 6 <= sizeof(want));
        memcpy(want + at, " traf", 6);
        at += 5;
        for (size_t k = 0; k < runs[i].count; k++)
            data_total += runs[i].samples[k].size;
    }
    assert_int_equal(expect_children(moof, want, kids), 1 + used);
    assert_int_equal(rd32(kids[0].body + 4), seq);
    assert_int_equal(mdat->body_len, data_total);

    /* Sample data must follow in run order, each run contiguous. */
    const uint8_t *expect_at = mdat->body;
    size_t t = 1;
    for (size_t i = 0; i < nruns; i++) {
        const struct fmp4_track_run *r = &runs[i];
        if (r->count == 0)
            continue;
        struct box tk[MAX_BOXES];
        expect_children(&kids[t++], "tfhd tfdt trun", tk);
        assert_int_equal(flags_of(&tk[0]) & 0x020000, 0x020000); /* default-base-is-moof */
        assert_int_equal(flags_of(&tk[0]) & 0x000001, 0);        /* no base_data_offset */
        assert_int_equal(rd32(tk[0].body + 4), r->track_id);
        assert_int_equal(version_of(&tk[1]), 1);
        assert_int_equal(tk[1].body_len, 12);
        assert_int_equal(rd64(tk[1].body + 4), r->base_decode_time);

        bool any_cts = false, any_neg = false;
        for (size_t k = 0; k < r->count; k++) {
            any_cts |= r->samples[k].cts_offset != 0;
            any_neg |= r->samples[k].cts_offset < 0;
        }
        const struct box *trun = &tk[2];
        assert_int_equal(version_of(trun), any_neg ? 1 : 0);
        uint32_t flags = flags_of(trun);
        assert_int_equal(flags & 0x000701, 0x000701); /* offset, duration, size, flags */
        assert_int_equal(flags & 0x000004, 0);        /* no first-sample-flags */
        assert_int_equal((flags & 0x000800) != 0, any_cts);
        assert_int_equal(rd32(trun->body + 4), r->count);
        size_t per = any_cts ? 16 : 12;
        assert_int_equal(trun->body_len, 12 + per * r->count);

        /* The data offset counts from the moof's first byte and must land
         * inside this mdat, at this run's first sample. */
        int32_t off = (int32_t)rd32(trun->body + 8);
        assert_true(off > 0);
        const uint8_t *data = moof->start + off;
        assert_true(data >= mdat->body && data <= mdat->body + mdat->body_len);
        assert_ptr_equal(data, expect_at);

        const uint8_t *s = trun->body + 12;
        for (size_t k = 0; k < r->count; k++, s += per) {
            const struct fmp4_sample *in = &r->samples[k];
            assert_int_equal(rd32(s), in->duration);
            assert_int_equal(rd32(s + 4), in->size);
            uint32_t sf = rd32(s + 8);
            uint32_t depends_on = (sf >> 24) & 3, non_sync = (sf >> 16) & 1;
            if (in->keyframe) {
                assert_int_equal(depends_on, 2);
                assert_int_equal(non_sync, 0);
            } else {
                assert_int_equal(depends_on, 1);
                assert_int_equal(non_sync, 1);
            }
            if (any_cts)
                assert_int_equal((int32_t)rd32(s + 12), in->cts_offset);
            assert_true(data + in->size <= mdat->body + mdat->body_len);
            if (in->size)
                assert_memory_equal(data, in->data, in->size);
            data += in->size;
        }
        expect_at = data;
    }
    assert_ptr_equal(expect_at, mdat->body + mdat->body_len);
}

static const uint8_t V0[] = {0, 0, 0, 6, 0x65, 1, 2, 3, 4, 5};
static const uint8_t V1[] = {0, 0, 0, 3, 0x41, 9, 8};
static const uint8_t V2[] = {0, 0, 0, 1, 0x01};
static const uint8_t A0[] = {0x21, 0x10, 0x04, 0x60};
static const uint8_t A1[] = {0x21, 0x10, 0x05, 0x60, 0x8c, 0x1c};

static const struct fmp4_sample VSAMPLES[] = {
    {.duration = 3000, .size = sizeof(V0), .cts_offset = 6000, .keyframe = true, .data = V0},
    {.duration = 3000, .size = sizeof(V1), .cts_offset = 9000, .keyframe = false, .data = V1},
    {.duration = 3003, .size = sizeof(V2), .cts_offset = 0, .keyframe = false, .data = V2},
};
static const struct fmp4_sample ASAMPLES[] = {
    {.duration = 1024, .size = sizeof(A0), .keyframe = true, .data = A0},
    {.duration = 1024, .size = sizeof(A1), .keyframe = true, .data = A1},
};

static void test_fragment_both_tracks(void **state)
{
    (void)state;
    struct fmp4_track_run runs[] = {
        {.track_id = FMP4_VIDEO_TRACK,
         .base_decode_time = 0x123456789ull,
         .samples = VSAMPLES,
         .count = 3},
        {.track_id = FMP4_AUDIO_TRACK, .base_decode_time = 441000, .samples = ASAMPLES, .count = 2},
    };
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(fmp4_fragment_write(&b, 7, runs, 2), 0);
    verify_fragment((const uint8_t *)b.data, b.len, 7, runs, 2);

    /* Spot-check raw bytes once, independent of the verifier: the video
     * trun is version 0 with every per-sample field. */
    struct box top[2], kids[MAX_BOXES];
    parse_boxes((const uint8_t *)b.data, b.len, top, 2);
    expect_children(&top[0], "mfhd traf traf", kids);
    struct box vtrun = child(&kids[1], "trun"), atrun = child(&kids[2], "trun");
    assert_int_equal(rd32(vtrun.body), 0x00000f01);
    assert_int_equal(rd32(atrun.body), 0x00000701); /* audio: no CTS field */
    assert_int_equal(rd32(vtrun.body + 12 + 8), 0x02000000);
    assert_int_equal(rd32(vtrun.body + 12 + 16 + 8), 0x01010000);
    buf_free(&b);
}

static void test_fragment_negative_cts_uses_v1(void **state)
{
    (void)state;
    struct fmp4_sample s[3];
    memcpy(s, VSAMPLES, sizeof(s));
    s[0].cts_offset = 0;
    s[1].cts_offset = 3000;
    s[2].cts_offset = -3000;
    struct fmp4_track_run run = {
        .track_id = FMP4_VIDEO_TRACK, .base_decode_time = 90000, .samples = s, .count = 3};
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(fmp4_fragment_write(&b, 1, &run, 1), 0);
    verify_fragment((const uint8_t *)b.data, b.len, 1, &run, 1);
    struct box top[2];
    parse_boxes((const uint8_t *)b.data, b.len, top, 2);
    struct box trun = path(&top[0], "traf/trun");
    assert_int_equal(version_of(&trun), 1);
    assert_int_equal(rd32(trun.body + 12 + 32 + 12), (uint32_t)-3000);
    buf_free(&b);
}

static void test_fragment_empty_runs_left_out(void **state)
{
    (void)state;
    struct fmp4_track_run runs[] = {
        {.track_id = FMP4_VIDEO_TRACK, .base_decode_time = 5, .samples = NULL, .count = 0},
        {.track_id = FMP4_AUDIO_TRACK, .base_decode_time = 1024, .samples = ASAMPLES, .count = 2},
    };
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(fmp4_fragment_write(&b, 2, runs, 2), 0);
    verify_fragment((const uint8_t *)b.data, b.len, 2, runs, 2);
    struct box top[2];
    parse_boxes((const uint8_t *)b.data, b.len, top, 2);
    struct box tfhd = path(&top[0], "traf/tfhd");
    assert_int_equal(rd32(tfhd.body + 4), FMP4_AUDIO_TRACK);

    /* And the other way round, video only, no CTS at all: 12-byte entries. */
    struct fmp4_sample vs[2] = {VSAMPLES[0], VSAMPLES[2]};
    vs[0].cts_offset = 0;
    struct fmp4_track_run runs2[] = {
        {.track_id = FMP4_VIDEO_TRACK, .base_decode_time = 0, .samples = vs, .count = 2},
        {.track_id = FMP4_AUDIO_TRACK, .base_decode_time = 0, .samples = ASAMPLES, .count = 0},
    };
    buf_reset(&b);
    assert_int_equal(fmp4_fragment_write(&b, 3, runs2, 2), 0);
    verify_fragment((const uint8_t *)b.data, b.len, 3, runs2, 2);
    buf_free(&b);
}

/* Fragments concatenated into one segment stay valid each on their own:
 * offsets are relative to each moof, not to the start of the buffer. */
static void test_fragments_concatenate(void **state)
{
    (void)state;
    struct fmp4_track_run a = {.track_id = FMP4_VIDEO_TRACK, .samples = VSAMPLES, .count = 2};
    struct fmp4_track_run c = {.track_id = FMP4_AUDIO_TRACK, .samples = ASAMPLES, .count = 1};
    struct fmp4_track_run ab[] = {a, c};
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(fmp4_init_write(&b, &VIDEO, &AUDIO), 0);
    size_t init_len = b.len;
    assert_int_equal(fmp4_fragment_write(&b, 1, ab, 2), 0);
    size_t first = b.len;
    ab[0].base_decode_time = 6000;
    ab[0].samples = VSAMPLES + 2;
    ab[0].count = 1;
    ab[1].base_decode_time = 1024;
    ab[1].samples = ASAMPLES + 1;
    assert_int_equal(fmp4_fragment_write(&b, 2, ab, 2), 0);
    verify_fragment((const uint8_t *)b.data + first, b.len - first, 2, ab, 2);
    ab[0] = a;
    ab[1] = c;
    verify_fragment((const uint8_t *)b.data + init_len, first - init_len, 1, ab, 2);
    buf_free(&b);
}

/* The head alone is the fragment's first bytes: moof + mdat header, with
 * the data left to the caller, and its size known in advance. */
static void test_fragment_head_matches_fragment(void **state)
{
    (void)state;
    struct fmp4_track_run runs[] = {
        {.track_id = FMP4_VIDEO_TRACK, .base_decode_time = 3003, .samples = VSAMPLES, .count = 3},
        {.track_id = FMP4_AUDIO_TRACK, .base_decode_time = 2048, .samples = ASAMPLES, .count = 2},
    };
    struct buf whole, head;
    buf_init(&whole, 0);
    buf_init(&head, 0);
    assert_int_equal(fmp4_fragment_write(&whole, 9, runs, 2), 0);
    buf_append(&head, "x", 1); /* appends: what was there stays */
    assert_int_equal(fmp4_fragment_head_write(&head, 9, runs, 2), 0);
    size_t hs = fmp4_fragment_head_size(runs, 2);
    assert_int_equal(head.len, 1 + hs);
    assert_memory_equal(head.data + 1, whole.data, hs);
    assert_memory_equal(whole.data + hs - 4, "mdat", 4);
    for (size_t i = 0; i < 2; i++)
        for (size_t k = 0; k < runs[i].count; k++)
            buf_append(&head, runs[i].samples[k].data, runs[i].samples[k].size);
    assert_int_equal(head.len, 1 + whole.len);
    assert_memory_equal(head.data + 1, whole.data, whole.len);

    /* Sample data pointers are not needed for the head... */
    struct fmp4_sample nodata[3];
    memcpy(nodata, VSAMPLES, sizeof nodata);
    for (size_t k = 0; k < 3; k++)
        nodata[k].data = NULL;
    struct fmp4_track_run r = {.track_id = FMP4_VIDEO_TRACK, .samples = nodata, .count = 3};
    buf_reset(&head);
    assert_int_equal(fmp4_fragment_head_write(&head, 1, &r, 1), 0);
    assert_int_equal(head.len, fmp4_fragment_head_size(&r, 1));
    /* ...but the rest of the checks hold, and leave out as it was. */
    r.track_id = 0;
    assert_int_equal(fmp4_fragment_head_size(&r, 1), 0);
    assert_int_equal(fmp4_fragment_head_write(&head, 1, &r, 1), ONAIR_EINVAL);
    assert_int_equal(head.len, fmp4_fragment_head_size(runs, 1));
    assert_int_equal(fmp4_fragment_head_size(NULL, 1), 0);
    buf_free(&whole);
    buf_free(&head);
}

static void test_fragment_zero_size_sample(void **state)
{
    (void)state;
    struct fmp4_sample s[2] = {ASAMPLES[0], {.duration = 1024, .keyframe = true}};
    struct fmp4_track_run run = {.track_id = FMP4_AUDIO_TRACK, .samples = s, .count = 2};
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(fmp4_fragment_write(&b, 1, &run, 1), 0);
    verify_fragment((const uint8_t *)b.data, b.len, 1, &run, 1);
    buf_free(&b);
}

static void test_fragment_einval(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(buf_append(&b, "keep", 4), 0);
    struct fmp4_track_run ok = {.track_id = FMP4_AUDIO_TRACK, .samples = ASAMPLES, .count = 2};
    struct fmp4_track_run empty = {.track_id = FMP4_VIDEO_TRACK, .samples = VSAMPLES, .count = 0};

    assert_int_equal(fmp4_fragment_write(NULL, 1, &ok, 1), ONAIR_EINVAL);
    assert_int_equal(fmp4_fragment_write(&b, 1, NULL, 1), ONAIR_EINVAL);
    assert_int_equal(fmp4_fragment_write(&b, 1, &ok, 0), ONAIR_EINVAL);
    struct fmp4_track_run all_empty[] = {empty, empty};
    all_empty[1].track_id = FMP4_AUDIO_TRACK;
    assert_int_equal(fmp4_fragment_write(&b, 1, all_empty, 2), ONAIR_EINVAL);

    struct fmp4_track_run r = ok;
    r.track_id = 0;
    assert_int_equal(fmp4_fragment_write(&b, 1, &r, 1), ONAIR_EINVAL);
    r = ok;
    r.samples = NULL;
    assert_int_equal(fmp4_fragment_write(&b, 1, &r, 1), ONAIR_EINVAL);

    struct fmp4_sample s[2] = {ASAMPLES[0], ASAMPLES[1]};
    s[1].data = NULL; /* size > 0 without data */
    r = ok;
    r.samples = s;
    assert_int_equal(fmp4_fragment_write(&b, 1, &r, 1), ONAIR_EINVAL);

    struct fmp4_track_run dup[] = {ok, ok};
    assert_int_equal(fmp4_fragment_write(&b, 1, dup, 2), ONAIR_EINVAL);
    /* ...but an empty run with the same id does not count. */
    struct fmp4_track_run dup_empty[] = {ok, ok};
    dup_empty[0].count = 0;
    size_t before = b.len;
    assert_int_equal(fmp4_fragment_write(&b, 1, dup_empty, 2), 0);
    assert_true(b.len > before);
    b.len = before;

    /* A 2 GiB+ fragment is refused before anything is read or written. */
    static const uint8_t byte = 0;
    struct fmp4_sample huge[2] = {
        {.size = 0x7fffffff, .data = &byte, .keyframe = true},
        {.size = 0x7fffffff, .data = &byte, .keyframe = true},
    };
    r = ok;
    r.samples = huge;
    assert_int_equal(fmp4_fragment_write(&b, 1, &r, 1), ONAIR_EINVAL);

    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "keep", 4);
    buf_free(&b);
}

static void test_fragment_toobig_rolls_back(void **state)
{
    (void)state;
    struct fmp4_track_run run = {.track_id = FMP4_VIDEO_TRACK, .samples = VSAMPLES, .count = 3};
    struct buf b;
    buf_init(&b, 100);
    assert_int_equal(buf_append(&b, "keep", 4), 0);
    assert_int_equal(fmp4_fragment_write(&b, 1, &run, 1), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    buf_free(&b);
}

static void test_codecs_string(void **state)
{
    (void)state;
    char s[FMP4_CODECS_MAX];
    assert_int_equal(fmp4_codecs_string(s, sizeof(s), &VIDEO, &AUDIO), 0);
    assert_string_equal(s, "avc1.64001f,mp4a.40.2");
    assert_int_equal(fmp4_codecs_string(s, sizeof(s), &VIDEO, NULL), 0);
    assert_string_equal(s, "avc1.64001f");
    assert_int_equal(fmp4_codecs_string(s, sizeof(s), NULL, &AUDIO), 0);
    assert_string_equal(s, "mp4a.40.2");

    /* HE-AAC v2 signalled explicitly (29), and the escape code 31 -> 32+. */
    static const uint8_t he[] = {0xeb, 0x09};
    static const uint8_t esc[] = {0xf8, 0x20}; /* 31, then 6 bits = 1 -> 33 */
    struct fmp4_audio a = AUDIO;
    a.asc = he;
    assert_int_equal(fmp4_codecs_string(s, sizeof(s), NULL, &a), 0);
    assert_string_equal(s, "mp4a.40.29");
    a.asc = esc;
    assert_int_equal(fmp4_codecs_string(s, sizeof(s), NULL, &a), 0);
    assert_string_equal(s, "mp4a.40.33");

    assert_int_equal(fmp4_codecs_string(s, sizeof(s), NULL, NULL), ONAIR_EINVAL);
    assert_string_equal(s, "");
    assert_int_equal(fmp4_codecs_string(s, 8, &VIDEO, &AUDIO), ONAIR_EINVAL);
    assert_string_equal(s, "");
    assert_int_equal(fmp4_codecs_string(NULL, 8, &VIDEO, NULL), ONAIR_EINVAL);
}

/* ---- real decoders ---------------------------------------------------- */

#define FFPROBE "/usr/bin/ffprobe"
/* The decoder test's scratch directory, removed by its teardown even when
 * an assertion fails half-way. */
static char tmp_dir[64];
static const char *const TMP_FILES[] = {"in.flv", "out.mp4", "probe.err"};

static int remove_tmp_dir(void **state)
{
    (void)state;
    if (!tmp_dir[0])
        return 0;
    char file[128];
    for (size_t i = 0; i < sizeof(TMP_FILES) / sizeof(TMP_FILES[0]); i++) {
        snprintf(file, sizeof(file), "%s/%s", tmp_dir, TMP_FILES[i]);
        unlink(file);
    }
    int rc = rmdir(tmp_dir);
    tmp_dir[0] = '\0';
    return rc;
}

#define FFMPEG "/usr/bin/ffmpeg"

static uint8_t *slurp(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, 0);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        assert_int_equal(buf_append(&b, chunk, n), 0);
    fclose(f);
    return (uint8_t *)buf_take(&b, len);
}

/* Runs a shell command; returns its exit status and its stdout+stderr in *out. */
static int run(const char *cmd, struct buf *out)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        assert_int_equal(buf_append(out, chunk, n), 0);
    return pclose(p);
}

struct flv_sample {
    uint32_t ts_ms; /* FLV timestamp: decode time */
    int32_t cts_ms; /* video only */
    bool key;
    const uint8_t *data;
    uint32_t size;
};

struct flv_media {
    struct flv_sample *v, *a;
    size_t nv, na;
    const uint8_t *avcc, *asc;
    size_t avcc_len, asc_len;
};

/* Walks FLV tags (11-byte header, body, 4-byte previous tag size) and keeps
 * the AVC/AAC sequence headers and every coded frame; script tags and the
 * AVC end-of-sequence tag are skipped. */
static void flv_parse(const uint8_t *p, size_t len, struct flv_media *m)
{
    memset(m, 0, sizeof(*m));
    assert_true(len >= 13);
    assert_memory_equal(p, "FLV", 3);
    size_t off = rd32(p + 5) + 4;
    m->v = calloc(len / 16 + 1, sizeof(*m->v));
    m->a = calloc(len / 16 + 1, sizeof(*m->a));
    assert_non_null(m->v);
    assert_non_null(m->a);
    while (off + 11 <= len) {
        uint8_t type = p[off] & 0x1f;
        uint32_t size = rd24(p + off + 1);
        uint32_t ts = rd24(p + off + 4) | ((uint32_t)p[off + 7] << 24);
        const uint8_t *body = p + off + 11;
        assert_true(off + 11 + size + 4 <= len);
        if (type == 9 && size >= 5) {
            assert_int_equal(body[0] & 0x0f, 7); /* AVC */
            uint32_t c = rd24(body + 2);
            int32_t cts = (c & 0x800000) ? (int32_t)(c | 0xff000000u) : (int32_t)c;
            if (body[1] == 0) {
                m->avcc = body + 5;
                m->avcc_len = size - 5;
            } else if (body[1] == 1) {
                m->v[m->nv++] = (struct flv_sample){.ts_ms = ts,
                                                    .cts_ms = cts,
                                                    .key = (body[0] >> 4) == 1,
                                                    .data = body + 5,
                                                    .size = size - 5};
            }
        } else if (type == 8 && size >= 2) {
            assert_int_equal(body[0] >> 4, 10); /* AAC */
            if (body[1] == 0) {
                m->asc = body + 2;
                m->asc_len = size - 2;
            } else {
                m->a[m->na++] = (struct flv_sample){
                    .ts_ms = ts, .key = true, .data = body + 2, .size = size - 2};
            }
        }
        off += 11 + size + 4;
    }
}

/* A sample's duration: up to the next sample of the same fragment; the last
 * one of a fragment repeats the one before (what a live packager knows). */
static uint32_t duration_of(const uint64_t *ts, size_t i, size_t first, size_t end, size_t total,
                            uint32_t fallback)
{
    if (i + 1 < end)
        return (uint32_t)(ts[i + 1] - ts[i]);
    if (i > first)
        return (uint32_t)(ts[i] - ts[i - 1]);
    if (i + 1 < total)
        return (uint32_t)(ts[i + 1] - ts[i]);
    return fallback;
}

/* Copies flv samples [first, end) into fmp4 samples with timestamps ts. */
static void fill_run(struct fmp4_sample *out, const struct flv_sample *in, const uint64_t *ts,
                     size_t first, size_t end, size_t total, uint32_t fallback, bool video)
{
    for (size_t i = first; i < end; i++) {
        out[i - first] = (struct fmp4_sample){
            .duration = duration_of(ts, i, first, end, total, fallback),
            .size = in[i].size,
            .cts_offset = video ? in[i].cts_ms * 90 : 0,
            .keyframe = in[i].key,
            .data = in[i].data,
        };
    }
}

struct probe_stream {
    char type[16], codec[16];
    long width, height, frames, sample_rate;
};

/* Reads ffprobe's default output: [STREAM] blocks of key=value lines. */
static size_t parse_probe(char *text, struct probe_stream *st, size_t max)
{
    size_t n = 0;
    struct probe_stream *cur = NULL;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!strcmp(line, "[STREAM]")) {
            assert_true(n < max);
            cur = &st[n++];
            memset(cur, 0, sizeof(*cur));
            continue;
        }
        if (!cur || !strcmp(line, "[/STREAM]")) {
            cur = NULL;
            continue;
        }
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *v = eq + 1;
        if (!strcmp(line, "codec_type"))
            snprintf(cur->type, sizeof(cur->type), "%s", v);
        else if (!strcmp(line, "codec_name"))
            snprintf(cur->codec, sizeof(cur->codec), "%s", v);
        else if (!strcmp(line, "width"))
            cur->width = strtol(v, NULL, 10);
        else if (!strcmp(line, "height"))
            cur->height = strtol(v, NULL, 10);
        else if (!strcmp(line, "nb_read_frames"))
            cur->frames = strtol(v, NULL, 10);
        else if (!strcmp(line, "sample_rate"))
            cur->sample_rate = strtol(v, NULL, 10);
    }
    return n;
}

static unsigned asc_rate(const uint8_t *asc)
{
    static const unsigned rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                     22050, 16000, 12000, 11025, 8000,  7350};
    unsigned idx = ((asc[0] & 0x07u) << 1) | (asc[1] >> 7);
    assert_true(idx < 13);
    return rates[idx];
}

static void test_ffprobe_decodes_fragments(void **state)
{
    (void)state;
    if (access(FFPROBE, X_OK) != 0 || access(FFMPEG, X_OK) != 0)
        skip();

    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/onair-fmp4-XXXXXX");
    assert_non_null(mkdtemp(tmp_dir));
    const char *dir = tmp_dir;
    char flv_path[128], mp4_path[128], err_path[128], cmd[1024];
    snprintf(flv_path, sizeof(flv_path), "%s/%s", dir, TMP_FILES[0]);
    snprintf(mp4_path, sizeof(mp4_path), "%s/%s", dir, TMP_FILES[1]);
    snprintf(err_path, sizeof(err_path), "%s/%s", dir, TMP_FILES[2]);
    struct buf out;
    buf_init(&out, 0);

    /* 2 s of 30 fps H.264 with B-frames (-bf 2) and 44.1 kHz AAC. */
    snprintf(cmd, sizeof(cmd),
             FFMPEG " -nostdin -v error -y -f lavfi -i testsrc2=size=320x240:rate=30"
                    " -f lavfi -i sine=frequency=440 -c:v libx264 -pix_fmt yuv420p -g 30 -bf 2"
                    " -c:a aac -t 2 -f flv %s 2>&1",
             flv_path);
    int rc = run(cmd, &out);
    if (rc != 0)
        fprintf(stderr, "ffmpeg: %s\n", out.data ? out.data : "");
    assert_int_equal(rc, 0);

    size_t flv_len = 0;
    uint8_t *flv = slurp(flv_path, &flv_len);
    assert_non_null(flv);
    struct flv_media m;
    flv_parse(flv, flv_len, &m);
    assert_non_null(m.avcc);
    assert_non_null(m.asc);
    assert_true(m.nv >= 55 && m.na >= 80);
    assert_true(m.v[0].key);
    size_t with_cts = 0;
    for (size_t i = 0; i < m.nv; i++)
        with_cts += m.v[i].cts_ms > 0;
    assert_true(with_cts > 0); /* B-frames really are there */

    unsigned rate = asc_rate(m.asc);
    struct fmp4_video video = {.width = 320, .height = 240, .avcc = m.avcc, .avcc_len = m.avcc_len};
    struct fmp4_audio audio = {
        .sample_rate = rate, .channels = 1, .asc = m.asc, .asc_len = m.asc_len};

    uint64_t *vts = calloc(m.nv, sizeof(*vts)), *ats = calloc(m.na, sizeof(*ats));
    struct fmp4_sample *vs = calloc(m.nv, sizeof(*vs)), *as = calloc(m.na, sizeof(*as));
    assert_true(vts && ats && vs && as);
    for (size_t i = 0; i < m.nv; i++)
        vts[i] = (uint64_t)m.v[i].ts_ms * 90;
    for (size_t i = 0; i < m.na; i++)
        ats[i] = (uint64_t)m.a[i].ts_ms * rate / 1000;

    struct buf mp4;
    buf_init(&mp4, 0);
    assert_int_equal(fmp4_init_write(&mp4, &video, &audio), 0);

    /* One fragment per ~1/3 s of decode time, both tracks in each. */
    size_t vi = 0, ai = 0, fragments = 0;
    uint32_t seq = 1;
    for (uint32_t end_ms = 333; vi < m.nv || ai < m.na; end_ms += 333) {
        size_t vend = vi, aend = ai;
        while (vend < m.nv && m.v[vend].ts_ms < end_ms)
            vend++;
        while (aend < m.na && m.a[aend].ts_ms < end_ms)
            aend++;
        if (vend == vi && aend == ai)
            continue;
        fill_run(vs, m.v, vts, vi, vend, m.nv, 3000, true);
        fill_run(as, m.a, ats, ai, aend, m.na, 1024, false);
        struct fmp4_track_run runs[] = {
            {.track_id = FMP4_VIDEO_TRACK,
             .base_decode_time = vi < m.nv ? vts[vi] : 0,
             .samples = vs,
             .count = vend - vi},
            {.track_id = FMP4_AUDIO_TRACK,
             .base_decode_time = ai < m.na ? ats[ai] : 0,
             .samples = as,
             .count = aend - ai},
        };
        size_t at = mp4.len;
        assert_int_equal(fmp4_fragment_write(&mp4, seq, runs, 2), 0);
        verify_fragment((const uint8_t *)mp4.data + at, mp4.len - at, seq, runs, 2);
        seq++;
        fragments++;
        vi = vend;
        ai = aend;
    }
    assert_true(fragments >= 5);

    FILE *f = fopen(mp4_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(mp4.data, 1, mp4.len, f), mp4.len);
    assert_int_equal(fclose(f), 0);

    /* ffprobe: both streams, right codecs and size, every frame decoded. */
    buf_reset(&out);
    snprintf(cmd, sizeof(cmd), FFPROBE " -v error -show_streams -count_frames %s 2>%s", mp4_path,
             err_path);
    rc = run(cmd, &out);
    size_t err_len = 0;
    char *err = (char *)slurp(err_path, &err_len);
    assert_non_null(err);
    if (rc != 0 || err_len)
        fprintf(stderr, "ffprobe (%d): %s\n", rc, err);
    assert_int_equal(rc, 0);
    assert_int_equal(err_len, 0);
    struct probe_stream st[4];
    size_t nst = parse_probe(out.data, st, 4);
    assert_int_equal(nst, 2);
    bool saw_v = false, saw_a = false;
    for (size_t i = 0; i < nst; i++) {
        if (!strcmp(st[i].type, "video")) {
            saw_v = true;
            assert_string_equal(st[i].codec, "h264");
            assert_int_equal(st[i].width, 320);
            assert_int_equal(st[i].height, 240);
            assert_int_equal(st[i].frames, (long)m.nv);
        } else {
            saw_a = true;
            assert_string_equal(st[i].type, "audio");
            assert_string_equal(st[i].codec, "aac");
            assert_int_equal(st[i].sample_rate, (long)rate);
            assert_int_equal(st[i].frames, (long)m.na);
        }
    }
    assert_true(saw_v && saw_a);

    /* ffmpeg decodes both streams start to end without a single error. */
    buf_reset(&out);
    snprintf(cmd, sizeof(cmd), FFMPEG " -nostdin -v error -i %s -f null - 2>&1", mp4_path);
    rc = run(cmd, &out);
    if (rc != 0 || out.len)
        fprintf(stderr, "ffmpeg decode (%d): %s\n", rc, out.data);
    assert_int_equal(rc, 0);
    assert_int_equal(out.len, 0);

    free(err);
    free(vts);
    free(ats);
    free(vs);
    free(as);
    free(m.v);
    free(m.a);
    free(flv);
    buf_free(&mp4);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_video_only),
        cmocka_unit_test(test_init_audio_only),
        cmocka_unit_test(test_init_both_appends),
        cmocka_unit_test(test_init_einval),
        cmocka_unit_test(test_init_toobig_rolls_back),
        cmocka_unit_test(test_fragment_both_tracks),
        cmocka_unit_test(test_fragment_negative_cts_uses_v1),
        cmocka_unit_test(test_fragment_empty_runs_left_out),
        cmocka_unit_test(test_fragments_concatenate),
        cmocka_unit_test(test_fragment_zero_size_sample),
        cmocka_unit_test(test_fragment_head_matches_fragment),
        cmocka_unit_test(test_fragment_einval),
        cmocka_unit_test(test_fragment_toobig_rolls_back),
        cmocka_unit_test(test_codecs_string),
        cmocka_unit_test_teardown(test_ffprobe_decodes_fragments, remove_tmp_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

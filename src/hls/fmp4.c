/*
 * fmp4.c - ISOBMFF boxes for CMAF init segments and fragments.
 *
 * Every box is written as a 32-bit size placeholder plus its type, its body,
 * and then the size patched in once the body is known (box_open/box_close).
 * The writer keeps the first error and turns later writes into no-ops, so a
 * box tree reads like the spec's syntax and errors are checked once at the
 * end; the caller's buffer is then cut back to where it started.
 */
#include "hls/fmp4.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* mvhd/mdhd timescale of the movie itself; nothing is timed in it because
 * every duration lives in the fragments. */
#define MOVIE_TIMESCALE 1000

/* trun flags (14496-12 8.8.8.1). */
#define TRUN_DATA_OFFSET 0x000001u
#define TRUN_SAMPLE_DURATION 0x000100u
#define TRUN_SAMPLE_SIZE 0x000200u
#define TRUN_SAMPLE_FLAGS 0x000400u
#define TRUN_SAMPLE_CTS 0x000800u

/* tfhd flags (8.8.7.1). */
#define TFHD_DEFAULT_BASE_IS_MOOF 0x020000u

/* Sample flags (8.8.3.1): sample_depends_on in bits 24-25,
 * sample_is_non_sync_sample in bit 16. */
#define SAMPLE_FLAGS_SYNC 0x02000000u
#define SAMPLE_FLAGS_NON_SYNC 0x01010000u

/* tkhd flags: track_enabled | track_in_movie. */
#define TKHD_ENABLED_IN_MOVIE 0x000003u

/* A fragment's offsets are signed 32-bit (trun data_offset), so the whole
 * moof + mdat stays below 2 GiB; parts are a few hundred kB in practice. */
#define FRAGMENT_MAX ((uint64_t)INT32_MAX)

struct writer {
    struct buf *b;
    int err; /* first error; later writes do nothing */
};

static void put(struct writer *w, const void *p, size_t n)
{
    if (w->err)
        return;
    w->err = buf_append(w->b, p, n);
}

static void put_u8(struct writer *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put_u16(struct writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, sizeof(b));
}

static void put_u24(struct writer *w, uint32_t v)
{
    uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, sizeof(b));
}

static void put_u32(struct writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, sizeof(b));
}

static void put_u64(struct writer *w, uint64_t v)
{
    put_u32(w, (uint32_t)(v >> 32));
    put_u32(w, (uint32_t)v);
}

static void put_zeros(struct writer *w, size_t n)
{
    static const uint8_t zeros[32];
    while (n > 0) {
        size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
        put(w, zeros, k);
        n -= k;
    }
}

/* Starts a box; returns where it starts, for box_close. */
static size_t box_open(struct writer *w, const char type[4])
{
    size_t start = w->b->len;
    put_u32(w, 0); /* size, patched by box_close */
    put(w, type, 4);
    return start;
}

/* Starts a FullBox: a box with version and 24-bit flags. */
static size_t full_open(struct writer *w, const char type[4], uint8_t version, uint32_t flags)
{
    size_t start = box_open(w, type);
    put_u8(w, version);
    put_u24(w, flags);
    return start;
}

static void box_close(struct writer *w, size_t start)
{
    if (w->err)
        return;
    size_t size = w->b->len - start;
    assert(size >= 8);
    if (size > UINT32_MAX) { /* only reachable with huge avcC/ASC input */
        w->err = ONAIR_EINVAL;
        return;
    }
    uint8_t *p = (uint8_t *)w->b->data + start;
    p[0] = (uint8_t)(size >> 24);
    p[1] = (uint8_t)(size >> 16);
    p[2] = (uint8_t)(size >> 8);
    p[3] = (uint8_t)size;
}

/* Cuts out back to start after an error so no partial box is left. */
static int finish(struct writer *w, size_t start)
{
    if (w->err) {
        w->b->len = start;
        if (w->b->data)
            w->b->data[start] = '\0';
    }
    return w->err;
}

/* The unity transformation matrix of mvhd and tkhd (8.2.2.3). */
static void put_matrix(struct writer *w)
{
    static const uint32_t m[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
    for (size_t i = 0; i < 9; i++)
        put_u32(w, m[i]);
}

/* ---- init segment ---------------------------------------------------- */

static bool video_valid(const struct fmp4_video *v)
{
    /* avcC: configurationVersion 1, then profile, compatibility, level,
     * lengthSizeMinusOne, SPS count: 6 bytes before the first SPS length. */
    return v->avcc && v->avcc_len >= 7 && v->avcc[0] == 1 && v->width > 0 &&
           v->width <= UINT16_MAX && v->height > 0 && v->height <= UINT16_MAX;
}

static bool audio_valid(const struct fmp4_audio *a)
{
    return a->asc && a->asc_len >= 2 && a->asc_len <= UINT16_MAX && a->sample_rate > 0 &&
           a->channels > 0;
}

static void write_ftyp(struct writer *w)
{
    size_t box = box_open(w, "ftyp");
    put(w, "iso6", 4); /* major brand */
    put_u32(w, 0);     /* minor version */
    put(w, "iso6", 4);
    put(w, "cmfc", 4);
    put(w, "mp41", 4);
    box_close(w, box);
}

static void write_mvhd(struct writer *w)
{
    size_t box = full_open(w, "mvhd", 0, 0);
    put_u32(w, 0); /* creation_time */
    put_u32(w, 0); /* modification_time */
    put_u32(w, MOVIE_TIMESCALE);
    put_u32(w, 0);          /* duration: unknown, the movie is fragmented */
    put_u32(w, 0x00010000); /* rate 1.0 */
    put_u16(w, 0x0100);     /* volume 1.0 */
    put_zeros(w, 2 + 8);    /* reserved */
    put_matrix(w);
    put_zeros(w, 6 * 4);              /* pre_defined */
    put_u32(w, FMP4_AUDIO_TRACK + 1); /* next_track_ID: above both ids */
    box_close(w, box);
}

static void write_tkhd(struct writer *w, uint32_t track_id, bool audio, uint32_t width,
                       uint32_t height)
{
    size_t box = full_open(w, "tkhd", 0, TKHD_ENABLED_IN_MOVIE);
    put_u32(w, 0); /* creation_time */
    put_u32(w, 0); /* modification_time */
    put_u32(w, track_id);
    put_u32(w, 0); /* reserved */
    put_u32(w, 0); /* duration */
    put_zeros(w, 8);
    put_u16(w, 0);                  /* layer */
    put_u16(w, 0);                  /* alternate_group */
    put_u16(w, audio ? 0x0100 : 0); /* volume */
    put_u16(w, 0);                  /* reserved */
    put_matrix(w);
    put_u32(w, width << 16); /* 16.16 fixed point; width <= 65535 */
    put_u32(w, height << 16);
    box_close(w, box);
}

static void write_mdhd(struct writer *w, uint32_t timescale)
{
    size_t box = full_open(w, "mdhd", 0, 0);
    put_u32(w, 0); /* creation_time */
    put_u32(w, 0); /* modification_time */
    put_u32(w, timescale);
    put_u32(w, 0); /* duration */
    /* ISO-639-2/T "und", 5 bits a letter as (c - 0x60), pad bit 0. */
    put_u16(w, (uint16_t)((('u' - 0x60) << 10) | (('n' - 0x60) << 5) | ('d' - 0x60)));
    put_u16(w, 0); /* pre_defined */
    box_close(w, box);
}

static void write_hdlr(struct writer *w, const char type[4], const char *name)
{
    size_t box = full_open(w, "hdlr", 0, 0);
    put_u32(w, 0); /* pre_defined */
    put(w, type, 4);
    put_zeros(w, 3 * 4);            /* reserved */
    put(w, name, strlen(name) + 1); /* NUL-terminated UTF-8 */
    box_close(w, box);
}

static void write_dinf(struct writer *w)
{
    size_t dinf = box_open(w, "dinf");
    size_t dref = full_open(w, "dref", 0, 0);
    put_u32(w, 1); /* entry_count */
    /* flags 1: the media data is in this same file (no location string). */
    size_t url = full_open(w, "url ", 0, 1);
    box_close(w, url);
    box_close(w, dref);
    box_close(w, dinf);
}

static void write_avc1(struct writer *w, const struct fmp4_video *v)
{
    size_t box = box_open(w, "avc1");
    put_zeros(w, 6);  /* SampleEntry reserved */
    put_u16(w, 1);    /* data_reference_index: the dref entry above */
    put_u16(w, 0);    /* pre_defined */
    put_u16(w, 0);    /* reserved */
    put_zeros(w, 12); /* pre_defined */
    put_u16(w, (uint16_t)v->width);
    put_u16(w, (uint16_t)v->height);
    put_u32(w, 0x00480000); /* horizresolution 72 dpi */
    put_u32(w, 0x00480000); /* vertresolution 72 dpi */
    put_u32(w, 0);          /* reserved */
    put_u16(w, 1);          /* frame_count */
    put_zeros(w, 32);       /* compressorname: empty Pascal string */
    put_u16(w, 0x0018);     /* depth: colour, no alpha */
    put_u16(w, 0xffff);     /* pre_defined = -1 */
    size_t avcc = box_open(w, "avcC");
    put(w, v->avcc, v->avcc_len);
    box_close(w, avcc);
    box_close(w, box);
}

/* An MPEG-4 descriptor header (14496-1 8.3.3): tag, then the size in
 * 7-bit groups, high group first, with the top bit set on all but the last. */
static void put_descriptor(struct writer *w, uint8_t tag, size_t size)
{
    uint8_t b[5];
    size_t n = 0;
    int shift = 21;
    while (shift > 0 && (size >> shift) == 0)
        shift -= 7;
    for (; shift >= 0; shift -= 7)
        b[n++] = (uint8_t)(((size >> shift) & 0x7f) | (shift ? 0x80 : 0));
    put_u8(w, tag);
    put(w, b, n);
}

/* Bytes a descriptor of the given body size takes, header included. */
static size_t descriptor_len(size_t body)
{
    size_t n = 1;
    for (size_t s = body >> 7; s; s >>= 7)
        n++;
    return 1 + n + body;
}

static void write_esds(struct writer *w, const struct fmp4_audio *a)
{
    size_t box = full_open(w, "esds", 0, 0);
    size_t dsi = descriptor_len(a->asc_len);
    size_t dcd = descriptor_len(13 + dsi);
    size_t slc = descriptor_len(1);
    put_descriptor(w, 0x03, 3 + dcd + slc); /* ES_Descriptor */
    put_u16(w, 0);                          /* ES_ID: 0 in an MP4 file (14496-14 3.1.2) */
    put_u8(w, 0);                           /* no dependency, URL or OCR stream */
    put_descriptor(w, 0x04, 13 + dsi);      /* DecoderConfigDescriptor */
    put_u8(w, 0x40);                        /* objectTypeIndication: MPEG-4 Audio */
    put_u8(w, (0x05 << 2) | 1);             /* streamType AudioStream, upStream 0, reserved 1 */
    put_u24(w, 0);                          /* bufferSizeDB: unknown */
    put_u32(w, 0);                          /* maxBitrate: unknown */
    put_u32(w, 0);                          /* avgBitrate: unknown (variable) */
    put_descriptor(w, 0x05, a->asc_len);    /* DecoderSpecificInfo */
    put(w, a->asc, a->asc_len);
    put_descriptor(w, 0x06, 1); /* SLConfigDescriptor */
    put_u8(w, 0x02);            /* predefined: reserved for MP4 files */
    box_close(w, box);
}

static void write_mp4a(struct writer *w, const struct fmp4_audio *a)
{
    size_t box = box_open(w, "mp4a");
    put_zeros(w, 6);         /* SampleEntry reserved */
    put_u16(w, 1);           /* data_reference_index */
    put_zeros(w, 8);         /* reserved (entry version 0) */
    put_u16(w, a->channels); /* channelcount */
    put_u16(w, 16);          /* samplesize */
    put_u16(w, 0);           /* pre_defined */
    put_u16(w, 0);           /* reserved */
    /* samplerate is 16.16; a rate that does not fit (above 65535 Hz) is
     * written as 0 and left to the ASC and the mdhd timescale. */
    put_u32(w, a->sample_rate <= UINT16_MAX ? a->sample_rate << 16 : 0);
    write_esds(w, a);
    box_close(w, box);
}

static void write_stbl(struct writer *w, const struct fmp4_video *v, const struct fmp4_audio *a)
{
    size_t stbl = box_open(w, "stbl");
    size_t stsd = full_open(w, "stsd", 0, 0);
    put_u32(w, 1); /* entry_count */
    if (v)
        write_avc1(w, v);
    else
        write_mp4a(w, a);
    box_close(w, stsd);
    /* The sample tables are empty: every sample is in a fragment. */
    size_t stts = full_open(w, "stts", 0, 0);
    put_u32(w, 0); /* entry_count */
    box_close(w, stts);
    size_t stsc = full_open(w, "stsc", 0, 0);
    put_u32(w, 0); /* entry_count */
    box_close(w, stsc);
    size_t stsz = full_open(w, "stsz", 0, 0);
    put_u32(w, 0); /* sample_size: given per sample */
    put_u32(w, 0); /* sample_count */
    box_close(w, stsz);
    size_t stco = full_open(w, "stco", 0, 0);
    put_u32(w, 0); /* entry_count */
    box_close(w, stco);
    box_close(w, stbl);
}

/* One trak for video (a == NULL) or audio (v == NULL). */
static void write_trak(struct writer *w, const struct fmp4_video *v, const struct fmp4_audio *a)
{
    bool audio = v == NULL;
    size_t trak = box_open(w, "trak");
    write_tkhd(w, audio ? FMP4_AUDIO_TRACK : FMP4_VIDEO_TRACK, audio, audio ? 0 : v->width,
               audio ? 0 : v->height);
    size_t mdia = box_open(w, "mdia");
    write_mdhd(w, audio ? a->sample_rate : FMP4_VIDEO_TIMESCALE);
    write_hdlr(w, audio ? "soun" : "vide", audio ? "SoundHandler" : "VideoHandler");
    size_t minf = box_open(w, "minf");
    if (audio) {
        size_t smhd = full_open(w, "smhd", 0, 0);
        put_u16(w, 0); /* balance: centre */
        put_u16(w, 0); /* reserved */
        box_close(w, smhd);
    } else {
        size_t vmhd = full_open(w, "vmhd", 0, 1); /* flags 1 is required */
        put_u16(w, 0);                            /* graphicsmode: copy */
        put_zeros(w, 3 * 2);                      /* opcolor */
        box_close(w, vmhd);
    }
    write_dinf(w);
    write_stbl(w, v, a);
    box_close(w, minf);
    box_close(w, mdia);
    box_close(w, trak);
}

static void write_trex(struct writer *w, uint32_t track_id)
{
    size_t box = full_open(w, "trex", 0, 0);
    put_u32(w, track_id);
    put_u32(w, 1); /* default_sample_description_index */
    put_u32(w, 0); /* default_sample_duration: every trun gives its own */
    put_u32(w, 0); /* default_sample_size */
    put_u32(w, 0); /* default_sample_flags */
    box_close(w, box);
}

int fmp4_init_write(struct buf *out, const struct fmp4_video *video, const struct fmp4_audio *audio)
{
    if (!out || (!video && !audio))
        return ONAIR_EINVAL;
    if ((video && !video_valid(video)) || (audio && !audio_valid(audio)))
        return ONAIR_EINVAL;

    struct writer w = {.b = out, .err = 0};
    size_t start = out->len;
    write_ftyp(&w);
    size_t moov = box_open(&w, "moov");
    write_mvhd(&w);
    if (video)
        write_trak(&w, video, NULL);
    if (audio)
        write_trak(&w, NULL, audio);
    size_t mvex = box_open(&w, "mvex");
    if (video)
        write_trex(&w, FMP4_VIDEO_TRACK);
    if (audio)
        write_trex(&w, FMP4_AUDIO_TRACK);
    box_close(&w, mvex);
    box_close(&w, moov);
    return finish(&w, start);
}

/* ---- fragments -------------------------------------------------------- */

/* The trun layout a run gets: which optional per-sample fields and which
 * version. Decided once, used both to size the moof and to write it. */
struct run_shape {
    bool cts;        /* any nonzero composition offset */
    uint8_t version; /* 1 when any offset is negative */
};

static struct run_shape run_shape(const struct fmp4_track_run *r)
{
    struct run_shape s = {.cts = false, .version = 0};
    for (size_t i = 0; i < r->count; i++) {
        if (r->samples[i].cts_offset != 0)
            s.cts = true;
        if (r->samples[i].cts_offset < 0)
            s.version = 1;
    }
    return s;
}

static uint64_t trun_size(const struct fmp4_track_run *r, struct run_shape s)
{
    uint64_t per_sample = s.cts ? 16 : 12; /* duration, size, flags [, cts] */
    /* header + sample_count + data_offset + samples */
    return 12 + 4 + 4 + per_sample * (uint64_t)r->count;
}

static uint64_t traf_size(const struct fmp4_track_run *r, struct run_shape s)
{
    uint64_t tfhd = 12 + 4; /* track_ID only */
    uint64_t tfdt = 12 + 8; /* version 1 */
    return 8 + tfhd + tfdt + trun_size(r, s);
}

/* Checks the runs and works out the moof and mdat sizes. need_data: every
 * sample with bytes must have a data pointer (not so for a head alone). */
static int plan_fragment(const struct fmp4_track_run *runs, size_t nruns, bool need_data,
                         uint64_t *moof_size, uint64_t *mdat_body)
{
    uint64_t moof = 8 + 16; /* header + mfhd */
    uint64_t data = 0;
    size_t used = 0;
    for (size_t i = 0; i < nruns; i++) {
        const struct fmp4_track_run *r = &runs[i];
        if (r->count == 0)
            continue;
        if (r->track_id == 0 || !r->samples)
            return ONAIR_EINVAL;
        /* One traf per track keeps the fragment simple for every player. */
        for (size_t j = 0; j < i; j++)
            if (runs[j].count > 0 && runs[j].track_id == r->track_id)
                return ONAIR_EINVAL;
        /* Bound count before multiplying with it. */
        if (r->count > FRAGMENT_MAX / 16)
            return ONAIR_EINVAL;
        for (size_t k = 0; k < r->count; k++) {
            const struct fmp4_sample *s = &r->samples[k];
            if (need_data && s->size > 0 && !s->data)
                return ONAIR_EINVAL;
            data += s->size;
        }
        moof += traf_size(r, run_shape(r));
        used++;
        if (moof + 8 + data > FRAGMENT_MAX)
            return ONAIR_EINVAL;
    }
    if (used == 0)
        return ONAIR_EINVAL;
    *moof_size = moof;
    *mdat_body = data;
    return 0;
}

static void write_traf(struct writer *w, const struct fmp4_track_run *r, uint32_t data_offset)
{
    struct run_shape shape = run_shape(r);
    size_t traf = box_open(w, "traf");

    size_t tfhd = full_open(w, "tfhd", 0, TFHD_DEFAULT_BASE_IS_MOOF);
    put_u32(w, r->track_id);
    box_close(w, tfhd);

    size_t tfdt = full_open(w, "tfdt", 1, 0);
    put_u64(w, r->base_decode_time);
    box_close(w, tfdt);

    uint32_t flags = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | TRUN_SAMPLE_FLAGS;
    if (shape.cts)
        flags |= TRUN_SAMPLE_CTS;
    size_t trun = full_open(w, "trun", shape.version, flags);
    put_u32(w, (uint32_t)r->count);
    put_u32(w, data_offset); /* signed in the spec; always positive here */
    for (size_t i = 0; i < r->count; i++) {
        const struct fmp4_sample *s = &r->samples[i];
        put_u32(w, s->duration);
        put_u32(w, s->size);
        put_u32(w, s->keyframe ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC);
        /* Version 0 reads the field as unsigned, version 1 as signed; the
         * version is 1 whenever a value is negative, so the bits are right. */
        if (shape.cts)
            put_u32(w, (uint32_t)s->cts_offset);
    }
    box_close(w, trun);
    box_close(w, traf);
    assert(w->err || w->b->len - traf == traf_size(r, shape));
}

/* Appends moof and the mdat header for a planned fragment. */
static int write_head(struct buf *out, uint32_t sequence_number, const struct fmp4_track_run *runs,
                      size_t nruns, uint64_t moof_size, uint64_t mdat_body)
{
    struct writer w = {.b = out, .err = 0};
    size_t start = out->len;
    size_t moof = box_open(&w, "moof");
    size_t mfhd = full_open(&w, "mfhd", 0, 0);
    put_u32(&w, sequence_number);
    box_close(&w, mfhd);

    /* Each run's data starts after the moof, the mdat header and the data
     * of the runs before it; offsets count from the moof's first byte. */
    uint64_t offset = moof_size + 8;
    for (size_t i = 0; i < nruns; i++) {
        if (runs[i].count == 0)
            continue;
        write_traf(&w, &runs[i], (uint32_t)offset);
        for (size_t k = 0; k < runs[i].count; k++)
            offset += runs[i].samples[k].size;
    }
    box_close(&w, moof);
    assert(w.err || out->len - moof == moof_size);

    put_u32(&w, (uint32_t)(8 + mdat_body));
    put(&w, "mdat", 4);
    return finish(&w, start);
}

size_t fmp4_fragment_head_size(const struct fmp4_track_run *runs, size_t nruns)
{
    uint64_t moof_size, mdat_body;
    if (!runs || nruns == 0 || plan_fragment(runs, nruns, false, &moof_size, &mdat_body) != 0)
        return 0;
    return (size_t)moof_size + 8;
}

/* A whole fragment, or (with_data false) its head alone. */
static int write_fragment(struct buf *out, uint32_t sequence_number,
                          const struct fmp4_track_run *runs, size_t nruns, bool with_data)
{
    if (!out || !runs || nruns == 0)
        return ONAIR_EINVAL;
    uint64_t moof_size, mdat_body;
    int rc = plan_fragment(runs, nruns, with_data, &moof_size, &mdat_body);
    if (rc)
        return rc;
    size_t start = out->len;
    rc = write_head(out, sequence_number, runs, nruns, moof_size, mdat_body);
    if (!with_data)
        return rc;
    struct writer w = {.b = out, .err = rc};
    for (size_t i = 0; i < nruns; i++)
        for (size_t k = 0; k < runs[i].count; k++)
            put(&w, runs[i].samples[k].data, runs[i].samples[k].size);
    assert(w.err || out->len - start == moof_size + 8 + mdat_body);
    return finish(&w, start);
}

int fmp4_fragment_head_write(struct buf *out, uint32_t sequence_number,
                             const struct fmp4_track_run *runs, size_t nruns)
{
    return write_fragment(out, sequence_number, runs, nruns, false);
}

int fmp4_fragment_write(struct buf *out, uint32_t sequence_number,
                        const struct fmp4_track_run *runs, size_t nruns)
{
    return write_fragment(out, sequence_number, runs, nruns, true);
}

/* ---- codecs string ---------------------------------------------------- */

/* The AAC audio object type from an AudioSpecificConfig (14496-3 1.6.2.1):
 * 5 bits, where 31 escapes to 32 + the next 6 bits. */
static unsigned asc_object_type(const struct fmp4_audio *a)
{
    unsigned aot = a->asc[0] >> 3;
    if (aot == 31)
        aot = 32 + (((a->asc[0] & 0x07u) << 3) | (a->asc[1] >> 5));
    return aot;
}

int fmp4_codecs_string(char *dst, size_t dst_size, const struct fmp4_video *video,
                       const struct fmp4_audio *audio)
{
    if (!dst || dst_size == 0)
        return ONAIR_EINVAL;
    dst[0] = '\0';
    if (!video && !audio)
        return ONAIR_EINVAL;
    if ((video && (!video->avcc || video->avcc_len < 4 || video->avcc[0] != 1)) ||
        (audio && (!audio->asc || audio->asc_len < 2)))
        return ONAIR_EINVAL;

    int n = 0;
    if (video && audio)
        n = snprintf(dst, dst_size, "avc1.%02x%02x%02x,mp4a.40.%u", video->avcc[1], video->avcc[2],
                     video->avcc[3], asc_object_type(audio));
    else if (video)
        n = snprintf(dst, dst_size, "avc1.%02x%02x%02x", video->avcc[1], video->avcc[2],
                     video->avcc[3]);
    else
        n = snprintf(dst, dst_size, "mp4a.40.%u", asc_object_type(audio));
    if (n < 0 || (size_t)n >= dst_size) {
        dst[0] = '\0';
        return ONAIR_EINVAL;
    }
    return 0;
}

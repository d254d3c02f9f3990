/*
 * Unit tests for src/media/avc.c and src/media/bits.h: avcC records, SPS
 * dimensions, codec strings and AVCC NAL unit framing.
 *
 * The records are real: libx264 through ffmpeg 5.1 (-f flv), one per
 * profile and size, with the size ffprobe reports noted. crop4_sps had its
 * cropping rewritten by ffmpeg's h264_metadata filter. epb_sps and
 * scaling_sps were built for these tests (see the comments there) and
 * checked by decoding real slices against them with ffmpeg.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "media/avc.h"
#include "media/bits.h"

/* High@3.1 1280x720, as OBS and ffmpeg send it (trailing high-profile
 * extension fd f8 f8 00 included). */
static const uint8_t high720_avcc[] = {
    0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50,
    0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83,
    0x19, 0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};
/* End of the PPS in high720_avcc: what follows is optional. */
#define HIGH720_CORE_LEN 43

/* Constrained Baseline@3.0 640x360 (coded 368, cropped). */
static const uint8_t base360_avcc[] = {
    0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x42, 0xc0, 0x1e, 0xd9, 0x00,
    0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00,
    0x3c, 0x0f, 0x16, 0x2e, 0x48, 0x01, 0x00, 0x05, 0x68, 0xcb, 0x83, 0xcb, 0x20,
};

/* Main@3.1 854x480 (coded 864 wide). */
static const uint8_t main480_avcc[] = {
    0x01, 0x4d, 0x40, 0x1f, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x4d, 0x40, 0x1f, 0xec, 0xa0,
    0x6c, 0x1e, 0xf3, 0x78, 0x08, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x1e,
    0x07, 0x8c, 0x18, 0xcb, 0x01, 0x00, 0x05, 0x68, 0xeb, 0xe3, 0xcb, 0x20,
};

/* High@3.2 1366x768 (coded 1376 wide). */
static const uint8_t high768_avcc[] = {
    0x01, 0x64, 0x00, 0x20, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0x64, 0x00, 0x20, 0xac, 0xd9, 0x40, 0x56,
    0x06, 0x1e, 0x6f, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1,
    0x83, 0x19, 0x60, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

/* High@4.0 1920x1080 (coded 1088, cropped by 8). */
static const uint8_t high1080_avcc[] = {
    0x01, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78,
    0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c,
    0x60, 0xc6, 0x58, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

/* High@4.0 1920x1080 interlaced (frame_mbs_only_flag 0, MBAFF): 34 map
 * units of field pairs, cropped by 2 units of 4 rows. */
static const uint8_t inter1080_avcc[] = {
    0x01, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78,
    0x04, 0x4f, 0xde, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x07, 0x83, 0xe2, 0xc5,
    0xb2, 0xc0, 0x01, 0x00, 0x06, 0x68, 0xfb, 0xa3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

/* High 4:4:4 Predictive@3.1 1280x720 (profile 244, chroma_format_idc 3). */
static const uint8_t h444_avcc[] = {
    0x01, 0xf4, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0xf4, 0x00, 0x1f, 0x91, 0x9b, 0x28, 0x0a,
    0x00, 0xb7, 0x60, 0x22, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x78, 0x1e, 0x30,
    0x63, 0x2c, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xc4, 0x48, 0x44, 0xff, 0xf8, 0xf8, 0x00,
};

/* High 4:2:2@4.0 1920x1080 (chroma_format_idc 2: a vertical crop unit of
 * 1, so 8 units). */
static const uint8_t h422_avcc[] = {
    0x01, 0x7a, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0x7a, 0x00, 0x28, 0xbc, 0xd9, 0x40, 0x78,
    0x02, 0x27, 0xe2, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f,
    0x18, 0x31, 0x96, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfe, 0xf8, 0xf8, 0x00,
};

/* High@1.1 176x144 monochrome (chroma_format_idc 0). */
static const uint8_t gray_avcc[] = {
    0x01, 0x64, 0x00, 0x0b, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x64, 0x00, 0x0b, 0xf3, 0x65, 0x0b, 0x13,
    0xb0, 0x16, 0xc8, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01, 0xe0, 0x78, 0xa1, 0x4c,
    0xb0, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfc, 0xf8, 0xf8, 0x00,
};

/* 1920x1088 High with crop left 4, right 2, top 2, bottom 6 pixels:
 * ffprobe says 1914x1080. */
static const uint8_t crop4_sps[] = {
    0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0x69, 0x13, 0x01, 0x10,
    0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
};

/* Baseline 640x360 with pic_order_cnt_type 1 and large offsets
 * (offset_for_non_ref_pic -32768, offset_for_ref_frame 2^30 and -2^20),
 * which put three emulation-prevention bytes before the size fields. */
static const uint8_t epb_sps[] = {
    0x67, 0x42, 0xc0, 0x1e, 0xd4, 0x00, 0x02, 0x00, 0x03, 0x60, 0x00, 0x00, 0x03, 0x00, 0x20, 0x00,
    0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x09, 0x00, 0xa0, 0x2f, 0xf9, 0x50,
};

/* High 1280x720 with a sequence scaling matrix: explicit 4x4 lists 0 and
 * 3 (3 ending early, repeating its last value), 1 and 7 "use default", an
 * explicit 8x8 list 6. */
static const uint8_t scaling_sps[] = {
    0x67, 0x64, 0x00, 0x1f, 0xad, 0x94, 0x70, 0xe0, 0x80, 0x7c, 0x70, 0x40, 0x40, 0x64, 0x20, 0x20,
    0x50, 0x4c, 0x40, 0xa1, 0x50, 0x8a, 0x51, 0xc3, 0x82, 0x01, 0xf0, 0xd9, 0x01, 0x2c, 0x03, 0x04,
    0x0d, 0x00, 0x7e, 0x01, 0x04, 0x03, 0x30, 0x60, 0x08, 0x10, 0x12, 0x60, 0x38, 0xc0, 0x45, 0x01,
    0xc0, 0x07, 0x90, 0x13, 0x40, 0x67, 0x80, 0x97, 0x02, 0xd8, 0x68, 0x05, 0x90, 0x90, 0x16, 0xa0,
    0x58, 0x02, 0x68, 0x0e, 0xc0, 0x21, 0x80, 0xbb, 0x03, 0xc8, 0x08, 0x70, 0x1c, 0x60, 0x5b, 0x01,
    0x1c, 0x03, 0x41, 0x85, 0xc0, 0x5d, 0x03, 0xa0, 0x1f, 0x24, 0x03, 0x08, 0x0b, 0x30, 0x4e, 0x07,
    0xe0, 0x2d, 0x80, 0xfb, 0x01, 0x34, 0x02, 0x38, 0x0a, 0x00, 0x42, 0x01, 0x1e, 0x03, 0x30, 0x06,
    0xc8, 0x0e, 0x80, 0x11, 0x20, 0x20, 0x80, 0x41, 0x01, 0x14, 0x02, 0x02, 0x0a, 0x40, 0x7a, 0x14,
    0x11, 0x00, 0xe7, 0x02, 0xf0, 0x08, 0xf8, 0x47, 0x65, 0x01, 0x40, 0x16, 0xe4,
};

/* High 4:4:4 1280x720 with all twelve scaling lists signalled (4x4 list
 * 0 explicit, 8x8 list 8 "use default", 8x8 list 11 explicit) and a 1-pixel
 * crop on each side: ffmpeg decodes real slices under it at 1278x718. */
static const uint8_t scaling444_sps[] = {
    0x67, 0xf4, 0x00, 0x1f, 0x91, 0xb2, 0x8e, 0x1c, 0x10, 0x0f, 0x8e, 0x08, 0x08, 0x0c, 0x84, 0x04,
    0x0a, 0x09, 0x88, 0x14, 0x28, 0x04, 0x22, 0x40, 0x4b, 0x00, 0xc1, 0x03, 0x40, 0x1f, 0x80, 0x41,
    0x00, 0xcc, 0x18, 0x02, 0x04, 0x04, 0x98, 0x0e, 0x30, 0x11, 0x40, 0x70, 0x01, 0xe4, 0x04, 0xd0,
    0x19, 0xe0, 0x25, 0xc0, 0xb6, 0x1a, 0x01, 0x64, 0x24, 0x05, 0xa8, 0x16, 0x00, 0x9a, 0x03, 0xb0,
    0x08, 0x60, 0x2e, 0xc0, 0xf2, 0x02, 0x1c, 0x07, 0x18, 0x16, 0xc0, 0x47, 0x00, 0xd0, 0x61, 0x70,
    0x17, 0x40, 0xe8, 0x07, 0xc9, 0x00, 0xc2, 0x02, 0xcc, 0x13, 0x81, 0xf8, 0x0b, 0x60, 0x3e, 0xc0,
    0x4d, 0x00, 0x8e, 0x02, 0x80, 0x10, 0x80, 0x47, 0x80, 0xcc, 0x01, 0xb2, 0x03, 0xa0, 0x04, 0x48,
    0x08, 0x20, 0x10, 0x40, 0x45, 0x00, 0x80, 0x82, 0x90, 0x1e, 0x85, 0x04, 0x40, 0x39, 0xc0, 0xbc,
    0x02, 0x3f, 0x65, 0x01, 0x40, 0x16, 0xf4, 0x92, 0x40,
};

/* A 64x64 High keyframe as OBS frames them: SPS, PPS, IDR slice, each
 * with a 4-byte length (repeat-headers, SEI removed). */
static const uint8_t key_nalus[] = {
    0x00, 0x00, 0x00, 0x18, 0x67, 0x64, 0x00, 0x0a, 0xac, 0xd9, 0x44, 0x26, 0xc0, 0x44, 0x00,
    0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x48, 0x96, 0x58, 0x00, 0x00,
    0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0x00, 0x00, 0x00, 0x20, 0x65, 0x88, 0x84,
    0x00, 0x37, 0xff, 0xfe, 0xf6, 0xf0, 0xfe, 0x05, 0x36, 0x56, 0x04, 0x50, 0x97, 0x11, 0xcd,
    0xe8, 0x7c, 0xfd, 0x00, 0x05, 0x57, 0x6b, 0xda, 0xe1, 0xe2, 0x2f, 0xff, 0x54, 0x61,
};
/* A P slice from the same stream. */
static const uint8_t p_nalus[] = {
    0x00, 0x00, 0x00, 0x0a, 0x41, 0x9a, 0x23, 0x6c, 0x43, 0x7f, 0xfe, 0xa7, 0x8f, 0x88,
};

/* The first SPS inside an avcC record (for records with 1-byte counts). */
static const uint8_t *record_sps(const uint8_t *avcc, size_t *len)
{
    *len = ((size_t)avcc[6] << 8) | avcc[7];
    return avcc + 8;
}

/* ---- a tiny bit writer to build SPSs with chosen fields ---- */

struct bw {
    uint8_t buf[1024];
    size_t bits;
};

static void bw_u(struct bw *w, unsigned n, uint32_t v)
{
    for (unsigned i = n; i-- > 0;) {
        if ((v >> i) & 1u)
            w->buf[w->bits >> 3] |= (uint8_t)(0x80u >> (w->bits & 7));
        w->bits++;
    }
}

static void bw_ue(struct bw *w, uint32_t v)
{
    uint64_t x = (uint64_t)v + 1;
    unsigned n = 0;
    while ((x >> n) > 1)
        n++;
    bw_u(w, n, 0);
    for (unsigned i = n + 1; i-- > 0;)
        bw_u(w, 1, (uint32_t)((x >> i) & 1u));
}

static void bw_se(struct bw *w, int32_t v)
{
    bw_ue(w, v > 0 ? (uint32_t)v * 2 - 1 : (uint32_t)(-(int64_t)v) * 2);
}

/* Stop bit, byte-align, escape into out with a NAL header: returns the
 * length. */
static size_t bw_nal(struct bw *w, uint8_t header, uint8_t *out)
{
    bw_u(w, 1, 1);
    size_t n = (w->bits + 7) / 8, o = 0, zeros = 0;
    out[o++] = header;
    for (size_t i = 0; i < n; i++) {
        if (zeros >= 2 && w->buf[i] <= 3) {
            out[o++] = 3;
            zeros = 0;
        }
        out[o++] = w->buf[i];
        zeros = w->buf[i] == 0 ? zeros + 1 : 0;
    }
    return o;
}

struct sps_fields {
    uint8_t profile;
    uint32_t chroma_format_idc; /* written for high profiles only */
    uint32_t poc_type;
    uint32_t poc_cycle;                   /* num_ref_frames_in_pic_order_cnt_cycle, for type 1 */
    uint32_t width_mbs, height_map_units; /* minus-one values are derived */
    bool frame_mbs_only;
    bool crop;
    uint32_t crop_l, crop_r, crop_t, crop_b;
};

static size_t build_sps(const struct sps_fields *f, uint8_t *out)
{
    struct bw w;
    memset(&w, 0, sizeof w);
    bw_u(&w, 8, f->profile);
    bw_u(&w, 8, 0);
    bw_u(&w, 8, 40);
    bw_ue(&w, 0); /* sps id */
    if (f->profile == 100 || f->profile == 244) {
        bw_ue(&w, f->chroma_format_idc);
        if (f->chroma_format_idc == 3)
            bw_u(&w, 1, 0);
        bw_ue(&w, 0);
        bw_ue(&w, 0);
        bw_u(&w, 1, 0);
        bw_u(&w, 1, 0);
    }
    bw_ue(&w, 0); /* log2_max_frame_num_minus4 */
    bw_ue(&w, f->poc_type);
    if (f->poc_type == 0) {
        bw_ue(&w, 2);
    } else if (f->poc_type == 1) {
        bw_u(&w, 1, 0);
        bw_se(&w, -5);
        bw_se(&w, 3);
        bw_ue(&w, f->poc_cycle);
        for (uint32_t i = 0; i < f->poc_cycle && i < 300; i++)
            bw_se(&w, (int32_t)i - 100);
    }
    bw_ue(&w, 4);
    bw_u(&w, 1, 0);
    bw_ue(&w, f->width_mbs - 1);
    bw_ue(&w, f->height_map_units - 1);
    bw_u(&w, 1, f->frame_mbs_only);
    if (!f->frame_mbs_only)
        bw_u(&w, 1, 0);
    bw_u(&w, 1, 1);
    bw_u(&w, 1, f->crop);
    if (f->crop) {
        bw_ue(&w, f->crop_l);
        bw_ue(&w, f->crop_r);
        bw_ue(&w, f->crop_t);
        bw_ue(&w, f->crop_b);
    }
    bw_u(&w, 1, 0); /* no VUI */
    return bw_nal(&w, 0x67, out);
}

/* ---- bits.h ---- */

static void test_bits_fields(void **state)
{
    (void)state;
    /* 1 | 010 | 011 | 00100 | 00101 | 0001000 | then 0xff */
    static const uint8_t d[] = {0xa6, 0x42, 0x88, 0xff};
    struct bits b;
    bits_init(&b, d, sizeof d, false);
    assert_int_equal(bits_read_ue(&b), 0);
    assert_int_equal(bits_read_ue(&b), 1);
    assert_int_equal(bits_read_ue(&b), 2);
    assert_int_equal(bits_read_se(&b), 2);  /* code 3 */
    assert_int_equal(bits_read_se(&b), -2); /* code 4 */
    assert_int_equal(bits_read_ue(&b), 7);
    assert_true(bits_ok(&b));
    assert_int_equal(bits_left(&b), 8);
    assert_int_equal(bits_read(&b, 8), 0xff);
    assert_true(bits_ok(&b));
    assert_int_equal(bits_left(&b), 0);
    assert_int_equal(bits_read1(&b), 0);
    assert_false(bits_ok(&b)); /* sticky from here */
    assert_int_equal(bits_read(&b, 33), 0);
    assert_false(bits_ok(&b));
}

static void test_bits_exp_golomb_limits(void **state)
{
    (void)state;
    /* 31 zeros, a one, 31 ones: the largest ue(v), 2^32 - 2. */
    static const uint8_t max[] = {0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xfe};
    /* 32 zeros: too long. */
    static const uint8_t over[] = {0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct bits b;
    bits_init(&b, max, sizeof max, false);
    assert_int_equal(bits_read_ue(&b), UINT32_C(0xfffffffe));
    assert_true(bits_ok(&b));
    bits_init(&b, max, sizeof max, false);
    assert_int_equal(bits_read_se(&b), -INT32_C(0x7fffffff));
    bits_init(&b, over, sizeof over, false);
    (void)bits_read_ue(&b);
    assert_false(bits_ok(&b));
    /* A code cut short. */
    bits_init(&b, max, 5, false);
    (void)bits_read_ue(&b);
    assert_false(bits_ok(&b));
    /* All zeros to the end. */
    bits_init(&b, over, 2, false);
    (void)bits_read_ue(&b);
    assert_false(bits_ok(&b));
}

static void test_bits_emulation_prevention(void **state)
{
    (void)state;
    /* 00 00 03 00 00 03 01 03 00 00 03: RBSP 00 00 00 00 01 03 00 00 (the
     * 03 after 01 is data, the final 03 is dropped). */
    static const uint8_t d[] = {0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x01, 0x03, 0x00, 0x00, 0x03};
    static const uint8_t want[] = {0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00};
    struct bits b;
    bits_init(&b, d, sizeof d, true);
    for (size_t i = 0; i < sizeof want; i++)
        assert_int_equal(bits_read(&b, 8), want[i]);
    assert_true(bits_ok(&b));
    (void)bits_read1(&b);
    assert_false(bits_ok(&b));

    /* Without epb the 03s are data. */
    bits_init(&b, d, sizeof d, false);
    for (size_t i = 0; i < sizeof d; i++)
        assert_int_equal(bits_read(&b, 8), d[i]);
    assert_true(bits_ok(&b));

    /* One ue(v) across a dropped byte: 16 zeros, the 1, 16 info bits. */
    static const uint8_t g[] = {0x00, 0x00, 0x03, 0x80, 0x00, 0x80};
    bits_init(&b, g, sizeof g, true);
    assert_int_equal(bits_read_ue(&b), 65536);
    assert_true(bits_ok(&b));
}

/* ---- avcC ---- */

static void test_config_high720(void **state)
{
    (void)state;
    struct avc_config c;
    char codec[16];
    assert_int_equal(avc_config_parse(high720_avcc, sizeof high720_avcc, &c), 0);
    assert_int_equal(c.profile, 0x64);
    assert_int_equal(c.compat, 0x00);
    assert_int_equal(c.level, 0x1f);
    assert_int_equal(c.nal_length_size, 4);
    assert_int_equal(c.sps_len, 26);
    assert_memory_equal(c.sps, high720_avcc + 8, 26);
    assert_int_equal(c.pps_len, 6);
    assert_memory_equal(c.pps, high720_avcc + 37, 6);
    assert_int_equal(c.width, 1280);
    assert_int_equal(c.height, 720);
    assert_ptr_equal(c.record, high720_avcc);
    assert_int_equal(c.record_len, sizeof high720_avcc);
    avc_codec_string(&c, codec);
    assert_string_equal(codec, "avc1.64001F");
}

static void test_config_baseline(void **state)
{
    (void)state;
    struct avc_config c;
    char codec[16];
    assert_int_equal(avc_config_parse(base360_avcc, sizeof base360_avcc, &c), 0);
    assert_int_equal(c.profile, 0x42);
    assert_int_equal(c.compat, 0xc0);
    assert_int_equal(c.level, 0x1e);
    assert_int_equal(c.nal_length_size, 4);
    assert_int_equal(c.sps_len, 25);
    assert_int_equal(c.pps_len, 5);
    assert_int_equal(c.width, 640);
    assert_int_equal(c.height, 360);
    avc_codec_string(&c, codec);
    assert_string_equal(codec, "avc1.42C01E");
}

static void test_config_real_records(void **state)
{
    (void)state;
    static const struct {
        const uint8_t *avcc;
        size_t len;
        uint32_t width, height;
        const char *codec;
    } cases[] = {
        {high720_avcc, sizeof high720_avcc, 1280, 720, "avc1.64001F"},
        {base360_avcc, sizeof base360_avcc, 640, 360, "avc1.42C01E"},
        {main480_avcc, sizeof main480_avcc, 854, 480, "avc1.4D401F"},
        {high768_avcc, sizeof high768_avcc, 1366, 768, "avc1.640020"},
        {high1080_avcc, sizeof high1080_avcc, 1920, 1080, "avc1.640028"},
        {inter1080_avcc, sizeof inter1080_avcc, 1920, 1080, "avc1.640028"},
        {h444_avcc, sizeof h444_avcc, 1280, 720, "avc1.F4001F"},
        {h422_avcc, sizeof h422_avcc, 1920, 1080, "avc1.7A0028"},
        {gray_avcc, sizeof gray_avcc, 176, 144, "avc1.64000B"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct avc_config c;
        char codec[16];
        uint32_t w = 0, h = 0;
        size_t sps_len;
        const uint8_t *sps = record_sps(cases[i].avcc, &sps_len);

        assert_int_equal(avc_config_parse(cases[i].avcc, cases[i].len, &c), 0);
        assert_int_equal(c.width, cases[i].width);
        assert_int_equal(c.height, cases[i].height);
        avc_codec_string(&c, codec);
        assert_string_equal(codec, cases[i].codec);

        assert_int_equal(avc_sps_dimensions(sps, sps_len, &w, &h), 0);
        assert_int_equal(w, cases[i].width);
        assert_int_equal(h, cases[i].height);
    }
}

static void test_config_truncated(void **state)
{
    (void)state;
    struct avc_config c;
    for (size_t len = 0; len < HIGH720_CORE_LEN; len++)
        assert_int_equal(avc_config_parse(high720_avcc, len, &c), ONAIR_EPROTO);
    /* The high-profile extension after the PPS is optional. */
    for (size_t len = HIGH720_CORE_LEN; len <= sizeof high720_avcc; len++) {
        assert_int_equal(avc_config_parse(high720_avcc, len, &c), 0);
        assert_int_equal(c.record_len, len);
    }
}

static void test_config_malformed(void **state)
{
    (void)state;
    struct avc_config c;
    uint8_t r[sizeof high720_avcc];

    /* configurationVersion must be 1. */
    memcpy(r, high720_avcc, sizeof r);
    r[0] = 0;
    assert_int_equal(avc_config_parse(r, sizeof r, &c), ONAIR_EPROTO);

    /* NAL length sizes: 1 and 2 are fine, 3 is not; reserved bits are not
     * checked. */
    static const struct {
        uint8_t byte;
        int rc;
        uint8_t size;
    } nls[] = {{0xfc, 0, 1}, {0xfd, 0, 2}, {0xfe, ONAIR_EPROTO, 0}, {0x03, 0, 4}};
    for (size_t i = 0; i < sizeof nls / sizeof nls[0]; i++) {
        memcpy(r, high720_avcc, sizeof r);
        r[4] = nls[i].byte;
        assert_int_equal(avc_config_parse(r, sizeof r, &c), nls[i].rc);
        if (nls[i].rc == 0)
            assert_int_equal(c.nal_length_size, nls[i].size);
    }

    /* No SPS. */
    memcpy(r, high720_avcc, sizeof r);
    r[5] = 0xe0;
    assert_int_equal(avc_config_parse(r, sizeof r, &c), ONAIR_EPROTO);
    /* No PPS. */
    memcpy(r, high720_avcc, sizeof r);
    r[34] = 0;
    assert_int_equal(avc_config_parse(r, sizeof r, &c), ONAIR_EPROTO);
    /* A PPS in the SPS list, an SPS in the PPS list. */
    memcpy(r, high720_avcc, sizeof r);
    r[8] = 0x68;
    assert_int_equal(avc_config_parse(r, sizeof r, &c), ONAIR_EPROTO);
    memcpy(r, high720_avcc, sizeof r);
    r[37] = 0x67;
    assert_int_equal(avc_config_parse(r, sizeof r, &c), ONAIR_EPROTO);
    /* Two SPS announced, one present. */
    memcpy(r, high720_avcc, sizeof r);
    r[5] = 0xe2;
    assert_int_equal(avc_config_parse(r, sizeof r, &c), ONAIR_EPROTO);
    /* An SPS length past the end. */
    memcpy(r, high720_avcc, sizeof r);
    r[6] = 0x01;
    assert_int_equal(avc_config_parse(r, sizeof r, &c), ONAIR_EPROTO);

    /* A zero-length SPS. */
    static const uint8_t empty_sps[] = {0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1,
                                        0x00, 0x00, 0x01, 0x00, 0x01, 0x68};
    assert_int_equal(avc_config_parse(empty_sps, sizeof empty_sps, &c), ONAIR_EPROTO);
    /* A zero-length PPS. */
    memcpy(r, high720_avcc, sizeof r);
    r[35] = 0;
    r[36] = 0;
    assert_int_equal(avc_config_parse(r, sizeof r, &c), ONAIR_EPROTO);

    /* An SPS whose fields do not parse. */
    static const uint8_t bad_sps[] = {0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x05, 0x67,
                                      0x64, 0x00, 0x1f, 0x00, 0x01, 0x00, 0x01, 0x68};
    assert_int_equal(avc_config_parse(bad_sps, sizeof bad_sps, &c), ONAIR_EPROTO);
}

static void test_config_several_sets(void **state)
{
    (void)state;
    /* Two SPS (720p then 360p) and two PPS: the first of each is kept, the
     * others only walked. */
    uint8_t r[128];
    size_t n = 0, l720, l360;
    const uint8_t *s720 = record_sps(high720_avcc, &l720);
    const uint8_t *s360 = record_sps(base360_avcc, &l360);
    memcpy(r, high720_avcc, 5);
    n = 5;
    r[n++] = 0xe2;
    r[n++] = 0;
    r[n++] = (uint8_t)l720;
    memcpy(r + n, s720, l720);
    n += l720;
    r[n++] = 0;
    r[n++] = (uint8_t)l360;
    memcpy(r + n, s360, l360);
    n += l360;
    r[n++] = 2;
    memcpy(r + n, high720_avcc + 35, 8); /* length + PPS */
    n += 8;
    memcpy(r + n, base360_avcc + 34, 7);
    n += 7;

    struct avc_config c;
    assert_int_equal(avc_config_parse(r, n, &c), 0);
    assert_int_equal(c.sps_len, l720);
    assert_memory_equal(c.sps, s720, l720);
    assert_int_equal(c.pps_len, 6);
    assert_int_equal(c.width, 1280);
    assert_int_equal(c.height, 720);
    /* Every cut inside the sets is truncation. */
    for (size_t len = 0; len < n; len++)
        assert_int_equal(avc_config_parse(r, len, &c), ONAIR_EPROTO);
}

static void test_config_too_big(void **state)
{
    (void)state;
    /* A parameter set over AVC_PARAM_MAX: an SPS padded with trailing bytes
     * (which the SPS parse would not mind). */
    uint8_t r[700];
    size_t n = 0, l720;
    const uint8_t *s720 = record_sps(high720_avcc, &l720);
    struct avc_config c;

    for (size_t big = AVC_PARAM_MAX; big <= AVC_PARAM_MAX + 1; big++) {
        memset(r, 0, sizeof r);
        memcpy(r, high720_avcc, 6);
        n = 6;
        r[n++] = (uint8_t)(big >> 8);
        r[n++] = (uint8_t)big;
        memcpy(r + n, s720, l720);
        n += big;
        memcpy(r + n, high720_avcc + 34, 9); /* count + length + PPS */
        n += 9;
        assert_int_equal(avc_config_parse(r, n, &c), big > AVC_PARAM_MAX ? ONAIR_ETOOBIG : 0);
        if (big == AVC_PARAM_MAX)
            assert_int_equal(c.sps_len, AVC_PARAM_MAX);
    }

    /* A big PPS. */
    memcpy(r, high720_avcc, 35);
    n = 35;
    r[n++] = 0x01;
    r[n++] = 0x01; /* 257 */
    memset(r + n, 0, 257);
    r[n] = 0x68;
    n += 257;
    assert_int_equal(avc_config_parse(r, n, &c), ONAIR_ETOOBIG);

    /* A big second SPS is only walked. */
    memcpy(r, high720_avcc, 5);
    n = 5;
    r[n++] = 0xe2;
    memcpy(r + n, high720_avcc + 6, 2 + l720);
    n += 2 + l720;
    r[n++] = 0x01;
    r[n++] = 0x2c; /* 300 */
    memset(r + n, 0, 300);
    r[n] = 0x67;
    n += 300;
    memcpy(r + n, high720_avcc + 34, 9);
    n += 9;
    assert_int_equal(avc_config_parse(r, n, &c), 0);
    assert_int_equal(c.width, 1280);
}

/* ---- SPS ---- */

static void test_sps_cropping(void **state)
{
    (void)state;
    uint32_t w, h;
    size_t len;
    const uint8_t *sps = record_sps(high1080_avcc, &len);
    /* 1920x1088 coded, frame_crop_bottom_offset 4 (units of 2 rows). */
    assert_int_equal(avc_sps_dimensions(sps, len, &w, &h), 0);
    assert_int_equal(w, 1920);
    assert_int_equal(h, 1080);

    assert_int_equal(avc_sps_dimensions(crop4_sps, sizeof crop4_sps, &w, &h), 0);
    assert_int_equal(w, 1914);
    assert_int_equal(h, 1080);
}

static void test_sps_emulation_prevention(void **state)
{
    (void)state;
    uint32_t w = 0, h = 0;
    assert_int_equal(avc_sps_dimensions(epb_sps, sizeof epb_sps, &w, &h), 0);
    assert_int_equal(w, 640);
    assert_int_equal(h, 360);

    /* Unescaped by hand, the RBSP has no 00 00 03 left and reads the
     * same. */
    uint8_t raw[sizeof epb_sps];
    size_t n = 0, zeros = 0;
    for (size_t i = 0; i < sizeof epb_sps; i++) {
        if (zeros >= 2 && epb_sps[i] == 3) {
            zeros = 0;
            continue;
        }
        raw[n++] = epb_sps[i];
        zeros = epb_sps[i] == 0 ? zeros + 1 : 0;
    }
    assert_int_equal(n, sizeof epb_sps - 3);
    assert_int_equal(avc_sps_dimensions(raw, n, &w, &h), 0);
    assert_int_equal(w, 640);
    assert_int_equal(h, 360);

    /* Escaped twice, so that the reader sees the 03s as data, as a parser
     * that forgot to drop them would: a different, broken SPS. */
    uint8_t twice[2 * sizeof epb_sps];
    n = 0;
    zeros = 0;
    for (size_t i = 0; i < sizeof epb_sps; i++) {
        if (zeros >= 2 && epb_sps[i] <= 3) {
            twice[n++] = 3;
            zeros = 0;
        }
        twice[n++] = epb_sps[i];
        zeros = epb_sps[i] == 0 ? zeros + 1 : 0;
    }
    assert_int_equal(n, sizeof epb_sps + 3);
    w = h = 0;
    int rc = avc_sps_dimensions(twice, n, &w, &h);
    assert_true(rc != 0 || w != 640 || h != 360);
}

static void test_sps_scaling_lists(void **state)
{
    (void)state;
    uint32_t w, h;
    assert_int_equal(avc_sps_dimensions(scaling_sps, sizeof scaling_sps, &w, &h), 0);
    assert_int_equal(w, 1280);
    assert_int_equal(h, 720);
    assert_int_equal(avc_sps_dimensions(scaling444_sps, sizeof scaling444_sps, &w, &h), 0);
    assert_int_equal(w, 1278);
    assert_int_equal(h, 718);
    /* Cut anywhere inside the lists. */
    for (size_t len = 0; len < 130; len++)
        assert_int_equal(avc_sps_dimensions(scaling_sps, len, &w, &h), ONAIR_EPROTO);
}

static void test_sps_truncated(void **state)
{
    (void)state;
    size_t len;
    const uint8_t *sps = record_sps(high720_avcc, &len);
    bool ok = false;
    uint32_t w, h;
    /* Short prefixes fail until the cropping flag is in; once it parses it
     * keeps parsing (the VUI is not read). */
    for (size_t n = 0; n <= len; n++) {
        int rc = avc_sps_dimensions(sps, n, &w, &h);
        if (ok) {
            assert_int_equal(rc, 0);
        } else if (rc == 0) {
            ok = true;
            assert_true(n >= 9);
        } else {
            assert_int_equal(rc, ONAIR_EPROTO);
        }
        if (rc == 0) {
            assert_int_equal(w, 1280);
            assert_int_equal(h, 720);
        }
    }
    assert_true(ok);
}

static void test_sps_not_an_sps(void **state)
{
    (void)state;
    size_t len;
    const uint8_t *sps = record_sps(high720_avcc, &len);
    uint8_t s[64];
    uint32_t w, h;
    memcpy(s, sps, len);
    s[0] = 0x68; /* PPS */
    assert_int_equal(avc_sps_dimensions(s, len, &w, &h), ONAIR_EPROTO);
    s[0] = 0xe7; /* forbidden_zero_bit */
    assert_int_equal(avc_sps_dimensions(s, len, &w, &h), ONAIR_EPROTO);
    s[0] = 0x27; /* nal_ref_idc 1 is fine */
    assert_int_equal(avc_sps_dimensions(s, len, &w, &h), 0);
    assert_int_equal(avc_sps_dimensions(NULL, 0, &w, &h), ONAIR_EPROTO);
}

static void test_sps_built(void **state)
{
    (void)state;
    uint8_t s[1600];
    size_t n;
    uint32_t w, h;
    struct sps_fields f = {.profile = 66,
                           .poc_type = 2,
                           .width_mbs = 120,
                           .height_map_units = 68,
                           .frame_mbs_only = true};

    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    assert_int_equal(w, 1920);
    assert_int_equal(h, 1088);

    /* Crop units: 2x2 for 4:2:0 frames. */
    f.crop = true;
    f.crop_l = 1;
    f.crop_r = 2;
    f.crop_t = 3;
    f.crop_b = 1;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    assert_int_equal(w, 1920 - 6);
    assert_int_equal(h, 1088 - 8);

    /* Fields: map units are field pairs, crop unit 4 rows for 4:2:0. */
    f.frame_mbs_only = false;
    f.height_map_units = 34;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    assert_int_equal(w, 1920 - 6);
    assert_int_equal(h, 1088 - 16);

    /* Monochrome fields: crop units 1 across, 2 down. */
    f.profile = 100;
    f.chroma_format_idc = 0;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    assert_int_equal(w, 1920 - 3);
    assert_int_equal(h, 1088 - 8);

    /* 4:4:4 frames: 1x1. */
    f.profile = 244;
    f.chroma_format_idc = 3;
    f.frame_mbs_only = true;
    f.height_map_units = 68;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    assert_int_equal(w, 1920 - 3);
    assert_int_equal(h, 1088 - 4);

    /* Cropping everything away, or more. */
    f.profile = 66;
    f.crop_l = 959;
    f.crop_r = 1;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), ONAIR_EPROTO);
    f.crop_l = 958;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    assert_int_equal(w, 2);
    f.crop_l = 0;
    f.crop_t = 0xfffffff0; /* would overflow 32-bit arithmetic */
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), ONAIR_EPROTO);
    f.crop = false;

    /* Sizes at and past the largest any level allows. */
    f.width_mbs = AVC_MAX_MBS;
    f.height_map_units = AVC_MAX_MBS;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    assert_int_equal(w, AVC_MAX_MBS * 16);
    assert_int_equal(h, AVC_MAX_MBS * 16);
    f.width_mbs = AVC_MAX_MBS + 1;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), ONAIR_EPROTO);
    f.width_mbs = 0xffffffff; /* pic_width_in_mbs_minus1 = 2^32 - 2 */
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), ONAIR_EPROTO);
    f.width_mbs = 120;
    f.frame_mbs_only = false;
    f.height_map_units = AVC_MAX_MBS / 2 + 1;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), ONAIR_EPROTO);
    f.frame_mbs_only = true;
    f.height_map_units = 68;

    /* Out-of-range enumerations. */
    f.poc_type = 3;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), ONAIR_EPROTO);
    f.poc_type = 0;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    f.poc_type = 1;
    f.poc_cycle = 255;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), 0);
    assert_int_equal(h, 1088);
    f.poc_cycle = 256;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), ONAIR_EPROTO);
    f.profile = 100;
    f.chroma_format_idc = 4;
    n = build_sps(&f, s);
    assert_int_equal(avc_sps_dimensions(s, n, &w, &h), ONAIR_EPROTO);
}

static void test_codec_string(void **state)
{
    (void)state;
    struct avc_config c;
    char out[16];
    memset(&c, 0, sizeof c);
    c.profile = 0x42;
    c.compat = 0xe0;
    c.level = 0x0d;
    memset(out, 'x', sizeof out);
    avc_codec_string(&c, out);
    assert_string_equal(out, "avc1.42E00D");
    c.profile = 0xff;
    c.compat = 0xff;
    c.level = 0xff;
    avc_codec_string(&c, out);
    assert_string_equal(out, "avc1.FFFFFF");
}

/* ---- NAL units ---- */

/* Re-frames key_nalus with size-byte lengths. */
static size_t reframe(uint8_t *out, unsigned size)
{
    size_t n = 0, off = 0;
    while (off < sizeof key_nalus) {
        size_t len = ((size_t)key_nalus[off] << 24) | ((size_t)key_nalus[off + 1] << 16) |
                     ((size_t)key_nalus[off + 2] << 8) | key_nalus[off + 3];
        for (unsigned i = size; i-- > 0;)
            out[n++] = (uint8_t)(len >> (8 * i));
        memcpy(out + n, key_nalus + off + 4, len);
        n += len;
        off += 4 + len;
    }
    return n;
}

static void test_nalus_scan_real(void **state)
{
    (void)state;
    unsigned count = 99;
    bool idr = false;
    assert_int_equal(avc_nalus_scan(key_nalus, sizeof key_nalus, 4, &count, &idr), 0);
    assert_int_equal(count, 3);
    assert_true(idr);
    assert_int_equal(avc_nalus_scan(p_nalus, sizeof p_nalus, 4, &count, &idr), 0);
    assert_int_equal(count, 1);
    assert_false(idr);
    /* NULL outputs are allowed. */
    assert_int_equal(avc_nalus_scan(key_nalus, sizeof key_nalus, 4, NULL, NULL), 0);
    /* Empty is zero units. */
    assert_int_equal(avc_nalus_scan(NULL, 0, 4, &count, &idr), 0);
    assert_int_equal(count, 0);
    assert_false(idr);
}

static void test_nalus_scan_sizes(void **state)
{
    (void)state;
    uint8_t buf[128];
    for (unsigned size = 1; size <= 4; size++) {
        if (size == 3)
            continue;
        size_t n = reframe(buf, size);
        unsigned count = 0;
        bool idr = false;
        assert_int_equal(avc_nalus_scan(buf, n, (uint8_t)size, &count, &idr), 0);
        assert_int_equal(count, 3);
        assert_true(idr);
        /* Every shorter cut breaks the tiling except at unit boundaries. */
        size_t bounds[3] = {0, size + 24, size + 24 + size + 6};
        for (size_t len = 0; len < n; len++) {
            bool boundary = len == bounds[0] || len == bounds[1] || len == bounds[2];
            int rc = avc_nalus_scan(buf, len, (uint8_t)size, &count, &idr);
            assert_int_equal(rc, boundary ? 0 : ONAIR_EPROTO);
        }
    }
}

static void test_nalus_scan_errors(void **state)
{
    (void)state;
    unsigned count = 77;
    bool idr = true;
    uint8_t buf[sizeof key_nalus];

    /* A length running past the end. */
    memcpy(buf, key_nalus, sizeof buf);
    buf[41] = 0x21; /* IDR: 33 bytes claimed, 32 present */
    assert_int_equal(avc_nalus_scan(buf, sizeof buf, 4, &count, &idr), ONAIR_EPROTO);
    assert_int_equal(count, 77); /* untouched on error */
    assert_true(idr);
    buf[41] = 0x1f; /* one byte left over: a truncated prefix */
    assert_int_equal(avc_nalus_scan(buf, sizeof buf, 4, &count, &idr), ONAIR_EPROTO);
    memcpy(buf, key_nalus, sizeof buf);
    buf[0] = 0x80; /* 2 GiB */
    assert_int_equal(avc_nalus_scan(buf, sizeof buf, 4, &count, &idr), ONAIR_EPROTO);

    /* A zero-length unit. */
    static const uint8_t zero[] = {0x00, 0x00, 0x00, 0x01, 0x65, 0x00, 0x00, 0x00, 0x00};
    assert_int_equal(avc_nalus_scan(zero, sizeof zero, 4, &count, &idr), ONAIR_EPROTO);
    static const uint8_t zero1[] = {0x00};
    assert_int_equal(avc_nalus_scan(zero1, sizeof zero1, 1, &count, &idr), ONAIR_EPROTO);
    static const uint8_t zero2[] = {0x01, 0x65, 0x00, 0x00};
    assert_int_equal(avc_nalus_scan(zero2, sizeof zero2, 1, &count, &idr), ONAIR_EPROTO);

    /* Bad length sizes. */
    assert_int_equal(avc_nalus_scan(key_nalus, sizeof key_nalus, 3, &count, &idr), ONAIR_EINVAL);
    assert_int_equal(avc_nalus_scan(key_nalus, sizeof key_nalus, 0, &count, &idr), ONAIR_EINVAL);
    assert_int_equal(avc_nalus_scan(key_nalus, sizeof key_nalus, 8, &count, &idr), ONAIR_EINVAL);
}

static void test_nalu_next(void **state)
{
    (void)state;
    static const unsigned types[] = {AVC_NAL_SPS, AVC_NAL_PPS, AVC_NAL_IDR};
    static const size_t lens[] = {24, 6, 32};
    size_t off = 0, n = 0;
    const uint8_t *nal = NULL;
    unsigned i = 0;
    int rc;
    while ((rc = avc_nalu_next(key_nalus, sizeof key_nalus, 4, &off, &nal, &n)) == 1) {
        assert_true(i < 3);
        assert_int_equal(avc_nal_type(nal[0]), types[i]);
        assert_int_equal(n, lens[i]);
        assert_true(nal > key_nalus && nal + n <= key_nalus + sizeof key_nalus);
        i++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(i, 3);
    assert_int_equal(off, sizeof key_nalus);

    /* The in-band SPS gives the stream's size. */
    off = 0;
    assert_int_equal(avc_nalu_next(key_nalus, sizeof key_nalus, 4, &off, &nal, &n), 1);
    uint32_t w, h;
    assert_int_equal(avc_sps_dimensions(nal, n, &w, &h), 0);
    assert_int_equal(w, 64);
    assert_int_equal(h, 64);

    /* An offset past the end is an error, not the end. */
    off = sizeof key_nalus + 1;
    assert_int_equal(avc_nalu_next(key_nalus, sizeof key_nalus, 4, &off, &nal, &n), ONAIR_EPROTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bits_fields),
        cmocka_unit_test(test_bits_exp_golomb_limits),
        cmocka_unit_test(test_bits_emulation_prevention),
        cmocka_unit_test(test_config_high720),
        cmocka_unit_test(test_config_baseline),
        cmocka_unit_test(test_config_real_records),
        cmocka_unit_test(test_config_truncated),
        cmocka_unit_test(test_config_malformed),
        cmocka_unit_test(test_config_several_sets),
        cmocka_unit_test(test_config_too_big),
        cmocka_unit_test(test_sps_cropping),
        cmocka_unit_test(test_sps_emulation_prevention),
        cmocka_unit_test(test_sps_scaling_lists),
        cmocka_unit_test(test_sps_truncated),
        cmocka_unit_test(test_sps_not_an_sps),
        cmocka_unit_test(test_sps_built),
        cmocka_unit_test(test_codec_string),
        cmocka_unit_test(test_nalus_scan_real),
        cmocka_unit_test(test_nalus_scan_sizes),
        cmocka_unit_test(test_nalus_scan_errors),
        cmocka_unit_test(test_nalu_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

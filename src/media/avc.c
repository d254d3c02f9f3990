/*
 * avc.c - avcC records, SPS dimensions and AVCC NAL unit framing.
 */
#include "media/avc.h"

#include <string.h>

#include "core/err.h"
#include "media/bits.h"

static uint32_t be_read(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

int avc_config_parse(const uint8_t *avcc, size_t len, struct avc_config *out)
{
    /* version, profile, compat, level, lengthSizeMinusOne, numOfSPS */
    if (len < 6 || avcc[0] != 1)
        return ONAIR_EPROTO;
    out->profile = avcc[1];
    out->compat = avcc[2];
    out->level = avcc[3];
    unsigned nls = (avcc[4] & 0x03u) + 1;
    if (nls == 3)
        return ONAIR_EPROTO;
    out->nal_length_size = (uint8_t)nls;
    out->sps_len = 0;
    out->pps_len = 0;
    out->record = avcc;
    out->record_len = len;

    size_t off = 5;
    /* Two lists: SPS (count in the low 5 bits), then PPS (a full byte). */
    for (int list = 0; list < 2; list++) {
        if (off >= len)
            return ONAIR_EPROTO;
        unsigned n = list == 0 ? avcc[off] & 0x1fu : avcc[off];
        unsigned want = list == 0 ? AVC_NAL_SPS : AVC_NAL_PPS;
        off++;
        if (n == 0)
            return ONAIR_EPROTO;
        for (unsigned i = 0; i < n; i++) {
            if (len - off < 2)
                return ONAIR_EPROTO;
            size_t n_len = be_read(avcc + off, 2);
            off += 2;
            if (n_len == 0 || n_len > len - off)
                return ONAIR_EPROTO;
            if (avc_nal_type(avcc[off]) != want)
                return ONAIR_EPROTO;
            if (i == 0) {
                if (n_len > AVC_PARAM_MAX)
                    return ONAIR_ETOOBIG;
                if (list == 0) {
                    memcpy(out->sps, avcc + off, n_len);
                    out->sps_len = n_len;
                } else {
                    memcpy(out->pps, avcc + off, n_len);
                    out->pps_len = n_len;
                }
            }
            off += n_len;
        }
    }
    return avc_sps_dimensions(out->sps, out->sps_len, &out->width, &out->height);
}

/* Profiles whose SPS carries chroma_format_idc and the fields after it
 * (ISO 14496-10 7.3.2.1.1). */
static bool profile_has_chroma_info(uint32_t profile)
{
    switch (profile) {
    case 100:
    case 110:
    case 122:
    case 244:
    case 44:
    case 83:
    case 86:
    case 118:
    case 128:
    case 138:
    case 139:
    case 134:
    case 135:
        return true;
    default:
        return false;
    }
}

/* scaling_list(): only walked, the values are not needed. */
static void skip_scaling_list(struct bits *b, unsigned size)
{
    int32_t last = 8, next = 8;
    for (unsigned j = 0; j < size && bits_ok(b); j++) {
        if (next != 0) {
            int32_t delta = bits_read_se(b);
            if (delta < -128 || delta > 127) {
                b->err = true;
                return;
            }
            next = (last + delta + 256) % 256;
        }
        if (next != 0)
            last = next;
    }
}

int avc_sps_dimensions(const uint8_t *sps, size_t len, uint32_t *width, uint32_t *height)
{
    /* NAL header: forbidden_zero_bit 0, type 7; then profile, constraint
     * flags and level, at least one more byte for the ue(v) fields. */
    if (len < 5 || (sps[0] & 0x80) || avc_nal_type(sps[0]) != AVC_NAL_SPS)
        return ONAIR_EPROTO;

    struct bits b;
    bits_init(&b, sps + 1, len - 1, true);
    uint32_t profile = bits_read(&b, 8);
    bits_skip(&b, 16);         /* constraint_set flags + reserved, level_idc */
    if (bits_read_ue(&b) > 31) /* seq_parameter_set_id */
        return ONAIR_EPROTO;

    uint32_t chroma_format_idc = 1; /* 4:2:0 when not sent */
    bool separate_colour_plane = false;
    if (profile_has_chroma_info(profile)) {
        chroma_format_idc = bits_read_ue(&b);
        if (chroma_format_idc > 3)
            return ONAIR_EPROTO;
        if (chroma_format_idc == 3)
            separate_colour_plane = bits_read1(&b);
        if (bits_read_ue(&b) > 6 || bits_read_ue(&b) > 6) /* bit_depth_{luma,chroma}_minus8 */
            return ONAIR_EPROTO;
        bits_skip(&b, 1);     /* qpprime_y_zero_transform_bypass_flag */
        if (bits_read1(&b)) { /* seq_scaling_matrix_present_flag */
            unsigned lists = chroma_format_idc != 3 ? 8 : 12;
            for (unsigned i = 0; i < lists && bits_ok(&b); i++) {
                if (bits_read1(&b))
                    skip_scaling_list(&b, i < 6 ? 16 : 64);
            }
        }
    }

    if (bits_read_ue(&b) > 12) /* log2_max_frame_num_minus4 */
        return ONAIR_EPROTO;
    uint32_t poc_type = bits_read_ue(&b);
    if (poc_type == 0) {
        if (bits_read_ue(&b) > 12) /* log2_max_pic_order_cnt_lsb_minus4 */
            return ONAIR_EPROTO;
    } else if (poc_type == 1) {
        bits_skip(&b, 1);       /* delta_pic_order_always_zero_flag */
        (void)bits_read_se(&b); /* offset_for_non_ref_pic */
        (void)bits_read_se(&b); /* offset_for_top_to_bottom_field */
        uint32_t cycle = bits_read_ue(&b);
        if (cycle > 255)
            return ONAIR_EPROTO;
        for (uint32_t i = 0; i < cycle && bits_ok(&b); i++)
            (void)bits_read_se(&b); /* offset_for_ref_frame[i] */
    } else if (poc_type != 2) {
        return ONAIR_EPROTO;
    }
    (void)bits_read_ue(&b); /* max_num_ref_frames */
    bits_skip(&b, 1);       /* gaps_in_frame_num_value_allowed_flag */
    uint32_t width_mbs = bits_read_ue(&b);
    uint32_t map_units = bits_read_ue(&b);
    uint32_t frame_mbs_only = bits_read1(&b);
    if (!frame_mbs_only)
        bits_skip(&b, 1);            /* mb_adaptive_frame_field_flag */
    bits_skip(&b, 1);                /* direct_8x8_inference_flag */
    uint32_t crop[4] = {0, 0, 0, 0}; /* left, right, top, bottom */
    if (bits_read1(&b)) {
        for (int i = 0; i < 4; i++)
            crop[i] = bits_read_ue(&b);
    }
    if (!bits_ok(&b))
        return ONAIR_EPROTO;

    /* Sizes in macroblocks first, so nothing below can overflow. */
    if (width_mbs >= AVC_MAX_MBS)
        return ONAIR_EPROTO;
    uint64_t height_mbs = (uint64_t)(map_units + 1ull) * (2 - frame_mbs_only);
    if (height_mbs > AVC_MAX_MBS)
        return ONAIR_EPROTO;
    uint64_t w = (width_mbs + 1ull) * 16;
    uint64_t h = height_mbs * 16;

    /* Crop units (7.4.2.1.1): luma samples when there is no chroma array,
     * else the chroma subsampling; doubled vertically for field coding. */
    uint64_t unit_x = 1, unit_y = 2 - frame_mbs_only;
    if (!separate_colour_plane && chroma_format_idc != 0) {
        unit_x = chroma_format_idc == 3 ? 1 : 2;
        unit_y *= chroma_format_idc == 1 ? 2 : 1;
    }
    uint64_t crop_w = unit_x * ((uint64_t)crop[0] + crop[1]);
    uint64_t crop_h = unit_y * ((uint64_t)crop[2] + crop[3]);
    if (crop_w >= w || crop_h >= h)
        return ONAIR_EPROTO;
    *width = (uint32_t)(w - crop_w);
    *height = (uint32_t)(h - crop_h);
    return 0;
}

static void put_hex(char *p, uint8_t v)
{
    static const char digits[] = "0123456789ABCDEF";
    p[0] = digits[v >> 4];
    p[1] = digits[v & 0x0f];
}

void avc_codec_string(const struct avc_config *c, char out[16])
{
    memcpy(out, "avc1.", 5);
    put_hex(out + 5, c->profile);
    put_hex(out + 7, c->compat);
    put_hex(out + 9, c->level);
    out[11] = '\0';
}

int avc_nalu_next(const uint8_t *data, size_t len, uint8_t nal_length_size, size_t *off,
                  const uint8_t **nal, size_t *nal_len)
{
    if (nal_length_size != 1 && nal_length_size != 2 && nal_length_size != 4)
        return ONAIR_EINVAL;
    size_t at = *off;
    if (at >= len)
        return at == len ? 0 : ONAIR_EPROTO;
    if (len - at < nal_length_size)
        return ONAIR_EPROTO;
    size_t n = be_read(data + at, nal_length_size);
    at += nal_length_size;
    if (n == 0 || n > len - at)
        return ONAIR_EPROTO;
    *nal = data + at;
    *nal_len = n;
    *off = at + n;
    return 1;
}

int avc_nalus_scan(const uint8_t *data, size_t len, uint8_t nal_length_size, unsigned *count,
                   bool *has_idr)
{
    size_t off = 0;
    const uint8_t *nal;
    size_t n;
    unsigned units = 0;
    bool idr = false;
    int rc;

    while ((rc = avc_nalu_next(data, len, nal_length_size, &off, &nal, &n)) == 1) {
        units++;
        if (avc_nal_type(nal[0]) == AVC_NAL_IDR)
            idr = true;
    }
    if (rc < 0)
        return rc;
    if (count != NULL)
        *count = units;
    if (has_idr != NULL)
        *has_idr = idr;
    return 0;
}

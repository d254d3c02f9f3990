/*
 * avc.h - H.264/AVC as it arrives over RTMP: the AVCDecoderConfigurationRecord
 * (ISO 14496-15 5.2.4.1, "avcC") from the sequence header, the sequence
 * parameter set inside it (ISO 14496-10 7.3.2.1.1) and AVCC-framed NAL units
 * (each prefixed by a big-endian length of nal_length_size bytes).
 *
 * Ownership: avc_config copies the first SPS and PPS into itself but borrows
 * the whole record (record points into the caller's input). Everything else
 * only borrows for the duration of the call, or returns pointers into the
 * caller's input where said.
 * Threads: pure functions, no state; any thread.
 * Errors: 0, or ONAIR_EPROTO for truncated or malformed bytes, ONAIR_ETOOBIG
 * for a parameter set onair does not keep, ONAIR_EINVAL for an argument
 * outside the contract (a nal_length_size other than 1, 2 or 4). Outputs
 * are unspecified after an error unless said otherwise.
 */
#ifndef ONAIR_MEDIA_AVC_H
#define ONAIR_MEDIA_AVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AVC_PARAM_MAX 256 /* largest SPS/PPS kept */
#define AVC_MAX_MBS 1056  /* macroblocks a side: ceil(sqrt(8 * MaxFS of level 6.2)) */

/* nal_unit_type values onair cares about. */
enum avc_nal_type {
    AVC_NAL_SLICE = 1,
    AVC_NAL_IDR = 5,
    AVC_NAL_SEI = 6,
    AVC_NAL_SPS = 7,
    AVC_NAL_PPS = 8,
    AVC_NAL_AUD = 9,
    AVC_NAL_END_OF_SEQUENCE = 10,
    AVC_NAL_END_OF_STREAM = 11,
    AVC_NAL_FILLER = 12,
};

/* nal_unit_type of a NAL unit whose header byte is b. */
static inline unsigned avc_nal_type(uint8_t b)
{
    return b & 0x1fu;
}

struct avc_config {
    uint8_t profile, compat, level; /* from avcC */
    uint8_t nal_length_size;        /* 1, 2 or 4 */
    uint8_t sps[AVC_PARAM_MAX];     /* the first SPS, with its NAL header byte */
    size_t sps_len;
    uint8_t pps[AVC_PARAM_MAX]; /* the first PPS, with its NAL header byte */
    size_t pps_len;
    uint32_t width, height; /* from the SPS, cropping applied */
    const uint8_t *record;  /* the avcC bytes as given (points into the input) */
    size_t record_len;
};

/*
 * Parses an AVCDecoderConfigurationRecord and its first SPS. Takes version 1
 * records with at least one SPS and one PPS; each parameter set must be
 * non-empty, of the right NAL type and lie within len. Reserved bits are
 * not checked (encoders differ), trailing bytes (the high-profile chroma
 * extension, or padding) are kept in record but otherwise ignored.
 * EPROTO on malformed/truncated input, including lengthSizeMinusOne == 2
 * and an SPS whose dimensions do not parse; ETOOBIG when the first SPS or
 * the first PPS is over AVC_PARAM_MAX.
 */
int avc_config_parse(const uint8_t *avcc, size_t len, struct avc_config *out);

/*
 * Parses the coded size from an SPS NAL unit (starting at its NAL header
 * byte, no start code or length prefix). Removes emulation-prevention
 * bytes, handles the high profiles' chroma_format_idc, bit depths and
 * scaling lists, field coding (frame_mbs_only_flag = 0) and the cropping
 * window. The VUI is not read. EPROTO if the NAL unit is not an SPS, is
 * truncated before the cropping fields, has out-of-range values, or gives
 * a size of zero or over AVC_MAX_MBS macroblocks (16896 pixels) a side,
 * the most any level allows.
 */
int avc_sps_dimensions(const uint8_t *sps, size_t len, uint32_t *width, uint32_t *height);

/* RFC 6381 codec string from the avcC profile/compat/level bytes, e.g.
 * "avc1.64001F" (uppercase hex as Apple writes it); always NUL-terminated. */
void avc_codec_string(const struct avc_config *c, char out[16]);

/*
 * Walks AVCC-framed NAL units: checks that the length prefixes exactly tile
 * data[0..len) (EPROTO otherwise, and for a zero-length NAL unit), counts
 * them and reports whether an IDR slice (type 5) is present. An empty
 * buffer is fine (0 units). EINVAL for a nal_length_size other than 1, 2
 * or 4. count and has_idr may be NULL; they are written only on success.
 */
int avc_nalus_scan(const uint8_t *data, size_t len, uint8_t nal_length_size, unsigned *count,
                   bool *has_idr);

/*
 * Iterates AVCC-framed NAL units. Start with *off = 0; each call that
 * returns 1 sets *nal and *nal_len to the next unit (pointing into data, header
 * byte first, nal_len >= 1) and advances *off. Returns 0 at the clean end
 * of data, ONAIR_EPROTO when a prefix or unit is truncated or zero-length
 * (the walk must stop there), ONAIR_EINVAL for a bad nal_length_size.
 *
 *     size_t off = 0; const uint8_t *nal; size_t n; int rc;
 *     while ((rc = avc_nalu_next(p, len, 4, &off, &nal, &n)) == 1) { ... }
 */
int avc_nalu_next(const uint8_t *data, size_t len, uint8_t nal_length_size, size_t *off,
                  const uint8_t **nal, size_t *nal_len);

#endif

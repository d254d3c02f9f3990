/*
 * aac.h - the MPEG-4 AudioSpecificConfig (ISO 14496-3 1.6.2.1) carried in
 * an FLV AAC sequence header, as far as onair needs it: the codec string
 * for playlists, and sample rate, channels and frame length for timing and
 * ADTS headers.
 *
 * Ownership: aac_config keeps a copy of the ASC bytes; nothing is borrowed
 * past the call.
 * Threads: pure functions, no state; any thread.
 * Errors: 0, or ONAIR_EPROTO for truncated or invalid bytes, ONAIR_EINVAL
 * for a valid layout onair does not take, ONAIR_ETOOBIG for an ASC over
 * sizeof asc. *out is unspecified after an error.
 */
#ifndef ONAIR_MEDIA_AAC_H
#define ONAIR_MEDIA_AAC_H

#include <stddef.h>
#include <stdint.h>

#define AAC_ASC_MAX 64

struct aac_config {
    uint8_t object_type;       /* 2 = AAC-LC, 5 SBR, 29 PS ... (escape 31 handled) */
    uint8_t base_object_type;  /* the core codec: object_type, or for explicit SBR/PS
                                  (object_type 5 or 29) the type that follows, e.g. 2 */
    uint8_t sample_rate_index; /* 0..12, or 15 when sample_rate is explicit */
    uint32_t sample_rate;      /* core rate: from the index table or the explicit value */
    uint32_t ext_sample_rate;  /* SBR output rate when signalled (explicitly, or by a sync
                                  extension with sbrPresentFlag set), else 0 */
    uint8_t channels;          /* channel configuration 1..7 (7 means 8 channels) */
    uint16_t frame_length;     /* samples per frame: 1024, or 960 (frameLengthFlag) */
    uint8_t asc[AAC_ASC_MAX];  /* the bytes as given */
    size_t asc_len;
};

/*
 * Parses an AudioSpecificConfig: object type (5 bits, 31 escapes to 32 +
 * 6 bits), sampling frequency index (15 escapes to an explicit 24-bit
 * rate), channel configuration, explicit SBR/PS signalling (types 5 and
 * 29), and for the general-audio types the GASpecificConfig flags.
 * Trailing bytes are tolerated; a backward-compatible sync extension
 * (0x2b7, as OBS and ffmpeg append with sbrPresentFlag 0) is read when
 * complete, and leaves object_type as the base type (2).
 * EPROTO: len < 2, object type 0, sample rate index 13/14, an explicit rate
 * of 0, reserved channel configurations 8-10 and 15, or truncation.
 * EINVAL: channel configuration 0 (layout in a program config element) or
 * 11-14 (later multichannel layouts). ETOOBIG: len > AAC_ASC_MAX.
 */
int aac_config_parse(const uint8_t *asc, size_t len, struct aac_config *out);

/* RFC 6381 codec string, "mp4a.40.<object_type>", e.g. "mp4a.40.2";
 * always NUL-terminated. */
void aac_codec_string(const struct aac_config *c, char out[16]);

/* Number of output channels for the configuration (7 -> 8). */
unsigned aac_channel_count(const struct aac_config *c);

#endif

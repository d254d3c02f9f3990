/*
 * fuzz_flv.c - libFuzzer target for FLV tag bodies (src/media/flv.c) and
 * what onair does with each packet next (src/media/avc.c, aac.c).
 *
 * The first input byte picks the parser (odd: video, even: audio); the rest
 * is the tag body as an RTMP message would carry it. Sequence headers go on
 * to avc_config_parse / aac_config_parse, AVC NALU payloads to
 * avc_nalus_scan with 4-byte lengths (what every RTMP encoder uses).
 * Invariants (abort() when broken): only the documented error codes; a
 * reason with every FLV error; payloads inside the input; accepted configs
 * within their documented ranges, consistent with the other entry points.
 * Seeds: tests/fuzz/corpus/flv/ (real ffmpeg/OBS-style tags).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "media/aac.h"
#include "media/avc.h"
#include "media/flv.h"

static void check_avc_config(const uint8_t *data, size_t len)
{
    struct avc_config c;
    char codec[16];
    int rc = avc_config_parse(data, len, &c);
    if (rc != 0 && rc != ONAIR_EPROTO && rc != ONAIR_ETOOBIG)
        abort();
    if (rc != 0)
        return;
    if (c.nal_length_size != 1 && c.nal_length_size != 2 && c.nal_length_size != 4)
        abort();
    if (c.sps_len == 0 || c.sps_len > AVC_PARAM_MAX || c.pps_len == 0 || c.pps_len > AVC_PARAM_MAX)
        abort();
    if (c.width == 0 || c.height == 0 || c.width > AVC_MAX_MBS * 16 || c.height > AVC_MAX_MBS * 16)
        abort();
    if (c.record != data || c.record_len != len)
        abort();
    uint32_t w, h;
    if (avc_sps_dimensions(c.sps, c.sps_len, &w, &h) != 0 || w != c.width || h != c.height)
        abort();
    avc_codec_string(&c, codec);
    if (strlen(codec) != 11)
        abort();
}

static void check_nalus(const uint8_t *data, size_t len)
{
    unsigned count = 0;
    bool idr = false;
    int rc = avc_nalus_scan(data, len, 4, &count, &idr);
    if (rc != 0 && rc != ONAIR_EPROTO)
        abort();

    /* The iterator must agree with the scan. */
    size_t off = 0, n;
    const uint8_t *nal;
    unsigned seen = 0;
    bool seen_idr = false;
    int it;
    while ((it = avc_nalu_next(data, len, 4, &off, &nal, &n)) == 1) {
        if (nal < data || n == 0 || n > len || (size_t)(nal - data) > len - n)
            abort();
        seen++;
        seen_idr |= avc_nal_type(nal[0]) == AVC_NAL_IDR;
    }
    if (it != rc)
        abort();
    if (rc == 0 && (seen != count || seen_idr != idr || off != len))
        abort();
}

static void check_aac_config(const uint8_t *data, size_t len)
{
    struct aac_config c;
    char codec[16];
    int rc = aac_config_parse(data, len, &c);
    if (rc != 0 && rc != ONAIR_EPROTO && rc != ONAIR_EINVAL && rc != ONAIR_ETOOBIG)
        abort();
    if (rc != 0)
        return;
    if (c.object_type == 0 || c.sample_rate == 0 || c.channels < 1 || c.channels > 7)
        abort();
    if (c.frame_length != 1024 && c.frame_length != 960)
        abort();
    if (c.asc_len != len || memcmp(c.asc, data, len) != 0)
        abort();
    aac_codec_string(&c, codec);
    size_t n = strlen(codec);
    if (n < 9 || n > 10)
        abort();
}

static void run(bool video, const uint8_t *body, size_t len)
{
    struct flv_packet p;
    const char *why = NULL;
    int rc = video ? flv_video_parse(body, len, &p, &why) : flv_audio_parse(body, len, &p, &why);
    if (rc != 0) {
        if ((rc != ONAIR_EPROTO && rc != ONAIR_EINVAL) || why == NULL || why[0] == '\0')
            abort();
        return;
    }
    if (p.data < body || p.len > len || p.data + p.len != body + len)
        abort();
    switch (p.kind) {
    case FLV_AVC_SEQUENCE_HEADER:
        if (!video || p.len == 0)
            abort();
        check_avc_config(p.data, p.len);
        break;
    case FLV_AVC_NALU:
        if (!video)
            abort();
        check_nalus(p.data, p.len);
        break;
    case FLV_AVC_END_OF_SEQUENCE:
        if (!video)
            abort();
        break;
    case FLV_AAC_SEQUENCE_HEADER:
        if (video || p.len == 0)
            abort();
        check_aac_config(p.data, p.len);
        break;
    case FLV_AAC_RAW:
        if (video)
            abort();
        break;
    default:
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    /* An exact-size copy so ASan flags any read past the body. */
    size_t len = size - 1;
    uint8_t *body = malloc(len ? len : 1);
    if (body == NULL)
        return 0;
    memcpy(body, data + 1, len);
    run(data[0] & 1, body, len);
    free(body);
    return 0;
}

/*
 * flv.c - FLV audio/video tag body headers (FLV spec v10.1, E.4.2 and E.4.3;
 * enhanced RTMP only far enough to refuse it politely).
 */
#include "media/flv.h"

#include "core/err.h"

static int fail(int err, const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return err;
}

/* Reasons for the enhanced-RTMP video FourCCs a publisher is likely to
 * try; anything else gets the generic one. */
static const char *ex_video_reason(const uint8_t *body, size_t len)
{
    static const struct {
        char fourcc[4];
        const char *why;
    } known[] = {
        {{'h', 'v', 'c', '1'}, "HEVC video (enhanced RTMP) is not supported; send H.264"},
        {{'a', 'v', '0', '1'}, "AV1 video (enhanced RTMP) is not supported; send H.264"},
        {{'v', 'p', '0', '9'}, "VP9 video (enhanced RTMP) is not supported; send H.264"},
        {{'v', 'p', '0', '8'}, "VP8 video (enhanced RTMP) is not supported; send H.264"},
        {{'a', 'v', 'c', '1'}, "enhanced RTMP H.264 is not supported; send legacy FLV H.264"},
    };
    if (len >= 5) {
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
            const char *f = known[i].fourcc;
            if (body[1] == (uint8_t)f[0] && body[2] == (uint8_t)f[1] && body[3] == (uint8_t)f[2] &&
                body[4] == (uint8_t)f[3])
                return known[i].why;
        }
    }
    return "enhanced RTMP video is not supported; send legacy FLV H.264";
}

static const char *video_codec_reason(unsigned codec)
{
    switch (codec) {
    case 2:
        return "Sorenson H.263 video is not supported; send H.264";
    case 3:
    case 6:
        return "Screen video is not supported; send H.264";
    case 4:
    case 5:
        return "On2 VP6 video is not supported; send H.264";
    case 12:
        return "HEVC video (FLV codec id 12) is not supported; send H.264";
    case 13:
        return "AV1 video (FLV codec id 13) is not supported; send H.264";
    default:
        return "unknown video codec; send H.264";
    }
}

int flv_video_parse(const uint8_t *body, size_t len, struct flv_packet *out, const char **why)
{
    if (len < 1)
        return fail(ONAIR_EPROTO, why, "empty video message");
    if (body[0] & 0x80) /* IsExHeader: a FourCC follows, not an FLV codec id */
        return fail(ONAIR_EINVAL, why, ex_video_reason(body, len));

    unsigned frame_type = body[0] >> 4; /* 0..7 here */
    unsigned codec = body[0] & 0x0f;
    if (frame_type == 5)
        return fail(ONAIR_EINVAL, why, "video info/command frame");
    if (frame_type == 0 || frame_type > 5)
        return fail(ONAIR_EPROTO, why, "invalid video frame type");
    if (codec != FLV_VIDEO_CODEC_AVC)
        return fail(ONAIR_EINVAL, why, video_codec_reason(codec));
    if (len < 5)
        return fail(ONAIR_EPROTO, why, "truncated AVC video header");

    switch (body[1]) {
    case 0:
        out->kind = FLV_AVC_SEQUENCE_HEADER;
        break;
    case 1:
        out->kind = FLV_AVC_NALU;
        break;
    case 2:
        out->kind = FLV_AVC_END_OF_SEQUENCE;
        break;
    default:
        return fail(ONAIR_EPROTO, why, "invalid AVC packet type");
    }
    if (out->kind == FLV_AVC_SEQUENCE_HEADER && len == 5)
        return fail(ONAIR_EPROTO, why, "empty AVC sequence header");

    /* SI24: sign-extend bit 23 without shifting into the sign bit. */
    uint32_t raw = ((uint32_t)body[2] << 16) | ((uint32_t)body[3] << 8) | body[4];
    out->cts = (int32_t)(raw & 0x7fffffu) - (int32_t)(raw & 0x800000u);
    out->keyframe = frame_type == 1;
    out->data = body + 5;
    out->len = len - 5;
    return 0;
}

static const char *audio_format_reason(unsigned format)
{
    switch (format) {
    case 0:
    case 3:
        return "PCM audio is not supported; send AAC";
    case 1:
        return "ADPCM audio is not supported; send AAC";
    case 2:
    case 14:
        return "MP3 audio is not supported; send AAC";
    case 4:
    case 5:
    case 6:
        return "Nellymoser audio is not supported; send AAC";
    case 7:
    case 8:
        return "G.711 audio is not supported; send AAC";
    case 9:
        return "enhanced RTMP audio is not supported; send legacy FLV AAC";
    case 11:
        return "Speex audio is not supported; send AAC";
    default:
        return "unknown audio format; send AAC";
    }
}

int flv_audio_parse(const uint8_t *body, size_t len, struct flv_packet *out, const char **why)
{
    if (len < 1)
        return fail(ONAIR_EPROTO, why, "empty audio message");
    unsigned format = body[0] >> 4;
    if (format != FLV_AUDIO_FORMAT_AAC)
        return fail(ONAIR_EINVAL, why, audio_format_reason(format));
    if (len < 2)
        return fail(ONAIR_EPROTO, why, "truncated AAC audio header");

    switch (body[1]) {
    case 0:
        out->kind = FLV_AAC_SEQUENCE_HEADER;
        if (len == 2)
            return fail(ONAIR_EPROTO, why, "empty AAC sequence header");
        break;
    case 1:
        out->kind = FLV_AAC_RAW;
        break;
    default:
        return fail(ONAIR_EPROTO, why, "invalid AAC packet type");
    }
    out->keyframe = false;
    out->cts = 0;
    out->data = body + 2;
    out->len = len - 2;
    return 0;
}

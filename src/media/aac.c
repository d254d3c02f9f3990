/*
 * aac.c - AudioSpecificConfig parsing (ISO 14496-3 1.6.2.1, 1.6.5 for the
 * SBR signalling, 4.4.1 GASpecificConfig).
 */
#include "media/aac.h"

#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "media/bits.h"

#define AOT_SBR 5
#define AOT_PS 29
#define AOT_ER_BSAC 22
#define SYNC_EXTENSION 0x2b7

static const uint32_t rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                   22050, 16000, 12000, 11025, 8000,  7350};

static uint32_t read_object_type(struct bits *b)
{
    uint32_t t = bits_read(b, 5);
    if (t == 31)
        t = 32 + bits_read(b, 6);
    return t;
}

/* samplingFrequencyIndex and, for 15, the explicit rate. 0 when invalid. */
static uint32_t read_rate(struct bits *b, uint8_t *index)
{
    uint32_t i = bits_read(b, 4);
    *index = (uint8_t)i;
    if (i == 15)
        return bits_read(b, 24);
    if (i >= 13)
        return 0;
    return rates[i];
}

/* Object types whose specific config is GASpecificConfig. */
static bool is_general_audio(uint32_t t)
{
    switch (t) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 6:
    case 7:
    case 17:
    case 19:
    case 20:
    case 21:
    case 22:
    case 23:
        return true;
    default:
        return false;
    }
}

/* The sync extension after a base config (1.6.2.1, "syncExtensionType"):
 * read only when all of it is present; anything else is ignored trailing
 * data. */
static void read_sync_extension(struct bits *b, struct aac_config *out)
{
    if (bits_left(b) < 16 || bits_read(b, 11) != SYNC_EXTENSION)
        return;
    uint32_t ext_type = read_object_type(b);
    if (ext_type == AOT_SBR && bits_read1(b)) { /* sbrPresentFlag */
        uint8_t index;
        uint32_t rate = read_rate(b, &index);
        if (bits_ok(b) && rate != 0)
            out->ext_sample_rate = rate;
    }
}

int aac_config_parse(const uint8_t *asc, size_t len, struct aac_config *out)
{
    if (len > AAC_ASC_MAX)
        return ONAIR_ETOOBIG;
    if (len < 2)
        return ONAIR_EPROTO;

    struct bits b;
    bits_init(&b, asc, len, false);
    uint32_t type = read_object_type(&b);
    uint32_t rate = read_rate(&b, &out->sample_rate_index);
    uint32_t chan = bits_read(&b, 4);
    if (!bits_ok(&b) || type == 0 || rate == 0)
        return ONAIR_EPROTO;
    if (chan == 0)
        return ONAIR_EINVAL; /* needs a program_config_element */
    if ((chan >= 8 && chan <= 10) || chan == 15)
        return ONAIR_EPROTO;
    if (chan > 10)
        return ONAIR_EINVAL;

    out->object_type = (uint8_t)type;
    out->sample_rate = rate;
    out->channels = (uint8_t)chan;
    out->ext_sample_rate = 0;
    out->frame_length = 1024;

    uint32_t base = type;
    bool explicit_sbr = type == AOT_SBR || type == AOT_PS;
    if (explicit_sbr) {
        uint8_t index;
        out->ext_sample_rate = read_rate(&b, &index);
        base = read_object_type(&b);
        if (!bits_ok(&b) || out->ext_sample_rate == 0 || base == 0)
            return ONAIR_EPROTO;
        if (base == AOT_ER_BSAC)
            bits_skip(&b, 4); /* extensionChannelConfiguration */
    }
    out->base_object_type = (uint8_t)base;

    if (is_general_audio(base)) {
        if (bits_read1(&b)) /* frameLengthFlag */
            out->frame_length = 960;
        if (bits_read1(&b))    /* dependsOnCoreCoder */
            bits_skip(&b, 14); /* coreCoderDelay */
        bool ext_flag = bits_read1(&b);
        if (base == 6 || base == 20)
            bits_skip(&b, 3); /* layerNr */
        if (ext_flag) {
            if (base == AOT_ER_BSAC)
                bits_skip(&b, 16); /* numOfSubFrame, layer_length */
            if (base == 17 || base == 19 || base == 20 || base == 23)
                bits_skip(&b, 3); /* the three resilience flags */
            bits_skip(&b, 1);     /* extensionFlag3 */
        }
        if (base >= 17)
            bits_skip(&b, 2); /* epConfig, for the error-resilient types */
        if (!bits_ok(&b))
            return ONAIR_EPROTO;
        if (!explicit_sbr)
            read_sync_extension(&b, out);
    }

    memcpy(out->asc, asc, len);
    out->asc_len = len;
    return 0;
}

void aac_codec_string(const struct aac_config *c, char out[16])
{
    char *p = out;
    memcpy(p, "mp4a.40.", 8);
    p += 8;
    unsigned t = c->object_type;
    if (t >= 100)
        *p++ = (char)('0' + t / 100);
    if (t >= 10)
        *p++ = (char)('0' + t / 10 % 10);
    *p++ = (char)('0' + t % 10);
    *p = '\0';
}

unsigned aac_channel_count(const struct aac_config *c)
{
    return c->channels == 7 ? 8 : c->channels;
}

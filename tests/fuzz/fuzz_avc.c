/*
 * fuzz_avc.c - libFuzzer target for the H.264 parsers (src/media/avc.c and
 * the bit reader in src/media/bits.h).
 *
 * Each input is given whole to avc_sps_dimensions (as an SPS NAL unit),
 * to avc_config_parse (as an avcC record) and to avc_nalus_scan with each
 * valid length size. Invariants (abort() when broken): only the documented
 * error codes; sizes in range; a parsed record's SPS gives the same size
 * again, and its first parameter sets are copied exactly.
 * Seeds: tests/fuzz/corpus/avc/ (SPSs and avcC records from libx264).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "media/avc.h"

static bool size_ok(uint32_t w, uint32_t h)
{
    return w > 0 && h > 0 && w <= AVC_MAX_MBS * 16 && h <= AVC_MAX_MBS * 16;
}

static void check_sps(const uint8_t *data, size_t size)
{
    uint32_t w = 0, h = 0;
    int rc = avc_sps_dimensions(data, size, &w, &h);
    if (rc != 0 && rc != ONAIR_EPROTO)
        abort();
    if (rc == 0 && !size_ok(w, h))
        abort();
}

static void check_record(const uint8_t *data, size_t size)
{
    struct avc_config c;
    int rc = avc_config_parse(data, size, &c);
    if (rc != 0 && rc != ONAIR_EPROTO && rc != ONAIR_ETOOBIG)
        abort();
    if (rc != 0)
        return;
    if (!size_ok(c.width, c.height) || c.record != data || c.record_len != size)
        abort();
    if (c.sps_len == 0 || c.sps_len > AVC_PARAM_MAX || c.pps_len == 0 || c.pps_len > AVC_PARAM_MAX)
        abort();
    /* The first SPS sits right after the 8-byte header. */
    if (size < 8 + c.sps_len || memcmp(c.sps, data + 8, c.sps_len) != 0)
        abort();
    if (avc_nal_type(c.sps[0]) != AVC_NAL_SPS || avc_nal_type(c.pps[0]) != AVC_NAL_PPS)
        abort();
    uint32_t w, h;
    if (avc_sps_dimensions(c.sps, c.sps_len, &w, &h) != 0 || w != c.width || h != c.height)
        abort();
    char codec[16];
    avc_codec_string(&c, codec);
    if (strlen(codec) != 11 || memcmp(codec, "avc1.", 5) != 0)
        abort();
}

static void check_nalus(const uint8_t *data, size_t size)
{
    static const uint8_t sizes[] = {1, 2, 4};
    for (size_t i = 0; i < sizeof sizes; i++) {
        unsigned count = 0;
        bool idr = false;
        int rc = avc_nalus_scan(data, size, sizes[i], &count, &idr);
        if (rc != 0 && rc != ONAIR_EPROTO)
            abort();
        /* Each unit takes at least a prefix and one byte. */
        if (rc == 0 && (size_t)count * (sizes[i] + 1u) > size)
            abort();
    }
    if (avc_nalus_scan(data, size, 3, NULL, NULL) != ONAIR_EINVAL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so ASan flags any read past size. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    check_sps(copy, size);
    check_record(copy, size);
    check_nalus(copy, size);
    free(copy);
    return 0;
}

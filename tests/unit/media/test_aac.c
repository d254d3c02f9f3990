/*
 * Unit tests for src/media/aac.c: AudioSpecificConfig parsing and the
 * RFC 6381 codec string. The 5-byte configs are what OBS (and ffmpeg's
 * native encoder, which OBS mirrors) put in the FLV sequence header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "media/aac.h"

static void test_obs_asc(void **state)
{
    (void)state;
    /* OBS 29: AAC-LC, 48 kHz, stereo, then sync extension 0x2b7 with
     * extension type 5 and sbrPresentFlag 0. */
    static const uint8_t asc[] = {0x11, 0x90, 0x56, 0xe5, 0x00};
    struct aac_config c;
    char codec[16];

    assert_int_equal(aac_config_parse(asc, sizeof asc, &c), 0);
    assert_int_equal(c.object_type, 2);
    assert_int_equal(c.base_object_type, 2);
    assert_int_equal(c.sample_rate_index, 3);
    assert_int_equal(c.sample_rate, 48000);
    assert_int_equal(c.ext_sample_rate, 0);
    assert_int_equal(c.channels, 2);
    assert_int_equal(aac_channel_count(&c), 2);
    assert_int_equal(c.frame_length, 1024);
    assert_int_equal(c.asc_len, sizeof asc);
    assert_memory_equal(c.asc, asc, sizeof asc);
    aac_codec_string(&c, codec);
    assert_string_equal(codec, "mp4a.40.2");
}

/* Sequence headers written by ffmpeg 5.1's aac encoder (all with the same
 * 56 e5 00 sync extension), and the same configs cut to the 2 bytes older
 * encoders send. */
static void test_ffmpeg_ascs(void **state)
{
    (void)state;
    static const struct {
        uint8_t b0, b1;
        uint32_t rate;
        uint8_t channels;
    } cases[] = {
        {0x11, 0x90, 48000, 2}, {0x12, 0x10, 44100, 2}, {0x11, 0x88, 48000, 1},
        {0x12, 0x08, 44100, 1}, {0x13, 0x90, 22050, 2}, {0x15, 0x88, 8000, 1},
        {0x10, 0x30, 96000, 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t asc[5] = {cases[i].b0, cases[i].b1, 0x56, 0xe5, 0x00};
        for (size_t len = 2; len <= 5; len += 3) {
            struct aac_config c;
            assert_int_equal(aac_config_parse(asc, len, &c), 0);
            assert_int_equal(c.object_type, 2);
            assert_int_equal(c.sample_rate, cases[i].rate);
            assert_int_equal(c.channels, cases[i].channels);
            assert_int_equal(c.ext_sample_rate, 0);
            assert_int_equal(c.asc_len, len);
        }
    }
}

static void test_partial_sync_extension_ignored(void **state)
{
    (void)state;
    /* 3 and 4 bytes: the sync extension is cut short; trailing bytes are
     * tolerated, whatever they are. */
    static const uint8_t asc[] = {0x11, 0x90, 0x56, 0xe5, 0x00};
    static const uint8_t junk[] = {0x11, 0x90, 0xff, 0xff, 0xff, 0xff};
    struct aac_config c;
    assert_int_equal(aac_config_parse(asc, 3, &c), 0);
    assert_int_equal(c.sample_rate, 48000);
    assert_int_equal(aac_config_parse(asc, 4, &c), 0);
    assert_int_equal(c.channels, 2);
    assert_int_equal(aac_config_parse(junk, sizeof junk, &c), 0);
    assert_int_equal(c.object_type, 2);
    assert_int_equal(c.ext_sample_rate, 0);
}

static void test_implicit_sbr(void **state)
{
    (void)state;
    /* AAC-LC 24 kHz stereo, sync extension with SBR present at 48 kHz:
     * backward-compatible HE-AAC keeps the base type. */
    static const uint8_t asc[] = {0x13, 0x10, 0x56, 0xe5, 0x98};
    struct aac_config c;
    char codec[16];
    assert_int_equal(aac_config_parse(asc, sizeof asc, &c), 0);
    assert_int_equal(c.object_type, 2);
    assert_int_equal(c.sample_rate, 24000);
    assert_int_equal(c.ext_sample_rate, 48000);
    aac_codec_string(&c, codec);
    assert_string_equal(codec, "mp4a.40.2");
}

static void test_explicit_sbr_and_ps(void **state)
{
    (void)state;
    /* HE-AAC: SBR, core 22.05 kHz stereo, output 44.1 kHz, base AAC-LC. */
    static const uint8_t he[] = {0x2b, 0x92, 0x08, 0x00};
    /* HE-AAC v2: PS, core 24 kHz mono, output 48 kHz. */
    static const uint8_t he2[] = {0xeb, 0x09, 0x88, 0x00};
    struct aac_config c;
    char codec[16];

    assert_int_equal(aac_config_parse(he, sizeof he, &c), 0);
    assert_int_equal(c.object_type, 5);
    assert_int_equal(c.base_object_type, 2);
    assert_int_equal(c.sample_rate, 22050);
    assert_int_equal(c.ext_sample_rate, 44100);
    assert_int_equal(c.channels, 2);
    aac_codec_string(&c, codec);
    assert_string_equal(codec, "mp4a.40.5");

    assert_int_equal(aac_config_parse(he2, sizeof he2, &c), 0);
    assert_int_equal(c.object_type, 29);
    assert_int_equal(c.base_object_type, 2);
    assert_int_equal(c.sample_rate, 24000);
    assert_int_equal(c.ext_sample_rate, 48000);
    assert_int_equal(c.channels, 1);
    aac_codec_string(&c, codec);
    assert_string_equal(codec, "mp4a.40.29");

    /* Cut inside the extension fields. */
    assert_int_equal(aac_config_parse(he, 2, &c), ONAIR_EPROTO);
    /* Extension sampling index 13 is reserved. */
    static const uint8_t bad_ext[] = {0x2b, 0x96, 0x88, 0x00};
    assert_int_equal(aac_config_parse(bad_ext, sizeof bad_ext, &c), ONAIR_EPROTO);
}

static void test_explicit_frequency(void **state)
{
    (void)state;
    /* AAC-LC, index 15 and 44000 Hz written out in 24 bits, stereo. */
    static const uint8_t asc[] = {0x17, 0x80, 0x55, 0xf0, 0x10};
    static const uint8_t zero[] = {0x17, 0x80, 0x00, 0x00, 0x10};
    struct aac_config c;
    assert_int_equal(aac_config_parse(asc, sizeof asc, &c), 0);
    assert_int_equal(c.sample_rate_index, 15);
    assert_int_equal(c.sample_rate, 44000);
    assert_int_equal(c.channels, 2);
    for (size_t len = 0; len < sizeof asc; len++)
        assert_int_equal(aac_config_parse(asc, len, &c), ONAIR_EPROTO);
    assert_int_equal(aac_config_parse(zero, sizeof zero, &c), ONAIR_EPROTO);
}

static void test_escaped_object_type(void **state)
{
    (void)state;
    /* 31 escapes to 32 + 6 bits: ER AAC ELD (39) and USAC (42), 48 kHz
     * stereo. Their specific configs are not read. */
    static const uint8_t eld[] = {0xf8, 0xe6, 0x40, 0x00};
    static const uint8_t usac[] = {0xf9, 0x46, 0x40};
    struct aac_config c;
    char codec[16];

    assert_int_equal(aac_config_parse(eld, sizeof eld, &c), 0);
    assert_int_equal(c.object_type, 39);
    assert_int_equal(c.sample_rate, 48000);
    assert_int_equal(c.channels, 2);
    aac_codec_string(&c, codec);
    assert_string_equal(codec, "mp4a.40.39");

    assert_int_equal(aac_config_parse(usac, sizeof usac, &c), 0);
    assert_int_equal(c.object_type, 42);
    aac_codec_string(&c, codec);
    assert_string_equal(codec, "mp4a.40.42");
    /* Two bytes hold the escape but not the channels. */
    assert_int_equal(aac_config_parse(usac, 2, &c), ONAIR_EPROTO);
}

static void test_ga_flags(void **state)
{
    (void)state;
    struct aac_config c;
    /* frameLengthFlag: 960-sample frames. */
    static const uint8_t f960[] = {0x12, 0x14};
    assert_int_equal(aac_config_parse(f960, sizeof f960, &c), 0);
    assert_int_equal(c.frame_length, 960);
    /* dependsOnCoreCoder needs 14 more bits. */
    static const uint8_t core[] = {0x12, 0x12, 0x00, 0x00};
    assert_int_equal(aac_config_parse(core, 2, &c), ONAIR_EPROTO);
    assert_int_equal(aac_config_parse(core, 3, &c), ONAIR_EPROTO);
    assert_int_equal(aac_config_parse(core, 4, &c), 0);
    /* ER AAC LD (23): GASpecificConfig then 2 bits of epConfig. */
    static const uint8_t ld[] = {0xb9, 0x88, 0x00};
    assert_int_equal(aac_config_parse(ld, sizeof ld, &c), 0);
    assert_int_equal(c.object_type, 23);
    assert_int_equal(c.channels, 1);
    assert_int_equal(aac_config_parse(ld, 2, &c), ONAIR_EPROTO);
}

static void test_channels(void **state)
{
    (void)state;
    struct aac_config c;
    static const uint8_t ch7[] = {0x11, 0xb8};
    assert_int_equal(aac_config_parse(ch7, sizeof ch7, &c), 0);
    assert_int_equal(c.channels, 7);
    assert_int_equal(aac_channel_count(&c), 8);

    static const uint8_t pce[] = {0x11, 0x80}; /* channel config 0 */
    assert_int_equal(aac_config_parse(pce, sizeof pce, &c), ONAIR_EINVAL);
    static const uint8_t ch8[] = {0x11, 0xc0}; /* reserved */
    assert_int_equal(aac_config_parse(ch8, sizeof ch8, &c), ONAIR_EPROTO);
    static const uint8_t ch11[] = {0x11, 0xd8}; /* 6.1, a later amendment */
    assert_int_equal(aac_config_parse(ch11, sizeof ch11, &c), ONAIR_EINVAL);
    static const uint8_t ch15[] = {0x11, 0xf8};
    assert_int_equal(aac_config_parse(ch15, sizeof ch15, &c), ONAIR_EPROTO);
}

static void test_invalid(void **state)
{
    (void)state;
    struct aac_config c;
    static const uint8_t obs[] = {0x11, 0x90, 0x56, 0xe5, 0x00};
    assert_int_equal(aac_config_parse(obs, 0, &c), ONAIR_EPROTO);
    assert_int_equal(aac_config_parse(obs, 1, &c), ONAIR_EPROTO);
    assert_int_equal(aac_config_parse(NULL, 0, &c), ONAIR_EPROTO);

    static const uint8_t idx13[] = {0x16, 0x90};
    static const uint8_t idx14[] = {0x17, 0x10};
    assert_int_equal(aac_config_parse(idx13, sizeof idx13, &c), ONAIR_EPROTO);
    assert_int_equal(aac_config_parse(idx14, sizeof idx14, &c), ONAIR_EPROTO);
    static const uint8_t aot0[] = {0x01, 0x90};
    assert_int_equal(aac_config_parse(aot0, sizeof aot0, &c), ONAIR_EPROTO);
}

static void test_size_cap(void **state)
{
    (void)state;
    uint8_t asc[AAC_ASC_MAX + 1];
    struct aac_config c;
    memset(asc, 0, sizeof asc);
    asc[0] = 0x11;
    asc[1] = 0x90;
    assert_int_equal(aac_config_parse(asc, AAC_ASC_MAX, &c), 0);
    assert_int_equal(c.asc_len, AAC_ASC_MAX);
    assert_int_equal(aac_config_parse(asc, AAC_ASC_MAX + 1, &c), ONAIR_ETOOBIG);
}

/* Every 2- and 3-byte config: only the documented results, and what is
 * accepted is in range. */
static void test_exhaustive_short(void **state)
{
    (void)state;
    for (uint32_t v = 0; v < (1u << 24); v += 7) {
        uint8_t asc[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        for (size_t len = 2; len <= 3; len++) {
            struct aac_config c;
            char codec[16];
            int rc = aac_config_parse(asc, len, &c);
            assert_true(rc == 0 || rc == ONAIR_EPROTO || rc == ONAIR_EINVAL);
            if (rc != 0)
                continue;
            assert_true(c.object_type >= 1 && c.object_type <= 95);
            assert_true(c.sample_rate > 0);
            assert_true(c.channels >= 1 && c.channels <= 7);
            assert_true(c.frame_length == 1024 || c.frame_length == 960);
            aac_codec_string(&c, codec);
            assert_true(strlen(codec) >= 9 && strlen(codec) <= 10);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_obs_asc),
        cmocka_unit_test(test_ffmpeg_ascs),
        cmocka_unit_test(test_partial_sync_extension_ignored),
        cmocka_unit_test(test_implicit_sbr),
        cmocka_unit_test(test_explicit_sbr_and_ps),
        cmocka_unit_test(test_explicit_frequency),
        cmocka_unit_test(test_escaped_object_type),
        cmocka_unit_test(test_ga_flags),
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_size_cap),
        cmocka_unit_test(test_exhaustive_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

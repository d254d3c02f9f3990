/*
 * Unit tests for src/media/flv.c: FLV audio/video tag bodies as RTMP
 * carries them. The bodies are real where they can be: a 64x64 High
 * stream with B-frames and in-band SPS/PPS on keyframes (as OBS sends),
 * silent 48 kHz stereo AAC, MP3 and Sorenson H.263, all from ffmpeg 5.1's
 * FLV muxer.
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
#include "media/avc.h"
#include "media/flv.h"

/* Video sequence header: keyframe, AVC, packet type 0, CTS 0, avcC. */
static const uint8_t video_seq[] = {
    0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x0a, 0xff, 0xe1, 0x00, 0x18,
    0x67, 0x64, 0x00, 0x0a, 0xac, 0xd9, 0x44, 0x26, 0xc0, 0x44, 0x00, 0x00, 0x03,
    0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x48, 0x96, 0x58, 0x01, 0x00,
    0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

/* Keyframe, CTS 67 ms: SPS, PPS, IDR. */
static const uint8_t video_key[] = {
    0x17, 0x01, 0x00, 0x00, 0x43, 0x00, 0x00, 0x00, 0x18, 0x67, 0x64, 0x00, 0x0a, 0xac, 0xd9, 0x44,
    0x26, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x48, 0x96,
    0x58, 0x00, 0x00, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0x00, 0x00, 0x00, 0x20, 0x65,
    0x88, 0x84, 0x00, 0x37, 0xff, 0xfe, 0xf6, 0xf0, 0xfe, 0x05, 0x36, 0x56, 0x04, 0x50, 0x97, 0x11,
    0xcd, 0xe8, 0x7c, 0xfd, 0x00, 0x05, 0x57, 0x6b, 0xda, 0xe1, 0xe2, 0x2f, 0xff, 0x54, 0x61,
};

/* Inter frame, CTS 133 ms: one P slice. */
static const uint8_t video_p[] = {
    0x27, 0x01, 0x00, 0x00, 0x85, 0x00, 0x00, 0x00, 0x0a, 0x41,
    0x9a, 0x23, 0x6c, 0x43, 0x7f, 0xfe, 0xa7, 0x8f, 0x88,
};

/* Audio sequence header as OBS 29 sends it. */
static const uint8_t audio_seq[] = {0xaf, 0x00, 0x11, 0x90, 0x56, 0xe5, 0x00};
/* An 8-byte frame of silence. */
static const uint8_t audio_silence[] = {0xaf, 0x01, 0x21, 0x10, 0x04, 0x60, 0x8c, 0x1c};

/* MP3 44.1 kHz mono (first bytes of a real frame). */
static const uint8_t audio_mp3[] = {0x2e, 0xff, 0xfb, 0x50, 0xc4, 0x00, 0x00, 0x0a, 0x2c, 0x43};
/* Sorenson H.263 keyframe (first bytes). */
static const uint8_t video_sorenson[] = {0x12, 0x00, 0x00, 0x84, 0x03, 0x11, 0x9e, 0x72};

static void test_video_sequence_header(void **state)
{
    (void)state;
    struct flv_packet p;
    const char *why = NULL;
    assert_int_equal(flv_video_parse(video_seq, sizeof video_seq, &p, &why), 0);
    assert_int_equal(p.kind, FLV_AVC_SEQUENCE_HEADER);
    assert_true(p.keyframe);
    assert_int_equal(p.cts, 0);
    assert_ptr_equal(p.data, video_seq + 5);
    assert_int_equal(p.len, sizeof video_seq - 5);
    assert_null(why);

    struct avc_config c;
    char codec[16];
    assert_int_equal(avc_config_parse(p.data, p.len, &c), 0);
    assert_int_equal(c.width, 64);
    assert_int_equal(c.height, 64);
    assert_int_equal(c.nal_length_size, 4);
    avc_codec_string(&c, codec);
    assert_string_equal(codec, "avc1.64000A");
}

static void test_video_nalus(void **state)
{
    (void)state;
    struct flv_packet p;
    unsigned count;
    bool idr;

    assert_int_equal(flv_video_parse(video_key, sizeof video_key, &p, NULL), 0);
    assert_int_equal(p.kind, FLV_AVC_NALU);
    assert_true(p.keyframe);
    assert_int_equal(p.cts, 67);
    assert_ptr_equal(p.data, video_key + 5);
    assert_int_equal(p.len, sizeof video_key - 5);
    assert_int_equal(avc_nalus_scan(p.data, p.len, 4, &count, &idr), 0);
    assert_int_equal(count, 3);
    assert_true(idr);

    assert_int_equal(flv_video_parse(video_p, sizeof video_p, &p, NULL), 0);
    assert_int_equal(p.kind, FLV_AVC_NALU);
    assert_false(p.keyframe);
    assert_int_equal(p.cts, 133);
    assert_int_equal(avc_nalus_scan(p.data, p.len, 4, &count, &idr), 0);
    assert_int_equal(count, 1);
    assert_false(idr);

    /* An empty NALU message is well-formed. */
    static const uint8_t empty[] = {0x27, 0x01, 0x00, 0x00, 0x00};
    assert_int_equal(flv_video_parse(empty, sizeof empty, &p, NULL), 0);
    assert_int_equal(p.len, 0);
}

static void test_video_cts(void **state)
{
    (void)state;
    static const struct {
        uint8_t b[3];
        int32_t cts;
    } cases[] = {
        {{0x00, 0x00, 0x00}, 0},     {{0x00, 0x00, 0xa6}, 166},     {{0xff, 0xff, 0xce}, -50},
        {{0xff, 0xff, 0xff}, -1},    {{0x7f, 0xff, 0xff}, 8388607}, {{0x80, 0x00, 0x00}, -8388608},
        {{0x01, 0x00, 0x00}, 65536},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t body[sizeof video_p];
        struct flv_packet p;
        memcpy(body, video_p, sizeof body);
        memcpy(body + 2, cases[i].b, 3);
        assert_int_equal(flv_video_parse(body, sizeof body, &p, NULL), 0);
        assert_int_equal(p.cts, cases[i].cts);
    }
}

static void test_video_end_of_sequence(void **state)
{
    (void)state;
    static const uint8_t eos[] = {0x17, 0x02, 0x00, 0x00, 0x00};
    struct flv_packet p;
    assert_int_equal(flv_video_parse(eos, sizeof eos, &p, NULL), 0);
    assert_int_equal(p.kind, FLV_AVC_END_OF_SEQUENCE);
    assert_true(p.keyframe);
    assert_int_equal(p.len, 0);
}

static void test_video_frame_types(void **state)
{
    (void)state;
    uint8_t body[sizeof video_p];
    struct flv_packet p;
    const char *why;
    static const struct {
        uint8_t type;
        int rc;
        bool key;
    } cases[] = {
        {0, ONAIR_EPROTO, false},
        {1, 0, true},
        {2, 0, false},
        {3, 0, false}, /* disposable inter frame */
        {4, 0, false}, /* generated keyframe: not a random access point we trust */
        {5, ONAIR_EINVAL, false},
        {6, ONAIR_EPROTO, false},
        {7, ONAIR_EPROTO, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(body, video_p, sizeof body);
        body[0] = (uint8_t)(cases[i].type << 4 | FLV_VIDEO_CODEC_AVC);
        why = NULL;
        assert_int_equal(flv_video_parse(body, sizeof body, &p, &why), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(p.keyframe, cases[i].key);
            assert_null(why);
        } else {
            assert_non_null(why);
        }
    }

    /* An info/command frame (start of client-side seek). */
    static const uint8_t info[] = {0x57, 0x00};
    why = NULL;
    assert_int_equal(flv_video_parse(info, sizeof info, &p, &why), ONAIR_EINVAL);
    assert_non_null(why);
    assert_non_null(strstr(why, "info/command"));
}

static void test_video_malformed(void **state)
{
    (void)state;
    struct flv_packet p;
    const char *why = NULL;

    static const uint8_t bad_type[] = {0x17, 0x03, 0x00, 0x00, 0x00, 0x01};
    assert_int_equal(flv_video_parse(bad_type, sizeof bad_type, &p, &why), ONAIR_EPROTO);
    assert_non_null(why);

    /* A sequence header with no record. */
    static const uint8_t empty_seq[] = {0x17, 0x00, 0x00, 0x00, 0x00};
    why = NULL;
    assert_int_equal(flv_video_parse(empty_seq, sizeof empty_seq, &p, &why), ONAIR_EPROTO);
    assert_non_null(why);

    /* Every cut of the real bodies: the header needs 5 bytes, the sequence
     * header one more. */
    for (size_t len = 0; len < sizeof video_key; len++) {
        int rc = flv_video_parse(video_key, len, &p, NULL);
        assert_int_equal(rc, len < 5 ? ONAIR_EPROTO : 0);
        if (rc == 0)
            assert_int_equal(p.len, len - 5);
    }
    for (size_t len = 0; len < sizeof video_seq; len++) {
        why = NULL;
        int rc = flv_video_parse(video_seq, len, &p, &why);
        assert_int_equal(rc, len < 6 ? ONAIR_EPROTO : 0);
        if (rc != 0)
            assert_non_null(why);
    }
    assert_int_equal(flv_video_parse(NULL, 0, &p, NULL), ONAIR_EPROTO);
}

static void test_video_other_codecs(void **state)
{
    (void)state;
    struct flv_packet p;
    const char *why = NULL;

    assert_int_equal(flv_video_parse(video_sorenson, sizeof video_sorenson, &p, &why),
                     ONAIR_EINVAL);
    assert_non_null(strstr(why, "Sorenson"));

    static const struct {
        uint8_t b0;
        const char *word;
    } legacy[] = {
        {0x13, "Screen"}, {0x14, "VP6"}, {0x15, "VP6"},     {0x16, "Screen"},
        {0x1c, "HEVC"},   {0x1d, "AV1"}, {0x11, "unknown"}, {0x1f, "unknown"},
    };
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++) {
        uint8_t body[] = {legacy[i].b0, 0x00, 0x00, 0x00, 0x00, 0x01};
        why = NULL;
        assert_int_equal(flv_video_parse(body, sizeof body, &p, &why), ONAIR_EINVAL);
        assert_non_null(why);
        assert_non_null(strstr(why, legacy[i].word));
        /* One byte is enough to tell. */
        assert_int_equal(flv_video_parse(body, 1, &p, NULL), ONAIR_EINVAL);
    }

    /* Enhanced RTMP: IsExHeader, frame type, packet type, FourCC. */
    static const struct {
        const char *fourcc;
        const char *word;
    } ex[] = {
        {"hvc1", "HEVC"}, {"av01", "AV1"},    {"vp09", "VP9"},
        {"vp08", "VP8"},  {"avc1", "legacy"}, {"xyzw", "enhanced"},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        uint8_t body[] = {0x90, 0, 0, 0, 0, 0x01, 0x02};
        memcpy(body + 1, ex[i].fourcc, 4);
        why = NULL;
        assert_int_equal(flv_video_parse(body, sizeof body, &p, &why), ONAIR_EINVAL);
        assert_non_null(strstr(why, ex[i].word));
        /* Coded frames, inter frame: same answer. */
        body[0] = 0xa1;
        assert_int_equal(flv_video_parse(body, sizeof body, &p, &why), ONAIR_EINVAL);
        assert_non_null(strstr(why, ex[i].word));
        /* Cut before the FourCC: still refused, generically. */
        for (size_t len = 1; len < 5; len++) {
            why = NULL;
            assert_int_equal(flv_video_parse(body, len, &p, &why), ONAIR_EINVAL);
            assert_non_null(strstr(why, "enhanced"));
        }
    }
}

static void test_audio_aac(void **state)
{
    (void)state;
    struct flv_packet p;
    struct aac_config c;
    char codec[16];

    assert_int_equal(flv_audio_parse(audio_seq, sizeof audio_seq, &p, NULL), 0);
    assert_int_equal(p.kind, FLV_AAC_SEQUENCE_HEADER);
    assert_false(p.keyframe);
    assert_int_equal(p.cts, 0);
    assert_ptr_equal(p.data, audio_seq + 2);
    assert_int_equal(p.len, 5);
    assert_int_equal(aac_config_parse(p.data, p.len, &c), 0);
    assert_int_equal(c.sample_rate, 48000);
    assert_int_equal(c.channels, 2);
    aac_codec_string(&c, codec);
    assert_string_equal(codec, "mp4a.40.2");

    assert_int_equal(flv_audio_parse(audio_silence, sizeof audio_silence, &p, NULL), 0);
    assert_int_equal(p.kind, FLV_AAC_RAW);
    assert_ptr_equal(p.data, audio_silence + 2);
    assert_int_equal(p.len, 6);

    /* The rate/size/type bits do not matter for AAC (the ASC rules):
     * 0xa0 (5.5 kHz, 8-bit, mono) is taken like 0xaf. */
    static const uint8_t odd_flags[] = {0xa0, 0x01, 0x21};
    assert_int_equal(flv_audio_parse(odd_flags, sizeof odd_flags, &p, NULL), 0);
    assert_int_equal(p.kind, FLV_AAC_RAW);
}

static void test_audio_malformed(void **state)
{
    (void)state;
    struct flv_packet p;
    const char *why = NULL;

    for (size_t len = 0; len < sizeof audio_seq; len++) {
        why = NULL;
        int rc = flv_audio_parse(audio_seq, len, &p, &why);
        assert_int_equal(rc, len < 3 ? ONAIR_EPROTO : 0);
        if (rc != 0)
            assert_non_null(why);
    }
    for (size_t len = 0; len < sizeof audio_silence; len++) {
        int rc = flv_audio_parse(audio_silence, len, &p, NULL);
        assert_int_equal(rc, len < 2 ? ONAIR_EPROTO : 0);
        if (rc == 0)
            assert_int_equal(p.len, len - 2);
    }
    static const uint8_t bad_type[] = {0xaf, 0x02, 0x00};
    why = NULL;
    assert_int_equal(flv_audio_parse(bad_type, sizeof bad_type, &p, &why), ONAIR_EPROTO);
    assert_non_null(why);
    assert_int_equal(flv_audio_parse(NULL, 0, &p, NULL), ONAIR_EPROTO);
}

static void test_audio_other_formats(void **state)
{
    (void)state;
    struct flv_packet p;
    const char *why = NULL;

    assert_int_equal(flv_audio_parse(audio_mp3, sizeof audio_mp3, &p, &why), ONAIR_EINVAL);
    assert_non_null(strstr(why, "MP3"));

    static const struct {
        uint8_t format;
        const char *word;
    } cases[] = {
        {0, "PCM"},        {1, "ADPCM"},      {2, "MP3"},      {3, "PCM"},   {4, "Nellymoser"},
        {5, "Nellymoser"}, {6, "Nellymoser"}, {7, "G.711"},    {8, "G.711"}, {9, "enhanced"},
        {11, "Speex"},     {12, "unknown"},   {13, "unknown"}, {14, "MP3"},  {15, "unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t body[] = {(uint8_t)(cases[i].format << 4 | 0x0f), 0x00, 0x11, 0x90};
        for (size_t len = 1; len <= sizeof body; len++) {
            why = NULL;
            assert_int_equal(flv_audio_parse(body, len, &p, &why), ONAIR_EINVAL);
            assert_non_null(why);
            assert_non_null(strstr(why, cases[i].word));
        }
    }
}

/* Every first byte and packet type over short bodies: only the documented
 * results; a reason with every error; payloads inside the input. */
static void test_exhaustive_headers(void **state)
{
    (void)state;
    uint8_t body[8] = {0, 0, 0x80, 0x00, 0x01, 0x11, 0x90, 0x00};
    for (unsigned b0 = 0; b0 < 256; b0++) {
        for (unsigned b1 = 0; b1 < 256; b1++) {
            body[0] = (uint8_t)b0;
            body[1] = (uint8_t)b1;
            for (size_t len = 0; len <= sizeof body; len++) {
                for (int video = 0; video < 2; video++) {
                    struct flv_packet p;
                    const char *why = NULL;
                    int rc = video ? flv_video_parse(body, len, &p, &why)
                                   : flv_audio_parse(body, len, &p, &why);
                    if (rc != 0) {
                        assert_true(rc == ONAIR_EPROTO || rc == ONAIR_EINVAL);
                        assert_non_null(why);
                        assert_true(strlen(why) > 0);
                        continue;
                    }
                    assert_null(why);
                    assert_true(p.data >= body && p.data + p.len == body + len);
                    if (video) {
                        assert_true(p.kind == FLV_AVC_SEQUENCE_HEADER || p.kind == FLV_AVC_NALU ||
                                    p.kind == FLV_AVC_END_OF_SEQUENCE);
                        assert_int_equal(p.cts, -8388607); /* 0x800001 */
                    } else {
                        assert_true(p.kind == FLV_AAC_SEQUENCE_HEADER || p.kind == FLV_AAC_RAW);
                    }
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_video_sequence_header),
        cmocka_unit_test(test_video_nalus),
        cmocka_unit_test(test_video_cts),
        cmocka_unit_test(test_video_end_of_sequence),
        cmocka_unit_test(test_video_frame_types),
        cmocka_unit_test(test_video_malformed),
        cmocka_unit_test(test_video_other_codecs),
        cmocka_unit_test(test_audio_aac),
        cmocka_unit_test(test_audio_malformed),
        cmocka_unit_test(test_audio_other_formats),
        cmocka_unit_test(test_exhaustive_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

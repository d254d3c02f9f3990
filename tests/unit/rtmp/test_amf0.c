/*
 * Unit tests for src/rtmp/amf0.c: AMF0 decoding of what OBS really sends,
 * round trips through the encoders, and malformed input.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "rtmp/amf0.h"

/* connect(txn 1, {...}) exactly as OBS 29 sends it (reference/obs-rtmp.md). */
static const char OBS_CONNECT[] = "\x02\x00\x07"
                                  "connect"
                                  "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00" /* 1.0 */
                                  "\x03"
                                  "\x00\x03"
                                  "app"
                                  "\x02\x00\x04"
                                  "live"
                                  "\x00\x04"
                                  "type"
                                  "\x02\x00\x0a"
                                  "nonprivate"
                                  "\x00\x0e"
                                  "supportsGoAway"
                                  "\x01\x01"
                                  "\x00\x08"
                                  "flashVer"
                                  "\x02\x00\x1f"
                                  "FMLE/3.0 (compatible; FMSc/1.0)"
                                  "\x00\x06"
                                  "swfUrl"
                                  "\x02\x00\x1b"
                                  "rtmp://127.0.0.1:19350/live"
                                  "\x00\x05"
                                  "tcUrl"
                                  "\x02\x00\x1b"
                                  "rtmp://127.0.0.1:19350/live"
                                  "\x00\x00\x09";
#define OBS_CONNECT_LEN (sizeof OBS_CONNECT - 1)

/* publish(txn 5, null, 'obs1', 'live') */
static const char OBS_PUBLISH[] = "\x02\x00\x07"
                                  "publish"
                                  "\x00\x40\x14\x00\x00\x00\x00\x00\x00" /* 5.0 */
                                  "\x05"
                                  "\x02\x00\x04"
                                  "obs1"
                                  "\x02\x00\x04"
                                  "live";
#define OBS_PUBLISH_LEN (sizeof OBS_PUBLISH - 1)

static void expect_str(const struct amf0_value *v, const char *want)
{
    const char *s;
    uint32_t len;
    assert_non_null(v);
    assert_true(amf0_string(v, &s, &len));
    assert_int_equal(len, strlen(want));
    assert_memory_equal(s, want, len);
    assert_true(amf0_string_eq(v, want));
}

static void expect_num(const struct amf0_value *v, double want)
{
    double n;
    assert_non_null(v);
    assert_true(amf0_number(v, &n));
    assert_true(n == want);
}

static void test_obs_connect(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[8];
    int n = amf0_decode(d, (const uint8_t *)OBS_CONNECT, OBS_CONNECT_LEN, v, 8);
    assert_int_equal(n, 3);
    expect_str(&v[0], "connect");
    expect_num(&v[1], 1);
    assert_int_equal(v[2].type, AMF0_OBJECT);
    assert_int_equal(v[2].nprops, 6);
    expect_str(amf0_get(&v[2], "app"), "live");
    expect_str(amf0_get(&v[2], "type"), "nonprivate");
    expect_str(amf0_get(&v[2], "flashVer"), "FMLE/3.0 (compatible; FMSc/1.0)");
    expect_str(amf0_get(&v[2], "swfUrl"), "rtmp://127.0.0.1:19350/live");
    expect_str(amf0_get(&v[2], "tcUrl"), "rtmp://127.0.0.1:19350/live");
    const struct amf0_value *goaway = amf0_get(&v[2], "supportsGoAway");
    assert_non_null(goaway);
    assert_int_equal(goaway->type, AMF0_BOOLEAN);
    assert_true(goaway->boolean);
    assert_null(amf0_get(&v[2], "objectEncoding"));
    assert_null(amf0_get(&v[2], "ap"));  /* prefixes do not match */
    assert_null(amf0_get(&v[0], "app")); /* not an object */
    assert_null(amf0_get(NULL, "app"));
    /* The order on the wire is kept. */
    assert_int_equal(v[2].key_lens[2], 14);
    assert_memory_equal(v[2].keys[2], "supportsGoAway", 14);

    /* The encoders rebuild the same bytes. */
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(amf0_write_string(&b, "connect", 7), 0);
    assert_int_equal(amf0_write_number(&b, 1), 0);
    assert_int_equal(amf0_write_object_begin(&b), 0);
    assert_int_equal(amf0_write_prop_name(&b, "app"), 0);
    assert_int_equal(amf0_write_string(&b, "live", 4), 0);
    assert_int_equal(amf0_write_prop_name(&b, "type"), 0);
    assert_int_equal(amf0_write_string(&b, "nonprivate", 10), 0);
    assert_int_equal(amf0_write_prop_name(&b, "supportsGoAway"), 0);
    assert_int_equal(amf0_write_bool(&b, true), 0);
    assert_int_equal(amf0_write_prop_name(&b, "flashVer"), 0);
    assert_int_equal(amf0_write_string(&b, "FMLE/3.0 (compatible; FMSc/1.0)", 31), 0);
    assert_int_equal(amf0_write_prop_name(&b, "swfUrl"), 0);
    assert_int_equal(amf0_write_string(&b, "rtmp://127.0.0.1:19350/live", 27), 0);
    assert_int_equal(amf0_write_prop_name(&b, "tcUrl"), 0);
    assert_int_equal(amf0_write_string(&b, "rtmp://127.0.0.1:19350/live", 27), 0);
    assert_int_equal(amf0_write_object_end(&b), 0);
    assert_int_equal(b.len, OBS_CONNECT_LEN);
    assert_memory_equal(b.data, OBS_CONNECT, OBS_CONNECT_LEN);

    /* And amf0_write_value of the decoded tree too. */
    buf_reset(&b);
    for (int i = 0; i < n; i++)
        assert_int_equal(amf0_write_value(&b, &v[i]), 0);
    assert_int_equal(b.len, OBS_CONNECT_LEN);
    assert_memory_equal(b.data, OBS_CONNECT, OBS_CONNECT_LEN);
    buf_free(&b);
    amf0_decoder_free(d);
}

static void test_obs_publish(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[8];
    assert_int_equal(amf0_decode(d, (const uint8_t *)OBS_PUBLISH, OBS_PUBLISH_LEN, v, 8), 5);
    expect_str(&v[0], "publish");
    expect_num(&v[1], 5);
    assert_int_equal(v[2].type, AMF0_NULL);
    expect_str(&v[3], "obs1");
    expect_str(&v[4], "live");
    /* max_values stops early without looking further. */
    assert_int_equal(amf0_decode(d, (const uint8_t *)OBS_PUBLISH, OBS_PUBLISH_LEN, v, 2), 2);
    expect_num(&v[1], 5);
    assert_int_equal(amf0_decode(d, (const uint8_t *)OBS_PUBLISH, OBS_PUBLISH_LEN, v, 0), 0);
    assert_int_equal(amf0_decode(d, (const uint8_t *)"", 0, v, 8), 0);
    amf0_decoder_free(d);
}

struct meta_prop {
    const char *key;
    int kind; /* 0 number, 1 bool, 2 string */
    double num;
    const char *str;
};

static const struct meta_prop OBS_META[20] = {
    {"duration", 0, 0, NULL},
    {"fileSize", 0, 0, NULL},
    {"width", 0, 1280, NULL},
    {"height", 0, 720, NULL},
    {"videocodecid", 0, 7, NULL},
    {"videodatarate", 0, 2500, NULL},
    {"framerate", 0, 30, NULL},
    {"audiocodecid", 0, 10, NULL},
    {"audiodatarate", 0, 160, NULL},
    {"audiosamplerate", 0, 48000, NULL},
    {"audiosamplesize", 0, 16, NULL},
    {"audiochannels", 0, 2, NULL},
    {"stereo", 1, 1, NULL},
    {"2.1", 1, 0, NULL},
    {"3.1", 1, 0, NULL},
    {"4.0", 1, 0, NULL},
    {"4.1", 1, 0, NULL},
    {"5.1", 1, 0, NULL},
    {"7.1", 1, 0, NULL},
    {"encoder", 2, 0, "obs-output module (libobs version 29.0.2.1-1+b1)"},
};

/* @setDataFrame('onMetaData', ECMA array) with the given count hint. */
static void build_metadata(struct buf *b, uint32_t count)
{
    assert_int_equal(amf0_write_string(b, "@setDataFrame", 13), 0);
    assert_int_equal(amf0_write_string(b, "onMetaData", 10), 0);
    assert_int_equal(amf0_write_ecma_begin(b, count), 0);
    for (int i = 0; i < 20; i++) {
        const struct meta_prop *p = &OBS_META[i];
        assert_int_equal(amf0_write_prop_name(b, p->key), 0);
        if (p->kind == 0)
            assert_int_equal(amf0_write_number(b, p->num), 0);
        else if (p->kind == 1)
            assert_int_equal(amf0_write_bool(b, p->num != 0), 0);
        else
            assert_int_equal(amf0_write_string(b, p->str, strlen(p->str)), 0);
    }
    assert_int_equal(amf0_write_object_end(b), 0);
}

static void test_obs_metadata(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[4];
    struct buf b;
    buf_init(&b, 0);
    build_metadata(&b, 20);
    /* The exact start on the wire. */
    assert_memory_equal(
        b.data, "\x02\x00\x0d@setDataFrame\x02\x00\x0aonMetaData\x08\x00\x00\x00\x14", 16 + 13 + 5);
    assert_memory_equal(b.data + b.len - 3, "\x00\x00\x09", 3);

    /* Whatever the count says, the end marker ends the array. */
    uint32_t hints[] = {20, 0, 3, 0xFFFFFFFF};
    for (size_t h = 0; h < sizeof hints / sizeof hints[0]; h++) {
        buf_reset(&b);
        build_metadata(&b, hints[h]);
        assert_int_equal(amf0_decode(d, (const uint8_t *)b.data, b.len, v, 4), 3);
        expect_str(&v[0], "@setDataFrame");
        expect_str(&v[1], "onMetaData");
        assert_int_equal(v[2].type, AMF0_ECMA_ARRAY);
        assert_int_equal(v[2].nprops, 20);
        for (int i = 0; i < 20; i++) {
            const struct meta_prop *p = &OBS_META[i];
            const struct amf0_value *pv = amf0_get(&v[2], p->key);
            assert_non_null(pv);
            assert_ptr_equal(pv, &v[2].props[i]);
            if (p->kind == 0) {
                expect_num(pv, p->num);
            } else if (p->kind == 1) {
                assert_int_equal(pv->type, AMF0_BOOLEAN);
                assert_int_equal(pv->boolean, p->num != 0);
            } else {
                expect_str(pv, p->str);
            }
        }
    }

    /* Without the end marker it is truncated. */
    assert_int_equal(amf0_decode(d, (const uint8_t *)b.data, b.len - 3, v, 4), ONAIR_EPROTO);
    buf_free(&b);
    amf0_decoder_free(d);
}

static bool same_value(const struct amf0_value *a, const struct amf0_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case AMF0_NUMBER:
    case AMF0_DATE:
        return memcmp(&a->number, &b->number, sizeof a->number) == 0;
    case AMF0_BOOLEAN:
        return a->boolean == b->boolean;
    case AMF0_STRING:
    case AMF0_LONG_STRING:
        return a->str_len == b->str_len && memcmp(a->str, b->str, a->str_len) == 0;
    case AMF0_NULL:
    case AMF0_UNDEFINED:
        return true;
    case AMF0_OBJECT:
    case AMF0_ECMA_ARRAY:
    case AMF0_STRICT_ARRAY:
        if (a->nprops != b->nprops)
            return false;
        for (uint32_t i = 0; i < a->nprops; i++) {
            if (a->type != AMF0_STRICT_ARRAY &&
                (a->key_lens[i] != b->key_lens[i] ||
                 memcmp(a->keys[i], b->keys[i], a->key_lens[i]) != 0))
                return false;
            if (!same_value(&a->props[i], &b->props[i]))
                return false;
        }
        return true;
    }
    return false;
}

static void test_scalars_round_trip(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[16];
    struct buf b;
    buf_init(&b, 0);
    double nums[] = {0.0, -0.0, 1.0, -1.5, 1e300, 5e-324, INFINITY, -INFINITY, 4294967296.0};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        assert_int_equal(amf0_write_number(&b, nums[i]), 0);
    assert_int_equal(amf0_write_number(&b, NAN), 0);
    assert_int_equal(amf0_write_bool(&b, false), 0);
    assert_int_equal(amf0_write_null(&b), 0);
    assert_int_equal(amf0_write_undefined(&b), 0);
    assert_int_equal(amf0_write_date(&b, 1700000000000.0), 0);
    assert_int_equal(amf0_write_string(&b, "", 0), 0);
    assert_int_equal(amf0_write_string(&b, "a\0b", 3), 0);

    int n = amf0_decode(d, (const uint8_t *)b.data, b.len, v, 16);
    assert_int_equal(n, 16);
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(v[i].type, AMF0_NUMBER);
        assert_memory_equal(&v[i].number, &nums[i], sizeof(double));
    }
    assert_true(isnan(v[9].number));
    assert_int_equal(v[10].type, AMF0_BOOLEAN);
    assert_false(v[10].boolean);
    assert_int_equal(v[11].type, AMF0_NULL);
    assert_int_equal(v[12].type, AMF0_UNDEFINED);
    assert_int_equal(v[13].type, AMF0_DATE);
    assert_true(v[13].number == 1700000000000.0);
    assert_int_equal(v[14].type, AMF0_STRING);
    assert_int_equal(v[14].str_len, 0);
    expect_str(&v[14], "");
    assert_int_equal(v[15].str_len, 3);
    assert_memory_equal(v[15].str, "a\0b", 3);
    assert_false(amf0_string(&v[0], &(const char *){NULL}, &(uint32_t){0}));
    assert_false(amf0_number(&v[14], &(double){0}));

    /* Exact bytes of a few encodings. */
    buf_reset(&b);
    assert_int_equal(amf0_write_number(&b, 1.0), 0);
    assert_int_equal(amf0_write_bool(&b, true), 0);
    assert_int_equal(amf0_write_null(&b), 0);
    assert_int_equal(amf0_write_date(&b, 0), 0);
    assert_int_equal(amf0_write_strict_array_begin(&b, 2), 0);
    assert_int_equal(b.len, 9 + 2 + 1 + 11 + 5);
    assert_memory_equal(b.data,
                        "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00\x01\x01\x05"
                        "\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a\x00\x00\x00\x02",
                        b.len);

    /* A date's time zone is read and dropped. */
    static const uint8_t date_tz[] = {0x0b, 0x40, 0x59, 0, 0, 0, 0, 0, 0, 0xff, 0xc4};
    assert_int_equal(amf0_decode(d, date_tz, sizeof date_tz, v, 1), 1);
    assert_int_equal(v[0].type, AMF0_DATE);
    assert_true(v[0].number == 100.0);
    buf_free(&b);
    amf0_decoder_free(d);
}

static void test_long_string(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[2];
    struct buf b;
    buf_init(&b, 0);
    size_t len = 70000;
    char *s = malloc(len);
    for (size_t i = 0; i < len; i++)
        s[i] = (char)('a' + i % 26);
    assert_int_equal(amf0_write_string(&b, s, 65535), 0); /* still short */
    assert_int_equal((uint8_t)b.data[0], 0x02);
    assert_int_equal(amf0_write_string(&b, s, len), 0); /* long */
    assert_int_equal((uint8_t)b.data[3 + 65535], 0x0c);
    assert_memory_equal(b.data + 3 + 65535 + 1, "\x00\x01\x11\x70", 4);
    assert_int_equal(amf0_decode(d, (const uint8_t *)b.data, b.len, v, 2), 2);
    assert_int_equal(v[0].type, AMF0_STRING);
    assert_int_equal(v[0].str_len, 65535);
    assert_int_equal(v[1].type, AMF0_LONG_STRING);
    assert_int_equal(v[1].str_len, len);
    assert_memory_equal(v[1].str, s, len);

    /* A short long-string keeps its type through amf0_write_value. */
    buf_reset(&b);
    assert_int_equal(amf0_write_long_string(&b, "hi", 2), 0);
    assert_memory_equal(b.data, "\x0c\x00\x00\x00\x02hi", 7);
    assert_int_equal(amf0_decode(d, (const uint8_t *)b.data, b.len, v, 2), 1);
    assert_int_equal(v[0].type, AMF0_LONG_STRING);
    struct buf b2;
    buf_init(&b2, 0);
    assert_int_equal(amf0_write_value(&b2, &v[0]), 0);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.data, b.data, b.len);
    buf_free(&b2);
    free(s);
    buf_free(&b);
    amf0_decoder_free(d);
}

static void test_nested_round_trip(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[4], w[4];
    struct buf b, b2;
    buf_init(&b, 0);
    buf_init(&b2, 0);

    /* _result(1, {fmsVer, capabilities}, {level, code, data: {version},
     * list: [1, 'x', {}, []]}) */
    assert_int_equal(amf0_write_string(&b, "_result", 7), 0);
    assert_int_equal(amf0_write_number(&b, 1), 0);
    assert_int_equal(amf0_write_object_begin(&b), 0);
    assert_int_equal(amf0_write_prop_name(&b, "fmsVer"), 0);
    assert_int_equal(amf0_write_string(&b, "FMS/3,0,1,123", 13), 0);
    assert_int_equal(amf0_write_prop_name(&b, "capabilities"), 0);
    assert_int_equal(amf0_write_number(&b, 31), 0);
    assert_int_equal(amf0_write_object_end(&b), 0);
    assert_int_equal(amf0_write_object_begin(&b), 0);
    assert_int_equal(amf0_write_prop_name(&b, "level"), 0);
    assert_int_equal(amf0_write_string(&b, "status", 6), 0);
    assert_int_equal(amf0_write_prop_name(&b, "code"), 0);
    assert_int_equal(amf0_write_string(&b, "NetConnection.Connect.Success", 29), 0);
    assert_int_equal(amf0_write_prop_name(&b, "data"), 0);
    assert_int_equal(amf0_write_ecma_begin(&b, 1), 0);
    assert_int_equal(amf0_write_prop_name(&b, "version"), 0);
    assert_int_equal(amf0_write_string(&b, "3,5,1,525", 9), 0);
    assert_int_equal(amf0_write_object_end(&b), 0);
    assert_int_equal(amf0_write_prop_name(&b, "list"), 0);
    assert_int_equal(amf0_write_strict_array_begin(&b, 4), 0);
    assert_int_equal(amf0_write_number(&b, 1), 0);
    assert_int_equal(amf0_write_string(&b, "x", 1), 0);
    assert_int_equal(amf0_write_object_begin(&b), 0);
    assert_int_equal(amf0_write_object_end(&b), 0);
    assert_int_equal(amf0_write_strict_array_begin(&b, 0), 0);
    assert_int_equal(amf0_write_object_end(&b), 0);

    assert_int_equal(amf0_decode(d, (const uint8_t *)b.data, b.len, v, 4), 4);
    assert_int_equal(v[3].nprops, 4);
    const struct amf0_value *data = amf0_get(&v[3], "data");
    assert_non_null(data);
    assert_int_equal(data->type, AMF0_ECMA_ARRAY);
    expect_str(amf0_get(data, "version"), "3,5,1,525");
    const struct amf0_value *list = amf0_get(&v[3], "list");
    assert_int_equal(list->type, AMF0_STRICT_ARRAY);
    assert_int_equal(list->nprops, 4);
    assert_null(list->keys);
    expect_num(&list->props[0], 1);
    expect_str(&list->props[1], "x");
    assert_int_equal(list->props[2].type, AMF0_OBJECT);
    assert_int_equal(list->props[2].nprops, 0);
    assert_int_equal(list->props[3].type, AMF0_STRICT_ARRAY);
    assert_int_equal(list->props[3].nprops, 0);
    assert_null(amf0_get(list, "x")); /* strict arrays have no keys */
    expect_num(amf0_get(&v[2], "capabilities"), 31);

    /* Re-encode and decode with a second decoder: same tree, same bytes. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(amf0_write_value(&b2, &v[i]), 0);
    assert_int_equal(b2.len, b.len);
    assert_memory_equal(b2.data, b.data, b.len);
    struct amf0_decoder *d2 = amf0_decoder_new();
    assert_int_equal(amf0_decode(d2, (const uint8_t *)b2.data, b2.len, w, 4), 4);
    for (int i = 0; i < 4; i++)
        assert_true(same_value(&v[i], &w[i]));
    amf0_decoder_free(d2);

    /* Reusing the decoder for a smaller input works. */
    assert_int_equal(amf0_decode(d, (const uint8_t *)OBS_PUBLISH, OBS_PUBLISH_LEN, v, 4), 4);
    expect_str(&v[3], "obs1");
    buf_free(&b);
    buf_free(&b2);
    amf0_decoder_free(d);
}

/* Every proper prefix of a valid sequence either ends on a value boundary
 * (fewer values) or is EPROTO; nothing reads past the prefix (ASan). */
static void check_truncations(const uint8_t *data, size_t len, int values)
{
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[16];
    /* Boundaries: where each top-level value ends. */
    size_t ends[16];
    int nends = 0;
    for (size_t cut = 1; cut <= len; cut++) {
        uint8_t *copy = malloc(cut);
        memcpy(copy, data, cut);
        int rc = amf0_decode(d, copy, cut, v, 16);
        if (rc >= 0 && (nends == 0 || rc > nends)) {
            assert_int_equal(rc, nends + 1);
            ends[nends++] = cut;
        } else if (rc >= 0) {
            fail_msg("prefix %zu decoded %d values", cut, rc);
        } else {
            assert_int_equal(rc, ONAIR_EPROTO);
        }
        free(copy);
    }
    assert_int_equal(nends, values);
    assert_int_equal(ends[nends - 1], len);
    amf0_decoder_free(d);
}

static void test_truncated_every_length(void **state)
{
    (void)state;
    check_truncations((const uint8_t *)OBS_CONNECT, OBS_CONNECT_LEN, 3);
    check_truncations((const uint8_t *)OBS_PUBLISH, OBS_PUBLISH_LEN, 5);
    struct buf b;
    buf_init(&b, 0);
    build_metadata(&b, 20);
    check_truncations((const uint8_t *)b.data, b.len, 3);
    buf_reset(&b);
    assert_int_equal(amf0_write_date(&b, 5), 0);
    assert_int_equal(amf0_write_long_string(&b, "abc", 3), 0);
    assert_int_equal(amf0_write_strict_array_begin(&b, 2), 0);
    assert_int_equal(amf0_write_bool(&b, true), 0);
    assert_int_equal(amf0_write_undefined(&b), 0);
    check_truncations((const uint8_t *)b.data, b.len, 3);
    buf_free(&b);
}

static void test_bad_markers(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[4];
    /* movie clip, reference, object end, unsupported, recordset, XML,
     * typed object, AMF3 switch, and beyond. */
    static const uint8_t bad[] = {0x04, 0x07, 0x09, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0xff};
    for (size_t i = 0; i < sizeof bad; i++) {
        uint8_t in[8] = {bad[i], 0, 1, 0, 0, 0, 0, 0};
        assert_int_equal(amf0_decode(d, in, sizeof in, v, 4), ONAIR_EPROTO);
        /* Also inside an object, after a good value. */
        uint8_t obj[] = {0x05, 0x03, 0x00, 0x01, 'k', bad[i], 0x00, 0x00, 0x09};
        assert_int_equal(amf0_decode(d, obj, sizeof obj, v, 4), ONAIR_EPROTO);
    }
    /* Reference is refused even when well-formed. */
    static const uint8_t ref[] = {0x07, 0x00, 0x00};
    assert_int_equal(amf0_decode(d, ref, sizeof ref, v, 4), ONAIR_EPROTO);
    /* An empty key not followed by the end marker. */
    static const uint8_t nokey[] = {0x03, 0x00, 0x00, 0x05, 0x00, 0x00, 0x09};
    assert_int_equal(amf0_decode(d, nokey, sizeof nokey, v, 4), ONAIR_EPROTO);
    /* An object cut right after its last value. */
    static const uint8_t open[] = {0x03, 0x00, 0x01, 'a', 0x05};
    assert_int_equal(amf0_decode(d, open, sizeof open, v, 4), ONAIR_EPROTO);
    /* Good values before a bad one do not make it succeed. */
    static const uint8_t late[] = {0x05, 0x05, 0x06, 0x11, 0x01};
    assert_int_equal(amf0_decode(d, late, sizeof late, v, 4), ONAIR_EPROTO);
    assert_int_equal(amf0_decode(d, late, sizeof late, v, 3), 3); /* not reached */
    amf0_decoder_free(d);
}

static void test_depth_bomb(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[2];
    struct buf b;
    buf_init(&b, 0);

    /* 16 nested containers are fine (mixing the three kinds). */
    for (int depth = 16; depth <= 17; depth++) {
        buf_reset(&b);
        for (int i = 0; i < depth; i++) {
            if (i % 3 == 0) {
                assert_int_equal(amf0_write_object_begin(&b), 0);
                assert_int_equal(amf0_write_prop_name(&b, "o"), 0);
            } else if (i % 3 == 1) {
                assert_int_equal(amf0_write_ecma_begin(&b, 1), 0);
                assert_int_equal(amf0_write_prop_name(&b, "e"), 0);
            } else {
                assert_int_equal(amf0_write_strict_array_begin(&b, 1), 0);
            }
        }
        assert_int_equal(amf0_write_null(&b), 0);
        for (int i = depth - 1; i >= 0; i--) {
            if (i % 3 != 2)
                assert_int_equal(amf0_write_object_end(&b), 0);
        }
        int rc = amf0_decode(d, (const uint8_t *)b.data, b.len, v, 2);
        if (depth == 16) {
            assert_int_equal(rc, 1);
            const struct amf0_value *p = &v[0];
            for (int i = 0; i < 16; i++) {
                assert_int_equal(p->nprops, 1);
                p = &p->props[0];
            }
            assert_int_equal(p->type, AMF0_NULL);
        } else {
            assert_int_equal(rc, ONAIR_ETOOBIG);
        }
    }

    /* A bomb of 100000 strict-array openers stops without deep recursion. */
    size_t n = 100000;
    uint8_t *bomb = malloc(n * 5);
    for (size_t i = 0; i < n; i++)
        memcpy(bomb + i * 5, "\x0a\x00\x00\x00\x01", 5);
    assert_int_equal(amf0_decode(d, bomb, n * 5, v, 2), ONAIR_ETOOBIG);
    for (size_t i = 0; i < n; i++)
        memcpy(bomb + i * 5, "\x03\x00\x01k\x03", 5);
    assert_int_equal(amf0_decode(d, bomb, n * 5, v, 2), ONAIR_ETOOBIG);
    free(bomb);
    buf_free(&b);
    amf0_decoder_free(d);
}

static void test_huge_lengths(void **state)
{
    (void)state;
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[4];
    static const uint8_t s16[] = {0x02, 0xff, 0xff, 'a', 'b'};
    assert_int_equal(amf0_decode(d, s16, sizeof s16, v, 4), ONAIR_EPROTO);
    static const uint8_t s32[] = {0x0c, 0xff, 0xff, 0xff, 0xff, 'a', 'b'};
    assert_int_equal(amf0_decode(d, s32, sizeof s32, v, 4), ONAIR_EPROTO);
    static const uint8_t key[] = {0x03, 0xff, 0xff, 'a'};
    assert_int_equal(amf0_decode(d, key, sizeof key, v, 4), ONAIR_EPROTO);
    static const uint8_t arr[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x05, 0x05};
    assert_int_equal(amf0_decode(d, arr, sizeof arr, v, 4), ONAIR_EPROTO);
    /* The ECMA count is a hint: a huge one with an empty body is fine. */
    static const uint8_t ecma[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x09};
    assert_int_equal(amf0_decode(d, ecma, sizeof ecma, v, 4), 1);
    assert_int_equal(v[0].type, AMF0_ECMA_ARRAY);
    assert_int_equal(v[0].nprops, 0);

    /* More than AMF0_MAX_VALUES values in one call is ETOOBIG... */
    size_t n = AMF0_MAX_VALUES + 1;
    uint8_t *many = malloc(5 + n);
    memcpy(many, "\x0a\x00\x00\x00\x00", 5);
    many[1] = (uint8_t)(n >> 24);
    many[2] = (uint8_t)(n >> 16);
    many[3] = (uint8_t)(n >> 8);
    many[4] = (uint8_t)n;
    memset(many + 5, 0x05, n);
    assert_int_equal(amf0_decode(d, many, 5 + n, v, 4), ONAIR_ETOOBIG);
    /* ...and exactly the limit (the array itself counts) is fine. */
    many[3] = (uint8_t)((n - 2) >> 8);
    many[4] = (uint8_t)(n - 2);
    assert_int_equal(amf0_decode(d, many, 5 + n - 2, v, 4), 1);
    assert_int_equal(v[0].nprops, n - 2);
    /* Top-level values count too. */
    memset(many, 0x05, n);
    struct amf0_value *lots = calloc(n, sizeof *lots);
    assert_int_equal(amf0_decode(d, many, n, lots, (unsigned)n), ONAIR_ETOOBIG);
    assert_int_equal(amf0_decode(d, many, n - 1, lots, (unsigned)n), (int)(n - 1));
    free(lots);
    free(many);
    amf0_decoder_free(d);
}

static void test_encoder_limits(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(amf0_write_string(&b, "abc", 3), 0);
    assert_int_equal(b.len, 6);
    /* Header fits, body does not: nothing is left behind. */
    assert_int_equal(amf0_write_string(&b, "abcd", 4), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 6);
    assert_int_equal(amf0_write_prop_name(&b, "abcdefgh"), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 6);
    assert_int_equal(amf0_write_number(&b, 1), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 6);
    assert_int_equal(amf0_write_prop_name(&b, ""), ONAIR_EINVAL);
    char *big = calloc(1, 70000);
    assert_int_equal(amf0_write_prop_name_len(&b, big, 70000), ONAIR_EINVAL);
    free(big);

    /* A whole tree is all or nothing too. */
    struct amf0_decoder *d = amf0_decoder_new();
    struct amf0_value v[4];
    assert_int_equal(amf0_decode(d, (const uint8_t *)OBS_CONNECT, OBS_CONNECT_LEN, v, 4), 3);
    buf_reset(&b);
    b.limit = 100;
    assert_int_equal(amf0_write_value(&b, &v[2]), ONAIR_ETOOBIG);
    assert_int_equal(b.len, 0);
    amf0_decoder_free(d);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_obs_connect),
        cmocka_unit_test(test_obs_publish),
        cmocka_unit_test(test_obs_metadata),
        cmocka_unit_test(test_scalars_round_trip),
        cmocka_unit_test(test_long_string),
        cmocka_unit_test(test_nested_round_trip),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_bad_markers),
        cmocka_unit_test(test_depth_bomb),
        cmocka_unit_test(test_huge_lengths),
        cmocka_unit_test(test_encoder_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for tools/bench/m3u8.c: segments and parts of an LL-HLS media
 * playlist, and the live edge by EXT-X-PROGRAM-DATE-TIME that hls-view
 * reports (the last PDT plus everything listed after it).
 *
 * The load tool is not part of onair_lib, so the module under test is
 * compiled into this file directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../tools/bench/m3u8.c"

static void test_parse_date(void **state)
{
    (void)state;
    double ms;
    assert_int_equal(bench_m3u8_parse_date("1970-01-01T00:00:01.250Z", &ms), 0);
    assert_true(ms == 1250.0);
    assert_int_equal(bench_m3u8_parse_date("2026-11-22T08:02:01.000Z", &ms), 0);
    assert_true(ms == 1795334521000.0);
    /* An offset is subtracted: 09:02:01+01:00 is 08:02:01Z. */
    assert_int_equal(bench_m3u8_parse_date("2026-11-22T09:02:01.000+01:00", &ms), 0);
    assert_true(ms == 1795334521000.0);
    assert_int_equal(bench_m3u8_parse_date("2026-11-22T08:02:01", &ms), -1);
    assert_int_equal(bench_m3u8_parse_date("2026-13-22T08:02:01Z", &ms), -1);
    assert_int_equal(bench_m3u8_parse_date("yesterday", &ms), -1);
}

static const char ll[] = "#EXTM3U\n"
                         "#EXT-X-TARGETDURATION:2\n"
                         "#EXT-X-MEDIA-SEQUENCE:7\n"
                         "#EXT-X-PART-INF:PART-TARGET=0.33400\n"
                         "#EXT-X-MAP:URI=\"b_init1.mp4\"\n"
                         "#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:00:10.000Z\n"
                         "#EXTINF:2.00000,\n"
                         "b_7.m4s\n"
                         "#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:00:12.000Z\n"
                         "#EXT-X-PART:DURATION=0.33400,URI=\"b_8.0.m4s\",INDEPENDENT=YES\n"
                         "#EXT-X-PART:DURATION=0.33300,URI=\"b_8.1.m4s\"\n"
                         "#EXTINF:1.50000,\n"
                         "b_8.m4s\n"
                         "#EXT-X-PROGRAM-DATE-TIME:1970-01-01T00:00:13.500Z\n"
                         "#EXT-X-PART:DURATION=0.25000,URI=\"b_9.0.m4s\",INDEPENDENT=YES\n"
                         "#EXT-X-PART:DURATION=0.25000,URI=\"b_9.1.m4s\"\n"
                         "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"b_9.2.m4s\"\n";

static void test_ll_playlist_and_pdt_edge(void **state)
{
    (void)state;
    struct bench_m3u8 pl = {0};
    char *text = strdup(ll);
    assert_int_equal(bench_m3u8_parse(&pl, text), 0);
    assert_int_equal(pl.nsegs, 3);
    assert_int_equal(pl.segs[2].msn, 9);
    assert_false(pl.segs[2].complete);
    assert_int_equal(pl.segs[1].nparts, 2);
    assert_int_equal(pl.nparts, 4);
    /* The in-progress segment's parts count once, from its own PDT. */
    assert_true(pl.edge_pdt_ms > 13999.9 && pl.edge_pdt_ms < 14000.1);
    free(text);

    /* A playlist without PDT has no clock edge; a parse reuses the arrays. */
    char plain[] = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\na.ts\n";
    assert_int_equal(bench_m3u8_parse(&pl, plain), 0);
    assert_int_equal(pl.nsegs, 1);
    assert_true(pl.edge_pdt_ms == 0);
    bench_m3u8_free(&pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_ll_playlist_and_pdt_edge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Unit tests for the chat load scenarios' receive path: tools/bench/
 * chat_scan.c (payload markers, onair and Socket.IO message scanners) and
 * the frame helpers of tools/bench/ws_client.c (client frames masked,
 * server frames parsed, incomplete and refused ones told apart).
 *
 * The load tool is not part of onair_lib, so its modules are compiled into
 * this file directly (as in test_stats.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../../tools/bench/bench.c"
#include "../../../tools/bench/chat_scan.c"
#include "../../../tools/bench/stats.c"
#include "../../../tools/bench/ws_client.c"

#define S(lit) lit, sizeof lit - 1

static void test_payload_round_trip(void **state)
{
    (void)state;
    char text[600];
    int n = bench_chat_payload_write(text, sizeof text, 7, 123456, 9876543210, 64);
    assert_int_equal(n, 64);
    assert_int_equal(strlen(text), 64);
    assert_int_equal(strspn(text, "#B0123456789:qzxvkjw"), 64); /* nothing to escape */
    struct bench_chat_payload p;
    assert_true(bench_chat_payload_find(text, (size_t)n, &p));
    assert_int_equal(p.publisher, 7);
    assert_int_equal(p.number, 123456);
    assert_int_equal(p.sent_us, 9876543210);
    /* Without padding, and a buffer too small. */
    n = bench_chat_payload_write(text, sizeof text, 1, 2, 3, 0);
    assert_string_equal(text, "#B1:2:3#");
    volatile size_t tiny = 8, small = 32; /* (not constants: no truncation warning) */
    assert_int_equal(bench_chat_payload_write(text, tiny, 1, 2, 3, 0), -1);
    assert_int_equal(bench_chat_payload_write(text, small, 1, 2, 3, 40), -1);
}

static void test_payload_find_skips_lookalikes(void **state)
{
    (void)state;
    struct bench_chat_payload p;
    assert_false(bench_chat_payload_find(S("no marker here"), &p));
    assert_false(bench_chat_payload_find(S("#B1:2#"), &p));   /* a field short */
    assert_false(bench_chat_payload_find(S("#B1:2:3"), &p));  /* cut before the closing # */
    assert_false(bench_chat_payload_find(S("#Bx:2:3#"), &p)); /* not digits */
    /* A lookalike first, then the real one. */
    assert_true(bench_chat_payload_find(S("#B #B4:5:6#pad"), &p));
    assert_int_equal(p.publisher, 4);
    assert_int_equal(p.number, 5);
    assert_int_equal(p.sent_us, 6);
    /* A cut that ends inside the marker never reads past len. */
    assert_false(bench_chat_payload_find("#B4:5:6#", 7, &p));
}

static void test_client_id(void **state)
{
    (void)state;
    char id[64];
    int n = bench_chat_client_id_write(id, sizeof id, 42, 1700000000123456);
    assert_string_equal(id, "42:1700000000123456");
    uint64_t num;
    int64_t ts;
    assert_true(bench_chat_client_id_parse(id, (size_t)n, &num, &ts));
    assert_int_equal(num, 42);
    assert_int_equal(ts, 1700000000123456);
    assert_false(bench_chat_client_id_parse(S("42"), &num, &ts));
    assert_false(bench_chat_client_id_parse(S("42:1x"), &num, &ts));
    assert_false(bench_chat_client_id_parse(S("c-1"), &num, &ts));
}

static void test_scan_fields(void **state)
{
    (void)state;
    int64_t v;
    const char *s;
    size_t len;
    assert_true(bench_scan_int(S("{\"a\":1,\"seq\":907}"), "\"seq\":", &v));
    assert_int_equal(v, 907);
    assert_false(bench_scan_int(S("{\"seq\":null}"), "\"seq\":", &v));
    assert_false(bench_scan_int(S("{\"se"), "\"seq\":", &v));
    assert_true(bench_scan_str(S("{\"client_id\":\"3:4\"}"), "\"client_id\":", &s, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(s, "3:4", 3);
    assert_false(bench_scan_str(S("{\"client_id\":null}"), "\"client_id\":", &s, &len));
    assert_false(bench_scan_str(S("{\"client_id\":\"3:4"), "\"client_id\":", &s, &len));
}

/* The exact shapes onair's hub and session write (jansson, insertion order). */
static void test_scan_onair(void **state)
{
    (void)state;
    struct bench_chat_event ev;
    bench_chat_scan_onair(
        S("{\"type\":\"message\",\"room\":\"channel:benchr0\",\"seq\":12,\"user\":{\"id\":3,"
          "\"name\":\"benchp0\"},\"text\":\"#B0:5:777#qzxv\",\"ts\":1,\"client_id\":\"5:777\"}"),
        &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_MESSAGE);
    assert_int_equal(ev.seq, 12);
    assert_true(ev.has_payload);
    assert_int_equal(ev.payload.publisher, 0);
    assert_int_equal(ev.payload.number, 5);
    assert_int_equal(ev.payload.sent_us, 777);

    bench_chat_scan_onair(S("{\"type\":\"ack\",\"seq\":13,\"client_id\":\"6:778\"}"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_ACK);
    assert_int_equal(ev.seq, 13);
    assert_int_equal(ev.client_id_len, 5);
    assert_memory_equal(ev.client_id, "6:778", 5);

    bench_chat_scan_onair(
        S("{\"type\":\"joined\",\"room\":\"channel:a\",\"last_seq\":40,\"viewers\":2}"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_JOINED);
    assert_int_equal(ev.seq, 40);
    bench_chat_scan_onair(S("{\"type\":\"reset\",\"room\":\"channel:a\",\"last_seq\":41}"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_RESET);
    assert_int_equal(ev.seq, 41);

    bench_chat_scan_onair(S("{\"type\":\"error\",\"code\":\"rate_limited\",\"message\":\"slow "
                            "down\",\"client_id\":\"7:9\"}"),
                          &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_ERROR);
    assert_int_equal(ev.client_id_len, 3);

    /* Notices, and a message without our marker. */
    bench_chat_scan_onair(S("{\"type\":\"presence\",\"room\":\"channel:a\",\"viewers\":3}"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OTHER);
    bench_chat_scan_onair(S("{\"type\":\"messages\"}"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OTHER);
    bench_chat_scan_onair(S("{\"type\":\"message\",\"room\":\"r\",\"seq\":1,\"text\":\"hi\"}"),
                          &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_MESSAGE);
    assert_false(ev.has_payload);
    /* Keys in another order, a room with an escaped quote, a frame cut
     * short: the seq is still found by searching, or not at all. */
    bench_chat_scan_onair(
        S("{\"type\":\"message\",\"seq\":8,\"room\":\"r\",\"text\":\"#B1:2:3#\"}"), &ev);
    assert_int_equal(ev.seq, 8);
    assert_true(ev.has_payload);
    assert_int_equal(ev.payload.number, 2);
    bench_chat_scan_onair(S("{\"type\":\"message\",\"room\":\"a\\\"b\",\"seq\":9,\"text\":\"x\"}"),
                          &ev);
    assert_int_equal(ev.seq, 9);
    bench_chat_scan_onair(S("{\"type\":\"message\",\"room\":\"r\",\"seq\":"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_MESSAGE);
    assert_int_equal(ev.seq, -1);
    bench_chat_scan_onair(S("{\"type\":\"message\",\"room\":\"r"), &ev);
    assert_int_equal(ev.seq, -1);
    bench_chat_scan_onair(S("not json"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OTHER);
    bench_chat_scan_onair("", 0, &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OTHER);
}

/* Engine.IO / Socket.IO packets as the peer (socket.io 4.8) sends them. */
static void test_scan_socketio(void **state)
{
    (void)state;
    struct bench_chat_event ev;
    bench_chat_scan_socketio(S("0{\"sid\":\"x\",\"upgrades\":[],\"pingInterval\":25000}"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OPEN);
    bench_chat_scan_socketio(S("2"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_PING);
    bench_chat_scan_socketio(S("1"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_CLOSE);

    bench_chat_scan_socketio(S("40{\"sid\":\"941gJVfnHfKTii4QAAAA\",\"pid\":\"s1kKJW8CgBB2\"}"),
                             &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_READY);
    assert_int_equal(ev.pid_len, 12);
    assert_memory_equal(ev.pid, "s1kKJW8CgBB2", 12);
    bench_chat_scan_socketio(S("40"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_READY);
    assert_null(ev.pid);

    bench_chat_scan_socketio(S("42[\"joined\",{\"room\":\"r1\",\"viewers\":1},\"Q81vqBa\"]"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_JOINED);
    assert_int_equal(ev.offset_len, 7);
    assert_memory_equal(ev.offset, "Q81vqBa", 7);

    bench_chat_scan_socketio(
        S("42[\"message\",{\"room\":\"r1\",\"user\":{\"id\":1,\"name\":\"guest1\"},\"text\":\"#B3:"
          "9:1234#qz\",\"ts\":1795328262884,\"client_id\":\"9:1234\"},\"Q81vqBb\"]"),
        &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_MESSAGE);
    assert_int_equal(ev.seq, -1);
    assert_true(ev.has_payload);
    assert_int_equal(ev.payload.publisher, 3);
    assert_int_equal(ev.payload.number, 9);
    assert_memory_equal(ev.offset, "Q81vqBb", 7);
    /* Without recovery there is no offset. */
    bench_chat_scan_socketio(S("42[\"message\",{\"text\":\"#B3:9:1#\"}]"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_MESSAGE);
    assert_null(ev.offset);

    bench_chat_scan_socketio(S("431[{\"ok\":true,\"client_id\":\"9:1234\"}]"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_ACK);
    assert_memory_equal(ev.client_id, "9:1234", 6);
    bench_chat_scan_socketio(S("4312[{\"error\":\"bad_request\",\"client_id\":\"1:2\"}]"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_ERROR);
    assert_memory_equal(ev.client_id, "1:2", 3);

    bench_chat_scan_socketio(S("44{\"message\":\"nope\"}"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_ERROR);
    bench_chat_scan_socketio(S("41"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_CLOSE);
    bench_chat_scan_socketio(S("42[\"presence\",{}]"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OTHER);
    bench_chat_scan_socketio(S("42"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OTHER);
    bench_chat_scan_socketio(S("4"), &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OTHER);
    bench_chat_scan_socketio("", 0, &ev);
    assert_int_equal(ev.kind, BENCH_CHAT_OTHER);
}

/* A client frame, unmasked by hand, gives the payload back; lengths of
 * 7, 16 and 64 bits. */
static void test_client_frames(void **state)
{
    (void)state;
    size_t sizes[] = {0, 5, 125, 126, 65535, 65536};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        char *data = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            data[i] = (char)('a' + i % 26);
        uint8_t *f = malloc(n + 14);
        size_t len = bench_ws_frame_client(f, WS_TEXT, data, n, 0x01020304);
        assert_int_equal(f[0], 0x81);
        assert_true(f[1] & 0x80);
        size_t h = n < 126 ? 2 : n < 65536 ? 4 : 10;
        assert_int_equal(len, h + 4 + n);
        uint64_t plen = f[1] & 0x7f;
        if (plen == 126)
            plen = (uint64_t)f[2] << 8 | f[3];
        else if (plen == 127)
            plen = (uint64_t)f[6] << 24 | (uint64_t)f[7] << 16 | (uint64_t)f[8] << 8 | f[9];
        assert_int_equal(plen, n);
        const uint8_t *m = f + h;
        for (size_t i = 0; i < n; i++)
            assert_int_equal((uint8_t)(f[h + 4 + i] ^ m[i & 3]), (uint8_t)data[i]);
        free(f);
        free(data);
    }
}

static void test_server_frames(void **state)
{
    (void)state;
    int op;
    bool fin;
    const uint8_t *p;
    size_t n;
    const uint8_t small[] = {0x81, 0x02, 'h', 'i', 0x89};
    assert_int_equal(bench_ws_frame_server(small, sizeof small, &op, &fin, &p, &n), 4);
    assert_int_equal(op, WS_TEXT);
    assert_true(fin);
    assert_int_equal(n, 2);
    assert_memory_equal(p, "hi", 2);
    /* Incomplete header, incomplete payload. */
    assert_int_equal(bench_ws_frame_server(small, 1, &op, &fin, &p, &n), 0);
    assert_int_equal(bench_ws_frame_server(small, 3, &op, &fin, &p, &n), 0);
    /* 16-bit length. */
    uint8_t mid[4 + 300] = {0x82, 126, 300 >> 8, 300 & 0xff};
    assert_int_equal(bench_ws_frame_server(mid, 3, &op, &fin, &p, &n), 0);
    assert_int_equal(bench_ws_frame_server(mid, sizeof mid, &op, &fin, &p, &n), 304);
    assert_int_equal(op, WS_BINARY);
    assert_int_equal(n, 300);
    /* A fragment is returned as such (the connection refuses it). */
    const uint8_t frag[] = {0x01, 0x01, 'x'};
    assert_int_equal(bench_ws_frame_server(frag, sizeof frag, &op, &fin, &p, &n), 3);
    assert_false(fin);
    /* Masked from a server, or too long: refused. */
    const uint8_t masked[] = {0x81, 0x81, 1, 2, 3, 4, 'x'};
    assert_int_equal(bench_ws_frame_server(masked, sizeof masked, &op, &fin, &p, &n), -1);
    const uint8_t huge[] = {0x81, 127, 0, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(bench_ws_frame_server(huge, sizeof huge, &op, &fin, &p, &n), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payload_round_trip),
        cmocka_unit_test(test_payload_find_skips_lookalikes),
        cmocka_unit_test(test_client_id),
        cmocka_unit_test(test_scan_fields),
        cmocka_unit_test(test_scan_onair),
        cmocka_unit_test(test_scan_socketio),
        cmocka_unit_test(test_client_frames),
        cmocka_unit_test(test_server_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

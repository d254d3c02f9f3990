/*
 * fuzz_bench_chat_scan.c - libFuzzer target for onair-bench's chat scanners
 * (tools/bench/chat_scan.c): what the load tool reads from a server.
 *
 * Input: any bytes, scanned as one onair /ws message and as one Socket.IO
 * packet. Checked:
 *  - nothing is read outside the input (ASan; the input is an exact-size
 *    buffer) and every pointer handed back lies inside it;
 *  - an onair message's seq, read where onair writes it, equals the one a
 *    plain search for "seq": finds (or both find none);
 *  - a payload marker and a client_id built from numbers taken from the
 *    input are found again with the same numbers.
 * Seeds: tests/fuzz/corpus/bench_chat_scan/.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/bench/chat_scan.c"

static void inside(const uint8_t *data, size_t size, const char *p, size_t n)
{
    if (!p)
        return;
    const char *b = (const char *)data;
    if (p < b || p + n > b + size)
        abort();
}

static uint64_t take_u64(const uint8_t *data, size_t size, size_t at)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8 && at + i < size; i++)
        v = v << 8 | data[at + i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct bench_chat_event ev;

    bench_chat_scan_onair(s, size, &ev);
    inside(data, size, ev.client_id, ev.client_id_len);
    if (ev.kind == BENCH_CHAT_MESSAGE) {
        int64_t plain = -1;
        static const char head[] = "{\"type\":\"";
        const char *t = s + sizeof head - 1;
        bench_scan_int(t, size - (sizeof head - 1), "\"seq\":", &plain);
        if (ev.seq != plain)
            abort();
    }

    bench_chat_scan_socketio(s, size, &ev);
    inside(data, size, ev.client_id, ev.client_id_len);
    inside(data, size, ev.offset, ev.offset_len);
    inside(data, size, ev.pid, ev.pid_len);

    /* Round trips with numbers from the input. */
    uint32_t pub = (uint32_t)take_u64(data, size, 0);
    uint64_t num = take_u64(data, size, 4) % 10000000000000000000u;
    int64_t ts = (int64_t)(take_u64(data, size, 12) % 1000000000000000000u);
    char text[600];
    int n = bench_chat_payload_write(text, sizeof text, pub, num, ts, size % 500);
    if (n > 0) {
        struct bench_chat_payload p;
        if (!bench_chat_payload_find(text, (size_t)n, &p) || p.publisher != pub ||
            p.number != num || p.sent_us != ts)
            abort();
    }
    char cid[64];
    n = bench_chat_client_id_write(cid, sizeof cid, num, ts);
    if (n > 0) {
        uint64_t num2;
        int64_t ts2;
        if (!bench_chat_client_id_parse(cid, (size_t)n, &num2, &ts2) || num2 != num || ts2 != ts)
            abort();
    }
    return 0;
}

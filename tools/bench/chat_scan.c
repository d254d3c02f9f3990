/*
 * chat_scan.c - prefix checks and substring scans over chat messages (see
 * chat_scan.h).
 */
#include "chat_scan.h"

#include <stdio.h>
#include <string.h>

#define MARKER "#B"

/* Parses decimal digits at *p (at most 19, so no overflow); advances *p. */
static bool digits(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    int n = 0;
    while (s < end && *s >= '0' && *s <= '9' && n < 19) {
        v = v * 10 + (uint64_t)(*s - '0');
        s++;
        n++;
    }
    if (n == 0)
        return false;
    *p = s;
    *out = v;
    return true;
}

/* The first needle in hay: memchr (vectorized) for its first byte, then
 * a compare. Cheaper than memmem here: the needles are short and their
 * first bytes ('#', '"') are rare or close, and this runs per delivery. */
static const char *find(const char *hay, size_t n, const char *needle, size_t m)
{
    const char *end = hay + n;
    if (m == 0)
        return hay;
    while ((size_t)(end - hay) >= m) {
        const char *c = memchr(hay, needle[0], (size_t)(end - hay) - m + 1);
        if (!c)
            return NULL;
        if (memcmp(c + 1, needle + 1, m - 1) == 0)
            return c;
        hay = c + 1;
    }
    return NULL;
}

int bench_chat_payload_write(char *out, size_t out_size, uint32_t publisher, uint64_t number,
                             int64_t sent_us, size_t size)
{
    int n = snprintf(out, out_size, MARKER "%u:%llu:%lld#", publisher, (unsigned long long)number,
                     (long long)sent_us);
    if (n < 0 || (size_t)n >= out_size)
        return -1;
    if (size > (size_t)n) {
        if (size >= out_size)
            return -1;
        /* Letters that spell nothing: the banned-word filter passes them. */
        static const char pad[] = "qzxvkjwq";
        for (size_t i = (size_t)n; i < size; i++)
            out[i] = pad[i % (sizeof pad - 1)];
        out[size] = '\0';
        n = (int)size;
    }
    return n;
}

bool bench_chat_payload_find(const char *data, size_t len, struct bench_chat_payload *p)
{
    const char *end = data + len, *s = data;
    while (s < end) {
        const char *m = find(s, (size_t)(end - s), MARKER, 2);
        if (!m)
            return false;
        const char *q = m + 2;
        uint64_t pub, num, ts;
        if (digits(&q, end, &pub) && q < end && *q++ == ':' && digits(&q, end, &num) && q < end &&
            *q++ == ':' && digits(&q, end, &ts) && q < end && *q == '#' && pub <= UINT32_MAX) {
            p->publisher = (uint32_t)pub;
            p->number = num;
            p->sent_us = (int64_t)ts;
            return true;
        }
        s = m + 1;
    }
    return false;
}

int bench_chat_client_id_write(char *out, size_t out_size, uint64_t number, int64_t sent_us)
{
    int n = snprintf(out, out_size, "%llu:%lld", (unsigned long long)number, (long long)sent_us);
    return n < 0 || (size_t)n >= out_size ? -1 : n;
}

bool bench_chat_client_id_parse(const char *s, size_t len, uint64_t *number, int64_t *sent_us)
{
    const char *p = s, *end = s + len;
    uint64_t num, ts;
    if (!digits(&p, end, &num) || p >= end || *p++ != ':' || !digits(&p, end, &ts) || p != end)
        return false;
    *number = num;
    *sent_us = (int64_t)ts;
    return true;
}

bool bench_scan_int(const char *data, size_t len, const char *key, int64_t *out)
{
    size_t klen = strlen(key);
    const char *k = find(data, len, key, klen);
    if (!k)
        return false;
    const char *p = k + klen;
    uint64_t v;
    if (!digits(&p, data + len, &v))
        return false;
    *out = (int64_t)v;
    return true;
}

bool bench_scan_str(const char *data, size_t len, const char *key, const char **val, size_t *vlen)
{
    size_t klen = strlen(key);
    const char *k = find(data, len, key, klen);
    if (!k)
        return false;
    const char *v = k + klen, *end = data + len;
    if (v >= end || *v != '"')
        return false;
    v++;
    const char *q = memchr(v, '"', (size_t)(end - v));
    if (!q)
        return false;
    *val = v;
    *vlen = (size_t)(q - v);
    return true;
}

static void event_reset(struct bench_chat_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->seq = -1;
}

/* Does data continue with word at p? */
static bool starts(const char *p, const char *end, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(end - p) >= n && memcmp(p, word, n) == 0;
}

void bench_chat_scan_onair(const char *data, size_t len, struct bench_chat_event *ev)
{
    static const char head[] = "{\"type\":\"";
    const char *end = data + len, *t = data + sizeof head - 1;
    event_reset(ev);
    if (len < sizeof head - 1 || memcmp(data, head, sizeof head - 1) != 0)
        return;
    if (starts(t, end, "message\"")) {
        ev->kind = BENCH_CHAT_MESSAGE;
        /* onair writes `"message","room":"R","seq":N` in that order: check
         * for it before searching, which would stop at every quote. */
        const char *p = t + 8, *q, *rest = t;
        uint64_t seq;
        if (starts(p, end, ",\"room\":\"") && (q = memchr(p + 9, '"', (size_t)(end - p - 9))) &&
            starts(q + 1, end, ",\"seq\":") && (q += 8, digits(&q, end, &seq))) {
            ev->seq = (int64_t)seq;
            rest = q;
        } else {
            bench_scan_int(t, (size_t)(end - t), "\"seq\":", &ev->seq);
        }
        ev->has_payload = bench_chat_payload_find(rest, (size_t)(end - rest), &ev->payload);
    } else if (starts(t, end, "ack\"")) {
        ev->kind = BENCH_CHAT_ACK;
        bench_scan_int(t, (size_t)(end - t), "\"seq\":", &ev->seq);
        bench_scan_str(t, (size_t)(end - t), "\"client_id\":", &ev->client_id, &ev->client_id_len);
    } else if (starts(t, end, "joined\"") || starts(t, end, "reset\"")) {
        ev->kind = *t == 'j' ? BENCH_CHAT_JOINED : BENCH_CHAT_RESET;
        bench_scan_int(t, (size_t)(end - t), "\"last_seq\":", &ev->seq);
    } else if (starts(t, end, "error\"")) {
        ev->kind = BENCH_CHAT_ERROR;
        bench_scan_str(t, (size_t)(end - t), "\"client_id\":", &ev->client_id, &ev->client_id_len);
    }
}

/* The last top-level string argument of an event array: `,"abc"]` at the
 * end (Socket.IO appends the recovery offset that way). */
static void sio_offset(const char *data, size_t len, struct bench_chat_event *ev)
{
    if (len < 4 || data[len - 1] != ']' || data[len - 2] != '"')
        return;
    const char *close = data + len - 2;
    const char *open = close;
    while (open > data && open[-1] != '"')
        open--;
    if (open - data < 2 || open[-2] != ',')
        return;
    ev->offset = open;
    ev->offset_len = (size_t)(close - open);
}

void bench_chat_scan_socketio(const char *data, size_t len, struct bench_chat_event *ev)
{
    const char *end = data + len;
    event_reset(ev);
    if (len == 0)
        return;
    switch (data[0]) {
    case '0':
        ev->kind = BENCH_CHAT_OPEN;
        return;
    case '1':
        ev->kind = BENCH_CHAT_CLOSE;
        return;
    case '2':
        ev->kind = BENCH_CHAT_PING;
        return;
    case '4':
        break;
    default:
        return;
    }
    if (len < 2)
        return;
    const char *p = data + 2;
    switch (data[1]) {
    case '0':
        ev->kind = BENCH_CHAT_READY;
        bench_scan_str(p, (size_t)(end - p), "\"pid\":", &ev->pid, &ev->pid_len);
        return;
    case '1':
        ev->kind = BENCH_CHAT_CLOSE;
        return;
    case '4':
        ev->kind = BENCH_CHAT_ERROR;
        return;
    case '2':
    case '3':
        break;
    default:
        return;
    }
    while (p < end && *p >= '0' && *p <= '9') /* the ack id */
        p++;
    if (p >= end || *p != '[')
        return;
    p++;
    if (data[1] == '3') {
        ev->kind = memmem(p, (size_t)(end - p), "\"error\"", 7) ? BENCH_CHAT_ERROR : BENCH_CHAT_ACK;
        bench_scan_str(p, (size_t)(end - p), "\"client_id\":", &ev->client_id, &ev->client_id_len);
        return;
    }
    if (starts(p, end, "\"message\",")) {
        ev->kind = BENCH_CHAT_MESSAGE;
        ev->has_payload = bench_chat_payload_find(p, (size_t)(end - p), &ev->payload);
        sio_offset(data, len, ev);
    } else if (starts(p, end, "\"joined\"")) {
        ev->kind = BENCH_CHAT_JOINED;
        sio_offset(data, len, ev);
    }
}

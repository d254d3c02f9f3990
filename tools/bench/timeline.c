/*
 * timeline.c - media time -> send time (see timeline.h).
 */
#include "timeline.h"

#include <assert.h>

void bench_timeline_add(struct bench_timeline *t, uint32_t media_ms, int64_t wall_us)
{
    if (t->n > 0) {
        unsigned last = (t->head + t->n - 1) % BENCH_TIMELINE_CAP;
        assert(media_ms >= t->media_ms[last]);
        if (media_ms == t->media_ms[last])
            return; /* the first send of a media time is the one that counts */
    }
    unsigned i;
    if (t->n < BENCH_TIMELINE_CAP) {
        i = (t->head + t->n++) % BENCH_TIMELINE_CAP;
    } else {
        i = t->head;
        t->head = (t->head + 1) % BENCH_TIMELINE_CAP;
    }
    t->media_ms[i] = media_ms;
    t->wall_us[i] = wall_us;
}

bool bench_timeline_lookup(const struct bench_timeline *t, uint32_t media_ms, int64_t *wall_us)
{
    if (t->n == 0 || media_ms < t->media_ms[t->head])
        return false;
    /* Binary search over logical positions 0..n-1 for the first >= media_ms. */
    unsigned lo = 0, hi = t->n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (t->media_ms[(t->head + mid) % BENCH_TIMELINE_CAP] < media_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == t->n)
        return false;
    *wall_us = t->wall_us[(t->head + lo) % BENCH_TIMELINE_CAP];
    return true;
}

/*
 * stats.c - exact percentiles and sequence accounting (see stats.h).
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

void bench_samples_init(struct bench_samples *s, size_t max)
{
    memset(s, 0, sizeof *s);
    s->max = max;
    s->sorted = true;
}

void bench_samples_free(struct bench_samples *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

void bench_samples_add(struct bench_samples *s, double x)
{
    if (s->n >= s->max) {
        s->dropped++;
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        if (cap > s->max)
            cap = s->max;
        s->v = xrealloc(s->v, cap * sizeof *s->v);
        s->cap = cap;
    }
    s->v[s->n++] = x;
    s->sorted = false;
}

void bench_samples_merge(struct bench_samples *dst, const struct bench_samples *src)
{
    for (size_t i = 0; i < src->n; i++)
        bench_samples_add(dst, src->v[i]);
    dst->dropped += src->dropped;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_samples_percentile(struct bench_samples *s, double p)
{
    if (s->n == 0)
        return NAN;
    if (!s->sorted) {
        qsort(s->v, s->n, sizeof *s->v, cmp_double);
        s->sorted = true;
    }
    if (p <= 0)
        return s->v[0];
    if (p >= 100)
        return s->v[s->n - 1];
    /* Nearest rank: ceil(p/100 * n), 1-based. The small epsilon keeps
     * 95/100 * 20 = 19 from becoming 19.000000000000004 -> 20. */
    double r = ceil(p / 100.0 * (double)s->n - 1e-9);
    size_t rank = r < 1 ? 1 : (size_t)r;
    if (rank > s->n)
        rank = s->n;
    return s->v[rank - 1];
}

double bench_samples_mean(const struct bench_samples *s)
{
    if (s->n == 0)
        return NAN;
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->v[i];
    return sum / (double)s->n;
}

/* ---- sequences ---- */

static bool bit_get(const struct bench_seq *q, uint64_t n)
{
    uint64_t i = n % BENCH_SEQ_WINDOW;
    return q->bits[i / 64] >> (i % 64) & 1;
}

static void bit_set(struct bench_seq *q, uint64_t n, bool on)
{
    uint64_t i = n % BENCH_SEQ_WINDOW;
    if (on)
        q->bits[i / 64] |= (uint64_t)1 << (i % 64);
    else
        q->bits[i / 64] &= ~((uint64_t)1 << (i % 64));
}

void bench_seq_init(struct bench_seq *q, uint64_t base)
{
    memset(q, 0, sizeof *q);
    q->started = true;
    q->base = base;
    q->next = base;
    q->contig = base;
}

void bench_seq_free(struct bench_seq *q)
{
    free(q->bits);
    q->bits = NULL;
}

enum bench_seq_result bench_seq_observe(struct bench_seq *q, uint64_t n)
{
    if (n < q->base) {
        q->stale++;
        return BENCH_SEQ_STALE;
    }
    if (n == q->next && q->contig == n) { /* in order, nothing missing: no bitmap */
        q->next = q->contig = n + 1;
        q->delivered++;
        return BENCH_SEQ_NEXT;
    }
    if (n < q->contig) {
        q->duplicates++;
        return BENCH_SEQ_DUPLICATE;
    }
    if (!q->bits)
        q->bits = xcalloc(BENCH_SEQ_WINDOW / 64, sizeof *q->bits);
    enum bench_seq_result r;
    if (n >= q->next) {
        /* Moving the window forward: clear the slots of the numbers skipped
         * over (they were not received), at most a whole window's worth. */
        uint64_t from = q->next;
        if (n - from >= BENCH_SEQ_WINDOW)
            from = n - BENCH_SEQ_WINDOW + 1;
        for (uint64_t k = from; k < n; k++)
            bit_set(q, k, false);
        r = n == q->next ? BENCH_SEQ_NEXT : BENCH_SEQ_AHEAD;
        q->next = n + 1;
    } else if (q->next - n > BENCH_SEQ_WINDOW) {
        q->stale++;
        return BENCH_SEQ_STALE;
    } else if (bit_get(q, n)) {
        q->duplicates++;
        return BENCH_SEQ_DUPLICATE;
    } else {
        q->out_of_order++;
        r = BENCH_SEQ_LATE;
    }
    bit_set(q, n, true);
    q->delivered++;
    /* A hole filled: move contig up over what has arrived since. Numbers
     * older than the window can't be told apart any more, so contig stops
     * at the first one the window no longer covers. */
    while (q->contig < q->next && q->next - q->contig <= BENCH_SEQ_WINDOW && bit_get(q, q->contig))
        q->contig++;
    return r;
}

uint64_t bench_seq_lost(const struct bench_seq *q, uint64_t sent)
{
    uint64_t expected = sent ? sent : q->next - q->base;
    return expected > q->delivered ? expected - q->delivered : 0;
}

/* next[i] when sender i has a full tracker. */
#define BENCH_SEQ_FULL UINT32_MAX

void bench_seq_set_init(struct bench_seq_set *s, uint32_t count)
{
    s->count = count;
    s->next = xcalloc(count ? count : 1, sizeof *s->next);
    s->full = NULL;
}

void bench_seq_set_free(struct bench_seq_set *s)
{
    for (uint32_t i = 0; s->full && i < s->count; i++)
        bench_seq_free(&s->full[i]);
    free(s->full);
    free(s->next);
    s->full = NULL;
    s->next = NULL;
}

enum bench_seq_result bench_seq_set_observe(struct bench_seq_set *s, uint32_t i, uint64_t n)
{
    uint32_t next = s->next[i];
    if (next != BENCH_SEQ_FULL && n == next && n + 1 < BENCH_SEQ_FULL) {
        s->next[i] = next + 1;
        return BENCH_SEQ_NEXT;
    }
    if (!s->full)
        s->full = xcalloc(s->count, sizeof *s->full);
    struct bench_seq *q = &s->full[i];
    if (next != BENCH_SEQ_FULL) {
        /* 0 .. next-1 arrived, in order: the state a tracker has then */
        bench_seq_init(q, 0);
        q->next = q->contig = q->delivered = next;
        s->next[i] = BENCH_SEQ_FULL;
    }
    return bench_seq_observe(q, n);
}

uint64_t bench_seq_set_lost(const struct bench_seq_set *s, uint32_t i, uint64_t sent)
{
    if (s->next[i] != BENCH_SEQ_FULL) {
        uint64_t expected = sent ? sent : s->next[i];
        return expected > s->next[i] ? expected - s->next[i] : 0;
    }
    return bench_seq_lost(&s->full[i], sent);
}

/*
 * stats.h - the load tool's statistics: exact percentiles over kept samples,
 * and sequence accounting (delivered, lost, duplicated, out of order).
 *
 * Samples: every value is kept (up to a cap chosen by the caller) and sorted
 * once when a percentile is asked for, so p50/p90/p95/p99/max are exact
 * nearest-rank values, not histogram estimates. Past the cap further values
 * are counted in `dropped` but not kept; a summary then says so rather than
 * silently approximating. The benchmarks keep at most a few hundred thousand
 * values, far below any sensible cap.
 *
 * Sequences: one tracker per (sender, receiver) pair. Senders number their
 * items 0, 1, 2, ...; the receiver observes what arrives, in arrival order.
 * A bitmap of the last BENCH_SEQ_WINDOW numbers below the highest one seen
 * tells a late arrival (fills a gap: out of order) from a repeat (duplicate).
 * Anything older than the window can no longer be told apart and is counted
 * as `stale` (neither delivered nor duplicate).
 *
 * Ownership: the structs are embedded by the caller; *_free releases what
 * they allocated. Threading: none; one thread at a time per struct.
 */
#ifndef ONAIR_BENCH_STATS_H
#define ONAIR_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bench_samples {
    double *v;
    size_t n, cap;
    size_t max;       /* most values kept */
    uint64_t dropped; /* values past max, not kept */
    bool sorted;
};

void bench_samples_init(struct bench_samples *s, size_t max);
void bench_samples_free(struct bench_samples *s);
void bench_samples_add(struct bench_samples *s, double x);
/* Appends every value of src to dst (dst's cap applies). */
void bench_samples_merge(struct bench_samples *dst, const struct bench_samples *src);

/*
 * The nearest-rank p-th percentile (0 <= p <= 100): the smallest kept value
 * v such that at least p% of the kept values are <= v. p = 0 gives the
 * minimum, p = 100 the maximum. NAN when no value is kept. Sorts in place
 * (once; adding a value later sorts again on the next call).
 */
double bench_samples_percentile(struct bench_samples *s, double p);
double bench_samples_mean(const struct bench_samples *s); /* NAN when empty */

/* Sequence numbers remembered below the highest one seen. */
#define BENCH_SEQ_WINDOW 4096

enum bench_seq_result {
    BENCH_SEQ_NEXT,      /* exactly the one expected */
    BENCH_SEQ_AHEAD,     /* beyond the one expected: the ones between are missing (for now) */
    BENCH_SEQ_LATE,      /* below the highest seen and not seen before: out of order */
    BENCH_SEQ_DUPLICATE, /* seen before */
    BENCH_SEQ_STALE,     /* older than the window: cannot tell */
};

struct bench_seq {
    uint64_t next;         /* highest seen + 1 (base before anything arrived) */
    uint64_t contig;       /* every number in [base, contig) was received */
    uint64_t delivered;    /* distinct numbers received */
    uint64_t base;         /* first number expected (the sender's first) */
    uint64_t duplicates;   /* receptions of a number already received */
    uint64_t out_of_order; /* distinct numbers that arrived after a higher one */
    uint64_t stale;        /* arrivals older than the window: cannot tell */
    bool started;
    /* BENCH_SEQ_WINDOW bits, made at the first gap: bit (n % WINDOW) set: n
     * received, for n in [contig, next) within the window. Not used while
     * everything arrives in order (contig == next). */
    uint64_t *bits;
};

/* A tracker expecting base first; bench_seq_free gives back its bitmap. */
void bench_seq_init(struct bench_seq *q, uint64_t base);
void bench_seq_free(struct bench_seq *q);
/* Records the arrival of number n. */
enum bench_seq_result bench_seq_observe(struct bench_seq *q, uint64_t n);
/*
 * Items lost: of the `sent` numbers base .. base+sent-1 the sender produced,
 * those not delivered (pass sent = 0 to use the highest number seen instead,
 * when the receiver does not know what was sent). Items still in flight at
 * the end count as lost; the caller decides when to ask.
 */
uint64_t bench_seq_lost(const struct bench_seq *q, uint64_t sent);

/*
 * Trackers for the senders 0..count-1 of one receiver, all starting at 0,
 * laid out for the common case: while a sender's numbers arrive in order,
 * only a 4-byte "next expected" of it is touched, so the state a receiver
 * reads for a batch of arrivals from 50 senders is 200 bytes, not 50
 * trackers (a load tool with thousands of receivers otherwise spends its
 * time in cache misses). The first arrival that is not the next one gives
 * that sender a full bench_seq, which answers from then on.
 */
struct bench_seq_set {
    uint32_t count;
    uint32_t *next;         /* per sender: next expected, or BENCH_SEQ_FULL */
    struct bench_seq *full; /* count trackers, made at the first need */
};

void bench_seq_set_init(struct bench_seq_set *s, uint32_t count);
void bench_seq_set_free(struct bench_seq_set *s);
/* bench_seq_observe for sender i (< count). */
enum bench_seq_result bench_seq_set_observe(struct bench_seq_set *s, uint32_t i, uint64_t n);
/* bench_seq_lost for sender i (< count). */
uint64_t bench_seq_set_lost(const struct bench_seq_set *s, uint32_t i, uint64_t sent);

#endif

/*
 * metrics.h - Prometheus text exposition, assembled from every module.
 *
 * Modules register a writer once at startup (before threads start); GET
 * /metrics calls each writer in registration order to append its families
 * (HELP, TYPE, samples) to one buffer. Writers read their own counters,
 * which are relaxed atomics updated on the hot paths, so scraping never
 * takes a lock that a request path holds.
 *
 * struct metrics_histogram is a fixed-bucket histogram safe to observe from
 * any thread (relaxed atomics) and to read while being updated.
 */
#ifndef ONAIR_CORE_METRICS_H
#define ONAIR_CORE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "core/buf.h"

typedef void (*metrics_write_fn)(struct buf *out, void *arg);

/* Adds a writer (startup only, before any thread runs). At most 32. */
void metrics_register(metrics_write_fn fn, void *arg);
/* Runs every writer into out. Any thread. */
void metrics_write_all(struct buf *out);

#define METRICS_BUCKETS 12
/* Upper bounds in seconds shared by every latency histogram. */
extern const double metrics_latency_bounds[METRICS_BUCKETS];

struct metrics_histogram {
    atomic_uint_fast64_t bucket[METRICS_BUCKETS + 1]; /* last one is +Inf */
    atomic_uint_fast64_t count;
    atomic_uint_fast64_t sum_us; /* sum of observations in microseconds */
};

void metrics_histogram_observe(struct metrics_histogram *h, double seconds);
/* Appends the _bucket, _sum and _count lines of one histogram series;
 * labels is "" or `key="value",...` without braces. */
void metrics_histogram_write(struct buf *out, const char *name, const char *labels,
                             const struct metrics_histogram *h);

#endif

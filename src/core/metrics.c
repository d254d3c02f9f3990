#include "core/metrics.h"

#include <stdlib.h>

const double metrics_latency_bounds[METRICS_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,   0.5,   1,    2.5};

#define MAX_WRITERS 32
static struct {
    metrics_write_fn fn;
    void *arg;
} writers[MAX_WRITERS];
static int nwriters;

void metrics_register(metrics_write_fn fn, void *arg)
{
    if (nwriters == MAX_WRITERS)
        abort(); /* a programming error: raise MAX_WRITERS */
    writers[nwriters].fn = fn;
    writers[nwriters].arg = arg;
    nwriters++;
}

void metrics_write_all(struct buf *out)
{
    for (int i = 0; i < nwriters; i++)
        writers[i].fn(out, writers[i].arg);
}

void metrics_histogram_observe(struct metrics_histogram *h, double seconds)
{
    int i = 0;
    while (i < METRICS_BUCKETS && seconds > metrics_latency_bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->bucket[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    uint64_t us = seconds > 0 ? (uint64_t)(seconds * 1e6) : 0;
    atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void metrics_histogram_write(struct buf *out, const char *name, const char *labels,
                             const struct metrics_histogram *h)
{
    /* Buckets are cumulative in the exposition format; read each bucket once
     * and derive count from them so the series is self-consistent even while
     * other threads observe. */
    uint64_t cum = 0;
    const char *sep = labels[0] ? "," : "";
    for (int i = 0; i <= METRICS_BUCKETS; i++) {
        cum += atomic_load_explicit(&h->bucket[i], memory_order_relaxed);
        if (i < METRICS_BUCKETS)
            buf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                       metrics_latency_bounds[i], (unsigned long long)cum);
        else
            buf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                       (unsigned long long)cum);
    }
    double sum = (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6;
    const char *open = labels[0] ? "{" : "";
    const char *close = labels[0] ? "}" : "";
    buf_printf(out, "%s_sum%s%s%s %.6f\n", name, open, labels, close, sum);
    buf_printf(out, "%s_count%s%s%s %llu\n", name, open, labels, close, (unsigned long long)cum);
}

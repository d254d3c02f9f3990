/*
 * clock.h - the two clocks onair uses.
 * clock_wall_ms: unix time in milliseconds (stored timestamps, tokens).
 * clock_mono_ns: monotonic nanoseconds (durations, timeouts).
 */
#ifndef ONAIR_CORE_CLOCK_H
#define ONAIR_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif

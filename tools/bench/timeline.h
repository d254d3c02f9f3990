/*
 * timeline.h - when each media timestamp of a stream was sent.
 *
 * The publisher of a stream records (media ms -> wall µs) for every video
 * message it hands to the socket; a viewer of the same stream, in the same
 * process and on the same clock, asks when a given media time was sent and
 * so measures how far the live edge it sees lags behind the publisher.
 *
 * A ring of BENCH_TIMELINE_CAP entries (about two minutes of 30 fps video):
 * older entries are overwritten, which only matters to a viewer lagging more
 * than that. Media times must be added in non-decreasing order (publishers
 * rewrite the looped clip's timestamps so they are).
 *
 * Ownership: embedded in its publisher. Threading: the loop's thread only.
 */
#ifndef ONAIR_BENCH_TIMELINE_H
#define ONAIR_BENCH_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#define BENCH_TIMELINE_CAP 4096

struct bench_timeline {
    uint32_t media_ms[BENCH_TIMELINE_CAP];
    int64_t wall_us[BENCH_TIMELINE_CAP];
    unsigned head; /* oldest entry */
    unsigned n;
    /* The media time of the first video key frame sent: where an fMP4
     * packager's timeline (tfdt 0) starts. */
    bool have_key;
    uint32_t first_key_ms;
    int64_t publish_start_us; /* NetStream.Publish.Start received; 0 before */
};

void bench_timeline_add(struct bench_timeline *t, uint32_t media_ms, int64_t wall_us);

/* The wall time at which the first message with media time >= media_ms
 * was sent. False when media_ms is beyond everything sent so far or older
 * than the ring. */
bool bench_timeline_lookup(const struct bench_timeline *t, uint32_t media_ms, int64_t *wall_us);

#endif

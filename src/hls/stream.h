/*
 * stream.h - live streams and their in-memory HLS segment store.
 *
 * One struct hls_stream per live channel, shared by every loop: the RTMP
 * publisher's loop writes parts into it (through the segmenter), viewers on
 * any loop read it. Everything a viewer reads is immutable once published:
 * a part is a refcounted byte buffer (struct bytes) sent to every viewer
 * without copying; a segment is the list of its parts.
 *
 * Locking: stream->lock guards the rendition windows and the state; hold it
 * only to read or append metadata and to take references, never across I/O.
 * The registry has its own lock and never takes a stream lock while held,
 * except in hls_registry_claim/expire where the order is registry -> stream.
 *
 * Waking blocked requests: a viewer whose LL-HLS request must wait parks a
 * waiter on its own loop's list inside the stream (waiters[loop->index],
 * touched only by that loop) and sets its loop's bit in waiting_loops while
 * holding the lock. After publishing a part the writer calls
 * hls_stream_notify(), which posts one wake-up to each loop whose bit is
 * set. Because the bit is set under the lock that also guards the check, no
 * wake-up is lost.
 *
 * Lifecycle: LIVE while a publisher feeds it; PAUSED when the publisher
 * drops (viewers keep the playlist; a publisher that returns within the
 * grace period resumes it with a discontinuity); ENDED when the grace period
 * ran out: it leaves the registry and is freed with its last reference.
 */
#ifndef ONAIR_HLS_STREAM_H
#define ONAIR_HLS_STREAM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/loop.h"

#define HLS_MAX_RENDITIONS 4
#define HLS_MAX_WINDOW 16 /* complete segments listed, at most */
/* Segments kept: the listed window, the one in progress, and as many again
 * retired ones, which stay fetchable after they leave the playlist (RFC 8216
 * 6.2.2: for the segment's duration plus the playlist's). */
#define HLS_RING (2 * HLS_MAX_WINDOW + 2)
#define HLS_MAX_PARTS                                                                              \
    60 /* parts per segment (< the 64 slices of one response); a longer GOP forces a cut */
#define HLS_MAX_LOOPS 64
#define HLS_BID_LEN 8   /* broadcast id in every media URI */
#define HLS_TIME_LEN 32 /* a PROGRAM-DATE-TIME with its NUL (hls_format_time) */

struct hls_part {
    struct bytes *bytes;
    double duration; /* seconds */
    bool independent;
};

struct hls_segment {
    uint64_t msn;
    struct hls_part parts[HLS_MAX_PARTS];
    unsigned nparts;
    double duration;
    bool complete;
    bool discontinuity; /* EXT-X-DISCONTINUITY before this segment */
    unsigned init_version;
    /* Its init segment (a reference): older versions stay fetchable while
     * segments that need them are kept. */
    struct bytes *init;
    int64_t pdt_ms;         /* wall clock when its first frame arrived over RTMP */
    char pdt[HLS_TIME_LEN]; /* pdt_ms as the playlist shows it (hls_format_time) */
    size_t bytes;
};

struct hls_rendition {
    char name[16];
    struct bytes *init; /* NULL until the first keyframe */
    unsigned init_version;
    char codecs[64];
    uint32_t width, height;
    uint64_t bandwidth; /* bits/s, peak of the recent segments */
    /* Kept segments: segs[(head + i) % HLS_RING] for i < count, oldest
     * first; the last one may be in progress. Only the newest `window`
     * complete ones (and the one in progress) are listed. */
    struct hls_segment segs[HLS_RING];
    unsigned head, count;
    uint64_t next_msn;
    unsigned discontinuity_seq; /* discontinuities dropped from the ring */
    double max_segment;         /* longest segment so far, for TARGETDURATION */
    /* Carried across a publisher's reconnect so the timeline continues. */
    uint64_t timeline_end_ms;
    uint32_t fragment_seq;
};

enum hls_state { HLS_LIVE, HLS_PAUSED, HLS_ENDED };

struct hls_waiter;

struct hls_stream {
    atomic_int refs;
    char channel[32];
    int64_t channel_id;
    char bid[HLS_BID_LEN + 1];
    double part_target; /* seconds */
    double segment_target;
    unsigned window;

    pthread_mutex_t lock;
    enum hls_state state;  /* guarded by lock */
    int64_t started_at_ms; /* first publish of this broadcast */
    int64_t paused_at_ms;
    unsigned publishes; /* publishers so far (1 + reconnects) */
    struct hls_rendition rend[HLS_MAX_RENDITIONS];
    unsigned nrend;
    struct bytes *thumbnail; /* newest JPEG, or NULL (transcode/thumbnail.h) */
    /* Bumped (under lock) on every change a playlist can show; a media
     * playlist is rendered once per version and shared by every viewer. */
    uint64_t version;
    struct bytes *playlist[HLS_MAX_RENDITIONS];
    uint64_t playlist_version[HLS_MAX_RENDITIONS];

    atomic_uint_fast64_t waiting_loops;
    struct hls_waiter *waiters[HLS_MAX_LOOPS]; /* per loop, touched only by that loop */

    /* The registry's (guarded by its lock): hash chain and array slot. */
    struct hls_stream *reg_next;
    unsigned reg_slot;
};

struct hls_stream_options {
    double part_target;    /* seconds, e.g. 0.333 */
    double segment_target; /* seconds, e.g. 2 */
    unsigned window;       /* complete segments kept, <= HLS_MAX_WINDOW */
};

/* Called on a loop's thread when streams it waits on changed. */
typedef void (*hls_wake_fn)(struct hls_stream *s, struct loop *l);

/* Startup, before any loop runs. */
void hls_registry_init(struct loop_group *loops, hls_wake_fn wake);

/* Takes the channel for a new publisher. A PAUSED stream of the channel is
 * resumed (same playlist, *resumed true); otherwise a new one is made.
 * ECONFLICT if the channel is LIVE already. On success *out holds a
 * reference. */
int hls_registry_claim(const char *channel, int64_t channel_id,
                       const struct hls_stream_options *opt, struct hls_stream **out,
                       bool *resumed);

/* The channel's stream (LIVE or PAUSED) with a reference, or NULL. */
struct hls_stream *hls_registry_get(const char *channel);

/* The publisher left: LIVE -> PAUSED (its segments stay). */
void hls_stream_pause(struct hls_stream *s, int64_t now_ms);

/* Ends s if it is still PAUSED since at least grace_ms: it leaves the
 * registry, its waiters are woken (and find it ENDED). Returns true if it
 * ended now. */
bool hls_registry_expire(struct hls_stream *s, int64_t now_ms, int64_t grace_ms);

/* Streams LIVE right now (for /metrics). */
unsigned hls_registry_live_count(void);

struct hls_stream *hls_stream_ref(struct hls_stream *s);
void hls_stream_unref(struct hls_stream *s);

/* Posts a wake-up to every loop with waiters on s. Any thread, no lock held. */
void hls_stream_notify(struct hls_stream *s);

/* For the segmenter, with s->lock held: */
struct hls_segment *hls_rendition_current(struct hls_rendition *r); /* in progress, or NULL */
struct hls_segment *hls_rendition_at(struct hls_rendition *r, unsigned i); /* i-th in window */
/* Opens a new in-progress segment (completing none: the caller did). Drops
 * the oldest retired segment past twice the window. */
struct hls_segment *hls_rendition_open_segment(struct hls_rendition *r, unsigned window);
/* Index of the first listed segment (window complete ones + in progress),
 * and the discontinuity sequence number the playlist starts with. */
unsigned hls_rendition_first_listed(struct hls_rendition *r, unsigned window, unsigned *disc_seq);
/* Finds kept segment msn (listed or retired), or NULL. */
struct hls_segment *hls_rendition_find(struct hls_rendition *r, uint64_t msn);
/* The init segment of version v (current or still needed), or NULL. */
struct bytes *hls_rendition_init(struct hls_rendition *r, unsigned v);

#endif

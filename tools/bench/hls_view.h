/*
 * hls_view.h - one HLS viewer that follows a media playlist the way hls.js
 * does, on one keep-alive HTTP/1.1 connection.
 *
 * LL mode (LL-HLS servers): load the playlist; fetch the init segment and
 * the newest part; then loop: ask for the next part with a blocking reload
 * (?_HLS_msn=M&_HLS_part=N, N = last part + 1, which the server reads as
 * part 0 of M+1 past the end of a segment) and fetch every part the answer
 * lists after the last one fetched.
 * Plain mode (any HLS server): reload the playlist every target duration / 2
 * and fetch every new segment.
 * Until the first playlist that lists something to play, the playlist is
 * asked for every BENCH_VIEW_RETRY_MS (a 404 then is "not live yet", not an
 * error).
 *
 * With a publisher timeline (same process, same clock), each new part or
 * segment gives a live-edge delay: the time its playlist arrived minus the
 * time the publisher sent the media time where it ends (read from its bytes:
 * fMP4 tfdt + durations, or MPEG-TS DTS). A second figure adds the fetch.
 * Without a timeline too, each playlist that brings something new gives a
 * live-edge delay by the wall clock when it carries
 * EXT-X-PROGRAM-DATE-TIME: arrival minus the time where its media ends
 * (m3u8.h), as a player's latency readout computes it (this assumes the
 * server's and the tool's clocks agree: same machine).
 *
 * Ownership: the caller allocates the struct and fills the inputs; after
 * bench_view_stop it must stay alive until `closed`. The URL, path,
 * timeline and samples are borrowed. Threading: the loop's thread only.
 */
#ifndef ONAIR_BENCH_HLS_VIEW_H
#define ONAIR_BENCH_HLS_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bench.h"
#include "core/buf.h"
#include "m3u8.h"
#include "media_time.h"
#include "stats.h"
#include "timeline.h"

#define BENCH_VIEW_RETRY_MS 50
#define BENCH_VIEW_TIMEOUT_MS 10000
/* A viewer whose playlist brought nothing new for longer than this many
 * target durations counts as stalled ("not advancing"). */
#define BENCH_VIEW_STALL_TDS 3

enum bench_view_mode { BENCH_VIEW_LL, BENCH_VIEW_PLAIN };

struct bench_http;

/* Counters a viewer adds to; shared by all viewers of a run. */
struct bench_view_totals {
    uint64_t playlist_requests, parts, segments, media_bytes, errors, lost, unmapped;
    struct bench_samples *edge_delay_ms;  /* playlist arrival - media sent */
    struct bench_samples *fetch_delay_ms; /* bytes fetched - media sent */
    struct bench_samples *pdt_edge_ms;    /* playlist arrival - its PDT edge; NULL: none */
};

struct bench_view {
    /* Inputs. */
    uv_loop_t *loop;
    const struct bench_url *url; /* the server (address and Host) */
    char path[512];              /* the media playlist's path */
    enum bench_view_mode mode;
    const struct bench_timeline *timeline; /* NULL: no delays */
    double ts_offset_ms;                   /* MPEG-TS DTS - RTMP timestamp (nginx-rtmp: 700 ms) */
    struct bench_view_totals *totals;

    /* Results. */
    int64_t started_us;        /* bench_view_start */
    int64_t first_playable_us; /* 0 until then */
    int64_t last_new_us;       /* last time something new appeared */
    int64_t max_gap_us;        /* longest time without anything new */
    double target_duration;    /* from the playlist */
    uint64_t errors;
    bool closed;

    /* Private. */
    struct bench_http *http;
    uv_timer_t timer;
    bool stopping;
    char dir[512]; /* path up to and including the last '/' */
    struct buf text;
    struct bench_m3u8 pl;
    struct bench_fmp4_track track;
    bool have_init, is_ts;
    bool have_last;
    uint64_t last_msn;
    unsigned last_part; /* LL: index within last_msn */
    int64_t avail_us;   /* when the playlist that listed the queue arrived */
    bool phased;        /* plain: the first reload's random phase was drawn */
    uint32_t rng;
    /* Items to fetch (URIs copied), in order; `measure`: count a delay. */
    struct view_item *queue;
    unsigned qhead, qlen, qcap;
};

void bench_view_start(struct bench_view *v);
/* Stops at once (a request in flight is dropped); closes the timer and the
 * connection, and accounts the time since the last new item as a gap. */
void bench_view_stop(struct bench_view *v, int64_t now_us);
/* True when the viewer got a playable playlist and never went longer than
 * BENCH_VIEW_STALL_TDS target durations without something new. */
bool bench_view_advancing(const struct bench_view *v);

#endif

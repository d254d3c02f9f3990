/*
 * hls_view.c - an hls.js-like playlist follower (see hls_view.h).
 *
 * The viewer alternates between two activities on its one connection:
 * asking for the playlist, then fetching what it listed that is new (the
 * queue), then asking again. Everything happens in HTTP callbacks and one
 * timer, so a viewer never has more than one request in flight.
 */
#include "hls_view.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "http_client.h"

struct view_item {
    char *uri;
    enum { ITEM_INIT, ITEM_PART, ITEM_SEGMENT } kind;
    bool measure; /* new since we joined: its delay counts */
};

static void request_playlist(struct bench_view *v, bool blocking);
static void next_fetch(struct bench_view *v);

static void on_timer(uv_timer_t *t)
{
    struct bench_view *v = t->data;
    if (!v->stopping)
        request_playlist(v, false);
}

static void reload_in(struct bench_view *v, uint64_t ms)
{
    uv_timer_start(&v->timer, on_timer, ms, 0);
}

static void count_error(struct bench_view *v)
{
    v->errors++;
    v->totals->errors++;
}

static void enqueue(struct bench_view *v, const char *uri, int kind, bool measure)
{
    if (v->qlen == v->qcap) {
        /* Grow and unwrap the ring. */
        unsigned cap = v->qcap ? v->qcap * 2 : 16;
        struct view_item *q = xmalloc(cap * sizeof *q);
        for (unsigned i = 0; i < v->qlen; i++)
            q[i] = v->queue[(v->qhead + i) % v->qcap];
        free(v->queue);
        v->queue = q;
        v->qcap = cap;
        v->qhead = 0;
    }
    struct view_item *it = &v->queue[(v->qhead + v->qlen++) % v->qcap];
    it->uri = xstrdup(uri);
    it->kind = kind;
    it->measure = measure;
}

static void note_new(struct bench_view *v, int64_t now)
{
    if (now - v->last_new_us > v->max_gap_us)
        v->max_gap_us = now - v->last_new_us;
    v->last_new_us = now;
}

/* Parts of segment msn as far as the playlist tells (for loss counts). */
static uint64_t parts_in(const struct bench_m3u8 *pl, uint64_t msn)
{
    for (unsigned i = 0; i < pl->nsegs; i++) {
        const struct bench_m3u8_seg *s = &pl->segs[i];
        if (s->msn != msn)
            continue;
        if (s->nparts)
            return s->nparts;
        if (pl->part_target > 0)
            return (uint64_t)ceil(s->duration / pl->part_target - 0.01);
    }
    return 1;
}

/* LL: queues every part after (last_msn, last_part); counts skipped ones. */
static bool collect_parts(struct bench_view *v, bool measure)
{
    const struct bench_m3u8 *pl = &v->pl;
    bool any = false;
    for (unsigned si = 0; si < pl->nsegs; si++) {
        const struct bench_m3u8_seg *s = &pl->segs[si];
        for (unsigned i = 0; i < s->nparts; i++) {
            if (v->have_last &&
                (s->msn < v->last_msn || (s->msn == v->last_msn && i <= v->last_part)))
                continue;
            if (v->have_last) {
                uint64_t lost;
                if (s->msn == v->last_msn) {
                    lost = i - (v->last_part + 1);
                } else {
                    uint64_t n = parts_in(pl, v->last_msn);
                    lost = n > v->last_part + 1 ? n - (v->last_part + 1) : 0;
                    for (uint64_t m = v->last_msn + 1; m < s->msn; m++)
                        lost += parts_in(pl, m);
                    lost += i;
                }
                v->totals->lost += lost;
            }
            enqueue(v, pl->parts[s->first_part + i].uri, ITEM_PART, measure);
            v->have_last = true;
            v->last_msn = s->msn;
            v->last_part = i;
            any = true;
        }
    }
    return any;
}

/* Plain: queues every complete segment after last_msn. */
static bool collect_segments(struct bench_view *v, bool measure)
{
    const struct bench_m3u8 *pl = &v->pl;
    bool any = false;
    for (unsigned si = 0; si < pl->nsegs; si++) {
        const struct bench_m3u8_seg *s = &pl->segs[si];
        if (!s->complete || (v->have_last && s->msn <= v->last_msn))
            continue;
        if (v->have_last && s->msn > v->last_msn + 1)
            v->totals->lost += s->msn - v->last_msn - 1;
        enqueue(v, s->uri, ITEM_SEGMENT, measure);
        v->have_last = true;
        v->last_msn = s->msn;
        any = true;
    }
    return any;
}

static bool playable(const struct bench_view *v)
{
    if (v->mode == BENCH_VIEW_LL)
        return v->pl.nparts > 0;
    for (unsigned i = 0; i < v->pl.nsegs; i++)
        if (v->pl.segs[i].complete)
            return true;
    return false;
}

/* First playable playlist: the init segment, then only the newest item (a
 * player joins at the live edge; older items were not "new" to it). */
static void join(struct bench_view *v, int64_t now)
{
    const struct bench_m3u8 *pl = &v->pl;
    v->first_playable_us = now;
    v->last_new_us = now;
    v->is_ts = pl->map_uri == NULL;
    if (pl->map_uri)
        enqueue(v, pl->map_uri, ITEM_INIT, false);
    for (unsigned si = pl->nsegs; si-- > 0;) {
        const struct bench_m3u8_seg *s = &pl->segs[si];
        if (v->mode == BENCH_VIEW_LL && s->nparts) {
            enqueue(v, pl->parts[s->first_part + s->nparts - 1].uri, ITEM_PART, false);
            v->last_msn = s->msn;
            v->last_part = s->nparts - 1;
            break;
        }
        if (v->mode == BENCH_VIEW_PLAIN && s->complete) {
            enqueue(v, s->uri, ITEM_SEGMENT, false);
            v->last_msn = s->msn;
            break;
        }
    }
    v->have_last = true;
}

/* The wall clock now, ms since the epoch (PDT is wall-clock time). */
static double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void note_pdt_edge(struct bench_view *v)
{
    if (v->totals->pdt_edge_ms && v->pl.edge_pdt_ms > 0)
        bench_samples_add(v->totals->pdt_edge_ms, wall_ms() - v->pl.edge_pdt_ms);
}

static void on_playlist(struct bench_http *c, int status, const struct buf *body, void *arg)
{
    (void)c;
    struct bench_view *v = arg;
    int64_t now = bench_now_us();
    bool parsed = false;
    if (status == 200) {
        buf_reset(&v->text);
        parsed = buf_append(&v->text, body->data ? body->data : "", body->len) == 0 &&
                 bench_m3u8_parse(&v->pl, v->text.data) == 0;
        if (parsed && v->pl.target_duration > 0)
            v->target_duration = v->pl.target_duration;
    }
    if (!v->first_playable_us) {
        if (!parsed || !playable(v)) {
            /* Not live yet: a 404, or a playlist with nothing in it. */
            if (status < 0 || status >= 500 || (status == 200 && !parsed))
                count_error(v);
            reload_in(v, BENCH_VIEW_RETRY_MS);
            return;
        }
        join(v, now);
        note_pdt_edge(v);
        v->avail_us = now;
        next_fetch(v);
        return;
    }
    if (!parsed) {
        count_error(v); /* 503 after a long block, 400, 404 of an ended stream, ... */
        reload_in(v, 100);
        return;
    }
    bool measure = v->timeline != NULL;
    bool any = v->mode == BENCH_VIEW_LL ? collect_parts(v, measure) : collect_segments(v, measure);
    if (any) {
        note_new(v, now);
        note_pdt_edge(v);
        v->avail_us = now;
        next_fetch(v);
    } else if (v->mode == BENCH_VIEW_LL) {
        reload_in(v, 100); /* a blocking reload that brought nothing: do not spin */
    } else {
        next_fetch(v);
    }
}

static void measure_delay(struct bench_view *v, const struct buf *body, int64_t now)
{
    uint64_t end;
    double media_ms;
    if (v->is_ts) {
        if (bench_ts_end((const uint8_t *)body->data, body->len, &end) != 0)
            goto unmapped;
        media_ms = (double)end / 90.0 - v->ts_offset_ms;
    } else {
        if (!v->have_init ||
            bench_fmp4_end((const uint8_t *)body->data, body->len, &v->track, &end) != 0)
            goto unmapped;
        media_ms =
            (double)v->timeline->first_key_ms + (double)end * 1000.0 / (double)v->track.timescale;
    }
    int64_t sent_us;
    if (media_ms < 0 || !bench_timeline_lookup(v->timeline, (uint32_t)llround(media_ms), &sent_us))
        goto unmapped;
    bench_samples_add(v->totals->edge_delay_ms, (double)(v->avail_us - sent_us) / 1000.0);
    bench_samples_add(v->totals->fetch_delay_ms, (double)(now - sent_us) / 1000.0);
    return;
unmapped:
    v->totals->unmapped++;
}

static void on_media(struct bench_http *c, int status, const struct buf *body, void *arg)
{
    (void)c;
    struct bench_view *v = arg;
    struct view_item it = v->queue[v->qhead];
    v->qhead = (v->qhead + 1) % v->qcap;
    v->qlen--;
    if (status == 200) {
        v->totals->media_bytes += body->len;
        if (it.kind == ITEM_INIT) {
            v->have_init =
                bench_fmp4_init_parse((const uint8_t *)body->data, body->len, &v->track) == 0;
            if (!v->have_init)
                count_error(v);
        } else {
            if (it.kind == ITEM_PART)
                v->totals->parts++;
            else
                v->totals->segments++;
            if (it.measure && v->timeline)
                measure_delay(v, body, bench_now_us());
        }
    } else {
        count_error(v);
    }
    free(it.uri);
    next_fetch(v);
}

/* The request target for uri, resolved against the playlist's directory. */
static void resolve(const struct bench_view *v, const char *uri, char *out, size_t size)
{
    if (strncmp(uri, "http://", 7) == 0) {
        const char *p = strchr(uri + 7, '/');
        snprintf(out, size, "%s", p ? p : "/");
    } else if (uri[0] == '/') {
        snprintf(out, size, "%s", uri);
    } else {
        snprintf(out, size, "%s%s", v->dir, uri);
    }
}

static void next_fetch(struct bench_view *v)
{
    if (v->stopping)
        return;
    if (v->qlen == 0) {
        if (v->mode == BENCH_VIEW_LL) {
            request_playlist(v, true);
        } else {
            double td = v->target_duration > 0 ? v->target_duration : 2;
            uint64_t ms = (uint64_t)(td * 500);
            if (!v->phased) {
                /* The first reload after joining comes after a random part
                 * of the period: real viewers join at random moments, and a
                 * viewer that polls in step with segment production (it
                 * noticed the first one within BENCH_VIEW_RETRY_MS) would
                 * report delays no real viewer sees. */
                v->phased = true;
                v->rng ^= v->rng << 13;
                v->rng ^= v->rng >> 17;
                v->rng ^= v->rng << 5;
                ms = ms * (v->rng % 1000) / 1000;
            }
            reload_in(v, ms);
        }
        return;
    }
    char target[1024];
    resolve(v, v->queue[v->qhead].uri, target, sizeof target);
    if (bench_http_get(v->http, target, BENCH_VIEW_TIMEOUT_MS, on_media, v) < 0)
        count_error(v);
}

static void request_playlist(struct bench_view *v, bool blocking)
{
    if (v->stopping)
        return;
    char target[700];
    if (blocking)
        snprintf(target, sizeof target, "%s?_HLS_msn=%" PRIu64 "&_HLS_part=%u", v->path,
                 v->last_msn, v->last_part + 1);
    else
        snprintf(target, sizeof target, "%s", v->path);
    v->totals->playlist_requests++;
    if (bench_http_get(v->http, target, BENCH_VIEW_TIMEOUT_MS, on_playlist, v) < 0)
        count_error(v);
}

void bench_view_start(struct bench_view *v)
{
    char host[80];
    snprintf(host, sizeof host, "%s:%d", v->url->host, v->url->port);
    v->started_us = bench_now_us();
    v->http = bench_http_new(v->loop, (const struct sockaddr *)&v->url->addr, host);
    uv_timer_init(v->loop, &v->timer);
    v->timer.data = v;
    v->rng = (uint32_t)(uintptr_t)v ^ (uint32_t)bench_now_us() ^ 0x9E3779B9u;
    if (!v->rng)
        v->rng = 1;
    buf_init(&v->text, BENCH_HTTP_MAX_BODY);
    snprintf(v->dir, sizeof v->dir, "%s", v->path);
    char *slash = strrchr(v->dir, '/');
    if (slash)
        slash[1] = '\0';
    request_playlist(v, false);
}

static void timer_closed(uv_handle_t *h)
{
    struct bench_view *v = h->data;
    v->closed = true;
}

void bench_view_stop(struct bench_view *v, int64_t now_us)
{
    if (v->stopping)
        return;
    v->stopping = true;
    if (v->first_playable_us)
        note_new(v, now_us);
    bench_http_free(v->http);
    v->http = NULL;
    uv_timer_stop(&v->timer);
    uv_close((uv_handle_t *)&v->timer, timer_closed);
    for (unsigned i = 0; i < v->qlen; i++)
        free(v->queue[(v->qhead + i) % v->qcap].uri);
    free(v->queue);
    v->queue = NULL;
    v->qlen = 0;
    buf_free(&v->text);
    bench_m3u8_free(&v->pl);
}

bool bench_view_advancing(const struct bench_view *v)
{
    double td = v->target_duration > 0 ? v->target_duration : 2;
    return v->first_playable_us && v->max_gap_us <= (int64_t)(BENCH_VIEW_STALL_TDS * td * 1e6);
}

#include "hls/serve.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/loop.h"
#include "hls/playlist.h"
#include "hls/stream.h"
#include "http/json.h"
#include "http/router.h"
#include "http/server.h"

#define PLAYLIST_TYPE "application/vnd.apple.mpegurl"
#define PLAYLIST_HEADERS "Cache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\n"
#define MEDIA_HEADERS                                                                              \
    "Cache-Control: public, max-age=31536000, immutable\r\nAccess-Control-Allow-Origin: *\r\n"

/* How often a loop with parked requests looks for expired ones: their
 * timeouts are whole target durations, so this much lateness is nothing. */
#define PARK_TICK_MS 250

enum waiter_kind { WAIT_PLAYLIST, WAIT_PART };

struct park_list;

struct hls_waiter {
    struct hls_waiter *next; /* in the stream's list for this loop */
    struct http_request *req;
    struct hls_stream *s; /* a reference */
    unsigned ri;
    enum waiter_kind kind;
    uint64_t msn;
    long part; /* -1: none */
    /* In its loop's park list, for the timeout. */
    struct park_list *pl;
    struct hls_waiter *tprev, *tnext;
    uint64_t deadline; /* loop time, ms */
};

/*
 * The parked requests of one loop, for their timeouts: one repeating tick
 * per loop while any is parked, instead of a libuv timer made, started,
 * stopped and closed per request (a viewer parks one per part). The tick
 * scans the list: parked requests are few per loop, and most are woken by
 * their part long before their deadline. Made when the first request parks
 * and closed when the last one leaves, so an idle loop keeps no handle.
 */
struct park_list {
    uv_timer_t tick;
    unsigned li; /* its loop's index */
    struct hls_waiter *head;
    unsigned count;
};

static struct park_list *parks[HLS_MAX_LOOPS]; /* each touched by its own loop only */

/* ---- request parsing ---- */

static int find_rendition(struct hls_stream *s, const char *name)
{
    for (unsigned i = 0; i < s->nrend; i++)
        if (strcmp(s->rend[i].name, name) == 0)
            return (int)i;
    return -1;
}

static struct hls_stream *stream_for(struct http_request *req)
{
    char name[40];
    const char *ch = http_request_param(req, "channel");
    size_t n = ch ? strlen(ch) : 0;
    if (n == 0 || n >= sizeof name)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        name[i] = (char)tolower((unsigned char)ch[i]);
    return hls_registry_get(name);
}

/* ---- answers (stream lock NOT held) ---- */

static void answer_playlist(struct http_request *req, struct hls_stream *s, unsigned ri)
{
    struct http_body_ref ref = {0};
    pthread_mutex_lock(&s->lock);
    bool ended = s->state == HLS_ENDED;
    bool ready = s->rend[ri].init != NULL;
    if (ready) {
        /* Rendered once per change and shared: every viewer woken by the
         * same part gets the same bytes, with no formatting per request. */
        if (!s->playlist[ri] || s->playlist_version[ri] != s->version) {
            struct buf out;
            buf_init(&out, 0);
            hls_playlist_media(&out, s, &s->rend[ri], ended);
            size_t n;
            void *text = buf_take(&out, &n);
            bytes_unref(s->playlist[ri]);
            s->playlist[ri] = bytes_take(text, n);
            s->playlist_version[ri] = s->version;
        }
        struct bytes *b = bytes_ref(s->playlist[ri]);
        ref = (struct http_body_ref){b->data, b->len, bytes_release, b};
    }
    pthread_mutex_unlock(&s->lock);
    if (!ready)
        http_respond_error(req, 404, "not_found", "the stream has not started yet");
    else
        http_respond_refs(req, 200, PLAYLIST_TYPE, PLAYLIST_HEADERS, &ref, 1);
}

/* Sends part i of segment msn if it exists. Returns false if it doesn't
 * (yet). Must be called without the lock. */
static bool answer_part(struct http_request *req, struct hls_stream *s, unsigned ri, uint64_t msn,
                        unsigned part)
{
    struct http_body_ref ref = {0};
    pthread_mutex_lock(&s->lock);
    struct hls_segment *seg = hls_rendition_find(&s->rend[ri], msn);
    bool found = seg && part < seg->nparts;
    if (found) {
        struct bytes *b = bytes_ref(seg->parts[part].bytes);
        ref = (struct http_body_ref){b->data, b->len, bytes_release, b};
    }
    pthread_mutex_unlock(&s->lock);
    if (found)
        http_respond_refs(req, 200, "video/mp4", MEDIA_HEADERS, &ref, 1);
    return found;
}

/* ---- blocking ---- */

/* With the lock held: is what the waiter asks for there (or never coming)? */
static bool satisfied_locked(struct hls_stream *s, const struct hls_waiter *w)
{
    if (s->state == HLS_ENDED)
        return true;
    struct hls_rendition *r = &s->rend[w->ri];
    if (!r->init)
        return false;
    struct hls_segment *first = hls_rendition_at(r, 0);
    if (first && w->msn < first->msn)
        return true; /* already gone from the window: answer now */
    struct hls_segment *seg = hls_rendition_find(r, w->msn);
    if (w->kind == WAIT_PART)
        return seg && (unsigned long)w->part < seg->nparts;
    if (w->part < 0)
        return seg && seg->complete;
    if (!seg)
        return false;
    if ((unsigned long)w->part < seg->nparts)
        return true;
    if (!seg->complete)
        return false;
    /* Past the last part of a complete segment: part 0 of the next one. */
    struct hls_segment *next = hls_rendition_find(r, w->msn + 1);
    return next && next->nparts > 0;
}

static void on_park_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Takes w out of its loop's park list; the list goes with its last one. */
static void park_remove(struct hls_waiter *w)
{
    struct park_list *pl = w->pl;
    if (!pl)
        return;
    if (w->tprev)
        w->tprev->tnext = w->tnext;
    else
        pl->head = w->tnext;
    if (w->tnext)
        w->tnext->tprev = w->tprev;
    w->pl = NULL;
    if (--pl->count > 0)
        return;
    parks[pl->li] = NULL;
    uv_close((uv_handle_t *)&pl->tick, on_park_closed); /* pl is freed after */
}

static void unlink_waiter(struct hls_waiter *w, unsigned li)
{
    struct hls_waiter **pp = &w->s->waiters[li];
    while (*pp && *pp != w)
        pp = &(*pp)->next;
    if (*pp)
        *pp = w->next;
}

/* Answers a waiter that left its stream's list and frees it. */
static void finish_waiter(struct hls_waiter *w, bool timed_out)
{
    struct http_request *req = w->req;
    struct hls_stream *s = w->s;
    park_remove(w);
    pthread_mutex_lock(&s->lock);
    bool ended = s->state == HLS_ENDED;
    pthread_mutex_unlock(&s->lock);
    if (w->kind == WAIT_PART) {
        if (timed_out || ended || !answer_part(req, s, w->ri, w->msn, (unsigned)w->part))
            http_respond_error(req, 404, "not_found", "that part was not produced");
    } else if (timed_out) {
        http_respond_error_headers(req, 503, "unavailable", "the stream did not advance in time",
                                   "Retry-After: 1\r\nCache-Control: no-store\r\n");
    } else if (ended) {
        http_respond_error(req, 404, "not_found", "the stream has ended");
    } else {
        answer_playlist(req, s, w->ri);
    }
    hls_stream_unref(s);
    free(w);
}

static void on_park_tick(uv_timer_t *t)
{
    struct park_list *pl = t->data;
    uint64_t now = uv_now(t->loop);
    /* Collected first (through their free stream-list link), since
     * answering the last one ends the list. */
    struct hls_waiter *expired = NULL;
    for (struct hls_waiter *w = pl->head; w; w = w->tnext) {
        if (w->deadline > now)
            continue;
        unlink_waiter(w, pl->li);
        w->next = expired;
        expired = w;
    }
    while (expired) {
        struct hls_waiter *w = expired;
        expired = w->next;
        finish_waiter(w, true);
    }
}

/* Puts w in its loop's park list (making the list if it has none). */
static void park_add(struct hls_waiter *w, struct loop *l, uint64_t timeout_ms)
{
    struct park_list *pl = parks[l->index];
    if (!pl) {
        pl = xcalloc(1, sizeof *pl);
        pl->li = l->index;
        uv_timer_init(&l->uv, &pl->tick);
        pl->tick.data = pl;
        uv_timer_start(&pl->tick, on_park_tick, PARK_TICK_MS, PARK_TICK_MS);
        parks[l->index] = pl;
    }
    w->deadline = uv_now(&l->uv) + timeout_ms;
    w->pl = pl;
    w->tprev = NULL;
    w->tnext = pl->head;
    if (pl->head)
        pl->head->tprev = w;
    pl->head = w;
    pl->count++;
}

void hls_serve_wake(struct hls_stream *s, struct loop *l)
{
    struct hls_waiter *ready = NULL;
    pthread_mutex_lock(&s->lock);
    struct hls_waiter **pp = &s->waiters[l->index];
    bool still_waiting = false;
    while (*pp) {
        struct hls_waiter *w = *pp;
        if (satisfied_locked(s, w)) {
            *pp = w->next;
            w->next = ready;
            ready = w;
        } else {
            still_waiting = true;
            pp = &w->next;
        }
    }
    if (still_waiting)
        atomic_fetch_or(&s->waiting_loops, 1ull << l->index);
    pthread_mutex_unlock(&s->lock);
    while (ready) {
        struct hls_waiter *w = ready;
        ready = w->next;
        finish_waiter(w, false);
    }
}

/* Parks req until satisfied (checked under the lock first). Returns false
 * if it is satisfied already (the caller answers now). */
static bool park(struct http_request *req, struct hls_stream *s, unsigned ri, enum waiter_kind kind,
                 uint64_t msn, long part, double timeout_s)
{
    unsigned li = req->loop->index;
    if (li >= HLS_MAX_LOOPS)
        return false;
    struct hls_waiter *w = xcalloc(1, sizeof *w);
    w->req = req;
    w->ri = ri;
    w->kind = kind;
    w->msn = msn;
    w->part = part;
    pthread_mutex_lock(&s->lock);
    if (satisfied_locked(s, w)) {
        pthread_mutex_unlock(&s->lock);
        free(w);
        return false;
    }
    w->s = hls_stream_ref(s);
    w->next = s->waiters[li];
    s->waiters[li] = w;
    atomic_fetch_or(&s->waiting_loops, 1ull << li);
    pthread_mutex_unlock(&s->lock);
    park_add(w, req->loop, (uint64_t)(timeout_s * 1000));
    return true;
}

/* ---- handlers ---- */

static void master(struct http_request *req, void *arg)
{
    struct hls_stream *s = stream_for(req);
    if (!s) {
        http_respond_error(req, 404, "not_found", "the channel is not live");
        return;
    }
    struct buf out;
    buf_init(&out, 0);
    pthread_mutex_lock(&s->lock);
    unsigned n = hls_playlist_master(&out, s);
    pthread_mutex_unlock(&s->lock);
    if (n == 0)
        http_respond_error(req, 404, "not_found", "the stream has not started yet");
    else
        http_respond(req, 200, PLAYLIST_TYPE, PLAYLIST_HEADERS, out.data, out.len);
    buf_free(&out);
    hls_stream_unref(s);
}

static void media_playlist(struct http_request *req, struct hls_stream *s, unsigned ri)
{
    uint64_t msn = 0, part = 0;
    bool has_msn, has_part;
    if (!http_query_u64(req->query, "_HLS_msn", &msn, &has_msn) ||
        !http_query_u64(req->query, "_HLS_part", &part, &has_part)) {
        http_respond_error(req, 400, "bad_request", "_HLS_msn and _HLS_part must be numbers");
        return;
    }
    if (has_part && !has_msn) {
        http_respond_error(req, 400, "bad_request", "_HLS_part needs _HLS_msn");
        return;
    }
    if (!has_msn) {
        answer_playlist(req, s, ri);
        return;
    }
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[ri];
    uint64_t last = r->next_msn ? r->next_msn - 1 : 0;
    double target = s->segment_target > r->max_segment ? s->segment_target : r->max_segment;
    bool ended = s->state == HLS_ENDED;
    pthread_mutex_unlock(&s->lock);
    if (ended) { /* directives are ignored once the playlist has ended */
        answer_playlist(req, s, ri);
        return;
    }
    if (msn > last + 2 || (has_part && part > HLS_MAX_PARTS)) {
        http_respond_error(req, 400, "bad_request", "_HLS_msn is too far ahead of the live edge");
        return;
    }
    if (!park(req, s, ri, WAIT_PLAYLIST, msn, has_part ? (long)part : -1, 3 * target))
        answer_playlist(req, s, ri);
}

/* "<bid>_init<v>.mp4", "<bid>_<msn>.m4s", "<bid>_<msn>.<i>.m4s" */
static void media_file(struct http_request *req, struct hls_stream *s, unsigned ri,
                       const char *file)
{
    size_t bl = strlen(s->bid);
    if (strncmp(file, s->bid, bl) != 0 || file[bl] != '_') {
        http_respond_error(req, 404, "not_found", "no such file in this broadcast");
        return;
    }
    const char *rest = file + bl + 1;
    size_t n = strlen(rest);
    if (strncmp(rest, "init", 4) == 0 && n > 8 && strcmp(rest + n - 4, ".mp4") == 0) {
        uint64_t v;
        struct http_body_ref ref = {0};
        bool found = false;
        if (http_parse_u64(rest + 4, n - 8, &v)) {
            pthread_mutex_lock(&s->lock);
            struct bytes *init = hls_rendition_init(&s->rend[ri], (unsigned)v);
            if (init) {
                struct bytes *b = bytes_ref(init);
                ref = (struct http_body_ref){b->data, b->len, bytes_release, b};
                found = true;
            }
            pthread_mutex_unlock(&s->lock);
        }
        if (found)
            http_respond_refs(req, 200, "video/mp4", MEDIA_HEADERS, &ref, 1);
        else
            http_respond_error(req, 404, "not_found", "no such init segment");
        return;
    }
    if (n < 5 || strcmp(rest + n - 4, ".m4s") != 0) {
        http_respond_error(req, 404, "not_found", "no such file");
        return;
    }
    const char *dot = memchr(rest, '.', n - 4);
    uint64_t msn, part;
    if (!http_parse_u64(rest, (size_t)((dot ? dot : rest + n - 4) - rest), &msn) ||
        (dot && !http_parse_u64(dot + 1, (size_t)(rest + n - 4 - dot - 1), &part))) {
        http_respond_error(req, 404, "not_found", "no such file");
        return;
    }
    if (dot) {
        if (answer_part(req, s, ri, msn, (unsigned)part))
            return;
        /* Not there yet: park it if it is the part the playlist hinted. */
        pthread_mutex_lock(&s->lock);
        struct hls_rendition *r = &s->rend[ri];
        struct hls_segment *cur = hls_rendition_current(r);
        bool hinted = (cur && cur->msn == msn && part == cur->nparts) ||
                      (!cur && msn == r->next_msn && part == 0);
        double wait = 3 * s->part_target + 1;
        pthread_mutex_unlock(&s->lock);
        if (!hinted || !park(req, s, ri, WAIT_PART, msn, (long)part, wait)) {
            if (!answer_part(req, s, ri, msn, (unsigned)part))
                http_respond_error(req, 404, "not_found", "no such part");
        }
        return;
    }
    /* A whole segment: its parts, back to back, without copying. */
    struct http_body_ref refs[HLS_MAX_PARTS];
    unsigned nrefs = 0;
    bool complete = false;
    pthread_mutex_lock(&s->lock);
    struct hls_segment *seg = hls_rendition_find(&s->rend[ri], msn);
    if (seg && seg->complete) {
        complete = true;
        for (unsigned i = 0; i < seg->nparts; i++) {
            struct bytes *b = bytes_ref(seg->parts[i].bytes);
            refs[nrefs++] = (struct http_body_ref){b->data, b->len, bytes_release, b};
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (complete)
        http_respond_refs(req, 200, "video/mp4", MEDIA_HEADERS, refs, nrefs);
    else
        http_respond_error(req, 404, "not_found", "no such segment");
}

static void rendition_file(struct http_request *req, void *arg)
{
    struct hls_stream *s = stream_for(req);
    if (!s) {
        http_respond_error(req, 404, "not_found", "the channel is not live");
        return;
    }
    int ri = find_rendition(s, http_request_param(req, "rendition"));
    const char *file = http_request_param(req, "file");
    if (ri < 0)
        http_respond_error(req, 404, "not_found", "no such rendition");
    else if (strcmp(file, "index.m3u8") == 0)
        media_playlist(req, s, (unsigned)ri);
    else
        media_file(req, s, (unsigned)ri, file);
    hls_stream_unref(s);
}

/* GET /api/channels/{name}/thumbnail.jpg: the live channel's newest frame. */
static void thumbnail(struct http_request *req, void *arg)
{
    char name[40];
    const char *ch = http_request_param(req, "name");
    size_t n = ch ? strlen(ch) : 0;
    struct hls_stream *s = NULL;
    if (n > 0 && n < sizeof name) {
        for (size_t i = 0; i <= n; i++)
            name[i] = (char)tolower((unsigned char)ch[i]);
        s = hls_registry_get(name);
    }
    struct http_body_ref ref = {0};
    if (s) {
        pthread_mutex_lock(&s->lock);
        if (s->thumbnail) {
            struct bytes *b = bytes_ref(s->thumbnail);
            ref = (struct http_body_ref){b->data, b->len, bytes_release, b};
        }
        pthread_mutex_unlock(&s->lock);
        hls_stream_unref(s);
    }
    if (ref.data)
        http_respond_refs(req, 200, "image/jpeg", "Cache-Control: no-cache, max-age=0\r\n", &ref,
                          1);
    else
        http_respond_error(req, 404, "not_found", "the channel is offline or has no thumbnail yet");
}

void hls_serve_register(struct http_router *r)
{
    http_router_add(r, HTTP_GET, "/api/channels/{name}/thumbnail.jpg", thumbnail, NULL);
    http_router_add(r, HTTP_GET, "/hls/{channel}/index.m3u8", master, NULL);
    http_router_add(r, HTTP_GET, "/hls/{channel}/{rendition}/{file}", rendition_file, NULL);
}

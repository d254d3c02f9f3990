#include "hls/stream.h"

#include <stdlib.h>
#include <string.h>

#include "auth/token.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"

/* ---- registry ---- */

#define MAX_STREAMS 4096
/* Channel name -> stream, chained through reg_next: every viewer request
 * looks its channel up, so no scan over every live stream under the lock. */
#define BUCKETS 4096 /* a power of two */

static struct {
    pthread_mutex_t lock;
    struct hls_stream *streams[MAX_STREAMS]; /* LIVE or PAUSED, each holding one ref */
    unsigned count;
    struct hls_stream *buckets[BUCKETS];
    struct loop_group *loops;
    hls_wake_fn wake;
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* FNV-1a */
static struct hls_stream **bucket(const char *channel)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)channel; *p; p++)
        h = (h ^ *p) * 16777619u;
    return &reg.buckets[h & (BUCKETS - 1)];
}

void hls_registry_init(struct loop_group *loops, hls_wake_fn wake)
{
    reg.loops = loops;
    reg.wake = wake;
}

static void segment_clear(struct hls_segment *seg)
{
    for (unsigned i = 0; i < seg->nparts; i++)
        bytes_unref(seg->parts[i].bytes);
    bytes_unref(seg->init);
    memset(seg, 0, sizeof *seg);
}

struct hls_stream *hls_stream_ref(struct hls_stream *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void hls_stream_unref(struct hls_stream *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned r = 0; r < s->nrend; r++) {
        struct hls_rendition *rd = &s->rend[r];
        for (unsigned i = 0; i < HLS_RING; i++)
            segment_clear(&rd->segs[i]);
        bytes_unref(rd->init);
    }
    bytes_unref(s->thumbnail);
    for (unsigned r = 0; r < HLS_MAX_RENDITIONS; r++)
        bytes_unref(s->playlist[r]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static struct hls_stream *find_locked(const char *channel)
{
    struct hls_stream *s = *bucket(channel);
    while (s && strcmp(s->channel, channel) != 0)
        s = s->reg_next;
    return s;
}

static void add_locked(struct hls_stream *s)
{
    struct hls_stream **b = bucket(s->channel);
    s->reg_next = *b;
    *b = s;
    s->reg_slot = reg.count;
    reg.streams[reg.count++] = s;
}

static void remove_locked(struct hls_stream *s)
{
    struct hls_stream **pp = bucket(s->channel);
    while (*pp != s)
        pp = &(*pp)->reg_next;
    *pp = s->reg_next;
    struct hls_stream *last = reg.streams[--reg.count];
    reg.streams[s->reg_slot] = last;
    last->reg_slot = s->reg_slot;
}

int hls_registry_claim(const char *channel, int64_t channel_id,
                       const struct hls_stream_options *opt, struct hls_stream **out, bool *resumed)
{
    pthread_mutex_lock(&reg.lock);
    struct hls_stream *found = find_locked(channel);
    if (found) {
        struct hls_stream *s = found;
        pthread_mutex_lock(&s->lock);
        bool live = s->state == HLS_LIVE;
        if (!live) {
            s->state = HLS_LIVE;
            s->publishes++;
        }
        pthread_mutex_unlock(&s->lock);
        if (live) {
            pthread_mutex_unlock(&reg.lock);
            return ONAIR_ECONFLICT;
        }
        *out = hls_stream_ref(s);
        *resumed = true;
        pthread_mutex_unlock(&reg.lock);
        return 0;
    }
    if (reg.count == MAX_STREAMS) {
        pthread_mutex_unlock(&reg.lock);
        return ONAIR_EAGAIN;
    }
    struct hls_stream *s = xcalloc(1, sizeof *s);
    atomic_init(&s->refs, 2); /* the registry's and the caller's */
    snprintf(s->channel, sizeof s->channel, "%s", channel);
    s->channel_id = channel_id;
    /* A fresh broadcast id in every URI: a new broadcast can never be
     * confused with an old one by a player or a cache. */
    char rnd[16];
    auth_token_random(rnd, 6);
    memcpy(s->bid, rnd, HLS_BID_LEN);
    s->bid[HLS_BID_LEN] = '\0';
    s->part_target = opt->part_target;
    s->segment_target = opt->segment_target;
    s->window = opt->window > HLS_MAX_WINDOW ? HLS_MAX_WINDOW : (opt->window ? opt->window : 1);
    pthread_mutex_init(&s->lock, NULL);
    s->state = HLS_LIVE;
    s->publishes = 1;
    add_locked(s);
    pthread_mutex_unlock(&reg.lock);
    *out = s;
    *resumed = false;
    return 0;
}

struct hls_stream *hls_registry_get(const char *channel)
{
    pthread_mutex_lock(&reg.lock);
    struct hls_stream *s = find_locked(channel);
    if (s)
        hls_stream_ref(s);
    pthread_mutex_unlock(&reg.lock);
    return s;
}

void hls_stream_pause(struct hls_stream *s, int64_t now_ms)
{
    pthread_mutex_lock(&s->lock);
    if (s->state == HLS_LIVE) {
        s->state = HLS_PAUSED;
        s->paused_at_ms = now_ms;
        s->version++;
    }
    pthread_mutex_unlock(&s->lock);
    hls_stream_notify(s);
}

bool hls_registry_expire(struct hls_stream *s, int64_t now_ms, int64_t grace_ms)
{
    bool ended = false;
    pthread_mutex_lock(&reg.lock);
    pthread_mutex_lock(&s->lock);
    if (s->state == HLS_PAUSED && now_ms - s->paused_at_ms >= grace_ms) {
        s->state = HLS_ENDED;
        s->version++;
        ended = true;
    }
    pthread_mutex_unlock(&s->lock);
    if (ended && find_locked(s->channel) == s) {
        remove_locked(s);
        hls_stream_unref(s); /* the registry's reference; the caller still holds one */
    }
    pthread_mutex_unlock(&reg.lock);
    if (ended)
        hls_stream_notify(s);
    return ended;
}

unsigned hls_registry_live_count(void)
{
    unsigned n = 0;
    pthread_mutex_lock(&reg.lock);
    for (unsigned i = 0; i < reg.count; i++) {
        pthread_mutex_lock(&reg.streams[i]->lock);
        n += reg.streams[i]->state == HLS_LIVE;
        pthread_mutex_unlock(&reg.streams[i]->lock);
    }
    pthread_mutex_unlock(&reg.lock);
    return n;
}

struct wake_msg {
    struct hls_stream *s;
    struct loop *l;
};

static void on_wake(void *arg)
{
    struct wake_msg *m = arg;
    if (reg.wake)
        reg.wake(m->s, m->l);
    hls_stream_unref(m->s);
    free(m);
}

void hls_stream_notify(struct hls_stream *s)
{
    uint64_t bits = atomic_exchange(&s->waiting_loops, 0);
    for (unsigned i = 0; bits && reg.loops && i < reg.loops->count && i < HLS_MAX_LOOPS; i++) {
        if (!(bits & (1ull << i)))
            continue;
        struct wake_msg *m = xmalloc(sizeof *m);
        m->s = hls_stream_ref(s);
        m->l = &reg.loops->loops[i];
        if (loop_post(m->l, on_wake, m) != 0) {
            hls_stream_unref(s);
            free(m);
        }
    }
}

/* ---- window ---- */

struct hls_segment *hls_rendition_at(struct hls_rendition *r, unsigned i)
{
    if (i >= r->count)
        return NULL;
    return &r->segs[(r->head + i) % HLS_RING];
}

struct hls_segment *hls_rendition_current(struct hls_rendition *r)
{
    if (!r->count)
        return NULL;
    struct hls_segment *last = hls_rendition_at(r, r->count - 1);
    return last->complete ? NULL : last;
}

struct bytes *hls_rendition_init(struct hls_rendition *r, unsigned v)
{
    if (r->init && r->init_version == v)
        return r->init;
    for (unsigned i = 0; i < r->count; i++) {
        struct hls_segment *seg = hls_rendition_at(r, i);
        if (seg->init && seg->init_version == v)
            return seg->init;
    }
    return NULL;
}

struct hls_segment *hls_rendition_find(struct hls_rendition *r, uint64_t msn)
{
    if (!r->count)
        return NULL;
    uint64_t first = hls_rendition_at(r, 0)->msn;
    if (msn < first || msn >= first + r->count)
        return NULL;
    return hls_rendition_at(r, (unsigned)(msn - first));
}

unsigned hls_rendition_first_listed(struct hls_rendition *r, unsigned window, unsigned *disc_seq)
{
    unsigned complete = r->count;
    if (complete && !hls_rendition_at(r, r->count - 1)->complete)
        complete--;
    unsigned first = complete > window ? complete - window : 0;
    unsigned seq = r->discontinuity_seq;
    for (unsigned i = 0; i < first; i++)
        seq += hls_rendition_at(r, i)->discontinuity;
    if (disc_seq)
        *disc_seq = seq;
    return first;
}

struct hls_segment *hls_rendition_open_segment(struct hls_rendition *r, unsigned window)
{
    /* Keep the listed window, as many retired segments again, and the new one. */
    unsigned keep = 2 * window + 1;
    if (keep > HLS_RING - 1)
        keep = HLS_RING - 1;
    while (r->count > 0 && r->count >= keep) {
        struct hls_segment *old = hls_rendition_at(r, 0);
        if (old->discontinuity)
            r->discontinuity_seq++;
        segment_clear(old);
        r->head = (r->head + 1) % HLS_RING;
        r->count--;
    }
    struct hls_segment *seg = &r->segs[(r->head + r->count) % HLS_RING];
    segment_clear(seg);
    seg->msn = r->next_msn++;
    seg->init_version = r->init_version;
    seg->init = r->init ? bytes_ref(r->init) : NULL;
    r->count++;
    return seg;
}

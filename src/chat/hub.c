/*
 * hub.c - the chat writer thread and room fan-out. See hub.h.
 */
#include "chat/hub.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "chat/hub_internal.h"
#include "chat/user_table.h"
#include "store/store.h"
#include "ws/conn.h"

#define PRESENCE_MS 2000

static struct {
    struct store *store;
    struct loop_group *loops;
    struct chat_options opt;
    pthread_t thread;
    pthread_mutex_t lock; /* queue and registry */
    pthread_cond_t more;
    struct req *head, *tail;
    unsigned queued;
    bool pacing; /* the writer holds queued work until a fan-out post is due */
    bool stopping, started;
    struct chat_room *rooms;
    /* rooms by name (FNV-1a, chained), for a lookup per send that doesn't
     * walk every room ever loaded while holding the lock loops enqueue on */
    struct chat_room **index;
    size_t index_cap, room_count;
    struct chat_user_table rate; /* writer only: per-user token buckets */
    struct chat_room lobby;      /* every connection: notices for all (subs only) */
} hub = {.lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER};

static atomic_uint_fast64_t m_unloads, m_freed, m_joins, m_fast_joins, m_sent, m_deliveries,
    m_batches, m_batch_events;
static struct metrics_histogram m_ack_latency, m_fanout_latency;

/* Store batch sizes: a histogram with power-of-two buckets 1..512. */
#define BATCH_BUCKETS 10
static atomic_uint_fast64_t m_batch_size[BATCH_BUCKETS + 1];

static void count_batch(size_t events)
{
    atomic_fetch_add(&m_batches, 1);
    atomic_fetch_add(&m_batch_events, events);
    unsigned b = 0;
    while (b < BATCH_BUCKETS && events > ((size_t)1 << b))
        b++;
    atomic_fetch_add_explicit(&m_batch_size[b], 1, memory_order_relaxed);
}

static void write_batch_sizes(struct buf *out)
{
    buf_append_str(out, "# HELP onair_chat_batch_size Events per store transaction of the chat "
                        "writer.\n# TYPE onair_chat_batch_size histogram\n");
    uint64_t cum = 0;
    for (unsigned b = 0; b < BATCH_BUCKETS; b++) {
        cum += atomic_load(&m_batch_size[b]);
        buf_printf(out, "onair_chat_batch_size_bucket{le=\"%u\"} %llu\n", 1u << b,
                   (unsigned long long)cum);
    }
    cum += atomic_load(&m_batch_size[BATCH_BUCKETS]);
    buf_printf(out,
               "onair_chat_batch_size_bucket{le=\"+Inf\"} %llu\n"
               "onair_chat_batch_size_sum %llu\nonair_chat_batch_size_count %llu\n",
               (unsigned long long)cum, (unsigned long long)atomic_load(&m_batch_events),
               (unsigned long long)cum);
}

/* ---- JSON ---- */

/* {"type":"system","room","seq","text","ts"} plus, for a moderation
 * notice, "action", the "user" it was about and its "seconds". */
static json_t *system_json(const struct store_chat_event *ev)
{
    json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:I}", "type", "system", "room", ev->room, "seq",
                          (json_int_t)ev->seq, "text", ev->text, "ts", (json_int_t)ev->ts);
    if (!o || !ev->action[0])
        return o;
    json_object_set_new(o, "action", json_string(ev->action));
    if (ev->user_id)
        json_object_set_new(
            o, "user", json_pack("{s:I,s:s}", "id", (json_int_t)ev->user_id, "name", ev->username));
    if (strcmp(ev->action, "timeout") == 0 || strcmp(ev->action, "slow") == 0)
        json_object_set_new(o, "seconds", json_integer(ev->amount));
    return o;
}

void chat_event_json(struct buf *out, const struct store_chat_event *ev)
{
    json_t *o;
    if (strcmp(ev->type, "donation") == 0)
        o = json_pack("{s:s,s:s,s:I,s:{s:I,s:s},s:I,s:s,s:I}", "type", "donation", "room", ev->room,
                      "seq", (json_int_t)ev->seq, "user", "id", (json_int_t)ev->user_id, "name",
                      ev->username, "amount", (json_int_t)ev->amount, "message", ev->text, "ts",
                      (json_int_t)ev->ts);
    else if (strcmp(ev->type, "deleted") == 0)
        o = json_pack("{s:s,s:s,s:I,s:I,s:I}", "type", "deleted", "room", ev->room, "seq",
                      (json_int_t)ev->ref_seq, "event_seq", (json_int_t)ev->seq, "ts",
                      (json_int_t)ev->ts);
    else if (strcmp(ev->type, "system") == 0)
        o = system_json(ev);
    else
        o = json_pack("{s:s,s:s,s:I,s:{s:I,s:s},s:s,s:I}", "type", "message", "room", ev->room,
                      "seq", (json_int_t)ev->seq, "user", "id", (json_int_t)ev->user_id, "name",
                      ev->username, "text", ev->deleted ? "" : ev->text, "ts", (json_int_t)ev->ts);
    if (o && ev->client_id[0] && strcmp(ev->type, "message") == 0)
        json_object_set_new(o, "client_id", json_string(ev->client_id));
    if (o && ev->deleted)
        json_object_set_new(o, "deleted", json_true());
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text)
        buf_append_str(out, text);
    free(text);
}

static struct bytes *event_frame(const struct store_chat_event *ev)
{
    struct buf b;
    buf_init(&b, 0);
    chat_event_json(&b, ev);
    struct bytes *f = ws_frame_text(b.data ? b.data : "{}", b.len);
    buf_free(&b);
    return f;
}

/* ---- loops' side ---- */

/* Events for one loop: runs of the same room are delivered together, so a
 * subscriber gets all of a run's frames in one write (writev). */
struct fan_item {
    struct chat_room *room;
    struct bytes *frame;
    int64_t seq; /* 0: unsequenced (presence, live, room_created) */
};

struct fanout {
    int64_t made_ns;
    size_t n;
    struct fan_item items[];
};

#define DELIVER_MAX WS_SEND_FRAMES_MAX /* frames handed to a subscriber at once (one writev) */

/* Hands items to s one frame each, skipping the events its replay already
 * had: the way for a subscriber that joined in the middle of a run. */
static unsigned deliver_each(struct chat_sub *s, const struct fan_item *items, size_t n)
{
    struct bytes *frames[DELIVER_MAX];
    size_t k = 0;
    unsigned count = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].seq && items[i].seq <= s->last_seq)
            continue; /* already had it in its replay */
        if (items[i].seq)
            s->last_seq = items[i].seq;
        frames[k++] = items[i].frame;
        if (k == DELIVER_MAX) {
            s->deliver(s, frames, k);
            count += (unsigned)k;
            k = 0;
        }
    }
    if (k) {
        s->deliver(s, frames, k);
        count += (unsigned)k;
    }
    return count;
}

/* The run's frames back to back in one buffer. A write of one buffer costs
 * the kernel a fraction of a write of a hundred small ones (each iovec is a
 * copy of its own), and the run is copied once per loop, not once per
 * subscriber. */
static struct bytes *join_frames(const struct fan_item *items, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += items[i].frame->len;
    uint8_t *data = xmalloc(len), *p = data;
    for (size_t i = 0; i < n; i++) {
        memcpy(p, items[i].frame->data, items[i].frame->len);
        p += items[i].frame->len;
    }
    return bytes_take(data, len);
}

/* Delivers items (all of one room) to each of the room's subscribers on l.
 * A subscriber that has none of the run yet (all but the ones that just
 * joined) gets it as one joined buffer. */
static unsigned deliver_run(const struct fan_item *items, size_t n, struct loop *l)
{
    struct chat_sub *subs = items[0].room->subs[l->index];
    if (!subs)
        return 0;
    int64_t min_seq = 0, max_seq = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].seq) {
            if (!min_seq || items[i].seq < min_seq)
                min_seq = items[i].seq;
            if (items[i].seq > max_seq)
                max_seq = items[i].seq;
        }
    struct bytes *joined = n > 1 && subs->next ? join_frames(items, n) : NULL;
    unsigned count = 0;
    for (struct chat_sub *s = subs; s; s = s->next) {
        if (!joined || (min_seq && min_seq <= s->last_seq)) {
            count += deliver_each(s, items, n);
            continue;
        }
        if (max_seq)
            s->last_seq = max_seq;
        s->deliver(s, &joined, 1);
        count += (unsigned)n;
    }
    if (joined)
        bytes_unref(joined);
    return count;
}

static void on_fanout(void *arg)
{
    struct fanout *f = arg;
    struct loop *l = loop_current();
    unsigned n = 0;
    for (size_t i = 0; i < f->n;) {
        size_t j = i + 1;
        while (j < f->n && f->items[j].room == f->items[i].room)
            j++;
        n += deliver_run(&f->items[i], j - i, l);
        i = j;
    }
    atomic_fetch_add_explicit(&m_deliveries, n, memory_order_relaxed);
    metrics_histogram_observe(&m_fanout_latency, (double)(clock_mono_ns() - f->made_ns) / 1e9);
    for (size_t i = 0; i < f->n; i++)
        bytes_unref(f->items[i].frame);
    free(f);
}

static void post_fanout(unsigned loop, const struct fan_item *items, size_t n, int64_t made_ns)
{
    struct fanout *f = xmalloc(sizeof *f + n * sizeof *items);
    f->made_ns = made_ns;
    f->n = n;
    memcpy(f->items, items, n * sizeof *items);
    if (loop_post(&hub.loops->loops[loop], on_fanout, f) != 0) {
        for (size_t i = 0; i < n; i++)
            bytes_unref(items[i].frame);
        free(f);
    }
}

/* Sends one frame to the room's subscribers on every loop now. Any thread. */
static void post_now(struct chat_room *r, struct bytes *frame, int64_t seq)
{
    int64_t now = clock_mono_ns();
    for (unsigned i = 0; i < hub.loops->count && i < MAX_LOOPS; i++) {
        if (!atomic_load(&r->subs_on[i]))
            continue;
        struct fan_item it = {r, bytes_ref(frame), seq};
        post_fanout(i, &it, 1, now);
    }
}

/* Writer only: events waiting to be posted to each loop, in order. */
static struct {
    struct fan_item *items;
    size_t n, cap;
} pending[MAX_LOOPS];

/* Queues frame for the loops with subscribers of r; publish_flush posts. */
static void publish(struct chat_room *r, struct bytes *frame, int64_t seq)
{
    for (unsigned i = 0; i < hub.loops->count && i < MAX_LOOPS; i++) {
        if (!atomic_load(&r->subs_on[i]))
            continue;
        if (pending[i].n == pending[i].cap) {
            pending[i].cap = pending[i].cap ? pending[i].cap * 2 : 64;
            pending[i].items = xrealloc(pending[i].items, pending[i].cap * sizeof(struct fan_item));
        }
        pending[i].items[pending[i].n++] = (struct fan_item){r, bytes_ref(frame), seq};
    }
}

static int64_t last_post_ns[MAX_LOOPS]; /* writer only: when each loop was last posted to */
static int64_t last_any_post_ns;        /* writer only: the latest of those */

static unsigned loop_count(void)
{
    return hub.loops->count < MAX_LOOPS ? hub.loops->count : MAX_LOOPS;
}

/* Posts what publish queued for loop i: one message. */
static void flush_loop(unsigned i, int64_t now)
{
    if (pending[i].n == 0)
        return;
    post_fanout(i, pending[i].items, pending[i].n, now);
    pending[i].n = 0;
    last_post_ns[i] = now;
    last_any_post_ns = now;
}

/* Posts everything queued, now: for events that should not wait
 * (moderation, presence, live) and at shutdown. */
static void publish_flush(void)
{
    int64_t now = clock_mono_ns();
    for (unsigned i = 0; i < loop_count(); i++)
        flush_loop(i, now);
}

/* When loop i's queued events are due: chat-fanout-delay-ms after its last
 * post, and, under load, not in the same instant as another loop's post.
 * Loops posted to together all write at once and their clients all read
 * at once, competing for the same cores; staggered by delay / loops, each
 * burst is a fraction of the room. A loop idle for longer than that gets
 * its events at once. */
static int64_t due_ns(unsigned i)
{
    int64_t delay = (int64_t)hub.opt.fanout_delay_ms * 1000000LL;
    int64_t gap = delay / (int64_t)loop_count();
    int64_t own = last_post_ns[i] + delay;
    /* gap after the latest post to any loop, or gap after its own due time
     * (a loop is never held back longer than that) */
    int64_t spaced = (last_any_post_ns < own ? last_any_post_ns : own) + gap;
    return spaced > own ? spaced : own;
}

/* After a group commit: posts to each loop at most once per
 * chat-fanout-delay-ms (due_ns). A quiet room's event goes out at once;
 * under load the events of the next commits join the waiting ones, so a
 * subscriber gets several events per write. Join replays need no flush
 * first: they come from the ring, and a subscriber skips any later-posted
 * event it already has (by seq). */
static void publish_soon(void)
{
    if (hub.opt.fanout_delay_ms == 0) {
        publish_flush();
        return;
    }
    int64_t now = clock_mono_ns();
    for (unsigned i = 0; i < loop_count(); i++)
        if (pending[i].n && now >= due_ns(i))
            flush_loop(i, now);
}

/* The writer's wait from now: until the next loop's delayed events are
 * due, at most 500 ms; *held: some loop has delayed events at all. */
static int64_t writer_wait_ns(int64_t now, bool *held)
{
    int64_t wait = 500000000LL;
    *held = false;
    for (unsigned i = 0; i < loop_count(); i++) {
        if (!pending[i].n)
            continue;
        *held = true;
        int64_t left = due_ns(i) - now;
        if (left < wait)
            wait = left > 0 ? left : 0;
    }
    return wait;
}

/* The loaded rooms by name hash, for joins on the loops (fast_join). The
 * writer stores a room once it is loaded (a slot is overwritten on
 * collision) and clears its slot before the room is freed, which happens
 * only after every loop has run a post sent after that (retire_unused): a
 * loop's read of a slot can't outlive its room. fast_join says whether the
 * room may be joined without the writer right now. */
#define FAST_SLOTS 4096
static _Atomic(struct chat_room *) fast_cache[FAST_SLOTS];

/* FNV-1a of a room name. */
static size_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h;
}

static unsigned room_hash(const char *name)
{
    return (unsigned)(name_hash(name) % FAST_SLOTS);
}

/* A room's subscribers on a loop are a list linked both ways (next, and
 * pprev: the pointer that points at s), so a leave is O(1): every
 * connection is in the lobby, and 19,000 of them leaving one by one must not
 * walk the list each time. */
static void list_push(struct chat_sub **head, struct chat_sub *s)
{
    s->next = *head;
    if (s->next)
        s->next->pprev = &s->next;
    *head = s;
    s->pprev = head;
}

static void list_remove(struct chat_sub *s)
{
    *s->pprev = s->next;
    if (s->next)
        s->next->pprev = s->pprev;
    s->next = NULL;
    s->pprev = NULL;
}

static void link_sub(struct chat_sub *s, struct chat_room *r, int64_t last_seq, struct loop *l)
{
    s->room = r;
    s->last_seq = last_seq;
    s->active = true;
    list_push(&r->subs[l->index], s);
}

/* A join the loop can do alone: a loaded public room, nothing to replay. Counts the sub first, then
 * reads fast_join and pub_seq (see unload_if_idle and published for the writer's side of each
 * pair): every event after the pub_seq read is posted to this loop, and one already posted that the
 * sub had is skipped by seq. done runs now. */
static bool fast_join(struct loop *l, struct chat_sub *sub, const char *room, int64_t since,
                      chat_join_fn done, void *arg)
{
    if (l->index >= MAX_LOOPS)
        return false;
    struct chat_room *r = atomic_load(&fast_cache[room_hash(room)]);
    if (!r || strcmp(r->name, room) != 0 || !atomic_load(&r->fast_join))
        return false;
    atomic_fetch_add(&r->subs_on[l->index], 1);
    unsigned viewers =
        sub->counted ? atomic_fetch_add(&r->viewers, 1) + 1 : atomic_load(&r->viewers);
    int64_t last = atomic_load(&r->pub_seq);
    if (!atomic_load(&r->fast_join) || (since >= 0 && since < last)) {
        atomic_fetch_sub(&r->subs_on[l->index], 1);
        if (sub->counted)
            atomic_fetch_sub(&r->viewers, 1);
        return false;
    }
    link_sub(sub, r, last, l);
    atomic_fetch_add(&m_joins, 1);
    atomic_fetch_add(&m_fast_joins, 1);
    done(sub, &(struct chat_joined){.last_seq = last, .viewers = viewers}, arg);
    return true;
}

struct join_done {
    struct req *req;
    struct chat_room *room;
    struct chat_joined j;
};

static void on_joined(void *arg)
{
    struct join_done *d = arg;
    struct chat_sub *s = d->req->sub;
    struct loop *l = loop_current();
    if (d->j.rc == 0) {
        if (s->room == NULL) {
            /* Left before the join completed: undo the count taken for it. */
            atomic_fetch_sub(&d->room->subs_on[l->index], 1);
            if (s->counted)
                atomic_fetch_sub(&d->room->viewers, 1);
        } else {
            link_sub(s, d->room, d->j.last_seq, l);
        }
    }
    d->req->joined(s, &d->j, d->req->arg);
    for (size_t i = 0; i < d->j.nreplay; i++)
        bytes_unref(d->j.replay[i]);
    free(d->j.replay);
    free(d->req);
    free(d);
}

struct sent_done {
    chat_done_fn fn;
    void *arg;
    struct chat_result res;
    int64_t enqueued_ns;
};

static void on_sent(void *arg)
{
    struct sent_done *d = arg;
    if (d->res.rc == 0)
        metrics_histogram_observe(&m_ack_latency, (double)(clock_mono_ns() - d->enqueued_ns) / 1e9);
    d->fn(d->arg, &d->res);
    free(d);
}

void chat__reply(struct req *q, const struct chat_result *res)
{
    struct sent_done *d = xmalloc(sizeof *d);
    *d = (struct sent_done){q->done, q->arg, *res, q->enqueued_ns};
    if (loop_post(q->loop, on_sent, d) != 0)
        free(d);
}

void chat__reply_err(struct req *q, int rc, const char *code, const char *message)
{
    chat__reply(q, &(struct chat_result){.rc = rc, .code = code, .message = message});
}

void chat_hub_leave(struct loop *l, struct chat_sub *s)
{
    struct chat_room *r = s->room;
    s->room = NULL;
    if (!s->active || !r)
        return; /* pending join: on_joined undoes it */
    s->active = false;
    list_remove(s);
    atomic_fetch_sub(&r->subs_on[l->index], 1);
    if (s->counted)
        atomic_fetch_sub(&r->viewers, 1);
}

void chat_hub_attach(struct loop *l, struct chat_sub *s)
{
    struct chat_room *lobby = &hub.lobby;
    s->room = lobby;
    s->active = true;
    s->last_seq = 0;
    list_push(&lobby->subs[l->index], s);
    atomic_fetch_add(&lobby->subs_on[l->index], 1);
}

void chat_hub_detach(struct loop *l, struct chat_sub *s)
{
    struct chat_room *lobby = &hub.lobby;
    if (s->room != lobby)
        return;
    if (s->pprev) {
        list_remove(s);
        atomic_fetch_sub(&lobby->subs_on[l->index], 1);
    }
    s->room = NULL;
    s->active = false;
}

void chat_hub_room_created(const char *room, const char *title)
{
    if (!hub.loops)
        return;
    json_t *o = json_pack("{s:s,s:s,s:s}", "type", "room_created", "room", room, "title", title);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return;
    struct bytes *f = ws_frame_text(text, strlen(text));
    free(text);
    post_now(&hub.lobby, f, 0); /* straight to the loops: nothing to store or order */
    bytes_unref(f);
}

/* ---- writer thread ---- */

const struct chat_options *chat__options(void)
{
    return &hub.opt;
}

static struct chat_room *room_find_locked(const char *name)
{
    if (!hub.index_cap)
        return NULL;
    for (struct chat_room *r = hub.index[name_hash(name) & (hub.index_cap - 1)]; r;
         r = r->index_next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

/* Puts r at the head of its bucket of index (cap buckets, a power of 2). */
static void index_put(struct chat_room **index, size_t cap, struct chat_room *r)
{
    size_t b = name_hash(r->name) & (cap - 1);
    r->index_next = index[b];
    index[b] = r;
}

/* Adds r to the registry (list and index); the index doubles when it has
 * as many rooms as buckets. */
static void room_add_locked(struct chat_room *r)
{
    if (hub.room_count >= hub.index_cap) {
        size_t cap = hub.index_cap ? hub.index_cap * 2 : 256;
        struct chat_room **index = xcalloc(cap, sizeof *index);
        for (struct chat_room *x = hub.rooms; x; x = x->next)
            index_put(index, cap, x);
        free(hub.index);
        hub.index = index;
        hub.index_cap = cap;
    }
    r->next = hub.rooms;
    hub.rooms = r;
    index_put(hub.index, hub.index_cap, r);
    hub.room_count++;
}

static void ring_push(struct chat_room *r, int64_t seq, struct bytes *frame)
{
    unsigned cap = hub.opt.ring;
    if (r->ring_count == cap) {
        bytes_unref(r->ring[r->ring_head].frame);
        r->ring[r->ring_head] = (struct ring_ev){seq, frame};
        r->ring_head = (r->ring_head + 1) % cap;
    } else {
        r->ring[(r->ring_head + r->ring_count) % cap] = (struct ring_ev){seq, frame};
        r->ring_count++;
    }
}

static void ring_empty(struct chat_room *r)
{
    for (unsigned i = 0; i < r->ring_count; i++)
        bytes_unref(r->ring[(r->ring_head + i) % hub.opt.ring].frame);
    r->ring_head = r->ring_count = 0;
}

/* Recent history into the ring, so most `since` replays need no query. */
void chat__ring_reload(struct store_conn *c, const struct store_backend *b, struct chat_room *r)
{
    ring_empty(r);
    int64_t from = r->last_seq > hub.opt.ring ? r->last_seq - hub.opt.ring : 0;
    struct store_chat_event *evs = NULL;
    size_t n = 0;
    if (r->last_seq > 0 && b->chat_since(c, r->name, from, hub.opt.ring, &evs, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            ring_push(r, evs[i].seq, event_frame(&evs[i]));
        free(evs);
    }
}

void chat__ring_replace(struct chat_room *r, const struct store_chat_event *ev)
{
    for (unsigned i = 0; i < r->ring_count; i++) {
        struct ring_ev *e = &r->ring[(r->ring_head + i) % hub.opt.ring];
        if (e->seq == ev->seq) {
            bytes_unref(e->frame);
            e->frame = event_frame(ev);
            return;
        }
    }
}

/* Who owns a room: the channel's user, or the user room's creator. */
static bool room_lookup(struct store_conn *c, const struct store_backend *b, struct chat_room *r)
{
    if (strncmp(r->name, "channel:", 8) == 0) {
        struct store_channel ch;
        if (b->channel_by_name(c, r->name + 8, &ch) != 0)
            return false;
        r->channel_id = ch.id;
        r->owner_id = ch.owner_id;
        return true;
    }
    if (strncmp(r->name, "room:", 5) == 0) {
        char *end;
        long long id = strtoll(r->name + 5, &end, 10);
        struct store_room sr;
        if (*end != '\0' || id <= 0 || b->room_get(c, id, &sr) != 0)
            return false;
        r->private_ = sr.private_;
        r->room_id = id;
        r->owner_id = sr.owner_id;
        return true;
    }
    return false;
}

struct chat_room *chat__room_load(struct store_conn *c, const struct store_backend *b,
                                  const char *name)
{
    pthread_mutex_lock(&hub.lock);
    struct chat_room *r = room_find_locked(name);
    pthread_mutex_unlock(&hub.lock);
    if (r && r->loaded)
        return r;
    struct chat_room probe = {0};
    snprintf(probe.name, sizeof probe.name, "%s", name);
    if (!room_lookup(c, b, &probe))
        return NULL;
    int slow = 0;
    int64_t last = 0;
    if (b->room_slow_get(c, name, &slow) != 0 || b->chat_last_seq(c, name, &last) != 0)
        return NULL;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", name);
        chat__room_users_init(r);
        pthread_mutex_lock(&hub.lock);
        room_add_locked(r);
        pthread_mutex_unlock(&hub.lock);
    }
    r->exists = true;
    r->private_ = probe.private_;
    r->room_id = probe.room_id;
    r->channel_id = probe.channel_id;
    r->owner_id = probe.owner_id;
    r->slow_s = slow;
    r->last_seq = last;
    atomic_store(&r->pub_seq, last);
    if (!r->ring)
        r->ring = xcalloc(hub.opt.ring, sizeof *r->ring);
    chat__ring_reload(c, b, r);
    r->loaded = true;
    atomic_store(&r->fast_join, !r->private_);
    atomic_store(&fast_cache[room_hash(r->name)], r);
    return r;
}

static void do_join(struct store_conn *c, const struct store_backend *b, struct req *q)
{
    struct join_done *d = xcalloc(1, sizeof *d);
    d->req = q;
    struct chat_room *r = chat__room_load(c, b, q->send.room);
    if (!r) {
        d->j.rc = ONAIR_ENOTFOUND;
    } else if (r->private_) {
        bool member = false;
        if (q->user_id <= 0 || b->room_is_member(c, r->room_id, q->user_id, &member) != 0 ||
            !member)
            d->j.rc = ONAIR_EDENIED;
    }
    if (d->j.rc == 0) {
        d->room = r;
        d->j.last_seq = r->last_seq;
        int64_t since = q->since;
        if (since >= 0 && since < r->last_seq) {
            int64_t oldest = r->ring_count ? r->ring[r->ring_head].seq : r->last_seq + 1;
            if (r->last_seq - since > (int64_t)hub.opt.replay_max) {
                d->j.reset = true;
                since = r->last_seq - (r->ring_count < 50 ? r->ring_count : 50);
            }
            if (since + 1 >= oldest) {
                d->j.replay = xmalloc(r->ring_count * sizeof *d->j.replay);
                for (unsigned i = 0; i < r->ring_count; i++) {
                    struct ring_ev *e = &r->ring[(r->ring_head + i) % hub.opt.ring];
                    if (e->seq > since)
                        d->j.replay[d->j.nreplay++] = bytes_ref(e->frame);
                }
            } else {
                /* Older than memory: from the store (this thread's own connection). */
                struct store_chat_event *evs = NULL;
                size_t n = 0;
                if (b->chat_since(c, r->name, since, hub.opt.replay_max, &evs, &n) == 0) {
                    d->j.replay = xmalloc((n ? n : 1) * sizeof *d->j.replay);
                    for (size_t i = 0; i < n; i++)
                        if (evs[i].seq <= r->last_seq)
                            d->j.replay[d->j.nreplay++] = event_frame(&evs[i]);
                    free(evs);
                }
            }
        }
        atomic_fetch_add(&r->subs_on[q->loop->index], 1);
        d->j.viewers = q->viewer ? atomic_fetch_add(&r->viewers, 1) + 1 : atomic_load(&r->viewers);
        atomic_fetch_add(&m_joins, 1);
    }
    if (loop_post(q->loop, on_joined, d) != 0) {
        free(d->j.replay);
        free(d);
        free(q);
    }
}

/* Makes ev (stored) the room's newest event: ring, subscribers, counters. */
static void published(struct chat_room *r, const struct store_chat_event *ev, struct req *q)
{
    struct bytes *frame = event_frame(ev);
    r->last_seq = ev->seq;
    atomic_store(&r->pub_seq, ev->seq); /* before publish() reads subs_on */
    ring_push(r, ev->seq, bytes_ref(frame));
    if (q)
        chat__reply(q, &(struct chat_result){.seq = ev->seq}); /* ack first: it is durable */
    publish(r, frame, ev->seq);
    bytes_unref(frame);
    atomic_fetch_add(&m_sent, 1);
}

int chat__append(struct store_conn *c, const struct store_backend *b, struct chat_room *r,
                 struct store_chat_event *ev)
{
    snprintf(ev->room, sizeof ev->room, "%s", r->name);
    ev->seq = r->last_seq + 1;
    ev->ts = clock_wall_ms();
    int rc = b->chat_append(c, ev, 1);
    if (rc == 0) {
        published(r, ev, NULL);
        publish_flush();
    }
    return rc;
}

/* Fills e from a send request (room r, seq). */
static void event_of_send(struct store_chat_event *e, const struct chat_room *r,
                          const struct chat_send *m, int64_t seq, int64_t now)
{
    snprintf(e->room, sizeof e->room, "%s", r->name);
    e->seq = seq;
    snprintf(e->type, sizeof e->type, "%s", m->type[0] ? m->type : "message");
    e->user_id = m->user_id;
    snprintf(e->username, sizeof e->username, "%s", m->username);
    snprintf(e->text, sizeof e->text, "%s", m->text);
    e->amount = m->amount;
    e->ts = now;
    snprintf(e->client_id, sizeof e->client_id, "%s", m->client_id);
}

/* Stores and publishes a run of sends: one transaction for all of them. */
static void flush_sends(struct store_conn *c, const struct store_backend *b, struct req **batch,
                        size_t n)
{
    if (n == 0)
        return;
    struct store_chat_event *evs = xcalloc(n, sizeof *evs);
    struct chat_room **rooms = xcalloc(n, sizeof *rooms);
    size_t m = 0;
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < n; i++) {
        struct req *q = batch[i];
        struct chat_room *r = chat__room_load(c, b, q->send.room);
        struct chat_result res = {0};
        if (!r) {
            chat__reply_err(q, ONAIR_ENOTFOUND, "not_found", "no such room");
            free(q);
            continue;
        }
        if (!chat__admit(c, b, r, &q->send, now, &res)) {
            chat__reply(q, &res);
            free(q);
            continue;
        }
        /* Seqs are taken in order; last_seq moves only after the commit. */
        if (r->assigned_seq < r->last_seq)
            r->assigned_seq = r->last_seq;
        event_of_send(&evs[m], r, &q->send, ++r->assigned_seq, now);
        rooms[m] = r;
        batch[m++] = q;
    }
    int rc = m ? b->chat_append(c, evs, m) : 0;
    if (m) {
        count_batch(m);
    }
    for (size_t i = 0; i < m; i++) {
        if (rc == 0) {
            published(rooms[i], &evs[i], batch[i]);
        } else {
            /* Nothing was stored: those seqs are given out again. */
            rooms[i]->assigned_seq = rooms[i]->last_seq;
            chat__reply_err(batch[i], rc, "internal", "the message was not stored");
        }
        free(batch[i]);
    }
    publish_soon();
    if (rc)
        log_err("chat", "storing a batch failed; senders get an error", "events=%zu", m);
    free(evs);
    free(rooms);
}

struct donated {
    chat_donated_fn fn;
    void *arg;
    int rc;
    struct store_donate_req r;
};

static void on_donated(void *arg)
{
    struct donated *d = arg;
    d->fn(d->arg, d->rc, &d->r);
    free(d);
}

/* Answers a donation request (rc, and its results in q->don) and frees it. */
static void reply_donated(struct req *q, int rc)
{
    struct donated *d = xmalloc(sizeof *d);
    *d = (struct donated){q->donated, q->arg, rc, *q->don};
    if (loop_post(q->loop, on_donated, d) != 0)
        free(d);
    free(q->don);
    free(q);
}

/* The chat event a stored donation became. */
static void event_of_donation(struct store_chat_event *ev, const struct store_donation *d)
{
    memset(ev, 0, sizeof *ev);
    snprintf(ev->room, sizeof ev->room, "channel:%s", d->to_name);
    ev->seq = d->chat_seq;
    snprintf(ev->type, sizeof ev->type, "donation");
    ev->user_id = d->from_user;
    snprintf(ev->username, sizeof ev->username, "%s", d->from_name);
    snprintf(ev->text, sizeof ev->text, "%s", d->message);
    ev->amount = d->amount;
    ev->ts = d->created_at;
}

/* Stores a run of donations in one transaction and publishes each one that
 * went through as its room's next event. */
static void flush_donations(struct store_conn *c, const struct store_backend *b, struct req **batch,
                            size_t n)
{
    struct store_donate_req *reqs = xcalloc(n, sizeof *reqs);
    struct chat_room **rooms = xcalloc(n, sizeof *rooms);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        struct req *q = batch[i];
        char name[STORE_ROOM_MAX + 1];
        snprintf(name, sizeof name, "channel:%s", q->don->to_name);
        struct chat_room *r = chat__room_load(c, b, name);
        if (!r) {
            reply_donated(q, ONAIR_ENOTFOUND);
            continue;
        }
        reqs[m] = *q->don;
        reqs[m].room_last_seq = r->last_seq;
        rooms[m] = r;
        batch[m++] = q;
    }
    int rc = m ? b->donate_batch(c, reqs, m) : 0;
    if (rc == ONAIR_ECONFLICT) {
        /* Some room's last seq moved behind the writer's back (it can't on
         * one node, but be exact anyway): read them again and retry once. */
        for (size_t i = 0; i < m; i++) {
            b->chat_last_seq(c, rooms[i]->name, &rooms[i]->last_seq);
            reqs[i].room_last_seq = rooms[i]->last_seq;
        }
        rc = b->donate_batch(c, reqs, m);
    }
    if (m) {
        count_batch(m);
    }
    for (size_t i = 0; i < m; i++) {
        if (rc == 0 && reqs[i].rc == 0 && !reqs[i].replayed) {
            struct store_chat_event ev;
            event_of_donation(&ev, &reqs[i].donation);
            published(rooms[i], &ev, NULL);
        }
        *batch[i]->don = reqs[i];
        reply_donated(batch[i], rc);
    }
    publish_soon();
    if (rc)
        log_err("chat", "storing donations failed; donors get an error", "donations=%zu", m);
    free(reqs);
    free(rooms);
}

static void flush_batch(struct store_conn *c, const struct store_backend *b, struct req **batch,
                        size_t n)
{
    if (n == 0)
        return;
    if (batch[0]->kind == REQ_DONATE)
        flush_donations(c, b, batch, n);
    else
        flush_sends(c, b, batch, n);
}

/* A room nobody has been in for room_idle_ms gives back its history ring
 * and user table (reloaded from the store on next use); retire_unused then
 * frees the struct once no loop has a subscriber of it. */
static void unload_if_idle(struct chat_room *r, unsigned viewers, int64_t now_ms)
{
    if (viewers > 0 || !r->loaded) {
        r->idle_since_ms = 0;
        return;
    }
    if (r->idle_since_ms == 0) {
        r->idle_since_ms = now_ms;
        return;
    }
    if (now_ms - r->idle_since_ms < (int64_t)hub.opt.room_idle_ms)
        return;
    /* Close the loops' fast join first, then look again: a loop counts its
     * viewer before it reads fast_join (both sequentially consistent), so
     * either it falls back to the writer or we see its viewer. */
    atomic_store(&r->fast_join, false);
    if (atomic_load(&r->viewers) > 0) {
        atomic_store(&r->fast_join, !r->private_);
        r->idle_since_ms = 0;
        return;
    }
    ring_empty(r);
    free(r->ring);
    r->ring = NULL;
    chat_user_table_free(&r->users);
    r->loaded = false;
    r->idle_since_ms = 0;
    atomic_fetch_add(&m_unloads, 1);
}

static void presence_tick(void)
{
    pthread_mutex_lock(&hub.lock);
    struct chat_room *r = hub.rooms;
    pthread_mutex_unlock(&hub.lock);
    int64_t now = clock_mono_ns() / 1000000;
    for (; r; r = r->next) {
        unsigned v = atomic_load(&r->viewers);
        unload_if_idle(r, v, now);
        if (v == r->presence_sent)
            continue;
        r->presence_sent = v;
        char text[160];
        int n = snprintf(text, sizeof text,
                         "{\"type\":\"presence\",\"room\":\"%s\",\"viewers\":%u}", r->name, v);
        struct bytes *f = ws_frame_text(text, (size_t)n);
        publish(r, f, 0);
        bytes_unref(f);
    }
    publish_flush();
}

/* A loop's part in freeing r: the last loop to run this frees it. Posts to
 * a loop run in order, so by now every fan-out the writer posted to this
 * loop before the retire has run, and any fast join on this loop that read
 * r from fast_cache has finished (it ran on this thread, before). */
static void on_retire(void *arg)
{
    struct chat_room *r = arg;
    if (atomic_fetch_sub(&r->retire_left, 1) == 1) {
        free(r);
        atomic_fetch_add(&m_freed, 1);
    }
}

/* Unloaded, and no subscriber or pending join on any loop (subs_on counts
 * both, viewers or not). New ones come only through the writer (fast_join
 * is off while a room is unloaded), and the writer reloads it first. */
static bool room_unused(struct chat_room *r)
{
    if (r->loaded)
        return false;
    for (unsigned i = 0; i < loop_count(); i++)
        if (atomic_load(&r->subs_on[i]) > 0)
            return false;
    return true;
}

/* Takes r out of the registry (list link *link, index) and fast_cache. */
static void room_remove(struct chat_room *r, struct chat_room **link)
{
    pthread_mutex_lock(&hub.lock);
    *link = r->next;
    struct chat_room **p = &hub.index[name_hash(r->name) & (hub.index_cap - 1)];
    while (*p != r)
        p = &(*p)->index_next;
    *p = r->index_next;
    hub.room_count--;
    pthread_mutex_unlock(&hub.lock);
    struct chat_room *expected = r;
    atomic_compare_exchange_strong(&fast_cache[room_hash(r->name)], &expected, NULL);
}

/* Frees the rooms nobody uses, so memory follows the rooms in use, not every
 * room used since start. A loop may still hold r in a fan-out it has not run
 * yet or in a fast join under way, so r is freed by the last loop to run a
 * retire post sent after r left the registry (on_retire). Events queued for
 * the loops are posted first, ahead of the retire. */
static void retire_unused(void)
{
    publish_flush();
    struct chat_room **link = &hub.rooms; /* only the writer changes the list */
    while (*link) {
        struct chat_room *r = *link;
        if (!room_unused(r)) {
            link = &r->next;
            continue;
        }
        room_remove(r, link);
        unsigned loops = loop_count();
        atomic_store(&r->retire_left, loops);
        for (unsigned i = 0; i < loops; i++)
            if (loop_post(&hub.loops->loops[i], on_retire, r) != 0)
                on_retire(r); /* a closed loop runs nothing more */
    }
}

static void do_live(struct req *q)
{
    char name[STORE_ROOM_MAX + 16];
    snprintf(name, sizeof name, "channel:%s", q->send.room);
    pthread_mutex_lock(&hub.lock);
    struct chat_room *r = room_find_locked(name);
    pthread_mutex_unlock(&hub.lock);
    if (r) {
        char text[160];
        int n = snprintf(text, sizeof text, "{\"type\":\"live\",\"room\":\"%s\",\"live\":%s}", name,
                         q->live ? "true" : "false");
        struct bytes *f = ws_frame_text(text, (size_t)n);
        publish(r, f, 0);
        publish_flush();
        bytes_unref(f);
    }
    free(q);
}

/* Answers a request the writer can't serve (no database connection). */
static void refuse(struct req *q)
{
    if (q->kind == REQ_SEND || q->kind == REQ_MOD) {
        chat__reply_err(q, ONAIR_EIO, "internal", "the chat store is unavailable");
        free(q->mod);
        free(q);
    } else if (q->kind == REQ_DONATE) {
        reply_donated(q, ONAIR_EIO);
    } else if (q->kind == REQ_JOIN) {
        struct join_done *d = xcalloc(1, sizeof *d);
        d->req = q;
        d->j.rc = ONAIR_EIO;
        if (loop_post(q->loop, on_joined, d) != 0) {
            free(d);
            free(q);
        }
    } else {
        free(q);
    }
}

static void *writer(void *arg)
{
    (void)arg;
    struct store_conn *c = store_conn_open(hub.store);
    const struct store_backend *b = store_backend_of(hub.store);
    struct req **batch = xcalloc(hub.opt.batch_max, sizeof *batch);
    int64_t next_presence = clock_mono_ns() + PRESENCE_MS * 1000000LL;
    for (;;) {
        /* Waits for work, for delayed events to come due, or for presence.
         * Work that comes while a loop has delayed events is held until the
         * next post is due (or a full batch is queued): nobody sees those
         * events before that post anyway, and one transaction for all of
         * them costs a fraction of one per arrival. Acks wait as long. */
        pthread_mutex_lock(&hub.lock);
        while (!hub.stopping) {
            bool held;
            int64_t now = clock_mono_ns(), wait = writer_wait_ns(now, &held);
            if (wait == 0 || now >= next_presence)
                break;
            if (hub.head && (!held || hub.queued >= hub.opt.batch_max))
                break;
            if (now + wait > next_presence)
                wait = next_presence - now;
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += wait / 1000000000LL;
            ts.tv_nsec += wait % 1000000000LL;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            hub.pacing = hub.head != NULL;
            pthread_cond_timedwait(&hub.more, &hub.lock, &ts);
            hub.pacing = false;
        }
        struct req *list = hub.head;
        hub.head = hub.tail = NULL;
        hub.queued = 0;
        bool stop = hub.stopping && !list;
        pthread_mutex_unlock(&hub.lock);
        if (stop) {
            publish_flush();
            break;
        }
        /* In order; consecutive sends (or donations) share one transaction. */
        size_t n = 0;
        while (list) {
            struct req *q = list;
            list = q->next;
            if (!c) {
                refuse(q);
                continue;
            }
            if (n && (q->kind != batch[0]->kind || n == hub.opt.batch_max)) {
                flush_batch(c, b, batch, n);
                n = 0;
            }
            if (q->kind == REQ_SEND || q->kind == REQ_DONATE) {
                batch[n++] = q;
                continue;
            }
            if (q->kind == REQ_JOIN)
                do_join(c, b, q);
            else if (q->kind == REQ_MOD)
                chat__moderate(c, b, q);
            else
                do_live(q);
        }
        if (c)
            flush_batch(c, b, batch, n);
        publish_soon(); /* the loops whose delayed events are due */
        if (clock_mono_ns() >= next_presence) {
            presence_tick();
            retire_unused();
            next_presence = clock_mono_ns() + PRESENCE_MS * 1000000LL;
        }
    }
    free(batch);
    store_conn_close(hub.store, c);
    return NULL;
}

static int enqueue(struct req *q, bool bounded)
{
    q->enqueued_ns = clock_mono_ns();
    pthread_mutex_lock(&hub.lock);
    if (!hub.started || hub.stopping || (bounded && hub.queued >= hub.opt.queue_max)) {
        pthread_mutex_unlock(&hub.lock);
        return hub.stopping ? ONAIR_ECLOSED : ONAIR_EAGAIN;
    }
    q->next = NULL;
    if (hub.tail)
        hub.tail->next = q;
    else
        hub.head = q;
    hub.tail = q;
    hub.queued++;
    /* a writer holding work back needs no wake-up until a batch is full */
    if (!hub.pacing || hub.queued >= hub.opt.batch_max)
        pthread_cond_signal(&hub.more);
    pthread_mutex_unlock(&hub.lock);
    return 0;
}

int chat_hub_start(struct store *store, struct loop_group *loops, const struct chat_options *opt)
{
    hub.store = store;
    hub.loops = loops;
    hub.opt = *opt;
    if (hub.opt.ring < 16)
        hub.opt.ring = 16;
    if (hub.opt.batch_max < 1)
        hub.opt.batch_max = 1;
    if (hub.opt.room_idle_ms == 0)
        hub.opt.room_idle_ms = 60000;
    chat__rules_init();
    hub.started = true;
    if (pthread_create(&hub.thread, NULL, writer, NULL) != 0) {
        hub.started = false;
        return ONAIR_EIO;
    }
    pthread_setname_np(hub.thread, "chat-writer"); /* for top -H, perf, gdb */
    return 0;
}

void chat_hub_stop(void)
{
    if (!hub.started)
        return;
    pthread_mutex_lock(&hub.lock);
    hub.stopping = true;
    pthread_cond_broadcast(&hub.more);
    pthread_mutex_unlock(&hub.lock);
    pthread_join(hub.thread, NULL);
    hub.started = false;
}

void chat_hub_free(void)
{
    for (unsigned i = 0; i < FAST_SLOTS; i++)
        atomic_store(&fast_cache[i], NULL);
    while (hub.rooms) {
        struct chat_room *r = hub.rooms;
        hub.rooms = r->next;
        ring_empty(r);
        free(r->ring);
        chat_user_table_free(&r->users);
        free(r);
    }
    free(hub.index);
    hub.index = NULL;
    hub.index_cap = hub.room_count = 0;
    chat__rules_free();
    for (unsigned i = 0; i < MAX_LOOPS; i++) {
        free(pending[i].items);
        memset(&pending[i], 0, sizeof pending[i]);
    }
}

int chat_hub_join(struct loop *l, struct chat_sub *sub, const char *room, int64_t user_id,
                  int64_t since, bool viewer, chat_join_fn done, void *arg)
{
    sub->counted = viewer;
    if (fast_join(l, sub, room, since, done, arg))
        return 0;
    struct req *q = xcalloc(1, sizeof *q);
    q->kind = REQ_JOIN;
    q->loop = l;
    q->sub = sub;
    q->viewer = viewer;
    q->user_id = user_id;
    q->since = since;
    q->joined = done;
    q->arg = arg;
    snprintf(q->send.room, sizeof q->send.room, "%s", room);
    sub->room = (struct chat_room *)1; /* "joining": cleared by a leave meanwhile */
    sub->active = false;
    int rc = enqueue(q, false);
    if (rc) {
        sub->room = NULL;
        free(q);
    }
    return rc;
}

int chat_hub_send(struct loop *l, const struct chat_send *m, chat_done_fn done, void *arg)
{
    struct req *q = xcalloc(1, sizeof *q);
    q->kind = REQ_SEND;
    q->loop = l;
    q->send = *m;
    q->done = done;
    q->arg = arg;
    int rc = enqueue(q, true);
    if (rc)
        free(q);
    return rc;
}

int chat_hub_donate(struct loop *l, const struct store_donate_req *d, chat_donated_fn done,
                    void *arg)
{
    struct req *q = xcalloc(1, sizeof *q);
    q->kind = REQ_DONATE;
    q->loop = l;
    q->don = xmalloc(sizeof *q->don);
    *q->don = *d;
    q->donated = done;
    q->arg = arg;
    int rc = enqueue(q, true);
    if (rc) {
        free(q->don);
        free(q);
    }
    return rc;
}

int chat_hub_moderate(struct loop *l, const struct chat_mod *m, chat_done_fn done, void *arg)
{
    struct req *q = xcalloc(1, sizeof *q);
    q->kind = REQ_MOD;
    q->loop = l;
    q->mod = xmalloc(sizeof *q->mod);
    *q->mod = *m;
    q->done = done;
    q->arg = arg;
    int rc = enqueue(q, true);
    if (rc) {
        free(q->mod);
        free(q);
    }
    return rc;
}

unsigned chat_hub_viewers(const char *room)
{
    pthread_mutex_lock(&hub.lock);
    struct chat_room *r = room_find_locked(room);
    unsigned v = r ? atomic_load(&r->viewers) : 0;
    pthread_mutex_unlock(&hub.lock);
    return v;
}

void chat_hub_live(const char *channel, bool live)
{
    struct req *q = xcalloc(1, sizeof *q);
    q->kind = REQ_LIVE;
    q->live = live;
    snprintf(q->send.room, sizeof q->send.room, "%s", channel);
    if (enqueue(q, false) != 0)
        free(q);
}

void chat_hub_metrics(struct buf *out, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&hub.lock);
    unsigned queued = hub.queued;
    size_t rooms = hub.room_count;
    pthread_mutex_unlock(&hub.lock);
    buf_printf(
        out,
        "# HELP onair_chat_joins_total Room joins.\n# TYPE onair_chat_joins_total counter\n"
        "onair_chat_joins_total %llu\n"
        "# HELP onair_chat_fast_joins_total Joins the I/O loop did without the writer.\n"
        "# TYPE onair_chat_fast_joins_total counter\nonair_chat_fast_joins_total %llu\n"
        "# HELP onair_chat_messages_total Events stored and published.\n"
        "# TYPE onair_chat_messages_total counter\nonair_chat_messages_total %llu\n"
        "# HELP onair_chat_deliveries_total Events written to subscribers.\n"
        "# TYPE onair_chat_deliveries_total counter\nonair_chat_deliveries_total %llu\n"
        "# HELP onair_chat_batches_total Store transactions of the chat writer.\n"
        "# TYPE onair_chat_batches_total counter\nonair_chat_batches_total %llu\n"
        "# HELP onair_chat_batch_events_total Events in those transactions.\n"
        "# TYPE onair_chat_batch_events_total counter\nonair_chat_batch_events_total %llu\n"
        "# HELP onair_chat_writer_queue Requests waiting for the chat writer.\n"
        "# TYPE onair_chat_writer_queue gauge\nonair_chat_writer_queue %u\n",
        (unsigned long long)atomic_load(&m_joins), (unsigned long long)atomic_load(&m_fast_joins),
        (unsigned long long)atomic_load(&m_sent), (unsigned long long)atomic_load(&m_deliveries),
        (unsigned long long)atomic_load(&m_batches),
        (unsigned long long)atomic_load(&m_batch_events), queued);
    buf_printf(out,
               "# HELP onair_chat_rooms_unloaded_total Idle rooms whose memory was given back.\n"
               "# TYPE onair_chat_rooms_unloaded_total counter\n"
               "onair_chat_rooms_unloaded_total %llu\n"
               "# HELP onair_chat_rooms_freed_total Unused rooms whose struct was freed.\n"
               "# TYPE onair_chat_rooms_freed_total counter\n"
               "onair_chat_rooms_freed_total %llu\n"
               "# HELP onair_chat_rooms Rooms the chat writer holds in memory.\n"
               "# TYPE onair_chat_rooms gauge\nonair_chat_rooms %zu\n",
               (unsigned long long)atomic_load(&m_unloads),
               (unsigned long long)atomic_load(&m_freed), rooms);
    write_batch_sizes(out);
    buf_append_str(out, "# HELP onair_chat_ack_seconds Send to durable ack.\n"
                        "# TYPE onair_chat_ack_seconds histogram\n");
    metrics_histogram_write(out, "onair_chat_ack_seconds", "", &m_ack_latency);
    buf_append_str(out, "# HELP onair_chat_fanout_seconds Commit to delivery on a loop.\n"
                        "# TYPE onair_chat_fanout_seconds histogram\n");
    metrics_histogram_write(out, "onair_chat_fanout_seconds", "", &m_fanout_latency);
}

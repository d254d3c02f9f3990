#include "transcode/thumbnail.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/loop.h"
#include "hls/stream.h"

#define FIRST_SHOT_MS 2500
#define CHILD_TIMEOUT_MS 10000
#define MAX_JPEG (4u << 20)

static struct thumbnail_options conf = {
    .ffmpeg = "ffmpeg", .interval_ms = 15000, .max_children = 2, .height = 360};
static atomic_uint children;
static atomic_bool spawn_failed_logged;
/* Starting ffmpeg costs tens of ms of CPU; with hundreds of live channels
 * unthrottled refreshes would starve the server on a small machine. At most
 * one start per SPAWN_GAP_MS in the whole process; a channel that misses its
 * turn tries again at its next tick. */
#define SPAWN_GAP_MS 500
static atomic_int_fast64_t next_spawn_ms;

void thumbnail_configure(const struct thumbnail_options *opt)
{
    conf = *opt;
}

/* One ffmpeg run. Lives until its process and pipes are closed. */
struct shot {
    uv_process_t proc;
    uv_pipe_t in, out;
    uv_timer_t deadline;
    uv_write_t w;
    int open_handles;
    struct hls_stream *stream;
    struct bytes *init, *part; /* what we feed it (references) */
    struct buf jpeg;
    bool exited, out_eof; /* both, before anything is closed */
    bool exited_ok;
    struct thumbnailer *owner; /* NULL once the owner stopped */
};

struct thumbnailer {
    uv_timer_t timer;
    struct hls_stream *stream;
    struct shot *running;
    bool stopping;
};

static void shot_handle_closed(uv_handle_t *h)
{
    struct shot *sh = h->data;
    if (--sh->open_handles > 0)
        return;
    if (sh->exited_ok && sh->jpeg.len > 2 && (uint8_t)sh->jpeg.data[0] == 0xFF &&
        (uint8_t)sh->jpeg.data[1] == 0xD8) {
        size_t n;
        void *bytes = buf_take(&sh->jpeg, &n);
        struct bytes *b = bytes_take(bytes, n);
        pthread_mutex_lock(&sh->stream->lock);
        bytes_unref(sh->stream->thumbnail);
        sh->stream->thumbnail = b;
        pthread_mutex_unlock(&sh->stream->lock);
    } else if (sh->exited_ok) {
        log_warn("thumbnail", "ffmpeg produced no JPEG", "channel=%s", sh->stream->channel);
    }
    if (sh->owner)
        sh->owner->running = NULL;
    buf_free(&sh->jpeg);
    bytes_unref(sh->init);
    bytes_unref(sh->part);
    hls_stream_unref(sh->stream);
    atomic_fetch_sub(&children, 1);
    free(sh);
}

static void shot_close(struct shot *sh)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&sh->in, (uv_handle_t *)&sh->out,
                         (uv_handle_t *)&sh->deadline, (uv_handle_t *)&sh->proc};
    for (size_t i = 0; i < 4; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], shot_handle_closed);
}

static void on_exit_cb(uv_process_t *p, int64_t status, int sig)
{
    struct shot *sh = p->data;
    sh->exited = true;
    sh->exited_ok = status == 0 && sig == 0;
    if (!sh->exited_ok)
        log_warn("thumbnail", "ffmpeg failed", "channel=%s status=%lld signal=%d",
                 sh->stream->channel, (long long)status, sig);
    /* The exit can be reported before stdout is drained: wait for both. */
    if (sh->out_eof)
        shot_close(sh);
}

static void on_deadline(uv_timer_t *t)
{
    struct shot *sh = t->data;
    log_warn("thumbnail", "ffmpeg took too long; killed", "channel=%s", sh->stream->channel);
    uv_process_kill(&sh->proc, SIGKILL);
}

static void on_out_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    (void)h;
    b->base = xmalloc(suggested);
    b->len = suggested;
}

static void on_out_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct shot *sh = st->data;
    if (n > 0 && buf_append(&sh->jpeg, b->base, (size_t)n) != 0) {
        log_warn("thumbnail", "ffmpeg output over the cap; killed", "channel=%s",
                 sh->stream->channel);
        uv_process_kill(&sh->proc, SIGKILL);
    }
    free(b->base);
    if (n < 0) {
        uv_read_stop(st);
        sh->out_eof = true;
        if (sh->exited)
            shot_close(sh);
    }
}

static void on_in_written(uv_write_t *w, int status)
{
    struct shot *sh = w->data;
    (void)status; /* a child that stopped reading early is judged by its exit */
    if (!uv_is_closing((uv_handle_t *)&sh->in))
        uv_close((uv_handle_t *)&sh->in, shot_handle_closed);
}

/* Picks init + the newest part that starts on a keyframe. */
static bool pick(struct hls_stream *s, struct bytes **init, struct bytes **part)
{
    *init = *part = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->nrend > 0 && s->state == HLS_LIVE) {
        struct hls_rendition *r = &s->rend[0];
        for (unsigned i = r->count; i-- > 0 && !*part;) {
            struct hls_segment *seg = hls_rendition_at(r, i);
            for (unsigned p = seg->nparts; p-- > 0;) {
                if (seg->parts[p].independent && seg->init) {
                    *part = bytes_ref(seg->parts[p].bytes);
                    *init = bytes_ref(seg->init);
                    break;
                }
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return *part != NULL;
}

static bool spawn_slot(uint64_t now_ms)
{
    int_fast64_t next = atomic_load(&next_spawn_ms);
    if ((int64_t)now_ms < next)
        return false;
    return atomic_compare_exchange_strong(&next_spawn_ms, &next,
                                          (int_fast64_t)now_ms + SPAWN_GAP_MS);
}

static void take_shot(struct thumbnailer *t, uv_loop_t *uv)
{
    if (t->running || !spawn_slot(uv_now(uv)))
        return;
    if (atomic_fetch_add(&children, 1) >= conf.max_children) {
        atomic_fetch_sub(&children, 1);
        return; /* busy: try next turn */
    }
    struct shot *sh = xcalloc(1, sizeof *sh);
    buf_init(&sh->jpeg, MAX_JPEG);
    sh->stream = hls_stream_ref(t->stream);
    if (!pick(t->stream, &sh->init, &sh->part)) {
        hls_stream_unref(sh->stream);
        free(sh);
        atomic_fetch_sub(&children, 1);
        return;
    }
    char scale[48];
    snprintf(scale, sizeof scale, "scale=-2:%u", conf.height);
    /* At the lowest CPU priority: a thumbnail may wait, live video may not. */
    char *args[] = {"nice",         "-n",        "19",     (char *)conf.ffmpeg,
                    "-hide_banner", "-loglevel", "error",  "-nostats",
                    "-f",           "mp4",       "-i",     "pipe:0",
                    "-frames:v",    "1",         "-vf",    scale,
                    "-q:v",         "4",         "-f",     "image2pipe",
                    "-c:v",         "mjpeg",     "pipe:1", NULL};
    uv_pipe_init(uv, &sh->in, 0);
    uv_pipe_init(uv, &sh->out, 0);
    uv_timer_init(uv, &sh->deadline);
    sh->in.data = sh->out.data = sh->deadline.data = sh->proc.data = sh;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&sh->in},
        {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&sh->out},
        {.flags = UV_IGNORE},
    };
    uv_process_options_t po = {
        .exit_cb = on_exit_cb, .file = "nice", .args = args, .stdio_count = 3, .stdio = stdio};
    int rc = uv_spawn(uv, &sh->proc, &po);
    sh->open_handles = 4;
    if (rc != 0) {
        if (!atomic_exchange(&spawn_failed_logged, true))
            log_warn("thumbnail", "cannot run ffmpeg; no thumbnails", "ffmpeg=%s err=\"%s\"",
                     conf.ffmpeg, uv_strerror(rc));
        /* uv_spawn failed: the process handle must still be closed. */
        sh->exited_ok = false;
        shot_close(sh);
        return;
    }
    t->running = sh;
    sh->owner = t;
    uv_timer_start(&sh->deadline, on_deadline, CHILD_TIMEOUT_MS, 0);
    uv_read_start((uv_stream_t *)&sh->out, on_out_alloc, on_out_read);
    uv_buf_t bufs[2] = {uv_buf_init((char *)sh->init->data, (unsigned)sh->init->len),
                        uv_buf_init((char *)sh->part->data, (unsigned)sh->part->len)};
    sh->w.data = sh;
    if (uv_write(&sh->w, (uv_stream_t *)&sh->in, bufs, 2, on_in_written) != 0)
        uv_close((uv_handle_t *)&sh->in, shot_handle_closed);
}

static void on_tick(uv_timer_t *timer)
{
    struct thumbnailer *t = timer->data;
    take_shot(t, timer->loop);
    uv_timer_start(timer, on_tick, conf.interval_ms, 0);
}

struct thumbnailer *thumbnailer_start(struct loop *l, struct hls_stream *s)
{
    if (!conf.interval_ms)
        return NULL;
    struct thumbnailer *t = xcalloc(1, sizeof *t);
    t->stream = hls_stream_ref(s);
    uv_timer_init(&l->uv, &t->timer);
    t->timer.data = t;
    uv_timer_start(&t->timer, on_tick, FIRST_SHOT_MS, 0);
    return t;
}

static void on_thumbnailer_closed(uv_handle_t *h)
{
    struct thumbnailer *t = h->data;
    hls_stream_unref(t->stream);
    free(t);
}

void thumbnailer_stop(struct thumbnailer *t)
{
    if (!t)
        return;
    if (t->running) {
        /* The shot finishes (or dies) on its own; it no longer reports back. */
        t->running->owner = NULL;
        uv_process_kill(&t->running->proc, SIGKILL);
    }
    uv_close((uv_handle_t *)&t->timer, on_thumbnailer_closed);
}

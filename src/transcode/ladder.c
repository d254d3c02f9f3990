#include "transcode/ladder.h"

#include <ctype.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "auth/token.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/loop.h"
#include "media/avc.h"
#include "media/flv.h"

#define MAX_PENDING_INPUT (8u << 20)
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000

struct rung {
    char name[16];
    unsigned height;
    unsigned kbps;
};

static struct {
    struct rung rungs[LADDER_MAX_RUNGS];
    unsigned nrungs;
    char ffmpeg[256];
    int rtmp_port;
    unsigned max_children;
    char secret[AUTH_TOKEN_MAX + 1];
} conf;

static atomic_uint children;
static atomic_uint_fast64_t restarts_total;

/* ---- configuration ---- */

int ladder_configure(const char *spec, const char *ffmpeg, int rtmp_port, unsigned max_children,
                     char *err, size_t errlen)
{
    memset(&conf, 0, sizeof conf);
    snprintf(conf.ffmpeg, sizeof conf.ffmpeg, "%s", ffmpeg);
    conf.rtmp_port = rtmp_port;
    conf.max_children = max_children;
    auth_token_random(conf.secret, 24);
    const char *p = spec;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        if (conf.nrungs == LADDER_MAX_RUNGS) {
            snprintf(err, errlen, "ladder: at most %d rungs", LADDER_MAX_RUNGS);
            return ONAIR_EINVAL;
        }
        char *end;
        long h = strtol(p, &end, 10);
        if (end == p || *end != 'p' || h < 144 || h > 2160 || h % 2) {
            snprintf(err, errlen, "ladder: '%.20s' is not a height like 480p", p);
            return ONAIR_EINVAL;
        }
        struct rung *r = &conf.rungs[conf.nrungs];
        r->height = (unsigned)h;
        /* A default bitrate that suits the height (about 0.1 bit per pixel at 30 fps). */
        r->kbps = (unsigned)(h * h * 16 / 9 * 30 / 10000);
        p = end + 1;
        if (*p == ':') {
            long k = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != 'k' || k < 100 || k > 50000) {
                snprintf(err, errlen, "ladder: bad bitrate in '%.20s' (use e.g. 480p:1200k)", p);
                return ONAIR_EINVAL;
            }
            r->kbps = (unsigned)k;
            p = end + 1;
        }
        snprintf(r->name, sizeof r->name, "%ldp", h);
        conf.nrungs++;
        if (*p && *p != ',') {
            snprintf(err, errlen, "ladder: expected ',' at '%.20s'", p);
            return ONAIR_EINVAL;
        }
    }
    return 0;
}

bool ladder_enabled(void)
{
    return conf.nrungs > 0;
}

bool ladder_key_check(const char *name, size_t len, char *channel_out, char *rendition_out)
{
    /* "~<secret>~<rendition>~<channel>" */
    size_t sl = strlen(conf.secret);
    if (!conf.nrungs || len < sl + 4 || name[0] != '~' || name[sl + 1] != '~')
        return false;
    if (!auth_token_equal(name + 1, conf.secret, sl))
        return false;
    const char *r = name + sl + 2;
    const char *tilde = memchr(r, '~', len - (sl + 2));
    if (!tilde)
        return false;
    size_t rl = (size_t)(tilde - r), cl = len - (size_t)(tilde + 1 - name);
    if (rl == 0 || rl >= 16 || cl == 0 || cl >= 32)
        return false;
    memcpy(rendition_out, r, rl);
    rendition_out[rl] = '\0';
    memcpy(channel_out, tilde + 1, cl);
    channel_out[cl] = '\0';
    return true;
}

/* ---- children ---- */

struct ladder;

struct child {
    struct ladder *ld;
    unsigned rung;
    uv_process_t proc;
    uv_pipe_t in;
    uv_timer_t backoff;
    bool running; /* process alive */
    bool synced;  /* header and sequence headers sent; feeding frames */
    bool counted; /* holds a slot of `children` */
    unsigned restarts;
};

struct ladder {
    struct loop *loop;
    char channel[32];
    bool stopping;
    int open_handles;
    uint8_t *vseq, *aseq; /* FLV bodies of the sequence headers */
    size_t vseq_len, aseq_len;
    bool spawned;
    struct child kids[LADDER_MAX_RUNGS];
    unsigned nkids;
};

/* Drops one of the ladder's holds (ladder_stop's, or a closed handle's);
 * the last one frees it. */
static void ladder_release(struct ladder *ld)
{
    if (--ld->open_handles == 0) {
        free(ld->vseq);
        free(ld->aseq);
        free(ld);
    }
}

static void spawn_child(struct child *k);

static void on_backoff(uv_timer_t *t)
{
    struct child *k = t->data;
    if (!k->ld->stopping)
        spawn_child(k);
}

static void on_child_handle_closed(uv_handle_t *h)
{
    struct child *k = h->data;
    ladder_release(k->ld);
}

static void on_child_exit(uv_process_t *p, int64_t status, int sig)
{
    struct child *k = p->data;
    struct ladder *ld = k->ld;
    k->running = false;
    k->synced = false;
    if (k->counted) {
        atomic_fetch_sub(&children, 1);
        k->counted = false;
    }
    if (!uv_is_closing((uv_handle_t *)&k->in))
        uv_close((uv_handle_t *)&k->in, on_child_handle_closed);
    uv_close((uv_handle_t *)p, on_child_handle_closed);
    if (ld->stopping)
        return;
    uint64_t wait = BACKOFF_MIN_MS << (k->restarts < 5 ? k->restarts : 5);
    if (wait > BACKOFF_MAX_MS)
        wait = BACKOFF_MAX_MS;
    k->restarts++;
    atomic_fetch_add(&restarts_total, 1);
    log_warn("transcode", "ffmpeg rendition exited; restarting",
             "channel=%s rendition=%s "
             "status=%lld signal=%d retry_ms=%llu",
             ld->channel, conf.rungs[k->rung].name, (long long)status, sig,
             (unsigned long long)wait);
    uv_timer_start(&k->backoff, on_backoff, wait, 0);
}

static void spawn_child(struct child *k)
{
    struct ladder *ld = k->ld;
    const struct rung *r = &conf.rungs[k->rung];
    if (k->running || ld->stopping)
        return;
    if (atomic_fetch_add(&children, 1) >= conf.max_children) {
        atomic_fetch_sub(&children, 1);
        log_warn("transcode", "transcode-max-children reached; rendition waits",
                 "channel=%s "
                 "rendition=%s",
                 ld->channel, r->name);
        uv_timer_start(&k->backoff, on_backoff, BACKOFF_MAX_MS, 0);
        return;
    }
    k->counted = true;
    char scale[32], bv[16], maxrate[16], bufsize[16], url[256];
    snprintf(scale, sizeof scale, "scale=-2:%u", r->height);
    snprintf(bv, sizeof bv, "%uk", r->kbps);
    snprintf(maxrate, sizeof maxrate, "%uk", r->kbps);
    snprintf(bufsize, sizeof bufsize, "%uk", r->kbps * 2);
    snprintf(url, sizeof url, "rtmp://127.0.0.1:%d/live/~%s~%s~%s", conf.rtmp_port, conf.secret,
             r->name, ld->channel);
    char *args[] = {conf.ffmpeg, "-hide_banner", "-loglevel", "error",       "-nostats",
                    "-f",        "flv",          "-i",        "pipe:0",      "-map",
                    "0:v",       "-map",         "0:a?",      "-c:v",        "libx264",
                    "-preset",   "veryfast",     "-tune",     "zerolatency", "-force_key_frames",
                    "source",    "-vf",          scale,       "-b:v",        bv,
                    "-maxrate",  maxrate,        "-bufsize",  bufsize,       "-c:a",
                    "copy",      "-f",           "flv",       url,           NULL};
    uv_pipe_init(&ld->loop->uv, &k->in, 0);
    k->in.data = k;
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_CREATE_PIPE | UV_READABLE_PIPE, .data.stream = (uv_stream_t *)&k->in},
        {.flags = UV_IGNORE},
        {.flags = UV_IGNORE}, /* failures show as exits, logged with their status */
    };
    uv_process_options_t po = {.exit_cb = on_child_exit,
                               .file = conf.ffmpeg,
                               .args = args,
                               .stdio_count = 3,
                               .stdio = stdio};
    k->proc.data = k;
    ld->open_handles += 2; /* proc + pipe */
    int rc = uv_spawn(&ld->loop->uv, &k->proc, &po);
    if (rc != 0) {
        log_warn("transcode", "cannot run ffmpeg", "ffmpeg=%s err=\"%s\"", conf.ffmpeg,
                 uv_strerror(rc));
        atomic_fetch_sub(&children, 1);
        k->counted = false;
        uv_close((uv_handle_t *)&k->in, on_child_handle_closed);
        uv_close((uv_handle_t *)&k->proc, on_child_handle_closed);
        if (!ld->stopping)
            uv_timer_start(&k->backoff, on_backoff, BACKOFF_MAX_MS, 0);
        return;
    }
    k->running = true;
    k->synced = false;
    log_info("transcode", "rendition started", "channel=%s rendition=%s height=%u kbps=%u",
             ld->channel, r->name, r->height, r->kbps);
}

struct tag_write {
    uv_write_t w;
    uint8_t *data;
};

static void on_tag_written(uv_write_t *w, int status)
{
    struct tag_write *tw = (struct tag_write *)w;
    (void)status; /* a dying child is handled by its exit callback */
    free(tw->data);
    free(tw);
}

/* Writes one FLV tag (optionally preceded by the FLV file header). */
static void write_tag(struct child *k, bool file_header, uint8_t type, uint32_t ts,
                      const uint8_t *body, size_t len)
{
    size_t n = (file_header ? 13 : 0) + 11 + len + 4;
    uint8_t *b = xmalloc(n), *p = b;
    if (file_header) {
        static const uint8_t h[13] = {'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0};
        memcpy(p, h, 13);
        p += 13;
    }
    p[0] = type;
    p[1] = (uint8_t)(len >> 16);
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[4] = (uint8_t)(ts >> 16);
    p[5] = (uint8_t)(ts >> 8);
    p[6] = (uint8_t)ts;
    p[7] = (uint8_t)(ts >> 24);
    p[8] = p[9] = p[10] = 0;
    memcpy(p + 11, body, len);
    uint32_t prev = (uint32_t)(11 + len);
    p[11 + len] = (uint8_t)(prev >> 24);
    p[12 + len] = (uint8_t)(prev >> 16);
    p[13 + len] = (uint8_t)(prev >> 8);
    p[14 + len] = (uint8_t)prev;
    struct tag_write *tw = xmalloc(sizeof *tw);
    tw->data = b;
    uv_buf_t ub = uv_buf_init((char *)b, (unsigned)n);
    if (uv_write(&tw->w, (uv_stream_t *)&k->in, &ub, 1, on_tag_written) != 0) {
        free(b);
        free(tw);
    }
}

static void spawn_all(struct ladder *ld, unsigned src_height)
{
    ld->spawned = true;
    for (unsigned i = 0; i < conf.nrungs; i++) {
        if (conf.rungs[i].height >= src_height)
            continue; /* no point making a copy as big as the source */
        struct child *k = &ld->kids[ld->nkids++];
        k->ld = ld;
        k->rung = i;
        uv_timer_init(&ld->loop->uv, &k->backoff);
        k->backoff.data = k;
        ld->open_handles++;
        spawn_child(k);
    }
}

void ladder_feed(struct ladder *ld, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
    if (!ld || ld->stopping || len < 2)
        return;
    struct flv_packet pkt;
    int rc =
        type == 9 ? flv_video_parse(body, len, &pkt, NULL) : flv_audio_parse(body, len, &pkt, NULL);
    if (rc)
        return;
    if (pkt.kind == FLV_AVC_SEQUENCE_HEADER || pkt.kind == FLV_AAC_SEQUENCE_HEADER) {
        uint8_t **dst = type == 9 ? &ld->vseq : &ld->aseq;
        size_t *dl = type == 9 ? &ld->vseq_len : &ld->aseq_len;
        free(*dst);
        *dst = xmalloc(len);
        memcpy(*dst, body, len);
        *dl = len;
        if (type == 9 && !ld->spawned) {
            struct avc_config c;
            if (avc_config_parse(pkt.data, pkt.len, &c) == 0)
                spawn_all(ld, c.height);
        }
        return;
    }
    for (unsigned i = 0; i < ld->nkids; i++) {
        struct child *k = &ld->kids[i];
        if (!k->running)
            continue;
        if (uv_stream_get_write_queue_size((uv_stream_t *)&k->in) > MAX_PENDING_INPUT) {
            log_warn("transcode", "rendition can't keep up; restarting it",
                     "channel=%s "
                     "rendition=%s",
                     ld->channel, conf.rungs[k->rung].name);
            uv_process_kill(&k->proc, SIGKILL);
            k->running = false;
            continue;
        }
        if (!k->synced) {
            /* Start a child at a keyframe, with the headers it needs first. */
            if (!(type == 9 && pkt.keyframe && ld->vseq))
                continue;
            write_tag(k, true, 9, ts, ld->vseq, ld->vseq_len);
            if (ld->aseq)
                write_tag(k, false, 8, ts, ld->aseq, ld->aseq_len);
            k->synced = true;
        }
        write_tag(k, false, type, ts, body, len);
    }
}

struct ladder *ladder_start(struct loop *l, const char *channel)
{
    if (!conf.nrungs)
        return NULL;
    struct ladder *ld = xcalloc(1, sizeof *ld);
    ld->loop = l;
    snprintf(ld->channel, sizeof ld->channel, "%s", channel);
    ld->open_handles = 1; /* released by ladder_stop */
    return ld;
}

void ladder_stop(struct ladder *ld)
{
    if (!ld)
        return;
    ld->stopping = true;
    for (unsigned i = 0; i < ld->nkids; i++) {
        struct child *k = &ld->kids[i];
        uv_timer_stop(&k->backoff);
        uv_close((uv_handle_t *)&k->backoff, on_child_handle_closed);
        if (k->running)
            uv_process_kill(&k->proc, SIGKILL); /* exit callback closes its handles */
    }
    ladder_release(ld);
}

void ladder_metrics(struct buf *out, void *arg)
{
    (void)arg;
    buf_printf(out,
               "# HELP onair_transcode_children ffmpeg rendition children running.\n"
               "# TYPE onair_transcode_children gauge\n"
               "onair_transcode_children %u\n"
               "# HELP onair_transcode_restarts_total Rendition children restarted after "
               "exiting.\n"
               "# TYPE onair_transcode_restarts_total counter\n"
               "onair_transcode_restarts_total %llu\n",
               atomic_load(&children), (unsigned long long)atomic_load(&restarts_total));
}

#include "hls/segmenter.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "hls/fmp4.h"
#include "hls/playlist.h"
#include "hls/record.h"
#include "hls/stream.h"
#include "media/aac.h"
#include "media/avc.h"

#define AAC_FRAME 1024
/* Without video config, this much audio starts an audio-only stream. */
#define AUDIO_ONLY_AFTER_MS 1000
/* Room left in front of a part's samples for its fragment header, beyond
 * the size the last header had (audio frames per part vary by one or two). */
#define HEAD_SLACK 256
#define HEAD_FIRST 1024
/* Spare capacity past this is given back when a part closes. */
#define BLOCK_SLACK 4096

static atomic_uint_fast64_t parts_total;
static atomic_uint_fast64_t segments_total;
static struct metrics_histogram part_latency;

/* One sample of the open part. Video bytes live in the part block, audio
 * bytes in the audio arena until the part closes; off counts from there. */
struct sample {
    uint64_t dts; /* track timescale */
    uint32_t duration;
    int32_t cts;
    bool key;
    size_t off, len;
};

struct track {
    struct sample *s;
    size_t n, cap;
    uint64_t dur; /* sum of durations in the open part */
};

/*
 * The open part's bytes: one malloc'd block that is published as the part
 * without being copied. [0, head) is kept free for the fragment header,
 * which close_part writes right-aligned against the samples; then come the
 * video samples, appended as they arrive, and at close the audio samples
 * (a few KB) are copied in after them, so each track's data is contiguous.
 * Invariant: head <= len <= cap while mem is set.
 */
struct part_block {
    uint8_t *mem; /* NULL until the part's first bytes */
    size_t head;
    size_t len;
    size_t cap;
};

struct hls_segmenter {
    struct hls_stream *stream;
    unsigned ri; /* rendition index */
    bool resumed;

    uint8_t *avcc;
    size_t avcc_len;
    struct avc_config avc;
    uint8_t *asc;
    size_t asc_len;
    struct aac_config aac;
    bool have_video_cfg, have_audio_cfg;

    bool started;
    bool video_track, audio_track;
    int64_t t0_ms;      /* RTMP time that maps to timeline_offset_ms */
    uint64_t offset_ms; /* where this publisher's timeline starts */
    int64_t first_audio_ms;
    bool seen_audio;

    /* The newest video sample is in the open part already, but its duration
     * is known only when the next one arrives. */
    bool pending;
    int64_t pending_arrival;
    uint32_t last_video_dur;

    uint64_t audio_next; /* expected dts of the next audio frame */

    struct track video, audio;
    struct part_block part;
    struct buf audio_bytes; /* the open part's audio samples */
    struct buf head;        /* scratch: a fragment header */
    struct buf moved;       /* scratch: a sample moving to the next part */
    size_t head_hint;       /* room to leave in front of the next part */
    size_t size_hint;       /* sample bytes the next part is expected to hold */
    bool part_independent;
    int64_t part_first_arrival;
    bool segment_open;
    unsigned segment_parts; /* parts published into the open segment */
    double segment_dur;     /* seconds in the open segment, complete parts only */
    bool next_discontinuity;
    uint32_t frag_seq;
    uint64_t end_ms; /* timeline end so far */
};

static void track_reset(struct track *t)
{
    t->n = 0;
    t->dur = 0;
}

static void track_push(struct track *t, const struct sample *s)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->s = xrealloc(t->s, t->cap * sizeof *t->s);
    }
    t->s[t->n++] = *s;
}

/* Makes room for n more bytes in the open part's block, starting a block
 * sized for a typical part when there is none. */
static void block_reserve(struct hls_segmenter *g, size_t n)
{
    struct part_block *b = &g->part;
    if (b->mem && b->len + n <= b->cap)
        return;
    if (b->mem && b->len > b->head) {
        size_t cap = b->cap * 2 > b->len + n ? b->cap * 2 : b->len + n;
        b->mem = xrealloc(b->mem, cap);
        b->cap = cap;
        return;
    }
    /* Nothing in it yet (or a keyframe larger than the guess): a new block
     * rather than realloc, which would copy the old one's bytes. */
    free(b->mem);
    b->head = g->head_hint;
    b->cap = b->head + (n > g->size_hint ? n : g->size_hint);
    b->mem = xmalloc(b->cap);
    b->len = b->head;
}

/* Appends a video sample (bytes into the block) to the open part. */
static void video_add(struct hls_segmenter *g, struct sample x, const uint8_t *data)
{
    block_reserve(g, x.len);
    x.off = g->part.len - g->part.head;
    memcpy(g->part.mem + g->part.len, data, x.len);
    g->part.len += x.len;
    track_push(&g->video, &x);
    g->video.dur += x.duration;
}

static int audio_add(struct hls_segmenter *g, struct sample x, const uint8_t *data)
{
    x.off = g->audio_bytes.len;
    if (buf_append(&g->audio_bytes, data, x.len) != 0)
        return ONAIR_ETOOBIG;
    track_push(&g->audio, &x);
    g->audio.dur += x.duration;
    return 0;
}

struct hls_segmenter *hls_segmenter_new(struct hls_stream *s, const char *name, bool resumed)
{
    struct hls_segmenter *g = xcalloc(1, sizeof *g);
    g->stream = hls_stream_ref(s);
    g->resumed = resumed;
    buf_init(&g->audio_bytes, 0);
    buf_init(&g->head, 0);
    buf_init(&g->moved, 0);
    g->head_hint = HEAD_FIRST;
    pthread_mutex_lock(&s->lock);
    unsigned i;
    for (i = 0; i < s->nrend; i++)
        if (strcmp(s->rend[i].name, name) == 0)
            break;
    if (i == s->nrend && s->nrend < HLS_MAX_RENDITIONS) {
        snprintf(s->rend[i].name, sizeof s->rend[i].name, "%s", name);
        s->nrend++;
    }
    g->ri = i < HLS_MAX_RENDITIONS ? i : 0;
    struct hls_rendition *r = &s->rend[g->ri];
    g->offset_ms = r->timeline_end_ms;
    g->end_ms = r->timeline_end_ms;
    g->frag_seq = r->fragment_seq;
    g->next_discontinuity = resumed && r->count > 0;
    pthread_mutex_unlock(&s->lock);
    return g;
}

int hls_segmenter_video_config(struct hls_segmenter *g, const uint8_t *avcc, size_t len)
{
    struct avc_config c;
    int rc = avc_config_parse(avcc, len, &c);
    if (rc)
        return rc;
    if (g->have_video_cfg) {
        /* The same record again (some encoders repeat it) is fine. */
        if (len == g->avcc_len && memcmp(avcc, g->avcc, len) == 0)
            return 0;
        if (g->started)
            return ONAIR_EINVAL;
        free(g->avcc);
    }
    g->avcc = xmalloc(len);
    memcpy(g->avcc, avcc, len);
    g->avcc_len = len;
    g->avc = c;
    g->avc.record = g->avcc;
    g->have_video_cfg = true;
    return 0;
}

int hls_segmenter_audio_config(struct hls_segmenter *g, const uint8_t *asc, size_t len)
{
    struct aac_config c;
    int rc = aac_config_parse(asc, len, &c);
    if (rc)
        return rc;
    if (g->have_audio_cfg) {
        if (len == g->asc_len && memcmp(asc, g->asc, len) == 0)
            return 0;
        if (g->started)
            return ONAIR_EINVAL;
        free(g->asc);
    }
    g->asc = xmalloc(len);
    memcpy(g->asc, asc, len);
    g->asc_len = len;
    g->aac = c;
    g->have_audio_cfg = true;
    return 0;
}

/* Writes the init segment and describes the rendition. */
static int start(struct hls_segmenter *g, int64_t t0_ms)
{
    struct fmp4_video v = {0};
    struct fmp4_audio a = {0};
    g->video_track = g->have_video_cfg;
    g->audio_track = g->have_audio_cfg;
    if (g->video_track) {
        v.width = g->avc.width;
        v.height = g->avc.height;
        v.avcc = g->avcc;
        v.avcc_len = g->avcc_len;
    }
    if (g->audio_track) {
        a.sample_rate = g->aac.sample_rate;
        a.channels = g->aac.channels;
        a.asc = g->asc;
        a.asc_len = g->asc_len;
    }
    struct buf init;
    buf_init(&init, 0);
    int rc = fmp4_init_write(&init, g->video_track ? &v : NULL, g->audio_track ? &a : NULL);
    if (rc) {
        buf_free(&init);
        return rc;
    }
    size_t n;
    void *bytes = buf_take(&init, &n);
    struct bytes *b = bytes_take(bytes, n);

    char vcodec[16] = "", acodec[16] = "";
    if (g->video_track)
        avc_codec_string(&g->avc, vcodec);
    if (g->audio_track)
        aac_codec_string(&g->aac, acodec);

    struct hls_stream *s = g->stream;
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[g->ri];
    bytes_unref(r->init);
    r->init = b;
    r->init_version++;
    snprintf(r->codecs, sizeof r->codecs, "%s%s%s", vcodec, vcodec[0] && acodec[0] ? "," : "",
             acodec);
    r->width = g->video_track ? g->avc.width : 0;
    r->height = g->video_track ? g->avc.height : 0;
    s->version++;
    pthread_mutex_unlock(&s->lock);

    g->started = true;
    g->t0_ms = t0_ms;
    g->audio_next = 0;
    return 0;
}

static uint64_t to_timescale(struct hls_segmenter *g, int64_t ms, uint32_t scale)
{
    int64_t rel = ms - g->t0_ms + (int64_t)g->offset_ms;
    if (rel < 0)
        rel = 0;
    return (uint64_t)rel * scale / 1000;
}

/* Fills one run's sample table (sizes, durations, flags: what the header
 * describes; the bytes are in the block). */
static void describe(const struct track *t, struct fmp4_sample *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct sample *x = &t->s[i];
        out[i] = (struct fmp4_sample){.duration = x->duration,
                                      .size = (uint32_t)x->len,
                                      .cts_offset = x->cts,
                                      .keyframe = x->key,
                                      .data = NULL};
    }
}

/* Writes the fragment header in front of the samples and hands the block
 * over as the part's bytes (copying only when the header outgrew the room
 * left for it). NULL if the header could not be written. */
static struct bytes *finish_block(struct hls_segmenter *g, const struct fmp4_track_run *runs,
                                  size_t nruns)
{
    struct part_block *b = &g->part;
    buf_reset(&g->head);
    if (fmp4_fragment_head_write(&g->head, g->frag_seq + 1, runs, nruns) != 0)
        return NULL;
    g->frag_seq++;
    size_t hs = g->head.len, data = b->len - b->head;
    struct bytes *out;
    if (hs <= b->head) {
        size_t off = b->head - hs;
        memcpy(b->mem + off, g->head.data, hs);
        if (b->cap - b->len > BLOCK_SLACK)
            b->mem = xrealloc(b->mem, b->len); /* shrinks in place */
        out = bytes_take_at(b->mem, off, hs + data);
    } else {
        uint8_t *copy = xmalloc(hs + data);
        memcpy(copy, g->head.data, hs);
        memcpy(copy + hs, b->mem + b->head, data);
        free(b->mem);
        out = bytes_take(copy, hs + data);
    }
    *b = (struct part_block){0};
    g->head_hint = hs + HEAD_SLACK;
    g->size_hint = data + data / 4;
    return out;
}

/* Publishes the open part (if it has any samples). Every sample's duration
 * must be known (no pending one). */
static void close_part(struct hls_segmenter *g)
{
    if (g->video.n == 0 && g->audio.n == 0)
        return;
    assert(!g->pending);
    struct fmp4_sample vs[g->video.n ? g->video.n : 1], as[g->audio.n ? g->audio.n : 1];
    describe(&g->video, vs);
    describe(&g->audio, as);
    struct fmp4_track_run runs[2];
    size_t nruns = 0;
    if (g->video.n)
        runs[nruns++] =
            (struct fmp4_track_run){FMP4_VIDEO_TRACK, g->video.s[0].dts, vs, g->video.n};
    if (g->audio.n)
        runs[nruns++] =
            (struct fmp4_track_run){FMP4_AUDIO_TRACK, g->audio.s[0].dts, as, g->audio.n};
    double dur = g->video.n ? (double)g->video.dur / FMP4_VIDEO_TIMESCALE
                            : (double)g->audio.dur / g->aac.sample_rate;
    if (g->video.n) {
        uint64_t end = g->video.s[g->video.n - 1].dts + g->video.s[g->video.n - 1].duration;
        g->end_ms = end / 90;
    } else {
        uint64_t end = g->audio.s[g->audio.n - 1].dts + AAC_FRAME;
        g->end_ms = end * 1000 / g->aac.sample_rate;
    }

    /* Audio after video, so that each run's bytes are contiguous. */
    block_reserve(g, g->audio_bytes.len);
    if (g->audio_bytes.len)
        memcpy(g->part.mem + g->part.len, g->audio_bytes.data, g->audio_bytes.len);
    g->part.len += g->audio_bytes.len;
    struct bytes *b = finish_block(g, runs, nruns);
    track_reset(&g->video);
    track_reset(&g->audio);
    buf_reset(&g->audio_bytes);
    if (!b) {
        g->part.len = g->part.head; /* the block is reused for the next part */
        log_err("hls", "fragment write failed", "channel=%s", g->stream->channel);
        return;
    }
    size_t n = b->len;

    struct hls_stream *s = g->stream;
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[g->ri];
    struct hls_segment *seg = hls_rendition_current(r);
    if (!seg) { /* cannot happen: a segment is opened before any sample */
        pthread_mutex_unlock(&s->lock);
        bytes_unref(b);
        return;
    }
    seg->parts[seg->nparts++] = (struct hls_part){b, dur, g->part_independent};
    g->segment_parts = seg->nparts;
    seg->duration += dur;
    seg->bytes += n;
    r->timeline_end_ms = g->end_ms;
    r->fragment_seq = g->frag_seq;
    s->version++;
    pthread_mutex_unlock(&s->lock);
    g->segment_dur += dur;

    atomic_fetch_add_explicit(&parts_total, 1, memory_order_relaxed);
    metrics_histogram_observe(&part_latency,
                              (double)(clock_wall_ms() - g->part_first_arrival) / 1000.0);
    hls_stream_notify(s);
}

static void close_segment(struct hls_segmenter *g)
{
    close_part(g);
    if (!g->segment_open)
        return;
    struct hls_stream *s = g->stream;
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[g->ri];
    struct hls_segment *seg = hls_rendition_current(r);
    if (seg) {
        if (seg->nparts == 0) {
            /* Nothing was published into it: take it back. */
            r->count--;
            r->next_msn--;
        } else {
            seg->complete = true;
            if (seg->duration > r->max_segment)
                r->max_segment = seg->duration;
            if (seg->duration > 0) {
                uint64_t bw = (uint64_t)((double)seg->bytes * 8 / seg->duration);
                /* Peak of recent segments, decaying so one spike doesn't stick. */
                r->bandwidth = bw > r->bandwidth ? bw : (r->bandwidth * 7 + bw) / 8;
            }
            if (g->ri == 0) /* the broadcast itself, not the ladder's copies */
                hls_record_segment(s, seg);
        }
    }
    s->version++;
    pthread_mutex_unlock(&s->lock);
    g->segment_open = false;
    g->segment_dur = 0;
    atomic_fetch_add_explicit(&segments_total, 1, memory_order_relaxed);
    hls_stream_notify(s);
}

static void open_segment(struct hls_segmenter *g, int64_t arrival_ms)
{
    struct hls_stream *s = g->stream;
    pthread_mutex_lock(&s->lock);
    struct hls_rendition *r = &s->rend[g->ri];
    struct hls_segment *seg = hls_rendition_open_segment(r, s->window);
    seg->pdt_ms = arrival_ms;
    hls_format_time(seg->pdt, arrival_ms);
    seg->discontinuity = g->next_discontinuity;
    s->version++;
    pthread_mutex_unlock(&s->lock);
    g->next_discontinuity = false;
    g->segment_open = true;
    g->segment_parts = 0;
    g->segment_dur = 0;
}

/* Decides where a sample of duration dur_s starting a unit goes: a new
 * segment (at a keyframe past the target), a new part, or the open part. */
static void place(struct hls_segmenter *g, bool key, double dur_s, double part_dur_s,
                  int64_t arrival_ms)
{
    struct hls_stream *s = g->stream;
    double seg_so_far = g->segment_dur + part_dur_s;
    /* (the part count is our own: only this segmenter adds parts) */
    bool cut_segment = !g->segment_open || (key && seg_so_far >= s->segment_target - 0.0005) ||
                       g->segment_parts >= HLS_MAX_PARTS - 1;
    if (cut_segment) {
        close_segment(g);
        open_segment(g, arrival_ms);
        g->part_independent = key;
        g->part_first_arrival = arrival_ms;
        return;
    }
    if (part_dur_s > 0 && part_dur_s + dur_s > s->part_target + 0.0005) {
        close_part(g);
        g->part_independent = key;
        g->part_first_arrival = arrival_ms;
    }
    if (g->video.n == 0 && g->audio.n == 0) {
        g->part_independent = key;
        g->part_first_arrival = arrival_ms;
    }
}

/* The pending sample turned out longer than the estimate it was placed
 * with, and its part now passes the target: it moves to the next part (a
 * copy of one frame; only when frame intervals change). */
static void move_newest_video(struct hls_segmenter *g)
{
    struct sample x = g->video.s[--g->video.n];
    g->video.dur -= x.duration;
    buf_reset(&g->moved);
    buf_append(&g->moved, g->part.mem + g->part.head + x.off, x.len);
    g->part.len -= x.len;
    close_part(g);
    g->part_independent = x.key;
    g->part_first_arrival = g->pending_arrival;
    video_add(g, x, (const uint8_t *)g->moved.data);
}

/* The pending video sample gets its duration (known now that the next one
 * arrived, or guessed at the end). Parts stay within the target. */
static void resolve_pending(struct hls_segmenter *g, uint32_t duration)
{
    assert(g->pending && g->video.n > 0);
    struct sample *x = &g->video.s[g->video.n - 1];
    x->duration = duration ? duration : 1;
    g->last_video_dur = x->duration;
    g->video.dur += x->duration;
    g->pending = false;
    if (g->video.n > 1 &&
        (double)g->video.dur / FMP4_VIDEO_TIMESCALE > g->stream->part_target + 0.0005)
        move_newest_video(g);
}

int hls_segmenter_video(struct hls_segmenter *g, int64_t dts_ms, int32_t cts_ms, bool keyframe,
                        const uint8_t *data, size_t len, int64_t arrival_ms)
{
    if (!g->have_video_cfg)
        return 0; /* nothing can decode it yet */
    unsigned nalus;
    bool idr;
    int rc = avc_nalus_scan(data, len, g->avc.nal_length_size, &nalus, &idr);
    if (rc)
        return rc;
    if (!g->started) {
        if (!keyframe)
            return 0;
        if ((rc = start(g, dts_ms)) != 0)
            return rc;
    }
    if (!g->video_track)
        return 0;
    uint64_t dts = to_timescale(g, dts_ms, FMP4_VIDEO_TIMESCALE);
    if (g->pending) {
        uint64_t prev = g->video.s[g->video.n - 1].dts;
        resolve_pending(g, dts > prev ? (uint32_t)(dts - prev) : g->last_video_dur);
    }
    /* Placed now, as if it lasted as long as the one before (its own
     * duration comes with the next frame): so a part is published as soon
     * as the frame that follows its last one arrives. */
    place(g, keyframe, (double)g->last_video_dur / FMP4_VIDEO_TIMESCALE,
          (double)g->video.dur / FMP4_VIDEO_TIMESCALE, arrival_ms);
    video_add(g, (struct sample){.dts = dts, .cts = cts_ms * 90, .key = keyframe, .len = len},
              data);
    g->pending = true;
    g->pending_arrival = arrival_ms;
    return 0;
}

int hls_segmenter_audio(struct hls_segmenter *g, int64_t dts_ms, const uint8_t *data, size_t len,
                        int64_t arrival_ms)
{
    if (!g->have_audio_cfg || len == 0)
        return 0;
    if (!g->seen_audio) {
        g->seen_audio = true;
        g->first_audio_ms = dts_ms;
    }
    if (!g->started) {
        /* Audio-only streams start after a second with no video config. */
        if (g->have_video_cfg || dts_ms - g->first_audio_ms < AUDIO_ONLY_AFTER_MS)
            return 0;
        int rc = start(g, dts_ms);
        if (rc)
            return rc;
    }
    if (!g->audio_track || dts_ms < g->t0_ms)
        return 0;
    uint32_t sr = g->aac.sample_rate;
    uint64_t actual = to_timescale(g, dts_ms, sr);
    uint64_t diff = actual > g->audio_next ? actual - g->audio_next : g->audio_next - actual;
    if (g->audio.n == 0 && g->audio_next == 0)
        g->audio_next = actual;
    else if (diff > 2 * AAC_FRAME)
        g->audio_next = actual; /* a gap or a jump in the source: follow it */
    struct sample x = {.dts = g->audio_next, .duration = AAC_FRAME, .key = true, .len = len};
    if (!g->video_track)
        place(g, true, (double)AAC_FRAME / sr, (double)g->audio.dur / sr, arrival_ms);
    else if (!g->segment_open)
        return 0; /* video opens the first segment */
    g->audio_next += AAC_FRAME;
    if (g->video.n == 0 && g->audio.n == 0)
        g->part_first_arrival = arrival_ms;
    return audio_add(g, x, data);
}

unsigned hls_segmenter_frames_ahead(const struct hls_segmenter *g)
{
    if (!g || !g->video_track || !g->segment_open || g->last_video_dur == 0)
        return 0;
    const struct hls_stream *s = g->stream;
    double frame = (double)g->last_video_dur / FMP4_VIDEO_TIMESCALE;
    /* The open part as it is once the pending frame has its duration. */
    double part = (double)g->video.dur / FMP4_VIDEO_TIMESCALE + (g->pending ? frame : 0);
    double part_left = s->part_target - part;
    double segment_left = s->segment_target - g->segment_dur - part; /* then a keyframe cuts */
    double left = part_left < segment_left ? part_left : segment_left;
    /* floor(left / frame) frames still fit; the one after them closes. */
    double n = left / frame - 1;
    return n >= 1 ? (unsigned)n : 0;
}

void hls_segmenter_free(struct hls_segmenter *g)
{
    if (!g)
        return;
    if (g->pending)
        resolve_pending(g, g->last_video_dur);
    close_segment(g);
    free(g->video.s);
    free(g->audio.s);
    free(g->part.mem);
    buf_free(&g->audio_bytes);
    buf_free(&g->head);
    buf_free(&g->moved);
    free(g->avcc);
    free(g->asc);
    hls_stream_unref(g->stream);
    free(g);
}

void hls_segmenter_metrics(struct buf *out, void *arg)
{
    buf_printf(out,
               "# HELP onair_hls_parts_total LL-HLS parts produced.\n"
               "# TYPE onair_hls_parts_total counter\n"
               "onair_hls_parts_total %llu\n"
               "# HELP onair_hls_segments_total HLS segments completed.\n"
               "# TYPE onair_hls_segments_total counter\n"
               "onair_hls_segments_total %llu\n"
               "# HELP onair_hls_part_ready_seconds Time from the RTMP arrival of a part's first "
               "frame to the part being available to viewers.\n"
               "# TYPE onair_hls_part_ready_seconds histogram\n",
               (unsigned long long)atomic_load(&parts_total),
               (unsigned long long)atomic_load(&segments_total));
    metrics_histogram_write(out, "onair_hls_part_ready_seconds", "", &part_latency);
}

/*
 * video.c - the video scenarios: publish, hls-view, and video (both in one
 * process, which adds live-edge delays and time to first playlist).
 *
 * A run has `units`: streams (publish, video) or channels (hls-view). Unit
 * u has publisher pubs[u] (if any) and viewers views[u*V .. u*V+V-1]. Units
 * start one after the other, spread evenly over --ramp seconds, so that
 * streams do not all send their key frames in the same millisecond; a
 * unit's viewers start with its publisher and poll until it is live.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "clip.h"
#include "core/alloc.h"
#include "hls_view.h"
#include "rtmp_pub.h"
#include "scenarios.h"

#define MAX_STREAMS 5000
#define MAX_VIEWERS 15000
#define MAX_SAMPLES (8u * 1024 * 1024)

enum scenario { SC_PUBLISH = 1, SC_HLS_VIEW = 2, SC_VIDEO = 4 };

struct vopts {
    double duration, ramp, ts_offset_ms;
    bool json, quiet;
    long streams, viewers;
    const char *rtmp_url, *hls_url, *keys_file, *key_prefix, *flv, *channels, *playlist;
    enum bench_view_mode mode;
};

struct video {
    enum scenario sc;
    struct vopts o;
    uv_loop_t loop;
    struct bench_run run;
    struct bench_clip *clip;
    struct bench_url rtmp, hls;
    int units;
    char **keys, **chans;
    struct bench_pub *pubs;   /* units of them, or NULL */
    struct bench_view *views; /* units * viewers, or NULL */
    int nviews;
    struct bench_view_totals totals;
    struct bench_samples edge, fetch, pdt_edge;
    uv_timer_t ramp;
    int started;
    uint64_t last_tx, last_parts, last_segs, last_rx;
};

/* ---- options ---- */

static const char *sc_name(enum scenario sc)
{
    return sc == SC_PUBLISH ? "publish" : sc == SC_HLS_VIEW ? "hls-view" : "video";
}

static const char *const usage[] = {
    [SC_PUBLISH] = "usage: onair-bench publish --url rtmp://127.0.0.1:PORT/APP --flv FILE "
                   "(--keys FILE | --key-prefix P) [options]\n\n"
                   "N RTMP publishers, each looping the FLV clip at real-time pace as OBS\n"
                   "would send it (handshake, connect, createStream, publish, wait for\n"
                   "NetStream.Publish.Start, @setDataFrame, media). Reports bytes and frames\n"
                   "sent, publish-start latency and failures per stream.\n",
    [SC_HLS_VIEW] = "usage: onair-bench hls-view --url http://127.0.0.1:PORT/hls --channels A,B,.. "
                    "[options]\n\n"
                    "N viewers per channel following the media playlist like hls.js: LL mode\n"
                    "asks for the next part with a blocking reload and fetches every part;\n"
                    "plain mode polls every target duration / 2 and fetches every segment.\n"
                    "Reports requests, parts/segments, bytes, errors, whether every playlist\n"
                    "kept advancing, and the live-edge delay by EXT-X-PROGRAM-DATE-TIME.\n",
    [SC_VIDEO] = "usage: onair-bench video --rtmp URL --hls URL --flv FILE "
                 "(--keys FILE | --key-prefix P) [options]\n\n"
                 "publish + hls-view in one process, sharing a clock: adds the live-edge\n"
                 "delay (playlist arrival - when the publisher sent the media time where the\n"
                 "new part/segment ends) and the time from Publish.Start to the first\n"
                 "playlist with something to play.\n",
};

/* Returns 0, 1 (help printed) or -1 (usage error printed). */
static int parse(enum scenario sc, int argc, char **argv, struct vopts *o)
{
    *o = (struct vopts){.duration = 30,
                        .ramp = 2,
                        .ts_offset_ms = 700,
                        .streams = 1,
                        .viewers = 1,
                        .playlist = "{channel}/src/index.m3u8"};
    const char *mode = "ll";
    const unsigned all = SC_PUBLISH | SC_HLS_VIEW | SC_VIDEO, pub = SC_PUBLISH | SC_VIDEO,
                   view = SC_HLS_VIEW | SC_VIDEO;
    const struct bench_scoped_opt table[] = {
        {all,
         {"duration", BENCH_OPT_DOUBLE, &o->duration, 0.1, 86400, "SECONDS",
          "length of the run (default 30)"}},
        {all, {"json", BENCH_OPT_FLAG, &o->json, 0, 0, NULL, "print a JSON summary on stdout"}},
        {all, {"quiet", BENCH_OPT_FLAG, &o->quiet, 0, 0, NULL, "no progress line"}},
        {pub,
         {"streams", BENCH_OPT_LONG, &o->streams, 1, MAX_STREAMS, "N",
          "RTMP publishers (default 1)"}},
        {SC_PUBLISH,
         {"url", BENCH_OPT_STRING, &o->rtmp_url, 0, 0, "URL", "rtmp://127.0.0.1:PORT/APP"}},
        {SC_HLS_VIEW,
         {"url", BENCH_OPT_STRING, &o->hls_url, 0, 0, "URL", "http://127.0.0.1:PORT/hls"}},
        {SC_VIDEO,
         {"rtmp", BENCH_OPT_STRING, &o->rtmp_url, 0, 0, "URL", "rtmp://127.0.0.1:PORT/APP"}},
        {SC_VIDEO,
         {"hls", BENCH_OPT_STRING, &o->hls_url, 0, 0, "URL", "http://127.0.0.1:PORT/hls"}},
        {pub,
         {"keys", BENCH_OPT_STRING, &o->keys_file, 0, 0, "FILE",
          "one stream key per line, optionally followed by its channel name"}},
        {pub,
         {"key-prefix", BENCH_OPT_STRING, &o->key_prefix, 0, 0, "P",
          "keys (and channels) P0 .. P<N-1> instead of --keys"}},
        {pub, {"flv", BENCH_OPT_STRING, &o->flv, 0, 0, "FILE", "the clip every publisher loops"}},
        {SC_HLS_VIEW,
         {"channels", BENCH_OPT_STRING, &o->channels, 0, 0, "A,B,..", "channels to watch"}},
        {SC_HLS_VIEW,
         {"viewers", BENCH_OPT_LONG, &o->viewers, 1, MAX_VIEWERS, "N",
          "viewers per channel (default 1)"}},
        {SC_VIDEO,
         {"viewers-per-stream", BENCH_OPT_LONG, &o->viewers, 0, MAX_VIEWERS, "V",
          "viewers per stream (default 1; 0: publish only)"}},
        {view,
         {"mode", BENCH_OPT_STRING, &mode, 0, 0, "ll|plain",
          "LL-HLS parts with blocking reload (default), or plain HLS polling"}},
        {view,
         {"playlist", BENCH_OPT_STRING, &o->playlist, 0, 0, "TEMPLATE",
          "media playlist under the HLS URL; {channel} is replaced (default "
          "{channel}/src/index.m3u8; nginx-rtmp: {channel}.m3u8)"}},
        {SC_VIDEO,
         {"ts-offset-ms", BENCH_OPT_DOUBLE, &o->ts_offset_ms, -1e9, 1e9, "MS",
          "MPEG-TS DTS minus RTMP timestamp (default 700, nginx-rtmp's NGX_RTMP_HLS_DELAY)"}},
        {all,
         {"ramp", BENCH_OPT_DOUBLE, &o->ramp, 0, 3600, "SECONDS",
          "spread the starts of streams/channels over this long (default 2)"}},
    };
    int rc = bench_opts_parse_scoped(sc_name(sc), usage[sc], table, sizeof table / sizeof table[0],
                                     sc, argc, argv);
    if (rc)
        return rc;
    if (strcmp(mode, "ll") == 0) {
        o->mode = BENCH_VIEW_LL;
    } else if (strcmp(mode, "plain") == 0) {
        o->mode = BENCH_VIEW_PLAIN;
    } else {
        fprintf(stderr, "onair-bench: --mode is ll or plain, not '%s'\n", mode);
        return -1;
    }
    if (o->ramp >= o->duration)
        o->ramp = o->duration / 2;
    return 0;
}

static int require(enum scenario sc, const char *value, const char *opt)
{
    if (value)
        return 0;
    fprintf(stderr, "onair-bench %s: %s is required (see --help)\n", sc_name(sc), opt);
    return -1;
}

/* ---- setup ---- */

static int load_keys(struct video *v)
{
    v->keys = xcalloc((size_t)v->units, sizeof *v->keys);
    v->chans = xcalloc((size_t)v->units, sizeof *v->chans);
    if (v->o.keys_file) {
        int n = bench_keys_load(v->o.keys_file, v->keys, v->chans, v->units);
        if (n < 0)
            return -1;
        if (n < v->units) {
            fprintf(stderr, "onair-bench: --keys %s has %d keys, --streams wants %d\n",
                    v->o.keys_file, n, v->units);
            return -1;
        }
        return 0;
    }
    if (!v->o.key_prefix) {
        fprintf(stderr, "onair-bench %s: --keys or --key-prefix is required\n", sc_name(v->sc));
        return -1;
    }
    for (int i = 0; i < v->units; i++) {
        char k[256];
        snprintf(k, sizeof k, "%s%d", v->o.key_prefix, i);
        v->keys[i] = xstrdup(k);
        v->chans[i] = xstrdup(k);
    }
    return 0;
}

static int split_channels(struct video *v)
{
    const char *s = v->o.channels;
    int n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    if (n > MAX_STREAMS) {
        fprintf(stderr, "onair-bench: --channels lists more than %d channels\n", MAX_STREAMS);
        return -1;
    }
    v->units = n;
    v->chans = xcalloc((size_t)n, sizeof *v->chans);
    for (int i = 0; i < n; i++) {
        size_t len = strcspn(s, ",");
        if (len == 0) {
            fprintf(stderr, "onair-bench: --channels has an empty name\n");
            return -1;
        }
        v->chans[i] = xstrndup(s, len);
        s += len + (s[len] == ',');
    }
    return 0;
}

/* hls.path + "/" + template with {channel} replaced. */
static void playlist_path(const struct video *v, const char *channel, char *out, size_t size)
{
    struct buf b;
    buf_init(&b, 0);
    const char *base = v->hls.path, *t = v->o.playlist, *at;
    size_t blen = strlen(base);
    while (blen && base[blen - 1] == '/')
        blen--;
    buf_append(&b, base, blen);
    buf_append_str(&b, "/");
    while ((at = strstr(t, "{channel}")) != NULL) {
        buf_append(&b, t, (size_t)(at - t));
        buf_append_str(&b, channel);
        t = at + 9;
    }
    buf_append_str(&b, t);
    snprintf(out, size, "%s", b.data);
    buf_free(&b);
}

/* ---- running ---- */

static void start_unit(struct video *v, int u)
{
    if (v->pubs)
        bench_pub_start(&v->pubs[u]);
    int per = v->nviews / v->units;
    for (int k = 0; k < per; k++)
        bench_view_start(&v->views[u * per + k]);
}

static void on_ramp(uv_timer_t *t)
{
    struct video *v = t->data;
    double elapsed = (double)(bench_now_us() - v->run.started_us) / 1e6;
    int due = v->o.ramp > 0 ? (int)(elapsed / v->o.ramp * v->units) + 1 : v->units;
    if (due > v->units)
        due = v->units;
    while (v->started < due)
        start_unit(v, v->started++);
    if (v->started == v->units)
        uv_timer_stop(t);
}

static void on_stop(void *arg)
{
    struct video *v = arg;
    int64_t now = bench_now_us();
    uv_timer_stop(&v->ramp);
    uv_close((uv_handle_t *)&v->ramp, NULL);
    for (int i = 0; i < v->units && v->pubs; i++)
        bench_pub_stop(&v->pubs[i]);
    for (int i = 0; i < v->nviews; i++)
        if (i / (v->nviews / v->units) < v->started)
            bench_view_stop(&v->views[i], now);
        else
            v->views[i].closed = true;
}

static void on_progress(void *arg, char *line, size_t size)
{
    struct video *v = arg;
    size_t n = 0;
    if (v->pubs) {
        int live = 0, failed = 0;
        uint64_t tx = 0;
        for (int i = 0; i < v->units; i++) {
            live += v->pubs[i].state == BENCH_PUB_LIVE;
            failed +=
                v->pubs[i].state == BENCH_PUB_REFUSED || v->pubs[i].state == BENCH_PUB_DISCONNECTED;
            tx += v->pubs[i].bytes_sent;
        }
        n += (size_t)snprintf(line + n, size - n, "pub live=%d/%d failed=%d tx=%.0fMbit/s ", live,
                              v->units, failed, (double)(tx - v->last_tx) * 8 / 1e6);
        v->last_tx = tx;
    }
    if (v->nviews && n < size) {
        const struct bench_view_totals *t = &v->totals;
        n += (size_t)snprintf(line + n, size - n,
                              "| view parts=+%" PRIu64 " segs=+%" PRIu64
                              " rx=%.0fMbit/s errors=%" PRIu64,
                              t->parts - v->last_parts, t->segments - v->last_segs,
                              (double)(t->media_bytes - v->last_rx) * 8 / 1e6, t->errors);
        v->last_parts = t->parts;
        v->last_segs = t->segments;
        v->last_rx = t->media_bytes;
        if (v->edge.n && n < size)
            snprintf(line + n, size - n, " edge p50=%.0fms p95=%.0fms",
                     bench_samples_percentile(&v->edge, 50),
                     bench_samples_percentile(&v->edge, 95));
    }
}

/* ---- results ---- */

static const char *state_name(enum bench_pub_state s)
{
    static const char *names[] = {"idle", "connecting", "handshake",    "commands",
                                  "live", "refused",    "disconnected", "stopped"};
    return names[s];
}

static json_t *publish_json(struct video *v, double wall_s, struct bench_samples *start_ms)
{
    int live_at_end = 0, refused = 0, disconnected = 0;
    uint64_t bytes = 0, dropped = 0, frames = 0;
    json_t *per = json_array();
    for (int i = 0; i < v->units; i++) {
        const struct bench_pub *p = &v->pubs[i];
        /* A publisher we stopped was live until the end if it got that far. */
        bool was_live = p->publish_start_us >= 0 && p->state == BENCH_PUB_STOPPED;
        live_at_end += was_live;
        refused += p->state == BENCH_PUB_REFUSED;
        disconnected += p->state == BENCH_PUB_DISCONNECTED;
        bytes += p->bytes_sent;
        dropped += p->dropped_frames;
        frames += p->video_frames;
        if (p->publish_start_us >= 0)
            bench_samples_add(start_ms, (double)p->publish_start_us / 1000.0);
        json_t *o = json_pack(
            "{s:s,s:s,s:I,s:I,s:f}", "channel", v->chans[i], "state",
            was_live ? "live" : state_name(p->state), "bytes_sent", (json_int_t)p->bytes_sent,
            "video_frames", (json_int_t)p->video_frames, "publish_start_ms",
            p->publish_start_us >= 0 ? (double)p->publish_start_us / 1000.0 : -1.0);
        if (p->error[0] && !was_live)
            json_object_set_new(o, "error", json_string(p->error));
        if (p->dropped_frames)
            json_object_set_new(o, "dropped_frames", json_integer((json_int_t)p->dropped_frames));
        json_array_append_new(per, o);
    }
    return json_pack("{s:i,s:i,s:i,s:i,s:I,s:f,s:I,s:I,s:o,s:o}", "streams", v->units,
                     "live_until_end", live_at_end, "refused", refused, "disconnected",
                     disconnected, "bytes_sent", (json_int_t)bytes, "mbit_s",
                     round(bytes * 8 / wall_s / 1e5) / 10, "video_frames", (json_int_t)frames,
                     "dropped_frames", (json_int_t)dropped, "publish_start_ms",
                     bench_samples_json(start_ms), "per_stream", per);
}

static json_t *hls_json(struct video *v, double wall_s, struct bench_samples *first_ms,
                        bool *all_advancing)
{
    int per = v->nviews / v->units, advancing_channels = 0;
    int64_t max_gap = 0;
    json_t *chans = json_array();
    for (int u = 0; u < v->units; u++) {
        bool adv = true;
        int64_t gap = 0, first = -1;
        for (int k = 0; k < per; k++) {
            const struct bench_view *w = &v->views[u * per + k];
            adv = adv && bench_view_advancing(w);
            if (w->max_gap_us > gap)
                gap = w->max_gap_us;
            if (w->first_playable_us) {
                /* From Publish.Start when there is a publisher, else from
                 * the viewer's own start. */
                int64_t from = v->pubs ? v->pubs[u].timeline.publish_start_us : w->started_us;
                int64_t d = w->first_playable_us - from;
                if (from > 0 && d >= 0 && (first < 0 || d < first))
                    first = d;
            }
        }
        if (first >= 0)
            bench_samples_add(first_ms, (double)first / 1000.0);
        advancing_channels += adv;
        if (gap > max_gap)
            max_gap = gap;
        json_array_append_new(chans, json_pack("{s:s,s:b,s:f,s:f}", "channel", v->chans[u],
                                               "advancing", adv, "max_gap_ms", (double)gap / 1000.0,
                                               "first_playable_ms",
                                               first >= 0 ? (double)first / 1000.0 : -1.0));
    }
    const struct bench_view_totals *t = &v->totals;
    *all_advancing = advancing_channels == v->units;
    json_t *o = json_pack(
        "{s:s,s:i,s:i,s:I,s:I,s:I,s:I,s:f,s:I,s:I,s:b,s:i,s:f,s:o,s:o,s:o,s:o}", "mode",
        v->o.mode == BENCH_VIEW_LL ? "ll" : "plain", "channels", v->units, "viewers", v->nviews,
        "playlist_requests", (json_int_t)t->playlist_requests, "parts", (json_int_t)t->parts,
        "segments", (json_int_t)t->segments, "media_bytes", (json_int_t)t->media_bytes, "mbit_s",
        round((double)t->media_bytes * 8 / wall_s / 1e5) / 10, "errors", (json_int_t)t->errors,
        "lost", (json_int_t)t->lost, "all_advancing", *all_advancing, "channels_advancing",
        advancing_channels, "max_gap_ms", (double)max_gap / 1000.0, "first_playable_ms",
        bench_samples_json(first_ms), "edge_delay_ms", bench_samples_json(&v->edge),
        "fetch_delay_ms", bench_samples_json(&v->fetch), "per_channel", chans);
    json_object_set_new(o, "pdt_edge_ms", bench_samples_json(&v->pdt_edge));
    if (t->unmapped)
        json_object_set_new(o, "unmapped", json_integer((json_int_t)t->unmapped));
    return o;
}

static void print_text(json_t *s)
{
    json_t *p = json_object_get(s, "publish"), *h = json_object_get(s, "hls");
    json_t *tool = json_object_get(s, "tool");
    if (p)
        printf("publish: %d streams, %d live until the end, %d refused, %d disconnected, "
               "%.1f Mbit/s sent, publish start p50 %.1f ms\n",
               (int)json_integer_value(json_object_get(p, "streams")),
               (int)json_integer_value(json_object_get(p, "live_until_end")),
               (int)json_integer_value(json_object_get(p, "refused")),
               (int)json_integer_value(json_object_get(p, "disconnected")),
               json_real_value(json_object_get(p, "mbit_s")),
               json_number_value(json_object_get(json_object_get(p, "publish_start_ms"), "p50")));
    if (h) {
        json_t *e = json_object_get(h, "edge_delay_ms"),
               *f = json_object_get(h, "first_playable_ms");
        printf("hls: %d viewers, %" JSON_INTEGER_FORMAT " playlists, %" JSON_INTEGER_FORMAT
               " parts, %" JSON_INTEGER_FORMAT " segments, %" JSON_INTEGER_FORMAT
               " errors, every playlist advancing: %s (max gap %.0f ms)\n",
               (int)json_integer_value(json_object_get(h, "viewers")),
               json_integer_value(json_object_get(h, "playlist_requests")),
               json_integer_value(json_object_get(h, "parts")),
               json_integer_value(json_object_get(h, "segments")),
               json_integer_value(json_object_get(h, "errors")),
               json_is_true(json_object_get(h, "all_advancing")) ? "yes" : "no",
               json_real_value(json_object_get(h, "max_gap_ms")));
        if (json_integer_value(json_object_get(e, "n")))
            printf("live-edge delay: p50 %.1f ms, p95 %.1f ms, max %.1f ms\n",
                   json_real_value(json_object_get(e, "p50")),
                   json_real_value(json_object_get(e, "p95")),
                   json_real_value(json_object_get(e, "max")));
        json_t *pe = json_object_get(h, "pdt_edge_ms");
        if (json_integer_value(json_object_get(pe, "n")))
            printf("live edge by PROGRAM-DATE-TIME: p50 %.1f ms, p95 %.1f ms\n",
                   json_real_value(json_object_get(pe, "p50")),
                   json_real_value(json_object_get(pe, "p95")));
        if (json_integer_value(json_object_get(f, "n")))
            printf("first playable playlist: p50 %.0f ms, max %.0f ms\n",
                   json_real_value(json_object_get(f, "p50")),
                   json_real_value(json_object_get(f, "max")));
    }
    printf("tool: %.1f%% of one core\n", json_real_value(json_object_get(tool, "cpu_pct")));
}

static void cleanup(struct video *v)
{
    for (int i = 0; i < v->units; i++) {
        if (v->keys)
            free(v->keys[i]);
        if (v->chans)
            free(v->chans[i]);
    }
    free(v->keys);
    free(v->chans);
    free(v->pubs);
    free(v->views);
    bench_samples_free(&v->edge);
    bench_samples_free(&v->fetch);
    bench_samples_free(&v->pdt_edge);
    bench_clip_free(v->clip);
    uv_loop_close(&v->loop);
}

static int run(enum scenario sc, int argc, char **argv)
{
    struct video v = {.sc = sc};
    int rc = parse(sc, argc, argv, &v.o);
    if (rc)
        return rc > 0 ? 0 : 2;
    const struct vopts *o = &v.o;
    if (sc != SC_HLS_VIEW) {
        if (require(sc, o->rtmp_url, sc == SC_VIDEO ? "--rtmp" : "--url") ||
            require(sc, o->flv, "--flv") ||
            bench_url_parse(sc == SC_VIDEO ? "--rtmp" : "--url", o->rtmp_url, "rtmp", 1935,
                            &v.rtmp))
            return 2;
        if (strlen(v.rtmp.path) < 2) {
            fprintf(stderr,
                    "onair-bench: the RTMP URL needs an application: rtmp://HOST:PORT/live\n");
            return 2;
        }
    }
    if (sc != SC_PUBLISH) {
        if (require(sc, o->hls_url, sc == SC_VIDEO ? "--hls" : "--url") ||
            bench_url_parse(sc == SC_VIDEO ? "--hls" : "--url", o->hls_url, "http", 80, &v.hls))
            return 2;
    }
    bench_samples_init(&v.edge, MAX_SAMPLES);
    bench_samples_init(&v.fetch, MAX_SAMPLES);
    bench_samples_init(&v.pdt_edge, MAX_SAMPLES);
    uv_loop_init(&v.loop);
    int status = 2;
    if (sc == SC_HLS_VIEW) {
        if (require(sc, o->channels, "--channels") || split_channels(&v))
            goto out;
    } else {
        v.units = (int)o->streams;
        if (load_keys(&v))
            goto out;
        status = 1;
        if (!(v.clip = bench_clip_load(o->flv)))
            goto out;
    }
    long per = sc == SC_PUBLISH ? 0 : o->viewers;
    if ((long)v.units * per > MAX_VIEWERS) {
        fprintf(stderr, "onair-bench: at most %d viewers in all\n", MAX_VIEWERS);
        status = 2;
        goto out;
    }
    if (sc != SC_HLS_VIEW) {
        v.pubs = xcalloc((size_t)v.units, sizeof *v.pubs);
        for (int i = 0; i < v.units; i++) {
            struct bench_pub *p = &v.pubs[i];
            p->loop = &v.loop;
            p->url = &v.rtmp;
            p->key = v.keys[i];
            p->clip = v.clip;
        }
    }
    v.nviews = v.units * (int)per;
    v.totals.edge_delay_ms = &v.edge;
    v.totals.fetch_delay_ms = &v.fetch;
    v.totals.pdt_edge_ms = &v.pdt_edge;
    if (v.nviews) {
        v.views = xcalloc((size_t)v.nviews, sizeof *v.views);
        for (int i = 0; i < v.nviews; i++) {
            struct bench_view *w = &v.views[i];
            int u = i / (int)per;
            w->loop = &v.loop;
            w->url = &v.hls;
            playlist_path(&v, v.chans[u], w->path, sizeof w->path);
            w->mode = o->mode;
            w->timeline = v.pubs ? &v.pubs[u].timeline : NULL;
            w->ts_offset_ms = o->ts_offset_ms;
            w->totals = &v.totals;
        }
    }

    v.run = (struct bench_run){.loop = &v.loop,
                               .duration_s = o->duration,
                               .json = o->json,
                               .quiet = o->quiet,
                               .progress = on_progress,
                               .stop = on_stop,
                               .arg = &v};
    uv_timer_init(&v.loop, &v.ramp);
    v.ramp.data = &v;
    uv_timer_start(&v.ramp, on_ramp, 0, 10);
    bench_run(&v.run);

    double wall = (double)(v.run.ended_us - v.run.started_us) / 1e6;
    json_t *s =
        json_pack("{s:s,s:f}", "scenario", sc_name(sc), "duration_s", round(wall * 10) / 10);
    struct bench_samples start_ms, first_ms;
    bench_samples_init(&start_ms, MAX_SAMPLES);
    bench_samples_init(&first_ms, MAX_SAMPLES);
    bool advancing = true;
    if (v.pubs)
        json_object_set_new(s, "publish", publish_json(&v, wall, &start_ms));
    if (v.nviews)
        json_object_set_new(s, "hls", hls_json(&v, wall, &first_ms, &advancing));
    json_object_set_new(s, "tool", bench_rusage_json(wall));
    bench_samples_free(&start_ms);
    bench_samples_free(&first_ms);
    if (o->json)
        bench_json_print(s);
    else {
        print_text(s);
        json_decref(s);
    }
    status = 0;
out:
    cleanup(&v);
    return status;
}

int bench_scenario_publish(int argc, char **argv)
{
    return run(SC_PUBLISH, argc, argv);
}

int bench_scenario_hls_view(int argc, char **argv)
{
    return run(SC_HLS_VIEW, argc, argv);
}

int bench_scenario_video(int argc, char **argv)
{
    return run(SC_VIDEO, argc, argv);
}

#include "hls/playlist.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

void hls_format_time(char out[HLS_TIME_LEN], int64_t ms)
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    /* (the bounds only tell the compiler that every field fits) */
    snprintf(out, HLS_TIME_LEN, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
             (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)(tm.tm_mon + 1) % 100,
             (unsigned)tm.tm_mday % 100, (unsigned)tm.tm_hour % 100, (unsigned)tm.tm_min % 100,
             (unsigned)tm.tm_sec % 100, (unsigned)(ms % 1000) % 1000);
}

/* ---- printf-free pieces: a playlist is rendered for every new part, and
 * most of its lines are numbers ---- */

static void put_str(struct buf *out, const char *str)
{
    buf_append_str(out, str);
}

static void put_uint(struct buf *out, uint64_t v)
{
    char d[20];
    size_t n = 0;
    do {
        d[sizeof d - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    buf_append(out, d + sizeof d - n, n);
}

/* v >= 0 with exactly `decimals` digits after the point, rounded to
 * nearest like printf's %.Nf (durations here are never halfway). */
static void put_fixed(struct buf *out, double v, unsigned decimals)
{
    uint64_t scale = 1;
    for (unsigned i = 0; i < decimals; i++)
        scale *= 10;
    uint64_t q = (uint64_t)llround(v * (double)scale);
    put_uint(out, q / scale);
    char d[20];
    uint64_t frac = q % scale;
    d[0] = '.';
    for (unsigned i = decimals; i > 0; i--) {
        d[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    buf_append(out, d, decimals + 1);
}

/* "<bid>_<msn>" */
static void put_name(struct buf *out, const struct hls_stream *s, uint64_t msn)
{
    put_str(out, s->bid);
    buf_append(out, "_", 1);
    put_uint(out, msn);
}

static void put_part(struct buf *out, const struct hls_stream *s, const struct hls_segment *seg,
                     unsigned p)
{
    put_str(out, "#EXT-X-PART:DURATION=");
    put_fixed(out, seg->parts[p].duration, 5);
    put_str(out, ",URI=\"");
    put_name(out, s, seg->msn);
    buf_append(out, ".", 1);
    put_uint(out, p);
    put_str(out, seg->parts[p].independent ? ".m4s\",INDEPENDENT=YES\n" : ".m4s\"\n");
}

static void put_preload_hint(struct buf *out, const struct hls_stream *s, uint64_t msn,
                             unsigned part)
{
    put_str(out, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"");
    put_name(out, s, msn);
    buf_append(out, ".", 1);
    put_uint(out, part);
    put_str(out, ".m4s\"\n");
}

void hls_playlist_media(struct buf *out, const struct hls_stream *s, const struct hls_rendition *r,
                        bool ended)
{
    struct hls_rendition *rr = (struct hls_rendition *)r;
    double target = s->segment_target > r->max_segment ? s->segment_target : r->max_segment;
    unsigned target_s = (unsigned)ceil(target - 0.0005);
    if (target_s == 0)
        target_s = 1;
    put_str(out, "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:");
    put_uint(out, target_s);
    if (!ended) {
        put_str(out, "\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=");
        put_fixed(out, s->part_target * 3, 3);
        put_str(out, "\n#EXT-X-PART-INF:PART-TARGET=");
        put_fixed(out, s->part_target, 3);
    }
    unsigned disc_seq;
    unsigned from = hls_rendition_first_listed(rr, s->window, &disc_seq);
    struct hls_segment *first = hls_rendition_at(rr, from);
    put_str(out, "\n#EXT-X-MEDIA-SEQUENCE:");
    put_uint(out, first ? first->msn : r->next_msn);
    buf_append(out, "\n", 1);
    if (disc_seq) {
        put_str(out, "#EXT-X-DISCONTINUITY-SEQUENCE:");
        put_uint(out, disc_seq);
        buf_append(out, "\n", 1);
    }

    /* Part tags only near the live edge: the last 3 target durations. */
    double tail = 0;
    unsigned parts_from = r->count;
    for (unsigned i = r->count; i-- > from;) {
        struct hls_segment *seg = hls_rendition_at(rr, i);
        tail += seg->duration;
        parts_from = i;
        if (tail >= 3 * target)
            break;
    }

    unsigned map_version = (unsigned)-1;
    for (unsigned i = from; i < r->count; i++) {
        struct hls_segment *seg = hls_rendition_at(rr, i);
        /* A segment just opened has nothing to list yet; its tags come with
         * its first part (the preload hint below already names that part). */
        if (!seg->complete && seg->nparts == 0)
            continue;
        if (seg->discontinuity)
            put_str(out, "#EXT-X-DISCONTINUITY\n");
        if (seg->init_version != map_version) {
            put_str(out, "#EXT-X-MAP:URI=\"");
            put_str(out, s->bid);
            put_str(out, "_init");
            put_uint(out, seg->init_version);
            put_str(out, ".mp4\"\n");
            map_version = seg->init_version;
        }
        put_str(out, "#EXT-X-PROGRAM-DATE-TIME:");
        put_str(out, seg->pdt);
        buf_append(out, "\n", 1);
        if (i >= parts_from && !ended)
            for (unsigned p = 0; p < seg->nparts; p++)
                put_part(out, s, seg, p);
        if (seg->complete) {
            put_str(out, "#EXTINF:");
            put_fixed(out, seg->duration, 5);
            put_str(out, ",\n");
            put_name(out, s, seg->msn);
            put_str(out, ".m4s\n");
        }
    }
    if (ended) {
        put_str(out, "#EXT-X-ENDLIST\n");
        return;
    }
    /* Where the other renditions are, so a player can switch without a
     * blocking round trip (LL-HLS rendition reports). */
    for (unsigned i = 0; i < s->nrend; i++) {
        struct hls_rendition *o = (struct hls_rendition *)&s->rend[i];
        if (o == rr || !o->init || !o->count)
            continue;
        struct hls_segment *last = hls_rendition_at(o, o->count - 1);
        if (last->nparts == 0 && o->count > 1)
            last = hls_rendition_at(o, o->count - 2);
        if (last->nparts == 0)
            continue;
        put_str(out, "#EXT-X-RENDITION-REPORT:URI=\"../");
        put_str(out, o->name);
        put_str(out, "/index.m3u8\",LAST-MSN=");
        put_uint(out, last->msn);
        put_str(out, ",LAST-PART=");
        put_uint(out, last->nparts - 1);
        buf_append(out, "\n", 1);
    }
    /* The next part, named before it exists (a request for it is parked). */
    struct hls_segment *cur = hls_rendition_current(rr);
    if (cur)
        put_preload_hint(out, s, cur->msn, cur->nparts);
    else
        put_preload_hint(out, s, r->next_msn, 0);
}

unsigned hls_playlist_master(struct buf *out, const struct hls_stream *s)
{
    unsigned listed = 0;
    buf_append_str(out, "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (unsigned i = 0; i < s->nrend; i++) {
        const struct hls_rendition *r = &s->rend[i];
        if (!r->init)
            continue;
        uint64_t bw = r->bandwidth ? r->bandwidth : 2500000;
        buf_printf(out, "#EXT-X-STREAM-INF:BANDWIDTH=%llu", (unsigned long long)bw);
        if (r->width && r->height)
            buf_printf(out, ",RESOLUTION=%ux%u", r->width, r->height);
        buf_printf(out, ",CODECS=\"%s\"\n%s/index.m3u8\n", r->codecs, r->name);
        listed++;
    }
    return listed;
}

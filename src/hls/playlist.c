#include "hls/playlist.h"

#include <math.h>
#include <stdio.h>
#include <time.h>

void hls_format_time(char out[64], int64_t ms)
{
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

void hls_playlist_media(struct buf *out, const struct hls_stream *s, const struct hls_rendition *r,
                        bool ended)
{
    struct hls_rendition *rr = (struct hls_rendition *)r;
    double target = s->segment_target > r->max_segment ? s->segment_target : r->max_segment;
    unsigned target_s = (unsigned)ceil(target - 0.0005);
    if (target_s == 0)
        target_s = 1;
    buf_printf(out,
               "#EXTM3U\n"
               "#EXT-X-VERSION:9\n"
               "#EXT-X-TARGETDURATION:%u\n",
               target_s);
    if (!ended)
        buf_printf(out,
                   "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=%.3f\n"
                   "#EXT-X-PART-INF:PART-TARGET=%.3f\n",
                   s->part_target * 3, s->part_target);
    unsigned disc_seq;
    unsigned from = hls_rendition_first_listed(rr, s->window, &disc_seq);
    struct hls_segment *first = hls_rendition_at(rr, from);
    buf_printf(out, "#EXT-X-MEDIA-SEQUENCE:%llu\n",
               (unsigned long long)(first ? first->msn : r->next_msn));
    if (disc_seq)
        buf_printf(out, "#EXT-X-DISCONTINUITY-SEQUENCE:%u\n", disc_seq);

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
            buf_append_str(out, "#EXT-X-DISCONTINUITY\n");
        if (seg->init_version != map_version) {
            buf_printf(out, "#EXT-X-MAP:URI=\"%s_init%u.mp4\"\n", s->bid, seg->init_version);
            map_version = seg->init_version;
        }
        char when[64];
        hls_format_time(when, seg->pdt_ms);
        buf_printf(out, "#EXT-X-PROGRAM-DATE-TIME:%s\n", when);
        if (i >= parts_from && !ended)
            for (unsigned p = 0; p < seg->nparts; p++)
                buf_printf(out, "#EXT-X-PART:DURATION=%.5f,URI=\"%s_%llu.%u.m4s\"%s\n",
                           seg->parts[p].duration, s->bid, (unsigned long long)seg->msn, p,
                           seg->parts[p].independent ? ",INDEPENDENT=YES" : "");
        if (seg->complete)
            buf_printf(out, "#EXTINF:%.5f,\n%s_%llu.m4s\n", seg->duration, s->bid,
                       (unsigned long long)seg->msn);
    }
    if (ended) {
        buf_append_str(out, "#EXT-X-ENDLIST\n");
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
        buf_printf(out,
                   "#EXT-X-RENDITION-REPORT:URI=\"../%s/index.m3u8\",LAST-MSN=%llu,LAST-PART=%u\n",
                   o->name, (unsigned long long)last->msn, last->nparts - 1);
    }
    /* The next part, named before it exists (a request for it is parked). */
    struct hls_segment *cur = hls_rendition_current(rr);
    if (cur)
        buf_printf(out, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s_%llu.%u.m4s\"\n", s->bid,
                   (unsigned long long)cur->msn, cur->nparts);
    else
        buf_printf(out, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s_%llu.0.m4s\"\n", s->bid,
                   (unsigned long long)r->next_msn);
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

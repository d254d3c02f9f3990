/*
 * m3u8.c - a forgiving reader of HLS media playlists (see m3u8.h).
 */
#include "m3u8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Finds attribute name in an attribute list (NAME=value,NAME="value",...),
 * NUL-terminates its value in place and returns it (quotes dropped), or
 * NULL. Only for lists that are not looked at again afterwards.
 */
static char *attr(char *list, const char *name)
{
    size_t nlen = strlen(name);
    char *p = list;
    while (*p) {
        char *eq = strchr(p, '=');
        if (!eq)
            return NULL;
        bool match = (size_t)(eq - p) == nlen && strncmp(p, name, nlen) == 0;
        char *v = eq + 1, *vend;
        if (*v == '"') {
            v++;
            vend = strchr(v, '"');
            if (!vend)
                return NULL;
        } else {
            vend = v + strcspn(v, ",");
        }
        char *next = vend + (*vend == '"');
        next += *next == ',';
        if (match) {
            *vend = '\0';
            return v;
        }
        p = next;
    }
    return NULL;
}

int bench_m3u8_parse_date(const char *text, double *out_ms)
{
    int y, mo, d, h, mi, used = 0;
    double sec;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61)
        return -1;
    const char *z = text + used;
    long offset_min = 0;
    if (*z == '+' || *z == '-') {
        int oh, om, zn = 0;
        if (sscanf(z + 1, "%2d:%2d%n", &oh, &om, &zn) != 2 || z[1 + zn] != '\0')
            return -1;
        offset_min = (*z == '-' ? -1 : 1) * (oh * 60L + om);
    } else if (strcmp(z, "Z") != 0) {
        return -1;
    }
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    time_t t = timegm(&tm);
    *out_ms = ((double)t - (double)offset_min * 60 + sec) * 1000.0;
    return 0;
}

static int add_seg(struct bench_m3u8 *pl, struct bench_m3u8_seg **out)
{
    if (pl->nsegs >= BENCH_M3U8_MAX_ITEMS)
        return ONAIR_EPROTO;
    if (pl->nsegs == pl->segs_cap) {
        pl->segs_cap = pl->segs_cap ? pl->segs_cap * 2 : 16;
        pl->segs = xrealloc(pl->segs, pl->segs_cap * sizeof *pl->segs);
    }
    *out = &pl->segs[pl->nsegs++];
    memset(*out, 0, sizeof **out);
    return 0;
}

int bench_m3u8_parse(struct bench_m3u8 *pl, char *text)
{
    struct bench_m3u8_seg *segs = pl->segs;
    struct bench_m3u8_part *parts = pl->parts;
    unsigned segs_cap = pl->segs_cap, parts_cap = pl->parts_cap;
    memset(pl, 0, sizeof *pl);
    pl->segs = segs;
    pl->parts = parts;
    pl->segs_cap = segs_cap;
    pl->parts_cap = parts_cap;

    if (!starts(text, "#EXTM3U"))
        return ONAIR_EPROTO;
    uint64_t skipped = 0;
    unsigned pending_first = 0; /* parts not yet claimed by a segment */
    double extinf = 0;
    double pdt_ms = 0, since_pdt_s = 0; /* the last PDT and what was listed after it */
    char *line = text;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';

        if (starts(line, "#EXT-X-TARGETDURATION:")) {
            pl->target_duration = strtod(line + 22, NULL);
        } else if (starts(line, "#EXT-X-MEDIA-SEQUENCE:")) {
            pl->media_sequence = strtoull(line + 22, NULL, 10);
        } else if (starts(line, "#EXT-X-PART-INF:")) {
            char *v = attr(line + 16, "PART-TARGET");
            pl->part_target = v ? strtod(v, NULL) : 0;
        } else if (starts(line, "#EXT-X-SERVER-CONTROL:")) {
            char *v = attr(line + 22, "CAN-BLOCK-RELOAD");
            pl->can_block_reload = v && strcmp(v, "YES") == 0;
        } else if (starts(line, "#EXT-X-MAP:")) {
            pl->map_uri = attr(line + 11, "URI");
        } else if (starts(line, "#EXT-X-SKIP:")) {
            char *v = attr(line + 12, "SKIPPED-SEGMENTS");
            skipped += v ? strtoull(v, NULL, 10) : 0;
        } else if (starts(line, "#EXT-X-PART:")) {
            /* attr() cuts the string at the value it returns, so find
             * where URI starts before reading DURATION. */
            char *list = line + 12;
            char *ind = strstr(list, "INDEPENDENT=YES");
            char *uri_at = strstr(list, "URI=\"");
            char *dur = attr(list, "DURATION");
            char *uri = uri_at ? attr(uri_at, "URI") : NULL;
            if (!uri)
                return ONAIR_EPROTO;
            if (pl->nparts >= BENCH_M3U8_MAX_ITEMS)
                return ONAIR_EPROTO;
            if (pl->nparts == pl->parts_cap) {
                pl->parts_cap = pl->parts_cap ? pl->parts_cap * 2 : 64;
                pl->parts = xrealloc(pl->parts, pl->parts_cap * sizeof *pl->parts);
            }
            pl->parts[pl->nparts++] = (struct bench_m3u8_part){
                .uri = uri, .duration = dur ? strtod(dur, NULL) : 0, .independent = ind != NULL};
        } else if (starts(line, "#EXTINF:")) {
            extinf = strtod(line + 8, NULL);
        } else if (starts(line, "#EXT-X-PROGRAM-DATE-TIME:")) {
            if (bench_m3u8_parse_date(line + 25, &pdt_ms) != 0)
                pdt_ms = 0;
            since_pdt_s = 0;
        } else if (starts(line, "#EXT-X-ENDLIST")) {
            pl->ended = true;
        } else if (line[0] != '#' && line[0] != '\0') {
            struct bench_m3u8_seg *s;
            if (add_seg(pl, &s))
                return ONAIR_EPROTO;
            s->msn = pl->media_sequence + skipped + pl->nsegs - 1;
            s->uri = line;
            s->duration = extinf;
            s->complete = true;
            s->first_part = pending_first;
            s->nparts = pl->nparts - pending_first;
            pending_first = pl->nparts;
            since_pdt_s += extinf;
            extinf = 0;
        }
        line = nl ? nl + 1 : NULL;
    }
    if (pending_first < pl->nparts) {
        struct bench_m3u8_seg *s;
        if (add_seg(pl, &s))
            return ONAIR_EPROTO;
        s->msn = pl->media_sequence + skipped + pl->nsegs - 1;
        s->first_part = pending_first;
        s->nparts = pl->nparts - pending_first;
        for (unsigned i = 0; i < s->nparts; i++)
            s->duration += pl->parts[s->first_part + i].duration;
        since_pdt_s += s->duration;
    }
    if (pdt_ms > 0)
        pl->edge_pdt_ms = pdt_ms + since_pdt_s * 1000.0;
    return 0;
}

void bench_m3u8_free(struct bench_m3u8 *pl)
{
    free(pl->segs);
    free(pl->parts);
    memset(pl, 0, sizeof *pl);
}

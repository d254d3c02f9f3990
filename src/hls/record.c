#include "hls/record.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/log.h"
#include "hls/playlist.h"
#include "hls/stream.h"
#include "http/json.h"
#include "http/router.h"
#include "http/server.h"
#include "http/static.h"

#define QUEUE_MAX 256

struct job {
    struct job *next;
    bool end; /* finish the broadcast instead of writing a segment */
    char channel[32];
    char bid[HLS_BID_LEN + 1];
    uint64_t msn;
    double duration;
    bool discontinuity;
    unsigned init_version;
    int64_t pdt_ms;
    struct bytes *init;
    struct bytes *parts[HLS_MAX_PARTS];
    unsigned nparts;
};

struct entry {
    uint64_t msn;
    double duration;
    bool discontinuity;
    unsigned init_version;
    int64_t pdt_ms;
};

/* What the recorder thread knows of one broadcast being recorded. */
struct broadcast {
    struct broadcast *next;
    char channel[32];
    char bid[HLS_BID_LEN + 1];
    struct entry *entries;
    size_t n, cap;
    unsigned last_init; /* 0: none written yet */
    double max_duration;
};

static struct {
    bool on;
    char dir[1024];
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t more;
    struct job *head, *tail;
    unsigned queued;
    bool stopping;
    struct broadcast *casts; /* recorder thread only */
    struct http_static *files;
} rec = {.lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER};

static void job_free(struct job *j)
{
    bytes_unref(j->init);
    for (unsigned i = 0; i < j->nparts; i++)
        bytes_unref(j->parts[i]);
    free(j);
}

static int mkdirs(const char *path)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int write_file(const char *path, struct bytes *const *bufs, unsigned n, bool append)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
    if (fd < 0)
        return -1;
    int rc = 0;
    for (unsigned i = 0; i < n && rc == 0; i++) {
        size_t off = 0;
        while (off < bufs[i]->len) {
            ssize_t w = write(fd, bufs[i]->data + off, bufs[i]->len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = -1;
                break;
            }
            off += (size_t)w;
        }
    }
    if (close(fd) != 0)
        rc = -1;
    return rc;
}

static int write_text(const char *path, const char *text, size_t len, bool append)
{
    struct bytes b = {.len = len, .data = (uint8_t *)text};
    struct bytes *bp = &b;
    return write_file(path, &bp, 1, append);
}

static struct broadcast *find_cast(const char *channel, const char *bid, bool create)
{
    for (struct broadcast *b = rec.casts; b; b = b->next)
        if (strcmp(b->channel, channel) == 0 && strcmp(b->bid, bid) == 0)
            return b;
    if (!create)
        return NULL;
    struct broadcast *b = xcalloc(1, sizeof *b);
    snprintf(b->channel, sizeof b->channel, "%s", channel);
    snprintf(b->bid, sizeof b->bid, "%s", bid);
    b->next = rec.casts;
    rec.casts = b;
    return b;
}

static void entry_lines(struct buf *out, const struct entry *e, unsigned *map_version)
{
    if (e->discontinuity)
        buf_append_str(out, "#EXT-X-DISCONTINUITY\n");
    if (e->init_version != *map_version) {
        buf_printf(out, "#EXT-X-MAP:URI=\"init%u.mp4\"\n", e->init_version);
        *map_version = e->init_version;
    }
    char when[HLS_TIME_LEN];
    hls_format_time(when, e->pdt_ms);
    buf_printf(out, "#EXT-X-PROGRAM-DATE-TIME:%s\n#EXTINF:%.5f,\n%llu.m4s\n", when, e->duration,
               (unsigned long long)e->msn);
}

static void do_segment(struct job *j)
{
    char dir[1200], path[1300];
    snprintf(dir, sizeof dir, "%s/%s/%s", rec.dir, j->channel, j->bid);
    struct broadcast *b = find_cast(j->channel, j->bid, true);
    bool first = b->n == 0;
    if (first && mkdirs(dir) != 0) {
        log_err("record", "cannot create recording directory", "dir=%s err=\"%s\"", dir,
                strerror(errno));
        return;
    }
    if (j->init && b->last_init != j->init_version) {
        snprintf(path, sizeof path, "%s/init%u.mp4", dir, j->init_version);
        if (write_file(path, &j->init, 1, false) != 0)
            goto fail;
    }
    snprintf(path, sizeof path, "%s/%llu.m4s", dir, (unsigned long long)j->msn);
    if (write_file(path, j->parts, j->nparts, false) != 0)
        goto fail;

    struct entry e = {j->msn, j->duration, j->discontinuity && !first, j->init_version, j->pdt_ms};
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->entries = xrealloc(b->entries, b->cap * sizeof *b->entries);
    }
    b->entries[b->n++] = e;
    if (e.duration > b->max_duration)
        b->max_duration = e.duration;

    /* While live: an EVENT playlist, appended to. Its TARGETDURATION is an
     * upper bound (no segment can be longer: the part cap forces a cut); the
     * VOD rewrite at the end states the real one. */
    struct buf out;
    buf_init(&out, 0);
    if (first)
        buf_printf(&out,
                   "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:EVENT\n"
                   "#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:%llu\n",
                   (int)ceil(HLS_MAX_PARTS * 0.334) + 1, (unsigned long long)j->msn);
    unsigned map = first ? (unsigned)-1 : b->last_init;
    entry_lines(&out, &e, &map);
    b->last_init = j->init_version;
    snprintf(path, sizeof path, "%s/index.m3u8", dir);
    int rc = write_text(path, out.data, out.len, !first);
    buf_free(&out);
    if (rc != 0)
        goto fail;
    return;
fail:
    log_err("record", "cannot write recording", "path=%s err=\"%s\"", path, strerror(errno));
}

static void do_end(struct job *j)
{
    struct broadcast *b = find_cast(j->channel, j->bid, false);
    if (!b)
        return;
    struct buf out;
    buf_init(&out, 0);
    buf_printf(&out,
               "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:%d\n"
               "#EXT-X-MEDIA-SEQUENCE:%llu\n",
               (int)ceil(b->max_duration - 0.0005) > 0 ? (int)ceil(b->max_duration - 0.0005) : 1,
               (unsigned long long)(b->n ? b->entries[0].msn : 0));
    unsigned map = (unsigned)-1;
    for (size_t i = 0; i < b->n; i++)
        entry_lines(&out, &b->entries[i], &map);
    buf_append_str(&out, "#EXT-X-ENDLIST\n");
    char path[1300], tmp[1310];
    snprintf(path, sizeof path, "%s/%s/%s/index.m3u8", rec.dir, b->channel, b->bid);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (b->n && (write_text(tmp, out.data, out.len, false) != 0 || rename(tmp, path) != 0))
        log_err("record", "cannot finish recording", "path=%s err=\"%s\"", path, strerror(errno));
    else if (b->n)
        log_info("record", "recording finished", "channel=%s bid=%s segments=%zu", b->channel,
                 b->bid, b->n);
    buf_free(&out);
    struct broadcast **pp = &rec.casts;
    while (*pp != b)
        pp = &(*pp)->next;
    *pp = b->next;
    free(b->entries);
    free(b);
}

static void *writer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&rec.lock);
        while (!rec.head && !rec.stopping)
            pthread_cond_wait(&rec.more, &rec.lock);
        struct job *j = rec.head;
        if (!j) {
            pthread_mutex_unlock(&rec.lock);
            /* Shutting down: what is still being recorded ends here, as VOD. */
            while (rec.casts) {
                struct job end = {.end = true};
                snprintf(end.channel, sizeof end.channel, "%s", rec.casts->channel);
                memcpy(end.bid, rec.casts->bid, sizeof end.bid);
                do_end(&end);
            }
            break;
        }
        rec.head = j->next;
        if (!rec.head)
            rec.tail = NULL;
        rec.queued--;
        pthread_mutex_unlock(&rec.lock);
        if (j->end)
            do_end(j);
        else
            do_segment(j);
        job_free(j);
    }
    return NULL;
}

static void enqueue(struct job *j)
{
    pthread_mutex_lock(&rec.lock);
    if (rec.stopping || (!j->end && rec.queued >= QUEUE_MAX)) {
        pthread_mutex_unlock(&rec.lock);
        log_warn("record", "recorder behind; segment not recorded", "channel=%s msn=%llu",
                 j->channel, (unsigned long long)j->msn);
        job_free(j);
        return;
    }
    j->next = NULL;
    if (rec.tail)
        rec.tail->next = j;
    else
        rec.head = j;
    rec.tail = j;
    rec.queued++;
    pthread_cond_signal(&rec.more);
    pthread_mutex_unlock(&rec.lock);
}

int hls_record_start(const char *dir)
{
    snprintf(rec.dir, sizeof rec.dir, "%s", dir);
    if (mkdirs(rec.dir) != 0) {
        log_err("record", "cannot create recordings directory", "dir=%s err=\"%s\"", dir,
                strerror(errno));
        return -1;
    }
    rec.files = http_static_new(rec.dir);
    if (pthread_create(&rec.thread, NULL, writer, NULL) != 0)
        return -1;
    rec.on = true;
    return 0;
}

bool hls_record_enabled(void)
{
    return rec.on;
}

void hls_record_stop(void)
{
    if (!rec.on)
        return;
    pthread_mutex_lock(&rec.lock);
    rec.stopping = true;
    pthread_cond_broadcast(&rec.more);
    pthread_mutex_unlock(&rec.lock);
    pthread_join(rec.thread, NULL);
    rec.on = false;
    while (rec.casts) {
        struct broadcast *b = rec.casts;
        rec.casts = b->next;
        free(b->entries);
        free(b);
    }
    http_static_free(rec.files);
    rec.files = NULL;
}

void hls_record_segment(const struct hls_stream *s, const struct hls_segment *seg)
{
    if (!rec.on || !seg->complete || seg->nparts == 0)
        return;
    struct job *j = xcalloc(1, sizeof *j);
    snprintf(j->channel, sizeof j->channel, "%s", s->channel);
    memcpy(j->bid, s->bid, sizeof j->bid);
    j->msn = seg->msn;
    j->duration = seg->duration;
    j->discontinuity = seg->discontinuity;
    j->init_version = seg->init_version;
    j->pdt_ms = seg->pdt_ms;
    j->init = seg->init ? bytes_ref(seg->init) : NULL;
    for (unsigned i = 0; i < seg->nparts; i++)
        j->parts[j->nparts++] = bytes_ref(seg->parts[i].bytes);
    enqueue(j);
}

void hls_record_end(const struct hls_stream *s)
{
    if (!rec.on)
        return;
    struct job *j = xcalloc(1, sizeof *j);
    j->end = true;
    snprintf(j->channel, sizeof j->channel, "%s", s->channel);
    memcpy(j->bid, s->bid, sizeof j->bid);
    enqueue(j);
}

/* Names are checked strictly before touching the disk. */
static bool name_ok(const char *s, bool allow_dot_and_dash)
{
    if (!s || !*s || strlen(s) > 40)
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_' ||
              (allow_dot_and_dash && (*s == '-' || *s == '.'))))
            return false;
    return true;
}

static void vod_file(struct http_request *req, void *arg)
{
    (void)arg;
    const char *ch = http_request_param(req, "channel");
    const char *bid = http_request_param(req, "bid");
    const char *file = http_request_param(req, "file");
    if (!rec.on || !name_ok(ch, false) || !name_ok(bid, true) || !name_ok(file, true) ||
        file[0] == '.' || bid[0] == '.') {
        http_respond_error(req, 404, "not_found", "no such recording");
        return;
    }
    char rel[160];
    snprintf(rel, sizeof rel, "/%s/%s/%s", ch, bid, file);
    http_static_serve(rec.files, req, rel);
}

void hls_record_register(struct http_router *r)
{
    http_router_add(r, HTTP_GET, "/vod/{channel}/{bid}/{file}", vod_file, NULL);
}

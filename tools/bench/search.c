/*
 * search.c - `onair-bench search`: latency and throughput of GET
 * /api/search on a server running on a seeded data directory (see
 * search.h, search_seed.c).
 *
 * A run has a mix of queries, each with a class (what kind of query it is,
 * and whether it asks one room or all), the text, an optional room and,
 * when known, how many messages it must find. --concurrency clients, each
 * one keep-alive connection with one request at a time, take the mix's
 * queries in turn (round robin from a shared counter, so every query gets
 * the same share), for --duration seconds. Latency is from the request's
 * first byte written to the last byte of the answer, per class and overall,
 * exact percentiles.
 *
 * Before the timed run a check pass asks every query of the mix once, on
 * one connection, and follows next_before_id to the end for each query
 * whose count is known, so a marker seeded 100 times must be found 100
 * times (this also warms the caches; its latencies are reported apart).
 * Every answer, in both passes, is checked for plausibility: status 200,
 * at most `limit` results, ids strictly decreasing, every text containing
 * the query (ASCII case-insensitively), every result in the asked room, a
 * <mark> in every highlight, and for a known count c: exactly c results on
 * the first page and no cursor when c < limit, a full page and a cursor
 * otherwise.
 *
 * The default mix is built from the seed's manifest (its busiest and
 * quietest rooms, its markers); --queries FILE gives another one, one
 * query per line: CLASS<TAB>ROOM<TAB>COUNT<TAB>QUERY, where ROOM is "*"
 * for all rooms and COUNT is "-" when unknown.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "chat_setup.h"
#include "core/alloc.h"
#include "core/err.h"
#include "http_client.h"
#include "scenarios.h"
#include "search.h"
#include "store/store.h"

#define SEARCH_LIMIT 20
#define SEARCH_MAX_CONCURRENCY 256
#define SEARCH_MAX_QUERIES 1000
#define SEARCH_MAX_CLASSES 64
#define SEARCH_TIMEOUT_MS 60000
#define SEARCH_MAX_SAMPLES (4u * 1024 * 1024)
#define SEARCH_CHECK_PAGES 10000     /* pages followed per query in the check pass, at most */
#define SEARCH_MAX_FAILED_IN_ROW 100 /* transport failures in a row that end the run */

struct query {
    unsigned cls;
    char *text;
    char *room;    /* NULL: every room */
    long expect;   /* messages it must find, or -1 */
    char *target;  /* path and query string of its first page */
    uint64_t uses; /* requests sent in the timed run */
    uint64_t hits; /* results on the pages it got in the timed run */
    struct bench_samples ms;
    long found; /* what the check pass found (all pages when expect > a page), -1 */
};

struct qclass {
    char *name;
    unsigned queries;
    uint64_t requests, errors, implausible, hits;
    struct bench_samples ms;
};

struct client {
    struct search *s;
    struct bench_http *http;
    struct query *q;
    int64_t sent_us;
    bool busy;
};

struct search {
    struct bench_search_opts o;
    struct bench_url url;
    char host[80];
    uv_loop_t loop;
    struct bench_run run;
    struct query *q;
    unsigned nq;
    struct qclass cls[SEARCH_MAX_CLASSES];
    unsigned ncls;
    struct client *clients;
    uint64_t next; /* the next query, round robin */
    struct bench_samples all_ms;
    uint64_t requests, in_window, errors, implausible;
    uint64_t status[600]; /* answers by HTTP status */
    uint64_t last_requests;
    unsigned failed_in_row; /* transport failures since the last answer */
    unsigned check_failed;  /* check-pass requests that got no answer */
    char first_problem[512];
    /* The check pass. */
    struct bench_http *check_http;
    unsigned check_i;
    long check_found;
    unsigned check_pages;
    int64_t check_before; /* the cursor of the page asked for, 0 for the first */
    bool check_done;
    uint64_t check_problems;
    struct bench_samples check_ms;
    int64_t check_sent_us;
};

/* ---- the mix ---- */

static unsigned class_of(struct search *s, const char *name)
{
    for (unsigned i = 0; i < s->ncls; i++)
        if (strcmp(s->cls[i].name, name) == 0)
            return i;
    struct qclass *c = &s->cls[s->ncls];
    c->name = xstrdup(name);
    bench_samples_init(&c->ms, SEARCH_MAX_SAMPLES);
    return s->ncls++;
}

static void url_encode(struct buf *b, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(b, e, 3);
        }
    }
}

/* The request for a page of q: before_id <= 0 for the first one. */
static char *page_target(const struct search *s, const struct query *q, int64_t before_id)
{
    struct buf b;
    buf_init(&b, 0);
    buf_printf(&b, "%s/api/search?q=", strcmp(s->url.path, "/") == 0 ? "" : s->url.path);
    url_encode(&b, q->text);
    if (q->room) {
        buf_append_str(&b, "&room=");
        url_encode(&b, q->room);
    }
    buf_printf(&b, "&limit=%d", SEARCH_LIMIT);
    if (before_id > 0)
        buf_printf(&b, "&before_id=%" PRId64, before_id);
    return buf_take(&b, NULL);
}

static int add_query(struct search *s, const char *cls, const char *text, const char *room,
                     long expect)
{
    if (s->nq == SEARCH_MAX_QUERIES) {
        fprintf(stderr, "onair-bench search: at most %d queries\n", SEARCH_MAX_QUERIES);
        return -1;
    }
    size_t len = strlen(text);
    if (len == 0 || len > STORE_SEARCH_QUERY_MAX) {
        fprintf(stderr, "onair-bench search: a query is 1..%d bytes: '%s'\n",
                STORE_SEARCH_QUERY_MAX, text);
        return -1;
    }
    bool known = false;
    for (unsigned i = 0; i < s->ncls && !known; i++)
        known = strcmp(s->cls[i].name, cls) == 0;
    if (!known && s->ncls == SEARCH_MAX_CLASSES) {
        fprintf(stderr, "onair-bench search: at most %d classes\n", SEARCH_MAX_CLASSES);
        return -1;
    }
    struct query *q = &s->q[s->nq++];
    q->cls = class_of(s, cls);
    s->cls[q->cls].queries++;
    q->text = xstrdup(text);
    q->room = room ? xstrdup(room) : NULL;
    q->expect = expect;
    q->found = -1;
    bench_samples_init(&q->ms, SEARCH_MAX_SAMPLES);
    q->target = page_target(s, q, 0);
    return 0;
}

/* What the seed guarantees about text in room (NULL: all rooms): the
 * count, when the query holds a reserved character (then only markers
 * contain it) and every marker that contains it is in known rooms; else
 * -1. */
static long seeded_count(json_t *manifest, const char *text, const char *room)
{
    if (!strstr(text, BENCH_SEED_RESERVED_SYLLABLE) && !strchr(text, BENCH_SEED_RESERVED_LETTER) &&
        !strchr(text, BENCH_SEED_RESERVED_LETTER - 'a' + 'A'))
        return -1;
    long n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(manifest, "markers"), i, m)
    {
        const char *mt = json_string_value(json_object_get(m, "text"));
        const char *mr = json_string_value(json_object_get(m, "room"));
        if (!mt || !strcasestr(mt, text))
            continue;
        if (room && !mr)
            return -1; /* somewhere, in rooms we don't know */
        if (!room || strcmp(room, mr) == 0)
            n += (long)json_integer_value(json_object_get(m, "count"));
    }
    return n;
}

enum where { ALL, BIG, SMALL };

struct mix_entry {
    const char *cls, *text;
    enum where where;
    bool absent; /* found nowhere (for queries seeded_count can't tell) */
};

static const struct mix_entry default_mix[] = {
    /* 3+ characters, common: the first page fills from the newest rows. */
    {"common all", "하세요", ALL, false},
    {"common all", "감사합니다", ALL, false},
    {"common all", "ㅋㅋㅋ", ALL, false},
    {"common all", "재밌어요", ALL, false},
    {"common all", "안녕하세요", ALL, false},
    {"common room", "하세요", BIG, false},
    {"common room", "재밌어요", BIG, false},
    {"common room", "ㅋㅋㅋ", SMALL, false},
    {"common room", "감사합니다", SMALL, false},
    /* 2 Korean characters: no trigram of their own (window, then the
     * trigrams that start with them). */
    {"ko2 all", "대박", ALL, false},
    {"ko2 all", "진짜", ALL, false},
    {"ko2 all", "방송", ALL, false},
    {"ko2 all", "뾰로", ALL, false},
    {"ko2 all", "뾰잉", ALL, false},
    {"ko2 room", "오늘", BIG, false},
    {"ko2 room", "대박", SMALL, false},
    {"ko2 room", "뾰족", BIG, false},
    {"ko2 room", "뾰족", SMALL, false},
    /* Rare words of 3+ characters (markers): the whole index is asked. */
    {"rare all", "뾰로롱", ALL, false},
    {"rare all", "뾰롱이", ALL, false},
    {"rare all", "뾰족산", ALL, false},
    {"rare room", "뾰족산", BIG, false},
    {"rare room", "뾰족섬", SMALL, false},
    {"rare room", "뾰족섬", BIG, false},
    /* English, ASCII case-insensitive. */
    {"english all", "HELLO", ALL, false},
    {"english all", "Nice", ALL, false},
    {"english all", "gg", ALL, false},
    {"english all", "XyloQuartz", ALL, false},
    {"english room", "pog", BIG, false},
    {"english room", "lol", SMALL, false},
    {"english room", "xyloquartz", SMALL, false},
    /* Nothing to find. */
    {"absent all", "없는말이야", ALL, true},
    {"absent all", "qqzzxx", ALL, false},
    {"absent room", "없는말이야", SMALL, true},
    /* Several common words in a row: every trigram is common, the
     * sequence less so. */
    {"phrase all", "안녕하세요 여러분", ALL, false},
    {"phrase all", "대박 ㅋㅋㅋ", ALL, false},
    {"phrase all", "감사합니다 여러분 화이팅", ALL, false},
};

/* Queries that make SQLite walk the whole posting list of a very common
 * trigram and find little or nothing: each trigram common, the sequence
 * absent or rare. Kept out of the default mix (a few of them take most of
 * a run's time) and measured on their own. */
static const struct mix_entry adversarial_mix[] = {
    {"adversarial all", "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ", ALL, true},
    {"adversarial room", "ㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋㅋ", BIG, true},
    {"adversarial all", "lol lol lol lol lol", ALL, false},
    {"adversarial all", "진짜 진짜 진짜 진짜", ALL, false},
};

static json_t *load_manifest(const char *path)
{
    json_error_t err;
    json_t *m = json_load_file(path, 0, &err);
    if (!m || !json_is_string(json_object_get(m, "big_room")) ||
        !json_is_string(json_object_get(m, "small_room")) ||
        !json_is_array(json_object_get(m, "markers"))) {
        fprintf(stderr, "onair-bench search: --manifest %s: not a chat-seed manifest (%s)\n", path,
                m ? "fields missing" : err.text);
        json_decref(m);
        return NULL;
    }
    return m;
}

static int add_mix(struct search *s, json_t *manifest, const struct mix_entry *mix, size_t n)
{
    const char *big = json_string_value(json_object_get(manifest, "big_room"));
    const char *small = json_string_value(json_object_get(manifest, "small_room"));
    for (size_t i = 0; i < n; i++) {
        const char *room = mix[i].where == BIG ? big : mix[i].where == SMALL ? small : NULL;
        long expect = mix[i].absent ? 0 : seeded_count(manifest, mix[i].text, room);
        if (add_query(s, mix[i].cls, mix[i].text, room, expect))
            return -1;
    }
    return 0;
}

static int build_mix(struct search *s)
{
    json_t *m = load_manifest(s->o.manifest);
    if (!m)
        return -1;
    int rc =
        strcmp(s->o.mix, "default") == 0
            ? add_mix(s, m, default_mix, sizeof default_mix / sizeof default_mix[0])
            : add_mix(s, m, adversarial_mix, sizeof adversarial_mix / sizeof adversarial_mix[0]);
    json_decref(m);
    return rc;
}

/* CLASS<TAB>ROOM<TAB>COUNT<TAB>QUERY per line; '#' lines and blank lines
 * are skipped. */
static int load_queries(struct search *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "onair-bench search: --queries: cannot open %s: %s\n", path,
                strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char *field[4], *p = line;
        int n = 0;
        for (; n < 3; n++) {
            field[n] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        field[3] = p;
        long expect = -1;
        if (n < 3 || !field[0][0] || !field[1][0]) {
            fprintf(stderr, "onair-bench search: %s:%d: want CLASS<TAB>ROOM<TAB>COUNT<TAB>QUERY\n",
                    path, lineno);
            rc = -1;
        } else if (strcmp(field[2], "-") != 0 &&
                   bench_parse_long("COUNT", field[2], 0, 1L << 40, &expect)) {
            rc = -1;
        } else {
            rc = add_query(s, field[0], field[3], strcmp(field[1], "*") == 0 ? NULL : field[1],
                           expect);
        }
    }
    fclose(f);
    if (rc == 0 && s->nq == 0) {
        fprintf(stderr, "onair-bench search: %s has no query\n", path);
        rc = -1;
    }
    return rc;
}

/* ---- checking an answer ---- */

struct page {
    size_t n;
    int64_t next; /* next_before_id, 0 when null */
    int64_t last_id;
};

static void problem(struct search *s, const struct query *q, const char *what)
{
    if (s->first_problem[0])
        return;
    snprintf(s->first_problem, sizeof s->first_problem, "q=\"%s\" room=%s: %s", q->text,
             q->room ? q->room : "*", what);
}

/* Checks one page of q's results (before: the cursor it was asked with,
 * 0 for the first page). Returns false, and records what was wrong, for an
 * implausible answer. */
static bool check_page(struct search *s, const struct query *q, int64_t before, int status,
                       const struct buf *body, struct page *pg)
{
    char what[256];
    *pg = (struct page){0};
    if (status < 0) {
        snprintf(what, sizeof what, "request failed: %s", onair_strerror(status));
        problem(s, q, what);
        return false;
    }
    if (status != 200) {
        snprintf(what, sizeof what, "HTTP %d: %.120s", status,
                 body && body->data ? body->data : "");
        problem(s, q, what);
        return false;
    }
    json_error_t err;
    json_t *doc = json_loadb(body->data ? body->data : "", body->len, 0, &err);
    json_t *results = json_object_get(doc, "results");
    json_t *next = json_object_get(doc, "next_before_id");
    bool ok = false;
    if (!json_is_array(results) || !(json_is_null(next) || json_is_integer(next))) {
        snprintf(what, sizeof what, "not a search answer: %.120s", body->data ? body->data : "");
        goto out;
    }
    pg->n = json_array_size(results);
    pg->next = json_is_integer(next) ? (int64_t)json_integer_value(next) : 0;
    if (pg->n > SEARCH_LIMIT) {
        snprintf(what, sizeof what, "%zu results, limit %d", pg->n, SEARCH_LIMIT);
        goto out;
    }
    int64_t prev = before > 0 ? before : INT64_MAX;
    size_t i;
    json_t *h;
    json_array_foreach(results, i, h)
    {
        const char *text = json_string_value(json_object_get(h, "text"));
        const char *room = json_string_value(json_object_get(h, "room"));
        const char *hl = json_string_value(json_object_get(h, "highlight"));
        int64_t id = (int64_t)json_integer_value(json_object_get(h, "id"));
        if (!text || !room || !hl || id <= 0 || id >= prev) {
            snprintf(what, sizeof what, "result %zu: missing fields or ids not newest first", i);
            goto out;
        }
        if (!strcasestr(text, q->text)) {
            snprintf(what, sizeof what, "result %zu does not contain the query: %.120s", i, text);
            goto out;
        }
        if (q->room && strcmp(room, q->room) != 0) {
            snprintf(what, sizeof what, "result %zu is from room %s", i, room);
            goto out;
        }
        if (!strstr(hl, "<mark>")) {
            snprintf(what, sizeof what, "result %zu: no <mark> in the highlight", i);
            goto out;
        }
        prev = pg->last_id = id;
    }
    if (before <= 0 && q->expect >= 0) {
        bool full = q->expect >= SEARCH_LIMIT;
        size_t want = full ? SEARCH_LIMIT : (size_t)q->expect;
        if (pg->n != want || (full != (pg->next != 0))) {
            snprintf(what, sizeof what,
                     "seeded %ld, the first page has %zu results and next_before_id %s", q->expect,
                     pg->n, pg->next ? "set" : "null");
            goto out;
        }
    }
    ok = true;
out:
    if (!ok)
        problem(s, q, what);
    json_decref(doc);
    return ok;
}

/* ---- the check pass: every query once, known counts paged to the end ---- */

static void check_next(struct search *s, int64_t before);

static void on_check(struct bench_http *c, int status, const struct buf *body, void *arg)
{
    (void)c;
    struct search *s = arg;
    struct query *q = &s->q[s->check_i];
    if (s->check_pages == 0)
        bench_samples_add(&s->check_ms, (double)(bench_now_us() - s->check_sent_us) / 1e3);
    struct page pg;
    bool ok = check_page(s, q, s->check_before, status, body, &pg);
    s->check_failed += status < 0;
    s->check_found += (long)pg.n;
    if (!ok) {
        s->check_problems++;
    } else {
        s->check_pages++;
        if (q->expect > SEARCH_LIMIT && pg.next && s->check_pages < SEARCH_CHECK_PAGES) {
            check_next(s, pg.next);
            return;
        }
        if (q->expect > SEARCH_LIMIT && s->check_found != q->expect) {
            char what[128];
            snprintf(what, sizeof what, "seeded %ld, paging found %ld", q->expect, s->check_found);
            problem(s, q, what);
            s->check_problems++;
        }
    }
    q->found = s->check_found;
    s->check_i++;
    s->check_found = 0;
    s->check_pages = 0;
    if (s->check_i < s->nq)
        check_next(s, 0);
    else
        s->check_done = true;
}

static void check_next(struct search *s, int64_t before)
{
    struct query *q = &s->q[s->check_i];
    char *target = before > 0 ? page_target(s, q, before) : xstrdup(q->target);
    s->check_before = before;
    s->check_sent_us = bench_now_us();
    int rc = bench_http_get(s->check_http, target, SEARCH_TIMEOUT_MS, on_check, s);
    free(target);
    if (rc < 0) {
        problem(s, q, "could not send");
        s->check_problems++;
        s->check_done = true;
    }
}

static void check_pass(struct search *s)
{
    bench_samples_init(&s->check_ms, SEARCH_MAX_SAMPLES);
    s->check_http = bench_http_new(&s->loop, (const struct sockaddr *)&s->url.addr, s->host);
    check_next(s, 0);
    while (!s->check_done && uv_run(&s->loop, UV_RUN_ONCE))
        ;
    bench_http_free(s->check_http);
    uv_run(&s->loop, UV_RUN_NOWAIT);
}

/* ---- the timed run ---- */

static void send_next(struct client *cl);

static void on_answer(struct bench_http *c, int status, const struct buf *body, void *arg)
{
    (void)c;
    struct client *cl = arg;
    struct search *s = cl->s;
    int64_t now = bench_now_us();
    double ms = (double)(now - cl->sent_us) / 1e3;
    struct qclass *k = &s->cls[cl->q->cls];
    cl->busy = false;
    s->requests++;
    k->requests++;
    if (!s->run.stopping)
        s->in_window++;
    if (status < 0) {
        s->errors++;
        k->errors++;
        char what[64];
        snprintf(what, sizeof what, "request failed: %s", onair_strerror(status));
        problem(s, cl->q, what);
        /* A server that went away fails every request at once: don't spin
         * on it for the rest of the run. */
        if (++s->failed_in_row == SEARCH_MAX_FAILED_IN_ROW && !s->run.stopping)
            bench_stop(&s->run);
    } else {
        s->failed_in_row = 0;
        s->status[status < 600 ? status : 0]++;
        bench_samples_add(&s->all_ms, ms);
        bench_samples_add(&k->ms, ms);
        bench_samples_add(&cl->q->ms, ms);
        struct page pg;
        if (!check_page(s, cl->q, 0, status, body, &pg)) {
            s->implausible++;
            k->implausible++;
        }
        k->hits += pg.n;
        cl->q->hits += pg.n;
    }
    if (!s->run.stopping) {
        send_next(cl);
    } else {
        bench_http_free(cl->http); /* allowed in its callback (http_client.h) */
        cl->http = NULL;
    }
}

static void send_next(struct client *cl)
{
    struct search *s = cl->s;
    cl->q = &s->q[s->next++ % s->nq];
    cl->q->uses++;
    cl->sent_us = bench_now_us();
    cl->busy = true;
    if (bench_http_get(cl->http, cl->q->target, SEARCH_TIMEOUT_MS, on_answer, cl) < 0) {
        cl->busy = false;
        s->errors++;
        problem(s, cl->q, "could not send");
    }
}

static void on_progress(void *arg, char *line, size_t size)
{
    struct search *s = arg;
    snprintf(line, size,
             "requests=%" PRIu64 " (+%" PRIu64 "/s) errors=%" PRIu64 " implausible=%" PRIu64,
             s->requests, s->requests - s->last_requests, s->errors, s->implausible);
    s->last_requests = s->requests;
}

/* The run's end: no new requests. Idle connections close now; those with
 * a request in flight close when it is answered (it counts) or when the
 * tool gives up after bench_run's drain (then it is "unfinished"). */
static void on_stop(void *arg)
{
    struct search *s = arg;
    for (long i = 0; i < s->o.concurrency; i++) {
        struct client *cl = &s->clients[i];
        if (!cl->busy && cl->http) {
            bench_http_free(cl->http);
            cl->http = NULL;
        }
    }
}

/* ---- results ---- */

static json_t *class_json(struct qclass *k)
{
    return json_pack("{s:s,s:i,s:I,s:I,s:I,s:f,s:o}", "class", k->name, "queries", (int)k->queries,
                     "requests", (json_int_t)k->requests, "errors", (json_int_t)k->errors,
                     "implausible", (json_int_t)k->implausible, "hits_per_page",
                     k->requests ? round((double)k->hits / (double)k->requests * 10) / 10 : 0.0,
                     "latency_ms", bench_samples_json(&k->ms));
}

static json_t *summary_json(struct search *s, double wall, int64_t server_cpu_us)
{
    json_t *classes = json_array();
    for (unsigned i = 0; i < s->ncls; i++)
        json_array_append_new(classes, class_json(&s->cls[i]));
    json_t *status = json_object();
    for (int i = 0; i < 600; i++) {
        char code[8];
        snprintf(code, sizeof code, "%d", i);
        if (s->status[i])
            json_object_set_new(status, i ? code : "other", json_integer((json_int_t)s->status[i]));
    }
    if (s->errors)
        json_object_set_new(status, "failed", json_integer((json_int_t)s->errors));
    json_t *per_query = json_array();
    for (unsigned i = 0; i < s->nq; i++) {
        struct query *q = &s->q[i];
        json_array_append_new(
            per_query,
            json_pack("{s:s,s:s,s:s?,s:I,s:f,s:o}", "class", s->cls[q->cls].name, "q", q->text,
                      "room", q->room, "requests", (json_int_t)q->ms.n, "hits_per_page",
                      q->ms.n ? round((double)q->hits / (double)q->ms.n * 10) / 10 : 0.0,
                      "latency_ms", bench_samples_json(&q->ms)));
    }
    json_t *counted = json_array();
    for (unsigned i = 0; i < s->nq; i++)
        if (s->q[i].expect >= 0)
            json_array_append_new(counted,
                                  json_pack("{s:s,s:s?,s:I,s:I}", "q", s->q[i].text, "room",
                                            s->q[i].room, "seeded", (json_int_t)s->q[i].expect,
                                            "found", (json_int_t)s->q[i].found));
    unsigned unfinished = 0;
    for (long i = 0; i < s->o.concurrency; i++)
        unfinished += s->clients[i].busy;
    json_t *o = json_pack(
        "{s:s,s:f,s:i,s:i,s:I,s:f,s:o,s:I,s:i,s:I,s:s?,s:{s:I,s:I,s:o,s:o},s:o,s:o}", "scenario",
        "search", "duration_s", round(wall * 10) / 10, "concurrency", (int)s->o.concurrency,
        "queries", (int)s->nq, "requests", (json_int_t)s->requests, "requests_per_s",
        wall > 0 ? round((double)s->in_window / wall * 10) / 10 : 0.0, "status", status, "errors",
        (json_int_t)s->errors, "unfinished", (int)unfinished, "implausible",
        (json_int_t)s->implausible, "first_problem", s->first_problem[0] ? s->first_problem : NULL,
        "check", "requests", (json_int_t)s->check_ms.n, "problems", (json_int_t)s->check_problems,
        "latency_ms", bench_samples_json(&s->check_ms), "counted", counted, "latency_ms",
        bench_samples_json(&s->all_ms), "classes", classes);
    json_object_set_new(o, "per_query", per_query);
    if (server_cpu_us >= 0)
        json_object_set_new(
            o, "server",
            json_pack(
                "{s:f,s:f}", "cpu_s", round((double)server_cpu_us / 1e5) / 10, "cpu_ms_per_request",
                s->requests ? round((double)server_cpu_us / 1e3 / (double)s->requests * 100) / 100
                            : 0.0));
    json_object_set_new(o, "tool", bench_rusage_json(wall));
    return o;
}

static void print_text(json_t *o)
{
    printf("search: %d clients, %.1f s, %" JSON_INTEGER_FORMAT
           " requests (%.1f/s), %" JSON_INTEGER_FORMAT " errors, %" JSON_INTEGER_FORMAT
           " implausible\n",
           (int)json_integer_value(json_object_get(o, "concurrency")),
           json_real_value(json_object_get(o, "duration_s")),
           json_integer_value(json_object_get(o, "requests")),
           json_real_value(json_object_get(o, "requests_per_s")),
           json_integer_value(json_object_get(o, "errors")),
           json_integer_value(json_object_get(o, "implausible")));
    const char *fp = json_string_value(json_object_get(o, "first_problem"));
    if (fp)
        printf("first problem: %s\n", fp);
    printf("\n| class | queries | requests | hits/page | p50 ms | p95 ms | p99 ms | max ms |\n"
           "| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    size_t i;
    json_t *k;
    json_array_foreach(json_object_get(o, "classes"), i, k)
    {
        json_t *l = json_object_get(k, "latency_ms");
        printf("| %s | %d | %" JSON_INTEGER_FORMAT " | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
               json_string_value(json_object_get(k, "class")),
               (int)json_integer_value(json_object_get(k, "queries")),
               json_integer_value(json_object_get(k, "requests")),
               json_real_value(json_object_get(k, "hits_per_page")),
               json_number_value(json_object_get(l, "p50")),
               json_number_value(json_object_get(l, "p95")),
               json_number_value(json_object_get(l, "p99")),
               json_number_value(json_object_get(l, "max")));
    }
    json_t *l = json_object_get(o, "latency_ms");
    printf(
        "| **all** | %d | %" JSON_INTEGER_FORMAT " | | %.1f | %.1f | %.1f | %.1f |\n",
        (int)json_integer_value(json_object_get(o, "queries")),
        json_integer_value(json_object_get(o, "requests")),
        json_number_value(json_object_get(l, "p50")), json_number_value(json_object_get(l, "p95")),
        json_number_value(json_object_get(l, "p99")), json_number_value(json_object_get(l, "max")));
}

/* ---- options (of chat-seed too) ---- */

enum { SEED = BENCH_CHAT_SEED, LOAD = BENCH_SEARCH, BOTH = SEED | LOAD };

static const char *sc_name(enum bench_search_scenario sc)
{
    return sc == BENCH_CHAT_SEED ? "chat-seed" : "search";
}

#define STR_(x) #x
#define STR(x) STR_(x)

static const char seed_usage[] =
    "usage: onair-bench chat-seed --data DIR --messages N --rooms R [options]\n\n"
    "Fills DIR's database (DIR/onair.db, created and migrated as onair does) with N\n"
    "chat messages for the search benchmark: signs up the users (each with a\n"
    "channel), then stores the messages with chat_append in group commits, spread\n"
    "over the channels of the first R users (Zipf: room 0 busiest): Korean and\n"
    "English chat words, a long tail of random Hangul words and nicknames, and the\n"
    "marker words whose counts `onair-bench search` checks. The same seed gives the\n"
    "same messages. Writes DIR/" BENCH_SEED_MANIFEST " last. Refuses a DIR that has a database.\n";

static const char search_usage[] =
    "usage: onair-bench search --url URL (--mix NAME --manifest FILE | --queries FILE)\n"
    "                          [options]\n\n"
    "Sends GET /api/search?q=..&room=..&limit=" STR(
        SEARCH_LIMIT) " from C keep-alive clients, one\n"
                      "request at a time each, taking the mix's queries in turn, for --duration\n"
                      "seconds. Reports latency p50/p95/p99/max per query class and overall,\n"
                      "requests/s and status counts. A check pass first asks every query once "
                      "(and\n"
                      "pages known counts to the end); every answer is checked: the texts contain "
                      "the\n"
                      "query, rooms and order are right, and seeded marker words are found exactly "
                      "as\n"
                      "often as chat-seed put them in.\n";

/* What each scenario can't run without. */
static int required(enum bench_search_scenario sc, const struct bench_search_opts *o)
{
    const char *what = NULL;
    if (sc == BENCH_CHAT_SEED && (!o->data || !o->messages || !o->rooms))
        what = "--data, --messages and --rooms are required";
    else if (sc == BENCH_CHAT_SEED && o->users && o->users < o->rooms)
        what = "--users must be at least --rooms";
    else if (sc == BENCH_SEARCH && (!o->url || !o->mix == !o->queries_file))
        what = "--url and either --mix or --queries are required";
    else if (sc == BENCH_SEARCH && o->mix && !o->manifest)
        what = "--mix needs --manifest";
    else if (sc == BENCH_SEARCH && o->mix && strcmp(o->mix, "default") != 0 &&
             strcmp(o->mix, "adversarial") != 0)
        what = "--mix is default or adversarial";
    if (!what)
        return 0;
    fprintf(stderr, "onair-bench %s: %s (see --help)\n", sc_name(sc), what);
    return -1;
}

int bench_search_parse(enum bench_search_scenario sc, int argc, char **argv,
                       struct bench_search_opts *o)
{
    *o = (struct bench_search_opts){.seed = 1, .concurrency = 1, .duration = 30, .server_pid = -1};
    const struct bench_scoped_opt table[] = {
        {SEED,
         {"data", BENCH_OPT_STRING, &o->data, 0, 0, "DIR",
          "the data directory (created if missing)"}},
        {SEED,
         {"messages", BENCH_OPT_LONG, &o->messages, 1000, 1000000000L, "N",
          "messages to store (1000..1000000000)"}},
        {SEED, {"rooms", BENCH_OPT_LONG, &o->rooms, 2, 10000, "R", "rooms talked in (2..10000)"}},
        {SEED,
         {"users", BENCH_OPT_LONG, &o->users, 2, 1000000, "U",
          "users signed up (default max(R, 1000); at least R)"}},
        {SEED,
         {"seed", BENCH_OPT_LONG, &o->seed, 0, (double)(1L << 62), "S",
          "generator seed (default 1)"}},
        {LOAD,
         {"url", BENCH_OPT_STRING, &o->url, 0, 0, "URL",
          "the server: http://127.0.0.1:PORT (loopback only)"}},
        {LOAD,
         {"mix", BENCH_OPT_STRING, &o->mix, 0, 0, "NAME",
          "built-in queries: default, or adversarial (slow by nature); needs --manifest"}},
        {LOAD,
         {"manifest", BENCH_OPT_STRING, &o->manifest, 0, 0, "FILE",
          "the seed's manifest (DIR/" BENCH_SEED_MANIFEST ")"}},
        {LOAD,
         {"queries", BENCH_OPT_STRING, &o->queries_file, 0, 0, "FILE",
          "instead of --mix: CLASS<TAB>ROOM|*<TAB>COUNT|-<TAB>QUERY per line"}},
        {LOAD,
         {"concurrency", BENCH_OPT_LONG, &o->concurrency, 1, SEARCH_MAX_CONCURRENCY, "C",
          "clients (default 1)"}},
        {LOAD,
         {"duration", BENCH_OPT_DOUBLE, &o->duration, 0.1, 86400, "SECONDS",
          "length of the timed run (default 30)"}},
        {LOAD,
         {"server-pid", BENCH_OPT_LONG, &o->server_pid, 1, 1L << 30, "PID",
          "also report the server's CPU time"}},
        {BOTH, {"json", BENCH_OPT_FLAG, &o->json, 0, 0, NULL, "print a JSON summary on stdout"}},
        {BOTH, {"quiet", BENCH_OPT_FLAG, &o->quiet, 0, 0, NULL, "no progress line"}},
    };
    int rc = bench_opts_parse_scoped(sc_name(sc), sc == BENCH_CHAT_SEED ? seed_usage : search_usage,
                                     table, sizeof table / sizeof table[0], sc, argc, argv);
    if (rc)
        return rc;
    return required(sc, o);
}

static void cleanup(struct search *s)
{
    for (unsigned i = 0; i < s->nq; i++) {
        free(s->q[i].text);
        free(s->q[i].room);
        free(s->q[i].target);
        bench_samples_free(&s->q[i].ms);
    }
    free(s->q);
    for (unsigned i = 0; i < s->ncls; i++) {
        free(s->cls[i].name);
        bench_samples_free(&s->cls[i].ms);
    }
    bench_samples_free(&s->all_ms);
    bench_samples_free(&s->check_ms);
    free(s->clients);
    uv_loop_close(&s->loop);
}

int bench_scenario_search(int argc, char **argv)
{
    struct search *s = xcalloc(1, sizeof *s);
    int status = bench_search_parse(BENCH_SEARCH, argc, argv, &s->o);
    if (status) {
        free(s);
        return status > 0 ? 0 : 2;
    }
    status = 2;
    uv_loop_init(&s->loop);
    s->q = xcalloc(SEARCH_MAX_QUERIES, sizeof *s->q);
    bench_samples_init(&s->all_ms, SEARCH_MAX_SAMPLES);
    if (bench_url_parse("--url", s->o.url, "http", 80, &s->url))
        goto out;
    snprintf(s->host, sizeof s->host, "%s:%d", s->url.host, s->url.port);
    if (s->o.mix ? build_mix(s) : load_queries(s, s->o.queries_file))
        goto out;

    check_pass(s);
    if (!s->o.quiet)
        fprintf(stderr, "search: check pass: %u queries, %" PRIu64 " problems%s%s\n", s->nq,
                s->check_problems, s->first_problem[0] ? ": " : "", s->first_problem);
    if (s->check_failed == s->nq) {
        fprintf(stderr, "onair-bench search: no answer from %s (%s)\n", s->o.url, s->first_problem);
        status = 1;
        goto out;
    }

    s->clients = xcalloc((size_t)s->o.concurrency, sizeof *s->clients);
    for (long i = 0; i < s->o.concurrency; i++) {
        struct client *cl = &s->clients[i];
        cl->s = s;
        cl->http = bench_http_new(&s->loop, (const struct sockaddr *)&s->url.addr, s->host);
    }
    int64_t cpu0 = s->o.server_pid > 0 ? bench_proc_cpu_us(s->o.server_pid) : -1;
    s->run = (struct bench_run){.loop = &s->loop,
                                .duration_s = s->o.duration,
                                .json = s->o.json,
                                .quiet = s->o.quiet,
                                .progress = on_progress,
                                .stop = on_stop,
                                .arg = s};
    for (long i = 0; i < s->o.concurrency; i++)
        send_next(&s->clients[i]);
    bench_run(&s->run);
    int64_t cpu1 = cpu0 >= 0 ? bench_proc_cpu_us(s->o.server_pid) : -1;
    double wall = (double)(s->run.ended_us - s->run.started_us) / 1e6;
    json_t *sum = summary_json(s, wall, cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1);
    for (long i = 0; i < s->o.concurrency; i++)
        bench_http_free(s->clients[i].http);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    if (s->o.json)
        bench_json_print(sum);
    else {
        print_text(sum);
        json_decref(sum);
    }
    status = 0;
out:
    cleanup(s);
    free(s);
    return status;
}
